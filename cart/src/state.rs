//! The cart's typed state, built once at start-up: its config section and the SumUp client
//! (none when payments are not configured).

use shared::AppContext;
use shared::infrastructure::app::{AppState, StartFuture};

use crate::config::CartConfig;
use crate::sumup::SumUp;

pub struct CartState {
    pub config: CartConfig,
    pub sumup: Option<SumUp>,
}

pub fn start(ctx: &AppContext) -> StartFuture<'_> {
    Box::pin(async move {
        let config: CartConfig = ctx.config().section()?;
        let sumup = config.sumup.clone().map(SumUp::new).transpose()?;
        Ok(AppState::new(CartState { config, sumup }))
    })
}
