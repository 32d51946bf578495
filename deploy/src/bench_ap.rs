//! `deploy bench activitypub`: the ActivityPub figures.
//!
//! - Inbox: signed `Create` activities from a known remote actor, verified (signature, digest,
//!   date, origins) and stored per second, 64 requests in flight against federation's shared
//!   inbox. The processor is paused for this part, so the figure is the inbox's own.
//! - Delivery: one activity from the blog to 10,000 followers on 1,000 hosts (`h1.localhost` …
//!   `h1000.localhost`, one recording sink process-thread answering for all), from the moment it
//!   is emitted until every shared inbox has it; then a check that each got it exactly once.
//! - RSA: draft-cavage signatures per second on one core, next to `openssl speed rsa2048`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::StreamExt;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use serde_json::json;
use shared::AppName;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::fetch::{Fetcher, Signer};
use shared::activitypub::httpsig::{self, Message};
use shared::activitypub::keys::ActorKey;
use shared::activitypub::store::{self, RemoteActor};
use shared::activitypub::{PUBLIC, outbox};
use shared::config::Config;
use shared::db::migrate;
use shared::devenv;

use crate::fleet::Fleet;
use crate::inbox_sink::InboxSink;

const DATABASE: &str = "rose_ash_bench_ap";
const INBOX_ACTIVITIES: usize = 6_000;
const IN_FLIGHT: usize = 64;
const HOSTS: usize = 1_000;
const FOLLOWERS_PER_HOST: usize = 10;

