//! The reports of `verify`, `dev check` and `grade`: a summary table for people, JSON for
//! scripts, JUnit XML for CI dashboards (GitHub Actions and GitLab show one test case per
//! exercise).

use std::{
    fmt::Write as _,
    io::{self, IsTerminal, Write},
    time::Duration,
};

use clap::ValueEnum;
use colored::Colorize;
use serde::Serialize;

use crate::{course::Exercise, term};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A table for people
    Text,
    /// One JSON document
    Json,
    /// JUnit XML, one test case per exercise
    Junit,
}

/// One exercise's line in a report.
pub struct Case<'a> {
    pub exercise: &'a Exercise,
    /// `Verdict::kind` of the check, e.g. `passed`, `compile`, `timeout`.
    pub verdict: &'static str,
    pub passed: bool,
    pub duration: Duration,
    /// Why it did not pass, most important first.
    pub problems: Vec<String>,
    /// The full output, for the JUnit failure body.
    pub output: String,
    /// Ids of the async explanations that matched.
    pub explanations: Vec<&'static str>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    command: &'a str,
    passed: usize,
    failed: usize,
    course_problems: &'a [String],
    exercises: Vec<JsonCase<'a>>,
}

#[derive(Serialize)]
struct JsonCase<'a> {
    name: &'a str,
    lesson: &'a str,
    verdict: &'a str,
    passed: bool,
    duration_ms: u128,
    first_error: Option<&'a str>,
    problems: &'a [String],
    explanations: &'a [&'static str],
}

pub fn write(
    w: &mut impl Write,
    format: ReportFormat,
    command: &str,
    course_problems: &[String],
    cases: &[Case],
) -> io::Result<()> {
    match format {
        ReportFormat::Text => summary(w, course_problems, cases),
        ReportFormat::Json => {
            let passed = cases.iter().filter(|c| c.passed).count();
            let report = JsonReport {
                command,
                passed,
                failed: cases.len() - passed,
                course_problems,
                exercises: cases
                    .iter()
                    .map(|c| JsonCase {
                        name: &c.exercise.name,
                        lesson: c.exercise.lesson(),
                        verdict: c.verdict,
                        passed: c.passed,
                        duration_ms: c.duration.as_millis(),
                        first_error: c.problems.first().map(String::as_str),
                        problems: &c.problems,
                        explanations: &c.explanations,
                    })
                    .collect(),
            };
            serde_json::to_writer_pretty(&mut *w, &report)?;
            writeln!(w)
        }
        ReportFormat::Junit => w.write_all(junit(command, course_problems, cases).as_bytes()),
    }
}

fn junit(command: &str, course_problems: &[String], cases: &[Case]) -> String {
    let failures =
        cases.iter().filter(|c| !c.passed).count() + usize::from(!course_problems.is_empty());
    let tests = cases.len() + usize::from(!course_problems.is_empty());
    let time: f64 = cases.iter().map(|c| c.duration.as_secs_f64()).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        xml,
        "<testsuites name=\"async-lings {command}\" tests=\"{tests}\" failures=\"{failures}\" time=\"{time:.3}\">"
    );
    let _ = writeln!(
        xml,
        "  <testsuite name=\"async-lings {command}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{time:.3}\">"
    );
    if !course_problems.is_empty() {
        let body = course_problems.join("\n");
        let _ = writeln!(
            xml,
            "    <testcase classname=\"course\" name=\"manifests\" time=\"0\">\n      <failure message=\"{}\" type=\"course\">{}</failure>\n    </testcase>",
            escape(&course_problems[0]),
            escape(&body)
        );
    }
    for case in cases {
        junit_case(&mut xml, case);
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

/// One exercise's `<testcase>`, with its first problem and its output when it failed.
fn junit_case(xml: &mut String, case: &Case) {
    let classname = if case.exercise.lesson().is_empty() {
        "course"
    } else {
        case.exercise.lesson()
    };
    let _ = write!(
        xml,
        "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
        escape(classname),
        escape(&case.exercise.name),
        case.duration.as_secs_f64()
    );
    if case.passed {
        xml.push_str("/>\n");
    } else {
        let message = case
            .problems
            .first()
            .map(String::as_str)
            .unwrap_or(case.verdict);
        let mut body = case.problems.join("\n");
        if !case.output.trim().is_empty() {
            body.push_str("\n\n");
            body.push_str(&term::strip_ansi(&case.output));
        }
        let _ = write!(
            xml,
            ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
            escape(message),
            case.verdict,
            escape(&body)
        );
    }
}

/// XML text and attribute escaping; characters XML 1.0 cannot hold at all are dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// One line per exercise: verdict, time and the first problem; then every other problem and
/// the totals.
fn summary(w: &mut impl Write, course_problems: &[String], cases: &[Case]) -> io::Result<()> {
    let width = cases
        .iter()
        .map(|c| c.exercise.name.len())
        .max()
        .unwrap_or(0);
    for case in cases {
        let mark = if case.passed {
            "✓".green()
        } else {
            "✗".red()
        };
        let first = case
            .problems
            .first()
            .map(|p| term::strip_ansi(p))
            .unwrap_or_default();
        // Cut to the terminal's width where there is one; a pipe or a file gets it whole.
        let first: String = match crossterm::terminal::size() {
            Ok((columns, _)) if io::stdout().is_terminal() => {
                let room = usize::from(columns).saturating_sub(width + 22).max(20);
                first.chars().take(room).collect()
            }
            _ => first,
        };
        writeln!(
            w,
            "{mark} {:<width$}  {:<9} {:>6}  {first}",
            case.exercise.name,
            case.verdict,
            term::seconds(case.duration)
        )?;
        for problem in case.problems.iter().skip(1) {
            writeln!(w, "  {:<width$}  {}", "", term::strip_ansi(problem))?;
        }
    }
    for problem in course_problems {
        writeln!(w, "{} {problem}", "✗".red())?;
    }
    let passed = cases.iter().filter(|c| c.passed).count();
    writeln!(w)?;
    writeln!(w, "{passed} passed, {} failed", cases.len() - passed)?;
    if !course_problems.is_empty() {
        let n = course_problems.len();
        let problems = if n == 1 { "problem" } else { "problems" };
        writeln!(w, "and {n} {problems} with the course as a whole")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(
            escape("a<b & \"c\"\x1b[31m"),
            "a&lt;b &amp; &quot;c&quot;[31m"
        );
    }
}
