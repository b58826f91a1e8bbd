//! The tests at the bottom of an exercise file, below the line that starts with `// Tests:`.
//!
//! They are compared with the shipped ones as Rust tokens, so formatting (rustfmt, line endings,
//! trailing commas, comments) never counts as a change, but any change to the code does.

/// The start of the line that separates the learner's code from the shipped tests.
pub const MARKER: &str = "// Tests:";

/// What the learner may change below the marker (`tests` in info.toml).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Editable {
    /// Nothing: the tests stay exactly as shipped (default).
    #[default]
    Nothing,
    /// The attributes that make a function a test (`#[test]`, `#[tokio::test(...)]`), not the
    /// tests' bodies: for lessons where fixing the tests is the exercise. Any other attribute
    /// (`#[should_panic]`, `#[ignore]`, `#[cfg(...)]`) stays as shipped or as in the solution.
    Attributes,
}

/// The first difference between the learner's tests and the shipped ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The marker line is gone, so the tests cannot be told apart from the code.
    NoMarker,
    /// The first changed line, counted in the learner's file (1-based), and the shipped line
    /// that the learner's differs from (empty where the learner's tests run on past the end).
    Line { line: usize, shipped: String },
    /// As `Line`, where only the test-defining attributes may change (`tests = "attributes"`).
    NotAnAttribute { line: usize, shipped: String },
    /// The code above the marker defines, at this (1-based) line, a macro under the name of one
    /// that the shipped tests call (`macro_rules! assert_eq`, or an import renamed `as
    /// assert_eq`): the tests would call it instead of the real one.
    ShadowedMacro { name: String, line: usize },
    /// Where the tests are the exercise (`tests = "attributes"`), the code above the marker, the
    /// code under test, differs from the shipped (and the solution's) at this (1-based) line:
    /// the tests would pass on code changed to suit them, not on a fix of their attributes.
    CodeUnderTest { line: usize, shipped: String },
    /// The code above the marker is compiled apart, at this (1-based) line, for the tests
    /// (`cfg(test)`, `cfg(not(test))`) or for clippy (`cfg(clippy)`): they would judge other
    /// code than the program runs.
    Split { by: SplitBy, line: usize },
}

/// The text below the marker and the (1-based) number of the marker's line.
pub fn section(text: &str) -> Option<(usize, &str)> {
    below_first(text, |line| line.trim_start().starts_with(MARKER))
}

