//! What crosses app lines: serde DTOs (no diesel in them) and the service traits apps call
//! through the [`crate::services::Registry`].

pub mod dtos;
pub mod protocols;
