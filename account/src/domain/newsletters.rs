//! The newsletter service: subscribing (single or double opt-in), confirming, a subscriber's
//! preferences, and unsubscribing.
//!
//! Nothing here tells a visitor whether an address is already on a list: subscribing a
//! confirmed address answers exactly as subscribing a new one, and mails nothing.

use chrono::{DateTime, Duration, Utc};
use diesel_async::AsyncConnection;
use shared::crypto::{random_token, token_digest};
use shared::db::DbPool;
use shared::infrastructure::mail::SendMail;
use shared::infrastructure::redis::Redis;
use shared::models::account::{Newsletter, Subscriber, Subscription};

use super::NewsletterError;
use super::links::{LinkSigner, Purpose};
use super::rate_limit;
use crate::db;

/// How long a confirmation link works.
pub const CONFIRMATION_TTL: Duration = Duration::hours(48);

/// The signed-in member behind a request, if any.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    /// Whether they confirmed the address (then their own address needs no confirmation mail).
    pub verified: bool,
}

/// What a subscribe request answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// On the list now (single opt-in, or a member's own confirmed address).
    Subscribed,
    /// "Check your inbox" (said whether or not a mail went out).
    CheckEmail,
}

/// A subscriber's page: their address and each list they can choose.
#[derive(Debug)]
pub struct Preferences {
    pub subscriber: Subscriber,
    /// Every public list, plus private ones the subscriber is on; with the status on each.
    pub lists: Vec<(Newsletter, Option<String>)>,
}

/// What an unsubscribe link is about.
#[derive(Debug)]
pub struct Unsubscribed {
    pub newsletter: Newsletter,
    pub subscriber: Subscriber,
    /// Whether the subscription is (now) off.
    pub off: bool,
    /// The subscriber's preferences link.
    pub preferences_token: String,
}

/// The newsletter rules over the pool, Redis (the form's rate limit) and the link signer.
pub struct Newsletters<'a> {
    pool: &'a DbPool,
    redis: &'a Redis,
    links: &'a LinkSigner,
    /// This app's public URL, for links in mail (ends with `/`).
    account_url: String,
}

impl<'a> Newsletters<'a> {
    pub fn new(
        pool: &'a DbPool,
        redis: &'a Redis,
        links: &'a LinkSigner,
        account_url: String,
    ) -> Self {
        Newsletters {
            pool,
            redis,
            links,
            account_url,
        }
    }

    /// A public list by slug ([`NewsletterError::NoSuchNewsletter`] for a private one too).
    pub async fn public_list(&self, slug: &str) -> Result<Newsletter, NewsletterError> {
        let mut conn = self.pool.get().await?;
        db::newsletters::by_slug(&mut conn, slug)
            .await?
            .filter(Newsletter::is_public)
            .ok_or(NewsletterError::NoSuchNewsletter)
    }

    /// The member's address and whether it is confirmed (`None`: no such active member).
    pub async fn member(&self, user_id: i64) -> Result<Option<Member>, NewsletterError> {
        let mut conn = self.pool.get().await?;
        Ok(db::members::address(&mut conn, user_id)
            .await?
            .map(|(email, verified)| Member {
                user_id,
                email,
                verified,
            }))
    }

    /// Subscribes `email` (or, without one, the member's own address) to the public list
    /// `slug`. A member's own confirmed address and single opt-in lists are on at once; any
    /// other address on a double opt-in list gets one confirmation mail, unless it is already
    /// confirmed (then nothing is sent). Counted against the form's rate limit for `ip`.
    pub async fn subscribe(
        &self,
        slug: &str,
        email: Option<&str>,
        member: Option<&Member>,
        ip: &str,
    ) -> Result<(Newsletter, Answer), NewsletterError> {
        let email = match (email.map(str::trim).filter(|e| !e.is_empty()), member) {
            (Some(email), _) => email.to_owned(),
            (None, Some(m)) => m.email.clone(),
            (None, None) => return Err(NewsletterError::NoAddress),
        };
        if !shared::contracts::email::is_valid(&email) {
            return Err(NewsletterError::BadAddress);
        }
        let list = self.public_list(slug).await?;
        if !rate_limit::allowed(self.redis, ip, &email).await? {
            return Err(NewsletterError::TooMany);
        }
        let owner = member
            .filter(|m| m.verified && m.email.eq_ignore_ascii_case(&email))
            .map(|m| m.user_id);
        let confirm_at_once = owner.is_some() || !list.double_opt_in();
        let token = random_token()?;
        let mail = self.confirmation_mail(&list, &email, &token);
        let expires_at = Utc::now() + CONFIRMATION_TTL;
        let mut conn = self.pool.get().await?;
        let list_id = list.id;
        let answer = conn
            .transaction(async |conn| {
                let subscriber = db::subscribers::find_or_create(conn, &email, owner).await?;
                if subscriber.blocklisted_at.is_some() {
                    // Bounced or complained: nothing is sent or changed, and the answer is
                    // the one any address gets.
                    return Ok::<_, NewsletterError>(Answer::CheckEmail);
                }
                let sub =
                    db::subscriptions::find_or_create_locked(conn, list_id, subscriber.id).await?;
                if confirm_at_once {
                    if sub.status != "confirmed"
                        && !db::subscriptions::confirm(conn, sub.id).await?
                    {
                        return Ok(Answer::CheckEmail);
                    }
                    return Ok(Answer::Subscribed);
                }
                if sub.status == "confirmed" {
                    // Already on the list: the same answer, and no mail.
                    return Ok(Answer::CheckEmail);
                }
                if sub.status == "unsubscribed" {
                    db::subscriptions::reopen(conn, sub.id).await?;
                }
                db::confirmations::insert(conn, &token_digest(&token), sub.id, expires_at).await?;
                shared::jobs::enqueue(conn, &mail).await?;
                Ok(Answer::CheckEmail)
            })
            .await?;
        Ok((list, answer))
    }

