//! Checking exercises: compile (one cargo invocation for all of them), run each test executable
//! directly under a timeout (in parallel up to the core count), then the binary for
//! `mode = "run"` and clippy where asked. One exercise is the batch of one.

use std::{
    fs,
    path::{Path, PathBuf},
    process::Command,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    thread,
    time::Duration,
};

use anyhow::{Context, Result};

use crate::{
    cargo::{self, BuildKind, Workspace},
    course::{Clippy, DEFAULT_COMPILE_TIMEOUT, Exercise, Format, Mode},
    embedded, explain, libtest,
    process::{self, Cancel, Exit, Limits},
    stuck, tests_section,
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
        let bins: Vec<String> = exercises
            .iter()
            .map(|e| match side {
                Side::Exercise => e.name.clone(),
                Side::Solution => e.solution_bin(),
            })
            .collect();
        let mut reports: Vec<Report> = exercises.iter().map(|_| Report::new()).collect();
        let expected = self.guard_tests(exercises, side, &mut reports);
        let limit_of = |indices: &[usize]| compile_limit(indices.iter().map(|&i| exercises[i]));

        // Rustlings' order: the program is built first, and a bin that does not build is not
        // compiled again as a test harness.
        let mut programs: Vec<Option<PathBuf>> = vec![None; exercises.len()];
        let early = self.passing(&reports, |i| exercises[i].rules == Format::Rustlings);
        self.phase(&early, &mut reports, |indices, sub| {
            progress(Progress::start(Phase::Compiling, indices.len()));
            let on_line = Some(progress);
            let built = self.compile(
                &pick(&bins, indices),
                BuildKind::Bins,
                limit_of(indices),
                sub,
                on_line,
            )?;
            for (&i, executable) in indices.iter().zip(built) {
                programs[i] = executable;
            }
            Ok(())
        })?;

        let tested = self.passing(&reports, |i| exercises[i].run_tests);
        self.phase(&tested, &mut reports, |indices, sub| {
            progress(Progress::start(Phase::Compiling, indices.len()));
            let names = pick(&bins, indices);
            let built = self.compile(
                &names,
                BuildKind::Tests,
                limit_of(indices),
                sub,
                Some(progress),
            )?;
            let jobs = runnable(indices, &built, sub, |i| {
                (exercises[i], expected[i].as_deref())
            });
            self.run_each(&jobs, sub, Phase::Testing, progress)
        })?;

        let run = self.passing(&reports, |i| exercises[i].mode == Mode::Run);
        self.phase(&run, &mut reports, |indices, sub| {
            let unbuilt: Vec<usize> = indices
                .iter()
                .copied()
                .filter(|&i| programs[i].is_none())
                .collect();
            if !unbuilt.is_empty() {
                let mut part: Vec<Report> = unbuilt
                    .iter()
                    .map(|&i| sub[position(indices, i)].clone())
                    .collect();
                let built = self.compile(
                    &pick(&bins, &unbuilt),
                    BuildKind::Bins,
                    limit_of(&unbuilt),
                    &mut part,
                    None,
                )?;
                for ((&i, executable), report) in unbuilt.iter().zip(built).zip(part) {
                    programs[i] = executable;
                    sub[position(indices, i)] = report;
                }
            }
            let built: Vec<Option<PathBuf>> =
                indices.iter().map(|&i| programs[i].clone()).collect();
            let jobs = runnable(indices, &built, sub, |i| (exercises[i], None));
            self.run_each(&jobs, sub, Phase::Running, progress)
        })?;

        for strict in [false, true] {
            let linted = self.passing(&reports, |i| {
                let clippy = if self.lint_all {
                    Clippy::Strict
                } else {
                    exercises[i].clippy
                };
                clippy != Clippy::Off && (clippy == Clippy::Strict) == strict
            });
            self.phase(&linted, &mut reports, |indices, sub| {
                progress(Progress::start(Phase::Clippy, indices.len()));
                let kind = BuildKind::Clippy { strict };
                self.compile(&pick(&bins, indices), kind, limit_of(indices), sub, None)?;
                for report in sub {
                    if report.verdict == Verdict::CompileFailed {
                        report.verdict = Verdict::ClippyFailed;
                    }
                }
                Ok(())
            })?;
        }

        for report in &mut reports {
            if self.cancel.is_cancelled() {
                report.verdict = Verdict::Cancelled;
            }
            report.explanations = explain::explain(report);
        }
        Ok(reports)
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
    /// tests each exercise must run (`None` where the shipped tests are not known).
    fn guard_tests(
        &self,
        exercises: &[&Exercise],
        side: Side,
        reports: &mut [Report],
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
            let change = tests_section::first_change(&shipped, Some(&solution), &mine, editable)
                .or_else(|| tests_section::shadowed_macro(&shipped, &mine));
            if let Some(change) = change {
                reports[i].verdict = Verdict::TestsEdited(change);
            }
            // The solution names the tests that a fix of the attributes brings to life.
            let mut names = tests_section::test_names(&shipped);
            for name in tests_section::test_names(&solution) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            expected.push(Some(names));
        }
        expected
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
        let started = std::time::Instant::now();
        let mut build = cargo::build(
            self.root,
            self.workspace,
            &names,
            kind,
            limit,
            &self.cancel,
            on_line,
        )?;
        // Each exercise's time includes its share of the compile: a batch's build is one cargo
        // run for all of them, so the times add up to the wall time.
        let share = started.elapsed() / u32::try_from(bins.len().max(1)).unwrap_or(u32::MAX);
        let mut executables = Vec::new();
        for (bin, report) in bins.iter().zip(reports.iter_mut()) {
            report.duration += share;
            let target = build.target(bin);
            let failed = target.failed() || build.exit == Exit::Cancelled;
            let mut diagnostics = target.diagnostics;
            // Errors first, in the compiler's order: the first error is usually the real one.
            diagnostics.sort_by_key(|d| !d.is_error());
            // A program's build repeats the warnings of the tests' build: kept where it failed.
            if kind != BuildKind::Bins || failed {
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

    /// Runs each job's executable under its exercise's timeout, `self.jobs` at a time.
    fn run_each(
        &self,
        jobs: &[Job],
        reports: &mut [Report],
        phase: Phase,
        progress: &OnProgress,
    ) -> Result<()> {
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let total = jobs.len();
        let results = Mutex::new(Vec::new());
        progress(Progress::start(phase, total));
        thread::scope(|scope| {
            for _ in 0..self.jobs.clamp(1, total.max(1)) {
                scope.spawn(|| {
                    while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let harness = match phase {
                            // A rustlings course is judged by rustlings' rules: exit status 0.
                            Phase::Testing if job.exercise.tests.is_some() => {
                                Harness::Accounted(job.expected)
                            }
                            Phase::Testing => Harness::Tests,
                            _ => Harness::Program,
                        };
                        let outcome = self.run_one(&job.executable, job.exercise.timeout, harness);
                        results
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((job.report, outcome));
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
            let ran = outcome?;
            let report = &mut reports[i];
            report.verdict = ran.verdict;
            report.output = ran.output;
            report.duration += ran.elapsed;
            report.stuck = ran.stuck;
        }
        Ok(())
    }

    fn run_one(&self, exe: &Path, timeout: Duration, harness: Harness) -> Result<Ran> {
        let mut command = Command::new(exe);
        // Backtraces bury the one line a learner needs: the assertion message.
        command.current_dir(self.root).env("RUST_BACKTRACE", "0");
        if harness != Harness::Program {
            command.arg("--color=never");
        }
        // Where libtest itself records each test's result, out of the tested code's reach.
        let log = match harness {
            Harness::Accounted(_) => {
                Some(libtest::LogFile::new().context("cannot create a file in the temp dir")?)
            }
            _ => None,
        };
        if let Some(log) = &log {
            command.arg("--logfile").arg(log.path());
        }
        let limits = Limits {
            timeout,
            cap: OUTPUT_CAP,
            merge_stderr: true,
            on_line: None,
            stall: None,
            diagnose: harness != Harness::Program,
        };
        let finished = process::run(command, &limits, &self.cancel)?;
        let output = libtest::without_logfile_warning(finished.stdout.text());
        let stuck = if finished.exit == Exit::TimedOut && harness != Harness::Program {
            stuck::describe(exe, self.root, &output, &finished.threads)
        } else {
            String::new()
        };
        let verdict = match (finished.exit, harness) {
            (Exit::Code(0), Harness::Accounted(expected)) => {
                let logged = log.as_ref().map(libtest::LogFile::read).unwrap_or_default();
                match libtest::shortfall(&libtest::parse(&output), &logged, expected) {
                    None => Verdict::Passed,
                    Some(shortfall) => Verdict::TestsIncomplete(shortfall),
                }
            }
            (Exit::Code(0), _) => Verdict::Passed,
            (Exit::Code(code), _) if process::crash_code(code).is_some() => {
                crashed(code, harness, &output)
            }
            (Exit::Code(code), Harness::Program) => Verdict::RunFailed(code),
            (Exit::Code(_), _) => Verdict::TestsFailed(failed_tests(&output)),
            (Exit::Signal(signal), _) => crashed(signal, harness, &output),
            (Exit::TimedOut | Exit::Stalled, _) => Verdict::TimedOut(timeout),
            (Exit::Cancelled, _) => Verdict::Cancelled,
        };
        Ok(Ran {
            verdict,
            output,
            elapsed: finished.elapsed,
            stuck,
        })
    }
}

/// A run that ended by a signal (or, on Windows, a crash code). Under `panic = "abort"` (rustlings
/// courses set it) a panic ends that way: it is reported as the failed run or test it is, with its
/// message, not as a crash.
fn crashed(code: i32, harness: Harness, output: &str) -> Verdict {
    if !output.contains("panicked at ") {
        return Verdict::Crashed(code);
    }
    match harness {
        Harness::Program => Verdict::Panicked,
        Harness::Tests | Harness::Accounted(_) => Verdict::TestsFailed(failed_tests(output)),
    }
}

/// What running one executable found.
struct Ran {
    verdict: Verdict,
    output: String,
    elapsed: Duration,
    stuck: String,
}

/// What an executable is, and so what its exit means.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Harness<'a> {
    /// `main`: exit status 0 is success.
    Program,
    /// A test harness judged by its exit status alone (a rustlings course).
    Tests,
    /// A test harness whose every test must report `ok`: these (if known), or at least one.
    Accounted(Option<&'a [String]>),
}

/// One executable to run, for the report at index `report` of the phase.
struct Job<'a> {
    report: usize,
    executable: PathBuf,
    exercise: &'a Exercise,
    expected: Option<&'a [String]>,
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

/// The jobs of a phase: what compiled, with its exercise and expected tests (`of` an index into
/// the whole batch). Job `report`s index the phase's own reports.
fn runnable<'a>(
    indices: &[usize],
    built: &[Option<PathBuf>],
    reports: &[Report],
    of: impl Fn(usize) -> (&'a Exercise, Option<&'a [String]>),
) -> Vec<Job<'a>> {
    let mut jobs = Vec::new();
    for (k, &i) in indices.iter().enumerate() {
        if let (Some(executable), true) = (&built[k], reports[k].verdict.passed()) {
            let (exercise, expected) = of(i);
            jobs.push(Job {
                report: k,
                executable: executable.clone(),
                exercise,
                expected,
            });
        }
    }
    jobs
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
