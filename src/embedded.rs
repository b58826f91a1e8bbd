//! The course as shipped, built into the binary (see build.rs), and where `reset` finds a file's
//! shipped version.

use std::{path::Path, process::Command};

use anyhow::{Result, bail};

use crate::{
    committed,
    course::{Course, INFO_FILE},
};

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
    if is_embedded_course(&course.root)
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

/// Whether the course at `root` is the one built into this binary (written by `init`), and not
/// the repository it was built from.
fn is_embedded_course(root: &Path) -> bool {
    let built_here = Path::new(env!("CARGO_MANIFEST_DIR"))
        .canonicalize()
        .is_ok_and(|home| root.canonicalize().is_ok_and(|root| root == home));
    let info = std::fs::read(root.join(INFO_FILE)).unwrap_or_default();
    !built_here && file(INFO_FILE) == Some(info.as_slice())
}

/// The shipped version of each of `paths` (relative to the course root), where one is known:
/// the embedded copy, or else the version committed at `HEAD` (one `git` process for all).
pub fn shipped_all(root: &Path, paths: &[&Path]) -> Vec<Option<Vec<u8>>> {
    let relative: Vec<String> = paths
        .iter()
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    if is_embedded_course(root) {
        return relative
            .iter()
            .map(|p| file(p).map(<[u8]>::to_vec))
            .collect();
    }
    committed::read_all(root, &relative).unwrap_or_else(|| vec![None; paths.len()])
}
