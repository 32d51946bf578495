//! `/` (the cart page) and the forms that change its lines.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::contracts::sellable::{SellableKind, SellableRef};
use shared::infrastructure::session::{Session, ensure_session};
use shared::{AppContext, AppError, PageRequest};

use super::{after_change, owner_of};
use crate::db::orders;
use crate::domain::CartError;
use crate::domain::lines::{self, CartView, Wanted};
use crate::views::{self, CartPage};

pub async fn show(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    session: Option<Session>,
) -> Result<HttpResponse, AppError> {
    let cart = match &session {
        Some(session) => lines::view(&ctx, &owner_of(session)).await?,
        None => CartView::default(),
    };
    let checkout_order = match cart.checkout_order() {
        Some(id) => {
            let mut conn = ctx.conn().await?;
            orders::by_id(&mut conn, id).await?.map(|o| o.reference)
        }
        None => None,
    };
    let view = CartPage::new(&ctx, &cart, checkout_order);
    let context = views::page_context(ctx.base_context(), &view)?;
    ctx.render_page(&page, "cart.html", context, Vec::new())
        .await
}

/// The add-to-cart form (posted from market and events pages too): `variant` (an id), `ticket`
/// (a ticket type's id) or, for a product with a single variant, `product` (its slug); and
/// `quantity`.
#[derive(Debug, Deserialize)]
pub struct AddForm {
    variant: Option<String>,
    ticket: Option<String>,
    product: Option<String>,
    quantity: Option<String>,
}

fn parse_id(raw: &str) -> Result<i64, AppError> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_not_an_id| AppError::bad_request("There is no such item."))
}

fn parse_quantity(raw: Option<&str>, default: i32) -> Result<i32, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => s
            .parse::<i32>()
            .map_err(|_not_a_number| AppError::bad_request("Quantity must be a whole number.")),
    }
}

pub async fn add(
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    let quantity = parse_quantity(form.quantity.as_deref(), 1)?;
    lines::check_quantity(quantity, false)?;
    let given = |field: &Option<String>| field.clone().filter(|v| !v.trim().is_empty());
    let wanted = match (
        given(&form.variant),
        given(&form.ticket),
        given(&form.product),
    ) {
        (Some(v), _, _) => Wanted::Item(SellableRef::variant(parse_id(&v)?)),
        (_, Some(t), _) => Wanted::Item(SellableRef::ticket(parse_id(&t)?)),
        (_, _, Some(slug)) => Wanted::Product(slug.trim().to_owned()),
        _ => return Err(AppError::bad_request("Say what to add to the cart.")),
    };
    // Check what can be checked before a session is made for an anonymous visitor.
    let (session, new_session) = ensure_session(&ctx, session).await?;
    lines::add(&ctx, &owner_of(&session), wanted, quantity).await?;
    Ok(after_change(&ctx, &session, new_session).await)
}

#[derive(Debug, Deserialize)]
pub struct UpdateForm {
    quantity: Option<String>,
}

pub async fn update(
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    path: web::Path<(String, String)>,
    form: web::Form<UpdateForm>,
) -> Result<HttpResponse, AppError> {
    let (kind, id) = path.into_inner();
    let item = match (SellableKind::parse(&kind), id.parse::<i64>()) {
        (Some(kind), Ok(id)) => SellableRef { kind, id },
        _ => return Err(CartError::NotInCart.into()),
    };
    let quantity = match form.quantity.as_deref() {
        Some(q) => parse_quantity(Some(q), 0)?,
        None => return Err(AppError::bad_request("Give a quantity.")),
    };
    let session = session.ok_or(CartError::NotInCart)?;
    lines::set_quantity(&ctx, &owner_of(&session), item, quantity).await?;
    Ok(after_change(&ctx, &session, false).await)
}
