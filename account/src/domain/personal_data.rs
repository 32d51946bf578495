//! A member's data export (GDPR art. 15 and 20): every owning app's section, read through the
//! registry's `PersonalData` sources, put together as one JSON document.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::AppName;
use shared::contracts::personal_data::{DataSection, DataSubject, PersonalData};
use shared::contracts::protocols::ServiceResult;

/// Names the document's shape, so that a reader (or a later import) knows what it holds.
pub const FORMAT: &str = "rose-ash-personal-data/1";

/// What a member over the export limit is told (a 429).
pub const TOO_MANY_EXPORTS: &str =
    "You have downloaded your data several times in the last hour. Please try again later.";

/// Who the export is about.
#[derive(Debug, Serialize)]
pub struct ExportedMember {
    pub id: i64,
    pub username: String,
    pub actor: String,
}

/// The downloaded document.
#[derive(Debug, Serialize)]
pub struct Export {
    pub format: &'static str,
    pub exported_at: DateTime<Utc>,
    pub member: ExportedMember,
    /// Each owning app's sets of rows, by app.
    pub apps: BTreeMap<AppName, serde_json::Map<String, serde_json::Value>>,
}

/// Every source's section about the member. One failing source fails the export: a download
/// that silently lacks an app would pass for complete.
pub async fn export(
    sources: &[Arc<dyn PersonalData>],
    user_id: i64,
    username: &str,
    actor: String,
) -> ServiceResult<Export> {
    let subject = DataSubject { user_id, actor };
    let mut sections = Vec::with_capacity(sources.len());
    for source in sources {
        sections.push(source.section(&subject).await?);
    }
    Ok(assemble(subject, username, sections, Utc::now()))
}

/// The document of these sections.
fn assemble(
    subject: DataSubject,
    username: &str,
    sections: Vec<DataSection>,
    at: DateTime<Utc>,
) -> Export {
    Export {
        format: FORMAT,
        exported_at: at,
        member: ExportedMember {
            id: subject.user_id,
            username: username.to_owned(),
            actor: subject.actor,
        },
        apps: sections.into_iter().map(|s| (s.app, s.data)).collect(),
    }
}

/// `rose-ash-<username>-<date>.json` (usernames are `[a-z0-9_]`, safe in a header; anything
/// else is dropped rather than quoted).
pub fn file_name(username: &str, at: DateTime<Utc>) -> String {
    let name: String = username
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    format!("rose-ash-{name}-{}.json", at.format("%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn section(app: AppName, name: &str) -> DataSection {
        let mut data = serde_json::Map::new();
        data.insert(name.into(), serde_json::json!([{"title": name}]));
        DataSection { app, data }
    }

    #[test]
    fn every_section_is_under_its_app() {
        let subject = DataSubject {
            user_id: 7,
            actor: "https://f/users/ada".into(),
        };
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 23, 59, 0).unwrap();
        let doc = assemble(
            subject,
            "ada",
            vec![
                section(AppName::Cart, "orders"),
                section(AppName::Blog, "posts"),
            ],
            at,
        );
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["format"], FORMAT);
        assert_eq!(json["member"]["id"], 7);
        assert_eq!(json["member"]["actor"], "https://f/users/ada");
        assert_eq!(json["apps"]["blog"]["posts"][0]["title"], "posts");
        assert_eq!(json["apps"]["cart"]["orders"][0]["title"], "orders");
    }

    #[test]
    fn the_file_is_named_after_the_member_and_the_day() {
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 23, 59, 0).unwrap();
        assert_eq!(file_name("ada_l", at), "rose-ash-ada_l-2026-12-03.json");
        assert_eq!(file_name("a\"b\r\n", at), "rose-ash-ab-2026-12-03.json");
    }
}
