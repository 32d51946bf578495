//! HTTP Signatures as the fediverse uses them (draft-cavage-http-signatures-12, `rsa-sha256` /
//! `hs2019` with RSASSA-PKCS1-v1_5 SHA-256), on openssl, with stricter rules than Mastodon's:
//! `date` (or `(created)`), `(request-target)` and `host` always signed (else a signature could
//! be replayed to another path or server); `digest` signed on POST and equal to the body's
//! SHA-256; a ±1 hour clock window;
//! `(request-target)` tried with and then without the query. HMAC and unknown algorithms are
//! refused. RFC 9421 lives in [`rfc9421`]; [`Presented`] is whichever of the two a request
//! carries, and [`Standard`] which one we sign with.

pub mod rfc9421;

use chrono::{DateTime, Utc};
use openssl::hash::{MessageDigest, hash};
use openssl::pkey::{HasPublic, PKey, PKeyRef, Private};
use openssl::sign::{Signer, Verifier};

/// How far a signature's date may be from our clock.
pub const CLOCK_WINDOW_SECS: i64 = 3600;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SigError {
    #[error("no Signature header")]
    Missing,
    #[error("malformed Signature header: {0}")]
    Malformed(&'static str),
    #[error("unsupported algorithm {0}")]
    Algorithm(String),
    #[error("{0} must be signed")]
    Unsigned(&'static str),
    #[error("signed header {0} is missing from the request")]
    MissingHeader(String),
    #[error("the Digest does not match the body")]
    Digest,
    #[error("the signature date is outside the accepted window")]
    Stale,
    #[error("the signature does not verify")]
    Invalid,
    #[error("crypto: {0}")]
    Crypto(String),
}

fn crypto(e: openssl::error::ErrorStack) -> SigError {
    SigError::Crypto(e.to_string())
}

/// `SHA-256=<base64>` of a body.
pub fn digest_header(body: &[u8]) -> String {
    let digest = hash(MessageDigest::sha256(), body)
        .map(|d| openssl::base64::encode_block(&d))
        .unwrap_or_default();
    format!("SHA-256={digest}")
}

/// An HTTP date (IMF-fixdate) for `Date` headers.
pub fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// What a signature is computed over.
pub struct Message<'a> {
    pub method: &'a str,
    /// Path, with `?query` when there is one.
    pub path_and_query: &'a str,
    /// Header values by lower-case name (repeated headers already joined with ", ").
    pub headers: &'a dyn Fn(&str) -> Option<String>,
}

/// The string signed for `names` (lower-case header names, `(request-target)`, ...).
pub fn signing_string(
    message: &Message<'_>,
    names: &[String],
    created: Option<i64>,
    expires: Option<i64>,
) -> Result<String, SigError> {
    let mut lines = Vec::with_capacity(names.len());
    for name in names {
        let line = match name.as_str() {
            "(request-target)" => format!(
                "(request-target): {} {}",
                message.method.to_ascii_lowercase(),
                message.path_and_query
            ),
            "(created)" => format!(
                "(created): {}",
                created.ok_or(SigError::Malformed("(created) without created"))?
            ),
            "(expires)" => format!(
                "(expires): {}",
                expires.ok_or(SigError::Malformed("(expires) without expires"))?
            ),
            header => {
                let value = (message.headers)(header)
                    .ok_or_else(|| SigError::MissingHeader(header.to_owned()))?;
                format!("{header}: {}", value.trim())
            }
        };
        lines.push(line);
    }
    Ok(lines.join("\n"))
}

/// A `Signature` header value signing `names` of `message` with `key`.
pub fn sign(
    key: &PKeyRef<Private>,
    key_id: &str,
    message: &Message<'_>,
    names: &[&str],
) -> Result<String, SigError> {
    let names: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    let string = signing_string(message, &names, None, None)?;
    let mut signer = Signer::new(MessageDigest::sha256(), key).map_err(crypto)?;
    signer.update(string.as_bytes()).map_err(crypto)?;
    let signature = openssl::base64::encode_block(&signer.sign_to_vec().map_err(crypto)?);
    Ok(format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{signature}\"",
        names.join(" ")
    ))
}

