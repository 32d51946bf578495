//! Passwords: the reset by mail (a link that works once, for an hour) and the change while
//! signed in. Either ends the member's other sign-on sessions: whoever knew the old password
//! is signed out.

use std::time::Duration;

use shared::crypto::{random_token, token_digest};
use shared::db::AsyncConnection;
use shared::infrastructure::mail::SendMail;
use shared::models::users::{self as user_rows, User};

use super::{Accounts, AccountsError};
use crate::accounts::sign_ons::SignOns;
use crate::accounts::{passwords, rate_limit};
use crate::db::users;
use crate::jobs::SendPasswordReset;

/// How long a reset link works.
pub const RESET_TTL: Duration = Duration::from_secs(3600);

impl Accounts<'_> {
    /// A reset asked for `email` from `ip`: queues [`SendPasswordReset`] unless rate-limited.
    /// The same outcome whether or not the address has an account, or the limit was reached.
    pub async fn request_reset(&self, ip: &str, email: &str) -> Result<(), AccountsError> {
        if !shared::contracts::email::is_valid(email) {
            return Err(AccountsError::InvalidEmail);
        }
        let account = format!("reset:{}", email.to_lowercase());
        if rate_limit::allowed(self.redis, ip, &account).await? {
            // Looking the address up, and the mail, come after the answer.
            let mut conn = self.db.get().await?;
            shared::jobs::enqueue(
                &mut conn,
                &SendPasswordReset {
                    email: email.to_owned(),
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Mails a reset link to `email` if it has an account (the [`SendPasswordReset`] job).
    /// `link_base` is federation's public URL, ending in `/`.
    pub async fn send_reset(&self, email: &str, link_base: &str) -> Result<(), AccountsError> {
        let mut conn = self.db.get().await?;
        let Some(user) = users::by_email(&mut conn, email).await? else {
            return Ok(());
        };
        let token = random_token()?;
        let expires =
            chrono::Utc::now() + chrono::Duration::from_std(RESET_TTL).unwrap_or_default();
        let body = format!(
            "Someone (hopefully you) asked to reset the password of your Rose Ash account ({}).\n\n\
             Choose a new password here:\n\n{link_base}password/reset/{token}\n\nThe link works once, for one hour. If you did not ask, ignore this message.",
            user.username
        );
        let mail = SendMail {
            to: user.email.clone(),
            subject: "Reset your Rose Ash password".to_owned(),
            body,
        };
        // The link exists only if its mail is queued, and the other way round.
        conn.transaction(async |conn| {
            users::create_password_reset(conn, user.id, &token_digest(&token), expires).await?;
            shared::jobs::enqueue(conn, &mail).await?;
            Ok::<_, AccountsError>(())
        })
        .await
    }

    /// Whether `token` is a reset link that still works (changing nothing).
    pub async fn check_reset_link(&self, token: &str) -> Result<(), AccountsError> {
        let mut conn = self.db.get().await?;
        users::password_reset_user(&mut conn, &token_digest(token))
            .await?
            .map(drop)
            .ok_or(AccountsError::ResetLinkInvalid)
    }

    /// Sets a new password through reset link `token` (used up by it), confirms the address
    /// (following the link proved it) and ends every sign-on session of the member.
    pub async fn reset_password(
        &self,
        sign_ons: &SignOns<'_>,
        token: &str,
        password: &str,
    ) -> Result<(), AccountsError> {
        let digest = token_digest(token);
        let owner: Option<User> = {
            let mut conn = self.db.get().await?;
            match users::password_reset_user(&mut conn, &digest).await? {
                Some(id) => user_rows::by_id(&mut conn, id).await?,
                None => None,
            }
        };
        let user = owner.ok_or(AccountsError::ResetLinkInvalid)?;
        if let Some(problem) = passwords::policy_problem(password, &user.username, &user.email) {
            return Err(AccountsError::WeakPassword(problem));
        }
        let hash = passwords::hash(password.to_owned()).await?;
        {
            let mut conn = self.db.get().await?;
            conn.transaction(async |conn| {
                // Single use: only the request that takes the token sets the password.
                if users::take_password_reset(conn, &digest).await? != Some(user.id) {
                    return Err(AccountsError::ResetLinkInvalid);
                }
                users::set_password_hash(conn, user.id, &hash).await?;
                users::mark_email_verified(conn, user.id).await?;
                Ok(())
            })
            .await?;
        }
        // Whoever knew the old password is signed out everywhere, this browser included.
        sign_ons.end_all_except(user.id, None).await?;
        Ok(())
    }

    /// Changes a signed-in member's password after checking the current one; every other
    /// sign-on session ends, `keep` (the one that made the change) goes on.
    pub async fn change_password(
        &self,
        sign_ons: &SignOns<'_>,
        user_id: i64,
        username: &str,
        current: &str,
        new: &str,
        keep: Option<&str>,
    ) -> Result<(), AccountsError> {
        let credentials = {
            let mut conn = self.db.get().await?;
            users::credentials_by_id(&mut conn, user_id)
                .await?
                .ok_or(AccountsError::NotSignedIn)?
        };
        if !passwords::verify(current.to_owned(), credentials.password_hash.clone()).await? {
            return Err(AccountsError::WrongPassword);
        }
        if let Some(problem) = passwords::policy_problem(new, username, &credentials.email) {
            return Err(AccountsError::WeakPassword(problem));
        }
        let hash = passwords::hash(new.to_owned()).await?;
        {
            let mut conn = self.db.get().await?;
            users::set_password_hash(&mut conn, user_id, &hash).await?;
        }
        sign_ons.end_all_except(user_id, keep).await?;
        Ok(())
    }
}
