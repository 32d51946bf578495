//! Federation's start hook: its state is built before it serves, and a failure stops it with
//! the cause named (it used to log the error, serve anyway and fail on request paths).

use std::net::{IpAddr, Ipv4Addr};

use deploy::fleet::{Fleet, FleetError};
use shared::AppName;
use shared::infrastructure::app::StartError;
use shared::testing::{self, TestDb, TestRedis};

/// Starts a fleet on `db` and returns why it could not.
async fn start_failure(db: &TestDb, overrides: &[(&str, &str)]) -> String {
    let redis = TestRedis::new(&db.name).await;
    let config = testing::config(db, &redis, overrides);
    match Fleet::start(config, IpAddr::V4(Ipv4Addr::LOCALHOST), None).await {
        Ok(fleet) => {
            fleet.stop().await;
            panic!("the fleet started");
        }
        Err(FleetError::Start {
            app: AppName::Federation,
            source: source @ StartError::App { .. },
        }) => source.to_string(),
        Err(other) => panic!("failed for another reason: {other}"),
    }
}

#[actix_web::test]
async fn an_unreadable_signing_key_stops_federation_and_is_named() {
    let db = TestDb::new().await;
    {
        let mut conn = db.conn().await;
        federation::db::oauth::insert_signing_key(&mut conn, "k-broken", "not a PEM")
            .await
            .unwrap();
    }
    let message = start_failure(&db, &[]).await;
    assert!(message.starts_with("federation"), "{message}");
    assert!(
        message.contains("signing key `k-broken` cannot be read"),
        "{message}"
    );
}

#[actix_web::test]
async fn a_bad_setting_of_federation_s_own_section_stops_it() {
    let db = TestDb::new().await;
    let message = start_failure(&db, &[("SESSION_IDLE_TIMEOUT_SECS", "soon")]).await;
    assert!(message.contains("SESSION_IDLE_TIMEOUT_SECS"), "{message}");
}

#[actix_web::test]
async fn federation_builds_its_keys_and_clients_before_it_serves() {
    let db = TestDb::new().await;
    let redis = TestRedis::new(&db.name).await;
    let config = testing::config(&db, &redis, &[]);
    let fleet = Fleet::start(config, IpAddr::V4(Ipv4Addr::LOCALHOST), None)
        .await
        .unwrap();
    // No request has reached federation yet: the start hook did the work.
    let mut conn = db.conn().await;
    let keys = federation::db::oauth::signing_keys(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.iter().filter(|k| k.retired_at.is_none()).count(), 1);
    let clients = federation::db::oauth::clients(&mut conn).await.unwrap();
    for app in AppName::ALL {
        assert!(
            clients.iter().any(|c| c.client_id == app.as_str()),
            "{app} registered"
        );
    }
    fleet.stop().await;
}
