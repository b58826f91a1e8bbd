//! What a libtest harness said about its tests, and whether that adds up to a pass.
//!
//! Exit status 0 is not enough: a test that calls `process::exit(0)` ends the run early with 0,
//! a deleted or `#[ignore]`d test is simply not run, and any test can print a line that looks
//! like libtest's summary. A pass needs every expected test to report `ok`, nothing ignored or
//! filtered out, and a final summary that agrees with the per-test lines.

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
}

/// How a run that exited with status 0 falls short of a pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shortfall {
    /// No summary line at the end: the harness never finished (e.g. `process::exit`).
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

/// The failing tests' panics, in the order libtest printed them.
pub fn failures(output: &str) -> Vec<Failure> {
    let mut found = Vec::new();
    let mut lines = output.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|l| l.strip_suffix(" stdout ----"))
        else {
            continue;
        };
        let mut failure = Failure {
            name: name.to_owned(),
            location: None,
            message: Vec::new(),
        };
        while let Some(line) =
            lines.next_if(|l| !l.starts_with("---- ") && !l.starts_with("failures:"))
        {
            if let Some((_, at)) = line.split_once(" panicked at ") {
                failure.location = Some(at.trim_end_matches(':').to_owned());
                failure.message.clear();
            } else if failure.location.is_some()
                && failure.message.len() < 6
                && !line.starts_with("note: run with `RUST_BACKTRACE")
                && !line.trim().is_empty()
            {
                failure.message.push(line.to_owned());
            }
        }
        found.push(failure);
    }
    found
}

pub fn parse(output: &str) -> Run {
    let mut run = Run::default();
    for line in output.lines() {
        let line = line.trim_end();
        if let Some(counts) = line.strip_prefix("test result: ") {
            run.summary = summary(counts);
        } else if let Some(rest) = line.strip_prefix("test ")
            && let Some((name, result)) = rest.split_once(" ... ")
        {
            let outcome = match result {
                "ok" => Outcome::Ok,
                "FAILED" => Outcome::Failed,
                r if r.starts_with("ignored") => Outcome::Ignored,
                _ => continue,
            };
            // `#[should_panic]` tests are reported as `NAME - should panic`.
            let name = name.strip_suffix(" - should panic").unwrap_or(name);
            run.tests.push((name.to_owned(), outcome));
        }
    }
    run
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

/// Whether an exit-0 run is a real pass. `expected` are the shipped tests' function names (a
/// reported name matches if it is the name or ends in `::name`); `None` if they are not known,
/// and then at least one test must have run.
pub fn shortfall(run: &Run, expected: Option<&[String]>) -> Option<Shortfall> {
    let Some(summary) = run.summary else {
        return Some(Shortfall::NoSummary);
    };
    let count = |outcome| run.tests.iter().filter(|(_, o)| *o == outcome).count();
    let consistent = summary.ok
        && summary.failed == 0
        && summary.passed == count(Outcome::Ok)
        && summary.ignored == count(Outcome::Ignored)
        && summary.filtered_out == 0
        && count(Outcome::Failed) == 0;
    if !consistent {
        return Some(Shortfall::Inconsistent);
    }
    let reported = |name: &str, outcome: Outcome| {
        run.tests.iter().any(|(test, o)| {
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
    for (test, outcome) in &run.tests {
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

#[cfg(test)]
mod tests;
