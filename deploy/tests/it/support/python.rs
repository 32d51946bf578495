//! Third-party Python oracles (dkimpy, http-message-signatures, extruct…): a Python that can
//! import the library, the system's if it has it, else a venv made once under target/ with the
//! pinned requirement installed from PyPI.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A Python that can run `import {modules}`; `None` (the caller skips, saying why) only when
/// `requirement` cannot be installed into the venv `venv_name`.
pub fn with(venv_name: &str, modules: &str, requirement: &str) -> Option<PathBuf> {
    let has = |python: &PathBuf| {
        Command::new(python)
            .args(["-c", &format!("import {modules}")])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let system = PathBuf::from("python3");
    if has(&system) {
        return Some(system);
    }
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(venv_name);
    let python = venv.join("bin/python");
    if has(&python) {
        return Some(python);
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success());
    let installed = made
        && Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", requirement])
            .status()
            .is_ok_and(|s| s.success());
    if installed && has(&python) {
        Some(python)
    } else {
        eprintln!("SKIPPED: {requirement} could not be installed into {venv:?}");
        None
    }
}
