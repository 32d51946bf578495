//! The market's typed state, built once at start-up (the app's start hook): the page cache of
//! its anonymous product and stall pages, and the answers of recent searches. Everything else its handlers need comes with every
//! app in [`shared::AppContext`] (the pool, the registry with the `Inventory` contract, the
//! guarded HTML fetcher the importer uses); the domain service borrows the pool per request.

use std::sync::Arc;
use std::time::Duration;

use shared::AppContext;
use shared::infrastructure::app::{AppState, StartFuture};
use shared::infrastructure::page_cache::PageCache;
use shared::infrastructure::versioned_cache::VersionedCache;

use crate::db::products::Filter;
use crate::domain::market::Home;
use crate::page_cache;

/// Searches whose answers are kept (beyond, the oldest generation's go first).
const SEARCHES: usize = 1_000;
/// How long an answer is kept at most (every change, stock taken by checkouts included, bumps
/// the generation sooner; this bounds the lag should a stock notification be missed).
const SEARCH_MAX_AGE: Duration = Duration::from_secs(60);

pub struct MarketState {
    pub(crate) pages: Arc<PageCache>,
    /// The home page's answer for a filter and page (total and lists), for one generation of
    /// the market's content (`page_cache::PAGES_KIND`, bumped by every change).
    pub(crate) searches: VersionedCache<(Filter, Option<u32>), (i64, Home)>,
}

/// The start hook: nothing here can fail, but it runs before the server listens.
pub fn start(_: &AppContext) -> StartFuture<'_> {
    Box::pin(async {
        Ok(AppState::new(MarketState {
            pages: Arc::new(PageCache::new(page_cache::CONFIG)),
            searches: VersionedCache::new(SEARCHES, SEARCH_MAX_AGE),
        }))
    })
}
