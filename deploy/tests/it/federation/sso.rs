//! One login for six apps: sign-up with e-mail confirmation, single sign-on across apps,
//! single sign-out, password reset, the second factor and sign-in rate limits.

use shared::AppName;

use crate::support::browser::{Browser, form_value};
use crate::support::people::{address, sign_up};
use crate::support::{TestFleet, mail_sink};

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
        federation::db::oauth::signing_keys(&mut conn)
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
    let mut data = SessionData::for_user(Some(1)).unwrap();
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

/// The text between `before` and the next `after` in `html`.
fn between<'a>(html: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let start = html.find(before)? + before.len();
    let end = html[start..].find(after)? + start;
    Some(&html[start..end])
}

/// Signs germaine in with her password; returns the second-factor page's URL and CSRF token.
async fn sign_in_password(t: &TestFleet, browser: &Browser) -> (String, String) {
    let login = t.fleet.at(AppName::Federation, "/login");
    let (_, form) = browser.visit(&login).await;
    let csrf = form_value(&form.body, "csrf_token").unwrap();
    let (landed, page) = browser
        .submit(
            &login,
            &login,
            &[
                ("csrf_token", &csrf),
                ("login", "germaine"),
                ("password", "six for the piano"),
            ],
        )
        .await;
    assert!(
        landed.contains("/login/second-factor"),
        "the password alone is not enough: {landed}"
    );
    (landed, form_value(&page.body, "csrf_token").unwrap())
}

