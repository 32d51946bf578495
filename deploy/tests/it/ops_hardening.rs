//! Operational hardening (issue 10, items 10–13): rate limits an attacker cannot dodge or race,
//! a page cache whose keys are bounded, metrics whose series are bounded.

use futures_util::future::join_all;
use reqwest::StatusCode;
use shared::AppName;

use crate::support::{Page, TestFleet, page};

/// `POST /login` at federation as a cookie-less script sends it, with extra headers.
async fn login(t: &TestFleet, account: &str, headers: &[(&str, &str)]) -> Page {
    let origin = t
        .fleet
        .url(AppName::Federation)
        .origin()
        .ascii_serialization();
    let mut req = t
        .client
        .post(t.fleet.at(AppName::Federation, "/login"))
        .header("origin", origin)
        .header("sec-fetch-site", "same-origin")
        .form(&[("login", account), ("password", "not the password at all")]);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    page(req.send().await.unwrap()).await
}

#[actix_web::test]
async fn forged_forwarding_headers_do_not_reset_the_ip_limit() {
    let t = TestFleet::start().await;
    // Each attempt names a new account (so only the per-IP limit can apply) and claims to come
    // from a new address; with no trusted proxy configured, the claims are ignored.
    for i in 0..20 {
        let forged = format!("198.51.100.{i}");
        let p = login(
            &t,
            &format!("nobody{i}"),
            &[
                ("x-forwarded-for", &forged),
                ("forwarded", &format!("for={forged}")),
                ("x-real-ip", &forged),
            ],
        )
        .await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let p = login(
        &t,
        "nobody-else",
        &[
            ("x-forwarded-for", "203.0.113.99"),
            ("forwarded", "for=203.0.113.99"),
        ],
    )
    .await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    t.stop().await;
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() {
    let t = TestFleet::start_with(&[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    for i in 0..20 {
        let p = login(
            &t,
            &format!("nobody{i}"),
            &[("x-forwarded-for", "198.51.100.7")],
        )
        .await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    // The client prepends a made-up address; the proxy appended the real one.
    let p = login(
        &t,
        "nobody-else",
        &[("x-forwarded-for", "192.0.2.1, 198.51.100.7")],
    )
    .await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    // Another client behind the same proxy has its own limit.
    let p = login(&t, "nobody-else", &[("x-forwarded-for", "198.51.100.8")]).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    t.stop().await;
}

#[actix_web::test]
async fn a_parallel_burst_gets_exactly_the_limit_through() {
    let t = TestFleet::start().await;
    let burst = 20;
    let pages = join_all((0..burst).map(|_| login(&t, "target", &[]))).await;
    let through = pages
        .iter()
        .filter(|p| p.status != StatusCode::TOO_MANY_REQUESTS)
        .count();
    // Past the limiter a guess is answered 401 (or 503 when every hasher is busy).
    for p in &pages {
        assert!(
            [
                StatusCode::UNAUTHORIZED,
                StatusCode::SERVICE_UNAVAILABLE,
                StatusCode::TOO_MANY_REQUESTS
            ]
            .contains(&p.status),
            "{}",
            p.status
        );
    }
    assert_eq!(
        through,
        ::federation::accounts::rate_limit::PER_ACCOUNT as usize,
        "{:?}",
        pages.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    t.stop().await;
}

/// The `http_requests_total` lines of an app's `/metrics`.
async fn request_series(t: &TestFleet, app: AppName) -> Vec<String> {
    let metrics = t.get(app, "/metrics", None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    metrics
        .body
        .lines()
        .filter(|l| l.starts_with("http_requests_total{"))
        .map(|l| {
            l.rsplit_once(' ')
                .map_or(l, |(labels, _)| labels)
                .to_owned()
        })
        .collect()
}

#[actix_web::test]
async fn made_up_methods_and_paths_do_not_grow_the_metrics() {
    let t = TestFleet::start().await;
    let app = AppName::Blog;
    let send = |method: String, path: String| {
        let req = t.client.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            t.fleet.at(app, &path),
        );
        async move { req.send().await.unwrap().status() }
    };
    // One of each kind first, so that the series they use exist.
    send("BREW".into(), "/no/such/page-0".into()).await;
    send("GET".into(), "/no/such/page-0".into()).await;
    // (`/metrics` counts itself once it has been served.)
    request_series(&t, app).await;
    let before = request_series(&t, app).await;
    for i in 1..60 {
        send(format!("M{i}X"), format!("/no/such/page-{i}")).await;
        send("GET".into(), format!("/random-{i}/x?y={i}")).await;
    }
    let after = request_series(&t, app).await;
    assert_eq!(before, after);
    let text = after.join("\n");
    assert!(
        text.contains("route=\"unmatched\",method=\"other\""),
        "{text}"
    );
    assert!(!text.contains("page-") && !text.contains("M1X"), "{text}");
    t.stop().await;
}
