//! Orders, their snapshot lines, their history and their refunds.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::schema::{order_history, order_lines, order_refunds, orders};

use crate::domain::state::{Actor, OrderState};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = orders)]
pub struct Order {
    pub id: i64,
    pub reference: String,
    pub idempotency_key: String,
    pub cart_id: Option<i64>,
    pub user_id: Option<i64>,
    pub email: String,
    pub contact_name: String,
    pub fulfilment: String,
    pub address: String,
    pub state: String,
    pub currency: String,
    pub total_cents: i64,
    pub refunded_cents: i64,
    pub reservation_key: String,
    pub expires_at: DateTime<Utc>,
    pub sumup_checkout_id: Option<String>,
    pub hosted_checkout_url: Option<String>,
    pub sumup_transaction_id: Option<String>,
    pub access_digest: String,
    pub paid_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Order {
    /// The stored state (the column's CHECK admits only known states).
    pub fn state(&self) -> OrderState {
        OrderState::parse(&self.state).unwrap_or(OrderState::Cancelled)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = orders)]
pub struct NewOrder<'a> {
    pub reference: &'a str,
    pub idempotency_key: &'a str,
    pub cart_id: Option<i64>,
    pub user_id: Option<i64>,
    pub email: &'a str,
    pub contact_name: &'a str,
    pub fulfilment: &'a str,
    pub address: &'a str,
    pub state: &'a str,
    pub currency: &'a str,
    pub total_cents: i64,
    pub reservation_key: &'a str,
    pub expires_at: DateTime<Utc>,
    pub access_digest: &'a str,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_lines)]
pub struct OrderLine {
    pub order_id: i64,
    pub position: i32,
    pub kind: String,
    pub item_id: i64,
    pub title: String,
    pub unit_price_cents: i64,
    pub quantity: i32,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = order_history)]
pub struct HistoryEntry {
    pub id: i64,
    pub order_id: i64,
    pub from_state: Option<String>,
    pub to_state: String,
    pub actor: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = order_refunds)]
pub struct Refund {
    pub id: i64,
    pub order_id: i64,
    pub amount_cents: i64,
    pub admin_id: Option<i64>,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// Inserts the order unless one has its idempotency key; `None` then (the caller reads the
/// existing one).
pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: &NewOrder<'_>,
) -> QueryResult<Option<Order>> {
    diesel::insert_into(orders::table)
        .values(new)
        .on_conflict(orders::idempotency_key)
        .do_nothing()
        .returning(Order::as_returning())
        .get_result(conn)
        .await
        .optional()
}

pub async fn insert_lines(conn: &mut AsyncPgConnection, lines: &[OrderLine]) -> QueryResult<()> {
    diesel::insert_into(order_lines::table)
        .values(lines)
        .execute(conn)
        .await
        .map(drop)
}

