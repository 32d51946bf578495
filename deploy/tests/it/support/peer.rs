//! A remote ActivityPub server for inbox tests, and Mastodon-style signed POSTs.

use std::net::TcpListener;

use actix_web::{App, HttpResponse, HttpServer, web};
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use serde_json::{Value, json};
use shared::activitypub::httpsig::{self, Message};

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
