//! Accounts: sign-up (with e-mail confirmation), sign-in (with an optional TOTP second factor),
//! sign-out, passwords and resets, profiles, deleting the account (`deletion`).
//!
//! - `domain/`: the rules, as the [`domain::Accounts`] service and its error enum (mapped to
//!   `AppError` once).
//! - `routes/`: thin handlers, one file per resource.
//! - The pieces the rules use: `passwords` (+ `hashers`), `rate_limit`, `totp`,
//!   `confirmation` links, `sign_ons` (ending a member's sessions).
//! - What happens after the answer (looking an address up, the mail) is a job in
//!   `crate::jobs`.

pub mod confirmation;
pub mod deletion;
pub mod domain;
pub mod hashers;
pub mod passwords;
pub mod rate_limit;
pub mod routes;
pub mod sign_ons;
pub mod totp;
