//! `/data`: "Your data". The page explains what the fleet holds; its form POSTs to
//! `/data/export`, which answers one JSON file as a download. A POST (not a GET link) so that
//! the CSRF guard asks for the session's token: a cross-site page cannot make the browser
//! fetch the member's data, and nothing prefetches it.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::Utc;
use shared::activitypub::actors::LocalActor;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, AppName, PageRequest};

use crate::db::members;
use crate::domain::personal_data;
use crate::domain::rate_limit;
use crate::views::{self, DataPage};

pub async fn show(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let view = DataPage {
        username: &user.username,
        apps: ctx
            .registry()
            .personal_data
            .iter()
            .map(|s| s.owner().as_str())
            .collect(),
        delete_url: ctx.url(AppName::Federation, "/account/delete"),
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "data.html", context, Vec::new())
        .await
}

pub async fn export(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    // The session was loaded from the store for this request; the account must still be live
    // (a disabled member keeps no session worth honouring).
    let live = {
        let mut conn = ctx.db().get().await.map_err(AppError::from)?;
        members::address(&mut conn, user.id)
            .await
            .map_err(AppError::from)?
            .is_some()
    };
    if !live {
        return Err(AppError::Unauthorized);
    }
    // Each export reads every app's rows: a few an hour are plenty for a member.
    if !rate_limit::export_allowed(ctx.redis(), user.id)
        .await
        .map_err(AppError::from)?
    {
        return Err(AppError::TooManyRequests(
            personal_data::TOO_MANY_EXPORTS.into(),
        ));
    }
    let actor = LocalActor::User(user.username.clone()).id(ctx.config());
    let export = personal_data::export(
        &ctx.registry().personal_data,
        user.id,
        &user.username,
        actor,
    )
    .await
    .map_err(AppError::from)?;
    let body = serde_json::to_vec_pretty(&export).map_err(AppError::internal)?;
    tracing::info!(
        user_id = user.id,
        bytes = body.len(),
        "personal data exported"
    );
    let file = personal_data::file_name(&user.username, Utc::now());
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-content-type-options", "nosniff"))
        .body(body))
}
