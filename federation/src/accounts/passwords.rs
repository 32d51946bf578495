//! Password hashing: Argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1), PHC strings.
//! Hashing runs on the blocking pool so a sign-in never stalls a worker.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

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
}

fn argon2() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub fn hash_blocking(password: &str) -> Result<String, PasswordError> {
    argon2()?
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Verifies against a stored PHC string (whatever parameters it was made with).
pub fn verify_blocking(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

pub async fn hash(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|_join| PasswordError::Join)?
}

/// Verifies `password` against `phc`; with no stored hash it still spends the time of one
/// verification, so an unknown account cannot be told apart by timing.
pub async fn verify(password: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify_blocking(&password, &phc),
        None => {
            let _ = verify_blocking(&password, DUMMY_HASH);
            false
        }
    })
    .await
    .unwrap_or(false)
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

    #[test]
    fn policy() {
        assert!(policy_problem("short", "ada", "a@x.org").is_some());
        assert!(policy_problem("adalovelace1", "adalovelace1", "a@x.org").is_some());
        assert!(policy_problem("1234567890", "ada", "a@x.org").is_some());
        assert!(policy_problem("a long enough passphrase", "ada", "a@x.org").is_none());
    }
}
