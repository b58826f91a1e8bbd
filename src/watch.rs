//! Watch mode: the learner edits the current exercise in their own editor and sees the verdict on
//! every save. One event enum on one channel, handled in one `match`.

mod lock;
mod session;
mod sources;

use std::{path::PathBuf, process::ExitCode, sync::Arc};

use anyhow::{Context, Result};
use tokio::sync::mpsc::UnboundedSender;

use crate::{
    cargo::Workspace,
    check::{Checker, OnProgress, Progress, Side},
    commands::App,
    course::{Exercise, Format},
    process::Cancel,
    verdict::Report,
};

/// How long a save must be quiet before it is checked: editors write a file in several steps
/// (truncate + write, or write a temp file + rename), and a burst of saves should cost one check.
/// Rustlings waits 200 ms, bacon 15 ms. In the benchmark 30 ms cost 1.14 x the floor on a compile
/// error and 15 ms 1.20 x; 5 ms met 1.00 x. A save spread over longer than this costs only a
/// cancelled check: the latest content still wins.
const GRACE: std::time::Duration = std::time::Duration::from_millis(5);

pub struct Options {
    /// No file watcher: `r` runs the check.
    pub manual_run: bool,
    /// After a pass, wait for `n` instead of moving on.
    pub manual_next: bool,
}

/// A learner's command, from a key in a terminal or a line on stdin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Hint,
    Run,
    List,
    Next,
    CheckAll,
    Reset,
    Quit,
    Yes,
    /// In the list: move, jump to the selected exercise, leave, show only pending ones. Up and
    /// Down (and the page keys) scroll the verdict outside the list.
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    Back,
    Pending,
    Other,
}

pub enum Event {
    /// Something changed at this path under `exercises/`, or at `exercises/` itself.
    FileChanged(PathBuf),
    /// The grace period after the save numbered so has passed.
    Settled(u64),
    Key(Key),
    /// stdin closed (plain mode): quit, after the verdict of the check in flight.
    InputClosed,
    /// A check reached a new phase.
    Status {
        run: u64,
        progress: Progress,
    },
    RunFinished {
        run: u64,
        result: Result<Report>,
    },
    /// `verify` of every exercise finished (after `c`, or after the last exercise).
    AllChecked {
        run: u64,
        result: Result<Vec<Report>>,
    },
    /// Redraw the elapsed time while a check runs.
    Tick,
    /// The terminal changed size.
    Resize,
    WatcherError(String),
    /// Ctrl-C, SIGTERM, or the terminal went away.
    Interrupted,
}

pub fn watch(app: &mut App, mut options: Options) -> Result<ExitCode> {
    // Rustlings courses tell the learner to "enter `n`" after a pass: so it is there.
    options.manual_next |= app.course.format == Format::Rustlings;
    let _lock = lock::Lock::take(&app.course.root)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .context("cannot start the event loop")?;
    let workspace = Arc::new(Workspace::load(&app.course.root, &app.cancel)?);
    runtime.block_on(session::Session::run(app, workspace, options))
}

/// Checks one exercise on a blocking thread; the verdict comes back as `RunFinished`.
fn spawn_check(
    tx: &UnboundedSender<Event>,
    run: u64,
    root: PathBuf,
    workspace: Arc<Workspace>,
    exercise: Exercise,
    cancel: Cancel,
) {
    let tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let checker = Checker::new(&root, &workspace, cancel);
        let status = tx.clone();
        let on_progress: OnProgress = Arc::new(move |p| {
            let _ = status.send(Event::Status { run, progress: p });
        });
        let result = checker.check_with(&exercise, Side::Exercise, &on_progress);
        let _ = tx.send(Event::RunFinished { run, result });
    });
}

/// `verify` of every exercise on a blocking thread.
fn spawn_check_all(
    tx: &UnboundedSender<Event>,
    run: u64,
    root: PathBuf,
    workspace: Arc<Workspace>,
    exercises: Vec<Exercise>,
    cancel: Cancel,
) {
    let tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let checker = Checker::new(&root, &workspace, cancel);
        let all: Vec<&Exercise> = exercises.iter().collect();
        let result = checker.check_all(&all, Side::Exercise, &(Arc::new(|_| {}) as OnProgress));
        let _ = tx.send(Event::AllChecked { run, result });
    });
}
