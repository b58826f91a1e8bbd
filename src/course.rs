//! The validated course: `info.toml` read once, checked once, then trusted by every command.

use std::{
    fs,
    path::{Component, Path, PathBuf},
    time::Duration,
};

use anyhow::{Context, Result, bail};
use toml::Spanned;

use self::{
    formats::{async_lings_exercise, rustlings_exercise},
    problems::Problems,
};
pub use crate::info_file::{Editable, Fails, Mode};
use crate::info_file::{InfoFile, RustlingsInfoFile, Version};

pub const INFO_FILE: &str = "info.toml";
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// A rustlings course's timeout for each run (its tests, its `main`). Rustlings itself has none;
/// a run must still end, so this is generous: a correct solution that computes for a minute
/// passes, a hang is killed after five.
pub const RUSTLINGS_TIMEOUT: Duration = Duration::from_secs(300);
/// The longest `timeout` a course may set. A test that needs longer is not an exercise, and a
/// deadline far in the future cannot be computed (9223372036854775807 s overflows the clock).
pub const MAX_TIMEOUT_SECS: u64 = 3600;
pub const DEFAULT_COMPILE_TIMEOUT: Duration = Duration::from_secs(120);
/// No more than the 900 s that guard every build.
const MAX_COMPILE_TIMEOUT: u64 = 900;

const NO_COURSE: &str = "no info.toml found in this directory or any parent.

Run async-lings inside a course: the folder that holds info.toml (or one of its subfolders).
To start a new course here, run `async-lings init` and then `cd async-lings`.";

/// When clippy runs, and what fails it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clippy {
    /// Never (an async-lings exercise without `clippy = true`).
    Off,
    /// Every check, failing only on lints at `deny` level (a rustlings exercise).
    Deny,
    /// Every check, with `-D warnings` (`clippy = true`, rustlings' `strict_clippy`).
    Strict,
}

/// Which format the course file was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `format_version = 1`: a rustlings v6 course.
    Rustlings,
    /// `format_version = 2`: an async-lings course.
    AsyncLings,
}

#[derive(Debug)]
pub struct Course {
    pub root: PathBuf,
    pub format: Format,
    pub welcome_message: String,
    pub final_message: String,
    pub exercises: Vec<Exercise>,
}

#[derive(Debug, Clone)]
pub struct Exercise {
    pub name: String,
    /// The lesson folder, if any.
    pub dir: Option<String>,
    /// Relative to the course root, e.g. `exercises/01_futures/missing_await.rs`.
    pub path: PathBuf,
    pub solution_path: PathBuf,
    pub hints: Vec<String>,
    pub mode: Mode,
    /// Whether its tests are run (all but rustlings' `test = false`).
    pub run_tests: bool,
    pub clippy: Clippy,
    /// Which rules judge it: its course's format.
    pub rules: Format,
    pub timeout: Duration,
    /// How long the exercise's own compile may take (see `compile_timeout` in the README).
    pub compile_timeout: Duration,
    /// `None`: the course does not say (rustlings' `skip_check_unsolved`).
    pub fails: Option<Fails>,
    /// What may change below the `// Tests:` marker; `None` in a rustlings course, which has no
    /// marker and is judged by rustlings' rules.
    pub tests: Option<Editable>,
    pub errors: Vec<String>,
    /// One sentence on what it taught, shown with the pass (`learned` in info.toml).
    pub learned: Option<String>,
}

impl Exercise {
    pub fn solution_bin(&self) -> String {
        format!("{}_sol", self.name)
    }

    pub fn lesson(&self) -> &str {
        self.dir.as_deref().unwrap_or("")
    }
}

/// Whether a missing (or refused) exercise file is an error at load. The learner's commands load
/// the course whatever state its files are in and check the one file they need
/// ([`Course::file_problem`]): one deleted exercise must not stop `list`, `watch` or `run OTHER`,
/// and `reset` must be able to bring it back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Files {
    MustExist,
    MayBeMissing,
}

/// What is at an exercise's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    Present,
    Missing,
    /// A link (or a linked folder) that leads out of the course, to this file.
    Outside(PathBuf),
    /// A folder, a FIFO, a device.
    NotAFile,
}

impl FileState {
    /// A word for listings; `None` when the file is fine.
    pub fn label(&self) -> Option<&'static str> {
        match self {
            FileState::Present => None,
            FileState::Missing => Some("missing"),
            FileState::Outside(_) => Some("outside"),
            FileState::NotAFile => Some("not_a_file"),
        }
    }
}

/// The nearest directory at or above `start` that holds `info.toml`.
pub fn find_root(start: &Path) -> Result<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(INFO_FILE).is_file())
        .map(Path::to_path_buf)
        .context(NO_COURSE)
}