/// The text below the first line of `text` that `is_marker`, and that line's (1-based) number.
fn below_first(text: &str, is_marker: impl Fn(&str) -> bool) -> Option<(usize, &str)> {
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if is_marker(line) {
            return Some((i + 1, &text[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

/// The text of `text` above its (1-based) line `line`.
fn above_line(text: &str, line: usize) -> &str {
    let end = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    &text[..end]
}

/// The text below the learner's marker and the (1-based) number of its line: the first line
/// that reads as the shipped marker line (`// Tests: do not edit below this line.`), so that a
/// comment of the learner's that starts with `// Tests:` above it is code, not the marker. The
/// marker's words are part of what is shipped: where no line reads so, there is no marker.
pub fn learner_section<'a>(shipped: &str, learner: &'a str) -> Option<(usize, &'a str)> {
    let marker = shipped
        .lines()
        .find(|line| line.trim_start().starts_with(MARKER))?
        .trim();
    below_first(learner, |line| line.trim() == marker)
}

/// The learner's code above the marker: above the line that reads as the shipped marker line,
/// or, where none does, above the first that starts with `// Tests:` (a marker whose words were
/// changed, which `reset --tests` puts back as shipped).
pub fn code_above<'a>(shipped: &str, learner: &'a str) -> Option<&'a str> {
    let (line, _) = learner_section(shipped, learner).or_else(|| section(learner))?;
    Some(above_line(learner, line))
}

/// The shipped file from its marker line on: what `reset --tests` puts back.
pub fn marked_tests(shipped: &str) -> Option<&str> {
    let (line, _) = section(shipped)?;
    Some(&shipped[above_line(shipped, line).len()..])
}

/// Where the learner's tests first differ from the shipped ones, if they do. Where attributes
/// may change, those other than the test-defining ones must match the shipped tests' or the
/// `solution`'s.
pub fn first_change(
    shipped: &str,
    solution: Option<&str>,
    learner: &str,
    editable: Editable,
) -> Option<Change> {
    let (_, shipped_tests) = section(shipped)?;
    let Some((marker_line, mine)) = learner_section(shipped, learner) else {
        return Some(Change::NoMarker);
    };
    let shipped = shipped_tests;
    let (theirs, mine) = (meaningful(shipped, editable), meaningful(mine, editable));
    let changed = |line: usize, token: Option<&Token>| {
        let shipped_line = token.map_or(String::new(), |token| {
            let text = shipped.lines().nth(token.line - 1).unwrap_or_default();
            text.trim().to_owned()
        });
        Some(Change::Line {
            line: marker_line + line,
            shipped: shipped_line,
        })
    };
    let Some(differs) = first_difference(&theirs.body, &mine.body) else {
        // The same code: are the attributes before each token the shipped ones, or the solution's?
        let solution = solution
            .and_then(section)
            .map(|(_, tests)| meaningful(tests, editable))
            .filter(|solution| same_text(&solution.body, &theirs.body));
        for (k, attributes) in mine.attributes.iter().enumerate() {
            let allowed = |other: &Meaningful| same_text(attributes, &other.attributes[k]);
            if allowed(&theirs) || solution.as_ref().is_some_and(allowed) {
                continue;
            }
            let line = attributes
                .first()
                .or(mine.body.get(k))
                .map_or(1, |token| token.line);
            return changed(line, theirs.attributes[k].first());
        }
        return None;
    };
    changed(line_of(&mine.body, differs), theirs.body.get(differs))
}

/// The index of the first token where `mine` differs from `theirs`, if they differ.
fn first_difference(theirs: &[Token], mine: &[Token]) -> Option<usize> {
    theirs
        .iter()
        .zip(mine)
        .position(|(a, b)| a.text != b.text)
        .or_else(|| (theirs.len() != mine.len()).then(|| theirs.len().min(mine.len())))
}

/// The line of `mine` where a difference at token `differs` starts: a deleted line shows as the
/// next token, so the change starts right after the last match.
fn line_of(mine: &[Token], differs: usize) -> usize {
    let after_match = differs
        .checked_sub(1)
        .and_then(|i| mine.get(i))
        .map_or(1, |token| token.line + 1);
    mine.get(differs)
        .map_or(after_match, |token| token.line.min(after_match))
}

/// Where a solution's tests first differ from its exercise's, both as they are now (`dev
/// check`). Where the exercise has no marker, each file's tests start at its first
/// `#[cfg(test)]` line; where it has no tests at all, there is nothing to compare.
pub fn solution_change(exercise: &str, solution: &str, editable: Editable) -> Option<Change> {
    // Without a marker, one is put before `#[cfg(test)]`: the lines after it move down one.
    let marked = |text: &str| -> (String, bool) {
        if section(text).is_some() {
            return (text.to_owned(), false);
        }
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            if line.trim_start().starts_with("#[cfg(test)]") {
                let (code, tests) = text.split_at(offset);
                return (format!("{code}{MARKER}\n{tests}"), true);
            }
            offset += line.len();
        }
        (text.to_owned(), false)
    };
    let ((exercise, _), (solution, moved)) = (marked(exercise), marked(solution));
    match first_change(&exercise, Some(&solution), &solution, editable)? {
        Change::Line { line, shipped } if moved => Some(Change::Line {
            line: line - 1,
            shipped,
        }),
        change => Some(change),
    }
}

/// A macro that the code above the learner's marker defines under the name of one the shipped
/// tests call by its bare name (`assert_eq!`, `panic!`, `format!`...), unless the shipped file
/// defines it too: with `macro_rules!`, or by renaming an import `as` that name.
pub fn shadowed_macro(shipped: &str, learner: &str) -> Option<Change> {
    let (_, shipped_tests) = section(shipped)?;
    let defined_in_shipped = macro_definitions(&tokens(shipped));
    let called = tokens(shipped_tests);
    let called: Vec<&str> = (0..called.len())
        .filter(|&i| {
            called.get(i + 1).is_some_and(|t| t.text == "!")
                && called
                    .get(i + 2)
                    .is_some_and(|t| matches!(t.text.as_str(), "(" | "[" | "{"))
                && (i == 0 || called[i - 1].text != ":")
        })
        .map(|i| called[i].text.as_str())
        .filter(|name| !defined_in_shipped.iter().any(|(n, _)| n == name))
        .collect();
    let code = learner_section(shipped, learner)
        .map_or(learner, |(marker_line, _)| above_line(learner, marker_line));
    macro_definitions(&tokens(code))
        .into_iter()
        .find(|(name, _)| called.contains(&name.as_str()))
        .map(|(name, line)| Change::ShadowedMacro { name, line })
}

/// The names that `tokens` define as macros, each with its line: `macro_rules! NAME` and
/// `... as NAME` (an import renamed, which may be a macro's).
fn macro_definitions(tokens: &[Token]) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for i in 0..tokens.len() {
        let name_at = match tokens[i].text.as_str() {
            "macro_rules" if tokens.get(i + 1).is_some_and(|t| t.text == "!") => i + 2,
            "as" => i + 1,
            _ => continue,
        };
        // `r#name` is the identifier `name`.
        let raw = tokens.get(name_at).is_some_and(|t| t.text == "r")
            && tokens.get(name_at + 1).is_some_and(|t| t.text == "#");
        if let Some(name) = tokens.get(name_at + if raw { 2 } else { 0 }) {
            found.push((name.text.clone(), tokens[i].line));
        }
    }
    found
}

