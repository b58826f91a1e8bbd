//! Bad input: a clear message naming the place and the fix, exit 2, never a panic.

use predicates::prelude::*;

use crate::Fixture;

fn refused(course: &Fixture, args: &[&str], expected: &[&str]) {
    let assert = course.cmd(args).assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    for needle in expected {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.lines().count() < 25,
        "more than one screen:\n{stderr}"
    );
}

#[test]
fn malformed_info_toml_is_refused_with_its_place() {
    let course = Fixture::new("basic");
    let info = course.read("info.toml");
    let cases: [(String, &[&str]); 5] = [
        (
            info.replacen("[[exercises]]", "[[exercises]", 1),
            &["info.toml:5:", "fix:"],
        ),
        (
            info.replacen("hints = [\"first", "hint = [\"first", 1),
            &["unknown field `hint`", "info.toml:9:1"],
        ),
        (
            info.replacen("name = \"compile_error\"", "name = \"passes\"", 1),
            &["`passes` is listed twice"],
        ),
        (
            info.replacen("dir = \"lesson\"", "dir = \"../elsewhere\"", 1),
            &["not a folder inside the course", "info.toml:7:7"],
        ),
        (
            info.replacen("name = \"passes\"", "name = \"pass es\"", 1),
            &["not a plain identifier", "`pass_es`"],
        ),
    ];
    for (text, expected) in cases {
        course.write("info.toml", &text);
        refused(&course, &["list"], expected);
    }
    // Nothing was written while refusing.
    assert!(!course.path().join(".async-lings").exists());
}

#[test]
fn no_course_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin("async-lings"));
    cmd.arg("list")
        .current_dir(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no info.toml found"))
        .stderr(predicate::str::contains("async-lings init"));
}

#[test]
fn unknown_exercise_suggests_the_closest_and_unlisted_files_are_not_exercises() {
    let course = Fixture::new("basic");
    refused(
        &course,
        &["run", "fails_tset"],
        &["no exercise named `fails_tset`: did you mean `fails_test`?"],
    );
    // exercises/lesson/orphan.rs exists but is not in info.toml.
    refused(&course, &["run", "orphan"], &["no exercise named `orphan`"]);
}

#[test]
fn cargo_missing_from_path() {
    let course = Fixture::new("basic");
    let empty = tempfile::tempdir().unwrap();
    let mut cmd = course.cmd(&["run", "passes"]);
    cmd.env("PATH", empty.path()).env_remove("CARGO");
    let assert = cmd.assert().code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("cargo was not found on PATH"), "{stderr}");
    assert!(stderr.contains("rustup"), "{stderr}");
}

#[test]
fn unwritable_state_is_a_clear_error() {
    let course = Fixture::new("basic");
    // Tests run as root in CI, where permissions do not stop a write; a file where the state
    // folder should be does.
    course.write(".async-lings", "not a folder");
    refused(
        &course,
        &["hint"],
        &["cannot read", ".async-lings/state.toml", "Not a directory"],
    );
}

#[test]
fn damaged_state_is_kept_and_rebuilt() {
    let course = Fixture::new("basic");
    std::fs::create_dir_all(course.path().join(".async-lings")).unwrap();
    course.write(".async-lings/state.toml", "current = = broken");
    course
        .cmd(&["list"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains("the progress file was damaged"))
        .stderr(predicate::str::contains("state.toml.bad-"));
    let kept: Vec<_> = std::fs::read_dir(course.path().join(".async-lings"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("state.toml.bad-")
        })
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        std::fs::read_to_string(kept[0].path()).unwrap(),
        "current = = broken"
    );
}
