// buffer_unordered_limit
//
// `fetch_all` downloads a list of pages from a server that serves at most 4 requests at a
// time. Each call `download(url)` makes the future of one request. `fetch_all` builds one such
// future per page, and then awaits them one after the other. Building a future does not start
// it, so only one download is ever in flight: 10 pages take 1.3 s.
//
// Keep up to 4 downloads in flight, never more, and start the next page as soon as any
// download finishes. The pages may come back in any order. Big pages (their URL ends in
// ".mp4") take 400 ms and the others 100 ms, so 10 pages with one big one take 400 ms.
// The tests hand `fetch_all` a `download` of their own, which counts the requests in flight.

use std::future::Future;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};

/// How many requests the server handles at once.
pub const MAX_IN_FLIGHT: usize = 4;

#[derive(Debug, PartialEq, Eq)]
pub struct Page {
    pub url: String,
    pub bytes: usize,
}

/// One request: 400 ms for a video, 100 ms for anything else.
pub async fn download(url: String) -> Page {
    let ms = if url.ends_with(".mp4") { 400 } else { 100 };
    tokio::time::sleep(Duration::from_millis(ms)).await;
    let bytes = url.len() * 100;
    Page { url, bytes }
}

/// Downloads every page in `urls`: `download(url)` is the future of one request. (Its futures
/// are `Send + 'static`, so they may also be spawned.)
pub async fn fetch_all<D, F>(urls: Vec<String>, download: D) -> Vec<Page>
where
    D: Fn(String) -> F,
    F: Future<Output = Page> + Send + 'static,
{
    // A stream of download futures, polled at most MAX_IN_FLIGHT at a time; each page comes
    // out as soon as its download is done, and its slot goes to the next URL.
    stream::iter(urls)
        .map(download)
        .buffer_unordered(MAX_IN_FLIGHT)
        .collect()
        .await
}

