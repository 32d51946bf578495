//! Tickets: organisers add ticket types to a date and end their sales, and check tickets in at
//! the door; a buyer's ticket page (its address carries the ticket's secret) shows the QR code.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::link_catalog;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, PageRequest};

use super::{actor, purge};
use crate::domain::{CheckIn, TicketDesk, TicketTypeForm};
use crate::views::{self, CheckInPage, TicketPage, TicketView};

fn date_anchor(slug: &str, date_id: i64) -> String {
    format!("{}#date-{date_id}", link_catalog::event(slug).path)
}

pub async fn add_type(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: web::Form<TicketTypeForm>,
) -> Result<HttpResponse, AppError> {
    let (slug, date_id) = path.into_inner();
    let (event, _) = TicketDesk::new(ctx.db())
        .add_type(actor(&user), &slug, date_id, &form)
        .await?;
    purge(&ctx).await;
    Ok(see_other(date_anchor(&event.slug, date_id)).finish())
}

pub async fn edit_type(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    path: web::Path<(String, i64, i64)>,
    form: web::Form<TicketTypeForm>,
) -> Result<HttpResponse, AppError> {
    let (slug, date_id, type_id) = path.into_inner();
    let (event, _) = TicketDesk::new(ctx.db())
        .edit_type(actor(&user), &slug, date_id, type_id, &form)
        .await?;
    purge(&ctx).await;
    Ok(see_other(date_anchor(&event.slug, date_id)).finish())
}

pub async fn end_sales(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    path: web::Path<(String, i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (slug, date_id, type_id) = path.into_inner();
    let event = TicketDesk::new(ctx.db())
        .end_sales(actor(&user), &slug, date_id, type_id)
        .await?;
    Ok(see_other(date_anchor(&event.slug, date_id)).finish())
}

/// A ticket's page. Its address is the credential, so it is never cached or sent on as a
/// referrer, and search engines are asked to leave it alone.
pub async fn show(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    secret: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let admission = TicketDesk::new(ctx.db())
        .ticket(&secret)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such ticket."))?;
    let code = admission.0.secret.clone();
    let view = TicketPage {
        ticket: TicketView::new(&admission),
        qr_svg: shared::infrastructure::qr::svg(&code).map_err(AppError::internal)?,
        code,
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    let mut response = ctx
        .render_page(&page, "ticket.html", context, Vec::new())
        .await?;
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::HeaderName::from_static("x-robots-tag"),
        header::HeaderValue::from_static("noindex"),
    );
    Ok(response)
}

async fn check_in_page(
    ctx: &AppContext,
    page: &PageRequest,
    view: &CheckInPage,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let context = views::page_context(ctx.base_context(), view)?;
    let mut response = ctx
        .render_page(page, "check_in.html", context, Vec::new())
        .await?;
    *response.status_mut() = status;
    Ok(response)
}

pub async fn check_in_form(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let event = crate::domain::Organiser::new(ctx.db())
        .editable(&slug, actor(&user))
        .await?;
    let view = CheckInPage {
        slug: event.slug,
        title: event.title,
        result: None,
        message: None,
    };
    check_in_page(&ctx, &page, &view, StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct CheckInForm {
    #[serde(default)]
    code: String,
}

pub async fn check_in(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    slug: web::Path<String>,
    form: web::Form<CheckInForm>,
) -> Result<HttpResponse, AppError> {
    let (event, outcome) = TicketDesk::new(ctx.db())
        .check_in(actor(&user), &slug, &form.code)
        .await?;
    let (result, message, status) = match outcome {
        CheckIn::Admitted { ticket, seat } => (
            "admitted",
            format!("Welcome: {ticket}, seat {seat}."),
            StatusCode::OK,
        ),
        CheckIn::Already { at, by } => (
            "already",
            format!(
                "Already checked in at {} by {by}.",
                at.with_timezone(&crate::domain::form::zone_of(&event))
                    .format("%H:%M on %e %B %Y")
            ),
            StatusCode::CONFLICT,
        ),
        CheckIn::Void => (
            "void",
            "This ticket was refunded: it is not valid.".to_owned(),
            StatusCode::CONFLICT,
        ),
        CheckIn::Unknown => (
            "unknown",
            "That is not a ticket for this event.".to_owned(),
            StatusCode::NOT_FOUND,
        ),
    };
    let view = CheckInPage {
        slug: event.slug,
        title: event.title,
        result: Some(result),
        message: Some(message),
    };
    check_in_page(&ctx, &page, &view, status).await
}
