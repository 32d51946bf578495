//! The `Sellables` contract on the shared database, dispatched by kind: market variants (with
//! their product's title and status) read from `product_variants` and `products`; events
//! ticket types (with their date and event) from `event_ticket_types`, `event_occurrences` and
//! `events`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::DbServices;
use crate::AppName;
use crate::contracts::dtos::Money;
use crate::contracts::protocols::ServiceResult;
use crate::contracts::sellable::{Availability, SellableDto, SellableKind, SellableRef, Sellables};
use crate::db::schema::{
    event_occurrences as occurrences, event_ticket_types as ticket_types, events,
    product_variants as variants, products,
};
use crate::models::events::{Event, Occurrence, TicketType};
use crate::models::market::{Variant, status};

/// A variant's line title: the product's, then its option values ("Wool hat — M / Red").
fn variant_title(product: &str, variant: &Variant) -> String {
    let options = variant.options();
    if options.is_empty() {
        product.to_owned()
    } else {
        format!("{product} — {}", options.join(" / "))
    }
}

fn availability(product_status: &str, stock: Option<i32>) -> Availability {
    if product_status != status::ACTIVE {
        return Availability::OffSale;
    }
    match stock {
        None => Availability::Unlimited,
        Some(n) => Availability::Limited(n.max(0)),
    }
}

/// A ticket type with the date and event that decide whether it is on sale and how its line
/// reads.
struct TicketRow {
    kind: TicketType,
    date: Occurrence,
    event: Event,
}

impl TicketRow {
    fn availability(&self, now: DateTime<Utc>) -> Availability {
        if self.kind.on_sale(&self.date, &self.event, now) {
            Availability::Limited(self.kind.available.max(0))
        } else {
            Availability::OffSale
        }
    }

    /// "Harvest supper — Standard, Sat 6 Dec 2026 19:00" (in the event's own time zone).
    fn title(&self) -> String {
        let starts_at = self.date.starts_at;
        let when = match self.event.time_zone.parse::<chrono_tz::Tz>() {
            Ok(tz) => starts_at.with_timezone(&tz).format(DATE_FORMAT).to_string(),
            Err(_) => starts_at.format(DATE_FORMAT).to_string(),
        };
        format!(
            "{} — {}, {when}",
            self.date.title(&self.event),
            self.kind.name
        )
    }
}

const DATE_FORMAT: &str = "%a %-d %b %Y %H:%M";

impl DbServices {
    async fn variants(&self, ids: &[i64]) -> ServiceResult<Vec<SellableDto>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.get().await?;
        let rows: Vec<(Variant, String, String, String)> = variants::table
            .inner_join(products::table)
            .filter(variants::id.eq_any(ids))
            .select((
                Variant::as_select(),
                products::title,
                products::slug,
                products::status,
            ))
            .load(&mut conn)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(v, title, slug, product_status)| SellableDto {
                item: SellableRef::variant(v.id),
                title: variant_title(&title, &v),
                availability: availability(&product_status, v.stock),
                unit_price: Money {
                    cents: v.price_cents,
                    currency: v.currency,
                },
                app: AppName::Market,
                path: format!("/products/{slug}"),
            })
            .collect())
    }

    async fn tickets(&self, ids: &[i64]) -> ServiceResult<Vec<SellableDto>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.get().await?;
        let rows: Vec<(TicketType, Occurrence, Event)> = ticket_types::table
            .inner_join(occurrences::table.inner_join(events::table))
            .filter(ticket_types::id.eq_any(ids))
            .select((
                TicketType::as_select(),
                Occurrence::as_select(),
                Event::as_select(),
            ))
            .load(&mut conn)
            .await?;
        let now = Utc::now();
        Ok(rows
            .into_iter()
            .map(|(kind, date, event)| TicketRow { kind, date, event })
            .map(|t| SellableDto {
                item: SellableRef::ticket(t.kind.id),
                title: t.title(),
                availability: t.availability(now),
                unit_price: t.kind.price(),
                app: AppName::Events,
                path: crate::infrastructure::link_catalog::event(&t.event.slug).path,
            })
            .collect())
    }
}

