//! Fragments the market serves to the fleet (`/internal/fragments/<type>`): `featured` (a few
//! featured products) and `stall-card` (one stall, or the stalls trading on an events
//! calendar's days). Every change made through the market's
//! forms purges both (`routes::purge`).

use actix_web::{HttpResponse, web};
use shared::infrastructure::link_catalog;
use shared::models::market;
use shared::{AppContext, AppError};

use crate::domain::{Market, MarketError};
use crate::views::{self, FeaturedFragment, StallCardFragment, StallCardsFragment};

/// How long other apps may cache a market fragment, in seconds (changes purge it sooner).
const MAX_AGE: u32 = 60;

pub fn configure(cfg: &mut web::ServiceConfig, _ctx: &AppContext) {
    cfg.route("/featured", web::get().to(featured))
        .route("/stall-card", web::get().to(stall_card));
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

/// Most stalls a `stall-card` by calendar lists.
const MAX_STALLS: i64 = 12;

/// A stall by its slug, or the stalls of a calendar (by its slug).
#[derive(serde::Deserialize)]
struct CardQuery {
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    calendar: Option<String>,
}

/// `stall-card`: one stall (name, image, place, a line of its description, how many products
/// it has on sale), linking to its page, for other apps to embed; "no longer open" when the
/// stall is gone. With `calendar` instead of `slug`: the cards of the stalls whose market days
/// are that events calendar (the events app shows them on its events' pages), nothing when
/// there are none.
async fn stall_card(
    ctx: web::Data<AppContext>,
    query: web::Query<CardQuery>,
) -> Result<HttpResponse, AppError> {
    let market_url = link_catalog::market().url(&ctx);
    let slug = match (&query.slug, &query.calendar) {
        (Some(slug), None) => slug,
        (None, Some(calendar)) => {
            let found = Market::new(ctx.db())
                .stalls_of_calendar(calendar, MAX_STALLS)
                .await?;
            let view = StallCardsFragment::new(&found, market_url);
            return ctx.render_fragment(
                "fragments/stall-cards.html",
                &views::context(&view)?,
                MAX_AGE,
            );
        }
        _ => {
            return Err(AppError::bad_request(
                "A stall card needs a stall (slug) or a calendar, not both.",
            ));
        }
    };
    let found = match Market::new(ctx.db()).stall(slug, None).await {
        Ok(page) => Some(page),
        Err(MarketError::NoSuchStall) => None,
        Err(e) => return Err(e.into()),
    };
    let view = StallCardFragment::new(found.as_ref(), market_url);
    ctx.render_fragment(
        "fragments/stall-card.html",
        &views::context(&view)?,
        MAX_AGE,
    )
}
