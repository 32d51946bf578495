//! Typed configuration from environment variables.
//!
//! Every variable, its default and its meaning is listed in [`VARIABLES`] (the README's table is
//! generated from the same list by `cargo run -p deploy -- config-table`). Secrets may come from a
//! file named by `<NAME>_FILE` (Docker secrets). No process-global config: tests and the dev fleet
//! build several configs in one process.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::apps::AppName;
use crate::infrastructure::client_ip::TrustedProxies;

/// One documented configuration variable.
pub struct Variable {
    pub name: &'static str,
    pub default: &'static str,
    pub meaning: &'static str,
}

/// Every variable the apps read, with its default and meaning (the README's config table).
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: "APP_ENV",
        default: "dev",
        meaning: "`dev` or `production`: production requires real secrets (never the dev `INTERNAL_SECRET`), https `APP_URL_*` and `FEDERATION_ALLOW_LOOPBACK` off, logs JSON and marks cookies `Secure`.",
    },
    Variable {
        name: "BIND_ADDR",
        default: "127.0.0.1",
        meaning: "Address the app listens on (`0.0.0.0` in containers).",
    },
    Variable {
        name: "PORT",
        default: "port of the app's public URL",
        meaning: "Port the app listens on.",
    },
    Variable {
        name: "DATABASE_URL",
        default: "postgres://postgres@127.0.0.1:5432/rose_ash",
        meaning: "PostgreSQL connection URL.",
    },
    Variable {
        name: "DATABASE_PASSWORD",
        default: "(none)",
        meaning: "Password put into `DATABASE_URL` when it has none (secret; `DATABASE_PASSWORD_FILE` reads it from a file).",
    },
    Variable {
        name: "DB_POOL_SIZE",
        default: "8",
        meaning: "Connections in each app's pool (at least 2).",
    },
    Variable {
        name: "REDIS_URL",
        default: "redis://127.0.0.1:6379/0",
        meaning: "Redis connection URL: sessions, sign-on revocations, rate-limit counters, OAuth state (and the caches unless `REDIS_CACHE_URL` is set).",
    },
    Variable {
        name: "REDIS_CACHE_URL",
        default: "`REDIS_URL`",
        meaning: "Redis for the page and fragment caches only, so cache pressure can never evict sessions, revocations or rate-limit counters (the stack runs a separate `allkeys-lru` instance; the main one is `noeviction`).",
    },
    Variable {
        name: "REDIS_PREFIX",
        default: "ra:",
        meaning: "Prefix of every Redis key, so several fleets (or test runs) share one Redis.",
    },
    Variable {
        name: "TRUSTED_PROXIES",
        default: "(none)",
        meaning: "IP addresses or CIDR blocks of the reverse proxies (comma-separated). Only a request from one of them has its `X-Forwarded-For`/`Forwarded` believed, and then the client is the right-most address that is not a proxy; otherwise the TCP peer is the client (what the sign-in rate limits count).",
    },
    Variable {
        name: "INTERNAL_SECRET",
        default: "a fixed dev-only value",
        meaning: "Fleet secret keying the HMAC credential on `/internal/*` requests (secret; `INTERNAL_SECRET_FILE`). Required in production.",
    },
    Variable {
        name: "OAUTH_CLIENT_SECRET",
        default: "derived from `INTERNAL_SECRET`",
        meaning: "This app's OAuth client secret at federation (secret; `OAUTH_CLIENT_SECRET_FILE`).",
    },
    Variable {
        name: "OAUTH_CLIENT_SECRET_<APP>",
        default: "derived from `INTERNAL_SECRET`",
        meaning: "Federation only: each first-party app's client secret (secret; `OAUTH_CLIENT_SECRET_<APP>_FILE`).",
    },
    Variable {
        name: "ACTIVITYPUB_PRIVATE_KEY",
        default: "(generated in dev)",
        meaning: "PEM RSA key the apps' ActivityPub actors sign with (secret; `ACTIVITYPUB_PRIVATE_KEY_FILE`).",
    },
    Variable {
        name: "SMTP_URL",
        default: "(none: mail is only logged)",
        meaning: "Outgoing mail server, e.g. `smtps://user:pass@mail.example.com:465` (secret; `SMTP_URL_FILE`). `deploy dev` runs a local SMTP sink.",
    },
    Variable {
        name: "MAIL_FROM",
        default: "`Rose Ash <noreply@rose-ash.localhost>`",
        meaning: "Sender of the mail the fleet sends.",
    },
    Variable {
        name: "FEDERATION_ALLOW_LOOPBACK",
        default: "false",
        meaning: "Let ActivityPub fetches and deliveries reach loopback addresses (`deploy dev` and the tests set it; never in production).",
    },
    Variable {
        name: "MEDIA_DIR",
        default: "`media`",
        meaning: "Where the blog stores uploaded images (a volume in production; served at `/content/images/`).",
    },
    Variable {
        name: "APP_URL_<APP>",
        default: "`http://<app>.localhost:800N`",
        meaning: "Public base URL of each app (`APP_URL_BLOG` … `APP_URL_ACCOUNT`): links, redirects, actor ids.",
    },
    Variable {
        name: "INTERNAL_URL_<APP>",
        default: "the app's public URL",
        meaning: "Base URL the apps use to reach each other for fragments (e.g. `http://blog:8000` in the swarm).",
    },
    Variable {
        name: "FRAGMENT_TIMEOUT_MS",
        default: "250",
        meaning: "How long a page waits for a fragment before using the stale copy or a placeholder.",
    },
    Variable {
        name: "FRAGMENT_STALE_TTL_SECS",
        default: "86400",
        meaning: "How long the stale copy of a fragment is kept for fallback.",
    },
    Variable {
        name: "RUN_MIGRATIONS",
        default: "false",
        meaning: "Run the database migrations at start-up (set on the blog service only).",
    },
    Variable {
        name: "WORKERS",
        default: "number of CPUs",
        meaning: "HTTP worker threads per app.",
    },
    Variable {
        name: "JOB_CONCURRENCY",
        default: "16",
        meaning: "Background jobs each app runs at once (most wait on the network: SumUp, other servers, SMTP; each holds a pooled connection only while it queries).",
    },
    Variable {
        name: "STARTUP_WAIT_SECS",
        default: "120",
        meaning: "How long an app waits (with backoff) for PostgreSQL and Redis at start-up.",
    },
    Variable {
        name: "LOG_FORMAT",
        default: "`pretty` in dev, `json` in production",
        meaning: "Log output format.",
    },
    Variable {
        name: "RUST_LOG",
        default: "info",
        meaning: "Log filter (tracing `EnvFilter` syntax).",
    },
];

