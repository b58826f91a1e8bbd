//! Rust source as tokens, roughly, so that code is compared and searched as Rust, not as text:
//! formatting and comments never count.

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub(super) text: String,
    /// 1-based, counted from the start of the text tokenized.
    pub(super) line: usize,
}

/// Rust tokens, roughly: identifiers and numbers, string and char literals whole, lifetimes, and
/// single punctuation characters. Whitespace and comments are dropped.
pub(super) fn tokens(text: &str) -> Vec<Token> {
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
                } else if let Some(end) = raw_ident_end(&chars, &word, i) {
                    // `r#thread` is the identifier `thread`.
                    tokens.push(Token {
                        text: chars[i + 1..end].iter().collect(),
                        line: start.1,
                    });
                    i = end;
                    continue;
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

/// The end of a raw identifier whose `r` ends just before `at` (`r#thread`), if one does.
fn raw_ident_end(chars: &[char], word: &str, at: usize) -> Option<usize> {
    let starts = |k: usize| chars.get(k).is_some_and(|c| c.is_alphabetic() || *c == '_');
    if word != "r" || chars.get(at) != Some(&'#') || !starts(at + 1) {
        return None;
    }
    let mut end = at + 1;
    while chars
        .get(end)
        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    {
        end += 1;
    }
    Some(end)
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
