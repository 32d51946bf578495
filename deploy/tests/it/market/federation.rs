//! Federated listings: a follower of `@market` gets one signed `Create` of a `Note` (title,
//! price, description, link, first image with its alt text, hashtags) when a product goes
//! live, an `Update` (with `updated`) for each edit of a live product, and a `Delete` with a
//! Tombstone when it is archived or deleted, after which its object answers 410. Drafts send
//! nothing; a title with markup arrives escaped. The same, once each, to a third-party follower
//! (the bovine peer) that found `@market` by WebFinger.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use federation::db::follows;
use openssl::pkey::{PKey, Public};
use serde_json::{Value, json};
use shared::AppName;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::httpsig::{self, Message};
use shared::db::schema::ap_activities;

use crate::support::bovine::Peer;
use crate::support::people::person;
use crate::support::{TestFleet, eventually};

const AS_JSON: &str = "application/activity+json";

/// A follower's inbox that keeps what arrives signed (draft-cavage, verified with the market
/// actor's key) and refuses anything else with 401 (so RFC 9421 knocks fall back to cavage).
struct Inbox {
    key_id: String,
    key: PKey<Public>,
    received: Mutex<Vec<Value>>,
}

async fn receive(req: HttpRequest, body: web::Bytes, inbox: web::Data<Inbox>) -> HttpResponse {
    let lookup = |name: &str| -> Option<String> {
        let values: Vec<&str> = req
            .headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    };
    let path = req
        .uri()
        .path_and_query()
        .map_or(req.path(), |p| p.as_str());
    let message = Message {
        method: req.method().as_str(),
        path_and_query: path,
        headers: &lookup,
    };
    let verified = lookup("signature")
        .and_then(|s| httpsig::parse(&s).ok())
        .filter(|sig| sig.key_id == inbox.key_id)
        .filter(|sig| {
            httpsig::check(sig, &message, Some(&body), chrono::Utc::now().timestamp()).is_ok()
        })
        .is_some_and(|sig| httpsig::verify_with(&sig, &message, &inbox.key).is_ok());
    if !verified {
        return HttpResponse::Unauthorized().finish();
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(activity) => {
            inbox.received.lock().unwrap().push(activity);
            HttpResponse::Accepted().finish()
        }
        Err(_) => HttpResponse::BadRequest().finish(),
    }
}

impl Inbox {
    fn of_kind(&self, kind: &str) -> Vec<Value> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a["type"] == kind)
            .cloned()
            .collect()
    }

    fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }
}

