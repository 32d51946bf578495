//! Sign-in: the password (rate-limited per IP and per login), then the second factor when the
//! member has one on.

use shared::crypto::token_digest;

use super::{Accounts, AccountsError};
use crate::accounts::{passwords, rate_limit, totp};
use crate::db::users;

/// What a right password leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignIn {
    /// Signed in: the member has no second factor.
    Complete { user_id: i64 },
    /// The password was right; the second factor is still to come.
    SecondFactor { user_id: i64 },
}

impl Accounts<'_> {
    /// Checks `password` for `login` (a username or address, already trimmed and lowercased)
    /// from `ip`. One hash verification is spent whether or not the login exists.
    pub async fn sign_in(
        &self,
        ip: &str,
        login: &str,
        password: &str,
    ) -> Result<SignIn, AccountsError> {
        if !rate_limit::allowed(self.redis, ip, login).await? {
            return Err(AccountsError::TooManySignIns);
        }
        let credentials = {
            let mut conn = self.db.get().await?;
            users::credentials_by_login(&mut conn, login).await?
        };
        let ok = passwords::verify(
            password.to_owned(),
            credentials.as_ref().and_then(|c| c.password_hash.clone()),
        )
        .await?;
        let Some(user) = credentials.filter(|c| ok && c.disabled_at.is_none()) else {
            rate_limit::record_failure(self.redis, ip, login).await?;
            return Err(AccountsError::WrongCredentials);
        };
        rate_limit::record_success_from(self.redis, ip, login).await?;
        if user.email_verified_at.is_none() {
            return Err(AccountsError::Unconfirmed);
        }
        Ok(if user.totp_enabled_at.is_some() {
            SignIn::SecondFactor { user_id: user.id }
        } else {
            SignIn::Complete { user_id: user.id }
        })
    }

    /// Checks the second factor of a sign-in whose password was right: a current code from the
    /// authenticator (each works once) or an unused recovery code.
    pub async fn second_factor(
        &self,
        ip: &str,
        user_id: i64,
        code: &str,
    ) -> Result<(), AccountsError> {
        let account = format!("2fa:{user_id}");
        if !rate_limit::allowed(self.redis, ip, &account).await? {
            return Err(AccountsError::TooManyAttempts);
        }
        let credentials = {
            let mut conn = self.db.get().await?;
            users::credentials_by_id(&mut conn, user_id).await?
        };
        let Some(secret) =
            credentials.and_then(|c| c.totp_secret.filter(|_| c.totp_enabled_at.is_some()))
        else {
            return Err(AccountsError::NoSecondFactor);
        };
        let code = normalise_code(code);
        let accepted = match totp::verify(&secret, &code, chrono::Utc::now().timestamp()) {
            // A code works once, even within its 30 seconds.
            Some(step) => self.code_unused(user_id, step).await?,
            None => {
                let mut conn = self.db.get().await?;
                users::use_recovery_code(&mut conn, user_id, &token_digest(&code.to_uppercase()))
                    .await?
            }
        };
        if !accepted {
            rate_limit::record_failure(self.redis, ip, &account).await?;
            return Err(AccountsError::WrongCode);
        }
        rate_limit::record_success_from(self.redis, ip, &account).await?;
        Ok(())
    }

    /// Marks a TOTP step as used; false when it already was (a code works once).
    pub(super) async fn code_unused(&self, user_id: i64, step: u64) -> Result<bool, AccountsError> {
        let mut conn = self.redis.conn();
        let fresh: Option<String> = redis::cmd("SET")
            .arg(self.redis.key(format!("totp-used:{user_id}:{step}")))
            .arg(1)
            .arg("NX")
            .arg("EX")
            .arg(120)
            .query_async(&mut conn)
            .await?;
        Ok(fresh.is_some())
    }
}

/// A code as typed: spaces and dashes are for reading only.
pub(super) fn normalise_code(code: &str) -> String {
    code.trim().replace([' ', '-'], "")
}
