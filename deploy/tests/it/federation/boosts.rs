//! Boosts of posts hosted elsewhere: an `Announce` names a post on a third server, and only that
//! server's copy (fetched, signed, through the guarded fetcher) is stored; whatever the booster
//! embeds is never trusted.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use serde_json::{Value, json};
use shared::AppName;
use shared::activitypub::PUBLIC;
use shared::activitypub::actors::LocalActor;
use shared::db::schema::{ap_activities, ap_objects, ap_reactions};

use crate::support::peer::{AS_JSON, Peer, post_signed};
use crate::support::{TestFleet, eventually};

/// Each GET the origin answered: its path and `signature` header.
type Gets = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// The server a boosted post lives on: serves `docs` by path and remembers each GET's path and
/// `signature` header.
struct Origin {
    gets: Gets,
    handle: actix_web::dev::ServerHandle,
}

impl Origin {
    async fn start(listener: TcpListener, docs: HashMap<String, Value>) -> Origin {
        let gets = Arc::new(Mutex::new(Vec::new()));
        let state = web::Data::new((docs, gets.clone()));
        let server = HttpServer::new(move || {
            App::new().app_data(state.clone()).default_service(web::to(
                |req: HttpRequest, state: web::Data<(HashMap<String, Value>, Gets)>| async move {
                    let signature = req
                        .headers()
                        .get("signature")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    state
                        .1
                        .lock()
                        .unwrap()
                        .push((req.path().to_owned(), signature));
                    match state.0.get(req.path()) {
                        Some(doc) => HttpResponse::Ok()
                            .content_type(AS_JSON)
                            .body(doc.to_string()),
                        None => HttpResponse::NotFound().finish(),
                    }
                },
            ))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Origin { gets, handle }
    }

    fn fetched(&self, path: &str) -> Vec<Option<String>> {
        self.gets
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, s)| s.clone())
            .collect()
    }
}

async fn stored(t: &TestFleet, id: &str) -> Option<(String, String)> {
    ap_objects::table
        .find(id)
        .select((ap_objects::attributed_to, ap_objects::content))
        .first(&mut t.db.conn().await)
        .await
        .optional()
        .unwrap()
}

async fn processed(t: &TestFleet, activity_id: &str) -> bool {
    ap_activities::table
        .filter(ap_activities::activity_id.eq(activity_id))
        .select(ap_activities::status)
        .first::<String>(&mut t.db.conn().await)
        .await
        .is_ok_and(|s| s == "done")
}

