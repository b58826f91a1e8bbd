//! Checking exercises: compile (one cargo invocation for all of them), run each test executable
//! directly under a timeout (in parallel up to the core count), then the binary for
//! `mode = "run"` and clippy where asked. One exercise is the batch of one.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    thread,
    time::Duration,
};

use anyhow::Result;

use crate::{
    cargo::{self, BuildKind, Workspace},
    course::{DEFAULT_COMPILE_TIMEOUT, Exercise, Mode},
    explain,
    process::{self, Cancel, Exit, Limits},
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
        let bin = |e: &Exercise| match side {
            Side::Exercise => e.name.clone(),
            Side::Solution => e.solution_bin(),
        };
        let mut reports: Vec<Report> = exercises.iter().map(|_| Report::new()).collect();

        let total = exercises.len();
        progress(Progress {
            phase: Phase::Compiling,
            done: 0,
            total,
            crates: 0,
        });
        let bins: Vec<String> = exercises.iter().map(|e| bin(e)).collect();
        let limit = compile_limit(exercises.iter().copied());
        let executables =
            self.compile(&bins, BuildKind::Tests, limit, &mut reports, Some(progress))?;

        // Only what compiled goes on; every later phase narrows the set the same way.
        let tests: Vec<(usize, PathBuf)> = ready(&executables, &reports);
        self.run_each(&tests, exercises, &mut reports, Phase::Testing, progress)?;

        let runnable: Vec<usize> = (0..total)
            .filter(|&i| reports[i].verdict.passed() && exercises[i].mode == Mode::Run)
            .collect();
        if !runnable.is_empty() {
            let names: Vec<String> = runnable.iter().map(|&i| bins[i].clone()).collect();
            let mut sub: Vec<Report> = runnable.iter().map(|&i| reports[i].clone()).collect();
            let limit = compile_limit(runnable.iter().map(|&i| exercises[i]));
            let built = self.compile(&names, BuildKind::Bins, limit, &mut sub, None)?;
            let bins_ready = ready(&built, &sub);
            let subset: Vec<&Exercise> = runnable.iter().map(|&i| exercises[i]).collect();
            self.run_each(&bins_ready, &subset, &mut sub, Phase::Running, progress)?;
            for (report, &i) in sub.into_iter().zip(&runnable) {
                reports[i] = report;
            }
        }

        let linted: Vec<usize> = (0..total)
            .filter(|&i| reports[i].verdict.passed() && (self.lint_all || exercises[i].clippy))
            .collect();
        if !linted.is_empty() {
            let total = linted.len();
            progress(Progress {
                phase: Phase::Clippy,
                done: 0,
                total,
                crates: 0,
            });
            let names: Vec<String> = linted.iter().map(|&i| bins[i].clone()).collect();
            let mut sub: Vec<Report> = linted.iter().map(|&i| reports[i].clone()).collect();
            let limit = compile_limit(linted.iter().map(|&i| exercises[i]));
            self.compile(&names, BuildKind::Clippy, limit, &mut sub, None)?;
            for (mut report, &i) in sub.into_iter().zip(&linted) {
                if report.verdict == Verdict::CompileFailed {
                    report.verdict = Verdict::ClippyFailed;
                }
                reports[i] = report;
            }
        }

        for report in &mut reports {
            if self.cancel.is_cancelled() {
                report.verdict = Verdict::Cancelled;
            }
            report.explanations = explain::explain(report);
        }
        Ok(reports)
    }

    /// Builds `bins`, marks the reports of those that failed, and returns each one's executable.
    fn compile(
        &self,
        bins: &[String],
        kind: BuildKind,
        limit: Duration,
        reports: &mut [Report],
        progress: Option<&OnProgress>,
    ) -> Result<Vec<Option<PathBuf>>> {
        let names: Vec<&str> = bins.iter().map(String::as_str).collect();
        let on_line = progress.map(|progress| crate_counter(Arc::clone(progress), bins.len()));
        let mut build = cargo::build(
            self.root,
            self.workspace,
            &names,
            kind,
            limit,
            &self.cancel,
            on_line,
        )?;
        let mut executables = Vec::new();
        for (bin, report) in bins.iter().zip(reports.iter_mut()) {
            let target = build.target(bin);
            let failed = target.failed() || build.exit == Exit::Cancelled;
            let mut diagnostics = target.diagnostics;
            // Errors first, in the compiler's order: the first error is usually the real one.
            diagnostics.sort_by_key(|d| !d.is_error());
            if kind != BuildKind::Bins {
                report.diagnostics = diagnostics;
            }
            if failed {
                report.verdict = Verdict::CompileFailed;
                if build.exit == Exit::Stalled && !target.finished {
                    report.output = compile_stopped(limit, &build.stderr);
                } else if !report.diagnostics.iter().any(|d| d.is_error()) {
                    report.output = build.stderr.clone();
                }
            }
            executables.push(target.executable.filter(|_| !failed));
        }
        Ok(executables)
    }

    /// Runs each executable under its exercise's timeout, `self.jobs` at a time.
    fn run_each(
        &self,
        executables: &[(usize, PathBuf)],
        exercises: &[&Exercise],
        reports: &mut [Report],
        phase: Phase,
        progress: &OnProgress,
    ) -> Result<()> {
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let total = executables.len();
        let results = Mutex::new(Vec::new());
        progress(Progress {
            phase,
            done: 0,
            total,
            crates: 0,
        });
        thread::scope(|scope| {
            for _ in 0..self.jobs.clamp(1, total.max(1)) {
                scope.spawn(|| {
                    while let Some((i, exe)) = executables.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        let tests = phase == Phase::Testing;
                        let outcome = self.run_one(exe, exercises[*i].timeout, tests);
                        results
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((*i, outcome));
                        let done = done.fetch_add(1, Ordering::Relaxed) + 1;
                        progress(Progress {
                            phase,
                            done,
                            total,
                            crates: 0,
                        });
                    }
                });
            }
        });
        for (i, outcome) in results.into_inner().unwrap_or_else(|e| e.into_inner()) {
            let (verdict, output, elapsed) = outcome?;
            let report = &mut reports[i];
            report.verdict = verdict;
            report.output = output;
            report.duration += elapsed;
        }
        Ok(())
    }

    fn run_one(
        &self,
        exe: &Path,
        timeout: Duration,
        tests: bool,
    ) -> Result<(Verdict, String, Duration)> {
        let mut command = Command::new(exe);
        // Backtraces bury the one line a learner needs: the assertion message.
        command.current_dir(self.root).env("RUST_BACKTRACE", "0");
        if tests {
            command.arg("--color=never");
        }
        let limits = Limits {
            timeout,
            cap: OUTPUT_CAP,
            merge_stderr: true,
            on_line: None,
            stall: None,
        };
        let finished = process::run(command, &limits, &self.cancel)?;
        let output = finished.stdout.text();
        let verdict = match finished.exit {
            Exit::Code(0) => Verdict::Passed,
            Exit::Code(_) if tests => Verdict::TestsFailed(failed_tests(&output)),
            Exit::Code(code) => Verdict::RunFailed(code),
            Exit::Signal(signal) => Verdict::Crashed(signal),
            Exit::TimedOut | Exit::Stalled => Verdict::TimedOut(timeout),
            Exit::Cancelled => Verdict::Cancelled,
        };
        Ok((verdict, output, finished.elapsed))
    }
}

