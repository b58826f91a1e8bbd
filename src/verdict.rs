//! What a check of one exercise found.

use std::time::Duration;

use crate::{
    cargo::Diagnostic,
    libtest::{self, Shortfall},
    process::signal_name,
    tests_section::{BlockingCall, Change, MARKER, SplitBy, StdBlock, TriedLock},
};

/// Why a verdict came about, in one sentence: the async mistake behind a compiler error or a
/// test's failure (see `explain`, which recognises them).
#[derive(Debug, PartialEq, Eq)]
pub struct Explanation {
    /// Stable name, used in tests and JSON reports.
    pub id: &'static str,
    pub text: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    /// The diagnostics hold the errors (or, if cargo failed before rustc, `Report::output` says why).
    CompileFailed,
    /// The names of the failing tests; empty if the harness failed without naming one.
    TestsFailed(Vec<String>),
    /// `mode = "run"`: the binary exited with this code.
    RunFailed(i32),
    /// `mode = "run"`: `main` panicked (under `panic = "abort"` too, where the panic ends in an
    /// abort: that is the panic's doing, not a crash).
    Panicked,
    /// Killed after this long: a hang, a deadlock or an endless loop.
    TimedOut(Duration),
    /// Killed by this signal: an abort, a stack overflow, a segfault.
    Crashed(i32),
    ClippyFailed,
    /// The tests below the `// Tests:` marker differ from the shipped ones (or the code above it
    /// shadows a macro they call).
    TestsEdited(Change),
    /// The harness exited with status 0, but not every shipped test ran and passed.
    TestsIncomplete(Shortfall),
    /// The tests passed, but the code makes a future at this (1-based) line of the exercise and
    /// drops it unawaited (rustc's `unused_must_use`): work the code means to do never
    /// happens, whatever the tests saw.
    Unawaited(usize),
    /// The tests passed, but the code makes a blocking std call in async code
    /// (`std::thread::sleep` or `park`, a std `mpsc` receiver's `recv`; at a
    /// line, or through a fn, method, closure or macro of its own that makes it): it stops every
    /// task of the runtime's thread while it waits.
    Blocking(BlockingCall),
    /// The tests passed, but at a line the code takes a lock in async code with `try_lock()`
    /// (or `try_read()`, `try_write()`) and unwraps it: it panics whenever another task or
    /// thread holds the lock then.
    TryLockUnwrapped(TriedLock),
    Cancelled,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        *self == Verdict::Passed
    }

    /// Whether the tests passed, pass or not: a pass, or code refused for what its source does
    /// (a future never awaited, a blocking sleep, an unwrapped `try_lock`).
    pub fn tests_passed(&self) -> bool {
        matches!(
            self,
            Verdict::Passed
                | Verdict::Unawaited(_)
                | Verdict::Blocking(_)
                | Verdict::TryLockUnwrapped(_)
        )
    }

    /// What went wrong with the tests themselves, for the two verdicts about them: plain text
    /// that says what happened and, given the exercise's name, how to restore the tests.
    pub fn tests_problem(&self, name: Option<&str>) -> Option<String> {
        let restore = match name {
            Some(name) => {
                format!("; `async-lings reset --tests {name}` restores them and keeps your code")
            }
            None => String::new(),
        };
        match self {
            Verdict::TestsEdited(change) => Some(edited(change, &restore, name)),
            Verdict::TestsIncomplete(shortfall) => Some(incomplete(shortfall, &restore)),
            _ => None,
        }
    }

    /// A stable one-word name, for JSON reports and comparisons with `fails` in info.toml.
    pub fn kind(&self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::CompileFailed => "compile",
            Verdict::TestsFailed(_) => "test",
            Verdict::RunFailed(_) | Verdict::Panicked => "run",
            Verdict::TimedOut(_) => "timeout",
            Verdict::Crashed(_) => "crash",
            Verdict::ClippyFailed => "clippy",
            Verdict::TestsEdited(_) => "tests-edited",
            Verdict::TestsIncomplete(_) => "tests-incomplete",
            Verdict::Unawaited(_) => "unawaited",
            Verdict::Blocking(_) => "blocking",
            Verdict::TryLockUnwrapped(_) => "try-lock",
            Verdict::Cancelled => "cancelled",
        }
    }
}

const ONLY_ATTRIBUTES: &str = "In this exercise only the attributes that make a function a \
     test may change: `#[test]` or `#[tokio::test(...)]` (such as \
     `#[tokio::test(start_paused = true)]` in place of `#[test]`), not the test bodies nor other \
     attributes (`#[tokio::main]` too: a test's runtime is set in `#[tokio::test(...)]`)";

const CODE_UNDER_TEST: &str = "changes the code under test. In this exercise that code is \
     correct as shipped and the tests' attributes are the exercise, so the tests must pass on \
     the shipped code: put it back";

const SPLIT_BY_TEST: &str = "compiles code apart for the tests (`cfg(test)`, \
     `cfg(not(test))` or `cfg!(test)`), so the tests would judge other code than your program \
     runs. Remove it: the tests judge the code that `cargo run` runs. Your own tests may stay, as \
     `#[test]` functions or in a `#[cfg(test)] mod` that adds no methods to your types";

