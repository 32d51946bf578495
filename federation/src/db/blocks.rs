//! The blocklist's writes (`ap_blocks`); every app's inbox checks it through
//! `shared::activitypub::store::is_blocked`.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::ap_blocks;

pub async fn block(conn: &mut AsyncPgConnection, kind: &str, value: &str) -> QueryResult<()> {
    diesel::insert_into(ap_blocks::table)
        .values((
            ap_blocks::kind.eq(kind),
            ap_blocks::value.eq(value.to_ascii_lowercase()),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(drop)
}
