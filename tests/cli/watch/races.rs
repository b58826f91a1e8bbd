//! The verdict on screen belongs to the file on disk: saves racing checks, and a second process
//! recording progress while the watch is open.

use std::{fs, process::Command};

use super::{Watch, fix};
use crate::Fixture;

const FILE: &str = "exercises/lesson/compile_error.rs";
const SOLUTION: &str = "solutions/lesson/compile_error.rs";

/// Writes the file as editors that save atomically do: a half-written file is never checked.
fn save(course: &Fixture, relative: &str, text: &str) {
    let path = course.path().join(relative);
    let tmp = path.with_extension("rs.tmp");
    fs::write(&tmp, text).unwrap();
    fs::rename(&tmp, &path).unwrap();
}

/// How many races to run: `ASYNC_LINGS_RACES=100` for the figure in the report.
fn races() -> usize {
    std::env::var("ASYNC_LINGS_RACES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20)
}

/// A version of the exercise that passes, and whose test, as its last act, saves `failing` over
/// the file: the check ends within a millisecond or so of that save, inside its 5 ms grace
/// period. Any pass shown or recorded is for content no longer on disk.
fn passing_then_saving(course: &Fixture, failing: &str) -> String {
    let passing = course.read(SOLUTION);
    // Atomically, as an editor would: the save's event voids this very check, whose processes
    // are killed, and a plain write could be cut between truncating the file and writing it.
    let tmp = format!("{FILE}.tmp");
    let save = format!(
        "assert_eq!(poll, Poll::Ready(84));\n        \
         std::fs::write({tmp:?}, {failing:?}).unwrap();\n        \
         std::fs::rename({tmp:?}, {FILE:?}).unwrap();"
    );
    let text = passing.replace("assert_eq!(poll, Poll::Ready(84));", &save);
    assert_ne!(text, passing);
    text
}

#[test]
fn a_check_that_finishes_inside_the_grace_of_a_newer_save_is_never_shown() {
    let course = Fixture::new("basic");
    let mut watch = Watch::start(&course, &["watch", "--manual-next"]);
    watch.expect("✓ passes passed");
    watch.send("n");
    watch.expect("✗ compile_error does not compile");
    let tries = races();
    let mut stale = 0;
    for k in 0..tries {
        let failing = fix(
            &course,
            SOLUTION,
            "assert_eq!(poll, Poll::Ready(84));",
            &format!("assert_eq!(poll, Poll::Ready(85), \"race {k}\");"),
        );
        save(&course, FILE, &passing_then_saving(&course, &failing));
        // The verdict for the content left on disk: the failing version of this round.
        // The verdict line leads; the failing test's message follows it.
        let mut shown = watch.expect("✗ compile_error: 1 test failed: tests::doubles");
        shown.extend(watch.expect("race "));
        assert!(
            shown.iter().any(|l| l.contains(&format!("race {k}"))),
            "round {k}: the failure shown is not this round's: {shown:?}"
        );
        stale += shown
            .iter()
            .filter(|l| l.contains("✓ compile_error passed"))
            .count();
    }
    eprintln!("{stale} stale verdicts in {tries} races, every check ending inside the grace");
    assert_eq!(watch.quit(), 0);
    assert_eq!(stale, 0, "stale passes shown in {tries} races");
    let state: toml::Table = course.state().parse().unwrap();
    let done = state["done"].as_array().unwrap();
    assert!(
        !done.iter().any(|d| d.as_str() == Some("compile_error")),
        "a stale pass was recorded: {state}"
    );
}

#[test]
fn a_pass_recorded_by_run_in_another_terminal_survives_the_watch() {
    let course = Fixture::new("basic");
    let mut watch = Watch::start(&course, &["watch", "--manual-next"]);
    watch.expect("✓ passes passed");
    watch.expect("Press `n` for the next exercise");

    // A second terminal: fix another exercise and check it there.
    let fixed = fix(&course, "exercises/lesson/fails_test.rs", "41", "42");
    course.write("exercises/lesson/fails_test.rs", &fixed);
    let run = Command::new(assert_cmd::cargo::cargo_bin("async-lings"))
        .args(["run", "fails_test"])
        .current_dir(course.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{run:?}");

    // The watch writes the state next (a hint level): the other terminal's pass stays.
    watch.send("h");
    watch.expect("Hint 1/3: first hint");
    let state: toml::Table = course.state().parse().unwrap();
    let done: Vec<&str> = state["done"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d.as_str())
        .collect();
    assert_eq!(done, ["fails_test", "passes"], "{state}");
    assert_eq!(state["hints"]["passes"].as_integer(), Some(1), "{state}");
    assert_eq!(state["current"].as_str(), Some("passes"), "{state}");
    // In watch mode the next hint is a key away.
    watch.expect("(press `h` again for the next one)");
    // And the watch knows it too.
    watch.send("l");
    let listed = watch.expect("[####");
    assert!(
        listed
            .iter()
            .any(|l| l.contains("fails_test") && l.contains("done")),
        "{listed:?}"
    );
    assert_eq!(watch.quit(), 0);
}
