//! The ActivityPub hub's workers: the EventProcessor and the delivery worker, plus following
//! remote actors.

pub mod delivery;
pub mod handlers;
pub mod processor;
pub mod remote;

use actix_web::{HttpResponse, web};
use diesel_async::AsyncConnection;
use serde::Deserialize;
use serde_json::json;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::{AS_CONTEXT, outbox};
use shared::infrastructure::background::Task;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError};

use crate::db::follows;

/// Federation's background work.
pub fn background(ctx: &AppContext) -> Vec<Task> {
    vec![
        Box::pin(processor::run(ctx.clone())),
        Box::pin(delivery::run(ctx.clone())),
        Box::pin(crate::social::header::follow_unread(ctx.clone())),
    ]
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/follow", web::post().to(follow_form));
}

/// `actor` follows `remote`: the follow is recorded as pending and a Follow goes out (in one
/// transaction); the Accept completes it.
pub async fn follow(
    ctx: &AppContext,
    actor: &LocalActor,
    remote: &str,
) -> Result<String, AppError> {
    let config = ctx.config();
    if LocalActor::is_local_iri(config, remote) {
        return Err(AppError::bad_request("That is one of ours."));
    }
    remote::actor(ctx, remote).await?;
    let follow_id = outbox::activity_id(config, actor);
    let activity = json!({
        "@context": AS_CONTEXT,
        "id": follow_id,
        "type": "Follow",
        "actor": actor.id(config),
        "object": remote,
    });
    let local = actor.id(config);
    let remote = remote.to_owned();
    let mut conn = ctx.conn().await?;
    let recorded = follow_id.clone();
    conn.transaction(async |conn| {
        follows::add_following(conn, &local, &remote, &recorded).await?;
        outbox::emit(conn, &activity).await?;
        Ok::<_, diesel::result::Error>(())
    })
    .await?;
    Ok(follow_id)
}

#[derive(Debug, Deserialize)]
struct FollowForm {
    handle: String,
}

/// `POST /follow` (a member follows `name@host`).
async fn follow_form(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<FollowForm>,
) -> Result<HttpResponse, AppError> {
    let remote = remote::resolve(&ctx, &form.handle).await?;
    follow(&ctx, &LocalActor::User(user.username.clone()), &remote).await?;
    Ok(see_other(format!(
        "{}?following=1",
        shared::infrastructure::link_catalog::profile(&user.username).path
    ))
    .finish())
}