const DEV_INTERNAL_SECRET: &str = "rose-ash-dev-internal-secret-not-for-production";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: String, reason: String },
    #[error("{0} must be set in production")]
    Missing(&'static str),
    #[error("could not read {name} from {path}: {source}")]
    File {
        name: String,
        path: String,
        source: std::io::Error,
    },
}

/// A secret value: never printed by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Dev,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// Full connection URL, password included: treat as a secret.
    pub url: Secret,
    pub pool_size: usize,
}

#[derive(Debug, Clone)]
pub struct RedisConfig {
    pub url: Secret,
    pub prefix: String,
}

#[derive(Debug, Clone)]
pub struct FragmentConfig {
    pub timeout: Duration,
    pub stale_ttl: Duration,
}

/// Where each app lives: its public URL (browsers) and its internal URL (other apps).
#[derive(Debug, Clone)]
pub struct AppUrls {
    public: Vec<Url>,
    internal: Vec<Url>,
}

impl AppUrls {
    pub fn public(&self, app: AppName) -> &Url {
        &self.public[app.index()]
    }
    pub fn internal(&self, app: AppName) -> &Url {
        &self.internal[app.index()]
    }
    pub fn set(&mut self, app: AppName, public: Url, internal: Url) {
        self.public[app.index()] = public;
        self.internal[app.index()] = internal;
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub env: Environment,
    pub bind: IpAddr,
    /// `PORT` when set; otherwise each app listens on its public URL's port.
    pub port: Option<u16>,
    pub database: DatabaseConfig,
    pub redis: RedisConfig,
    /// `REDIS_CACHE_URL`: the page and fragment caches' Redis (the same as `redis` unless set).
    pub cache_redis: RedisConfig,
    pub internal_secret: Secret,
    /// This app's OAuth client secret (`OAUTH_CLIENT_SECRET`).
    pub oauth_client_secret: Option<Secret>,
    /// Every app's client secret as federation knows them (`OAUTH_CLIENT_SECRET_<APP>`).
    pub oauth_client_secrets: Vec<Option<Secret>>,
    /// `SMTP_URL`: where mail is sent; none means mail is only logged.
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    /// `FEDERATION_ALLOW_LOOPBACK`: let ActivityPub fetches and deliveries reach 127.0.0.1 (dev
    /// and tests only).
    pub federation_allow_loopback: bool,
    pub activitypub_private_key: Option<Secret>,
    /// `MEDIA_DIR`: the blog's uploaded images.
    pub media_dir: std::path::PathBuf,
    pub apps: AppUrls,
    pub fragments: FragmentConfig,
    pub run_migrations: bool,
    pub workers: usize,
    /// `JOB_CONCURRENCY`: jobs the app's runner runs at once.
    pub job_concurrency: usize,
    pub startup_wait: Duration,
    pub log_format: LogFormat,
    /// `TRUSTED_PROXIES`: whose forwarding headers name the client.
    pub trusted_proxies: TrustedProxies,
    /// Where the variables came from, for the apps' own sections ([`Config::section`]).
    source: Source,
}

/// The variables a [`Config`] was read from (the environment, or a test's map).
#[derive(Clone)]
struct Source(Arc<Lookup>);

/// Looks a variable up by name.
type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Source(..)")
    }
}

