//! The one-shot learner commands: run, hint, list, reset.

use std::{
    fs,
    io::{self, Write},
    path::Path,
    process::ExitCode,
};

use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;

use crate::{
    cargo::Workspace,
    check::{Checker, Side},
    cli::ListFormat,
    course::{Course, Exercise},
    embedded,
    process::Cancel,
    state::{self, DATA_DIR, Loaded, Moved, State},
    term, tests_section,
    verdict::{Report, Verdict},
};

pub struct App {
    pub course: Course,
    pub state: State,
    /// Cancelled by Ctrl-C: every check started through the app stops and kills its processes.
    pub cancel: Cancel,
}

impl App {
    pub fn new(course: Course, cancel: Cancel) -> Result<Self> {
        let state = match State::load(&course)? {
            Loaded::Fine(state) => state,
            Loaded::Rebuilt { state, backup, why } => {
                term::warning(&format!(
                    "the progress file was damaged ({why}); it was moved to {} and progress \
                     starts afresh",
                    backup.display()
                ));
                state
            }
        };
        Ok(App {
            course,
            state,
            cancel,
        })
    }

    fn index(&self, name: Option<&str>) -> Result<usize> {
        match name {
            Some(name) => {
                let exercise = self.course.get(name)?;
                Ok(self.course.position(&exercise.name).unwrap_or(0))
            }
            None => Ok(self.state.current),
        }
    }

