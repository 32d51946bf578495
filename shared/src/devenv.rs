//! Finding or starting PostgreSQL and Redis on a developer's machine (for `deploy dev` and the
//! tests): `DATABASE_URL`/`REDIS_URL` when set; otherwise the local servers on their standard
//! ports if they answer; otherwise private servers started from the installed binaries under
//! `target/dev-services`. When nothing usable exists, the error says what to install.

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use tokio::process::Command;
use url::Url;

use crate::config::redact_url;

/// Ports of the private servers (chosen away from the standard ones).
pub const PRIVATE_PG_PORT: u16 = 54329;
pub const PRIVATE_REDIS_PORT: u16 = 63799;

#[derive(Debug, thiserror::Error)]
pub enum DevEnvError {
    #[error(
        "no PostgreSQL found: DATABASE_URL is not set, nothing answers on 127.0.0.1:5432, and no \
         initdb/pg_ctl are installed. Install PostgreSQL (Debian/Ubuntu: `sudo apt-get install \
         postgresql`; macOS: `brew install postgresql@16`) or set DATABASE_URL"
    )]
    NoPostgres,
    #[error(
        "no Redis found: REDIS_URL is not set, nothing answers on 127.0.0.1:6379, and no \
         redis-server is installed. Install Redis (Debian/Ubuntu: `sudo apt-get install \
         redis-server`; macOS: `brew install redis`) or set REDIS_URL"
    )]
    NoRedis,
    #[error("{what} failed: {detail}")]
    Command { what: String, detail: String },
    #[error("DATABASE_URL `{0}` is not a valid URL")]
    BadUrl(String),
    #[error("database: {0}")]
    Db(String),
}

/// A server this process started (and may stop).
#[derive(Debug, Clone)]
pub enum Private {
    Postgres {
        data_dir: PathBuf,
        pg_ctl: PathBuf,
        as_postgres_user: bool,
    },
    Redis {
        pid_file: PathBuf,
    },
}

/// Where the services are.
#[derive(Debug, Clone)]
pub struct DevServices {
    /// A URL of the PostgreSQL server; its path names the database to use.
    pub database_url: String,
    pub redis_url: String,
    /// Servers started by this call (not ones found running).
    pub started: Vec<Private>,
    /// How each was found, for the start-up report.
    pub notes: Vec<String>,
}

impl DevServices {
    /// The same server with another database.
    pub fn database_url_for(&self, database: &str) -> Result<String, DevEnvError> {
        with_database(&self.database_url, database)
    }

    /// Stops the servers this call started.
    pub async fn stop_started(&self) {
        for private in &self.started {
            match private {
                Private::Postgres {
                    data_dir,
                    pg_ctl,
                    as_postgres_user,
                } => {
                    let mut cmd = maybe_as_postgres(pg_ctl, *as_postgres_user);
                    cmd.arg("-D")
                        .arg(data_dir)
                        .args(["-m", "fast", "-w", "stop"]);
                    let _ = cmd.output().await;
                }
                Private::Redis { pid_file } => {
                    if let Ok(pid) = std::fs::read_to_string(pid_file) {
                        let _ = Command::new("kill").arg(pid.trim()).output().await;
                    }
                }
            }
        }
    }
}

pub fn with_database(url: &str, database: &str) -> Result<String, DevEnvError> {
    let mut u = Url::parse(url).map_err(|_invalid| DevEnvError::BadUrl(redact_url(url)))?;
    u.set_path(&format!("/{database}"));
    Ok(u.into())
}

/// Finds or starts PostgreSQL and Redis. `default_database` names the database when
/// `DATABASE_URL` is not set; `state_dir` holds private servers' data.
pub async fn ensure(default_database: &str, state_dir: &Path) -> Result<DevServices, DevEnvError> {
    let mut services = DevServices {
        database_url: String::new(),
        redis_url: String::new(),
        started: Vec::new(),
        notes: Vec::new(),
    };
    services.database_url =
        find_or_start_postgres(default_database, state_dir, &mut services).await?;
    services.redis_url = find_or_start_redis(state_dir, &mut services).await?;
    Ok(services)
}

async fn pg_answers(url: &str) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(3), AsyncPgConnection::establish(url)).await,
        Ok(Ok(_))
    )
}

async fn find_or_start_postgres(
    database: &str,
    state_dir: &Path,
    services: &mut DevServices,
) -> Result<String, DevEnvError> {
    if let Ok(url) = std::env::var("DATABASE_URL")
        && !url.is_empty()
    {
        services.notes.push(format!(
            "PostgreSQL from DATABASE_URL ({})",
            redact_url(&url)
        ));
        return Ok(url);
    }
    for user in ["postgres", "root"] {
        let url = format!("postgres://{user}@127.0.0.1:5432/postgres");
        if pg_answers(&url).await {
            services
                .notes
                .push(format!("PostgreSQL found on 127.0.0.1:5432 (user {user})"));
            return with_database(&url, database);
        }
    }
    let url = format!("postgres://postgres@127.0.0.1:{PRIVATE_PG_PORT}/postgres");
    if pg_answers(&url).await {
        services.notes.push(format!(
            "private PostgreSQL already running on 127.0.0.1:{PRIVATE_PG_PORT}"
        ));
        return with_database(&url, database);
    }
    let bin = postgres_bin_dir().ok_or(DevEnvError::NoPostgres)?;
    let data_dir = state_dir.join("postgres");
    let as_postgres_user = running_as_root().await;
    if !data_dir.join("PG_VERSION").exists() {
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| command_error("creating the PostgreSQL data directory", e))?;
        if as_postgres_user {
            run(
                Command::new("chown")
                    .arg("-R")
                    .arg("postgres:postgres")
                    .arg(&data_dir),
                "chown",
            )
            .await?;
        }
        let mut initdb = maybe_as_postgres(&bin.join("initdb"), as_postgres_user);
        initdb.arg("-D").arg(&data_dir).args([
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        ]);
        run(&mut initdb, "initdb").await?;
    }
    let pg_ctl = bin.join("pg_ctl");
    let mut start = maybe_as_postgres(&pg_ctl, as_postgres_user);
    start
        .arg("-D")
        .arg(&data_dir)
        .arg("-l")
        .arg(data_dir.join("server.log"))
        .arg("-o")
        .arg(format!(
            "-p {PRIVATE_PG_PORT} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c max_connections=300",
            data_dir.display()
        ))
        .args(["-w", "start"]);
    run(&mut start, "pg_ctl start").await?;
    services.started.push(Private::Postgres {
        data_dir: data_dir.clone(),
        pg_ctl,
        as_postgres_user,
    });
    services.notes.push(format!(
        "started a private PostgreSQL on 127.0.0.1:{PRIVATE_PG_PORT} ({})",
        data_dir.display()
    ));
    with_database(&url, database)
}

