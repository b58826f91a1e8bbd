//! The loop's transitions, driven with events made by hand: which results are stale is decided
//! here, and a real process cannot time a result to land inside a microsecond window.

use std::{
    fs,
    io::Write,
    path::Path,
    sync::{Arc, Mutex},
};

use anyhow::anyhow;
use tokio::sync::mpsc::unbounded_channel;

use super::*;
use crate::{
    course::{Course, Files},
    process::Cancel,
    verdict::{Report, Verdict},
};

/// What the session printed (plain mode).
#[derive(Clone, Default)]
struct Output(Arc<Mutex<Vec<u8>>>);

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Output {
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &to.join(entry.file_name()));
        } else {
            fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Runs `test` on a session over a copy of the basic fixture course, inside a runtime (the
/// session spawns its grace timers there). A check it starts fails at once: no bin is known.
fn with_session(test: impl FnOnce(&mut Session<'_>, &Output)) {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/basic");
    copy_dir(&fixtures, dir.path());
    let course = Course::load(dir.path(), Files::MayBeMissing).unwrap();
    let mut app = App::new(course, Cancel::default()).unwrap();
    // The checks these tests start are never waited for: no cargo needed (wine has none).
    let workspace = Arc::new(Workspace::without_bins());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (tx, _rx) = unbounded_channel();
        let out = Output::default();
        let options = Options {
            manual_run: false,
            manual_next: true,
        };
        let screen = Screen::plain(Box::new(out.clone()));
        let mut session = Session::new(&mut app, workspace, options, tx, screen);
        test(&mut session, &out);
        session.stop_run();
    });
}

/// Pretends a check of the current exercise is in flight, as `start_check` leaves it.
fn check_in_flight(session: &mut Session<'_>) -> Cancel {
    session.invalidate();
    let cancel = Cancel::default();
    let current = session.app.state.current;
    session.in_flight = Some(InFlight::new(
        cancel.clone(),
        &session.app.course,
        [current],
    ));
    cancel
}

/// Hands `event` to the loop, which must go on.
fn step(session: &mut Session<'_>, event: Event) {
    let flow = session.handle(event).unwrap();
    assert!(matches!(flow, Flow::Continue), "the watch ended");
}

fn failed() -> Report {
    let mut report = Report::new();
    report.verdict = Verdict::TestsFailed(vec!["tests::answer_is_42".to_owned()]);
    report
}

#[test]
fn a_stale_check_all_is_dropped_and_the_fresh_check_goes_on() {
    with_session(|session, out| {
        // `c` started a check of every exercise (run 1); `r` overtook it (run 2).
        let all = session.app.course.exercises.len();
        session.invalidate();
        let stale = session.run;
        let fresh = check_in_flight(session);
        let passed = vec![Report::new(); all];
        step(
            session,
            Event::AllChecked {
                run: stale,
                result: Ok(passed),
            },
        );
        assert!(!fresh.is_cancelled(), "the fresh check was cancelled");
        assert_eq!(
            session.app.state.done,
            vec![false; all],
            "stale passes recorded"
        );
        // A stale error is dropped as well: it does not end the watch, nor show.
        step(
            session,
            Event::AllChecked {
                run: stale,
                result: Err(anyhow!("cargo went away")),
            },
        );
        assert_eq!(out.take(), "");
        // The fresh check's verdict is the one shown.
        let run = session.run;
        step(
            session,
            Event::RunFinished {
                run,
                result: Ok(failed()),
            },
        );
        assert!(out.take().contains("✗ passes: 1 test failed"));
    });
}

#[test]
fn an_error_in_the_latest_check_all_is_shown_and_nothing_is_recorded() {
    with_session(|session, out| {
        session.app.state.done[1] = true;
        session.invalidate();
        let run = session.run;
        step(
            session,
            Event::AllChecked {
                run,
                result: Err(anyhow!("no [[bin]] named `x`")),
            },
        );
        let shown = out.take();
        assert!(
            shown.contains("error: checking every exercise failed: no [[bin]] named `x`"),
            "{shown}"
        );
        assert!(session.app.state.done[1], "progress erased by an error");
    });
}

#[test]
fn a_save_voids_the_check_in_flight_at_once() {
    with_session(|session, out| {
        let cancel = check_in_flight(session);
        let run = session.run;
        let current = session.current_path();
        // The save's event arrives, then, within the grace, the verdict of the old content.
        step(session, Event::FileChanged(current));
        assert!(
            cancel.is_cancelled(),
            "the check of the old content runs on"
        );
        step(
            session,
            Event::RunFinished {
                run,
                result: Ok(Report::new()),
            },
        );
        assert_eq!(out.take(), "", "a verdict for the old content was shown");
        assert!(!session.app.state.done[0], "the stale pass was recorded");
    });
}

#[test]
fn a_verdict_for_content_saved_over_before_its_event_arrives_is_not_shown() {
    with_session(|session, out| {
        check_in_flight(session);
        let run = session.run;
        // Saved over, but the file event is not here yet when the verdict arrives.
        let current = session.current_path();
        fs::write(&current, "fn main() { broken }").unwrap();
        step(
            session,
            Event::RunFinished {
                run,
                result: Ok(Report::new()),
            },
        );
        assert!(!out.take().contains("passed"), "the stale pass was shown");
        assert!(!session.app.state.done[0], "the stale pass was recorded");
        assert!(session.run > run, "the content on disk is checked instead");
    });
}
