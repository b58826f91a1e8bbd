// Race two futures with `tokio::select!`.
//
// The same file sits on two mirrors. `first_answer` must return the reply of
// whichever mirror answers first and forget about the other one. `join!`
// waits for both and always keeps the primary's reply. With `select!`, the
// first branch to finish wins, and the losing future is dropped, which
// cancels it: the slow mirror never gets to finish.

use std::sync::{Arc, Mutex};

use tokio::time::{Duration, sleep};

/// Records which mirrors finished their work.
type Log = Arc<Mutex<Vec<String>>>;

async fn ask_mirror(log: Log, name: &'static str, ms: u64) -> String {
    sleep(Duration::from_millis(ms)).await;
    log.lock().unwrap().push(format!("{name} finished"));
    format!("reply from {name}")
}

pub async fn first_answer(log: Log, primary_ms: u64, backup_ms: u64) -> String {
    // TODO: `join!` waits for BOTH mirrors. Race them and keep the first reply.
    let (primary, _backup) = tokio::join!(
        ask_mirror(log.clone(), "primary", primary_ms),
        ask_mirror(log, "backup", backup_ms),
    );
    primary
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::task::Poll;
    use tokio::time::Instant;

    /// The reply, how long it took, and which mirrors had finished 1 s after it returned.
    async fn race(primary_ms: u64, backup_ms: u64) -> (String, Duration, Vec<String>) {
        let log = Log::default();
        let start = Instant::now();
        let reply = first_answer(log.clone(), primary_ms, backup_ms).await;
        let took = start.elapsed();
        // Give the losing mirror plenty of time to finish, if it is still running.
        sleep(Duration::from_secs(1)).await;
        let finished = log.lock().unwrap().clone();
        (reply, took, finished)
    }

    #[tokio::test(start_paused = true)]
    async fn both_mirrors_are_asked() {
        for (primary_ms, backup_ms) in [(300, 50), (40, 200)] {
            let log = Log::default();
            let mut asking = std::pin::pin!(first_answer(log.clone(), primary_ms, backup_ms));
            // A few steps of first_answer (and of any task it spawns) at 0 ms, after which
            // both mirrors are still working on their reply...
            let mut answered = false;
            for _ in 0..10 {
                let step = std::future::poll_fn(|cx| Poll::Ready(asking.as_mut().poll(cx))).await;
                if step.is_ready() {
                    answered = true;
                    break;
                }
                tokio::task::yield_now().await;
            }
            // ...and every `ask_mirror` call holds the `Log` it was given until it ends or is
            // dropped.
            let holders = Arc::strong_count(&log) - 1;
            assert!(
                !answered,
                "(primary {primary_ms} ms, backup {backup_ms} ms) first_answer returned at 0 ms, \
                 before any mirror could answer: return the reply of the mirror that answers \
                 first"
            );
            assert!(
                holders >= 2,
                "(primary {primary_ms} ms, backup {backup_ms} ms) while first_answer waited at \
                 0 ms, the log was held by {holders} holder(s) besides the test, but every \
                 `ask_mirror` call holds the `Log` it is given until it ends or is dropped: only \
                 one mirror was being asked. A real mirror does not tell in advance how fast it \
                 will be, so ask both at once and keep the first reply (tokio::select!)"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_fast_backup_wins() {
        let (reply, took, _) = race(300, 50).await;
        assert_eq!(
            reply, "reply from backup",
            "the backup answers after 50 ms and the primary after 300 ms: the backup's reply must win"
        );
        assert!(
            took < Duration::from_millis(100),
            "first_answer took {took:?}: it waited for the slow mirror too; \
             return as soon as the first reply arrives (tokio::select!)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_fast_primary_wins() {
        let (reply, took, _) = race(40, 200).await;
        assert_eq!(
            reply, "reply from primary",
            "the primary answers after 40 ms and the backup after 200 ms: the primary's reply must win"
        );
        assert!(
            took < Duration::from_millis(100),
            "first_answer took {took:?}: it waited for the slow mirror too; \
             return as soon as the first reply arrives (tokio::select!)"
        );
    }

    /// Both mirrors slow, but under a second: a made-up reply after a wait of the code's own
    /// (a third `select!` branch, a `timeout` with a default) shows here.
    #[tokio::test(start_paused = true)]
    async fn slow_mirrors_still_give_the_first_reply() {
        for (primary_ms, backup_ms, winner) in [(900, 950, "primary"), (950, 900, "backup")] {
            let (reply, took, _) = race(primary_ms, backup_ms).await;
            let first = Duration::from_millis(900);
            let expected = format!("reply from {winner}");
            assert!(
                reply == expected,
                "(primary {primary_ms} ms, backup {backup_ms} ms) first_answer returned {reply:?} \
                 after {took:?}, not {expected:?}: both mirrors are slow here, and the {winner} \
                 answers first, after {first:?}. Wait for the first mirror that answers, \
                 however slow, and return its reply"
            );
            assert!(
                took < first + Duration::from_millis(100),
                "(primary {primary_ms} ms, backup {backup_ms} ms) first_answer returned the \
                 {winner}'s reply after {took:?}, but the {winner} answered after {first:?}: \
                 return as soon as the first reply arrives"
            );
        }
    }

    /// Both mirrors slower than any give-up a fix might pick (an hour and a half, on the
    /// paused clock): a made-up reply after a wait of the code's own (a third `select!` branch,
    /// a `timeout` with a default) shows here. A safety net that panics is fine.
    #[tokio::test(start_paused = true)]
    async fn mirrors_slower_than_an_hour_still_give_the_first_reply() {
        use futures_util::FutureExt;
        let first = Duration::from_millis(5_400_000);
        for (primary_ms, backup_ms, winner) in [
            (5_400_000, 5_400_050, "primary"),
            (5_400_050, 5_400_000, "backup"),
        ] {
            let start = Instant::now();
            let mut asking = std::pin::pin!(first_answer(Log::default(), primary_ms, backup_ms));
            // Checking on the mirrors on a timer would wake first_answer over and over in
            // this long wait: the_mirrors_are_not_checked_on_a_timer tells about that. A
            // progress timer is fine, but each of its ticks costs real time (a 40 ms one ticks
            // 135 000 times in this wait, seconds of CPU): past 10 000 polls (a timer of less
            // than half a second), this test stops watching.
            let mut polls = 0u32;
            let counted = std::future::poll_fn(|cx| {
                polls += 1;
                if polls > 10_000 {
                    return Poll::Ready(None);
                }
                asking.as_mut().poll(cx).map(Some)
            });
            let reply = match std::panic::AssertUnwindSafe(counted).catch_unwind().await {
                Ok(Some(reply)) => reply,
                // Woken too often, or a safety net that panicked: other tests judge those.
                Ok(None) | Err(_) => continue,
            };
            let took = start.elapsed();
            let expected = format!("reply from {winner}");
            assert!(
                reply == expected || took >= first,
                "(primary {primary_ms} ms, backup {backup_ms} ms) first_answer returned \
                 {reply:?} after {took:?} of paused time, while both mirrors were still on \
                 their way (the {winner} answers first, after {first:?}): wait for the first \
                 real reply, however long it takes; a safety net may panic, but must not make \
                 up a reply"
            );
            assert!(
                reply == expected,
                "(primary {primary_ms} ms, backup {backup_ms} ms) first_answer returned \
                 {reply:?} after {took:?} of paused time, not {expected:?}: the {winner} \
                 answers first, after {first:?}. Wait for the first mirror that answers, \
                 however slow, and return its reply"
            );
            assert!(
                took < first + Duration::from_millis(50),
                "(primary {primary_ms} ms, backup {backup_ms} ms) first_answer returned the \
                 {winner}'s reply after {took:?} of paused time, but the {winner} answered \
                 after {first:?}: return as soon as the first reply arrives"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_mirror_that_answers_at_once_wins() {
        for (primary_ms, backup_ms, winner) in [(0, 80, "primary"), (60, 0, "backup")] {
            let (reply, took, finished) = race(primary_ms, backup_ms).await;
            assert_eq!(
                (reply, took, finished),
                (
                    format!("reply from {winner}"),
                    Duration::ZERO,
                    vec![format!("{winner} finished")]
                ),
                "(primary {primary_ms} ms, backup {backup_ms} ms) the {winner} had the file at \
                 hand and answered at once: first_answer must return its reply right away \
                 (reply, time taken, mirrors that finished), and drop the other mirror"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_loser_is_cancelled() {
        for (primary_ms, backup_ms, winner) in [(300, 50, "backup"), (40, 200, "primary")] {
            let (_, _, finished) = race(primary_ms, backup_ms).await;
            assert_eq!(
                finished,
                [format!("{winner} finished")],
                "the log shows {finished:?} (primary {primary_ms} ms, backup {backup_ms} ms), \
                 1 s after first_answer returned: only the winning mirror may finish. The \
                 losing future must be dropped (select! does that), not awaited or left \
                 running in a spawned task"
            );
        }
        // Close races: the loser would answer 1 ms after the winner, so it must be stopped
        // by the time first_answer returns, not a while later.
        for (primary_ms, backup_ms, winner, loser) in [
            (100, 101, "primary", "backup"),
            (101, 100, "backup", "primary"),
        ] {
            let (reply, took, finished) = race(primary_ms, backup_ms).await;
            let loser_ms = primary_ms.max(backup_ms);
            assert!(
                !finished.contains(&format!("{loser} finished")),
                "(primary {primary_ms} ms, backup {backup_ms} ms) first_answer returned {reply:?} \
                 after {took:?}, and 1 s later the log shows {finished:?}: the {loser}, which \
                 answers 1 ms after the {winner}, was still running {loser_ms} ms in and \
                 finished. Only the winning mirror may finish: stop the loser as soon as the \
                 first reply arrives (select! drops it; a spawned mirror must be aborted then), \
                 not a while later"
            );
            assert_eq!(
                finished,
                [format!("{winner} finished")],
                "the log shows {finished:?} (primary {primary_ms} ms, backup {backup_ms} ms), \
                 1 s after first_answer returned: only the winning mirror, the {winner}, may \
                 finish"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_loser_is_dropped() {
        for (primary_ms, backup_ms) in [(300, 50), (40, 200)] {
            let log = Log::default();
            first_answer(log.clone(), primary_ms, backup_ms).await;
            // Time for a task that was told to stop (`abort`) to be dropped.
            sleep(Duration::from_secs(1)).await;
            let holders = Arc::strong_count(&log) - 1;
            assert!(
                holders == 0,
                "(primary {primary_ms} ms, backup {backup_ms} ms) 1 s after first_answer \
                 returned, the log still had {holders} holder(s) besides the test. Every \
                 `ask_mirror` call holds the `Log` it is given until it ends or is dropped, so \
                 either the losing mirror's future was kept (forgotten, stored or leaked), not \
                 dropped, or something else that got a clone of the log (a task left running) \
                 is still there. Let select! drop the loser, and leave nothing running that \
                 holds the log once first_answer returns"
            );
        }
    }

    /// Two races at once, the second started 20 ms after the first: each keeps its own
    /// winner's reply and stops its own loser. State that every call shares (a `JoinSet` or a
    /// timer kept in a `static` or a `thread_local`) gives the same answers when the calls come
    /// one at a time, as in the other tests, but not here.
    #[tokio::test(start_paused = true)]
    async fn two_races_at_once_each_keep_their_own_winner() {
        use futures_util::FutureExt;
        // The first race: the backup wins at 50 ms. The second, asked for at 20 ms: its primary
        // wins 40 ms later (at 60 ms), while the first race's primary is still on its way.
        let first = race(300, 50);
        let second = async {
            sleep(Duration::from_millis(20)).await;
            race(40, 200).await
        };
        let both = std::panic::AssertUnwindSafe(async { tokio::join!(first, second) })
            .catch_unwind()
            .await;
        let Ok((first, second)) = both else {
            panic!(
                "two races ran at once (the second started 20 ms after the first), and \
                 first_answer panicked (its message is above): a JoinSet, a timer or a RefCell \
                 that every call shares (kept in a static or a thread_local) and that one call \
                 holds across an .await cannot serve a second race at the same time (\
                 \"already borrowed\"). Let each call race its own two mirrors \
                 (tokio::select!)"
            );
        };
        for ((reply, took, finished), (which, primary_ms, backup_ms, winner, ms)) in [
            (first, ("first", 300, 50, "backup", 50)),
            (second, ("second", 40, 200, "primary", 40)),
        ] {
            let expected = (
                format!("reply from {winner}"),
                Duration::from_millis(ms),
                vec![format!("{winner} finished")],
            );
            assert_eq!(
                (reply, took, finished),
                expected,
                "two races ran at once, the second started 20 ms after the first: the {which} \
                 race (primary {primary_ms} ms, backup {backup_ms} ms) must return its {winner}'s \
                 reply {ms} ms after it started, and only its {winner} may finish (reply, time \
                 taken, mirrors of its own log that finished). Each call races its own two \
                 mirrors, whatever other races are on: state that every call shares (in a \
                 static or a thread_local) mixes them up (tokio::select!)"
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
                        return durations_handed_on(&format!(
                            "{}{}",
                            &code[..at],
                            &code[at + open + i + 1..]
                        ));
                    }
                }
                _ => {}
            }
        }
        durations_handed_on(&code)
    }

    /// `code` with a delay given a type and handed on unchanged read as the delay itself: a
    /// name (a `let`, a parameter, a field) that holds a `Duration::from_millis(..)` and is
    /// only ever read as `name.as_millis() as u64` (ask_mirror's argument), or handed whole to
    /// another such name, loses both (`Duration::from_millis(primary_ms)` becomes `primary_ms`,
    /// `wait.as_millis() as u64` becomes `wait`). Any other use keeps the code as it is.
    fn durations_handed_on(code: &str) -> String {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        const BACK: &str = ".as_millis() as u64";
        let words = |text: &str| -> Vec<(usize, String)> {
            let mut found = Vec::new();
            let mut start = None;
            for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
                match (is_word(c), start) {
                    (true, None) => start = Some(i),
                    (false, Some(from)) => {
                        found.push((from, text[from..i].to_string()));
                        start = None;
                    }
                    _ => {}
                }
            }
            found
        };
        // `Duration::from_millis(`, with or without a path, at `at`: where its argument starts.
        let made_at = |at: usize| -> Option<usize> {
            let rest = &code[at..];
            let rest = ["std::time::", "tokio::time::", "core::time::"]
                .iter()
                .find_map(|path| rest.strip_prefix(path))
                .unwrap_or(rest);
            let rest = rest.strip_prefix("Duration::from_millis(")?;
            Some(code.len() - rest.len())
        };
        let functions = functions(code);
        // The parameter a call's argument at `at` is handed to (`ask(log, "p", <at>)`).
        let parameter_at = |at: usize| -> Option<String> {
            let before = code[..at].trim_end();
            if !before.ends_with(['(', ',']) {
                return None;
            }
            let (mut depth, mut index) = (0, 0);
            let open = before.char_indices().rev().find(|&(_, c)| {
                match c {
                    ')' | ']' | '}' => depth += 1,
                    '(' | '[' | '{' if depth > 0 => depth -= 1,
                    '(' if depth == 0 => return true,
                    '[' | '{' => return true,
                    ',' if depth == 0 => index += 1,
                    _ => {}
                }
                false
            });
            let (open, '(') = open? else {
                return None;
            };
            let callee = code[..open].trim_end();
            let name = &callee[callee.trim_end_matches(is_word).len()..];
            let method = callee[..callee.len() - name.len()].ends_with('.');
            let (_, parameters, _) = functions.iter().find(|f| f.0 == name)?;
            let shift = usize::from(
                method
                    && parameters
                        .first()
                        .is_some_and(|p| p.trim_start_matches('&').ends_with("self")),
            );
            parameters.get(index + shift).cloned()
        };
        // The name whose value the `Duration::from_millis(` at `at` is: a `let`, a field, a
        // parameter.
        let holder_at = |at: usize| -> Option<String> {
            if let Some(parameter) = parameter_at(at) {
                return Some(parameter);
            }
            let before = code[..at].trim_end();
            let before = before
                .strip_suffix('=')
                .filter(|b| !b.ends_with(['=', '!', '<', '>']))
                .map(|b| {
                    let b = b.trim_end();
                    // `let wait: Duration =`
                    match b.rsplit_once(':') {
                        Some((name, kind))
                            if kind.trim().ends_with("Duration")
                                && kind.trim().chars().all(|c| is_word(c) || c == ':') =>
                        {
                            name.trim_end()
                        }
                        _ => b,
                    }
                })
                .or_else(|| {
                    before
                        .strip_suffix(':')
                        .filter(|b| !b.ends_with(':'))
                        .map(str::trim_end)
                })?;
            let name = &before[before.trim_end_matches(is_word).len()..];
            (!name.is_empty()).then(|| name.to_string())
        };
        // Every name a Duration is made for or declared as.
        let mut held: Vec<String> = Vec::new();
        for (at, _) in code.match_indices("Duration") {
            if code[..at].ends_with(is_word) || code[at + "Duration".len()..].starts_with(is_word) {
                continue;
            }
            let before = code[..at].trim_end_matches(|c: char| is_word(c) || c == ':');
            if made_at(before.len()).is_some() {
                if let Some(name) = holder_at(before.len()) {
                    held.push(name);
                }
            } else if let Some(declared) = before.trim_end().strip_suffix(':') {
                let name = &declared[declared.trim_end_matches(is_word).len()..];
                if !name.is_empty() {
                    held.push(name.to_string());
                }
            }
        }
        // Keep the names whose every use is `.as_millis() as u64`, its own declaration or
        // `let`, a field written in short (`Mirror { name, delay }`), or an argument for
        // another kept name; drop the others until none is dropped.
        loop {
            let before = held.len();
            let kept: Vec<String> = held
                .iter()
                .filter(|name| {
                    words(code)
                        .iter()
                        .filter(|(_, w)| w == *name)
                        .all(|&(at, _)| {
                            let after = &code[at + name.len()..];
                            let ahead = after.trim_start();
                            let behind = code[..at].trim_end();
                            after.starts_with(BACK)
                                || (ahead.starts_with(':') && !ahead.starts_with("::"))
                                || behind.ends_with("let")
                                    && !behind[..behind.len() - 3].ends_with(is_word)
                                || behind.ends_with("let mut")
                                || (behind.ends_with(['{', ',']) && ahead.starts_with([',', '}']))
                                || (ahead.starts_with([',', ')'])
                                    && parameter_at(at).is_some_and(|p| held.contains(&p)))
                        })
                })
                .cloned()
                .collect();
            held = kept;
            if held.len() == before {
                break;
            }
        }
        held.retain(|name| !["primary_ms", "backup_ms"].contains(&name.as_str()));
        if held.is_empty() {
            return code.to_string();
        }
        // The cuts: each `Duration::from_millis(` made for a kept name (and the `)` that closes
        // it), each `.as_millis() as u64` after one.
        let mut cuts: Vec<(usize, usize)> = Vec::new();
        for (at, _) in code.match_indices("Duration") {
            if code[..at].ends_with(is_word) {
                continue;
            }
            let start = code[..at]
                .trim_end_matches(|c: char| is_word(c) || c == ':')
                .len();
            let Some(open) = made_at(start) else {
                continue;
            };
            if !holder_at(start).is_some_and(|name| held.contains(&name)) {
                continue;
            }
            let mut depth = 1;
            let Some(close) = code[open..].char_indices().find_map(|(i, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(open + i)
            }) else {
                continue;
            };
            cuts.push((start, open));
            cuts.push((close, close + 1));
        }
        for (at, name) in words(code) {
            if held.contains(&name) && code[at + name.len()..].starts_with(BACK) {
                cuts.push((at + name.len(), at + name.len() + BACK.len()));
            }
        }
        cuts.sort();
        cuts.dedup();
        let mut kept = String::new();
        let mut from = 0;
        for (start, end) in cuts {
            if start >= from {
                kept.push_str(&code[from..start]);
                from = end;
            }
        }
        kept.push_str(&code[from..]);
        kept
    }

    /// `code` without the arguments of the macros that only print, check or panic
    /// (`println!`, `assert!`, `panic!`, ...) and of `.expect(..)`: their text is a message,
    /// never a value the code hands back, so a progress line may say what it likes.
    fn without_messages(code: &str) -> String {
        const MESSAGES: [&str; 18] = [
            "print!(",
            "println!(",
            // A message written to a writer (`writeln!(std::io::stderr(), ..)`).
            "write!(",
            "writeln!(",
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
            // Only as a statement of its own (`dbg!(primary_ms, backup_ms);`): its value is
            // thrown away.
            "dbg!(",
        ];
        let starts_word =
            |at: usize| !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        // A macro of the code's own that only prints (`macro_rules! trace { ($($t:tt)*) =>
        // { eprintln!($($t)*) } }`): its arguments are a message too.
        let mut messages: Vec<String> = MESSAGES.iter().map(|m| m.to_string()).collect();
        messages.extend(
            printing_macros(code)
                .into_iter()
                .map(|name| format!("{name}!(")),
        );
        let mut kept = String::new();
        let mut from = 0;
        let mut at = 0;
        while at < code.len() {
            let Some(message) = messages.iter().find(|m| {
                code[at..].starts_with(m.as_str()) && (m.starts_with('.') || starts_word(at))
            }) else {
                at += code[at..].chars().next().map_or(1, char::len_utf8);
                continue;
            };
            let open = at + message.len();
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
            let statement = code[..at].trim_end().is_empty()
                || code[..at].trim_end().ends_with([';', '{', '}'])
                    && code
                        .get(end + 1..)
                        .is_some_and(|after| after.trim_start().starts_with(';'));
            // A message that also stores a value (`{ limit = backup_ms; limit }`) is kept.
            if !changes_something(&code[open..end]) && (message != "dbg!(" || statement) {
                kept.push_str(&code[from..open]);
                from = end;
            }
            at = end;
        }
        kept.push_str(&code[from..]);
        kept
    }

    /// The names of the macros `code` defines (`macro_rules! trace { .. }`) whose every
    /// expansion only calls the std macros that print or format (`println!`, `eprintln!`,
    /// `print!`, `eprint!`, `format!`, `format_args!`, `write!`, `writeln!`).
    fn printing_macros(code: &str) -> Vec<String> {
        const PRINTING: [&str; 8] = [
            "print",
            "println",
            "eprint",
            "eprintln",
            "format",
            "format_args",
            "write",
            "writeln",
        ];
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        // The text of the bracketed group that `text` opens with, without its brackets.
        let group = |text: &str| -> Option<usize> {
            let mut depth = 0;
            for (i, c) in text.char_indices() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i);
                        }
                    }
                    _ => {}
                }
            }
            None
        };
        let mut names = Vec::new();
        for (at, _) in code.match_indices("macro_rules!") {
            if code[..at].ends_with(is_word) {
                continue;
            }
            let rest = code[at + "macro_rules!".len()..].trim_start();
            let name: String = rest.chars().take_while(|&c| is_word(c)).collect();
            let rest = rest[name.len()..].trim_start();
            let Some(end) = group(rest).filter(|_| !name.is_empty()) else {
                continue;
            };
            let rules = &rest[1..end];
            // Each rule: a matcher group, `=>`, an expansion group, and a `;` between rules.
            let (mut from, mut only_printing, mut expansions) = (0, true, 0);
            while let Some(arrow) = rules[from..].find("=>").map(|a| from + a) {
                let body = rules[arrow + 2..].trim_start();
                let Some(close) = group(body) else {
                    only_printing = false;
                    break;
                };
                expansions += 1;
                let inside = &body[1..close];
                // What is left once the printing macros' calls are taken out.
                let mut left = String::new();
                let mut i = 0;
                while i < inside.len() {
                    let word: String = inside[i..].chars().take_while(|&c| is_word(c)).collect();
                    let after = inside[i + word.len()..].trim_start();
                    if !word.is_empty()
                        && !inside[..i].ends_with(|c: char| is_word(c) || c == '$')
                        && PRINTING.contains(&word.as_str())
                        && after.starts_with('!')
                        && after[1..].trim_start().starts_with(['(', '[', '{'])
                    {
                        let call = after[1..].trim_start();
                        let skip = group(call).map_or(call.len(), |e| e + 1);
                        i = inside.len() - call.len() + skip;
                        continue;
                    }
                    let c = inside[i..].chars().next().unwrap_or(' ');
                    left.push(c);
                    i += c.len_utf8();
                }
                // `std::eprintln!`: the path of a printing macro is no more.
                let left = left.replace("std", "").replace("::", "");
                if !left
                    .chars()
                    .all(|c| c.is_whitespace() || "{}();".contains(c))
                {
                    only_printing = false;
                }
                from = arrow + 2 + (rules[arrow + 2..].len() - body.len()) + close + 1;
            }
            if only_printing && expansions > 0 {
                names.push(name);
            }
        }
        names
    }

    /// Whether the arguments of a message assign (`=`, `+=`, ...) or set (`.set(`, `.push(`,
    /// ...) something outside their text: a named argument (`x = primary_ms`) does not.
    fn changes_something(arguments: &str) -> bool {
        let chars: Vec<char> = arguments.chars().collect();
        let (mut depth, mut in_text, mut escaped) = (0, false, false);
        let mut outside = String::new();
        for (i, &c) in chars.iter().enumerate() {
            match (in_text, escaped, c) {
                (true, true, _) => escaped = false,
                (true, false, '\\') => escaped = true,
                (_, false, '"') => in_text = !in_text,
                (false, _, '(' | '[' | '{') => depth += 1,
                (false, _, ')' | ']' | '}') => depth -= 1,
                (false, _, '=') => {
                    let before = chars[..i].iter().rev().find(|c| !c.is_whitespace());
                    let after = chars.get(i + 1);
                    let compares = matches!(before, Some('=' | '!' | '<' | '>'))
                        || matches!(after, Some('=' | '>'));
                    let named =
                        depth == 0 && before.is_some_and(|&c| c.is_alphanumeric() || c == '_');
                    if !compares && !named {
                        return true;
                    }
                }
                _ => {}
            }
            if !in_text {
                outside.push(c);
            }
        }
        [
            ".set(",
            ".replace(",
            ".swap(",
            ".store(",
            ".push(",
            ".insert(",
            ".get_or_init(",
        ]
        .iter()
        .any(|method| {
            let outside = outside.replace(' ', "");
            // `text.replace("a", "b")` (two arguments) makes a new text and sets nothing.
            outside.match_indices(method).any(|(at, _)| {
                *method != ".replace(" || call_arguments(&outside[at + method.len()..]).len() == 1
            })
        })
    }

    /// `code` without the `let` statements that bind a `format!` or a `Duration::from_..(..)`
    /// nobody reads afterwards (once the messages are gone): a label made for a progress line
    /// is not a value handed back, and a Duration only shown times nothing.
    fn without_message_labels(code: &str) -> String {
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
            // A type written out: `: String`, `: Duration`, `: std::time::Duration`.
            let after = match after
                .strip_prefix(':')
                .and_then(|typed| typed.split_once('='))
            {
                Some((kind, _))
                    if ["String", "Duration"]
                        .contains(&kind.trim().rsplit("::").next().unwrap_or("")) =>
                {
                    after[1 + kind.len()..].trim_start()
                }
                _ => after,
            };
            let Some(call) = after.strip_prefix('=').map(str::trim_start) else {
                continue;
            };
            let Some(args) = call.strip_prefix("format!(").or_else(|| {
                let made = ["std::time::", "core::time::", "tokio::time::"]
                    .iter()
                    .find_map(|path| call.strip_prefix(path))
                    .unwrap_or(call)
                    .strip_prefix("Duration::from_")?;
                made.trim_start_matches(is_word).strip_prefix('(')
            }) else {
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
            if !code[close..].trim_start().starts_with(';')
                || name.is_empty()
                || changes_something(&code[open..close - 1])
            {
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

    /// The arguments of a call whose `(` was just before `text`, split at the commas outside
    /// brackets.
    fn call_arguments(text: &str) -> Vec<&str> {
        let mut arguments = Vec::new();
        let (mut depth, mut from) = (0, 0);
        for (i, c) in text.char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth > 0 => depth -= 1,
                ')' | ']' | '}' => {
                    arguments.push(&text[from..i]);
                    return arguments;
                }
                ',' if depth == 0 => {
                    arguments.push(&text[from..i]);
                    from = i + 1;
                }
                _ => {}
            }
        }
        arguments
    }

    /// The functions written in `code`: their name, the names of their parameters, their body.
    fn functions(code: &str) -> Vec<(String, Vec<String>, String)> {
        let mut found = Vec::new();
        for (at, _) in code.match_indices("fn ") {
            if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &code[at + "fn ".len()..];
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let Some(open) = rest.find('(') else {
                continue;
            };
            let parameters = call_arguments(&rest[open + 1..]);
            let after = open + 1 + parameters.iter().map(|p| p.len() + 1).sum::<usize>();
            let Some(body) = rest
                .get(after..)
                .and_then(|r| r.find('{'))
                .map(|b| after + b)
            else {
                continue;
            };
            let mut depth = 0;
            let mut end = rest.len();
            for (i, c) in rest[body..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = body + i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let parameters = parameters
                .iter()
                .map(|p| {
                    let name = p.split(':').next().unwrap_or("").trim();
                    name.trim_start_matches("mut ").trim().to_string()
                })
                .collect();
            found.push((name, parameters, rest[body..end].to_string()));
        }
        found
    }

    /// `code` with the text of its string literals blanked out, but for what their `{..}`
    /// placeholders name.
    fn texts_blanked_but_placeholders(code: &str) -> String {
        let (mut in_text, mut escaped, mut placeholder) = (false, false, false);
        code.chars()
            .map(|c| match (in_text, escaped, c) {
                (true, true, _) => {
                    escaped = false;
                    ' '
                }
                (true, false, '\\') => {
                    escaped = true;
                    ' '
                }
                (_, false, '"') => {
                    in_text = !in_text;
                    placeholder = false;
                    c
                }
                (true, _, '{') => {
                    placeholder = !placeholder;
                    ' '
                }
                (true, _, '}') => {
                    placeholder = false;
                    ' '
                }
                (true, _, c) if placeholder && (c.is_alphanumeric() || c == '_') => c,
                (true, ..) => ' ',
                _ => c,
            })
            .collect()
    }

    /// `statement` split at its commas outside brackets: the branches of a `select!` or the
    /// arms of a `match` are judged one by one.
    fn branches(statement: &str) -> Vec<&str> {
        let mut parts = Vec::new();
        let (mut depth, mut from, mut in_text) = (0, 0, false);
        for (i, c) in statement.char_indices() {
            match c {
                '"' => in_text = !in_text,
                '(' | '[' if !in_text => depth += 1,
                ')' | ']' if !in_text => depth -= 1,
                ',' if !in_text && depth == 0 => {
                    parts.push(&statement[from..i]);
                    from = i + 1;
                }
                _ => {}
            }
        }
        parts.push(&statement[from..]);
        parts
    }

    /// `statement` without its comparisons with a text (`winner != "primary"`): a delay is a
    /// number, never a text, so those compare none.
    fn without_text_comparisons(statement: &str) -> String {
        let mut kept = String::new();
        let mut rest = statement;
        while let Some(open) = rest.find('"') {
            let Some(close) = rest[open + 1..].find('"').map(|c| open + 1 + c) else {
                break;
            };
            let before = rest[..open].trim_end();
            let after = rest[close + 1..].trim_start();
            if before.ends_with("==") || before.ends_with("!=") {
                kept.push_str(&before[..before.len() - 2]);
                rest = &rest[close + 1..];
            } else if after.starts_with("==") || after.starts_with("!=") {
                kept.push_str(&rest[..open]);
                rest = &after[2..];
            } else {
                kept.push_str(&rest[..=close]);
                rest = &rest[close + 1..];
            }
        }
        kept.push_str(rest);
        kept
    }

    /// A mirror picked by its delay argument answers as fast as a race, so this test reads the
    /// source: first_answer hands each delay on once, to ask_mirror (or to a helper of its own,
    /// which then does the same with it), and does nothing else with it (no comparison of the
    /// two). A message that prints them is fine.
    #[test]
    fn the_delays_only_go_to_the_mirrors() {
        let code = without_message_labels(&without_messages(&code_outside_main(include_str!(
            "select_fastest_mirror.rs"
        ))));
        // The words of a text are no use of a delay ("no reply within 5000 ms" beside a
        // parameter `ms`); what a format string puts in its `{..}` is.
        let code = texts_blanked_but_placeholders(&code);
        let functions = functions(&code);
        // (function, parameter) pairs that hold a delay: first_answer's two, then the
        // parameters of the functions it hands them to, and so on.
        let mut delays: Vec<(String, String)> = ["primary_ms", "backup_ms"]
            .map(|delay| (String::from("first_answer"), String::from(delay)))
            .to_vec();
        let mut next = 0;
        while next < delays.len() {
            let (holder, delay) = delays[next].clone();
            next += 1;
            for (_, _, body) in functions.iter().filter(|f| f.0 == holder) {
                for (callee, parameters, _) in &functions {
                    for (at, _) in body.match_indices(&format!("{callee}(")) {
                        if body[..at].ends_with(|c: char| c.is_alphanumeric() || "_.".contains(c)) {
                            continue;
                        }
                        let arguments = call_arguments(&body[at + callee.len() + 1..]);
                        for (argument, parameter) in arguments.iter().zip(parameters) {
                            let handed = (callee.clone(), parameter.clone());
                            if argument.trim() == delay && !delays.contains(&handed) {
                                delays.push(handed);
                            }
                        }
                    }
                }
            }
        }
        // A delay handed whole to ask_mirror (in any number of calls: one per path of an
        // `if`) is no other use; any other use is, and beside those calls none is allowed.
        let to_mirrors = |body: &str, delay: &str| {
            body.match_indices("ask_mirror(")
                .filter(|&(at, _)| {
                    !body[..at].ends_with(|c: char| c.is_alphanumeric() || "_.".contains(c))
                })
                .map(|(at, _)| {
                    call_arguments(&body[at + "ask_mirror(".len()..])
                        .iter()
                        .filter(|argument| argument.trim() == delay)
                        .count()
                })
                .sum::<usize>()
        };
        let looked_at: Vec<String> = delays
            .iter()
            .filter(|(holder, delay)| {
                functions
                    .iter()
                    .filter(|f| &f.0 == holder)
                    .any(|(_, _, body)| {
                        let uses = body
                            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .filter(|word| word == delay)
                            .count();
                        let handed = to_mirrors(body, delay);
                        uses - handed + handed.min(1) > 1
                    })
            })
            .map(|(holder, delay)| format!("{holder}: {delay}"))
            .collect();
        assert!(
            looked_at.is_empty(),
            "first_answer uses {looked_at:?} for more than handing it to ask_mirror: a real \
             mirror does not tell in advance how fast it will be, so do not pick one by its \
             delay. Ask both at once and keep the first reply (tokio::select!)"
        );
    }

    /// The same rule, for a delay first put into a value of the code's own (`let delays =
    /// [primary_ms, backup_ms];`, `let (a, b) = (primary_ms, backup_ms);`): a statement that
    /// holds such a value (or a delay) and compares (`<`, `==`, `.min(`, `.cmp(`, a sort...)
    /// picks a mirror by its delay, even when both mirrors are being asked.
    #[test]
    fn no_delay_is_compared() {
        let code = without_message_labels(&without_messages(&code_outside_main(include_str!(
            "select_fastest_mirror.rs"
        ))));
        // String literals blanked out: `reply == "reply from primary"` compares no delay.
        let (mut in_text, mut escaped) = (false, false);
        let code: String = code
            .chars()
            .map(|c| match (in_text, escaped, c) {
                (true, true, _) => {
                    escaped = false;
                    ' '
                }
                (true, false, '\\') => {
                    escaped = true;
                    ' '
                }
                (_, false, '"') => {
                    in_text = !in_text;
                    c
                }
                (true, ..) => ' ',
                _ => c,
            })
            .collect();
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let words_of = |text: &str| -> Vec<String> {
            text.split(|c: char| !is_word(c))
                .filter(|w| !w.is_empty())
                .map(String::from)
                .collect()
        };
        let functions = functions(&code);
        // Names bound (`let`, `for`) in `body` to a value made from one of `delays` hold a
        // delay too; not a value that hands the delay on (to ask_mirror, or to a helper fn,
        // followed below) or that awaits: a mirror's future or its reply is no delay. An
        // awaited value that names a plain delay (`primary_ms`, `backup_ms`, or a name bound
        // to nothing but them: `let d = (primary_ms, backup_ms);`, a number, no future) and
        // calls no fn of the code's own does hold it, though: `let (p, b) =
        // std::future::ready((primary_ms, backup_ms)).await;` is the two delays again.
        // A closure bound to a name whose body hands a value on (calls ask_mirror, a helper
        // fn, or such a closure: `let ask = |name, ms| Box::pin(ask_mirror(log.clone(), name,
        // ms));`) hands on what it is called with too, like a fn: `select_all([ask("primary",
        // primary_ms), ..]).await` is the mirrors' race, not the delays.
        let calls = |text: &str, names: &[String]| {
            names.iter().any(|name| {
                text.match_indices(&format!("{name}("))
                    .any(|(at, _)| !text[..at].ends_with(is_word))
            })
        };
        let mut handing: Vec<String> = functions.iter().map(|(name, ..)| name.clone()).collect();
        loop {
            let before = handing.len();
            for (at, _) in code.match_indices("let ") {
                let Some((name, value)) = code[at + "let ".len()..].split_once('=') else {
                    continue;
                };
                let name = name.split(':').next().unwrap_or("").trim();
                let name = name.strip_prefix("mut ").unwrap_or(name).trim();
                let mut closure = value.trim_start();
                while let Some(rest) = ["async", "move"].iter().find_map(|word| {
                    closure
                        .strip_prefix(word)
                        .filter(|rest| !rest.starts_with(is_word))
                }) {
                    closure = rest.trim_start();
                }
                if code[..at].ends_with(is_word)
                    || name.is_empty()
                    || !name.chars().all(is_word)
                    || handing.iter().any(|h| h == name)
                    || !closure.starts_with('|')
                {
                    continue;
                }
                // The closure, up to the `;` that ends its statement.
                let mut depth = 0;
                let end = closure
                    .char_indices()
                    .find(|&(_, c)| {
                        match c {
                            '(' | '[' | '{' => depth += 1,
                            ')' | ']' | '}' => depth -= 1,
                            _ => {}
                        }
                        depth < 0 || (depth == 0 && c == ';')
                    })
                    .map_or(closure.len(), |(i, _)| i);
                if calls(&closure[..end], &handing) {
                    handing.push(name.to_string());
                }
            }
            if handing.len() == before {
                break;
            }
        }
        let hands_on = |value: &str, plain: &[String]| {
            let awaits_a_future =
                value.contains(".await") && !words_of(value).iter().any(|w| plain.contains(w));
            awaits_a_future || calls(value, &handing)
        };
        let held_in = |body: &str, delays: &[String]| -> Vec<String> {
            let mut held = delays.to_vec();
            let mut plain = ["primary_ms", "backup_ms"].map(String::from).to_vec();
            loop {
                let before = held.len();
                for statement in body.split([';', '{', '}']) {
                    let statement = statement.trim();
                    let (pattern, value) = if let Some(rest) = statement.strip_prefix("let ") {
                        let Some((pattern, value)) = rest.split_once('=') else {
                            continue;
                        };
                        (pattern.split(':').next().unwrap_or(""), value)
                    } else if let Some(rest) = statement.strip_prefix("for ") {
                        let Some((pattern, value)) = rest.split_once(" in ") else {
                            continue;
                        };
                        // The index `.enumerate()` adds counts the items: it holds no delay.
                        let item = (pattern.trim().strip_prefix('('))
                            .and_then(|p| p.split_once(','))
                            .filter(|_| value.trim_end().ends_with(".enumerate()"));
                        (item.map_or(pattern, |(_, item)| item), value)
                    } else if let Some((place, value)) = statement.split_once('=')
                        && !value.starts_with(['=', '>'])
                        && place
                            .chars()
                            .all(|c| is_word(c) || c.is_whitespace() || "*[].(),".contains(c))
                    {
                        // An assignment (`limit = backup_ms`, `w[0] = backup_ms`, `w.0 = ..`,
                        // `(a, b) = ..`) binds the names it assigns to too.
                        let place = place.trim().trim_start_matches('*');
                        let first = place.split(['[', '.']).next().unwrap_or("");
                        (if place.starts_with('(') { place } else { first }, value)
                    } else {
                        continue;
                    };
                    if hands_on(value, &plain) || !words_of(value).iter().any(|w| held.contains(w))
                    {
                        continue;
                    }
                    // Nothing but plain delays, in a tuple or an array (no call, no text).
                    let bare = value
                        .chars()
                        .all(|c| is_word(c) || c.is_whitespace() || "()[],&*.".contains(c))
                        && value
                            .match_indices('(')
                            .all(|(at, _)| !value[..at].trim_end().ends_with(is_word))
                        && words_of(value)
                            .iter()
                            .all(|w| plain.contains(w) || w.chars().all(|c| c.is_ascii_digit()));
                    if bare {
                        for name in words_of(pattern) {
                            if !["mut", "ref", "_"].contains(&name.as_str())
                                && !plain.contains(&name)
                            {
                                plain.push(name);
                            }
                        }
                    }
                    for name in words_of(pattern) {
                        if !["mut", "ref", "_"].contains(&name.as_str()) && !held.contains(&name) {
                            held.push(name);
                        }
                    }
                }
                // A closure bound to a name (`let faster = |x: (u64, u64)| x.0 <= x.1;`) and
                // called with a delay (`faster(d)`): its parameters hold that delay.
                for statement in body.split(';') {
                    let Some((name, value)) = statement
                        .trim()
                        .strip_prefix("let ")
                        .and_then(|rest| rest.split_once('='))
                    else {
                        continue;
                    };
                    let name = name.trim().trim_start_matches("mut ").trim();
                    let value = value.trim_start().trim_start_matches("move").trim_start();
                    let Some((parameters, _)) =
                        value.strip_prefix('|').and_then(|v| v.split_once('|'))
                    else {
                        continue;
                    };
                    let called = !name.is_empty()
                        && name.chars().all(is_word)
                        && body.match_indices(&format!("{name}(")).any(|(at, _)| {
                            !body[..at].ends_with(|c: char| is_word(c) || c == '.')
                                && call_arguments(&body[at + name.len() + 1..]).iter().any(
                                    |argument| words_of(argument).iter().any(|w| held.contains(w)),
                                )
                        });
                    if !called {
                        continue;
                    }
                    // The names the parameters bind, without their types.
                    let (mut depth, mut in_type, mut word) = (0, false, String::new());
                    for c in parameters.chars().chain([',']) {
                        match c {
                            '(' | '[' | '<' => depth += 1,
                            ')' | ']' | '>' => depth -= 1,
                            ':' if depth == 0 => in_type = true,
                            ',' if depth == 0 => in_type = false,
                            _ => {}
                        }
                        if is_word(c) && !in_type {
                            word.push(c);
                        } else if !word.is_empty() {
                            let name = std::mem::take(&mut word);
                            if !["mut", "ref", "_"].contains(&name.as_str())
                                && !held.contains(&name)
                            {
                                held.push(name);
                            }
                        }
                    }
                }
                // A value stored in a cell, a vector, ... (`limit.set(backup_ms)`): the cell
                // holds that delay (not a mirror's future pushed into a FuturesUnordered).
                for method in [
                    ".set(",
                    ".replace(",
                    ".swap(",
                    ".store(",
                    ".push(",
                    ".insert(",
                ] {
                    for (at, _) in body.match_indices(method) {
                        let name: String = body[..at]
                            .chars()
                            .rev()
                            .take_while(|&c| is_word(c))
                            .collect::<Vec<char>>()
                            .into_iter()
                            .rev()
                            .collect();
                        let arguments = call_arguments(&body[at + method.len()..]);
                        if !name.is_empty()
                            && (method != ".replace(" || arguments.len() == 1)
                            && !held.contains(&name)
                            && arguments.iter().any(|argument| {
                                !hands_on(argument, &plain)
                                    && words_of(argument).iter().any(|w| held.contains(w))
                            })
                        {
                            held.push(name);
                        }
                    }
                }
                // A value worked out in a block of its own (`let wait = { dbg!(backup_ms) };`),
                // in an async block (`let (p, b) = async { (primary_ms, backup_ms) }.await;`),
                // in a spawned task or thread (`tokio::spawn(async move { (primary_ms,
                // backup_ms) }).await.unwrap()`) or in a closure called at once (`(|| {
                // (primary_ms, backup_ms) })()`).
                for (at, _) in body.match_indices("let ") {
                    let Some((pattern, value)) = body[at + "let ".len()..].split_once('=') else {
                        continue;
                    };
                    let value = value.trim_start();
                    let behind = [
                        "tokio::spawn(",
                        "tokio::task::spawn(",
                        "tokio::task::spawn_blocking(",
                        "std::thread::spawn(",
                        "thread::spawn(",
                        "(",
                    ]
                    .iter()
                    .find_map(|call| value.strip_prefix(call));
                    let mut value = behind.unwrap_or(value).trim_start();
                    while let Some(rest) = ["async", "move", "||"].iter().find_map(|word| {
                        value
                            .strip_prefix(word)
                            .filter(|rest| !rest.starts_with(is_word))
                    }) {
                        value = rest.trim_start();
                    }
                    if body[..at].ends_with(is_word)
                        || pattern.contains([';', '{', '}'])
                        || !value.starts_with('{')
                    {
                        continue;
                    }
                    let mut depth = 0;
                    let end = value
                        .char_indices()
                        .find(|&(_, c)| {
                            match c {
                                '{' => depth += 1,
                                '}' => depth -= 1,
                                _ => {}
                            }
                            depth == 0
                        })
                        .map_or(value.len(), |(i, _)| i + 1);
                    let block = &value[..end];
                    if hands_on(block, &plain) || !words_of(block).iter().any(|w| held.contains(w))
                    {
                        continue;
                    }
                    for name in words_of(pattern.split(':').next().unwrap_or("")) {
                        if !["mut", "ref", "_"].contains(&name.as_str()) && !held.contains(&name) {
                            held.push(name);
                        }
                    }
                }
                if held.len() == before {
                    return held;
                }
            }
        };
        // The functions that get a delay (first_answer, and the helpers it hands one, or a
        // value made from one, to), each with the parameters that hold one.
        let mut holders: Vec<(String, Vec<String>)> = vec![(
            String::from("first_answer"),
            vec![String::from("primary_ms"), String::from("backup_ms")],
        )];
        // The names the code brings in from a crate (`use tokio::time::{Duration, sleep};`,
        // `use std::thread::sleep as nap;`): a bare call of one (`sleep(..)` in ask_mirror,
        // as given) calls the crate's fn, not a fn of the code's own of that name in a module
        // or an impl (`pace::sleep(0)`), which a path names.
        let from_a_crate: Vec<&str> = (code.match_indices("use "))
            .filter(|&(at, _)| {
                let before = code[..at].trim_end();
                !code[..at].ends_with(is_word)
                    && (before.is_empty()
                        || before.ends_with([';', '{', '}', ')', ']'])
                        || before.ends_with("pub"))
            })
            .filter_map(|(at, _)| {
                let tree = code[at + "use ".len()..].split(';').next()?;
                let first = tree.trim_start().trim_start_matches("::");
                let krate = first.split(|c: char| !is_word(c)).next()?;
                ["tokio", "std", "core", "futures", "futures_util"]
                    .contains(&krate)
                    .then_some(tree)
            })
            .flat_map(|tree| tree.split(['{', '}', ',']))
            .filter_map(|part| {
                let part = part.trim();
                let leaf = match part.rsplit_once(" as ") {
                    Some((_, alias)) => alias.trim(),
                    None => part.rsplit("::").next()?.trim(),
                };
                (!leaf.is_empty() && leaf != "self" && leaf.chars().all(is_word)).then_some(leaf)
            })
            .collect();
        let mut next = 0;
        while next < holders.len() {
            let (holder, delays) = holders[next].clone();
            next += 1;
            for (_, _, body) in functions.iter().filter(|f| f.0 == holder) {
                let held = held_in(body, &delays);
                for (callee, parameters, _) in &functions {
                    for (at, _) in body.match_indices(&format!("{callee}(")) {
                        if body[..at].ends_with(|c: char| is_word(c) || c == '.')
                            || (!body[..at].ends_with("::")
                                && from_a_crate.contains(&callee.as_str()))
                        {
                            continue;
                        }
                        let arguments = call_arguments(&body[at + callee.len() + 1..]);
                        let given: Vec<String> = arguments
                            .iter()
                            .zip(parameters)
                            .filter(|(argument, _)| {
                                words_of(argument).iter().any(|w| held.contains(w))
                            })
                            .map(|(_, parameter)| parameter.clone())
                            .collect();
                        if !given.is_empty() && !holders.iter().any(|h| &h.0 == callee) {
                            holders.push((callee.clone(), given));
                        }
                    }
                }
            }
        }
        let mut compared = Vec::new();
        for (holder, delays) in &holders {
            for (_, _, body) in functions.iter().filter(|f| &f.0 == holder) {
                let statements: Vec<&str> = body
                    .split([';', '{', '}'])
                    .flat_map(|statement| branches(statement))
                    .collect();
                let held = held_in(body, delays);
                for statement in &statements {
                    // How many items a collection the code fills holds (`asked.push(name)`,
                    // then `asked.len()`) is no delay (the length of a text may be one).
                    let mut counted = statement.to_string();
                    for count in [".len()", ".is_empty()"] {
                        let mut from = 0;
                        while let Some(at) = counted[from..].find(count).map(|at| from + at) {
                            let start = counted[..at].trim_end_matches(is_word).len();
                            let filled = ["push", "insert"].iter().any(|method| {
                                body.contains(&format!("{}.{method}(", &counted[start..at]))
                            });
                            if start < at && filled {
                                counted.replace_range(start..at + count.len(), " 0 ");
                            } else {
                                from = at + count.len();
                            }
                        }
                    }
                    let statement = &counted;
                    let words = words_of(statement);
                    let holds: Vec<&String> = words.iter().filter(|w| held.contains(w)).collect();
                    if holds.is_empty() {
                        continue;
                    }
                    // `<` and `>` count with a space on each side (not `Vec<u64>`, `=>`, `->`).
                    let spaced = without_text_comparisons(&statement.replace(['\n', '\t'], " "));
                    let operator = ["<=", ">=", "==", "!=", " < ", " > "]
                        .iter()
                        .any(|op| spaced.contains(op));
                    let method = [
                        "min",
                        "max",
                        "cmp",
                        "partial_cmp",
                        "lt",
                        "le",
                        "gt",
                        "ge",
                        "eq",
                        "ne",
                        "clamp",
                        "sort",
                        "sort_unstable",
                        "min_by",
                        "max_by",
                        "min_by_key",
                        "max_by_key",
                        "sort_by",
                        "sort_by_key",
                        // A difference that tells which delay is smaller.
                        "checked_sub",
                        "saturating_sub",
                        "wrapping_sub",
                        "overflowing_sub",
                        "abs_diff",
                    ]
                    .iter()
                    .any(|name| {
                        spaced.match_indices(name).any(|(at, _)| {
                            !spaced[..at].ends_with(is_word)
                                && spaced[at + name.len()..].trim_start().starts_with('(')
                        })
                    });
                    // A delay right beside `<`, `>` or `-` (`a<b`, `b-a`) is compared too: a
                    // value is no type, so this is no `Vec<u64>`, and `->`, `=>` are left out.
                    let beside = holds.iter().any(|&delay| {
                        spaced.match_indices(delay.as_str()).any(|(at, _)| {
                            let before = spaced[..at].trim_end_matches(['&', '*']);
                            let after = spaced[at + delay.len()..]
                                .trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
                            !before.ends_with(is_word)
                                && !after.starts_with(is_word)
                                && (after.starts_with(['<', '>'])
                                    || (after.starts_with('-') && !after.starts_with("->"))
                                    || (before.ends_with(['<', '>'])
                                        && !before.ends_with("->")
                                        && !before.ends_with("=>")))
                        })
                    });
                    // A delay, or a copy of one, made into a Duration of the code's own
                    // (`Duration::from_millis(wait)`) or worked on with `+`, `*`, `/` or `%`
                    // (`Duration::from_millis(1) * backup_ms as u32`) times a mirror by it.
                    // (ask_mirror itself, as given, sleeps for its delay.)
                    let worked = holder != "ask_mirror"
                        && holds.iter().any(|&delay| {
                            spaced.match_indices(delay.as_str()).any(|(at, _)| {
                                let before = spaced[..at].trim_end();
                                let after = spaced[at + delay.len()..].trim_start();
                                // What a cell holds: `limit.get()`, `limit.take()`.
                                let after = [".get()", ".take()", ".into_inner()"]
                                    .iter()
                                    .find_map(|read| after.strip_prefix(read))
                                    .unwrap_or(after)
                                    .trim_start_matches(|c: char| c == '.' || c.is_ascii_digit())
                                    .trim_start();
                                // `backup_ms as u32 * 2`: the operator after the cast.
                                let after = after.strip_prefix("as ").map_or(after, |cast| {
                                    cast.trim_start().trim_start_matches(is_word).trim_start()
                                });
                                let from = before.strip_suffix('(').is_some_and(|call| {
                                    call.rsplit(|c: char| !is_word(c))
                                        .next()
                                        .is_some_and(|name| name.starts_with("from_"))
                                });
                                let operand = |text: &str| {
                                    text.trim_end().ends_with([')', ']'])
                                        || text.trim_end().ends_with(is_word)
                                };
                                !before.ends_with(is_word)
                                    && !after.starts_with(is_word)
                                    && (from
                                        || after.starts_with(['+', '*', '/', '%'])
                                        || before
                                            .strip_suffix(['+', '*', '/', '%'])
                                            .is_some_and(operand))
                            })
                        });
                    if operator || method || beside || worked {
                        compared.push(format!("{holder}: `{}` ({})", statement.trim(), holds[0]));
                    }
                }
            }
        }
        assert!(
            compared.is_empty(),
            "first_answer compares a delay it was given, or a value made from one, or times \
             something by one (a Duration made from a copy of a delay, a delay in a sum or a \
             product): {compared:?}. A real mirror does not tell in advance how fast it will \
             be, so do not pick or time one by its delay. Ask both at once and keep the first \
             reply (tokio::select!)"
        );
    }

    /// Timing first_answer's own wait by one delay, then asking that mirror with a delay of 0
    /// (as if it had been asked all along), answers as fast as a race too, so this test reads
    /// the source: no delay becomes a Duration of first_answer's own, and every mirror is asked
    /// with a delay it was given, not a number written in the code.
    #[test]
    fn the_mirrors_get_their_own_delays() {
        let code = code_outside_main(include_str!("select_fastest_mirror.rs"));
        // A message may show a delay as a Duration: an argument of print!/println!/
        // eprint!/eprintln!/format! that is only that (`Duration::from_millis(primary_ms)`,
        // `&`, `name = ` and a path allowed) goes straight to the formatter and times nothing.
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let shown_only = |value: &str| {
            let words: Vec<&str> = value
                .split(|c: char| !is_word(c))
                .filter(|w| !w.is_empty())
                .collect();
            value.ends_with(')')
                && value.matches('(').count() == 1
                && value
                    .chars()
                    .all(|c| is_word(c) || c.is_whitespace() || "():".contains(c))
                && matches!(words.as_slice(), [path @ .., from, delay]
                    if from.starts_with("from_")
                        && ["primary_ms", "backup_ms"].contains(delay)
                        && path.iter().all(|w| ["std", "core", "time", "tokio", "Duration"].contains(w)))
        };
        // So may a name bound to one (`let wait = Duration::from_millis(primary_ms);`) that is
        // only shown (`{wait:?}`, or an argument that is only `wait`).
        let mut labels = Vec::new();
        for (at, _) in code.match_indices("let ") {
            let Some(end) = code[at..].find(';').map(|end| at + end) else {
                continue;
            };
            let Some((name, value)) = code[at + "let ".len()..end].split_once('=') else {
                continue;
            };
            let (name, kind) = name.split_once(':').unwrap_or((name, "Duration"));
            let name = name.trim();
            if !code[..at].ends_with(is_word)
                && !name.is_empty()
                && name.chars().all(is_word)
                && kind.trim().ends_with("Duration")
                && shown_only(value.trim())
            {
                labels.push((name.to_string(), at..end + 1));
            }
        }
        let mut timed = code.clone();
        for message in ["print!(", "println!(", "eprint!(", "eprintln!(", "format!("] {
            for (at, _) in code.match_indices(message) {
                if code[..at].ends_with(is_word) {
                    continue;
                }
                for argument in call_arguments(&code[at + message.len()..]) {
                    let mut value = argument.trim().trim_start_matches('&').trim_start();
                    if let Some((name, rest)) = value.split_once('=')
                        && !name.trim().is_empty()
                        && name.trim().chars().all(is_word)
                        && !rest.starts_with('=')
                    {
                        value = rest.trim().trim_start_matches('&').trim_start();
                    }
                    let plain = shown_only(value) || labels.iter().any(|(name, _)| value == name);
                    if plain {
                        let start = argument.as_ptr() as usize - code.as_ptr() as usize;
                        timed.replace_range(
                            start..start + argument.len(),
                            &" ".repeat(argument.len()),
                        );
                    }
                }
            }
        }
        for (name, statement) in labels {
            // The name's uses outside its `let` and outside string literals (where a `{name}`
            // placeholder only shows it).
            let mut outside = timed.clone();
            outside.replace_range(statement.clone(), &" ".repeat(statement.len()));
            let (mut in_text, mut escaped) = (false, false);
            let outside: String = outside
                .chars()
                .map(|c| match (in_text, escaped, c) {
                    (true, true, _) => {
                        escaped = false;
                        ' '
                    }
                    (true, false, '\\') => {
                        escaped = true;
                        ' '
                    }
                    (_, false, '"') => {
                        in_text = !in_text;
                        ' '
                    }
                    (true, ..) => ' ',
                    _ => c,
                })
                .collect();
            if !outside
                .split(|c: char| !is_word(c))
                .any(|word| word == name)
            {
                timed.replace_range(statement.clone(), &" ".repeat(statement.len()));
            }
        }
        let words: Vec<&str> = timed
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|word| !word.is_empty())
            .collect();
        for pair in words.windows(2) {
            assert!(
                !(pair[0].starts_with("from_") && ["primary_ms", "backup_ms"].contains(&pair[1])),
                "first_answer makes a Duration of its own from {} ({}({})): a real mirror does \
                 not tell in advance how fast it will be, so do not time one yourself (a \
                 message may show it: println!(\"{{:?}}\", Duration::from_millis(..)) with \
                 nothing else in that argument). Ask both mirrors at once with the delays you \
                 were given and keep the first reply (tokio::select!)",
                pair[1],
                pair[0],
                pair[1]
            );
        }
        for (at, _) in code.match_indices("ask_mirror(") {
            let args = &code[at + "ask_mirror(".len()..];
            let mut depth = 0;
            let end = args
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '(' | '[' | '{' => depth += 1,
                        ')' | ']' | '}' => depth -= 1,
                        _ => {}
                    }
                    depth < 0
                })
                .map_or(args.len(), |(i, _)| i);
            let last = args[..end]
                .trim()
                .trim_end_matches(',')
                .rsplit(',')
                .next()
                .unwrap_or("");
            let last = last.trim().trim_end_matches("u64").replace('_', "");
            assert!(
                last.is_empty() || !last.chars().all(|c| c.is_ascii_digit()),
                "first_answer asks a mirror with a delay of {last} ms written in the code \
                 (ask_mirror({})): hand each mirror the delay first_answer was given \
                 (primary_ms, backup_ms), ask both at once and keep the first reply \
                 (tokio::select!)",
                args[..end].trim()
            );
        }
    }

    /// Wakes the task, and writes down when.
    struct NoteWake {
        start: Instant,
        at: Arc<Mutex<Vec<Duration>>>,
        task: std::task::Waker,
    }

    impl std::task::Wake for NoteWake {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.at.lock().unwrap().push(self.start.elapsed());
            self.task.wake_by_ref();
        }
    }

    /// A loop that checks on the mirrors every few ms answers in time too, so this test
    /// writes down when first_answer's task is woken.
    #[tokio::test(start_paused = true)]
    async fn the_mirrors_are_not_checked_on_a_timer() {
        for (primary_ms, backup_ms) in [(300, 50), (40, 200), (1_000, 600)] {
            let first = Duration::from_millis(primary_ms.min(backup_ms));
            let start = Instant::now();
            let woken = Arc::new(Mutex::new(Vec::new()));
            let mut asking = std::pin::pin!(first_answer(Log::default(), primary_ms, backup_ms));
            let reply = std::future::poll_fn(|cx| {
                let waker = std::task::Waker::from(Arc::new(NoteWake {
                    start,
                    at: Arc::clone(&woken),
                    task: cx.waker().clone(),
                }));
                asking
                    .as_mut()
                    .poll(&mut std::task::Context::from_waker(&waker))
            })
            .await;
            let took = start.elapsed();
            // Woken at 0 ms (a task that starts, a yield) or when the first mirror answers
            // (counted until first_answer returned, even a little late).
            let mut needless: Vec<Duration> = woken
                .lock()
                .unwrap()
                .iter()
                .copied()
                .filter(|at| !at.is_zero() && *at != first)
                .collect();
            // Timers of its own that end at one moment (a progress message for each of
            // its futures) wake it once each: count the moments, not the wake-ups.
            needless.dedup();
            // A timer of its own now and then (a progress message every 40 ms or more) is
            // fine; every few ms is not.
            assert!(
                needless.len() as u128 <= took.as_millis() / 40,
                "(primary {primary_ms} ms, backup {backup_ms} ms) first_answer's task was woken \
                 at {} moment(s) before the first mirror answered after {first:?} (the first time \
                 after {:?}): checking on the mirrors on a timer of your own is busy waiting. \
                 Race the two calls with tokio::select!: the task then wakes when a mirror \
                 answers",
                needless.len(),
                needless.first().copied().unwrap_or_default()
            );
            let winner = if primary_ms < backup_ms {
                "primary"
            } else {
                "backup"
            };
            assert!(
                reply == format!("reply from {winner}"),
                "(primary {primary_ms} ms, backup {backup_ms} ms) first_answer returned {reply:?} \
                 after {took:?}, but the {winner} answers first, after {first:?}: return the \
                 reply of the first mirror that answers"
            );
        }
    }

    /// Every other test runs on a current-thread runtime, where a spawned task runs on the
    /// thread of the call that awaits it. `#[tokio::main]` builds a multi-thread runtime: here
    /// first_answer runs on one (with the real clock), called from this test's own thread,
    /// outside the runtime's worker threads.
    #[test]
    fn first_answer_works_on_a_multi_thread_runtime() {
        let expected = String::from("reply from primary");
        // What the call did on a runtime from `builder` (real clock), called from this thread.
        let run = |mut builder: tokio::runtime::Builder| {
            let runtime = builder.enable_all().build().unwrap();
            let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let call = first_answer(Log::default(), 10, 300);
                runtime.block_on(async { tokio::time::timeout(Duration::from_secs(5), call).await })
            }));
            runtime.shutdown_timeout(Duration::from_secs(1));
            match got {
                Ok(Ok(got)) => (got == expected, format!("returned {got:?}")),
                Ok(Err(_)) => (
                    false,
                    String::from("had not returned after 5 s (the primary answers after 10 ms)"),
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
             worker threads, first_answer(log, 10, 300) {seen}, not {expected:?} (on a \
             current-thread runtime it returned that): the answer depends on the thread the work \
             ran on. A result left on the thread that computed it (a thread_local, anything kept \
             per thread) is lost when the task runs on another thread, and one read before its \
             task is awaited may not be there yet. Hand it back through the JoinHandle's output \
             or a channel, and await it"
        );
        panic!(
            "first_answer(log, 10, 300) {seen} on a multi-thread runtime and {here} on a \
             current-thread one, not {expected:?}: the other tests say more"
        );
    }

    /// Every other test but the one above pauses Tokio's clock; in a program (main) it runs in
    /// real time. Racing the mirrors only when the clock is paused (a probe of whether it
    /// moves), and leaving the loser running otherwise, shows here: on runtimes like the
    /// tests' (one thread) and main's (multi-threaded), with their clocks running, on a thread
    /// named main, the primary answers after 10 ms and the backup after 500 ms of real time.
    /// Once first_answer has returned, the test waits until nothing but itself holds the log
    /// and no task is left (an aborted task goes within a few ms), for up to 1 s of real time,
    /// and then the backup must not have finished (a one-sided bound: it would finish 490 ms
    /// after the reply). It gives up waiting for the runtime's thread after 10 s, however
    /// loaded the machine (the thread left waiting ends with the test program).
    #[test]
    fn the_loser_is_gone_on_a_running_clock() {
        for multi_thread in [false, true] {
            let (send, seen) = std::sync::mpsc::channel();
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
                    let outcome = runtime.block_on(async {
                        let log = Log::default();
                        let reply = first_answer(log.clone(), 10, 500).await;
                        let returned = Instant::now();
                        let alive = || {
                            tokio::runtime::Handle::current()
                                .metrics()
                                .num_alive_tasks()
                        };
                        while (Arc::strong_count(&log) > 1 || alive() > 0)
                            && returned.elapsed() < Duration::from_secs(1)
                        {
                            sleep(Duration::from_millis(1)).await;
                        }
                        let finished = log.lock().unwrap().clone();
                        (reply, Arc::strong_count(&log) - 1, alive(), finished)
                    });
                    let _ = send.send(outcome);
                })
                .unwrap();
            let runtime = if multi_thread {
                "on a multi-threaded runtime, as main's,"
            } else {
                "on a runtime with one thread, as the tests',"
            };
            let (reply, holders, tasks, finished) =
                match seen.recv_timeout(std::time::Duration::from_secs(10)) {
                    Ok(outcome) => outcome,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
                        "{runtime} whose clock runs in real time (every other test but one \
                         pauses Tokio's clock), first_answer(log, 10, 500) had not returned \
                         after 10 s, though the primary answers after 10 ms: race the two \
                         mirrors and return the first reply (tokio::select!)"
                    ),
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!(
                        "{runtime} whose clock runs in real time (every other test but one \
                         pauses Tokio's clock), first_answer(log, 10, 500) panicked (its \
                         message is in the full output, from the thread named main): race the \
                         two mirrors and return the first reply (tokio::select!)"
                    ),
                };
            assert_eq!(
                reply, "reply from primary",
                "{runtime} whose clock runs in real time, the primary answers after 10 ms and \
                 the backup after 500 ms: return the primary's reply"
            );
            assert!(
                !finished.contains(&String::from("backup finished")),
                "{runtime} whose clock runs in real time (every other test but one pauses \
                 Tokio's clock), first_answer returned the primary's reply after 10 ms, but the \
                 backup went on and finished at 500 ms (the log: {finished:?}): the loser was \
                 left running (a detached task, say). A program's clock is never paused: drop \
                 the loser as soon as the first reply arrives, on every path, whatever clock or \
                 runtime it runs on (tokio::select! drops it; a spawned mirror must be aborted)"
            );
            assert!(
                holders == 0 && tasks == 0,
                "{runtime} whose clock runs in real time (every other test but one pauses \
                 Tokio's clock), 1 s after first_answer returned the primary's reply, the log \
                 still had {holders} holder(s) besides the test and {tasks} task(s) were alive: \
                 the losing mirror (or a task holding the log) was kept, not dropped. Drop the \
                 loser as soon as the first reply arrives, on every path, whatever clock or \
                 runtime it runs on (tokio::select! drops it; a spawned mirror must be aborted)"
            );
        }
    }

    /// 500 races at once, every other one won by the primary (40 ms against 200) and the
    /// others by the backup (300 ms against 50): the delays, reply and time (after the start)
    /// of the races that did not give their winner's reply as soon as it came.
    async fn five_hundred_races_at_once() -> Vec<(u64, u64, String, Duration)> {
        let start = Instant::now();
        let races = (0..500).map(|i| async move {
            let (primary_ms, backup_ms) = if i % 2 == 0 { (40, 200) } else { (300, 50) };
            let reply = first_answer(Log::default(), primary_ms, backup_ms).await;
            (primary_ms, backup_ms, reply, start.elapsed())
        });
        let got = futures_util::future::join_all(races).await;
        (got.into_iter())
            .filter(|(primary_ms, backup_ms, reply, took)| {
                let (winner, first) = if primary_ms < backup_ms {
                    ("primary", *primary_ms)
                } else {
                    ("backup", *backup_ms)
                };
                *reply != format!("reply from {winner}") || *took != Duration::from_millis(first)
            })
            .collect()
    }

    /// Every race gives its first reply as soon as it comes, however many run at once, and a
    /// race whose caller left (first_answer dropped half-way, as a web server drops the request
    /// of a client that went away) runs none of its code past the `.await` where it waited: a
    /// count of races or a permit in a `static`, given back only when a call returns, is never
    /// given back for it, and later races are not run as races.
    #[tokio::test(start_paused = true)]
    async fn races_whose_callers_left_change_nothing_for_the_next_ones() {
        let wrong = five_hundred_races_at_once().await;
        assert!(
            wrong.is_empty(),
            "500 races ran at once, and {} of them did not give the first reply as soon as it \
             came (the first: primary {} ms, backup {} ms, {:?} after {:?}): every race asks \
             both of its mirrors and keeps the first reply, however many races run at once. Do \
             not cap, queue or cut short the races (a semaphore or a count in a static): race \
             each call's two mirrors (tokio::select!)",
            wrong.len(),
            wrong[0].0,
            wrong[0].1,
            wrong[0].2,
            wrong[0].3
        );
        // 500 callers leave after 20 ms, while both of their mirrors are on their way.
        let left = (0..500).map(|_| {
            tokio::time::timeout(
                Duration::from_millis(20),
                first_answer(Log::default(), 300, 400),
            )
        });
        futures_util::future::join_all(left).await;
        let wrong = five_hundred_races_at_once().await;
        assert!(
            wrong.is_empty(),
            "500 races whose callers left after 20 ms (each call dropped while it waited, as a \
             web server drops the request of a client that went away), then 500 races at once: \
             {} of those did not give the first reply as soon as it came (the first: primary \
             {} ms, backup {} ms, {:?} after {:?}), though 500 races at once did before the \
             others left. A call dropped while it waits runs none of its code after that \
             .await, so something it took to give back at its end (a count of races, a permit, \
             a flag in a static) was never given back. Keep nothing that a dropped call leaves \
             behind: tokio::select! needs nothing else",
            wrong.len(),
            wrong[0].0,
            wrong[0].1,
            wrong[0].2,
            wrong[0].3
        );
    }
}
