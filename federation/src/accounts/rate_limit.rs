//! Sign-in rate limiting, per client IP and per account, in Redis (fixed windows).
//! Failures count; a success clears the account's counter.

use shared::infrastructure::redis::Redis;

/// Failed attempts allowed per account in [`WINDOW_SECS`].
pub const PER_ACCOUNT: u32 = 5;
/// Failed attempts allowed per IP address in [`WINDOW_SECS`].
pub const PER_IP: u32 = 20;
pub const WINDOW_SECS: u64 = 15 * 60;

fn account_key(redis: &Redis, account: &str) -> String {
    redis.key(format!("login-fail:acct:{}", account.to_lowercase()))
}

fn ip_key(redis: &Redis, ip: &str) -> String {
    redis.key(format!("login-fail:ip:{ip}"))
}

/// Whether another attempt is allowed now.
pub async fn allowed(redis: &Redis, ip: &str, account: &str) -> redis::RedisResult<bool> {
    let mut conn = redis.conn();
    let (a, i): (Option<u32>, Option<u32>) = redis::pipe()
        .cmd("GET")
        .arg(account_key(redis, account))
        .cmd("GET")
        .arg(ip_key(redis, ip))
        .query_async(&mut conn)
        .await?;
    Ok(a.unwrap_or(0) < PER_ACCOUNT && i.unwrap_or(0) < PER_IP)
}

pub async fn record_failure(redis: &Redis, ip: &str, account: &str) -> redis::RedisResult<()> {
    let mut conn = redis.conn();
    let mut pipe = redis::pipe();
    for key in [account_key(redis, account), ip_key(redis, ip)] {
        pipe.cmd("INCR").arg(&key).ignore();
        pipe.cmd("EXPIRE")
            .arg(&key)
            .arg(WINDOW_SECS)
            .arg("NX")
            .ignore();
    }
    pipe.query_async(&mut conn).await
}

pub async fn record_success(redis: &Redis, account: &str) -> redis::RedisResult<()> {
    let mut conn = redis.conn();
    redis::cmd("DEL")
        .arg(account_key(redis, account))
        .query_async(&mut conn)
        .await
}
