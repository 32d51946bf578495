//! Fixed-window rate limits in Redis for the fleet's public forms. A request is counted in the
//! same atomic step as the check (INCR, the window's expiry set on the first hit only, then the
//! compare), so a parallel burst gets exactly the limit through, and a refused request counts
//! too without extending the window.

use std::sync::LazyLock;

use super::redis::Redis;

/// Counts every key, sets a new key's expiry, answers 1 when each is within its limit.
static ATTEMPT: LazyLock<redis::Script> = LazyLock::new(|| {
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

/// Counts this request against each `(key, limit)` over a window of `window_secs` (the keys
/// take the fleet's Redis prefix) and says whether it is within every limit.
pub async fn allow(
    redis: &Redis,
    window_secs: u64,
    limits: &[(&str, u32)],
) -> redis::RedisResult<bool> {
    let mut conn = redis.conn();
    let mut invocation = ATTEMPT.prepare_invoke();
    for (key, _) in limits {
        invocation.key(redis.key(key));
    }
    invocation.arg(window_secs);
    for (_, limit) in limits {
        invocation.arg(*limit);
    }
    let ok: i64 = invocation.invoke_async(&mut conn).await?;
    Ok(ok == 1)
}
