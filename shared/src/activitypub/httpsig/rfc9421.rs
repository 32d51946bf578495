//! RFC 9421 HTTP Message Signatures (`Signature-Input` + `Signature`), as Mastodon 4.5 and
//! Fedify use them, with RFC 9530 `Content-Digest`. Parsing is `sfv`'s (RFC 8941); signing and
//! verifying are openssl's. A received signature must be the only one, carry `keyid` and
//! `created`, cover `@method` and `@target-uri` (so it cannot be replayed to another method, path
//! or server) and, with a body, `content-digest` equal to the body's. Algorithms:
//! `rsa-v1_5-sha256`, `rsa-pss-sha512` and `ed25519`; without `alg`, the key's type decides
//! (RSA is PKCS#1 v1.5, as Mastodon assumes).

use openssl::hash::{MessageDigest, hash};
use openssl::pkey::{HasPublic, Id, PKey, PKeyRef, Private};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer, Verifier};
use sfv::{BareItem, FieldType, InnerList, Item, List, ListEntry, Parameters, Parser};

use super::{CLOCK_WINDOW_SECS, SigError, crypto};

/// The label we sign under (any label is accepted).
pub const LABEL: &str = "sig1";
/// How far past its `expires` a signature is still taken (clock skew only: an explicit expiry is
/// the sender's intent).
pub const EXPIRES_SKEW_SECS: i64 = 300;

/// A request as RFC 9421 sees it.
pub struct Request<'a> {
    pub method: &'a str,
    /// The target URI as the sender addressed it: our public origin, the path and the query.
    pub target: &'a url::Url,
    /// Header values by lower-case name (repeated headers already joined with ", ").
    pub headers: &'a dyn Fn(&str) -> Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    RsaV15Sha256,
    RsaPssSha512,
    Ed25519,
}

impl Algorithm {
    pub fn id(self) -> &'static str {
        match self {
            Algorithm::RsaV15Sha256 => "rsa-v1_5-sha256",
            Algorithm::RsaPssSha512 => "rsa-pss-sha512",
            Algorithm::Ed25519 => "ed25519",
        }
    }

    fn parse(alg: &str) -> Result<Algorithm, SigError> {
        match alg {
            "rsa-v1_5-sha256" => Ok(Algorithm::RsaV15Sha256),
            "rsa-pss-sha512" => Ok(Algorithm::RsaPssSha512),
            "ed25519" => Ok(Algorithm::Ed25519),
            other => Err(SigError::Algorithm(other.to_owned())),
        }
    }

    /// The algorithm a key of this type signs with when `alg` is not given.
    fn for_key(id: Id) -> Result<Algorithm, SigError> {
        match id {
            Id::RSA => Ok(Algorithm::RsaV15Sha256),
            Id::ED25519 => Ok(Algorithm::Ed25519),
            _ => Err(SigError::Algorithm("unsupported key type".into())),
        }
    }

    fn fits(self, id: Id) -> bool {
        match self {
            Algorithm::RsaV15Sha256 | Algorithm::RsaPssSha512 => id == Id::RSA,
            Algorithm::Ed25519 => id == Id::ED25519,
        }
    }
}

/// A parsed RFC 9421 signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub label: String,
    /// Covered components, in order: lower-case field names and `@` derived components.
    pub components: Vec<String>,
    /// The `@signature-params` value: the inner list and its parameters, serialized.
    pub params: String,
    pub key_id: String,
    pub alg: Option<Algorithm>,
    pub created: i64,
    pub expires: Option<i64>,
    pub signature: Vec<u8>,
}

fn dictionary(value: &str, what: &'static str) -> Result<sfv::Dictionary, SigError> {
    Parser::new(value)
        .parse::<sfv::Dictionary>()
        .map_err(|_bad| SigError::Malformed(what))
}

fn integer(item: &BareItem) -> Option<i64> {
    item.as_integer().map(i64::from)
}

