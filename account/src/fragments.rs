//! Fragments the account app serves to the fleet (`/internal/fragments/<type>`).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::link_catalog;
use shared::{AppContext, AppError, AppName, Viewer};

use crate::db;
use crate::routes::FLEET_SUBSCRIBE;
use crate::views::{self, ListView, SubscribeFragment, UserMenuFragment};

/// How long other apps may cache an account fragment, in seconds.
const MAX_AGE: u32 = 60;

pub fn configure(cfg: &mut web::ServiceConfig, _ctx: &AppContext) {
    cfg.route("/user-menu", web::get().to(user_menu))
        .route("/newsletter-subscribe", web::get().to(newsletter_subscribe));
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
    let user = match viewer.user_id() {
        Some(id) => ctx.registry().users.user(id).await?,
        None => None,
    };
    // A member's unread count; the menu still shows without it if federation's tables fail.
    let unread = match &user {
        Some(u) => match ctx
            .registry()
            .users
            .unread_notifications(u.id, views::UNREAD_CAP)
            .await
        {
            Ok(n) => views::unread_label(n),
            Err(e) => {
                tracing::warn!(error = %e, "could not count unread notifications");
                None
            }
        },
        None => None,
    };
    let newsletter = match user {
        Some(_) => None,
        None => {
            let conn = ctx.conn().await?;
            db::newsletters::public(&conn).await?.into_iter().next()
        }
    };
    let view = UserMenuFragment {
        account_url: link_catalog::account().url(&ctx),
        editor_url: link_catalog::editor().url(&ctx),
        sign_in_url: link_catalog::sign_in(on).url(&ctx),
        sign_out_url: link_catalog::sign_out(on).url(&ctx),
        writes: user.as_ref().is_some_and(|u| u.role.is_writer()),
        user,
        newsletter: newsletter.as_ref().map(ListView::from),
        unread,
        notifications_url: link_catalog::notifications().url(&ctx),
    };
    ctx.render_fragment("fragments/user-menu.html", &views::context(&view)?, MAX_AGE)
}

#[derive(Debug, Deserialize)]
struct SubscribeQuery {
    /// The list's slug; without it, the first public list.
    newsletter: Option<String>,
}

/// `newsletter-subscribe`: a public list's subscribe form (by address) for other apps' pages.
/// It posts to account's `/subscribe`, which accepts the fleet's forms without a CSRF token;
/// nothing per viewer, so one cached copy serves everyone. Empty for a private or unknown list.
async fn newsletter_subscribe(
    ctx: web::Data<AppContext>,
    query: web::Query<SubscribeQuery>,
) -> Result<HttpResponse, AppError> {
    let newsletter = {
        let conn = ctx.conn().await?;
        let public = db::newsletters::public(&conn).await?;
        match &query.newsletter {
            Some(slug) => public.into_iter().find(|n| &n.slug == slug),
            None => public.into_iter().next(),
        }
    };
    let view = SubscribeFragment {
        newsletter: newsletter.as_ref().map(ListView::from),
        action: ctx.url(AppName::Account, FLEET_SUBSCRIBE),
    };
    ctx.render_fragment(
        "fragments/newsletter-subscribe.html",
        &views::context(&view)?,
        MAX_AGE,
    )
}
