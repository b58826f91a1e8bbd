//! `dev check`: every exercise fails as shipped in its declared way, every solution passes its
//! tests, clippy and rustfmt, and the manifests match info.toml.

use std::{
    collections::HashSet,
    fs,
    path::{Path, PathBuf},
    process::{Command, ExitCode},
    time::Duration,
};

use anyhow::{Context, Result};

use crate::{
    cargo::Workspace,
    check::{Checker, Side},
    course::{Course, Exercise, Fails, Format, Mode},
    dev::rustlings,
    process::{self, Cancel, Limits},
    report::{self, Case, ReportFormat},
    term,
    tests_section::{self, Change},
    verdict::Report,
};

pub fn check(
    course: &Course,
    cancel: &Cancel,
    jobs: usize,
    only: Option<&str>,
    format: ReportFormat,
) -> Result<ExitCode> {
    let workspace = Workspace::load(&course.root, cancel)?;
    let exercises: Vec<&Exercise> = match only {
        Some(name) => vec![course.get(name)?],
        None => course.exercises.iter().collect(),
    };
    let course_problems = course_problems(course, &workspace, only);
    let checker = Checker {
        jobs,
        ..Checker::new(&course.root, &workspace, cancel.clone())
    };
    let bar = term::ProgressLine::new();
    // Bins missing from the manifests cannot be built: they are reported above instead.
    let buildable: Vec<&Exercise> = exercises
        .iter()
        .copied()
        .filter(|e| workspace.bin(&e.name).is_ok() && workspace.bin(&e.solution_bin()).is_ok())
        .collect();
    let shipped = checker.check_all(&buildable, Side::Exercise, &bar.callback())?;
    let linting = Checker {
        lint_all: true,
        ..checker
    };
    let solved = linting.check_all(&buildable, Side::Solution, &bar.callback())?;
    bar.clear();
    if cancel.is_cancelled() {
        return Ok(ExitCode::from(130));
    }
    let unformatted = unformatted_solutions(course, &buildable, cancel)?;

    let results = Results {
        buildable: &buildable,
        shipped: &shipped,
        solved: &solved,
        unformatted: &unformatted,
    };
    let cases: Vec<Case> = exercises
        .iter()
        .map(|exercise| results.case(course, exercise))
        .collect();
    let all_good = course_problems.is_empty() && cases.iter().all(|c| c.passed);
    report::write(
        &mut std::io::stdout().lock(),
        format,
        "dev check",
        &course_problems,
        &cases,
    )?;
    Ok(if all_good {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// What is wrong with the course as a whole (none for `--only`), sorted.
fn course_problems(course: &Course, workspace: &Workspace, only: Option<&str>) -> Vec<String> {
    let mut problems = match (only, course.format) {
        (Some(_), _) => Vec::new(),
        (None, Format::AsyncLings) => manifest_problems(course, workspace),
        (None, Format::Rustlings) => rustlings::course_problems(course),
    };
    problems.sort();
    problems
}

/// What the two checks of every buildable exercise found.
struct Results<'a> {
    buildable: &'a [&'a Exercise],
    shipped: &'a [Report],
    solved: &'a [Report],
    unformatted: &'a HashSet<String>,
}

impl Results<'_> {
    /// One exercise's line of the report: every problem found with it.
    fn case<'e>(&self, course: &Course, exercise: &'e Exercise) -> Case<'e> {
        let mut problems = match course.format {
            Format::AsyncLings => static_problems(course, exercise),
            Format::Rustlings => rustlings::exercise_problems(course, exercise),
        };
        let at = self.buildable.iter().position(|e| e.name == exercise.name);
        if let Some(i) = at {
            problems.extend(shipped_problems(course, exercise, &self.shipped[i]));
            let solved = &self.solved[i];
            if !solved.verdict.passed() {
                let what = solved
                    .first_error()
                    .map(|e| term::strip_ansi(&e))
                    .unwrap_or_default();
                problems.push(format!(
                    "the solution {} does not pass ({}): {what}",
                    exercise.solution_path.display(),
                    solved.verdict.kind()
                ));
            }
        } else {
            problems
                .push("not built: its bins are missing from the manifest (see above)".to_owned());
        }
        if self.unformatted.contains(&exercise.name) {
            problems.push(format!(
                "{} is not rustfmt-clean: run `rustfmt --edition 2024 {0}`",
                exercise.solution_path.display()
            ));
        }
        let shipped = at.map(|i| &self.shipped[i]);
        let solved = at.map(|i| &self.solved[i]);
        Case {
            exercise,
            verdict: shipped.map_or("missing", |r| r.verdict.kind()),
            passed: problems.is_empty(),
            duration: shipped
                .zip(solved)
                .map_or(Duration::ZERO, |(a, b)| a.duration + b.duration),
            problems,
            output: solved.map(|r| r.output.clone()).unwrap_or_default(),
            explanations: shipped
                .map(|r| r.explanations.iter().map(|e| e.id).collect())
                .unwrap_or_default(),
        }
    }
}

