//! A pass means every shipped test ran and passed: the ways a learner can make the harness exit
//! with status 0 without that, on the `marked` fixture (tests below a `// Tests:` marker).

use predicates::prelude::*;
use serde_json::Value;

use crate::Fixture;

const COUNTER: &str = "exercises/lesson/counter.rs";
const ATTRS: &str = "exercises/lesson/attrs.rs";
const FIXED: &str = "items.len()\n}";
const BROKEN: &str = "items.len().saturating_sub(1)\n}";

/// The counter exercise with its bug fixed, and `edit` applied to the whole file.
fn counter(course: &Fixture, edit: impl Fn(String) -> String) {
    let fixed = course.read(COUNTER).replace(BROKEN, FIXED);
    assert_ne!(fixed, course.read(COUNTER));
    course.write(COUNTER, &edit(fixed));
}

fn fails_with(course: &Fixture, name: &str, message: &str) {
    course
        .cmd(&["run", name])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(message));
    let state = course.state();
    let done = state
        .lines()
        .find(|l| l.starts_with("done = "))
        .unwrap_or("");
    assert!(
        !done.contains(&format!("\"{name}\"")),
        "{name} was recorded as done:\n{state}"
    );
}

#[test]
fn a_real_fix_passes() {
    let course = Fixture::new("marked");
    // rustfmt-style changes to the tests (layout, trailing commas) are not edits.
    counter(&course, |text| {
        text.replace(
            "assert_eq!(count(&[1, 2, 3]), 3, \"three items\");",
            "assert_eq!(\n            count(&[1, 2, 3]),\n            3,\n            \"three items\",\n        );",
        )
        .replace('\n', "\r\n")
    });
    course
        .cmd(&["run", "counter"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("✓ counter passed"));
}

#[test]
fn process_exit_in_the_code_is_not_a_pass() {
    let course = Fixture::new("marked");
    counter(&course, |text| {
        text.replace(FIXED, "std::process::exit(0)\n}")
    });
    fails_with(
        &course,
        "counter",
        "the test run stopped before its summary",
    );
}

/// An exit with a failing status is no pass either, and the learner is told why rather than
/// only that the tests failed: no test reported a failure.
#[test]
fn process_exit_with_a_failing_status_is_explained() {
    let course = Fixture::new("marked");
    counter(&course, |text| {
        text.replace(FIXED, "std::process::exit(1)\n}")
    });
    fails_with(
        &course,
        "counter",
        "the test run stopped before its summary: something called `std::process::exit`",
    );
}

#[test]
fn a_printed_summary_is_not_a_pass() {
    let course = Fixture::new("marked");
    let fake = "{ use std::io::Write; let _ = std::io::stdout().write_all(b\"\\ntest result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\\n\"); std::process::exit(0) }\n}";
    counter(&course, |text| text.replace(FIXED, fake));
    fails_with(&course, "counter", "does not add up");
}

/// The code prints libtest's lines for every test and a matching summary, then exits 0: stdout
/// says pass, but the harness's own log (`--logfile`) never saw the tests pass.
#[test]
fn forged_test_results_are_not_a_pass() {
    let course = Fixture::new("marked");
    let forge = "{\n    use std::io::Write;\n    static ONCE: std::sync::Mutex<()> = std::sync::Mutex::new(());\n    let _one = ONCE.lock();\n    let _ = std::io::stdout().write_all(b\"test tests::counts_three ... ok\\ntest tests::counts_none ... ok\\n\\ntest result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\\n\");\n    std::process::exit(0)\n}\n}";
    counter(&course, |text| text.replace(FIXED, forge));
    fails_with(&course, "counter", "the test harness itself did not");
    // The log is written to a fresh file in the temp dir, removed after the run.
    let temp = tempfile::tempdir().unwrap();
    course
        .cmd(&["run", "counter"])
        .env("TMPDIR", temp.path())
        .assert()
        .code(1);
    let left: Vec<_> = std::fs::read_dir(temp.path()).unwrap().collect();
    assert!(left.is_empty(), "left in the temp dir: {left:?}");
}

/// Code that writes past the harness's capture (to `std::io::stderr()` directly) can land between
/// libtest's `test NAME ... ` and its result: stderr is kept apart from the lines that are read,
/// so a line there that looks like libtest's is not taken for one.
#[test]
fn what_the_code_writes_to_stderr_is_not_read_as_the_harness_lines() {
    let course = Fixture::new("marked");
    let noisy = "{ use std::io::Write; let _ = std::io::stderr().write_all(b\"test tests::from_a_log ... ok\\n\"); items.len() }\n}";
    counter(&course, |text| text.replace(FIXED, noisy));
    course
        .cmd(&["run", "counter"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("✓ counter passed"));
}

/// A `kill -9` of async-lings leaves its run's log file behind (nothing can remove it then): the
/// next async-lings removes the logs of processes that are gone, and keeps the others.
#[cfg(unix)]
#[test]
fn log_files_of_a_killed_async_lings_are_removed_later() {
    let course = Fixture::new("marked");
    let temp = tempfile::tempdir().unwrap();
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let gone_pid = gone.id();
    gone.wait().unwrap();
    let stale = temp
        .path()
        .join(format!("async-lings-{gone_pid}-0-1-00000000000000ff.log"));
    let live = temp.path().join(format!(
        "async-lings-{}-0-1-00000000000000ff.log",
        std::process::id()
    ));
    let other = temp.path().join("async-lings-notes.log");
    for file in [&stale, &live, &other] {
        std::fs::write(file, "").unwrap();
    }
    course
        .cmd(&["run", "counter"])
        .env("TMPDIR", temp.path())
        .assert()
        .code(1);
    assert!(
        !stale.exists(),
        "the log of a process that is gone was kept"
    );
    assert!(live.exists(), "the log of a live process was removed");
    assert!(other.exists(), "a file that is not a run's log was removed");
}

/// `macro_rules! assert_eq` above the marker would make the shipped tests assert nothing.
#[test]
fn a_shadowed_assertion_macro_is_not_a_pass() {
    let course = Fixture::new("marked");
    let text = course.read(COUNTER);
    course.write(
        COUNTER,
        &format!("macro_rules! assert_eq {{\n    ($($t:tt)*) => {{ () }};\n}}\n\n{text}"),
    );
    fails_with(
        &course,
        "counter",
        "line 1 defines its own `assert_eq!`, a macro the shipped tests call",
    );

    let course = Fixture::new("marked");
    let text = course.read(COUNTER);
    course.write(
        COUNTER,
        &format!(
            "macro_rules! nothing {{\n    ($($t:tt)*) => {{}};\n}}\nuse nothing as r#assert_eq;\n\n{text}"
        ),
    );
    fails_with(&course, "counter", "line 4 defines its own `assert_eq!`");
}

/// Code compiled apart for the tests (or for clippy, or for debug builds), or that asks which
/// runtime or thread runs it, would have them judge other code than the program runs: the program keeps
/// the bug while the tests see a fix.
#[test]
fn code_compiled_apart_for_the_tests_is_not_a_pass() {
    let course = Fixture::new("marked");
    let text = course.read(COUNTER);
    course.write(
        COUNTER,
        &format!(
            "#[cfg(test)]\npub fn count(items: &[u32]) -> usize {{\n    items.len()\n}}\n\n\
             #[cfg(not(test))]\n{}",
            text.replacen("/// The number of items.\n", "", 1)
        ),
    );
    fails_with(
        &course,
        "counter",
        "line 1 compiles code apart for the tests (`cfg(test)`",
    );

    // Apart for clippy, or for the build, or told apart by the runtime the code runs on.
    for (from, to, message) in [
        (
            "pub fn count",
            "#[cfg_attr(not(clippy), allow(unused))]\npub fn count",
            "compiles code apart for clippy",
        ),
        (
            "-> usize {",
            "-> usize {\n    if !cfg!(debug_assertions) {\n        return 0;\n    }",
            "compiles code apart for debug and release builds",
        ),
        (
            "fn main() {}",
            "fn main() {}\n\n#[allow(dead_code)]\nfn runtime_flavor() {}",
            "or asks which kind of runtime runs it (`runtime_flavor`",
        ),
        (
            "fn main() {}",
            "fn main() {}\n\n#[allow(dead_code)]\nfn first() -> bool {\n    \
             format!(\"{:?}\", std::thread::current().id()) == \"ThreadId(1)\"\n}",
            "asks where it runs or what it was given (how the program was started",
        ),
        (
            "fn main() {}",
            "static REAL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);\n\n\
             fn main() {\n    REAL.store(true, std::sync::atomic::Ordering::Relaxed);\n}\n\n\
             #[allow(dead_code)]\nfn real() -> bool {\n    REAL.load(std::sync::atomic::Ordering::Relaxed)\n}",
            "is in `fn main` and sets a static that the rest of the code reads",
        ),
    ] {
        let course = Fixture::new("marked");
        counter(&course, |text| text.replace(from, to));
        fails_with(&course, "counter", message);
    }

    // The learner's own tests may sit above the marker, and lint levels set for the tests.
    let course = Fixture::new("marked");
    counter(&course, |text| {
        text.replace(
            "fn main() {}",
            "fn main() {}\n\n#[cfg_attr(not(test), allow(dead_code))]\nconst ONE: u32 = 1;\n\n\
             #[cfg(test)]\nmod mine {\n    #[test]\n    fn counts_one() {\n        \
             assert_eq!(super::count(&[7]), super::ONE as usize);\n    }\n}",
        )
    });
    course
        .cmd(&["run", "counter"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("✓ counter passed"));
}

#[test]
fn deleted_ignored_or_emptied_tests_are_not_a_pass() {
    let course = Fixture::new("marked");
    let marker = "// Tests: do not edit below this line.\n";
    counter(&course, |text| {
        format!("{}{marker}", text.split(marker).next().unwrap())
    });
    fails_with(&course, "counter", "the tests were changed at line 10");

    let course = Fixture::new("marked");
    counter(&course, |text| {
        text.replace("    #[test]", "    #[test]\n    #[ignore]")
    });
    fails_with(&course, "counter", "the tests were changed at line 15");

    let course = Fixture::new("marked");
    counter(&course, |text| {
        text.replace("assert_eq!(count(&[]), 0, \"no items\");", "")
    });
    fails_with(
        &course,
        "counter",
        "the tests were changed at line 21 (shipped: `assert_eq!(count(&[]), 0, \"no items\");`)",
    );

    let course = Fixture::new("marked");
    counter(&course, |text| text.replace(marker, ""));
    fails_with(
        &course,
        "counter",
        "above the tests is gone or its words were changed",
    );
    // The marker's words are shipped too: a marker line of other words marks nothing.
    let course = Fixture::new("marked");
    counter(&course, |text| {
        text.replace(marker, "// Tests: mine now, edit as I like.\n")
    });
    fails_with(
        &course,
        "counter",
        "above the tests is gone or its words were changed",
    );
    // `reset --tests` puts the shipped marker line back and keeps the code above it.
    course
        .cmd(&["reset", "--tests", "counter"])
        .assert()
        .code(0);
    let restored = course.read(COUNTER);
    assert!(
        restored.contains(marker),
        "the marker line was not put back"
    );
    assert!(
        !restored.contains("mine now"),
        "the edited marker line was kept"
    );
    assert!(restored.contains(FIXED), "the learner's fix was lost");
    course.cmd(&["run", "counter"]).assert().code(0);
}

/// A comment of the learner's that starts like the marker (`// Tests: ...`) above it is code:
/// the tests below the real marker are still the shipped ones.
#[test]
fn a_comment_that_starts_like_the_marker_is_not_the_marker() {
    let course = Fixture::new("marked");
    counter(&course, |text| {
        format!("// Tests: the suite below checks an empty list too.\n{text}")
    });
    course.cmd(&["run", "counter"]).assert().code(0);

    // A real change below the marker is still found, at its own line.
    let commented = course.read(COUNTER);
    course.write(
        COUNTER,
        &commented.replacen("    #[test]\n", "    #[test]\n    #[ignore]\n", 1),
    );
    fails_with(&course, "counter", "the tests were changed at line 16");
    course
        .cmd(&["reset", "--tests", "counter"])
        .assert()
        .code(0);
    let restored = course.read(COUNTER);
    assert!(
        restored.contains("// Tests: the suite below checks an empty list too."),
        "reset --tests dropped the learner's comment above the marker"
    );
    course.cmd(&["run", "counter"]).assert().code(0);
}

#[test]
fn reset_tests_restores_the_tests_and_keeps_the_code() {
    let course = Fixture::new("marked");
    counter(&course, |text| text.replace("    #[test]\n", ""));
    let edited = course.read(COUNTER);
    fails_with(&course, "counter", "async-lings reset --tests counter");
    course
        .cmd(&["reset", "--tests", "counter"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "your code above them is unchanged",
        ));
    let restored = course.read(COUNTER);
    assert!(restored.contains(FIXED), "the learner's fix was lost");
    assert_eq!(restored.matches("#[test]").count(), 2);
    let backups = std::fs::read_dir(course.path().join(".async-lings/backups")).unwrap();
    let backup = backups.map(|e| e.unwrap().path()).next().unwrap();
    assert_eq!(std::fs::read_to_string(backup).unwrap(), edited);
    course.cmd(&["run", "counter"]).assert().code(0);
}

#[test]
fn where_attributes_are_the_exercise_only_a_real_fix_passes() {
    let todo = "    // TODO: this test expects a panic: tell the harness.\n";
    let course = Fixture::new("marked");
    let shipped = course.read(ATTRS);
    let fix = "    #[should_panic(expected = \"divide by zero\")]\n";
    course.write(ATTRS, &shipped.replace(todo, fix));
    course.cmd(&["run", "attrs"]).assert().code(0);

    // Attributes other than `#[test]` and `#[tokio::test]` stay as shipped (or as in the solution).
    course.write(ATTRS, &shipped.replace(todo, "    #[ignore]\n"));
    fails_with(&course, "attrs", "the tests were changed at line 20");
    course.write(ATTRS, &shipped.replace(todo, "    #[cfg(any())]\n"));
    fails_with(&course, "attrs", "the tests were changed at line 20");
    // ...and the message says which attributes may change.
    course.write(ATTRS, &shipped.replace(todo, "    #[tokio::main]\n"));
    fails_with(
        &course,
        "attrs",
        "In this exercise only the attributes that make a function a test may change",
    );
    // A test that expects a panic passes with code that panics: not a fix.
    let inverted = shipped
        .replace(todo, fix)
        .replace("    a / b\n", "    panic!(\"broken\")\n")
        .replace(
            "    #[test]\n    fn divides",
            "    #[test]\n    #[should_panic]\n    fn divides",
        );
    course.write(ATTRS, &inverted);
    fails_with(&course, "attrs", "the tests were changed at line 15");
    // The test attribute itself may go: the test then did not run.
    let untested = shipped.replace(&format!("    #[test]\n{todo}"), "");
    course.write(ATTRS, &untested);
    fails_with(&course, "attrs", "missing: dividing_by_zero_panics");

    let deleted = shipped.replace(todo, "").replace(
        "    #[test]\n    fn dividing_by_zero_panics() {\n        divide(1, 0);\n    }\n",
        "",
    );
    course.write(ATTRS, &deleted);
    fails_with(&course, "attrs", "the tests were changed");

    let emptied = shipped
        .replace(todo, fix)
        .replace("assert_eq!(divide(6, 3), 2, \"6 / 3 is 2\");", "");
    course.write(ATTRS, &emptied);
    fails_with(&course, "attrs", "the tests were changed at line 16");
}

/// Where the tests are the exercise, the code under them is correct as shipped: code changed to
/// suit the unfixed tests is not a fix, while comments and formatting there are free.
#[test]
fn where_attributes_are_the_exercise_the_code_under_test_stays_as_shipped() {
    let course = Fixture::new("marked");
    let shipped = course.read(ATTRS);
    // No `#[should_panic]`: a `divide` that no longer panics passes the unfixed tests.
    let suited = shipped.replace(
        "    assert!(b != 0, \"divide by zero\");\n    a / b\n",
        "    a.checked_div(b).unwrap_or(0)\n",
    );
    assert_ne!(suited, shipped);
    course.write(ATTRS, &suited);
    fails_with(
        &course,
        "attrs",
        "line 3 (shipped: `assert!(b != 0, \"divide by zero\");`) changes the code under test",
    );
    course
        .cmd(&["run", "attrs"])
        .assert()
        .stdout(predicate::str::contains(
            "`async-lings reset attrs` puts the whole file back",
        ));

    let fix = "    #[should_panic(expected = \"divide by zero\")]\n";
    let todo = "    // TODO: this test expects a panic: tell the harness.\n";
    let reworded = shipped
        .replace(todo, fix)
        .replace("/// Integer division", "/// Whole-number division")
        .replace("    a / b\n", "    a\n        / b\n");
    course.write(ATTRS, &reworded);
    course.cmd(&["run", "attrs"]).assert().code(0);
}

#[test]
fn reports_carry_the_verdicts_about_tests() {
    let course = Fixture::new("marked");
    counter(&course, |text| {
        text.replace(FIXED, "std::process::exit(0)\n}")
    });
    let todo = "    #[test]\n    // TODO: this test expects a panic: tell the harness.\n";
    course.write(ATTRS, &course.read(ATTRS).replace(todo, ""));
    let out = course
        .cmd(&["verify", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdicts: Vec<&str> = report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["tests-incomplete", "tests-incomplete"]);

    course.write(ATTRS, &course.read(ATTRS).replace("divide(1, 0);", ""));
    let out = course
        .cmd(&["verify", "--format", "junit"])
        .output()
        .unwrap();
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.contains("type=\"tests-edited\""), "{xml}");
    assert!(xml.contains("type=\"tests-incomplete\""), "{xml}");
}

/// Two courses, one `CARGO_TARGET_DIR` (grading a class): each is judged by its own build.
#[test]
fn a_shared_target_dir_never_grades_one_course_with_anothers_build() {
    let target = tempfile::tempdir().unwrap();
    let (alice, bob) = (Fixture::new("marked"), Fixture::new("marked"));
    counter(&alice, |text| text);
    for _ in 0..2 {
        alice
            .cmd(&["run", "counter"])
            .env("CARGO_TARGET_DIR", target.path())
            .assert()
            .code(0);
        // Bob's file is untouched, and older than Alice's build: cargo alone calls it fresh.
        bob.cmd(&["run", "counter"])
            .env("CARGO_TARGET_DIR", target.path())
            .assert()
            .code(1)
            .stdout(predicate::str::contains("counts_three"));
    }
    bob.cmd(&["verify", "--format", "json"])
        .env("CARGO_TARGET_DIR", target.path())
        .assert()
        .code(1);
}

/// Tests that pass around a future the code makes and drops unawaited judged code whose work
/// never happens: no pass, with the line named. A future dropped on purpose (`drop`, `let _ =`)
/// is the code's own choice and passes.
#[test]
fn a_future_never_awaited_is_not_a_pass() {
    let course = Fixture::new("marked");
    let tally = "async fn tally(items: &[u32]) {\n    let _ = items;\n}\n\n";
    counter(&course, |text| {
        format!(
            "{tally}{}",
            text.replace(FIXED, "tally(items);\n    items.len()\n}")
        )
    });
    fails_with(
        &course,
        "counter",
        "the tests passed, but the future made at line 8 is never awaited",
    );
    course
        .cmd(&["run", "counter"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "futures do nothing unless you `.await`",
        ));

    let course = Fixture::new("marked");
    counter(&course, |text| {
        format!(
            "{tally}{}",
            text.replace(FIXED, "drop(tally(items));\n    items.len()\n}")
        )
    });
    course
        .cmd(&["run", "counter"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("✓ counter passed"));
}

/// A short `std::thread::sleep` in async code lets tests pass that have nothing else for the
/// runtime's thread to do meanwhile: the code still blocks it, so it is no pass, and so does a
/// plain fn or a closure of the code's own that sleeps, run there, or a std channel's `recv`.
/// The same sleep on a thread of its own (a closure handed to `std::thread::spawn`) is fine.
#[test]
fn a_blocking_sleep_in_async_code_is_not_a_pass() {
    let course = Fixture::new("marked");
    let helper =
        "async fn settle() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n\n";
    counter(&course, |text| format!("{helper}{text}"));
    fails_with(
        &course,
        "counter",
        "the tests passed, but line 2 blocks the runtime's thread",
    );

    // The same sleep in a plain fn of the code's own, called from async code.
    let course = Fixture::new("marked");
    let through = "fn pause() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n\n\
                   async fn settle() {\n    pause();\n}\n\n";
    counter(&course, |text| format!("{through}{text}"));
    fails_with(
        &course,
        "counter",
        "the tests passed, but line 6 blocks the runtime's thread: it runs `pause`, whose \
         `std::thread::sleep` stops every task",
    );

    // A closure that sleeps, handed to a plain fn that calls it there.
    let course = Fixture::new("marked");
    let handed = "fn twice(job: impl Fn()) {\n    job();\n    job();\n}\n\n\
                  async fn settle() {\n    \
                  let pause = || std::thread::sleep(std::time::Duration::from_millis(1));\n    \
                  twice(pause);\n}\n\n";
    counter(&course, |text| format!("{handed}{text}"));
    fails_with(
        &course,
        "counter",
        "the tests passed, but line 8 blocks the runtime's thread: it runs `pause`, whose \
         `std::thread::sleep` stops every task",
    );

    // A std channel's receiver waited on in async code blocks the thread the same way.
    let course = Fixture::new("marked");
    let received = "async fn settle() {\n    let (tx, rx) = std::sync::mpsc::channel();\n    \
                    std::thread::spawn(move || tx.send(1).unwrap());\n    \
                    rx.recv().unwrap();\n}\n\n";
    counter(&course, |text| format!("{received}{text}"));
    fails_with(
        &course,
        "counter",
        "the tests passed, but line 4 blocks the runtime's thread: \
         `std::sync::mpsc::Receiver::recv` in async code stops every task on that thread while \
         it waits for a message",
    );

    // A guard whose `Drop` sleeps, made in async code: it is dropped there.
    let course = Fixture::new("marked");
    let guard = "struct Flush;\n\nimpl Drop for Flush {\n    fn drop(&mut self) {\n        \
                 std::thread::sleep(std::time::Duration::from_millis(1));\n    }\n}\n\n\
                 async fn settle() {\n    let _flush = Flush;\n}\n\n";
    counter(&course, |text| format!("{guard}{text}"));
    fails_with(
        &course,
        "counter",
        "the tests passed, but line 10 blocks the runtime's thread: it makes a `Flush`, whose \
         `drop` calls `std::thread::sleep` where the value is dropped, which stops every task",
    );

    let course = Fixture::new("marked");
    let apart = "async fn settle() {\n    let _ = std::thread::spawn(|| \
                 std::thread::sleep(std::time::Duration::from_millis(1))).join();\n}\n\n";
    counter(&course, |text| format!("{apart}{text}"));
    course
        .cmd(&["run", "counter"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("✓ counter passed"));
}

/// A lock taken with `try_lock()` and unwrapped in async code panics whenever another task or
/// thread holds it: tests on one thread seldom show it, so it is read from the source and is no
/// pass. A busy lock handled (`if let Ok(..)`) is fine.
#[test]
fn an_unwrapped_try_lock_in_async_code_is_not_a_pass() {
    let course = Fixture::new("marked");
    let peek =
        "async fn peek(m: &std::sync::Mutex<u32>) -> u32 {\n    *m.try_lock().unwrap()\n}\n\n";
    counter(&course, |text| format!("{peek}{text}"));
    fails_with(
        &course,
        "counter",
        "the tests passed, but line 2 takes a lock with `try_lock()` and unwraps it in async code",
    );

    let course = Fixture::new("marked");
    let handled = "async fn peek(m: &std::sync::Mutex<u32>) -> u32 {\n    \
                   if let Ok(n) = m.try_lock() { *n } else { 0 }\n}\n\n";
    counter(&course, |text| format!("{handled}{text}"));
    course
        .cmd(&["run", "counter"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("✓ counter passed"));
}

/// Code that writes straight to the process's stdout (past libtest's capture) can print more than
/// the check keeps: the middle of the output is dropped, and with it the lines of tests that
/// passed. libtest's own log still has every result, so a correct fix that prints a lot passes.
#[test]
fn a_fix_that_prints_past_the_output_cap_still_passes() {
    // The test of no items prints half the cap and more, then ends (its `ok` line falls in the
    // dropped middle); the other waits for it, then prints as much again.
    let chatty = |last: &str| {
        format!(
            "fn say_a_lot(items: &[u32]) {{\n    use std::io::Write;\n    if !items.is_empty() {{\n        \
             std::thread::sleep(std::time::Duration::from_millis(300));\n    }}\n    let mut out = \
             std::io::stdout().lock();\n    for i in 0..2000 {{\n        let _ = writeln!(out, \
             \"counting item {{i}} of a long list, and saying so at length\");\n    }}\n{last}}}\n\n"
        )
    };
    let course = Fixture::new("marked");
    counter(&course, |text| {
        format!(
            "{}{}",
            chatty(""),
            text.replace(FIXED, "say_a_lot(items);\n    items.len()\n}")
        )
    });
    course
        .cmd(&["run", "counter"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("✓ counter passed"));

    // What the code prints is still no summary of its own: a fake one is refused as before.
    let course = Fixture::new("marked");
    let fake = "    let _ = writeln!(out, \"test tests::counts_none ... ok\\ntest tests::counts_three \
                ... ok\\n\\ntest result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered \
                out\");\n    let _ = out.flush();\n    std::process::exit(0);\n";
    counter(&course, |text| {
        format!(
            "{}{}",
            chatty(fake),
            text.replace(FIXED, "say_a_lot(items);\n    items.len()\n}")
        )
    });
    fails_with(&course, "counter", "✗ counter");
}
