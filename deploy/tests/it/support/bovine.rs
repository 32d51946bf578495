//! A third-party ActivityPub peer for the federation tests: `tests/peer/bovine_peer.py`, built
//! from Python's `bovine` (its actor, WebFinger, signing and signature verification), run as a
//! separate process over plain HTTP on loopback. Used by `federation::bovine` (the blog),
//! `market::federation` (`@market`'s listings) and `events::federation` (Events, Join/Leave).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::eventually;

const BOVINE: &str = "bovine[server]==0.5.19";

/// A Python with bovine: the system's if it has it, else a venv made once under target/.
fn python() -> &'static PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let has_bovine = |python: &PathBuf| {
            Command::new(python)
                .args(["-c", "import bovine.testing.server, hypercorn"])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let system = PathBuf::from("python3");
        if has_bovine(&system) {
            return system;
        }
        let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bovine-venv");
        let python = venv.join("bin/python");
        if !has_bovine(&python) {
            let made = Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .expect("python3 is needed for the bovine peer");
            assert!(made.success(), "python3 -m venv failed");
            let installed = Command::new(&python)
                .args(["-m", "pip", "install", "--quiet", BOVINE])
                .status()
                .expect("pip");
            assert!(installed.success(), "pip install {BOVINE} failed");
        }
        python
    })
}

/// The peer process (killed on drop).
pub struct Peer {
    child: Child,
    pub port: u16,
    http: reqwest::Client,
}

impl Peer {
    pub async fn start() -> Peer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peer/bovine_peer.py");
        let child = Command::new(python())
            .arg(script)
            .arg(port.to_string())
            .env("BOVINE_TEST_HOSTNAME", format!("peer.localhost:{port}"))
            .env("BOVINE_TEST_NAME", "buttercup")
            .stdout(Stdio::null())
            .spawn()
            .expect("starting the bovine peer");
        let peer = Peer {
            child,
            port,
            http: reqwest::Client::new(),
        };
        eventually(30, "the bovine peer to listen", || async {
            peer.http
                .get(peer.url("/actor"))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        })
        .await;
        peer
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn actor(&self) -> String {
        format!("http://peer.localhost:{}/actor", self.port)
    }

    pub async fn call(&self, path: &str, body: Value) -> Value {
        let res = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "peer {path}: {}", res.status());
        res.json().await.unwrap()
    }

    /// What the peer's inbox accepted (each with the verified key owner).
    pub async fn received(&self) -> Vec<Value> {
        let v: Value = self
            .http
            .get(self.url("/_received"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        v["received"].as_array().cloned().unwrap_or_default()
    }

    pub async fn received_where(&self, f: impl Fn(&Value) -> bool) -> Vec<Value> {
        self.received().await.into_iter().filter(|r| f(r)).collect()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
