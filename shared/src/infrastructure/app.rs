//! The app factory: what every app is made of, and how it is served.
//!
//! An app is an [`AppSpec`] (its name, templates, routes and fragments); everything else —
//! tracing with request ids, security headers, error pages, cross-origin protection, `/healthz`,
//! `/readyz`, static files, the credential check on `/internal/*`, the fragment client, sessions —
//! comes from here, the same for all six.

use std::any::Any;
use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpServer, web};
use futures_util::future::LocalBoxFuture;
use include_dir::Dir;
use tera::Tera;

use super::csp::ContentSecurityPolicy;
use super::csrf::CsrfGuard;
use super::errors::{AppError, error_pages, extractor_configs};
use super::fragments::FragmentClient;
use super::internal_auth::RequireInternalCredential;
use super::metrics::Metrics;
use super::redis::Redis;
use super::request_id::RequestTracing;
use super::session::SessionStore;
use super::sso::{self, JwksCache, SsoClient};
use super::{assets, health, http_client, telemetry, templates, wait};
use crate::activitypub::ActivityPub;
use crate::apps::AppName;
use crate::config::{Config, ConfigError};
use crate::db::{self, DbError, DbPool};
use crate::services::Registry;

/// How long the server keeps an idle connection open: longer than any client pools one (our
/// internal client 60 s, Caddy 120 s), so only the client ever ends an idle connection.
pub const KEEP_ALIVE_SECS: u64 = 130;

/// One app of the fleet: its identity and what it adds to the common infrastructure.
pub struct AppSpec {
    pub name: AppName,
    /// The app's templates; they override the shared ones by name.
    pub templates: &'static Dir<'static>,
    /// The app's static files, served before the shared ones under `/static/`.
    pub static_files: Option<&'static Dir<'static>>,
    /// Whether this app runs the migrations at start-up when `RUN_MIGRATIONS=true` (blog only).
    pub migrates: bool,
    /// Public routes.
    pub configure: fn(&mut web::ServiceConfig, &AppContext),
    /// Fragment routes, mounted under `/internal/fragments` behind the internal credential.
    pub fragments: fn(&mut web::ServiceConfig, &AppContext),
    /// What the app does when someone signs in to it (e.g. the cart adopts an anonymous cart).
    pub on_sign_in: sso::OnSignIn,
    /// Work the app runs beside its server (see [`super::background`]).
    pub background: fn(&AppContext) -> Vec<super::background::Task>,
    /// The job types the app runs (`shared::jobs`); its job runner claims only these.
    pub jobs: fn() -> crate::jobs::JobRegistry<AppContext>,
    /// Exact paths whose forms the fleet's other apps post to (e.g. add-to-cart from a market
    /// page): only these accept a sibling's post without this app's CSRF token.
    pub cross_app_forms: &'static [&'static str],
    /// Runs once after the app has connected and before it listens: builds the app's typed
    /// state (handlers take it as `web::Data<T>`, background tasks and jobs via
    /// [`AppContext::state`]). An error stops the app.
    pub start: StartHook,
    /// The app's own configuration variables (its `config.rs` section), for the README table.
    pub config_variables: &'static [crate::config::Variable],
    /// What the app's ActivityPub actor (`/actor`) says it is.
    pub actor: ActorProfile,
    /// Whether this app hosts the members' `Person` actors (`link_catalog::routes::PERSON`,
    /// WebFinger `acct:<member>@<host>`).
    pub person_actors: bool,
    /// Prometheus lines the app adds to its `/metrics` (e.g. the queues it works).
    pub metrics: MetricsHook,
}

/// The type and description of an app's actor document.
#[derive(Debug, Clone, Copy)]
pub struct ActorProfile {
    /// `Service`, `Group`, `Application`...
    pub kind: &'static str,
    pub summary: &'static str,
}

/// See [`AppSpec::metrics`].
pub type MetricsHook = for<'a> fn(&'a AppContext) -> LocalBoxFuture<'a, String>;

fn no_metrics(_: &AppContext) -> LocalBoxFuture<'_, String> {
    Box::pin(async { String::new() })
}

/// See [`AppSpec::start`].
pub type StartHook = for<'a> fn(&'a AppContext) -> StartFuture<'a>;

/// What a start hook returns (`Box::pin(async move { Ok(AppState::new(...)) })`).
pub type StartFuture<'a> = LocalBoxFuture<'a, Result<AppState, StartFailure>>;

/// Why an app's start-up hook failed (any error of the app's own).
pub type StartFailure = Box<dyn std::error::Error + Send + Sync>;

