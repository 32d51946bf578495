//! Ghost's cards as its Lexical editor renders them (the frontend templates of Ghost's
//! renderers, `TryGhost/Koenig` `packages/kg-default-nodes/lib/nodes/*/…-renderer.js`, Ghost
//! 5.x) keep their classes here, toggles open without a script, and video embeds become link
//! cards: no third-party frame, and the page's CSP allows none.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use shared::AppName;
use shared::db::schema::ghost_sites;

use super::ghost::{FakeGhost, KEY, Site, connect, ghost_post, hook, signature};
use crate::support::TestFleet;
use crate::support::people::person;

/// One of each card, as Ghost 5 renders them for the web.
const CARDS: &str = concat!(
    r##"<p>Before the cards.</p>"##,
    r##"<figure class="kg-card kg-bookmark-card kg-card-hascaption"><a class="kg-bookmark-container" href="https://ghost.org/"><div class="kg-bookmark-content"><div class="kg-bookmark-title">Ghost: The Creator Economy Platform</div><div class="kg-bookmark-description">The world's most popular modern publishing platform.</div><div class="kg-bookmark-metadata"><img class="kg-bookmark-icon" src="https://ghost.org/favicon.ico" alt=""><span class="kg-bookmark-author">Ghost</span><span class="kg-bookmark-publisher">Ghost Foundation</span></div></div><div class="kg-bookmark-thumbnail"><img src="https://ghost.org/images/meta/ghost.png" alt="" onerror="this.style.display = 'none'"></div></a><figcaption>A bookmark</figcaption></figure>"##,
    r##"<div class="kg-card kg-callout-card kg-callout-card-blue"><div class="kg-callout-emoji">💡</div><div class="kg-callout-text">Prune in <b>winter</b>.</div></div>"##,
    r##"<div class="kg-card kg-button-card kg-align-center"><a href="https://example.org/join" class="kg-btn kg-btn-accent">Join the orchard</a></div>"##,
    r##"<div class="kg-card kg-toggle-card" data-kg-toggle-state="close"><div class="kg-toggle-heading"><h4 class="kg-toggle-heading-text">When to prune?</h4><button class="kg-toggle-card-icon" aria-label="Expand toggle to read content"><svg id="Regular" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path class="cls-1" d="M23.25,7.311,12.53,18.03a.749.749,0,0,1-1.06,0L.75,7.311"></path></svg></button></div><div class="kg-toggle-content"><p>After leaf fall.</p></div></div>"##,
    r##"<div class="kg-card kg-product-card"><div class="kg-product-card-container"><img src="https://images.example/secateurs.jpg" width="800" height="600" class="kg-product-card-image" loading="lazy"><div class="kg-product-card-title-container"><h4 class="kg-product-card-title">Secateurs</h4></div><div class="kg-product-card-rating"><span class="kg-product-card-rating-active kg-product-card-rating-star"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12.729,1.2Z"></path></svg></span><span class=" kg-product-card-rating-star"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12.729,1.2Z"></path></svg></span></div><div class="kg-product-card-description"><p>Sharp and light.</p></div><a href="https://example.org/shop" class="kg-product-card-button kg-product-card-btn-accent" target="_blank" rel="noopener noreferrer"><span>Buy</span></a></div></div>"##,
    r##"<div class="kg-card kg-header-card kg-v2 kg-width-full kg-content-wide " style="background-color: #000000;" data-background-color="#000000"><div class="kg-header-card-content"><div class="kg-header-card-text kg-align-center"><h2 id="harvest-festival" class="kg-header-card-heading" style="color: #FFFFFF;" data-text-color="#FFFFFF">Harvest festival</h2><p id="all-welcome" class="kg-header-card-subheading" style="color: #FFFFFF;" data-text-color="#FFFFFF">All welcome</p><a href="https://example.org/festival" class="kg-header-card-button kg-style-accent" style="color: #FFFFFF;" data-button-color="accent" data-button-text-color="#FFFFFF">Come</a></div></div></div>"##,
    r##"<figure class="kg-card kg-gallery-card kg-width-wide"><div class="kg-gallery-container"><div class="kg-gallery-row"><div class="kg-gallery-image"><img src="https://images.example/1.jpg" width="600" height="400" loading="lazy" alt="Pears"></div><div class="kg-gallery-image"><img src="https://images.example/2.jpg" width="600" height="400" loading="lazy" alt="Apples"></div></div></div></figure>"##,
    r##"<figure class="kg-card kg-embed-card"><iframe width="200" height="113" src="https://www.youtube.com/embed/dQw4w9WgXcQ?feature=oembed" frameborder="0" allow="accelerometer; autoplay; clipboard-write; encrypted-media; gyroscope; picture-in-picture; web-share" referrerpolicy="strict-origin-when-cross-origin" allowfullscreen title="Pruning pear trees"></iframe></figure>"##,
    r##"<figure class="kg-card kg-embed-card kg-card-hascaption"><iframe src="https://player.vimeo.com/video/76979871?app_id=122963" width="640" height="360" frameborder="0" allow="autoplay; fullscreen; picture-in-picture; clipboard-write" title="The orchard in spring"></iframe><figcaption>On Vimeo</figcaption></figure>"##,
);

