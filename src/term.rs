//! All colour and layout. Everything else writes through these functions to a passed-in writer.
//! Colour follows `NO_COLOR` and whether stdout is a terminal (via `colored`).

mod escape;
mod layout;
mod lists;
mod repeats;
mod screen;

pub use escape::neutralise;
pub use lists::{list, list_view};
pub use screen::{Screen, Scroll};

use std::{
    io::{self, IsTerminal, Write},
    sync::Arc,
    time::Duration,
};

use colored::Colorize;

use crate::{
    check::{OnProgress, Phase, Progress},
    course::{Exercise, Mode},
    explain, libtest,
    process::signal_name,
    verdict::{self, Report, Verdict},
};

/// Decides colour once for the whole process.
pub fn init() {
    let color =
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal();
    colored::control::set_override(color);
}

pub fn color_enabled() -> bool {
    colored::control::SHOULD_COLORIZE.should_colorize()
}

/// Removes ANSI escape sequences (the compiler renders its diagnostics with colour).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ params final-byte
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Text from the compiler or the learner's program, safe to print: see [`neutralise`].
fn outside_text(text: &str) -> String {
    neutralise(text, color_enabled())
}

/// A write to stdout that failed because the reader went away (`async-lings list | head -1`) is
/// not an error: there is nobody left to tell.
pub fn unless_closed(written: io::Result<()>) -> io::Result<()> {
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Prints a command's text to stdout, fitted to the terminal when stdout is one: a line wider than
/// the terminal is broken at spaces, its later rows hanging under its start, as on the watch
/// screen (the terminal itself would break it mid-word). Piped or redirected, the text goes out
/// as it is, one line per line, for tools that read it.
pub fn print_fitted(text: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    let width = out
        .is_terminal()
        .then(crossterm::terminal::size)
        .and_then(Result::ok)
        .map(|(cols, _)| usize::from(cols))
        .filter(|&cols| cols > 0);
    match width {
        Some(width) => {
            let text = String::from_utf8_lossy(text);
            out.write_all(layout::wrap(&text, width).join("\n").as_bytes())?;
        }
        None => out.write_all(text)?,
    }
    out.flush()
}

pub fn progress_bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width).checked_div(total).unwrap_or(0);
    format!(
        "[{}{}] {done}/{total}",
        "#".repeat(filled).green(),
        "-".repeat(width - filled)
    )
}

/// A verdict, leading with what matters: the verdict line, then the first compile error (the
/// first that a `why:` line explains, if any does) or each failing test's message and place,
/// then why (the async mistake behind it), then everything else: the other diagnostics and the
/// full output.
pub fn report(w: &mut impl Write, exercise: &Exercise, report: &Report) -> io::Result<()> {
    writeln!(w, "{}", verdict_line(exercise, report))?;
    let said = repeats::collapse(&report.diagnostics);
    let lead = explain::lead_error(&report.diagnostics).and_then(|lead| {
        let at = said
            .iter()
            .position(|s| s.says(&report.diagnostics[lead.index]))?;
        Some((at, lead.explained))
    });
    let why_shown = match lead {
        Some((at, explained)) => write_lead(w, report, &said[at], explained)?,
        None => false,
    };
    write_failures(w, report)?;
    if !report.stuck.is_empty() {
        writeln!(w, "\n{}", outside_text(&report.stuck))?;
    }
    if !why_shown {
        write_why(w, report)?;
    }
    for (i, s) in said.iter().enumerate() {
        if Some(i) != lead.map(|(at, _)| at) {
            writeln!(w, "\n{}", outside_text(s.diagnostic.rendered.trim_end()))?;
            write_repeats(w, s)?;
        }
    }
    write_output(w, exercise, report)
}

/// The lead error: its headline and place, the async `why:` right under them if it is the error
/// they explain (before the source excerpt: on a small screen it is seen without scrolling),
/// then the rest. Returns whether the `why:` lines were written.
fn write_lead(
    w: &mut impl Write,
    report: &Report,
    lead: &repeats::Said,
    explained: bool,
) -> io::Result<bool> {
    let first = lead.diagnostic.rendered.trim_end();
    let mut lines = first.lines();
    let head: Vec<&str> = lines
        .by_ref()
        .take_while(|l| !strip_ansi(l).trim_start().starts_with("-->"))
        .collect();
    let place = first.lines().nth(head.len());
    writeln!(w, "\n{}", outside_text(&head.join("\n")))?;
    let mut why_shown = false;
    if let Some(place) = place {
        writeln!(w, "{}", outside_text(place))?;
        if explained {
            write_why(w, report)?;
            why_shown = true;
        }
        let rest: Vec<&str> = lines.collect();
        if !rest.is_empty() {
            writeln!(w, "{}", outside_text(&rest.join("\n")))?;
        }
    }
    write_repeats(w, lead)?;
    Ok(why_shown)
}

