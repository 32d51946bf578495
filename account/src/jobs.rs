//! Account's jobs (`shared::jobs`): starting a scheduled campaign, sending it turn by turn, and
//! an editor's test mail.
//!
//! A campaign is sent by a chain of `account.campaign.send` jobs, each a turn of a couple of
//! seconds that queues the next turn before it ends; so a shutdown waits for one short turn at
//! most, and a restart continues from the queue table where the last committed mail left it.

use std::time::Duration;

use diesel_async::AsyncConnection;
use shared::AppContext;
use shared::jobs::{Enqueue, Job, JobError, JobRegistry, OnDuplicate};

use crate::db;
use crate::domain::campaign_mail::CampaignMail;
use crate::domain::sending::{Turn, mail_domain};
use crate::state::AccountState;

/// Account's job types.
pub fn registry() -> JobRegistry<AppContext> {
    JobRegistry::new()
        .register::<StartCampaign>()
        .register::<SendCampaign>()
        .register::<SendCampaignTest>()
}

/// How long one sending turn runs before it hands over to the next job.
const TURN: Duration = Duration::from_secs(2);

fn state(ctx: &AppContext) -> Result<std::sync::Arc<AccountState>, JobError> {
    ctx.state::<AccountState>()
        .ok_or_else(|| JobError::Permanent("account's state is missing".into()))
}

/// Queues the next sending turn of a campaign (one pending turn per campaign at most).
pub async fn queue_turn(
    conn: &mut diesel_async::AsyncPgConnection,
    campaign_id: i64,
) -> Result<(), shared::jobs::EnqueueError> {
    shared::jobs::enqueue_with(
        conn,
        &SendCampaign { campaign_id },
        Enqueue::default().dedupe(format!("campaign:{campaign_id}"), OnDuplicate::Keep),
    )
    .await
    .map(drop)
}

/// A scheduled campaign's start (queued with `run_at` = the scheduled time; rescheduling
/// replaces it): its confirmed subscribers become its recipients and the first turn is queued,
/// all in one transaction.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct StartCampaign {
    pub campaign_id: i64,
}

impl Job for StartCampaign {
    const JOB_TYPE: &'static str = "account.campaign.start";
    const PRIORITY: i16 = 10;
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        let mut conn = ctx.db().get().await.map_err(JobError::failed)?;
        let id = self.campaign_id;
        conn.transaction(async |conn| {
            let Some(campaign) = db::campaigns::by_id(conn, id).await? else {
                return Ok(());
            };
            if !db::campaigns::start(conn, id).await? {
                // Edited back to a draft, or already started.
                return Ok(());
            }
            db::recipients::materialize(conn, id, campaign.newsletter_id).await?;
            queue_turn(conn, id).await.map_err(JobError::failed)?;
            Ok::<_, JobError>(())
        })
        .await
    }
}

/// One sending turn of a campaign.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct SendCampaign {
    pub campaign_id: i64,
}

impl Job for SendCampaign {
    const JOB_TYPE: &'static str = "account.campaign.send";
    const PRIORITY: i16 = 5;
    const MAX_ATTEMPTS: i32 = 20;
    // A turn plus the longest wait for a slot (1/rate at the slowest rate).
    const TIMEOUT: Duration = Duration::from_secs(200);
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        let sender = state(ctx)?.sender(ctx);
        match sender
            .turn(self.campaign_id, TURN)
            .await
            .map_err(JobError::failed)?
        {
            Turn::More => {
                let mut conn = ctx.db().get().await.map_err(JobError::failed)?;
                queue_turn(&mut conn, self.campaign_id)
                    .await
                    .map_err(JobError::failed)
            }
            Turn::Done | Turn::Stopped => Ok(()),
        }
    }
}

/// An editor's test of a campaign, to one address.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct SendCampaignTest {
    pub campaign_id: i64,
    pub to: String,
}

impl Job for SendCampaignTest {
    const JOB_TYPE: &'static str = "account.campaign.test";
    const PRIORITY: i16 = 20;
    const MAX_ATTEMPTS: i32 = 5;
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        let state = state(ctx)?;
        let mut conn = ctx.db().get().await.map_err(JobError::failed)?;
        let Some(campaign) = db::campaigns::by_id(&mut conn, self.campaign_id).await? else {
            return Ok(());
        };
        let Some(newsletter) = db::newsletters::by_id(&mut conn, campaign.newsletter_id).await?
        else {
            return Ok(());
        };
        drop(conn);
        let domain = mail_domain(&state.mailer.from_address());
        let mail = CampaignMail {
            campaign: &campaign,
            newsletter: &newsletter,
            online: None,
            domain: &domain,
        }
        .test(&self.to);
        state.mailer.send_email(&mail).await.map_err(|e| match e {
            shared::infrastructure::mail::MailError::Smtp(_) => JobError::failed(e),
            _ => JobError::Permanent(e.to_string()),
        })
    }
}
