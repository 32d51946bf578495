//! Bounces and complaints, reported to `POST /webhooks/bounce` in listmonk's shape
//! (`{email, campaign_uuid, source, type: hard|soft|complaint, meta, created_at}`).
//!
//! The request is authenticated before its body is read as JSON: an HMAC-SHA256 under
//! `BOUNCE_WEBHOOK_SECRET` of `<timestamp>.<raw body>` in `X-Webhook-Signature: sha256=<hex>`,
//! the timestamp (Unix seconds) in `X-Webhook-Timestamp` and within five minutes of our clock
//! (Stripe's and Svix's scheme: a captured report stops working after five minutes, even once
//! the row its first delivery stored is gone); or HTTP Basic with that secret as the password
//! (how listmonk's own webhook is called; whoever can replay that holds the secret anyway).
//! Both compared in constant time. A hard bounce or a complaint blocklists the address at
//! once, soft bounces do at `NEWSLETTER_SOFT_BOUNCE_LIMIT`. A report is stored under a digest
//! of its fields, so a replay within the window (a provider retrying) changes nothing.

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde::Deserialize;
use shared::crypto::{constant_time_eq, hmac_sha256, sha256};
use shared::db::DbPool;
use shared::infrastructure::jose::b64url_decode;

use super::NewsletterError;
use crate::db;
use crate::db::bounces::NewBounce;

/// The header carrying the signature of the timestamp and the body.
pub const SIGNATURE_HEADER: &str = "x-webhook-signature";
/// The header carrying the signed timestamp (Unix seconds).
pub const TIMESTAMP_HEADER: &str = "x-webhook-timestamp";
/// How far a signed timestamp may be from our clock, either way (Stripe's default tolerance).
pub const TOLERANCE_SECS: i64 = 300;
/// Largest report read (listmonk's reports are a few hundred bytes; `meta` may carry more).
pub const MAX_BODY: usize = 64 * 1024;
/// Longest `source` kept.
const MAX_SOURCE: usize = 200;

/// What kind of bounce a report is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Hard,
    Soft,
    Complaint,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Hard => "hard",
            Kind::Soft => "soft",
            Kind::Complaint => "complaint",
        }
    }
}

/// A bounce report as listmonk's webhook takes it. Subscribers here have no UUIDs, so the
/// address is required; campaigns are named by their id (`campaign_id`, or a `campaign_uuid`
/// holding the id).
#[derive(Debug, Deserialize)]
pub struct Report {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub subscriber_uuid: Option<String>,
    #[serde(default)]
    pub campaign_id: Option<i64>,
    #[serde(default)]
    pub campaign_uuid: Option<String>,
    pub source: String,
    #[serde(rename = "type")]
    pub kind: Kind,
    #[serde(default)]
    pub meta: Option<serde_json::Value>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

impl Report {
    /// Reads and checks a body ([`NewsletterError::BadBounce`] says what is wrong).
    pub fn parse(body: &[u8]) -> Result<Report, NewsletterError> {
        let report: Report = serde_json::from_slice(body)
            .map_err(|e| NewsletterError::BadBounce(format!("Not a bounce report: {e}.")))?;
        let source = report.source.trim();
        if source.is_empty() || source.chars().count() > MAX_SOURCE {
            return Err(NewsletterError::BadBounce(format!(
                "`source` must be 1 to {MAX_SOURCE} characters."
            )));
        }
        match report.email.as_deref().map(str::trim) {
            Some(e) if shared::contracts::email::is_valid(e) => {}
            Some(_) => {
                return Err(NewsletterError::BadBounce(
                    "`email` is not an e-mail address.".into(),
                ));
            }
            None if report.subscriber_uuid.is_some() => {
                return Err(NewsletterError::BadBounce(
                    "Subscribers are named by `email` here (there are no subscriber UUIDs).".into(),
                ));
            }
            None => return Err(NewsletterError::BadBounce("`email` is required.".into())),
        }
        if let Some(uuid) = report.campaign_uuid.as_deref()
            && report.campaign_id.is_none()
            && uuid.trim().parse::<i64>().is_err()
        {
            return Err(NewsletterError::BadBounce(
                "`campaign_uuid` must hold a campaign's id (campaigns have no UUIDs here).".into(),
            ));
        }
        Ok(report)
    }

