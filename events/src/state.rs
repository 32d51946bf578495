//! The events app's typed state: the slot where anything events alone needs for its whole
//! life (a client, a parsed config section, a compiled rule set) is built once at start-up,
//! so a failure stops the app with a clear message instead of surfacing on a request.
//!
//! Events has no such state today: its handlers need only what every app gets in
//! [`shared::AppContext`] (the pool, other apps' URLs, templates), and the domain service
//! borrows the pool per request. The slot stays here, empty, so the first piece of state
//! (ticket payments, say) has an obvious home and never becomes a lazily initialised global.
