//! For other websites (issue 14's "widgets in any container", outside the fleet):
//!
//! - `/embed/roseash-events.js`: the `<roseash-events>` custom element (shadow DOM; attributes
//!   `calendar`, `tags`, `limit`, `theme` as Gancio's), cached a day and revalidated by `ETag`,
//!   or a year when asked for with its current `?v=`.
//! - `/embed/events.json?calendar=&tag=&limit=`: what it reads. Public dates only, the same for
//!   everyone (no cookies read), `Access-Control-Allow-Origin: *` without credentials; a bad
//!   parameter answers 400 in JSON, `limit` is capped at [`MAX_LIMIT`].
//! - `/embed/frame?calendar=&tags=&limit=&theme=`: the same list as a small page for an iframe.
//!   It alone sets `frame-ancestors *`; every other page keeps the fleet's `'self'` (and
//!   `X-Frame-Options: SAMEORIGIN`, which the fleet leaves out where a handler admits others).

use std::sync::OnceLock;

use actix_web::http::{StatusCode, header};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use shared::models::events::{Event, Occurrence};
use shared::{AppContext, AppError, AppName};

use crate::answers::Answer;
use crate::domain::{Calendar, EventsError, Listing, WIDGET_SIZE, feed};
use crate::state::EventsState;
use crate::views::{self, EmbedFeed, EmbedFramePage};

/// Most dates one embed lists.
pub const MAX_LIMIT: i64 = 20;
/// Most tags one embed combines.
const MAX_TAGS: usize = 5;
/// Longest calendar slug or tag accepted.
const MAX_WORD: usize = 100;
/// How long browsers may keep the feed and the frame, in seconds.
const MAX_AGE: u32 = 60;

static SCRIPT: &str = include_str!("../../static/embed/roseash-events.js");

/// The script's version: the start of its digest, the `?v=` a page may pin.
fn script_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        feed::etag(SCRIPT)
            .trim_matches('"')
            .chars()
            .take(12)
            .collect()
    })
}

fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

#[derive(serde::Deserialize)]
struct VersionQuery {
    #[serde(default)]
    v: String,
}

/// `GET /embed/roseash-events.js`.
pub async fn script(req: HttpRequest) -> HttpResponse {
    let version = script_version();
    let etag = format!("\"{version}\"");
    let pinned =
        web::Query::<VersionQuery>::from_query(req.query_string()).is_ok_and(|q| q.v == version);
    let cache = if pinned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=86400"
    };
    let fresh = if_none_match(&req, &etag);
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"));
    if fresh {
        return res.finish();
    }
    res.content_type("text/javascript; charset=utf-8")
        .body(SCRIPT)
}

/// The parameters both the feed and the frame take, as given.
#[derive(Debug, Default, serde::Deserialize)]
struct EmbedQuery {
    #[serde(default)]
    calendar: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    limit: String,
    #[serde(default)]
    theme: String,
}

/// What to list, checked.
#[derive(Debug, PartialEq)]
struct Selection {
    calendar: String,
    tags: Vec<String>,
    limit: i64,
    theme: &'static str,
}

#[derive(Debug, thiserror::Error)]
enum EmbedError {
    #[error("The parameters were not understood.")]
    Unreadable(#[source] actix_web::error::QueryPayloadError),
    #[error("{0}")]
    BadParameter(&'static str),
}

fn select(query: &str) -> Result<Selection, EmbedError> {
    let q = web::Query::<EmbedQuery>::from_query(query)
        .map_err(EmbedError::Unreadable)?
        .into_inner();
    let calendar = q.calendar.trim().to_owned();
    if calendar.chars().count() > MAX_WORD || calendar.chars().any(char::is_control) {
        return Err(EmbedError::BadParameter("That is not a calendar's name."));
    }
    let mut tags: Vec<String> = Vec::new();
    for tag in q.tag.split(',').chain(q.tags.split(',')) {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tags.contains(&tag) {
            continue;
        }
        if tag.chars().count() > MAX_WORD || tag.chars().any(char::is_control) {
            return Err(EmbedError::BadParameter("That is not a tag."));
        }
        tags.push(tag);
    }
    if tags.len() > MAX_TAGS {
        return Err(EmbedError::BadParameter("At most five tags, please."));
    }
    let limit = match q.limit.trim() {
        "" => WIDGET_SIZE,
        n => n
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or(EmbedError::BadParameter(
                "The limit is a whole number from 1.",
            ))?
            .min(MAX_LIMIT),
    };
    let theme = match q.theme.trim() {
        "" | "light" => "light",
        "dark" => "dark",
        _ => return Err(EmbedError::BadParameter("The theme is light or dark.")),
    };
    Ok(Selection {
        calendar,
        tags,
        limit,
        theme,
    })
}

/// The next dates of public events the selection names (any of its tags).
async fn dates(
    ctx: &AppContext,
    selection: &Selection,
) -> Result<Vec<(Occurrence, Event)>, EventsError> {
    let calendar = Calendar::new(ctx.db());
    let now = Utc::now();
    let listing = |tag: &str| Listing {
        calendar: selection.calendar.clone(),
        tag: tag.to_owned(),
        ..Listing::default()
    };
    if selection.tags.len() <= 1 {
        let tag = selection.tags.first().map(String::as_str).unwrap_or("");
        return calendar.widget(&listing(tag), now, selection.limit).await;
    }
    let mut rows = Vec::new();
    for tag in &selection.tags {
        rows.extend(calendar.widget(&listing(tag), now, selection.limit).await?);
    }
    rows.sort_by_key(|(o, _)| (o.starts_at, o.id));
    rows.dedup_by_key(|(o, _)| o.id);
    rows.truncate(usize::try_from(selection.limit).unwrap_or(0));
    Ok(rows)
}

/// The events app's page listing what the selection names.
fn more_url(ctx: &AppContext, selection: &Selection) -> String {
    let query = views::query(&Listing {
        calendar: selection.calendar.clone(),
        tag: if selection.tags.len() == 1 {
            selection.tags[0].clone()
        } else {
            String::new()
        },
        ..Listing::default()
    });
    if query.is_empty() {
        ctx.url(AppName::Events, "/")
    } else {
        ctx.url(AppName::Events, &format!("/?{query}"))
    }
}

/// The key an answer is kept under: the checked selection, not the query as written.
fn cache_key(kind: &str, s: &Selection) -> String {
    format!(
        "{kind}\n{}\n{}\n{}\n{}",
        s.calendar,
        s.tags.join(","),
        s.limit,
        s.theme
    )
}

/// A JSON answer other origins may read (never with credentials).
fn json(
    status: StatusCode,
    body: impl actix_web::body::MessageBody + 'static,
    cache: &str,
) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json")
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::CACHE_CONTROL, cache.to_owned()))
        .body(body)
}

