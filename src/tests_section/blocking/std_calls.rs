//! Std's blocking calls as the learner's code spells them: `std::thread::sleep` under any name
//! the code's imports give it where the call is, and the waits on std `mpsc` receivers that the
//! code makes or takes (`recv`, `recv_timeout`, a `for` loop over one). A std thread's `join` is
//! left alone: a thread told to stop ends at once (a heartbeat thread joined after its stop
//! message), and one that works for long is as slow as the work, which the tests see.

use super::super::Token;
use super::super::imports::{Import, import_at, imports, names_item};
use super::super::scope::close_of;
use super::StdBlock;
use super::receivers::{self, Binding};

pub(super) const THREAD: &[&str] = &["std", "thread"];
pub(super) const MPSC: &[&str] = &["std", "sync", "mpsc"];

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

/// What the code calls std's blocking fns and receivers by, and where.
pub(super) struct StdCalls<'a> {
    tokens: &'a [Token],
    imports: Vec<Import<'a>>,
    /// The code has a `mod thread` of its own: a bare `thread::sleep` is its own.
    own_thread: bool,
    /// Variables, `static`s and `const`s that hold one of std's sleeping fns.
    pointers: Vec<(Binding<'a>, StdBlock)>,
    receivers: Vec<Binding<'a>>,
}

impl<'a> StdCalls<'a> {
    pub(super) fn read(tokens: &'a [Token]) -> Self {
        let own_thread =
            (1..tokens.len()).any(|k| tokens[k].text == "thread" && tokens[k - 1].text == "mod");
        let mut calls = StdCalls {
            tokens,
            imports: imports(tokens),
            own_thread,
            pointers: Vec::new(),
            receivers: Vec::new(),
        };
        calls.pointers = calls.sleep_pointers();
        calls.receivers = receivers::find(&calls, tokens);
        calls
    }

    pub(super) fn text(&self, k: usize) -> &'a str {
        self.tokens.get(k).map_or("", |t| t.text.as_str())
    }

    pub(super) fn before(&self, i: usize) -> &'a str {
        i.checked_sub(1).map_or("", |k| self.text(k))
    }

    /// The std blocking call that starts at `i`, if one does.
    pub(super) fn call_at(&self, i: usize) -> Option<StdBlock> {
        let next = self.text(i + 1);
        // An awaited call is of an async fn: the code's own, never std's.
        if next == ":" && self.module_at(i, THREAD) {
            let called = self.text(i + 4) == "(" && !self.awaited(i + 4);
            return sleep_named(self.text(i + 3)).filter(|_| called);
        }
        // `Receiver::recv(&rx)`, by its path.
        if next == ":" && self.text(i) == "Receiver" && self.receiver_type(i) {
            let called = self.text(i + 4) == "(" && !self.awaited(i + 4);
            let name = self.text(i + 3);
            let found = RECEIVES.iter().find(|(method, _)| *method == name);
            return found.map(|&(_, block)| block).filter(|_| called);
        }
        if next == "(" && !matches!(self.before(i), "." | ":" | "fn") && !self.awaited(i + 1) {
            let pointer = self.pointers.iter().find(|(b, _)| b.sees(self.tokens, i));
            return match pointer {
                Some(&(_, block)) => Some(block),
                None => self.imported_sleep(i),
            };
        }
        if self.receivers.iter().any(|b| b.sees(self.tokens, i)) {
            let by_ref = self.before(i) == "&" && self.text(i.wrapping_sub(2)) == "in";
            if next == "{" && (self.before(i) == "in" || by_ref) {
                return Some(StdBlock::RecvIter);
            }
            return self.receive(i);
        }
        None
    }

    /// The sleeping fn of std's that the name at `i` is imported as, there.
    fn imported_sleep(&self, i: usize) -> Option<StdBlock> {
        if let Some(import) = import_at(&self.imports, self.text(i), i) {
            return match import.path.as_slice() {
                [std, thread, name] if [*std, *thread] == THREAD => sleep_named(name),
                _ => None,
            };
        }
        let name = self.text(i);
        sleep_named(name)
            .filter(|_| names_item(&self.imports, name, i, &[THREAD, &[name]].concat()))
    }

    /// Whether the name at `k` is imported there as std's item at `path`, not as part of
    /// another path.
    pub(super) fn imported(&self, k: usize, path: &[&str]) -> bool {
        !self.in_path(k) && names_item(&self.imports, self.text(k), k, path)
    }

    /// Whether the module path segment at `k` is std's module at `path`: spelled out
    /// (`std::sync::mpsc`), or by a name the code's imports give it there (a bare `thread` is
    /// std's unless the code has one of its own).
    pub(super) fn module_at(&self, k: usize, path: &[&str]) -> bool {
        let spelled = path.iter().rev().enumerate().all(|(step, segment)| {
            k.checked_sub(3 * step)
                .is_some_and(|at| self.text(at) == *segment)
                && (step == 0 || self.text(k + 1 - 3 * step) == ":")
        });
        if spelled || self.imported(k, path) {
            return true;
        }
        path == THREAD
            && self.text(k) == "thread"
            && !self.in_path(k)
            && !self.own_thread
            && import_at(&self.imports, "thread", k).is_none()
    }

    /// Whether the `Receiver` at `k` is std's `mpsc::Receiver`, there.
    pub(super) fn receiver_type(&self, k: usize) -> bool {
        if k >= 3 && self.in_path(k) {
            self.module_at(k - 3, MPSC)
        } else {
            self.imported(k, &[MPSC, &["Receiver"]].concat())
        }
    }

    /// Whether the name at `k` goes on a path (`x::name`).
    fn in_path(&self, k: usize) -> bool {
        self.before(k) == ":" && self.text(k.wrapping_sub(2)) == ":"
    }

    /// Whether the call whose arguments open at `open` is awaited.
    fn awaited(&self, open: usize) -> bool {
        let close = close_of(self.tokens, open);
        self.text(close + 1) == "." && self.text(close + 2) == "await"
    }

    /// A receiver's wait called, unawaited, on what ends at `i`: `rx.recv()`.
    fn receive(&self, i: usize) -> Option<StdBlock> {
        let (name, open) = (self.text(i + 2), i + 3);
        if self.text(i + 1) != "." || self.text(open) != "(" || self.awaited(open) {
            return None;
        }
        RECEIVES
            .iter()
            .find(|(method, _)| *method == name)
            .map(|&(_, block)| block)
    }

    /// The variables, `static`s and `const`s the code puts one of std's sleeping fns in, as a
    /// fn pointer (`let settle: fn(Duration) = std::thread::sleep;`), with what each is.
    fn sleep_pointers(&self) -> Vec<(Binding<'a>, StdBlock)> {
        let mut found = Vec::new();
        for k in 0..self.tokens.len() {
            if !matches!(self.text(k), "let" | "static" | "const") {
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
                self.imported_sleep(last)
            } else if last >= assign + 4 && self.text(last - 1) == ":" {
                self.module_at(last - 3, THREAD)
                    .then(|| sleep_named(self.text(last)))
                    .flatten()
            } else {
                None
            };
            if let Some(block) = block {
                found.push((
                    receivers::let_binding(self.tokens, self.text(name), k),
                    block,
                ));
            }
        }
        found
    }
}

fn sleep_named(name: &str) -> Option<StdBlock> {
    SLEEPS
        .iter()
        .find(|(sleep, _)| *sleep == name)
        .map(|&(_, block)| block)
}
