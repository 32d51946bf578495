//! Test support (feature `test-support`): real PostgreSQL and Redis, a freshly migrated database
//! per test, Redis keys namespaced per test, and single apps started on ephemeral ports.
//!
//! Services are found or started exactly as `deploy dev` does ([`crate::devenv`]). Each test
//! database is cloned from a template migrated once per migration set (`CREATE DATABASE …
//! TEMPLATE`), so tests never collide and need no serial order. Databases of test processes that
//! died are swept at start.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use include_dir::{Dir, include_dir};
use tokio::sync::OnceCell;

use crate::config::Config;
use crate::db::migrate;
use crate::devenv::{self, DevServices};
use crate::infrastructure::app::{self, AppContext, AppSpec};
use crate::infrastructure::session::SessionData;

static MIGRATION_FILES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/migrations");
static SERVICES: OnceCell<DevServices> = OnceCell::const_new();
static TEMPLATE: OnceCell<String> = OnceCell::const_new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

const TEST_DB_PREFIX: &str = "ra_t_";
const TEMPLATE_LOCK: i64 = 0x5241_5445_5354_4442; // "RATESTDB"

/// Installs a test log writer once (`RUST_LOG=debug cargo test` to see the apps' logs).
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("error"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_test_writer()
        .try_init();
}

/// The workspace's `target/` directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// PostgreSQL and Redis, found or started once per test process.
pub async fn services() -> &'static DevServices {
    SERVICES
        .get_or_init(|| async {
            devenv::ensure("postgres", &target_dir().join("dev-services"))
                .await
                .unwrap_or_else(|e| panic!("test services: {e}"))
        })
        .await
}

fn migrations_fingerprint() -> String {
    fn walk(dir: &Dir<'_>, h: &mut std::collections::hash_map::DefaultHasher) {
        let mut files: Vec<_> = dir.files().collect();
        files.sort_by_key(|f| f.path());
        for f in files {
            f.path().hash(h);
            f.contents().hash(h);
        }
        let mut dirs: Vec<_> = dir.dirs().collect();
        dirs.sort_by_key(|d| d.path());
        for d in dirs {
            walk(d, h);
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    walk(&MIGRATION_FILES, &mut h);
    format!("{:012x}", h.finish() & 0xffff_ffff_ffff)
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    datname: String,
    /// When a template was last used (seconds since the epoch, in the database's comment).
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    made: Option<String>,
}

/// How long another migration set's template is left alone: another checkout on this machine
/// (a worktree at another commit) may be running its tests from it right now.
const OTHER_TEMPLATES_KEPT_SECS: i64 = 6 * 3600;

/// Marks a template database as used now.
async fn stamp(conn: &mut AsyncPgConnection, name: &str) {
    let now = chrono::Utc::now().timestamp();
    diesel::sql_query(format!("COMMENT ON DATABASE \"{name}\" IS '{now}'"))
        .execute(conn)
        .await
        .unwrap();
}

async fn admin_connection() -> AsyncPgConnection {
    let url = services().await.database_url_for("postgres").unwrap();
    AsyncPgConnection::establish(&url)
        .await
        .unwrap_or_else(|e| panic!("connect to PostgreSQL: {e}"))
}

/// The migrated template database's name (created once per migration set, under a lock).
async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let name = format!("ra_tpl_{}", migrations_fingerprint());
            let mut conn = admin_connection().await;
            diesel::sql_query(format!("SELECT pg_advisory_lock({TEMPLATE_LOCK})"))
                .execute(&mut conn)
                .await
                .unwrap();
            let existing: Vec<Name> = diesel::sql_query(
                "SELECT datname, shobj_description(oid, 'pg_database') AS made FROM pg_database \
                 WHERE datname LIKE 'ra\\_tpl\\_%' OR datname LIKE 'ra\\_t\\_%'",
            )
            .load(&mut conn)
            .await
            .unwrap();
            for db in &existing {
                let age = db
                    .made
                    .as_deref()
                    .and_then(|t| t.parse::<i64>().ok())
                    .map_or(i64::MAX, |t| chrono::Utc::now().timestamp() - t);
                let stale_template = db.datname.starts_with("ra_tpl_")
                    && !db.datname.starts_with(name.as_str())
                    && age > OTHER_TEMPLATES_KEPT_SECS;
                let dead_test = db
                    .datname
                    .strip_prefix(TEST_DB_PREFIX)
                    .and_then(|rest| rest.split('_').next())
                    .and_then(|pid| pid.parse::<u32>().ok())
                    .is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists());
                if stale_template || dead_test {
                    let _ = diesel::sql_query(format!(
                        "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                        db.datname
                    ))
                    .execute(&mut conn)
                    .await;
                }
            }
            if !existing.iter().any(|db| db.datname == name) {
                let building = format!("{name}_building");
                let _ = diesel::sql_query(format!(
                    "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
                ))
                .execute(&mut conn)
                .await;
                diesel::sql_query(format!("CREATE DATABASE \"{building}\""))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                stamp(&mut conn, &building).await;
                let url = services().await.database_url_for(&building).unwrap();
                migrate::run_pending(&url)
                    .await
                    .unwrap_or_else(|e| panic!("migrating the template: {e}"));
                diesel::sql_query(format!(
                    "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
                ))
                .execute(&mut conn)
                .await
                .unwrap();
            }
            stamp(&mut conn, &name).await;
            diesel::sql_query(format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK})"))
                .execute(&mut conn)
                .await
                .unwrap();
            name
        })
        .await
}

