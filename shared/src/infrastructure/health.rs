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
