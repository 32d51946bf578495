//! `/`: the calendar of events not yet over.

use actix_web::{HttpResponse, web};
use shared::{AppContext, AppError, PageRequest};

use crate::domain::Calendar;
use crate::views::{self, CalendarPage};

pub async fn index(
    ctx: web::Data<AppContext>,
    page: PageRequest,
) -> Result<HttpResponse, AppError> {
    let rows = Calendar::new(ctx.db()).page(chrono::Utc::now()).await?;
    let context = views::page_context(ctx.base_context(), &CalendarPage::new(&rows))?;
    ctx.render_page(&page, "index.html", context, Vec::new())
        .await
}
