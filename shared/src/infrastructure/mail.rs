//! Outgoing mail over SMTP (lettre, TLS through openssl). Without `SMTP_URL` a message is only
//! logged, so nothing is silently lost in a misconfigured dev setup.
//!
//! A message is plain text ([`Mailer::send`]) or text with an HTML alternative and extra header
//! fields such as `List-Unsubscribe` ([`Email`], [`Mailer::send_email`]). With `DKIM_*` set,
//! every message is DKIM-signed over the bytes that go on the wire ([`dkim`]).

pub mod dkim;
mod smtp;

use std::sync::Arc;

use lettre::Message;
use lettre::address::Envelope;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};

use crate::config::{Config, Variable};
pub use dkim::{DkimKey, DkimSettings};

/// The variables of the mailer's DKIM section (in the README's config table).
pub const DKIM_VARIABLES: &[Variable] = &[
    Variable {
        name: "DKIM_PRIVATE_KEY",
        default: "(unset: mail is not signed)",
        meaning: "RSA private key (PEM, PKCS#1 or PKCS#8; `\\n` for line breaks, or `DKIM_PRIVATE_KEY_FILE`) that DKIM-signs every outgoing mail (rsa-sha256, relaxed/relaxed, covering From, To, Subject, Date, Message-ID, the MIME headers and the List-* headers).",
    },
    Variable {
        name: "DKIM_DOMAIN",
        default: "(required with a key)",
        meaning: "The signing domain (`d=`); its DNS publishes the public key at `<selector>._domainkey.<domain>`.",
    },
    Variable {
        name: "DKIM_SELECTOR",
        default: "mail",
        meaning: "The DKIM selector (`s=`).",
    },
];

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("bad address: {0}")]
    Address(String),
    #[error("could not build the message: {0}")]
    Build(String),
    /// A transient failure (connection, timeout, 4xx): worth another try.
    #[error("SMTP: {0}")]
    Smtp(String),
    /// The server refused the message for good (5xx).
    #[error("SMTP refused: {0}")]
    Rejected(String),
    #[error("DKIM: {0}")]
    Dkim(String),
}

impl From<lettre::transport::smtp::Error> for MailError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        if e.is_permanent() {
            MailError::Rejected(e.to_string())
        } else {
            MailError::Smtp(e.to_string())
        }
    }
}

/// One message: text, optionally an HTML alternative, and extra header fields.
#[derive(Debug, Clone, Default)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    /// Sent as `multipart/alternative` with `text` when present.
    pub html: Option<String>,
    /// Extra fields (`List-Unsubscribe`, `List-Id`, …): ASCII names, values as they go out.
    pub headers: Vec<(String, String)>,
    /// A fixed `Message-ID` (with its angle brackets); by default a random one.
    pub message_id: Option<String>,
}

impl Email {
    /// A plain-text message.
    pub fn text(to: &str, subject: &str, body: &str) -> Self {
        Email {
            to: to.to_owned(),
            subject: subject.to_owned(),
            text: body.to_owned(),
            ..Email::default()
        }
    }
}

/// Clones share one pool of SMTP connections ([`smtp`]).
#[derive(Clone)]
pub struct Mailer {
    transport: Option<Arc<smtp::SmtpPool>>,
    from: Mailbox,
    dkim: Option<DkimKey>,
}

impl Mailer {
    pub fn from_config(config: &Config) -> Result<Mailer, MailError> {
        let from: Mailbox = config
            .mail_from
            .parse()
            .map_err(|e| MailError::Address(format!("MAIL_FROM: {e}")))?;
        let transport = match &config.smtp_url {
            Some(url) => Some(Arc::new(smtp::SmtpPool::new(smtp::SmtpServer::from_url(
                url.expose(),
            )?))),
            None => None,
        };
        let dkim = config
            .section::<DkimSettings>()
            .map_err(|e| MailError::Dkim(e.to_string()))?
            .key;
        Ok(Mailer {
            transport,
            from,
            dkim,
        })
    }

    /// The sender's address (`MAIL_FROM`, without the display name).
    pub fn from_address(&self) -> String {
        self.from.email.to_string()
    }

    /// Whether messages are DKIM-signed.
    pub fn signs(&self) -> bool {
        self.dkim.is_some()
    }

