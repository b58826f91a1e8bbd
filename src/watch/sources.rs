//! Where events come from besides the checks: the file watcher and the learner's keys.

use std::{
    io::{self, BufRead},
    path::{Path, PathBuf},
    thread,
};

use anyhow::{Context, Result};
use crossterm::event::{self, Event as TermEvent, KeyCode, KeyEventKind, KeyModifiers};
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc::UnboundedSender;

use super::{Event, Key};

/// The file watcher: `exercises/` recursively, and the course folder itself, so that an
/// `exercises/` deleted and restored (`rm -rf`, `git checkout`) is seen coming back.
pub struct FileWatcher {
    watcher: notify::RecommendedWatcher,
    dir: PathBuf,
}

impl FileWatcher {
    /// Every save pattern (in-place write, temp file renamed over, delete and create) ends in an
    /// event for the exercise's own path; the session ignores other paths, which filters out swap
    /// and backup files.
    pub fn start(root: &Path, tx: UnboundedSender<Event>) -> Result<Self> {
        let mut watcher = notify::recommended_watcher(
            move |result: notify::Result<notify::Event>| match result {
                Ok(event) => {
                    if matches!(event.kind, EventKind::Access(_)) {
                        return;
                    }
                    for path in event.paths {
                        let _ = tx.send(Event::FileChanged(path));
                    }
                }
                Err(error) => {
                    let _ = tx.send(Event::WatcherError(error.to_string()));
                }
            },
        )
        .context("cannot start the file watcher")?;
        watcher
            .watch(root, RecursiveMode::NonRecursive)
            .with_context(|| format!("cannot watch {}", root.display()))?;
        let mut this = FileWatcher {
            watcher,
            dir: root.join("exercises"),
        };
        if this.dir.is_dir() {
            this.rewatch()?;
        }
        Ok(this)
    }

    /// Watches `exercises/` afresh: a folder deleted and restored is a new folder, and the watch
    /// on the old one went with it.
    pub fn rewatch(&mut self) -> Result<()> {
        let _ = self.watcher.unwatch(&self.dir);
        self.watcher
            .watch(&self.dir, RecursiveMode::Recursive)
            .with_context(|| format!("cannot watch {}", self.dir.display()))
    }
}

/// Reads the learner's commands on a thread: single keys in a terminal (raw mode), one letter
/// per line otherwise.
pub fn read_keys(tty: bool, tx: UnboundedSender<Event>) {
    thread::spawn(move || {
        if tty {
            read_terminal_keys(&tx);
        } else {
            for line in io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                let key = line.trim().chars().next().map_or(Key::Other, key_for);
                if tx.send(Event::Key(key)).is_err() {
                    return;
                }
            }
            let _ = tx.send(Event::InputClosed);
        }
    });
}

fn read_terminal_keys(tx: &UnboundedSender<Event>) {
    loop {
        let key = match event::read() {
            Ok(TermEvent::Key(key)) if key.kind != KeyEventKind::Release => key,
            Ok(TermEvent::Resize(..)) => {
                if tx.send(Event::Resize).is_err() {
                    return;
                }
                continue;
            }
            Ok(_) => continue,
            Err(_) => {
                // The terminal is gone: nobody is left to read a verdict.
                let _ = tx.send(Event::Interrupted);
                return;
            }
        };
        // Raw mode turns Ctrl-C into a key instead of a signal.
        let key = match key.code {
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => Key::Quit,
            KeyCode::Char(c) => key_for(c),
            KeyCode::Up => Key::Up,
            KeyCode::Down => Key::Down,
            KeyCode::PageUp => Key::PageUp,
            KeyCode::PageDown => Key::PageDown,
            KeyCode::Home => Key::Home,
            KeyCode::End => Key::End,
            KeyCode::Enter => Key::Enter,
            KeyCode::Esc => Key::Back,
            _ => Key::Other,
        };
        if tx.send(Event::Key(key)).is_err() {
            return;
        }
    }
}

fn key_for(c: char) -> Key {
    match c.to_ascii_lowercase() {
        'h' => Key::Hint,
        'r' => Key::Run,
        'l' => Key::List,
        'n' => Key::Next,
        'c' => Key::CheckAll,
        'x' => Key::Reset,
        'q' => Key::Quit,
        'y' => Key::Yes,
        'k' => Key::Up,
        'j' => Key::Down,
        'p' => Key::Pending,
        _ => Key::Other,
    }
}
