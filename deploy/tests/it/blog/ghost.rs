//! Ghost sync against a local server that answers with Ghost's documented Content API shapes,
//! field for field (posts, pages, tags, authors, the pagination envelope, error bodies), and
//! Ghost's signed webhooks.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::sign::Signer;
use serde_json::{Value, json};
use shared::AppName;
use shared::db::schema::{ap_activities, ghost_sites, posts, tags};
use shared::testing::TestSession;

use crate::support::TestFleet;
use crate::support::people::person;

pub(super) const KEY: &str = "a1b2c3d4e5f60718293a4b5c6d";
/// Ghost's default page size is 15; this fake pages by 2 so that a handful of posts spans pages.
const FAKE_PAGE_CAP: usize = 2;

#[derive(Default)]
pub(super) struct Site {
    pub(super) posts: Vec<Value>,
    pub(super) pages: Vec<Value>,
    /// Tags as the tags browse lists them (the Content API: public ones, no `updated_at`).
    pub(super) tags: Vec<Value>,
    /// Every query the fake was asked, `resource?query` (the key removed).
    pub(super) log: Vec<String>,
    /// Answer every request with this instead: (status, content type, body).
    pub(super) broken: Option<(u16, &'static str, &'static str)>,
    /// Webhooks registered through the Admin API.
    pub(super) webhooks: Vec<Value>,
}

pub(super) struct FakeGhost {
    pub(super) site: Arc<Mutex<Site>>,
    pub(super) url: String,
    pub(super) handle: actix_web::dev::ServerHandle,
}

pub(super) fn ghost_time(minutes_ago: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::minutes(minutes_ago))
        .format("%Y-%m-%dT%H:%M:%S.000+00:00")
        .to_string()
}

pub(super) fn author(slug: &str, name: &str) -> Value {
    json!({
        "id": format!("5951f5fca366002ebd5dbef{}", slug.len() % 10),
        "name": name, "slug": slug,
        "profile_image": "https://static.ghost.org/v4.0.0/images/ghost-user.png",
        "cover_image": null, "bio": "Grows pears.", "website": null, "location": null,
        "facebook": null, "twitter": null, "meta_title": null, "meta_description": null,
        "url": format!("http://127.0.0.1:2369/author/{slug}/"),
    })
}

pub(super) fn tag(id: &str, name: &str, slug: &str, visibility: &str) -> Value {
    json!({
        "id": id, "name": name, "slug": slug, "description": "About it.",
        "feature_image": null, "visibility": visibility, "og_image": null, "og_title": null,
        "og_description": null, "twitter_image": null, "twitter_title": null,
        "twitter_description": null, "meta_title": null, "meta_description": null,
        "codeinjection_head": null, "codeinjection_foot": null, "canonical_url": null,
        "accent_color": null, "url": format!("http://127.0.0.1:2369/tag/{slug}/"),
    })
}

/// A post exactly as Ghost 5's Content API returns it with `include=tags,authors`.
pub(super) fn ghost_post(n: u32, title: &str, html: &str, minutes_ago: i64) -> Value {
    let id = format!("6194d3ce51e2700162531a{n:02}");
    let slug = shared_slug(title);
    let jane = author("jane-doe", "Jane Doe");
    let news = tag("6194d3ce51e2700162531b01", "News", "news", "public");
    json!({
        "id": id, "uuid": format!("a5aa9bd8-ea31-415c-b452-3040dae1e7{n:02}"),
        "title": title, "slug": slug, "html": html, "comment_id": id,
        "feature_image": "https://images.unsplash.com/photo-1.jpg",
        "feature_image_alt": "Pears on a table", "feature_image_caption": null,
        "featured": false, "visibility": "public",
        "created_at": ghost_time(minutes_ago + 60), "updated_at": ghost_time(minutes_ago),
        "published_at": ghost_time(minutes_ago + 30),
        "custom_excerpt": null, "excerpt": "An excerpt Ghost made.",
        "codeinjection_head": null, "codeinjection_foot": null, "custom_template": null,
        "canonical_url": null, "url": format!("http://127.0.0.1:2369/{slug}/"),
        "reading_time": 2, "access": true, "comments": false,
        "og_image": null, "og_title": "Social title", "og_description": null,
        "twitter_image": null, "twitter_title": null, "twitter_description": null,
        "meta_title": null, "meta_description": "Meta description from Ghost",
        "email_subject": null, "frontmatter": null,
        "tags": [news, tag("6194d3ce51e2700162531b02", "#internal", "hash-internal", "internal")],
        "authors": [jane.clone()],
        "primary_tag": news, "primary_author": jane,
    })
}

