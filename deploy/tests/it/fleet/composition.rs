//! Pages composed from fragments: content from every owner, caching, purging, failure.

use std::time::{Duration, Instant};

use shared::AppName;
use shared::testing;

use crate::support::TestFleet;
use crate::support::fixtures::{
    self, EVENT_TITLE, NAV_LABEL, POST_TITLE, PRODUCT_TITLE, USER_NAME,
};

#[actix_web::test]
async fn every_app_is_live_and_ready() {
    let t = TestFleet::start().await;
    for app in AppName::ALL {
        for path in ["/healthz", "/readyz"] {
            let page = t.get(app, path, None).await;
            assert_eq!(page.status, 200, "{app}{path}: {}", page.body);
            assert!(
                page.body.contains(app.as_str()),
                "{app}{path}: {}",
                page.body
            );
        }
        let home = t.get(app, "/", None).await;
        assert_eq!(home.status, 200, "{app} home: {}", home.body);
        assert!(
            home.body.contains("Rose Ash"),
            "{app} home has the shared layout"
        );
    }
    t.stop().await;
}

#[actix_web::test]
async fn blog_home_composes_all_five_fragments_from_their_owners() {
    let t = TestFleet::start().await;
    let world = fixtures::world(&mut t.db.conn().await).await;
    let cookie = t.sign_in(AppName::Blog, world.user_id).await;

    let page = t.get(AppName::Blog, "/", Some(&cookie)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(POST_TITLE), "the blog's own posts");
    assert!(page.body.contains(NAV_LABEL), "blog nav fragment");
    assert!(page.body.contains(USER_NAME), "account user-menu fragment");
    assert!(
        page.body.contains(r#"<span class="count">2</span>"#) && page.body.contains("£14.50"),
        "cart mini-cart fragment"
    );
    assert!(page.body.contains(EVENT_TITLE), "events upcoming fragment");
    assert!(
        page.body.contains(PRODUCT_TITLE),
        "market featured fragment"
    );

    // Other apps' headers compose nav and user-menu the same way.
    let market_cookie = t.sign_in(AppName::Market, world.user_id).await;
    let market = t.get(AppName::Market, "/", Some(&market_cookie)).await;
    assert!(market.body.contains(NAV_LABEL) && market.body.contains(USER_NAME));
    t.stop().await;
}

#[actix_web::test]
async fn a_second_render_comes_from_the_fragment_cache() {
    let t = TestFleet::start().await;
    let world = fixtures::world(&mut t.db.conn().await).await;
    let cookie = t.sign_in(AppName::Blog, world.user_id).await;

    let first = t.get(AppName::Blog, "/", Some(&cookie)).await;
    let owners = [
        AppName::Blog,
        AppName::Cart,
        AppName::Account,
        AppName::Events,
        AppName::Market,
    ];
    let before: Vec<u64> = owners.iter().map(|a| t.fragment_requests(*a)).collect();
    assert!(
        before.iter().all(|n| *n >= 1),
        "every owner served its fragment once: {before:?}"
    );

    let second = t.get(AppName::Blog, "/", Some(&cookie)).await;
    let after: Vec<u64> = owners.iter().map(|a| t.fragment_requests(*a)).collect();
    assert_eq!(
        before, after,
        "no owner saw a request for the second render"
    );
    assert_eq!(first.body, second.body);
    let stats = t.fleet.ctx(AppName::Blog).fragments().stats();
    assert!(stats.hits.load(std::sync::atomic::Ordering::Relaxed) >= 5);
    t.stop().await;
}

#[actix_web::test]
async fn per_viewer_fragments_never_cross_viewers() {
    let t = TestFleet::start().await;
    let world = fixtures::world(&mut t.db.conn().await).await;
    let cookie = t.sign_in(AppName::Blog, world.user_id).await;
    let signed_in_menu = format!(
        r#"<a class="who" href="{}">{USER_NAME}</a>"#,
        t.fleet.url(AppName::Account)
    );
    let signed_in = t.get(AppName::Blog, "/", Some(&cookie)).await;
    assert!(signed_in.body.contains(&signed_in_menu));
    let anonymous = t.get(AppName::Blog, "/", None).await;
    assert!(
        !anonymous.body.contains(r#"class="who""#),
        "an anonymous visitor never sees a member's menu"
    );
    assert!(anonymous.body.contains("Sign in"));
    assert!(!anonymous.body.contains(r#"class="count""#));
    t.stop().await;
}

#[actix_web::test]
async fn changing_a_cart_purges_its_mini_cart() {
    let t = TestFleet::start().await;
    let world = fixtures::world(&mut t.db.conn().await).await;
    let blog_cookie = t.sign_in(AppName::Blog, world.user_id).await;
    let cart_cookie = t.sign_in(AppName::Cart, world.user_id).await;

    let before = t.get(AppName::Blog, "/", Some(&blog_cookie)).await;
    assert!(before.body.contains(r#"<span class="count">2</span>"#));
    let cart_requests = t.fragment_requests(AppName::Cart);

    // "Add to cart" on a market page posts to the cart app.
    let added = t
        .post_form(
            AppName::Cart,
            "/cart/items",
            &[("product", "cider-vinegar"), ("quantity", "3")],
            Some(&cart_cookie),
            AppName::Market,
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);

    let after = t.get(AppName::Blog, "/", Some(&blog_cookie)).await;
    assert!(
        after.body.contains(r#"<span class="count">5</span>"#),
        "the mini-cart shows the new count"
    );
    assert!(after.body.contains("£26.50"));
    assert_eq!(
        t.fragment_requests(AppName::Cart),
        cart_requests + 1,
        "only the purged fragment was refetched"
    );
    t.stop().await;
}

#[actix_web::test]
async fn a_stopped_fragment_owner_yields_the_stale_copy_or_a_placeholder() {
    let mut t = TestFleet::start().await;
    let world = fixtures::world(&mut t.db.conn().await).await;
    let cookie = t.sign_in(AppName::Blog, world.user_id).await;
    let warm = t.get(AppName::Blog, "/", Some(&cookie)).await;
    assert!(warm.body.contains(r#"<span class="count">2</span>"#));

    // The cart goes away and its fresh copy expires (purged): the stale copy is served.
    t.fleet.stop_app(AppName::Cart).await;
    let mini_cart =
        shared::infrastructure::fragment_catalog::mini_cart(shared::Viewer::User(world.user_id));
    t.fleet
        .ctx(AppName::Blog)
        .fragments()
        .purge(&mini_cart)
        .await
        .unwrap();
    let started = Instant::now();
    let stale = t.get(AppName::Blog, "/", Some(&cookie)).await;
    assert_eq!(stale.status, 200);
    assert!(
        stale.body.contains(r#"<span class="count">2</span>"#),
        "stale mini-cart"
    );
    assert!(started.elapsed() < Duration::from_secs(3));

    // A viewer with no copy at all gets the placeholder, and the page still renders.
    let anonymous = t.get(AppName::Blog, "/", None).await;
    assert_eq!(anonymous.status, 200);
    assert!(
        anonymous
            .body
            .contains("<!-- fragment cart/mini-cart unavailable -->")
    );
    assert!(anonymous.body.contains(POST_TITLE) && anonymous.body.contains(EVENT_TITLE));
    t.stop().await;
}

/// A TCP peer that accepts connections and never answers.
fn silent_server() -> (std::net::TcpListener, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

#[actix_web::test]
async fn a_slow_fragment_owner_costs_at_most_the_timeout() {
    let db = testing::TestDb::new().await;
    fixtures::world(&mut db.conn().await).await;
    let redis = testing::TestRedis::new(&db.name).await;
    let (_silent, port) = silent_server();
    let slow_cart = format!("http://cart.localhost:{port}/");
    let config = testing::config(
        &db,
        &redis,
        &[
            ("INTERNAL_URL_CART", &slow_cart),
            ("FRAGMENT_TIMEOUT_MS", "300"),
        ],
    );
    let blog = testing::TestApp::start(&blog::APP, config).await;
    let client = testing::http_client();

    let started = Instant::now();
    let res = client.get(blog.url("/")).send().await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(res.status(), 200);
    let body = res.text().await.unwrap();
    assert!(body.contains(POST_TITLE));
    assert!(body.contains("<!-- fragment cart/mini-cart unavailable -->"));
    // The cart never answers; the page waited for the 300 ms fragment timeout, not for the cart.
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    blog.stop().await;
}

/// A fragment owner that answers every request after `delay` with a copy it allows to be cached
/// for 30 s, counting the requests it gets.
fn counting_owner(delay: Duration) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let counted = counted.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                if String::from_utf8_lossy(&buf[..n]).starts_with("GET /internal/fragments/") {
                    counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
                std::thread::sleep(delay);
                let body = r#"<div class="mini-cart">one owner answer</div>"#;
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncache-control: max-age=30\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            });
        }
    });
    (port, count)
}

#[actix_web::test]
async fn pages_that_miss_the_same_fragment_at_once_ask_its_owner_once() {
    let db = testing::TestDb::new().await;
    fixtures::world(&mut db.conn().await).await;
    let redis = testing::TestRedis::new(&db.name).await;
    let (port, asked) = counting_owner(Duration::from_millis(150));
    let cart = format!("http://cart.localhost:{port}/");
    let config = testing::config(&db, &redis, &[("INTERNAL_URL_CART", &cart)]);
    let blog = testing::TestApp::start(&blog::APP, config).await;
    let client = testing::http_client();

    // Twenty cold page views at once (one worker): all miss the mini-cart's copy.
    let views = (0..20).map(|_| {
        let client = client.clone();
        let url = blog.url("/");
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    });
    let pages = futures_util::future::join_all(views).await;
    for page in &pages {
        assert!(page.contains("one owner answer"), "{page}");
    }
    assert_eq!(
        asked.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "the owner was asked once for the twenty pages"
    );
    blog.stop().await;
}
