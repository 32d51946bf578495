//! A local SumUp for dev and tests, speaking the wire format of SumUp's official OpenAPI
//! document (`../shared/reference/sumup-openapi.json`) and the behaviour its docs describe
//! (`../shared/reference/domain.md` §3.2): an HTTP server on its own thread with
//!
//! - `POST /v0.1/checkouts` (201 `Checkout`; 400 `MISSING`/`INVALID` with `param`; 401
//!   problem+json without the bearer key; 409 `DUPLICATED_CHECKOUT` for a reference seen
//!   before), `GET /v0.1/checkouts?checkout_reference=`, `GET /v0.1/checkouts/{id}` (PAID
//!   carries `transaction_id` and one SUCCESSFUL transaction; FAILED one FAILED transaction),
//!   `DELETE /v0.1/checkouts/{id}` (deactivate: EXPIRED; 409 once processed);
//! - the hosted checkout page `/pay/{id}` with pay and fail buttons, SumUp's sandbox rule that
//!   an amount of 11.00 always fails, then the browser sent to `redirect_url`;
//! - webhooks `{"event_type":"CHECKOUT_STATUS_CHANGED","id":…}` to the checkout's
//!   `return_url` after each status change, retried on a non-2xx answer after 1 min, 5 min,
//!   20 min and 2 h (SumUp's schedule, compressible for tests);
//! - refunds `POST /v1.0/merchants/{code}/payments/{txn}/refunds` (201 `{}`, full or partial;
//!   409 when nothing is left to refund) and `GET /v2.1/merchants/{code}/transactions?id=`.
//!
//! Every API request is recorded (method, path, query, body) so tests can check what our
//! client sent, including against the OpenAPI document with a third-party validator.
//!
//! Tests can also lose webhooks ([`SumUpSim::set_webhooks`]) and hold SumUp's answers
//! ([`SumUpSim::hold`]: a create is made, then its answer waits; a read waits before it
//! reads) to crash the cart while it waits on SumUp.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// The currencies SumUp's `Currency` schema admits.
const CURRENCIES: [&str; 16] = [
    "BGN", "BRL", "CHF", "CLP", "COP", "CZK", "DKK", "EUR", "GBP", "HRK", "HUF", "NOK", "PLN",
    "RON", "SEK", "USD",
];

/// SumUp's webhook retry delays after a failed delivery.
pub const SUMUP_RETRIES: [Duration; 4] = [
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(20 * 60),
    Duration::from_secs(2 * 3600),
];

/// One API request as it arrived.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

#[derive(Debug, Clone)]
struct SimCheckout {
    id: String,
    reference: String,
    amount: f64,
    currency: String,
    merchant_code: String,
    description: Option<String>,
    return_url: Option<String>,
    redirect_url: Option<String>,
    valid_until: Option<DateTime<Utc>>,
    hosted: bool,
    status: &'static str,
    date: DateTime<Utc>,
    transaction: Option<SimTransaction>,
}

#[derive(Debug, Clone)]
struct SimTransaction {
    id: String,
    code: String,
    status: &'static str,
    timestamp: DateTime<Utc>,
    refunded_cents: i64,
    refunds: Vec<(i64, DateTime<Utc>)>,
}

#[derive(Default)]
struct Books {
    checkouts: HashMap<String, SimCheckout>,
    /// Creation order, for listings.
    order: Vec<String>,
    requests: Vec<Recorded>,
    webhooks_sent: Vec<(String, u16)>,
}

struct Setup {
    api_key: String,
    merchant_code: String,
    /// Multiplies SumUp's webhook retry delays (1.0: real time).
    retry_scale: Mutex<f64>,
    /// Whether status changes are notified (`false`: every webhook is lost).
    webhooks: std::sync::atomic::AtomicBool,
    /// Held answers, per [`Hold`] (`true`: held).
    holds: [tokio::sync::watch::Sender<bool>; 2],
}

/// The answers [`SumUpSim::hold`] can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// `POST /v0.1/checkouts`: the checkout is made, then the answer waits.
    Create,
    /// `GET /v0.1/checkouts/{id}`: waits, then reads.
    Read,
}

impl Setup {
    fn hold(&self, what: Hold) -> &tokio::sync::watch::Sender<bool> {
        &self.holds[what as usize]
    }

    /// Waits while `what` is held.
    async fn pass(&self, what: Hold) {
        let mut held = self.hold(what).subscribe();
        // The sender lives as long as the simulator.
        let _ = held.wait_for(|held| !held).await;
    }
}