/// A parsed `Signature` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub key_id: String,
    pub algorithm: Option<String>,
    pub headers: Vec<String>,
    pub signature: Vec<u8>,
    pub created: Option<i64>,
    pub expires: Option<i64>,
}

pub fn parse(value: &str) -> Result<Signature, SigError> {
    let mut key_id = None;
    let mut algorithm = None;
    let mut headers = None;
    let mut signature = None;
    let mut created = None;
    let mut expires = None;
    let mut rest = value.trim();
    while !rest.is_empty() {
        let (name, after) = rest
            .split_once('=')
            .ok_or(SigError::Malformed("expected name=value"))?;
        let name = name.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or(SigError::Malformed("unterminated quote"))?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        match name.as_str() {
            "keyid" => key_id = Some(value.to_owned()),
            "algorithm" => algorithm = Some(value.to_ascii_lowercase()),
            "headers" => {
                headers = Some(
                    value
                        .split_ascii_whitespace()
                        .map(|h| h.to_ascii_lowercase())
                        .collect::<Vec<_>>(),
                )
            }
            "signature" => {
                signature = Some(
                    openssl::base64::decode_block(value)
                        .map_err(|_bad| SigError::Malformed("signature is not base64"))?,
                )
            }
            "created" => {
                created = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_bad| SigError::Malformed("created"))?,
                )
            }
            "expires" => {
                expires = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_bad| SigError::Malformed("expires"))?,
                )
            }
            _ => {}
        }
        rest = tail.trim_start().trim_start_matches(',').trim_start();
    }
    Ok(Signature {
        key_id: key_id.ok_or(SigError::Malformed("no keyId"))?,
        algorithm,
        // Without a list, Mastodon signs (and so expects) the date alone.
        headers: headers.unwrap_or_else(|| vec!["date".to_owned()]),
        signature: signature.ok_or(SigError::Malformed("no signature"))?,
        created,
        expires,
    })
}

/// The two ways of signing a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standard {
    /// RFC 9421 HTTP Message Signatures.
    Rfc9421,
    /// draft-cavage-http-signatures-12, what most of the fediverse still speaks.
    Cavage,
}

impl Standard {
    pub fn as_str(self) -> &'static str {
        match self {
            Standard::Rfc9421 => "rfc9421",
            Standard::Cavage => "cavage",
        }
    }

    pub fn parse(name: &str) -> Option<Standard> {
        match name {
            "rfc9421" => Some(Standard::Rfc9421),
            "cavage" => Some(Standard::Cavage),
            _ => None,
        }
    }

    pub fn other(self) -> Standard {
        match self {
            Standard::Rfc9421 => Standard::Cavage,
            Standard::Cavage => Standard::Rfc9421,
        }
    }
}

/// The signature a request carries, in either standard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    Cavage(Signature),
    Rfc9421(rfc9421::Signature),
}

impl Presented {
    /// Reads the signature headers: `Signature-Input` means RFC 9421 (whose `Signature` header
    /// is a dictionary), else `Signature` is cavage's.
    pub fn from_headers(headers: &dyn Fn(&str) -> Option<String>) -> Result<Presented, SigError> {
        let signature = headers("signature").ok_or(SigError::Missing)?;
        match headers("signature-input") {
            Some(input) => rfc9421::parse(&input, &signature).map(Presented::Rfc9421),
            None => parse(&signature).map(Presented::Cavage),
        }
    }

    pub fn key_id(&self) -> &str {
        match self {
            Presented::Cavage(sig) => &sig.key_id,
            Presented::Rfc9421(sig) => &sig.key_id,
        }
    }

    pub fn standard(&self) -> Standard {
        match self {
            Presented::Cavage(_) => Standard::Cavage,
            Presented::Rfc9421(_) => Standard::Rfc9421,
        }
    }

    /// [`check`] or [`rfc9421::check`]; `target` is the URI the request was sent to (RFC 9421
    /// signs it whole).
    pub fn check(
        &self,
        message: &Message<'_>,
        target: &url::Url,
        body: Option<&[u8]>,
        now: i64,
    ) -> Result<(), SigError> {
        match self {
            Presented::Cavage(sig) => check(sig, message, body, now),
            Presented::Rfc9421(sig) => rfc9421::check(sig, &as_request(message, target), body, now),
        }
    }

