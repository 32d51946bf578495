//! The events app's rules, free of HTTP: the read side ([`Calendar`]: listings, months, weeks,
//! event pages), the write side ([`Organiser`]: calendars, events, series, single dates, with
//! who may do what), bookings, the iCal feeds and their text, recurrence, and the errors,
//! turned into an [`AppError`] in exactly one place (below).

mod bookings;
mod calendar;
pub mod cancellations;
pub mod federate;
pub mod feed;
pub mod form;
mod guest_cancel;
pub mod ical;
mod organise;
pub mod recurrence;
pub mod series;
mod tickets;

pub use bookings::{
    Attendee, BookingDesk, FeedSigner, GUEST_REQUESTS_PER_IP, GUEST_WINDOW, GuestForm, Placed,
    attendees_csv, describe as bookings_describe, give_back_hint, guest_ip_key, withdraw_member,
};
pub use calendar::{
    Calendar, DayCell, EventPage, Listed, Listing, MonthGrid, PAGE_SIZE, WIDGET_SIZE,
};
pub use guest_cancel::cancel_token;
pub use organise::Organiser;
pub use tickets::{CheckIn, TicketDesk, TicketTypeForm};

use shared::AppError;

/// Who is asking: a signed-in member and whether they run the site.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub id: i64,
    pub admin: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    #[error("there is no such event")]
    NoSuchEvent,
    #[error("there is no such calendar")]
    NoSuchCalendar,
    #[error("there is no such date")]
    NoSuchDate,
    /// The event lives at another slug now.
    #[error("the event moved to {0}")]
    Moved(String),
    #[error("only the calendar's organisers may do that")]
    NotOrganiser,
    #[error("only administrators may do that")]
    NotAdmin,
    #[error("{0}")]
    Invalid(String),
    #[error("that address is taken: {0}")]
    Taken(String),
    #[error("every place is taken")]
    Full,
    #[error("this date is not open for booking")]
    NotOpen,
    #[error("there is no such booking")]
    NoSuchBooking,
    #[error("too many booking requests for that address")]
    TooMany,
    #[error("too many booking requests from this network")]
    TooManyFromHere,
    #[error("unknown confirmation link")]
    LinkInvalid,
    #[error("the confirmation link has been used")]
    LinkUsed,
    #[error("the confirmation link has expired")]
    LinkExpired,
    #[error("there is no such ticket type")]
    NoSuchTicketType,
    #[error("{0} tickets are sold or held")]
    BelowSold(i32),
    #[error("the booking is cancelled already")]
    AlreadyCancelled,
    #[error("the date has begun")]
    Begun,
    #[error("crypto: {0}")]
    Crypto(#[from] shared::crypto::CryptoError),
    #[error("job queue: {0}")]
    Enqueue(#[from] shared::jobs::EnqueueError),
    #[error("database pool: {0}")]
    Pool(#[from] diesel_async::pooled_connection::deadpool::PoolError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
}

/// Unique-slug clashes and broken rules are the user's to fix; other database errors stay.
pub(crate) fn user_fixable(what: &str) -> impl Fn(diesel::result::Error) -> EventsError + '_ {
    use diesel::result::{DatabaseErrorKind, Error};
    move |e| match e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
            EventsError::Taken(what.to_owned())
        }
        Error::DatabaseError(DatabaseErrorKind::CheckViolation, info) => {
            EventsError::Invalid(format!(
                "That breaks a rule ({}).",
                info.constraint_name().unwrap_or("check")
            ))
        }
        other => EventsError::Db(other),
    }
}

impl From<EventsError> for AppError {
    fn from(err: EventsError) -> Self {
        match err {
            EventsError::NoSuchEvent => AppError::not_found("There is no such event."),
            EventsError::NoSuchCalendar => AppError::not_found("There is no such calendar."),
            EventsError::NoSuchDate => AppError::not_found("There is no such date."),
            // Handlers answer a move with a 301 before it gets here.
            EventsError::Moved(_) => AppError::not_found("There is no such event."),
            EventsError::NotOrganiser => {
                AppError::Forbidden("Only the calendar's organisers may change its events.".into())
            }
            EventsError::NotAdmin => AppError::Forbidden("Only administrators may do that.".into()),
            EventsError::Invalid(why) => AppError::bad_request(why),
            EventsError::Taken(what) => {
                AppError::Conflict(format!("That address is taken: {what}."))
            }
            EventsError::Full => AppError::Conflict("Every place is taken.".into()),
            EventsError::NotOpen => AppError::Conflict("This date is not open for booking.".into()),
            EventsError::NoSuchBooking => AppError::not_found("There is no such booking."),
            EventsError::TooMany => AppError::TooManyRequests(
                "Too many booking requests for that address: please try again later.".into(),
            ),
            EventsError::TooManyFromHere => AppError::TooManyRequests(
                "Too many booking requests from your network: please try again later.".into(),
            ),
            EventsError::LinkInvalid => AppError::not_found("This link is not valid."),
            // The guests' link routes answer these with 410 Gone (see `routes::bookings`).
            EventsError::LinkUsed => AppError::Conflict("This link has already been used.".into()),
            EventsError::LinkExpired => {
                AppError::Conflict("This link has expired: book again for a new one.".into())
            }
            EventsError::NoSuchTicketType => AppError::not_found("There is no such ticket type."),
            EventsError::BelowSold(n) => AppError::Conflict(format!(
                "{n} tickets of this type are sold or held in checkouts: the quantity cannot be \
                 less than that."
            )),
            EventsError::AlreadyCancelled => {
                AppError::Conflict("This booking is cancelled already.".into())
            }
            EventsError::Begun => AppError::Conflict(
                "This date has begun: the booking can no longer be cancelled.".into(),
            ),
            EventsError::Crypto(e) => AppError::Internal(e.to_string()),
            EventsError::Enqueue(e) => AppError::Internal(e.to_string()),
            // What a pool or database error means is decided once, in `shared`.
            EventsError::Pool(e) => e.into(),
            EventsError::Db(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;
    use actix_web::http::StatusCode;

    #[test]
    fn a_missing_event_is_a_404_that_says_so() {
        let err = AppError::from(EventsError::NoSuchEvent);
        assert_eq!(err.status_code(), StatusCode::NOT_FOUND);
        assert_eq!(
            err.to_string(),
            AppError::not_found("There is no such event.").to_string()
        );
    }

    #[test]
    fn a_missing_row_is_mapped_as_shared_maps_it() {
        let ours = AppError::from(EventsError::Db(diesel::result::Error::NotFound));
        let shared = AppError::from(diesel::result::Error::NotFound);
        assert_eq!(ours.status_code(), shared.status_code());
        assert_eq!(ours.to_string(), shared.to_string());
    }

    #[test]
    fn errors_map_to_their_statuses() {
        let status = |e| AppError::from(e).status_code();
        assert_eq!(status(EventsError::NotOrganiser), StatusCode::FORBIDDEN);
        assert_eq!(status(EventsError::NotAdmin), StatusCode::FORBIDDEN);
        assert_eq!(
            status(EventsError::Invalid("x".into())),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(status(EventsError::Full), StatusCode::CONFLICT);
    }
}
