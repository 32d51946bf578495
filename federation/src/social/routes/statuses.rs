//! A post: its thread page, its ActivityPub document, and the member's forms on it (publish,
//! edit, delete, like, boost).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::{CONTENT_TYPE, wants_activity_json};
use shared::infrastructure::redirect::see_other;
use shared::infrastructure::sso::CurrentUser;
use shared::infrastructure::{media, multipart};
use shared::{AppContext, AppError, AppName, PageRequest};

use super::Viewer;
use crate::social::db::{posts, timeline};
use crate::social::domain::compose;
use crate::social::domain::posts as post_rules;
use crate::social::{authors, post_html, views};

/// Most images on one post (Mastodon's limit).
pub const MAX_MEDIA: usize = 4;
/// Longest alt text (Mastodon's limit).
pub const MAX_ALT_CHARS: usize = 1500;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The compose form may carry images: its body may be that large (a single image over
    // the cap is a 413 of its own).
    cfg.configure(shared::infrastructure::media::configure)
        .service(
            web::resource("/statuses")
                .app_data(web::PayloadConfig::new(
                    MAX_MEDIA * shared::infrastructure::media::MAX_IMAGE + 256 * 1024,
                ))
                .route(web::post().to(publish)),
        )
        .route("/statuses/{seq}", web::get().to(thread))
        .route("/@{username}/{seq}", web::get().to(member_thread))
        .route(
            &format!(
                "{}/statuses/{{seq}}",
                shared::infrastructure::link_catalog::routes::PERSON
            ),
            web::get().to(document),
        )
        .route("/statuses/{seq}/edit", web::get().to(edit_form))
        .route("/statuses/{seq}/edit", web::post().to(edit))
        .route("/statuses/{seq}/delete", web::post().to(delete))
        .route("/statuses/{seq}/{action}", web::post().to(react));
}

#[derive(Debug, Deserialize)]
struct ComposeForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    sensitive: Option<String>,
    #[serde(default = "public")]
    visibility: String,
    #[serde(default)]
    in_reply_to: Option<String>,
}

fn public() -> String {
    "public".to_owned()
}

fn seq_param(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| AppError::not_found("There is no such post."))
}

/// One image of a draft, as uploaded.
struct Upload {
    bytes: web::Bytes,
    alt: String,
}

/// The compose form: urlencoded, or multipart when it carries images (`media` file inputs,
/// each followed by its `alt` text input; empty file inputs are skipped).
fn compose_form(
    req: &HttpRequest,
    body: &web::Bytes,
) -> Result<(ComposeForm, Vec<Upload>), AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(boundary) = multipart::boundary(content_type) else {
        let form = serde_urlencoded::from_bytes::<ComposeForm>(body)
            .map_err(|e| AppError::bad_request(format!("The form is incomplete: {e}")))?;
        return Ok((form, Vec::new()));
    };
    let parts =
        multipart::parse(body, &boundary).map_err(|e| AppError::bad_request(e.to_string()))?;
    let text = |name: &str| -> Result<Option<String>, AppError> {
        parts
            .iter()
            .find(|p| p.name == name && p.filename.is_none())
            .map(|p| {
                p.text()
                    .map(|t| t.replace("\r\n", "\n"))
                    .ok_or_else(|| AppError::bad_request(format!("{name} is not text.")))
            })
            .transpose()
    };
    let form = ComposeForm {
        text: text("text")?.unwrap_or_default(),
        summary: text("summary")?.unwrap_or_default(),
        sensitive: text("sensitive")?,
        visibility: text("visibility")?.unwrap_or_else(public),
        in_reply_to: text("in_reply_to")?,
    };
    let alts: Vec<&str> = parts
        .iter()
        .filter(|p| p.name == "alt" && p.filename.is_none())
        .map(|p| p.text().unwrap_or_default())
        .collect();
    let mut uploads = Vec::new();
    for (i, file) in parts.iter().filter(|p| p.name == "media").enumerate() {
        if file.body.is_empty() {
            continue; // a file input left empty
        }
        let alt = alts.get(i).copied().unwrap_or_default().trim().to_owned();
        if alt.chars().count() > MAX_ALT_CHARS {
            return Err(AppError::BadRequest(format!(
                "An image description is at most {MAX_ALT_CHARS} characters."
            )));
        }
        uploads.push(Upload {
            bytes: body.slice_ref(file.body),
            alt,
        });
    }
    if uploads.len() > MAX_MEDIA {
        return Err(AppError::BadRequest(format!(
            "A post has at most {MAX_MEDIA} images."
        )));
    }
    Ok((form, uploads))
}

