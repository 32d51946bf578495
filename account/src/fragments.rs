//! Fragments the account app serves to the fleet.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::link_catalog;
use shared::models::account;
use shared::{AppContext, AppError, AppName, Viewer};

pub fn configure(cfg: &mut web::ServiceConfig, _ctx: &AppContext) {
    cfg.route("/user-menu", web::get().to(user_menu));
}

#[derive(Debug, Deserialize)]
struct UserMenuQuery {
    /// The app whose header shows the menu: sign-in and sign-out happen there.
    app: Option<String>,
    viewer: Option<String>,
}

/// `user-menu` (per viewer): the signed-in member with links to their account and to sign out,
/// or a sign-in link and the newsletter to subscribe to.
async fn user_menu(
    ctx: web::Data<AppContext>,
    query: web::Query<UserMenuQuery>,
) -> Result<HttpResponse, AppError> {
    let on: AppName = query
        .app
        .as_deref()
        .unwrap_or("account")
        .parse()
        .map_err(|e| AppError::bad_request(format!("{e}")))?;
    let viewer = query
        .viewer
        .as_deref()
        .and_then(Viewer::from_token)
        .unwrap_or(Viewer::Anonymous);
    let mut context = tera::Context::new();
    context.insert("account_url", &link_catalog::account().url(&ctx));
    context.insert("editor_url", &link_catalog::editor().url(&ctx));
    context.insert("sign_in_url", &link_catalog::sign_in(on).url(&ctx));
    context.insert("sign_out_url", &link_catalog::sign_out(on).url(&ctx));
    let user = match viewer.user_id() {
        Some(id) => ctx.registry().users.user(id).await?,
        None => None,
    };
    match user {
        Some(user) => {
            context.insert("writes", &user.role.is_writer());
            context.insert("user", &user);
        }
        None => {
            let newsletter = {
                let mut conn = ctx.conn().await?;
                account::newsletters(&mut conn).await?.into_iter().next()
            };
            if let Some(n) = newsletter {
                context.insert(
                    "newsletter",
                    &serde_json::json!({ "slug": n.slug, "name": n.name }),
                );
            }
        }
    }
    ctx.render_fragment("fragments/user-menu.html", &context, 60)
}
