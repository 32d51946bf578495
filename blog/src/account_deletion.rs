//! `AccountDeleted` (federation anonymised the member's `users` row): the blog keeps the
//! member's posts, whose bylines now read "Former member" (the name is read from `users` at
//! render time), and anonymises the comments their actor wrote (name and profile link go, the
//! text stays as part of the conversation). Then the page cache is purged, so no cached page
//! shows the old name. Idempotent: a second run changes nothing but purging again. Runs in the
//! blog's bus consumer (`comments::SUBSCRIPTIONS`).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use shared::contracts::events::AccountDeleted;
use shared::db::schema::post_comments;
use shared::{AppContext, AppError};

use crate::content::service;

/// What a former member's comments are signed with.
pub const FORMER_MEMBER: &str = "Former member";

pub async fn account_deleted(ctx: &AppContext, event: AccountDeleted) -> Result<(), AppError> {
    let changed = {
        let mut conn = ctx.conn().await?;
        diesel::update(
            post_comments::table
                .filter(post_comments::actor_id.eq(&event.actor))
                .filter(
                    post_comments::author_name
                        .ne(FORMER_MEMBER)
                        .or(post_comments::author_url.is_not_null()),
                ),
        )
        .set((
            post_comments::author_name.eq(FORMER_MEMBER),
            post_comments::author_url.eq(None::<String>),
        ))
        .execute(&mut conn)
        .await?
    };
    // Bylines changed with the users row whether or not a comment did.
    service::purge(ctx).await;
    tracing::info!(
        user_id = event.user_id,
        comments = changed,
        "former member's blog rows"
    );
    Ok(())
}