    /// [`verify_with`] or [`rfc9421::verify_with`].
    pub fn verify_with<T: HasPublic>(
        &self,
        message: &Message<'_>,
        target: &url::Url,
        key: &PKey<T>,
    ) -> Result<(), SigError> {
        match self {
            Presented::Cavage(sig) => verify_with(sig, message, key),
            Presented::Rfc9421(sig) => rfc9421::verify_with(sig, &as_request(message, target), key),
        }
    }
}

fn as_request<'a>(message: &Message<'a>, target: &'a url::Url) -> rfc9421::Request<'a> {
    rfc9421::Request {
        method: message.method,
        target,
        headers: message.headers,
    }
}

/// Checks the signature's shape against the request: algorithm, required signed headers, body
/// digest, clock window. Cheap; run it before fetching any key.
pub fn check(
    sig: &Signature,
    message: &Message<'_>,
    body: Option<&[u8]>,
    now: i64,
) -> Result<(), SigError> {
    let hs2019 = match sig.algorithm.as_deref() {
        None | Some("hs2019") => true,
        Some("rsa-sha256") => false,
        Some(other) => return Err(SigError::Algorithm(other.to_owned())),
    };
    let signed = |name: &str| sig.headers.iter().any(|h| h == name);
    if !signed("date") && !signed("(created)") {
        return Err(SigError::Unsigned("date"));
    }
    if (signed("(created)") || signed("(expires)")) && !hs2019 {
        return Err(SigError::Malformed("(created) and (expires) need hs2019"));
    }
    if !signed("(request-target)") {
        return Err(SigError::Unsigned("(request-target)"));
    }
    if !signed("host") {
        return Err(SigError::Unsigned("host"));
    }
    let is_post = message.method.eq_ignore_ascii_case("POST");
    if is_post && !signed("digest") {
        return Err(SigError::Unsigned("digest"));
    }
    if let Some(body) = body.filter(|_| is_post) {
        let presented =
            (message.headers)("digest").ok_or_else(|| SigError::MissingHeader("digest".into()))?;
        // Digest may list several algorithms; SHA-256 must be there and match.
        let ours = digest_header(body);
        let matches = presented.split(',').map(str::trim).any(|d| {
            d.split_once('=').is_some_and(|(alg, value)| {
                alg.eq_ignore_ascii_case("SHA-256") && format!("SHA-256={value}") == ours
            })
        });
        if !matches {
            return Err(SigError::Digest);
        }
    }
    let when = match sig.created {
        Some(created) if signed("(created)") => created,
        _ => {
            let date =
                (message.headers)("date").ok_or_else(|| SigError::MissingHeader("date".into()))?;
            DateTime::parse_from_rfc2822(date.trim())
                .map_err(|_bad| SigError::Malformed("Date"))?
                .timestamp()
        }
    };
    if when > now + CLOCK_WINDOW_SECS || when < now - CLOCK_WINDOW_SECS {
        return Err(SigError::Stale);
    }
    if let Some(expires) = sig.expires
        && now > expires + CLOCK_WINDOW_SECS
    {
        return Err(SigError::Stale);
    }
    Ok(())
}