/// Each failing test's message and place. A run killed at its time limit has failures told only
/// if the tests that had failed were run again (`check::run`).
fn write_failures(w: &mut impl Write, report: &Report) -> io::Result<()> {
    let failures = libtest::failures(&report.output);
    if matches!(
        report.verdict,
        Verdict::TestsFailed(_) | Verdict::TimedOut(_)
    ) && !failures.is_empty()
    {
        writeln!(w)?;
        for failure in &failures {
            compact_failure(w, failure)?;
        }
    }
    Ok(())
}

/// What was printed: a failure's full output (or cargo's words), or a passing program's output.
fn write_output(w: &mut impl Write, exercise: &Exercise, report: &Report) -> io::Result<()> {
    let output = report.output.trim_end();
    // Tests that passed around code refused for its source printed only passes.
    let tests_passed = report.verdict.tests_passed();
    let program = tests_passed && exercise.mode == Mode::Run;
    if !output.is_empty() && (!tests_passed || program) {
        let what = if program {
            "The program printed:"
        } else if matches!(report.verdict, Verdict::CompileFailed) {
            "Cargo said:"
        } else {
            "The full output:"
        };
        writeln!(w, "\n{}\n{}", what.dimmed(), outside_text(output))?;
    }
    Ok(())
}

/// Where else the compiler said the same, in one line under the first.
fn write_repeats(w: &mut impl Write, said: &repeats::Said) -> io::Result<()> {
    match said.repeat_places() {
        Some(places) => writeln!(w, "{}", outside_text(&places).dimmed()),
        None => Ok(()),
    }
}

/// The async mistake behind the verdict, one `why:` line each.
fn write_why(w: &mut impl Write, report: &Report) -> io::Result<()> {
    for explanation in &report.explanations {
        writeln!(w, "{} {}", "why:".cyan().bold(), prose(explanation.text))?;
    }
    Ok(())
}

/// One failing test in a few lines: its name, where it panicked, its message indented under it.
/// On the screen, rows that wrap hang under the name and under the message (`layout::wrap`), so
/// the place and a long message stay visibly part of the failure.
fn compact_failure(w: &mut impl Write, failure: &libtest::Failure) -> io::Result<()> {
    let place = failure
        .location
        .as_deref()
        .map(|l| format!(" ({l})"))
        .unwrap_or_default();
    writeln!(w, "{} {}{}", "✗".red(), failure.name.bold(), place.dimmed())?;
    for line in &failure.message {
        writeln!(w, "    {}", outside_text(line))?;
    }
    Ok(())
}

/// Prose from a course file, reflowed: the lines of a paragraph are joined (the terminal wraps
/// them at its width), blank lines and lines that start a list or are indented stay as they are.
pub fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut lines = text.trim().lines().peekable();
    while let Some(line) = lines.next() {
        out.push_str(line);
        let joins = lines.peek().is_some_and(|next| {
            !line.trim().is_empty()
                && !next.trim().is_empty()
                && !next.starts_with(char::is_whitespace)
                && !next.starts_with(['-', '*', '|', '>', '#'])
                && !next.starts_with("```")
                && !line.starts_with("```")
        });
        out.push(if joins { ' ' } else { '\n' });
    }
    out.trim_end().to_owned()
}

/// What stays on screen after a pass: the exercise, where its solution is, what it taught.
pub fn pass_banner(exercise: &Exercise) -> String {
    let mut banner = format!(
        "{} {} passed, compare with {}",
        "✓".green().bold(),
        exercise.name.bold(),
        exercise.solution_path.display()
    );
    if let Some(learned) = &exercise.learned {
        banner.push_str(&format!("\n  {}", learned.trim()));
    }
    banner.green().to_string()
}

