//! Replies from the fediverse to our posts become comments awaiting moderation. Federation
//! verifies, sanitizes and stores them, then puts `Reply`, `ReplyUpdated` and `ReplyDeleted` on
//! the fleet's event bus; the blog consumes those here (idempotently: a reply is stored once by
//! its object id).

use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use shared::activitypub::bus::{self, Subscriptions};
use shared::activitypub::sanitize;
use shared::contracts::events::{AccountDeleted, BusEvent, Reply, ReplyDeleted, ReplyUpdated};
use shared::models::blog::NewComment;
use shared::{AppContext, AppError};

use crate::content::service;
use crate::db;

pub static SUBSCRIPTIONS: Subscriptions<AppContext> = Subscriptions {
    consumer: "blog-comments",
    handlers: &[
        (Reply::KIND, |ctx, e| {
            async move { reply(ctx, bus::decode(e)?).await }.boxed_local()
        }),
        (ReplyUpdated::KIND, |ctx, e| {
            async move { reply_updated(ctx, bus::decode(e)?).await }.boxed_local()
        }),
        (ReplyDeleted::KIND, |ctx, e| {
            async move { reply_deleted(ctx, bus::decode(e)?).await }.boxed_local()
        }),
        // The blog's one bus consumer also applies account deletions (`account_deletion`).
        (AccountDeleted::KIND, |ctx, e| {
            async move { crate::account_deletion::account_deleted(ctx, bus::decode(e)?).await }
                .boxed_local()
        }),
    ],
};

async fn reply(ctx: &AppContext, event: Reply) -> Result<(), AppError> {
    let mut conn = ctx.conn().await?;
    let Some(post) = db::posts::post_by_object_id(&mut conn, &event.in_reply_to).await? else {
        return Ok(()); // a reply to something else of ours
    };
    let author_name: String = event
        .author_name
        .as_deref()
        .unwrap_or(&event.attributed_to)
        .chars()
        .take(100)
        .collect();
    let author_url = event.author_url.as_deref().and_then(sanitize::web_url);
    db::comments::insert_comment(
        &mut conn,
        &NewComment {
            post_id: post.id,
            object_id: &event.id,
            actor_id: &event.attributed_to,
            author_name: &author_name,
            // Only http(s) links: the comment page and moderation render it as a link.
            author_url: author_url.as_deref(),
            html: &event.content,
            published_at: event.published,
        },
    )
    .await?;
    Ok(())
}

async fn reply_updated(ctx: &AppContext, event: ReplyUpdated) -> Result<(), AppError> {
    let changed = {
        let mut conn = ctx.conn().await?;
        db::comments::update_comment_html(
            &mut conn,
            &event.id,
            &event.attributed_to,
            &event.content,
        )
        .await?
    };
    if changed.is_some() {
        service::purge(ctx).await;
    }
    Ok(())
}

async fn reply_deleted(ctx: &AppContext, event: ReplyDeleted) -> Result<(), AppError> {
    let removed = {
        let mut conn = ctx.conn().await?;
        db::comments::delete_comment(&mut conn, &event.id, &event.attributed_to).await?
    };
    if removed.is_some() {
        service::purge(ctx).await;
    }
    Ok(())
}

/// The background task.
pub fn consume(ctx: &AppContext) -> LocalBoxFuture<'static, ()> {
    shared::activitypub::bus::consume(ctx.clone(), &SUBSCRIPTIONS).boxed_local()
}
