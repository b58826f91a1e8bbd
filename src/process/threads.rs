//! What a hung process's threads are doing, from `/proc` (Linux only): each thread's name, whether
//! it burns CPU or sleeps, and the kernel function it sleeps in. Read just before a timed-out test
//! run is killed, so that the verdict can say which test hung and how.

use std::{fs, thread, time::Duration};

/// How long the CPU time of each thread is watched.
const SAMPLE: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadState {
    /// The thread's name as the kernel keeps it (15 bytes at most): libtest names a test's thread
    /// after the test.
    pub name: String,
    /// CPU use over the sample, in percent of one core.
    pub cpu: u32,
    /// The kernel function it waits in, if it sleeps (e.g. `futex_wait_queue`).
    pub waits_in: Option<String>,
}

/// The threads of process `pid`, or nothing if `/proc` cannot tell.
pub fn describe(pid: u32) -> Vec<ThreadState> {
    let before = ticks(pid);
    thread::sleep(SAMPLE);
    let after = ticks(pid);
    // Clock ticks are 1/100 s on Linux: over 200 ms one busy core makes 20.
    let per_core = (SAMPLE.as_millis() / 10).max(1) as u64;
    after
        .into_iter()
        .map(|(tid, name, used)| {
            let was = before
                .iter()
                .find(|(t, ..)| *t == tid)
                .map_or(used, |b| b.2);
            let cpu = (used.saturating_sub(was) * 100 / per_core).min(100) as u32;
            let wchan = fs::read_to_string(format!("/proc/{pid}/task/{tid}/wchan")).ok();
            let waits_in = wchan.filter(|w| !w.is_empty() && w != "0");
            ThreadState {
                name,
                cpu,
                waits_in,
            }
        })
        .collect()
}

/// Each thread's id, name and CPU ticks used so far (user + system).
fn ticks(pid: u32) -> Vec<(String, String, u64)> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(|task| {
            let tid = task.ok()?.file_name().to_string_lossy().into_owned();
            let name = fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm")).ok()?;
            let stat = fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
            // After the name in parentheses: state, then 10 fields, then utime and stime.
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            let used =
                fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
            Some((tid, name.trim().to_owned(), used))
        })
        .collect()
}
