//! What async code reaches: the learner's own fns, methods and closures that do a thing (sleep,
//! unwrap a tried lock), followed to where async code runs them, so that the thing moved into a
//! helper is found as it is written inline.

mod items;

use super::scope::{Scope, close_of, runs_in};
use super::{Token, code_above, tokens};
use items::text;

/// The learner's code above the marker as tokens, if the shipped code does not do what `finds`
/// finds (an exercise whose shipped code does it teaches that bug, and its tests judge it).
pub(super) fn learner_only(
    shipped: &str,
    learner: &str,
    finds: impl Fn(&[Token]) -> bool,
) -> Option<Vec<Token>> {
    let theirs = code_above(shipped, shipped).map(tokens).unwrap_or_default();
    if finds(&theirs) {
        return None;
    }
    Some(tokens(code_above(shipped, learner)?))
}

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

/// One of the code's own callables that does the seed's thing.
struct Doer<'a> {
    name: &'a str,
    kind: Kind,
    /// The types and traits a method or associated fn belongs to (with the types that
    /// implement a trait whose default method it is).
    owners: Vec<&'a str>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A fn outside any `impl` or `trait` (top level, in a `mod`, in a fn's body).
    Free,
    /// A fn in an `impl` or `trait` that takes no `self`: called by its path.
    Associated,
    /// A fn that takes `self`: called on a value of its type.
    Method,
    /// A closure held in a variable (seen from its head's token to the end of its block) or in
    /// a `static` or `const` (seen everywhere).
    Closure(usize, usize),
    /// A `macro_rules!` macro whose expansion does it: `nap!()`.
    Macro,
}

/// The learner's code, with what it knows of its own callables that do the seed's thing.
struct Code<'a, F> {
    tokens: &'a [Token],
    /// Whether the thing itself is done at a token (a `std::thread::sleep(` call).
    seed: F,
    /// The names a path may start with: the code's own types, traits and modules.
    own: Vec<&'a str>,
    /// Variables, parameters and fields whose type is known by name, with it.
    typed: Vec<(&'a str, &'a str)>,
    /// Every `impl` block's header words.
    impls: Vec<Vec<&'a str>>,
    doers: Vec<Doer<'a>>,
    /// The code's fns that call a fn or closure they are given (`fn twice(f: fn())`), with the
    /// positions of the parameters they call.
    callers: Vec<(&'a str, Vec<usize>)>,
}

impl<'a, F: Fn(usize) -> bool> Code<'a, F> {
    fn read(tokens: &'a [Token], seed: F) -> Self {
        let mut code = Code {
            tokens,
            seed,
            own: items::own_names(tokens),
            typed: items::typed_vars(tokens),
            impls: items::impl_headers(tokens),
            doers: Vec::new(),
            callers: callers(tokens),
        };
        code.find_doers();
        code
    }

