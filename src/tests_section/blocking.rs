//! A blocking `std::thread::sleep` in async code: it stops every task of the runtime's thread for
//! as long as it sleeps. The tests may still pass around a short one (nothing else needed the
//! thread then), so the learner's code above the marker is read for it, with the code's own
//! fns, methods and closures that sleep so and that it calls there.

#[cfg(test)]
mod tests;

use super::Token;
use super::reach;

/// A blocking sleep in async code: the (1-based) line of the call there, the code's own fn,
/// method or closure that it calls and that sleeps (none where the line sleeps itself), and
/// std's fn that sleeps (`sleep`, `park` or `park_timeout`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockingSleep {
    pub line: usize,
    pub through: Option<String>,
    pub sleep: &'static str,
}

/// The first `std::thread::sleep` call that the learner's code above the marker makes in async
/// code (an `async fn`, an `async` block or closure, or a closure an iterator runs there; not in
/// another closure or a plain `fn` inside it, which may run on another thread), directly or
/// through its own code that sleeps so, unless the shipped code makes one there too (the
/// exercise's own bug, which its tests judge).
pub fn blocking_sleep(shipped: &str, learner: &str) -> Option<BlockingSleep> {
    let mine = reach::learner_only(shipped, learner, |theirs| first_in_async(theirs).is_some())?;
    let (at, through) = first_in_async(&mine)?;
    // Std's fn: the one at the line, else (in a helper) the first one the code calls.
    let (imported, thread) = (imports_sleep(&mine), thread_alias(&mine));
    let sleep = (at..mine.len())
        .chain(0..at)
        .find(|&k| sleep_at(&mine, k, imported, thread))
        .map_or("sleep", |k| std_fn(&mine, k));
    Some(BlockingSleep {
        line: mine[at].line,
        through: through.map(str::to_owned),
        sleep,
    })
}

/// The token that starts the first blocking call in async code, with the code's own callable
/// that it calls (none for a std sleep).
fn first_in_async(tokens: &[Token]) -> Option<(usize, Option<&str>)> {
    let imported = imports_sleep(tokens);
    let thread = thread_alias(tokens);
    reach::first_in_async(tokens, |i| sleep_at(tokens, i, imported, thread))
}

/// The std fns that put the thread to sleep: for a time, or until another thread wakes it.
const SLEEPS: &[&str] = &["sleep", "park", "park_timeout"];

/// Whether a `std::thread::sleep(` call (or `park`, `park_timeout`) starts at `i`, with
/// `thread` the name the code gives std's `thread` module.
fn sleep_at(tokens: &[Token], i: usize, imported: bool, thread: &str) -> bool {
    let text = |i: usize| tokens.get(i).map_or("", |t| t.text.as_str());
    if text(i) == thread && text(i + 1) == ":" && text(i + 2) == ":" {
        return SLEEPS.contains(&text(i + 3)) && text(i + 4) == "(";
    }
    imported
        && text(i) == "sleep"
        && text(i + 1) == "("
        && (i == 0 || !matches!(text(i - 1), "." | ":" | "fn"))
}

/// The name of std's fn whose call starts at `k`: `thread::park_timeout(` gives
/// `park_timeout`, an imported `sleep(` gives `sleep`.
fn std_fn(tokens: &[Token], k: usize) -> &'static str {
    let name = tokens.get(k + 3).map_or("", |t| t.text.as_str());
    match SLEEPS.iter().find(|&&s| s == name) {
        Some(found) if tokens[k].text != "sleep" => found,
        _ => "sleep",
    }
}

/// The name the code gives std's `thread` module: `th` after `use std::thread as th;`.
fn thread_alias(tokens: &[Token]) -> &str {
    let text = |i: usize| tokens.get(i).map_or("", |t| t.text.as_str());
    (0..tokens.len())
        .find(|&i| text(i) == "thread" && text(i + 1) == "as" && text(i.wrapping_sub(3)) == "std")
        .map_or("thread", |i| text(i + 2))
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