    fn confirmation_mail(&self, list: &Newsletter, email: &str, token: &str) -> SendMail {
        let link = format!("{}confirm/{token}", self.account_url);
        SendMail {
            to: email.to_owned(),
            subject: format!("Confirm your subscription to {}", list.name),
            body: format!(
                "Someone, probably you, asked to subscribe {email} to {name}.\n\n\
                 To confirm, open this link and press the button on the page:\n\n{link}\n\n\
                 The link works once, for 48 hours. If you did not ask for this, ignore this \
                 message: the address will not be subscribed.",
                name = list.name,
            ),
        }
    }

    /// What the confirmation page shows before the button is pressed (nothing changes).
    pub async fn pending_confirmation(&self, token: &str) -> Result<Newsletter, NewsletterError> {
        let mut conn = self.pool.get().await?;
        let found = db::confirmations::find(&mut conn, &token_digest(token)).await?;
        let confirmation = refusal(found.as_ref(), Utc::now())?;
        self.list_of(&mut conn, confirmation.subscription_id).await
    }

    /// Confirms the subscription behind `token` (once). Returns the list and the subscriber's
    /// preferences link.
    pub async fn confirm(&self, token: &str) -> Result<(Newsletter, String), NewsletterError> {
        let digest = token_digest(token);
        let now = Utc::now();
        let mut conn = self.pool.get().await?;
        let taken = conn
            .transaction(async |conn| {
                let Some(subscription_id) = db::confirmations::take(conn, &digest, now).await?
                else {
                    return Ok::<_, NewsletterError>(None);
                };
                if !db::subscriptions::confirm(conn, subscription_id).await? {
                    // Rolled back: the link stays as it was.
                    return Err(NewsletterError::Blocklisted);
                }
                Ok(Some(subscription_id))
            })
            .await?;
        let Some(subscription_id) = taken else {
            let found = db::confirmations::find(&mut conn, &digest).await?;
            refusal(found.as_ref(), now)?;
            // Taken between the two reads: by another press of the same button.
            return Err(NewsletterError::ConfirmationUsed);
        };
        let sub = self.subscription(&mut conn, subscription_id).await?;
        let list = self.list_of(&mut conn, subscription_id).await?;
        Ok((
            list,
            self.links.sign(Purpose::Preferences, sub.subscriber_id)?,
        ))
    }

    async fn subscription(
        &self,
        conn: &mut diesel_async::AsyncPgConnection,
        id: i64,
    ) -> Result<Subscription, NewsletterError> {
        db::subscriptions::by_id(conn, id)
            .await?
            .ok_or(NewsletterError::BadLink)
    }

    async fn list_of(
        &self,
        conn: &mut diesel_async::AsyncPgConnection,
        subscription_id: i64,
    ) -> Result<Newsletter, NewsletterError> {
        let sub = self.subscription(conn, subscription_id).await?;
        db::newsletters::by_id(conn, sub.newsletter_id)
            .await?
            .ok_or(NewsletterError::BadLink)
    }

    /// The preferences page of the subscriber a signed link names.
    pub async fn preferences(&self, token: &str) -> Result<Preferences, NewsletterError> {
        let id = self
            .links
            .verify(Purpose::Preferences, token)?
            .ok_or(NewsletterError::BadLink)?;
        let mut conn = self.pool.get().await?;
        let subscriber = db::subscribers::by_id(&mut conn, id)
            .await?
            .ok_or(NewsletterError::BadLink)?;
        let rows = db::subscriptions::of_subscriber(&mut conn, id).await?;
        let lists = db::newsletters::all(&mut conn)
            .await?
            .into_iter()
            .filter_map(|n| {
                let status = rows
                    .iter()
                    .find(|(_, list)| list.id == n.id)
                    .map(|(s, _)| s.status.clone());
                (n.is_public() || status.is_some()).then_some((n, status))
            })
            .collect();
        Ok(Preferences { subscriber, lists })
    }

