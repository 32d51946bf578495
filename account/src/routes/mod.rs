//! Thin handlers, one file per resource: parse the request, call the newsletter service,
//! render a view. No queries and no rules here.

mod archive;
mod bounces;
mod campaigns;
mod confirmation;
mod dashboard;
mod data;
mod preferences;
mod subscribe;
mod unsubscribe;

use actix_web::web;
use shared::{AppContext, AppName};

use crate::domain::Newsletters;
use crate::state::AccountState;

/// Where other apps' pages post the `newsletter-subscribe` fragment's form (a fixed path, so
/// it can be listed in `AppSpec::cross_app_forms`).
pub const FLEET_SUBSCRIBE: &str = "/subscribe";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(dashboard::show))
        .route("/data", web::get().to(data::show))
        .route("/data/export", web::post().to(data::export))
        .route(
            "/newsletters/{slug}/subscribe",
            web::post().to(subscribe::from_account),
        )
        .route(FLEET_SUBSCRIBE, web::post().to(subscribe::from_fleet))
        .route(
            "/newsletters/{slug}/check-email",
            web::get().to(subscribe::check_email),
        )
        .route("/confirm/{token}", web::get().to(confirmation::show))
        .route("/confirm/{token}", web::post().to(confirmation::confirm))
        .route("/preferences/{token}", web::get().to(preferences::show))
        .route("/preferences/{token}", web::post().to(preferences::save))
        .route("/unsubscribe/{token}", web::get().to(unsubscribe::show))
        .route(
            "/unsubscribe/{token}",
            web::post().to(unsubscribe::one_click),
        )
        .route("/campaigns", web::get().to(campaigns::list))
        .route("/campaigns", web::post().to(campaigns::create))
        .route("/campaigns/from-post", web::post().to(campaigns::from_post))
        .route("/campaigns/{id}", web::get().to(campaigns::show))
        .route("/campaigns/{id}", web::post().to(campaigns::save))
        .route("/campaigns/{id}/preview", web::get().to(campaigns::preview))
        .route("/campaigns/{id}/test", web::post().to(campaigns::test))
        .route(
            "/campaigns/{id}/schedule",
            web::post().to(campaigns::schedule),
        )
        .route("/campaigns/{id}/pause", web::post().to(campaigns::pause))
        .route("/campaigns/{id}/resume", web::post().to(campaigns::resume))
        .route("/newsletters/{slug}/archive", web::get().to(archive::index))
        .route(
            "/newsletters/{slug}/archive/{id}",
            web::get().to(archive::show),
        )
        .route("/newsletters/{slug}/rss.xml", web::get().to(archive::rss))
        .service(
            web::resource("/webhooks/bounce")
                .app_data(web::PayloadConfig::new(crate::domain::bounces::MAX_BODY))
                .route(web::post().to(bounces::receive)),
        );
}

/// The newsletter service for one request.
fn newsletters<'a>(ctx: &'a AppContext, state: &'a AccountState) -> Newsletters<'a> {
    Newsletters::new(
        ctx.db(),
        ctx.redis(),
        &state.links,
        ctx.url(AppName::Account, "/"),
    )
}

/// A subscriber's preferences page, absolute (links in pages and mail).
fn preferences_url(ctx: &AppContext, token: &str) -> String {
    ctx.url(AppName::Account, &format!("/preferences/{token}"))
}
