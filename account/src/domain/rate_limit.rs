//! The public subscribe form's limits, in Redis (fixed windows): per client IP and per address,
//! counted in one atomic step with the check, whether or not the address is known (so the limit
//! itself reveals nothing) and whether or not the request then succeeds. The per-address limit
//! also caps the confirmation mail anyone can make us send to a stranger. And a member's data
//! exports, per member.

use shared::infrastructure::redis::Redis;

/// Subscribe requests allowed per client IP in [`WINDOW_SECS`].
pub const PER_IP: u32 = 20;
/// Subscribe requests allowed per address in [`WINDOW_SECS`].
pub const PER_ADDRESS: u32 = 5;
pub const WINDOW_SECS: u64 = 15 * 60;

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

/// Counts this request and says whether it is within both limits.
pub async fn allowed(redis: &Redis, ip: &str, email: &str) -> redis::RedisResult<bool> {
    let mut conn = redis.conn();
    let digest = shared::crypto::token_digest(&email.to_lowercase());
    let ok: i64 = ATTEMPT
        .key(redis.key(format!("newsletter-subscribe:ip:{ip}")))
        .key(redis.key(format!("newsletter-subscribe:addr:{digest}")))
        .arg(WINDOW_SECS)
        .arg(PER_IP)
        .arg(PER_ADDRESS)
        .invoke_async(&mut conn)
        .await?;
    Ok(ok == 1)
}

/// Data exports a member may download in [`EXPORT_WINDOW_SECS`] (each reads every app's rows).
pub const EXPORTS: u32 = 5;
pub const EXPORT_WINDOW_SECS: u64 = 60 * 60;

/// Counts this export of the member's data and says whether it is within the limit.
pub async fn export_allowed(redis: &Redis, user_id: i64) -> redis::RedisResult<bool> {
    let mut conn = redis.conn();
    let ok: i64 = ATTEMPT
        .key(redis.key(format!("data-export:user:{user_id}")))
        .arg(EXPORT_WINDOW_SECS)
        .arg(EXPORTS)
        .invoke_async(&mut conn)
        .await?;
    Ok(ok == 1)
}
