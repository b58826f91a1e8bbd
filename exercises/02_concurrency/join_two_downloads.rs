// Run two futures at the same time with `tokio::join!`.
//
// `fetch_both` downloads a logo (100 ms) and a manual (150 ms). Awaiting them
// one after the other makes the user wait for both in a row: 250 ms. Start
// both downloads together and wait for the pair, so that the whole thing only
// takes as long as the slower download, about 150 ms.

use tokio::time::{Duration, sleep};

/// Pretends to download a file; the reply says how long it took.
async fn download(file: &str, ms: u64) -> String {
    sleep(Duration::from_millis(ms)).await;
    format!("{file} ({ms} ms)")
}

pub async fn fetch_both() -> (String, String) {
    // TODO: the manual only starts downloading once the logo is done.
    let logo = download("logo.png", 100).await;
    let manual = download("manual.pdf", 150).await;
    (logo, manual)
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::sync::{Arc, Mutex};
    use std::task::Poll;
    use tokio::runtime::Handle;
    use tokio::time::Instant;

    /// How many spawned tasks have not finished yet, once the runtime has had a turn (at the
    /// same time) to drop tasks that are already over: a progress reporter stopped with
    /// `abort()` just before returning is not left running.
    async fn tasks_still_running() -> usize {
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        Handle::current().metrics().num_alive_tasks()
    }

    /// What became of the tasks still running when fetch_both returned: the paused clock is
    /// moved on, a minute at a time, for up to an hour (a download takes 150 ms at most).
    async fn what_the_left_tasks_did() -> String {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(3600) {
            tokio::time::advance(Duration::from_secs(60)).await;
            if tasks_still_running().await == 0 {
                return format!(
                    "they had all ended within {} minute(s) after it returned (moving the paused \
                     clock on): work it had started and not waited for (such as a download). \
                     Wait for every download (tokio::join!, or await every JoinHandle you spawn)",
                    start.elapsed().as_secs() / 60
                );
            }
        }
        format!(
            "an hour later, {} task(s) it had spawned still ran, and no download takes that \
             long: a task that never ends by itself (a loop, such as a progress ticker or a \
             spinner, or a wait for something that never comes) that nobody stops. Stop every \
             task you start before fetch_both returns (abort() its JoinHandle), or run such a loop beside the \
             downloads in the same future (select!, join!) so that it ends with them",
            tasks_still_running().await
        )
    }

    /// What a fetch_both that returned before 150 ms is told. One that returned on its first
    /// poll after holding the thread for a while (real time) ran the downloads off this
    /// runtime's clock; otherwise the downloads did not both happen.
    fn too_soon(took: Duration, polls: usize, real: std::time::Duration) -> String {
        if polls == 1 && real >= std::time::Duration::from_millis(100) {
            format!(
                "fetch_both returned on its first poll, {took:?} into this runtime's (paused) \
                 clock, after holding the thread for {real:?} of real time: it blocked the \
                 thread that this runtime needs for its other tasks (the downloads, if they \
                 ran at all, ran off this runtime, on a thread or a runtime of their own, or \
                 the wait was a std::thread::sleep). Run both downloads on this runtime and \
                 await them together (tokio::join!)"
            )
        } else {
            format!(
                "fetch_both finished in {took:?}, before the 150 ms manual download could be \
                 over: both downloads must really happen"
            )
        }
    }

    /// Awaits fetch_both: what it returned, and how many times it was polled.
    async fn fetch_counting_polls() -> ((String, String), usize) {
        let mut fetching = std::pin::pin!(fetch_both());
        let mut polls = 0;
        let pair = std::future::poll_fn(|cx| {
            polls += 1;
            fetching.as_mut().poll(cx)
        })
        .await;
        (pair, polls)
    }

    #[tokio::test(start_paused = true)]
    async fn both_files_arrive() {
        let (logo, manual) = fetch_both().await;
        assert_eq!(
            logo, "logo.png (100 ms)",
            "the first value must be what the logo's download returned"
        );
        assert_eq!(
            manual, "manual.pdf (150 ms)",
            "the second value must be what the manual's download returned"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_pair_takes_as_long_as_the_slower_download() {
        let (start, real) = (Instant::now(), std::time::Instant::now());
        let (_, polls) = fetch_counting_polls().await;
        let (took, real) = (start.elapsed(), real.elapsed());
        let slower = Duration::from_millis(150);
        assert!(took >= slower, "{}", too_soon(took, polls, real));
        // What the time it took shows: both downloads one after the other take 250 ms.
        let one_after_the_other = Duration::from_millis(250);
        let seen = if took == one_after_the_other {
            String::from(
                "as long as the two downloads one after the other (100 ms + 150 ms). Run them \
                 concurrently with tokio::join!",
            )
        } else if took > one_after_the_other {
            String::from(
                "longer even than the two downloads one after the other (100 ms + 150 ms = \
                 250 ms): it waited past the downloads' own time (a download given up and \
                 started again starts its time over; so does a wait of its own). Start both at \
                 once and wait for each until it is over (tokio::join!)",
            )
        } else {
            String::from(
                "less than the two one after the other (250 ms), so something in it started \
                 after 0 ms (a download, or a wait of its own) and ended late. Start both \
                 downloads at once and wait for the pair (tokio::join!)",
            )
        };
        assert_eq!(
            took, slower,
            "fetch_both took {took:?}: run at the same time, the 100 ms logo and the 150 ms \
             manual take only as long as the slower one, {slower:?}; it took {seen}"
        );
    }

    #[test]
    fn the_logo_download_ends_at_100_ms() {
        // A runtime of the test's own, with the clock paused, that notes the time whenever
        // it runs out of work and waits for the next timer to end.
        let idle_at = Arc::new(Mutex::new(Vec::new()));
        let noted = Arc::clone(&idle_at);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .on_thread_park(move || noted.lock().unwrap().push(Instant::now()))
            .build()
            .unwrap();
        // Two calls in a row: a logo kept from the first call (a cache) shows on the second.
        let calls = runtime.block_on(async {
            let mut calls = Vec::new();
            for call in ["first", "second"] {
                let (start, real) = (Instant::now(), std::time::Instant::now());
                let (_, polls) = fetch_counting_polls().await;
                let (took, real) = (start.elapsed(), real.elapsed());
                calls.push((call, start, took, polls, real, tasks_still_running().await));
            }
            // Only when a task was left running: what became of it.
            let left = match calls.iter().any(|call| call.5 > 0) {
                true => what_the_left_tasks_did().await,
                false => String::new(),
            };
            (calls, left)
        });
        let (calls, left) = calls;
        for (call, start, took, polls, real, running) in calls {
            check_logo_call(
                call,
                start,
                took,
                polls,
                real,
                (running, &left),
                &idle_at.lock().unwrap(),
            );
        }
    }

    /// The checks of one call of `the_logo_download_ends_at_100_ms`: `idle_at` holds the times
    /// at which the runtime ran out of work; `left`, what became of tasks left running.
    fn check_logo_call(
        call: &str,
        start: Instant,
        took: Duration,
        polls: usize,
        real: std::time::Duration,
        (running, left): (usize, &str),
        idle_at: &[Instant],
    ) {
        assert!(
            took >= Duration::from_millis(150),
            "{}",
            too_soon(took, polls, real)
        );
        let logo_done = start + Duration::from_millis(100);
        assert!(
            idle_at.contains(&logo_done),
            "{}",
            if took > Duration::from_millis(150) {
                format!(
                    "fetch_both took {took:?}, and while it ran no timer ended at 100 ms, when \
                     a logo download started at 0 ms is over: the logo's download did not \
                     start at 0 ms beside the manual's. Start both downloads at once and wait \
                     for the pair (tokio::join!)"
                )
            } else if call == "second" {
                String::from(
                    "the second fetch_both call in a row returned 150 ms after its start, but \
                     while it ran no timer ended at 100 ms after its start, when its logo \
                     download is over (in the first call one did): the second call's logo came \
                     from no download of its own. A value kept from an earlier call (a cache, a \
                     static, a thread_local) is not this call's answer: download both files at \
                     every call, both started at once (tokio::join!)",
                )
            } else {
                String::from(
                    "fetch_both returned at 150 ms, but while it ran no timer ended at 100 ms, \
                     when the logo's download is over: the logo's reply came from no 100 ms \
                     download started at 0 ms. Get both files by calling `download` (the \
                     logo's too) and awaiting what it returns, both started at once \
                     (tokio::join!), at every call: a logo kept from an earlier call (a cache, \
                     a static, a OnceCell, a thread_local: the tests run in one program, so \
                     another test's call may have filled it) is not this call's download",
                )
            }
        );
        assert!(
            running == 0,
            "when fetch_both returned, {running} task(s) it had spawned were still running; \
             {left}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_waits_for_the_logo_to_finish() {
        let (start, real) = (Instant::now(), std::time::Instant::now());
        let mut fetching = std::pin::pin!(fetch_both());
        // fetch_both, and the tasks it spawns, run for a few steps at 0 ms...
        let mut files = None;
        for polls in 1..=10 {
            let step = std::future::poll_fn(|cx| Poll::Ready(fetching.as_mut().poll(cx))).await;
            if let Poll::Ready(done) = step {
                let (took, real) = (start.elapsed(), real.elapsed());
                assert!(
                    took >= Duration::from_millis(150),
                    "{}",
                    too_soon(took, polls, real)
                );
                files = Some(done);
                break;
            }
            tokio::task::yield_now().await;
        }
        // ...then the runtime is busy until 120 ms: the logo is over by then, the manual not.
        tokio::time::advance(Duration::from_millis(120)).await;
        let (logo, manual) = match files {
            Some(files) => files,
            None => fetching.await,
        };
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(150),
            "fetch_both finished in {took:?}, before the 150 ms manual download could be over: \
             both downloads must really happen"
        );
        // What the time at which fetch_both returned suggests: a 100 ms logo download that
        // ended then started when a manual download started at 0 ms was over (150 ms); a 150 ms
        // manual download that ended then started once the logo was over (100 ms or later).
        let (logo_ms, manual_ms) = (Duration::from_millis(100), Duration::from_millis(150));
        let seen = if took == manual_ms + logo_ms {
            format!(
                "{took:?} is 100 ms (the logo's download) after 150 ms, when a manual download \
                 started at 0 ms is over: as if the logo's download only started once the \
                 manual's was done"
            )
        } else if took >= manual_ms + logo_ms && took <= manual_ms + Duration::from_millis(130) {
            format!(
                "{took:?} is 150 ms (the manual's download) after {:?}, past the logo's 100 \
                 ms: as if the manual's download only started once the logo's was over and \
                 the runtime was free again",
                took - manual_ms
            )
        } else if took > manual_ms + Duration::from_millis(130) {
            format!(
                "{took:?} is {:?} past the 150 ms at which both downloads, started at 0 ms, are \
                 over, and later even than the two one after the other (at most 270 ms here, \
                 the runtime busy until 120 ms): fetch_both waited past the downloads for \
                 something of its own (a timeout, a sleep, a wait for a channel that never \
                 closes), or started a download again. Return as soon as both are over",
                took - manual_ms
            )
        } else {
            String::from(
                "one of the downloads (or a wait of fetch_both's own) started after 0 ms, so \
                 it ended late",
            )
        };
        assert_eq!(
            took,
            Duration::from_millis(150),
            "here fetch_both got a few steps at 0 ms, then the runtime was busy until 120 ms. \
             Downloads started at 0 ms are all over at 150 ms, yet fetch_both returned at \
             {took:?}: {seen}. Start both downloads at once and wait for the pair \
             (tokio::join!)"
        );
        assert_eq!(
            (logo.as_str(), manual.as_str()),
            ("logo.png (100 ms)", "manual.pdf (150 ms)"),
            "fetch_both must return what the two downloads returned, logo first"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn both_downloads_are_over_even_on_a_busy_runtime() {
        let mut fetching = std::pin::pin!(fetch_both());
        // One step of fetch_both, then the runtime is busy for 160 ms: a task that fetch_both
        // spawned only starts its download after that.
        let first_step = std::future::poll_fn(|cx| Poll::Ready(fetching.as_mut().poll(cx))).await;
        tokio::time::advance(Duration::from_millis(160)).await;
        let (logo, manual) = match first_step {
            Poll::Ready(files) => files,
            Poll::Pending => fetching.await,
        };
        let running = tasks_still_running().await;
        if running > 0 {
            panic!(
                "here fetch_both ran one step, then the runtime was busy for 160 ms before any \
                 task it had spawned could start. When fetch_both returned, {running} task(s) it \
                 had spawned were still running; {}",
                what_the_left_tasks_did().await
            );
        }
        assert_eq!(
            (logo.as_str(), manual.as_str()),
            ("logo.png (100 ms)", "manual.pdf (150 ms)"),
            "fetch_both must return what the two downloads returned, logo first"
        );
    }

    /// Both downloads have started, then the runtime is busy for 160 ms, past both their ends:
    /// both results come at the same moment, before fetch_both runs again. A result sent with
    /// `try_send` into a channel with room for one is dropped then.
    #[tokio::test(start_paused = true)]
    async fn downloads_that_end_at_the_same_moment_are_both_kept() {
        let mut fetching = std::pin::pin!(fetch_both());
        let first_step = std::future::poll_fn(|cx| Poll::Ready(fetching.as_mut().poll(cx))).await;
        // Tasks that fetch_both spawned start their downloads here.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        tokio::time::advance(Duration::from_millis(160)).await;
        let (logo, manual) = match first_step {
            Poll::Ready(files) => files,
            Poll::Pending => fetching.await,
        };
        assert_eq!(
            (logo.as_str(), manual.as_str()),
            ("logo.png (100 ms)", "manual.pdf (150 ms)"),
            "here both downloads had started, then the runtime was busy for 160 ms, so both ended \
             at the same moment, and fetch_both returned {logo:?} and {manual:?}: it must return \
             what the two downloads returned, logo first. A result sent with `try_send` is \
             dropped when the channel is full: wait with tokio::join!, await the JoinHandles, \
             or send with `send(..).await`, which waits for room"
        );
    }

    /// Two calls at once: each waits for its own downloads only, so a count of running
    /// downloads kept in a `static`, which both calls share, shows.
    #[tokio::test(start_paused = true)]
    async fn two_calls_at_once_each_get_their_pair() {
        let fetched = || async move {
            let start = Instant::now();
            match tokio::time::timeout(Duration::from_secs(3600), fetch_both()).await {
                Ok(pair) => format!("{pair:?} at {} ms", start.elapsed().as_millis()),
                Err(_) => String::from("nothing (not within an hour)"),
            }
        };
        let expected = r#"("logo.png (100 ms)", "manual.pdf (150 ms)") at 150 ms"#;
        // One call alone first: what is wrong then is no matter of two calls at once.
        let alone = fetched().await;
        assert_eq!(
            alone, expected,
            "one fetch_both call, alone, returned {alone} (after its start), not {expected}: \
             the other tests say more"
        );
        let (first, second) = tokio::join!(fetched(), fetched());
        assert_eq!(
            (first.as_str(), second.as_str()),
            (expected, expected),
            "two fetch_both calls ran at once and returned {first} and {second} (one call \
             alone returned {expected}). Each call must wait for its own downloads only: tokio::join! them, or await their JoinHandles (a \
             count of running downloads kept in a `static` is shared by both calls)"
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
    /// (`println!`, `assert!`, `panic!`, ...), of `.expect(..)` and of the checks that only
    /// read a text (`.ends_with(..)`, `.eq(..)`, ...): their text is a message or a test,
    /// never a value the code hands back, so a progress line may say what it likes.
    fn without_messages(code: &str) -> String {
        const MESSAGES: [&str; 20] = [
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
            ".starts_with(",
            ".ends_with(",
            ".contains(",
            ".eq(",
            ".ne(",
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
            // Arguments that could change something (a block, an assignment, `&mut`) are
            // read as code. A `name = value` at the top is a named format argument; an
            // assignment would be in brackets.
            let args = blanked(&code[open..end]);
            let mut depth = 0;
            let nested: String = args
                .chars()
                .map(|c| {
                    match c {
                        '(' | '[' => depth += 1,
                        ')' | ']' => depth -= 1,
                        _ => {}
                    }
                    if depth > 0 { c } else { ' ' }
                })
                .collect();
            let changes =
                args.contains(['{', '}']) || args.contains("&mut") || assignments(&nested) > 0;
            from = if changes { open } else { end };
            at = from;
        }
        kept.push_str(&code[from..]);
        kept
    }

    /// `code` with the inside of every string and char literal blanked out (same length), so
    /// that brackets, `;`, `=` or `,` in a text are not read as code.
    fn blanked(code: &str) -> String {
        let chars: Vec<char> = code.chars().collect();
        let mut out = String::with_capacity(code.len());
        let mut i = 0;
        while i < chars.len() {
            let quote = chars[i];
            let is_char = quote == '\''
                && (chars.get(i + 1) == Some(&'\\') || chars.get(i + 2) == Some(&'\''));
            out.push(quote);
            i += 1;
            if quote != '"' && !is_char {
                continue;
            }
            while i < chars.len() && chars[i] != quote {
                let skip = if chars[i] == '\\' { 2 } else { 1 };
                for c in chars.iter().skip(i).take(skip) {
                    out.push_str(&" ".repeat(c.len_utf8()));
                }
                i += skip;
            }
            if i < chars.len() {
                out.push(quote);
                i += 1;
            }
        }
        out
    }

    /// The methods a label may call: none of them changes anything.
    const READ_ONLY: [&str; 16] = [
        "replace",
        "replacen",
        "to_string",
        "to_owned",
        "clone",
        "join",
        "concat",
        "len",
        "trim",
        "to_uppercase",
        "to_lowercase",
        "as_str",
        "iter",
        "map",
        "collect",
        "elapsed",
    ];

    /// `code` without the `let` statements whose name nothing but a message reads (once the
    /// messages are gone): `let line = format!(..).replace(.., ..);` made for a progress line
    /// is not a value handed back. A statement that could change something else (`&mut`, an
    /// assignment, a block, a method that is not read-only) is kept.
    fn without_message_labels(code: &str) -> String {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let mut code = code.to_string();
        let mut from = 0;
        loop {
            let bare = blanked(&code);
            let Some(found) = bare[from..].find("let ") else {
                break;
            };
            let at = from + found;
            from = at + 4;
            let rest = bare[from..].trim_start_matches("mut ").trim_start();
            let name: String = rest.chars().take_while(|&c| is_word(c)).collect();
            let simple = rest[name.len()..].trim_start().starts_with(['=', ':']);
            let Some(end) = bare[at..].find(';').map(|end| at + end + 1) else {
                break;
            };
            let statement = &bare[at..end];
            // `.replace(x)` with one argument swaps an Option's or a cell's value.
            let read_only = statement.match_indices('.').all(|(i, _)| {
                let method: String = statement[i + 1..]
                    .chars()
                    .take_while(|&c| is_word(c))
                    .collect();
                let open = i + 1 + method.len();
                !statement[open..].starts_with('(')
                    || (READ_ONLY.contains(&method.as_str())
                        && (method != "replace" || arguments(statement, open + 1) == 2))
            });
            if bare[..at].ends_with(is_word)
                || name.is_empty()
                || !simple
                || statement.contains(['{', '}'])
                || statement.contains("&mut")
                || assignments(statement) != 1
                || !read_only
            {
                continue;
            }
            // Read anywhere else? (`let shown = ..` shadowing it is no reading.)
            let others = format!("{} {}", &code[..at], &code[end..]);
            let words: Vec<&str> = others.split(|c: char| !is_word(c)).collect();
            let read = words.iter().enumerate().any(|(i, word)| {
                let before: Vec<&str> = words[..i]
                    .iter()
                    .rev()
                    .filter(|w| !w.is_empty())
                    .take(2)
                    .copied()
                    .collect();
                *word == name && !matches!(before[..], ["let", ..] | ["mut", "let"])
            });
            if !read {
                code.replace_range(at..end, " ");
                from = 0;
            }
        }
        code
    }

    /// How many assignments `bare` (literals blanked) makes: `=` alone (or `+=`, ...), not
    /// `==`, `!=`, `<=`, `>=` or `=>`.
    fn assignments(bare: &str) -> usize {
        let bytes = bare.as_bytes();
        (0..bytes.len())
            .filter(|&i| {
                bytes[i] == b'='
                    && !matches!(bytes.get(i + 1), Some(b'=' | b'>'))
                    && !(i > 0 && matches!(bytes[i - 1], b'=' | b'!' | b'<' | b'>'))
            })
            .count()
    }

    /// How many arguments the call whose `(` is just before `open` gets (literals blanked).
    fn arguments(bare: &str, open: usize) -> usize {
        let (mut depth, mut count, mut filled) = (1, 0, false);
        for c in bare[open..].chars() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 1 => {
                    count += usize::from(filled);
                    filled = false;
                    continue;
                }
                _ => {}
            }
            if depth == 0 {
                break;
            }
            filled |= !c.is_whitespace();
        }
        count + usize::from(filled)
    }

    /// The calls in `code` that edit a text (`.replace(a, b)`, `.replacen(..)`,
    /// `.replace_range(..)`); `.replace(x)` with one argument swaps an `Option`'s or a cell's
    /// value, and edits no text.
    fn text_edits(code: &str) -> Vec<&'static str> {
        let bare = blanked(code);
        [".replace(", ".replacen(", ".replace_range("]
            .into_iter()
            .filter(|edit| {
                bare.match_indices(edit)
                    .any(|(at, _)| *edit != ".replace(" || arguments(&bare, at + edit.len()) == 2)
            })
            .collect()
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

    /// The string literals of `code` that look like a reply ("logo.png (100 ms)", or a format
    /// string such as download's own "{file} ({ms} ms)").
    fn reply_texts(code: &str) -> Vec<String> {
        let chars: Vec<char> = code.chars().collect();
        let mut texts = Vec::new();
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
                    let before: String = chars[..i].iter().collect();
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
                    // A reply names its file ("logo.png (") or ends as one does ("ms)"), and
                    // is no sentence ("fetching logo.png (100 ms) first") nor starts with a
                    // plain word, where a file's name or a placeholder goes ("both ({} ms)").
                    let reply_like =
                        text.ends_with("ms)") || text.contains(".png (") || text.contains(".pdf (");
                    let plain_start = text
                        .split_whitespace()
                        .next()
                        .is_some_and(|word| word.chars().all(char::is_alphabetic));
                    // A text compared with (`logo != "logo.png (100 ms)"`, also as
                    // format!(..)'s text) or matched
                    // (`"manual.pdf (150 ms)" => ..`) is a check, no value handed back.
                    let after: String = chars[i.min(chars.len())..].iter().collect();
                    let (before, after) = (before.trim_end(), after.trim_start());
                    let before = before.strip_suffix("format!(").unwrap_or(before);
                    let before = before.trim_end().trim_end_matches('&').trim_end();
                    let checked = before.ends_with("==")
                        || before.ends_with("!=")
                        || ["==", "!=", "=>"].iter().any(|op| after.starts_with(op));
                    if reply_like
                        && !plain_start
                        && !checked
                        && text.split_whitespace().count() <= 3
                    {
                        texts.push(text);
                    }
                }
                _ => i += 1,
            }
        }
        texts
    }

    /// Values written by hand after a wait look the same from outside, so this test reads the
    /// source (what a message prints, or a panic says, is free).
    #[test]
    fn nothing_is_written_by_hand() {
        let code = without_message_labels(&without_messages(&code_outside_main(include_str!(
            "join_two_downloads.rs"
        ))));
        let copied = written_twice(&code, &["100", "150"], &[]);
        // A delay named again is fine on its own (a progress period, a deadline, a note), and
        // so is a sentence or a label made for a message; a reply's own text ("manual.pdf ({}
        // ms)", "{file} ({ms} ms)") written again beside download's format is a reply by hand.
        // Leave out download's own format (or the first one, if it was changed).
        let mut others = reply_texts(&code);
        let given = others.iter().position(|t| t == "{file} ({ms} ms)");
        if !others.is_empty() {
            others.remove(given.unwrap_or(0));
        }
        assert!(
            others.is_empty(),
            "the code writes a reply's text ({others:?}) beside download's own format{}, not in \
             a message (what println!, panic! or .expect print, or a let only they read, is \
             free): each reply must be what download hands back. Start both downloads at once \
             and wait for the pair (tokio::join!)",
            if copied.is_empty() {
                String::new()
            } else {
                format!(", and {copied:?} a second time")
            }
        );
        // A reply edited into another (`logo.replace("logo.png", "manual.pdf")`, a shorter
        // download's "(50 ms)" made "(150 ms)") is no download's reply.
        let edits = text_edits(&code);
        assert!(
            edits.is_empty(),
            "the code edits text with {edits:?} (outside a message): a reply changed by hand is \
             not what download handed back. Return each download's reply as it is, both \
             downloads started at once (tokio::join!)"
        );
        // `download` is named once where it is defined; a fix calls it (or hands it on).
        let calls = code
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|word| *word == "download")
            .count()
            - usize::from(code.contains("fn download"));
        assert!(
            calls > 0,
            "the code never calls download: the replies are made by the code itself, so no file \
             is fetched. Call download for the logo and for the manual and return what each call \
             hands back, both started at once (tokio::join!)"
        );
    }

    /// The `use` items of `code` (without comments or string text), each as the tree it
    /// brings in (`tokio::runtime::{Builder, Runtime}`): a `use` that starts a statement
    /// (`use ..;`, `pub use ..;`, `pub(crate) use ..;`), not the `use<'a>` of a precise
    /// capture (`impl Future<Output = ()> + use<'a>`).
    fn use_items(code: &str) -> Vec<&str> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        code.match_indices("use")
            .filter(|&(at, _)| {
                let rest = &code[at + 3..];
                let mut before = code[..at].trim_end();
                // `pub(crate) use`, `pub(in crate::a) use`, `pub use`.
                if let Some(open) = before.strip_suffix(')').and_then(|b| b.rfind('('))
                    && before[..open].trim_end().ends_with("pub")
                {
                    before = before[..open].trim_end();
                }
                if let Some(rest) = before.strip_suffix("pub")
                    && !rest.ends_with(ident)
                {
                    before = rest.trim_end();
                }
                !code[..at].ends_with(ident)
                    && !rest.starts_with(ident)
                    && rest
                        .trim_start()
                        .starts_with(|c: char| ident(c) || c == ':' || c == '{')
                    && (before.is_empty() || before.ends_with([';', '{', '}', ']']))
            })
            .map(|(at, _)| code[at + 3..].split(';').next().unwrap_or_default().trim())
            .collect()
    }

    /// What `code` (without comments or string text) polls a future with, once, by hand:
    /// the `poll!` macro (`poll!(fut)`, `futures_util::poll!(..)`, the macro brought in by a
    /// `use` line, also under a name of its own) or `poll_immediate`. Beside a `Pending` the
    /// code hands the runtime itself (`pending!()`, a `poll_fn`, a `fn poll` of its own), a
    /// `poll!` in a loop is an await written by hand, woken when the future can go on: then
    /// nothing is named.
    fn polled_once_by_hand(code: &str) -> Vec<&'static str> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        // What follows each place where `name` stands as a whole word.
        let after_word = |name: &'static str| {
            code.match_indices(name)
                .filter(move |&(at, _)| {
                    !code[..at].ends_with(ident) && !code[at + name.len()..].starts_with(ident)
                })
                .map(move |(at, _)| code[at + name.len()..].trim_start())
        };
        let is_macro = |rest: &str| rest.starts_with('!') && !rest.starts_with("!=");
        // `use futures_util::poll;`, `use futures::{poll, FutureExt};`, `use ..::poll as peek;`
        // (a `use` item: the `use<'a>` of `impl Future + use<'a>` brings in nothing).
        let imported = use_items(code).into_iter().any(|statement| {
            statement.match_indices("poll").any(|(at, _)| {
                !statement[..at].ends_with(ident)
                    && !statement[at + 4..].starts_with(ident)
                    && !statement[at + 4..].trim_start().starts_with("::")
            })
        });
        // The text of the bracketed group that `text` opens with (after what comes before it:
        // a `poll_fn`'s call, a `fn poll`'s body).
        let group = |text: &str, open: char| -> String {
            let Some(from) = text.find(open) else {
                return String::new();
            };
            let mut depth = 0;
            for (i, c) in text[from..].char_indices() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => {
                        depth -= 1;
                        if depth == 0 {
                            return text[from..from + i + 1].to_string();
                        }
                    }
                    _ => {}
                }
            }
            text[from..].to_string()
        };
        // A `poll_fn` or `fn poll` that answers `Ready` on its first poll whatever the futures
        // it polls do (`let _ = logo.as_mut().poll(cx); Poll::Ready(())`) waits for none of
        // them: no `Pending`, no `ready!`, no `?`, and every poll's result thrown away.
        let only_ready = |body: &str| {
            let words: Vec<&str> = body.split(|c: char| !ident(c)).collect();
            words.contains(&"Ready")
                && !words.contains(&"Pending")
                && !words.contains(&"ready")
                && !body.contains('?')
                && {
                    let polls: Vec<&str> = body
                        .split([';', '{', '}'])
                        .filter(|statement| {
                            statement.match_indices("poll").any(|(at, _)| {
                                !statement[..at].ends_with(ident)
                                    && statement[at..]
                                        .trim_start_matches(ident)
                                        .trim_start()
                                        .starts_with('(')
                            })
                        })
                        .collect();
                    !polls.is_empty()
                        && polls.iter().all(|statement| {
                            statement
                                .trim_start()
                                .strip_prefix("let _")
                                .is_some_and(|rest| {
                                    rest.trim_start().starts_with(['=', ':'])
                                        || rest.starts_with(ident)
                                })
                        })
                }
        };
        let own_pending = after_word("pending").any(is_macro)
            || after_word("poll_fn").any(|rest| !only_ready(&group(rest, '(')))
            || after_word("fn").any(|rest| {
                rest.strip_prefix("poll")
                    .is_some_and(|name| !name.starts_with(ident))
                    && !only_ready(&group(rest, '{'))
            });
        let mut found = Vec::new();
        if own_pending {
            return found;
        }
        if after_word("poll").any(is_macro) || imported {
            found.push("poll!");
        }
        if after_word("poll_immediate").next().is_some() {
            found.push("poll_immediate");
        }
        if after_word("poll_fn").any(|rest| only_ready(&group(rest, '('))) {
            found.push("a poll_fn that is Ready at once");
        }
        if after_word("fn").any(|rest| {
            rest.strip_prefix("poll")
                .is_some_and(|name| !name.starts_with(ident))
                && only_ready(&group(rest, '{'))
        }) {
            found.push("a fn poll that is Ready at once");
        }
        found
    }

    /// A download polled once (its timer starts then) and set aside while the other one is
    /// awaited ends at the same moments as two run together: the pair only looks concurrent,
    /// so this test reads the source. A download polled beside a `Pending` of the code's own
    /// (`pending!()`, a `poll_fn`, a `fn poll`: a join written by hand) is waited for.
    #[test]
    fn no_download_is_polled_once_and_set_aside() {
        let code = blanked(&code_outside_main(include_str!("join_two_downloads.rs")));
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let words: Vec<&str> = code.split(|c: char| !ident(c)).collect();
        // These poll with a waker that wakes nobody: what they poll is never waited for.
        let mut found: Vec<&str> = ["now_or_never", "noop_waker", "noop_waker_ref"]
            .into_iter()
            .filter(|item| words.contains(item))
            .collect();
        // `Waker::noop()`: a `noop` after a path that is no type or module of the code's own
        // (not `Self::noop()` or `Progress::noop()`).
        let named: Vec<&str> = words
            .iter()
            .copied()
            .filter(|word| !word.is_empty())
            .collect();
        let own: Vec<&str> = (named.windows(2))
            .filter(|pair| {
                ["struct", "enum", "union", "trait", "type", "mod", "fn"].contains(&pair[0])
            })
            .map(|pair| pair[1])
            .collect();
        if code.match_indices("noop").any(|(at, _)| {
            let segment = code[..at].trim_end().strip_suffix("::").map(|path| {
                let path = path.trim_end();
                &path[path.trim_end_matches(ident).len()..]
            });
            let foreign = segment.is_some_and(|segment| {
                !(["crate", "self", "super", "Self"].contains(&segment) || own.contains(&segment))
            });
            !code[at + 4..].starts_with(ident)
                && foreign
                && (segment.is_some_and(|segment| segment.ends_with("Waker"))
                    || !own.contains(&"noop"))
        }) {
            found.push("Waker::noop");
        }
        found.extend(polled_once_by_hand(&code));
        assert!(
            found.is_empty(),
            "the code polls a download by hand ({found:?}) instead of awaiting it, so nothing \
             waits for that download between the code's own polls of it: polled once and set \
             aside while the other one is awaited, it only looks as if the two ran at once; \
             checked again and again (in a loop, on a timer), the code wakes for nothing until \
             it is done. Start both downloads at once and wait for the pair (tokio::join!)"
        );
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

    /// Awaits `future`, and returns what it gave, when it was over (after the start) and the
    /// times at which its task was woken.
    async fn woken_at<T>(future: impl Future<Output = T>) -> (T, Duration, Vec<Duration>) {
        let start = Instant::now();
        let woken = Arc::new(Mutex::new(Vec::new()));
        let mut future = std::pin::pin!(future);
        let output = std::future::poll_fn(|cx| {
            let waker = std::task::Waker::from(Arc::new(NoteWake {
                start,
                at: Arc::clone(&woken),
                task: cx.waker().clone(),
            }));
            future
                .as_mut()
                .poll(&mut std::task::Context::from_waker(&waker))
        })
        .await;
        let took = start.elapsed();
        let woken = woken.lock().unwrap().clone();
        (output, took, woken)
    }

    /// A loop that checks on the downloads every few ms is done in time too, so this test
    /// writes down when fetch_both's task is woken.
    #[tokio::test(start_paused = true)]
    async fn the_downloads_are_not_checked_on_a_timer() {
        let (_, took, woken) = woken_at(fetch_both()).await;
        let ends = [Duration::from_millis(100), Duration::from_millis(150)];
        if took != ends[1] {
            return; // Too slow or too fast: the tests above say why.
        }
        // Woken at 0 ms (a task that starts, a yield) or when a download ends.
        let mut needless: Vec<Duration> = woken
            .into_iter()
            .filter(|at| !at.is_zero() && !ends.contains(at))
            .collect();
        // Timers of its own that end at one moment (a progress message for each of
        // its futures) wake it once each: count the moments, not the wake-ups.
        needless.dedup();
        // A timer of its own now and then (a progress message every 40 ms or more) is
        // fine; every few ms is not.
        assert!(
            needless.len() as u128 <= took.as_millis() / 40,
            "fetch_both's task was woken at {} moment(s) when no download had ended (they end after \
             100 and 150 ms), the first time after {:?}: checking on the downloads on a timer \
             of your own is busy waiting. Await both together (tokio::join!): the task then \
             wakes when a download ends",
            needless.len(),
            needless.first().copied().unwrap_or_default()
        );
    }

    /// Every other test runs on a current-thread runtime, where a spawned task runs on the
    /// thread of the call that awaits it. `#[tokio::main]` builds a multi-thread runtime: here
    /// fetch_both runs on one (with the real clock), made and awaited inside `block_on` on this
    /// test's own thread, outside the runtime's worker threads.
    #[test]
    fn fetch_both_works_on_a_multi_thread_runtime() {
        let expected = (
            String::from("logo.png (100 ms)"),
            String::from("manual.pdf (150 ms)"),
        );
        // What the call did on a runtime from `builder` (real clock), run from this thread.
        let run = |mut builder: tokio::runtime::Builder| {
            let runtime = builder.enable_all().build().unwrap();
            let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // Made and awaited inside the runtime, as under `#[tokio::main]`: a future that
                // spawns its work when it is made (not when first awaited) finds the runtime.
                runtime.block_on(async {
                    tokio::time::timeout(Duration::from_secs(5), async { fetch_both().await }).await
                })
            }));
            runtime.shutdown_timeout(Duration::from_secs(1));
            match got {
                Ok(Ok(got)) => (got == expected, format!("returned {got:?}")),
                Ok(Err(_)) => (
                    false,
                    String::from("had not returned after 5 s (the downloads take 150 ms)"),
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
             worker threads, fetch_both() {seen}, not {expected:?} (on a current-thread runtime \
             it returned that): the answer depends on the thread the work ran on. A result left \
             on the thread that computed it (a thread_local, anything kept per thread) is lost \
             when the task runs on another thread, and one read before its task is awaited may \
             not be there yet. Hand it back through the JoinHandle's output or a channel, and \
             await it"
        );
        panic!(
            "fetch_both() {seen} on a multi-thread runtime and {here} on a current-thread one, \
             not {expected:?} (both with the real clock; the other tests run on a paused one)"
        );
    }

    /// fetch_both awaited on a fresh runtime whose clock runs in real time (a multi-thread one
    /// with 2 workers, as `#[tokio::main]` builds, or a current-thread one), on a thread named
    /// main: what it returned and how long it took on the real clock, or what went wrong. The
    /// test gives up waiting after 5 s of real time (a thread left waiting ends with the test
    /// program).
    fn fetch_both_on_a_running_clock(
        multi_thread: bool,
    ) -> Result<((String, String), std::time::Duration), &'static str> {
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
                    let pair = fetch_both().await;
                    (pair, start.elapsed())
                });
                let _ = send.send(got);
            })
            .unwrap();
        done.recv_timeout(std::time::Duration::from_secs(5))
            .map_err(|error| match error {
                std::sync::mpsc::RecvTimeoutError::Timeout => {
                    "had not returned after 5 s (the downloads take 150 ms)"
                }
                std::sync::mpsc::RecvTimeoutError::Disconnected => {
                    "panicked (its message is in the full output, from the thread named main)"
                }
            })
    }

    /// Every other test but one pauses Tokio's clock; a program (main) runs on a real one. Code
    /// that tells the two apart (a paused clock stands still) and downloads one file after the
    /// other only on a real clock shows here: on runtimes like the tests' (one thread) and
    /// main's (multi-threaded), clocks running, fetch_both is timed on the real clock. A real
    /// timer never ends early, so the downloads one after the other take 250 ms or more; at the
    /// same time, about 150 ms. One try under 235 ms is enough: a busy machine may slow a try
    /// down, so there are up to 3 (all three slowed by 85 ms is most unlikely).
    #[test]
    fn the_pair_takes_as_long_as_the_slower_download_on_a_running_clock() {
        let expected = (
            String::from("logo.png (100 ms)"),
            String::from("manual.pdf (150 ms)"),
        );
        let bound = std::time::Duration::from_millis(235);
        for multi_thread in [false, true] {
            let runtime = if multi_thread {
                "on a multi-threaded runtime, as main's,"
            } else {
                "on a runtime with one thread, as the tests',"
            };
            let (mut tries, mut quickest) = (Vec::new(), None);
            while tries.len() < 3 {
                let (pair, took) = match fetch_both_on_a_running_clock(multi_thread) {
                    Ok(got) => got,
                    Err(what) => panic!(
                        "{runtime} whose clock runs in real time (every other test but one \
                         pauses Tokio's clock), fetch_both() {what}: download both files at \
                         once and return them, whatever clock or runtime it runs on \
                         (tokio::join!)"
                    ),
                };
                assert_eq!(
                    pair, expected,
                    "{runtime} whose clock runs in real time (every other test but one pauses \
                     Tokio's clock), fetch_both() returned {pair:?}: return what the two \
                     downloads returned, logo first, whatever clock or runtime it runs on"
                );
                if took < bound {
                    break;
                }
                tries.push(format!("{} ms", took.as_millis()));
                quickest =
                    Some(quickest.map_or(took, |other: std::time::Duration| other.min(took)));
            }
            // Every try far past even the two downloads one after the other (250 ms): a wait
            // of the code's own, not the order of the downloads.
            let own_wait = std::time::Duration::from_millis(500);
            assert!(
                tries.len() < 3 || quickest.is_none_or(|took| took < own_wait),
                "{runtime} whose clock runs in real time, as in a program (every other test but \
                 one pauses Tokio's clock), fetch_both took {} on the real clock in 3 tries, \
                 each {} ms or more: longer even than the two downloads one after the other \
                 (about 250 ms). It waits past the downloads for something of its own (a \
                 timeout, a sleep, a wait for a channel that never closes), or starts a download \
                 again: start both at once and return as soon as both are over, whatever clock \
                 or runtime the code runs on (tokio::join!)",
                tries.join(", "),
                own_wait.as_millis()
            );
            assert!(
                tries.len() < 3,
                "{runtime} whose clock runs in real time, as in a program (every other test but \
                 one pauses Tokio's clock), fetch_both took {} on the real clock in 3 \
                 tries, each {} ms or more. Run at the same time, the 100 ms logo and the \
                 150 ms manual take about 150 ms; one after the other, 250 ms or more (a real \
                 timer never ends early, and a busy machine seldom slows three tries in a row by \
                 85 ms). So on a running clock the downloads ran one after the other: start both \
                 at once on every path, whatever clock or runtime the code runs on (tokio::join!)",
                tries.join(", "),
                bound.as_millis()
            );
        }
    }

    /// 500 fetch_both calls at once: what came back and when (after the start), for those
    /// that did not return both files after 150 ms.
    async fn five_hundred_calls_at_once() -> Vec<(String, String, Duration)> {
        let start = Instant::now();
        let calls = (0..500).map(|_| async {
            let (logo, manual) = fetch_both().await;
            (logo, manual, start.elapsed())
        });
        let got = futures_util::future::join_all(calls).await;
        (got.into_iter())
            .filter(|(logo, manual, took)| {
                (logo.as_str(), manual.as_str()) != ("logo.png (100 ms)", "manual.pdf (150 ms)")
                    || *took != Duration::from_millis(150)
            })
            .collect()
    }

    /// Every call gets its pair after 150 ms, however many run at once, and a call whose
    /// caller left (dropped half-way, as a web server drops the request of a client that went
    /// away) runs none of its code past the `.await` where it waited: a count of running
    /// downloads or a permit in a `static`, given back only when a call returns, is never given
    /// back for it, and later calls find the network "busy".
    #[tokio::test(start_paused = true)]
    async fn callers_who_left_change_nothing_for_the_next_ones() {
        let wrong = five_hundred_calls_at_once().await;
        assert!(
            wrong.is_empty(),
            "500 fetch_both calls ran at once, and {} of them did not return the logo and the \
             manual after 150 ms (the first: {:?} and {:?} after {:?}): each call takes as long \
             as its own slower download, however many run at once. Do not cap or queue the \
             downloads (a semaphore or a count in a static): run each call's two downloads at \
             the same time (tokio::join!)",
            wrong.len(),
            wrong[0].0,
            wrong[0].1,
            wrong[0].2
        );
        // 500 callers leave after 50 ms, while their downloads are under way.
        let left = (0..500).map(|_| tokio::time::timeout(Duration::from_millis(50), fetch_both()));
        futures_util::future::join_all(left).await;
        let wrong = five_hundred_calls_at_once().await;
        assert!(
            wrong.is_empty(),
            "500 fetch_both calls whose callers left after 50 ms (each call dropped while it \
             waited, as a web server drops the request of a client that went away), then 500 \
             calls at once: {} of those did not return the logo and the manual after 150 ms \
             (the first: {:?} and {:?} after {:?}), though 500 calls at once did before the \
             others left. A call dropped while it waits runs none of its code after that \
             .await, so something it took to give back at its end (a count of running \
             downloads, a permit, a flag in a static) was never given back. Keep nothing that a \
             dropped call leaves behind: tokio::join! needs nothing else",
            wrong.len(),
            wrong[0].0,
            wrong[0].1,
            wrong[0].2
        );
    }
}