const SPLIT_BY_CLIPPY: &str = "compiles code apart for clippy (`cfg(clippy)`), so clippy \
     would check other code than the tests and your program run. Remove it, and fix what clippy \
     finds in the code itself";

const SPLIT_BY_BUILD: &str = "compiles code apart for debug and release builds \
     (`debug_assertions`), so the tests, which build in debug, would judge other code than a \
     release build runs. Remove it: the same code must run in both (`debug_assert!` may stay)";

const SPLIT_BY_FLAVOR: &str = "calls `block_in_place`, which panics on the tests' \
     current-thread runtime, or asks which kind of runtime runs it (`runtime_flavor`, \
     `RuntimeFlavor`, `num_workers`, a worker's metrics or thread name): such code can act one \
     way on the tests' runtime and another in your program. Remove it: the code must work the \
     same on every runtime (for blocking work, `tokio::task::spawn_blocking` works on both \
     kinds)";

const SPLIT_BY_PLACE: &str = "asks where it runs or what it was given (how the program \
     was started, `env::args`, `current_exe`, `RUST_TEST_*`; a thread's id, `ThreadId`, or its \
     name compared, `thread::current().name() == ..`; whether \
     output is a terminal, `is_terminal`; a type's name or size, `type_name`, `size_of`): the \
     tests run it in a \
     test binary, on threads of their own, with output captured and streams of their own, so \
     such code can act one way under the tests and another in your program. Remove it: the \
     code must work the same for every caller";

const SPLIT_BY_MAIN: &str = "is in `fn main` and sets a static that the rest of the code \
     reads: no test runs `main`, so such code can act one way under the tests and another in \
     your program. Let the code work the same without it (`main` may call the code and print \
     what it returns)";

/// Why tests that passed are no pass when the code drops a future unawaited.
pub fn unawaited(line: usize) -> String {
    format!(
        "the tests passed, but the future made at line {line} is never awaited, so its work \
         never happens. Add `.await` (or hand it to `tokio::spawn` if it should run on its \
         own), or remove the call"
    )
}

/// Why tests that passed are no pass when the code blocks the runtime's thread with a std call.
pub fn blocking(blocking: &BlockingCall) -> String {
    let (line, std) = (blocking.line, blocking.call.path());
    let what = match &blocking.through {
        None => format!("`{std}` in async code"),
        Some(name) if blocking.dropped => format!(
            "it makes a `{name}`, whose `drop` calls `{std}` where the value is dropped, which"
        ),
        Some(name) => format!("it runs `{name}`, whose `{std}`"),
    };
    let (waits, instead) = match blocking.call {
        StdBlock::Sleep | StdBlock::Park | StdBlock::ParkTimeout => (
            "sleeps",
            "Await `tokio::time::sleep(..)` instead, or move blocking work into \
             `tokio::task::spawn_blocking`",
        ),
        StdBlock::Recv | StdBlock::RecvTimeout | StdBlock::RecvIter => (
            "waits for a message",
            "Use a `tokio::sync::mpsc` channel and await its `recv()` instead, or wait for \
             std's receiver inside `tokio::task::spawn_blocking`",
        ),
    };
    format!(
        "the tests passed, but line {line} blocks the runtime's thread: {what} stops every task \
         on that thread while it {waits} (the tests passed only because nothing else needed the \
         thread then). {instead}"
    )
}

/// Why tests that passed are no pass when the code unwraps a `try_lock()` in async code.
pub fn try_lock(tried: &TriedLock) -> String {
    let TriedLock {
        line,
        method,
        through,
    } = tried;
    let what = match through {
        None => format!("takes a lock with `{method}()` and unwraps it in async code"),
        Some(name) => format!(
            "runs `{name}` in async code, which takes a lock with `{method}()` and unwraps it"
        ),
    };
    format!(
        "the tests passed, but line {line} {what}: that panics whenever another task or thread \
         holds the lock at that moment, which tests on one thread seldom show and a multi-thread \
         runtime does. Wait for the lock instead: `.lock().await` for a tokio `Mutex`, or a std \
         guard in a short scope with no `.await` in it; or handle the `Err` of a busy lock"
    )
}

/// The shipped line a changed one replaced, to quote after the line's number.
fn was(shipped: &str) -> String {
    if shipped.is_empty() {
        String::new()
    } else {
        format!(" (shipped: `{shipped}`)")
    }
}

