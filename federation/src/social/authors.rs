//! Who wrote or boosted a post, as a timeline shows them: our members and apps from our own
//! tables, remote actors from what we fetched (names sanitised to text, avatars only http(s)).

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use shared::activitypub::actors::{LocalActor, acct_host};
use shared::activitypub::sanitize;
use shared::activitypub::store::RemoteActor;
use shared::config::Config;
use shared::db::schema::{ap_remote_actors, users};
use shared::infrastructure::link_catalog;

#[derive(Debug, Clone, Serialize)]
pub struct Author {
    pub id: String,
    pub name: String,
    /// `@name@host`.
    pub handle: String,
    /// Their profile on this site.
    pub profile: String,
    pub avatar: Option<String>,
    pub local: bool,
    /// A bot (an app's actor, a remote Service or Application).
    pub bot: bool,
}

/// Our page for a remote actor.
pub fn remote_profile_path(id: &str) -> String {
    format!(
        "/remote?{}",
        serde_urlencoded::to_string([("actor", id)]).unwrap_or_default()
    )
}

fn fallback(id: &str) -> Author {
    let name = id
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(id)
        .to_owned();
    let host = shared::activitypub::host_of(id).unwrap_or_default();
    Author {
        id: id.to_owned(),
        handle: format!("@{name}@{host}"),
        name,
        profile: remote_profile_path(id),
        avatar: None,
        local: false,
        bot: false,
    }
}

pub fn from_remote(actor: &RemoteActor) -> Author {
    let host = shared::activitypub::host_of(&actor.id).unwrap_or_default();
    let username = actor
        .preferred_username
        .as_deref()
        .map(sanitize::text)
        .unwrap_or_else(|| fallback(&actor.id).name);
    let name = actor
        .name
        .as_deref()
        .map(|n| html_to_text(&sanitize::text(n)))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| username.clone());
    Author {
        id: actor.id.clone(),
        name,
        handle: format!("@{username}@{host}"),
        profile: remote_profile_path(&actor.id),
        avatar: actor.icon.as_deref().and_then(sanitize::web_url),
        local: false,
        bot: matches!(actor.kind.as_str(), "Service" | "Application"),
    }
}

/// `sanitize::text` returns HTML-escaped text; names are shown through the template's own
/// escaping, so undo the entity escaping once (the tags are already gone).
fn html_to_text(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Authors for these actor ids (unknown ones get a name from their id). Members and remote
/// actors are read together, pipelined on the one connection.
pub async fn load(
    mut conn: &AsyncPgConnection,
    config: &Config,
    ids: &[String],
) -> QueryResult<HashMap<String, Author>> {
    let mut out = HashMap::new();
    let mut members = Vec::new();
    let mut remote = Vec::new();
    for id in ids {
        match LocalActor::from_id(config, id) {
            Some(LocalActor::User(name)) => members.push((id.clone(), name)),
            Some(LocalActor::App(app)) => {
                out.insert(
                    id.clone(),
                    Author {
                        id: id.clone(),
                        name: format!("Rose Ash {}", app.title()),
                        handle: format!("@{}@{}", app.as_str(), acct_host(config, app)),
                        profile: format!("/@{}", app.as_str()),
                        avatar: None,
                        local: true,
                        bot: true,
                    },
                );
            }
            None => remote.push(id.clone()),
        }
    }
    let names: Vec<&str> = members.iter().map(|(_, n)| n.as_str()).collect();
    let mut second = conn;
    let member_rows = async {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        users::table
            .filter(users::username.eq_any(&names))
            .select((users::username, users::display_name, users::avatar_url))
            .load::<(String, String, Option<String>)>(&mut conn)
            .await
    };
    let remote_rows = async {
        if remote.is_empty() {
            return Ok(Vec::new());
        }
        ap_remote_actors::table
            .filter(ap_remote_actors::id.eq_any(&remote))
            .select(RemoteActor::as_select())
            .load::<RemoteActor>(&mut second)
            .await
    };
    let (rows, remote_rows) = tokio::try_join!(member_rows, remote_rows)?;
    let host = acct_host(config, shared::AppName::Federation);
    for (id, name) in &members {
        let row = rows.iter().find(|r| &r.0 == name);
        out.insert(
            id.clone(),
            Author {
                id: id.clone(),
                name: row
                    .map(|r| r.1.clone())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| name.clone()),
                handle: format!("@{name}@{host}"),
                profile: link_catalog::profile(name).path.to_string(),
                avatar: row.and_then(|r| r.2.as_deref()).and_then(|a| {
                    (a.starts_with('/') || sanitize::is_web_url(a)).then(|| a.to_owned())
                }),
                local: true,
                bot: false,
            },
        );
    }
    for id in remote {
        let author = remote_rows
            .iter()
            .find(|r| r.id == id)
            .map(from_remote)
            .unwrap_or_else(|| fallback(&id));
        out.insert(id, author);
    }
    Ok(out)
}
