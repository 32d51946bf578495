//! Signing keys: the fleet key every app actor shares (from `ACTIVITYPUB_PRIVATE_KEY`, or made
//! once and kept in the database in dev), and one key per member's Person actor.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Rsa;
use tokio::sync::OnceCell;

use super::actors::LocalActor;
use super::store;
use crate::config::Config;
use crate::db::DbPool;
use crate::infrastructure::errors::AppError;

/// A private key with its public half as SPKI PEM (what actor documents publish).
#[derive(Clone)]
pub struct ActorKey {
    pub private: PKey<Private>,
    pub public_pem: String,
}

impl std::fmt::Debug for ActorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ActorKey(***)")
    }
}

const FLEET: &str = "fleet";

fn from_pem(private_pem: &str) -> Result<ActorKey, AppError> {
    let private = PKey::private_key_from_pem(private_pem.as_bytes()).map_err(AppError::internal)?;
    let public = private.public_key_to_pem().map_err(AppError::internal)?;
    Ok(ActorKey {
        private,
        public_pem: String::from_utf8_lossy(&public).into_owned(),
    })
}

async fn generate() -> Result<(String, String), AppError> {
    tokio::task::spawn_blocking(|| {
        let key = PKey::from_rsa(Rsa::generate(2048)?)?;
        let private = String::from_utf8_lossy(&key.private_key_to_pem_pkcs8()?).into_owned();
        let public = String::from_utf8_lossy(&key.public_key_to_pem()?).into_owned();
        Ok::<_, openssl::error::ErrorStack>((private, public))
    })
    .await
    .map_err(AppError::internal)?
    .map_err(AppError::internal)
}

#[derive(Default)]
pub struct KeyStore {
    fleet: OnceCell<ActorKey>,
    users: Mutex<HashMap<String, ActorKey>>,
}

impl KeyStore {
    /// The key an actor signs with (usually through [`super::ActivityPub::key_of`]).
    pub async fn of(
        &self,
        db: &DbPool,
        config: &Config,
        actor: &LocalActor,
    ) -> Result<ActorKey, AppError> {
        match actor {
            LocalActor::App(_) => self.fleet(db, config).await,
            LocalActor::User(_) => self.user(db, &actor.id(config)).await,
        }
    }

    async fn fleet(&self, db: &DbPool, config: &Config) -> Result<ActorKey, AppError> {
        self.fleet
            .get_or_try_init(|| async {
                if let Some(pem) = &config.activitypub_private_key {
                    return from_pem(pem.expose());
                }
                self.stored(db, FLEET).await
            })
            .await
            .cloned()
    }

    async fn user(&self, db: &DbPool, actor_id: &str) -> Result<ActorKey, AppError> {
        if let Some(key) = self
            .users
            .lock()
            .ok()
            .and_then(|m| m.get(actor_id).cloned())
        {
            return Ok(key);
        }
        let key = self.stored(db, actor_id).await?;
        if let Ok(mut users) = self.users.lock() {
            users.insert(actor_id.to_owned(), key.clone());
        }
        Ok(key)
    }

    /// The stored key of `name`, made on first use (two racing makers keep the first).
    async fn stored(&self, db: &DbPool, name: &str) -> Result<ActorKey, AppError> {
        let existing = {
            let mut conn = db.get().await?;
            store::key(&mut conn, name).await?
        };
        let (private, _) = match existing {
            Some(pair) => pair,
            None => {
                let (private, public) = generate().await?;
                let mut conn = db.get().await?;
                store::insert_key(&mut conn, name, &private, &public).await?
            }
        };
        from_pem(&private)
    }
}

/// Remote actors' public keys, parsed and remembered: OpenSSL 3's PEM decoding costs more than
/// the signature check itself, and the inbox sees the same few keys over and over. An entry is
/// trusted for a few minutes without asking the database; a signature that fails against it goes
/// the long way (database, then a refetch), so a rotated key is picked up at once.
#[derive(Default)]
pub struct PublicKeys {
    known: Mutex<HashMap<String, KnownKey>>,
    /// Key ids whose refetch did not help, and when: a flood of bad signatures naming a key must
    /// not make us fetch it each time (Mastodon likewise refetches a key at most once a while).
    cooling: Mutex<HashMap<String, Instant>>,
}

struct KnownKey {
    owner: String,
    pem: String,
    key: PKey<Public>,
    at: Instant,
}

/// Keys kept before the cache starts over (a bound, not an eviction policy: keys are cheap to
/// load again).
const MAX_PUBLIC_KEYS: usize = 10_000;
const FRESH_FOR: Duration = Duration::from_secs(300);
/// How long a key id is not fetched again after a refetch that did not verify.
pub const REFETCH_COOL_OFF: Duration = Duration::from_secs(60);

impl PublicKeys {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, KnownKey>> {
        self.known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The owner and key of `key_id`, if seen recently.
    pub fn recent(&self, key_id: &str) -> Option<(String, PKey<Public>)> {
        self.lock()
            .get(key_id)
            .filter(|k| k.at.elapsed() < FRESH_FOR)
            .map(|k| (k.owner.clone(), k.key.clone()))
    }

    /// The key `actor` publishes (parsed unless it is the one we have), remembered.
    pub fn remember(
        &self,
        actor: &store::RemoteActor,
    ) -> Result<PKey<Public>, openssl::error::ErrorStack> {
        let same = self
            .lock()
            .get(&actor.key_id)
            .filter(|k| k.pem == actor.public_key_pem)
            .map(|k| k.key.clone());
        let key = match same {
            Some(key) => key,
            None => PKey::public_key_from_pem(actor.public_key_pem.as_bytes())?,
        };
        let mut known = self.lock();
        if known.len() >= MAX_PUBLIC_KEYS {
            known.clear();
        }
        known.insert(
            actor.key_id.clone(),
            KnownKey {
                owner: actor.id.clone(),
                pem: actor.public_key_pem.clone(),
                key: key.clone(),
                at: Instant::now(),
            },
        );
        Ok(key)
    }

    /// Forgets `key_id` (its actor was deleted or changed).
    pub fn forget(&self, key_id: &str) {
        self.lock().remove(key_id);
    }

    fn cooling_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.cooling
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether `key_id` was refetched in vain less than [`REFETCH_COOL_OFF`] ago.
    pub fn cooling_off(&self, key_id: &str) -> bool {
        self.cooling_lock()
            .get(key_id)
            .is_some_and(|at| at.elapsed() < REFETCH_COOL_OFF)
    }

    /// Records a refetch of `key_id` that did not give a key verifying the signature.
    pub fn refetch_failed(&self, key_id: &str) {
        let mut cooling = self.cooling_lock();
        if cooling.len() >= MAX_PUBLIC_KEYS {
            cooling.retain(|_, at| at.elapsed() < REFETCH_COOL_OFF);
            if cooling.len() >= MAX_PUBLIC_KEYS {
                cooling.clear();
            }
        }
        cooling.insert(key_id.to_owned(), Instant::now());
    }
}
