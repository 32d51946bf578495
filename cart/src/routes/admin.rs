//! `/admin/orders`: every order with filters (state, reference or e-mail), and the admin's
//! moves on one: refund (full or partial, through SumUp) and mark fulfilled.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, PageRequest};

use crate::db::orders;
use crate::domain::CartError;
use crate::domain::payments;
use crate::domain::state::{Actor, OrderState};
use crate::state::CartState;
use crate::views::{self, OrderRow, OrdersPage};

fn admin_only(user: &CurrentUser) -> Result<(), AppError> {
    if user.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only administrators manage orders.".into(),
        ))
    }
}

#[derive(Debug, Deserialize)]
pub struct Filters {
    state: Option<String>,
    q: Option<String>,
}

pub async fn list(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    filters: web::Query<Filters>,
) -> Result<HttpResponse, AppError> {
    admin_only(&user)?;
    let state = match filters.state.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            OrderState::parse(s).ok_or_else(|| AppError::bad_request("No such order state."))?,
        ),
        None => None,
    };
    let q = filters.q.as_deref().map(str::trim).unwrap_or_default();
    let list = {
        let mut conn = ctx.conn().await?;
        orders::search(&mut conn, state, Some(q), 200).await?
    };
    let view = OrdersPage {
        heading: "Orders",
        orders: list.iter().map(OrderRow::new).collect(),
        admin: true,
        states: OrderState::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        state: state.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        q: q.to_owned(),
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "orders.html", context, Vec::new())
        .await
}

#[derive(Debug, Deserialize)]
pub struct RefundForm {
    /// In major units ("4.50"); empty for everything not yet refunded.
    amount: Option<String>,
}

/// "4.50" → 450; at most two decimals, positive.
fn parse_amount(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 2 {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let frac: i64 = format!("{frac:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(frac).filter(|c| *c > 0)
}

pub async fn refund(
    ctx: web::Data<AppContext>,
    state: web::Data<CartState>,
    user: CurrentUser,
    reference: web::Path<String>,
    form: web::Form<RefundForm>,
) -> Result<HttpResponse, AppError> {
    admin_only(&user)?;
    let cents = match form
        .amount
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        Some(a) => Some(
            parse_amount(a).ok_or_else(|| AppError::bad_request("Give an amount like 4.50."))?,
        ),
        None => None,
    };
    let order = {
        let mut conn = ctx.conn().await?;
        orders::by_reference(&mut conn, &reference).await?
    }
    .ok_or(CartError::NoSuchOrder)?;
    payments::refund(&ctx, &state, order.id, cents, user.id).await?;
    Ok(see_other(format!("/orders/{}", order.reference)).finish())
}

pub async fn fulfil(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    reference: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    admin_only(&user)?;
    let mut conn = ctx.conn().await?;
    let order = orders::by_reference(&mut conn, &reference)
        .await?
        .ok_or(CartError::NoSuchOrder)?;
    let from = order.state();
    if !from.can_move_to(OrderState::Fulfilled) {
        return Err(CartError::NotAllowed(from.label(), "fulfilled").into());
    }
    if !orders::transition(
        &mut conn,
        order.id,
        from,
        OrderState::Fulfilled,
        Actor::Admin,
        "Handed over.",
    )
    .await?
    {
        return Err(CartError::NotAllowed(from.label(), "fulfilled").into());
    }
    Ok(see_other(format!("/orders/{}", order.reference)).finish())
}

#[cfg(test)]
mod tests {
    use super::parse_amount;

    #[test]
    fn amounts_in_major_units() {
        assert_eq!(parse_amount("4.50"), Some(450));
        assert_eq!(parse_amount("4.5"), Some(450));
        assert_eq!(parse_amount("12"), Some(1200));
        assert_eq!(parse_amount(".05"), Some(5));
        assert_eq!(parse_amount("0"), None);
        assert_eq!(parse_amount("-1"), None);
        assert_eq!(parse_amount("1.005"), None);
        assert_eq!(parse_amount("1e3"), None);
        assert_eq!(parse_amount("."), None);
    }
}
