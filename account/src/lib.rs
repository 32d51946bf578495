//! Account: the member's dashboard, newsletters, and the `user-menu` in every header.
//!
//! Laid out in the reference app shape (see `events`' crate docs):
//!
//! - `lib.rs`: the [`AppSpec`] only. `main.rs`: one call.
//! - `state.rs`: the signer of newsletter links, built once at start-up.
//! - `routes/`: one file per resource: the dashboard, subscribing (account's own forms and the
//!   fleet's `/subscribe`), the double opt-in confirmation, a subscriber's preferences, and the
//!   one-click unsubscribe address (RFC 8058).
//! - `views.rs`: one struct per template.
//! - `domain/`: the newsletter service (single or double opt-in, confirmation tokens stored as
//!   digests, 48 h and single use), signed links, the subscribe form's rate limit, and
//!   [`domain::NewsletterError`], turned into responses in one place.
//! - `db/`: account's queries and writes, one file per table (plus its read of members).
//! - No `jobs.rs` yet: the confirmation mail is the fleet's `mail.send` job
//!   (`shared::infrastructure::mail::SendMail`), enqueued in the subscribe transaction and run
//!   by federation's job runner. Campaign sending will bring account's own jobs.
//! - `fragments.rs`: `user-menu` and `newsletter-subscribe`.
//!
//! No `config.rs` (no settings of its own) and no `consumers.rs` (no bus events) yet either.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod db;
pub mod domain;
mod fragments;
mod routes;
mod state;
mod views;

use include_dir::{Dir, include_dir};
use shared::{AppContext, AppName, AppSpec};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

pub static APP: AppSpec = AppSpec {
    configure,
    fragments: fragments::configure,
    cross_app_forms: &[routes::FLEET_SUBSCRIBE],
    start: state::start,
    actor: shared::infrastructure::app::ActorProfile {
        kind: "Service",
        summary: "Members' accounts and newsletters.",
    },
    ..AppSpec::new(AppName::Account, &TEMPLATES)
};

fn configure(cfg: &mut actix_web::web::ServiceConfig, _ctx: &AppContext) {
    routes::configure(cfg);
}