#[actix_web::test]
async fn two_step_sign_in_with_an_authenticator_or_a_recovery_code() {
    use federation::accounts::totp;

    let t = TestFleet::start().await;
    let email = address(&t, "germaine");
    let browser = sign_up(&t, "germaine", &email, "six for the piano").await;
    let security = t.fleet.at(AppName::Federation, "/account/security");
    let (_, page) = browser.visit(&security).await;
    let csrf = form_value(&page.body, "csrf_token").unwrap();
    let start = t
        .fleet
        .at(AppName::Federation, "/account/security/totp/start");
    let (_, enrol) = browser
        .submit(
            &security,
            &start,
            &[("csrf_token", &csrf), ("password", "six for the piano")],
        )
        .await;
    assert!(enrol.body.contains("<svg"), "a QR code to scan");
    let secret = between(&enrol.body, "enter this key by hand: <code>", "</code>")
        .unwrap()
        .to_owned();
    let now_code = || {
        let raw = totp::base32_decode(&secret).unwrap();
        totp::code_at(
            &raw,
            (chrono::Utc::now().timestamp() / totp::STEP_SECS) as u64,
        )
        .unwrap()
    };
    let confirm = t
        .fleet
        .at(AppName::Federation, "/account/security/totp/confirm");
    let (_, codes_page) = browser
        .submit(
            &start,
            &confirm,
            &[("csrf_token", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(codes_page.status, 400, "a wrong code does not switch it on");
    let (_, codes_page) = browser
        .submit(
            &start,
            &confirm,
            &[("csrf_token", &csrf), ("code", &now_code())],
        )
        .await;
    assert!(codes_page.body.contains("Two-step sign-in is on"));
    let recovery: Vec<String> = codes_page
        .body
        .split("<li><code>")
        .skip(1)
        .filter_map(|c| c.split("</code>").next())
        .map(str::to_owned)
        .collect();
    assert_eq!(recovery.len(), 10);

    let logout = t.fleet.at(AppName::Federation, "/logout");
    browser
        .submit(&security, &logout, &[("csrf_token", &csrf)])
        .await;

    let fresh = Browser::new();
    let (step, csrf) = sign_in_password(&t, &fresh).await;
    let action = t.fleet.at(AppName::Federation, "/login/second-factor");
    let (_, wrong) = fresh
        .submit(&step, &action, &[("csrf_token", &csrf), ("code", "123456")])
        .await;
    assert_eq!(wrong.status, 401);
    let code = now_code();
    let (_, home) = fresh
        .submit(&step, &action, &[("csrf_token", &csrf), ("code", &code)])
        .await;
    assert_eq!(home.status, 200);
    assert!(
        home.body.contains("class=\"who\""),
        "signed in after the second step"
    );

    // The same code twice is refused; a recovery code works once.
    let (_, page) = fresh.visit(&security).await;
    let csrf = form_value(&page.body, "csrf_token").unwrap();
    fresh
        .submit(&security, &logout, &[("csrf_token", &csrf)])
        .await;
    let again = Browser::new();
    let (step, csrf) = sign_in_password(&t, &again).await;
    let (_, replay) = again
        .submit(&step, &action, &[("csrf_token", &csrf), ("code", &code)])
        .await;
    assert_eq!(replay.status, 401, "a one-time code is used once");
    let (_, home) = again
        .submit(
            &step,
            &action,
            &[("csrf_token", &csrf), ("code", &recovery[0])],
        )
        .await;
    assert!(
        home.body.contains("class=\"who\""),
        "a recovery code signs in"
    );
    let (_, page) = again.visit(&security).await;
    let csrf = form_value(&page.body, "csrf_token").unwrap();
    again
        .submit(&security, &logout, &[("csrf_token", &csrf)])
        .await;
    let last = Browser::new();
    let (step, csrf) = sign_in_password(&t, &last).await;
    let (_, spent) = last
        .submit(
            &step,
            &action,
            &[("csrf_token", &csrf), ("code", &recovery[0])],
        )
        .await;
    assert_eq!(spent.status, 401, "a recovery code is used once");
    t.stop().await;
}

#[actix_web::test]
async fn rotating_the_signing_key_keeps_sign_in_working() {
    let t = TestFleet::start().await;
    let email = address(&t, "cecile");
    let browser = sign_up(&t, "cecile", &email, "concertino for flute").await;
    let (_, blog) = browser
        .visit(&t.fleet.at(AppName::Blog, "/auth/login?return_to=/"))
        .await;
    assert!(signed_in_as(&blog.body, "Nadia Boulanger"));
    {
        let mut conn = t.db.conn().await;
        let user = shared::models::users::by_username(&mut conn, "cecile")
            .await
            .unwrap()
            .unwrap();
        federation::db::users::set_role(&mut conn, user.id, "admin")
            .await
            .unwrap();
    }
    let jwks = |t: &TestFleet| {
        let url = t.fleet.at(AppName::Federation, "/oauth/jwks");
        async move {
            let set: serde_json::Value = shared::testing::http_client()
                .get(url)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            set["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["kid"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let before = jwks(&t).await;
    assert_eq!(before.len(), 1);
    let admin = t.fleet.at(AppName::Federation, "/admin");
    let (_, page) = browser.visit(&admin).await;
    assert_eq!(page.status, 200, "an admin sees the admin page");
    let csrf = form_value(&page.body, "csrf_token").unwrap();
    let (_, after_rotation) = browser
        .submit(
            &admin,
            &t.fleet.at(AppName::Federation, "/admin/keys/rotate"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(after_rotation.status, 200);
    let after = jwks(&t).await;
    assert_eq!(after.len(), 2, "the old key stays published");
    assert!(after.contains(&before[0]));
    // A sign-in on another app now gets a token signed with the new key, which its cached JWKS
    // does not know yet: it refetches.
    let (_, cart) = browser
        .visit(&t.fleet.at(AppName::Cart, "/auth/login?return_to=/"))
        .await;
    assert!(signed_in_as(&cart.body, "Nadia Boulanger"));
    // Members cannot administer.
    let member = sign_up(&t, "jeanne", &address(&t, "jeanne"), "sonata for violin").await;
    let (_, refused) = member.visit(&admin).await;
    assert_eq!(refused.status, 403);
    t.stop().await;
}

#[actix_web::test]
async fn signing_in_on_the_cart_adopts_the_anonymous_cart() {
    let t = TestFleet::start().await;
    crate::support::fixtures::world(&mut t.db.conn().await).await;
    let email = address(&t, "louise");
    let browser = sign_up(&t, "louise", &email, "farrenc symphonies").await;
    // Anonymous on the cart app: add from a market page.
    let product = t.fleet.at(AppName::Market, "/products/cider-vinegar");
    let (_, added) = browser
        .submit(
            &product,
            &t.fleet.at(AppName::Cart, "/cart/items"),
            &[("product", "cider-vinegar"), ("quantity", "2")],
        )
        .await;
    assert!(
        added.body.contains("Cider vinegar"),
        "the anonymous cart holds it"
    );
    assert!(!added.body.contains("class=\"who\""));
    let (_, cart) = browser
        .visit(&t.fleet.at(AppName::Cart, "/auth/login?return_to=/"))
        .await;
    assert!(signed_in_as(&cart.body, "Nadia Boulanger"));
    assert!(
        cart.body.contains("Cider vinegar"),
        "the member's cart has the anonymous lines"
    );
    let (_, blog) = browser
        .visit(&t.fleet.at(AppName::Blog, "/auth/login?return_to=/"))
        .await;
    assert!(
        blog.body.contains(r#"<span class="count">2</span>"#),
        "and every app's mini-cart shows it"
    );
    t.stop().await;
}
