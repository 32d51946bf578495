//! The cart's own queries and writes: orders, their lines, history and refunds. Carts and
//! their lines are in `shared::models::cart` (the seed, the fixtures and the `Carts` summary
//! read them too).

pub mod orders;
