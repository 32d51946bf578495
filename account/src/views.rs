//! Typed views: what each template receives, one struct per template.

use serde::Serialize;
use shared::AppError;
use shared::contracts::dtos::{SubscriptionDto, UserDto};
use shared::contracts::orders::OrderDto;
use shared::models::account::Newsletter;

/// A list as forms and pages show it.
#[derive(Debug, Serialize)]
pub struct ListView<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub double_opt_in: bool,
}

impl<'a> From<&'a Newsletter> for ListView<'a> {
    fn from(n: &'a Newsletter) -> Self {
        ListView {
            slug: &n.slug,
            name: &n.name,
            description: &n.description,
            double_opt_in: n.double_opt_in(),
        }
    }
}

/// An upcoming event on the dashboard.
#[derive(Debug, Serialize)]
pub struct EventLink {
    pub url: String,
    pub title: String,
    pub starts_at: String,
    pub time_zone: String,
}

/// One of the member's tickets on the dashboard: the date, the seat, and its page (QR code).
#[derive(Debug, Serialize)]
pub struct TicketLink {
    pub url: String,
    pub event_url: String,
    pub title: String,
    pub ticket_type: String,
    pub seat: i32,
    pub starts_at: String,
    pub time_zone: String,
    pub valid: bool,
    pub checked_in: bool,
}

/// One of the member's orders on the dashboard.
#[derive(Debug, Serialize)]
pub struct OrderView {
    pub reference: String,
    /// The state's name (for styling and tests) and what the member reads.
    pub state: &'static str,
    pub state_label: &'static str,
    pub total: String,
    pub placed_at: String,
    /// "2 × Medlar jelly, 1 × Wool hat".
    pub summary: String,
    /// The order's page on the cart.
    pub url: String,
}

impl OrderView {
    pub fn new(o: &OrderDto, ctx: &shared::AppContext) -> Self {
        OrderView {
            url: shared::infrastructure::link_catalog::order(&o.reference).url(ctx),
            reference: o.reference.clone(),
            state: o.state.as_str(),
            state_label: o.state.label(),
            total: o.total.to_string(),
            placed_at: o.placed_at.to_rfc3339(),
            summary: o
                .lines
                .iter()
                .map(|l| format!("{} × {}", l.quantity, l.title))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// The signed-in member's part of the dashboard.
#[derive(Debug, Serialize)]
pub struct MemberView {
    pub user: UserDto,
    /// Whether their address is confirmed (then subscribing is one click).
    pub verified: bool,
    /// The cart's `Carts` contract could not be asked (the rest of the page still shows).
    pub cart_unavailable: bool,
    pub cart_count: i64,
    pub cart_totals: Vec<String>,
    /// Their upcoming bookings and tickets (the events app's `Bookings` contract); each list
    /// says "unavailable right now" on its own when the contract fails.
    pub bookings: Option<Vec<EventLink>>,
    pub tickets: Option<Vec<TicketLink>>,
    /// Their latest orders (through the cart's `Orders` contract).
    pub orders: Vec<OrderView>,
    /// The contract could not be asked right now (the rest of the page still shows).
    pub orders_unavailable: bool,
    pub subscriptions: Vec<SubscriptionDto>,
    /// Their newsletter preferences page, once they have subscribed.
    pub preferences_url: Option<String>,
}

/// `dashboard.html`.
#[derive(Debug, Serialize)]
pub struct DashboardPage<'a> {
    pub newsletters: Vec<ListView<'a>>,
    /// The list just subscribed to, for the notice.
    pub subscribed: Option<&'a str>,
    pub member: Option<MemberView>,
    pub cart_url: String,
}

/// `check-email.html`: the answer to a double opt-in subscribe (whatever the address).
#[derive(Debug, Serialize)]
pub struct CheckEmailPage<'a> {
    pub newsletter: ListView<'a>,
}

/// `confirm.html`: a button before anything changes, then the confirmation.
#[derive(Debug, Serialize)]
pub struct ConfirmPage<'a> {
    pub newsletter: ListView<'a>,
    /// Where the button posts (the same link).
    pub action: String,
    pub confirmed: bool,
    pub preferences_url: Option<String>,
}

/// One list on the preferences page.
#[derive(Debug, Serialize)]
pub struct PreferenceView<'a> {
    pub list: ListView<'a>,
    /// Confirmed, or waiting for confirmation.
    pub on: bool,
    pub pending: bool,
}

/// `preferences.html`.
#[derive(Debug, Serialize)]
pub struct PreferencesPage<'a> {
    pub email: &'a str,
    pub lists: Vec<PreferenceView<'a>>,
    pub action: String,
    pub saved: bool,
}

impl<'a> PreferencesPage<'a> {
    pub fn new(prefs: &'a crate::domain::Preferences, action: String, saved: bool) -> Self {
        PreferencesPage {
            email: &prefs.subscriber.email,
            lists: prefs
                .lists
                .iter()
                .map(|(n, status)| PreferenceView {
                    list: ListView::from(n),
                    on: matches!(status.as_deref(), Some("confirmed" | "unconfirmed")),
                    pending: status.as_deref() == Some("unconfirmed"),
                })
                .collect(),
            action,
            saved,
        }
    }
}

/// `unsubscribe.html`: the button (GET), or the result (POST).
#[derive(Debug, Serialize)]
pub struct UnsubscribePage<'a> {
    pub newsletter: ListView<'a>,
    pub email: &'a str,
    pub off: bool,
    pub action: String,
    pub preferences_url: String,
}

