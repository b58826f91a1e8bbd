//! Checking exercises: compile (one cargo invocation for all of them), run each test executable
//! directly under a timeout (in parallel up to the core count), then the binary for
//! `mode = "run"` and clippy where asked. One exercise is the batch of one.

use std::{
    fs,
    path::{Path, PathBuf},
    sync::Arc,
    thread,
};

use anyhow::Result;

use self::{
    compile::{limit_of, mark_errors_in_tests, unawaited_future},
    run::runnable,
};
use crate::{
    cargo::{BuildKind, Workspace},
    course::{Clippy, Exercise, Format, Mode},
    embedded, explain,
    process::Cancel,
    tests_section::{self, Change, Editable},
    verdict::{Report, Verdict},
};

/// What is kept of a test run's output; the rest is dropped with a visible marker.
pub const OUTPUT_CAP: usize = 100 << 10;

/// Which file of an exercise is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The learner's `exercises/…` file.
    Exercise,
    /// The instructor's `solutions/…` file.
    Solution,
}

/// Where a batch is: `done` of `total` in the phase named.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub phase: Phase,
    pub done: usize,
    pub total: usize,
    /// While compiling: the crates cargo has finished so far (tokio and its dependencies on a
    /// first build), read from its JSON messages as they arrive.
    pub crates: usize,
}

/// Told of every step of a check; called from several threads.
pub type OnProgress = Arc<dyn Fn(Progress) + Send + Sync>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Compiling,
    Testing,
    Running,
    Clippy,
}

pub struct Checker<'a> {
    pub root: &'a Path,
    /// The course whose shipped files the tests are compared with: `root`, except when grading
    /// learners' files in a scratch copy of the course.
    pub shipped_root: &'a Path,
    pub workspace: &'a Workspace,
    pub cancel: Cancel,
    /// Test binaries run at once.
    pub jobs: usize,
    /// Run clippy on every exercise that passes, not only where info.toml asks (`dev check`).
    pub lint_all: bool,
}

impl<'a> Checker<'a> {
    /// A checker that runs as many test binaries at once as there are cores.
    pub fn new(root: &'a Path, workspace: &'a Workspace, cancel: Cancel) -> Self {
        Checker {
            root,
            shipped_root: root,
            workspace,
            cancel,
            jobs: default_jobs(),
            lint_all: false,
        }
    }
    pub fn check(&self, exercise: &Exercise, side: Side) -> Result<Report> {
        self.check_with(exercise, side, &(Arc::new(|_| {}) as OnProgress))
    }

    /// `check`, reporting each phase as it starts.
    pub fn check_with(
        &self,
        exercise: &Exercise,
        side: Side,
        progress: &OnProgress,
    ) -> Result<Report> {
        let mut reports = self.check_all(&[exercise], side, progress)?;
        Ok(reports.remove(0))
    }

    pub fn check_all(
        &self,
        exercises: &[&Exercise],
        side: Side,
        progress: &OnProgress,
    ) -> Result<Vec<Report>> {
        let mut batch = Batch::new(exercises, side);
        batch.expected = self.guard_tests(exercises, side, &mut batch);
        self.build_programs_first(&mut batch, progress)?;
        self.test(&mut batch, progress)?;
        self.run_programs(&mut batch, progress)?;
        self.lint(&mut batch, progress)?;
        let mut reports = batch.reports;
        let found = batch.tests_from.into_iter().zip(batch.read);
        for ((exercise, report), (from, read)) in exercises.iter().zip(&mut reports).zip(found) {
            if self.cancel.is_cancelled() {
                report.verdict = Verdict::Cancelled;
            }
            let path = match side {
                Side::Exercise => &exercise.path,
                Side::Solution => &exercise.solution_path,
            };
            if let Some(marker) = from {
                mark_errors_in_tests(path, marker, &mut report.diagnostics);
            }
            if report.verdict.passed()
                && exercise.rules == Format::AsyncLings
                && let Some(line) = unawaited_future(path, &report.diagnostics)
            {
                report.verdict = Verdict::Unawaited(line);
            }
            if report.verdict.passed()
                && exercise.rules == Format::AsyncLings
                && let Some(refused) = read
            {
                report.verdict = refused;
            }
            report.explanations = explain::explain(report);
        }
        Ok(reports)
    }

    /// Rustlings' order: the program is built first, and a bin that does not build is not
    /// compiled again as a test harness.
    fn build_programs_first(&self, batch: &mut Batch, progress: &OnProgress) -> Result<()> {
        let early = self.passing(&batch.reports, |i| {
            batch.exercises[i].rules == Format::Rustlings
        });
        self.phase(&early, &mut batch.reports, |indices, sub| {
            progress(Progress::start(Phase::Compiling, indices.len()));
            let limit = limit_of(batch.exercises, indices);
            let bins = pick(&batch.bins, indices);
            let built = self.compile(&bins, BuildKind::Bins, limit, sub, Some(progress))?;
            for (&i, executable) in indices.iter().zip(built) {
                batch.programs[i] = executable;
            }
            Ok(())
        })
    }