struct Shared {
    books: Mutex<Books>,
    setup: Setup,
    base: Mutex<String>,
    http: reqwest::Client,
}

impl Shared {
    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn base(&self) -> String {
        self.base.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A running simulator.
pub struct SumUpSim {
    addr: SocketAddr,
    shared: Arc<Shared>,
    handle: Option<ServerHandle>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A checkout as the simulator holds it (for tests).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutState {
    pub id: String,
    pub reference: String,
    pub status: String,
    pub amount: f64,
    pub currency: String,
    pub refunded_cents: i64,
}

fn uuid() -> String {
    let b = shared::crypto::random_bytes::<16>().unwrap_or([7; 16]);
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn code() -> String {
    let b = shared::crypto::random_bytes::<10>().unwrap_or([7; 10]);
    b.iter()
        .map(|x| b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[usize::from(*x) % 32] as char)
        .collect()
}

fn cents(amount: f64) -> i64 {
    (amount * 100.0).round() as i64
}

fn error(status: u16, code: &str, message: &str, param: Option<&str>) -> HttpResponse {
    let mut body = json!({ "error_code": code, "message": message });
    if let Some(p) = param {
        body["param"] = json!(p);
    }
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST)).json(body)
}

fn problem(status: u16, title: &str, detail: &str) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
        .content_type("application/problem+json")
        .json(json!({
            "type": format!("https://developer.sumup.com/problem/{}", title.to_lowercase().replace(' ', "-")),
            "title": title,
            "status": status,
            "detail": detail,
        }))
}

impl SimCheckout {
    /// The `Checkout` / `CheckoutSuccess` document.
    fn json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "checkout_reference": self.reference,
            "amount": self.amount,
            "currency": self.currency,
            "merchant_code": self.merchant_code,
            "merchant_country": "GB",
            "status": self.status,
            "date": self.date.to_rfc3339(),
            "purpose": "CHECKOUT",
            "transactions": self.transaction.iter().map(|t| json!({
                "id": t.id,
                "transaction_code": t.code,
                "amount": self.amount,
                "currency": self.currency,
                "timestamp": t.timestamp.to_rfc3339(),
                "status": t.status,
                "payment_type": "ECOM",
                "installments_count": 1,
                "merchant_code": self.merchant_code,
                "entry_mode": "CUSTOMER_ENTRY",
            })).collect::<Vec<_>>(),
        });
        if let Some(d) = &self.description {
            v["description"] = json!(d);
        }
        if let Some(u) = &self.return_url {
            v["return_url"] = json!(u);
        }
        if let Some(u) = &self.redirect_url {
            v["redirect_url"] = json!(u);
        }
        if let Some(t) = self.valid_until {
            v["valid_until"] = json!(t.to_rfc3339());
        }
        if let Some(t) = self
            .transaction
            .as_ref()
            .filter(|t| t.status == "SUCCESSFUL")
        {
            v["transaction_id"] = json!(t.id);
            v["transaction_code"] = json!(t.code);
        }
        v
    }

    /// A pending checkout past its `valid_until` is expired.
    fn settle_expiry(&mut self, now: DateTime<Utc>) {
        if self.status == "PENDING" && self.valid_until.is_some_and(|t| t < now) {
            self.status = "EXPIRED";
        }
    }
}

