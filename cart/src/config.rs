//! The cart's own config section: checkout and SumUp settings no other app reads.

use std::time::Duration;

use shared::config::{ConfigError, FromEnv, Secret, Variable, Vars};

/// The cart's variables (in the README's config table through `AppSpec::config_variables`).
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: "CHECKOUT_HOLD_MINUTES",
        default: "15",
        meaning: "Cart: how long a checkout holds its stock before the unpaid order is cancelled, its stock released and its SumUp checkout deactivated.",
    },
    Variable {
        name: "SUMUP_RECONCILE_SECONDS",
        default: "300",
        meaning: "Cart: how often the reconciliation job asks SumUp about checkouts still pending, and how long a checkout must have had no news to be asked about (a lost webhook is made up for by this).",
    },
    Variable {
        name: "SUMUP_API_URL",
        default: "",
        meaning: "Cart: SumUp's API, e.g. `https://api.sumup.com`; unset, checkout is closed. `deploy dev` runs a local SumUp simulator unless it is set. SumUp's webhook (`return_url`) is `/sumup/webhook` on the cart; its body is never trusted: it only queues a `GET /v0.1/checkouts/{id}`, whose answer alone moves an order.",
    },
    Variable {
        name: "SUMUP_API_KEY",
        default: "",
        meaning: "Cart: SumUp API key, sent as a bearer token (secret; `SUMUP_API_KEY_FILE`).",
    },
    Variable {
        name: "SUMUP_MERCHANT_CODE",
        default: "",
        meaning: "Cart: the SumUp merchant that receives payments (required with `SUMUP_API_URL`).",
    },
];

/// SumUp's address and credentials.
#[derive(Debug, Clone)]
pub struct SumUpConfig {
    pub api_url: url::Url,
    pub api_key: Secret,
    pub merchant_code: String,
}

#[derive(Debug, Clone)]
pub struct CartConfig {
    /// `CHECKOUT_HOLD_MINUTES`: how long an unpaid order holds its stock.
    pub hold: Duration,
    /// `SUMUP_RECONCILE_SECONDS`: how often pending checkouts are re-checked, and how long
    /// without news before one is.
    pub reconcile: Duration,
    /// `None` when payments are not configured (checkout is closed).
    pub sumup: Option<SumUpConfig>,
}

fn invalid(name: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        name: name.to_owned(),
        reason: reason.to_owned(),
    }
}

impl FromEnv for CartConfig {
    fn from_env(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let minutes: u64 = vars.parse("CHECKOUT_HOLD_MINUTES", Some(15u64))?;
        if !(1..=24 * 60).contains(&minutes) {
            return Err(invalid(
                "CHECKOUT_HOLD_MINUTES",
                "must be between 1 and 1440",
            ));
        }
        let reconcile: u64 = vars.parse("SUMUP_RECONCILE_SECONDS", Some(300u64))?;
        if !(1..=24 * 3600).contains(&reconcile) {
            return Err(invalid(
                "SUMUP_RECONCILE_SECONDS",
                "must be between 1 and 86400",
            ));
        }
        let sumup = match vars.get("SUMUP_API_URL")? {
            None => None,
            Some(raw) => {
                let api_url = url::Url::parse(&raw)
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| invalid("SUMUP_API_URL", "not an http(s) URL"))?;
                let merchant_code = vars
                    .get("SUMUP_MERCHANT_CODE")?
                    .ok_or_else(|| invalid("SUMUP_MERCHANT_CODE", "required with SUMUP_API_URL"))?;
                Some(SumUpConfig {
                    api_url,
                    api_key: Secret::new(vars.get("SUMUP_API_KEY")?.unwrap_or_default()),
                    merchant_code,
                })
            }
        };
        Ok(CartConfig {
            hold: Duration::from_secs(minutes * 60),
            reconcile: Duration::from_secs(reconcile),
            sumup,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::config::Config;

    fn section(vars: &'static [(&'static str, &'static str)]) -> Result<CartConfig, String> {
        let config = Config::from_lookup(move |k| {
            vars.iter()
                .find(|(name, _)| *name == k)
                .map(|(_, v)| (*v).to_owned())
        })
        .unwrap();
        config.section::<CartConfig>().map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_and_bad_values_are_named() {
        let c = section(&[]).unwrap();
        assert_eq!(c.hold, Duration::from_secs(15 * 60));
        assert!(c.sumup.is_none());
        assert_eq!(c.reconcile, Duration::from_secs(300));
        let c = section(&[
            ("CHECKOUT_HOLD_MINUTES", "2"),
            ("SUMUP_RECONCILE_SECONDS", "5"),
            ("SUMUP_API_URL", "http://127.0.0.1:9/"),
            ("SUMUP_MERCHANT_CODE", "MTEST"),
            ("SUMUP_API_KEY", "sk_test_x"),
        ])
        .unwrap();
        assert_eq!(c.hold, Duration::from_secs(120));
        assert_eq!(c.reconcile, Duration::from_secs(5));
        let sumup = c.sumup.unwrap();
        assert_eq!(sumup.merchant_code, "MTEST");
        assert!(!format!("{sumup:?}").contains("sk_test_x"));
        let err = section(&[("CHECKOUT_HOLD_MINUTES", "0")]).unwrap_err();
        assert!(err.contains("CHECKOUT_HOLD_MINUTES"), "{err}");
        let err = section(&[("SUMUP_RECONCILE_SECONDS", "0")]).unwrap_err();
        assert!(err.contains("SUMUP_RECONCILE_SECONDS"), "{err}");
        let err = section(&[("SUMUP_API_URL", "http://127.0.0.1:9/")]).unwrap_err();
        assert!(err.contains("SUMUP_MERCHANT_CODE"), "{err}");
        let err =
            section(&[("SUMUP_API_URL", "ftp://x"), ("SUMUP_MERCHANT_CODE", "M")]).unwrap_err();
        assert!(err.contains("SUMUP_API_URL"), "{err}");
    }
}
