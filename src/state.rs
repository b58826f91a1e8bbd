//! The learner's progress: the current exercise, the done set and the hint levels, in
//! `.async-lings/state.toml` at the course root. Written atomically; a damaged file is set aside
//! and rebuilt, never fatal.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    io::Write,
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::course::Course;

/// The folder for everything async-lings writes into a course (state, backups, locks).
pub const DATA_DIR: &str = ".async-lings";
const STATE_FILE: &str = "state.toml";

#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct StateFile {
    current: Option<String>,
    #[serde(default)]
    done: BTreeSet<String>,
    #[serde(default)]
    hints: BTreeMap<String, usize>,
    #[serde(default)]
    welcomed: bool,
}

#[derive(Debug)]
pub struct State {
    path: PathBuf,
    /// Index into the course's exercises.
    pub current: usize,
    pub done: Vec<bool>,
    /// Hint levels shown, never more than the exercise has.
    pub hints: Vec<usize>,
    pub welcomed: bool,
    names: Vec<String>,
    /// How many hints each exercise has.
    hint_counts: Vec<usize>,
    /// The file as this process last read or wrote it: what differs from it was changed here.
    base: StateFile,
}

/// What `State::load` had to repair, for the caller to report.
pub enum Loaded {
    Fine(State),
    Rebuilt {
        state: State,
        backup: PathBuf,
        why: String,
    },
}

/// What is at the state file's path.
enum OnDisk {
    Absent,
    Parsed(StateFile),
    /// Not a regular file, not UTF-8, not the expected TOML: why.
    Damaged(String),
}

impl State {
    pub fn load(course: &Course) -> Result<Loaded> {
        let path = course.root.join(DATA_DIR).join(STATE_FILE);
        let names = course.exercises.iter().map(|e| e.name.clone()).collect();
        let counts = course.exercises.iter().map(|e| e.hints.len()).collect();
        match read(&path)? {
            OnDisk::Absent => Ok(Loaded::Fine(State::from_file(
                path,
                names,
                counts,
                StateFile::default(),
            ))),
            OnDisk::Parsed(file) => Ok(Loaded::Fine(State::from_file(path, names, counts, file))),
            OnDisk::Damaged(why) => {
                let backup = unused(&path.with_extension(format!("toml.bad-{}", timestamp())));
                fs::rename(&path, &backup)
                    .with_context(|| format!("cannot move the damaged {} aside", path.display()))?;
                let state = State::from_file(path, names, counts, StateFile::default());
                Ok(Loaded::Rebuilt { state, backup, why })
            }
        }
    }

    fn from_file(
        path: PathBuf,
        names: Vec<String>,
        hint_counts: Vec<usize>,
        file: StateFile,
    ) -> Self {
        // Exercises no longer in info.toml drop out; new ones start pending.
        let done: Vec<bool> = names.iter().map(|n| file.done.contains(n)).collect();
        let hints = names
            .iter()
            .zip(&hint_counts)
            .map(|(n, &count)| file.hints.get(n).map_or(0, |&h| h.min(count)))
            .collect();
        let current = file
            .current
            .as_ref()
            .and_then(|c| names.iter().position(|n| n == c))
            .or_else(|| done.iter().position(|d| !d))
            .unwrap_or(0);
        State {
            path,
            current,
            done,
            hints,
            welcomed: file.welcomed,
            names,
            hint_counts,
            base: file,
        }
    }

    /// Writes the state, keeping what another process (`async-lings run` in a second terminal)
    /// recorded since this one last read or wrote the file: a done mark this process did not
    /// change is taken from the file, hint levels only grow, `current` is this process's.
    pub fn save(&mut self) -> Result<()> {
        if let Ok(OnDisk::Parsed(theirs)) = read(&self.path) {
            self.merge(&theirs);
        }
        let file = self.to_file();
        let text = toml::to_string(&file).context("cannot serialize the state")?;
        write_atomically(&self.path, text.as_bytes())?;
        self.base = file;
        Ok(())
    }

    fn merge(&mut self, theirs: &StateFile) {
        for (i, name) in self.names.iter().enumerate() {
            if self.done[i] == self.base.done.contains(name) {
                self.done[i] = theirs.done.contains(name);
            }
            let hints = theirs.hints.get(name).copied().unwrap_or(0);
            self.hints[i] = self.hints[i].max(hints.min(self.hint_counts[i]));
        }
        self.welcomed |= theirs.welcomed;
    }

    fn to_file(&self) -> StateFile {
        StateFile {
            current: self.names.get(self.current).cloned(),
            done: self
                .names
                .iter()
                .zip(&self.done)
                .filter(|(_, d)| **d)
                .map(|(n, _)| n.clone())
                .collect(),
            hints: self
                .names
                .iter()
                .zip(&self.hints)
                .filter(|(_, h)| **h > 0)
                .map(|(n, h)| (n.clone(), *h))
                .collect(),
            welcomed: self.welcomed,
        }
    }

    pub fn done_count(&self) -> usize {
        self.done.iter().filter(|d| **d).count()
    }

    /// The first pending exercise after `from`, wrapping around; `None` when all are done.
    pub fn next_pending(&self, from: usize) -> Option<usize> {
        let n = self.done.len();
        (1..=n).map(|k| (from + k) % n).find(|&i| !self.done[i])
    }

    /// Records a verdict on exercise `i`; a pass of the current exercise moves on to the next
    /// pending one. Returns whether the current exercise changed.
    pub fn record(&mut self, i: usize, passed: bool) -> Moved {
        self.done[i] = passed;
        if passed && i == self.current {
            if let Some(next) = self.next_pending(i) {
                self.current = next;
                return Moved::To(next);
            }
            return Moved::AllDone;
        }
        Moved::Stayed
    }
}

/// `path`, or `path-N` for the first N that names nothing: a file set aside never replaces another.
fn unused(path: &Path) -> PathBuf {
    let mut candidate = path.to_path_buf();
    let mut n = 1;
    while fs::symlink_metadata(&candidate).is_ok() {
        candidate = PathBuf::from(format!("{}-{n}", path.display()));
        n += 1;
    }
    candidate
}

/// Reads the state file. Only a regular file is opened (a FIFO there would block forever).
fn read(path: &Path) -> Result<OnDisk> {
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(OnDisk::Absent),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    if !meta.is_file() {
        return Ok(OnDisk::Damaged("it is not a regular file".to_owned()));
    }
    let bytes = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let Ok(text) = String::from_utf8(bytes) else {
        return Ok(OnDisk::Damaged("it is not UTF-8 text".to_owned()));
    };
    Ok(match toml::from_str::<StateFile>(&text) {
        Ok(file) => OnDisk::Parsed(file),
        Err(e) => OnDisk::Damaged(e.message().trim().to_owned()),
    })
}

#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub enum Moved {
    Stayed,
    To(usize),
    AllDone,
}

/// Writes to a temp file beside `path`, then renames it over: a crash leaves the old file or
/// the new one, never half of one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().context("a file path has a parent")?;
    fs::create_dir_all(dir).with_context(|| {
        format!(
            "cannot create {} (is the course folder read-only?)",
            dir.display()
        )
    })?;
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        anyhow::Error::new(e).context(format!(
            "cannot write {} (is the course folder read-only?)",
            path.display()
        ))
    })
}

pub fn timestamp() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests;
