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

    /// Every role, most powerful first.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Editor, Role::Author, Role::Member];

    /// The role called `name`; `None` for any other name (where [`Role::parse`] reads a member).
    pub fn named(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The roles that write on the blog (Ghost's staff), most powerful first.
    pub const WRITERS: [Role; 3] = [Role::Admin, Role::Editor, Role::Author];

    /// Writes, and publishes, their own posts: authors, editors and administrators.
    pub fn is_writer(self) -> bool {
        Role::WRITERS.contains(&self)
    }

    /// Edits anyone's posts and pages and moderates replies: editors and administrators.
    pub fn is_editor(self) -> bool {
        matches!(self, Role::Admin | Role::Editor)
    }

    /// Runs the site (menus, settings, roles): administrators alone.
    pub fn is_admin(self) -> bool {
        self == Role::Admin
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

impl Money {
    /// A price as people type it: `12.50`, `12`, `12.5 EUR`, `€3` (GBP unless named; at most
    /// two decimals, never negative). `None` for anything else.
    pub fn parse(text: &str) -> Option<Money> {
        let mut amount = text.trim();
        let mut currency = "GBP".to_owned();
        for (symbol, code) in [("£", "GBP"), ("€", "EUR"), ("$", "USD")] {
            if let Some(rest) = amount.strip_prefix(symbol) {
                amount = rest.trim();
                currency = code.to_owned();
            }
        }
        if let Some((number, code)) = amount.rsplit_once(' ') {
            let code = code.trim();
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_alphabetic()) {
                return None;
            }
            currency = code.to_ascii_uppercase();
            amount = number.trim();
        }
        Some(Money {
            cents: Money::minor_units(amount)?,
            currency,
        })
    }

    /// `12.5` → 1250; at most two decimals, never negative.
    pub fn minor_units(amount: &str) -> Option<i64> {
        let (whole, frac) = amount.split_once('.').unwrap_or((amount, ""));
        if whole.is_empty() && frac.is_empty() {
            return None;
        }
        if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if frac.len() > 2 {
            return None;
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let frac: i64 = format!("{frac:0<2}").parse().ok()?;
        whole.checked_mul(100)?.checked_add(frac)
    }

    /// `quantity` of this price (saturating: a cart line never wraps around).
    pub fn times(&self, quantity: i32) -> Money {
        Money {
            cents: self.cents.saturating_mul(i64::from(quantity)),
            currency: self.currency.clone(),
        }
    }
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

impl CartSummary {
    /// Counts the items of `lines` (quantity, unit price) and totals them per currency.
    pub fn of<'a>(lines: impl IntoIterator<Item = (i32, &'a Money)>) -> CartSummary {
        let mut summary = CartSummary::default();
        for (quantity, price) in lines {
            summary.item_count += i64::from(quantity);
            let line = price.times(quantity);
            match summary
                .totals
                .iter_mut()
                .find(|t| t.currency == line.currency)
            {
                Some(total) => total.cents = total.cents.saturating_add(line.cents),
                None => summary.totals.push(line),
            }
        }
        summary
    }
}

/// Whose cart it is: a signed-in member's, or an anonymous visitor's (a digest of their
/// cart-app session, never the session id itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CartOwner {
    User(i64),
    Session(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDto {
    pub slug: String,
    pub title: String,
    pub location: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
}

/// A calendar other apps may link to (a market stall's opening days), by slug.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDto {
    pub slug: String,
    pub name: String,
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

    #[test]
    fn who_writes_edits_and_administers() {
        let roles = Role::ALL;
        let writers: Vec<Role> = roles.into_iter().filter(|r| r.is_writer()).collect();
        assert_eq!(writers, Role::WRITERS);
        let editors: Vec<Role> = roles.into_iter().filter(|r| r.is_editor()).collect();
        assert_eq!(editors, [Role::Admin, Role::Editor]);
        let admins: Vec<Role> = roles.into_iter().filter(|r| r.is_admin()).collect();
        assert_eq!(admins, [Role::Admin]);
        for role in roles {
            assert_eq!(Role::parse(role.as_str()), role);
            assert_eq!(Role::named(role.as_str()), Some(role));
        }
        assert_eq!(Role::named("owner"), None);
        assert_eq!(Role::parse("owner"), Role::Member);
    }

    #[test]
    fn a_cart_totals_per_currency_without_overflow() {
        let money = |cents, currency: &str| Money {
            cents,
            currency: currency.into(),
        };
        let (gbp, eur) = (money(250, "GBP"), money(100, "EUR"));
        let s = CartSummary::of([(2, &gbp), (1, &eur), (3, &gbp)]);
        assert_eq!(s.item_count, 6);
        assert_eq!(s.totals, vec![money(1250, "GBP"), money(100, "EUR")]);
        let huge = money(i64::MAX / 2, "GBP");
        assert_eq!(huge.times(3).cents, i64::MAX);
        assert_eq!(
            CartSummary::of([(3, &huge), (1, &gbp)]).totals,
            vec![money(i64::MAX, "GBP")]
        );
    }
}
