//! `dev check` on a rustlings course (`format_version = 1`): rustlings' own `dev check` rules, so
//! that a course that passes here also passes rustlings' CI. Its messages speak of rustlings'
//! fields (`hint`, `test`, the `bin` list) and of no rule of async-lings' own format.

use std::{collections::HashSet, fs, path::Path};

use crate::course::{Course, Exercise};

/// Rustlings' limits on the course file.
const MAX_EXERCISES: usize = 999;
const MAX_NAME_LEN: usize = 32;

/// What is wrong with the course as a whole: the `bin` list, stray files, its size.
pub fn course_problems(course: &Course) -> Vec<String> {
    let mut problems = Vec::new();
    if course.exercises.len() > MAX_EXERCISES {
        problems.push(format!(
            "the course has {} exercises; rustlings takes at most {MAX_EXERCISES}",
            course.exercises.len()
        ));
    }
    problems.extend(bin_list_problem(course));
    for side in ["exercises", "solutions"] {
        let known: HashSet<String> = course
            .exercises
            .iter()
            .map(|e| {
                if side == "exercises" {
                    &e.path
                } else {
                    &e.solution_path
                }
            })
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .collect();
        problems.extend(stray_files(&course.root, side, &known));
    }
    problems
}

/// What is wrong with one exercise's entry and file, by rustlings' rules.
pub fn exercise_problems(course: &Course, exercise: &Exercise) -> Vec<String> {
    let mut problems = Vec::new();
    let name = &exercise.name;
    if name.len() > MAX_NAME_LEN {
        problems.push(format!(
            "the name `{name}` is longer than rustlings' {MAX_NAME_LEN} characters: shorten it"
        ));
    }
    for (what, text) in [
        ("name", Some(name.as_str())),
        ("dir", exercise.dir.as_deref()),
    ] {
        if let Some(c) = text.and_then(|t| t.chars().find(|c| !c.is_alphanumeric() && *c != '_')) {
            problems.push(format!(
                "the {what} `{}` has the character `{c}`: rustlings allows only letters, digits \
                 and `_`",
                text.unwrap_or_default()
            ));
        }
    }
    if exercise.hints.iter().all(|h| h.trim().is_empty()) {
        problems.push("the `hint` is empty: give a hint, or say why none is needed".to_owned());
    }
    let path = exercise.path.display();
    let source = fs::read_to_string(course.root.join(&exercise.path)).unwrap_or_default();
    if !source.contains("fn main()") {
        problems.push(format!(
            "{path} has no `fn main()`: add at least an empty one (rust-analyzer needs it)"
        ));
    }
    if !source.contains("// TODO") {
        problems.push(format!(
            "{path} has no `// TODO` comment: add one where the learner should start"
        ));
    }
    let has_tests = source.contains("#[test]\n") || source.contains("#[test]\r\n");
    match (exercise.run_tests, has_tests) {
        (true, false) => problems.push(format!(
            "{path} has no `#[test]`: add tests, or set `test = false` for `{name}` in info.toml"
        )),
        (false, true) => problems.push(format!(
            "{path} has `#[test]` functions, but `{name}` has `test = false` in info.toml: \
             remove the tests or the `test = false`"
        )),
        _ => {}
    }
    problems
}

/// The `bin` list of `Cargo.toml` must be exactly what `dev update` writes: each exercise in
/// course order, then its solution where one exists (rustlings compares the text).
fn bin_list_problem(course: &Course) -> Option<String> {
    let manifest = fs::read_to_string(course.root.join("Cargo.toml")).unwrap_or_default();
    const OUTDATED: &str = "the `bin` list in Cargo.toml is out of date or out of order: run \
                            `async-lings dev update`";
    let Some(start) = manifest.find("bin = [").map(|at| at + "bin = [".len()) else {
        return Some(format!(
            "Cargo.toml has no `bin = [` list: run `async-lings dev update` ({OUTDATED})"
        ));
    };
    let end = start + manifest[start..].find(']')?;
    let mut expected = String::from("\n");
    for exercise in &course.exercises {
        expected.push_str(&bin_line(&exercise.name, &exercise.path));
        if course.root.join(&exercise.solution_path).is_file() {
            expected.push_str(&bin_line(&exercise.solution_bin(), &exercise.solution_path));
        }
    }
    (manifest[start..end].replace("\r\n", "\n") != expected).then(|| OUTDATED.to_owned())
}

fn bin_line(name: &str, path: &Path) -> String {
    let path = path.to_string_lossy().replace('\\', "/");
    format!("  {{ name = \"{name}\", path = \"{path}\" }},\n")
}

/// Rustlings allows in `exercises/` and `solutions/` only the exercises' files and `README.md`,
/// one folder deep.
fn stray_files(root: &Path, side: &str, known: &HashSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let Ok(entries) = fs::read_dir(root.join(side)) else {
        return problems;
    };
    let mut check = |relative: String, is_dir: bool| {
        if is_dir {
            problems.push(format!(
                "{relative} is a folder inside a lesson folder: rustlings allows one level of \
                 folders; move its files up or remove it"
            ));
        } else if !relative.ends_with("/README.md") && !known.contains(&relative) {
            problems.push(format!(
                "{relative} belongs to no exercise: only README.md and the exercises' files may \
                 be in {side}/; add an exercise for it or remove it"
            ));
        }
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.path().is_dir() {
            check(format!("{side}/{name}"), false);
            continue;
        }
        for inner in fs::read_dir(entry.path()).into_iter().flatten().flatten() {
            let inner_name = inner.file_name().to_string_lossy().into_owned();
            check(format!("{side}/{name}/{inner_name}"), inner.path().is_dir());
        }
    }
    problems.sort();
    problems
}
