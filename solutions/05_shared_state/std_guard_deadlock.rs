// std_guard_deadlock
//
// `refresh` downloads prices (slow) into a cache behind a std `Mutex`; `cheapest` reads it. The
// test runs both on ONE thread with `tokio::join!` and hangs: `refresh` holds the lock while it
// awaits the download, `cheapest` blocks the only thread in `lock()`, so nothing can go on.
//
// Fix `refresh` so that no std guard is alive across an `.await`. Readers must never have to
// wait for the download: while it runs, they see the old prices.

use std::sync::Mutex;
use std::time::Duration;

async fn download_prices() -> Vec<u32> {
    tokio::time::sleep(Duration::from_millis(100)).await;
    vec![30, 12, 25]
}

async fn refresh(cache: &Mutex<Vec<u32>>) {
    // Download first, with no lock held; then lock only for the quick swap.
    let fresh = download_prices().await;
    *cache.lock().unwrap() = fresh;
}

fn cheapest(cache: &Mutex<Vec<u32>>) -> Option<u32> {
    cache.lock().unwrap().iter().copied().min()
}

#[tokio::main]
async fn main() {
    let cache = Mutex::new(vec![40, 50]);
    println!("cheapest before: {:?}", cheapest(&cache));
    refresh(&cache).await;
    println!("cheapest after: {:?}", cheapest(&cache));
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Duration;
    use tokio::time::Instant;

    /// The identifier that `text` ends with ("" if it ends with anything else).
    fn trailing_ident(text: &str) -> String {
        let start = text.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_');
        text[start.len()..].to_string()
    }

    #[tokio::test(start_paused = true)]
    async fn readers_are_not_blocked_by_a_refresh() {
        // A first refresh, on a cache of its own: the checked one below is a second call, so a
        // download kept from an earlier call (in a static) is caught whatever ran before.
        refresh(&Mutex::new(Vec::new())).await;
        let cache = Mutex::new(vec![40, 50]);
        let start = Instant::now();
        let ((), (seen, held, seen_at)) = tokio::join!(refresh(&cache), async {
            // Ask for the cheapest price while the download is in progress, and look at the
            // cache then (without waiting: `None` if it is locked).
            tokio::time::sleep(Duration::from_millis(10)).await;
            let seen = cheapest(&cache);
            let held = cache.try_lock().ok().map(|prices| prices.clone());
            (seen, held, start.elapsed())
        });
        let why = match (seen, &held) {
            (None, None) => "the cache was locked at that moment (a guard kept alive across an \
                 .await of the refresh), and cheapest answered without waiting for it. Lock the \
                 cache in refresh only for the swap, after the download: then a reader never \
                 finds it locked for long, and waits for it with lock()"
                .to_string(),
            (None, Some(prices)) if prices.is_empty() => {
                "the cache was empty: readers must see the old prices until the downloaded \
                 ones replace them, so do not empty the cache before (or while) downloading; \
                 store the new prices in one step once the download is done"
                    .to_string()
            }
            (None, Some(prices)) => format!(
                "the cache held {prices:?} at that moment, yet cheapest found no price: it \
                 must answer with the lowest price in the cache"
            ),
            (Some(12), _) => "the new prices were already there, 10 ms into a 100 ms download: \
                 each refresh must wait for its own download"
                .to_string(),
            (Some(_), _) => "readers must see the old prices until the downloaded ones replace \
                 them, in one step once the download is done"
                .to_string(),
        };
        assert_eq!(
            seen,
            Some(40),
            "10 ms into a second refresh (a first one ran on another cache) a reader got \
             cheapest {seen:?}, not the old prices' 40: {why}"
        );
        assert!(
            seen_at < Duration::from_millis(50),
            "the reader got its answer after {seen_at:?}: it waited for the download. Do not \
             keep the cache locked while downloading"
        );
        assert_eq!(
            cheapest(&cache),
            Some(12),
            "after the refresh the cache must hold the new prices (cheapest 12)"
        );
        let after = cache.lock().unwrap().clone();
        assert_eq!(
            after,
            [30, 12, 25],
            "the cache held [40, 50] and the download gave [30, 12, 25], but after the refresh \
             the cache holds {after:?}: it must hold the downloaded list as it came (the same \
             prices in the same order) in place of the old one, not added to the old prices, \
             nor sorted or changed. Store it as it is (`*guard = fresh`)"
        );
        assert!(
            start.elapsed() >= Duration::from_millis(100),
            "a second refresh (a first one ran on another cache) finished after {:?}: each \
             refresh must still wait for download_prices (100 ms), not reuse an earlier download",
            start.elapsed()
        );
    }

    /// On one thread, another task can only find the cache locked if refresh keeps a std guard
    /// alive across an .await (the download, or an await after storing, a log say): this test
    /// tries the lock every millisecond while refresh runs, on caches of 2 prices, 1 price and
    /// 2 501 prices (a cache may hold any number of them).
    #[tokio::test(start_paused = true)]
    async fn the_cache_is_free_whenever_refresh_waits() {
        let caches: [Vec<u32>; 3] = [vec![40, 50], vec![7], (1..=2501).collect()];
        for old in caches {
            let count = old.len();
            let cache = Mutex::new(old);
            let start = Instant::now();
            let locked_at = std::cell::Cell::new(None);
            let trying = async {
                loop {
                    if cache.try_lock().is_err() && locked_at.get().is_none() {
                        locked_at.set(Some(start.elapsed()));
                    }
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            };
            tokio::select! {
                () = refresh(&cache) => {}
                _ = trying => {}
                () = tokio::time::sleep(Duration::from_secs(10)) => {
                    panic!(
                        "refresh of a cache of {count} old price(s) did not return within 10 s, \
                         but the download takes 100 ms"
                    )
                }
            }
            if let Some(at) = locked_at.get() {
                panic!(
                    "{at:?} into the refresh of a cache of {count} old price(s), another task \
                     found the cache locked while refresh was waiting: refresh keeps a std guard \
                     alive across an .await (the download, or an await after it stored the \
                     prices, such as a log or a sleep), whatever the cache holds. A task that \
                     then calls lock() blocks the only thread, and nothing can go on. End the \
                     guard's {{ }} block (or drop it) before every .await: lock only for the swap"
                );
            }
        }
    }

    /// Each time refresh stops at an .await (the download, a yield_now, a log), a reader runs
    /// in between here: it must find the old prices or the new ones, whole, never the cache
    /// emptied or half filled.
    #[tokio::test(start_paused = true)]
    async fn a_reader_between_the_steps_of_refresh_sees_old_or_new_prices() {
        let cache = Mutex::new(vec![40, 50]);
        let start = Instant::now();
        let mut torn = None;
        let mut refreshing = std::pin::pin!(refresh(&cache));
        std::future::poll_fn(|cx| {
            let poll = refreshing.as_mut().poll(cx);
            if poll.is_pending() && torn.is_none() {
                // A reader's turn while refresh waits (a cache still locked is another test's).
                if let Ok(prices) = cache.try_lock()
                    && *prices != [40, 50]
                    && *prices != [30, 12, 25]
                {
                    torn = Some((prices.clone(), start.elapsed()));
                }
            }
            poll
        })
        .await;
        if let Some((prices, at)) = torn {
            panic!(
                "{at:?} into the refresh, while refresh waited at an .await, a reader found the \
                 cache holding {prices:?}, neither the old prices [40, 50] nor the downloaded \
                 [30, 12, 25] (cheapest would answer {:?}): refresh changed the cache in \
                 steps with an .await between them. Download first, then store the new prices \
                 in one step, under one lock, with no .await while the cache is half done \
                 (`*guard = fresh`)",
                prices.iter().min()
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn refresh_replaces_a_longer_list_whole() {
        let cache = Mutex::new(vec![40, 50, 60, 1, 2]);
        refresh(&cache).await;
        let stored = cache.lock().unwrap().clone();
        assert_eq!(
            stored,
            [30, 12, 25],
            "the cache held 5 old prices, refresh downloaded 3, and the cache holds {stored:?}: \
             the old prices must all go, replaced by the download as a whole (store the new \
             Vec), or cheapest answers with a price that is no longer there"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn refresh_alone_stores_new_prices() {
        let cache = Mutex::new(Vec::new());
        assert_eq!(
            cheapest(&cache),
            None,
            "an empty cache has no cheapest price"
        );
        refresh(&cache).await;
        assert_eq!(
            *cache.lock().unwrap(),
            [30, 12, 25],
            "refresh must store the downloaded prices as download_prices returns them (the \
             same prices in the same order)"
        );
    }

    #[test]
    fn refresh_waits_its_turn_to_store() {
        use std::future::Future;
        let cache = Mutex::new(vec![40, 50]);
        // How many times refresh is polled: twice (the download, then its end), whatever the
        // clock; a wait for the lock that retries on a timer or in a loop, many more times.
        let mut polls = 0;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("could not build a runtime");
        // The CPU time of this thread (Linux's /proc/thread-self/schedstat; None elsewhere).
        let cpu_time = || -> Option<Duration> {
            let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
            Some(Duration::from_nanos(
                stat.split_whitespace().next()?.parse().ok()?,
            ))
        };
        let mut cpu_used = None;
        // What refresh said if it panicked.
        let mut panicked = None;
        std::thread::scope(|scope| {
            let (locked, is_locked) = std::sync::mpsc::channel();
            // Another thread reads the cache slowly: it holds the lock for 300 ms, past the end
            // of the 100 ms download.
            let cache = &cache;
            scope.spawn(move || {
                let _reading = cache.lock().unwrap();
                locked.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(300));
            });
            is_locked.recv().unwrap();
            let mut refreshing = std::pin::pin!(refresh(cache));
            let before = cpu_time();
            panicked = runtime.block_on(std::future::poll_fn(|cx| {
                polls += 1;
                let poll = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    refreshing.as_mut().poll(cx)
                }));
                match poll {
                    Ok(poll) => poll.map(|()| None),
                    Err(panic) => std::task::Poll::Ready(Some(panic_text(&*panic))),
                }
            }));
            cpu_used = before.zip(cpu_time()).map(|(before, after)| after - before);
        });
        if let Some(said) = panicked {
            let how = if said.contains("WouldBlock") {
                "a `try_lock` fails at once while another thread holds the lock; `lock()` waits \
                 for it"
            } else {
                "`lock()` waits for the other thread by itself"
            };
            panic!(
                "another thread held the cache for 300 ms, past the end of the 100 ms download, \
                 and refresh panicked ({said}) instead of waiting to store the new prices: wait \
                 for the lock with `lock()` ({how}; the others hold it only briefly)"
            );
        }
        assert_eq!(
            cheapest(&cache),
            Some(12),
            "another thread held the cache when the download was done, and refresh did not \
             store the new prices: it must wait for the lock (lock() only waits a moment: the \
             others hold it briefly), not give up when the cache is busy (try_lock)"
        );
        // 300 ms with at most one wake-up of its own per 40 ms, beside the 2 polls it needs.
        assert!(
            polls <= 9,
            "another thread held the cache for 300 ms, and refresh was polled {polls} times \
             meanwhile (twice is enough: once to start the download, once when it is done): \
             it retries the lock on a timer or in a loop (try_lock, then sleep or yield_now). \
             Once the download is done, lock the cache with lock(), which waits for the other \
             thread by itself"
        );
        // Waiting in lock() takes next to no CPU time (a correct refresh uses well under 5 ms
        // here, and a busy machine only makes it wait longer); a loop that retries try_lock
        // without ever yielding to the runtime (std::thread::yield_now, spin_loop) burns CPU
        // for as long as the other thread holds the cache, as much as the machine lets it.
        let cpu_used = cpu_used.unwrap_or_default();
        assert!(
            cpu_used < Duration::from_millis(25),
            "another thread held the cache for 300 ms, and refresh's thread spent {} ms of CPU \
             time meanwhile: it retries try_lock in a busy loop. Once the download is done, \
             lock the cache with lock(), which waits for the other thread without using the CPU",
            cpu_used.as_millis()
        );
    }

    /// What a caught panic said (its message, if it is a string).
    fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|text| text.to_string()))
            .unwrap_or_else(|| "with a message that is not a string".to_string())
    }

    #[test]
    fn a_reader_waits_out_a_short_store() {
        let cache = Mutex::new(vec![40, 50]);
        std::thread::scope(|scope| {
            let (locked, is_locked) = std::sync::mpsc::channel();
            // Another thread holds the cache for a moment, as refresh does while it stores.
            let cache = &cache;
            scope.spawn(move || {
                let _storing = cache.lock().unwrap();
                locked.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(200));
            });
            is_locked.recv().unwrap();
            let answer = cheapest(cache);
            assert_eq!(
                answer,
                Some(40),
                "another thread held the cache for a moment (as refresh does while it stores \
                 the prices), and cheapest answered {answer:?}: a reader waits that moment for \
                 the lock (lock()), it does not give up on a busy cache (try_lock). Only the \
                 download must not hold the lock"
            );
        });
    }

    /// A download handed to a task of its own, and taken after a sleep as long as the
    /// download (or checked on a timer after it), is there on time as long as the task starts
    /// at once; here it starts 53 ms late, and refresh's polls are noted.
    #[tokio::test(start_paused = true)]
    async fn refresh_stores_the_download_even_when_the_runtime_is_busy() {
        use std::future::Future;
        let cache = Mutex::new(vec![40, 50]);
        let metrics = tokio::runtime::Handle::current().metrics();
        let tasks = metrics.num_alive_tasks();
        let start = Instant::now();
        let mut moments = Vec::new();
        let mut jumped = false;
        let mut refreshing = std::pin::pin!(refresh(&cache));
        let first = std::future::poll_fn(|cx| std::task::Poll::Ready(refreshing.as_mut().poll(cx)));
        if first.await.is_pending() {
            if metrics.num_alive_tasks() > tasks {
                // The runtime is busy for 53 ms: the task refresh spawned only starts after
                // that. (Without a task, a jump would only make a safety-net timer of refresh's
                // own end together with the download, so the clock jumps only for a task.)
                tokio::time::advance(Duration::from_millis(53)).await;
                jumped = true;
            }
            std::future::poll_fn(|cx| {
                let now = start.elapsed();
                if moments.last() != Some(&now) {
                    moments.push(now);
                }
                refreshing.as_mut().poll(cx)
            })
            .await;
        }
        let took = start.elapsed();
        let after = cache.lock().unwrap().clone();
        // The download as it came, kept beside other prices (the old ones, say), or not there.
        let downloaded = after.windows(3).any(|run| run == [30, 12, 25]);
        let why = if downloaded {
            "the downloaded prices are there, but beside others: the old prices must go, \
             replaced by the download as a whole (`*guard = fresh`), not added to"
        } else if after == [40, 50] {
            "the old prices were still there. Await download_prices() (or the JoinHandle of a \
             task that runs it) in refresh itself, not a sleep as long as the download (and \
             give a safety-net timer, if any, more time)"
        } else {
            "refresh must store the downloaded list as it came, in place of the old one"
        };
        let busy = if jumped {
            "here refresh ran one step, then the runtime was busy for 53 ms before the task it \
             spawned could start (a download there ends at 153 ms); "
        } else {
            ""
        };
        assert_eq!(
            after,
            [30, 12, 25],
            "{busy}when refresh returned, after {took:?}, the cache held {after:?}, not the \
             download [30, 12, 25] (the cache held [40, 50] before): {why}"
        );
        // Woken when the download is done: at 100 ms if refresh runs it, at 153 ms if its task
        // does; a progress message now and then (every 12 ms or more) is fine: a check on a
        // timer of its own that lands right on that end wakes it 9 times (every 10 ms) or more.
        let own = moments.iter().skip(1).filter(|at| **at != took).count();
        assert!(
            !jumped || ([100, 153].contains(&took.as_millis()) && own <= 8),
            "here the runtime was busy for 53 ms before the task refresh spawned could start, so \
             a download there ended at 153 ms (one in refresh itself, at 100 ms); refresh \
             returned after {took:?} and was polled at {} moments after the busy spell (the \
             first ones: {:?}): it checks on the download on a timer of its own (a sleep, then \
             a look now and then), or prints progress more often than every 12 ms. Await \
             download_prices() (or the JoinHandle of its task): \
             the download wakes refresh when the prices are there",
            moments.len(),
            &moments[..moments.len().min(6)]
        );
    }

    /// A download polled now and then on a timer of its own (`now_or_never`, then a short
    /// sleep) is found done on the tick that follows its end; here refresh's polls are noted.
    #[tokio::test(start_paused = true)]
    async fn refresh_is_woken_by_the_download_not_a_timer() {
        use std::future::Future;
        let cache = Mutex::new(vec![40, 50]);
        let start = Instant::now();
        let mut moments = Vec::new();
        let mut refreshing = std::pin::pin!(refresh(&cache));
        std::future::poll_fn(|cx| {
            let now = start.elapsed();
            if moments.last() != Some(&now) {
                moments.push(now);
            }
            refreshing.as_mut().poll(cx)
        })
        .await;
        let took = start.elapsed();
        assert!(
            took < Duration::from_millis(150),
            "refresh alone returned after {took:?}, but the download takes 100 ms: it waits \
             for something else than download_prices() (a sleep, while a task of its own \
             downloads?). Await download_prices() in refresh, then store what it gave"
        );
        // Polled at 0 ms and when the download is done; a progress message now and then (one
        // per 20 ms) is fine, and one every 12 ms or more if refresh returns right at 100 ms (a
        // check on a timer of 11 to 19 ms finds the download done only after that).
        let own = moments
            .iter()
            .filter(|at| !at.is_zero() && **at != took)
            .count();
        assert!(
            own as u128 <= took.as_millis() / 20 || (took.as_millis() == 100 && own <= 8),
            "refresh was polled at {} moments of the paused clock while the {took:?} download \
             ran (the first ones: {:?}): it checks on the download on a timer of its own (or \
             prints progress more often than every 20 ms, or every 12 ms if it returns right \
             at 100 ms). Await download_prices(): the download wakes refresh when the prices \
             are there",
            moments.len(),
            &moments[..moments.len().min(6)]
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

    /// The code above the tests as the compiler reads it: no comments (`//`, `/* */`, doc
    /// comments), no text of the messages it prints or panics with (`println!`, `eprintln!`,
    /// `panic!`, `assert!`, `.expect(..)`...), and the quotes and braces of the other strings
    /// blanked, so that neither can be taken for code.
    fn code_as_compiled(source: &str) -> String {
        // A `"` inside a raw string (`r#"a "b" c"#`) does not end it.
        let source = &raw_strings_plain(source);
        const MESSAGES: [&str; 15] = [
            "print",
            "println",
            "eprint",
            "eprintln",
            "panic",
            "assert",
            "assert_eq",
            "assert_ne",
            "debug_assert",
            "debug_assert_eq",
            "debug_assert_ne",
            "unreachable",
            "todo",
            "unimplemented",
            "expect",
        ];
        let source = source
            .split("\n// Tests: do not edit below this line.")
            .next()
            .unwrap();
        let chars: Vec<char> = source.chars().collect();
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut out = String::new();
        // The name before each open bracket (`println` for `println!(`), to tell messages.
        let mut callers: Vec<String> = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            if c == '/' && next == Some('/') {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            if c == '/' && next == Some('*') {
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
                out.push(' ');
                continue;
            }
            let after_ident = i > 0 && is_ident(chars[i - 1]);
            // A string literal: "..", b"..", r"..", r#".."#, br"..".
            let mut start = None;
            if c == '"' {
                start = Some((i, false, 0));
            } else if !after_ident && (c == 'r' || c == 'b') {
                let mut j = i + 1;
                if c == 'b' && next == Some('r') {
                    j += 1;
                }
                let raw = c == 'r' || j == i + 2;
                let hashes = if raw {
                    chars[j..].iter().take_while(|h| **h == '#').count()
                } else {
                    0
                };
                if chars.get(j + hashes) == Some(&'"') {
                    start = Some((j + hashes, raw, hashes));
                }
            }
            if let Some((quote, raw, hashes)) = start {
                let mut end = quote + 1;
                while end < chars.len() {
                    if !raw && chars[end] == '\\' {
                        end += 2;
                        continue;
                    }
                    if chars[end] == '"'
                        && chars[end + 1..]
                            .iter()
                            .take(hashes)
                            .filter(|h| **h == '#')
                            .count()
                            == hashes
                    {
                        break;
                    }
                    end += 1;
                }
                let text: String = chars[quote + 1..end.min(chars.len())]
                    .iter()
                    .map(|c| if "{}\"'".contains(*c) { ' ' } else { *c })
                    .collect();
                let message = callers
                    .last()
                    .is_some_and(|caller| MESSAGES.contains(&caller.as_str()));
                out.push('"');
                if !message {
                    out.push_str(&text);
                }
                out.push('"');
                i = end + 1 + hashes;
                continue;
            }
            // A char literal ('x', '\n', '\u{7f}'), not a lifetime.
            if c == '\'' && (next == Some('\\') || chars.get(i + 2) == Some(&'\'')) {
                let mut end = i + 2;
                while end < chars.len() && chars[end] != '\'' {
                    end += 1;
                }
                out.push_str("'_'");
                i = end + 1;
                continue;
            }
            match c {
                '(' | '[' | '{' => {
                    let before = out.trim_end().trim_end_matches('!');
                    let name: String = trailing_ident(before);
                    callers.push(name);
                }
                ')' | ']' | '}' => {
                    callers.pop();
                }
                _ => {}
            }
            out.push(c);
            i += 1;
        }
        out
    }

    /// Where `name` is a word of `code`.
    fn word_at(code: &str, name: &str) -> Vec<usize> {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        code.match_indices(name)
            .map(|(at, _)| at)
            .filter(|at| {
                !code[..*at].ends_with(is_ident) && !code[at + name.len()..].starts_with(is_ident)
            })
            .collect()
    }

    /// The end of the `{ .. }` block that opens at or after `from`.
    fn block_end(code: &str, from: usize) -> Option<usize> {
        let open = from + code[from..].find('{')?;
        let mut depth = 0;
        for (i, c) in code[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(open + i + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// `code` without `fn main` and without the top-level fns that only it uses (the demo never
    /// runs in the tests), but with every fn the tests use.
    fn code_outside_main(code: &str) -> String {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut code = code.to_string();
        let mut name = "main".to_string();
        loop {
            let fn_at = word_at(&code, &name).into_iter().find_map(|at| {
                let before = code[..at].trim_end();
                let after = code[at + name.len()..].trim_start();
                (before.ends_with("fn")
                    && !before[..before.len() - 2].ends_with(is_ident)
                    && (after.starts_with('(') || after.starts_with('<')))
                .then(|| before.len() - 2)
            });
            if let Some((at, end)) = fn_at.and_then(|at| Some((at, block_end(&code, at)?))) {
                code.replace_range(at..end, "");
            }
            // The next top-level fn named nowhere else, if any.
            let mut depth = 0;
            let mut unused = None;
            for (at, c) in code.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth != 0
                    || !code[at..].starts_with("fn")
                    || code[..at].ends_with(is_ident)
                    || !code[at + 2..].starts_with(char::is_whitespace)
                {
                    continue;
                }
                let fn_name: String = code[at + 2..]
                    .trim_start()
                    .chars()
                    .take_while(|c| is_ident(*c))
                    .collect();
                if !["refresh", "cheapest", "download_prices"].contains(&fn_name.as_str())
                    && word_at(&code, &fn_name).len() == 1
                {
                    unused = Some(fn_name);
                    break;
                }
            }
            match unused {
                Some(next) => name = next,
                None => return code,
            }
        }
    }

    /// `code` without the top-level `const`s and `static`s named nowhere else (the demo's).
    fn without_unused_consts(code: &str) -> String {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut code = code.to_string();
        loop {
            let mut depth = 0;
            let mut unused = None;
            for (at, c) in code.char_indices() {
                match c {
                    '{' | '(' | '[' => depth += 1,
                    '}' | ')' | ']' => depth -= 1,
                    _ => {}
                }
                let Some(rest) = (code[at..].strip_prefix("const "))
                    .or_else(|| code[at..].strip_prefix("static "))
                    .filter(|_| depth == 0 && !code[..at].ends_with(is_ident))
                else {
                    continue;
                };
                let rest = rest.trim_start();
                let rest = rest.strip_prefix("mut ").unwrap_or(rest).trim_start();
                let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
                if name.is_empty() || word_at(&code, &name).len() != 1 {
                    continue;
                }
                // The item ends at its `;` outside brackets.
                let mut inner = 0;
                unused = code[at..].char_indices().find_map(|(i, c)| {
                    match c {
                        '{' | '(' | '[' => inner += 1,
                        '}' | ')' | ']' => inner -= 1,
                        ';' if inner == 0 => return Some(at..at + i + 1),
                        _ => {}
                    }
                    None
                });
                if unused.is_some() {
                    break;
                }
            }
            match unused {
                Some(item) => code.replace_range(item, ""),
                None => return code,
            }
        }
    }

    /// `code` without its `#[cfg(test)] mod`s (a learner's own tests may name the prices).
    fn without_test_items(code: &str) -> String {
        let mut code = code.to_string();
        let mut from = 0;
        while let Some(at) = code[from..].find("#[cfg(test)]").map(|at| from + at) {
            from = at + 1;
            if !code[at + "#[cfg(test)]".len()..]
                .trim_start()
                .starts_with("mod ")
            {
                continue;
            }
            let Some(open) = code[at..].find('{').map(|open| at + open) else {
                break;
            };
            let mut depth = 0;
            let mut end = code.len();
            for (i, c) in code[open..].char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            code.replace_range(at..end, "");
            from = at;
        }
        code
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

    /// The methods of the operators' traits that the scan knows, and the operator that calls
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

    /// Two locks that each change the cache (`clear()`, then `extend(..)`) leave a moment
    /// between them in which a reader on another thread finds the cache half done. A test on
    /// one thread never sees that moment, so this one reads refresh's body and the fns and
    /// methods it hands the cache to (or a struct made with it: `PriceList { inner: cache }`),
    /// once per call: the locks of the cache (refresh's first parameter) whose guard changes it (an assignment through the
    /// guard, `clear`, `extend`, `push`..., or a `let mut` guard), counted on each way through
    /// its `match`es and `if`/`else`s (only one arm runs). A lock that only reads the cache (a
    /// copy of the old prices for a log line) is not counted, nor one the scan cannot tell.
    #[test]
    fn refresh_changes_the_cache_under_one_lock() {
        let code = code_as_compiled(include_str!("std_guard_deadlock.rs"));
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let Some(name_at) = word_at(&code, "refresh")
            .into_iter()
            .find(|&at| code[..at].trim_end().ends_with("fn"))
        else {
            return;
        };
        let Some(open) = code[name_at..].find('(').map(|open| name_at + open) else {
            return;
        };
        let cache: String = code[open + 1..]
            .trim_start()
            .trim_start_matches("mut ")
            .chars()
            .take_while(|c| is_ident(*c))
            .collect();
        let Some(end) = block_end(&code, open) else {
            return;
        };
        let body_at = open + code[open..].find('{').unwrap_or(0);
        let body = &code[body_at..end];
        const CHANGES: [&str; 32] = [
            "clear",
            "extend",
            "extend_from_slice",
            "push",
            "pop",
            "truncate",
            "retain",
            "retain_mut",
            "drain",
            "append",
            "insert",
            "remove",
            "swap_remove",
            "sort",
            "sort_unstable",
            "sort_by",
            "sort_by_key",
            "dedup",
            "splice",
            "resize",
            "resize_with",
            "fill",
            "iter_mut",
            "clone_from",
            "copy_from_slice",
            "clone_from_slice",
            "split_off",
            "get_mut",
            "as_mut",
            "reverse",
            "first_mut",
            "last_mut",
        ];
        // What the `lock` (or `try_lock`) at `at` locks, and where that starts: the receiver
        // (`cache.lock()`, `self.inner.lock()`, `(*cache).lock()`, `cache.as_ref().lock()`),
        // or in a fully qualified call (`Mutex::lock(&cache)`) its first argument.
        fn lock_receiver(text: &str, at: usize) -> Option<(String, usize)> {
            let is_ident = |c: char| c.is_alphanumeric() || c == '_';
            let before = text[..at].trim_end();
            if let Some(path) = before.strip_suffix("::") {
                let path_at = path
                    .trim_end_matches(|c: char| is_ident(c) || ":<>".contains(c))
                    .len();
                let call = at + text[at..].find('(')?;
                if !text[at..call].trim_end().chars().all(is_ident) {
                    return None;
                }
                let close = closing(text, call)?;
                let first = pieces(&text[call + 1..close]).into_iter().next()?;
                return Some((only_name(&first)?, path_at));
            }
            let receiver_end = before.strip_suffix('.')?.trim_end();
            if receiver_end.ends_with(')') {
                // A receiver in brackets or behind calls: the whole chain before `.lock`
                // (`(*cache)`, `(&cache)`, `cache.as_ref()`, `Arc::clone(&cache)`).
                let mut start = receiver_end.len();
                loop {
                    let head = receiver_end[..start].trim_end();
                    if head.ends_with(')') {
                        let mut depth = 0;
                        let mut open = None;
                        for (i, c) in head.char_indices().rev() {
                            match c {
                                ')' | ']' | '}' => depth += 1,
                                '(' | '[' | '{' => {
                                    depth -= 1;
                                    if depth == 0 {
                                        open = Some(i);
                                        break;
                                    }
                                }
                                _ => {}
                            }
                        }
                        start = open?;
                        // A call (`as_ref()`, `Arc::clone(..)`): its name comes next.
                        if receiver_end[..start].ends_with(is_ident) {
                            continue;
                        }
                        break;
                    }
                    let word = head.trim_end_matches(is_ident);
                    if word.len() == head.len() {
                        break;
                    }
                    start = word.len();
                    let before = receiver_end[..start].trim_end();
                    match before.strip_suffix('.').or(before.strip_suffix("::")) {
                        Some(rest) => start = rest.len(),
                        None => break,
                    }
                }
                return Some((only_name(&receiver_end[start..])?, start));
            }
            let receiver: String = trailing_ident(receiver_end);
            let mut receiver_at = receiver_end.len() - receiver.len();
            let mut receiver = receiver;
            // A field (`self.inner.lock()`): the receiver is its path.
            if let Some(holder_end) = text[..receiver_at].trim_end().strip_suffix('.') {
                let holder_end = holder_end.trim_end();
                let holder: String = trailing_ident(holder_end);
                if holder.is_empty()
                    || holder_end[..holder_end.len() - holder.len()]
                        .trim_end()
                        .ends_with('.')
                {
                    return None;
                }
                receiver = format!("{holder}.{receiver}");
                receiver_at = holder_end.len() - holder.len();
            }
            Some((receiver, receiver_at))
        }
        // The locks of the cache (any of `names`: `cache`, or a field that holds it,
        // `self.inner`) on one way through a body that change it.
        fn changing(text: &str, names: &[String]) -> usize {
            let is_ident = |c: char| c.is_alphanumeric() || c == '_';
            let mut count = 0;
            // `Mutex::lock` bound to a name (`let take = Mutex::<Vec<u32>>::lock;`): each call
            // of that name (`take(cache)`) is a `Mutex::lock(cache)`.
            let mut text = text.to_string();
            let mut bound = Vec::new();
            for at in word_at(&text, "let").into_iter().rev() {
                let Some(end) = text[at..].find(';').map(|end| at + end) else {
                    continue;
                };
                let Some((pattern, value)) = text[at + 3..end].split_once('=') else {
                    continue;
                };
                let pattern = pattern.trim();
                let name = pattern.strip_prefix("mut ").unwrap_or(pattern).trim();
                let value: String = value.chars().filter(|c| !c.is_whitespace()).collect();
                if !name.is_empty()
                    && name.chars().all(is_ident)
                    && value.ends_with("::lock")
                    && !value.contains('(')
                {
                    bound.push(name.to_string());
                    text.replace_range(at..=end, ";");
                }
            }
            for name in &bound {
                for at in word_at(&text, name).into_iter().rev() {
                    if !text[..at].trim_end().ends_with(['.', ':'])
                        && text[at + name.len()..].trim_start().starts_with('(')
                    {
                        text.replace_range(at..at + name.len(), "Mutex::lock");
                    }
                }
            }
            let text = text.as_str();
            // `Mutex::lock` handed on as a function otherwise (`.map(Mutex::lock)`): how often
            // it is called there is not written, so it counts as two.
            count += 2 * text
                .match_indices("::lock")
                .filter(|(at, lock)| {
                    !text[at + lock.len()..]
                        .trim_start()
                        .starts_with(|c: char| is_ident(c) || "(:".contains(c))
                })
                .count();
            // Whether `at` is inside the `( )` of `repeat_with(..)` or `from_fn(..)`: an
            // iterator that runs its closure again on each `next()`.
            let drawn_again = |at: usize| {
                let mut parens = Vec::new();
                for (i, c) in text[..at].char_indices() {
                    match c {
                        '(' => parens.push(i),
                        ')' => {
                            parens.pop();
                        }
                        _ => {}
                    }
                }
                parens.iter().any(|&paren| {
                    let callee = trailing_ident(text[..paren].trim_end());
                    ["repeat_with", "from_fn"].contains(&callee.as_str())
                })
            };
            for lock in ["lock", "try_lock"] {
                for at in word_at(text, lock) {
                    let Some((receiver, receiver_at)) = lock_receiver(text, at) else {
                        continue;
                    };
                    if !names.contains(&receiver) {
                        continue;
                    }
                    // The statement: from the last `;`, `{` or `}` before the lock to the next
                    // `;` or closing bracket at its depth.
                    let start = text[..receiver_at]
                        .rfind([';', '{', '}'])
                        .map_or(0, |i| i + 1);
                    let statement = text[start..receiver_at].trim_start();
                    let before: String = statement.chars().filter(|c| !c.is_whitespace()).collect();
                    // After the lock's `( )`, its `unwrap()`, `expect(..)`, `?`...
                    let Some(call) = text[at..].find('(').map(|i| at + i) else {
                        continue;
                    };
                    let Some(close) = closing(text, call) else {
                        continue;
                    };
                    let mut rest = text[close + 1..].trim_start();
                    loop {
                        rest = rest.trim_start();
                        if let Some(after) = rest.strip_prefix('?') {
                            rest = after;
                            continue;
                        }
                        let Some(method) = rest.strip_prefix('.') else {
                            break;
                        };
                        let method = method.trim_start();
                        let word: String = method.chars().take_while(|c| is_ident(*c)).collect();
                        if word == "await" {
                            rest = &method[5..];
                            continue;
                        }
                        let args = method[word.len()..].trim_start();
                        if !["unwrap", "expect", "unwrap_or_else", "unwrap_or_default"]
                            .contains(&word.as_str())
                            || !args.starts_with('(')
                        {
                            break;
                        }
                        let args_at = text.len() - args.len();
                        let Some(args_end) = closing(text, args_at) else {
                            break;
                        };
                        rest = &text[args_end + 1..];
                    }
                    let changes = if let Some(method) = rest.strip_prefix('.') {
                        // A method of the Vec called on the guard.
                        let word: String = method
                            .trim_start()
                            .chars()
                            .take_while(|c| is_ident(*c))
                            .collect();
                        CHANGES.contains(&word.as_str())
                    } else if before.ends_with("&mut*") || before.ends_with("&mut") {
                        // `mem::replace(&mut *cache.lock().unwrap(), fresh)`.
                        true
                    } else if word_at(statement, "let").first() == Some(&0) {
                        // The guard itself kept in a `let mut name`: it is there to change
                        // the cache (not a pattern such as `let Ok(mut guard)` of an `if let`,
                        // which the scan cannot tell).
                        let pattern = &statement[3..statement.find('=').unwrap_or(statement.len())];
                        let pattern = pattern.split(':').next().unwrap_or_default().trim();
                        pattern.strip_prefix("mut").is_some_and(|name| {
                            name.starts_with(char::is_whitespace)
                                && !name.trim().is_empty()
                                && name.trim().chars().all(is_ident)
                        })
                    } else {
                        // `*cache.lock().unwrap() = fresh`.
                        let rest = rest.trim_start();
                        rest.starts_with('=') && !rest.starts_with("==") && !rest.starts_with("=>")
                    };
                    // A guard that `repeat_with`/`from_fn` hands out (`repeat_with(||
                    // cache.lock().unwrap())`) is taken anew on each `next()`: two locks.
                    let handed_out = rest.trim_start().is_empty()
                        || rest.trim_start().starts_with([')', '}', ',']);
                    if lock == "lock" && drawn_again(at) && (changes || handed_out) {
                        count += 2;
                        continue;
                    }
                    count += usize::from(changes);
                }
            }
            count
        }
        // The pieces of a list split at its top-level commas.
        fn pieces(list: &str) -> Vec<String> {
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
        }
        // The name a parameter or a `let` binds (`mut lines: ...` gives `lines`), if a plain
        // one.
        fn param_name(piece: &str) -> String {
            let pattern = piece.split(':').next().unwrap_or_default();
            let pattern = pattern.trim().trim_start_matches('&').trim_start();
            let pattern = pattern.strip_prefix("mut ").unwrap_or(pattern).trim();
            if !pattern.is_empty() && pattern.chars().all(|c| c.is_alphanumeric() || c == '_') {
                pattern.to_string()
            } else {
                String::new()
            }
        }
        // The name an expression is, if only a name (behind `&`, `*`, `Arc::clone(..)`, or
        // followed by `.clone()`, `.as_ref()`).
        fn only_name(expr: &str) -> Option<String> {
            let mut expr = expr.trim();
            loop {
                let before = expr;
                expr = expr
                    .trim_start_matches(|c: char| c.is_whitespace() || "&*(".contains(c))
                    .trim_end_matches(|c: char| c.is_whitespace() || c == ')');
                if let Some(rest) = expr.strip_prefix("mut")
                    && rest.starts_with(char::is_whitespace)
                {
                    expr = rest;
                }
                for wrapper in ["Arc::clone", "Rc::clone", "Arc::new", "Box::new", "Some"] {
                    if let Some(rest) = expr.strip_prefix(wrapper)
                        && rest.trim_start().starts_with('(')
                    {
                        expr = rest;
                    }
                }
                for method in [".clone(", ".as_ref(", ".deref(", ".borrow("] {
                    if let Some(rest) = expr.strip_suffix(method) {
                        expr = rest;
                    }
                }
                if expr == before {
                    break;
                }
            }
            (!expr.is_empty() && expr.chars().all(|c| c.is_alphanumeric() || c == '_'))
                .then(|| expr.to_string())
        }
        // The fns of the file (methods too): name, parameters (`self` for a method), body.
        let mut fns: Vec<(String, Vec<String>, String)> = Vec::new();
        for at in word_at(&code, "fn") {
            let rest = &code[at + 2..];
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| is_ident(*c))
                .collect();
            let Some(open) = rest.find('(').map(|i| at + 2 + i) else {
                continue;
            };
            let between = code[at + 2..open].trim();
            if name.is_empty()
                || ["refresh", "main"].contains(&name.as_str())
                || !(between == name
                    || between
                        .strip_prefix(name.as_str())
                        .is_some_and(|g| g.trim_start().starts_with('<')))
            {
                continue;
            }
            let Some(close) = closing(&code, open) else {
                continue;
            };
            let params = pieces(&code[open + 1..close])
                .iter()
                .map(|p| param_name(p))
                .collect();
            let Some(body_open) = block_after(&code, close + 1) else {
                continue;
            };
            let Some(body_end) = block_end(&code, body_open) else {
                continue;
            };
            fns.push((name, params, code[body_open..body_end].to_string()));
        }
        // A `macro_rules!` macro is one too, called as `name!(..)`: its parameters are the
        // metavariables of its first rule's matcher, one per top-level piece that is only a
        // metavariable (`($c:expr, |$p:ident| $body:expr)` gives `c` and none), its body its
        // rules with the `$` taken off (`let mut p = c.lock().unwrap();`).
        for at in word_at(&code, "macro_rules") {
            let rest = &code[at + "macro_rules".len()..];
            let Some(rest) = rest.trim_start().strip_prefix('!') else {
                continue;
            };
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| is_ident(*c))
                .collect();
            let Some(open) = rest.find('{').map(|i| code.len() - rest.len() + i) else {
                continue;
            };
            let Some(end) = block_end(&code, open) else {
                continue;
            };
            let Some(matcher) = code[open + 1..end].find(['(', '[']).map(|i| open + 1 + i) else {
                continue;
            };
            let Some(matcher_end) = closing(&code, matcher) else {
                continue;
            };
            let params = pieces(&code[matcher + 1..matcher_end])
                .iter()
                .map(|piece| {
                    piece
                        .trim()
                        .strip_prefix('$')
                        .and_then(|p| p.split_once(':'))
                        .map(|(n, _)| n.trim())
                        .filter(|n| !n.is_empty() && n.chars().all(is_ident))
                        .unwrap_or_default()
                        .to_string()
                })
                .collect();
            if !name.is_empty() {
                fns.push((name, params, code[open..end].replace('$', "")));
            }
        }
        // The most changing locks on a way through `text`, a helper's counted once per call
        // (a few calls deep).
        fn most_in(
            fns: &[(String, Vec<String>, String)],
            text: &str,
            names: &[String],
            depth: usize,
        ) -> usize {
            let is_ident = |c: char| c.is_alphanumeric() || c == '_';
            ways(&repeated(text))
                .iter()
                .map(|way| {
                    // Names bound to the cache on this way: `let c = cache;`, a tuple or an
                    // array taken apart (`let (c, fresh) = (cache, fresh);`).
                    let mut names: Vec<String> = names.to_vec();
                    for at in word_at(way, "let") {
                        let rest = &way[at + 3..];
                        let end = rest.find([';', '{']).unwrap_or(rest.len());
                        let Some((pattern, value)) = rest[..end].split_once('=') else {
                            continue;
                        };
                        if value.starts_with(['=', '>']) {
                            continue;
                        }
                        // Or an array: `let [old, new] = [cache, cache];`.
                        let tuple = |text: &str| {
                            let text = text.trim();
                            text.strip_prefix('(')
                                .and_then(|t| t.strip_suffix(')'))
                                .or_else(|| {
                                    text.strip_prefix('[').and_then(|t| t.strip_suffix(']'))
                                })
                                .map(pieces)
                        };
                        let pairs: Vec<(String, String)> = match (tuple(pattern), tuple(value)) {
                            (Some(p), Some(v)) if p.len() == v.len() => {
                                p.into_iter().zip(v).collect()
                            }
                            _ => vec![(pattern.to_string(), value.to_string())],
                        };
                        for (pattern, value) in pairs {
                            let name = param_name(&pattern);
                            if !name.is_empty()
                                && only_name(&value).is_some_and(|n| names.contains(&n))
                                && !names.contains(&name)
                            {
                                names.push(name);
                            }
                        }
                    }
                    // A `match` on the cache whose arm binds it to a plain name (`match cache
                    // { prices => .. }`), and a parameter of a closure called where it is
                    // written with the cache (`(|prices: &Mutex<..>| ..)(cache)`).
                    let bare = |pattern: &str| {
                        let pattern = pattern.trim();
                        let pattern = pattern.strip_prefix("ref ").unwrap_or(pattern);
                        let name = param_name(pattern.split('@').next().unwrap_or_default());
                        (name.starts_with(|c: char| c.is_lowercase() || c == '_') && name != "_")
                            .then_some(name)
                    };
                    for at in word_at(way, "match") {
                        let Some(open) = way[at..].find('{').map(|open| at + open) else {
                            continue;
                        };
                        let Some(close) = closing(way, open) else {
                            continue;
                        };
                        if !only_name(&way[at + 5..open]).is_some_and(|n| names.contains(&n)) {
                            continue;
                        }
                        let block = &way[open + 1..close];
                        let (mut depth, mut from) = (0, 0);
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
                                    let pattern =
                                        block[from..i].split(" if ").next().unwrap_or_default();
                                    if let Some(name) = bare(pattern)
                                        && !names.contains(&name)
                                    {
                                        names.push(name);
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                    for (open, _) in way.match_indices('(') {
                        let inner = way[open + 1..].trim_start();
                        let inner = inner.strip_prefix("move").map_or(inner, str::trim_start);
                        let Some(params) = inner.strip_prefix('|') else {
                            continue;
                        };
                        let Some(bar) = params.find('|') else {
                            continue;
                        };
                        let Some(args) = closing(way, open)
                            .and_then(|close| way.get(close + 1..))
                            .map(str::trim_start)
                            .and_then(|a| a.strip_prefix('('))
                        else {
                            continue;
                        };
                        let args_open = way.len() - args.len() - 1;
                        let Some(args_close) = closing(way, args_open) else {
                            continue;
                        };
                        for (param, argument) in pieces(&params[..bar])
                            .iter()
                            .zip(pieces(&way[args_open + 1..args_close]))
                        {
                            if let Some(name) = bare(param)
                                && only_name(&argument).is_some_and(|n| names.contains(&n))
                                && !names.contains(&name)
                            {
                                names.push(name);
                            }
                        }
                    }
                    let names = &names[..];
                    // Structs that hold the cache: `let list = PriceList { inner: cache };`,
                    // and in a method, `self` for `self.inner`.
                    let mut holders: Vec<(String, String)> = names
                        .iter()
                        .filter_map(|n| n.split_once('.'))
                        .map(|(h, f)| (h.to_string(), f.to_string()))
                        .collect();
                    for at in word_at(way, "let") {
                        let rest = &way[at + 3..];
                        let Some(eq) = rest.find('=') else { continue };
                        let holder = param_name(&rest[..eq]);
                        let value = rest[eq + 1..].trim_start();
                        let Some(open) = value.find('{') else {
                            continue;
                        };
                        let path = value[..open].trim();
                        if holder.is_empty()
                            || value.starts_with(['=', '>'])
                            || path.is_empty()
                            || !path.starts_with(|c: char| c.is_alphabetic())
                            || !path.chars().all(|c| is_ident(c) || ":<>'& ,".contains(c))
                            || path.split(|c: char| !is_ident(c)).any(|w| {
                                ["if", "match", "loop", "while", "unsafe", "async", "move"]
                                    .contains(&w)
                            })
                        {
                            continue;
                        }
                        let open = way.len() - value.len() + open;
                        let Some(close) = closing(way, open) else {
                            continue;
                        };
                        for piece in pieces(&way[open + 1..close]) {
                            let (field, expr) = match piece.split_once(':') {
                                Some((f, e)) if !e.starts_with(':') => (f.trim(), e),
                                _ => (piece.trim(), piece.as_str()),
                            };
                            if !field.is_empty()
                                && field.chars().all(is_ident)
                                && only_name(expr).is_some_and(|n| names.contains(&n))
                            {
                                holders.push((holder.clone(), field.to_string()));
                            }
                        }
                    }
                    // A field that holds the cache (`list.inner`) is the cache; so is a call of
                    // a fn or method that hands back the cache it is given or holds
                    // (`the(cache)`, `list.inner()`), counted as the cache's own name.
                    let mut names: Vec<String> = names.to_vec();
                    for (h, f) in &holders {
                        let path = format!("{h}.{f}");
                        if !names.contains(&path) {
                            names.push(path);
                        }
                    }
                    let names = &names[..];
                    let mut text = way.to_string();
                    for (name, params, body) in fns {
                        let inner = body.trim().trim_start_matches('{').trim_end_matches('}');
                        let inner = inner.trim();
                        let inner = inner.strip_prefix("return ").unwrap_or(inner);
                        let inner: String = inner
                            .trim()
                            .trim_end_matches(';')
                            .trim_start_matches(['&', '*'])
                            .chars()
                            .filter(|c| !c.is_whitespace())
                            .collect();
                        let field = inner.strip_prefix("self.").filter(|f| {
                            f.chars().all(is_ident) && params.first().is_some_and(|p| p == "self")
                        });
                        let param = params.iter().position(|p| !p.is_empty() && *p == inner);
                        if field.is_none() && param.is_none() {
                            continue;
                        }
                        for at in word_at(&text, name).into_iter().rev() {
                            let after = text[at + name.len()..].trim_start();
                            if !after.starts_with('(') || text[..at].trim_end().ends_with("fn") {
                                continue;
                            }
                            let open = text.len() - after.len();
                            let Some(close) = closing(&text, open) else {
                                continue;
                            };
                            let (start, is_cache) =
                                if let Some(dot) = text[..at].trim_end().strip_suffix('.') {
                                    let dot = dot.trim_end();
                                    let receiver: String = trailing_ident(dot);
                                    let path = field.map(|f| format!("{receiver}.{f}"));
                                    (
                                        dot.len() - receiver.len(),
                                        path.is_some_and(|p| names.contains(&p)),
                                    )
                                } else {
                                    let arguments = pieces(&text[open + 1..close]);
                                    let handed = param
                                        .and_then(|i| arguments.get(i))
                                        .and_then(|a| only_name(a));
                                    (at, handed.is_some_and(|a| names.contains(&a)))
                                };
                            if is_cache {
                                text.replace_range(start..close + 1, &names[0]);
                            }
                        }
                    }
                    let mut count = changing(&text, names);
                    if depth == 0 {
                        return count;
                    }
                    for (name, params, body) in fns {
                        for at in word_at(way, name) {
                            let after = way[at + name.len()..].trim_start();
                            // A macro's call: `name!(..)`.
                            let after = match after.strip_prefix('!') {
                                Some(args) if args.trim_start().starts_with('(') => {
                                    args.trim_start()
                                }
                                _ => after,
                            };
                            if !after.starts_with('(') || way[..at].trim_end().ends_with("fn") {
                                continue;
                            }
                            let open = way.len() - after.len();
                            let Some(close) = closing(way, open) else {
                                continue;
                            };
                            let mut inner: Vec<String> = Vec::new();
                            if let Some(dot) = way[..at].trim_end().strip_suffix('.') {
                                // A method called on a struct that holds the cache.
                                let dot = dot.trim_end();
                                let receiver: String = trailing_ident(dot);
                                if params.first().is_some_and(|p| p == "self")
                                    && !dot[..dot.len() - receiver.len()].trim_end().ends_with('.')
                                {
                                    for (h, f) in &holders {
                                        if *h == receiver {
                                            inner.push(format!("self.{f}"));
                                        }
                                    }
                                }
                            } else {
                                // A fn handed the cache, or a struct that holds it.
                                for (i, argument) in
                                    pieces(&way[open + 1..close]).iter().enumerate()
                                {
                                    let (Some(arg), Some(param)) =
                                        (only_name(argument), params.get(i))
                                    else {
                                        continue;
                                    };
                                    if param.is_empty() {
                                        continue;
                                    }
                                    if names.contains(&arg) {
                                        inner.push(param.clone());
                                    }
                                    for (h, f) in &holders {
                                        if *h == arg {
                                            inner.push(format!("{param}.{f}"));
                                        }
                                    }
                                }
                            }
                            if !inner.is_empty() {
                                count += most_in(fns, body, &inner, depth - 1);
                            }
                        }
                    }
                    // An operator's method (`shl_assign` for `prices <<= fresh`) is called with
                    // no `.shl_assign(` written out, so the scan cannot tell what its `self`
                    // holds: at each use of the operator, its locks of `self` and of its fields
                    // (`self.0`, `self.inner`) that change them count (its own body only).
                    for (name, params, body) in fns {
                        let Some((_, operator)) = OPERATORS.iter().find(|(m, _)| m == name) else {
                            continue;
                        };
                        if params.first().is_none_or(|p| p != "self") {
                            continue;
                        }
                        let mut inner = vec!["self".to_string()];
                        for (at, _) in body.match_indices("self.") {
                            let field: String = body[at + 5..]
                                .chars()
                                .take_while(|c| is_ident(*c))
                                .collect();
                            if !field.is_empty() && !inner.contains(&format!("self.{field}")) {
                                inner.push(format!("self.{field}"));
                            }
                        }
                        count += way.matches(operator).count() * most_in(fns, body, &inner, 0);
                    }
                    count
                })
                .max()
                .unwrap_or(0)
        }
        // A lock in a loop that runs more than once is taken again and again.
        let most = most_in(&fns, body, std::slice::from_ref(&cache), 4);
        assert!(
            most <= 1,
            "refresh changes the cache under {most} locks one after the other (say `clear()` \
             under one and `extend(..)` under the next; counting the locks of `{cache}` whose \
             guard changes it (or of a name bound to it, a field that holds it, a fn that hands \
             it back), in refresh's body and in the fns, methods and macros it hands the \
             cache to (or a struct that holds it), once per call, the method an operator calls \
             (`prices <<= fresh` calls `shl_assign`) at each use, a lock in a loop that runs more \
             than once, such as a `for` over `0..2`, a guard drawn from `repeat_with` or \
             `from_fn` (taken anew on each `next()`) and a `Mutex::lock` handed on as a \
             function (`.map(Mutex::lock)`) as two, on the way through its \
             `if`/`else` and `match` arms that takes most): between two of them a reader on another thread can \
             lock the cache and find it half done (emptied, or partly filled). Store the new \
             prices in one step, under one lock (`*cache.lock().unwrap() = fresh`)"
        );
    }

    /// Prices written by hand after a 100 ms wait look the same from outside, so this test
    /// reads the source.
    #[test]
    fn the_prices_come_from_the_download() {
        let code = code_as_compiled(include_str!("std_guard_deadlock.rs"));
        let code = without_unused_consts(&code_outside_main(&without_test_items(&code)));
        // A number is read as its value: `0x1e`, `30_u32` and `30` are all 30.
        let value = |word: &str| -> Option<u64> {
            let word = word.replace('_', "");
            let (digits, radix) = match word.get(..2) {
                Some("0x") => (&word[2..], 16),
                Some("0o") => (&word[2..], 8),
                Some("0b") => (&word[2..], 2),
                _ => (word.as_str(), 10),
            };
            let suffix = ["u8", "u16", "u32", "u64", "u128", "usize"]
                .into_iter()
                .chain(["i8", "i16", "i32", "i64", "i128", "isize"])
                .find(|suffix| digits.ends_with(suffix));
            let digits = suffix.map_or(digits, |suffix| &digits[..digits.len() - suffix.len()]);
            word.starts_with(|c: char| c.is_ascii_digit())
                .then(|| u64::from_str_radix(digits, radix).ok())
                .flatten()
        };
        // The text of every string is left out (a note written with `writeln!(..)` names
        // numbers, not prices): `code_as_compiled` keeps each string as `"..."` with no `"`
        // inside.
        let code: String = code
            .split('"')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, part)| part)
            .collect::<Vec<&str>>()
            .join("\"\"");
        // A const, static or let of one number (`const TIMEOUT_SECS: u64 = 30;`) stands for it.
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut named: Vec<(String, u64)> = Vec::new();
        for keyword in ["const ", "static ", "let "] {
            for at in word_at(&code, keyword.trim()) {
                let rest = code[at + keyword.len()..].trim_start();
                let rest = rest.strip_prefix("mut ").unwrap_or(rest).trim_start();
                let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
                let Some(eq) = rest.find('=') else {
                    continue;
                };
                let end = rest[eq..].find(';').map_or(rest.len(), |end| eq + end);
                if let Some(number) = value(rest[eq + 1..end].trim()) {
                    named.push((name, number));
                }
            }
        }
        // An element of a list read as a number: `30`, `0x1e`, `TIMEOUT_SECS as u32`, `&30`.
        let element = |text: &str| -> Option<u64> {
            let text = text.trim().trim_start_matches(['&', '*']).trim();
            let text = text.split(" as ").next().unwrap_or(text).trim();
            value(text).or_else(|| {
                named
                    .iter()
                    .find(|(name, _)| name == text)
                    .map(|(_, number)| *number)
            })
        };
        // Lists of numbers: the elements of each `[ ]` (an array, `vec![..]`, a slice), and the
        // numbers pushed one after the other (`v.push(30); v.push(12);`).
        let mut lists: Vec<Vec<Option<u64>>> = Vec::new();
        let chars: Vec<(usize, char)> = code.char_indices().collect();
        for (k, &(open, c)) in chars.iter().enumerate() {
            if c != '[' {
                continue;
            }
            let mut depth = 0;
            let mut parts = Vec::new();
            let mut from = open + 1;
            for &(i, c) in &chars[k..] {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => {
                        depth -= 1;
                        if depth == 0 {
                            parts.push(&code[from..i]);
                            break;
                        }
                    }
                    ',' | ';' if depth == 1 => {
                        parts.push(&code[from..i]);
                        from = i + 1;
                    }
                    _ => {}
                }
            }
            lists.push(parts.into_iter().map(element).collect());
        }
        let pushed: Vec<Option<u64>> = word_at(&code, "push")
            .into_iter()
            .filter_map(|at| {
                let inner = code[at + 4..].trim_start().strip_prefix('(')?;
                Some(element(&inner[..inner.find(')')?]))
            })
            .collect();
        lists.push(pushed);
        // A list that holds two of the prices or more, in the order of the download.
        let prices = [30, 12, 25];
        let copies: Vec<Vec<u64>> = lists
            .into_iter()
            .map(|list| {
                let mut next = 0;
                let mut found = Vec::new();
                for number in list.into_iter().flatten() {
                    if let Some(i) = prices[next..].iter().position(|p| *p == number) {
                        found.push(number);
                        next += i + 1;
                    }
                }
                found
            })
            .filter(|found| found.len() >= 2)
            .collect();
        assert!(
            copies.len() < 2,
            "the code writes the prices {:?} as a list (an array, a vec! or pushes one after \
             the other) a second time, beside download_prices (comments, strings, printed \
             messages, and the demo in main, with the fns and consts only it uses, are not \
             counted; a const named in the list counts as its value): refresh must store what \
             `download_prices().await` returns (await it first, with no lock held, then lock \
             the cache for the quick swap), not prices written by hand",
            copies.last().cloned().unwrap_or_default()
        );
    }

    /// A task that refresh starts and leaves running once it has returned (a progress line on a
    /// timer that nothing stops) piles up, one more with every call. An hour (of the test's paused
    /// clock) after three refreshes, none of the tasks started since may still be alive.
    #[tokio::test(start_paused = true)]
    async fn refreshes_leave_no_task_running() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        let cache = std::sync::Mutex::new(vec![40, 50]);
        for _ in 0..3 {
            refresh(&cache).await;
        }
        tokio::time::advance(std::time::Duration::from_secs(3600)).await;
        // Every task that the hour's timers woke runs now.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let left = metrics.num_alive_tasks().saturating_sub(before);
        assert_eq!(
            left, 0,
            "three refreshes (refresh) had ended, and an hour later (of the test's paused clock) \
             {left} task(s) started since were still running: a task that refresh starts (a \
             progress line on a timer, say) must be over by the time it returns (abort its \
             JoinHandle: dropping it lets the task run on), or it stays alive for good, and one \
             more piles up with every call"
        );
    }
}
