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

#[cfg(test)]
mod tests {
    /// The standalone course must build exactly like the course in this repository.
    #[test]
    fn template_matches_the_repository_workspace() {
        let root: toml::Table = include_str!("../Cargo.toml").parse().unwrap();
        let template: toml::Table = super::CARGO_TOML.parse().unwrap();
        for key in ["workspace.dependencies", "profile"] {
            let get = |t: &toml::Table| {
                key.split('.')
                    .try_fold(toml::Value::Table(t.clone()), |v, k| v.get(k).cloned())
            };
            assert_eq!(get(&root), get(&template), "[{key}] differs");
        }
    }
}
