//! A blocking `std::thread::sleep` in async code: it stops every task of the runtime's thread for
//! as long as it sleeps. The tests may still pass around a short one (nothing else needed the
//! thread then), so the learner's code above the marker is read for it, with the code's own
//! fns, methods and closures that sleep so and that it calls there.

#[cfg(test)]
mod tests;

use super::scope::{Scope, runs_in};
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
    let code = Code::read(tokens);
    (0..tokens.len()).find_map(|i| {
        let through = code.blocking_call(i)?;
        (runs_in(tokens, i) == Scope::Async).then_some((i, through))
    })
}

/// The learner's code, with what it knows of its own callables that sleep.
struct Code<'a> {
    tokens: &'a [Token],
    /// `use std::thread::sleep;` brings std's sleep in under its own name.
    imported: bool,
    /// The names the code gives its own types, traits and modules.
    own: Vec<&'a str>,
    /// The code's plain fns, methods and closures held in a variable that sleep.
    sleepers: Vec<&'a str>,
    /// Those of `sleepers` that take `self`: called on any value (`pacer.pace()`).
    methods: Vec<&'a str>,
    /// The code's plain fns that call a fn or closure they are given (`fn twice(f: fn())`).
    callers: Vec<&'a str>,
}

impl<'a> Code<'a> {
    fn read(tokens: &'a [Token]) -> Self {
        let mut code = Code {
            tokens,
            imported: imports_sleep(tokens),
            own: own_names(tokens),
            sleepers: Vec::new(),
            methods: Vec::new(),
            callers: callers(tokens),
        };
        code.find_sleepers();
        code
    }

    fn text(&self, k: usize) -> &'a str {
        self.tokens.get(k).map_or("", |t| t.text.as_str())
    }

    /// Whether a blocking call starts at `i`: `Some(None)` for a std sleep, `Some(Some(name))`
    /// for a call of the code's own `name` that sleeps (or of a fn it is handed to).
    fn blocking_call(&self, i: usize) -> Option<Option<&'a str>> {
        if sleep_at(self.tokens, i, self.imported) {
            return Some(None);
        }
        let name = self.text(i);
        if self.text(i + 1) != "(" {
            return None;
        }
        if self.sleepers.contains(&name) && self.own_call(i) {
            return Some(Some(name));
        }
        if self.methods.contains(&name)
            && i.checked_sub(1).is_some_and(|dot| self.text(dot) == ".")
            && !self.awaited(i + 1)
        {
            return Some(Some(name));
        }
        if self.callers.contains(&name) && self.own_call(i) {
            return self.handed_sleeper(i + 1).map(Some);
        }
        None
    }

    /// Whether the call at `i` is of the code's own fn of that name: `pause(`, `self.pause(`,
    /// or a path to its own item (`Self::pause(`, `Job::pause(`, `crate::pause(`), not another
    /// crate's (`tokio::time::sleep(`).
    fn own_call(&self, i: usize) -> bool {
        let before = |k: usize| i.checked_sub(k).map_or("", |j| self.text(j));
        match before(1) {
            "fn" => false,
            "." => before(2) == "self",
            ":" => {
                matches!(before(3), "Self" | "crate" | "super" | "self")
                    || self.own.contains(&before(3))
            }
            _ => true,
        }
    }

    /// Whether the call whose arguments open at `open` is awaited (`x.recv(..).await`): an
    /// async method, another type's than the code's plain ones.
    fn awaited(&self, open: usize) -> bool {
        let close = matching(self.tokens, open);
        self.text(close + 1) == "." && self.text(close + 2) == "await"
    }

    /// The first of the call's arguments (opening at `open`) that is a sleeper's bare name:
    /// `twice(rest)`.
    fn handed_sleeper(&self, open: usize) -> Option<&'a str> {
        let close = matching(self.tokens, open);
        (open + 1..close).map(|k| self.text(k)).find(|&name| {
            self.sleepers.contains(&name)
                && (open + 1..close).any(|k| {
                    self.text(k) == name
                        && matches!(self.text(k - 1), "(" | ",")
                        && matches!(self.text(k + 1), ")" | ",")
                })
        })
    }

    /// Fills `sleepers` and `methods`: the plain fns, methods and closures in a variable whose
    /// own body (not a closure in it that may run elsewhere) sleeps, directly or through another.
    fn find_sleepers(&mut self) {
        loop {
            let before = self.sleepers.len();
            for i in 0..self.tokens.len() {
                if self.blocking_call(i).is_none() {
                    continue;
                }
                let (name, method) = match runs_in(self.tokens, i) {
                    Scope::Fn(name) => (self.text(name), takes_self(self.tokens, name)),
                    Scope::Closure(head) => match bound_to(self.tokens, head) {
                        Some(name) => (name, false),
                        None => continue,
                    },
                    Scope::Async | Scope::Same => continue,
                };
                if !self.sleepers.contains(&name) {
                    self.sleepers.push(name);
                    if method {
                        self.methods.push(name);
                    }
                }
            }
            if self.sleepers.len() == before {
                return;
            }
        }
    }
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

