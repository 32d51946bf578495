//! The market's rules, free of HTTP: the [`Market`] service (what visitors see, who may change
//! what), the product form's parsing, the import extractor, and the errors, turned into an
//! [`AppError`] in exactly one place (below).

pub mod extract;
pub mod federate;
pub mod form;
pub mod html;
pub mod images;
pub mod imports;
pub mod market;
pub mod rehost;
pub mod structured;

pub use market::{Market, ProductPage, StallPage};

use shared::AppError;

#[derive(Debug, thiserror::Error)]
pub enum MarketError {
    #[error("there is no such product")]
    NoSuchProduct,
    #[error("there is no such stall")]
    NoSuchStall,
    #[error("there is no such import")]
    NoSuchImport,
    #[error("there is no such image")]
    NoSuchImage,
    #[error("there is no such variant")]
    NoSuchVariant,
    #[error("only the stall's owners may do that")]
    NotOwner,
    #[error("only administrators may do that")]
    NotAdmin,
    #[error("a checkout holds this product's stock")]
    StockHeld,
    #[error("{0}")]
    Invalid(String),
    #[error("that address is taken: {0}")]
    Taken(String),
    #[error("the page could not be imported: {0}")]
    Import(String),
    #[error("database pool: {0}")]
    Pool(#[from] diesel_async::pooled_connection::deadpool::PoolError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    /// Another app's contract failed (the events calendar a stall links to).
    #[error("{0}")]
    Service(#[from] shared::contracts::protocols::ServiceError),
}

impl From<MarketError> for AppError {
    fn from(err: MarketError) -> Self {
        match err {
            MarketError::NoSuchProduct => AppError::not_found("There is no such product."),
            MarketError::NoSuchStall => AppError::not_found("There is no such stall."),
            MarketError::NoSuchImport => AppError::not_found("There is no such import."),
            MarketError::NoSuchImage => AppError::not_found("There is no such image."),
            MarketError::NoSuchVariant => AppError::not_found("There is no such variant."),
            MarketError::NotOwner => {
                AppError::Forbidden("Only the stall's owners may change it.".into())
            }
            MarketError::NotAdmin => AppError::Forbidden("Only administrators may do that.".into()),
            MarketError::StockHeld => AppError::Conflict(
                "A checkout holds this product's stock; archive it instead.".into(),
            ),
            MarketError::Invalid(why) => AppError::bad_request(why),
            MarketError::Taken(what) => {
                AppError::Conflict(format!("That address is taken: {what}."))
            }
            MarketError::Import(why) => {
                AppError::bad_request(format!("The page could not be imported: {why}."))
            }
            // What a pool or database error means is decided once, in `shared`.
            MarketError::Pool(e) => e.into(),
            MarketError::Db(e) => e.into(),
            MarketError::Service(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;
    use actix_web::http::StatusCode;

    #[test]
    fn errors_map_to_their_statuses() {
        let status = |e| AppError::from(e).status_code();
        assert_eq!(status(MarketError::NoSuchProduct), StatusCode::NOT_FOUND);
        assert_eq!(status(MarketError::NotOwner), StatusCode::FORBIDDEN);
        assert_eq!(status(MarketError::NotAdmin), StatusCode::FORBIDDEN);
        assert_eq!(
            status(MarketError::Invalid("x".into())),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(status(MarketError::Taken("x".into())), StatusCode::CONFLICT);
    }
}
