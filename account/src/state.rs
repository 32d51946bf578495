//! The account app's typed state, built once at start-up: the signer of the links newsletter
//! mail carries (preferences, one-click unsubscribe), its key derived from `INTERNAL_SECRET`.

use shared::AppContext;
use shared::crypto::CryptoError;
use shared::infrastructure::app::{AppState, StartFuture};

use crate::domain::links::LinkSigner;

pub struct AccountState {
    pub links: LinkSigner,
}

impl AccountState {
    pub fn new(ctx: &AppContext) -> Result<Self, CryptoError> {
        Ok(AccountState {
            links: LinkSigner::new(ctx.config().internal_secret.expose().as_bytes())?,
        })
    }
}

/// The app's start hook: a signer that cannot be made stops the app.
pub fn start(ctx: &AppContext) -> StartFuture<'_> {
    Box::pin(async move { Ok(AppState::new(AccountState::new(ctx)?)) })
}