/// A post Ghost gates (`members`, `paid` or `tiers`): its body has a free preview, then the
/// members-only part after Ghost's `<!--members-only-->` marker.
fn gated_post(n: u32, title: &str, visibility: &str, minutes_ago: i64) -> Value {
    let mut post = ghost_post(
        n,
        title,
        &format!("<p>Free preview of {title}.</p><!--members-only--><p>Secret of {title}.</p>"),
        minutes_ago,
    );
    post["visibility"] = json!(visibility);
    if visibility == "tiers" {
        post["tiers"] = json!([{ "id": "6194d3ce51e2700162531d01", "name": "Orchard friends" }]);
    }
    post
}

pub(super) fn shared_slug(title: &str) -> String {
    blog::content::slug::slugify(title)
}

fn query_map(req: &HttpRequest) -> Vec<(String, String)> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

async fn browse(req: HttpRequest, site: web::Data<Arc<Mutex<Site>>>) -> HttpResponse {
    let resource = req.match_info().get("resource").unwrap_or("").to_owned();
    let query = query_map(&req);
    let get = |k: &str| query.iter().find(|(q, _)| q == k).map(|(_, v)| v.clone());
    let mut site = site.lock().unwrap();
    site.log.push(format!(
        "{resource}?{}",
        query
            .iter()
            .filter(|(k, _)| k != "key")
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    ));
    if let Some((status, content_type, body)) = site.broken {
        return HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
            .content_type(content_type)
            .body(body);
    }
    let admin = req.match_info().get("api") == Some("admin");
    let authorized = if admin {
        admin_token_ok(&req)
    } else {
        get("key").as_deref() == Some(KEY)
    };
    if !authorized {
        return HttpResponse::Unauthorized().json(json!({"errors": [{
            "message": "Unknown Content API Key", "context": null, "type": "UnauthorizedError",
            "details": null, "property": null, "help": null, "code": "UNKNOWN_CONTENT_API_KEY",
            "id": "e1b2c3d0-0000-11ee-8000-000000000000"
        }]}));
    }
    let items = match resource.as_str() {
        "posts" => site.posts.clone(),
        "pages" => site.pages.clone(),
        // Every tag the site has: those listed, and any a post or page carries (Ghost's tags
        // exist apart from posts, and each one a post carries is among them). The Content API
        // lists public ones (its default filter `visibility:public`).
        "tags" => {
            let mut tags = site.tags.clone();
            for post in site.posts.iter().chain(&site.pages) {
                for t in post["tags"].as_array().into_iter().flatten() {
                    if !tags.iter().any(|known| known["id"] == t["id"]) {
                        tags.push(t.clone());
                    }
                }
            }
            tags.into_iter()
                .filter(|t| admin || t["visibility"] == "public")
                .collect()
        }
        _ => return HttpResponse::NotFound().finish(),
    };
    // The Content API shows published posts only, without their status, and of gated posts
    // (to a request without a member's session) only the free preview, with `access: false`;
    // the Admin API all.
    let items: Vec<Value> = if admin || resource == "tags" {
        items
    } else {
        items
            .into_iter()
            .filter(|p| p.get("status").is_none_or(|s| s == "published"))
            .map(|mut p| {
                p.as_object_mut().unwrap().remove("status");
                if p["visibility"] != "public" {
                    let preview = p["html"]
                        .as_str()
                        .and_then(|h| h.split("<!--members-only-->").next())
                        .unwrap_or("")
                        .to_owned();
                    p["html"] = json!(preview);
                    p["access"] = json!(false);
                }
                p
            })
            .collect()
    };
    // NQL as a sync sends it: updated_at:>'…' or >='…'.
    let mut items: Vec<Value> = match get("filter") {
        Some(f) => {
            let (op, rest) = if let Some(r) = f.strip_prefix("updated_at:>=") {
                (">=", r)
            } else if let Some(r) = f.strip_prefix("updated_at:>") {
                (">", r)
            } else {
                return HttpResponse::BadRequest().json(
                    json!({"errors": [{"message": "bad filter", "type": "BadRequestError"}]}),
                );
            };
            let since =
                chrono::NaiveDateTime::parse_from_str(rest.trim_matches('\''), "%Y-%m-%d %H:%M:%S")
                    .unwrap()
                    .and_utc();
            items
                .into_iter()
                .filter(|p| {
                    let t = chrono::DateTime::parse_from_rfc3339(p["updated_at"].as_str().unwrap())
                        .unwrap();
                    if op == ">=" { t >= since } else { t > since }
                })
                .collect()
        }
        None => items,
    };
    items.sort_by(|a, b| a["updated_at"].as_str().cmp(&b["updated_at"].as_str()));
    let limit = get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(15)
        .min(FAKE_PAGE_CAP);
    let page: usize = get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let total = items.len();
    let pages = total.div_ceil(limit).max(1);
    let mut chunk: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect();
    if get("fields").as_deref() == Some("id") {
        chunk = chunk
            .into_iter()
            .map(|p| json!({ "id": p["id"] }))
            .collect();
    }
    HttpResponse::Ok().json(json!({
        resource.as_str(): chunk,
        "meta": {"pagination": {
            "page": page, "limit": limit, "pages": pages, "total": total,
            "next": if page < pages { json!(page + 1) } else { Value::Null },
            "prev": if page > 1 { json!(page - 1) } else { Value::Null },
        }}
    }))
}

