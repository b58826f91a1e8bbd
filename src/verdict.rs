//! What a check of one exercise found.

use std::time::Duration;

use crate::{cargo::Diagnostic, explain::Explanation, process::signal_name};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    /// The diagnostics hold the errors (or, if cargo failed before rustc, `Report::output` says why).
    CompileFailed,
    /// The names of the failing tests; empty if the harness failed without naming one.
    TestsFailed(Vec<String>),
    /// `mode = "run"`: the binary exited with this code.
    RunFailed(i32),
    /// Killed after this long: a hang, a deadlock or an endless loop.
    TimedOut(Duration),
    /// Killed by this signal: an abort, a stack overflow, a segfault.
    Crashed(i32),
    ClippyFailed,
    Cancelled,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        *self == Verdict::Passed
    }

    /// A stable one-word name, for JSON reports and comparisons with `fails` in info.toml.
    pub fn kind(&self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::CompileFailed => "compile",
            Verdict::TestsFailed(_) => "test",
            Verdict::RunFailed(_) => "run",
            Verdict::TimedOut(_) => "timeout",
            Verdict::Crashed(_) => "crash",
            Verdict::ClippyFailed => "clippy",
            Verdict::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Report {
    pub verdict: Verdict,
    /// Compiler (or clippy) errors and warnings, errors first.
    pub diagnostics: Vec<Diagnostic>,
    /// What the tests (or the binary) printed, or cargo's own complaint.
    pub output: String,
    pub explanations: Vec<&'static Explanation>,
    pub duration: Duration,
}

impl Report {
    pub fn new() -> Self {
        Report {
            verdict: Verdict::Passed,
            diagnostics: Vec::new(),
            output: String::new(),
            explanations: Vec::new(),
            duration: Duration::ZERO,
        }
    }

    /// The first thing to show a learner: the first compile error, or the first failing test.
    pub fn first_error(&self) -> Option<String> {
        if let Some(d) = self.diagnostics.iter().find(|d| d.is_error()) {
            let code = d
                .code
                .as_deref()
                .map(|c| format!("[{c}] "))
                .unwrap_or_default();
            return Some(format!("{code}{}", d.message));
        }
        let panic = first_panic(&self.output);
        match &self.verdict {
            Verdict::Passed | Verdict::Cancelled => None,
            Verdict::TestsFailed(names) if !names.is_empty() => Some(match panic {
                Some(message) => format!("test {} failed: {message}", names[0]),
                None => format!("test {} failed", names[0]),
            }),
            Verdict::TimedOut(after) => Some(format!("timed out after {}s", after.as_secs())),
            Verdict::Crashed(signal) => Some(format!("crashed with {}", signal_name(*signal))),
            Verdict::RunFailed(code) => Some(format!("the program exited with status {code}")),
            _ => panic.or_else(|| {
                let line = self.output.lines().find(|l| !l.trim().is_empty())?;
                Some(line.to_owned())
            }),
        }
    }
}

/// The message of the first panic in a test's output: the line after `panicked at FILE:LINE:`.
fn first_panic(output: &str) -> Option<String> {
    let mut lines = output.lines().skip_while(|l| !l.contains("panicked at "));
    lines.next()?;
    lines
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_owned())
}
