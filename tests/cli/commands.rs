//! run, hint, list, reset on the basic fixture.

use predicates::prelude::*;

use crate::Fixture;

#[test]
fn run_passing_marks_done_and_moves_on() {
    let course = Fixture::new("basic");
    course
        .cmd(&["run"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("✓ passes passed"))
        .stdout(predicate::str::contains("solutions/lesson/passes.rs"))
        .stdout(predicate::str::contains("Next up: compile_error"));
    let state = course.state();
    assert!(state.contains("current = \"compile_error\""), "{state}");
    assert!(state.contains("done = [\"passes\"]"), "{state}");
}

#[test]
fn run_compile_error_shows_the_error_and_the_async_explanation() {
    let course = Fixture::new("basic");
    course
        .cmd(&["run", "compile_error"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("error[E0308]: mismatched types"))
        .stdout(predicate::str::contains(
            "exercises/lesson/compile_error.rs:7:18",
        ))
        .stdout(predicate::str::contains("does not compile: 1 error"))
        .stdout(predicate::str::contains(
            "why: Calling an async fn does not run it",
        ));
}

#[test]
fn run_failing_test_names_it_and_shows_its_output() {
    let course = Fixture::new("basic");
    course
        .cmd(&["run", "fails_test"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "1 test failed: tests::answer_is_42",
        ))
        .stdout(predicate::str::contains("left: 41"))
        .stdout(predicate::str::contains("async-lings hint fails_test"));
}

#[test]
fn fixing_the_file_makes_it_pass() {
    let course = Fixture::new("basic");
    course.cmd(&["run", "fails_test"]).assert().code(1);
    let fixed = course
        .read("exercises/lesson/fails_test.rs")
        .replace("41", "42");
    course.write("exercises/lesson/fails_test.rs", &fixed);
    course.cmd(&["run", "fails_test"]).assert().code(0);
    assert!(course.state().contains("\"fails_test\""));
}

#[test]
fn crash_is_reported_with_its_signal() {
    Fixture::new("basic")
        .cmd(&["run", "crashes"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("crashed (SIGABRT"));
}

#[test]
fn huge_output_is_capped_with_a_marker() {
    let output = Fixture::new("basic")
        .cmd(&["run", "floods"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&output);
    assert!(text.contains("output truncated"), "no truncation marker");
    // 50 000 lines of 43 bytes were printed; about 100 KiB are kept.
    assert!(output.len() < 120 << 10, "kept {} bytes", output.len());
}

#[test]
fn run_mode_requires_main_to_succeed() {
    let course = Fixture::new("basic");
    course
        .cmd(&["run", "run_mode"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("the program exited with status 3"));
    // A pass shows what the program printed (a lesson can show its own numbers).
    course.write(
        "exercises/lesson/run_mode.rs",
        &course.read("solutions/lesson/run_mode.rs"),
    );
    course
        .cmd(&["run", "run_mode"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("The program printed:\n42"));
}

#[test]
fn hints_are_revealed_one_level_at_a_time_and_remembered() {
    let course = Fixture::new("basic");
    let hint = |args: &[&str]| {
        let out = course
            .cmd(args)
            .assert()
            .code(0)
            .get_output()
            .stdout
            .clone();
        String::from_utf8(out).unwrap()
    };
    let first = hint(&["hint"]);
    assert!(
        first.contains("Hint 1/3: first hint") && !first.contains("second hint"),
        "{first}"
    );
    let second = hint(&["hint", "passes"]);
    assert!(
        second.contains("Hint 1/3") && second.contains("Hint 2/3: second hint"),
        "{second}"
    );
    assert!(!second.contains("third hint"), "{second}");
    assert!(course.state().contains("passes = 2"));
    let all = hint(&["hint", "--all"]);
    assert!(all.contains("Hint 3/3: third hint"), "{all}");
    assert!(!hint(&["hint"]).contains("again for the next one"));
}

#[test]
fn list_shows_progress_and_json_for_tools() {
    let course = Fixture::new("basic");
    course.cmd(&["run", "passes"]).assert().code(0);
    course
        .cmd(&["list"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("lesson"))
        .stdout(predicate::str::is_match(r"  passes\s+done").unwrap())
        .stdout(predicate::str::is_match(r"> compile_error\s+pending").unwrap())
        .stdout(predicate::str::contains("1/7"));
    let out = course
        .cmd(&["list", "--format", "json"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["done"], 1);
    assert_eq!(json["total"], 7);
    assert_eq!(json["exercises"][0]["name"], "passes");
    assert_eq!(json["exercises"][0]["status"], "done");
    assert_eq!(json["exercises"][1]["current"], true);
    assert_eq!(
        json["exercises"][1]["path"],
        "exercises/lesson/compile_error.rs"
    );
}

#[test]
fn reset_restores_the_shipped_file_and_keeps_a_backup() {
    let course = Fixture::new("basic");
    let shipped = course.read("exercises/lesson/fails_test.rs");
    course.write("exercises/lesson/fails_test.rs", "// my work in progress\n");
    let out = course
        .cmd(&["reset", "fails_test"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(course.read("exercises/lesson/fails_test.rs"), shipped);
    let backup = out.trim().rsplit(' ').next().unwrap();
    assert!(
        backup.starts_with(".async-lings/backups/fails_test-"),
        "{out}"
    );
    assert_eq!(course.read(backup), "// my work in progress\n");
    course
        .cmd(&["reset", "fails_test"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("already as shipped"));
}

#[test]
fn reset_brings_back_a_deleted_file() {
    let course = Fixture::new("basic");
    std::fs::remove_file(course.path().join("exercises/lesson/passes.rs")).unwrap();
    course
        .cmd(&["run"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "exercise file exercises/lesson/passes.rs is missing",
        ))
        .stderr(predicate::str::contains("async-lings reset passes"));
    course.cmd(&["reset", "passes"]).assert().code(0);
    course.cmd(&["run"]).assert().code(0);
}

#[test]
fn init_writes_the_built_in_course() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("course");
    let mut cmd = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin("async-lings"));
    cmd.arg("init")
        .arg(&target)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("cd "));
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_eq!(
        std::fs::read_to_string(target.join("info.toml")).unwrap(),
        std::fs::read_to_string(repo.join("info.toml")).unwrap()
    );
    assert!(target.join("Cargo.toml").is_file() && target.join(".gitignore").is_file());
    // It builds with the versions this repository locks, not the newest ones.
    let versions = |lock: &str| -> Vec<(String, String)> {
        let lock: toml::Table = lock.parse().unwrap();
        lock["package"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().into(),
                    p["version"].as_str().unwrap().into(),
                )
            })
            .collect()
    };
    let locked = versions(&std::fs::read_to_string(repo.join("Cargo.lock")).unwrap());
    assert!(
        target.join("Cargo.lock").is_file(),
        "init wrote no Cargo.lock"
    );
    // Not `--offline`: metadata needs every platform's crates (wasi among them), which a fresh
    // machine has not downloaded; cargo still keeps the versions the copied lock names.
    let metadata = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1"])
        .current_dir(&target)
        .output()
        .unwrap();
    assert!(metadata.status.success(), "{metadata:?}");
    let copy = versions(&std::fs::read_to_string(target.join("Cargo.lock")).unwrap());
    for name in ["tokio", "tokio-util", "tokio-stream", "futures-util"] {
        let version = |list: &[(String, String)]| {
            list.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
        };
        assert_eq!(version(&copy), version(&locked), "{name} in the copy");
        assert!(version(&copy).is_some(), "{name} is not in the copy's lock");
    }
    assert!(
        !copy.iter().any(|(name, _)| name == "clap"),
        "the copy's lock keeps the CLI's dependencies"
    );
    // The copy is a valid course that async-lings can list.
    let mut list = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin("async-lings"));
    list.arg("list").current_dir(&target).assert().code(0);
    // reset works there without git: from the copy built into the binary.
    let exercise = target.join("exercises/01_futures/missing_await.rs");
    let shipped = std::fs::read_to_string(&exercise).unwrap();
    std::fs::write(&exercise, "// my attempt\n").unwrap();
    let mut reset = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin("async-lings"));
    reset
        .args(["reset", "missing_await"])
        .current_dir(&target)
        .assert()
        .code(0);
    assert_eq!(std::fs::read_to_string(&exercise).unwrap(), shipped);
    assert!(!target.join(".git").exists());
    // And it refuses to write over it.
    let mut again = assert_cmd::Command::new(assert_cmd::cargo::cargo_bin("async-lings"));
    again
        .arg("init")
        .arg(&target)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already exists and is not empty"));
}

/// `command` run as a user who cannot read a file mode 000. Tests run as root in CI, where a mode
/// stops nothing: there, the course is handed to `nobody` and the command runs as `nobody`.
fn as_unprivileged(course: &crate::Fixture, command: &mut std::process::Command) {
    use std::os::unix::{fs::MetadataExt, process::CommandExt};
    if std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() != 0) {
        return;
    }
    const NOBODY: u32 = 65534;
    fn chown_all(path: &std::path::Path) {
        std::os::unix::fs::lchown(path, Some(NOBODY), Some(NOBODY)).unwrap();
        if path.is_dir() && !path.is_symlink() {
            for entry in std::fs::read_dir(path).unwrap() {
                chown_all(&entry.unwrap().path());
            }
        }
    }
    chown_all(course.path());
    command.uid(NOBODY).gid(NOBODY).env("HOME", course.path());
}

#[test]
fn reset_refuses_a_file_it_cannot_back_up() {
    use std::os::unix::fs::PermissionsExt;
    let course = Fixture::new("basic");
    let path = course.path().join("exercises/lesson/fails_test.rs");
    course.write("exercises/lesson/fails_test.rs", "// my work in progress\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    let reset = || {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("async-lings"));
        command
            .args(["reset", "fails_test"])
            .current_dir(course.path());
        as_unprivileged(&course, &mut command);
        // A read of a FIFO would never end.
        assert_cmd::Command::from_std(command)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap()
    };
    let output = reset();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "cannot reset exercises/lesson/fails_test.rs: it cannot be read to keep a backup of \
             your version"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("Nothing was changed."), "{stderr}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(
        course.read("exercises/lesson/fails_test.rs"),
        "// my work in progress\n"
    );

    // Something that is not a file (a FIFO would block the read forever) is refused too.
    std::fs::remove_file(&path).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    let output = reset();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot reset exercises/lesson/fails_test.rs: it is not a regular file"),
        "{stderr}"
    );
    assert!(!path.is_file());
}

#[test]
fn a_closed_stdout_loses_no_progress() {
    use std::process::{Command, Stdio};
    let course = Fixture::new("basic");
    let run = |args: &[&str]| {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("async-lings"))
            .args(args)
            .current_dir(course.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader is gone before anything is written, as with `| head -0`.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        (output.status.code(), stderr)
    };
    // The verdict's exit status, and the pass recorded.
    assert_eq!(run(&["run"]).0, Some(0));
    let state = course.state();
    assert!(state.contains("done = [\"passes\"]"), "{state}");
    assert_eq!(run(&["hint"]).0, Some(0));
    assert!(
        course.state().contains("compile_error = 1"),
        "{}",
        course.state()
    );
    assert_eq!(run(&["list"]), (Some(0), String::new()));
    course.write("exercises/lesson/fails_test.rs", "// mine\n");
    assert_eq!(run(&["reset", "fails_test"]).0, Some(0));
    assert!(
        !course
            .read("exercises/lesson/fails_test.rs")
            .contains("// mine")
    );
}

/// A signature changed above the marker breaks the tests below it: the error points into code
/// the learner may not edit, and the `why:` line says to put the signature back. An error in the
/// learner's own code gets no such line, nor does one in the tests beside an error in the code.
#[test]
fn an_error_in_the_tests_says_to_keep_the_signature() {
    const WHY: &str = "why: This error is in the tests, which may not change";
    let course = Fixture::new("marked");
    let path = "exercises/lesson/counter.rs";
    let shipped = course.read(path);
    let changed = shipped.replace("count(items: &[u32])", "count(items: Vec<u32>)");
    assert_ne!(changed, shipped);
    course.write(path, &changed);
    course
        .cmd(&["run", "counter"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("error[E0308]: mismatched types"))
        .stdout(predicate::str::contains(WHY));
    course.write(path, &shipped.replace("items.len()", "items.len(0)"));
    course
        .cmd(&["run", "counter"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("does not compile"))
        .stdout(predicate::str::contains(WHY).not());
    // Errors above the tests as well as in them: the code's own mistake may reach into the
    // tests (a shipped trait with no `Send`), so the tests' calls are not blamed.
    course.write(path, &changed.replace("items.len()", "items.len(0)"));
    course
        .cmd(&["run", "counter"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("error[E0308]: mismatched types"))
        .stdout(predicate::str::contains("3 errors"))
        .stdout(predicate::str::contains(WHY).not());
}
