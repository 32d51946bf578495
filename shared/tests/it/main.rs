//! The shared crate against real PostgreSQL and Redis.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod jobs;
mod migrations;
mod orders;
mod personal_data;
mod sessions;
