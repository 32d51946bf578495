//! The account app's typed state, built once at start-up: the signer of the links newsletter
//! mail carries (preferences, one-click unsubscribe), its key derived from `INTERNAL_SECRET`;
//! account's config section; and the mailer campaigns go out through (one SMTP transport for
//! the app's life, DKIM key loaded once).

use shared::crypto::CryptoError;
use shared::infrastructure::app::{AppState, StartFuture};
use shared::infrastructure::mail::Mailer;
use shared::{AppContext, AppName};

use crate::config::AccountConfig;
use crate::domain::links::LinkSigner;
use crate::domain::sending::Sender;

pub struct AccountState {
    pub links: LinkSigner,
    pub config: AccountConfig,
    pub mailer: Mailer,
}

impl AccountState {
    pub fn new(ctx: &AppContext) -> Result<Self, shared::infrastructure::app::StartFailure> {
        Ok(AccountState {
            links: LinkSigner::new(ctx.config().internal_secret.expose().as_bytes())
                .map_err(|e: CryptoError| Box::new(e))?,
            config: ctx.config().section::<AccountConfig>()?,
            mailer: Mailer::from_config(ctx.config())?,
        })
    }

    /// A campaign sender over this state.
    pub fn sender(&self, ctx: &AppContext) -> Sender {
        Sender {
            pool: ctx.db().clone(),
            mailer: self.mailer.clone(),
            links: self.links.clone(),
            account_url: ctx.url(AppName::Account, "/"),
            rate_per_sec: self.config.rate_per_sec,
            pause_after_errors: self.config.pause_after_errors,
        }
    }
}

/// The app's start hook: a signer, config or mailer that cannot be made stops the app.
pub fn start(ctx: &AppContext) -> StartFuture<'_> {
    Box::pin(async move { Ok(AppState::new(AccountState::new(ctx)?)) })
}
