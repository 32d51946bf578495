//! Fragments the blog serves to the fleet.

use actix_web::{HttpResponse, web};
use shared::models::blog;
use shared::{AppContext, AppError};

pub fn configure(cfg: &mut web::ServiceConfig, _ctx: &AppContext) {
    cfg.route("/nav", web::get().to(nav));
}

/// `nav`: the primary menu, in every app's header.
async fn nav(ctx: web::Data<AppContext>) -> Result<HttpResponse, AppError> {
    let mut conn = ctx.conn().await?;
    let items = blog::menu(&mut conn, "primary").await?;
    let mut context = tera::Context::new();
    context.insert(
        "items",
        &items
            .iter()
            .map(|i| serde_json::json!({ "label": i.label, "url": i.url }))
            .collect::<Vec<_>>(),
    );
    ctx.render_fragment("fragments/nav.html", &context, 300)
}
