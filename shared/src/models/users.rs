//! Users (owned by federation): the row types every app may read and the reads (and the one
//! write behind `UserDirectory::imported_author`) other apps need. Federation's own queries and
//! writes (credentials, passwords, second factor, resets, profile, roles) live in
//! `federation::db::users`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::contracts::dtos::Role;
use crate::db::schema::{social_notifications, social_settings, users};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub bio: String,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub avatar_url: Option<&'a str>,
    pub bio: &'a str,
    pub role: &'a str,
}

/// The domain of a deleted account's address (RFC 2606 `.invalid`: no mail goes there, and no
/// sign-up can confirm one): what marks a `users` row as deleted, beside `disabled_at` (see
/// federation's `accounts::deletion`).
pub const DELETED_DOMAIN: &str = "deleted.invalid";

impl User {
    /// Whether the account was deleted (the row stays, anonymised, keeping the username).
    pub fn is_deleted(&self) -> bool {
        self.email
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain == DELETED_DOMAIN)
    }
}

pub async fn by_id(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

/// A user who may act: not disabled (what a session's user id must still name). A deleted
/// account is disabled too (see federation's `accounts::deletion`).
pub async fn active_by_id(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .filter(users::disabled_at.is_null())
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn by_username(
    conn: &mut AsyncPgConnection,
    username: &str,
) -> QueryResult<Option<User>> {
    users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

/// Users with a writing role, by display name.
pub async fn writers(conn: &mut AsyncPgConnection) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::role.eq_any(Role::WRITERS.map(Role::as_str)))
        .filter(users::disabled_at.is_null())
        .order((users::display_name, users::id))
        .limit(500)
        .select(User::as_select())
        .load(conn)
        .await
}

/// See [`crate::contracts::protocols::UserDirectory::imported_author`]. The address is under
/// `.invalid` (RFC 2606), so no mail ever goes to it, and no password is set.
pub async fn imported_author(
    conn: &mut AsyncPgConnection,
    username: &str,
    display_name: &str,
    bio: &str,
    avatar_url: Option<&str>,
) -> QueryResult<i64> {
    if let Some(user) = by_username(conn, username).await? {
        return Ok(user.id);
    }
    let email = format!("{username}@imported.invalid");
    let inserted: Option<i64> = diesel::insert_into(users::table)
        .values(&NewUser {
            username,
            email: &email,
            display_name,
            avatar_url,
            bio,
            role: "author",
        })
        .on_conflict_do_nothing()
        .returning(users::id)
        .get_result(conn)
        .await
        .optional()?;
    match inserted {
        Some(id) => Ok(id),
        // Raced with another import of the same author.
        None => by_username(conn, username)
            .await?
            .map(|u| u.id)
            .ok_or(diesel::result::Error::NotFound),
    }
}

/// Every account, counted for the fleet's NodeInfo (`usage.users.total`).
pub async fn count(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn).await
}

/// Whether follows of this member wait for their approval (`social_settings`, federation's): the
/// member's actor document says so as `manuallyApprovesFollowers`, and Mastodon shows a lock.
pub async fn manually_approves_followers(
    conn: &mut AsyncPgConnection,
    user_id: i64,
) -> QueryResult<bool> {
    social_settings::table
        .find(user_id)
        .select(social_settings::manually_approves_followers)
        .first(conn)
        .await
        .optional()
        .map(|v| v.unwrap_or(false))
}

/// How many of a member's notifications (federation's) are unread, counting at most `cap` (the
/// header shows "99+" rather than counting a backlog on every page).
pub async fn unread_notifications(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    cap: i64,
) -> QueryResult<i64> {
    let ids: Vec<i64> = social_notifications::table
        .filter(social_notifications::user_id.eq(user_id))
        .filter(social_notifications::read_at.is_null())
        .select(social_notifications::id)
        .limit(cap)
        .load(conn)
        .await?;
    Ok(ids.len() as i64)
}
