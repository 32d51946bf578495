//! A member's profile: the name every app's header shows, a bio and a picture.

use diesel_async::AsyncConnection;
use shared::infrastructure::fragment_catalog;
use shared::infrastructure::fragments::FragmentClient;
use shared::models::users::{self as user_rows, User};
use shared::{AppName, Viewer};

use super::{Accounts, AccountsError};
use crate::db::users;
use crate::social::domain::actor_updates::PersonUpdate;

/// A profile as the form sends it.
#[derive(Debug)]
pub struct ProfileChange<'a> {
    pub display_name: &'a str,
    pub bio: &'a str,
    pub avatar_url: &'a str,
}

impl Accounts<'_> {
    /// The signed-in member's own row.
    pub async fn profile(&self, user_id: i64) -> Result<User, AccountsError> {
        let mut conn = self.db.get().await?;
        user_rows::by_id(&mut conn, user_id)
            .await?
            .ok_or(AccountsError::NotSignedIn)
    }

    /// Saves a profile (trimmed; an empty picture is none), in the transaction that tells the
    /// member's followers when their actor document changed (`person`), then drops the
    /// member's cached menus in every app, whose headers show the name.
    pub async fn update_profile(
        &self,
        fragments: &FragmentClient,
        person: &mut PersonUpdate<'_>,
        user_id: i64,
        change: &ProfileChange<'_>,
    ) -> Result<(), AccountsError> {
        let display_name = change.display_name.trim();
        let bio = change.bio.trim();
        let avatar = Some(change.avatar_url.trim()).filter(|a| !a.is_empty());
        if display_name.is_empty() || display_name.chars().count() > 80 {
            return Err(AccountsError::BadDisplayName);
        }
        if bio.chars().count() > 500 {
            return Err(AccountsError::BioTooLong);
        }
        if avatar.is_some_and(|a| !valid_avatar(a)) {
            return Err(AccountsError::BadAvatar);
        }
        {
            let mut conn = self.db.get().await?;
            conn.transaction(async |conn| {
                person.before(conn).await?;
                users::update_profile(conn, user_id, display_name, bio, avatar).await?;
                person.after(conn).await?;
                Ok::<_, AccountsError>(())
            })
            .await?;
        }
        for app in AppName::ALL {
            if let Err(e) = fragments
                .purge(&fragment_catalog::user_menu(app, Viewer::User(user_id)))
                .await
            {
                tracing::warn!(error = %e, "could not purge the user menu");
            }
        }
        Ok(())
    }
}

/// A picture address: https, or http on a `*.localhost` dev host; at most 500 bytes.
fn valid_avatar(url: &str) -> bool {
    match url::Url::parse(url) {
        Ok(u) => {
            url.len() <= 500
                && (u.scheme() == "https"
                    || (u.scheme() == "http"
                        && u.host_str()
                            .is_some_and(shared::infrastructure::http_client::is_localhost)))
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avatars() {
        assert!(valid_avatar("https://example.org/a.png"));
        assert!(valid_avatar("http://federation.localhost:8005/a.png"));
        assert!(!valid_avatar("http://example.org/a.png"));
        assert!(!valid_avatar("javascript:alert(1)"));
    }
}
