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

/// A ticket type with what decides whether it is on sale and how its line reads.
#[derive(Queryable)]
struct TicketRow {
    id: i64,
    name: String,
    price_cents: i64,
    currency: String,
    available: i32,
    sales_start: Option<DateTime<Utc>>,
    sales_end: Option<DateTime<Utc>>,
    starts_at: DateTime<Utc>,
    date_title: Option<String>,
    date_status: Option<String>,
    removed: bool,
    event_title: String,
    event_slug: String,
    event_status: String,
    time_zone: String,
}

impl TicketRow {
    /// On sale: inside its window, before the date starts, nothing cancelled.
    fn availability(&self, now: DateTime<Utc>) -> Availability {
        let cancelled = self.event_status == "cancelled"
            || self.date_status.as_deref() == Some("cancelled")
            || self.removed;
        let outside = self.sales_start.is_some_and(|s| s > now)
            || self.sales_end.is_some_and(|e| e <= now)
            || self.starts_at <= now;
        if cancelled || outside {
            Availability::OffSale
        } else {
            Availability::Limited(self.available.max(0))
        }
    }

    /// "Harvest supper — Standard, Sat 6 Dec 2026 19:00" (in the event's own time zone).
    fn title(&self) -> String {
        let when = match self.time_zone.parse::<chrono_tz::Tz>() {
            Ok(tz) => self
                .starts_at
                .with_timezone(&tz)
                .format(DATE_FORMAT)
                .to_string(),
            Err(_) => self.starts_at.format(DATE_FORMAT).to_string(),
        };
        let title = self.date_title.as_deref().unwrap_or(&self.event_title);
        format!("{title} — {}, {when}", self.name)
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
        let rows: Vec<TicketRow> = ticket_types::table
            .inner_join(occurrences::table.inner_join(events::table))
            .filter(ticket_types::id.eq_any(ids))
            .select((
                ticket_types::id,
                ticket_types::name,
                ticket_types::price_cents,
                ticket_types::currency,
                ticket_types::available,
                ticket_types::sales_start,
                ticket_types::sales_end,
                occurrences::starts_at,
                occurrences::title,
                occurrences::status,
                occurrences::removed,
                events::title,
                events::slug,
                events::status,
                events::time_zone,
            ))
            .load(&mut conn)
            .await?;
        let now = Utc::now();
        Ok(rows
            .into_iter()
            .map(|t| SellableDto {
                item: SellableRef::ticket(t.id),
                title: t.title(),
                availability: t.availability(now),
                unit_price: Money {
                    cents: t.price_cents,
                    currency: t.currency.clone(),
                },
                app: AppName::Events,
                path: crate::infrastructure::link_catalog::event(&t.event_slug).path,
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
        TicketRow {
            id: 1,
            name: "Standard".into(),
            price_cents: 500,
            currency: "GBP".into(),
            available: 3,
            sales_start: None,
            sales_end: None,
            starts_at: now + chrono::Duration::days(2),
            date_title: None,
            date_status: None,
            removed: false,
            event_title: "Harvest supper".into(),
            event_slug: "harvest-supper".into(),
            event_status: "confirmed".into(),
            time_zone: "Europe/London".into(),
        }
    }

    #[test]
    fn tickets_sell_inside_their_window_before_the_date_and_not_when_cancelled() {
        use chrono::Duration;
        let now = Utc::now();
        assert_eq!(ticket(now).availability(now), Availability::Limited(3));
        let cases: [fn(&mut TicketRow, DateTime<Utc>); 5] = [
            |t, now| t.sales_start = Some(now + Duration::hours(1)),
            |t, now| t.sales_end = Some(now),
            |t, now| t.starts_at = now - Duration::minutes(1),
            |t, _| t.event_status = "cancelled".into(),
            |t, _| t.date_status = Some("cancelled".into()),
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
        t.starts_at = "2027-07-03T18:00:00Z".parse().unwrap();
        assert_eq!(t.title(), "Harvest supper — Standard, Sat 3 Jul 2027 19:00");
    }
}
