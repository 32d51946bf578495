//! The checks before an account is deleted: the typed confirmation (the member's username),
//! then proof that it is them (their password, or a current code from their authenticator),
//! rate-limited as the second factor's re-authentication is. The deletion itself is
//! `accounts::deletion`.

use super::{Accounts, AccountsError};

impl Accounts<'_> {
    /// Whether `typed` confirms deleting `username`'s account and `password` (or `code`) proves
    /// it is them. Nothing is changed either way (a refused proof counts against the limit).
    pub async fn confirm_deletion(
        &self,
        ip: &str,
        user_id: i64,
        username: &str,
        typed: &str,
        password: &str,
        code: &str,
    ) -> Result<(), AccountsError> {
        if typed.trim() != username {
            return Err(AccountsError::WrongConfirmation);
        }
        self.reauthenticate(ip, user_id, password, code).await
    }
}
