//! Federation's own queries and writes. Federation owns the account, OAuth and ActivityPub
//! tables, so the writes live here and nowhere else; `shared` keeps the row types and the
//! queries shared code or other apps run (the inbox, outbox, event bus, key store, actor
//! collections and metrics in `shared::activitypub::store`).

pub mod account_deletion;
pub mod activities;
pub mod blocks;
pub mod deliveries;
pub mod follows;
pub mod members;
pub mod oauth;
pub mod objects;
pub mod reactions;
pub mod remote_actors;
pub mod users;
