//! `/`: the market home: stalls, tag filters, search, and the products that match. Anonymous
//! views of the bare page come from the page cache; each search's answer is kept in this
//! process for the current generation of the market's content (one Redis read tells it; every
//! change bumps it, stock taken by checkouts included).

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::page::Pagination;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, AppName, PageRequest};

use crate::db::products::Filter;
use crate::domain::Market;
use crate::domain::form::minor_units;
use crate::page_cache::PAGES_KIND;
use crate::state::MarketState;
use crate::views::{self, Filters, HomePage};

const PER_PAGE: u32 = 24;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HomeQuery {
    stall: String,
    tag: String,
    q: String,
    /// `1`: only what can be bought now.
    in_stock: String,
    /// Prices as typed (`5`, `12.50`).
    min: String,
    max: String,
    page: Option<u32>,
}

/// A typed price bound in minor units; empty is none, anything else unreadable a 400.
fn bound(typed: &str, which: &str) -> Result<Option<i64>, AppError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    minor_units(typed)
        .map(Some)
        .ok_or_else(|| AppError::bad_request(format!("The {which} price is not an amount.")))
}

pub async fn index(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    page: PageRequest,
    user: Option<CurrentUser>,
    query: web::Query<HomeQuery>,
) -> Result<HttpResponse, AppError> {
    // Anonymous views of the bare home page (and its `?page=N`) from the page cache.
    crate::page_cache::serve(&ctx, &req, || render(&ctx, &page, user.as_ref(), &query)).await
}

async fn render(
    ctx: &AppContext,
    page: &PageRequest,
    user: Option<&CurrentUser>,
    query: &HomeQuery,
) -> Result<HttpResponse, AppError> {
    let market = Market::new(ctx.db());
    let nonempty = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    if query.q.len() > 200 {
        return Err(AppError::bad_request("That search is too long."));
    }
    let stall_id = match nonempty(&query.stall) {
        Some(slug) => Some(market.stall_id(&slug).await?),
        None => None,
    };
    let filter = Filter {
        stall_id,
        tag: nonempty(&query.tag).map(|t| t.to_lowercase()),
        text: nonempty(&query.q),
        in_stock: matches!(query.in_stock.trim(), "1" | "on" | "true"),
        min_price: bound(&query.min, "lowest")?,
        max_price: bound(&query.max, "highest")?,
    };
    // The answer of this generation of the market's content, if this process has it.
    let state = ctx.state::<MarketState>();
    let key = (filter.clone(), query.page);
    let (_, generations) = ctx
        .fragments()
        .fetch_with_generations(&[], &[(AppName::Market, PAGES_KIND)], None)
        .await;
    let generation = generations.first().copied().flatten();
    let cached = state
        .as_ref()
        .and_then(|s| s.searches.get(&key, generation));
    let answer = match cached {
        Some(answer) => answer,
        None => {
            // Counted first so a page past the end is a 404 before the list is read.
            let total = market.count(&filter).await?;
            let pagination = Pagination::new(query.page, PER_PAGE, total)?;
            let home = market
                .home(&filter, total, pagination.limit(), pagination.offset())
                .await?;
            match &state {
                Some(s) => s.searches.put(key, generation, (total, home)),
                None => Arc::new((total, home)),
            }
        }
    };
    let (total, home) = (answer.0, &answer.1);
    let pagination = Pagination::new(query.page, PER_PAGE, total)?;
    let filters = Filters {
        stall: query.stall.trim().to_owned(),
        tag: query.tag.trim().to_owned(),
        q: query.q.trim().to_owned(),
        in_stock: filter.in_stock,
        min: query.min.trim().to_owned(),
        max: query.max.trim().to_owned(),
    };
    let view = HomePage::new(
        home,
        filters,
        pagination,
        user.is_some_and(CurrentUser::is_admin),
    );
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(page, "index.html", context, Vec::new())
        .await
}