const ADMIN_ID: &str = "6194d3ce51e2700162531c01";
const ADMIN_SECRET: &str = "9f3c1b2a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";

/// Checks `Authorization: Ghost <jwt>` as Ghost does: HS256 keyed with the hex-decoded secret
/// of the key named by `kid`, audience `/admin/`, at most five minutes long.
fn admin_token_ok(req: &HttpRequest) -> bool {
    use shared::infrastructure::jose::b64url_decode;
    let Some(token) = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Ghost "))
    else {
        return false;
    };
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return false;
    }
    let header: Value =
        serde_json::from_slice(&b64url_decode(parts[0]).unwrap_or_default()).unwrap_or_default();
    let claims: Value =
        serde_json::from_slice(&b64url_decode(parts[1]).unwrap_or_default()).unwrap_or_default();
    let key = PKey::hmac(&hex::decode(ADMIN_SECRET).unwrap()).unwrap();
    let mut signer = Signer::new(MessageDigest::sha256(), &key).unwrap();
    let expected = signer
        .sign_oneshot_to_vec(format!("{}.{}", parts[0], parts[1]).as_bytes())
        .unwrap();
    let now = chrono::Utc::now().timestamp();
    header["alg"] == "HS256"
        && header["kid"] == ADMIN_ID
        && b64url_decode(parts[2]).unwrap_or_default() == expected
        && claims["aud"] == "/admin/"
        && claims["exp"]
            .as_i64()
            .is_some_and(|exp| exp > now && exp - claims["iat"].as_i64().unwrap_or(0) <= 300)
}