/// An app's own config section (`<app>/src/config.rs`): typed settings only that app reads,
/// from the same variables as [`Config`]; its variables are listed through
/// `AppSpec::config_variables` so the README table shows them.
pub trait FromEnv: Sized {
    fn from_env(vars: &Vars<'_>) -> Result<Self, ConfigError>;
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds a config from any variable source (tests pass a map).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Result<Self, ConfigError> {
        let source = Source(Arc::new(lookup));
        let vars = Vars { lookup: &*source.0 };
        let env = match vars.get("APP_ENV")?.as_deref() {
            None | Some("dev") | Some("development") => Environment::Dev,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => {
                return Err(invalid(
                    "APP_ENV",
                    format!("`{other}` is neither dev nor production"),
                ));
            }
        };
        let bind = vars.parse("BIND_ADDR", "127.0.0.1".parse().ok())?;
        let port = vars.parse_opt::<u16>("PORT")?;

        let mut db_url = vars
            .get("DATABASE_URL")?
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/rose_ash".into());
        if let Some(password) = vars.get("DATABASE_PASSWORD")? {
            db_url = with_password(&db_url, &password)?;
        }
        let pool_size = vars.parse("DB_POOL_SIZE", Some(8usize))?.max(2);

        let redis_url = vars
            .get("REDIS_URL")?
            .unwrap_or_else(|| "redis://127.0.0.1:6379/0".into());
        let prefix = vars.get("REDIS_PREFIX")?.unwrap_or_else(|| "ra:".into());
        let redis_cache_url = vars
            .get("REDIS_CACHE_URL")?
            .unwrap_or_else(|| redis_url.clone());
        let trusted_proxies = vars
            .get("TRUSTED_PROXIES")?
            .map(|v| v.parse::<TrustedProxies>())
            .transpose()
            .map_err(|e| invalid("TRUSTED_PROXIES", e.to_string()))?
            .unwrap_or_default();

        let internal_secret = match (vars.get("INTERNAL_SECRET")?, env) {
            (Some(s), _) if s.len() >= 16 => Secret::new(s),
            (Some(_), _) => {
                return Err(invalid(
                    "INTERNAL_SECRET",
                    "must be at least 16 characters".into(),
                ));
            }
            (None, Environment::Dev) => Secret::new(DEV_INTERNAL_SECRET),
            (None, Environment::Production) => return Err(ConfigError::Missing("INTERNAL_SECRET")),
        };

        let mut public = Vec::with_capacity(AppName::ALL.len());
        let mut internal = Vec::with_capacity(AppName::ALL.len());
        for app in AppName::ALL {
            let upper = app.as_str().to_ascii_uppercase();
            let public_name = format!("APP_URL_{upper}");
            let p = match vars.get(&public_name)? {
                Some(v) => parse_url(&public_name, &v)?,
                None => app.default_public_url(),
            };
            let internal_name = format!("INTERNAL_URL_{upper}");
            let i = match vars.get(&internal_name)? {
                Some(v) => parse_url(&internal_name, &v)?,
                None => p.clone(),
            };
            public.push(p);
            internal.push(i);
        }

        let fragments = FragmentConfig {
            timeout: Duration::from_millis(vars.parse("FRAGMENT_TIMEOUT_MS", Some(250u64))?),
            stale_ttl: Duration::from_secs(vars.parse("FRAGMENT_STALE_TTL_SECS", Some(86_400u64))?),
        };
        let workers = vars
            .parse_opt::<usize>("WORKERS")?
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from))
            .max(1);
        let job_concurrency = vars.parse("JOB_CONCURRENCY", Some(16usize))?.max(1);
        let log_format = match vars.get("LOG_FORMAT")?.as_deref() {
            Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            None if env == Environment::Production => LogFormat::Json,
            None => LogFormat::Pretty,
            Some(other) => {
                return Err(invalid(
                    "LOG_FORMAT",
                    format!("`{other}` is neither pretty nor json"),
                ));
            }
        };

