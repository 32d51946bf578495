//! Follows both ways: remote actors following ours (`ap_followers`, written when a Follow
//! arrives or is undone) and ours following remote ones (`ap_following`, pending until their
//! Accept). The public collections' reads stay in `shared::activitypub::store`, which every
//! app's actor routes serve.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{ap_followers, ap_following};

pub async fn add_follower(
    conn: &mut AsyncPgConnection,
    local_actor: &str,
    follower: &str,
    inbox: &str,
    shared_inbox: Option<&str>,
    follow_activity_id: &str,
    state: &str,
) -> QueryResult<()> {
    diesel::insert_into(ap_followers::table)
        .values((
            ap_followers::local_actor.eq(local_actor),
            ap_followers::follower.eq(follower),
            ap_followers::inbox.eq(inbox),
            ap_followers::shared_inbox.eq(shared_inbox),
            ap_followers::follow_activity_id.eq(follow_activity_id),
            ap_followers::state.eq(state),
        ))
        .on_conflict((ap_followers::local_actor, ap_followers::follower))
        .do_update()
        .set((
            ap_followers::inbox.eq(inbox),
            ap_followers::shared_inbox.eq(shared_inbox),
            ap_followers::follow_activity_id.eq(follow_activity_id),
            ap_followers::state.eq(state),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn remove_follower(
    conn: &mut AsyncPgConnection,
    local_actor: &str,
    follower: &str,
) -> QueryResult<usize> {
    diesel::delete(ap_followers::table.find((local_actor, follower)))
        .execute(conn)
        .await
}

pub async fn remove_follower_everywhere(
    conn: &mut AsyncPgConnection,
    follower: &str,
) -> QueryResult<usize> {
    diesel::delete(ap_followers::table.filter(ap_followers::follower.eq(follower)))
        .execute(conn)
        .await
}

/// One inbox per server: the shared inbox where there is one.
pub async fn follower_inboxes(
    conn: &mut AsyncPgConnection,
    local_actor: &str,
) -> QueryResult<Vec<String>> {
    let rows: Vec<(String, Option<String>)> = ap_followers::table
        .filter(ap_followers::local_actor.eq(local_actor))
        .filter(ap_followers::state.eq("accepted"))
        .select((ap_followers::inbox, ap_followers::shared_inbox))
        .load(conn)
        .await?;
    let mut inboxes: Vec<String> = rows
        .into_iter()
        .map(|(inbox, shared)| shared.unwrap_or(inbox))
        .collect();
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}

pub async fn add_following(
    conn: &mut AsyncPgConnection,
    local_actor: &str,
    remote: &str,
    follow_activity_id: &str,
) -> QueryResult<()> {
    diesel::insert_into(ap_following::table)
        .values((
            ap_following::local_actor.eq(local_actor),
            ap_following::remote_actor.eq(remote),
            ap_following::follow_activity_id.eq(follow_activity_id),
        ))
        .on_conflict((ap_following::local_actor, ap_following::remote_actor))
        .do_update()
        .set(ap_following::follow_activity_id.eq(follow_activity_id))
        .execute(conn)
        .await
        .map(drop)
}

/// Marks a follow accepted by the followed actor (matched by the Follow's id).
pub async fn accept_following(
    conn: &mut AsyncPgConnection,
    follow_activity_id: &str,
    remote: &str,
) -> QueryResult<usize> {
    diesel::update(
        ap_following::table
            .filter(ap_following::follow_activity_id.eq(follow_activity_id))
            .filter(ap_following::remote_actor.eq(remote)),
    )
    .set(ap_following::state.eq("accepted"))
    .execute(conn)
    .await
}

pub async fn remove_following(
    conn: &mut AsyncPgConnection,
    follow_activity_id: &str,
    remote: &str,
) -> QueryResult<usize> {
    diesel::delete(
        ap_following::table
            .filter(ap_following::follow_activity_id.eq(follow_activity_id))
            .filter(ap_following::remote_actor.eq(remote)),
    )
    .execute(conn)
    .await
}

/// Whether `local_actor` follows `remote` (accepted).
pub async fn follows(
    conn: &mut AsyncPgConnection,
    local_actor: &str,
    remote: &str,
) -> QueryResult<bool> {
    ap_following::table
        .find((local_actor, remote))
        .filter(ap_following::state.eq("accepted"))
        .count()
        .get_result::<i64>(conn)
        .await
        .map(|n| n > 0)
}

/// Whether any of our actors follows `remote` (accepted).
pub async fn followed_here(conn: &mut AsyncPgConnection, remote: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ap_following::table
            .filter(ap_following::remote_actor.eq(remote))
            .filter(ap_following::state.eq("accepted")),
    ))
    .get_result(conn)
    .await
}
