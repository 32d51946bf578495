//! The blog: posts, pages and the fleet's navigation menus.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod comments;
pub mod content;
mod fragments;
pub mod ghost;
mod jobs;
mod page_cache;
mod routes;

use std::time::Duration;

use include_dir::{Dir, include_dir};
use shared::infrastructure::versioned_cache::VersionedCache;
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
    ..AppSpec::new(AppName::Blog, &TEMPLATES)
};

/// The generation of the blog's content (`purge_kind(Blog, POSTS_KIND)` after any post, menu,
/// setting or comment changes): versions the in-process listing cache and the page cache.
pub const POSTS_KIND: &str = "posts";

/// The blog's own state.
pub struct BlogState {
    listings: VersionedCache<u32, routes::home::Listing>,
    pages: std::sync::Arc<shared::infrastructure::page_cache::PageCache>,
}

impl BlogState {
    fn new() -> Self {
        BlogState {
            listings: VersionedCache::new(64, Duration::from_secs(300)),
            pages: std::sync::Arc::new(shared::infrastructure::page_cache::PageCache::new(
                page_cache::CONFIG,
            )),
        }
    }
}

fn configure(cfg: &mut actix_web::web::ServiceConfig, ctx: &AppContext) {
    let state = ctx.app_state(BlogState::new);
    cfg.app_data(actix_web::web::Data::from(state));
    routes::configure(cfg);
}

fn background(ctx: &AppContext) -> Vec<shared::infrastructure::background::Task> {
    vec![
        Box::pin(ghost::sync::background(ctx.clone())),
        comments::consume(ctx),
        Box::pin(page_cache::follow_generations(ctx.clone())),
    ]
}
