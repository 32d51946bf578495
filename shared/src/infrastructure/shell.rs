//! Composed pages at the cost of a copy: the fast path for every page a member sees.
//!
//! A composed page is the app's content (a post, a listing, a product, an event) inside the
//! fleet's header, and only a few of its bytes depend on who looks: the header's fragments
//! (`user-menu`, `mini-cart`) and the session's CSRF token. So the content is rendered once per
//! generation of what it shows, with a marker where each of those parts goes, and kept in
//! process as a *shell*: text and slots. A request then costs one Redis round trip (the
//! generation and every fragment, in the one `MGET` of [`super::page::AppContext::compose`])
//! and a copy of the shell with the slots filled — no database, no template.
//!
//! A shell is kept per key (what the page shows, e.g. a post's slug) and per [`Audience`]
//! (anonymous, visitor with a session, member), which is all a shell's template learns of the
//! viewer (`signed_in`, and `csrf_token` as a slot). Pages whose content depends on *which*
//! member looks (a timeline, a dashboard) keep that part in per-viewer fragments or do not
//! use shells. Writes bump the generation the cache is versioned by (`purge_kind`), which
//! outdates every process's shells at once; [`ShellCache`]'s maximum age is the backstop.
//!
//! Markers carry a random per-process nonce, so content (a post someone wrote) cannot forge
//! one, and they use private-use characters that HTML escaping leaves alone, so a marker
//! survives `{{ csrf_token }}` as well as `{{ fragments.nav | safe }}`.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::http::header;

use super::app::AppContext;
use super::errors::AppError;
use super::fragments::FragmentRequest;
use super::page::PageRequest;
use super::versioned_cache::VersionedCache;
use crate::apps::AppName;
use crate::crypto::random_token;

/// Opens a marker; then the nonce, the slot's number and [`MARK_CLOSE`].
const MARK_OPEN: char = '\u{E000}';
const MARK_CLOSE: char = '\u{E001}';
/// The slot of the session's CSRF token; fragments are numbered after it.
const CSRF_SLOT: usize = 0;

/// What a shell's template may know of the viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// No session (no CSRF token: forms that need one are not shown).
    Anonymous,
    /// A session that is not signed in.
    Visitor,
    /// A signed-in member (which one, the template never learns).
    Member,
}

impl Audience {
    pub fn of(page: &PageRequest) -> Audience {
        match (page.viewer.user_id(), &page.csrf_token) {
            (Some(_), _) => Audience::Member,
            (None, Some(_)) => Audience::Visitor,
            (None, None) => Audience::Anonymous,
        }
    }
}

/// A page's content, as a handler builds it for a shell: its template and context, and the
/// fragments the content itself shows (embeds), which must not depend on the viewer.
pub struct ShellPage {
    template: &'static str,
    context: tera::Context,
    fragments: Vec<(&'static str, FragmentRequest)>,
}

impl ShellPage {
    pub fn new(template: &'static str, context: tera::Context) -> Self {
        ShellPage {
            template,
            context,
            fragments: Vec::new(),
        }
    }

    /// Refuses a page whose own fragments depend on the viewer: kept in a shell, one member's
    /// fragment request would be made for every member who sees that shell.
    fn viewer_free(&self) -> Result<(), AppError> {
        match self.fragments.iter().find(|(_, r)| r.is_per_viewer()) {
            Some((name, _)) => Err(AppError::internal(format!(
                "fragment {name} depends on the viewer: ask for it per request, not in the shell"
            ))),
            None => Ok(()),
        }
    }

    /// Adds a fragment the content shows (`fragments.<name>` in the template).
    pub fn fragment(mut self, name: &'static str, request: FragmentRequest) -> Self {
        self.fragments.push((name, request));
        self
    }
}

/// What building a shell gave: the page, or another answer (a redirect) that is not kept.
pub enum Built {
    Page(ShellPage),
    Respond(HttpResponse),
}

impl From<ShellPage> for Built {
    fn from(page: ShellPage) -> Self {
        Built::Page(page)
    }
}

enum Part {
    Text(String),
    Slot(usize),
}

/// A rendered page with slots.
pub struct Shell {
    parts: Vec<Part>,
    /// Slot `i + 1` is the fragment `names[i]`.
    names: Vec<&'static str>,
    /// The content's own fragments, fetched on each request after the shell is found.
    fragments: Vec<(&'static str, FragmentRequest)>,
    text_len: usize,
}

impl Shell {
    /// Fills the slots: the CSRF token and each fragment by name (missing ones are empty).
    fn fill(&self, csrf: Option<&str>, fragments: &HashMap<&'static str, String>) -> String {
        let slot = |i: usize| -> &str {
            if i == CSRF_SLOT {
                return csrf.unwrap_or("");
            }
            self.names
                .get(i - 1)
                .and_then(|name| fragments.get(name))
                .map_or("", String::as_str)
        };
        let len = self.text_len
            + self
                .parts
                .iter()
                .map(|p| match p {
                    Part::Slot(i) => slot(*i).len(),
                    Part::Text(_) => 0,
                })
                .sum::<usize>();
        let mut out = String::with_capacity(len);
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Slot(i) => out.push_str(slot(*i)),
            }
        }
        out
    }
}

