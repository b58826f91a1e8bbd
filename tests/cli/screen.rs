//! What the learner sees in watch mode, in a real pseudo-terminal read through a terminal emulator
//! (vt100): the screen fits the terminal, scrolls, keeps a pass in view, follows a resize, and
//! gives the learner's terminal back as it was.

use std::{
    io::{ErrorKind, Read},
    process::Command,
    thread,
    time::{Duration, Instant},
};

use expectrl::{Expect, Session};

use crate::Fixture;

const PATIENCE: Duration = Duration::from_secs(120);

/// A test that prints 60 numbered lines and fails, so that its verdict is longer than a screen.
const LONG_FAILURE: &str = r#"fn main() {}

#[cfg(test)]
mod tests {
    #[test]
    fn prints_sixty_lines() {
        for i in 1..=60 {
            println!("printed line {i}");
        }
        panic!("sixty lines and a panic");
    }
}
"#;

struct Terminal {
    session: expectrl::session::OsSession,
    screen: vt100::Parser,
}

impl Terminal {
    /// `async-lings` started by a shell that first prints a line of its own, in a `cols` x `rows`
    /// terminal, without colour.
    fn start(course: &Fixture, cols: u16, rows: u16) -> Self {
        Terminal::spawn(course, cols, rows, false)
    }

    /// The same with colour on, as in a learner's terminal: the text read back is the same, but
    /// the escapes that colour it take part in the layout.
    fn start_in_colour(course: &Fixture, cols: u16, rows: u16) -> Self {
        Terminal::spawn(course, cols, rows, true)
    }

    fn spawn(course: &Fixture, cols: u16, rows: u16, colour: bool) -> Self {
        let bin = assert_cmd::cargo::cargo_bin("async-lings");
        let mut command = Command::new("sh");
        command
            .args([
                "-c",
                &format!("echo 'typed before the watch'; exec '{}'", bin.display()),
            ])
            .current_dir(course.path());
        if colour {
            command.env_remove("NO_COLOR");
        } else {
            command.env("NO_COLOR", "1");
        }
        let mut session = Session::spawn(command).unwrap();
        session
            .get_process_mut()
            .set_window_size(cols, rows)
            .unwrap();
        Terminal {
            session,
            screen: vt100::Parser::new(rows, cols, 0),
        }
    }

    /// Reads what the program draws until the screen satisfies `done`.
    fn until(&mut self, what: &str, done: impl Fn(&vt100::Screen) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        let mut buf = [0u8; 8192];
        while !done(self.screen.screen()) {
            match self.session.try_read(&mut buf) {
                Ok(0) => break,
                Ok(n) => self.screen.process(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    thread::sleep(Duration::from_millis(10))
                }
                Err(_) => break,
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not on screen after {PATIENCE:?}:\n{}",
                self.screen.screen().contents()
            );
        }
        assert!(
            done(self.screen.screen()),
            "{what}:\n{}",
            self.screen.screen().contents()
        );
    }

    fn row(&self, row: u16) -> String {
        let (_, cols) = self.screen.screen().size();
        self.screen.screen().contents_between(row, 0, row, cols)
    }

    fn rows(&self) -> u16 {
        self.screen.screen().size().0
    }

    /// The first row that holds `text`.
    fn row_of(&self, text: &str) -> Option<u16> {
        (0..self.rows()).find(|&row| self.row(row).contains(text))
    }

    fn contents(&self) -> String {
        self.screen.screen().contents()
    }

    fn send(&mut self, keys: &str) {
        self.session.send(keys).unwrap();
    }

    fn resize(&mut self, cols: u16, rows: u16) {
        self.session
            .get_process_mut()
            .set_window_size(cols, rows)
            .unwrap();
        self.screen.screen_mut().set_size(rows, cols);
    }

    /// Quits and reads everything up to the end.
    fn quit(mut self) -> vt100::Parser {
        self.send("q");
        let mut rest = Vec::new();
        let _ = self.session.read_to_end(&mut rest);
        self.screen.process(&rest);
        self.screen
    }
}

fn pinned(term: &Terminal) {
    let last = term.rows() - 1;
    assert!(
        term.row(0).contains("1/7"),
        "progress on row 0:\n{}",
        term.screen.screen().contents()
    );
    assert!(
        term.row(1).contains("exercises/lesson/compile_error.rs"),
        "{}",
        term.row(1)
    );
    assert!(
        term.row(last).contains("q quit"),
        "keys on the last row: {}",
        term.row(last)
    );
}

/// No row was wider than the terminal: the emulator wraps a row only when the program writes past
/// its end.
fn fits(term: &Terminal) {
    let screen = term.screen.screen();
    for row in 0..term.rows() {
        assert!(
            !screen.row_wrapped(row),
            "row {row} overflows:\n{}",
            screen.contents()
        );
    }
}

/// Whether every row fits (see [`fits`]).
fn all_rows_fit(screen: &vt100::Screen) -> bool {
    (0..screen.size().0).all(|row| !screen.row_wrapped(row))
}

