//! The six apps in one process, each on its own port and host name, exactly as they talk to each
//! other in production (fragments over HTTP, one database, one Redis).

use std::net::{IpAddr, TcpListener};

use actix_web::dev::ServerHandle;
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures_util::future::join_all;
use shared::AppName;
use shared::config::Config;
use shared::infrastructure::app::{self, AppContext, AppSpec, StartError};
use shared::infrastructure::background;
use url::Url;

/// Every app of the fleet.
pub const SPECS: [&AppSpec; 6] = [
    &blog::APP,
    &market::APP,
    &cart::APP,
    &events::APP,
    &federation::APP,
    &account::APP,
];

pub fn spec(app: AppName) -> &'static AppSpec {
    SPECS[app.index()]
}

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("cannot listen on {addr}: {source} (is another fleet running?)")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("{app} could not start: {source}")]
    Start { app: AppName, source: StartError },
    #[error("{app}'s database sessions could not be ended: {reason}")]
    Kill { app: AppName, reason: String },
}

pub struct RunningApp {
    pub name: AppName,
    pub ctx: AppContext,
    pub url: Url,
    handle: Option<ServerHandle>,
    background: Option<background::Running>,
}

pub struct Fleet {
    apps: Vec<RunningApp>,
    bind: IpAddr,
}

impl Fleet {
    /// Starts the six apps. `ports`: fixed ports (dev) or `None` for ephemeral ones (tests).
    /// Each app is reachable at `http://<app>.localhost:<port>/`.
    pub async fn start(
        mut config: Config,
        bind: IpAddr,
        ports: Option<[u16; 6]>,
    ) -> Result<Fleet, FleetError> {
        let mut listeners = Vec::with_capacity(6);
        for app in AppName::ALL {
            let port = ports.map_or(0, |p| p[app.index()]);
            let listener = TcpListener::bind((bind, port)).map_err(|source| FleetError::Bind {
                addr: format!("{bind}:{port}"),
                source,
            })?;
            let port = listener
                .local_addr()
                .map_err(|source| FleetError::Bind {
                    addr: format!("{bind}:{port}"),
                    source,
                })?
                .port();
            let url = Url::parse(&format!("http://{app}.localhost:{port}/")).map_err(|e| {
                FleetError::Bind {
                    addr: format!("{bind}:{port}"),
                    source: std::io::Error::other(e),
                }
            })?;
            config.apps.set(app, url.clone(), url);
            listeners.push(listener);
        }
        let contexts = join_all(AppName::ALL.map(|app| {
            let config = config.clone();
            async move {
                AppContext::build(spec(app), config)
                    .await
                    .map_err(|source| FleetError::Start { app, source })
            }
        }))
        .await;
        // One app that cannot start stops the fleet before any app serves.
        let contexts = contexts.into_iter().collect::<Result<Vec<_>, _>>()?;
        let mut apps = Vec::with_capacity(6);
        for ((app, ctx), listener) in AppName::ALL.into_iter().zip(contexts).zip(listeners) {
            let server =
                app::server(ctx.clone(), listener, false).map_err(|source| FleetError::Start {
                    app,
                    source: StartError::Io(source),
                })?;
            let handle = server.handle();
            actix_web::rt::spawn(server);
            let background = Some(background::start(&ctx));
            let url = ctx.config().apps.public(app).clone();
            apps.push(RunningApp {
                name: app,
                ctx,
                url,
                handle: Some(handle),
                background,
            });
        }
        Ok(Fleet { apps, bind })
    }

    pub fn apps(&self) -> &[RunningApp] {
        &self.apps
    }

    pub fn url(&self, app: AppName) -> &Url {
        &self.apps[app.index()].url
    }

    /// `path` on `app`, e.g. `fleet.at(AppName::Blog, "/posts/x")`.
    pub fn at(&self, app: AppName, path: &str) -> String {
        format!("{}{}", self.url(app).as_str().trim_end_matches('/'), path)
    }

