//! The command line: `deploy <command> [args]`.

use shared::config::{VARIABLES, redact_url};
use shared::db::migrate;

pub const USAGE: &str = "\
Rose Ash operations

USAGE:
    cargo run -p deploy -- <command>

COMMANDS:
    dev            run the whole fleet locally (finds or starts PostgreSQL and Redis,
                   migrates, seeds demo content, serves the six apps on *.localhost:8001-8006)
    migrate        apply pending database migrations (DATABASE_URL)
    seed           add the demo content to an empty database (DATABASE_URL)
    config-table   print the configuration variables as a Markdown table
    help           show this
";

pub async fn run(args: Vec<String>) -> anyhow::Result<()> {
    let command = args.first().map(String::as_str).unwrap_or("help");
    match command {
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

fn database_url() -> anyhow::Result<String> {
    Ok(shared::config::Config::from_env()?
        .database
        .url
        .expose()
        .to_owned())
}

/// The README's configuration table.
pub fn config_table() -> String {
    let mut out = String::from("| Variable | Default | Meaning |\n|---|---|---|\n");
    for v in VARIABLES {
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