/// Verifies the signature bytes with `key`: with `(request-target)` including the query, then
/// (legacy senders) without it.
pub fn verify_with<T: HasPublic>(
    sig: &Signature,
    message: &Message<'_>,
    key: &PKey<T>,
) -> Result<(), SigError> {
    let try_one = |m: &Message<'_>| -> Result<bool, SigError> {
        let string = signing_string(m, &sig.headers, sig.created, sig.expires)?;
        let mut verifier = Verifier::new(MessageDigest::sha256(), key).map_err(crypto)?;
        verifier.update(string.as_bytes()).map_err(crypto)?;
        Ok(verifier.verify(&sig.signature).unwrap_or(false))
    };
    if try_one(message)? {
        return Ok(());
    }
    if let Some((path, _query)) = message.path_and_query.split_once('?') {
        let without = Message {
            method: message.method,
            path_and_query: path,
            headers: message.headers,
        };
        if try_one(&without)? {
            return Ok(());
        }
    }
    Err(SigError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    // draft-cavage-http-signatures-12, Appendix C.
    const PRIVATE: &str = "-----BEGIN RSA PRIVATE KEY-----
MIICXgIBAAKBgQDCFENGw33yGihy92pDjZQhl0C36rPJj+CvfSC8+q28hxA161QF
NUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6Z4UMR7EOcpfdUE9Hf3m/hs+F
UR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJwoYi+1hqp1fIekaxsyQIDAQAB
AoGBAJR8ZkCUvx5kzv+utdl7T5MnordT1TvoXXJGXK7ZZ+UuvMNUCdN2QPc4sBiA
QWvLw1cSKt5DsKZ8UETpYPy8pPYnnDEz2dDYiaew9+xEpubyeW2oH4Zx71wqBtOK
kqwrXa/pzdpiucRRjk6vE6YY7EBBs/g7uanVpGibOVAEsqH1AkEA7DkjVH28WDUg
f1nqvfn2Kj6CT7nIcE3jGJsZZ7zlZmBmHFDONMLUrXR/Zm3pR5m0tCmBqa5RK95u
412jt1dPIwJBANJT3v8pnkth48bQo/fKel6uEYyboRtA5/uHuHkZ6FQF7OUkGogc
mSJluOdc5t6hI1VsLn0QZEjQZMEOWr+wKSMCQQCC4kXJEsHAve77oP6HtG/IiEn7
kpyUXRNvFsDE0czpJJBvL/aRFUJxuRK91jhjC68sA7NsKMGg5OXb5I5Jj36xAkEA
gIT7aFOYBFwGgQAQkWNKLvySgKbAZRTeLBacpHMuQdl1DfdntvAyqpAZ0lY0RKmW
G6aFKaqQfOXKCyWoUiVknQJAXrlgySFci/2ueKlIE1QqIiLSZ8V8OlpFLRnb1pzI
7U1yQXnTAEFYM560yJlzUpOb1V4cScGd365tiSMvxLOvTA==
-----END RSA PRIVATE KEY-----";
    const PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDCFENGw33yGihy92pDjZQhl0C3
6rPJj+CvfSC8+q28hxA161QFNUd13wuCTUcq0Qd2qsBe/2hFyc2DCJJg0h1L78+6
Z4UMR7EOcpfdUE9Hf3m/hs+FUR45uBJeDK1HSFHD8bHKD6kv8FPGfJTotc+2xjJw
oYi+1hqp1fIekaxsyQIDAQAB
-----END PUBLIC KEY-----";
    const BODY: &[u8] = br#"{"hello": "world"}"#;
    const BASIC: &str = "qdx+H7PHHDZgy4y/Ahn9Tny9V3GP6YgBPyUXMmoxWtLbHpUnXS2mg2+SbrQDMCJypxBLSPQR2aAjn7ndmw2iicw3HMbe8VfEdKFYRqzic+efkb3nndiv/x1xSHDJWeSWkx3ButlYSuBskLu6kd9Fswtemr3lgdDEmn04swr2Os0=";
    const ALL: &str = "vSdrb+dS3EceC9bcwHSo4MlyKS59iFIrhgYkz8+oVLEEzmYZZvRs8rgOp+63LEM3v+MFHB32NfpB2bEKBIvB1q52LaEUHFv120V01IL+TAD48XaERZFukWgHoBTLMhYS2Gb51gWxpeIq8knRmPnYePbF5MOkR0Zkly4zKH7s1dE=";

    fn headers() -> HashMap<String, String> {
        [
            ("host", "example.com"),
            ("date", "Sun, 05 Jan 2014 21:31:40 GMT"),
            ("content-type", "application/json"),
            (
                "digest",
                "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=",
            ),
            ("content-length", "18"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn date_of_test() -> i64 {
        DateTime::parse_from_rfc2822("Sun, 05 Jan 2014 21:31:40 GMT")
            .unwrap()
            .timestamp()
    }

    #[test]
    fn draft_test_vectors_sign_and_verify() {
        let map = headers();
        let lookup = |n: &str| map.get(n).cloned();
        let message = Message {
            method: "POST",
            path_and_query: "/foo?param=value&pet=dog",
            headers: &lookup,
        };
        let key = PKey::private_key_from_pem(PRIVATE.as_bytes()).unwrap();
        let public = PKey::public_key_from_pem(PUBLIC.as_bytes()).unwrap();
        assert_eq!(
            digest_header(BODY),
            "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="
        );

        for (names, expected) in [
            (vec!["(request-target)", "host", "date"], BASIC),
            (
                vec![
                    "(request-target)",
                    "host",
                    "date",
                    "content-type",
                    "digest",
                    "content-length",
                ],
                ALL,
            ),
        ] {
            let header = sign(&key, "Test", &message, &names).unwrap();
            assert!(
                header.contains(&format!("signature=\"{expected}\"")),
                "{header}"
            );
            let parsed = parse(&header).unwrap();
            verify_with(&parsed, &message, &public).unwrap();
        }
        // C.3 as a receiver sees it: shape, digest and date checks pass at the test's date.
        let all = parse(&format!(
            "keyId=\"Test\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date content-type digest content-length\",signature=\"{ALL}\""
        ))
        .unwrap();
        check(&all, &message, Some(BODY), date_of_test()).unwrap();
        assert_eq!(
            check(&all, &message, Some(b"{}"), date_of_test()),
            Err(SigError::Digest)
        );
        assert_eq!(
            check(&all, &message, Some(BODY), date_of_test() + 2 * 3600),
            Err(SigError::Stale)
        );
        // C.2 signs no digest, so it is not enough for a POST.
        let basic = parse(&format!("keyId=\"Test\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date\",signature=\"{BASIC}\"")).unwrap();
        assert_eq!(
            check(&basic, &message, Some(BODY), date_of_test()),
            Err(SigError::Unsigned("digest"))
        );
    }

    #[test]
    fn tampering_and_bad_algorithms_are_refused() {
        let map = headers();
        let lookup = |n: &str| map.get(n).cloned();
        let message = Message {
            method: "POST",
            path_and_query: "/foo?param=value&pet=dog",
            headers: &lookup,
        };
        let public = PKey::public_key_from_pem(PUBLIC.as_bytes()).unwrap();
        let parsed = parse(&format!(
            "keyId=\"Test\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date content-type digest content-length\",signature=\"{ALL}\""
        ))
        .unwrap();
        let other_path = Message {
            method: "POST",
            path_and_query: "/bar",
            headers: &lookup,
        };
        assert_eq!(
            verify_with(&parsed, &other_path, &public),
            Err(SigError::Invalid)
        );
        let hmac = Signature {
            algorithm: Some("hmac-sha256".into()),
            ..parsed.clone()
        };
        assert!(matches!(
            check(&hmac, &message, Some(BODY), date_of_test()),
            Err(SigError::Algorithm(_))
        ));
        // A POST must sign where it was sent and to which server, as well as its body.
        for (names, missing) in [
            ("host date digest", "(request-target)"),
            ("(request-target) date digest", "host"),
            ("date digest content-type", "(request-target)"),
        ] {
            let partial = Signature {
                headers: names.split(' ').map(str::to_owned).collect(),
                ..parsed.clone()
            };
            assert_eq!(
                check(&partial, &message, Some(BODY), date_of_test()),
                Err(SigError::Unsigned(missing)),
                "{names}"
            );
        }
        let created = Signature {
            algorithm: Some("rsa-sha256".into()),
            headers: vec!["(created)".into(), "digest".into()],
            created: Some(date_of_test()),
            ..parsed
        };
        assert!(matches!(
            check(&created, &message, Some(BODY), date_of_test()),
            Err(SigError::Malformed(_))
        ));
    }

    #[test]
    fn the_query_may_be_left_out_by_legacy_signers() {
        let map = headers();
        let lookup = |n: &str| map.get(n).cloned();
        let key = PKey::private_key_from_pem(PRIVATE.as_bytes()).unwrap();
        let public = PKey::public_key_from_pem(PUBLIC.as_bytes()).unwrap();
        let signed_without = Message {
            method: "GET",
            path_and_query: "/actor",
            headers: &lookup,
        };
        let header = sign(
            &key,
            "Test",
            &signed_without,
            &["(request-target)", "host", "date"],
        )
        .unwrap();
        let received = Message {
            method: "GET",
            path_and_query: "/actor?page=1",
            headers: &lookup,
        };
        verify_with(&parse(&header).unwrap(), &received, &public).unwrap();
    }
}
