//! What every app is built on: the app factory, errors, tracing, health, templates, static
//! files, sessions, cross-origin protection, the fragment client and the internal credential.

pub mod activitypub_web;
pub mod app;
pub mod assets;
pub mod background;
pub mod client_ip;
pub mod csp;
pub mod csrf;
pub mod errors;
pub mod fragment_catalog;
pub mod fragments;
pub mod health;
pub mod http_client;
pub mod internal_auth;
pub mod jose;
pub mod link_catalog;
pub mod mail;
pub mod markdown;
pub mod media;
pub mod metrics;
pub mod multipart;
pub mod page;
pub mod page_cache;
pub mod qr;
pub mod rate_limit;
pub mod redirect;
pub mod redis;
pub mod request_id;
pub mod session;
pub mod shell;
pub mod slug;
pub mod sso;
pub mod telemetry;
pub mod templates;
pub mod versioned_cache;
pub mod wait;
