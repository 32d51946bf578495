//! The second factor (TOTP): setting it up, and switching it off. Either needs the member to
//! prove it is them again (their password, or a current code), so a stolen session alone can
//! neither replace nor remove it.

use std::time::Duration;

use shared::crypto::token_digest;
use shared::db::AsyncConnection;

use super::sign_in::normalise_code;
use super::{Accounts, AccountsError};
use crate::accounts::{passwords, rate_limit, totp};
use crate::db::users;

/// Recovery codes made when the second factor is switched on.
pub const RECOVERY_CODES: usize = 10;
/// How long a started enrolment waits for its confirming code.
const TOTP_PENDING_TTL: Duration = Duration::from_secs(15 * 60);

/// A started enrolment, waiting for its first code.
#[derive(Debug)]
pub struct Enrolment {
    /// Base32, for typing into an authenticator.
    pub secret: String,
}

impl Accounts<'_> {
    /// Whether the member has the second factor on.
    pub async fn second_factor_on(&self, user_id: i64) -> Result<bool, AccountsError> {
        let mut conn = self.db.get().await?;
        let credentials = users::credentials_by_id(&mut conn, user_id)
            .await?
            .ok_or(AccountsError::NotSignedIn)?;
        Ok(credentials.totp_enabled_at.is_some())
    }

    /// Checks what a member typed to prove it is them (their password, or a current code from
    /// the authenticator they have on); rate-limited like sign-in, so a stolen session cannot
    /// guess the password here.
    pub(super) async fn reauthenticate(
        &self,
        ip: &str,
        user_id: i64,
        password: &str,
        code: &str,
    ) -> Result<(), AccountsError> {
        if password.is_empty() && code.trim().is_empty() {
            return Err(AccountsError::ReauthNeeded);
        }
        let account = format!("reauth:{user_id}");
        if !rate_limit::allowed(self.redis, ip, &account).await? {
            return Err(AccountsError::TooManyAttempts);
        }
        let credentials = {
            let mut conn = self.db.get().await?;
            users::credentials_by_id(&mut conn, user_id).await?
        }
        .ok_or(AccountsError::NotSignedIn)?;
        let code = normalise_code(code);
        let proven = if !code.is_empty() {
            match credentials
                .totp_secret
                .as_deref()
                .filter(|_| credentials.totp_enabled_at.is_some())
                .and_then(|secret| totp::verify(secret, &code, chrono::Utc::now().timestamp()))
            {
                Some(step) => self.code_unused(user_id, step).await?,
                None => false,
            }
        } else {
            passwords::verify(password.to_owned(), credentials.password_hash).await?
        };
        if !proven {
            return Err(AccountsError::NotProven);
        }
        rate_limit::record_success_from(self.redis, ip, &account).await?;
        Ok(())
    }

    /// The enrolment a session started (bound to that session, `session` being its digest:
    /// confirming needs the session that proved the password). The enabled factor stays as it
    /// is until the new one is confirmed.
    fn pending_key(&self, user_id: i64, session: &str) -> String {
        self.redis.key(format!("totp-pending:{user_id}:{session}"))
    }

    /// Starts setting up an authenticator, after the member proved it is them.
    pub async fn start_totp(
        &self,
        ip: &str,
        user_id: i64,
        session: &str,
        password: &str,
        code: &str,
    ) -> Result<Enrolment, AccountsError> {
        self.reauthenticate(ip, user_id, password, code).await?;
        let secret = totp::new_secret()?;
        let mut conn = self.redis.conn();
        redis::cmd("SET")
            .arg(self.pending_key(user_id, session))
            .arg(&secret)
            .arg("EX")
            .arg(TOTP_PENDING_TTL.as_secs())
            .query_async::<()>(&mut conn)
            .await?;
        Ok(Enrolment { secret })
    }

    /// Switches the second factor on with the enrolment `session` started, once `code` shows
    /// the authenticator has it. Returns the new recovery codes (shown once; stored hashed).
    pub async fn confirm_totp(
        &self,
        user_id: i64,
        session: &str,
        code: &str,
    ) -> Result<Vec<String>, AccountsError> {
        let key = self.pending_key(user_id, session);
        let secret: Option<String> = {
            let mut conn = self.redis.conn();
            redis::cmd("GET").arg(&key).query_async(&mut conn).await?
        };
        let secret = secret.ok_or(AccountsError::NoPendingTotp)?;
        if totp::verify(&secret, code, chrono::Utc::now().timestamp()).is_none() {
            return Err(AccountsError::WrongTotpCode);
        }
        let codes = (0..RECOVERY_CODES)
            .map(|_| shared::crypto::random_bytes::<6>().map(|b| totp::base32_encode(&b)))
            .collect::<Result<Vec<String>, _>>()?;
        let hashes: Vec<String> = codes.iter().map(|c| token_digest(c)).collect();
        {
            let mut conn = self.db.get().await?;
            conn.transaction(async |conn| {
                users::set_totp(conn, user_id, Some(&secret), true).await?;
                users::replace_recovery_codes(conn, user_id, &hashes).await?;
                Ok::<_, AccountsError>(())
            })
            .await?;
        }
        let mut conn = self.redis.conn();
        redis::cmd("DEL")
            .arg(&key)
            .query_async::<()>(&mut conn)
            .await?;
        Ok(codes)
    }

    /// Switches the second factor off (and voids the recovery codes), after the member proved
    /// it is them.
    pub async fn disable_totp(
        &self,
        ip: &str,
        user_id: i64,
        password: &str,
        code: &str,
    ) -> Result<(), AccountsError> {
        self.reauthenticate(ip, user_id, password, code).await?;
        let mut conn = self.db.get().await?;
        conn.transaction(async |conn| {
            users::set_totp(conn, user_id, None, false).await?;
            users::replace_recovery_codes(conn, user_id, &[]).await?;
            Ok::<_, AccountsError>(())
        })
        .await
    }
}
