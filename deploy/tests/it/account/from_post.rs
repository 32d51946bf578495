//! A campaign started from a blog post: the editor picks a published post (read through the
//! `Publications` contract) and gets a draft with its title, its body (sanitised) and a link to
//! it, then previews and sends it as any draft; a post imported as HTML gets a text part that
//! reads as text. Drafts, pages, unknown posts and non-editors are refused and create nothing.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use reqwest::StatusCode;
use shared::AppName;
use shared::db::schema::newsletter_campaigns;
use shared::testing::TestSession;

use crate::support::{Page, TestFleet, eventually, mail_sink};

/// Inserts a post; returns its id.
async fn post(t: &TestFleet, slug: &str, title: &str, status: &str, kind: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    diesel::sql_query(
        "INSERT INTO posts (slug, title, excerpt, html, markdown, status, kind, published_at) \
         VALUES ($1, $2, '', '<p>The <strong>orchard</strong> is in bloom.</p>', \
                 'The **orchard** is in bloom. <script>alert(1)</script>', $3, $4, \
                 CASE WHEN $3 = 'published' THEN now() END) RETURNING id",
    )
    .bind::<Text, _>(slug)
    .bind::<Text, _>(title)
    .bind::<Text, _>(status)
    .bind::<Text, _>(kind)
    .get_result::<Id>(&mut t.db.conn().await)
    .await
    .unwrap()
    .id
}

async fn user(t: &TestFleet, name: &str, role: &str) -> TestSession {
    let email = format!("{name}@example.org");
    let id = federation::db::users::insert(
        &mut t.db.conn().await,
        &shared::models::users::NewUser {
            username: name,
            email: &email,
            display_name: name,
            avatar_url: None,
            bio: "",
            role,
        },
    )
    .await
    .unwrap()
    .id;
    t.sign_in(AppName::Account, id).await
}

async fn from_post(t: &TestFleet, session: &TestSession, post: &str, list: &str) -> Page {
    t.post_form(
        AppName::Account,
        "/campaigns/from-post",
        &[("post", post), ("newsletter", list)],
        Some(session),
        AppName::Account,
    )
    .await
}

