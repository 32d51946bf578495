//! Our actors: one per app on its own host (`https://blog.example.com/actor`, `blog@blog.example.com`),
//! all sharing the fleet key with one key id each, and a `Person` per member on the host the
//! link catalogue names (`link_catalog::routes::PERSON`) with a key of their own.

use serde_json::{Value, json};

use super::{AS_CONTEXT, SECURITY_CONTEXT};
use crate::apps::AppName;
use crate::config::Config;
use crate::infrastructure::link_catalog;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LocalActor {
    App(AppName),
    User(String),
}

/// An app's public address without its trailing slash (object and actor ids start with it).
pub fn base(config: &Config, app: AppName) -> String {
    config
        .apps
        .public(app)
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}

/// `host[:port]` of an app's public URL (the acct domain).
pub fn acct_host(config: &Config, app: AppName) -> String {
    let url = config.apps.public(app);
    match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
        None => url.host_str().unwrap_or("").to_owned(),
    }
}

impl LocalActor {
    /// The app whose host serves this actor.
    pub fn app(&self) -> AppName {
        match self {
            LocalActor::App(app) => *app,
            LocalActor::User(name) => link_catalog::person(name).app,
        }
    }

    pub fn id(&self, config: &Config) -> String {
        match self {
            LocalActor::App(app) => format!("{}/actor", base(config, *app)),
            LocalActor::User(name) => {
                let person = link_catalog::person(name);
                format!("{}{}", base(config, person.app), person.path)
            }
        }
    }

    pub fn key_id(&self, config: &Config) -> String {
        format!("{}#main-key", self.id(config))
    }

    pub fn inbox(&self, config: &Config) -> String {
        format!("{}/inbox", self.id(config))
    }

    pub fn outbox(&self, config: &Config) -> String {
        format!("{}/outbox", self.id(config))
    }

    pub fn followers(&self, config: &Config) -> String {
        format!("{}/followers", self.id(config))
    }

    pub fn following(&self, config: &Config) -> String {
        format!("{}/following", self.id(config))
    }

    pub fn shared_inbox(&self, config: &Config) -> String {
        format!("{}/inbox", base(config, self.app()))
    }

    pub fn preferred_username(&self) -> &str {
        match self {
            LocalActor::App(app) => app.as_str(),
            LocalActor::User(name) => name,
        }
    }

    /// Which of our actors an IRI names, if any.
    pub fn from_id(config: &Config, iri: &str) -> Option<LocalActor> {
        // Compared piecewise, without building each actor's id: timelines ask this of every
        // author on a page.
        let iri = iri.split('#').next().unwrap_or(iri);
        let base_of = |app: AppName| config.apps.public(app).as_str().trim_end_matches('/');
        for app in AppName::ALL {
            if iri.strip_prefix(base_of(app)) == Some("/actor") {
                return Some(LocalActor::App(app));
            }
        }
        // `/users/` of `/users/{name}`, on the app that hosts members.
        let prefix = link_catalog::routes::PERSON
            .split('{')
            .next()
            .unwrap_or(link_catalog::routes::PERSON);
        iri.strip_prefix(base_of(link_catalog::person("").app))
            .and_then(|rest| rest.strip_prefix(prefix))
            .filter(|name| {
                !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            })
            .map(|name| LocalActor::User(name.to_owned()))
    }

    /// Whether an IRI is on one of our hosts.
    pub fn is_local_iri(config: &Config, iri: &str) -> bool {
        let Some(host) = super::host_of(iri) else {
            return false;
        };
        AppName::ALL
            .iter()
            .any(|app| acct_host(config, *app).eq_ignore_ascii_case(&host))
    }
}

/// What an actor document says besides its ids.
pub struct Profile<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub summary: &'a str,
    pub url: &'a str,
    pub icon: Option<&'a str>,
    pub public_key_pem: &'a str,
    pub manually_approves_followers: bool,
}

/// The actor document Mastodon reads.
pub fn document(config: &Config, actor: &LocalActor, profile: &Profile<'_>) -> Value {
    let id = actor.id(config);
    let mut doc = json!({
        "@context": [AS_CONTEXT, SECURITY_CONTEXT, {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
        }],
        "id": id,
        "type": profile.kind,
        "preferredUsername": actor.preferred_username(),
        "name": profile.name,
        "summary": profile.summary,
        "url": profile.url,
        "inbox": actor.inbox(config),
        "outbox": actor.outbox(config),
        "followers": actor.followers(config),
        "following": actor.following(config),
        "endpoints": { "sharedInbox": actor.shared_inbox(config) },
        "manuallyApprovesFollowers": profile.manually_approves_followers,
        "discoverable": true,
        "publicKey": {
            "id": actor.key_id(config),
            "owner": id,
            "publicKeyPem": profile.public_key_pem,
        },
    });
    if let Some(icon) = profile.icon {
        doc["icon"] = json!({ "type": "Image", "url": icon });
    }
    doc
}

/// A WebFinger JRD for an actor.
pub fn webfinger(config: &Config, actor: &LocalActor, profile_url: &str) -> Value {
    json!({
        "subject": format!("acct:{}@{}", actor.preferred_username(), acct_host(config, actor.app())),
        "aliases": [actor.id(config)],
        "links": [
            { "rel": "self", "type": super::CONTENT_TYPE, "href": actor.id(config) },
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile_url },
        ],
    })
}

/// An `OrderedCollection` with its first page at `?page=1`, or page `n` of it.
pub fn collection(id: &str, total: i64, page: Option<(u32, Vec<Value>, bool)>) -> Value {
    match page {
        None => json!({
            "@context": AS_CONTEXT,
            "id": id,
            "type": "OrderedCollection",
            "totalItems": total,
            "first": format!("{id}?page=1"),
        }),
        Some((n, items, more)) => {
            let mut page = json!({
                "@context": AS_CONTEXT,
                "id": format!("{id}?page={n}"),
                "type": "OrderedCollectionPage",
                "partOf": id,
                "totalItems": total,
                "orderedItems": items,
            });
            if more {
                page["next"] = json!(format!("{id}?page={}", n + 1));
            }
            if n > 1 {
                page["prev"] = json!(format!("{id}?page={}", n - 1));
            }
            page
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        let config = Config::from_lookup(|_| None).unwrap();
        let blog = LocalActor::App(AppName::Blog);
        assert_eq!(blog.id(&config), "http://blog.localhost:8001/actor");
        assert_eq!(
            blog.key_id(&config),
            "http://blog.localhost:8001/actor#main-key"
        );
        assert_eq!(
            LocalActor::from_id(&config, "http://blog.localhost:8001/actor#main-key"),
            Some(blog)
        );
        let ada = LocalActor::User("ada".into());
        assert_eq!(
            ada.id(&config),
            "http://federation.localhost:8005/users/ada"
        );
        assert_eq!(
            ada.shared_inbox(&config),
            "http://federation.localhost:8005/inbox"
        );
        assert_eq!(LocalActor::from_id(&config, &ada.id(&config)), Some(ada));
        assert_eq!(
            LocalActor::from_id(&config, "http://federation.localhost:8005/users/../x"),
            None
        );
        assert!(LocalActor::is_local_iri(
            &config,
            "http://market.localhost:8002/products/x"
        ));
        assert!(!LocalActor::is_local_iri(
            &config,
            "https://mastodon.example/users/x"
        ));
        let jrd = webfinger(
            &config,
            &LocalActor::App(AppName::Blog),
            "http://blog.localhost:8001/",
        );
        assert_eq!(jrd["subject"], "acct:blog@blog.localhost:8001");
    }
}
