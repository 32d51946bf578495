//! Federation: ActivityPub with peers, one login for six apps, and accounts.

mod accounts_hardening;
mod activitypub;
mod ap_hardening;
mod bovine;
mod delivery;
mod oauth_hardening;
mod oidc;
mod sso;
mod start_up;
mod social;
mod social_fleets;
mod two_fleets;
