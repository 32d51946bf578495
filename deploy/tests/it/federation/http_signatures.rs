//! HTTP signatures in both standards. RFC 9421 against a third-party implementation, Python's
//! `http-message-signatures` (from PyPI into a venv under target/): a request it signs is
//! accepted by our inbox and the same request tampered with is refused; our outgoing RFC 9421
//! signature, captured at a local sink, verifies with it. The inbox refuses RFC 9421 signatures
//! that do not cover what they must, are expired, or name a key on another origin. Deliveries
//! knock with RFC 9421 first and fall back to draft-cavage for a peer that only knows cavage;
//! the host's standard is remembered in PostgreSQL and used first from then on.

use std::io::Write;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use federation::db::follows;
use openssl::pkey::{PKey, Private, Public};
use serde_json::{Value, json};
use shared::AppName;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::httpsig::{self, Message, Presented, Standard, rfc9421};
use shared::activitypub::{knock, outbox};
use shared::db::schema::ap_activities;

use crate::support::peer::{AS_JSON, Captured, Peer, PeerActor};
use crate::support::{TestFleet, eventually};

const HMS: &str = "http-message-signatures==3.0.0";

/// A Python with `http_message_signatures` (the system's, else a venv made once under
/// target/); `None` (the test skips, saying why) only when it cannot be installed.
fn python() -> Option<&'static PathBuf> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            crate::support::python::with(
                "http-message-signatures-venv",
                "http_message_signatures, cryptography",
                HMS,
            )
        })
        .as_ref()
}

/// Signs or verifies with the library; the request comes as JSON on stdin.
const ORACLE: &str = r#"
import sys, json, types, datetime
from http_message_signatures import (HTTPMessageSigner, HTTPMessageVerifier, MappingKeyResolver,
    algorithms, InvalidSignature, HTTPMessageSignaturesException)
ALGS = {"rsa-v1_5-sha256": algorithms.RSA_V1_5_SHA256, "rsa-pss-sha512": algorithms.RSA_PSS_SHA512}
job = json.load(sys.stdin)
alg = ALGS[job["alg"]]
body = job["body"].encode()
msg = types.SimpleNamespace(method=job["method"], url=job["url"], headers=dict(job["headers"]))
if sys.argv[1] == "sign":
    now = datetime.datetime.now(datetime.timezone.utc)
    expires = job.get("expires_in")
    signer = HTTPMessageSigner(signature_algorithm=alg, key_resolver=MappingKeyResolver(
        public_keys={}, private_keys={job["key_id"]: job["pem"].encode()}))
    signer.sign(msg, key_id=job["key_id"], covered_component_ids=job["components"], body=body,
        created=now - datetime.timedelta(seconds=job.get("age", 0)),
        expires=now + datetime.timedelta(seconds=expires) if expires is not None else None)
    print(json.dumps(msg.headers))
else:
    verifier = HTTPMessageVerifier(signature_algorithm=alg, key_resolver=MappingKeyResolver(
        public_keys={job["key_id"]: job["pem"].encode()}, private_keys={}))
    try:
        verifier.verify(msg, require_components=("@method", "@target-uri", "content-digest"), body=body)
        print(json.dumps({"ok": True}))
    except (InvalidSignature, HTTPMessageSignaturesException) as e:
        print(json.dumps({"ok": False, "error": str(e)}))
"#;

fn oracle(python: &PathBuf, mode: &str, job: &Value) -> Value {
    let mut child = Command::new(python)
        .args(["-c", ORACLE, mode])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(job.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "http_message_signatures {mode} failed"
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn private_pem(key: &PKey<Private>) -> String {
    String::from_utf8(key.private_key_to_pem_pkcs8().unwrap()).unwrap()
}

/// POSTs `body` with `headers` (a JSON object, as the library left them).
async fn post(client: &reqwest::Client, url: &str, headers: &Value, body: &[u8]) -> u16 {
    let mut req = client.post(url).body(body.to_vec());
    for (k, v) in headers.as_object().unwrap() {
        req = req.header(k.as_str(), v.as_str().unwrap());
    }
    req.send().await.unwrap().status().as_u16()
}

fn follow(peer: &Peer, t: &TestFleet, n: &str, actor: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/{n}", peer.base), "type": "Follow", "actor": actor,
        "object": t.fleet.at(AppName::Blog, "/actor"),
    }))
    .unwrap()
}

