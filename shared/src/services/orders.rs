//! The `Orders` contract on the shared database: the cart's `orders` and `order_lines`, read
//! only (the cart alone writes them).

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::DbServices;
use crate::contracts::dtos::Money;
use crate::contracts::orders::{MAX_ORDERS, OrderDto, OrderLineDto, OrderState, Orders};
use crate::contracts::protocols::{ServiceError, ServiceResult};
use crate::db::schema::{order_lines, orders};

/// The columns of an order the contract shows.
type Row = (
    i64,
    String,
    String,
    String,
    i64,
    i64,
    DateTime<Utc>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

/// The orders with their lines, in the rows' order.
async fn with_lines(conn: &mut AsyncPgConnection, rows: Vec<Row>) -> ServiceResult<Vec<OrderDto>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let lines: Vec<(i64, String, i32, i64)> = if ids.is_empty() {
        Vec::new()
    } else {
        order_lines::table
            .filter(order_lines::order_id.eq_any(&ids))
            .order((order_lines::order_id, order_lines::position))
            .select((
                order_lines::order_id,
                order_lines::title,
                order_lines::quantity,
                order_lines::unit_price_cents,
            ))
            .load(conn)
            .await?
    };
    let mut by_order: HashMap<i64, Vec<(String, i32, i64)>> = HashMap::new();
    for (order_id, title, quantity, cents) in lines {
        by_order
            .entry(order_id)
            .or_default()
            .push((title, quantity, cents));
    }
    rows.into_iter()
        .map(
            |(id, reference, state, currency, total, refunded, placed, updated, paid)| {
                let state = OrderState::parse(&state).ok_or_else(|| {
                    ServiceError::Internal(format!("order {reference} has unknown state {state}"))
                })?;
                let money = |cents| Money {
                    cents,
                    currency: currency.clone(),
                };
                let lines = by_order
                    .remove(&id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(title, quantity, cents)| OrderLineDto {
                        title,
                        quantity,
                        unit_price: money(cents),
                    })
                    .collect();
                Ok(OrderDto {
                    total: money(total),
                    refunded: money(refunded),
                    reference,
                    state,
                    placed_at: placed,
                    updated_at: updated,
                    paid_at: paid,
                    lines,
                })
            },
        )
        .collect()
}

#[async_trait]
impl Orders for DbServices {
    async fn orders_of(&self, user_id: i64, limit: i64) -> ServiceResult<Vec<OrderDto>> {
        let mut conn = self.pool.get().await?;
        let rows: Vec<Row> = orders::table
            .filter(orders::user_id.eq(user_id))
            .order(orders::id.desc())
            .limit(limit.clamp(1, MAX_ORDERS))
            .select(COLUMNS)
            .load(&mut conn)
            .await?;
        with_lines(&mut conn, rows).await
    }

    async fn order_of(&self, user_id: i64, reference: &str) -> ServiceResult<Option<OrderDto>> {
        let mut conn = self.pool.get().await?;
        let row: Option<Row> = orders::table
            .filter(orders::reference.eq(reference))
            .filter(orders::user_id.eq(user_id))
            .select(COLUMNS)
            .first(&mut conn)
            .await
            .optional()?;
        Ok(with_lines(&mut conn, row.into_iter().collect())
            .await?
            .pop())
    }
}

const COLUMNS: (
    orders::id,
    orders::reference,
    orders::state,
    orders::currency,
    orders::total_cents,
    orders::refunded_cents,
    orders::created_at,
    orders::updated_at,
    orders::paid_at,
) = (
    orders::id,
    orders::reference,
    orders::state,
    orders::currency,
    orders::total_cents,
    orders::refunded_cents,
    orders::created_at,
    orders::updated_at,
    orders::paid_at,
);
