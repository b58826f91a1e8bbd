//! `verify`: every exercise checked at once, with a progress bar and a summary table.

use std::{io, process::ExitCode};

use anyhow::Result;

use crate::{
    cargo::Workspace,
    check::{Checker, Side, default_jobs},
    commands::App,
    course::Exercise,
    process::Cancel,
    term,
};

pub fn verify(app: &mut App, solutions: bool, jobs: Option<usize>) -> Result<ExitCode> {
    let workspace = Workspace::load(&app.course.root)?;
    let checker = Checker {
        root: &app.course.root,
        workspace: &workspace,
        cancel: Cancel::default(),
        jobs: jobs.unwrap_or_else(default_jobs).max(1),
    };
    let side = if solutions { Side::Solution } else { Side::Exercise };
    let exercises: Vec<&Exercise> = app.course.exercises.iter().collect();
    let bar = term::ProgressLine::new();
    let reports = checker.check_all(&exercises, side, &|p| bar.show(p))?;
    bar.clear();

    term::summary(&mut io::stdout().lock(), &exercises, &reports)?;
    if side == Side::Exercise {
        for (i, report) in reports.iter().enumerate() {
            app.state.done[i] = report.verdict.passed();
        }
        app.state.save()?;
    }
    let all_passed = reports.iter().all(|r| r.verdict.passed());
    Ok(if all_passed { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