/// Why tests that were changed cannot judge the fix.
fn edited(change: &Change, restore: &str, name: Option<&str>) -> String {
    match change {
        Change::NoMarker => format!(
            "the line `{MARKER} ...` above the tests is gone or its words were changed, so \
             the shipped tests cannot be told apart from your code{restore}"
        ),
        Change::Line { line, shipped } => format!(
            "the tests were changed at line {line}{}. The tests judge your fix, so they stay \
             as shipped{restore}",
            was(shipped)
        ),
        Change::NotAnAttribute { line, shipped } => format!(
            "the tests were changed at line {line}{}. {ONLY_ATTRIBUTES}{restore}",
            was(shipped)
        ),
        Change::CodeUnderTest { line, shipped } => {
            // `reset --tests` keeps the code: here the whole file goes back.
            let reset = name
                .map(|name| {
                    format!(
                        " (`async-lings reset {name}` puts the whole file back and keeps a \
                         backup of yours)"
                    )
                })
                .unwrap_or_default();
            format!(
                "line {line}{} {CODE_UNDER_TEST}{reset}, then fix the attributes marked TODO",
                was(shipped)
            )
        }
        Change::ShadowedMacro { name, line } => format!(
            "line {line} defines its own `{name}!`, a macro the shipped tests call, so they \
             would run yours instead of the real one. Remove it or give it another name: the \
             tests judge your fix with the standard macros"
        ),
        Change::Split { by, line } => {
            let why = match by {
                SplitBy::Test => SPLIT_BY_TEST,
                SplitBy::Clippy => SPLIT_BY_CLIPPY,
                SplitBy::Build => SPLIT_BY_BUILD,
                SplitBy::Flavor => SPLIT_BY_FLAVOR,
                SplitBy::Place => SPLIT_BY_PLACE,
                SplitBy::Main => SPLIT_BY_MAIN,
            };
            format!("line {line} {why}")
        }
    }
}

/// Why a run that did not report every test cannot pass.
fn incomplete(shortfall: &Shortfall, restore: &str) -> String {
    match shortfall {
        Shortfall::NoSummary => "the test run stopped before \
             its summary: something called `std::process::exit` (or the harness was cut \
             short) while the tests ran. Let every test run to its end."
            .to_owned(),
        Shortfall::Missing { missing, ignored } => {
            let mut parts = Vec::new();
            if !missing.is_empty() {
                parts.push(format!("missing: {}", missing.join(", ")));
            }
            if !ignored.is_empty() {
                parts.push(format!("ignored: {}", ignored.join(", ")));
            }
            let n = missing.len() + ignored.len();
            let tests = if n == 1 { "test did" } else { "tests did" };
            format!("{n} {tests} not run ({}){restore}", parts.join("; "))
        }
        Shortfall::Inconsistent => "the test output does not add \
             up: its summary disagrees with the tests it reports (was a `test result:` line \
             printed by the code?). Only the test harness may report results."
            .to_owned(),
        Shortfall::Unconfirmed(tests) => {
            let which = if tests.is_empty() {
                String::new()
            } else {
                format!(" ({})", tests.join(", "))
            };
            format!(
                "the test output reports tests as passed{which}, but the test harness itself \
                 did not: the results were printed by the code, which then ended the run. \
                 Only the test harness may report results: let every test run to its end."
            )
        }
        Shortfall::NoTests => {
            format!("no test ran{restore}")
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
    /// After a timeout: which tests never finished, and what their threads were doing.
    pub stuck: String,
}

impl Report {
    pub fn new() -> Self {
        Report {
            verdict: Verdict::Passed,
            diagnostics: Vec::new(),
            output: String::new(),
            explanations: Vec::new(),
            duration: Duration::ZERO,
            stuck: String::new(),
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
            Verdict::TestsFailed(names) if !names.is_empty() => {
                // That test's own message: the first panic printed may be another test's, or
                // another thread's.
                let failures = libtest::failures(&self.output);
                let own = failures.iter().find(|f| f.name == names[0]);
                Some(match own.and_then(|f| f.message.first()) {
                    Some(message) => format!("test {} failed: {}", names[0], message.trim()),
                    None => format!("test {} failed", names[0]),
                })
            }
            Verdict::TimedOut(after) => Some(match self.stuck.lines().next() {
                Some(stuck) => format!("timed out after {}s: {stuck}", after.as_secs()),
                None => format!("timed out after {}s", after.as_secs()),
            }),
            Verdict::Crashed(signal) => Some(format!("crashed with {}", signal_name(*signal))),
            Verdict::RunFailed(code) => Some(format!("the program exited with status {code}")),
            Verdict::Panicked => Some(match panic {
                Some(message) => format!("the program panicked: {message}"),
                None => "the program panicked".to_owned(),
            }),
            Verdict::TestsEdited(_) | Verdict::TestsIncomplete(_) => {
                self.verdict.tests_problem(None)
            }
            Verdict::Unawaited(line) => Some(unawaited(*line)),
            Verdict::Blocking(call) => Some(blocking(call)),
            Verdict::TryLockUnwrapped(tried) => Some(try_lock(tried)),
            _ => panic.or_else(|| {
                let line = self.output.lines().find(|l| !l.trim().is_empty())?;
                Some(line.to_owned())
            }),
        }
    }
}

/// The message of the first panic in a test's output: the line after `panicked at FILE:LINE:`.
fn first_panic(output: &str) -> Option<String> {
    let header = |l: &str| l.starts_with("thread '") && l.contains(" panicked at ");
    let mut lines = output.lines().skip_while(|l| !header(l));
    lines.next()?;
    lines
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_owned())
}

#[cfg(test)]
mod tests;
