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
    /// The tests' attributes (`#[test]`, `#[tokio::test(...)]`), not their bodies: for lessons
    /// where fixing the tests is the exercise.
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
}

/// The text below the marker and the (1-based) number of the marker's line.
pub fn section(text: &str) -> Option<(usize, &str)> {
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_start().starts_with(MARKER) {
            return Some((i + 1, &text[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

/// Where the learner's tests first differ from the shipped ones, if they do.
pub fn first_change(shipped: &str, learner: &str, editable: Editable) -> Option<Change> {
    let (_, shipped) = section(shipped)?;
    let Some((marker_line, mine)) = section(learner) else {
        return Some(Change::NoMarker);
    };
    let (theirs, mine) = (meaningful(shipped, editable), meaningful(mine, editable));
    let differs = theirs
        .iter()
        .zip(&mine)
        .position(|(a, b)| a.text != b.text)
        .or_else(|| (theirs.len() != mine.len()).then(|| theirs.len().min(mine.len())))?;
    // A deleted line shows as the next token: the change starts right after the last match.
    let after_match = differs
        .checked_sub(1)
        .and_then(|i| mine.get(i))
        .map_or(1, |token| token.line + 1);
    let line = mine
        .get(differs)
        .map_or(after_match, |token| token.line.min(after_match));
    let shipped_line = theirs.get(differs).map_or(String::new(), |token| {
        let text = shipped.lines().nth(token.line - 1).unwrap_or_default();
        text.trim().to_owned()
    });
    Some(Change::Line {
        line: marker_line + line,
        shipped: shipped_line,
    })
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

#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    text: String,
    /// 1-based, counted from the start of the text tokenized.
    line: usize,
}

/// The tokens that carry meaning: no trailing commas, and no attributes where those may change.
fn meaningful(text: &str, editable: Editable) -> Vec<Token> {
    let tokens = tokens(text);
    let mut kept = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if editable == Editable::Attributes
            && let Some(end) = attribute_end(&tokens, i)
        {
            i = end + 1;
            continue;
        }
        let closing = tokens
            .get(i + 1)
            .is_some_and(|t| matches!(t.text.as_str(), ")" | "]" | "}"));
        if !(tokens[i].text == "," && closing) {
            kept.push(tokens[i].clone());
        }
        i += 1;
    }
    kept
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

/// Rust tokens, roughly: identifiers and numbers, string and char literals whole, lifetimes, and
/// single punctuation characters. Whitespace and comments are dropped.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        let start = (i, line);
        match c {
            '\n' => {
                line += 1;
                i += 1;
                continue;
            }
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i = block_comment_end(&chars, i, &mut line);
                continue;
            }
            '"' => i = string_end(&chars, i + 1, None, &mut line),
            '\'' => i = quote_end(&chars, i),
            c if c.is_alphanumeric() || c == '_' => {
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start.0..i].iter().collect();
                if let Some(end) = raw_string_end(&chars, &word, i, &mut line) {
                    i = end;
                }
            }
            _ => i += 1,
        }
        tokens.push(Token {
            text: chars[start.0..i].iter().collect(),
            line: start.1,
        });
    }
    tokens
}

fn block_comment_end(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    let mut depth = 0;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('/', Some('*')) => (depth, i) = (depth + 1, i + 2),
            ('*', Some('/')) => {
                (depth, i) = (depth - 1, i + 2);
                if depth == 0 {
                    return i;
                }
            }
            (c, _) => {
                *line += usize::from(c == '\n');
                i += 1;
            }
        }
    }
    i
}

/// The index after a string's closing quote, from `i` in its body. A raw string (`raw` holds its
/// number of `#`s) has no escapes and ends in a quote followed by as many `#`s.
fn string_end(chars: &[char], mut i: usize, raw: Option<usize>, line: &mut usize) -> usize {
    let hashes = raw.unwrap_or(0);
    while i < chars.len() {
        match chars[i] {
            '\\' if raw.is_none() => i += 2,
            '"' if chars[i + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == '#')
                .count()
                == hashes =>
            {
                return i + 1 + hashes;
            }
            c => {
                *line += usize::from(c == '\n');
                i += 1;
            }
        }
    }
    chars.len()
}

/// A char literal (`'a'`, `'\n'`) whole, or a lifetime's quote alone.
fn quote_end(chars: &[char], i: usize) -> usize {
    match (chars.get(i + 1), chars.get(i + 2)) {
        (Some('\\'), _) => (i + 2..chars.len())
            .find(|&j| chars[j] == '\'')
            .map_or(chars.len(), |j| j + 1),
        (Some(_), Some('\'')) => i + 3,
        _ => i + 1,
    }
}

/// After `r`, `br` or `b`: the end of the raw (or byte) string that follows, if one does.
fn raw_string_end(chars: &[char], word: &str, i: usize, line: &mut usize) -> Option<usize> {
    match word {
        "r" | "br" => {
            let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
            (chars.get(i + hashes) == Some(&'"'))
                .then(|| string_end(chars, i + hashes + 1, Some(hashes), line))
        }
        "b" if chars.get(i) == Some(&'"') => Some(string_end(chars, i + 1, None, line)),
        "b" if chars.get(i) == Some(&'\'') => Some(quote_end(chars, i)),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
