//! Thin handlers, one file per resource: parse the request, call the domain service,
//! render a view. No queries and no rules here.

mod calendar;
mod event;

use actix_web::web;
use shared::infrastructure::link_catalog;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(calendar::index))
        .route(link_catalog::routes::EVENT, web::get().to(event::show));
}