/// Parses the two headers into the one signature they must carry.
pub fn parse(signature_input: &str, signature: &str) -> Result<Signature, SigError> {
    let inputs = dictionary(signature_input, "Signature-Input")?;
    let signatures = dictionary(signature, "Signature")?;
    // One signature, as Mastodon requires: with several, which one vouches for what is ours to
    // guess.
    let (label, entry) = match (inputs.len(), signatures.len()) {
        (1, 1) => inputs
            .iter()
            .next()
            .ok_or(SigError::Malformed("empty Signature-Input"))?,
        _ => return Err(SigError::Malformed("exactly one RFC 9421 signature")),
    };
    let ListEntry::InnerList(list) = entry else {
        return Err(SigError::Malformed("Signature-Input is not an inner list"));
    };
    let bytes = match signatures.get(label.as_str()) {
        Some(ListEntry::Item(Item { bare_item, .. })) => bare_item
            .as_byte_sequence()
            .ok_or(SigError::Malformed("Signature is not a byte sequence"))?
            .to_vec(),
        _ => {
            return Err(SigError::Malformed(
                "Signature and Signature-Input labels differ",
            ));
        }
    };
    let mut components: Vec<String> = Vec::with_capacity(list.items.len());
    for item in &list.items {
        let name = item
            .bare_item
            .as_string()
            .ok_or(SigError::Malformed("a component is not a string"))?
            .as_str();
        // `;sf`, `;key`, `;bs`, `;req`, `;tr` change what is signed; none is needed here.
        if !item.params.is_empty() {
            return Err(SigError::Malformed(
                "component parameters are not supported",
            ));
        }
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(SigError::Malformed("component names are lower case"));
        }
        if components.iter().any(|c| c == name) {
            return Err(SigError::Malformed("a component is covered twice"));
        }
        components.push(name.to_owned());
    }
    let param = |name: &str| list.params.get(name);
    let key_id = param("keyid")
        .and_then(|v| v.as_string())
        .ok_or(SigError::Malformed("no keyid"))?
        .as_str()
        .to_owned();
    let created = param("created")
        .and_then(integer)
        .ok_or(SigError::Malformed("no created"))?;
    let expires = match param("expires") {
        Some(v) => Some(integer(v).ok_or(SigError::Malformed("expires"))?),
        None => None,
    };
    let alg = match param("alg") {
        Some(v) => Some(Algorithm::parse(
            v.as_string().ok_or(SigError::Malformed("alg"))?.as_str(),
        )?),
        None => None,
    };
    Ok(Signature {
        label: label.as_str().to_owned(),
        components,
        params: serialize(list)?,
        key_id,
        alg,
        created,
        expires,
        signature: bytes,
    })
}

/// An inner list as it appears in `@signature-params` (RFC 9421 §2.3): canonical RFC 8941.
fn serialize(list: &InnerList) -> Result<String, SigError> {
    let whole: List = vec![ListEntry::InnerList(list.clone())];
    whole
        .serialize()
        .ok_or(SigError::Malformed("empty signature parameters"))
}

/// `sha-256=:<base64>:` of a body (RFC 9530).
pub fn content_digest(body: &[u8]) -> String {
    let digest = hash(MessageDigest::sha256(), body)
        .map(|d| openssl::base64::encode_block(&d))
        .unwrap_or_default();
    format!("sha-256=:{digest}:")
}

/// Checks a `Content-Digest` against the body: every SHA-256 and SHA-512 member must match and
/// at least one must be there (other algorithms are ignored, as RFC 9530 allows).
pub fn check_content_digest(value: &str, body: &[u8]) -> Result<(), SigError> {
    let members = dictionary(value, "Content-Digest")?;
    let mut checked = false;
    for (name, entry) in &members {
        let digest = match name.as_str() {
            "sha-256" => MessageDigest::sha256(),
            "sha-512" => MessageDigest::sha512(),
            _ => continue,
        };
        let ListEntry::Item(Item { bare_item, .. }) = entry else {
            return Err(SigError::Malformed("Content-Digest"));
        };
        let presented = bare_item
            .as_byte_sequence()
            .ok_or(SigError::Malformed("Content-Digest"))?;
        let ours = hash(digest, body).map_err(crypto)?;
        if presented != &ours[..] {
            return Err(SigError::Digest);
        }
        checked = true;
    }
    if checked {
        Ok(())
    } else {
        Err(SigError::Malformed(
            "Content-Digest has no sha-256 or sha-512",
        ))
    }
}

