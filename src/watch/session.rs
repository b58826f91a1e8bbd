//! The watch loop's state and its one `match`.

use std::{path::PathBuf, process::ExitCode, sync::Arc};

use anyhow::Result;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::{Event, GRACE, Key, Options, sources};
use crate::{
    cargo::Workspace,
    commands::App,
    term::{self, HintAgain, Screen, Scroll},
};

mod checks;
mod list;
#[cfg(test)]
mod tests;

use checks::InFlight;
use list::ListView;

const NO_WATCHER: &str = "The file watcher does not work here, so saves are not seen.
Restart with `async-lings watch --manual-run` and press `r` to check after each save.";

const EXERCISES_GONE: &str = "The exercises folder is gone, so saves cannot be seen.
Restore it (e.g. `git checkout -- exercises`): async-lings watches it again as soon as it is back.";

const EXERCISES_BACK: &str = "The exercises folder is back: watching it again.";

/// How long a restored `exercises/` folder must be quiet before it is checked.
const RESTORE_GRACE: std::time::Duration = std::time::Duration::from_millis(300);

/// The scroll a key asks for outside the list.
fn scroll_of(key: Key) -> Option<Scroll> {
    Some(match key {
        Key::Up => Scroll::Up,
        Key::Down => Scroll::Down,
        Key::PageUp => Scroll::PageUp,
        Key::PageDown => Scroll::PageDown,
        Key::Home => Scroll::Home,
        Key::End => Scroll::End,
        _ => return None,
    })
}

/// What the loop does after an event.
#[must_use]
enum Flow {
    Continue,
    Quit,
}

/// A question waiting for `y`.
#[derive(Clone, Copy)]
enum Confirm {
    Skip,
    /// Reset this exercise.
    Reset(usize),
}

pub struct Session<'a> {
    app: &'a mut App,
    workspace: Arc<Workspace>,
    options: Options,
    tx: UnboundedSender<Event>,
    screen: Screen,
    /// `None` with `--manual-run`, or when the watcher cannot start.
    watcher: Option<sources::FileWatcher>,
    /// The exercises folder was seen gone: its coming back is announced.
    exercises_gone: bool,
    /// Numbers the saves of the current file; only the latest save's grace period ends in a check.
    saves: u64,
    /// Numbers the checks; a verdict is shown only if it belongs to the latest one.
    run: u64,
    /// The check in flight: cancelling it kills its processes.
    in_flight: Option<InFlight>,
    confirm: Option<Confirm>,
    list: Option<ListView>,
    /// The welcome message, until the first verdict is shown under it.
    greeting: Option<String>,
    /// The last verdict shown, to go back to from the list.
    last_body: String,
    /// The check of every exercise in flight is the one after the last exercise: it ends with the
    /// final message.
    finishing: bool,
    /// Plain mode's input ended: quit once the check in flight has shown its verdict.
    input_closed: bool,
}

impl<'a> Session<'a> {
    pub async fn run(
        app: &'a mut App,
        workspace: Arc<Workspace>,
        options: Options,
    ) -> Result<ExitCode> {
        let (tx, rx) = unbounded_channel();
        let screen = Screen::new()?;
        let interrupt = tx.clone();
        app.cancel.on_cancel(move || {
            let _ = interrupt.send(Event::Interrupted);
        });
        sources::read_keys(screen.is_tty(), tx.clone());
        let watcher = if options.manual_run {
            None
        } else {
            sources::FileWatcher::start(&app.course.root, tx.clone()).ok()
        };
        let watching = options.manual_run || watcher.is_some();
        let mut session = Session::new(app, workspace, options, tx, screen);
        session.watcher = watcher;
        session.start();
        if !watching {
            session.screen.notice(NO_WATCHER.to_owned());
        }
        session.event_loop(rx).await;
        session.stop_run();
        session.screen.restore();
        Ok(ExitCode::SUCCESS)
    }

    fn new(
        app: &'a mut App,
        workspace: Arc<Workspace>,
        options: Options,
        tx: UnboundedSender<Event>,
        screen: Screen,
    ) -> Self {
        Session {
            app,
            workspace,
            options,
            tx,
            screen,
            watcher: None,
            exercises_gone: false,
            saves: 0,
            run: 0,
            in_flight: None,
            confirm: None,
            list: None,
            greeting: None,
            last_body: String::new(),
            finishing: false,
            input_closed: false,
        }
    }

    /// Handles events until the learner quits. A fault while handling one is shown and the watch
    /// goes on; only a reader gone from stdout ends it early (there is nobody left to show to).
    async fn event_loop(&mut self, mut rx: UnboundedReceiver<Event>) {
        while let Some(event) = rx.recv().await {
            let flow = self.handle(event).unwrap_or_else(|error| {
                self.screen.notice(format!("error: {error:#}"));
                Flow::Continue
            });
            if matches!(flow, Flow::Quit) || self.screen.is_closed() {
                break;
            }
        }
    }

