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
        ("share_config_arc", "spawn-not-static"),
        ("rc_across_await", "rc-across-await"),
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
