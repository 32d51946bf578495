//! `deploy bench`: the blog home page under load, next to the static-file ceiling.
//!
//! Runs the six release binaries as separate processes (as in production) on a scratch
//! database, seeds it, warms the caches, then measures with `wrk` at 64 connections: the home
//! page for an anonymous visitor (from the page cache), the same page for a signed-in member (a
//! real session of the demo member `demo`: composed on every request with their own `user-menu`
//! and `mini-cart`), and the same bytes served as a static file by nginx (the ceiling). Also
//! reports each app's idle memory. Prints figures; asserts nothing.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use shared::AppName;
use shared::config::Config;
use shared::db::migrate;
use shared::devenv::{self, DevServices};
use shared::infrastructure::redis::Redis;
use shared::infrastructure::session::{SessionData, SessionStore};
use shared::models::users;
use tokio::process::{Child, Command};

const BENCH_DATABASE: &str = "rose_ash_bench";
const BASE_PORT: u16 = 18001;
const STATIC_PORT: u16 = 18080;

#[derive(Debug, Clone)]
pub struct Options {
    pub connections: u32,
    pub duration_secs: u32,
    pub threads: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            connections: 64,
            duration_secs: 10,
            threads: 2,
        }
    }
}

/// What `wrk` measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WrkResult {
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
}

pub(crate) fn port(app: AppName) -> u16 {
    BASE_PORT + app as u16
}

fn release_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("target/release"))
}

pub(crate) fn which(program: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

pub async fn run(options: Options) -> anyhow::Result<()> {
    let wrk = which("wrk").context("the benchmark needs wrk: sudo apt-get install wrk")?;
    println!(
        "Rose Ash benchmark ({} connections, {} s, wrk -t{})",
        options.connections, options.duration_secs, options.threads
    );
    let mut fleet = ReleaseFleet::prepare(BENCH_DATABASE, "bench:").await?;
    let result = match fleet.start().await {
        Ok(()) => measure(&wrk, &options, &fleet.config, &fleet.children).await,
        Err(e) => Err(e),
    };
    fleet.stop().await;
    result
}

/// The six apps as release processes (as in production) on a scratch database.
pub(crate) struct ReleaseFleet {
    services: DevServices,
    env: Vec<(String, String)>,
    pub(crate) database_url: String,
    pub(crate) config: Config,
    pub(crate) children: Vec<(AppName, Child)>,
}

impl ReleaseFleet {
    /// Builds the apps' release binaries, finds or starts PostgreSQL and Redis, creates and
    /// migrates `database` (kept between runs) and seeds the demo content. Starts no app.
    pub(crate) async fn prepare(database: &str, redis_prefix: &str) -> anyhow::Result<Self> {
        println!("· building release binaries of the six apps");
        let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "--bins", "-q"])
            .args(AppName::ALL.iter().flat_map(|a| ["-p", a.as_str()]))
            .status()
            .await?;
        if !status.success() {
            bail!("cargo build failed");
        }
        let services = devenv::ensure(database, &crate::dev::state_dir()).await?;
        match Self::set_up(&services, database, redis_prefix).await {
            Ok((database_url, env, config)) => Ok(ReleaseFleet {
                services,
                env,
                database_url,
                config,
                children: Vec::new(),
            }),
            Err(e) => {
                services.stop_started().await;
                Err(e)
            }
        }
    }

    async fn set_up(
        services: &DevServices,
        database: &str,
        redis_prefix: &str,
    ) -> anyhow::Result<(String, Vec<(String, String)>, Config)> {
        let database_url = services.database_url_for(database)?;
        devenv::create_database_if_missing(&database_url).await?;
        migrate::run_pending(&database_url).await?;
        let mut env: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), database_url.clone()),
            ("REDIS_URL".into(), services.redis_url.clone()),
            ("REDIS_PREFIX".into(), redis_prefix.into()),
            ("RUST_LOG".into(), "warn".into()),
            ("WORKERS".into(), "2".into()),
        ];
        for app in AppName::ALL {
            let upper = app.as_str().to_ascii_uppercase();
            env.push((
                format!("APP_URL_{upper}"),
                format!("http://{app}.localhost:{}/", port(app)),
            ));
        }
        let lookup: std::collections::HashMap<_, _> = env.iter().cloned().collect();
        let config = Config::from_lookup(move |k| lookup.get(k).cloned())?;
        crate::seed::seed(&database_url, &config).await?;
        Ok((database_url, env, config))
    }

    /// Sets a variable of the apps' environment (before [`ReleaseFleet::start`]).
    pub(crate) fn set_env(&mut self, name: &str, value: &str) {
        self.env.retain(|(k, _)| k != name);
        self.env.push((name.to_owned(), value.to_owned()));
    }

    /// Starts the six apps and waits until each is ready.
    pub(crate) async fn start(&mut self) -> anyhow::Result<()> {
        for app in AppName::ALL {
            let child = Command::new(release_dir().join(app.as_str()))
                .envs(self.env.iter().cloned())
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .kill_on_drop(true)
                .spawn()
                .with_context(|| format!("starting {app}"))?;
            self.children.push((app, child));
        }
        let client = shared::infrastructure::http_client::internal_client()?;
        for app in AppName::ALL {
            wait_ready(&client, &format!("http://127.0.0.1:{}/readyz", port(app))).await?;
        }
        Ok(())
    }

    /// Stops the apps, and PostgreSQL and Redis if [`ReleaseFleet::prepare`] started them.
    pub(crate) async fn stop(mut self) {
        for (_, child) in &mut self.children {
            let _ = child.start_kill();
        }
        self.services.stop_started().await;
    }
}

