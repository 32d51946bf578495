//! Federation: the fleet's accounts and its OAuth2/OpenID Connect provider (one login for all six
//! apps), the members directory, and (in its own issue) the ActivityPub hub.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod accounts;
mod admin;
pub mod ap;
pub mod config;
pub mod db;
pub mod jobs;
pub mod oauth;
mod routes;
pub mod social;
pub mod state;

use include_dir::{Dir, include_dir};
use shared::{AppContext, AppName, AppSpec};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");
static STATIC: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/static");

pub static APP: AppSpec = AppSpec {
    static_files: Some(&STATIC),
    configure,
    background: ap::background,
    jobs: jobs::registry,
    start: state::start,
    config_variables: config::VARIABLES,
    actor: shared::infrastructure::app::ActorProfile {
        kind: "Application",
        summary: "The Rose Ash cooperative's server.",
    },
    person_actors: true,
    metrics,
    ..AppSpec::new(AppName::Federation, &TEMPLATES)
};

/// The ActivityPub queues are the fleet's, reported once, by the service that works them.
fn metrics(ctx: &AppContext) -> futures_util::future::LocalBoxFuture<'_, String> {
    Box::pin(async move {
        let Ok(mut conn) = ctx.conn().await else {
            return String::new();
        };
        let mut body = String::new();
        if let Ok(stats) = shared::activitypub::store::queue_stats(&mut conn).await {
            body.push_str(&stats.render());
        }
        if let Ok(counts) = shared::activitypub::bus::dead_letter::counts(&mut conn).await {
            body.push_str(&shared::activitypub::bus::dead_letter::render_metrics(
                &counts,
            ));
        }
        body
    })
}

fn configure(cfg: &mut actix_web::web::ServiceConfig, _ctx: &AppContext) {
    accounts::routes::configure(cfg);
    oauth::configure(cfg);
    ap::configure(cfg);
    admin::configure(cfg);
    social::configure(cfg);
    routes::configure(cfg);
}
