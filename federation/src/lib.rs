//! Federation: the fleet's accounts and social hub (OAuth2 server and ActivityPub come in their
//! own issues). Today: the members directory.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod accounts;
mod routes;

use include_dir::{Dir, include_dir};
use shared::{AppContext, AppName, AppSpec};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

pub static APP: AppSpec = AppSpec {
    name: AppName::Federation,
    templates: &TEMPLATES,
    static_files: None,
    migrates: false,
    configure,
    fragments: no_fragments,
};

fn configure(cfg: &mut actix_web::web::ServiceConfig, _ctx: &AppContext) {
    routes::configure(cfg);
}

fn no_fragments(_cfg: &mut actix_web::web::ServiceConfig, _ctx: &AppContext) {}
