// Fail fast with `tokio::try_join!`.
//
// `load_dashboard` needs a user's name (150 ms) and their number of open
// orders (100 ms). Both lookups can fail. Run them at the same time, and as
// soon as one of them fails, stop waiting and return that error. When both
// succeed, the dashboard must be ready after about 150 ms, not 250 ms.

use tokio::time::{Duration, sleep};

async fn load_name(id: u32) -> Result<String, String> {
    sleep(Duration::from_millis(150)).await;
    if id == 0 {
        Err(String::from("user 0 does not exist"))
    } else {
        Ok(format!("user{id}"))
    }
}

async fn load_orders(id: u32) -> Result<u32, String> {
    sleep(Duration::from_millis(100)).await;
    if id == 13 {
        Err(String::from("the order service is down"))
    } else {
        Ok(id * 2)
    }
}

pub async fn load_dashboard(id: u32) -> Result<String, String> {
    // TODO: the orders are only requested once the name has arrived.
    let name = load_name(id).await?;
    let orders = load_orders(id).await?;
    Ok(format!("{name}: {orders} open orders"))
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Wake, Waker};
    use tokio::time::Duration;
    use tokio::time::Instant;
    use tokio::time::sleep_until;

    #[tokio::test(start_paused = true)]
    async fn both_lookups_succeed_together() {
        // Users with ids of every size (the order count, id x 2, fits in a u32 for each).
        for id in [7, 21, 1, 22, 100, 999, 1_000, 65_535, 1_000_000_007] {
            let expected = format!("user{id}: {} open orders", id * 2);
            // Each user twice: a lookup kept from an earlier call (a cache) shows on the second.
            for call in ["first", "second"] {
                let start = Instant::now();
                let dashboard = load_dashboard(id).await;
                let took = start.elapsed();
                assert_eq!(
                    dashboard,
                    Ok(expected.clone()),
                    "user {id} has {} open orders (the {call} dashboard of user {id})",
                    id * 2
                );
                assert!(
                    took >= Duration::from_millis(150),
                    "the {call} dashboard of user {id} was ready after {took:?}, before the \
                     150 ms name lookup could finish: every call looks the name up again"
                );
                assert!(
                    took < Duration::from_millis(200),
                    "the two lookups ran one after the other: {took:?} instead of ~150 ms for \
                     the {call} dashboard of user {id}; run them concurrently, for every user"
                );
            }
        }
    }

    /// What an error that came back `took` after the start shows, when a lookup fails after
    /// `fails` and the other one takes `other`: the two in turn, the lookups started again after
    /// the error (whole rounds of `fails`), or a wait of some other length.
    fn late_error(took: Duration, fails: Duration, other: Duration) -> String {
        let rounds = took.as_millis() / fails.as_millis();
        if took == fails + other {
            format!(
                "as long as the two lookups one after the other ({fails:?} + {other:?}): run \
                 them concurrently (tokio::try_join!)"
            )
        } else if rounds >= 2 && took.as_millis().is_multiple_of(fails.as_millis()) {
            format!(
                "{rounds} times the {fails:?} after which the lookup fails, as if the lookups \
                 were started again after the error ({rounds} rounds in all): return the first \
                 error as soon as it comes, without starting the lookups again \
                 (tokio::try_join!)"
            )
        } else {
            format!(
                "{:?} after the lookup had failed: return that error as soon as it comes \
                 (tokio::try_join!)",
                took - fails
            )
        }
    }

    /// Awaits load_dashboard(id) for up to ten minutes (of the paused clock): a call that
    /// starts the lookups again and again, while they fail, never returns.
    async fn load_dashboard_within_ten_minutes(id: u32) -> Option<Result<String, String>> {
        tokio::time::timeout(Duration::from_secs(600), load_dashboard(id))
            .await
            .ok()
    }

    #[tokio::test(start_paused = true)]
    async fn a_fast_failure_is_reported_at_once() {
        // Twice: an error kept from an earlier call (a cache, a circuit breaker that answers
        // without asking the order service again) shows on the second report.
        for call in ["first", "second"] {
            let start = Instant::now();
            let Some(dashboard) = load_dashboard_within_ten_minutes(13).await else {
                panic!(
                    "the {call} time, load_dashboard(13) had not returned ten minutes (of the \
                     test's paused clock) after it started, though its order lookup fails after \
                     100 ms: it went on past that error (such as a retry that starts the lookups \
                     again as long as they fail: the paused clock skips every wait it makes). \
                     Return the first error as soon as it comes (tokio::try_join!)"
                );
            };
            let took = start.elapsed();
            assert_eq!(
                dashboard,
                Err(String::from("the order service is down")),
                "for user 13 the order lookup fails, and that error must be returned (the \
                 {call} time)"
            );
            assert!(
                took >= Duration::from_millis(100),
                "the {call} time, the error came back after {took:?}, before the 100 ms order \
                 lookup could fail: return the error of load_orders, once it has failed (every \
                 call asks the order service again: an error kept from an earlier call, in a \
                 cache or a circuit breaker, is not this call's answer)"
            );
            let (fails, name) = (Duration::from_millis(100), Duration::from_millis(150));
            assert!(
                took < name,
                "the orders failed after 100 ms, but the {call} time the error came back after \
                 {took:?}: {}",
                if took == name {
                    String::from(
                        "when the name lookup was over. Stop at the first error instead of \
                         waiting for the name (tokio::try_join! of the two lookups; given \
                         spawned JoinHandles, it stops early only when a task panics, not at a \
                         lookup's Err: flatten each handle's result first)",
                    )
                } else {
                    late_error(took, fails, name)
                }
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_failure_is_reported_too() {
        // Twice: an error kept from an earlier call (a cache) shows on the second report.
        for call in ["first", "second"] {
            let start = Instant::now();
            let dashboard = load_dashboard(0).await;
            let took = start.elapsed();
            assert_eq!(
                dashboard,
                Err(String::from("user 0 does not exist")),
                "for user 0 the name lookup fails, and that error must be returned (the {call} \
                 time)"
            );
            assert!(
                took >= Duration::from_millis(150),
                "the {call} time, the error came back after {took:?}, before the 150 ms name \
                 lookup could fail: return the error of load_name, once it has failed (every \
                 call looks the name up again)"
            );
            let (fails, orders) = (Duration::from_millis(150), Duration::from_millis(100));
            assert!(
                took < Duration::from_millis(200),
                "the name lookup failed after 150 ms, but the {call} time the error came back \
                 after {took:?}: {}",
                late_error(took, fails, orders)
            );
        }
    }

    /// When load_dashboard's task was woken, until load_dashboard returned.
    struct WakeLog {
        start: Instant,
        done: AtomicBool,
        at: Mutex<Vec<Duration>>,
    }

    /// Wakes the task, and writes down when.
    struct NoteWake {
        log: Arc<WakeLog>,
        task: Waker,
    }

    impl Wake for NoteWake {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            if !self.log.done.load(Ordering::SeqCst) {
                let at = self.log.start.elapsed();
                self.log.at.lock().unwrap().push(at);
            }
            self.task.wake_by_ref();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_lookups_are_not_checked_on_a_timer() {
        // When each user's lookups end (the orders after 100 ms, the name after 150 ms), and
        // when the dashboard is ready (user 13's orders fail, user 0's name fails).
        // User 7 twice: orders kept from the first call (a cache) show on the second.
        let mut orders_awaited = Vec::new();
        for (id, ends, ready) in [
            (7, [100, 150], 150),
            (7, [100, 150], 150),
            (0, [100, 150], 150),
            (13, [100, 150], 100),
        ] {
            let runtime = tokio::runtime::Handle::current();
            let tasks_before = runtime.metrics().num_alive_tasks();
            let mut spawned = false;
            let log = Arc::new(WakeLog {
                start: Instant::now(),
                done: AtomicBool::new(false),
                at: Mutex::new(Vec::new()),
            });
            let mut dashboard = pin!(load_dashboard(id));
            // After a wake-up when no lookup ends, the task is polled up to 5 ms late (as on a
            // busy runtime), but never past a lookup's end: awaited lookups still wake it then.
            // A wake-up at the very moment of that late poll (a yield_now after a progress
            // line) is part of the same moment, neither held again nor counted.
            let mut late = pin!(sleep_until(log.start));
            let mut held_at: Vec<Duration> = Vec::new();
            let mut held_until: Vec<Duration> = Vec::new();
            let polled = std::future::poll_fn(|cx| {
                let now = log.start.elapsed();
                let woken = log.at.lock().unwrap().last().copied();
                if let Some(at) = woken
                    .filter(|at| !at.is_zero() && !held_at.contains(at) && !held_until.contains(at))
                {
                    let next_end = ends
                        .iter()
                        .map(|&ms| Duration::from_millis(ms))
                        .find(|end| *end >= now);
                    if next_end.is_some_and(|end| end > at) {
                        held_at.push(at);
                        let until = next_end.unwrap().min(at + Duration::from_millis(5));
                        held_until.push(until);
                        late.as_mut().reset(log.start + until);
                    }
                }
                if late.as_mut().poll(cx).is_pending() {
                    return std::task::Poll::Pending;
                }
                let waker = Waker::from(Arc::new(NoteWake {
                    log: Arc::clone(&log),
                    task: cx.waker().clone(),
                }));
                let poll = dashboard.as_mut().poll(&mut Context::from_waker(&waker));
                spawned |= runtime.metrics().num_alive_tasks() > tasks_before;
                poll
            });
            // A call that has not returned after ten minutes: the tests above say why.
            let returned = tokio::time::timeout(Duration::from_secs(600), polled).await;
            log.done.store(true, Ordering::SeqCst);
            if returned.is_err() {
                continue;
            }
            let took = log.start.elapsed();
            assert!(
                held_at.is_empty() || took <= Duration::from_millis(ready),
                "load_dashboard({id}) was woken by a timer of its own after {:?} (no lookup ends \
                 then) and polled a few ms late, as on a busy runtime; it then returned after \
                 {took:?}, not when the lookups allow ({ready} ms): it notices a lookup's end \
                 only when its own timer fires. Await both together (tokio::try_join!): the \
                 task then wakes when a lookup ends",
                held_at[0]
            );
            if took != Duration::from_millis(ready) {
                continue; // Too slow or too fast: the tests above say why.
            }
            let woken = log.at.lock().unwrap().clone();
            let mut needless: Vec<Duration> = woken
                .iter()
                .copied()
                .filter(|at| {
                    !at.is_zero()
                        && !held_until.contains(at)
                        && !ends.iter().any(|&ms| *at == Duration::from_millis(ms))
                })
                .collect();
            // Timers of its own that end at one moment (a progress message for each of
            // its futures) wake it once each: count the moments, not the wake-ups.
            needless.dedup();
            // A timer of its own now and then (a progress message every 40 ms or more) is fine;
            // every few ms, or every 25 ms, is not.
            assert!(
                needless.len() as u64 <= ready / 40,
                "load_dashboard({id})'s task was woken at {} moments in {ready} ms when no lookup had \
                 ended (they end after {ends:?} ms), the first time after {:?}: waking up on a \
                 timer of your own to check on the lookups is busy waiting. Await both \
                 together (tokio::try_join!): the task then wakes when a lookup ends",
                needless.len(),
                needless[0]
            );
            // Both lookups run from the start, so the orders' end (100 ms) wakes the task that
            // awaits them, unless they were awaited in a task of their own.
            let orders_end = Duration::from_millis(ends[0]);
            let waited = spawned || ready == ends[0] || woken.contains(&orders_end);
            assert!(
                waited || !orders_awaited.contains(&id),
                "load_dashboard({id}) was called a second time in this test and was ready after \
                 {ready} ms, but nothing in it waited for the orders lookup, which ends after {} \
                 ms (its task was not woken then, and it spawned no task), while the first call \
                 did wait for it: a value kept from an earlier call (a cache, a static, a \
                 thread_local) is not this call's answer. Look the orders up again at every \
                 call, awaiting both lookups together (tokio::try_join!)",
                ends[0]
            );
            assert!(
                waited,
                "load_dashboard({id}) was ready after {ready} ms, but nothing in it waited for \
                 the orders lookup, which ends after {} ms (its task was not woken then, and it \
                 spawned no task): the orders were not looked up with load_orders. Call \
                 load_name and load_orders, and await both together (tokio::try_join!)",
                ends[0]
            );
            orders_awaited.push(id);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_spawned_task_outlives_the_lookups() {
        for id in [13, 0, 7] {
            let start = Instant::now();
            if load_dashboard_within_ten_minutes(id).await.is_none() {
                continue; // A call that never returns: the tests above say why.
            }
            // Both lookups are over 150 ms after the start, even one in a task of its own that
            // nobody waits for any more (a spawned lookup runs to its end, as in the Tokio docs'
            // try_join! example with spawned tasks): only a task that never ends is left.
            sleep_until(start + Duration::from_millis(151)).await;
            let running = tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks();
            assert_eq!(
                running, 0,
                "load_dashboard({id}) returned, but 151 ms after it started, when both lookups \
                 are over, {running} task(s) it spawned were still running: a task that nobody \
                 awaits or stops (a timer loop, a watcher) runs on for nothing. Await or abort \
                 every task you spawn, or let tokio::try_join! run the lookups"
            );
        }
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

    /// `source` without its `//` and (nested) `/* */` comments; string and char literals are
    /// kept as they are, so a `"//"` inside one is no comment.
    fn without_comments(source: &str) -> String {
        // A `"` inside a raw string (`r#"a "b" c"#`) does not end it.
        let source = &raw_strings_plain(source);
        let chars: Vec<char> = source.chars().collect();
        let mut kept = String::new();
        let mut i = 0;
        while i < chars.len() {
            let next = chars.get(i + 1).copied();
            match chars[i] {
                '/' if next == Some('/') => {
                    while i < chars.len() && chars[i] != '\n' {
                        i += 1;
                    }
                }
                '/' if next == Some('*') => {
                    let mut depth = 0;
                    while i < chars.len() {
                        if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                            depth += 1;
                            i += 2;
                        } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                            depth -= 1;
                            i += 2;
                            if depth == 0 {
                                break;
                            }
                        } else {
                            i += 1;
                        }
                    }
                    kept.push(' ');
                }
                '"' => {
                    kept.push('"');
                    i += 1;
                    while i < chars.len() && chars[i] != '"' {
                        if chars[i] == '\\' {
                            kept.push(chars[i]);
                            i += 1;
                        }
                        if i < chars.len() {
                            kept.push(chars[i]);
                            i += 1;
                        }
                    }
                    if i < chars.len() {
                        kept.push('"');
                        i += 1;
                    }
                }
                '\'' if next == Some('\\') || chars.get(i + 2) == Some(&'\'') => {
                    // A char literal ('"', '\'', '\n'), not a lifetime.
                    let end = (i + 2..chars.len())
                        .find(|&j| chars[j] == '\'')
                        .unwrap_or(chars.len() - 1);
                    kept.extend(&chars[i..=end]);
                    i = end + 1;
                }
                c => {
                    kept.push(c);
                    i += 1;
                }
            }
        }
        kept
    }

    /// The code above the tests without comments and without `fn main` (a demo there is free).
    fn code_outside_main(source: &str) -> String {
        let code = without_comments(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        );
        // `fn main(`, however it is spaced (`fn main ()`).
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let main_at = code.match_indices("fn").map(|(at, _)| at).find(|&at| {
            let rest = &code[at + 2..];
            let name = rest.trim_start();
            !code[..at].ends_with(is_word)
                && name.len() < rest.len()
                && name.starts_with("main")
                && name["main".len()..].trim_start().starts_with('(')
        });
        let Some(at) = main_at else {
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
    /// never a value the code hands back, so a progress line may say what it likes.
    fn without_messages(code: &str) -> String {
        const MESSAGES: [&str; 15] = [
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

    /// `code` without the `let` statements that bind a `format!` nobody reads afterwards (once
    /// the messages are gone): a label made for a progress line is not a value handed back.
    fn without_message_labels(code: &str) -> String {
        // A label may only feed another label (`let msg = format!("waiting for {who}")`).
        let mut code = code.to_string();
        loop {
            let fewer = without_unread_labels(&code);
            if fewer == code {
                return code;
            }
            code = fewer;
        }
    }

    /// One pass of `without_message_labels`.
    fn without_unread_labels(code: &str) -> String {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let mut code = code.to_string();
        let mut from = 0;
        while let Some(found) = code[from..].find("let ") {
            let at = from + found;
            from = at + 4;
            if code[..at].ends_with(is_word) {
                continue;
            }
            let rest = code[from..].trim_start_matches("mut ").trim_start();
            let name: String = rest.chars().take_while(|&c| is_word(c)).collect();
            let after = rest[name.len()..].trim_start();
            let after = after
                .strip_prefix(": String")
                .map_or(after, str::trim_start);
            let Some(call) = after.strip_prefix('=').map(str::trim_start) else {
                continue;
            };
            let Some(args) = call.strip_prefix("format!(") else {
                continue;
            };
            // The end of the statement: the `;` after the `)` that closes `format!(`.
            let open = code.len() - args.len();
            let (mut depth, mut in_text, mut escaped) = (1, false, false);
            let mut close = None;
            for (i, c) in code[open..].char_indices() {
                match (in_text, escaped, c) {
                    (true, true, _) => escaped = false,
                    (true, false, '\\') => escaped = true,
                    (_, false, '"') => in_text = !in_text,
                    (false, _, '(' | '[' | '{') => depth += 1,
                    (false, _, ')' | ']' | '}') => {
                        depth -= 1;
                        if depth == 0 {
                            close = Some(open + i + 1);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let Some(close) = close else { continue };
            if !code[close..].trim_start().starts_with(';') || name.is_empty() {
                continue;
            }
            let end = close + code[close..].find(';').unwrap() + 1;
            let others = format!("{} {}", &code[..at], &code[end..]);
            let used = others.split(|c: char| !is_word(c)).any(|word| word == name);
            if !used {
                code.replace_range(at..end, " ");
                from = at;
            }
        }
        code
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

    /// How many string literals of `code` make a user's name ("user{id}", or a dashboard
    /// "user{id}: {} open orders"); one that only says something about a user ("user{id}'s
    /// orders", "user{id}: the lookups took too long") makes none.
    fn user_names(code: &str) -> usize {
        let chars: Vec<char> = code.chars().collect();
        let mut names = 0;
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '\'' if chars.get(i + 1) == Some(&'\\') || chars.get(i + 2) == Some(&'\'') => {
                    // A char literal ('"', '\''), not a lifetime.
                    i = (i + 2..chars.len())
                        .find(|&j| chars[j] == '\'')
                        .unwrap_or(chars.len())
                        + 1;
                }
                '"' => {
                    let mut text = String::new();
                    i += 1;
                    while i < chars.len() && chars[i] != '"' {
                        if chars[i] == '\\' {
                            i += 1;
                        }
                        if let Some(&c) = chars.get(i) {
                            text.push(c);
                        }
                        i += 1;
                    }
                    i += 1;
                    let Some(at) = text.find("user{") else {
                        continue;
                    };
                    // What the text says besides the name and its placeholders.
                    let mut rest = String::new();
                    let mut depth = 0;
                    for c in text[..at].chars().chain(text[at + 4..].chars()) {
                        match c {
                            '{' => depth += 1,
                            '}' => depth -= 1,
                            c if depth == 0 => rest.push(c),
                            _ => {}
                        }
                    }
                    let rest = rest.trim_matches(|c: char| c.is_whitespace() || c == ':');
                    if rest.is_empty() || rest.contains("open orders") {
                        names += 1;
                    }
                }
                _ => i += 1,
            }
        }
        names
    }

    /// Values written by hand after a wait look the same from outside, so this test reads the
    /// source (what a message prints, or a panic says, or a label made only for one, is free).
    #[test]
    fn nothing_is_written_by_hand() {
        let code = without_message_labels(&without_messages(&code_outside_main(include_str!(
            "try_join_dashboard.rs"
        ))));
        let mut copied = written_twice(&code, &["13"], &["does not exist", "service is down"]);
        if user_names(&code) > 1 {
            copied.push("user{");
        }
        assert!(
            copied.is_empty(),
            "the code writes {copied:?} a second time, beside the ids, names or errors of load_name and load_orders: \
             the dashboard must come from the lookups themselves: run both with tokio::try_join! and return the first error as it comes, for any id"
        );
    }

    /// Every other test runs on a current-thread runtime, where a spawned task runs on the
    /// thread of the call that awaits it. `#[tokio::main]` builds a multi-thread runtime: here
    /// load_dashboard runs on one (with the real clock), made and awaited inside `block_on` on this
    /// test's own thread, outside the runtime's worker threads.
    #[test]
    fn load_dashboard_works_on_a_multi_thread_runtime() {
        let expected = Ok::<String, String>(String::from("user7: 14 open orders"));
        // What the call did on a runtime from `builder` (real clock), run from this thread.
        let run = |mut builder: tokio::runtime::Builder| {
            let runtime = builder.enable_all().build().unwrap();
            let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // Made and awaited inside the runtime, as under `#[tokio::main]`: a future that
                // spawns its work when it is made (not when first awaited) finds the runtime.
                runtime.block_on(async {
                    tokio::time::timeout(Duration::from_secs(5), async { load_dashboard(7).await })
                        .await
                })
            }));
            runtime.shutdown_timeout(Duration::from_secs(1));
            match got {
                Ok(Ok(got)) => (got == expected, format!("returned {got:?}")),
                Ok(Err(_)) => (
                    false,
                    String::from("had not returned after 5 s (the lookups take 150 ms)"),
                ),
                Err(_) => (false, String::from("panicked (its message is above)")),
            }
        };
        let mut multi_thread = tokio::runtime::Builder::new_multi_thread();
        multi_thread.worker_threads(2);
        let (right, seen) = run(multi_thread);
        if right {
            return;
        }
        // The same call on a current-thread runtime, the kind the other tests run on.
        let (right_here, here) = run(tokio::runtime::Builder::new_current_thread());
        assert!(
            !right_here,
            "on a multi-thread runtime (the kind #[tokio::main] builds), called from outside its \
             worker threads, load_dashboard(7) {seen}, not {expected:?} (on a current-thread \
             runtime it returned that): the answer depends on the thread the work ran on. A \
             result left on the thread that computed it (a thread_local, anything kept per \
             thread) is lost when the task runs on another thread, and one read before its task \
             is awaited may not be there yet. Hand it back through the JoinHandle's output or a \
             channel, and await it"
        );
        panic!(
            "load_dashboard(7) {seen} on a multi-thread runtime and {here} on a current-thread \
             one, not {expected:?} (both with the real clock; the other tests run on a paused one)"
        );
    }

    /// load_dashboard(id) awaited on a fresh runtime whose clock runs in real time (a
    /// multi-thread one with 2 workers, as `#[tokio::main]` builds, or a current-thread one), on
    /// a thread named main: what it returned and how long it took on the real clock, or what
    /// went wrong. The test gives up waiting after 5 s of real time (a thread left waiting ends
    /// with the test program).
    fn load_dashboard_on_a_running_clock(
        id: u32,
        multi_thread: bool,
    ) -> Result<(Result<String, String>, std::time::Duration), &'static str> {
        let (send, done) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("main".to_string())
            .spawn(move || {
                let runtime = if multi_thread {
                    let mut builder = tokio::runtime::Builder::new_multi_thread();
                    builder.worker_threads(2);
                    builder
                } else {
                    tokio::runtime::Builder::new_current_thread()
                }
                .enable_all()
                .build()
                .unwrap();
                let got = runtime.block_on(async {
                    let start = std::time::Instant::now();
                    let dashboard = load_dashboard(id).await;
                    (dashboard, start.elapsed())
                });
                let _ = send.send(got);
            })
            .unwrap();
        done.recv_timeout(std::time::Duration::from_secs(5))
            .map_err(|error| match error {
                std::sync::mpsc::RecvTimeoutError::Timeout => {
                    "had not returned after 5 s (the lookups take 150 ms at most)"
                }
                std::sync::mpsc::RecvTimeoutError::Disconnected => {
                    "panicked (its message is in the full output, from the thread named main)"
                }
            })
    }

    /// Every other test but one pauses Tokio's clock; a program (main) runs on a real one. Code
    /// that tells the two apart (a paused clock stands still) and looks one thing up after the
    /// other, or waits for both lookups before it checks for an error, only on a real clock
    /// shows here: on runtimes like the tests' (one thread) and main's (multi-threaded), clocks
    /// running, load_dashboard is timed on the real clock. A real timer never ends early: user
    /// 7's lookups one after the other take 250 ms or more (at the same time, about 150 ms),
    /// and user 13's error, if anything waits for the 150 ms name, comes after 150 ms or more
    /// (failing fast, after about 100 ms). One try under the limit is enough: a busy machine
    /// may slow a try down, so there are up to 5.
    #[test]
    fn the_dashboard_is_fast_on_a_running_clock() {
        let cases = [
            (
                7,
                Ok(String::from("user7: 14 open orders")),
                235,
                "Run at the same time, the 150 ms name and the 100 ms orders take about 150 ms; \
                 one after the other, 250 ms or more (a real timer never ends early, and a busy \
                 machine seldom slows five tries in a row by 85 ms). So on a running clock the \
                 lookups ran one after the other",
            ),
            (
                13,
                Err(String::from("the order service is down")),
                145,
                "The orders fail after 100 ms; anything that waits for the 150 ms name lookup \
                 as well returns the error after 150 ms or more (a real timer never ends early, \
                 and a busy machine seldom slows five tries in a row by 45 ms). So on a running \
                 clock the error waited for the name, or was only noticed when a timer of the \
                 code's own fired (a check on the lookups every 50 ms: on a real clock the \
                 checks and the lookups are not in step, so the orders' end is seen only at \
                 the next check), or \
                 the lookups ran one after the other",
            ),
        ];
        for multi_thread in [false, true] {
            let runtime = if multi_thread {
                "on a multi-threaded runtime, as main's,"
            } else {
                "on a runtime with one thread, as the tests',"
            };
            for (id, expected, limit, seen) in &cases {
                let limit = std::time::Duration::from_millis(*limit);
                let mut tries = Vec::new();
                while tries.len() < 5 {
                    let (dashboard, took) =
                        match load_dashboard_on_a_running_clock(*id, multi_thread) {
                            Ok(got) => got,
                            Err(what) => panic!(
                                "{runtime} whose clock runs in real time (every other test but one \
                             pauses Tokio's clock), load_dashboard({id}) {what}: run both \
                             lookups at once and return the first error as it comes, whatever \
                             clock or runtime it runs on (tokio::try_join!)"
                            ),
                        };
                    assert_eq!(
                        &dashboard, expected,
                        "{runtime} whose clock runs in real time (every other test but one \
                         pauses Tokio's clock), load_dashboard({id}) returned {dashboard:?}: \
                         return what the lookups give, or the first error, whatever clock or \
                         runtime it runs on"
                    );
                    if took < limit {
                        break;
                    }
                    tries.push(format!("{} ms", took.as_millis()));
                }
                assert!(
                    tries.len() < 5,
                    "{runtime} whose clock runs in real time, as in a program (every other test \
                     but one pauses Tokio's clock), load_dashboard({id}) took {} on the \
                     real clock in 5 tries, each {} ms or more. {seen}: run both lookups at \
                     once and return the first error as soon as it comes, on every path, \
                     whatever clock or runtime the code runs on (tokio::try_join!)",
                    tries.join(", "),
                    limit.as_millis()
                );
            }
        }
    }

    /// 500 users at once, each with a dashboard that is ready after 150 ms: the id, what came
    /// back and when (after the start), for those that did not show their dashboard then.
    async fn five_hundred_dashboards_at_once() -> Vec<(u32, Result<String, String>, Duration)> {
        let start = Instant::now();
        let boards = (1_000..1_500u32).map(|id| async move {
            let dashboard = load_dashboard(id).await;
            (id, dashboard, start.elapsed())
        });
        let shown = futures_util::future::join_all(boards).await;
        (shown.into_iter())
            .filter(|(id, dashboard, took)| {
                *dashboard != Ok(format!("user{id}: {} open orders", id * 2))
                    || *took != Duration::from_millis(150)
            })
            .collect()
    }

    /// Every dashboard is ready after its own 150 ms, however many users wait at once, and a
    /// user who left (the call dropped half-way, as a web server drops the request of a client
    /// that went away) runs none of its code past the `.await` where it waited: a count of
    /// dashboards being loaded or a permit in a `static`, given back only when a call returns,
    /// is never given back for it, and later users find the services "busy".
    #[tokio::test(start_paused = true)]
    async fn users_who_left_change_nothing_for_the_next_ones() {
        let wrong = five_hundred_dashboards_at_once().await;
        assert!(
            wrong.is_empty(),
            "500 users asked for their dashboards at once, and {} of them did not get it after \
             150 ms (the first: user {} got {:?} after {:?}): every dashboard takes as long as \
             its own slower lookup, however many users wait at once. Do not cap or queue the \
             calls (a semaphore or a count in a static): run each call's two lookups at the \
             same time (tokio::try_join!)",
            wrong.len(),
            wrong[0].0,
            wrong[0].1,
            wrong[0].2
        );
        // 500 users leave after 50 ms, while their lookups are under way.
        let left = (2_000..2_500u32)
            .map(|id| tokio::time::timeout(Duration::from_millis(50), load_dashboard(id)));
        futures_util::future::join_all(left).await;
        let wrong = five_hundred_dashboards_at_once().await;
        assert!(
            wrong.is_empty(),
            "500 users who left after 50 ms (each call dropped while it waited, as a web server \
             drops the request of a client that went away), then 500 users at once: {} of those \
             did not get their dashboard after 150 ms (the first: user {} got {:?} after \
             {:?}), though 500 users at once got theirs before the others left. A call dropped \
             while it waits runs none of its code after that .await, so something it took to \
             give back at its end (a count of dashboards being loaded, a permit, a flag in a \
             static) was never given back. Keep nothing that a dropped call leaves behind: \
             tokio::try_join! needs nothing else",
            wrong.len(),
            wrong[0].0,
            wrong[0].1,
            wrong[0].2
        );
    }
}
