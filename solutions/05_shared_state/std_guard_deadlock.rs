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

    #[tokio::test(start_paused = true)]
    async fn readers_are_not_blocked_by_a_refresh() {
        let cache = Mutex::new(vec![40, 50]);
        let start = Instant::now();
        let ((), (seen, seen_at)) = tokio::join!(refresh(&cache), async {
            // Ask for the cheapest price while the download is in progress.
            tokio::time::sleep(Duration::from_millis(10)).await;
            (cheapest(&cache), start.elapsed())
        });
        assert_eq!(
            seen,
            Some(40),
            "during the refresh the reader must see the old prices (cheapest 40)"
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
             the cache holds {after:?}: the new prices must replace the old ones, not be added \
             to them. Store the downloaded list in place of the old one (`*guard = fresh`)"
        );
        assert!(
            start.elapsed() >= Duration::from_millis(100),
            "refresh finished after {:?}: it must still wait for download_prices (100 ms)",
            start.elapsed()
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
            "refresh must store the downloaded prices"
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
            runtime.block_on(std::future::poll_fn(|cx| {
                polls += 1;
                refreshing.as_mut().poll(cx)
            }));
        });
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

    /// Prices written by hand after a 100 ms wait look the same from outside, so this test
    /// reads the source.
    #[test]
    fn the_prices_come_from_the_download() {
        let code = without_test_items(&code_outside_main(include_str!("std_guard_deadlock.rs")));
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
        let words: Vec<Option<u64>> = code
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .map(value)
            .collect();
        let copied: Vec<u64> = [30, 12, 25]
            .into_iter()
            .filter(|price| words.iter().filter(|word| **word == Some(*price)).count() > 1)
            .collect();
        assert!(
            copied.len() < 2,
            "the code writes the prices {copied:?} a second time, beside download_prices: \
             refresh must store what `download_prices().await` returns (await it first, with \
             no lock held, then lock the cache for the quick swap), not prices written by hand"
        );
    }
}
