//! A member's posts: publish, edit (an `Update` whose object carries `updated`), delete (a
//! `Tombstone`), and their likes and boosts of others' posts. Each change and the activity that
//! tells the fediverse are written in one transaction (the outbox); the processor delivers it.

use std::collections::HashMap;

use chrono::{SecondsFormat, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::{Value, json};
use shared::activitypub::actors::{LocalActor, acct_host};
use shared::activitypub::{AS_CONTEXT, bus, id_of, outbox};
use shared::contracts::events;
use shared::{AppContext, AppError, AppName};

use super::Visibility;
use super::compose::{self, Resolved, Token};
use super::notify;
use crate::ap::remote;
use crate::db::{objects, reactions};
use crate::social::db::{posts, timeline};

/// The `@context` of what we send: ActivityStreams and Mastodon's names for `sensitive` and
/// `Hashtag`.
pub fn context() -> Value {
    json!([AS_CONTEXT, {"sensitive": "as:sensitive", "Hashtag": "as:Hashtag"}])
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// What a member typed.
pub struct Draft<'a> {
    pub text: &'a str,
    /// The content warning ("" for none).
    pub summary: &'a str,
    pub sensitive: bool,
    pub visibility: &'a str,
    /// The place of the post this replies to.
    pub in_reply_to: Option<i64>,
    /// Images, stored already.
    pub attachments: &'a [Attachment],
}

/// An image on a post: where it is served, its type and its description.
#[derive(Debug, Clone)]
pub struct Attachment {
    pub url: String,
    pub media_type: String,
    /// The alt text ("" for none).
    pub alt: String,
}

/// Attachments as Mastodon sends them: a `Document` with `mediaType`, `url` and the alt text
/// as `name` (null without one).
fn attachment_json(attachments: &[Attachment]) -> Value {
    attachments
        .iter()
        .map(|a| {
            json!({
                "type": "Document",
                "mediaType": a.media_type,
                "url": a.url,
                "name": (!a.alt.is_empty()).then_some(&a.alt),
            })
        })
        .collect()
}

/// Resolves the mentions of a draft: our members and apps from our tables, others through
/// WebFinger. One that cannot be found stays plain text (as in Mastodon).
async fn resolve_mentions(ctx: &AppContext, tokens: &[Token]) -> HashMap<String, Resolved> {
    let config = ctx.config();
    let mut out = HashMap::new();
    for (key, name, host) in compose::mentions(tokens) {
        let app_named = AppName::ALL.iter().copied().find(|a| a.as_str() == name);
        let local = match &host {
            // `@name`: a member here, or one of the apps.
            None => match app_named {
                Some(app) => Some(LocalActor::App(app)),
                None => member_exists(ctx, &name)
                    .await
                    .then(|| LocalActor::User(name.clone())),
            },
            Some(h) => match AppName::ALL
                .iter()
                .copied()
                .find(|app| h.eq_ignore_ascii_case(&acct_host(config, *app)))
            {
                Some(app) if app_named == Some(app) => Some(LocalActor::App(app)),
                Some(AppName::Federation) if member_exists(ctx, &name).await => {
                    Some(LocalActor::User(name.clone()))
                }
                _ => None,
            },
        };
        if let Some(actor) = local {
            let url = match &actor {
                LocalActor::User(n) => shared::infrastructure::link_catalog::profile(n).url(ctx),
                LocalActor::App(app) => ctx.url(*app, "/"),
            };
            out.insert(
                key,
                Resolved {
                    id: actor.id(config),
                    url,
                    acct: format!(
                        "{}@{}",
                        actor.preferred_username(),
                        acct_host(config, actor.app())
                    ),
                },
            );
            continue;
        }
        let Some(host) = host else { continue };
        let handle = format!("{name}@{host}");
        let Ok(id) = remote::resolve(ctx, &handle).await else {
            continue;
        };
        let Ok(actor) = remote::actor(ctx, &id).await else {
            continue;
        };
        let url = actor
            .url
            .as_deref()
            .and_then(shared::activitypub::sanitize::web_url)
            .unwrap_or_else(|| actor.id.clone());
        out.insert(
            key,
            Resolved {
                id: actor.id,
                url,
                acct: handle,
            },
        );
    }
    out
}

async fn member_exists(ctx: &AppContext, name: &str) -> bool {
    let Ok(mut conn) = ctx.conn().await else {
        return false;
    };
    matches!(
        shared::models::users::by_username(&mut conn, name).await,
        Ok(Some(_))
    )
}

fn tag_url(ctx: &AppContext, tag: &str) -> String {
    ctx.url(
        AppName::Federation,
        &format!(
            "/tags/{}",
            url::form_urlencoded::byte_serialize(tag.as_bytes()).collect::<String>()
        ),
    )
}

/// Whether `iri` is an object of one of the fleet's apps other than federation (a blog post,
/// a product, an event): a member's reply to it is also a comment there, told to the fleet on
/// the event bus as a remote reply is (`crate::ap::handlers`).
fn is_app_object(ctx: &AppContext, iri: &str) -> bool {
    AppName::ALL
        .iter()
        .filter(|app| **app != AppName::Federation)
        .any(|app| {
            let origin = shared::infrastructure::app::origin(ctx.config().apps.public(*app));
            iri.strip_prefix(&origin)
                .is_some_and(|rest| rest.starts_with('/'))
        })
}

/// Whether a note is addressed to everyone (public or unlisted): only those become comments
/// (a followers-only or direct reply stays among those it was sent to).
fn addressed_publicly(note: &Value) -> bool {
    ["to", "cc"].iter().any(|field| {
        note[*field]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == shared::activitypub::PUBLIC))
    })
}

