//! The `Inventory` contract on the shared database: reservations in `inventory_reservations`
//! (one per idempotency key) and their lines, taking stock from `product_variants`
//! (`inventory_reservation_lines`) and seats from `event_ticket_types`
//! (`inventory_reservation_seats`), each with a guarded decrement (`stock >= n`, and the
//! CHECKs keep both at zero or more should anything else try). A ticket type's seats are
//! taken only while it is on sale: inside its sales window, before its date starts, and
//! neither the date nor its event cancelled.
//!
//! Lines are locked in (kind, id) order, so two reservations over the same items queue rather
//! than deadlock. Each reservation enqueues a [`ReleaseExpiredStock`] job for its expiry
//! in the same transaction; market's job runner works it (market's `jobs.rs` registers it).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::DbServices;
use crate::contracts::inventory::{
    Inventory, Refusal, ReservationDto, ReservationState, StockLine,
};
use crate::contracts::protocols::{ServiceError, ServiceResult};
use crate::contracts::sellable::{SellableKind, SellableRef};
use crate::db::schema::{event_ticket_types as ticket_types, product_variants as variants};
use crate::db::schema::{
    inventory_reservation_lines as lines, inventory_reservation_seats as seats,
    inventory_reservations as res,
};

/// Most reservations one sweep of [`Inventory::release_expired`] releases.
const SWEEP: i64 = 1000;

/// Releases held reservations past their expiry. Enqueued by each reservation for its expiry
/// time; a sweep releases every expired one, so a job that runs late (or twice) is harmless.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ReleaseExpiredStock {
    pub key: String,
}

impl crate::jobs::Job for ReleaseExpiredStock {
    const JOB_TYPE: &'static str = "market.release_expired_stock";
    const PRIORITY: i16 = 10;
    type Context = crate::AppContext;

    async fn run(&self, ctx: &crate::AppContext) -> Result<(), crate::jobs::JobError> {
        ctx.registry()
            .inventory
            .release_expired(Utc::now())
            .await
            .map(drop)
            .map_err(crate::jobs::JobError::failed)
    }
}

/// A transaction's way out: the database failed, or the contract refused (and the
/// transaction rolls back, so a refused reservation takes nothing).
#[derive(Debug)]
enum Abort {
    Db(diesel::result::Error),
    Refused(Refusal),
    Service(ServiceError),
    Enqueue(crate::jobs::EnqueueError),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Db(e)
    }
}

fn finish<T>(r: Result<T, Abort>) -> ServiceResult<Result<T, Refusal>> {
    match r {
        Ok(v) => Ok(Ok(v)),
        Err(Abort::Refused(why)) => Ok(Err(why)),
        Err(Abort::Db(e)) => Err(e.into()),
        Err(Abort::Service(e)) => Err(e),
        Err(Abort::Enqueue(e)) => Err(ServiceError::Internal(e.to_string())),
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = res)]
struct Row {
    id: i64,
    key: String,
    state: String,
    expires_at: DateTime<Utc>,
}

/// Merges repeated items and sorts them by (kind, id) (the lock order); refuses empty lists and
/// quantities below one.
fn normalise(requested: &[StockLine]) -> Result<Vec<StockLine>, ServiceError> {
    if requested.is_empty() {
        return Err(ServiceError::Invalid(
            "A reservation needs at least one line.".into(),
        ));
    }
    let mut merged: Vec<StockLine> = Vec::with_capacity(requested.len());
    for line in requested {
        if line.quantity < 1 {
            return Err(ServiceError::Invalid("Quantities start at one.".into()));
        }
        match merged.iter_mut().find(|l| l.item == line.item) {
            Some(l) => {
                l.quantity = l
                    .quantity
                    .checked_add(line.quantity)
                    .ok_or_else(|| ServiceError::Invalid("That quantity is too large.".into()))?
            }
            None => merged.push(*line),
        }
    }
    merged.sort_by_key(|l| l.item);
    Ok(merged)
}

/// A reservation's lines: its variants, then its ticket types (the lock order).
async fn held(conn: &mut AsyncPgConnection, reservation_id: i64) -> QueryResult<Vec<StockLine>> {
    let goods: Vec<(i64, i32)> = lines::table
        .filter(lines::reservation_id.eq(reservation_id))
        .order(lines::variant_id)
        .select((lines::variant_id, lines::quantity))
        .load(conn)
        .await?;
    let tickets: Vec<(i64, i32)> = seats::table
        .filter(seats::reservation_id.eq(reservation_id))
        .order(seats::ticket_type_id)
        .select((seats::ticket_type_id, seats::quantity))
        .load(conn)
        .await?;
    let line = |kind, (id, quantity)| StockLine::new(SellableRef { kind, id }, quantity);
    Ok(goods
        .into_iter()
        .map(|g| line(SellableKind::Variant, g))
        .chain(tickets.into_iter().map(|t| line(SellableKind::Ticket, t)))
        .collect())
}

async fn load(conn: &mut AsyncPgConnection, row: Row) -> QueryResult<ReservationDto> {
    let lines = held(conn, row.id).await?;
    Ok(ReservationDto {
        key: row.key,
        // The column's CHECK admits only the three states.
        state: ReservationState::parse(&row.state).unwrap_or(ReservationState::Released),
        expires_at: row.expires_at,
        lines,
    })
}

