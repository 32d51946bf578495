//! Shipping: `deploy changed` on a real git repository, `--dry-run` plans, and the stack, CI
//! workflow and Caddyfile checked against the workspace.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use deploy::ops::{self, OpsError};
use deploy::ship;
use serde_norway::Value;
use shared::AppName;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A scratch git repository shaped like ours.
struct Repo {
    dir: PathBuf,
}

impl Repo {
    fn new(tag: &str) -> Repo {
        let dir = std::env::temp_dir().join(format!("ra-ship-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let repo = Repo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.email", "ci@example.org"]);
        repo.git(&["config", "user.name", "CI"]);
        for file in [
            "Cargo.toml",
            "Cargo.lock",
            "README.md",
            "docker-compose.yml",
            "shared/src/lib.rs",
            "deploy/Caddyfile",
        ] {
            repo.write(file, "v1");
        }
        for app in AppName::ALL {
            repo.write(&format!("{app}/src/lib.rs"), "v1");
        }
        repo.commit("baseline");
        repo.git(&["tag", "deployed"]);
        repo
    }

    fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn commit(&self, message: &str) {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
    }

    /// Changes `paths`, commits, and returns the apps `deploy changed` names since `deployed`.
    fn change(&self, paths: &[&str]) -> Vec<&'static str> {
        self.git(&["reset", "-q", "--hard", "deployed"]);
        for p in paths {
            self.write(p, "v2");
        }
        self.commit("change");
        ops::changed(&self.dir, None)
            .unwrap()
            .into_iter()
            .map(AppName::as_str)
            .collect()
    }

    fn run(&self, command: &str, args: &[&str], dry_run: bool) -> Result<String, OpsError> {
        let mut out = Vec::new();
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        ship::run_in(&self.dir, command, &args, dry_run, &mut out)?;
        Ok(String::from_utf8(out).unwrap())
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const ALL: [&str; 6] = ["blog", "market", "cart", "events", "federation", "account"];

#[test]
fn changed_follows_each_rule() {
    let repo = Repo::new("changed");
    assert_eq!(
        repo.change(&["shared/src/lib.rs"]),
        ALL,
        "shared/ means all six"
    );
    assert_eq!(
        repo.change(&["Cargo.toml"]),
        ALL,
        "Cargo.toml means all six"
    );
    assert_eq!(
        repo.change(&["Cargo.lock"]),
        ALL,
        "Cargo.lock means all six"
    );
    assert_eq!(
        repo.change(&["deploy/Caddyfile"]),
        ALL,
        "deploy/ means all six"
    );
    assert_eq!(
        repo.change(&["docker-compose.yml"]),
        ALL,
        "docker-compose.yml means all six"
    );
    assert_eq!(
        repo.change(&["cart/src/lib.rs"]),
        ["cart"],
        "an app's directory means that app"
    );
    assert_eq!(
        repo.change(&["blog/templates/x.html", "events/src/lib.rs"]),
        ["blog", "events"]
    );
    assert!(
        repo.change(&["README.md", "docs/notes.md"]).is_empty(),
        "docs only means none"
    );

    // --since: against an explicit reference, and a clear error for an unknown one.
    repo.git(&["reset", "-q", "--hard", "deployed"]);
    repo.write("market/src/lib.rs", "v3");
    repo.commit("market");
    let base = repo.git(&["rev-parse", "HEAD"]);
    repo.write("account/src/lib.rs", "v3");
    repo.commit("account");
    assert_eq!(
        repo.run("changed", &["--since", base.trim()], false)
            .unwrap(),
        "account\n"
    );
    assert_eq!(
        repo.run("changed", &["--json"], false).unwrap(),
        "[\"market\",\"account\"]\n"
    );
    assert!(matches!(
        repo.run("changed", &["--since", "no-such-ref"], false),
        Err(OpsError::Git(_))
    ));

    // Nothing deployed yet: everything is new.
    repo.git(&["tag", "-d", "deployed"]);
    assert_eq!(ops::changed(&repo.dir, None).unwrap().len(), 6);
}

#[test]
fn dry_run_plans_print_the_exact_docker_commands() {
    let repo = Repo::new("plans");
    repo.write(
        ".env",
        "# settings\nREGISTRY=registry.test:5000\nTAG=abc123\nSTACK=coop\n",
    );

    assert_eq!(
        repo.run("build", &["blog"], true).unwrap(),
        "docker build -f blog/Dockerfile -t registry.test:5000/blog:abc123 -t registry.test:5000/blog:latest .\n"
    );
    assert_eq!(
        repo.run("push", &["cart", "events"], true).unwrap(),
        "docker push registry.test:5000/cart:abc123\ndocker push registry.test:5000/cart:latest\n\
         docker push registry.test:5000/events:abc123\ndocker push registry.test:5000/events:latest\n"
    );
    assert_eq!(
        repo.run("restart", &["account"], true).unwrap(),
        "docker service update --with-registry-auth --image registry.test:5000/account:abc123 --force coop_account\n"
    );
    assert_eq!(
        repo.run("build", &["--all"], true).unwrap().lines().count(),
        6
    );
    assert_eq!(
        repo.run("restart", &["--all"], true)
            .unwrap()
            .lines()
            .count(),
        6
    );
    assert_eq!(
        repo.run("stack", &[], true).unwrap(),
        "docker stack deploy --with-registry-auth --prune -c docker-compose.yml coop\n"
    );
    assert!(
        matches!(repo.run("build", &[], true), Err(OpsError::Usage(_))),
        "no apps named"
    );
    assert!(
        matches!(repo.run("build", &["shop"], true), Err(OpsError::Usage(_))),
        "unknown app"
    );

    // No arguments: what changed since the last deploy is built, pushed and restarted, then
    // the deploy is recorded.
    repo.write("market/src/lib.rs", "v2");
    repo.commit("market");
    let plan = repo.run("ship", &[], true).unwrap();
    assert_eq!(
        plan,
        "docker build -f market/Dockerfile -t registry.test:5000/market:abc123 -t registry.test:5000/market:latest .\n\
         docker push registry.test:5000/market:abc123\ndocker push registry.test:5000/market:latest\n\
         docker service update --with-registry-auth --image registry.test:5000/market:abc123 --force coop_market\n\
         git tag -f deployed HEAD\n"
    );
    let backup = repo.run("backup", &[], true).unwrap();
    assert!(
        backup.contains("pg_dump -U rose_ash -Fc rose_ash")
            && backup.contains("coop_media:/media:ro"),
        "{backup}"
    );
    let restore = repo.run("restore", &["20260101T000000Z"], true).unwrap();
    assert!(
        restore.contains("pg_restore")
            && restore.contains("< backups/rose_ash-20260101T000000Z.dump"),
        "{restore}"
    );
}

#[test]
fn a_missing_registry_is_a_clear_error() {
    let repo = Repo::new("noregistry");
    if std::env::var_os("REGISTRY").is_some() {
        return; // the environment names one; nothing to check here
    }
    let err = repo.run("build", &["blog"], true).unwrap_err();
    assert!(matches!(err, OpsError::NoRegistry));
    assert!(err.to_string().contains("REGISTRY"));
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    let mut value: Value =
        serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    value.apply_merge().unwrap();
    value
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .map(|s| {
            s.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The app crates of the workspace, read from Cargo.toml.
fn app_crates() -> BTreeSet<String> {
    let manifest = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    let members = manifest
        .split("members = [")
        .nth(1)
        .unwrap()
        .split(']')
        .next()
        .unwrap();
    members
        .split(',')
        .map(|m| m.trim().trim_matches('"').to_owned())
        .filter(|m| !m.is_empty() && m != "shared" && m != "deploy")
        .collect()
}

#[test]
fn the_stack_has_a_service_and_a_dockerfile_for_every_app() {
    let apps = app_crates();
    assert_eq!(apps.len(), 6);
    let stack = yaml(&workspace().join("docker-compose.yml"));
    let services = stack["services"].as_mapping().unwrap();
    for infra in ["postgres", "redis"] {
        assert!(services.contains_key(infra), "{infra} service");
    }
    assert!(
        stack["services"]["postgres"]["image"]
            .as_str()
            .unwrap()
            .starts_with("postgres:16")
    );
    assert!(
        stack["services"]["redis"]["image"]
            .as_str()
            .unwrap()
            .starts_with("redis:7")
    );
    assert!(!strings(&stack["services"]["postgres"]["volumes"]).is_empty());
    assert!(!strings(&stack["services"]["redis"]["volumes"]).is_empty());

    for app in &apps {
        let s = &stack["services"][app.as_str()];
        assert!(s.is_mapping(), "a service for {app}");
        assert_eq!(
            s["image"].as_str().unwrap(),
            format!("${{REGISTRY:?set REGISTRY}}/{app}:${{TAG:-latest}}")
        );
        let health = strings(&s["healthcheck"]["test"]);
        assert_eq!(
            health,
            [
                "CMD".to_owned(),
                format!("/usr/local/bin/{app}"),
                "--healthcheck".to_owned()
            ]
        );
        let update = &s["deploy"]["update_config"];
        assert_eq!(update["order"].as_str(), Some("start-first"), "{app}");
        assert_eq!(update["failure_action"].as_str(), Some("rollback"), "{app}");
        assert!(s["deploy"]["replicas"].as_u64().unwrap() >= 1);
        assert!(
            s["deploy"]["restart_policy"].is_mapping()
                && s["deploy"]["resources"]["limits"].is_mapping()
        );
        assert!(
            s.get("ports").is_none(),
            "{app} publishes no ports: only the proxy reaches it"
        );
        let networks = strings(&s["networks"]);
        assert!(
            networks.contains(&"backend".to_owned()) && networks.contains(&"proxy".to_owned()),
            "{app}"
        );
        let secrets = strings(&s["secrets"]);
        for secret in [
            "db_password",
            "internal_secret",
            "activitypub_private_key",
            &format!("oauth_client_secret_{app}"),
        ] {
            assert!(
                secrets.iter().any(|x| x == secret),
                "{app} gets the {secret} secret"
            );
            assert!(
                stack["secrets"][secret].is_mapping(),
                "{secret} is declared"
            );
        }
        let env = &s["environment"];
        for var in [
            "DATABASE_PASSWORD_FILE",
            "INTERNAL_SECRET_FILE",
            "ACTIVITYPUB_PRIVATE_KEY_FILE",
            "OAUTH_CLIENT_SECRET_FILE",
        ] {
            assert!(
                env[var].as_str().unwrap().starts_with("/run/secrets/"),
                "{app} reads {var} from a secret"
            );
        }
        let migrates = env["RUN_MIGRATIONS"].as_str() == Some("true");
        assert_eq!(migrates, app == "blog", "only blog migrates ({app})");

        let dockerfile = std::fs::read_to_string(workspace().join(app).join("Dockerfile"))
            .unwrap_or_else(|_| panic!("{app}/Dockerfile"));
        for needle in [
            "cargo chef cook --release",
            &format!("cargo build --release --package {app} --bin {app}"),
            "FROM debian:bookworm-slim",
            "ca-certificates libssl3",
            "USER 10001",
            "EXPOSE 8000",
            "STOPSIGNAL SIGTERM",
            &format!(
                "HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD [\"/usr/local/bin/{app}\", \"--healthcheck\"]"
            ),
        ] {
            assert!(
                dockerfile.contains(needle),
                "{app}/Dockerfile has `{needle}`"
            );
        }
        assert!(
            !dockerfile.contains("curl"),
            "{app}: the health check needs no curl"
        );
    }
    // Postgres and Redis sit on the internal network only.
    assert_eq!(
        strings(&stack["services"]["postgres"]["networks"]),
        ["backend"]
    );
    assert_eq!(
        stack["networks"]["backend"]["internal"].as_bool(),
        Some(true)
    );
    assert_eq!(
        stack["networks"]["backend"]["driver"].as_str(),
        Some("overlay")
    );
    assert!(workspace().join(".dockerignore").exists());
    let env_example = std::fs::read_to_string(workspace().join(".env.example")).unwrap();
    for var in [
        "REGISTRY=",
        "TAG=",
        "DOMAIN=",
        "ACME_EMAIL=",
        "PROXY_NETWORK=",
    ] {
        assert!(env_example.contains(var), ".env.example documents {var}");
    }
}

#[test]
fn caddy_serves_each_app_and_never_internal() {
    let caddyfile = std::fs::read_to_string(workspace().join("deploy/Caddyfile")).unwrap();
    let snippet = caddyfile
        .split("(rose_ash) {")
        .nth(1)
        .unwrap()
        .split("\n}\n")
        .next()
        .unwrap();
    assert!(
        snippet.contains("@private path /internal /internal/*"),
        "the snippet matches /internal"
    );
    assert!(snippet.contains("respond @private"), "and refuses it");
    for app in app_crates() {
        let site = caddyfile
            .split(&format!("{app}.{{$DOMAIN}} {{"))
            .nth(1)
            .unwrap_or_else(|| panic!("a site block for {app}"))
            .split("\n}\n")
            .next()
            .unwrap();
        assert!(
            site.contains("import rose_ash"),
            "{app} imports the snippet"
        );
        assert!(
            site.contains(&format!("reverse_proxy {app}:8000")),
            "{app} proxies to its service"
        );
        assert!(
            !site.contains("tls internal") && !site.contains("auto_https off"),
            "HTTPS stays automatic"
        );
    }
}

#[test]
fn the_workflow_tests_then_ships_what_changed() {
    let workflow = yaml(&workspace().join(".gitea/workflows/ci.yml"));
    assert_eq!(strings(&workflow["on"]["push"]["branches"]), ["main"]);
    let jobs = &workflow["jobs"];
    let test = &jobs["test"];
    assert!(test["services"]["postgres"].is_mapping() && test["services"]["redis"].is_mapping());
    let runs: Vec<String> = test["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str().map(str::to_owned))
        .collect();
    for command in [
        "cargo fmt --all -- --check",
        "cargo clippy --workspace --all-targets -- -D warnings",
        "cargo test --workspace",
    ] {
        assert!(
            runs.iter().any(|r| r.contains(command)),
            "the test job runs {command}"
        );
    }
    let changes = serde_norway::to_string(&jobs["changes"]).unwrap();
    assert!(
        changes.contains("deploy -- changed"),
        "the workflow asks `deploy changed`"
    );
    assert_eq!(
        strings(&jobs["changes"]["needs"]).len()
            + usize::from(jobs["changes"]["needs"].as_str() == Some("test")),
        1
    );
    let build = &jobs["build"];
    assert!(
        build["strategy"]["matrix"]["app"]
            .as_str()
            .unwrap()
            .contains("needs.changes.outputs.apps"),
        "one build per changed app"
    );
    let deploy = serde_norway::to_string(&jobs["deploy"]).unwrap();
    assert!(deploy.contains("secrets.DEPLOY_SSH_KEY") && deploy.contains("secrets.DEPLOY_HOST"));
    assert!(deploy.contains("docker stack deploy"));
}

/// `-c name=value` settings of a `postgres` command.
fn postgres_setting(command: &[String], name: &str) -> Option<u32> {
    command
        .windows(2)
        .filter(|w| w[0] == "-c")
        .find_map(|w| w[1].strip_prefix(&format!("{name}=")))
        .map(|v| v.parse().unwrap())
}

#[test]
fn postgres_has_connections_for_every_replica_mid_update() {
    use deploy::capacity::{self, Service};
    let stack = yaml(&workspace().join("docker-compose.yml"));
    let services: Vec<Service> = AppName::ALL
        .iter()
        .map(|&app| {
            let s = &stack["services"][app.as_str()];
            Service {
                app,
                replicas: u32::try_from(s["deploy"]["replicas"].as_u64().unwrap()).unwrap(),
                // The apps' default when the stack leaves it out.
                pool_size: s["environment"]["DB_POOL_SIZE"]
                    .as_str()
                    .map_or(8, |v| v.parse().unwrap()),
            }
        })
        .collect();
    let peak = capacity::peak_connections(&services);
    let command = strings(&stack["services"]["postgres"]["command"]);
    // PostgreSQL's defaults apply to whatever the stack leaves unset.
    let max = postgres_setting(&command, "max_connections").unwrap_or(100);
    let reserved = postgres_setting(&command, "superuser_reserved_connections").unwrap_or(3);
    assert!(
        capacity::fits(peak, max, reserved),
        "{peak} connections at peak, but max_connections {max} less {reserved} reserved"
    );
}

#[test]
fn caches_have_their_own_redis_and_security_state_is_never_evicted() {
    let stack = yaml(&workspace().join("docker-compose.yml"));
    let policy = |service: &str| {
        let command = strings(&stack["services"][service]["command"]);
        command
            .windows(2)
            .find(|w| w[0] == "--maxmemory-policy")
            .map(|w| w[1].clone())
    };
    assert_eq!(policy("redis").as_deref(), Some("noeviction"));
    assert_eq!(policy("redis-cache").as_deref(), Some("allkeys-lru"));
    for app in AppName::ALL {
        let env = &stack["services"][app.as_str()]["environment"];
        assert_eq!(env["REDIS_URL"].as_str(), Some("redis://redis:6379/0"));
        assert_eq!(
            env["REDIS_CACHE_URL"].as_str(),
            Some("redis://redis-cache:6379/0")
        );
        assert!(
            env["TRUSTED_PROXIES"]
                .as_str()
                .is_some_and(|v| v.contains("PROXY_SUBNET")),
            "{app} trusts the proxy network only"
        );
    }
    let env_example = std::fs::read_to_string(workspace().join(".env.example")).unwrap();
    assert!(env_example.contains("PROXY_SUBNET="));
}
