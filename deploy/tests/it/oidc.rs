//! Federation driven by a third-party OpenID Connect client library (`openidconnect`), and
//! protocol abuse answered with the right OAuth errors.

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
use shared::infrastructure::session::token_digest;
use shared::models::oauth::{self, NewClient};

use crate::browser::{Browser, absolute, form_value};
use crate::sso::{address, sign_up};
use crate::support::TestFleet;

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
