use std::fs;

use super::{problems::line_col, *};

/// A course folder with `info` as its info.toml and every file it names present.
fn course_with(info: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(INFO_FILE), info).unwrap();
    for side in ["exercises", "solutions"] {
        fs::create_dir_all(dir.path().join(side).join("lesson")).unwrap();
        for name in ["a", "b"] {
            fs::write(
                dir.path()
                    .join(side)
                    .join("lesson")
                    .join(format!("{name}.rs")),
                "",
            )
            .unwrap();
        }
    }
    dir
}

fn load_err(info: &str) -> String {
    let dir = course_with(info);
    format!(
        "{:#}",
        Course::load(dir.path(), Files::MustExist).unwrap_err()
    )
}

const TWO: &str = r#"format_version = 2
welcome_message = "hi"

[[exercises]]
name = "a"
dir = "lesson"
fails = "compile"
errors = ["E0308"]
hints = ["one", "two"]
timeout = 3

[[exercises]]
name = "b"
dir = "lesson"
fails = "test"
mode = "run"
clippy = true
"#;

#[test]
fn reads_every_field() {
    let dir = course_with(TWO);
    let course = Course::load(dir.path(), Files::MustExist).unwrap();
    assert_eq!(course.format, Format::AsyncLings);
    assert_eq!(course.welcome_message, "hi");
    let [a, b] = &course.exercises[..] else {
        panic!("two exercises")
    };
    assert_eq!(a.path, Path::new("exercises/lesson/a.rs"));
    assert_eq!(a.solution_path, Path::new("solutions/lesson/a.rs"));
    assert_eq!(a.fails, Some(Fails::Compile));
    assert_eq!(a.errors, ["E0308"]);
    assert_eq!(a.timeout, Duration::from_secs(3));
    assert_eq!(a.hints, ["one", "two"]);
    assert_eq!((a.mode, a.clippy), (Mode::Test, Clippy::Off));
    assert_eq!(
        (b.mode, b.clippy, b.timeout),
        (Mode::Run, Clippy::Strict, DEFAULT_TIMEOUT)
    );
}

#[test]
fn reads_a_rustlings_course() {
    let dir = course_with(
        r#"format_version = 1

[[exercises]]
name = "a"
dir = "lesson"
hint = "look closer"

[[exercises]]
name = "b"
dir = "lesson"
test = false
strict_clippy = true
skip_check_unsolved = true
hint = ""
"#,
    );
    let course = Course::load(dir.path(), Files::MustExist).unwrap();
    assert_eq!(course.format, Format::Rustlings);
    let [a, b] = &course.exercises[..] else {
        panic!("two exercises")
    };
    // Rustlings' rules: `main` always runs and clippy always lints; the tests run unless
    // `test = false`; no timeout of ours cuts a slow correct solution short.
    assert_eq!(
        (a.mode, a.run_tests, a.clippy, a.fails, a.hints.clone()),
        (
            Mode::Run,
            true,
            Clippy::Deny,
            Some(Fails::Test),
            vec!["look closer".to_owned()]
        )
    );
    assert_eq!(
        (b.mode, b.run_tests, b.clippy, b.fails, b.hints.len()),
        (Mode::Run, false, Clippy::Strict, None, 0)
    );
    assert_eq!((a.rules, a.timeout), (Format::Rustlings, RUSTLINGS_TIMEOUT));
}

#[test]
fn syntax_error_names_line_and_column() {
    let err = load_err("format_version = 2\n[[exercises]\nname = \"a\"\n");
    assert!(err.contains("info.toml:2:"), "{err}");
    assert!(err.contains("fix:"), "{err}");
}

#[test]
fn unknown_field_is_refused_at_its_place() {
    let err = load_err(&TWO.replace("clippy = true", "clipy = true"));
    assert!(err.contains("unknown field `clipy`"), "{err}");
    assert!(err.contains("info.toml:17:1"), "{err}");
}

