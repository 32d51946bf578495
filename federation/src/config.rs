//! Federation's own config section: settings no other app reads.

use std::time::Duration;

use shared::config::{ConfigError, FromEnv, Variable, Vars};

/// Federation's variables (in the README's config table through `AppSpec::config_variables`).
pub const VARIABLES: &[Variable] = &[Variable {
    name: "SESSION_IDLE_TIMEOUT_SECS",
    default: "1800",
    meaning: "Federation: a sign-in without \"Keep me signed in\" ends after this long without a request (every session also ends 14 days after sign-in).",
}];

#[derive(Debug, Clone)]
pub struct FederationConfig {
    /// `SESSION_IDLE_TIMEOUT_SECS`: the idle timeout of sign-ins not remembered.
    pub session_idle_timeout: Duration,
}

impl FromEnv for FederationConfig {
    fn from_env(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        Ok(FederationConfig {
            session_idle_timeout: Duration::from_secs(
                vars.parse("SESSION_IDLE_TIMEOUT_SECS", Some(1800u64))?,
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::config::Config;

    #[test]
    fn the_idle_timeout_keeps_its_name_and_default() {
        let config = Config::from_lookup(|_| None).unwrap();
        let section: FederationConfig = config.section().unwrap();
        assert_eq!(section.session_idle_timeout, Duration::from_secs(1800));
        let config =
            Config::from_lookup(|k| (k == "SESSION_IDLE_TIMEOUT_SECS").then(|| "5".into()))
                .unwrap();
        let section: FederationConfig = config.section().unwrap();
        assert_eq!(section.session_idle_timeout, Duration::from_secs(5));
        let config =
            Config::from_lookup(|k| (k == "SESSION_IDLE_TIMEOUT_SECS").then(|| "soon".into()))
                .unwrap();
        let err = config
            .section::<FederationConfig>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("SESSION_IDLE_TIMEOUT_SECS"), "{err}");
    }
}