async fn stored(t: &TestFleet) -> i64 {
    ap_activities::table
        .filter(ap_activities::direction.eq("inbound"))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

#[actix_web::test]
async fn requests_signed_by_a_third_party_rfc9421_library_are_verified() {
    let Some(python) = python() else { return };
    let t = TestFleet::start().await;
    let (peer, actors) = Peer::start(&["ana"]).await;
    let ana = &actors[0];
    let inbox = t.fleet.at(AppName::Blog, "/inbox");
    let sign = |n: &str, alg: &str, expires_in: Option<i64>| {
        let body = follow(&peer, &t, n, &ana.id);
        let job = json!({
            "method": "POST", "url": inbox, "headers": {"Content-Type": AS_JSON},
            "body": String::from_utf8(body.clone()).unwrap(), "alg": alg,
            "pem": private_pem(&ana.key), "key_id": ana.key_id(),
            "components": ["@method", "@target-uri", "content-digest", "content-type"],
            "expires_in": expires_in,
        });
        (oracle(python, "sign", &job), body)
    };

    let (headers, body) = sign("1", "rsa-v1_5-sha256", None);
    assert!(headers.get("Signature-Input").is_some(), "{headers}");
    // Tampered first (nothing is stored for them), then the genuine request.
    let mut other_body = body.clone();
    other_body.extend_from_slice(b" ");
    assert_eq!(
        post(&t.client, &inbox, &headers, &other_body).await,
        401,
        "body changed"
    );
    let mut other_type = headers.clone();
    other_type["Content-Type"] = json!("application/ld+json");
    assert_eq!(
        post(&t.client, &inbox, &other_type, &body).await,
        401,
        "covered header changed"
    );
    let other_target = t.fleet.at(AppName::Blog, "/actor/inbox");
    assert_eq!(
        post(&t.client, &other_target, &headers, &body).await,
        401,
        "sent to another inbox than signed for"
    );
    assert_eq!(stored(&t).await, 0);
    assert_eq!(
        post(&t.client, &inbox, &headers, &body).await,
        202,
        "the library's signature verifies"
    );
    assert_eq!(stored(&t).await, 1);

    // RSASSA-PSS with SHA-512, named by `alg`.
    let (headers, body) = sign("2", "rsa-pss-sha512", None);
    assert_eq!(post(&t.client, &inbox, &headers, &body).await, 202);
    // Expired (its own `expires`, ten minutes ago).
    let (headers, body) = sign("3", "rsa-v1_5-sha256", Some(-600));
    assert_eq!(post(&t.client, &inbox, &headers, &body).await, 401);
    assert_eq!(stored(&t).await, 2);
    peer.stop().await;
    t.stop().await;
}

/// POSTs `body` to `url` signed by us in RFC 9421 over `components`, created `age` seconds ago.
async fn post_9421(
    client: &reqwest::Client,
    url: &str,
    body: &[u8],
    actor: &PeerActor,
    components: &[&str],
    age: i64,
) -> u16 {
    let target = url::Url::parse(url).unwrap();
    let headers = [
        ("content-digest".to_owned(), rfc9421::content_digest(body)),
        ("content-type".to_owned(), AS_JSON.to_owned()),
    ];
    let lookup = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let request = rfc9421::Request {
        method: "POST",
        target: &target,
        headers: &lookup,
    };
    let created = chrono::Utc::now().timestamp() - age;
    let (input, signature) =
        rfc9421::sign(&actor.key, &actor.key_id(), &request, components, created).unwrap();
    let mut req = client
        .post(url)
        .header("signature-input", input)
        .header("signature", signature)
        .body(body.to_vec());
    for (k, v) in &headers {
        req = req.header(k.as_str(), v.as_str());
    }
    req.send().await.unwrap().status().as_u16()
}

#[actix_web::test]
async fn rfc9421_signatures_that_cover_too_little_or_speak_for_another_origin_are_refused() {
    let t = TestFleet::start().await;
    let (peer, actors) = Peer::start(&["ana"]).await;
    let (elsewhere, others) = Peer::start(&["eve"]).await;
    let (ana, eve) = (&actors[0], &others[0]);
    let inbox = t.fleet.at(AppName::Blog, "/inbox");
    let all = ["@method", "@target-uri", "content-digest", "content-type"];

    for (n, components, why) in [
        (
            "m",
            &["@target-uri", "content-digest"][..],
            "@method not covered",
        ),
        (
            "t",
            &["@method", "@path", "@authority", "content-digest"][..],
            "@target-uri not covered",
        ),
        (
            "d",
            &["@method", "@target-uri", "content-type"][..],
            "content-digest not covered",
        ),
    ] {
        let body = follow(&peer, &t, n, &ana.id);
        assert_eq!(
            post_9421(&t.client, &inbox, &body, ana, components, 0).await,
            401,
            "{why}"
        );
    }
    let body = follow(&peer, &t, "old", &ana.id);
    assert_eq!(
        post_9421(&t.client, &inbox, &body, ana, &all, 2 * 3600).await,
        401,
        "created two hours ago"
    );
    // Ana's activity signed with Eve's key, from another server: a valid signature, but the
    // key's owner is not the actor.
    let body = follow(&peer, &t, "forged", &ana.id);
    assert_eq!(
        post_9421(&t.client, &inbox, &body, eve, &all, 0).await,
        401,
        "keyid on another origin"
    );
    assert_eq!(stored(&t).await, 0);
    let body = follow(&peer, &t, "good", &ana.id);
    assert_eq!(post_9421(&t.client, &inbox, &body, ana, &all, 0).await, 202);
    // Both standards on one inbox: a cavage delivery is still taken.
    let body = follow(&peer, &t, "cavage", &ana.id);
    assert_eq!(
        crate::support::peer::post_signed(
            &t.client,
            &inbox,
            &body,
            &ana.key,
            &ana.key_id(),
            |_| {}
        )
        .await,
        202
    );
    assert_eq!(stored(&t).await, 2);
    peer.stop().await;
    elsewhere.stop().await;
    t.stop().await;
}

/// A request as a sink received it.
/// A remote inbox that records every request. `cavage_only`: it answers 401 to an RFC 9421
/// signature and takes only a cavage signature that verifies with `key` (a peer that predates
/// RFC 9421).
struct Sink {
    port: u16,
    received: Arc<Mutex<Vec<Captured>>>,
    handle: actix_web::dev::ServerHandle,
}

#[derive(Clone)]
struct SinkState {
    received: Arc<Mutex<Vec<Captured>>>,
    cavage_only: Option<PKey<Public>>,
}

async fn sink_receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<SinkState>,
) -> HttpResponse {
    let captured = Captured::of(&req, &body);
    state.received.lock().unwrap().push(captured.clone());
    let Some(key) = &state.cavage_only else {
        return HttpResponse::Accepted().finish();
    };
    let lookup = |n: &str| captured.header(n);
    let message = Message {
        method: "POST",
        path_and_query: &captured.path,
        headers: &lookup,
    };
    let verified = match Presented::from_headers(&lookup) {
        Ok(Presented::Cavage(sig)) => httpsig::check(
            &sig,
            &message,
            Some(&captured.raw),
            chrono::Utc::now().timestamp(),
        )
        .and_then(|()| httpsig::verify_with(&sig, &message, key))
        .is_ok(),
        _ => false,
    };
    if verified {
        HttpResponse::Accepted().finish()
    } else {
        HttpResponse::Unauthorized().finish()
    }
}

