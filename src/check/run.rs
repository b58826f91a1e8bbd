//! Running what a check built: each executable directly, under its exercise's timeout, as many
//! at once as the checker allows; and what its exit means for the verdict.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::{
        Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    thread,
    time::Duration,
};

use anyhow::{Context, Result};

use super::{Checker, OUTPUT_CAP, OnProgress, Phase, Progress};
use crate::{
    course::Exercise,
    libtest,
    process::{self, Exit, Limits},
    stuck,
    verdict::{Report, Verdict},
};

impl Checker<'_> {
    /// Runs each job's executable under its exercise's timeout, `self.jobs` at a time.
    pub(super) fn run_each(
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
        // Where libtest itself records each test's result, out of the tested code's reach.
        let log = match harness {
            Harness::Accounted(_) => {
                Some(libtest::LogFile::new().context("cannot create a file in the temp dir")?)
            }
            _ => None,
        };
        let command = self.command(exe, harness, log.as_ref());
        let finished = process::run(command, &limits(timeout, harness), &self.cancel)?;
        // libtest warns on stderr that `--logfile` is deprecated; only accounted runs pass it.
        let stdout = finished.stdout.text();
        let output = joined(
            &stdout,
            &libtest::without_logfile_warning(finished.stderr.text()),
        );
        let stuck = if finished.exit == Exit::TimedOut && harness != Harness::Program {
            stuck::describe(exe, self.root, &output, &finished.threads)
        } else {
            String::new()
        };
        let verdict = verdict(finished.exit, harness, timeout, &output, || {
            let logged = log.as_ref().map(libtest::LogFile::read).unwrap_or_default();
            let mut run = libtest::parse(&stdout);
            run.cut = finished.stdout.dropped > 0;
            libtest::shortfall(&run, &logged, harness.expected())
        });
        let mut ran = Ran {
            verdict,
            output,
            elapsed: finished.elapsed,
            stuck,
        };
        if matches!(ran.verdict, Verdict::TimedOut(_))
            && harness != Harness::Program
            && let Some((told, took)) = self.failed_again(exe, timeout, &stdout)?
        {
            ran.output = format!("{}\n\n{RUN_AGAIN}\n\n{told}", ran.output.trim_end());
            ran.elapsed += took;
        }
        Ok(ran)
    }

    /// A test run killed at its time limit never printed why its failed tests failed (libtest
    /// does that at the end of a run): those tests are run again on their own (`--exact`), and
    /// their `failures:` section is kept. None if no test had failed before the kill, or if the
    /// second run tells no failure (it too was killed, or they passed on their own).
    fn failed_again(
        &self,
        exe: &Path,
        timeout: Duration,
        stdout: &str,
    ) -> Result<Option<(String, Duration)>> {
        let failed: Vec<String> = libtest::parse(stdout)
            .tests
            .into_iter()
            .filter(|(_, outcome)| *outcome == libtest::Outcome::Failed)
            .map(|(name, _)| name)
            .collect();
        if failed.is_empty() {
            return Ok(None);
        }
        let mut command = self.command(exe, Harness::Tests, None);
        // All at once: each had ended before the kill, some after a wait of real time that
        // one after another would add up past the limit.
        let threads = format!("--test-threads={}", failed.len().min(MAX_AGAIN_AT_ONCE));
        command.arg("--exact").arg(threads).args(&failed);
        let limits = Limits {
            diagnose: false,
            ..limits(timeout, Harness::Tests)
        };
        let again = process::run(command, &limits, &self.cancel)
            .context("cannot run the tests that had failed again")?;
        let text = again.stdout.text();
        let told = text
            .find("\nfailures:\n")
            .map(|at| text[at + 1..].trim_end().to_owned())
            .filter(|told| !libtest::failures(told).is_empty());
        Ok(told.map(|told| (told, again.elapsed)))
    }

    /// The executable, run in the course's root, with libtest's log where it is read.
    fn command(&self, exe: &Path, harness: Harness, log: Option<&libtest::LogFile>) -> Command {
        let mut command = Command::new(exe);
        // Backtraces bury the one line a learner needs: the assertion message.
        command.current_dir(self.root).env("RUST_BACKTRACE", "0");
        if harness != Harness::Program {
            command.arg("--color=never");
        }
        if let Some(log) = log {
            command.arg("--logfile").arg(log.path());
        }
        command
    }
}

/// Above what the tests that had failed before a timeout said when they were run again.
const RUN_AGAIN: &str = "The run was killed at its time limit, and libtest tells why a test \
failed only at the end of a run. The tests that had failed before the kill, run again on their \
own, said:";

/// At most this many of the tests that had failed before a timeout run again at once.
const MAX_AGAIN_AT_ONCE: usize = 16;

