//! Bulk import: an owner pastes a list of product page addresses; each becomes a row with
//! a state and a durable job ([`ImportProduct`]) that fetches the page through the guarded
//! fetcher, reads the product, copies its images (see [`rehost`]) and saves it as a draft. The rows and the jobs are written in
//! one transaction, and each job saves its product and marks its row in one transaction, so
//! a restart at any moment neither loses an address nor saves one twice.

use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use shared::AppContext;
use shared::jobs::{self, Job, JobError};
use url::Url;

use super::MarketError;
use super::extract;
use super::market::{Actor, Market};
use super::rehost;
use crate::db::imports::{self, Import, Item};
use crate::db::products::{self, ProductDraft};
use shared::models::market::Stall;

/// Most addresses one import takes.
pub const MAX_URLS: usize = 200;

/// The addresses of a pasted list: one a line, blank lines skipped, repeats once.
pub fn parse_urls(text: &str) -> Result<Vec<String>, MarketError> {
    let mut urls: Vec<String> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let url = Url::parse(line)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                MarketError::Invalid(format!("Line {} is not a web address: {line}", n + 1))
            })?;
        let url = url.to_string();
        if !urls.contains(&url) {
            urls.push(url);
        }
    }
    match urls.len() {
        0 => Err(MarketError::Invalid("Paste at least one address.".into())),
        n if n > MAX_URLS => Err(MarketError::Invalid(format!(
            "At most {MAX_URLS} addresses at a time ({n} given)."
        ))),
        _ => Ok(urls),
    }
}

/// Imports one address of a bulk import.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportProduct {
    pub item: i64,
}

impl Job for ImportProduct {
    const JOB_TYPE: &'static str = "market.import_product";
    /// A page that cannot be read is recorded as failed, not retried; only database
    /// trouble makes a try fail, and that is worth a few more.
    const MAX_ATTEMPTS: i32 = 5;
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        let mut conn = ctx.db().get().await.map_err(JobError::failed)?;
        let Some(item) = imports::item(&mut conn, self.item)
            .await
            .map_err(JobError::failed)?
        else {
            return Ok(());
        };
        if item.state != imports::QUEUED {
            return Ok(());
        }
        let outcome = read(ctx, &item.url).await;
        conn.transaction(async |conn| {
            let Some((item, import)) = imports::lock_item(conn, self.item).await? else {
                return Ok(());
            };
            if item.state != imports::QUEUED {
                return Ok(());
            }
            let saved = match &outcome {
                Ok((draft, note)) => {
                    Ok((save(conn, import.stall_id, draft).await?, note.as_deref()))
                }
                Err(why) => Err(why.as_str()),
            };
            imports::finish(conn, item.id, saved).await
        })
        .await
        .map_err(|e: diesel::result::Error| JobError::failed(e))
    }
}

/// The page's product as a draft with its images copied (and a note of those left out, see
/// [`rehost`]), or why there is none.
async fn read(ctx: &AppContext, url: &str) -> Result<(ProductDraft, Option<String>), String> {
    let fetched = ctx
        .activitypub()
        .fetcher
        .html(url)
        .await
        .map_err(|e| format!("the page could not be fetched: {e}"))?;
    let mut found = extract::extract(&fetched.body, &fetched.url)
        .ok_or_else(|| "the page names no product".to_owned())?;
    let fetcher = &ctx.activitypub().fetcher;
    let skipped = rehost::rehost(fetcher, &ctx.config().media_dir, &mut found).await;
    let mut draft = found.form().draft().map_err(|e| e.to_string())?;
    draft.status = "draft".into();
    Ok((draft, rehost::note(&skipped)))
}

/// Saves the draft under its slug, or the first free `slug-2`, `slug-3`, … (each try in its
/// own savepoint, so a taken slug leaves the transaction usable).
async fn save(
    conn: &mut diesel_async::AsyncPgConnection,
    stall_id: i64,
    draft: &ProductDraft,
) -> diesel::QueryResult<i64> {
    let mut candidate = draft.clone();
    for n in 1..=100 {
        if n > 1 {
            candidate.slug = format!("{}-{n}", draft.slug);
        }
        match products::insert(conn, stall_id, &candidate).await {
            Ok(p) => return Ok(p.id),
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(diesel::result::Error::RollbackTransaction)
}

/// An import as its progress page shows it.
pub struct Progress {
    pub stall: Stall,
    pub import: Import,
    pub items: Vec<Item>,
    /// Product id → slug, for the saved drafts' links.
    pub slugs: Vec<(i64, String)>,
}

impl Market<'_> {
    /// Starts a bulk import for a stall its owner may edit; returns the import's id.
    pub async fn start_import(
        &self,
        actor: Actor,
        stall_slug: &str,
        text: &str,
    ) -> Result<(Stall, i64), MarketError> {
        let stall = self.editable_stall(stall_slug, actor).await?;
        let urls = parse_urls(text)?;
        let mut conn = self.pool().get().await?;
        let id = conn
            .transaction(async |conn| {
                let (import, items) = imports::insert(conn, stall.id, actor.id, &urls).await?;
                let jobs: Vec<ImportProduct> = items
                    .into_iter()
                    .map(|item| ImportProduct { item })
                    .collect();
                jobs::enqueue_many(conn, &jobs)
                    .await
                    .map_err(|e| MarketError::Invalid(format!("could not queue: {e}")))?;
                Ok::<_, MarketError>(import.id)
            })
            .await?;
        Ok((stall, id))
    }

    /// A bulk import's progress, for the stall's owners.
    pub async fn import_progress(
        &self,
        actor: Actor,
        stall_slug: &str,
        id: i64,
    ) -> Result<Progress, MarketError> {
        let stall = self.editable_stall(stall_slug, actor).await?;
        let mut conn = self.pool().get().await?;
        let import = imports::by_id(&mut conn, id)
            .await?
            .filter(|i| i.stall_id == stall.id)
            .ok_or(MarketError::NoSuchImport)?;
        let items = imports::items_of(&mut conn, import.id).await?;
        let ids: Vec<i64> = items.iter().filter_map(|i| i.product_id).collect();
        let slugs = imports::product_slugs(&mut conn, &ids).await?;
        Ok(Progress {
            stall,
            import,
            items,
            slugs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_lists() {
        let urls =
            parse_urls("https://a.example/p/1\n\n  http://b.example/x \nhttps://a.example/p/1\n")
                .unwrap();
        assert_eq!(urls, ["https://a.example/p/1", "http://b.example/x"]);
        assert!(parse_urls("").is_err());
        assert!(parse_urls("ftp://a.example/x").is_err());
        assert!(parse_urls("javascript:alert(1)").is_err());
        let many: String = (0..=MAX_URLS)
            .map(|i| format!("https://a.example/{i}\n"))
            .collect();
        assert!(parse_urls(&many).is_err());
    }
}
