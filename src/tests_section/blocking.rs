//! A blocking `std::thread::sleep` in async code: it stops every task of the runtime's thread for
//! as long as it sleeps. The tests may still pass around a short one (nothing else needed the
//! thread then), so the learner's code above the marker is read for it, with the plain fns it
//! calls there that sleep so.

use super::{Token, code_above, tokens};

/// A blocking sleep in async code: the (1-based) line of the call there, and the code's own
/// plain fn that it calls and that sleeps (none where the line sleeps itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockingSleep {
    pub line: usize,
    pub through: Option<String>,
}

/// The first `std::thread::sleep` call that the learner's code above the marker makes in async
/// code (an `async fn`, an `async` block or closure; not in a closure or a plain `fn` inside
/// it, which may run on another thread), directly or through a plain fn of its own that sleeps
/// so, unless the shipped code makes one there too (the exercise's own bug, which its tests
/// judge).
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

/// The token that starts the first blocking call in async code, with the fn it calls: a std
/// sleep (no fn), or a call of one of the code's own plain fns that sleeps so (itself, or
/// through another such fn).
fn first_in_async(tokens: &[Token]) -> Option<(usize, Option<&str>)> {
    let imported = imports_sleep(tokens);
    let own = own_names(tokens);
    let sleepers = sleepers(tokens, imported, &own);
    (0..tokens.len()).find_map(|i| {
        let through = if sleep_at(tokens, i, imported) {
            None
        } else if calls(tokens, i, &sleepers, &own) {
            Some(tokens[i].text.as_str())
        } else {
            return None;
        };
        (runs_in(tokens, i) == Scope::Async).then_some((i, through))
    })
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

/// Whether a call of one of `names` starts at `i`: `pause(`, `self.pause(`, or a path to the
/// code's own item (`Self::pause(`, `Job::pause(`, `crate::pause(`). Another value's method of
/// that name, or another crate's fn (`tokio::time::sleep(`), may be another one.
fn calls(tokens: &[Token], i: usize, names: &[&str], own: &[&str]) -> bool {
    let before = |k: usize| i.checked_sub(k).map_or("", |j| tokens[j].text.as_str());
    let receiver_ok = match before(1) {
        "fn" => false,
        "." => before(2) == "self",
        ":" => matches!(before(3), "Self" | "crate" | "super" | "self") || own.contains(&before(3)),
        _ => true,
    };
    names.contains(&tokens[i].text.as_str())
        && tokens.get(i + 1).is_some_and(|t| t.text == "(")
        && receiver_ok
}

/// The names the code gives its own types, traits and modules (`struct Job`, `impl Job`,
/// `impl Pace for Job`, `mod helpers`).
fn own_names(tokens: &[Token]) -> Vec<&str> {
    let text = |k: usize| tokens.get(k).map_or("", |t| t.text.as_str());
    let mut own = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        match t.text.as_str() {
            "struct" | "enum" | "trait" | "mod" | "type" | "union" => own.push(text(i + 1)),
            "impl" => own.extend(
                (i + 1..tokens.len())
                    .take_while(|&k| !matches!(text(k), "{" | ";" | "where"))
                    .map(text),
            ),
            _ => {}
        }
    }
    own
}

/// The names of the code's plain fns whose own body (not a closure in it) sleeps: with a std
/// sleep, or by calling another such fn.
fn sleepers<'a>(tokens: &'a [Token], imported: bool, own: &[&str]) -> Vec<&'a str> {
    let mut names: Vec<&str> = Vec::new();
    loop {
        let before = names.len();
        for i in 0..tokens.len() {
            if (sleep_at(tokens, i, imported) || calls(tokens, i, &names, own))
                && let Scope::Fn(name) = runs_in(tokens, i)
                && !names.contains(&tokens[name].text.as_str())
            {
                names.push(tokens[name].text.as_str());
            }
        }
        if names.len() == before {
            return names;
        }
    }
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
    /// A plain `fn`'s body (the index of its name's token): code that may run anywhere.
    Fn(usize),
    /// A closure's body: code that may run on a thread of its own.
    Closure,
    /// Any other block (`if`, `loop`, `match`, `impl`, `mod`, a struct literal): as around it.
    Same,
}