/// An info.toml saved with CRLF line endings (an editor on Windows, a checkout with autocrlf).
#[test]
fn crlf_line_endings_read_alike_and_place_errors_alike() {
    let crlf = TWO.replace('\n', "\r\n");
    let dir = course_with(&crlf);
    let course = Course::load(dir.path(), Files::MustExist).unwrap();
    assert_eq!(course.welcome_message, "hi");
    assert_eq!(course.exercises.len(), 2);
    let err = load_err(&crlf.replace("clippy = true", "clipy = true"));
    assert!(err.contains("info.toml:17:1"), "{err}");
}

#[test]
fn duplicate_names_are_refused() {
    let err = load_err(&TWO.replace("name = \"b\"", "name = \"a\""));
    assert!(err.contains("`a` is listed twice"), "{err}");
    assert!(err.contains("info.toml:13:8"), "{err}");
}

#[test]
fn names_must_be_identifiers() {
    let err = load_err(&TWO.replace("name = \"b\"", "name = \"b-2\""));
    assert!(err.contains("`b-2` is not a plain identifier"), "{err}");
    assert!(err.contains("`b_2`"), "{err}");
}

#[test]
fn dir_may_not_escape_the_course() {
    for bad in ["../lesson", "/etc", "lesson/../.."] {
        let err = load_err(&TWO.replacen("dir = \"lesson\"", &format!("dir = \"{bad}\""), 1));
        assert!(
            err.contains("is not a folder inside the course"),
            "{bad}: {err}"
        );
        assert!(err.contains("info.toml:6:7"), "{bad}: {err}");
    }
}

#[test]
fn missing_files_are_named() {
    let dir = course_with(TWO);
    fs::remove_file(dir.path().join("exercises/lesson/b.rs")).unwrap();
    fs::remove_file(dir.path().join("solutions/lesson/a.rs")).unwrap();
    let err = format!(
        "{:#}",
        Course::load(dir.path(), Files::MustExist).unwrap_err()
    );
    // In the platform's form: `exercises\lesson\b.rs` on Windows.
    let path = |parts: &[&str]| parts.iter().collect::<PathBuf>().display().to_string();
    let exercise = path(&["exercises", "lesson", "b.rs"]);
    assert!(
        err.contains(&format!("exercise file {exercise} is missing")),
        "{err}"
    );
    assert!(err.contains("async-lings reset b"), "{err}");
    let solution = path(&["solutions", "lesson", "a.rs"]);
    assert!(
        err.contains(&format!("solution file {solution} is missing")),
        "{err}"
    );
    // reset must still be able to load the course to restore the exercise file.
    fs::write(dir.path().join("solutions/lesson/a.rs"), "").unwrap();
    assert!(Course::load(dir.path(), Files::MayBeMissing).is_ok());
}

#[test]
fn empty_course_and_bad_values_are_refused() {
    assert!(load_err("format_version = 2\n").contains("the course has no exercises"));
    assert!(load_err("format_version = 7\n").contains("unknown format_version 7"));
    assert!(load_err("welcome_message = \"x\"\n").contains("missing `format_version`"));
    let err = load_err(&TWO.replace("fails = \"test\"", "fails = \"sometimes\""));
    assert!(err.contains("unknown variant `sometimes`"), "{err}");
    let err = load_err(&TWO.replace("timeout = 3", "timeout = 0"));
    assert!(err.contains("timeout of exercise `a` is 0"), "{err}");
    let err = load_err(&TWO.replace("fails = \"test\"\n", ""));
    assert!(err.contains("missing field `fails`"), "{err}");
}

#[test]
fn unknown_names_suggest_the_closest() {
    let dir = course_with(TWO);
    let course = Course::load(dir.path(), Files::MustExist).unwrap();
    let err = course.get("aa").unwrap_err().to_string();
    assert!(err.contains("did you mean `a`?"), "{err}");
    let err = course.get("zzzzzz").unwrap_err().to_string();
    assert!(err.contains("async-lings list"), "{err}");
}

