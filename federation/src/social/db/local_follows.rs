//! Who follows whom, seen from a member. `ap_following` holds every follow one of our actors
//! makes, of a remote actor or of another of ours (a member following `@blog` or another
//! member: those never cross the network, so they live only here, accepted at once unless the
//! member followed approves followers). `ap_followers` holds remote actors following ours.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{ap_followers, ap_following};

/// The state of `actor`'s follow of `target`: "pending", "accepted" or none.
pub async fn following_state(
    conn: &mut AsyncPgConnection,
    actor: &str,
    target: &str,
) -> QueryResult<Option<String>> {
    ap_following::table
        .find((actor, target))
        .select(ap_following::state)
        .first(conn)
        .await
        .optional()
}

/// The follow's id and state, for an Undo.
pub async fn following(
    conn: &mut AsyncPgConnection,
    actor: &str,
    target: &str,
) -> QueryResult<Option<(String, String)>> {
    ap_following::table
        .find((actor, target))
        .select((ap_following::follow_activity_id, ap_following::state))
        .first(conn)
        .await
        .optional()
}

pub async fn add(
    conn: &mut AsyncPgConnection,
    actor: &str,
    target: &str,
    follow_id: &str,
    state: &str,
) -> QueryResult<()> {
    diesel::insert_into(ap_following::table)
        .values((
            ap_following::local_actor.eq(actor),
            ap_following::remote_actor.eq(target),
            ap_following::follow_activity_id.eq(follow_id),
            ap_following::state.eq(state),
        ))
        .on_conflict((ap_following::local_actor, ap_following::remote_actor))
        .do_nothing()
        .execute(conn)
        .await
        .map(drop)
}

pub async fn remove(conn: &mut AsyncPgConnection, actor: &str, target: &str) -> QueryResult<usize> {
    diesel::delete(ap_following::table.find((actor, target)))
        .execute(conn)
        .await
}

pub async fn accept(conn: &mut AsyncPgConnection, actor: &str, target: &str) -> QueryResult<usize> {
    diesel::update(ap_following::table.find((actor, target)))
        .set(ap_following::state.eq("accepted"))
        .execute(conn)
        .await
}

/// A remote follower's row: (follow id, state).
pub async fn remote_follower(
    conn: &mut AsyncPgConnection,
    local_actor: &str,
    follower: &str,
) -> QueryResult<Option<(String, String)>> {
    ap_followers::table
        .find((local_actor, follower))
        .select((ap_followers::follow_activity_id, ap_followers::state))
        .first(conn)
        .await
        .optional()
}

pub async fn accept_remote_follower(
    conn: &mut AsyncPgConnection,
    local_actor: &str,
    follower: &str,
) -> QueryResult<usize> {
    diesel::update(ap_followers::table.find((local_actor, follower)))
        .set(ap_followers::state.eq("accepted"))
        .execute(conn)
        .await
}

/// Followers of one of our actors, remote and local, in one list: (actor, state), newest first.
pub async fn followers(
    conn: &mut AsyncPgConnection,
    actor: &str,
    limit: i64,
) -> QueryResult<Vec<(String, String)>> {
    let mut remote: Vec<(String, String, chrono::DateTime<chrono::Utc>)> = ap_followers::table
        .filter(ap_followers::local_actor.eq(actor))
        .order(ap_followers::created_at.desc())
        .limit(limit)
        .select((
            ap_followers::follower,
            ap_followers::state,
            ap_followers::created_at,
        ))
        .load(conn)
        .await?;
    let local: Vec<(String, String, chrono::DateTime<chrono::Utc>)> = ap_following::table
        .filter(ap_following::remote_actor.eq(actor))
        .order(ap_following::created_at.desc())
        .limit(limit)
        .select((
            ap_following::local_actor,
            ap_following::state,
            ap_following::created_at,
        ))
        .load(conn)
        .await?;
    remote.extend(local);
    remote.sort_by_key(|r| std::cmp::Reverse(r.2));
    remote.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(remote.into_iter().map(|(a, s, _)| (a, s)).collect())
}

/// Whom one of our actors follows: (actor, state), newest first.
pub async fn following_list(
    conn: &mut AsyncPgConnection,
    actor: &str,
    limit: i64,
) -> QueryResult<Vec<(String, String)>> {
    ap_following::table
        .filter(ap_following::local_actor.eq(actor))
        .order(ap_following::created_at.desc())
        .limit(limit)
        .select((ap_following::remote_actor, ap_following::state))
        .load(conn)
        .await
}

/// (followers, following) of one of our actors, accepted only; local and remote followers.
pub async fn counts(conn: &mut AsyncPgConnection, actor: &str) -> QueryResult<(i64, i64)> {
    let remote: i64 = ap_followers::table
        .filter(ap_followers::local_actor.eq(actor))
        .filter(ap_followers::state.eq("accepted"))
        .count()
        .get_result(conn)
        .await?;
    let local: i64 = ap_following::table
        .filter(ap_following::remote_actor.eq(actor))
        .filter(ap_following::state.eq("accepted"))
        .count()
        .get_result(conn)
        .await?;
    let following: i64 = ap_following::table
        .filter(ap_following::local_actor.eq(actor))
        .filter(ap_following::state.eq("accepted"))
        .count()
        .get_result(conn)
        .await?;
    Ok((remote + local, following))
}
