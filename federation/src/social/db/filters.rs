//! A member's own blocks and mutes (`social_filters`), of actors and of whole domains.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::social_filters;

pub async fn add(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    kind: &str,
    target_kind: &str,
    target: &str,
) -> QueryResult<bool> {
    diesel::insert_into(social_filters::table)
        .values((
            social_filters::user_id.eq(user_id),
            social_filters::kind.eq(kind),
            social_filters::target_kind.eq(target_kind),
            social_filters::target.eq(target),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(|n| n > 0)
}

pub async fn remove(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    kind: &str,
    target_kind: &str,
    target: &str,
) -> QueryResult<bool> {
    diesel::delete(social_filters::table.find((user_id, kind, target_kind, target)))
        .execute(conn)
        .await
        .map(|n| n > 0)
}

/// Every filter of a member: (kind, target_kind, target).
pub async fn of(
    mut conn: &AsyncPgConnection,
    user_id: i64,
) -> QueryResult<Vec<(String, String, String)>> {
    social_filters::table
        .filter(social_filters::user_id.eq(user_id))
        .order(social_filters::created_at.desc())
        .select((
            social_filters::kind,
            social_filters::target_kind,
            social_filters::target,
        ))
        .load(&mut conn)
        .await
}

/// Whether `user_id` blocks (`kind` "block") or hides (any kind) `actor` or its domain.
pub async fn hides(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    actor: &str,
    blocks_only: bool,
) -> QueryResult<bool> {
    let domain = shared::activitypub::host_of(actor).unwrap_or_default();
    let mut query = social_filters::table
        .filter(social_filters::user_id.eq(user_id))
        .filter(
            (social_filters::target_kind
                .eq("actor")
                .and(social_filters::target.eq(actor)))
            .or(social_filters::target_kind
                .eq("domain")
                .and(social_filters::target.eq(domain))),
        )
        .into_boxed();
    if blocks_only {
        query = query.filter(social_filters::kind.eq("block"));
    }
    query.count().get_result::<i64>(conn).await.map(|n| n > 0)
}
