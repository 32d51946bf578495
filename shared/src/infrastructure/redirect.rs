//! The one way to answer a form post or send a browser elsewhere: `303 See Other`.
//!
//! A 303 makes the browser follow with a GET whatever the method was, so a reload never
//! re-posts a form. Callers add cookies or headers to the builder, then `.finish()`.

use actix_web::http::header;
use actix_web::{HttpResponse, HttpResponseBuilder};

/// A `303 See Other` to `location` (a path on this app or an absolute URL the caller built).
pub fn see_other(location: impl Into<String>) -> HttpResponseBuilder {
    let mut res = HttpResponse::SeeOther();
    res.insert_header((header::LOCATION, location.into()));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_the_status_and_location() {
        let res = see_other("/after?x=1").finish();
        assert_eq!(res.status(), actix_web::http::StatusCode::SEE_OTHER);
        assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/after?x=1");
    }
}