impl SumUpSim {
    /// Listens on `127.0.0.1:port` (`0`: any free port); requests must carry
    /// `Authorization: Bearer <api_key>`; checkouts must name `merchant_code`.
    pub fn start(port: u16, api_key: &str, merchant_code: &str) -> std::io::Result<SumUpSim> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))?;
        let addr = listener.local_addr()?;
        let http = shared::infrastructure::http_client::internal_client()
            .map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            books: Mutex::default(),
            setup: Setup {
                api_key: api_key.to_owned(),
                merchant_code: merchant_code.to_owned(),
                retry_scale: Mutex::new(1.0),
                webhooks: std::sync::atomic::AtomicBool::new(true),
                holds: [
                    tokio::sync::watch::Sender::new(false),
                    tokio::sync::watch::Sender::new(false),
                ],
            },
            base: Mutex::new(format!("http://{addr}")),
            http,
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let state = shared.clone();
        let thread = std::thread::spawn(move || {
            let system = actix_web::rt::System::new();
            system.block_on(async move {
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::from(state.clone()))
                        .app_data(web::PayloadConfig::new(1 << 20))
                        .route("/v0.1/checkouts", web::post().to(create))
                        .route("/v0.1/checkouts", web::get().to(list))
                        .route("/v0.1/checkouts/{id}", web::get().to(get))
                        .route("/v0.1/checkouts/{id}", web::delete().to(deactivate))
                        .route(
                            "/v1.0/merchants/{code}/payments/{txn}/refunds",
                            web::post().to(refund),
                        )
                        .route(
                            "/v2.1/merchants/{code}/transactions",
                            web::get().to(transaction),
                        )
                        .route("/pay/{id}", web::get().to(page))
                        .route("/pay/{id}", web::post().to(press))
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
        Ok(SumUpSim {
            addr,
            shared,
            handle: Some(handle),
            thread: Some(thread),
        })
    }

    /// The API's base URL (`SUMUP_API_URL`).
    pub fn url(&self) -> String {
        self.shared.base()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Webhook retry delays are SumUp's times `scale` (tests compress them).
    pub fn set_retry_scale(&self, scale: f64) {
        *self
            .shared
            .setup
            .retry_scale
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = scale;
    }

    /// `false`: status changes are not notified (SumUp's webhooks lost); `true` again: the
    /// next changes are.
    pub fn set_webhooks(&self, on: bool) {
        self.shared
            .setup
            .webhooks
            .store(on, std::sync::atomic::Ordering::SeqCst);
    }

    /// Holds `what`'s answers (`true`) until released (`false`), as a SumUp that hangs.
    pub fn hold(&self, what: Hold, held: bool) {
        self.shared.setup.hold(what).send_replace(held);
    }

    /// Every API request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.books().requests.clone()
    }

    /// Webhook deliveries so far: (checkout id, the answer's status; 0 when unreachable).
    pub fn webhooks_sent(&self) -> Vec<(String, u16)> {
        self.shared.books().webhooks_sent.clone()
    }

    pub fn checkout(&self, id: &str) -> Option<CheckoutState> {
        let b = self.shared.books();
        b.checkouts.get(id).map(|c| CheckoutState {
            id: c.id.clone(),
            reference: c.reference.clone(),
            status: c.status.to_owned(),
            amount: c.amount,
            currency: c.currency.clone(),
            refunded_cents: c.transaction.as_ref().map_or(0, |t| t.refunded_cents),
        })
    }

    pub fn checkouts(&self) -> Vec<CheckoutState> {
        let ids = self.shared.books().order.clone();
        ids.iter().filter_map(|id| self.checkout(id)).collect()
    }

    /// Makes the checkout answer with another amount than it was created with (a tampered or
    /// mixed-up checkout, for tests of what the cart believes).
    pub fn set_amount(&self, id: &str, amount: f64) {
        if let Some(c) = self.shared.books().checkouts.get_mut(id) {
            c.amount = amount;
        }
    }

    /// The buyer presses "Pay" (`true`) or "Fail" on the hosted page; returns the new status.
    pub fn complete(&self, id: &str, pay: bool) -> Option<String> {
        let status = process(&self.shared, id, pay)?;
        Some(status.to_owned())
    }

    pub async fn stop(mut self) {
        if let Some(h) = self.handle.take() {
            h.stop(true).await;
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn record(shared: &Shared, req: &HttpRequest, body: &[u8]) {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    shared.books().requests.push(Recorded {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
        authorization: header("authorization"),
        content_type: header("content-type"),
        body: String::from_utf8_lossy(body).into_owned(),
    });
}

/// Records the request and checks its bearer key; `Some(response)` refuses it.
fn admit(shared: &Shared, req: &HttpRequest, body: &[u8]) -> Option<HttpResponse> {
    record(shared, req, body);
    let expected = format!("Bearer {}", shared.setup.api_key);
    let given = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    if given != Some(expected.as_str()) {
        return Some(problem(401, "Unauthorized", "Unauthorized."));
    }
    None
}

async fn create(shared: web::Data<Shared>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Some(refused) = admit(&shared, &req, &body) {
        return refused;
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return error(400, "INVALID", "Request body is not valid JSON", None);
    };
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    for field in ["checkout_reference", "amount", "currency", "merchant_code"] {
        if v.get(field).is_none_or(Value::is_null) {
            return error(400, "MISSING", "Validation error", Some(field));
        }
    }
    let (Some(reference), Some(amount), Some(currency), Some(merchant)) = (
        text("checkout_reference"),
        v.get("amount").and_then(Value::as_f64),
        text("currency"),
        text("merchant_code"),
    ) else {
        return error(400, "INVALID", "Validation error", Some("amount"));
    };
    if reference.is_empty() || reference.len() > 90 {
        return error(
            400,
            "INVALID",
            "Validation error",
            Some("checkout_reference"),
        );
    }
    if amount.is_nan() || amount <= 0.0 || (amount * 100.0 - (amount * 100.0).round()).abs() > 1e-6
    {
        return error(400, "INVALID", "Validation error", Some("amount"));
    }
    if !CURRENCIES.contains(&currency.as_str()) {
        return error(400, "INVALID", "Validation error", Some("currency"));
    }
    if merchant != shared.setup.merchant_code {
        return problem(
            403,
            "Forbidden",
            "The merchant code does not belong to this key.",
        );
    }
    let valid_until = match v.get("valid_until").and_then(Value::as_str) {
        Some(t) => match DateTime::parse_from_rfc3339(t) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_bad_date) => {
                return error(400, "INVALID", "Validation error", Some("valid_until"));
            }
        },
        None => None,
    };
    for url_field in ["return_url", "redirect_url"] {
        if let Some(u) = text(url_field)
            && url::Url::parse(&u).is_err()
        {
            return error(400, "INVALID", "Validation error", Some(url_field));
        }
    }
    let hosted = v
        .pointer("/hosted_checkout/enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let checkout = SimCheckout {
        id: uuid(),
        reference,
        amount,
        currency,
        merchant_code: merchant,
        description: text("description"),
        return_url: text("return_url"),
        redirect_url: text("redirect_url"),
        valid_until,
        hosted,
        status: "PENDING",
        date: Utc::now(),
        transaction: None,
    };
    let Some(body) = file(&shared, checkout) else {
        return error(
            409,
            "DUPLICATED_CHECKOUT",
            "Checkout with this checkout reference and pay to email already exists",
            None,
        );
    };
    shared.setup.pass(Hold::Create).await;
    HttpResponse::Created().json(body)
}

/// Files a new checkout and returns its document; `None` when its merchant has a checkout
/// with its reference already.
fn file(shared: &Shared, checkout: SimCheckout) -> Option<Value> {
    let mut books = shared.books();
    if books
        .checkouts
        .values()
        .any(|c| c.reference == checkout.reference && c.merchant_code == checkout.merchant_code)
    {
        return None;
    }
    let body = document(shared, &checkout);
    books.order.push(checkout.id.clone());
    books.checkouts.insert(checkout.id.clone(), checkout);
    Some(body)
}

fn document(shared: &Shared, c: &SimCheckout) -> Value {
    let mut v = c.json();
    if c.hosted {
        v["hosted_checkout_url"] = json!(format!("{}/pay/{}", shared.base(), c.id));
    }
    v
}

async fn list(shared: web::Data<Shared>, req: HttpRequest) -> HttpResponse {
    if let Some(refused) = admit(&shared, &req, b"") {
        return refused;
    }
    let wanted: Option<String> =
        web::Query::<HashMap<String, String>>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.get("checkout_reference").cloned());
    let now = Utc::now();
    let mut books = shared.books();
    let ids = books.order.clone();
    let mut out = Vec::new();
    for id in ids {
        if let Some(c) = books.checkouts.get_mut(&id) {
            c.settle_expiry(now);
            if wanted.as_deref().is_none_or(|r| r == c.reference) {
                out.push(c.clone());
            }
        }
    }
    drop(books);
    HttpResponse::Ok().json(out.iter().map(|c| document(&shared, c)).collect::<Vec<_>>())
}

async fn get(shared: web::Data<Shared>, req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    if let Some(refused) = admit(&shared, &req, b"") {
        return refused;
    }
    shared.setup.pass(Hold::Read).await;
    let mut books = shared.books();
    let Some(c) = books.checkouts.get_mut(id.as_str()) else {
        return error(404, "NOT_FOUND", "Resource not found", None);
    };
    c.settle_expiry(Utc::now());
    let c = c.clone();
    drop(books);
    HttpResponse::Ok().json(document(&shared, &c))
}

async fn deactivate(
    shared: web::Data<Shared>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    if let Some(refused) = admit(&shared, &req, b"") {
        return refused;
    }
    let mut books = shared.books();
    let Some(c) = books.checkouts.get_mut(id.as_str()) else {
        return error(404, "NOT_FOUND", "Resource not found", None);
    };
    c.settle_expiry(Utc::now());
    match c.status {
        "PENDING" | "EXPIRED" => {
            c.status = "EXPIRED";
            let c = c.clone();
            drop(books);
            HttpResponse::Ok().json(document(&shared, &c))
        }
        _ => error(
            409,
            "CHECKOUT_PROCESSED",
            "Checkout is already processed",
            None,
        ),
    }
}

/// The hosted page's buttons: pays (unless the amount is 11.00, which SumUp's sandbox always
/// fails) or fails a pending checkout, then notifies `return_url`.
fn process(shared: &Arc<Shared>, id: &str, pay: bool) -> Option<&'static str> {
    let mut books = shared.books();
    let c = books.checkouts.get_mut(id)?;
    c.settle_expiry(Utc::now());
    if c.status != "PENDING" {
        return Some(c.status);
    }
    let paid = pay && cents(c.amount) != 1100;
    c.status = if paid { "PAID" } else { "FAILED" };
    c.transaction = Some(SimTransaction {
        id: uuid(),
        code: code(),
        status: if paid { "SUCCESSFUL" } else { "FAILED" },
        timestamp: Utc::now(),
        refunded_cents: 0,
        refunds: Vec::new(),
    });
    let status = c.status;
    let target = c.return_url.clone();
    let checkout_id = c.id.clone();
    drop(books);
    let webhooks = shared
        .setup
        .webhooks
        .load(std::sync::atomic::Ordering::SeqCst);
    if let Some(target) = target.filter(|_| webhooks) {
        notify(shared.clone(), checkout_id, target);
    }
    Some(status)
}

