//! The editor: a list of one's posts, a writing page (Markdown with live preview, autosave,
//! image upload, scheduling), preview as published, and the JSON API the page talks to.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use shared::infrastructure::sso::CurrentUser;
use shared::models::blog::{Post, PostMeta};
use shared::{AppContext, AppError, PageRequest};

use crate::content::permissions;
use crate::content::render;
use crate::content::service::{self, PostInput, SaveError};
use crate::db;
use crate::db::posts::PostWithAuthor;

const WRITERS_ONLY: &str = "The editor is for authors, editors and administrators.";

/// Largest post document the API accepts.
pub const MAX_DOCUMENT: usize = 1024 * 1024;

/// A post as the editor page holds it.
#[derive(Debug, Serialize)]
pub struct Document {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub slug: String,
    pub excerpt: String,
    pub markdown: Option<String>,
    pub html: String,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    pub tags: Vec<String>,
    pub status: String,
    pub published_at: Option<String>,
    pub meta: PostMeta,
    pub author_id: Option<i64>,
    /// The other authors, in order.
    pub co_author_ids: Vec<i64>,
    /// The version (send it back with the next save).
    pub updated_at: String,
    pub path: String,
}

pub fn version(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

async fn document(ctx: &AppContext, post: Post) -> Result<Document, AppError> {
    let mut conn = ctx.conn().await?;
    let tags = db::tags::tags_of(&mut conn, &[post.id])
        .await?
        .into_iter()
        .map(|(_, t)| t.name)
        .collect();
    let meta = db::meta::post_meta(&mut conn, post.id).await?;
    let co_author_ids = db::authors::author_ids_of(&mut conn, post.id)
        .await?
        .into_iter()
        .filter(|a| Some(*a) != post.author_id)
        .collect();
    let path = if post.kind == "page" {
        format!("/{}", post.slug)
    } else {
        format!("/posts/{}", post.slug)
    };
    Ok(Document {
        id: post.id,
        kind: post.kind,
        title: post.title,
        slug: post.slug,
        excerpt: post.excerpt,
        markdown: post.markdown,
        html: post.html,
        feature_image: post.feature_image,
        feature_image_alt: post.feature_image_alt,
        tags,
        status: post.status,
        published_at: post.published_at.map(|t| t.to_rfc3339()),
        meta,
        author_id: post.author_id,
        co_author_ids,
        updated_at: version(post.updated_at),
        path,
    })
}

/// Loads a post (with its author) the user may edit.
async fn editable(
    ctx: &AppContext,
    user: &CurrentUser,
    id: i64,
) -> Result<PostWithAuthor, AppError> {
    let mut conn = ctx.conn().await?;
    let post = db::posts::post_with_author(&mut conn, id)
        .await?
        .ok_or_else(|| AppError::not_found("There is no such post."))?;
    let authors = db::authors::author_ids_of(&mut conn, id).await?;
    if !permissions::can_edit(user, &post.post, &authors) {
        return Err(AppError::Forbidden("You may not edit this post.".into()));
    }
    Ok(post)
}

/// `GET /editor`: the posts this user may edit.
pub async fn index(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    permissions::require_writer(&user, WRITERS_ONLY)?;
    let posts = {
        let mut conn = ctx.conn().await?;
        let only = (!permissions::is_editor(&user)).then_some(user.id);
        db::posts::editor_list(&mut conn, only, 200).await?
    };
    let imported = {
        let ids: Vec<i64> = posts.iter().map(|p| p.post.id).collect();
        let mut conn = ctx.conn().await?;
        db::ghost::imports_among(&mut conn, &ids).await?
    };
    let rows: Vec<_> = posts
        .iter()
        .map(|p| {
            serde_json::json!({
                "from_ghost": imported.contains(&p.post.id),
                "id": p.post.id,
                "kind": p.post.kind,
                "title": p.post.title,
                "status": p.post.status,
                "author": p.author,
                "published_at": p.post.published_at.map(|t| t.to_rfc3339()),
                "updated_at": p.post.updated_at.to_rfc3339(),
            })
        })
        .collect();
    let mut context = ctx.base_context();
    context.insert("posts", &rows);
    context.insert("is_editor", &permissions::is_editor(&user));
    context.insert("is_admin", &permissions::is_admin(&user));
    ctx.render_page(&page, "editor/index.html", context, Vec::new())
        .await
}

#[derive(Deserialize)]
pub struct NewQuery {
    kind: Option<String>,
}

/// `GET /editor/new`: an empty editor (the first autosave creates the post).
pub async fn new(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    permissions::require_writer(&user, WRITERS_ONLY)?;
    let kind = match query.kind.as_deref() {
        Some("page") if permissions::is_editor(&user) => "page",
        Some("page") => return Err(AppError::Forbidden("Only editors write pages.".into())),
        _ => "post",
    };
    editor_page(
        &ctx,
        &page,
        &user,
        serde_json::json!({ "kind": kind, "status": "draft", "tags": [], "meta": {} }),
        ctx.base_context(),
    )
    .await
}

/// `GET /editor/posts/{id}`.
pub async fn edit(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let post = editable(&ctx, &user, *id).await?.post;
    // A post synced from Ghost: Ghost's copy wins at the next sync.
    let from_ghost = {
        let mut conn = ctx.conn().await?;
        if db::ghost::is_import(&mut conn, post.id).await? {
            let site = db::ghost::site(&mut conn).await?;
            Some(serde_json::json!({
                "kind": post.kind,
                "connected": site.is_some(),
                "url": site.map(|s| s.url),
            }))
        } else {
            None
        }
    };
    let doc = document(&ctx, post).await?;
    let mut context = ctx.base_context();
    context.insert("from_ghost", &from_ghost);
    editor_page(
        &ctx,
        &page,
        &user,
        serde_json::to_value(doc).map_err(AppError::internal)?,
        context,
    )
    .await
}

async fn editor_page(
    ctx: &AppContext,
    page: &PageRequest,
    user: &CurrentUser,
    doc: serde_json::Value,
    mut context: tera::Context,
) -> Result<HttpResponse, AppError> {
    if permissions::is_editor(user) {
        let writers: Vec<_> = ctx
            .registry()
            .users
            .writers()
            .await?
            .into_iter()
            .map(|u| serde_json::json!({ "id": u.id, "name": u.display_name }))
            .collect();
        context.insert("writers", &writers);
        context.insert("me", &user.id);
    }
    // Embedded in a <script type="application/json">: `<` escaped so no tag can close it.
    let json = doc.to_string().replace('<', "\\u003c");
    context.insert("document_json", &json);
    context.insert("is_editor", &permissions::is_editor(user));
    context.insert("title", doc["title"].as_str().unwrap_or("New post"));
    ctx.render_page(page, "editor/edit.html", context, Vec::new())
        .await
}

/// `GET /editor/posts/{id}/preview`: the post as it will look, draft or not.
pub async fn preview(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let post = editable(&ctx, &user, *id).await?;
    let mut res = super::posts::render_preview(&ctx, &page, &post).await?;
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

fn conflict(current: Document) -> HttpResponse {
    HttpResponse::build(StatusCode::CONFLICT).json(serde_json::json!({
        "error": "This post was changed elsewhere (another tab or another editor) since you opened it.",
        "current": current,
    }))
}

async fn answer(
    ctx: &AppContext,
    status: StatusCode,
    result: Result<Post, SaveError>,
) -> Result<HttpResponse, AppError> {
    match result {
        Ok(post) => Ok(HttpResponse::build(status).json(document(ctx, post).await?)),
        Err(SaveError::Conflict(current)) => Ok(conflict(document(ctx, *current).await?)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /editor/api/posts`.
pub async fn create(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    input: web::Json<PostInput>,
) -> Result<HttpResponse, AppError> {
    let result = service::create(&ctx, &user, input.into_inner()).await;
    answer(&ctx, StatusCode::CREATED, result).await
}

/// `PUT /editor/api/posts/{id}`: saves over the version named in `updated_at`.
pub async fn save(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    id: web::Path<i64>,
    input: web::Json<PostInput>,
) -> Result<HttpResponse, AppError> {
    let result = service::save(&ctx, &user, *id, input.into_inner()).await;
    answer(&ctx, StatusCode::OK, result).await
}

/// `DELETE /editor/api/posts/{id}`.
pub async fn delete(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    service::delete(&ctx, &user, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
pub struct RenderRequest {
    markdown: String,
}

/// `POST /editor/api/render`: Markdown to the HTML it will publish as (the live preview).
pub async fn render_markdown(
    user: CurrentUser,
    input: web::Json<RenderRequest>,
) -> Result<HttpResponse, AppError> {
    permissions::require_writer(&user, WRITERS_ONLY)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "html": render::markdown(&input.markdown) })))
}
