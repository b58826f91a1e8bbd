//! `dev new`: a new exercise, ready to fill in.

use std::{fmt::Write as _, fs, process::ExitCode};

use anyhow::{Context, Result, bail};

use crate::{
    course::{Course, Editable, Format, INFO_FILE, is_identifier},
    state::write_atomically,
};

const EXERCISE: &str = r#"// NAME
//
// TODO: say in a few lines what the learner must make work, in their terms.

// TODO: the broken code goes here.
pub async fn answer() -> u32 {
    41
}

#[tokio::main]
async fn main() {
    println!("{}", answer().await);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn answers() {
        assert_eq!(answer().await, 42, "say what went wrong in the learner's terms");
    }
}
"#;

/// The marker line where the tests' attributes are the exercise.
const ATTRIBUTES_MARKER: &str =
    "// Tests: in this lesson, fix the attributes marked TODO, not the test bodies.";

pub fn new(
    course: &Course,
    name: &str,
    lesson: &str,
    fails: &str,
    tests: Editable,
) -> Result<ExitCode> {
    check_names(course, name, lesson)?;
    let (fails, errors) = parse_fails(fails)?;
    let exercise = format!("exercises/{lesson}/{name}.rs");
    let solution = format!("solutions/{lesson}/{name}.rs");
    for path in [&exercise, &solution] {
        if course.root.join(path).exists() {
            bail!("{path} already exists: pick another name or delete it");
        }
    }
    let mut source = EXERCISE.replace("NAME", name);
    if tests == Editable::Attributes {
        source = source.replace("// Tests: do not edit below this line.", ATTRIBUTES_MARKER);
    }
    write_atomically(&course.root.join(&exercise), source.as_bytes())?;
    write_atomically(
        &course.root.join(&solution),
        source.replace("    41\n", "    42\n").as_bytes(),
    )?;

    let info_path = course.root.join(INFO_FILE);
    let mut info = fs::read_to_string(&info_path)
        .with_context(|| format!("cannot read {}", info_path.display()))?;
    if !info.ends_with('\n') {
        info.push('\n');
    }
    info.push_str(&info_entry(name, lesson, fails, errors, tests));
    write_atomically(&info_path, info.as_bytes())?;

    let course = Course::load(&course.root, crate::course::Files::MustExist)?;
    super::update(&course)?;
    println!("Created {exercise} and {solution}, and added `{name}` to {INFO_FILE}.");
    println!("Fill them in, then prove the exercise with `async-lings dev check --only {name}`.");
    Ok(ExitCode::SUCCESS)
}

/// Refuses a course, an exercise name or a lesson folder that `dev new` cannot write.
fn check_names(course: &Course, name: &str, lesson: &str) -> Result<()> {
    if course.format != Format::AsyncLings {
        bail!(
            "`dev new` writes async-lings courses (format_version = 2); this one is a rustlings course"
        );
    }
    if !is_identifier(name) {
        bail!(
            "`{name}` is not a plain identifier.\nfix: use ASCII letters, digits and `_`, starting with a letter"
        );
    }
    if course.exercises.iter().any(|e| e.name == name) {
        bail!("an exercise named `{name}` already exists in {INFO_FILE}");
    }
    if lesson.is_empty() || lesson.contains(['/', '\\']) || lesson == "." || lesson == ".." {
        bail!(
            "`{lesson}` is not a lesson folder name.\nfix: one folder name, e.g. `--lesson 03_tasks`"
        );
    }
    Ok(())
}

/// `--fails`: how the exercise fails as shipped, and the error code of `compile:CODE`.
fn parse_fails(fails: &str) -> Result<(&str, Option<&str>)> {
    Ok(match fails.split_once(':') {
        Some(("compile", code)) if !code.is_empty() => ("compile", Some(code)),
        None if matches!(fails, "test" | "timeout" | "compile" | "run" | "clippy") => (fails, None),
        _ => bail!(
            "`--fails {fails}` is not understood.\nfix: use `test`, `timeout`, or `compile:CODE` such as `compile:E0308`"
        ),
    })
}

/// The new exercise's `[[exercises]]` table, with placeholder hints.
fn info_entry(
    name: &str,
    lesson: &str,
    fails: &str,
    errors: Option<&str>,
    tests: Editable,
) -> String {
    let mut entry =
        format!("\n[[exercises]]\nname = \"{name}\"\ndir = \"{lesson}\"\nfails = \"{fails}\"\n");
    if let Some(code) = errors {
        let _ = writeln!(entry, "errors = [\"{code}\"]");
    }
    if tests == Editable::Attributes {
        entry.push_str("tests = \"attributes\"\n");
    }
    if fails == "timeout" {
        entry.push_str("timeout = 3\n");
    }
    entry.push_str("hints = [\n    \"TODO: a nudge\",\n    \"TODO: a bigger step, with a docs link\",\n    \"TODO: nearly the answer\",\n]\n");
    entry
}
