//! The command line: `deploy <command> [args]`.

use shared::config::{VARIABLES, redact_url};
use shared::db::migrate;

pub const USAGE: &str = "\
Rose Ash operations

USAGE:
    cargo run -p deploy -- [--dry-run] [<command>]

With no command: rebuild, push and restart the apps changed since the last deploy (the
`deployed` git tag), then move the tag. --dry-run prints the exact commands instead.

SHIPPING (REGISTRY, TAG, STACK, BACKUP_DIR from the environment or .env):
    changed [--since REF] [--json]   apps to rebuild since REF (default: the last deploy)
    build APP... | --all             docker build the apps' images (tagged TAG and latest)
    push APP... | --all              docker push them
    restart APP... | --all           rolling-update the stack's services onto TAG
    stack                            docker stack deploy -c docker-compose.yml
    backup                           pg_dump the database and tar the media volume
    restore STAMP                    restore a backup (backups/rose_ash-STAMP.dump, media-STAMP.tar.gz)

DEVELOPMENT:
    dev            run the whole fleet locally (finds or starts PostgreSQL and Redis,
                   migrates, seeds demo content, serves the six apps on *.localhost:8001-8006)
    migrate        apply pending database migrations (DATABASE_URL)
    seed           add the demo content to an empty database (DATABASE_URL)
    bench sso      single sign-on figures: the SSO hop, code exchanges/s, Argon2id cost
    bench activitypub   inbox verified+stored/s, delivery to 10,000 followers on 1,000
                   hosts, RSA signatures/s against `openssl speed rsa2048`
    bench jobs     no-op jobs enqueued and run per second through the job queue (use --release)
    bench          measure the composed blog home page against the static-file ceiling
                   (use --release: `cargo run --release -p deploy -- bench [-c N] [-d SECS]`)
    bench blog     the blog's home and post pages, cached and rendered, against nginx serving
                   the same bytes and Ghost's figures (same flags; use --release)
    bench market   a product page from the page cache against nginx serving the same bytes;
                   the market's home, a search and a product page rendered, over 10,000
                   products; reading a product from a 500 KB page (same flags; use --release)
    bench cart     checkouts/s (order, snapshot, reservation, SumUp create) and webhooks
                   verified and applied/s, against the local SumUp simulator (-c in flight,
                   -d seconds of checkouts; use --release)
    bench events   a month page rendered and a calendar's iCal feed (500 events, 50 series),
                   and the widget's JSON (/embed/events.json, what <roseash-events> loads)
                   against nginx serving the same bytes (same flags; use --release)
    bench social   a member's home timeline (500 followed actors, 50,000 posts) rendered,
                   and signed Creates verified and stored/s (same flags; use --release)
    bench account  the member's dashboard with every section (wrk), campaign mails/s into an
                   SMTP sink unthrottled, and a throttled campaign's rate against the
                   configured one (same flags; use --release)
    serve APP      run one app in this process, configured from the environment
    config-table   print the configuration variables as a Markdown table
    help           show this
";

