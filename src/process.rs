//! Running a child process that may hang, crash or print forever: its own process group, a
//! deadline, a cap on what is kept of its output, and a cancel handle. Whatever happens, every
//! process in the group is killed before `run` returns.

use std::{
    collections::VecDeque,
    io::{self, Read},
    os::unix::process::{CommandExt, ExitStatusExt},
    process::{Child, Command, ExitStatus, Stdio},
    sync::{
        Arc, Mutex,
        mpsc::{self, RecvTimeoutError, Sender},
    },
    thread,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use nix::{
    sys::signal::{Signal, killpg},
    unistd::Pid,
};

/// How long to wait for the output pipes to close once the process group is gone. A pipe can
/// only stay open if a process escaped the group (e.g. `setsid`); its output is then given up.
const DRAIN_GRACE: Duration = Duration::from_millis(500);

pub struct Limits {
    pub timeout: Duration,
    /// Bytes kept of each captured stream; the rest is read and dropped.
    pub cap: usize,
    /// Send stderr into the same capture as stdout, in the order it was written.
    pub merge_stderr: bool,
    /// Called with each line of stdout as it arrives (cargo's JSON messages, for progress).
    pub on_line: Option<OnLine>,
}

pub type OnLine = Arc<dyn Fn(&[u8]) + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    TimedOut,
    Cancelled,
}

#[derive(Debug, Default, Clone)]
pub struct Captured {
    pub bytes: Vec<u8>,
}

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

#[derive(Debug)]
pub struct Finished {
    pub exit: Exit,
    pub stdout: Captured,
    pub stderr: Captured,
    pub elapsed: Duration,
}

/// Cancels every run it was passed to, now and in the future.
#[derive(Clone, Default)]
pub struct Cancel(Arc<Mutex<CancelState>>);

#[derive(Default)]
struct CancelState {
    cancelled: bool,
    listeners: Vec<Box<dyn Fn() + Send>>,
}

impl Cancel {
    pub fn cancel(&self) {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        state.cancelled = true;
        for listener in state.listeners.drain(..) {
            listener();
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).cancelled
    }

    /// Calls `listener` once when cancelled. Returns false (and never calls it) if already
    /// cancelled.
    pub fn on_cancel(&self, listener: impl Fn() + Send + 'static) -> bool {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if state.cancelled {
            return false;
        }
        state.listeners.push(Box::new(listener));
        true
    }
}

enum Event {
    Exited(io::Result<ExitStatus>),
    Cancelled,
}

pub fn run(mut command: Command, limits: &Limits, cancel: &Cancel) -> Result<Finished> {
    let program = command.get_program().to_string_lossy().into_owned();
    let start = Instant::now();
    if cancel.is_cancelled() {
        return Ok(Finished {
            exit: Exit::Cancelled,
            stdout: Captured::default(),
            stderr: Captured::default(),
            elapsed: Duration::ZERO,
        });
    }
    command.process_group(0).stdin(Stdio::null());
    let mut merged = None;
    if limits.merge_stderr {
        let (reader, writer) = io::pipe().context("cannot create a pipe")?;
        command.stdout(writer.try_clone().context("cannot create a pipe")?);
        command.stderr(writer);
        merged = Some(capture(reader, limits.cap, limits.on_line.clone()));
    } else {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
    }
    let spawned = command.spawn();
    // The Command holds our copies of the pipe's write end: drop it, or the reader never sees EOF.
    drop(command);
    let mut child = spawned.map_err(|e| spawn_error(e, &program))?;
    let pgid = Pid::from_raw(child.id() as i32);
    let out_rx = merged.or_else(|| {
        let on_line = limits.on_line.clone();
        child.stdout.take().map(|s| capture(s, limits.cap, on_line))
    });
    let err_rx = child.stderr.take().map(|s| capture(s, limits.cap, None));

    let (tx, rx) = mpsc::channel();
    let on_cancel = tx.clone();
    let registered = cancel.on_cancel(move || {
        let _ = on_cancel.send(Event::Cancelled);
    });
    wait_in_background(child, tx);

    let deadline = start + limits.timeout;
    let mut exit = if registered {
        None
    } else {
        Some(Exit::Cancelled)
    };
    let status = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(Event::Exited(status)) => break status,
            Ok(Event::Cancelled) => {
                exit.get_or_insert(Exit::Cancelled);
                kill_group(pgid);
            }
            Err(RecvTimeoutError::Timeout) => {
                exit.get_or_insert(Exit::TimedOut);
                kill_group(pgid);
            }
            Err(RecvTimeoutError::Disconnected) => unreachable!("the waiter always reports"),
        }
    };
    // The leader is gone; anything it left behind in its group goes too.
    kill_group(pgid);
    let status = status.with_context(|| format!("lost track of `{program}`"))?;
    let exit = exit.unwrap_or_else(|| match status.code() {
        Some(code) => Exit::Code(code),
        None => Exit::Signal(status.signal().unwrap_or(0)),
    });
    let drain_until = Instant::now() + DRAIN_GRACE;
    let stdout = out_rx
        .map(|rx| collect(&rx, drain_until))
        .unwrap_or_default();
    let stderr = err_rx
        .map(|rx| collect(&rx, drain_until))
        .unwrap_or_default();
    Ok(Finished {
        exit,
        stdout,
        stderr,
        elapsed: start.elapsed(),
    })
}

