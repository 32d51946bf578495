//! SMTP connections, made here and kept for the next message.
//!
//! Why not lettre's `AsyncSmtpTransport`: its sockets leave Nagle's algorithm on, and lettre
//! writes a message's body and its closing `<CRLF>.<CRLF>` as two writes. Nagle holds the
//! five-byte second write until the server acknowledges the body, and the server delays that
//! acknowledgement (40 ms on Linux) because it has nothing to answer before the terminator: so
//! every message waited 40 ms on TCP. Measured with the `deploy bench account` sink: a
//! connection per message with Nagle on cost ~44 ms a message; with `TCP_NODELAY` and a kept
//! connection a few hundred µs (see the README's "bench account"). Here the socket is ours
//! (`TCP_NODELAY` set), lettre speaks SMTP on it, and a connection that delivered a message is
//! parked for the next one (checked with `NOOP` before reuse, as lettre's pool does).
//!
//! `SMTP_URL` keeps lettre's forms: `smtp://host[:25]` (plain), `smtp://host[:587]?tls=required`
//! or `?tls=opportunistic` (STARTTLS), `smtps://host[:465]` (TLS from the start); credentials as
//! `user:pass@`; a path names the EHLO host.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::MailError;

/// Longest wait for a connection and the server's greeting, and for one message's exchange.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
const SEND_TIMEOUT: Duration = Duration::from_secs(120);
/// A parked connection older than this is closed rather than reused (servers time idle
/// clients out; Postfix after 300 s).
const IDLE: Duration = Duration::from_secs(30);
/// Connections parked at most (more in flight at once are closed after their message).
const MAX_IDLE: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encryption {
    None,
    /// STARTTLS; `required`: refuse a server that does not offer it.
    StartTls {
        required: bool,
    },
    /// TLS from the first byte (`smtps`).
    Wrapper,
}

/// Where mail goes and how, from `SMTP_URL`.
#[derive(Debug, Clone)]
pub(crate) struct SmtpServer {
    host: String,
    port: u16,
    tls: Encryption,
    credentials: Option<Credentials>,
    hello: ClientId,
}

