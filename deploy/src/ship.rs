//! The shipping commands of the CLI: arguments and environment in, [`ops`] plans out.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use shared::AppName;

use crate::ops::{self, DEPLOYED_TAG, OpsError, Target};

/// Variables from the environment, then from `.env` at the repository root.
pub struct Settings {
    env_file: HashMap<String, String>,
}

impl Settings {
    pub fn load(repo: &Path) -> Settings {
        let env_file = std::fs::read_to_string(repo.join(".env"))
            .map(|text| parse_env_file(&text))
            .unwrap_or_default();
        Settings { env_file }
    }

    pub fn get(&self, name: &str) -> Option<String> {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| self.env_file.get(name).cloned())
    }
}

/// `KEY=VALUE` lines; `#` comments; optional quotes around the value.
pub fn parse_env_file(text: &str) -> HashMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("export ").unwrap_or(l).split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_owned(),
                v.trim().trim_matches('"').trim_matches('\'').to_owned(),
            )
        })
        .collect()
}

fn repo_root() -> Result<PathBuf, OpsError> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .map_err(|_missing| OpsError::Missing("git", ""))?;
    if !out.status.success() {
        return Err(OpsError::Git("not inside a git repository".into()));
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn short_commit(repo: &Path) -> String {
    std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "latest".into())
}

pub fn target(repo: &Path, settings: &Settings) -> Target {
    Target {
        registry: settings.get("REGISTRY"),
        tag: settings.get("TAG").unwrap_or_else(|| short_commit(repo)),
        stack: settings.get("STACK").unwrap_or_else(|| "coop".into()),
        compose_file: "docker-compose.yml".into(),
        backup_dir: PathBuf::from(
            settings
                .get("BACKUP_DIR")
                .unwrap_or_else(|| "backups".into()),
        ),
    }
}

fn apps_from_args(args: &[String]) -> Result<BTreeSet<AppName>, OpsError> {
    if args.iter().any(|a| a == "--all") {
        return Ok(AppName::ALL.into_iter().collect());
    }
    if args.is_empty() {
        return Err(OpsError::Usage(
            "name the apps (blog market cart events federation account) or --all".into(),
        ));
    }
    args.iter()
        .map(|a| {
            a.parse::<AppName>()
                .map_err(|e| OpsError::Usage(e.to_string()))
        })
        .collect()
}

/// Runs one shipping command (`ship` is the no-argument default) from `repo`'s root.
pub fn run(
    command: &str,
    args: &[String],
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<(), OpsError> {
    let repo = repo_root()?;
    run_in(&repo, command, args, dry_run, out)
}

pub fn run_in(
    repo: &Path,
    command: &str,
    args: &[String],
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<(), OpsError> {
    let settings = Settings::load(repo);
    let target = target(repo, &settings);
    let steps = match command {
        "changed" => {
            let mut since = None;
            let mut json = false;
            let mut rest = args.iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "--since" => {
                        since = Some(rest.next().ok_or_else(|| {
                            OpsError::Usage("--since needs a git reference".into())
                        })?)
                    }
                    "--json" => json = true,
                    other => return Err(OpsError::Usage(format!("changed: unexpected `{other}`"))),
                }
            }
            let apps = ops::changed(repo, since.map(String::as_str))?;
            if json {
                let names: Vec<&str> = apps.iter().map(|a| a.as_str()).collect();
                writeln!(
                    out,
                    "{}",
                    serde_json::to_string(&names).unwrap_or_else(|_never| "[]".into())
                )?;
            } else {
                for app in apps {
                    writeln!(out, "{app}")?;
                }
            }
            return Ok(());
        }
        "build" => ops::plan_build(&target, &apps_from_args(args)?)?,
        "push" => ops::plan_push(&target, &apps_from_args(args)?)?,
        "restart" => ops::plan_restart(&target, &apps_from_args(args)?)?,
        "stack" => ops::plan_stack(&target)?,
        "backup" => ops::plan_backup(
            &target,
            &chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string(),
        ),
        "restore" => {
            let stamp = args
                .first()
                .ok_or_else(|| OpsError::Usage("restore needs the backup's STAMP".into()))?;
            ops::plan_restore(&target, stamp)
        }
        "ship" => {
            let apps = ops::changed(repo, None)?;
            if apps.is_empty() {
                writeln!(
                    out,
                    "nothing to deploy: no app changed since the last deploy"
                )?;
                return Ok(());
            }
            let mut steps = ops::plan_build(&target, &apps)?;
            steps.extend(ops::plan_push(&target, &apps)?);
            steps.extend(ops::plan_restart(&target, &apps)?);
            steps.push(ops::Step {
                program: "git".into(),
                args: vec![
                    "tag".into(),
                    "-f".into(),
                    DEPLOYED_TAG.into(),
                    "HEAD".into(),
                ],
                stdout: None,
                stdin: None,
            });
            steps
        }
        other => return Err(OpsError::Usage(format!("unknown command `{other}`"))),
    };
    ops::execute(&steps, dry_run, repo, out)
}
