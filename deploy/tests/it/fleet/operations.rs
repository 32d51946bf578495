//! Operations: graceful shutdown on SIGTERM, and `/metrics`.

use std::process::Stdio;
use std::time::Duration;

use shared::AppName;
use shared::testing::{self, TestDb, TestRedis};

use crate::support::TestFleet;
use crate::support::fixtures;

#[actix_web::test]
async fn sigterm_drains_every_accepted_request() {
    let db = TestDb::new().await;
    fixtures::world(&mut db.conn().await).await;
    let redis = TestRedis::new(&db.name).await;
    // Each page waits 800 ms on a fragment owner that never answers, so requests are in flight
    // when the signal lands.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = testing::ephemeral_listener().local_addr().unwrap().port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_deploy"))
        .args(["serve", "blog"])
        .env("DATABASE_URL", &db.url)
        .env("REDIS_URL", &redis.url)
        .env("REDIS_PREFIX", &redis.prefix)
        .env("PORT", port.to_string())
        .env("WORKERS", "2")
        .env("FRAGMENT_TIMEOUT_MS", "800")
        .env(
            "INTERNAL_URL_MARKET",
            format!("http://127.0.0.1:{}/", silent.local_addr().unwrap().port()),
        )
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let client = testing::http_client();
    let base = format!("http://127.0.0.1:{port}");
    let mut ready = false;
    for _ in 0..100 {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the app came up");

    let requests: Vec<_> = (0..16)
        .map(|_| {
            let client = client.clone();
            let url = format!("{base}/");
            actix_web::rt::spawn(async move { client.get(url).send().await.map(|r| r.status()) })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());

    for request in requests {
        let status = request
            .await
            .unwrap()
            .expect("an accepted request completes after SIGTERM");
        assert_eq!(status, 200);
    }
    let exit = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(
        exit.success(),
        "the app exits cleanly after draining: {exit}"
    );
    drop(silent);
}

fn series_value(metrics: &str, prefix: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[actix_web::test]
async fn metrics_expose_the_named_series_and_they_move() {
    let t = TestFleet::start().await;
    fixtures::world(&mut t.db.conn().await).await;
    let before = t.get(AppName::Blog, "/metrics", None).await;
    assert_eq!(before.status, 200);
    assert!(
        before.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );

    // A visitor with a session: rendered each time (anonymous views come from the page cache).
    let visitor = shared::testing::session(t.fleet.ctx(AppName::Blog), None).await;
    for _ in 0..3 {
        assert_eq!(t.get(AppName::Blog, "/", Some(&visitor)).await.status, 200);
    }
    let after = t.get(AppName::Blog, "/metrics", None).await.body;
    for name in [
        "# TYPE http_requests_total counter",
        "# TYPE http_request_duration_seconds histogram",
        "http_request_duration_seconds_bucket{app=\"blog\",route=\"/\",method=\"GET\",status=\"2xx\",le=\"+Inf\"}",
        "fragment_cache_hits_total{app=\"blog\"}",
        "fragment_cache_misses_total{app=\"blog\"}",
        "fragment_cache_stale_total{app=\"blog\"}",
        "db_pool_connections{app=\"blog\",state=\"in_use\"}",
        "db_pool_connections{app=\"blog\",state=\"max\"}",
    ] {
        assert!(after.contains(name), "/metrics has {name}:\n{after}");
    }
    let home = "http_requests_total{app=\"blog\",route=\"/\",method=\"GET\",status=\"2xx\"}";
    assert_eq!(series_value(&before.body, home), 0.0);
    assert_eq!(series_value(&after, home), 3.0);
    assert!(
        series_value(&after, "fragment_cache_misses_total{app=\"blog\"}") >= 5.0,
        "first render missed"
    );
    assert!(
        series_value(&after, "fragment_cache_hits_total{app=\"blog\"}") >= 10.0,
        "later renders hit"
    );
    let cart = t.get(AppName::Cart, "/metrics", None).await.body;
    assert!(
        series_value(
            &cart,
            "http_requests_total{app=\"cart\",route=\"/internal/fragments/mini-cart\""
        ) >= 1.0
    );
    t.stop().await;
}

/// A client that pools an idle connection (ours for 60 s, Caddy for 120 s) must find it still
/// open: with actix's default 5 s keep-alive the server closed it under the client, and the
/// next request on it failed (`IncompleteMessage`).
#[actix_web::test]
async fn idle_connections_stay_open_longer_than_clients_pool_them() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let t = TestFleet::start().await;
    let url = t.fleet.url(AppName::Blog);
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", url.port().unwrap()))
        .await
        .unwrap();
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n",
        url.host_str().unwrap()
    );
    for round in 0..2 {
        conn.write_all(request.as_bytes()).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), conn.read(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        let head = String::from_utf8_lossy(&buf[..n]);
        assert!(
            head.starts_with("HTTP/1.1 200"),
            "round {round}: {head:?} (0 bytes: the server closed the idle connection)"
        );
        if round == 0 {
            tokio::time::sleep(Duration::from_secs(7)).await;
        }
    }
    t.stop().await;
}
