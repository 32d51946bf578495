//! The `Inventory` contract on the shared database: stock reservations in
//! `inventory_reservations` (one per idempotency key) and their lines, taking stock from
//! `product_variants` with a guarded decrement (`stock >= n`, and the CHECK keeps it at zero
//! or more should anything else try).
//!
//! Lines are locked in variant-id order, so two reservations over the same variants queue
//! rather than deadlock. Each reservation enqueues a [`ReleaseExpiredStock`] job for its expiry
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
use crate::db::schema::product_variants as variants;
use crate::db::schema::{inventory_reservation_lines as lines, inventory_reservations as res};

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

/// Merges repeated variants and sorts by variant id (the lock order); refuses empty lists and
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
        match merged.iter_mut().find(|l| l.variant_id == line.variant_id) {
            Some(l) => {
                l.quantity = l
                    .quantity
                    .checked_add(line.quantity)
                    .ok_or_else(|| ServiceError::Invalid("That quantity is too large.".into()))?
            }
            None => merged.push(*line),
        }
    }
    merged.sort_by_key(|l| l.variant_id);
    Ok(merged)
}

async fn load(conn: &mut AsyncPgConnection, row: Row) -> QueryResult<ReservationDto> {
    let held: Vec<(i64, i32)> = lines::table
        .filter(lines::reservation_id.eq(row.id))
        .order(lines::variant_id)
        .select((lines::variant_id, lines::quantity))
        .load(conn)
        .await?;
    Ok(ReservationDto {
        key: row.key,
        // The column's CHECK admits only the three states.
        state: ReservationState::parse(&row.state).unwrap_or(ReservationState::Released),
        expires_at: row.expires_at,
        lines: held
            .into_iter()
            .map(|(variant_id, quantity)| StockLine {
                variant_id,
                quantity,
            })
            .collect(),
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

/// Puts a released reservation's stock back (untracked variants have none to return).
async fn give_back(conn: &mut AsyncPgConnection, reservation_id: i64) -> QueryResult<()> {
    let held: Vec<(i64, i32)> = lines::table
        .filter(lines::reservation_id.eq(reservation_id))
        .order(lines::variant_id)
        .select((lines::variant_id, lines::quantity))
        .load(conn)
        .await?;
    for (variant_id, quantity) in held {
        diesel::update(variants::table.find(variant_id))
            .filter(variants::stock.is_not_null())
            .set(variants::stock.eq(variants::stock + quantity))
            .execute(conn)
            .await?;
    }
    Ok(())
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
                let Some(id) = id else {
                    let row = locked(conn, key)
                        .await?
                        .ok_or(Abort::Db(diesel::result::Error::NotFound))?;
                    return Ok(load(conn, row).await?);
                };
                for line in &wanted {
                    let taken = diesel::update(variants::table.find(line.variant_id))
                        .filter(
                            variants::stock
                                .is_null()
                                .or(variants::stock.ge(line.quantity)),
                        )
                        .set(variants::stock.eq(variants::stock - line.quantity))
                        .execute(conn)
                        .await?;
                    if taken == 0 {
                        let exists: i64 = variants::table
                            .find(line.variant_id)
                            .count()
                            .get_result(conn)
                            .await?;
                        return Err(if exists == 0 {
                            Abort::Service(ServiceError::NotFound)
                        } else {
                            Abort::Refused(Refusal::OutOfStock {
                                variant_id: line.variant_id,
                            })
                        });
                    }
                    diesel::insert_into(lines::table)
                        .values((
                            lines::reservation_id.eq(id),
                            lines::variant_id.eq(line.variant_id),
                            lines::quantity.eq(line.quantity),
                        ))
                        .execute(conn)
                        .await?;
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
        StockLine {
            variant_id,
            quantity,
        }
    }

    #[test]
    fn lines_are_merged_and_sorted_for_the_lock_order() {
        let merged = normalise(&[line(9, 1), line(3, 2), line(9, 4)]).unwrap();
        assert_eq!(merged, [line(3, 2), line(9, 5)]);
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