    /// Sends a plain-text message.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        self.send_email(&Email::text(to, subject, body)).await
    }

    /// The envelope and the bytes that go on the wire (signed when DKIM is configured).
    pub fn render(&self, email: &Email) -> Result<(Envelope, Vec<u8>), MailError> {
        let to_box: Mailbox = email
            .to
            .parse()
            .map_err(|e| MailError::Address(format!("{}: {e}", email.to)))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to_box)
            .subject(email.subject.as_str())
            .message_id(email.message_id.clone());
        let mut message = match &email.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                html.clone(),
            )),
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(email.text.clone()),
        }
        .map_err(|e| MailError::Build(e.to_string()))?;
        for (name, value) in &email.headers {
            if value.contains(['\r', '\n']) {
                return Err(MailError::Build(format!("header {name} has a line break")));
            }
            let name = HeaderName::new_from_ascii(name.clone())
                .map_err(|e| MailError::Build(format!("header {name}: {e}")))?;
            message
                .headers_mut()
                .insert_raw(HeaderValue::new(name, value.clone()));
        }
        let envelope = message.envelope().clone();
        let bytes = message.formatted();
        let bytes = match &self.dkim {
            Some(key) => dkim::sign(&bytes, key, chrono::Utc::now().timestamp())
                .map_err(|e| MailError::Dkim(e.to_string()))?,
            None => bytes,
        };
        Ok((envelope, bytes))
    }

    /// Sends `email` (see [`Mailer::render`]).
    pub async fn send_email(&self, email: &Email) -> Result<(), MailError> {
        let (envelope, bytes) = self.render(email)?;
        match &self.transport {
            Some(transport) => transport.send(&envelope, &bytes).await,
            None => {
                tracing::warn!(to = %email.to, subject = %email.subject, "SMTP_URL is not set: this mail was not sent");
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
            Err(e @ (MailError::Address(_) | MailError::Build(_) | MailError::Rejected(_))) => {
                Err(crate::jobs::JobError::Permanent(e.to_string()))
            }
            Err(e) => Err(crate::jobs::JobError::failed(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailer(dkim: bool) -> Mailer {
        let pem = dkim.then(|| {
            let rsa = openssl::rsa::Rsa::generate(1024).unwrap();
            String::from_utf8(rsa.private_key_to_pem().unwrap()).unwrap()
        });
        let config = Config::from_lookup(move |k| match k {
            "DKIM_PRIVATE_KEY" => pem.clone(),
            "DKIM_DOMAIN" => Some("rose-ash.localhost".into()),
            _ => None,
        })
        .unwrap();
        Mailer::from_config(&config).unwrap()
    }

    #[test]
    fn text_and_html_alternatives_with_list_headers() {
        let email = Email {
            to: "reader@example.org".into(),
            subject: "News".into(),
            text: "Hello in text".into(),
            html: Some("<p>Hello in HTML</p>".into()),
            headers: vec![
                ("List-Unsubscribe".into(), "<https://a.example/u/1>".into()),
                (
                    "List-Unsubscribe-Post".into(),
                    "List-Unsubscribe=One-Click".into(),
                ),
            ],
            message_id: Some("<c1.r1@rose-ash.localhost>".into()),
        };
        let (envelope, bytes) = mailer(false).render(&email).unwrap();
        assert_eq!(envelope.to()[0].to_string(), "reader@example.org");
        let raw = String::from_utf8(bytes).unwrap();
        assert!(
            raw.contains("Content-Type: multipart/alternative;"),
            "{raw}"
        );
        assert!(
            raw.contains("Content-Type: text/plain; charset=utf-8"),
            "{raw}"
        );
        assert!(
            raw.contains("Content-Type: text/html; charset=utf-8"),
            "{raw}"
        );
        assert!(raw.contains("List-Unsubscribe: <https://a.example/u/1>\r\n"));
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
        assert!(raw.contains("Message-ID: <c1.r1@rose-ash.localhost>\r\n"));
        assert!(!raw.contains("DKIM-Signature"));

        let signed = mailer(true).render(&email).unwrap().1;
        assert!(signed.starts_with(b"DKIM-Signature: v=1; a=rsa-sha256;"));

        let injected = Email {
            headers: vec![("X-A".into(), "a\r\nBcc: x@example.org".into())],
            ..email
        };
        assert!(matches!(
            mailer(false).render(&injected),
            Err(MailError::Build(_))
        ));
    }

    #[test]
    fn plain_messages_stay_plain() {
        let raw = mailer(false)
            .render(&Email::text("a@example.org", "Hi", "Body"))
            .unwrap()
            .1;
        let raw = String::from_utf8(raw).unwrap();
        assert!(raw.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(!raw.contains("multipart"));
    }

    #[test]
    fn a_bad_dkim_key_is_a_config_error() {
        let config = Config::from_lookup(|k| match k {
            "DKIM_PRIVATE_KEY" => Some("not a key".into()),
            "DKIM_DOMAIN" => Some("rose-ash.localhost".into()),
            _ => None,
        })
        .unwrap();
        assert!(matches!(
            Mailer::from_config(&config),
            Err(MailError::Dkim(_))
        ));
    }
}
