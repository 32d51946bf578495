//! Paid tickets. Organisers give a date ticket types (price, quantity, sales window); the cart
//! sells them through the `Sellables` and `Inventory` contracts (seats are held by the
//! checkout's reservation, like stock). When the cart's `OrderPaid` arrives, [`issue`] makes one
//! ticket per seat of each ticket line, idempotently (a redelivered event issues nothing new);
//! a full refund (`OrderRefunded` with `in_full`) voids the order's tickets. At the door an
//! organiser checks a ticket in once: the second scan answers when and by whom it was.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use shared::contracts::dtos::Money;
use shared::contracts::events::{OrderPaid, OrderRefunded};
use shared::contracts::sellable::SellableKind;
use shared::db::DbPool;
use shared::models::events::{Event, Occurrence, TicketType};

use super::form::zone_of;
use super::recurrence;
use super::{Actor, EventsError, Organiser, user_fixable};
use crate::db::tickets::{self as ticket_rows, Admission, NewTicketType, Seat};

pub const MAX_NAME: usize = 100;
pub const MAX_QUANTITY: i32 = 100_000;
/// Longest a scanned code may be (a secret is 64 hex digits; scanners add a little).
const MAX_CODE: usize = 200;

/// The organiser's new-ticket-type form, as it arrives.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TicketTypeForm {
    pub name: String,
    /// `12.50`, `12.50 EUR`, `€12.50`.
    pub price: String,
    pub quantity: String,
    /// `YYYY-MM-DDTHH:MM` on the event's clock; empty: from now.
    pub sales_start: String,
    /// Likewise; empty: until the date starts.
    pub sales_end: String,
}

fn invalid(why: impl Into<String>) -> EventsError {
    EventsError::Invalid(why.into())
}

fn local_time(raw: &str, event: &Event, what: &str) -> Result<Option<DateTime<Utc>>, EventsError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let local = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .map_err(|_bad| invalid(format!("The {what} must be a date and time.")))?;
    Ok(Some(recurrence::local_to_utc(zone_of(event), local)))
}

impl TicketTypeForm {
    /// The checked ticket type for `date` of `event`.
    fn parse<'a>(
        &'a self,
        event: &Event,
        date: &Occurrence,
        price: &'a Money,
    ) -> Result<NewTicketType<'a>, EventsError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(invalid(format!(
                "Name the ticket type (up to {MAX_NAME} characters)."
            )));
        }
        if price.cents < 1 {
            return Err(invalid(
                "A ticket costs something (free places are booked, not bought).",
            ));
        }
        let quantity = match self.quantity.trim().parse::<i32>() {
            Ok(n) if (1..=MAX_QUANTITY).contains(&n) => n,
            _ => {
                return Err(invalid(format!(
                    "The quantity must be a whole number from 1 to {MAX_QUANTITY}."
                )));
            }
        };
        let sales_start = local_time(&self.sales_start, event, "start of sales")?;
        let sales_end = local_time(&self.sales_end, event, "end of sales")?;
        if let (Some(s), Some(e)) = (sales_start, sales_end)
            && e <= s
        {
            return Err(invalid("Sales must end after they start."));
        }
        Ok(NewTicketType {
            occurrence_id: date.id,
            name,
            price_cents: price.cents,
            currency: &price.currency,
            quantity,
            sales_start,
            sales_end,
        })
    }
}

/// What a scan at the door found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckIn {
    /// Let in now.
    Admitted { ticket: String, seat: i32 },
    /// Already in: when and by whom.
    Already { at: DateTime<Utc>, by: String },
    /// Refunded: not valid.
    Void,
    /// No such ticket for this event.
    Unknown,
}

pub struct TicketDesk<'a> {
    pool: &'a DbPool,
}

/// The text a QR code carries for a ticket: its secret (the door types or scans it).
pub fn new_secret() -> Result<String, EventsError> {
    Ok(shared::crypto::random_token()?)
}

impl<'a> TicketDesk<'a> {
    pub fn new(pool: &'a DbPool) -> Self {
        TicketDesk { pool }
    }

