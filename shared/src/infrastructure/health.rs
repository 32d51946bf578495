//! `/healthz` (the process is alive) and `/readyz` (it can reach PostgreSQL and Redis).

use std::time::Duration;

use actix_web::{HttpResponse, web};
use diesel_async::RunQueryDsl;
use serde_json::json;
use tokio::time::timeout;

use super::app::AppContext;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn healthz(ctx: web::Data<AppContext>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(json!({ "status": "ok", "app": ctx.name() }))
}

async fn check_db(ctx: &AppContext) -> Result<(), String> {
    let mut conn = ctx.db().get().await.map_err(|e| e.to_string())?;
    diesel::sql_query("SELECT 1")
        .execute(&mut conn)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

pub async fn readyz(ctx: web::Data<AppContext>) -> HttpResponse {
    let (db, redis) = tokio::join!(
        timeout(CHECK_TIMEOUT, check_db(&ctx)),
        timeout(CHECK_TIMEOUT, ctx.redis().ping()),
    );
    let db = db.unwrap_or_else(|_| Err("timed out".into()));
    let redis = redis
        .map_err(|_elapsed| "timed out".to_owned())
        .and_then(|r| r.map_err(|e| e.to_string()));
    let ok = db.is_ok() && redis.is_ok();
    let describe = |r: &Result<(), String>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            "unavailable".to_owned()
        }
    };
    let body = json!({
        "status": if ok { "ready" } else { "unavailable" },
        "app": ctx.name(),
        "checks": { "database": describe(&db), "redis": describe(&redis) },
    });
    let mut res = if ok {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    res.insert_header(("Cache-Control", "no-store")).json(body)
}

/// `/metrics` in the Prometheus text format. (The public proxy refuses it from outside.)
pub async fn metrics(ctx: web::Data<AppContext>) -> HttpResponse {
    let mut body = super::metrics::render_prometheus(
        ctx.name().as_str(),
        ctx.metrics(),
        ctx.fragments().stats(),
        ctx.db().status(),
    );
    // What the app adds (federation: the ActivityPub queues, which it alone works).
    body.push_str(&(ctx.spec().metrics)(&ctx).await);
    // This app's jobs (each app reports the job types it runs).
    let job_types = (ctx.spec().jobs)().types();
    if !job_types.is_empty()
        && let Ok(mut conn) = ctx.conn().await
        && let Ok(stats) = crate::jobs::store::stats(&mut conn, &job_types).await
    {
        body.push_str(&crate::jobs::render_metrics(ctx.name().as_str(), &stats));
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

/// The binary's `--healthcheck`: GET `/healthz` on the local port; true when it answers 200.
/// Plain std networking, so the container image needs no curl.
pub fn probe(port: u16) -> bool {
    use std::io::{Read, Write};
    use std::net::{Ipv4Addr, SocketAddr, TcpStream};
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.1 200")
}
