//! Thin handlers, one file per resource: parse the request, call the domain service,
//! render a view. No queries and no rules here.

mod home;
mod images;
mod import;
mod product;
mod stall;

use actix_web::web;
use shared::infrastructure::link_catalog;
use shared::infrastructure::sso::CurrentUser;

use crate::domain::market::Actor;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(images::configure)
        .route("/", web::get().to(home::index))
        .route("/stalls/new", web::get().to(stall::new))
        .route("/stalls", web::post().to(stall::create))
        .route("/stalls/{slug}", web::get().to(stall::show))
        .route("/stalls/{slug}", web::post().to(stall::update))
        .route("/stalls/{slug}/edit", web::get().to(stall::edit))
        .route("/stalls/{slug}/products/new", web::get().to(product::new))
        .route("/stalls/{slug}/products", web::post().to(product::create))
        .route("/stalls/{slug}/import", web::get().to(import::form))
        .route("/stalls/{slug}/import", web::post().to(import::preview))
        .route("/stalls/{slug}/imports", web::post().to(import::bulk))
        .route(
            "/stalls/{slug}/imports/{id}",
            web::get().to(import::progress),
        )
        .route(link_catalog::routes::PRODUCT, web::get().to(product::show))
        .route(
            link_catalog::routes::PRODUCT,
            web::post().to(product::update),
        )
        .route("/products/{slug}/edit", web::get().to(product::edit))
        .route("/products/{slug}/delete", web::post().to(product::delete))
        .route(
            "/products/{slug}/variants/{id}/image",
            web::post().to(product::variant_image),
        )
        .route("/objects/products/{id}", web::get().to(product::object))
        .route(
            "/objects/products/{id}/{revision}",
            web::get().to(product::object),
        );
}

fn actor(user: &CurrentUser) -> Actor {
    Actor {
        id: user.id,
        admin: user.is_admin(),
    }
}

/// A change to what the market shows: its cached pages and the fragments other apps embed
/// (`featured`, `stall-card`) are stale.
async fn purge(ctx: &shared::AppContext) {
    crate::page_cache::purge_all(ctx).await;
}
