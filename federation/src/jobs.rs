//! Federation's jobs (`shared::jobs`): the fleet's mail, and the halves of a sign-up and a
//! password reset that depend on whether the address has an account.
//!
//! The request queues the job in its transaction and answers at once, the same whether or not
//! the address is known; the job looks the address up and queues the mail. Both survive a
//! crash or a restart (the queue retries them with backoff) instead of living in the process
//! that answered.

use shared::infrastructure::mail::SendMail;
use shared::jobs::{Job, JobError, JobRegistry};
use shared::{AppContext, AppName};

use crate::accounts::domain::Accounts;

/// Federation's job types.
pub fn registry() -> JobRegistry<AppContext> {
    JobRegistry::new()
        .register::<SendMail>()
        .register::<FinishSignUp>()
        .register::<SendPasswordReset>()
}

/// Federation's public URL, ending in `/`, for the links in its mail.
fn link_base(ctx: &AppContext) -> String {
    ctx.url(AppName::Federation, "/")
}

/// A checked sign-up: creates the account and mails its confirmation link, or, when the address
/// already has an account, tells its owner instead.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct FinishSignUp {
    pub username: String,
    pub email: String,
    pub display_name: String,
    /// The password's Argon2id hash (the password itself is never stored).
    pub hash: String,
    /// Where the browser that signed up continues after confirming.
    pub return_to: String,
    /// Digest of the session that signed up.
    pub browser: Option<String>,
}

// By hand, so that a log line never carries the hash.
impl std::fmt::Debug for FinishSignUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FinishSignUp")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Job for FinishSignUp {
    const JOB_TYPE: &'static str = "federation.finish_sign_up";
    // Ahead of the mail it queues.
    const PRIORITY: i16 = 30;
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        Accounts::new(ctx.db(), ctx.redis())
            .finish_sign_up(self, &link_base(ctx))
            .await
            .map_err(JobError::failed)
    }
}

/// A reset asked for `email`: mails a reset link if the address has an account.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct SendPasswordReset {
    pub email: String,
}

impl Job for SendPasswordReset {
    const JOB_TYPE: &'static str = "federation.send_password_reset";
    const PRIORITY: i16 = 30;
    type Context = AppContext;

    async fn run(&self, ctx: &AppContext) -> Result<(), JobError> {
        Accounts::new(ctx.db(), ctx.redis())
            .send_reset(&self.email, &link_base(ctx))
            .await
            .map_err(JobError::failed)
    }
}