    pub fn ctx(&self, app: AppName) -> &AppContext {
        &self.apps[app.index()].ctx
    }

    /// Stops one app gracefully (its port stops answering, its workers stop).
    pub async fn stop_app(&mut self, app: AppName) {
        let running = &mut self.apps[app.index()];
        if let Some(handle) = running.handle.take() {
            handle.stop(true).await;
        }
        if let Some(background) = running.background.take() {
            background.stop().await;
        }
    }

    /// Stops one app's background workers only (as if its worker process died).
    pub async fn stop_workers(&mut self, app: AppName) {
        if let Some(background) = self.apps[app.index()].background.take() {
            background.stop().await;
        }
    }

    /// Starts an app's background workers again, on a fresh context (as a restarted process).
    pub async fn restart_workers(&mut self, app: AppName) -> Result<(), FleetError> {
        self.stop_workers(app).await;
        let config = self.apps[app.index()].ctx.config().clone();
        let ctx = AppContext::build(spec(app), config)
            .await
            .map_err(|source| FleetError::Start { app, source })?;
        self.apps[app.index()].background = Some(background::start(&ctx));
        Ok(())
    }

    /// Kills one app as a crash would: its server stops at once (requests in flight are
    /// dropped where they stand, unanswered), its workers are aborted holding their jobs'
    /// leases, its pool is closed and its database sessions are ended, so what it had not
    /// committed rolls back. Its port stops answering until [`Fleet::restart_app`].
    pub async fn kill_app(&mut self, app: AppName) -> Result<(), FleetError> {
        let running = &mut self.apps[app.index()];
        if let Some(handle) = running.handle.take() {
            handle.stop(false).await;
        }
        if let Some(background) = running.background.take() {
            background.abort();
        }
        running.ctx.db().close();
        let url = running.ctx.config().database.url.expose().to_owned();
        let gone = |e: &dyn std::fmt::Display| FleetError::Kill {
            app,
            reason: e.to_string(),
        };
        let mut conn = diesel_async::AsyncPgConnection::establish(&url)
            .await
            .map_err(|e| gone(&e))?;
        diesel::sql_query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = $1 \
             AND pid <> pg_backend_pid()",
        )
        .bind::<diesel::sql_types::Text, _>(app.as_str())
        .execute(&mut conn)
        .await
        .map_err(|e| gone(&e))?;
        Ok(())
    }

    /// Starts an app again on its port, on a fresh context with fresh workers (a new
    /// process after [`Fleet::kill_app`] or [`Fleet::stop_app`]).
    pub async fn restart_app(&mut self, app: AppName) -> Result<(), FleetError> {
        self.stop_app(app).await;
        let port = self.apps[app.index()].url.port().unwrap_or(0);
        let addr = format!("{}:{port}", self.bind);
        let listener = TcpListener::bind((self.bind, port)).map_err(|source| FleetError::Bind {
            addr: addr.clone(),
            source,
        })?;
        let config = self.apps[app.index()].ctx.config().clone();
        let ctx = AppContext::build(spec(app), config)
            .await
            .map_err(|source| FleetError::Start { app, source })?;
        let server =
            app::server(ctx.clone(), listener, false).map_err(|source| FleetError::Start {
                app,
                source: StartError::Io(source),
            })?;
        let running = &mut self.apps[app.index()];
        running.handle = Some(server.handle());
        actix_web::rt::spawn(server);
        running.background = Some(background::start(&ctx));
        running.ctx = ctx;
        Ok(())
    }

    /// Stops every app gracefully.
    pub async fn stop(mut self) {
        let handles: Vec<ServerHandle> = self
            .apps
            .iter_mut()
            .filter_map(|a| a.handle.take())
            .collect();
        join_all(handles.iter().map(|h| h.stop(true))).await;
        let workers: Vec<background::Running> = self
            .apps
            .iter_mut()
            .filter_map(|a| a.background.take())
            .collect();
        join_all(workers.into_iter().map(background::Running::stop)).await;
    }
}
