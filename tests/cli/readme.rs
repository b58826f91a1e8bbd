//! The README's "On a fresh machine" block, followed literally on a fresh `git clone` of this
//! repository: the commands are read from the README, so the two cannot drift apart.
//!
//! The clone gets a target dir of its own, seeded with the compiled registry dependencies of this
//! run (tokio among them): cargo rebuilds only the clone's own packages, and Tokio is not built a
//! second time. The clone is of the committed tree (`HEAD`), as a new user gets it.

use std::{
    fs,
    path::{Path, PathBuf},
    process::{Command, Output},
};

const README: &str = include_str!("../../README.md");
const CI_SCRIPT: &str = include_str!("../../.ci/run");
/// The packages of this workspace: built from the clone, never copied from this run.
const OWN_PACKAGES: [&str; 3] = ["async-lings", "async_lings", "exercises"];

struct FreshMachine {
    clone: String,
    run: String,
    test: String,
}

/// The commands of the README's first `sh` block under "On a fresh machine", comments dropped.
fn fresh_machine() -> FreshMachine {
    let section = README
        .split("\n## On a fresh machine\n")
        .nth(1)
        .expect("the README has an \"On a fresh machine\" section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section has a ```sh block");
    let commands: Vec<String> = block
        .lines()
        .map(|line| line.split(" #").next().unwrap().trim().to_owned())
        .filter(|line| !line.is_empty())
        .collect();
    let find = |prefix: &str| {
        let found: Vec<&String> = commands.iter().filter(|c| c.starts_with(prefix)).collect();
        assert_eq!(found.len(), 1, "one `{prefix}` command in {commands:?}");
        found[0].clone()
    };
    assert_eq!(commands.len(), 3, "clone, start, test: {commands:?}");
    FreshMachine {
        clone: find("git clone "),
        run: find("cargo run"),
        test: find("cargo test"),
    }
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// This test run's target dir (integration tests are given `target/tmp`).
fn this_target() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Copies the compiled registry dependencies of this run into a new target dir.
fn seed_target(from: &Path, to: &Path) {
    let (from, to) = (from.join("debug"), to.join("debug"));
    let own = |name: &str| {
        OWN_PACKAGES
            .iter()
            .any(|p| name.starts_with(&format!("{p}-")))
            || name.starts_with("solutions-")
    };
    for dir in [".fingerprint", "build"] {
        for entry in fs::read_dir(from.join(dir)).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if !own(&name) {
                copy_tree(&entry.path(), &to.join(dir).join(&name));
            }
        }
    }
    // Libraries only: the executables there are this workspace's bins and test harnesses.
    fs::create_dir_all(to.join("deps")).unwrap();
    for entry in fs::read_dir(from.join("deps")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("lib") && !own(&name[3..]) {
            copy_tree(&entry.path(), &to.join("deps").join(&name));
        }
    }
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        // Another test's cargo may replace a file of the shared target dir meanwhile: one gone
        // is left out (cargo builds it again), anything else is a real failure.
        match fs::copy(from, to) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            copied => copied.map(drop).unwrap(),
        }
        // Cargo compares mtimes: the copy must look as old as what it was built from.
        let Ok(metadata) = fs::metadata(from) else {
            return;
        };
        let modified = metadata.modified().unwrap();
        fs::File::options()
            .write(true)
            .open(to)
            .unwrap()
            .set_modified(modified)
            .unwrap();
    }
}

