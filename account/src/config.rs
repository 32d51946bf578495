//! Account's own config section: how fast campaigns go out and when they stop themselves.

use shared::config::{ConfigError, FromEnv, Variable, Vars};

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
];

#[derive(Debug, Clone)]
pub struct AccountConfig {
    /// `NEWSLETTER_RATE_PER_SEC`: mails per second and campaign (0.01 ..= 10,000).
    pub rate_per_sec: f64,
    /// `NEWSLETTER_PAUSE_AFTER_ERRORS`: consecutive SMTP failures that pause a campaign.
    pub pause_after_errors: i32,
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
        Ok(AccountConfig {
            rate_per_sec,
            pause_after_errors,
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
        for (k, v) in [
            ("NEWSLETTER_RATE_PER_SEC", "0"),
            ("NEWSLETTER_RATE_PER_SEC", "fast"),
            ("NEWSLETTER_PAUSE_AFTER_ERRORS", "0"),
        ] {
            let config = Config::from_lookup(move |name| (name == k).then(|| v.into())).unwrap();
            let err = config.section::<AccountConfig>().unwrap_err().to_string();
            assert!(err.contains(k), "{err}");
        }
    }
}
