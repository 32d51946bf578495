//! A post as HTML, written directly rather than by a template: a timeline page is twenty of
//! them, and through Tera each cost a serialised map and a lookup (with allocations) per field.
//! Everything that is not already sanitised HTML (`content`, `summary`) is escaped here; the
//! addresses were checked to be http(s) when the view was built.

use std::fmt::Write;

use shared::infrastructure::templates::escape_html_into as esc;

use super::views::{Media, PostView};

/// What the posts' forms need about the page: is someone signed in, and their CSRF token.
pub struct Forms<'a> {
    pub signed_in: bool,
    pub csrf_token: Option<&'a str>,
}

/// The posts one after another.
pub fn posts(posts: &[PostView], forms: &Forms<'_>) -> String {
    let mut out = String::with_capacity(posts.len() * 2500);
    for post in posts {
        write_post(&mut out, post, forms);
    }
    out
}

fn csrf(out: &mut String, forms: &Forms<'_>) {
    if let Some(token) = forms.csrf_token.filter(|t| !t.is_empty()) {
        out.push_str("<input type=\"hidden\" name=\"csrf_token\" value=\"");
        esc(out, token);
        out.push_str("\">");
    }
}

fn media(out: &mut String, media: &[Media]) {
    for m in media {
        if m.image {
            out.push_str("<img src=\"");
            esc(out, &m.url);
            out.push_str("\" alt=\"");
            esc(out, &m.alt);
            out.push_str("\" loading=\"lazy\" class=\"media\">");
        } else {
            out.push_str("<a href=\"");
            esc(out, &m.url);
            out.push_str("\" rel=\"nofollow noopener noreferrer\">");
            if m.alt.is_empty() {
                out.push_str("Attachment");
            } else {
                esc(out, &m.alt);
            }
            out.push_str("</a>");
        }
    }
}

