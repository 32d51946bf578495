//! The cart: a cart per user (or per anonymous visitor of the cart app), lines and totals.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod fragments;
mod routes;

use futures_util::future::LocalBoxFuture;
use include_dir::{Dir, include_dir};
use shared::infrastructure::fragment_catalog;
use shared::infrastructure::session::Session;
use shared::models::cart::{self, CartOwner};
use shared::{AppContext, AppError, AppName, AppSpec, Viewer};

static TEMPLATES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

pub static APP: AppSpec = AppSpec {
    configure,
    fragments: fragments::configure,
    on_sign_in: merge_on_sign_in,
    // Market pages post "add to cart" here.
    cross_app_forms: &[shared::infrastructure::link_catalog::routes::CART_ITEMS],
    actor: shared::infrastructure::app::ActorProfile {
        kind: "Service",
        summary: "The cooperative's shop till.",
    },
    ..AppSpec::new(AppName::Cart, &TEMPLATES)
};

/// Signing in adopts the visitor's anonymous cart: its lines are added to the member's cart
/// (quantities summed, capped), and the anonymous cart goes.
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
    let items = cart::items(&mut conn, anonymous.id).await?;
    let mine = cart::find_or_create(&mut conn, &CartOwner::User(user_id)).await?;
    for item in &items {
        cart::add_item(&mut conn, mine.id, item.product_id, item.quantity).await?;
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
