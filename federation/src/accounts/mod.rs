//! Accounts: sign-up, sign-in (with an optional TOTP second factor), passwords, resets, profiles.

pub mod confirmation;
pub mod hashers;
pub mod jobs;
pub mod passwords;
pub mod rate_limit;
pub mod routes;
pub mod sign_ons;
pub mod totp;
