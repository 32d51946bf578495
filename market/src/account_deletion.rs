//! What the market does with an `AccountDeleted` (its bus consumer is in `consumers`).
//! Policy: the member stops owning their stalls. A stall someone else still owns carries on unchanged. A stall the member ran alone stays
//! (its page and past orders' lines still name it) but stops selling: its live products are
//! archived, each with the `Delete` of its Note recorded in the outbox as an archive from the
//! product form would, and the stall's contact line (the member's way of being reached) is
//! cleared. One transaction, in this order: sole-owned stalls found, their products archived,
//! their contact cleared, the member's ownership rows removed (explicitly, not by
//! `stall_owners.user_id`'s cascade); then the page cache is purged. Idempotent: a second
//! run finds no ownership left.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use shared::contracts::events::AccountDeleted;
use shared::db::schema::{products, stall_owners, stalls};
use shared::models::market::{Product, status};
use shared::{AppContext, AppError};

use crate::domain::federate;

pub async fn account_deleted(ctx: &AppContext, event: AccountDeleted) -> Result<(), AppError> {
    let user_id = event.user_id;
    let config = ctx.config();
    let mut conn = ctx.conn().await?;
    let (stalls_left, archived) = conn
        .transaction(async |conn| {
            let owned: Vec<i64> = stall_owners::table
                .filter(stall_owners::user_id.eq(user_id))
                .select(stall_owners::stall_id)
                .for_update()
                .load(conn)
                .await?;
            let co_owned: Vec<i64> = stall_owners::table
                .filter(stall_owners::stall_id.eq_any(&owned))
                .filter(stall_owners::user_id.ne(user_id))
                .select(stall_owners::stall_id)
                .load(conn)
                .await?;
            let alone: Vec<i64> = owned
                .iter()
                .copied()
                .filter(|s| !co_owned.contains(s))
                .collect();
            let live: Vec<Product> = products::table
                .filter(products::stall_id.eq_any(&alone))
                .filter(products::status.eq(status::ACTIVE))
                .select(Product::as_select())
                .for_update()
                .load(conn)
                .await?;
            for product in &live {
                federate::deleted(conn, config, product).await?;
            }
            let archived = diesel::update(
                products::table.filter(products::id.eq_any(live.iter().map(|p| p.id))),
            )
            .set(products::status.eq(status::ARCHIVED))
            .execute(conn)
            .await?;
            diesel::update(stalls::table.filter(stalls::id.eq_any(&alone)))
                .set(stalls::contact.eq(""))
                .execute(conn)
                .await?;
            diesel::delete(stall_owners::table.filter(stall_owners::user_id.eq(user_id)))
                .execute(conn)
                .await?;
            Ok::<_, AppError>((owned.len(), archived))
        })
        .await?;
    if stalls_left > 0 {
        // Cached stall and product pages must not go on offering what stopped selling.
        crate::page_cache::purge_all(ctx).await;
    }
    tracing::info!(user_id, stalls_left, archived, "former member's stalls");
    Ok(())
}