fn same_text(a: &[Token], b: &[Token]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.text == b.text)
}

/// The names of the test functions in `text`'s tests section (or the whole text, if it has no
/// marker): every `fn` after an attribute whose path ends in `test`.
pub fn test_names(text: &str) -> Vec<String> {
    let tokens = tokens(section(text).map_or(text, |(_, tests)| tests));
    let mut names = Vec::new();
    let mut pending = false;
    let mut i = 0;
    while i < tokens.len() {
        if let Some(end) = attribute_end(&tokens, i) {
            let path: Vec<&str> = tokens[i + 2..end]
                .iter()
                .map(|t| t.text.as_str())
                .take_while(|t| *t != "(")
                .collect();
            pending |= path.last() == Some(&"test");
            i = end + 1;
            continue;
        }
        if pending && tokens[i].text == "fn" {
            if let Some(name) = tokens.get(i + 1) {
                names.push(name.text.clone());
            }
            pending = false;
        }
        i += 1;
    }
    names
}

/// The tokens that carry meaning: no trailing commas, and where attributes may change, the
/// test-defining ones dropped and the others set apart.
struct Meaningful {
    /// Everything but the attributes set apart.
    body: Vec<Token>,
    /// `attributes[k]`: the attributes (other than test-defining ones) right before `body[k]`;
    /// the last entry, those at the end. All empty unless attributes may change.
    attributes: Vec<Vec<Token>>,
}

fn meaningful(text: &str, editable: Editable) -> Meaningful {
    let tokens = tokens(text);
    let trailing_comma = |i: usize| {
        tokens[i].text == ","
            && tokens
                .get(i + 1)
                .is_some_and(|t| matches!(t.text.as_str(), ")" | "]" | "}"))
    };
    let mut kept = Meaningful {
        body: Vec::with_capacity(tokens.len()),
        attributes: vec![Vec::new()],
    };
    let mut i = 0;
    while i < tokens.len() {
        if editable == Editable::Attributes
            && let Some(end) = attribute_end(&tokens, i)
        {
            if !defines_test(&tokens[i..=end]) {
                let attribute = (i..=end).filter(|&j| !trailing_comma(j));
                let group = kept.attributes.last_mut().expect("never empty");
                group.extend(attribute.map(|j| tokens[j].clone()));
            }
            i = end + 1;
            continue;
        }
        if !trailing_comma(i) {
            kept.body.push(tokens[i].clone());
            kept.attributes.push(Vec::new());
        }
        i += 1;
    }
    kept
}

/// Whether an attribute (`#` to `]`) is one that makes a function a test: `#[test]`, or
/// `#[tokio::test]` with any arguments but `crate` (which would run the test on a runtime of
/// the learner's making), also as `#[cfg_attr(test, ...)]` (tests are always built with `test`).
fn defines_test(attribute: &[Token]) -> bool {
    let mut texts: Vec<&str> = attribute.iter().map(|t| t.text.as_str()).collect();
    if let ["#", "[", "cfg_attr", "(", "test", ",", inner @ .., ")", "]"] = texts.as_slice() {
        let inner = inner.strip_suffix(&[","]).unwrap_or(inner);
        texts = [&["#", "["][..], inner, &["]"]].concat();
    }
    // `#[::tokio::test]` names the same attribute from the crate root.
    if texts.get(2..5) == Some(&[":", ":", "tokio"]) {
        texts.drain(2..4);
    }
    match texts.as_slice() {
        ["#", "[", "test", "]"] | ["#", "[", "tokio", ":", ":", "test", "]"] => true,
        [
            "#",
            "[",
            "tokio",
            ":",
            ":",
            "test",
            "(",
            arguments @ ..,
            ")",
            "]",
        ] => !arguments.contains(&"crate"),
        _ => false,
    }
}

/// If an attribute `#[...]` (or `#![...]`) starts at `i`, the index of its closing `]`.
fn attribute_end(tokens: &[Token], i: usize) -> Option<usize> {
    if tokens[i].text != "#" {
        return None;
    }
    let open = i + 1 + usize::from(tokens.get(i + 1)?.text == "!");
    if tokens.get(open)?.text != "[" {
        return None;
    }
    let mut depth = 0usize;
    for (j, token) in tokens.iter().enumerate().skip(open) {
        match token.text.as_str() {
            "[" => depth += 1,
            "]" => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
    }
    None
}

mod blocking;
mod cfg_split;
mod code_under_test;
mod imports;
mod reach;
mod scope;
mod tells;
mod thread_name;
mod tokens;
mod try_lock;
pub use blocking::{BlockingCall, StdBlock, blocking_call};
pub use cfg_split::{SplitBy, split_by_cfg};
pub use code_under_test::code_change;
use tokens::{Token, tokens};
pub use try_lock::{TriedLock, unwrapped_try_lock};

#[cfg(test)]
mod tests;
