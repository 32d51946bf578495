//! `deploy bench social`: the social hub's figures.
//!
//! - Home timeline: a member following 500 remote actors, with 50,000 of their public posts
//!   stored (100 each), asks for `/home` (rendered every time: a member's page is never cached)
//!   with `wrk`, 64 connections.
//! - Inbox: signed `Create`s verified and stored per second (as `bench activitypub` measures it,
//!   on this database, with the 50,000 posts and their indexes in place).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use anyhow::{Context, bail};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use shared::AppName;
use shared::activitypub::actors::LocalActor;
use shared::config::Config;
use shared::db::migrate;
use shared::devenv;
use shared::models::users::NewUser;

use crate::bench::{MemberSession, Options, run_wrk_as_member, which};
use crate::fleet::Fleet;

const DATABASE: &str = "rose_ash_bench_social";
const ACTORS: i64 = 500;
const POSTS_PER_ACTOR: i64 = 100;
const READER: &str = "reader";

pub async fn run(options: Options) -> anyhow::Result<()> {
    println!("Rose Ash social hub benchmark");
    let wrk = which("wrk").context("wrk is not installed")?;
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
        ("REDIS_PREFIX", "bench-social:"),
        ("DB_POOL_SIZE", "16"),
        ("FEDERATION_ALLOW_LOOPBACK", "true"),
        ("RUST_LOG", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = Config::from_lookup(move |k| vars.get(k).cloned())?;
    let mut fleet = Fleet::start(config, IpAddr::V4(Ipv4Addr::LOCALHOST), None).await?;
    // The fleet's own configuration: it names the apps' addresses (and so the actors' ids).
    let config = fleet.ctx(AppName::Federation).config().clone();
    let result = match seed(&config, &database_url).await {
        Ok(()) => measure(&mut fleet, &config, &database_url, &wrk, &options).await,
        Err(e) => Err(e),
    };
    fleet.stop().await;
    services.stop_started().await;
    result
}

/// The reader, 500 actors they follow, and 100 public posts by each.
async fn seed(config: &Config, database_url: &str) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    federation::db::users::insert(
        &mut conn,
        &NewUser {
            username: READER,
            email: "reader@example.org",
            display_name: "Reader",
            avatar_url: None,
            bio: "",
            role: "member",
        },
    )
    .await?;
    let reader = LocalActor::User(READER.to_owned()).id(config);
    diesel::sql_query(
        "INSERT INTO ap_remote_actors (id, kind, preferred_username, name, inbox, key_id, \
           public_key_pem, fetched_at) \
         SELECT format('https://peer%s.example/users/a%s', g % 50, g), 'Person', \
                format('a%s', g), format('Actor %s', g), \
                format('https://peer%s.example/users/a%s/inbox', g % 50, g), \
                format('https://peer%s.example/users/a%s#main-key', g % 50, g), 'PEM', now() \
         FROM generate_series(1, $1) g",
    )
    .bind::<diesel::sql_types::BigInt, _>(ACTORS)
    .execute(&mut conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO ap_following (local_actor, remote_actor, follow_activity_id, state, created_at) \
         SELECT $1, id, id || '#follow', 'accepted', now() FROM ap_remote_actors",
    )
    .bind::<diesel::sql_types::Text, _>(&reader)
    .execute(&mut conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO ap_objects (id, kind, attributed_to, local, content, published, likes, \
           announces, payload, created_at) \
         SELECT a.id || '/statuses/' || n, 'Note', a.id, false, \
                format('<p>Post %s by %s: the pears are nearly ready in the orchard, come and \
                        see them on Saturday</p>', n, a.preferred_username), \
                now() - make_interval(mins => (n * 500)::int), 0, 0, \
                jsonb_build_object('type', 'Note', \
                  'to', jsonb_build_array('https://www.w3.org/ns/activitystreams#Public'), \
                  'cc', jsonb_build_array(a.id || '/followers')), now() \
         FROM ap_remote_actors a, generate_series(1, $1) n ORDER BY n, a.id",
    )
    .bind::<diesel::sql_types::BigInt, _>(POSTS_PER_ACTOR)
    .execute(&mut conn)
    .await?;
    diesel::sql_query("VACUUM ANALYZE ap_objects")
        .execute(&mut conn)
        .await?;
    diesel::sql_query("ANALYZE ap_following")
        .execute(&mut conn)
        .await?;
    Ok(())
}

async fn measure(
    fleet: &mut Fleet,
    config: &Config,
    database_url: &str,
    wrk: &std::path::Path,
    options: &Options,
) -> anyhow::Result<()> {
    let member = MemberSession::sign_in(config, AppName::Federation, READER).await?;
    let home = fleet.at(AppName::Federation, "/home");
    let page = shared::infrastructure::http_client::internal_client()?
        .get(&home)
        .header("cookie", &member.cookie)
        .send()
        .await?;
    let status = page.status();
    let body = page.text().await?;
    if !status.is_success() || !body.contains("the pears are nearly ready") {
        let main = body
            .find("<main")
            .map_or("", |i| &body[i..body.len().min(i + 3000)]);
        bail!("/home did not show the reader's timeline ({status}):\n{main}");
    }
    let shown = body.matches("<article class=\"status").count();
    println!(
        "\nHome timeline: {ACTORS} followed actors, {} stored posts; /home is {} bytes, {shown} posts",
        ACTORS * POSTS_PER_ACTOR,
        body.len()
    );
    let result = run_wrk_as_member(
        wrk,
        options,
        fleet.url(AppName::Federation),
        "/home",
        &member.cookie,
    )
    .await?;
    println!(
        "  /home (member, rendered)  {:>8.0} req/s   p50 {:.2} ms   p99 {:.2} ms   errors {}   (target >= 1,500 req/s, p99 <= 30 ms)",
        result.requests_per_sec, result.p50_ms, result.p99_ms, result.errors
    );
    crate::bench_ap::inbox_figures(fleet, database_url).await
}
