//! The campaign editor's rules: who may write campaigns (editors and administrators), drafts in
//! Markdown rendered through the shared renderer and sanitiser, a test mail to one address,
//! scheduling (a `run_at` job), and pausing or resuming a campaign that is sending.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel_async::AsyncConnection;
use shared::contracts::posts::PostDto;
use shared::db::DbPool;
use shared::infrastructure::markdown;
use shared::jobs::{Enqueue, OnDuplicate};
use shared::models::account::Newsletter;

use super::NewsletterError;
use crate::db;
use crate::db::campaigns::{Campaign, CampaignFields};
use crate::db::recipients::Counts;
use crate::jobs::{SendCampaignTest, StartCampaign, queue_turn};

/// Longest subject (characters) and body (bytes) a campaign may have.
const MAX_SUBJECT: usize = 200;
const MAX_BODY: usize = 200_000;

/// A campaign form as posted.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CampaignForm {
    #[serde(default)]
    pub newsletter: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    /// A checkbox: present when the campaign goes into the public archive.
    #[serde(default)]
    pub archived: Option<String>,
}

/// A campaign with its list and where its sending stands.
#[derive(Debug)]
pub struct CampaignState {
    pub campaign: Campaign,
    pub newsletter: Newsletter,
    pub counts: Counts,
    /// Bounces and complaints reported against it.
    pub bounces: db::bounces::Counts,
}

pub struct Campaigns<'a> {
    pool: &'a DbPool,
}

impl<'a> Campaigns<'a> {
    pub fn new(pool: &'a DbPool) -> Self {
        Campaigns { pool }
    }

    /// Every list (campaigns may go to private lists too).
    pub async fn lists(&self) -> Result<Vec<Newsletter>, NewsletterError> {
        let mut conn = self.pool.get().await?;
        Ok(db::newsletters::all(&mut conn).await?)
    }

    /// Every campaign with its list and counts, newest first.
    pub async fn all(&self) -> Result<Vec<CampaignState>, NewsletterError> {
        let mut conn = self.pool.get().await?;
        let lists = db::newsletters::all(&mut conn).await?;
        let mut out = Vec::new();
        for campaign in db::campaigns::all(&mut conn).await? {
            let Some(newsletter) = lists.iter().find(|n| n.id == campaign.newsletter_id) else {
                continue;
            };
            let counts = db::recipients::counts(&mut conn, campaign.id).await?;
            let bounces = db::bounces::counts_of_campaign(&mut conn, campaign.id).await?;
            out.push(CampaignState {
                newsletter: newsletter.clone(),
                campaign,
                counts,
                bounces,
            });
        }
        Ok(out)
    }

    pub async fn get(&self, id: i64) -> Result<CampaignState, NewsletterError> {
        let mut conn = self.pool.get().await?;
        let campaign = db::campaigns::by_id(&mut conn, id)
            .await?
            .ok_or(NewsletterError::NoSuchCampaign)?;
        let newsletter = db::newsletters::by_id(&mut conn, campaign.newsletter_id)
            .await?
            .ok_or(NewsletterError::NoSuchCampaign)?;
        let counts = db::recipients::counts(&mut conn, id).await?;
        let bounces = db::bounces::counts_of_campaign(&mut conn, id).await?;
        Ok(CampaignState {
            campaign,
            newsletter,
            counts,
            bounces,
        })
    }

    /// The addresses with the latest bounces, their counts and whether mail to them stopped.
    pub async fn bounced(&self, limit: i64) -> Result<Vec<db::bounces::Bounced>, NewsletterError> {
        let mut conn = self.pool.get().await?;
        Ok(db::bounces::bounced_subscribers(&mut conn, limit).await?)
    }

    /// Checks a form and renders its Markdown: the list's id and the safe HTML.
    async fn checked(&self, form: &CampaignForm) -> Result<(i64, String), NewsletterError> {
        let subject = form.subject.trim();
        if subject.is_empty() || subject.chars().count() > MAX_SUBJECT {
            return Err(NewsletterError::BadCampaign(format!(
                "A subject of 1 to {MAX_SUBJECT} characters is needed."
            )));
        }
        if subject.contains(['\r', '\n']) {
            return Err(NewsletterError::BadCampaign(
                "The subject must be one line.".into(),
            ));
        }
        if form.body.trim().is_empty() || form.body.len() > MAX_BODY {
            return Err(NewsletterError::BadCampaign(format!(
                "A body of up to {MAX_BODY} bytes is needed."
            )));
        }
        let mut conn = self.pool.get().await?;
        let list = db::newsletters::by_slug(&mut conn, form.newsletter.trim())
            .await?
            .ok_or(NewsletterError::NoSuchNewsletter)?;
        Ok((list.id, markdown::markdown(&form.body)))
    }

