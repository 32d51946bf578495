//! Remote posts (`ap_objects`) as the inbound handlers store, edit and tombstone them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use shared::activitypub::store::Object;
use shared::db::schema::ap_objects;

pub async fn object(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<Option<Object>> {
    ap_objects::table
        .find(id)
        .select(Object::as_select())
        .first(conn)
        .await
        .optional()
}

/// Whether we keep an object with this id.
pub async fn exists(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(ap_objects::table.find(id)))
        .get_result(conn)
        .await
}

/// Stores a new object (an existing id is left alone: Create is idempotent).
pub async fn insert_object(conn: &mut AsyncPgConnection, object: &Object) -> QueryResult<bool> {
    diesel::insert_into(ap_objects::table)
        .values(object)
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(|n| n > 0)
}

/// Applies an edit if it is newer than what is stored (Update only counts with `updated`).
pub async fn update_object(
    conn: &mut AsyncPgConnection,
    id: &str,
    updated: DateTime<Utc>,
    name: Option<&str>,
    summary: Option<&str>,
    content: &str,
    payload: &Value,
) -> QueryResult<bool> {
    diesel::update(
        ap_objects::table
            .find(id)
            .filter(ap_objects::deleted_at.is_null())
            .filter(
                ap_objects::updated
                    .is_null()
                    .or(ap_objects::updated.lt(updated)),
            ),
    )
    .set((
        ap_objects::updated.eq(updated),
        ap_objects::name.eq(name),
        ap_objects::summary.eq(summary),
        ap_objects::content.eq(content),
        ap_objects::payload.eq(payload),
    ))
    .execute(conn)
    .await
    .map(|n| n > 0)
}

/// Leaves a Tombstone: the content goes, the id stays (and answers 410).
pub async fn tombstone(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<bool> {
    diesel::update(
        ap_objects::table
            .find(id)
            .filter(ap_objects::deleted_at.is_null()),
    )
    .set((
        ap_objects::deleted_at.eq(diesel::dsl::now),
        ap_objects::content.eq(""),
        ap_objects::summary.eq(None::<String>),
        ap_objects::name.eq(None::<String>),
        ap_objects::payload.eq(serde_json::json!({ "id": id, "type": "Tombstone" })),
    ))
    .execute(conn)
    .await
    .map(|n| n > 0)
}