/// The index of the bracket that closes the one at `open` (the last token if none does).
fn matching(tokens: &[Token], open: usize) -> usize {
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

/// Whether the fn whose name is at `name` takes `self` (`fn pace(&self)`, `fn pace(mut self)`).
fn takes_self(tokens: &[Token], name: usize) -> bool {
    let Some(open) = params_open(tokens, name) else {
        return false;
    };
    tokens[open + 1..]
        .iter()
        .take_while(|t| !matches!(t.text.as_str(), "," | ")" | ":"))
        .any(|t| t.text == "self")
}

/// The index of the `(` that opens the parameters of the fn whose name is at `name`, past its
/// generics (`fn timed<F: Fn() -> u32>(job: F)`).
fn params_open(tokens: &[Token], name: usize) -> Option<usize> {
    let text = |k: usize| tokens.get(k).map_or("", |t| t.text.as_str());
    let mut angle = 0i32;
    for k in name + 1..tokens.len() {
        match text(k) {
            "<" => angle += 1,
            ">" if text(k - 1) != "-" => angle -= 1,
            "(" if angle == 0 => return Some(k),
            _ if angle == 0 => return None,
            _ => {}
        }
    }
    None
}

/// The variable a closure is put in (`let rest = || ..;`, `let mut rest = move || ..;`), from
/// the index of its head's first `|`.
fn bound_to(tokens: &[Token], head: usize) -> Option<&str> {
    let before = |k: usize| head.checked_sub(k).map_or("", |j| tokens[j].text.as_str());
    let at = if before(1) == "move" { 2 } else { 1 };
    let name = before(at + 1);
    (before(at) == "=" && matches!(before(at + 2), "let" | "mut")).then_some(name)
}

/// The code's plain fns that call one of their own parameters (`fn twice(f: fn()) { f(); f() }`,
/// `fn timed<F: FnOnce()>(job: F)`), in their own body.
fn callers(tokens: &[Token]) -> Vec<&str> {
    let mut found = Vec::new();
    for k in 0..tokens.len() {
        if tokens[k].text != "fn" || matches!(runs_in(tokens, k), Scope::Closure(_)) {
            continue;
        }
        let name = k + 1;
        let Some(open) = params_open(tokens, name) else {
            continue;
        };
        let close = matching(tokens, open);
        let params: Vec<&str> = (open + 1..close)
            .filter(|&q| {
                tokens[q + 1].text == ":"
                    && matches!(tokens[q - 1].text.as_str(), "(" | "," | "mut")
                    && tokens[q].text != "self"
            })
            .map(|q| tokens[q].text.as_str())
            .collect();
        let calls_one = (close..tokens.len()).any(|q| {
            params.contains(&tokens[q].text.as_str())
                && tokens.get(q + 1).is_some_and(|t| t.text == "(")
                && runs_in(tokens, q) == Scope::Fn(name)
        });
        if calls_one {
            found.push(tokens[name].text.as_str());
        }
    }
    found
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
