//! Linux: a guard between async-lings and a check's process, so that a `kill -9` of async-lings
//! takes everything the check started with it.
//!
//! The process async-lings starts forks once more before it execs: the copy that execs is the
//! check's process (the test), the other one stays behind as its guard and never execs. The guard
//! is a child subreaper, so everything the test starts comes back to it when its parent dies,
//! wherever it went (`setsid`, `setpgid`, a double fork). It has a parent-death signal it
//! catches (SIGTERM): when async-lings dies, even by SIGKILL, the guard kills the test's process
//! group and every process that comes back to it, waits until nothing of the check is left, and
//! exits. It does the same when the test ends, or when async-lings sends it SIGTERM (a timeout, a
//! cancel), and then exits as the test did: with its exit code, or by its signal. The test leads a
//! process group of its own, and dies with the guard (its own parent-death signal, SIGKILL).
//!
//! A fork rather than a second program (async-lings run again with a hidden command): it costs a
//! fork, not an exec and a Rust program's start, and it works the same in the unit tests, whose
//! binary is libtest's. The price: the guard is a copy of async-lings that never execs, so
//! between its fork and its exit only async-signal-safe calls are made (raw system calls, no
//! allocation, no lock, no panic), and it closes every file descriptor it inherited at once (the
//! pipes of other checks among them, whose ends would otherwise never come).
//!
//! The guard tells async-lings the test's pid (4 bytes on a pipe) before `spawn` returns: it is
//! the process group to kill, and the process whose threads a timeout describes.

#![allow(unsafe_code)]

use std::{
    io::{self, Read},
    os::fd::{AsRawFd, OwnedFd, RawFd},
    os::unix::process::CommandExt,
    process::Command,
};

use nix::libc::{self, c_int, pid_t};

/// A bound on the rounds of the guard's last sweep, against a fork bomb that outruns it.
const MAX_ROUNDS: usize = 10_000;

/// The signals that end the guard's watch (its parent's death is SIGTERM). Blocked, so that only
/// `sigwait` sees them, and SIGCHLD with them, for the test's end.
const WATCHED: [c_int; 4] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGCHLD];

/// Where the guard says which process is the test.
pub struct Report(io::PipeReader);

impl Report {
    /// The test's pid, which is also its process group. Once `spawn` returned, it is there.
    pub fn test(mut self) -> io::Result<pid_t> {
        let mut pid = [0; 4];
        self.0.read_exact(&mut pid).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("the guard did not start the process: {e}"),
            )
        })?;
        Ok(pid_t::from_ne_bytes(pid))
    }
}

/// Makes `command`'s process fork into a guard and the test (see the module's documentation).
pub fn install(command: &mut Command) -> io::Result<Report> {
    let (reader, writer) = io::pipe()?;
    // Ours is closed when `command` is: the guard's copy is then the only one.
    let writer = OwnedFd::from(writer);
    let parent = std::process::id().cast_signed();
    // SAFETY: the closure runs in the child between fork and exec, where only async-signal-safe
    // calls are allowed. `guard` makes system calls and nothing else: no allocation (an error is
    // an `Errno`), no lock, no panic; the guard never returns from it.
    unsafe {
        command.pre_exec(move || guard(parent, writer.as_raw_fd()));
    }
    Ok(Report(reader))
}

/// In the process async-lings started: forks the test, which returns (and execs), and becomes its
/// guard, which never returns.
fn guard(parent: pid_t, report: RawFd) -> io::Result<()> {
    // SAFETY (every block below): plain system calls on values of our own.
    let mut watched = empty_set();
    for signal in WATCHED {
        unsafe { libc::sigaddset(&raw mut watched, signal) };
    }
    let mut before = empty_set();
    check(unsafe { libc::sigprocmask(libc::SIG_BLOCK, &raw const watched, &raw mut before) })?;
    check(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) })?;
    // async-lings died before the signal was set: nothing would ever tell the guard.
    if unsafe { libc::getppid() } != parent {
        return Err(io::Error::from_raw_os_error(libc::ESRCH));
    }
    // Without it (never seen since Linux 3.4), what leaves the test's group goes to async-lings,
    // whose own sweep finds it, but not after a `kill -9`.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1) };
    let me = unsafe { libc::getpid() };
    let test = check(unsafe { libc::fork() })?;
    if test == 0 {
        // The test: a process group of its own, dead with the guard, signals as they were.
        unsafe { libc::setpgid(0, 0) };
        check(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) })?;
        if unsafe { libc::getppid() } != me {
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
        check(unsafe {
            libc::sigprocmask(libc::SIG_SETMASK, &raw const before, std::ptr::null_mut())
        })?;
        return Ok(());
    }
    // Also from this side: the group exists before async-lings is told to kill it (EACCES once
    // the test has exec'd, when it has long made it itself).
    unsafe { libc::setpgid(test, test) };
    // The signals the guard watches stay blocked; the others end it the default way (async-lings'
    // Ctrl-C handler, inherited, must never run here).
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let pid = test.to_ne_bytes();
    loop {
        let written = unsafe { libc::write(report, pid.as_ptr().cast(), pid.len()) };
        if written >= 0 || errno() != libc::EINTR {
            break;
        }
    }
    close_every_fd();
    let status = watch(test, &watched);
    sweep(test, status)
}

