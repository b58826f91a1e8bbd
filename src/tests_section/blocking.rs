//! A blocking `std::thread::sleep` in async code: it stops every task of the runtime's thread for
//! as long as it sleeps. The tests may still pass around a short one (nothing else needed the
//! thread then), so the learner's code above the marker is read for it, with the code's own
//! fns, methods and closures that sleep so and that it calls there.

#[cfg(test)]
mod tests;

use super::reach;
use super::{Token, code_above, tokens};

/// A blocking sleep in async code: the (1-based) line of the call there, and the code's own
/// fn, method or closure that it calls and that sleeps (none where the line sleeps itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockingSleep {
    pub line: usize,
    pub through: Option<String>,
}

/// The first `std::thread::sleep` call that the learner's code above the marker makes in async
/// code (an `async fn`, an `async` block or closure, or a closure an iterator runs there; not in
/// another closure or a plain `fn` inside it, which may run on another thread), directly or
/// through its own code that sleeps so, unless the shipped code makes one there too (the
/// exercise's own bug, which its tests judge).
pub fn blocking_sleep(shipped: &str, learner: &str) -> Option<BlockingSleep> {
    let mine = tokens(code_above(shipped, learner)?);
    let theirs = code_above(shipped, shipped).map(tokens).unwrap_or_default();
    if first_in_async(&theirs).is_some() {
        return None;
    }
    let (at, through) = first_in_async(&mine)?;
    Some(BlockingSleep {
        line: mine[at].line,
        through: through.map(str::to_owned),
    })
}

/// The token that starts the first blocking call in async code, with the code's own callable
/// that it calls (none for a std sleep).
fn first_in_async(tokens: &[Token]) -> Option<(usize, Option<&str>)> {
    let imported = imports_sleep(tokens);
    reach::first_in_async(tokens, |i| sleep_at(tokens, i, imported))
}

/// Whether a `std::thread::sleep(` call starts at `i`.
fn sleep_at(tokens: &[Token], i: usize, imported: bool) -> bool {
    let text = |i: usize| tokens.get(i).map_or("", |t| t.text.as_str());
    if text(i) == "thread" && text(i + 1) == ":" && text(i + 2) == ":" {
        return text(i + 3) == "sleep" && text(i + 4) == "(";
    }
    imported
        && text(i) == "sleep"
        && text(i + 1) == "("
        && (i == 0 || !matches!(text(i - 1), "." | ":" | "fn"))
}

/// The code brings `std::thread::sleep` in under its own name (`use std::thread::sleep;`).
fn imports_sleep(tokens: &[Token]) -> bool {
    let mut in_use = false;
    let mut after_thread = false;
    for (i, t) in tokens.iter().enumerate() {
        match t.text.as_str() {
            "use" => in_use = true,
            ";" => (in_use, after_thread) = (false, false),
            "thread" if in_use => after_thread = true,
            "sleep" if in_use && after_thread => {
                // `use std::thread::sleep as nap;` renames it: calls of `sleep(` are others.
                return tokens.get(i + 1).is_none_or(|t| t.text != "as");
            }
            _ => {}
        }
    }
    false
}
