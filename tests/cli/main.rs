//! The async-lings binary, run for real against fixture courses copied into temp folders.
//!
//! Unix only: they drive real processes with Unix tools (signals, `setsid`, `/proc`, a pty).
#![cfg(unix)]

mod commands;
mod course;
mod dev;
mod errors;
mod grade;
mod integrity;
mod printed;
mod processes;
mod readme;
mod rustlings;
mod screen;
mod shared_build;
mod verify;
mod watch;

use std::{fs, path::Path, process::Command};

use assert_cmd::cargo::cargo_bin;

/// A private copy of `tests/fixtures/NAME`, committed to a fresh git repository (so `reset` has a
/// shipped version to restore).
pub struct Fixture {
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn new(name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        copy_dir(&source, dir.path());
        for args in [
            &["init", "-q"][..],
            &["add", "-A"],
            &[
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "commit",
                "-qm",
                "shipped",
            ],
        ] {
            let status = Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "git {args:?}");
        }
        Fixture { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `async-lings ARGS` in the course folder.
    pub fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(cargo_bin("async-lings"));
        cmd.args(args).current_dir(self.path()).env("NO_COLOR", "1");
        cmd
    }

    pub fn read(&self, relative: &str) -> String {
        fs::read_to_string(self.path().join(relative)).unwrap()
    }

    pub fn write(&self, relative: &str, text: &str) {
        fs::write(self.path().join(relative), text).unwrap();
    }

    pub fn state(&self) -> String {
        fs::read_to_string(self.path().join(".async-lings/state.toml")).unwrap_or_default()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Whether a process is still alive (a zombie waiting to be reaped counts as gone).
pub fn alive(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
    })
}
