//! Where a token of the learner's code runs: in async code, in a plain fn, in a closure that
//! may run on a thread of its own, or as the code around it.

use super::Token;

/// What an opening brace, or a closure's head, begins.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Scope {
    /// An `async fn`'s body, an `async` block or an async closure's body.
    Async,
    /// A plain `fn`'s body (the index of its name's token): code that may run anywhere.
    Fn(usize),
    /// A closure's body (the index of its head's first `|`): code that may run on a thread of
    /// its own.
    Closure(usize),
    /// Any other block (`if`, `loop`, `match`, `impl`, `mod`, a struct literal), or a closure
    /// that an iterator, an `Option` or a stream runs in place: as around it.
    Same,
}

/// The calls that run the closure they are given in place, on the caller's thread, when they
/// are called: consumers of iterators and streams, `Option`, `Result` and entry methods,
/// futures made from a closure, `std::thread::scope`'s body (not what it spawns), a
/// thread-local's `with`, `OnceLock::get_or_init`.
const IN_PLACE: &[&str] = &[
    "all",
    "and_then",
    "any",
    "call_once",
    "find",
    "find_map",
    "fold",
    "for_each",
    "get_or_init",
    "get_or_insert_with",
    "lazy",
    "map_or",
    "map_or_else",
    "max_by_key",
    "min_by_key",
    "or_else",
    "or_insert_with",
    "poll_fn",
    "position",
    "retain",
    "scope",
    "sort_by",
    "sort_by_key",
    "try_fold",
    "try_for_each",
    "unwrap_or_else",
    "with",
];

/// Adapters that run their closure only when what they make is consumed: in place when a
/// consumer follows in the same chain (`.map(|x| ..).collect()`), not when the chain is handed
/// on (an iterator built here and consumed in a blocking task).
const LAZY: &[&str] = &[
    "filter",
    "filter_map",
    "flat_map",
    "from_fn",
    "inspect",
    "map",
    "map_while",
    "repeat_with",
    "scan",
    "skip_while",
    "successors",
    "take_while",
    "then",
];

/// What consumes an iterator or a stream in a chain, so that the chain's lazy adapters run.
const CONSUMERS: &[&str] = &[
    "all",
    "any",
    "collect",
    "count",
    "find",
    "find_map",
    "fold",
    "for_each",
    "last",
    "max",
    "max_by",
    "max_by_key",
    "min",
    "min_by",
    "min_by_key",
    "next",
    "nth",
    "partition",
    "position",
    "product",
    "reduce",
    "sum",
    "try_collect",
    "try_fold",
    "try_for_each",
    "unzip",
];

/// Where the token at `at` runs: from the innermost bracket around it outwards, the first
/// scope that is not `Same` (`Same` at the top level). At each level, a closure's head (`|..|`)
/// between the bracket and the token, in the same statement, is a closure without braces
/// (`spawn_blocking(|| std::thread::sleep(..))`).
pub(super) fn runs_in(tokens: &[Token], at: usize) -> Scope {
    let mut pos = at;
    for open in enclosing(tokens, at).into_iter().rev() {
        if let Some(scope) = head_between(tokens, Some(open), pos) {
            return scope;
        }
        let scope = match tokens[open].text.as_str() {
            "{" => scope_of(tokens, open),
            _ => Scope::Same,
        };
        if scope != Scope::Same {
            return scope;
        }
        pos = open;
    }
    head_between(tokens, None, pos).unwrap_or(Scope::Same)
}

/// The brackets open around the token at `at`, outermost first.
pub(super) fn enclosing(tokens: &[Token], at: usize) -> Vec<usize> {
    let mut open = Vec::new();
    for (i, t) in tokens.iter().enumerate().take(at) {
        match t.text.as_str() {
            "{" | "(" | "[" => open.push(i),
            "}" | ")" | "]" => {
                open.pop();
            }
            _ => {}
        }
    }
    open
}

