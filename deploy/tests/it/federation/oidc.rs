//! Federation driven by a third-party OpenID Connect client library (`openidconnect`), and
//! protocol abuse answered with the right OAuth errors.

use federation::db::oauth;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreTokenIntrospectionResponse,
    CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IntrospectionUrl, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenIntrospectionResponse,
    TokenResponse,
};
use shared::AppName;
use shared::crypto::token_digest;
use shared::models::oauth::NewClient;

use crate::support::TestFleet;
use crate::support::browser::{Browser, absolute, form_value};
use crate::support::people::{address, sign_up};

const CLIENT_ID: &str = "quince-app";
const CLIENT_SECRET: &str = "quince-app-secret-0123456789abcdef";
const REDIRECT: &str = "http://quince.localhost:9999/callback";

/// The library's HTTP client: our reqwest (which resolves *.localhost), no redirects.
async fn http(
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, reqwest::Error> {
    let client = shared::testing::http_client();
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await?;
    let mut builder = http::Response::builder().status(response.status());
    for (k, v) in response.headers() {
        builder = builder.header(k, v);
    }
    let body = response.bytes().await?.to_vec();
    Ok(builder.body(body).unwrap_or_default())
}

async fn register_third_party(t: &TestFleet) {
    let mut conn = t.db.conn().await;
    oauth::insert_client(
        &mut conn,
        &NewClient {
            client_id: CLIENT_ID.into(),
            name: "Quince Recipes".into(),
            secret_hash: token_digest(CLIENT_SECRET),
            redirect_uris: vec![REDIRECT.into()],
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
            first_party: false,
        },
    )
    .await
    .unwrap();
}

/// Follows the browser through authorize (and consent) until it is sent to the client's
/// redirect URI; returns that URL's query parameters.
async fn authorize(browser: &Browser, url: &str) -> std::collections::HashMap<String, String> {
    let mut url = url.to_owned();
    for _ in 0..10 {
        let (page, location) = browser.get(&url).await;
        if let Some(next) = location {
            if next.starts_with(REDIRECT) {
                return url::Url::parse(&next)
                    .unwrap()
                    .query_pairs()
                    .into_owned()
                    .collect();
            }
            url = next;
            continue;
        }
        // The consent page: allow.
        let csrf = form_value(&page.body, "csrf_token").expect("consent form");
        let pending = form_value(&page.body, "pending").expect("consent form");
        let action = absolute(&url, "/oauth/authorize/consent");
        let (_, done) = browser
            .submit_raw(
                &url,
                &action,
                &[
                    ("csrf_token", &csrf),
                    ("pending", &pending),
                    ("decision", "allow"),
                ],
            )
            .await;
        let location = done.expect("consent redirects");
        if location.starts_with(REDIRECT) {
            return url::Url::parse(&location)
                .unwrap()
                .query_pairs()
                .into_owned()
                .collect();
        }
        url = location;
    }
    panic!("authorization never reached the client");
}

#[actix_web::test]
async fn a_third_party_oidc_client_library_drives_federation_end_to_end() {
    let t = TestFleet::start().await;
    register_third_party(&t).await;
    let email = address(&t, "clara");
    let browser = sign_up(&t, "clara", &email, "pleasant piano pieces").await;
    let issuer = t
        .fleet
        .url(AppName::Federation)
        .as_str()
        .trim_end_matches('/')
        .to_owned();

    // Discovery (and the JWKS it names).
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone()).unwrap(), &http)
            .await
            .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(CLIENT_ID.into()),
        Some(ClientSecret::new(CLIENT_SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap())
    .set_introspection_url(IntrospectionUrl::new(format!("{issuer}/oauth/introspect")).unwrap());

    // Code + PKCE, through the consent page a third-party client gets.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    let answer = authorize(&browser, auth_url.as_str()).await;
    assert_eq!(answer.get("state"), Some(state.secret()));
    assert_eq!(
        answer.get("iss"),
        Some(&issuer),
        "RFC 9207 iss in the authorization response"
    );
    let code = answer["code"].clone();

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an id_token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .expect("the id_token verifies");
    assert_eq!(
        claims.preferred_username().map(|u| u.as_str()),
        Some("clara")
    );
    let sub = claims.subject().as_str().to_owned();

    // Userinfo.
    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(info.subject().as_str(), sub);
    assert_eq!(info.email().map(|e| e.as_str()), Some(email.as_str()));
    assert_eq!(info.email_verified(), Some(true));

    // Introspection of the access token.
    let intro: CoreTokenIntrospectionResponse = client
        .introspect(tokens.access_token())
        .request_async(&http)
        .await
        .unwrap();
    assert!(intro.active());
    assert_eq!(intro.client_id().map(|c| c.as_str()), Some(CLIENT_ID));

    // Refresh with rotation: the new token works, the old one is refused and kills the family.
    let first_refresh = tokens.refresh_token().unwrap().clone();
    let refreshed = client
        .exchange_refresh_token(&first_refresh)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let second_refresh = refreshed.refresh_token().unwrap().clone();
    assert_ne!(second_refresh.secret(), first_refresh.secret());
    let reused = client
        .exchange_refresh_token(&first_refresh)
        .unwrap()
        .request_async(&http)
        .await;
    assert!(reused.is_err(), "a rotated refresh token is refused");
    let after_reuse = client
        .exchange_refresh_token(&second_refresh)
        .unwrap()
        .request_async(&http)
        .await;
    assert!(after_reuse.is_err(), "reuse revoked the whole family");
    let intro: CoreTokenIntrospectionResponse = client
        .introspect(refreshed.access_token())
        .request_async(&http)
        .await
        .unwrap();
    assert!(!intro.active(), "and its access tokens");

    // A fresh grant, then revocation (RFC 7009) of its refresh token ends it.
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, _, _) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let answer = authorize(&browser, auth_url.as_str()).await;
    let tokens = client
        .exchange_code(AuthorizationCode::new(answer["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let refresh = tokens.refresh_token().unwrap().clone();
    // (oauth2 refuses a revocation endpoint that is not https — RFC 7009 §2 — so this request
    // is made by hand, exactly as the library would send it over TLS.)
    let revoked = shared::testing::http_client()
        .post(format!("{issuer}/oauth/revoke"))
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[
            ("token", refresh.secret().as_str()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert!(
        client
            .exchange_refresh_token(&refresh)
            .unwrap()
            .request_async(&http)
            .await
            .is_err()
    );
    let intro: CoreTokenIntrospectionResponse = client
        .introspect(tokens.access_token())
        .request_async(&http)
        .await
        .unwrap();
    assert!(
        !intro.active(),
        "revoking the refresh token revoked its access token"
    );
    t.stop().await;
}

/// Raw protocol requests, as a misbehaving or malicious client would send them.
mod abuse {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use openssl::hash::{MessageDigest, hash};
    use shared::AppName;
    use shared::crypto::token_digest;
    use shared::db::schema::oauth_refresh_tokens;
    use shared::infrastructure::jose::b64url;

    use super::{CLIENT_ID, CLIENT_SECRET, REDIRECT, register_third_party};
    use crate::support::TestFleet;
    use crate::support::browser::Browser;
    use crate::support::people::{address, sign_up};

    const VERIFIER: &str = "a-perfectly-good-pkce-verifier-of-enough-length-0123456789";

    fn challenge(verifier: &str) -> String {
        b64url(&hash(MessageDigest::sha256(), verifier.as_bytes()).unwrap())
    }

    fn authorize_url(t: &TestFleet, extra: &[(&str, &str)]) -> String {
        let mut params = vec![
            ("response_type", "code".to_owned()),
            ("client_id", CLIENT_ID.to_owned()),
            ("redirect_uri", REDIRECT.to_owned()),
            ("scope", "openid profile".to_owned()),
            ("state", "the-state".to_owned()),
            ("nonce", "the-nonce".to_owned()),
            ("code_challenge", challenge(VERIFIER)),
            ("code_challenge_method", "S256".to_owned()),
        ];
        for (k, v) in extra {
            params.retain(|(name, _)| name != k);
            if !v.is_empty() {
                params.push((k, (*v).to_owned()));
            }
        }
        format!(
            "{}?{}",
            t.fleet.at(AppName::Federation, "/oauth/authorize"),
            serde_urlencoded::to_string(&params).unwrap()
        )
    }

    /// A signed-in member who has consented to the third-party client.
    async fn setup() -> (TestFleet, Browser) {
        let t = TestFleet::start().await;
        register_third_party(&t).await;
        let email = address(&t, "erik");
        let browser = sign_up(&t, "erik", &email, "gymnopedies for piano").await;
        let user_id = {
            let mut conn = t.db.conn().await;
            shared::models::users::by_username(&mut conn, "erik")
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let mut conn = t.db.conn().await;
        federation::db::oauth::grant_consent(&mut conn, user_id, CLIENT_ID, "openid profile email")
            .await
            .unwrap();
        (t, browser)
    }

    fn redirect_query(location: &str) -> std::collections::HashMap<String, String> {
        url::Url::parse(location)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    async fn code(t: &TestFleet, browser: &Browser) -> String {
        let (_, location) = browser.get(&authorize_url(t, &[])).await;
        let location = location.expect("a redirect to the client");
        assert!(location.starts_with(REDIRECT), "{location}");
        redirect_query(&location)["code"].clone()
    }

    async fn exchange(
        t: &TestFleet,
        code: &str,
        verifier: &str,
        redirect: &str,
        secret: &str,
    ) -> (u16, serde_json::Value) {
        let res = shared::testing::http_client()
            .post(t.fleet.at(AppName::Federation, "/oauth/token"))
            .basic_auth(CLIENT_ID, Some(secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or_default())
    }

    async fn refresh_tokens(t: &TestFleet) -> i64 {
        let mut conn = t.db.conn().await;
        oauth_refresh_tokens::table
            .count()
            .get_result(&mut conn)
            .await
            .unwrap()
    }

    #[actix_web::test]
    async fn authorization_requests_that_cannot_be_trusted_get_an_error_page_not_a_redirect() {
        let (t, browser) = setup().await;
        let evil = "https://evil.example/callback";
        for (what, url) in [
            (
                "wrong redirect_uri",
                authorize_url(&t, &[("redirect_uri", evil)]),
            ),
            (
                "redirect_uri with a suffix",
                authorize_url(&t, &[("redirect_uri", &format!("{REDIRECT}/x"))]),
            ),
            (
                "missing redirect_uri",
                authorize_url(&t, &[("redirect_uri", "")]),
            ),
            (
                "unknown client",
                authorize_url(&t, &[("client_id", "who-knows")]),
            ),
            (
                "extra redirect_uri",
                format!(
                    "{}&redirect_uri={}",
                    authorize_url(&t, &[]),
                    url::form_urlencoded::byte_serialize(evil.as_bytes()).collect::<String>()
                ),
            ),
        ] {
            let (page, location) = browser.get(&url).await;
            assert_eq!(page.status, 400, "{what}");
            assert!(location.is_none(), "{what}: never a redirect");
            assert!(page.body.contains("error-page"), "{what}: an error page");
        }
        t.stop().await;
    }

    #[actix_web::test]
    async fn bad_requests_from_a_known_client_go_back_with_the_right_error() {
        let (t, browser) = setup().await;
        let before = refresh_tokens(&t).await;
        for (what, extra, error) in [
            (
                "no PKCE",
                vec![("code_challenge", ""), ("code_challenge_method", "")],
                "invalid_request",
            ),
            (
                "plain PKCE",
                vec![
                    ("code_challenge", VERIFIER),
                    ("code_challenge_method", "plain"),
                ],
                "invalid_request",
            ),
            (
                "implicit flow",
                vec![("response_type", "token")],
                "unsupported_response_type",
            ),
            (
                "unknown scope",
                vec![("scope", "openid admin")],
                "invalid_scope",
            ),
        ] {
            let (_, location) = browser.get(&authorize_url(&t, &extra)).await;
            let location = location.unwrap_or_else(|| panic!("{what}: a redirect"));
            assert!(location.starts_with(REDIRECT), "{what}: {location}");
            let q = redirect_query(&location);
            assert_eq!(q.get("error").map(String::as_str), Some(error), "{what}");
            assert_eq!(
                q.get("state").map(String::as_str),
                Some("the-state"),
                "{what}"
            );
            assert!(q.contains_key("iss"), "{what}");
            assert!(!q.contains_key("code"), "{what}");
        }
        // prompt=none for a visitor who is not signed in: login_required, no page.
        let stranger = Browser::new();
        let (_, location) = stranger
            .get(&authorize_url(&t, &[("prompt", "none")]))
            .await;
        assert_eq!(
            redirect_query(&location.unwrap())
                .get("error")
                .map(String::as_str),
            Some("login_required")
        );
        assert_eq!(refresh_tokens(&t).await, before, "nothing was issued");
        t.stop().await;
    }

    #[actix_web::test]
    async fn token_requests_that_break_the_rules_get_the_right_oauth_error_and_change_nothing() {
        let (t, browser) = setup().await;
        let before = refresh_tokens(&t).await;

        let c = code(&t, &browser).await;
        assert_eq!(
            exchange(&t, &c, VERIFIER, REDIRECT, "wrong-secret").await.0,
            401,
            "bad client secret"
        );
        let c = code(&t, &browser).await;
        let (status, body) = exchange(
            &t,
            &c,
            "another-verifier-that-does-not-match-at-all-0123",
            REDIRECT,
            CLIENT_SECRET,
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "wrong verifier"
        );
        let c = code(&t, &browser).await;
        let (status, body) = exchange(
            &t,
            &c,
            VERIFIER,
            "http://quince.localhost:9999/other",
            CLIENT_SECRET,
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "redirect_uri differs"
        );
        let unknown = shared::testing::http_client()
            .post(t.fleet.at(AppName::Federation, "/oauth/token"))
            .basic_auth("who-knows", Some("x"))
            .form(&[("grant_type", "authorization_code"), ("code", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), 401, "unknown client");
        assert_eq!(
            unknown.json::<serde_json::Value>().await.unwrap()["error"],
            "invalid_client"
        );
        let password_grant = shared::testing::http_client()
            .post(t.fleet.at(AppName::Federation, "/oauth/token"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[
                ("grant_type", "password"),
                ("username", "erik"),
                ("password", "gymnopedies for piano"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            password_grant.json::<serde_json::Value>().await.unwrap()["error"],
            "unsupported_grant_type"
        );

        // An expired code (Redis expires it after 60 s; here, now).
        let c = code(&t, &browser).await;
        let key = t
            .fleet
            .ctx(AppName::Federation)
            .redis()
            .key(format!("oauth-code:{}", token_digest(&c)));
        let mut conn = t.fleet.ctx(AppName::Federation).redis().conn();
        redis::cmd("PEXPIRE")
            .arg(&key)
            .arg(1)
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let (status, body) = exchange(&t, &c, VERIFIER, REDIRECT, CLIENT_SECRET).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "expired code"
        );
        assert_eq!(
            refresh_tokens(&t).await,
            before,
            "no failure issued anything"
        );

        // A replayed code is refused and revokes what its first use issued.
        let c = code(&t, &browser).await;
        let (status, first) = exchange(&t, &c, VERIFIER, REDIRECT, CLIENT_SECRET).await;
        assert_eq!(status, 200);
        let (status, body) = exchange(&t, &c, VERIFIER, REDIRECT, CLIENT_SECRET).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "replayed code"
        );
        let intro = shared::testing::http_client()
            .post(t.fleet.at(AppName::Federation, "/oauth/introspect"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[("token", first["access_token"].as_str().unwrap())])
            .send()
            .await
            .unwrap()
            .json::<serde_json::Value>()
            .await
            .unwrap();
        assert_eq!(
            intro["active"], false,
            "the replay revoked the first exchange's tokens"
        );
        t.stop().await;
    }

    #[actix_web::test]
    async fn a_tampered_state_at_an_app_callback_is_refused() {
        let t = TestFleet::start().await;
        let email = address(&t, "fanny");
        let browser = sign_up(&t, "fanny", &email, "songs without words").await;
        let (_, location) = browser
            .get(&t.fleet.at(AppName::Blog, "/auth/login?return_to=/"))
            .await;
        let (_, back) = browser.get(&location.unwrap()).await;
        let callback = back.expect("federation sends the browser back");
        let mut url = url::Url::parse(&callback).unwrap();
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "state" {
                    format!("{v}x")
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        let (page, _) = browser.get(url.as_str()).await;
        assert_eq!(
            page.status, 400,
            "the state does not match this browser's transaction"
        );
        assert!(
            browser.cookie(url.as_str(), "ra_session").is_none(),
            "no session was made"
        );
        t.stop().await;
    }
}
