//! `/account/profile`: the member's name, bio and picture.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError};

use super::{accounts, page, protected_redirect};
use crate::accounts::domain::ProfileChange;
use crate::social::domain::actor_updates::PersonUpdate;

pub(super) async fn form(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    let row = accounts(&ctx).profile(user.id).await?;
    let mut context = ctx.base_context();
    context.insert("csrf_token", &user.csrf_token);
    context.insert("display_name", &row.display_name);
    context.insert("bio", &row.bio);
    context.insert("avatar_url", &row.avatar_url);
    context.insert("username", &row.username);
    page(&ctx, "accounts/profile.html", &context, StatusCode::OK)
}

#[derive(Debug, Deserialize)]
pub(super) struct ProfileForm {
    display_name: String,
    bio: String,
    avatar_url: String,
}

pub(super) async fn update(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    let change = ProfileChange {
        display_name: &form.display_name,
        bio: &form.bio,
        avatar_url: &form.avatar_url,
    };
    let mut person = PersonUpdate::new(&ctx, &user.username).await?;
    accounts(&ctx)
        .update_profile(ctx.fragments(), &mut person, user.id, &change)
        .await?;
    Ok(protected_redirect("/account/profile?saved=1"))
}
