//! The blog's editor in a real browser (headless Chromium over WebDriver, as in `chromium.rs`):
//! an author writes with a live preview, autosave creates the post, Publish puts it on the
//! public page, and a save over a version changed in another tab shows the conflict banner
//! instead of overwriting it. Also: Publish clicked during an autosave still publishes, and a
//! scheduled post autosaves keeping its time (both were bugs in `blog/static/editor.js`).

use std::future::Future;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use fantoccini::{Client, Locator};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::AppName;
use shared::db::schema::posts;
use shared::testing::TestSession;

use crate::support::TestFleet;
use crate::support::chromium::{AddHostCookie, browser, start_driver};
use crate::support::people::{api, person};

/// How long any one thing may take to show up.
const PATIENCE: Duration = Duration::from_secs(10);

/// A browser signed in to the blog as a new author, on an empty editor.
async fn author_at_the_editor(t: &TestFleet, client: &Client) -> TestSession {
    let session = t
        .sign_in(AppName::Blog, person(t, "ann", "author").await)
        .await;
    // A cookie can only be set for the page's own host: any page of the blog will do.
    client
        .goto(&t.fleet.at(AppName::Blog, "/no-such-page"))
        .await
        .unwrap();
    let (name, value) = session.cookie.split_once('=').unwrap();
    client
        .issue_cmd(AddHostCookie {
            name: name.to_owned(),
            value: value.to_owned(),
        })
        .await
        .expect("the session cookie in the browser");
    client
        .goto(&t.fleet.at(AppName::Blog, "/editor/new"))
        .await
        .unwrap();
    client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("form#editor"))
        .await
        .expect("the editor page (signed in as an author)");
    // editor.js is deferred: it has run once the empty document is filled in.
    until(client, "the editor script to start", "state", |s| {
        s == "Not saved yet"
    })
    .await;
    session
}

/// What the page says about itself, in one round trip.
async fn page_state(client: &Client) -> Value {
    client
        .execute(
            r#"const $ = (id) => document.getElementById(id);
               return {
                 path: location.pathname,
                 title: $("title").value,
                 markdown: $("markdown").value,
                 preview: $("live-preview").innerHTML,
                 state: $("save-state").textContent,
                 publish: $("publish").textContent,
                 conflict: !$("conflict").hidden,
                 error: $("error").hidden ? null : $("error").textContent,
               };"#,
            vec![],
        )
        .await
        .unwrap()
}

