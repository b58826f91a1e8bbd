//! Std's blocking calls as the learner's code spells them: `std::thread::sleep` under any name
//! the code's imports give it, and the waits on std `mpsc` receivers that the code makes or
//! takes (`recv`, `recv_timeout`, a `for` loop over one). A std thread's `join` is left alone: a
//! thread told to stop ends at once (a heartbeat thread joined after its stop message), and
//! one that works for long is as slow as the work, which the tests see.

use super::super::Token;
use super::super::imports::{Import, imports, names_of};
use super::super::scope::{close_of, enclosing};
use super::StdBlock;

const THREAD: &[&str] = &["std", "thread"];
const MPSC: &[&str] = &["std", "sync", "mpsc"];

/// The std fns that put the thread to sleep: for a time, or until another thread wakes it.
const SLEEPS: &[(&str, StdBlock)] = &[
    ("sleep", StdBlock::Sleep),
    ("park", StdBlock::Park),
    ("park_timeout", StdBlock::ParkTimeout),
];

/// A std receiver's methods that wait for a message.
const RECEIVES: &[(&str, StdBlock)] = &[
    ("recv", StdBlock::Recv),
    ("recv_timeout", StdBlock::RecvTimeout),
    ("iter", StdBlock::RecvIter),
    ("into_iter", StdBlock::RecvIter),
];

/// A variable that holds a std receiver, and the tokens where it is seen (`from..until`).
struct Binding<'a> {
    name: &'a str,
    from: usize,
    until: usize,
}

/// What the code calls std's blocking fns and receivers by.
pub(super) struct StdCalls<'a> {
    tokens: &'a [Token],
    /// The names of std's `thread` module.
    thread: Vec<&'a str>,
    /// The names of std's `mpsc` module.
    mpsc: Vec<&'a str>,
    /// Std's sleeping fns brought in by name (`use std::thread::sleep as nap;`).
    fns: Vec<(&'a str, StdBlock)>,
    receivers: Vec<Binding<'a>>,
}

impl<'a> StdCalls<'a> {
    pub(super) fn read(tokens: &'a [Token]) -> Self {
        let found = imports(tokens);
        let fns = SLEEPS
            .iter()
            .flat_map(|&(name, block)| {
                names_of(&found, &[THREAD, &[name]].concat())
                    .into_iter()
                    .map(move |local| (local, block))
            })
            .collect();
        let mut thread = names_of(&found, THREAD);
        // `thread::sleep` with no `use` is std's, unless the code has a `thread` of its own.
        let own =
            (1..tokens.len()).any(|k| tokens[k].text == "thread" && tokens[k - 1].text == "mod");
        if !own {
            thread.push("thread");
        }
        let mut calls = StdCalls {
            tokens,
            thread,
            mpsc: names_of(&found, MPSC),
            fns,
            receivers: Vec::new(),
        };
        calls.receivers = calls.find_receivers(&found);
        let pointers = calls.sleep_pointers();
        calls.fns.extend(pointers);
        calls
    }

    /// The variables the code puts one of std's sleeping fns in, as a fn pointer
    /// (`let settle: fn(Duration) = std::thread::sleep;`), with what each is.
    fn sleep_pointers(&self) -> Vec<(&'a str, StdBlock)> {
        let mut found = Vec::new();
        for k in 0..self.tokens.len() {
            if self.text(k) != "let" {
                continue;
            }
            let name = if self.text(k + 1) == "mut" {
                k + 2
            } else {
                k + 1
            };
            let Some(end) = (name..self.tokens.len()).find(|&q| self.text(q) == ";") else {
                break;
            };
            let Some(assign) = (name..end).find(|&q| self.text(q) == "=") else {
                continue;
            };
            let last = end - 1;
            let block = if last == assign + 1 {
                let named = self.fns.iter().find(|(f, _)| *f == self.text(last));
                named.map(|&(_, block)| block)
            } else if last >= assign + 4 && self.text(last - 1) == ":" {
                self.module_at(last - 3, THREAD, &self.thread)
                    .then(|| self.sleep_call(last))
                    .flatten()
            } else {
                None
            };
            if let Some(block) = block {
                found.push((self.text(name), block));
            }
        }
        found
    }