    pub async fn create(
        &self,
        form: &CampaignForm,
        user_id: i64,
    ) -> Result<Campaign, NewsletterError> {
        let (newsletter_id, html) = self.checked(form).await?;
        let mut conn = self.pool.get().await?;
        Ok(db::campaigns::insert(
            &mut conn,
            &CampaignFields {
                newsletter_id,
                subject: form.subject.trim(),
                body_markdown: &form.body,
                body_html: &html,
                archived: form.archived.is_some(),
            },
            user_id,
        )
        .await?)
    }

    /// A draft for the list `newsletter` from a published blog post (read through the
    /// `Posts` contract): the post's title as the subject, its Markdown (or, for a post
    /// imported as HTML, its HTML, which Markdown passes through to the sanitiser) as the body,
    /// and a link to the post at the end. The editor previews and sends it as any draft.
    pub async fn create_from_post(
        &self,
        post: &PostDto,
        post_url: &str,
        newsletter: &str,
        user_id: i64,
    ) -> Result<Campaign, NewsletterError> {
        self.create(&from_post(post, post_url, newsletter), user_id)
            .await
    }

    /// Saves a draft (a scheduled campaign goes back to draft: schedule it again).
    pub async fn update(&self, id: i64, form: &CampaignForm) -> Result<(), NewsletterError> {
        let (newsletter_id, html) = self.checked(form).await?;
        let mut conn = self.pool.get().await?;
        let saved = db::campaigns::update_draft(
            &mut conn,
            id,
            &CampaignFields {
                newsletter_id,
                subject: form.subject.trim(),
                body_markdown: &form.body,
                body_html: &html,
                archived: form.archived.is_some(),
            },
        )
        .await?;
        if saved {
            return Ok(());
        }
        match db::campaigns::by_id(&mut conn, id).await? {
            None => Err(NewsletterError::NoSuchCampaign),
            Some(_) => Err(NewsletterError::CampaignNotEditable),
        }
    }

    /// Queues a test mail of the campaign to `to`.
    pub async fn send_test(&self, id: i64, to: &str) -> Result<(), NewsletterError> {
        let to = to.trim();
        if !shared::contracts::email::is_valid(to) {
            return Err(NewsletterError::BadAddress);
        }
        let mut conn = self.pool.get().await?;
        db::campaigns::by_id(&mut conn, id)
            .await?
            .ok_or(NewsletterError::NoSuchCampaign)?;
        shared::jobs::enqueue(
            &mut conn,
            &SendCampaignTest {
                campaign_id: id,
                to: to.to_owned(),
            },
        )
        .await?;
        Ok(())
    }

    /// Schedules a draft for `at` (now when `None`; a time in the past is refused). The start
    /// job is queued for that moment in the same transaction; scheduling again moves it.
    pub async fn schedule(
        &self,
        id: i64,
        at: Option<DateTime<Utc>>,
    ) -> Result<DateTime<Utc>, NewsletterError> {
        let now = Utc::now();
        let at = match at {
            Some(at) if at < now - chrono::Duration::minutes(1) => {
                return Err(NewsletterError::BadCampaign(
                    "That time has passed: pick a later one, or send now.".into(),
                ));
            }
            Some(at) => at.max(now),
            None => now,
        };
        let mut conn = self.pool.get().await?;
        conn.transaction(async |conn| {
            if !db::campaigns::schedule(conn, id, at).await? {
                return Err(match db::campaigns::by_id(conn, id).await? {
                    None => NewsletterError::NoSuchCampaign,
                    Some(_) => NewsletterError::CampaignNotEditable,
                });
            }
            shared::jobs::enqueue_with(
                conn,
                &StartCampaign { campaign_id: id },
                Enqueue::default()
                    .run_at(at)
                    .dedupe(format!("campaign-start:{id}"), OnDuplicate::Replace),
            )
            .await?;
            Ok(at)
        })
        .await
    }

    /// Pauses a sending campaign (the mail in flight finishes).
    pub async fn pause(&self, id: i64) -> Result<(), NewsletterError> {
        let mut conn = self.pool.get().await?;
        if db::campaigns::pause(&mut conn, id, "Paused by an editor.").await? {
            return Ok(());
        }
        self.not_in_state(&mut conn, id).await
    }

    /// Resumes a paused campaign where it stopped.
    pub async fn resume(&self, id: i64) -> Result<(), NewsletterError> {
        let mut conn = self.pool.get().await?;
        let resumed = conn
            .transaction(async |conn| {
                if !db::campaigns::resume(conn, id).await? {
                    return Ok::<_, NewsletterError>(false);
                }
                queue_turn(conn, id).await?;
                Ok(true)
            })
            .await?;
        if resumed {
            return Ok(());
        }
        self.not_in_state(&mut conn, id).await
    }

