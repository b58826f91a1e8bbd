//! One mistake met at many places is said once: an error at each of the tests' calls of a
//! function whose signature is wrong (ten `tokio::spawn(serve(..))` sites, ten times the same
//! "future cannot be sent between threads safely") would otherwise fill the screen with copies.

use crate::cargo::Diagnostic;

/// A diagnostic to show, and the later ones that say the same thing at other places.
pub struct Said<'a> {
    pub diagnostic: &'a Diagnostic,
    pub repeats: Vec<&'a Diagnostic>,
}

impl Said<'_> {
    /// Whether `d` is this diagnostic or one of its repeats.
    pub fn says(&self, d: &Diagnostic) -> bool {
        same(self.diagnostic, d)
    }

    /// Where the repeats are, by file: the first few lines, then how many more.
    pub fn repeat_places(&self) -> Option<String> {
        const SHOWN: usize = 6;
        if self.repeats.is_empty() {
            return None;
        }
        let times = match self.repeats.len() {
            1 => "once more".to_string(),
            n => format!("{n} more times"),
        };
        let mut places: Vec<(String, usize)> = self
            .repeats
            .iter()
            .filter_map(|d| d.primary.as_ref())
            .map(|(file, line)| (file.display().to_string(), *line))
            .collect();
        places.sort();
        places.dedup();
        let hidden = places.len().saturating_sub(SHOWN);
        places.truncate(SHOWN);
        let at = by_file(places, hidden);
        let level = &self.diagnostic.level;
        Some(if at.is_empty() {
            format!("The same {level} {times}.")
        } else {
            format!("The same {level} {times}, at {}.", at.join("; "))
        })
    }
}

/// The diagnostics in order, each said once: a later one with the same level, code, message and
/// notes joins the first as a repeat.
pub fn collapse(diagnostics: &[Diagnostic]) -> Vec<Said<'_>> {
    let mut said: Vec<Said> = Vec::new();
    for d in diagnostics {
        match said.iter_mut().find(|s| s.says(d)) {
            Some(earlier) => earlier.repeats.push(d),
            None => said.push(Said {
                diagnostic: d,
                repeats: Vec::new(),
            }),
        }
    }
    said
}

/// "lines 8, 9 of a.rs", one part a file, the lines left out counted in the last.
fn by_file(places: Vec<(String, usize)>, hidden: usize) -> Vec<String> {
    let mut files: Vec<(String, Vec<String>)> = Vec::new();
    for (file, line) in places {
        match files.last_mut() {
            Some((last, lines)) if *last == file => lines.push(line.to_string()),
            _ => files.push((file, vec![line.to_string()])),
        }
    }
    let count = files.len();
    files
        .into_iter()
        .enumerate()
        .map(|(i, (file, lines))| {
            let more = match hidden {
                0 => String::new(),
                n if i + 1 == count => format!(" and {n} more"),
                _ => String::new(),
            };
            let word = if lines.len() > 1 || !more.is_empty() {
                "lines"
            } else {
                "line"
            };
            format!("{word} {}{more} of {file}", lines.join(", "))
        })
        .collect()
}

fn same(a: &Diagnostic, b: &Diagnostic) -> bool {
    a.level == b.level && a.code == b.code && a.message == b.message && a.notes == b.notes
}
