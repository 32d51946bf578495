//! The six apps of the fleet.

use std::fmt;
use std::str::FromStr;

use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AppName {
    Blog,
    Market,
    Cart,
    Events,
    Federation,
    Account,
}

impl AppName {
    pub const ALL: [AppName; 6] = [
        AppName::Blog,
        AppName::Market,
        AppName::Cart,
        AppName::Events,
        AppName::Federation,
        AppName::Account,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AppName::Blog => "blog",
            AppName::Market => "market",
            AppName::Cart => "cart",
            AppName::Events => "events",
            AppName::Federation => "federation",
            AppName::Account => "account",
        }
    }

    /// Human title shown in the fleet navigation.
    pub const fn title(self) -> &'static str {
        match self {
            AppName::Blog => "Blog",
            AppName::Market => "Market",
            AppName::Cart => "Cart",
            AppName::Events => "Events",
            AppName::Federation => "Social",
            AppName::Account => "Account",
        }
    }

    pub const fn index(self) -> usize {
        self as usize
    }

    /// Dev port: blog 8001 … account 8006.
    pub const fn default_port(self) -> u16 {
        8001 + self as u16
    }

    #[expect(
        clippy::expect_used,
        reason = "built from constants, always a valid URL"
    )]
    pub fn default_public_url(self) -> Url {
        let s = format!(
            "http://{}.localhost:{}/",
            self.as_str(),
            self.default_port()
        );
        Url::parse(&s).expect("valid default URL")
    }
}

impl fmt::Display for AppName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown app `{0}` (expected one of blog, market, cart, events, federation, account)")]
pub struct UnknownApp(pub String);

impl FromStr for AppName {
    type Err = UnknownApp;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AppName::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| UnknownApp(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_names() {
        assert_eq!(AppName::Blog.default_port(), 8001);
        assert_eq!(AppName::Account.default_port(), 8006);
        assert_eq!("events".parse::<AppName>().unwrap(), AppName::Events);
        assert!("shop".parse::<AppName>().is_err());
        assert_eq!(
            AppName::Federation.default_public_url().as_str(),
            "http://federation.localhost:8005/"
        );
    }
}