    fn email(&self) -> &str {
        self.email.as_deref().map_or("", str::trim)
    }

    fn campaign(&self) -> Option<i64> {
        self.campaign_id.or_else(|| {
            self.campaign_uuid
                .as_deref()
                .and_then(|u| u.trim().parse().ok())
        })
    }

    fn meta_json(&self) -> String {
        // serde_json's maps are sorted, so equal meta gives equal text (and digests).
        self.meta
            .as_ref()
            .unwrap_or(&serde_json::Value::Object(Default::default()))
            .to_string()
    }

    /// The digest a replay of this report shares.
    fn digest(&self, subscriber_id: i64, campaign_id: Option<i64>) -> String {
        let fields = serde_json::json!([
            subscriber_id,
            campaign_id,
            self.kind.as_str(),
            self.source.trim(),
            self.created_at.map(|t| t.to_rfc3339()),
            self.meta_json(),
        ]);
        hex::encode(sha256(fields.to_string().as_bytes()))
    }
}

/// What a request presents to authenticate itself (header values, as sent).
#[derive(Debug, Default, Clone, Copy)]
pub struct Presented<'a> {
    pub signature: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub authorization: Option<&'a str>,
}

/// Why a request was refused (every one is a 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("The bounce report is not signed with the webhook's secret.")]
    NotSigned,
    #[error("The bounce report's signature has no `X-Webhook-Timestamp` (Unix seconds).")]
    NoTimestamp,
    #[error("The bounce report's timestamp is more than five minutes from now.")]
    Stale,
}

/// The bytes a signature covers: the timestamp as sent, a dot, the raw body.
pub fn signed_message(timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(timestamp.len() + 1 + body.len());
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'.');
    message.extend_from_slice(body);
    message
}

/// Checks that the request carries the secret: a good signature of a fresh timestamp and the
/// body, or the Basic password. `now` is Unix seconds.
pub fn authenticate(
    secret: &[u8],
    presented: Presented<'_>,
    body: &[u8],
    now: i64,
) -> Result<(), Refused> {
    if let Some(sig) = presented.signature {
        let timestamp = presented
            .timestamp
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Refused::NoTimestamp)?;
        // Digits only, so the signed text has one reading.
        let at: i64 = timestamp
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| timestamp.parse().ok())
            .flatten()
            .ok_or(Refused::NoTimestamp)?;
        let hex_sig = sig.trim();
        let hex_sig = hex_sig.strip_prefix("sha256=").unwrap_or(hex_sig);
        let (Ok(given), Ok(expected)) = (
            hex::decode(hex_sig),
            hmac_sha256(secret, &signed_message(timestamp, body)),
        ) else {
            return Err(Refused::NotSigned);
        };
        if !constant_time_eq(&given, &expected) {
            return Err(Refused::NotSigned);
        }
        // Checked after the signature, so an unsigned request learns nothing about our clock.
        if now.abs_diff(at) > TOLERANCE_SECS.unsigned_abs() {
            return Err(Refused::Stale);
        }
        return Ok(());
    }
    let Some(encoded) = presented
        .authorization
        .and_then(|a| a.trim().strip_prefix("Basic "))
    else {
        return Err(Refused::NotSigned);
    };
    // Standard base64 in the jose decoder's url-safe alphabet.
    let url_safe = encoded
        .trim()
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_");
    let Ok(decoded) = b64url_decode(&url_safe) else {
        return Err(Refused::NotSigned);
    };
    let password = match decoded.iter().position(|&b| b == b':') {
        Some(i) => &decoded[i + 1..],
        None => return Err(Refused::NotSigned),
    };
    if constant_time_eq(password, secret) {
        Ok(())
    } else {
        Err(Refused::NotSigned)
    }
}

