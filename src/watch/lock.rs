//! One watch per course: two would fight over the same files and the same target dir.

use std::{
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Result, bail};

use crate::state::{DATA_DIR, write_atomically};

pub struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Takes the course's watch lock; a lock left by a process that is gone is taken over.
    pub fn take(root: &Path) -> Result<Self> {
        let path = root.join(DATA_DIR).join("watch.lock");
        if let Ok(text) = fs::read_to_string(&path)
            && let Ok(pid) = text.trim().parse::<u32>()
            && pid != std::process::id()
            && Path::new(&format!("/proc/{pid}")).exists()
        {
            bail!(
                "async-lings is already watching this course (process {pid}).\n\
                 fix: use that window, or quit it (`q`) first. If that process is not async-lings, \
                 delete {}",
                path.display()
            );
        }
        write_atomically(&path, std::process::id().to_string().as_bytes())?;
        Ok(Lock { path })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}
