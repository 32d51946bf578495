//! Outgoing mail over SMTP (lettre, TLS through openssl). Without `SMTP_URL` a message is only
//! logged, so nothing is silently lost in a misconfigured dev setup.

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("bad address: {0}")]
    Address(String),
    #[error("could not build the message: {0}")]
    Build(String),
    #[error("SMTP: {0}")]
    Smtp(String),
}

#[derive(Clone)]
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

impl Mailer {
    pub fn from_config(config: &Config) -> Result<Mailer, MailError> {
        let from: Mailbox = config
            .mail_from
            .parse()
            .map_err(|e| MailError::Address(format!("MAIL_FROM: {e}")))?;
        let transport = match &config.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|e| MailError::Smtp(format!("SMTP_URL: {e}")))?
                    .build(),
            ),
            None => None,
        };
        Ok(Mailer { transport, from })
    }

    /// Sends a plain-text message.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        let to_box: Mailbox = to
            .parse()
            .map_err(|e| MailError::Address(format!("{to}: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to_box)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| MailError::Build(e.to_string()))?;
        match &self.transport {
            Some(transport) => transport
                .send(message)
                .await
                .map(drop)
                .map_err(|e| MailError::Smtp(e.to_string())),
            None => {
                tracing::warn!(%to, %subject, "SMTP_URL is not set: this mail was not sent");
                Ok(())
            }
        }
    }
}

/// A plain-text message sent through the job queue (`shared::jobs`): enqueued with the change
/// that causes it, so a slow SMTP server never holds a request and a crash loses no mail;
/// retried with backoff, dead after the last try (a refused address at once).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct SendMail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl crate::jobs::Job for SendMail {
    const JOB_TYPE: &'static str = "mail.send";
    const PRIORITY: i16 = 20;
    const MAX_ATTEMPTS: i32 = 12;
    const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
    type Context = crate::AppContext;

    async fn run(&self, ctx: &crate::AppContext) -> Result<(), crate::jobs::JobError> {
        let mailer = Mailer::from_config(ctx.config())
            .map_err(|e| crate::jobs::JobError::Permanent(e.to_string()))?;
        match mailer.send(&self.to, &self.subject, &self.body).await {
            Ok(()) => Ok(()),
            Err(e @ (MailError::Address(_) | MailError::Build(_))) => {
                Err(crate::jobs::JobError::Permanent(e.to_string()))
            }
            Err(e) => Err(crate::jobs::JobError::failed(e)),
        }
    }
}
