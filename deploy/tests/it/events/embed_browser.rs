//! The embeds in a real browser (headless Chromium, as in `support/chromium.rs`): a page on
//! another origin (a bare server on 127.0.0.1, while events is on `events.localhost`) carries
//! `<roseash-events>` and the iframe view, and both show the orchard's public events; the
//! element draws them inside its shadow root, the unlisted one nowhere.

use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use fantoccini::{Client, Locator};
use serde_json::Value;
use shared::AppName;

use super::embed::orchard_events;
use crate::support::TestFleet;
use crate::support::chromium::{browser, start_driver};

const PATIENCE: Duration = Duration::from_secs(15);

/// Serves `html` at `/` on a port of its own: the other website.
fn other_site(html: String) -> (String, actix_web::dev::ServerHandle) {
    let listener = shared::testing::ephemeral_listener();
    let url = format!(
        "http://127.0.0.1:{}/",
        listener.local_addr().unwrap().port()
    );
    let server = HttpServer::new(move || {
        let html = html.clone();
        App::new().route(
            "/",
            web::get().to(move || {
                let html = html.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("text/html; charset=utf-8")
                        .body(html)
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    (url, handle)
}

/// Polls `script` (which returns a string) until `check` holds; returns the last value.
async fn until(client: &Client, what: &str, script: &str, check: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let value = match client.execute(script, vec![]).await {
            Ok(Value::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(e) => format!("error: {e}"),
        };
        if check(&value) {
            return value;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "timed out waiting for {what}; it shows {value:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn another_site_shows_the_events_through_the_element_and_the_iframe() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let t = TestFleet::start().await;
    orchard_events(&t).await;
    let events = t.fleet.url(AppName::Events).as_str().trim_end_matches('/');
    let html = format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>The village hall</title>
<script src="{events}/embed/roseash-events.js" defer></script></head>
<body><h1>The village hall</h1>
<roseash-events calendar="orchard" limit="5" theme="dark"></roseash-events>
<iframe id="frame" src="{events}/embed/frame?calendar=orchard&amp;limit=5" title="Events"></iframe>
</body></html>"#
    );
    let (site, server) = other_site(html);
    let client = browser(&driver).await;
    client.goto(&site).await.unwrap();

    let shadow = until(
        &client,
        "the element's events",
        r#"const el = document.querySelector("roseash-events");
           return el && el.shadowRoot ? el.shadowRoot.textContent : "no shadow root";"#,
        |s| s.contains("Grafting") && s.contains("Cider pressing"),
    )
    .await;
    assert!(shadow.contains("Weekly walk"), "{shadow}");
    assert!(!shadow.contains("Secret tasting"), "{shadow}");
    // Drawn in the shadow root, not in the page's own light DOM.
    let light = client
        .execute(
            r#"return document.querySelector("roseash-events").textContent;"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(light, Value::String(String::new()));
    let link = client
        .execute(
            r#"const a = document.querySelector("roseash-events").shadowRoot.querySelector("a.title");
               return a ? a.href : null;"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(link, Value::String(format!("{events}/events/grafting")));

    // The iframe: the browser lets it be framed here and it shows the same events.
    client
        .find(Locator::Id("frame"))
        .await
        .unwrap()
        .enter_frame()
        .await
        .unwrap();
    let framed = until(
        &client,
        "the iframe's events",
        "return document.body ? document.body.innerText : '';",
        |s| s.contains("Grafting") && s.contains("Cider pressing"),
    )
    .await;
    assert!(!framed.contains("Secret tasting"), "{framed}");
    client.enter_parent_frame().await.unwrap();

    client.close().await.unwrap();
    server.stop(true).await;
    t.stop().await;
}
