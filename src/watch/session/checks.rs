//! The checks the watch runs: one exercise on every save, or every exercise (`c`, and after the
//! last one). A result is shown and recorded only for the check that is still the latest, and only
//! if the files it checked still hold what it read.

use std::{
    collections::hash_map::DefaultHasher,
    fs,
    hash::Hasher,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Result;

use super::{EXERCISES_GONE, Session};
use crate::{
    check::Phase,
    course::Course,
    process::Cancel,
    state::Moved,
    term,
    verdict::{Report, Verdict},
    watch::{Event, spawn_check, spawn_check_all},
};

pub struct InFlight {
    pub cancel: Cancel,
    pub phase: Phase,
    /// Crates built so far by this check's cargo.
    pub crates: usize,
    pub started: Instant,
    /// Each checked exercise and a fingerprint of its file when the check started.
    files: Vec<(usize, Option<u64>)>,
}

impl InFlight {
    pub fn new(cancel: Cancel, course: &Course, checked: impl IntoIterator<Item = usize>) -> Self {
        InFlight {
            cancel,
            phase: Phase::Compiling,
            crates: 0,
            started: Instant::now(),
            files: checked
                .into_iter()
                .map(|i| (i, fingerprint(course, i)))
                .collect(),
        }
    }

    /// The checked exercises whose file no longer holds what the check started with. A save is
    /// normally seen as a file event first; this covers the event that has not arrived yet.
    pub fn changed(&self, course: &Course) -> Vec<usize> {
        self.files
            .iter()
            .filter(|(i, before)| fingerprint(course, *i) != *before)
            .map(|(i, _)| *i)
            .collect()
    }
}

fn fingerprint(course: &Course, i: usize) -> Option<u64> {
    let bytes = fs::read(course.root.join(&course.exercises[i].path)).ok()?;
    let mut hasher = DefaultHasher::new();
    hasher.write(&bytes);
    Some(hasher.finish())
}

impl Session<'_> {
    /// Cancels the check in flight (killing its processes) and starts a new one.
    pub(super) fn start_check(&mut self) {
        self.invalidate();
        let i = self.app.state.current;
        let exercise = self.app.course.exercises[i].clone();
        if let Some(problem) = self.app.course.file_problem(&exercise) {
            let text = if self.app.course.root.join("exercises").is_dir() {
                format!(
                    "{problem}\n(`x` here does what `async-lings reset {}` does.)",
                    exercise.name
                )
            } else if std::mem::replace(&mut self.exercises_gone, true) {
                // Already said, when the folder went.
                return;
            } else {
                EXERCISES_GONE.to_owned()
            };
            self.show(text);
            return;
        }
        let cancel = Cancel::default();
        self.in_flight = Some(InFlight::new(cancel.clone(), &self.app.course, [i]));
        if self.screen.is_tty() {
            self.tick(cancel.clone());
        }
        let root = self.app.course.root.clone();
        spawn_check(
            &self.tx,
            self.run,
            root,
            Arc::clone(&self.workspace),
            exercise,
            cancel,
        );
    }

    /// Voids the check in flight: it is cancelled, and any result it still sends is stale.
    pub(super) fn invalidate(&mut self) {
        self.stop_run();
        self.run += 1;
    }

    pub(super) fn stop_run(&mut self) {
        if let Some(flight) = self.in_flight.take() {
            flight.cancel.cancel();
        }
        self.screen.clear_status();
    }

    pub(super) fn show_status(&mut self) {
        if let Some(flight) = &self.in_flight {
            let name = &self.app.course.exercises[self.app.state.current].name;
            let elapsed = self.screen.is_tty().then(|| flight.started.elapsed());
            self.screen
                .status(name, flight.phase, flight.crates, elapsed);
        }
    }

    /// Redraws the elapsed time until the run ends; nothing ticks while idle.
    fn tick(&self, cancel: Cancel) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_millis(200));
            interval.tick().await;
            while !cancel.is_cancelled() {
                interval.tick().await;
                if tx.send(Event::Tick).is_err() {
                    return;
                }
            }
        });
    }

    /// The latest check of the current exercise finished.
    pub(super) fn run_finished(&mut self, result: Result<Report>) -> Result<()> {
        let flight = self.in_flight.take();
        self.stop_run();
        let report = match result {
            Ok(report) if report.verdict == Verdict::Cancelled => return Ok(()),
            Ok(report) => report,
            Err(error) => {
                self.show(format!("error: {error:#}"));
                return Ok(());
            }
        };
        if flight.is_some_and(|f| !f.changed(&self.app.course).is_empty()) {
            // Saved over after the check read it: check what is on disk now instead.
            self.start_check();
            return Ok(());
        }
        self.verdict(report)
    }

    fn verdict(&mut self, report: Report) -> Result<()> {
        let i = self.app.state.current;
        let exercise = self.app.course.exercises[i].clone();
        let mut text = Vec::new();
        term::report(&mut text, &exercise, &report)?;
        let mut text = String::from_utf8_lossy(&text).into_owned();
        let passed = report.verdict.passed();
        let moved = self.app.state.record(i, passed);
        if passed {
            text.push_str(&format!(
                "\nCompare with the instructor's solution: {}\n",
                exercise.solution_path.display()
            ));
            // Pinned under the header until the next key or save, so that moving on to the next
            // exercise does not hide it.
            self.screen.banner(term::pass_banner(&exercise));
        }
        match moved {
            Moved::To(_) if self.options.manual_next => {
                // `record` moved on; in manual mode the learner moves on with `n`.
                self.app.state.current = i;
                text.push_str("Press `n` for the next exercise.\n");
                // The progress bar counts the pass at once, as `list` does.
                self.header();
                self.show(text);
            }
            Moved::To(next) => {
                let name = self.app.course.exercises[next].name.clone();
                text.push_str(&format!("Moving on to {name}.\n"));
                self.show(text);
                self.header();
                self.start_check();
            }
            Moved::AllDone => {
                text.push_str("That was the last one. Checking every exercise...\n");
                self.show(text);
                self.check_all(true);
            }
            Moved::Stayed => self.show(text),
        }
        // Saved after the learner sees the verdict: the atomic write waits for the disk.
        self.app.state.save()
    }

    /// Checks every exercise; `finishing` after the last one, to end with the final message.
    /// Refused while an exercise file is missing or refused: cargo would fail the whole build, and
    /// every exercise would be recorded as failing.
    pub(super) fn check_all(&mut self, finishing: bool) {
        self.invalidate();
        let course = &self.app.course;
        let problems: Vec<String> = course
            .exercises
            .iter()
            .filter_map(|e| course.file_problem(e))
            .collect();
        if !problems.is_empty() {
            self.screen.notice(format!(
                "Cannot check every exercise (nothing was recorded):\n{}",
                problems.join("\n")
            ));
            return;
        }
        self.finishing = finishing;
        self.screen.notice("Checking every exercise...".to_owned());
        let cancel = Cancel::default();
        let all = 0..course.exercises.len();
        self.in_flight = Some(InFlight::new(cancel.clone(), course, all));
        spawn_check_all(
            &self.tx,
            self.run,
            course.root.clone(),
            Arc::clone(&self.workspace),
            course.exercises.clone(),
            cancel,
        );
    }

    /// The latest check of every exercise finished. An error is shown; the watch goes on.
    pub(super) fn all_checked(&mut self, result: Result<Vec<Report>>) -> Result<()> {
        let flight = self.in_flight.take();
        self.stop_run();
        let finishing = std::mem::take(&mut self.finishing);
        let reports = match result {
            Ok(reports) if reports.iter().any(|r| r.verdict == Verdict::Cancelled) => {
                return Ok(());
            }
            Ok(reports) => reports,
            Err(error) => {
                self.show(format!(
                    "error: checking every exercise failed: {error:#}\n\
                     Nothing was recorded. Press `c` to try again."
                ));
                return Ok(());
            }
        };
        let changed = flight.map_or_else(Vec::new, |f| f.changed(&self.app.course));
        let mut lines = Vec::new();
        for (i, report) in reports.iter().enumerate() {
            let exercise = &self.app.course.exercises[i];
            if changed.contains(&i) {
                lines.push(format!(
                    "- {} was saved during the check: not recorded (press `c` again)",
                    exercise.name
                ));
                continue;
            }
            self.app.state.done[i] = report.verdict.passed();
            lines.push(term::verdict_line(exercise, report));
        }
        let saved = self.app.state.save();
        let mut text = lines.join("\n");
        if finishing && changed.is_empty() && reports.iter().all(|r| r.verdict.passed()) {
            text.push_str("\n\n");
            text.push_str(&term::prose(&self.app.course.final_message));
        }
        self.header();
        self.show(text);
        saved
    }
}
