// rc_across_await
//
// `spawn_report` builds a report in a background task. Every reading shares the sensor name
// through an `Rc<str>`, so the name is not copied for each reading. But `tokio::spawn` may move a
// task to another thread each time it wakes up after an `.await`, so everything the task holds
// across an `.await` must be `Send`, and `Rc` is not.
//
// Make the task `Send`: use the thread-safe version of `Rc`, or stop holding the `Rc` values
// across the `.await`. The report must still wait for the threshold.

use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

struct Reading {
    // Arc is the thread-safe Rc: a task holding it can move between threads.
    sensor: Arc<str>,
    value: u32,
}

async fn fetch_threshold() -> u32 {
    tokio::time::sleep(Duration::from_millis(20)).await;
    50
}

fn spawn_report(sensor: String, values: Vec<u32>) -> JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        let name: Arc<str> = Arc::from(sensor);
        let readings: Vec<Reading> = values
            .into_iter()
            .map(|value| Reading {
                sensor: Arc::clone(&name),
                value,
            })
            .collect();

        let threshold = fetch_threshold().await;

        readings
            .iter()
            .map(|r| {
                let level = if r.value > threshold { "HIGH" } else { "ok" };
                format!("{} {} {level}", r.sensor, r.value)
            })
            .collect()
    })
}

