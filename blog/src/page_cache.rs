//! The blog's page cache (`shared::infrastructure::page_cache`): copies stamped with the
//! generation of the blog's posts, kept under `page:<path>`; the home page, tags and authors
//! are listings, so their `?page=N` pages are cached too.

use std::future::Future;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse};
use shared::infrastructure::page_cache::PageCacheConfig;
use shared::{AppContext, AppError, AppName};

/// How the blog's pages are cached.
pub const CONFIG: PageCacheConfig = PageCacheConfig {
    app: AppName::Blog,
    kind: crate::POSTS_KIND,
    key_prefix: "page:",
    is_listing,
};

/// The paginated listings: home, a tag's posts, an author's posts.
fn is_listing(path: &str) -> bool {
    path == "/" || path.starts_with("/tag/") || path.starts_with("/author/")
}

/// The cache lives in the blog's state (built at start-up, so always there once serving).
fn cache(ctx: &AppContext) -> Option<Arc<crate::BlogState>> {
    ctx.state::<crate::BlogState>()
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

/// Everything cached is out of date (after any write to the blog's content).
pub async fn purge(ctx: &AppContext) -> redis::RedisResult<()> {
    match cache(ctx) {
        Some(state) => state.pages.purge(ctx).await,
        None => Ok(()),
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
mod tests {
    #[test]
    fn home_tags_and_authors_are_the_listings() {
        for listing in ["/", "/tag/pears", "/author/ann"] {
            assert!(super::is_listing(listing), "{listing}");
        }
        for page in [
            "/posts/pears",
            "/pears",
            "/rss.xml",
            "/sitemap.xml",
            "/atom.xml",
        ] {
            assert!(!super::is_listing(page), "{page}");
        }
    }
}

#[cfg(test)]
mod every_app_tests {
    use shared::AppName;

    #[test]
    fn the_menus_outdate_the_blogs_pages() {
        assert!(
            shared::infrastructure::page_cache::EVERY_APP
                .contains(&(AppName::Blog, crate::POSTS_KIND))
        );
    }
}
