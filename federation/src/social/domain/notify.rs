//! Which member a notification is for, and the notifications posts, reactions, follows and
//! edits cause. A member who blocked or muted the actor (or their domain) is not notified.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::id_of;
use shared::config::Config;
use shared::db::schema::users;

use crate::social::db::{filters, notifications, posts};

/// The member whose actor this is.
pub async fn member_id(
    conn: &mut AsyncPgConnection,
    config: &Config,
    actor: &str,
) -> QueryResult<Option<i64>> {
    let Some(LocalActor::User(name)) = LocalActor::from_id(config, actor) else {
        return Ok(None);
    };
    users::table
        .filter(users::username.eq(name))
        .select(users::id)
        .first(conn)
        .await
        .optional()
}

/// Notifies `actor`'s member (unless it is `by` themselves, or they hide `by`).
async fn notify(
    conn: &mut AsyncPgConnection,
    config: &Config,
    member_actor: &str,
    kind: &str,
    by: &str,
    object_id: Option<&str>,
) -> QueryResult<bool> {
    if member_actor == by {
        return Ok(false);
    }
    let Some(user_id) = member_id(conn, config, member_actor).await? else {
        return Ok(false);
    };
    if filters::hides(conn, user_id, by, false).await? {
        return Ok(false);
    }
    notifications::add(conn, user_id, kind, by, object_id).await
}

/// The actors a post mentions and addresses (a `Mention` tag alone does not notify, as in
/// Mastodon: the recipient must be in `to`/`cc` too).
pub fn mentioned(object: &Value) -> Vec<String> {
    let addressed: Vec<&str> = ["to", "cc"]
        .iter()
        .flat_map(|f| match &object[*f] {
            Value::Array(items) => items.iter().filter_map(id_of).collect::<Vec<_>>(),
            v => id_of(v).into_iter().collect(),
        })
        .collect();
    let tags = match &object["tag"] {
        Value::Array(items) => items.clone(),
        v @ Value::Object(_) => vec![v.clone()],
        _ => Vec::new(),
    };
    let mut out: Vec<String> = tags
        .iter()
        .filter(|t| t["type"] == "Mention")
        .filter_map(|t| t["href"].as_str())
        .filter(|h| addressed.contains(h))
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A new post: its mentions and the author of what it replies to.
pub async fn post(
    conn: &mut AsyncPgConnection,
    config: &Config,
    author: &str,
    object: &Value,
) -> QueryResult<()> {
    let Some(id) = object["id"].as_str() else {
        return Ok(());
    };
    let parent_author = match object.get("inReplyTo").and_then(id_of) {
        Some(parent) => posts::author_of(conn, parent).await?,
        None => None,
    };
    // The author replied to is told of a reply (even when, as usual, also mentioned).
    let mentions = mentioned(object);
    for m in &mentions {
        let kind = if parent_author.as_ref() == Some(m) {
            "reply"
        } else {
            "mention"
        };
        notify(conn, config, m, kind, author, Some(id)).await?;
    }
    if let Some(parent_author) = parent_author.filter(|p| !mentions.contains(p)) {
        notify(conn, config, &parent_author, "reply", author, Some(id)).await?;
    }
    Ok(())
}

/// A Like ("favourite") or Announce ("boost") of a member's post.
pub async fn reaction(
    conn: &mut AsyncPgConnection,
    config: &Config,
    by: &str,
    object_id: &str,
    kind: &str,
    added: bool,
) -> QueryResult<()> {
    let kind = if kind == "Like" { "favourite" } else { "boost" };
    let Some(author) = posts::author_of(conn, object_id).await? else {
        return Ok(());
    };
    if added {
        notify(conn, config, &author, kind, by, Some(object_id)).await?;
    } else if let Some(user_id) = member_id(conn, config, &author).await? {
        notifications::remove(conn, user_id, kind, by, Some(object_id)).await?;
    }
    Ok(())
}

/// A follow of a member, or a request to.
pub async fn follow(
    conn: &mut AsyncPgConnection,
    config: &Config,
    target: &str,
    follower: &str,
    pending: bool,
) -> QueryResult<()> {
    let kind = if pending { "follow_request" } else { "follow" };
    notify(conn, config, target, kind, follower, None)
        .await
        .map(drop)
}

/// An edit of a post members boosted.
pub async fn edited(
    conn: &mut AsyncPgConnection,
    config: &Config,
    author: &str,
    object_id: &str,
) -> QueryResult<()> {
    for booster in posts::boosters(conn, object_id).await? {
        notify(conn, config, &booster, "update", author, Some(object_id)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mention_needs_addressing_too() {
        let o = serde_json::json!({
            "to": ["https://h/users/a"], "cc": [],
            "tag": [{"type": "Mention", "href": "https://h/users/a"},
                    {"type": "Mention", "href": "https://h/users/b"}],
        });
        assert_eq!(mentioned(&o), vec!["https://h/users/a".to_owned()]);
    }
}