        let oauth_client_secret = vars.get("OAUTH_CLIENT_SECRET")?.map(Secret::new);
        let mut oauth_client_secrets = Vec::with_capacity(AppName::ALL.len());
        for app in AppName::ALL {
            let name = format!("OAUTH_CLIENT_SECRET_{}", app.as_str().to_ascii_uppercase());
            oauth_client_secrets.push(vars.get(&name)?.map(Secret::new));
        }
        let smtp_url = vars.get("SMTP_URL")?.map(Secret::new);
        let mail_from = vars
            .get("MAIL_FROM")?
            .unwrap_or_else(|| "Rose Ash <noreply@rose-ash.localhost>".into());
        let activitypub_private_key = vars.get("ACTIVITYPUB_PRIVATE_KEY")?.map(Secret::new);

        let config = Config {
            env,
            bind,
            port,
            database: DatabaseConfig {
                url: Secret::new(db_url),
                pool_size,
            },
            redis: RedisConfig {
                url: Secret::new(redis_url),
                prefix: prefix.clone(),
            },
            cache_redis: RedisConfig {
                url: Secret::new(redis_cache_url),
                prefix,
            },
            internal_secret,
            oauth_client_secret,
            oauth_client_secrets,
            smtp_url,
            mail_from,
            federation_allow_loopback: vars.parse("FEDERATION_ALLOW_LOOPBACK", Some(false))?,
            activitypub_private_key,
            media_dir: vars
                .get("MEDIA_DIR")?
                .unwrap_or_else(|| "media".to_owned())
                .into(),
            apps: AppUrls { public, internal },
            fragments,
            run_migrations: vars.parse("RUN_MIGRATIONS", Some(false))?,
            workers,
            job_concurrency,
            startup_wait: Duration::from_secs(vars.parse("STARTUP_WAIT_SECS", Some(120u64))?),
            log_format,
            trusted_proxies,
            source: source.clone(),
        };
        if config.is_production() {
            config.refuse_dev_settings()?;
        }
        Ok(config)
    }

    /// Production refuses what is only safe on a developer's machine.
    fn refuse_dev_settings(&self) -> Result<(), ConfigError> {
        if self.internal_secret.expose() == DEV_INTERNAL_SECRET {
            return Err(invalid(
                "INTERNAL_SECRET",
                "is the public dev value; production needs its own secret".into(),
            ));
        }
        if self.federation_allow_loopback {
            return Err(invalid(
                "FEDERATION_ALLOW_LOOPBACK",
                "must not be true in production (it opens the fetcher to this host)".into(),
            ));
        }
        for app in AppName::ALL {
            let url = self.apps.public(app);
            if url.scheme() != "https" {
                return Err(invalid(
                    &format!("APP_URL_{}", app.as_str().to_ascii_uppercase()),
                    format!("`{url}` must be https in production"),
                ));
            }
        }
        Ok(())
    }

    /// The port `app` listens on.
    pub fn listen_port(&self, app: AppName) -> u16 {
        self.port
            .or_else(|| self.apps.public(app).port_or_known_default())
            .unwrap_or(app.default_port())
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }

    /// An app's own section, read from the variables this config came from.
    pub fn section<T: FromEnv>(&self) -> Result<T, ConfigError> {
        T::from_env(&Vars {
            lookup: &*self.source.0,
        })
    }
}

