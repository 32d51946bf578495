//! The market's page cache (`shared::infrastructure::page_cache`): anonymous views of the home
//! page (bare, or `?page=N`; a search or filter is rendered), product and stall pages, stamped
//! with the generation of the market's content ([`PAGES_KIND`]) and kept under
//! `market-page:<path>`. Every change bumps it ([`purge_all`], which also purges the
//! `featured` and `stall-card` fragments other apps embed): those made through the market's
//! forms, and stock taken or given back by checkouts (reservations, their release or expiry),
//! which a trigger on `product_variants.stock` announces on [`STOCK_CHANNEL`] and
//! [`follow_stock`] hears. A paid order (the cart's `OrderPaid`) purges too (`consumers`), so
//! a missed notification is caught once the sale completes.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse};
use shared::infrastructure::background;
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

/// The home page is the one listing (`?page=N`); stall pages list all their products.
fn is_listing(path: &str) -> bool {
    path == "/"
}

/// Where PostgreSQL announces a change to a variant's stock (the trigger of migration
/// `market_stock_notify`).
pub const STOCK_CHANNEL: &str = "market_stock";

/// Notifications this close together make one purge (a busy sale would bump the generation on
/// every reservation otherwise).
const STOCK_QUIET: Duration = Duration::from_millis(100);

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

/// Everything cached is out of date (after any change to the market's content): its pages
/// and the fragments other apps embed.
pub async fn purge_all(ctx: &AppContext) {
    if let Some(state) = cache(ctx)
        && let Err(e) = state.pages.purge(ctx).await
    {
        tracing::warn!(error = %e, "could not purge the market's cached pages");
    }
    for kind in ["featured", "stall-card"] {
        if let Err(e) = ctx.fragments().purge_kind(AppName::Market, kind).await {
            tracing::warn!(error = %e, kind, "could not purge a market fragment");
        }
    }
}

/// Purges everything after each change of stock the database announces (background task).
pub async fn follow_stock(ctx: AppContext) {
    let mut shutdown = ctx.shutdown_signal();
    let mut changed = background::listen(
        ctx.config().database.url.expose().to_owned(),
        &[STOCK_CHANNEL],
    );
    loop {
        tokio::select! {
            note = changed.recv() => {
                if note.is_none() {
                    return;
                }
                // Let a burst of reservations settle, then purge once for all of them.
                tokio::time::sleep(STOCK_QUIET).await;
                while changed.try_recv().is_ok() {}
                purge_all(&ctx).await;
            }
            _ = shutdown.changed() => return,
        }
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

#[cfg(test)]
mod every_app_tests {
    use super::*;

    #[test]
    fn the_menus_outdate_the_markets_pages() {
        assert!(
            shared::infrastructure::page_cache::EVERY_APP.contains(&(AppName::Market, PAGES_KIND))
        );
    }
}
