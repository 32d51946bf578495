//! The events app's typed state, built once at start-up: the signer of the private bookings
//! feed addresses, its key derived from `INTERNAL_SECRET` (a failure stops the app), and the
//! embed answers kept for other websites.

use shared::AppContext;
use shared::crypto::CryptoError;
use shared::infrastructure::app::{AppState, StartFuture};

use crate::answers::Answers;
use crate::domain::FeedSigner;
use crate::month::{self, Months};

pub struct EventsState {
    pub feeds: FeedSigner,
    /// The widgets' answers for other websites (`/embed/…`).
    pub answers: Answers,
    /// The month grids' dates (`/month`, `calendar-month`).
    pub months: Months,
}

impl EventsState {
    pub fn new(ctx: &AppContext) -> Result<Self, CryptoError> {
        Ok(EventsState {
            feeds: FeedSigner::new(ctx.config().internal_secret.expose().as_bytes())?,
            answers: Answers::default(),
            months: month::kept(),
        })
    }
}

/// The app's start hook.
pub fn start(ctx: &AppContext) -> StartFuture<'_> {
    Box::pin(async move { Ok(AppState::new(EventsState::new(ctx)?)) })
}