/// The app object a member's public note replies to, when it is one (see [`is_app_object`]).
fn app_parent(ctx: &AppContext, note: &Value) -> Option<String> {
    note["inReplyTo"]
        .as_str()
        .filter(|parent| is_app_object(ctx, parent) && addressed_publicly(note))
        .map(str::to_owned)
}

async fn tell_fleet<E: events::BusEvent>(
    conn: &mut AsyncPgConnection,
    ctx: &AppContext,
    event: &E,
) -> diesel::QueryResult<()> {
    bus::publish(
        conn,
        ctx.config(),
        &LocalActor::App(AppName::Federation),
        event,
    )
    .await
    .map(drop)
}

/// The parent of a reply, as the author may see it: (id, author).
async fn parent(
    conn: &mut AsyncPgConnection,
    me: &str,
    seq: i64,
) -> Result<(String, String), AppError> {
    let post = timeline::post(conn, me, seq)
        .await?
        .filter(|p| p.deleted_at.is_none())
        .ok_or_else(|| AppError::not_found("There is no such post to reply to."))?;
    Ok((post.id, post.attributed_to))
}

/// Publishes a member's post; returns its place.
pub async fn publish(ctx: &AppContext, username: &str, draft: &Draft<'_>) -> Result<i64, AppError> {
    let config = ctx.config();
    let me = LocalActor::User(username.to_owned());
    let me_id = me.id(config);
    let (tokens, visibility) = compose::check(
        draft.text,
        draft.summary,
        draft.visibility,
        !draft.attachments.is_empty(),
    )
    .map_err(|e| AppError::bad_request(e.to_string()))?;
    let reply_to = match draft.in_reply_to {
        Some(seq) => Some(parent(&mut *ctx.conn().await?, &me_id, seq).await?),
        None => None,
    };
    let resolved = resolve_mentions(ctx, &tokens).await;
    let (content, mut tags) = compose::render(&tokens, &resolved, |t| tag_url(ctx, t));
    let mut mentioned: Vec<String> = Vec::new();
    for t in &tags {
        if let Some(h) = t["href"].as_str().filter(|_| t["type"] == "Mention") {
            mentioned.push(h.to_owned());
        }
    }
    // The author replied to is addressed (and tagged) like a mention, as Mastodon's reply
    // form does.
    if let Some((_, parent_author)) = &reply_to
        && parent_author != &me_id
        && !mentioned.contains(parent_author)
    {
        mentioned.push(parent_author.clone());
        tags.push(json!({"type": "Mention", "href": parent_author}));
    }
    mentioned.retain(|m| m != &me_id);
    if visibility == Visibility::Direct && mentioned.is_empty() {
        return Err(AppError::bad_request(
            compose::ComposeError::NoOneAddressed.to_string(),
        ));
    }
    let (to, cc) = visibility.address(&me.followers(config), &mentioned);
    let summary = draft.summary.trim();
    let mut conn = ctx.conn().await?;
    let seq = timeline::next_seq(&mut conn).await?;
    let id = format!("{me_id}/statuses/{seq}");
    let url = ctx.url(AppName::Federation, &format!("/@{username}/{seq}"));
    let published = Utc::now();
    let note = json!({
        "id": id,
        "type": "Note",
        "attributedTo": me_id,
        "summary": (!summary.is_empty()).then_some(summary),
        "sensitive": draft.sensitive || !summary.is_empty(),
        "content": content,
        "inReplyTo": reply_to.as_ref().map(|(id, _)| id),
        "published": published.to_rfc3339_opts(SecondsFormat::Secs, true),
        "url": url,
        "to": to,
        "cc": cc,
        "tag": tags,
        "attachment": attachment_json(draft.attachments),
        // What the member typed, for editing (the `source` property Mastodon and Misskey use).
        "source": {"content": draft.text.trim(), "mediaType": "text/plain"},
    });
    let create = json!({
        "@context": context(),
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": me_id,
        "published": note["published"],
        "to": to,
        "cc": cc,
        "object": note,
    });
    let summary_html =
        (!summary.is_empty()).then(|| shared::infrastructure::templates::escape_html(summary));
    let comment = match app_parent(ctx, &note) {
        Some(parent) => {
            let name = shared::models::users::by_username(&mut conn, username)
                .await?
                .map(|u| u.display_name)
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| username.to_owned());
            Some(events::Reply {
                id: id.clone(),
                in_reply_to: parent,
                attributed_to: me_id.clone(),
                content: content.clone(),
                published,
                url: Some(url.clone()),
                author_name: Some(name),
                author_url: Some(shared::infrastructure::link_catalog::profile(username).url(ctx)),
            })
        }
        None => None,
    };
    conn.transaction(async |conn| {
        posts::insert(
            conn,
            &posts::NewPost {
                seq,
                id: &id,
                attributed_to: &me_id,
                summary: summary_html.as_deref(),
                content: &content,
                url: &url,
                in_reply_to: reply_to.as_ref().map(|(id, _)| id.as_str()),
                published,
                payload: &note,
            },
        )
        .await?;
        outbox::emit(conn, &create).await?;
        notify::post(conn, ctx.config(), &me_id, &note).await?;
        if let Some(comment) = &comment {
            tell_fleet(conn, ctx, comment).await?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .await?;
    Ok(seq)
}

/// A member's own post at `seq`: (id, payload); 404 if there is none, 403 if it is not theirs.
async fn own(
    conn: &mut AsyncPgConnection,
    me_id: &str,
    seq: i64,
) -> Result<(String, Value), AppError> {
    let (id, author, local, _, payload, deleted) = posts::by_seq(conn, seq)
        .await?
        .filter(|p| p.5.is_none())
        .ok_or_else(|| AppError::not_found("There is no such post."))?;
    let _ = deleted;
    if !local || author != me_id {
        return Err(AppError::Forbidden("That is not your post.".into()));
    }
    Ok((id, payload))
}

/// Edits a member's post: new text and content warning, the same audience; `updated` set so
/// Mastodon applies it.
pub async fn edit(
    ctx: &AppContext,
    username: &str,
    seq: i64,
    text: &str,
    summary: &str,
    sensitive: bool,
) -> Result<(), AppError> {
    let config = ctx.config();
    let me = LocalActor::User(username.to_owned());
    let me_id = me.id(config);
    let (id, old) = own(&mut *ctx.conn().await?, &me_id, seq).await?;
    let has_media = old["attachment"].as_array().is_some_and(|a| !a.is_empty());
    let (tokens, _) = compose::check(text, summary, "public", has_media)
        .map_err(|e| AppError::bad_request(e.to_string()))?;
    let resolved = resolve_mentions(ctx, &tokens).await;
    let (content, mut tags) = compose::render(&tokens, &resolved, |t| tag_url(ctx, t));
    // The audience stays; newly mentioned actors are added to it.
    let mut cc: Vec<Value> = old["cc"].as_array().cloned().unwrap_or_default();
    let mut to: Vec<Value> = old["to"].as_array().cloned().unwrap_or_default();
    let direct = !to
        .iter()
        .chain(cc.iter())
        .any(|a| a == shared::activitypub::PUBLIC || a.as_str() == Some(&me.followers(config)));
    for t in &tags {
        if t["type"] == "Mention" && !to.contains(&t["href"]) && !cc.contains(&t["href"]) {
            if direct {
                to.push(t["href"].clone())
            } else {
                cc.push(t["href"].clone())
            }
        }
    }
    // Keep the reply's mention of the parent's author.
    for t in old["tag"].as_array().into_iter().flatten() {
        if t["type"] == "Mention" && t.get("name").is_none() && !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    let summary = summary.trim();
    let updated = Utc::now();
    let mut note = old.clone();
    note["content"] = json!(content);
    note["summary"] = json!((!summary.is_empty()).then_some(summary));
    note["sensitive"] = json!(sensitive || !summary.is_empty());
    note["tag"] = json!(tags);
    note["to"] = json!(to);
    note["cc"] = json!(cc);
    note["updated"] = json!(updated.to_rfc3339_opts(SecondsFormat::Secs, true));
    note["source"] = json!({"content": text.trim(), "mediaType": "text/plain"});
    let update = json!({
        "@context": context(),
        "id": outbox::activity_id(config, &me),
        "type": "Update",
        "actor": me_id,
        "published": now(),
        "to": to,
        "cc": cc,
        "object": note,
    });
    let summary_html =
        (!summary.is_empty()).then(|| shared::infrastructure::templates::escape_html(summary));
    let mut conn = ctx.conn().await?;
    conn.transaction(async |conn| {
        objects::update_object(
            conn,
            &id,
            updated,
            None,
            summary_html.as_deref(),
            &content,
            &note,
        )
        .await?;
        outbox::emit(conn, &update).await?;
        notify::post(conn, ctx.config(), &me_id, &note).await?;
        notify::edited(conn, ctx.config(), &me_id, &id).await?;
        if let Some(parent) = app_parent(ctx, &note) {
            let published = note["published"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .map_or(updated, |t| t.with_timezone(&Utc));
            let event = events::ReplyUpdated {
                id: id.clone(),
                in_reply_to: parent,
                attributed_to: me_id.clone(),
                content: content.clone(),
                published,
                url: note["url"].as_str().map(str::to_owned),
            };
            tell_fleet(conn, ctx, &event).await?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .await?;
    Ok(())
}

/// Deletes a member's post: a Tombstone stays (the id answers 410), and a Delete goes to
/// everyone the post went to.
pub async fn delete(ctx: &AppContext, username: &str, seq: i64) -> Result<(), AppError> {
    let config = ctx.config();
    let me = LocalActor::User(username.to_owned());
    let me_id = me.id(config);
    let (id, old) = own(&mut *ctx.conn().await?, &me_id, seq).await?;
    let delete = json!({
        "@context": AS_CONTEXT,
        "id": format!("{id}#delete"),
        "type": "Delete",
        "actor": me_id,
        "published": now(),
        "to": old["to"],
        "cc": old["cc"],
        "object": {"id": id, "type": "Tombstone", "atomUri": id},
    });
    let mut conn = ctx.conn().await?;
    conn.transaction(async |conn| {
        objects::tombstone(conn, &id).await?;
        outbox::emit(conn, &delete).await?;
        if let Some(parent) = app_parent(ctx, &old) {
            let event = events::ReplyDeleted {
                id: id.clone(),
                in_reply_to: parent,
                attributed_to: me_id.clone(),
            };
            tell_fleet(conn, ctx, &event).await?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .await?;
    Ok(())
}

/// Likes ("Like") or boosts ("Announce") a post the member may see; only public and unlisted
/// posts are boosted. Idempotent.
pub async fn react(ctx: &AppContext, username: &str, seq: i64, kind: &str) -> Result<(), AppError> {
    let config = ctx.config();
    let me = LocalActor::User(username.to_owned());
    let me_id = me.id(config);
    let mut conn = ctx.conn().await?;
    let post = timeline::post(&mut conn, &me_id, seq)
        .await?
        .filter(|p| p.deleted_at.is_none())
        .ok_or_else(|| AppError::not_found("There is no such post."))?;
    if kind == "Announce" && !matches!(post.visibility.as_str(), "public" | "unlisted") {
        return Err(AppError::bad_request(
            "Only public and unlisted posts can be boosted.",
        ));
    }
    if posts::reaction_id(&mut conn, &me_id, &post.id, kind)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let activity_id = outbox::activity_id(config, &me);
    let activity = if kind == "Like" {
        json!({
            "@context": AS_CONTEXT, "id": activity_id, "type": "Like", "actor": me_id,
            "object": post.id, "to": [post.attributed_to],
        })
    } else {
        json!({
            "@context": AS_CONTEXT, "id": activity_id, "type": "Announce", "actor": me_id,
            "published": now(), "object": post.id,
            "to": [shared::activitypub::PUBLIC],
            "cc": [post.attributed_to, me.followers(config)],
        })
    };
    conn.transaction(async |conn| {
        let added = reactions::add_reaction(conn, &me_id, &post.id, kind, &activity_id).await?;
        if added {
            outbox::emit(conn, &activity).await?;
            notify::reaction(conn, ctx.config(), &me_id, &post.id, kind, true).await?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .await?;
    Ok(())
}

/// Takes a like or boost back (`Undo` with the original embedded).
pub async fn unreact(
    ctx: &AppContext,
    username: &str,
    seq: i64,
    kind: &str,
) -> Result<(), AppError> {
    let config = ctx.config();
    let me = LocalActor::User(username.to_owned());
    let me_id = me.id(config);
    let mut conn = ctx.conn().await?;
    let Some((object_id, author, ..)) = posts::by_seq(&mut conn, seq).await? else {
        return Err(AppError::not_found("There is no such post."));
    };
    let Some(reaction_id) = posts::reaction_id(&mut conn, &me_id, &object_id, kind).await? else {
        return Ok(());
    };
    let undo = json!({
        "@context": AS_CONTEXT,
        "id": format!("{reaction_id}/undo"),
        "type": "Undo",
        "actor": me_id,
        "to": [author],
        "cc": if kind == "Announce" { json!([shared::activitypub::PUBLIC, me.followers(config)]) } else { json!([]) },
        "object": {"id": reaction_id, "type": kind, "actor": me_id, "object": object_id},
    });
    conn.transaction(async |conn| {
        let removed = reactions::remove_reaction(
            conn,
            &me_id,
            reactions::ReactionRef::Of {
                object_id: &object_id,
                kind,
            },
        )
        .await?;
        if removed {
            outbox::emit(conn, &undo).await?;
            notify::reaction(conn, ctx.config(), &me_id, &object_id, kind, false).await?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .await?;
    let _ = id_of;
    Ok(())
}