/// Polls the page until `key` of [`page_state`] (as text) satisfies `check`; returns the whole
/// state then.
async fn until(client: &Client, what: &str, key: &str, check: impl Fn(&str) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let state = page_state(client).await;
        let value = match &state[key] {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if check(&value) {
            return state;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "timed out waiting for {what}; the editor shows {state:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `probe` until it gives something (or panics after [`PATIENCE`]).
async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Types at the end of a field (WebDriver focuses it, caret last, as if clicked into).
async fn type_into(client: &Client, id: &str, text: &str) {
    client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .send_keys(text)
        .await
        .unwrap();
}

/// Sets a field's value without typing (and without the `input` event typing would send).
async fn set_value(client: &Client, id: &str, value: &str) {
    client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![json!(id), json!(value)],
        )
        .await
        .unwrap();
}

async fn click(client: &Client, id: &str) {
    client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The stored post: (title, slug, status, markdown).
async fn stored(t: &TestFleet, id: i64) -> (String, String, String, Option<String>) {
    posts::table
        .find(id)
        .select((posts::title, posts::slug, posts::status, posts::markdown))
        .first(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// The document a second tab opening `/editor/posts/{id}` would start from.
async fn second_tab(t: &TestFleet, session: &TestSession, id: i64) -> Value {
    let page = t
        .get(AppName::Blog, &format!("/editor/posts/{id}"), Some(session))
        .await;
    assert_eq!(page.status, 200);
    let json = page
        .body
        .split_once(r#"<script type="application/json" id="document">"#)
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map(|(json, _)| json)
        .expect("the editor page embeds its document");
    serde_json::from_str(json).unwrap()
}

fn post_id(path: &str) -> Option<i64> {
    path.strip_prefix("/editor/posts/")?.parse().ok()
}

#[actix_web::test]
async fn an_author_writes_previews_autosaves_publishes_and_meets_a_conflict_in_the_browser() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let t = TestFleet::start().await;
    let client = browser(&driver).await;
    let session = author_at_the_editor(&t, &client).await;

    // Write: the live preview renders the Markdown as it will be published.
    type_into(&client, "title", "Pressing perry").await;
    type_into(&client, "markdown", "The *mill* turns.").await;
    until(&client, "the live preview", "preview", |html| {
        html.contains("<em>mill</em>")
    })
    .await;

    // Autosave: the first save creates the draft, and the address becomes the post's.
    let state = until(&client, "the autosave", "state", |s| s == "Draft saved").await;
    let id = post_id(state["path"].as_str().unwrap())
        .unwrap_or_else(|| panic!("the address names the new post: {state:#}"));
    assert!(state["error"].is_null(), "{state:#}");
    let (title, slug, status, markdown) = stored(&t, id).await;
    assert_eq!(
        (title.as_str(), slug.as_str(), status.as_str()),
        ("Pressing perry", "pressing-perry", "draft")
    );
    assert_eq!(markdown.as_deref(), Some("The *mill* turns."));
    assert_eq!(
        t.get(AppName::Blog, "/posts/pressing-perry", None)
            .await
            .status,
        404,
        "a draft is not public"
    );

    // Publish: the post is on its public page, the Markdown rendered.
    click(&client, "publish").await;
    let state = until(&client, "publishing", "state", |s| s == "published").await;
    assert_eq!(state["publish"], "Update", "{state:#}");
    assert_eq!(stored(&t, id).await.2, "published");
    let public = t.get(AppName::Blog, "/posts/pressing-perry", None).await;
    assert_eq!(public.status, 200);
    assert!(
        public.body.contains("Pressing perry") && public.body.contains("<em>mill</em>"),
        "{}",
        public.body
    );

    // Another tab opens the post and saves a change over the version it loaded.
    let theirs = second_tab(&t, &session, id).await;
    assert_eq!(theirs["status"], "published");
    let (status, saved) = api(
        &t,
        Method::PUT,
        &format!("/editor/api/posts/{id}"),
        Some(&json!({
            "title": "Pressing perry, second thoughts",
            "slug": theirs["slug"],
            "excerpt": theirs["excerpt"],
            "markdown": "The mill turns **twice**.",
            "tags": theirs["tags"],
            "status": "published",
            "published_at": theirs["published_at"],
            "updated_at": theirs["updated_at"],
        })),
        Some(&session),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");

    // This tab types on. A live post is not autosaved (half-written edits would go public)…
    type_into(&client, "markdown", " Slowly.").await;
    until(&client, "the unsaved notice", "state", |s| {
        s == "Unsaved changes: press Update to publish them"
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await; // past the autosave delay
    let (title, _, _, _) = stored(&t, id).await;
    assert_eq!(
        title, "Pressing perry, second thoughts",
        "no autosave of a live post"
    );
    // …and Update is refused: the banner says why, nothing is overwritten.
    click(&client, "publish").await;
    let state = until(&client, "the conflict banner", "conflict", |shown| {
        shown == "true"
    })
    .await;
    assert_eq!(state["state"], "Not saved: changed elsewhere", "{state:#}");
    assert!(
        client
            .find(Locator::Id("conflict"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap(),
        "the banner is visible"
    );
    let (title, _, _, markdown) = stored(&t, id).await;
    assert_eq!(title, "Pressing perry, second thoughts");
    assert_eq!(markdown.as_deref(), Some("The mill turns **twice**."));

    // "Load their version": the fields show the other tab's post, the banner goes.
    click(&client, "load-theirs").await;
    let state = until(&client, "their version in the editor", "title", |title| {
        title == "Pressing perry, second thoughts"
    })
    .await;
    assert_eq!(state["markdown"], "The mill turns **twice**.");
    assert_eq!(state["conflict"], false, "{state:#}");
    until(&client, "their version in the preview", "preview", |html| {
        html.contains("<strong>twice</strong>")
    })
    .await;

    // And writing on from their version saves again, on Update.
    type_into(&client, "markdown", " Then rests.").await;
    click(&client, "publish").await;
    until(&client, "the update over their version", "state", |s| {
        s == "published"
    })
    .await;
    eventually("the save over their version", || async {
        let (_, _, _, markdown) = stored(&t, id).await;
        (markdown.as_deref() == Some("The mill turns **twice**. Then rests.")).then_some(())
    })
    .await;
    let public = t.get(AppName::Blog, "/posts/pressing-perry", None).await;
    assert!(
        public.body.contains("Pressing perry, second thoughts")
            && public.body.contains("<strong>twice</strong>. Then rests."),
        "{}",
        public.body
    );

    client.close().await.unwrap();
    t.stop().await;
}

/// Makes the page's saves take `ms` longer, as on a slow connection.
async fn slow_saves(client: &Client, ms: u64) {
    client
        .execute(
            r#"const real = window.fetch, ms = arguments[0];
               window.fetch = function (url, options) {
                 if (!String(url).startsWith("/editor/api/posts")) return real(url, options);
                 return new Promise((done) => setTimeout(done, ms)).then(() => real(url, options));
               };"#,
            vec![json!(ms)],
        )
        .await
        .unwrap();
}

/// The stored status of the post titled `title`, if there is one.
async fn status_of(t: &TestFleet, title: &str) -> Option<String> {
    posts::table
        .filter(posts::title.eq(title))
        .select(posts::status)
        .first(&mut t.db.conn().await)
        .await
        .optional()
        .unwrap()
}

/// `save()` in editor.js returns early while a save is under way (`if (saving) { dirty = true;
/// ... }`), forgetting the status it was asked for: the follow-up autosave saves a draft.
#[actix_web::test]
async fn publish_clicked_while_an_autosave_is_under_way_still_publishes() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let t = TestFleet::start().await;
    let client = browser(&driver).await;
    author_at_the_editor(&t, &client).await;
    slow_saves(&client, 1500).await;

    type_into(&client, "title", "Cider notes").await;
    type_into(&client, "markdown", "Sweet *and* sharp.").await;
    until(&client, "the autosave to start", "state", |s| {
        s == "Saving…"
    })
    .await;
    click(&client, "publish").await;

    // The click must not be swallowed by the autosave it interrupted: once that lands, the
    // post is published (at most two slow saves later).
    let start = Instant::now();
    while status_of(&t, "Cider notes").await.as_deref() != Some("published")
        && start.elapsed() < PATIENCE
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = status_of(&t, "Cider notes").await;
    let state = page_state(&client).await;
    assert_eq!(
        status.as_deref(),
        Some("published"),
        "Publish, clicked while an autosave was under way, was lost; the editor shows {state:#}"
    );
    until(&client, "the editor to say so", "state", |s| {
        s == "published"
    })
    .await;
    let public = t.get(AppName::Blog, "/posts/cider-notes", None).await;
    assert_eq!(public.status, 200);

    client.close().await.unwrap();
    t.stop().await;
}

/// `body()` in editor.js sends `published_at: null` unless the post is published, so the
/// autosave of a scheduled post is refused ("A scheduled post needs a time to publish.").
#[actix_web::test]
async fn writing_on_in_a_scheduled_post_autosaves_and_keeps_its_time() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let t = TestFleet::start().await;
    let client = browser(&driver).await;
    author_at_the_editor(&t, &client).await;

    type_into(&client, "title", "Blossom walk").await;
    type_into(&client, "markdown", "Meet at the *gate*.").await;
    let state = until(&client, "the autosave", "state", |s| s == "Draft saved").await;
    let id = post_id(state["path"].as_str().unwrap()).unwrap();

    // Schedule it a week ahead (the picker's value set directly: its typing is locale-bound).
    let at = (chrono::Local::now() + chrono::Duration::days(7))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    set_value(&client, "publish_at", &at).await;
    click(&client, "schedule").await;
    until(&client, "scheduling", "state", |s| s == "scheduled").await;
    let (_, _, status, _) = stored(&t, id).await;
    assert_eq!(status, "scheduled");
    let time = || async {
        posts::table
            .find(id)
            .select(posts::published_at)
            .first::<Option<chrono::DateTime<chrono::Utc>>>(&mut t.db.conn().await)
            .await
            .unwrap()
            .expect("a scheduled post has its time")
    };
    let scheduled_for = time().await;

    // Writing on autosaves the post, still scheduled for the same time.
    type_into(&client, "markdown", " Bring boots.").await;
    let state = until(&client, "the autosave to finish", "state", |s| {
        s != "Unsaved changes" && s != "Saving…"
    })
    .await;
    assert!(
        state["state"] == "scheduled" && state["error"].is_null(),
        "the autosave of a scheduled post failed; the editor shows {state:#}"
    );
    let (_, _, status, markdown) = stored(&t, id).await;
    assert_eq!(status, "scheduled");
    assert_eq!(
        markdown.as_deref(),
        Some("Meet at the *gate*. Bring boots.")
    );
    assert_eq!(time().await, scheduled_for);

    client.close().await.unwrap();
    t.stop().await;
}
