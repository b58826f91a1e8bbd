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

/// The verdict kinds of `verify --format json`, by exercise.
fn verdicts(course: &Fixture, args: &[&str]) -> Vec<(String, String)> {
    let out = course.cmd(args).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let field = |k: &str| e[k].as_str().unwrap().to_owned();
            (field("name"), field("verdict"))
        })
        .collect()
}

/// Each shipped exercise breaks one of rustlings' rules (its `main` must run, deny-level lints
/// fail, `strict_clippy` denies every warning, `panic = "abort"` is a panic and not a crash), and
/// is judged as rustlings 6.5 judges it; every solution passes.
#[test]
fn a_rustlings_course_is_judged_by_rustlings_rules() {
    let course = Fixture::new("rustlings_rules");
    let expected = [
        ("intro1", "passed"),
        ("add_numbers", "test"),
        ("main_panics", "run"),
        ("approx_pi", "clippy"),
        ("forget_it", "clippy"),
        ("unwrap_none", "run"),
        ("strict_return", "clippy"),
        ("hello_output", "run"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    assert_eq!(verdicts(&course, &["verify", "--format", "json"]), expected);
    let solved = verdicts(&course, &["verify", "--solutions", "--format", "json"]);
    assert!(solved.iter().all(|(_, v)| v == "passed"), "{solved:?}");

    // The tests pass, `main` panics: not done, and the panic is shown.
    course
        .cmd(&["run", "main_panics"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "✗ main_panics: the program panicked",
        ))
        .stdout(predicate::str::contains("index out of bounds"));
    // `panic = "abort"` ends a panic in an abort: still the panic it is, with its message.
    course
        .cmd(&["run", "unwrap_none"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "✗ unwrap_none: the program panicked",
        ))
        .stdout(predicate::str::contains(
            "called `Option::unwrap()` on a `None` value",
        ))
        .stdout(predicate::str::contains("crashed").not());
    // A lint at deny level fails without `strict_clippy`, the course's own `[lints]` included.
    course
        .cmd(&["run", "approx_pi"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("clippy found problems"))
        .stdout(predicate::str::contains("approx_constant"));
    course
        .cmd(&["run", "forget_it"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("mem_forget"));
}

/// A pass shows what the program printed, as rustlings does.
#[test]
fn a_pass_shows_the_programs_output() {
    let course = Fixture::new("rustlings_rules");
    course.write(
        "exercises/01_rules/hello_output.rs",
        &course.read("solutions/01_rules/hello_output.rs"),
    );
    course
        .cmd(&["run", "hello_output"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("✓ hello_output passed"))
        .stdout(predicate::str::contains(
            "The program printed:\nHello world!",
        ));
}

/// Rustlings judges the tests and the program, not the warnings: a future dropped unawaited,
/// which an async-lings course refuses (`integrity.rs`), passes in a rustlings course.
#[test]
fn a_future_never_awaited_is_left_to_the_warning() {
    let course = Fixture::new("rustlings_rules");
    let solved = course.read("solutions/01_rules/add_numbers.rs").replace(
        "    a + b\n}",
        "    nothing();\n    a + b\n}\n\nasync fn nothing() {}",
    );
    course.write("exercises/01_rules/add_numbers.rs", &solved);
    course
        .cmd(&["run", "add_numbers"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("✓ add_numbers passed"))
        .stdout(predicate::str::contains(
            "futures do nothing unless you `.await`",
        ));
}

/// Rustlings has no timeout: a correct solution that takes longer than async-lings' own default
/// of 10 s still passes in a rustlings course.
#[test]
fn a_slow_correct_solution_passes() {
    let course = Fixture::new("rustlings_rules");
    let solution = course.read("solutions/01_rules/add_numbers.rs");
    let slow = solution.replace(
        "fn main() {",
        "fn main() {\n    std::thread::sleep(std::time::Duration::from_secs(11));",
    );
    assert_ne!(slow, solution);
    course.write("exercises/01_rules/add_numbers.rs", &slow);
    course
        .cmd(&["run", "add_numbers"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("✓ add_numbers passed"));
}

/// `dev check` applies rustlings' own `dev check` rules, in rustlings' words.
#[test]
fn dev_check_enforces_rustlings_rules() {
    let course = Fixture::new("rustlings_rules");
    course.cmd(&["dev", "check"]).assert().code(0);

    let add = "exercises/01_rules/add_numbers.rs";
    let shipped = course.read(add);
    course.write(
        add,
        &shipped
            .replace("// TODO", "// NOTE")
            .replace("fn main()", "fn start()"),
    );
    let hello = "exercises/01_rules/hello_output.rs";
    let with_test = format!("{}\n#[test]\nfn stray() {{}}\n", course.read(hello));
    course.write(hello, &with_test);
    course.write("exercises/01_rules/notes.txt", "scratch");
    let manifest = course.read("Cargo.toml");
    let swapped = manifest.replacen(
        "  { name = \"intro1\", path = \"exercises/00_intro/intro1.rs\" },\n  { name = \"intro1_sol\", path = \"solutions/00_intro/intro1.rs\" },\n",
        "  { name = \"intro1_sol\", path = \"solutions/00_intro/intro1.rs\" },\n  { name = \"intro1\", path = \"exercises/00_intro/intro1.rs\" },\n",
        1,
    );
    assert_ne!(swapped, manifest);
    course.write("Cargo.toml", &swapped);

    let out = course.cmd(&["dev", "check"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for expected in [
        // Whole, though longer than any column: output to a pipe is never cut.
        "has no `// TODO` comment: add one where the learner should start",
        "has no `fn main()`",
        "has `#[test]` functions, but `hello_output` has `test = false`",
        "exercises/01_rules/notes.txt belongs to no exercise",
        "the `bin` list in Cargo.toml is out of date or out of order",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
    // No rule of async-lings' own format is mentioned: rustlings courses do not have them.
    for foreign in ["[[bin]]", "hints", "// Tests:", "fails ="] {
        assert!(!text.contains(foreign), "{foreign:?} in:\n{text}");
    }

    // `dev update` puts the list back in order and keeps the comment above it.
    course.write(
        "Cargo.toml",
        &format!("# The bin list is written by dev update.\n{swapped}"),
    );
    course.cmd(&["dev", "update"]).assert().code(0);
    let updated = course.read("Cargo.toml");
    assert!(
        updated.starts_with("# The bin list is written by dev update.\nbin = [\n"),
        "{updated}"
    );
    assert_eq!(
        updated.replace("# The bin list is written by dev update.\n", ""),
        manifest
    );
}

/// `list` sizes its columns to the longest name, so that every path starts in one column.
#[test]
fn list_columns_fit_the_longest_name() {
    let course = Fixture::new("rustlings_rules");
    // Rustlings allows names of up to 32 characters: longer than a fixed column of 28.
    let long = "hello_output_with_a_longer_name";
    for side in ["exercises", "solutions"] {
        let from = course
            .path()
            .join(format!("{side}/01_rules/hello_output.rs"));
        std::fs::rename(
            from,
            course.path().join(format!("{side}/01_rules/{long}.rs")),
        )
        .unwrap();
    }
    for file in ["info.toml", "Cargo.toml"] {
        course.write(file, &course.read(file).replace("hello_output", long));
    }
    let out = course.cmd(&["list"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let starts: Vec<usize> = text
        .lines()
        .filter_map(|line| line.find("exercises/"))
        .collect();
    assert_eq!(starts.len(), 8, "{text}");
    assert!(starts.iter().all(|&at| at == starts[0]), "{text}");
}