#[actix_web::test]
async fn ghost_cards_keep_their_meaning_and_embeds_become_link_cards() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    let ghost = FakeGhost::start(Site::default()).await;
    assert_eq!(connect(&t, &admin, &ghost.url, KEY).await.status, 303);
    let secret: String = ghost_sites::table
        .select(ghost_sites::webhook_secret)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    let mut post = ghost_post(90, "Every card", CARDS, 0);
    post["status"] = json!("published");
    let body = json!({"post": {"current": post, "previous": {}}}).to_string();
    let now = chrono::Utc::now().timestamp_millis();
    assert_eq!(
        hook(&t, &body, Some(signature(&body, &secret, now))).await,
        200
    );

    let page = t.get(AppName::Blog, "/posts/every-card", None).await;
    assert_eq!(page.status, 200);
    let html = &page.body;
    for kept in [
        r##"<figure class="kg-card kg-bookmark-card kg-card-hascaption"><a class="kg-bookmark-container" href="https://ghost.org/""##,
        r##"<div class="kg-bookmark-title">Ghost: The Creator Economy Platform</div>"##,
        r##"<div class="kg-bookmark-thumbnail"><img src="https://ghost.org/images/meta/ghost.png" alt=""></div>"##,
        r##"<div class="kg-card kg-callout-card kg-callout-card-blue"><div class="kg-callout-emoji">💡</div>"##,
        r##"<div class="kg-card kg-button-card kg-align-center"><a href="https://example.org/join" class="kg-btn kg-btn-accent""##,
        r##"<details class="kg-card kg-toggle-card"><summary class="kg-toggle-heading"><h4 class="kg-toggle-heading-text">When to prune?</h4></summary><div class="kg-toggle-content"><p>After leaf fall.</p></div></details>"##,
        r##"<h4 class="kg-product-card-title">Secateurs</h4>"##,
        r##"<span class="kg-product-card-rating-active kg-product-card-rating-star">"##,
        r##"class="kg-product-card-button kg-product-card-btn-accent""##,
        r##"<div class="kg-card kg-header-card kg-v2 kg-width-full kg-content-wide">"##,
        r##"<h2 class="kg-header-card-heading">Harvest festival</h2>"##,
        r##"<figure class="kg-card kg-gallery-card kg-width-wide"><div class="kg-gallery-container"><div class="kg-gallery-row"><div class="kg-gallery-image"><img src="https://images.example/1.jpg" width="600" height="400" loading="lazy" alt="Pears"></div>"##,
        r##"<figure class="kg-card kg-embed-card"><a class="oembed-link" href="https://www.youtube.com/watch?v=dQw4w9WgXcQ" rel="noopener noreferrer"><img class="oembed-thumbnail" src="https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg" alt="" loading="lazy"><span class="oembed-text"><span class="oembed-title">Pruning pear trees</span><span class="oembed-provider">Watch on YouTube</span></span></a></figure>"##,
        r##"<a class="oembed-link" href="https://vimeo.com/76979871" rel="noopener noreferrer"><span class="oembed-text"><span class="oembed-title">The orchard in spring</span><span class="oembed-provider">Watch on Vimeo</span></span></a><figcaption>On Vimeo</figcaption>"##,
    ] {
        assert!(html.contains(kept), "missing {kept}\n{html}");
    }
    for gone in [
        "<iframe",
        "onerror",
        "style=",
        "<svg",
        "<button",
        "data-kg-toggle-state",
    ] {
        assert!(!html.contains(gone), "{gone} is still there");
    }
    // No third-party frame is allowed: the fleet's policy stands (frames fall back to 'self').
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(!csp.contains("frame-src") && !csp.contains("youtube") && !csp.contains("vimeo"));
    // The cards' stylesheet.
    assert!(html.contains(r##"<link rel="stylesheet" href="/static/ghost-cards.css">"##));
    let css = t.get(AppName::Blog, "/static/ghost-cards.css", None).await;
    assert_eq!(css.status, 200);
    for rule in [
        ".kg-bookmark-card",
        ".kg-callout-card",
        ".kg-btn",
        ".kg-toggle-card",
        ".kg-product-card",
        ".kg-header-card",
        ".kg-gallery-row",
        ".oembed-link",
    ] {
        assert!(css.body.contains(rule), "{rule}");
    }
    ghost.handle.stop(true).await;
    t.stop().await;
}
