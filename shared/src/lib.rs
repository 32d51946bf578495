//! The `shared` crate: everything two Rose Ash apps need.
//!
//! - [`config`]: typed configuration from the environment.
//! - [`db`]: the PostgreSQL pool, embedded migrations, `schema.rs`.
//! - [`models`]: diesel rows and queries, one module per owning app.
//! - [`contracts`]: DTOs and the service traits apps call each other's data through.
//! - [`crypto`]: randomness, digests, HMAC and constant-time comparison, all fallible.
//! - [`services`]: those traits on the shared database, and the [`services::Registry`].
//! - [`infrastructure`]: the app factory and what it brings (fragments, sessions, errors, ...).
//! - `devenv` (feature `devenv`): finding or starting PostgreSQL and Redis for `deploy dev` and
//!   the tests.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod activitypub;
pub mod apps;
pub mod config;
pub mod contracts;
pub mod crypto;
pub mod db;
#[cfg(feature = "devenv")]
pub mod devenv;
pub mod infrastructure;
pub mod jobs;
pub mod models;
pub mod services;
#[cfg(feature = "test-support")]
pub mod testing;

pub use apps::AppName;
pub use infrastructure::app::{AppContext, AppSpec};
pub use infrastructure::errors::AppError;
pub use infrastructure::fragments::{FragmentRequest, Viewer};
pub use infrastructure::page::PageRequest;
