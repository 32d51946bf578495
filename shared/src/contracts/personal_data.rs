//! What the fleet holds about a member, for their data export (GDPR art. 15 and 20). Every app
//! that owns rows about members answers for its own rows through one [`PersonalData`] source
//! (the registry lists them all); the account app puts the sections together into one download.
//!
//! A section holds the member's own data only: their rows, minus secrets (password and token
//! digests, second-factor secrets, private keys), and of other people at most what the member
//! already sees of them publicly (a remote follower's actor IRI, never another member's e-mail).

use async_trait::async_trait;
use serde::Serialize;

use super::protocols::ServiceResult;
use crate::apps::AppName;

/// Who an export is about, by the identifiers the apps store: the member's id, and the IRI of
/// their fediverse actor (which federation's and the blog's rows name instead of the id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSubject {
    pub user_id: i64,
    pub actor: String,
}

/// One app's part of an export: named sets of the member's rows, each a JSON value (an object
/// for a single row, an array for many).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataSection {
    pub app: AppName,
    pub data: serde_json::Map<String, serde_json::Value>,
}

#[async_trait]
pub trait PersonalData: Send + Sync {
    /// The app whose rows these are.
    fn owner(&self) -> AppName;

    /// Everything this app holds about the subject (empty sets included, so an export shows
    /// what was looked at).
    async fn section(&self, subject: &DataSubject) -> ServiceResult<DataSection>;
}
