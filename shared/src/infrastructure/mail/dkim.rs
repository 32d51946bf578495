//! DKIM signatures (RFC 6376): `rsa-sha256` with `relaxed/relaxed` canonicalization, computed
//! over the exact bytes the transport sends, through openssl.
//!
//! Why not lettre's `dkim` feature: it signs with the RustCrypto `rsa` crate (a second crypto
//! stack, whose private-key operations are not constant-time: RUSTSEC-2023-0071), and it hashes
//! its own header model rather than the serialized message.

use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;

use crate::config::{ConfigError, FromEnv, Vars};

/// The headers a signature covers when present (list headers included, so a relay cannot add
/// or change an unsubscribe address without breaking it). `from` is signed twice ("oversigned")
/// so a second From added in transit breaks the signature too.
const SIGNED: &[&str] = &[
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "reply-to",
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
];

#[derive(Debug, thiserror::Error)]
pub enum DkimError {
    #[error("DKIM_PRIVATE_KEY: {0}")]
    Key(String),
    #[error("the message has no header block")]
    Malformed,
    #[error("signing: {0}")]
    Sign(#[from] openssl::error::ErrorStack),
}

/// `DKIM_*`: the signing domain, selector and RSA private key (PEM, PKCS#1 or PKCS#8; or a file
/// through `DKIM_PRIVATE_KEY_FILE`). No key: mail goes out unsigned.
#[derive(Clone)]
pub struct DkimSettings {
    pub key: Option<DkimKey>,
}

/// A loaded signing key with its domain and selector.
#[derive(Clone)]
pub struct DkimKey {
    pub domain: String,
    pub selector: String,
    key: PKey<Private>,
}

// By hand: the key never reaches a log.
impl std::fmt::Debug for DkimKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DkimKey")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .finish_non_exhaustive()
    }
}

