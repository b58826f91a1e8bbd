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
        /// Appends `line` at once (the log must be free): a line from another writer.
        fn push_now(&self, line: &str);
        /// Locks the log on this (non-runtime) thread, says so on `locked`, holds it for
        /// `time` of real time, then lets go.
        fn hold_for(&self, time: Duration, locked: std::sync::mpsc::Sender<()>);
    }

    impl TestLog for std::sync::Mutex<Vec<String>> {
        fn with_lines(lines: &[&str]) -> Self {
            Self::new(lines.iter().map(|line| line.to_string()).collect())
        }
        fn peek(&self) -> Option<Vec<String>> {
            self.try_lock().ok().map(|log| log.clone())
        }
        fn push_now(&self, line: &str) {
            self.try_lock()
                .expect("the log is locked before any save ran")
                .push(line.to_string());
        }
        fn hold_for(&self, time: Duration, locked: std::sync::mpsc::Sender<()>) {
            let _log = self.lock().unwrap_or_else(|e| e.into_inner());
            let _ = locked.send(());
            std::thread::sleep(time);
        }
    }

    impl TestLog for tokio::sync::Mutex<Vec<String>> {
        fn with_lines(lines: &[&str]) -> Self {
            Self::new(lines.iter().map(|line| line.to_string()).collect())
        }
        fn peek(&self) -> Option<Vec<String>> {
            self.try_lock().ok().map(|log| log.clone())
        }
        fn push_now(&self, line: &str) {
            self.try_lock()
                .expect("the log is locked before any save ran")
                .push(line.to_string());
        }
        fn hold_for(&self, time: Duration, locked: std::sync::mpsc::Sender<()>) {
            let _log = self.blocking_lock();
            let _ = locked.send(());
            std::thread::sleep(time);
        }
    }

    fn hold<L: TestLog>(log: &L, locked: std::sync::mpsc::Sender<()>) {
        log.hold_for(Duration::from_millis(30), locked);
    }

    /// What a caught panic said (its message, if it is a string).
    fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|text| text.to_string()))
            .unwrap_or_else(|| "with a message that is not a string".to_string())
    }

    /// Runs a test's body on the paused clock, where it takes no real time, and stops it with a
    /// message after 3 s of real time: a save that keeps waking itself (a loop around
    /// now_or_never and yield_now) keeps the paused clock from ever reaching the end of its
    /// flush.
    async fn within_3s_of_real_time(test: impl Future<Output = ()>) {
        let (give_up, too_late) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(3));
            let _ = give_up.send(());
        });
        tokio::select! {
            () = test => {}
            _ = too_late => panic!(
                "the saves had not finished after 3 s of real time, though their only wait is \
                 the 50 ms flush, which the tests' paused clock skips at once when every task \
                 waits: a save keeps waking itself (a loop around now_or_never or try_lock and \
                 yield_now?), so the clock never moves on. Await flush_to_disk() once the guard \
                 is gone"
            ),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_line_is_saved() {
        within_3s_of_real_time(async {
            let log = Arc::new(TestLog::with_lines(&[]));
            let handles = start_saves(&log, &["boot", "login", "logout"]);
            // One thread, and no `.await` since the spawns: no save task has had a turn yet.
            let before = log.peek();
            assert_eq!(
                before,
                Some(Vec::new()),
                "start_saves had returned and no save task had run yet, but the log read \
                 {before:?}: the whole save (push, length and flush) runs in its own task, in \
                 save_line; start_saves only spawns one per line"
            );
            let mut lens = Vec::new();
            for handle in handles {
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
        })
        .await;
    }

    /// A blank line is a line of the log like any other: it is pushed, and its save returns the
    /// length right after its push.
    #[tokio::test(start_paused = true)]
    async fn blank_lines_are_saved_too() {
        within_3s_of_real_time(async {
            let log = Arc::new(TestLog::with_lines(&[]));
            let lines = ["boot", "", "login", "   "];
            let mut lens = Vec::new();
            for handle in start_saves(&log, &lines) {
                lens.push(handle.await.unwrap());
            }
            let mut saved = log
                .peek()
                .expect("the log is still locked after every save");
            saved.sort();
            let mut given = lines.map(String::from).to_vec();
            given.sort();
            let missing: Vec<&String> = given.iter().filter(|l| !saved.contains(l)).collect();
            assert!(
                saved == given,
                "start_saves was given the lines {lines:?} (two of them blank) and the log then \
                 held {saved:?}{}: every line given must end up in the log once, a blank one too",
                if missing.is_empty() {
                    String::new()
                } else {
                    format!(", without {missing:?}")
                }
            );
            lens.sort();
            assert_eq!(
                lens,
                [1, 2, 3, 4],
                "start_saves was given 4 lines (two of them blank), all 4 are in the log, and the \
                 saves returned the lengths {lens:?} (sorted): each save must return the log \
                 length right after its own push, so 1 to 4 in some order"
            );
        })
        .await;
    }

    /// The log held for 30 ms of real time by another thread (a thread of a multi-threaded
    /// runtime, say) when a save starts: save_line waits for it, it does not give up.
    #[tokio::test(start_paused = true)]
    async fn a_save_waits_for_a_log_held_elsewhere() {
        within_3s_of_real_time(async {
            let log = Arc::new(TestLog::with_lines(&["old"]));
            let (locked, held) = std::sync::mpsc::channel();
            let holder = std::thread::spawn({
                let log = Arc::clone(&log);
                move || hold(&*log, locked)
            });
            held.recv().expect("the test's holder thread failed");
            let saved = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
                save_line(Arc::clone(&log), "new".to_string()),
            ))
            .await;
            holder.join().expect("the test's holder thread failed");
            let len = match saved {
                Ok(len) => len,
                Err(panic) => {
                    let said = panic_text(&*panic);
                    let how = if said.contains("WouldBlock") {
                        "a `try_lock` fails at once while another thread holds the lock; \
                         `lock()` waits for it"
                    } else {
                        "`lock()` waits for the other thread by itself"
                    };
                    panic!(
                        "another thread held the log for 30 ms when a save started, and \
                         save_line panicked ({said}) instead of waiting for it: wait for the \
                         lock with `lock()` ({how})"
                    )
                }
            };
            let after = log.peek();
            let read = after
                .as_ref()
                .map_or("still locked".to_string(), |lines| format!("{lines:?}"));
            assert_eq!(
                (len, after.as_deref()),
                (2, Some(&["old".to_string(), "new".to_string()][..])),
                "another thread held the log (which read [\"old\"]) for 30 ms when the save of \
                 \"new\" started; save_line returned {len}, and then the log was {read}: it must \
                 wait for the lock, push its line and return the length right after its push, 2"
            );
        })
        .await;
    }

    /// Twelve lines of 14 to 58 bytes (a line may be of any length), saved side by side.
    #[tokio::test(start_paused = true)]
    async fn twelve_lines_are_all_saved() {
        within_3s_of_real_time(async {
            let log = Arc::new(TestLog::with_lines(&[]));
            let lines: Vec<String> = (1..=12)
                .map(|n| format!("event {n:02}: {}", "x".repeat(4 * n)))
                .collect();
            let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
            let mut lens = Vec::new();
            for handle in start_saves(&log, &lines) {
                lens.push(handle.await.unwrap());
            }
            let mut saved = log
                .peek()
                .expect("the log is still locked after every save");
            saved.sort();
            assert_eq!(
                saved,
                lines,
                "12 lines were given to start_saves and the log holds {} of them: every line \
                 must end up in the log, however many there are",
                saved.len()
            );
            lens.sort();
            assert_eq!(
                lens,
                (1..=12).collect::<Vec<usize>>(),
                "12 lines of 14 to 58 bytes were saved side by side and the saves returned the \
                 lengths {lens:?} (sorted): each save must return the log length right after its \
                 own push (1 to 12, in some order), whatever the line's length; read it under \
                 the lock that pushes"
            );
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn the_line_is_in_the_log_while_it_is_flushed() {
        within_3s_of_real_time(async {
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
                "save_line returned after {took:?} of Tokio's clock: it must still await \
                 flush_to_disk (50 ms on that clock; a std::thread::sleep in its place blocks the \
                 thread, and Tokio's clock does not count it)"
            );
        })
        .await;
    }

    /// The first line of a log is flushed like any other: a save into an empty log takes the
    /// flush's 50 ms too.
    #[tokio::test(start_paused = true)]
    async fn the_first_line_of_a_log_is_flushed_too() {
        within_3s_of_real_time(async {
            let log = Arc::new(TestLog::with_lines(&[]));
            let start = Instant::now();
            let len = save_line(Arc::clone(&log), "boot".to_string()).await;
            let took = start.elapsed();
            let after = log.peek();
            let read = after
                .as_ref()
                .map_or("still locked".to_string(), |lines| format!("{lines:?}"));
            assert_eq!(
                (len, after.as_deref()),
                (1, Some(&["boot".to_string()][..])),
                "the save of \"boot\" into an empty log returned {len}, and then the log was \
                 {read}: it must push its line and return the length right after its push, 1"
            );
            assert!(
                took >= Duration::from_millis(50),
                "the save of \"boot\" into an empty log (its first line) returned after \
                 {took:?} of Tokio's clock: every save awaits its flush (50 ms on that clock), \
                 the first line of a log as well as the others"
            );
            assert_eq!(
                took,
                Duration::from_millis(50),
                "the save of \"boot\" into an empty log took {took:?} of Tokio's clock, more \
                 than its one flush (50 ms): nothing else in a save waits"
            );
        })
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn saves_flush_at_the_same_time() {
        within_3s_of_real_time(async {
            let log = Arc::new(TestLog::with_lines(&[]));
            let start = Instant::now();
            for handle in start_saves(&log, &["a", "b", "c", "d"]) {
                handle.await.unwrap();
            }
            let took = start.elapsed();
            assert!(
                took >= Duration::from_millis(50),
                "4 saves were done after {took:?} of Tokio's clock: every save must await its \
                 flush (50 ms on that clock; a std::thread::sleep in its place blocks the thread, \
                 and Tokio's clock does not count it)"
            );
            assert_eq!(
                took,
                Duration::from_millis(50),
                "4 saves took {took:?}, but one flush takes 50 ms and they may all flush at once: \
                 each save runs in its own task, and no save may keep the log locked while it \
                 flushes"
            );
        })
        .await;
    }

    /// A thousand saves, of lines of which many repeat the same text, into a log that another
    /// writer adds a line to before they run: each save pushes its own line (a line logged
    /// again is a new line), returns the length right after its push, and waits for a flush
    /// of its own.
    #[tokio::test(start_paused = true)]
    async fn a_thousand_saves_each_push_and_flush_their_line() {
        within_3s_of_real_time(async {
            let log = Arc::new(TestLog::with_lines(&[]));
            let lines: Vec<&str> = (0..1000)
                .map(|n| if n % 3 == 2 { "tock" } else { "tick" })
                .collect();
            let start = Instant::now();
            let handles = start_saves(&log, &lines);
            // Another writer's line, in before any save task has had a turn.
            log.push_now("other");
            // Halfway through the 50 ms flush.
            sleep(Duration::from_millis(25)).await;
            let done = handles.iter().filter(|h| h.is_finished()).count();
            assert_eq!(
                done, 0,
                "{done} of 1000 saves had returned halfway through the flush (25 ms after they \
                 started): each save awaits a flush of its own (50 ms), even while another \
                 save's flush is running"
            );
            let mut lens = Vec::new();
            for handle in handles {
                lens.push(handle.await.unwrap());
            }
            let took = start.elapsed();
            let saved = log
                .peek()
                .expect("the log is still locked after every save");
            let count = |text: &str| saved.iter().filter(|line| *line == text).count();
            let (ticks, tocks) = (count("tick"), count("tock"));
            assert!(
                (ticks, tocks) == (667, 333),
                "1000 saves were started, of 667 lines \"tick\" and 333 lines \"tock\" (\"tick\", \
                 \"tick\", \"tock\", over and over), and then the log held {ticks} \"tick\" and \
                 {tocks} \"tock\": each save pushes its own line, however many there are and \
                 however often (or however lately) its text was logged before"
            );
            lens.sort();
            let expected: Vec<usize> = (2..=1001).collect();
            if lens != expected {
                let said = if lens == (1..=1000).collect::<Vec<usize>>() {
                    "1 to 1000, as if the other writer's line were not there: read the length \
                     from the log right after the push, under the lock that pushes"
                        .to_string()
                } else {
                    format!(
                        "lengths from {} to {} ({} distinct)",
                        lens.first().unwrap_or(&0),
                        lens.last().unwrap_or(&0),
                        {
                            let mut distinct = lens.clone();
                            distinct.dedup();
                            distinct.len()
                        }
                    )
                };
                panic!(
                    "another writer pushed a line into the empty log after start_saves returned \
                     and before any save ran; the 1000 saves then returned {said}: each must \
                     return the log's length right after its own push (2 to 1001, in some \
                     order)"
                );
            }
            assert!(
                took >= Duration::from_millis(50),
                "1000 saves were done after {took:?} of Tokio's clock: every save must await its \
                 flush (50 ms on that clock)"
            );
        })
        .await;
    }

    /// `code` with the inside of each raw string literal (`r"C:\"`, `r#"a "quoted" word"#`,
    /// `br#"..."#`) made plain: its `"` and `\` turned into spaces (same length), so that the
    /// code that reads strings as `"..."` with `\` escapes finds where each one ends. Comments,
    /// other string literals and char literals are left as they are.
    fn raw_strings_plain(code: &str) -> String {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let chars: Vec<char> = code.chars().collect();
        let mut out = String::with_capacity(code.len());
        let mut i = 0;
        while i < chars.len() {
            let next = chars.get(i + 1).copied();
            let after = |j: usize| chars.get(j).copied();
            // Where the comment, literal or single char at `i` ends.
            let end = match chars[i] {
                '/' if next == Some('/') => (i..chars.len())
                    .find(|&j| chars[j] == '\n')
                    .unwrap_or(chars.len()),
                '/' if next == Some('*') => {
                    let (mut depth, mut j) = (0, i);
                    while j < chars.len() {
                        match (chars[j], after(j + 1)) {
                            ('/', Some('*')) => (depth, j) = (depth + 1, j + 2),
                            ('*', Some('/')) => (depth, j) = (depth - 1, j + 2),
                            _ => j += 1,
                        }
                        if depth == 0 {
                            break;
                        }
                    }
                    j
                }
                '"' => {
                    let mut j = i + 1;
                    while j < chars.len() && chars[j] != '"' {
                        j += if chars[j] == '\\' { 2 } else { 1 };
                    }
                    (j + 1).min(chars.len())
                }
                // A char literal ('"', '\''), not a lifetime.
                '\'' if next == Some('\\') || after(i + 2) == Some('\'') => {
                    let from = if next == Some('\\') { i + 3 } else { i + 2 };
                    (from..chars.len())
                        .find(|&j| chars[j] == '\'')
                        .map_or(chars.len(), |j| j + 1)
                }
                'r' if (i == 0 || !ident(chars[i - 1]))
                    || (matches!(chars[i - 1], 'b' | 'c') && (i < 2 || !ident(chars[i - 2]))) =>
                {
                    let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
                    if after(i + 1 + hashes) != Some('"') {
                        out.push('r');
                        i += 1;
                        continue;
                    }
                    // A raw string: it ends at a `"` followed by as many `#`s, with no escapes.
                    let body = i + hashes + 2;
                    let close = (body..chars.len())
                        .find(|&j| {
                            chars[j] == '"'
                                && chars[j + 1..].iter().take_while(|&&c| c == '#').count()
                                    >= hashes
                        })
                        .unwrap_or(chars.len());
                    out.extend(&chars[i..body]);
                    for &c in &chars[body..close] {
                        out.push(if c == '"' || c == '\\' { ' ' } else { c });
                    }
                    let end = (close + 1 + hashes).min(chars.len());
                    out.extend(&chars[close.min(end)..end]);
                    i = end;
                    continue;
                }
                _ => i + 1,
            };
            out.extend(&chars[i..end]);
            i = end;
        }
        out
    }

    /// The code above the tests, with comments taken out and string and char literals
    /// emptied (`""`, `' '`): a `println!("... lock() ...")` or a note is not code.
    fn code_only(source: &str) -> String {
        // A `"` inside a raw string (`r#"a "b" c"#`) does not end it.
        let source = &raw_strings_plain(source);
        let chars: Vec<char> = source
            .split("\n// Tests: do not edit below this line.")
            .next()
            .unwrap()
            .chars()
            .collect();
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut out = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let at = |k: usize| chars.get(k).copied().unwrap_or(' ');
            if c == '/' && at(i + 1) == '/' {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            } else if c == '/' && at(i + 1) == '*' {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && at(i + 1) == '*' {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && at(i + 1) == '/' {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(' ');
            } else if c == '\'' {
                // A char literal ('x', '\n', '{'), or a lifetime ('a) kept as it is.
                if at(i + 1) == '\\' {
                    i += 3;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                    out.push_str("' '");
                } else if at(i + 2) == '\'' {
                    i += 3;
                    out.push_str("' '");
                } else {
                    out.push(c);
                    i += 1;
                }
            } else if c == '"' || ((c == 'r' || c == 'b') && (i == 0 || !is_ident(chars[i - 1]))) {
                // A string: "..", b"..", r"..", r#".."#, br"..".
                let mut j = i;
                if chars[j] == 'b' {
                    j += 1;
                }
                let raw = at(j) == 'r';
                if raw {
                    j += 1;
                }
                let mut hashes = 0;
                while raw && at(j) == '#' {
                    hashes += 1;
                    j += 1;
                }
                if at(j) != '"' {
                    out.push(c);
                    i += 1;
                    continue;
                }
                j += 1;
                while j < chars.len() {
                    if !raw && chars[j] == '\\' {
                        j += 2;
                    } else if chars[j] == '"' && (1..=hashes).all(|h| at(j + h) == '#') {
                        j += 1 + hashes;
                        break;
                    } else {
                        j += 1;
                    }
                }
                out.push_str("\"\"");
                i = j;
            } else {
                out.push(c);
                i += 1;
            }
        }
        out
    }

    /// Each `fn NAME` of `code` that has a body: its name, where the item starts (`fn`), its
    /// body (`{` to `}`), and whether it takes `self` (a method, that `.NAME(..)` calls).
    fn functions(code: &str) -> Vec<(String, usize, std::ops::Range<usize>, bool)> {
        let bytes = code.as_bytes();
        let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let mut found = Vec::new();
        for (at, _) in code.match_indices("fn ") {
            if at > 0 && is_ident(bytes[at - 1]) {
                continue;
            }
            let name: String = code[at + 3..]
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // The body starts at the first `{` outside `( )` and `[ ]` (a `;` there first: none).
            let (mut depth, mut open) = (0i32, None);
            for (i, b) in bytes.iter().enumerate().skip(at + 3) {
                match b {
                    b'(' | b'[' => depth += 1,
                    b')' | b']' => depth -= 1,
                    b';' if depth == 0 => break,
                    b'{' if depth == 0 => {
                        open = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(open) = open else { continue };
            let mut depth = 0;
            let mut end = code.len();
            for (i, b) in bytes.iter().enumerate().skip(open) {
                match b {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let method = code[at..open].match_indices("self").any(|(i, _)| {
                !is_ident(code.as_bytes()[at + i - 1])
                    && !code
                        .as_bytes()
                        .get(at + i + 4)
                        .copied()
                        .is_some_and(is_ident)
            });
            found.push((name, at, open..end, method));
        }
        found
    }

    /// `text` without the `println!`/`print!`/`eprintln!`/`eprint!` calls in it: what they
    /// lock they only print.
    fn without_prints(text: &str) -> String {
        let mut text = text.to_string();
        for name in ["eprintln!", "println!", "eprint!", "print!"] {
            while let Some(at) = text.find(name) {
                let Some(open) = text[at..].find(['(', '[', '{']).map(|open| at + open) else {
                    break;
                };
                let mut depth = 0;
                let mut end = text.len();
                for (i, c) in text[open..].char_indices() {
                    match c {
                        '(' | '[' | '{' => depth += 1,
                        ')' | ']' | '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                text.replace_range(at..end, "");
            }
        }
        text
    }

    /// Each `macro_rules! NAME` of `code`: its name, where the item starts, and its body.
    fn macros(code: &str) -> Vec<(String, usize, std::ops::Range<usize>)> {
        let mut found = Vec::new();
        for (at, _) in code.match_indices("macro_rules!") {
            let rest = &code[at + "macro_rules!".len()..];
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let Some(open) = rest.find(['{', '(', '[']) else {
                continue;
            };
            let open = at + "macro_rules!".len() + open;
            let mut depth = 0;
            let mut end = code.len();
            for (i, c) in code[open..].char_indices() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            found.push((name, at, open..end));
        }
        found
    }

    /// Each `const NAME` or `static NAME` item of `code` (one that starts its line): its name,
    /// where the item starts, and its value up to the `;`. A closure kept there
    /// (`const LEN: fn(..) -> usize = |log| ...;`) locks once per call, as a fn does.
    fn constants(code: &str) -> Vec<(String, usize, std::ops::Range<usize>)> {
        let mut found = Vec::new();
        for keyword in ["const ", "static "] {
            for (at, _) in code.match_indices(keyword) {
                let line = code[..at].rsplit('\n').next().unwrap_or_default().trim();
                if !["", "pub", "pub(crate)"].contains(&line) {
                    continue;
                }
                let name: String = code[at + keyword.len()..]
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if name.is_empty() || name == "fn" {
                    continue;
                }
                let mut depth = 0;
                let mut end = code.len();
                for (i, c) in code[at..].char_indices() {
                    match c {
                        '(' | '[' | '{' => depth += 1,
                        ')' | ']' | '}' => depth -= 1,
                        ';' if depth == 0 => {
                            end = at + i + 1;
                            break;
                        }
                        _ => {}
                    }
                }
                found.push((name, at, at..end));
            }
        }
        found
    }

    /// `text` without the `fn` and `macro_rules!` items defined in it (a helper nested in a
    /// body): their locks are a helper's, counted once per call.
    fn without_items(text: &str) -> String {
        let mut items: Vec<std::ops::Range<usize>> = functions(text)
            .into_iter()
            .map(|(_, at, body, _)| at..body.end)
            .chain(macros(text).into_iter().map(|(_, at, body)| at..body.end))
            .collect();
        items.sort_by_key(|item| item.start);
        let mut out = String::new();
        let mut from = 0;
        for item in items {
            // An item inside one already taken out goes with it.
            if item.start >= from {
                out.push_str(&text[from..item.start]);
                out.push(' ');
                from = item.end;
            }
        }
        out.push_str(&text[from..]);
        out
    }

    /// Whether a `let` or `for` pattern of `text` binds a variable `name` (which then hides a
    /// helper of that name).
    fn binds(text: &str, name: &str) -> bool {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let word = |part: &str| {
            part.match_indices(name).any(|(at, _)| {
                part[..at].chars().next_back().is_none_or(|c| !is_ident(c))
                    && part[at + name.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| !is_ident(c))
            })
        };
        [("let ", "="), ("for ", " in ")]
            .into_iter()
            .any(|(keyword, end)| {
                text.match_indices(keyword).any(|(at, _)| {
                    let pattern = &text[at + keyword.len()..];
                    let pattern = &pattern[..pattern.find(end).unwrap_or(pattern.len())];
                    text[..at].chars().next_back().is_none_or(|c| !is_ident(c)) && word(pattern)
                })
            })
    }

    /// The variables of `text` bound to the process's stdout or stderr (`let out =
    /// io::stdout();`, `let err: Stderr = std::io::stderr();`).
    fn streams_bound(text: &str) -> Vec<String> {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut names = Vec::new();
        for (at, _) in text.match_indices("let ") {
            if text[..at].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let rest = text[at + 4..].trim_start();
            let rest = rest.strip_prefix("mut ").unwrap_or(rest).trim_start();
            let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            let Some(eq) = rest.find('=') else {
                continue;
            };
            let value: String = rest[eq + 1..]
                .split(';')
                .next()
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if !name.is_empty() && (value.ends_with("stdout()") || value.ends_with("stderr()")) {
                names.push(name);
            }
        }
        names
    }

    /// The locks written in `text` itself (not in a print), spaces and line breaks ignored. A
    /// lock of the process's stdout or stderr (to write a line at once: `stdout().lock()`, or
    /// `out.lock()` after `let out = stdout();`) is not one of the shared data.
    fn locks_written(text: &str) -> usize {
        let text = without_prints(text);
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        // `name.lock(` of a stream bound to a variable, `name` a whole word.
        let streams_locked: usize = streams_bound(&text)
            .iter()
            .map(|name| {
                text.match_indices(name.as_str())
                    .filter(|(at, _)| {
                        let after: String = text[at + name.len()..]
                            .chars()
                            .filter(|c| !c.is_whitespace())
                            .take(6)
                            .collect();
                        !text[..*at].ends_with(is_ident) && after == ".lock("
                    })
                    .count()
            })
            .sum();
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let count =
            |locks: &[&str]| -> usize { locks.iter().map(|lock| text.matches(lock).count()).sum() };
        let all = count(&[
            ".lock(",
            "::lock(",
            "try_lock(",
            "blocking_lock(",
            "lock_owned(",
        ]);
        // `Mutex::lock` handed on as a function (`let take = Mutex::lock;`, `.map(Mutex::lock)`):
        // how often it is called there is not written, so it counts as called twice.
        let handed_on = text
            .match_indices("::lock")
            .filter(|(at, lock)| {
                !text[at + lock.len()..]
                    .starts_with(|c: char| c.is_alphanumeric() || "_(".contains(c))
            })
            .count();
        (all + 2 * handed_on)
            .saturating_sub(count(&["stdout().lock(", "stderr().lock("]) + streams_locked)
    }

    /// `text` without the closures it binds to a name (`let name = |..| ..;`), and those
    /// closures: a closure that locks, called twice, locks twice.
    fn without_closures(text: &str) -> (String, Vec<(String, String)>) {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut text = text.to_string();
        let mut closures = Vec::new();
        let mut from = 0;
        while let Some(found) = text[from..].find("let ") {
            let at = from + found;
            from = at + 4;
            if text[..at].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let rest = text[at + 4..].trim_start();
            let rest = rest.strip_prefix("mut ").unwrap_or(rest).trim_start();
            let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            let after = rest[name.len()..].trim_start();
            let Some(value) = after.strip_prefix('=') else {
                continue;
            };
            let value = value.trim_start();
            let value = value.strip_prefix("move").unwrap_or(value).trim_start();
            if name.is_empty() || !value.starts_with('|') {
                continue;
            }
            // The closure ends at the `;` that ends the `let`.
            let start = at;
            let mut depth = 0;
            let mut end = text.len();
            for (i, c) in text[start..].char_indices() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => depth -= 1,
                    ';' if depth == 0 => {
                        end = start + i + 1;
                        break;
                    }
                    _ => {}
                }
            }
            let body = text[start..end]
                .split_once('=')
                .map_or(String::new(), |(_, body)| body.to_string());
            closures.push((name, body));
            text.replace_range(start..end, " ");
            from = start;
        }
        (text, closures)
    }

    /// How many times `text` calls `name` (`name(..)`, `name!(..)`, `Type::name(..)`, and
    /// `.name(..)` if `name` is a `method`), or 1 if it only passes it as a value
    /// (`.map(name)`), or 0. A variable or a field of that name (`let name`, `name.len()`,
    /// `x.name`) and a method of std (`guard.len()`, beside a helper `fn len`) are not calls.
    fn calls(text: &str, name: &str, method: bool) -> usize {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let text = without_prints(text);
        let bound = binds(&text, name);
        let mut named = 0;
        let mut called = 0;
        for (at, _) in text.match_indices(name) {
            let before = text[..at].trim_end().chars().next_back();
            let after = text[at + name.len()..].trim_start();
            if text[..at].chars().next_back().is_some_and(is_ident) || after.starts_with(is_ident) {
                continue;
            }
            let dot = before == Some('.');
            if after.starts_with('(') || after.starts_with('!') || after.starts_with("::<") {
                if !dot || (method && after.starts_with('(')) {
                    called += 1;
                }
            } else if !dot && !bound && !after.starts_with('.') && !after.starts_with(':') {
                named += 1;
            }
        }
        called += operator_uses(&text, name, method);
        if called > 0 { called } else { named.min(1) }
    }

    /// The methods of the operators' traits that the scans know, and the operator that calls
    /// each with no call written out.
    const OPERATORS: [(&str, &str); 24] = [
        ("add_assign", "+="),
        ("sub_assign", "-="),
        ("mul_assign", "*="),
        ("div_assign", "/="),
        ("rem_assign", "%="),
        ("shl_assign", "<<="),
        ("shr_assign", ">>="),
        ("bitor_assign", "|="),
        ("bitand_assign", "&="),
        ("bitxor_assign", "^="),
        ("add", "+"),
        ("sub", "-"),
        ("mul", "*"),
        ("div", "/"),
        ("rem", "%"),
        ("shl", "<<"),
        ("shr", ">>"),
        ("bitor", "|"),
        ("bitand", "&"),
        ("bitxor", "^"),
        ("neg", "-"),
        ("index", "["),
        ("index_mut", "["),
        ("into_future", ".await"),
    ];

    /// How many times `text` calls the method `name` of an operator's trait with no call
    /// written out: `a += b` calls `add_assign`, `a << b` calls `shl`, `a[i]` calls `index`,
    /// `x.await` calls `into_future`. Each use of the operator counts (also those on numbers:
    /// the scan cannot tell the types apart, and only a helper that locks is followed).
    fn operator_uses(text: &str, name: &str, method: bool) -> usize {
        if !method {
            return 0;
        }
        OPERATORS
            .iter()
            .find(|(method, _)| *method == name)
            .map_or(0, |(_, operator)| text.matches(operator).count())
    }

    /// A `match`, an `if` (with its `else`s), or a `try_lock()` followed by
    /// `.unwrap_or_else(..)`/`.or_else(..)` in `text`: where it is, its head (what is matched,
    /// the condition, the `try_lock()`), and its arms (only one of them runs), each with
    /// whether a `try_lock` in the head took the lock on that arm (not in an `Err`, `None` or
    /// `_` arm, nor in the `else` of an `if let Ok(..)`, nor in the closure of
    /// `.unwrap_or_else(..)`).
    struct Branching {
        whole: std::ops::Range<usize>,
        head: std::ops::Range<usize>,
        arms: Vec<(std::ops::Range<usize>, bool)>,
    }

    /// `text` with the body of each loop that surely runs more than once written twice, so
    /// that a lock there counts as two: a `for` over a range or an array written out
    /// (`for step in 0..2`, `for step in [Count, Copy]`), a `loop`. A `while` (`while
    /// !saved`) or a loop over what arrives (`for fresh in results`) may run once; and a loop
    /// whose body `break`s or `return`s at its own level (it runs once) or locks only on a
    /// branch (a retry that stops once it has the lock: `Ok(guard) => { ..; break guard.len()
    /// }`, a step machine) is left as it is. A lock taken before the branch whose arm `break`s
    /// is taken again on the next turn, so it counts as two.
    fn repeated(text: &str) -> String {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let word_at = |at: usize, word: &str| {
            text[at..].starts_with(word)
                && !text[..at].ends_with(ident)
                && !text[at + word.len()..].starts_with(ident)
        };
        let has_word = |part: &str, word: &str| {
            part.match_indices(word).any(|(at, _)| {
                !part[..at].ends_with(ident) && !part[at + word.len()..].starts_with(ident)
            })
        };
        // What a `for` goes over, written out with two items or more: `0..2`, `1..=3`,
        // `[a, b]`, `[step; 2]`.
        let written_out = |over: &str| {
            // Taken as it is, or through adapters that keep every item
            // (`[&log, &log].iter().enumerate()`).
            let mut over = over.trim();
            while let Some(rest) = [
                ".iter()",
                ".into_iter()",
                ".enumerate()",
                ".copied()",
                ".cloned()",
                ".rev()",
            ]
            .iter()
            .find_map(|adapter| over.strip_suffix(adapter))
            {
                over = rest.trim_end();
            }
            let number = |part: &str| part.trim().replace('_', "").parse::<u64>().ok();
            if let Some(items) = over.strip_prefix('[').and_then(|o| o.strip_suffix(']')) {
                let mut depth = 0;
                let mut parts = vec![String::new()];
                for c in items.chars() {
                    match c {
                        '(' | '[' | '{' => depth += 1,
                        ')' | ']' | '}' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 && (c == ',' || c == ';') {
                        parts.push(c.to_string());
                    } else if let Some(part) = parts.last_mut() {
                        part.push(c);
                    }
                }
                let parts: Vec<&str> = parts.iter().map(|p| p.trim()).collect();
                return match parts.iter().position(|p| p.starts_with(';')) {
                    Some(at) => number(&parts[at][1..]).is_some_and(|n| n >= 2),
                    None => {
                        parts
                            .iter()
                            .filter(|p| !p.trim_start_matches(',').trim().is_empty())
                            .count()
                            >= 2
                    }
                };
            }
            over.split_once("..").is_some_and(|(from, to)| {
                let (to, inclusive) = match to.strip_prefix('=') {
                    Some(to) => (to, 1),
                    None => (to, 0),
                };
                number(from)
                    .zip(number(to))
                    .is_some_and(|(from, to)| to + inclusive >= from + 2)
            })
        };
        let mut out = String::new();
        let (mut from, mut at) = (0, 0);
        while at < text.len() {
            if !text.is_char_boundary(at) {
                at += 1;
                continue;
            }
            // An iterator made from a closure it calls again and again
            // (`repeat_with(|| log.lock().unwrap())`, `from_fn(..)`): each `next()` runs it.
            let made_of_calls = ["repeat_with", "from_fn"]
                .into_iter()
                .find(|word| word_at(at, word))
                .and_then(|word| {
                    let open = at + word.len();
                    text[open..].starts_with('(').then_some(open)
                })
                .and_then(|open| Some((open, closing(text, open)?)));
            if let Some((open, close)) = made_of_calls {
                out.push_str(&text[from..close]);
                out.push(' ');
                out.push_str(&text[open + 1..close]);
                from = close;
                at = close;
                continue;
            }
            let looped = ["for", "while", "loop"]
                .into_iter()
                .find(|word| word_at(at, word))
                .and_then(|word| {
                    let open = block_after(text, at + word.len())?;
                    let header = &text[at + word.len()..open];
                    let repeats = match word {
                        "for" => header
                            .split_once(" in ")
                            .is_some_and(|(_, over)| written_out(over)),
                        // A `while` may run once (`while !saved`, `while len.is_none()`).
                        "while" => false,
                        _ => true,
                    };
                    repeats.then_some(open)
                })
                .and_then(|open| Some((open, closing(text, open)?)))
                .filter(|&(open, close)| {
                    let body = &text[open..close];
                    // A lock only inside a branch (`if`, `match`) may be taken on one turn
                    // only (a step machine: `match step { Parse => .., Record => lock }`):
                    // left as it is; a lock before the first branch is taken on every turn.
                    let first = |word: &str| {
                        body.match_indices(word)
                            .find(|&(at, _)| {
                                !body[..at].ends_with(ident)
                                    && !body[at + word.len()..].starts_with(ident)
                            })
                            .map(|(at, _)| at)
                    };
                    let branch = [first("if"), first("match")].into_iter().flatten().min();
                    let locks_each_turn = match (body.find(".lock("), branch) {
                        (Some(lock), Some(branch)) => lock < branch,
                        (lock, None) => lock.is_some(),
                        (None, Some(_)) => false,
                    };
                    // The body at its own level, its inner blocks blanked: a `break` or `return`
                    // there ends the first turn, so the body runs once; one only inside a
                    // branch (`if done { break }`, a `match` arm) may come on a later turn,
                    // after the lock was taken again (`loop { let g = m.lock().unwrap(); match
                    // step { Read => .., Write => { ..; break } } }` locks twice).
                    let mut depth = 0;
                    let own_level: String = body
                        .chars()
                        .map(|c| {
                            let here = depth;
                            match c {
                                '(' | '[' | '{' => depth += 1,
                                ')' | ']' | '}' => depth -= 1,
                                _ => {}
                            }
                            if here == 1 && depth == 1 {
                                c.to_string()
                            } else {
                                " ".repeat(c.len_utf8())
                            }
                        })
                        .collect();
                    // A branching at the body's own level whose every arm `break`s or
                    // `return`s (`match g.get_mut(page) { Some(n) => { ..; break } None => {
                    // ..; break } }`) ends the first turn too.
                    let every_arm_ends = branchings(body).iter().any(|b| {
                        (own_level.get(b.whole.start..))
                            .is_some_and(|own| own.starts_with(['i', 'm']))
                            && b.arms.len() > 1
                            && b.arms.iter().all(|(arm, _)| {
                                has_word(&body[arm.clone()], "break")
                                    || has_word(&body[arm.clone()], "return")
                            })
                    });
                    locks_each_turn
                        && !every_arm_ends
                        && !has_word(&own_level, "break")
                        && !has_word(&own_level, "return")
                });
            match looped {
                Some((open, close)) => {
                    out.push_str(&text[from..close]);
                    out.push(' ');
                    out.push_str(&text[open + 1..close]);
                    from = close;
                    at = close;
                }
                None => at += 1,
            }
        }
        out.push_str(&text[from..]);
        out
    }

    /// Where the bracket opened at `open` in `text` closes.
    fn closing(text: &str, open: usize) -> Option<usize> {
        let mut depth = 0;
        for (i, c) in text[open..].char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(open + i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The first `{` at depth 0 in `text` from `from` (the body of a `match`, the block of an
    /// `if`), if no `;`, `}` or `=>` comes first.
    fn block_after(text: &str, from: usize) -> Option<usize> {
        let mut depth = 0;
        for (i, c) in text[from..].char_indices() {
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                '{' if depth == 0 => return Some(from + i),
                ';' | '}' if depth == 0 => return None,
                '=' if depth == 0 && text[from + i..].starts_with("=>") => return None,
                _ => {}
            }
            if depth < 0 {
                return None;
            }
        }
        None
    }

    /// The name a pattern starts with, its path left out (`Err(..)`, `TryLockError::..`).
    fn pattern_name(pattern: &str) -> String {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let pattern = pattern.trim_start().trim_start_matches('|').trim_start();
        let path: String = pattern
            .chars()
            .take_while(|c| ident(*c) || *c == ':')
            .collect();
        path.rsplit("::").next().unwrap_or_default().to_string()
    }

    /// Whether the lock of a `try_lock` in `head` is held on the arm whose pattern is
    /// `pattern`: not on an `Err`, `None` or `_` arm.
    fn took_on(pattern: &str) -> bool {
        !["Err", "None", "_"].contains(&pattern_name(pattern).as_str())
    }

    /// An `if`'s condition, block, and `else` part.
    type IfParts = (
        std::ops::Range<usize>,
        std::ops::Range<usize>,
        Option<std::ops::Range<usize>>,
    );

    /// The `if` at `at` in `text`: its condition, its block, and its `else` part (a block or
    /// another `if`), and where the whole chain ends.
    fn if_at(text: &str, at: usize) -> Option<IfParts> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let open = block_after(text, at + 2)?;
        let close = closing(text, open)?;
        let after = &text[close + 1..];
        let rest = after.trim_start();
        let Some(otherwise) = rest.strip_prefix("else").filter(|r| !r.starts_with(ident)) else {
            return Some((at + 2..open, open..close + 1, None));
        };
        let start = text.len() - otherwise.trim_start().len();
        let end = if text[start..].starts_with('{') {
            closing(text, start)? + 1
        } else if text[start..].starts_with("if") {
            let (_, then, otherwise) = if_at(text, start)?;
            otherwise.map_or(then.end, |o| o.end)
        } else {
            return None;
        };
        Some((at + 2..open, open..close + 1, Some(start..end)))
    }

    /// Whether `block` (`{ .. }`) ends in a `return`: its last statement returns.
    fn returns(block: &str) -> bool {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let inner = block.trim();
        let inner = inner.strip_prefix('{').unwrap_or(inner);
        let inner = inner.strip_suffix('}').unwrap_or(inner).trim_end();
        let inner = inner.strip_suffix(';').unwrap_or(inner);
        let (mut depth, mut last) = (0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' => depth -= 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        last = i + 1;
                    }
                }
                ';' if depth == 0 => last = i + 1,
                _ => {}
            }
        }
        let last = inner[last..].trim_start();
        last.strip_prefix("return")
            .is_some_and(|rest| !rest.starts_with(ident))
    }

    /// The `match`es, `if`/`else`s and `try_lock().unwrap_or_else(..)`s of `text`.
    fn branchings(text: &str) -> Vec<Branching> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let word_at = |at: usize, word: &str| {
            text[at..].starts_with(word)
                && !text[..at].ends_with(ident)
                && !text[at + word.len()..].starts_with(ident)
        };
        let mut found = Vec::new();
        for (at, _) in text.char_indices() {
            if word_at(at, "match") {
                let Some(open) = block_after(text, at + 5) else {
                    continue;
                };
                let Some(close) = closing(text, open) else {
                    continue;
                };
                let head = at + 5..open;
                let locked_in_head = text[head.clone()].contains("try_lock");
                // The arms: each ends at a `,` at depth 0, or at the `}` of a block body.
                let mut arms = Vec::new();
                let (mut depth, mut start, mut arrow, mut block) = (0, open + 1, None, None);
                for (i, c) in text[open + 1..close].char_indices() {
                    let i = open + 1 + i;
                    match c {
                        '(' | '[' | '{' => {
                            if depth == 0
                                && c == '{'
                                && arrow.is_some_and(|a: usize| text[a + 2..i].trim().is_empty())
                            {
                                block = Some(i);
                            }
                            depth += 1;
                        }
                        ')' | ']' | '}' => {
                            depth -= 1;
                            if depth == 0 && c == '}' && block.is_some() {
                                arms.push(start..i + 1);
                                (start, arrow, block) = (i + 1, None, None);
                            }
                        }
                        '=' if depth == 0 && text[i..].starts_with("=>") => arrow = Some(i),
                        ',' if depth == 0 => {
                            if arrow.is_some() {
                                arms.push(start..i);
                            }
                            (start, arrow, block) = (i + 1, None, None);
                        }
                        _ => {}
                    }
                }
                if arrow.is_some() {
                    arms.push(start..close);
                }
                let arms = arms
                    .into_iter()
                    .filter(|arm| !text[arm.clone()].trim().is_empty())
                    .map(|arm| {
                        let took = !locked_in_head || took_on(&text[arm.clone()]);
                        (arm, took)
                    })
                    .collect();
                found.push(Branching {
                    whole: at..close + 1,
                    head,
                    arms,
                });
            } else if word_at(at, "if") {
                // An `else if` is an arm of the `if` before it.
                if text[..at].trim_end().ends_with("else")
                    && !text[..text[..at].trim_end().len() - 4].ends_with(ident)
                {
                    continue;
                }
                let Some((head, then, otherwise)) = if_at(text, at) else {
                    continue;
                };
                // An `if` with no `else` whose block ends in `return` (an early return): the
                // block, or what follows it to the end; only one of them runs.
                let otherwise = match otherwise {
                    Some(otherwise) => otherwise,
                    None if returns(&text[then.clone()]) => then.end..text.len(),
                    None => continue,
                };
                // `if let Ok(guard) = m.try_lock() { .. } else { .. }`: the lock is held in
                // the block, not in the `else` (the other way round for `Err`).
                let condition = text[head.clone()].trim_start();
                let (mut then_took, mut else_took) = (true, true);
                if let Some(pattern) = condition.strip_prefix("let")
                    && condition.contains("try_lock")
                {
                    match pattern_name(pattern).as_str() {
                        "Ok" | "Some" => else_took = false,
                        "Err" | "None" => then_took = false,
                        _ => {}
                    }
                }
                found.push(Branching {
                    whole: at..otherwise.end,
                    head,
                    arms: vec![(then, then_took), (otherwise, else_took)],
                });
            } else if word_at(at, "try_lock") {
                let after = text[at + 8..].trim_start();
                if !after.starts_with('(') {
                    continue;
                }
                let open = text.len() - after.len();
                let Some(close) = closing(text, open) else {
                    continue;
                };
                let rest = text[close + 1..].trim_start();
                let Some(rest) = rest.strip_prefix('.') else {
                    continue;
                };
                let rest = rest.trim_start();
                let Some(method) = ["unwrap_or_else", "or_else"]
                    .into_iter()
                    .find(|m| rest.starts_with(m) && rest[m.len()..].trim_start().starts_with('('))
                else {
                    continue;
                };
                let from = text.len() - rest.len() + method.len();
                let call = from + text[from..].find('(').unwrap_or(0);
                let Some(end) = closing(text, call) else {
                    continue;
                };
                found.push(Branching {
                    whole: at..end + 1,
                    head: at..close + 1,
                    arms: vec![(call + 1..call + 1, true), (call + 1..end, false)],
                });
            }
        }
        found
    }

    /// The ways through `text`, one per arm of each `match` and branch of each `if`/`else`
    /// (only one of them runs: their locks are alternatives, not added up), a `try_lock` of
    /// the head kept only on the arms where it took the lock. More than 64 ways: `text` as it
    /// is, every arm's locks added up.
    fn ways(text: &str) -> Vec<String> {
        let mut done = Vec::new();
        let mut todo = vec![text.to_string()];
        while let Some(way) = todo.pop() {
            let Some(branching) = branchings(&way).into_iter().find(|b| b.arms.len() > 1) else {
                done.push(way);
                continue;
            };
            if done.len() + todo.len() + branching.arms.len() > 64 {
                return vec![text.to_string()];
            }
            for (arm, took) in &branching.arms {
                let mut head = way[branching.head.clone()].to_string();
                if !took {
                    head = head.replace("try_lock", "try_lk");
                }
                todo.push(format!(
                    "{} {head} ; {} {}",
                    &way[..branching.whole.start],
                    &way[arm.clone()],
                    &way[branching.whole.end..]
                ));
            }
        }
        done
    }

    /// The locks that `text` takes: its own, and those of each function, macro or closure
    /// it calls, once per call (`skip` aside).
    fn locks_taken(
        text: &str,
        helpers: &[(String, String, bool)],
        skip: &mut Vec<String>,
    ) -> usize {
        let (text, closures) = without_closures(&without_items(text));
        // Each way through the `match`es and `if`/`else`s counted apart: the one that locks
        // most.
        let mut most_of_all = 0;
        // A lock in a loop that runs more than once is taken again and again.
        for text in ways(&repeated(&text)) {
            let mut locks = locks_written(&text);
            let mut names: Vec<&String> = Vec::new();
            for name in closures
                .iter()
                .map(|(n, _)| n)
                .chain(helpers.iter().map(|(n, _, _)| n))
            {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            for name in names {
                if skip.contains(name) {
                    continue;
                }
                let closure = closures.iter().find(|(n, _)| n == name);
                let method = closure.is_none() && helpers.iter().any(|(n, _, m)| n == name && *m);
                let times = calls(&text, name, method);
                if times == 0 {
                    continue;
                }
                // A closure hides a function of the same name; of several functions of that name
                // (methods of different types), the one that locks most.
                let bodies: Vec<&String> = match closure {
                    Some((_, body)) => vec![body],
                    None => helpers
                        .iter()
                        .filter(|(n, _, _)| n == name)
                        .map(|(_, b, _)| b)
                        .collect(),
                };
                skip.push(name.clone());
                let most = bodies
                    .into_iter()
                    .map(|body| locks_taken(body, helpers, skip))
                    .max()
                    .unwrap_or(0);
                skip.pop();
                // A helper method named like a lock (`fn lock(&self)` of a wrapper around the
                // shared value): each `.lock(` call of it was counted once already as a lock
                // written; what its body locks stands for that one, not beside it.
                let written = if ["lock", "try_lock", "blocking_lock", "lock_owned"]
                    .contains(&name.as_str())
                {
                    let flat: String = without_prints(&text)
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .collect();
                    if name == "lock" {
                        flat.matches(".lock(").count() + flat.matches("::lock(").count()
                    } else {
                        flat.matches(&format!("{name}(")).count()
                    }
                } else {
                    0
                };
                locks += times * most - written.min(times) * most.min(1);
            }
            most_of_all = most_of_all.max(locks);
        }
        most_of_all
    }

    /// Where the last call in `body` of one of `flushes` (as a whole word) ends, after its
    /// `( .. )`: a flush before the locks (or a helper that flushes only sometimes) does not
    /// hide them.
    fn flush_end(body: &str, flushes: &[String]) -> Option<usize> {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let open = flushes
            .iter()
            .filter_map(|call| {
                body.rmatch_indices(call.as_str()).find_map(|(at, _)| {
                    let before = body[..at].chars().next_back().is_none_or(|c| !is_ident(c));
                    let after = &body[at + call.len()..];
                    let open = at + call.len() + after.len() - after.trim_start().len();
                    (before && after.trim_start().starts_with('(')).then_some(open)
                })
            })
            .max()?;
        let mut depth = 0;
        for (i, c) in body[open..].char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(open + i + 1);
                    }
                }
                _ => {}
            }
        }
        Some(body.len())
    }

    /// Each word of `text` (letters, digits, `_`) with where it starts.
    fn word_starts(text: &str) -> Vec<(usize, &str)> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut found = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
            match (start, ident(c)) {
                (None, true) => start = Some(i),
                (Some(from), false) => {
                    found.push((from, &text[from..i]));
                    start = None;
                }
                _ => {}
            }
        }
        found
    }

    /// `code` with each lock that is not a lock of the log renamed (`.lock(` becomes
    /// `.other_lk(`, `.try_lock(` `.other_try_lk(`, and so on), so that only locks of the log
    /// are counted. The log is the first parameter of the fns named in `given` (the name the
    /// code gives it there), a name bound to it in the same fn (`let s = log;`, `let s =
    /// &log;`, `Arc::clone(&log)`, `log.clone()`), and a parameter of a fn, closure or
    /// const closure that the log itself is handed to at a call site (`helper(log, ..)`), a
    /// few levels deep, a name a tuple of it is taken apart into (`let (lines, l) = (log,
    /// line);`), a name a `match` arm binds it to (`match &log { shared => .. }`), a
    /// parameter of a closure called where it is written (`(|m| ..)(&log)`), a field of a
    /// struct made with the log in it (`let entry = Entry { log };`
    /// makes `entry.log` the log, and `self.log` in a method called on `entry`), and a call of
    /// a fn or method that hands back the log it is given or holds (`the(log)`,
    /// `entry.log()`). Any other receiver (a static, a mutex the code makes, whatever its
    /// type's spelling, an accessor fn such as `handled().lock()`, a parameter handed something
    /// else, stdout) is not the log: when the scan cannot tell, the lock is not counted.
    fn without_other_locks(code: &str, given: &[&str]) -> String {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        // Where the bracket opened at `open` closes.
        let close_of = |open: usize| {
            let mut depth = 0;
            for (i, c) in code[open..].char_indices() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => {
                        depth -= 1;
                        if depth == 0 {
                            return open + i;
                        }
                    }
                    _ => {}
                }
            }
            code.len()
        };
        // The pieces of a list split at its top-level commas.
        let pieces = |list: &str| -> Vec<String> {
            let (mut out, mut depth) = (vec![String::new()], 0);
            for c in list.chars() {
                match c {
                    '(' | '[' | '{' | '<' => depth += 1,
                    ')' | ']' | '}' | '>' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(String::new());
                        continue;
                    }
                    _ => {}
                }
                if let Some(piece) = out.last_mut() {
                    piece.push(c);
                }
            }
            out
        };
        // The name a parameter binds (`mut lines: ...` gives `lines`), if a plain one.
        let param_name = |piece: &str| -> String {
            let pattern = piece.split(':').next().unwrap_or_default();
            let pattern = pattern.trim().trim_start_matches('&').trim_start();
            let pattern = pattern.strip_prefix("mut ").unwrap_or(pattern).trim();
            if !pattern.is_empty() && pattern.chars().all(ident) {
                pattern.to_string()
            } else {
                String::new()
            }
        };
        // The name an expression is, if it is only a name (behind `&`, `*`, `mut`, a wrapper
        // such as `Arc::clone(..)`, or followed by `.clone()`, `.as_ref()`).
        let only_name = |expr: &str| -> Option<String> {
            let mut expr = expr.trim();
            loop {
                expr = expr
                    .trim_start_matches(|c: char| c.is_whitespace() || "&*(".contains(c))
                    .trim_end_matches(|c: char| c.is_whitespace() || c == ')');
                if let Some(rest) = expr.strip_prefix("mut")
                    && rest.starts_with(char::is_whitespace)
                {
                    expr = rest;
                    continue;
                }
                let mut wrapped = false;
                for wrapper in ["Arc::clone", "Rc::clone", "Arc::new", "Box::new", "Some"] {
                    if let Some(rest) = expr.strip_prefix(wrapper)
                        && rest.trim_start().starts_with('(')
                    {
                        expr = rest;
                        wrapped = true;
                    }
                }
                if wrapped {
                    continue;
                }
                for method in [".clone(", ".as_ref(", ".deref(", ".borrow("] {
                    if let Some(rest) = expr.strip_suffix(method) {
                        expr = rest;
                        wrapped = true;
                    }
                }
                if !wrapped {
                    break;
                }
            }
            (!expr.is_empty() && expr.chars().all(ident)).then(|| expr.to_string())
        };
        let words = word_starts(code);
        // Each fn: its name, where it starts and ends, its parameters.
        let mut fns: Vec<(String, usize, usize, Vec<String>)> = Vec::new();
        for (k, &(at, word)) in words.iter().enumerate() {
            if word != "fn" {
                continue;
            }
            let Some(&(name_at, name)) = words.get(k + 1) else {
                continue;
            };
            // `fn NAME`, not a fn pointer type (`fn(&Mutex<..>) -> usize`).
            if !code[at + 2..name_at].chars().all(char::is_whitespace) || name_at == at + 2 {
                continue;
            }
            let after = &code[name_at + name.len()..];
            let Some(open) = after.find('(') else {
                continue;
            };
            if !after[..open].trim().is_empty() && !after.trim_start().starts_with('<') {
                continue;
            }
            let open = name_at + name.len() + open;
            let close = close_of(open);
            let params = pieces(&code[open + 1..close.min(code.len())])
                .iter()
                .map(|piece| param_name(piece))
                .collect();
            // The body's `{` (or the `;` of a fn without one), past the return type's brackets.
            let mut depth = 0;
            let Some(body) = code[close + 1..]
                .char_indices()
                .find(|&(_, c)| {
                    depth += i32::from(matches!(c, '(' | '[')) - i32::from(matches!(c, ')' | ']'));
                    depth == 0 && matches!(c, '{' | ';')
                })
                .map(|(i, _)| close + 1 + i)
            else {
                continue;
            };
            if code[body..].starts_with(';') {
                continue;
            }
            fns.push((name.to_string(), at, close_of(body), params));
        }
        // A closure kept in a const (`const LEN: fn(&Log) -> usize = |log| ..;`) is a fn of its
        // own: its parameters are those of the closure, its body ends at the `;`.
        for (k, &(at, word)) in words.iter().enumerate() {
            let Some(&(name_at, name)) = words.get(k + 1) else {
                continue;
            };
            if !["const", "static"].contains(&word) {
                continue;
            }
            let rest = &code[name_at + name.len()..];
            let mut depth = 0;
            let Some(eq) = rest.char_indices().find_map(|(i, c)| {
                depth +=
                    i32::from(matches!(c, '(' | '[' | '<')) - i32::from(matches!(c, ')' | ']'));
                if c == '>' && !rest[..i].ends_with('-') {
                    depth -= 1;
                }
                (depth == 0 && (c == '=' || c == ';')).then_some(i)
            }) else {
                continue;
            };
            let value = rest[eq + 1..].trim_start();
            let value = value.strip_prefix("move").unwrap_or(value).trim_start();
            if !rest[eq..].starts_with('=') || !value.starts_with('|') {
                continue;
            }
            let Some(bar) = value[1..].find('|') else {
                continue;
            };
            let params = pieces(&value[1..1 + bar])
                .iter()
                .map(|piece| param_name(piece))
                .collect();
            let mut depth = 0;
            let end = code[at..]
                .char_indices()
                .find(|&(_, c)| {
                    depth += i32::from(matches!(c, '(' | '[' | '{'))
                        - i32::from(matches!(c, ')' | ']' | '}'));
                    depth == 0 && c == ';'
                })
                .map_or(code.len(), |(i, _)| at + i);
            fns.push((name.to_string(), at, end, params));
        }
        // A `macro_rules!` macro is one too: its parameters are the metavariables of its first
        // rule's matcher, one per top-level piece that is only a metavariable (`($m:expr,
        // |$v:ident| $body:expr)` gives `m` and none), so that a lock in its body of the one it
        // is handed (`locked!(log, ..)` and `$m.lock()`) is a lock of the log.
        for (at, _) in code.match_indices("macro_rules!") {
            let rest = &code[at + "macro_rules!".len()..];
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| ident(*c))
                .collect();
            let Some(open) = rest.find(['{', '(', '[']) else {
                continue;
            };
            let open = at + "macro_rules!".len() + open;
            let close = close_of(open).min(code.len());
            let Some(matcher) = code[open + 1..close].find(['(', '[', '{']) else {
                continue;
            };
            let matcher = open + 1 + matcher;
            let params = pieces(&code[matcher + 1..close_of(matcher).min(code.len())])
                .iter()
                .map(|piece| {
                    piece
                        .trim()
                        .strip_prefix('$')
                        .and_then(|p| p.split_once(':'))
                        .map(|(n, _)| n.trim())
                        .filter(|n| !n.is_empty() && n.chars().all(ident))
                        .unwrap_or_default()
                        .to_string()
                })
                .collect();
            if !name.is_empty() {
                fns.push((name, at, close, params));
            }
        }
        // The innermost fn that holds `at`.
        let scope_of = |at: usize| {
            fns.iter()
                .enumerate()
                .filter(|(_, f)| f.1 <= at && at < f.2)
                .max_by_key(|(_, f)| f.1)
                .map(|(i, _)| i)
        };
        let mut logs: Vec<Vec<String>> = fns
            .iter()
            .map(|f| {
                if given.contains(&f.0.as_str()) {
                    f.3.iter()
                        .take(1)
                        .filter(|n| !n.is_empty())
                        .cloned()
                        .collect()
                } else if OPERATORS.iter().any(|(method, _)| *method == f.0)
                    && f.3.first().is_some_and(|p| p == "self")
                {
                    // An operator's method (`shl` for `<<`) is called with no `.shl(` written
                    // out, so the scan cannot follow the log into it: there `self` and its
                    // fields (`self.0`, `self.log`) count as the log.
                    let body = &code[f.1..f.2.min(code.len())];
                    let mut found = vec!["self".to_string()];
                    for (at, _) in body.match_indices("self.") {
                        let field: String =
                            body[at + 5..].chars().take_while(|c| ident(*c)).collect();
                        if !field.is_empty() && !found.contains(&format!("self.{field}")) {
                            found.push(format!("self.{field}"));
                        }
                    }
                    found
                } else {
                    Vec::new()
                }
            })
            .collect();
        // Closures kept under a name (`let push = |l: &Mutex<..>, line| ..;`): name, where,
        // parameters.
        let mut closures: Vec<(String, usize, Vec<String>)> = Vec::new();
        for (k, &(at, word)) in words.iter().enumerate() {
            if word != "let" {
                continue;
            }
            let rest = &code[at + 3..];
            let Some(eq) = rest.find('=') else { continue };
            let name = rest[..eq].trim().trim_start_matches("mut ").trim();
            let value = rest[eq + 1..].trim_start();
            let value = value.strip_prefix("move").unwrap_or(value).trim_start();
            if k + 1 >= words.len() || !name.chars().all(ident) || !value.starts_with('|') {
                continue;
            }
            let Some(end) = value[1..].find('|') else {
                continue;
            };
            let params = pieces(&value[1..1 + end])
                .iter()
                .map(|piece| param_name(piece))
                .collect();
            closures.push((name.to_string(), at, params));
        }
        // The fns that hand back the log they are given or hold (`fn the(s: &Mutex<..>) ->
        // &Mutex<..> { s }`, `fn log(&self) -> &Mutex<..> { &self.log }`): a call of one
        // (`the(log)`, `ctx.log()`) is the log too.
        let getters = std::cell::RefCell::new(Vec::<String>::new());
        let getters_of = |logs: &[Vec<String>]| -> Vec<String> {
            let mut found = Vec::new();
            for (f, (name, _, end, _)) in fns.iter().enumerate() {
                if !code[*end..].starts_with('}') {
                    continue;
                }
                let mut depth = 0;
                let Some(open) = code[..=*end].char_indices().rev().find_map(|(i, c)| {
                    depth += i32::from(matches!(c, '}' | ')' | ']'))
                        - i32::from(matches!(c, '{' | '(' | '['));
                    (depth == 0).then_some(i)
                }) else {
                    continue;
                };
                let body = code[open + 1..*end].trim();
                let body = body.strip_prefix("return ").unwrap_or(body);
                let mut body = body.trim().trim_end_matches(';').trim();
                loop {
                    let before = body;
                    body = body.trim_start_matches(['&', '*']).trim_start();
                    if let Some(rest) = body.strip_prefix("mut ") {
                        body = rest.trim_start();
                    }
                    if body == before {
                        break;
                    }
                }
                let path: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                if !path.is_empty()
                    && (logs[f].contains(&path)
                        || only_name(body).is_some_and(|n| logs[f].contains(&n)))
                    && !found.contains(name)
                {
                    found.push(name.clone());
                }
            }
            found
        };
        // Whether `expr` ends with a call of one of the `getters`.
        let getter_call = |expr: &str| -> bool {
            let Some(inner) = expr.trim().strip_suffix(')') else {
                return false;
            };
            let mut depth = 1;
            let Some(open) = inner.char_indices().rev().find_map(|(i, c)| {
                depth += i32::from(c == ')') - i32::from(c == '(');
                (depth == 0).then_some(i)
            }) else {
                return false;
            };
            let before = inner[..open].trim_end();
            let start = before.rfind(|c: char| !ident(c)).map_or(0, |p| p + 1);
            let name = &before[start..];
            !name.is_empty() && getters.borrow().iter().any(|g| g == name)
        };
        let is_log = |logs: &[Vec<String>], at: usize, expr: &str| {
            scope_of(at).is_some_and(|s| only_name(expr).is_some_and(|n| logs[s].contains(&n)))
                || getter_call(expr)
        };
        // The fields that hold the log in a struct `expr` names (`entry` with `entry.log`
        // known gives `log`).
        let log_fields = |logs: &[Vec<String>], at: usize, expr: &str| -> Vec<String> {
            let (Some(s), Some(holder)) = (scope_of(at), only_name(expr)) else {
                return Vec::new();
            };
            logs[s]
                .iter()
                .filter_map(|n| n.strip_prefix(&format!("{holder}.")))
                .map(str::to_string)
                .collect()
        };
        for _ in 0..4 {
            let found = getters_of(&logs);
            *getters.borrow_mut() = found;
            // Names bound to the log: `let lines = log;`.
            for &(at, word) in &words {
                if word != "let" {
                    continue;
                }
                let rest = &code[at + 3..];
                let end = rest.find([';', '{']).unwrap_or(rest.len());
                let Some((pattern, value)) = rest[..end].split_once('=') else {
                    continue;
                };
                if value.starts_with(['=', '>']) {
                    continue;
                }
                // A tuple or an array taken apart: `let (lines, l) = (log, line);`, `let [a, b]
                // = [&log, &log];`.
                let tuple = |text: &str| {
                    let text = text.trim();
                    text.strip_prefix('(')
                        .and_then(|t| t.strip_suffix(')'))
                        .or_else(|| text.strip_prefix('[').and_then(|t| t.strip_suffix(']')))
                        .map(pieces)
                };
                let pairs: Vec<(String, String)> = match (tuple(pattern), tuple(value)) {
                    (Some(names), Some(values)) if names.len() == values.len() => {
                        names.into_iter().zip(values).collect()
                    }
                    _ => vec![(pattern.to_string(), value.to_string())],
                };
                for (pattern, value) in pairs {
                    if !is_log(&logs, at, &value) {
                        continue;
                    }
                    let name = param_name(&pattern);
                    if let Some(s) = scope_of(at)
                        && !name.is_empty()
                        && !logs[s].contains(&name)
                    {
                        logs[s].push(name);
                    }
                }
            }
            // A `match` on the log (`match &log { shared => shared.lock().. }`): an arm whose
            // pattern is a plain name binds the log to it.
            for &(at, word) in &words {
                if word != "match" {
                    continue;
                }
                let rest = &code[at + 5..];
                let Some(open) = rest.find('{') else {
                    continue;
                };
                let Some(s) = scope_of(at) else {
                    continue;
                };
                if !is_log(&logs, at, &rest[..open]) {
                    continue;
                }
                let open = at + 5 + open;
                let block = &code[open + 1..close_of(open).min(code.len())];
                let (mut depth, mut from) = (0, 0);
                let mut bound = Vec::new();
                for (i, c) in block.char_indices() {
                    match c {
                        '(' | '[' | '{' => depth += 1,
                        ')' | ']' | '}' => {
                            depth -= 1;
                            if depth == 0 && c == '}' {
                                from = i + 1;
                            }
                        }
                        ',' if depth == 0 => from = i + 1,
                        '=' if depth == 0 && block[i..].starts_with("=>") => {
                            let pattern = block[from..i].split(" if ").next().unwrap_or_default();
                            let pattern = pattern.trim();
                            let pattern = pattern.strip_prefix("ref ").unwrap_or(pattern);
                            let name = param_name(pattern.split('@').next().unwrap_or_default());
                            if name.starts_with(|c: char| c.is_lowercase() || c == '_')
                                && name != "_"
                            {
                                bound.push(name);
                            }
                        }
                        _ => {}
                    }
                }
                for name in bound {
                    if !logs[s].contains(&name) {
                        logs[s].push(name);
                    }
                }
            }
            // A closure called where it is written (`(|m: &Mutex<..>| m.lock()..)(&log)`): a
            // parameter handed the log is the log.
            for (open, _) in code.match_indices('(') {
                let inner = code[open + 1..].trim_start();
                let inner = inner.strip_prefix("move").map_or(inner, str::trim_start);
                let Some(params) = inner.strip_prefix('|') else {
                    continue;
                };
                let Some(bar) = params.find('|') else {
                    continue;
                };
                let Some(args) = code
                    .get(close_of(open) + 1..)
                    .map(str::trim_start)
                    .and_then(|a| a.strip_prefix('('))
                else {
                    continue;
                };
                let args_open = code.len() - args.len() - 1;
                let arguments = pieces(&code[args_open + 1..close_of(args_open).min(code.len())]);
                let Some(s) = scope_of(open) else {
                    continue;
                };
                for (param, argument) in pieces(&params[..bar]).iter().zip(&arguments) {
                    let name = param_name(param);
                    if !name.is_empty() && is_log(&logs, open, argument) && !logs[s].contains(&name)
                    {
                        logs[s].push(name);
                    }
                }
            }
            // Fields of a struct made with the log in it: `let shared = Entry { log };`
            // (or `Entry { log: &log, .. }`) makes `entry.log` the log.
            for &(at, word) in &words {
                if word != "let" {
                    continue;
                }
                let rest = &code[at + 3..];
                let Some(eq) = rest.find('=') else { continue };
                let name = param_name(&rest[..eq]);
                let value = rest[eq + 1..].trim_start();
                let Some(open) = value.find('{') else {
                    continue;
                };
                let path = value[..open].trim();
                if name.is_empty()
                    || path.is_empty()
                    || value.starts_with(['=', '>'])
                    || !path.chars().all(|c| ident(c) || ":<>'& ,".contains(c))
                    || !path.starts_with(|c: char| c.is_alphabetic())
                    || ["if", "match", "loop", "while", "unsafe", "async", "move"]
                        .iter()
                        .any(|k| path.split(|c: char| !ident(c)).any(|w| w == *k))
                {
                    continue;
                }
                let open = at + 3 + eq + 1 + (rest[eq + 1..].len() - value.len()) + open;
                let close = close_of(open);
                let Some(s) = scope_of(at) else { continue };
                for piece in pieces(&code[open + 1..close.min(code.len())]) {
                    let (field, expr) = match piece.split_once(':') {
                        Some((field, expr)) if !expr.starts_with(':') => (field.trim(), expr),
                        _ => (piece.trim(), piece.as_str()),
                    };
                    let path = format!("{name}.{field}");
                    if !field.is_empty()
                        && field.chars().all(ident)
                        && is_log(&logs, at, expr)
                        && !logs[s].contains(&path)
                    {
                        logs[s].push(path);
                    }
                }
            }
            // Parameters the log is handed to at a call site: `name(.., log, ..)`.
            for &(at, word) in &words {
                let after = &code[at + word.len()..];
                // A method called on the log (`log.append(line)`): its `self` is the log.
                if after.trim_start().starts_with('(')
                    && let Some(before) = code[..at].trim_end().strip_suffix('.')
                {
                    let before = before.trim_end();
                    let start = before
                        .rfind(|c: char| !(ident(c) || c == ')' || c == '('))
                        .map_or(0, |p| p + 1);
                    if is_log(&logs, at, &before[start..]) {
                        for (f, (name, _, _, params)) in fns.iter().enumerate() {
                            if name == word
                                && params.first().is_some_and(|p| p == "self")
                                && !logs[f].iter().any(|n| n == "self")
                            {
                                logs[f].push("self".to_string());
                            }
                        }
                    }
                    // A method called on a struct that holds the log (`entry.note()`):
                    // `self.log` is the log there.
                    for field in log_fields(&logs, at, &before[start..]) {
                        for (f, (name, _, _, params)) in fns.iter().enumerate() {
                            let path = format!("self.{field}");
                            if name == word
                                && params.first().is_some_and(|p| p == "self")
                                && !logs[f].contains(&path)
                            {
                                logs[f].push(path);
                            }
                        }
                    }
                    continue;
                }
                // A macro's call: `name!(..)`.
                let after = match after.trim_start().strip_prefix('!') {
                    Some(args) if args.trim_start().starts_with('(') => args,
                    _ => after,
                };
                if !after.trim_start().starts_with('(') || code[..at].trim_end().ends_with("fn") {
                    continue;
                }
                let open = code.len() - after.len() + after.find('(').unwrap_or(0);
                let close = close_of(open);
                for (i, argument) in pieces(&code[open + 1..close.min(code.len())])
                    .iter()
                    .enumerate()
                {
                    // A struct that holds the log handed as `s`: `s.log` is the log there.
                    for field in log_fields(&logs, at, argument) {
                        for (f, (name, _, _, params)) in fns.iter().enumerate() {
                            if name == word
                                && let Some(param) = params.get(i).filter(|p| !p.is_empty())
                                && !logs[f].contains(&format!("{param}.{field}"))
                            {
                                logs[f].push(format!("{param}.{field}"));
                            }
                        }
                    }
                    if !is_log(&logs, at, argument) {
                        continue;
                    }
                    for (f, (name, _, _, params)) in fns.iter().enumerate() {
                        if name == word
                            && let Some(param) = params.get(i).filter(|p| !p.is_empty())
                            && !logs[f].contains(param)
                        {
                            logs[f].push(param.clone());
                        }
                    }
                    for (name, where_at, params) in &closures {
                        if name == word
                            && scope_of(*where_at) == scope_of(at)
                            && let Some(s) = scope_of(*where_at)
                            && let Some(param) = params.get(i).filter(|p| !p.is_empty())
                            && !logs[s].contains(param)
                        {
                            logs[s].push(param.clone());
                        }
                    }
                }
            }
        }
        let found = getters_of(&logs);
        *getters.borrow_mut() = found;
        // Each `.lock(`, `.try_lock(` or `.get_mut(` (or `Mutex::lock(..)`) not of the log.
        let mut renamed: Vec<usize> = Vec::new();
        for &(at, word) in &words {
            if !["lock", "try_lock", "blocking_lock", "lock_owned", "get_mut"].contains(&word)
                || !code[at + word.len()..].trim_start().starts_with('(')
            {
                continue;
            }
            let before = code[..at].trim_end();
            let receiver = if let Some(before) = before.strip_suffix('.') {
                // The receiver: the name the chain before the dot starts from.
                let before = before.trim_end();
                let mut depth = 0;
                let mut begin = before.len();
                for (i, c) in before.char_indices().rev() {
                    match c {
                        ')' | ']' => depth += 1,
                        '(' | '[' if depth > 0 => depth -= 1,
                        _ if depth > 0 => {}
                        c if ident(c) || matches!(c, '.' | ':' | '&' | '*') => {}
                        c if c.is_whitespace()
                            && (before[i..].trim_start().starts_with(['.', ':'])
                                || before[..i].trim_end().ends_with(['.', ':'])) => {}
                        _ => break,
                    }
                    begin = i;
                }
                let chain = &before[begin..];
                let mut name = chain
                    .trim_start_matches(['&', '*', '('])
                    .split(|c: char| !ident(c))
                    .next()
                    .unwrap_or_default()
                    .to_string();
                // A wrapper (`Arc::clone(&log).lock()`) stands for what it wraps.
                if getter_call(chain) {
                    continue;
                }
                if let Some(inner) = only_name(chain) {
                    name = inner;
                }
                // A field that holds the log (`entry.log.lock()`) stands for the log.
                let mut parts = chain.trim_start_matches(['&', '*', '(']).split('.');
                if let (Some(holder), Some(field)) = (parts.next(), parts.next()) {
                    let path = format!("{}.{}", holder.trim(), field.trim());
                    if scope_of(at).is_some_and(|s| logs[s].contains(&path)) {
                        name = path;
                    }
                }
                name
            } else if before.ends_with("::") {
                // `Mutex::lock(&log)`: the receiver is the first argument.
                let open = at + word.len() + code[at + word.len()..].find('(').unwrap_or(0);
                let close = close_of(open);
                let first = pieces(&code[open + 1..close.min(code.len())])
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                if getter_call(&first) {
                    continue;
                }
                only_name(&first).unwrap_or_default()
            } else {
                continue;
            };
            if !scope_of(at).is_some_and(|s| logs[s].contains(&receiver)) {
                renamed.push(at);
            }
        }
        renamed.sort_unstable();
        renamed.dedup();
        let mut out = String::with_capacity(code.len() + 8 * renamed.len());
        let mut last = 0;
        for at in renamed {
            // The whole word replaced, so that no lock word is left in it
            // (`.other_try_lock(` would still count as a `try_lock(`).
            let word_end = at
                + code[at..]
                    .find(|c: char| !ident(c))
                    .unwrap_or(code.len() - at);
            out.push_str(&code[last..at]);
            out.push_str("other_");
            out.push_str(&code[at..word_end].replace("lock", "lk"));
            last = word_end;
        }
        out.push_str(&code[last..]);
        out
    }

    /// The locks `name` takes before its flush, its last call of `call` or of a function
    /// (or closure) that calls it, counting those of every function, macro or closure of the
    /// file it calls there (and that they call before their own flush, and so on; `call`
    /// aside), once per call, but not those in a print. Without `fn name`: the locks of the
    /// whole file but `main`.
    fn locks_before(source: &str, name: &str, call: &str) -> usize {
        // A lock of a mutex of the code's own (a counter in a `static`, a new `Mutex`) or of
        // stdout is no second lock of the log: it leaves no gap for another save.
        // `main`'s body left out first: its own `let log = ...Mutex::new(..)` is the log.
        let mut code = code_only(source);
        if let Some((_, _, body, _)) = functions(&code).into_iter().find(|(f, ..)| f == "main") {
            code.replace_range(body, "{}");
        }
        let code = without_other_locks(&code, &["save_line"]);
        let fns = functions(&code);
        match fns.iter().find(|(f, ..)| f == name) {
            Some((_, _, body, _)) => {
                // The functions that flush: `call`, and those that call one of them.
                let mut flushes = vec![call.to_string()];
                while let Some((f, ..)) = fns.iter().find(|(f, _, body, _)| {
                    f != name
                        && !flushes.contains(f)
                        && flush_end(&code[body.clone()], &flushes).is_some()
                }) {
                    flushes.push(f.clone());
                }
                let upto = |text: &str, flushes: &[String]| {
                    text[..flush_end(text, flushes).unwrap_or(text.len())].to_string()
                };
                // Nested items and named closures taken out first: their flush is not this one.
                let (body, closures) = without_closures(&without_items(&code[body.clone()]));
                let mut own = flushes.clone();
                own.extend(
                    closures
                        .iter()
                        .filter(|(_, body)| flush_end(body, &flushes).is_some())
                        .map(|(n, _)| n.clone()),
                );
                let mut text: String = closures
                    .iter()
                    .map(|(n, body)| format!("let {n} ={body}"))
                    .collect();
                text.push_str(&upto(&body, &own));
                let helpers: Vec<(String, String, bool)> = fns
                    .iter()
                    .map(|(f, _, body, method)| (f.clone(), body.clone(), *method))
                    .chain(
                        macros(&code)
                            .into_iter()
                            .chain(constants(&code))
                            .map(|(f, _, body)| (f, body, false)),
                    )
                    .map(|(f, body, method)| (f, upto(&code[body], &flushes), method))
                    .collect();
                let mut skip = vec![name.to_string(), call.to_string(), "main".to_string()];
                locks_taken(&text, &helpers, &mut skip)
            }
            None => {
                let mut code = code.clone();
                if let Some((_, _, body, _)) = fns.iter().find(|(f, ..)| f == "main") {
                    code.replace_range(body.clone(), "{}");
                }
                locks_written(&code)
            }
        }
    }

    /// Two locks in one save before its flush (push, then read the length; or a copy written
    /// back) leave a gap in which a save on another thread can push. A test on one thread never
    /// sees that gap, so this one counts the locks in the source: those `save_line` takes before
    /// its flush, in its own code and in the helpers (functions, macros, closures) it calls,
    /// once per call (not the locks only printed, nor those in a demo that only `main` or
    /// `start_saves` takes).
    #[test]
    fn the_log_is_locked_once_per_save() {
        let locks = locks_before(
            include_str!("std_guard_not_send.rs"),
            "save_line",
            "flush_to_disk",
        );
        assert!(
            locks <= 1,
            "save_line locks the log {locks} times before its flush (its last call of \
             flush_to_disk or of a function or closure that calls it; counting the locks of the \
             functions, macros, closures and consts it calls, once per call, of the method an \
             operator calls (`Appender(&log) << line` calls `shl`) at each use, a lock in a loop \
             that runs more than once (a `for` over `0..2`, a `loop` whose `break` is only on a \
             branch taken after the lock), a closure that `repeat_with` or `from_fn` calls and a `Mutex::lock` \
             handed on as a function (`.map(Mutex::lock)`) as two, on the way through its `if`/`else` and \
             `match` arms that locks most, as only one arm runs, a \
             `try_lock` only on the arms where it took the lock; a lock only printed is not counted, nor one of a mutex of its own, a `static` or a new `Mutex`): between two locks, a save running on \
             another thread can push its line, so the length read after the second lock is not \
             the one right after this push (and a copy of the log written back would erase that \
             other line). Lock once: push and read the length with the same guard, inside a \
             `{{ ... }}` block that ends before the flush (for a poisoned lock, take the guard \
             out of the error with `PoisonError::into_inner` instead of locking again)"
        );
    }

    /// A task that save_line starts and leaves running once it has returned (a progress line on a
    /// timer that nothing stops) piles up, one more with every call. An hour (of the test's paused
    /// clock) after three saves (awaited), none of the tasks started since may still be alive.
    #[tokio::test(start_paused = true)]
    async fn saves_leave_no_task_running() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        let log = std::sync::Arc::new(TestLog::with_lines(&[]));
        for handle in start_saves(&log, &["boot", "login", "logout"]) {
            handle.await.expect("a save panicked");
        }
        tokio::time::advance(std::time::Duration::from_secs(3600)).await;
        // Every task that the hour's timers woke runs now.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let left = metrics.num_alive_tasks().saturating_sub(before);
        assert_eq!(
            left, 0,
            "three saves (awaited) (save_line) had ended, and an hour later (of the test's paused \
             clock) {left} task(s) started since were still running: a task that save_line starts \
             (a progress line on a timer, say) must be over by the time it returns (abort its \
             JoinHandle: dropping it lets the task run on), or it stays alive for good, and one \
             more piles up with every call"
        );
    }
}
