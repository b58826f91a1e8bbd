//! `cargo run` builds the CLI, Tokio included, and the learner's first check then builds the
//! exercises. Cargo resolves features per command, so the check reuses the CLI's Tokio only if
//! every crate the two builds share gets the same features in both; one differing feature and
//! Tokio, mio, socket2 and libc are compiled again (about 5 s on 2 cores).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// The platforms learners use, with the CI's cross targets among them.
const TARGETS: [&str; 5] = [
    "x86_64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-gnu",
    "x86_64-pc-windows-msvc",
];

/// Each crate in `package`'s normal and build dependencies on `target`, with its features.
fn features(package: &str, target: &str) -> BTreeMap<String, BTreeSet<String>> {
    let output = Command::new(env!("CARGO"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args([
            "tree",
            "--quiet",
            "--edges",
            "features,normal,build",
            "--prefix",
            "none",
        ])
        .args(["--package", package, "--target", target])
        .output()
        .expect("run cargo tree");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "cargo tree for {package} on {target} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut crates: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in stdout.lines() {
        // `name vX.Y.Z (...)` for a crate, `name feature "f"` for one of its features.
        let mut words = line.split_whitespace();
        let (Some(name), Some(second)) = (words.next(), words.next()) else {
            continue;
        };
        let entry = crates.entry(name.to_string()).or_default();
        if second == "feature" {
            let feature = words.next().unwrap_or_default().trim_matches('"');
            entry.insert(feature.to_string());
        }
    }
    crates
}

#[test]
fn the_exercises_reuse_the_tools_build_of_tokio() {
    for target in TARGETS {
        let cli = features("async-lings", target);
        let course = features("exercises", target);
        assert!(
            course.contains_key("tokio") && cli.contains_key("tokio"),
            "cargo tree on {target} lists no tokio for the CLI or the exercises"
        );
        for (name, wanted) in &course {
            let Some(got) = cli.get(name) else { continue };
            let only_cli: Vec<_> = got.difference(wanted).collect();
            let only_course: Vec<_> = wanted.difference(got).collect();
            assert!(
                only_cli.is_empty() && only_course.is_empty(),
                "on {target}, {name} gets features {only_cli:?} only in the CLI's build and \
                 {only_course:?} only in the exercises': the learner's first check would compile \
                 Tokio again. Ask for the CLI's extra features in exercises/Cargo.toml (in the \
                 section for that platform), and for the course's in the CLI's own dependencies \
                 (Cargo.toml)"
            );
        }
    }
}
