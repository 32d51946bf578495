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

/// Keys under `prefix` in the Redis database at `url`.
async fn keys_in(url: &str, prefix: &str) -> Vec<String> {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    keys.sort();
    keys.into_iter()
        .map(|k| k[prefix.len()..].to_owned())
        .collect()
}

#[actix_web::test]
async fn a_crawler_cannot_grow_the_page_cache_which_lives_apart_from_security_state() {
    // The caches get their own Redis database, as the stack gives them their own instance.
    let main_url = shared::testing::services().await.redis_url.clone();
    let mut cache_url = url::Url::parse(&main_url).unwrap();
    cache_url.set_path("/1");
    let cache_url = cache_url.to_string();
    let t = TestFleet::start_with(&[("REDIS_CACHE_URL", &cache_url)]).await;
    let prefix = t.fleet.ctx(AppName::Blog).redis().prefix().to_owned();
    let ann = t
        .sign_in(
            AppName::Blog,
            crate::support::people::person(&t, "ann", "author").await,
        )
        .await;
    let body = serde_json::json!({
        "title": "Crawled pears", "markdown": "Words.", "tags": ["Orchard"],
        "excerpt": "", "status": "published"
    });
    let (status, _) = crate::support::people::api(
        &t,
        reqwest::Method::POST,
        "/editor/api/posts",
        Some(&body),
        Some(&ann),
    )
    .await;
    assert!(status.is_success(), "{status}");

    let fleet = &t;
    let cache = |path: &'static str| async move {
        let p = fleet.get(AppName::Blog, path, None).await;
        (
            p.status,
            p.headers
                .get("x-cache")
                .map(|v| v.to_str().unwrap().to_owned()),
        )
    };
    let ok = StatusCode::OK;
    // A listing's page is one key however its number is written.
    assert_eq!(cache("/?page=01").await, (ok, Some("MISS".into())));
    assert_eq!(cache("/?page=1").await, (ok, Some("HIT".into())));
    assert_eq!(cache("/?page=000001").await, (ok, Some("HIT".into())));
    assert_eq!(
        cache("/tag/orchard?page=1").await,
        (ok, Some("MISS".into()))
    );
    assert_eq!(
        cache("/tag/orchard?page=01").await,
        (ok, Some("HIT".into()))
    );
    // Past the last page there is nothing to cache.
    assert_eq!(cache("/?page=2").await.0, StatusCode::NOT_FOUND);
    // `?page` on a post is not a page of anything: rendered, never cached.
    assert_eq!(cache("/posts/crawled-pears?page=3").await, (ok, None));
    assert_eq!(cache("/posts/crawled-pears?page=3").await, (ok, None));

    // The crawler loop.
    for n in 1..40 {
        for path in [
            format!("/?page={n}"),
            format!("/?page=0{n}"),
            format!("/posts/crawled-pears?page={n}"),
            format!("/tag/orchard?page={n}"),
            format!("/rss.xml?page={n}"),
        ] {
            let p = t.get(AppName::Blog, &path, None).await;
            assert!(
                [StatusCode::OK, StatusCode::NOT_FOUND].contains(&p.status),
                "{path}: {}",
                p.status
            );
        }
    }
    let pages: Vec<String> = keys_in(&cache_url, &prefix)
        .await
        .into_iter()
        .filter(|k| k.starts_with("page:"))
        .collect();
    assert_eq!(pages, ["page:/?page=1", "page:/tag/orchard?page=1"]);
    // The caches wrote nothing to the main Redis; sessions stayed there.
    let main = keys_in(&main_url, &prefix).await;
    assert!(
        main.iter()
            .all(|k| !k.starts_with("page:") && !k.starts_with("f:") && !k.starts_with("fgen")),
        "{main:?}"
    );
    assert!(main.iter().any(|k| k.starts_with("sess:")), "{main:?}");
    // Tidy the cache database (the fleet's own clean-up knows only the main one).
    let stale = keys_in(&cache_url, &prefix).await;
    let client = redis::Client::open(cache_url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    for key in stale {
        let _: i64 = redis::cmd("DEL")
            .arg(format!("{prefix}{key}"))
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    t.stop().await;
}

/// Connections to the test's database by `application_name` (the pools name theirs after the
/// app; the dedicated `LISTEN` connections are unnamed), this one left out.
async fn connections(t: &TestFleet) -> Vec<(String, i64)> {
    use diesel::sql_types::{BigInt, Text};
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT application_name AS name, count(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() \
         GROUP BY application_name ORDER BY application_name",
    )
    .load(&mut t.db.conn().await)
    .await
    .unwrap();
    rows.into_iter().map(|r| (r.name, r.n)).collect()
}

#[actix_web::test]
async fn the_apps_open_the_dedicated_connections_the_stack_is_sized_for() {
    let t = TestFleet::start().await;
    let expected: i64 = AppName::ALL
        .iter()
        .map(|&app| i64::from(deploy::capacity::dedicated_connections(app)))
        .sum();
    let unnamed = |rows: &[(String, i64)]| {
        rows.iter()
            .find(|(name, _)| name.is_empty())
            .map_or(0, |(_, n)| *n)
    };
    crate::support::eventually(10, "the LISTEN connections", || async {
        unnamed(&connections(&t).await) >= expected
    })
    .await;
    // Busy pools do not add any: only the pools grow, up to DB_POOL_SIZE.
    join_all(AppName::ALL.iter().map(|&app| t.get(app, "/readyz", None))).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let rows = connections(&t).await;
    assert_eq!(unnamed(&rows), expected, "{rows:?}");
    let pool_size = i64::try_from(t.fleet.ctx(AppName::Blog).config().database.pool_size).unwrap();
    for (name, n) in &rows {
        assert!(name.is_empty() || *n <= pool_size, "{rows:?}");
    }
    t.stop().await;
}
