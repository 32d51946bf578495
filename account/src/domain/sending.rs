//! Sending a campaign: one recipient at a time from the campaign's queue table, at the
//! campaign's rate, pausing itself after repeated SMTP errors.
//!
//! Exactly once, as far as SMTP allows: each mail is one transaction that locks its recipient
//! row (`FOR UPDATE SKIP LOCKED`), sends, and marks the row `sent` before committing. A sender
//! that stops between mails leaves every row either sent or pending, so a restart neither skips
//! nor repeats anyone, and any number of senders share a queue. A sender keeps a few mails in
//! flight, each a task of its own, so cancelling the sender (a job's timeout, a shutdown)
//! still records the mails it had started. What no protocol can close is a process killed between the server's
//! "250 OK" and our commit: that recipient is sent again on restart, with the same
//! `Message-ID` (receivers such as Gmail drop the duplicate).

use std::time::{Duration, Instant};

use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection, TransactionManager};
use shared::db::DbPool;
use shared::infrastructure::mail::{MailError, Mailer};
use shared::models::account::Newsletter;

use super::campaign_mail::{CampaignMail, RecipientLinks};
use super::links::{LinkSigner, Purpose};
use crate::db;
use crate::db::campaigns::Campaign;

/// Tries of one recipient before it is given up (`failed`).
pub const MAX_ATTEMPTS: i32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("pool: {0}")]
    Pool(#[from] diesel_async::pooled_connection::deadpool::PoolError),
    #[error("links: {0}")]
    Links(#[from] shared::crypto::CryptoError),
    #[error("a mail task stopped without reporting")]
    Lost,
}

/// How a sender's turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// Time is up and recipients are left: continue in another turn.
    More,
    /// Nobody is left: the campaign is sent.
    Done,
    /// The campaign is not sending (paused by an editor or by errors, or gone).
    Stopped,
}

/// Mails in flight at once per sender (fewer when the pool is smaller).
pub const IN_FLIGHT: usize = 6;

/// The next finished mail (a mail task that never reports within two minutes is an error).
async fn next_outcome(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Result<Outcome, SendError>>,
) -> Result<Result<Outcome, SendError>, SendError> {
    match tokio::time::timeout(Duration::from_secs(120), rx.recv()).await {
        Ok(Some(outcome)) => Ok(outcome),
        _ => Err(SendError::Lost),
    }
}

/// How a finished mail ends the turn, if it does.
fn settle(outcome: Result<Outcome, SendError>) -> Result<Option<Turn>, SendError> {
    Ok(match outcome? {
        Outcome::Sent | Outcome::Skipped | Outcome::Failed => None,
        Outcome::Paused => Some(Turn::Stopped),
        Outcome::NoneLeft => Some(Turn::Done),
    })
}

/// What one mail did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sent,
    Skipped,
    Failed,
    Paused,
    NoneLeft,
}

/// Everything a sender needs, owned (the send task outlives a cancelled sender).
#[derive(Clone)]
pub struct Sender {
    pub pool: DbPool,
    pub mailer: Mailer,
    pub links: LinkSigner,
    /// Account's public URL, ending in `/`.
    pub account_url: String,
    pub rate_per_sec: f64,
    pub pause_after_errors: i32,
}

impl Sender {
    /// Sends to the campaign's pending recipients until `budget` is spent or none is left.
    pub async fn turn(&self, campaign_id: i64, budget: Duration) -> Result<Turn, SendError> {
        let started = Instant::now();
        let (campaign, newsletter) = {
            let mut conn = self.pool.get().await?;
            let Some(campaign) = db::campaigns::by_id(&mut conn, campaign_id).await? else {
                return Ok(Turn::Stopped);
            };
            let Some(newsletter) =
                db::newsletters::by_id(&mut conn, campaign.newsletter_id).await?
            else {
                return Ok(Turn::Stopped);
            };
            (campaign, newsletter)
        };
        // Several mails in flight: an SMTP exchange spends most of its time waiting (on the
        // server and on TCP acknowledgements), so one at a time would cap the rate far below
        // what a server takes. Each in-flight mail holds a pooled connection.
        let in_flight = IN_FLIGHT
            .min(self.pool.status().max_size.saturating_sub(1))
            .max(1);
        // Each mail is a detached task reporting here: cancelling this turn (a job timeout, a
        // shutdown) still lets every mail it started be recorded.
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut running = 0usize;
        let mut end = Turn::More;
        while started.elapsed() < budget {
            while running >= in_flight {
                running -= 1;
                if let Some(stop) = settle(next_outcome(&mut rx).await?)? {
                    end = stop;
                }
            }
            if end != Turn::More {
                break;
            }
            let slot = {
                let mut conn = self.pool.get().await?;
                db::campaigns::take_slot(&mut conn, campaign_id, self.rate_per_sec).await?
            };
            let Some(slot) = slot else {
                end = Turn::Stopped;
                break;
            };
            if let Ok(wait) = (slot - Utc::now()).to_std() {
                tokio::time::sleep(wait).await;
            }
            let (me, tx) = (self.clone(), tx.clone());
            let (c, n) = (campaign.clone(), newsletter.clone());
            tokio::spawn(async move {
                // The receiver is gone only when the turn was cancelled: nothing to tell.
                let _ = tx.send(me.send_next(c, n).await);
            });
            running += 1;
        }
        while running > 0 {
            running -= 1;
            if let Some(stop) = settle(next_outcome(&mut rx).await?)?
                && (end == Turn::More || stop == Turn::Stopped)
            {
                end = stop;
            }
        }
        if end == Turn::Done {
            let mut conn = self.pool.get().await?;
            db::campaigns::finish(&mut conn, campaign_id).await?;
        }
        Ok(end)
    }

