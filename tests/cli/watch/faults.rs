//! Faults while watching: a clear message, nothing lost, and the watch goes on.

use std::{
    fs,
    io::{BufRead, BufReader, Write},
    process::{Command, Stdio},
};

use super::{Watch, fix, in_a_terminal};
use crate::Fixture;

#[test]
fn an_error_in_check_all_and_a_failed_reset_are_shown_and_the_watch_goes_on() {
    let course = Fixture::new("basic");
    // An exercise with no [[bin]] in the manifest: checking every exercise fails in cargo.
    let info = course.read("info.toml")
        + "\n[[exercises]]\nname = \"orphan\"\ndir = \"lesson\"\nfails = \"test\"\n";
    course.write("info.toml", &info);
    course.write("solutions/lesson/orphan.rs", "fn main() {}\n");
    let mut watch = Watch::start(&course, &[]);
    watch.expect("✗ compile_error does not compile");
    watch.send("c");
    watch.expect("error: checking every exercise failed: no [[bin]] named `orphan`");

    // Without git, the shipped version cannot be found: the reset fails and changes nothing.
    fs::remove_dir_all(course.path().join(".git")).unwrap();
    let before = course.read("exercises/lesson/compile_error.rs");
    watch.send("x");
    watch.expect("Restore exercises/lesson/compile_error.rs as shipped?");
    watch.send("y");
    watch.expect("error: cannot find the shipped version of exercises/lesson/compile_error.rs");
    assert_eq!(course.read("exercises/lesson/compile_error.rs"), before);

    // Still watching.
    let fixed = fix(
        &course,
        "exercises/lesson/compile_error.rs",
        "answer();",
        "answer().await;",
    );
    course.write("exercises/lesson/compile_error.rs", &fixed);
    watch.expect("✓ compile_error passed");
    assert_eq!(watch.quit(), 0);
}

#[test]
fn a_missing_exercise_file_is_named_and_the_watch_goes_on() {
    let course = Fixture::new("basic");
    let path = course.path().join("exercises/lesson/compile_error.rs");
    fs::remove_file(&path).unwrap();
    let mut watch = Watch::start(&course, &[]);
    watch.expect("✓ passes passed");
    watch.expect("exercise file exercises/lesson/compile_error.rs is missing");
    watch.expect("`async-lings reset compile_error`");
    // Checking every exercise would fail in cargo for all of them: refused, nothing recorded.
    watch.send("c");
    watch.expect("Cannot check every exercise (nothing was recorded)");
    watch.send("l");
    let listed = watch.expect("[#####");
    assert!(
        listed
            .iter()
            .any(|l| l.contains("compile_error") && l.contains("✗ missing")),
        "{listed:?}"
    );
    // Saved again: checked as usual.
    fs::write(&path, course.read("solutions/lesson/compile_error.rs")).unwrap();
    watch.expect("✓ compile_error passed");
    assert_eq!(watch.quit(), 0);
    assert!(course.state().contains("\"passes\""), "{}", course.state());
}

#[test]
fn the_exercises_folder_deleted_and_restored_is_watched_again() {
    let course = Fixture::new("basic");
    let mut watch = Watch::start(&course, &[]);
    watch.expect("✗ compile_error does not compile");
    fs::remove_dir_all(course.path().join("exercises")).unwrap();
    watch.expect("The exercises folder is gone, so saves cannot be seen.");
    // Long enough for every event of the deletion to be handled (the grace is 5 ms).
    std::thread::sleep(std::time::Duration::from_millis(500));
    let status = Command::new("git")
        .args(["checkout", "--", "exercises"])
        .current_dir(course.path())
        .status()
        .unwrap();
    assert!(status.success());
    // Said once, however many events the deletion made.
    let meanwhile = watch.expect("The exercises folder is back: watching it again.");
    assert!(
        !meanwhile.iter().any(|l| l.contains("folder is gone")),
        "{meanwhile:?}"
    );
    watch.expect("✗ compile_error does not compile");
    // A save after the restore is seen.
    let fixed = fix(
        &course,
        "exercises/lesson/compile_error.rs",
        "answer();",
        "answer().await;",
    );
    course.write("exercises/lesson/compile_error.rs", &fixed);
    watch.expect("✓ compile_error passed");
    assert_eq!(watch.quit(), 0);
}

#[test]
fn a_closed_stdout_ends_the_watch_without_a_panic_and_keeps_progress() {
    let course = Fixture::new("basic");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("async-lings"))
        .args(["watch", "--manual-next"])
        .current_dir(course.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("the watch ended").unwrap();
        if line.contains("Press `n` for the next exercise") {
            break;
        }
    }
    // The reader goes away, as `async-lings watch | head` does; the learner asks for a hint.
    drop(lines);
    writeln!(stdin, "h").unwrap();
    stdin.flush().unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let state: toml::Table = course.state().parse().unwrap();
    assert_eq!(state["done"].as_array().unwrap().len(), 1, "{state}");
    assert_eq!(state["hints"]["passes"].as_integer(), Some(1), "{state}");
    // The lock died with the watch: another one starts (and ends with its input).
    course.cmd(&["watch"]).write_stdin("q\n").assert().code(0);
}

#[test]
fn test_output_cannot_switch_the_terminal_modes() {
    use expectrl::{Eof, Expect};

    let course = Fixture::new("basic");
    // The alternate screen, mouse reporting, a window title, a full reset, and a charset switch.
    let hostile = r#"fn main() {}

#[cfg(test)]
mod tests {
    #[test]
    fn takes_over_the_terminal() {
        print!("\x1b[?1049h\x1b[?1000h\x1b]0;pwned\x07\x1bc\x0e");
        panic!("the terminal is mine");
    }
}
"#;
    course.write("exercises/lesson/compile_error.rs", hostile);
    let mut session = in_a_terminal(&course);
    // The verdict leads; the full output, with what the test printed, is at the end: scroll there.
    let mut shown = session
        .expect("compile_error: 1 test failed")
        .unwrap()
        .before()
        .to_vec();
    session.send("\x1b[F").unwrap();
    shown.extend(session.expect("test result: FAILED").unwrap().before());
    // The watch's own screen is the alternate screen: that one switch is ours, at the start.
    let ours = b"\x1b[?1049h";
    assert!(
        shown.starts_with(ours),
        "{}",
        String::from_utf8_lossy(&shown)
    );
    let shown = &shown[ours.len()..];
    let contains = |needle: &[u8]| shown.windows(needle.len()).any(|w| w == needle);
    for sequence in [
        &b"\x1b[?1049h"[..],
        b"\x1b[?1000h",
        b"\x1b]0;",
        b"\x1bc",
        b"\x0e",
    ] {
        assert!(
            !contains(sequence),
            "{sequence:?} reached the terminal:\n{}",
            String::from_utf8_lossy(shown)
        );
    }
    // Shown, inert, so that the learner sees what their test printed.
    assert!(
        contains(b"^[[?1049h^[[?1000h^[]0;pwned^G^[c^N"),
        "{}",
        String::from_utf8_lossy(shown)
    );
    session.send("q").unwrap();
    session.expect(Eof).unwrap();
    let status = session.get_process().wait().unwrap();
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
}
