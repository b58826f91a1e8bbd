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

/// A program that printed "panicked at" before it really panicked: the summary quotes the panic's
/// message, found by its `thread '..' panicked at` header, not the line after the printed text.
#[test]
fn a_programs_panic_is_found_by_its_header() {
    let mut report = Report::new();
    report.output = "the worker panicked at noon\nretrying\n\nthread 'main' (7) panicked at \
                     src/main.rs:3:5:\nno more retries\n"
        .to_owned();
    report.verdict = Verdict::Panicked;
    assert_eq!(
        report.first_error().as_deref(),
        Some("the program panicked: no more retries")
    );
}
