//! What a libtest harness said about its tests, and whether that adds up to a pass.
//!
//! Exit status 0 is not enough: a test that calls `process::exit(0)` ends the run early with 0,
//! a deleted or `#[ignore]`d test is simply not run, and any test can print a line that looks
//! like libtest's summary. A pass needs every expected test to report `ok`, nothing ignored or
//! filtered out, and a final summary that agrees with the per-test lines.
//!
//! The code can also print every line of a passing run and then exit 0, so the per-test results
//! are also read from a second channel that only libtest writes to: its `--logfile`.

use std::{
    collections::hash_map::RandomState,
    fs,
    hash::{BuildHasher, Hasher},
    io,
    ops::Range,
    path::{Path, PathBuf},
    process,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// What libtest prints to stderr (before anything else) when given `--logfile` since Rust 1.87:
/// the option is deprecated, but stable and still works.
const LOGFILE_DEPRECATED: &str = "warning: `--logfile` is deprecated";

/// A fresh file in the temp dir for one run's `--logfile`, under a name the tested code cannot
/// guess (process id, a counter, the time and random bits), removed when dropped.
pub struct LogFile {
    path: PathBuf,
}

impl LogFile {
    pub fn new() -> io::Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        static SWEPT: std::sync::Once = std::sync::Once::new();
        let dir = std::env::temp_dir();
        SWEPT.call_once(|| remove_stale_logs(&dir));
        loop {
            let count = COUNTER.fetch_add(1, Ordering::Relaxed);
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            // A `RandomState` is seeded from the OS's randomness.
            let random = RandomState::new().build_hasher().finish();
            let path = dir.join(format!(
                "async-lings-{}-{count}-{nanos}-{random:016x}.log",
                process::id()
            ));
            // `create_new`: the file is ours, not one planted at that path.
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(LogFile { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What libtest logged (nothing, if the file is gone or unreadable).
    pub fn read(&self) -> Vec<(String, Outcome)> {
        parse_log(&fs::read_to_string(&self.path).unwrap_or_default())
    }
}

/// No run lasts this long (a course's `timeout` is at most an hour): a log file untouched for a
/// day belongs to an async-lings that was killed, on every platform.
const STALE_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Removes the log files of async-lings processes that are gone: a `kill -9` (or a second Ctrl-C)
/// ends async-lings before a `LogFile` is dropped.
fn remove_stale_logs(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("async-lings-"))
            .filter(|n| n.ends_with(".log"))
            .and_then(|n| n.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != process::id() && (is_gone(pid) || is_old(&entry)) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn is_old(entry: &fs::DirEntry) -> bool {
    entry
        .metadata()
        .and_then(|metadata| metadata.modified())
        .ok()
        .and_then(|modified| modified.elapsed().ok())
        .is_some_and(|age| age > STALE_AFTER)
}

#[cfg(unix)]
fn is_gone(pid: u32) -> bool {
    let Ok(pid) = i32::try_from(pid) else {
        return false;
    };
    // Signal 0 only asks whether the process exists; EPERM means it does (someone else's).
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) == Err(nix::errno::Errno::ESRCH)
}

/// Elsewhere there is no cheap way to ask whether a process exists: the file's age decides.
#[cfg(not(unix))]
fn is_gone(_pid: u32) -> bool {
    false
}

impl Drop for LogFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// The run's output without libtest's warning about `--logfile`, which the learner need not see.
pub fn without_logfile_warning(output: String) -> String {
    match output.strip_prefix(LOGFILE_DEPRECATED) {
        Some(rest) => rest.to_owned(),
        None => output,
    }
}

/// One `test NAME ... RESULT` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed,
    Ignored,
}

/// The counts of libtest's last `test result:` line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub ok: bool,
    pub passed: usize,
    pub failed: usize,
    pub ignored: usize,
    pub filtered_out: usize,
}

#[derive(Debug, Default)]
pub struct Run {
    pub tests: Vec<(String, Outcome)>,
    pub summary: Option<Summary>,
    /// The output lost its middle past the cap: the lines of tests that ended there are gone.
    pub cut: bool,
}

/// How a run falls short of a pass though no test failed (mostly one that exited with status 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shortfall {
    /// No summary line at the end: the harness never finished (e.g. `process::exit`), whatever
    /// the exit status.
    NoSummary,
    /// Tests that should have run and passed but did not report `ok`: missing or ignored.
    Missing {
        missing: Vec<String>,
        ignored: Vec<String>,
    },
    /// The summary does not agree with the per-test lines (a printed imitation of one), or
    /// says that tests were filtered out (async-lings passes no filter).
    Inconsistent,
    /// The harness ran, but no test at all (and which tests to expect is not known).
    NoTests,
    /// Tests that stdout reports as passed but the harness's own log does not: the lines and
    /// the summary were printed by the code, not by libtest.
    Unconfirmed(Vec<String>),
}

/// A failing test's panic, as libtest printed it in its `---- NAME stdout ----` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub name: String,
    /// `FILE:LINE:COLUMN` of the panic, if it said.
    pub location: Option<String>,
    /// The panic message, up to a few lines (`assert_eq!` adds `left:` and `right:`).
    pub message: Vec<String>,
}

