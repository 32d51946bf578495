//! Queries on `newsletter_subscriptions` (one subscriber on one list).

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{newsletter_subscribers, newsletter_subscriptions, newsletters};
use shared::models::account::{Newsletter, Subscription};

pub async fn by_id(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Subscription>> {
    newsletter_subscriptions::table
        .find(id)
        .select(Subscription::as_select())
        .first(conn)
        .await
        .optional()
}

/// The subscriber's row on the list, created `unconfirmed` when there is none. Locked
/// (`FOR UPDATE`) for the rest of the caller's transaction, so two subscribes of one address
/// decide one after the other.
pub async fn find_or_create_locked(
    conn: &mut AsyncPgConnection,
    newsletter_id: i64,
    subscriber_id: i64,
) -> QueryResult<Subscription> {
    diesel::insert_into(newsletter_subscriptions::table)
        .values((
            newsletter_subscriptions::newsletter_id.eq(newsletter_id),
            newsletter_subscriptions::subscriber_id.eq(subscriber_id),
            newsletter_subscriptions::status.eq("unconfirmed"),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    newsletter_subscriptions::table
        .filter(newsletter_subscriptions::newsletter_id.eq(newsletter_id))
        .filter(newsletter_subscriptions::subscriber_id.eq(subscriber_id))
        .select(Subscription::as_select())
        .for_update()
        .first(conn)
        .await
}

/// Confirms a subscription (the time is kept as the subscriber's consent). Refused (`false`)
/// when the address is blocklisted: bounces and complaints are undone by no form or link.
pub async fn confirm(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<bool> {
    let blocklisted = newsletter_subscribers::table
        .filter(newsletter_subscribers::id.eq(newsletter_subscriptions::subscriber_id))
        .filter(newsletter_subscribers::blocklisted_at.is_not_null());
    diesel::update(
        newsletter_subscriptions::table
            .find(id)
            .filter(diesel::dsl::not(diesel::dsl::exists(blocklisted))),
    )
    .set((
        newsletter_subscriptions::status.eq("confirmed"),
        newsletter_subscriptions::confirmed_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await
    .map(|n| n > 0)
}

/// Back to `unconfirmed` (an unsubscribed address asking again, on a double opt-in list).
pub async fn reopen(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<usize> {
    diesel::update(newsletter_subscriptions::table.find(id))
        .set((
            newsletter_subscriptions::status.eq("unconfirmed"),
            newsletter_subscriptions::confirmed_at.eq(None::<chrono::DateTime<chrono::Utc>>),
        ))
        .execute(conn)
        .await
}

/// Ends a subscription; returns whether it was still on.
pub async fn unsubscribe(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<bool> {
    diesel::update(
        newsletter_subscriptions::table
            .find(id)
            .filter(newsletter_subscriptions::status.ne("unsubscribed")),
    )
    .set(newsletter_subscriptions::status.eq("unsubscribed"))
    .execute(conn)
    .await
    .map(|n| n > 0)
}

/// Every list row of one subscriber, with its list.
pub async fn of_subscriber(
    conn: &mut AsyncPgConnection,
    subscriber_id: i64,
) -> QueryResult<Vec<(Subscription, Newsletter)>> {
    newsletter_subscriptions::table
        .inner_join(newsletters::table)
        .filter(newsletter_subscriptions::subscriber_id.eq(subscriber_id))
        .order(newsletters::id)
        .select((Subscription::as_select(), Newsletter::as_select()))
        .load(conn)
        .await
}

/// A member's subscriptions (the `Newsletters` contract's read, shared with other apps).
pub async fn of_user(
    conn: &mut AsyncPgConnection,
    user_id: i64,
) -> QueryResult<Vec<(Subscription, Newsletter)>> {
    shared::models::account::subscriptions_of_user(conn, user_id).await
}
