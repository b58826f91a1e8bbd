//! The real course, proved through the tool's own commands: every exercise fails as declared and
//! every solution passes (dev check), and the async explanations appear on real compiler output.

use std::{collections::HashSet, path::Path};

use serde_json::Value;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn json(output: &[u8]) -> Value {
    serde_json::from_slice(output)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", String::from_utf8_lossy(output)))
}

/// `dev check` and `verify` on a fresh `init` copy of the course (the committed one): a learner's
/// progress in a clone of this repository never fails `cargo test`. The copy shares this run's
/// target dir, so Tokio is not built again; its exercises are built once, for the copy.
#[test]
fn the_course_is_sound_and_a_fresh_copy_fails_everywhere_with_async_explanations() {
    let dir = tempfile::tempdir().unwrap();
    let course = dir.path().join("course");
    let bin = assert_cmd::cargo::cargo_bin("async-lings");
    assert_cmd::Command::new(&bin)
        .arg("init")
        .arg(&course)
        .assert()
        .code(0);
    let run = |args: &[&str]| {
        assert_cmd::Command::new(&bin)
            .args(args)
            .current_dir(&course)
            .env("CARGO_TARGET_DIR", repo().join("target"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let out = run(&["dev", "check", "--format", "json"]);
    assert!(
        !out.stdout.is_empty(),
        "dev check wrote nothing:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out.stdout);
    let failing: Vec<String> = report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["passed"] != true)
        .map(|e| format!("{}: {}", e["name"], e["problems"]))
        .collect();
    assert!(
        failing.is_empty(),
        "exercises with problems:\n{}",
        failing.join("\n")
    );
    assert_eq!(report["course_problems"], Value::Array(vec![]), "{report}");
    let exercises = report["exercises"].as_array().unwrap();
    assert!(exercises.len() >= 40, "only {} exercises", exercises.len());
    let lessons: HashSet<&str> = exercises
        .iter()
        .map(|e| e["lesson"].as_str().unwrap())
        .collect();
    assert!(lessons.len() >= 10, "only {} lessons", lessons.len());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = run(&["verify", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out.stdout);
    assert_eq!(report["passed"], 0, "a fresh course has nothing solved");
    let explained = |name: &str| -> Vec<String> {
        let exercise = report["exercises"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("no exercise {name}"));
        serde_json::from_value(exercise["explanations"].clone()).unwrap()
    };
    for (exercise, explanation) in [
        ("lazy_future", "unawaited-future"),
        ("missing_await", "missing-await"),
        ("method_on_future", "method-on-future"),
        ("await_outside_async", "await-outside-async"),
        ("spawn_needs_move", "spawn-not-static"),
        ("share_config_arc", "borrow-into-task"),
        ("async_block_later", "not-a-future"),
        ("oneshot_await_reply", "oneshot-recv"),
        ("rc_across_await", "rc-across-await"),
        ("mpsc_clone_senders", "moved-into-task"),
        ("std_guard_not_send", "guard-across-await"),
        ("runtime_inside_runtime", "nested-runtime"),
        ("std_guard_deadlock", "timeout"),
        ("mpsc_recv_loop_hangs", "timeout"),
        ("multi_thread_flavor", "block-in-place-current-thread"),
        ("local_set_run_until", "spawn-local-outside-localset"),
        ("await_holding_lock", "await-holding-lock"),
        ("stream_not_iterator", "stream-not-iterator"),
        ("receiver_stream_live", "blocking-in-runtime"),
        ("async_fn_in_trait", "async-impl-of-sync-method"),
        ("trait_future_send", "trait-future-not-send"),
        ("dyn_async_trait", "async-trait-not-dyn"),
    ] {
        let found = explained(exercise);
        assert!(
            found.iter().any(|e| e == explanation),
            "{exercise}: expected {explanation}, got {found:?}"
        );
    }
}

/// FNV-1a, 64 bits: a stable hash for the fixture list (std's hasher may change between releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The code above the `// Tests:` line, line endings as `\n`.
fn code_above_the_tests(text: &str) -> String {
    text.replace("\r\n", "\n")
        .split_inclusive('\n')
        .take_while(|line| !line.trim_start().starts_with("// Tests:"))
        .collect()
}

/// The learner fixes that judge the course were written against the first course's files: a
/// fix's code above the marker is put in front of today's tests. So the code above the marker of
/// every exercise (and solution) of the first course stays as first shipped; tests may change.
#[test]
fn the_first_course_code_above_the_tests_is_as_first_shipped() {
    let list = std::fs::read_to_string(repo().join("tests/fixtures/first_course.txt")).unwrap();
    let mut checked = 0;
    for line in list
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (hash, path) = line.split_once(' ').unwrap();
        let text = std::fs::read_to_string(repo().join(path))
            .unwrap_or_else(|e| panic!("{path}: {e} (an exercise of the first course is gone)"));
        assert_eq!(
            format!("{:016x}", fnv1a(code_above_the_tests(&text).as_bytes())),
            hash,
            "{path}: the code above the `// Tests:` line is no longer as first shipped (commit \
             f34d23d). Learner fixes written against it are judged with today's tests, so they \
             would no longer compile or would meet other given code: change the tests, not the \
             given code (`git diff f34d23d -- {path}` shows what changed)"
        );
        checked += 1;
    }
    assert_eq!(checked, 92, "46 exercises and their solutions");
}