/// The lines of the verdict on screen and how many there are, from the scroll line
/// ("lines 3-19 of 80").
fn lines_shown(screen: &vt100::Screen) -> Option<(usize, usize, usize)> {
    let contents = screen.contents();
    let rest = contents.split("scroll · lines ").nth(1)?;
    let (range, rest) = rest.split_once(" of ")?;
    let (first, last) = range.split_once('-')?;
    let total: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((first.parse().ok()?, last.parse().ok()?, total.parse().ok()?))
}

fn watch_a_long_failure(cols: u16, rows: u16) {
    let course = Fixture::new("basic");
    course.write("exercises/lesson/compile_error.rs", LONG_FAILURE);
    let mut term = Terminal::start(&course, cols, rows);
    term.until("the verdict", |s| {
        s.contents().contains("compile_error: 1 test failed")
    });

    // The header and the keys stay put; the first exercise's pass stays in view.
    pinned(&term);
    assert!(
        term.row(2)
            .contains("✓ passes passed, compare with solutions/lesson/passes.rs")
    );
    let screen = term.screen.screen().contents();
    assert!(
        screen.contains("sixty lines and a panic"),
        "the failure leads:\n{screen}"
    );
    assert!(
        !screen.contains("printed line 60"),
        "a 60-line failure cannot fit:\n{screen}"
    );
    assert!(screen.contains("scroll · lines 1-"), "{screen}");
    fits(&term);

    // Scrolling (End, then a page up) reveals the rest, with the header and keys in place.
    term.send("\x1b[F");
    term.until("the end of the output", |s| {
        s.contents().contains("printed line 60")
    });
    pinned(&term);
    term.send("\x1b[5~");
    term.until("a page up", |s| !s.contents().contains("printed line 60"));
    pinned(&term);

    // A resize redraws everything to the new size.
    let (wide, tall) = (cols + 20, rows + 6);
    term.resize(wide, tall);
    term.until("the new size", |s| {
        s.contents_between(tall - 1, 0, tall - 1, wide)
            .contains("q quit")
    });
    pinned(&term);

    // Quitting gives the terminal back as it was: what was printed before is there again.
    let screen = term.quit();
    let after = screen.screen().contents();
    assert!(after.contains("typed before the watch"), "{after}");
    assert!(
        !after.contains("q quit"),
        "the watch screen stayed:\n{after}"
    );
}

#[test]
fn the_screen_fits_scrolls_and_keeps_a_pass_in_view_at_80x24() {
    watch_a_long_failure(80, 24);
}

#[test]
fn the_screen_fits_scrolls_and_keeps_a_pass_in_view_at_120x40() {
    watch_a_long_failure(120, 40);
}

const WELCOME: &str = "Welcome to the fixture course.";
const FIRST_PASS: &str = "✓ passes passed, compare with solutions/lesson/passes.rs";

/// The first exercise passes as shipped and the watch moves on to `compile_error`, which does not
/// compile: the welcome and the pass banner are both on screen.
fn watch_the_first_pass(course: &Fixture) -> Terminal {
    let mut term = Terminal::start(course, 80, 24);
    term.until("the second exercise's verdict", |s| {
        s.contents().contains("compile_error does not compile")
    });
    pinned(&term);
    assert!(term.row(2).contains(FIRST_PASS), "{}", term.contents());
    assert!(term.contents().contains(WELCOME), "{}", term.contents());
    term
}

#[test]
fn a_key_ends_the_welcome_and_the_pass_banner() {
    let course = Fixture::new("basic");
    // The banner also shows what the exercise taught, where info.toml says.
    let learned = "A passing test is a test that passes.";
    let info = course.read("info.toml").replace(
        "name = \"passes\"\n",
        &format!("name = \"passes\"\nlearned = \"{learned}\"\n"),
    );
    course.write("info.toml", &info);
    let mut term = watch_the_first_pass(&course);
    assert_eq!(term.row(3).trim_end(), format!("  {learned}"));
    term.send("h");
    term.until("the hint", |s| s.contents().contains("Hint 1/1"));
    let screen = term.contents();
    assert!(!screen.contains(WELCOME), "the welcome stayed:\n{screen}");
    assert!(
        !screen.contains("passes passed") && !screen.contains(learned),
        "the banner stayed:\n{screen}"
    );
    assert!(
        screen.contains("compile_error does not compile"),
        "{screen}"
    );
    pinned(&term);
    term.quit();
    assert!(
        course.state().contains("welcomed = true"),
        "the welcome shown in a terminal was not recorded as read:\n{}",
        course.state()
    );
}