/// What an app's start-up hook built: one value of the app's own type, registered for its
/// handlers as `web::Data<T>`.
pub struct AppState {
    value: Arc<dyn Any + Send + Sync>,
    register: fn(&Arc<dyn Any + Send + Sync>, &mut web::ServiceConfig),
}

impl AppState {
    pub fn new<T: Any + Send + Sync>(value: T) -> AppState {
        AppState {
            value: Arc::new(value),
            register: register_data::<T>,
        }
    }

    /// For apps without state of their own.
    pub fn none() -> AppState {
        AppState::new(())
    }
}

fn register_data<T: Any + Send + Sync>(
    value: &Arc<dyn Any + Send + Sync>,
    cfg: &mut web::ServiceConfig,
) {
    if let Ok(value) = value.clone().downcast::<T>() {
        cfg.app_data(web::Data::from(value));
    }
}

/// The start hook of apps without state.
pub fn no_state(_: &AppContext) -> StartFuture<'_> {
    Box::pin(async { Ok(AppState::none()) })
}

impl AppSpec {
    /// An app with no routes, hooks or state: what an app literal starts from, so it names only
    /// what it adds (`AppSpec { configure, ..AppSpec::new(AppName::Blog, &TEMPLATES) }`).
    pub const fn new(name: AppName, templates: &'static Dir<'static>) -> AppSpec {
        AppSpec {
            name,
            templates,
            static_files: None,
            migrates: false,
            configure: no_routes,
            fragments: no_routes,
            on_sign_in: sso::no_sign_in_hook,
            background: super::background::none,
            jobs: crate::jobs::none,
            cross_app_forms: &[],
            start: no_state,
            config_variables: &[],
            actor: ActorProfile {
                kind: "Service",
                summary: "",
            },
            person_actors: false,
            metrics: no_metrics,
        }
    }
}

