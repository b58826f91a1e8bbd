//! Watch mode's screen. In a terminal: raw mode, redrawn whole on every change (progress, the
//! exercise with a clickable path, the verdict, the hint, a status line, the key help). Elsewhere
//! (CI, pipes): plain lines, each printed once, no escape codes.

use std::{
    io::{self, IsTerminal, Write},
    path::Path,
    time::Duration,
};

use colored::Colorize;
use crossterm::{
    cursor,
    terminal::{self, ClearType},
};

use super::{color_enabled, neutralise, progress_bar, seconds};
use crate::{check::Phase, course::Exercise};

const KEYS: &str = "h hint · r re-run · l list · n next · c check all · x reset · q quit";

pub struct Screen {
    tty: bool,
    /// Where plain mode writes its lines: stdout (a buffer in tests).
    out: Box<dyn Write>,
    /// Plain mode's reader went away (`async-lings watch | head -1`): nothing more is written.
    closed: bool,
    /// The title: progress and the current exercise.
    header: String,
    /// The main content: a verdict or the list.
    body: String,
    /// Below the body: a hint, a question, a message.
    notice: String,
    /// What is running right now, if anything.
    status: String,
    /// Plain mode prints each phase of a check once.
    printed: Option<Phase>,
}

impl Screen {
    /// Takes over the terminal if both ends are one; `restore` (also run on drop and on panic)
    /// gives it back.
    pub fn new() -> io::Result<Self> {
        let tty = io::stdin().is_terminal() && io::stdout().is_terminal();
        if tty {
            terminal::enable_raw_mode()?;
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore_terminal();
                previous(info);
            }));
        }
        let mut screen = Screen::plain(Box::new(io::stdout()));
        screen.tty = tty;
        if !tty {
            screen.line(&format!(
                "async-lings is watching. Commands, one per line: {KEYS}"
            ));
        }
        Ok(screen)
    }

    /// Plain lines written to `out`, whatever stdout is.
    pub fn plain(out: Box<dyn Write>) -> Self {
        Screen {
            tty: false,
            out,
            closed: false,
            header: String::new(),
            body: String::new(),
            notice: String::new(),
            status: String::new(),
            printed: None,
        }
    }

    /// Whether the reader of plain mode's lines has gone away.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// One plain-mode line. A failed write (the reader closed the pipe) is not a panic: the
    /// session sees `is_closed` and quits.
    fn line(&mut self, text: &str) {
        if self.closed {
            return;
        }
        let written = writeln!(self.out, "{text}").and_then(|()| self.out.flush());
        self.closed = written.is_err();
    }

    pub fn is_tty(&self) -> bool {
        self.tty
    }

    pub fn header(&mut self, root: &Path, exercise: &Exercise, done: usize, total: usize) {
        let path = exercise.path.display().to_string();
        let link = if self.tty && color_enabled() {
            // OSC 8: terminals that know it make the path clickable.
            let url = format!("file://{}", root.join(&exercise.path).display());
            format!("\x1b]8;;{url}\x1b\\{path}\x1b]8;;\x1b\\")
        } else {
            path.clone()
        };
        let lesson = exercise.lesson();
        let title = if lesson.is_empty() {
            exercise.name.bold().to_string()
        } else {
            format!("{lesson} / {}", exercise.name.bold())
        };
        self.header = format!("{}\n{title}  {link}", progress_bar(done, total, 40));
        if !self.tty {
            self.line(&format!(
                "\n== {} ({path}), {done}/{total} done",
                exercise.name
            ));
        }
    }

    /// The main content. Like a notice, it may hold text from outside (test output, file names):
    /// it is neutralised here, so that nothing shown can switch the terminal's modes.
    pub fn body(&mut self, text: String) {
        let text = neutralise(&text, color_enabled());
        if !self.tty {
            self.line(text.trim_end());
        }
        self.body = text;
        self.notice.clear();
        self.clear_status();
        self.draw();
    }

    pub fn notice(&mut self, text: String) {
        let text = neutralise(&text, color_enabled());
        if !self.tty {
            self.line(text.trim_end());
        }
        self.notice = text;
        self.draw();
    }

    /// The running check's phase. Plain mode prints each phase once; a terminal shows the time
    /// and, on a first build, how many crates cargo has built.
    pub fn status(&mut self, name: &str, phase: Phase, crates: usize, elapsed: Option<Duration>) {
        let doing = match phase {
            Phase::Compiling => "compiling",
            Phase::Testing => "running the tests of",
            Phase::Running => "running",
            Phase::Clippy => "running clippy on",
        };
        if !self.tty {
            if self.printed != Some(phase) {
                self.printed = Some(phase);
                self.line(&format!("{doing} {name}..."));
            }
            return;
        }
        let time = elapsed
            .map(|e| format!(" {}", seconds_tenths(e)))
            .unwrap_or_default();
        let crates = match (phase, crates) {
            (Phase::Compiling, n) if n > 0 => format!(" ({n} crates built)"),
            _ => String::new(),
        };
        self.status = format!("{doing} {name}...{time}{crates}")
            .yellow()
            .to_string();
        self.draw();
    }

    pub fn clear_status(&mut self) {
        self.status.clear();
        self.printed = None;
    }

    fn draw(&self) {
        if !self.tty {
            return;
        }
        let mut frame = String::new();
        frame.push_str(&self.header);
        frame.push_str("\n\n");
        frame.push_str(self.body.trim_end());
        if !self.notice.is_empty() {
            frame.push_str("\n\n");
            frame.push_str(self.notice.trim_end());
        }
        frame.push_str("\n\n");
        if !self.status.is_empty() {
            frame.push_str(&self.status);
            frame.push('\n');
        }
        frame.push_str(&KEYS.dimmed().to_string());
        // Raw mode: a line feed does not return the carriage.
        let frame = frame.replace('\n', "\r\n");
        let mut out = io::stdout().lock();
        let _ = crossterm::queue!(
            out,
            terminal::Clear(ClearType::All),
            terminal::Clear(ClearType::Purge),
            cursor::MoveTo(0, 0)
        );
        let _ = out.write_all(frame.as_bytes());
        let _ = out.flush();
    }

    pub fn restore(&mut self) {
        if self.tty {
            restore_terminal();
            let _ = writeln!(io::stdout());
            self.tty = false;
        }
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        self.restore();
    }
}

fn restore_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = crossterm::execute!(io::stdout(), cursor::Show);
}

fn seconds_tenths(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        seconds(d)
    }
}
