//! The public subscribe form's limits, in Redis (fixed windows): per client IP and per address,
//! counted in one atomic step with the check, whether or not the address is known (so the limit
//! itself reveals nothing) and whether or not the request then succeeds. The per-address limit
//! also caps the confirmation mail anyone can make us send to a stranger. And a member's data
//! exports, per member.

use shared::infrastructure::rate_limit;
use shared::infrastructure::redis::Redis;

/// Subscribe requests allowed per client IP in [`WINDOW_SECS`].
pub const PER_IP: u32 = 20;
/// Subscribe requests allowed per address in [`WINDOW_SECS`].
pub const PER_ADDRESS: u32 = 5;
pub const WINDOW_SECS: u64 = 15 * 60;

/// Counts this request and says whether it is within both limits.
pub async fn allowed(redis: &Redis, ip: &str, email: &str) -> redis::RedisResult<bool> {
    let digest = shared::crypto::token_digest(&email.to_lowercase());
    rate_limit::allow(
        redis,
        WINDOW_SECS,
        &[
            (&format!("newsletter-subscribe:ip:{ip}"), PER_IP),
            (&format!("newsletter-subscribe:addr:{digest}"), PER_ADDRESS),
        ],
    )
    .await
}

/// Data exports a member may download in [`EXPORT_WINDOW_SECS`] (each reads every app's rows).
pub const EXPORTS: u32 = 5;
pub const EXPORT_WINDOW_SECS: u64 = 60 * 60;

/// Counts this export of the member's data and says whether it is within the limit.
pub async fn export_allowed(redis: &Redis, user_id: i64) -> redis::RedisResult<bool> {
    rate_limit::allow(
        redis,
        EXPORT_WINDOW_SECS,
        &[(&format!("data-export:user:{user_id}"), EXPORTS)],
    )
    .await
}
