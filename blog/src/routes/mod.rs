pub mod admin;
pub mod editor;
pub mod feeds;
pub mod ghost_admin;
pub mod home;
pub mod media;
pub mod posts;
pub mod tags_admin;
pub mod taxonomy;
pub mod view;

use actix_web::web;
use shared::AppError;
use shared::infrastructure::link_catalog;

fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(|err, _| AppError::BadRequest(format!("Invalid post: {err}.")).into())
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::home))
        .route(link_catalog::routes::POST, web::get().to(posts::show))
        .route("/objects/posts/{id}", web::get().to(posts::object))
        .route(
            "/objects/posts/{id}/{revision}",
            web::get().to(posts::object),
        )
        .route("/tag/{slug}", web::get().to(taxonomy::tag))
        .route("/author/{username}", web::get().to(taxonomy::author))
        .route("/rss.xml", web::get().to(feeds::rss))
        .route("/rss/", web::get().to(feeds::rss))
        .route("/atom.xml", web::get().to(feeds::atom))
        .route("/sitemap.xml", web::get().to(feeds::sitemap))
        .configure(shared::infrastructure::media::configure)
        .route(link_catalog::routes::EDITOR, web::get().to(editor::index))
        .route("/editor/new", web::get().to(editor::new))
        .route("/editor/posts/{id}", web::get().to(editor::edit))
        .route("/editor/posts/{id}/preview", web::get().to(editor::preview))
        .service(
            web::scope("/editor/api")
                .app_data(json_config(editor::MAX_DOCUMENT))
                .app_data(web::PayloadConfig::new(media::MAX_IMAGE))
                .route("/posts", web::post().to(editor::create))
                .route("/posts/{id}", web::put().to(editor::save))
                .route("/posts/{id}", web::delete().to(editor::delete))
                .route("/render", web::post().to(editor::render_markdown))
                .route("/images", web::post().to(media::upload)),
        )
        .route("/admin/navigation", web::get().to(admin::navigation))
        .route("/admin/navigation", web::post().to(admin::save_navigation))
        .route("/admin/settings", web::get().to(admin::settings))
        .route("/admin/settings", web::post().to(admin::save_settings))
        .route("/admin/comments", web::get().to(admin::comments))
        .route("/admin/comments/{id}", web::post().to(admin::moderate))
        .route("/admin/tags", web::get().to(tags_admin::index))
        .route("/admin/tags/{id}", web::post().to(tags_admin::update))
        .route(
            "/admin/tags/{id}/delete",
            web::post().to(tags_admin::delete),
        )
        .route("/admin/ghost", web::get().to(ghost_admin::show))
        .route("/admin/ghost", web::post().to(ghost_admin::connect))
        .route("/admin/ghost/sync", web::post().to(ghost_admin::sync_now))
        .route(
            "/admin/ghost/webhook",
            web::post().to(ghost_admin::set_webhook_url),
        )
        .route(
            "/admin/ghost/clashes/{post_id}/take",
            web::post().to(ghost_admin::take_slug),
        )
        .route(
            "/admin/ghost/clashes/{post_id}/dismiss",
            web::post().to(ghost_admin::dismiss_clash),
        )
        .route(
            "/admin/ghost/disconnect",
            web::post().to(ghost_admin::disconnect),
        )
        .service(
            web::resource("/webhooks/ghost")
                .app_data(web::PayloadConfig::new(crate::ghost::webhook::MAX_BODY))
                .route(web::post().to(crate::ghost::webhook::receive)),
        )
        // Pages live at the top level; their slugs may not take the names above.
        .route("/{slug}", web::get().to(posts::show_page));
}
