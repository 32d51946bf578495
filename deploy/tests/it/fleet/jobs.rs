//! The job queue in the fleet: the blog publishes scheduled posts through it (enqueued with the
//! post, moved when it is rescheduled, harmless when it is unscheduled), `/metrics` counts it,
//! and an administrator sees dead jobs on federation's `/admin` and retries them (with the
//! form's CSRF token only).

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::RunQueryDsl;
use reqwest::{Method, StatusCode};
use serde_json::json;
use shared::AppName;
use shared::jobs::store;
use shared::testing;

use crate::support::TestFleet;
use crate::support::eventually;
use crate::support::people::{api, person};

async fn jobs(t: &TestFleet) -> Vec<store::JobRow> {
    store::all(&mut t.db.conn().await).await.unwrap()
}

fn at(doc: &serde_json::Value) -> DateTime<Utc> {
    doc["published_at"].as_str().unwrap().parse().unwrap()
}

#[actix_web::test]
async fn the_blog_publishes_a_scheduled_post_on_time_through_the_queue() {
    let t = TestFleet::start().await;
    let ann = t
        .sign_in(AppName::Blog, person(&t, "ann", "author").await)
        .await;
    let schedule = |title: &str, secs: i64| {
        json!({
            "title": title, "markdown": "Soon.", "tags": [], "excerpt": "",
            "status": "scheduled",
            "published_at": (Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339(),
        })
    };
    let (s, doc) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&schedule("Apple day", 60)),
        Some(&ann),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{doc}");
    let id = doc["id"].as_i64().unwrap();
    let queued = jobs(&t).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].job_type, "blog.publish_scheduled");
    assert_eq!(queued[0].status, "pending");
    assert_eq!(
        queued[0].dedupe_key.as_deref(),
        Some(&*format!("post:{id}"))
    );
    assert_eq!(queued[0].run_at, at(&doc));

    // Rescheduled sooner: the same job moves (one pending job per post).
    let mut body = schedule("Apple day", 3);
    body["updated_at"] = doc["updated_at"].clone();
    let (s, doc) = api(
        &t,
        Method::PUT,
        &format!("/editor/api/posts/{id}"),
        Some(&body),
        Some(&ann),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    let due = at(&doc);
    let queued = jobs(&t).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].run_at, due);

    // Another post scheduled, then turned back into a draft: its job finds nothing to do.
    let (s, other) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&schedule("Pear day", 2)),
        Some(&ann),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{other}");
    let other_id = other["id"].as_i64().unwrap();
    let draft = json!({
        "title": "Pear day", "markdown": "Soon.", "tags": [], "excerpt": "", "status": "draft",
        "updated_at": other["updated_at"],
    });
    let (s, doc) = api(
        &t,
        Method::PUT,
        &format!("/editor/api/posts/{other_id}"),
        Some(&draft),
        Some(&ann),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{doc}");

    assert_eq!(
        t.get(AppName::Blog, "/posts/apple-day", None).await.status,
        404
    );
    eventually(15, "the scheduled post is published", || async {
        t.get(AppName::Blog, "/posts/apple-day", None).await.status == 200
    })
    .await;
    let late = Utc::now() - due;
    assert!(Utc::now() >= due, "not before its time");
    assert!(
        late < chrono::Duration::milliseconds(1500),
        "on time: {late}"
    );
    testing::assert_queue_drains(&t.db, 10).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status: String = diesel::sql_query("SELECT status AS s FROM posts WHERE id = $1")
        .bind::<diesel::sql_types::BigInt, _>(other_id)
        .get_result::<Status>(&mut t.db.conn().await)
        .await
        .unwrap()
        .s;
    assert_eq!(status, "draft", "an unscheduled post stays a draft");
    let creates: i64 = diesel::sql_query(
        "SELECT count(*) AS n FROM ap_activities WHERE direction = 'outbound' AND kind = 'Create'",
    )
    .get_result::<Count>(&mut t.db.conn().await)
    .await
    .unwrap()
    .n;
    assert_eq!(creates, 1, "published and federated once");
    testing::assert_queue_empty(&t.db).await;
    t.stop().await;
}