/// One post (`<article class="status">`), its actions for a signed-in viewer.
pub fn write_post(out: &mut String, post: &PostView, forms: &Forms<'_>) {
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "<article class=\"status{}\" id=\"post-{}\">\n  ",
        if post.in_reply_to { " reply" } else { "" },
        post.seq
    );
    if let Some(by) = &post.boosted_by {
        out.push_str("<p class=\"meta boosted\">↻ <a href=\"");
        esc(out, &by.profile);
        out.push_str("\">");
        esc(out, &by.name);
        out.push_str("</a> boosted</p>");
    }
    out.push_str("\n  <header>\n    ");
    if let Some(avatar) = post.author.avatar.as_deref().filter(|a| !a.is_empty()) {
        out.push_str("<img src=\"");
        esc(out, avatar);
        out.push_str("\" alt=\"\" width=\"40\" height=\"40\" class=\"avatar\">");
    }
    out.push_str("\n    <a href=\"");
    esc(out, &post.author.profile);
    out.push_str("\"><strong>");
    esc(out, &post.author.name);
    out.push_str("</strong></a>\n    <span class=\"meta\">");
    esc(out, &post.author.handle);
    if post.author.bot {
        out.push_str(" · bot");
    }
    out.push_str("</span>\n    <a class=\"meta\" href=\"");
    esc(out, &post.path);
    out.push_str("\"><time datetime=\"");
    esc(out, &post.published_iso);
    out.push_str("\" title=\"");
    esc(out, &post.published_iso);
    out.push_str("\" data-local");
    if post.dated {
        out.push_str(" data-date");
    }
    out.push('>');
    esc(out, &post.published);
    out.push_str("</time></a>\n    ");
    if post.edited {
        out.push_str("<span class=\"meta\">· edited</span>");
    }
    out.push_str("\n    ");
    if post.visibility != "public" {
        out.push_str("<span class=\"meta\">· ");
        esc(out, &post.visibility);
        out.push_str("</span>");
    }
    out.push_str("\n  </header>\n  ");
    if let Some(title) = post.title.as_deref().filter(|t| !t.is_empty()) {
        out.push_str("<h3>");
        esc(out, title);
        out.push_str("</h3>");
    }
    out.push_str("\n  ");
    match post.summary.as_deref().filter(|s| !s.is_empty()) {
        Some(summary) => {
            out.push_str("<details class=\"cw\">\n    <summary>");
            out.push_str(summary);
            out.push_str("</summary>\n    <div class=\"content\">");
            out.push_str(&post.content);
            out.push_str("</div>\n    ");
            media(out, &post.media);
            out.push_str("\n  </details>\n  ");
        }
        None => {
            out.push_str("<div class=\"content\">");
            out.push_str(&post.content);
            out.push_str("</div>\n  ");
            let fold = post.sensitive && !post.media.is_empty();
            if fold {
                out.push_str("<details class=\"cw\"><summary>Sensitive media</summary>");
            }
            media(out, &post.media);
            if fold {
                out.push_str("</details>");
            }
            out.push_str("\n  ");
        }
    }
    out.push_str("\n  <footer class=\"meta actions\">\n    <a href=\"");
    esc(out, &post.path);
    let _ = write!(
        out,
        "\">{} {}</a>\n    ",
        post.replies,
        if post.replies == 1 {
            "reply"
        } else {
            "replies"
        }
    );
    if forms.signed_in {
        let _ = write!(
            out,
            "<form method=\"post\" action=\"/statuses/{}/{}\" class=\"inline\">",
            post.seq,
            if post.liked {
                "unfavourite"
            } else {
                "favourite"
            }
        );
        csrf(out, forms);
        out.push_str("<input type=\"hidden\" name=\"back\" value=\"");
        esc(out, &post.path);
        let _ = write!(
            out,
            "\"><button class=\"link\" type=\"submit\">{} {}</button></form>\n    ",
            if post.liked { "★ Liked" } else { "☆ Like" },
            post.likes
        );
        if post.can_boost {
            let _ = write!(
                out,
                "<form method=\"post\" action=\"/statuses/{}/{}\" class=\"inline\">",
                post.seq,
                if post.boosted { "unreblog" } else { "reblog" }
            );
            csrf(out, forms);
            out.push_str("<input type=\"hidden\" name=\"back\" value=\"");
            esc(out, &post.path);
            let _ = write!(
                out,
                "\"><button class=\"link\" type=\"submit\">{} {}</button></form>",
                if post.boosted {
                    "↻ Boosted"
                } else {
                    "↻ Boost"
                },
                post.boosts
            );
        }
        out.push_str("\n    ");
        if post.mine {
            let _ = write!(
                out,
                "<a href=\"/statuses/{0}/edit\">Edit</a>\n    <form method=\"post\" action=\"/statuses/{0}/delete\" class=\"inline\">",
                post.seq
            );
            csrf(out, forms);
            out.push_str("<button class=\"link\" type=\"submit\">Delete</button></form>");
        }
        out.push_str("\n    ");
    } else {
        let _ = write!(
            out,
            "<span>★ {}</span> <span>↻ {}</span>",
            post.likes, post.boosts
        );
    }
    out.push_str("\n    ");
    if let Some(url) = post
        .url
        .as_deref()
        .filter(|u| !u.is_empty() && !post.author.local)
    {
        out.push_str("<a href=\"");
        esc(out, url);
        out.push_str("\" rel=\"nofollow noopener noreferrer\">Original</a>");
    }
    out.push_str("\n  </footer>\n</article>");
}

#[cfg(test)]
mod tests {
    use include_dir::Dir;

    use super::*;
    use crate::social::authors::Author;

    /// The template these posts were written by before: the writer must answer what it
    /// answered, but for the blank space between tags.
    const TEMPLATE: &str = include_str!("post_html.tera");

