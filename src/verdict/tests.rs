use super::*;

/// The one-line summary of a failed run (verify, grade, `dev check`) quotes the named test's own
/// message, not the first panic printed: that may be another test's, or another thread's.
#[test]
fn a_failed_tests_summary_quotes_its_own_message() {
    let output = "
running 2 tests
test tests::late ... FAILED
test tests::early ... FAILED

failures:

---- tests::late stdout ----

thread 'tests::late' (28418) panicked at exercises/03_tasks/a.rs:74:29:
the report task was not done after 3 s of real time

---- tests::early stdout ----

thread 'tokio-rt-worker' (28420) panicked at exercises/03_tasks/a.rs:9:5:
task failed

thread 'tests::early' (28421) panicked at exercises/03_tasks/a.rs:30:5:
every task must succeed

failures:
    tests::early
    tests::late

test result: FAILED. 0 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 3.00s
";
    let mut report = Report::new();
    report.output = output.to_owned();
    report.verdict = Verdict::TestsFailed(vec!["tests::early".into(), "tests::late".into()]);
    assert_eq!(
        report.first_error().as_deref(),
        Some("test tests::early failed: every task must succeed")
    );
    // A test that failed without a panic of its own (a `should_panic` test that did not).
    report.verdict = Verdict::TestsFailed(vec!["tests::quiet".into()]);
    assert_eq!(
        report.first_error().as_deref(),
        Some("test tests::quiet failed")
    );
}
