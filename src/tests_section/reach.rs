//! What async code reaches: the learner's own fns, methods and closures that do a thing (sleep,
//! unwrap a tried lock), followed to where async code runs them, so that the thing moved into a
//! helper is found as it is written inline.

use super::Token;
use super::scope::{Scope, runs_in};

/// The first token in async code (see `runs_in`) where the code does what `seed` finds at a
/// token: itself (no name), or by running one of its own fns, methods or closures that does
/// it (that one's name).
pub(super) fn first_in_async(
    tokens: &[Token],
    seed: impl Fn(usize) -> bool,
) -> Option<(usize, Option<&str>)> {
    let code = Code::read(tokens, seed);
    (0..tokens.len()).find_map(|i| {
        let through = code.does_at(i)?;
        (runs_in(tokens, i) == Scope::Async).then_some((i, through))
    })
}

/// The learner's code, with what it knows of its own callables that do the seed's thing.
struct Code<'a, F> {
    tokens: &'a [Token],
    /// Whether the thing itself is done at a token (a `std::thread::sleep(` call).
    seed: F,
    /// The names the code gives its own types, traits and modules.
    own: Vec<&'a str>,
    /// The code's plain fns, methods and closures held in a variable that do it.
    doers: Vec<&'a str>,
    /// Those of `doers` that take `self`: called on any value (`pacer.pace()`).
    methods: Vec<&'a str>,
    /// The code's plain fns that call a fn or closure they are given (`fn twice(f: fn())`).
    callers: Vec<&'a str>,
}

impl<'a, F: Fn(usize) -> bool> Code<'a, F> {
    fn read(tokens: &'a [Token], seed: F) -> Self {
        let mut code = Code {
            tokens,
            seed,
            own: own_names(tokens),
            doers: Vec::new(),
            methods: Vec::new(),
            callers: callers(tokens),
        };
        code.find_doers();
        code
    }

    fn text(&self, k: usize) -> &'a str {
        self.tokens.get(k).map_or("", |t| t.text.as_str())
    }

    /// Whether the thing is done at `i`: `Some(None)` by the seed itself, `Some(Some(name))` by
    /// a call of the code's own `name` that does it (or of a fn it is handed to).
    fn does_at(&self, i: usize) -> Option<Option<&'a str>> {
        if (self.seed)(i) {
            return Some(None);
        }
        let name = self.text(i);
        if self.text(i + 1) != "(" {
            return None;
        }
        if self.doers.contains(&name) && self.own_call(i) {
            return Some(Some(name));
        }
        if self.methods.contains(&name)
            && i.checked_sub(1).is_some_and(|dot| self.text(dot) == ".")
            && !self.awaited(i + 1)
        {
            return Some(Some(name));
        }
        if self.callers.contains(&name) && self.own_call(i) {
            return self.handed_doer(i + 1).map(Some);
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

    /// The first of the call's arguments (opening at `open`) that is a doer's bare name:
    /// `twice(rest)`.
    fn handed_doer(&self, open: usize) -> Option<&'a str> {
        let close = matching(self.tokens, open);
        (open + 1..close).map(|k| self.text(k)).find(|&name| {
            self.doers.contains(&name)
                && (open + 1..close).any(|k| {
                    self.text(k) == name
                        && matches!(self.text(k - 1), "(" | ",")
                        && matches!(self.text(k + 1), ")" | ",")
                })
        })
    }

    /// Fills `doers` and `methods`: the plain fns, methods and closures in a variable whose own
    /// body (not a closure in it that may run elsewhere) does it, directly or through another.
    fn find_doers(&mut self) {
        loop {
            let before = self.doers.len();
            for i in 0..self.tokens.len() {
                if self.does_at(i).is_none() {
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
                if !self.doers.contains(&name) {
                    self.doers.push(name);
                    if method {
                        self.methods.push(name);
                    }
                }
            }
            if self.doers.len() == before {
                return;
            }
        }
    }
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
