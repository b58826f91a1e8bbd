// broadcast_subscribe_first
//
// A news desk publishes headlines on a `broadcast` channel, and every reader must get EVERY
// headline, in order. Unlike mpsc, where each message goes to one receiver, broadcast gives
// each subscriber its own copy. But a subscriber only gets what is sent AFTER it subscribed,
// and right now the readers subscribe when all the news is already out: they get nothing.
//
// Make every reader see every headline.

use std::time::Duration;

use tokio::sync::broadcast;
use tokio::task::JoinHandle;

/// Sends the headlines one by one.
async fn publish(tx: &broadcast::Sender<String>, headlines: Vec<&str>) {
    for headline in headlines {
        tokio::time::sleep(Duration::from_millis(10)).await;
        // `send` fails when there is no subscriber at all.
        if tx.send(headline.to_string()).is_err() {
            println!("nobody is listening to {headline:?}");
        }
    }
}

/// Reads until the channel is closed and returns everything it got.
fn spawn_reader(mut rx: broadcast::Receiver<String>) -> JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Ok(headline) = rx.recv().await {
            seen.push(headline);
        }
        seen
    })
}

async fn run_news_desk(headlines: Vec<&str>, readers: usize) -> Vec<Vec<String>> {
    let (tx, _) = broadcast::channel(16);

    // TODO: the readers below only subscribe once all the news has been sent.
    publish(&tx, headlines).await;
    let handles: Vec<_> = (0..readers).map(|_| spawn_reader(tx.subscribe())).collect();

    // Hang up: once the readers have read everything, their `recv` returns `Err(Closed)`.
    drop(tx);

    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.unwrap());
    }
    results
}

