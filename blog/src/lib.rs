//! The blog: posts, pages and the fleet's navigation menus.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod fragments;
mod routes;

use include_dir::{Dir, include_dir};
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
};

fn configure(cfg: &mut actix_web::web::ServiceConfig, _ctx: &AppContext) {
    routes::configure(cfg);
}
