//! Sign-up and e-mail confirmation. The request checks the form, counts it against the rate
//! limit, hashes the password and queues [`FinishSignUp`] in its transaction; the job looks the
//! address up, so the answer neither waits for nor reveals whether it has an account.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use shared::db::AsyncConnection;
use shared::infrastructure::mail::SendMail;
use shared::models::users::{self as user_rows, NewUser};

use super::{Accounts, AccountsError};
use crate::accounts::confirmation::{self, Link};
use crate::accounts::{passwords, rate_limit};
use crate::db::users;
use crate::jobs::FinishSignUp;

/// A sign-up form, trimmed: what the form shows again when something is wrong.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub display_name: String,
}

impl NewAccount {
    /// Usernames are lowercased; an empty display name is the username.
    pub fn from_form(username: &str, email: &str, display_name: Option<&str>) -> NewAccount {
        let username = username.trim().to_lowercase();
        let display_name = display_name
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .unwrap_or(&username)
            .to_owned();
        NewAccount {
            email: email.trim().to_owned(),
            username,
            display_name,
        }
    }

    /// What is wrong with the form, if anything (the username's availability aside).
    fn problems(&self, password: &str) -> Vec<&'static str> {
        let mut problems = Vec::new();
        if !valid_username(&self.username) {
            problems.push("Usernames are 1 to 30 lowercase letters, digits or underscores.");
        }
        if !shared::contracts::email::is_valid(&self.email) {
            problems.push("That does not look like an e-mail address.");
        }
        if self.display_name.chars().count() > 80 {
            problems.push("Your name is too long.");
        }
        if let Some(p) = passwords::policy_problem(password, &self.username, &self.email) {
            problems.push(p);
        }
        problems
    }
}

pub(crate) fn valid_username(username: &str) -> bool {
    (1..=30).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// A confirmation link that exists: not yet used, or used already (a second click).
#[derive(Debug)]
pub enum Confirmation {
    Pending(Link),
    Used(Link),
}

impl Accounts<'_> {
    /// Checks and queues a sign-up from `ip`. `browser` is the digest of the visitor's session
    /// (that browser continues to `return_to` after confirming).
    pub async fn sign_up(
        &self,
        account: &NewAccount,
        password: &str,
        ip: &str,
        return_to: String,
        browser: Option<String>,
    ) -> Result<(), AccountsError> {
        let mut problems = account.problems(password);
        let existing_name = {
            let mut conn = self.db.get().await?;
            user_rows::by_username(&mut conn, &account.username).await?
        };
        if problems.is_empty() && existing_name.is_some() {
            problems.push("That username is taken.");
        }
        if !problems.is_empty() {
            return Err(AccountsError::Invalid(problems));
        }
        // Counted per IP and per address, whether or not the address has an account.
        let per_address = format!("signup:{}", account.email.to_lowercase());
        if !rate_limit::allowed(self.redis, ip, &per_address).await? {
            return Err(AccountsError::TooManySignUps);
        }
        // Hashed whether or not the address has an account, so both cost the same.
        let hash = passwords::hash(password.to_owned()).await?;
        let job = FinishSignUp {
            username: account.username.clone(),
            email: account.email.clone(),
            display_name: account.display_name.clone(),
            hash,
            return_to,
            browser,
        };
        let mut conn = self.db.get().await?;
        shared::jobs::enqueue(&mut conn, &job).await?;
        Ok(())
    }

    /// The part of a sign-up that depends on whether the address has an account (the
    /// [`FinishSignUp`] job). `link_base` is federation's public URL, ending in `/`.
    pub async fn finish_sign_up(
        &self,
        job: &FinishSignUp,
        link_base: &str,
    ) -> Result<(), AccountsError> {
        let mut conn = self.db.get().await?;
        if let Some(owner) = users::by_email(&mut conn, &job.email).await? {
            // The address has an account: tell its owner (the visitor saw the usual page).
            let body = format!(
                "Someone tried to create a Rose Ash account with this address, which already has one \
                 (username {}).\n\nIf it was you, sign in at {link_base}login or reset your password at \
                 {link_base}password/forgot.\n\nIf it was not you, you can ignore this message.",
                owner.username
            );
            let mail = SendMail {
                to: job.email.clone(),
                subject: "Your Rose Ash account".to_owned(),
                body,
            };
            shared::jobs::enqueue(&mut conn, &mail).await?;
            return Ok(());
        }
        // The account, its confirmation link and the mail carrying it, together or not at all
        // (the link is written last inside the transaction: a failure there rolls the rest back).
        let created = conn
            .transaction(async |conn| {
                let user = users::insert_with_password(
                    conn,
                    &NewUser {
                        username: &job.username,
                        email: &job.email,
                        display_name: &job.display_name,
                        avatar_url: None,
                        bio: "",
                        role: "member",
                    },
                    &job.hash,
                    false,
                )
                .await?;
                let token = shared::crypto::random_token()?;
                let body = format!(
                    "Welcome to Rose Ash, {}!\n\nConfirm your e-mail address to finish creating your account:\n\n{link_base}verify-email/{token}\n\nThe link works for 24 hours, in any browser.",
                    job.display_name
                );
                let mail = SendMail {
                    to: job.email.clone(),
                    subject: "Confirm your Rose Ash account".to_owned(),
                    body,
                };
                shared::jobs::enqueue(conn, &mail).await?;
                let link = Link {
                    user_id: user.id,
                    browser: job.browser.clone(),
                    return_to: job.return_to.clone(),
                };
                confirmation::create(self.redis, &token, &link).await?;
                Ok::<_, AccountsError>(())
            })
            .await;
        match created {
            // Someone took the username (or the address) since the form was checked: there is
            // nothing left to do, and trying again cannot change that.
            Err(AccountsError::Db(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                _,
            ))) => {
                tracing::warn!("a sign-up lost a race for its username or address");
                Ok(())
            }
            other => other,
        }
    }

    /// A confirmation link's state, changing nothing (`GET`: a mail scanner confirms nothing).
    pub async fn confirmation(&self, token: &str) -> Result<Confirmation, AccountsError> {
        match confirmation::peek(self.redis, token).await? {
            confirmation::State::Unknown => Err(AccountsError::UnknownConfirmationLink),
            confirmation::State::Pending(link) => Ok(Confirmation::Pending(link)),
            confirmation::State::Used(link) => Ok(Confirmation::Used(link)),
        }
    }

    /// Confirms the address behind `token` (once): `Pending` when this call confirmed it,
    /// `Used` when it already was.
    pub async fn confirm_email(&self, token: &str) -> Result<Confirmation, AccountsError> {
        match confirmation::take(self.redis, token).await? {
            confirmation::State::Unknown => Err(AccountsError::UnknownConfirmationLink),
            confirmation::State::Used(link) => Ok(Confirmation::Used(link)),
            confirmation::State::Pending(link) => {
                let mut conn = self.db.get().await?;
                users::mark_email_verified(&mut conn, link.user_id).await?;
                Ok(Confirmation::Pending(link))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(valid_username("ada_99"));
        assert!(!valid_username("Ada"));
        assert!(!valid_username(""));
        assert!(!valid_username("a".repeat(31).as_str()));
    }

    #[test]
    fn the_form_is_trimmed_and_an_empty_name_is_the_username() {
        let a = NewAccount::from_form("  Ada ", " ada@example.org ", Some("  "));
        assert_eq!(a.username, "ada");
        assert_eq!(a.email, "ada@example.org");
        assert_eq!(a.display_name, "ada");
        let problems = a.problems("short");
        assert_eq!(problems.len(), 1, "{problems:?}");
    }
}
