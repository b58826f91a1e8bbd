use std::fs;

use super::*;
use crate::course::{Course, Files, INFO_FILE};

fn course(names: &[&str]) -> (tempfile::TempDir, Course) {
    let dir = tempfile::tempdir().unwrap();
    let mut info = String::from("format_version = 2\n");
    for name in names {
        info.push_str(&format!(
            "[[exercises]]\nname = \"{name}\"\nfails = \"test\"\nhints = [\"1\", \"2\", \"3\"]\n"
        ));
        for side in ["exercises", "solutions"] {
            fs::create_dir_all(dir.path().join(side)).unwrap();
            fs::write(dir.path().join(side).join(format!("{name}.rs")), "").unwrap();
        }
    }
    fs::write(dir.path().join(INFO_FILE), info).unwrap();
    let course = Course::load(dir.path(), Files::MustExist).unwrap();
    (dir, course)
}

fn fine(course: &Course) -> State {
    match State::load(course).unwrap() {
        Loaded::Fine(state) => state,
        Loaded::Rebuilt { why, .. } => panic!("rebuilt: {why}"),
    }
}

#[test]
fn round_trips_and_moves_on() {
    let (_dir, course) = course(&["a", "b", "c"]);
    let mut state = fine(&course);
    assert_eq!(state.current, 0);
    assert_eq!(state.record(0, true), Moved::To(1));
    state.hints[1] = 2;
    state.save().unwrap();
    let state = fine(&course);
    assert_eq!(
        (state.current, state.done.clone(), state.hints.clone()),
        (1, vec![true, false, false], vec![0, 2, 0])
    );
}

#[test]
fn passing_the_last_pending_is_all_done() {
    let (_dir, course) = course(&["a", "b"]);
    let mut state = fine(&course);
    state.done[1] = true;
    assert_eq!(state.record(0, true), Moved::AllDone);
    // A pass of another exercise does not move the learner.
    assert_eq!(state.record(1, true), Moved::Stayed);
}

#[test]
fn removed_exercises_drop_out_and_new_ones_are_pending() {
    let (dir, course_before) = course(&["a", "b"]);
    let mut state = fine(&course_before);
    state.done = vec![true, true];
    state.current = 1;
    state.save().unwrap();
    let info = "format_version = 2\n[[exercises]]\nname = \"b\"\nfails = \"test\"\n[[exercises]]\nname = \"new\"\nfails = \"test\"\n";
    fs::write(dir.path().join(INFO_FILE), info).unwrap();
    for side in ["exercises", "solutions"] {
        fs::write(dir.path().join(side).join("new.rs"), "").unwrap();
    }
    let course_after = Course::load(dir.path(), Files::MustExist).unwrap();
    let state = fine(&course_after);
    assert_eq!((state.current, state.done.clone()), (0, vec![true, false]));
}

#[test]
fn damaged_file_is_kept_and_rebuilt() {
    let (dir, course) = course(&["a"]);
    let path = dir.path().join(DATA_DIR).join("state.toml");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, "current = [[[ not toml").unwrap();
    let Loaded::Rebuilt {
        mut state, backup, ..
    } = State::load(&course).unwrap()
    else {
        panic!("a damaged file must be rebuilt");
    };
    assert_eq!(
        fs::read_to_string(&backup).unwrap(),
        "current = [[[ not toml"
    );
    assert!(!path.exists());
    state.save().unwrap();
    assert!(matches!(State::load(&course).unwrap(), Loaded::Fine(_)));
}

#[test]
fn what_another_process_recorded_survives_a_save() {
    let (_dir, course) = course(&["a", "b", "c"]);
    // The watch loads the state, then `async-lings run b` in a second terminal passes b.
    let mut watch = fine(&course);
    let mut other = fine(&course);
    assert_eq!(other.record(1, true), Moved::Stayed);
    other.save().unwrap();
    // The watch's own change (a pass of a) and the other's both stay; its current is its own.
    assert_eq!(watch.record(0, true), Moved::To(1));
    watch.current = 2;
    watch.save().unwrap();
    assert_eq!(watch.done, vec![true, true, false], "merged in memory too");
    let after = fine(&course);
    assert_eq!((after.current, after.done), (2, vec![true, true, false]));

    // A change of its own wins over the file: the watch un-marks b (a failing check), and the
    // other process, which did not touch b since, keeps it un-marked on its next save.
    let mut watch = fine(&course);
    watch.done[1] = false;
    watch.save().unwrap();
    let mut other = fine(&course);
    other.done[2] = true;
    other.save().unwrap();
    assert_eq!(fine(&course).done, vec![true, false, true]);
}

/// A FIFO, which would block a read forever.
#[cfg(unix)]
fn not_a_regular_file(path: &std::path::Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

/// Windows has no FIFO a path can name: a folder.
#[cfg(windows)]
fn not_a_regular_file(path: &std::path::Path) {
    fs::create_dir(path).unwrap();
}

#[test]
fn unreadable_state_files_are_set_aside() {
    let (dir, course) = course(&["a"]);
    let path = dir.path().join(DATA_DIR).join("state.toml");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, b"current = \"a\"\n\xff\xfe\n").unwrap();
    let Loaded::Rebuilt { backup, why, .. } = State::load(&course).unwrap() else {
        panic!("a non-UTF-8 file must be set aside");
    };
    assert_eq!(why, "it is not UTF-8 text");
    assert_eq!(fs::read(&backup).unwrap(), b"current = \"a\"\n\xff\xfe\n");

    not_a_regular_file(&path);
    let Loaded::Rebuilt {
        why,
        backup: second,
        ..
    } = State::load(&course).unwrap()
    else {
        panic!("what is not a regular file must be set aside");
    };
    assert_eq!(why, "it is not a regular file");
    assert!(!path.exists());
    // Set aside in the same second, the first one is still there.
    assert_ne!(second, backup);
    assert_eq!(fs::read(&backup).unwrap(), b"current = \"a\"\n\xff\xfe\n");
}

#[test]
fn hint_levels_are_bounded_by_the_hints_there_are() {
    let (dir, _) = course(&["a"]);
    let info = "format_version = 2\n[[exercises]]\nname = \"a\"\nfails = \"test\"\nhints = [\"x\", \"y\"]\n";
    fs::write(dir.path().join(INFO_FILE), info).unwrap();
    let course = Course::load(dir.path(), Files::MustExist).unwrap();
    let path = dir.path().join(DATA_DIR).join("state.toml");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, "hints = { a = 18446744073709551615 }\n").unwrap();
    assert_eq!(fine(&course).hints, vec![2]);
}
