//! The fleet's cross-app events: one serde type per event on the bus
//! ([`crate::activitypub::bus`]). Producers publish these types and consumers decode them, so a
//! renamed or retyped field is a compile error on both sides rather than a silent miss.
//!
//! The wire format is the event's JSON as the `object` of a local activity in `ap_activities`
//! (field names in camelCase, as ActivityStreams writes them). Fields may be added (older rows
//! decode when the new field is an `Option` or has a default); renaming or removing one needs a
//! new event type, because rows already stored keep the old shape.
//!
//! Every event follows the same pattern: a struct here, `impl BusEvent` with its `KIND`,
//! `bus::publish` in the producer's transaction and a handler decoding it with `bus::decode`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::dtos::Money;
use super::sellable::SellableRef;
use crate::crypto::{self, CryptoError};

/// An event on the fleet's bus.
pub trait BusEvent: Serialize + DeserializeOwned {
    /// The activity type it travels under (what consumers subscribe to).
    const KIND: &'static str;
}

/// A remote reply to one of our objects arrived (federation verified, sanitized and stored it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    /// The reply's object id.
    pub id: String,
    /// The object of ours it answers.
    pub in_reply_to: String,
    /// The remote actor who wrote it.
    pub attributed_to: String,
    /// Sanitized HTML.
    pub content: String,
    pub published: DateTime<Utc>,
    /// An http(s) address of the reply's page, if it has one.
    pub url: Option<String>,
    /// The author's display name, if known.
    pub author_name: Option<String>,
    /// An http(s) address of the author's profile.
    pub author_url: Option<String>,
}

impl BusEvent for Reply {
    const KIND: &'static str = "Reply";
}

/// A reply's author edited it (sanitized content, applied only forwards in time).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyUpdated {
    pub id: String,
    pub in_reply_to: String,
    pub attributed_to: String,
    /// The new sanitized HTML.
    pub content: String,
    pub published: DateTime<Utc>,
    pub url: Option<String>,
}

impl BusEvent for ReplyUpdated {
    const KIND: &'static str = "ReplyUpdated";
}

/// A reply's author deleted it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyDeleted {
    pub id: String,
    pub in_reply_to: String,
    pub attributed_to: String,
}

impl BusEvent for ReplyDeleted {
    const KIND: &'static str = "ReplyDeleted";
}

/// An order was paid (the cart publishes it in the transaction that moves the order to
/// `PaymentSettled`, so once per order).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderPaid {
    /// The order's address (its page on the cart): the bus keeps an order's events in order by
    /// it, so a refund never overtakes its payment.
    pub id: String,
    /// The order's reference (`RA-…`).
    pub reference: String,
    /// The member who placed it (`None` for a guest).
    pub user_id: Option<i64>,
    pub total: Money,
    pub paid_at: DateTime<Utc>,
    /// What was bought, so each seller can act on its own lines (events issues tickets).
    #[serde(default)]
    pub lines: Vec<PaidLine>,
}

/// One line of a paid order: the item and how many, at the line's position in the order
/// (which, with the reference, names the line for idempotent handling).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaidLine {
    pub position: i32,
    pub item: SellableRef,
    pub quantity: i32,
}

impl BusEvent for OrderPaid {
    const KIND: &'static str = "OrderPaid";
}

/// Money went back to the buyer of a paid order (one event per refund, partial or full).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRefunded {
    /// The order's address, as in its [`OrderPaid`].
    pub id: String,
    pub reference: String,
    pub user_id: Option<i64>,
    /// This refund.
    pub amount: Money,
    /// Everything refunded so far, this refund included.
    pub refunded: Money,
    /// The whole order is refunded now (its state is `Refunded`).
    pub in_full: bool,
    pub refunded_at: DateTime<Utc>,
}

impl BusEvent for OrderRefunded {
    const KIND: &'static str = "OrderRefunded";
}

/// A member deleted their account (federation publishes it in the transaction that anonymises
/// the `users` row, so once per account). Each app that holds rows of the member applies its
/// policy to them (see the README's "Deleting an account"); handlers are idempotent. The event
/// names no personal data beyond the ids: the address and name are gone by the time it is read,
/// and the bus keeps its rows, so the address travels only as a keyed digest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountDeleted {
    pub user_id: i64,
    /// The member's `Person` actor id (what their comments and posts are attributed to).
    pub actor: String,
    pub deleted_at: DateTime<Utc>,
    /// [`AccountDeleted::address_digest`] of the address the account had, so an owner can find
    /// rows that hold only the address (a newsletter subscription made while signed out).
    /// `None` in events published before it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_digest: Option<String>,
}

