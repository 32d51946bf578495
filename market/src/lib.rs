//! The market: stalls (members' shops), products with options, variants and images, search,
//! importing a product from another shop's page, and stock reservations (the `Inventory`
//! contract, implemented in `shared::services`, whose expiry job the market runs).
//!
//! Laid out as the reference app shape (see `events/src/lib.rs`): `routes/` (home, stall,
//! product, import), `views.rs`, `domain/` (the [`domain::Market`] service, the product form,
//! the import extractor, `MarketError`), `db/` (stalls, products and search), `jobs.rs`,
//! `fragments.rs`, `page_cache.rs` and `state.rs` (the page cache of anonymous product and stall
//! pages).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod account_deletion;
mod consumers;
pub mod db;
pub mod domain;
mod fragments;
mod jobs;
mod page_cache;
mod routes;
mod state;
mod views;

use include_dir::{Dir, include_dir};
use shared::{AppContext, AppName, AppSpec};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

pub static APP: AppSpec = AppSpec {
    configure,
    fragments: fragments::configure,
    jobs: jobs::registry,
    start: state::start,
    background,
    actor: shared::infrastructure::app::ActorProfile {
        kind: "Service",
        summary: "New goods in the cooperative's market.",
    },
    ..AppSpec::new(AppName::Market, &TEMPLATES)
};

fn configure(cfg: &mut actix_web::web::ServiceConfig, _ctx: &AppContext) {
    routes::configure(cfg);
}

/// The page cache following purges and stock changes, and the bus consumer (account
/// deletions, paid orders).
fn background(ctx: &AppContext) -> Vec<shared::infrastructure::background::Task> {
    vec![
        Box::pin(page_cache::follow_generations(ctx.clone())),
        Box::pin(page_cache::follow_stock(ctx.clone())),
        consumers::consume(ctx),
    ]
}
