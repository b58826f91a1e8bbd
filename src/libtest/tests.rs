use super::*;

const PASSED: &str = "
running 2 tests
test tests::the_send_line_is_written ... ok
test tests::the_lines_are_written_in_order ... ok

test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";

/// `shortfall` where the harness's log agrees with what it printed.
fn judge(output: &str, expected: Option<&[String]>) -> Option<Shortfall> {
    let run = parse(output);
    shortfall(&run, &run.tests, expected)
}

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[test]
fn every_expected_test_ok_is_a_pass() {
    let expected = names(&["the_send_line_is_written", "the_lines_are_written_in_order"]);
    assert_eq!(judge(PASSED, Some(&expected)), None);
    assert_eq!(judge(PASSED, None), None);
}

#[test]
fn a_should_panic_test_is_reported_by_its_name() {
    let output = "
running 1 test
test tests::panics - should panic ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";
    assert_eq!(judge(output, Some(&names(&["panics"]))), None);
}

#[test]
fn a_run_cut_short_has_no_summary() {
    let output = "\nrunning 2 tests\ntest tests::a ... ok\n";
    assert_eq!(judge(output, None), Some(Shortfall::NoSummary));
}

#[test]
fn a_missing_test_is_named() {
    let expected = names(&[
        "the_send_line_is_written",
        "the_lines_are_written_in_order",
        "nothing_is_written_early",
    ]);
    assert_eq!(
        judge(PASSED, Some(&expected)),
        Some(Shortfall::Missing {
            missing: names(&["nothing_is_written_early"]),
            ignored: vec![],
        })
    );
}

#[test]
fn an_ignored_test_is_not_a_pass() {
    let output = "
running 2 tests
test tests::a ... ok
test tests::b ... ignored, flaky

test result: ok. 1 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s
";
    assert_eq!(
        judge(output, Some(&names(&["a", "b"]))),
        Some(Shortfall::Missing {
            missing: vec![],
            ignored: names(&["b"]),
        })
    );
    // Without an expected list, ignoring is still caught.
    assert!(matches!(
        judge(output, None),
        Some(Shortfall::Missing { .. })
    ));
}

#[test]
fn no_test_at_all_is_not_a_pass() {
    let output = "\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n";
    assert_eq!(judge(output, None), Some(Shortfall::NoTests));
    assert_eq!(
        judge(output, Some(&names(&["a"]))),
        Some(Shortfall::Missing {
            missing: names(&["a"]),
            ignored: vec![],
        })
    );
}

#[test]
fn a_printed_summary_must_agree_with_the_tests() {
    // A test printed a fake summary (to the real stdout) and the process exited 0 before the
    // harness wrote its own.
    let output = "
running 2 tests
test tests::a ... ok
test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";
    assert_eq!(judge(output, None), Some(Shortfall::Inconsistent));
}

#[test]
fn text_written_past_the_capture_between_a_test_and_its_result_is_skipped() {
    // The tested code wrote straight to stdout (`writeln!(std::io::stdout(), ..)`, which the
    // harness does not capture) between libtest's `test NAME ... ` and its `ok`.
    let output = "
running 2 tests
test tests::the_send_line_is_written ... loaded settings: theme=dark
and one line more
ok
test tests::the_lines_are_written_in_order ... ok

test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";
    let expected = names(&["the_send_line_is_written", "the_lines_are_written_in_order"]);
    assert_eq!(judge(output, Some(&expected)), None);
    // A result pushed to a later line is still the result: a failure stays a failure.
    let failed = output.replacen("\nok\n", "\nFAILED\n", 1);
    assert_eq!(judge(&failed, None), Some(Shortfall::Inconsistent));
    // A stray `ok` with no test waiting for it counts for nothing.
    let stray = PASSED.replace("running 2 tests", "running 2 tests\nok");
    assert_eq!(parse(&stray).tests, parse(PASSED).tests);
}

#[test]
fn filtered_out_tests_are_not_a_pass() {
    let output = "
running 1 test
test tests::a ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 1 filtered out; finished in 0.00s
";
    assert_eq!(judge(output, None), Some(Shortfall::Inconsistent));
}