/// The variables a config is read from: by name, or from the file `<NAME>_FILE` names.
pub struct Vars<'a> {
    lookup: &'a Lookup,
}

impl Vars<'_> {
    /// The variable's value, or the trimmed contents of the file named by `<NAME>_FILE`.
    pub fn get(&self, name: &str) -> Result<Option<String>, ConfigError> {
        if let Some(v) = (self.lookup)(name).filter(|v| !v.is_empty()) {
            return Ok(Some(v));
        }
        let file_var = format!("{name}_FILE");
        match (self.lookup)(&file_var).filter(|v| !v.is_empty()) {
            Some(path) => std::fs::read_to_string(&path)
                .map(|s| Some(s.trim().to_owned()))
                .map_err(|source| ConfigError::File {
                    name: file_var,
                    path,
                    source,
                }),
            None => Ok(None),
        }
    }

    pub fn parse_opt<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, ConfigError>
    where
        T::Err: fmt::Display,
    {
        self.get(name)?
            .map(|v| {
                v.trim()
                    .parse::<T>()
                    .map_err(|e| invalid(name, format!("`{v}`: {e}")))
            })
            .transpose()
    }

    pub fn parse<T: std::str::FromStr>(
        &self,
        name: &str,
        default: Option<T>,
    ) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        match self.parse_opt(name)? {
            Some(v) => Ok(v),
            None => default.ok_or_else(|| invalid(name, "no value".into())),
        }
    }
}

fn invalid(name: &str, reason: String) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_owned(),
        reason,
    }
}

