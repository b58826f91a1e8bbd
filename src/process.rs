//! Running a child process that may hang, crash, print forever or start processes of its own: a
//! contained process tree (a process group on Unix, a Job Object on Windows), a deadline, a cap on
//! what is kept of its output, and a cancel handle. Whatever happens, every process of the tree is
//! killed before `run` returns, and on Linux so is every process that left the group (see
//! `guard` and `orphans`), also when async-lings itself is killed. What the process printed is
//! kept, even when something keeps its pipe open.

mod capture;
#[cfg(target_os = "linux")]
mod guard;
#[cfg(target_os = "linux")]
mod orphans;
#[cfg(target_os = "linux")]
mod threads;
#[cfg(target_os = "linux")]
pub use threads::ThreadState;

/// Where the OS cannot tell what a thread is doing, nothing is said.
#[cfg(not(target_os = "linux"))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadState {
    pub name: String,
    pub cpu: u32,
    pub runnable: u32,
    pub waits_in: Option<String>,
}
#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

use std::{
    io,
    process::{Command, ExitStatus, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
        mpsc::{self, RecvTimeoutError},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result};

use capture::Capture;
#[cfg(unix)]
use unix::Tree;
#[cfg(windows)]
use windows::Tree;

/// How long to wait for the output pipes to close once the process tree is gone. A pipe can only
/// stay open if a process got away (on Linux, only one that was handed the pipe by something
/// outside the run); what was read until then is kept, with a marker.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

pub struct Limits {
    pub timeout: Duration,
    /// Bytes kept of each captured stream; the rest is read and dropped.
    pub cap: usize,
    /// Send stderr into the same capture as stdout, in the order it was written.
    pub merge_stderr: bool,
    /// Called with each line of stdout as it arrives (cargo's JSON messages, for progress).
    pub on_line: Option<OnLine>,
    /// Ends the process as [`Exit::Stalled`] when it makes no progress for a while.
    pub stall: Option<Stall>,
    /// At the timeout, before the kill: note what each of the leader's threads is doing.
    pub diagnose: bool,
    /// Learner code runs in it (tests, programs): on Linux a guard process kills the tree even
    /// if async-lings is killed with it. Off for cargo and rustfmt, which end by themselves: the
    /// guard's two forks cost a save about 15 ms (compile error, `cargo bench`: 1.12 x with it,
    /// 0.98 x without).
    pub guarded: bool,
}

pub type OnLine = Arc<dyn Fn(&[u8]) + Send + Sync>;

/// The process is killed once `limit` passes without a line of stdout that `is_progress` accepts
/// (counted from the start until the first one).
#[derive(Clone, Copy)]
pub struct Stall {
    pub limit: Duration,
    pub is_progress: fn(&[u8]) -> bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// Killed by this signal (Unix only; on Windows a crash is an exit code).
    Signal(i32),
    TimedOut,
    /// No progress within [`Stall::limit`].
    Stalled,
    Cancelled,
}

#[derive(Debug, Default, Clone)]
pub struct Captured {
    pub bytes: Vec<u8>,
    /// Bytes read and dropped past the cap (between the kept first and last halves).
    pub dropped: usize,
}

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

#[derive(Debug)]
pub struct Finished {
    pub exit: Exit,
    /// With `Limits::diagnose`, after a timeout: the leader's threads (Linux only).
    pub threads: Vec<ThreadState>,
    pub stdout: Captured,
    pub stderr: Captured,
    pub elapsed: Duration,
}

impl Finished {
    fn cancelled() -> Self {
        Finished {
            exit: Exit::Cancelled,
            threads: Vec::new(),
            stdout: Captured::default(),
            stderr: Captured::default(),
            elapsed: Duration::ZERO,
        }
    }
}

/// Cancels every run it was passed to, now and in the future.
#[derive(Clone, Default)]
pub struct Cancel(Arc<Mutex<CancelState>>);

type Listener = Box<dyn Fn() + Send>;

#[derive(Default)]
struct CancelState {
    cancelled: bool,
    next_id: u64,
    listeners: Vec<(u64, Listener)>,
}

impl Cancel {
    pub fn cancel(&self) {
        let mut state = self.state();
        state.cancelled = true;
        for (_, listener) in state.listeners.drain(..) {
            listener();
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.state().cancelled
    }

    /// Calls `listener` once when cancelled. Returns false (and never calls it) if already
    /// cancelled.
    pub fn on_cancel(&self, listener: impl Fn() + Send + 'static) -> bool {
        self.listen(listener).is_some()
    }

    /// `on_cancel`, with an id to take the listener back with `forget`.
    fn listen(&self, listener: impl Fn() + Send + 'static) -> Option<u64> {
        let mut state = self.state();
        if state.cancelled {
            return None;
        }
        state.next_id += 1;
        let id = state.next_id;
        state.listeners.push((id, Box::new(listener)));
        Some(id)
    }

    fn forget(&self, id: u64) {
        self.state().listeners.retain(|(other, _)| *other != id);
    }

    fn state(&self) -> std::sync::MutexGuard<'_, CancelState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

enum Event {
    Exited(io::Result<ExitStatus>),
    Cancelled,
}

/// Runs `command` to its end, or until its limits or `cancel` end it, and kills everything it
/// started.
pub fn run(command: Command, limits: &Limits, cancel: &Cancel) -> Result<Finished> {
    let (tx, rx) = mpsc::channel();
    // Listening before the spawn: a cancel at any moment from here on reaches the loop in
    // `supervise`, which kills the tree as soon as there is one.
    let on_cancel = tx.clone();
    let Some(listener) = cancel.listen(move || {
        let _ = on_cancel.send(Event::Cancelled);
    }) else {
        return Ok(Finished::cancelled());
    };
    let result = supervise(command, limits, tx, &rx);
    cancel.forget(listener);
    result
}

fn supervise(
    mut command: Command,
    limits: &Limits,
    tx: mpsc::Sender<Event>,
    rx: &mpsc::Receiver<Event>,
) -> Result<Finished> {
    let program = command.get_program().to_string_lossy().into_owned();
    let start = Instant::now();
    let progress = Arc::new(AtomicU64::new(0));
    let on_line = watch_progress(limits, start, &progress);
    command.stdin(Stdio::null());
    let mut merged = None;
    if limits.merge_stderr {
        let (reader, writer) = io::pipe().context("cannot create a pipe")?;
        command.stdout(writer.try_clone().context("cannot create a pipe")?);
        command.stderr(writer);
        merged = Some(Capture::start(reader, limits.cap, on_line.clone()));
    } else {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    // `spawn` drops the Command, and with it our copies of the pipe's write end: otherwise the
    // reader would never see the end of the output.
    let (tree, stdout, stderr) =
        Tree::spawn(command, limits.guarded, tx).map_err(|e| spawn_error(e, &program))?;
    #[cfg(test)]
    tests::after_spawn();
    let out = merged.or_else(|| stdout.map(|s| Capture::start(s, limits.cap, on_line)));
    let err = stderr.map(|s| Capture::start(s, limits.cap, None));

    let (status, exit, threads) = wait_for_exit(&tree, limits, start, &progress, rx);
    // The leader is gone; anything it left behind goes too.
    tree.finish();
    let status = status.with_context(|| format!("lost track of `{program}`"))?;
    let exit = exit.unwrap_or_else(|| exit_of(status));
    let drain_until = Instant::now() + DRAIN_GRACE;
    Ok(Finished {
        exit,
        threads,
        stdout: out.map(|c| c.collect(drain_until)).unwrap_or_default(),
        stderr: err.map(|c| c.collect(drain_until)).unwrap_or_default(),
        elapsed: start.elapsed(),
    })
}

/// Waits for the leader's exit, killing the tree at the deadline or on a cancel; returns the exit
/// status, if it was killed why, and (see `Limits::diagnose`) what its threads were doing.
fn wait_for_exit(
    tree: &Tree,
    limits: &Limits,
    start: Instant,
    progress: &AtomicU64,
    rx: &mpsc::Receiver<Event>,
) -> (io::Result<ExitStatus>, Option<Exit>, Vec<ThreadState>) {
    let mut exit = None;
    let mut threads = Vec::new();
    loop {
        let event = if exit.is_some() {
            // Killed: its exit follows.
            rx.recv().ok()
        } else {
            let (deadline, _) = deadline(limits, start, progress);
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(event) => Some(event),
                Err(RecvTimeoutError::Timeout) => {
                    // Progress may have come in meanwhile: only a deadline still past counts.
                    let (deadline, why) = self::deadline(limits, start, progress);
                    if Instant::now() >= deadline {
                        if limits.diagnose && why == Exit::TimedOut {
                            threads = describe_threads(tree);
                        }
                        exit = Some(why);
                        tree.kill();
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => None,
            }
        };
        match event {
            Some(Event::Exited(status)) => return (status, exit, threads),
            Some(Event::Cancelled) => {
                exit.get_or_insert(Exit::Cancelled);
                tree.kill();
            }
            None => unreachable!("the waiter always reports"),
        }
    }
}

/// `limits.on_line`, plus noting (as milliseconds since `start`) when the last line of progress
/// came in, if there is a stall limit.
fn watch_progress(limits: &Limits, start: Instant, progress: &Arc<AtomicU64>) -> Option<OnLine> {
    let Some(stall) = limits.stall else {
        return limits.on_line.clone();
    };
    let inner = limits.on_line.clone();
    let progress = Arc::clone(progress);
    Some(Arc::new(move |line: &[u8]| {
        if (stall.is_progress)(line) {
            let now = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
            progress.fetch_max(now, Ordering::Relaxed);
        }
        if let Some(inner) = &inner {
            inner(line);
        }
    }))
}

#[cfg(target_os = "linux")]
fn describe_threads(tree: &Tree) -> Vec<ThreadState> {
    threads::describe(tree.leader())
}

/// Elsewhere the OS is not asked: a hung test is named, but not what its thread was doing.
#[cfg(not(target_os = "linux"))]
fn describe_threads(_: &Tree) -> Vec<ThreadState> {
    Vec::new()
}

/// When the run must end, and why: its timeout, or its stall limit counted from the last progress.
fn deadline(limits: &Limits, start: Instant, progress: &AtomicU64) -> (Instant, Exit) {
    let timeout = (start + limits.timeout, Exit::TimedOut);
    let Some(stall) = limits.stall else {
        return timeout;
    };
    let last = start + Duration::from_millis(progress.load(Ordering::Relaxed));
    let stalled = (last + stall.limit, Exit::Stalled);
    if stalled.0 < timeout.0 {
        stalled
    } else {
        timeout
    }
}

fn exit_of(status: ExitStatus) -> Exit {
    match status.code() {
        Some(code) => Exit::Code(code),
        None => Exit::Signal(signal_of(status)),
    }
}

#[cfg(unix)]
fn signal_of(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.signal().unwrap_or(0)
}

#[cfg(not(unix))]
fn signal_of(_: ExitStatus) -> i32 {
    0
}

fn spawn_error(error: io::Error, program: &str) -> anyhow::Error {
    if error.kind() == io::ErrorKind::NotFound {
        anyhow::anyhow!("`{program}` was not found on PATH: {error}")
    } else {
        anyhow::Error::new(error).context(format!("cannot start `{program}`"))
    }
}

/// Exit codes are never crashes on Unix: a crash is a signal.
#[cfg(unix)]
pub fn crash_code(_: i32) -> Option<i32> {
    None
}

/// A readable name for a signal number, e.g. `SIGSEGV`.
#[cfg(unix)]
pub fn signal_name(signal: i32) -> String {
    nix::sys::signal::Signal::try_from(signal)
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|_| format!("signal {signal}"))
}

/// Windows has no signals: a crash is an exit code. Kept so that the callers need no `cfg`.
#[cfg(not(unix))]
pub fn signal_name(signal: i32) -> String {
    let code = signal.cast_unsigned();
    match code {
        0xC000_0005 => "STATUS_ACCESS_VIOLATION".to_owned(),
        0xC000_00FD => "STATUS_STACK_OVERFLOW".to_owned(),
        0xC000_0409 => "STATUS_STACK_BUFFER_OVERRUN, an abort".to_owned(),
        _ => format!("exit code {code:#010X}"),
    }
}

/// On Windows a crash is an exit code with the NTSTATUS error bits set (0xC0000000).
#[cfg(not(unix))]
pub fn crash_code(code: i32) -> Option<i32> {
    (code.cast_unsigned() >= 0xC000_0000).then_some(code)
}

#[cfg(test)]
mod tests;
