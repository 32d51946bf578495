//! One login for six apps: sign-up with e-mail confirmation, single sign-on across apps,
//! single sign-out, password reset, the second factor and sign-in rate limits.

use shared::AppName;

use crate::browser::{Browser, form_value};
use crate::support::{TestFleet, mail_sink};

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
    let (_, home) = browser.visit(&link).await;
    assert_eq!(home.status, 200);
    browser
}

fn signed_in_as(body: &str, name: &str) -> bool {
    body.contains(&format!(">{name}</a>")) && body.contains("class=\"who\"")
}

#[actix_web::test]
async fn sign_up_then_one_click_sign_in_everywhere_and_one_sign_out_everywhere() {
    let t = TestFleet::start().await;
    let email = address(&t, "nadia");
    let browser = sign_up(&t, "nadia", &email, "counterpoint and fugue").await;

    // Signed in at federation: "Sign in" on the blog gets in without typing anything.
    let (landed, blog) = browser
        .visit(&t.fleet.at(AppName::Blog, "/auth/login?return_to=/"))
        .await;
    assert_eq!(landed, t.fleet.at(AppName::Blog, "/"));
    assert!(
        signed_in_as(&blog.body, "Nadia Boulanger"),
        "blog knows the member"
    );
    let blog_session = browser
        .cookie(&landed, "ra_session")
        .expect("a blog session cookie");

    for app in [AppName::Cart, AppName::Account] {
        let (landed, page) = browser
            .visit(&t.fleet.at(app, "/auth/login?return_to=/"))
            .await;
        assert_eq!(landed, t.fleet.at(app, "/"));
        assert!(
            signed_in_as(&page.body, "Nadia Boulanger"),
            "{app} knows the member"
        );
    }

    // Sign out on account (the confirmation page's form), and every app forgets the member.
    let logout_url = t.fleet.at(AppName::Account, "/auth/logout");
    let (_, confirm) = browser.visit(&logout_url).await;
    let csrf = form_value(&confirm.body, "csrf_token").expect("a CSRF token on the sign-out form");
    let (after, _) = browser
        .submit(&logout_url, &logout_url, &[("csrf_token", &csrf)])
        .await;
    assert_eq!(
        after,
        t.fleet.at(AppName::Account, "/"),
        "back on account after federation's end_session"
    );
    for app in [
        AppName::Blog,
        AppName::Cart,
        AppName::Account,
        AppName::Federation,
    ] {
        let (_, page) = browser.visit(&t.fleet.at(app, "/")).await;
        assert!(
            !page.body.contains("class=\"who\""),
            "{app} shows the member signed out"
        );
    }
    // The blog's session was deleted by the back-channel logout, not merely hidden.
    let blog_store = t.fleet.ctx(AppName::Blog).sessions();
    assert_eq!(blog_store.load(&blog_session).await.unwrap(), None);

    // Signing in on the blog again needs the password (federation's session is gone too).
    let (landed, _) = browser
        .visit(&t.fleet.at(AppName::Blog, "/auth/login?return_to=/"))
        .await;
    assert!(
        landed.starts_with(&t.fleet.at(AppName::Federation, "/login")),
        "{landed}"
    );
    t.stop().await;
}

