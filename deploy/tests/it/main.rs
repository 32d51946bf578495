//! The fleet's integration tests: the six apps in-process on ephemeral ports, against real
//! PostgreSQL and Redis, each test with its own database and Redis prefix.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod activitypub;
mod bad_input;
mod blog;
mod bovine;
mod browser;
mod chromium;
mod composition;
mod csrf_csp;
mod delivery;
mod editor_browser;
mod event_bus;
mod federation;
mod fixtures;
mod ghost;
mod internal;
mod oidc;
mod operations;
mod shipping;
mod ops_hardening;
mod sso;
mod support;
