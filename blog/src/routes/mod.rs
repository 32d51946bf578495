pub mod home;
mod posts;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::home))
        .route("/posts/{slug}", web::get().to(posts::show));
}
