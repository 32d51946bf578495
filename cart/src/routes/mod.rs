//! Thin handlers, one file per resource: the cart and its lines, checkout, orders (buyer and
//! admin) and SumUp's webhook.

mod admin;
mod cart;
mod checkout;
mod orders;
mod webhook;

use actix_web::{HttpResponse, web};
use shared::infrastructure::fragment_catalog;
use shared::infrastructure::link_catalog;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::session::Session;
use shared::models::cart::CartOwner;
use shared::{AppContext, Viewer};

/// SumUp's webhook (`return_url` of every checkout). Its body is never trusted.
pub const WEBHOOK: &str = "/sumup/webhook";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(cart::show))
        .route(link_catalog::routes::CART_ITEMS, web::post().to(cart::add))
        .route("/cart/items/{kind}/{id}", web::post().to(cart::update))
        .route("/checkout", web::get().to(checkout::form))
        .route("/checkout", web::post().to(checkout::place))
        .route("/orders", web::get().to(orders::mine))
        .route(link_catalog::routes::ORDER, web::get().to(orders::show))
        .route(
            "/orders/{reference}/return",
            web::get().to(orders::came_back),
        )
        .route("/orders/{reference}/pay", web::post().to(checkout::pay))
        .route(
            "/orders/{reference}/cancel",
            web::post().to(checkout::cancel),
        )
        .route("/admin/orders", web::get().to(admin::list))
        .route(
            "/admin/orders/{reference}/refund",
            web::post().to(admin::refund),
        )
        .route(
            "/admin/orders/{reference}/fulfil",
            web::post().to(admin::fulfil),
        )
        .route(WEBHOOK, web::post().to(webhook::receive));
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

/// The mini-cart other apps embed is stale after a change.
async fn purge_mini_cart(ctx: &AppContext, session: &Session) {
    let viewer = session.data.user_id.map_or(Viewer::Anonymous, Viewer::User);
    if let Err(err) = ctx
        .fragments()
        .purge(&fragment_catalog::mini_cart(viewer))
        .await
    {
        tracing::warn!(error = %err, "could not purge the mini-cart fragment");
    }
}

/// Back to the cart after a change (setting the session cookie if the change made one).
async fn after_change(ctx: &AppContext, session: &Session, new_session: bool) -> HttpResponse {
    purge_mini_cart(ctx, session).await;
    let mut res = see_other("/");
    if new_session {
        res.cookie(ctx.sessions().cookie(session.id.clone()));
    }
    res.finish()
}
