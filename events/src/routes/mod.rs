//! Thin handlers, one file per resource: parse the request, call the domain service,
//! render a view. No queries and no rules here.

mod bookings;
mod calendars;
mod embed;
mod event;
mod feeds;
mod listings;
mod tickets;

use actix_web::web;
use shared::AppName;
use shared::infrastructure::link_catalog;
use shared::infrastructure::sso::CurrentUser;

use crate::domain::Actor;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(listings::upcoming))
        .route("/past", web::get().to(listings::past))
        .route("/month", web::get().to(listings::month))
        .route("/week", web::get().to(listings::week))
        .route("/feed.ics", web::get().to(feeds::all))
        .route("/embed/roseash-events.js", web::get().to(embed::script))
        .route("/embed/events.json", web::get().to(embed::events_json))
        .route("/embed/frame", web::get().to(embed::frame))
        .route("/calendars", web::get().to(calendars::index))
        .route("/calendars", web::post().to(calendars::create))
        .route("/calendars/new", web::get().to(calendars::new))
        .route("/calendars/{slug}", web::get().to(calendars::show))
        .route("/calendars/{slug}", web::post().to(calendars::update))
        .route("/calendars/{slug}/edit", web::get().to(calendars::edit))
        .route("/calendars/{slug}/feed.ics", web::get().to(feeds::calendar))
        .route("/objects/events/{id}", web::get().to(event::object))
        .route(
            "/objects/events/{id}/{revision}",
            web::get().to(event::object),
        )
        .route("/events", web::post().to(event::create))
        .route("/events/new", web::get().to(event::new))
        .route(link_catalog::routes::EVENT, web::get().to(event::show))
        .route(link_catalog::routes::EVENT, web::post().to(event::update))
        .route("/events/{slug}/edit", web::get().to(event::edit))
        .route("/events/{slug}/cancel", web::post().to(event::cancel))
        .route("/events/{slug}/delete", web::post().to(event::delete))
        .route("/events/{slug}/event.ics", web::get().to(feeds::event))
        .route(
            "/events/{slug}/dates/{id}/edit",
            web::get().to(event::edit_date),
        )
        .route(
            "/events/{slug}/dates/{id}",
            web::post().to(event::update_date),
        )
        .route(
            "/events/{slug}/dates/{id}/book",
            web::post().to(bookings::book),
        )
        .route(
            "/events/{slug}/dates/{id}/unbook",
            web::post().to(bookings::cancel),
        )
        .route(
            "/events/{slug}/dates/{id}/guest",
            web::post().to(bookings::guest_request),
        )
        .route(
            "/events/{slug}/dates/{id}/attendees",
            web::get().to(bookings::attendees),
        )
        .route(
            "/events/{slug}/dates/{id}/attendees.csv",
            web::get().to(bookings::attendees_csv),
        )
        .route(
            "/events/{slug}/dates/{id}/bookings/{booking}/approve",
            web::post().to(bookings::approve),
        )
        .route(
            "/events/{slug}/dates/{id}/bookings/{booking}/reject",
            web::post().to(bookings::reject),
        )
        .route(
            "/events/{slug}/dates/{id}/tickets",
            web::post().to(tickets::add_type),
        )
        .route(
            "/events/{slug}/dates/{id}/tickets/{type}",
            web::post().to(tickets::edit_type),
        )
        .route(
            "/events/{slug}/dates/{id}/tickets/{type}/end",
            web::post().to(tickets::end_sales),
        )
        .route(
            "/events/{slug}/check-in",
            web::get().to(tickets::check_in_form),
        )
        .route("/events/{slug}/check-in", web::post().to(tickets::check_in))
        .route("/tickets/{secret}", web::get().to(tickets::show))
        .route("/bookings", web::get().to(bookings::mine))
        .route("/bookings/feed/reset", web::post().to(bookings::reset_feed))
        .route(
            "/bookings/confirm/{token}",
            web::get().to(bookings::guest_confirm_form),
        )
        .route(
            "/bookings/confirm/{token}",
            web::post().to(bookings::guest_confirm),
        )
        .route(
            "/bookings/cancel/{token}",
            web::get().to(bookings::guest_cancel_form),
        )
        .route(
            "/bookings/cancel/{token}",
            web::post().to(bookings::guest_cancel),
        )
        .route("/bookings/{token}/feed.ics", web::get().to(feeds::bookings));
}

fn actor(user: &CurrentUser) -> Actor {
    Actor {
        id: user.id,
        admin: user.is_admin(),
    }
}

/// A change to what the calendar shows: the fragments other apps embed are stale.
async fn purge(ctx: &shared::AppContext) {
    if let Some(state) = ctx.state::<crate::state::EventsState>() {
        state.answers.purge();
        state.months.purge();
    }
    for kind in ["upcoming", "event-card", "calendar-month"] {
        if let Err(e) = ctx.fragments().purge_kind(AppName::Events, kind).await {
            tracing::warn!(error = %e, kind, "could not purge an events fragment");
        }
    }
}

pub use listings::parse_month;
