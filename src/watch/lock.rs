//! One watch per course: two would fight over the same files and the same target dir.
//!
//! An OS file lock (`flock` on Unix, `LockFileEx` on Windows) on `.async-lings/watch.lock`: taking
//! it is atomic, so of two watches started at the same instant exactly one runs, and the OS drops
//! it when its process ends in any way, so a crashed watch never blocks the next one (a held lock
//! is tried again for a second: a process the old watch was starting holds it until it `exec`s).
//! The file holds the owner's pid, for the message only, and stays: deleting a lock file races
//! with a watch that has just opened it.

use std::{
    fs::{self, File, OpenOptions, TryLockError},
    io::{Read, Seek, Write},
    path::Path,
};

use anyhow::{Context, Result, bail};

use crate::{state::DATA_DIR, term};

pub struct Lock {
    /// Closing it releases the lock.
    _file: Option<File>,
}

impl Lock {
    /// Takes the course's watch lock, or says which process holds it.
    pub fn take(root: &Path) -> Result<Self> {
        let dir = root.join(DATA_DIR);
        fs::create_dir_all(&dir).with_context(|| {
            format!(
                "cannot create {} (is the course folder read-only?)",
                dir.display()
            )
        })?;
        let path = dir.join("watch.lock");
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        match try_lock_a_while(&file) {
            Ok(()) => {
                // The pid is only for the message of a second watch; failing to write it is fine.
                let pid = std::process::id().to_string();
                let _ = file
                    .set_len(0)
                    .and_then(|()| file.rewind())
                    .and_then(|()| file.write_all(pid.as_bytes()));
                Ok(Lock { _file: Some(file) })
            }
            Err(TryLockError::WouldBlock) => {
                // Windows does not let another process read a locked file: no pid then.
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = match holder.trim() {
                    "" => String::new(),
                    pid => format!(" (process {pid})"),
                };
                bail!(
                    "async-lings is already watching this course{holder}.\n\
                     fix: use that window, or quit it (`q`) first"
                )
            }
            Err(TryLockError::Error(error)) => {
                // A file system without locks: watching matters more than the lock.
                term::warning(&format!(
                    "cannot lock {} ({error}): a second watch of this course would not be refused",
                    path.display()
                ));
                Ok(Lock { _file: None })
            }
        }
    }
}

/// A lock still held for a moment by a watch that is ending: a process it was starting when it
/// was killed holds the lock file until that process's `exec` closes it. So a lock that is
/// held is tried again for up to a second before the watch is refused.
fn try_lock_a_while(file: &File) -> Result<(), TryLockError> {
    const TRIES: u32 = 20;
    for _ in 1..TRIES {
        match file.try_lock() {
            Err(TryLockError::WouldBlock) => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
    file.try_lock()
}
