//! A member's social settings (`social_settings`).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::social_settings;

/// Whether follows of this member wait for their approval (the read the actor document shares).
pub use shared::models::users::manually_approves_followers as manually_approves;

pub async fn set_manually_approves(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    on: bool,
) -> QueryResult<()> {
    diesel::insert_into(social_settings::table)
        .values((
            social_settings::user_id.eq(user_id),
            social_settings::manually_approves_followers.eq(on),
        ))
        .on_conflict(social_settings::user_id)
        .do_update()
        .set(social_settings::manually_approves_followers.eq(on))
        .execute(conn)
        .await
        .map(drop)
}