pub fn verdict_line(exercise: &Exercise, report: &Report) -> String {
    let name = exercise.name.bold();
    let failed = "✗".red().bold();
    match &report.verdict {
        Verdict::Passed => format!("{} {name} passed", "✓".green().bold()),
        Verdict::CompileFailed => {
            let errors = report.diagnostics.iter().filter(|d| d.is_error()).count();
            match errors {
                0 => format!("{failed} {name} does not build"),
                1 => format!("{failed} {name} does not compile: 1 error"),
                n => format!("{failed} {name} does not compile: {n} errors"),
            }
        }
        Verdict::TestsFailed(names) if names.is_empty() => format!("{failed} {name}: tests failed"),
        Verdict::TestsFailed(names) => {
            let n = names.len();
            let tests = if n == 1 { "test" } else { "tests" };
            format!("{failed} {name}: {n} {tests} failed: {}", names.join(", "))
        }
        Verdict::RunFailed(code) => {
            format!("{failed} {name}: the program exited with status {code}")
        }
        Verdict::Panicked => format!("{failed} {name}: the program panicked"),
        Verdict::TimedOut(after) => format!(
            "{failed} {name}: timed out after {} and was killed",
            seconds(*after)
        ),
        Verdict::Crashed(signal) => {
            format!(
                "{failed} {name}: crashed ({}{})",
                signal_name(*signal),
                crash_hint(*signal)
            )
        }
        Verdict::ClippyFailed => format!("{failed} {name}: clippy found problems"),
        Verdict::TestsEdited(_) | Verdict::TestsIncomplete(_) => {
            let problem = report.verdict.tests_problem(Some(&exercise.name));
            format!("{failed} {name}: {}", problem.unwrap_or_default())
        }
        Verdict::Unawaited(line) => format!("{failed} {name}: {}", verdict::unawaited(*line)),
        Verdict::Blocking(call) => format!("{failed} {name}: {}", verdict::blocking(call)),
        Verdict::TryLockUnwrapped(tried) => {
            format!("{failed} {name}: {}", verdict::try_lock(tried))
        }
        Verdict::Cancelled => format!("{} {name}: cancelled", "-".yellow()),
    }
}

fn crash_hint(signal: i32) -> &'static str {
    match signal {
        6 => ": aborted, e.g. a stack overflow or a panic while panicking",
        11 => ": a segmentation fault",
        9 => ": killed",
        _ => "",
    }
}

pub fn seconds(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// How to ask for the next hint where the hint is shown.
#[derive(Clone, Copy)]
pub enum HintAgain {
    /// The `hint` command.
    Command,
    /// Watch mode's `h` key.
    Key,
}

pub fn hint(
    w: &mut impl Write,
    exercise: &Exercise,
    shown: usize,
    again: HintAgain,
) -> io::Result<()> {
    let total = exercise.hints.len();
    if total == 0 {
        return writeln!(
            w,
            "{} has no hints. Read the comments at the top of its file.",
            exercise.name
        );
    }
    for (i, hint) in exercise.hints.iter().enumerate().take(shown) {
        writeln!(
            w,
            "{} {}",
            format!("Hint {}/{total}:", i + 1).cyan().bold(),
            prose(hint)
        )?;
    }
    if shown < total {
        match again {
            HintAgain::Command => writeln!(w, "(`async-lings hint` again for the next one)")?,
            HintAgain::Key => writeln!(w, "(press `h` again for the next one)")?,
        }
    }
    Ok(())
}

pub fn error(error: &anyhow::Error) {
    let mut stderr = io::stderr().lock();
    let color = colored::control::SHOULD_COLORIZE.should_colorize();
    let _ = writeln!(
        stderr,
        "{} {}",
        "error:".red().bold(),
        neutralise(&error.to_string(), color)
    );
    for cause in error.chain().skip(1) {
        let _ = writeln!(
            stderr,
            "  caused by: {}",
            neutralise(&cause.to_string(), color)
        );
    }
}

pub fn warning(message: &str) {
    let _ = writeln!(io::stderr(), "{} {message}", "warning:".yellow().bold());
}

/// A one-line progress bar on stderr, only when stderr is a terminal.
#[derive(Clone, Copy)]
pub struct ProgressLine {
    enabled: bool,
}

impl ProgressLine {
    pub fn new() -> Self {
        ProgressLine {
            enabled: io::stderr().is_terminal(),
        }
    }

    pub fn callback(self) -> OnProgress {
        Arc::new(move |progress| self.show(progress))
    }

    pub fn show(&self, progress: Progress) {
        if !self.enabled {
            return;
        }
        let phase = match progress.phase {
            Phase::Compiling => "compiling",
            Phase::Testing => "testing",
            Phase::Running => "running",
            Phase::Clippy => "clippy",
        };
        let bar = progress_bar(progress.done, progress.total, 30);
        let crates = match progress.crates {
            0 => String::new(),
            1 => " (1 crate built)".to_owned(),
            n => format!(" ({n} crates built)"),
        };
        let _ = write!(io::stderr(), "\r\x1b[2K{phase:>9} {bar}{crates}");
    }

    pub fn clear(&self) {
        if self.enabled {
            let _ = write!(io::stderr(), "\r\x1b[2K");
        }
    }
}
