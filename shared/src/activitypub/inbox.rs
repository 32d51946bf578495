//! The inbox: verify the HTTP signature against the raw body and headers, check origins, store
//! the activity once (by id) and answer 202. Everything else happens in federation's processor.

use actix_web::HttpRequest;
use actix_web::http::StatusCode;
use serde_json::Value;

use super::ActivityPub;
use super::actors::LocalActor;
use super::fetch::Signer;
use super::httpsig::{Message, Presented, SigError};
use super::store::{self, RemoteActor};
use super::{host_of, id_of, sanitize};
use crate::infrastructure::errors::AppError;

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unavailable(String),
}

impl InboxError {
    pub fn status(&self) -> StatusCode {
        match self {
            InboxError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            InboxError::Forbidden(_) => StatusCode::FORBIDDEN,
            InboxError::BadRequest(_) => StatusCode::BAD_REQUEST,
            InboxError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl From<AppError> for InboxError {
    fn from(e: AppError) -> Self {
        InboxError::Unavailable(e.to_string())
    }
}

impl From<diesel::result::Error> for InboxError {
    fn from(e: diesel::result::Error) -> Self {
        InboxError::Unavailable(e.to_string())
    }
}

fn unauthorized(e: SigError) -> InboxError {
    InboxError::Unauthorized(format!("signature: {e}"))
}

/// What became of a delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    Stored(i64),
    /// Seen before (same activity id): nothing stored.
    Duplicate,
    /// From one of our own actors (a loop): nothing stored.
    Ignored,
}

/// Parses an actor document (or the key document that names its owner's actor) into what we
/// keep. `key_id`: the key the document must publish.
pub fn parse_actor(doc: &Value, key_id: &str) -> Result<RemoteActor, String> {
    let id = doc["id"].as_str().ok_or("actor without id")?;
    let keys: Vec<&Value> = match &doc["publicKey"] {
        Value::Array(items) => items.iter().collect(),
        v @ Value::Object(_) => vec![v],
        _ => Vec::new(),
    };
    let key = keys
        .into_iter()
        .find(|k| k["id"].as_str() == Some(key_id))
        .ok_or("the actor does not publish that key")?;
    if key["owner"].as_str() != Some(id) {
        return Err("the key's owner is not the actor".into());
    }
    // Every caller (the inbox's key fetch, `remote::refresh`) relies on this: a server speaks
    // only for its own actors.
    if host_of(id).is_none() || host_of(id) != host_of(key_id) {
        return Err("the key and its owner live on different hosts".into());
    }
    let pem = key["publicKeyPem"].as_str().ok_or("no publicKeyPem")?;
    let inbox = doc["inbox"]
        .as_str()
        .and_then(sanitize::web_url)
        .ok_or("actor without an http(s) inbox")?;
    let text = |v: &Value| v.as_str().map(sanitize::text);
    // Every address is kept only if it is http(s): these are rendered as links and images.
    let web = |v: &Value| id_of(v).and_then(sanitize::web_url);
    let url = match &doc["url"] {
        Value::Array(items) => items.iter().find_map(&web),
        v => web(v),
    };
    Ok(RemoteActor {
        id: id.to_owned(),
        kind: doc["type"].as_str().unwrap_or("Person").to_owned(),
        preferred_username: text(&doc["preferredUsername"]),
        name: text(&doc["name"]),
        summary: doc["summary"].as_str().map(sanitize::html),
        url,
        icon: web(&doc["icon"]["url"]),
        inbox,
        shared_inbox: web(&doc["endpoints"]["sharedInbox"]),
        key_id: key_id.to_owned(),
        public_key_pem: pem.to_owned(),
        fetched_at: chrono::Utc::now(),
        deleted_at: None,
    })
}

/// Fetches (signed, as this app's actor) the actor owning `key_id` and stores it.
pub async fn fetch_actor_for_key(
    ap: &ActivityPub,
    key_id: &str,
) -> Result<RemoteActor, InboxError> {
    let me = ap.app_actor();
    let key = ap.key_of(&me).await?;
    let my_key_id = me.key_id(&ap.config);
    let signer = Signer {
        key: &key,
        key_id: &my_key_id,
    };
    let doc = ap
        .fetch_signed(key_id, &signer)
        .await
        .map_err(|e| InboxError::Unauthorized(format!("could not fetch the signing key: {e}")))?;
    // A key document names its owner; an actor document carries the key.
    let actor_doc = if doc["publicKey"].is_null() {
        let owner = doc["owner"]
            .as_str()
            .ok_or_else(|| InboxError::Unauthorized("key without owner".into()))?;
        ap.fetch_signed(owner, &signer).await.map_err(|e| {
            InboxError::Unauthorized(format!("could not fetch the key's owner: {e}"))
        })?
    } else {
        doc
    };
    let actor = parse_actor(&actor_doc, key_id).map_err(InboxError::Unauthorized)?;
    let mut conn = ap.conn().await?;
    store::upsert_remote_actor(&mut conn, &actor).await?;
    Ok(actor)
}

/// Every value of a header, joined as HTTP says.
fn header(req: &HttpRequest, name: &str) -> Option<String> {
    let values: Vec<&str> = req
        .headers()
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// Receives one delivery.
pub async fn receive(
    ap: &ActivityPub,
    req: &HttpRequest,
    body: &[u8],
) -> Result<Received, InboxError> {
    let lookup = |name: &str| header(req, name);
    if !req.headers().contains_key("signature") {
        return Err(InboxError::Unauthorized("the request is not signed".into()));
    }
    let sig = Presented::from_headers(&lookup).map_err(unauthorized)?;
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or(req.path(), |pq| pq.as_str())
        .to_owned();
    let message = Message {
        method: req.method().as_str(),
        path_and_query: &path_and_query,
        headers: &lookup,
    };
    let target = target_uri(ap, &path_and_query)?;
    sig.check(
        &message,
        &target,
        Some(body),
        chrono::Utc::now().timestamp(),
    )
    .map_err(unauthorized)?;

    let activity: Value = serde_json::from_slice(body)
        .map_err(|e| InboxError::BadRequest(format!("not JSON: {e}")))?;
    let actor_id = activity
        .get("actor")
        .and_then(id_of)
        .ok_or_else(|| InboxError::BadRequest("no actor".into()))?
        .to_owned();
    let activity_id = activity["id"]
        .as_str()
        .ok_or_else(|| InboxError::BadRequest("no id".into()))?
        .to_owned();
    let kind = activity["type"]
        .as_str()
        .ok_or_else(|| InboxError::BadRequest("no type".into()))?
        .to_owned();
    if url::Url::parse(&actor_id).is_err() || url::Url::parse(&activity_id).is_err() {
        return Err(InboxError::BadRequest("actor and id must be URLs".into()));
    }
    // Our own actors never deliver to us: anything claiming so is a loop or a forgery.
    if LocalActor::is_local_iri(&ap.config, &actor_id)
        || LocalActor::is_local_iri(&ap.config, sig.key_id())
    {
        return Ok(Received::Ignored);
    }
    {
        let mut conn = ap.conn().await?;
        if store::is_blocked(&mut conn, &actor_id).await? {
            return Err(InboxError::Forbidden("blocked".into()));
        }
    }

    // The key: remembered, else stored, else fetched; on a failed verification, refetched once
    // (keys rotate).
    let owner = match ap.public_keys.recent(sig.key_id()) {
        Some((owner, key)) if sig.verify_with(&message, &target, &key).is_ok() => owner,
        _ => verified_owner(ap, &sig, &message, &target).await?,
    };

    // Origins: the key's owner is the actor; the activity and its object live on its host.
    if owner != actor_id {
        return Err(InboxError::Unauthorized(
            "the signing key does not belong to the activity's actor".into(),
        ));
    }
    let actor_host = host_of(&actor_id);
    if host_of(&activity_id) != actor_host {
        return Err(InboxError::Forbidden(
            "the activity id is on another host than its actor".into(),
        ));
    }
    let object = &activity["object"];
    match kind.as_str() {
        "Create" | "Update" => {
            if let Value::Object(o) = object {
                let object_id = o.get("id").and_then(Value::as_str).unwrap_or("");
                if host_of(object_id) != actor_host {
                    return Err(InboxError::Forbidden(
                        "the object is on another host than its actor".into(),
                    ));
                }
                if let Some(author) = o.get("attributedTo").and_then(id_of)
                    && author != actor_id
                {
                    return Err(InboxError::Forbidden(
                        "the object is attributed to someone else".into(),
                    ));
                }
                // An edit dated ahead would win over every later (real) edit.
                if kind == "Update" && updated_in_future(o.get("updated"), chrono::Utc::now()) {
                    return Err(InboxError::BadRequest(
                        "the object's updated time is in the future".into(),
                    ));
                }
            }
        }
        "Delete" if id_of(object).and_then(host_of) != actor_host => {
            return Err(InboxError::Forbidden(
                "only objects of the actor's host can be deleted by it".into(),
            ));
        }
        "Undo" => {
            if let Value::Object(o) = object
                && o.get("actor")
                    .and_then(id_of)
                    .is_some_and(|a| a != actor_id)
            {
                return Err(InboxError::Forbidden(
                    "only the actor of an activity can undo it".into(),
                ));
            }
        }
        _ => {}
    }

    let object_id = id_of(object).map(str::to_owned);
    let mut conn = ap.conn().await?;
    match store::insert_activity(
        &mut conn,
        &activity_id,
        &kind,
        &actor_id,
        object_id.as_deref(),
        "inbound",
        &activity,
    )
    .await?
    {
        Some(row) => {
            ap.wake.wake();
            Ok(Received::Stored(row))
        }
        None => Ok(Received::Duplicate),
    }
}

/// How far ahead of our clock a remote `updated` may be (clock skew).
pub const UPDATED_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// Whether an object's `updated` lies beyond [`UPDATED_SKEW`] after `now`.
pub fn updated_in_future(updated: Option<&Value>, now: chrono::DateTime<chrono::Utc>) -> bool {
    updated
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| t > now + UPDATED_SKEW)
}

/// The owner of the signing key, from the database or a fetch, once the signature verifies.
async fn verified_owner(
    ap: &ActivityPub,
    sig: &Presented,
    message: &Message<'_>,
    target: &url::Url,
) -> Result<String, InboxError> {
    let stored = {
        let mut conn = ap.conn().await?;
        store::remote_actor_by_key(&mut conn, sig.key_id()).await?
    };
    if let Some(actor) = stored
        && verify_against(ap, sig, message, target, &actor).is_ok()
    {
        return Ok(actor.id);
    }
    let keys = &ap.public_keys;
    if keys.cooling_off(sig.key_id()) {
        return Err(InboxError::Unauthorized(
            "signature: does not verify (the key was refetched a moment ago)".into(),
        ));
    }
    let verified = match fetch_actor_for_key(ap, sig.key_id()).await {
        Ok(fresh) => verify_against(ap, sig, message, target, &fresh).map(|()| fresh.id),
        Err(e) => Err(e),
    };
    if matches!(verified, Err(InboxError::Unauthorized(_))) {
        keys.refetch_failed(sig.key_id());
    }
    verified
}

fn verify_against(
    ap: &ActivityPub,
    sig: &Presented,
    message: &Message<'_>,
    target: &url::Url,
    actor: &RemoteActor,
) -> Result<(), InboxError> {
    let public = ap
        .public_keys
        .remember(actor)
        .map_err(|e| InboxError::Unauthorized(format!("unreadable key: {e}")))?;
    sig.verify_with(message, target, &public)
        .map_err(unauthorized)
}

/// The URI a request to this app was sent to, as RFC 9421 signs it: our public origin (what
/// peers address; behind a proxy the socket's own scheme and port say nothing) and the path and
/// query received.
fn target_uri(ap: &ActivityPub, path_and_query: &str) -> Result<url::Url, InboxError> {
    let origin = ap.config.apps.public(ap.app).origin().ascii_serialization();
    url::Url::parse(&format!("{origin}{path_and_query}"))
        .map_err(|e| InboxError::BadRequest(format!("request target: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_dated_ahead_of_our_clock_are_refused() {
        let now = chrono::Utc::now();
        let at = |d: chrono::Duration| serde_json::json!((now + d).to_rfc3339());
        assert!(updated_in_future(Some(&at(chrono::Duration::days(1))), now));
        assert!(updated_in_future(
            Some(&at(chrono::Duration::minutes(6))),
            now
        ));
        assert!(!updated_in_future(
            Some(&at(chrono::Duration::minutes(4))),
            now
        ));
        assert!(!updated_in_future(
            Some(&at(-chrono::Duration::days(1))),
            now
        ));
        assert!(!updated_in_future(None, now));
    }

    #[test]
    fn actor_documents_must_publish_the_key_they_own() {
        let doc = serde_json::json!({
            "id": "https://peer.example/users/a", "type": "Person", "inbox": "https://peer.example/users/a/inbox",
            "name": "<b>A</b>", "endpoints": {"sharedInbox": "https://peer.example/inbox"},
            "publicKey": {"id": "https://peer.example/users/a#main-key", "owner": "https://peer.example/users/a", "publicKeyPem": "PEM"},
        });
        let actor = parse_actor(&doc, "https://peer.example/users/a#main-key").unwrap();
        assert_eq!(actor.name.as_deref(), Some("A"));
        assert_eq!(
            actor.shared_inbox.as_deref(),
            Some("https://peer.example/inbox")
        );
        assert!(parse_actor(&doc, "https://peer.example/users/b#main-key").is_err());
        for bad in [
            "javascript:alert(1)",
            " JaVaScRiPt:alert(1)",
            "data:text/html,x",
        ] {
            let mut hostile = doc.clone();
            hostile["url"] = bad.into();
            hostile["icon"] = serde_json::json!({"type": "Image", "url": bad});
            let actor = parse_actor(&hostile, "https://peer.example/users/a#main-key").unwrap();
            assert_eq!((actor.url, actor.icon), (None, None), "{bad}");
            hostile["inbox"] = bad.into();
            assert!(parse_actor(&hostile, "https://peer.example/users/a#main-key").is_err());
        }
        let mut stolen = doc.clone();
        stolen["publicKey"]["owner"] = "https://peer.example/users/b".into();
        assert!(parse_actor(&stolen, "https://peer.example/users/a#main-key").is_err());
        // A key served from another host (what `remote::refresh` reads from the document).
        let mut elsewhere = doc.clone();
        elsewhere["publicKey"]["id"] = "https://other.example/keys/a".into();
        assert_eq!(
            parse_actor(&elsewhere, "https://other.example/keys/a")
                .err()
                .as_deref(),
            Some("the key and its owner live on different hosts")
        );
    }
}
