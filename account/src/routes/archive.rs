//! `/newsletters/{slug}/archive`: a public list's sent campaigns as pages, and as an RSS feed
//! (`/newsletters/{slug}/rss.xml`). Private lists and unarchived campaigns are not shown.

use std::fmt::Write as _;

use actix_web::{HttpResponse, web};
use shared::{AppContext, AppName, PageRequest};

use crate::domain::NewsletterError;
use crate::domain::campaigns::Campaigns;
use crate::views::{self, ArchiveEntry, ArchivePage, ArchivedPage, ListView};

/// Campaigns on the archive page and in the feed.
const SHOWN: i64 = 50;

fn entry_url(ctx: &AppContext, slug: &str, id: i64) -> String {
    ctx.url(
        AppName::Account,
        &format!("/newsletters/{slug}/archive/{id}"),
    )
}

pub async fn index(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, NewsletterError> {
    let (list, campaigns) = Campaigns::new(ctx.db()).archive(&slug, SHOWN).await?;
    let view = ArchivePage {
        newsletter: ListView::from(&list),
        feed_url: ctx.url(
            AppName::Account,
            &format!("/newsletters/{}/rss.xml", list.slug),
        ),
        campaigns: campaigns
            .iter()
            .map(|c| ArchiveEntry {
                url: entry_url(&ctx, &list.slug, c.id),
                subject: &c.subject,
                sent_at: c.finished_at.map(|t| t.to_rfc3339()),
            })
            .collect(),
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    Ok(ctx
        .render_page(&page, "archive.html", context, Vec::new())
        .await?)
}

pub async fn show(
    ctx: web::Data<AppContext>,
    page: PageRequest,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, NewsletterError> {
    let (slug, id) = path.into_inner();
    let (list, campaign) = Campaigns::new(ctx.db()).archived(&slug, id).await?;
    let view = ArchivedPage {
        newsletter: ListView::from(&list),
        subject: &campaign.subject,
        body_html: &campaign.body_html,
        sent_at: campaign.finished_at.map(|t| t.to_rfc3339()),
        archive_url: super::campaigns::archive_url(&ctx, &list.slug),
    };
    let context = views::page_context(ctx.base_context(), &view)?;
    Ok(ctx
        .render_page(&page, "archived.html", context, Vec::new())
        .await?)
}

/// RSS 2.0 of the archive, each item with its full HTML (`content:encoded`).
pub async fn rss(
    ctx: web::Data<AppContext>,
    slug: web::Path<String>,
) -> Result<HttpResponse, NewsletterError> {
    let (list, campaigns) = Campaigns::new(ctx.db()).archive(&slug, SHOWN).await?;
    let archive = super::campaigns::archive_url(&ctx, &list.slug);
    let own = ctx.url(
        AppName::Account,
        &format!("/newsletters/{}/rss.xml", list.slug),
    );
    let mut out = String::with_capacity(2048 + campaigns.len() * 2048);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">\n<channel>\n<title>{}</title>\n<link>{}</link>\n<description>{}</description>\n<atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>\n<generator>Rose Ash</generator>\n",
        xml(&list.name),
        xml(&archive),
        xml(&list.description),
        xml(&own),
    );
    if let Some(at) = campaigns.first().and_then(|c| c.finished_at) {
        let _ = writeln!(out, "<lastBuildDate>{}</lastBuildDate>", at.to_rfc2822());
    }
    for c in &campaigns {
        let url = entry_url(&ctx, &list.slug, c.id);
        let _ = write!(
            out,
            "<item>\n<title>{}</title>\n<link>{url}</link>\n<guid isPermaLink=\"true\">{url}</guid>\n",
            xml(&c.subject),
            url = xml(&url),
        );
        if let Some(at) = c.finished_at {
            let _ = writeln!(out, "<pubDate>{}</pubDate>", at.to_rfc2822());
        }
        let teaser = shared::infrastructure::markdown::teaser(
            &shared::infrastructure::markdown::plain_text(&c.body_html),
            300,
        );
        let _ = write!(
            out,
            "<description>{}</description>\n<content:encoded>{}</content:encoded>\n</item>\n",
            xml(&teaser),
            xml(&c.body_html),
        );
    }
    out.push_str("</channel>\n</rss>\n");
    Ok(HttpResponse::Ok()
        .content_type("application/rss+xml; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .body(out))
}

/// Text for XML: the five entities escaped, characters XML 1.0 forbids dropped.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn xml_text_is_escaped_and_clean() {
        assert_eq!(super::xml("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
