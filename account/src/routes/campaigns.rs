//! `/campaigns`: the campaign editor (editors and administrators): write in Markdown, preview,
//! send a test, schedule or send now, pause and resume, and follow the sending.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use shared::infrastructure::link_catalog;
use shared::infrastructure::redirect::see_other;
use shared::{AppContext, AppName, PageRequest};

use crate::domain::NewsletterError;
use crate::domain::campaign_mail::CampaignMail;
use crate::domain::campaigns::{CampaignForm, Campaigns, parse_when};
use crate::domain::sending::mail_domain;
use crate::state::AccountState;
use crate::views::{self, CampaignPage, CampaignView, CampaignsPage};

/// The signed-in editor's id, or [`NewsletterError::NotEditor`].
async fn editor(ctx: &AppContext, page: &PageRequest) -> Result<i64, NewsletterError> {
    let user_id = page.viewer.user_id().ok_or(NewsletterError::NotEditor)?;
    let user = ctx
        .registry()
        .users
        .user(user_id)
        .await
        .map_err(shared::AppError::from)?;
    match user {
        Some(u) if u.role.is_editor() => Ok(user_id),
        _ => Err(NewsletterError::NotEditor),
    }
}

fn to_campaign(id: i64, notice: &str) -> HttpResponse {
    see_other(format!("/campaigns/{id}?done={notice}")).finish()
}

pub async fn list(
    ctx: web::Data<AppContext>,
    page: PageRequest,
) -> Result<HttpResponse, NewsletterError> {
    editor(&ctx, &page).await?;
    let service = Campaigns::new(ctx.db());
    let campaigns = service.all().await?;
    let lists = service.lists().await?;
    let bounced = service.bounced(50).await?;
    // The blog's posts to start from; the rest of the page works without them.
    let posts = ctx.registry().posts.recent_posts(30).await;
    if let Err(e) = &posts {
        tracing::warn!(error = %e, "blog posts unavailable for the campaign editor");
    }
    let view = CampaignsPage {
        campaigns: campaigns.iter().map(CampaignView::from).collect(),
        lists: lists.iter().map(views::ListView::from).collect(),
        bounced: &bounced,
        posts_unavailable: posts.is_err(),
        posts: posts.unwrap_or_default(),
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    Ok(ctx
        .render_page(&page, "campaigns.html", context, Vec::new())
        .await?)
}

pub async fn create(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    form: web::Form<CampaignForm>,
) -> Result<HttpResponse, NewsletterError> {
    let user_id = editor(&ctx, &page).await?;
    let campaign = Campaigns::new(ctx.db()).create(&form, user_id).await?;
    Ok(to_campaign(campaign.id, "created"))
}

#[derive(Debug, Deserialize)]
pub struct FromPostForm {
    #[serde(default)]
    post: String,
    #[serde(default)]
    newsletter: String,
}

/// A draft from a published blog post, then its page (preview, test, schedule as usual).
pub async fn from_post(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    form: web::Form<FromPostForm>,
) -> Result<HttpResponse, NewsletterError> {
    let user_id = editor(&ctx, &page).await?;
    let id: i64 =
        form.post.trim().parse().map_err(|_not_a_number| {
            NewsletterError::BadCampaign("Choose a published post.".into())
        })?;
    let post = ctx
        .registry()
        .posts
        .published_post(id)
        .await
        .map_err(shared::AppError::from)?
        .ok_or(NewsletterError::NoSuchPost)?;
    let url = link_catalog::post(&post.slug).url(&ctx);
    let campaign = Campaigns::new(ctx.db())
        .create_from_post(&post, &url, &form.newsletter, user_id)
        .await?;
    Ok(to_campaign(campaign.id, "created"))
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn show(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    id: web::Path<i64>,
    query: web::Query<Done>,
) -> Result<HttpResponse, NewsletterError> {
    editor(&ctx, &page).await?;
    let service = Campaigns::new(ctx.db());
    let state = service.get(*id).await?;
    let lists = service.lists().await?;
    let view = CampaignPage {
        campaign: CampaignView::from(&state),
        body_markdown: &state.campaign.body_markdown,
        body_html: &state.campaign.body_html,
        lists: lists.iter().map(views::ListView::from).collect(),
        done: query.done.as_deref().and_then(views::notice),
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    Ok(ctx
        .render_page(&page, "campaign.html", context, Vec::new())
        .await?)
}

pub async fn save(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    id: web::Path<i64>,
    form: web::Form<CampaignForm>,
) -> Result<HttpResponse, NewsletterError> {
    editor(&ctx, &page).await?;
    Campaigns::new(ctx.db()).update(*id, &form).await?;
    Ok(to_campaign(*id, "saved"))
}

/// The mail as a reader's client shows it (the test rendering: no reader's links).
pub async fn preview(
    ctx: web::Data<AppContext>,
    state: web::Data<AccountState>,
    page: PageRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, NewsletterError> {
    editor(&ctx, &page).await?;
    let found = Campaigns::new(ctx.db()).get(*id).await?;
    let domain = mail_domain(&state.mailer.from_address());
    let html = CampaignMail {
        campaign: &found.campaign,
        newsletter: &found.newsletter,
        online: None,
        domain: &domain,
    }
    .html("reader@example.org", None);
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Cache-Control", "private, no-store"))
        .body(html))
}

#[derive(Debug, Deserialize)]
pub struct TestForm {
    #[serde(default)]
    to: String,
}

pub async fn test(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    id: web::Path<i64>,
    form: web::Form<TestForm>,
) -> Result<HttpResponse, NewsletterError> {
    editor(&ctx, &page).await?;
    Campaigns::new(ctx.db()).send_test(*id, &form.to).await?;
    Ok(to_campaign(*id, "tested"))
}

#[derive(Debug, Deserialize)]
pub struct ScheduleForm {
    at: Option<String>,
}

pub async fn schedule(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    id: web::Path<i64>,
    form: web::Form<ScheduleForm>,
) -> Result<HttpResponse, NewsletterError> {
    editor(&ctx, &page).await?;
    let at = parse_when(form.at.as_deref())?;
    Campaigns::new(ctx.db()).schedule(*id, at).await?;
    Ok(to_campaign(*id, "scheduled"))
}

pub async fn pause(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, NewsletterError> {
    editor(&ctx, &page).await?;
    Campaigns::new(ctx.db()).pause(*id).await?;
    Ok(to_campaign(*id, "paused"))
}

pub async fn resume(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    id: web::Path<i64>,
) -> Result<HttpResponse, NewsletterError> {
    editor(&ctx, &page).await?;
    Campaigns::new(ctx.db()).resume(*id).await?;
    Ok(to_campaign(*id, "resumed"))
}

/// The archive's address of a list (for pages linking to it).
pub fn archive_url(ctx: &AppContext, slug: &str) -> String {
    ctx.url(AppName::Account, &format!("/newsletters/{slug}/archive"))
}
