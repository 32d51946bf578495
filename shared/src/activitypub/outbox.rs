//! The transactional outbox: domain code records the activity that describes a change in the
//! same transaction as the change (a rollback takes both), and federation's processor delivers
//! it. Local activities (`emit_local`) are the fleet's event bus.

use diesel_async::AsyncPgConnection;
use serde_json::{Value, json};

use super::actors::LocalActor;
use super::{AS_CONTEXT, PUBLIC, id_of, store};
use crate::config::Config;

/// A fresh, dereferenceable id for an activity of `actor`.
pub fn activity_id(config: &Config, actor: &LocalActor) -> String {
    // Not a secret: a failing RNG gives a repeated id, which the unique index then refuses.
    let nonce = crate::crypto::random_bytes::<16>().unwrap_or_default();
    format!("{}/activities/{}", actor.id(config), hex::encode(nonce))
}

/// Wraps `object` in an activity of `kind` by `actor`, addressed to the public and the actor's
/// followers.
pub fn activity(config: &Config, actor: &LocalActor, kind: &str, object: Value) -> Value {
    json!({
        "@context": AS_CONTEXT,
        "id": activity_id(config, actor),
        "type": kind,
        "actor": actor.id(config),
        "published": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "to": [PUBLIC],
        "cc": [actor.followers(config)],
        "object": object,
    })
}

/// Records an outbound activity (call inside the transaction of the change it describes).
pub async fn emit(
    conn: &mut AsyncPgConnection,
    activity: &Value,
) -> diesel::QueryResult<Option<i64>> {
    record(conn, activity, "outbound").await
}

/// Records a local event for the fleet's own consumers (not delivered anywhere).
pub async fn emit_local(
    conn: &mut AsyncPgConnection,
    config: &Config,
    actor: &LocalActor,
    kind: &str,
    object: Value,
) -> diesel::QueryResult<Option<i64>> {
    let event = json!({
        "id": activity_id(config, actor),
        "type": kind,
        "actor": actor.id(config),
        "object": object,
        "published": chrono::Utc::now().to_rfc3339(),
    });
    record(conn, &event, "local").await
}

async fn record(
    conn: &mut AsyncPgConnection,
    activity: &Value,
    direction: &str,
) -> diesel::QueryResult<Option<i64>> {
    let id = activity["id"].as_str().unwrap_or_default();
    let kind = activity["type"].as_str().unwrap_or_default();
    let actor = activity.get("actor").and_then(id_of).unwrap_or_default();
    let object = activity.get("object").and_then(id_of);
    store::insert_activity(conn, id, kind, actor, object, direction, activity).await
}
