//! `grade`: two learners' checkouts of the `marked` fixture, graded with one target dir.

use std::fs;

use serde_json::Value;

use crate::Fixture;

#[test]
fn grade_checks_each_learner_on_their_own_files_and_sums_up_the_class() {
    let instructor = Fixture::new("marked");
    let (alice, bob) = (Fixture::new("marked"), Fixture::new("marked"));
    // Alice fixes the counter; Bob edits nothing but his copy of info.toml, which is ignored.
    let counter = "exercises/lesson/counter.rs";
    let fixed = alice
        .read(counter)
        .replace("items.len().saturating_sub(1)", "items.len()");
    alice.write(counter, &fixed);
    bob.write(
        "info.toml",
        &bob.read("info.toml").replace(
            "fails = \"test\"",
            "fails = \"test\"\ntests = \"attributes\"",
        ),
    );
    let out = tempfile::tempdir().unwrap();
    let target = tempfile::tempdir().unwrap();
    let graded = instructor
        .cmd(&["grade", "--out"])
        .arg(out.path())
        .arg(alice.path())
        .arg(bob.path())
        .env("CARGO_TARGET_DIR", target.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&graded.stdout);
    assert!(
        graded.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&graded.stderr)
    );

    let name = |f: &Fixture| f.path().file_name().unwrap().to_string_lossy().into_owned();
    let report = |f: &Fixture| -> Value {
        serde_json::from_slice(&fs::read(out.path().join(format!("{}.json", name(f)))).unwrap())
            .unwrap()
    };
    let verdict = |r: &Value, exercise: &str| {
        r["exercises"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == exercise)
            .unwrap()["verdict"]
            .clone()
    };
    assert_eq!(verdict(&report(&alice), "counter"), "passed");
    assert_eq!(verdict(&report(&bob), "counter"), "test");
    assert!(out.path().join(format!("{}.xml", name(&bob))).is_file());

    let csv = fs::read_to_string(out.path().join("summary.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "learner,passed,total,counter,attrs");
    assert_eq!(lines[1], format!("{},1,2,passed,test", name(&alice)));
    assert_eq!(lines[2], format!("{},0,2,test,test", name(&bob)));
    let summary: Value =
        serde_json::from_slice(&fs::read(out.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary.as_array().unwrap().len(), 2);

    // The learners' checkouts are only read.
    for learner in [&alice, &bob] {
        assert!(!learner.path().join(".async-lings").exists());
        assert!(!learner.path().join("target").exists());
    }
}

/// A learner's exercise file that links out of the checkout is not read: what it leads to never
/// reaches the reports (it is graded as if the file were missing).
#[test]
fn a_learners_link_out_of_the_checkout_is_not_read() {
    let instructor = Fixture::new("marked");
    let learner = Fixture::new("marked");
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.rs");
    let counter = learner.path().join("exercises/lesson/counter.rs");
    // A file that would otherwise be graded whole: the shipped tests, and a compile error that
    // quotes its line.
    let shipped = fs::read_to_string(&counter).unwrap();
    fs::write(
        &secret,
        format!("const SECRET: u32 = \"SECRET-CONTENT\";\n{shipped}"),
    )
    .unwrap();
    fs::remove_file(&counter).unwrap();
    std::os::unix::fs::symlink(&secret, &counter).unwrap();
    let out = tempfile::tempdir().unwrap();
    let graded = instructor
        .cmd(&["grade", "--out"])
        .arg(out.path())
        .arg(learner.path())
        .output()
        .unwrap();
    assert!(
        graded.status.success(),
        "{}",
        String::from_utf8_lossy(&graded.stderr)
    );
    let mut everything = String::from_utf8_lossy(&graded.stdout).into_owned();
    for entry in fs::read_dir(out.path()).unwrap() {
        everything.push_str(&fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    assert!(!everything.contains("SECRET-CONTENT"), "{everything}");
}