/// Where the token at `at` runs: the innermost scope around it that is not `Same` (`Same` at
/// the top level), or a closure whose head (`|..|`) stands between it and the bracket it is in.
fn runs_in(tokens: &[Token], at: usize) -> Scope {
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
            // A match arm's pattern (`0 | 1 => ..`) ends the statement's reach.
            ">" if depth == 0 && k > 0 && tokens[k - 1].text == "=" => break,
            "|" if depth == 0 && closure_head(tokens, k) => return closure(tokens, k),
            _ => {}
        }
    }
    scopes
        .iter()
        .rev()
        .copied()
        .find(|&scope| scope != Scope::Same)
        .unwrap_or(Scope::Same)
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
        return closure(tokens, i - 1);
    }
    // A fn's body: the nearest `fn` before the brace, with no `;`, `{` or `}` in between. A
    // closure's head on the way (`|x| match x {`, `move || loop {`, `|| -> u32 {`) makes the
    // brace its body's block; a match arm's `=>` makes it an arm's.
    let mut depth = 0i32;
    let mut k = i;
    while k > 0 {
        k -= 1;
        match text(k) {
            ")" | "]" => depth += 1,
            "(" | "[" if depth == 0 => return Scope::Same,
            "(" | "[" => depth -= 1,
            ";" | "{" | "}" => return Scope::Same,
            ">" if depth == 0 && text(k.wrapping_sub(1)) == "=" => return Scope::Same,
            "fn" => {
                // `async fn`, `async unsafe fn`, `pub async fn`, `async extern "C" fn`.
                let asynchronous = (k.saturating_sub(4)..k).any(|q| text(q) == "async");
                return if asynchronous {
                    Scope::Async
                } else {
                    Scope::Fn(k + 1)
                };
            }
            "|" if depth == 0 && closure_head(tokens, k) => return closure(tokens, k),
            _ => {}
        }
    }
    Scope::Same
}

/// The index of the first `|` of the closure head that ends or starts at the `|` at `bar`:
/// the one before for `||`, else the nearest before `bar`.
fn head_start(tokens: &[Token], bar: usize) -> usize {
    let text = |k: usize| tokens.get(k).map_or("", |t| t.text.as_str());
    if bar > 0 && text(bar - 1) == "|" {
        bar - 1
    } else {
        (0..bar).rev().find(|&k| text(k) == "|").unwrap_or(bar)
    }
}

/// Whether the `|` at `bar` ends a closure's head, not an `|` or `||` operator or a pattern's
/// alternatives: what comes before the head is where an expression starts.
fn closure_head(tokens: &[Token], bar: usize) -> bool {
    let first = head_start(tokens, bar);
    let before = |k: usize| first.checked_sub(k).map_or("", |j| tokens[j].text.as_str());
    matches!(
        before(1),
        "" | "(" | "[" | "{" | "," | ";" | "=" | "&" | "move" | "async" | "return"
    ) || (before(1) == ">" && before(2) == "=")
}

/// The scope of the closure whose head ends or starts at the `|` at `bar`: `Async` for an
/// async closure (`async |x| ..`, `async move || ..`), else `Closure`.
fn closure(tokens: &[Token], bar: usize) -> Scope {
    if closure_is_async(tokens, bar) {
        Scope::Async
    } else {
        Scope::Closure
    }
}

