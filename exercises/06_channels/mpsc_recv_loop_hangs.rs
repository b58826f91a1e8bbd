// mpsc_recv_loop_hangs
//
// `download_sizes` fetches every URL in its own task; each task sends `(url, size)` back over
// an mpsc channel. All the downloads finish, yet `download_sizes` never returns: tests hang.
//
// `rx.recv()` returns `None` only once EVERY `Sender` is gone. The tasks drop their clones when
// they finish, but one more `Sender` is still alive. Make the collecting loop end once all
// answers are in, without losing any answer.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::sync::mpsc;

async fn fetch_size(url: &str) -> usize {
    // Longer URLs take longer to download.
    tokio::time::sleep(Duration::from_millis(10 * url.len() as u64)).await;
    url.len() * 100
}

async fn download_sizes(urls: Vec<&'static str>) -> BTreeMap<&'static str, usize> {
    let (tx, mut rx) = mpsc::channel(8);

    for url in urls {
        let tx = tx.clone();
        tokio::spawn(async move {
            let size = fetch_size(url).await;
            tx.send((url, size)).await.unwrap();
        });
    }

    // TODO: this loop waits for a message that never comes. Which Sender is still alive?
    let mut sizes = BTreeMap::new();
    while let Some((url, size)) = rx.recv().await {
        sizes.insert(url, size);
    }
    sizes
}

#[tokio::main]
async fn main() {
    println!("{:?}", download_sizes(vec!["a.io", "bb.io"]).await);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::time::Duration;
    use tokio::time::Instant;

    /// `future` (a call of download_sizes), stopped with a message once it is polled 1000
    /// times in a row at one moment of the paused clock: a loop that checks the channel and
    /// yields (`try_recv` with `yield_now`) never lets the clock move on, and would spin until
    /// the run is killed.
    async fn guarded<T>(future: impl std::future::Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let (mut moment, mut polls) = (Instant::now(), 0);
        std::future::poll_fn(|cx| {
            if moment != Instant::now() {
                (moment, polls) = (Instant::now(), 0);
            }
            polls += 1;
            assert!(
                polls <= 1000,
                "download_sizes was polled 1000 times in a row while the paused clock stood \
                 still: it checks the channel in a loop (`try_recv` with `yield_now`), and no \
                 download can finish while it spins. Wait in `rx.recv().await`, and drop the \
                 function's own Sender so that recv() returns None once every download task is \
                 done"
            );
            future.as_mut().poll(cx)
        })
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn collects_every_size() {
        let sizes = guarded(download_sizes(vec!["a.io", "bb.io", "ccc.io"])).await;
        let expected = BTreeMap::from([("a.io", 400), ("bb.io", 500), ("ccc.io", 600)]);
        assert_eq!(
            sizes, expected,
            "every URL must be in the result, with its size"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn downloads_run_at_the_same_time() {
        let start = Instant::now();
        let sizes = guarded(download_sizes(vec![
            "x.example",
            "yy.example",
            "zzz.example",
        ]))
        .await;
        assert_eq!(sizes.len(), 3, "3 URLs, 3 sizes; got {sizes:?}");
        let elapsed = start.elapsed().as_millis();
        assert!(
            (110..200).contains(&elapsed),
            "the slowest download takes 110 ms, but collecting took {elapsed} ms: keep the \
             downloads in their own tasks and collect the answers as they arrive"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn answers_far_apart_are_all_collected() {
        // "a.io" answers at 40 ms; the long URL (44 bytes, with a scheme, as a URL may have)
        // only at 440 ms.
        let slow = "https://a-long-name-for-a-slow-download.info";
        let start = Instant::now();
        let mut collecting = std::pin::pin!(guarded(download_sizes(vec!["a.io", slow])));
        // The moments of the paused clock at which it was woken (in ms from the start): a
        // yield after a progress message wakes it again at the same moment, which costs nothing.
        let mut woken: Vec<u128> = Vec::new();
        let sizes = std::future::poll_fn(|cx| {
            let at = start.elapsed().as_millis();
            if woken.last() != Some(&at) {
                woken.push(at);
            }
            collecting.as_mut().poll(cx)
        })
        .await;
        let elapsed = start.elapsed().as_millis();
        assert!(
            sizes.contains_key(slow) || elapsed < 440,
            "download_sizes returned {sizes:?} at {elapsed} ms, {}, without the answer that \
             comes at 440 ms: it stopped taking answers out of rx {}. Keep taking answers out of \
             rx until recv() returns None, once every Sender is gone: a download task that is \
             done may have left its answer in the channel",
            if elapsed == 440 {
                "the moment that answer was due"
            } else {
                "after that answer was sent"
            },
            if elapsed == 440 {
                "just before that answer came, or while it was in the channel"
            } else {
                "while that answer was in the channel"
            }
        );
        assert_eq!(
            sizes.get(slow),
            Some(&4400),
            "download_sizes returned {sizes:?} after {elapsed} ms, without the answer that \
             comes at 440 ms: keep collecting until every download task is done, not until \
             the answers stop for a while"
        );
        assert_eq!(sizes.len(), 2, "2 URLs, 2 sizes; got {sizes:?}");
        assert_eq!(
            elapsed, 440,
            "the last answer comes at 440 ms, but download_sizes returned at {elapsed} ms: \
             return as soon as the last download task is done"
        );
        // A download ends on a multiple of 10 ms, so a check on a timer that returns in time
        // looks at each of them: there, 20 moments are allowed (the answers, and a progress
        // message every 25 ms or more); between them (a message every 12 or 15 ms), one per 10 ms.
        let (on_steps, between): (Vec<u128>, Vec<u128>) =
            woken.iter().partition(|at| *at % 10 == 0);
        assert!(
            on_steps.len() <= 20 && between.len() <= 44,
            "download_sizes was woken up at {} moments in 440 ms, {} of them on a multiple of \
             10 ms (when a download may end, as a check must), while only 2 answers came (20 \
             are allowed there: the answers, and a progress message every 25 ms or more): \
             something wakes it on a short timer (a timeout or a sleep around recv, or a \
             ticker beside it in select!). Drop the function's own Sender, so that recv() \
             returns None once every download task is done, and wait in recv() (beside a \
             progress ticker of 25 ms or more, if you want one: every 10 or 20 ms wakes it \
             just when such a check would)",
            woken.len(),
            on_steps.len()
        );
    }

    /// Returns once the runtime has gone idle (parked, letting the paused clock move on) 25 000
    /// times since it was called, checked every paused minute: a day of paused time passes at
    /// once for code that only waits (1440 checks), while a progress ticker every 40 ms (in
    /// the function or in a task of its own) would need 2 million wake-ups.
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
    async fn a_download_of_a_day_is_waited_for() {
        // A URL of 8 640 000 bytes: its download takes a day (10 ms a byte); the two others
        // answer at 40 and 50 ms. A loop woken often (a progress ticker) is judged above; this
        // test leaves it alone once it has been woken 10000 times, or once the runtime has
        // gone idle 25000 times (a progress ticker in a task of its own), or once it has
        // failed (a safety net that panics).
        let day: &'static str = "d".repeat(8_640_000).leak();
        let start = Instant::now();
        // A safety net that panics (a time limit on recv) is not judged here either.
        let collecting = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
            guarded(download_sizes(vec!["a.io", day, "bb.io"])),
        ));
        let mut collecting = std::pin::pin!(collecting);
        let mut wakeups = 0u32;
        let sizes = std::future::poll_fn(|cx| {
            wakeups += 1;
            if wakeups > 10_000 {
                return std::task::Poll::Ready(None);
            }
            collecting.as_mut().poll(cx).map(Some)
        });
        // One that never returns is judged by the tests above too.
        let month = Duration::from_secs(30 * 24 * 3600);
        let sizes = tokio::select! {
            biased;
            sizes = tokio::time::timeout(month, sizes) => sizes,
            () = busy_for_long() => return,
        };
        let Ok(Some(Ok(sizes))) = sizes else {
            return;
        };
        let took = start.elapsed();
        let got: Vec<usize> = sizes.keys().map(|url| url.len()).collect();
        let a_day = Duration::from_secs(24 * 3600);
        assert!(
            sizes.contains_key(day) || took < a_day,
            "one download took a day (a URL of 8 640 000 bytes), the two others 40 and 50 ms, \
             and download_sizes returned after {took:?}, {}, with the sizes of the URLs of \
             {got:?} bytes, without the day-long one: it stopped taking answers out of rx {}. \
             Keep taking answers out of rx until recv() returns None, once every Sender is \
             gone: a download task that is done may have left its answer in the channel",
            if took == a_day {
                "the moment that answer was due"
            } else {
                "after that answer was sent"
            },
            if took == a_day {
                "just before that answer came, or while it was in the channel"
            } else {
                "while that answer was in the channel"
            }
        );
        let with = if got.is_empty() {
            "no size at all, not even those of the two short downloads".to_string()
        } else {
            format!("the sizes of the URLs of {got:?} bytes, without the day-long one")
        };
        assert!(
            sizes.get(day) == Some(&864_000_000),
            "one download took a day (a URL of 8 640 000 bytes), the two others 40 and 50 ms, \
             and download_sizes returned after {took:?} with {with}: keep collecting until \
             every download task is done (recv() returns None once every Sender is gone), \
             however long one of them takes"
        );
        assert_eq!(
            sizes.len(),
            3,
            "3 URLs, 3 sizes; got the URLs of {got:?} bytes"
        );
        assert_eq!(
            took,
            Duration::from_secs(24 * 3600),
            "the last answer came after a day, but download_sizes returned after {took:?}: \
             return as soon as the last download task is done"
        );
    }

    /// Heap blocks held on this thread, and allocations made on it, once `download_sizes(urls)`
    /// has run for `ms` ms of paused time, on a current-thread runtime of its own where every
    /// task runs on this thread. The call is kept (not dropped) until the count is taken. One
    /// blocking thread at most, so that a fix that runs work in `spawn_blocking` starts that
    /// thread once, at its first answer (a pool of many starts another whenever its last one is
    /// not back in time, as the real clock decides).
    fn heap_blocks_after(ms: u64, urls: Vec<&'static str>) -> (i64, i64) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let mut call = Box::pin(download_sizes(urls));
        let info = allocation_counter::measure(|| {
            runtime.block_on(async {
                let _ = tokio::time::timeout(Duration::from_millis(ms), &mut call).await;
            });
        });
        drop(call);
        drop(runtime);
        (info.count_current, info.count_total as i64)
    }

    /// 68 URLs: the slowest (80 bytes, 800 ms) first, then one every 10 ms from 40 ms to 700 ms
    /// (4 to 70 bytes long, 10 ms per byte). The first five sort after all the others, so that
    /// a BTreeMap filled in the order the answers come splits its nodes at neither the 33rd
    /// nor the 65th answer.
    fn many_urls() -> Vec<&'static str> {
        let mut urls = vec!["q".repeat(80).leak() as &str];
        urls.extend((4..=8).map(|len| "z".repeat(len).leak() as &str));
        urls.extend((9..=70).map(|len| "q".repeat(len).leak() as &str));
        urls
    }

    /// Whether the answers come out of the channel while the downloads send them, even in a
    /// task that the function then waits for, whatever it collects them into. Tokio's mpsc
    /// channel keeps its messages in blocks of 32 slots, and puts a block the receiver has
    /// emptied back for reuse: when the answers are read as they come, the 33rd answer takes a
    /// new block and the 65th reuses the first one. Answers that are never sent take no block,
    /// and answers left in the channel take a new one every 32 (or wait for room). With
    /// `many_urls`, the 33rd answer comes at 360 ms and the 65th at 680 ms: each window sees
    /// one answer and one download task end, and only the block tells them apart (tasks
    /// awaited in the order they were started have not answered yet).
    fn answers_leave_the_channel_as_they_come() -> (i64, i64) {
        // Once first: what a thread allocates only on its first run is not counted below.
        heap_blocks_after(900, many_urls());
        let around = |ms: u64| {
            let (after, before) = (
                heap_blocks_after(ms + 5, many_urls()),
                heap_blocks_after(ms - 5, many_urls()),
            );
            (after.0 - before.0, after.1 - before.1)
        };
        let ((held_33rd, made_33rd), (held_65th, made_65th)) = (around(360), around(680));
        // A block freed on another thread is not counted here: a `spawn_blocking` task's memory
        // is freed by whichever of its two threads lets go of it last, which leaves the blocks
        // held to chance. The allocations made here do not depend on it (but count what is
        // freed at once too): where the blocks held do not show the channel's, they may.
        if held_33rd - held_65th < 1 && made_33rd - made_65th >= 1 {
            (made_33rd, made_65th)
        } else {
            (held_33rd, held_65th)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn answers_are_collected_as_they_arrive() {
        // The answers may be collected in the function or in a task that it waits for; the
        // channel shows whether they come out of rx as they are sent, however often the
        // function is woken (tasks awaited with join_all wake it as each one ends).
        let urls = many_urls();
        let start = Instant::now();
        let many = tokio::time::timeout(
            Duration::from_secs(60),
            guarded(download_sizes(urls.clone())),
        )
        .await;
        assert!(
            many.is_ok(),
            "for {} URLs (one answer every 10 ms from 40 ms on, the last at 800 ms) \
             download_sizes had not returned after 60 s: either a Sender is still alive (the \
             original tx, or a clone kept by a task, closure or struct that outlives the \
             downloads), so recv() never returns None, or answers left in the channel while the \
             download tasks are awaited fill it up, and the tasks then wait for room. Drop every \
             Sender that no download task holds before the loop, and take each answer out of \
             rx as it comes, in a loop, rather than wait for the tasks first (one by one, or all \
             with join_all) and read rx afterwards",
            urls.len(),
        );
        let returned = many.map_or(0, |sizes| sizes.len());
        let elapsed = start.elapsed().as_millis();
        assert!(
            returned == urls.len() || returned == 0 || elapsed < 800,
            "for {} URLs (one answer every 10 ms from 40 ms on, the last at 800 ms) \
             download_sizes returned {returned} sizes at {elapsed} ms, {}: it stopped taking \
             answers out of rx {}. Keep taking answers out of rx until recv() returns None, once \
             every Sender is gone: a download task that is done may have left its answer in \
             the channel",
            urls.len(),
            if elapsed == 800 {
                "the moment the last answer was due"
            } else {
                "after the last answer was sent"
            },
            if elapsed == 800 {
                "just before the last answer came, or while it was in the channel"
            } else {
                "while answers were still in the channel"
            }
        );
        assert!(
            returned == urls.len(),
            "for {} URLs (one answer every 10 ms from 40 ms on, the last at 800 ms) \
             download_sizes returned {returned} sizes after {} ms: it stopped taking answers \
             out of rx before every one was in (a receiver closed early, a time limit on recv, \
             a count too small, a single recv_many...), or read rx only after a sleep or a wait \
             for the tasks, by when the channel was full and the other answers waited for room \
             or were lost (try_send). Take each answer out of rx as it comes, in a loop that \
             ends once every one is in: recv() returns None once every Sender is gone, so drop \
             the function's own Sender and loop until then",
            urls.len(),
            start.elapsed().as_millis(),
        );
        println!("measuring the heap (this line gives the captured output its buffer first)");
        let (at_33rd, at_65th) = std::thread::spawn(answers_leave_the_channel_as_they_come)
            .join()
            .unwrap();
        assert!(
            at_33rd - at_65th >= 1 || at_33rd >= 1,
            "for {} URLs (one answer every 10 ms from 40 ms on), the heap changed by {at_33rd} \
             block(s) across the 33rd answer, where a channel that carries every answer takes a \
             new block (Tokio's mpsc channel keeps its messages in blocks of 32): the answers \
             did not go through one channel, one message each, as they came. Each download \
             task should send its answer over the channel, and download_sizes should take each \
             one out of rx as it comes, in a loop",
            urls.len(),
        );
        assert!(
            at_33rd - at_65th >= 1,
            "for {} URLs (one answer every 10 ms from 40 ms on), the answers did not come out \
             of the channel as they were sent: the heap changed by {at_33rd} block(s) across \
             the 33rd answer and by {at_65th} across the 65th, where answers taken out as they \
             come let the 65th reuse the channel's emptied first block (one block fewer), so \
             they were left in the channel until later. Each download task should send its \
             answer over the channel, and download_sizes should take each one out of rx as it \
             comes, in a loop, not wait for the download tasks first (one by one in the order \
             they were started, or all with join_all) and read rx afterwards",
            urls.len(),
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_urls_returns_at_once() {
        let sizes =
            tokio::time::timeout(Duration::from_secs(60), guarded(download_sizes(Vec::new())))
                .await
                .expect(
                    "download_sizes with no URLs did not return: its loop waits for an answer that \
                 no task will send. rx.recv() returns None once every Sender is gone: drop the \
                 function's own Sender before the loop (an empty channel is no sign that the \
                 answers are all in: a download may still be running)",
                );
        assert!(sizes.is_empty(), "no URLs means an empty result");
    }

    #[tokio::test(start_paused = true)]
    async fn a_url_listed_twice_is_downloaded_twice() {
        // Nothing stops a caller from listing a URL twice: the map then holds 2 entries for 3
        // answers. The downloads are all done at 50 ms.
        let a_day = Duration::from_secs(24 * 60 * 60);
        let sizes = tokio::time::timeout(
            a_day,
            guarded(download_sizes(vec!["a.io", "a.io", "bb.io"])),
        )
        .await;
        let Ok(sizes) = sizes else {
            let distinct =
                tokio::time::timeout(a_day, guarded(download_sizes(vec!["a.io", "bb.io"]))).await;
            let why = if distinct.is_ok() {
                "with [\"a.io\", \"bb.io\"] it does return: the loop waits for something that \
                 a repeated URL never brings (a map entry per URL? both \"a.io\" answers share \
                 one key). Let recv() end the loop once every Sender is gone (drop the \
                 function's own Sender), or count the answers received, not the map's entries"
            } else {
                "it does not return for [\"a.io\", \"bb.io\"] either: recv() returns None only \
                 once every Sender is gone, so drop the function's own Sender before the loop"
            };
            panic!(
                "download_sizes([\"a.io\", \"a.io\", \"bb.io\"]) did not return within a day \
                 (paused), though its 3 downloads are done at 50 ms; {why}"
            );
        };
        assert_eq!(
            sizes,
            BTreeMap::from([("a.io", 400), ("bb.io", 500)]),
            "a.io (listed twice) is 400 bytes and bb.io 500"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn more_answers_than_the_channel_holds() {
        // The channel holds 8 answers; 20 downloads send more than that.
        let urls: Vec<&'static str> = (10..30)
            .map(|n| format!("site{n}.io").leak() as &str)
            .collect();
        let sizes = tokio::time::timeout(
            Duration::from_secs(60),
            guarded(download_sizes(urls.clone())),
        )
        .await
        .expect(
            "download_sizes did not return for 20 URLs: something waits forever. Either the \
                 loop waits for a Sender that is still alive, or the download tasks are stuck in \
                 send() because the channel (8 answers) is full and nobody reads it yet",
        );
        assert_eq!(sizes.len(), 20, "20 URLs, 20 sizes; got {sizes:?}");
        for url in urls {
            assert_eq!(
                sizes.get(url),
                Some(&900),
                "{url} is 9 bytes long, so its size is 900"
            );
        }
    }

    /// For each panic: the task it happened in (`None` outside any task) and its line and
    /// column, if it happened in this file.
    type Panics = Vec<(Option<tokio::task::Id>, Option<(u32, u32)>)>;

    thread_local! {
        /// The panics on this thread since it was reset.
        static PANICS: std::cell::RefCell<Panics> = const { std::cell::RefCell::new(Vec::new()) };
    }

    #[test]
    fn the_sizes_come_from_the_download_tasks() {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let line = info
                    .location()
                    .filter(|at| at.file().ends_with("mpsc_recv_loop_hangs.rs"))
                    .map(|at| (at.line(), at.column()));
                PANICS.with_borrow_mut(|panics| panics.push((tokio::task::try_id(), line)));
                previous(info);
            }));
        });
        PANICS.with_borrow_mut(Vec::clear);
        // On a runtime without a timer, every download task panics in fetch_size's sleep: no
        // answer is ever sent, and the tasks' Senders are dropped as they fail.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                let collecting = download_sizes(vec!["a.io", "bb.io", "ccc.io"]);
                let give_up = async {
                    for _ in 0..10_000 {
                        tokio::task::yield_now().await;
                    }
                };
                tokio::select! {
                    biased;
                    sizes = collecting => Some(sizes),
                    _ = give_up => None,
                }
            })
        }));
        // The line and column of fetch_size's sleep (where its path starts: `tokio::time::`):
        // there it panics, in whichever task runs it.
        let sleep_line = include_str!("mpsc_recv_loop_hangs.rs")
            .lines()
            .zip(1..)
            .skip_while(|(text, _)| !text.contains("fn fetch_size"))
            .find_map(|(text, line)| {
                let after = text.find("fn fetch_size").map_or(0, |at| at);
                let at = after + text[after..].find("sleep(")?;
                let path =
                    text[..at].trim_end_matches(|c: char| c.is_alphanumeric() || "_:".contains(c));
                Some((line, path.chars().count() as u32 + 1))
            });
        let fetched_outside_tasks = PANICS
            .take()
            .iter()
            .any(|&(task, line)| task.is_none() && line.is_some() && line == sleep_line);
        assert!(
            !fetched_outside_tasks,
            "on a runtime without a timer, fetch_size's sleep panicked in download_sizes' own \
             task, not in a spawned one: download_sizes awaits the downloads itself (joined \
             futures, no `tokio::spawn`), so no size goes through the channel. Keep one spawned \
             task per URL that sends `(url, size)` on its Sender, and collect what comes out of \
             rx"
        );
        // A call that needs a timer itself panics (a safety-net timeout), and one that waits
        // on is not judged here.
        if let Ok(Some(sizes)) = outcome {
            assert!(
                sizes.is_empty(),
                "on a runtime without a timer every download task fails in fetch_size and \
                 sends nothing, yet download_sizes returned {sizes:?}: those sizes were worked \
                 out beside the tasks, not collected from rx. Put in the map what comes out \
                 of rx"
            );
        }
    }

    /// A waker that hands download_sizes over to the thread that polls it: woken from another
    /// thread (a download task inside its `send`, on the runtime's thread), it waits there
    /// until download_sizes has been polled, so that the task that woke it has not ended yet.
    struct HandOver {
        poller: std::thread::ThreadId,
        woken_by_itself: std::sync::atomic::AtomicBool,
        wakes: std::sync::mpsc::Sender<std::sync::mpsc::Sender<()>>,
    }

    impl std::task::Wake for HandOver {
        fn wake(self: std::sync::Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            if std::thread::current().id() == self.poller {
                self.woken_by_itself
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                return;
            }
            let (polled_tx, polled) = std::sync::mpsc::channel::<()>();
            if self.wakes.send(polled_tx).is_ok() {
                // Dropped (or a second of real time passes) once download_sizes has been
                // polled.
                let _ = polled.recv_timeout(Duration::from_secs(1));
            }
        }
    }

    /// On a multi-threaded runtime, download_sizes can run while the task that sent the last
    /// answer has not ended yet: its Sender is dropped a moment after the answer is in the
    /// channel. Here download_sizes is polled on this thread while the download tasks run on
    /// another one, and every task that wakes it waits, inside its `send`, until it has been
    /// polled: a loop that decides whether more answers can come from anything but the channel
    /// closing (how many Senders are left, a counter of running downloads) sees the last task
    /// still alive, waits in recv() again, and with its own Sender kept, no one ever ends that
    /// wait.
    #[test]
    fn the_last_answer_is_collected_before_its_task_has_ended() {
        use std::future::Future;
        use std::sync::Arc;
        use std::sync::atomic::Ordering;
        use std::task::{Context, Poll, Waker};
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("could not build a runtime");
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let tasks_thread = std::thread::spawn(move || {
            runtime.block_on(async {
                let _ = stopped.await;
            });
        });
        let (wakes, woken) = std::sync::mpsc::channel();
        let hand_over = Arc::new(HandOver {
            poller: std::thread::current().id(),
            woken_by_itself: std::sync::atomic::AtomicBool::new(false),
            wakes,
        });
        let waker = Waker::from(Arc::clone(&hand_over));
        let mut cx = Context::from_waker(&waker);
        let urls = vec!["a.io", "bb.io", "cc.io", "ddd.io"];
        let outcome = {
            let _runtime = handle.enter();
            let start = Instant::now();
            let mut collecting = std::pin::pin!(download_sizes(urls.clone()));
            // The woken task (if any) that waits until download_sizes has been polled.
            let mut waiting: Option<std::sync::mpsc::Sender<()>> = None;
            loop {
                let polled = collecting.as_mut().poll(&mut cx);
                drop(waiting.take());
                if let Poll::Ready(sizes) = polled {
                    break Ok(sizes);
                }
                if start.elapsed() > Duration::from_secs(3600) {
                    break Err("was still waking up an hour of the paused clock later");
                }
                if hand_over.woken_by_itself.swap(false, Ordering::SeqCst) {
                    continue;
                }
                match woken.recv_timeout(Duration::from_secs(3)) {
                    Ok(polled_tx) => waiting = Some(polled_tx),
                    Err(_) => break Err("was never woken again"),
                }
            }
        };
        let _ = stop.send(());
        tasks_thread
            .join()
            .expect("the thread of the download tasks panicked");
        let expected: BTreeMap<&'static str, usize> = [
            ("a.io", 400),
            ("bb.io", 500),
            ("cc.io", 500),
            ("ddd.io", 600),
        ]
        .into();
        match outcome {
            Ok(sizes) => assert_eq!(
                sizes, expected,
                "download_sizes({urls:?}) returned {sizes:?} while its download tasks ran on \
                 another thread: collect every answer that comes out of rx"
            ),
            Err(how) => panic!(
                "download_sizes({urls:?}) ran while its download tasks ran on another thread, \
                 and it {how} after the last answer had come in, without returning: it was \
                 polled as soon as that answer was in the channel, before the task that sent \
                 it had ended and dropped its Sender (on a multi-threaded runtime this \
                 happens), saw that task still alive (a count of the Senders left, or of the \
                 downloads still running?), and waited in recv() again, with its own Sender \
                 still alive. Whether more answers can come is what recv() tells: drop \
                 download_sizes' own Sender before the loop, and collect until recv() returns \
                 None"
            ),
        }
    }

    /// A lost wake-up needs another thread at just the wrong moment, so no run can be sure to
    /// show it: this test reads the source. `notify_waiters` wakes only the `Notified` futures
    /// that already exist when it runs, so a `Notified` awaited right where it is made
    /// (`x.notified().await`, or `let n = x.notified(); n.await;`) was made after the count was
    /// last checked, and misses a wake-up that lands in between. Made first, then the count
    /// checked, then awaited (`let n = x.notified(); if done { .. } n.await;`), it misses none.
    #[test]
    fn download_sizes_cannot_miss_a_wakeup() {
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

        let source = include_str!("mpsc_recv_loop_hangs.rs");
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
        let awaited_where_made = (1..tokens.len()).any(|named| {
            if !["notified", "notified_owned"].contains(&tokens[named].as_str())
                || ![".", ":"].contains(&tokens[named - 1].as_str())
                || !is(named + 1, &["("])
                || on_a_permit_notify(named)
            {
                return false;
            }
            // The token after the `)` that closes the call.
            let mut depth = 0;
            let Some(next) = (named + 1..tokens.len()).find_map(|i| {
                match tokens[i].as_str() {
                    "(" => depth += 1,
                    ")" if depth == 1 => return Some(i + 1),
                    ")" => depth -= 1,
                    _ => {}
                }
                None
            }) else {
                return false;
            };
            if is(next, &[".", "await"]) {
                return true;
            }
            // `let [mut] n = ....notified();` followed at once by `n.await`.
            let start = tokens[..named]
                .iter()
                .rposition(|t| t == ";" || t == "{" || t == "}")
                .map_or(0, |p| p + 1);
            if !is(next, &[";"]) || !is(start, &["let"]) {
                return false;
            }
            let name_at = if is(start + 1, &["mut"]) {
                start + 2
            } else {
                start + 1
            };
            tokens
                .get(name_at)
                .is_some_and(|name| is(next + 1, &[name.as_str(), ".", "await"]))
        });
        assert!(
            !awaited_where_made,
            "download_sizes waits for its downloads on a Notified made after it checked how \
             many are left (`.notified().await`, or `let n = ...notified(); n.await;`), beside \
             a `notify_waiters`: notify_waiters wakes only the Notified futures that already \
             exist, so on a multi-thread runtime (`#[tokio::main]`) the last download can end \
             between that check and the `notified()` and wake nobody: the Sender waiting for \
             it is never dropped and download_sizes waits for ever with every answer in. Let \
             the channel tell you: drop your own Sender before the loop, and `recv()` returns \
             None once every task's clone is gone (or make the Notified first, then check the \
             count, then await it)"
        );
    }

    /// A task that download_sizes starts and leaves running once it has returned (a progress line
    /// on a timer that nothing stops) piles up, one more with every call. An hour (of the test's
    /// paused clock) after two calls, none of the tasks started since may still be alive.
    #[tokio::test(start_paused = true)]
    async fn downloads_leave_no_task_running() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        for _ in 0..2 {
            download_sizes(vec!["a.io", "bb.io"]).await;
        }
        tokio::time::advance(std::time::Duration::from_secs(3600)).await;
        // Every task that the hour's timers woke runs now.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let left = metrics.num_alive_tasks().saturating_sub(before);
        assert_eq!(
            left, 0,
            "two calls (download_sizes) had ended, and an hour later (of the test's paused clock) \
             {left} task(s) started since were still running: a task that download_sizes starts \
             (a progress line on a timer, say) must be over by the time it returns (abort its \
             JoinHandle: dropping it lets the task run on), or it stays alive for good, and one \
             more piles up with every call"
        );
    }
}
