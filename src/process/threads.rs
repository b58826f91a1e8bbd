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
    /// The part of the sample the thread ran or waited for a core, in percent: a loop that never
    /// sleeps is near 100 even when a busy machine gives it little CPU. `cpu` where the kernel
    /// keeps no scheduler statistics.
    pub runnable: u32,
    /// The kernel function it waits in, if it sleeps (e.g. `futex_wait_queue`).
    pub waits_in: Option<String>,
}

/// One thread's counters at one moment.
struct Counters {
    tid: String,
    name: String,
    /// Clock ticks used so far (user + system).
    ticks: u64,
    /// Nanoseconds run and waited on a run queue so far, from `schedstat`.
    runnable_ns: Option<u64>,
}

/// The threads of process `pid`, or nothing if `/proc` cannot tell.
pub fn describe(pid: u32) -> Vec<ThreadState> {
    let before = counters(pid);
    thread::sleep(SAMPLE);
    let after = counters(pid);
    // Clock ticks are 1/100 s on Linux: over 200 ms one busy core makes 20.
    let per_core = (SAMPLE.as_millis() / 10).max(1) as u64;
    after
        .into_iter()
        .map(|now| {
            let was = before.iter().find(|b| b.tid == now.tid);
            let ticks = now.ticks.saturating_sub(was.map_or(now.ticks, |b| b.ticks));
            let cpu = (ticks * 100 / per_core).min(100) as u32;
            let runnable = match (was.and_then(|b| b.runnable_ns), now.runnable_ns) {
                (Some(was), Some(now)) => percent_of_sample(now.saturating_sub(was)),
                _ => cpu,
            };
            let wchan = fs::read_to_string(format!("/proc/{pid}/task/{}/wchan", now.tid)).ok();
            ThreadState {
                name: now.name,
                cpu,
                runnable: runnable.max(cpu),
                waits_in: wchan.filter(|w| !w.is_empty() && w != "0"),
            }
        })
        .collect()
}

fn percent_of_sample(ns: u64) -> u32 {
    let sample = u64::try_from(SAMPLE.as_nanos()).unwrap_or(u64::MAX).max(1);
    (ns.saturating_mul(100) / sample).min(100) as u32
}

/// Each thread's id, name, CPU ticks and scheduler times so far.
fn counters(pid: u32) -> Vec<Counters> {
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(|task| {
            let tid = task.ok()?.file_name().to_string_lossy().into_owned();
            let dir = format!("/proc/{pid}/task/{tid}");
            let name = fs::read_to_string(format!("{dir}/comm")).ok()?;
            let stat = fs::read_to_string(format!("{dir}/stat")).ok()?;
            // After the name in parentheses: state, then 10 fields, then utime and stime.
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            let ticks =
                fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
            // `schedstat`: time on a core, time waiting on a run queue (ns), time slices.
            let runnable_ns = fs::read_to_string(format!("{dir}/schedstat"))
                .ok()
                .and_then(|s| {
                    let mut times = s.split_whitespace().map(|t| t.parse::<u64>().ok());
                    Some(times.next()??.saturating_add(times.next()??))
                });
            Some(Counters {
                tid,
                name: name.trim().to_owned(),
                ticks,
                runnable_ns,
            })
        })
        .collect()
}
