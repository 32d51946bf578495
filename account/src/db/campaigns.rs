//! Queries on `newsletter_campaigns`: drafts, the schedule, the send state and the archive.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Int4, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use shared::db::prepared::Prepared;
use shared::db::schema::{newsletter_campaign_recipients as recipients, newsletter_campaigns};

/// A campaign (`status`: `draft` | `scheduled` | `sending` | `paused` | `sent`).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = newsletter_campaigns)]
pub struct Campaign {
    pub id: i64,
    pub newsletter_id: i64,
    pub subject: String,
    pub body_markdown: String,
    pub body_html: String,
    pub status: String,
    pub archived: bool,
    pub scheduled_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub next_send_at: Option<DateTime<Utc>>,
    pub consecutive_errors: i32,
    pub paused_reason: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Campaign {
    /// Only a draft (or a scheduled campaign, which goes back to draft) can be edited.
    pub fn editable(&self) -> bool {
        matches!(self.status.as_str(), "draft" | "scheduled")
    }
}

/// What an editor writes.
#[derive(Debug, Clone)]
pub struct CampaignFields<'a> {
    pub newsletter_id: i64,
    pub subject: &'a str,
    pub body_markdown: &'a str,
    pub body_html: &'a str,
    pub archived: bool,
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    fields: &CampaignFields<'_>,
    created_by: i64,
) -> QueryResult<Campaign> {
    diesel::insert_into(newsletter_campaigns::table)
        .values((
            newsletter_campaigns::newsletter_id.eq(fields.newsletter_id),
            newsletter_campaigns::subject.eq(fields.subject),
            newsletter_campaigns::body_markdown.eq(fields.body_markdown),
            newsletter_campaigns::body_html.eq(fields.body_html),
            newsletter_campaigns::archived.eq(fields.archived),
            newsletter_campaigns::created_by.eq(created_by),
        ))
        .returning(Campaign::as_returning())
        .get_result(conn)
        .await
}