/// `fragments/newsletter-subscribe.html`: a list's subscribe form for other apps' pages.
#[derive(Debug, Serialize)]
pub struct SubscribeFragment<'a> {
    pub newsletter: Option<ListView<'a>>,
    pub action: String,
}

/// `fragments/user-menu.html`.
#[derive(Debug, Serialize)]
pub struct UserMenuFragment<'a> {
    pub account_url: String,
    pub editor_url: String,
    pub sign_in_url: String,
    pub sign_out_url: String,
    pub user: Option<UserDto>,
    pub writes: bool,
    /// The list offered to visitors who are not signed in.
    pub newsletter: Option<ListView<'a>>,
    /// The member's unread notifications ("99+" past [`UNREAD_CAP`] − 1), and where they are.
    pub unread: Option<String>,
    pub notifications_url: String,
}

/// Unread notifications are counted up to this many.
pub const UNREAD_CAP: i64 = 100;

/// The count as the header shows it: nothing for none, "99+" for a backlog.
pub fn unread_label(count: i64) -> Option<String> {
    match count {
        n if n <= 0 => None,
        n if n >= UNREAD_CAP => Some(format!("{}+", UNREAD_CAP - 1)),
        n => Some(n.to_string()),
    }
}

/// A campaign in the editor's list and on its page.
#[derive(Debug, Serialize)]
pub struct CampaignView<'a> {
    pub id: i64,
    pub subject: &'a str,
    pub newsletter: ListView<'a>,
    pub status: &'a str,
    pub archived: bool,
    pub editable: bool,
    pub scheduled_at: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub paused_reason: Option<&'a str>,
    pub counts: &'a crate::db::recipients::Counts,
    pub bounces: &'a crate::db::bounces::Counts,
}

impl<'a> From<&'a crate::domain::campaigns::CampaignState> for CampaignView<'a> {
    fn from(s: &'a crate::domain::campaigns::CampaignState) -> Self {
        let c = &s.campaign;
        CampaignView {
            id: c.id,
            subject: &c.subject,
            newsletter: ListView::from(&s.newsletter),
            status: &c.status,
            archived: c.archived,
            editable: c.editable(),
            scheduled_at: c.scheduled_at.map(|t| t.to_rfc3339()),
            started_at: c.started_at.map(|t| t.to_rfc3339()),
            finished_at: c.finished_at.map(|t| t.to_rfc3339()),
            paused_reason: c.paused_reason.as_deref(),
            counts: &s.counts,
            bounces: &s.bounces,
        }
    }
}

/// `campaigns.html`: every campaign, and the form for a new one.
#[derive(Debug, Serialize)]
pub struct CampaignsPage<'a> {
    pub campaigns: Vec<CampaignView<'a>>,
    pub lists: Vec<ListView<'a>>,
    /// Addresses with the latest bounces (and whether they are blocklisted).
    pub bounced: &'a [crate::db::bounces::Bounced],
    /// Published blog posts to start a campaign from.
    pub posts: Vec<shared::contracts::posts::PostSummaryDto>,
    /// The blog could not be asked (the rest of the page still shows).
    pub posts_unavailable: bool,
}

/// `campaign.html`: one campaign's editor, preview and sending.
#[derive(Debug, Serialize)]
pub struct CampaignPage<'a> {
    pub campaign: CampaignView<'a>,
    pub body_markdown: &'a str,
    /// Sanitised when saved.
    pub body_html: &'a str,
    pub lists: Vec<ListView<'a>>,
    pub done: Option<&'static str>,
}

/// The notice after an editor's action (only known ones: the query cannot inject text).
pub fn notice(done: &str) -> Option<&'static str> {
    Some(match done {
        "created" => "The draft is saved.",
        "saved" => "Saved.",
        "tested" => "A test mail is on its way.",
        "scheduled" => "Scheduled.",
        "paused" => "Paused.",
        "resumed" => "Sending again.",
        _ => return None,
    })
}

/// One sent campaign in a list's archive.
#[derive(Debug, Serialize)]
pub struct ArchiveEntry<'a> {
    pub url: String,
    pub subject: &'a str,
    pub sent_at: Option<String>,
}

/// `archive.html`.
#[derive(Debug, Serialize)]
pub struct ArchivePage<'a> {
    pub newsletter: ListView<'a>,
    pub feed_url: String,
    pub campaigns: Vec<ArchiveEntry<'a>>,
}

/// `archived.html`: one campaign as sent.
#[derive(Debug, Serialize)]
pub struct ArchivedPage<'a> {
    pub newsletter: ListView<'a>,
    pub subject: &'a str,
    /// Sanitised when saved.
    pub body_html: &'a str,
    pub sent_at: Option<String>,
    pub archive_url: String,
}

/// "Your data": what the export holds.
#[derive(Debug, Serialize)]
pub struct DataPage<'a> {
    pub username: &'a str,
    /// The apps whose rows the export includes.
    pub apps: Vec<&'static str>,
    /// Federation's deletion page (it owns the account and asks for the password again).
    pub delete_url: String,
}

/// A view as a tera context.
pub fn context(view: &impl Serialize) -> Result<tera::Context, AppError> {
    Ok(tera::Context::from_serialize(view)?)
}

/// A page view laid over the app's base context (site name, URLs, assets).
pub fn page_context(base: tera::Context, view: &impl Serialize) -> Result<tera::Context, AppError> {
    let mut context = base;
    context.extend(self::context(view)?);
    Ok(context)
}
