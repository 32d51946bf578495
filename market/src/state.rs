//! The market's typed state: the slot where anything the market alone needs for its whole
//! life is built once at start-up, so a failure stops the app with a clear message instead of
//! surfacing on a request.
//!
//! The market has none today: its handlers need only what every app gets in
//! [`shared::AppContext`] (the pool, the registry with the `Inventory` contract, the guarded
//! HTML fetcher the importer uses), and the domain service borrows the pool per request.
