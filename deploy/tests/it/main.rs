//! The fleet's integration tests: the six apps in-process on ephemeral ports, against real
//! PostgreSQL and Redis, each test with its own database and Redis prefix.
//!
//! One folder per app (what a user of that app does), `fleet/` for what crosses apps
//! (composition, contracts, the bus, jobs, operations), and `support/` for the one copy of
//! the test helpers: fleets, fixtures, browsers, members, a remote ActivityPub peer.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod account;
mod blog;
mod cart;
mod events;
mod federation;
mod fleet;
mod market;
mod support;
