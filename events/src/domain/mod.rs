//! The events app's rules, free of HTTP: a service handlers call, and its errors, turned
//! into an [`AppError`] in exactly one place (below).

mod calendar;

pub use calendar::Calendar;

use shared::AppError;

#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    #[error("there is no such event")]
    NoSuchEvent,
    #[error("database pool: {0}")]
    Pool(#[from] diesel_async::pooled_connection::deadpool::PoolError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
}

impl From<EventsError> for AppError {
    fn from(err: EventsError) -> Self {
        match err {
            EventsError::NoSuchEvent => AppError::not_found("There is no such event."),
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
}
