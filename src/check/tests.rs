use std::sync::{Arc, Mutex};

use super::{
    compile::crate_counter,
    run::{failed, failed_tests},
    *,
};
use crate::libtest::Shortfall;

#[test]
fn counts_crates_from_cargo_json_lines() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let on_line = crate_counter(
        Arc::new(move |p: Progress| sink.lock().unwrap().push(p.crates)),
        1,
    );
    on_line(br#"{"reason":"compiler-artifact","target":{"name":"pin_project_lite"}}"#);
    on_line(br#"{"reason":"compiler-message","message":{}}"#);
    on_line(br#"{"reason":"compiler-artifact","target":{"name":"tokio"}}"#);
    assert_eq!(*seen.lock().unwrap(), [1, 2]);
}

#[test]
fn failing_test_names_come_from_the_libtest_summary() {
    let output = "running 3 tests\ntest tests::a ... ok\ntest tests::b ... FAILED\ntest tests::c ... FAILED\n";
    assert_eq!(failed_tests(output), ["tests::b", "tests::c"]);
}

#[test]
fn failing_tests_are_named_in_a_stable_order_whatever_order_they_finished_in() {
    let output = "running 3 tests\ntest tests::c ... FAILED\ntest tests::a ... ok\ntest tests::b ... FAILED\n";
    assert_eq!(failed_tests(output), ["tests::b", "tests::c"]);
    let sections = "---- tests::c stdout ----\nthread 'tests::c' panicked at src/x.rs:9:5:\nc broke\n\n---- tests::b stdout ----\nthread 'tests::b' panicked at src/x.rs:3:5:\nb broke\n\nfailures:\n";
    let names: Vec<String> = crate::libtest::failures(sections)
        .into_iter()
        .map(|f| f.name)
        .collect();
    assert_eq!(names, ["tests::b", "tests::c"]);
}

#[test]
fn a_failing_exit_with_no_failed_test_and_no_summary_is_a_run_cut_short() {
    let cut = "running 2 tests\ntest tests::a ... ok\n";
    assert!(matches!(
        failed(cut),
        Verdict::TestsIncomplete(Shortfall::NoSummary)
    ));
    let failing = "running 2 tests\ntest tests::a ... ok\ntest tests::b ... FAILED\n";
    assert!(matches!(failed(failing), Verdict::TestsFailed(names) if names == ["tests::b"]));
    let summed = "running 0 tests\n\ntest result: FAILED. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n";
    assert!(matches!(failed(summed), Verdict::TestsFailed(names) if names.is_empty()));
}