    pub fn run(&mut self, name: Option<&str>) -> Result<ExitCode> {
        let i = self.index(name)?;
        let exercise = &self.course.exercises[i];
        if let Some(problem) = self.course.file_problem(exercise) {
            bail!(problem);
        }
        let workspace = Workspace::load(&self.course.root, &self.cancel)?;
        let checker = Checker::new(&self.course.root, &workspace, self.cancel.clone());
        let report = checker.check(exercise, Side::Exercise)?;
        if report.verdict == Verdict::Cancelled {
            return Ok(ExitCode::from(130));
        }
        let passed = report.verdict.passed();
        let moved = self.state.record(i, passed);
        // Saved before anything is printed: `run | head` closes stdout early, and must not lose
        // the pass.
        self.state.save()?;
        let printed = self.print_run(i, &report, moved);
        term::unless_closed(printed)?;
        Ok(if passed {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }

    fn print_run(&self, i: usize, report: &Report, moved: Moved) -> io::Result<()> {
        let exercise = &self.course.exercises[i];
        let mut out = Vec::new();
        term::report(&mut out, exercise, report)?;
        if report.verdict.passed() {
            writeln!(
                out,
                "Compare with the instructor's solution: {}",
                exercise.solution_path.display()
            )?;
            match moved {
                Moved::To(next) => {
                    let next = &self.course.exercises[next];
                    writeln!(out, "Next up: {} ({})", next.name, next.path.display())?;
                }
                Moved::AllDone => {
                    writeln!(out, "\n{}", self.course.final_message.trim_end())?;
                }
                Moved::Stayed => {}
            }
        } else if !exercise.hints.is_empty() {
            writeln!(out, "Stuck? `async-lings hint {}`", exercise.name)?;
        }
        term::print_fitted(&out)
    }

    pub fn hint(&mut self, name: Option<&str>, all: bool) -> Result<ExitCode> {
        let i = self.index(name)?;
        let exercise = &self.course.exercises[i];
        let total = exercise.hints.len();
        let shown = if all {
            total
        } else {
            self.state.hints[i].saturating_add(1).min(total)
        };
        if shown > self.state.hints[i] {
            self.state.hints[i] = shown;
            self.state.save()?;
        }
        let mut text = Vec::new();
        term::hint(&mut text, exercise, shown, term::HintAgain::Command)?;
        term::unless_closed(term::print_fitted(&text))?;
        Ok(ExitCode::SUCCESS)
    }

    pub fn list(&self, format: ListFormat) -> Result<ExitCode> {
        let mut out = io::stdout().lock();
        match format {
            ListFormat::Text => {
                term::unless_closed(term::list(&mut out, &self.course, &self.state))?
            }
            ListFormat::Json => {
                let written = serde_json::to_writer_pretty(&mut out, &self.listing())
                    .map_err(io::Error::from)
                    .and_then(|()| writeln!(out));
                term::unless_closed(written)?;
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    fn listing(&self) -> Listing<'_> {
        let exercises = self
            .course
            .exercises
            .iter()
            .enumerate()
            .map(|(i, e)| ListedExercise {
                name: &e.name,
                lesson: e.lesson(),
                path: e.path.to_string_lossy().into_owned(),
                status: if self.state.done[i] {
                    "done"
                } else {
                    "pending"
                },
                current: i == self.state.current,
                hints_shown: self.state.hints[i],
                file: self.course.file_state(e).label().unwrap_or("ok"),
            })
            .collect();
        Listing {
            done: self.state.done_count(),
            total: self.course.exercises.len(),
            exercises,
        }
    }

    pub fn reset(&mut self, name: &str) -> Result<ExitCode> {
        let message = self.reset_quietly(name)?;
        term::unless_closed(writeln!(io::stdout(), "{message}"))?;
        Ok(ExitCode::SUCCESS)
    }

    /// Restores the shipped file (backing up the learner's first) and says what it did. A file
    /// that cannot be backed up is left alone.
    pub fn reset_quietly(&mut self, name: &str) -> Result<String> {
        let exercise = self.course.get(name)?.clone();
        let shipped = embedded::shipped(&self.course, &exercise.path)?;
        let path = self.course.root.join(&exercise.path);
        let shown = exercise.path.display();
        let message = match fs::symlink_metadata(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                state::write_atomically(&path, &shipped)?;
                format!("Restored {shown}.")
            }
            Err(e) => {
                return Err(e).with_context(|| format!("cannot reset {shown}: cannot look at it"));
            }
            // The rename replaces the link itself; what it leads to is not touched.
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&path).unwrap_or_default();
                state::write_atomically(&path, &shipped)?;
                format!(
                    "Restored {shown}. It was a link to {}, which is left as it is.",
                    target.display()
                )
            }
            Ok(meta) if !meta.is_file() => bail!(
                "cannot reset {shown}: it is not a regular file, so there is no version of yours \
                 to back up. Nothing was changed.\n\
                 fix: move it out of the way, then run `async-lings reset {name}` again"
            ),
            Ok(_) => {
                let current = fs::read(&path).map_err(|e| {
                    anyhow!(
                        "cannot reset {shown}: it cannot be read to keep a backup of your version \
                         ({e}). Nothing was changed.\n\
                         fix: make it readable (e.g. `chmod u+r {shown}`), then run \
                         `async-lings reset {name}` again"
                    )
                })?;
                if current == shipped {
                    format!("{shown} is already as shipped.")
                } else {
                    let backup = backup(&self.course.root, &exercise, &current)?;
                    state::write_atomically(&path, &shipped)?;
                    format!(
                        "Restored {shown}. Your version is saved in {}",
                        backup.display()
                    )
                }
            }
        };
        if let Some(i) = self.course.position(name) {
            let _ = self.state.record(i, false);
            self.state.save()?;
        }
        Ok(message)
    }
}

const NO_MARKER: &str = "has no `// Tests:` line, so its tests cannot be told apart from your code.
fix: `async-lings reset NAME` restores the whole file (your version is kept as a backup)";

impl App {
    /// Restores the tests below the `// Tests:` line as shipped, keeping the learner's code above
    /// it (backed up first).
    pub fn reset_tests(&mut self, name: &str) -> Result<ExitCode> {
        let exercise = self.course.get(name)?.clone();
        let shipped = String::from_utf8(embedded::shipped(&self.course, &exercise.path)?)
            .context("the shipped exercise is not UTF-8")?;
        let path = self.course.root.join(&exercise.path);
        let current =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let (Some(theirs), Some(code)) = (
            tests_section::marked_tests(&shipped),
            tests_section::code_above(&shipped, &current),
        ) else {
            anyhow::bail!(
                "{} {}",
                exercise.path.display(),
                NO_MARKER.replace("NAME", name)
            );
        };
        if theirs == &current[code.len()..] {
            println!(
                "The tests of {} are already as shipped.",
                exercise.path.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        let backup = backup(&self.course.root, &exercise, current.as_bytes())?;
        state::write_atomically(&path, format!("{code}{theirs}").as_bytes())?;
        println!(
            "Restored the tests of {}; your code above them is unchanged. Your previous version \
             is saved in {}",
            exercise.path.display(),
            backup.display()
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// Keeps the learner's version of an exercise in `.async-lings/backups/`, never overwriting an
/// earlier backup.
fn backup(root: &Path, exercise: &Exercise, content: &[u8]) -> Result<std::path::PathBuf> {
    let dir = root.join(DATA_DIR).join("backups");
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stamp = state::timestamp();
    let mut path = dir.join(format!("{}-{stamp}.rs", exercise.name));
    let mut n = 1;
    while path.exists() {
        path = dir.join(format!("{}-{stamp}-{n}.rs", exercise.name));
        n += 1;
    }
    fs::write(&path, content).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path
        .strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or(path))
}

#[derive(Serialize)]
struct Listing<'a> {
    done: usize,
    total: usize,
    exercises: Vec<ListedExercise<'a>>,
}

#[derive(Serialize)]
struct ListedExercise<'a> {
    name: &'a str,
    lesson: &'a str,
    path: String,
    status: &'static str,
    current: bool,
    hints_shown: usize,
    /// `ok`, or what is wrong with the exercise file (`missing`, ...).
    file: &'static str,
}
