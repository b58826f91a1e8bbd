//! The course as shipped, built into the binary (see build.rs), and where `reset` finds a file's
//! shipped version.

use std::{path::Path, process::Command};

use anyhow::{Result, bail};

use crate::course::{Course, INFO_FILE};

mod files {
    include!(concat!(env!("OUT_DIR"), "/course_files.rs"));
}

pub use files::FILES;

pub fn file(path: &str) -> Option<&'static [u8]> {
    FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, bytes)| *bytes)
}

/// The shipped version of a course file.
///
/// A course written by `init` (its info.toml is the embedded one) gets the embedded copy. A clone
/// of the course repository (the folder this binary was built from) or any other course in git
/// gets the version committed at `HEAD`.
pub fn shipped(course: &Course, path: &Path) -> Result<Vec<u8>> {
    let relative = path.to_string_lossy().replace('\\', "/");
    let built_here = Path::new(env!("CARGO_MANIFEST_DIR"))
        .canonicalize()
        .is_ok_and(|home| course.root.canonicalize().is_ok_and(|root| root == home));
    let info = std::fs::read(course.root.join(INFO_FILE)).unwrap_or_default();
    if !built_here
        && file(INFO_FILE) == Some(info.as_slice())
        && let Some(bytes) = file(&relative)
    {
        return Ok(bytes.to_vec());
    }
    let output = Command::new("git")
        .args(["show", &format!("HEAD:./{relative}")])
        .current_dir(&course.root)
        .output();
    match output {
        Ok(output) if output.status.success() => Ok(output.stdout),
        _ => bail!(
            "cannot find the shipped version of {relative}: this course is neither the one built \
             into async-lings nor a git checkout that has the file committed.\n\
             fix: restore the file from wherever the course came from"
        ),
    }
}