/// A database of its own for one test, dropped with it.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// A freshly migrated database (a clone of the template).
    pub async fn new() -> TestDb {
        Self::create(true).await
    }

    /// An empty database (for migration tests).
    pub async fn empty() -> TestDb {
        Self::create(false).await
    }

    async fn create(migrated: bool) -> TestDb {
        init_logging();
        let template = if migrated {
            Some(template().await)
        } else {
            None
        };
        let name = format!(
            "{TEST_DB_PREFIX}{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            chrono::Utc::now().timestamp_subsec_micros()
        );
        let mut conn = admin_connection().await;
        let sql = match template {
            Some(t) => format!("CREATE DATABASE \"{name}\" TEMPLATE \"{t}\""),
            None => format!("CREATE DATABASE \"{name}\""),
        };
        // A template briefly held by another session makes CREATE fail; retry a few times.
        let mut attempt = 0;
        loop {
            match diesel::sql_query(&sql).execute(&mut conn).await {
                Ok(_) => break,
                Err(e)
                    if attempt < 50 && e.to_string().contains("being accessed by other users") =>
                {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("creating test database: {e}"),
            }
        }
        let url = services().await.database_url_for(&name).unwrap();
        TestDb { name, url }
    }

    pub async fn conn(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url).await.unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let Some(admin) = SERVICES
            .get()
            .and_then(|s| s.database_url_for("postgres").ok())
        else {
            return;
        };
        // Drop runs inside the test's runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = AsyncPgConnection::establish(&admin).await.ok()?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

/// A Redis key prefix of its own for one test; its keys are deleted with it.
pub struct TestRedis {
    pub url: String,
    pub prefix: String,
}

impl TestRedis {
    pub async fn new(tag: &str) -> TestRedis {
        TestRedis {
            url: services().await.redis_url.clone(),
            prefix: format!("t:{tag}:"),
        }
    }

    pub fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url.as_str())
            .unwrap()
            .get_connection()
            .unwrap()
    }

    /// Every key under the prefix (without it), for assertions.
    pub fn keys(&self) -> Vec<String> {
        let mut conn = self.connection();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query(&mut conn)
            .unwrap();
        keys.into_iter()
            .map(|k| k[self.prefix.len()..].to_owned())
            .collect()
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let Ok(client) = redis::Client::open(self.url.as_str()) else {
            return;
        };
        let Ok(mut conn) = client.get_connection() else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query(&mut conn)
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query(&mut conn);
        }
    }
}

