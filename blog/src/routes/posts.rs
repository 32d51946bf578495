//! Post and page views, their old addresses, and posts as ActivityPub objects.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use shared::activitypub::wants_activity_json;
use shared::infrastructure::fragment_catalog;
use shared::infrastructure::fragments::FragmentRequest;
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::shell::{Built, ShellPage};
use shared::infrastructure::slug::{self, Resolved};
use shared::{AppContext, AppError, PageRequest};

use super::view::{PostView, TagView};
use crate::content::federate;
use crate::content::render::{self, Embed, Part};
use crate::db;
use crate::db::posts::PostWithAuthor;
use crate::state::Shown;
use crate::{BlogState, page_cache};

/// At most this many event embeds per post are rendered.
const EMBED_NAMES: [&str; 8] = [
    "embed0", "embed1", "embed2", "embed3", "embed4", "embed5", "embed6", "embed7",
];

#[derive(serde::Serialize)]
struct BodyPart<'a> {
    html: &'a str,
    fragment: Option<&'static str>,
}

/// Renders a post or page for the editor's "preview as published".
pub async fn render_preview(
    ctx: &AppContext,
    page: &PageRequest,
    post: &PostWithAuthor,
) -> Result<HttpResponse, AppError> {
    let content = post_page(ctx, post, true).await?;
    ctx.render_content(page, header_fragments(page), content)
        .await
}

/// The fragments a post page asks for with the header.
fn header_fragments(page: &PageRequest) -> Vec<(&'static str, FragmentRequest)> {
    vec![("mini_cart", fragment_catalog::mini_cart(page.viewer))]
}

