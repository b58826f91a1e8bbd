//! `grade`: a class's checkouts, checked one after another in one scratch copy of the course.
//!
//! Every learner's exercise files are copied into the same scratch course, so one target dir
//! serves the whole class (Tokio and every unchanged exercise are built once) and every build is
//! the scratch course's own. The instructor's `info.toml`, manifests and solutions are the ones
//! used; a learner's copies of those are ignored, and their checkouts are only read.

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::{
    cargo::Workspace,
    check::{Checker, Side},
    commands::App,
    course::{Course, Exercise},
    embedded,
    report::{self, ReportFormat},
    state::{DATA_DIR, write_atomically},
    term,
    verdict::Report,
    verify,
};

/// What is never copied into the scratch course.
const SKIPPED: [&str; 3] = ["target", ".git", DATA_DIR];

#[derive(Serialize)]
struct Learner {
    name: String,
    checkout: String,
    passed: usize,
    total: usize,
    /// Exercise name to verdict kind, in course order in the CSV.
    verdicts: BTreeMap<String, &'static str>,
}

pub fn grade(
    app: &App,
    checkouts: &[PathBuf],
    out: &Path,
    jobs: Option<usize>,
) -> Result<ExitCode> {
    let course = &app.course;
    let scratch = course.root.join(DATA_DIR).join("grade");
    sync_course(&course.root, &scratch, out.canonicalize().ok().as_deref())?;
    let workspace = Workspace::load(&scratch, &app.cancel)?;
    let mut checker = Checker::new(&scratch, &workspace, app.cancel.clone());
    checker.shipped_root = &course.root;
    if let Some(jobs) = jobs {
        checker.jobs = jobs.max(1);
    }
    fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let exercises: Vec<&Exercise> = course.exercises.iter().collect();
    let mut learners: Vec<Learner> = Vec::new();
    for checkout in checkouts {
        let name = learner_name(checkout, &learners);
        take_learners_files(course, checkout, &scratch)?;
        let bar = term::ProgressLine::new();
        let reports = checker.check_all(&exercises, Side::Exercise, &bar.callback())?;
        bar.clear();
        if app.cancel.is_cancelled() {
            return Ok(ExitCode::from(130));
        }
        write_reports(out, &name, &exercises, &reports)?;
        let learner = Learner {
            checkout: checkout.display().to_string(),
            passed: reports.iter().filter(|r| r.verdict.passed()).count(),
            total: reports.len(),
            verdicts: exercises
                .iter()
                .zip(&reports)
                .map(|(e, r)| (e.name.clone(), r.verdict.kind()))
                .collect(),
            name,
        };
        println!("{:<24} {}/{}", learner.name, learner.passed, learner.total);
        learners.push(learner);
    }
    write_summary(out, course, &learners)?;
    println!(
        "Reports for {} learners in {} (summary.csv, summary.json, one JSON and JUnit file each).",
        learners.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The checkout's folder name, made unique among the learners graded so far.
fn learner_name(checkout: &Path, so_far: &[Learner]) -> String {
    let base = checkout
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "learner".to_owned());
    let mut name = base.clone();
    let mut n = 2;
    while so_far.iter().any(|l| l.name == name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// Makes `scratch` a copy of the course (without its build output, history and progress).
/// Files already equal are left alone, so their mtimes, and cargo's builds, stay valid.
fn sync_course(from: &Path, scratch: &Path, out: Option<&Path>) -> Result<()> {
    for entry in fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry.with_context(|| format!("cannot read {}", from.display()))?;
        let name = entry.file_name();
        let path = entry.path();
        let is_out = out.is_some() && path.canonicalize().ok().as_deref() == out;
        if SKIPPED.iter().any(|s| name == *s) || is_out {
            continue;
        }
        if path.is_dir() {
            sync_course(&path, &scratch.join(&name), out)?;
        } else if path.is_file() {
            let bytes =
                fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            sync_file(&scratch.join(&name), &bytes)?;
        }
    }
    Ok(())
}

fn sync_file(to: &Path, bytes: &[u8]) -> Result<()> {
    if fs::read(to).is_ok_and(|current| current == bytes) {
        return Ok(());
    }
    write_atomically(to, bytes)
}

/// Puts the learner's exercise files into the scratch course; a file the learner does not have
/// is the shipped one (so it fails as shipped).
fn take_learners_files(course: &Course, checkout: &Path, scratch: &Path) -> Result<()> {
    if !checkout.is_dir() {
        bail!(
            "{} is not a folder.\nfix: pass each learner's checkout of the course as a folder",
            checkout.display()
        );
    }
    let inside = checkout.canonicalize().ok();
    for exercise in &course.exercises {
        // A file of the learner's own only: a link that leads out of the checkout would put
        // another file's content into the reports. It counts as missing.
        let path = checkout.join(&exercise.path);
        let own = path
            .canonicalize()
            .ok()
            .zip(inside.as_deref())
            .is_some_and(|(file, root)| file.starts_with(root) && file.is_file());
        let read = if own {
            fs::read(&path)
        } else {
            Err(std::io::ErrorKind::NotFound.into())
        };
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(_) => embedded::shipped(course, &exercise.path)
                .or_else(|_| fs::read(course.root.join(&exercise.path)))
                .with_context(|| format!("cannot read {}", exercise.path.display()))?,
        };
        sync_file(&scratch.join(&exercise.path), &bytes)?;
    }
    Ok(())
}

fn write_reports(
    out: &Path,
    name: &str,
    exercises: &[&Exercise],
    reports: &[Report],
) -> Result<()> {
    let cases = verify::cases(exercises, reports);
    for (format, ext) in [(ReportFormat::Json, "json"), (ReportFormat::Junit, "xml")] {
        let mut bytes = Vec::new();
        report::write(&mut bytes, format, "grade", &[], &cases)?;
        let path = out.join(format!("{name}.{ext}"));
        fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// `summary.csv` (a row per learner, a column per exercise) and `summary.json`.
fn write_summary(out: &Path, course: &Course, learners: &[Learner]) -> Result<()> {
    let mut csv = String::from("learner,passed,total");
    for exercise in &course.exercises {
        let _ = write!(csv, ",{}", exercise.name);
    }
    csv.push('\n');
    for learner in learners {
        let _ = write!(
            csv,
            "{},{},{}",
            csv_field(&learner.name),
            learner.passed,
            learner.total
        );
        for exercise in &course.exercises {
            let _ = write!(csv, ",{}", learner.verdicts[&exercise.name]);
        }
        csv.push('\n');
    }
    let csv_path = out.join("summary.csv");
    fs::write(&csv_path, csv).with_context(|| format!("cannot write {}", csv_path.display()))?;
    let json_path = out.join("summary.json");
    let json = serde_json::to_vec_pretty(learners)?;
    fs::write(&json_path, json).with_context(|| format!("cannot write {}", json_path.display()))
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}