    /// Builds the test harnesses and runs them.
    fn test(&self, batch: &mut Batch, progress: &OnProgress) -> Result<()> {
        let tested = self.passing(&batch.reports, |i| batch.exercises[i].run_tests);
        self.phase(&tested, &mut batch.reports, |indices, sub| {
            progress(Progress::start(Phase::Compiling, indices.len()));
            let (bins, limit) = (
                pick(&batch.bins, indices),
                limit_of(batch.exercises, indices),
            );
            let built = self.compile(&bins, BuildKind::Tests, limit, sub, Some(progress))?;
            let jobs = runnable(indices, &built, sub, |i| {
                (batch.exercises[i], batch.expected[i].as_deref())
            });
            self.run_each(&jobs, sub, Phase::Testing, progress)
        })
    }

    /// `mode = "run"`: builds the programs not built yet, and runs them.
    fn run_programs(&self, batch: &mut Batch, progress: &OnProgress) -> Result<()> {
        let run = self.passing(&batch.reports, |i| batch.exercises[i].mode == Mode::Run);
        self.phase(&run, &mut batch.reports, |indices, sub| {
            let unbuilt: Vec<usize> = indices
                .iter()
                .copied()
                .filter(|&i| batch.programs[i].is_none())
                .collect();
            if !unbuilt.is_empty() {
                let mut part: Vec<Report> = unbuilt
                    .iter()
                    .map(|&i| sub[position(indices, i)].clone())
                    .collect();
                let (bins, limit) = (
                    pick(&batch.bins, &unbuilt),
                    limit_of(batch.exercises, &unbuilt),
                );
                let built = self.compile(&bins, BuildKind::Bins, limit, &mut part, None)?;
                for ((&i, executable), report) in unbuilt.iter().zip(built).zip(part) {
                    batch.programs[i] = executable;
                    sub[position(indices, i)] = report;
                }
            }
            let built: Vec<Option<PathBuf>> =
                indices.iter().map(|&i| batch.programs[i].clone()).collect();
            let jobs = runnable(indices, &built, sub, |i| (batch.exercises[i], None));
            self.run_each(&jobs, sub, Phase::Running, progress)
        })
    }

