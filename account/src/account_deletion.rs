//! Account's bus consumer: `AccountDeleted`. The member's newsletter subscriptions are removed
//! with everything hanging off them: for each subscriber row linked to the member, and the row
//! that holds only the address the account had (a subscription made while signed out, found by
//! the event's keyed digest of the address), in this order and explicitly (not by the `ON DELETE CASCADE`s below them): pending confirmations,
//! campaign recipient rows (a campaign being sent skips them from now on), bounces reported
//! against the address, subscriptions, the subscriber. Campaigns the member wrote as an editor stay, no longer naming them
//! (`created_by` cleared). One transaction; idempotent (a second run finds nothing).

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use std::future::Future;
use std::pin::Pin;

use shared::activitypub::bus::{self, Subscriptions};
use shared::activitypub::store::Activity;
use shared::contracts::events::{AccountDeleted, BusEvent};
use shared::db::schema::{
    newsletter_bounces, newsletter_campaign_recipients, newsletter_campaigns,
    newsletter_confirmations, newsletter_subscribers, newsletter_subscriptions,
};
use shared::{AppContext, AppError};

pub static SUBSCRIPTIONS: Subscriptions<AppContext> = Subscriptions {
    consumer: "account-accounts",
    handlers: &[(AccountDeleted::KIND, handle)],
};

fn handle<'a>(
    ctx: &'a AppContext,
    event: &'a Activity,
) -> Pin<Box<dyn Future<Output = Result<(), AppError>> + 'a>> {
    Box::pin(async move { account_deleted(ctx, bus::decode(event)?).await })
}

/// The subscriber rows without a user whose address has `digest` (at most one: addresses are
/// unique regardless of case), locked. The digest is keyed, so each address is digested here:
/// one pass over the signed-out subscribers, once per deleted account.
async fn address_only(
    conn: &mut diesel_async::AsyncPgConnection,
    secret: &[u8],
    digest: &str,
) -> Result<Vec<i64>, AppError> {
    let candidates: Vec<(i64, String)> = newsletter_subscribers::table
        .filter(newsletter_subscribers::user_id.is_null())
        .select((newsletter_subscribers::id, newsletter_subscribers::email))
        .load(conn)
        .await?;
    let mut matched = Vec::new();
    for (id, email) in candidates {
        let theirs = AccountDeleted::address_digest(secret, &email).map_err(AppError::internal)?;
        if theirs == digest {
            matched.push(id);
        }
    }
    Ok(newsletter_subscribers::table
        .filter(newsletter_subscribers::id.eq_any(&matched))
        .filter(newsletter_subscribers::user_id.is_null())
        .select(newsletter_subscribers::id)
        .for_update()
        .load(conn)
        .await?)
}

pub async fn account_deleted(ctx: &AppContext, event: AccountDeleted) -> Result<(), AppError> {
    let user_id = event.user_id;
    let secret = ctx.config().internal_secret.expose().as_bytes().to_vec();
    let mut conn = ctx.conn().await?;
    let (subscribers, subscriptions) = conn
        .transaction(async |conn| {
            let mut subscribers: Vec<i64> = newsletter_subscribers::table
                .filter(newsletter_subscribers::user_id.eq(user_id))
                .select(newsletter_subscribers::id)
                .for_update()
                .load(conn)
                .await?;
            if let Some(digest) = &event.address_digest {
                subscribers.extend(address_only(conn, &secret, digest).await?);
            }
            let subscriptions: Vec<i64> = newsletter_subscriptions::table
                .filter(newsletter_subscriptions::subscriber_id.eq_any(&subscribers))
                .select(newsletter_subscriptions::id)
                .load(conn)
                .await?;
            diesel::delete(
                newsletter_confirmations::table
                    .filter(newsletter_confirmations::subscription_id.eq_any(&subscriptions)),
            )
            .execute(conn)
            .await?;
            diesel::delete(
                newsletter_campaign_recipients::table
                    .filter(newsletter_campaign_recipients::subscriber_id.eq_any(&subscribers)),
            )
            .execute(conn)
            .await?;
            diesel::delete(
                newsletter_bounces::table
                    .filter(newsletter_bounces::subscriber_id.eq_any(&subscribers)),
            )
            .execute(conn)
            .await?;
            diesel::delete(
                newsletter_subscriptions::table
                    .filter(newsletter_subscriptions::id.eq_any(&subscriptions)),
            )
            .execute(conn)
            .await?;
            diesel::delete(
                newsletter_subscribers::table
                    .filter(newsletter_subscribers::id.eq_any(&subscribers)),
            )
            .execute(conn)
            .await?;
            diesel::update(
                newsletter_campaigns::table.filter(newsletter_campaigns::created_by.eq(user_id)),
            )
            .set(newsletter_campaigns::created_by.eq(None::<i64>))
            .execute(conn)
            .await?;
            Ok::<_, AppError>((subscribers.len(), subscriptions.len()))
        })
        .await?;
    tracing::info!(
        user_id,
        subscribers,
        subscriptions,
        "former member's subscriptions removed"
    );
    Ok(())
}

/// The background task.
pub fn consume(ctx: &AppContext) -> shared::infrastructure::background::Task {
    Box::pin(bus::consume(ctx.clone(), &SUBSCRIPTIONS))
}
