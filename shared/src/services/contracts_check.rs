//! `shared::contracts` is the only door between apps and stays free of the database layer: its
//! traits take and return DTOs, its errors are its own. This test reads its sources (it lives
//! here because it has to name what it looks for).

use std::path::Path;

/// What must never appear in `src/contracts`: the ORM, the pool's errors, rows and queries.
const FORBIDDEN: [&str; 4] = ["diesel", "DbError", "crate::db", "crate::models"];

/// Every `.rs` file under `dir`, with its text (the layering checks read sources this way too).
pub(crate) fn sources(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read a source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            found.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("read a source file");
            found.push((path.display().to_string(), text));
        }
    }
    found
}

/// The lines of `sources` that name a forbidden word (any case), as `file:line: word`.
fn offences(sources: &[(String, String)]) -> Vec<String> {
    let mut offences = Vec::new();
    for (file, text) in sources {
        for (n, line) in text.lines().enumerate() {
            let lower = line.to_lowercase();
            for word in FORBIDDEN {
                if lower.contains(&word.to_lowercase()) {
                    offences.push(format!("{file}:{}: {word}", n + 1));
                }
            }
        }
    }
    offences
}

#[test]
fn contracts_mention_no_diesel_db_error_or_rows() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/contracts");
    let sources = sources(&dir);
    assert!(
        sources.iter().any(|(f, _)| f.ends_with("protocols.rs")),
        "the contracts' sources were not found under {}",
        dir.display()
    );
    let offences = offences(&sources);
    assert!(
        offences.is_empty(),
        "shared::contracts must stay free of the database layer:\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_check_sees_an_offence() {
    let offending = [(
        "protocols.rs".to_owned(),
        "use crate::db::DbError;\nimpl From<Diesel::result::Error> for X {}".to_owned(),
    )];
    assert_eq!(
        offences(&offending),
        [
            "protocols.rs:1: DbError",
            "protocols.rs:1: crate::db",
            "protocols.rs:2: diesel"
        ]
    );
}