/// An app's shells for one kind of page, versioned by the generation of `(app, kind)`.
pub struct ShellCache<K> {
    app: AppName,
    kind: &'static str,
    nonce: String,
    shells: VersionedCache<(K, Audience), Shell>,
}

impl<K: Eq + Hash + Clone> ShellCache<K> {
    /// Shells of pages showing what `(app, kind)`'s generation versions (e.g. the blog's
    /// posts), at most `capacity` of them, none older than `max_age`.
    pub fn new(app: AppName, kind: &'static str, capacity: usize, max_age: Duration) -> Self {
        // A token that cannot be drawn leaves a fixed nonce: markers still work, only content
        // could then imitate one (and fill a slot of its own page with the header's HTML).
        let nonce = random_token()
            .map(|t| t[..16].to_owned())
            .unwrap_or_else(|_| "rose-ash-shell".to_owned());
        ShellCache {
            app,
            kind,
            nonce,
            shells: VersionedCache::new(capacity, max_age),
        }
    }

    fn marker(&self, slot: usize) -> String {
        format!("{MARK_OPEN}{}{slot}{MARK_CLOSE}", self.nonce)
    }

    /// Cuts a rendered page at its markers.
    fn cut(
        &self,
        html: &str,
        names: Vec<&'static str>,
        fragments: Vec<(&'static str, FragmentRequest)>,
    ) -> Shell {
        let open = format!("{MARK_OPEN}{}", self.nonce);
        let mut parts = Vec::new();
        let mut text_len = 0;
        let mut rest = html;
        while let Some(at) = rest.find(&open) {
            let after = &rest[at + open.len()..];
            let slot = after
                .find(MARK_CLOSE)
                .and_then(|end| Some((after[..end].parse::<usize>().ok()?, end)));
            let Some((slot, end)) = slot else {
                // Not one of ours after all: keep it as text.
                let keep = at + open.len();
                text_len += keep;
                parts.push(Part::Text(rest[..keep].to_owned()));
                rest = &rest[keep..];
                continue;
            };
            if at > 0 {
                text_len += at;
                parts.push(Part::Text(rest[..at].to_owned()));
            }
            parts.push(Part::Slot(slot));
            rest = &after[end + MARK_CLOSE.len_utf8()..];
        }
        if !rest.is_empty() {
            text_len += rest.len();
            parts.push(Part::Text(rest.to_owned()));
        }
        Shell {
            parts,
            names,
            fragments,
            text_len,
        }
    }
}

impl AppContext {
    /// Serves a composed page from `shells`: the header's fragments, `fragments` (every one
    /// the handler can name up front, and any that depends on the viewer, such as `mini-cart`)
    /// and the shells' generation in one round trip; the shell of `key` for this audience, built by `build` when there is none
    /// of the current generation; then the content's own fragments (only when it has some) and
    /// the slots filled. `build` must not look at the viewer beyond what [`Audience`] says.
    pub async fn render_shell<K, F, Fut>(
        &self,
        page: &PageRequest,
        fragments: Vec<(&'static str, FragmentRequest)>,
        shells: &ShellCache<K>,
        key: K,
        build: F,
    ) -> Result<HttpResponse, AppError>
    where
        K: Eq + Hash + Clone,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Built, AppError>>,
    {
        let composition = self
            .compose(page, fragments, &[(shells.app, shells.kind)])
            .await;
        let generation = composition.generations.first().copied().flatten();
        let audience = Audience::of(page);
        let key = (key, audience);
        let shell = match shells.shells.get(&key, generation) {
            Some(shell) => shell,
            None => match build().await? {
                Built::Respond(response) => return Ok(response),
                Built::Page(content) => {
                    let shell = self.build_shell(shells, page, &composition, content)?;
                    shells.shells.put(key, generation, shell)
                }
            },
        };
        let mut fragments = composition.fragments;
        if !shell.fragments.is_empty() {
            let requests: Vec<FragmentRequest> =
                shell.fragments.iter().map(|(_, r)| r.clone()).collect();
            let fetched = self
                .fragments()
                .fetch_all(&requests, page.request_id.as_deref())
                .await;
            for ((name, _), fragment) in shell.fragments.iter().zip(fetched) {
                fragments.insert(name, fragment.html);
            }
        }
        let html = shell.fill(page.csrf_token.as_deref(), &fragments);
        Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "private, no-cache"))
            .insert_header((header::VARY, "Cookie"))
            .body(html))
    }

    /// Renders `content` once, for pages that are not kept (an editor's preview).
    pub async fn render_content(
        &self,
        page: &PageRequest,
        mut fragments: Vec<(&'static str, FragmentRequest)>,
        content: ShellPage,
    ) -> Result<HttpResponse, AppError> {
        fragments.extend(content.fragments);
        self.render_page(page, content.template, content.context, fragments)
            .await
    }

    /// Renders `content` with markers for every fragment and the CSRF token, and cuts it.
    fn build_shell<K: Eq + Hash + Clone>(
        &self,
        shells: &ShellCache<K>,
        page: &PageRequest,
        composition: &super::page::Composition,
        content: ShellPage,
    ) -> Result<Shell, AppError> {
        content.viewer_free()?;
        let names: Vec<&'static str> = composition
            .names()
            .chain(content.fragments.iter().map(|(name, _)| *name))
            .collect();
        let markers: HashMap<&'static str, String> = names
            .iter()
            .enumerate()
            .map(|(i, name)| (*name, shells.marker(i + 1)))
            .collect();
        let mut context = content.context;
        context.insert("fragments", &markers);
        context.insert("signed_in", &page.viewer.user_id().is_some());
        if page.csrf_token.is_some() {
            context.insert("csrf_token", &shells.marker(CSRF_SLOT));
        }
        let html = self.templates().render(content.template, &context)?;
        Ok(shells.cut(&html, names, content.fragments))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> ShellCache<u32> {
        ShellCache::new(AppName::Blog, "posts", 8, Duration::from_secs(60))
    }

    #[test]
    fn slots_are_cut_and_filled() {
        let shells = cache();
        let html = format!(
            "<p>{}</p><input value=\"{}\">{}",
            shells.marker(1),
            shells.marker(CSRF_SLOT),
            shells.marker(2)
        );
        let shell = shells.cut(&html, vec!["nav", "embed0"], Vec::new());
        let fragments = HashMap::from([("nav", "<nav>n</nav>".to_owned())]);
        assert_eq!(
            shell.fill(Some("tok"), &fragments),
            "<p><nav>n</nav></p><input value=\"tok\">",
            "a fragment that did not come is empty"
        );
        assert_eq!(
            shell.fill(None, &HashMap::new()),
            "<p></p><input value=\"\">"
        );
    }

    #[test]
    fn content_cannot_forge_a_marker_without_the_nonce() {
        let shells = cache();
        let forged = format!("{MARK_OPEN}rose-ash-shell1{MARK_CLOSE} and {MARK_OPEN}{MARK_CLOSE}");
        let other = cache();
        let html = format!("{forged}{}", other.marker(1));
        let shell = shells.cut(&html, vec!["nav"], Vec::new());
        let fragments = HashMap::from([("nav", "NAV".to_owned())]);
        assert_eq!(
            shell.fill(Some("tok"), &fragments),
            html,
            "markers of another nonce are text"
        );
    }

    #[test]
    fn a_shell_never_keeps_a_per_viewer_fragment() {
        use crate::infrastructure::fragment_catalog;
        use crate::infrastructure::fragments::Viewer;
        let page = ShellPage::new("post.html", tera::Context::new())
            .fragment("upcoming", fragment_catalog::upcoming());
        assert!(page.viewer_free().is_ok());
        let page = page.fragment("mini_cart", fragment_catalog::mini_cart(Viewer::User(7)));
        assert!(page.viewer_free().is_err());
    }

    #[test]
    fn a_marker_with_our_nonce_but_no_number_stays_text() {
        let shells = cache();
        let html = format!("a{MARK_OPEN}{}x{MARK_CLOSE}b", shells.nonce);
        let shell = shells.cut(&html, Vec::new(), Vec::new());
        assert_eq!(shell.fill(Some("tok"), &HashMap::new()), html);
    }
}
