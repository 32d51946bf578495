//! The market's page cache (`shared::infrastructure::page_cache`): anonymous views of product
//! and stall pages, stamped with the generation of the market's content ([`PAGES_KIND`]),
//! which every change made through the market's forms bumps ([`crate::routes`]' purge), kept
//! under `market-page:<path>`. Stock taken by checkouts does not purge: a copy may say "in
//! stock" for up to its minute, and the cart refuses what is no longer there.
//!
//! The home page is not cached: it is the market's search (every query renders), and its bare
//! form would keep another app's menu change (the `nav` fragment inside it) for a minute.

use std::future::Future;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse};
use shared::infrastructure::page_cache::PageCacheConfig;
use shared::{AppContext, AppError, AppName};

use crate::state::MarketState;

/// The generation of what the market's public pages show.
pub const PAGES_KIND: &str = "pages";

/// How the market's pages are cached.
pub const CONFIG: PageCacheConfig = PageCacheConfig {
    app: AppName::Market,
    kind: PAGES_KIND,
    key_prefix: "market-page:",
    is_listing,
};

/// No market page is paginated by `?page=N` in the cache (stall pages list all their products).
fn is_listing(_: &str) -> bool {
    false
}

fn cache(ctx: &AppContext) -> Option<Arc<MarketState>> {
    ctx.state::<MarketState>()
}

/// Serves `req` from the cache when it can, else renders it with `render` and keeps a copy.
pub async fn serve<F, Fut>(
    ctx: &AppContext,
    req: &HttpRequest,
    render: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<HttpResponse, AppError>>,
{
    match cache(ctx) {
        Some(state) => state.pages.serve(ctx, req, render).await,
        None => render().await,
    }
}

/// Everything cached is out of date (after any change to the market's content).
pub async fn purge(ctx: &AppContext) {
    if let Some(state) = cache(ctx)
        && let Err(e) = state.pages.purge(ctx).await
    {
        tracing::warn!(error = %e, "could not purge the market's cached pages");
    }
}

/// Follows purges made by other replicas (background task).
pub async fn follow_generations(ctx: AppContext) {
    let Some(state) = cache(&ctx) else {
        return;
    };
    let pages = state.pages.clone();
    pages.follow_generations(ctx).await;
}
