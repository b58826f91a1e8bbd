//! One mistake met at many places is said once: an error at each of the tests' calls of a
//! function whose signature is wrong (ten `tokio::spawn(serve(..))` sites, ten times the same
//! "future cannot be sent between threads safely") would otherwise fill the screen with copies.

use crate::cargo::Diagnostic;

/// A diagnostic to show, and the later ones that say the same thing at other places.
pub struct Said<'a> {
    /// Where it and its repeats are in the report's list.
    pub indices: Vec<usize>,
    pub diagnostic: &'a Diagnostic,
    pub repeats: Vec<&'a Diagnostic>,
}

impl Said<'_> {
    /// Where the repeats are (`file:line`), the first few, then how many more.
    pub fn repeat_places(&self) -> Option<String> {
        const SHOWN: usize = 4;
        if self.repeats.is_empty() {
            return None;
        }
        let mut places: Vec<String> = self.repeats.iter().take(SHOWN).map(|d| place(d)).collect();
        if self.repeats.len() > SHOWN {
            places.push(format!("and {} more", self.repeats.len() - SHOWN));
        }
        let times = match self.repeats.len() {
            1 => "once more".to_string(),
            n => format!("{n} more times"),
        };
        Some(format!(
            "The same {} {times}: {}",
            self.diagnostic.level,
            places.join(", ")
        ))
    }
}

/// The diagnostics in order, each said once: a later one with the same level, code, message and
/// notes joins the first as a repeat.
pub fn collapse(diagnostics: &[Diagnostic]) -> Vec<Said<'_>> {
    let mut said: Vec<Said> = Vec::new();
    for (i, d) in diagnostics.iter().enumerate() {
        match said.iter_mut().find(|s| same(s.diagnostic, d)) {
            Some(earlier) => {
                earlier.indices.push(i);
                earlier.repeats.push(d);
            }
            None => said.push(Said {
                indices: vec![i],
                diagnostic: d,
                repeats: Vec::new(),
            }),
        }
    }
    said
}

fn same(a: &Diagnostic, b: &Diagnostic) -> bool {
    a.level == b.level && a.code == b.code && a.message == b.message && a.notes == b.notes
}

fn place(d: &Diagnostic) -> String {
    match &d.primary {
        Some((file, line)) => format!("{}:{line}", file.display()),
        None => "another place".to_string(),
    }
}
