//! Data transfer objects: plain serde types, converted from rows explicitly in `services`.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Editor,
    /// Writes, and publishes, their own posts (Ghost's Author).
    Author,
    Member,
}

impl Role {
    pub fn parse(s: &str) -> Role {
        match s {
            "admin" => Role::Admin,
            "editor" => Role::Editor,
            "author" => Role::Author,
            _ => Role::Member,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Author => "author",
            Role::Member => "member",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDto {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub role: Role,
}

/// An amount of money in minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub cents: i64,
    pub currency: String,
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let symbol = match self.currency.as_str() {
            "GBP" => "£",
            "EUR" => "€",
            "USD" => "$",
            _ => "",
        };
        let sign = if self.cents < 0 { "-" } else { "" };
        let abs = self.cents.unsigned_abs();
        if symbol.is_empty() {
            write!(f, "{sign}{}.{:02} {}", abs / 100, abs % 100, self.currency)
        } else {
            write!(f, "{sign}{symbol}{}.{:02}", abs / 100, abs % 100)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NavItemDto {
    pub label: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDto {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub price: Money,
    pub image_url: Option<String>,
    pub in_stock: bool,
}

/// What a cart holds, for the mini-cart and the account dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct CartSummary {
    pub item_count: i64,
    /// One total per currency, in first-added order.
    pub totals: Vec<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDto {
    pub slug: String,
    pub title: String,
    pub location: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionDto {
    pub newsletter_slug: String,
    pub newsletter_name: String,
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_formats() {
        let m = |cents, currency: &str| {
            Money {
                cents,
                currency: currency.into(),
            }
            .to_string()
        };
        assert_eq!(m(1250, "GBP"), "£12.50");
        assert_eq!(m(5, "EUR"), "€0.05");
        assert_eq!(m(-199, "USD"), "-$1.99");
        assert_eq!(m(1000, "CHF"), "10.00 CHF");
    }
}