/// Whether the closure whose head ends or starts at the `|` at `bar` is an async closure
/// (`async |x| ..`, `async move || ..`).
fn closure_is_async(tokens: &[Token], bar: usize) -> bool {
    let first = head_start(tokens, bar);
    let before = |k: usize| first.checked_sub(k).map_or("", |j| tokens[j].text.as_str());
    before(1) == "async" || (before(1) == "move" && before(2) == "async")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKER: &str = "\n// Tests: do not edit below this line.\n#[cfg(test)]\nmod tests {}\n";

    fn found(code: &str) -> Option<usize> {
        through(code).map(|sleep| sleep.line)
    }

    fn through(code: &str) -> Option<BlockingSleep> {
        let shipped = format!("fn main() {{}}{MARKER}");
        blocking_sleep(&shipped, &format!("{code}{MARKER}"))
    }

    #[test]
    fn a_std_sleep_in_async_code_is_found() {
        let in_async_fn = "use std::time::Duration;\n\nasync fn work() {\n    \
                           std::thread::sleep(Duration::from_millis(1));\n}\n";
        let sleep = BlockingSleep {
            line: 4,
            through: None,
        };
        assert_eq!(through(in_async_fn), Some(sleep));
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
    fn a_plain_fn_that_sleeps_called_from_async_code_is_found_at_the_call() {
        let helper = "fn pause() {\n    std::thread::sleep(D);\n}\nasync fn work() {\n    \
                      pause();\n}\n";
        let call = BlockingSleep {
            line: 5,
            through: Some("pause".to_owned()),
        };
        assert_eq!(through(helper), Some(call));
        // Through another plain fn, and as a method or an associated fn of the code's own type.
        let chained = "fn wait_a_bit() {\n    thread::sleep(D);\n}\nfn parse(x: u32) -> u32 {\n    \
                       wait_a_bit();\n    x\n}\nasync fn work() -> u32 {\n    parse(1)\n}\n";
        assert_eq!(found(chained), Some(9));
        let method = "impl Job {\n    fn nap(&self) {\n        thread::sleep(D);\n    }\n    \
                      async fn run(&self) {\n        self.nap();\n    }\n}\n";
        assert_eq!(found(method), Some(6));
        let associated = "impl Job {\n    fn nap() {\n        thread::sleep(D);\n    }\n}\n\
                          async fn run() {\n    Job::nap();\n}\n";
        assert_eq!(found(associated), Some(7));
    }

    #[test]
    fn a_plain_fn_that_sleeps_called_on_a_thread_of_its_own_is_not() {
        let blocking_task = "fn pause() {\n    std::thread::sleep(D);\n}\nasync fn work() {\n    \
                             spawn_blocking(|| pause()).await.unwrap();\n    \
                             spawn_blocking(pause).await.unwrap();\n}\n";
        assert_eq!(found(blocking_task), None);
        // A closure in the fn's body sleeps on its own thread; another value's method of that
        // name is another type's.
        let spawns = "fn start() {\n    std::thread::spawn(|| thread::sleep(D));\n}\n\
                      fn recv(x: u8) {\n    thread::sleep(D);\n}\nasync fn work() {\n    \
                      start();\n    rx.recv().await;\n}\n";
        assert_eq!(found(spawns), None);
    }

    #[test]
    fn a_closure_whose_body_is_a_match_if_or_loop_is_a_closure() {
        let arms = "fn cool_down() {\n    thread::sleep(D);\n}\nasync fn work(x: u8) {\n    \
                    spawn_blocking(move || match x {\n        _ => {\n            cool_down();\n        \
                    }\n    });\n}\n";
        assert_eq!(found(arms), None);
        let branch = "async fn work(big: bool) {\n    spawn_blocking(move || if big {\n        \
                      std::thread::sleep(D);\n    } else {\n    });\n}\n";
        assert_eq!(found(branch), None);
        let looped = "async fn work() {\n    std::thread::spawn(move || loop {\n        \
                      std::thread::sleep(D);\n    });\n}\n";
        assert_eq!(found(looped), None);
        // An `||` or `|` that is an operator or a pattern's alternatives is no closure.
        let or = "async fn work(a: bool, b: bool) {\n    if a || b {\n        \
                  std::thread::sleep(D);\n    }\n}\n";
        assert_eq!(found(or), Some(3));
        let alternatives = "async fn work(n: u8) {\n    match n {\n        0 | 1..=64 => \
                            std::thread::sleep(D),\n        _ => {}\n    }\n}\n";
        assert_eq!(found(alternatives), Some(3));
    }

    #[test]
    fn another_crates_fn_of_a_sleepers_name_is_not_a_call_of_it() {
        let named_sleep = "fn sleep(ms: u64) {\n    std::thread::sleep(D);\n}\nasync fn work() {\n    \
                           spawn_blocking(|| sleep(5)).await.unwrap();\n    \
                           tokio::time::sleep(D).await;\n}\n";
        assert_eq!(found(named_sleep), None);
        let own_module = "mod pace {\n    pub fn nap() {\n        std::thread::sleep(D);\n    }\n}\n\
                          async fn work() {\n    pace::nap();\n}\n";
        assert_eq!(found(own_module), Some(7));
    }

    #[test]
    fn an_exercise_whose_shipped_code_sleeps_so_is_left_to_its_tests() {
        let shipped = format!("async fn beat() {{\n    std::thread::sleep(D);\n}}{MARKER}");
        let learner = format!("async fn beat() {{\n    std::thread::sleep(E);\n}}{MARKER}");
        assert_eq!(blocking_sleep(&shipped, &learner), None);
    }
}
