//! A thread's name compared: libtest names each test's thread after the test
//! (`tests::it_works`), a program's first thread is `main` and Tokio's workers are
//! `tokio-runtime-worker`, so code that checks the name can act one way under the tests and
//! another in the program. A name only shown (`println!("[{name}] ..")`) tells nothing.

use super::Token;
use super::scope::close_of;

/// Methods that ask something of a name (or of the `Option` that holds it).
const ASKS: &[&str] = &[
    "contains",
    "starts_with",
    "ends_with",
    "eq",
    "ne",
    "cmp",
    "partial_cmp",
    "is_some",
    "is_none",
    "is_some_and",
    "is_none_or",
    "map_or",
    "map_or_else",
    "strip_prefix",
    "strip_suffix",
    "find",
    "filter",
    "matches",
    "len",
    "is_empty",
];

fn text(tokens: &[Token], k: usize) -> &str {
    tokens.get(k).map_or("", |t| t.text.as_str())
}

/// Whether the token at `i` is the `name` of a current thread's `.name()` whose value the
/// code compares or asks about, there or through the variable it is put in.
pub(super) fn compared(tokens: &[Token], i: usize) -> bool {
    let before = |k: usize| i.checked_sub(k).map_or("", |j| text(tokens, j));
    if text(tokens, i) != "name" || before(1) != "." || text(tokens, i + 1) != "(" {
        return false;
    }
    if text(tokens, i + 2) != ")" {
        return false;
    }
    let start = if before(2) == ")" && before(3) == "(" && before(4) == "current" {
        path_start(tokens, i - 4)
    } else if holds_current(tokens, before(2)) {
        i - 2
    } else {
        return false;
    };
    let end = chain_end(tokens, i + 2);
    if asks_in(tokens, i + 3, end) || compares_after(tokens, end) || compares_before(tokens, start)
    {
        return true;
    }
    // `let name = thread::current().name().unwrap_or("");`, then `name == "main"`.
    let Some(var) = bound_name(tokens, start).filter(|_| text(tokens, end) == ";") else {
        return false;
    };
    (end..tokens.len()).any(|j| {
        text(tokens, j) == var
            && text(tokens, j.wrapping_sub(1)) != "."
            && (compares_after(tokens, j + 1)
                || compares_before(tokens, j)
                || text(tokens, j + 1) == "." && ASKS.contains(&text(tokens, j + 2)))
    })
}

/// The first token of the path that ends with the token at `k` (`std::thread::current`).
fn path_start(tokens: &[Token], mut k: usize) -> usize {
    while k >= 3 && text(tokens, k - 1) == ":" && text(tokens, k - 2) == ":" {
        k -= 3;
    }
    k
}

/// Whether the code puts the current thread in a variable of this name
/// (`let me = std::thread::current();`).
fn holds_current(tokens: &[Token], var: &str) -> bool {
    (0..tokens.len()).any(|k| {
        text(tokens, k) == var
            && text(tokens, k + 1) == "="
            && matches!(text(tokens, k.wrapping_sub(1)), "let" | "mut")
            && (k + 2..tokens.len())
                .take_while(|&q| text(tokens, q) != ";")
                .any(|q| text(tokens, q) == "current" && text(tokens, q + 1) == "(")
    })
}

/// The token just past a chain of method calls (and `?`) that goes on from the `)` at `close`.
fn chain_end(tokens: &[Token], mut close: usize) -> usize {
    loop {
        if text(tokens, close + 1) == "?" {
            close += 1;
        } else if text(tokens, close + 1) == "." && text(tokens, close + 3) == "(" {
            close = close_of(tokens, close + 3);
        } else {
            return close + 1;
        }
    }
}

/// Whether the tokens `from..to` (a chain's calls and their arguments) ask about the name.
fn asks_in(tokens: &[Token], from: usize, to: usize) -> bool {
    (from..to).any(|k| {
        let word = text(tokens, k);
        ASKS.contains(&word) && text(tokens, k.wrapping_sub(1)) == "."
            || matches!(word, "=" | "!") && text(tokens, k + 1) == "=" && text(tokens, k - 1) != "="
    })
}

/// Whether a comparison follows at `k`: `==`, `!=`.
fn compares_after(tokens: &[Token], k: usize) -> bool {
    matches!(text(tokens, k), "=" | "!") && text(tokens, k + 1) == "="
}

/// Whether the value that starts at `k` is compared or matched: `Some("main") == ..`,
/// `match ..`, `if let Some("main") = ..`.
fn compares_before(tokens: &[Token], k: usize) -> bool {
    let before = |n: usize| k.checked_sub(n).map_or("", |j| text(tokens, j));
    if before(1) == "=" && matches!(before(2), "=" | "!") || before(1) == "match" {
        return true;
    }
    // `if let PATTERN = ..`, `while let PATTERN = ..`: a pattern that is no plain name.
    if before(1) != "=" || k < 2 {
        return false;
    }
    let statement = (0..k - 1)
        .rev()
        .take_while(|&q| !matches!(text(tokens, q), ";" | "{" | "}"))
        .collect::<Vec<_>>();
    statement.iter().any(|&q| {
        text(tokens, q) == "let" && matches!(text(tokens, q.wrapping_sub(1)), "if" | "while")
    })
}

/// The variable a `let` puts the value that starts at `k` in (`let name = ..`,
/// `let name: &str = ..`).
fn bound_name(tokens: &[Token], k: usize) -> Option<&str> {
    if k == 0 || text(tokens, k - 1) != "=" {
        return None;
    }
    let start = (0..k)
        .rev()
        .find(|&q| matches!(text(tokens, q), ";" | "{" | "}"))
        .map_or(0, |q| q + 1);
    if text(tokens, start) != "let" {
        return None;
    }
    let name = if text(tokens, start + 1) == "mut" {
        start + 2
    } else {
        start + 1
    };
    Some(text(tokens, name)).filter(|w| w.starts_with(|c: char| c.is_alphabetic() || c == '_'))
}