#[actix_web::test]
async fn a_boost_of_a_post_hosted_elsewhere_stores_only_the_origins_copy() {
    let t = TestFleet::start().await;
    let (peer, actors) = Peer::start(&["mallory"]).await;
    let mallory = &actors[0];

    // The origin: olga's public post, a post claiming an author on another host, nothing at /3.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!(
        "http://origin.localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let olga = format!("{base}/users/olga");
    let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    let pem = String::from_utf8(key.public_key_to_pem().unwrap()).unwrap();
    let note = |n: u32, author: &str, content: &str| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{base}/notes/{n}"), "type": "Note", "attributedTo": author,
            "content": content, "to": [PUBLIC], "cc": [format!("{olga}/followers")],
            "published": chrono::Utc::now().to_rfc3339(),
        })
    };
    let docs = HashMap::from([
        (
            "/users/olga".to_owned(),
            json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": olga, "type": "Person", "preferredUsername": "olga", "name": "Olga of the origin",
                "inbox": format!("{olga}/inbox"),
                "publicKey": {"id": format!("{olga}#main-key"), "owner": olga, "publicKeyPem": pem},
            }),
        ),
        (
            "/notes/1".to_owned(),
            note(1, &olga, "<p>The real pear tart recipe</p>"),
        ),
        (
            "/notes/2".to_owned(),
            note(2, &mallory.id, "<p>Spoofed authorship</p>"),
        ),
    ]);
    let origin = Origin::start(listener, docs).await;
    let inbox = t.fleet.at(AppName::Federation, "/inbox");
    let announce = |n: u32, embedded: Value| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/boost-{n}", mallory.id), "type": "Announce",
            "actor": mallory.id, "to": [PUBLIC], "cc": [format!("{}/followers", mallory.id)],
            "published": chrono::Utc::now().to_rfc3339(),
            "object": embedded,
        })
    };
    let send = |activity: Value| {
        let body = activity.to_string();
        let inbox = inbox.clone();
        let client = t.client.clone();
        async move {
            post_signed(
                &client,
                &inbox,
                body.as_bytes(),
                &mallory.key,
                &mallory.key_id(),
                |_| {},
            )
            .await
        }
    };

    // 1. mallory embeds a forged copy of olga's post: the origin's copy is what we keep.
    let note1 = format!("{base}/notes/1");
    let forged = json!({
        "id": note1, "type": "Note", "attributedTo": olga,
        "content": "<p>FORGED: send your password to mallory</p>", "to": [PUBLIC],
    });
    assert_eq!(send(announce(1, forged)).await, 202);
    eventually(15, "the boosted post fetched from its origin", || async {
        stored(&t, &note1).await.is_some()
    })
    .await;
    let (author, content) = stored(&t, &note1).await.unwrap();
    assert_eq!(author, olga);
    assert!(content.contains("The real pear tart recipe"), "{content}");
    assert!(!content.contains("FORGED"));
    // Fetched signed, as federation's own actor.
    let federation_key =
        LocalActor::App(AppName::Federation).key_id(t.fleet.ctx(AppName::Federation).config());
    let gets = origin.fetched("/notes/1");
    assert_eq!(gets.len(), 1, "{gets:?}");
    assert!(
        gets[0]
            .as_deref()
            .is_some_and(|s| s.contains(&federation_key) || s.contains("sig1")),
        "{gets:?}"
    );
    // The boost is recorded once, and the federated timeline shows the origin's words only.
    let boosts: i64 = ap_reactions::table
        .filter(ap_reactions::actor.eq(&mallory.id))
        .filter(ap_reactions::object_id.eq(&note1))
        .filter(ap_reactions::kind.eq("Announce"))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(boosts, 1);
    let public = t.get(AppName::Federation, "/public", None).await;
    assert!(public.body.contains("The real pear tart recipe"));
    assert!(!public.body.contains("FORGED"));

    // A second boost of a post we hold: not fetched again.
    let bare = json!(note1);
    assert_eq!(send(announce(4, bare)).await, 202);
    eventually(15, "the second boost processed", || async {
        processed(&t, &format!("{}/activities/boost-4", mallory.id)).await
    })
    .await;
    assert_eq!(origin.fetched("/notes/1").len(), 1);

    // 2. The origin's copy names an author on another host: nothing stored.
    let note2 = format!("{base}/notes/2");
    assert_eq!(send(announce(2, json!(note2))).await, 202);
    // 3. Nothing at the origin (404), with an embedded copy that would otherwise do: nothing
    // stored either.
    let note3 = format!("{base}/notes/3");
    let embedded = json!({
        "id": note3, "type": "Note", "attributedTo": olga, "content": "<p>never there</p>", "to": [PUBLIC],
    });
    assert_eq!(send(announce(3, embedded)).await, 202);
    for n in [2, 3] {
        eventually(15, "the boost processed", || async {
            processed(&t, &format!("{}/activities/boost-{n}", mallory.id)).await
        })
        .await;
    }
    assert_eq!(origin.fetched("/notes/2").len(), 1);
    assert_eq!(origin.fetched("/notes/3").len(), 1);
    assert_eq!(stored(&t, &note2).await, None);
    assert_eq!(stored(&t, &note3).await, None);
    let public = t.get(AppName::Federation, "/public", None).await;
    assert!(!public.body.contains("Spoofed") && !public.body.contains("never there"));

    origin.handle.stop(false).await;
    peer.stop().await;
    t.stop().await;
}
