//! `/events/…`: an event's page (a former slug answers 301); organisers create, edit, cancel
//! and delete events and edit single dates of a series.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use shared::activitypub::wants_activity_json;
use shared::infrastructure::activitypub_web::object_response;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::slug::moved_permanently;
use shared::infrastructure::sso::CurrentUser;
use shared::infrastructure::{fragment_catalog, link_catalog};
use shared::{AppContext, AppError, AppName, PageRequest};

use super::{actor, purge};
use crate::domain::federate;
use crate::domain::form::{DateForm, EventForm};
use crate::domain::{Calendar, EventsError, Organiser};
use crate::views::{
    self, CalendarRef, DateFormPage, EventFormPage, EventPage, EventView, FeedLinks,
};

fn event_path(slug: &str) -> String {
    link_catalog::event(slug).path
}

pub async fn show(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
    page: PageRequest,
    user: Option<CurrentUser>,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    // A fediverse server looking the page up (Mastodon's search) is sent to the object.
    if wants_activity_json(accept(&req)) {
        return match federate::object_of_page(ctx.db(), ctx.config(), &slug).await? {
            Some(object_id) => Ok(see_other(object_id)
                .insert_header((header::VARY, "Accept"))
                .finish()),
            None => Err(AppError::not_found("This is not an ActivityPub object.")),
        };
    }
    let now = Utc::now();
    let data = match Calendar::new(ctx.db())
        .event(&slug, user.as_ref().map(actor), now)
        .await
    {
        Err(EventsError::Moved(to)) => return Ok(moved_permanently(&event_path(&to))),
        other => other?,
    };
    let feed = FeedLinks::new(ctx.url(
        AppName::Events,
        &format!("{}/event.ics", event_path(&data.event.slug)),
    ));
    let add_to_cart = link_catalog::add_to_cart().url(&ctx);
    let view = EventPage::new(&data, user.is_some(), feed, add_to_cart, now);
    let context = views::page_context(ctx.base_context(), &view)?;
    // The market's stalls whose market days are this event's calendar (nothing when none).
    let fragments = match &data.calendar {
        Some(calendar) => vec![(
            "stalls",
            fragment_catalog::stalls_of_calendar(&calendar.slug),
        )],
        None => Vec::new(),
    };
    ctx.render_page(&page, "event.html", context, fragments)
        .await
}

#[derive(serde::Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    calendar: String,
}

async fn form_page(
    ctx: &AppContext,
    page: &PageRequest,
    user: &CurrentUser,
    heading: &str,
    action: String,
    form: &EventForm,
    editing: bool,
) -> Result<HttpResponse, AppError> {
    let calendars = Organiser::new(ctx.db()).my_calendars(actor(user)).await?;
    if calendars.is_empty() {
        return Err(EventsError::NotOrganiser.into());
    }
    let view = EventFormPage {
        heading,
        action,
        form,
        calendars: calendars.iter().map(CalendarRef::from).collect(),
        editing,
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(page, "event_form.html", context, Vec::new())
        .await
}

pub async fn new(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let form = EventForm {
        calendar: query.calendar.clone(),
        time_zone: "Europe/London".into(),
        start_time: "10:00".into(),
        end_time: "12:00".into(),
        ..EventForm::default()
    };
    form_page(
        &ctx,
        &page,
        &user,
        "New event",
        "/events".into(),
        &form,
        false,
    )
    .await
}

pub async fn create(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    form: web::Form<EventForm>,
) -> Result<HttpResponse, AppError> {
    let event = Organiser::new(ctx.db())
        .create(actor(&user), &form, ctx.config())
        .await?;
    purge(&ctx).await;
    Ok(see_other(event_path(&event.slug)).finish())
}

pub async fn edit(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let organiser = Organiser::new(ctx.db());
    let event = organiser.editable(&slug, actor(&user)).await?;
    let calendars = organiser.my_calendars(actor(&user)).await?;
    let calendar_slug = calendars
        .iter()
        .find(|c| c.id == event.calendar_id)
        .map(|c| c.slug.clone())
        .unwrap_or_default();
    let form = views::event_form(&event, &calendar_slug);
    form_page(
        &ctx,
        &page,
        &user,
        "Edit the event",
        event_path(&event.slug),
        &form,
        true,
    )
    .await
}

pub async fn update(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    slug: web::Path<String>,
    form: web::Form<EventForm>,
) -> Result<HttpResponse, AppError> {
    let event = Organiser::new(ctx.db())
        .update(actor(&user), &slug, &form, ctx.config())
        .await?;
    purge(&ctx).await;
    Ok(see_other(event_path(&event.slug)).finish())
}

pub async fn cancel(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let event = Organiser::new(ctx.db())
        .cancel(actor(&user), &slug, ctx.config())
        .await?;
    purge(&ctx).await;
    Ok(see_other(event_path(&event.slug)).finish())
}

pub async fn delete(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Organiser::new(ctx.db())
        .delete(actor(&user), &slug, ctx.config())
        .await?;
    purge(&ctx).await;
    Ok(see_other("/").finish())
}

pub async fn edit_date(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let (event, date) = Organiser::new(ctx.db())
        .editable_date(&slug, id, actor(&user))
        .await?;
    let form = views::date_form(&event, &date);
    let view = DateFormPage {
        event: EventView::new(&event),
        action: format!("{}/dates/{id}", event_path(&event.slug)),
        form: &form,
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "date_form.html", context, Vec::new())
        .await
}

pub async fn update_date(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    path: web::Path<(String, i64)>,
    form: web::Form<DateForm>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let (event, _) = Organiser::new(ctx.db())
        .edit_date(actor(&user), &slug, id, &form, ctx.config())
        .await?;
    purge(&ctx).await;
    Ok(see_other(event_path(&event.slug)).finish())
}

/// `/objects/events/{id}[/{revision}]`: a public event as ActivityPub sees it under the id it
/// was last published with (a browser is sent to the page); ids deleted answer 410 with a
/// Tombstone.
pub async fn object(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id: i64 = req
        .match_info()
        .get("id")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| AppError::not_found("There is no such event."))?;
    let requested = ctx.url(AppName::Events, req.path());
    let published = federate::published(ctx.db(), ctx.config(), id, &requested).await?;
    object_response(&req, published, event_path, "There is no such event.")
}

fn accept(req: &HttpRequest) -> &str {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}
