//! TOTP second factor (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits), on openssl.

use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;

pub const DIGITS: u32 = 6;
pub const STEP_SECS: i64 = 30;
/// Steps accepted either side of now (clock drift).
pub const WINDOW: i64 = 1;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(char::from(BASE32[((buffer >> (bits - 5)) & 31) as usize]));
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.bytes().filter(|c| *c != b'=' && *c != b' ') {
        let value = BASE32.iter().position(|x| *x == c.to_ascii_uppercase())? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            out.push(((buffer >> (bits - 8)) & 0xff) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// A new random 160-bit secret, base32 encoded (what authenticator apps take).
pub fn new_secret() -> Result<String, shared::crypto::CryptoError> {
    Ok(base32_encode(&shared::crypto::random_bytes::<20>()?))
}

/// The code for `secret` at step `counter`.
pub fn code_at(secret: &[u8], counter: u64) -> Option<String> {
    let key = PKey::hmac(secret).ok()?;
    let mut signer = Signer::new(MessageDigest::sha1(), &key).ok()?;
    signer.update(&counter.to_be_bytes()).ok()?;
    let mac = signer.sign_to_vec().ok()?;
    let offset = usize::from(mac.last()? & 0x0f);
    let slice = mac.get(offset..offset + 4)?;
    let value = u32::from_be_bytes([slice[0] & 0x7f, slice[1], slice[2], slice[3]]);
    Some(format!(
        "{:0width$}",
        value % 10u32.pow(DIGITS),
        width = DIGITS as usize
    ))
}

/// Whether `code` is valid for `secret` (base32) at unix time `now`, allowing one step of drift.
/// Returns the matching step so callers can refuse its reuse.
pub fn verify(secret_b32: &str, code: &str, now: i64) -> Option<u64> {
    let code = code.trim().replace(' ', "");
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secret = base32_decode(secret_b32)?;
    let current = now / STEP_SECS;
    (current - WINDOW..=current + WINDOW)
        .filter_map(|step| u64::try_from(step).ok())
        .find(|step| {
            code_at(&secret, *step)
                .is_some_and(|c| shared::crypto::constant_time_eq(c.as_bytes(), code.as_bytes()))
        })
}

/// The `otpauth://` URI authenticator apps scan.
pub fn provisioning_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let enc = |s: &str| {
        url::form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_b32}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits there; the last 6 digits here).
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (time, expected8) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(
                code_at(secret, time / 30).unwrap(),
                expected8[2..],
                "t={time}"
            );
        }
    }

    #[test]
    fn verifies_with_drift_and_refuses_garbage() {
        let secret = new_secret().unwrap();
        let raw = base32_decode(&secret).unwrap();
        let now = 1_700_000_000;
        let code = code_at(&raw, (now / 30) as u64).unwrap();
        assert_eq!(verify(&secret, &code, now), Some((now / 30) as u64));
        assert!(verify(&secret, &code, now + 30).is_some(), "one step late");
        assert!(
            verify(&secret, &code, now + 90).is_none(),
            "three steps late"
        );
        assert!(verify(&secret, "12345", now).is_none());
        assert!(verify(&secret, "abcdef", now).is_none());
        assert_eq!(base32_decode(&base32_encode(b"hello!")).unwrap(), b"hello!");
        assert!(
            provisioning_uri("Rose Ash", "ada", &secret)
                .starts_with("otpauth://totp/Rose%20Ash:ada?secret=")
        );
    }
}
