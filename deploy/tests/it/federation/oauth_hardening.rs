//! Sign-on under attack: client secrets with URL-special characters, open redirects through
//! `return_to`, forged logout links, signing out of federation itself, and re-authentication
//! (`prompt=login`, `max_age`) that must really ask for the password.

use federation::db::{oauth, users};
use openssl::hash::{MessageDigest, hash};
use shared::AppName;
use shared::crypto::token_digest;
use shared::infrastructure::jose::{SigningKey, b64url, b64url_decode};
use shared::infrastructure::session::SessionData;
use shared::infrastructure::sso::form_encode;
use shared::models::oauth::NewClient;
use shared::models::users::NewUser;

use crate::support::browser::{Browser, form_value};
use crate::support::{Page, TestFleet};

const PASSWORD: &str = "a quiet orchard path";

/// A member with a confirmed address and [`PASSWORD`], signed in at federation through its
/// sign-in form; returns the browser and the member's id.
async fn member(t: &TestFleet, username: &str) -> (Browser, i64) {
    let hash = federation::accounts::passwords::hash_blocking(PASSWORD).unwrap();
    let id = {
        let mut conn = t.db.conn().await;
        users::insert_with_password(
            &mut conn,
            &NewUser {
                username,
                email: &format!("{username}@example.org"),
                display_name: username,
                avatar_url: None,
                bio: "",
                role: "member",
            },
            &hash,
            true,
        )
        .await
        .unwrap()
        .id
    };
    let browser = Browser::new();
    let login = t.fleet.at(AppName::Federation, "/login");
    let (_, form) = browser.visit(&login).await;
    let csrf = form_value(&form.body, "csrf_token").expect("a sign-in form");
    let (landed, _) = browser
        .submit(
            &login,
            &login,
            &[
                ("csrf_token", &csrf),
                ("login", username),
                ("password", PASSWORD),
                ("return_to", "/"),
            ],
        )
        .await;
    assert_eq!(landed, t.fleet.at(AppName::Federation, "/"), "signed in");
    (browser, id)
}

/// The session cookie `browser` holds on `app`.
fn cookie_of(t: &TestFleet, browser: &Browser, app: AppName) -> String {
    browser
        .cookie(&t.fleet.at(app, "/"), "ra_session")
        .unwrap_or_else(|| panic!("a session cookie on {app}"))
}

/// The session `cookie` names on `app`, as the app stores it (`None` once it was destroyed).
async fn stored(t: &TestFleet, app: AppName, cookie: &str) -> Option<SessionData> {
    t.fleet.ctx(app).sessions().load(cookie).await.unwrap()
}

/// The session `browser` holds on `app`, as the app stores it.
async fn session_of(t: &TestFleet, browser: &Browser, app: AppName) -> Option<SessionData> {
    stored(t, app, &cookie_of(t, browser, app)).await
}

/// Signs `browser` in on `app` through single sign-on (no password typed).
async fn sso_into(t: &TestFleet, browser: &Browser, app: AppName) -> SessionData {
    let (landed, _) = browser
        .visit(&t.fleet.at(app, "/auth/login?return_to=/"))
        .await;
    assert_eq!(landed, t.fleet.at(app, "/"), "signed in on {app}");
    let session = session_of(t, browser, app).await.expect("an app session");
    assert!(session.user_id.is_some(), "{app} knows the member");
    session
}

/// Federation's active signing key (it exists once federation has served its keys).
async fn federation_key(t: &TestFleet) -> SigningKey {
    let jwks = shared::testing::http_client()
        .get(t.fleet.at(AppName::Federation, "/oauth/jwks"))
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.status(), 200);
    let mut conn = t.db.conn().await;
    let row = oauth::signing_keys(&mut conn)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.retired_at.is_none())
        .unwrap();
    SigningKey::from_pem(&row.kid, &row.private_pem).unwrap()
}

fn issuer(t: &TestFleet) -> String {
    t.fleet
        .url(AppName::Federation)
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}

fn claims_of(jwt: &str) -> serde_json::Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&b64url_decode(payload).unwrap()).unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