/// Checks the signature's shape against the request: covered components, body digest, time
/// window, algorithm name. Cheap; run it before fetching any key.
pub fn check(
    sig: &Signature,
    request: &Request<'_>,
    body: Option<&[u8]>,
    now: i64,
) -> Result<(), SigError> {
    let covered = |name: &str| sig.components.iter().any(|c| c == name);
    if !covered("@method") {
        return Err(SigError::Unsigned("@method"));
    }
    if !covered("@target-uri") {
        return Err(SigError::Unsigned("@target-uri"));
    }
    let body = body.filter(|b| !b.is_empty() || request.method.eq_ignore_ascii_case("POST"));
    if let Some(body) = body {
        if !covered("content-digest") {
            return Err(SigError::Unsigned("content-digest"));
        }
        let presented = (request.headers)("content-digest")
            .ok_or_else(|| SigError::MissingHeader("content-digest".into()))?;
        check_content_digest(&presented, body)?;
    }
    if sig.created > now + CLOCK_WINDOW_SECS || sig.created < now - CLOCK_WINDOW_SECS {
        return Err(SigError::Stale);
    }
    if let Some(expires) = sig.expires
        && now > expires + EXPIRES_SKEW_SECS
    {
        return Err(SigError::Stale);
    }
    Ok(())
}

/// The value of one covered component.
fn component(name: &str, request: &Request<'_>) -> Result<String, SigError> {
    let target = request.target;
    let query = target.query().map(|q| format!("?{q}"));
    let value = match name {
        "@method" => request.method.to_owned(),
        "@target-uri" => {
            let mut uri = target.clone();
            uri.set_fragment(None);
            uri.to_string()
        }
        "@authority" => match target.port() {
            Some(port) => format!("{}:{port}", target.host_str().unwrap_or("")),
            None => target.host_str().unwrap_or("").to_owned(),
        }
        .to_ascii_lowercase(),
        "@scheme" => target.scheme().to_owned(),
        "@request-target" => format!("{}{}", target.path(), query.as_deref().unwrap_or("")),
        "@path" => target.path().to_owned(),
        "@query" => query.unwrap_or_else(|| "?".to_owned()),
        derived if derived.starts_with('@') => {
            return Err(SigError::Malformed("unsupported derived component"));
        }
        field => (request.headers)(field)
            .ok_or_else(|| SigError::MissingHeader(field.to_owned()))?
            .trim()
            .to_owned(),
    };
    if value.contains(['\n', '\r']) {
        return Err(SigError::Malformed("a component value spans lines"));
    }
    Ok(value)
}

/// The signature base (RFC 9421 §2.5).
pub fn signature_base(
    components: &[String],
    params: &str,
    request: &Request<'_>,
) -> Result<String, SigError> {
    let mut base = String::new();
    for name in components {
        base.push_str(&format!("\"{name}\": {}\n", component(name, request)?));
    }
    base.push_str(&format!("\"@signature-params\": {params}"));
    Ok(base)
}

/// Verifies the signature bytes with `key`.
pub fn verify_with<T: HasPublic>(
    sig: &Signature,
    request: &Request<'_>,
    key: &PKey<T>,
) -> Result<(), SigError> {
    let alg = match sig.alg {
        Some(alg) => alg,
        None => Algorithm::for_key(key.id())?,
    };
    if !alg.fits(key.id()) {
        return Err(SigError::Algorithm(format!(
            "{} with another type of key",
            alg.id()
        )));
    }
    let base = signature_base(&sig.components, &sig.params, request)?;
    let ok = match alg {
        Algorithm::Ed25519 => Verifier::new_without_digest(key)
            .and_then(|mut v| v.verify_oneshot(&sig.signature, base.as_bytes())),
        Algorithm::RsaV15Sha256 => Verifier::new(MessageDigest::sha256(), key).and_then(|mut v| {
            v.update(base.as_bytes())?;
            v.verify(&sig.signature)
        }),
        Algorithm::RsaPssSha512 => Verifier::new(MessageDigest::sha512(), key).and_then(|mut v| {
            v.set_rsa_padding(Padding::PKCS1_PSS)?;
            v.set_rsa_mgf1_md(MessageDigest::sha512())?;
            v.set_rsa_pss_saltlen(RsaPssSaltlen::custom(64))?;
            v.update(base.as_bytes())?;
            v.verify(&sig.signature)
        }),
    };
    // A malformed signature (wrong length) is an error in openssl, a bad one is `false`: both
    // are simply invalid.
    if ok.unwrap_or(false) {
        Ok(())
    } else {
        Err(SigError::Invalid)
    }
}

