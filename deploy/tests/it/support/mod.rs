//! A fleet per test.

pub mod bovine;
pub mod browser;
pub mod chromium;
pub mod fixtures;
pub mod peer;
pub mod people;
pub mod python;

use std::net::{IpAddr, Ipv4Addr};

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use deploy::fleet::Fleet;
use deploy::mail_sink::MailSink;
use reqwest::StatusCode;
use shared::AppName;
use shared::testing::{self, TestDb, TestRedis, TestSession};

pub struct TestFleet {
    pub fleet: Fleet,
    pub db: TestDb,
    /// Held for its Drop, which deletes the test's Redis keys.
    _redis: TestRedis,
    pub client: reqwest::Client,
}

pub struct Page {
    pub status: StatusCode,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl TestFleet {
    pub async fn start() -> TestFleet {
        Self::start_with(&[]).await
    }

    pub async fn start_with(overrides: &[(&str, &str)]) -> TestFleet {
        let db = TestDb::new().await;
        let redis = TestRedis::new(&db.name).await;
        let smtp = mail_sink().url();
        let mut overrides = overrides.to_vec();
        overrides.push(("SMTP_URL", &smtp));
        let config = testing::config(&db, &redis, &overrides);
        let fleet = Fleet::start(config, IpAddr::V4(Ipv4Addr::LOCALHOST), None)
            .await
            .unwrap();
        TestFleet {
            fleet,
            db,
            _redis: redis,
            client: testing::http_client(),
        }
    }

    pub async fn get(&self, app: AppName, path: &str, session: Option<&TestSession>) -> Page {
        let mut req = self.client.get(self.fleet.at(app, path));
        if let Some(s) = session {
            req = req.header("cookie", &s.cookie);
        }

        page(req.send().await.unwrap()).await
    }

    /// A form POST as a browser on `from` would send it (with the session's CSRF token when
    /// it posts to its own app).
    pub async fn post_form(
        &self,
        app: AppName,
        path: &str,
        form: &[(&str, &str)],
        session: Option<&TestSession>,
        from: AppName,
    ) -> Page {
        let origin = self.fleet.url(from).origin().ascii_serialization();
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        if let Some(s) = session.filter(|_| from == app) {
            fields.push(("csrf_token", &s.csrf));
        }
        let mut req = self
            .client
            .post(self.fleet.at(app, path))
            .header("origin", origin)
            .header(
                "sec-fetch-site",
                if from == app {
                    "same-origin"
                } else {
                    "same-site"
                },
            )
            .form(&fields);
        if let Some(s) = session {
            req = req.header("cookie", &s.cookie);
        }
        page(req.send().await.unwrap()).await
    }

    /// A session for `user_id` on `app`, as after signing in there.
    pub async fn sign_in(&self, app: AppName, user_id: i64) -> TestSession {
        testing::session(self.fleet.ctx(app), Some(user_id)).await
    }

    /// Requests `app` has served on its fragment routes so far.
    pub fn fragment_requests(&self, app: AppName) -> u64 {
        self.fleet
            .ctx(app)
            .metrics()
            .count_prefix("/internal/fragments/")
    }

    pub async fn stop(self) {
        self.fleet.stop().await;
    }
}

/// The SMTP sink every test's fleet sends its mail to (one per test process; tests tell their
/// mail apart by recipient).
pub fn mail_sink() -> &'static MailSink {
    static SINK: OnceLock<MailSink> = OnceLock::new();
    SINK.get_or_init(|| MailSink::start(0, None).expect("SMTP sink"))
}

pub async fn page(res: reqwest::Response) -> Page {
    let status = res.status();
    let headers = res.headers().clone();
    Page {
        status,
        headers,
        body: res.text().await.unwrap(),
    }
}

/// Polls `check` until it holds (or panics after `secs`).
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..secs * 10 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}
