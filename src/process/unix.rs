//! Unix: a check's process leads a process group of its own, and killing the group kills what it
//! started. On Linux the process also dies with async-lings (its parent-death signal), and what
//! leaves the group (`setsid`, `setpgid`) is found again as an orphan (see `orphans`).
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
use super::orphans;

pub struct Tree {
    group: Pid,
    #[cfg(target_os = "linux")]
    run: orphans::Run,
}

impl Tree {
    /// Starts `command` as the leader of a new tree; its exit status is sent to `exited`.
    pub fn spawn(
        mut command: Command,
        exited: Sender<Event>,
    ) -> io::Result<(Tree, Option<ChildStdout>, Option<ChildStderr>)> {
        command.process_group(0);
        #[cfg(target_os = "linux")]
        let run = {
            die_with_parent(&mut command);
            orphans::Run::start(&mut command)
        };
        let spawned = command.spawn();
        drop(command);
        let mut child = spawned?;
        #[cfg(target_os = "linux")]
        run.started(child.id());
        let group = Pid::from_raw(i32::try_from(child.id()).map_err(io::Error::other)?);
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        thread::spawn(move || {
            let _ = exited.send(Event::Exited(child.wait()));
        });
        let tree = Tree {
            group,
            #[cfg(target_os = "linux")]
            run,
        };
        Ok((tree, stdout, stderr))
    }

    /// The leader's process id.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub fn leader(&self) -> u32 {
        self.group.as_raw().unsigned_abs()
    }

    pub fn kill(&self) {
        // ESRCH (nothing left in the group) is the common, fine case.
        let _ = killpg(self.group, Signal::SIGKILL);
    }

    /// Once the leader has been reaped: kills what is left of the tree.
    pub fn finish(self) {
        self.kill();
        #[cfg(target_os = "linux")]
        self.run.sweep();
    }
}

/// The process gets SIGKILL when the thread that started it ends, which happens only after it was
/// reaped, or when async-lings dies, even by SIGKILL. Its own children do not inherit this.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn die_with_parent(command: &mut Command) {
    let parent = nix::unistd::getpid();
    // SAFETY: the closure runs in the child between fork and exec, where only async-signal-safe
    // calls are allowed. It makes two system calls (prctl, getppid) and nothing else: no
    // allocation (an `Errno` becomes an `io::Error` without one), no lock.
    unsafe {
        command.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            // async-lings died before the signal was set: nothing would ever kill this process.
            if nix::unistd::getppid() != parent {
                return Err(nix::errno::Errno::ESRCH.into());
            }
            Ok(())
        });
    }
}
