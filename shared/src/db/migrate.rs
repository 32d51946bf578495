//! The embedded migrations (`shared/migrations`) and their runner.
//!
//! Runs over diesel-async's `AsyncConnectionWrapper` (no libpq), on its own thread and runtime,
//! under a PostgreSQL advisory lock so two processes never migrate at once.

use diesel::RunQueryDsl;
use diesel::connection::Connection;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbError;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Arbitrary constant naming the migration lock.
const MIGRATION_LOCK: i64 = 0x5241_4d49_4752_4154; // "RAMIGRAT"

/// Applies every pending migration; returns the versions applied (empty when up to date).
pub async fn run_pending(database_url: &str) -> Result<Vec<String>, DbError> {
    let url = database_url.to_owned();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("migrations".into())
        .spawn(move || {
            let _ = tx.send(run_blocking(&url));
        })
        .map_err(|e| DbError::Migration(format!("could not start the migration thread: {e}")))?;
    rx.await
        .map_err(|_closed| DbError::Migration("the migration thread stopped".into()))?
}

fn run_blocking(url: &str) -> Result<Vec<String>, DbError> {
    let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(url)?;
    diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(&mut conn)?;
    let result = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|e| DbError::Migration(e.to_string()));
    diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(&mut conn)?;
    result
}