/// A config for tests: the given database and Redis prefix, small pools, one worker.
pub fn config(db: &TestDb, redis: &TestRedis, overrides: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), db.url.clone()),
        ("REDIS_URL".into(), redis.url.clone()),
        ("REDIS_PREFIX".into(), redis.prefix.clone()),
        ("DB_POOL_SIZE".into(), "3".into()),
        ("WORKERS".into(), "1".into()),
        ("STARTUP_WAIT_SECS".into(), "10".into()),
        (
            "INTERNAL_SECRET".into(),
            "test-internal-secret-0123456789".into(),
        ),
        ("FEDERATION_ALLOW_LOOPBACK".into(), "true".into()),
        (
            "MEDIA_DIR".into(),
            target_dir()
                .join("test-media")
                .join(&db.name)
                .to_string_lossy()
                .into_owned(),
        ),
    ]);
    for (k, v) in overrides {
        vars.insert((*k).to_owned(), (*v).to_owned());
    }
    Config::from_lookup(move |k| vars.get(k).cloned()).expect("test config")
}

/// Binds 127.0.0.1 on an ephemeral port.
pub fn ephemeral_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").unwrap()
}

/// One app served on an ephemeral port.
pub struct TestApp {
    pub ctx: AppContext,
    pub base_url: String,
    pub handle: ServerHandle,
}

impl TestApp {
    /// Serves `spec` with `config` (whose URL for this app is replaced by the real one).
    pub async fn start(spec: &'static AppSpec, mut config: Config) -> TestApp {
        let listener = ephemeral_listener();
        let port = listener.local_addr().unwrap().port();
        let url = url::Url::parse(&format!("http://{}.localhost:{port}/", spec.name)).unwrap();
        config.apps.set(spec.name, url.clone(), url.clone());
        let ctx = AppContext::build(spec, config)
            .await
            .unwrap_or_else(|e| panic!("starting {}: {e}", spec.name));
        let server = app::server(ctx.clone(), listener, false).unwrap();
        let handle = server.handle();
        tokio::spawn(server);
        TestApp {
            ctx,
            base_url: url.as_str().trim_end_matches('/').to_owned(),
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

/// A signed-in (or anonymous) session of one app, as a browser would hold it.
#[derive(Debug, Clone)]
pub struct TestSession {
    /// `name=value`, for a `Cookie` header.
    pub cookie: String,
    /// The session's CSRF token, for same-origin form posts.
    pub csrf: String,
}

/// A session of `app` for `user_id`, as a sign-in would leave.
pub async fn session(ctx: &AppContext, user_id: Option<i64>) -> TestSession {
    let store = ctx.sessions();
    let data = SessionData::for_user(user_id).unwrap();
    let sid = store.create(&data).await.unwrap();
    TestSession {
        cookie: format!("{}={sid}", store.cookie_name()),
        csrf: data.csrf,
    }
}

/// A reqwest client that resolves `*.localhost` and follows no redirects.
pub fn http_client() -> reqwest::Client {
    crate::infrastructure::http_client::internal_client().unwrap()
}

/// Fails the test if any job is left in `db`'s queue (pending, running or dead): call it at the
/// end of a test whose jobs should all have run.
pub async fn assert_queue_empty(db: &TestDb) {
    let mut conn = db.conn().await;
    let left = crate::jobs::store::all(&mut conn).await.unwrap();
    assert!(left.is_empty(), "jobs left in the queue: {left:#?}");
}

/// Waits up to `secs` for `db`'s queue to empty, then asserts it is.
pub async fn assert_queue_drains(db: &TestDb, secs: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        let mut conn = db.conn().await;
        if crate::jobs::store::all(&mut conn).await.unwrap().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_queue_empty(db).await;
}
