//! Fragments the market serves to the fleet (`/internal/fragments/<type>`).

use actix_web::{HttpResponse, web};
use shared::infrastructure::link_catalog;
use shared::models::market;
use shared::{AppContext, AppError};

use crate::views::{self, FeaturedFragment};

/// How long other apps may cache a market fragment, in seconds (changes purge it sooner).
const MAX_AGE: u32 = 60;

pub fn configure(cfg: &mut web::ServiceConfig, _ctx: &AppContext) {
    cfg.route("/featured", web::get().to(featured));
}

/// `featured`: a few featured products, linking to the market.
async fn featured(ctx: web::Data<AppContext>) -> Result<HttpResponse, AppError> {
    let products = {
        let mut conn = ctx.conn().await?;
        market::featured(&mut conn, 4).await?
    };
    let view = FeaturedFragment::new(&products, link_catalog::market().url(&ctx));
    ctx.render_fragment("fragments/featured.html", &views::context(&view)?, MAX_AGE)
}
