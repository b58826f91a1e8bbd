//! `verify`: every exercise checked at once, with a progress bar and a summary table.

use std::{
    io::{self, Write},
    process::ExitCode,
};

use anyhow::Result;

use crate::{
    cargo::Workspace,
    check::{Checker, Side},
    commands::App,
    course::Exercise,
    report::{self, Case, ReportFormat},
    term,
    verdict::Report,
};

pub fn verify(
    app: &mut App,
    solutions: bool,
    jobs: Option<usize>,
    format: ReportFormat,
) -> Result<ExitCode> {
    let workspace = Workspace::load(&app.course.root, &app.cancel)?;
    let mut checker = Checker::new(&app.course.root, &workspace, app.cancel.clone());
    if let Some(jobs) = jobs {
        checker.jobs = jobs.max(1);
    }
    let side = if solutions {
        Side::Solution
    } else {
        Side::Exercise
    };
    let exercises: Vec<&Exercise> = app.course.exercises.iter().collect();
    let bar = term::ProgressLine::new();
    let reports = checker.check_all(&exercises, side, &bar.callback())?;
    bar.clear();
    if app.cancel.is_cancelled() {
        return Ok(ExitCode::from(130));
    }

    let cases = cases(&exercises, &reports);
    // Saved before anything is printed: `verify | head` must not lose what it found.
    if side == Side::Exercise {
        for (i, report) in reports.iter().enumerate() {
            app.state.done[i] = report.verdict.passed();
        }
        app.state.save()?;
    }
    let mut out = io::stdout().lock();
    let printed = report::write(&mut out, format, "verify", &[], &cases).and_then(|()| {
        if format == ReportFormat::Text && cases.iter().any(|c| !c.passed) {
            writeln!(
                out,
                "`async-lings run NAME` shows the details of one exercise."
            )?;
        }
        Ok(())
    });
    term::unless_closed(printed)?;
    let all_passed = reports.iter().all(|r| r.verdict.passed());
    Ok(if all_passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One report case per exercise checked.
pub fn cases<'a>(exercises: &[&'a Exercise], reports: &[Report]) -> Vec<Case<'a>> {
    exercises
        .iter()
        .zip(reports)
        .map(|(exercise, report)| Case {
            exercise,
            verdict: report.verdict.kind(),
            passed: report.verdict.passed(),
            duration: report.duration,
            problems: report.first_error().into_iter().collect(),
            output: full_output(report),
            explanations: report.explanations.iter().map(|e| e.id).collect(),
        })
        .collect()
}

/// The compiler's words and the program's output, for a report's failure body.
fn full_output(report: &Report) -> String {
    let mut text: Vec<&str> = report
        .diagnostics
        .iter()
        .map(|d| d.rendered.as_str())
        .collect();
    text.push(&report.output);
    text.join("\n")
}
