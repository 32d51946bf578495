//! `/events/{slug}`: one event's page.

use actix_web::{HttpResponse, web};
use shared::{AppContext, AppError, PageRequest};

use crate::domain::Calendar;
use crate::views::{self, EventPage};

pub async fn show(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let event = Calendar::new(ctx.db()).event(&slug).await?;
    let context = views::page_context(ctx.base_context(), &EventPage::new(&event))?;
    ctx.render_page(&page, "event.html", context, Vec::new())
        .await
}
