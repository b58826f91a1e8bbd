//! Which course built an artifact in a target dir.
//!
//! Cargo names a bin's artifacts the same in every copy of a course and trusts mtimes, so with
//! one `CARGO_TARGET_DIR` shared by two courses (grading a class, two `init` copies), a build in
//! one course can look fresh to the other: Bob would be graded with Alice's binary. So every
//! artifact async-lings sees cargo build is stamped with the course it was built for (and its
//! own mtime and size), and one that cargo calls fresh but carries no stamp of this course is
//! removed and built again from this course's files.

use std::{
    fs,
    path::{Path, PathBuf},
    time::UNIX_EPOCH,
};

/// What the stamp of an artifact built for `root` says now.
fn stamp_text(root: &Path, artifact: &Path) -> Option<String> {
    let meta = fs::metadata(artifact).ok()?;
    let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some(format!(
        "{}\n{} {}\n",
        root.display(),
        modified.as_nanos(),
        meta.len()
    ))
}

fn stamp_path(artifact: &Path) -> PathBuf {
    let mut path = artifact.as_os_str().to_owned();
    path.push(".course");
    PathBuf::from(path)
}

/// Whether `artifact` was built for the course at `root`, and not touched since.
pub fn is_ours(root: &Path, artifact: &Path) -> bool {
    let recorded = fs::read_to_string(stamp_path(artifact)).ok();
    recorded.is_some() && recorded == stamp_text(root, artifact)
}

/// Records that `artifact` was just built for the course at `root`. A stamp that cannot be
/// written only costs a rebuild next time.
pub fn claim(root: &Path, artifact: &Path) {
    if let Some(text) = stamp_text(root, artifact) {
        let _ = fs::write(stamp_path(artifact), text);
    }
}

/// Removes an artifact built for another course, so that cargo builds it again.
pub fn disown(artifact: &Path) {
    let _ = fs::remove_file(artifact);
    let _ = fs::remove_file(stamp_path(artifact));
}
