//! The market's own queries and writes, one file per table group. Only market writes stalls,
//! products and their parts, so the writes live here; `shared::models::market` keeps the row
//! types and the reads other apps need (the `Catalog` contract's).

pub mod images;
pub mod imports;
pub mod products;
pub mod stalls;