async fn publish(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (form, uploads) = compose_form(&req, &body)?;
    let in_reply_to = match form.in_reply_to.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<i64>()
                .ok()
                .ok_or_else(|| AppError::bad_request("Reply to which post?"))?,
        ),
    };
    // Everything is checked before any image is stored: a refused draft leaves nothing behind.
    compose::check(
        &form.text,
        &form.summary,
        &form.visibility,
        !uploads.is_empty(),
    )
    .map_err(|e| AppError::bad_request(e.to_string()))?;
    if uploads.iter().any(|u| u.bytes.len() > media::MAX_IMAGE) {
        return Ok(shared::infrastructure::errors::error_response(
            &req,
            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "Images are at most {} MB.",
                media::MAX_IMAGE / (1024 * 1024)
            ),
        ));
    }
    if uploads.iter().any(|u| media::sniff(&u.bytes).is_none()) {
        return Err(AppError::bad_request(
            "Only PNG, JPEG, GIF and WebP images can be attached.",
        ));
    }
    let mut attachments = Vec::new();
    for upload in uploads {
        let stored = media::store_image(&ctx.config().media_dir, upload.bytes).await?;
        attachments.push(post_rules::Attachment {
            url: ctx.url(AppName::Federation, &stored.url),
            media_type: stored.content_type.to_owned(),
            alt: upload.alt,
        });
    }
    let seq = post_rules::publish(
        &ctx,
        &user.username,
        &post_rules::Draft {
            text: &form.text,
            summary: &form.summary,
            sensitive: form.sensitive.is_some(),
            visibility: &form.visibility,
            in_reply_to,
            attachments: &attachments,
        },
    )
    .await?;
    Ok(see_other(match in_reply_to {
        Some(parent) => format!("/statuses/{parent}#post-{seq}"),
        None => "/home".to_owned(),
    })
    .finish())
}

async fn member_thread(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: Option<CurrentUser>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (_, seq) = path.into_inner();
    show_thread(&ctx, &page, user, seq_param(&seq)?).await
}

async fn thread(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: Option<CurrentUser>,
    seq: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    show_thread(&ctx, &page, user, seq_param(&seq)?).await
}

async fn show_thread(
    ctx: &AppContext,
    page: &PageRequest,
    user: Option<CurrentUser>,
    seq: i64,
) -> Result<HttpResponse, AppError> {
    let viewer = Viewer::of(ctx, user).await?;
    let (focus, ancestors, replies) = {
        let mut conn = ctx.conn().await?;
        let focus = timeline::post(&mut conn, &viewer.actor, seq)
            .await?
            .filter(|p| p.deleted_at.is_none())
            .ok_or_else(|| AppError::not_found("There is no such post, or it is not for you."))?;
        let (up, down) =
            timeline::thread(&mut conn, &viewer.actor, &viewer.hidden, &focus.id).await?;
        let mut all = up.clone();
        all.push(focus.clone());
        all.extend(down.iter().cloned());
        let people = authors::load(&conn, ctx.config(), &views::actor_ids(&all)).await?;
        let now = chrono::Utc::now();
        (
            views::posts(vec![focus], &people, &viewer.actor, now),
            views::posts(up, &people, &viewer.actor, now),
            views::posts(down, &people, &viewer.actor, now),
        )
    };
    let mut context = ctx.base_context();
    let forms = viewer.forms(page);
    context.insert(
        "focus_author",
        &focus.first().map(|p| p.author.name.as_str()),
    );
    context.insert("focus_html", &post_html::posts(&focus, &forms));
    context.insert("ancestors_html", &post_html::posts(&ancestors, &forms));
    context.insert("replies_html", &post_html::posts(&replies, &forms));
    context.insert("reply_to", &seq);
    viewer.insert_into(&mut context);
    ctx.render_page(page, "social/thread.html", context, Vec::new())
        .await
}

/// A member's post as ActivityPub (public and unlisted posts only; a deleted one is 410 Gone
/// with its Tombstone). Browsers are sent to its page.
async fn document(
    req: HttpRequest,
    ctx: web::Data<AppContext>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (name, seq) = path.into_inner();
    let seq = seq_param(&seq)?;
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !wants_activity_json(accept) {
        return Ok(see_other(format!("/@{name}/{seq}"))
            .insert_header((header::VARY, "Accept"))
            .finish());
    }
    let me = LocalActor::User(name).id(ctx.config());
    let stored = {
        let mut conn = ctx.conn().await?;
        posts::by_seq(&mut conn, seq).await?
    };
    let Some((id, author, true, visibility, mut payload, deleted)) = stored else {
        return Err(AppError::not_found("No such post."));
    };
    if author != me {
        return Err(AppError::not_found("No such post."));
    }
    let respond = |status: actix_web::http::StatusCode, body: serde_json::Value| {
        HttpResponse::build(status)
            .content_type(CONTENT_TYPE)
            .insert_header((header::VARY, "Accept"))
            .body(body.to_string())
    };
    if deleted.is_some() {
        return Ok(respond(
            actix_web::http::StatusCode::GONE,
            json!({"@context": shared::activitypub::AS_CONTEXT, "id": id, "type": "Tombstone"}),
        ));
    }
    if !matches!(visibility.as_str(), "public" | "unlisted") {
        return Err(AppError::not_found("No such post."));
    }
    payload["@context"] = post_rules::context();
    Ok(respond(actix_web::http::StatusCode::OK, payload))
}

