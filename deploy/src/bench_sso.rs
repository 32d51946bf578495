//! `deploy bench sso`: the single-sign-on figures.
//!
//! - The SSO hop for a member already signed in at federation: app `/auth/login` → federation
//!   `/oauth/authorize` → app `/auth/callback` (server-to-server code exchange, id_token
//!   verified) → the app's page. Sequential, so the figure is latency.
//! - Code exchanges per second at the token endpoint (each signs an RS256 id_token), with codes
//!   issued beforehand and 32 exchanges in flight.
//! - The cost of one Argon2id hash with the OWASP parameters.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use federation::db::users;
use futures_util::StreamExt;
use openssl::hash::{MessageDigest, hash};
use shared::AppName;
use shared::config::Config;
use shared::db::migrate;
use shared::devenv;
use shared::infrastructure::jose::b64url;
use shared::infrastructure::sso;
use shared::models::users::NewUser;

use crate::fleet::Fleet;

const DATABASE: &str = "rose_ash_bench_sso";
const PASSWORD: &str = "a benchmark passphrase";
const VERIFIER: &str = "benchmark-pkce-verifier-0123456789-0123456789-abcdef";

/// A client keeping one cookie per host, following no redirects.
struct Agent {
    http: reqwest::Client,
    cookies: HashMap<String, HashMap<String, String>>,
}

impl Agent {
    fn host(url: &str) -> String {
        url::Url::parse(url)
            .map(|u| format!("{}:{}", u.host_str().unwrap_or(""), u.port().unwrap_or(80)))
            .unwrap_or_default()
    }

    async fn send(
        &mut self,
        req: reqwest::RequestBuilder,
        url: &str,
    ) -> anyhow::Result<(reqwest::StatusCode, Option<String>, String)> {
        let jar = self.cookies.entry(Self::host(url)).or_default();
        let header = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let res = req.header("cookie", header).send().await?;
        for value in res.headers().get_all("set-cookie") {
            if let Ok(c) =
                actix_web::cookie::Cookie::parse(value.to_str().unwrap_or_default().to_owned())
            {
                if c.value().is_empty() {
                    jar.remove(c.name());
                } else {
                    jar.insert(c.name().to_owned(), c.value().to_owned());
                }
            }
        }
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .and_then(|l| url::Url::parse(url).ok()?.join(l).ok())
            .map(String::from);
        Ok((status, location, res.text().await?))
    }