async fn campaigns(t: &TestFleet) -> i64 {
    newsletter_campaigns::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn an_editor_starts_a_campaign_from_a_published_post_and_sends_it() {
    let t = TestFleet::start_with(&[("NEWSLETTER_RATE_PER_SEC", "50")]).await;
    let reader = format!("reader.{}@example.org", t.db.name.replace('_', "-"));
    {
        let mut conn = t.db.conn().await;
        let list = account::db::newsletters::insert(
            &mut conn,
            &account::db::newsletters::NewNewsletter::public("orchard", "Orchard News", "Monthly."),
        )
        .await
        .unwrap();
        diesel::sql_query(
            "WITH s AS (INSERT INTO newsletter_subscribers (email) VALUES ($2) RETURNING id) \
             INSERT INTO newsletter_subscriptions (newsletter_id, subscriber_id, status, confirmed_at) \
             SELECT $1, s.id, 'confirmed', now() FROM s",
        )
        .bind::<BigInt, _>(list.id)
        .bind::<Text, _>(&reader)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let published = post(
        &t,
        "spring-orchard",
        "Spring in the orchard",
        "published",
        "post",
    )
    .await;
    let draft = post(&t, "secret-draft", "A secret draft", "draft", "post").await;
    let page = post(&t, "about-us", "About us", "published", "page").await;
    let editor = user(&t, "editor", "editor").await;
    let member = user(&t, "member", "member").await;

    // The editor's list offers the published post, not the draft or the page.
    let index = t.get(AppName::Account, "/campaigns", Some(&editor)).await;
    assert_eq!(index.status, StatusCode::OK);
    assert!(
        index.body.contains(&format!(
            r#"<option value="{published}">Spring in the orchard</option>"#
        )),
        "{}",
        index.body
    );
    assert!(!index.body.contains("A secret draft"));
    assert!(!index.body.contains("About us"));

    // Refusals create nothing: a draft, a page, no such post, not a number, no such list,
    // a member who is not an editor.
    for (session, post, list, status) in [
        (&editor, draft.to_string(), "orchard", StatusCode::NOT_FOUND),
        (&editor, page.to_string(), "orchard", StatusCode::NOT_FOUND),
        (
            &editor,
            "999999".to_owned(),
            "orchard",
            StatusCode::NOT_FOUND,
        ),
        (
            &editor,
            "spring".to_owned(),
            "orchard",
            StatusCode::BAD_REQUEST,
        ),
        (
            &editor,
            published.to_string(),
            "nope",
            StatusCode::NOT_FOUND,
        ),
        (
            &member,
            published.to_string(),
            "orchard",
            StatusCode::FORBIDDEN,
        ),
    ] {
        let res = from_post(&t, session, &post, list).await;
        assert_eq!(res.status, status, "{post} {list}: {}", res.body);
    }
    assert_eq!(campaigns(&t).await, 0);

    // The draft: the post's title, its Markdown, a link to the post; sanitised HTML.
    let created = from_post(&t, &editor, &published.to_string(), "orchard").await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id: i64 = created.headers["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/campaigns/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (subject, markdown, html, status): (String, String, String, String) =
        newsletter_campaigns::table
            .find(id)
            .select((
                newsletter_campaigns::subject,
                newsletter_campaigns::body_markdown,
                newsletter_campaigns::body_html,
                newsletter_campaigns::status,
            ))
            .first(&mut t.db.conn().await)
            .await
            .unwrap();
    // The blog's public address of the post (what readers follow).
    let post_url = t
        .fleet
        .ctx(AppName::Account)
        .url(AppName::Blog, "/posts/spring-orchard");
    assert!(post_url.starts_with("http"), "{post_url}");
    assert_eq!(subject, "Spring in the orchard");
    assert_eq!(status, "draft");
    assert!(
        markdown.starts_with("The **orchard** is in bloom."),
        "{markdown}"
    );
    assert!(markdown.contains(&format!("({post_url})")), "{markdown}");
    assert!(html.contains("<strong>orchard</strong>"), "{html}");
    assert!(html.contains(&format!(r#"href="{post_url}""#)), "{html}");
    assert!(!html.contains("<script"), "{html}");

    // Preview and send as any draft.
    let preview = t
        .get(
            AppName::Account,
            &format!("/campaigns/{id}/preview"),
            Some(&editor),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body.contains(&post_url), "{}", preview.body);
    let scheduled = t
        .post_form(
            AppName::Account,
            &format!("/campaigns/{id}/schedule"),
            &[("at", "")],
            Some(&editor),
            AppName::Account,
        )
        .await;
    assert_eq!(
        scheduled.status,
        StatusCode::SEE_OTHER,
        "{}",
        scheduled.body
    );
    let mail = mail_sink().wait_for(&reader, 1).await.unwrap();
    assert_eq!(mail.subject(), Some("Spring in the orchard"));
    let part = mail.part("text/html").unwrap();
    assert!(part.contains(&post_url), "{part}");
    eventually(30, "the campaign to be sent", || async {
        newsletter_campaigns::table
            .find(id)
            .select(newsletter_campaigns::status)
            .first::<String>(&mut t.db.conn().await)
            .await
            .unwrap()
            == "sent"
    })
    .await;

    // A post imported as HTML (no Markdown): the mail's text part is its text, without tags,
    // links written "text (url)".
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let imported = diesel::sql_query(
        "INSERT INTO posts (slug, title, excerpt, html, status, kind, published_at) VALUES \
         ('imported-pears', 'Pears, imported', '', '<h2>Pears &amp; quinces</h2><p>See \
         <a href=\"https://example.org/pears\">the <em>pear</em> list</a>.</p>\
         <ul><li>Conference</li><li>Comice</li></ul>', 'published', 'post', now()) RETURNING id",
    )
    .get_result::<Id>(&mut t.db.conn().await)
    .await
    .unwrap()
    .id;
    let created = from_post(&t, &editor, &imported.to_string(), "orchard").await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let html_id = created.headers["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/campaigns/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let tester = format!("tester.{}@example.org", t.db.name.replace('_', "-"));
    let tested = t
        .post_form(
            AppName::Account,
            &format!("/campaigns/{html_id}/test"),
            &[("to", &tester)],
            Some(&editor),
            AppName::Account,
        )
        .await;
    assert_eq!(tested.status, StatusCode::SEE_OTHER, "{}", tested.body);
    let mail = mail_sink().wait_for(&tester, 1).await.unwrap();
    let text = mail.part("text/plain").unwrap().replace("\r\n", "\n");
    let post_url = t
        .fleet
        .ctx(AppName::Account)
        .url(AppName::Blog, "/posts/imported-pears");
    assert!(
        text.contains(&format!(
            "Pears & quinces\n\nSee the pear list (https://example.org/pears).\n\n\
             - Conference\n- Comice\n\nRead it on the blog ({post_url})\n"
        )),
        "{text}"
    );
    assert!(!text.contains('<'), "{text}");
    assert!(mail.part("text/html").unwrap().contains("<em>pear</em>"));
    t.stop().await;
}
