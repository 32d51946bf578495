//! The dashboard and newsletter subscriptions.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::contracts::dtos::CartSummary;
use shared::contracts::email;
use shared::infrastructure::link_catalog;
use shared::infrastructure::redirect::see_other;
use shared::models::account;
use shared::models::cart::CartOwner;
use shared::{AppContext, AppError, PageRequest};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(dashboard))
        .route("/newsletters/{slug}/subscribe", web::post().to(subscribe));
}

#[derive(Debug, Deserialize)]
struct DashboardQuery {
    subscribed: Option<String>,
}

async fn dashboard(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, AppError> {
    let mut context = ctx.base_context();
    let newsletters = {
        let mut conn = ctx.conn().await?;
        account::newsletters(&mut conn).await?
    };
    context.insert(
        "newsletters",
        &newsletters
            .iter()
            .map(|n| serde_json::json!({ "slug": n.slug, "name": n.name, "description": n.description }))
            .collect::<Vec<_>>(),
    );
    if let Some(slug) = &query.subscribed
        && let Some(n) = newsletters.iter().find(|n| &n.slug == slug)
    {
        context.insert("subscribed", &n.name);
    }
    if let Some(user_id) = page.viewer.user_id() {
        let registry = ctx.registry();
        let owner = CartOwner::User(user_id);
        let (user, cart, events, subscriptions) = tokio::join!(
            registry.users.user(user_id),
            registry.carts.summary(&owner),
            registry.calendar.upcoming(3),
            registry.newsletters.subscriptions_of(user_id),
        );
        let cart: CartSummary = cart?;
        context.insert("user", &user?);
        context.insert("cart_count", &cart.item_count);
        context.insert(
            "cart_totals",
            &cart
                .totals
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
        );
        context.insert(
            "events",
            &events?
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "url": link_catalog::event(&e.slug).url(&ctx),
                        "title": e.title,
                        "starts_at": e.starts_at.to_rfc3339(),
                    })
                })
                .collect::<Vec<_>>(),
        );
        context.insert("subscriptions", &subscriptions?);
    }
    context.insert("cart_url", &link_catalog::cart().url(&ctx));
    ctx.render_page(&page, "dashboard.html", context, Vec::new())
        .await
}

#[derive(Debug, Deserialize)]
struct SubscribeForm {
    email: Option<String>,
}

async fn subscribe(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    slug: web::Path<String>,
    form: web::Form<SubscribeForm>,
) -> Result<HttpResponse, AppError> {
    let user = match page.viewer.user_id() {
        Some(id) => ctx.registry().users.user(id).await?,
        None => None,
    };
    let email = match (&user, form.email.as_deref().map(str::trim)) {
        (_, Some(email)) if !email.is_empty() => email.to_owned(),
        (Some(user), _) => user.email.clone(),
        _ => return Err(AppError::bad_request("Please give an e-mail address.")),
    };
    if !email::is_valid(&email) {
        return Err(AppError::bad_request(
            "That does not look like an e-mail address.",
        ));
    }
    let mut conn = ctx.conn().await?;
    let newsletter = account::newsletter_by_slug(&mut conn, &slug)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such newsletter."))?;
    let user_id = user
        .as_ref()
        .filter(|u| u.email.eq_ignore_ascii_case(&email))
        .map(|u| u.id);
    account::subscribe(&mut conn, newsletter.id, &email, user_id).await?;
    Ok(see_other(format!("/?subscribed={}", newsletter.slug)).finish())
}