pub(crate) async fn wait_ready(client: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    for _ in 0..200 {
        if let Ok(res) = client.get(url).send().await
            && res.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{url} did not become ready")
}

fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

async fn measure(
    wrk: &Path,
    options: &Options,
    config: &Config,
    children: &[(AppName, Child)],
) -> anyhow::Result<()> {
    let client = shared::infrastructure::http_client::internal_client()?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("\nIdle memory (RSS) per app:");
    for (app, child) in children {
        let rss = child
            .id()
            .and_then(rss_mb)
            .map_or("?".into(), |mb| format!("{mb:.1} MB"));
        println!("  {:<11} {rss}", app.as_str());
    }

    let home = format!("http://127.0.0.1:{}/", port(AppName::Blog));
    let body = client
        .get(&home)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    for _ in 0..20 {
        client.get(&home).send().await?.error_for_status()?;
    }
    println!(
        "\nComposed blog home page: {} bytes (nav, user-menu, mini-cart, upcoming, featured)",
        body.len()
    );
    let composed = run_wrk(wrk, options, &home, &[]).await?;
    print_result("blog home, anonymous (page cache)", &composed);

    let member = MemberSession::sign_in(config, AppName::Blog, "demo").await?;
    let member_body = client
        .get(&home)
        .header("cookie", &member.cookie)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    member.check_signed_in(&member_body)?;
    for _ in 0..20 {
        client
            .get(&home)
            .header("cookie", &member.cookie)
            .send()
            .await?
            .error_for_status()?;
    }
    let header = format!("Cookie: {}", member.cookie);
    let for_member = run_wrk(wrk, options, &home, &[header]).await?;
    print_result(
        &format!("blog home, member `demo` ({} bytes)", member_body.len()),
        &for_member,
    );

    let (ceiling_name, ceiling) = static_ceiling(wrk, options, &client, &body).await?;
    print_result(
        &format!("same bytes as a static file ({ceiling_name})"),
        &ceiling,
    );

    let share = |r: &WrkResult| 100.0 * r.requests_per_sec / ceiling.requests_per_sec.max(1.0);
    println!(
        "\nAnonymous page at {:.1}% of the static ceiling; p99 {:.2} ms (target ≤ 15 ms).",
        share(&composed),
        composed.p99_ms
    );
    println!(
        "Member's composed page at {:.1}% of the static ceiling (target ≥ 25%); p99 {:.2} ms.",
        share(&for_member),
        for_member.p99_ms
    );
    println!("\nMemory after load (RSS) per app:");
    for (app, child) in children {
        let rss = child
            .id()
            .and_then(rss_mb)
            .map_or("?".into(), |mb| format!("{mb:.1} MB"));
        println!("  {:<11} {rss}", app.as_str());
    }
    Ok(())
}

/// A real session of a demo member on one app, made by the app's session store as a sign-in
/// makes it: their pages skip the page cache and compose with their own fragments.
pub(crate) struct MemberSession {
    /// `name=value`, for a `Cookie` header.
    pub(crate) cookie: String,
    pub(crate) display_name: String,
}

impl MemberSession {
    pub(crate) async fn sign_in(
        config: &Config,
        app: AppName,
        username: &str,
    ) -> anyhow::Result<Self> {
        let user = {
            let mut conn = AsyncPgConnection::establish(config.database.url.expose()).await?;
            users::by_username(&mut conn, username)
                .await?
                .with_context(|| format!("the demo content has no member `{username}`"))?
        };
        let sessions = SessionStore::new(
            Redis::connect(&config.redis).await?,
            app,
            config.apps.public(app),
        );
        let sid = sessions
            .create(&SessionData::for_user(Some(user.id))?)
            .await?;
        Ok(MemberSession {
            cookie: format!("{}={sid}", sessions.cookie_name()),
            display_name: user.display_name,
        })
    }

    /// Fails unless `page` shows this member signed in (their name and a sign-out link).
    pub(crate) fn check_signed_in(&self, page: &str) -> anyhow::Result<()> {
        if page.contains(&self.display_name) && page.contains("Sign out") {
            Ok(())
        } else {
            bail!("the page does not show `{}` signed in", self.display_name)
        }
    }
}

fn print_result(what: &str, r: &WrkResult) {
    println!(
        "  {what:<48} {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms{}",
        r.requests_per_sec,
        r.p50_ms,
        r.p99_ms,
        if r.errors > 0 {
            format!("   ({} errors)", r.errors)
        } else {
            String::new()
        }
    );
}

/// The same bytes served as a static file (nginx if installed), measured like the app: the
/// ceiling. Returns the server's description and what `wrk` measured.
pub(crate) async fn static_ceiling(
    wrk: &Path,
    options: &Options,
    client: &reqwest::Client,
    body: &[u8],
) -> anyhow::Result<(&'static str, WrkResult)> {
    let dir = std::env::temp_dir().join(format!("ra-bench-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("index.html"), body)?;
    let (ceiling_name, mut server) = start_static_server(&dir).await?;
    let static_url = format!("http://127.0.0.1:{STATIC_PORT}/index.html");
    let ceiling = match wait_ready(client, &static_url).await {
        Ok(()) => run_wrk(wrk, options, &static_url, &[]).await,
        Err(e) => Err(e),
    };
    stop_static_server(&mut server).await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok((ceiling_name, ceiling?))
}

/// `wrk --latency` against `url`, sending each of `headers` ("Name: value") with every request.
pub(crate) async fn run_wrk(
    wrk: &Path,
    options: &Options,
    url: &str,
    headers: &[String],
) -> anyhow::Result<WrkResult> {
    let out = Command::new(wrk)
        .arg(format!("-t{}", options.threads))
        .arg(format!("-c{}", options.connections))
        .arg(format!("-d{}s", options.duration_secs))
        .arg("--latency")
        .args(headers.iter().flat_map(|h| ["-H", h.as_str()]))
        .arg(url)
        .output()
        .await?;
    let text = String::from_utf8_lossy(&out.stdout);
    parse_wrk(&text).with_context(|| format!("could not read wrk's output:\n{text}"))
}

/// [`run_wrk`] on `path` of the app at `app` with a member's session cookie. wrk resolves names
/// itself, so it asks the loopback address with the app's host named.
pub(crate) async fn run_wrk_as_member(
    wrk: &Path,
    options: &Options,
    app: &url::Url,
    path: &str,
    cookie: &str,
) -> anyhow::Result<WrkResult> {
    let port = app.port_or_known_default().context("the app's port")?;
    let host = format!("Host: {}:{port}", app.host_str().unwrap_or("localhost"));
    run_wrk(
        wrk,
        options,
        &format!("http://127.0.0.1:{port}{path}"),
        &[format!("Cookie: {cookie}"), host],
    )
    .await
}

/// Parses `wrk --latency` output.
pub fn parse_wrk(text: &str) -> Option<WrkResult> {
    fn ms(value: &str) -> Option<f64> {
        let (number, factor) = if let Some(v) = value.strip_suffix("us") {
            (v, 0.001)
        } else if let Some(v) = value.strip_suffix("ms") {
            (v, 1.0)
        } else if let Some(v) = value.strip_suffix('s') {
            (v, 1000.0)
        } else {
            (value, 1.0)
        };
        number.parse::<f64>().ok().map(|n| n * factor)
    }
    let mut result = WrkResult::default();
    for line in text.lines().map(str::trim) {
        let mut parts = line.split_whitespace();
        match (parts.next(), parts.next()) {
            (Some("Requests/sec:"), Some(v)) => result.requests_per_sec = v.parse().ok()?,
            (Some("50%"), Some(v)) => result.p50_ms = ms(v)?,
            (Some("99%"), Some(v)) => result.p99_ms = ms(v)?,
            (Some("Non-2xx"), _) => {
                result.errors += line
                    .rsplit(' ')
                    .next()
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or(0);
            }
            (Some("Socket"), Some("errors:")) => {
                result.errors += line
                    .split(',')
                    .filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok())
                    .sum::<u64>();
            }
            _ => {}
        }
    }
    (result.requests_per_sec > 0.0).then_some(result)
}

/// nginx (if installed) serving `dir`, else a minimal actix-web file server.
async fn start_static_server(dir: &Path) -> anyhow::Result<(&'static str, Child)> {
    if let Some(nginx) = which("nginx") {
        let conf = dir.join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "worker_processes 2;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log;\n\
                 events {{ worker_connections 1024; }}\n\
                 http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 100000;\n\
                 default_type text/html;\n\
                 server {{ listen 127.0.0.1:{STATIC_PORT}; root {dir}; }} }}\n",
                dir = dir.display()
            ),
        )?;
        let child = Command::new(nginx)
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf)
            .args(["-g", "daemon off;"])
            .kill_on_drop(true)
            .spawn()?;
        return Ok(("nginx, 2 workers", child));
    }
    let child = Command::new(std::env::current_exe()?)
        .arg("static-server")
        .arg(dir.join("index.html"))
        .arg(STATIC_PORT.to_string())
        .kill_on_drop(true)
        .spawn()?;
    Ok((
        "actix-web from memory, 2 workers; install nginx for the real ceiling",
        child,
    ))
}

