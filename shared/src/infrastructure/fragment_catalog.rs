//! The fleet's fragments, named once: consumers build their requests here and owners purge the
//! same keys, so the two can never drift apart.

use super::fragments::{FragmentRequest, Viewer};
use crate::apps::AppName;

/// blog `nav`: the primary navigation menu (every header).
pub fn nav() -> FragmentRequest {
    FragmentRequest::new(AppName::Blog, "nav")
}

/// account `user-menu`: who is signed in, with sign-in/out links for the app `on` (every header).
pub fn user_menu(on: AppName, viewer: Viewer) -> FragmentRequest {
    FragmentRequest::new(AppName::Account, "user-menu")
        .param("app", on.as_str())
        .per_viewer(viewer)
}

/// account `newsletter-subscribe`: a public list's subscribe form (`slug`; `None`: the first).
pub fn newsletter_subscribe(slug: Option<&str>) -> FragmentRequest {
    let request = FragmentRequest::new(AppName::Account, "newsletter-subscribe");
    match slug {
        Some(slug) => request.param("newsletter", slug),
        None => request,
    }
}

/// cart `mini-cart`: the viewer's cart at a glance.
pub fn mini_cart(viewer: Viewer) -> FragmentRequest {
    FragmentRequest::new(AppName::Cart, "mini-cart").per_viewer(viewer)
}

/// events `upcoming`: the next few events.
pub fn upcoming() -> FragmentRequest {
    FragmentRequest::new(AppName::Events, "upcoming")
}

/// events `upcoming` narrowed: a calendar's (by slug) or a tag's next `limit` dates.
pub fn upcoming_of(calendar: Option<&str>, tag: Option<&str>, limit: u8) -> FragmentRequest {
    let mut request =
        FragmentRequest::new(AppName::Events, "upcoming").param("limit", limit.to_string());
    if let Some(calendar) = calendar {
        request = request.param("calendar", calendar);
    }
    if let Some(tag) = tag {
        request = request.param("tag", tag);
    }
    request
}

/// events `calendar-month`: a month's grid (`month` as `YYYY-MM`; `None`: this month),
/// optionally of one calendar.
pub fn calendar_month(month: Option<&str>, calendar: Option<&str>) -> FragmentRequest {
    let mut request = FragmentRequest::new(AppName::Events, "calendar-month");
    if let Some(month) = month {
        request = request.param("month", month);
    }
    if let Some(calendar) = calendar {
        request = request.param("calendar", calendar);
    }
    request
}

/// events `event-card`: one event, embedded in a blog post.
pub fn event_card(slug: &str) -> FragmentRequest {
    FragmentRequest::new(AppName::Events, "event-card").param("slug", slug)
}

/// market `featured`: featured products.
pub fn featured() -> FragmentRequest {
    FragmentRequest::new(AppName::Market, "featured")
}

/// market `stall-card`: one stall (by slug), linking to its page.
pub fn stall_card(slug: &str) -> FragmentRequest {
    FragmentRequest::new(AppName::Market, "stall-card").param("slug", slug)
}

/// market `stall-card` by calendar: the cards of the stalls whose market days are the events
/// calendar `calendar` (by slug), under a heading; empty when no stall is linked to it.
pub fn stalls_of_calendar(calendar: &str) -> FragmentRequest {
    FragmentRequest::new(AppName::Market, "stall-card").param("calendar", calendar)
}