/// Starts the follower's server; returns its inbox and the follower's actor id.
async fn follower(t: &TestFleet) -> (Arc<Inbox>, String, actix_web::dev::ServerHandle) {
    let config = t.fleet.ctx(AppName::Market).config().clone();
    let market = LocalActor::App(AppName::Market);
    let actor: Value = t
        .client
        .get(t.fleet.at(AppName::Market, "/actor"))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pem = actor["publicKey"]["publicKeyPem"].as_str().unwrap();
    let inbox = Arc::new(Inbox {
        key_id: actor["publicKey"]["id"].as_str().unwrap().to_owned(),
        key: PKey::public_key_from_pem(pem.as_bytes()).unwrap(),
        received: Mutex::new(Vec::new()),
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!(
        "http://follower.localhost:{}",
        listener.local_addr().unwrap().port()
    );
    let data = web::Data::from(inbox.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/users/fan/inbox", web::post().to(receive))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let fan = format!("{base}/users/fan");
    follows::add_follower(
        &mut t.db.conn().await,
        &market.id(&config),
        &fan,
        &format!("{fan}/inbox"),
        None,
        &format!("{fan}#follow-market"),
        "accepted",
    )
    .await
    .unwrap();
    (inbox, fan, handle)
}

/// Outbound activities the market recorded.
async fn recorded(t: &TestFleet) -> i64 {
    let config = t.fleet.ctx(AppName::Market).config().clone();
    ap_activities::table
        .filter(ap_activities::direction.eq("outbound"))
        .filter(ap_activities::actor.eq(LocalActor::App(AppName::Market).id(&config)))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

const TITLE: &str = "Fell hat <script>alert(1)</script>";
const VARIANTS: &str = "S | HAT-S | 18.00 | 3\nL | HAT-L | 21.50 | untracked";
const IMAGES: &str = "https://img.example/hat-1.jpg | A red wool hat on a post\n\
    https://img.example/hat-2.png | The hat, folded";

fn form<'a>(title: &'a str, description: &'a str, status: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("slug", "fell-hat"),
        ("description", description),
        ("status", status),
        ("tags", "wool, hats"),
        ("option1", "Size"),
        ("variants", VARIANTS),
        ("images", IMAGES),
    ]
}

/// GETs an object by its id (on the fleet's address for the market).
async fn get_object(t: &TestFleet, id: &str, accept: &str) -> (u16, String) {
    let path = &id[id.find("/objects/").unwrap()..];
    let res = t
        .client
        .get(t.fleet.at(AppName::Market, path))
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[actix_web::test]
async fn followers_of_market_hear_of_products_going_live_changing_and_going() {
    let t = TestFleet::start().await;
    let config = t.fleet.ctx(AppName::Market).config().clone();
    let market = LocalActor::App(AppName::Market);
    let (inbox, _fan, server) = follower(&t).await;
    let admin = person(&t, "ada", "admin").await;
    let owner = person(&t, "fell", "member").await;
    let other = person(&t, "nosy", "member").await;
    let admin_s = t.sign_in(AppName::Market, admin).await;
    let owner_s = t.sign_in(AppName::Market, owner).await;
    let other_s = t.sign_in(AppName::Market, other).await;
    let post = async |path: &str, form: Vec<(&str, &str)>, who| {
        t.post_form(AppName::Market, path, &form, Some(who), AppName::Market)
            .await
    };
    let made = post(
        "/stalls",
        vec![("name", "Fell Knits"), ("owners", "fell")],
        &admin_s,
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);

    // A draft federates nothing, nor does editing it.
    let description = "Knitted from **fell** wool.\n\n<script>alert(2)</script>";
    let made = post(
        "/stalls/fell-knits/products",
        form(TITLE, description, "draft"),
        &owner_s,
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let edited = post(
        "/products/fell-hat",
        form(TITLE, "Still a draft.", "draft"),
        &owner_s,
    )
    .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    assert_eq!(recorded(&t).await, 0, "drafts never federate");
    let base = config
        .apps
        .public(AppName::Market)
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let product_id: i64 = shared::db::schema::products::table
        .filter(shared::db::schema::products::slug.eq("fell-hat"))
        .select(shared::db::schema::products::id)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    let object_id = format!("{base}/objects/products/{product_id}");
    assert_eq!(
        get_object(&t, &object_id, AS_JSON).await.0,
        404,
        "no object yet"
    );

    // Publishing: one signed Create of a Note.
    let published = post(
        "/products/fell-hat",
        form(TITLE, description, "active"),
        &owner_s,
    )
    .await;
    assert_eq!(published.status, 303, "{}", published.body);
    eventually(30, "the Create", || async { inbox.count() >= 1 }).await;
    let creates = inbox.of_kind("Create");
    assert_eq!(creates.len(), 1, "{:?}", inbox.received.lock().unwrap());
    let create = &creates[0];
    assert_eq!(create["actor"], market.id(&config));
    let note = &create["object"];
    assert_eq!(note["type"], "Note");
    assert_eq!(note["id"], object_id.as_str());
    assert_eq!(note["attributedTo"], market.id(&config));
    let page_url = format!("{base}/products/fell-hat");
    assert_eq!(note["url"], page_url.as_str());
    assert_eq!(note["to"][0], shared::activitypub::PUBLIC);
    assert_eq!(note["cc"][0], market.followers(&config));
    let content = note["content"].as_str().unwrap();
    assert!(
        content.contains("Fell hat &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{content}"
    );
    assert!(!create.to_string().contains("<script"), "{create}");
    assert!(content.contains("from £18.00"), "{content}");
    assert!(content.contains("<strong>fell</strong> wool"), "{content}");
    assert!(
        content.contains(&format!("href=\"{page_url}\"")),
        "{content}"
    );
    assert!(note["name"].as_str().unwrap().contains("&lt;script&gt;"));
    let attachment = &note["attachment"][0];
    assert_eq!(attachment["type"], "Image");
    assert_eq!(attachment["url"], "https://img.example/hat-1.jpg");
    assert_eq!(attachment["mediaType"], "image/jpeg");
    assert_eq!(attachment["name"], "A red wool hat on a post");
    assert_eq!(note["attachment"].as_array().unwrap().len(), 1);
    let tags = note["tag"].as_array().unwrap();
    let names: Vec<&str> = tags.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(names, ["#wool", "#hats"]);
    assert!(tags.iter().all(|t| t["type"] == "Hashtag"));
    assert_eq!(tags[0]["href"], format!("{base}/?tag=wool"));
    assert!(content.contains("class=\"mention hashtag\" rel=\"tag\">#<span>wool</span>"));
    assert!(note.get("updated").is_none());

    // The object answers ActivityPub with the Note, and sends a browser to the page.
    let (status, body) = get_object(&t, &object_id, AS_JSON).await;
    assert_eq!(status, 200, "{body}");
    let served: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(served["id"], object_id.as_str());
    assert_eq!(served["type"], "Note");
    assert_eq!(served["attachment"][0]["name"], "A red wool hat on a post");
    assert_eq!(get_object(&t, &object_id, "text/html").await.0, 303);
    // Its page sends a fediverse server (Mastodon's search) to the object.
    let looked_up = t
        .client
        .get(t.fleet.at(AppName::Market, "/products/fell-hat"))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap();
    assert_eq!(looked_up.status(), 303);
    assert_eq!(looked_up.headers()["location"], object_id.as_str());

    // An edit of the live product: one Update with `updated`, same id.
    let edited = post(
        "/products/fell-hat",
        form(TITLE, "Now with a **bobble**.", "active"),
        &owner_s,
    )
    .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    eventually(30, "the Update", || async { inbox.count() >= 2 }).await;
    let updates = inbox.of_kind("Update");
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["object"]["id"], object_id.as_str());
    assert!(updates[0]["object"]["updated"].is_string());
    assert!(
        updates[0]["object"]["content"]
            .as_str()
            .unwrap()
            .contains("<strong>bobble</strong>")
    );

    // Archived: one Delete with a Tombstone, and the object answers 410.
    let archived = post(
        "/products/fell-hat",
        form(TITLE, "Now with a **bobble**.", "archived"),
        &owner_s,
    )
    .await;
    assert_eq!(archived.status, 303, "{}", archived.body);
    eventually(30, "the Delete", || async { inbox.count() >= 3 }).await;
    let deletes = inbox.of_kind("Delete");
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0]["object"]["type"], "Tombstone");
    assert_eq!(deletes[0]["object"]["id"], object_id.as_str());
    let (status, body) = get_object(&t, &object_id, AS_JSON).await;
    assert_eq!(status, 410, "{body}");
    let tombstone: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(tombstone["type"], "Tombstone");
    assert_eq!(tombstone["id"], object_id.as_str());
    let looked_up = t
        .client
        .get(t.fleet.at(AppName::Market, "/products/fell-hat"))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap();
    assert_eq!(looked_up.status(), 404, "not an object while archived");
    // Editing it while archived sends nothing.
    let quiet = post(
        "/products/fell-hat",
        form(TITLE, "Archived edit.", "archived"),
        &owner_s,
    )
    .await;
    assert_eq!(quiet.status, 303);

    // Live again: a Create under a new id (Mastodon keeps the old one's tombstone).
    let again = post(
        "/products/fell-hat",
        form(TITLE, description, "active"),
        &owner_s,
    )
    .await;
    assert_eq!(again.status, 303, "{}", again.body);
    eventually(30, "the second Create", || async { inbox.count() >= 4 }).await;
    let creates = inbox.of_kind("Create");
    assert_eq!(creates.len(), 2);
    let second_id = format!("{object_id}/r1");
    assert_eq!(creates[1]["object"]["id"], second_id.as_str());
    assert_eq!(get_object(&t, &second_id, AS_JSON).await.0, 200);
    assert_eq!(get_object(&t, &object_id, AS_JSON).await.0, 410);

    // Someone else may not delete it; its owner deletes it: a Delete, and 410 for both ids.
    let refused = post("/products/fell-hat/delete", Vec::new(), &other_s).await;
    assert_eq!(refused.status, 403);
    let deleted = post("/products/fell-hat/delete", Vec::new(), &owner_s).await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    eventually(30, "the second Delete", || async { inbox.count() >= 5 }).await;
    let deletes = inbox.of_kind("Delete");
    assert_eq!(deletes.len(), 2);
    assert_eq!(deletes[1]["object"]["id"], second_id.as_str());
    assert_eq!(get_object(&t, &second_id, AS_JSON).await.0, 410);
    assert_eq!(get_object(&t, &object_id, AS_JSON).await.0, 410);
    assert_eq!(
        t.get(AppName::Market, "/products/fell-hat", None)
            .await
            .status,
        404
    );

    // A draft deleted sends nothing; after a pause nothing more arrived (each once).
    let made = post(
        "/stalls/fell-knits/products",
        vec![
            ("title", "Quiet scarf"),
            ("slug", "quiet-scarf"),
            ("status", "draft"),
            ("variants", "| | 9.00 | 1"),
        ],
        &owner_s,
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let gone = post("/products/quiet-scarf/delete", Vec::new(), &owner_s).await;
    assert_eq!(gone.status, 303, "{}", gone.body);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(recorded(&t).await, 5);
    assert_eq!(inbox.count(), 5, "{:?}", inbox.received.lock().unwrap());
    server.stop(false).await;
    t.stop().await;
}

/// A third-party follower: the bovine peer (Python's `bovine`, see `federation::bovine`) finds
/// `@market` by WebFinger and follows it, and its inbox (verifying our draft-cavage signatures
/// with the key it fetches from our actor) gets exactly one `Create` per publish, one `Update`
/// per edit and one `Delete` on removal; the object answers 410 afterwards.
#[actix_web::test]
async fn a_bovine_peer_following_market_gets_one_activity_per_change() {
    let t = TestFleet::start().await;
    let peer = Peer::start().await;
    let config = t.fleet.ctx(AppName::Market).config().clone();
    let market = LocalActor::App(AppName::Market);
    let market_id = market.id(&config);
    let url = t.fleet.url(AppName::Market);
    let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let followed = peer
        .call(
            "/_follow",
            json!({ "account": format!("acct:market@{host}"), "domain": format!("http://{host}") }),
        )
        .await;
    assert_eq!(
        followed["actor"],
        market_id.as_str(),
        "WebFinger led to @market"
    );
    assert_eq!(followed["status"], 202);
    let follow_id = followed["follow"].as_str().unwrap().to_owned();
    eventually(
        30,
        "the peer to receive @market's signed Accept",
        || async {
            !peer
                .received_where(|r| {
                    r["activity"]["type"] == "Accept"
                        && r["activity"]["object"]["id"] == follow_id.as_str()
                        && r["controller"] == market_id.as_str()
                })
                .await
                .is_empty()
        },
    )
    .await;

    let admin = person(&t, "ada", "admin").await;
    let owner = person(&t, "fell", "member").await;
    let admin_s = t.sign_in(AppName::Market, admin).await;
    let owner_s = t.sign_in(AppName::Market, owner).await;
    let post = async |path: &str, form: Vec<(&str, &str)>, who| {
        t.post_form(AppName::Market, path, &form, Some(who), AppName::Market)
            .await
    };
    let made = post(
        "/stalls",
        vec![("name", "Fell Knits"), ("owners", "fell")],
        &admin_s,
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);
    // What the peer took from @market, signed by @market, of a kind.
    let of_kind = async |kind: &str| -> Vec<Value> {
        peer.received_where(|r| r["activity"]["type"] == kind)
            .await
            .into_iter()
            .inspect(|r| assert_eq!(r["controller"], market_id.as_str(), "{r}"))
            .map(|r| r["activity"].clone())
            .collect()
    };
    let changes = async || peer.received().await.len() - 1;

    // A draft, then published: one Create.
    let made = post(
        "/stalls/fell-knits/products",
        form("Fell hat", "Knitted from **fell** wool.", "draft"),
        &owner_s,
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let published = post(
        "/products/fell-hat",
        form("Fell hat", "Knitted from **fell** wool.", "active"),
        &owner_s,
    )
    .await;
    assert_eq!(published.status, 303, "{}", published.body);
    eventually(30, "the peer to receive the Create", || async {
        changes().await >= 1
    })
    .await;
    let creates = of_kind("Create").await;
    assert_eq!(creates.len(), 1, "{creates:?}");
    let note = &creates[0]["object"];
    let object_id = note["id"].as_str().unwrap().to_owned();
    assert!(object_id.contains("/objects/products/"), "{object_id}");
    assert_eq!(note["type"], "Note");
    assert_eq!(note["attributedTo"], market_id.as_str());
    assert!(
        note["content"]
            .as_str()
            .unwrap()
            .contains("<strong>fell</strong>"),
        "{note}"
    );
    assert_eq!(get_object(&t, &object_id, AS_JSON).await.0, 200);

    // Two edits: two Updates of the same object.
    for description in ["With a **bobble**.", "With two bobbles."] {
        let edited = post(
            "/products/fell-hat",
            form("Fell hat", description, "active"),
            &owner_s,
        )
        .await;
        assert_eq!(edited.status, 303, "{}", edited.body);
    }
    eventually(30, "the peer to receive both Updates", || async {
        changes().await >= 3
    })
    .await;
    let updates = of_kind("Update").await;
    assert_eq!(updates.len(), 2, "{updates:?}");
    assert!(
        updates
            .iter()
            .all(|u| u["object"]["id"] == object_id.as_str())
    );
    assert!(
        updates[1]["object"]["content"]
            .as_str()
            .unwrap()
            .contains("two bobbles")
    );

    // Removed: one Delete with a Tombstone, and the object answers 410.
    let deleted = post("/products/fell-hat/delete", Vec::new(), &owner_s).await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    eventually(30, "the peer to receive the Delete", || async {
        changes().await >= 4
    })
    .await;
    let deletes = of_kind("Delete").await;
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0]["object"]["type"], "Tombstone");
    assert_eq!(deletes[0]["object"]["id"], object_id.as_str());
    let (status, body) = get_object(&t, &object_id, AS_JSON).await;
    assert_eq!(status, 410, "{body}");

    // Nothing more arrives: each change was delivered once.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let all = peer.received().await;
    assert_eq!(all.len(), 5, "{all:?}");
    assert_eq!(of_kind("Create").await.len(), 1);
    assert_eq!(of_kind("Update").await.len(), 2);
    assert_eq!(of_kind("Delete").await.len(), 1);
    drop(peer);
    t.stop().await;
}
