//! Unix: a check's process leads a process group of its own, and killing the group kills what it
//! started. On Linux it is started through a guard (see `guard`) that kills what leaves the group
//! (`setsid`, `setpgid`) when the check ends, and everything when async-lings dies, even by
//! SIGKILL; what the guard cannot reach (it was killed) is found again as an orphan (see
//! `orphans`).
//!
//! Not process-wrap's `ProcessGroup`: once async-lings is a subreaper, the rest of the group
//! becomes its children when the leader ends, and then that `wait` also waits for every one of
//! them (`sh -c 'sleep 3 & exit 7'` took 3.0 s: a failing test that left a `sleep &` would turn
//! into a timeout) and `try_wait` loses the leader's status (ECHILD). Its kill and wait also need
//! the one `&mut` child. A group is one `process_group(0)` and one `killpg`.

use std::{
    io,
    os::unix::process::CommandExt,
    process::{ChildStderr, ChildStdout, Command},
    sync::mpsc::Sender,
    thread,
};

use nix::{
    sys::signal::{Signal, killpg},
    unistd::Pid,
};

use super::Event;
#[cfg(target_os = "linux")]
use super::{guard, orphans};

pub struct Tree {
    /// The process group of the check's process, which leads it.
    group: Pid,
    /// The check's process's guard (see `guard`), the process async-lings started and waits for.
    #[cfg(target_os = "linux")]
    guard: Pid,
    #[cfg(target_os = "linux")]
    run: orphans::Run,
}

impl Tree {
    /// Starts `command` as the leader of a new tree; its exit status is sent to `exited`. With
    /// `guarded`, on Linux, a guard process takes the tree down even if async-lings is killed.
    pub fn spawn(
        mut command: Command,
        guarded: bool,
        exited: Sender<Event>,
    ) -> io::Result<(Tree, Option<ChildStdout>, Option<ChildStderr>)> {
        command.process_group(0);
        #[cfg(target_os = "linux")]
        let (run, report) = {
            let run = orphans::Run::start(&mut command);
            let report = if guarded {
                Some(guard::install(&mut command)?)
            } else {
                None
            };
            (run, report)
        };
        #[cfg(not(target_os = "linux"))]
        let _ = guarded;
        let spawned = command.spawn();
        drop(command);
        let mut child = spawned?;
        #[cfg(target_os = "linux")]
        run.started(child.id());
        let started = Pid::from_raw(i32::try_from(child.id()).map_err(io::Error::other)?);
        // On Linux a guarded child is the guard; the check's process is its child, in a group of
        // its own.
        #[cfg(target_os = "linux")]
        let group = match report.map_or(Ok(started.as_raw()), |report| report.test()) {
            Ok(test) => Pid::from_raw(test),
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(error);
            }
        };
        #[cfg(not(target_os = "linux"))]
        let group = started;
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        thread::spawn(move || {
            let _ = exited.send(Event::Exited(child.wait()));
        });
        let tree = Tree {
            group,
            #[cfg(target_os = "linux")]
            guard: started,
            #[cfg(target_os = "linux")]
            run,
        };
        Ok((tree, stdout, stderr))
    }

    /// The pid of the check's process.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub fn leader(&self) -> u32 {
        self.group.as_raw().unsigned_abs()
    }

    pub fn kill(&self) {
        // ESRCH (nothing left in the group) is the common, fine case.
        let _ = killpg(self.group, Signal::SIGKILL);
        // The guard kills what left the group, then exits as the check's process did.
        #[cfg(target_os = "linux")]
        let _ = nix::sys::signal::kill(self.guard, Signal::SIGTERM);
    }

    /// Once the process async-lings started has been reaped: kills what is left of the tree.
    pub fn finish(self) {
        let _ = killpg(self.group, Signal::SIGKILL);
        #[cfg(target_os = "linux")]
        self.run.sweep();
    }
}
