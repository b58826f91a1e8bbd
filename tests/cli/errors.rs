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

#[test]
fn a_timeout_too_long_to_count_is_refused_at_its_place() {
    let course = Fixture::new("basic");
    let info = course
        .read("info.toml")
        .replace("timeout = 2", "timeout = 9223372036854775807");
    course.write("info.toml", &info);
    refused(
        &course,
        &["run", "hangs"],
        &[
            "info.toml:28:11: timeout of exercise `hangs` is 9223372036854775807, not between 1 \
             and 3600 seconds",
            "fix: give the number of seconds the tests may take, e.g. `timeout = 5`",
        ],
    );
    // Refused before anything ran: no test was started to be orphaned.
    assert!(!course.path().join("hangs.pid").exists());
}

#[test]
fn a_state_file_that_cannot_be_read_is_set_aside() {
    let course = Fixture::new("basic");
    let state = course.path().join(".async-lings/state.toml");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    std::fs::write(&state, b"current = \"passes\"\n\xff\xfe\n").unwrap();
    course
        .cmd(&["list"])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "the progress file was damaged (it is not UTF-8 text); it was moved to",
        ));

    // A FIFO in its place would block a read forever.
    let status = std::process::Command::new("mkfifo")
        .arg(&state)
        .status()
        .unwrap();
    assert!(status.success());
    course
        .cmd(&["list"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "the progress file was damaged (it is not a regular file)",
        ));
    assert!(!state.exists(), "the FIFO is set aside");

    // A hint level past the end shows every hint, not none.
    course.write(
        ".async-lings/state.toml",
        "hints = { passes = 18446744073709551615 }\n",
    );
    let out = course.cmd(&["hint", "passes"]).assert().code(0);
    let shown = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(shown.contains("Hint 3/3: third hint"), "{shown}");
    assert!(!shown.contains("again for the next one"), "{shown}");
}

#[test]
fn an_exercise_file_linked_outside_the_course_is_refused() {
    let course = Fixture::new("basic");
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.rs");
    std::fs::write(&secret, "SECRET-CONTENT of another file\n").unwrap();
    let link = course.path().join("exercises/lesson/fails_test.rs");
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&secret, &link).unwrap();

    let assert = course.cmd(&["run", "fails_test"]).assert().code(2);
    let output = assert.get_output();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!all.contains("SECRET-CONTENT"), "{all}");
    assert!(
        all.contains("exercise file exercises/lesson/fails_test.rs leads to")
            && all.contains("outside the course"),
        "{all}"
    );
    assert!(all.contains("async-lings reset fails_test"), "{all}");
    course
        .cmd(&["list"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "✗ a link out of the course: `async-lings reset fails_test`",
        ));
    // Reset replaces the link; the file it led to is left as it is.
    course
        .cmd(&["reset", "fails_test"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("It was a link to"));
    assert!(!link.is_symlink());
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        "SECRET-CONTENT of another file\n"
    );
    course.cmd(&["run", "fails_test"]).assert().code(1);
}

#[test]
fn a_missing_exercise_file_is_named_and_other_commands_go_on() {
    let course = Fixture::new("basic");
    std::fs::remove_file(course.path().join("exercises/lesson/passes.rs")).unwrap();
    course
        .cmd(&["list"])
        .assert()
        .code(0)
        .stdout(predicate::str::is_match(r"passes\s+pending\s+exercises/lesson/passes.rs\s+✗ missing: `async-lings reset passes`").unwrap());
    let out = course.cmd(&["list", "--format", "json"]).assert().code(0);
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(json["exercises"][0]["file"], "missing");
    assert_eq!(json["exercises"][1]["file"], "ok");
    course.cmd(&["run", "fails_test"]).assert().code(1);
    course.cmd(&["hint", "passes"]).assert().code(0);
    refused(
        &course,
        &["run", "passes"],
        &[
            "exercise file exercises/lesson/passes.rs is missing.",
            "fix: restore it as shipped with `async-lings reset passes`, or create it",
        ],
    );
    // Checking every exercise needs every file.
    refused(
        &course,
        &["verify"],
        &["exercise file exercises/lesson/passes.rs is missing"],
    );
}
