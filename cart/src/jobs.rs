//! The cart's jobs, each enqueued in the transaction of the change that causes it and safe to
//! run twice:
//! - [`VerifyCheckout`]: a webhook said a checkout changed; ask SumUp and apply its answer.
//! - [`ExpireOrder`]: an order's hold ran out; re-check, deactivate the SumUp checkout, cancel.
//! - [`CommitStock`] / [`ReleaseStock`]: a paid order keeps its stock, a cancelled one gives
//!   it back (through the `Inventory` contract, idempotent by key).
//! - [`SendReceipt`]: the buyer's receipt (text and HTML) with the order's signed link.
//! - [`ReconcileCheckouts`]: every `SUMUP_RECONCILE_SECONDS`, a [`VerifyCheckout`] for each
//!   checkout still pending that has had no news for as long (a lost webhook changes nothing
//!   for long); one pending instance, queued by the cart's start-up ([`start_reconciling`])
//!   and by each run for the next.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection};
use shared::AppContext;
use shared::contracts::dtos::Money;
use shared::infrastructure::background::Task;
use shared::infrastructure::mail::{Email, Mailer};
use shared::jobs::{self, Enqueue, EnqueueError, Job, JobError, JobRegistry, OnDuplicate};

use crate::db::orders;
use crate::domain::CartError;
use crate::domain::payments::{self, Outcome};
use crate::domain::state::Actor;
use crate::state::CartState;

pub fn registry() -> JobRegistry<AppContext> {
    JobRegistry::new()
        .register::<VerifyCheckout>()
        .register::<ExpireOrder>()
        .register::<CommitStock>()
        .register::<ReleaseStock>()
        .register::<SendReceipt>()
        .register::<ReconcileCheckouts>()
}

fn state(ctx: &AppContext) -> Result<std::sync::Arc<CartState>, JobError> {
    ctx.state::<CartState>()
        .ok_or_else(|| JobError::failed("the cart's state is not built yet"))
}