impl SmtpServer {
    pub(crate) fn from_url(url: &str) -> Result<SmtpServer, MailError> {
        let bad = |why: String| MailError::Smtp(format!("SMTP_URL: {why}"));
        let parsed = url::Url::parse(url).map_err(|e| bad(e.to_string()))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| bad("no host".into()))?
            .trim_matches(['[', ']'])
            .to_owned();
        let tls_param = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let (tls, default_port) = match (parsed.scheme(), tls_param.as_deref()) {
            ("smtp", None) => (Encryption::None, 25),
            ("smtp", Some("required")) => (Encryption::StartTls { required: true }, 587),
            ("smtp", Some("opportunistic")) => (Encryption::StartTls { required: false }, 587),
            ("smtps", _) => (Encryption::Wrapper, 465),
            (scheme, tls) => {
                return Err(bad(format!(
                    "unknown scheme `{scheme}` or tls parameter `{}`",
                    tls.unwrap_or_default()
                )));
            }
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|e| bad(e.to_string()))
        };
        let credentials = match parsed.password() {
            Some(password) => Some(Credentials::new(
                decode(parsed.username())?,
                decode(password)?,
            )),
            None => None,
        };
        let path = parsed.path().trim_matches('/');
        let hello = if path.is_empty() {
            ClientId::default()
        } else {
            ClientId::Domain(path.to_owned())
        };
        Ok(SmtpServer {
            port: parsed.port().unwrap_or(default_port),
            host,
            tls,
            credentials,
            hello,
        })
    }

    /// A new connection: TCP with `TCP_NODELAY`, the greeting, EHLO, TLS and AUTH as configured.
    async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        tokio::time::timeout(CONNECT_TIMEOUT, self.connect_now())
            .await
            .map_err(|elapsed| MailError::Smtp(format!("{}: {elapsed}", self.host)))?
    }

    async fn connect_now(&self) -> Result<AsyncSmtpConnection, MailError> {
        let tcp = self.tcp().await?;
        let tls = || TlsParameters::new(self.host.clone()).map_err(MailError::from);
        let stream: Box<dyn AsyncTokioStream> = match self.tls {
            Encryption::Wrapper => {
                let connector = native_tls::TlsConnector::new()
                    .map_err(|e| MailError::Smtp(format!("TLS: {e}")))?;
                let tls = tokio_native_tls::TlsConnector::from(connector)
                    .connect(&self.host, tcp)
                    .await
                    .map_err(|e| MailError::Smtp(format!("TLS with {}: {e}", self.host)))?;
                Box::new(TlsStream(tls))
            }
            Encryption::None | Encryption::StartTls { .. } => Box::new(tcp),
        };
        let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello).await?;
        if let Encryption::StartTls { required } = self.tls {
            if conn.can_starttls() {
                conn.starttls(tls()?, &self.hello).await?;
            } else if required {
                conn.abort().await;
                return Err(MailError::Smtp(format!(
                    "{} does not offer STARTTLS",
                    self.host
                )));
            }
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(conn)
    }

    /// The first of the host's addresses that takes the connection.
    async fn tcp(&self) -> Result<TcpStream, MailError> {
        let mut last = None;
        for addr in tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(|e| MailError::Smtp(format!("{}: {e}", self.host)))?
        {
            match TcpStream::connect(addr).await {
                Ok(tcp) => {
                    tcp.set_nodelay(true)
                        .map_err(|e| MailError::Smtp(format!("TCP_NODELAY: {e}")))?;
                    return Ok(tcp);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(MailError::Smtp(match last {
            Some(e) => format!("{}:{}: {e}", self.host, self.port),
            None => format!("{} has no address", self.host),
        }))
    }
}

/// Connections to one server, parked between messages.
pub(crate) struct SmtpPool {
    server: SmtpServer,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
}

impl SmtpPool {
    pub(crate) fn new(server: SmtpServer) -> SmtpPool {
        SmtpPool {
            server,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Sends one message on a parked connection or a new one, and parks the connection again
    /// when the exchange went well (lettre closes a connection on any error).
    pub(crate) async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), MailError> {
        let mut conn = self.checkout().await?;
        match tokio::time::timeout(SEND_TIMEOUT, conn.send(envelope, message)).await {
            Ok(Ok(_)) => {
                self.park(conn);
                Ok(())
            }
            Ok(Err(e)) => Err(e.into()),
            Err(elapsed) => Err(MailError::Smtp(format!(
                "{} did not take the message: {elapsed}",
                self.server.host
            ))),
        }
    }

    async fn checkout(&self) -> Result<AsyncSmtpConnection, MailError> {
        loop {
            let parked = self.idle.lock().ok().and_then(|mut idle| idle.pop());
            let Some((mut conn, since)) = parked else {
                return self.server.connect().await;
            };
            if since.elapsed() < IDLE && conn.test_connected().await {
                return Ok(conn);
            }
            conn.abort().await;
        }
    }

    fn park(&self, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push((conn, Instant::now()));
        }
        // Otherwise dropped: the socket closes.
    }
}

/// A TLS stream lettre can speak on (`smtps`).
#[derive(Debug)]
struct TlsStream(tokio_native_tls::TlsStream<TcpStream>);

impl AsyncTokioStream for TlsStream {
    fn peer_addr(&self) -> std::io::Result<SocketAddr> {
        self.0.get_ref().get_ref().get_ref().peer_addr()
    }
}

impl AsyncRead for TlsStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_lettres_forms() {
        let s = SmtpServer::from_url("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.tls),
            ("127.0.0.1", 2525, Encryption::None)
        );
        assert!(s.credentials.is_none());
        let s =
            SmtpServer::from_url("smtps://us%40er:p%3Ass@mail.example.com/relay.example").unwrap();
        assert_eq!((s.port, s.tls), (465, Encryption::Wrapper));
        assert_eq!(
            s.credentials,
            Some(Credentials::new("us@er".into(), "p:ss".into()))
        );
        assert_eq!(s.hello, ClientId::Domain("relay.example".into()));
        let s = SmtpServer::from_url("smtp://mail.example.com?tls=required").unwrap();
        assert_eq!(
            (s.port, s.tls),
            (587, Encryption::StartTls { required: true })
        );
        let s = SmtpServer::from_url("smtp://mail.example.com:26?tls=opportunistic").unwrap();
        assert_eq!(
            (s.port, s.tls),
            (26, Encryption::StartTls { required: false })
        );
        assert!(SmtpServer::from_url("http://mail.example.com").is_err());
        assert!(SmtpServer::from_url("smtp://mail.example.com?tls=maybe").is_err());
    }
}
