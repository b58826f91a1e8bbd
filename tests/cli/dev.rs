//! dev check, dev update, dev new on fixture courses broken in one way each.

use serde_json::Value;

use crate::Fixture;

/// `dev check --format json`: the exit code and the parsed report.
fn check(course: &Fixture) -> (i32, Value) {
    let out = course
        .cmd(&["dev", "check", "--format", "json"])
        .output()
        .unwrap();
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), report)
}

/// `dev check --format junit`, as text for roxmltree to parse.
fn junit(course: &Fixture) -> String {
    let out = course
        .cmd(&["dev", "check", "--format", "junit"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn problems(report: &Value, name: &str) -> String {
    let exercise = report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap();
    exercise["problems"].to_string()
}

#[test]
fn a_sound_course_passes_and_reports_in_junit() {
    let course = Fixture::new("sound");
    let (code, report) = check(&course);
    assert_eq!(code, 0, "{report}");
    assert_eq!(
        (report["passed"].as_u64(), report["failed"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(report["exercises"][2]["verdict"], "timeout");
    assert!(report["exercises"][2]["duration_ms"].as_u64().unwrap() >= 2000);

    let xml = junit(&course);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("tests"), Some("3"));
    assert_eq!(suite.attribute("failures"), Some("0"));
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 3);
    assert_eq!(cases[0].attribute("name"), Some("missing_await"));
    assert_eq!(cases[0].attribute("classname"), Some("basics"));
    assert!(
        cases
            .iter()
            .all(|c| !c.children().any(|n| n.has_tag_name("failure")))
    );
}

#[test]
fn a_failing_solution_is_reported() {
    let course = Fixture::new("sound");
    let broken = course
        .read("solutions/basics/wrong_answer.rs")
        .replace("    42\n", "    43\n");
    course.write("solutions/basics/wrong_answer.rs", &broken);
    let (code, report) = check(&course);
    assert_eq!(code, 1);
    let found = problems(&report, "wrong_answer");
    assert!(
        found.contains("the solution solutions/basics/wrong_answer.rs does not pass (test)"),
        "{found}"
    );

    // JUnit shows it as a failure with the reason.
    let xml = junit(&course);
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some("wrong_answer"))
        .unwrap();
    let failure = case.children().find(|n| n.has_tag_name("failure")).unwrap();
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .contains("does not pass")
    );
}

/// A solution that passes only because its tests are weaker than the exercise's proves nothing.
#[test]
fn a_solution_whose_tests_differ_from_its_exercises_is_reported() {
    // Tests without a `// Tests:` marker: compared from `#[cfg(test)]` on.
    let course = Fixture::new("sound");
    let weakened = course.read("solutions/basics/wrong_answer.rs").replace(
        "assert_eq!(super::answer(), 42);",
        "assert!(super::answer() > 0);",
    );
    course.write("solutions/basics/wrong_answer.rs", &weakened);
    let (code, report) = check(&course);
    assert_eq!(code, 1);
    let found = problems(&report, "wrong_answer");
    assert!(
        found.contains(
            "the tests of solutions/basics/wrong_answer.rs differ from the exercise's at line 13 \
             (exercise: `assert_eq!(super::answer(), 42);`)"
        ),
        "{found}"
    );
    assert_eq!(problems(&report, "stuck"), "[]");

    // Tests below a marker: the solution is held to the shipped tests like a learner's file.
    let course = Fixture::new("marked");
    let weakened = course
        .read("solutions/lesson/counter.rs")
        .replace("assert_eq!(count(&[]), 0, \"no items\");", "");
    course.write("solutions/lesson/counter.rs", &weakened);
    let (code, report) = check(&course);
    assert_eq!(code, 1);
    let found = problems(&report, "counter");
    assert!(
        found.contains(
            "the solution solutions/lesson/counter.rs does not pass (tests-edited): the tests \
             were changed at line 20"
        ),
        "{found}"
    );
}

#[test]
fn an_exercise_that_already_passes_is_reported() {
    let course = Fixture::new("sound");
    course.write(
        "exercises/basics/wrong_answer.rs",
        &course.read("solutions/basics/wrong_answer.rs"),
    );
    let (code, report) = check(&course);
    assert_eq!(code, 1);
    let found = problems(&report, "wrong_answer");
    assert!(found.contains("already passes as shipped"), "{found}");
    assert!(found.contains("identical to the exercise"), "{found}");
}

#[test]
fn the_wrong_error_code_or_failure_kind_is_reported() {
    let course = Fixture::new("sound");
    let info = course.read("info.toml");
    course.write(
        "info.toml",
        &info
            .replace("errors = [\"E0308\"]", "errors = [\"E0599\"]")
            .replace("fails = \"timeout\"", "fails = \"test\""),
    );
    let (code, report) = check(&course);
    assert_eq!(code, 1);
    let found = problems(&report, "missing_await");
    assert!(
        found.contains("expected the error `E0599`, but the compiler said: E0308"),
        "{found}"
    );
    let found = problems(&report, "stuck");
    assert!(
        found.contains("declared `fails = \\\"test\\\"` but it fails with timeout"),
        "{found}"
    );
}

#[test]
fn a_stale_manifest_is_reported_and_dev_update_fixes_it() {
    let course = Fixture::new("sound");
    let manifest = course.read("exercises/Cargo.toml");
    let cut = manifest.find("[[bin]]\nname = \"stuck\"").unwrap();
    course.write(
        "exercises/Cargo.toml",
        &format!(
            "{}\n[[bin]]\nname = \"gone\"\npath = \"basics/stuck.rs\"\n",
            &manifest[..cut]
        ),
    );
    let (code, report) = check(&course);
    assert_eq!(code, 1);
    let course_problems = report["course_problems"].to_string();
    assert!(
        course_problems.contains("no [[bin]] `stuck`"),
        "{course_problems}"
    );
    assert!(
        course_problems.contains("stale [[bin]] `gone`"),
        "{course_problems}"
    );
    assert!(
        course_problems.contains("async-lings dev update"),
        "{course_problems}"
    );

    course
        .cmd(&["dev", "update"])
        .assert()
        .code(0)
        .stdout("Updated the bin lists of the manifests.\n");
    assert_eq!(
        course.read("exercises/Cargo.toml"),
        manifest,
        "dev update restores the bin list"
    );
    course
        .cmd(&["dev", "update"])
        .assert()
        .code(0)
        .stdout("The bin lists of the manifests are up to date.\n");
    assert_eq!(check(&course).0, 0);
}

#[test]
fn an_orphan_file_and_a_missing_hint_are_reported() {
    let course = Fixture::new("sound");
    course.write("exercises/basics/forgotten.rs", "fn main() {}\n");
    course.write(
        "info.toml",
        &course
            .read("info.toml")
            .replace("hints = [\"42\"]", "hints = []"),
    );
    let (code, report) = check(&course);
    assert_eq!(code, 1);
    let course_problems = report["course_problems"].to_string();
    assert!(
        course_problems.contains("orphan file exercises/basics/forgotten.rs"),
        "{course_problems}"
    );
    assert!(problems(&report, "wrong_answer").contains("no hints"));
}

#[test]
fn only_checks_one_exercise() {
    let course = Fixture::new("sound");
    let (code, report) = check_only(&course, "wrong_answer");
    assert_eq!(code, 0);
    assert_eq!(report["exercises"].as_array().unwrap().len(), 1);
}

fn check_only(course: &Fixture, name: &str) -> (i32, Value) {
    let out = course
        .cmd(&["dev", "check", "--only", name, "--format", "json"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

#[test]
fn dev_new_scaffolds_an_exercise_whose_tests_attributes_are_the_exercise() {
    let course = Fixture::new("sound");
    let args = ["dev", "new", "fix_attrs", "--lesson", "testing"];
    course
        .cmd(&[&args[..], &["--tests", "attributes"]].concat())
        .assert()
        .code(0);
    let info = course.read("info.toml");
    assert!(
        info.contains(
            "name = \"fix_attrs\"\ndir = \"testing\"\nfails = \"test\"\ntests = \"attributes\""
        ),
        "{info}"
    );
    let exercise = course.read("exercises/testing/fix_attrs.rs");
    assert!(
        exercise.contains("// Tests: in this lesson, fix the attributes"),
        "{exercise}"
    );
    // The course still loads: `tests` is a known field.
    course.cmd(&["list"]).assert().code(0);
}

#[test]
fn dev_new_scaffolds_an_exercise() {
    let course = Fixture::new("sound");
    course
        .cmd(&[
            "dev",
            "new",
            "join_two",
            "--lesson",
            "concurrency",
            "--fails",
            "compile:E0308",
        ])
        .assert()
        .code(0);
    let info = course.read("info.toml");
    assert!(
        info.contains(
            "name = \"join_two\"\ndir = \"concurrency\"\nfails = \"compile\"\nerrors = [\"E0308\"]"
        ),
        "{info}"
    );
    assert!(
        course
            .read("exercises/concurrency/join_two.rs")
            .contains("// Tests: do not edit below this line.")
    );
    assert!(
        course
            .path()
            .join("solutions/concurrency/join_two.rs")
            .is_file()
    );
    assert!(
        course
            .read("exercises/Cargo.toml")
            .contains("name = \"join_two\"\npath = \"concurrency/join_two.rs\"")
    );
    assert!(
        course
            .read("solutions/Cargo.toml")
            .contains("name = \"join_two_sol\"")
    );
    course
        .cmd(&["list"])
        .assert()
        .code(0)
        .stdout(predicates::str::contains("join_two"));
    // Bad input is refused without writing anything.
    course
        .cmd(&["dev", "new", "join_two", "--lesson", "x"])
        .assert()
        .code(2);
    course
        .cmd(&["dev", "new", "bad-name", "--lesson", "x"])
        .assert()
        .code(2);
    course
        .cmd(&[
            "dev",
            "new",
            "other",
            "--lesson",
            "x",
            "--fails",
            "sometimes",
        ])
        .assert()
        .code(2);
    assert!(!course.path().join("exercises/x").exists());
}

#[test]
fn a_rustlings_course_passes_dev_check() {
    let course = Fixture::new("rustlings");
    let (code, report) = check(&course);
    assert_eq!(code, 0, "{report}");
}