/// What a report did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Stored; `blocklisted` when this report stopped mail to the address.
    Recorded { blocklisted: bool },
    /// The same report was stored before: nothing changed.
    Replay,
    /// No subscriber has the address: nothing stored.
    UnknownAddress,
}

/// Records a checked report in one transaction.
pub async fn record(
    pool: &DbPool,
    report: &Report,
    soft_limit: i64,
) -> Result<Outcome, NewsletterError> {
    let mut conn = pool.get().await?;
    conn.transaction(async |conn| {
        let Some(subscriber_id) = db::bounces::lock_subscriber(conn, report.email()).await? else {
            return Ok::<_, NewsletterError>(Outcome::UnknownAddress);
        };
        // A campaign we do not know (deleted, or another sender's) is left out, not refused:
        // the bounce still counts against the address.
        let campaign_id = match report.campaign() {
            Some(id) => db::campaigns::by_id(conn, id).await?.map(|c| c.id),
            None => None,
        };
        let digest = report.digest(subscriber_id, campaign_id);
        let meta = report.meta_json();
        let stored = db::bounces::insert(
            conn,
            &NewBounce {
                subscriber_id,
                campaign_id,
                kind: report.kind.as_str(),
                source: report.source.trim(),
                meta: &meta,
                bounced_at: report.created_at.unwrap_or_else(Utc::now),
                digest: &digest,
            },
        )
        .await?;
        if !stored {
            return Ok(Outcome::Replay);
        }
        let block = match report.kind {
            Kind::Hard | Kind::Complaint => true,
            Kind::Soft => db::bounces::count_of(conn, subscriber_id, "soft").await? >= soft_limit,
        };
        let blocklisted =
            block && db::bounces::blocklist(conn, subscriber_id, report.kind.as_str()).await?;
        Ok(Outcome::Recorded { blocklisted })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef";

    const NOW: i64 = 1_796_400_000;

    fn signed<'a>(sig: &'a str, ts: &'a str) -> Presented<'a> {
        Presented {
            signature: Some(sig),
            timestamp: Some(ts),
            authorization: None,
        }
    }

    fn sign(secret: &[u8], ts: &str, body: &[u8]) -> String {
        hex::encode(hmac_sha256(secret, &signed_message(ts, body)).unwrap())
    }

    #[test]
    fn a_signature_of_a_fresh_timestamp_or_the_basic_password_authenticates() {
        let body = br#"{"email":"a@example.org","source":"api","type":"hard"}"#;
        let ts = NOW.to_string();
        let sig = sign(SECRET, &ts, body);
        let check = |p: Presented<'_>, body: &[u8]| authenticate(SECRET, p, body, NOW);
        assert_eq!(check(signed(&format!("sha256={sig}"), &ts), body), Ok(()));
        assert_eq!(check(signed(&sig, &ts), body), Ok(()));
        // Within five minutes either way of our clock.
        for skew in [-TOLERANCE_SECS, TOLERANCE_SECS] {
            let ts = (NOW + skew).to_string();
            assert_eq!(check(signed(&sign(SECRET, &ts, body), &ts), body), Ok(()));
        }
        // Another body, another secret, a truncated or non-hex signature.
        assert_eq!(check(signed(&sig, &ts), b"{}"), Err(Refused::NotSigned));
        assert_eq!(
            authenticate(b"another-secret-123", signed(&sig, &ts), body, NOW),
            Err(Refused::NotSigned)
        );
        assert_eq!(
            check(signed(&sig[..10], &ts), body),
            Err(Refused::NotSigned)
        );
        assert_eq!(
            check(signed("sha256=zz", &ts), body),
            Err(Refused::NotSigned)
        );
        // The signature covers the timestamp: moving it breaks the signature.
        let moved = (NOW + 1).to_string();
        assert_eq!(check(signed(&sig, &moved), body), Err(Refused::NotSigned));
        // A body-only signature (no timestamp signed or sent) is refused.
        let body_only = hex::encode(hmac_sha256(SECRET, body).unwrap());
        let no_ts = Presented {
            signature: Some(&body_only),
            ..Presented::default()
        };
        assert_eq!(check(no_ts, body), Err(Refused::NoTimestamp));
        for bad in [
            "",
            " ",
            "-5",
            "+1796400000",
            "1796400000.5",
            "1e9",
            "99999999999999999999",
        ] {
            assert_eq!(
                check(signed(&sign(SECRET, bad, body), bad), body),
                Err(Refused::NoTimestamp),
                "{bad:?}"
            );
        }
        // A captured report, replayed more than five minutes later (or dated ahead): refused.
        for skew in [-TOLERANCE_SECS - 1, TOLERANCE_SECS + 1, -86_400] {
            let ts = (NOW + skew).to_string();
            assert_eq!(
                check(signed(&sign(SECRET, &ts, body), &ts), body),
                Err(Refused::Stale),
                "{skew}"
            );
        }
        // A wrong signature is not rescued by a right password.
        let basic = format!("Basic {}", openssl_free_b64(b"listmonk:0123456789abcdef"));
        fn password(auth: &str) -> Presented<'_> {
            Presented {
                authorization: Some(auth),
                ..Presented::default()
            }
        }
        assert_eq!(check(password(&basic), body), Ok(()));
        let both = Presented {
            authorization: Some(&basic),
            ..signed("sha256=00", &ts)
        };
        assert_eq!(check(both, body), Err(Refused::NotSigned));
        let wrong = format!("Basic {}", openssl_free_b64(b"listmonk:0123456789abcdeX"));
        for auth in [wrong.as_str(), "Basic !!!", "Bearer 0123456789abcdef"] {
            assert_eq!(
                check(password(auth), body),
                Err(Refused::NotSigned),
                "{auth}"
            );
        }
        assert_eq!(check(Presented::default(), body), Err(Refused::NotSigned));
    }

    /// Standard base64 (with padding), written out so the test does not reuse the decoder.
    fn openssl_free_b64(bytes: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn reports_are_checked() {
        let ok = Report::parse(
            br#"{"email":"a@example.org","campaign_uuid":"12","source":"ses","type":"soft","meta":{"b":1,"a":2},"created_at":"2026-12-04T10:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(ok.kind, Kind::Soft);
        assert_eq!(ok.campaign(), Some(12));
        assert_eq!(ok.meta_json(), r#"{"a":2,"b":1}"#);
        for bad in [
            &b"not json"[..],
            br#"{"email":"a@example.org","source":"api","type":"bounced"}"#,
            br#"{"email":"a@example.org","type":"hard"}"#,
            br#"{"email":"a@example.org","source":" ","type":"hard"}"#,
            br#"{"email":"nobody","source":"api","type":"hard"}"#,
            br#"{"subscriber_uuid":"5e2c","source":"api","type":"hard"}"#,
            br#"{"source":"api","type":"hard"}"#,
            br#"{"email":"a@example.org","source":"api","type":"hard","campaign_uuid":"9f86b50d"}"#,
            br#"{"email":"a@example.org","source":"api","type":"hard","created_at":"yesterday"}"#,
        ] {
            assert!(
                matches!(Report::parse(bad), Err(NewsletterError::BadBounce(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_replay_shares_the_digest_and_another_bounce_does_not() {
        let a = Report::parse(
            br#"{"email":"a@example.org","source":"api","type":"soft","meta":{"x":1,"y":2}}"#,
        )
        .unwrap();
        let same = Report::parse(
            br#"{"type":"soft","meta":{"y":2,"x":1},"source":"api","email":"A@example.org"}"#,
        )
        .unwrap();
        let later = Report::parse(br#"{"email":"a@example.org","source":"api","type":"soft","meta":{"x":1,"y":2},"created_at":"2026-12-04T10:00:00Z"}"#).unwrap();
        assert_eq!(a.digest(1, None), same.digest(1, None));
        assert_ne!(a.digest(1, None), later.digest(1, None));
        assert_ne!(a.digest(1, None), a.digest(1, Some(3)));
        assert_ne!(a.digest(1, None), a.digest(2, None));
    }
}
