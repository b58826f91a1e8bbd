//! verify: every exercise in one build, with a summary.

use crate::Fixture;

#[test]
fn verify_reports_every_exercise_and_records_progress() {
    let course = Fixture::new("basic");
    let out = course
        .cmd(&["verify"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    let verdict = |name: &str| {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no line for {name}:\n{out}"));
        line.split_whitespace().nth(2).unwrap().to_owned()
    };
    assert_eq!(verdict("passes"), "passed");
    assert_eq!(verdict("compile_error"), "compile");
    assert_eq!(verdict("fails_test"), "test");
    assert_eq!(verdict("hangs"), "timeout");
    assert_eq!(verdict("crashes"), "crash");
    assert_eq!(verdict("floods"), "test");
    assert_eq!(verdict("run_mode"), "run");
    assert!(out.contains("1 passed, 6 failed"), "{out}");
    // The first problem of each, in the learner's terms.
    assert!(
        out.contains("test tests::answer_is_42 failed: assertion `left == right` failed"),
        "{out}"
    );
    assert!(out.contains("crashed with SIGABRT"), "{out}");
    assert!(
        out.contains("test tests::prints_a_lot failed: the end of the flood"),
        "{out}"
    );
    assert!(out.contains("the program exited with status 3"), "{out}");
    assert!(course.state().contains("done = [\"passes\"]"));
}

#[test]
fn verify_solutions_all_pass() {
    let course = Fixture::new("basic");
    let out = course
        .cmd(&["verify", "--solutions", "--jobs", "2"])
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("7 passed, 0 failed")
    );
}

#[test]
fn verify_writes_junit_and_json() {
    let course = Fixture::new("basic");
    let out = course
        .cmd(&["verify", "--format", "junit"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8(out.stdout).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(
        (suite.attribute("tests"), suite.attribute("failures")),
        (Some("7"), Some("6"))
    );
    let failure = |name: &str| {
        let case = doc
            .descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap();
        case.children().find(|n| n.has_tag_name("failure"))
    };
    assert!(failure("passes").is_none());
    // A compile error takes no time to run: its time is its share of the compile.
    let time = |name: &str| -> f64 {
        doc.descendants()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .and_then(|n| n.attribute("time"))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(time("compile_error") > 0.0, "{xml}");
    let compile = failure("compile_error").unwrap();
    assert_eq!(compile.attribute("type"), Some("compile"));
    assert!(compile.attribute("message").unwrap().contains("E0308"));
    // The body holds the compiler's words, escaped, without colour codes.
    assert!(
        compile
            .text()
            .unwrap()
            .contains("expected `u32`, found future")
    );

    let out = course
        .cmd(&["verify", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (json["passed"].as_u64(), json["failed"].as_u64()),
        (Some(1), Some(6))
    );
    assert_eq!(json["exercises"][3]["verdict"], "timeout");
    assert_eq!(json["exercises"][1]["explanations"][0], "missing-await");
}