/// The failing tests' panics, sorted by test name (libtest prints them as the tests finish, which
/// changes from run to run).
pub fn failures(output: &str) -> Vec<Failure> {
    let lines: Vec<&str> = output.lines().collect();
    let mut found: Vec<Failure> = sections(&lines)
        .into_iter()
        .map(|(name, range)| failure(name, lines[range].iter().copied()))
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

/// Each failing test's `---- NAME stdout ----` section: its name and the range of its lines,
/// up to the next section or the `failures:` list.
fn sections<'a>(lines: &[&'a str]) -> Vec<(&'a str, Range<usize>)> {
    let mut found = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let Some(name) = lines[at]
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        else {
            at += 1;
            continue;
        };
        let end = (at + 1..lines.len())
            .find(|&i| lines[i].starts_with("---- ") || lines[i].starts_with("failures:"))
            .unwrap_or(lines.len());
        found.push((name, at + 1..end));
        at = end;
    }
    found
}

/// `output` without the panics a failing test's own thread caught: in the test's `---- NAME
/// stdout ----` section, each panic of its own thread but the last (a panic not caught ends the
/// thread), up to the next panic. A test may catch a panic on purpose (to tell what the code did
/// in its own words), and what the caught panic says is not why the test failed.
pub fn without_caught_panics(output: &str) -> String {
    let lines: Vec<&str> = output.lines().collect();
    let header = |line: &str| line.starts_with("thread '") && line.contains(" panicked at ");
    let mut drop = vec![false; lines.len()];
    for (name, range) in sections(&lines) {
        let own_thread = format!("thread '{name}'");
        let end = range.end;
        let own: Vec<usize> = range
            .filter(|&i| header(lines[i]) && lines[i].starts_with(&own_thread))
            .collect();
        for &panic in own.iter().rev().skip(1) {
            let next = (panic + 1..end).find(|&i| header(lines[i])).unwrap_or(end);
            drop[panic..next].iter_mut().for_each(|d| *d = true);
        }
    }
    lines
        .iter()
        .zip(drop)
        .filter(|(_, dropped)| !dropped)
        .map(|(line, _)| *line)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The lines of a message worth showing: at most six, no blank ones, no backtrace note.
const MESSAGE_LINES: usize = 6;

/// One test's failure from the lines of its `---- NAME stdout ----` section. The test's own
/// thread's panic wins; else the last one (a task's panic, then the test's `unwrap` of its
/// `JoinError`, is the usual order). With no panic printed at all (a test that returned `Err`,
/// or code that replaced the panic hook), what the test printed is the message.
fn failure<'a>(name: &str, section: impl Iterator<Item = &'a str>) -> Failure {
    let mut failure = Failure {
        name: name.to_owned(),
        location: None,
        message: Vec::new(),
    };
    let own_thread = format!("{name}'");
    let (mut own_seen, mut keep) = (false, false);
    let mut printed = Vec::new();
    for line in section {
        // A panic starts `thread 'NAME' (ID) panicked at FILE:LINE:COL:`; a message may say
        // "panicked at" too.
        let panic = line
            .strip_prefix("thread '")
            .and_then(|rest| rest.split_once(" panicked at "));
        if let Some((thread, at)) = panic {
            let own = thread.starts_with(&own_thread);
            keep = own || !own_seen;
            own_seen |= own;
            if keep {
                failure.location = Some(at.trim_end_matches(':').to_owned());
                failure.message.clear();
            }
            continue;
        }
        let shown = !line.starts_with("note: run with `RUST_BACKTRACE") && !line.trim().is_empty();
        if shown && keep && failure.message.len() < MESSAGE_LINES {
            failure.message.push(line.to_owned());
        }
        if shown && printed.len() < MESSAGE_LINES {
            printed.push(line.to_owned());
        }
    }
    if failure.location.is_none() {
        failure.message = printed;
    }
    failure
}