fn sh(line: &str, dir: &Path, target: &Path) -> Output {
    Command::new("sh")
        .args(["-c", line])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env("NO_COLOR", "1")
        .env_remove("CARGO_TERM_COLOR")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn ci_runs_the_readme_test_command() {
    let readme = fresh_machine();
    assert!(
        CI_SCRIPT.lines().any(|line| line.trim() == readme.test),
        "the README's test command `{}` is not what .ci/run runs:\n{CI_SCRIPT}",
        readme.test
    );
}

#[test]
fn the_readme_commands_work_on_a_fresh_clone() {
    let readme = fresh_machine();
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("target");
    seed_target(&this_target(), &target);

    let source = repo().display().to_string();
    let clone_line = readme
        .clone
        .replace("<this repository>", &format!("'{source}'"));
    let (dir_name, _) = clone_line
        .rsplit_once(" && cd ")
        .map(|(clone, dir)| (dir.trim().to_owned(), clone))
        .expect("the clone line ends in `&& cd DIR`");
    let cloned = sh(&clone_line, tmp.path(), &target);
    assert!(cloned.status.success(), "{}", text(&cloned.stderr));
    let course = tmp.path().join(dir_name);

    // A learner's edit in the clone, made before the first build: it must not become "shipped".
    let info: toml::Table = fs::read_to_string(course.join("info.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let exercises = info["exercises"].as_array().unwrap();
    let (first, second) = (&exercises[0], &exercises[1]);
    let path_of = |e: &toml::Value| {
        format!(
            "exercises/{}/{}.rs",
            e["dir"].as_str().unwrap(),
            e["name"].as_str().unwrap()
        )
    };
    let edited = course.join(path_of(second));
    let shipped = fs::read_to_string(&edited).unwrap();
    fs::write(&edited, format!("{shipped}// the learner's edit\n")).unwrap();

    let started = sh(&readme.run, &course, &target);
    let (stdout, stderr) = (text(&started.stdout), text(&started.stderr));
    assert!(started.status.success(), "{stdout}\n{stderr}");
    assert!(
        !stderr.contains("Compiling tokio "),
        "Tokio was built a second time:\n{stderr}"
    );
    let name = first["name"].as_str().unwrap();
    assert!(
        stdout.contains(&path_of(first)) && stdout.contains(&format!("✗ {name}")),
        "`{}` did not show the first exercise's verdict:\n{stdout}\n{stderr}",
        readme.run
    );

    let first_hint = first["hints"][0].as_str().unwrap();
    for (command, expected) in [("list", name), ("hint", first_hint)] {
        let out = sh(&format!("{} -- {command}", readme.run), &course, &target);
        assert!(out.status.success(), "{command}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains(expected), "{command}");
    }
    let out = sh(&format!("{} -- init ../copy", readme.run), &course, &target);
    assert!(out.status.success(), "init: {}", text(&out.stderr));
    assert_eq!(
        fs::read_to_string(tmp.path().join("copy").join(path_of(second))).unwrap(),
        shipped,
        "`init` handed out the learner's edit as the shipped exercise"
    );
}

/// The README's table of the course counts each lesson's exercises as info.toml lists them.
#[test]
fn the_readme_counts_the_exercises_of_each_lesson() {
    let info: toml::Table = include_str!("../../info.toml").parse().unwrap();
    let mut listed = std::collections::BTreeMap::<String, usize>::new();
    for exercise in info["exercises"].as_array().unwrap() {
        let lesson = exercise["dir"].as_str().unwrap();
        *listed.entry(lesson[..2].to_string()).or_default() += 1;
    }
    let mut in_readme = std::collections::BTreeMap::new();
    let table = README
        .split("The course: ")
        .nth(1)
        .expect("the README has a \"The course: \" table");
    for row in table.lines().skip(4).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        for pair in [&cells[1..3], &cells[4..6]] {
            let count: usize = pair[1].parse().unwrap_or_else(|_| panic!("{row}"));
            in_readme.insert(pair[0][..2].to_string(), count);
        }
    }
    assert_eq!(
        in_readme, listed,
        "lesson -> exercises: README against info.toml"
    );
    let total: usize = listed.values().sum();
    assert!(
        table.starts_with(&format!("{total} exercises in {} lessons.", listed.len())),
        "the README's total is not {total} exercises in {} lessons",
        listed.len()
    );
}