    /// Claims, sends and records the next recipient in one transaction.
    async fn send_next(
        self,
        campaign: Campaign,
        newsletter: Newsletter,
    ) -> Result<Outcome, SendError> {
        type Tm = <AsyncPgConnection as AsyncConnection>::TransactionManager;
        let mut conn = self.pool.get().await?;
        Tm::begin_transaction(&mut *conn).await?;
        match self.send_next_in(&mut conn, &campaign, &newsletter).await {
            Ok(outcome) => {
                Tm::commit_transaction(&mut *conn).await?;
                Ok(outcome)
            }
            Err(e) => {
                // The rollback's own failure leaves the connection broken; the pool drops it.
                let _ = Tm::rollback_transaction(&mut *conn).await;
                Err(e)
            }
        }
    }

    async fn send_next_in(
        &self,
        conn: &mut AsyncPgConnection,
        campaign: &Campaign,
        newsletter: &Newsletter,
    ) -> Result<Outcome, SendError> {
        let Some(recipient) = db::recipients::claim_next(conn, campaign.id).await? else {
            return Ok(Outcome::NoneLeft);
        };
        if recipient.subscription_status != "confirmed" {
            db::recipients::mark_skipped(conn, recipient.id).await?;
            return Ok(Outcome::Skipped);
        }
        let links = RecipientLinks {
            unsubscribe: format!(
                "{}unsubscribe/{}",
                self.account_url,
                self.links
                    .sign(Purpose::Unsubscribe, recipient.subscription_id)?
            ),
            mailto: self.mailer.from_address(),
            preferences: format!(
                "{}preferences/{}",
                self.account_url,
                self.links
                    .sign(Purpose::Preferences, recipient.subscriber_id)?
            ),
        };
        let domain = mail_domain(&self.mailer.from_address());
        let mail = CampaignMail {
            campaign,
            newsletter,
            online: campaign
                .archived
                .then(|| archive_url(&self.account_url, newsletter, campaign)),
            domain: &domain,
        }
        .for_recipient(&recipient.email, recipient.id, &links);
        match self.mailer.send_email(&mail).await {
            Ok(()) => {
                db::recipients::mark_sent(conn, recipient.id).await?;
                db::campaigns::record_success(conn, campaign.id).await?;
                Ok(Outcome::Sent)
            }
            Err(e) => {
                let for_good = matches!(
                    e,
                    MailError::Address(_) | MailError::Build(_) | MailError::Rejected(_)
                ) || recipient.attempts + 1 >= MAX_ATTEMPTS;
                tracing::warn!(campaign = campaign.id, recipient = recipient.id, error = %e, "campaign mail failed");
                let message = e.to_string();
                db::recipients::mark_failure(conn, recipient.id, &message, for_good).await?;
                let paused = db::campaigns::record_error(
                    conn,
                    campaign.id,
                    self.pause_after_errors,
                    &message,
                )
                .await?;
                Ok(if paused {
                    Outcome::Paused
                } else {
                    Outcome::Failed
                })
            }
        }
    }
}

/// The domain of an address (for `List-Id` and `Message-ID`).
pub fn mail_domain(address: &str) -> String {
    address
        .rsplit_once('@')
        .map_or("localhost", |(_, d)| d)
        .to_ascii_lowercase()
}

/// A campaign's page in its list's public archive.
pub fn archive_url(account_url: &str, newsletter: &Newsletter, campaign: &Campaign) -> String {
    format!(
        "{account_url}newsletters/{}/archive/{}",
        newsletter.slug, campaign.id
    )
}