async fn add_webhook(
    req: HttpRequest,
    site: web::Data<Arc<Mutex<Site>>>,
    body: web::Json<Value>,
) -> HttpResponse {
    if !admin_token_ok(&req) {
        return HttpResponse::Unauthorized()
            .json(json!({"errors": [{"message": "Invalid token", "type": "UnauthorizedError"}]}));
    }
    let mut site = site.lock().unwrap();
    let mut hook = body["webhooks"][0].clone();
    let id = format!("6194d3ce51e2700162531d{:02}", site.webhooks.len());
    hook["id"] = json!(id);
    hook["api_version"] = json!("v5");
    hook["integration_id"] = json!("6194d3ce51e2700162531c00");
    hook["status"] = json!("available");
    hook["last_triggered_at"] = Value::Null;
    hook["created_at"] = json!(ghost_time(0));
    site.webhooks.push(hook.clone());
    HttpResponse::Created().json(json!({ "webhooks": [hook] }))
}

async fn delete_webhook(
    req: HttpRequest,
    site: web::Data<Arc<Mutex<Site>>>,
    id: web::Path<String>,
) -> HttpResponse {
    if !admin_token_ok(&req) {
        return HttpResponse::Unauthorized().finish();
    }
    site.lock()
        .unwrap()
        .webhooks
        .retain(|h| h["id"] != id.as_str());
    HttpResponse::NoContent().finish()
}

impl FakeGhost {
    pub(super) async fn start(site: Site) -> FakeGhost {
        let site = Arc::new(Mutex::new(site));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let data = web::Data::new(site.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/ghost/api/admin/webhooks/", web::post().to(add_webhook))
                .route(
                    "/ghost/api/admin/webhooks/{id}/",
                    web::delete().to(delete_webhook),
                )
                .route("/ghost/api/{api}/{resource}/", web::get().to(browse))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        FakeGhost { site, url, handle }
    }
}

pub(super) async fn connect(
    t: &TestFleet,
    admin: &TestSession,
    url: &str,
    key: &str,
) -> crate::support::Page {
    t.post_form(
        AppName::Blog,
        "/admin/ghost",
        &[("url", url), ("content_key", key), ("admin_key", "")],
        Some(admin),
        AppName::Blog,
    )
    .await
}

pub(super) async fn snapshot(
    t: &TestFleet,
) -> Vec<(String, String, chrono::DateTime<chrono::Utc>)> {
    posts::table
        .order(posts::id)
        .select((posts::slug, posts::title, posts::updated_at))
        .load(&mut t.db.conn().await)
        .await
        .unwrap()
}

fn site_with_content() -> Site {
    let mut blossom = ghost_post(
        1,
        "Pear blossom",
        "<p>White <strong>blossom</strong>.</p><script>steal()</script>",
        50,
    );
    // Written by two: Ghost lists both.
    blossom["authors"]
        .as_array_mut()
        .unwrap()
        .push(author("john-roe", "John Roe"));
    Site {
        posts: vec![
            blossom,
            ghost_post(2, "Frost in April", "<p>Fleece on the trees.</p>", 40),
            ghost_post(
                3,
                "The first fruit",
                "<p onclick=\"x()\">Tiny pears.</p>",
                30,
            ),
        ],
        pages: vec![ghost_post(
            4,
            "About the orchard",
            "<p>Since 1911.</p>",
            100,
        )],
        ..Site::default()
    }
}

#[actix_web::test]
async fn a_ghost_site_is_imported_page_by_page_kept_current_and_pruned() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    let ghost = FakeGhost::start(site_with_content()).await;

