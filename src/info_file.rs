//! The raw contents of a course's `info.toml`, exactly as written: two formats, both strict
//! about unknown fields so that a typo is an error instead of a silently ignored setting.
//! `course.rs` turns either into the validated [`crate::course::Course`].

use serde::Deserialize;
use toml::Spanned;

pub use crate::tests_section::Editable;

/// Only `format_version` is read first, to pick which of the two formats to parse.
#[derive(Deserialize)]
pub struct Version {
    /// 1 = a rustlings v6 course file, 2 = an async-lings course file.
    pub format_version: Option<Spanned<i64>>,
}

/// `format_version = 2`: an async-lings course.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfoFile {
    /// Always 2 for this format (already read through [`Version`]).
    #[serde(rename = "format_version")]
    _format_version: i64,
    /// Shown once, the first time the learner starts the course.
    #[serde(default)]
    pub welcome_message: Option<String>,
    /// Shown when every exercise is done.
    #[serde(default)]
    pub final_message: Option<String>,
    /// The exercises in course order.
    #[serde(default)]
    pub exercises: Vec<ExerciseInfo>,
}

/// One `[[exercises]]` table of an async-lings course.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExerciseInfo {
    /// A plain identifier, unique in the course. It is also the name of the exercise's `[[bin]]`
    /// (the solution's bin is `NAME_sol`) and of its file: `exercises/DIR/NAME.rs`.
    pub name: Spanned<String>,
    /// The lesson folder under `exercises/` and `solutions/`. Without it, the file sits directly
    /// in `exercises/`.
    #[serde(default)]
    pub dir: Option<Spanned<String>>,
    /// Hints, revealed one level at a time: from a nudge to nearly the answer.
    #[serde(default)]
    pub hints: Vec<String>,
    /// `test` (default): the tests must pass. `run`: the tests must pass and the binary must also
    /// exit with status 0.
    #[serde(default)]
    pub mode: Mode,
    /// Run `cargo clippy -- -D warnings` once the tests pass; any warning fails the exercise.
    #[serde(default)]
    pub clippy: bool,
    /// Seconds before the tests (or the binary) are killed; overrides the default of 10.
    #[serde(default)]
    pub timeout: Option<Spanned<u64>>,
    /// Seconds the exercise's own compile may take before it is stopped (default 120): the clock
    /// restarts whenever cargo finishes a crate, so building Tokio the first time does not count.
    #[serde(default)]
    pub compile_timeout: Option<Spanned<u64>>,
    /// How the exercise fails as shipped, checked by `dev check`.
    pub fails: Fails,
    /// One sentence on what the exercise taught, shown with the pass.
    #[serde(default)]
    pub learned: Option<String>,
    /// What the learner may change below the `// Tests:` marker: `nothing` (default) or
    /// `attributes` (where fixing the tests' attributes is the exercise).
    #[serde(default)]
    pub tests: Editable,
    /// With `fails = "compile"`: the error codes (`E0308`) or lint names (`unused_must_use`) that
    /// the shipped file must produce; for an error without a code, a fragment of its message.
    #[serde(default)]
    pub errors: Vec<String>,
}

/// What a passing exercise must do besides compiling.
#[derive(Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Its tests must pass.
    #[default]
    Test,
    /// Its tests must pass and `main` must exit with status 0.
    Run,
}

/// How a shipped exercise fails.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Fails {
    /// It does not compile (see `errors`).
    Compile,
    /// It compiles and at least one test fails.
    Test,
    /// Its tests never finish and are killed at the timeout (a deadlock or a lost wake-up).
    Timeout,
    /// It compiles and its tests pass, but the binary exits with an error (`mode = "run"`).
    Run,
    /// It compiles and passes, but clippy rejects it (`clippy = true`).
    Clippy,
}

/// `format_version = 1`: a rustlings v6 course file, read unchanged.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RustlingsInfoFile {
    /// Always 1 (already read through [`Version`]).
    #[serde(rename = "format_version")]
    _format_version: i64,
    /// Shown once, the first time the learner starts the course.
    #[serde(default)]
    pub welcome_message: Option<String>,
    /// Shown when every exercise is done.
    #[serde(default)]
    pub final_message: Option<String>,
    /// The exercises in course order.
    #[serde(default)]
    pub exercises: Vec<RustlingsExerciseInfo>,
}

/// One `[[exercises]]` table of a rustlings v6 course.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RustlingsExerciseInfo {
    /// The exercise and bin name; the solution's bin is `NAME_sol`.
    pub name: Spanned<String>,
    /// The folder under `exercises/` and `solutions/`.
    #[serde(default)]
    pub dir: Option<Spanned<String>>,
    /// Run the tests (`true`, default) or run the binary (`false`).
    #[serde(default = "yes")]
    pub test: bool,
    /// Run clippy with `-D warnings`.
    #[serde(default)]
    pub strict_clippy: bool,
    /// The single hint.
    #[serde(default)]
    pub hint: String,
    /// Do not check that the shipped exercise fails.
    #[serde(default)]
    pub skip_check_unsolved: bool,
}

fn yes() -> bool {
    true
}
