//! `Update{Person}`: a member's followers get their new actor document when their name, bio,
//! picture or `manuallyApprovesFollowers` change (signed, through the outbox); a save that
//! changes nothing sends nothing; markup in a name or bio arrives inert.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use federation::db::follows;
use openssl::pkey::{PKey, Private};
use serde_json::{Value, json};
use shared::AppName;
use shared::activitypub::actors::LocalActor;

use super::social::{actor, post};
use crate::support::peer::Captured;
use crate::support::people::member;
use crate::support::{TestFleet, eventually};

#[derive(Clone)]
struct PeerState {
    received: Arc<Mutex<Vec<Captured>>>,
    docs: Arc<Mutex<std::collections::HashMap<String, Value>>>,
}

/// A remote server that serves Person documents at `/users/{name}` and records every POST
/// (to `/inbox` or `/users/{name}/inbox`), answering 202.
pub(super) struct RemotePeer {
    pub base: String,
    state: PeerState,
    handle: actix_web::dev::ServerHandle,
}

async fn peer_get(req: HttpRequest, state: web::Data<PeerState>) -> HttpResponse {
    let name = req.match_info().get("name").unwrap_or_default().to_owned();
    match state.docs.lock().unwrap().get(&name) {
        Some(doc) => HttpResponse::Ok()
            .content_type("application/activity+json")
            .body(doc.to_string()),
        None => HttpResponse::NotFound().finish(),
    }
}

async fn peer_post(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<PeerState>,
) -> HttpResponse {
    let captured = Captured::of(&req, &body);
    state.received.lock().unwrap().push(captured);
    HttpResponse::Accepted().finish()
}

impl RemotePeer {
    pub async fn start() -> RemotePeer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!(
            "http://peer.localhost:{}",
            listener.local_addr().unwrap().port()
        );
        let state = PeerState {
            received: Arc::default(),
            docs: Arc::default(),
        };
        let data = web::Data::new(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/users/{name}", web::get().to(peer_get))
                .default_service(web::post().to(peer_post))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        RemotePeer {
            base,
            state,
            handle,
        }
    }

    /// Serves a Person `name` (with a shared inbox at `/inbox`); its id and key.
    pub fn person(&self, name: &str) -> (String, PKey<Private>) {
        let key = PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap();
        let pem = String::from_utf8(key.public_key_to_pem().unwrap()).unwrap();
        let id = format!("{}/users/{name}", self.base);
        self.state.docs.lock().unwrap().insert(
            name.to_owned(),
            json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": id, "type": "Person", "preferredUsername": name, "name": name,
                "inbox": format!("{id}/inbox"),
                "endpoints": { "sharedInbox": format!("{}/inbox", self.base) },
                "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pem },
            }),
        );
        (id, key)
    }

    /// What arrived so far, of activity type `kind`.
    pub fn received(&self, kind: &str) -> Vec<Captured> {
        self.state
            .received
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.body["type"] == kind)
            .cloned()
            .collect()
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

