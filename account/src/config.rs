//! Account's own config section: how fast campaigns go out, when they stop themselves, and
//! the bounce webhook's secret and soft-bounce limit.

use shared::config::{ConfigError, FromEnv, Secret, Variable, Vars};

/// Account's variables (in the README's config table through `AppSpec::config_variables`).
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: "NEWSLETTER_RATE_PER_SEC",
        default: "10",
        meaning: "Account: campaign mails sent per second (per campaign, across every replica: each mail takes the campaign's next send slot).",
    },
    Variable {
        name: "NEWSLETTER_PAUSE_AFTER_ERRORS",
        default: "5",
        meaning: "Account: a campaign pauses itself after this many SMTP failures in a row; an editor resumes it.",
    },
    Variable {
        name: "BOUNCE_WEBHOOK_SECRET",
        default: "",
        meaning: "Account: the shared secret of the bounce webhook (`POST /webhooks/bounce`, listmonk's JSON): requests carry `X-Webhook-Timestamp: <Unix seconds>` (within 5 minutes of now) and `X-Webhook-Signature: sha256=<hex HMAC-SHA256 of \"<timestamp>.<raw body>\">`, or HTTP Basic with it as the password; unset, the webhook answers 404 (secret, at least 16 characters; `BOUNCE_WEBHOOK_SECRET_FILE`).",
    },
    Variable {
        name: "NEWSLETTER_SOFT_BOUNCE_LIMIT",
        default: "3",
        meaning: "Account: soft bounces of one address that blocklist it (a hard bounce or a complaint does at once).",
    },
];

/// Shortest bounce webhook secret accepted (a guessable one would let anyone block addresses).
const MIN_SECRET: usize = 16;

#[derive(Debug, Clone)]
pub struct AccountConfig {
    /// `NEWSLETTER_RATE_PER_SEC`: mails per second and campaign (0.01 ..= 10,000).
    pub rate_per_sec: f64,
    /// `NEWSLETTER_PAUSE_AFTER_ERRORS`: consecutive SMTP failures that pause a campaign.
    pub pause_after_errors: i32,
    /// `BOUNCE_WEBHOOK_SECRET`: `None` turns the bounce webhook off.
    pub bounce_secret: Option<Secret>,
    /// `NEWSLETTER_SOFT_BOUNCE_LIMIT`: soft bounces that blocklist an address.
    pub soft_bounce_limit: i64,
}

impl FromEnv for AccountConfig {
    fn from_env(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let rate_per_sec: f64 = vars.parse("NEWSLETTER_RATE_PER_SEC", Some(10.0))?;
        if !(0.01..=10_000.0).contains(&rate_per_sec) {
            return Err(ConfigError::Invalid {
                name: "NEWSLETTER_RATE_PER_SEC".into(),
                reason: format!("{rate_per_sec} is outside 0.01 ..= 10000"),
            });
        }
        let pause_after_errors: i32 = vars.parse("NEWSLETTER_PAUSE_AFTER_ERRORS", Some(5))?;
        if pause_after_errors < 1 {
            return Err(ConfigError::Invalid {
                name: "NEWSLETTER_PAUSE_AFTER_ERRORS".into(),
                reason: "must be at least 1".into(),
            });
        }
        let bounce_secret = vars
            .get("BOUNCE_WEBHOOK_SECRET")?
            .filter(|s| !s.is_empty())
            .map(Secret::new);
        if bounce_secret
            .as_ref()
            .is_some_and(|s| s.expose().len() < MIN_SECRET)
        {
            return Err(ConfigError::Invalid {
                name: "BOUNCE_WEBHOOK_SECRET".into(),
                reason: format!("must be at least {MIN_SECRET} characters"),
            });
        }
        let soft_bounce_limit: i64 = vars.parse("NEWSLETTER_SOFT_BOUNCE_LIMIT", Some(3))?;
        if soft_bounce_limit < 1 {
            return Err(ConfigError::Invalid {
                name: "NEWSLETTER_SOFT_BOUNCE_LIMIT".into(),
                reason: "must be at least 1".into(),
            });
        }
        Ok(AccountConfig {
            rate_per_sec,
            pause_after_errors,
            bounce_secret,
            soft_bounce_limit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::config::Config;

    #[test]
    fn defaults_and_refusals() {
        let section: AccountConfig = Config::from_lookup(|_| None).unwrap().section().unwrap();
        assert_eq!(section.rate_per_sec, 10.0);
        assert_eq!(section.pause_after_errors, 5);
        assert!(section.bounce_secret.is_none());
        assert_eq!(section.soft_bounce_limit, 3);
        for (k, v) in [
            ("NEWSLETTER_RATE_PER_SEC", "0"),
            ("NEWSLETTER_RATE_PER_SEC", "fast"),
            ("NEWSLETTER_PAUSE_AFTER_ERRORS", "0"),
            ("BOUNCE_WEBHOOK_SECRET", "short"),
            ("NEWSLETTER_SOFT_BOUNCE_LIMIT", "0"),
        ] {
            let config = Config::from_lookup(move |name| (name == k).then(|| v.into())).unwrap();
            let err = config.section::<AccountConfig>().unwrap_err().to_string();
            assert!(err.contains(k), "{err}");
        }
        let config = Config::from_lookup(|name| {
            (name == "BOUNCE_WEBHOOK_SECRET").then(|| "0123456789abcdef".into())
        })
        .unwrap();
        let section = config.section::<AccountConfig>().unwrap();
        assert_eq!(section.bounce_secret.unwrap().expose(), "0123456789abcdef");
    }
}
