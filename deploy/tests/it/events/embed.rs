//! Events on other websites: the `<roseash-events>` script, the CORS JSON feed it reads and the
//! iframe view. The feed lists public dates only, honours calendar, tag and limit (capped) and
//! answers a bad parameter with 400; only the frame may be framed by any site, every other
//! page still refuses it.

use reqwest::header;
use serde_json::Value;
use shared::AppName;

use super::{cast, create};
use crate::support::{Page, TestFleet, page};

/// `path` on events, as a page on another site asks for it (an `Origin`, no cookies).
async fn cross_origin(t: &TestFleet, path: &str) -> Page {
    page(
        t.client
            .get(t.fleet.at(AppName::Events, path))
            .header(header::ORIGIN, "https://elsewhere.example")
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn titles(feed: &Page) -> Vec<String> {
    let body: Value = serde_json::from_str(&feed.body).unwrap();
    body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect()
}

fn header_of<'a>(p: &'a Page, name: &str) -> &'a str {
    p.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// The orchard's calendar: two public events with tags, a weekly series of 25 and an unlisted
/// event between them.
pub async fn orchard_events(t: &TestFleet) {
    let c = cast(t).await;
    for fields in [
        vec![
            ("title", "Grafting"),
            ("date", "2027-03-13"),
            ("tags", "trees"),
        ],
        vec![
            ("title", "Cider pressing"),
            ("date", "2027-03-20"),
            ("tags", "cider"),
        ],
        vec![
            ("title", "Secret tasting"),
            ("date", "2027-03-15"),
            ("tags", "cider, trees"),
            ("visibility", "unlisted"),
        ],
        vec![
            ("title", "Weekly walk"),
            ("date", "2027-04-06"),
            ("repeat", "weekly"),
            ("count", "25"),
            ("tags", "walks"),
        ],
    ] {
        let r = create(t, &c.organiser, &fields).await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
}

#[actix_web::test]
async fn the_json_feed_is_public_cors_and_filtered() {
    let t = TestFleet::start().await;
    orchard_events(&t).await;
    let events_url = t.fleet.url(AppName::Events).to_string();

    let all = cross_origin(&t, "/embed/events.json?calendar=orchard&limit=3").await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(header_of(&all, "access-control-allow-origin"), "*");
    assert!(
        all.headers
            .get("access-control-allow-credentials")
            .is_none()
    );
    assert!(header_of(&all, "content-type").starts_with("application/json"));
    assert_eq!(
        titles(&all),
        ["Grafting", "Cider pressing", "Weekly walk"],
        "{}",
        all.body
    );
    let body: Value = serde_json::from_str(&all.body).unwrap();
    assert_eq!(
        body["events"][0]["url"],
        format!("{events_url}events/grafting")
    );
    assert_eq!(body["url"], format!("{events_url}?calendar=orchard"));

    // The unlisted event is nowhere, whatever is asked for.
    let everything = cross_origin(&t, "/embed/events.json?limit=20").await;
    assert!(!everything.body.contains("Secret tasting"));
    let cider = cross_origin(&t, "/embed/events.json?tag=cider").await;
    assert_eq!(titles(&cider), ["Cider pressing"], "{}", cider.body);

    let trees = cross_origin(&t, "/embed/events.json?calendar=orchard&tag=trees").await;
    assert_eq!(titles(&trees), ["Grafting"]);
    let both = cross_origin(&t, "/embed/events.json?tag=cider,Trees").await;
    assert_eq!(titles(&both), ["Grafting", "Cider pressing"]);
    let none = cross_origin(&t, "/embed/events.json?calendar=community").await;
    assert_eq!(none.status, 200);
    assert!(titles(&none).is_empty());

    // The limit: one, the default, and a huge one capped at 20.
    let one = cross_origin(&t, "/embed/events.json?calendar=orchard&limit=1").await;
    assert_eq!(titles(&one), ["Grafting"]);
    let default = cross_origin(&t, "/embed/events.json?tag=walks").await;
    assert_eq!(titles(&default).len(), 4);
    let capped = cross_origin(&t, "/embed/events.json?tag=walks&limit=1000").await;
    assert_eq!(capped.status, 200);
    assert_eq!(titles(&capped).len(), 20);

    // Revalidation.
    let etag = header_of(&trees, "etag").to_owned();
    assert!(!etag.is_empty());
    let again = page(
        t.client
            .get(t.fleet.at(
                AppName::Events,
                "/embed/events.json?calendar=orchard&tag=trees",
            ))
            .header(header::IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(again.status, 304);

    // Bad parameters: 400 (readable by the other site), an unknown calendar 404.
    for bad in [
        "/embed/events.json?limit=many",
        "/embed/events.json?limit=0",
        "/embed/events.json?tag=a,b,c,d,e,f",
    ] {
        let r = cross_origin(&t, bad).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert_eq!(header_of(&r, "access-control-allow-origin"), "*");
        let error: Value = serde_json::from_str(&r.body).unwrap();
        assert!(error["error"].is_string(), "{}", r.body);
    }
    let unknown = cross_origin(&t, "/embed/events.json?calendar=nope").await;
    assert_eq!(unknown.status, 404);

    // GET only.
    let posted = t
        .client
        .post(t.fleet.at(AppName::Events, "/embed/events.json"))
        .send()
        .await
        .unwrap();
    assert_ne!(posted.status(), 200);
    t.stop().await;
}

#[actix_web::test]
async fn only_the_frame_may_be_framed_and_the_script_defines_the_element() {
    let t = TestFleet::start().await;
    orchard_events(&t).await;

    let frame = cross_origin(&t, "/embed/frame?calendar=orchard&tags=trees&theme=dark").await;
    assert_eq!(frame.status, 200, "{}", frame.body);
    let csp = header_of(&frame, "content-security-policy");
    assert!(csp.contains("frame-ancestors *"), "{csp}");
    assert!(!csp.contains("frame-ancestors 'self'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(frame.headers.get("x-frame-options").is_none());
    assert!(frame.body.contains("Grafting"));
    assert!(!frame.body.contains("Cider pressing"));
    assert!(frame.body.contains("theme-dark"));
    let bad = cross_origin(&t, "/embed/frame?theme=pink").await;
    assert_eq!(bad.status, 400);

    // Every other page keeps the fleet's framing protection.
    for path in ["/", "/events/grafting", "/month"] {
        let p = cross_origin(&t, path).await;
        assert_eq!(p.status, 200, "{path}");
        let csp = header_of(&p, "content-security-policy");
        assert!(csp.contains("frame-ancestors 'self'"), "{path}: {csp}");
        assert!(!csp.contains("frame-ancestors *"), "{path}: {csp}");
        assert_eq!(header_of(&p, "x-frame-options"), "SAMEORIGIN", "{path}");
    }

    let script = cross_origin(&t, "/embed/roseash-events.js").await;
    assert_eq!(script.status, 200);
    assert!(
        header_of(&script, "content-type").starts_with("text/javascript"),
        "{:?}",
        script.headers
    );
    assert!(
        script
            .body
            .contains("customElements.define('roseash-events'")
    );
    assert!(script.body.contains("attachShadow"));
    assert!(!script.body.contains("innerHTML"));
    assert!(header_of(&script, "cache-control").contains("max-age=86400"));
    let etag = header_of(&script, "etag").to_owned();
    let version = etag.trim_matches('"').to_owned();
    let pinned = cross_origin(&t, &format!("/embed/roseash-events.js?v={version}")).await;
    assert!(header_of(&pinned, "cache-control").contains("immutable"));
    let again = page(
        t.client
            .get(t.fleet.at(AppName::Events, "/embed/roseash-events.js"))
            .header(header::IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(again.status, 304);
    t.stop().await;
}
