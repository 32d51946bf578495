//! Service traits: domain logic one app needs from another app's tables.
//!
//! Implemented on the shared database in [`crate::services`]; apps hold them in the
//! [`crate::services::Registry`]. No app calls another over HTTP for domain logic.

use async_trait::async_trait;

use super::dtos::{
    CalendarDto, CartOwner, CartSummary, EventDto, NavItemDto, ProductDto, SubscriptionDto, UserDto,
};

/// How a service call failed, in the caller's terms: what the owner stores with, and how, stays
/// behind the trait (`crate::services` maps its database errors to these).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// What the call names does not exist.
    #[error("not found")]
    NotFound,
    /// The change clashes with what is stored (a duplicate); the message is for the user.
    #[error("{0}")]
    Conflict(String),
    /// The input breaks one of the owner's rules; the message is for the user.
    #[error("{0}")]
    Invalid(String),
    /// The owner's store cannot be reached right now: worth trying again later.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Anything else; the message is for the logs.
    #[error("service failed: {0}")]
    Internal(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// Users and their roles (federation owns them).
#[async_trait]
pub trait UserDirectory: Send + Sync {
    /// The account `id` if it may act: `None` when it is unknown, disabled or deleted (so a
    /// session naming a deleted member is refused by `CurrentUser` in every app).
    async fn user(&self, id: i64) -> ServiceResult<Option<UserDto>>;
    /// How many accounts there are (NodeInfo's `usage.users.total`).
    async fn member_count(&self) -> ServiceResult<i64>;
    /// How many of a member's notifications are unread (the header's count), at most `cap`.
    async fn unread_notifications(&self, user_id: i64, cap: i64) -> ServiceResult<i64>;
    /// Everyone who may write on the blog (authors, editors, administrators), by name.
    async fn writers(&self) -> ServiceResult<Vec<UserDto>>;
    /// The account of an author imported from elsewhere (Ghost): the member with this username
    /// if there is one, else a new `author` account that cannot sign in. Returns its id.
    async fn imported_author(
        &self,
        username: &str,
        display_name: &str,
        bio: &str,
        avatar_url: Option<&str>,
    ) -> ServiceResult<i64>;
}

/// Navigation menus (blog owns them).
#[async_trait]
pub trait Navigation: Send + Sync {
    async fn menu(&self, menu: &str) -> ServiceResult<Vec<NavItemDto>>;
}

/// What the fleet has published (blog owns posts).
#[async_trait]
pub trait Publications: Send + Sync {
    /// Published posts (NodeInfo's `usage.localPosts`).
    async fn published_count(&self) -> ServiceResult<i64>;
}

/// Products (market owns them).
#[async_trait]
pub trait Catalog: Send + Sync {
    async fn product_by_slug(&self, slug: &str) -> ServiceResult<Option<ProductDto>>;
    async fn products_by_ids(&self, ids: &[i64]) -> ServiceResult<Vec<ProductDto>>;
}

/// Carts (cart owns them).
#[async_trait]
pub trait Carts: Send + Sync {
    async fn summary(&self, owner: &CartOwner) -> ServiceResult<CartSummary>;
}

/// The calendar (events owns it).
#[async_trait]
pub trait Calendar: Send + Sync {
    async fn upcoming(&self, limit: i64) -> ServiceResult<Vec<EventDto>>;
    /// Every calendar, by name (what a stall's opening days may be linked to).
    async fn calendars(&self) -> ServiceResult<Vec<CalendarDto>>;
    /// The calendar with this slug, if there is one.
    async fn calendar(&self, slug: &str) -> ServiceResult<Option<CalendarDto>>;
}

/// Newsletter subscriptions (account owns them).
#[async_trait]
pub trait Newsletters: Send + Sync {
    async fn subscriptions_of(&self, user_id: i64) -> ServiceResult<Vec<SubscriptionDto>>;
}
