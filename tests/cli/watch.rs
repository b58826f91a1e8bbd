//! Watch mode as a real process in its plain-line mode (no terminal): real file edits the way
//! editors make them, real checks, commands on stdin.

use std::{
    fs,
    io::{BufRead, BufReader, Write},
    process::{Child, ChildStdin, Command, Stdio},
    sync::mpsc::{self, Receiver},
    thread,
    time::Duration,
};

use crate::Fixture;

mod faults;
mod races;

/// Generous: only a hung watch ever waits this long, and then the test fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(120);

struct Watch {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Watch {
    fn start(course: &Fixture, args: &[&str]) -> Self {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("async-lings"))
            .args(args)
            .current_dir(course.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let stdin = child.stdin.take();
        Watch {
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads lines until one contains `needle`; returns the lines read.
    fn expect(&mut self, needle: &str) -> Vec<String> {
        let mut read = Vec::new();
        loop {
            let line = self.lines.recv_timeout(PATIENCE).unwrap_or_else(|_| {
                panic!("no line with {needle:?} after:\n{}", self.seen.join("\n"))
            });
            self.seen.push(line.clone());
            read.push(line.clone());
            if line.contains(needle) {
                return read;
            }
        }
    }

    fn send(&mut self, command: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{command}").unwrap();
        stdin.flush().unwrap();
    }

    fn quit(mut self) -> i32 {
        self.send("q");
        drop(self.stdin.take());
        self.child.wait().unwrap().code().unwrap()
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fix(course: &Fixture, relative: &str, from: &str, to: &str) -> String {
    let text = course.read(relative);
    assert!(text.contains(from), "{relative} has no {from:?}");
    text.replace(from, to)
}

#[test]
fn every_save_pattern_is_checked_and_passing_moves_on() {
    let course = Fixture::new("basic");
    let mut watch = Watch::start(&course, &[]);
    watch.expect("Welcome to the fixture course.");
    // The first exercise already passes: it is marked done and the next one is checked at once.
    watch.expect("✓ passes passed");
    watch.expect("Moving on to compile_error");
    watch.expect("✗ compile_error does not compile: 1 error");
    // The first error leads, and the async explanation comes right under its headline and
    // place, before the source excerpt (so that it is on a small screen without scrolling).
    let shown = watch.expect("why: Calling an async fn does not run it");
    let at = |needle: &str| shown.iter().position(|l| l.contains(needle));
    assert!(
        at("error[E0308]: mismatched types") < at("--> exercises/lesson/compile_error.rs:7:18"),
        "{shown:?}"
    );
    assert!(at("-->").is_some(), "{shown:?}");
    assert!(at("expected `u32`, found future").is_none(), "{shown:?}");
    watch.expect("expected `u32`, found future");

    // In place, as VS Code and nano save.
    let fixed = fix(
        &course,
        "exercises/lesson/compile_error.rs",
        "answer();",
        "answer().await;",
    );
    course.write("exercises/lesson/compile_error.rs", &fixed);
    watch.expect("✓ compile_error passed");
    watch.expect("✗ fails_test: 1 test failed: tests::answer_is_42");

    // A temp file renamed over, as vim, JetBrains and `sed -i` save; a swap file beside it is
    // not an exercise and changes nothing.
    course.write("exercises/lesson/.fails_test.rs.swp", "swap");
    let fixed = fix(&course, "exercises/lesson/fails_test.rs", "41", "42");
    course.write("exercises/lesson/fails_test.rs.tmp", &fixed);
    fs::rename(
        course.path().join("exercises/lesson/fails_test.rs.tmp"),
        course.path().join("exercises/lesson/fails_test.rs"),
    )
    .unwrap();
    watch.expect("✓ fails_test passed");
    watch.expect("✗ hangs: timed out after 2s and was killed");

    // Delete, then create.
    let path = course.path().join("exercises/lesson/hangs.rs");
    fs::remove_file(&path).unwrap();
    fs::write(&path, course.read("solutions/lesson/hangs.rs")).unwrap();
    watch.expect("✓ hangs passed");
    watch.expect("✗ crashes: crashed (SIGABRT");

    // Commands on stdin: a hint, the list.
    watch.send("h");
    watch.expect("Hint 1/1: abort is not a panic");
    watch.send("l");
    watch.expect("[################");
    assert_eq!(watch.quit(), 0);

    let state = course.state();
    assert!(state.contains("current = \"crashes\""), "{state}");
    for name in ["passes", "compile_error", "fails_test", "hangs"] {
        assert!(
            state.contains(&format!("\"{name}\"")),
            "{name} not done: {state}"
        );
    }
    assert!(
        state.contains("crashes = 1"),
        "the hint level is saved: {state}"
    );
    let lock = fs::File::open(course.path().join(".async-lings/watch.lock")).unwrap();
    assert!(lock.try_lock().is_ok(), "the lock is released");
}

#[test]
fn a_save_during_a_check_wins_over_the_check() {
    let course = Fixture::new("basic");
    let mut watch = Watch::start(&course, &["watch", "--manual-next"]);
    watch.expect("✓ passes passed");
    watch.expect("Press `n` for the next exercise");
    watch.send("n");
    watch.send("y");
    watch.expect("✗ compile_error does not compile");
    // A passing version whose test takes a while, so that the next save lands during its run.
    let slow_pass = fix(
        &course,
        "exercises/lesson/compile_error.rs",
        "let a: u32 = answer();",
        "std::thread::sleep(std::time::Duration::from_secs(2));\n    let a: u32 = answer().await;",
    );
    let broken = fix(
        &course,
        "exercises/lesson/compile_error.rs",
        "answer();",
        "answer().await + 1;",
    );
    course.write("exercises/lesson/compile_error.rs", &slow_pass);
    watch.expect("running the tests of compile_error");
    course.write("exercises/lesson/compile_error.rs", &broken);
    // The first verdict shown after the broken save is for the broken content.
    let shown = watch.expect("compile_error:");
    assert!(
        !shown.iter().any(|l| l.contains("✓ compile_error passed")),
        "a stale pass was shown: {shown:?}"
    );
    assert!(
        shown
            .last()
            .unwrap()
            .contains("✗ compile_error: 1 test failed"),
        "{shown:?}"
    );
    assert_eq!(watch.quit(), 0);
    let state: toml::Table = course.state().parse().unwrap();
    let done = state["done"].as_array().unwrap();
    assert!(
        !done.iter().any(|d| d.as_str() == Some("compile_error")),
        "the broken file is not done: {state}"
    );
}

#[test]
fn a_second_watch_is_refused_and_a_dead_lock_is_taken_over() {
    let course = Fixture::new("basic");
    let mut first = Watch::start(&course, &[]);
    first.expect("✓ passes passed");
    let second = Command::new(assert_cmd::cargo::cargo_bin("async-lings"))
        .current_dir(course.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("already watching this course"), "{stderr}");

    // Killed without cleaning up: its lock stays, and is taken over.
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    assert!(course.path().join(".async-lings/watch.lock").exists());
    let mut third = Watch::start(&course, &[]);
    third.expect("✗ compile_error does not compile");
    assert_eq!(third.quit(), 0);
}

/// Output that is not a terminal (a pipe, `| head -1`, a CI log) may never reach the learner's
/// eyes: there the welcome is shown each time, and it is not recorded as read.
#[test]
fn a_welcome_shown_into_a_pipe_is_shown_again() {
    let course = Fixture::new("basic");
    for start in ["first", "second"] {
        let watch = Command::new(assert_cmd::cargo::cargo_bin("async-lings"))
            .current_dir(course.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&watch.stdout);
        assert!(
            stdout.contains("Welcome to the fixture course."),
            "no welcome at the {start} start into a pipe:\n{stdout}"
        );
    }
    assert!(
        !course.state().contains("welcomed = true"),
        "a welcome shown into a pipe was recorded as read:\n{}",
        course.state()
    );
}

#[test]
fn manual_run_checks_only_on_r() {
    let course = Fixture::new("basic");
    let mut watch = Watch::start(&course, &["watch", "--manual-run"]);
    watch.expect("✗ compile_error does not compile");
    let fixed = fix(
        &course,
        "exercises/lesson/compile_error.rs",
        "answer();",
        "answer().await;",
    );
    course.write("exercises/lesson/compile_error.rs", &fixed);
    watch.send("r");
    watch.expect("✓ compile_error passed");
    assert_eq!(watch.quit(), 0);
}

#[test]
fn single_keys_in_a_real_terminal_and_the_terminal_is_restored() {
    use expectrl::{Eof, Expect};
    use nix::sys::termios::{LocalFlags, tcgetattr};

    // Line mode (ICANON) is what raw mode turns off and a restored terminal has again.
    let line_mode = |session: &expectrl::session::OsSession| {
        let pty = session.get_process().get_raw_handle().unwrap();
        tcgetattr(&pty)
            .unwrap()
            .local_flags
            .contains(LocalFlags::ICANON)
    };

    let course = Fixture::new("basic");
    let mut session = in_a_terminal(&course);
    assert!(line_mode(&session), "a fresh terminal is in line mode");
    session.expect("compile_error does not compile").unwrap();
    assert!(
        !line_mode(&session),
        "watch mode reads single keys (raw mode)"
    );
    // One key, no Enter.
    session.send("h").unwrap();
    session.expect("Hint 1/1: the types differ").unwrap();
    // The interactive list: move down one, jump there.
    session.send("l").unwrap();
    session.expect("Enter jump").unwrap();
    session.send("j").unwrap();
    session.send("\r").unwrap();
    session.expect("fails_test: 1 test failed").unwrap();
    session.send("q").unwrap();
    session.expect(Eof).unwrap();
    let status = session.get_process().wait().unwrap();
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 0)),
        "{status:?}"
    );
    assert!(
        line_mode(&session),
        "the terminal is back in line mode after quit"
    );

    // SIGTERM in the middle of a session restores it too.
    let mut session = in_a_terminal(&course);
    // The jump above made fails_test current.
    session.expect("fails_test: 1 test failed").unwrap();
    assert!(!line_mode(&session));
    let pid = nix::unistd::Pid::from_raw(session.get_process().pid().as_raw());
    nix::sys::signal::kill(pid, nix::sys::signal::SIGTERM).unwrap();
    session.expect(Eof).unwrap();
    let status = session.get_process().wait().unwrap();
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 130)),
        "{status:?}"
    );
    assert!(
        line_mode(&session),
        "the terminal is back in line mode after SIGTERM"
    );
}