// ---------------------------------------------------------------- #2 client secrets

#[actix_web::test]
async fn sign_in_works_when_the_client_secret_has_url_special_characters() {
    // What `openssl rand -base64` produces, plus the characters Basic-auth decoding trips on.
    let secret = "k+9/Zq%41:x=y+/w==";
    let t = TestFleet::start_with(&[("OAUTH_CLIENT_SECRET_BLOG", secret)]).await;
    let (browser, id) = member(&t, "clara").await;
    let session = sso_into(&t, &browser, AppName::Blog).await;
    assert_eq!(session.user_id, Some(id));
    // The blog client really is registered with that secret.
    let registered = {
        let mut conn = t.db.conn().await;
        oauth::client(&mut conn, "blog").await.unwrap().unwrap()
    };
    assert_eq!(registered.secret_hash, token_digest(secret));
    t.stop().await;
}

// ---------------------------------------------------------------- #4 open redirect

#[actix_web::test]
async fn return_to_bypasses_end_on_a_local_path() {
    let t = TestFleet::start().await;
    let (browser, _) = member(&t, "ada").await;
    let home = t.fleet.at(AppName::Blog, "/");
    for bad in [
        "/%09/evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\/evil.example",
        "/%2F/evil.example",
        "/%5Cevil.example",
        "/\t/evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        " //evil.example",
        "/a/..//evil.example",
    ] {
        let url = format!(
            "{}?{}",
            t.fleet.at(AppName::Blog, "/auth/login"),
            serde_urlencoded::to_string([("return_to", bad)]).unwrap()
        );
        let (landed, _) = browser.visit(&url).await;
        assert_eq!(landed, home, "{bad:?}");
    }
    // A genuine local path still works.
    let url = format!(
        "{}?{}",
        t.fleet.at(AppName::Blog, "/auth/login"),
        serde_urlencoded::to_string([("return_to", "/?from=mail")]).unwrap()
    );
    let (landed, _) = browser.visit(&url).await;
    assert_eq!(landed, t.fleet.at(AppName::Blog, "/?from=mail"));
    t.stop().await;
}

// ---------------------------------------------------------------- #5 logout CSRF

/// `GET /oauth/logout?id_token_hint=…` as a link in someone's page would send it.
async fn logout_link(t: &TestFleet, browser: &Browser, hint: &str) -> (Page, Option<String>) {
    let url = format!(
        "{}?{}",
        t.fleet.at(AppName::Federation, "/oauth/logout"),
        serde_urlencoded::to_string([("id_token_hint", hint)]).unwrap()
    );
    browser.get(&url).await
}

