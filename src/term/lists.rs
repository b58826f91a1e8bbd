//! Listings: the exercises with their progress (`list`, and the list view of watch mode).

use std::io::{self, Write};

use colored::Colorize;

use super::{outside_text, progress_bar};
use crate::{
    course::{Course, Exercise, FileState},
    state::State,
};

pub fn list(w: &mut impl Write, course: &Course, state: &State) -> io::Result<()> {
    let mut lesson = None;
    for (i, exercise) in course.exercises.iter().enumerate() {
        if lesson != Some(exercise.lesson()) {
            lesson = Some(exercise.lesson());
            writeln!(w, "{}", exercise.lesson().bold().underline())?;
        }
        let status = if state.done[i] {
            "done".green()
        } else {
            "pending".yellow()
        };
        let marker = if i == state.current { ">" } else { " " };
        let problem = file_problem(course, exercise)
            .map(|p| format!("  {p}").red().to_string())
            .unwrap_or_default();
        writeln!(
            w,
            "{marker} {:<names$} {status:<7}  {}{problem}",
            exercise.name,
            outside_text(&exercise.path.display().to_string()),
            names = widest(course, |e| &e.name),
        )?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "{}",
        progress_bar(state.done_count(), course.exercises.len(), 40)
    )
}

/// The width of a column: its longest entry, so that no name is cut or pushes the next column.
fn widest<'a>(course: &'a Course, of: impl Fn(&'a Exercise) -> &'a str) -> usize {
    course
        .exercises
        .iter()
        .map(|e| of(e).chars().count())
        .max()
        .unwrap_or(0)
}

/// A short note on what is wrong with an exercise's file, for listings.
fn file_problem(course: &Course, exercise: &Exercise) -> Option<String> {
    let what = match course.file_state(exercise) {
        FileState::Present => return None,
        FileState::Missing => "missing",
        FileState::Outside(_) => "a link out of the course",
        FileState::NotAFile => "not a regular file",
    };
    Some(format!("✗ {what}: `async-lings reset {}`", exercise.name))
}

/// The interactive list of watch mode: `rows` (exercise indices) around the selected one, as many
/// as fit in `height` lines.
pub fn list_view(
    w: &mut impl Write,
    course: &Course,
    state: &State,
    rows: &[usize],
    selected: usize,
    height: usize,
) -> io::Result<()> {
    let height = height.max(3);
    let at = rows.iter().position(|&i| i == selected).unwrap_or(0);
    let first = at
        .saturating_sub(height / 2)
        .min(rows.len().saturating_sub(height));
    for &i in rows.iter().skip(first).take(height) {
        let exercise = &course.exercises[i];
        let status = if state.done[i] {
            "done".green()
        } else {
            "pending".yellow()
        };
        let current = if i == state.current { "current" } else { "" };
        let problem = course
            .file_state(exercise)
            .label()
            .map(|l| format!(" ✗ {l}"))
            .unwrap_or_default();
        let line = format!(
            "{:<lessons$} {:<names$} {status:<7} {current:<7}{problem}",
            exercise.lesson(),
            exercise.name,
            lessons = widest(course, |e| e.lesson()),
            names = widest(course, |e| &e.name),
        );
        if i == selected {
            writeln!(w, "> {}", line.reversed())?;
        } else {
            writeln!(w, "  {line}")?;
        }
    }
    if rows.is_empty() {
        writeln!(w, "Every exercise is done.")?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "{}",
        progress_bar(state.done_count(), course.exercises.len(), 40)
    )?;
    write!(
        w,
        "{}",
        "↑/↓ or k/j move · Enter jump · x reset · p only pending · Esc or l back".dimmed()
    )
}