/// What libtest printed: each test's line and the summary. libtest writes `test NAME ... ` and
/// the result as two writes, so output the tested code writes to stdout past the harness's
/// capture (`writeln!(std::io::stdout(), ..)`; stderr is read apart) can land between them: a test whose line holds other text
/// after ` ... ` takes the result that stands alone on a later line. Only stdout's account of the
/// run; [`shortfall`] holds it against the harness's own log.
pub fn parse(output: &str) -> Run {
    let mut run = Run::default();
    // A test whose result was pushed to a later line by text written in between.
    let mut waiting: Option<&str> = None;
    for line in output.lines() {
        let line = line.trim_end();
        if let Some(counts) = line.strip_prefix("test result: ") {
            run.summary = summary(counts);
            waiting = None;
        } else if let Some(rest) = line.strip_prefix("test ")
            && let Some((name, result)) = rest.split_once(" ... ")
        {
            match outcome(result) {
                Some(outcome) => run.push(name, outcome),
                None => waiting = Some(name),
            }
        } else if let Some(outcome) = outcome(line)
            && let Some(name) = waiting.take()
        {
            run.push(name, outcome);
        }
    }
    run
}

/// A test's result as libtest prints it after ` ... `.
fn outcome(result: &str) -> Option<Outcome> {
    match result {
        "ok" => Some(Outcome::Ok),
        "FAILED" => Some(Outcome::Failed),
        r if r.starts_with("ignored") => Some(Outcome::Ignored),
        _ => None,
    }
}

impl Run {
    fn push(&mut self, name: &str, outcome: Outcome) {
        // `#[should_panic]` tests are reported as `NAME - should panic`.
        let name = name.strip_suffix(" - should panic").unwrap_or(name);
        self.tests.push((name.to_owned(), outcome));
    }
}

/// The harness's own record of a run, written to `--logfile PATH` (one `ok NAME`,
/// `failed NAME` or `ignored[: REASON] NAME` line per finished test). Unlike stdout, the tested
/// code never writes there: it is a file whose name it does not know in advance.
pub fn parse_log(log: &str) -> Vec<(String, Outcome)> {
    let mut tests = Vec::new();
    for line in log.lines() {
        let line = line.trim_end();
        if let Some(name) = line.strip_prefix("ok ") {
            tests.push((name.to_owned(), Outcome::Ok));
        } else if line.starts_with("ignored") {
            let name = line.rsplit(' ').next().unwrap_or_default();
            tests.push((name.to_owned(), Outcome::Ignored));
        } else if !line.is_empty() {
            let name = line.rsplit(' ').next().unwrap_or_default();
            tests.push((name.to_owned(), Outcome::Failed));
        }
    }
    tests
}

