//! Each format's exercise table, turned into an [`Exercise`] judged by that format's rules.

use super::{Clippy, Exercise, Fails, Format, Mode, RUSTLINGS_TIMEOUT, RawExercise};
use crate::info_file::{ExerciseInfo, RustlingsExerciseInfo};

/// An async-lings exercise, as written.
pub fn async_lings_exercise(e: ExerciseInfo) -> (RawExercise, Exercise) {
    let raw = RawExercise {
        name: e.name,
        dir: e.dir,
        timeout: e.timeout.map(|t| (t.span().start, *t.get_ref())),
        compile_timeout: e.compile_timeout.map(|t| (t.span().start, *t.get_ref())),
    };
    let exercise = Exercise {
        hints: e.hints,
        mode: e.mode,
        clippy: if e.clippy {
            Clippy::Strict
        } else {
            Clippy::Off
        },
        fails: Some(e.fails),
        tests: Some(e.tests),
        learned: e.learned,
        errors: e.errors,
        ..Exercise::placeholder()
    };
    (raw, exercise)
}

/// A rustlings exercise, judged by rustlings' rules: build, the tests (unless `test = false`),
/// clippy (deny-level lints fail; every warning with `strict_clippy`), then `main`, which must
/// exit 0.
pub fn rustlings_exercise(e: RustlingsExerciseInfo) -> (RawExercise, Exercise) {
    let raw = RawExercise {
        name: e.name,
        dir: e.dir,
        timeout: None,
        compile_timeout: None,
    };
    let exercise = Exercise {
        hints: [e.hint]
            .into_iter()
            .filter(|h| !h.trim().is_empty())
            .collect(),
        mode: Mode::Run,
        run_tests: e.test,
        clippy: if e.strict_clippy {
            Clippy::Strict
        } else {
            Clippy::Deny
        },
        rules: Format::Rustlings,
        timeout: RUSTLINGS_TIMEOUT,
        fails: (!e.skip_check_unsolved).then_some(Fails::Test),
        ..Exercise::placeholder()
    };
    (raw, exercise)
}
