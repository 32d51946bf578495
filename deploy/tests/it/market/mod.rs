//! Market: stock reservations through the `Inventory` contract, stalls and products as owners
//! and others see them, search, and importing a product from a shop's page.

mod extruct;
mod import;
mod inventory;
mod search;
mod stalls;