fn postgres_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = which("pg_ctl").and_then(|p| p.parent().map(Path::to_path_buf))
        && dir.join("initdb").exists()
    {
        return Some(dir);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists() && p.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(program))
                .collect::<Vec<_>>()
        })
        .and_then(|candidates| candidates.into_iter().find(|p| p.is_file()))
}

async fn running_as_root() -> bool {
    match Command::new("id").arg("-u").output().await {
        Ok(out) => String::from_utf8_lossy(&out.stdout).trim() == "0",
        Err(_) => false,
    }
}

/// PostgreSQL refuses to run as root; run its tools as the `postgres` user then.
fn maybe_as_postgres(program: &Path, as_postgres_user: bool) -> Command {
    if as_postgres_user {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

fn command_error(what: &str, err: impl std::fmt::Display) -> DevEnvError {
    DevEnvError::Command {
        what: what.to_owned(),
        detail: err.to_string(),
    }
}

async fn run(cmd: &mut Command, what: &str) -> Result<(), DevEnvError> {
    let out = cmd.output().await.map_err(|e| command_error(what, e))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(command_error(
            what,
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
            .trim(),
        ))
    }
}

async fn redis_answers(url: &str) -> bool {
    let attempt = async {
        let client = redis::Client::open(url)?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), attempt).await,
        Ok(Ok(_))
    )
}

async fn find_or_start_redis(
    state_dir: &Path,
    services: &mut DevServices,
) -> Result<String, DevEnvError> {
    if let Ok(url) = std::env::var("REDIS_URL")
        && !url.is_empty()
    {
        services
            .notes
            .push(format!("Redis from REDIS_URL ({})", redact_url(&url)));
        return Ok(url);
    }
    let standard = "redis://127.0.0.1:6379/0".to_owned();
    if redis_answers(&standard).await {
        services.notes.push("Redis found on 127.0.0.1:6379".into());
        return Ok(standard);
    }
    let private = format!("redis://127.0.0.1:{PRIVATE_REDIS_PORT}/0");
    if redis_answers(&private).await {
        services.notes.push(format!(
            "private Redis already running on 127.0.0.1:{PRIVATE_REDIS_PORT}"
        ));
        return Ok(private);
    }
    let server = which("redis-server").ok_or(DevEnvError::NoRedis)?;
    let dir = state_dir.join("redis");
    std::fs::create_dir_all(&dir).map_err(|e| command_error("creating the Redis directory", e))?;
    let pid_file = dir.join("redis.pid");
    run(
        Command::new(server)
            .args([
                "--port",
                &PRIVATE_REDIS_PORT.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(["--daemonize", "yes"])
            .arg("--pidfile")
            .arg(&pid_file)
            .arg("--logfile")
            .arg(dir.join("redis.log"))
            .arg("--dir")
            .arg(&dir),
        "redis-server",
    )
    .await?;
    for _ in 0..50 {
        if redis_answers(&private).await {
            services.started.push(Private::Redis { pid_file });
            services.notes.push(format!(
                "started a private Redis on 127.0.0.1:{PRIVATE_REDIS_PORT}"
            ));
            return Ok(private);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(command_error("redis-server", "started but does not answer"))
}

/// Creates `database` on the server of `url` if it does not exist. Returns whether it did.
pub async fn create_database_if_missing(url: &str) -> Result<bool, DevEnvError> {
    let parsed = Url::parse(url).map_err(|_invalid| DevEnvError::BadUrl(redact_url(url)))?;
    let database = parsed.path().trim_start_matches('/').to_owned();
    if database.is_empty()
        || !database
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(DevEnvError::Db(format!(
            "database name `{database}` must be letters, digits and _"
        )));
    }
    let admin_url = with_database(url, "postgres")?;
    let mut conn = AsyncPgConnection::establish(&admin_url)
        .await
        .map_err(|e| DevEnvError::Db(e.to_string()))?;
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        #[expect(dead_code, reason = "only its presence matters")]
        one: i32,
    }
    let exists = diesel::sql_query("SELECT 1 AS one FROM pg_database WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(&database)
        .get_result::<Found>(&mut conn)
        .await
        .optional()
        .map_err(|e| DevEnvError::Db(e.to_string()))?
        .is_some();
    if exists {
        return Ok(false);
    }
    match diesel::sql_query(format!("CREATE DATABASE \"{database}\""))
        .execute(&mut conn)
        .await
    {
        Ok(_) => Ok(true),
        // Someone else created it meanwhile.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        Err(e) if e.to_string().contains("already exists") => Ok(false),
        Err(e) => Err(DevEnvError::Db(e.to_string())),
    }
}