    async fn not_in_state(
        &self,
        conn: &mut diesel_async::AsyncPgConnection,
        id: i64,
    ) -> Result<(), NewsletterError> {
        match db::campaigns::by_id(conn, id).await? {
            None => Err(NewsletterError::NoSuchCampaign),
            Some(_) => Err(NewsletterError::CampaignWrongState),
        }
    }

    /// The public archive of a public list: its sent, archived campaigns, newest first.
    pub async fn archive(
        &self,
        slug: &str,
        limit: i64,
    ) -> Result<(Newsletter, Vec<Campaign>), NewsletterError> {
        let mut conn = self.pool.get().await?;
        let list = db::newsletters::by_slug(&mut conn, slug)
            .await?
            .filter(Newsletter::is_public)
            .ok_or(NewsletterError::NoSuchNewsletter)?;
        let campaigns = db::campaigns::archive(&mut conn, list.id, limit).await?;
        Ok((list, campaigns))
    }

    /// One archived campaign of a public list.
    pub async fn archived(
        &self,
        slug: &str,
        id: i64,
    ) -> Result<(Newsletter, Campaign), NewsletterError> {
        let mut conn = self.pool.get().await?;
        let list = db::newsletters::by_slug(&mut conn, slug)
            .await?
            .filter(Newsletter::is_public)
            .ok_or(NewsletterError::NoSuchNewsletter)?;
        let campaign = db::campaigns::by_id(&mut conn, id)
            .await?
            .filter(|c| c.newsletter_id == list.id && c.status == "sent" && c.archived)
            .ok_or(NewsletterError::NoSuchCampaign)?;
        Ok((list, campaign))
    }
}

/// The campaign form a post makes (see [`Campaigns::create_from_post`]).
fn from_post(post: &PostDto, post_url: &str, newsletter: &str) -> CampaignForm {
    let subject: String = post
        .title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_SUBJECT)
        .collect();
    let body = post
        .markdown
        .as_deref()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or(&post.html)
        .trim_end();
    CampaignForm {
        newsletter: newsletter.to_owned(),
        subject,
        // The URL is the blog's, with its slug percent-encoded (no `)` can end the link early).
        body: format!("{body}\n\n[Read it on the blog]({post_url})\n"),
        archived: Some("1".into()),
    }
}

/// A `datetime-local` value (`2026-12-24T18:00`, taken as UTC) or empty (now).
pub fn parse_when(value: Option<&str>) -> Result<Option<DateTime<Utc>>, NewsletterError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
            .map(|t| Some(t.and_utc()))
            .map_err(|e| {
                NewsletterError::BadCampaign(format!("`{v}` is not a date and time ({e})."))
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(markdown: Option<&str>) -> PostDto {
        PostDto {
            id: 7,
            slug: "spring".into(),
            title: "Spring\nin the   orchard".into(),
            excerpt: String::new(),
            html: "<p>The <em>orchard</em>.</p>".into(),
            markdown: markdown.map(Into::into),
            published_at: None,
        }
    }

    #[test]
    fn a_post_makes_a_draft_with_its_title_body_and_link() {
        let url = "https://blog.example/posts/spring";
        let form = from_post(&post(Some("The **orchard**.")), url, "letter");
        assert_eq!(form.subject, "Spring in the orchard");
        assert_eq!(form.newsletter, "letter");
        assert_eq!(
            form.body,
            "The **orchard**.\n\n[Read it on the blog](https://blog.example/posts/spring)\n"
        );
        // A post with only HTML (imported): the HTML, which Markdown keeps and ammonia cleans.
        let form = from_post(&post(None), url, "letter");
        assert!(
            form.body
                .starts_with("<p>The <em>orchard</em>.</p>\n\n[Read it")
        );
        let html = markdown::markdown(&form.body);
        assert!(html.contains("<em>orchard</em>"), "{html}");
        assert!(
            html.contains(r#"href="https://blog.example/posts/spring""#),
            "{html}"
        );
    }

    #[test]
    fn schedule_times_parse_as_utc() {
        assert_eq!(parse_when(None).unwrap(), None);
        assert_eq!(parse_when(Some(" ")).unwrap(), None);
        assert_eq!(
            parse_when(Some("2026-12-24T18:00"))
                .unwrap()
                .unwrap()
                .to_rfc3339(),
            "2026-12-24T18:00:00+00:00"
        );
        assert!(parse_when(Some("tomorrow")).is_err());
    }
}