/// An exercise that passes as shipped (`skip_check_unsolved`, like rustlings' intro1) is shown
/// with what it printed, and the watch waits for `n` there too.
#[test]
fn a_rustlings_intro_that_passes_as_shipped_is_shown() {
    let course = Fixture::new("rustlings_rules");
    let mut watch = Watch::start(&course, &[]);
    watch.expect("Welcome to the rules fixture");
    watch.expect("✓ intro1 passed");
    watch.expect("Welcome to the rules fixture!");
    watch.expect("Press `n` for the next exercise.");
    watch.send("n");
    watch.expect("✗ add_numbers: 1 test failed: tests::adds");
    assert_eq!(watch.quit(), 0);
}

#[test]
fn a_rustlings_course_runs_in_watch_mode_to_its_final_message() {
    let course = Fixture::new("rustlings");
    let mut watch = Watch::start(&course, &[]);
    watch.expect("✗ intro1: 1 test failed: tests::adds");
    course.write(
        "exercises/00_intro/intro1.rs",
        &course.read("solutions/00_intro/intro1.rs"),
    );
    watch.expect("✓ intro1 passed");
    // Rustlings courses tell the learner to enter `n` after a pass: the watch waits for it, and
    // the progress already counts the pass, as `list` does.
    watch.expect("== intro1 (exercises/00_intro/intro1.rs), 1/2 done");
    watch.expect("Press `n` for the next exercise.");
    watch.send("n");
    // `test = false`: the program itself must succeed, and no tests are run.
    let shown = watch.expect("✗ intro2: the program exited with status 1");
    assert!(
        !shown
            .iter()
            .any(|l| l.contains("running the tests of intro2")),
        "{shown:?}"
    );
    course.write(
        "exercises/00_intro/intro2.rs",
        &course.read("solutions/00_intro/intro2.rs"),
    );
    watch.expect("✓ intro2 passed");
    // After the last exercise, everything is checked again, then the final message.
    watch.expect("That was the last one. Checking every exercise");
    watch.expect("You finished the community course.");
    assert_eq!(watch.quit(), 0);
}

/// `async-lings` (watch mode) in a real pseudo-terminal.
fn in_a_terminal(course: &Fixture) -> expectrl::session::OsSession {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("async-lings"));
    command.current_dir(course.path()).env("NO_COLOR", "1");
    let mut session = expectrl::Session::spawn(command).unwrap();
    session.set_expect_timeout(Some(PATIENCE));
    session
}

#[test]
fn q_quits_even_while_a_question_waits_for_y() {
    let course = Fixture::new("basic");
    let mut watch = Watch::start(&course, &["watch", "--manual-next"]);
    watch.expect("✓ passes passed");
    watch.send("x");
    watch.expect("Restore exercises/lesson/passes.rs as shipped?");
    // stdin stays open: only `q` can end the watch.
    watch.send("q");
    let deadline = std::time::Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = watch.child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "q did not quit");
        thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}
