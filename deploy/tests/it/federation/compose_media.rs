//! Images on a member's post: uploaded with the compose form (multipart, the CSRF token at its
//! head), known by their bytes, capped in size, stored through shared media and sent as
//! Mastodon sends them (`Document` with `mediaType`, `url` and the alt text as `name`); the
//! timelines show them with their alt text.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use shared::AppName;
use shared::db::schema::{ap_activities, ap_objects};
use shared::testing::TestSession;

use super::social::actor;
use crate::support::people::member;
use crate::support::{Page, TestFleet, page};

const BOUNDARY: &str = "----WebKitFormBoundaryRoseAsh7Jq";

/// A part of the form: (name, Some((filename, content type, bytes))) for a file, else text.
type Field<'a> = (&'a str, Result<&'a str, (&'a str, &'a str, Vec<u8>)>);

/// The compose form as Chromium encodes it, the token first (as the page's form has it).
fn encode(token: Option<&str>, fields: &[Field<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    let text = |name: &str, value: &str, body: &mut Vec<u8>| {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    if let Some(token) = token {
        text("csrf_token", token, &mut body);
    }
    for (name, value) in fields {
        match value {
            Ok(v) => text(name, v, &mut body),
            Err((filename, content_type, bytes)) => {
                body.extend_from_slice(
                    format!(
                        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(bytes);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(t: &TestFleet, s: &TestSession, token: Option<&str>, fields: &[Field<'_>]) -> Page {
    let origin = t
        .fleet
        .url(AppName::Federation)
        .origin()
        .ascii_serialization();
    let res = t
        .client
        .post(t.fleet.at(AppName::Federation, "/statuses"))
        .header("origin", origin)
        .header("sec-fetch-site", "same-origin")
        .header("cookie", &s.cookie)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(encode(token, fields))
        .send()
        .await
        .unwrap();
    page(res).await
}

fn png(fill: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend(std::iter::repeat_n(7u8, fill));
    bytes
}

async fn count(t: &TestFleet) -> i64 {
    ap_objects::table
        .count()
        .get_result(&mut t.db.conn().await)
        .await
        .unwrap()
}

/// Files under the fleet's media directory.
fn media_files(t: &TestFleet) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        walk(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
    }
    walk(&t.fleet.ctx(AppName::Federation).config().media_dir)
}

#[actix_web::test]
async fn images_with_alt_text_go_out_as_mastodon_attachments() {
    let t = TestFleet::start().await;
    let ann_id = member(&t, "ann").await;
    let ann = t.sign_in(AppName::Federation, ann_id).await;
    let ann_actor = actor(&t, "ann");
    let token = ann.csrf.clone();
    let media_before = media_files(&t);

    // Two images, one described; the CW folds them.
    let alt = "A pear tree in bloom, \"Conference\" <b>variety</b>";
    let page = upload(
        &t,
        &ann,
        Some(&token),
        &[
            ("summary", Ok("orchard photos")),
            ("text", Ok("Blossom at last\r\nsee below")),
            ("visibility", Ok("public")),
            ("media", Err(("tree.png", "image/png", png(300)))),
            ("alt", Ok(alt)),
            ("media", Err(("", "application/octet-stream", Vec::new()))),
            ("alt", Ok("")),
            (
                "media",
                Err(("second.jpg", "image/jpeg", b"\xFF\xD8\xFF\xE0jpeg".to_vec())),
            ),
            ("alt", Ok("")),
        ],
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let (id, payload): (String, Value) = ap_objects::table
        .filter(ap_objects::attributed_to.eq(&ann_actor))
        .select((ap_objects::id, ap_objects::payload))
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    let create: Value = ap_activities::table
        .filter(ap_activities::direction.eq("outbound"))
        .filter(ap_activities::kind.eq("Create"))
        .filter(ap_activities::object_id.eq(&id))
        .select(ap_activities::payload)
        .first(&mut t.db.conn().await)
        .await
        .unwrap();
    let note = &create["object"];
    assert_eq!(note, &payload);
    assert_eq!(note["summary"], "orchard photos");
    assert_eq!(note["sensitive"], true);
    assert!(
        note["content"]
            .as_str()
            .unwrap()
            .contains("Blossom at last<br>see below")
    );
    let attachments = note["attachment"].as_array().unwrap();
    assert_eq!(attachments.len(), 2, "{attachments:?}");
    let origin = t
        .fleet
        .url(AppName::Federation)
        .origin()
        .ascii_serialization();
    for (a, media_type, name) in [
        (&attachments[0], "image/png", json!(alt)),
        (&attachments[1], "image/jpeg", Value::Null),
    ] {
        assert_eq!(a["type"], "Document");
        assert_eq!(a["mediaType"], media_type);
        assert_eq!(a["name"], name);
        let url = a["url"].as_str().unwrap();
        assert!(
            url.starts_with(&format!("{origin}/content/images/")),
            "{url}"
        );
        let served = t.client.get(url).send().await.unwrap();
        assert_eq!(served.status(), 200);
        assert_eq!(served.headers()["content-type"], media_type);
    }
    let served = t
        .client
        .get(attachments[0]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(served.bytes().await.unwrap().to_vec(), png(300));
    assert_eq!(media_files(&t), media_before + 2);

    // The timelines show them, described, with the alt text escaped.
    for path in ["/home", "/public"] {
        let page = t.get(AppName::Federation, path, Some(&ann)).await;
        assert!(
            page.body.contains(
                "alt=\"A pear tree in bloom, &quot;Conference&quot; &lt;b&gt;variety&lt;&#x2F;b&gt;\""
            ) || page.body.contains(
                "alt=\"A pear tree in bloom, &quot;Conference&quot; &lt;b&gt;variety&lt;/b&gt;\""
            ),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("<b>variety"), "{path}");
    }

    // Refused uploads: 4xx, and no post, no file.
    let before = count(&t).await;
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>".to_vec();
    let bad_type = upload(
        &t,
        &ann,
        Some(&token),
        &[
            ("text", Ok("not an image")),
            ("visibility", Ok("public")),
            ("media", Err(("x.png", "image/png", svg))),
            ("alt", Ok("")),
        ],
    )
    .await;
    assert_eq!(bad_type.status, 400, "{}", bad_type.body);
    let too_big = upload(
        &t,
        &ann,
        Some(&token),
        &[
            ("text", Ok("too big")),
            ("visibility", Ok("public")),
            (
                "media",
                Err(("big.png", "image/png", png(5 * 1024 * 1024 + 1))),
            ),
            ("alt", Ok("")),
        ],
    )
    .await;
    assert_eq!(too_big.status, 413, "{}", too_big.body);
    let long_alt = "a".repeat(1501);
    let too_long_alt = upload(
        &t,
        &ann,
        Some(&token),
        &[
            ("text", Ok("long alt")),
            ("media", Err(("y.png", "image/png", png(10)))),
            ("alt", Ok(&long_alt)),
        ],
    )
    .await;
    assert_eq!(too_long_alt.status, 400, "{}", too_long_alt.body);
    let too_long_text = upload(
        &t,
        &ann,
        Some(&token),
        &[
            ("text", Ok(&"x".repeat(501))),
            ("media", Err(("z.png", "image/png", png(20)))),
            ("alt", Ok("")),
        ],
    )
    .await;
    assert_eq!(too_long_text.status, 400, "{}", too_long_text.body);
    // Without the CSRF token, or with a wrong one: refused before anything is read.
    for token in [None, Some("forged-token")] {
        let forged = upload(
            &t,
            &ann,
            token,
            &[
                ("text", Ok("forged")),
                ("media", Err(("f.png", "image/png", png(30)))),
                ("alt", Ok("")),
            ],
        )
        .await;
        assert_eq!(forged.status, 403, "{token:?}: {}", forged.body);
    }
    assert_eq!(count(&t).await, before);
    assert_eq!(media_files(&t), media_before + 2);

    // An image alone makes a post.
    let alone = upload(
        &t,
        &ann,
        Some(&token),
        &[
            ("text", Ok("")),
            ("visibility", Ok("unlisted")),
            (
                "media",
                Err(("only.gif", "image/gif", b"GIF89a...".to_vec())),
            ),
            ("alt", Ok("Just a picture")),
        ],
    )
    .await;
    assert_eq!(alone.status, 303, "{}", alone.body);
    assert_eq!(count(&t).await, before + 1);
    t.stop().await;
}