fn spawn_error(error: io::Error, program: &str) -> anyhow::Error {
    if error.kind() == io::ErrorKind::NotFound {
        anyhow::anyhow!("`{program}` was not found on PATH: {error}")
    } else {
        anyhow::Error::new(error).context(format!("cannot start `{program}`"))
    }
}

fn wait_in_background(mut child: Child, tx: Sender<Event>) {
    thread::spawn(move || {
        let _ = tx.send(Event::Exited(child.wait()));
    });
}

fn kill_group(pgid: Pid) {
    // ESRCH (nothing left in the group) is the common, fine case.
    let _ = killpg(pgid, Signal::SIGKILL);
}

/// Reads `source` to its end on a thread. Past `cap` bytes, it keeps the first and the last
/// half (a test run's summary is at its end) with a marker where the middle was dropped.
fn capture(
    mut source: impl Read + Send + 'static,
    cap: usize,
    on_line: Option<OnLine>,
) -> mpsc::Receiver<Captured> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let half = cap / 2;
        let mut head: Vec<u8> = Vec::new();
        let mut tail: VecDeque<u8> = VecDeque::new();
        let mut dropped = 0usize;
        let mut line = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match source.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if let Some(on_line) = &on_line {
                        for &byte in &buf[..n] {
                            if byte == b'\n' {
                                on_line(&line);
                                line.clear();
                            } else {
                                line.push(byte);
                            }
                        }
                    }
                    let room = half.saturating_sub(head.len()).min(n);
                    head.extend_from_slice(&buf[..room]);
                    tail.extend(&buf[room..n]);
                    let excess = tail.len().saturating_sub(cap - half);
                    tail.drain(..excess);
                    dropped += excess;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let mut bytes = head;
        if dropped > 0 {
            let marker = format!(
                "\n... output truncated: {dropped} bytes dropped, the first and last {} KiB are kept ...\n",
                half >> 10
            );
            bytes.extend_from_slice(marker.as_bytes());
        }
        bytes.extend(tail);
        let _ = tx.send(Captured { bytes });
    });
    rx
}

fn collect(rx: &mpsc::Receiver<Captured>, until: Instant) -> Captured {
    rx.recv_timeout(until.saturating_duration_since(Instant::now()))
        .unwrap_or_default()
}

/// A readable name for a signal number, e.g. `SIGSEGV`.
pub fn signal_name(signal: i32) -> String {
    Signal::try_from(signal)
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|_| format!("signal {signal}"))
}

#[cfg(test)]
mod tests;