/// The `Signature-Input` and `Signature` values signing `components` of `request` with `key`
/// (RSA: rsa-v1_5-sha256, Ed25519: ed25519), created at `created`.
pub fn sign(
    key: &PKeyRef<Private>,
    key_id: &str,
    request: &Request<'_>,
    components: &[&str],
    created: i64,
) -> Result<(String, String), SigError> {
    let alg = Algorithm::for_key(key.id())?;
    let string = |s: &str| {
        sfv::String::try_from(s.to_owned())
            .map(BareItem::String)
            .map_err(|_bad| SigError::Malformed("not a structured-field string"))
    };
    let items = components
        .iter()
        .map(|c| string(c).map(Item::new))
        .collect::<Result<Vec<_>, _>>()?;
    let mut params = Parameters::new();
    let key_name =
        |k: &str| sfv::Key::try_from(k.to_owned()).map_err(|_bad| SigError::Malformed("key"));
    params.insert(
        key_name("created")?,
        BareItem::Integer(
            sfv::Integer::try_from(created).map_err(|_bad| SigError::Malformed("created"))?,
        ),
    );
    params.insert(key_name("keyid")?, string(key_id)?);
    params.insert(key_name("alg")?, string(alg.id())?);
    let list = InnerList::with_params(items, params);
    let serialized = serialize(&list)?;
    let names: Vec<String> = components.iter().map(|c| (*c).to_owned()).collect();
    let base = signature_base(&names, &serialized, request)?;
    let bytes = match alg {
        Algorithm::Ed25519 => {
            Signer::new_without_digest(key).and_then(|mut s| s.sign_oneshot_to_vec(base.as_bytes()))
        }
        _ => Signer::new(MessageDigest::sha256(), key).and_then(|mut s| {
            s.update(base.as_bytes())?;
            s.sign_to_vec()
        }),
    }
    .map_err(crypto)?;
    Ok((
        format!("{LABEL}={serialized}"),
        format!("{LABEL}=:{}:", openssl::base64::encode_block(&bytes)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    // RFC 9421 Appendix B.1.4 (test-key-ed25519).
    const ED_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----";
    const ED_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----";

    fn example_headers() -> HashMap<String, String> {
        [
            ("host", "example.com"),
            ("date", "Tue, 20 Apr 2021 02:07:55 GMT"),
            ("content-type", "application/json"),
            (
                "content-digest",
                "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
            ),
            ("content-length", "18"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    const EXAMPLE_BODY: &[u8] = br#"{"hello": "world"}"#;

    fn example_target() -> url::Url {
        url::Url::parse("https://example.com/foo?param=Value&Pet=dog").unwrap()
    }

    #[test]
    fn rfc_examples_verify() {
        let map = example_headers();
        let lookup = |n: &str| map.get(n).cloned();
        let target = example_target();
        let request = Request {
            method: "POST",
            target: &target,
            headers: &lookup,
        };
        check_content_digest(&map["content-digest"], EXAMPLE_BODY).unwrap();
        assert_eq!(
            check_content_digest(&map["content-digest"], b"{}"),
            Err(SigError::Digest)
        );

        // B.2.6, ed25519 over date, @method, @path, @authority, content-type, content-length.
        let ed = PKey::public_key_from_pem(ED_PUBLIC.as_bytes()).unwrap();
        let signed = parse(
            r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#,
            "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:",
        )
        .unwrap();
        verify_with(&signed, &request, &ed).unwrap();
        // The same bytes under another method do not verify.
        let get = Request {
            method: "GET",
            ..request
        };
        assert_eq!(verify_with(&signed, &get, &ed), Err(SigError::Invalid));
        // …nor with an RSA key, nor if the algorithm named does not fit the key.
        let rsa_public = PKey::public_key_from_pem(&rsa().public_key_to_pem().unwrap()).unwrap();
        assert!(verify_with(&signed, &request, &rsa_public).is_err());
        let wrong = Signature {
            alg: Some(Algorithm::RsaV15Sha256),
            ..signed
        };
        assert!(matches!(
            verify_with(&wrong, &request, &ed),
            Err(SigError::Algorithm(_))
        ));
    }

    fn rsa() -> PKey<Private> {
        PKey::from_rsa(openssl::rsa::Rsa::generate(2048).unwrap()).unwrap()
    }

    const NOW: i64 = 1_800_000_000;

    /// A POST signed by us, parsed back, and the pieces to check it with.
    fn signed_post(
        key: &PKey<Private>,
        components: &[&str],
        headers: &HashMap<String, String>,
    ) -> Signature {
        let lookup = |n: &str| headers.get(n).cloned();
        let target = url::Url::parse("https://ours.example/inbox").unwrap();
        let request = Request {
            method: "POST",
            target: &target,
            headers: &lookup,
        };
        let (input, signature) =
            sign(key, "https://peer.example/a#k", &request, components, NOW).unwrap();
        parse(&input, &signature).unwrap()
    }

    fn post_headers(body: &[u8]) -> HashMap<String, String> {
        HashMap::from([
            ("content-digest".to_owned(), content_digest(body)),
            (
                "content-type".to_owned(),
                "application/activity+json".to_owned(),
            ),
        ])
    }

    #[test]
    fn our_signatures_verify_and_tampering_does_not() {
        let key = rsa();
        let public = PKey::public_key_from_pem(&key.public_key_to_pem().unwrap()).unwrap();
        let body = br#"{"type":"Create"}"#;
        let headers = post_headers(body);
        let all = ["@method", "@target-uri", "content-digest", "content-type"];
        let sig = signed_post(&key, &all, &headers);
        assert_eq!(sig.alg, Some(Algorithm::RsaV15Sha256));
        assert_eq!(sig.key_id, "https://peer.example/a#k");
        let target = url::Url::parse("https://ours.example/inbox").unwrap();
        let lookup = |n: &str| headers.get(n).cloned();
        let request = Request {
            method: "POST",
            target: &target,
            headers: &lookup,
        };
        check(&sig, &request, Some(body), NOW).unwrap();
        verify_with(&sig, &request, &public).unwrap();

        // Tampered body: the digest no longer matches.
        assert_eq!(
            check(&sig, &request, Some(b"{\"type\":\"Delete\"}"), NOW),
            Err(SigError::Digest)
        );
        // Tampered covered header.
        let mut changed = headers.clone();
        changed.insert("content-type".into(), "text/plain".into());
        let lookup_changed = |n: &str| changed.get(n).cloned();
        let tampered = Request {
            headers: &lookup_changed,
            ..request
        };
        assert_eq!(
            verify_with(&sig, &tampered, &public),
            Err(SigError::Invalid)
        );
        // Another path or server.
        for other in [
            "https://ours.example/users/a/inbox",
            "https://elsewhere.example/inbox",
        ] {
            let other = url::Url::parse(other).unwrap();
            let moved = Request {
                target: &other,
                ..request
            };
            assert_eq!(verify_with(&sig, &moved, &public), Err(SigError::Invalid));
        }
        // Out of the window, and expired.
        assert_eq!(
            check(&sig, &request, Some(body), NOW + 2 * 3600),
            Err(SigError::Stale)
        );
        assert_eq!(
            check(&sig, &request, Some(body), NOW - 2 * 3600),
            Err(SigError::Stale)
        );
        let expired = Signature {
            expires: Some(NOW - 600),
            ..sig.clone()
        };
        assert_eq!(
            check(&expired, &request, Some(body), NOW),
            Err(SigError::Stale)
        );
    }

    #[test]
    fn a_signature_must_cover_method_target_and_digest() {
        let key = rsa();
        let body = b"{}";
        let headers = post_headers(body);
        let target = url::Url::parse("https://ours.example/inbox").unwrap();
        let lookup = |n: &str| headers.get(n).cloned();
        let request = Request {
            method: "POST",
            target: &target,
            headers: &lookup,
        };
        for (components, missing) in [
            (&["@target-uri", "content-digest"][..], "@method"),
            (
                &["@method", "@path", "@authority", "content-digest"][..],
                "@target-uri",
            ),
            (
                &["@method", "@target-uri", "content-type"][..],
                "content-digest",
            ),
        ] {
            let sig = signed_post(&key, components, &headers);
            assert_eq!(
                check(&sig, &request, Some(body), NOW),
                Err(SigError::Unsigned(missing)),
                "{components:?}"
            );
        }
        // A GET without a body needs no digest.
        let sig = signed_post(&key, &["@method", "@target-uri"], &headers);
        let get = Request {
            method: "GET",
            ..request
        };
        check(&sig, &get, None, NOW).unwrap();
    }

    #[test]
    fn malformed_and_ambiguous_headers_are_refused() {
        let two = parse(
            r#"a=("@method");created=1;keyid="k", b=("@method");created=1;keyid="k""#,
            "a=:AA==:, b=:AA==:",
        );
        assert!(matches!(two, Err(SigError::Malformed(_))));
        for (input, sig) in [
            (r#"a=("@method");created=1"#, "a=:AA==:"),
            (r#"a=("@method");keyid="k""#, "a=:AA==:"),
            (r#"a=("@method");created=1;keyid="k""#, "b=:AA==:"),
            (r#"a=("@method");created=1;keyid="k""#, "a=AA"),
            (r#"a=("@method";req);created=1;keyid="k""#, "a=:AA==:"),
            (r#"a=("Host");created=1;keyid="k""#, "a=:AA==:"),
            (r#"a=("@method" "@method");created=1;keyid="k""#, "a=:AA==:"),
            (r#"a=("@method";created=1;keyid="k""#, "a=:AA==:"),
        ] {
            assert!(
                matches!(parse(input, sig), Err(SigError::Malformed(_))),
                "{input} {sig}"
            );
        }
        assert!(matches!(
            parse(
                r#"a=("@method");created=1;keyid="k";alg="hmac-sha256""#,
                "a=:AA==:"
            ),
            Err(SigError::Algorithm(_))
        ));
        assert!(matches!(
            check_content_digest("md5=:AA==:", b""),
            Err(SigError::Malformed(_))
        ));
    }

    #[test]
    fn rsa_pss_sha512_verifies_when_named() {
        let key = rsa();
        let public = PKey::public_key_from_pem(&key.public_key_to_pem().unwrap()).unwrap();
        let headers = post_headers(b"{}");
        let lookup = |n: &str| headers.get(n).cloned();
        let target = url::Url::parse("https://ours.example/inbox").unwrap();
        let request = Request {
            method: "POST",
            target: &target,
            headers: &lookup,
        };
        let params = r#"("@method" "@target-uri" "content-digest");created=1800000000;keyid="k";alg="rsa-pss-sha512""#;
        let names = ["@method", "@target-uri", "content-digest"].map(str::to_owned);
        let base = signature_base(&names, params, &request).unwrap();
        let mut signer = Signer::new(MessageDigest::sha512(), &key).unwrap();
        signer.set_rsa_padding(Padding::PKCS1_PSS).unwrap();
        signer.set_rsa_mgf1_md(MessageDigest::sha512()).unwrap();
        signer
            .set_rsa_pss_saltlen(RsaPssSaltlen::custom(64))
            .unwrap();
        signer.update(base.as_bytes()).unwrap();
        let bytes = openssl::base64::encode_block(&signer.sign_to_vec().unwrap());
        let sig = parse(&format!("s={params}"), &format!("s=:{bytes}:")).unwrap();
        assert_eq!(sig.alg, Some(Algorithm::RsaPssSha512));
        verify_with(&sig, &request, &public).unwrap();
        // The same bytes read as PKCS#1 v1.5 do not verify.
        let v15 = Signature { alg: None, ..sig };
        assert_eq!(verify_with(&v15, &request, &public), Err(SigError::Invalid));
    }

    #[test]
    fn ed25519_keys_sign_and_verify() {
        let key = PKey::private_key_from_pem(ED_PRIVATE.as_bytes()).unwrap();
        let public = PKey::public_key_from_pem(ED_PUBLIC.as_bytes()).unwrap();
        let body = b"{}";
        let headers = post_headers(body);
        let sig = signed_post(
            &key,
            &["@method", "@target-uri", "content-digest"],
            &headers,
        );
        assert_eq!(sig.alg, Some(Algorithm::Ed25519));
        let target = url::Url::parse("https://ours.example/inbox").unwrap();
        let lookup = |n: &str| headers.get(n).cloned();
        let request = Request {
            method: "POST",
            target: &target,
            headers: &lookup,
        };
        verify_with(&sig, &request, &public).unwrap();
    }
}
