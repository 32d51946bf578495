//! Federation's own state: its config section, the OpenID provider's signing keys and client
//! registrations. Built once at start-up ([`FederationState::start`], the app's start hook):
//! the first-party clients registered and a readable active key in place, or the app does not
//! start.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use shared::config::{Config, ConfigError};
use shared::crypto::CryptoError;
use shared::infrastructure::app::{AppState, StartFuture};
use shared::infrastructure::jose::{JoseError, JwkSet, SigningKey};
use shared::infrastructure::sso;
use shared::models::oauth::{Client, NewClient};
use shared::{AppContext, AppError, AppName};

use crate::config::FederationConfig;
use crate::db::oauth;

/// Retired keys stay published this long (longer than any token they signed lives).
pub const RETIRED_KEY_GRACE: Duration = Duration::from_secs(24 * 3600);
/// How long a client registration is cached (an admin's change takes effect within it).
const CLIENT_CACHE: Duration = Duration::from_secs(30);
/// How often a process re-reads the active key (another replica may have rotated).
const KEY_RELOAD: Duration = Duration::from_secs(30);

pub struct FederationState {
    /// Federation's own settings (`config.rs`).
    pub config: FederationConfig,
    /// Client registrations by id, cached for [`CLIENT_CACHE`] (a hot lookup on every token request).
    clients: std::sync::Mutex<std::collections::HashMap<String, (Instant, Option<Client>)>>,
    active: RwLock<Option<(SigningKey, Instant)>>,
}

/// Why federation could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("the {app} app's OAuth client secret: {source}")]
    ClientSecret { app: AppName, source: CryptoError },
    #[error("registering the first-party OAuth clients: {0}")]
    Clients(#[source] AppError),
    #[error("the signing keys: {0}")]
    Keys(#[source] AppError),
    #[error("the active OpenID signing key `{kid}` cannot be read: {source}")]
    UnreadableKey { kid: String, source: JoseError },
}

/// The app's start hook: see [`FederationState::start`].
pub fn start(ctx: &AppContext) -> StartFuture<'_> {
    Box::pin(async move {
        let state = FederationState::start(ctx).await?;
        Ok(AppState::new(state))
    })
}

impl FederationState {
    /// Reads federation's config section, registers the six first-party clients from config,
    /// creates a signing key if none is active, and loads the active one (a key that cannot be
    /// read stops the app rather than failing every sign-in).
    pub async fn start(ctx: &AppContext) -> Result<FederationState, StartError> {
        let config = ctx.config().section::<FederationConfig>()?;
        let mut conn = ctx.conn().await.map_err(StartError::Clients)?;
        for app in AppName::ALL {
            let client = first_party_client(ctx.config(), app)
                .map_err(|source| StartError::ClientSecret { app, source })?;
            oauth::upsert_client(&mut conn, &client)
                .await
                .map_err(|e| StartError::Clients(e.into()))?;
        }
        let keys = oauth::signing_keys(&mut conn)
            .await
            .map_err(|e| StartError::Keys(e.into()))?;
        let active = match keys.iter().find(|k| k.retired_at.is_none()) {
            Some(row) => SigningKey::from_pem(&row.kid, &row.private_pem).map_err(|source| {
                StartError::UnreadableKey {
                    kid: row.kid.clone(),
                    source,
                }
            })?,
            None => create_key(&mut conn).await.map_err(StartError::Keys)?,
        };
        Ok(FederationState {
            config,
            clients: std::sync::Mutex::new(std::collections::HashMap::new()),
            active: RwLock::new(Some((active, Instant::now()))),
        })
    }

    /// The state built at start-up, for code that has the context but not `web::Data`.
    pub fn of(ctx: &AppContext) -> Result<std::sync::Arc<FederationState>, AppError> {
        ctx.state::<FederationState>()
            .ok_or_else(|| AppError::internal("federation's state was not built at start-up"))
    }

    /// A client registration (cached briefly).
    pub async fn client(
        &self,
        ctx: &AppContext,
        client_id: &str,
    ) -> Result<Option<Client>, AppError> {
        if let Ok(cache) = self.clients.lock()
            && let Some((at, client)) = cache.get(client_id)
            && at.elapsed() < CLIENT_CACHE
        {
            return Ok(client.clone());
        }
        let client = {
            let mut conn = ctx.conn().await?;
            oauth::client(&mut conn, client_id).await?
        };
        if let Ok(mut cache) = self.clients.lock() {
            if cache.len() > 1000 {
                cache.clear();
            }
            cache.insert(client_id.to_owned(), (Instant::now(), client.clone()));
        }
        Ok(client)
    }