    fn start(&mut self) {
        self.header();
        if !self.app.state.welcomed {
            let welcome = term::prose(&self.app.course.welcome_message);
            if !welcome.is_empty() {
                self.show(welcome.clone());
            }
            // Output that is not a terminal (a pipe, `| head -1`, a log) may never be read: the
            // welcome counts as read only once shown in a terminal. There, the first verdict
            // redraws the screen: keep the welcome above it.
            if self.screen.is_tty() {
                self.greeting = Some(welcome).filter(|w| !w.is_empty());
                self.app.state.welcomed = true;
                if let Err(error) = self.app.state.save() {
                    self.screen.notice(format!("error: {error:#}"));
                }
            }
        }
        self.start_check();
    }

    fn handle(&mut self, event: Event) -> Result<Flow> {
        match event {
            Event::FileChanged(path) => self.file_changed(path),
            Event::Settled(save) => {
                if save == self.saves && !self.options.manual_run {
                    self.start_check();
                }
            }
            Event::Key(key) => return self.key(key),
            Event::InputClosed if self.in_flight.is_some() => self.input_closed = true,
            Event::InputClosed | Event::Interrupted => return Ok(Flow::Quit),
            Event::Status { run, progress } => {
                if run == self.run
                    && progress.total > 0
                    && let Some(flight) = &mut self.in_flight
                {
                    flight.phase = progress.phase;
                    flight.crates = progress.crates;
                    self.show_status();
                }
            }
            Event::Tick => self.show_status(),
            Event::Resize => self.screen.resized(),
            // A result for a check that a save, a key or a newer check has overtaken is dropped.
            Event::RunFinished { run, result } if run == self.run => {
                self.run_finished(result)?;
                return Ok(self.after_verdict());
            }
            Event::AllChecked { run, result } if run == self.run => {
                self.all_checked(result)?;
                return Ok(self.after_verdict());
            }
            Event::RunFinished { .. } | Event::AllChecked { .. } => {}
            Event::WatcherError(error) => {
                self.screen
                    .notice(format!("file watcher error: {error}\n{NO_WATCHER}"));
            }
        }
        Ok(Flow::Continue)
    }

    /// Once the input has ended, the first verdict shown is the last thing done.
    fn after_verdict(&self) -> Flow {
        if self.input_closed {
            Flow::Quit
        } else {
            Flow::Continue
        }
    }

    /// A save of the current exercise voids the check in flight at once: its verdict belongs to
    /// content that is no longer on disk, even if it arrives within the grace period.
    fn file_changed(&mut self, path: PathBuf) {
        if path == self.app.course.root.join("exercises") {
            return self.exercises_folder_changed();
        }
        if path != self.current_path() {
            return;
        }
        self.invalidate();
        self.dismiss();
        self.check_after(GRACE);
    }

    /// Checks the current exercise once nothing has changed for `quiet`.
    fn check_after(&mut self, quiet: std::time::Duration) {
        self.saves += 1;
        let (tx, save) = (self.tx.clone(), self.saves);
        tokio::spawn(async move {
            tokio::time::sleep(quiet).await;
            let _ = tx.send(Event::Settled(save));
        });
    }

    /// `exercises/` itself was deleted, renamed, or restored.
    fn exercises_folder_changed(&mut self) {
        let Some(watcher) = &mut self.watcher else {
            return;
        };
        if !self.app.course.root.join("exercises").is_dir() {
            self.invalidate();
            if !std::mem::replace(&mut self.exercises_gone, true) {
                self.show(EXERCISES_GONE.to_owned());
            }
            return;
        }
        // Also when it looks unchanged: deleted and restored before this event was read, it is a
        // new folder that the old watch does not see.
        if let Err(error) = watcher.rewatch() {
            self.screen
                .notice(format!("error: {error:#}\n{NO_WATCHER}"));
            return;
        }
        // A restore (`git checkout`, a copy) writes the files after the folder: give it time to
        // finish before cargo reads them.
        self.check_after(RESTORE_GRACE);
        if std::mem::take(&mut self.exercises_gone) {
            self.screen.notice(EXERCISES_BACK.to_owned());
        }
    }