#[actix_web::test]
async fn a_logout_link_signs_out_only_with_a_hint_for_this_very_session() {
    let t = TestFleet::start().await;
    let (ada, ada_id) = member(&t, "ada").await;
    let (grace, _) = member(&t, "grace").await;
    sso_into(&t, &ada, AppName::Blog).await;
    let grace_blog = sso_into(&t, &grace, AppName::Blog).await;
    let ada_federation = cookie_of(&t, &ada, AppName::Federation);
    let ada_blog = cookie_of(&t, &ada, AppName::Blog);
    let ada_sid = session_of(&t, &ada, AppName::Federation)
        .await
        .unwrap()
        .sso_sid
        .unwrap();
    let key = federation_key(&t).await;
    let stranger = SigningKey::generate(&key.jwk().unwrap().kid).unwrap();
    let claims = |sub: i64, sid: &str, iss: &str, aud: &str| {
        serde_json::json!({
            "iss": iss, "sub": sub.to_string(), "aud": aud, "sid": sid,
            "iat": now() - 7200, "exp": now() - 3600, "auth_time": now() - 7200,
        })
    };
    let iss = issuer(&t);
    let refused = [
        ("garbage", "x".to_owned()),
        ("three dots", "a.b.c".to_owned()),
        (
            "signed by another key",
            stranger
                .sign("JWT", &claims(ada_id, &ada_sid, &iss, "blog"))
                .unwrap(),
        ),
        (
            "another issuer",
            key.sign(
                "JWT",
                &claims(ada_id, &ada_sid, "http://evil.localhost", "blog"),
            )
            .unwrap(),
        ),
        (
            "an unknown audience",
            key.sign("JWT", &claims(ada_id, &ada_sid, &iss, "evil"))
                .unwrap(),
        ),
        (
            "another sign-on session",
            key.sign("JWT", &claims(ada_id, "some-other-sid", &iss, "blog"))
                .unwrap(),
        ),
        (
            "another member's real id_token",
            grace_blog.id_token.clone().unwrap(),
        ),
    ];
    for (what, hint) in refused {
        let (page, location) = logout_link(&t, &ada, &hint).await;
        assert_eq!(page.status, 200, "{what}: the confirmation page");
        assert!(location.is_none(), "{what}");
        assert!(page.body.contains("Sign out of Rose Ash?"), "{what}");
        assert!(
            form_value(&page.body, "csrf_token").is_some(),
            "{what}: its form carries the CSRF token"
        );
        assert!(
            stored(&t, AppName::Federation, &ada_federation)
                .await
                .is_some_and(|s| s.user_id == Some(ada_id)),
            "{what}: still signed in at federation"
        );
        assert!(
            stored(&t, AppName::Blog, &ada_blog).await.is_some(),
            "{what}: still signed in on the blog"
        );
    }

    // Ada's own hint (expired, which RP-initiated logout allows) signs her out everywhere...
    let own = key
        .sign("JWT", &claims(ada_id, &ada_sid, &iss, "blog"))
        .unwrap();
    let (page, location) = logout_link(&t, &ada, &own).await;
    assert_eq!(page.status, 303);
    assert_eq!(
        location.as_deref(),
        Some(t.fleet.at(AppName::Federation, "/logged-out").as_str())
    );
    assert!(
        stored(&t, AppName::Federation, &ada_federation)
            .await
            .is_none()
    );
    assert!(stored(&t, AppName::Blog, &ada_blog).await.is_none());
    // ...and Grace, whose token was waved at Ada's session, was never touched.
    assert!(session_of(&t, &grace, AppName::Blog).await.is_some());

    // The real flow: the blog's sign-out sends its id_token as the hint, and that is enough.
    let blog = sso_into(&t, &grace, AppName::Blog).await;
    let grace_federation = cookie_of(&t, &grace, AppName::Federation);
    let grace_blog = cookie_of(&t, &grace, AppName::Blog);
    let (page, location) = logout_link(&t, &grace, blog.id_token.as_deref().unwrap()).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(location.is_some());
    assert!(
        stored(&t, AppName::Federation, &grace_federation)
            .await
            .is_none()
    );
    assert!(stored(&t, AppName::Blog, &grace_blog).await.is_none());
    t.stop().await;
}

// ---------------------------------------------------------------- #6 federation sign-out

#[actix_web::test]
async fn signing_out_on_federation_signs_out_of_every_app() {
    let t = TestFleet::start().await;
    let (browser, _) = member(&t, "nadia").await;
    sso_into(&t, &browser, AppName::Blog).await;
    sso_into(&t, &browser, AppName::Cart).await;
    let cookies: Vec<(AppName, String)> = [AppName::Federation, AppName::Blog, AppName::Cart]
        .into_iter()
        .map(|app| (app, cookie_of(&t, &browser, app)))
        .collect();

    let logout = t.fleet.at(AppName::Federation, "/auth/logout");
    let (_, confirm) = browser.visit(&logout).await;
    assert!(confirm.body.contains("signed out of all six"));
    let csrf = form_value(&confirm.body, "csrf_token").expect("a sign-out form");
    let (_, _) = browser
        .submit(&logout, &logout, &[("csrf_token", &csrf)])
        .await;

    for (app, cookie) in &cookies {
        let app = *app;
        assert!(
            stored(&t, app, cookie).await.is_none(),
            "{app}'s session is gone"
        );
        let (_, page) = browser.visit(&t.fleet.at(app, "/")).await;
        assert!(
            !page.body.contains("class=\"who\""),
            "{app} shows the member signed out"
        );
    }
    // And single sign-on needs the password again.
    let (landed, _) = browser
        .visit(&t.fleet.at(AppName::Blog, "/auth/login?return_to=/"))
        .await;
    assert!(
        landed.starts_with(&t.fleet.at(AppName::Federation, "/login")),
        "{landed}"
    );
    t.stop().await;
}