/// Posts `CHECKOUT_STATUS_CHANGED` to `target`, retrying on SumUp's schedule until a 2xx.
fn notify(shared: Arc<Shared>, checkout_id: String, target: String) {
    actix_web::rt::spawn(async move {
        let body = json!({ "event_type": "CHECKOUT_STATUS_CHANGED", "id": checkout_id });
        let mut delays = SUMUP_RETRIES.iter();
        loop {
            let status = match shared
                .http
                .post(&target)
                .header("content-type", "application/json")
                .header("user-agent", "SumUp Webhooks")
                .body(body.to_string())
                .send()
                .await
            {
                Ok(res) => res.status().as_u16(),
                Err(_unreachable) => 0,
            };
            shared
                .books()
                .webhooks_sent
                .push((checkout_id.clone(), status));
            if (200..300).contains(&status) {
                return;
            }
            let Some(delay) = delays.next() else {
                return;
            };
            let scale = *shared
                .setup
                .retry_scale
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            tokio::time::sleep(delay.mul_f64(scale.max(0.0))).await;
        }
    });
}

async fn page(shared: web::Data<Shared>, id: web::Path<String>) -> HttpResponse {
    let c = shared.books().checkouts.get(id.as_str()).cloned();
    let Some(c) = c.filter(|c| c.hosted) else {
        return HttpResponse::NotFound().body("No such checkout.");
    };
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>SumUp checkout (simulator)</title></head>\
         <body><h1>Pay {amount:.2} {currency}</h1><p>{description}</p><p id=\"status\">{status}</p>\
         <form method=\"post\"><input type=\"hidden\" name=\"outcome\" value=\"pay\"><button id=\"pay\" type=\"submit\">Pay</button></form>\
         <form method=\"post\"><input type=\"hidden\" name=\"outcome\" value=\"fail\"><button id=\"fail\" type=\"submit\">Fail</button></form>\
         <p><small>Local SumUp simulator: an amount of 11.00 always fails.</small></p></body></html>",
        amount = c.amount,
        currency = esc(&c.currency),
        description = esc(c.description.as_deref().unwrap_or("")),
        status = c.status,
    );
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html)
}

