//! Shipping: which apps changed, and the docker commands that build, push, restart and deploy
//! them, back up and restore. Every command is planned first as a list of [`Step`]s, so
//! `--dry-run` prints exactly what would run.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use shared::AppName;

/// The git tag that records the last deploy.
pub const DEPLOYED_TAG: &str = "deployed";

#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("{0} is not installed or not on PATH{1}")]
    Missing(&'static str, &'static str),
    #[error(
        "REGISTRY is not set: name the image registry (e.g. REGISTRY=registry.example.com:5000), see .env.example"
    )]
    NoRegistry,
    #[error("git: {0}")]
    Git(String),
    #[error("`{command}` failed ({status})")]
    Failed { command: String, status: String },
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The apps a change to `paths` requires rebuilding. A change to `shared/`, `Cargo.toml`,
/// `Cargo.lock`, `deploy/`, `docker-compose.yml` or `rust-toolchain.toml` rebuilds all six; one
/// under `<app>/` rebuilds that app; anything else (docs, CI config) rebuilds nothing.
pub fn apps_for_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> BTreeSet<AppName> {
    let mut apps = BTreeSet::new();
    for path in paths {
        let path = path.trim().trim_start_matches("./");
        let top = path.split('/').next().unwrap_or("");
        let is_dir = path.contains('/');
        match top {
            "Cargo.toml"
            | "Cargo.lock"
            | "docker-compose.yml"
            | "rust-toolchain.toml"
            | ".dockerignore"
                if !is_dir =>
            {
                return AppName::ALL.into_iter().collect();
            }
            "shared" | "deploy" if is_dir => return AppName::ALL.into_iter().collect(),
            other if is_dir => {
                if let Ok(app) = other.parse::<AppName>() {
                    apps.insert(app);
                }
            }
            _ => {}
        }
    }
    apps
}

fn git(repo: &Path, args: &[&str]) -> Result<String, OpsError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()
        .map_err(|_missing| OpsError::Missing("git", ""))?;
    if !out.status.success() {
        return Err(OpsError::Git(
            String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Apps changed between `since` (a commit, branch or tag; by default the `deployed` tag) and
/// HEAD. Without `since` and with nothing deployed yet, every app is new.
pub fn changed(repo: &Path, since: Option<&str>) -> Result<BTreeSet<AppName>, OpsError> {
    let exists = |reference: &str| {
        git(
            repo,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{reference}^{{commit}}"),
            ],
        )
        .is_ok()
    };
    let base = match since {
        Some(reference) if exists(reference) => reference,
        Some(reference) => return Err(OpsError::Git(format!("unknown reference `{reference}`"))),
        None if exists(DEPLOYED_TAG) => DEPLOYED_TAG,
        None => return Ok(AppName::ALL.into_iter().collect()),
    };
    let diff = git(repo, &["diff", "--name-only", &format!("{base}...HEAD")])?;
    Ok(apps_for_paths(diff.lines()))
}

/// One command of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub program: String,
    pub args: Vec<String>,
    /// Where stdout goes (a backup file), if not the terminal.
    pub stdout: Option<PathBuf>,
    /// A file fed to stdin (a restore), if any.
    pub stdin: Option<PathBuf>,
}

impl Step {
    fn new(program: &str, args: &[&str]) -> Step {
        Step {
            program: program.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            stdout: None,
            stdin: None,
        }
    }
}

fn quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%".contains(&b))
    {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", quote(&self.program))?;
        for arg in &self.args {
            write!(f, " {}", quote(arg))?;
        }
        if let Some(path) = &self.stdin {
            write!(f, " < {}", quote(&path.to_string_lossy()))?;
        }
        if let Some(path) = &self.stdout {
            write!(f, " > {}", quote(&path.to_string_lossy()))?;
        }
        Ok(())
    }
}

/// What the plans need to know.
#[derive(Debug, Clone)]
pub struct Target {
    pub registry: Option<String>,
    pub tag: String,
    pub stack: String,
    pub compose_file: String,
    pub backup_dir: PathBuf,
}

impl Target {
    pub fn registry(&self) -> Result<&str, OpsError> {
        self.registry
            .as_deref()
            .filter(|r| !r.is_empty())
            .ok_or(OpsError::NoRegistry)
    }

    fn image(&self, app: AppName, tag: &str) -> Result<String, OpsError> {
        Ok(format!("{}/{app}:{tag}", self.registry()?))
    }
}

pub fn plan_build(target: &Target, apps: &BTreeSet<AppName>) -> Result<Vec<Step>, OpsError> {
    apps.iter()
        .map(|app| {
            let dockerfile = format!("{app}/Dockerfile");
            let tagged = target.image(*app, &target.tag)?;
            let latest = target.image(*app, "latest")?;
            Ok(Step::new(
                "docker",
                &[
                    "build",
                    "-f",
                    &dockerfile,
                    "-t",
                    &tagged,
                    "-t",
                    &latest,
                    ".",
                ],
            ))
        })
        .collect()
}

pub fn plan_push(target: &Target, apps: &BTreeSet<AppName>) -> Result<Vec<Step>, OpsError> {
    let mut steps = Vec::new();
    for app in apps {
        steps.push(Step::new(
            "docker",
            &["push", &target.image(*app, &target.tag)?],
        ));
        steps.push(Step::new(
            "docker",
            &["push", &target.image(*app, "latest")?],
        ));
    }
    Ok(steps)
}