#[async_trait]
impl Sellables for DbServices {
    async fn sellables(&self, refs: &[SellableRef]) -> ServiceResult<Vec<SellableDto>> {
        let ids = |kind| -> Vec<i64> {
            refs.iter()
                .filter(|r| r.kind == kind)
                .map(|r| r.id)
                .collect()
        };
        let mut found = self.variants(&ids(SellableKind::Variant)).await?;
        found.extend(self.tickets(&ids(SellableKind::Ticket)).await?);
        Ok(found)
    }

    async fn variants_of_product(&self, slug: &str) -> ServiceResult<Option<Vec<SellableRef>>> {
        let mut conn = self.pool.get().await?;
        let product: Option<i64> = products::table
            .filter(products::slug.eq(slug))
            .filter(products::status.eq(status::ACTIVE))
            .select(products::id)
            .first(&mut conn)
            .await
            .optional()?;
        let Some(product) = product else {
            return Ok(None);
        };
        let ids: Vec<i64> = variants::table
            .filter(variants::product_id.eq(product))
            .order((variants::position, variants::id))
            .select(variants::id)
            .load(&mut conn)
            .await?;
        Ok(Some(ids.into_iter().map(SellableRef::variant).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_active_products_sell_and_untracked_stock_is_unlimited() {
        assert_eq!(availability("draft", Some(5)), Availability::OffSale);
        assert_eq!(availability("archived", None), Availability::OffSale);
        assert_eq!(availability("active", None), Availability::Unlimited);
        assert_eq!(availability("active", Some(0)), Availability::Limited(0));
    }

    fn ticket(now: DateTime<Utc>) -> TicketRow {
        let starts_at = now + chrono::Duration::days(2);
        TicketRow {
            kind: TicketType {
                id: 1,
                occurrence_id: 7,
                name: "Standard".into(),
                price_cents: 500,
                currency: "GBP".into(),
                quantity: 3,
                available: 3,
                sales_start: None,
                sales_end: None,
                created_at: now,
                updated_at: now,
            },
            date: Occurrence {
                id: 7,
                event_id: 1,
                original_start: starts_at,
                series_version: 1,
                starts_at,
                ends_at: None,
                title: None,
                location: None,
                status: None,
                detached: false,
                removed: false,
                sequence: 0,
                booked: 0,
                updated_at: now,
            },
            event: Event {
                id: 1,
                slug: "harvest-supper".into(),
                title: "Harvest supper".into(),
                description: String::new(),
                location: String::new(),
                starts_at,
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
            },
        }
    }

    #[test]
    fn tickets_sell_inside_their_window_before_the_date_and_not_when_cancelled() {
        use chrono::Duration;
        let now = Utc::now();
        assert_eq!(ticket(now).availability(now), Availability::Limited(3));
        let cases: [fn(&mut TicketRow, DateTime<Utc>); 5] = [
            |t, now| t.kind.sales_start = Some(now + Duration::hours(1)),
            |t, now| t.kind.sales_end = Some(now),
            |t, now| t.date.starts_at = now - Duration::minutes(1),
            |t, _| t.event.status = "cancelled".into(),
            |t, _| t.date.status = Some("cancelled".into()),
        ];
        for change in cases {
            let mut t = ticket(now);
            change(&mut t, now);
            assert_eq!(t.availability(now), Availability::OffSale);
        }
    }

    #[test]
    fn a_ticket_line_names_the_date_in_the_events_time_zone() {
        let mut t = ticket(Utc::now());
        // 18:00 UTC on a summer day is 19:00 in London.
        t.date.starts_at = "2027-07-03T18:00:00Z".parse().unwrap();
        assert_eq!(t.title(), "Harvest supper — Standard, Sat 3 Jul 2027 19:00");
    }
}