/// Saves a draft's fields (a scheduled campaign goes back to draft); `false` once it is sending.
pub async fn update_draft(
    conn: &mut AsyncPgConnection,
    id: i64,
    fields: &CampaignFields<'_>,
) -> QueryResult<bool> {
    diesel::update(
        newsletter_campaigns::table
            .find(id)
            .filter(newsletter_campaigns::status.eq_any(["draft", "scheduled"])),
    )
    .set((
        newsletter_campaigns::newsletter_id.eq(fields.newsletter_id),
        newsletter_campaigns::subject.eq(fields.subject),
        newsletter_campaigns::body_markdown.eq(fields.body_markdown),
        newsletter_campaigns::body_html.eq(fields.body_html),
        newsletter_campaigns::archived.eq(fields.archived),
        newsletter_campaigns::status.eq("draft"),
        newsletter_campaigns::scheduled_at.eq(None::<DateTime<Utc>>),
        newsletter_campaigns::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await
    .map(|n| n > 0)
}

pub async fn by_id(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Campaign>> {
    newsletter_campaigns::table
        .find(id)
        .select(Campaign::as_select())
        .first(conn)
        .await
        .optional()
}

/// Every campaign, newest first (the editors' list).
pub async fn all(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Campaign>> {
    newsletter_campaigns::table
        .order(newsletter_campaigns::id.desc())
        .select(Campaign::as_select())
        .load(conn)
        .await
}

/// Marks a draft scheduled for `at`; `false` when it is not a draft or scheduled.
pub async fn schedule(
    conn: &mut AsyncPgConnection,
    id: i64,
    at: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::update(
        newsletter_campaigns::table
            .find(id)
            .filter(newsletter_campaigns::status.eq_any(["draft", "scheduled"])),
    )
    .set((
        newsletter_campaigns::status.eq("scheduled"),
        newsletter_campaigns::scheduled_at.eq(at),
        newsletter_campaigns::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await
    .map(|n| n > 0)
}

/// A scheduled campaign starts sending (once: `false` if it was not scheduled any more).
pub async fn start(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<bool> {
    diesel::update(
        newsletter_campaigns::table
            .find(id)
            .filter(newsletter_campaigns::status.eq("scheduled")),
    )
    .set((
        newsletter_campaigns::status.eq("sending"),
        newsletter_campaigns::started_at.eq(diesel::dsl::now),
        // The schedule starts at the first slot taken (see `take_slot`).
        newsletter_campaigns::next_send_at.eq(None::<DateTime<Utc>>),
        newsletter_campaigns::consecutive_errors.eq(0),
        newsletter_campaigns::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await
    .map(|n| n > 0)
}

/// Stops a sending campaign (an editor's pause, or too many SMTP errors).
pub async fn pause(conn: &mut AsyncPgConnection, id: i64, reason: &str) -> QueryResult<bool> {
    diesel::update(
        newsletter_campaigns::table
            .find(id)
            .filter(newsletter_campaigns::status.eq("sending")),
    )
    .set((
        newsletter_campaigns::status.eq("paused"),
        newsletter_campaigns::paused_reason.eq(reason),
        newsletter_campaigns::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await
    .map(|n| n > 0)
}

/// A paused campaign sends again, its error count cleared.
pub async fn resume(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<bool> {
    diesel::update(
        newsletter_campaigns::table
            .find(id)
            .filter(newsletter_campaigns::status.eq("paused")),
    )
    .set((
        newsletter_campaigns::status.eq("sending"),
        newsletter_campaigns::paused_reason.eq(None::<String>),
        newsletter_campaigns::consecutive_errors.eq(0),
        // The schedule starts at the first slot taken (see `take_slot`).
        newsletter_campaigns::next_send_at.eq(None::<DateTime<Utc>>),
        newsletter_campaigns::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await
    .map(|n| n > 0)
}

/// A sending campaign with nobody left pending is sent.
pub async fn finish(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<bool> {
    let pending = recipients::table
        .filter(recipients::campaign_id.eq(id))
        .filter(recipients::status.eq("pending"))
        .select(recipients::id);
    diesel::update(
        newsletter_campaigns::table
            .find(id)
            .filter(newsletter_campaigns::status.eq("sending"))
            .filter(diesel::dsl::not(diesel::dsl::exists(pending))),
    )
    .set((
        newsletter_campaigns::status.eq("sent"),
        newsletter_campaigns::finished_at.eq(diesel::dsl::now),
        newsletter_campaigns::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await
    .map(|n| n > 0)
}

#[derive(QueryableByName)]
struct Slot {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    slot: Option<DateTime<Utc>>,
}

/// How far behind its schedule a campaign may be and still take the slots it missed: a sender
/// that comes late to a slot (a turn handing over to the next job, a busy CPU) sends at once
/// until it is back on schedule, rather than losing that time for good (which kept a 50/s
/// campaign ~2 % under its rate on a busy machine). Slots never come faster than `1/rate`
/// apart on the schedule, so from a campaign's start it never sends ahead of its rate; after a
/// lag at most `CATCH_UP × rate` mails go in a burst.
const CATCH_UP_SECS: f64 = 0.25;

/// Takes the campaign's next send slot: the moment this mail may go, and pushes the next one
/// `1/rate` seconds later on the schedule (a slot further back than [`CATCH_UP_SECS`] is given
/// up). A campaign's schedule starts at its first slot (starting or resuming clears it), not
/// when the start job ran, so the first turn has nothing to catch up. `None` once the campaign
/// is no longer sending.
pub async fn take_slot(
    conn: &mut AsyncPgConnection,
    id: i64,
    rate_per_sec: f64,
) -> QueryResult<Option<DateTime<Utc>>> {
    let rows: Vec<Slot> = Prepared(
        diesel::sql_query(
            "UPDATE newsletter_campaigns \
             SET next_send_at = GREATEST(COALESCE(next_send_at, clock_timestamp()), \
                                         clock_timestamp() - make_interval(secs => $3)) \
                                + make_interval(secs => 1.0 / $2) \
             WHERE id = $1 AND status = 'sending' \
             RETURNING next_send_at - make_interval(secs => 1.0 / $2) AS slot",
        )
        .bind::<BigInt, _>(id)
        .bind::<Double, _>(rate_per_sec)
        .bind::<Double, _>(CATCH_UP_SECS),
    )
    .load(conn)
    .await?;
    Ok(rows.into_iter().next().and_then(|r| r.slot))
}

/// Counts a successful send (the error streak ends).
pub async fn record_success(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<usize> {
    diesel::update(
        newsletter_campaigns::table
            .find(id)
            .filter(newsletter_campaigns::consecutive_errors.ne(0)),
    )
    .set(newsletter_campaigns::consecutive_errors.eq(0))
    .execute(conn)
    .await
}

#[derive(QueryableByName)]
struct Paused {
    #[diesel(sql_type = Text)]
    status: String,
}

/// Counts an SMTP failure; the `limit`th in a row pauses the campaign. Returns whether it did.
pub async fn record_error(
    conn: &mut AsyncPgConnection,
    id: i64,
    limit: i32,
    error: &str,
) -> QueryResult<bool> {
    let rows: Vec<Paused> = Prepared(diesel::sql_query(
        "UPDATE newsletter_campaigns SET consecutive_errors = consecutive_errors + 1, \
           status = CASE WHEN status = 'sending' AND consecutive_errors + 1 >= $2 THEN 'paused' ELSE status END, \
           paused_reason = CASE WHEN status = 'sending' AND consecutive_errors + 1 >= $2 \
             THEN 'Paused after ' || (consecutive_errors + 1) || ' SMTP errors in a row: ' || $3 \
             ELSE paused_reason END, \
           updated_at = now() \
         WHERE id = $1 RETURNING status",
    )
    .bind::<BigInt, _>(id)
    .bind::<Int4, _>(limit)
    .bind::<Text, _>(error))
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .next()
        .is_some_and(|r| r.status == "paused"))
}

/// Sent campaigns of a list for its public archive, newest first.
pub async fn archive(
    conn: &mut AsyncPgConnection,
    newsletter_id: i64,
    limit: i64,
) -> QueryResult<Vec<Campaign>> {
    newsletter_campaigns::table
        .filter(newsletter_campaigns::newsletter_id.eq(newsletter_id))
        .filter(newsletter_campaigns::status.eq("sent"))
        .filter(newsletter_campaigns::archived.eq(true))
        .order(newsletter_campaigns::finished_at.desc())
        .limit(limit)
        .select(Campaign::as_select())
        .load(conn)
        .await
}
