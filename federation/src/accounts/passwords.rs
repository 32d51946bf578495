//! Password hashing: Argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1), PHC strings.
//! Hashing runs on the process's password hashers (one per CPU, see [`super::hashers`]) so a
//! sign-in never stalls a worker and a burst of them cannot exhaust memory: a request that finds
//! every hasher busy gets [`PasswordError::Busy`] (answered 503 with `Retry-After`) within
//! [`super::hashers::BUSY_WAIT`].

use std::cell::RefCell;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use super::hashers::{self, HasherError};

/// OWASP Password Storage Cheat Sheet, argon2id minimum: 19 MiB memory, 2 iterations, 1 lane.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the hashing task stopped")]
    Join,
    #[error("every password hasher is busy")]
    Busy,
}

/// What `Retry-After` says when the hashers are busy.
pub const RETRY_AFTER_SECS: u64 = 1;

impl From<HasherError> for PasswordError {
    fn from(err: HasherError) -> Self {
        match err {
            HasherError::Busy => PasswordError::Busy,
            HasherError::Stopped => PasswordError::Join,
        }
    }
}

fn argon2() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

thread_local! {
    /// This thread's Argon2 memory, allocated once and reused by every hash it computes: a fresh
    /// 19 MiB allocation per hash is not reliably given back (glibc keeps freed blocks in
    /// per-thread arenas), so reuse is what makes the number of hashers a bound on memory.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with `blocks` blocks of Argon2 memory: this thread's own for the current parameters,
/// a temporary allocation for a hash made with others.
fn with_memory<T>(blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    if blocks == usize::try_from(MEMORY_KIB).unwrap_or(0) {
        MEMORY.with_borrow_mut(|memory| {
            if memory.len() != blocks {
                *memory = vec![Block::default(); blocks];
            }
            f(memory)
        })
    } else {
        f(&mut vec![Block::default(); blocks])
    }
}

/// Computes the Argon2 output of `password` into `out` with `argon2`'s parameters.
fn compute(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), PasswordError> {
    with_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, memory)
    })
    .map_err(|e| PasswordError::Hash(e.to_string()))
}

pub fn hash_blocking(password: &str) -> Result<String, PasswordError> {
    let argon2 = argon2()?;
    let params = argon2.params().clone();
    let mut salt = [0u8; Salt::RECOMMENDED_LENGTH];
    openssl::rand::rand_bytes(&mut salt).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    compute(&argon2, &params, password, &salt, &mut out)?;
    let phc = |e: argon2::password_hash::phc::Error| PasswordError::Hash(e.to_string());
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.into(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| PasswordError::Hash(e.to_string()))?,
        salt: Some(Salt::new(&salt).map_err(phc)?),
        hash: Some(Output::new(&out).map_err(phc)?),
    };
    Ok(hash.to_string())
}

/// Verifies against a stored PHC string (whatever parameters it was made with).
pub fn verify_blocking(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm.as_str()),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    if compute(&argon2, &params, password, salt, &mut out).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|computed| &computed == expected)
}

/// Hashes `password`, or [`PasswordError::Busy`] when every hasher stayed busy for [`BUSY_WAIT`].
pub async fn hash(password: String) -> Result<String, PasswordError> {
    hashers::run(move || hash_blocking(&password)).await?
}

/// Verifies `password` against `phc`; with no stored hash it still spends the time of one
/// verification, so an unknown account cannot be told apart by timing.
/// [`PasswordError::Busy`] when every hasher stayed busy for [`BUSY_WAIT`].
pub async fn verify(password: String, phc: Option<String>) -> Result<bool, PasswordError> {
    Ok(hashers::run(move || match phc {
        Some(phc) => verify_blocking(&password, &phc),
        None => {
            let _ = verify_blocking(&password, DUMMY_HASH);
            false
        }
    })
    .await?)
}

/// A hash of a random password with the current parameters (for timing equalisation).
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$6QHuQeBVYUiy0/s2JbfNc7bXVFHKXJ1W7d8DjwO3h0U";

/// Why a new password is refused, if it is.
pub fn policy_problem(password: &str, username: &str, email: &str) -> Option<&'static str> {
    let lower = password.to_lowercase();
    if password.chars().count() < MIN_LENGTH {
        Some("Use at least 10 characters.")
    } else if password.len() > MAX_LENGTH {
        Some("That password is too long.")
    } else if lower == username.to_lowercase() || lower == email.to_lowercase() {
        Some("Your password must not be your username or e-mail address.")
    } else if [
        "password12",
        "1234567890",
        "qwertyuiop",
        "0123456789",
        "password123",
    ]
    .contains(&lower.as_str())
    {
        Some("That password is too common.")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_use_owasp_parameters() {
        let h = hash_blocking("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_blocking("correct horse battery", &h));
        assert!(!verify_blocking("wrong horse battery", &h));
        assert!(!verify_blocking("x", "not a hash"));
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    /// Hashes made with reused memory are ordinary PHC strings, both ways.
    #[test]
    fn interoperates_with_the_argon2_crates_own_hasher() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let ours = hash_blocking("a shared secret here").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            argon2()
                .unwrap()
                .verify_password(b"a shared secret here", &parsed)
                .is_ok()
        );
        let theirs = argon2()
            .unwrap()
            .hash_password(b"another secret")
            .unwrap()
            .to_string();
        assert!(verify_blocking("another secret", &theirs));
        assert!(!verify_blocking("another secreT", &theirs));
        // A hash made with other parameters still verifies (temporary memory).
        let light = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"older hash")
        .unwrap()
        .to_string();
        assert!(verify_blocking("older hash", &light));
        assert!(!verify_blocking("older hasH", &light));
    }

    #[test]
    fn policy() {
        assert!(policy_problem("short", "ada", "a@x.org").is_some());
        assert!(policy_problem("adalovelace1", "adalovelace1", "a@x.org").is_some());
        assert!(policy_problem("1234567890", "ada", "a@x.org").is_some());
        assert!(policy_problem("a long enough passphrase", "ada", "a@x.org").is_none());
    }
}
