//! Federation: the fleet's accounts and its OAuth2/OpenID Connect provider (one login for all six
//! apps), the members directory, and (in its own issue) the ActivityPub hub.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod accounts;
mod admin;
pub mod ap;
pub mod db;
pub mod jobs;
pub mod oauth;
mod routes;
pub mod state;

use include_dir::{Dir, include_dir};
use shared::{AppContext, AppName, AppSpec};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

pub static APP: AppSpec = AppSpec {
    configure,
    background: ap::background,
    jobs: jobs::registry,
    ..AppSpec::new(AppName::Federation, &TEMPLATES)
};

fn configure(cfg: &mut actix_web::web::ServiceConfig, ctx: &AppContext) {
    match state::FederationState::new(ctx) {
        Ok(state) => {
            let state = ctx.app_state(|| state);
            cfg.app_data(actix_web::web::Data::from(state));
        }
        Err(e) => tracing::error!(error = %e, "federation state could not be built"),
    }
    accounts::routes::configure(cfg);
    oauth::configure(cfg);
    ap::configure(cfg);
    admin::configure(cfg);
    routes::configure(cfg);
}

