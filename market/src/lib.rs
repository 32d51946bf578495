//! The market: product listings and product pages.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod fragments;
mod routes;

use include_dir::{Dir, include_dir};
use shared::{AppContext, AppName, AppSpec};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

pub static APP: AppSpec = AppSpec {
    configure,
    fragments: fragments::configure,
    actor: shared::infrastructure::app::ActorProfile {
        kind: "Service",
        summary: "New goods in the cooperative's market.",
    },
    ..AppSpec::new(AppName::Market, &TEMPLATES)
};

fn configure(cfg: &mut actix_web::web::ServiceConfig, _ctx: &AppContext) {
    routes::configure(cfg);
}
