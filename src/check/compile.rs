//! The compile phase of a check: one cargo build for a batch's bins, each one's diagnostics and
//! executable, and what the diagnostics say of the checked file (errors in the tests, a future
//! never awaited).

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use anyhow::Result;

use super::{Checker, OnProgress, Phase, Progress};
use crate::{
    cargo::{self, BuildKind, Diagnostic},
    course::{DEFAULT_COMPILE_TIMEOUT, Exercise},
    explain,
    process::{self, Exit},
    verdict::{Report, Verdict},
};

impl Checker<'_> {
    /// Builds `bins`, marks the reports of those that failed, and returns each one's executable.
    pub(super) fn compile(
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
}

/// Marks the diagnostics that point below the `// Tests:` marker (at line `marker`) of the file
/// checked, where the learner may change nothing: an error there comes from what the code above
/// changed.
pub(super) fn mark_errors_in_tests(path: &Path, marker: usize, diagnostics: &mut [Diagnostic]) {
    for d in diagnostics {
        d.in_tests = d
            .primary
            .as_ref()
            .is_some_and(|(file, line)| *line > marker && same_file(path, file));
    }
}

/// The line of the first future that the checked file makes and drops unawaited, outside the
/// tests (rustc's `unused_must_use` on a `Future`). Tests that pass around such a future judged
/// code whose work never happens: an async-lings course does not call that a pass (rustlings'
/// rules leave warnings alone).
pub(super) fn unawaited_future(path: &Path, diagnostics: &[Diagnostic]) -> Option<usize> {
    diagnostics
        .iter()
        .filter(|d| !d.in_tests && explain::for_diagnostic(d) == Some(&explain::UNAWAITED_FUTURE))
        .find_map(|d| {
            let (file, line) = d.primary.as_ref()?;
            same_file(path, file).then_some(*line)
        })
}

/// The exercise's path and a diagnostic's file name the same file (one may be relative to the
/// package, the other to the course).
fn same_file(path: &Path, file: &Path) -> bool {
    path.ends_with(file) || file.ends_with(path)
}

/// The compile limit of the exercises at `indices`: the most lenient of theirs.
pub(super) fn limit_of(exercises: &[&Exercise], indices: &[usize]) -> Duration {
    compile_limit(indices.iter().map(|&i| exercises[i]))
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
pub(super) fn crate_counter(progress: OnProgress, total: usize) -> process::OnLine {
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