    /// Sets the subscriber's lists to exactly `chosen` (slugs) among those the page offers.
    /// The signed link came by mail to the address, so a chosen list is confirmed at once.
    pub async fn set_preferences(
        &self,
        token: &str,
        chosen: &[String],
    ) -> Result<Preferences, NewsletterError> {
        let before = self.preferences(token).await?;
        let subscriber_id = before.subscriber.id;
        let mut conn = self.pool.get().await?;
        conn.transaction(async |conn| {
            for (list, status) in &before.lists {
                let wanted = chosen.iter().any(|s| s == &list.slug);
                let on = matches!(status.as_deref(), Some("confirmed" | "unconfirmed"));
                if wanted && status.as_deref() != Some("confirmed") {
                    let sub =
                        db::subscriptions::find_or_create_locked(conn, list.id, subscriber_id)
                            .await?;
                    if !db::subscriptions::confirm(conn, sub.id).await? {
                        return Err(NewsletterError::Blocklisted);
                    }
                } else if !wanted && on {
                    let sub =
                        db::subscriptions::find_or_create_locked(conn, list.id, subscriber_id)
                            .await?;
                    db::subscriptions::unsubscribe(conn, sub.id).await?;
                }
            }
            Ok::<_, NewsletterError>(())
        })
        .await?;
        drop(conn);
        self.preferences(token).await
    }

    /// The list and subscriber a one-click unsubscribe link names, changing nothing.
    pub async fn unsubscribe_link(&self, token: &str) -> Result<Unsubscribed, NewsletterError> {
        self.unsubscription(token, false).await
    }

    /// Unsubscribes the link's subscription (again: still fine).
    pub async fn unsubscribe(&self, token: &str) -> Result<Unsubscribed, NewsletterError> {
        self.unsubscription(token, true).await
    }

    /// The one-click address of a subscription, for mail headers and footers.
    pub fn unsubscribe_token(&self, subscription_id: i64) -> Result<String, NewsletterError> {
        Ok(self.links.sign(Purpose::Unsubscribe, subscription_id)?)
    }

    async fn unsubscription(
        &self,
        token: &str,
        act: bool,
    ) -> Result<Unsubscribed, NewsletterError> {
        let id = self
            .links
            .verify(Purpose::Unsubscribe, token)?
            .ok_or(NewsletterError::BadLink)?;
        let mut conn = self.pool.get().await?;
        let sub = self.subscription(&mut conn, id).await?;
        if act {
            db::subscriptions::unsubscribe(&mut conn, id).await?;
        }
        let newsletter = self.list_of(&mut conn, id).await?;
        let subscriber = db::subscribers::by_id(&mut conn, sub.subscriber_id)
            .await?
            .ok_or(NewsletterError::BadLink)?;
        Ok(Unsubscribed {
            newsletter,
            off: act || sub.status == "unsubscribed",
            preferences_token: self.links.sign(Purpose::Preferences, subscriber.id)?,
            subscriber,
        })
    }
}

/// Why a confirmation cannot be used at `now`, or the confirmation.
fn refusal(
    found: Option<&db::confirmations::Confirmation>,
    now: DateTime<Utc>,
) -> Result<&db::confirmations::Confirmation, NewsletterError> {
    match found {
        None => Err(NewsletterError::UnknownConfirmation),
        Some(c) if c.used_at.is_some() => Err(NewsletterError::ConfirmationUsed),
        Some(c) if c.expires_at <= now => Err(NewsletterError::ConfirmationExpired),
        Some(c) => Ok(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn confirmation(expires_in: i64, used: bool) -> db::confirmations::Confirmation {
        let now = Utc::now();
        db::confirmations::Confirmation {
            subscription_id: 1,
            expires_at: now + Duration::seconds(expires_in),
            used_at: used.then_some(now),
        }
    }

    #[test]
    fn a_confirmation_is_refused_once_used_or_expired() {
        let now = Utc::now();
        assert!(matches!(
            refusal(None, now),
            Err(NewsletterError::UnknownConfirmation)
        ));
        assert!(matches!(
            refusal(Some(&confirmation(60, true)), now),
            Err(NewsletterError::ConfirmationUsed)
        ));
        assert!(matches!(
            refusal(Some(&confirmation(-1, false)), now),
            Err(NewsletterError::ConfirmationExpired)
        ));
        assert!(refusal(Some(&confirmation(60, false)), now).is_ok());
    }
}
