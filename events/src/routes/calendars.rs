//! `/calendars/…`: the calendars; administrators make them and name their organisers.

use actix_web::{HttpResponse, web};
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, AppName, PageRequest};

use super::{actor, purge};
use crate::domain::form::CalendarForm;
use crate::domain::{EventsError, Organiser};
use crate::views::{self, CalendarFormPage, CalendarRef, CalendarsPage};

pub async fn index(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: Option<CurrentUser>,
) -> Result<HttpResponse, AppError> {
    let calendars = crate::domain::Calendar::new(ctx.db()).calendars().await?;
    let view = CalendarsPage {
        calendars: calendars.iter().map(CalendarRef::from).collect(),
        is_admin: user.as_ref().is_some_and(CurrentUser::is_admin),
        webcal_base: crate::views::FeedLinks::new(ctx.url(AppName::Events, ""))
            .webcal
            .trim_end_matches('/')
            .to_owned(),
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "calendars.html", context, Vec::new())
        .await
}

/// A calendar's page is the list filtered to it.
pub async fn show(
    ctx: web::Data<AppContext>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (calendar, _) = crate::domain::Calendar::new(ctx.db())
        .calendar(&slug)
        .await?;
    let query = serde_urlencoded::to_string([("calendar", calendar.slug.as_str())])
        .map_err(AppError::internal)?;
    Ok(see_other(format!("/?{query}")).finish())
}

pub async fn new(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    if !user.is_admin() {
        return Err(EventsError::NotAdmin.into());
    }
    let form = CalendarForm::default();
    let view = CalendarFormPage {
        heading: "New calendar",
        action: "/calendars".into(),
        form: &form,
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "calendar_form.html", context, Vec::new())
        .await
}

pub async fn create(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<CalendarForm>,
) -> Result<HttpResponse, AppError> {
    let calendar = Organiser::new(ctx.db())
        .create_calendar(actor(&user), &form)
        .await?;
    purge(&ctx).await;
    Ok(see_other(format!("/calendars/{}/edit", calendar.slug)).finish())
}

pub async fn edit(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (calendar, organisers) = Organiser::new(ctx.db())
        .editable_calendar(actor(&user), &slug)
        .await?;
    let form = CalendarForm {
        name: calendar.name.clone(),
        slug: calendar.slug.clone(),
        description: calendar.description.clone(),
        organisers: organisers.join(", "),
    };
    let view = CalendarFormPage {
        heading: "Edit the calendar",
        action: format!("/calendars/{}", calendar.slug),
        form: &form,
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "calendar_form.html", context, Vec::new())
        .await
}

pub async fn update(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    slug: web::Path<String>,
    form: web::Form<CalendarForm>,
) -> Result<HttpResponse, AppError> {
    let calendar = Organiser::new(ctx.db())
        .update_calendar(actor(&user), &slug, &form)
        .await?;
    purge(&ctx).await;
    Ok(see_other(format!("/calendars/{}/edit", calendar.slug)).finish())
}
