//! Timeouts and cancels leave no process behind.

use std::{
    fs,
    process::{Command, Stdio},
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
        .stdout(predicate::str::contains("why: The tests never finished"));
    // The hanging test started `sleep 1000`: it must be gone with its parent.
    let pid = recorded_pid(&course);
    assert!(!alive(pid), "the test's child {pid} is still running");
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
