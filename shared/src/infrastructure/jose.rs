//! Just enough JOSE for OpenID Connect, on openssl: RS256 JWS compact serialization, RSA JWKs.
//!
//! Verification is strict: the header must say `alg: RS256` (never `none`, never HMAC), the
//! `kid` must name a known key, and `crit` is refused.

use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JoseError {
    #[error("malformed token")]
    Malformed,
    #[error("unsupported algorithm `{0}`")]
    Algorithm(String),
    #[error("unknown key `{0}`")]
    UnknownKey(String),
    #[error("bad signature")]
    Signature,
    #[error("crypto: {0}")]
    Crypto(String),
}

fn crypto(e: openssl::error::ErrorStack) -> JoseError {
    JoseError::Crypto(e.to_string())
}

pub use crate::crypto::hmac_sha256;

pub fn b64url(bytes: &[u8]) -> String {
    openssl::base64::encode_block(bytes)
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_")
}

pub fn b64url_decode(text: &str) -> Result<Vec<u8>, JoseError> {
    if !text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(JoseError::Malformed);
    }
    let mut standard = text.replace('-', "+").replace('_', "/");
    while !standard.len().is_multiple_of(4) {
        standard.push('=');
    }
    openssl::base64::decode_block(&standard).map_err(|_bad| JoseError::Malformed)
}

/// A public RSA key as a JWK (`kty: RSA`, `use: sig`, `alg: RS256`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    pub kid: String,
    pub n: String,
    pub e: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

impl Jwk {
    pub fn from_public(kid: &str, key: &PKey<Public>) -> Result<Jwk, JoseError> {
        let rsa = key.rsa().map_err(crypto)?;
        Ok(Jwk {
            kty: "RSA".into(),
            use_: Some("sig".into()),
            alg: Some("RS256".into()),
            kid: kid.to_owned(),
            n: b64url(&rsa.n().to_vec()),
            e: b64url(&rsa.e().to_vec()),
        })
    }

    pub fn to_public(&self) -> Result<PKey<Public>, JoseError> {
        if self.kty != "RSA" {
            return Err(JoseError::Algorithm(self.kty.clone()));
        }
        let n = BigNum::from_slice(&b64url_decode(&self.n)?).map_err(crypto)?;
        let e = BigNum::from_slice(&b64url_decode(&self.e)?).map_err(crypto)?;
        PKey::from_rsa(Rsa::from_public_components(n, e).map_err(crypto)?).map_err(crypto)
    }
}

/// An RS256 signing key with its id.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    key: PKey<Private>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh 2048-bit key.
    pub fn generate(kid: &str) -> Result<SigningKey, JoseError> {
        let rsa = Rsa::generate(2048).map_err(crypto)?;
        Ok(SigningKey {
            kid: kid.to_owned(),
            key: PKey::from_rsa(rsa).map_err(crypto)?,
        })
    }

    pub fn from_pem(kid: &str, pem: &str) -> Result<SigningKey, JoseError> {
        Ok(SigningKey {
            kid: kid.to_owned(),
            key: PKey::private_key_from_pem(pem.as_bytes()).map_err(crypto)?,
        })
    }

    pub fn to_pem(&self) -> Result<String, JoseError> {
        let pem = self.key.private_key_to_pem_pkcs8().map_err(crypto)?;
        String::from_utf8(pem).map_err(|e| JoseError::Crypto(e.to_string()))
    }

    pub fn jwk(&self) -> Result<Jwk, JoseError> {
        let public = PKey::public_key_from_der(&self.key.public_key_to_der().map_err(crypto)?)
            .map_err(crypto)?;
        Jwk::from_public(&self.kid, &public)
    }

    /// `header.payload.signature` with `{"alg":"RS256","typ":typ,"kid":…}`.
    pub fn sign(&self, typ: &str, claims: &Value) -> Result<String, JoseError> {
        let header = serde_json::json!({ "alg": "RS256", "typ": typ, "kid": self.kid });
        let signing_input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(claims.to_string().as_bytes())
        );
        let mut signer = Signer::new(MessageDigest::sha256(), &self.key).map_err(crypto)?;
        signer.update(signing_input.as_bytes()).map_err(crypto)?;
        let signature = signer.sign_to_vec().map_err(crypto)?;
        Ok(format!("{signing_input}.{}", b64url(&signature)))
    }
}

