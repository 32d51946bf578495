//! The Redis connections every app holds, with the key prefix that lets several fleets or test
//! runs share one server: the main one (sessions, revocations, rate limits, OAuth state), which
//! must never evict, and the caches' one (`REDIS_CACHE_URL`: page and fragment caches), which
//! may evict freely. In dev both are the same server.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::config::{Config, RedisConfig};

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

    /// The caches' Redis: `main` again when `REDIS_CACHE_URL` is `REDIS_URL`, else its own.
    pub async fn connect_cache(config: &Config, main: &Redis) -> redis::RedisResult<Self> {
        if config.cache_redis.url == config.redis.url {
            Ok(main.clone())
        } else {
            Self::connect(&config.cache_redis).await
        }
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
