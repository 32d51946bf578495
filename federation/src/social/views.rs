//! What the social templates show: posts with their authors, content warnings, media with alt
//! text and relative times. Content is sanitised again on the way out (remote HTML was
//! sanitised when stored; this also covers anything stored before that rule).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use shared::activitypub::sanitize;

use super::authors::Author;
use super::db::timeline::Entry;

#[derive(Debug, Clone, Serialize)]
pub struct Media {
    pub url: String,
    /// The alt text (`name`), empty when the author gave none.
    pub alt: String,
    pub image: bool,
}

#[derive(Debug, Serialize)]
pub struct PostView {
    /// The entry's place (the boost's, for a boost): the next page starts below it.
    pub cursor: i64,
    pub seq: i64,
    pub id: String,
    /// Our page for the post (its thread).
    pub path: String,
    /// The original, where its server shows it (http(s) only).
    pub url: Option<String>,
    pub author: Author,
    pub boosted_by: Option<Author>,
    /// An Article's title.
    pub title: Option<String>,
    /// The content warning: when present, the content is folded behind it.
    pub summary: Option<String>,
    pub sensitive: bool,
    pub content: String,
    pub media: Vec<Media>,
    pub visibility: String,
    pub in_reply_to: bool,
    pub published: String,
    /// `published` is a date (the post is over a week old): the page's script shows it in the
    /// viewer's time zone.
    pub dated: bool,
    pub published_iso: String,
    pub edited: bool,
    pub likes: i32,
    pub boosts: i32,
    pub replies: i64,
    pub liked: bool,
    pub boosted: bool,
    /// The viewer wrote it (may edit and delete it).
    pub mine: bool,
    pub can_boost: bool,
}

/// "now", "42s", "5m", "3h", "6d", or the date (Mastodon's short relative times).
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    match secs {
        s if s < 5 => "now".to_owned(),
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s if s < 7 * 86_400 => format!("{}d", s / 86_400),
        _ if t.format("%Y").to_string() == now.format("%Y").to_string() => {
            t.format("%b %-d").to_string()
        }
        _ => t.format("%b %-d, %Y").to_string(),
    }
}

fn media(payload: &Value) -> Vec<Media> {
    let items = match &payload["attachment"] {
        Value::Array(a) => a.clone(),
        v @ Value::Object(_) => vec![v.clone()],
        _ => Vec::new(),
    };
    items
        .iter()
        .take(8)
        .filter_map(|a| {
            let url = a["url"]
                .as_str()
                .or_else(|| a["url"]["href"].as_str())
                .or_else(|| a["href"].as_str())
                .and_then(sanitize::web_url)?;
            let media_type = a["mediaType"].as_str().unwrap_or_default();
            let image = media_type.starts_with("image/")
                || (media_type.is_empty() && a["type"].as_str() == Some("Image"));
            Some(Media {
                url,
                alt: a["name"]
                    .as_str()
                    .map(|n| n.chars().take(1500).collect())
                    .unwrap_or_default(),
                image,
            })
        })
        .collect()
}

/// Posts for a template, in the entries' order.
pub fn posts(
    entries: Vec<Entry>,
    authors: &HashMap<String, Author>,
    viewer: &str,
    now: DateTime<Utc>,
) -> Vec<PostView> {
    entries
        .into_iter()
        .map(|e| {
            let author = authors
                .get(&e.attributed_to)
                .cloned()
                .unwrap_or_else(|| unknown(&e.attributed_to));
            let boosted_by = e
                .boosted_by
                .as_ref()
                .map(|b| authors.get(b).cloned().unwrap_or_else(|| unknown(b)));
            let when = e.published.unwrap_or(e.created_at);
            let summary = e
                .summary
                .as_deref()
                .map(sanitize::html)
                .filter(|s| !s.trim().is_empty());
            let sensitive = summary.is_some() || e.payload["sensitive"] == Value::Bool(true);
            let path = format!("/statuses/{}", e.object_seq);
            PostView {
                cursor: e.seq,
                seq: e.object_seq,
                path,
                url: e.url.as_deref().and_then(sanitize::web_url),
                title: e.name.filter(|n| !n.trim().is_empty() && e.kind != "Note"),
                summary,
                sensitive,
                content: sanitize::html(&e.content),
                media: media(&e.payload),
                in_reply_to: e.in_reply_to.is_some(),
                published: relative(when, now),
                dated: now - when >= chrono::Duration::days(7),
                published_iso: when.to_rfc3339(),
                edited: e.updated.is_some(),
                likes: e.likes,
                boosts: e.announces,
                replies: e.replies,
                liked: e.liked,
                boosted: e.boosted,
                mine: !viewer.is_empty() && e.attributed_to == viewer,
                can_boost: matches!(e.visibility.as_str(), "public" | "unlisted"),
                visibility: e.visibility,
                id: e.id,
                author,
                boosted_by,
            }
        })
        .collect()
}

fn unknown(id: &str) -> Author {
    Author {
        id: id.to_owned(),
        name: id.to_owned(),
        handle: id.to_owned(),
        profile: super::authors::remote_profile_path(id),
        avatar: None,
        local: false,
        bot: false,
    }
}

/// The actor ids a page of entries needs authors for.
pub fn actor_ids(entries: &[Entry]) -> Vec<String> {
    let mut ids: Vec<String> = entries
        .iter()
        .flat_map(|e| std::iter::once(e.attributed_to.clone()).chain(e.boosted_by.clone()))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times() {
        let now = DateTime::parse_from_rfc3339("2026-12-03T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ago = |s| now - chrono::Duration::seconds(s);
        assert_eq!(relative(ago(2), now), "now");
        assert_eq!(relative(ago(42), now), "42s");
        assert_eq!(relative(ago(300), now), "5m");
        assert_eq!(relative(ago(3 * 3600), now), "3h");
        assert_eq!(relative(ago(2 * 86_400), now), "2d");
        assert_eq!(relative(ago(30 * 86_400), now), "Nov 3");
        assert_eq!(relative(ago(400 * 86_400), now), "Oct 29, 2025");
    }

    #[test]
    fn media_keeps_only_web_addresses_with_alt() {
        let p = serde_json::json!({"attachment": [
            {"type": "Document", "mediaType": "image/png", "url": "https://m.example/a.png", "name": "A cat"},
            {"type": "Image", "url": "javascript:alert(1)"},
            {"type": "Document", "mediaType": "video/mp4", "url": {"href": "https://m.example/v.mp4"}},
        ]});
        let m = media(&p);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].alt, "A cat");
        assert!(m[0].image);
        assert!(!m[1].image);
    }
}