#[derive(Debug, Deserialize)]
struct EditForm {
    text: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    sensitive: Option<String>,
}

/// The text a member typed, back from the stored HTML (tags gone, breaks kept).
fn plain_text(html: &str) -> String {
    let with_breaks = html.replace("<br>", "\n").replace("</p><p>", "\n\n");
    let text = shared::activitypub::sanitize::text(&with_breaks);
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

async fn edit_form(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    user: CurrentUser,
    seq: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let seq = seq_param(&seq)?;
    let me = LocalActor::User(user.username.clone()).id(ctx.config());
    let stored = {
        let mut conn = ctx.conn().await?;
        posts::by_seq(&mut conn, seq).await?
    };
    let Some((_, author, local, _, payload, None)) = stored else {
        return Err(AppError::not_found("There is no such post."));
    };
    if !local || author != me {
        return Err(AppError::Forbidden("That is not your post.".into()));
    }
    let viewer = Viewer::of(&ctx, Some(user)).await?;
    let mut context = ctx.base_context();
    context.insert("seq", &seq);
    let text = payload["source"]["content"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| plain_text(payload["content"].as_str().unwrap_or_default()));
    context.insert("text", &text);
    context.insert("summary", payload["summary"].as_str().unwrap_or_default());
    context.insert("sensitive", &(payload["sensitive"] == json!(true)));
    viewer.insert_into(&mut context);
    ctx.render_page(&page, "social/edit.html", context, Vec::new())
        .await
}

async fn edit(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    seq: web::Path<String>,
    form: web::Form<EditForm>,
) -> Result<HttpResponse, AppError> {
    let seq = seq_param(&seq)?;
    post_rules::edit(
        &ctx,
        &user.username,
        seq,
        &form.text,
        &form.summary,
        form.sensitive.is_some(),
    )
    .await?;
    Ok(see_other(format!("/statuses/{seq}")).finish())
}

async fn delete(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    seq: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let seq = seq_param(&seq)?;
    post_rules::delete(&ctx, &user.username, seq).await?;
    Ok(see_other("/home").finish())
}

#[derive(Debug, Deserialize)]
struct Back {
    back: Option<String>,
}

/// Only a path on this site (never another origin) to go back to.
fn back_to(back: Option<&str>, fallback: String) -> String {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') => b.to_owned(),
        _ => fallback,
    }
}

async fn react(
    ctx: web::Data<AppContext>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    form: web::Form<Back>,
) -> Result<HttpResponse, AppError> {
    let (seq, action) = path.into_inner();
    let seq = seq_param(&seq)?;
    match action.as_str() {
        "favourite" => post_rules::react(&ctx, &user.username, seq, "Like").await?,
        "unfavourite" => post_rules::unreact(&ctx, &user.username, seq, "Like").await?,
        "reblog" => post_rules::react(&ctx, &user.username, seq, "Announce").await?,
        "unreblog" => post_rules::unreact(&ctx, &user.username, seq, "Announce").await?,
        _ => return Err(AppError::not_found("No such action.")),
    }
    Ok(see_other(back_to(form.back.as_deref(), format!("/statuses/{seq}"))).finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_stays_on_this_site() {
        assert_eq!(
            back_to(Some("/home?max_id=3"), "/x".into()),
            "/home?max_id=3"
        );
        assert_eq!(back_to(Some("//evil.example/"), "/x".into()), "/x");
        assert_eq!(back_to(Some("https://evil.example/"), "/x".into()), "/x");
        assert_eq!(back_to(Some("/\\evil.example"), "/x".into()), "/x");
    }

    #[test]
    fn edit_text_comes_back_plain() {
        assert_eq!(
            plain_text(
                "<p>a &lt;b&gt;<br>c</p><p><a href=\"x\" class=\"mention hashtag\">#<span>t</span></a></p>"
            ),
            "a <b>\nc\n\n#t"
        );
    }
}