/// Checks on the files alone: a test, hints, a solution that differs.
fn static_problems(course: &Course, exercise: &Exercise) -> Vec<String> {
    let mut problems = Vec::new();
    let read = |p: &Path| fs::read_to_string(course.root.join(p)).unwrap_or_default();
    let (shipped, solution) = (read(&exercise.path), read(&exercise.solution_path));
    let has_test = |text: &str| text.contains("#[test]") || text.contains("#[tokio::test");
    // A `mode = "run"` exercise (rustlings' `test = false`) is judged by its `main` alone.
    if exercise.mode == Mode::Test && !has_test(&shipped) {
        problems.push(format!(
            "{} has no #[test] or #[tokio::test]",
            exercise.path.display()
        ));
    }
    if exercise.hints.iter().all(|h| h.trim().is_empty()) {
        problems.push("no hints: add at least one to `hints` in info.toml".to_owned());
    }
    // A course without `// Tests:` markers is not compared when checked (see `Checker`), so
    // here: the solution must pass the tests that the learner gets.
    if let Some(editable) = exercise.tests
        && tests_section::section(&shipped).is_none()
        && let Some(change) = tests_section::solution_change(&shipped, &solution, editable)
    {
        let solution = exercise.solution_path.display();
        problems.push(match change {
            Change::Line { line, shipped } | Change::NotAnAttribute { line, shipped }
                if !shipped.is_empty() =>
            {
                format!(
                    "the tests of {solution} differ from the exercise's at line {line} \
                     (exercise: `{shipped}`): a solution must pass the very tests the learner \
                     gets"
                )
            }
            Change::Line { line, .. } | Change::NotAnAttribute { line, .. } => format!(
                "the tests of {solution} differ from the exercise's at line {line}: a solution \
                 must pass the very tests the learner gets"
            ),
            Change::NoMarker
            | Change::ShadowedMacro { .. }
            | Change::Split { .. }
            | Change::CodeUnderTest { .. } => format!(
                "the tests of {solution} cannot be found (no `#[cfg(test)]` line) to compare \
                 with the exercise's"
            ),
        });
    }
    if shipped == solution {
        problems.push(format!(
            "the solution is identical to the exercise: {} must contain the broken version",
            exercise.path.display()
        ));
    }
    problems
}

/// Does the shipped exercise fail the way info.toml says?
fn shipped_problems(course: &Course, exercise: &Exercise, report: &Report) -> Vec<String> {
    let Some(fails) = exercise.fails else {
        return Vec::new();
    };
    let actual = report.verdict.kind();
    if report.verdict.passed() {
        return vec![format!(
            "the exercise already passes as shipped (it should fail: {})",
            fails_name(fails)
        )];
    }
    // rustlings courses only say that an exercise fails, not how.
    if course.format == Format::Rustlings {
        return Vec::new();
    }
    if actual != fails_name(fails) {
        let what = report
            .first_error()
            .map(|e| term::strip_ansi(&e))
            .unwrap_or_default();
        return vec![format!(
            "declared `fails = \"{}\"` but it fails with {actual}: {what}",
            fails_name(fails)
        )];
    }
    let errors: Vec<_> = report.diagnostics.iter().filter(|d| d.is_error()).collect();
    exercise
        .errors
        .iter()
        .filter(|expected| {
            !errors.iter().any(|d| {
                d.code.as_deref() == Some(expected.as_str())
                    || d.message.contains(expected.as_str())
            })
        })
        .map(|expected| {
            let seen: Vec<String> = errors
                .iter()
                .map(|d| d.code.clone().unwrap_or_else(|| d.message.clone()))
                .collect();
            format!(
                "expected the error `{expected}`, but the compiler said: {}",
                seen.join(", ")
            )
        })
        .collect()
}

