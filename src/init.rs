//! `init`: a fresh, standalone copy of the built-in course.

use std::{fs, path::Path};

use anyhow::{Context, Result, bail};

use crate::embedded::FILES;

/// The workspace manifest of a standalone course: the two course packages, no CLI.
const CARGO_TOML: &str = include_str!("init/course-Cargo.toml");
const GITIGNORE: &str = "/target\n/.async-lings/\n";

pub fn init(dir: &Path) -> Result<()> {
    if dir.exists() && fs::read_dir(dir).map_or(true, |mut d| d.next().is_some()) {
        bail!(
            "{} already exists and is not empty.\n\
             fix: pick another folder (`async-lings init OTHER_DIR`) or remove that one",
            dir.display()
        );
    }
    let write = |relative: &str, bytes: &[u8]| -> Result<()> {
        let path = dir.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))
    };
    for (path, bytes) in FILES {
        write(path, bytes)?;
    }
    write("Cargo.toml", CARGO_TOML.as_bytes())?;
    write(".gitignore", GITIGNORE.as_bytes())?;
    println!(
        "The course is ready in {0}.\nStart it with:\n\n    cd {0}\n    async-lings\n",
        dir.display()
    );
    Ok(())
}
