use super::*;

const PASSED: &str = "
running 2 tests
test tests::the_send_line_is_written ... ok
test tests::the_lines_are_written_in_order ... ok

test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";

fn names(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[test]
fn every_expected_test_ok_is_a_pass() {
    let expected = names(&["the_send_line_is_written", "the_lines_are_written_in_order"]);
    assert_eq!(shortfall(&parse(PASSED), Some(&expected)), None);
    assert_eq!(shortfall(&parse(PASSED), None), None);
}

#[test]
fn a_should_panic_test_is_reported_by_its_name() {
    let output = "
running 1 test
test tests::panics - should panic ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s
";
    assert_eq!(shortfall(&parse(output), Some(&names(&["panics"]))), None);
}

#[test]
fn a_run_cut_short_has_no_summary() {
    let output = "\nrunning 2 tests\ntest tests::a ... ok\n";
    assert_eq!(shortfall(&parse(output), None), Some(Shortfall::NoSummary));
}

#[test]
fn a_missing_test_is_named() {
    let expected = names(&[
        "the_send_line_is_written",
        "the_lines_are_written_in_order",
        "nothing_is_written_early",
    ]);
    assert_eq!(
        shortfall(&parse(PASSED), Some(&expected)),
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
        shortfall(&parse(output), Some(&names(&["a", "b"]))),
        Some(Shortfall::Missing {
            missing: vec![],
            ignored: names(&["b"]),
        })
    );
    // Without an expected list, ignoring is still caught.
    assert!(matches!(
        shortfall(&parse(output), None),
        Some(Shortfall::Missing { .. })
    ));
}

#[test]
fn no_test_at_all_is_not_a_pass() {
    let output = "\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n";
    assert_eq!(shortfall(&parse(output), None), Some(Shortfall::NoTests));
    assert_eq!(
        shortfall(&parse(output), Some(&names(&["a"]))),
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
    assert_eq!(
        shortfall(&parse(output), None),
        Some(Shortfall::Inconsistent)
    );
}

#[test]
fn filtered_out_tests_are_not_a_pass() {
    let output = "
running 1 test
test tests::a ... ok

test result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 1 filtered out; finished in 0.00s
";
    assert_eq!(
        shortfall(&parse(output), None),
        Some(Shortfall::Inconsistent)
    );
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
