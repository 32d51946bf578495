//! A local SMTP sink for dev and tests: a real SMTP server (the `mailin` implementation) that
//! accepts every message and keeps it — in memory for the tests, and as `.eml` files under
//! `target/dev-mail` for `deploy dev`, whose console also shows each message's links.

use std::io;
use std::net::{IpAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use mailin_embedded::{Handler, Response, Server, SslConfig, response};

/// One received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    /// The raw message (headers and body) as received.
    pub raw: String,
}

impl ReceivedMail {
    pub fn subject(&self) -> Option<&str> {
        self.raw.lines().find_map(|l| l.strip_prefix("Subject: "))
    }

    /// The body, with quoted-printable soft line breaks and `=3D` undone.
    pub fn body(&self) -> String {
        let body = self
            .raw
            .split_once("\r\n\r\n")
            .map_or(self.raw.as_str(), |(_, b)| b);
        body.replace("=\r\n", "").replace("=3D", "=")
    }

    /// The first header field called `name` (case-insensitively), unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or_default();
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some(value) = &mut found {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                continue;
            }
            if found.is_some() {
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.trim().eq_ignore_ascii_case(name)
            {
                found = Some(v.trim().to_owned());
            }
        }
        found
    }

    /// The decoded text of the part whose type is `mime` (`text/plain`, `text/html`): of a
    /// multipart message, or of the message itself. Quoted-printable and base64 are undone.
    pub fn part(&self, mime: &str) -> Option<String> {
        let is = |headers: &str| {
            headers.lines().any(|l| {
                let l = l.to_ascii_lowercase();
                l.starts_with("content-type:") && l.contains(mime)
            })
        };
        let decode = |headers: &str, body: &str| {
            let lower = headers.to_ascii_lowercase();
            if lower.contains("content-transfer-encoding: base64") {
                let joined: String = body.split_whitespace().collect();
                openssl::base64::decode_block(&joined)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default()
            } else if lower.contains("content-transfer-encoding: quoted-printable") {
                quoted_printable(body)
            } else {
                body.to_owned()
            }
        };
        let (head, body) = self.raw.split_once("\r\n\r\n")?;
        if !head.to_ascii_lowercase().contains("multipart/") {
            return is(head).then(|| decode(head, body));
        }
        let boundary = head
            .split(['\r', '\n', ';'])
            .find_map(|p| p.trim().strip_prefix("boundary="))?
            .trim_matches('"')
            .to_owned();
        body.split(&format!("--{boundary}")).find_map(|part| {
            let (headers, content) = part.trim_start_matches("\r\n").split_once("\r\n\r\n")?;
            is(headers).then(|| decode(headers, content.trim_end_matches("\r\n")))
        })
    }

    /// Every http(s) link in the body.
    pub fn links(&self) -> Vec<String> {
        self.body()
            .split_whitespace()
            .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
            .map(|w| w.trim_end_matches(['.', ',', ')', '>']).to_owned())
            .collect()
    }
}

/// Undoes quoted-printable (RFC 2045 §6.7): soft line breaks and `=XX` octets.
fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && joined.is_char_boundary(i + 3)
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Clone)]
struct Collector {
    inbox: Arc<Mutex<Vec<ReceivedMail>>>,
    dir: Option<PathBuf>,
    current: Option<ReceivedMail>,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(ReceivedMail {
            from: from.to_owned(),
            to: to.to_vec(),
            raw: String::new(),
        });
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        if let Some(mail) = &mut self.current {
            mail.raw.push_str(&String::from_utf8_lossy(buf));
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let Some(mail) = self.current.take() else {
            return response::OK;
        };
        if let Some(dir) = &self.dir {
            let name = format!(
                "{}-{}.eml",
                chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f"),
                mail.to.join("+")
            );
            let _ = std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(dir.join(name), &mail.raw));
            println!(
                "  ✉ mail to {}: {}{}",
                mail.to.join(", "),
                mail.subject().unwrap_or("(no subject)"),
                mail.links()
                    .iter()
                    .map(|l| format!("\n      {l}"))
                    .collect::<String>()
            );
        }
        if let Ok(mut inbox) = self.inbox.lock() {
            inbox.push(mail);
        }
        response::OK
    }
}

/// Connections the sink serves at once.
const SINK_THREADS: u32 = 64;

/// A running sink.
#[derive(Clone)]
pub struct MailSink {
    pub port: u16,
    inbox: Arc<Mutex<Vec<ReceivedMail>>>,
}

impl MailSink {
    /// Starts a sink on 127.0.0.1 (port 0: any free port), on its own threads for the life of
    /// the process. `dir`: also write each message there.
    pub fn start(port: u16, dir: Option<PathBuf>) -> io::Result<MailSink> {
        let listener = TcpListener::bind((IpAddr::from([127, 0, 0, 1]), port))?;
        let port = listener.local_addr()?.port();
        let inbox = Arc::new(Mutex::new(Vec::new()));
        let mut server = Server::new(Collector {
            inbox: inbox.clone(),
            dir,
            current: None,
        });
        server
            .with_name("sink.rose-ash.localhost")
            // One thread per open connection (blocking IO): senders keep theirs open between
            // messages, and a test process runs several fleets.
            .with_num_threads(SINK_THREADS)
            .with_ssl(SslConfig::None)
            .map_err(|e| io::Error::other(e.to_string()))?
            .with_tcp_listener(listener);
        std::thread::Builder::new()
            .name("smtp-sink".into())
            .spawn(move || {
                if let Err(e) = server.serve() {
                    eprintln!("smtp sink stopped: {e}");
                }
            })?;
        Ok(MailSink { port, inbox })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Messages received for `to` so far.
    pub fn to(&self, to: &str) -> Vec<ReceivedMail> {
        self.inbox
            .lock()
            .map(|inbox| {
                inbox
                    .iter()
                    .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many messages `to` has received.
    pub fn count(&self, to: &str) -> usize {
        self.inbox
            .lock()
            .map(|inbox| {
                inbox
                    .iter()
                    .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(to)))
                    .count()
            })
            .unwrap_or_default()
    }

    /// How many messages went to addresses ending with `suffix` (one test's recipients).
    pub fn count_suffix(&self, suffix: &str) -> usize {
        let suffix = suffix.to_ascii_lowercase();
        self.inbox
            .lock()
            .map(|inbox| {
                inbox
                    .iter()
                    .flat_map(|m| m.to.iter())
                    .filter(|t| t.to_ascii_lowercase().ends_with(&suffix))
                    .count()
            })
            .unwrap_or_default()
    }

    /// Waits up to five seconds for the `n`th message to `to` (SMTP delivery is asynchronous).
    pub async fn wait_for(&self, to: &str, n: usize) -> Option<ReceivedMail> {
        for _ in 0..100 {
            let mails = self.to(to);
            if mails.len() >= n {
                return mails.into_iter().nth(n - 1);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        None
    }
}