#[tokio::main]
async fn main() {
    let urls = (1..=6).map(|n| format!("/docs/{n}.html")).collect();
    for page in fetch_all(urls, download).await {
        println!("{} ({} bytes)", page.url, page.bytes);
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::time::Instant;

    /// The server's limit (whatever `MAX_IN_FLIGHT` says).
    const SERVER_LIMIT: usize = 4;

    /// The test's server: counts the downloads in flight, and remembers the highest count.
    #[derive(Default)]
    struct Server {
        in_flight: AtomicUsize,
        peak: AtomicUsize,
        served: AtomicUsize,
        /// When each download ended (of the paused clock).
        ends: std::sync::Mutex<Vec<Instant>>,
    }

    /// One request to `server`: 400 ms for a video, 100 ms for anything else.
    async fn serve(server: Arc<Server>, url: String) -> Page {
        let ms = if url.ends_with(".mp4") { 400 } else { 100 };
        serve_in(server, url, ms).await
    }

    /// One request to `server` that takes `ms` milliseconds.
    async fn serve_in(server: Arc<Server>, url: String, ms: u64) -> Page {
        let now = server.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        server.peak.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        server.ends.lock().unwrap().push(Instant::now());
        server.in_flight.fetch_sub(1, Ordering::SeqCst);
        server.served.fetch_add(1, Ordering::SeqCst);
        let bytes = url.len() * 100;
        Page { url, bytes }
    }

    /// Awaits `fetching` (a call to fetch_all), and fails if it is polled over and over, as
    /// it is by a loop that looks at the slots again and again instead of waiting on them.
    async fn watched(fetching: impl Future<Output = Vec<Page>>) -> Vec<Page> {
        let mut fetching = std::pin::pin!(fetching);
        let mut polls = 0;
        std::future::poll_fn(|cx| {
            polls += 1;
            assert!(
                polls <= 1000,
                "fetch_all was polled 1000 times, for at most 12 downloads: it looks at the \
                 slots over and over (try_join_next, try_acquire or a counter, with yield_now) \
                 instead of waiting. Wait on the downloads themselves (buffer_unordered, \
                 JoinSet::join_next, a Semaphore's acquire): they wake you up when one ends"
            );
            fetching.as_mut().poll(cx)
        })
        .await
    }

    /// Runs `fetch_all` with downloads from `server`.
    async fn fetch_from(server: &Arc<Server>, urls: Vec<String>) -> Vec<Page> {
        let server = Arc::clone(server);
        watched(fetch_all(urls, move |url| serve(Arc::clone(&server), url))).await
    }

    /// A video first, then `small` pages.
    fn urls(small: usize) -> Vec<String> {
        let mut urls = vec!["/intro.mp4".to_string()];
        urls.extend((1..=small).map(|n| format!("/page/{n}.html")));
        urls
    }

    /// Says so if the server was done with the last page at `due` (after `start`), as it
    /// should be, but `fetch_all` returned later (at `took`).
    fn held_back(server: &Server, start: Instant, took: Duration, due: u64) -> Option<String> {
        let last = *server.ends.lock().unwrap().iter().max()? - start;
        (last == Duration::from_millis(due) && took > last).then(|| {
            format!(
                "the downloads were on time and the server was done with the last page \
                 after {last:?}, but fetch_all returned only after {took:?}: it noticed late \
                 that the last page was in. Wait on the downloads themselves \
                 (buffer_unordered, JoinSet::join_next, a Semaphore's acquire), not on a \
                 timer that looks at them now and then; and stop a progress loop beside them \
                 with `select!`, `abort` or a channel, not with a \"done\" flag it reads only \
                 on its own beat"
            )
        })
    }

    fn sorted(mut pages: Vec<Page>) -> Vec<Page> {
        pages.sort_by(|a, b| a.url.cmp(&b.url));
        pages
    }

    #[tokio::test(start_paused = true)]
    async fn every_page_is_fetched_once() {
        let server = Arc::new(Server::default());
        let pages = fetch_from(&server, urls(9)).await;
        let expected: Vec<Page> = urls(9)
            .into_iter()
            .map(|url| Page {
                bytes: url.len() * 100,
                url,
            })
            .collect();
        assert_eq!(
            sorted(pages),
            sorted(expected),
            "fetch_all must return every page, each once (in any order)"
        );
        let served = server.served.load(Ordering::SeqCst);
        assert_eq!(
            served, 10,
            "the server served {served} requests for 10 pages: download each page exactly \
             once, with the `download` that fetch_all is given"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn long_lists_all_come_back() {
        // 1000 small pages of 100 ms each, 4 at a time: 250 rounds, 25 s of the paused clock;
        // then 37 (10 rounds, the last one of a single page) and 2500 (625 rounds): the limit
        // and the pace hold whatever the length of the list.
        for count in [1000, 37, 2500] {
            if !a_long_list_all_comes_back(count).await {
                return;
            }
        }
    }

    /// Fetches `count` small pages and checks them, the peak and the time; `false` if fetch_all
    /// spun (no verdict here).
    async fn a_long_list_all_comes_back(count: usize) -> bool {
        let server = Arc::new(Server::default());
        let urls: Vec<String> = (1..=count).map(|n| format!("/big/{n}.html")).collect();
        let fetching = fetch_all(urls.clone(), {
            let server = Arc::clone(&server);
            move |url| serve(Arc::clone(&server), url)
        });
        // A fetch_all that spins is judged by the other tests: this one leaves it alone (no
        // verdict) once it has been polled 100 times per page.
        let mut fetching = std::pin::pin!(fetching);
        let mut polls = 0;
        let start = Instant::now();
        let fetched = std::future::poll_fn(|cx| {
            polls += 1;
            if polls > 100 * count.max(1000) {
                return std::task::Poll::Ready(None);
            }
            fetching.as_mut().poll(cx).map(Some)
        })
        .await;
        let took = start.elapsed();
        let Some(pages) = fetched else { return false };
        let served = server.served.load(Ordering::SeqCst);
        let got: std::collections::HashSet<&str> =
            pages.iter().map(|page| page.url.as_str()).collect();
        let missing: Vec<&String> = urls
            .iter()
            .filter(|url| !got.contains(url.as_str()))
            .collect();
        assert!(
            pages.len() == count && missing.is_empty(),
            "fetch_all was given {count} pages and returned {} ({} distinct), the server served \
             {served} requests, and {} page(s) did not come back (the first: {:?}): every \
             page of the list must come back, however long the list",
            pages.len(),
            got.len(),
            missing.len(),
            missing.first()
        );
        assert_eq!(
            served, count,
            "the server served {served} requests for {count} pages: download each page once"
        );
        let peak = server.peak.load(Ordering::SeqCst);
        assert!(
            peak <= SERVER_LIMIT,
            "with a list of {count} pages, {peak} downloads were in flight at once, but the \
             server takes {SERVER_LIMIT} whatever the length of the list"
        );
        assert_eq!(
            peak, SERVER_LIMIT,
            "with a list of {count} pages, only {peak} download(s) were in flight at a time, \
             while the server takes {SERVER_LIMIT}: keep {SERVER_LIMIT} going while pages are \
             left, whatever the length of the list"
        );
        let due = count.div_ceil(SERVER_LIMIT) as u64 * 100;
        let why = held_back(&server, start, took, due).unwrap_or_else(|| {
            "keep 4 downloads going all along, each new one starting as soon as one ends, \
             whatever the length of the list"
                .to_string()
        });
        assert_eq!(
            took,
            Duration::from_millis(due),
            "{count} pages of 100 ms each, 4 at a time, took {took:?} instead of {:?}: {why}",
            Duration::from_millis(due)
        );
        true
    }

    #[tokio::test(start_paused = true)]
    async fn a_url_given_twice_is_fetched_twice() {
        let server = Arc::new(Server::default());
        let urls: Vec<String> = ["/top.html", "/new.html", "/top.html"]
            .map(String::from)
            .to_vec();
        let pages = sorted(fetch_from(&server, urls.clone()).await);
        let expected: Vec<Page> = urls
            .into_iter()
            .map(|url| Page {
                bytes: url.len() * 100,
                url,
            })
            .collect();
        let got: Vec<&str> = pages.iter().map(|page| page.url.as_str()).collect();
        assert_eq!(
            pages,
            sorted(expected),
            "fetch_all([\"/top.html\", \"/new.html\", \"/top.html\"]) gave the pages {got:?} \
             (sorted): a URL given twice must count twice, so \"/top.html\" must come back \
             twice. Download every entry of the list (do not merge repeats), in any order"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_list_gives_no_pages_at_once() {
        use futures_util::FutureExt;
        let server = Arc::new(Server::default());
        let start = Instant::now();
        let fetching = std::panic::AssertUnwindSafe(tokio::time::timeout(
            Duration::from_secs(3600),
            fetch_from(&server, Vec::new()),
        ))
        .catch_unwind()
        .await;
        let took = start.elapsed();
        match fetching {
            Err(_) => panic!(
                "fetch_all(vec![]) (an empty list of URLs) panicked (see the panic above), \
                 where it should return an empty Vec at once: a list may be empty, so let the \
                 code that waits for the next download handle having none in flight"
            ),
            Ok(Err(_)) => panic!(
                "fetch_all(vec![]) (an empty list of URLs) had not returned an hour later (on \
                 the test's paused clock), where it should return an empty Vec at once: with \
                 no page to fetch, nothing is left to wait for"
            ),
            Ok(Ok(pages)) => {
                let got: Vec<&str> = pages.iter().map(|page| page.url.as_str()).collect();
                assert!(
                    pages.is_empty(),
                    "fetch_all(vec![]) (an empty list of URLs) gave the pages {got:?}, where an \
                     empty Vec was due"
                );
                assert!(
                    took < Duration::from_secs(1),
                    "fetch_all(vec![]) (an empty list of URLs) returned an empty Vec, but only \
                     after {took:?} of the test's paused clock: with no page to fetch, it \
                     should return at once"
                );
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn four_downloads_in_flight_never_more() {
        let server = Arc::new(Server::default());
        fetch_from(&server, urls(9)).await;
        let peak = server.peak.load(Ordering::SeqCst);
        assert!(
            peak <= SERVER_LIMIT,
            "{peak} downloads were in flight at once, but the server takes {SERVER_LIMIT}: \
             starting every download together (join_all, or a spawn per page) is not a limit; \
             keep at most {SERVER_LIMIT} in flight"
        );
        assert!(
            peak != 1,
            "only 1 download was in flight at a time, while the server takes {SERVER_LIMIT}: a \
             future does nothing until it is polled, so collecting them in a Vec and awaiting \
             each in turn runs them one after the other"
        );
        assert_eq!(
            peak, SERVER_LIMIT,
            "only {peak} downloads were in flight at a time, while the server takes \
             {SERVER_LIMIT}: use every slot, keep {SERVER_LIMIT} downloads going while pages \
             are left"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_free_slot_is_used_at_once() {
        let start = Instant::now();
        fetch_from(&Arc::new(Server::default()), urls(9)).await;
        let elapsed = start.elapsed().as_millis();
        assert!(
            elapsed >= 400,
            "10 pages were done after {elapsed} ms, but the video alone takes 400 ms"
        );
        assert!(
            elapsed < 500,
            "10 pages took {elapsed} ms instead of 400 ms: while the video downloads, the other \
             3 slots should go through the 9 small pages, each new download starting as soon \
             as one finishes (not one by one, not in batches of 4, and not held back because \
             an earlier page in the list is still running), in the order of the list (the video \
             comes first: started last, it makes the 10 pages take 600 ms)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn fewer_pages_than_slots_all_start_together() {
        let server = Arc::new(Server::default());
        let start = Instant::now();
        let pages = fetch_from(&server, urls(2)).await;
        assert_eq!(pages.len(), 3, "3 pages in, 3 pages out");
        assert_eq!(
            server.peak.load(Ordering::SeqCst),
            3,
            "with 3 pages and room for {SERVER_LIMIT}, all 3 should download at once"
        );
        let took = start.elapsed();
        let why = held_back(&server, start, took, 400).unwrap_or_else(|| {
            "download all 3 at once, and return as soon as the last is in".to_string()
        });
        assert_eq!(
            took,
            Duration::from_millis(400),
            "3 pages took {took:?}, and the slowest (the video) takes 400 ms: {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn short_lists_keep_the_limit_too() {
        // Lists of 5 to 9 small pages: more than the server takes, so 4 at a time, however
        // short the list.
        for small in 5..=9 {
            let server = Arc::new(Server::default());
            let urls: Vec<String> = (1..=small).map(|n| format!("/short/{n}.html")).collect();
            let pages = fetch_from(&server, urls).await;
            assert_eq!(pages.len(), small, "{small} pages in, {small} pages out");
            let peak = server.peak.load(Ordering::SeqCst);
            assert!(
                peak <= SERVER_LIMIT,
                "with a list of {small} pages, {peak} downloads were in flight at once, but \
                 the server takes {SERVER_LIMIT} whatever the length of the list"
            );
            assert_eq!(
                peak, SERVER_LIMIT,
                "with a list of {small} pages, only {peak} download(s) were in flight at a time, \
                 while the server takes {SERVER_LIMIT}: keep {SERVER_LIMIT} going while pages \
                 are left"
            );
        }
    }

    /// Returns once the runtime has gone idle (parked, letting the paused clock move on) 25 000
    /// times since it was called, checked every paused minute: an hour of paused time passes at
    /// once for code that only waits (60 checks), while a progress ticker every 40 ms (in
    /// the function or in a task of its own) would need 90 000 wake-ups.
    /// (Each tick of a 40 ms ticker idles the runtime two or three times: 25 000 is about
    /// 400 s of such ticks, half a second of real time.)
    async fn busy_for_long() {
        let idles = || {
            let metrics = tokio::runtime::Handle::current().metrics();
            (0..metrics.num_workers())
                .map(|worker| metrics.worker_park_count(worker))
                .sum::<u64>()
        };
        let first = idles();
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            if idles() - first > 25_000 {
                return;
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_very_slow_page_is_waited_for() {
        // Today the server takes an hour for one page (of the test's paused clock): its page
        // must come back all the same, however long it takes (or fetch_all may fail loudly).
        use futures_util::FutureExt;
        let server = Arc::new(Server::default());
        let urls: Vec<String> = (1..=10).map(|n| format!("/day/{n}.html")).collect();
        let slow_server = Arc::clone(&server);
        let fetching = std::panic::AssertUnwindSafe(fetch_all(urls, move |url| {
            let ms = if url == "/day/3.html" { 3_600_000 } else { 100 };
            serve_in(Arc::clone(&slow_server), url, ms)
        }))
        .catch_unwind();
        // A fetch_all woken often (a progress ticker) or one that spins is judged by the
        // other tests: this one leaves it alone (no verdict) once it has been polled 10 000
        // times, or 1000 times at one moment of the paused clock.
        let mut fetching = std::pin::pin!(fetching);
        let (mut polls, mut moment, mut still) = (0u32, Instant::now(), 0u32);
        let fetched = std::future::poll_fn(|cx| {
            polls += 1;
            if moment != Instant::now() {
                (moment, still) = (Instant::now(), 0);
            }
            still += 1;
            if polls > 10_000 || still > 1000 {
                return std::task::Poll::Ready(None);
            }
            fetching.as_mut().poll(cx).map(Some)
        });
        // A progress ticker in a task of its own is left alone too, once the runtime has gone
        // idle 25 000 times.
        let fetched = tokio::select! {
            biased;
            fetched = fetched => fetched,
            () = busy_for_long() => return,
        };
        let Some(Ok(pages)) = fetched else {
            // A safety net that gives up loudly loses no page silently.
            return;
        };
        let got: Vec<&str> = pages.iter().map(|page| page.url.as_str()).collect();
        assert!(
            got.contains(&"/day/3.html"),
            "fetch_all returned {} of 10 pages, without \"/day/3.html\", whose download took \
             an hour here (the server was slow): a page must not go missing silently; wait for \
             every download, however long it takes",
            pages.len()
        );
        assert_eq!(pages.len(), 10, "10 pages in, 10 pages out");
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_page_does_not_hold_up_the_others() {
        let server = Arc::new(Server::default());
        let urls: Vec<String> = (1..=10).map(|n| format!("/news/{n}.html")).collect();
        let slow_server = Arc::clone(&server);
        let start = Instant::now();
        let pages = watched(fetch_all(urls, move |url| {
            // Today the server is slow on one page: its URL looks like any other, but it takes
            // 400 ms instead of 100 ms.
            let ms = if url == "/news/2.html" { 400 } else { 100 };
            serve_in(Arc::clone(&slow_server), url, ms)
        }))
        .await;
        let elapsed = start.elapsed().as_millis();
        assert_eq!(pages.len(), 10, "10 pages in, 10 pages out");
        let peak = server.peak.load(Ordering::SeqCst);
        assert!(
            peak <= SERVER_LIMIT,
            "{peak} downloads were in flight at once, but the server takes {SERVER_LIMIT}"
        );
        assert!(
            elapsed < 500,
            "10 pages took {elapsed} ms instead of 400 ms: here the server took 400 ms for \
             \"/news/2.html\" (only the server knows which page is slow), and the other 3 slots \
             should have gone through the 9 other pages meanwhile. Do not plan from the URLs: \
             start the next page as soon as any download finishes, in the order of the list"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_next_page_starts_the_moment_a_download_ends() {
        let server = Arc::new(Server::default());
        let mut urls: Vec<String> = ["/a.mp4", "/b.mp4", "/c.mp4"].map(String::from).to_vec();
        urls.extend((1..=9).map(|n| format!("/page/{n}.html")));
        let start = Instant::now();
        let pages = fetch_from(&server, urls).await;
        let elapsed = start.elapsed();
        assert_eq!(pages.len(), 12, "12 pages in, 12 pages out");
        // The 3 videos hold 3 slots until 400 ms: the 4th slot fetches 4 small pages one after
        // the other, then the 4 slots share the last 5 (400-500 ms, 500-600 ms).
        let why = if let Some(why) = held_back(&server, start, elapsed, 600) {
            why
        } else if elapsed < Duration::from_millis(600) {
            format!("more than {SERVER_LIMIT} downloads were in flight at once")
        } else if elapsed < Duration::from_millis(700) {
            "a little late: each new download must start the very moment one ends. Wait on \
             the downloads themselves (buffer_unordered, JoinSet::join_next, a Semaphore's \
             acquire), not on a timer that looks at the slots now and then"
                .to_string()
        } else {
            "start the next page as soon as any download finishes".to_string()
        };
        assert_eq!(
            elapsed,
            Duration::from_millis(600),
            "3 videos and 9 small pages took {elapsed:?} instead of 600 ms: {why}"
        );
    }

    #[test]
    fn nothing_looks_at_the_slots_on_a_timer() {
        // The runtime notes each moment (of its paused clock) at which it goes idle: with
        // downloads that are waited on, that is the start and the moments downloads end, plus
        // the runtime's own stops every 64 ms (where its timer wheel sorts the timers due
        // later), which are not counted.
        let idle_at = Arc::new(std::sync::Mutex::new(Vec::new()));
        let noted = Arc::clone(&idle_at);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .on_thread_park(move || noted.lock().unwrap().push(Instant::now()))
            .build()
            .unwrap();
        let server = Arc::new(Server::default());
        let mut urls: Vec<String> = ["/a.mp4", "/b.mp4", "/c.mp4"].map(String::from).to_vec();
        urls.extend((1..=9).map(|n| format!("/page/{n}.html")));
        let (start, took, pages) = runtime.block_on(async {
            let start = Instant::now();
            let pages = fetch_from(&server, urls).await;
            (start, start.elapsed(), pages)
        });
        assert_eq!(pages.len(), 12, "12 pages in, 12 pages out");
        let ends = server.ends.lock().unwrap().clone();
        let mut extra: Vec<Duration> = idle_at
            .lock()
            .unwrap()
            .iter()
            .filter(|at| **at != start && !ends.contains(at) && **at <= start + took)
            .map(|at| *at - start)
            .filter(|after| after.as_millis() % 64 != 0)
            .collect();
        extra.dedup();
        // A progress message now and then is fine: one moment of the code's own per 10 ms. (A
        // loop that looks at the slots on a timer and still starts each download the moment
        // another ends, as downloads_of_odd_lengths wants, looks every millisecond.)
        let allowed = (took.as_millis() / 10) as usize;
        assert!(
            extra.len() <= allowed,
            "while fetch_all ran ({took:?} of the test's paused clock), the runtime woke up at \
             {} moments when no download had ended (the first ones: {:?}), more than one per \
             10 ms: something in fetch_all, or in a task it spawned, wakes up on a timer that \
             often. If it looks at the slots (try_join_next, is_finished or a counter), wait on \
             the downloads themselves instead (buffer_unordered, JoinSet::join_next, a \
             Semaphore's acquire): they wake you up the moment one ends. A progress message is \
             fine on a timer of 10 ms or more",
            extra.len(),
            &extra[..extra.len().min(5)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn downloads_of_odd_lengths() {
        // Ten pages whose downloads take odd times, from 59 to 151 ms: no timer's beat falls on
        // every moment that one of them ends.
        let ms: [u64; 10] = [137, 71, 113, 89, 151, 67, 103, 97, 59, 127];
        let urls: Vec<String> = (0..ms.len()).map(|n| format!("/odd/{n}.html")).collect();
        let server = Arc::new(Server::default());
        // When each download started, and when the server was done with it.
        let times = Arc::new(std::sync::Mutex::new(Vec::new()));
        let start = Instant::now();
        let (odd_server, odd_times) = (Arc::clone(&server), Arc::clone(&times));
        let pages = watched(fetch_all(urls, move |url| {
            let n: usize = url["/odd/".len()..url.len() - ".html".len()]
                .parse()
                .unwrap();
            let (server, times) = (Arc::clone(&odd_server), Arc::clone(&odd_times));
            async move {
                let started = start.elapsed();
                let done = started + Duration::from_millis(ms[n]);
                times.lock().unwrap().push((started, done));
                serve_in(server, url, ms[n]).await
            }
        }))
        .await;
        assert_eq!(pages.len(), 10, "10 pages in, 10 pages out");
        let peak = server.peak.load(Ordering::SeqCst);
        assert!(
            peak <= SERVER_LIMIT,
            "{peak} downloads were in flight at once, but the server takes {SERVER_LIMIT}"
        );
        let times = times.lock().unwrap().clone();
        for (started, _) in &times {
            assert!(
                started.is_zero() || times.iter().any(|(_, done)| done == started),
                "a download started after {started:?}, but the server had finished no download \
                 at that moment: these downloads take odd times (59 to 151 ms), and each new \
                 download must start the very moment one ends, not on a timer's beat. Wait on \
                 the downloads themselves (buffer_unordered, JoinSet::join_next, a Semaphore's \
                 acquire), not on a timer that looks at the slots now and then"
            );
        }
        // Right after each moment a download ends, the freed slots are in use again: as many
        // downloads in flight as the server takes, or every page left.
        for (_, ended_at) in &times {
            let started = times.iter().filter(|(s, _)| s <= ended_at).count();
            let ended = times.iter().filter(|(_, d)| d <= ended_at).count();
            let in_flight = started - ended;
            let want = SERVER_LIMIT.min(ms.len() - ended);
            assert!(
                in_flight >= want,
                "after {ended_at:?} a download ended, with {} page(s) not downloaded yet, but \
                 then only {in_flight} download(s) were in flight, while the server takes \
                 {SERVER_LIMIT}: start the next page the moment any download ends, one for \
                 each slot that frees up (not once two have ended, nor when half the slots \
                 are free)",
                ms.len() - ended
            );
        }
    }

    /// A call to fetch_all leaves nothing behind: once it has returned the pages, every task
    /// it started ends (workers still waiting for more pages would stay for as long as the
    /// program runs, a few more with every call).
    #[tokio::test(start_paused = true)]
    async fn nothing_is_left_running_after_the_pages_come_back() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        let server = Arc::new(Server::default());
        let pages = fetch_from(&server, urls(9)).await;
        if pages.len() != 10 {
            // every_page_is_fetched_once says what is wrong.
            return;
        }
        // A task that has just returned, or one aborted, is gone once the runtime has run.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let left = metrics.num_alive_tasks().saturating_sub(before);
        assert_eq!(
            left, 0,
            "fetch_all returned the 10 pages, but {left} task(s) it started were still alive \
             1 s later: whatever fetch_all starts must end once the pages are in. Workers that \
             take pages from a queue must leave when it is empty (a channel closes only once \
             every Sender is dropped, the workers' own too), and a task of its own (a \
             progress log, a watchdog) must be stopped; or let buffer_unordered or a JoinSet \
             run the downloads"
        );
    }

    /// A lost wake-up needs another thread at just the wrong moment, so no run can be sure to
    /// show it: this test reads the source. `notify_waiters` wakes only the `Notified` futures
    /// that already exist when it runs, so a `Notified` awaited right where it is made
    /// (`x.notified().await`, or `let n = x.notified(); n.await;`) was made after the count was
    /// last checked, and misses a wake-up that lands in between. Made first, then the count
    /// checked, then awaited (`let n = x.notified(); if done { .. } n.await;`), it misses none.
    #[test]
    fn a_waiting_download_cannot_miss_a_wakeup() {
        /// `code` without its comments, and with its string and char literals emptied.
        fn without_comments_and_strings(code: &str) -> String {
            let chars: Vec<char> = code.chars().collect();
            let mut out = String::new();
            let mut at = 0;
            while at < chars.len() {
                let rest = |at: usize, n: usize| chars.get(at + n).copied();
                match chars[at] {
                    '/' if rest(at, 1) == Some('/') => {
                        while at < chars.len() && chars[at] != '\n' {
                            at += 1;
                        }
                    }
                    '/' if rest(at, 1) == Some('*') => {
                        let mut depth = 0;
                        while at < chars.len() {
                            if chars[at] == '/' && rest(at, 1) == Some('*') {
                                depth += 1;
                                at += 2;
                            } else if chars[at] == '*' && rest(at, 1) == Some('/') {
                                depth -= 1;
                                at += 2;
                                if depth == 0 {
                                    break;
                                }
                            } else {
                                at += 1;
                            }
                        }
                        out.push(' ');
                    }
                    'r' if (rest(at, 1) == Some('"') || rest(at, 1) == Some('#'))
                        && !out.ends_with(|c: char| c.is_alphanumeric() || c == '_') =>
                    {
                        let hashes = chars[at + 1..].iter().take_while(|c| **c == '#').count();
                        if rest(at, 1 + hashes) != Some('"') {
                            out.push('r');
                            at += 1;
                            continue;
                        }
                        let closing = format!("\"{}", "#".repeat(hashes));
                        let body: String = chars[at + 2 + hashes..].iter().collect();
                        at = body.find(&closing).map_or(chars.len(), |end| {
                            at + 2 + hashes + body[..end].chars().count() + 1 + hashes
                        });
                        out.push_str("\"\"");
                    }
                    '"' => {
                        at += 1;
                        while at < chars.len() && chars[at] != '"' {
                            at += if chars[at] == '\\' { 2 } else { 1 };
                        }
                        at += 1;
                        out.push_str("\"\"");
                    }
                    '\'' if rest(at, 1) == Some('\\') => {
                        at += 2;
                        while at < chars.len() && chars[at] != '\'' {
                            at += 1;
                        }
                        at += 1;
                        out.push_str("' '");
                    }
                    '\'' if rest(at, 2) == Some('\'') => {
                        at += 3;
                        out.push_str("' '");
                    }
                    c => {
                        out.push(c);
                        at += 1;
                    }
                }
            }
            out
        }

        let source = include_str!("buffer_unordered_limit.rs");
        let code = source
            .split("\n// Tests: do not edit below this line.")
            .next()
            .unwrap_or(source);
        let code = without_comments_and_strings(code);
        let mut tokens: Vec<String> = Vec::new();
        let mut word = String::new();
        for c in code.chars() {
            if c.is_alphanumeric() || c == '_' {
                word.push(c);
                continue;
            }
            if !word.is_empty() {
                tokens.push(std::mem::take(&mut word));
            }
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
        }
        tokens.push(word);
        let is = |at: usize, expected: &[&str]| {
            tokens.len() >= at + expected.len()
                && expected.iter().zip(&tokens[at..]).all(|(e, t)| e == t)
        };
        if !tokens.iter().any(|t| t == "notify_waiters") {
            return;
        }
        // The names `.notify_waiters()` and `.notify_one()` are called on. A Notify woken only
        // with notify_one keeps a permit for a waiter yet to come: a `x.notified().await` on
        // such a name (one notify_waiters is never called on) misses nothing.
        let receivers_of = |method: &str| -> Vec<&str> {
            (2..tokens.len())
                .filter(|&at| tokens[at] == method && tokens[at - 1] == ".")
                .map(|at| tokens[at - 2].as_str())
                .collect()
        };
        let waiters_woken = receivers_of("notify_waiters");
        let one_woken = receivers_of("notify_one");
        let on_a_permit_notify = |named: usize| {
            tokens[named - 1] == "."
                && tokens[named - 2]
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_')
                && one_woken.contains(&tokens[named - 2].as_str())
                && !waiters_woken.contains(&tokens[named - 2].as_str())
        };
        /// Whether the future that the call at `named` makes (`x.notified()`, or a fn of the
        /// code's own that returns one) is awaited before anything is checked: in the same
        /// expression (`.await`, a `select!` arm, an argument), or in the statements after
        /// `let n = ...;` up to the first one that checks something (`if`, `while`, `match`,
        /// `break`, `return`, `?`). `depth` is how many such fns deep it may follow calls.
        fn awaited_before_a_check(tokens: &[String], named: usize, depth: usize) -> bool {
            let is = |at: usize, expected: &[&str]| {
                tokens.len() >= at + expected.len()
                    && expected.iter().zip(&tokens[at..]).all(|(e, t)| e == t)
            };
            // The token after the `)` that closes the call.
            let mut open = 0;
            let Some(next) = (named + 1..tokens.len()).find_map(|i| {
                match tokens[i].as_str() {
                    "(" => open += 1,
                    ")" if open == 1 => return Some(i + 1),
                    ")" => open -= 1,
                    _ => {}
                }
                None
            }) else {
                return false;
            };
            if is(next, &[".", "await"]) {
                return true;
            }
            let start = tokens[..named]
                .iter()
                .rposition(|t| t == ";" || t == "{" || t == "}")
                .map_or(0, |p| p + 1);
            // The tail of a fn of the code's own (`fn bell(n: &Notify) -> Notified<'_> {
            // n.notified() }`): what counts is where the fn's calls are awaited.
            let fn_at = tokens[..start].iter().rposition(|t| t == "fn");
            let tail_of = fn_at.filter(|&at| {
                start > 0
                    && tokens[start - 1] == "{"
                    && is(next, &["}"])
                    && !tokens[at..start - 1]
                        .iter()
                        .any(|t| t == "{" || t == "}" || t == ";")
            });
            if let Some(at) = tail_of {
                let name = &tokens[at + 1];
                return depth > 0
                    && (1..tokens.len()).any(|call| {
                        &tokens[call] == name
                            && is(call + 1, &["("])
                            && tokens[call - 1] != "fn"
                            && awaited_before_a_check(tokens, call, depth - 1)
                    });
            }
            if !is(start, &["let"]) {
                // Made where no `let` keeps it: a `select!` arm, an argument, `(..).await`.
                return true;
            }
            // The end of the statement at `from`: its `;`, the `}` that closes a block it
            // opened (an `if`, a `loop`), or the `}` that closes the block around it.
            let statement_end = |from: usize| -> usize {
                let mut open = 0;
                for (i, token) in tokens.iter().enumerate().skip(from) {
                    match token.as_str() {
                        "(" | "[" | "{" => open += 1,
                        "}" if open == 0 => return i,
                        "}" if open == 1 => return i + 1,
                        ")" | "]" | "}" => open -= 1,
                        ";" if open == 0 => return i + 1,
                        _ => {}
                    }
                }
                tokens.len()
            };
            let end = statement_end(start);
            if tokens[start..end].iter().any(|t| t == "await") {
                return true;
            }
            let name_at = if is(start + 1, &["mut"]) {
                start + 2
            } else {
                start + 1
            };
            let name = &tokens[name_at];
            if !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return false;
            }
            let checks = [
                "if", "while", "match", "else", "?", "break", "return", "continue",
            ];
            let mut at = end;
            while at < tokens.len() && tokens[at] != "}" {
                let end = statement_end(at).max(at + 1);
                let statement = &tokens[at..end];
                let used = statement.iter().position(|t| t == name);
                let before_use = &statement[..used.unwrap_or(statement.len())];
                if before_use.iter().any(|t| checks.contains(&t.as_str())) {
                    return false;
                }
                // Awaited (`n.await`, or handed to a macro such as `select!`) before a check.
                if used.is_some_and(|used| {
                    statement[used..].iter().any(|t| t == "await")
                        || statement.iter().any(|t| t == "!")
                }) {
                    return true;
                }
                at = end;
            }
            false
        }
        let awaited_where_made = (1..tokens.len()).any(|named| {
            ["notified", "notified_owned"].contains(&tokens[named].as_str())
                && [".", ":"].contains(&tokens[named - 1].as_str())
                && is(named + 1, &["("])
                && !on_a_permit_notify(named)
                && awaited_before_a_check(&tokens, named, 2)
        });
        assert!(
            !awaited_where_made,
            "fetch_all awaits a Notified made after it checked how many downloads are in \
             flight (`.notified().await`, or `let n = ...notified(); n.await;`), beside a \
             `notify_waiters`: notify_waiters wakes only the Notified futures that already \
             exist, so on a multi-thread runtime every download in flight can end between that \
             check and the `notified()`, wake nobody, and leave fetch_all waiting for ever with \
             the next pages never started. Keep the downloads in a stream with \
             buffer_unordered (or a FuturesUnordered you refill), or make the Notified first, \
             then check, then await it"
        );
    }

    /// A race needs two threads at just the wrong moment, so no run can be sure to show it:
    /// this test reads the source. A download task that checks the count in flight with `load`
    /// and then adds itself with `fetch_add` takes its slot in two steps: on a multi-thread
    /// runtime two tasks both see 3 in flight, and both start. (One loop that checks and adds
    /// before it spawns each task, as the only one that adds, takes no slot twice.)
    #[test]
    fn a_slot_is_taken_in_one_step() {
        /// `code` without its comments, and with its string and char literals emptied.
        fn without_comments_and_strings(code: &str) -> String {
            let chars: Vec<char> = code.chars().collect();
            let mut out = String::new();
            let mut at = 0;
            while at < chars.len() {
                let rest = |at: usize, n: usize| chars.get(at + n).copied();
                match chars[at] {
                    '/' if rest(at, 1) == Some('/') => {
                        while at < chars.len() && chars[at] != '\n' {
                            at += 1;
                        }
                    }
                    '/' if rest(at, 1) == Some('*') => {
                        let mut depth = 0;
                        while at < chars.len() {
                            if chars[at] == '/' && rest(at, 1) == Some('*') {
                                depth += 1;
                                at += 2;
                            } else if chars[at] == '*' && rest(at, 1) == Some('/') {
                                depth -= 1;
                                at += 2;
                                if depth == 0 {
                                    break;
                                }
                            } else {
                                at += 1;
                            }
                        }
                        out.push(' ');
                    }
                    'r' if (rest(at, 1) == Some('"') || rest(at, 1) == Some('#'))
                        && !out.ends_with(|c: char| c.is_alphanumeric() || c == '_') =>
                    {
                        let hashes = chars[at + 1..].iter().take_while(|c| **c == '#').count();
                        if rest(at, 1 + hashes) != Some('"') {
                            out.push('r');
                            at += 1;
                            continue;
                        }
                        let closing = format!("\"{}", "#".repeat(hashes));
                        let body: String = chars[at + 2 + hashes..].iter().collect();
                        at = body.find(&closing).map_or(chars.len(), |end| {
                            at + 2 + hashes + body[..end].chars().count() + 1 + hashes
                        });
                        out.push_str("\"\"");
                    }
                    '"' => {
                        at += 1;
                        while at < chars.len() && chars[at] != '"' {
                            at += if chars[at] == '\\' { 2 } else { 1 };
                        }
                        at += 1;
                        out.push_str("\"\"");
                    }
                    '\'' if rest(at, 1) == Some('\\') => {
                        at += 2;
                        while at < chars.len() && chars[at] != '\'' {
                            at += 1;
                        }
                        at += 1;
                        out.push_str("' '");
                    }
                    '\'' if rest(at, 2) == Some('\'') => {
                        at += 3;
                        out.push_str("' '");
                    }
                    c => {
                        out.push(c);
                        at += 1;
                    }
                }
            }
            out
        }

        let source = include_str!("buffer_unordered_limit.rs");
        let code = source
            .split("\n// Tests: do not edit below this line.")
            .next()
            .unwrap_or(source);
        let code = without_comments_and_strings(code);
        let mut tokens: Vec<String> = Vec::new();
        let mut word = String::new();
        for c in code.chars() {
            if c.is_alphanumeric() || c == '_' {
                word.push(c);
                continue;
            }
            if !word.is_empty() {
                tokens.push(std::mem::take(&mut word));
            }
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
        }
        tokens.push(word);
        // The names called with `.method(` in tokens[from..to].
        let called_with = |from: usize, to: usize, method: &str| -> Vec<&str> {
            (from.max(2)..to.saturating_sub(1))
                .filter(|&at| {
                    tokens[at] == method && tokens[at - 1] == "." && tokens[at + 1] == "("
                })
                .map(|at| tokens[at - 2].as_str())
                .collect()
        };
        // In the code a task is spawned with (`spawn(...)`), a name both read with `load` and
        // added to with `fetch_add`.
        let split = (0..tokens.len().saturating_sub(1)).find_map(|at| {
            if tokens[at] != "spawn" || tokens[at + 1] != "(" {
                return None;
            }
            let mut depth = 0;
            let end = (at + 1..tokens.len()).find(|&i| {
                match tokens[i].as_str() {
                    "(" => depth += 1,
                    ")" => depth -= 1,
                    _ => {}
                }
                depth == 0
            })?;
            let loaded = called_with(at + 2, end, "load");
            called_with(at + 2, end, "fetch_add")
                .into_iter()
                .find(|name| loaded.contains(name))
                .map(str::to_string)
        });
        assert!(
            split.is_none(),
            "each download task checks the count of downloads in flight with `{name}.load()` \
             and then adds itself with `{name}.fetch_add()`: two steps. On a multi-thread \
             runtime two tasks can both see 3 in flight and both start, and the server gets 5 \
             requests at once. Take a slot in one step (`compare_exchange`, a Semaphore's \
             acquire), or start the downloads from one loop (`buffer_unordered(MAX_IN_FLIGHT)`)",
            name = split.unwrap_or_default()
        );
    }
}