/// How long a run may take and what of it is kept.
fn limits(timeout: Duration, harness: Harness) -> Limits {
    Limits {
        timeout,
        cap: OUTPUT_CAP,
        // libtest writes `test NAME ... ` and the result apart, and what the tested code writes
        // to stderr past the harness's capture could land in between: where libtest's lines are
        // read, stderr is kept apart (and shown after them).
        merge_stderr: !matches!(harness, Harness::Accounted(_)),
        on_line: None,
        stall: None,
        diagnose: harness != Harness::Program,
        guarded: true,
    }
}

/// What a run's exit means. `shortfall` says what an accounted harness's log lacks, if anything:
/// it is asked only when the harness exited with 0 (a failing exit with no summary is told
/// apart from the output alone).
fn verdict(
    exit: Exit,
    harness: Harness,
    timeout: Duration,
    output: &str,
    shortfall: impl FnOnce() -> Option<libtest::Shortfall>,
) -> Verdict {
    match (exit, harness) {
        (Exit::Code(0), Harness::Accounted(_)) => match shortfall() {
            None => Verdict::Passed,
            Some(shortfall) => Verdict::TestsIncomplete(shortfall),
        },
        (Exit::Code(0), _) => Verdict::Passed,
        (Exit::Code(code), _) if process::crash_code(code).is_some() => {
            crashed(code, harness, output)
        }
        (Exit::Code(code), Harness::Program) => Verdict::RunFailed(code),
        (Exit::Code(_), _) => failed(output),
        (Exit::Signal(signal), _) => crashed(signal, harness, output),
        (Exit::TimedOut | Exit::Stalled, Harness::Program) => Verdict::TimedOut(timeout),
        (Exit::TimedOut | Exit::Stalled, _) => over_time(timeout, output),
        (Exit::Cancelled, _) => Verdict::Cancelled,
    }
}

/// A test run killed at its time limit. If libtest had printed its summary and it counts failed
/// tests, every test had ended (the process was only slow to exit, or ended a moment past the
/// limit): the verdict is those failures, not a hang. A summary of passes stays a timeout (a
/// pass is never given to a run that was killed).
fn over_time(timeout: Duration, output: &str) -> Verdict {
    let ended_failing = libtest::parse(output)
        .summary
        .is_some_and(|summary| !summary.ok && summary.failed > 0);
    let names = failed_tests(output);
    if ended_failing && !names.is_empty() {
        Verdict::TestsFailed(names)
    } else {
        Verdict::TimedOut(timeout)
    }
}

/// A test run that exited with a failing status. With no test reported failed and no summary,
/// the harness never finished: the code ended the process (`std::process::exit(1)`), and the
/// learner is told so rather than only that the tests failed.
pub(super) fn failed(output: &str) -> Verdict {
    let names = failed_tests(output);
    if names.is_empty() && libtest::parse(output).summary.is_none() {
        return Verdict::TestsIncomplete(libtest::Shortfall::NoSummary);
    }
    Verdict::TestsFailed(names)
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

/// stdout, then what was written to stderr apart from it.
fn joined(stdout: &str, stderr: &str) -> String {
    match (
        stdout.is_empty() || stdout.ends_with('\n'),
        stderr.is_empty(),
    ) {
        (_, true) => stdout.to_owned(),
        (true, false) => format!("{stdout}{stderr}"),
        (false, false) => format!("{stdout}\n{stderr}"),
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
pub(super) enum Harness<'a> {
    /// `main`: exit status 0 is success.
    Program,
    /// A test harness judged by its exit status alone (a rustlings course).
    Tests,
    /// A test harness whose every test must report `ok`: these (if known), or at least one.
    Accounted(Option<&'a [String]>),
}

impl<'a> Harness<'a> {
    /// The tests an accounted harness must report, if known.
    fn expected(self) -> Option<&'a [String]> {
        match self {
            Harness::Accounted(expected) => expected,
            _ => None,
        }
    }
}

/// One executable to run, for the report at index `report` of the phase.
pub(super) struct Job<'a> {
    report: usize,
    executable: PathBuf,
    exercise: &'a Exercise,
    expected: Option<&'a [String]>,
}

/// The jobs of a phase: what compiled, with its exercise and expected tests (`of` an index into
/// the whole batch). Job `report`s index the phase's own reports.
pub(super) fn runnable<'a>(
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

/// The names of the failing tests, from the libtest summary lines `test NAME ... FAILED`, sorted:
/// libtest reports them as they finish, and the screen must not reorder them from save to save.
pub fn failed_tests(output: &str) -> Vec<String> {
    let mut names: Vec<String> = output
        .lines()
        .filter_map(|line| line.strip_prefix("test ")?.strip_suffix(" ... FAILED"))
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}