fn failed(e: CartError) -> JobError {
    match e {
        CartError::SumUp(ref s) if !s.is_retryable() => JobError::Permanent(e.to_string()),
        CartError::NoSuchOrder => JobError::Permanent(e.to_string()),
        other => JobError::failed(other),
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct VerifyCheckout {
    pub checkout_id: String,
}

impl Job for VerifyCheckout {
    const JOB_TYPE: &'static str = "cart.verify_checkout";
    const PRIORITY: i16 = 30;
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        let state = state(ctx)?;
        let outcome = payments::verify(ctx, &state, &self.checkout_id)
            .await
            .map_err(failed)?;
        tracing::info!(checkout = %self.checkout_id, ?outcome, "SumUp checkout verified");
        Ok(())
    }
}

/// Queues the verification of a checkout unless one is pending (a job already running may
/// have read older news, so it does not count).
pub async fn verify_later(
    conn: &mut AsyncPgConnection,
    checkout_id: &str,
) -> Result<(), EnqueueError> {
    jobs::enqueue_with(
        conn,
        &VerifyCheckout {
            checkout_id: checkout_id.to_owned(),
        },
        Enqueue::default().dedupe(checkout_id, OnDuplicate::Keep),
    )
    .await
    .map(drop)
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ExpireOrder {
    pub order_id: i64,
}

impl Job for ExpireOrder {
    const JOB_TYPE: &'static str = "cart.expire_order";
    const PRIORITY: i16 = 20;
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        let state = state(ctx)?;
        let outcome = payments::give_up(
            ctx,
            &state,
            self.order_id,
            Actor::System,
            "Not paid in time: stock released, payment closed.",
        )
        .await
        .map_err(failed)?;
        if outcome == Outcome::Mismatch {
            tracing::warn!(order = self.order_id, "expiry found a mismatching checkout");
        }
        Ok(())
    }
}

/// [`order`] on a connection of its own.
async fn order_of(ctx: &AppContext, id: i64) -> Result<orders::Order, JobError> {
    let mut conn = ctx.db().get().await.map_err(JobError::failed)?;
    order(&mut conn, id).await
}

/// The order a job is about; gone is permanent (retrying cannot bring it back).
async fn order(
    conn: &mut diesel_async::AsyncPgConnection,
    id: i64,
) -> Result<orders::Order, JobError> {
    orders::by_id(conn, id)
        .await?
        .ok_or_else(|| JobError::Permanent("no such order".into()))
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct CommitStock {
    pub order_id: i64,
}

impl Job for CommitStock {
    const JOB_TYPE: &'static str = "cart.commit_stock";
    const PRIORITY: i16 = 25;
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        let order = order_of(ctx, self.order_id).await?;
        match ctx
            .registry()
            .inventory
            .commit(&order.reservation_key)
            .await
            .map_err(JobError::failed)?
        {
            Ok(_) => Ok(()),
            Err(refusal) => {
                // Paid after the hold was swept: the sale stands, stock needs a look.
                tracing::error!(order = %order.reference, ?refusal, "a paid order's stock was already released");
                Ok(())
            }
        }
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ReleaseStock {
    pub order_id: i64,
}

impl Job for ReleaseStock {
    const JOB_TYPE: &'static str = "cart.release_stock";
    const PRIORITY: i16 = 25;
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        let order = order_of(ctx, self.order_id).await?;
        match ctx
            .registry()
            .inventory
            .release(&order.reservation_key)
            .await
        {
            Ok(_) | Err(shared::contracts::protocols::ServiceError::NotFound) => Ok(()),
            Err(e) => Err(JobError::failed(e)),
        }
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct SendReceipt {
    pub order_id: i64,
}

#[derive(serde::Serialize)]
struct ReceiptLine {
    title: String,
    quantity: i32,
    unit_price: String,
    total: String,
}

impl Job for SendReceipt {
    const JOB_TYPE: &'static str = "cart.send_receipt";
    const PRIORITY: i16 = 20;
    const MAX_ATTEMPTS: i32 = 12;
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        let (order, lines) = {
            let mut conn = ctx.db().get().await.map_err(JobError::failed)?;
            let order = order(&mut conn, self.order_id).await?;
            let lines = orders::lines(&mut conn, order.id).await?;
            (order, lines)
        };
        let money = |cents: i64| {
            Money {
                cents,
                currency: order.currency.clone(),
            }
            .to_string()
        };
        let link = crate::domain::checkout::order_link(ctx, &order).map_err(failed)?;
        let mut context = tera::Context::new();
        context.insert("reference", &order.reference);
        context.insert("name", &order.contact_name);
        context.insert("total", &money(order.total_cents));
        context.insert("link", &link);
        context.insert("fulfilment", &order.fulfilment);
        context.insert(
            "lines",
            &lines
                .iter()
                .map(|l| ReceiptLine {
                    title: l.title.clone(),
                    quantity: l.quantity,
                    unit_price: money(l.unit_price_cents),
                    total: money(l.unit_price_cents.saturating_mul(i64::from(l.quantity))),
                })
                .collect::<Vec<_>>(),
        );
        let render = |name: &str| {
            ctx.templates()
                .render(name, &context)
                .map_err(|e| JobError::Permanent(format!("{name}: {e}")))
        };
        let email = Email {
            to: order.email.clone(),
            subject: format!("Your receipt for order {}", order.reference),
            text: render("mail/receipt.txt")?,
            html: Some(render("mail/receipt.html")?),
            ..Email::default()
        };
        let mailer =
            Mailer::from_config(ctx.config()).map_err(|e| JobError::Permanent(e.to_string()))?;
        mailer.send_email(&email).await.map_err(JobError::failed)
    }
}

/// The reconciliation's dedupe key: one pending run in the fleet.
const RECONCILE_KEY: &str = "reconcile";

/// Checkouts verified per transaction of the reconciliation.
const RECONCILE_PAGE: i64 = 500;

/// Re-checks the checkouts SumUp has told us nothing about for a while (its webhook lost, or
/// refused while we were down), then queues the next run.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ReconcileCheckouts {}

impl Job for ReconcileCheckouts {
    const JOB_TYPE: &'static str = "cart.reconcile_checkouts";
    const PRIORITY: i16 = 10;
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        let state = state(ctx)?;
        if state.sumup.is_none() {
            // Payments closed since it was queued: nothing to reconcile, no next run.
            return Ok(());
        }
        let every = state.config.reconcile;
        let now = chrono::Utc::now();
        let mut conn = ctx.db().get().await.map_err(JobError::failed)?;
        // The next run first, so a failure here (retried) does not end the chain.
        schedule_reconcile(&mut conn, now + every)
            .await
            .map_err(JobError::failed)?;
        let quiet_since = now - every;
        let mut after = 0;
        let mut queued = 0;
        loop {
            let page = conn
                .transaction(async |conn| {
                    let page =
                        orders::awaiting_payment(conn, quiet_since, after, RECONCILE_PAGE).await?;
                    for (_, checkout_id) in &page {
                        verify_later(conn, checkout_id)
                            .await
                            .map_err(JobError::failed)?;
                    }
                    Ok::<_, JobError>(page)
                })
                .await?;
            queued += page.len();
            match page.last() {
                Some((id, _)) if page.len() as i64 == RECONCILE_PAGE => after = *id,
                _ => break,
            }
        }
        if queued > 0 {
            tracing::info!(
                checkouts = queued,
                "reconciliation: pending checkouts re-checked"
            );
        }
        Ok(())
    }
}

/// Queues the reconciliation for `at` unless a run is pending already.
async fn schedule_reconcile(
    conn: &mut AsyncPgConnection,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), EnqueueError> {
    jobs::enqueue_with(
        conn,
        &ReconcileCheckouts {},
        Enqueue::default()
            .run_at(at)
            .dedupe(RECONCILE_KEY, OnDuplicate::Keep),
    )
    .await
    .map(drop)
}

/// The cart's background task: makes sure a reconciliation run is queued (due now, so a cart
/// that was down re-checks at once what it may have missed), when payments are configured.
/// Retried until the database takes it (at first start-up the tables may not be migrated yet).
pub fn start_reconciling(ctx: &AppContext) -> Vec<Task> {
    let ctx = ctx.clone();
    vec![Box::pin(async move {
        let payments = ctx.state::<CartState>().is_some_and(|s| s.sumup.is_some());
        if !payments {
            return;
        }
        let mut shutdown = ctx.shutdown_signal();
        loop {
            let queued = match ctx.db().get().await {
                Ok(mut conn) => schedule_reconcile(&mut conn, chrono::Utc::now())
                    .await
                    .map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match queued {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(%error, "could not queue the checkout reconciliation; retrying")
                }
            }
            tokio::select! {
                _ = shutdown.changed() => return,
                () = tokio::time::sleep(Duration::from_secs(5)) => {}
            }
        }
    })]
}