#[test]
fn failures_give_each_tests_message_and_place() {
    let output = "
running 2 tests
test tests::a ... FAILED
test tests::b ... FAILED

failures:

---- tests::a stdout ----

thread 'tests::a' (13501) panicked at exercises/01_futures/lazy_future.rs:67:9:
assertion `left == right` failed: the log must hold 3 lines
  left: 2
 right: 3
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

---- tests::b stdout ----
printed by the test

thread 'tests::b' (13503) panicked at exercises/01_futures/lazy_future.rs:38:9:
the send line never reached the log

failures:
    tests::a
    tests::b

test result: FAILED. 0 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";
    let found = failures(output);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].name, "tests::a");
    assert_eq!(
        found[0].location.as_deref(),
        Some("exercises/01_futures/lazy_future.rs:67:9")
    );
    assert_eq!(
        found[0].message,
        [
            "assertion `left == right` failed: the log must hold 3 lines",
            "  left: 2",
            " right: 3"
        ]
    );
    assert_eq!(found[1].message, ["the send line never reached the log"]);
}

/// Two failing tests whose work also panicked on other threads (recorded from rc_across_await
/// and cut down); the summary in `verdict` reads it too.
const OTHER_THREADS: &str = include_str!("../../tests/fixtures/panics_on_other_threads.txt");

/// A test whose work panicked on other threads too (a blocking thread that used the runtime as
/// it shut down, printed after the test's own panic; a task's panic printed before it): the
/// test's own message is the one shown, whichever came last.
#[test]
fn a_tests_own_panic_wins_over_other_threads() {
    let found = failures(OTHER_THREADS);
    assert_eq!(found[0].name, "tests::early");
    assert_eq!(found[0].message, ["every task must succeed"]);
    assert_eq!(found[1].name, "tests::late");
    assert_eq!(
        found[1].location.as_deref(),
        Some("exercises/03_tasks/rc_across_await.rs:74:29")
    );
    assert_eq!(
        found[1].message,
        ["the report task was not done after 3 s of real time"]
    );
}

#[test]
fn the_log_is_read_line_by_line() {
    let log = "ok tests::a\nfailed tests::b\nignored: flaky one tests::c\nignored d\n";
    assert_eq!(
        parse_log(log),
        [
            ("tests::a".to_owned(), Outcome::Ok),
            ("tests::b".to_owned(), Outcome::Failed),
            ("tests::c".to_owned(), Outcome::Ignored),
            ("d".to_owned(), Outcome::Ignored),
        ]
    );
}

#[test]
fn results_printed_by_the_code_are_not_in_the_harness_log() {
    let expected = names(&["the_send_line_is_written", "the_lines_are_written_in_order"]);
    let run = parse(PASSED);
    // The code printed every line and exited before the harness logged anything.
    assert_eq!(
        shortfall(&run, &[], Some(&expected)),
        Some(Shortfall::Unconfirmed(names(&[
            "tests::the_send_line_is_written",
            "tests::the_lines_are_written_in_order"
        ])))
    );
    // One test really passed, the other was forged by it.
    let log = parse_log("ok tests::the_lines_are_written_in_order\n");
    assert_eq!(
        shortfall(&run, &log, Some(&expected)),
        Some(Shortfall::Unconfirmed(names(&[
            "tests::the_send_line_is_written"
        ])))
    );
    // A log that holds what stdout says is a pass.
    let log =
        parse_log("ok tests::the_lines_are_written_in_order\nok tests::the_send_line_is_written\n");
    assert_eq!(shortfall(&run, &log, Some(&expected)), None);
    // A failure in the log is never a pass.
    let log = parse_log(
        "ok tests::the_lines_are_written_in_order\nok tests::the_send_line_is_written\nfailed tests::x\n",
    );
    assert!(shortfall(&run, &log, Some(&expected)).is_some());
}

