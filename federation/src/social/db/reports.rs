//! Reports members sent about remote actors (`social_reports`), for federation's /admin.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use shared::db::schema::{social_reports, users};

pub struct NewReport<'a> {
    pub reporter_id: i64,
    pub actor: &'a str,
    pub statuses: &'a [String],
    pub comment: &'a str,
    pub activity_id: &'a str,
}

pub async fn insert(conn: &mut AsyncPgConnection, report: &NewReport<'_>) -> QueryResult<i64> {
    diesel::insert_into(social_reports::table)
        .values((
            social_reports::reporter_id.eq(report.reporter_id),
            social_reports::actor.eq(report.actor),
            social_reports::statuses.eq(report.statuses),
            social_reports::comment.eq(report.comment),
            social_reports::activity_id.eq(report.activity_id),
        ))
        .returning(social_reports::id)
        .get_result(conn)
        .await
}

/// A report as the admin list shows it.
#[derive(Debug, Serialize, Queryable)]
pub struct Listed {
    pub id: i64,
    /// The reporter's username (none once their account is gone).
    pub reporter: Option<String>,
    pub actor: String,
    pub statuses: Vec<String>,
    pub comment: String,
    pub created_at: DateTime<Utc>,
}

/// The newest `limit` reports.
pub async fn newest(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<Listed>> {
    social_reports::table
        .left_join(users::table)
        .order((social_reports::created_at.desc(), social_reports::id.desc()))
        .limit(limit)
        .select((
            social_reports::id,
            users::username.nullable(),
            social_reports::actor,
            social_reports::statuses,
            social_reports::comment,
            social_reports::created_at,
        ))
        .load(conn)
        .await
}
