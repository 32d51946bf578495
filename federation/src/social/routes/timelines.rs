//! Home, local, federated and hashtag timelines.

use actix_web::{HttpResponse, web};
use shared::infrastructure::sso::CurrentUser;
use shared::{AppContext, AppError, PageRequest};

use super::{Cursor, PAGE, Viewer};
use crate::social::db::timeline::{self, Source};
use crate::social::{authors, post_html, views};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/home", web::get().to(home))
        .route("/public/local", web::get().to(local))
        .route("/public", web::get().to(federated))
        .route("/tags/{tag}", web::get().to(tag));
}

/// Which timeline page to render, and how.
pub struct Listing<'a> {
    pub source: Source<'a>,
    /// `?max_id`: entries older than this.
    pub cursor: Option<i64>,
    pub heading: &'a str,
    pub template: &'a str,
    /// The template reads the posts too (the profile's report form), not only their HTML.
    pub with_posts: bool,
}

/// Renders a page of a timeline for `viewer`, with a link to the next page.
pub async fn render(
    ctx: &AppContext,
    page: &PageRequest,
    viewer: &Viewer,
    listing: Listing<'_>,
    mut context: tera::Context,
) -> Result<HttpResponse, AppError> {
    let posts = {
        let mut conn = ctx.conn().await?;
        let entries = timeline::page(
            &mut conn,
            &viewer.actor,
            &viewer.hidden,
            listing.source,
            listing.cursor,
            PAGE,
        )
        .await?;
        let people = authors::load(&conn, ctx.config(), &views::actor_ids(&entries)).await?;
        views::posts(entries, &people, &viewer.actor, chrono::Utc::now())
    };
    let next = (posts.len() as i64 == PAGE)
        .then(|| posts.last().map(|p| p.cursor))
        .flatten();
    context.insert("heading", listing.heading);
    // An empty timeline says so here: a template's `{% if %}` on the HTML would escape all
    // of it to test it.
    let posts_html = if posts.is_empty() {
        "<p class=\"meta\">Nothing here yet.</p>".to_owned()
    } else {
        post_html::posts(&posts, &viewer.forms(page))
    };
    context.insert("posts_html", &posts_html);
    if listing.with_posts {
        context.insert("posts", &posts);
    }
    context.insert("next_max_id", &next);
    viewer.insert_into(&mut context);
    ctx.render_page(page, listing.template, context, Vec::new())
        .await
}

async fn home(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    q: web::Query<Cursor>,
) -> Result<HttpResponse, AppError> {
    let viewer = Viewer::of(&ctx, Some(user)).await?;
    let mut context = ctx.base_context();
    context.insert("compose", &true);
    render(
        &ctx,
        &page,
        &viewer,
        Listing {
            source: Source::Home,
            cursor: q.max_id,
            heading: "Home",
            template: "social/timeline.html",
            with_posts: false,
        },
        context,
    )
    .await
}

async fn local(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: Option<CurrentUser>,
    q: web::Query<Cursor>,
) -> Result<HttpResponse, AppError> {
    let viewer = Viewer::of(&ctx, user).await?;
    render(
        &ctx,
        &page,
        &viewer,
        Listing {
            source: Source::Local,
            cursor: q.max_id,
            heading: "Local",
            template: "social/timeline.html",
            with_posts: false,
        },
        ctx.base_context(),
    )
    .await
}

async fn federated(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: Option<CurrentUser>,
    q: web::Query<Cursor>,
) -> Result<HttpResponse, AppError> {
    let viewer = Viewer::of(&ctx, user).await?;
    render(
        &ctx,
        &page,
        &viewer,
        Listing {
            source: Source::Federated,
            cursor: q.max_id,
            heading: "Federated",
            template: "social/timeline.html",
            with_posts: false,
        },
        ctx.base_context(),
    )
    .await
}

async fn tag(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: Option<CurrentUser>,
    tag: web::Path<String>,
    q: web::Query<Cursor>,
) -> Result<HttpResponse, AppError> {
    let tag = tag.into_inner().trim_start_matches('#').to_lowercase();
    if tag.is_empty()
        || tag.chars().count() > 100
        || !tag.chars().all(|c| c.is_alphanumeric() || c == '_')
    {
        return Err(AppError::bad_request(
            "A hashtag is letters, digits and underscores.",
        ));
    }
    let viewer = Viewer::of(&ctx, user).await?;
    render(
        &ctx,
        &page,
        &viewer,
        Listing {
            source: Source::Tag(&tag),
            cursor: q.max_id,
            heading: &format!("#{tag}"),
            template: "social/timeline.html",
            with_posts: false,
        },
        ctx.base_context(),
    )
    .await
}