    fn text(&self, k: usize) -> &'a str {
        self.tokens.get(k).map_or("", |t| t.text.as_str())
    }

    /// The std blocking call that starts at `i`, if one does.
    pub(super) fn call_at(&self, i: usize) -> Option<StdBlock> {
        let next = self.text(i + 1);
        // An awaited call is of an async fn: the code's own, never std's.
        if next == ":" && self.module_at(i, THREAD, &self.thread) {
            let called = self.text(i + 4) == "(" && !self.awaited(i + 4);
            return self.sleep_call(i + 3).filter(|_| called);
        }
        if next == "(" && !matches!(self.before(i), "." | ":" | "fn") && !self.awaited(i + 1) {
            let found = self.fns.iter().find(|(name, _)| *name == self.text(i));
            return found.map(|&(_, block)| block);
        }
        if self.seen(&self.receivers, i) {
            let by_ref = self.before(i) == "&" && self.text(i.wrapping_sub(2)) == "in";
            if next == "{" && (self.before(i) == "in" || by_ref) {
                return Some(StdBlock::RecvIter);
            }
            return self.receive(i);
        }
        None
    }

    fn before(&self, i: usize) -> &'a str {
        i.checked_sub(1).map_or("", |k| self.text(k))
    }

    /// `thread::sleep` (or `park`, `park_timeout`) with the fn's name at `name`.
    fn sleep_call(&self, name: usize) -> Option<StdBlock> {
        SLEEPS
            .iter()
            .find(|(sleep, _)| *sleep == self.text(name))
            .map(|&(_, block)| block)
    }

    /// A receiver's wait called, unawaited, on what ends at `i`: `rx.recv()`.
    fn receive(&self, i: usize) -> Option<StdBlock> {
        let (name, open) = (self.text(i + 2), i + 3);
        if self.text(i + 1) != "." || self.text(open) != "(" {
            return None;
        }
        if self.awaited(open) {
            return None;
        }
        RECEIVES
            .iter()
            .find(|(method, _)| *method == name)
            .map(|&(_, block)| block)
    }

    /// Whether the call whose arguments open at `open` is awaited.
    fn awaited(&self, open: usize) -> bool {
        let close = close_of(self.tokens, open);
        self.text(close + 1) == "." && self.text(close + 2) == "await"
    }

    fn seen(&self, bindings: &[Binding], i: usize) -> bool {
        let name = self.text(i);
        bindings
            .iter()
            .any(|b| b.name == name && b.from < i && i < b.until)
    }

    /// Whether the module path segment at `k` is std's module at `path`: spelled out
    /// (`std::sync::mpsc`) or by one of the code's `names` for it, not as part of another path.
    fn module_at(&self, k: usize, path: &[&str], names: &[&str]) -> bool {
        let spelled = path.iter().rev().enumerate().all(|(step, segment)| {
            k.checked_sub(3 * step)
                .is_some_and(|at| self.text(at) == *segment)
                && (step == 0 || self.text(k + 1 - 3 * step) == ":")
        });
        spelled || (names.contains(&self.text(k)) && self.before(k) != ":")
    }

    /// The variables that hold a std `mpsc` receiver: the second of a `let (tx, rx) =
    /// mpsc::channel()` pattern, and any parameter, field or variable typed `Receiver<..>` of
    /// std's.
    fn find_receivers(&self, found: &[Import<'a>]) -> Vec<Binding<'a>> {
        let channels: Vec<&str> = ["channel", "sync_channel"]
            .iter()
            .flat_map(|f| names_of(found, &[MPSC, &[f]].concat()))
            .collect();
        let types = names_of(found, &[MPSC, &["Receiver"]].concat());
        let mut bindings = Vec::new();
        for k in 0..self.tokens.len() {
            if self.text(k) == "let" && self.text(k + 1) == "(" {
                let close = close_of(self.tokens, k + 1);
                let is_channel = |f: usize| {
                    let name = self.text(f);
                    (matches!(name, "channel" | "sync_channel")
                        && self.before(f) == ":"
                        && f >= 3
                        && self.module_at(f - 3, MPSC, &self.mpsc))
                        || (channels.contains(&name) && self.before(f) != ":")
                };
                if let Some(name) = self.pattern_last(k + 2, close)
                    && self.value_call(close).is_some_and(is_channel)
                {
                    bindings.push(self.binding(name, k));
                }
            }
            if self.text(k) == "Receiver" && self.typed_here(k) {
                let std = if k >= 3 && self.text(k - 2) == ":" {
                    self.module_at(k - 3, MPSC, &self.mpsc)
                } else {
                    types.contains(&"Receiver")
                };
                if let Some(var) = self.typed_var(k).filter(|_| std) {
                    bindings.push(Binding {
                        name: self.text(var),
                        from: var,
                        until: self.tokens.len(),
                    });
                }
            }
        }
        bindings
    }

    /// The last name a tuple pattern between `from` and `close` binds (`(tx, mut rx)` gives
    /// `rx`).
    fn pattern_last(&self, from: usize, close: usize) -> Option<&'a str> {
        (from..close)
            .rev()
            .map(|q| self.text(q))
            .find(|w| *w != "mut" && *w != ",")
            .filter(|w| *w != "_" && w.starts_with(|c: char| c.is_alphabetic() || c == '_'))
    }

    /// The fn called first in the value of a `let` whose pattern ends at `end`: the index of
    /// its name (`channel` in `= mpsc::channel::<u8>()`), past a type annotation.
    fn value_call(&self, end: usize) -> Option<usize> {
        let assign = (end..self.tokens.len()).find(|&q| matches!(self.text(q), "=" | ";"))?;
        if self.text(assign) != "=" {
            return None;
        }
        let open = (assign + 1..self.tokens.len())
            .find(|&q| matches!(self.text(q), "(" | ";" | "{" | "|"))?;
        if self.text(open) != "(" {
            return None;
        }
        // Past a turbofish: `channel::<u8>(`.
        let mut name = open - 1;
        if self.text(name) == ">" {
            name = (assign..name)
                .rev()
                .find(|&q| self.text(q) == "<")?
                .checked_sub(3)?;
        }
        Some(name)
    }

    /// A variable bound by the `let` at `at`, seen to the end of the block it is in.
    fn binding(&self, name: &'a str, at: usize) -> Binding<'a> {
        let block = enclosing(self.tokens, at)
            .into_iter()
            .rev()
            .find(|&open| self.text(open) == "{");
        Binding {
            name,
            from: at,
            until: block.map_or(self.tokens.len(), |open| close_of(self.tokens, open)),
        }
    }

    /// Whether the type word at `k` is the outer type after a `name:` (`rx: Receiver<u8>`,
    /// `rx: &mpsc::Receiver<u8>`), not one inside another's brackets.
    fn typed_here(&self, k: usize) -> bool {
        self.typed_var(k).is_some() && self.text(k + 1) == "<"
    }

    /// The variable whose type is spelled from its `:` up to `k`.
    fn typed_var(&self, k: usize) -> Option<usize> {
        let mut q = k;
        while q > 0 {
            q -= 1;
            match self.text(q) {
                "&" | "mut" | "std" | "sync" | "mpsc" => {}
                ":" if self.text(q + 1) == ":" || self.before(q) == ":" => {}
                w if w.starts_with('\'') => {}
                w if self.mpsc.contains(&w) => {}
                ":" => {
                    let var = q.checked_sub(1)?;
                    let name = self.text(var);
                    return name
                        .starts_with(|c: char| c.is_alphabetic() || c == '_')
                        .then_some(var);
                }
                _ => return None,
            }
        }
        None
    }
}
