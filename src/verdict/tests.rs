use super::*;

/// The one-line summary of a failed run (verify, grade, `dev check`) quotes the named test's own
/// message, not the first panic printed: that may be another test's, or another thread's.
#[test]
fn a_failed_tests_summary_quotes_its_own_message() {
    let mut report = Report::new();
    report.output = include_str!("../../tests/fixtures/panics_on_other_threads.txt").to_owned();
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
