//! `activitypub` is a protocol library beneath the app: it takes its dependencies explicitly
//! ([`super::ActivityPub`], a pool, the config) and never names the app factory or its context,
//! while in `infrastructure` only the factory (`app.rs`) and the protocol's web face
//! (`activitypub_web.rs`) name `activitypub`. So the two modules no longer import each other in
//! a circle. This test reads the sources and fails on a line that breaks the rule.

use std::path::Path;

use crate::services::contracts_check::sources;

/// Lines of `sources` (`(file, text)`) naming any of `words`, as `file:line: word`.
fn naming(sources: &[(String, String)], words: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (file, text) in sources {
        for (n, line) in text.lines().enumerate() {
            for word in words {
                if line.contains(word) {
                    found.push(format!("{file}:{}: {word}", n + 1));
                }
            }
        }
    }
    found
}

fn src(dir: &str) -> Vec<(String, String)> {
    let found = sources(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir));
    assert!(!found.is_empty(), "no sources under src/{dir}");
    found
}

/// The factory and the web face, which compose the protocol into an app.
const COMPOSERS: [&str; 2] = ["app.rs", "activitypub_web.rs"];

#[test]
fn activitypub_never_names_the_app_factory() {
    // Split so that this file does not name them itself.
    let words = [
        concat!("AppCon", "text"),
        concat!("infrastructure::", "app"),
    ];
    let found = naming(&src("activitypub"), &words);
    assert!(
        found.is_empty(),
        "activitypub takes its dependencies explicitly, not the app's context:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_the_factory_and_the_web_face_name_activitypub() {
    let others: Vec<_> = src("infrastructure")
        .into_iter()
        .filter(|(file, _)| !COMPOSERS.iter().any(|c| file.ends_with(c)))
        .collect();
    let found = naming(&others, &[concat!("crate::", "activitypub")]);
    assert!(
        found.is_empty(),
        "infrastructure below the app factory must not depend on activitypub:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_an_offence() {
    let word = concat!("infrastructure::", "app");
    let offending = [("keys.rs".to_owned(), format!("use crate::{word}::Context;"))];
    assert_eq!(naming(&offending, &[word]), [format!("keys.rs:1: {word}")]);
}