/// Output cut past the cap lost one test's line: the log has it, and the summary adds up with it.
#[test]
fn a_cut_output_takes_the_lines_it_lost_from_the_log() {
    let expected = names(&["the_send_line_is_written", "the_lines_are_written_in_order"]);
    let output = PASSED.replace("test tests::the_send_line_is_written ... ok\n", "");
    let both =
        parse_log("ok tests::the_lines_are_written_in_order\nok tests::the_send_line_is_written\n");
    let mut run = parse(&output);
    assert_eq!(
        shortfall(&run, &both, Some(&expected)),
        Some(Shortfall::Inconsistent),
        "a whole output that lacks a line does not add up"
    );
    run.cut = true;
    assert_eq!(shortfall(&run, &both, Some(&expected)), None);
    // What the log lacks is still missing, and a failure in it is never a pass.
    let one = parse_log("ok tests::the_lines_are_written_in_order\n");
    assert!(shortfall(&run, &one, Some(&expected)).is_some());
    let failed = parse_log(
        "ok tests::the_lines_are_written_in_order\nfailed tests::the_send_line_is_written\n",
    );
    assert!(shortfall(&run, &failed, Some(&expected)).is_some());
}

#[test]
fn a_log_file_is_fresh_each_time_and_removed_when_dropped() {
    let (a, b) = (LogFile::new().unwrap(), LogFile::new().unwrap());
    assert_ne!(a.path(), b.path());
    assert!(a.path().starts_with(std::env::temp_dir()));
    let path = a.path().to_owned();
    assert!(path.is_file());
    assert_eq!(a.read(), []);
    drop(a);
    assert!(!path.exists());
}

#[test]
fn the_deprecation_warning_of_logfile_is_not_shown() {
    let merged = format!("warning: `--logfile` is deprecated{PASSED}");
    assert_eq!(without_logfile_warning(merged), PASSED);
    assert_eq!(without_logfile_warning(PASSED.to_owned()), PASSED);
}

/// On every platform (Windows cannot ask whether a process exists): a run's log untouched for
/// longer than any run can last is removed; a recent one, and a file that is not a run's log, stay.
#[test]
fn a_log_file_older_than_any_run_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    // PID 1 always exists on Unix, so only the age can condemn these.
    let old = dir.path().join("async-lings-1-0-1-00000000000000ff.log");
    let recent = dir.path().join("async-lings-1-0-2-00000000000000ff.log");
    let other = dir.path().join("async-lings-notes.log");
    let two_days_ago = SystemTime::now() - 2 * STALE_AFTER;
    for (path, modified) in [
        (&old, two_days_ago),
        (&recent, SystemTime::now()),
        (&other, two_days_ago),
    ] {
        fs::File::create(path)
            .unwrap()
            .set_modified(modified)
            .unwrap();
    }
    remove_stale_logs(dir.path());
    assert!(!old.exists(), "a log older than any run was kept");
    assert!(recent.exists(), "a recent log was removed");
    assert!(other.exists(), "a file that is not a run's log was removed");
}

/// A test's message that itself says "panicked at" (joinset_collect_all's, about the task that
/// overflowed, printed after that task's own panic on the same thread) is its message, not a
/// second panic's header: the message was lost before.
#[test]
fn a_message_that_says_panicked_at_is_kept() {
    let output = "failures:

---- tests::a stdout ----

thread 'tests::a' (4968) panicked at exercises/03_tasks/joinset_collect_all.rs:5:46:
attempt to multiply with overflow
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

thread 'tests::a' (4968) panicked at exercises/03_tasks/joinset_collect_all.rs:939:9:
square_all returned []: the task for u64::MAX panicked at once


failures:
    tests::a
";
    let found = failures(output);
    assert_eq!(
        found[0].location.as_deref(),
        Some("exercises/03_tasks/joinset_collect_all.rs:939:9")
    );
    assert_eq!(
        found[0].message,
        ["square_all returned []: the task for u64::MAX panicked at once"]
    );
}

/// A failing test that printed its message and no panic (task_panic_joinerror's, recorded
/// against a `run_jobs` that replaced the panic hook, which silenced the test's own panic too):
/// what it printed is the message, with no place.
#[test]
fn a_failure_with_no_panic_printed_shows_what_the_test_printed() {
    let output = "\
failures:

---- tests::the_panic_reaches_the_join_handle stdout ----
run_jobs replaced the panic hook (std::panic::set_hook) while its jobs ran


failures:
    tests::the_panic_reaches_the_join_handle

test result: FAILED. 9 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.02s
";
    let found = failures(output);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].location, None);
    assert_eq!(
        found[0].message,
        ["run_jobs replaced the panic hook (std::panic::set_hook) while its jobs ran"]
    );
}
