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

#[derive(Serialize, Deserialize, Default, Debug, PartialEq, Eq)]
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
    pub hints: Vec<usize>,
    pub welcomed: bool,
    names: Vec<String>,
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

impl State {
    pub fn load(course: &Course) -> Result<Loaded> {
        let path = course.root.join(DATA_DIR).join(STATE_FILE);
        let names: Vec<String> = course.exercises.iter().map(|e| e.name.clone()).collect();
        let parsed = match fs::read_to_string(&path) {
            Ok(text) => toml::from_str::<StateFile>(&text).map_err(|e| e.message().to_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StateFile::default()),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", path.display()));
            }
        };
        match parsed {
            Ok(file) => Ok(Loaded::Fine(State::from_file(path, names, file))),
            Err(why) => {
                let backup = path.with_extension(format!("toml.bad-{}", timestamp()));
                fs::rename(&path, &backup)
                    .with_context(|| format!("cannot move the damaged {} aside", path.display()))?;
                let state = State::from_file(path, names, StateFile::default());
                Ok(Loaded::Rebuilt { state, backup, why })
            }
        }
    }

    fn from_file(path: PathBuf, names: Vec<String>, file: StateFile) -> Self {
        // Exercises no longer in info.toml drop out; new ones start pending.
        let done: Vec<bool> = names.iter().map(|n| file.done.contains(n)).collect();
        let hints = names
            .iter()
            .map(|n| file.hints.get(n).copied().unwrap_or(0))
            .collect();
        let current = file
            .current
            .and_then(|c| names.iter().position(|n| *n == c))
            .or_else(|| done.iter().position(|d| !d))
            .unwrap_or(0);
        State {
            path,
            current,
            done,
            hints,
            welcomed: file.welcomed,
            names,
        }
    }

    pub fn save(&self) -> Result<()> {
        let file = StateFile {
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
        };
        let text = toml::to_string(&file).context("cannot serialize the state")?;
        write_atomically(&self.path, text.as_bytes())
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