#[actix_web::test]
async fn sign_up_sign_in_and_reset_never_reveal_who_has_an_account() {
    let t = TestFleet::start().await;
    let email = address(&t, "ana");
    sign_up(&t, "ana", &email, "a quiet orchard path").await;

    // Signing up again with the same address looks exactly like a new sign-up...
    let browser = Browser::new();
    let signup_url = t.fleet.at(AppName::Federation, "/signup");
    let (_, form) = browser.visit(&signup_url).await;
    let csrf = form_value(&form.body, "csrf_token").unwrap();
    let (_, again) = browser
        .submit(
            &signup_url,
            &signup_url,
            &[
                ("csrf_token", &csrf),
                ("username", "ana2"),
                ("email", &email),
                ("password", "another long phrase"),
            ],
        )
        .await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains("Check your e-mail"));
    // ...while the owner hears about it.
    let warning = mail_sink().wait_for(&email, 2).await.unwrap();
    assert_eq!(warning.subject(), Some("Your Rose Ash account"));

    // Wrong password and unknown account: the same answer.
    let login_url = t.fleet.at(AppName::Federation, "/login");
    let (_, form) = browser.visit(&login_url).await;
    let csrf = form_value(&form.body, "csrf_token").unwrap();
    let (_, wrong) = browser
        .submit(
            &login_url,
            &login_url,
            &[
                ("csrf_token", &csrf),
                ("login", "ana"),
                ("password", "not it at all"),
            ],
        )
        .await;
    let (_, nobody) = browser
        .submit(
            &login_url,
            &login_url,
            &[
                ("csrf_token", &csrf),
                ("login", "nobody"),
                ("password", "not it at all"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(nobody.status, 401);
    assert!(
        wrong.body.contains("Wrong username, e-mail or password.")
            && nobody.body.contains("Wrong username, e-mail or password.")
    );

    // Reset for a known and an unknown address: the same page; only the known one gets mail.
    let forgot_url = t.fleet.at(AppName::Federation, "/password/forgot");
    let (_, form) = browser.visit(&forgot_url).await;
    let csrf = form_value(&form.body, "csrf_token").unwrap();
    let stranger = address(&t, "stranger");
    let (_, known) = browser
        .submit(
            &forgot_url,
            &forgot_url,
            &[("csrf_token", &csrf), ("email", &email)],
        )
        .await;
    let (_, unknown) = browser
        .submit(
            &forgot_url,
            &forgot_url,
            &[("csrf_token", &csrf), ("email", &stranger)],
        )
        .await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(
        known.body.replace(&email, "X"),
        unknown.body.replace(&stranger, "X")
    );
    let reset = mail_sink().wait_for(&email, 3).await.expect("a reset mail");
    assert!(mail_sink().to(&stranger).is_empty());

    // The reset link works once.
    let link = reset
        .links()
        .into_iter()
        .find(|l| l.contains("/password/reset/"))
        .unwrap();
    let (_, reset_form) = browser.visit(&link).await;
    let csrf = form_value(&reset_form.body, "csrf_token").unwrap();
    let (landed, _) = browser
        .submit(
            &link,
            &link,
            &[
                ("csrf_token", &csrf),
                ("password", "a brand new passphrase"),
            ],
        )
        .await;
    assert!(landed.contains("/login"), "{landed}");
    let (_, reused) = browser.visit(&link).await;
    assert_eq!(reused.status, 400, "a used reset link is refused");
    let (_, signed_in) = browser
        .submit(
            &login_url,
            &login_url,
            &[
                ("csrf_token", &csrf),
                ("login", &email),
                ("password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(signed_in.status, 200);
    assert!(signed_in.body.contains("class=\"who\"") || signed_in.body.contains("Our members"));
    t.stop().await;
}

#[actix_web::test]
async fn repeated_wrong_passwords_are_rate_limited_with_a_clear_message() {
    let t = TestFleet::start().await;
    let email = address(&t, "lili");
    let browser = sign_up(&t, "lili", &email, "piano and organ music").await;
    let login_url = t.fleet.at(AppName::Federation, "/login");
    let fresh = Browser::new();
    let (_, form) = fresh.visit(&login_url).await;
    let csrf = form_value(&form.body, "csrf_token").unwrap();
    let mut last = None;
    for _ in 0..6 {
        let (_, page) = fresh
            .submit(
                &login_url,
                &login_url,
                &[
                    ("csrf_token", &csrf),
                    ("login", "lili"),
                    ("password", "wrong guess!!"),
                ],
            )
            .await;
        last = Some(page);
    }
    let last = last.unwrap();
    assert_eq!(last.status, 429);
    assert!(last.body.contains("Too many sign-in attempts"));
    // Even the right password waits now.
    let (_, right) = fresh
        .submit(
            &login_url,
            &login_url,
            &[
                ("csrf_token", &csrf),
                ("login", "lili"),
                ("password", "piano and organ music"),
            ],
        )
        .await;
    assert_eq!(right.status, 429);
    drop(browser);
    t.stop().await;
}

#[actix_web::test]
async fn back_channel_logout_tokens_are_validated_before_anything_is_dropped() {
    use shared::infrastructure::jose::SigningKey;
    use shared::infrastructure::session::SessionData;
    use shared::infrastructure::sso::BACKCHANNEL_EVENT;

    let t = TestFleet::start().await;
    // Federation's signing key exists once federation served its keys.
    let jwks = shared::testing::http_client()
        .get(t.fleet.at(AppName::Federation, "/oauth/jwks"))
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.status(), 200);
    let row = {
        let mut conn = t.db.conn().await;
        shared::models::oauth::signing_keys(&mut conn)
            .await
            .unwrap()
            .remove(0)
    };
    let key = SigningKey::from_pem(&row.kid, &row.private_pem).unwrap();
    let issuer = t
        .fleet
        .url(AppName::Federation)
        .as_str()
        .trim_end_matches('/')
        .to_owned();

    // A blog session belonging to sign-on session "sid-1".
    let store = t.fleet.ctx(AppName::Blog).sessions();
    let mut data = SessionData::for_user(Some(1));
    data.sso_sid = Some("sid-1".into());
    let blog_sid = store.create(&data).await.unwrap();

    let now = chrono::Utc::now().timestamp();
    let claims = |jti: &str| {
        serde_json::json!({
            "iss": issuer, "aud": "blog", "iat": now, "exp": now + 120, "jti": jti,
            "sub": "1", "sid": "sid-1", "events": { BACKCHANNEL_EVENT: {} },
        })
    };
    let post = |token: String| {
        let url = t.fleet.at(AppName::Blog, "/auth/backchannel-logout");
        async move {
            shared::testing::http_client()
                .post(url)
                .form(&[("logout_token", token)])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let stranger = SigningKey::generate(&row.kid).unwrap();
    let mut with_nonce = claims("j2");
    with_nonce["nonce"] = "n".into();
    let mut other_aud = claims("j3");
    other_aud["aud"] = "cart".into();
    let mut no_event = claims("j4");
    no_event["events"] = serde_json::json!({});
    let mut stale = claims("j5");
    stale["iat"] = (now - 3600).into();
    for (what, token) in [
        ("garbage", "not.a.token".to_owned()),
        (
            "signed by someone else",
            stranger.sign("logout+jwt", &claims("j1")).unwrap(),
        ),
        ("with a nonce", key.sign("logout+jwt", &with_nonce).unwrap()),
        (
            "for another app",
            key.sign("logout+jwt", &other_aud).unwrap(),
        ),
        (
            "without the logout event",
            key.sign("logout+jwt", &no_event).unwrap(),
        ),
        (
            "issued an hour ago",
            key.sign("logout+jwt", &stale).unwrap(),
        ),
    ] {
        assert_eq!(post(token).await, 400, "{what}");
        assert!(
            store.load(&blog_sid).await.unwrap().is_some(),
            "{what}: the session stays"
        );
    }
    let valid = key.sign("logout+jwt", &claims("j9")).unwrap();
    assert_eq!(post(valid.clone()).await, 200);
    assert_eq!(
        store.load(&blog_sid).await.unwrap(),
        None,
        "the session is gone"
    );
    assert_eq!(post(valid).await, 400, "a logout token is accepted once");
    t.stop().await;
}