#[tokio::main]
async fn main() {
    let report = spawn_report("boiler".to_string(), vec![40, 70]).await;
    println!("{:?}", report.expect("the report task failed"));
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    /// Awaits the report task, or fails after 3 s of real time: its only wait is
    /// fetch_threshold's 20 ms, which the paused clock skips at once, unless something holds
    /// the clock still (a `spawn_blocking` task that blocks on the threshold never ends).
    async fn report_of(task: JoinHandle<Vec<String>>) -> Vec<String> {
        let (give_up, too_late) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs(3));
            let _ = give_up.send(());
        });
        tokio::select! {
            report = task => report.expect("the report task failed"),
            _ = too_late => panic!("{TOO_LATE}"),
        }
    }

    const TOO_LATE: &str = "the report task was not done after 3 s of real time, though its \
        only wait is fetch_threshold's 20 ms, which the tests' paused clock skips: something in \
        it blocks its thread (a task that blocks on the threshold, spawn_blocking with \
        block_on, holds the clock still), or it waits for a wake-up that never comes (a future \
        polled with a waker other than its task's own, such as Waker::noop(), is never woken \
        when it is ready). Spawn it with tokio::spawn and await fetch_threshold() in it \
        directly, with what it holds across that await Send (Arc instead of Rc)";

    #[tokio::test(start_paused = true)]
    async fn report_lists_every_reading() {
        let report = report_of(spawn_report("boiler".to_string(), vec![40, 70, 50])).await;
        assert_eq!(
            report,
            ["boiler 40 ok", "boiler 70 HIGH", "boiler 50 ok"],
            "each line must name the sensor, give the value and compare it with the threshold, \
             one line per reading, in the order the values were given"
        );
    }

    #[test]
    fn the_readings_share_one_name() {
        let size = std::mem::size_of::<Reading>();
        assert!(
            size < std::mem::size_of::<(String, u32)>(),
            "a Reading is {size} bytes, as big as a String and a u32 or bigger ({} bytes): \
             each reading carries its own copy of the sensor name, or fields beside its shared \
             name and its value. Share the one name: an Arc<str> (the thread-safe Rc), or the \
             Rc<str> kept off the `.await`; keep Reading to the name and the value (work the \
             level out where the line is made)",
            std::mem::size_of::<(String, u32)>()
        );
    }

    /// Builds the report of `count` readings on a runtime of its own (one thread; its clock
    /// paused, or running in real time). Returns the most heap allocations alive at one time
    /// on this thread meanwhile, and how many of them were never freed.
    /// (the most allocations alive at once, those left at the end, whether a thread of the
    /// runtime's blocking pool started: `spawn_blocking`).
    fn allocations_of_a_report(count: usize, paused: bool) -> (u64, i64, bool) {
        // report_of's guard of 3 s of real time, made outside what is counted.
        let too_late = std::sync::Arc::new(tokio::sync::Notify::new());
        let (done, finished) = std::sync::mpsc::channel::<()>();
        let guard = std::thread::spawn({
            let too_late = std::sync::Arc::clone(&too_late);
            move || {
                if finished
                    .recv_timeout(std::time::Duration::from_secs(3))
                    .is_err()
                {
                    too_late.notify_one();
                }
            }
        });
        let pool_threads = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let started = std::sync::Arc::clone(&pool_threads);
        let counted = allocation_counter::measure(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(paused)
                .on_thread_start(move || {
                    started.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                })
                .build()
                .unwrap();
            runtime.block_on(async {
                // A name of its own for each call: a name kept from an earlier call is not
                // reused.
                let name = format!("{count} {}", "x".repeat(100));
                let report = tokio::select! {
                    report = spawn_report(name, vec![7; count]) => {
                        report.expect("the report task failed")
                    }
                    () = too_late.notified() => panic!("{TOO_LATE}"),
                };
                assert_eq!(report.len(), count, "one line per reading");
            });
        });
        let _ = done.send(());
        guard.join().unwrap();
        let pooled = pool_threads.load(std::sync::atomic::Ordering::SeqCst) > 0;
        (counted.count_max, counted.count_current, pooled)
    }

    #[test]
    fn the_name_is_neither_copied_nor_leaked() {
        // The first runtime on a thread sets up a few things for good: not a leak.
        allocations_of_a_report(1, true);
        let (at_most_for_8, kept, pooled) = allocations_of_a_report(8, true);
        let (at_most_for_72, _, _) = allocations_of_a_report(72, true);
        // A thread of the blocking pool (spawn_blocking) frees there blocks made here, which
        // this count cannot tell from a leak: where one started, it says nothing of leaks.
        assert!(
            kept == 0 || pooled,
            "after the report was done (on a runtime that was then shut down), {kept} heap \
             block(s) made on this thread were not freed here: something leaked (the sensor \
             name made `&'static` with `Box::leak`, a static that keeps it), or blocks made \
             here were handed to a thread of its own (a std::thread, a second runtime) and \
             freed there, which this count cannot tell from a leak. Share the name with an \
             Arc<str>, which frees it when the last reading is gone, and do the report's work \
             in its task (await fetch_threshold() there), with no thread of its own"
        );
        // By the end, every reading has its line of the report: one allocation each.
        let per_reading = (at_most_for_72 - at_most_for_8) as f64 / 64.0;
        assert!(
            per_reading < 1.5,
            "at one time, each reading held {per_reading:.1} heap allocations: one for its \
             line of the report, the rest most likely for its own copy of the sensor name (a \
             Box<str> or String clone; a task or a box made per reading counts too). Share the \
             one name through an Arc<str> (the thread-safe Rc), or the Rc<str> kept off the \
             `.await`, and make each line with no more than the line itself"
        );
    }

    /// The same for a few readings (1 and 4) and for many (72 and 2500: over two thousand, not a
    /// round number): however many readings a report has, they share its one name.
    #[test]
    fn the_name_is_not_copied_for_few_or_many_readings() {
        // The first runtime on a thread sets up a few things for good.
        allocations_of_a_report(1, true);
        let at_most = |count: usize| allocations_of_a_report(count, true).0 as f64;
        let (for_1, for_4) = (at_most(1), at_most(4));
        let (for_72, for_2500) = (at_most(72), at_most(2500));
        for (per_reading, between) in [
            ((for_4 - for_1) / 3.0, "1 and 4"),
            ((for_2500 - for_72) / 2428.0, "72 and 2500"),
        ] {
            assert!(
                per_reading < 1.5,
                "between reports of {between} readings, at one time, each reading held \
                 {per_reading:.1} heap allocations: one for its line of the report, the rest \
                 most likely for its own copy of the sensor name (a Box<str> or String clone; \
                 a task or a box made per reading counts too). However many readings there \
                 are, share the one name through an Arc<str> (the thread-safe Rc), or the \
                 Rc<str> kept off the `.await`, and make each line with no more than the line \
                 itself"
            );
        }
    }

    /// A real program's runtime has a clock that runs: the report must share the name there
    /// too, not only on the paused clock of the other tests. (Its only wait, the threshold's
    /// 20 ms, takes real time here.)
    #[test]
    fn the_name_is_not_copied_when_the_clock_runs() {
        allocations_of_a_report(1, false);
        let (at_most_for_8, _, _) = allocations_of_a_report(8, false);
        let (at_most_for_72, _, _) = allocations_of_a_report(72, false);
        let per_reading = at_most_for_72.saturating_sub(at_most_for_8) as f64 / 64.0;
        if per_reading < 1.5 {
            return;
        }
        allocations_of_a_report(1, true);
        let (paused_for_8, _, _) = allocations_of_a_report(8, true);
        let (paused_for_72, _, _) = allocations_of_a_report(72, true);
        let paused = paused_for_72.saturating_sub(paused_for_8) as f64 / 64.0;
        let clock = if paused < 1.5 {
            format!(
                ", though on a paused clock (as in the other tests) each held \
                 {paused:.1}: the code copies the name only when the clock runs (does it \
                 check whether the clock is paused?). Whatever the clock,"
            )
        } else {
            String::from(":")
        };
        panic!(
            "on a runtime whose clock runs in real time (as in a real program), at one time \
             each reading held {per_reading:.1} heap allocations: one for its line of the \
             report, the rest most likely for its own copy of the sensor name{clock} share the \
             one name through an Arc<str> (the thread-safe Rc), or the Rc<str> kept off the \
             `.await`, and make each line with no more than the line itself"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn two_reports_at_once_keep_their_own_names() {
        // Both tasks are spawned before either runs, so both wait for the threshold at once.
        let boiler = spawn_report("boiler".to_string(), vec![40]);
        let pump = spawn_report("pump".to_string(), vec![70]);
        let pump = report_of(pump).await;
        let boiler = report_of(boiler).await;
        assert_eq!(
            (boiler, pump),
            (
                vec!["boiler 40 ok".to_string()],
                vec!["pump 70 HIGH".to_string()]
            ),
            "two reports built at the same time must each name their own sensor: the name \
             was kept outside the task (a static, a thread_local), where the other report \
             replaced it. Keep each report's name in its own task, shared by its readings \
             through an Arc<str>"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn report_still_waits_for_the_threshold() {
        // Every report waits, the second one too (a threshold kept from an earlier report, in
        // a `static`, would skip the wait whenever another report ran first).
        for report in ["first", "second"] {
            let (start, real) = (Instant::now(), std::time::Instant::now());
            report_of(spawn_report("pump".to_string(), vec![1])).await;
            let (elapsed, real) = (start.elapsed().as_millis(), real.elapsed());
            // The paused clock moves on only when this runtime has nothing to do: 20 ms waited
            // for elsewhere (a thread or a runtime of its own) take real time instead.
            assert!(
                elapsed >= 20 || real < std::time::Duration::from_millis(20),
                "the {report} report was ready after {elapsed} ms of this runtime's (paused) \
                 clock, but after {real:?} of real time: the threshold's 20 ms were waited \
                 for off this runtime (on a thread or a runtime of its own, or in a \
                 std::thread::sleep), where this clock does not count them. Await \
                 fetch_threshold() in the report task itself"
            );
            assert!(
                elapsed >= 20,
                "the {report} report was ready after {elapsed} ms: it must still await \
                 fetch_threshold() (20 ms), not skip it (nor keep a threshold from an earlier \
                 report: each report fetches its own)"
            );
            // On the paused clock nothing else takes time: the report is ready the moment
            // the threshold arrives.
            assert!(
                elapsed <= 20,
                "the {report} report was ready after {elapsed} ms, but fetch_threshold() \
                 answers after 20 ms: the report task waits longer than the threshold takes (a \
                 sleep of its own, timed to outlast a fetch_threshold() run elsewhere?). Await \
                 fetch_threshold() in the report task and use the value it returns"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_report_uses_the_threshold_it_awaited() {
        // Spawned right after the report task, `busy` runs once that task has taken its first
        // step, and moves the clock 200 ms on before any task that the report spawned can start.
        let report = spawn_report("fan".to_string(), vec![40, 70]);
        let busy = tokio::spawn(tokio::time::advance(Duration::from_millis(200)));
        let report = report_of(report).await;
        busy.await.expect("the test's busy task failed");
        assert_eq!(
            report,
            ["fan 40 ok", "fan 70 HIGH"],
            "the threshold is 50, so 40 is ok and 70 is HIGH. Here the runtime was busy for 200 \
             ms right after the report task's first step, before any task that it spawned could \
             start, and the report was built with a threshold that fetch_threshold() had not \
             given yet (read from a task left to run on its own, after a sleep?). Await \
             fetch_threshold() in the report task (or the JoinHandle of a task that fetches \
             it) and use the value it returns. (A timeout of 200 ms or less around a spawned \
             fetch also ends here: a safety net must be longer.)"
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
                // A char literal: '"' or an escaped one ('\"', '\\', '\'').
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
    /// `#[tokio::test(..)]`). A test of the learner's may write the threshold (50) it
    /// expects. Other attributes and a `pub` may stand among them.
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

    /// The code above the tests without comments, without `fn main` (a demo there is free)
    /// and without a test module of the learner's own (see `without_own_test_module`).
    fn code_outside_main(source: &str) -> String {
        let code = without_own_test_module(&without_comments(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        ));
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

    /// `code` without the arguments of the macros that only print, check or panic
    /// (`println!`, `assert!`, `panic!`, ...) and of `.expect(..)`: their text is a message,
    /// never a value the code hands back, so a progress line may say what it likes. Nor those
    /// of `Duration`'s `from_millis(..)`, `from_secs(..)`...: a time (a safety net's, a
    /// progress ticker's), not the threshold, unless it is turned back into a number.
    fn without_messages(code: &str) -> String {
        const MESSAGES: [&str; 21] = [
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
            "from_millis(",
            "from_secs(",
            "from_micros(",
            "from_nanos(",
            "from_secs_f32(",
            "from_secs_f64(",
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
            // A time turned back into a number (`.as_millis()`) is a value again.
            let number = message.starts_with("from_")
                && code[end..]
                    .trim_start_matches([')', ' ', '\n'])
                    .starts_with(".as_");
            (from, at) = if number { (open, open) } else { (end, end) };
        }
        kept.push_str(&code[from..]);
        kept
    }

    /// Which of `words` (whole words) and `texts` (anywhere) the code writes more than once.
    fn written_twice<'a>(code: &str, words: &[&'a str], texts: &[&'a str]) -> Vec<&'a str> {
        let all: Vec<&str> = code
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .collect();
        let twice_as_word = words
            .iter()
            .filter(|word| all.iter().filter(|w| w == word).count() > 1);
        let twice_as_text = texts.iter().filter(|text| code.matches(*text).count() > 1);
        twice_as_word.chain(twice_as_text).copied().collect()
    }

    /// `code` without what messages print and lengths of time (see `without_messages`), and
    /// without the values of the consts, statics and lets whose name is only ever a length of
    /// time (`const TICK_MS: u64 = 50;` used only in `Duration::from_millis(TICK_MS)`, and
    /// maybe printed): a progress ticker's period or a safety net's limit, not the threshold.
    fn without_messages_and_times(code: &str) -> String {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let word_at = |code: &str, word: &str| -> Vec<usize> {
            code.match_indices(word)
                .map(|(at, _)| at)
                .filter(|&at| {
                    !code[..at].ends_with(is_ident)
                        && !code[at + word.len()..].starts_with(is_ident)
                })
                .collect()
        };
        // The names written as the whole argument of `from_millis(..)` and the like.
        let mut names: Vec<&str> = Vec::new();
        for unit in [
            "from_secs",
            "from_millis",
            "from_micros",
            "from_nanos",
            "from_secs_f32",
            "from_secs_f64",
        ] {
            for at in word_at(code, unit) {
                let Some(inner) = code[at + unit.len()..].trim_start().strip_prefix('(') else {
                    continue;
                };
                let name = inner[..inner.find(')').unwrap_or(0)].trim();
                if !name.is_empty()
                    && name.chars().all(is_ident)
                    && !name.starts_with(|c: char| c.is_ascii_digit())
                    && !names.contains(&name)
                {
                    names.push(name);
                }
            }
        }
        // Without messages and lengths of time, such a name is left only where it is set.
        let mut code = without_messages(code);
        for name in names {
            let uses = word_at(&code, name);
            let declared = uses.iter().all(|&at| {
                let before = code[..at].trim_end();
                ["const", "static", "let", "mut"]
                    .into_iter()
                    .any(|keyword| {
                        before.ends_with(keyword)
                            && !before[..before.len() - keyword.len()].ends_with(is_ident)
                    })
            });
            if uses.is_empty() || !declared {
                continue;
            }
            // Its value (up to the `;`) is left out.
            for at in uses.into_iter().rev() {
                let from = at + name.len();
                if let Some(end) = code[from..].find(';') {
                    code.replace_range(from..from + end, "");
                }
            }
        }
        code
    }

    /// `code` with each `const` or `static` (whose value holds no block) written out where it
    /// is named, and its own definition left out: a value kept in a `const` counts once for
    /// each place that names it (`const THRESHOLD: u32 = 50;` named in fetch_threshold alone
    /// counts once, as the given `50` does).
    fn with_constants_inlined(code: &str) -> String {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let mut code = code.to_string();
        loop {
            let mut found = None;
            for keyword in ["const ", "static "] {
                for (at, _) in code.match_indices(keyword) {
                    if code[..at].ends_with(is_word) || found.is_some() {
                        continue;
                    }
                    let rest = &code[at + keyword.len()..];
                    let name: String = rest
                        .trim_start()
                        .chars()
                        .take_while(|&c| is_word(c))
                        .collect();
                    let Some((item, _)) = rest.split_once(';') else {
                        continue;
                    };
                    let Some((head, value)) = item.split_once('=') else {
                        continue;
                    };
                    if !name.is_empty()
                        && head.trim_start()[name.len()..]
                            .trim_start()
                            .starts_with(':')
                        && !value.contains('{')
                    {
                        let end = at + keyword.len() + item.len() + 1;
                        found = Some((at, end, name, format!("({})", value.trim())));
                    }
                }
            }
            let Some((from, to, name, value)) = found else {
                return code;
            };
            code.replace_range(from..to, " ");
            let mut inlined = String::new();
            let mut rest = code.as_str();
            while let Some(at) = rest.find(name.as_str()) {
                let whole =
                    !rest[..at].ends_with(is_word) && !rest[at + name.len()..].starts_with(is_word);
                inlined.push_str(&rest[..at]);
                inlined.push_str(if whole { &value } else { &name });
                rest = &rest[at + name.len()..];
            }
            inlined.push_str(rest);
            code = inlined;
        }
    }

    /// Values written by hand after a wait look the same from outside, so this test reads the
    /// source (what a message prints, or a check says, is free).
    #[test]
    fn nothing_is_written_by_hand() {
        let code = code_outside_main(include_str!("rc_across_await.rs"));
        let code = without_messages_and_times(&with_constants_inlined(&code));
        let copied = written_twice(&code, &["50"], &[]);
        assert!(
            copied.is_empty(),
            "the code writes {copied:?} a second time (not counting what a message prints, nor a \
             Duration, nor a const or variable used only as a length of time, nor a test of \
             your own; a `const` counts wherever it is named), \
             beside fetch_threshold's threshold: the threshold must come from \
             fetch_threshold().await inside the task; make what the task holds across that \
             await Send (Arc instead of Rc)"
        );
        let named = code
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|word| *word == "fetch_threshold")
            .count();
        assert!(
            named > 1,
            "the code never calls fetch_threshold outside its own definition (fn main and \
             messages aside): the threshold must come from fetch_threshold().await inside the \
             task, not from a value or a sleep of the code's own"
        );
    }

    /// Awaits `handle` on `runtime` (one thread, paused clock, one task's turn between two
    /// polls of what it runs) driven from a new thread at every step, as a task on a
    /// multi-thread runtime may run each step on another worker thread: one task's turn per
    /// step, 1 ms of paused time every 10 steps, and after 3000 steps an hour of paused time
    /// (or 3 s of real time) on one last thread. Gives what the handle gave, or None if its
    /// task had not ended.
    fn on_a_new_thread_at_every_step<T: Send>(
        runtime: &tokio::runtime::Runtime,
        mut handle: JoinHandle<T>,
    ) -> Option<Result<T, tokio::task::JoinError>> {
        use std::time::Duration;
        for step in 0..=3000 {
            let wait = match step {
                3000 => Duration::from_secs(3600),
                step if step % 10 == 9 => Duration::from_millis(1),
                _ => Duration::ZERO,
            };
            let handle = &mut handle;
            let out = std::thread::scope(|scope| {
                scope
                    .spawn(|| {
                        runtime.block_on(async {
                            // Real time: a task that holds the paused clock still must not
                            // hang the test.
                            let (give_up, too_late) = tokio::sync::oneshot::channel::<()>();
                            let _held = if step == 3000 {
                                std::thread::spawn(move || {
                                    std::thread::sleep(Duration::from_secs(3));
                                    let _ = give_up.send(());
                                });
                                None
                            } else {
                                Some(give_up)
                            };
                            tokio::select! {
                                biased;
                                out = handle => Some(out),
                                _ = async {
                                    if wait.is_zero() {
                                        tokio::task::yield_now().await;
                                    } else {
                                        tokio::time::sleep(wait).await;
                                    }
                                } => None,
                                _ = too_late => None,
                            }
                        })
                    })
                    .join()
                    .expect("a thread of the test failed")
            });
            if out.is_some() {
                return out;
            }
        }
        None
    }

    /// A real program's runtime (`#[tokio::main]`) has several worker threads, and a task may
    /// wake up on another one of them after an `.await`. Here the report's runtime runs each
    /// task's turn on a new thread: the report must still come back whole.
    #[test]
    fn spawn_report_works_when_its_task_moves_between_threads() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .event_interval(1)
            .build()
            .expect("the test's runtime could not be built");
        let handle = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let _in_the_runtime = runtime.enter();
                    spawn_report("boiler".to_string(), vec![40, 70])
                })
                .join()
                .expect("spawn_report panicked")
        });
        let expected = ["boiler 40 ok", "boiler 70 HIGH"];
        let seen = match on_a_new_thread_at_every_step(&runtime, handle) {
            Some(Ok(report)) if report == expected => return,
            Some(Ok(report)) => format!("gave {report:?}, not {expected:?}"),
            Some(Err(err)) => format!("gave Err({err})"),
            None => {
                String::from("had not ended after an hour of paused time (or 3 s of real time)")
            }
        };
        let alone =
            on_one_thread(|| spawn_report("boiler".to_string(), vec![40, 70])).and_then(Result::ok);
        if alone.as_deref() != Some(&expected.map(String::from)[..]) {
            panic!(
                "here each turn of the runtime's tasks ran on a new thread (as on the worker \
                 threads of a multi-thread runtime, the kind #[tokio::main] builds), and the \
                 report task for \"boiler\" [40, 70] {seen}; on a runtime of one thread it \
                 does not give {expected:?} either"
            );
        }
        panic!(
            "here each turn of the runtime's tasks ran on a new thread (as on the worker threads \
             of a multi-thread runtime, the kind #[tokio::main] builds), and the report task \
             for \"boiler\" [40, 70] {seen}, though on a runtime of one thread it gives \
             {expected:?}: a value left on the thread that made it (a thread_local, anything \
             kept per thread) is not there when the task wakes up on another thread after its \
             .await. Keep the readings in the task, with a name the task may carry across the \
             .await (Arc<str>)"
        );
    }

    /// What `call()` gives on a runtime of one thread (the paused clock), or None if it
    /// panicked or had not returned after an hour of that clock.
    fn on_one_thread<F: std::future::Future>(call: impl FnOnce() -> F) -> Option<F::Output> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("the test's runtime could not be built");
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(3600), call()).await
            })
        }))
        .ok()
        .and_then(Result::ok)
    }
}