    fn author(name: &str, local: bool) -> Author {
        Author {
            id: format!("https://remote.example/users/{name}"),
            name: format!("{name} <b>\"bold\"</b> & 'co'"),
            handle: format!("@{name}@remote.example"),
            profile: format!("/@{name}@remote.example"),
            avatar: Some(format!("https://remote.example/{name}.png?a=1&b=2")),
            local,
            bot: name == "bot",
        }
    }

    fn post(seq: i64) -> PostView {
        PostView {
            cursor: seq,
            seq,
            id: format!("https://remote.example/notes/{seq}"),
            path: format!("/statuses/{seq}"),
            url: Some(format!("https://remote.example/@a/{seq}?x=1&y=\"2\"")),
            author: author("alice", false),
            boosted_by: None,
            title: None,
            summary: None,
            sensitive: false,
            content: "<p>Hello <a href=\"https://x.example/\">there</a></p>".into(),
            media: Vec::new(),
            visibility: "public".into(),
            in_reply_to: false,
            published: "5m".into(),
            dated: false,
            published_iso: "2026-12-04T10:00:00+00:00".into(),
            edited: false,
            likes: 3,
            boosts: 1,
            replies: 1,
            liked: false,
            boosted: false,
            mine: false,
            can_boost: true,
        }
    }

    fn variants() -> Vec<PostView> {
        let image = Media {
            url: "https://remote.example/cat.png".into(),
            alt: "A cat <script>alert(1)</script>".into(),
            image: true,
        };
        let file = Media {
            url: "https://remote.example/v.mp4?a=1&b=2".into(),
            alt: String::new(),
            image: false,
        };
        let mut all = vec![post(1)];
        let mut p = post(2);
        p.boosted_by = Some(author("bot", true));
        p.title = Some("An <em>article</em>".into());
        p.summary = Some("Spoilers &amp; more".into());
        p.sensitive = true;
        p.media = vec![image.clone(), file.clone()];
        p.visibility = "followers".into();
        p.in_reply_to = true;
        p.dated = true;
        p.edited = true;
        p.liked = true;
        p.boosted = true;
        p.mine = true;
        p.replies = 0;
        all.push(p);
        let mut p = post(3);
        p.sensitive = true;
        p.media = vec![image.clone()];
        p.can_boost = false;
        p.author = author("local", true);
        p.author.avatar = None;
        p.url = None;
        all.push(p);
        let mut p = post(4);
        p.media = vec![file, image];
        p.title = Some(String::new());
        p.summary = Some(String::new());
        p.replies = 12;
        all.push(p);
        all
    }

    fn squeeze(html: &str) -> String {
        html.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace("> <", "><")
    }

    #[test]
    fn posts_are_written_as_the_template_wrote_them() {
        static EMPTY: Dir<'static> = Dir::new("", &[]);
        let mut tera = shared::infrastructure::templates::build(&EMPTY).unwrap();
        tera.add_raw_template("post.html", TEMPLATE).unwrap();
        for (me, token) in [
            (Some("alice"), Some("tok\"en&")),
            (Some("alice"), None),
            (None, None),
        ] {
            for p in variants() {
                let mut context = tera::Context::new();
                context.insert("post", &p);
                context.insert("me", &me);
                context.insert("csrf_token", &token);
                let expected = tera.render("post.html", &context).unwrap();
                let forms = Forms {
                    signed_in: me.is_some(),
                    csrf_token: token,
                };
                let written = posts(std::slice::from_ref(&p), &forms);
                assert_eq!(squeeze(&written), squeeze(&expected), "post {}", p.seq);
            }
        }
    }

    #[test]
    fn nothing_that_is_not_sanitised_html_gets_through_raw() {
        let mut p = post(9);
        p.author.name = "<img src=x onerror=alert(1)>".into();
        p.published = "<script>".into();
        let html = posts(
            &[p],
            &Forms {
                signed_in: true,
                csrf_token: Some("\"><script>"),
            },
        );
        assert!(!html.contains("<img src=x") && !html.contains("<script>"));
    }
}
