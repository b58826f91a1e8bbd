//! A course in the rustlings v6 format runs unchanged.

use predicates::prelude::*;

use crate::Fixture;

#[test]
fn rustlings_course_runs_and_verifies() {
    let course = Fixture::new("rustlings");
    course
        .cmd(&["run"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("1 test failed: tests::adds"));
    course
        .cmd(&["hint", "intro1"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("Hint 1/1: Make the test pass."));
    // `test = false`: the binary must exit 0.
    course
        .cmd(&["run", "intro2"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("the program exited with status 1"));
    course.cmd(&["verify", "--solutions"]).assert().code(0);
}
