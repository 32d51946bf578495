//! `Update{Person}`: when a change alters what a member's actor document says (name, bio,
//! picture, `manuallyApprovesFollowers`), their followers get the whole new document, recorded
//! in the outbox in the transaction of the change (as Mastodon sends it). A change that leaves
//! the document as it was sends nothing.
//!
//! ```ignore
//! let mut watch = PersonUpdate::new(ctx, username).await?; // before the transaction
//! conn.transaction(async |conn| {
//!     watch.before(conn).await?;
//!     /* the change */
//!     watch.after(conn).await
//! })
//! ```

use diesel_async::AsyncPgConnection;
use serde_json::Value;
use shared::activitypub::actors::LocalActor;
use shared::activitypub::outbox;
use shared::infrastructure::activitypub_web::person_document;
use shared::{AppContext, AppError};

/// A member's actor document watched across a change.
pub struct PersonUpdate<'a> {
    ctx: &'a AppContext,
    username: String,
    public_pem: String,
    before: Option<Value>,
}

impl<'a> PersonUpdate<'a> {
    /// Reads the member's key (outside the transaction: the key store may take a connection of
    /// its own, and creates the key on first use).
    pub async fn new(ctx: &'a AppContext, username: &str) -> Result<Self, AppError> {
        let key = ctx
            .activitypub()
            .key_of(&LocalActor::User(username.to_owned()))
            .await?;
        Ok(PersonUpdate {
            ctx,
            username: username.to_owned(),
            public_pem: key.public_pem,
            before: None,
        })
    }

    /// The document before the change (inside the change's transaction).
    pub async fn before(&mut self, conn: &mut AsyncPgConnection) -> Result<(), AppError> {
        self.before = self.document(conn).await?;
        Ok(())
    }

    /// After the change, in the same transaction: records `Update{Person}` when the document
    /// differs from the one before. Whether it did.
    pub async fn after(&self, conn: &mut AsyncPgConnection) -> Result<bool, AppError> {
        let Some(after) = self.document(conn).await? else {
            return Ok(false);
        };
        if self.before.as_ref() == Some(&after) {
            return Ok(false);
        }
        let me = LocalActor::User(self.username.clone());
        outbox::emit(conn, &update(self.ctx, &me, after)).await?;
        Ok(true)
    }

    async fn document(&self, conn: &mut AsyncPgConnection) -> Result<Option<Value>, AppError> {
        person_document(self.ctx, conn, &self.username, &self.public_pem).await
    }
}

/// `Update{Person}` addressed as Mastodon addresses it (the public, cc the followers); the
/// object is the document the actor URL serves, and the activity shares its `@context` (which
/// names `manuallyApprovesFollowers` and the key).
fn update(ctx: &AppContext, me: &LocalActor, document: Value) -> Value {
    let context = document["@context"].clone();
    let mut activity = outbox::activity(ctx.config(), me, "Update", document);
    activity["@context"] = context;
    activity
}
