//! A remote ActivityPub server for inbox tests, and Mastodon-style signed POSTs.

use std::net::TcpListener;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use openssl::pkey::{HasPublic, PKey, Private};
use openssl::rsa::Rsa;
use serde_json::{Value, json};
use shared::activitypub::httpsig::{self, Message, Presented, rfc9421};

pub const AS_JSON: &str = "application/activity+json";

/// A remote server for the inbox tests: it only serves its actors' documents.
pub struct Peer {
    pub base: String,
    handle: actix_web::dev::ServerHandle,
}

pub struct PeerActor {
    pub id: String,
    pub key: PKey<Private>,
}

impl PeerActor {
    pub fn key_id(&self) -> String {
        format!("{}#main-key", self.id)
    }
}

impl Peer {
    /// Serves `names` as Person actors at `http://peer.localhost:<port>/users/<name>`.
    pub async fn start(names: &[&str]) -> (Peer, Vec<PeerActor>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!(
            "http://peer.localhost:{}",
            listener.local_addr().unwrap().port()
        );
        let mut docs = std::collections::HashMap::new();
        let mut actors = Vec::new();
        for name in names {
            let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
            let id = format!("{base}/users/{name}");
            let pem = String::from_utf8(key.public_key_to_pem().unwrap()).unwrap();
            docs.insert(
                (*name).to_owned(),
                json!({
                    "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                    "id": id, "type": "Person", "preferredUsername": name, "inbox": format!("{id}/inbox"),
                    "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pem },
                }),
            );
            actors.push(PeerActor { id, key });
        }
        let docs = web::Data::new(docs);
        let server = HttpServer::new(move || {
            App::new().app_data(docs.clone()).route(
                "/users/{name}",
                web::get().to(|name: web::Path<String>, docs: web::Data<std::collections::HashMap<String, Value>>| async move {
                    match docs.get(name.as_str()) {
                        Some(doc) => HttpResponse::Ok().content_type(AS_JSON).body(doc.to_string()),
                        None => HttpResponse::NotFound().finish(),
                    }
                }),
            )
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        (Peer { base, handle }, actors)
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

/// Signs and POSTs `body` to `url` as `actor` (Mastodon's header set), with `tweak` applied to
/// the headers before sending.
pub async fn post_signed(
    client: &reqwest::Client,
    url: &str,
    body: &[u8],
    key: &PKey<Private>,
    key_id: &str,
    tweak: impl FnOnce(&mut Vec<(String, String)>),
) -> u16 {
    let parsed = url::Url::parse(url).unwrap();
    let host = format!("{}:{}", parsed.host_str().unwrap(), parsed.port().unwrap());
    let mut headers = vec![
        ("host".to_owned(), host),
        ("date".to_owned(), httpsig::http_date(chrono::Utc::now())),
        ("digest".to_owned(), httpsig::digest_header(body)),
        ("content-type".to_owned(), AS_JSON.to_owned()),
    ];
    let lookup = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let message = Message {
        method: "POST",
        path_and_query: parsed.path(),
        headers: &lookup,
    };
    let signature = httpsig::sign(
        key,
        key_id,
        &message,
        &["(request-target)", "host", "date", "digest", "content-type"],
    )
    .unwrap();
    headers.push(("signature".into(), signature));
    tweak(&mut headers);
    let mut req = client.post(url).body(body.to_vec());
    for (k, v) in &headers {
        if k != "host" {
            req = req.header(k.as_str(), v.as_str());
        }
    }
    req.send().await.unwrap().status().as_u16()
}

/// A request a test peer received, as it came: `body` parsed as JSON (`Null` if it is not),
/// `raw` the bytes a signature's digest covers.
#[derive(Clone, Debug)]
pub struct Captured {
    pub host: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Captured {
    pub fn of(req: &HttpRequest, body: &[u8]) -> Captured {
        Captured {
            host: req
                .headers()
                .get("host")
                .and_then(|h| h.to_str().ok())
                .unwrap_or("")
                .to_owned(),
            path: req
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned(),
            headers: req
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect(),
            body: serde_json::from_slice(body).unwrap_or(Value::Null),
            raw: body.to_vec(),
        }
    }

    /// A header's values, joined as HTTP joins repeated fields.
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }

    /// Whether the request carries a valid HTTP signature (RFC 9421 or cavage) by `key_id`
    /// that verifies with `key`.
    pub fn signed_by<T: HasPublic>(&self, key_id: &str, key: &PKey<T>) -> bool {
        let lookup = |n: &str| self.header(n);
        let now = chrono::Utc::now().timestamp();
        match Presented::from_headers(&lookup) {
            Ok(Presented::Rfc9421(sig)) => {
                let Ok(target) = url::Url::parse(&format!("http://{}{}", self.host, self.path))
                else {
                    return false;
                };
                let request = rfc9421::Request {
                    method: "POST",
                    target: &target,
                    headers: &lookup,
                };
                sig.key_id == key_id
                    && rfc9421::check(&sig, &request, Some(&self.raw), now)
                        .and_then(|()| rfc9421::verify_with(&sig, &request, key))
                        .is_ok()
            }
            Ok(Presented::Cavage(sig)) => {
                let message = Message {
                    method: "POST",
                    path_and_query: &self.path,
                    headers: &lookup,
                };
                sig.key_id == key_id
                    && httpsig::check(&sig, &message, Some(&self.raw), now)
                        .and_then(|()| httpsig::verify_with(&sig, &message, key))
                        .is_ok()
            }
            Err(_) => false,
        }
    }
}
