//! What `run` and `hint` print outside the watch: in a terminal (a real pseudo-terminal), long
//! lines are broken at spaces to fit its width; in a pipe, each line stays whole.

use std::{io::Read, process::Command};

use expectrl::Session;
use predicates::prelude::*;

use crate::Fixture;

const WHY: &str = "why: Calling an async fn does not run it: it returns a future, a value that \
                   describes the work. Add `.await` after the call to run it and get its output.";

const LONG_HINT: &str = "Read the compiler's note under the error: it says where the future \
                         comes from, and its help line shows the one word that turns the future \
                         into the number the test wants.";

/// Everything `async-lings ARGS` prints in a `cols`-wide terminal, without colour.
fn in_a_terminal(course: &Fixture, args: &[&str], cols: u16) -> String {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("async-lings"));
    command
        .args(args)
        .current_dir(course.path())
        .env("NO_COLOR", "1");
    let mut session = Session::spawn(command).unwrap();
    session.get_process_mut().set_window_size(cols, 24).unwrap();
    let mut printed = Vec::new();
    // The read ends with an error (EIO) once the program has exited and the terminal is closed.
    let _ = session.read_to_end(&mut printed);
    String::from_utf8_lossy(&printed).replace("\r\n", "\n")
}

/// Each line fits in `cols` columns, and `text` is there, broken only at spaces.
fn fits_and_holds(printed: &str, cols: usize, text: &str) {
    for line in printed.lines() {
        assert!(
            line.chars().count() <= cols,
            "a line wider than the terminal's {cols} columns (the terminal breaks it \
             mid-word):\n{line}\n\nin:\n{printed}"
        );
    }
    let joined = printed.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        joined.contains(text),
        "`{text}` is not whole in:\n{printed}"
    );
}

#[test]
fn run_fits_its_why_line_to_the_terminal() {
    let course = Fixture::new("basic");
    let printed = in_a_terminal(&course, &["run", "compile_error"], 80);
    assert!(
        printed.contains("compile_error does not compile"),
        "{printed}"
    );
    fits_and_holds(&printed, 80, WHY);
}

#[test]
fn hint_fits_a_long_hint_to_the_terminal() {
    let course = Fixture::new("basic");
    let info = course.read("info.toml").replace(
        "hints = [\"the types differ\"]",
        &format!("hints = [\"{LONG_HINT}\"]"),
    );
    course.write("info.toml", &info);
    let printed = in_a_terminal(&course, &["hint", "compile_error"], 60);
    fits_and_holds(&printed, 60, &format!("Hint 1/1: {LONG_HINT}"));
}

#[test]
fn piped_output_keeps_each_line_whole() {
    let course = Fixture::new("basic");
    course
        .cmd(&["run", "compile_error"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(format!("\n{WHY}\n")));
}

/// An error with no `why:` line comes first in the file: the explained one leads, so that the
/// line stands under the error it explains, and the other follows.
#[test]
fn the_why_line_stands_under_the_error_it_explains() {
    let course = Fixture::new("basic");
    let path = "exercises/lesson/compile_error.rs";
    let source = course.read(path);
    let changed = source.replace(
        "    let a: u32 = answer();",
        "    let n: u8 = \"not a number\";\n    let a: u32 = answer();",
    );
    assert_ne!(changed, source);
    course.write(path, &changed);
    let output = course.cmd(&["run", "compile_error"]).output().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    let why = printed.find(WHY).expect("no why line");
    let explained = printed
        .find("let a: u32 = answer();")
        .expect("no explained error");
    let other = printed.find("compile_error.rs:7:").expect("no other error");
    let place = printed
        .find("compile_error.rs:8:")
        .expect("no place of the explained error");
    assert!(
        place < why && why < explained && explained < other,
        "the why line should come under the place of the error it explains, before that \
         error's source and the other error:\n{printed}"
    );
}

/// A crate the course does not have leads, though a later error has a `why:` line: the errors
/// after it often only follow from it. The `why:` line then comes after it, not under it.
#[test]
fn an_unresolved_crate_leads_and_the_why_line_is_not_under_it() {
    let course = Fixture::new("basic");
    let path = "exercises/lesson/compile_error.rs";
    let source = course.read(path);
    let changed = source.replace(
        "    let a: u32 = answer();",
        "    let a: u32 = answer();\n    async_helpers::settle();",
    );
    assert_ne!(changed, source);
    course.write(path, &changed);
    let output = course.cmd(&["run", "compile_error"]).output().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    let unresolved = printed.find("error[E0433]").expect("no unresolved crate");
    let explained = printed.find("error[E0308]").expect("no explained error");
    let why = printed.find(WHY).expect("no why line");
    assert!(
        unresolved < explained && unresolved < why,
        "the unresolved crate should lead, before the explained error and its why:\n{printed}"
    );
    let lead = &printed[unresolved..why.min(explained)];
    assert!(
        lead.contains("async_helpers"),
        "the lead should be the error about the crate:\n{printed}"
    );
}

/// One mistake made at many places (in the shipped courses: a signature that each of the tests'
/// ten calls trips over) is said once, with the places of the repeats under it, rather than a
/// screenful of copies.
#[test]
fn an_error_repeated_at_many_places_is_said_once_with_its_places() {
    let course = Fixture::new("basic");
    let path = "exercises/lesson/compile_error.rs";
    let source = course.read(path);
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    let more: String = names
        .iter()
        .map(|n| format!("    let {n}: u32 = answer();\n"))
        .collect();
    let changed = source.replace(
        "    let a: u32 = answer();\n    a * 2",
        &format!("    let a: u32 = answer();\n{more}    a * 2 + b + c + d + e + f + g + h + i"),
    );
    assert_ne!(changed, source);
    course.write(path, &changed);
    let output = course.cmd(&["run", "compile_error"]).output().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        printed.contains("does not compile: 9 errors"),
        "the verdict should count every error:\n{printed}"
    );
    assert_eq!(
        printed.matches("mismatched types").count(),
        1,
        "the same error should be shown once:\n{printed}"
    );
    let places = "The same error 8 more times, at lines 8, 9, 10, 11, 12, 13 and 2 more of \
                  exercises/lesson/compile_error.rs.";
    assert!(
        printed.contains(places),
        "the repeats' places should follow it:\n{printed}"
    );
    assert!(printed.contains(WHY), "no why line:\n{printed}");
}
