//! The service traits implemented on the shared database, and the registry apps hold.

mod bookings;
#[cfg(test)]
pub(crate) mod contracts_check;
mod errors;
mod inventory;
pub mod on_database;
mod orders;
mod personal_data;
mod posts;
mod registry;
mod sellable;

pub use inventory::ReleaseExpiredStock;
pub use on_database::DbServices;
pub use registry::Registry;
