//! The fleet's integration tests: the six apps in-process on ephemeral ports, against real
//! PostgreSQL and Redis, each test with its own database and Redis prefix.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts_hardening;
mod activitypub;
mod ap_hardening;
mod bad_input;
mod blog;
mod bovine;
mod browser;
mod chromium;
mod composition;
mod contracts;
mod csrf_csp;
mod delivery;
mod editor_browser;
mod event_bus;
mod event_bus_dead_letter;
mod events_app;
mod federation;
mod fixtures;
mod ghost;
mod internal;
mod jobs;
mod oauth_hardening;
mod oidc;
mod operations;
mod ops_hardening;
mod shipping;
mod sso;
mod support;
