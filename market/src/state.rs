//! The market's typed state, built once at start-up (the app's start hook): the page cache of
//! its anonymous product and stall pages. Everything else its handlers need comes with every
//! app in [`shared::AppContext`] (the pool, the registry with the `Inventory` contract, the
//! guarded HTML fetcher the importer uses); the domain service borrows the pool per request.

use std::sync::Arc;

use shared::AppContext;
use shared::infrastructure::app::{AppState, StartFuture};
use shared::infrastructure::page_cache::PageCache;

use crate::page_cache;

pub struct MarketState {
    pub(crate) pages: Arc<PageCache>,
}

/// The start hook: nothing here can fail, but it runs before the server listens.
pub fn start(_: &AppContext) -> StartFuture<'_> {
    Box::pin(async {
        Ok(AppState::new(MarketState {
            pages: Arc::new(PageCache::new(page_cache::CONFIG)),
        }))
    })
}