pub async fn run() -> anyhow::Result<()> {
    println!("Rose Ash ActivityPub benchmark");
    let services = devenv::ensure(DATABASE, &crate::dev::state_dir()).await?;
    let admin_url = services.database_url_for("postgres")?;
    let mut admin = AsyncPgConnection::establish(&admin_url).await?;
    diesel::sql_query(format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    diesel::sql_query(format!("CREATE DATABASE {DATABASE}"))
        .execute(&mut admin)
        .await?;
    let database_url = services.database_url_for(DATABASE)?;
    migrate::run_pending(&database_url).await?;
    let vars: HashMap<String, String> = [
        ("DATABASE_URL", database_url.as_str()),
        ("REDIS_URL", services.redis_url.as_str()),
        ("REDIS_PREFIX", "bench-ap:"),
        ("DB_POOL_SIZE", "16"),
        ("FEDERATION_ALLOW_LOOPBACK", "true"),
        ("RUST_LOG", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = Config::from_lookup(move |k| vars.get(k).cloned())?;
    let mut fleet = Fleet::start(config, IpAddr::V4(Ipv4Addr::LOCALHOST), None).await?;
    let result = measure(&mut fleet, &database_url).await;
    fleet.stop().await;
    services.stop_started().await;
    result
}

async fn measure(fleet: &mut Fleet, database_url: &str) -> anyhow::Result<()> {
    rsa_figures()?;
    inbox_figures(fleet, database_url).await?;
    delivery_figures(fleet, database_url).await
}

/// Our signing rate on one core against openssl's own.
fn rsa_figures() -> anyhow::Result<()> {
    let key = PKey::from_rsa(Rsa::generate(2048)?)?;
    let date = httpsig::http_date(chrono::Utc::now());
    let digest = httpsig::digest_header(b"{}");
    let lookup = |name: &str| match name {
        "host" => Some("h1.localhost".to_owned()),
        "date" => Some(date.clone()),
        "digest" => Some(digest.clone()),
        "content-type" => Some(shared::activitypub::CONTENT_TYPE.to_owned()),
        _ => None,
    };
    let message = Message {
        method: "POST",
        path_and_query: "/inbox",
        headers: &lookup,
    };
    let names = ["(request-target)", "host", "date", "digest", "content-type"];
    let n = 2_000;
    let start = Instant::now();
    for _ in 0..n {
        httpsig::sign(
            &key,
            "https://blog.example/actor#main-key",
            &message,
            &names,
        )?;
    }
    let ours = f64::from(n) / start.elapsed().as_secs_f64();
    let openssl = openssl_speed();
    println!("\nRSA-2048 signatures (one core)");
    println!("  httpsig::sign   {ours:>8.0} /s");
    match openssl {
        Some(theirs) => println!(
            "  openssl speed   {theirs:>8.0} /s   (ours: {:.0}%)",
            100.0 * ours / theirs
        ),
        None => println!("  openssl speed   (the openssl command is not available)"),
    }
    Ok(())
}

/// `openssl speed -seconds 3 rsa2048`: signatures per second.
fn openssl_speed() -> Option<f64> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-seconds", "3", "rsa2048"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "rsa 2048 bits 0.000939s 0.000027s   1065.0  36630.1" (sign/s is the first rate)
    text.lines()
        .find(|l| {
            l.trim_start().starts_with("rsa 2048 bits")
                || l.trim_start().starts_with("rsa  2048 bits")
        })
        .and_then(|l| l.split_whitespace().rev().nth(1)?.parse().ok())
}

pub(crate) async fn inbox_figures(fleet: &mut Fleet, database_url: &str) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    // A remote actor whose key the inbox already knows (steady state: keys are cached).
    let remote = "http://peer.localhost:9/actor";
    let key = ActorKey {
        private: PKey::from_rsa(Rsa::generate(2048)?)?,
        public_pem: String::new(),
    };
    let public_pem = String::from_utf8(key.private.public_key_to_pem()?)?;
    store::upsert_remote_actor(
        &mut conn,
        &RemoteActor {
            id: remote.to_owned(),
            kind: "Person".into(),
            preferred_username: Some("peer".into()),
            name: None,
            summary: None,
            url: None,
            icon: None,
            inbox: format!("{remote}/inbox"),
            shared_inbox: None,
            key_id: format!("{remote}#main-key"),
            public_key_pem: public_pem,
            fetched_at: chrono::Utc::now(),
            deleted_at: None,
        },
    )
    .await?;
    fleet.stop_workers(AppName::Federation).await;

    let inbox = url::Url::parse(&fleet.at(AppName::Federation, "/inbox"))?;
    let key_id = format!("{remote}#main-key");
    let signer = Signer {
        key: &key,
        key_id: &key_id,
    };
    print!("\nInbox: signing {INBOX_ACTIVITIES} activities… ");
    let mut requests = Vec::with_capacity(INBOX_ACTIVITIES);
    for n in 0..INBOX_ACTIVITIES {
        let body = json!({
            "@context": shared::activitypub::AS_CONTEXT,
            "id": format!("http://peer.localhost:9/activities/{n}"), "type": "Create", "actor": remote,
            "to": [PUBLIC],
            "object": {"id": format!("http://peer.localhost:9/notes/{n}"), "type": "Note",
                       "attributedTo": remote, "content": format!("<p>Note {n}</p>"), "to": [PUBLIC]},
        })
        .to_string();
        let headers =
            Fetcher::signed_headers(&inbox, "POST", Some(body.as_bytes()), Some(&signer))?;
        requests.push((body, headers));
    }
    println!("done");
    let client = shared::infrastructure::http_client::internal_client()?;
    let start = Instant::now();
    let statuses: Vec<u16> = futures_util::stream::iter(requests)
        .map(|(body, headers)| {
            let mut req = client.post(inbox.as_str()).body(body);
            for (k, v) in headers {
                if k != "host" {
                    req = req.header(k, v);
                }
            }
            async move { req.send().await.map(|r| r.status().as_u16()).unwrap_or(0) }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let elapsed = start.elapsed();
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let stored: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM ap_activities WHERE direction = 'inbound' AND kind = 'Create'",
    )
    .get_result(&mut conn)
    .await?;
    println!(
        "  {accepted} of {INBOX_ACTIVITIES} answered 202, {} stored, in {:.2} s: {:.0} verified and stored /s ({IN_FLIGHT} in flight)",
        stored.n,
        elapsed.as_secs_f64(),
        accepted as f64 / elapsed.as_secs_f64()
    );
    if accepted != INBOX_ACTIVITIES || stored.n != INBOX_ACTIVITIES as i64 {
        bail!("the inbox refused or lost activities");
    }
    // Clear them out of the way of the delivery figure (nothing else to do with them).
    diesel::sql_query("UPDATE ap_activities SET status = 'done' WHERE direction = 'inbound'")
        .execute(&mut conn)
        .await?;
    fleet.restart_workers(AppName::Federation).await?;
    Ok(())
}

async fn delivery_figures(fleet: &Fleet, database_url: &str) -> anyhow::Result<()> {
    let sink = InboxSink::start(0)?;
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    let config = fleet.ctx(AppName::Blog).config().clone();
    let blog = LocalActor::App(AppName::Blog);
    diesel::sql_query(
        "INSERT INTO ap_followers (local_actor, follower, inbox, shared_inbox, follow_activity_id) \
         SELECT $1, format('http://h%s.localhost:%s/users/u%s', h, $2, u), \
                format('http://h%s.localhost:%s/users/u%s/inbox', h, $2, u), \
                format('http://h%s.localhost:%s/inbox', h, $2), format('http://h%s.localhost:%s/follows/%s', h, $2, u) \
         FROM generate_series(1, $3) AS h, generate_series(1, $4) AS u",
    )
    .bind::<diesel::sql_types::Text, _>(blog.id(&config))
    .bind::<diesel::sql_types::Text, _>(sink.port().to_string())
    .bind::<diesel::sql_types::Integer, _>(HOSTS as i32)
    .bind::<diesel::sql_types::Integer, _>(FOLLOWERS_PER_HOST as i32)
    .execute(&mut conn)
    .await
    .context("adding followers")?;

    let note = json!({
        "id": format!("{}/notes/bench", blog.id(&config).trim_end_matches("/actor")),
        "type": "Note", "attributedTo": blog.id(&config), "content": "<p>To ten thousand followers</p>",
        "to": [PUBLIC], "cc": [blog.followers(&config)],
    });
    let create = outbox::activity(&config, &blog, "Create", note);
    let id = create["id"].as_str().unwrap_or_default().to_owned();
    let start = Instant::now();
    outbox::emit(&mut conn, &create).await?;
    let waited = tokio::task::spawn_blocking(move || {
        let took = sink.wait_for(HOSTS, Duration::from_secs(60));
        // Anything sent twice would arrive within moments.
        std::thread::sleep(Duration::from_millis(500));
        (took, sink)
    })
    .await?;
    let (took, sink) = waited;
    let Some(took) = took else {
        bail!(
            "only {} of {HOSTS} hosts got the activity in 60 s",
            sink.totals().0
        );
    };
    let _ = start;
    let (distinct, total) = sink.totals();
    let once = (1..=HOSTS)
        .filter(|h| sink.received(&format!("h{h}.localhost"), &id) == 1)
        .count();
    println!(
        "\nDelivery: one Create to {} followers on {HOSTS} hosts",
        HOSTS * FOLLOWERS_PER_HOST
    );
    println!(
        "  every shared inbox had it after {:.2} s ({:.0} signed deliveries /s)",
        took.as_secs_f64(),
        HOSTS as f64 / took.as_secs_f64()
    );
    println!(
        "  {distinct} hosts received it, {total} requests in all, {once} exactly once, {} unsigned",
        sink.unsigned()
    );
    if once != HOSTS || total != HOSTS as u64 {
        bail!("some host did not get the activity exactly once");
    }
    Ok(())
}
