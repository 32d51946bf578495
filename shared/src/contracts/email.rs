//! What the fleet accepts as an e-mail address (sign-up, password reset, newsletters): one rule,
//! so an address one app takes is never refused by another.

/// A plausible address: something before one `@`, a dotted domain after it, at most 254 bytes,
/// and nothing that could break out of a mail header or an HTML attribute (white space, control
/// characters, `<>"(),;:[]\`).
pub fn is_valid(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"(),;:[]\\".contains(c))
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn plausible_addresses_pass() {
        assert!(is_valid("ada@example.org"));
        assert!(is_valid("ada.lovelace+news@mail.example.co.uk"));
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "ada",
            "@example.org",
            "ada@example",
            "ada@.example.org",
            "ada@example.org.",
            "ada @example.org",
            "a@b@c.org",
            "a<b>@example.org",
            "ada,grace@example.org",
            "ada;x@example.org",
            "\"ada\"@example.org",
            "ada\u{7}@example.org",
            "ada@example.org\r\nBcc: x@evil.example",
        ] {
            assert!(!is_valid(bad), "{bad:?} passed");
        }
        assert!(!is_valid(&format!("{}@example.org", "a".repeat(250))));
    }
}
