//! Linux: processes that leave a run's process group (`setsid`, `setpgid`) are still found when
//! the run's guard (see `guard`), which kills them itself, could not: it was killed.
//!
//! async-lings is a child subreaper: a process whose parent dies becomes a child of async-lings
//! instead of init's (the guard's, while the guard lives). Every run's process carries `ASYNC_LINGS_RUN=<our pid>:<run>` in its
//! environment, and its descendants inherit it. When a run ends, its orphans are killed and
//! reaped, then theirs (each killed process hands its own children to us), until none is left.
//! Several runs go on at once (`verify` runs tests in parallel): another live run's processes are
//! never touched. Reading `/proc` is the only way to list children; without it nothing is swept,
//! and the process group still holds what did not leave it.

use std::{
    fs,
    process::Command,
    sync::{
        Mutex, MutexGuard, Once,
        atomic::{AtomicU64, Ordering},
    },
};

use nix::{
    sys::{
        signal::{Signal, kill},
        wait::{WaitPidFlag, waitpid},
    },
    unistd::{Pid, getpgrp},
};

const MARKER: &str = "ASYNC_LINGS_RUN";
/// A bound on the rounds of one sweep, against a fork bomb that outruns it.
const MAX_ROUNDS: usize = 1000;

/// The runs that are live: their number and, once spawned, their leader's pid (which only its
/// own waiter may reap).
static LIVE: Mutex<Vec<(u64, Option<i32>)>> = Mutex::new(Vec::new());
static NEXT_RUN: AtomicU64 = AtomicU64::new(1);
/// One sweep at a time: two would kill, and then wait for, the same process.
static SWEEPING: Mutex<()> = Mutex::new(());

/// One run, registered from before its spawn until its sweep.
pub struct Run {
    id: u64,
}

impl Run {
    /// Registers a run and marks `command` as belonging to it.
    pub fn start(command: &mut Command) -> Run {
        static SUBREAPER: Once = Once::new();
        SUBREAPER.call_once(|| {
            // Without it (never seen on Linux 3.4 or later), orphans go to init as before.
            let _ = nix::sys::prctl::set_child_subreaper(true);
        });
        let id = NEXT_RUN.fetch_add(1, Ordering::Relaxed);
        live().push((id, None));
        command.env(MARKER, format!("{}:{id}", std::process::id()));
        Run { id }
    }

    pub fn started(&self, pid: u32) {
        if let Some(entry) = live().iter_mut().find(|(run, _)| *run == self.id) {
            entry.1 = i32::try_from(pid).ok();
        }
    }

    /// Once the leader was reaped: kills and reaps every orphan of this run.
    pub fn sweep(self) {
        let run = self.id;
        drop(self);
        let _one_at_a_time = SWEEPING.lock().unwrap_or_else(|e| e.into_inner());
        let us = getpgrp().as_raw();
        for _ in 0..MAX_ROUNDS {
            // Our children first, then the live runs: a child listed here was started by a run
            // that was registered before (or by no run). The other way round, a run that starts
            // in between would be missing from `runs`, and its process killed as a dead run's.
            let children = children();
            #[cfg(test)]
            super::tests::during_sweep();
            let (leaders, runs, spawning) = {
                let live = live();
                let leaders: Vec<i32> = live.iter().filter_map(|(_, pid)| *pid).collect();
                let runs: Vec<u64> = live.iter().map(|(run, _)| *run).collect();
                let spawning = live.iter().any(|(_, pid)| pid.is_none());
                (leaders, runs, spawning)
            };
            let mut killed = Vec::new();
            for pid in children.into_iter().filter(|pid| !leaders.contains(pid)) {
                let Some((zombie, group)) = stat(pid) else {
                    continue;
                };
                if zombie {
                    // Not one in our own group (a `git` that std waits for), nor while a spawn in
                    // flight may be about to reap its own failed child.
                    if group != us && !spawning {
                        let _ = waitpid(Pid::from_raw(pid), Some(WaitPidFlag::WNOHANG));
                    }
                    continue;
                }
                let doomed = match owner(pid) {
                    Owner::Run(owner) => owner == run || !runs.contains(&owner),
                    // It cleared its environment, or it is not a run's (a `git` in our own
                    // group): it can only be told apart when no run is live.
                    Owner::Unknown => runs.is_empty() && group != us,
                    Owner::Elsewhere => false,
                };
                if doomed && kill(Pid::from_raw(pid), Signal::SIGKILL).is_ok() {
                    killed.push(pid);
                }
            }
            if killed.is_empty() {
                return;
            }
            for pid in killed {
                // Dead and reaped, its children are ours for the next round.
                let _ = waitpid(Pid::from_raw(pid), None);
            }
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        live().retain(|(run, _)| *run != self.id);
    }
}

fn live() -> MutexGuard<'static, Vec<(u64, Option<i32>)>> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every child of this process: each thread's list, or a scan of every process.
fn children() -> Vec<i32> {
    let mut pids = Vec::new();
    let Ok(threads) = fs::read_dir("/proc/self/task") else {
        return pids;
    };
    for thread in threads.flatten() {
        match fs::read_to_string(thread.path().join("children")) {
            Ok(list) => pids.extend(
                list.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            ),
            // A kernel without CONFIG_PROC_CHILDREN.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && pids.is_empty() => {
                return children_by_scan();
            }
            // The thread ended meanwhile.
            Err(_) => {}
        }
    }
    pids
}

fn children_by_scan() -> Vec<i32> {
    let me = std::process::id().to_string();
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| {
            fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|stat| stat_fields(&stat).nth(1) == Some(me.as_str()))
        })
        .collect()
}

/// Whether `pid` is a zombie, and its process group.
fn stat(pid: i32) -> Option<(bool, i32)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = stat_fields(&stat);
    let state = fields.next()?;
    let group = fields.nth(1)?.parse().ok()?;
    Some((state == "Z", group))
}

/// The fields of `/proc/PID/stat` after the command name (which may hold spaces and parentheses):
/// state, ppid, pgrp, session, ...
fn stat_fields(stat: &str) -> impl Iterator<Item = &str> {
    stat.rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
}

enum Owner {
    /// Marked by this async-lings, as run N's.
    Run(u64),
    /// Marked by another async-lings (one that a check started, say).
    Elsewhere,
    /// Not marked, or unreadable.
    Unknown,
}

fn owner(pid: i32) -> Owner {
    let Ok(environ) = fs::read(format!("/proc/{pid}/environ")) else {
        return Owner::Unknown;
    };
    let prefix = format!("{MARKER}=");
    let Some(value) = environ
        .split(|&b| b == 0)
        .find_map(|var| var.strip_prefix(prefix.as_bytes()))
    else {
        return Owner::Unknown;
    };
    let value = String::from_utf8_lossy(value);
    match value.split_once(':') {
        Some((pid, run)) if pid == std::process::id().to_string() => {
            run.parse().map_or(Owner::Unknown, Owner::Run)
        }
        _ => Owner::Elsewhere,
    }
}
