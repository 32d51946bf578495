//! Reports: a member tells a remote actor's server about them (and some of their posts) with a
//! comment. The `Flag` goes out from the fleet's instance actor (federation's own `Service`), not
//! the member, as Mastodon and GoToSocial send it (the reporter stays unnamed to the reported),
//! with `object` = [the actor, their posts…] and `content` = the comment; it is recorded with the
//! report in one transaction (the outbox), and federation's /admin lists what was reported.

use diesel_async::AsyncConnection;
use serde_json::{Value, json};
use shared::activitypub::actors::LocalActor;
use shared::activitypub::{AS_CONTEXT, outbox};
use shared::{AppContext, AppError, AppName};

use crate::db::remote_actors;
use crate::social::db::{posts, reports};

/// Mastodon's limit on a report's comment.
pub const MAX_COMMENT: usize = 1000;
/// Posts one report may name.
pub const MAX_STATUSES: usize = 20;

/// The actor that sends reports.
pub fn instance_actor() -> LocalActor {
    LocalActor::App(AppName::Federation)
}

/// Reports `actor` (a remote actor we know) and `statuses` (their posts we store) with
/// `comment`; the `Flag`'s id.
pub async fn report(
    ctx: &AppContext,
    reporter_id: i64,
    actor: &str,
    statuses: &[String],
    comment: &str,
) -> Result<String, AppError> {
    let config = ctx.config();
    let comment = comment.trim();
    if comment.chars().count() > MAX_COMMENT {
        return Err(AppError::bad_request(format!(
            "A report's comment can be at most {MAX_COMMENT} characters."
        )));
    }
    let mut named: Vec<String> = Vec::new();
    for s in statuses.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if !named.iter().any(|n| n == s) {
            named.push(s.to_owned());
        }
    }
    if named.len() > MAX_STATUSES {
        return Err(AppError::bad_request(format!(
            "A report can name at most {MAX_STATUSES} posts."
        )));
    }
    if LocalActor::is_local_iri(config, actor) {
        return Err(AppError::bad_request(
            "Reports go to other servers; for an account here, write to an administrator.",
        ));
    }
    let mut conn = ctx.conn().await?;
    let known = remote_actors::remote_actor(&mut conn, actor)
        .await?
        .filter(|a| a.deleted_at.is_none());
    let Some(known) = known else {
        return Err(AppError::not_found("We know no account at that address."));
    };
    for s in &named {
        if posts::author_of(&mut conn, s).await?.as_deref() != Some(known.id.as_str()) {
            return Err(AppError::bad_request(
                "A report can only name posts by the account reported.",
            ));
        }
    }
    let sender = instance_actor();
    let id = outbox::activity_id(config, &sender);
    let flag = flag(&id, &sender.id(config), &known.id, &named, comment);
    conn.transaction(async |conn| {
        reports::insert(
            conn,
            &reports::NewReport {
                reporter_id,
                actor: &known.id,
                statuses: &named,
                comment,
                activity_id: &id,
            },
        )
        .await?;
        outbox::emit(conn, &flag).await?;
        Ok::<_, AppError>(())
    })
    .await?;
    Ok(id)
}

/// A `Flag` as Mastodon sends one (no `to`: the processor delivers it to the reported actor's
/// server, the first of `object`).
fn flag(id: &str, sender: &str, actor: &str, statuses: &[String], comment: &str) -> Value {
    let object: Vec<&str> = std::iter::once(actor)
        .chain(statuses.iter().map(String::as_str))
        .collect();
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Flag",
        "actor": sender,
        "content": comment,
        "object": object,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_name_the_actor_first() {
        let f = flag(
            "https://x/actor/activities/1",
            "https://x/actor",
            "https://m.example/users/a",
            &["https://m.example/users/a/statuses/1".to_owned()],
            "spam",
        );
        assert_eq!(f["type"], "Flag");
        assert_eq!(
            f["object"],
            json!([
                "https://m.example/users/a",
                "https://m.example/users/a/statuses/1"
            ])
        );
        assert_eq!(f["content"], "spam");
        assert!(f.get("to").is_none());
    }
}
