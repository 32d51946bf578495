//! The events app's own queries and writes. Only events writes its tables (calendars,
//! organisers, events, their occurrences, slug history, bookings and bookings feeds), so the
//! writes live here and nowhere else; the row types and the reads other apps need (the
//! `upcoming` list behind the `Calendar` contract, a member's bookings behind `Bookings`) stay
//! in `shared::models::events`.

pub mod bookings;
pub mod calendars;
pub mod events;
pub mod guests;
pub mod notices;
pub mod occurrences;
pub mod tickets;