#[tokio::main]
async fn main() {
    let results = run_news_desk(vec!["Rain today", "Sun tomorrow"], 2).await;
    println!("{results:?}");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::pin::{Pin, pin};
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::task::{Context, Poll, Wake, Waker};
    use tokio::time::{Duration, Instant};

    fn headlines(count: usize) -> Vec<String> {
        (1..=count).map(|n| format!("headline {n}")).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn every_reader_sees_every_headline() {
        let news = vec!["Rust 2024 is out", "Tokio turns 1.0", "Crab wins race"];
        let start = Instant::now();
        let results = run_news_desk(news.clone(), 3).await;
        let took = start.elapsed();
        assert_eq!(results.len(), 3, "there are 3 readers, so 3 results");
        for (i, seen) in results.iter().enumerate() {
            assert_eq!(
                seen, &news,
                "reader {i} got {seen:?}: every reader must get every headline in order. A \
                 broadcast receiver only gets the messages sent after it subscribed, so call \
                 tx.subscribe() for every reader before publishing"
            );
        }
        assert!(
            took >= Duration::from_millis(30),
            "every reader got the 3 headlines, yet the desk returned after {took:?}, sooner \
             than publish sends them (one every 10 ms, 30 ms in all): the headlines went out \
             faster than publish sends them, or were not read from the channel. Keep publish \
             as it is, and let each reader report what it read on the channel"
        );
        assert_eq!(
            took,
            Duration::from_millis(30),
            "the desk took {took:?}, more than the 30 ms that publishing 3 headlines takes: \
             it waits beside the publishing. A pause (a sleep) before publishing is not needed \
             once every reader is subscribed: a receiver keeps every headline sent after \
             tx.subscribe(), even while its task has not run yet, so publish right after \
             subscribing them. And a pause to give reader tasks time to subscribe for \
             themselves is a race that a busy runtime loses; a timer that checks whether the \
             readers are done notices them late. Subscribe every reader (tx.subscribe(), in \
             run_news_desk), then publish at once, and await the readers' JoinHandles"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_single_reader_works_too() {
        let results = run_news_desk(vec!["only one"], 1).await;
        assert_eq!(results, [["only one"]], "one reader, one headline");
    }

    /// A reader on a channel of the test's own: "a", then an hour of no news (the channel still
    /// open), then "b" and the hang-up. The news desk may be quiet for that long: a reader
    /// keeps reading until the channel is closed. (A safety net that panics after a quiet
    /// spell of 1 s or more is fine; one that quietly stops reading is not.)
    #[tokio::test(start_paused = true)]
    async fn a_reader_keeps_reading_through_an_hour_of_quiet() {
        let (tx, rx) = broadcast::channel(16);
        let reader = spawn_reader(rx);
        let _ = tx.send("a".into());
        let almost_a_second = Duration::from_millis(999);
        tokio::time::sleep(almost_a_second).await;
        if reader.is_finished() {
            let what = match reader.await {
                Ok(seen) => format!("had returned {seen:?}"),
                Err(error) if error.is_panic() => String::from("had panicked"),
                Err(error) => format!("had ended ({error})"),
            };
            panic!(
                "spawn_reader's task, given a receiver on which \"a\" came, {what} within {} \
                 ms, with nothing more sent and the channel still open: a reader must read \
                 until the channel is closed (rx.recv() returns Err(Closed)), however long the \
                 news is quiet",
                almost_a_second.as_millis()
            );
        }
        // The rest of the quiet spell at once (timers that fall due in it go off once, an
        // interval catches up), then a moment for the tasks whose timers went off to run.
        tokio::time::advance(Duration::from_secs(3600) - almost_a_second).await;
        tokio::time::sleep(Duration::from_millis(1)).await;
        let stopped = reader.is_finished();
        let _ = tx.send("b".into());
        drop(tx);
        let seen = match tokio::time::timeout(Duration::from_secs(60), reader).await {
            Ok(Ok(seen)) => seen,
            // A safety net that fails loudly after a quiet spell.
            Ok(Err(error)) if error.is_panic() => return,
            Ok(Err(error)) => panic!("spawn_reader's task ended with {error}"),
            Err(_) => panic!(
                "spawn_reader's task was still running 60 s after the channel was closed (its \
                 only sender dropped, after \"a\" and \"b\"): a reader must end once \
                 rx.recv() returns Err(Closed)"
            ),
        };
        assert!(
            seen != ["a"] || !stopped,
            "spawn_reader's task, given a receiver on which \"a\" came, then nothing for an \
             hour (the channel still open), had returned {seen:?} before \
             \"b\" was sent: it stopped reading on a quiet spell, and every headline after it \
             is lost. The news desk may be quiet for a long time: a reader must read until the \
             channel is closed (rx.recv() returns Err(Closed)); a safety net that gives up \
             must fail loudly (panic), not return what was read so far as if that were all"
        );
        assert_eq!(
            seen,
            ["a", "b"],
            "spawn_reader's task, given a receiver on which \"a\" came, then nothing for an \
             hour, then \"b\" and the hang-up, returned {seen:?}: a reader \
             must return every headline it was sent, in order"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn more_news_than_the_channel_holds() {
        let news = headlines(40);
        let start = Instant::now();
        let results = run_news_desk(news.iter().map(String::as_str).collect(), 2).await;
        let took = start.elapsed();
        assert_eq!(results.len(), 2, "there are 2 readers, so 2 results");
        for (i, seen) in results.iter().enumerate() {
            assert!(
                *seen == news || took >= Duration::from_millis(400),
                "reader {i} got {} of the 40 headlines, and the desk returned after {took:?}, \
                 sooner than publish sends them (one every 10 ms, 400 ms in all): the \
                 headlines went out faster than publish sends them, and a reader that falls \
                 behind by more headlines than the channel holds (16) loses them (a Lagged \
                 error ends spawn_reader's loop). Keep publish as it is",
                seen.len()
            );
            assert!(
                *seen == news,
                "reader {i} got {} of the 40 headlines: a broadcast receiver only gets what is \
                 sent after it subscribed, and the channel keeps only as many headlines as its \
                 capacity for a reader that is not reading yet (that reader lags behind). \
                 Subscribe and start every reader (spawn_reader) before publishing, so the \
                 readers keep up while the news comes out",
                seen.len()
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn ninety_nine_headlines_reach_every_reader() {
        // 990 ms of publishing: under the 1 s that a safety net around the whole desk may allow.
        let news = headlines(99);
        let results = run_news_desk(news.iter().map(String::as_str).collect(), 2).await;
        assert_eq!(results.len(), 2, "there are 2 readers, so 2 results");
        for (i, seen) in results.iter().enumerate() {
            let what = match (seen.first(), seen.last()) {
                _ if seen.len() == news.len() => {
                    let at = seen.iter().zip(&news).position(|(got, sent)| got != sent);
                    let at = at.unwrap_or(0);
                    format!(
                        "all 99, but not as sent: {:?} where {:?} was sent",
                        seen[at], news[at]
                    )
                }
                (Some(first), Some(last)) => {
                    format!("{} of them, from {first:?} to {last:?}", seen.len())
                }
                _ => "none of them".to_string(),
            };
            assert!(
                *seen == news,
                "the desk published 99 headlines (\"headline 1\" to \"headline 99\", one \
                 every 10 ms), and reader {i} got {what}: every reader must get every \
                 headline, in order, however many come"
            );
        }
    }

    /// Polls `fut` once and returns at once, letting no other task run.
    async fn poll_once<F: Future>(mut fut: Pin<&mut F>) -> Poll<F::Output> {
        poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await
    }

    #[test]
    fn the_readers_do_not_rely_on_the_scheduler() {
        // A busy runtime: between two steps of the desk, only one other task gets to run
        // (event_interval(1)), while the clock moves on by 10 ms.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .event_interval(1)
            .build()
            .unwrap();
        let news = vec!["Rust 2024 is out", "Tokio turns 1.0", "Crab wins race"];
        let results = runtime.block_on(async {
            let mut desk = pin!(run_news_desk(news.clone(), 5));
            for _ in 0..20 {
                if let Poll::Ready(results) = poll_once(desk.as_mut()).await {
                    return results;
                }
                // Moves the clock at once (the rest of `advance` is a yield, left out).
                let _ = poll_once(pin!(tokio::time::advance(Duration::from_millis(10)))).await;
                // One other task runs, and the timers that are due fire.
                tokio::task::yield_now().await;
            }
            desk.await
        });
        drop(runtime);
        assert_eq!(results.len(), 5, "there are 5 readers, so 5 results");
        for (i, seen) in results.iter().enumerate() {
            // Some of the headlines, in the order sent: the others were not sent to this
            // reader, or were lost on the way.
            let mut rest = news.iter();
            let some_in_order = !seen.is_empty()
                && seen.len() < news.len()
                && seen.iter().all(|got| rest.any(|sent| got == sent));
            let why = if seen.is_empty() || some_in_order {
                format!(
                    "the headlines it lacks were sent before it subscribed, or were lost on the \
                     way. Every reader must be subscribed (tx.subscribe(), in run_news_desk) \
                     before publish sends the first headline: a reader task that subscribes for \
                     itself may start too late. A reader that did subscribe first but fell \
                     behind by more headlines than the channel holds lost them (a Lagged error \
                     ends spawn_reader's loop: keep the channel's capacity of 16 for readers \
                     that run late){}",
                    if seen.len() == 1 && news.last().is_some_and(|last| seen[0] == *last) {
                        ". And a channel that keeps only the latest value (a watch channel, or \
                         a relay into one) leaves a reader that runs late only the newest \
                         headline: let each reader read a broadcast receiver of its own (or a \
                         channel that keeps every headline)"
                    } else {
                        ""
                    }
                )
            } else {
                String::from("every reader must get every headline, once, in the order sent")
            };
            assert_eq!(
                seen, &news,
                "reader {i} got {seen:?} of {news:?} on a busy runtime, where a task may run a \
                 while after it was spawned: {why}"
            );
        }
    }

    /// Twenty readers and twelve headlines on a busy runtime (as above): a reader task may run
    /// only every 200 ms or so, while a headline goes out every 10 ms. The channel holds 16,
    /// so a reader subscribed before publishing falls behind by 12 at most and loses nothing.
    #[test]
    fn twenty_readers_on_a_busy_runtime_get_every_headline() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .event_interval(1)
            .build()
            .unwrap();
        let news: Vec<String> = headlines(12);
        let results = runtime.block_on(async {
            let mut desk = pin!(run_news_desk(news.iter().map(String::as_str).collect(), 20));
            for _ in 0..40 {
                if let Poll::Ready(results) = poll_once(desk.as_mut()).await {
                    return results;
                }
                let _ = poll_once(pin!(tokio::time::advance(Duration::from_millis(10)))).await;
                tokio::task::yield_now().await;
            }
            desk.await
        });
        drop(runtime);
        assert_eq!(results.len(), 20, "there are 20 readers, so 20 results");
        for (i, seen) in results.iter().enumerate() {
            let why = if seen.is_empty() {
                "it got none: every reader, however many there are, must be subscribed \
                 (tx.subscribe(), in run_news_desk) before publish sends the first headline"
            } else if seen.len() < news.len() {
                "the headlines it lacks were lost on the way: a reader subscribed before \
                 publishing may run late, and the broadcast channel keeps up to 16 headlines \
                 for it. Let each reader read a broadcast receiver of its own (a relay that \
                 hands headlines on into a smaller mailbox, or drops them when it is full \
                 with try_send, loses them)"
            } else {
                "every reader must get every headline, once, in the order sent"
            };
            assert_eq!(
                seen,
                &news,
                "reader {i} of 20 got {} of the 12 headlines on a busy runtime, where a task \
                 may run a while after it was spawned: {why}",
                seen.len()
            );
        }
    }

    #[test]
    fn the_readers_subscribe_before_any_publisher_starts() {
        // After each step of the desk, every task it spawned gets to run, then the clock jumps
        // 10 ms and they run again before the desk's next step: a publisher started before the
        // readers subscribed (a spawned `publish`, the readers subscribed after a sleep) sends
        // its first headline first.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let news = vec!["Rust 2024 is out", "Tokio turns 1.0", "Crab wins race"];
        let results = runtime.block_on(async {
            let mut desk = pin!(run_news_desk(news.clone(), 2));
            for _ in 0..100 {
                if let Poll::Ready(results) = poll_once(desk.as_mut()).await {
                    return results;
                }
                for _ in 0..10 {
                    tokio::task::yield_now().await;
                }
                let _ = poll_once(pin!(tokio::time::advance(Duration::from_millis(10)))).await;
                for _ in 0..10 {
                    tokio::task::yield_now().await;
                }
            }
            desk.await
        });
        drop(runtime);
        for (i, seen) in results.iter().enumerate() {
            assert_eq!(
                seen, &news,
                "reader {i} got {seen:?} when the tasks run_news_desk spawned ran before its \
                 next step: the news started before this reader subscribed. Subscribe every \
                 reader (tx.subscribe()) before publish is started or spawned, not after a \
                 sleep that guesses when publish sends its first headline"
            );
        }
    }

    /// Runs `future` on a runtime of its own (one thread, paused clock, where every task of the
    /// runtime runs) until `first`, then on until `second`, and returns by how many bytes the
    /// heap memory made and still held on this thread grew between the two; or, if `future`
    /// was done before `second`, when it was done.
    fn memory_grown_between<F: Future>(
        future: F,
        first: Duration,
        second: Duration,
    ) -> Result<i64, Duration> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let mut future = Box::pin(future);
        let start = runtime.block_on(async { Instant::now() });
        let mut until = |deadline: Duration| {
            runtime.block_on(async {
                let done = tokio::time::timeout_at(start + deadline, future.as_mut()).await;
                done.map(|_| start.elapsed())
            })
        };
        if let Ok(took) = until(first) {
            return Err(took);
        }
        let mut done = Ok(());
        let grown = allocation_counter::measure(|| {
            if let Ok(took) = until(second) {
                done = Err(took);
            }
        })
        .bytes_current;
        drop(future);
        drop(runtime);
        done.map(|()| grown)
    }

    #[test]
    fn the_readers_read_while_the_news_comes_out() {
        // 99 headlines, one every 10 ms (990 ms: under the 1 s that a safety net around the
        // whole desk may allow): the 11th to the 90th go out between 105 and 905 ms.
        let news = headlines(99);
        let grown = |readers: usize| {
            memory_grown_between(
                run_news_desk(news.iter().map(String::as_str).collect(), readers),
                Duration::from_millis(105),
                Duration::from_millis(905),
            )
            .unwrap_or_else(|took| {
                panic!(
                    "run_news_desk with 99 headlines and {readers} reader(s) was done after \
                     {took:?}, before publish could have sent them all (one every 10 ms: 990 ms \
                     in all). Keep publish as it is, and let run_news_desk return once every \
                     reader has read every headline"
                )
            })
        };
        // 1 reader first: what the test harness keeps of printed lines grows now and then,
        // more the later it does.
        let (one, five) = (grown(1), grown(5));
        // A reader that keeps each headline it reads holds at least a pointer (8 bytes) more
        // for it, whatever it keeps (a String, an Arc<str>..). Headlines waiting in the channel
        // for readers that have not started take as much room for 1 reader as for 5.
        let extra = five - one;
        let needed = 4 * 8 * 80;
        assert!(
            extra >= needed,
            "while 80 of 99 headlines went out (one every 10 ms), the memory held by the \
             desk grew by {five} bytes with 5 readers and by {one} bytes with 1 reader: the 4 \
             more readers held {extra} bytes more, where 4 readers that keep each headline they \
             read hold at least {needed} more (8 bytes a headline for each): the readers were \
             not all reading while the news came out. A reader that starts after publishing \
             only gets what the channel still holds (a slow reader lags behind). Subscribe and \
             start every reader (spawn_reader) before publishing"
        );
    }

    /// Polls `run_news_desk(news, 2)` on a thread of its own while the test's runtime is held
    /// up (no other task runs), and returns false if the desk asked to be polled again at once
    /// each of 100 times.
    fn desk_settles(runtime: tokio::runtime::Handle, news: Vec<&'static str>) -> bool {
        use std::sync::atomic::AtomicUsize;
        struct CountWakes(AtomicUsize);
        impl Wake for CountWakes {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let headlines = news.len();
        std::thread::spawn(move || {
            let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
            let waker = Waker::from(Arc::clone(&wakes));
            let mut cx = Context::from_waker(&waker);
            let mut desk = pin!(run_news_desk(news, 2));
            runtime.block_on(poll_fn(|_| {
                for _ in 0..100 {
                    let before = wakes.0.load(Ordering::SeqCst);
                    if desk.as_mut().poll(&mut cx).is_ready()
                        || wakes.0.load(Ordering::SeqCst) == before
                    {
                        return Poll::Ready(true);
                    }
                }
                Poll::Ready(false)
            }))
        })
        .join()
        .unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|text| text.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(a panic with no message)".to_string());
            panic!("run_news_desk with {headlines} headline(s) and 2 readers panicked: {message}")
        })
    }

    #[tokio::test(start_paused = true)]
    async fn the_desk_does_not_spin_until_readers_subscribe() {
        // The desk is polled while this runtime is held up: no other task runs, and the test
        // sees each time the desk asks to be polled again.
        let runtime = tokio::runtime::Handle::current();
        assert!(
            desk_settles(runtime.clone(), vec!["Rust 2024 is out"]),
            "run_news_desk was polled 100 times while no other task could run, and each time \
             it asked at once to be polled again: it spins in a loop, checking whether the \
             readers have subscribed yet. Subscribe every reader (tx.subscribe(), in \
             run_news_desk) before publishing, and there is nothing to wait for"
        );
        // No headlines: publish is done at once, and only the readers are left to wait for.
        assert!(
            desk_settles(runtime, vec![]),
            "with no headlines to publish, run_news_desk was polled 100 times while no reader \
             could run, and each time it asked at once to be polled again: it spins in a loop \
             until the readers are done (a yield_now loop over a flag, a count or a shared \
             list). Await each reader's JoinHandle (spawn_reader returns it): the await sleeps \
             until that reader has read everything"
        );
    }

    #[test]
    fn the_readers_wait_for_the_news_without_a_timer() {
        // A runtime of the test's own that notes the (paused) clock each time it runs out of
        // work: with nothing to do, it parks and jumps the clock to the next timer that is due.
        let moments = Arc::new(std::sync::Mutex::new(Vec::new()));
        let noted = Arc::clone(&moments);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .on_thread_park(move || noted.lock().unwrap().push(Instant::now()))
            .build()
            .unwrap();
        let news = vec!["Rust 2024 is out", "Tokio turns 1.0"];
        let (start, own) = runtime.block_on(async {
            let mut desk = pin!(run_news_desk(news, 3));
            // One step of the desk: the readers subscribe and start, publish waits 10 ms.
            let first = poll_once(desk.as_mut()).await;
            let start = Instant::now();
            // A quiet 896 ms (under the 1 s a reader's safety net may allow): the desk is held
            // still (not polled), so no headline goes out. The test sleeps in steps of 64 ms,
            // the span of the timer wheel's finest level, so its own timers go off at no other
            // moments.
            let mut own = Vec::new();
            for step in 1..=14 {
                tokio::time::sleep_until(start + Duration::from_millis(64) * step).await;
                own.push(Instant::now());
            }
            if first.is_pending() {
                let _ = desk.await;
            }
            (start, own)
        });
        drop(runtime);
        let end = *own.last().unwrap();
        let mut woken: Vec<Instant> = moments
            .lock()
            .unwrap()
            .iter()
            .copied()
            .filter(|&at| start < at && at <= end && !own.contains(&at))
            .collect();
        woken.dedup();
        // Publish's first timer (10 ms), and one moment of the code's own per 40 ms (a
        // progress message on a timer).
        assert!(
            woken.len() <= 2 + 896 / 40,
            "while the desk was held still for 896 ms and no headline went out, timers went off \
             at {} moments besides the test's own (at most 24 are allowed: about one per 40 ms, for \
             a progress message every 40 ms or more): readers that look at the channel on a \
             timer (try_recv and a sleep or an interval) look the same, and that is busy \
             waiting. Let each reader await rx.recv() (as spawn_reader does): it sleeps until \
             a headline comes or the channel is closed (a progress timer beside it must tick \
             every 40 ms or more)",
            woken.len()
        );
    }

    /// Headlines leaked to `&'static str` (`Box::leak`) so that a spawned task can publish
    /// them give the same results, but every call leaves them on the heap. This runs whole
    /// calls on a runtime of their own (after a warm-up run) and counts the heap blocks made
    /// on this thread that they leave behind. (Blocks handed to the runtime's blocking pool,
    /// with spawn_blocking, are freed on its threads, where this count cannot see them: a
    /// call that uses the pool is not counted.)
    #[test]
    fn the_desk_leaves_nothing_behind() {
        let pool_used = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let call = || {
            let pool = Arc::clone(&pool_used);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .on_thread_start(move || pool.store(true, Ordering::SeqCst))
                .build()
                .unwrap();
            let news = vec!["Rain today", "Sun tomorrow", "Snow on Friday"];
            runtime.block_on(run_news_desk(news, 2));
        };
        call();
        pool_used.store(false, Ordering::SeqCst);
        let left = allocation_counter::measure(call).count_current;
        assert!(
            left <= 0 || pool_used.load(Ordering::SeqCst),
            "a call of run_news_desk with 3 headlines and 2 readers (on a runtime that was \
             then shut down) left {left} heap block(s) made on this thread that were not freed \
             here: something leaked with Box::leak or mem::forget (headlines made `&'static` \
             to move them into a spawned publisher?), or handed to a thread of its own \
             (std::thread::spawn) that freed it there. Publish from run_news_desk itself, \
             after spawning the readers: publish(&tx, headlines).await"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_repeated_headline_reaches_every_reader_each_time() {
        // "Calm" comes three times in a row and four times in all, and not first: a reader
        // that drops repeats (one equal to the one before, a third in a row, a fourth of the
        // same) loses one, and one that subscribed too late for the first headline gets the
        // last ones only; each is told what it did.
        let news = vec!["Storm", "Calm", "Calm", "Calm", "Storm", "Calm"];
        let results = run_news_desk(news.clone(), 2).await;
        assert_eq!(results.len(), 2, "there are 2 readers, so 2 results");
        let mut deduped = news.clone();
        deduped.dedup();
        for (i, seen) in results.iter().enumerate() {
            assert!(
                !seen.is_empty(),
                "the desk published {news:?}, and reader {i} got no headline at all: a \
                 subscriber gets only what is sent after it subscribed, so every reader must \
                 subscribe before the first headline is sent"
            );
            assert!(
                seen.len() >= news.len()
                    || !news[news.len() - seen.len()..]
                        .iter()
                        .zip(seen)
                        .all(|(sent, got)| sent == got),
                "the desk published {news:?}, and reader {i} got only the last {} of them, \
                 {seen:?}: it missed the first headline(s), sent before it subscribed. A \
                 broadcast receiver gets only what is sent after it subscribed, so every reader \
                 must subscribe (tx.subscribe()) before publish sends the first headline",
                seen.len()
            );
            assert!(
                seen != &deduped,
                "the desk published \"Calm\" three times in a row (then \"Storm\" and \"Calm\" \
                 again), and reader {i} got {seen:?}, without the repeats: every headline must \
                 reach every reader, repeats too. Keep each headline a reader receives, even one \
                 equal to the one before it"
            );
            assert_eq!(
                seen, &news,
                "the desk published {news:?}, and reader {i} got {seen:?}: every headline must \
                 reach every reader, in order, repeats too (a headline sent again, however \
                 often, and however many times in a row, is news to keep)"
            );
        }
    }

    /// A task that run_news_desk starts and leaves running once it has returned (a progress line on
    /// a timer that nothing stops) piles up, one more with every call. An hour (of the test's
    /// paused clock) after two news desks of two readers, none of the tasks started since may still
    /// be alive.
    #[tokio::test(start_paused = true)]
    async fn a_news_desk_leaves_no_task_running() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        for _ in 0..2 {
            run_news_desk(vec!["Rain today", "Sun tomorrow"], 2).await;
        }
        tokio::time::advance(std::time::Duration::from_secs(3600)).await;
        // Every task that the hour's timers woke runs now.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let left = metrics.num_alive_tasks().saturating_sub(before);
        assert_eq!(
            left, 0,
            "two news desks of two readers (run_news_desk) had ended, and an hour later (of the \
             test's paused clock) {left} task(s) started since were still running: a task that \
             run_news_desk starts (a progress line on a timer, say) must be over by the time it \
             returns (abort its JoinHandle: dropping it lets the task run on), or it stays alive \
             for good, and one more piles up with every call"
        );
    }
}
