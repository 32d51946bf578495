//! `/stalls/…`: a stall's page; administrators open stalls, owners edit theirs.

use actix_web::{HttpRequest, HttpResponse, web};
use shared::infrastructure::fragment_catalog;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, PageRequest};

use super::{actor, purge};
use crate::domain::Market;
use crate::domain::form::StallForm;
use crate::views::{self, StallFormPage, StallPageView};

/// How many of a stall's next market days its page lists.
const MARKET_DAYS: u8 = 5;

pub async fn show(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    page: PageRequest,
    user: Option<CurrentUser>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    // Anonymous views from the page cache.
    crate::page_cache::serve(&ctx, &req, || async {
        let stall = Market::new(ctx.db())
            .stall(&slug, user.as_ref().map(actor))
            .await?;
        let context = views::page_context(ctx.base_context(), &StallPageView::new(&stall))?;
        // Its opening / market days: the linked calendar's next dates, from the events app.
        let fragments = match &stall.stall.calendar_slug {
            Some(calendar) => vec![(
                "market_days",
                fragment_catalog::upcoming_of(Some(calendar), None, MARKET_DAYS),
            )],
            None => Vec::new(),
        };
        ctx.render_page(&page, "stall.html", context, fragments)
            .await
    })
    .await
}

pub async fn new(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    if !user.is_admin() {
        return Err(AppError::Forbidden(
            "Only administrators open stalls.".into(),
        ));
    }
    let form = StallForm::default();
    let calendars = ctx.registry().calendar.calendars().await?;
    let view = StallFormPage {
        heading: "Open a stall",
        action: "/stalls".into(),
        form: &form,
        is_admin: true,
        calendars: &calendars,
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "stall_form.html", context, Vec::new())
        .await
}

pub async fn create(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<StallForm>,
) -> Result<HttpResponse, AppError> {
    let stall = Market::new(ctx.db())
        .create_stall(actor(&user), ctx.registry().calendar.as_ref(), &form)
        .await?;
    purge(&ctx).await;
    Ok(see_other(format!("/stalls/{}", stall.slug)).finish())
}

pub async fn edit(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let stall = Market::new(ctx.db())
        .editable_stall(&slug, actor(&user))
        .await?;
    let form = StallForm {
        name: stall.name.clone(),
        slug: stall.slug.clone(),
        description: stall.description.clone(),
        image_url: stall.image_url.clone().unwrap_or_default(),
        contact: stall.contact.clone(),
        location: stall.location.clone(),
        owners: String::new(),
        calendar: stall.calendar_slug.clone().unwrap_or_default(),
    };
    let calendars = ctx.registry().calendar.calendars().await?;
    let view = StallFormPage {
        heading: "Edit the stall",
        action: format!("/stalls/{}", stall.slug),
        form: &form,
        is_admin: false,
        calendars: &calendars,
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "stall_form.html", context, Vec::new())
        .await
}

pub async fn update(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    slug: web::Path<String>,
    form: web::Form<StallForm>,
) -> Result<HttpResponse, AppError> {
    let stall = Market::new(ctx.db())
        .update_stall(actor(&user), ctx.registry().calendar.as_ref(), &slug, &form)
        .await?;
    purge(&ctx).await;
    Ok(see_other(format!("/stalls/{}", stall.slug)).finish())
}