    /// Adds a ticket type to one date of an event the actor organises.
    pub async fn add_type(
        &self,
        actor: Actor,
        slug: &str,
        date_id: i64,
        form: &TicketTypeForm,
    ) -> Result<(Event, TicketType), EventsError> {
        let (event, date) = Organiser::new(self.pool)
            .editable_date(slug, date_id, actor)
            .await?;
        let price = Money::parse(&form.price)
            .ok_or_else(|| invalid(format!("“{}” is not a price (e.g. 12.50).", form.price)))?;
        let new = form.parse(&event, &date, &price)?;
        let mut conn = self.pool.get().await?;
        let made = ticket_rows::insert_type(&mut conn, &new)
            .await
            .map_err(user_fixable("ticket type"))?;
        Ok((event, made))
    }

    /// Changes one of the date's ticket types (price, quantity, sales window, name), but never
    /// to fewer tickets than are sold or held by checkouts ([`EventsError::BelowSold`], a 409,
    /// nothing changed).
    pub async fn edit_type(
        &self,
        actor: Actor,
        slug: &str,
        date_id: i64,
        type_id: i64,
        form: &TicketTypeForm,
    ) -> Result<(Event, TicketType), EventsError> {
        let (event, date) = Organiser::new(self.pool)
            .editable_date(slug, date_id, actor)
            .await?;
        let mut conn = self.pool.get().await?;
        let current = ticket_rows::types_of(&mut conn, &[date.id])
            .await?
            .into_iter()
            .find(|t| t.id == type_id)
            .ok_or(EventsError::NoSuchTicketType)?;
        let price = Money::parse(&form.price)
            .ok_or_else(|| invalid(format!("“{}” is not a price (e.g. 12.50).", form.price)))?;
        let new = form.parse(&event, &date, &price)?;
        match ticket_rows::update_type(&mut conn, type_id, &new)
            .await
            .map_err(user_fixable("ticket type"))?
        {
            Some(changed) => Ok((event, changed)),
            None => Err(EventsError::BelowSold(current.quantity - current.available)),
        }
    }

    /// Ends a ticket type's sales now (tickets sold stay valid).
    pub async fn end_sales(
        &self,
        actor: Actor,
        slug: &str,
        date_id: i64,
        type_id: i64,
    ) -> Result<Event, EventsError> {
        let (event, date) = Organiser::new(self.pool)
            .editable_date(slug, date_id, actor)
            .await?;
        let mut conn = self.pool.get().await?;
        let of_date = ticket_rows::types_of(&mut conn, &[date.id]).await?;
        if !of_date.iter().any(|t| t.id == type_id) {
            return Err(EventsError::NoSuchDate);
        }
        ticket_rows::end_sales(&mut conn, type_id).await?;
        Ok(event)
    }

    /// The ticket a secret names (a buyer's ticket page).
    pub async fn ticket(&self, secret: &str) -> Result<Option<Admission>, EventsError> {
        if secret.is_empty() || secret.len() > MAX_CODE {
            return Ok(None);
        }
        let mut conn = self.pool.get().await?;
        Ok(ticket_rows::by_secret(&mut conn, secret).await?)
    }

    pub async fn of_member(&self, user_id: i64) -> Result<Vec<Admission>, EventsError> {
        let mut conn = self.pool.get().await?;
        Ok(ticket_rows::of_user(&mut conn, user_id).await?)
    }

    /// Checks in the ticket whose secret was scanned, at an event the actor organises.
    pub async fn check_in(
        &self,
        actor: Actor,
        slug: &str,
        code: &str,
    ) -> Result<(Event, CheckIn), EventsError> {
        let event = Organiser::new(self.pool).editable(slug, actor).await?;
        let code = code.trim();
        let Some((ticket, kind, _date, of)) = self.ticket(code).await? else {
            return Ok((event, CheckIn::Unknown));
        };
        if of.id != event.id {
            return Ok((event, CheckIn::Unknown));
        }
        if !ticket.is_valid() {
            return Ok((event, CheckIn::Void));
        }
        let mut conn = self.pool.get().await?;
        let outcome = match ticket_rows::check_in(&mut conn, ticket.id, actor.id).await? {
            Some(_) => CheckIn::Admitted {
                ticket: kind.name,
                seat: ticket.seat,
            },
            None => {
                // Lost the race to another door, or scanned before: read who let it in.
                match ticket_rows::by_secret(&mut conn, code).await? {
                    Some((t, ..)) if !t.is_valid() => CheckIn::Void,
                    Some((t, ..)) => match (t.checked_in_at, t.checked_in_by) {
                        (Some(at), Some(by)) => CheckIn::Already {
                            at,
                            by: ticket_rows::checked_in_by(&mut conn, by).await?,
                        },
                        (Some(at), None) => CheckIn::Already {
                            at,
                            by: "a former organiser".into(),
                        },
                        _ => CheckIn::Unknown,
                    },
                    None => CheckIn::Unknown,
                }
            }
        };
        Ok((event, outcome))
    }