pub async fn run(args: Vec<String>) -> anyhow::Result<()> {
    let dry_run = args.iter().any(|a| a == "--dry-run");
    let args: Vec<String> = args.into_iter().filter(|a| a != "--dry-run").collect();
    let command = args.first().map(String::as_str).unwrap_or("ship");
    match command {
        "ship" | "changed" | "build" | "push" | "restart" | "stack" | "backup" | "restore" => {
            let mut out = std::io::stdout();
            crate::ship::run(command, &args[1.min(args.len())..], dry_run, &mut out)?;
            Ok(())
        }
        "dev" => crate::dev::run().await,
        "migrate" => {
            let url = database_url()?;
            let applied = migrate::run_pending(&url).await?;
            if applied.is_empty() {
                println!("{}: migrations up to date", redact_url(&url));
            } else {
                println!("{}: applied {}", redact_url(&url), applied.join(", "));
            }
            Ok(())
        }
        "seed" => {
            let config = shared::config::Config::from_env()?;
            let url = config.database.url.expose().to_owned();
            let outcome = crate::seed::seed(&url, &config).await?;
            println!("{}: {outcome:?}", redact_url(&url));
            Ok(())
        }
        "bench" if args.get(1).map(String::as_str) == Some("sso") => crate::bench_sso::run().await,
        "bench" if args.get(1).map(String::as_str) == Some("activitypub") => {
            crate::bench_ap::run().await
        }
        "bench" if args.get(1).map(String::as_str) == Some("jobs") => {
            crate::bench_jobs::run().await
        }
        "bench" if args.get(1).map(String::as_str) == Some("cart") => {
            crate::bench_cart::run(bench_options(&args[2..])?).await
        }
        "bench" if args.get(1).map(String::as_str) == Some("events") => {
            crate::bench_events::run(bench_options(&args[2..])?).await
        }
        "bench" if args.get(1).map(String::as_str) == Some("market") => {
            crate::bench_market::run(bench_options(&args[2..])?).await
        }
        "bench" if args.get(1).map(String::as_str) == Some("account") => {
            crate::bench_account::run(bench_options(&args[2..])?).await
        }
        "bench" if args.get(1).map(String::as_str) == Some("social") => {
            crate::bench_social::run(bench_options(&args[2..])?).await
        }
        "bench" if args.get(1).map(String::as_str) == Some("blog") => {
            crate::bench_blog::run(bench_options(&args[2..])?).await
        }
        "bench" => crate::bench::run(bench_options(&args[1..])?).await,
        "static-server" => {
            let (Some(file), Some(port)) = (args.get(1), args.get(2).and_then(|p| p.parse().ok()))
            else {
                anyhow::bail!("static-server FILE PORT");
            };
            crate::bench::static_server(std::path::Path::new(file), port).await
        }
        "serve" => {
            let app: shared::AppName = args.get(1).map(String::as_str).unwrap_or("").parse()?;
            shared::infrastructure::app::run_standalone(crate::fleet::spec(app)).await?;
            Ok(())
        }
        "config-table" => {
            print!("{}", config_table());
            Ok(())
        }
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => anyhow::bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}

/// `[-c CONNECTIONS] [-d SECONDS] [-t THREADS]` for the wrk benchmarks.
fn bench_options(args: &[String]) -> anyhow::Result<crate::bench::Options> {
    let mut options = crate::bench::Options::default();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().and_then(|v| v.parse::<u32>().ok());
        match (flag.as_str(), value) {
            ("-c", Some(v)) => options.connections = v,
            ("-d", Some(v)) => options.duration_secs = v,
            ("-t", Some(v)) => options.threads = v,
            _ => anyhow::bail!("bench takes -c CONNECTIONS, -d SECONDS and -t THREADS"),
        }
    }
    Ok(options)
}

fn database_url() -> anyhow::Result<String> {
    Ok(shared::config::Config::from_env()?
        .database
        .url
        .expose()
        .to_owned())
}

/// The README's configuration table: the fleet's variables, then each app's own section.
pub fn config_table() -> String {
    let mut out = String::from("| Variable | Default | Meaning |\n|---|---|---|\n");
    let apps = shared::AppName::ALL
        .iter()
        .flat_map(|app| crate::fleet::spec(*app).config_variables);
    let mail = shared::infrastructure::mail::DKIM_VARIABLES.iter();
    for v in VARIABLES.iter().chain(mail).chain(apps) {
        let default = if v.default.contains(' ') || v.default.contains('`') {
            v.default.to_owned()
        } else {
            format!("`{}`", v.default)
        };
        out.push_str(&format!("| `{}` | {default} | {} |\n", v.name, v.meaning));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_readme_lists_every_variable() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
        assert!(
            readme.contains(&super::config_table()),
            "README.md's config table is out of date: paste `cargo run -p deploy -- config-table`"
        );
    }
}
