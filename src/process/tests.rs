use std::{
    sync::{Arc, Mutex},
    thread,
    time::Duration,
};

use super::*;

fn sh(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    command
}

fn limits(timeout_ms: u64, cap: usize) -> Limits {
    Limits {
        timeout: Duration::from_millis(timeout_ms),
        cap,
        merge_stderr: true,
        on_line: None,
    }
}

#[test]
fn exit_code_and_merged_output() {
    let done = run(
        sh("echo out; echo err >&2; exit 3"),
        &limits(5000, 1024),
        &Cancel::default(),
    )
    .unwrap();
    assert_eq!(done.exit, Exit::Code(3));
    assert_eq!(done.stdout.text(), "out\nerr\n");
}

#[test]
fn timeout_kills_the_group() {
    // The background `sleep` is a grandchild: it must die with the group.
    let script = "sleep 600 & echo $!; wait";
    let done = run(sh(script), &limits(300, 1024), &Cancel::default()).unwrap();
    assert_eq!(done.exit, Exit::TimedOut);
    let pid: i32 = done.stdout.text().trim().parse().unwrap();
    thread::sleep(Duration::from_millis(100));
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z"),
        "sleep {pid} survived: {stat}"
    );
}

#[test]
fn cancel_stops_a_run_in_flight_and_any_later_one() {
    let cancel = Cancel::default();
    let canceller = cancel.clone();
    let handle = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        canceller.cancel();
    });
    let done = run(sh("sleep 600"), &limits(60_000, 1024), &cancel).unwrap();
    handle.join().unwrap();
    assert_eq!(done.exit, Exit::Cancelled);
    assert!(done.elapsed < Duration::from_secs(30));
    let later = run(sh("echo never"), &limits(60_000, 1024), &cancel).unwrap();
    assert_eq!((later.exit, later.stdout.bytes.len()), (Exit::Cancelled, 0));
}

#[test]
fn long_output_keeps_head_and_tail() {
    let script = "echo FIRST; i=0; while [ $i -lt 2000 ]; do echo middle-middle-middle; i=$((i+1)); done; echo LAST";
    let done = run(sh(script), &limits(10_000, 4096), &Cancel::default()).unwrap();
    let text = done.stdout.text();
    assert!(text.starts_with("FIRST\n"), "{text}");
    assert!(text.ends_with("LAST\n"), "{text}");
    assert!(text.contains("output truncated"), "{text}");
    assert!(text.len() < 4096 + 200, "kept {} bytes", text.len());
}

#[test]
fn signal_is_reported() {
    let done = run(sh("kill -SEGV $$"), &limits(5000, 1024), &Cancel::default()).unwrap();
    assert_eq!(done.exit, Exit::Signal(11));
    assert_eq!(signal_name(11), "SIGSEGV");
}

#[test]
fn missing_program_is_named() {
    let err = run(
        Command::new("no-such-program-here"),
        &limits(5000, 1024),
        &Cancel::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("`no-such-program-here` was not found on PATH"),
        "{err}"
    );
}

#[test]
fn lines_are_streamed_as_they_arrive() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let mut limits = limits(5000, 4);
    limits.on_line = Some(Arc::new(move |line: &[u8]| {
        sink.lock()
            .unwrap()
            .push(String::from_utf8_lossy(line).into_owned());
    }));
    run(sh("echo one; echo two"), &limits, &Cancel::default()).unwrap();
    // Every line, even past the capture cap.
    assert_eq!(*seen.lock().unwrap(), ["one", "two"]);
}
