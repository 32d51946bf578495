//! The authorization server's queries and writes: clients, consents, refresh-token families and
//! signing keys. The row types stay in `shared::models::oauth`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{oauth_clients, oauth_consents, oauth_refresh_tokens, oauth_signing_keys};
use shared::models::oauth::{Client, NewClient, NewRefreshToken, RefreshToken, SigningKeyRow};

pub async fn client(conn: &mut AsyncPgConnection, client_id: &str) -> QueryResult<Option<Client>> {
    oauth_clients::table
        .find(client_id)
        .select(Client::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn clients(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Client>> {
    oauth_clients::table
        .order((oauth_clients::first_party.desc(), oauth_clients::client_id))
        .select(Client::as_select())
        .load(conn)
        .await
}

/// Inserts or replaces a client registration.
pub async fn upsert_client(conn: &mut AsyncPgConnection, new: &NewClient) -> QueryResult<()> {
    diesel::insert_into(oauth_clients::table)
        .values(new)
        .on_conflict(oauth_clients::client_id)
        .do_update()
        .set(new)
        .execute(conn)
        .await
        .map(drop)
}

pub async fn insert_client(conn: &mut AsyncPgConnection, new: &NewClient) -> QueryResult<()> {
    diesel::insert_into(oauth_clients::table)
        .values(new)
        .execute(conn)
        .await
        .map(drop)
}

pub async fn delete_client(conn: &mut AsyncPgConnection, client_id: &str) -> QueryResult<bool> {
    diesel::delete(
        oauth_clients::table
            .find(client_id)
            .filter(oauth_clients::first_party.eq(false)),
    )
    .execute(conn)
    .await
    .map(|n| n > 0)
}

/// The scope a user has consented to for a client, if any.
pub async fn consent(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    client_id: &str,
) -> QueryResult<Option<String>> {
    oauth_consents::table
        .find((user_id, client_id))
        .select(oauth_consents::scope)
        .first(conn)
        .await
        .optional()
}

pub async fn grant_consent(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    client_id: &str,
    scope: &str,
) -> QueryResult<()> {
    diesel::insert_into(oauth_consents::table)
        .values((
            oauth_consents::user_id.eq(user_id),
            oauth_consents::client_id.eq(client_id),
            oauth_consents::scope.eq(scope),
        ))
        .on_conflict((oauth_consents::user_id, oauth_consents::client_id))
        .do_update()
        .set((
            oauth_consents::scope.eq(scope),
            oauth_consents::granted_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn insert_refresh_token(
    conn: &mut AsyncPgConnection,
    new: &NewRefreshToken<'_>,
) -> QueryResult<()> {
    diesel::insert_into(oauth_refresh_tokens::table)
        .values(new)
        .execute(conn)
        .await
        .map(drop)
}

pub async fn refresh_token(
    conn: &mut AsyncPgConnection,
    token_hash: &str,
) -> QueryResult<Option<RefreshToken>> {
    oauth_refresh_tokens::table
        .filter(oauth_refresh_tokens::token_hash.eq(token_hash))
        .select(RefreshToken::as_select())
        .first(conn)
        .await
        .optional()
}

/// Marks a live token as rotated; false when it was already rotated or revoked (a race or reuse).
pub async fn mark_rotated(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<bool> {
    diesel::update(
        oauth_refresh_tokens::table
            .find(id)
            .filter(oauth_refresh_tokens::rotated_at.is_null())
            .filter(oauth_refresh_tokens::revoked_at.is_null()),
    )
    .set(oauth_refresh_tokens::rotated_at.eq(diesel::dsl::now))
    .execute(conn)
    .await
    .map(|n| n > 0)
}

pub async fn revoke_family(conn: &mut AsyncPgConnection, family_id: &str) -> QueryResult<usize> {
    diesel::update(
        oauth_refresh_tokens::table
            .filter(oauth_refresh_tokens::family_id.eq(family_id))
            .filter(oauth_refresh_tokens::revoked_at.is_null()),
    )
    .set(oauth_refresh_tokens::revoked_at.eq(diesel::dsl::now))
    .execute(conn)
    .await
}

/// Revokes every refresh token of a sign-on session; returns the families touched.
pub async fn revoke_sid(conn: &mut AsyncPgConnection, sid: &str) -> QueryResult<Vec<String>> {
    diesel::update(
        oauth_refresh_tokens::table
            .filter(oauth_refresh_tokens::sid.eq(sid))
            .filter(oauth_refresh_tokens::revoked_at.is_null()),
    )
    .set(oauth_refresh_tokens::revoked_at.eq(diesel::dsl::now))
    .returning(oauth_refresh_tokens::family_id)
    .get_results(conn)
    .await
}

/// Every key, newest first.
pub async fn signing_keys(conn: &mut AsyncPgConnection) -> QueryResult<Vec<SigningKeyRow>> {
    oauth_signing_keys::table
        .order(oauth_signing_keys::created_at.desc())
        .select(SigningKeyRow::as_select())
        .load(conn)
        .await
}

pub async fn insert_signing_key(
    conn: &mut AsyncPgConnection,
    kid: &str,
    private_pem: &str,
) -> QueryResult<()> {
    diesel::insert_into(oauth_signing_keys::table)
        .values((
            oauth_signing_keys::kid.eq(kid),
            oauth_signing_keys::private_pem.eq(private_pem),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Retires every key but `kid` (they stay published until tokens signed with them expire).
pub async fn retire_keys_except(conn: &mut AsyncPgConnection, kid: &str) -> QueryResult<usize> {
    diesel::update(
        oauth_signing_keys::table
            .filter(oauth_signing_keys::kid.ne(kid))
            .filter(oauth_signing_keys::retired_at.is_null()),
    )
    .set(oauth_signing_keys::retired_at.eq(diesel::dsl::now))
    .execute(conn)
    .await
}

/// Forgets keys retired before `before`.
pub async fn delete_retired_keys(
    conn: &mut AsyncPgConnection,
    before: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(oauth_signing_keys::table.filter(oauth_signing_keys::retired_at.lt(before)))
        .execute(conn)
        .await
}