/// The compile limit of a batch: the most lenient of its exercises'.
fn compile_limit<'e>(exercises: impl Iterator<Item = &'e Exercise>) -> Duration {
    exercises
        .map(|e| e.compile_timeout)
        .max()
        .unwrap_or(DEFAULT_COMPILE_TIMEOUT)
}

/// Why a compile that was stopped at its limit failed, and what to do.
fn compile_stopped(limit: Duration, cargo_said: &str) -> String {
    let mut message = format!(
        "The exercise did not finish compiling within {}s (its `compile_timeout` in info.toml), \
         so the compile was stopped.\n\
         A `const` whose evaluation never ends does this (rustc stops one by itself after a few \
         seconds, unless the `long_running_const_eval` lint is allowed), and so does a macro or a \
         build script that loops. If the compile is only slow, raise `compile_timeout`.",
        limit.as_secs()
    );
    if cargo_said.contains("Blocking waiting for file lock") {
        message.push_str(
            "\nCargo also had to wait for another cargo (rust-analyzer's, say) to be done with \
             the build directory: once it is, save again.",
        );
    }
    message
}

/// Counts the crates cargo finishes, from its JSON lines, and reports each one.
fn crate_counter(progress: OnProgress, total: usize) -> process::OnLine {
    let crates = AtomicUsize::new(0);
    Arc::new(move |line: &[u8]| {
        let artifact = br#""reason":"compiler-artifact""#;
        if line.windows(artifact.len()).any(|w| w == artifact) {
            let crates = crates.fetch_add(1, Ordering::Relaxed) + 1;
            progress(Progress {
                phase: Phase::Compiling,
                done: 0,
                total,
                crates,
            });
        }
    })
}

fn ready(executables: &[Option<PathBuf>], reports: &[Report]) -> Vec<(usize, PathBuf)> {
    executables
        .iter()
        .enumerate()
        .filter(|(i, _)| reports[*i].verdict.passed())
        .filter_map(|(i, exe)| Some((i, exe.clone()?)))
        .collect()
}

/// The names of the failing tests, from the libtest summary lines `test NAME ... FAILED`.
pub fn failed_tests(output: &str) -> Vec<String> {
    let mut names: Vec<String> = output
        .lines()
        .filter_map(|line| line.strip_prefix("test ")?.strip_suffix(" ... FAILED"))
        .map(str::to_owned)
        .collect();
    names.dedup();
    names
}

/// The number of cores, the most test binaries worth running at once.
pub fn default_jobs() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests;
