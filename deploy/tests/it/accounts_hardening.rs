//! Accounts at federation under attack: bursts of password guesses, second-factor takeover,
//! sessions that outlive a password change, confirmation links opened anywhere.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use reqwest::StatusCode;
use shared::AppName;
use shared::models::users::{self, NewUser};

use crate::support::{Page, TestFleet, page};

const PASSWORD: &str = "clara plays schumann";

/// A member with a confirmed address and `PASSWORD`; returns their id.
async fn member(t: &TestFleet, username: &str) -> i64 {
    let hash = federation::accounts::passwords::hash_blocking(PASSWORD).unwrap();
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
}

/// An HTTP client whose connections come from `ip` (any 127.x address is this machine), so each
/// attacker is a different client IP to the rate limiter.
fn client_from(t: &TestFleet, ip: Ipv4Addr) -> reqwest::Client {
    let url = t.fleet.url(AppName::Federation);
    let addr = SocketAddr::new(
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        url.port_or_known_default().unwrap(),
    );
    reqwest::Client::builder()
        .local_address(IpAddr::V4(ip))
        .resolve(url.host_str().unwrap(), addr)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// `POST /login` as a cookie-less script would send it (same-origin headers).
async fn login_from(t: &TestFleet, ip: Ipv4Addr, login: &str, password: &str) -> Page {
    login_with(t, &client_from(t, ip), login, password).await
}

async fn login_with(t: &TestFleet, client: &reqwest::Client, login: &str, password: &str) -> Page {
    let origin = t
        .fleet
        .url(AppName::Federation)
        .origin()
        .ascii_serialization();
    let res = client
        .post(t.fleet.at(AppName::Federation, "/login"))
        .header("origin", origin)
        .header("sec-fetch-site", "same-origin")
        .form(&[("login", login), ("password", password)])
        .send()
        .await
        .unwrap();
    page(res).await
}

/// Fifty attackers, each from its own address (so no rate limit applies).
fn attackers(t: &TestFleet) -> Vec<reqwest::Client> {
    (0..50u8)
        .map(|i| client_from(t, Ipv4Addr::new(127, 0, 1, i + 1)))
        .collect()
}

/// Fifty wrong passwords at once.
async fn burst_of_bad_logins(t: &TestFleet, attackers: &[reqwest::Client]) -> Vec<Page> {
    join_all(attackers.iter().enumerate().map(|(i, client)| async move {
        login_with(t, client, &format!("guess{i}"), "not the password at all").await
    }))
    .await
}

/// The peak resident memory of this process (the fleet runs in it), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[actix_web::test]
async fn a_burst_of_bad_logins_gets_503_with_retry_after_and_sign_in_still_works() {
    let t = TestFleet::start().await;
    member(&t, "clara").await;
    let attackers = attackers(&t);
    let started = Instant::now();
    let pages = burst_of_bad_logins(&t, &attackers).await;
    let took = started.elapsed();
    let busy: Vec<&Page> = pages
        .iter()
        .filter(|p| p.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    for p in &pages {
        assert!(
            [StatusCode::UNAUTHORIZED, StatusCode::SERVICE_UNAVAILABLE].contains(&p.status),
            "{} {}",
            p.status,
            p.body
        );
    }
    assert!(
        !busy.is_empty(),
        "with hashing bounded, some of 50 at once are turned away"
    );
    for p in &busy {
        assert_eq!(
            p.headers.get("retry-after").map(|v| v.to_str().unwrap()),
            Some("1")
        );
        assert!(p.body.contains("try again in a moment"), "{}", p.body);
    }
    assert!(took < Duration::from_secs(30), "nothing hangs: {took:?}");

    // The burst is over: the member signs in.
    let ok = login_from(&t, Ipv4Addr::new(127, 0, 2, 1), "clara", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(ok.headers.get("set-cookie").is_some());
    t.stop().await;
}

/// Item 3's figure: the peak RSS of the test process hosting the fleet under 50 parallel bad
/// logins. Run alone, once bounded and once with the bound lifted (`UNBOUNDED_HASHING=1`):
/// `cargo test -p deploy --test it accounts_hardening::peak_rss -- --ignored --nocapture`.
#[actix_web::test]
#[ignore = "a measurement; run alone"]
async fn peak_rss_under_50_parallel_bad_logins() {
    let unbounded = std::env::var_os("UNBOUNDED_HASHING").is_some();
    if unbounded {
        assert!(federation::accounts::hashers::set_concurrency(50));
    }
    let t = TestFleet::start().await;
    // Warm up: one hash, so the allocator's steady state is in the baseline.
    login_from(&t, Ipv4Addr::new(127, 0, 3, 1), "nobody", "warm up please").await;
    let attackers = attackers(&t);
    let idle = peak_rss_kib();
    // The same burst of requests without a password hash, to see what hashing adds.
    let form = t.fleet.at(AppName::Federation, "/login");
    join_all(attackers.iter().map(|c| {
        let form = form.clone();
        async move { c.get(form).send().await.unwrap().text().await.unwrap() }
    }))
    .await;
    let before = peak_rss_kib();
    let pages = burst_of_bad_logins(&t, &attackers).await;
    let after = peak_rss_kib();
    let turned_away = pages
        .iter()
        .filter(|p| p.status == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    println!(
        "peak RSS ({}): {:.1} MiB idle, {:.1} MiB after 50 parallel GET /login, {:.1} MiB after 50 parallel bad logins ({turned_away} answered 503)",
        if unbounded { "unbounded" } else { "bounded" },
        idle as f64 / 1024.0,
        before as f64 / 1024.0,
        after as f64 / 1024.0
    );
    t.stop().await;
}
