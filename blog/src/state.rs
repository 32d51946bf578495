//! The blog's own state, built once at start-up (the app's start hook): the shells of its
//! composed pages and the page cache. Handlers take it as `web::Data<BlogState>`; the page-cache
//! follower reaches it through `AppContext::state`.

use std::sync::Arc;
use std::time::Duration;

use shared::AppContext;
use shared::infrastructure::app::{AppState, StartFuture};
use shared::infrastructure::page_cache::PageCache;
use shared::infrastructure::shell::ShellCache;

use crate::page_cache;

/// What a public page shows: the key of its shell (only pages that exist are kept).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Shown {
    Home { page: u32 },
    Post { kind: &'static str, slug: String },
    Tag { slug: String, page: u32 },
    Author { username: String, page: u32 },
}

pub struct BlogState {
    /// Versioned by the posts' generation, which every write to the blog's content bumps; the
    /// minute bounds how old an author's name or bio on their page can be.
    pub(crate) shells: ShellCache<Shown>,
    pub(crate) pages: Arc<PageCache>,
}

/// The start hook: nothing here can fail yet, but it runs before the server listens.
pub fn start(_: &AppContext) -> StartFuture<'_> {
    Box::pin(async {
        Ok(AppState::new(BlogState {
            shells: ShellCache::new(
                shared::AppName::Blog,
                crate::POSTS_KIND,
                3_000,
                Duration::from_secs(60),
            ),
            pages: Arc::new(PageCache::new(page_cache::CONFIG)),
        }))
    })
}
