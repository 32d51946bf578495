//! Fragments the blog serves to the fleet.

use actix_web::{HttpResponse, web};
use shared::models::blog;
use shared::{AppContext, AppError, AppName};

use crate::db;

pub fn configure(cfg: &mut web::ServiceConfig, _ctx: &AppContext) {
    cfg.route("/nav", web::get().to(nav));
}

/// `nav`: the primary and secondary menus, in every app's header. Site-relative links are
/// made absolute on the blog, since the fragment is shown on every app's host.
async fn nav(ctx: web::Data<AppContext>) -> Result<HttpResponse, AppError> {
    let (primary, secondary) = {
        let mut conn = ctx.conn().await?;
        (
            db::navigation::menu(&mut conn, "primary").await?,
            db::navigation::menu(&mut conn, "secondary").await?,
        )
    };
    let items = |menu: &[blog::NavItem]| {
        menu.iter()
            .map(|i| {
                let url = if i.url.starts_with('/') {
                    ctx.url(AppName::Blog, &i.url)
                } else {
                    i.url.clone()
                };
                serde_json::json!({ "label": i.label, "url": url })
            })
            .collect::<Vec<_>>()
    };
    let mut context = tera::Context::new();
    context.insert("items", &items(&primary));
    context.insert("secondary", &items(&secondary));
    ctx.render_fragment("fragments/nav.html", &context, 300)
}
