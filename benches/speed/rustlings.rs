//! async-lings against rustlings 6.5 itself, on rustlings' own course (the 94 exercises that
//! `rustlings init` writes): `async-lings verify` against `rustlings check-all`, cold (empty
//! target dirs) and warm, side by side in the same run. And the verdicts of both on the rules
//! fixture (`tests/fixtures/rustlings_rules`), exercise by exercise, as shipped and solved.
//!
//! rustlings is installed with `cargo install rustlings --version 6.5.0` into
//! `target/bench/rustlings-6.5.0` (once; later runs reuse it). The courses live in the temp dir:
//! `rustlings init` inside a Cargo workspace (this repository's) would join that workspace.

use std::{
    env, fs,
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use super::{BIN, Row, median, ms, ratio};

const VERSION: &str = "6.5.0";
/// The target of the issue: verify at 0.8 x rustlings' check-all or better.
const LIMIT: f64 = 0.8;

pub fn compare(rows: &mut Vec<Row>, work: &Path, runs: usize) {
    let Some(rustlings) = install(work) else {
        rows.push(Row {
            figure: format!("rustlings {VERSION}"),
            tool: "-".into(),
            floor: "not installed".into(),
            ratio: None,
            target: "see stderr".into(),
            met: None,
        });
        return;
    };
    let scratch = env::temp_dir().join(format!("async-lings-bench-{}", std::process::id()));
    let _ = fs::remove_dir_all(&scratch);
    fs::create_dir_all(&scratch).unwrap();
    agreement(rows, &rustlings, &scratch);
    timings(rows, &rustlings, &scratch, runs);
    let _ = fs::remove_dir_all(&scratch);
}

/// rustlings' binary, installed once.
fn install(work: &Path) -> Option<PathBuf> {
    let root = work.join(format!("rustlings-{VERSION}"));
    let bin = root.join("bin").join("rustlings");
    if !bin.is_file() {
        eprintln!("installing rustlings {VERSION} (once)...");
        let status = Command::new("cargo")
            .args([
                "install",
                "rustlings",
                "--locked",
                "--version",
                VERSION,
                "--root",
            ])
            .arg(&root)
            .status()
            .ok()?;
        if !status.success() {
            eprintln!("`cargo install rustlings` failed: the comparison is skipped");
            return None;
        }
    }
    Some(bin)
}

/// `rustlings ARGS` in `dir`, ENTER pressed at its prompts; whether it succeeded.
fn rustlings(bin: &Path, dir: &Path, args: &[&str], target: &Path) -> bool {
    let mut child = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The welcome and `init` wait for ENTER.
    let _ = child.stdin.take().unwrap().write_all(b"\n\n\n");
    child.wait().unwrap().success()
}

/// `async-lings ARGS` in `dir`: its stdout.
fn async_lings(dir: &Path, args: &[&str], target: &Path) -> Vec<u8> {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .stderr(Stdio::null())
        .output()
        .unwrap()
        .stdout
}

/// Both tools' verdicts on the rules fixture, shipped and then with every solution copied in.
fn agreement(rows: &mut Vec<Row>, bin: &Path, scratch: &Path) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let course = scratch.join("rules");
    copy_dir(&repo.join("tests/fixtures/rustlings_rules"), &course);
    let target = scratch.join("rules-target");
    let (mut agree, mut total, mut differ) = (0, 0, Vec::new());
    for solved in [false, true] {
        if solved {
            copy_dir(&course.join("solutions"), &course.join("exercises"));
        }
        let json = async_lings(&course, &["verify", "--format", "json"], &target);
        let report: serde_json::Value = serde_json::from_slice(&json).unwrap();
        for exercise in report["exercises"].as_array().unwrap() {
            let name = exercise["name"].as_str().unwrap();
            let ours = exercise["passed"].as_bool().unwrap();
            let theirs = rustlings(bin, &course, &["run", name], &target);
            total += 1;
            if ours == theirs {
                agree += 1;
            } else {
                differ.push(format!(
                    "{name} (solved: {solved}): ours {ours}, rustlings {theirs}"
                ));
            }
        }
    }
    for line in &differ {
        eprintln!("verdicts differ: {line}");
    }
    rows.push(Row {
        figure: "rules fixture: verdicts that agree with rustlings' (shipped and solved)".into(),
        tool: format!("{agree} of {total}"),
        floor: "-".into(),
        ratio: None,
        target: "all".into(),
        met: Some(agree == total),
    });
}

/// `verify` against `check-all` on rustlings' own course, cold then warm, interleaved.
fn timings(rows: &mut Vec<Row>, bin: &Path, scratch: &Path, runs: usize) {
    let home = scratch.join("official");
    fs::create_dir_all(&home).unwrap();
    let ours_target = scratch.join("target-async-lings");
    let theirs_target = scratch.join("target-rustlings");
    if !rustlings(bin, &home, &["init"], &theirs_target) {
        eprintln!("`rustlings init` failed: no timings");
        return;
    }
    let course = home.join("rustlings");
    // The official course keeps its info.toml inside the rustlings binary; async-lings reads the
    // same file, from the source cargo fetched to install it (rustlings then reads it too).
    match official_info() {
        Some(info) => {
            fs::copy(info, course.join("info.toml")).unwrap();
        }
        None => {
            eprintln!("rustlings-macros {VERSION}'s info.toml not found: no timings");
            return;
        }
    }
    let exercises = fs::read_to_string(course.join("info.toml"))
        .unwrap_or_default()
        .matches("[[exercises]]")
        .count();
    let ours = |target: &Path| {
        let start = Instant::now();
        async_lings(&course, &["verify"], target);
        start.elapsed()
    };
    let theirs = |target: &Path| {
        let start = Instant::now();
        rustlings(bin, &course, &["check-all"], target);
        start.elapsed()
    };
    let (mut cold_ours, mut cold_theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs.clamp(1, 2) {
        let _ = fs::remove_dir_all(&ours_target);
        let _ = fs::remove_dir_all(&theirs_target);
        cold_ours.push(ours(&ours_target));
        cold_theirs.push(theirs(&theirs_target));
    }
    let (mut warm_ours, mut warm_theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs.clamp(1, 3) {
        warm_ours.push(ours(&ours_target));
        warm_theirs.push(theirs(&theirs_target));
    }
    let mut row = |what: &str, tool: &[Duration], floor: &[Duration]| {
        let (t, f) = (median(tool), median(floor));
        rows.push(Row {
            figure: format!(
                "verify of rustlings' course ({exercises} exercises), {what}: floor = rustlings \
                 {VERSION} check-all"
            ),
            tool: ms(t),
            floor: ms(f),
            ratio: Some(ratio(t, f)),
            target: format!("<= {LIMIT:.2} x"),
            met: Some(ratio(t, f) <= LIMIT),
        });
    };
    row("cold", &cold_ours, &cold_theirs);
    row("warm", &warm_ours, &warm_theirs);
}

/// `info.toml` of the official course, in cargo's copy of the `rustlings-macros` source.
fn official_info() -> Option<PathBuf> {
    let home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))?;
    fs::read_dir(home.join("registry/src"))
        .ok()?
        .flatten()
        .map(|index| {
            index
                .path()
                .join(format!("rustlings-macros-{VERSION}/info.toml"))
        })
        .find(|info| info.is_file())
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}
