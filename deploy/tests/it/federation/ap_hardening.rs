//! ActivityPub as an attacker uses it: hostile addresses in actor and object documents, edits
//! and deletes of someone else's post from the same server, edits dated in the future, repeated
//! Likes, signatures that leave out where they were sent, and floods of bad signatures.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use reqwest::Method;
use serde_json::{Value, json};
use shared::AppName;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::httpsig::{self, Message};
use shared::db::schema::{
    ap_activities, ap_following, ap_objects, ap_reactions, ap_remote_actors, post_comments, posts,
};

use crate::support::TestFleet;
use crate::support::eventually;
use crate::support::peer::post_signed;
use crate::support::people::{api, person};

const AS_JSON: &str = "application/activity+json";
const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A remote server whose actor documents the test writes (any fields), counting fetches.
struct Remote {
    base: String,
    fetches: Arc<Mutex<HashMap<String, usize>>>,
    handle: actix_web::dev::ServerHandle,
}

struct Actor {
    id: String,
    key: PKey<Private>,
}

impl Actor {
    fn key_id(&self) -> String {
        format!("{}#main-key", self.id)
    }
}

type Docs = Arc<Mutex<HashMap<String, Value>>>;

impl Remote {
    /// Serves one Person per `(name, extra fields)` at `http://remote.localhost:<port>/users/<name>`.
    async fn start(actors: &[(&str, Value)]) -> (Remote, Vec<Actor>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!(
            "http://remote.localhost:{}",
            listener.local_addr().unwrap().port()
        );
        let docs: Docs = Arc::default();
        let fetches: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let mut made = Vec::new();
        for (name, extra) in actors {
            let key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
            let id = format!("{base}/users/{name}");
            let pem = String::from_utf8(key.public_key_to_pem().unwrap()).unwrap();
            let mut doc = json!({
                "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
                "id": id, "type": "Person", "preferredUsername": name, "inbox": format!("{id}/inbox"),
                "publicKey": { "id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pem },
            });
            for (k, v) in extra.as_object().into_iter().flatten() {
                doc[k] = v.clone();
            }
            docs.lock().unwrap().insert((*name).to_owned(), doc);
            made.push(Actor { id, key });
        }
        let (served, counted) = (docs.clone(), fetches.clone());
        let server = HttpServer::new(move || {
            let (docs, fetches) = (served.clone(), counted.clone());
            App::new().default_service(web::to(move |req: HttpRequest| {
                let (docs, fetches) = (docs.clone(), fetches.clone());
                async move {
                    let name = req.path().trim_start_matches("/users/").to_owned();
                    *fetches.lock().unwrap().entry(name.clone()).or_default() += 1;
                    match docs.lock().unwrap().get(&name) {
                        Some(doc) => HttpResponse::Ok()
                            .content_type(AS_JSON)
                            .body(doc.to_string()),
                        None => HttpResponse::NotFound().finish(),
                    }
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        (
            Remote {
                base,
                fetches,
                handle,
            },
            made,
        )
    }

    fn fetches(&self, name: &str) -> usize {
        self.fetches.lock().unwrap().get(name).copied().unwrap_or(0)
    }

    async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

/// Delivers `activity` to the blog's shared inbox, signed by `actor` as Mastodon signs.
async fn deliver(t: &TestFleet, actor: &Actor, activity: &Value) -> u16 {
    post_signed(
        &t.client,
        &t.fleet.at(AppName::Blog, "/inbox"),
        activity.to_string().as_bytes(),
        &actor.key,
        &actor.key_id(),
        |_| {},
    )
    .await
}

/// Waits until the processor has handled the activity `id` (so its effects, or their absence,
/// can be checked).
async fn processed(t: &TestFleet, id: &str) {
    eventually(15, "the activity to be processed", || async {
        ap_activities::table
            .filter(ap_activities::activity_id.eq(id))
            .select(ap_activities::status)
            .first::<String>(&mut t.db.conn().await)
            .await
            .is_ok_and(|s| s != "pending")
    })
    .await;
}

/// Every `href` value of a page, unescaped as a browser reads it.
fn hrefs(body: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .map(|rest| {
            rest.split('"')
                .next()
                .unwrap_or("")
                .replace("&#x2F;", "/")
                .replace("&#x27;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

fn assert_only_web_links(page: &str, what: &str) {
    for href in hrefs(page) {
        let lower = href.to_ascii_lowercase();
        assert!(
            lower.starts_with('/')
                || lower.starts_with('#')
                || lower.starts_with("http://")
                || lower.starts_with("https://"),
            "{what} links to {href:?}"
        );
    }
    let lower = page.to_ascii_lowercase();
    assert!(
        !lower.contains("javascript:") && !lower.contains("data:text"),
        "{what} carries a script address"
    );
}

/// What attackers put where an actor's or object's address is expected.
const HOSTILE: &[&str] = &[
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
];

#[actix_web::test]
async fn hostile_addresses_from_the_fediverse_never_become_links() {
    let t = TestFleet::start().await;
    let editor = t
        .sign_in(AppName::Blog, person(&t, "eve", "editor").await)
        .await;
    let post = json!({ "title": "Cider press", "markdown": "Pressing day.", "tags": [], "excerpt": "", "status": "published" });
    let (status, doc) = api(
        &t,
        Method::POST,
        "/editor/api/posts",
        Some(&post),
        Some(&editor),
    )
    .await;
    assert!(status.is_success(), "{doc}");
    let slug = doc["slug"].as_str().unwrap().to_owned();
    let object_id: String = ap_activities::table
        .filter(ap_activities::direction.eq("outbound"))
        .filter(ap_activities::kind.eq("Create"))
        .select(ap_activities::payload)
        .first::<Value>(&mut t.db.conn().await)
        .await
        .unwrap()["object"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // One actor per hostile address (as its profile link and avatar), and one honest actor.
    let mut specs: Vec<(String, Value)> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, bad)| {
            (
                format!("h{i}"),
                json!({ "url": bad, "icon": { "type": "Image", "url": bad } }),
            )
        })
        .collect();
    specs.push((
        "honest".into(),
        json!({ "url": "https://good.example/@honest" }),
    ));
    let specs_ref: Vec<(&str, Value)> =
        specs.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
    let (remote, actors) = Remote::start(&specs_ref).await;

    for (i, actor) in actors.iter().enumerate() {
        let bad = HOSTILE
            .get(i)
            .copied()
            .unwrap_or("https://good.example/notes/ok");
        let create = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/{i}", remote.base), "type": "Create", "actor": actor.id,
            "object": {
                "id": format!("{}/notes/{i}", remote.base), "type": "Note", "attributedTo": actor.id,
                "inReplyTo": object_id, "content": format!("<p>Reply number {i}</p>"),
                "url": bad,
                "attachment": [{ "type": "Document", "mediaType": "image/png", "url": bad }],
                "published": chrono::Utc::now().to_rfc3339(), "to": [PUBLIC],
            },
        });
        assert_eq!(deliver(&t, actor, &create).await, 202);
    }
    eventually(20, "every reply to reach moderation", || async {
        let page = t.get(AppName::Blog, "/admin/comments", Some(&editor)).await;
        (0..actors.len()).all(|i| page.body.contains(&format!("Reply number {i}")))
    })
    .await;

    // What was stored: no hostile address anywhere.
    let mut conn = t.db.conn().await;
    let stored: Vec<(Option<String>, Option<String>)> = ap_remote_actors::table
        .select((ap_remote_actors::url, ap_remote_actors::icon))
        .load(&mut conn)
        .await
        .unwrap();
    for (url, icon) in &stored {
        for address in [url, icon].into_iter().flatten() {
            assert!(
                address.starts_with("http://") || address.starts_with("https://"),
                "{address:?}"
            );
        }
    }
    assert!(
        stored
            .iter()
            .any(|(u, _)| u.as_deref() == Some("https://good.example/@honest"))
    );
    let payloads: Vec<Value> = ap_objects::table
        .select(ap_objects::payload)
        .load(&mut conn)
        .await
        .unwrap();
    for payload in &payloads {
        let text = payload.to_string().to_ascii_lowercase();
        assert!(
            !text.contains("javascript") && !text.contains("data:text"),
            "{text}"
        );
    }

    // A reply stored before the check (the database may hold anything): shown, but not as a link.
    let post_id: i64 = posts::table
        .filter(posts::slug.eq(&slug))
        .select(posts::id)
        .first(&mut conn)
        .await
        .unwrap();
    diesel::insert_into(post_comments::table)
        .values((
            post_comments::post_id.eq(post_id),
            post_comments::object_id.eq("https://old.example/notes/legacy"),
            post_comments::actor_id.eq("https://old.example/users/legacy"),
            post_comments::author_name.eq("legacy"),
            post_comments::author_url.eq(" JavaScript:alert('legacy')"),
            post_comments::html.eq("<p>Reply from before</p>"),
            post_comments::published_at.eq(chrono::Utc::now()),
        ))
        .execute(&mut conn)
        .await
        .unwrap();
    let comment_ids: Vec<i64> = post_comments::table
        .select(post_comments::id)
        .load(&mut conn)
        .await
        .unwrap();
    drop(conn);

    let moderation = t.get(AppName::Blog, "/admin/comments", Some(&editor)).await;
    assert!(moderation.body.contains("Reply from before"));
    assert_only_web_links(&moderation.body, "the moderation page");
    assert!(
        hrefs(&moderation.body).contains(&"https://good.example/@honest".to_owned()),
        "an honest profile link still shows"
    );

    for id in comment_ids {
        let page = t
            .post_form(
                AppName::Blog,
                &format!("/admin/comments/{id}"),
                &[("status", "approved")],
                Some(&editor),
                AppName::Blog,
            )
            .await;
        assert_eq!(page.status, 303);
    }
    let shown = t.get(AppName::Blog, &format!("/posts/{slug}"), None).await;
    assert!(
        (0..actors.len()).all(|i| shown.body.contains(&format!("Reply number {i}")))
            && shown.body.contains("Reply from before"),
        "{}",
        shown.body
    );
    assert_only_web_links(&shown.body, "the post page");
    assert!(hrefs(&shown.body).contains(&"https://good.example/@honest".to_owned()));
    remote.stop().await;
    t.stop().await;
}

fn note(remote: &Remote, n: &str, author: &Actor, content: &str) -> Value {
    json!({
        "id": format!("{}/notes/{n}", remote.base), "type": "Note", "attributedTo": author.id,
        "content": content, "published": chrono::Utc::now().to_rfc3339(), "to": [PUBLIC],
    })
}

fn activity(remote: &Remote, id: &str, kind: &str, actor: &Actor, object: Value) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{id}", remote.base), "type": kind, "actor": actor.id,
        "object": object,
    })
}

/// A member of ours follows `actor` (so its posts concern us and are kept).
async fn followed_here(t: &TestFleet, actor: &str) {
    let reader = LocalActor::User("reader".into()).id(t.fleet.ctx(AppName::Federation).config());
    diesel::insert_into(ap_following::table)
        .values((
            ap_following::local_actor.eq(&reader),
            ap_following::remote_actor.eq(actor),
            ap_following::follow_activity_id.eq(format!("{reader}#follows/{actor}")),
            ap_following::state.eq("accepted"),
        ))
        .execute(&mut t.db.conn().await)
        .await
        .unwrap();
}

/// Whether a remote object is stored.
async fn kept(t: &TestFleet, id: &str) -> bool {
    ap_objects::table
        .find(id)
        .count()
        .get_result::<i64>(&mut t.db.conn().await)
        .await
        .unwrap()
        == 1
}

/// As Mastodon does, a remote post is kept only when it concerns us: a peer cannot fill our
/// database and federated timeline with posts nobody here follows, mentions or answers.
#[actix_web::test]
async fn posts_that_concern_nobody_here_are_not_kept() {
    let t = TestFleet::start().await;
    let (remote, actors) = Remote::start(&[("alice", json!({})), ("dave", json!({}))]).await;
    let (alice, dave) = (&actors[0], &actors[1]);
    followed_here(&t, &dave.id).await;
    let member = LocalActor::User("reader".into()).id(t.fleet.ctx(AppName::Federation).config());

    let unsolicited = note(&remote, "spam", alice, "<p>Buy now</p>");
    let mut mention = note(&remote, "hi", alice, "<p>Hello @reader</p>");
    mention["cc"] = json!([member]);
    mention["tag"] = json!([{"type": "Mention", "href": member, "name": "@reader"}]);
    let followed = note(&remote, "d1", dave, "<p>From dave</p>");
    let mut reply = note(&remote, "re", alice, "<p>Answering dave</p>");
    reply["inReplyTo"] = followed["id"].clone();
    for (n, (who, object)) in [
        (alice, &unsolicited),
        (alice, &mention),
        (dave, &followed),
        (alice, &reply),
    ]
    .into_iter()
    .enumerate()
    {
        let create = activity(&remote, &format!("k{n}"), "Create", who, object.clone());
        assert_eq!(deliver(&t, who, &create).await, 202);
        processed(&t, create["id"].as_str().unwrap()).await;
    }
    let id = |o: &Value| o["id"].as_str().unwrap().to_owned();
    assert!(
        !kept(&t, &id(&unsolicited)).await,
        "nobody here asked for it"
    );
    assert!(kept(&t, &id(&mention)).await, "it mentions a member");
    assert!(kept(&t, &id(&followed)).await, "a member follows dave");
    assert!(kept(&t, &id(&reply)).await, "it answers a post we keep");
    // An Update cannot bring in what the Create could not.
    let mut edited = unsolicited.clone();
    edited["updated"] = json!(chrono::Utc::now().to_rfc3339());
    let update = activity(&remote, "u-spam", "Update", alice, edited);
    assert_eq!(deliver(&t, alice, &update).await, 202);
    processed(&t, update["id"].as_str().unwrap()).await;
    assert!(!kept(&t, &id(&unsolicited)).await);
    remote.stop().await;
    t.stop().await;
}

async fn stored_object(t: &TestFleet, id: &str) -> (String, bool, i32, i32) {
    ap_objects::table
        .find(id)
        .select((
            ap_objects::content,
            ap_objects::deleted_at.is_not_null(),
            ap_objects::likes,
            ap_objects::announces,
        ))
        .first(&mut t.db.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn only_the_author_edits_or_deletes_and_never_from_the_future() {
    let t = TestFleet::start().await;
    let (remote, actors) = Remote::start(&[("alice", json!({})), ("mallory", json!({}))]).await;
    let (alice, mallory) = (&actors[0], &actors[1]);
    followed_here(&t, &alice.id).await;
    let original = note(&remote, "1", alice, "<p>Original</p>");
    let note_id = original["id"].as_str().unwrap().to_owned();
    let create = activity(&remote, "c1", "Create", alice, original.clone());
    assert_eq!(deliver(&t, alice, &create).await, 202);
    processed(&t, create["id"].as_str().unwrap()).await;

    // Mallory, on the same server, edits and deletes alice's note: accepted on the wire (same
    // host, and she claims it as hers or says nothing), but nothing changes.
    let now = || chrono::Utc::now().to_rfc3339();
    let mut claimed = original.clone();
    claimed["attributedTo"] = json!(mallory.id);
    claimed["content"] = json!("<p>Mallory was here</p>");
    claimed["updated"] = json!(now());
    let mut silent = claimed.clone();
    silent.as_object_mut().unwrap().remove("attributedTo");
    for (i, object) in [claimed, silent].into_iter().enumerate() {
        let update = activity(&remote, &format!("m{i}"), "Update", mallory, object);
        assert_eq!(deliver(&t, mallory, &update).await, 202);
        processed(&t, update["id"].as_str().unwrap()).await;
    }
    let delete = activity(&remote, "m-del", "Delete", mallory, json!(note_id));
    assert_eq!(deliver(&t, mallory, &delete).await, 202);
    processed(&t, delete["id"].as_str().unwrap()).await;
    let (content, deleted, _, _) = stored_object(&t, &note_id).await;
    assert_eq!((content.as_str(), deleted), ("<p>Original</p>", false));

    // Alice's edit dated a day ahead would shadow every later edit: refused at the door.
    let mut ahead = original.clone();
    ahead["content"] = json!("<p>From the future</p>");
    ahead["updated"] = json!((chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339());
    let future = activity(&remote, "a-future", "Update", alice, ahead);
    assert_eq!(deliver(&t, alice, &future).await, 400);

    // Her real edit and delete apply.
    let mut edited = original.clone();
    edited["content"] = json!("<p>Edited</p>");
    edited["updated"] = json!(now());
    let update = activity(&remote, "a-upd", "Update", alice, edited);
    assert_eq!(deliver(&t, alice, &update).await, 202);
    processed(&t, update["id"].as_str().unwrap()).await;
    assert_eq!(stored_object(&t, &note_id).await.0, "<p>Edited</p>");
    let delete = activity(&remote, "a-del", "Delete", alice, json!(note_id));
    assert_eq!(deliver(&t, alice, &delete).await, 202);
    processed(&t, delete["id"].as_str().unwrap()).await;
    assert!(
        stored_object(&t, &note_id).await.1,
        "tombstoned by its author"
    );
    remote.stop().await;
    t.stop().await;
}

#[actix_web::test]
async fn likes_and_announces_count_once_per_actor_and_undo_takes_back_only_ones_own() {
    let t = TestFleet::start().await;
    let (remote, actors) = Remote::start(&[
        ("alice", json!({})),
        ("bob", json!({})),
        ("carol", json!({})),
    ])
    .await;
    let (alice, bob, carol) = (&actors[0], &actors[1], &actors[2]);
    followed_here(&t, &alice.id).await;
    let original = note(&remote, "1", alice, "<p>Liked</p>");
    let note_id = original["id"].as_str().unwrap().to_owned();
    let create = activity(&remote, "c1", "Create", alice, original);
    assert_eq!(deliver(&t, alice, &create).await, 202);
    processed(&t, create["id"].as_str().unwrap()).await;

    // Bob likes it three times (new ids each time), carol once; bob announces it.
    let mut bob_like = Value::Null;
    for (i, (who, kind)) in [
        (bob, "Like"),
        (bob, "Like"),
        (bob, "Like"),
        (carol, "Like"),
        (bob, "Announce"),
    ]
    .into_iter()
    .enumerate()
    {
        let a = activity(&remote, &format!("r{i}"), kind, who, json!(note_id));
        assert_eq!(deliver(&t, who, &a).await, 202);
        processed(&t, a["id"].as_str().unwrap()).await;
        if i == 0 {
            bob_like = a;
        }
    }
    let (_, _, likes, announces) = stored_object(&t, &note_id).await;
    assert_eq!((likes, announces), (2, 1), "one Like per actor");
    let reactions: i64 = ap_reactions::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(reactions, 3);

    // Carol cannot undo bob's Like (refused at the door); bob undoes his (embedded), then his
    // Announce by its bare id; undoing again changes nothing.
    let forged = activity(&remote, "u-forged", "Undo", carol, bob_like.clone());
    assert_eq!(deliver(&t, carol, &forged).await, 403);
    let undo_like = activity(&remote, "u1", "Undo", bob, bob_like.clone());
    assert_eq!(deliver(&t, bob, &undo_like).await, 202);
    processed(&t, undo_like["id"].as_str().unwrap()).await;
    let announce_id = format!("{}/activities/r4", remote.base);
    for (i, undone) in [json!(announce_id), json!(announce_id), bob_like]
        .into_iter()
        .enumerate()
    {
        let undo = activity(&remote, &format!("u-again{i}"), "Undo", bob, undone);
        assert_eq!(deliver(&t, bob, &undo).await, 202);
        processed(&t, undo["id"].as_str().unwrap()).await;
    }
    let (_, _, likes, announces) = stored_object(&t, &note_id).await;
    assert_eq!((likes, announces), (1, 0), "carol's Like stays");
    remote.stop().await;
    t.stop().await;
}

/// Signs `body` for the blog's inbox over `names` only.
async fn post_signed_over(t: &TestFleet, actor: &Actor, body: &[u8], names: &[&str]) -> u16 {
    let url = url::Url::parse(&t.fleet.at(AppName::Blog, "/inbox")).unwrap();
    let headers = [
        (
            "host".to_owned(),
            format!("{}:{}", url.host_str().unwrap(), url.port().unwrap()),
        ),
        ("date".to_owned(), httpsig::http_date(chrono::Utc::now())),
        ("digest".to_owned(), httpsig::digest_header(body)),
        ("content-type".to_owned(), AS_JSON.to_owned()),
    ];
    let lookup = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let message = Message {
        method: "POST",
        path_and_query: url.path(),
        headers: &lookup,
    };
    let signature = httpsig::sign(&actor.key, &actor.key_id(), &message, names).unwrap();
    let mut req = t.client.post(url.as_str()).body(body.to_vec());
    for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
        req = req.header(k.as_str(), v.as_str());
    }
    req.header("signature", signature)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[actix_web::test]
async fn signatures_must_name_target_and_host_and_bad_ones_do_not_refetch_the_key() {
    let t = TestFleet::start().await;
    let (remote, actors) = Remote::start(&[("alice", json!({}))]).await;
    let alice = &actors[0];
    let follow = |id: &str| {
        activity(
            &remote,
            id,
            "Follow",
            alice,
            json!(t.fleet.at(AppName::Blog, "/actor")),
        )
        .to_string()
        .into_bytes()
    };

    // A valid signature that does not say which path or server it was for could be replayed
    // anywhere: refused, before any key is fetched.
    for (i, names) in [
        &["host", "date", "digest"][..],
        &["(request-target)", "date", "digest"][..],
        &["date", "digest", "content-type"][..],
    ]
    .into_iter()
    .enumerate()
    {
        assert_eq!(
            post_signed_over(&t, alice, &follow(&format!("partial{i}")), names).await,
            401,
            "{names:?}"
        );
    }
    assert_eq!(
        post_signed_over(
            &t,
            alice,
            &follow("full"),
            &["(request-target)", "host", "date", "digest"]
        )
        .await,
        202
    );
    let after_first = remote.fetches("alice");
    assert_eq!(after_first, 1, "the key is fetched once");

    // A flood of signatures by another key naming alice's: one refetch, then a cool-off.
    let forger = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    for i in 0..20 {
        let status = post_signed(
            &t.client,
            &t.fleet.at(AppName::Blog, "/inbox"),
            &follow(&format!("forged{i}")),
            &forger,
            &alice.key_id(),
            |_| {},
        )
        .await;
        assert_eq!(status, 401);
    }
    assert!(
        remote.fetches("alice") <= after_first + 1,
        "refetched {} times",
        remote.fetches("alice") - after_first
    );
    // Alice's own signatures still verify against the key we have.
    assert_eq!(
        deliver(
            &t,
            alice,
            &activity(
                &remote,
                "after",
                "Follow",
                alice,
                json!(t.fleet.at(AppName::Blog, "/actor"))
            )
        )
        .await,
        202
    );
    remote.stop().await;
    t.stop().await;
}
