//! Replies from the fediverse to our posts become comments awaiting moderation. Federation
//! verifies, sanitizes and stores them, then puts `Reply`, `ReplyUpdated` and `ReplyDeleted` on
//! the fleet's event bus; the blog consumes those here (idempotently: a reply is stored once by
//! its object id).

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::LocalBoxFuture;
use serde_json::Value;
use shared::activitypub::bus::Subscriptions;
use shared::activitypub::sanitize;
use shared::activitypub::store::Activity;
use shared::models::blog::{self, NewComment};
use shared::{AppContext, AppError};

use crate::content::service;

pub static SUBSCRIPTIONS: Subscriptions = Subscriptions {
    consumer: "blog-comments",
    handlers: &[
        ("Reply", |ctx, e| reply(ctx, e).boxed_local()),
        ("ReplyUpdated", |ctx, e| reply_updated(ctx, e).boxed_local()),
        ("ReplyDeleted", |ctx, e| reply_deleted(ctx, e).boxed_local()),
    ],
};

fn text<'a>(event: &'a Activity, field: &str) -> Option<&'a str> {
    event.payload["object"].get(field).and_then(Value::as_str)
}

async fn reply(ctx: &AppContext, event: &Activity) -> Result<(), AppError> {
    let (Some(id), Some(target), Some(actor), Some(content)) = (
        text(event, "id"),
        text(event, "inReplyTo"),
        text(event, "attributedTo"),
        text(event, "content"),
    ) else {
        return Ok(());
    };
    let mut conn = ctx.conn().await?;
    let Some(post) = blog::post_by_object_id(&mut conn, target).await? else {
        return Ok(()); // a reply to something else of ours
    };
    let published = text(event, "published")
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    let author_name: String = text(event, "authorName")
        .unwrap_or(actor)
        .chars()
        .take(100)
        .collect();
    let author_url = text(event, "authorUrl").and_then(sanitize::web_url);
    blog::insert_comment(
        &mut conn,
        &NewComment {
            post_id: post.id,
            object_id: id,
            actor_id: actor,
            author_name: &author_name,
            // Only http(s) links: the comment page and moderation render it as a link.
            author_url: author_url.as_deref(),
            html: content,
            published_at: published,
        },
    )
    .await?;
    Ok(())
}

async fn reply_updated(ctx: &AppContext, event: &Activity) -> Result<(), AppError> {
    let (Some(id), Some(actor), Some(content)) = (
        text(event, "id"),
        text(event, "attributedTo"),
        text(event, "content"),
    ) else {
        return Ok(());
    };
    let changed = {
        let mut conn = ctx.conn().await?;
        blog::update_comment_html(&mut conn, id, actor, content).await?
    };
    if changed.is_some() {
        service::purge(ctx).await;
    }
    Ok(())
}

async fn reply_deleted(ctx: &AppContext, event: &Activity) -> Result<(), AppError> {
    let (Some(id), Some(actor)) = (text(event, "id"), text(event, "attributedTo")) else {
        return Ok(());
    };
    let removed = {
        let mut conn = ctx.conn().await?;
        blog::delete_comment(&mut conn, id, actor).await?
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
