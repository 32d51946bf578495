//! `/admin/tags`: editors rename, describe and remove tags (as in Ghost's Tags screen).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, PageRequest};

use crate::content::{permissions, service, slug};
use crate::db;

pub async fn index(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    permissions::require_editor(&user, "Only editors and administrators manage tags.")?;
    let tags = {
        let mut conn = ctx.conn().await?;
        db::tags::tags_with_counts(&mut conn).await?
    };
    let rows: Vec<_> = tags
        .iter()
        .map(|(t, n)| {
            serde_json::json!({
                "id": t.id, "slug": t.slug, "name": t.name,
                "description": t.description, "posts": n,
            })
        })
        .collect();
    let mut context = ctx.base_context();
    context.insert("tags", &rows);
    ctx.render_page(&page, "admin/tags.html", context, Vec::new())
        .await
}

#[derive(Deserialize)]
pub struct TagForm {
    name: String,
    slug: String,
    #[serde(default)]
    description: String,
}

pub async fn update(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<TagForm>,
) -> Result<HttpResponse, AppError> {
    permissions::require_editor(&user, "Only editors and administrators manage tags.")?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_request(
            "A tag's name is 1 to 100 characters.",
        ));
    }
    let slug = form.slug.trim();
    slug::validate(slug).map_err(|e| AppError::BadRequest(format!("Slug: {e}.")))?;
    if form.description.chars().count() > 500 {
        return Err(AppError::bad_request(
            "A tag's description is at most 500 characters.",
        ));
    }
    let updated = {
        let mut conn = ctx.conn().await?;
        if db::tags::tag_by_slug(&mut conn, slug)
            .await?
            .is_some_and(|t| t.id != *id)
        {
            return Err(AppError::BadRequest(format!(
                "Another tag is called “{slug}”."
            )));
        }
        db::tags::update_tag(&mut conn, *id, slug, name, form.description.trim()).await?
    };
    if updated.is_none() {
        return Err(AppError::not_found("There is no such tag."));
    }
    service::purge(&ctx).await;
    Ok(see_other("/admin/tags").finish())
}

pub async fn delete(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    permissions::require_editor(&user, "Only editors and administrators manage tags.")?;
    let removed = {
        let mut conn = ctx.conn().await?;
        db::tags::delete_tag(&mut conn, *id).await?
    };
    if removed == 0 {
        return Err(AppError::not_found("There is no such tag."));
    }
    service::purge(&ctx).await;
    Ok(see_other("/admin/tags").finish())
}