#[test]
fn finds_the_root_above() {
    let dir = course_with(TWO);
    let deep = dir.path().join("exercises/lesson");
    assert_eq!(find_root(&deep).unwrap(), dir.path());
    let elsewhere = tempfile::tempdir().unwrap();
    assert!(
        find_root(elsewhere.path())
            .unwrap_err()
            .to_string()
            .contains("no info.toml")
    );
}

#[test]
fn line_col_counts_from_one() {
    assert_eq!(line_col("ab\ncd", 0), (1, 1));
    assert_eq!(line_col("ab\ncd", 4), (2, 2));
}

#[test]
fn a_timeout_too_long_to_count_is_refused_at_its_place() {
    let err = load_err(&TWO.replace("timeout = 3", "timeout = 9223372036854775807"));
    assert!(
        err.contains("timeout of exercise `a` is 9223372036854775807, not between 1 and 3600"),
        "{err}"
    );
    assert!(err.contains("info.toml:10:11"), "{err}");
    assert!(err.contains("fix: give the number of seconds"), "{err}");
    let dir = course_with(&TWO.replace("timeout = 3", "timeout = 3600"));
    let course = Course::load(dir.path(), Files::MustExist).unwrap();
    assert_eq!(course.exercises[0].timeout, Duration::from_secs(3600));
}

#[cfg(unix)]
#[test]
fn an_exercise_file_must_be_a_file_inside_the_course() {
    let dir = course_with(TWO);
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.rs");
    fs::write(&secret, "secret").unwrap();
    let a = dir.path().join("exercises/lesson/a.rs");
    fs::remove_file(&a).unwrap();
    std::os::unix::fs::symlink(&secret, &a).unwrap();
    let b = dir.path().join("exercises/lesson/b.rs");
    fs::remove_file(&b).unwrap();
    fs::create_dir(&b).unwrap();

    // The learner's commands load it and check the file they need.
    let course = Course::load(dir.path(), Files::MayBeMissing).unwrap();
    let [ea, eb] = &course.exercises[..] else {
        panic!("two exercises")
    };
    assert_eq!(
        course.file_state(ea),
        FileState::Outside(secret.canonicalize().unwrap())
    );
    let problem = course.file_problem(ea).unwrap();
    assert!(problem.contains("leads to") && problem.contains("outside the course"));
    assert!(problem.contains("async-lings reset a"), "{problem}");
    assert_eq!(course.file_state(eb), FileState::NotAFile);
    assert!(
        course
            .file_problem(eb)
            .unwrap()
            .contains("not a regular file")
    );

    // A link that stays inside the course is fine.
    fs::remove_file(&a).unwrap();
    std::os::unix::fs::symlink(dir.path().join("solutions/lesson/a.rs"), &a).unwrap();
    assert_eq!(course.file_state(ea), FileState::Present);
    fs::remove_file(&a).unwrap();
    assert_eq!(course.file_state(ea), FileState::Missing);

    // Instructors' commands refuse the course at load.
    std::os::unix::fs::symlink(&secret, &a).unwrap();
    let err = format!(
        "{:#}",
        Course::load(dir.path(), Files::MustExist).unwrap_err()
    );
    assert!(err.contains("outside the course"), "{err}");
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn compile_timeout_has_a_default_and_bounds() {
    let with = |value: &str| {
        TWO.replace(
            "timeout = 3",
            &format!("timeout = 3\ncompile_timeout = {value}"),
        )
    };
    let dir = course_with(&with("30"));
    let course = Course::load(dir.path(), Files::MustExist).unwrap();
    assert_eq!(course.exercises[0].compile_timeout, Duration::from_secs(30));
    assert_eq!(course.exercises[1].compile_timeout, DEFAULT_COMPILE_TIMEOUT);
    for bad in ["0", "901"] {
        let err = load_err(&with(bad));
        let what = format!("info.toml:11:19: compile_timeout of exercise `a` is {bad}");
        assert!(err.contains(&what), "{err}");
        assert!(err.contains("from 1 to 900 (default 120)"), "{err}");
    }
}
