//! Pages for signed-in members come from shells (`shared::infrastructure::shell`): the content
//! is rendered once per generation, each member's own header is spliced in per request.

use reqwest::{Method, StatusCode};
use serde_json::json;
use shared::AppName;

use crate::support::TestFleet;
use crate::support::people::{api, member, person};

/// The header's `user-menu` names whoever looks: `who` and nobody in `others`.
fn shows_member(body: &str, who: &str, others: &[&str]) {
    assert!(
        body.contains(&format!(">{who}</a>")),
        "{who}'s own menu is missing: {body}"
    );
    for other in others {
        assert!(
            !body.contains(&format!(">{other}</a>")),
            "{who} was shown {other}'s menu"
        );
    }
}

#[actix_web::test]
async fn members_get_their_own_header_on_shared_shells_and_edits_show_at_once() {
    let t = TestFleet::start().await;
    let ann = t
        .sign_in(AppName::Blog, person(&t, "ann", "author").await)
        .await;
    let bea = t.sign_in(AppName::Blog, member(&t, "bea").await).await;
    let cid = t.sign_in(AppName::Blog, member(&t, "cid").await).await;
    let body = json!({
        "title": "Shell pears", "markdown": "First words.", "tags": ["Orchard"],
        "excerpt": "", "status": "published",
    });
    let (status, doc) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&body),
        Some(&ann),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{doc}");

    // Every public page, twice each (the second from the shell), for both members in turn:
    // each sees the content and only their own menu.
    for path in ["/posts/shell-pears", "/", "/tag/orchard", "/author/ann"] {
        for _ in 0..2 {
            for (session, who, other) in [(&bea, "bea", "cid"), (&cid, "cid", "bea")] {
                let page = t.get(AppName::Blog, path, Some(session)).await;
                assert_eq!(page.status, 200, "{path}: {}", page.body);
                assert!(!page.headers.contains_key("x-cache"), "{path} composed");
                assert!(page.body.contains("Shell pears"), "{path}: {}", page.body);
                shows_member(&page.body, who, &[other, "ann"]);
                assert!(!page.body.contains('\u{E000}'), "no marker is left over");
            }
        }
    }

    // An edit shows on the members' next view, on every page that shows the post.
    let edit = json!({
        "title": "Shell pears, pressed", "markdown": "Second words.", "tags": ["Orchard"],
        "excerpt": "", "status": "published", "slug": "pressed-pears",
        "updated_at": doc["updated_at"],
    });
    let (status, doc) = api(
        &t,
        Method::PUT,
        &format!("/editor/api/posts/{}", doc["id"]),
        Some(&edit),
        Some(&ann),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    let post = t
        .get(AppName::Blog, "/posts/pressed-pears", Some(&bea))
        .await;
    assert!(post.body.contains("Second words.") && !post.body.contains("First words."));
    shows_member(&post.body, "bea", &["cid"]);
    for path in ["/", "/tag/orchard"] {
        let page = t.get(AppName::Blog, path, Some(&cid)).await;
        assert!(page.body.contains("Shell pears, pressed"), "{path}");
    }
    // The old address, whose shell was kept, now redirects; an unknown one is a 404.
    let old = t.get(AppName::Blog, "/posts/shell-pears", Some(&bea)).await;
    assert_eq!(old.status, 301);
    assert_eq!(old.headers["location"], "/posts/pressed-pears");
    let missing = t
        .get(AppName::Blog, "/posts/no-such-pears", Some(&bea))
        .await;
    assert_eq!(missing.status, 404);
    t.stop().await;
}