pub async fn by_id(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Order>> {
    orders::table
        .find(id)
        .select(Order::as_select())
        .first(conn)
        .await
        .optional()
}

/// The order, locked until the end of the caller's transaction (its moves queue).
pub async fn lock(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Order>> {
    orders::table
        .find(id)
        .select(Order::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn by_reference(
    conn: &mut AsyncPgConnection,
    reference: &str,
) -> QueryResult<Option<Order>> {
    orders::table
        .filter(orders::reference.eq(reference))
        .select(Order::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn by_key(conn: &mut AsyncPgConnection, key: &str) -> QueryResult<Option<Order>> {
    orders::table
        .filter(orders::idempotency_key.eq(key))
        .select(Order::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn by_checkout_id(
    conn: &mut AsyncPgConnection,
    checkout_id: &str,
) -> QueryResult<Option<Order>> {
    orders::table
        .filter(orders::sumup_checkout_id.eq(checkout_id))
        .select(Order::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn lines(conn: &mut AsyncPgConnection, order_id: i64) -> QueryResult<Vec<OrderLine>> {
    order_lines::table
        .filter(order_lines::order_id.eq(order_id))
        .order(order_lines::position)
        .select(OrderLine::as_select())
        .load(conn)
        .await
}

pub async fn history(
    conn: &mut AsyncPgConnection,
    order_id: i64,
) -> QueryResult<Vec<HistoryEntry>> {
    order_history::table
        .filter(order_history::order_id.eq(order_id))
        .order(order_history::id)
        .select(HistoryEntry::as_select())
        .load(conn)
        .await
}

pub async fn refunds(conn: &mut AsyncPgConnection, order_id: i64) -> QueryResult<Vec<Refund>> {
    order_refunds::table
        .filter(order_refunds::order_id.eq(order_id))
        .order(order_refunds::id)
        .select(Refund::as_select())
        .load(conn)
        .await
}

/// Writes one line of the order's history.
pub async fn record(
    conn: &mut AsyncPgConnection,
    order_id: i64,
    from: Option<OrderState>,
    to: OrderState,
    actor: Actor,
    note: &str,
) -> QueryResult<()> {
    diesel::insert_into(order_history::table)
        .values((
            order_history::order_id.eq(order_id),
            order_history::from_state.eq(from.map(OrderState::as_str)),
            order_history::to_state.eq(to.as_str()),
            order_history::actor.eq(actor.as_str()),
            order_history::note.eq(note),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Moves the order from `from` to `to` only if it is still in `from` (a guarded update: two
/// workers applying the same news move it once), with its history line. Returns whether it
/// moved.
pub async fn transition(
    conn: &mut AsyncPgConnection,
    order_id: i64,
    from: OrderState,
    to: OrderState,
    actor: Actor,
    note: &str,
) -> QueryResult<bool> {
    move_and_record(conn, order_id, from, to, actor, note, None).await
}

/// [`transition`] to a paid state, recording when and by which SumUp transaction.
pub async fn settle(
    conn: &mut AsyncPgConnection,
    order_id: i64,
    from: OrderState,
    to: OrderState,
    note: &str,
    transaction_id: Option<&str>,
) -> QueryResult<bool> {
    move_and_record(
        conn,
        order_id,
        from,
        to,
        Actor::Payment,
        note,
        Some(transaction_id),
    )
    .await
}

/// The guarded move and its history line in one statement (a round trip fewer on the
/// checkout's and the webhook's paths); `paid` also stamps `paid_at` and the transaction.
async fn move_and_record(
    conn: &mut AsyncPgConnection,
    order_id: i64,
    from: OrderState,
    to: OrderState,
    actor: Actor,
    note: &str,
    paid: Option<Option<&str>>,
) -> QueryResult<bool> {
    use diesel::sql_types::{Bool, Int8, Nullable, Text};
    let recorded = diesel::sql_query(
        "WITH moved AS ( \
           UPDATE orders SET state = $3, \
             paid_at = CASE WHEN $6 THEN now() ELSE paid_at END, \
             sumup_transaction_id = CASE WHEN $6 THEN $7 ELSE sumup_transaction_id END \
           WHERE id = $1 AND state = $2 RETURNING id) \
         INSERT INTO order_history (order_id, from_state, to_state, actor, note) \
         SELECT id, $2, $3, $4, $5 FROM moved",
    )
    .bind::<Int8, _>(order_id)
    .bind::<Text, _>(from.as_str())
    .bind::<Text, _>(to.as_str())
    .bind::<Text, _>(actor.as_str())
    .bind::<Text, _>(note)
    .bind::<Bool, _>(paid.is_some())
    .bind::<Nullable<Text>, _>(paid.flatten())
    .execute(conn)
    .await?;
    Ok(recorded > 0)
}

/// Records the SumUp checkout made for the order and returns the order; `None` when one was
/// recorded already (the first one recorded stays).
pub async fn set_checkout(
    conn: &mut AsyncPgConnection,
    order_id: i64,
    checkout_id: &str,
    hosted_url: Option<&str>,
) -> QueryResult<Option<Order>> {
    diesel::update(
        orders::table
            .find(order_id)
            .filter(orders::sumup_checkout_id.is_null()),
    )
    .set((
        orders::sumup_checkout_id.eq(checkout_id),
        orders::hosted_checkout_url.eq(hosted_url),
    ))
    .returning(Order::as_returning())
    .get_result(conn)
    .await
    .optional()
}

pub async fn add_refund(
    conn: &mut AsyncPgConnection,
    order_id: i64,
    cents: i64,
    admin_id: i64,
    note: &str,
) -> QueryResult<()> {
    diesel::insert_into(order_refunds::table)
        .values((
            order_refunds::order_id.eq(order_id),
            order_refunds::amount_cents.eq(cents),
            order_refunds::admin_id.eq(admin_id),
            order_refunds::note.eq(note),
        ))
        .execute(conn)
        .await?;
    diesel::update(orders::table.find(order_id))
        .set(orders::refunded_cents.eq(orders::refunded_cents + cents))
        .execute(conn)
        .await
        .map(drop)
}

/// A member's orders, newest first.
pub async fn of_user(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    limit: i64,
) -> QueryResult<Vec<Order>> {
    orders::table
        .filter(orders::user_id.eq(user_id))
        .order(orders::id.desc())
        .limit(limit)
        .select(Order::as_select())
        .load(conn)
        .await
}

/// Orders for the admin list, newest first, optionally in one state or matching a reference
/// or e-mail address.
pub async fn search(
    conn: &mut AsyncPgConnection,
    state: Option<OrderState>,
    query: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Order>> {
    let mut q = orders::table.select(Order::as_select()).into_boxed();
    if let Some(state) = state {
        q = q.filter(orders::state.eq(state.as_str()));
    }
    if let Some(text) = query.filter(|t| !t.is_empty()) {
        q = q.filter(
            orders::reference
                .eq(text.to_ascii_uppercase())
                .or(orders::email.eq(text.to_ascii_lowercase())),
        );
    }
    q.order(orders::id.desc()).limit(limit).load(conn).await
}

/// Orders still arranging payment with a SumUp checkout that have had no news (no change to
/// the row) since `quiet_since`, after the order id `after`, by id: (order id, checkout id),
/// at most `limit` (the reconciliation job re-checks them, a page at a time).
pub async fn awaiting_payment(
    conn: &mut AsyncPgConnection,
    quiet_since: DateTime<Utc>,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<(i64, String)>> {
    orders::table
        .filter(orders::state.eq(OrderState::ArrangingPayment.as_str()))
        .filter(orders::updated_at.lt(quiet_since))
        .filter(orders::id.gt(after))
        .filter(orders::sumup_checkout_id.is_not_null())
        .order(orders::id)
        .limit(limit)
        .select((orders::id, orders::sumup_checkout_id.assume_not_null()))
        .load(conn)
        .await
}