    /// Clippy where the exercise (or `dev check`, `lint_all`) asks: one run for the lints at
    /// `deny` level, one with `-D warnings`.
    fn lint(&self, batch: &mut Batch, progress: &OnProgress) -> Result<()> {
        for strict in [false, true] {
            let linted = self.passing(&batch.reports, |i| {
                let clippy = if self.lint_all {
                    Clippy::Strict
                } else {
                    batch.exercises[i].clippy
                };
                clippy != Clippy::Off && (clippy == Clippy::Strict) == strict
            });
            self.phase(&linted, &mut batch.reports, |indices, sub| {
                progress(Progress::start(Phase::Clippy, indices.len()));
                let (bins, limit) = (
                    pick(&batch.bins, indices),
                    limit_of(batch.exercises, indices),
                );
                self.compile(&bins, BuildKind::Clippy { strict }, limit, sub, None)?;
                for report in sub {
                    if report.verdict == Verdict::CompileFailed {
                        report.verdict = Verdict::ClippyFailed;
                    }
                }
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Runs `step` on the reports at `indices` (skipped if there are none).
    fn phase(
        &self,
        indices: &[usize],
        reports: &mut [Report],
        step: impl FnOnce(&[usize], &mut [Report]) -> Result<()>,
    ) -> Result<()> {
        if indices.is_empty() {
            return Ok(());
        }
        let mut sub: Vec<Report> = indices.iter().map(|&i| reports[i].clone()).collect();
        step(indices, &mut sub)?;
        for (report, &i) in sub.into_iter().zip(indices) {
            reports[i] = report;
        }
        Ok(())
    }

    /// The exercises that still pass and `want` the next phase.
    fn passing(&self, reports: &[Report], want: impl Fn(usize) -> bool) -> Vec<usize> {
        (0..reports.len())
            .filter(|&i| reports[i].verdict.passed() && want(i))
            .collect()
    }

    /// Fails the exercises whose tests differ from the shipped ones, and returns the names of the
    /// tests each exercise must run (`None` where the shipped tests are not known). Notes in
    /// `tests_from` the marker line of each file whose tests may not change at all.
    fn guard_tests(
        &self,
        exercises: &[&Exercise],
        side: Side,
        batch: &mut Batch,
    ) -> Vec<Option<Vec<String>>> {
        let paths: Vec<&Path> = exercises.iter().map(|e| e.path.as_path()).collect();
        let shipped = embedded::shipped_all(self.shipped_root, &paths);
        let read = |path: &Path| fs::read_to_string(self.root.join(path)).unwrap_or_default();
        let mut expected = Vec::with_capacity(exercises.len());
        for (i, exercise) in exercises.iter().enumerate() {
            let solution = read(&exercise.solution_path);
            let shipped = shipped[i].as_deref().map(String::from_utf8_lossy);
            // Only a course that marks its tests says which ones are shipped.
            let (Some(editable), Some(shipped)) = (exercise.tests, shipped) else {
                expected.push(None);
                continue;
            };
            if tests_section::section(&shipped).is_none() {
                expected.push(None);
                continue;
            }
            let mine = match side {
                Side::Exercise => read(&exercise.path),
                Side::Solution => solution.clone(),
            };
            if editable == Editable::Nothing {
                batch.tests_from[i] =
                    tests_section::learner_section(&shipped, &mine).map(|(line, _)| line);
                batch.read[i] = read_from_source(&shipped, &mine);
            }
            let change = tests_section::first_change(&shipped, Some(&solution), &mine, editable)
                .or_else(|| tests_section::shadowed_macro(&shipped, &mine))
                .or_else(|| tests_section::split_by_cfg(&shipped, &mine))
                .or_else(|| match editable {
                    Editable::Attributes => {
                        tests_section::code_change(&shipped, Some(&solution), &mine)
                    }
                    Editable::Nothing => None,
                });
            if let Some(mut change) = change {
                if let (Editable::Attributes, Change::Line { line, shipped }) = (editable, &change)
                {
                    change = Change::NotAnAttribute {
                        line: *line,
                        shipped: shipped.clone(),
                    };
                }
                batch.reports[i].verdict = Verdict::TestsEdited(change);
            }
            expected.push(Some(expected_tests(&shipped, &solution)));
        }
        expected
    }
}

/// What the learner's code above the marker does that no test can be trusted to show: a
/// blocking std call, or an unwrapped `try_lock`, in async code.
fn read_from_source(shipped: &str, mine: &str) -> Option<Verdict> {
    if let Some(call) = tests_section::blocking_call(shipped, mine) {
        return Some(Verdict::Blocking(call));
    }
    tests_section::unwrapped_try_lock(shipped, mine).map(Verdict::TryLockUnwrapped)
}

/// The exercises of one check, and what its phases learn of each.
struct Batch<'a, 'e> {
    exercises: &'a [&'e Exercise],
    /// The bin checked for each: the exercise's, or its solution's.
    bins: Vec<String>,
    /// The tests each must run, where the shipped tests are known.
    expected: Vec<Option<Vec<String>>>,
    /// The line of each one's `// Tests:` marker, where its tests may not change at all.
    tests_from: Vec<Option<usize>>,
    /// Each one's program, once built.
    programs: Vec<Option<PathBuf>>,
    /// What each one's code does that is no pass, read from its source: a blocking sleep or an
    /// unwrapped `try_lock` in async code.
    read: Vec<Option<Verdict>>,
    reports: Vec<Report>,
}

impl<'a, 'e> Batch<'a, 'e> {
    fn new(exercises: &'a [&'e Exercise], side: Side) -> Self {
        let bins = exercises
            .iter()
            .map(|e| match side {
                Side::Exercise => e.name.clone(),
                Side::Solution => e.solution_bin(),
            })
            .collect();
        Batch {
            exercises,
            bins,
            expected: Vec::new(),
            tests_from: vec![None; exercises.len()],
            programs: vec![None; exercises.len()],
            read: vec![None; exercises.len()],
            reports: exercises.iter().map(|_| Report::new()).collect(),
        }
    }
}

impl Progress {
    fn start(phase: Phase, total: usize) -> Self {
        Progress {
            phase,
            done: 0,
            total,
            crates: 0,
        }
    }
}

/// Where batch index `i` stands among a phase's `indices`.
fn position(indices: &[usize], i: usize) -> usize {
    indices.iter().position(|&k| k == i).unwrap_or_default()
}

fn pick(bins: &[String], indices: &[usize]) -> Vec<String> {
    indices.iter().map(|&i| bins[i].clone()).collect()
}

/// The tests a check expects to run: the shipped ones, and those the solution names (a fix of
/// the attributes brings them to life).
fn expected_tests(shipped: &str, solution: &str) -> Vec<String> {
    let mut names = tests_section::test_names(shipped);
    for name in tests_section::test_names(solution) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The number of cores, the most test binaries worth running at once.
pub fn default_jobs() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

mod compile;
mod run;
#[cfg(test)]
mod tests;
