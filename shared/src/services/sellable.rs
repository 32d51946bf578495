//! The `Sellables` contract on the shared database: market variants (with their product's
//! title and status) read from `product_variants` and `products`. Ticket types answer nothing
//! yet (events will add them here, dispatched by kind), so a ticket line shows as gone.

use async_trait::async_trait;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::DbServices;
use crate::AppName;
use crate::contracts::dtos::Money;
use crate::contracts::protocols::ServiceResult;
use crate::contracts::sellable::{Availability, SellableDto, SellableKind, SellableRef, Sellables};
use crate::db::schema::{product_variants as variants, products};
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

#[async_trait]
impl Sellables for DbServices {
    async fn sellables(&self, refs: &[SellableRef]) -> ServiceResult<Vec<SellableDto>> {
        let ids: Vec<i64> = refs
            .iter()
            .filter(|r| r.kind == SellableKind::Variant)
            .map(|r| r.id)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.pool.get().await?;
        let rows: Vec<(Variant, String, String, String)> = variants::table
            .inner_join(products::table)
            .filter(variants::id.eq_any(&ids))
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
}
