//! The cart page and the forms that change it.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use shared::contracts::dtos::{CartSummary, ProductDto};
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::session::{Session, ensure_session};
use shared::infrastructure::{fragment_catalog, link_catalog};
use shared::models::cart::{self, CartOwner, MAX_QUANTITY};
use shared::{AppContext, AppError, PageRequest, Viewer};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(show))
        .route(link_catalog::routes::CART_ITEMS, web::post().to(add))
        .route("/cart/items/{product}", web::post().to(update));
}

/// Whose cart a request acts on: the signed-in user's, else the cart-app session's.
pub fn owner_of(session: &Session) -> CartOwner {
    match session.data.user_id {
        Some(id) => CartOwner::User(id),
        None => anonymous_owner(&session.id),
    }
}

/// The anonymous cart of a cart-app session. The session id itself never reaches the
/// database, only a digest of it.
pub fn anonymous_owner(session_id: &str) -> CartOwner {
    CartOwner::Session(shared::crypto::token_digest(&format!("cart:{session_id}")))
}
#[derive(Debug, Serialize)]
struct Line {
    slug: String,
    /// The product's page on the market.
    url: String,
    title: String,
    quantity: i32,
    unit_price: String,
    line_total: String,
}

async fn show(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    session: Option<Session>,
) -> Result<HttpResponse, AppError> {
    let items = match &session {
        Some(session) => {
            let mut conn = ctx.conn().await?;
            match cart::find(&mut conn, &owner_of(session)).await? {
                Some(c) => cart::items(&mut conn, c.id).await?,
                None => Vec::new(),
            }
        }
        None => Vec::new(),
    };
    let ids: Vec<i64> = items.iter().map(|i| i.product_id).collect();
    let products: HashMap<i64, ProductDto> = ctx
        .registry()
        .catalog
        .products_by_ids(&ids)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let lines: Vec<(i32, &ProductDto)> = items
        .iter()
        .filter_map(|i| products.get(&i.product_id).map(|p| (i.quantity, p)))
        .collect();
    let summary = CartSummary::of(lines.iter().map(|(q, p)| (*q, &p.price)));
    let view: Vec<Line> = lines
        .iter()
        .map(|(quantity, p)| Line {
            slug: p.slug.clone(),
            url: link_catalog::product(&p.slug).url(&ctx),
            title: p.title.clone(),
            quantity: *quantity,
            unit_price: p.price.to_string(),
            line_total: p.price.times(*quantity).to_string(),
        })
        .collect();
    let mut context = ctx.base_context();
    context.insert("lines", &view);
    context.insert("count", &summary.item_count);
    context.insert(
        "totals",
        &summary
            .totals
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
    );
    context.insert("market", &link_catalog::market().url(&ctx));
    ctx.render_page(&page, "cart.html", context, Vec::new())
        .await
}

#[derive(Debug, Deserialize)]
struct AddForm {
    product: String,
    quantity: Option<i32>,
}

fn check_quantity(quantity: i32, allow_zero: bool) -> Result<i32, AppError> {
    let min = if allow_zero { 0 } else { 1 };
    if (min..=MAX_QUANTITY).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(AppError::bad_request(format!(
            "Quantity must be between {min} and {MAX_QUANTITY}."
        )))
    }
}

async fn after_change(ctx: &AppContext, session: &Session, new_session: bool) -> HttpResponse {
    let viewer = session.data.user_id.map_or(Viewer::Anonymous, Viewer::User);
    if let Err(err) = ctx
        .fragments()
        .purge(&fragment_catalog::mini_cart(viewer))
        .await
    {
        tracing::warn!(error = %err, "could not purge the mini-cart fragment");
    }
    let mut res = see_other("/");
    if new_session {
        res.cookie(ctx.sessions().cookie(session.id.clone()));
    }
    res.finish()
}

async fn add(
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    let quantity = check_quantity(form.quantity.unwrap_or(1), false)?;
    let product = ctx
        .registry()
        .catalog
        .product_by_slug(&form.product)
        .await?
        .ok_or_else(|| AppError::bad_request("There is no such product."))?;
    if !product.in_stock {
        return Err(AppError::Conflict(format!(
            "{} is sold out.",
            product.title
        )));
    }
    let (session, new_session) = ensure_session(&ctx, session).await?;
    {
        let mut conn = ctx.conn().await?;
        let c = cart::find_or_create(&mut conn, &owner_of(&session)).await?;
        cart::add_item(&mut conn, c.id, product.id, quantity).await?;
    }
    Ok(after_change(&ctx, &session, new_session).await)
}

#[derive(Debug, Deserialize)]
struct UpdateForm {
    quantity: i32,
}

async fn update(
    ctx: web::Data<AppContext>,
    session: Option<Session>,
    product: web::Path<String>,
    form: web::Form<UpdateForm>,
) -> Result<HttpResponse, AppError> {
    let quantity = check_quantity(form.quantity, true)?;
    let session = session.ok_or_else(|| AppError::not_found("Your cart is empty."))?;
    let product = ctx
        .registry()
        .catalog
        .product_by_slug(&product)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such product."))?;
    let changed = {
        let mut conn = ctx.conn().await?;
        match cart::find(&mut conn, &owner_of(&session)).await? {
            Some(c) => cart::set_quantity(&mut conn, c.id, product.id, quantity).await?,
            None => false,
        }
    };
    if !changed {
        return Err(AppError::not_found("That product is not in your cart."));
    }
    Ok(after_change(&ctx, &session, false).await)
}