/// The scope of a closure whose head stands between the bracket `open` (the start if none) and
/// `pos`, in the same statement, if it is not one that runs in place.
fn head_between(tokens: &[Token], open: Option<usize>, pos: usize) -> Option<Scope> {
    let start = open.map_or(0, |open| open + 1);
    let mut depth = 0i32;
    for k in (start..pos).rev() {
        match tokens[k].text.as_str() {
            "}" | ")" | "]" => depth += 1,
            "{" | "(" | "[" => depth -= 1,
            ";" | "," if depth == 0 => return None,
            // A match arm's pattern (`0 | 1 => ..`) ends the statement's reach.
            ">" if depth == 0 && k > 0 && tokens[k - 1].text == "=" => return None,
            "|" if depth == 0 && closure_head(tokens, k) => {
                return Some(closure(tokens, k)).filter(|&scope| scope != Scope::Same);
            }
            _ => {}
        }
    }
    None
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
            "fn" if depth == 0 => {
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
pub(super) fn head_start(tokens: &[Token], bar: usize) -> usize {
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
        "" | "(" | "[" | "{" | "," | ";" | ":" | "=" | "&" | "move" | "async" | "return"
    ) || (before(1) == ">" && before(2) == "=")
}

/// The scope of the closure whose head ends or starts at the `|` at `bar`: `Async` for an
/// async closure (`async |x| ..`, `async move || ..`), `Same` for one that a call runs in place
/// (`.map(|x| ..)`), else `Closure`.
fn closure(tokens: &[Token], bar: usize) -> Scope {
    let first = head_start(tokens, bar);
    let before = |k: usize| first.checked_sub(k).map_or("", |j| tokens[j].text.as_str());
    if before(1) == "async" || (before(1) == "move" && before(2) == "async") {
        return Scope::Async;
    }
    let arg = first.checked_sub(if before(1) == "move" { 2 } else { 1 });
    if arg
        .and_then(|arg| call_of(tokens, arg))
        .is_some_and(|open| in_place(tokens, open))
    {
        return Scope::Same;
    }
    Scope::Closure(first)
}

/// Whether the call whose arguments open at `open` runs a closure among them in place: an
/// eager one, or a lazy adapter whose chain goes on to a consumer.
fn in_place(tokens: &[Token], open: usize) -> bool {
    let text = |k: usize| tokens.get(k).map_or("", |t| t.text.as_str());
    let name = open.checked_sub(1).map_or("", text);
    if IN_PLACE.contains(&name) {
        return true;
    }
    // A closure in brackets of its own, called where it is written: `(|| ..)()`.
    let called_here = text(close_of(tokens, open) + 1) == "(";
    if called_here && !name.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        return true;
    }
    if !LAZY.contains(&name) {
        return false;
    }
    // The chain after the call: `.name(..)` or `.name::<T>(..)`, step by step.
    let mut k = close_of(tokens, open);
    while text(k + 1) == "." {
        let step = text(k + 2);
        if CONSUMERS.contains(&step) {
            return true;
        }
        let Some(next) = (k + 3..tokens.len()).find(|&q| text(q) == "(" || text(q) == ".") else {
            return false;
        };
        if text(next) != "(" {
            k += 2;
            continue;
        }
        k = close_of(tokens, next);
    }
    false
}

/// The index of the bracket that closes the one at `open`.
pub(super) fn close_of(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0i32;
    for (k, t) in tokens.iter().enumerate().skip(open) {
        match t.text.as_str() {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            return k;
        }
    }
    tokens.len().saturating_sub(1)
}

/// The `(` that opens the argument list the token at `at` (a `(` or `,`) is in: the one of
/// `.map(|x| ..)`, of `fold(0, |a, b| ..)`.
fn call_of(tokens: &[Token], at: usize) -> Option<usize> {
    let text = |k: usize| tokens.get(k).map_or("", |t| t.text.as_str());
    if !matches!(text(at), "(" | ",") {
        return None;
    }
    let mut depth = 0i32;
    for k in (0..=at).rev() {
        match text(k) {
            ")" | "]" | "}" => depth += 1,
            "(" if depth == 0 => return Some(k),
            "[" | "{" | ";" if depth == 0 => return None,
            "(" | "[" | "{" => depth -= 1,
            _ => {}
        }
    }
    None
}
