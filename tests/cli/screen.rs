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
    /// terminal.
    fn start(course: &Fixture, cols: u16, rows: u16) -> Self {
        let bin = assert_cmd::cargo::cargo_bin("async-lings");
        let mut command = Command::new("sh");
        command
            .args([
                "-c",
                &format!("echo 'typed before the watch'; exec '{}'", bin.display()),
            ])
            .current_dir(course.path())
            .env("NO_COLOR", "1");
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
    for row in 0..term.rows() {
        assert!(
            term.row(row).chars().count() <= usize::from(cols),
            "row {row} overflows"
        );
    }

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