/// A verified token's header and claims.
#[derive(Debug, Clone)]
pub struct Verified {
    pub header: Value,
    pub claims: Value,
}

/// The `kid` of a token's header, without verifying anything (to pick or fetch a key).
pub fn peek_kid(token: &str) -> Result<String, JoseError> {
    let header = token.split('.').next().ok_or(JoseError::Malformed)?;
    let header: Value =
        serde_json::from_slice(&b64url_decode(header)?).map_err(|_bad| JoseError::Malformed)?;
    header["kid"]
        .as_str()
        .map(str::to_owned)
        .ok_or(JoseError::Malformed)
}

/// Verifies an RS256 compact JWS against the key set. Claims are not checked here.
pub fn verify(token: &str, keys: &JwkSet) -> Result<Verified, JoseError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JoseError::Malformed);
    };
    let header: Value =
        serde_json::from_slice(&b64url_decode(h)?).map_err(|_bad| JoseError::Malformed)?;
    match header["alg"].as_str() {
        Some("RS256") => {}
        other => return Err(JoseError::Algorithm(other.unwrap_or("").to_owned())),
    }
    if header.get("crit").is_some() {
        return Err(JoseError::Malformed);
    }
    let kid = header["kid"].as_str().ok_or(JoseError::Malformed)?;
    let jwk = keys
        .keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or_else(|| JoseError::UnknownKey(kid.to_owned()))?;
    let public = jwk.to_public()?;
    let signature = b64url_decode(s)?;
    let mut verifier = Verifier::new(MessageDigest::sha256(), &public).map_err(crypto)?;
    verifier.update(h.as_bytes()).map_err(crypto)?;
    verifier.update(b".").map_err(crypto)?;
    verifier.update(p.as_bytes()).map_err(crypto)?;
    if !verifier.verify(&signature).map_err(crypto)? {
        return Err(JoseError::Signature);
    }
    let claims: Value =
        serde_json::from_slice(&b64url_decode(p)?).map_err(|_bad| JoseError::Malformed)?;
    if !claims.is_object() {
        return Err(JoseError::Malformed);
    }
    Ok(Verified { header, claims })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_round_trip_and_refuse_tampering() {
        let key = SigningKey::generate("k1").unwrap();
        let set = JwkSet {
            keys: vec![key.jwk().unwrap()],
        };
        let token = key
            .sign("JWT", &serde_json::json!({ "sub": "1", "aud": "blog" }))
            .unwrap();
        let verified = verify(&token, &set).unwrap();
        assert_eq!(verified.claims["sub"], "1");
        assert_eq!(peek_kid(&token).unwrap(), "k1");

        let mut parts: Vec<&str> = token.split('.').collect();
        let forged = b64url(br#"{"sub":"2","aud":"blog"}"#);
        parts[1] = &forged;
        assert_eq!(
            verify(&parts.join("."), &set).unwrap_err(),
            JoseError::Signature
        );

        let none = format!(
            "{}.{}.",
            b64url(br#"{"alg":"none","kid":"k1"}"#),
            b64url(br#"{"sub":"1"}"#)
        );
        assert!(matches!(verify(&none, &set), Err(JoseError::Algorithm(_))));
        let hs = format!(
            "{}.{}.x",
            b64url(br#"{"alg":"HS256","kid":"k1"}"#),
            b64url(br#"{}"#)
        );
        assert!(matches!(verify(&hs, &set), Err(JoseError::Algorithm(_))));

        let other = SigningKey::generate("k2").unwrap();
        let token2 = other.sign("JWT", &serde_json::json!({})).unwrap();
        assert_eq!(
            verify(&token2, &set).unwrap_err(),
            JoseError::UnknownKey("k2".into())
        );

        let pem = key.to_pem().unwrap();
        let again = SigningKey::from_pem("k1", &pem).unwrap();
        assert_eq!(again.jwk().unwrap(), key.jwk().unwrap());
    }

    #[test]
    fn base64url() {
        assert_eq!(b64url(b"\xfb\xff"), "-_8");
        assert_eq!(b64url_decode("-_8").unwrap(), b"\xfb\xff");
        assert!(b64url_decode("a+b").is_err());
    }
}
