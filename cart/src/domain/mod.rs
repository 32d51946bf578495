//! The cart's rules, knowing nothing of HTTP: lines and their flags ([`lines`]), checkout
//! into an order ([`checkout`]), what SumUp's answers do to an order ([`payments`]), and the
//! order's states ([`state`]). Their one error type is [`CartError`], mapped to HTTP here.

pub mod checkout;
pub mod lines;
pub mod payments;
pub mod state;

use shared::AppError;
use shared::contracts::protocols::ServiceError;

use crate::sumup::SumUpError;

#[derive(Debug, thiserror::Error)]
pub enum CartError {
    #[error("There is no such product.")]
    NoSuchItem,
    #[error("This product comes in several kinds: choose one on its page.")]
    ChooseVariant,
    #[error("{0} is sold out.")]
    SoldOut(String),
    #[error("Only {left} of {title} left.")]
    NotEnough { title: String, left: i32 },
    #[error("Your cart is priced in {0}; one cart holds one currency.")]
    OtherCurrency(String),
    #[error("Quantity must be between {min} and 99.")]
    Quantity { min: i32 },
    #[error("Your cart is full.")]
    TooManyLines,
    #[error("Your cart is in checkout: pay for the order or cancel it to change the cart.")]
    Frozen,
    #[error("That item is not in your cart.")]
    NotInCart,
    #[error("Your cart is empty.")]
    Empty,
    #[error("Some lines of your cart changed: review them before checking out.")]
    Flagged,
    #[error("{0}")]
    Invalid(String),
    #[error("There is no such order.")]
    NoSuchOrder,
    #[error("An order that is {0} cannot be {1}.")]
    NotAllowed(&'static str, &'static str),
    #[error("Payments are not set up on this site yet.")]
    PaymentsClosed,
    #[error("payment provider: {0}")]
    SumUp(#[from] SumUpError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(#[from] diesel_async::pooled_connection::deadpool::PoolError),
    #[error("service: {0}")]
    Service(#[from] ServiceError),
    #[error("job queue: {0}")]
    Enqueue(#[from] shared::jobs::EnqueueError),
    #[error("crypto: {0}")]
    Crypto(String),
}

impl From<CartError> for AppError {
    fn from(e: CartError) -> Self {
        let message = e.to_string();
        match e {
            CartError::NoSuchItem
            | CartError::ChooseVariant
            | CartError::Quantity { .. }
            | CartError::Empty
            | CartError::Invalid(_) => AppError::BadRequest(message),
            CartError::SoldOut(_)
            | CartError::NotEnough { .. }
            | CartError::OtherCurrency(_)
            | CartError::TooManyLines
            | CartError::Frozen
            | CartError::Flagged
            | CartError::NotAllowed(..) => AppError::Conflict(message),
            CartError::NotInCart | CartError::NoSuchOrder => AppError::NotFound(message),
            CartError::PaymentsClosed => AppError::Unavailable(message),
            CartError::SumUp(e) => {
                AppError::Unavailable(format!("The payment provider did not answer: {e}"))
            }
            CartError::Service(ServiceError::NotFound) => {
                AppError::BadRequest("There is no such product.".into())
            }
            CartError::Service(ServiceError::Invalid(m)) => AppError::BadRequest(m),
            CartError::Service(ServiceError::Conflict(m)) => AppError::Conflict(m),
            CartError::Service(ServiceError::Unavailable(m)) => AppError::Unavailable(m),
            CartError::Pool(e) => AppError::Unavailable(e.to_string()),
            other => AppError::internal(other),
        }
    }
}