pub fn fails_name(fails: Fails) -> &'static str {
    match fails {
        Fails::Compile => "compile",
        Fails::Test => "test",
        Fails::Timeout => "timeout",
        Fails::Run => "run",
        Fails::Clippy => "clippy",
    }
}

/// The manifests list exactly the exercises of info.toml, at their paths; no stray files.
fn manifest_problems(course: &Course, workspace: &Workspace) -> Vec<String> {
    let mut problems = Vec::new();
    let mut expected_bins = HashSet::new();
    let mut packages = HashSet::new();
    for exercise in &course.exercises {
        for (bin, path) in [
            (exercise.name.clone(), &exercise.path),
            (exercise.solution_bin(), &exercise.solution_path),
        ] {
            match workspace.bin(&bin) {
                Ok(found) => {
                    packages.insert(found.package.clone());
                    if !same_file(&found.src_path, &course.root.join(path)) {
                        problems.push(format!(
                            "[[bin]] `{bin}` points at {}, not {}: run `async-lings dev update`",
                            found.src_path.display(),
                            path.display()
                        ));
                    }
                }
                Err(_) => problems.push(format!(
                    "no [[bin]] `{bin}` for {}: run `async-lings dev update`",
                    path.display()
                )),
            }
            expected_bins.insert(bin);
        }
    }
    for (name, bin) in workspace.bins() {
        if packages.contains(&bin.package) && !expected_bins.contains(name) {
            problems.push(format!(
                "stale [[bin]] `{name}` in package `{}` is not in info.toml: run `async-lings dev update`",
                bin.package
            ));
        }
    }
    let known: HashSet<PathBuf> = course
        .exercises
        .iter()
        .flat_map(|e| [e.path.clone(), e.solution_path.clone()])
        .collect();
    for side in ["exercises", "solutions"] {
        for file in rust_files(&course.root.join(side)) {
            let relative = file
                .strip_prefix(&course.root)
                .unwrap_or(&file)
                .to_path_buf();
            if !known.contains(&relative) {
                problems.push(format!(
                    "orphan file {} belongs to no exercise in info.toml: add an entry for it or delete it",
                    relative.display()
                ));
            }
        }
    }
    problems
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return files;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// The exercises whose solution file `rustfmt --check` would change.
fn unformatted_solutions(
    course: &Course,
    exercises: &[&Exercise],
    cancel: &Cancel,
) -> Result<HashSet<String>> {
    let mut unformatted = HashSet::new();
    if exercises.is_empty() {
        return Ok(unformatted);
    }
    let mut command = Command::new("rustfmt");
    command
        .args(["--check", "--edition", "2024"])
        .current_dir(&course.root);
    for exercise in exercises {
        command.arg(&exercise.solution_path);
    }
    let limits = Limits {
        timeout: Duration::from_secs(120),
        cap: 4 << 20,
        merge_stderr: true,
        on_line: None,
        stall: None,
        diagnose: false,
        guarded: false,
    };
    let finished = process::run(command, &limits, cancel)
        .context("cannot run rustfmt (install it with `rustup component add rustfmt`)")?;
    let output = finished.stdout.text();
    for exercise in exercises {
        let path = exercise.solution_path.to_string_lossy();
        if output
            .lines()
            .any(|l| l.starts_with("Diff in ") && l.contains(path.as_ref()))
        {
            unformatted.insert(exercise.name.clone());
        }
    }
    Ok(unformatted)
}