impl DkimKey {
    pub fn new(domain: &str, selector: &str, pem: &str) -> Result<Self, DkimError> {
        let key = PKey::private_key_from_pem(pem.as_bytes())
            .map_err(|e| DkimError::Key(format!("not a PEM private key ({e})")))?;
        if key.rsa().is_err() {
            return Err(DkimError::Key("only RSA keys are supported".into()));
        }
        if key.bits() < 1024 {
            return Err(DkimError::Key("an RSA key needs at least 1024 bits".into()));
        }
        let label = |s: &str| {
            !s.is_empty()
                && s.split('.').all(|p| {
                    !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        };
        if !label(domain) || !label(selector) {
            return Err(DkimError::Key(
                "DKIM_DOMAIN and DKIM_SELECTOR must be DNS names".into(),
            ));
        }
        Ok(DkimKey {
            domain: domain.to_ascii_lowercase(),
            selector: selector.to_owned(),
            key,
        })
    }
}

impl FromEnv for DkimSettings {
    fn from_env(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let invalid = |name: &'static str, reason: String| ConfigError::Invalid {
            name: name.into(),
            reason,
        };
        let Some(pem) = vars.get("DKIM_PRIVATE_KEY")? else {
            return Ok(DkimSettings { key: None });
        };
        let domain = vars
            .get("DKIM_DOMAIN")?
            .ok_or_else(|| invalid("DKIM_DOMAIN", "is needed with DKIM_PRIVATE_KEY".into()))?;
        let selector = vars.get("DKIM_SELECTOR")?.unwrap_or_else(|| "mail".into());
        let key = DkimKey::new(&domain, &selector, &pem.replace("\\n", "\n"))
            .map_err(|e| invalid("DKIM_PRIVATE_KEY", e.to_string()))?;
        Ok(DkimSettings { key: Some(key) })
    }
}

/// `message` (CRLF line ends, as serialized for SMTP) with a `DKIM-Signature` header in front.
pub fn sign(message: &[u8], key: &DkimKey, timestamp: i64) -> Result<Vec<u8>, DkimError> {
    let split = find(message, b"\r\n\r\n").ok_or(DkimError::Malformed)?;
    let (head, body) = (&message[..split + 2], &message[split + 4..]);
    let fields = header_fields(head);

    let body_hash = openssl::sha::sha256(&relaxed_body(body));
    // Each signed name once per occurrence, bottom-up (RFC 6376 §5.4.2), plus one `from` more.
    let mut names: Vec<&str> = Vec::new();
    let mut hashed = Vec::new();
    for name in SIGNED {
        let mut present: Vec<&(String, String)> = fields
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .collect();
        present.reverse();
        for (_, raw) in present {
            names.push(name);
            hashed.extend_from_slice(relaxed_header(raw).as_bytes());
        }
    }
    names.push("from");
    let tags = format!(
        "v=1; a=rsa-sha256; c=relaxed/relaxed; d={d}; s={s};\r\n\tt={timestamp}; h={h};\r\n\tbh={bh};\r\n\tb=",
        d = key.domain,
        s = key.selector,
        h = names.join(":"),
        bh = openssl::base64::encode_block(&body_hash),
    );
    let unsigned = format!("DKIM-Signature: {tags}");
    let canonical = relaxed_header(&unsigned);
    hashed.extend_from_slice(canonical.trim_end_matches("\r\n").as_bytes());

    let mut signer = Signer::new(MessageDigest::sha256(), &key.key)?;
    signer.update(&hashed)?;
    let signature = openssl::base64::encode_block(&signer.sign_to_vec()?);

    let mut out = Vec::with_capacity(message.len() + unsigned.len() + signature.len() + 2);
    out.extend_from_slice(unsigned.as_bytes());
    out.extend_from_slice(signature.as_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(message);
    Ok(out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The header block as (name, whole field with its continuation lines and CRLF).
fn header_fields(head: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(head);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.split_inclusive("\r\n") {
        if line.starts_with([' ', '\t']) {
            if let Some((_, raw)) = fields.last_mut() {
                raw.push_str(line);
            }
        } else if let Some((name, _)) = line.split_once(':') {
            fields.push((name.trim().to_owned(), line.to_owned()));
        }
    }
    fields
}

/// RFC 6376 §3.4.2: lower-case name, unfolded value, runs of blanks as one space, no blanks
/// around the colon or at the end; ends with CRLF.
fn relaxed_header(field: &str) -> String {
    let (name, value) = field.split_once(':').unwrap_or((field, ""));
    let unfolded = value.replace("\r\n", "");
    let mut out = name.trim_end().to_ascii_lowercase();
    out.push(':');
    out.push_str(&collapse_blanks(&unfolded));
    out.push_str("\r\n");
    out
}

fn collapse_blanks(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = false;
    for c in s.chars() {
        if c == ' ' || c == '\t' {
            blank = true;
        } else {
            if blank && !out.is_empty() {
                out.push(' ');
            }
            blank = false;
            out.push(c);
        }
    }
    out
}

/// RFC 6376 §3.4.4: blanks at line ends dropped, runs of blanks as one space, empty lines at
/// the end dropped, and a non-empty body ending in one CRLF.
fn relaxed_body(body: &[u8]) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (line, next) = match find(rest, b"\r\n") {
            Some(at) => (&rest[..at], &rest[at + 2..]),
            None => (rest, &rest[rest.len()..]),
        };
        let mut out = Vec::with_capacity(line.len());
        let mut blank = false;
        for &b in line {
            if b == b' ' || b == b'\t' {
                blank = true;
            } else {
                if blank {
                    out.push(b' ');
                }
                blank = false;
                out.push(b);
            }
        }
        lines.push(out);
        rest = next;
    }
    while lines.last().is_some_and(Vec::is_empty) {
        lines.pop();
    }
    let mut out = Vec::with_capacity(body.len());
    for line in lines {
        out.extend_from_slice(&line);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relaxed_canonicalization_follows_rfc_6376_examples() {
        // RFC 6376 §3.4.5.
        assert_eq!(relaxed_header("A: X\r\n"), "a:X\r\n");
        assert_eq!(relaxed_header("B : Y\t\r\n\tZ  \r\n"), "b:Y Z\r\n");
        assert_eq!(relaxed_body(b" C \r\nD \t E\r\n\r\n\r\n"), b" C\r\nD E\r\n");
        assert_eq!(relaxed_body(b""), b"");
        assert_eq!(relaxed_body(b"\r\n\r\n"), b"");
    }

    #[test]
    fn a_signature_covers_the_list_headers_and_from_twice() {
        let rsa = openssl::rsa::Rsa::generate(1024).unwrap();
        let pem = String::from_utf8(rsa.private_key_to_pem().unwrap()).unwrap();
        let key = DkimKey::new("example.org", "s1", &pem).unwrap();
        let msg = b"From: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\nList-Unsubscribe: <https://x/u>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n\r\nbody\r\n";
        let signed = String::from_utf8(sign(msg, &key, 1).unwrap()).unwrap();
        assert!(signed.starts_with("DKIM-Signature: v=1; a=rsa-sha256;"));
        assert!(signed.contains("h=from:to:subject:list-unsubscribe:list-unsubscribe-post:from;"));
        assert!(signed.ends_with("\r\n\r\nbody\r\n"));
        assert!(DkimKey::new("example.org", "s1", "nope").is_err());
        assert!(DkimKey::new("exa mple", "s1", &pem).is_err());
    }
}
