//! Posts as the blog actor publishes them to the fediverse, the way Ghost 6 does: an `Article`
//! with a plain-text `summary` teaser (Mastodon shows title + summary + link), or a `Note`
//! carrying title, teaser and link when the site prefers that.

use serde_json::{Value, json};
use shared::AppName;
use shared::activitypub::PUBLIC;
use shared::activitypub::actors::LocalActor;
use shared::config::Config;
use shared::infrastructure::templates::escape_html;
use shared::models::blog::{Post, Tag};

use super::render;

pub const BLOG: LocalActor = LocalActor::App(AppName::Blog);

fn base(config: &Config) -> String {
    shared::activitypub::actors::base(config, AppName::Blog)
}

/// The ActivityPub id of a post's first publication (slugs may change; ids must not).
pub fn object_id(config: &Config, post_id: i64) -> String {
    format!("{}/objects/posts/{post_id}", base(config))
}

/// The id of a later publication, after the first was deleted (unpublished): Mastodon keeps a
/// tombstone for a deleted id and refuses to create it again, so a post published anew needs a
/// new id.
pub fn republished_object_id(config: &Config, post_id: i64) -> String {
    format!(
        "{}/r{}",
        object_id(config, post_id),
        chrono::Utc::now().timestamp_micros()
    )
}

/// The post's public page.
pub fn post_url(config: &Config, post: &Post) -> String {
    match post.kind.as_str() {
        "page" => format!("{}/{}", base(config), post.slug),
        _ => format!("{}/posts/{}", base(config), post.slug),
    }
}

pub fn tag_url(config: &Config, slug: &str) -> String {
    format!("{}/tag/{slug}", base(config))
}

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The teaser: the author's excerpt, else the start of the body.
pub fn summary(post: &Post) -> String {
    if post.excerpt.trim().is_empty() {
        let text: String = render::parts(&post.html)
            .into_iter()
            .filter_map(|part| match part {
                render::Part::Html(html) => Some(html),
                render::Part::Embed(_) => None,
            })
            .collect();
        render::teaser(&render::plain_text(&text), 300)
    } else {
        post.excerpt.trim().to_owned()
    }
}

/// The post as an ActivityStreams object (`as_note`: the site's "publish as Note" switch).
pub fn object(
    config: &Config,
    post: &Post,
    id: &str,
    tags: &[Tag],
    as_note: bool,
    edited: bool,
) -> Value {
    let url = post_url(config, post);
    let summary = summary(post);
    let hashtags: Vec<Value> = tags
        .iter()
        .map(|t| {
            json!({
                "type": "Hashtag",
                "href": tag_url(config, &t.slug),
                "name": format!("#{}", t.name.replace(' ', "")),
            })
        })
        .collect();
    let mut object = json!({
        "id": id,
        "attributedTo": BLOG.id(config),
        "url": url,
        "published": time(post.published_at.unwrap_or(post.created_at)),
        "to": [PUBLIC],
        "cc": [BLOG.followers(config)],
        "tag": hashtags,
    });
    if as_note {
        object["type"] = json!("Note");
        object["content"] = json!(format!(
            "<p><strong>{}</strong></p><p>{}</p><p><a href=\"{url}\">{url}</a></p>",
            escape_html(&post.title),
            escape_html(&summary),
        ));
    } else {
        object["type"] = json!("Article");
        object["name"] = json!(post.title);
        object["summary"] = json!(summary);
        object["content"] = json!(post.html);
    }
    if let Some(image) = post.feature_image.as_deref() {
        let href = absolute(config, image);
        object["image"] = json!({ "type": "Image", "url": href });
        object["attachment"] = json!([{
            "type": "Document",
            "mediaType": media_type(image),
            "url": href,
            "name": post.feature_image_alt.clone().unwrap_or_default(),
        }]);
    }
    if edited {
        object["updated"] = json!(time(post.updated_at));
    }
    object
}

/// What a deleted or unpublished post leaves behind.
pub fn tombstone(id: &str, as_note: bool) -> Value {
    json!({
        "id": id,
        "type": "Tombstone",
        "formerType": if as_note { "Note" } else { "Article" },
        "deleted": time(chrono::Utc::now()),
    })
}

/// Site-relative image paths made absolute on the blog's host.
pub fn absolute(config: &Config, href: &str) -> String {
    if href.starts_with('/') {
        format!("{}{href}", base(config))
    } else {
        href.to_owned()
    }
}

fn media_type(href: &str) -> &'static str {
    let lower = href.to_ascii_lowercase();
    if lower.ends_with(".png") {
        "image/png"
    } else if lower.ends_with(".gif") {
        "image/gif"
    } else if lower.ends_with(".webp") {
        "image/webp"
    } else {
        "image/jpeg"
    }
}
