//! E-mail confirmation links: valid 24 hours in any browser. Opening one shows a button (so a
//! mail scanner that fetches links confirms nothing); pressing it confirms the address once.
//! A used link is remembered until it would have expired, so a second click says "already
//! confirmed" instead of failing.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared::crypto::token_digest;
use shared::infrastructure::redis::Redis;

use super::domain::AccountsError;

pub const TTL: Duration = Duration::from_secs(24 * 3600);

/// What a link stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Link {
    pub user_id: i64,
    /// Digest of the session that signed up: the same browser continues where it was going.
    pub browser: Option<String>,
    pub return_to: String,
}

/// A link's state.
#[derive(Debug)]
pub enum State {
    Unknown,
    Pending(Link),
    Used(Link),
}

fn keys(redis: &Redis, token: &str) -> (String, String) {
    let digest = token_digest(token);
    (
        redis.key(format!("verify-email:{digest}")),
        redis.key(format!("verify-email-used:{digest}")),
    )
}

pub async fn create(redis: &Redis, token: &str, link: &Link) -> Result<(), AccountsError> {
    let (record, _) = keys(redis, token);
    let json = serde_json::to_string(link)?;
    let mut conn = redis.conn();
    redis::cmd("SET")
        .arg(record)
        .arg(json)
        .arg("EX")
        .arg(TTL.as_secs())
        .query_async::<()>(&mut conn)
        .await?;
    Ok(())
}

fn state(record: Option<String>, used: bool) -> State {
    match record.and_then(|r| serde_json::from_str::<Link>(&r).ok()) {
        None => State::Unknown,
        Some(link) if used => State::Used(link),
        Some(link) => State::Pending(link),
    }
}

/// The link's state, changing nothing.
pub async fn peek(redis: &Redis, token: &str) -> Result<State, AccountsError> {
    let (record, used) = keys(redis, token);
    let mut conn = redis.conn();
    let (record, used): (Option<String>, Option<String>) = redis::pipe()
        .cmd("GET")
        .arg(record)
        .cmd("GET")
        .arg(used)
        .query_async(&mut conn)
        .await?;
    Ok(state(record, used.is_some()))
}

/// Marks the link used and returns its state before: only one request ever sees it `Pending`.
const TAKE: &str = r"
local v = redis.call('GET', KEYS[1])
if not v then return false end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 1 then ttl = 1 end
local first = redis.call('SET', KEYS[2], '1', 'NX', 'PX', ttl)
if first then return {v, 1} else return {v, 0} end
";

pub async fn take(redis: &Redis, token: &str) -> Result<State, AccountsError> {
    let (record, used) = keys(redis, token);
    let mut conn = redis.conn();
    let taken: Option<(String, i64)> = redis::Script::new(TAKE)
        .key(record)
        .key(used)
        .invoke_async(&mut conn)
        .await?;
    Ok(match taken {
        None => State::Unknown,
        Some((record, first)) => state(Some(record), first == 0),
    })
}
