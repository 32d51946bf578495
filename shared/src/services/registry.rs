//! The registry: every service an app may call, behind its trait.

use std::sync::Arc;

use super::DbServices;
use crate::contracts::bookings::Bookings;
use crate::contracts::inventory::Inventory;
use crate::contracts::orders::Orders;
use crate::contracts::personal_data::PersonalData;
use crate::contracts::posts::Posts;
use crate::contracts::protocols::{
    Calendar, Carts, Catalog, Navigation, Newsletters, Publications, UserDirectory,
};
use crate::contracts::sellable::Sellables;
use crate::db::DbPool;

#[derive(Clone)]
pub struct Registry {
    pub users: Arc<dyn UserDirectory>,
    pub navigation: Arc<dyn Navigation>,
    pub publications: Arc<dyn Publications>,
    pub catalog: Arc<dyn Catalog>,
    pub carts: Arc<dyn Carts>,
    pub calendar: Arc<dyn Calendar>,
    pub newsletters: Arc<dyn Newsletters>,
    pub inventory: Arc<dyn Inventory>,
    pub bookings: Arc<dyn Bookings>,
    pub sellables: Arc<dyn Sellables>,
    pub orders: Arc<dyn Orders>,
    pub posts: Arc<dyn Posts>,
    /// One source per app that owns rows about members (a data export reads them all).
    pub personal_data: Vec<Arc<dyn PersonalData>>,
}

impl Registry {
    /// Every service implemented on the shared database.
    pub fn on_database(pool: DbPool) -> Self {
        let personal_data = super::personal_data::sources(&pool);
        let db = Arc::new(DbServices::new(pool));
        Registry {
            users: db.clone(),
            navigation: db.clone(),
            publications: db.clone(),
            catalog: db.clone(),
            carts: db.clone(),
            calendar: db.clone(),
            bookings: db.clone(),
            newsletters: db.clone(),
            inventory: db.clone(),
            sellables: db.clone(),
            orders: db.clone(),
            posts: db,
            personal_data,
        }
    }
}
