//! Everything wrong with a course file, each with its place (line and column) and its fix.

use std::{fmt::Write as _, path::Path};

use super::INFO_FILE;

/// Everything wrong with a course file, reported together so that one edit fixes them all.
pub struct Problems<'a> {
    pub text: &'a str,
    pub list: Vec<(Option<usize>, String, String)>,
}

impl<'a> Problems<'a> {
    pub fn new(text: &'a str) -> Self {
        Problems {
            text,
            list: Vec::new(),
        }
    }

    pub fn add(&mut self, at: Option<usize>, what: &str, fix: &str) {
        self.list.push((at, what.to_owned(), fix.to_owned()));
    }

    pub fn toml(&mut self, error: &toml::de::Error) {
        let at = error.span().map(|s| s.start);
        let what = error.message().trim().to_owned();
        let fix = if what.starts_with("unknown field") {
            "remove it or fix its spelling (the README lists every field)"
        } else if what.starts_with("missing field") {
            "add it (the README lists every field)"
        } else if what.starts_with("unknown variant") {
            "use one of the values listed"
        } else {
            "fix the TOML at that place"
        };
        self.add(at, &what, fix);
    }

    pub fn report(&self, path: &Path) -> String {
        const MAX: usize = 8;
        let mut out = format!("{} is not a valid course file:", path.display());
        for (at, what, fix) in self.list.iter().take(MAX) {
            let place = at.map_or_else(String::new, |at| {
                let (line, col) = line_col(self.text, at);
                format!(":{line}:{col}")
            });
            let _ = write!(out, "\n  {}{place}: {what}\n      fix: {fix}", INFO_FILE);
        }
        if self.list.len() > MAX {
            let _ = write!(out, "\n  ... and {} more", self.list.len() - MAX);
        }
        out
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}
