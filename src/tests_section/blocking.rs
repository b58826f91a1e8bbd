//! A blocking `std::thread::sleep` in async code: it stops every task of the runtime's thread for
//! as long as it sleeps. The tests may still pass around a short one (nothing else needed the
//! thread then), so the learner's code above the marker is read for it.

use super::{Token, code_above, tokens};

/// The (1-based) line of the first `std::thread::sleep` call that the learner's code above the
/// marker makes in async code (an `async fn`, an `async` block or closure; not in a closure or
/// a plain `fn` inside it, which may run on another thread), unless the shipped code makes one
/// there too (the exercise's own bug, which its tests judge).
pub fn blocking_sleep(shipped: &str, learner: &str) -> Option<usize> {
    let mine = tokens(code_above(shipped, learner)?);
    let theirs = code_above(shipped, shipped).map(tokens).unwrap_or_default();
    if first_in_async(&theirs).is_some() {
        return None;
    }
    first_in_async(&mine).map(|i| mine[i].line)
}

/// The token that starts the first std sleep call in async code.
fn first_in_async(tokens: &[Token]) -> Option<usize> {
    let text = |i: usize| tokens.get(i).map_or("", |t| t.text.as_str());
    let imported = imports_sleep(tokens);
    (0..tokens.len()).find(|&i| {
        let qualified = text(i) == "thread" && text(i + 1) == ":" && text(i + 2) == ":";
        let call = if qualified {
            text(i + 3) == "sleep" && text(i + 4) == "("
        } else {
            imported
                && text(i) == "sleep"
                && text(i + 1) == "("
                && (i == 0 || !matches!(text(i - 1), "." | ":" | "fn"))
        };
        call && in_async(tokens, i)
    })
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

/// What an opening brace begins.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// An `async fn`'s body, an `async` block or an async closure's body.
    Async,
    /// A plain `fn`'s body or a closure's: code that may run on a thread of its own.
    Sync,
    /// Any other block (`if`, `loop`, `match`, `impl`, `mod`, a struct literal): as around it.
    Same,
}

/// Whether the token at `at` runs in async code: the innermost scope around it that is not
/// `Same` is async, and no closure head (`|..|`) stands between it and the bracket it is in.
fn in_async(tokens: &[Token], at: usize) -> bool {
    let mut scopes: Vec<Scope> = Vec::new();
    for i in 0..at {
        match tokens[i].text.as_str() {
            "{" => scopes.push(scope_of(tokens, i)),
            "(" | "[" => scopes.push(Scope::Same),
            "}" | ")" | "]" => {
                scopes.pop();
            }
            _ => {}
        }
    }
    // An expression closure (`spawn_blocking(|| std::thread::sleep(..))`) has no brace: a `|`
    // in the same statement as the call, and as deep, is its head.
    let mut depth = 0i32;
    for k in (0..at).rev() {
        match tokens[k].text.as_str() {
            "}" | ")" | "]" => depth += 1,
            "{" | "(" | "[" if depth == 0 => break,
            "{" | "(" | "[" => depth -= 1,
            ";" | "," if depth == 0 => break,
            "|" if depth == 0 => return closure_is_async(tokens, k),
            _ => {}
        }
    }
    scopes
        .iter()
        .rev()
        .copied()
        .find(|&scope| scope != Scope::Same)
        == Some(Scope::Async)
}

/// What the brace at `i` opens, from the tokens before it.
fn scope_of(tokens: &[Token], i: usize) -> Scope {
    let text = |k: usize| tokens.get(k).map_or("", |t| t.text.as_str());
    let before = |k: usize| if k <= i { text(i - k) } else { "" };
    if before(1) == "async" || (before(1) == "move" && before(2) == "async") {
        return Scope::Async;
    }
    // A closure's body: right after its head's closing `|`, or after `|..| -> Type`.
    if before(1) == "|" {
        return if closure_is_async(tokens, i - 1) {
            Scope::Async
        } else {
            Scope::Sync
        };
    }
    // A fn's body: the nearest `fn` before the brace, with no `;`, `{` or `}` in between.
    let mut k = i;
    while k > 0 {
        k -= 1;
        match text(k) {
            ";" | "{" | "}" => return Scope::Same,
            "fn" => {
                // `async fn`, `async unsafe fn`, `pub async fn`, `async extern "C" fn`.
                let asynchronous = (k.saturating_sub(4)..k).any(|q| text(q) == "async");
                return if asynchronous {
                    Scope::Async
                } else {
                    Scope::Sync
                };
            }
            "|" if text(k + 1) == "-" && text(k + 2) == ">" => {
                return if closure_is_async(tokens, k) {
                    Scope::Async
                } else {
                    Scope::Sync
                };
            }
            _ => {}
        }
    }
    Scope::Same
}

