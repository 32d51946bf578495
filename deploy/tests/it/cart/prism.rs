//! Every request our SumUp client sends (create, read by id and by reference, deactivate,
//! refund) is validated against SumUp's official OpenAPI document by a third-party validator:
//! Stoplight Prism (npm `@stoplight/prism-cli`, installed under `target/prism`) as a proxy in
//! front of the simulator with `--errors`, so any request (or answer) that breaks the
//! document fails the flow. Skipped, saying why, only if Prism cannot be installed.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use shared::AppName;

use super::{API_KEY, MERCHANT, add, buyer, checkout, fleet_with, location, variant};
use crate::support::eventually;
use deploy::sumup_sim::SumUpSim;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Prism's binary, installing it with npm on first use.
fn prism() -> Result<PathBuf, String> {
    let dir = workspace().join("target/prism");
    let bin = dir.join("node_modules/.bin/prism");
    if bin.exists() {
        return Ok(bin);
    }
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let status = std::process::Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .arg("@stoplight/prism-cli@5")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| format!("npm: {e}"))?;
    if status.success() && bin.exists() {
        Ok(bin)
    } else {
        Err(format!(
            "npm install @stoplight/prism-cli failed ({status})"
        ))
    }
}

#[actix_web::test]
async fn our_sumup_requests_follow_the_official_openapi_document() {
    let bin = match prism() {
        Ok(bin) => bin,
        Err(why) => {
            eprintln!("SKIPPED: Prism is not available: {why}");
            return;
        }
    };
    let spec = workspace().join("../shared/reference/sumup-openapi.json");
    assert!(spec.exists(), "{} is missing", spec.display());
    let sim = SumUpSim::start(0, API_KEY, MERCHANT).unwrap();
    sim.set_retry_scale(0.0005);
    let port = shared::testing::ephemeral_listener()
        .local_addr()
        .unwrap()
        .port();
    let log = workspace().join(format!("target/prism/proxy-{port}.log"));
    let mut child = tokio::process::Command::new(&bin)
        .args([
            "proxy",
            "--errors",
            "-p",
            &port.to_string(),
            "-h",
            "127.0.0.1",
        ])
        .arg(&spec)
        .arg(sim.url())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let prism_url = format!("http://127.0.0.1:{port}");
    let probe = reqwest::Client::new();
    eventually(60, "Prism to listen", || {
        let probe = probe.clone();
        let url = format!("{prism_url}/v0.1/checkouts?checkout_reference=probe");
        async move { probe.get(url).bearer_auth(API_KEY).send().await.is_ok() }
    })
    .await;

    let t = fleet_with(&sim, Some(&prism_url), &[]).await;
    let jelly = variant(&t, "medlar-jelly", 725, 10).await;
    let (_, s) = buyer(&t, "ada").await;
    add(&t, &s, jelly, 2).await;
    // Create (through Prism), then a retry that meets DUPLICATED_CHECKOUT and reads back by
    // reference.
    let placed = checkout(&t, &s).await;
    assert_eq!(placed.status, 303, "{}", placed.body);
    let checkout_id = location(&placed).rsplit('/').next().unwrap().to_owned();
    let reference = sim.checkout(&checkout_id).unwrap().reference;
    {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use shared::db::schema::orders;
        diesel::update(orders::table)
            .set(orders::sumup_checkout_id.eq(None::<String>))
            .execute(&mut t.db.conn().await)
            .await
            .unwrap();
    }
    let retry = t
        .post_form(
            AppName::Cart,
            &format!("/orders/{reference}/pay"),
            &[],
            Some(&s),
            AppName::Cart,
        )
        .await;
    assert_eq!(retry.status, 303, "{}", retry.body);
    // Paid; the webhook's verification reads the checkout through Prism.
    sim.complete(&checkout_id, true);
    let admin = crate::support::people::person(&t, "root", "admin").await;
    let admin_s = t.sign_in(AppName::Cart, admin).await;
    eventually(15, "the payment to be verified", || async {
        super::all_orders(&t).await[0].1 == "PaymentSettled"
    })
    .await;
    // A partial refund, then the rest.
    for amount in ["4.50", ""] {
        let refund = t
            .post_form(
                AppName::Cart,
                &format!("/admin/orders/{reference}/refund"),
                &[("amount", amount)],
                Some(&admin_s),
                AppName::Cart,
            )
            .await;
        assert_eq!(refund.status, 303, "{}", refund.body);
    }
    assert_eq!(sim.checkout(&checkout_id).unwrap().refunded_cents, 1450);
    // A second order, given up: deactivation goes through Prism too.
    add(&t, &s, jelly, 1).await;
    let second = checkout(&t, &s).await;
    assert_eq!(second.status, 303, "{}", second.body);
    let second_id = location(&second).rsplit('/').next().unwrap().to_owned();
    let second_ref = sim.checkout(&second_id).unwrap().reference;
    let cancel = t
        .post_form(
            AppName::Cart,
            &format!("/orders/{second_ref}/cancel"),
            &[],
            Some(&s),
            AppName::Cart,
        )
        .await;
    assert_eq!(cancel.status, 303, "{}", cancel.body);
    assert_eq!(sim.checkout(&second_id).unwrap().status, "EXPIRED");

    // Every kind of call went through the validator.
    let calls: Vec<(String, String)> = sim
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    for (method, path) in [
        ("POST", "/v0.1/checkouts".to_owned()),
        ("GET", "/v0.1/checkouts".to_owned()),
        ("GET", format!("/v0.1/checkouts/{checkout_id}")),
        ("DELETE", format!("/v0.1/checkouts/{second_id}")),
        (
            "POST",
            format!("/v1.0/merchants/{MERCHANT}/payments/{}/refunds", {
                let r = sim.requests();
                r.iter()
                    .find(|r| r.path.contains("/refunds"))
                    .map(|r| r.path.split('/').nth(5).unwrap_or_default().to_owned())
                    .unwrap_or_default()
            }),
        ),
    ] {
        assert!(
            calls.iter().any(|(m, p)| m == method && *p == path),
            "{method} {path} not among {calls:?}"
        );
    }
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!logged.contains("Violation"), "{logged}");
    let _ = child.kill().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    t.stop().await;
    sim.stop().await;
}
