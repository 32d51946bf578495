//! A member's posts: publish, edit (an `Update` whose object carries `updated`), delete (a
//! `Tombstone`), and their likes and boosts of others' posts. Each change and the activity that
//! tells the fediverse are written in one transaction (the outbox); the processor delivers it.

use std::collections::HashMap;

use chrono::{SecondsFormat, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::{Value, json};
use shared::activitypub::actors::{LocalActor, acct_host};
use shared::activitypub::{AS_CONTEXT, id_of, outbox};
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
    let (tokens, visibility) = compose::check(draft.text, draft.summary, draft.visibility)
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
        "attachment": [],
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
    let (tokens, _) = compose::check(text, summary, "public")
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
