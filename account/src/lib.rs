//! Account: the member's dashboard, newsletters, and the `user-menu` in every header.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod fragments;
mod routes;

use include_dir::{Dir, include_dir};
use shared::{AppContext, AppName, AppSpec};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

pub static APP: AppSpec = AppSpec {
    configure,
    fragments: fragments::configure,
    ..AppSpec::new(AppName::Account, &TEMPLATES)
};

fn configure(cfg: &mut actix_web::web::ServiceConfig, _ctx: &AppContext) {
    routes::configure(cfg);
}
