//! After a timeout: which tests never finished (every test the harness lists, less those it
//! reported), and, where the OS tells, what each one's thread was doing when it was killed.

use std::{path::Path, process::Command, time::Duration};

use crate::{
    libtest,
    process::{self, Cancel, Exit, Limits, ThreadState},
};

/// `--list` of a test harness is quick; this only guards against a broken one.
const LIST_TIMEOUT: Duration = Duration::from_secs(5);

/// One line per test that never finished, or "" if that cannot be told.
pub fn describe(exe: &Path, root: &Path, output: &str, threads: &[ThreadState]) -> String {
    let finished: Vec<String> = libtest::parse(output)
        .tests
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let stuck: Vec<String> = listed(exe, root)
        .into_iter()
        .filter(|name| !finished.contains(name))
        .collect();
    stuck
        .iter()
        .map(|test| line(test, threads))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The tests the harness has, from `--list` (`NAME: test` lines).
fn listed(exe: &Path, root: &Path) -> Vec<String> {
    let mut command = Command::new(exe);
    command.current_dir(root).args(["--list", "--color=never"]);
    let limits = Limits {
        timeout: LIST_TIMEOUT,
        cap: 1 << 20,
        merge_stderr: false,
        on_line: None,
        stall: None,
        diagnose: false,
        guarded: true,
    };
    match process::run(command, &limits, &Cancel::default()) {
        Ok(done) if done.exit == Exit::Code(0) => done
            .stdout
            .text()
            .lines()
            .filter_map(|l| l.strip_suffix(": test"))
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// What a test whose thread spun was doing. On the tests' paused clock a timer that keeps firing
/// (an `interval`, a `sleep` in a loop) spins too: the clock jumps to it whenever all else waits.
const SPUN: &str = "a loop that never waits (no `.await`, or only `yield_now`), blocking work on \
    the runtime's thread, or, on a paused clock, a timer that fires again and again while the \
    code waits for something that never comes (a channel whose `Sender` is still held?)";

/// What a test whose thread sat in `nanosleep` was doing: no await is woken from there.
const SLEPT: &str = "a `std::thread::sleep` (in a loop?) on the runtime's thread, where no task \
    can run until it returns: await `tokio::time::sleep` instead";

/// A thread that ran, or waited for a core, this much of the sample (in percent) never sleeps.
const SPINS: u32 = 50;

/// How a thread spun: its CPU use, and on a busy machine how much more it wanted.
fn spin(thread: &ThreadState) -> String {
    if thread.runnable > thread.cpu + 20 {
        format!(
            "{}% CPU, and waiting for a core {}% of the time more: the machine is busy",
            thread.cpu,
            thread.runnable - thread.cpu
        )
    } else {
        format!("{}% CPU", thread.cpu)
    }
}

fn line(test: &str, threads: &[ThreadState]) -> String {
    // libtest names a test's thread after the test; the kernel keeps the first 15 bytes.
    let thread = threads.iter().find(|t| {
        !t.name.is_empty() && test.starts_with(&t.name) && t.name.len() >= test.len().min(15)
    });
    let mut text = match thread {
        Some(t) if t.runnable >= SPINS => format!(
            "{test} never finished: its thread spun ({}): {SPUN}",
            spin(t)
        ),
        Some(t)
            if t.waits_in
                .as_deref()
                .is_some_and(|w| w.contains("nanosleep")) =>
        {
            format!(
                "{test} never finished: its thread sat in a blocking sleep ({}% CPU, in {}): {SLEPT}",
                t.cpu,
                t.waits_in.as_deref().unwrap_or_default()
            )
        }
        Some(t) => {
            let waits = t
                .waits_in
                .as_deref()
                .map(|w| format!(", in {w}"))
                .unwrap_or_default();
            format!(
                "{test} never finished: its thread sat waiting ({}% CPU{waits}): something it \
                 awaits is never woken, or a lock is never released",
                t.cpu
            )
        }
        // libtest runs as many tests at once as there are cores: the others wait their turn.
        None if threads.iter().any(|t| t.name.starts_with("tests::")) => {
            format!(
                "{test} never started: every test thread was held by a test that never finished"
            )
        }
        None => format!("{test} never finished"),
    };
    let busy: Vec<String> = threads
        .iter()
        .filter(|t| t.runnable >= SPINS && thread.is_none_or(|s| s.name != t.name))
        .map(|t| format!("{} ({})", t.name, spin(t)))
        .collect();
    if !busy.is_empty() {
        text.push_str(&format!("; busy meanwhile: {}", busy.join(", ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thread(name: &str, cpu: u32, waits_in: Option<&str>) -> ThreadState {
        ThreadState {
            name: name.to_owned(),
            cpu,
            runnable: cpu,
            waits_in: waits_in.map(str::to_owned),
        }
    }

    #[test]
    fn a_stuck_test_is_matched_to_its_thread_by_its_kernel_name() {
        let threads = [
            thread("std_guard_deadl", 0, None),
            thread("tests::refresh_", 0, Some("futex_wait_queue")),
        ];
        assert_eq!(
            line("tests::refresh_never_wakes", &threads),
            "tests::refresh_never_wakes never finished: its thread sat waiting (0% CPU, in \
             futex_wait_queue): something it awaits is never woken, or a lock is never released"
        );
        let spinning = [thread("tests::spin", 100, None)];
        assert!(line("tests::spin", &spinning).contains("spun (100% CPU)"));
        assert_eq!(
            line("tests::other", &spinning),
            "tests::other never started: every test thread was held by a test that never \
             finished; busy meanwhile: tests::spin (100% CPU)"
        );
        // On a busy machine a loop that never sleeps gets little CPU, but is always runnable.
        let starved = [ThreadState {
            runnable: 97,
            ..thread("tests::yield_sp", 21, None)
        }];
        assert_eq!(
            line("tests::yield_spin", &starved),
            "tests::yield_spin never finished: its thread spun (21% CPU, and waiting for a core \
             76% of the time more: the machine is busy): a loop that never waits (no `.await`, \
             or only `yield_now`), blocking work on the runtime's thread, or, on a paused clock, \
             a timer that fires again and again while the code waits for something that never \
             comes (a channel whose `Sender` is still held?)"
        );
        // A thread asleep in `std::thread::sleep` waits on a timer, not on a wake-up.
        let asleep = [thread("tests::naps", 0, Some("hrtimer_nanosleep"))];
        assert_eq!(
            line("tests::naps", &asleep),
            format!(
                "tests::naps never finished: its thread sat in a blocking sleep (0% CPU, in \
                 hrtimer_nanosleep): {SLEPT}"
            )
        );
        // Where the OS does not tell (macOS, Windows), the name alone.
        assert_eq!(line("tests::other", &[]), "tests::other never finished");
    }
}
