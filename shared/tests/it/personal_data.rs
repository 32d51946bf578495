//! The `PersonalData` sources against real PostgreSQL: every owning app answers, with every
//! set it looks at, for a member with rows and one without; nobody else's rows come along.

use diesel_async::RunQueryDsl;
use shared::AppName;
use shared::config::{DatabaseConfig, Secret};
use shared::contracts::personal_data::DataSubject;
use shared::services::Registry;
use shared::testing::TestDb;

async fn exec(db: &TestDb, sql: &str) {
    diesel::sql_query(sql)
        .execute(&mut db.conn().await)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[derive(diesel::QueryableByName)]
struct Id {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

async fn member(db: &TestDb, name: &str) -> i64 {
    let rows: Vec<Id> = diesel::sql_query(format!(
        "INSERT INTO users (username, email, display_name, role, password_hash, totp_secret) \
         VALUES ('{name}', '{name}@example.org', '{name}', 'member', 'argon-{name}', \
         'totp-{name}') RETURNING id"
    ))
    .load(&mut db.conn().await)
    .await
    .unwrap();
    rows[0].id
}

#[tokio::test]
async fn every_app_answers_with_the_members_rows_only() {
    let db = TestDb::new().await;
    let ada = member(&db, "ada").await;
    let bob = member(&db, "bob").await;
    for (who, id) in [("ada", ada), ("bob", bob)] {
        exec(
            &db,
            &format!(
                "INSERT INTO posts (slug, title, excerpt, html, status, author_id, published_at) \
                 VALUES ('{who}-post', 'Post by {who}', '', '<p>x</p>', 'published', {id}, now())"
            ),
        )
        .await;
    }
    let pool = shared::db::pool(
        &DatabaseConfig {
            url: Secret::new(db.url.clone()),
            pool_size: 2,
        },
        "personal-data-test",
    )
    .unwrap();
    let sources = Registry::on_database(pool).personal_data;
    let owners: Vec<AppName> = sources.iter().map(|s| s.owner()).collect();
    assert_eq!(
        owners,
        [
            AppName::Federation,
            AppName::Account,
            AppName::Blog,
            AppName::Cart,
            AppName::Events,
            AppName::Market
        ]
    );
    let subject = DataSubject {
        user_id: ada,
        actor: "https://federation.test/users/ada".into(),
    };
    let mut text = String::new();
    for source in &sources {
        let section = source.section(&subject).await.unwrap();
        assert_eq!(section.app, source.owner());
        assert!(!section.data.is_empty());
        text.push_str(&serde_json::to_string(&section).unwrap());
    }
    assert!(text.contains("ada@example.org"), "{text}");
    assert!(text.contains("Post by ada"), "{text}");
    assert!(!text.contains("bob"), "{text}");
    assert!(
        !text.contains("argon-ada") && !text.contains("totp-ada"),
        "{text}"
    );

    // An address subscribed before it was linked to a member is theirs once they prove it,
    // not before (anyone can sign up with someone else's address).
    for q in [
        "INSERT INTO newsletters (slug, name) VALUES ('orchard', 'Orchard news')",
        "INSERT INTO newsletter_subscribers (email) VALUES ('ADA@example.org')",
        "INSERT INTO newsletter_subscriptions (newsletter_id, subscriber_id, status) \
         SELECT n.id, s.id, 'confirmed' FROM newsletters n, newsletter_subscribers s",
    ] {
        exec(&db, q).await;
    }
    let account = &sources[1];
    let lists = |section: shared::contracts::personal_data::DataSection| {
        section.data["newsletter_subscriptions"].clone()
    };
    let unproved = lists(account.section(&subject).await.unwrap());
    assert_eq!(unproved, serde_json::json!([]));
    exec(
        &db,
        &format!("UPDATE users SET email_verified_at = now() WHERE id = {ada}"),
    )
    .await;
    let proved = lists(account.section(&subject).await.unwrap());
    assert_eq!(proved[0]["newsletter"], "orchard", "{proved}");

    // A member with nothing but the account: every set is empty, none fails.
    let cy = member(&db, "cy").await;
    let blog = sources[2]
        .section(&DataSubject {
            user_id: cy,
            actor: "https://federation.test/users/cy".into(),
        })
        .await
        .unwrap();
    assert_eq!(blog.data["posts"], serde_json::json!([]));
    assert_eq!(blog.data["comments"], serde_json::json!([]));
}
