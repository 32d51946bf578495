//! Members' own posts as stored in `ap_objects` (local, at the place their id names).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use shared::db::schema::ap_objects;
use shared::db::schema::ap_reactions;

pub struct NewPost<'a> {
    pub seq: i64,
    pub id: &'a str,
    pub attributed_to: &'a str,
    pub summary: Option<&'a str>,
    pub content: &'a str,
    pub url: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub published: DateTime<Utc>,
    pub payload: &'a Value,
}

pub async fn insert(conn: &mut AsyncPgConnection, post: &NewPost<'_>) -> QueryResult<()> {
    diesel::insert_into(ap_objects::table)
        .values((
            ap_objects::seq.eq(post.seq),
            ap_objects::id.eq(post.id),
            ap_objects::kind.eq("Note"),
            ap_objects::attributed_to.eq(post.attributed_to),
            ap_objects::local.eq(true),
            ap_objects::summary.eq(post.summary),
            ap_objects::content.eq(post.content),
            ap_objects::url.eq(post.url),
            ap_objects::in_reply_to.eq(post.in_reply_to),
            ap_objects::published.eq(post.published),
            ap_objects::payload.eq(post.payload),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// (id, author, local, visibility, payload, deleted) of the object at `seq`.
pub type Stored = (String, String, bool, String, Value, Option<DateTime<Utc>>);

pub async fn by_seq(conn: &mut AsyncPgConnection, seq: i64) -> QueryResult<Option<Stored>> {
    ap_objects::table
        .filter(ap_objects::seq.eq(seq))
        .select((
            ap_objects::id,
            ap_objects::attributed_to,
            ap_objects::local,
            ap_objects::visibility,
            ap_objects::payload,
            ap_objects::deleted_at,
        ))
        .first(conn)
        .await
        .optional()
}

/// The author of a stored object.
pub async fn author_of(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<Option<String>> {
    ap_objects::table
        .find(id)
        .select(ap_objects::attributed_to)
        .first(conn)
        .await
        .optional()
}

/// The id of `actor`'s Like or Announce of `object_id`.
pub async fn reaction_id(
    conn: &mut AsyncPgConnection,
    actor: &str,
    object_id: &str,
    kind: &str,
) -> QueryResult<Option<String>> {
    ap_reactions::table
        .find((actor, object_id, kind))
        .select(ap_reactions::activity_id)
        .first(conn)
        .await
        .optional()
}

/// Who boosted `object_id` (for "a post you boosted was edited").
pub async fn boosters(conn: &mut AsyncPgConnection, object_id: &str) -> QueryResult<Vec<String>> {
    ap_reactions::table
        .filter(ap_reactions::object_id.eq(object_id))
        .filter(ap_reactions::kind.eq("Announce"))
        .select(ap_reactions::actor)
        .load(conn)
        .await
}
