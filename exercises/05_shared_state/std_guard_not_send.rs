// std_guard_not_send
//
// `save_line` appends a line to a shared log, notes how long the log is right after its own
// push, then waits for a (pretend) disk flush. `start_saves` runs one `save_line` per line as a
// spawned task. It does not compile: "future cannot be sent between threads safely".
//
// A `std::sync::MutexGuard` must not be alive across an `.await` in a spawned task. Make sure the
// guard is gone before the flush, keep the flush, and keep every save running as its own task.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;

async fn flush_to_disk() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Appends `line` and returns the length of the log right after this push.
async fn save_line(log: Arc<Mutex<Vec<String>>>, line: String) -> usize {
    let mut guard = log.lock().unwrap();
    guard.push(line);
    let len = guard.len();

    // TODO: `guard` is still alive here, across the `.await` below.
    flush_to_disk().await;
    len
}

fn start_saves(log: &Arc<Mutex<Vec<String>>>, lines: &[&str]) -> Vec<JoinHandle<usize>> {
    lines
        .iter()
        .map(|line| tokio::spawn(save_line(Arc::clone(log), line.to_string())))
        .collect()
}

#[tokio::main]
async fn main() {
    let log = Arc::new(Mutex::new(Vec::new()));
    for handle in start_saves(&log, &["boot", "login"]) {
        println!("log length after a save: {}", handle.await.unwrap());
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::time::{Instant, sleep};

    /// The shared log, in a std or a tokio Mutex: the tests only peek at it, without waiting.
    trait TestLog {
        fn with_lines(lines: &[&str]) -> Self;
        /// The lines, or `None` while somebody holds the lock.
        fn peek(&self) -> Option<Vec<String>>;
    }

    impl TestLog for std::sync::Mutex<Vec<String>> {
        fn with_lines(lines: &[&str]) -> Self {
            Self::new(lines.iter().map(|line| line.to_string()).collect())
        }
        fn peek(&self) -> Option<Vec<String>> {
            self.try_lock().ok().map(|log| log.clone())
        }
    }

    impl TestLog for tokio::sync::Mutex<Vec<String>> {
        fn with_lines(lines: &[&str]) -> Self {
            Self::new(lines.iter().map(|line| line.to_string()).collect())
        }
        fn peek(&self) -> Option<Vec<String>> {
            self.try_lock().ok().map(|log| log.clone())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_line_is_saved() {
        let log = Arc::new(TestLog::with_lines(&[]));
        let mut lens = Vec::new();
        for handle in start_saves(&log, &["boot", "login", "logout"]) {
            lens.push(handle.await.unwrap());
        }
        let mut saved = log
            .peek()
            .expect("the log is still locked after every save");
        saved.sort();
        assert_eq!(
            saved,
            ["boot", "login", "logout"],
            "every line given to start_saves must end up in the log"
        );
        lens.sort();
        assert_eq!(
            lens,
            [1, 2, 3],
            "each save must return the log length right after its own push (so 1, 2 and 3 in \
             some order); read the length while you still hold the lock, before the flush"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_line_is_in_the_log_while_it_is_flushed() {
        let log = Arc::new(TestLog::with_lines(&["old"]));
        let start = Instant::now();
        let save = tokio::spawn({
            let log = Arc::clone(&log);
            async move { (save_line(log, "new".to_string()).await, start.elapsed()) }
        });

        // Halfway through the 50 ms flush.
        sleep(Duration::from_millis(25)).await;
        let during_flush = log.peek().expect(
            "halfway through the flush the log is still locked: release the lock before \
             flushing, so the other saves can go on (the flush does not need the log)",
        );
        assert_eq!(
            during_flush,
            ["old", "new"],
            "halfway through the flush the log reads {during_flush:?}: push the line first, \
             then flush it to disk"
        );

        let (len, took) = save.await.unwrap();
        assert_eq!(len, 2, "the log had 1 line, so after the push it has 2");
        assert!(
            took >= Duration::from_millis(50),
            "save_line returned after {took:?}: it must still wait for flush_to_disk (50 ms)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn saves_flush_at_the_same_time() {
        let log = Arc::new(TestLog::with_lines(&[]));
        let start = Instant::now();
        for handle in start_saves(&log, &["a", "b", "c", "d"]) {
            handle.await.unwrap();
        }
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(50),
            "4 saves were done after {took:?}: every save must wait for its flush (50 ms)"
        );
        assert_eq!(
            took,
            Duration::from_millis(50),
            "4 saves took {took:?}, but one flush takes 50 ms and they may all flush at once: \
             each save runs in its own task, and no save may keep the log locked while it \
             flushes"
        );
    }

    /// The code above the tests, without comments and without `fn main`.
    fn code_outside_main(source: &str) -> String {
        let code = source
            .split("// Tests:")
            .next()
            .unwrap()
            .lines()
            .map(|line| line.split("//").next().unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        let Some(at) = code.find("fn main(") else {
            return code;
        };
        let Some(open) = code[at..].find('{') else {
            return code;
        };
        let mut depth = 0;
        for (i, c) in code[at + open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return format!("{}{}", &code[..at], &code[at + open + i + 1..]);
                    }
                }
                _ => {}
            }
        }
        code
    }

    /// `code` without what the function `name` does from its first `call` to its end.
    fn cut_after_call(code: &str, name: &str, call: &str) -> String {
        let Some(at) = code.find(&format!("fn {name}")) else {
            return code.to_string();
        };
        let Some(open) = code[at..].find('{').map(|open| at + open) else {
            return code.to_string();
        };
        let mut depth = 0;
        let mut end = code.len();
        for (i, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        match code[open..end].find(call) {
            Some(from) => format!("{}{}", &code[..open + from], &code[end..]),
            None => code.to_string(),
        }
    }

    /// Two locks in one save before its flush (push, then read the length; or a copy written
    /// back) leave a gap in which a save on another thread can push. A test on one thread never
    /// sees that gap, so this one counts the locks in the source, all but those `save_line`
    /// takes after its flush (only to print the log, say: they cannot change the length it
    /// returns).
    #[test]
    fn the_log_is_locked_once_per_save() {
        let code = code_outside_main(include_str!("std_guard_not_send.rs"));
        let code = cut_after_call(&code, "save_line", "flush_to_disk(");
        // `Mutex::lock(&log)` and the other ways to lock count too.
        let locks: usize = [
            ".lock(",
            "::lock(",
            "try_lock(",
            "blocking_lock(",
            "lock_owned(",
        ]
        .into_iter()
        .map(|call| code.matches(call).count())
        .sum();
        assert!(
            locks <= 1,
            "the code locks the log {locks} times per save before the flush: between two \
             locks, a save running on another thread can push its line, so the length read \
             after the second lock is not the one right after this push (and a copy of the log \
             written back would erase that other line). Lock once: push and read the length \
             with the same guard, inside a `{{ ... }}` block that ends before the flush"
        );
    }
}
