//! The calendar service: which events a visitor sees, and how many.

use chrono::{DateTime, Utc};
use shared::db::DbPool;
use shared::models::events::Event;

use super::EventsError;
use crate::db;

/// How many events the calendar page lists.
pub const PAGE_SIZE: i64 = 50;
/// How many events the `upcoming` widget shows inside other apps' pages.
pub const WIDGET_SIZE: i64 = 4;

/// The events app's rules over its pool. Each method takes a connection for its own query
/// and hands it back before the caller renders.
pub struct Calendar<'a> {
    pool: &'a DbPool,
}

impl<'a> Calendar<'a> {
    pub fn new(pool: &'a DbPool) -> Self {
        Calendar { pool }
    }

    /// The calendar page: events not yet over at `now`, soonest first.
    pub async fn page(&self, now: DateTime<Utc>) -> Result<Vec<Event>, EventsError> {
        self.upcoming(now, PAGE_SIZE).await
    }

    /// The widget other apps embed: the next few events.
    pub async fn widget(&self, now: DateTime<Utc>) -> Result<Vec<Event>, EventsError> {
        self.upcoming(now, WIDGET_SIZE).await
    }

    /// One event by slug, past or future; [`EventsError::NoSuchEvent`] when there is none.
    pub async fn event(&self, slug: &str) -> Result<Event, EventsError> {
        self.find(slug).await?.ok_or(EventsError::NoSuchEvent)
    }

    /// One event by slug, or `None` (the event card shows "no longer listed").
    pub async fn find(&self, slug: &str) -> Result<Option<Event>, EventsError> {
        let mut conn = self.pool.get().await?;
        Ok(db::events::by_slug(&mut conn, slug).await?)
    }

    async fn upcoming(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Event>, EventsError> {
        let mut conn = self.pool.get().await?;
        Ok(db::events::upcoming(&mut conn, now, limit).await?)
    }
}