/// Stops nginx (or the fallback) and its workers: SIGQUIT lets the master take its workers
/// down with it, where SIGKILL would orphan them on the port.
async fn stop_static_server(server: &mut Child) {
    if let Some(pid) = server.id() {
        let _ = Command::new("kill")
            .args(["-QUIT", &pid.to_string()])
            .status()
            .await;
        if tokio::time::timeout(Duration::from_secs(5), server.wait())
            .await
            .is_ok()
        {
            return;
        }
    }
    let _ = server.start_kill();
    let _ = server.wait().await;
}

/// The fallback ceiling: one file from memory, 2 workers, nothing else.
pub async fn static_server(file: &Path, port: u16) -> anyhow::Result<()> {
    let body = actix_web::web::Bytes::from(std::fs::read(file)?);
    actix_web::HttpServer::new(move || {
        let body = body.clone();
        actix_web::App::new().default_service(actix_web::web::to(move || {
            let body = body.clone();
            async move {
                actix_web::HttpResponse::Ok()
                    .content_type("text/html")
                    .body(body)
            }
        }))
    })
    .workers(2)
    .bind(("127.0.0.1", port))?
    .run()
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_output() {
        let text = "Running 10s test @ http://127.0.0.1:18001/\n  2 threads and 64 connections\n\
            Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency     2.10ms    1.00ms  30.00ms   90.00%\n\
            Latency Distribution\n     50%    1.95ms\n     75%    2.50ms\n     90%    3.10ms\n     99%  850.00us\n\
            300000 requests in 10.00s, 3.00GB read\n  Socket errors: connect 0, read 2, write 0, timeout 1\n\
            Non-2xx or 3xx responses: 5\nRequests/sec:  30000.50\nTransfer/sec:    300.00MB\n";
        let r = parse_wrk(text).unwrap();
        assert_eq!(r.requests_per_sec, 30000.5);
        assert_eq!(r.p50_ms, 1.95);
        assert!((r.p99_ms - 0.85).abs() < 1e-9);
        assert_eq!(r.errors, 8);
    }
}
