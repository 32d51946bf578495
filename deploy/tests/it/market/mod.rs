//! Market: stock reservations through the `Inventory` contract, stalls and products as owners
//! and others see them, search, importing a product from a shop's page (also in a real
//! browser), federated listings, and the page cache and fragments following every change.

mod browser;
mod caching;
mod extruct;
mod federation;
mod images;
mod import;
mod inventory;
mod search;
mod stalls;