    /// Forgets cached registrations (after an admin changed one).
    pub fn forget_clients(&self) {
        if let Ok(mut cache) = self.clients.lock() {
            cache.clear();
        }
    }

    /// The key new tokens are signed with.
    pub async fn signing_key(&self, ctx: &AppContext) -> Result<SigningKey, AppError> {
        if let Ok(slot) = self.active.read()
            && let Some((key, loaded)) = slot.as_ref()
            && loaded.elapsed() < KEY_RELOAD
        {
            return Ok(key.clone());
        }
        let mut conn = ctx.conn().await?;
        let rows = oauth::signing_keys(&mut conn).await?;
        let row = rows
            .iter()
            .find(|k| k.retired_at.is_none())
            .ok_or_else(|| AppError::internal("no active signing key"))?;
        let key = SigningKey::from_pem(&row.kid, &row.private_pem).map_err(AppError::internal)?;
        if let Ok(mut slot) = self.active.write() {
            *slot = Some((key.clone(), Instant::now()));
        }
        Ok(key)
    }

    /// The published keys: the active one and those retired less than a day ago.
    pub async fn jwks(&self, ctx: &AppContext) -> Result<JwkSet, AppError> {
        let mut conn = ctx.conn().await?;
        let cutoff =
            chrono::Utc::now() - chrono::Duration::from_std(RETIRED_KEY_GRACE).unwrap_or_default();
        let mut keys = Vec::new();
        for row in oauth::signing_keys(&mut conn).await? {
            if row.retired_at.is_none_or(|r| r > cutoff) {
                keys.push(
                    SigningKey::from_pem(&row.kid, &row.private_pem)
                        .and_then(|k| k.jwk())
                        .map_err(AppError::internal)?,
                );
            }
        }
        Ok(JwkSet { keys })
    }

    /// A new active key; the old ones stay published for [`RETIRED_KEY_GRACE`].
    pub async fn rotate_keys(&self, ctx: &AppContext) -> Result<String, AppError> {
        let mut conn = ctx.conn().await?;
        let kid = create_key(&mut conn).await?.kid;
        oauth::retire_keys_except(&mut conn, &kid).await?;
        let cutoff = chrono::Utc::now()
            - chrono::Duration::from_std(RETIRED_KEY_GRACE * 2).unwrap_or_default();
        oauth::delete_retired_keys(&mut conn, cutoff).await?;
        if let Ok(mut slot) = self.active.write() {
            *slot = None;
        }
        Ok(kid)
    }
}

/// A new active key, stored.
async fn create_key(conn: &mut diesel_async::AsyncPgConnection) -> Result<SigningKey, AppError> {
    let kid = format!("k{}", chrono::Utc::now().format("%Y%m%d%H%M%S%3f"));
    let key = tokio::task::spawn_blocking({
        let kid = kid.clone();
        move || SigningKey::generate(&kid)
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)?;
    oauth::insert_signing_key(conn, &kid, &key.to_pem().map_err(AppError::internal)?).await?;
    tracing::info!(%kid, "new signing key");
    Ok(key)
}

/// A client secret is stored as its SHA-256 (secrets are 256-bit random, so a slow hash adds
/// nothing) and compared in constant time.
pub fn secret_hash(secret: &str) -> String {
    shared::crypto::token_digest(secret)
}

/// The registration of one of the fleet's own apps (consent skipped, back-channel logout over the
/// internal network).
pub fn first_party_client(config: &Config, app: AppName) -> Result<NewClient, CryptoError> {
    Ok(NewClient {
        client_id: app.as_str().to_owned(),
        name: format!("Rose Ash {}", app.title()),
        secret_hash: secret_hash(sso::client_secret(config, app)?.expose()),
        redirect_uris: vec![sso::redirect_uri(config, app)],
        post_logout_redirect_uris: vec![sso::post_logout_redirect_uri(config, app)],
        backchannel_logout_uri: Some(sso::backchannel_logout_uri(config, app)),
        first_party: true,
    })
}
