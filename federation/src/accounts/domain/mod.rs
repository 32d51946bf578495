//! The accounts rules, free of HTTP: [`Accounts`] over its explicit dependencies (the pool and
//! Redis; ending sign-on sessions and purging menus take theirs as arguments), and
//! [`AccountsError`], turned into an [`AppError`] in exactly one place (below).
//!
//! No user enumeration: sign-up, sign-in and reset answer the same whether or not an address
//! has an account (sign-in spends one hash verification either way; sign-up and reset look the
//! address up in a job, after the answer). Usernames are public (profiles live at `/@name`), so
//! a taken one may be said.

mod deletion;
mod password;
mod profile;
mod second_factor;
mod sign_in;
mod sign_up;

pub use profile::ProfileChange;
pub use second_factor::{Enrolment, RECOVERY_CODES};
pub use sign_in::SignIn;
pub use sign_up::{Confirmation, NewAccount};

use shared::AppError;
use shared::db::DbPool;
use shared::infrastructure::redis::Redis;

use super::passwords::PasswordError;

/// The accounts service. Each method takes a connection for its own statements and hands it
/// back before the caller renders.
pub struct Accounts<'a> {
    db: &'a DbPool,
    redis: &'a Redis,
}

impl<'a> Accounts<'a> {
    pub fn new(db: &'a DbPool, redis: &'a Redis) -> Self {
        Accounts { db, redis }
    }
}

/// Why an accounts rule said no, or could not be applied. The refusals carry the sentence the
/// member reads; pages that re-render their form show it with the form's status
/// (`routes::form_status`), anything else becomes an [`AppError`] below.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// Sign-up input that does not fit (each sentence one problem).
    #[error("{}", .0.join(" "))]
    Invalid(Vec<&'static str>),
    #[error("Too many sign-ups from here or for this address. Please wait 15 minutes.")]
    TooManySignUps,
    #[error(
        "Too many sign-in attempts. Please wait 15 minutes and try again, or reset your password."
    )]
    TooManySignIns,
    #[error("Too many attempts. Please wait 15 minutes.")]
    TooManyAttempts,
    #[error("Wrong username, e-mail or password.")]
    WrongCredentials,
    #[error("Please confirm your e-mail address first: use the link we sent when you signed up.")]
    Unconfirmed,
    #[error("That code is not right. Try the current code from your app, or a recovery code.")]
    WrongCode,
    /// A second-factor step with no second factor to check (the pending sign-in is stale).
    #[error("there is no second factor to check")]
    NoSecondFactor,
    #[error(
        "This confirmation link has expired (links work for 24 hours). Sign up again to get a new one."
    )]
    UnknownConfirmationLink,
    #[error("That does not look like an e-mail address.")]
    InvalidEmail,
    #[error("This reset link has expired or was already used. Ask for a new one.")]
    ResetLinkInvalid,
    /// A new password the policy refuses (the policy's sentence).
    #[error("{0}")]
    WeakPassword(&'static str),
    #[error("Your current password is not right.")]
    WrongPassword,
    /// The signed-in member's row is gone.
    #[error("no such member")]
    NotSignedIn,
    #[error("Your name must be 1 to 80 characters.")]
    BadDisplayName,
    #[error("Your bio must be at most 500 characters.")]
    BioTooLong,
    #[error("The picture must be an https:// address.")]
    BadAvatar,
    #[error("Type your password (or a code from your authenticator) to do this.")]
    ReauthNeeded,
    #[error("Your password (or the code) is not right.")]
    NotProven,
    #[error("Type your username exactly as shown to confirm.")]
    WrongConfirmation,
    #[error("Start setting up the authenticator first (with your password).")]
    NoPendingTotp,
    #[error("That code is not right. Check your authenticator app's clock and try again.")]
    WrongTotpCode,
    /// Every password hasher is busy: a 503 with `Retry-After` (see `passwords`).
    #[error("every password hasher is busy")]
    Busy,
    #[error(transparent)]
    Hashing(PasswordError),
    #[error("database pool: {0}")]
    Pool(#[from] diesel_async::pooled_connection::deadpool::PoolError),
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error(transparent)]
    Crypto(#[from] shared::crypto::CryptoError),
    #[error("could not queue a job: {0}")]
    Enqueue(#[from] shared::jobs::EnqueueError),
    #[error("confirmation record: {0}")]
    Json(#[from] serde_json::Error),
    /// From the sign-on machinery this service calls (ending sessions).
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<PasswordError> for AccountsError {
    fn from(err: PasswordError) -> Self {
        match err {
            PasswordError::Busy => AccountsError::Busy,
            other => AccountsError::Hashing(other),
        }
    }
}

impl From<AccountsError> for AppError {
    fn from(err: AccountsError) -> Self {
        use AccountsError as E;
        match err {
            // Refusals a form re-renders; elsewhere, a 400 that says what is wrong.
            e @ (E::Invalid(_)
            | E::TooManySignUps
            | E::TooManySignIns
            | E::WrongCredentials
            | E::Unconfirmed
            | E::WrongCode
            | E::WeakPassword(_)
            | E::WrongPassword
            | E::UnknownConfirmationLink
            | E::InvalidEmail
            | E::ResetLinkInvalid
            | E::BadDisplayName
            | E::BioTooLong
            | E::BadAvatar
            | E::NoPendingTotp
            | E::WrongConfirmation
            | E::WrongTotpCode) => AppError::bad_request(e.to_string()),
            // Proving it is you again before touching the second factor.
            e @ (E::ReauthNeeded | E::NotProven | E::TooManyAttempts) => {
                AppError::Forbidden(e.to_string())
            }
            E::NotSignedIn | E::NoSecondFactor => AppError::Unauthorized,
            E::Busy => AppError::Unavailable(E::Busy.to_string()),
            E::Hashing(e) => AppError::internal(e),
            E::Enqueue(e) => AppError::internal(e),
            E::Json(e) => AppError::internal(e),
            // What a pool, database, Redis or RNG failure means is decided once, in `shared`.
            E::Pool(e) => e.into(),
            E::Db(e) => e.into(),
            E::Redis(e) => e.into(),
            E::Crypto(e) => e.into(),
            E::App(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::ResponseError;
    use actix_web::http::StatusCode;

    #[test]
    fn refusals_say_what_is_wrong_with_the_status_they_had() {
        let status = |e: AccountsError| AppError::from(e).status_code();
        assert_eq!(
            status(AccountsError::ResetLinkInvalid),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(status(AccountsError::NotProven), StatusCode::FORBIDDEN);
        assert_eq!(
            status(AccountsError::TooManyAttempts),
            StatusCode::FORBIDDEN
        );
        assert_eq!(status(AccountsError::NotSignedIn), StatusCode::UNAUTHORIZED);
        assert_eq!(
            AppError::from(AccountsError::BadAvatar).to_string(),
            "The picture must be an https:// address."
        );
    }

    #[test]
    fn a_missing_row_is_mapped_as_shared_maps_it() {
        let ours = AppError::from(AccountsError::Db(diesel::result::Error::NotFound));
        let shared = AppError::from(diesel::result::Error::NotFound);
        assert_eq!(ours.status_code(), shared.status_code());
        assert_eq!(ours.to_string(), shared.to_string());
    }
}