fn json_error(status: StatusCode, message: &str) -> HttpResponse {
    json(
        status,
        serde_json::json!({ "error": message }).to_string(),
        "no-store",
    )
}

/// The feed's kept answer, or 304 when the client has it already.
fn json_answer(req: &HttpRequest, answer: &Answer) -> HttpResponse {
    let cache = format!("public, max-age={MAX_AGE}");
    if if_none_match(req, &answer.etag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, answer.etag.clone()))
            .insert_header((header::CACHE_CONTROL, cache))
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .finish();
    }
    let mut res = json(StatusCode::OK, answer.body.clone(), &cache);
    if let Ok(value) = header::HeaderValue::from_str(&answer.etag) {
        res.headers_mut().insert(header::ETAG, value);
    }
    res
}

/// `GET /embed/events.json`.
pub async fn events_json(
    ctx: web::Data<AppContext>,
    state: web::Data<EventsState>,
    req: HttpRequest,
) -> HttpResponse {
    let selection = match select(req.query_string()) {
        Ok(s) => s,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let key = cache_key("json", &selection);
    if let Some(answer) = state.answers.get(&key) {
        return json_answer(&req, &answer);
    }
    let generation = state.answers.generation();
    let rows = match dates(&ctx, &selection).await {
        Ok(rows) => rows,
        Err(EventsError::NoSuchCalendar) => {
            return json_error(StatusCode::NOT_FOUND, "There is no such calendar.");
        }
        Err(e) => {
            tracing::error!(error = %e, "the embed feed could not be read");
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The events could not be read.",
            );
        }
    };
    let view = EmbedFeed::new(
        &rows,
        &ctx.url(AppName::Events, "/"),
        more_url(&ctx, &selection),
    );
    let body = match serde_json::to_string(&view) {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "the embed feed could not be written");
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The events could not be read.",
            );
        }
    };
    let etag = feed::etag(&body);
    let answer = state.answers.put(
        key,
        generation,
        Answer {
            body: Bytes::from(body),
            etag,
        },
    );
    json_answer(&req, &answer)
}

/// `GET /embed/frame`: the list as a page any site may frame.
pub async fn frame(
    ctx: web::Data<AppContext>,
    state: web::Data<EventsState>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    let selection = select(req.query_string()).map_err(|e| AppError::bad_request(e.to_string()))?;
    let key = cache_key("frame", &selection);
    let answer = match state.answers.get(&key) {
        Some(answer) => answer,
        None => {
            let generation = state.answers.generation();
            let rows = dates(&ctx, &selection).await?;
            let view = EmbedFramePage {
                events: views::dates(&rows),
                events_url: ctx.url(AppName::Events, "/"),
                more_url: more_url(&ctx, &selection),
                theme: selection.theme,
            };
            let html = ctx
                .templates()
                .render("embed/frame.html", &views::context(&view)?)?;
            state.answers.put(
                key,
                generation,
                Answer {
                    body: Bytes::from(html),
                    etag: String::new(),
                },
            )
        }
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        // This route only: any site may frame it (the fleet's middleware keeps the rest of
        // its policy and sends no X-Frame-Options for it).
        .insert_header((header::CONTENT_SECURITY_POLICY, "frame-ancestors *"))
        .insert_header((header::CACHE_CONTROL, format!("public, max-age={MAX_AGE}")))
        .body(answer.body.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_checked_and_the_limit_capped() {
        let s = select("calendar=orchard&tag=Trees,cider&tags=trees&limit=500&theme=dark").unwrap();
        assert_eq!(s.calendar, "orchard");
        assert_eq!(s.tags, vec!["trees".to_owned(), "cider".to_owned()]);
        assert_eq!(s.limit, MAX_LIMIT);
        assert_eq!(s.theme, "dark");
        assert_eq!(select("").unwrap().limit, WIDGET_SIZE);
        for bad in [
            "limit=many",
            "limit=0",
            "limit=-3",
            "theme=pink",
            "tag=a,b,c,d,e,f",
            "calendar=%00",
        ] {
            assert!(select(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_script_defines_the_element_in_a_shadow_root() {
        assert!(SCRIPT.contains("customElements.define('roseash-events'"));
        assert!(SCRIPT.contains("attachShadow"));
        assert!(!SCRIPT.contains("innerHTML"));
        assert_eq!(script_version().len(), 12);
    }
}