    // Bad key, unreachable site, not a URL: clear errors, nothing kept.
    let page = connect(&t, &admin, &ghost.url, "ffffffffffffffffffffffffff").await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("Unknown Content API Key"),
        "{}",
        page.body
    );
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let page = connect(&t, &admin, &dead, KEY).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("could not be reached"), "{}", page.body);
    assert_eq!(connect(&t, &admin, "not a url", KEY).await.status, 400);
    let sites: i64 = ghost_sites::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(sites, 0);

    assert_eq!(connect(&t, &admin, &ghost.url, KEY).await.status, 303);
    let page = t
        .post_form(
            AppName::Blog,
            "/admin/ghost/sync",
            &[],
            Some(&admin),
            AppName::Blog,
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(
        page.headers["location"]
            .to_str()
            .unwrap()
            .contains("synced=4+new,+0+updated"),
        "{:?}",
        page.headers
    );
    assert!(
        ghost
            .site
            .lock()
            .unwrap()
            .log
            .iter()
            .any(|q| q.contains("page=2")),
        "paged through"
    );

    let post = t.get(AppName::Blog, "/posts/pear-blossom", None).await;
    assert_eq!(post.status, 200);
    assert!(post.body.contains("<strong>blossom</strong>") && !post.body.contains("steal()"));
    assert!(
        post.body
            .contains("https://images.unsplash.com/photo-1.jpg"),
        "feature image linked"
    );
    assert!(
        post.body.contains("Meta description from Ghost") && post.body.contains("Social title")
    );
    assert!(
        !t.get(AppName::Blog, "/posts/the-first-fruit", None)
            .await
            .body
            .contains("onclick")
    );
    assert_eq!(
        t.get(AppName::Blog, "/about-the-orchard", None)
            .await
            .status,
        200
    );
    assert!(
        t.get(AppName::Blog, "/tag/news", None)
            .await
            .body
            .contains("Frost in April")
    );
    assert!(
        t.get(AppName::Blog, "/author/john_roe", None)
            .await
            .body
            .contains("Pear blossom"),
        "the second Ghost author"
    );
    let author = t.get(AppName::Blog, "/author/jane_doe", None).await;
    assert_eq!(author.status, 200);
    assert!(author.body.contains("Jane Doe"));
    let internal: i64 = tags::table
        .filter(tags::name.like("#%"))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(internal, 0, "Ghost's internal tags stay behind");

    // Again: nothing changes.
    let before = snapshot(&t).await;
    let report = blog::ghost::sync::run(t.fleet.ctx(AppName::Blog), true)
        .await
        .unwrap();
    assert_eq!(
        (
            report.created,
            report.updated,
            report.removed,
            report.unchanged
        ),
        (0, 0, 0, 4)
    );
    assert_eq!(snapshot(&t).await, before);

    // An edit in Ghost: the incremental sync asks only for what is newer, and applies it.
    {
        let mut site = ghost.site.lock().unwrap();
        site.posts[1]["title"] = json!("Frost in April, again");
        site.posts[1]["updated_at"] = json!(ghost_time(0));
        site.log.clear();
    }
    let report = blog::ghost::sync::run(t.fleet.ctx(AppName::Blog), false)
        .await
        .unwrap();
    assert_eq!(report.updated, 1, "{report:?}");
    assert!(
        ghost
            .site
            .lock()
            .unwrap()
            .log
            .iter()
            .filter(|q| !q.starts_with("tags?"))
            .all(|q| q.contains("filter=updated_at:>="))
    );
    assert!(
        t.get(AppName::Blog, "/posts/frost-in-april", None)
            .await
            .body
            .contains("Frost in April, again")
    );

    // Deleted in Ghost: the full scan removes it.
    ghost.site.lock().unwrap().posts.remove(2);
    let report = blog::ghost::sync::run(t.fleet.ctx(AppName::Blog), true)
        .await
        .unwrap();
    assert_eq!(report.removed, 1);
    assert_eq!(
        t.get(AppName::Blog, "/posts/the-first-fruit", None)
            .await
            .status,
        404
    );
    assert_eq!(
        t.get(AppName::Blog, "/posts/pear-blossom", None)
            .await
            .status,
        200
    );

    // Imports do not flood followers.
    let creates: i64 = ap_activities::table
        .filter(ap_activities::kind.eq("Create"))
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(creates, 0);

    // A broken Ghost: the sync reports it and changes nothing.
    let before = snapshot(&t).await;
    for broken in [
        (200, "text/html", "<html>maintenance</html>"),
        (
            500,
            "application/json",
            "{\"errors\":[{\"message\":\"Internal\",\"type\":\"InternalServerError\"}]}",
        ),
    ] {
        ghost.site.lock().unwrap().broken = Some(broken);
        let page = t
            .post_form(
                AppName::Blog,
                "/admin/ghost/sync",
                &[],
                Some(&admin),
                AppName::Blog,
            )
            .await;
        assert_eq!(page.status, 400, "{}", page.body);
        assert!(page.body.contains("The sync failed"), "{}", page.body);
    }
    assert_eq!(snapshot(&t).await, before);
    let status = t.get(AppName::Blog, "/admin/ghost", Some(&admin)).await;
    assert!(status.body.contains("Last error"), "{}", status.body);
    ghost.handle.stop(true).await;
    t.stop().await;
}

