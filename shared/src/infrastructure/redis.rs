//! The Redis connection every app shares (fragment cache, page cache, sessions), with the
//! key prefix that lets several fleets or test runs share one server.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::config::RedisConfig;

#[derive(Clone)]
pub struct Redis {
    conn: ConnectionManager,
    prefix: String,
}

impl Redis {
    /// Connects (once; the manager reconnects by itself afterwards).
    pub async fn connect(config: &RedisConfig) -> redis::RedisResult<Self> {
        let client = redis::Client::open(config.url.expose())?;
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(2));
        let conn = ConnectionManager::new_with_config(client, manager_config).await?;
        Ok(Self {
            conn,
            prefix: config.prefix.clone(),
        })
    }

    /// A connection handle (cheap: the manager multiplexes one connection).
    pub fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// `prefix` + `key`.
    pub fn key(&self, key: impl AsRef<str>) -> String {
        let key = key.as_ref();
        let mut k = String::with_capacity(self.prefix.len() + key.len());
        k.push_str(&self.prefix);
        k.push_str(key);
        k
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub async fn ping(&self) -> redis::RedisResult<()> {
        let mut conn = self.conn();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(drop)
    }
}
