//! Federation: ActivityPub with peers, one login for six apps, and accounts.

mod accounts_hardening;
mod activitypub;
mod ap_hardening;
mod boosts;
mod bovine;
mod compose_media;
mod delivery;
mod http_signatures;
mod member_replies;
mod oauth_hardening;
mod oidc;
mod profile_updates;
mod reports;
mod social;
mod social_browser;
mod social_fleets;
mod sso;
mod start_up;
mod two_fleets;