pub(super) fn signature(body: &str, secret: &str, t_ms: i64) -> String {
    let key = PKey::hmac(secret.as_bytes()).unwrap();
    let mut signer = Signer::new(MessageDigest::sha256(), &key).unwrap();
    let signed = format!("{body}{t_ms}");
    format!(
        "sha256={}, t={t_ms}",
        hex::encode(signer.sign_oneshot_to_vec(signed.as_bytes()).unwrap())
    )
}

pub(super) async fn hook(t: &TestFleet, body: &str, signature: Option<String>) -> u16 {
    let mut req = t
        .client
        .post(t.fleet.at(AppName::Blog, "/webhooks/ghost"))
        .header("content-type", "application/json")
        .header(
            "user-agent",
            "Ghost/5.130 (https://github.com/TryGhost/Ghost)",
        )
        .body(body.to_owned());
    if let Some(s) = signature {
        req = req.header("x-ghost-signature", s);
    }
    req.send().await.unwrap().status().as_u16()
}

#[actix_web::test]
async fn ghost_webhooks_are_verified_and_applied() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    let ghost = FakeGhost::start(Site::default()).await;
    assert_eq!(connect(&t, &admin, &ghost.url, KEY).await.status, 303);
    let secret: String = ghost_sites::table
        .select(ghost_sites::webhook_secret)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    let now = chrono::Utc::now().timestamp_millis();

    let mut post = ghost_post(7, "Cider pressing day", "<p>Bring apples.</p>", 0);
    post["status"] = json!("published");
    let published = json!({"post": {"current": post, "previous": {}}}).to_string();

    // Unsigned, wrongly signed, signed with another secret, replayed from long ago: 401.
    assert_eq!(hook(&t, &published, None).await, 401);
    assert_eq!(
        hook(&t, &published, Some(signature(&published, "wrong", now))).await,
        401
    );
    assert_eq!(
        hook(&t, &published, Some(signature("{}", &secret, now))).await,
        401
    );
    assert_eq!(
        hook(
            &t,
            &published,
            Some(signature(&published, &secret, now - 3_600_000))
        )
        .await,
        401
    );
    assert_eq!(
        t.get(AppName::Blog, "/posts/cider-pressing-day", None)
            .await
            .status,
        404
    );

    // Signed garbage: 400.
    for garbage in [
        "not json",
        r#"{"post": {"current": {"id": "x"}}}"#,
        r#"{"post": {"current": {}, "previous": {}}}"#,
    ] {
        assert_eq!(
            hook(&t, garbage, Some(signature(garbage, &secret, now))).await,
            400,
            "{garbage}"
        );
    }

    // post.published: imported; the same delivery again changes nothing.
    assert_eq!(
        hook(&t, &published, Some(signature(&published, &secret, now))).await,
        200
    );
    assert_eq!(
        t.get(AppName::Blog, "/posts/cider-pressing-day", None)
            .await
            .status,
        200
    );
    let before = snapshot(&t).await;
    assert_eq!(
        hook(&t, &published, Some(signature(&published, &secret, now))).await,
        200
    );
    assert_eq!(snapshot(&t).await, before);
    // The admin page shows the last delivery and what became of it.
    let status = t.get(AppName::Blog, "/admin/ghost", Some(&admin)).await;
    assert!(
        status.body.contains("Last webhook received")
            && status
                .body
                .contains("post 6194d3ce51e2700162531a07: Unchanged"),
        "{}",
        status.body
    );

    // post.unpublished: a draft now, so not public.
    post["status"] = json!("draft");
    post["updated_at"] = json!(ghost_time(-1));
    let unpublished =
        json!({"post": {"current": post, "previous": {"status": "published"}}}).to_string();
    assert_eq!(
        hook(
            &t,
            &unpublished,
            Some(signature(&unpublished, &secret, now))
        )
        .await,
        200
    );
    assert_eq!(
        t.get(AppName::Blog, "/posts/cider-pressing-day", None)
            .await
            .status,
        404
    );

    // post.deleted: gone.
    let deleted = json!({"post": {"current": {}, "previous": post}}).to_string();
    assert_eq!(
        hook(&t, &deleted, Some(signature(&deleted, &secret, now))).await,
        200
    );
    assert!(snapshot(&t).await.is_empty());
    ghost.handle.stop(true).await;
    t.stop().await;
}