impl AccountDeleted {
    /// Hex HMAC-SHA256 of an address (trimmed, lower-case) under a key derived from the fleet's
    /// `INTERNAL_SECRET`: equal addresses match, and the digest alone cannot be checked against
    /// a list of guesses by anyone without the secret.
    pub fn address_digest(secret: &[u8], address: &str) -> Result<String, CryptoError> {
        let key = crypto::hmac_sha256(secret, b"rose-ash deleted account address v1")?;
        let mac = crypto::hmac_sha256(&key, address.trim().to_lowercase().as_bytes())?;
        Ok(hex::encode(mac))
    }
}

impl BusEvent for AccountDeleted {
    const KIND: &'static str = "AccountDeleted";
}

/// A remote actor asked to take part in one of our objects (ActivityPub `Join`, as Mobilizon
/// sends it to RSVP). Federation's inbox verified that the signing key belongs to `actor`;
/// the app that owns `object` books them and answers `Accept` or `Reject` of `join_id`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteJoin {
    /// The Join activity's id (what an Accept or Reject names).
    pub join_id: String,
    /// The remote actor (the Join's signed actor).
    pub actor: String,
    /// Their display name or handle (sanitized text), if known.
    pub actor_name: Option<String>,
    /// The object of ours they join.
    pub object: String,
}

impl BusEvent for RemoteJoin {
    const KIND: &'static str = "RemoteJoin";
}

/// A remote actor withdrew from one of our objects (`Leave`, or `Undo` of their `Join`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteLeave {
    /// The Leave (or Undo) activity's id.
    pub id: String,
    pub actor: String,
    pub object: String,
}

impl BusEvent for RemoteLeave {
    const KIND: &'static str = "RemoteLeave";
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    /// The shape federation wrote before the types existed (`json!` with `to_rfc3339`, nulls).
    fn stored_row() -> serde_json::Value {
        json!({
            "id": "https://remote.example/notes/1",
            "inReplyTo": "http://blog.localhost:8001/posts/hello",
            "attributedTo": "https://remote.example/users/bob",
            "content": "<p>hi</p>",
            "published": "2026-11-30T10:00:00+00:00",
            "url": null,
            "authorName": "Bob",
            "authorUrl": "https://remote.example/@bob",
        })
    }

    #[test]
    fn rows_stored_before_the_types_decode() {
        let reply: Reply = serde_json::from_value(stored_row()).unwrap();
        assert_eq!(reply.author_name.as_deref(), Some("Bob"));
        assert_eq!(reply.published.to_rfc3339(), "2026-11-30T10:00:00+00:00");
        let updated: ReplyUpdated = serde_json::from_value(stored_row()).unwrap();
        assert_eq!(updated.content, "<p>hi</p>");
        let deleted: ReplyDeleted = serde_json::from_value(stored_row()).unwrap();
        assert_eq!(deleted.attributed_to, "https://remote.example/users/bob");
    }

    #[test]
    fn events_round_trip_in_the_stored_shape() {
        let reply: Reply = serde_json::from_value(stored_row()).unwrap();
        let wire = serde_json::to_value(&reply).unwrap();
        assert_eq!(wire["inReplyTo"], stored_row()["inReplyTo"]);
        assert_eq!(wire["authorUrl"], stored_row()["authorUrl"]);
        assert_eq!(serde_json::from_value::<Reply>(wire).unwrap(), reply);
    }

    #[test]
    fn a_missing_field_is_an_error_not_a_default() {
        let mut row = stored_row();
        row.as_object_mut().unwrap().remove("attributedTo");
        assert!(serde_json::from_value::<Reply>(row).is_err());
    }

    #[test]
    fn account_deleted_carries_the_address_only_as_a_keyed_digest() {
        // Published before the digest existed: decodes without it.
        let old: AccountDeleted = serde_json::from_value(json!({
            "userId": 7, "actor": "https://f.example/users/ada",
            "deletedAt": "2026-12-04T10:00:00Z",
        }))
        .unwrap();
        assert_eq!(old.address_digest, None);
        let d = |secret: &[u8], a: &str| AccountDeleted::address_digest(secret, a).unwrap();
        let secret = b"0123456789abcdef";
        assert_eq!(d(secret, " Ada@Example.org "), d(secret, "ada@example.org"));
        assert_ne!(d(secret, "ada@example.org"), d(secret, "bea@example.org"));
        assert_ne!(
            d(secret, "ada@example.org"),
            d(b"another secret!!", "ada@example.org")
        );
        let digest = d(secret, "ada@example.org");
        assert_eq!(digest.len(), 64);
        assert!(!digest.contains("ada"));
    }
}
