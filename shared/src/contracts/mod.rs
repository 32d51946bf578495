//! The only door between apps: what one app may know of another's data and rules.
//!
//! - [`dtos`]: plain serde types, the only values that cross app lines, and the rules every app
//!   shares on them (who writes: [`dtos::Role`]; how a cart adds up: [`dtos::CartSummary::of`]).
//! - [`bookings`]: a member's event bookings (events owns them; account lists them).
//! - [`email`]: what the fleet accepts as an e-mail address.
//! - [`inventory`]: stock reservations for checkout (reserve / commit / release by key).
//! - [`orders`]: a member's orders (cart owns them; account lists them).
//! - [`personal_data`]: what each app holds about a member (account exports it).
//! - [`posts`]: published blog posts (blog owns them; account starts campaigns from them).
//! - [`protocols`]: the service traits apps call through the [`crate::services::Registry`]. They
//!   take and return DTOs only and fail with their own [`protocols::ServiceError`].
//! - Links into another app come from [`crate::infrastructure::link_catalog`], fragments from
//!   [`crate::infrastructure::fragment_catalog`]; no app spells another's paths.
//!
//! This module stays free of the database layer: no ORM types, no row types, no database errors
//! (`crate::services` converts rows to DTOs and maps its errors). A test in `crate::services`
//! reads these sources and fails if one names it.

pub mod bookings;
pub mod dtos;
pub mod email;
pub mod events;
pub mod inventory;
pub mod orders;
pub mod personal_data;
pub mod posts;
pub mod protocols;
pub mod sellable;
