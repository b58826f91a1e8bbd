//! The process the runner's tests start, on every platform: this test binary again, running only
//! the hidden test [`run`], which follows a small script passed in [`SCRIPT`]. No shell, no
//! `sleep`: what a test needs a process to do works the same on Linux, macOS and Windows.
//!
//! A script is steps separated by `;`:
//! - `out:TEXT`, `err:TEXT`: a line on stdout, or on stderr;
//! - `lines:N:TEXT`: N lines of TEXT on stdout;
//! - `paced:MS:N:TEXT`: N lines of TEXT, one every MS milliseconds (N = `forever`: forever);
//! - `sleep:MS`;
//! - `grandchild`: starts a process of its own that holds stderr open (the output, when it is
//!   merged) and sleeps for ten minutes, and prints `grandchild PID`;
//! - `breakaway` (Windows): `grandchild`, but started detached, in a process group of its own,
//!   asking to leave the job; if that is refused it says so (`breakaway refused`) and starts it
//!   detached in a group of its own, still in the job;
//! - `exit:CODE`; `abort` (a crash: SIGABRT on Unix, an exception's code on Windows).
//!
//! The script ends with `exit:0` if nothing ended it before.

use std::{
    io::Write,
    process::{Command, Stdio},
    thread,
    time::Duration,
};

/// The environment variable that holds the script.
const SCRIPT: &str = "ASYNC_LINGS_TEST_CHILD";

/// What libtest prints (`--quiet`) before the test starts; the script's output follows it. The
/// script ends the process itself, so nothing comes after.
pub const HEADER: &str = "\nrunning 1 test\n";

/// A command that runs `script` in a new process.
pub fn child(script: &str) -> Command {
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut command = Command::new(exe);
    command
        .args([
            "--exact",
            &test_name(),
            "--ignored",
            "--nocapture",
            "--quiet",
        ])
        .env(SCRIPT, script);
    command
}

/// The name libtest knows [`run`] by: its path without the crate's name.
fn test_name() -> String {
    let module = module_path!();
    let module = module.split_once("::").map_or(module, |(_, path)| path);
    format!("{module}::run")
}

/// The child process. Without a script (`cargo test -- --ignored`) it does nothing.
#[test]
#[ignore = "the process the process runner's tests start (see process/tests/child.rs)"]
fn run() {
    let Ok(script) = std::env::var(SCRIPT) else {
        return;
    };
    for step in script.split(';') {
        perform(step);
    }
    exit(0);
}

fn perform(step: &str) {
    let (verb, arg) = step.split_once(':').unwrap_or((step, ""));
    match verb {
        "out" => println!("{arg}"),
        "err" => eprintln!("{arg}"),
        "lines" => {
            let (n, text) = arg.split_once(':').expect("lines:N:TEXT");
            for _ in 0..number(n) {
                println!("{text}");
            }
        }
        "paced" => paced(arg),
        "sleep" => thread::sleep(Duration::from_millis(number(arg))),
        "grandchild" => {
            let pid = start(&mut grandchild()).expect("start the grandchild");
            println!("grandchild {pid}");
        }
        #[cfg(windows)]
        "breakaway" => breakaway(),
        "exit" => exit(arg.parse().expect("exit:CODE")),
        "abort" => std::process::abort(),
        _ => panic!("unknown step `{step}`"),
    }
}

/// A process that sleeps for ten minutes holding stderr open. Its stdout goes nowhere: libtest's
/// header would land anywhere in the output.
fn grandchild() -> Command {
    let mut command = child("sleep:600000");
    command.stdin(Stdio::null()).stdout(Stdio::null());
    command
}

#[cfg(windows)]
fn breakaway() {
    use std::os::windows::process::CommandExt;
    const DETACHED_PROCESS: u32 = 0x0000_0008;
    const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
    const CREATE_BREAKAWAY_FROM_JOB: u32 = 0x0100_0000;
    let detached = DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP;
    let pid = match start(grandchild().creation_flags(detached | CREATE_BREAKAWAY_FROM_JOB)) {
        Ok(pid) => pid,
        Err(e) => {
            println!("breakaway refused: {e}");
            start(grandchild().creation_flags(detached)).expect("start the grandchild")
        }
    };
    println!("grandchild {pid}");
}

/// Starts `command`, never to wait for it: it is meant to outlive this process.
#[allow(
    clippy::zombie_processes,
    reason = "the run that started this process kills and reaps what it leaves"
)]
fn start(command: &mut Command) -> std::io::Result<u32> {
    command.spawn().map(|child| child.id())
}

fn paced(arg: &str) {
    let mut parts = arg.splitn(3, ':');
    let (Some(ms), Some(n), Some(text)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("paced:MS:N:TEXT");
    };
    let n = if n == "forever" { u64::MAX } else { number(n) };
    for _ in 0..n {
        println!("{text}");
        thread::sleep(Duration::from_millis(number(ms)));
    }
}

fn number(text: &str) -> u64 {
    text.parse()
        .unwrap_or_else(|_| panic!("`{text}` is not a number"))
}

/// Ends the process at once, so that libtest prints nothing more.
fn exit(code: i32) -> ! {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    std::process::exit(code)
}

/// The script's output: what the child printed after libtest's header.
pub fn output(printed: &str) -> &str {
    printed.strip_prefix(HEADER).unwrap_or_else(|| {
        panic!("the child's output does not start with libtest's header {HEADER:?}: {printed:?}")
    })
}

/// The pid a `grandchild` step printed.
pub fn grandchild_pid(output: &str) -> u32 {
    output
        .lines()
        .find_map(|line| line.strip_prefix("grandchild "))
        .and_then(|pid| pid.trim().parse().ok())
        .unwrap_or_else(|| panic!("no grandchild pid in {output:?}"))
}
