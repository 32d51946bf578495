//! The events app's own queries and writes. Only events writes the `events` table, so the
//! writes live here and nowhere else; the row types and the reads other apps need (the
//! `upcoming` list behind the `Calendar` contract) stay in `shared::models::events`.

pub mod events;
