//! Federation's own state: the OpenID provider's signing keys and client registrations, made
//! ready once per process on first use.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use shared::config::Config;
use shared::crypto::CryptoError;
use shared::infrastructure::jose::{JwkSet, SigningKey};
use shared::infrastructure::mail::Mailer;
use shared::infrastructure::sso;
use shared::models::oauth::{Client, NewClient};
use shared::{AppContext, AppError, AppName};
use tokio::sync::OnceCell;

use crate::db::oauth;

/// Retired keys stay published this long (longer than any token they signed lives).
pub const RETIRED_KEY_GRACE: Duration = Duration::from_secs(24 * 3600);
/// How long a client registration is cached (an admin's change takes effect within it).
const CLIENT_CACHE: Duration = Duration::from_secs(30);
/// How often a process re-reads the active key (another replica may have rotated).
const KEY_RELOAD: Duration = Duration::from_secs(30);

pub struct FederationState {
    init: OnceCell<()>,
    /// Client registrations by id, cached for [`CLIENT_CACHE`] (a hot lookup on every token request).
    clients: std::sync::Mutex<std::collections::HashMap<String, (Instant, Option<Client>)>>,
    active: RwLock<Option<(SigningKey, Instant)>>,
    pub mailer: Mailer,
}

impl FederationState {
    pub fn new(ctx: &AppContext) -> Result<FederationState, AppError> {
        Ok(FederationState {
            init: OnceCell::new(),
            clients: std::sync::Mutex::new(std::collections::HashMap::new()),
            active: RwLock::new(None),
            mailer: Mailer::from_config(ctx.config()).map_err(AppError::internal)?,
        })
    }

    /// Registers the six first-party clients from config and makes sure a signing key exists.
    pub async fn ready(&self, ctx: &AppContext) -> Result<(), AppError> {
        self.init
            .get_or_try_init(|| async {
                let mut conn = ctx.conn().await?;
                for app in AppName::ALL {
                    oauth::upsert_client(&mut conn, &first_party_client(ctx.config(), app)?)
                        .await?;
                }
                if oauth::signing_keys(&mut conn)
                    .await?
                    .iter()
                    .all(|k| k.retired_at.is_some())
                {
                    create_key(&mut conn).await?;
                }
                Ok::<(), AppError>(())
            })
            .await
            .map(drop)
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
        self.ready(ctx).await?;
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
        self.ready(ctx).await?;
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
        self.ready(ctx).await?;
        let mut conn = ctx.conn().await?;
        let kid = create_key(&mut conn).await?;
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

async fn create_key(conn: &mut diesel_async::AsyncPgConnection) -> Result<String, AppError> {
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
    Ok(kid)
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
