//! A lock taken with `try_lock()` and unwrapped in async code: it panics whenever another task
//! or thread holds the lock at that moment. Tests on one thread rarely show it (each task runs
//! to its next `.await` alone), a multi-thread runtime does; so the learner's code above the
//! marker is read for it.

use super::Token;
use super::reach;
use super::scope::close_of;

/// The methods that try a lock once and give up if it is busy: std's and Tokio's `Mutex` and
/// `RwLock`. Their `_owned` forms are left alone: a fresh lock's guard taken before any task
/// can see it (`Arc::clone(&gate).try_lock_owned().expect("a fresh lock is free")`) is how
/// sync code gets one.
const TRIES: &[&str] = &["try_lock", "try_read", "try_write"];

/// A lock tried and unwrapped in async code: the (1-based) line, the method (`try_lock`,
/// `try_read` or `try_write`), and the code's own fn, method or closure that it runs and that
/// does so (none where the line does it itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriedLock {
    pub line: usize,
    pub method: &'static str,
    pub through: Option<String>,
}

/// The first `try_lock()` (or `try_read()`, `try_write()`) that the learner's code above the
/// marker unwraps (`.unwrap()`, `.expect(..)`) in async code, directly or through its own fns,
/// methods and closures, unless the shipped code does so too (then its tests judge it).
pub fn unwrapped_try_lock(shipped: &str, learner: &str) -> Option<TriedLock> {
    let mine = reach::learner_only(shipped, learner, |theirs| first_in_async(theirs).is_some())?;
    let (at, through) = first_in_async(&mine)?;
    // The method: the one at the line, else (in a helper) the first one the code unwraps.
    let method = (at..mine.len())
        .chain(0..at)
        .find(|&k| unwrapped_at(&mine, k))
        .and_then(|k| TRIES.iter().find(|&&m| m == mine[k].text))
        .copied()?;
    Some(TriedLock {
        line: mine[at].line,
        method,
        through: through.map(str::to_owned),
    })
}

/// The token of the first unwrapped try of a lock in async code, and the code's own callable
/// it runs that does so.
fn first_in_async(tokens: &[Token]) -> Option<(usize, Option<&str>)> {
    reach::first_in_async(tokens, |i| unwrapped_at(tokens, i))
}

/// Whether `.try_lock().unwrap()` or `.try_lock().expect(` is at `i` (the method's name), or
/// `Mutex::try_lock(&m)` so, or either with `.ok()` before the unwrap (a busy lock's `None`
/// panics the same).
fn unwrapped_at(tokens: &[Token], i: usize) -> bool {
    let text = |k: usize| tokens.get(k).map_or("", |t| t.text.as_str());
    if !TRIES.contains(&text(i)) || text(i + 1) != "(" {
        return false;
    }
    let called = match i.checked_sub(1).map(text) {
        Some(".") => text(i + 2) == ")",
        Some(":") => text(i - 2) == ":",
        _ => false,
    };
    if !called {
        return false;
    }
    let mut after = close_of(tokens, i + 1) + 1;
    if [
        text(after),
        text(after + 1),
        text(after + 2),
        text(after + 3),
    ] == [".", "ok", "(", ")"]
    {
        after += 4;
    }
    text(after) == "." && matches!(text(after + 1), "unwrap" | "expect") && text(after + 2) == "("
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKER: &str = "\n// Tests: do not edit below this line.\n#[cfg(test)]\nmod tests {}\n";

    fn found(code: &str) -> Option<usize> {
        let shipped = format!("fn main() {{}}{MARKER}");
        unwrapped_try_lock(&shipped, &format!("{code}{MARKER}")).map(|tried| tried.line)
    }

    #[test]
    fn a_try_lock_unwrapped_in_async_code_is_found() {
        let task = "async fn run(slots: Arc<Mutex<Vec<u8>>>) {\n    tokio::spawn(async move {\n        \
                    slots.try_lock().expect(\"free\").push(1);\n    });\n}\n";
        assert_eq!(found(task), Some(3));
        let read = "async fn peek(map: &RwLock<u8>) -> u8 {\n    *map\n        .try_read()\n        \
                    .unwrap()\n}\n";
        let tried = TriedLock {
            line: 3,
            method: "try_read",
            through: None,
        };
        let shipped = format!("fn main() {{}}{MARKER}");
        assert_eq!(
            unwrapped_try_lock(&shipped, &format!("{read}{MARKER}")),
            Some(tried)
        );
    }

    #[test]
    fn a_try_lock_handled_owned_or_in_sync_code_is_not() {
        let handled = "async fn visit(m: &Mutex<u8>) {\n    if let Ok(mut n) = m.try_lock() {\n        \
                       *n += 1;\n    }\n    let _ = m.try_lock().map(|g| *g);\n}\n";
        assert_eq!(found(handled), None);
        let owned = "async fn start(gate: Arc<Mutex<()>>) {\n    \
                     let held = gate.try_lock_owned().expect(\"a fresh lock is free\");\n}\n";
        assert_eq!(found(owned), None);
        let sync = "fn new() -> Door {\n    let held = gate.try_lock().unwrap();\n    Door {}\n}\n\
                    async fn wait() {\n    spawn_blocking(move || *m.try_lock().unwrap()).await;\n}\n";
        assert_eq!(found(sync), None);
    }

    #[test]
    fn a_try_lock_by_its_path_or_through_ok_is_found_too() {
        let path = "async fn take(m: &std::sync::Mutex<u8>) -> u8 {\n    \
                    *std::sync::Mutex::try_lock(m).unwrap()\n}\n";
        assert_eq!(found(path), Some(2));
        let ok =
            "async fn take(m: &Mutex<u8>) -> u8 {\n    *m.try_lock().ok().expect(\"free\")\n}\n";
        assert_eq!(found(ok), Some(2));
        let handled = "async fn take(m: &Mutex<u8>) -> u8 {\n    \
                       Mutex::try_lock(m).ok().map_or(0, |g| *g)\n}\n";
        assert_eq!(found(handled), None);
    }

    #[test]
    fn a_helper_that_unwraps_a_try_lock_run_from_async_code_is_found_at_the_run() {
        let helper = "trait Slot {\n    fn take(&self) -> MutexGuard<'_, u8>;\n}\n\
                      impl Slot for Mutex<u8> {\n    fn take(&self) -> MutexGuard<'_, u8> {\n        \
                      self.try_lock().expect(\"free\")\n    }\n}\n\
                      async fn bump(m: Arc<Mutex<u8>>) {\n    *m.take() += 1;\n}\n";
        let tried = TriedLock {
            line: 10,
            method: "try_lock",
            through: Some("take".to_owned()),
        };
        let shipped = format!("fn main() {{}}{MARKER}");
        assert_eq!(
            unwrapped_try_lock(&shipped, &format!("{helper}{MARKER}")),
            Some(tried)
        );
        // Run in a blocking task, it waits on its own thread: no runtime thread is hurt.
        let apart = "fn bump(m: &Mutex<u8>) {\n    *m.try_lock().unwrap() += 1;\n}\n\
                     async fn run(m: Arc<Mutex<u8>>) {\n    spawn_blocking(move || bump(&m));\n}\n";
        assert_eq!(found(apart), None);
    }

    #[test]
    fn an_exercise_whose_shipped_code_unwraps_one_is_left_to_its_tests() {
        let code = "async fn f(m: &Mutex<u8>) {\n    *m.try_lock().unwrap() += 1;\n}\n";
        let shipped = format!("{code}{MARKER}");
        assert_eq!(unwrapped_try_lock(&shipped, &shipped), None);
    }
}
