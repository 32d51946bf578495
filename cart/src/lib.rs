//! The cart: a cart per member (or per anonymous visitor of the cart app) whose lines name
//! sellable items (market variants; events ticket types later) through the `Sellables`
//! contract, checkout into orders (idempotent per cart version, prices snapshotted, stock held
//! through `Inventory` until payment or expiry), SumUp payments verified only by our own
//! `GET`, refunds, receipts, and order pages for buyers and admins.
//!
//! Laid out as the reference app shape (see `events/src/lib.rs`): `routes/` (cart, checkout,
//! orders, admin, webhook), `views.rs`, `domain/` (lines and their flags, checkout, payments,
//! the order state machine, `CartError`), `db/` (orders), `jobs.rs` (verify, expire, stock,
//! receipt), `sumup.rs` (SumUp's wire format), `config.rs` and `state.rs`.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod account_deletion;
mod config;
pub mod db;
mod domain;
mod fragments;
mod jobs;
mod routes;
mod state;
mod sumup;
mod views;

use futures_util::future::LocalBoxFuture;
use include_dir::{Dir, include_dir};
use shared::contracts::sellable::SellableRef;
use shared::infrastructure::fragment_catalog;
use shared::infrastructure::session::Session;
use shared::models::cart::{self, CartOwner};
use shared::{AppContext, AppError, AppName, AppSpec, Viewer};

pub use routes::WEBHOOK;

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

pub static APP: AppSpec = AppSpec {
    configure,
    fragments: fragments::configure,
    on_sign_in: merge_on_sign_in,
    jobs: jobs::registry,
    background,
    start: state::start,
    config_variables: config::VARIABLES,
    // Market pages post "add to cart" here.
    cross_app_forms: &[shared::infrastructure::link_catalog::routes::CART_ITEMS],
    actor: shared::infrastructure::app::ActorProfile {
        kind: "Service",
        summary: "The cooperative's shop till.",
    },
    ..AppSpec::new(AppName::Cart, &TEMPLATES)
};

/// Payment reconciliation, and the bus consumer that applies account deletions.
fn background(ctx: &AppContext) -> Vec<shared::infrastructure::background::Task> {
    let mut tasks = jobs::start_reconciling(ctx);
    tasks.push(account_deletion::consume(ctx));
    tasks
}

/// Signing in adopts the visitor's anonymous cart: its lines are added to the member's cart
/// (quantities summed, capped), and the anonymous cart goes. A member's cart frozen in
/// checkout is left alone (the anonymous lines stay with the old session).
fn merge_on_sign_in<'a>(
    ctx: &'a AppContext,
    old: Option<&'a Session>,
    user_id: i64,
) -> LocalBoxFuture<'a, ()> {
    Box::pin(async move {
        let Some(old) = old.filter(|s| s.data.user_id.is_none()) else {
            return;
        };
        if let Err(e) = merge(ctx, &old.id, user_id).await {
            tracing::warn!(error = %e, "could not merge the anonymous cart");
        }
    })
}

async fn merge(ctx: &AppContext, session_id: &str, user_id: i64) -> Result<(), AppError> {
    let mut conn = ctx.conn().await?;
    let Some(anonymous) = cart::find(&mut conn, &routes::anonymous_owner(session_id)).await? else {
        return Ok(());
    };
    if anonymous.checkout_order_id.is_some() {
        return Ok(());
    }
    let items = cart::items(&mut conn, anonymous.id).await?;
    let mine = cart::find_or_create(&mut conn, &CartOwner::User(user_id)).await?;
    if mine.checkout_order_id.is_some() {
        return Ok(());
    }
    for item in &items {
        let (Some(what), Some(seen)) = (item.item(), item.seen_price()) else {
            continue;
        };
        let what: SellableRef = what;
        cart::add_line(&mut conn, mine.id, what, item.quantity, &seen).await?;
    }
    cart::delete(&mut conn, anonymous.id).await?;
    drop(conn);
    ctx.fragments()
        .purge(&fragment_catalog::mini_cart(Viewer::User(user_id)))
        .await?;
    Ok(())
}

fn configure(cfg: &mut actix_web::web::ServiceConfig, _ctx: &AppContext) {
    routes::configure(cfg);
}