    /// Issues the tickets of a paid order's ticket lines: one per seat, each with its own
    /// secret; seats issued before (a redelivered event) stay as they were. Returns how many
    /// are new.
    pub async fn issue(&self, paid: &OrderPaid) -> Result<usize, EventsError> {
        let mut secrets: Vec<(i64, i32, i32, String)> = Vec::new();
        for line in paid
            .lines
            .iter()
            .filter(|l| l.item.kind == SellableKind::Ticket)
        {
            for seat in 1..=line.quantity.max(0) {
                secrets.push((line.item.id, line.position, seat, new_secret()?));
            }
        }
        if secrets.is_empty() {
            return Ok(0);
        }
        let seats: Vec<Seat<'_>> = secrets
            .iter()
            .map(|(type_id, position, seat, secret)| Seat {
                ticket_type_id: *type_id,
                order_reference: &paid.reference,
                order_line: *position,
                seat: *seat,
                user_id: paid.user_id,
                secret,
            })
            .collect();
        let mut conn = self.pool.get().await?;
        Ok(ticket_rows::issue(&mut conn, &seats).await?)
    }

    /// A full refund voids the order's tickets; a partial one leaves them (the organiser
    /// decides which seat it was for).
    pub async fn refunded(&self, refund: &OrderRefunded) -> Result<usize, EventsError> {
        if !refund.in_full {
            return Ok(0);
        }
        let mut conn = self.pool.get().await?;
        Ok(ticket_rows::void_order(&mut conn, &refund.reference).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> Event {
        let now = Utc::now();
        Event {
            id: 1,
            slug: "supper".into(),
            title: "Supper".into(),
            description: String::new(),
            location: String::new(),
            starts_at: now,
            ends_at: None,
            created_at: now,
            updated_at: now,
            calendar_id: 1,
            time_zone: "Europe/London".into(),
            place_address: String::new(),
            online_url: None,
            image_url: None,
            capacity: None,
            status: "confirmed".into(),
            visibility: "public".into(),
            tags: Vec::new(),
            sequence: 0,
            repeat_freq: None,
            repeat_interval: 1,
            repeat_ordinal: None,
            repeat_until: None,
            repeat_count: None,
            series_version: 1,
            materialised_until: None,
            approval_required: false,
        }
    }

    fn date(e: &Event) -> Occurrence {
        Occurrence {
            id: 7,
            event_id: e.id,
            original_start: e.starts_at,
            series_version: 1,
            starts_at: e.starts_at,
            ends_at: None,
            title: None,
            location: None,
            status: None,
            detached: false,
            removed: false,
            sequence: 0,
            booked: 0,
            updated_at: e.starts_at,
        }
    }

    fn form(name: &str, quantity: &str, start: &str, end: &str) -> TicketTypeForm {
        TicketTypeForm {
            name: name.into(),
            price: "5".into(),
            quantity: quantity.into(),
            sales_start: start.into(),
            sales_end: end.into(),
        }
    }

    #[test]
    fn a_ticket_type_form_is_checked_and_read_on_the_events_clock() {
        let e = event();
        let d = date(&e);
        let price = Money::parse("12.50").unwrap();
        let ok = form("Standard", "40", "", "2027-07-03T18:00");
        let t = ok.parse(&e, &d, &price).unwrap();
        assert_eq!((t.name, t.quantity, t.price_cents), ("Standard", 40, 1250));
        // 18:00 in London in July is 17:00 UTC.
        assert_eq!(
            t.sales_end.unwrap().to_rfc3339(),
            "2027-07-03T17:00:00+00:00"
        );
        let bad = [
            form("", "40", "", ""),
            form(&"x".repeat(101), "40", "", ""),
            form("Standard", "0", "", ""),
            form("Standard", "many", "", ""),
            form("Standard", "100001", "", ""),
            form("Standard", "4", "tomorrow", ""),
            form("Standard", "4", "2027-07-03T18:00", "2027-07-03T17:00"),
        ];
        for f in bad {
            assert!(
                matches!(f.parse(&e, &d, &price), Err(EventsError::Invalid(_))),
                "{f:?}"
            );
        }
        let free = Money::parse("0").unwrap();
        assert!(ok.parse(&e, &d, &free).is_err());
    }
}
