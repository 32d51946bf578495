//! Subscribing: the forms on account's pages (`/newsletters/{slug}/subscribe`, with this app's
//! CSRF token; a signed-in member with a confirmed address needs no address and no mail) and
//! the `newsletter-subscribe` fragment's form on other apps' pages (`/subscribe`, always by
//! address). Both answer with a redirect that depends only on the list, never on the address.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::redirect::see_other;
use shared::{AppContext, PageRequest};

use crate::domain::{Answer, Member, NewsletterError};
use crate::state::AccountState;
use crate::views::{self, CheckEmailPage, ListView};

#[derive(Debug, Deserialize)]
pub struct SubscribeForm {
    email: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct FleetSubscribeForm {
    newsletter: String,
    email: Option<String>,
}

/// The address rate limits count: the TCP peer, or what a `TRUSTED_PROXIES` proxy forwarded.
fn client_ip(req: &HttpRequest) -> String {
    shared::infrastructure::client_ip::of_request(req)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

pub async fn from_account(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    state: web::Data<AccountState>,
    page: PageRequest,
    slug: web::Path<String>,
    form: web::Form<SubscribeForm>,
) -> Result<HttpResponse, NewsletterError> {
    let service = super::newsletters(&ctx, &state);
    let member: Option<Member> = match page.viewer.user_id() {
        Some(id) => service.member(id).await?,
        None => None,
    };
    let (list, answer) = service
        .subscribe(
            &slug,
            form.email.as_deref(),
            member.as_ref(),
            &client_ip(&req),
        )
        .await?;
    Ok(answer_for(&list.slug, answer))
}

pub async fn from_fleet(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    state: web::Data<AccountState>,
    form: web::Form<FleetSubscribeForm>,
) -> Result<HttpResponse, NewsletterError> {
    let service = super::newsletters(&ctx, &state);
    let (list, answer) = service
        .subscribe(
            &form.newsletter,
            form.email.as_deref(),
            None,
            &client_ip(&req),
        )
        .await?;
    Ok(answer_for(&list.slug, answer))
}

fn answer_for(slug: &str, answer: Answer) -> HttpResponse {
    match answer {
        Answer::Subscribed => see_other(format!("/?subscribed={slug}")).finish(),
        Answer::CheckEmail => see_other(format!("/newsletters/{slug}/check-email")).finish(),
    }
}

/// `GET /newsletters/{slug}/check-email`: "if the address is new, a link is on its way".
pub async fn check_email(
    ctx: web::Data<AppContext>,
    state: web::Data<AccountState>,
    page: PageRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, NewsletterError> {
    let list = super::newsletters(&ctx, &state).public_list(&slug).await?;
    let view = CheckEmailPage {
        newsletter: ListView::from(&list),
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    Ok(ctx
        .render_page(&page, "check-email.html", context, Vec::new())
        .await?)
}
