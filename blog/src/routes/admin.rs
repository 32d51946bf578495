//! Site administration on the blog: navigation menus, publication settings, and moderation of
//! replies from the fediverse.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::models::blog;
use shared::{AppContext, AppError, AppName, PageRequest};

use crate::content::{permissions, service};
use crate::db;

const MAX_ITEMS: usize = 20;

/// `GET /admin/navigation`.
pub async fn navigation(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    permissions::require_admin(&user, "Only administrators change the site.")?;
    let (primary, secondary) = {
        let mut conn = ctx.conn().await?;
        (
            db::navigation::menu(&mut conn, "primary").await?,
            db::navigation::menu(&mut conn, "secondary").await?,
        )
    };
    let rows = |items: &[blog::NavItem]| -> Vec<serde_json::Value> {
        items
            .iter()
            .map(|i| serde_json::json!({ "label": i.label, "url": i.url }))
            .collect()
    };
    let mut context = ctx.base_context();
    context.insert("primary", &rows(&primary));
    context.insert("secondary", &rows(&secondary));
    ctx.render_page(&page, "admin/navigation.html", context, Vec::new())
        .await
}

fn menu_url_ok(url: &str) -> bool {
    (url.starts_with('/') && !url.starts_with("//")) || crate::content::is_web_url(url)
}

/// The menus from the form's repeated `<menu>_label` / `<menu>_url` pairs, checked.
fn menus_from(fields: &[(String, String)]) -> Result<[Vec<(String, String)>; 2], AppError> {
    let mut menus: [Vec<(String, String)>; 2] = [Vec::new(), Vec::new()];
    for (i, name) in ["primary", "secondary"].iter().enumerate() {
        let labels = fields.iter().filter(|(k, _)| *k == format!("{name}_label"));
        let urls = fields.iter().filter(|(k, _)| *k == format!("{name}_url"));
        for ((_, label), (_, url)) in labels.zip(urls) {
            let (label, url) = (label.trim(), url.trim());
            if label.is_empty() && url.is_empty() {
                continue;
            }
            if label.is_empty() || label.chars().count() > 60 {
                return Err(AppError::bad_request(
                    "Each menu item needs a label of at most 60 characters.",
                ));
            }
            if !menu_url_ok(url) {
                return Err(AppError::BadRequest(format!(
                    "“{url}” is not a link: use a path such as /about or an http(s) address."
                )));
            }
            menus[i].push((label.to_owned(), url.to_owned()));
        }
        if menus[i].len() > MAX_ITEMS {
            return Err(AppError::BadRequest(format!(
                "A menu holds at most {MAX_ITEMS} items."
            )));
        }
    }
    Ok(menus)
}

/// `POST /admin/navigation`: replaces both menus, then purges every app's cached `nav`.
pub async fn save_navigation(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    permissions::require_admin(&user, "Only administrators change the site.")?;
    let [primary, secondary] = menus_from(&form)?;
    {
        let mut conn = ctx.conn().await?;
        use diesel_async::AsyncConnection;
        conn.transaction(async |conn| {
            db::navigation::replace_menu(conn, "primary", &primary).await?;
            db::navigation::replace_menu(conn, "secondary", &secondary).await?;
            Ok::<_, diesel::result::Error>(())
        })
        .await?;
    }
    if let Err(e) = ctx.fragments().purge_kind(AppName::Blog, "nav").await {
        tracing::warn!(error = %e, "could not purge the nav fragment");
    }
    service::purge(&ctx).await;
    // Other apps' cached pages carry the menus in their header too.
    shared::infrastructure::page_cache::purge_every_app(&ctx).await;
    Ok(see_other("/admin/navigation?saved=1").finish())
}

/// `GET /admin/settings`.
pub async fn settings(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    permissions::require_admin(&user, "Only administrators change the site.")?;
    let settings = {
        let mut conn = ctx.conn().await?;
        db::settings::settings(&mut conn).await?
    };
    let mut context = ctx.base_context();
    context.insert("title", &settings.title);
    context.insert("description", &settings.description);
    context.insert("federate_as", &settings.federate_as);
    ctx.render_page(&page, "admin/settings.html", context, Vec::new())
        .await
}

#[derive(Deserialize)]
pub struct SettingsForm {
    title: String,
    #[serde(default)]
    description: String,
    federate_as: String,
}

/// `POST /admin/settings`.
pub async fn save_settings(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    permissions::require_admin(&user, "Only administrators change the site.")?;
    let title = form.title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(AppError::bad_request(
            "The site title is 1 to 100 characters.",
        ));
    }
    if form.description.chars().count() > 500 {
        return Err(AppError::bad_request(
            "The description is at most 500 characters.",
        ));
    }
    if !matches!(form.federate_as.as_str(), "Article" | "Note") {
        return Err(AppError::bad_request("Posts federate as Article or Note."));
    }
    {
        let mut conn = ctx.conn().await?;
        db::settings::update_settings(&mut conn, title, form.description.trim(), &form.federate_as)
            .await?;
    }
    service::purge(&ctx).await;
    Ok(see_other("/admin/settings?saved=1").finish())
}

/// `GET /admin/comments`: replies waiting for moderation first.
pub async fn comments(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    permissions::require_editor(&user, "Only editors and administrators moderate comments.")?;
    let rows = {
        let mut conn = ctx.conn().await?;
        db::comments::comments_for_moderation(&mut conn, 200).await?
    };
    let rows: Vec<_> = rows
        .iter()
        .map(|(c, title, slug)| {
            serde_json::json!({
                "id": c.id,
                "author_name": c.author_name,
                "author_url": c.author_url,
                "html": c.html,
                "status": c.status,
                "published_at": c.published_at.to_rfc3339(),
                "post_title": title,
                "post_slug": slug,
            })
        })
        .collect();
    let mut context = ctx.base_context();
    context.insert("comments", &rows);
    ctx.render_page(&page, "admin/comments.html", context, Vec::new())
        .await
}

#[derive(Deserialize)]
pub struct ModerateForm {
    status: String,
}

/// `POST /admin/comments/{id}`: approve or hide.
pub async fn moderate(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    id: web::Path<i64>,
    form: web::Form<ModerateForm>,
) -> Result<HttpResponse, AppError> {
    permissions::require_editor(&user, "Only editors and administrators moderate comments.")?;
    if !matches!(form.status.as_str(), "approved" | "hidden" | "pending") {
        return Err(AppError::bad_request(
            "A comment is approved, hidden or pending.",
        ));
    }
    let changed = {
        let mut conn = ctx.conn().await?;
        db::comments::set_comment_status(&mut conn, *id, &form.status).await?
    };
    if changed.is_none() {
        return Err(AppError::not_found("There is no such comment."));
    }
    service::purge(&ctx).await;
    Ok(see_other("/admin/comments").finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menus_are_checked() {
        let f = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<Vec<_>>()
        };
        let [p, s] = menus_from(&f(&[
            ("primary_label", "About"),
            ("primary_url", "/about"),
            ("primary_label", ""),
            ("primary_url", ""),
            ("secondary_label", "Mastodon"),
            ("secondary_url", "https://example.social/@rose"),
        ]))
        .unwrap();
        assert_eq!(p, vec![("About".to_owned(), "/about".to_owned())]);
        assert_eq!(s.len(), 1);
        for bad in ["javascript:alert(1)", "//evil.example", "about"] {
            assert!(
                menus_from(&f(&[("primary_label", "X"), ("primary_url", bad)])).is_err(),
                "{bad}"
            );
        }
    }
}
