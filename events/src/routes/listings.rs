//! `/`, `/past`, `/month`, `/week`: the dates to come, the archive, a month and a week, each
//! filtered by calendar, tag and place.

use actix_web::{HttpResponse, web};
use chrono::{Datelike, Days, NaiveDate, Utc};
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, AppName, PageRequest};

use super::actor;
use crate::domain::{Calendar, Listing, Organiser};
use crate::month;
use crate::state::EventsState;
use crate::views::{self, FeedLinks, Filters, ListPage, MonthPage, WeekPage};

#[derive(serde::Deserialize)]
pub struct PageParam {
    #[serde(default)]
    page: i64,
}

#[derive(serde::Deserialize)]
pub struct MonthParam {
    #[serde(default)]
    month: String,
}

#[derive(serde::Deserialize)]
pub struct WeekParam {
    #[serde(default)]
    week: String,
}

/// Today on the site's clock.
fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::London)
        .date_naive()
}

fn feed_links(ctx: &AppContext, listing: &Listing) -> FeedLinks {
    let query = views::query(listing);
    let path = if query.is_empty() {
        "/feed.ics".to_owned()
    } else {
        format!("/feed.ics?{query}")
    };
    FeedLinks::new(ctx.url(AppName::Events, &path))
}

async fn list(
    ctx: &AppContext,
    page: &PageRequest,
    user: Option<CurrentUser>,
    listing: &Listing,
    number: i64,
    past: bool,
) -> Result<HttpResponse, AppError> {
    if !(0..=10_000).contains(&number) {
        return Err(AppError::bad_request("There is no such page."));
    }
    let calendar = Calendar::new(ctx.db());
    let now = Utc::now();
    let listed = if past {
        calendar.past(listing, now, number).await?
    } else {
        calendar.upcoming(listing, now, number).await?
    };
    let can_create = match &user {
        Some(u) => !Organiser::new(ctx.db())
            .my_calendars(actor(u))
            .await?
            .is_empty(),
        None => false,
    };
    let full = listed.dates.len() as i64 == crate::domain::PAGE_SIZE;
    let view = ListPage {
        heading: if past { "Past events" } else { "What's on" },
        past,
        events: views::dates(&listed.dates),
        filters: Filters::new(listing, &listed.calendars, &listed.tags, &listed.places),
        page: number,
        next_page: full.then_some(number + 1),
        can_create,
        feed: feed_links(ctx, listing),
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(page, "index.html", context, Vec::new())
        .await
}

pub async fn upcoming(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: Option<CurrentUser>,
    listing: web::Query<Listing>,
    number: web::Query<PageParam>,
) -> Result<HttpResponse, AppError> {
    list(&ctx, &page, user, &listing, number.page, false).await
}

pub async fn past(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: Option<CurrentUser>,
    listing: web::Query<Listing>,
    number: web::Query<PageParam>,
) -> Result<HttpResponse, AppError> {
    list(&ctx, &page, user, &listing, number.page, true).await
}

/// `YYYY-MM` (empty: this month) as its first day.
pub fn parse_month(s: &str) -> Result<NaiveDate, AppError> {
    if s.trim().is_empty() {
        let t = today();
        return NaiveDate::from_ymd_opt(t.year(), t.month(), 1)
            .ok_or_else(|| AppError::bad_request("There is no such month."));
    }
    NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=2200).contains(&d.year()))
        .ok_or_else(|| AppError::bad_request("A month is written YYYY-MM."))
}

pub async fn month(
    ctx: web::Data<AppContext>,
    state: web::Data<EventsState>,
    page: PageRequest,
    listing: web::Query<Listing>,
    param: web::Query<MonthParam>,
) -> Result<HttpResponse, AppError> {
    let first = parse_month(&param.month)?;
    let month = month::read(ctx.db(), &state.months, &listing, first).await?;
    let view = MonthPage::new(
        &month,
        &listing,
        today(),
        ctx.url(AppName::Events, "/"),
        "/",
    );
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "month.html", context, Vec::new())
        .await
}

pub async fn week(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    listing: web::Query<Listing>,
    param: web::Query<WeekParam>,
) -> Result<HttpResponse, AppError> {
    let day = if param.week.trim().is_empty() {
        today()
    } else {
        NaiveDate::parse_from_str(param.week.trim(), "%Y-%m-%d")
            .ok()
            .filter(|d| (1900..=2200).contains(&d.year()))
            .ok_or_else(|| AppError::bad_request("A week is given by a date, YYYY-MM-DD."))?
    };
    let monday = day - Days::new(u64::from(day.weekday().num_days_from_monday()));
    let (cells, listed) = Calendar::new(ctx.db()).week(&listing, monday).await?;
    let view = WeekPage::new(
        monday,
        &cells,
        Filters::new(&listing, &listed.calendars, &listed.tags, &listed.places),
        today(),
    );
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "week.html", context, Vec::new())
        .await
}
