//! Remote actors as federation looks them up and forgets them (a Delete of the actor). The
//! inbox's upsert and key lookup stay in `shared::activitypub::store`: every app's inbox runs them.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::activitypub::store::RemoteActor;
use shared::db::schema::ap_remote_actors;

pub async fn remote_actor(
    conn: &mut AsyncPgConnection,
    id: &str,
) -> QueryResult<Option<RemoteActor>> {
    ap_remote_actors::table
        .find(id)
        .select(RemoteActor::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn delete_remote_actor(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<usize> {
    diesel::update(ap_remote_actors::table.find(id))
        .set(ap_remote_actors::deleted_at.eq(diesel::dsl::now))
        .execute(conn)
        .await
}
