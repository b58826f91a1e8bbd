//! The watch loop's state and its one `match`.

use std::{path::PathBuf, process::ExitCode, sync::Arc, time::Instant};

use anyhow::Result;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

use super::{Event, GRACE, Key, Options, sources, spawn_check, spawn_check_all};
use crate::{
    cargo::Workspace,
    check::Phase,
    commands::App,
    process::Cancel,
    state::Moved,
    term::{self, Screen},
    verdict::{Report, Verdict},
};

mod list;

use list::ListView;

const NO_WATCHER: &str = "The file watcher does not work here, so saves are not seen.
Restart with `async-lings watch --manual-run` and press `r` to check after each save.";

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

struct InFlight {
    cancel: Cancel,
    phase: Phase,
    /// Crates built so far by this check's cargo.
    crates: usize,
    started: Instant,
}

impl InFlight {
    fn new(cancel: Cancel) -> Self {
        InFlight {
            cancel,
            phase: Phase::Compiling,
            crates: 0,
            started: Instant::now(),
        }
    }
}

pub struct Session<'a> {
    app: &'a mut App,
    workspace: Arc<Workspace>,
    options: Options,
    tx: UnboundedSender<Event>,
    screen: Screen,
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
    /// After the last exercise, the final verify shows the final message.
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
        let (tx, mut rx) = unbounded_channel();
        let screen = Screen::new()?;
        let interrupt = tx.clone();
        app.cancel.on_cancel(move || {
            let _ = interrupt.send(Event::Interrupted);
        });
        sources::read_keys(screen.is_tty(), tx.clone());
        let _watcher = if options.manual_run {
            None
        } else {
            let dir = app.course.root.join("exercises");
            sources::watch_files(&dir, tx.clone()).ok()
        };
        let watching = options.manual_run || _watcher.is_some();
        let mut session = Session {
            app,
            workspace,
            options,
            tx,
            screen,
            saves: 0,
            run: 0,
            in_flight: None,
            confirm: None,
            list: None,
            greeting: None,
            last_body: String::new(),
            finishing: false,
            input_closed: false,
        };
        session.start()?;
        if !watching {
            session.screen.notice(NO_WATCHER.to_owned());
        }
        while let Some(event) = rx.recv().await {
            match session.handle(event)? {
                Flow::Continue => {}
                Flow::Quit => break,
            }
        }
        session.stop_run();
        session.screen.restore();
        Ok(ExitCode::SUCCESS)
    }

    fn start(&mut self) -> Result<()> {
        self.header();
        if !self.app.state.welcomed {
            self.app.state.welcomed = true;
            self.app.state.save()?;
            let welcome = self.app.course.welcome_message.trim().to_owned();
            if !welcome.is_empty() {
                self.show(welcome.clone());
                // In a terminal the first verdict redraws the screen: keep the welcome above it.
                if self.screen.is_tty() {
                    self.greeting = Some(welcome);
                }
            }
        }
        self.start_check();
        Ok(())
    }

    fn handle(&mut self, event: Event) -> Result<Flow> {
        match event {
            Event::FileChanged(path) => {
                if path == self.current_path() {
                    self.saves += 1;
                    let (tx, save) = (self.tx.clone(), self.saves);
                    tokio::spawn(async move {
                        tokio::time::sleep(GRACE).await;
                        let _ = tx.send(Event::Settled(save));
                    });
                }
            }
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
            Event::RunFinished { run, result } => {
                // A verdict for content that has been saved over since is never shown.
                if run == self.run {
                    self.stop_run();
                    match result {
                        Ok(report) => self.verdict(report)?,
                        Err(error) => self.show(format!("error: {error:#}")),
                    }
                    return Ok(self.after_verdict());
                }
            }
            Event::AllChecked(result) => {
                self.all_checked(result)?;
                return Ok(self.after_verdict());
            }
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
        let i = self.app.state.current;
        match key {
            Key::Quit => return Ok(Flow::Quit),
            Key::Hint => {
                let exercise = &self.app.course.exercises[i];
                let shown = (self.app.state.hints[i] + 1).min(exercise.hints.len());
                self.app.state.hints[i] = shown;
                self.app.state.save()?;
                let mut text = Vec::new();
                term::hint(&mut text, exercise, shown)?;
                self.screen
                    .notice(String::from_utf8_lossy(&text).into_owned());
            }
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
            Key::CheckAll => self.check_all(),
            Key::Reset => self.ask_reset(i),
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn ask_reset(&mut self, i: usize) {
        self.confirm = Some(Confirm::Reset(i));
        let path = self.app.course.exercises[i].path.display().to_string();
        self.screen.notice(format!(
            "Restore {path} as shipped? Your version is kept as a backup. (y/n)"
        ));
    }

    /// Shows a verdict or a message as the main content, remembered for leaving the list.
    fn show(&mut self, text: String) {
        let text = match self.greeting.take() {
            Some(greeting) => format!("{greeting}\n\n{text}"),
            None => text,
        };
        self.last_body.clone_from(&text);
        // The list stays open; the verdict is there on leaving it.
        if self.list.is_none() {
            self.screen.body(text);
        }
    }

    fn current_path(&self) -> PathBuf {
        let exercise = &self.app.course.exercises[self.app.state.current];
        self.app.course.root.join(&exercise.path)
    }

    fn show_status(&mut self) {
        if let Some(flight) = &self.in_flight {
            let name = &self.app.course.exercises[self.app.state.current].name;
            let elapsed = self.screen.is_tty().then(|| flight.started.elapsed());
            self.screen
                .status(name, flight.phase, flight.crates, elapsed);
        }
    }

    fn header(&mut self) {
        let exercise = &self.app.course.exercises[self.app.state.current];
        let (done, total) = (self.app.state.done_count(), self.app.course.exercises.len());
        self.screen
            .header(&self.app.course.root, exercise, done, total);
    }

    /// Cancels the check in flight (killing its processes) and starts a new one.
    fn start_check(&mut self) {
        self.stop_run();
        self.run += 1;
        let exercise = self.app.course.exercises[self.app.state.current].clone();
        if !self.current_path().is_file() {
            self.show(format!(
                "{} is missing. Save it again, or press `x` to restore it as shipped.",
                exercise.path.display()
            ));
            return;
        }
        let cancel = Cancel::default();
        self.in_flight = Some(InFlight::new(cancel.clone()));
        if self.screen.is_tty() {
            self.tick(cancel.clone());
        }
        let root = self.app.course.root.clone();
        spawn_check(
            &self.tx,
            self.run,
            root,
            Arc::clone(&self.workspace),
            exercise,
            cancel,
        );
    }

    /// Redraws the elapsed time until the run ends; nothing ticks while idle.
    fn tick(&self, cancel: Cancel) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(std::time::Duration::from_millis(200));
            interval.tick().await;
            while !cancel.is_cancelled() {
                interval.tick().await;
                if tx.send(Event::Tick).is_err() {
                    return;
                }
            }
        });
    }

    fn stop_run(&mut self) {
        if let Some(flight) = self.in_flight.take() {
            flight.cancel.cancel();
        }
        self.screen.clear_status();
    }

    fn verdict(&mut self, report: Report) -> Result<()> {
        if report.verdict == Verdict::Cancelled {
            return Ok(());
        }
        let i = self.app.state.current;
        let exercise = self.app.course.exercises[i].clone();
        let mut text = Vec::new();
        term::report(&mut text, &exercise, &report)?;
        let mut text = String::from_utf8_lossy(&text).into_owned();
        let passed = report.verdict.passed();
        let moved = self.app.state.record(i, passed);
        if passed {
            text.push_str(&format!(
                "\nCompare with the instructor's solution: {}\n",
                exercise.solution_path.display()
            ));
        }
        match moved {
            Moved::To(_) if self.options.manual_next => {
                // `record` moved on; in manual mode the learner moves on with `n`.
                self.app.state.current = i;
                text.push_str("Press `n` for the next exercise.\n");
                self.show(text);
            }
            Moved::To(next) => {
                let name = self.app.course.exercises[next].name.clone();
                text.push_str(&format!("Moving on to {name}.\n"));
                self.show(text);
                self.header();
                self.start_check();
            }
            Moved::AllDone => {
                text.push_str("That was the last one. Checking every exercise...\n");
                self.show(text);
                self.finishing = true;
                self.check_all();
            }
            Moved::Stayed => self.show(text),
        }
        // Saved after the learner sees the verdict: the atomic write waits for the disk.
        self.app.state.save()
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

    fn reset(&mut self, i: usize) -> Result<()> {
        let name = self.app.course.exercises[i].name.clone();
        let message = self.app.reset_quietly(&name)?;
        if self.list.is_some() {
            self.draw_list()?;
            self.screen.notice(message);
        } else {
            self.show(message);
            self.start_check();
        }
        Ok(())
    }

    fn check_all(&mut self) {
        self.stop_run();
        self.screen.notice("Checking every exercise...".to_owned());
        let root = self.app.course.root.clone();
        let exercises = self.app.course.exercises.clone();
        let cancel = Cancel::default();
        self.in_flight = Some(InFlight::new(cancel.clone()));
        self.run += 1;
        spawn_check_all(
            &self.tx,
            root,
            Arc::clone(&self.workspace),
            exercises,
            cancel,
        );
    }

    fn all_checked(&mut self, result: Result<Vec<Report>>) -> Result<()> {
        let reports = result?;
        // Cancelled by a save or a key in the meantime: nothing to record.
        if reports.iter().any(|r| r.verdict == Verdict::Cancelled) {
            return Ok(());
        }
        self.stop_run();
        let mut lines = Vec::new();
        for (i, report) in reports.iter().enumerate() {
            self.app.state.done[i] = report.verdict.passed();
            let exercise = &self.app.course.exercises[i];
            lines.push(term::verdict_line(exercise, report));
        }
        self.app.state.save()?;
        let all = reports.iter().all(|r| r.verdict.passed());
        let mut text = lines.join("\n");
        if all && self.finishing {
            text.push_str("\n\n");
            text.push_str(self.app.course.final_message.trim());
        }
        self.finishing = false;
        self.header();
        self.show(text);
        Ok(())
    }
}
