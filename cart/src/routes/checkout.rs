//! `/checkout` (contact details, then the order and the way to SumUp's hosted page) and the
//! buyer's pay-again and cancel buttons on an order arranging payment.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::session::Session;
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, PageRequest};

use super::orders::{TokenQuery, find_visible};
use super::{owner_of, purge_mini_cart};
use crate::domain::CartError;
use crate::domain::checkout::{self, ContactForm};
use crate::domain::lines;
use crate::domain::payments;
use crate::domain::state::Actor;
use crate::state::CartState;
use crate::views::{self, CartPage, CheckoutPage};

pub async fn form(
    ctx: web::Data<AppContext>,
    state: web::Data<CartState>,
    page: PageRequest,
    session: Option<Session>,
    user: Option<CurrentUser>,
) -> Result<HttpResponse, AppError> {
    let session = session.ok_or(CartError::Empty)?;
    let cart = lines::view(&ctx, &owner_of(&session)).await?;
    if cart.lines.is_empty() {
        return Err(CartError::Empty.into());
    }
    let email = match &user {
        Some(u) => ctx
            .registry()
            .users
            .user(u.id)
            .await
            .map_err(AppError::internal)?
            .map(|u| u.email)
            .unwrap_or_default(),
        None => String::new(),
    };
    let view = CheckoutPage {
        cart: CartPage::new(&ctx, &cart, None),
        signed_in: user.is_some(),
        email,
        hold_minutes: state.config.hold.as_secs() / 60,
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "checkout.html", context, Vec::new())
        .await
}

/// Places the order (or finds the one this cart already became) and sends the buyer to pay.
pub async fn place(
    ctx: web::Data<AppContext>,
    state: web::Data<CartState>,
    session: Option<Session>,
    user: Option<CurrentUser>,
    form: web::Form<ContactForm>,
) -> Result<HttpResponse, AppError> {
    let session = session.ok_or(CartError::Empty)?;
    let member_email = match &user {
        Some(u) => ctx
            .registry()
            .users
            .user(u.id)
            .await
            .map_err(AppError::internal)?
            .map(|u| u.email),
        None => None,
    };
    let contact = form.check(member_email.as_deref())?;
    let order = checkout::place(
        &ctx,
        &state,
        &owner_of(&session),
        user.as_ref().map(|u| u.id),
        &contact,
    )
    .await?;
    purge_mini_cart(&ctx, &session).await;
    if order.state() != crate::domain::state::OrderState::ArrangingPayment {
        return Ok(see_other(checkout::order_link(&ctx, &order)?).finish());
    }
    let pay_at = checkout::payment_page(&ctx, &state, &order).await?;
    Ok(see_other(pay_at).finish())
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    token: Option<String>,
}

/// Back to SumUp's page for an order still arranging payment (creating the checkout if an
/// earlier try did not get that far).
pub async fn pay(
    ctx: web::Data<AppContext>,
    state: web::Data<CartState>,
    user: Option<CurrentUser>,
    reference: web::Path<String>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let token = TokenQuery {
        token: form.token.clone(),
    };
    let order = find_visible(&ctx, &reference, user.as_ref(), &token).await?;
    let pay_at = checkout::payment_page(&ctx, &state, &order).await?;
    Ok(see_other(pay_at).finish())
}

/// The buyer gives up: the payment is closed at SumUp, the stock released, the cart thawed.
pub async fn cancel(
    ctx: web::Data<AppContext>,
    state: web::Data<CartState>,
    session: Option<Session>,
    user: Option<CurrentUser>,
    reference: web::Path<String>,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let token = TokenQuery {
        token: form.token.clone(),
    };
    let order = find_visible(&ctx, &reference, user.as_ref(), &token).await?;
    let actor = if user
        .as_ref()
        .is_some_and(|u| u.is_admin() && order.user_id != Some(u.id))
    {
        Actor::Admin
    } else {
        Actor::Buyer
    };
    if order.state() != crate::domain::state::OrderState::ArrangingPayment {
        return Err(CartError::NotAllowed(order.state().label(), "cancelled").into());
    }
    payments::give_up(&ctx, &state, order.id, actor, "Cancelled before payment.").await?;
    if let Some(session) = &session {
        purge_mini_cart(&ctx, session).await;
    }
    Ok(see_other(checkout::order_link(&ctx, &order)?).finish())
}
