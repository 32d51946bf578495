//! RSS 2.0, Atom and the sitemap, written directly (they are small, and escaping is all the
//! templating they need).

use std::fmt::Write;

use actix_web::{HttpRequest, HttpResponse, web};
use shared::models::blog;
use shared::{AppContext, AppError, AppName};

use super::view::{PostView, posts_with_tags};
use crate::db;
use crate::page_cache;

const FEED_SIZE: i64 = 20;

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn rfc2822(rfc3339: Option<&str>) -> String {
    rfc3339
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.to_rfc2822())
        .unwrap_or_default()
}

fn xml(content_type: &str, body: String) -> HttpResponse {
    HttpResponse::Ok().content_type(content_type).body(body)
}

async fn latest(
    ctx: &AppContext,
) -> Result<(blog::BlogSettings, Vec<db::posts::PostWithAuthor>), AppError> {
    let mut conn = ctx.conn().await?;
    let settings = db::settings::settings(&mut conn).await?;
    let posts = db::posts::published(&mut conn, FEED_SIZE, 0).await?;
    Ok((settings, posts))
}

pub async fn rss(ctx: web::Data<AppContext>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    page_cache::serve(&ctx, &req, || async {
        let (settings, posts) = latest(&ctx).await?;
        let mut conn = ctx.conn().await?;
        let views = posts_with_tags(&mut conn, ctx.config(), &posts).await?;
        let home = ctx.url(AppName::Blog, "/");
        let mut out = String::with_capacity(4096 + views.len() * 2048);
        let _ = write!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n<title>{}</title>\n<link>{}</link>\n<description>{}</description>\n<atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>\n<generator>Rose Ash</generator>\n",
            escape(&settings.title),
            escape(&home),
            escape(&settings.description),
            escape(&ctx.url(AppName::Blog, "/rss.xml")),
        );
        if let Some(first) = views.first() {
            let _ = writeln!(out, "<lastBuildDate>{}</lastBuildDate>", rfc2822(first.published_at.as_deref()));
        }
        for post in &views {
            rss_item(&mut out, post);
        }
        out.push_str("</channel>\n</rss>\n");
        Ok(xml("application/rss+xml; charset=utf-8", out))
    })
    .await
}

fn rss_item(out: &mut String, post: &PostView<'_>) {
    let _ = write!(
        out,
        "<item>\n<title>{}</title>\n<link>{}</link>\n<guid isPermaLink=\"false\">{}</guid>\n<pubDate>{}</pubDate>\n<description>{}</description>\n<content:encoded>{}</content:encoded>\n",
        escape(post.title),
        escape(&post.url),
        post.id,
        rfc2822(post.published_at.as_deref()),
        escape(&post.excerpt),
        escape(post.html),
    );
    for author in &post.authors {
        let _ = writeln!(out, "<dc:creator>{}</dc:creator>", escape(&author.name));
    }
    for tag in &post.tags {
        let _ = writeln!(out, "<category>{}</category>", escape(&tag.name));
    }
    out.push_str("</item>\n");
}

pub async fn atom(ctx: web::Data<AppContext>, req: HttpRequest) -> Result<HttpResponse, AppError> {
    page_cache::serve(&ctx, &req, || async {
        let (settings, posts) = latest(&ctx).await?;
        let mut conn = ctx.conn().await?;
        let views = posts_with_tags(&mut conn, ctx.config(), &posts).await?;
        let home = ctx.url(AppName::Blog, "/");
        let updated = views
            .iter()
            .map(|p| p.updated_at.clone())
            .max()
            .unwrap_or_else(|| chrono::Utc::now().to_rfc3339());
        let mut out = String::with_capacity(4096 + views.len() * 2048);
        let _ = write!(
            out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>{}</title>\n<subtitle>{}</subtitle>\n<id>{}</id>\n<link href=\"{}\"/>\n<link rel=\"self\" href=\"{}\"/>\n<updated>{}</updated>\n<generator>Rose Ash</generator>\n",
            escape(&settings.title),
            escape(&settings.description),
            escape(&home),
            escape(&home),
            escape(&ctx.url(AppName::Blog, "/atom.xml")),
            escape(&updated),
        );
        for post in &views {
            let _ = write!(
                out,
                "<entry>\n<title>{}</title>\n<id>{}</id>\n<link href=\"{}\"/>\n<published>{}</published>\n<updated>{}</updated>\n{}<summary>{}</summary>\n<content type=\"html\">{}</content>\n",
                escape(post.title),
                escape(&post.url),
                escape(&post.url),
                escape(post.published_at.as_deref().unwrap_or(&post.updated_at)),
                escape(&post.updated_at),
                atom_authors(post, &settings.title),
                escape(&post.excerpt),
                escape(post.html),
            );
            for tag in &post.tags {
                let _ = writeln!(out, "<category term=\"{}\" label=\"{}\"/>", escape(&tag.slug), escape(&tag.name));
            }
            out.push_str("</entry>\n");
        }
        out.push_str("</feed>\n");
        Ok(xml("application/atom+xml; charset=utf-8", out))
    })
    .await
}

fn atom_authors(post: &PostView<'_>, fallback: &str) -> String {
    let names: Vec<&str> = if post.authors.is_empty() {
        vec![fallback]
    } else {
        post.authors.iter().map(|a| a.name.as_str()).collect()
    };
    names
        .iter()
        .map(|n| format!("<author><name>{}</name></author>\n", escape(n)))
        .collect()
}

pub async fn sitemap(
    ctx: web::Data<AppContext>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    page_cache::serve(&ctx, &req, || async {
        let index = {
            let mut conn = ctx.conn().await?;
            db::posts::published_index(&mut conn).await?
        };
        let mut out = String::with_capacity(256 + index.len() * 160);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
        let _ = writeln!(out, "<url><loc>{}</loc></url>", escape(&ctx.url(AppName::Blog, "/")));
        for (kind, slug, updated) in &index {
            let path = if kind == "page" { format!("/{slug}") } else { format!("/posts/{slug}") };
            let _ = writeln!(
                out,
                "<url><loc>{}</loc><lastmod>{}</lastmod></url>",
                escape(&ctx.url(AppName::Blog, &path)),
                updated.format("%Y-%m-%d"),
            );
        }
        out.push_str("</urlset>\n");
        Ok(xml("application/xml; charset=utf-8", out))
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_escaping() {
        assert_eq!(
            super::escape("a<b>&\"'\u{1}"),
            "a&lt;b&gt;&amp;&quot;&apos;"
        );
    }
}
