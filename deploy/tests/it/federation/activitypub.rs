//! ActivityPub: actor documents, WebFinger, NodeInfo, and the inbox refusing what it must.

use std::net::TcpListener;

use actix_web::{App, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use serde_json::{Value, json};
use shared::AppName;
use shared::activitypub::httpsig::{self, Message};
use shared::db::schema::ap_activities;

use crate::support::TestFleet;
use crate::support::peer::{AS_JSON, Peer, PeerActor, post_signed};

async fn get_json(t: &TestFleet, app: AppName, path: &str) -> (u16, Value, String) {
    let res = t
        .client
        .get(t.fleet.at(app, path))
        .header("accept", AS_JSON)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, res.json().await.unwrap_or(Value::Null), ct)
}

#[actix_web::test]
async fn every_app_has_an_actor_mastodon_can_read() {
    let t = TestFleet::start().await;
    for app in AppName::ALL {
        let (status, actor, ct) = get_json(&t, app, "/actor").await;
        assert_eq!(status, 200, "{app}");
        assert!(ct.starts_with(AS_JSON), "{app}: {ct}");
        let id = actor["id"].as_str().unwrap();
        assert_eq!(id, t.fleet.at(app, "/actor"));
        assert_eq!(actor["preferredUsername"], app.as_str());
        for field in [
            "inbox",
            "outbox",
            "followers",
            "following",
            "name",
            "summary",
            "url",
            "type",
        ] {
            assert!(actor[field].is_string(), "{app}: {field}");
        }
        assert_eq!(actor["endpoints"]["sharedInbox"], t.fleet.at(app, "/inbox"));
        assert_eq!(actor["publicKey"]["id"], format!("{id}#main-key"));
        assert_eq!(actor["publicKey"]["owner"], id);
        assert!(
            actor["publicKey"]["publicKeyPem"]
                .as_str()
                .unwrap()
                .starts_with("-----BEGIN PUBLIC KEY-----")
        );
        assert!(
            actor["manuallyApprovesFollowers"].is_boolean() && actor["discoverable"].is_boolean()
        );

        // WebFinger answers for the actor on its own host, and loops back to the same id.
        let host = t.fleet.url(app).host_str().unwrap().to_owned()
            + ":"
            + &t.fleet.url(app).port().unwrap().to_string();
        let jrd: Value = t
            .client
            .get(t.fleet.at(
                app,
                &format!("/.well-known/webfinger?resource=acct:{app}@{host}"),
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let self_link = jrd["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "self")
            .unwrap();
        assert_eq!(self_link["href"], id);
        assert_eq!(self_link["type"], AS_JSON);
    }
    // All six publish the same key, under their own key ids.
    let (_, blog, _) = get_json(&t, AppName::Blog, "/actor").await;
    let (_, cart, _) = get_json(&t, AppName::Cart, "/actor").await;
    assert_eq!(
        blog["publicKey"]["publicKeyPem"],
        cart["publicKey"]["publicKeyPem"]
    );
    assert_ne!(blog["publicKey"]["id"], cart["publicKey"]["id"]);
    // A browser gets the HTML page.
    let html = t
        .client
        .get(t.fleet.at(AppName::Blog, "/actor"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(html.status(), 303);
    // Unknown accounts and other hosts: 404.
    let unknown = t
        .client
        .get(t.fleet.at(
            AppName::Blog,
            "/.well-known/webfinger?resource=acct:nobody@blog.localhost:1",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    t.stop().await;
}

#[actix_web::test]
async fn members_are_person_actors_on_federation_and_nodeinfo_describes_the_server() {
    let t = TestFleet::start().await;
    crate::support::fixtures::world(&mut t.db.conn().await).await;
    let (status, person, _) = get_json(&t, AppName::Federation, "/users/marta").await;
    assert_eq!(status, 200);
    assert_eq!(person["type"], "Person");
    assert_eq!(person["name"], crate::support::fixtures::USER_NAME);
    assert_eq!(
        person["endpoints"]["sharedInbox"],
        t.fleet.at(AppName::Federation, "/inbox")
    );
    let (_, fleet_actor, _) = get_json(&t, AppName::Federation, "/actor").await;
    assert_ne!(
        person["publicKey"]["publicKeyPem"], fleet_actor["publicKey"]["publicKeyPem"],
        "members have keys of their own"
    );
    let (status, _, _) = get_json(&t, AppName::Federation, "/users/nobody").await;
    assert_eq!(status, 404);
    let host = format!(
        "{}:{}",
        t.fleet.url(AppName::Federation).host_str().unwrap(),
        t.fleet.url(AppName::Federation).port().unwrap()
    );
    let jrd: Value = t
        .client
        .get(t.fleet.at(
            AppName::Federation,
            &format!("/.well-known/webfinger?resource=acct:marta@{host}"),
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        jrd["links"][0]["href"],
        t.fleet.at(AppName::Federation, "/users/marta")
    );

    let links: Value = t
        .client
        .get(t.fleet.at(AppName::Blog, "/.well-known/nodeinfo"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(links["links"].as_array().unwrap().len(), 2);
    for version in ["2.0", "2.1"] {
        let res = t
            .client
            .get(t.fleet.at(AppName::Blog, &format!("/nodeinfo/{version}")))
            .send()
            .await
            .unwrap();
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains(&format!("schema/{version}#"))
        );
        let info: Value = res.json().await.unwrap();
        assert_eq!(info["protocols"], json!(["activitypub"]));
        assert_eq!(info["usage"]["users"]["total"], 1);
        assert_eq!(info["usage"]["localPosts"], 1);
    }
    // Collections are OrderedCollections with pages.
    let (_, outbox, _) = get_json(&t, AppName::Blog, "/actor/outbox").await;
    assert_eq!(outbox["type"], "OrderedCollection");
    let (_, page, _) = get_json(&t, AppName::Blog, "/actor/outbox?page=1").await;
    assert_eq!(page["type"], "OrderedCollectionPage");
    assert_eq!(page["partOf"], t.fleet.at(AppName::Blog, "/actor/outbox"));
    t.stop().await;
}

async fn stored(t: &TestFleet) -> i64 {
    let mut conn = t.db.conn().await;
    ap_activities::table
        .filter(ap_activities::direction.eq("inbound"))
        .count()
        .get_result(&mut conn)
        .await
        .unwrap()
}

#[actix_web::test]
async fn the_inbox_refuses_what_it_must_and_stores_each_activity_once() {
    let t = TestFleet::start().await;
    let (peer, actors) = Peer::start(&["alice", "bob"]).await;
    let (alice, bob) = (&actors[0], &actors[1]);
    let inbox = t.fleet.at(AppName::Blog, "/inbox");
    let follow = |id: &str, actor: &str| {
        serde_json::to_vec(&json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/activities/{id}", peer.base), "type": "Follow", "actor": actor,
            "object": t.fleet.at(AppName::Blog, "/actor"),
        }))
        .unwrap()
    };
    let body = follow("1", &alice.id);

    // Unsigned, RFC 9421, signed by someone else's key, digest mismatch, stale date: 401.
    let unsigned = t
        .client
        .post(&inbox)
        .header("content-type", AS_JSON)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let rfc9421 = t
        .client
        .post(&inbox)
        .header(
            "signature-input",
            r#"sig1=("@method" "@target-uri");created=1;keyid="x""#,
        )
        .header("signature", "sig1=:AAAA:")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        rfc9421.status(),
        401,
        "an RFC 9421 signature we cannot verify is never 2xx"
    );
    let other_key = PKey::from_rsa(Rsa::generate(2048).unwrap()).unwrap();
    assert_eq!(
        post_signed(
            &t.client,
            &inbox,
            &body,
            &other_key,
            &alice.key_id(),
            |_| {}
        )
        .await,
        401,
        "bad signature"
    );
    assert_eq!(
        post_signed(&t.client, &inbox, &body, &alice.key, &alice.key_id(), |h| {
            h.iter_mut().find(|(k, _)| k == "digest").unwrap().1 =
                httpsig::digest_header(b"something else");
        })
        .await,
        401,
        "digest mismatch"
    );
    assert_eq!(
        post_signed(
            &t.client,
            &inbox,
            &body,
            &alice.key,
            &alice.key_id(),
            |_| {}
        )
        .await,
        202,
        "a good delivery is accepted"
    );
    // Signed over a date two hours old: only the date is wrong.
    let stale_date = httpsig::http_date(chrono::Utc::now() - chrono::Duration::hours(2));
    let stale_body = follow("stale", &alice.id);
    assert_eq!(
        post_stale(&t.client, &inbox, &stale_body, alice, &stale_date).await,
        401,
        "stale date"
    );
    // Signed by bob, claiming to be alice: 401.
    assert_eq!(
        post_signed(
            &t.client,
            &inbox,
            &follow("2", &alice.id),
            &bob.key,
            &bob.key_id(),
            |_| {}
        )
        .await,
        401,
        "key owner is not the actor"
    );
    // An object on another host: 403.
    let foreign = serde_json::to_vec(&json!({
        "id": format!("{}/activities/3", peer.base), "type": "Create", "actor": alice.id,
        "object": { "id": "http://elsewhere.localhost:1/notes/1", "type": "Note", "attributedTo": alice.id, "content": "hi" },
    }))
    .unwrap();
    assert_eq!(
        post_signed(
            &t.client,
            &inbox,
            &foreign,
            &alice.key,
            &alice.key_id(),
            |_| {}
        )
        .await,
        403,
        "object on a foreign host"
    );
    // Malformed JSON (signed): 400. Oversized: 413.
    assert_eq!(
        post_signed(
            &t.client,
            &inbox,
            b"{not json",
            &alice.key,
            &alice.key_id(),
            |_| {}
        )
        .await,
        400
    );
    let huge = vec![b' '; 1024 * 1024 + 10];
    assert_eq!(
        post_signed(
            &t.client,
            &inbox,
            &huge,
            &alice.key,
            &alice.key_id(),
            |_| {}
        )
        .await,
        413
    );
    assert_eq!(stored(&t).await, 1, "only the good delivery was stored");

    // The same activity again (a replay): accepted, nothing new stored.
    assert_eq!(
        post_signed(
            &t.client,
            &inbox,
            &body,
            &alice.key,
            &alice.key_id(),
            |_| {}
        )
        .await,
        202
    );
    assert_eq!(stored(&t).await, 1);
    // Delivered to a member's inbox though addressed to the blog: never refused for that.
    let to_member = follow("4", &alice.id);
    crate::support::fixtures::world(&mut t.db.conn().await).await;
    assert_eq!(
        post_signed(
            &t.client,
            &t.fleet.at(AppName::Federation, "/users/marta/inbox"),
            &to_member,
            &alice.key,
            &alice.key_id(),
            |_| {}
        )
        .await,
        202
    );
    assert_eq!(stored(&t).await, 2);
    peer.stop().await;
    t.stop().await;
}

async fn post_stale(
    client: &reqwest::Client,
    inbox: &str,
    body: &[u8],
    actor: &PeerActor,
    date: &str,
) -> u16 {
    let parsed = url::Url::parse(inbox).unwrap();
    let host = format!("{}:{}", parsed.host_str().unwrap(), parsed.port().unwrap());
    let headers = [
        ("host".to_owned(), host),
        ("date".to_owned(), date.to_owned()),
        ("digest".to_owned(), httpsig::digest_header(body)),
    ];
    let lookup = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let message = Message {
        method: "POST",
        path_and_query: parsed.path(),
        headers: &lookup,
    };
    let signature = httpsig::sign(
        &actor.key,
        &actor.key_id(),
        &message,
        &["(request-target)", "host", "date", "digest"],
    )
    .unwrap();
    client
        .post(inbox)
        .header("date", date)
        .header("digest", headers[2].1.clone())
        .header("signature", signature)
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[actix_web::test]
async fn fetches_never_follow_redirects_to_private_addresses() {
    use shared::activitypub::fetch::{FetchError, Fetcher};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(|| {
        App::new()
            .route(
                "/to-private",
                web::get().to(|| async {
                    HttpResponse::Found()
                        .insert_header(("location", "http://10.0.0.1/secret"))
                        .finish()
                }),
            )
            .route(
                "/to-metadata",
                web::get().to(|| async {
                    HttpResponse::Found()
                        .insert_header(("location", "http://169.254.169.254/latest/meta-data"))
                        .finish()
                }),
            )
            .route(
                "/html",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("text/html")
                        .body("<p>hi</p>")
                }),
            )
            .route(
                "/liar",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type(AS_JSON)
                        .body(r#"{"id":"http://127.0.0.1:1/other"}"#)
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let fetcher = Fetcher::new(true).unwrap();
    for path in ["/to-private", "/to-metadata"] {
        let err = fetcher
            .document(&format!("http://127.0.0.1:{port}{path}"), None)
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Forbidden(_)), "{path}: {err}");
    }
    assert!(matches!(
        fetcher
            .document(&format!("http://127.0.0.1:{port}/html"), None)
            .await,
        Err(FetchError::ContentType(_))
    ));
    assert!(
        fetcher
            .document(&format!("http://127.0.0.1:{port}/liar"), None)
            .await
            .is_err(),
        "an id other than the URL is refused"
    );
    // Production settings refuse loopback before connecting.
    let strict = Fetcher::new(false).unwrap();
    assert!(matches!(
        strict
            .document(&format!("http://127.0.0.1:{port}/html"), None)
            .await,
        Err(FetchError::BadUrl(_) | FetchError::Forbidden(_))
    ));
    handle.stop(false).await;
}