    fn text(&self, k: usize) -> &'a str {
        text(self.tokens, k)
    }

    /// Whether the thing is done at `i`: `Some(None)` by the seed itself, `Some(Some(name))` by
    /// a call of the code's own `name` that does it (or of a fn it is handed to).
    fn does_at(&self, i: usize) -> Option<Option<&'a str>> {
        if (self.seed)(i) {
            return Some(None);
        }
        let name = self.text(i);
        if self.makes_dropper(i) {
            return Some(Some("drop"));
        }
        if self.text(i + 1) == "!" {
            let macro_call = self
                .doers
                .iter()
                .any(|d| d.name == name && d.kind == Kind::Macro);
            return macro_call.then_some(Some(name));
        }
        if self.text(i + 1) != "(" {
            return None;
        }
        // An awaited call is of an async fn: not one of the code's plain ones.
        let plain = !self.awaited(i + 1);
        if plain
            && self
                .doers
                .iter()
                .any(|doer| doer.name == name && self.calls(i, doer))
        {
            return Some(Some(name));
        }
        let (_, called) = self.callers.iter().find(|(caller, _)| *caller == name)?;
        if !self.own_path(i) {
            return None;
        }
        let args = items::arguments(self.tokens, i + 1);
        called
            .iter()
            .filter_map(|&p| args.get(p))
            .find_map(|&(first, last)| {
                let handed = self.text(first);
                (last == first + 1
                    && self
                        .doers
                        .iter()
                        .any(|d| d.name == handed && self.bare(first, d)))
                .then_some(Some(handed))
            })
    }

    /// Whether a value of a type whose `Drop` does the thing is made at `i` (`Guard`,
    /// `Guard(..)`, `Guard { .. }`, `Guard::new(..)`): it is dropped where it is made, or later
    /// in the same code, which runs its `drop` there.
    fn makes_dropper(&self, i: usize) -> bool {
        let name = self.text(i);
        let dropper = self.doers.iter().any(|d| {
            d.name == "drop"
                && d.kind == Kind::Method
                && d.owners.contains(&"Drop")
                && d.owners.contains(&name)
        });
        let made = match self.text(i + 1) {
            "(" | "{" | ";" | ")" | "," => true,
            ":" => self.text(i + 2) == ":" && self.text(i + 4) == "(",
            _ => false,
        };
        let before = |k: usize| i.checked_sub(k).map_or("", |j| self.text(j));
        // Where a value goes, not a type: after `=`, `(`, `,`, `return`, `=>`, or as a statement.
        let at_value = matches!(before(1), "=" | "(" | "," | "return" | "{" | ";")
            || before(1) == ">" && before(2) == "=";
        dropper && made && at_value
    }

    /// Whether the call of `doer`'s name at `i` is a call of it.
    fn calls(&self, i: usize, doer: &Doer) -> bool {
        let before = |k: usize| i.checked_sub(k).map_or("", |j| self.text(j));
        match (before(1), doer.kind) {
            ("fn", _) => false,
            // `self.pace()`, `pacer.pace()` with `pacer` of a type it belongs to, `Pacer.pace()`.
            (".", Kind::Method) => {
                let receiver = before(2);
                receiver == "self"
                    || doer.owners.contains(&receiver)
                    || self
                        .typed
                        .iter()
                        .any(|(var, ty)| *var == receiver && doer.owners.contains(ty))
            }
            (".", _) => false,
            // `Self::nap()`, `Job::nap()`, `crate::nap()`, `pace::nap()`.
            (":", Kind::Closure(..)) => false,
            (":", kind) => {
                let path = before(3);
                matches!(path, "Self" | "crate" | "super" | "self")
                    || doer.owners.contains(&path)
                    || (kind == Kind::Free && self.own.contains(&path))
                    || (path == ">" && self.qualified(i - 3, doer))
            }
            _ => self.bare(i, doer),
        }
    }

    /// Whether the qualified path that ends with the `>` at `close` (`<Job as Pace>::`) names a
    /// type or trait `doer` belongs to.
    fn qualified(&self, close: usize, doer: &Doer) -> bool {
        let mut depth = 0i32;
        for k in (0..=close).rev() {
            match self.text(k) {
                ">" => depth += 1,
                "<" => depth -= 1,
                word if doer.owners.contains(&word) => return true,
                _ => {}
            }
            if depth == 0 {
                return false;
            }
        }
        false
    }

    /// Whether a bare `name` at `i` is `doer`: a free fn, or a closure seen there.
    fn bare(&self, i: usize, doer: &Doer) -> bool {
        match doer.kind {
            Kind::Free => true,
            Kind::Closure(from, until) => from < i && i < until,
            Kind::Associated | Kind::Method | Kind::Macro => false,
        }
    }

    /// Whether the call at `i` is of the code's own fn by its path, or bare.
    fn own_path(&self, i: usize) -> bool {
        let before = |k: usize| i.checked_sub(k).map_or("", |j| self.text(j));
        match before(1) {
            "fn" | "." => false,
            ":" => {
                matches!(before(3), "Self" | "crate" | "super" | "self")
                    || self.own.contains(&before(3))
            }
            _ => true,
        }
    }

    /// Whether the call whose arguments open at `open` is awaited (`x.recv(..).await`).
    fn awaited(&self, open: usize) -> bool {
        let close = close_of(self.tokens, open);
        self.text(close + 1) == "." && self.text(close + 2) == "await"
    }

    /// Fills `doers`: the plain fns, methods and closures in a variable whose own body (not a
    /// closure in it that may run elsewhere) does the thing, directly or through another.
    fn find_doers(&mut self) {
        loop {
            let before = self.doers.len();
            for i in 0..self.tokens.len() {
                if self.does_at(i).is_none() {
                    continue;
                }
                let doer = match runs_in(self.tokens, i) {
                    Scope::Fn(name) => self.fn_doer(name),
                    Scope::Closure(head) => match items::bound_to(self.tokens, head) {
                        Some((name, from, until)) => Doer {
                            name,
                            kind: Kind::Closure(from, until),
                            owners: Vec::new(),
                        },
                        None => continue,
                    },
                    Scope::Same => match items::macro_around(self.tokens, i) {
                        Some(name) => Doer {
                            name,
                            kind: Kind::Macro,
                            owners: Vec::new(),
                        },
                        None => continue,
                    },
                    Scope::Async => continue,
                };
                let known = self
                    .doers
                    .iter()
                    .any(|d| d.name == doer.name && d.kind == doer.kind && d.owners == doer.owners);
                if !known {
                    self.doers.push(doer);
                }
            }
            if self.doers.len() == before {
                return;
            }
        }
    }

    /// The doer that the fn whose name is at `name` is.
    fn fn_doer(&self, name: usize) -> Doer<'a> {
        let mut owners = items::owners_of(self.tokens, name);
        let kind = if items::takes_self(self.tokens, name) {
            Kind::Method
        } else if owners.is_empty() {
            Kind::Free
        } else {
            Kind::Associated
        };
        // A trait's default method belongs to the types that implement the trait too.
        let implementors: Vec<&str> = self
            .impls
            .iter()
            .filter(|header| header.iter().any(|word| owners.contains(word)))
            .flatten()
            .copied()
            .collect();
        owners.extend(implementors);
        Doer {
            name: self.text(name),
            kind,
            owners,
        }
    }
}

/// The code's fns that call one of their own parameters in their own body, with the
/// positions of those parameters.
fn callers(tokens: &[Token]) -> Vec<(&str, Vec<usize>)> {
    (0..tokens.len())
        .filter(|&k| text(tokens, k) == "fn" && !matches!(runs_in(tokens, k), Scope::Closure(_)))
        .filter_map(|k| {
            let name = k + 1;
            // In the fn itself, or in an async block of it, which runs on the runtime.
            let called = items::called_params(tokens, name, |q| {
                matches!(runs_in(tokens, q), Scope::Async) || runs_in(tokens, q) == Scope::Fn(name)
            });
            (!called.is_empty()).then(|| (text(tokens, name), called))
        })
        .collect()
}