fn parse_url(name: &str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| invalid(name, format!("`{value}`: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(name, format!("`{value}` is not an http(s) URL")));
    }
    Ok(url)
}

fn with_password(db_url: &str, password: &str) -> Result<String, ConfigError> {
    let mut url = Url::parse(db_url).map_err(|e| invalid("DATABASE_URL", e.to_string()))?;
    if url.password().is_none() {
        url.set_password(Some(password))
            .map_err(|()| invalid("DATABASE_URL", "cannot carry a password".into()))?;
    }
    Ok(url.into())
}

/// `scheme://host:port/db` with the password replaced, for log lines.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.into()
        }
        Err(_) => "<unparsable url>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(move |k| map.get(k).cloned())
    }

    #[test]
    fn dev_defaults() {
        let c = config(&[]).unwrap();
        assert_eq!(c.env, Environment::Dev);
        assert_eq!(c.listen_port(AppName::Blog), 8001);
        assert_eq!(c.listen_port(AppName::Account), 8006);
        assert_eq!(
            c.apps.public(AppName::Cart).as_str(),
            "http://cart.localhost:8003/"
        );
        assert_eq!(c.fragments.timeout, Duration::from_millis(250));
        assert!(!c.run_migrations);
    }

    #[test]
    fn production_requires_a_secret() {
        let err = config(&[("APP_ENV", "production")]).unwrap_err();
        assert!(matches!(err, ConfigError::Missing("INTERNAL_SECRET")));
    }

    #[test]
    fn secrets_come_from_files_and_never_print() {
        let dir = std::env::temp_dir().join(format!("ra-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secret");
        std::fs::write(&path, "0123456789abcdef-from-file\n").unwrap();
        let c = config(&[
            ("APP_ENV", "production"),
            ("INTERNAL_SECRET_FILE", path.to_str().unwrap()),
            ("DATABASE_URL", "postgres://app@db:5432/coop"),
            ("DATABASE_PASSWORD", "hunter2"),
            ("APP_URL_BLOG", "https://blog.example.com"),
            ("APP_URL_MARKET", "https://market.example.com"),
            ("APP_URL_CART", "https://cart.example.com"),
            ("APP_URL_EVENTS", "https://events.example.com"),
            ("APP_URL_FEDERATION", "https://federation.example.com"),
            ("APP_URL_ACCOUNT", "https://account.example.com"),
        ])
        .unwrap();
        assert_eq!(c.internal_secret.expose(), "0123456789abcdef-from-file");
        assert_eq!(
            c.database.url.expose(),
            "postgres://app:hunter2@db:5432/coop"
        );
        let printed = format!("{c:?}");
        assert!(
            !printed.contains("hunter2") && !printed.contains("from-file"),
            "{printed}"
        );
        assert_eq!(
            redact_url(c.database.url.expose()),
            "postgres://app:***@db:5432/coop"
        );
    }

    const HTTPS_APPS: [(&str, &str); 6] = [
        ("APP_URL_BLOG", "https://blog.example.com"),
        ("APP_URL_MARKET", "https://market.example.com"),
        ("APP_URL_CART", "https://cart.example.com"),
        ("APP_URL_EVENTS", "https://events.example.com"),
        ("APP_URL_FEDERATION", "https://federation.example.com"),
        ("APP_URL_ACCOUNT", "https://account.example.com"),
    ];

    fn production(extra: &[(&'static str, &'static str)]) -> Result<Config, ConfigError> {
        let mut pairs = vec![
            ("APP_ENV", "production"),
            ("INTERNAL_SECRET", "a-real-production-secret-0123456789"),
        ];
        pairs.extend(HTTPS_APPS);
        pairs.extend(extra);
        config(&pairs)
    }

    #[test]
    fn production_refuses_dev_settings() {
        assert!(production(&[]).is_ok());
        let refused = |extra: &[(&'static str, &'static str)], name: &str| {
            let err = production(extra).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        };
        refused(
            &[("INTERNAL_SECRET", DEV_INTERNAL_SECRET)],
            "INTERNAL_SECRET",
        );
        refused(
            &[("FEDERATION_ALLOW_LOOPBACK", "true")],
            "FEDERATION_ALLOW_LOOPBACK",
        );
        refused(
            &[("APP_URL_CART", "http://cart.example.com")],
            "APP_URL_CART",
        );
        // The same settings are fine in dev; internal URLs may be plain http anywhere.
        assert!(
            config(&[
                ("INTERNAL_SECRET", DEV_INTERNAL_SECRET),
                ("FEDERATION_ALLOW_LOOPBACK", "true"),
            ])
            .is_ok()
        );
        assert!(production(&[("INTERNAL_URL_BLOG", "http://blog:8000")]).is_ok());
    }

    #[test]
    fn trusted_proxies_and_the_cache_redis() {
        let c = config(&[]).unwrap();
        assert!(c.trusted_proxies.is_empty());
        assert_eq!(c.cache_redis.url, c.redis.url);
        let c = config(&[
            ("TRUSTED_PROXIES", "10.201.0.0/24, 192.0.2.1"),
            ("REDIS_CACHE_URL", "redis://cache:6379/0"),
        ])
        .unwrap();
        assert!(c.trusted_proxies.trusts("10.201.0.9".parse().unwrap()));
        assert!(!c.trusted_proxies.trusts("10.202.0.9".parse().unwrap()));
        assert_eq!(c.cache_redis.url.expose(), "redis://cache:6379/0");
        let err = config(&[("TRUSTED_PROXIES", "caddy")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("TRUSTED_PROXIES"), "{err}");
    }

    #[test]
    fn bad_values_are_named() {
        let err = config(&[("FRAGMENT_TIMEOUT_MS", "soon")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("FRAGMENT_TIMEOUT_MS"), "{err}");
        let err = config(&[("APP_URL_BLOG", "ftp://x")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("APP_URL_BLOG"), "{err}");
    }
}