    fn key(&mut self, key: Key) -> Result<Flow> {
        // `q` and Ctrl-C quit, even while a question waits for `y`.
        if key == Key::Quit {
            return Ok(Flow::Quit);
        }
        if let Some(confirm) = self.confirm.take() {
            if key != Key::Yes {
                self.screen.notice("Cancelled.".to_owned());
                return Ok(Flow::Continue);
            }
            match confirm {
                Confirm::Skip => self.move_to(None)?,
                Confirm::Reset(i) => self.reset(i)?,
            }
            return Ok(Flow::Continue);
        }
        if self.list.is_some() {
            return self.list_key(key);
        }
        if let Some(how) = scroll_of(key) {
            self.screen.scroll(how);
            return Ok(Flow::Continue);
        }
        // The welcome and the pass banner stay until the learner does something.
        self.dismiss();
        let i = self.app.state.current;
        match key {
            Key::Quit => return Ok(Flow::Quit),
            Key::Hint => self.next_hint(i)?,
            Key::Run => self.start_check(),
            Key::List if self.screen.is_tty() => {
                self.list = Some(ListView {
                    selected: i,
                    pending_only: false,
                });
                self.draw_list()?;
            }
            Key::List => {
                let mut text = Vec::new();
                term::list(&mut text, &self.app.course, &self.app.state)?;
                self.show(String::from_utf8_lossy(&text).into_owned());
            }
            Key::Next if self.app.state.done[i] => self.move_to(None)?,
            Key::Next => {
                self.confirm = Some(Confirm::Skip);
                self.screen
                    .notice("This exercise is not done yet. Skip it? (y/n)".to_owned());
            }
            Key::CheckAll => self.check_all(false),
            Key::Reset => self.ask_reset(i),
            _ => {}
        }
        Ok(Flow::Continue)
    }

    /// Shows exercise `i`'s next hint, and keeps how many were shown.
    fn next_hint(&mut self, i: usize) -> Result<()> {
        let exercise = &self.app.course.exercises[i];
        let shown = self.app.state.hints[i]
            .saturating_add(1)
            .min(exercise.hints.len());
        let mut text = Vec::new();
        term::hint(&mut text, exercise, shown, HintAgain::Key)?;
        self.app.state.hints[i] = shown;
        // Saved before it is shown: a reader gone from stdout must not lose the level.
        let saved = self.app.state.save();
        self.screen
            .notice(String::from_utf8_lossy(&text).into_owned());
        saved
    }

    fn ask_reset(&mut self, i: usize) {
        self.confirm = Some(Confirm::Reset(i));
        let path = self.app.course.exercises[i].path.display().to_string();
        self.screen.notice(format!(
            "Restore {path} as shipped? Your version is kept as a backup. (y/n)"
        ));
    }

    /// Shows a verdict or a message as the main content (under the welcome, until the learner's
    /// first key or save), remembered for leaving the list.
    fn show(&mut self, text: String) {
        self.last_body.clone_from(&text);
        // The list stays open; the verdict is there on leaving it.
        if self.list.is_none() {
            let text = match &self.greeting {
                Some(greeting) => format!("{greeting}\n\n{text}"),
                None => text,
            };
            self.screen.body(text);
        }
    }

    /// Ends the welcome and the pass banner: the learner has pressed a key or saved.
    fn dismiss(&mut self) {
        self.screen.banner(String::new());
        if self.greeting.take().is_some() {
            let body = self.last_body.clone();
            self.show(body);
        }
    }

    fn current_path(&self) -> PathBuf {
        let exercise = &self.app.course.exercises[self.app.state.current];
        self.app.course.root.join(&exercise.path)
    }

    fn header(&mut self) {
        let exercise = &self.app.course.exercises[self.app.state.current];
        let (done, total) = (self.app.state.done_count(), self.app.course.exercises.len());
        self.screen
            .header(&self.app.course.root, exercise, done, total);
    }

    /// Makes `target` (or the next pending exercise) current and checks it.
    fn move_to(&mut self, target: Option<usize>) -> Result<()> {
        let i = self.app.state.current;
        let next = target
            .or_else(|| self.app.state.next_pending(i))
            .unwrap_or((i + 1) % self.app.course.exercises.len());
        self.app.state.current = next;
        self.header();
        self.start_check();
        self.app.state.save()
    }

    /// Restores the exercise as shipped. A reset that fails (the file cannot be backed up, the
    /// shipped version cannot be found) says why and changes nothing; the watch goes on.
    fn reset(&mut self, i: usize) -> Result<()> {
        let name = self.app.course.exercises[i].name.clone();
        let message = match self.app.reset_quietly(&name) {
            Ok(message) => message,
            Err(error) => {
                self.screen.notice(format!("error: {error:#}"));
                return Ok(());
            }
        };
        if self.list.is_some() {
            self.draw_list()?;
            self.screen.notice(message);
        } else {
            self.show(message);
            self.start_check();
        }
        Ok(())
    }
}
