//! `deploy dev`: the whole fleet on one machine, one command.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use shared::config::{Config, Secret, redact_url};
use shared::db::migrate;
use shared::devenv;
use shared::{AppName, infrastructure::telemetry};

use crate::fleet::Fleet;
use crate::mail_sink::MailSink;
use crate::seed::{self, Seeded};

/// The database `deploy dev` uses when `DATABASE_URL` is not set.
pub const DEV_DATABASE: &str = "rose_ash";

/// Where private PostgreSQL/Redis servers keep their data.
pub fn state_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("dev-services")
}

/// Finds or starts PostgreSQL and Redis, prepares the database, and returns the config to run
/// the fleet with plus what was found.
pub async fn prepare() -> anyhow::Result<(Config, devenv::DevServices)> {
    let services = devenv::ensure(DEV_DATABASE, &state_dir()).await?;
    for note in &services.notes {
        println!("  · {note}");
    }
    if devenv::create_database_if_missing(&services.database_url).await? {
        println!(
            "  · created database {}",
            redact_url(&services.database_url)
        );
    }
    let applied = migrate::run_pending(&services.database_url).await?;
    if applied.is_empty() {
        println!("  · migrations up to date");
    } else {
        println!("  · applied migrations: {}", applied.join(", "));
    }
    // Payments go to a local SumUp simulator unless SUMUP_API_URL names a SumUp.
    let sumup = crate::sumup_sim::start_for_dev()?;
    let mut config = Config::from_lookup(move |name| {
        sumup
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| std::env::var(name).ok())
    })?;
    if config.smtp_url.is_none() {
        // Mail (sign-up confirmations, password resets) goes to a local SMTP sink: each message
        // is printed here with its links and kept under target/dev-mail.
        let dir = state_dir().with_file_name("dev-mail");
        let sink = MailSink::start(0, Some(dir.clone()))?;
        println!(
            "  · mail goes to a local SMTP sink on {} (messages in {})",
            sink.url(),
            dir.display()
        );
        config.smtp_url = Some(Secret::new(sink.url()));
    }
    config.database.url = Secret::new(services.database_url.clone());
    // The dev fleet federates with itself and with peers on this machine.
    config.federation_allow_loopback = true;
    config.redis.url = Secret::new(services.redis_url.clone());
    // One Redis in dev: the caches share it (the stack gives them their own).
    config.cache_redis.url = Secret::new(services.redis_url.clone());
    config.run_migrations = false;
    if std::env::var_os("MEDIA_DIR").is_none() {
        // Uploaded images stay with the rest of the dev state, out of the source tree.
        config.media_dir = state_dir().with_file_name("dev-media");
    }
    Ok((config, services))
}

pub async fn run() -> anyhow::Result<()> {
    println!("Rose Ash dev fleet");
    let (config, services) = prepare().await?;
    telemetry::init(config.log_format);
    let ports = AppName::ALL.map(AppName::default_port);
    let result = async {
        let mut seed_config = config.clone();
        for app in AppName::ALL {
            seed_config
                .apps
                .set(app, app.default_public_url(), app.default_public_url());
        }
        match seed::seed(&services.database_url, &seed_config).await? {
            Seeded::Created => println!(
                "  · seeded demo content: members ada (admin), grace (editor) and {}, password `{}`",
                seed::DEMO_USER,
                seed::DEMO_PASSWORD
            ),
            Seeded::AlreadyThere => println!("  · demo content already there"),
        }
        let fleet = Fleet::start(config, IpAddr::V4(Ipv4Addr::LOCALHOST), Some(ports)).await?;
        println!("\nThe fleet is up:");
        for app in fleet.apps() {
            println!("  {:<11} {}", app.name.as_str(), app.url);
        }
        println!("\nPress Ctrl-C to stop.");
        tokio::signal::ctrl_c().await?;
        println!("\nStopping…");
        fleet.stop().await;
        anyhow::Ok(())
    }
    .await;
    services.stop_started().await;
    result
}
