//! The blog's own state, built once at start-up (the app's start hook): the in-process listing
//! cache and the page cache. Handlers take it as `web::Data<BlogState>`; the page-cache
//! follower reaches it through `AppContext::state`.

use std::sync::Arc;
use std::time::Duration;

use shared::AppContext;
use shared::infrastructure::app::{AppState, StartFuture};
use shared::infrastructure::page_cache::PageCache;
use shared::infrastructure::versioned_cache::VersionedCache;

use crate::{page_cache, routes};

pub struct BlogState {
    pub(crate) listings: VersionedCache<u32, routes::home::Listing>,
    pub(crate) pages: Arc<PageCache>,
}

/// The start hook: nothing here can fail yet, but it runs before the server listens.
pub fn start(_: &AppContext) -> StartFuture<'_> {
    Box::pin(async {
        Ok(AppState::new(BlogState {
            listings: VersionedCache::new(64, Duration::from_secs(300)),
            pages: Arc::new(PageCache::new(page_cache::CONFIG)),
        }))
    })
}
