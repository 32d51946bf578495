//! Federation's own queries and writes on `users`, `recovery_codes` and `password_resets`:
//! sign-up, credentials, passwords, the second factor, resets, profiles and roles. The row types
//! and the reads other apps need stay in `shared::models::users`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::users;
use shared::models::users::{NewUser, User};

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(User::as_returning())
        .get_result(conn)
        .await
}

/// What signing in needs to know about a user (never leaves federation).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct Credentials {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
    pub totp_enabled_at: Option<DateTime<Utc>>,
    pub email_verified_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// By username or e-mail address (case-insensitively).
pub async fn credentials_by_login(
    conn: &mut AsyncPgConnection,
    login: &str,
) -> QueryResult<Option<Credentials>> {
    let login = login.trim().to_lowercase();
    users::table
        .filter(
            users::username
                .eq(&login)
                .or(
                    diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = ")
                        .bind::<diesel::sql_types::Text, _>(&login),
                ),
        )
        .select(Credentials::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn credentials_by_id(
    conn: &mut AsyncPgConnection,
    id: i64,
) -> QueryResult<Option<Credentials>> {
    users::table
        .find(id)
        .select(Credentials::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn by_email(conn: &mut AsyncPgConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email)
                .sql(")"),
        )
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn set_password_hash(
    conn: &mut AsyncPgConnection,
    id: i64,
    hash: &str,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(hash))
        .execute(conn)
        .await
}

/// Stores a TOTP secret; `enabled` switches the second factor on (or, with no secret, off).
pub async fn set_totp(
    conn: &mut AsyncPgConnection,
    id: i64,
    secret: Option<&str>,
    enabled: bool,
) -> QueryResult<usize> {
    let enabled_at = if enabled { Some(Utc::now()) } else { None };
    diesel::update(users::table.find(id))
        .set((
            users::totp_secret.eq(secret),
            users::totp_enabled_at.eq(enabled_at),
        ))
        .execute(conn)
        .await
}

pub async fn update_profile(
    conn: &mut AsyncPgConnection,
    id: i64,
    display_name: &str,
    bio: &str,
    avatar_url: Option<&str>,
) -> QueryResult<User> {
    diesel::update(users::table.find(id))
        .set((
            users::display_name.eq(display_name),
            users::bio.eq(bio),
            users::avatar_url.eq(avatar_url),
        ))
        .returning(User::as_returning())
        .get_result(conn)
        .await
}

pub async fn set_role(conn: &mut AsyncPgConnection, id: i64, role: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::role.eq(role))
        .execute(conn)
        .await
}

/// Replaces a user's recovery codes by these hashes.
pub async fn replace_recovery_codes(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    hashes: &[String],
) -> QueryResult<()> {
    use shared::db::schema::recovery_codes;
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)
        .await?;
    let rows: Vec<_> = hashes
        .iter()
        .map(|h| {
            (
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(h),
            )
        })
        .collect();
    diesel::insert_into(recovery_codes::table)
        .values(rows)
        .execute(conn)
        .await
        .map(drop)
}

/// Uses up one recovery code; false when it is unknown or spent.
pub async fn use_recovery_code(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    hash: &str,
) -> QueryResult<bool> {
    use shared::db::schema::recovery_codes;
    diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(diesel::dsl::now))
    .execute(conn)
    .await
    .map(|n| n > 0)
}

pub async fn create_password_reset(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    token_hash: &str,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    use shared::db::schema::password_resets;
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::token_hash.eq(token_hash),
            password_resets::user_id.eq(user_id),
            password_resets::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Whose reset token this is, if it is unused and unexpired (does not use it up).
pub async fn password_reset_user(
    conn: &mut AsyncPgConnection,
    token_hash: &str,
) -> QueryResult<Option<i64>> {
    use shared::db::schema::password_resets;
    password_resets::table
        .filter(password_resets::token_hash.eq(token_hash))
        .filter(password_resets::used_at.is_null())
        .filter(password_resets::expires_at.gt(diesel::dsl::now))
        .select(password_resets::user_id)
        .first(conn)
        .await
        .optional()
}

/// Uses a reset token up (once) and returns its user; also voids the user's other tokens.
pub async fn take_password_reset(
    conn: &mut AsyncPgConnection,
    token_hash: &str,
) -> QueryResult<Option<i64>> {
    use shared::db::schema::password_resets;
    let user: Option<i64> = diesel::update(
        password_resets::table
            .filter(password_resets::token_hash.eq(token_hash))
            .filter(password_resets::used_at.is_null())
            .filter(password_resets::expires_at.gt(diesel::dsl::now)),
    )
    .set(password_resets::used_at.eq(diesel::dsl::now))
    .returning(password_resets::user_id)
    .get_result(conn)
    .await
    .optional()?;
    if let Some(user_id) = user {
        diesel::update(
            password_resets::table
                .filter(password_resets::user_id.eq(user_id))
                .filter(password_resets::used_at.is_null()),
        )
        .set(password_resets::used_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
    }
    Ok(user)
}

pub async fn mark_email_verified(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::email_verified_at.is_null()),
    )
    .set(users::email_verified_at.eq(diesel::dsl::now))
    .execute(conn)
    .await
}

/// A new account with a password (and, for seeded or imported users, already verified).
pub async fn insert_with_password(
    conn: &mut AsyncPgConnection,
    new: &NewUser<'_>,
    password_hash: &str,
    verified: bool,
) -> QueryResult<User> {
    let user = insert(conn, new).await?;
    diesel::update(users::table.find(user.id))
        .set((
            users::password_hash.eq(password_hash),
            users::email_verified_at.eq(if verified { Some(Utc::now()) } else { None }),
        ))
        .execute(conn)
        .await?;
    Ok(user)
}

pub async fn list(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<User>> {
    users::table
        .order(users::id)
        .limit(limit)
        .select(User::as_select())
        .load(conn)
        .await
}