/// `ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s`
fn summary(counts: &str) -> Option<Summary> {
    let (verdict, rest) = counts.split_once(". ")?;
    let mut summary = Summary {
        ok: verdict == "ok",
        ..Summary::default()
    };
    for part in rest.split("; ") {
        let (number, what) = part.split_once(' ')?;
        let Ok(number) = number.parse() else {
            continue;
        };
        match what {
            "passed" => summary.passed = number,
            "failed" => summary.failed = number,
            "ignored" => summary.ignored = number,
            "filtered out" => summary.filtered_out = number,
            _ => {}
        }
    }
    Some(summary)
}

/// Whether an exit-0 run is a real pass. `log` is the harness's own record of the run
/// ([`parse_log`]): every test that stdout reports as passed must have passed there too, and
/// the summary must count what it holds. `expected` are the shipped tests' function names (a
/// reported name matches if it is the name or ends in `::name`); `None` if they are not known,
/// and then at least one test must have run.
pub fn shortfall(
    run: &Run,
    log: &[(String, Outcome)],
    expected: Option<&[String]>,
) -> Option<Shortfall> {
    let Some(summary) = run.summary else {
        return Some(Shortfall::NoSummary);
    };
    let tests = reported_tests(run, log);
    let count = |outcome| tests.iter().filter(|(_, o)| *o == outcome).count();
    let consistent = summary.ok
        && summary.failed == 0
        && summary.passed == count(Outcome::Ok)
        && summary.ignored == count(Outcome::Ignored)
        && summary.filtered_out == 0
        && count(Outcome::Failed) == 0;
    if !consistent {
        return Some(Shortfall::Inconsistent);
    }
    let logged = |name: &str| log.iter().any(|(t, o)| t == name && *o == Outcome::Ok);
    let unconfirmed: Vec<String> = tests
        .iter()
        .filter(|(name, outcome)| *outcome == Outcome::Ok && !logged(name))
        .map(|(name, _)| name.clone())
        .collect();
    let log_count = |outcome| log.iter().filter(|(_, o)| *o == outcome).count();
    if !unconfirmed.is_empty()
        || log_count(Outcome::Ok) != summary.passed
        || log_count(Outcome::Ignored) != summary.ignored
        || log_count(Outcome::Failed) != 0
    {
        return Some(Shortfall::Unconfirmed(unconfirmed));
    }
    let reported = |name: &str, outcome: Outcome| {
        tests.iter().any(|(test, o)| {
            *o == outcome && (test == name || test.ends_with(&format!("::{name}")))
        })
    };
    let (mut missing, mut ignored) = (Vec::new(), Vec::new());
    for name in expected.unwrap_or_default() {
        if reported(name, Outcome::Ignored) {
            ignored.push(name.clone());
        } else if !reported(name, Outcome::Ok) {
            missing.push(name.clone());
        }
    }
    // Ignored or filtered-out tests that the expected list does not name are still not a pass.
    for (test, outcome) in &tests {
        if *outcome == Outcome::Ignored && !ignored.iter().any(|n| test.ends_with(n.as_str())) {
            ignored.push(test.clone());
        }
    }
    if !missing.is_empty() || !ignored.is_empty() {
        Some(Shortfall::Missing { missing, ignored })
    } else if summary.passed == 0 {
        Some(Shortfall::NoTests)
    } else {
        None
    }
}

/// The tests the output reports. Where it lost its middle past the cap (code that writes past
/// libtest's capture can print that much), the lines dropped are taken from the harness's own
/// log: what the output kept must still agree with the log, and the summary with both.
fn reported_tests(run: &Run, log: &[(String, Outcome)]) -> Vec<(String, Outcome)> {
    let mut tests = run.tests.clone();
    if run.cut {
        for (name, outcome) in log {
            if !tests.iter().any(|(test, _)| test == name) {
                tests.push((name.clone(), *outcome));
            }
        }
    }
    tests
}

#[cfg(test)]
mod tests;
