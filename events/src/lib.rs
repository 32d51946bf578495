//! Events: the calendar, event pages and the `upcoming` widget other apps embed.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod fragments;
mod routes;

use include_dir::{Dir, include_dir};
use shared::{AppContext, AppName, AppSpec};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

pub static APP: AppSpec = AppSpec {
    name: AppName::Events,
    templates: &TEMPLATES,
    static_files: None,
    migrates: false,
    configure,
    fragments: fragments::configure,
    on_sign_in: shared::infrastructure::sso::no_sign_in_hook,
    background: shared::infrastructure::background::none,
    jobs: shared::jobs::none,
    cross_app_forms: &[],
};

fn configure(cfg: &mut actix_web::web::ServiceConfig, _ctx: &AppContext) {
    routes::configure(cfg);
}
