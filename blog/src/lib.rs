//! The blog: posts, pages and the fleet's navigation menus.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod fragments;
mod routes;

use std::time::Duration;

use include_dir::{Dir, include_dir};
use shared::infrastructure::versioned_cache::VersionedCache;
use shared::{AppContext, AppName, AppSpec};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// The blog app. It is the one that runs the migrations (`RUN_MIGRATIONS=true`).
pub static APP: AppSpec = AppSpec {
    name: AppName::Blog,
    templates: &TEMPLATES,
    static_files: None,
    migrates: true,
    configure,
    fragments: fragments::configure,
    on_sign_in: shared::infrastructure::sso::no_sign_in_hook,
    background: shared::infrastructure::background::none,
};

/// The generation of the blog's posts (`purge_kind(Blog, POSTS_KIND)` after any post changes):
/// versions the in-process listing cache.
pub const POSTS_KIND: &str = "posts";

/// The blog's own state.
pub struct BlogState {
    listings: VersionedCache<u32, routes::home::Listing>,
}

fn configure(cfg: &mut actix_web::web::ServiceConfig, ctx: &AppContext) {
    let state = ctx.app_state(|| BlogState {
        listings: VersionedCache::new(64, Duration::from_secs(300)),
    });
    cfg.app_data(actix_web::web::Data::from(state));
    routes::configure(cfg);
}