    async fn get(
        &mut self,
        url: &str,
    ) -> anyhow::Result<(reqwest::StatusCode, Option<String>, String)> {
        let req = self.http.get(url);
        self.send(req, url).await
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

pub async fn run() -> anyhow::Result<()> {
    println!("Rose Ash single sign-on benchmark");
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
        ("REDIS_PREFIX", "bench-sso:"),
        ("DB_POOL_SIZE", "16"),
        ("RUST_LOG", "warn"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let config = Config::from_lookup(move |k| vars.get(k).cloned())?;
    let fleet = Fleet::start(config, IpAddr::V4(Ipv4Addr::LOCALHOST), None).await?;
    let result = measure(&fleet, &database_url).await;
    fleet.stop().await;
    services.stop_started().await;
    result
}

async fn measure(fleet: &Fleet, database_url: &str) -> anyhow::Result<()> {
    // Argon2id cost, OWASP parameters.
    let started = Instant::now();
    let rounds = 20;
    let mut hash_value = String::new();
    for _ in 0..rounds {
        hash_value = federation::accounts::passwords::hash_blocking(PASSWORD)?;
    }
    let per_hash = started.elapsed() / rounds;
    println!(
        "\nArgon2id (m = {} KiB, t = {}, p = {}): {:.1} ms per hash, one core",
        federation::accounts::passwords::MEMORY_KIB,
        federation::accounts::passwords::ITERATIONS,
        federation::accounts::passwords::PARALLELISM,
        per_hash.as_secs_f64() * 1000.0
    );

    let mut conn = AsyncPgConnection::establish(database_url).await?;
    users::insert_with_password(
        &mut conn,
        &NewUser {
            username: "bench",
            email: "bench@example.org",
            display_name: "Bench",
            avatar_url: None,
            bio: "",
            role: "member",
        },
        &hash_value,
        true,
    )
    .await?;

    let mut agent = Agent {
        http: shared::infrastructure::http_client::internal_client()?,
        cookies: HashMap::new(),
    };
    let federation = fleet.at(AppName::Federation, "/login");
    let (_, _, form) = agent.get(&federation).await?;
    let csrf = form
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .context("no CSRF token")?
        .to_owned();
    let req = agent.http.post(&federation).form(&[
        ("csrf_token", csrf.as_str()),
        ("login", "bench"),
        ("password", PASSWORD),
    ]);
    let (status, _, _) = agent.send(req, &federation).await?;
    if status != reqwest::StatusCode::SEE_OTHER {
        bail!("could not sign in at federation ({status})");
    }

    // The SSO hop, sequentially.
    let blog_host = Agent::host(&fleet.at(AppName::Blog, "/"));
    let mut hops = Vec::new();
    for i in 0..220 {
        agent.cookies.remove(&blog_host);
        let started = Instant::now();
        let mut url = fleet.at(AppName::Blog, "/auth/login?return_to=/");
        let mut redirects = 0;
        loop {
            let (status, location, _) = agent.get(&url).await?;
            match location {
                Some(next) if status.is_redirection() && redirects < 6 => {
                    url = next;
                    redirects += 1;
                }
                _ if status.is_success() => break,
                _ => bail!("the SSO hop ended with {status} at {url}"),
            }
        }
        if i >= 20 {
            hops.push(started.elapsed());
        }
    }
    hops.sort();
    println!(
        "SSO hop (app /auth/login → federation → app callback → code exchange → app page), {} runs:\n  p50 {:.2} ms   p90 {:.2} ms   p99 {:.2} ms   (target p50 ≤ 20 ms)",
        hops.len(),
        percentile(&hops, 0.5),
        percentile(&hops, 0.9),
        percentile(&hops, 0.99)
    );

    // Code exchanges: issue codes first, then exchange them with 32 in flight.
    let config = fleet.ctx(AppName::Blog).config().clone();
    let challenge = b64url(&hash(MessageDigest::sha256(), VERIFIER.as_bytes())?);
    let authorize = |state: usize| {
        format!(
            "{}?{}",
            fleet.at(AppName::Federation, "/oauth/authorize"),
            serde_urlencoded::to_string([
                ("response_type", "code"),
                ("client_id", "blog"),
                ("redirect_uri", &sso::redirect_uri(&config, AppName::Blog)),
                ("scope", "openid profile email"),
                ("state", &state.to_string()),
                ("nonce", "n"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ])
            .unwrap_or_default()
        )
    };
    let count = 3000;
    let mut codes = Vec::with_capacity(count);
    for i in 0..count {
        let (_, location, _) = agent.get(&authorize(i)).await?;
        let location = location.context("authorize did not redirect")?;
        let code = url::Url::parse(&location)?
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned());
        codes.push(code.context("no code")?);
    }
    let token_url = fleet.at(AppName::Federation, "/oauth/token");
    let secret = sso::client_secret(&config, AppName::Blog)?
        .expose()
        .to_owned();
    let redirect = sso::redirect_uri(&config, AppName::Blog);
    let http = agent.http.clone();
    let started = Instant::now();
    let results: Vec<bool> = futures_util::stream::iter(codes)
        .map(|code| {
            let http = http.clone();
            let (token_url, secret, redirect) =
                (token_url.clone(), secret.clone(), redirect.clone());
            async move {
                let res = http
                    .post(token_url)
                    .basic_auth("blog", Some(secret))
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", code.as_str()),
                        ("redirect_uri", redirect.as_str()),
                        ("code_verifier", VERIFIER),
                    ])
                    .send()
                    .await;
                matches!(res, Ok(r) if r.status().is_success())
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let ok = results.iter().filter(|r| **r).count();
    println!(
        "Code exchanges (token endpoint, RS256 id_token, refresh token stored): {ok} in {:.2} s = {:.0}/s with 32 in flight   (target ≥ 1,000/s)",
        elapsed.as_secs_f64(),
        ok as f64 / elapsed.as_secs_f64()
    );
    if ok != count {
        bail!("{} exchanges failed", count - ok);
    }
    Ok(())
}
