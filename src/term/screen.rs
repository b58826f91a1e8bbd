//! Watch mode's screen. In a terminal: the alternate screen (the learner's scrollback is left
//! alone and comes back on quitting), in raw mode, fitted to the terminal's size: the header
//! (progress, the exercise with a clickable path) and a pass banner pinned at the top, the status
//! line and the keys pinned at the bottom, and the verdict between them, scrolled with the arrow
//! keys. Only the rows that changed are written, inside a synchronized update, so nothing
//! flickers and a status tick rewrites one row. Elsewhere (CI, pipes): plain lines, each printed
//! once, no escape codes.

use std::{
    io::{self, IsTerminal, Write},
    path::Path,
    time::Duration,
};

use colored::Colorize;
use crossterm::{
    cursor, queue,
    style::Print,
    terminal::{self, ClearType},
};

use super::{
    color_enabled,
    layout::{self, Viewport},
    neutralise, progress_bar, seconds,
};
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
    /// Under the title until the learner's next key or save: e.g. the exercise just passed.
    banner: String,
    /// The main content: a verdict or the list.
    body: String,
    /// Below the body: a hint, a question, a message.
    notice: String,
    /// What is running right now, if anything.
    status: String,
    /// Plain mode prints each phase of a check once.
    printed: Option<Phase>,
    /// The first line of the middle (notice and body) on screen.
    scroll: usize,
    /// The rows on screen now, and the size they were drawn for: only changes are written.
    drawn: Vec<String>,
    drawn_size: (u16, u16),
    /// How many rows the middle had on screen, for paging.
    page: usize,
}

/// A scroll key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
}

impl Screen {
    /// Takes over the terminal if both ends are one; `restore` (also run on drop and on panic)
    /// gives it back.
    pub fn new() -> io::Result<Self> {
        let tty = io::stdin().is_terminal() && io::stdout().is_terminal();
        if tty {
            terminal::enable_raw_mode()?;
            crossterm::execute!(io::stdout(), terminal::EnterAlternateScreen, cursor::Hide)?;
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
            banner: String::new(),
            body: String::new(),
            notice: String::new(),
            status: String::new(),
            printed: None,
            scroll: 0,
            drawn: Vec::new(),
            drawn_size: (0, 0),
            page: 1,
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
            let url = file_url(&root.join(&exercise.path));
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
        self.scroll = 0;
        self.clear_status();
        self.draw();
    }

    /// A line or two pinned under the header, until replaced or cleared (with "").
    pub fn banner(&mut self, text: String) {
        if text == self.banner {
            return;
        }
        if !self.tty && !text.is_empty() {
            self.line(text.trim_end());
        }
        self.banner = text;
        self.draw();
    }

    /// Moves the middle of the screen.
    pub fn scroll(&mut self, how: Scroll) {
        let page = self.page.max(1);
        self.scroll = match how {
            Scroll::Up => self.scroll.saturating_sub(1),
            Scroll::Down => self.scroll + 1,
            Scroll::PageUp => self.scroll.saturating_sub(page),
            Scroll::PageDown => self.scroll + page,
            Scroll::Home => 0,
            // Clamped to the last page when drawn.
            Scroll::End => usize::MAX,
        };
        self.draw();
    }

    /// The terminal changed size: everything is drawn again.
    pub fn resized(&mut self) {
        self.drawn.clear();
        self.draw();
    }

    pub fn notice(&mut self, text: String) {
        let text = neutralise(&text, color_enabled());
        if !self.tty {
            self.line(text.trim_end());
        }
        self.notice = text;
        self.scroll = 0;
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
            (Phase::Compiling, 1) => " (1 crate built)".to_owned(),
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

    fn draw(&mut self) {
        if !self.tty {
            return;
        }
        let size = terminal::size().unwrap_or((80, 24));
        let (cols, rows) = (usize::from(size.0).max(1), usize::from(size.1).max(1));
        let mut top = format!("{}\n", self.header);
        if !self.banner.is_empty() {
            top.push_str(&format!("{}\n", self.banner.trim_end()));
        }
        let mut middle = String::new();
        if !self.notice.is_empty() {
            middle.push_str(self.notice.trim_end());
            middle.push_str("\n\n");
        }
        middle.push_str(self.body.trim_end());
        let status = self.status.clone();
        let bottom = |view: &Viewport| {
            let first = if !status.is_empty() {
                status.clone()
            } else if view.scrolls() {
                format!(
                    "↑/↓ PgUp/PgDn Home/End scroll · lines {}-{} of {}",
                    view.first + 1,
                    view.first + view.shown,
                    view.total
                )
                .dimmed()
                .to_string()
            } else {
                String::new()
            };
            format!("{first}\n{}", KEYS.dimmed())
        };
        let (lines, view) = layout::frame((cols, rows), &top, &middle, &bottom, &mut self.scroll);
        self.page = view.rows;
        self.paint(size, lines);
    }

    /// Writes the rows that differ from what is on screen.
    fn paint(&mut self, size: (u16, u16), lines: Vec<String>) {
        let full = size != self.drawn_size || self.drawn.len() != lines.len();
        let mut out = io::stdout().lock();
        let _ = queue!(out, terminal::BeginSynchronizedUpdate);
        if full {
            let _ = queue!(out, terminal::Clear(ClearType::All));
        }
        for (row, line) in lines.iter().enumerate() {
            if !full && self.drawn.get(row) == Some(line) {
                continue;
            }
            let row = u16::try_from(row).unwrap_or(u16::MAX);
            let _ = queue!(out, cursor::MoveTo(0, row), Print(line));
            // A full row leaves the cursor past its end: clearing there could erase its last cell.
            if layout::width(line) < usize::from(size.0) {
                let _ = queue!(out, terminal::Clear(ClearType::UntilNewLine));
            }
        }
        let _ = queue!(out, terminal::EndSynchronizedUpdate);
        let _ = out.flush();
        self.drawn = lines;
        self.drawn_size = size;
    }

    pub fn restore(&mut self) {
        if self.tty {
            restore_terminal();
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
    let _ = crossterm::execute!(io::stdout(), terminal::LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
}

fn seconds_tenths(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{}ms", d.as_millis())
    } else {
        seconds(d)
    }
}

/// A `file://` URL for a path, as terminals expect it for an OSC 8 link: forward slashes, a
/// leading `/` before a Windows drive (`file:///C:/...`), and spaces and other unsafe bytes
/// percent-encoded.
pub fn file_url(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let text = text.strip_prefix("//?/").unwrap_or(&text);
    let mut url = String::from("file://");
    if !text.starts_with('/') {
        url.push('/');
    }
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' | b':' => {
                url.push(char::from(byte))
            }
            _ => url.push_str(&format!("%{byte:02X}")),
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::file_url;

    #[test]
    fn file_urls_are_what_terminals_expect_on_each_platform() {
        assert_eq!(
            file_url(Path::new("/home/ann/my course/a.rs")),
            "file:///home/ann/my%20course/a.rs"
        );
        assert_eq!(
            file_url(Path::new(r"C:\Users\ann\course\a.rs")),
            "file:///C:/Users/ann/course/a.rs"
        );
        assert_eq!(
            file_url(Path::new(r"\\?\C:\course\a.rs")),
            "file:///C:/course/a.rs"
        );
    }
}