#[derive(serde::Deserialize)]
struct Press {
    outcome: String,
}

async fn press(
    shared: web::Data<Shared>,
    id: web::Path<String>,
    form: web::Form<Press>,
) -> HttpResponse {
    let shared = shared.into_inner();
    let Some(status) = process(&shared, &id, form.outcome == "pay") else {
        return HttpResponse::NotFound().body("No such checkout.");
    };
    let redirect = shared
        .books()
        .checkouts
        .get(id.as_str())
        .and_then(|c| c.redirect_url.clone());
    match redirect {
        Some(to) => HttpResponse::SeeOther()
            .insert_header(("location", to))
            .finish(),
        None => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(format!("<!doctype html><p id=\"status\">{status}</p>")),
    }
}

async fn refund(
    shared: web::Data<Shared>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    if let Some(refused) = admit(&shared, &req, &body) {
        return refused;
    }
    let (merchant, txn) = path.into_inner();
    let requested = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(v) => match v.get("amount") {
                None | Some(Value::Null) => None,
                Some(a) => match a.as_f64().filter(|a| *a > 0.0) {
                    Some(a) => Some(cents(a)),
                    None => return problem(400, "Bad Request", "The refund amount is invalid."),
                },
            },
            Err(_not_json) => return problem(400, "Bad Request", "The body is not JSON."),
        }
    };
    let mut books = shared.books();
    let Some(c) = books.checkouts.values_mut().find(|c| {
        c.merchant_code == merchant && c.transaction.as_ref().is_some_and(|t| t.id == txn)
    }) else {
        return problem(404, "Not Found", "The transaction does not exist.");
    };
    let total = cents(c.amount);
    let Some(t) = c.transaction.as_mut().filter(|t| t.status == "SUCCESSFUL") else {
        return error(
            409,
            "NOT_REFUNDABLE",
            "The transaction cannot be refunded",
            None,
        );
    };
    let left = total - t.refunded_cents;
    let amount = requested.unwrap_or(left);
    if left <= 0 {
        return error(
            409,
            "NOT_REFUNDABLE",
            "The transaction is refunded in full",
            None,
        );
    }
    if amount > left {
        return problem(
            400,
            "Bad Request",
            "The refund amount exceeds what is left.",
        );
    }
    t.refunded_cents += amount;
    t.refunds.push((amount, Utc::now()));
    // The checkout stays PAID after a refund; only the transaction shows it.
    HttpResponse::Created().json(json!({}))
}

