//! The blog: posts, pages and the fleet's navigation menus.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod account_deletion;
mod comments;
pub mod content;
pub mod db;
mod fragments;
pub mod ghost;
mod jobs;
mod page_cache;
mod routes;
mod state;

use include_dir::{Dir, include_dir};
use shared::{AppContext, AppName, AppSpec};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");
static STATIC: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/static");

/// The blog app. It is the one that runs the migrations (`RUN_MIGRATIONS=true`).
pub static APP: AppSpec = AppSpec {
    static_files: Some(&STATIC),
    migrates: true,
    configure,
    fragments: fragments::configure,
    background,
    jobs: jobs::registry,
    start: state::start,
    actor: shared::infrastructure::app::ActorProfile {
        kind: "Service",
        summary: "Stories, recipes and notes from the cooperative's blog.",
    },
    ..AppSpec::new(AppName::Blog, &TEMPLATES)
};

/// The generation of the blog's content (`purge_kind(Blog, POSTS_KIND)` after any post, menu,
/// setting or comment changes): versions the in-process listing cache and the page cache.
pub const POSTS_KIND: &str = "posts";

pub use state::BlogState;

fn configure(cfg: &mut actix_web::web::ServiceConfig, _ctx: &AppContext) {
    routes::configure(cfg);
}

fn background(ctx: &AppContext) -> Vec<shared::infrastructure::background::Task> {
    vec![
        Box::pin(ghost::sync::background(ctx.clone())),
        comments::consume(ctx),
        Box::pin(page_cache::follow_generations(ctx.clone())),
    ]
}
