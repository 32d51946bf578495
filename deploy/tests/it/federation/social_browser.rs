//! The social hub in a real browser (headless Chromium over WebDriver, as in
//! `support/chromium.rs`): a member signs in with their password, posts behind a content
//! warning from the compose form (a multipart form: the CSRF token travels at its head), sees it
//! folded in their home timeline, follows a member of a second fleet by handle from the follows
//! page, and watches the header's unread count rise when that member mentions them and clear
//! when they mark their notifications read.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use shared::AppName;
use shared::db::schema::ap_following;

use super::social::{actor, post};
use crate::support::chromium::{browser, start_driver, start_driver_in};
use crate::support::people::member;
use crate::support::{TestFleet, eventually};

const PATIENCE: Duration = Duration::from_secs(15);
const PASSWORD: &str = "pear blossom in april";

async fn element(client: &Client, what: &str, css: &str) -> Element {
    match client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(css))
        .await
    {
        Ok(found) => found,
        Err(e) => {
            let url = client.current_url().await.map(|u| u.to_string());
            let source = client.source().await.unwrap_or_default();
            panic!("no {what} ({css}): {e}; the browser is at {url:?}:\n{source}");
        }
    }
}

/// Reloads `page` until `check` holds on its source.
async fn until_page(client: &Client, page: &str, what: &str, check: impl Fn(&str) -> bool) {
    let start = Instant::now();
    loop {
        client.goto(page).await.unwrap();
        let source = client.source().await.unwrap_or_default();
        if check(&source) {
            return;
        }
        if start.elapsed() >= PATIENCE {
            panic!("timed out waiting for {what} on {page}:\n{source}");
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[actix_web::test]
async fn a_member_posts_with_a_cw_follows_across_fleets_and_sees_the_unread_count() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let a = TestFleet::start().await;
    let b = TestFleet::start().await;
    let ann_id = member(&a, "ann").await;
    let bea_id = member(&b, "bea").await;
    let bea = b.sign_in(AppName::Federation, bea_id).await;
    let (ann_actor, bea_actor) = (actor(&a, "ann"), actor(&b, "bea"));
    let hash = federation::accounts::passwords::hash(PASSWORD.to_owned())
        .await
        .unwrap();
    {
        let mut conn = a.db.conn().await;
        federation::db::users::set_password_hash(&mut conn, ann_id, &hash)
            .await
            .unwrap();
        federation::db::users::mark_email_verified(&mut conn, ann_id)
            .await
            .unwrap();
    }
    let client = browser(&driver).await;

    // Sign in with the password.
    client
        .goto(&a.fleet.at(AppName::Federation, "/login"))
        .await
        .unwrap();
    element(&client, "the login field", "#login")
        .await
        .send_keys("ann")
        .await
        .unwrap();
    element(&client, "the password field", "#password")
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    element(
        &client,
        "the Sign in button",
        ".auth-card form button[type=submit]",
    )
    .await
    .click()
    .await
    .unwrap();
    element(&client, "the signed-in page", ".site-header").await;
    // The header's user menu is the account app's fragment: on a loaded machine it can miss
    // its 250 ms and the page shows without it, so look again rather than wait on one render.
    let landed = client.current_url().await.unwrap().to_string();
    until_page(&client, &landed, "the signed-in member", |s| {
        s.contains("class=\"who\"")
    })
    .await;

    // Compose behind a content warning: the home timeline shows it folded.
    let home = a.fleet.at(AppName::Federation, "/home");
    client.goto(&home).await.unwrap();
    element(&client, "the content warning field", "form.compose #cw")
        .await
        .send_keys("orchard spoilers")
        .await
        .unwrap();
    element(&client, "the text field", "form.compose #text")
        .await
        .send_keys("The quinces are ripe")
        .await
        .unwrap();
    element(
        &client,
        "the Post button",
        "form.compose button[type=submit]",
    )
    .await
    .click()
    .await
    .unwrap();
    let folded = element(
        &client,
        "the folded post",
        "article.status details.cw summary",
    )
    .await;
    assert_eq!(folded.text().await.unwrap(), "orchard spoilers");
    let url = client.current_url().await.unwrap();
    assert_eq!(url.path(), "/home", "{url}");
    let source = client.source().await.unwrap();
    assert!(source.contains("The quinces are ripe"), "{source}");

    // Follow bea on the second fleet by handle.
    let b_url = b.fleet.url(AppName::Federation);
    let handle = format!(
        "bea@{}:{}",
        b_url.host_str().unwrap(),
        b_url.port().unwrap()
    );
    client
        .goto(&a.fleet.at(AppName::Federation, "/follows"))
        .await
        .unwrap();
    element(&client, "the follow field", "#follow-actor")
        .await
        .send_keys(&handle)
        .await
        .unwrap();
    element(
        &client,
        "the Follow button",
        "form[action='/social/follow'] button[type=submit]",
    )
    .await
    .click()
    .await
    .unwrap();
    eventually(15, "bea to accept ann's follow", || async {
        ap_following::table
            .find((&ann_actor, &bea_actor))
            .select(ap_following::state)
            .first::<String>(&mut a.db.conn().await)
            .await
            .is_ok_and(|s| s == "accepted")
    })
    .await;

    // Bea mentions ann: the header's count rises, and clears once ann reads.
    let a_url = a.fleet.url(AppName::Federation);
    let mention = format!(
        "Welcome @ann@{}:{}",
        a_url.host_str().unwrap(),
        a_url.port().unwrap()
    );
    assert_eq!(
        post(
            &b,
            &bea,
            "/statuses",
            &[("text", &mention), ("visibility", "public")]
        )
        .await,
        303
    );
    until_page(&client, &home, "the header's unread count", |s| {
        s.contains("<span class=\"count\">1</span>")
    })
    .await;
    let count = element(&client, "the header's count", ".user-menu a.unread .count").await;
    assert_eq!(count.text().await.unwrap(), "1");
    count.click().await.unwrap();
    element(
        &client,
        "Mark all as read",
        "form[action='/notifications/read'] button[type=submit]",
    )
    .await
    .click()
    .await
    .unwrap();
    until_page(&client, &home, "the header's count to clear", |s| {
        !s.contains("class=\"unread\"") && s.contains("The quinces are ripe")
    })
    .await;
    client.close().await.unwrap();
    b.stop().await;
    a.stop().await;
}

/// A post over a week old shows a date, which the server writes in UTC; the page's script shows
/// it as the viewer's calendar does. 23:30 UTC is already the next day in Auckland.
#[actix_web::test]
async fn dates_of_older_posts_show_in_the_viewers_time_zone() {
    use chrono::{Datelike, Duration as Days, Utc};
    use shared::db::schema::ap_objects;

    let Some(driver) = start_driver_in(Some("Pacific/Auckland")).await else {
        return;
    };
    let t = TestFleet::start().await;
    let ann_id = member(&t, "ann").await;
    let ann = t.sign_in(AppName::Federation, ann_id).await;
    let form = [("text", "Pears from last month"), ("visibility", "public")];
    assert_eq!(post(&t, &ann, "/statuses", &form).await, 303);
    let utc_day = (Utc::now() - Days::days(30)).date_naive();
    let when = utc_day.and_hms_opt(23, 30, 0).unwrap().and_utc();
    let auckland_day = utc_day.succ_opt().unwrap();
    diesel::update(ap_objects::table.filter(ap_objects::attributed_to.eq(actor(&t, "ann"))))
        .set(ap_objects::published.eq(Some(when)))
        .execute(&mut t.db.conn().await)
        .await
        .unwrap();
    let days = |text: &str| -> Vec<u32> {
        text.split(|c: char| !c.is_ascii_digit())
            .filter_map(|d| d.parse().ok())
            .collect()
    };

    // Without the script: the UTC date.
    let page = t.get(AppName::Federation, "/@ann", None).await;
    let utc_text = page
        .body
        .split("data-local data-date>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no dated post time:\n{}", page.body))
        .to_owned();
    assert!(days(&utc_text).contains(&utc_day.day()), "{utc_text}");

    // In the browser, in Auckland: the next day.
    let client = browser(&driver).await;
    client
        .goto(&t.fleet.at(AppName::Federation, "/@ann"))
        .await
        .unwrap();
    let shown = element(&client, "the post's date", "time[data-date]").await;
    let start = Instant::now();
    let text = loop {
        let text = shown.text().await.unwrap();
        if text != utc_text || start.elapsed() >= PATIENCE {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        days(&text).contains(&auckland_day.day()) && !days(&text).contains(&utc_day.day()),
        "shown {text:?} for {when} in Auckland (the server wrote {utc_text:?})"
    );
    client.close().await.unwrap();
    t.stop().await;
}