async fn transaction(
    shared: web::Data<Shared>,
    req: HttpRequest,
    merchant: web::Path<String>,
) -> HttpResponse {
    if let Some(refused) = admit(&shared, &req, b"") {
        return refused;
    }
    let id: Option<String> = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("id").cloned());
    let books = shared.books();
    let found = books.checkouts.values().find_map(|c| {
        let t = c.transaction.as_ref()?;
        (c.merchant_code == merchant.as_str() && Some(&t.id) == id.as_ref()).then_some((c, t))
    });
    let Some((c, t)) = found else {
        return error(404, "NOT_FOUND", "Resource not found", None);
    };
    let status = if t.refunded_cents >= cents(c.amount) {
        "REFUNDED"
    } else {
        t.status
    };
    HttpResponse::Ok().json(json!({
        "id": t.id,
        "transaction_code": t.code,
        "amount": c.amount,
        "currency": c.currency,
        "timestamp": t.timestamp.to_rfc3339(),
        "status": status,
        "payment_type": "ECOM",
        "merchant_code": c.merchant_code,
        "transaction_events": t.refunds.iter().enumerate().map(|(i, (amount, at))| json!({
            "id": i + 1,
            "event_type": "REFUND",
            "status": "REFUNDED",
            "amount": *amount as f64 / 100.0,
            "timestamp": at.to_rfc3339(),
        })).collect::<Vec<_>>(),
    }))
}

/// The API key and merchant code of the dev fleet's simulator.
pub const DEV_API_KEY: &str = "sk_test_rose_ash_dev";
pub const DEV_MERCHANT: &str = "MDEVLOCAL";

/// For `deploy dev`: unless `SUMUP_API_URL` is set, starts a simulator (kept for the life of
/// the process) and returns the variables that point the cart at it.
pub fn start_for_dev() -> std::io::Result<Vec<(&'static str, String)>> {
    if std::env::var_os("SUMUP_API_URL").is_some_and(|v| !v.is_empty()) {
        return Ok(Vec::new());
    }
    let sim: &'static SumUpSim =
        Box::leak(Box::new(SumUpSim::start(0, DEV_API_KEY, DEV_MERCHANT)?));
    println!(
        "  · payments go to a local SumUp simulator on {} (hosted checkout with Pay and Fail buttons; an amount of 11.00 always fails)",
        sim.url()
    );
    Ok(vec![
        ("SUMUP_API_URL", sim.url()),
        ("SUMUP_API_KEY", DEV_API_KEY.to_owned()),
        ("SUMUP_MERCHANT_CODE", DEV_MERCHANT.to_owned()),
    ])
}
