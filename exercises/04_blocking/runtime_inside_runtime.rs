// runtime_inside_runtime
//
// `load_settings` was written for an old command-line tool whose `main` was not async: it builds
// its own Tokio runtime and blocks on it. Now `start_app`, which already runs inside a runtime,
// calls it, and Tokio panics: "Cannot start a runtime from within a runtime". Blocking on a
// runtime would freeze the thread that the outer runtime needs to run its tasks.
//
// Make `load_settings` async and await the settings on the runtime you are already in.

use std::time::Duration;

/// The settings service takes 50 ms to answer.
async fn fetch_settings() -> String {
    tokio::time::sleep(Duration::from_millis(50)).await;
    "theme=dark".to_string()
}

// TODO: there is no need for a second runtime once this function is async.
fn load_settings() -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("could not build a runtime");
    runtime.block_on(fetch_settings())
}

async fn start_app() -> String {
    // TODO: update this call once `load_settings` is async.
    let settings = load_settings();
    format!("app started with {settings}")
}

#[tokio::main]
async fn main() {
    println!("{}", start_app().await);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Wake, Waker};
    use std::time::Duration;
    use tokio::time::Instant;

    /// Awaits `future` on the test's paused clock, where start_app is over at once in real
    /// time, and stops the test with a message if it has not ended after 1 s of real time.
    async fn in_real_time<T>(future: impl std::future::Future<Output = T>) -> T {
        let (stuck_tx, stuck) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(1));
            let _ = stuck_tx.send(());
        });
        tokio::select! {
            output = future => output,
            _ = stuck => panic!(
                "start_app had not returned after 1 s of real time, and this test's paused clock \
                 stood still: the fetch waited where Tokio's paused clock cannot move on (a \
                 spawn_blocking task, or a thread with block_on, holds it still while it runs). \
                 Make load_settings async and await fetch_settings() in it"
            ),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn app_starts_with_the_settings() {
        assert_eq!(
            in_real_time(start_app()).await,
            "app started with theme=dark",
            "start_app should report the settings it loaded"
        );
    }

    /// Each call fetches the settings: start_app runs twice, so settings kept from an
    /// earlier call (in a `static`) show whichever test ran first.
    #[tokio::test(start_paused = true)]
    async fn settings_are_fetched_on_this_runtime() {
        for call in 1..=2 {
            let start = Instant::now();
            let started = in_real_time(start_app()).await;
            let elapsed = start.elapsed().as_millis();
            assert!(
                elapsed > 0,
                "call {call} of start_app returned {started:?} at once (0 ms on this runtime's \
                 clock), though fetch_settings takes 50 ms: the settings were not fetched on \
                 this runtime on this call (they came from a second runtime or another thread, \
                 whose time this clock does not count, or were kept from an earlier call, or \
                 written by hand). Await fetch_settings() in load_settings on every call"
            );
            assert!(
                elapsed >= 50,
                "call {call} of start_app returned {started:?} after {elapsed} ms of this \
                 runtime's clock, before the 50 ms that fetch_settings takes: it did not wait \
                 on this runtime for fetch_settings() to answer{}. Await fetch_settings() in \
                 load_settings until it answers, on every call (a safety-net timeout, if you \
                 want one, must be far longer than the fetch)",
                if started == "app started with theme=dark" {
                    ""
                } else {
                    ", and these are not the settings it answers"
                }
            );
        }
    }

    /// Wakes the task, and notes a wake-up that comes from a thread other than the runtime's.
    struct NoteThread {
        runtime_thread: std::thread::ThreadId,
        woken_elsewhere: Arc<AtomicBool>,
        task: Waker,
    }

    impl Wake for NoteThread {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            if std::thread::current().id() != self.runtime_thread {
                self.woken_elsewhere.store(true, Ordering::SeqCst);
            }
            self.task.wake_by_ref();
        }
    }

    /// On this single-threaded runtime, a fetch that it drives wakes start_app from its own
    /// thread (its timer). A wake-up from another thread means the settings came from there.
    /// A fetch on another thread that ends before start_app waits for it wakes no one, so
    /// start_app runs 20 times: such a thread cannot win every race.
    #[tokio::test(start_paused = true)]
    async fn start_app_is_woken_by_this_runtime_only() {
        let woken_elsewhere = Arc::new(AtomicBool::new(false));
        in_real_time(async {
            for _ in 0..20 {
                let mut app = std::pin::pin!(start_app());
                let started = std::future::poll_fn(|cx| {
                    let waker = Waker::from(Arc::new(NoteThread {
                        runtime_thread: std::thread::current().id(),
                        woken_elsewhere: Arc::clone(&woken_elsewhere),
                        task: cx.waker().clone(),
                    }));
                    app.as_mut().poll(&mut Context::from_waker(&waker))
                })
                .await;
                assert_eq!(
                    started, "app started with theme=dark",
                    "start_app should report the settings it loaded"
                );
            }
        })
        .await;
        assert!(
            !woken_elsewhere.load(Ordering::SeqCst),
            "start_app was woken from another thread: it awaited work that ran there (in \
             spawn_blocking or on a thread of its own), such as a second runtime fetching the \
             settings. Here start_app may await only this runtime: make load_settings async, \
             await fetch_settings() in it, and leave spawn_blocking and threads out of \
             start_app, even for work beside the fetch"
        );
    }

    /// An awaited fetch wakes start_app once, when the settings are there: it is polled at
    /// 0 ms and at 50 ms. Code that checks on a short timer whether the settings have come (a
    /// `try_recv` after every 1 ms sleep) is polled at every turn. Moments of this runtime's
    /// clock are counted, not polls, so a `yield_now` here and there is free, and a progress
    /// message every 20 ms or more is let through (2 + 50 / 20 = 4 moments at most).
    #[tokio::test(start_paused = true)]
    async fn start_app_waits_without_checking_on_a_timer() {
        let start = Instant::now();
        let mut moments: Vec<u128> = Vec::new();
        let mut app = std::pin::pin!(start_app());
        let started = in_real_time(std::future::poll_fn(|cx| {
            let now = start.elapsed().as_millis();
            if moments.last() != Some(&now) {
                moments.push(now);
            }
            app.as_mut().poll(cx)
        }))
        .await;
        assert_eq!(
            started, "app started with theme=dark",
            "start_app should report the settings it loaded"
        );
        let allowed = 2 + start.elapsed().as_millis() / 20;
        assert!(
            moments.len() as u128 <= allowed,
            "start_app was woken at {} different moments of this runtime's clock while it \
             waited for the settings (at {:?}{} ms; {allowed} at most are allowed, as a \
             progress message every 20 ms or more makes): it checks on a short timer whether \
             the settings have come (try_recv on a channel after each short sleep?), which is \
             busy waiting. Await the settings instead: make load_settings async and await it \
             (or await a spawned task's handle, or a tokio oneshot receiver), so that start_app \
             is woken once, when they are there",
            moments.len(),
            &moments[..moments.len().min(12)],
            if moments.len() > 12 { " ..." } else { "" }
        );
    }

    /// A runtime on the real clock whose only blocking thread this test keeps busy until
    /// start_app is done (6 s at most): a fetch handed to spawn_blocking cannot start.
    #[test]
    fn start_app_needs_no_blocking_thread() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let (busy_tx, busy_rx) = std::sync::mpsc::channel::<()>();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let started = runtime.block_on(async {
            let blocker = tokio::task::spawn_blocking(move || {
                let _ = busy_tx.send(());
                let _ = done_rx.recv_timeout(Duration::from_secs(6));
            });
            busy_rx
                .recv_timeout(Duration::from_secs(6))
                .expect("the test's blocking task did not start");
            let started = tokio::time::timeout(Duration::from_secs(5), start_app()).await;
            let _ = done_tx.send(());
            blocker.await.expect("the test's blocking task failed");
            started
        });
        let started = started.expect(
            "start_app did not finish within 5 s (the settings take 50 ms) while the runtime's \
             only blocking thread was busy: it waits for a spawn_blocking task (a second \
             runtime fetching the settings there, or other work beside the fetch), which \
             cannot start. Make load_settings async, await fetch_settings() on the runtime \
             start_app runs on, and leave spawn_blocking out of start_app",
        );
        assert_eq!(
            started, "app started with theme=dark",
            "start_app should report the settings it loaded"
        );
    }

    /// How long `start_app` held the thread of `runtime` (the real clock) at most: the call
    /// `start_app()` itself, or one poll of the future it gives. Gives that time, whether it
    /// was the call, and what start_app returned (None if it had not after 5 s).
    fn longest_hold(runtime: &tokio::runtime::Runtime) -> (Duration, bool, Option<String>) {
        runtime.block_on(async {
            let called = std::time::Instant::now();
            let app = start_app();
            let call = called.elapsed();
            let mut longest = Duration::ZERO;
            let mut app = std::pin::pin!(app);
            let started = tokio::time::timeout(
                Duration::from_secs(5),
                std::future::poll_fn(|cx| {
                    let polled = std::time::Instant::now();
                    let poll = app.as_mut().poll(cx);
                    longest = longest.max(polled.elapsed());
                    poll
                }),
            )
            .await
            .ok();
            (call.max(longest), call > longest, started)
        })
    }

    /// On a runtime with the real clock, start_app must hand the thread back while it waits
    /// for the settings: an awaited fetch is polled in microseconds, while joining a thread
    /// (or a second runtime's `block_on`) holds it for the whole 50 ms fetch. Up to 3 calls:
    /// one in which no call or poll takes 25 ms is enough (a busy machine may stall one).
    #[test]
    fn start_app_never_holds_the_runtimes_thread() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let mut holds = Vec::new();
        for _ in 0..3 {
            let (held, in_the_call, started) = longest_hold(&runtime);
            if held < Duration::from_millis(25) {
                return;
            }
            if let Some(started) = started {
                assert_eq!(
                    started, "app started with theme=dark",
                    "start_app should report the settings it loaded"
                );
            }
            holds.push((held.as_millis(), in_the_call));
        }
        let (held, in_the_call) = holds[0];
        panic!(
            "on a runtime with the real clock, {} held the runtime's only thread for {held} ms \
             at once (in each of 3 calls: {:?} ms), though the settings take 50 ms to come: \
             start_app blocks the thread while it waits (it joins a thread, blocks on a second \
             runtime, or sleeps with std::thread::sleep), and no other task of the runtime can \
             run meanwhile. Make load_settings async and await fetch_settings() in it, so that \
             start_app hands the thread back while it waits",
            if in_the_call {
                "the call start_app() itself (before its future was polled)"
            } else {
                "one poll of start_app()"
            },
            holds.iter().map(|(held, _)| *held).collect::<Vec<_>>()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn settings_arrive_at_50_ms_of_this_runtimes_clock() {
        let app = start_app();
        tokio::pin!(app);
        // This runtime's clock is paused: it jumps to 51 ms as soon as everything waits.
        let by_51_ms = in_real_time(async {
            tokio::select! {
                biased;
                started = &mut app => Some(started),
                () = tokio::time::sleep(Duration::from_millis(51)) => None,
            }
        })
        .await;
        let Some(started) = by_51_ms else {
            panic!(
                "51 ms into start_app on this runtime's clock it still had no settings, though \
                 fetch_settings takes 50 ms: the fetch ran where this runtime's clock does not \
                 drive it (a second runtime, another thread) and waited in real time, whatever \
                 was awaited beside it. Await fetch_settings() on this runtime"
            );
        };
        assert_eq!(
            started, "app started with theme=dark",
            "start_app should report the settings it loaded"
        );
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

    /// `code` without its comments: `// ...` to the end of the line, and `/* ... */` (which
    /// may nest). String literals are kept, `//` or `/*` inside them too.
    fn without_comments(code: &str) -> String {
        // A `"` inside a raw string (`r#"a "b" c"#`) does not end it.
        let code = &raw_strings_plain(code);
        let mut out = String::new();
        let mut chars = code.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '/' if chars.peek() == Some(&'/') => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            out.push(c);
                            break;
                        }
                    }
                }
                '/' if chars.peek() == Some(&'*') => {
                    chars.next();
                    let mut depth = 1;
                    while depth > 0 {
                        let (c, next) = (chars.next(), chars.peek().copied());
                        match (c, next) {
                            (None, _) => break,
                            (Some('/'), Some('*')) => {
                                chars.next();
                                depth += 1;
                            }
                            (Some('*'), Some('/')) => {
                                chars.next();
                                depth -= 1;
                            }
                            (Some('\n'), _) => out.push('\n'),
                            _ => {}
                        }
                    }
                    out.push(' ');
                }
                // A char literal: '"' or an escaped one ('\"', '\\').
                '\'' if matches!(chars.peek(), Some('"' | '\\')) => {
                    out.push(c);
                    if let Some(c) = chars.next() {
                        out.push(c);
                        if c == '\\' {
                            out.extend(chars.next());
                        }
                    }
                }
                '"' => {
                    out.push(c);
                    while let Some(c) = chars.next() {
                        out.push(c);
                        if c == '\\' {
                            out.extend(chars.next());
                        } else if c == '"' {
                            break;
                        }
                    }
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// `code` (comments gone) without the learner's own tests, which nothing else names and
    /// which hold no `impl` or macro: a `mod` under a `#[cfg(..)]` that needs `test`
    /// (`cfg(test)`, `cfg(all(test, unix))`), or a fn with a test attribute (`#[test]`,
    /// `#[tokio::test(..)]`). A test of the learner's may pause its clock or write the
    /// settings it expects. Other attributes and a `pub` may stand among them.
    fn without_own_test_module(code: &str) -> String {
        // Tokens as (start, end): words, string and char literals, single punctuation.
        let bytes = code.as_bytes();
        let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            let start = i;
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            } else if is_word(c) {
                while i < bytes.len() && is_word(bytes[i]) {
                    i += 1;
                }
            } else if c == b'"' {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
            } else if c == b'\'' && matches!(bytes.get(i + 1), Some(b'"' | b'\\')) {
                i += if bytes[i + 1] == b'\\' { 3 } else { 2 };
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += 1;
                }
                i = (i + 1).min(bytes.len());
            } else {
                i += 1;
            }
            spans.push((start, i));
        }
        let tokens: Vec<&str> = spans.iter().map(|&(a, b)| &code[a..b]).collect();
        let closing = |open: usize| {
            let (opening, closing) = match tokens[open] {
                "[" => ("[", "]"),
                "(" => ("(", ")"),
                _ => ("{", "}"),
            };
            let mut depth = 0;
            (open..tokens.len())
                .find(|&i| {
                    depth += i32::from(tokens[i] == opening) - i32::from(tokens[i] == closing);
                    depth == 0
                })
                .unwrap_or(tokens.len() - 1)
        };
        // An own test item starting at `at` (its first attribute): where it ends.
        let own_test = |at: usize| -> Option<usize> {
            let (mut i, mut test_cfg, mut test_fn) = (at, false, false);
            while tokens.get(i) == Some(&"#") && tokens.get(i + 1) == Some(&"[") {
                let close = closing(i + 1);
                let inside = &tokens[i + 2..close];
                // `test` named, and not under a `not(..)`.
                let negated = |t: usize| {
                    (i + 2..t)
                        .any(|k| tokens[k] == "not" && tokens[k + 1] == "(" && closing(k + 1) > t)
                };
                test_cfg |= inside.first() == Some(&"cfg")
                    && (i + 2..close).any(|t| tokens[t] == "test" && !negated(t));
                test_fn |= inside.first() == Some(&"test")
                    || inside.starts_with(&["tokio", ":", ":", "test"]);
                i = close + 1;
            }
            while matches!(tokens.get(i), Some(&("pub" | "async" | "unsafe"))) {
                i += 1;
                if tokens.get(i) == Some(&"(") {
                    i = closing(i) + 1;
                }
            }
            let kind = *tokens.get(i)?;
            let name = *tokens.get(i + 1)?;
            if !(kind == "mod" && test_cfg || kind == "fn" && test_fn) {
                return None;
            }
            let open = (i..tokens.len()).find(|&k| tokens[k] == "{" || tokens[k] == ";")?;
            let close = closing(open);
            let named_elsewhere =
                (tokens[..at].iter().chain(&tokens[close + 1..])).any(|t| *t == name);
            let inside = &tokens[open..=close];
            let plain = !inside.iter().any(|t| *t == "impl" || *t == "macro_rules");
            (tokens[open] == "{" && !named_elsewhere && plain).then_some(close)
        };
        let (mut out, mut kept_from, mut at) = (String::new(), 0, 0);
        while at < tokens.len() {
            let item_start = at == 0 || matches!(tokens[at - 1], "}" | ";" | "]");
            match own_test(at).filter(|_| item_start && tokens[at] == "#") {
                Some(close) => {
                    out.push_str(&code[kept_from..spans[at].0]);
                    kept_from = spans[close].1;
                    at = close + 1;
                }
                None => at += 1,
            }
        }
        out + &code[kept_from..]
    }

    /// The code above the tests without comments, without `fn main` (a demo there is free,
    /// unless it holds an `impl`, which the code outside main can use) and without a test
    /// module of the learner's own (see `without_own_test_module`).
    fn code_outside_main(source: &str) -> String {
        let code = without_own_test_module(&without_comments(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        ));
        // `fn main(`, also written `fn main (`.
        let Some(at) = code.match_indices("main").map(|(at, _)| at).find(|&at| {
            code[..at].ends_with(char::is_whitespace)
                && code[..at].trim_end().ends_with("fn")
                && code[at + 4..].trim_start().starts_with('(')
        }) else {
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
                    // An `impl` in main is seen outside it too: such a main stays.
                    if depth == 0 && count_word(&code[at..at + open + i], "impl") == 0 {
                        return format!("{}{}", &code[..at], &code[at + open + i + 1..]);
                    } else if depth == 0 {
                        return code;
                    }
                }
                _ => {}
            }
        }
        code
    }

    /// `code` without the arguments of the macros that only print, check or panic
    /// (`println!`, `assert!`, `panic!`, ...), of `write!`/`writeln!` to `stdout()` or
    /// `stderr()`, and of `.expect(..)`: their text is a message, never a value the code hands
    /// back, so a progress line may say what it likes.
    fn without_messages(code: &str) -> String {
        const MESSAGES: [&str; 17] = [
            "write!(",
            "writeln!(",
            "print!(",
            "println!(",
            "eprint!(",
            "eprintln!(",
            "panic!(",
            "assert!(",
            "assert_eq!(",
            "assert_ne!(",
            "debug_assert!(",
            "debug_assert_eq!(",
            "debug_assert_ne!(",
            "unreachable!(",
            "todo!(",
            "unimplemented!(",
            ".expect(",
        ];
        let starts_word =
            |at: usize| !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let mut kept = String::new();
        let mut from = 0;
        let mut at = 0;
        while at < code.len() {
            let Some(message) = MESSAGES
                .iter()
                .find(|m| code[at..].starts_with(**m) && (m.starts_with('.') || starts_word(at)))
            else {
                at += code[at..].chars().next().map_or(1, char::len_utf8);
                continue;
            };
            let open = at + message.len();
            if message.starts_with("write") {
                let target = code[open..].split(',').next().unwrap_or_default();
                if !(target.contains("stdout()") || target.contains("stderr()")) {
                    at = open;
                    continue;
                }
            }
            kept.push_str(&code[from..open]);
            // Skip to the `)` that closes the call, minding string literals.
            let (mut depth, mut in_text, mut escaped) = (1, false, false);
            let mut end = code.len();
            for (i, c) in code[open..].char_indices() {
                match (in_text, escaped, c) {
                    (true, true, _) => escaped = false,
                    (true, false, '\\') => escaped = true,
                    (_, false, '"') => in_text = !in_text,
                    (false, _, '(' | '[' | '{') => depth += 1,
                    (false, _, ')' | ']' | '}') => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            from = end;
            at = end;
        }
        kept.push_str(&code[from..]);
        kept
    }

    /// `code` with every string literal that is only compared emptied: one beside `==` or
    /// `!=`, the whole argument of `.contains(..)`, `.starts_with(..)` or `.ends_with(..)`, or
    /// one used as a pattern (a `match` arm `"theme=dark" =>`, `"a" | "b"`, an `if let`, the
    /// pattern of `matches!(..)`). Such a check gives back a `bool` or picks a branch, never
    /// the text (unless the code defines it).
    fn without_comparisons(code: &str) -> String {
        // Unless the code makes such a check of its own, which could keep the text.
        let words: Vec<&str> = code
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        let own_check = ["contains", "starts_with", "ends_with", "eq", "ne"];
        if words
            .windows(2)
            .any(|w| w[0] == "fn" && own_check.contains(&w[1]))
        {
            return code.to_string();
        }
        let patterns = matches_patterns(code);
        let mut out = String::new();
        let mut chars = code.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            match c {
                // A char literal: '"' or an escaped one ('\"', '\\').
                '\'' if matches!(chars.peek(), Some((_, '"' | '\\'))) => {
                    out.push(c);
                    if let Some((_, c)) = chars.next() {
                        out.push(c);
                        if c == '\\' {
                            out.extend(chars.next().map(|(_, c)| c));
                        }
                    }
                }
                '"' => {
                    let mut end = code.len();
                    while let Some((i, c)) = chars.next() {
                        if c == '\\' {
                            chars.next();
                        } else if c == '"' {
                            end = i + 1;
                            break;
                        }
                    }
                    let (before, after) = (code[..start].trim_end(), code[end..].trim_start());
                    let compared = before.ends_with("==")
                        || before.ends_with("!=")
                        || after.starts_with("==")
                        || after.starts_with("!=")
                        || ([".contains(", ".starts_with(", ".ends_with("]
                            .iter()
                            .any(|call| before.ends_with(call))
                            && after.starts_with(')'));
                    // A pattern: an arm (`"a" =>`, `Some("a") =>`, `"a" if ..`), an alternative
                    // (`"a" | "b"`), `if let "a" = ..`, or inside the pattern of `matches!`.
                    let next = after
                        .trim_start_matches(|c: char| c == ')' || c == ']' || c.is_whitespace());
                    let is_word = |c: char| c.is_alphanumeric() || c == '_';
                    let opened = before
                        .trim_end_matches(|c: char| c == '(' || c == '&' || c.is_whitespace());
                    let pattern = next.starts_with("=>")
                        || (next.starts_with('|') && !next.starts_with("||"))
                        || (next.starts_with("if") && !next[2..].starts_with(is_word))
                        || (before.ends_with('|')
                            && !before.ends_with("||")
                            && before[..before.len() - 1].trim_end().ends_with('"'))
                        || (opened.ends_with("let")
                            && !opened[..opened.len() - 3].ends_with(is_word))
                        || patterns.iter().any(|range| range.contains(&start));
                    out.push_str(if compared || pattern {
                        "\"\""
                    } else {
                        &code[start..end]
                    });
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// Where the patterns of the `matches!(value, pattern)` calls in `code` are: from the
    /// first comma at the call's own depth to the `)` that closes it, minding string literals.
    fn matches_patterns(code: &str) -> Vec<std::ops::Range<usize>> {
        let mut ranges = Vec::new();
        for (at, _) in code.match_indices("matches!") {
            if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let Some(open) = code[at + 8..]
                .find(|c: char| !c.is_whitespace())
                .map(|i| at + 8 + i)
                .filter(|&i| code[i..].starts_with('('))
            else {
                continue;
            };
            let (mut depth, mut in_text, mut escaped) = (0, false, false);
            let mut comma = None;
            for (i, c) in code[open..].char_indices() {
                match (in_text, escaped, c) {
                    (true, true, _) => escaped = false,
                    (true, false, '\\') => escaped = true,
                    (_, false, '"') => in_text = !in_text,
                    (false, _, '(' | '[' | '{') => depth += 1,
                    (false, _, ',') if depth == 1 && comma.is_none() => comma = Some(open + i),
                    (false, _, ')' | ']' | '}') => {
                        depth -= 1;
                        if depth == 0 {
                            if let Some(comma) = comma {
                                ranges.push(comma..open + i);
                            }
                            break;
                        }
                    }
                    _ => {}
                }
            }
        }
        ranges
    }

    /// How many times the code writes `word` as a whole word.
    fn count_word(code: &str, word: &str) -> usize {
        code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| *w == word)
            .count()
    }

    /// `code` with every string literal emptied: a message or a log line may say what it likes.
    fn without_strings(code: &str) -> String {
        // A `"` inside a raw string (`r#"a "b" c"#`) does not end it.
        let code = &raw_strings_plain(code);
        let mut out = String::new();
        let mut chars = code.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            if c == '\'' && matches!(chars.peek(), Some('"' | '\\')) {
                // A char literal: '"' or an escaped one ('\"', '\\').
                if chars.next() == Some('\\') {
                    chars.next();
                }
                out.push_str("_'");
                chars.next();
            } else if c == '"' {
                while let Some(c) = chars.next() {
                    if c == '\\' {
                        chars.next();
                    } else if c == '"' {
                        out.push(c);
                        break;
                    }
                }
            }
        }
        out
    }

    /// A second runtime whose clock is paused (`start_paused`, `tokio::time::pause()`, then
    /// `advance`) fetches the settings at once in real time, on a thread joined within one
    /// poll, and a 50 ms sleep beside it makes the timing look right: from outside it looks
    /// the same, so this test reads the source. Code that awaits fetch_settings() on the
    /// runtime it is in has no use for these test tools (a fn, closure, variable or parameter
    /// of its own named `pause` or `advance` is left alone, also reached through a type or
    /// module of its own, `Progress::advance(..)`, or imported from a module of its own, `use
    /// startup::advance;`, and so are strings, messages and `main`).
    #[test]
    fn no_second_runtime_with_a_paused_clock() {
        let code = without_strings(&without_messages(&code_outside_main(include_str!(
            "runtime_inside_runtime.rs"
        ))));
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let words: Vec<&str> = code
            .split(|c: char| !is_word(c))
            .filter(|w| !w.is_empty())
            .collect();
        let mut tools: Vec<&str> = Vec::new();
        if count_word(&code, "start_paused") > 0 {
            tools.push("start_paused");
        }
        // The types and modules of the code's own.
        let own_types: Vec<&str> = (words.windows(2))
            .filter(|w| matches!(w[0], "struct" | "enum" | "union" | "trait" | "type" | "mod"))
            .map(|w| w[1])
            .collect();
        // `use tokio::time::{pause, advance as go};` and the like: each `use` up to its `;`,
        // but not one of the code's own items, whose path starts at `crate`, `self`, `super`
        // or a module the code declares (`mod startup` and `use startup::advance;`). A
        // re-export of Tokio's tool in such a module is a `use` of its own, and counts.
        let own_modules: Vec<&str> = (words.windows(2))
            .filter(|w| w[0] == "mod" && w[1] != "tokio")
            .map(|w| w[1])
            .collect();
        let imports: Vec<&str> = (code.match_indices("use"))
            .filter(|&(at, _)| {
                !code[..at].ends_with(is_word) && !code[at + 3..].starts_with(is_word)
            })
            .map(|(at, _)| {
                let tree = &code[at + 3..];
                &tree[..tree.find(';').unwrap_or(tree.len())]
            })
            .filter(|tree| {
                let first = tree.trim_start();
                let first = &first[..first.find(|c: char| !is_word(c)).unwrap_or(first.len())];
                !(matches!(first, "crate" | "self" | "super") || own_modules.contains(&first))
            })
            .collect();
        for tool in ["pause", "advance"] {
            // A name the code binds itself: `fn advance`, `let pause`, a parameter
            // (`pause: impl Fn(&str)`, `|pause|`) or a field, also called as `pause(..)`.
            let own = words
                .windows(2)
                .any(|w| matches!(w[0], "fn" | "let" | "mut") && w[1] == tool)
                || code.match_indices(tool).any(|(at, _)| {
                    let (before, after) = (code[..at].trim_end(), &code[at + tool.len()..]);
                    let next = after.trim_start();
                    !code[..at].ends_with(is_word)
                        && !after.starts_with(is_word)
                        && ((next.starts_with(':') && !next.starts_with("::"))
                            || (before.ends_with('|') && !before.ends_with("||"))
                            || (next.starts_with('|') && !next.starts_with("||")))
                });
            let imported = imports.iter().any(|s| count_word(s, tool) > 0);
            let used = code.match_indices(tool).any(|(at, _)| {
                let (before, after) = (&code[..at], &code[at + tool.len()..]);
                let before = before.trim_end();
                let own_path = ["self::", "crate::", "super::"]
                    .iter()
                    .any(|path| before.ends_with(path));
                // A fn of a type or module of the code's own (`Progress::advance(&mut p)`,
                // `progress::advance(step)`, `Self::advance(..)`) is not Tokio's.
                let through_own = before.strip_suffix("::").is_some_and(|path| {
                    let path = path.trim_end();
                    let segment = &path[path.trim_end_matches(is_word).len()..];
                    segment == "Self" || own_types.contains(&segment)
                });
                !before.ends_with(is_word)
                    && !after.starts_with(is_word)
                    && ((before.ends_with("::") && !(own && own_path) && !through_own)
                        || (after.trim_start().starts_with('(') && !own))
            });
            if imported || used {
                tools.push(tool);
            }
        }
        assert!(
            tools.is_empty(),
            "the code uses {tools:?}, Tokio's tools for pausing a runtime's clock: a second \
             runtime with a paused clock fetches the settings at once, where this runtime's \
             clock does not drive the fetch (a sleep beside it only looks like the wait). Make \
             load_settings async and await fetch_settings() in it, on the runtime start_app \
             runs on"
        );
    }

    /// The string literals of `code` (comments gone), each as where it starts and what it
    /// holds (escapes as written), with a raw string's text too. A char literal (`'"'`) is none.
    fn string_literals(code: &str) -> Vec<(usize, String)> {
        let plain = raw_strings_plain(code);
        let mut found = Vec::new();
        let mut chars = plain.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if c == '\'' && matches!(chars.peek(), Some((_, '"' | '\\'))) {
                if chars.next().is_some_and(|(_, c)| c == '\\') {
                    chars.next();
                }
                chars.next();
            } else if c == '"' {
                let mut end = plain.len();
                while let Some((i, c)) = chars.next() {
                    if c == '\\' {
                        chars.next();
                    } else if c == '"' {
                        end = i;
                        break;
                    }
                }
                found.push((at, code[at + 1..end].to_string()));
            }
        }
        found
    }

    /// `code` with each string constant (`const NAME: &str = "...";`, also `static` and `pub`)
    /// left out and its literal written in its place wherever its name is used.
    fn with_string_constants_inlined(code: &str) -> String {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let mut constants: Vec<(std::ops::Range<usize>, String, String)> = Vec::new();
        for (at, text) in string_literals(code) {
            let end = at + 1 + text.len();
            let from = code[..at].rfind([';', '{', '}']).map_or(0, |i| i + 1);
            let Some(header) = code[from..at].trim_end().strip_suffix('=') else {
                continue;
            };
            let words: Vec<&str> = header.split(|c: char| !is_word(c)).collect();
            let words: Vec<&str> = words.into_iter().filter(|w| !w.is_empty()).collect();
            let Some(keyword) = words.iter().position(|w| ["const", "static"].contains(w)) else {
                continue;
            };
            let name = words[keyword + 1..].iter().find(|w| **w != "mut");
            let after = code[end + 1..].trim_start();
            if let Some(name) = name
                && words.contains(&"str")
                && after.starts_with(';')
                && !code[..at].ends_with(['r', '#'])
            {
                let semicolon = end + 1 + code[end + 1..].find(';').unwrap_or(0);
                constants.push((from..semicolon + 1, name.to_string(), format!("\"{text}\"")));
            }
        }
        let mut code = code.to_string();
        for (item, _, _) in constants.iter().rev() {
            code.replace_range(item.clone(), "");
        }
        for (_, name, literal) in constants {
            let mut inlined = String::new();
            let mut rest = code.as_str();
            while let Some(at) = rest.find(name.as_str()) {
                let whole =
                    !rest[..at].ends_with(is_word) && !rest[at + name.len()..].starts_with(is_word);
                inlined.push_str(&rest[..at]);
                inlined.push_str(if whole { &literal } else { &name });
                rest = &rest[at + name.len()..];
            }
            inlined.push_str(rest);
            code = inlined;
        }
        code
    }

    /// Where the body of `fn name` lies in `code`, if the code has one.
    fn fn_body(code: &str, name: &str) -> Option<std::ops::Range<usize>> {
        let at = code.match_indices(name).map(|(at, _)| at).find(|&at| {
            code[..at].trim_end().ends_with("fn")
                && code[at + name.len()..].trim_start().starts_with('(')
        })?;
        let open = at + code[at..].find('{')?;
        let mut depth = 0;
        for (i, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(open..open + i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// Whether the literal at `code[at..]` is the format string of a macro (`format!("..")`,
    /// `writeln!(err, "..")`): the first string literal of a macro's arguments.
    fn a_format_string(code: &str, at: usize) -> bool {
        let blank = without_strings(code);
        // `without_strings` keeps each literal's quotes only: map `at` to the blanked text by
        // counting the literals before it.
        let index = string_literals(code)
            .iter()
            .position(|&(start, _)| start == at)
            .unwrap_or(0);
        let Some(quote) = blank
            .char_indices()
            .filter(|&(_, c)| c == '"')
            .map(|(i, _)| i)
            .nth(2 * index)
        else {
            return false;
        };
        let mut depth = 0;
        let mut literals_between = 0;
        for (i, c) in blank[..quote].char_indices().rev() {
            match c {
                ')' | ']' | '}' => depth += 1,
                '(' | '[' | '{' if depth > 0 => depth -= 1,
                '(' | '[' | '{' => {
                    return blank[..i].trim_end().ends_with('!') && literals_between == 0;
                }
                '"' if depth == 0 => literals_between += 1,
                ';' if depth == 0 => return false,
                _ => {}
            }
        }
        false
    }

    /// Settings written by hand after a 50 ms sleep look the same from outside, so this test
    /// reads the source: a string literal that holds the settings' whole text (what the given
    /// fetch_settings returns, "theme=dark") outside fetch_settings. A literal that is only
    /// compared or matched (`== "theme=dark"`, a `match` arm), a part of it (`Some("dark")`,
    /// `strip_prefix("theme=")`), a name (`let dark = ..`) and a macro's format string (what a
    /// message prints, or a panic says) are free.
    #[test]
    fn the_settings_are_not_written_by_hand() {
        let source = include_str!("runtime_inside_runtime.rs");
        // A string constant (`const SETTINGS: &str = "theme=dark";`) stands where it is used:
        // one that only fetch_settings uses is fetch_settings' own text.
        let outside_main = with_string_constants_inlined(&code_outside_main(source));
        // The settings as fetch_settings gives them: the last literal of its body.
        let given = fn_body(&outside_main, "fetch_settings");
        let settings = given
            .clone()
            .and_then(|body| {
                string_literals(&outside_main)
                    .into_iter()
                    .filter(|(at, text)| body.contains(at) && !text.trim().is_empty())
                    .map(|(_, text)| text)
                    .next_back()
            })
            .unwrap_or_else(|| "theme=dark".to_string());
        let code = without_comparisons(&without_messages(&outside_main));
        let body = fn_body(&code, "fetch_settings").unwrap_or(0..0);
        let by_hand: Vec<String> = string_literals(&code)
            .into_iter()
            .filter(|(at, text)| {
                text.contains(settings.as_str())
                    && !body.contains(at)
                    && !a_format_string(&code, *at)
            })
            .map(|(_, text)| format!("\"{text}\""))
            .collect();
        assert!(
            by_hand.is_empty(),
            "the code writes the settings' text ({settings:?}) by hand beside fetch_settings: \
             the string literal {} outside fetch_settings holds it. The settings must come \
             from fetch_settings().await, not be written by hand (after a sleep, or as a \
             fallback). Make load_settings async and await fetch_settings() in it",
            by_hand.join(" and ")
        );
        assert!(
            count_word(&code, "fetch_settings") >= 2,
            "the code never calls fetch_settings: the settings must come from \
             fetch_settings().await, not be written by hand. Make load_settings async and \
             await fetch_settings() in it"
        );
        let thrown_away = thrown_away_fetches(&code);
        assert!(
            thrown_away.is_empty(),
            "every place the code calls fetch_settings throws away what it answers ({}): the \
             settings start_app reports must be what fetch_settings().await gives back, not \
             text written beside it. Make load_settings async and return what \
             fetch_settings().await gives",
            thrown_away.join(" and ")
        );
        let body = fn_body(&code, "fetch_settings").unwrap_or(0..0);
        if let Some((statement, pieces)) = settings_put_together(&code, &settings, &body) {
            panic!(
                "the code puts the settings' text ({settings:?}) together by hand beside \
                 fetch_settings: the string literals {} in `{statement}` hold its words. The \
                 settings must come from fetch_settings().await, not be written by hand (in \
                 one piece or in several). Make load_settings async and return what \
                 fetch_settings().await gives",
                pieces.join(", ")
            );
        }
    }

    /// The statements of `code` (comments, messages and compared literals gone) that call
    /// fetch_settings and throw its answer away, if every call there does so (none where one
    /// keeps it): `let _ = fetch_settings().await;`, `fetch_settings().await;` on its own,
    /// `drop(fetch_settings().await);`, or `let _ = fetch_settings;` (the fn named only).
    fn thrown_away_fetches(code: &str) -> Vec<String> {
        let code = without_strings(code);
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let name = "fetch_settings";
        let mut thrown = Vec::new();
        for (at, _) in code.match_indices(name) {
            let (before, after) = (&code[..at], &code[at + name.len()..]);
            if before.ends_with(is_word) || after.starts_with(is_word) {
                continue;
            }
            // Its own definition.
            let head = before.trim_end();
            if head.ends_with("fn") && !head[..head.len() - 2].ends_with(is_word) {
                continue;
            }
            let start = before.rfind([';', '{', '}']).map_or(0, |i| i + 1);
            let prefix = before[start..].trim();
            let rest = after.trim_start();
            let rest = rest.strip_prefix("()").unwrap_or(rest).trim_start();
            let rest = rest.strip_prefix(".await").unwrap_or(rest).trim_start();
            let let_underscore = prefix
                .strip_prefix("let")
                .map(str::trim_start)
                .and_then(|p| p.strip_prefix('_'))
                .is_some_and(|p| !p.starts_with(is_word) && p.ends_with('=') && !p.ends_with("=="));
            let dropped = prefix.strip_suffix("drop(").is_some_and(|p| {
                let p = p.trim_end();
                p.is_empty() || p.ends_with("::")
            }) && rest
                .strip_prefix(')')
                .is_some_and(|r| r.trim_start().starts_with(';'));
            let alone = rest.starts_with(';') && (prefix.is_empty() || let_underscore);
            if !(alone || dropped) {
                return Vec::new();
            }
            let end = at + name.len() + after.find(';').map_or(after.len(), |i| i + 1);
            let statement: Vec<&str> = code[start..end].split_whitespace().collect();
            thrown.push(format!("`{}`", statement.join(" ")));
        }
        thrown
    }

    /// A statement of `code` (outside fetch_settings' `body`) that puts the settings' words
    /// together from string literals that each hold a part of `settings` only:
    /// `["theme", "dark"].join("=")`, `format!("{}={}", "theme", "dark")` or
    /// `format!("theme={}", "dark")` (a format string's text between its `{..}` counts),
    /// `"theme".to_string() + "=dark"`, `concat!(..)`, `push_str`. The statement and those
    /// parts, if there is one. A literal that is only compared
    /// is gone from `code` already (`== Some(("theme", "dark"))` is free).
    fn settings_put_together(
        code: &str,
        settings: &str,
        body: &std::ops::Range<usize>,
    ) -> Option<(String, Vec<String>)> {
        let words: Vec<&str> = settings
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        if words.len() < 2 {
            return None;
        }
        let literals = string_literals(code);
        // The code with each literal's text blanked (same length): `;`, `{` and `}` in it then
        // bound statements.
        let inside = |i: usize| (literals.iter()).any(|(at, text)| i > *at && i <= at + text.len());
        let blank: String = (code.char_indices())
            .map(|(i, c)| {
                if inside(i) {
                    " ".repeat(c.len_utf8())
                } else {
                    c.to_string()
                }
            })
            .collect();
        let joins = [
            ".join(",
            "concat",
            "format!",
            "format_args!",
            "+",
            "push_str(",
            "write!(",
        ];
        let mut statements: Vec<(std::ops::Range<usize>, Vec<String>)> = Vec::new();
        for (at, text) in &literals {
            if body.contains(at) {
                continue;
            }
            // The parts of the literal (between a format string's placeholders) that are a
            // part of the settings.
            let parts: Vec<&str> = text
                .split(['{', '}'])
                .filter(|part| !part.is_empty() && settings.contains(*part) && *part != settings)
                .collect();
            if parts.is_empty() {
                continue;
            }
            let start = blank[..*at].rfind([';', '{', '}']).map_or(0, |i| i + 1);
            let end = (blank[*at..].find([';', '{', '}'])).map_or(blank.len(), |i| at + i);
            let pieces = parts.iter().map(|part| part.to_string());
            match statements
                .iter_mut()
                .find(|(range, _)| range.start == start)
            {
                Some((_, found)) => found.extend(pieces),
                None => statements.push((start..end, pieces.collect())),
            }
        }
        statements.into_iter().find_map(|(range, pieces)| {
            let joined = joins.iter().any(|join| blank[range.clone()].contains(join));
            let statement = &code[range];
            let all_words = words
                .iter()
                .all(|word| pieces.iter().any(|piece| count_word(piece, word) > 0));
            let statement: Vec<&str> = statement.split_whitespace().collect();
            let pieces = pieces.iter().map(|piece| format!("{piece:?}")).collect();
            (joined && all_words).then(|| (statement.join(" "), pieces))
        })
    }
}