/// Waits for the test's end, or a signal to stop; the test's wait status, if it ended.
fn watch(test: pid_t, watched: &libc::sigset_t) -> Option<c_int> {
    loop {
        let mut signal = 0;
        if unsafe { libc::sigwait(watched, &raw mut signal) } != 0 {
            continue;
        }
        if signal != libc::SIGCHLD {
            return None;
        }
        // Reaps whatever ended: the test, or a process that came back to the guard.
        loop {
            let mut status = 0;
            let pid = unsafe { libc::waitpid(-1, &raw mut status, libc::WNOHANG) };
            if pid == test {
                return Some(status);
            }
            if pid <= 0 {
                break;
            }
        }
    }
}

/// Kills the test's group and every process that comes back to the guard, until the guard has no
/// child left, then exits as the test did.
fn sweep(test: pid_t, mut status: Option<c_int>) -> ! {
    let mut group = true;
    for _ in 0..MAX_ROUNDS {
        // An empty group is gone for good: its id is not signalled again.
        if group && unsafe { libc::killpg(test, libc::SIGKILL) } != 0 && errno() == libc::ESRCH {
            group = false;
        }
        let listed = kill_children();
        // Without the list of children, a child that lives on cannot be waited for.
        let flags = if listed { 0 } else { libc::WNOHANG };
        let mut wait_status = 0;
        let pid = unsafe { libc::waitpid(-1, &raw mut wait_status, flags) };
        if pid == test {
            status = Some(wait_status);
        } else if pid == 0 || (pid < 0 && errno() != libc::EINTR) {
            // Nothing left (ECHILD), or nothing that ended.
            break;
        }
    }
    relay(status)
}

/// Exits with the test's exit code, or dies by its signal (without a core dump: the test made
/// its own).
fn relay(status: Option<c_int>) -> ! {
    match status {
        Some(status) if libc::WIFEXITED(status) => unsafe {
            libc::_exit(libc::WEXITSTATUS(status))
        },
        Some(status) if libc::WIFSIGNALED(status) => {
            let signal = libc::WTERMSIG(status);
            unsafe {
                libc::prctl(libc::PR_SET_DUMPABLE, 0);
                libc::signal(signal, libc::SIG_DFL);
                let mut only = empty_set();
                libc::sigaddset(&raw mut only, signal);
                libc::sigprocmask(libc::SIG_UNBLOCK, &raw const only, std::ptr::null_mut());
                libc::kill(libc::getpid(), signal);
                libc::_exit(128 + signal)
            }
        }
        // Not reaped (a sweep cut short): async-lings' own sweep takes over.
        _ => unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
            libc::_exit(128 + libc::SIGKILL)
        },
    }
}

/// Sends SIGKILL to every child of the guard; false if `/proc` cannot list them.
fn kill_children() -> bool {
    let fd = unsafe {
        libc::open(
            c"/proc/thread-self/children".as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return false;
    }
    let mut buffer = [0_u8; 512];
    let mut pid: Option<pid_t> = None;
    loop {
        let read = unsafe { libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len()) };
        if read < 0 && errno() == libc::EINTR {
            continue;
        }
        let Ok(read) = usize::try_from(read) else {
            break;
        };
        if read == 0 {
            break;
        }
        for &byte in buffer.iter().take(read) {
            if byte.is_ascii_digit() {
                let digit = pid_t::from(byte - b'0');
                pid = Some(pid.unwrap_or(0).saturating_mul(10).saturating_add(digit));
            } else if let Some(child) = pid.take() {
                kill_child(child);
            }
        }
    }
    if let Some(child) = pid {
        kill_child(child);
    }
    unsafe { libc::close(fd) };
    true
}

fn kill_child(pid: pid_t) {
    // Never 0 (the guard's own group) nor a pid that did not parse.
    if pid > 0 && pid < pid_t::MAX {
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// Closes every file descriptor: the guard needs none, and holds copies of all of async-lings'.
fn close_every_fd() {
    let closed = unsafe { libc::syscall(libc::SYS_close_range, 0_u32, u32::MAX, 0_u32) };
    if closed == 0 {
        return;
    }
    // Before Linux 5.9.
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    let top = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut limit) } == 0 {
        limit.rlim_cur.min(65_536)
    } else {
        1024
    };
    for fd in 0..c_int::try_from(top).unwrap_or(1024) {
        unsafe { libc::close(fd) };
    }
}

fn empty_set() -> libc::sigset_t {
    // SAFETY: a sigset_t is plain data, and `sigemptyset` initialises it.
    let mut set = unsafe { std::mem::zeroed() };
    unsafe { libc::sigemptyset(&raw mut set) };
    set
}

fn check(result: c_int) -> io::Result<c_int> {
    if result < 0 {
        Err(io::Error::from_raw_os_error(errno()))
    } else {
        Ok(result)
    }
}

fn errno() -> c_int {
    // SAFETY: the calling thread's errno.
    unsafe { *libc::__errno_location() }
}