// ---------------------------------------------------------------- #7 re-authentication

/// Moves the federation session's sign-in `secs` into the past.
async fn age_sign_in(t: &TestFleet, browser: &Browser, secs: i64) -> i64 {
    let store = t.fleet.ctx(AppName::Federation).sessions();
    let cookie = browser
        .cookie(&t.fleet.at(AppName::Federation, "/"), "ra_session")
        .unwrap();
    let mut data = store.load(&cookie).await.unwrap().unwrap();
    let aged = data.auth_time.unwrap() - secs;
    data.auth_time = Some(aged);
    store.save(&cookie, &data).await.unwrap();
    aged
}

/// Submits the "confirm it's you" form on `page` (at `url`) with `password`.
async fn reauthenticate(browser: &Browser, url: &str, page: &Page, password: &str) -> String {
    let action = crate::support::browser::absolute(url, "/login");
    let (landed, _) = browser
        .submit(
            url,
            &action,
            &[
                ("csrf_token", &form_value(&page.body, "csrf_token").unwrap()),
                ("login", &form_value(&page.body, "login").unwrap()),
                ("return_to", &form_value(&page.body, "return_to").unwrap()),
                ("password", password),
            ],
        )
        .await;
    landed
}

fn is_reauth_page(page: &Page) -> bool {
    page.status == 200
        && page.body.contains("Confirm it")
        && page.body.contains("name=\"password\"")
}

#[actix_web::test]
async fn prompt_login_asks_for_the_password_before_any_code_and_auth_time_is_fresh() {
    let t = TestFleet::start().await;
    let (browser, id) = member(&t, "erik").await;
    let blog = sso_into(&t, &browser, AppName::Blog).await;
    let sid = blog.sso_sid.clone().unwrap();
    let stale = age_sign_in(&t, &browser, 3600).await;

    let (at, page) = browser
        .visit(
            &t.fleet
                .at(AppName::Blog, "/auth/login?prompt=login&return_to=/"),
        )
        .await;
    assert!(
        at.starts_with(&t.fleet.at(AppName::Federation, "/oauth/authorize/continue")),
        "no code without the password: {at}"
    );
    assert!(is_reauth_page(&page), "{}", page.body);
    // Reloading, or coming back later, does not skip it either.
    let (again, page) = browser.visit(&at).await;
    assert_eq!(again, at);
    assert!(is_reauth_page(&page));

    // A wrong password gets no code.
    let landed = reauthenticate(&browser, &at, &page, "not the password at all").await;
    assert!(
        landed.starts_with(&t.fleet.at(AppName::Federation, "/")),
        "{landed}"
    );
    assert_eq!(
        session_of(&t, &browser, AppName::Blog)
            .await
            .unwrap()
            .auth_time,
        Some(stale + 3600),
        "the blog session was not renewed"
    );

    let before = now();
    let (_, page) = browser.visit(&at).await;
    let landed = reauthenticate(&browser, &at, &page, PASSWORD).await;
    assert_eq!(landed, t.fleet.at(AppName::Blog, "/"));
    let renewed = session_of(&t, &browser, AppName::Blog).await.unwrap();
    assert_eq!(renewed.user_id, Some(id));
    assert!(
        renewed.auth_time.unwrap() >= before,
        "auth_time is the new sign-in"
    );
    assert!(claims_of(renewed.id_token.as_deref().unwrap())["auth_time"].as_i64() >= Some(before));
    // Still one sign-on session: the apps signed in before are reached by a sign-out.
    assert_eq!(renewed.sso_sid.as_deref(), Some(sid.as_str()));
    // The request was used once.
    let (used, _) = browser.get(&at).await;
    assert_eq!(used.status, 400);
    t.stop().await;
}

