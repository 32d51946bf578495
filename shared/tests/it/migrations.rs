//! Migrations: run once, idempotent, safe to race, and the schema matches `schema.rs` and the
//! table-ownership record.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::db::migrate;
use shared::models::TABLE_OWNERS;
use shared::testing::TestDb;

#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_run_once_and_are_idempotent() {
    let db = TestDb::empty().await;
    let first = migrate::run_pending(&db.url).await.unwrap();
    assert!(!first.is_empty(), "a fresh database gets every migration");
    let second = migrate::run_pending(&db.url).await.unwrap();
    assert!(
        second.is_empty(),
        "a second run applies nothing: {second:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_migrators_apply_each_migration_once() {
    let db = TestDb::empty().await;
    let (a, b) = tokio::join!(migrate::run_pending(&db.url), migrate::run_pending(&db.url));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        a.is_empty() != b.is_empty(),
        "exactly one runner applied them: {a:?} / {b:?}"
    );
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = db.conn().await;
    let applied: Count = diesel::sql_query("SELECT count(*) AS n FROM __diesel_schema_migrations")
        .get_result(&mut conn)
        .await
        .unwrap();
    assert_eq!(applied.n as usize, a.len() + b.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn every_table_has_one_owner_and_schema_rs_matches() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT table_name::text AS table_name, column_name::text AS column_name FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' \
           AND is_generated = 'NEVER' ORDER BY 1, 2",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let mut tables: Vec<&str> = columns.iter().map(|c| c.table_name.as_str()).collect();
    tables.dedup();
    for table in &tables {
        assert!(
            shared::models::owner_of(table).is_some(),
            "table {table} has no owning app in TABLE_OWNERS"
        );
    }
    assert_eq!(
        tables.len(),
        TABLE_OWNERS.len(),
        "TABLE_OWNERS names tables that do not exist"
    );

    // The columns schema.rs names (read off the SQL diesel generates), table by table, must be
    // exactly the migrated database's. Generated columns (products.search_document, a tsvector
    // PostgreSQL computes) are left out: no app writes them, and the queries reading them are
    // raw SQL.
    use shared::db::schema::*;
    fn named_columns(sql: String) -> Vec<(String, String)> {
        let select = sql.split(" FROM ").next().unwrap_or_default();
        select
            .split(", ")
            .filter_map(|part| {
                let part = part.trim_start_matches("SELECT ");
                let (t, c) = part.split_once("\".\"")?;
                Some((
                    t.trim_matches('"').to_owned(),
                    c.trim_matches('"').to_owned(),
                ))
            })
            .collect()
    }
    macro_rules! columns {
        ($($table:ident),* $(,)?) => {
            [$(named_columns(
                diesel::debug_query::<diesel::pg::Pg, _>(&$table::table.select($table::all_columns)).to_string(),
            )),*]
            .concat()
        };
    }
    let mut known: Vec<(String, String)> = columns!(
        users,
        posts,
        post_meta,
        post_slug_history,
        tags,
        post_tags,
        post_authors,
        blog_settings,
        post_comments,
        ghost_sites,
        ghost_posts,
        nav_items,
        products,
        stalls,
        stall_owners,
        product_slug_history,
        product_options,
        product_variants,
        product_images,
        inventory_reservations,
        inventory_reservation_lines,
        carts,
        cart_items,
        orders,
        order_lines,
        order_history,
        order_refunds,
        events,
        newsletters,
        newsletter_subscriptions,
        newsletter_subscribers,
        newsletter_confirmations,
        newsletter_campaigns,
        newsletter_campaign_recipients,
        newsletter_bounces,
        recovery_codes,
        password_resets,
        oauth_clients,
        oauth_consents,
        oauth_refresh_tokens,
        oauth_signing_keys,
        ap_keys,
        ap_activities,
        ap_deliveries,
        ap_followers,
        ap_following,
        ap_remote_actors,
        ap_objects,
        ap_reactions,
        ap_blocks,
        ap_event_cursors,
        ap_event_dead_letters,
        background_jobs,
        social_notifications,
        social_filters,
        social_settings,
        social_home,
        social_reports,
        ghost_gone,
        ghost_sync_state,
        ghost_slug_clashes,
        market_imports,
        market_import_items,
        calendars,
        calendar_organisers,
        event_occurrences,
        event_slug_history,
        event_bookings,
        event_booking_feeds,
        event_ticket_types,
        event_tickets,
        inventory_reservation_seats,
        ap_signature_standards,
    );
    known.sort();
    let mut actual: Vec<(String, String)> = columns
        .into_iter()
        .map(|c| (c.table_name, c.column_name))
        .collect();
    actual.sort();
    assert_eq!(
        known, actual,
        "schema.rs and the migrated database disagree"
    );
}
