//! The account app's typed state, built once at start-up: the signer of the links newsletter
//! mail carries (preferences, one-click unsubscribe), its key derived from `INTERNAL_SECRET`.

use shared::AppContext;
use shared::crypto::CryptoError;

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