impl Sink {
    async fn start(cavage_only: Option<PKey<Public>>) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let state = web::Data::new(SinkState {
            received: received.clone(),
            cavage_only,
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .default_service(web::post().to(sink_receive))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Sink {
            port,
            received,
            handle,
        }
    }

    fn host(&self, name: &str) -> String {
        format!("{name}.localhost:{}", self.port)
    }

    fn received(&self) -> Vec<Captured> {
        self.received.lock().unwrap().clone()
    }
}

#[actix_web::test]
async fn deliveries_knock_with_rfc9421_then_cavage_and_remember_the_host() {
    let python = python();
    let t = TestFleet::start().await;
    let ctx = t.fleet.ctx(AppName::Blog);
    let config = ctx.config().clone();
    let blog = LocalActor::App(AppName::Blog);
    let blog_key = ctx.activitypub().key_of(&blog).await.unwrap();
    let public = PKey::public_key_from_pem(blog_key.public_pem.as_bytes()).unwrap();
    let modern = Sink::start(None).await;
    let legacy = Sink::start(Some(public)).await;
    let (modern_host, legacy_host) = (modern.host("modern"), legacy.host("legacy"));
    {
        let mut conn = t.db.conn().await;
        for host in [&modern_host, &legacy_host] {
            let actor = format!("http://{host}/users/u");
            follows::add_follower(
                &mut conn,
                &blog.id(&config),
                &actor,
                &format!("{actor}/inbox"),
                Some(&format!("http://{host}/inbox")),
                &format!("{actor}#follow"),
                "accepted",
            )
            .await
            .unwrap();
        }
    }
    let publish = |n: u32| {
        let note = json!({
            "id": format!("{}/notes/knock-{n}", blog.id(&config).trim_end_matches("/actor")),
            "type": "Note", "attributedTo": blog.id(&config), "content": format!("<p>Knock {n}</p>"),
            "to": [shared::activitypub::PUBLIC], "cc": [blog.followers(&config)],
        });
        outbox::activity(&config, &blog, "Create", note)
    };
    let create = publish(1);
    outbox::emit(&mut t.db.conn().await, &create).await.unwrap();
    eventually(20, "both peers to take the Create", || async {
        modern.received().len() == 1 && legacy.received().len() == 2
    })
    .await;

    // The modern peer took the first knock, signed with RFC 9421 only.
    let got = &modern.received()[0];
    assert!(got.header("signature-input").is_some());
    assert!(
        got.header("digest").is_none(),
        "no cavage Digest on an RFC 9421 request"
    );
    // The cavage-only peer refused it and took the second knock, in cavage.
    let knocks = legacy.received();
    assert!(knocks[0].header("signature-input").is_some());
    assert!(knocks[1].header("signature-input").is_none());
    assert!(knocks[1].header("signature").unwrap().contains("keyId="));
    assert_eq!(knocks[0].raw, knocks[1].raw);
    let remembered = |host: String| {
        let db = &t.db;
        async move {
            knock::remembered(&mut db.conn().await, &host)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        remembered(modern_host.clone()).await,
        Some(Standard::Rfc9421)
    );
    assert_eq!(
        remembered(legacy_host.clone()).await,
        Some(Standard::Cavage)
    );

    // From now on each host gets its own standard at the first knock.
    outbox::emit(&mut t.db.conn().await, &publish(2))
        .await
        .unwrap();
    eventually(20, "both peers to take the second Create", || async {
        modern.received().len() == 2 && legacy.received().len() == 3
    })
    .await;
    assert!(modern.received()[1].header("signature-input").is_some());
    assert!(legacy.received()[2].header("signature-input").is_none());

    // Our RFC 9421 signature verifies with the third-party library; changed, it does not.
    if let Some(python) = python {
        let headers: serde_json::Map<String, Value> = got
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        let job = |body: &[u8]| {
            json!({
                "method": "POST", "url": format!("http://{}{}", got.host, got.path),
                "headers": headers, "body": String::from_utf8(body.to_vec()).unwrap(),
                "alg": "rsa-v1_5-sha256", "pem": blog_key.public_pem, "key_id": blog.key_id(&config),
            })
        };
        let verdict = oracle(python, "verify", &job(&got.raw));
        assert_eq!(verdict["ok"], true, "{verdict}");
        let verdict = oracle(python, "verify", &job(b"{\"type\":\"Delete\"}"));
        assert_eq!(verdict["ok"], false, "{verdict}");
    }
    modern.handle.stop(false).await;
    legacy.handle.stop(false).await;
    t.stop().await;
}
