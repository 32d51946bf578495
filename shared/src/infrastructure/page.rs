//! Rendering pages on the shared layout, and serving fragments.
//!
//! Every page's header composes the blog's `nav` and the account's `user-menu` fragments, the
//! same way in every app; a page may ask for more fragments, all fetched in parallel.

use std::collections::HashMap;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;

use super::app::AppContext;
use super::errors::AppError;
use super::fragment_catalog;
use super::fragments::{FragmentRequest, Viewer};
use super::request_id::RequestId;
use super::session::Session;
use crate::apps::AppName;

/// What a page render needs to know about the request.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub viewer: Viewer,
    pub request_id: Option<String>,
    /// The session's CSRF token, for the page's forms (`{{ csrf_token }}`).
    pub csrf_token: Option<String>,
}

impl FromRequest for PageRequest {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = Option::<Session>::from_request(req, payload);
        let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
        Box::pin(async move {
            let session = session.await.ok().flatten();
            let viewer = session
                .as_ref()
                .and_then(|s| s.data.user_id)
                .map_or(Viewer::Anonymous, Viewer::User);
            Ok(PageRequest {
                viewer,
                request_id,
                csrf_token: session.map(|s| s.data.csrf),
            })
        })
    }
}

/// The fragments in every page's header.
pub fn header_fragments(app: AppName, viewer: Viewer) -> [(&'static str, FragmentRequest); 2] {
    [
        ("nav", fragment_catalog::nav()),
        ("user_menu", fragment_catalog::user_menu(app, viewer)),
    ]
}

/// A page's fragments, fetched, and the generations it asked for.
pub struct Composition {
    pub(crate) fragments: HashMap<&'static str, String>,
    /// Per requested `(app, kind)`: its current generation, `None` when Redis was unreadable.
    pub generations: Vec<Option<u64>>,
}

impl Composition {
    /// The names of the fragments it holds.
    pub(crate) fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fragments.keys().copied()
    }
}

impl AppContext {
    /// Fetches the header fragments plus `extra`, and the generations of `generations`, in one
    /// Redis round trip (plus, on misses, parallel fetches from the owners).
    pub async fn compose(
        &self,
        page: &PageRequest,
        extra: Vec<(&'static str, FragmentRequest)>,
        generations: &[(AppName, &str)],
    ) -> Composition {
        let (names, requests): (Vec<&'static str>, Vec<FragmentRequest>) =
            header_fragments(self.name(), page.viewer)
                .into_iter()
                .chain(extra)
                .unzip();
        let (fetched, generations) = self
            .fragments()
            .fetch_with_generations(&requests, generations, page.request_id.as_deref())
            .await;
        let fragments = names
            .into_iter()
            .zip(fetched.into_iter().map(|f| f.html))
            .collect();
        Composition {
            fragments,
            generations,
        }
    }

    /// Renders `template` on the layout with a composition's fragments, available to the
    /// template as `fragments.<name>` (raw HTML: `{{ fragments.nav | safe }}`).
    pub fn render_composed(
        &self,
        page: &PageRequest,
        template: &str,
        mut context: tera::Context,
        composition: &Composition,
    ) -> Result<HttpResponse, AppError> {
        context.insert("fragments", &composition.fragments);
        context.insert("signed_in", &page.viewer.user_id().is_some());
        if let Some(token) = &page.csrf_token {
            context.insert("csrf_token", token);
        }
        let html = self.templates().render(template, &context)?;
        Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "private, no-cache"))
            .insert_header((header::VARY, "Cookie"))
            .body(html))
    }

    /// [`AppContext::compose`] then [`AppContext::render_composed`].
    pub async fn render_page(
        &self,
        page: &PageRequest,
        template: &str,
        context: tera::Context,
        extra: Vec<(&'static str, FragmentRequest)>,
    ) -> Result<HttpResponse, AppError> {
        let composition = self.compose(page, extra, &[]).await;
        self.render_composed(page, template, context, &composition)
    }

    /// Renders a fragment template for another app; `max_age` is how long it may be cached.
    pub fn render_fragment(
        &self,
        template: &str,
        context: &tera::Context,
        max_age: u32,
    ) -> Result<HttpResponse, AppError> {
        let html = self.templates().render(template, context)?;
        Ok(fragment_response(html, max_age))
    }
}

/// A fragment response: HTML with the owner's cache lifetime.
pub fn fragment_response(html: String, max_age: u32) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, format!("max-age={max_age}")))
        .body(html)
}

/// The `viewer` parameter of a per-viewer fragment request.
#[derive(Debug, serde::Deserialize)]
pub struct ViewerQuery {
    pub viewer: Option<String>,
}

impl ViewerQuery {
    pub fn viewer(&self) -> Viewer {
        self.viewer
            .as_deref()
            .and_then(Viewer::from_token)
            .unwrap_or(Viewer::Anonymous)
    }
}

/// `?page=N` on listings.
#[derive(Debug, serde::Deserialize)]
pub struct PageQuery {
    pub page: Option<u32>,
}

/// Where a listing page is, for `partials/pagination.html`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Pagination {
    pub page: u32,
    pub pages: u32,
    pub prev: Option<u32>,
    pub next: Option<u32>,
    pub per_page: u32,
}

impl Pagination {
    /// Page `requested` (1-based) of `total` items; 404 past the end (page 1 always exists).
    pub fn new(requested: Option<u32>, per_page: u32, total: i64) -> Result<Self, AppError> {
        let per_page = per_page.max(1);
        let pages = u32::try_from(total.max(0))
            .unwrap_or(u32::MAX)
            .div_ceil(per_page)
            .max(1);
        let page = requested.unwrap_or(1);
        if page == 0 || page > pages {
            return Err(AppError::not_found("There is no such page."));
        }
        Ok(Pagination {
            page,
            pages,
            prev: (page > 1).then(|| page - 1),
            next: (page < pages).then(|| page + 1),
            per_page,
        })
    }

    pub fn limit(&self) -> i64 {
        i64::from(self.per_page)
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination() {
        let p = Pagination::new(None, 10, 25).unwrap();
        assert_eq!(
            (p.page, p.pages, p.prev, p.next, p.offset()),
            (1, 3, None, Some(2), 0)
        );
        let p = Pagination::new(Some(3), 10, 25).unwrap();
        assert_eq!((p.prev, p.next, p.offset()), (Some(2), None, 20));
        assert!(Pagination::new(Some(4), 10, 25).is_err());
        assert!(Pagination::new(Some(0), 10, 25).is_err());
        assert_eq!(Pagination::new(Some(1), 10, 0).unwrap().pages, 1);
    }
}
