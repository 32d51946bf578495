//! ActivityPub, the parts every app shares: actors and their documents, HTTP signatures, the
//! inbox (verify, check origins, store), the transactional outbox, the event bus, safe remote
//! fetches (signed in RFC 9421 or draft-cavage, whichever the host takes: `knock`) and HTML
//! sanitizing. Processing and delivery run in federation.
//!
//! This is a protocol library beneath the app: its code takes what it needs explicitly (the
//! [`ActivityPub`] state, a pool, the config) and never the app's whole context, so it can be
//! used and tested apart from the app factory. The app factory
//! (`app.rs` in `crate::infrastructure`) builds the state and mounts the protocol's web face
//! (`crate::infrastructure::activitypub_web`); nothing here names either (a test checks).

pub mod actors;
pub mod bus;
pub mod fetch;
pub mod httpsig;
pub mod inbox;
pub mod keys;
pub mod knock;
#[cfg(test)]
mod layering_check;
pub mod outbox;
pub mod sanitize;
pub mod store;
pub mod wake;

use serde_json::Value;

use crate::apps::AppName;
use crate::config::Config;
use crate::db::{DbConn, DbPool};
use crate::infrastructure::errors::AppError;
use actors::LocalActor;
use fetch::Fetcher;
use keys::{ActorKey, KeyStore, PublicKeys};
use wake::ProcessorWake;

pub const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
pub const SECURITY_CONTEXT: &str = "https://w3id.org/security/v1";
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
/// The content type we serve and send.
pub const CONTENT_TYPE: &str = "application/activity+json";
/// Largest inbound or fetched document.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// The protocol state each app holds, built once at start-up: who the app is, the fleet's
/// settings, its pool, signing keys and the guarded client for remote servers.
pub struct ActivityPub {
    pub app: AppName,
    pub config: Config,
    pub db: DbPool,
    pub keys: KeyStore,
    /// Remote actors' keys, parsed.
    pub public_keys: PublicKeys,
    pub fetcher: Fetcher,
    /// Wakes federation's processor after the inbox stores something.
    pub wake: ProcessorWake,
}

impl ActivityPub {
    pub fn new(app: AppName, config: Config, db: DbPool) -> reqwest::Result<Self> {
        Ok(ActivityPub {
            app,
            fetcher: Fetcher::new(config.federation_allow_loopback)?,
            wake: ProcessorWake::new(db.clone()),
            keys: KeyStore::default(),
            public_keys: PublicKeys::default(),
            config,
            db,
        })
    }

    /// The key `actor` signs with.
    pub async fn key_of(&self, actor: &LocalActor) -> Result<ActorKey, AppError> {
        self.keys.of(&self.db, &self.config, actor).await
    }

    /// This app's own actor.
    pub fn app_actor(&self) -> LocalActor {
        LocalActor::App(self.app)
    }

    pub async fn conn(&self) -> Result<DbConn, AppError> {
        Ok(self.db.get().await?)
    }
}

/// Whether an `Accept` header asks for ActivityStreams (q-values honoured: an explicit q=0
/// does not count).
pub fn wants_activity_json(accept: &str) -> bool {
    accept.split(',').any(|part| {
        let mut params = part.split(';').map(str::trim);
        let media = params.next().unwrap_or("").to_ascii_lowercase();
        let mut q_zero = false;
        let mut as_profile = false;
        for p in params {
            let p = p.to_ascii_lowercase();
            if p.starts_with("q=") && p[2..].parse::<f32>().is_ok_and(|q| q == 0.0) {
                q_zero = true;
            }
            if p.starts_with("profile=") && p.contains("https://www.w3.org/ns/activitystreams") {
                as_profile = true;
            }
        }
        !q_zero && (media == CONTENT_TYPE || (media == "application/ld+json" && as_profile))
    })
}

/// Whether a response's content type is an ActivityStreams document (Mastodon's rule since
/// CVE-2024-23832: activity+json, or ld+json with the AS profile).
pub fn is_activity_content_type(content_type: &str) -> bool {
    let lower = content_type.to_ascii_lowercase();
    let media = lower.split(';').next().unwrap_or("").trim();
    media == CONTENT_TYPE
        || (media == "application/ld+json"
            && lower.contains("https://www.w3.org/ns/activitystreams"))
}

/// The id of a value that is an IRI or an object with an `id`.
pub fn id_of(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => Some(s),
        Value::Object(o) => o.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// The host (with port) of an IRI.
pub fn host_of(iri: &str) -> Option<String> {
    let url = url::Url::parse(iri).ok()?;
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_negotiation() {
        assert!(wants_activity_json("application/activity+json"));
        assert!(wants_activity_json(
            r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#
        ));
        assert!(wants_activity_json(
            "text/html, application/activity+json;q=0.9"
        ));
        assert!(!wants_activity_json("application/ld+json"));
        assert!(!wants_activity_json("text/html"));
        assert!(!wants_activity_json("application/activity+json;q=0"));
        assert!(is_activity_content_type(
            "application/activity+json; charset=utf-8"
        ));
        assert!(!is_activity_content_type("application/json"));
        assert!(!is_activity_content_type("text/html"));
    }

    #[test]
    fn ids_and_hosts() {
        assert_eq!(
            id_of(&serde_json::json!("https://a.example/x")),
            Some("https://a.example/x")
        );
        assert_eq!(
            id_of(&serde_json::json!({"id": "https://a.example/y"})),
            Some("https://a.example/y")
        );
        assert_eq!(
            host_of("https://A.example:8443/x").as_deref(),
            Some("a.example:8443")
        );
        assert_eq!(host_of("https://a.example/x").as_deref(), Some("a.example"));
    }
}
