//! Members for tests: rows written straight to the database, people who sign up through
//! federation's forms like a browser would, and the blog's editor API as its page calls it.

use federation::db::users;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use shared::AppName;
use shared::models::users::NewUser;
use shared::testing::TestSession;

use super::TestFleet;
use super::browser::{Browser, form_value};
use super::mail_sink;

pub async fn member(t: &TestFleet, username: &str) -> i64 {
    let mut conn = t.db.conn().await;
    let email = format!("{username}@example.org");
    users::insert(
        &mut conn,
        &NewUser {
            username,
            email: &email,
            display_name: username,
            avatar_url: None,
            bio: "",
            role: "member",
        },
    )
    .await
    .unwrap()
    .id
}

pub async fn person(t: &TestFleet, username: &str, role: &str) -> i64 {
    let email = format!("{username}@example.org");
    users::insert(
        &mut t.db.conn().await,
        &NewUser {
            username,
            email: &email,
            display_name: &format!("{username} (display)"),
            avatar_url: None,
            bio: "Writes about orchards.",
            role,
        },
    )
    .await
    .unwrap()
    .id
}

/// A request to the blog as its editor page sends it (same origin, CSRF header, JSON).
pub async fn api(
    t: &TestFleet,
    method: Method,
    path: &str,
    body: Option<&Value>,
    session: Option<&TestSession>,
) -> (StatusCode, Value) {
    let origin = t.fleet.url(AppName::Blog).origin().ascii_serialization();
    let mut req = t
        .client
        .request(method, t.fleet.at(AppName::Blog, path))
        .header("origin", origin)
        .header("sec-fetch-site", "same-origin")
        .header("accept", "application/json");
    if let Some(s) = session {
        req = req
            .header("cookie", &s.cookie)
            .header("x-csrf-token", &s.csrf);
    }
    if let Some(body) = body {
        req = req.json(body);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A unique address per test (all tests share one SMTP sink).
pub fn address(t: &TestFleet, who: &str) -> String {
    format!("{who}.{}@example.org", t.db.name.replace('_', "-"))
}

/// Signs up through federation's forms and follows the confirmation link; returns the browser,
/// signed in at federation.
pub async fn sign_up(t: &TestFleet, username: &str, email: &str, password: &str) -> Browser {
    let browser = Browser::new();
    let signup_url = t.fleet.at(AppName::Federation, "/signup");
    let (_, form) = browser.visit(&signup_url).await;
    let csrf = form_value(&form.body, "csrf_token").expect("a CSRF token on the sign-up form");
    let (_, done) = browser
        .submit(
            &signup_url,
            &signup_url,
            &[
                ("csrf_token", &csrf),
                ("username", username),
                ("email", email),
                ("display_name", "Nadia Boulanger"),
                ("password", password),
                ("return_to", "/"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Check your e-mail"));
    let mail = mail_sink()
        .wait_for(email, 1)
        .await
        .expect("a confirmation mail");
    assert_eq!(mail.subject(), Some("Confirm your Rose Ash account"));
    let link = mail
        .links()
        .into_iter()
        .find(|l| l.contains("/verify-email/"))
        .expect("a confirmation link");
    confirm_and_sign_in(t, &browser, &link, username, password).await;
    browser
}

/// Opens a confirmation link (a page with a button), presses the button, then signs in from
/// the link the page offers; returns where the browser landed.
pub async fn confirm_and_sign_in(
    t: &TestFleet,
    browser: &Browser,
    link: &str,
    login: &str,
    password: &str,
) -> String {
    let (_, confirm) = browser.visit(link).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let csrf = form_value(&confirm.body, "csrf_token").expect("a confirm button's form");
    let (_, confirmed) = browser.submit(link, link, &[("csrf_token", &csrf)]).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    let sign_in = confirmed
        .body
        .split("href=\"")
        .map(|h| h.split('"').next().unwrap_or_default())
        .find(|h| h.starts_with("/login?"))
        .expect("a sign-in link")
        .replace("&amp;", "&");
    let sign_in = t.fleet.at(AppName::Federation, &sign_in);
    let (_, form) = browser.visit(&sign_in).await;
    let csrf = form_value(&form.body, "csrf_token").expect("the sign-in form");
    let return_to = form_value(&form.body, "return_to").unwrap_or_default();
    let (landed, _) = browser
        .submit(
            &sign_in,
            &t.fleet.at(AppName::Federation, "/login"),
            &[
                ("csrf_token", &csrf),
                ("login", login),
                ("password", password),
                ("return_to", &return_to),
            ],
        )
        .await;
    landed
}