fn no_routes(_: &mut web::ServiceConfig, _: &AppContext) {}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Wait(#[from] wait::WaitError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("templates: {0:?}")]
    Templates(#[from] tera::Error),
    #[error("http client: {0}")]
    Http(#[from] reqwest::Error),
    #[error("could not listen: {0}")]
    Io(#[from] std::io::Error),
    /// The app's own start-up hook failed (its state could not be built).
    #[error("{app}'s start-up failed: {cause}")]
    App { app: AppName, cause: StartFailure },
}

/// Everything an app's handlers need, shared by its workers (`web::Data<AppContext>`).
#[derive(Clone)]
pub struct AppContext {
    inner: Arc<ContextInner>,
}

struct ContextInner {
    spec: &'static AppSpec,
    config: Config,
    db: DbPool,
    redis: Redis,
    http: reqwest::Client,
    fragments: FragmentClient,
    templates: Tera,
    base_context: tera::Context,
    registry: Registry,
    sessions: SessionStore,
    sso: SsoClient,
    activitypub: ActivityPub,
    shutdown: tokio::sync::watch::Sender<bool>,
    metrics: Metrics,
    /// Set once, by [`AppContext::build`], from the app's start hook.
    state: std::sync::OnceLock<AppState>,
}

/// The event bus runs consumers with the app's context.
impl crate::activitypub::bus::BusContext for AppContext {
    fn pool(&self) -> &DbPool {
        self.db()
    }
    fn config(&self) -> &Config {
        AppContext::config(self)
    }
    fn shutdown_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        AppContext::shutdown_signal(self)
    }
}

impl AppContext {
    /// Waits for PostgreSQL and Redis, migrates if this app is the one that does, connects, and
    /// runs the app's start hook ([`AppSpec::start`]), whose error is the app's.
    pub async fn build(spec: &'static AppSpec, mut config: Config) -> Result<Self, StartError> {
        // `OAUTH_CLIENT_SECRET` is this app's own secret.
        if let Some(own) = config.oauth_client_secret.clone()
            && let Some(slot) = config.oauth_client_secrets.get_mut(spec.name.index())
            && slot.is_none()
        {
            *slot = Some(own);
        }
        wait::postgres(config.database.url.expose(), config.startup_wait).await?;
        wait::redis(config.redis.url.expose(), config.startup_wait).await?;
        if config.cache_redis.url != config.redis.url {
            wait::redis(config.cache_redis.url.expose(), config.startup_wait).await?;
        }
        if spec.migrates && config.run_migrations {
            let applied = db::migrate::run_pending(config.database.url.expose()).await?;
            tracing::info!(app = %spec.name, ?applied, "migrations up to date");
        }
        let db = db::pool(&config.database, spec.name.as_str())?;
        let redis = Redis::connect(&config.redis).await?;
        // The caches live apart so that their pressure never evicts security state.
        let cache_redis = Redis::connect_cache(&config, &redis).await?;
        let http = http_client::internal_client()?;
        let fragments = FragmentClient::new(
            http.clone(),
            cache_redis,
            config.apps.clone(),
            config.internal_secret.clone(),
            config.fragments.timeout,
            config.fragments.stale_ttl,
        );
        let templates = templates::build(spec.templates)?;
        let activitypub = ActivityPub::new(spec.name, config.clone(), db.clone())?;
        let base_context = base_context(spec.name, &config);
        let registry = Registry::on_database(db.clone());
        let sessions = SessionStore::new(redis.clone(), spec.name, config.apps.public(spec.name));
        let ctx = AppContext {
            inner: Arc::new(ContextInner {
                spec,
                config,
                db,
                redis,
                http,
                fragments,
                templates,
                base_context,
                registry,
                sessions,
                sso: SsoClient {
                    jwks: JwksCache::default(),
                    on_sign_in: spec.on_sign_in,
                },
                activitypub,
                shutdown: tokio::sync::watch::channel(false).0,
                metrics: Metrics::default(),
                state: std::sync::OnceLock::new(),
            }),
        };
        let state = (spec.start)(&ctx).await.map_err(|cause| StartError::App {
            app: spec.name,
            cause,
        })?;
        // Nothing else sets it: this context was made above.
        let _ = ctx.inner.state.set(state);
        Ok(ctx)
    }

    pub fn spec(&self) -> &'static AppSpec {
        self.inner.spec
    }
    pub fn name(&self) -> AppName {
        self.inner.spec.name
    }
    pub fn config(&self) -> &Config {
        &self.inner.config
    }
    pub fn db(&self) -> &DbPool {
        &self.inner.db
    }
    pub fn redis(&self) -> &Redis {
        &self.inner.redis
    }
    pub fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }
    pub fn fragments(&self) -> &FragmentClient {
        &self.inner.fragments
    }
    pub fn templates(&self) -> &Tera {
        &self.inner.templates
    }
    pub fn registry(&self) -> &Registry {
        &self.inner.registry
    }
    pub fn sessions(&self) -> &SessionStore {
        &self.inner.sessions
    }
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
    pub fn sso(&self) -> &SsoClient {
        &self.inner.sso
    }
    pub fn activitypub(&self) -> &ActivityPub {
        &self.inner.activitypub
    }

    /// Changes to `true` when the app is shutting down (background tasks watch it).
    pub fn shutdown_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    pub fn request_shutdown(&self) {
        self.inner.shutdown.send_replace(true);
    }

    /// The state the app's start hook built (`None` for another type, or while the hook runs).
    pub fn state<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.inner.state.get()?.value.clone().downcast::<T>().ok()
    }

    /// Registers the app's state for its handlers (`web::Data<T>`).
    fn register_state(&self, cfg: &mut web::ServiceConfig) {
        if let Some(state) = self.inner.state.get() {
            (state.register)(&state.value, cfg);
        }
    }

    /// A database connection, or 503.
    pub async fn conn(&self) -> Result<db::DbConn, AppError> {
        Ok(self.inner.db.get().await?)
    }

    /// The tera context every page starts from: the app, the six apps' links, the year.
    pub fn base_context(&self) -> tera::Context {
        self.inner.base_context.clone()
    }

    /// Absolute public URL of `path` on `app`.
    pub fn url(&self, app: AppName, path: &str) -> String {
        let base = self
            .inner
            .config
            .apps
            .public(app)
            .as_str()
            .trim_end_matches('/');
        format!("{base}/{}", path.trim_start_matches('/'))
    }
}

fn base_context(app: AppName, config: &Config) -> tera::Context {
    // The six-app navigation is the same on every page of an app: render it once.
    let link = |a: &AppName, current: bool| {
        format!(
            "<a href=\"{}\"{}>{}</a>",
            templates::escape_html(config.apps.public(*a).as_str()),
            if current {
                " aria-current=\"page\""
            } else {
                ""
            },
            a.title()
        )
    };
    let app_nav: String = AppName::ALL.iter().map(|a| link(a, *a == app)).collect();
    let footer_nav: String = AppName::ALL.iter().map(|a| link(a, false)).collect();
    let mut context = tera::Context::new();
    context.insert(
        "app",
        &serde_json::json!({ "name": app.as_str(), "title": app.title() }),
    );
    context.insert("app_nav", &app_nav);
    context.insert("footer_nav", &footer_nav);
    context.insert(
        "urls",
        &AppName::ALL
            .iter()
            .map(|a| (a.as_str(), config.apps.public(*a).as_str()))
            .collect::<std::collections::BTreeMap<_, _>>(),
    );
    context.insert("year", &chrono::Utc::now().format("%Y").to_string());
    context
}