/// Whether the closure whose head ends or starts at the `|` at `bar` is an async closure
/// (`async |x| ..`, `async move || ..`).
fn closure_is_async(tokens: &[Token], bar: usize) -> bool {
    let text = |k: usize| tokens.get(k).map_or("", |t| t.text.as_str());
    // The head's first `|`: the one before for `||`, else the nearest before `bar`.
    let first = if bar > 0 && text(bar - 1) == "|" {
        bar - 1
    } else {
        (0..bar).rev().find(|&k| text(k) == "|").unwrap_or(bar)
    };
    let before = |k: usize| if k <= first { text(first - k) } else { "" };
    before(1) == "async" || (before(1) == "move" && before(2) == "async")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKER: &str = "\n// Tests: do not edit below this line.\n#[cfg(test)]\nmod tests {}\n";

    fn found(code: &str) -> Option<usize> {
        let shipped = format!("fn main() {{}}{MARKER}");
        blocking_sleep(&shipped, &format!("{code}{MARKER}"))
    }

    #[test]
    fn a_std_sleep_in_async_code_is_found() {
        let in_async_fn = "use std::time::Duration;\n\nasync fn work() {\n    \
                           std::thread::sleep(Duration::from_millis(1));\n}\n";
        assert_eq!(found(in_async_fn), Some(4));
        let in_block = "fn main() {\n    let f = async move {\n        if true {\n            \
                        std::thread::sleep(D);\n        }\n    };\n}\n";
        assert_eq!(found(in_block), Some(4));
        let imported = "use std::thread::sleep;\nasync fn work() {\n    sleep(D);\n}\n";
        assert_eq!(found(imported), Some(3));
        let in_async_closure = "fn main() {\n    let f = async |x: u32| {\n        \
                                thread::sleep(D);\n    };\n}\n";
        assert_eq!(found(in_async_closure), Some(3));
        let in_method = "impl Job {\n    pub async fn run(&self) -> u32 {\n        loop {\n            \
                         thread::sleep(D);\n        }\n    }\n}\n";
        assert_eq!(found(in_method), Some(4));
    }

    #[test]
    fn a_std_sleep_on_a_thread_of_its_own_or_in_a_plain_fn_is_not() {
        let blocking_task = "async fn work() {\n    tokio::task::spawn_blocking(|| \
                             std::thread::sleep(D)).await.unwrap();\n}\n";
        assert_eq!(found(blocking_task), None);
        let braced = "async fn work() {\n    std::thread::spawn(move || {\n        \
                      thread::sleep(D);\n    });\n}\n";
        assert_eq!(found(braced), None);
        let returns = "async fn work() {\n    spawn_blocking(move || -> u32 {\n        \
                       thread::sleep(D);\n        1\n    });\n}\n";
        assert_eq!(found(returns), None);
        let plain_fn = "fn pause() {\n    std::thread::sleep(D);\n}\nasync fn work() {}\n";
        assert_eq!(found(plain_fn), None);
        let nested_fn = "async fn work() {\n    fn pause() {\n        std::thread::sleep(D);\n    \
                         }\n}\n";
        assert_eq!(found(nested_fn), None);
        // Tokio's own sleep, imported by name, and a comment or a string that names std's.
        let tokio_sleep = "use tokio::time::sleep;\nasync fn work() {\n    sleep(D).await;\n    \
                           // std::thread::sleep(D) would block\n    let s = \"thread::sleep(\";\n}\n";
        assert_eq!(found(tokio_sleep), None);
        let renamed = "use std::thread::sleep as nap;\nuse tokio::time::sleep;\nasync fn w() {\n    \
                       sleep(D).await;\n}\n";
        assert_eq!(found(renamed), None);
    }

    #[test]
    fn an_exercise_whose_shipped_code_sleeps_so_is_left_to_its_tests() {
        let shipped = format!("async fn beat() {{\n    std::thread::sleep(D);\n}}{MARKER}");
        let learner = format!("async fn beat() {{\n    std::thread::sleep(E);\n}}{MARKER}");
        assert_eq!(blocking_sleep(&shipped, &learner), None);
    }
}
