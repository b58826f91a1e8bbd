use std::fs;

use super::*;
use crate::course::{Course, Files, INFO_FILE};

fn course(names: &[&str]) -> (tempfile::TempDir, Course) {
    let dir = tempfile::tempdir().unwrap();
    let mut info = String::from("format_version = 2\n");
    for name in names {
        info.push_str(&format!(
            "[[exercises]]\nname = \"{name}\"\nfails = \"test\"\n"
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
    let Loaded::Rebuilt { state, backup, .. } = State::load(&course).unwrap() else {
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