impl Course {
    pub fn load(root: &Path, files: Files) -> Result<Self> {
        let info_path = root.join(INFO_FILE);
        let text = fs::read_to_string(&info_path)
            .with_context(|| format!("cannot read {}", info_path.display()))?;
        let mut problems = Problems::new(&text);
        let course = parse(root, &text, &mut problems);
        if let Some(course) = &course {
            course.check(files, &mut problems);
        }
        match course {
            Some(course) if problems.list.is_empty() => Ok(course),
            _ => bail!(problems.report(&info_path)),
        }
    }

    pub fn get(&self, name: &str) -> Result<&Exercise> {
        if let Some(exercise) = self.exercises.iter().find(|e| e.name == name) {
            return Ok(exercise);
        }
        let closest = self
            .exercises
            .iter()
            .map(|e| (strsim::jaro_winkler(name, &e.name), &e.name))
            .filter(|(score, _)| *score > 0.8)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        match closest {
            Some((_, best)) => bail!("no exercise named `{name}`: did you mean `{best}`?"),
            None => bail!("no exercise named `{name}`: `async-lings list` shows them all"),
        }
    }

    pub fn position(&self, name: &str) -> Option<usize> {
        self.exercises.iter().position(|e| e.name == name)
    }

    /// What is at the exercise's path. Only a regular file inside the course is checked: a link
    /// to a file elsewhere would put that file's content in compile errors and reports.
    pub fn file_state(&self, exercise: &Exercise) -> FileState {
        let path = self.root.join(&exercise.path);
        match fs::metadata(&path) {
            // A dangling link counts as missing: `reset` replaces it.
            Err(_) => return FileState::Missing,
            Ok(meta) if !meta.is_file() => return FileState::NotAFile,
            Ok(_) => {}
        }
        let (Ok(file), Ok(root)) = (path.canonicalize(), self.root.canonicalize()) else {
            return FileState::Missing;
        };
        if file.starts_with(&root) {
            FileState::Present
        } else {
            FileState::Outside(file)
        }
    }

    /// Why the exercise cannot be checked, with the fix; `None` if its file is fine.
    pub fn file_problem(&self, exercise: &Exercise) -> Option<String> {
        self.file_problem_parts(exercise)
            .map(|(what, fix)| format!("{what}.\nfix: {fix}"))
    }

    fn file_problem_parts(&self, exercise: &Exercise) -> Option<(String, String)> {
        let (path, name) = (exercise.path.display(), &exercise.name);
        let reset = format!("`async-lings reset {name}`");
        Some(match self.file_state(exercise) {
            FileState::Present => return None,
            FileState::Missing => (
                format!("exercise file {path} is missing"),
                format!("restore it as shipped with {reset}, or create it"),
            ),
            FileState::Outside(target) => (
                format!(
                    "exercise file {path} leads to {}, outside the course",
                    target.display()
                ),
                format!(
                    "put the file itself at {path} instead of a link, or start again from the \
                     shipped version with {reset} (the linked file is left as it is)"
                ),
            ),
            FileState::NotAFile => (
                format!("exercise file {path} is not a regular file"),
                format!("move it out of the way, then restore the exercise with {reset}"),
            ),
        })
    }

    fn check(&self, files: Files, problems: &mut Problems) {
        if self.exercises.is_empty() {
            problems.add(
                None,
                "the course has no exercises",
                "add at least one [[exercises]] table",
            );
        }
        for exercise in &self.exercises {
            if files == Files::MustExist
                && let Some((what, fix)) = self.file_problem_parts(exercise)
            {
                problems.add(Some(exercise_span(problems, &exercise.name)), &what, &fix);
            }
            if !self.root.join(&exercise.solution_path).is_file() {
                problems.add(
                    Some(exercise_span(problems, &exercise.name)),
                    &format!(
                        "solution file {} is missing",
                        exercise.solution_path.display()
                    ),
                    "write the solution there (it proves the exercise can be solved)",
                );
            }
        }
    }
}

/// Where `name = "NAME"` stands, for errors found after parsing.
fn exercise_span(problems: &Problems, name: &str) -> usize {
    let needle = format!("\"{name}\"");
    problems.text.find(&needle).unwrap_or(0)
}

fn parse(root: &Path, text: &str, problems: &mut Problems) -> Option<Course> {
    let version = match toml::from_str::<Version>(text) {
        Ok(version) => version,
        Err(e) => {
            problems.toml(&e);
            return None;
        }
    };
    let Some(format_version) = version.format_version else {
        problems.add(
            Some(0),
            "missing `format_version`",
            "add `format_version = 2` at the top (or 1 for a rustlings course)",
        );
        return None;
    };
    let mut course = Course {
        root: root.to_path_buf(),
        format: Format::AsyncLings,
        welcome_message: String::new(),
        final_message: String::new(),
        exercises: Vec::new(),
    };
    let raw: Vec<(RawExercise, Exercise)> = match *format_version.get_ref() {
        2 => {
            let file: InfoFile = toml::from_str(text).map_err(|e| problems.toml(&e)).ok()?;
            course.welcome_message = file.welcome_message.unwrap_or_default();
            course.final_message = file.final_message.unwrap_or_default();
            file.exercises
                .into_iter()
                .map(async_lings_exercise)
                .collect()
        }
        1 => {
            let file: RustlingsInfoFile =
                toml::from_str(text).map_err(|e| problems.toml(&e)).ok()?;
            course.format = Format::Rustlings;
            course.welcome_message = file.welcome_message.unwrap_or_default();
            course.final_message = file.final_message.unwrap_or_default();
            file.exercises.into_iter().map(rustlings_exercise).collect()
        }
        other => {
            problems.add(
                Some(format_version.span().start),
                &format!("unknown format_version {other}"),
                "use 2 (async-lings) or 1 (rustlings v6)",
            );
            return None;
        }
    };
    for (raw, exercise) in raw {
        if let Some(exercise) = resolve(raw, exercise, &course.exercises, problems) {
            course.exercises.push(exercise);
        }
    }
    Some(course)
}

