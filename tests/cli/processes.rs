//! Timeouts, cancels, failures and a killed async-lings leave no process behind; one watch per
//! course.

use std::{
    fs,
    io::{BufRead, BufReader, Read, Write},
    process::{Child, Command, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use predicates::prelude::*;

use crate::{Fixture, alive};

fn recorded_pid(course: &Fixture) -> i32 {
    course.read("hangs.pid").trim().parse().unwrap()
}

#[test]
fn timeout_kills_the_whole_process_group() {
    let course = Fixture::new("basic");
    course
        .cmd(&["run", "hangs"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "timed out after 2s and was killed",
        ))
        .stdout(predicate::str::contains("why: The tests never finished"))
        // A paused clock stands still while a `spawn_blocking` job runs: a job that waits for a
        // task's timer (a std channel's `recv` there) hangs only on the tests' clock.
        .stdout(predicate::str::contains(
            "none ends while a `spawn_blocking` job runs",
        ))
        // The hang names its test, and on Linux what its thread was doing when it was killed
        // (its loop of `std::thread::sleep`).
        .stdout(predicate::str::contains(
            "tests::never_returns never finished",
        ))
        .stdout(predicate::function(|out: &str| {
            !cfg!(target_os = "linux") || out.contains("its thread sat in a blocking sleep (0% CPU")
        }));
    // The hanging test started `sleep 1000`: it must be gone with its parent.
    let pid = recorded_pid(&course);
    assert!(!alive(pid), "the test's child {pid} is still running");
}

/// Tests that end, one failed, and a process that then does not exit: libtest's exit runs an
/// `atexit` handler that never returns (as a run that ends a moment after its time limit does).
const FAILS_THEN_LINGERS: &str = r#"fn main() {}

#[cfg(test)]
mod tests {
    extern "C" fn linger() {
        std::thread::sleep(std::time::Duration::from_secs(1000));
    }

    unsafe extern "C" {
        fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
    }

    #[test]
    fn adds_up() {
        std::fs::write("hangs.pid", std::process::id().to_string()).unwrap();
        unsafe { atexit(linger) };
        assert_eq!(1 + 1, 3, "one and one should make three");
    }
}
"#;

/// A run killed at its limit after libtest had printed its summary: every test had ended, so
/// the verdict is the tests that failed, not "the tests never finished".
#[test]
fn tests_that_ended_failing_before_the_kill_are_reported_as_failed() {
    let course = Fixture::new("basic");
    course.write("exercises/lesson/hangs.rs", FAILS_THEN_LINGERS);
    course
        .cmd(&["run", "hangs"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "✗ hangs: 1 test failed: tests::adds_up",
        ))
        .stdout(predicate::str::contains("one and one should make three"))
        .stdout(predicate::str::contains("timed out").not())
        .stdout(predicate::str::contains("never finished").not());
    let pid = recorded_pid(&course);
    assert!(
        !alive(pid),
        "the lingering test binary {pid} is still running"
    );
}

/// A run killed at its limit after libtest had printed a summary of passes: still a timeout (a
/// killed run is never a pass), and the `why:` line says the tests were slow, not stuck.
#[test]
fn tests_that_passed_but_ran_past_the_limit_time_out_as_slow() {
    let course = Fixture::new("basic");
    let passing = FAILS_THEN_LINGERS.replace("1 + 1, 3", "1 + 1, 2");
    course.write("exercises/lesson/hangs.rs", &passing);
    course
        .cmd(&["run", "hangs"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "✗ hangs: timed out after 2s and was killed",
        ))
        .stdout(predicate::str::contains(
            "why: Every test reported `ok`, but the run went on past its time limit",
        ))
        .stdout(predicate::str::contains("never finished").not());
    let pid = recorded_pid(&course);
    assert!(
        !alive(pid),
        "the lingering test binary {pid} is still running"
    );
}

/// A test that never sleeps, for `hangs.rs`.
#[cfg(target_os = "linux")]
const SPINS: &str = "fn main() {}

#[cfg(test)]
mod tests {
    #[test]
    fn spins() {
        loop {
            std::hint::spin_loop();
        }
    }
}
";

/// On a busy machine a test that spins gets little CPU, yet it never sleeps: the verdict says it
/// spun, not that it sat waiting for a wake-up.
#[cfg(target_os = "linux")]
#[test]
fn a_test_that_spins_on_a_busy_core_is_said_to_spin() {
    use nix::{sched, unistd::Pid};
    use std::sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    };
    let course = Fixture::new("basic");
    course.write("exercises/lesson/hangs.rs", SPINS);
    let mine = sched::sched_getaffinity(Pid::from_raw(0)).unwrap();
    let first = (0..sched::CpuSet::count())
        .find(|&cpu| mine.is_set(cpu).unwrap_or(false))
        .unwrap();
    let mut one = sched::CpuSet::new();
    one.set(first).unwrap();
    // Three busy loops on one core, and the run there too (a child keeps its parent's cores).
    let stop = Arc::new(AtomicBool::new(false));
    let hogs: Vec<_> = (0..3)
        .map(|_| {
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                sched::sched_setaffinity(Pid::from_raw(0), &one).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    sched::sched_setaffinity(Pid::from_raw(0), &one).unwrap();
    let out = course.cmd(&["run", "hangs"]).output().unwrap();
    sched::sched_setaffinity(Pid::from_raw(0), &mine).unwrap();
    stop.store(true, Ordering::Relaxed);
    for hog in hogs {
        hog.join().unwrap();
    }
    let out = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.contains("tests::spins never finished: its thread spun (")
            && out.contains("the machine is busy"),
        "{out}"
    );
}

/// A test that naps for ever with `std::thread::sleep`, for `hangs.rs`.
#[cfg(target_os = "linux")]
const NAPS: &str = "fn main() {}

#[cfg(test)]
mod tests {
    #[test]
    fn naps() {
        loop {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}
";

/// A test stuck in a blocking sleep is told so, not that an await is never woken.
#[cfg(target_os = "linux")]
#[test]
fn a_test_stuck_in_a_blocking_sleep_is_said_to_sleep() {
    let course = Fixture::new("basic");
    course.write("exercises/lesson/hangs.rs", NAPS);
    course
        .cmd(&["run", "hangs"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "tests::naps never finished: its thread sat in a blocking sleep (",
        ))
        .stdout(predicate::str::contains(
            "await `tokio::time::sleep` instead",
        ))
        .stdout(predicate::str::contains("is never woken").not());
}

const FAILS_THEN_HANGS: &str = "fn main() {}

#[cfg(test)]
mod tests {
    #[test]
    fn answers() {
        assert_eq!(41, 42, \"the answer came out one short\");
    }

    #[test]
    fn naps() {
        loop {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}
";

/// libtest tells why a test failed only at the end of its run: when another test hangs and the
/// run is killed, the tests that had failed are run again on their own to tell it.
#[test]
fn a_timeout_still_tells_why_the_tests_that_had_failed_failed() {
    let course = Fixture::new("basic");
    course.write("exercises/lesson/hangs.rs", FAILS_THEN_HANGS);
    course
        .cmd(&["run", "hangs"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "timed out after 2s and was killed",
        ))
        .stdout(predicate::str::contains("✗ tests::answers"))
        .stdout(predicate::str::contains("the answer came out one short"));
}

#[test]
fn interrupt_cancels_the_run_and_kills_its_processes() {
    let course = Fixture::new("basic");
    // A long timeout, so that only the signal can end the run.
    let info = course
        .read("info.toml")
        .replace("timeout = 2", "timeout = 600");
    course.write("info.toml", &info);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("async-lings"))
        .args(["run", "hangs"])
        .current_dir(course.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid_file = course.path().join("hangs.pid");
    let give_up = Instant::now() + Duration::from_secs(120);
    while !pid_file.exists() || fs::read_to_string(&pid_file).unwrap().is_empty() {
        assert!(Instant::now() < give_up, "the hanging test never started");
        thread::sleep(Duration::from_millis(50));
    }
    let grandchild = recorded_pid(&course);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::SIGINT,
    )
    .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(130),
        "an interrupted run exits with 130"
    );
    assert!(
        !alive(grandchild),
        "the test's child {grandchild} is still running"
    );
}

/// The pids of the live processes whose command line is exactly `sleep ARG`.
fn sleeps_with(arg: &str) -> Vec<i32> {
    let exact = format!("sleep\0{arg}\0");
    let by_path = format!("/{exact}");
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmdline = fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let matches = cmdline == exact.as_bytes() || cmdline.ends_with(by_path.as_bytes());
        if matches && alive(pid) {
            found.push(pid);
        }
    }
    found
}

/// A `sleep` argument no other test (nor a second run of this one) uses: its sleeps can be told
/// from everyone else's.
fn unique_sleep_arg() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("98{}{n:03}", std::process::id())
}

fn kill_all(pids: &[i32]) {
    for &pid in pids {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL);
    }
}

/// `run escapes` once: its failing test leaves a `setsid` sleep and a `setpgid` sleep behind.
/// Returns the output and the sleeps still alive afterwards (killed, so that a failure leaks
/// nothing).
fn run_escapes(course: &Fixture) -> (String, Vec<i32>) {
    let arg = unique_sleep_arg();
    course.write("escapes.arg", &arg);
    let _ = fs::remove_file(course.path().join("escapes.pids"));
    let output = course.cmd(&["run", "escapes"]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(output.status.code(), Some(1), "{text}");
    let recorded: Vec<i32> = course
        .read("escapes.pids")
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(recorded.len(), 2, "the test recorded both sleeps");
    let mut left: Vec<i32> = recorded.into_iter().filter(|&p| alive(p)).collect();
    for pid in sleeps_with(&arg) {
        if !left.contains(&pid) {
            left.push(pid);
        }
    }
    kill_all(&left);
    (text, left)
}

#[test]
fn processes_that_leave_the_group_are_killed_and_the_output_is_kept() {
    let course = Fixture::new("escapes");
    let (output, left) = run_escapes(&course);
    assert!(
        output.contains("the message written after the escape"),
        "the assertion message is lost:\n{output}"
    );
    assert!(
        output.contains("1 test failed: tests::leaves_sleeps_behind"),
        "{output}"
    );
    assert!(left.is_empty(), "still running after the check: {left:?}");
}

/// Dev-only measurement, not run in CI:
/// `cargo test --test cli escaping_test_twenty_times -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement: 20 runs of an escaping test"]
fn escaping_test_twenty_times() {
    let course = Fixture::new("escapes");
    let mut left = 0;
    let mut kept = 0;
    for _ in 0..20 {
        let (output, still) = run_escapes(&course);
        left += still.len();
        kept += usize::from(output.contains("the message written after the escape"));
    }
    println!("{left} processes left after 20 runs; the assertion message shown in {kept} of 20");
    assert_eq!((left, kept), (0, 20));
}

/// Kills `pid` when dropped, so that a failing test leaves nothing running. Forget it once the
/// process is known to be gone.
struct KillOnDrop(i32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        kill_all(&[self.0]);
    }
}

/// Waits (bounded, generously) for a pid file the fixture's test writes.
fn wait_for_pid(course: &Fixture, file: &str) -> i32 {
    let path = course.path().join(file);
    let give_up = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(text) = fs::read_to_string(&path)
            && let Ok(pid) = text.trim().parse()
        {
            return pid;
        }
        assert!(Instant::now() < give_up, "{file} never appeared");
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_test_dies_when_async_lings_is_killed() {
    let course = Fixture::new("escapes");
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("async-lings"))
        .args(["run", "long_test"])
        .current_dir(course.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let test = wait_for_pid(&course, "long_test.pid");
    let cleanup = KillOnDrop(test);
    child.kill().unwrap(); // SIGKILL: async-lings gets no chance to clean up.
    child.wait().unwrap();
    // The kernel ends the test (its parent-death signal); poll for it, bounded. The bound must
    // stay under a minute: libtest then writes "has been running for over 60 seconds" to its
    // closed stdout, and that alone ends it.
    let give_up = Instant::now() + Duration::from_secs(30);
    while alive(test) && Instant::now() < give_up {
        thread::sleep(Duration::from_millis(50));
    }
    let outlived = alive(test);
    if !outlived {
        // Gone: its pid may be someone else's by now.
        std::mem::forget(cleanup);
    }
    assert!(!outlived, "the test {test} outlived async-lings");
}

#[test]
fn what_the_test_started_dies_when_async_lings_is_killed() {
    let course = Fixture::new("escapes");
    let arg = unique_sleep_arg();
    course.write("blocks_with_sleeps.arg", &arg);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("async-lings"))
        .args(["run", "blocks_with_sleeps"])
        .current_dir(course.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Both sleeps (one in the test's group, one in a session of its own) exist once the file
    // names them.
    let path = course.path().join("blocks_with_sleeps.pids");
    let give_up = Instant::now() + Duration::from_secs(120);
    let recorded: Vec<i32> = loop {
        if let Ok(text) = fs::read_to_string(&path) {
            break text
                .split_whitespace()
                .map(|p| p.parse().unwrap())
                .collect();
        }
        assert!(
            Instant::now() < give_up,
            "the test never started its sleeps"
        );
        thread::sleep(Duration::from_millis(50));
    };
    let cleanup: Vec<KillOnDrop> = recorded.iter().map(|&pid| KillOnDrop(pid)).collect();
    assert_eq!(recorded.len(), 2, "the test recorded both sleeps");
    // `setsid` may not have become `sleep` yet.
    while sleeps_with(&arg).len() < 2 {
        assert!(Instant::now() < give_up, "the sleeps never started");
        thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: async-lings gets no chance to clean up.
    child.wait().unwrap();
    let give_up = Instant::now() + Duration::from_secs(5);
    let mut left = sleeps_with(&arg);
    while !left.is_empty() && Instant::now() < give_up {
        thread::sleep(Duration::from_millis(50));
        left = sleeps_with(&arg);
    }
    kill_all(&left);
    if left.is_empty() {
        // Gone: their pids may be someone else's by now.
        std::mem::forget(cleanup);
    }
    assert!(
        left.is_empty(),
        "still running 5 s after async-lings was killed: {left:?}"
    );
}

#[test]
fn a_compile_that_never_ends_stops_at_its_compile_timeout() {
    let course = Fixture::new("escapes");
    course
        .cmd(&["run", "endless_compile"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("endless_compile does not build"))
        .stdout(predicate::str::contains(
            "did not finish compiling within 5s",
        ))
        .stdout(predicate::str::contains("compile_timeout"));
}

/// `async-lings` in watch mode; the receiver gets its stdout and stderr lines.
fn start_watch(course: &Fixture) -> (Child, mpsc::Receiver<String>) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("async-lings"))
        .args(["watch", "--manual-run"])
        .current_dir(course.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let tx = tx.clone();
        thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
    }
    (child, rx)
}

/// Whether a watch started (it says it is watching) or was refused (it says why).
fn refused(lines: &mpsc::Receiver<String>) -> bool {
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(120))
            .expect("a watch neither started nor was refused");
        if line.contains("already watching this course") {
            return true;
        }
        if line.contains("async-lings is watching.") {
            return false;
        }
    }
}

#[test]
fn of_two_watches_started_at_once_exactly_one_runs() {
    let course = Fixture::new("basic");
    for round in 0..5 {
        let mut watches = [start_watch(&course), start_watch(&course)];
        let outcomes: Vec<bool> = watches.iter().map(|(_, lines)| refused(lines)).collect();
        let mut codes = Vec::new();
        for (child, _) in &mut watches {
            let _ = writeln!(child.stdin.as_mut().unwrap(), "q");
            drop(child.stdin.take());
            codes.push(child.wait().unwrap().code());
        }
        let mut expected: Vec<Option<i32>> = outcomes
            .iter()
            .map(|&refused| Some(if refused { 2 } else { 0 }))
            .collect();
        assert_eq!(codes, expected, "round {round}: exit codes");
        expected.sort();
        assert_eq!(
            expected,
            [Some(0), Some(2)],
            "round {round}: exactly one of two watches must run"
        );
    }
}