/// A post or page's content: its template, context and embedded fragments.
async fn post_page(
    ctx: &AppContext,
    post: &PostWithAuthor,
    preview: bool,
) -> Result<ShellPage, AppError> {
    let (tags, meta, comments, authors) = {
        let conn = ctx.conn().await?;
        // Four independent reads, pipelined on one connection: one round trip's wait, not four.
        let shared: &diesel_async::AsyncPgConnection = &conn;
        let (mut c1, mut c2, mut c3, mut c4) = (shared, shared, shared, shared);
        let id = post.post.id;
        let (tags, meta, comments, authors) = futures_util::future::try_join4(
            db::tags::tags_of(&mut c1, &[id]),
            db::meta::post_meta(&mut c2, id),
            db::comments::approved_comments(&mut c3, id),
            db::authors::authors_of(&mut c4, &[id]),
        )
        .await?;
        let tags: Vec<TagView> = tags.iter().map(|(_, t)| TagView::from(t)).collect();
        let authors = authors
            .into_iter()
            .map(|(_, name, username)| super::view::AuthorView { name, username })
            .collect::<Vec<_>>();
        (tags, meta, comments, authors)
    };
    let mut embeds: Vec<(&'static str, FragmentRequest)> = Vec::new();
    let mut body = Vec::new();
    for part in render::parts(&post.post.html) {
        match part {
            Part::Html(html) => body.push(BodyPart {
                html,
                fragment: None,
            }),
            Part::Embed(embed) => {
                let Some(name) = EMBED_NAMES.get(embeds.len()) else {
                    continue;
                };
                embeds.push((
                    name,
                    match embed {
                        Embed::Event(slug) => fragment_catalog::event_card(&slug),
                        Embed::Upcoming => fragment_catalog::upcoming(),
                    },
                ));
                body.push(BodyPart {
                    html: "",
                    fragment: Some(name),
                });
            }
        }
    }
    let view = PostView::new(ctx.config(), post, tags, authors);
    let mut context = ctx.base_context();
    context.insert("post", &view);
    context.insert("body", &body);
    context.insert("meta", &meta);
    context.insert("preview", &preview);
    context.insert(
        "comments",
        &comments
            .iter()
            .map(|c| {
                serde_json::json!({
                    "author_name": c.author_name,
                    "author_url": c.author_url,
                    "html": c.html,
                    "published_at": c.published_at.to_rfc3339(),
                })
            })
            .collect::<Vec<_>>(),
    );
    if let Some(object_id) = &post.post.ap_object_id {
        context.insert("object_id", object_id);
    }
    Ok(embeds.into_iter().fold(
        ShellPage::new("post.html", context),
        |content, (name, request)| content.fragment(name, request),
    ))
}

async fn show_kind(
    ctx: &AppContext,
    state: &BlogState,
    req: &HttpRequest,
    page: &PageRequest,
    kind: &'static str,
    slug: &str,
) -> Result<HttpResponse, AppError> {
    // A fediverse server looking the page up (Mastodon's search) is sent to the object.
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if wants_activity_json(accept) {
        let post = {
            let mut conn = ctx.conn().await?;
            db::posts::published_by_slug(&mut conn, kind, slug).await?
        };
        return match post.and_then(|p| p.post.ap_object_id) {
            Some(object_id) => Ok(see_other(object_id)
                .insert_header((header::VARY, "Accept"))
                .finish()),
            None => Err(AppError::not_found("This is not an ActivityPub object.")),
        };
    }
    page_cache::serve(ctx, req, || async {
        let shown = Shown::Post {
            kind,
            slug: slug.to_owned(),
        };
        ctx.render_shell(
            page,
            header_fragments(page),
            &state.shells,
            shown,
            || async {
                let found = {
                    let mut conn = ctx.conn().await?;
                    slug::resolve(
                        &mut *conn,
                        slug,
                        async |c, s| db::posts::published_by_slug(c, kind, s).await,
                        async |c, s| db::slugs::redirect_for(c, s).await,
                    )
                    .await?
                };
                match found {
                    Resolved::Current(post) => Ok(post_page(ctx, &post, false).await?.into()),
                    Resolved::Moved((kind, slug)) => {
                        let to = if kind == "page" {
                            format!("/{slug}")
                        } else {
                            format!("/posts/{slug}")
                        };
                        Ok(Built::Respond(slug::moved_permanently(&to)))
                    }
                    Resolved::Missing => Err(AppError::not_found("There is no post here.")),
                }
            },
        )
        .await
    })
    .await
}

pub async fn show(
    ctx: web::Data<AppContext>,
    state: web::Data<BlogState>,
    req: HttpRequest,
    page: PageRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    show_kind(&ctx, &state, &req, &page, "post", &slug).await
}

pub async fn show_page(
    ctx: web::Data<AppContext>,
    state: web::Data<BlogState>,
    req: HttpRequest,
    page: PageRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    show_kind(&ctx, &state, &req, &page, "page", &slug).await
}

/// `/objects/posts/{id}[/r<n>]`: the post as ActivityPub sees it under the id it was last
/// published with (a browser is sent to the page); ids it was deleted under answer 410.
pub async fn object(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let id: i64 = req
        .match_info()
        .get("id")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| AppError::not_found("There is no such post."))?;
    let id = &id;
    let requested = ctx.url(shared::AppName::Blog, req.path());
    let (post, as_note, tags, deleted) = {
        let mut conn = ctx.conn().await?;
        let post = db::posts::post_with_author(&mut conn, *id).await?;
        let as_note = db::settings::settings(&mut conn).await?.federate_as == "Note";
        let tags = db::tags::tags_of(&mut conn, &[*id])
            .await?
            .into_iter()
            .map(|(_, t)| t)
            .collect::<Vec<_>>();
        let deleted = shared::activitypub::store::was_deleted(&mut conn, &requested).await?;
        (post, as_note, tags, deleted)
    };
    let live = post.as_ref().filter(|p| {
        p.post.status == "published"
            && p.post.kind == "post"
            && p.post.ap_object_id.as_deref() == Some(requested.as_str())
    });
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match live {
        Some(p) if wants_activity_json(accept) => {
            let mut object =
                federate::object(ctx.config(), &p.post, &requested, &tags, as_note, false);
            object["@context"] = serde_json::json!(shared::activitypub::AS_CONTEXT);
            Ok(HttpResponse::Ok()
                .content_type("application/activity+json")
                .body(object.to_string()))
        }
        Some(p) => Ok(see_other(format!("/posts/{}", p.post.slug)).finish()),
        None if deleted => Ok(HttpResponse::Gone()
            .content_type("application/activity+json")
            .body(
                serde_json::json!({
                    "@context": shared::activitypub::AS_CONTEXT,
                    "id": requested,
                    "type": "Tombstone",
                })
                .to_string(),
            )),
        None => Err(AppError::not_found("There is no such post.")),
    }
}
