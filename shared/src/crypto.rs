//! The fleet's one door to randomness, digests, HMAC and constant-time comparison (openssl).
//!
//! Every function that can fail says so (digests cannot): a failing system RNG or digest is an error that stops
//! the request, never a zero-filled token or an empty digest that something would then accept.

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

#[derive(Debug, thiserror::Error)]
#[error("cryptography failed: {0}")]
pub struct CryptoError(#[from] openssl::error::ErrorStack);

/// `N` bytes from openssl's CSPRNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut bytes = [0u8; N];
    openssl::rand::rand_bytes(&mut bytes)?;
    Ok(bytes)
}

/// A random 256-bit token, hex encoded (session ids, CSRF tokens, codes sent by mail).
pub fn random_token() -> Result<String, CryptoError> {
    Ok(hex::encode(random_bytes::<32>()?))
}

/// SHA-256 of `data` (openssl's one-shot SHA-256, which has no failure path).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    openssl::sha::sha256(data)
}

/// SHA-256 of a token, hex encoded: what is stored instead of the token.
pub fn token_digest(token: &str) -> String {
    hex::encode(sha256(token.as_bytes()))
}

/// HMAC-SHA256 of `message` under `key` (HS256 tokens, webhook and request signatures).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let key = PKey::hmac(key)?;
    Ok(Signer::new(MessageDigest::sha256(), &key)?.sign_oneshot_to_vec(message)?)
}

/// Compares secrets in constant time (for equal lengths; lengths are not secret here, and
/// openssl's compare panics on unequal ones, so they are checked first).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && openssl::memcmp::eq(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_digests_known() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_ne!(a, "0".repeat(64));
        assert_eq!(
            token_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // RFC 4231 test case 2.
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?").unwrap()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"diff"));
        assert!(!constant_time_eq(b"short", b"longer"));
    }
}