const CLIENT_ID: &str = "plum-app";
const CLIENT_SECRET: &str = "plum-app-secret-0123456789abcdef";
const REDIRECT: &str = "http://plum.localhost:9998/cb";
const VERIFIER: &str = "a-perfectly-good-pkce-verifier-of-enough-length-0123456789";

async fn register_client(t: &TestFleet) {
    let mut conn = t.db.conn().await;
    oauth::insert_client(
        &mut conn,
        &NewClient {
            client_id: CLIENT_ID.into(),
            name: "Plum Planner".into(),
            secret_hash: token_digest(CLIENT_SECRET),
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
            first_party: true,
        },
    )
    .await
    .unwrap();
}

fn authorize_url(t: &TestFleet, max_age: &str) -> String {
    let challenge = b64url(&hash(MessageDigest::sha256(), VERIFIER.as_bytes()).unwrap());
    format!(
        "{}?{}",
        t.fleet.at(AppName::Federation, "/oauth/authorize"),
        serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("state", "s1"),
            ("nonce", "n1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("max_age", max_age),
        ])
        .unwrap()
    )
}

/// Where following `url` leads: the client's redirect (with its query), or a page at federation.
enum Outcome {
    Client(std::collections::HashMap<String, String>),
    Page(String, Page),
}

async fn follow(browser: &Browser, url: &str) -> Outcome {
    let mut url = url.to_owned();
    for _ in 0..10 {
        let (page, location) = browser.get(&url).await;
        match location {
            Some(next) if next.starts_with(REDIRECT) => {
                return Outcome::Client(
                    url::Url::parse(&next)
                        .unwrap()
                        .query_pairs()
                        .into_owned()
                        .collect(),
                );
            }
            Some(next) => url = next,
            None => return Outcome::Page(url, page),
        }
    }
    panic!("redirect loop from {url}");
}

/// The id_token's claims for `code`.
async fn exchange(t: &TestFleet, code: &str) -> serde_json::Value {
    let res = shared::testing::http_client()
        .post(t.fleet.at(AppName::Federation, "/oauth/token"))
        .basic_auth(form_encode(CLIENT_ID), Some(form_encode(CLIENT_SECRET)))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    claims_of(body["id_token"].as_str().unwrap())
}

#[actix_web::test]
async fn max_age_reauthenticates_once_and_never_loops() {
    let t = TestFleet::start().await;
    register_client(&t).await;
    let (browser, _) = member(&t, "lili").await;

    // A recent enough sign-in: the code comes at once.
    let Outcome::Client(answer) = follow(&browser, &authorize_url(&t, "3600")).await else {
        panic!("a fresh sign-in satisfies max_age=3600");
    };
    assert_eq!(answer.get("state").map(String::as_str), Some("s1"));
    exchange(&t, &answer["code"]).await;

    for max_age in ["0", "60"] {
        let stale = age_sign_in(&t, &browser, 120).await;
        let Outcome::Page(at, page) = follow(&browser, &authorize_url(&t, max_age)).await else {
            panic!("max_age={max_age}: a code without the password");
        };
        assert!(is_reauth_page(&page), "max_age={max_age}: {}", page.body);
        let before = now();
        let action = crate::support::browser::absolute(&at, "/login");
        let (_, location) = browser
            .submit_raw(
                &at,
                &action,
                &[
                    ("csrf_token", &form_value(&page.body, "csrf_token").unwrap()),
                    ("login", &form_value(&page.body, "login").unwrap()),
                    ("return_to", &form_value(&page.body, "return_to").unwrap()),
                    ("password", PASSWORD),
                ],
            )
            .await;
        let Outcome::Client(answer) = follow(&browser, &location.unwrap()).await else {
            panic!("max_age={max_age}: no code after the password");
        };
        let claims = exchange(&t, &answer["code"]).await;
        let auth_time = claims["auth_time"].as_i64().unwrap();
        assert!(
            auth_time >= before && auth_time > stale,
            "max_age={max_age}: auth_time {auth_time} is the new sign-in (>= {before})"
        );
    }
    t.stop().await;
}