#[actix_web::test]
async fn followers_get_the_new_person_document_after_each_change_and_nothing_for_no_change() {
    let t = TestFleet::start().await;
    let ada_id = member(&t, "ada").await;
    let ada = t.sign_in(AppName::Federation, ada_id).await;
    let ada_actor = actor(&t, "ada");
    let ctx = t.fleet.ctx(AppName::Federation);
    let me = LocalActor::User("ada".into());
    let key = ctx.activitypub().key_of(&me).await.unwrap();
    let public = PKey::public_key_from_pem(key.public_pem.as_bytes()).unwrap();
    let peer = RemotePeer::start().await;
    let (follower, _) = peer.person("fan");
    follows::add_follower(
        &mut t.db.conn().await,
        &ada_actor,
        &follower,
        &format!("{follower}/inbox"),
        Some(&format!("{}/inbox", peer.base)),
        &format!("{follower}#follow"),
        "accepted",
    )
    .await
    .unwrap();

    let profile = |name: &'static str, bio: &'static str| {
        [("display_name", name), ("bio", bio), ("avatar_url", "")]
    };
    // A change of name and bio: one signed Update{Person} with the whole new document.
    let status = post(
        &t,
        &ada,
        "/account/profile",
        &profile(
            "Ada <b>Lovelace</b>",
            "Counts <script>alert(1)</script> & engines",
        ),
    )
    .await;
    assert_eq!(status, 303);
    eventually(20, "the first Update", || async {
        peer.received("Update").len() == 1
    })
    .await;
    let first = &peer.received("Update")[0];
    assert_eq!(first.path, "/inbox");
    assert!(first.signed_by(&me.key_id(ctx.config()), &public));
    let activity = &first.body;
    assert_eq!(activity["actor"], ada_actor);
    assert_eq!(activity["to"], json!([shared::activitypub::PUBLIC]));
    assert_eq!(activity["cc"], json!([me.followers(ctx.config())]));
    let person = &activity["object"];
    assert_eq!(person["type"], "Person");
    assert_eq!(person["id"], ada_actor);
    // `name` is plain text in ActivityStreams: the exact characters typed, which receivers
    // escape when they show them; the bio is HTML and arrives escaped, its script inert.
    assert_eq!(person["name"], "Ada <b>Lovelace</b>");
    assert_eq!(
        person["summary"],
        "Counts &lt;script&gt;alert(1)&lt;/script&gt; &amp; engines"
    );
    assert!(!person["summary"].as_str().unwrap().contains('<'));
    assert_eq!(person["manuallyApprovesFollowers"], false);
    // It is the document the actor URL serves.
    let served: Value = t
        .client
        .get(&ada_actor)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(person, &served);
    assert_eq!(activity["@context"], served["@context"]);

    // Saving the same profile again changes nothing and sends nothing.
    let status = post(
        &t,
        &ada,
        "/account/profile",
        &profile(
            "Ada <b>Lovelace</b>",
            "Counts <script>alert(1)</script> & engines",
        ),
    )
    .await;
    assert_eq!(status, 303);

    // Locking the account: the next Update says manuallyApprovesFollowers.
    assert_eq!(
        post(&t, &ada, "/social/settings", &[("locked", "on")]).await,
        303
    );
    eventually(20, "the second Update", || async {
        peer.received("Update").len() == 2
    })
    .await;
    let second = &peer.received("Update")[1];
    assert!(second.signed_by(&me.key_id(ctx.config()), &public));
    assert_eq!(second.body["object"]["manuallyApprovesFollowers"], true);
    assert_eq!(second.body["object"]["name"], "Ada <b>Lovelace</b>");
    assert_ne!(second.body["id"], first.body["id"]);
    // Locking again changes nothing.
    assert_eq!(
        post(&t, &ada, "/social/settings", &[("locked", "on")]).await,
        303
    );

    // A new name, unlocked: one more, with both.
    let status = post(&t, &ada, "/account/profile", &profile("Countess", "")).await;
    assert_eq!(status, 303);
    assert_eq!(post(&t, &ada, "/social/settings", &[]).await, 303);
    eventually(20, "the last Updates", || async {
        peer.received("Update").len() == 4
    })
    .await;
    // The two deliveries may arrive in either order (they are sent concurrently).
    let got = peer.received("Update");
    let mut last: Vec<&Value> = got[2..].iter().map(|u| &u.body["object"]).collect();
    last.sort_by_key(|o| o["manuallyApprovesFollowers"] == false);
    assert_eq!(last[0]["name"], "Countess");
    assert_eq!(last[0]["summary"], "");
    assert_eq!(last[0]["manuallyApprovesFollowers"], true);
    assert_eq!(last[1]["name"], "Countess");
    assert_eq!(last[1]["manuallyApprovesFollowers"], false);
    // The no-op saves sent nothing, even given time.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(peer.received("Update").len(), 4);
    // A refused save (no name) sends nothing either.
    assert_eq!(
        post(&t, &ada, "/account/profile", &profile("", "x")).await,
        400
    );
    // Without the CSRF token: refused, nothing sent.
    let forged = t
        .post_form(
            AppName::Federation,
            "/account/profile",
            &profile("Mallory", ""),
            Some(&ada),
            AppName::Blog,
        )
        .await;
    assert_eq!(forged.status, 403);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(peer.received("Update").len(), 4);
    peer.stop().await;
}