#[test]
fn a_save_ends_the_welcome_and_the_pass_banner() {
    let course = Fixture::new("basic");
    let mut term = watch_the_first_pass(&course);

    // A save that still does not compile: the welcome and the banner go at once.
    let broken = course.read("exercises/lesson/compile_error.rs");
    course.write(
        "exercises/lesson/compile_error.rs",
        &format!("{broken}\n// saved\n"),
    );
    term.until("the welcome and the banner gone", |s| {
        let screen = s.contents();
        !screen.contains(WELCOME) && !screen.contains("passes passed")
    });
    term.until("the verdict again", |s| {
        s.contents().contains("compile_error does not compile")
    });
    assert!(!term.contents().contains(WELCOME), "{}", term.contents());

    // A pass puts up a new banner over the next exercise; saving that exercise ends it.
    course.write(
        "exercises/lesson/compile_error.rs",
        &course.read("solutions/lesson/compile_error.rs"),
    );
    let banner = "✓ compile_error passed, compare with solutions/lesson/compile_error.rs";
    term.until("the pass banner", |s| {
        s.contents().contains(banner) && s.contents().contains("fails_test: 1 test failed")
    });
    assert!(term.row(2).contains(banner), "{}", term.contents());
    let failing = course.read("exercises/lesson/fails_test.rs");
    course.write(
        "exercises/lesson/fails_test.rs",
        &format!("{failing}\n// saved\n"),
    );
    term.until("the banner gone", |s| !s.contents().contains(banner));
    term.until("the verdict again", |s| {
        s.contents().contains("fails_test: 1 test failed")
    });
    assert!(!term.contents().contains(banner), "{}", term.contents());
    term.quit();
}

#[test]
fn arrows_home_and_j_k_scroll_the_verdict() {
    let course = Fixture::new("basic");
    course.write("exercises/lesson/compile_error.rs", LONG_FAILURE);
    let mut term = Terminal::start(&course, 80, 24);
    term.until("the verdict", |s| {
        s.contents().contains("compile_error: 1 test failed") && lines_shown(s).is_some()
    });
    let (first, last, total) = lines_shown(term.screen.screen()).unwrap();
    assert_eq!(first, 1, "{}", term.contents());
    let page = last - first;
    for (keys, what, to) in [
        ("\x1b[B", "↓", 2),
        ("j", "j", 3),
        ("\x1b[A", "↑", 2),
        ("k", "k", 1),
        ("\x1b[F", "End", total - page),
        ("\x1b[H", "Home", 1),
    ] {
        term.send(keys);
        term.until(what, |s| lines_shown(s).is_some_and(|(f, _, _)| f == to));
        pinned(&term);
    }
    term.quit();
}

#[test]
fn a_shrinking_resize_redraws_to_fit() {
    let course = Fixture::new("basic");
    course.write("exercises/lesson/compile_error.rs", LONG_FAILURE);
    let mut term = Terminal::start(&course, 80, 24);
    term.until("the verdict", |s| {
        s.contents().contains("compile_error: 1 test failed")
    });
    term.resize(60, 15);
    term.until("the smaller screen", |s| {
        s.contents_between(14, 0, 14, 60).contains("q quit")
            && s.contents_between(0, 0, 0, 60).contains("1/7")
            && all_rows_fit(s)
    });
    pinned(&term);
    fits(&term);
    let screen = term.contents();
    assert!(screen.contains("sixty lines and a panic"), "{screen}");
    assert!(screen.contains("scroll · lines 1-"), "{screen}");
    term.quit();
}

/// A failing test whose name and place do not fit on one 80-column row, and whose message takes
/// two.
const LONG_MESSAGE: &str = r#"fn main() {}

#[cfg(test)]
mod tests {
    #[test]
    fn the_answer_is_computed_by_a_future_that_really_runs() {
        panic!("a message long enough to wrap at eighty columns: every word of it belongs to the failure, so its rows keep their indent");
    }
}
"#;

#[test]
fn a_failing_test_wraps_under_its_name_with_a_hanging_indent() {
    let course = Fixture::new("basic");
    course.write("exercises/lesson/compile_error.rs", LONG_MESSAGE);
    let mut term = Terminal::start(&course, 80, 24);
    term.until("the verdict", |s| {
        s.contents().contains("compile_error: 1 test failed")
    });
    let name = "✗ tests::the_answer_is_computed_by_a_future_that_really_runs";
    let at = term
        .row_of(name)
        .unwrap_or_else(|| panic!("{}", term.contents()));
    let rows: Vec<String> = (at + 1..at + 4).map(|row| term.row(row)).collect();
    let screen = term.contents();
    assert!(
        rows[0].starts_with("  (exercises/lesson/compile_error.rs:7:9)"),
        "the place hangs under the name:\n{screen}"
    );
    assert!(rows[1].starts_with("    a message long enough"), "{screen}");
    assert!(
        rows[2].starts_with("    ") && rows[2].trim_end().ends_with("keep their indent"),
        "the message's second row keeps its indent:\n{screen}"
    );
    fits(&term);
    term.quit();
}

#[test]
fn one_blank_line_between_a_hint_and_the_verdict_in_colour() {
    let course = Fixture::new("basic");
    let mut term = Terminal::start_in_colour(&course, 80, 24);
    term.until("the second exercise's verdict", |s| {
        s.contents().contains("compile_error does not compile")
    });
    term.send("h");
    term.until("the hint", |s| s.contents().contains("Hint 1/1"));
    let at = term.row_of("Hint 1/1: the types differ").unwrap();
    let screen = term.contents();
    assert_eq!(term.row(at + 1).trim(), "", "{screen}");
    assert!(
        term.row(at + 2)
            .contains("✗ compile_error does not compile"),
        "one blank line, then the verdict:\n{screen}"
    );
    term.quit();
}