/// The actix `App` for `ctx`: common middleware and routes, then the app's own.
pub fn app(
    ctx: AppContext,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let spec = ctx.spec();
    let trusted = AppName::ALL
        .iter()
        .map(|a| origin(ctx.config().apps.public(*a)))
        .collect::<Vec<_>>();
    let secret = ctx.config().internal_secret.clone();
    let data = web::Data::new(ctx.clone());
    let fragments_ctx = ctx.clone();
    App::new()
        .app_data(data)
        .configure(|cfg| ctx.register_state(cfg))
        .configure(extractor_configs)
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics))
        .route("/static/{path:.*}", web::get().to(assets::serve))
        .configure(sso::configure)
        .configure(|cfg| super::activitypub_web::configure(cfg, spec.person_actors))
        .service(
            web::scope("/internal")
                .wrap(RequireInternalCredential::new(secret))
                .service(
                    web::scope("/fragments")
                        .configure(move |cfg| (spec.fragments)(cfg, &fragments_ctx)),
                ),
        )
        .configure(|cfg| (spec.configure)(cfg, &ctx))
        .default_service(web::to(|| async {
            Err::<actix_web::HttpResponse, _>(AppError::not_found("There is nothing here."))
        }))
        .wrap(CsrfGuard::new(trusted.clone(), spec.cross_app_forms))
        .wrap(error_pages())
        // Also sets X-Frame-Options, unless a handler's own frame-ancestors admits other sites.
        .wrap(ContentSecurityPolicy::new(&trusted))
        .wrap(
            DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("Referrer-Policy", "strict-origin-when-cross-origin")),
        )
        .wrap(RequestTracing)
}

/// `scheme://host[:port]` of a URL, as browsers send it in `Origin`.
pub fn origin(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

/// Serves `ctx` on `listener`. With `handle_signals` the server stops gracefully on SIGTERM and
/// SIGINT by itself; in-process fleets pass false and stop their servers through the handle.
pub fn server(
    ctx: AppContext,
    listener: TcpListener,
    handle_signals: bool,
) -> std::io::Result<Server> {
    let workers = ctx.config().workers;
    let server = HttpServer::new(move || app(ctx.clone()))
        .workers(workers)
        .shutdown_timeout(25)
        .client_request_timeout(Duration::from_secs(10))
        // With actix's default 5 s the server closed idle connections a client was just
        // reusing, and that request failed (a fragment fell back to its stale copy).
        .keep_alive(Duration::from_secs(KEEP_ALIVE_SECS))
        .listen(listener)?;
    let server = if handle_signals {
        server
    } else {
        server.disable_signals()
    };
    Ok(server.run())
}

/// The whole of an app's `main`: config from the environment, logging, start-up, serving.
/// `--healthcheck` instead probes a running instance's `/healthz` (the container HEALTHCHECK).
pub fn main(spec: &'static AppSpec) -> ExitCode {
    if std::env::args().any(|a| a == "--healthcheck") {
        let port = Config::from_env()
            .map(|c| c.listen_port(spec.name))
            .unwrap_or(spec.name.default_port());
        return if health::probe(port) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    actix_web::rt::System::new().block_on(async move {
        match run_standalone(spec).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                tracing::error!(app = %spec.name, error = %err, "could not start");
                eprintln!("{}: {err}", spec.name);
                ExitCode::FAILURE
            }
        }
    })
}

/// Runs one app as its own process: config from the environment, logging, start-up, serving
/// until SIGTERM/SIGINT, which drain in-flight requests (up to 25 s) before it returns.
pub async fn run_standalone(spec: &'static AppSpec) -> Result<(), StartError> {
    let config = Config::from_env()?;
    telemetry::init(config.log_format);
    let addr = (config.bind, config.listen_port(spec.name));
    let public = config.apps.public(spec.name).to_string();
    let ctx = AppContext::build(spec, config).await?;
    let listener = TcpListener::bind(addr)?;
    tracing::info!(app = %spec.name, listen = ?listener.local_addr().ok(), %public, "serving");
    let background = super::background::start(&ctx);
    let served = server(ctx, listener, true)?.await;
    // The server has drained its requests; now the workers finish what they hold.
    background.stop().await;
    served?;
    tracing::info!(app = %spec.name, "stopped");
    Ok(())
}