/// Rolling restart onto the new image (the stack's update_config makes it start-first).
pub fn plan_restart(target: &Target, apps: &BTreeSet<AppName>) -> Result<Vec<Step>, OpsError> {
    apps.iter()
        .map(|app| {
            let service = format!("{}_{app}", target.stack);
            let image = target.image(*app, &target.tag)?;
            Ok(Step::new(
                "docker",
                &[
                    "service",
                    "update",
                    "--with-registry-auth",
                    "--image",
                    &image,
                    "--force",
                    &service,
                ],
            ))
        })
        .collect()
}

pub fn plan_stack(target: &Target) -> Result<Vec<Step>, OpsError> {
    target.registry()?;
    Ok(vec![Step::new(
        "docker",
        &[
            "stack",
            "deploy",
            "--with-registry-auth",
            "--prune",
            "-c",
            &target.compose_file,
            &target.stack,
        ],
    )])
}

fn container_of(target: &Target, service: &str) -> String {
    format!(
        "$(docker ps -q -f name={}_{service} | head -n1)",
        target.stack
    )
}

/// `pg_dump` of the database (custom format) and a tarball of the media volume.
pub fn plan_backup(target: &Target, stamp: &str) -> Vec<Step> {
    let dump = target.backup_dir.join(format!("rose_ash-{stamp}.dump"));
    let media = format!("{}:/backup", target.backup_dir.display());
    let volume = format!("{}_media:/media:ro", target.stack);
    let mut pg_dump = Step::new(
        "sh",
        &[
            "-c",
            &format!(
                "docker exec {} pg_dump -U rose_ash -Fc rose_ash",
                container_of(target, "postgres")
            ),
        ],
    );
    pg_dump.stdout = Some(dump);
    vec![
        Step::new("mkdir", &["-p", &target.backup_dir.to_string_lossy()]),
        pg_dump,
        Step::new(
            "docker",
            &[
                "run",
                "--rm",
                "-v",
                &volume,
                "-v",
                &media,
                "debian:bookworm-slim",
                "tar",
                "czf",
                &format!("/backup/media-{stamp}.tar.gz"),
                "-C",
                "/media",
                ".",
            ],
        ),
    ]
}

/// Restores a backup made by [`plan_backup`] (`stamp` names it).
pub fn plan_restore(target: &Target, stamp: &str) -> Vec<Step> {
    let dump = target.backup_dir.join(format!("rose_ash-{stamp}.dump"));
    let media = format!("{}:/backup:ro", target.backup_dir.display());
    let volume = format!("{}_media:/media", target.stack);
    let mut pg_restore = Step::new(
        "sh",
        &[
            "-c",
            &format!(
                "docker exec -i {} pg_restore -U rose_ash -d rose_ash --clean --if-exists --no-owner",
                container_of(target, "postgres")
            ),
        ],
    );
    pg_restore.stdin = Some(dump);
    vec![
        pg_restore,
        Step::new(
            "docker",
            &[
                "run",
                "--rm",
                "-v",
                &volume,
                "-v",
                &media,
                "debian:bookworm-slim",
                "sh",
                "-c",
                &format!("rm -rf /media/* && tar xzf /backup/media-{stamp}.tar.gz -C /media"),
            ],
        ),
    ]
}

/// Runs `steps` in order in `cwd` (stopping at the first failure), or prints them with `dry_run`.
pub fn execute(
    steps: &[Step],
    dry_run: bool,
    cwd: &Path,
    out: &mut dyn std::io::Write,
) -> Result<(), OpsError> {
    if dry_run {
        for step in steps {
            writeln!(out, "{step}")?;
        }
        return Ok(());
    }
    for program in steps
        .iter()
        .map(|s| s.program.as_str())
        .collect::<BTreeSet<_>>()
    {
        if program == "docker" && Command::new("docker").arg("--version").output().is_err() {
            return Err(OpsError::Missing(
                "docker",
                " (install Docker, or use --dry-run to see the commands)",
            ));
        }
    }
    for step in steps {
        writeln!(out, "+ {step}")?;
        let mut command = Command::new(&step.program);
        command.args(&step.args).current_dir(cwd);
        if let Some(path) = &step.stdout {
            command.stdout(std::fs::File::create(path)?);
        }
        if let Some(path) = &step.stdin {
            command.stdin(std::fs::File::open(path)?);
        }
        let status = command
            .status()
            .map_err(|_missing| OpsError::Missing("a required program", ""))?;
        if !status.success() {
            return Err(OpsError::Failed {
                command: step.to_string(),
                status: status.to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(apps: BTreeSet<AppName>) -> Vec<&'static str> {
        apps.into_iter().map(AppName::as_str).collect()
    }

    #[test]
    fn paths_map_to_apps() {
        assert_eq!(names(apps_for_paths(["blog/src/lib.rs"])), ["blog"]);
        assert_eq!(
            names(apps_for_paths([
                "cart/templates/cart.html",
                "events/Dockerfile"
            ])),
            ["cart", "events"]
        );
        assert_eq!(apps_for_paths(["shared/src/lib.rs"]).len(), 6);
        assert_eq!(apps_for_paths(["Cargo.lock"]).len(), 6);
        assert_eq!(apps_for_paths(["deploy/Caddyfile"]).len(), 6);
        assert_eq!(apps_for_paths(["docker-compose.yml"]).len(), 6);
        assert!(apps_for_paths(["README.md", ".gitea/workflows/ci.yml", "docs/x.md"]).is_empty());
        assert!(apps_for_paths(["blogs/x"]).is_empty());
    }

    #[test]
    fn steps_print_as_shell() {
        let mut s = Step::new("sh", &["-c", "echo 'hi' there"]);
        s.stdout = Some(PathBuf::from("backups/x y.dump"));
        assert_eq!(
            s.to_string(),
            r"sh -c 'echo '\''hi'\'' there' > 'backups/x y.dump'"
        );
    }
}
