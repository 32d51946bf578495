//! Signed links in newsletter mail: a subscriber's preferences page and one list's unsubscribe
//! address. A link is `<id>-<mac>`, the MAC an HMAC-SHA256 (truncated to 128 bits) over the
//! purpose and the id under a key derived from the fleet's `INTERNAL_SECRET`, so links need no
//! table, work in any browser, and cannot be made for another id. (Rotating the secret retires
//! every link already mailed.)

use shared::crypto::{self, CryptoError};

/// What a link opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A subscriber's preferences page (the id is the subscriber's).
    Preferences,
    /// One-click unsubscribe from one list (the id is the subscription's).
    Unsubscribe,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::Preferences => "preferences",
            Purpose::Unsubscribe => "unsubscribe",
        }
    }
}

/// Hex digits of MAC kept in a link (128 bits).
const MAC_HEX: usize = 32;

/// Makes and checks signed links.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl LinkSigner {
    /// A signer whose key is derived from `secret` (domain-separated, so the key signs nothing else).
    pub fn new(secret: &[u8]) -> Result<Self, CryptoError> {
        Ok(LinkSigner {
            key: crypto::hmac_sha256(secret, b"rose-ash newsletter links v1")?,
        })
    }

    fn mac(&self, purpose: Purpose, id: i64) -> Result<String, CryptoError> {
        let mac = crypto::hmac_sha256(&self.key, format!("{}:{id}", purpose.label()).as_bytes())?;
        let mut hex = hex::encode(mac);
        hex.truncate(MAC_HEX);
        Ok(hex)
    }

    /// The token for `id`.
    pub fn sign(&self, purpose: Purpose, id: i64) -> Result<String, CryptoError> {
        Ok(format!("{id}-{}", self.mac(purpose, id)?))
    }

    /// The id a token names, if it is signed for `purpose`.
    pub fn verify(&self, purpose: Purpose, token: &str) -> Result<Option<i64>, CryptoError> {
        let Some((id, mac)) = token.split_once('-') else {
            return Ok(None);
        };
        let Ok(id) = id.parse::<i64>() else {
            return Ok(None);
        };
        let expected = self.mac(purpose, id)?;
        Ok(crypto::constant_time_eq(mac.as_bytes(), expected.as_bytes()).then_some(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_names_its_id_for_its_purpose_only() {
        let signer = LinkSigner::new(b"secret").unwrap();
        let token = signer.sign(Purpose::Preferences, 42).unwrap();
        assert!(token.starts_with("42-"));
        assert_eq!(token.len(), 3 + MAC_HEX);
        assert_eq!(
            signer.verify(Purpose::Preferences, &token).unwrap(),
            Some(42)
        );
        assert_eq!(signer.verify(Purpose::Unsubscribe, &token).unwrap(), None);
        let forged = token.replacen("42-", "43-", 1);
        assert_eq!(signer.verify(Purpose::Preferences, &forged).unwrap(), None);
        for bad in ["", "42", "x-abc", "42-", "-42"] {
            assert_eq!(signer.verify(Purpose::Preferences, bad).unwrap(), None);
        }
        let other = LinkSigner::new(b"another secret").unwrap();
        assert_eq!(other.verify(Purpose::Preferences, &token).unwrap(), None);
    }
}
