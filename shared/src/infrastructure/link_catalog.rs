//! The fleet's cross-app links, named once: an app that links into another builds the URL here,
//! and the owner registers its route with the same pattern from [`routes`], so a link can never
//! point at a path its owner stopped serving.

use super::app::AppContext;
use crate::apps::AppName;

/// The route patterns other apps link to, as their owners register them.
pub mod routes {
    /// cart: the add-to-cart form's target (posted from market pages).
    pub const CART_ITEMS: &str = "/cart/items";
    /// market: a product page.
    pub const PRODUCT: &str = "/products/{slug}";
    /// cart: an order's page (its owner's, or anyone's with the order's signed link).
    pub const ORDER: &str = "/orders/{reference}";
    /// events: an event page.
    pub const EVENT: &str = "/events/{slug}";
    /// blog: a post's page.
    pub const POST: &str = "/posts/{slug}";
    /// blog: the writers' editor.
    pub const EDITOR: &str = "/editor";
    /// federation: a member's public profile.
    pub const PROFILE: &str = "/@{username}";
    /// federation: a member's ActivityPub actor.
    pub const PERSON: &str = "/users/{name}";
    /// federation: the signed-in member's notifications (the user-menu's unread count links here).
    pub const NOTIFICATIONS: &str = "/notifications";
    /// every app (from the app factory): sign in, and the sign-out confirmation page.
    pub const SIGN_IN: &str = "/auth/login";
    pub const SIGN_OUT: &str = "/auth/logout";
}

/// A page of one app, as a path on that app's public URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub app: AppName,
    pub path: String,
}

impl Link {
    fn new(app: AppName, path: impl Into<String>) -> Self {
        Link {
            app,
            path: path.into(),
        }
    }

    /// The absolute URL, on the app's configured public URL.
    pub fn url(&self, ctx: &AppContext) -> String {
        ctx.url(self.app, &self.path)
    }
}

/// `pattern` with its one `{…}` parameter replaced by `value`, percent-encoded so that no value
/// can leave its path segment (a slash, `?` or `#` in it is sent as data).
fn fill(pattern: &str, value: &str) -> String {
    let encoded: String = value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    match (pattern.find('{'), pattern.find('}')) {
        (Some(open), Some(close)) if open < close => {
            format!("{}{encoded}{}", &pattern[..open], &pattern[close + 1..])
        }
        _ => pattern.to_owned(),
    }
}

/// The fleet's front page (the blog's home), e.g. NodeInfo's homepage.
pub fn home() -> Link {
    Link::new(AppName::Blog, "/")
}

/// cart: its page (the viewer's cart).
pub fn cart() -> Link {
    Link::new(AppName::Cart, "/")
}

/// cart: where market's add-to-cart form posts.
pub fn add_to_cart() -> Link {
    Link::new(AppName::Cart, routes::CART_ITEMS)
}

/// market: the product listing.
pub fn market() -> Link {
    Link::new(AppName::Market, "/")
}

/// market: one product's page.
pub fn product(slug: &str) -> Link {
    Link::new(AppName::Market, fill(routes::PRODUCT, slug))
}

/// events: the calendar.
pub fn events() -> Link {
    Link::new(AppName::Events, "/")
}

/// events: one event's page.
pub fn event(slug: &str) -> Link {
    Link::new(AppName::Events, fill(routes::EVENT, slug))
}

/// blog: a post's page.
pub fn post(slug: &str) -> Link {
    Link::new(AppName::Blog, fill(routes::POST, slug))
}

/// blog: the editor, for writers.
pub fn editor() -> Link {
    Link::new(AppName::Blog, routes::EDITOR)
}

/// account: the member's dashboard.
pub fn account() -> Link {
    Link::new(AppName::Account, "/")
}

/// federation: a member's public profile.
pub fn profile(username: &str) -> Link {
    Link::new(AppName::Federation, fill(routes::PROFILE, username))
}

/// cart: an order's page.
pub fn order(reference: &str) -> Link {
    Link::new(AppName::Cart, fill(routes::ORDER, reference))
}

/// federation: the signed-in member's notifications.
pub fn notifications() -> Link {
    Link::new(AppName::Federation, routes::NOTIFICATIONS)
}

/// federation: a member's ActivityPub actor.
pub fn person(name: &str) -> Link {
    Link::new(AppName::Federation, fill(routes::PERSON, name))
}

/// Sign in on the app `on` (its own session, through single sign-on).
pub fn sign_in(on: AppName) -> Link {
    Link::new(on, routes::SIGN_IN)
}

/// Sign out on the app `on` (a confirmation page; signing out ends single sign-on).
pub fn sign_out(on: AppName) -> Link {
    Link::new(on, routes::SIGN_OUT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_name_their_app_and_path() {
        assert_eq!(add_to_cart(), Link::new(AppName::Cart, "/cart/items"));
        assert_eq!(cart(), Link::new(AppName::Cart, "/"));
        assert_eq!(market(), Link::new(AppName::Market, "/"));
        assert_eq!(
            product("blue-mug"),
            Link::new(AppName::Market, "/products/blue-mug")
        );
        assert_eq!(events(), Link::new(AppName::Events, "/"));
        assert_eq!(
            event("spring-fair"),
            Link::new(AppName::Events, "/events/spring-fair")
        );
        assert_eq!(editor(), Link::new(AppName::Blog, "/editor"));
        assert_eq!(post("spring"), Link::new(AppName::Blog, "/posts/spring"));
        assert_eq!(account(), Link::new(AppName::Account, "/"));
        assert_eq!(profile("ada"), Link::new(AppName::Federation, "/@ada"));
        assert_eq!(person("ada"), Link::new(AppName::Federation, "/users/ada"));
        assert_eq!(
            sign_in(AppName::Market),
            Link::new(AppName::Market, "/auth/login")
        );
        assert_eq!(
            sign_out(AppName::Blog),
            Link::new(AppName::Blog, "/auth/logout")
        );
    }

    #[test]
    fn a_value_cannot_leave_its_path_segment() {
        assert_eq!(
            product("../../admin?x=1#y").path,
            "/products/..%2F..%2Fadmin%3Fx%3D1%23y"
        );
        assert_eq!(profile("a b").path, "/@a%20b");
        assert_eq!(event("café").path, "/events/caf%C3%A9");
    }
}