#[actix_web::test]
async fn an_admin_key_imports_drafts_too_and_registers_and_removes_the_webhooks() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    let mut draft = ghost_post(5, "Not yet", "<p>Draft.</p>", 10);
    draft["status"] = json!("draft");
    let mut published = ghost_post(6, "Out now", "<p>Live.</p>", 5);
    published["status"] = json!("published");
    let ghost = FakeGhost::start(Site {
        posts: vec![draft, published],
        ..Site::default()
    })
    .await;
    let form = |admin_key: &'static str| {
        [
            ("url", ghost.url.clone()),
            ("content_key", KEY.to_owned()),
            ("admin_key", admin_key.to_owned()),
        ]
    };
    let post = |fields: [(&'static str, String); 3]| {
        let t = &t;
        let admin = &admin;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            t.post_form(
                AppName::Blog,
                "/admin/ghost",
                &fields,
                Some(admin),
                AppName::Blog,
            )
            .await
        }
    };

    // A wrong Admin API secret: refused, nothing kept.
    let wrong =
        "6194d3ce51e2700162531c01:00000000000000000000000000000000000000000000000000000000000000ff";
    let page = post(form(wrong)).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("Ghost refused the key"), "{}", page.body);
    let sites: i64 = ghost_sites::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(sites, 0);

    let key =
        "6194d3ce51e2700162531c01:9f3c1b2a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
    assert_eq!(post(form(key)).await.status, 303);
    let (secret, ids): (String, Vec<String>) = ghost_sites::table
        .select((ghost_sites::webhook_secret, ghost_sites::webhook_ids))
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    {
        let site = ghost.site.lock().unwrap();
        assert_eq!(site.webhooks.len(), 20);
        assert_eq!(ids.len(), 20);
        let target = t.fleet.at(AppName::Blog, "/webhooks/ghost");
        assert!(
            site.webhooks
                .iter()
                .all(|h| h["target_url"] == target.as_str() && h["secret"] == secret.as_str())
        );
        let events: Vec<&str> = site
            .webhooks
            .iter()
            .map(|h| h["event"].as_str().unwrap())
            .collect();
        assert!(
            events.contains(&"post.published")
                && events.contains(&"page.deleted")
                && events.contains(&"post.unpublished")
                && events.contains(&"tag.edited")
                && events.contains(&"tag.deleted")
        );
    }
    let status = t.get(AppName::Blog, "/admin/ghost", Some(&admin)).await;
    assert!(
        status.body.contains("20 webhooks are registered"),
        "{}",
        status.body
    );

    // The Admin API shows drafts: imported, but not public.
    let report = blog::ghost::sync::run(t.fleet.ctx(AppName::Blog), true)
        .await
        .unwrap();
    assert_eq!(report.created, 2);
    let statuses: Vec<(String, String)> = posts::table
        .order(posts::slug)
        .select((posts::slug, posts::status))
        .load(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(
        statuses,
        [
            ("not-yet".to_owned(), "draft".to_owned()),
            ("out-now".to_owned(), "published".to_owned())
        ]
    );
    assert_eq!(
        t.get(AppName::Blog, "/posts/not-yet", None).await.status,
        404
    );
    assert_eq!(
        t.get(AppName::Blog, "/posts/out-now", None).await.status,
        200
    );

    // Disconnecting removes the webhooks; a late delivery is answered 410 (Ghost then drops it).
    let page = t
        .post_form(
            AppName::Blog,
            "/admin/ghost/disconnect",
            &[],
            Some(&admin),
            AppName::Blog,
        )
        .await;
    assert_eq!(page.status, 303);
    assert!(ghost.site.lock().unwrap().webhooks.is_empty());
    let body = r#"{"post":{"current":{},"previous":{"id":"x"}}}"#;
    let now = chrono::Utc::now().timestamp_millis();
    assert_eq!(
        hook(&t, body, Some(signature(body, &secret, now))).await,
        410
    );
    ghost.handle.stop(true).await;
    t.stop().await;
}

