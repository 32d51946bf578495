//! Sign-in rate limiting, per client IP and per account, in Redis (fixed windows).
//!
//! An attempt is counted when it is let through, in the same atomic step as the check (INCR,
//! expiry on the first hit, then compare), so a burst of parallel attempts cannot all pass a
//! check made before any of them is counted. A success gives its attempt back: the account's
//! counter is cleared and (with [`record_success_from`]) the IP's decremented, so only failures
//! use up the limits.

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

/// Counts both keys and answers 1 when both are within their limits. A refused attempt counts
/// too (it cannot extend the window: the expiry is set on the first hit only).
static ATTEMPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        r"
        local ok = 1
        for i, key in ipairs(KEYS) do
            local n = redis.call('INCR', key)
            if n == 1 then redis.call('EXPIRE', key, ARGV[1]) end
            if n > tonumber(ARGV[i + 1]) then ok = 0 end
        end
        return ok
        ",
    )
});

/// Gives a successful attempt back to the IP without creating a counter that has no expiry.
static GIVE_BACK: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| {
    redis::Script::new(
        r"
        redis.call('DEL', KEYS[1])
        if (tonumber(redis.call('GET', KEYS[2]) or '0')) > 0 then redis.call('DECR', KEYS[2]) end
        return 1
        ",
    )
});

/// Counts this attempt and says whether it is allowed (atomically: see the module docs). Call
/// it before doing the work; then [`record_success`] on success.
pub async fn allowed(redis: &Redis, ip: &str, account: &str) -> redis::RedisResult<bool> {
    let mut conn = redis.conn();
    let ok: i64 = ATTEMPT
        .key(account_key(redis, account))
        .key(ip_key(redis, ip))
        .arg(WINDOW_SECS)
        .arg(PER_ACCOUNT)
        .arg(PER_IP)
        .invoke_async(&mut conn)
        .await?;
    Ok(ok == 1)
}

/// A failed attempt: already counted by [`allowed`], so nothing more to do. Kept so that a
/// failure path says what happened.
pub async fn record_failure(_redis: &Redis, _ip: &str, _account: &str) -> redis::RedisResult<()> {
    Ok(())
}

/// The attempt succeeded: clears the account's counter (the IP keeps the attempt; see
/// [`record_success_from`]).
pub async fn record_success(redis: &Redis, account: &str) -> redis::RedisResult<()> {
    let mut conn = redis.conn();
    redis::cmd("DEL")
        .arg(account_key(redis, account))
        .query_async(&mut conn)
        .await
}

/// The attempt succeeded: clears the account's counter and gives the attempt back to the IP, so
/// that only failures use up the IP's limit. Only after [`allowed`] said yes for this attempt.
pub async fn record_success_from(redis: &Redis, ip: &str, account: &str) -> redis::RedisResult<()> {
    let mut conn = redis.conn();
    GIVE_BACK
        .key(account_key(redis, account))
        .key(ip_key(redis, ip))
        .invoke_async(&mut conn)
        .await
}