#[derive(diesel::QueryableByName)]
struct Status {
    #[diesel(sql_type = diesel::sql_types::Text)]
    s: String,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[actix_web::test]
async fn an_admin_sees_dead_jobs_and_retries_them_with_the_csrf_token() {
    let t = TestFleet::start().await;
    // A job that failed its last try (for a post that no longer exists: running it again
    // succeeds by doing nothing).
    let id: i64 = diesel::sql_query(
        "INSERT INTO background_jobs (job_type, payload, status, attempts, max_attempts, last_error) \
         VALUES ('blog.publish_scheduled', '{\"post_id\": 999}', 'dead', 20, 20, 'it broke') \
         RETURNING id AS n",
    )
    .get_result::<Count>(&mut t.db.conn().await)
    .await
    .unwrap()
    .n;
    let metrics = t.get(AppName::Blog, "/metrics", None).await.body;
    assert!(metrics.contains("jobs_dead{app=\"blog\"} 1"), "{metrics}");
    assert!(metrics.contains("jobs_pending{app=\"blog\"} 0"));

    let admin = t
        .sign_in(AppName::Federation, person(&t, "root", "admin").await)
        .await;
    let page = t.get(AppName::Federation, "/admin", Some(&admin)).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("blog.publish_scheduled"),
        "{}",
        page.body
    );
    assert!(page.body.contains("it broke"));
    assert!(
        page.body
            .contains(&format!("action=\"/admin/jobs/{id}/retry\""))
    );

    // Without the token (a script elsewhere in the fleet): refused, nothing changes.
    let origin = t.fleet.url(AppName::Blog).origin().ascii_serialization();
    let res = t
        .client
        .post(
            t.fleet
                .at(AppName::Federation, &format!("/admin/jobs/{id}/retry")),
        )
        .header("origin", origin)
        .header("sec-fetch-site", "same-site")
        .header("cookie", &admin.cookie)
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(jobs(&t).await[0].status, "dead");
    // A member who is not an admin: refused.
    let member = t
        .sign_in(AppName::Federation, person(&t, "mo", "member").await)
        .await;
    let page = t
        .post_form(
            AppName::Federation,
            &format!("/admin/jobs/{id}/retry"),
            &[],
            Some(&member),
            AppName::Federation,
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(jobs(&t).await[0].status, "dead");

    let page = t
        .post_form(
            AppName::Federation,
            &format!("/admin/jobs/{id}/retry"),
            &[],
            Some(&admin),
            AppName::Federation,
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    testing::assert_queue_drains(&t.db, 10).await;
    // Retried already: 404.
    let page = t
        .post_form(
            AppName::Federation,
            &format!("/admin/jobs/{id}/retry"),
            &[],
            Some(&admin),
            AppName::Federation,
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    t.stop().await;
}

#[actix_web::test]
async fn mail_waits_in_the_queue_while_no_worker_runs_and_is_sent_once_one_does() {
    let mut t = TestFleet::start().await;
    person(&t, "queuedmail", "member").await;
    let address = "queuedmail@example.org";
    // Federation's workers are down (a crash, a deploy): the request still answers at once.
    t.fleet.stop_workers(AppName::Federation).await;
    let visitor = testing::session(t.fleet.ctx(AppName::Federation), None).await;
    let page = t
        .post_form(
            AppName::Federation,
            "/password/forgot",
            &[("email", address)],
            Some(&visitor),
            AppName::Federation,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    // The reset is a job of its own (it looks the address up, then queues the mail).
    eventually(10, "the reset job", || async {
        jobs(&t)
            .await
            .iter()
            .any(|j| j.job_type == "federation.send_password_reset")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        crate::support::mail_sink().to(address).is_empty(),
        "nothing is sent without a worker"
    );
    let queued = jobs(&t).await;
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0].status, "pending");

    t.fleet.restart_workers(AppName::Federation).await.unwrap();
    let mail = crate::support::mail_sink()
        .wait_for(address, 1)
        .await
        .expect("the queued mail is sent");
    assert!(
        mail.links().iter().any(|l| l.contains("/password/reset/")),
        "{}",
        mail.body()
    );
    testing::assert_queue_drains(&t.db, 10).await;
    assert_eq!(
        crate::support::mail_sink().to(address).len(),
        1,
        "sent once"
    );
    t.stop().await;
}