#[actix_web::test]
async fn members_only_paid_and_tier_posts_stay_behind() {
    let t = TestFleet::start().await;
    let admin = t
        .sign_in(AppName::Blog, person(&t, "ada", "admin").await)
        .await;
    let ghost = FakeGhost::start(Site {
        posts: vec![
            ghost_post(1, "Open orchard day", "<p>Everyone welcome.</p>", 50),
            gated_post(2, "Members pruning guide", "members", 40),
            gated_post(3, "Paid harvest ledger", "paid", 30),
            gated_post(4, "Tier grafting notes", "tiers", 20),
        ],
        pages: vec![gated_post(5, "Members lounge", "members", 60)],
        ..Site::default()
    })
    .await;
    assert_eq!(connect(&t, &admin, &ghost.url, KEY).await.status, 303);
    let page = t
        .post_form(
            AppName::Blog,
            "/admin/ghost/sync",
            &[],
            Some(&admin),
            AppName::Blog,
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(
        page.headers["location"]
            .to_str()
            .unwrap()
            .contains("synced=1+new"),
        "{:?}",
        page.headers
    );

    let gated = [
        "Members pruning guide",
        "Paid harvest ledger",
        "Tier grafting notes",
        "Members lounge",
    ];
    let public_pages = [
        "/",
        "/rss.xml",
        "/atom.xml",
        "/sitemap.xml",
        "/tag/news",
        "/author/jane_doe",
    ];
    for path in public_pages {
        let page = t.get(AppName::Blog, path, None).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(
            page.body.contains("open-orchard-day"),
            "{path} lists the public post"
        );
        for title in gated {
            assert!(
                !page.body.contains(title) && !page.body.contains(&shared_slug(title)),
                "{path} shows {title}"
            );
        }
        assert!(!page.body.contains("Free preview"), "{path}");
    }
    for title in gated {
        let slug = shared_slug(title);
        assert_eq!(
            t.get(AppName::Blog, &format!("/posts/{slug}"), None)
                .await
                .status,
            404,
            "{title}"
        );
        assert_eq!(
            t.get(AppName::Blog, &format!("/{slug}"), None).await.status,
            404,
            "{title}"
        );
    }
    let stored: i64 = posts::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap();
    assert_eq!(
        stored, 1,
        "gated posts are not imported at all, not even as drafts"
    );

    // The public post goes members-only in Ghost: the next sync takes it down.
    {
        let mut site = ghost.site.lock().unwrap();
        site.posts[0]["visibility"] = json!("members");
        site.posts[0]["updated_at"] = json!(ghost_time(0));
    }
    let report = blog::ghost::sync::run(t.fleet.ctx(AppName::Blog), false)
        .await
        .unwrap();
    assert!(report.withheld >= 1, "{report:?}");
    assert_eq!(
        t.get(AppName::Blog, "/posts/open-orchard-day", None)
            .await
            .status,
        404
    );
    assert!(
        !t.get(AppName::Blog, "/", None)
            .await
            .body
            .contains("Open orchard day")
    );
    ghost.handle.stop(true).await;
    t.stop().await;
}
