//! Database access: the pool, the embedded migrations and the schema.
//!
//! Pool construction and transactions live here only, so the next diesel-async API change touches
//! one module.

pub mod migrate;
pub mod prepared;
pub mod schema;

use std::time::Duration;

use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};

use crate::config::DatabaseConfig;

pub use diesel_async::AsyncConnection;

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database pool: {0}")]
    Pool(#[from] PoolError),
    #[error("database pool could not be built: {0}")]
    Build(String),
    #[error("database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database connection: {0}")]
    Connection(#[from] diesel::ConnectionError),
    #[error("migrations: {0}")]
    Migration(String),
}

/// Builds the pool for `application_name` (shown in `pg_stat_activity`, essential with six apps on
/// one database). Connections are made lazily; see [`crate::infrastructure::wait`] for start-up.
pub fn pool(config: &DatabaseConfig, application_name: &str) -> Result<DbPool, DbError> {
    let url = with_session_params(config.url.expose(), application_name);
    let mut manager_config = ManagerConfig::default();
    // `Fast` only checks for an open transaction on recycle: no extra round trip per checkout.
    manager_config.recycling_method = RecyclingMethod::Fast;
    let manager =
        AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, manager_config);
    Pool::builder(manager)
        .max_size(config.pool_size.max(2))
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .map_err(|e| DbError::Build(e.to_string()))
}

/// Adds `application_name` and a statement timeout to a PostgreSQL URL. (tokio-postgres does not
/// decode `+` as a space, so the query is percent-encoded by hand.)
fn with_session_params(url: &str, application_name: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let has = |key: &str| parsed.query_pairs().any(|(k, _)| k == key);
    let mut extra = Vec::new();
    if !has("application_name") {
        let name: String = application_name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        extra.push(format!("application_name={name}"));
    }
    if !has("options") {
        extra.push("options=-c%20statement_timeout%3D30000".to_owned());
    }
    if extra.is_empty() {
        return parsed.into();
    }
    let query = match parsed.query() {
        Some(q) if !q.is_empty() => format!("{q}&{}", extra.join("&")),
        _ => extra.join("&"),
    };
    parsed.set_query(Some(&query));
    parsed.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_params_are_added_once() {
        let url = with_session_params("postgres://u:p@h:5432/db", "blog");
        assert_eq!(
            url,
            "postgres://u:p@h:5432/db?application_name=blog&options=-c%20statement_timeout%3D30000"
        );
        let url = with_session_params("postgres://h/db?application_name=x", "blog");
        assert!(url.contains("application_name=x") && !url.contains("blog"));
    }
}