async fn locked(conn: &mut AsyncPgConnection, key: &str) -> QueryResult<Option<Row>> {
    res::table
        .filter(res::key.eq(key))
        .select(Row::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Puts a released reservation's stock and seats back (untracked variants have none to
/// return).
async fn give_back(conn: &mut AsyncPgConnection, reservation_id: i64) -> QueryResult<()> {
    for line in held(conn, reservation_id).await? {
        match line.item.kind {
            SellableKind::Variant => {
                diesel::update(variants::table.find(line.item.id))
                    .filter(variants::stock.is_not_null())
                    .set(variants::stock.eq(variants::stock + line.quantity))
                    .execute(conn)
                    .await?;
            }
            SellableKind::Ticket => {
                diesel::update(ticket_types::table.find(line.item.id))
                    .set(ticket_types::available.eq(ticket_types::available + line.quantity))
                    .execute(conn)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Takes `quantity` of a variant's stock (none counted: nothing to take); `false` when there
/// is not enough.
async fn take_stock(conn: &mut AsyncPgConnection, id: i64, quantity: i32) -> QueryResult<bool> {
    let taken = diesel::update(variants::table.find(id))
        .filter(variants::stock.is_null().or(variants::stock.ge(quantity)))
        .set(variants::stock.eq(variants::stock - quantity))
        .execute(conn)
        .await?;
    Ok(taken == 1)
}

/// Takes `quantity` seats of a ticket type while it is on sale; `false` when there are not
/// enough or it is not on sale now.
async fn take_seats(conn: &mut AsyncPgConnection, id: i64, quantity: i32) -> QueryResult<bool> {
    use diesel::sql_types::{Int4, Int8};
    let taken = diesel::sql_query(
        "UPDATE event_ticket_types t SET available = t.available - $2 \
         FROM event_occurrences o JOIN events e ON e.id = o.event_id \
         WHERE t.id = $1 AND o.id = t.occurrence_id AND t.available >= $2 \
           AND (t.sales_start IS NULL OR t.sales_start <= now()) \
           AND (t.sales_end IS NULL OR t.sales_end > now()) AND o.starts_at > now() \
           AND NOT o.removed AND e.status <> 'cancelled' \
           AND COALESCE(o.status, '') <> 'cancelled'",
    )
    .bind::<Int8, _>(id)
    .bind::<Int4, _>(quantity)
    .execute(conn)
    .await?;
    Ok(taken == 1)
}

/// Whether the item exists at all (to tell "gone" from "sold out").
async fn exists(conn: &mut AsyncPgConnection, item: SellableRef) -> QueryResult<bool> {
    let n: i64 = match item.kind {
        SellableKind::Variant => {
            variants::table
                .find(item.id)
                .count()
                .get_result(conn)
                .await?
        }
        SellableKind::Ticket => {
            ticket_types::table
                .find(item.id)
                .count()
                .get_result(conn)
                .await?
        }
    };
    Ok(n > 0)
}

async fn set_state(
    conn: &mut AsyncPgConnection,
    id: i64,
    state: ReservationState,
) -> QueryResult<()> {
    diesel::update(res::table.find(id))
        .set(res::state.eq(state.as_str()))
        .execute(conn)
        .await
        .map(drop)
}

#[async_trait]
impl Inventory for DbServices {
    async fn reserve(
        &self,
        key: &str,
        requested: &[StockLine],
        expires_at: DateTime<Utc>,
    ) -> ServiceResult<Result<ReservationDto, Refusal>> {
        if key.is_empty() || key.len() > 200 {
            return Err(ServiceError::Invalid(
                "A reservation key has 1 to 200 characters.".into(),
            ));
        }
        let wanted = normalise(requested)?;
        let mut conn = self.pool.get().await?;
        let result = conn
            .transaction(async |conn| {
                // A second call with the key waits here for the first to commit, then finds it.
                let id: Option<i64> = diesel::insert_into(res::table)
                    .values((res::key.eq(key), res::expires_at.eq(expires_at)))
                    .on_conflict(res::key)
                    .do_nothing()
                    .returning(res::id)
                    .get_result(conn)
                    .await
                    .optional()?;
                let Some(id_of_reservation) = id else {
                    let row = locked(conn, key)
                        .await?
                        .ok_or(Abort::Db(diesel::result::Error::NotFound))?;
                    return Ok(load(conn, row).await?);
                };
                for line in &wanted {
                    let (id, quantity) = (line.item.id, line.quantity);
                    let taken = match line.item.kind {
                        SellableKind::Variant => take_stock(conn, id, quantity).await?,
                        SellableKind::Ticket => take_seats(conn, id, quantity).await?,
                    };
                    if !taken {
                        return Err(if exists(conn, line.item).await? {
                            Abort::Refused(Refusal::OutOfStock { item: line.item })
                        } else {
                            Abort::Service(ServiceError::NotFound)
                        });
                    }
                    match line.item.kind {
                        SellableKind::Variant => {
                            diesel::insert_into(lines::table)
                                .values((
                                    lines::reservation_id.eq(id_of_reservation),
                                    lines::variant_id.eq(id),
                                    lines::quantity.eq(quantity),
                                ))
                                .execute(conn)
                                .await?
                        }
                        SellableKind::Ticket => {
                            diesel::insert_into(seats::table)
                                .values((
                                    seats::reservation_id.eq(id_of_reservation),
                                    seats::ticket_type_id.eq(id),
                                    seats::quantity.eq(quantity),
                                ))
                                .execute(conn)
                                .await?
                        }
                    };
                }
                crate::jobs::enqueue_with(
                    conn,
                    &ReleaseExpiredStock {
                        key: key.to_owned(),
                    },
                    crate::jobs::Enqueue::default().run_at(expires_at),
                )
                .await
                .map_err(Abort::Enqueue)?;
                Ok(ReservationDto {
                    key: key.to_owned(),
                    state: ReservationState::Held,
                    expires_at,
                    lines: wanted.clone(),
                })
            })
            .await;
        finish(result)
    }

    async fn commit(&self, key: &str) -> ServiceResult<Result<ReservationDto, Refusal>> {
        let mut conn = self.pool.get().await?;
        let result = conn
            .transaction(async |conn| {
                let row = locked(conn, key)
                    .await?
                    .ok_or(Abort::Service(ServiceError::NotFound))?;
                match ReservationState::parse(&row.state) {
                    Some(ReservationState::Held) => {
                        // Still set aside (not yet swept), so a late payment keeps its stock.
                        set_state(conn, row.id, ReservationState::Committed).await?;
                    }
                    Some(ReservationState::Committed) => {}
                    _ => return Err(Abort::Refused(Refusal::AlreadyReleased)),
                }
                let row = locked(conn, key)
                    .await?
                    .ok_or(Abort::Db(diesel::result::Error::NotFound))?;
                Ok(load(conn, row).await?)
            })
            .await;
        finish(result)
    }

    async fn release(&self, key: &str) -> ServiceResult<ReservationDto> {
        let mut conn = self.pool.get().await?;
        let result = conn
            .transaction(async |conn| {
                let row = locked(conn, key)
                    .await?
                    .ok_or(Abort::Service(ServiceError::NotFound))?;
                if row.state == ReservationState::Held.as_str() {
                    give_back(conn, row.id).await?;
                    set_state(conn, row.id, ReservationState::Released).await?;
                }
                let row = locked(conn, key)
                    .await?
                    .ok_or(Abort::Db(diesel::result::Error::NotFound))?;
                Ok(load(conn, row).await?)
            })
            .await;
        match finish(result)? {
            Ok(dto) => Ok(dto),
            // `release` never refuses.
            Err(_) => Err(ServiceError::Internal("release refused".into())),
        }
    }

    async fn release_expired(&self, now: DateTime<Utc>) -> ServiceResult<u64> {
        let mut conn = self.pool.get().await?;
        let released = conn
            .transaction(async |conn| {
                // Rows another sweep (or a commit) holds are skipped, not waited for.
                let expired: Vec<i64> = res::table
                    .filter(res::state.eq(ReservationState::Held.as_str()))
                    .filter(res::expires_at.lt(now))
                    .order(res::id)
                    .limit(SWEEP)
                    .select(res::id)
                    .for_update()
                    .skip_locked()
                    .load(conn)
                    .await?;
                for id in &expired {
                    give_back(conn, *id).await?;
                    set_state(conn, *id, ReservationState::Released).await?;
                }
                Ok::<_, diesel::result::Error>(expired.len() as u64)
            })
            .await?;
        Ok(released)
    }

    async fn reservation(&self, key: &str) -> ServiceResult<Option<ReservationDto>> {
        let mut conn = self.pool.get().await?;
        let row = res::table
            .filter(res::key.eq(key))
            .select(Row::as_select())
            .first(&mut conn)
            .await
            .optional()?;
        Ok(match row {
            Some(row) => Some(load(&mut conn, row).await?),
            None => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(variant_id: i64, quantity: i32) -> StockLine {
        StockLine::new(SellableRef::variant(variant_id), quantity)
    }

    fn seats(ticket_type_id: i64, quantity: i32) -> StockLine {
        StockLine::new(SellableRef::ticket(ticket_type_id), quantity)
    }

    #[test]
    fn lines_are_merged_and_sorted_for_the_lock_order() {
        let merged = normalise(&[line(9, 1), seats(1, 2), line(3, 2), line(9, 4)]).unwrap();
        assert_eq!(merged, [line(3, 2), line(9, 5), seats(1, 2)]);
    }

    #[test]
    fn empty_or_non_positive_lines_are_invalid() {
        assert!(matches!(normalise(&[]), Err(ServiceError::Invalid(_))));
        assert!(matches!(
            normalise(&[line(1, 0)]),
            Err(ServiceError::Invalid(_))
        ));
        assert!(matches!(
            normalise(&[line(1, i32::MAX), line(1, 1)]),
            Err(ServiceError::Invalid(_))
        ));
    }
}
