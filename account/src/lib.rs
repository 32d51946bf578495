//! Account: the member's dashboard, newsletters, and the `user-menu` in every header.
//!
//! Laid out in the reference app shape (see `events`' crate docs):
//!
//! - `lib.rs`: the [`AppSpec`] only. `main.rs`: one call.
//! - `state.rs`: the signer of newsletter links, account's config and the campaign mailer,
//!   built once at start-up.
//! - `config.rs`: account's own section (`NEWSLETTER_RATE_PER_SEC`,
//!   `NEWSLETTER_PAUSE_AFTER_ERRORS`).
//! - `routes/`: one file per resource: the dashboard, subscribing (account's own forms and the
//!   fleet's `/subscribe`), the double opt-in confirmation, a subscriber's preferences, the
//!   one-click unsubscribe address (RFC 8058), the campaign editor, a list's public archive
//!   and RSS feed, and "Your data" (the member's export as one JSON download).
//! - `views.rs`: one struct per template.
//! - `domain/`: the newsletter service (single or double opt-in, confirmation tokens stored as
//!   digests, 48 h and single use), signed links, the subscribe form's rate limit, campaigns
//!   (the editor's rules, a campaign as each recipient's mail, and the rate-limited sender),
//!   and [`domain::NewsletterError`], turned into responses in one place; the data export's
//!   document (every app's `PersonalData` section).
//! - `db/`: account's queries and writes, one file per table (plus its read of members).
//! - `jobs.rs`: a campaign's start (at its scheduled time), its sending turns and test mails.
//!   The confirmation mail is the fleet's `mail.send` job
//!   (`shared::infrastructure::mail::SendMail`), run by federation's job runner.
//! - `fragments.rs`: `user-menu` and `newsletter-subscribe`.
//!
//! - `account_deletion.rs`: the bus consumer applying `AccountDeleted` (subscriptions removed).

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod account_deletion;
pub mod config;
pub mod db;
pub mod domain;
mod fragments;
pub mod jobs;
mod routes;
pub mod state;
mod views;

use include_dir::{Dir, include_dir};
use shared::{AppContext, AppName, AppSpec};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

pub static APP: AppSpec = AppSpec {
    configure,
    fragments: fragments::configure,
    cross_app_forms: &[routes::FLEET_SUBSCRIBE],
    start: state::start,
    jobs: jobs::registry,
    config_variables: config::VARIABLES,
    background,
    actor: shared::infrastructure::app::ActorProfile {
        kind: "Service",
        summary: "Members' accounts and newsletters.",
    },
    ..AppSpec::new(AppName::Account, &TEMPLATES)
};

fn configure(cfg: &mut actix_web::web::ServiceConfig, _ctx: &AppContext) {
    routes::configure(cfg);
}

/// The bus consumer that applies account deletions to subscriptions.
fn background(ctx: &AppContext) -> Vec<shared::infrastructure::background::Task> {
    vec![account_deletion::consume(ctx)]
}
