//! Events: calendars and their organisers, events and recurring series in their own time
//! zone, month/week/list views, iCal feeds, free bookings, and the widgets other apps embed
//! (`upcoming`, `event-card`, `calendar-month`).
//!
//! # The app shape (the reference every app copies)
//!
//! Each app crate is laid out the same way, so a reader who knows one knows them all and a
//! new app starts from this crate rather than whichever pattern it finds first:
//!
//! - `lib.rs`: the [`AppSpec`] only (routes, fragments, hooks) and this map. No handlers.
//! - `main.rs`: one call, `shared::infrastructure::app::main(&<app>::APP)`; everything
//!   testable lives in the lib.
//! - `state.rs`: the app's typed state, built once at start-up (failure stops the app): here
//!   the signer of the private bookings-feed addresses.
//! - `config.rs`: the app's own config section, if it has one. Events reads no settings of its
//!   own, so it has no `config.rs`; add one (and its README table rows) with the first setting.
//! - `routes/`: thin HTTP handlers, one file per resource (`listings.rs`, `event.rs`, `feeds.rs`, …): parse
//!   the request, call the domain, render a view. No SQL, no rules.
//! - `views.rs`: one serialisable struct per template, so what a template receives is typed;
//!   never ad-hoc `tera::Context::insert` calls in handlers.
//! - `domain/`: the app's rules as a service over its dependencies (here [`domain::Calendar`]
//!   over the pool) and its errors as a `thiserror` enum, mapped to `AppError` in one place
//!   (`domain/mod.rs`). Knows nothing of HTTP.
//! - `db/`: the app's own queries and writes, one file per table. Only the owner writes its
//!   tables, so writes live here and the compiler keeps other apps out. `shared::models` keeps
//!   the row types and the reads other apps need (here `upcoming`, behind the `Calendar`
//!   contract); `db/` calls those rather than copying them.
//! - `consumers.rs`: the app's bus subscriptions, one handler per typed event from
//!   `shared::contracts::events` (here: the cart's `OrderPaid` and `OrderRefunded`, which
//!   issue and void tickets).
//! - `jobs.rs`: the app's job types (serde payload + `JOB_TYPE`) and handlers, returned from
//!   the `jobs` hook and enqueued in the same transaction as the change that causes them
//!   (here: carrying each recurring series' dates forward).
//! - `fragments.rs`: the `/internal/fragments/<type>` it serves to other apps.
//! - `answers.rs`: the answers other websites' widgets read, kept in each process.
//! - `month.rs`: the month grid, its dates kept per process and its HTML written directly.
//! - `templates/`: its templates (overriding shared ones by name); `Dockerfile` beside them.
//!
//! Files that would be empty are not created: the hook points at the shared no-op and this
//! list says where the code goes when it arrives. Fleet tests for the app live in
//! `deploy/tests/it/`.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod account_deletion;
mod answers;
mod consumers;
pub mod db;
pub mod domain;
mod fragments;
pub mod jobs;
mod month;
mod routes;
mod state;
mod views;

use include_dir::{Dir, include_dir};
use shared::{AppContext, AppName, AppSpec};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");
static STATIC: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/static");

pub static APP: AppSpec = AppSpec {
    configure,
    fragments: fragments::configure,
    static_files: Some(&STATIC),
    start: state::start,
    jobs: jobs::registry,
    background,
    actor: shared::infrastructure::app::ActorProfile {
        kind: "Group",
        summary: "What's on: markets, workshops and gatherings.",
    },
    ..AppSpec::new(AppName::Events, &TEMPLATES)
};

fn configure(cfg: &mut actix_web::web::ServiceConfig, _ctx: &AppContext) {
    routes::configure(cfg);
}

fn background(ctx: &AppContext) -> Vec<shared::infrastructure::background::Task> {
    vec![consumers::consume(ctx)]
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_parses() {
        shared::infrastructure::templates::build(&super::TEMPLATES).unwrap();
    }
}
