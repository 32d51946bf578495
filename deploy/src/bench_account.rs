//! `deploy bench account`: the account app's figures (issue 15).
//!
//! - Dashboard: the demo member's `/` on account (every section: orders, tickets, bookings,
//!   cart, newsletters, notifications; rendered on every request) with `wrk`.
//! - Unthrottled sending: a campaign to 5,000 confirmed subscribers into an in-process SMTP
//!   sink with `NEWSLETTER_RATE_PER_SEC` at its maximum; mails/s from the rows' `sent_at`.
//! - Throttled sending: a second fleet on the same database at 50 mails/s, a campaign to 500;
//!   the measured rate against the configured one (target within ±5 %).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use diesel::sql_types::{BigInt, Double, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use shared::AppName;
use shared::config::Config;
use shared::db::migrate;
use shared::devenv;

use crate::bench::{MemberSession, Options, run_wrk_as_member, which};
use crate::fleet::Fleet;
use crate::mail_sink::MailSink;

const DATABASE: &str = "rose_ash_bench_account";
const UNTHROTTLED: i64 = 5_000;
const THROTTLED: i64 = 500;
const RATE: f64 = 50.0;

pub async fn run(options: Options) -> anyhow::Result<()> {
    println!("Rose Ash account benchmark");
    let wrk = which("wrk").context("wrk is not installed")?;
    let services = devenv::ensure(DATABASE, &crate::dev::state_dir()).await?;
    let result = async {
        let admin_url = services.database_url_for("postgres")?;
        let mut admin = AsyncPgConnection::establish(&admin_url).await?;
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            .execute(&mut admin)
            .await?;
        diesel::sql_query(format!("CREATE DATABASE {DATABASE}"))
            .execute(&mut admin)
            .await?;
        let database_url = services.database_url_for(DATABASE)?;
        migrate::run_pending(&database_url).await?;
        let sink = MailSink::start(0, None)?;
        let smtp = sink.url();
        let config = |rate: &str| {
            let vars: HashMap<String, String> = [
                ("DATABASE_URL", database_url.as_str()),
                ("REDIS_URL", services.redis_url.as_str()),
                ("REDIS_PREFIX", "bench-account:"),
                ("DB_POOL_SIZE", "16"),
                ("SMTP_URL", smtp.as_str()),
                ("NEWSLETTER_RATE_PER_SEC", rate),
                ("RUST_LOG", "warn"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
            Config::from_lookup(move |k| vars.get(k).cloned())
        };

        smtp_probe(&config("1")?).await?;

        let fleet = Fleet::start(config("10000")?, IpAddr::V4(Ipv4Addr::LOCALHOST), None).await?;
        let first = async {
            let fleet_config = fleet.ctx(AppName::Account).config().clone();
            crate::seed::seed(&database_url, &fleet_config).await?;
            dashboard(&fleet, &fleet_config, &wrk, &options).await?;
            let rate = send(&fleet, &database_url, "unthrottled", UNTHROTTLED).await?;
            println!(
                "  unthrottled sending          {rate:>8.0} mails/s   ({UNTHROTTLED} recipients into the in-process SMTP sink, up to {} in flight)",
                account::domain::sending::IN_FLIGHT
            );
            anyhow::Ok(())
        }
        .await;
        fleet.stop().await;
        first?;

        let fleet = Fleet::start(
            config(&RATE.to_string())?,
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            None,
        )
        .await?;
        let measured = send(&fleet, &database_url, "throttled", THROTTLED).await;
        fleet.stop().await;
        let measured = measured?;
        let off = 100.0 * (measured - RATE) / RATE;
        println!(
            "  throttled sending            {measured:>8.1} mails/s   configured {RATE}, {off:+.1} % ({})",
            if off.abs() <= 5.0 {
                "within ±5 %"
            } else {
                "NOT within ±5 %"
            }
        );
        println!("  (mails in the sink: {})", sink.count_suffix("@bench.example"));
        anyhow::Ok(())
    }
    .await;
    services.stop_started().await;
    result
}

/// Mails sent into the sink one after another.
const PROBE: u32 = 200;

/// The SMTP exchange alone: `PROBE` mails of a campaign's shape sent one after another through
/// the fleet's mailer, each waiting for the last (the time a mail in flight spends on SMTP).
async fn smtp_probe(config: &Config) -> anyhow::Result<()> {
    let mailer = shared::infrastructure::mail::Mailer::from_config(config)?;
    let body = "A short letter, as most are. ".repeat(40);
    let email = |i: u32| shared::infrastructure::mail::Email {
        to: format!("probe-{i}@probe.example"),
        subject: "Benchmark".into(),
        text: body.clone(),
        html: Some(format!("<p>{body}</p>")),
        headers: vec![(
            "List-Unsubscribe-Post".into(),
            "List-Unsubscribe=One-Click".into(),
        )],
        message_id: None,
    };
    mailer.send_email(&email(0)).await?;
    let started = Instant::now();
    for i in 1..=PROBE {
        mailer.send_email(&email(i)).await?;
    }
    let per_mail = started.elapsed().as_secs_f64() * 1000.0 / f64::from(PROBE);
    println!(
        "  SMTP alone, one after another {per_mail:>6.2} ms a mail ({PROBE} mails into the sink, connection kept)"
    );
    Ok(())
}

/// The demo member's dashboard, checked then measured.
async fn dashboard(
    fleet: &Fleet,
    config: &Config,
    wrk: &std::path::Path,
    options: &Options,
) -> anyhow::Result<()> {
    let member = MemberSession::sign_in(config, AppName::Account, crate::seed::DEMO_USER).await?;
    let home = fleet.at(AppName::Account, "/");
    let body = shared::infrastructure::http_client::internal_client()?
        .get(&home)
        .header("cookie", &member.cookie)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    member.check_signed_in(&body)?;
    let result = run_wrk_as_member(
        wrk,
        options,
        fleet.url(AppName::Account),
        "/",
        &member.cookie,
    )
    .await?;
    println!(
        "\n  dashboard (member, {} bytes) {:>8.0} req/s   p50 {:.2} ms   p99 {:.2} ms   errors {}   (target >= 1,500 req/s)",
        body.len(),
        result.requests_per_sec,
        result.p50_ms,
        result.p99_ms,
        result.errors
    );
    Ok(())
}

/// A list `slug` of `n` confirmed subscribers and a campaign to it, sent now; the mails per
/// second between its first and last `sent_at`.
async fn send(fleet: &Fleet, database_url: &str, slug: &str, n: i64) -> anyhow::Result<f64> {
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    let list = account::db::newsletters::insert(
        &mut conn,
        &account::db::newsletters::NewNewsletter::public(slug, slug, "Benchmark."),
    )
    .await?;
    diesel::sql_query(
        "WITH s AS (INSERT INTO newsletter_subscribers (email) \
           SELECT $2 || '-' || g || '@bench.example' FROM generate_series(1, $3) g RETURNING id) \
         INSERT INTO newsletter_subscriptions (newsletter_id, subscriber_id, status, confirmed_at) \
         SELECT $1, s.id, 'confirmed', now() FROM s",
    )
    .bind::<BigInt, _>(list.id)
    .bind::<Text, _>(slug)
    .bind::<BigInt, _>(n)
    .execute(&mut conn)
    .await?;
    let editor: i64 = {
        use diesel::{ExpressionMethods, QueryDsl};
        shared::db::schema::users::table
            .filter(shared::db::schema::users::role.eq_any(["editor", "admin"]))
            .select(shared::db::schema::users::id)
            .first(&mut conn)
            .await
            .context("the demo content has no editor")?
    };
    let body = "# Benchmark\n\nA short letter, as most are.";
    let campaign = account::db::campaigns::insert(
        &mut conn,
        &account::db::campaigns::CampaignFields {
            newsletter_id: list.id,
            subject: "Benchmark",
            body_markdown: body,
            body_html: &shared::infrastructure::markdown::markdown(body),
            archived: false,
        },
        editor,
    )
    .await?;
    account::domain::campaigns::Campaigns::new(fleet.ctx(AppName::Account).db())
        .schedule(campaign.id, None)
        .await
        .map_err(|e| anyhow::anyhow!("scheduling the campaign: {e}"))?;
    let started = Instant::now();
    loop {
        #[derive(diesel::QueryableByName)]
        struct Status {
            #[diesel(sql_type = Text)]
            status: String,
        }
        let now: Status =
            diesel::sql_query("SELECT status FROM newsletter_campaigns WHERE id = $1")
                .bind::<BigInt, _>(campaign.id)
                .get_result(&mut conn)
                .await?;
        if now.status == "sent" {
            break;
        }
        if started.elapsed() > Duration::from_secs(600) {
            bail!(
                "the {slug} campaign is still `{}` after 10 minutes",
                now.status
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    #[derive(diesel::QueryableByName)]
    struct Span {
        #[diesel(sql_type = BigInt)]
        sent: i64,
        #[diesel(sql_type = Double)]
        per_sec: f64,
    }
    let span: Span = diesel::sql_query(
        "SELECT count(*) AS sent, (count(*) - 1)::float8 / \
           GREATEST(EXTRACT(EPOCH FROM max(sent_at) - min(sent_at))::float8, 0.001) AS per_sec \
         FROM newsletter_campaign_recipients WHERE campaign_id = $1 AND status = 'sent'",
    )
    .bind::<BigInt, _>(campaign.id)
    .get_result(&mut conn)
    .await?;
    if span.sent != n {
        bail!("the {slug} campaign sent {} of {n} mails", span.sent);
    }
    Ok(span.per_sec)
}
