//! A recording stand-in for remote inboxes, for delivery tests and the delivery benchmark: an
//! HTTP server (on its own thread) that accepts `POST`s for any host name that resolves to it
//! (`h1.localhost` … `h1000.localhost`) and counts what each host received, by activity id.
//! It can be told to answer slowly or with another status, and it can be stopped and started
//! again on the same port (a peer that goes down and comes back).

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

#[derive(Default)]
struct Recorded {
    /// (host, activity id) → how many times it arrived.
    by_host: HashMap<(String, String), u32>,
    /// Requests without a `Signature` header.
    unsigned: u64,
}

struct Behaviour {
    status: AtomicU16,
    delay_ms: AtomicU64,
}

pub struct InboxSink {
    addr: SocketAddr,
    recorded: Arc<Mutex<Recorded>>,
    behaviour: Arc<Behaviour>,
    handle: Option<ServerHandle>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl InboxSink {
    /// Listens on `127.0.0.1:port` (`0`: any free port).
    pub fn start(port: u16) -> std::io::Result<InboxSink> {
        let mut sink = InboxSink {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            recorded: Arc::default(),
            behaviour: Arc::new(Behaviour {
                status: AtomicU16::new(202),
                delay_ms: AtomicU64::new(0),
            }),
            handle: None,
            thread: None,
        };
        sink.resume()?;
        Ok(sink)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The inbox URL of `host` (e.g. `h7.localhost`) on this sink.
    pub fn inbox(&self, host: &str) -> String {
        format!("http://{host}:{}/inbox", self.port())
    }

    /// Answer every POST with `status` from now on.
    pub fn answer(&self, status: u16) {
        self.behaviour.status.store(status, Ordering::Relaxed);
    }

    /// Wait this long before answering.
    pub fn delay(&self, delay: Duration) {
        self.behaviour
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::Relaxed);
    }

    /// Stops listening (connections are refused until [`resume`](Self::resume)).
    pub fn pause(&mut self) {
        if let Some(handle) = self.handle.take() {
            // `stop` is a future; the server's own thread drives it.
            drop(handle.stop(false));
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Listens again on the same port, keeping what was recorded.
    pub fn resume(&mut self) -> std::io::Result<()> {
        let listener = TcpListener::bind(self.addr)?;
        self.addr = listener.local_addr()?;
        let recorded = self.recorded.clone();
        let behaviour = self.behaviour.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::from(recorded.clone()))
                        .app_data(web::Data::from(behaviour.clone()))
                        .app_data(web::PayloadConfig::new(2 << 20))
                        .default_service(web::to(receive))
                })
                .workers(1)
                .disable_signals()
                .shutdown_timeout(1)
                .listen(listener);
                match server {
                    Ok(server) => {
                        let server = server.run();
                        let _ = tx.send(Ok(server.handle()));
                        let _ = server.await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
        });
        let handle = rx.recv().map_err(std::io::Error::other)??;
        self.handle = Some(handle);
        self.thread = Some(thread);
        Ok(())
    }

    /// How many times `host` received the activity `id`.
    pub fn received(&self, host: &str, id: &str) -> u32 {
        self.lock()
            .by_host
            .get(&(host.to_owned(), id.to_owned()))
            .copied()
            .unwrap_or(0)
    }

    /// Distinct (host, activity) pairs received, and all requests (with repeats).
    pub fn totals(&self) -> (usize, u64) {
        let r = self.lock();
        (
            r.by_host.len(),
            r.by_host.values().map(|n| u64::from(*n)).sum(),
        )
    }

    /// Requests that carried no HTTP signature.
    pub fn unsigned(&self) -> u64 {
        self.lock().unsigned
    }

    /// Waits until `distinct` (host, activity) pairs have arrived; returns how long it took, or
    /// `None` after `timeout`.
    pub fn wait_for(&self, distinct: usize, timeout: Duration) -> Option<Duration> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if self.totals().0 >= distinct {
                return Some(start.elapsed());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recorded> {
        self.recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for InboxSink {
    fn drop(&mut self) {
        self.pause();
    }
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    recorded: web::Data<Mutex<Recorded>>,
    behaviour: web::Data<Behaviour>,
) -> HttpResponse {
    let delay = behaviour.delay_ms.load(Ordering::Relaxed);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let status = behaviour.status.load(Ordering::Relaxed);
    if req.method() != actix_web::http::Method::POST {
        return HttpResponse::MethodNotAllowed().finish();
    }
    let host = req
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .map(|h| h.rsplit_once(':').map_or(h, |(name, _)| name).to_owned())
        .unwrap_or_default();
    let id = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["id"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let signed = req.headers().contains_key("signature");
    if (200..300).contains(&status) {
        let mut r = recorded
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *r.by_host.entry((host, id)).or_default() += 1;
        if !signed {
            r.unsigned += 1;
        }
    }
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::ACCEPTED),
    )
    .finish()
}