/// The fields whose errors point at their own place in the file.
struct RawExercise {
    name: Spanned<String>,
    dir: Option<Spanned<String>>,
    timeout: Option<(usize, u64)>,
    compile_timeout: Option<(usize, u64)>,
}

fn resolve(
    raw: RawExercise,
    mut exercise: Exercise,
    earlier: &[Exercise],
    problems: &mut Problems,
) -> Option<Exercise> {
    let name_at = raw.name.span().start;
    let name = raw.name.into_inner();
    check_name(&name, name_at, earlier, problems)?;
    if let Some(dir) = raw.dir {
        exercise.dir = Some(checked_dir(dir, &name, problems)?);
    }
    if let Some((at, secs)) = raw.timeout {
        if secs == 0 || secs > MAX_TIMEOUT_SECS {
            problems.add(
                Some(at),
                &format!(
                    "timeout of exercise `{name}` is {secs}, not between 1 and {MAX_TIMEOUT_SECS} \
                     seconds"
                ),
                &format!(
                    "give the number of seconds the tests may take, e.g. `timeout = 5` (at most \
                     {MAX_TIMEOUT_SECS})"
                ),
            );
            return None;
        }
        exercise.timeout = Duration::from_secs(secs);
    }
    if let Some((at, secs)) = raw.compile_timeout {
        if !(1..=MAX_COMPILE_TIMEOUT).contains(&secs) {
            problems.add(
                Some(at),
                &format!("compile_timeout of exercise `{name}` is {secs}"),
                &format!(
                    "give the seconds its compile may take, from 1 to {MAX_COMPILE_TIMEOUT} \
                     (default {})",
                    DEFAULT_COMPILE_TIMEOUT.as_secs()
                ),
            );
            return None;
        }
        exercise.compile_timeout = Duration::from_secs(secs);
    }
    let file = format!("{name}.rs");
    let lesson = exercise.dir.as_deref().unwrap_or("");
    exercise.path = Path::new("exercises").join(lesson).join(&file);
    exercise.solution_path = Path::new("solutions").join(lesson).join(&file);
    exercise.name = name;
    Some(exercise)
}

/// `Some(())` if `name` is a plain identifier that no earlier exercise uses.
fn check_name(
    name: &str,
    name_at: usize,
    earlier: &[Exercise],
    problems: &mut Problems,
) -> Option<()> {
    if !is_identifier(name) {
        let fixed: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        problems.add(
            Some(name_at),
            &format!("exercise name `{name}` is not a plain identifier"),
            &format!("use ASCII letters, digits and `_`, starting with a letter (e.g. `{fixed}`)"),
        );
        return None;
    }
    if earlier.iter().any(|e| e.name == name) {
        problems.add(
            Some(name_at),
            &format!("exercise `{name}` is listed twice"),
            "give each exercise its own name",
        );
        return None;
    }
    Some(())
}

/// The exercise's folder, if it is a relative path that stays inside the course.
fn checked_dir(dir: Spanned<String>, name: &str, problems: &mut Problems) -> Option<String> {
    let dir_at = dir.span().start;
    let dir = dir.into_inner();
    let path = Path::new(&dir);
    let escapes = dir.is_empty()
        || path.is_absolute()
        || path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)));
    if escapes {
        problems.add(
            Some(dir_at),
            &format!("dir `{dir}` of exercise `{name}` is not a folder inside the course"),
            "use a relative folder name without `..`, e.g. `dir = \"01_futures\"`",
        );
        return None;
    }
    Some(dir)
}

impl Exercise {
    fn placeholder() -> Self {
        Exercise {
            name: String::new(),
            dir: None,
            path: PathBuf::new(),
            solution_path: PathBuf::new(),
            hints: Vec::new(),
            mode: Mode::Test,
            run_tests: true,
            clippy: Clippy::Off,
            rules: Format::AsyncLings,
            timeout: DEFAULT_TIMEOUT,
            compile_timeout: DEFAULT_COMPILE_TIMEOUT,
            fails: None,
            tests: None,
            errors: Vec::new(),
            learned: None,
        }
    }
}

pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

mod formats;
mod problems;
#[cfg(test)]
mod tests;
