// broadcast_subscribe_first
//
// A news desk publishes headlines on a `broadcast` channel, and every reader must get EVERY
// headline, in order. Unlike mpsc, where each message goes to one receiver, broadcast gives
// each subscriber its own copy. But a subscriber only gets what is sent AFTER it subscribed,
// and right now the readers subscribe when all the news is already out: they get nothing.
//
// The desk is handed its channel: the caller chose how many headlines it keeps for a reader
// that has not read them yet. Make every reader see every headline.

use std::time::Duration;

use tokio::sync::broadcast;
use tokio::task::JoinHandle;

/// Sends the headlines, the first one right away, then one every 10 ms.
async fn publish(tx: &broadcast::Sender<String>, headlines: Vec<&str>) {
    for headline in headlines {
        // `send` fails when there is no subscriber at all.
        if tx.send(headline.to_string()).is_err() {
            println!("nobody is listening to {headline:?}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
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

async fn run_news_desk(
    tx: broadcast::Sender<String>,
    headlines: Vec<&str>,
    readers: usize,
) -> Vec<Vec<String>> {
    // Subscribe first: a receiver only gets what is sent after it was created.
    let handles: Vec<_> = (0..readers).map(|_| spawn_reader(tx.subscribe())).collect();
    publish(&tx, headlines).await;

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
    let (tx, _) = broadcast::channel(16);
    let results = run_news_desk(tx, vec!["Rain today", "Sun tomorrow"], 2).await;
    println!("{results:?}");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::future::poll_fn;
    use std::pin::{Pin, pin};
    use std::task::Poll;
    use tokio::sync::broadcast;

    #[tokio::test(start_paused = true)]
    async fn every_reader_sees_every_headline() {
        let news = vec!["Rust 2024 is out", "Tokio turns 1.0", "Crab wins race"];
        let (tx, _) = broadcast::channel(16);
        let results = run_news_desk(tx, news.clone(), 3).await;
        assert_eq!(results.len(), 3, "there are 3 readers, so 3 results");
        for (i, seen) in results.iter().enumerate() {
            assert_eq!(
                seen, &news,
                "reader {i} got {seen:?}: every reader must get every headline in order. A \
                 broadcast receiver only gets the messages sent after it subscribed, and \
                 publish sends the first headline at once. Call tx.subscribe() for every \
                 reader before publishing (a task that subscribes for itself only runs later)"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_single_reader_works_too() {
        let (tx, _) = broadcast::channel(16);
        let results = run_news_desk(tx, vec!["only one"], 1).await;
        assert_eq!(results, [["only one"]], "one reader, one headline");
    }

    #[tokio::test(start_paused = true)]
    async fn each_reader_listens_on_the_given_channel() {
        let news = vec!["Rust 2024 is out", "Tokio turns 1.0", "Crab wins race"];
        let (tx, mut wire) = broadcast::channel(16);
        let weak = tx.downgrade();
        let start = tokio::time::Instant::now();
        // When the first headline reaches the test's own receiver, count the receivers.
        let first_out = async {
            let first = wire.recv().await;
            let receivers = weak.upgrade().map_or(0, |tx| tx.receiver_count());
            (first, receivers, start.elapsed().as_millis())
        };
        let (_, (first, receivers, first_at)) =
            tokio::join!(run_news_desk(tx, news.clone(), 3), first_out);
        let mut sent: Vec<String> = first.into_iter().collect();
        while let Ok(headline) = wire.try_recv() {
            sent.push(headline);
        }
        assert_eq!(
            sent, news,
            "a receiver the test subscribed to the channel it handed to run_news_desk got \
             {sent:?}: publish the headlines on `tx`, the channel the desk is given, not on \
             a channel of its own"
        );
        assert!(
            receivers > 3,
            "when the first headline went out, the channel had {} receivers for the 3 \
             readers (the test's own left out): each reader needs a receiver of its own \
             (tx.subscribe()), made before publishing",
            receivers.saturating_sub(1)
        );
        assert_eq!(
            first_at, 0,
            "the first headline went out after {first_at} ms, not at once: a pause before \
             publishing, to give reader tasks time to subscribe, is a race that a busy runtime \
             loses. Subscribe every reader (tx.subscribe()) before publishing instead"
        );
    }

    /// Polls `desk` once and returns at once, letting no other task run.
    async fn poll_once<F: Future>(mut desk: Pin<&mut F>) -> Poll<F::Output> {
        poll_fn(|cx| Poll::Ready(desk.as_mut().poll(cx))).await
    }

    #[tokio::test(start_paused = true)]
    async fn the_readers_do_not_rely_on_the_scheduler() {
        let news = vec!["Rust 2024 is out", "Tokio turns 1.0"];
        let (tx, _) = broadcast::channel(16);
        let mut desk = pin!(run_news_desk(tx, news.clone(), 2));
        // Let the desk take a few steps in a row, with no other task running in between, as
        // on a busy runtime where a spawned task may start long after it was spawned.
        let mut done = None;
        for _ in 0..10 {
            if let Poll::Ready(results) = poll_once(desk.as_mut()).await {
                done = Some(results);
                break;
            }
        }
        let results = match done {
            Some(results) => results,
            None => desk.await,
        };
        assert_eq!(results.len(), 2, "there are 2 readers, so 2 results");
        for (i, seen) in results.iter().enumerate() {
            assert_eq!(
                seen, &news,
                "reader {i} got {seen:?} when the desk ran a few steps before any other task \
                 could: every reader must be subscribed (tx.subscribe(), in run_news_desk) \
                 before publish sends the first headline. A reader task that subscribes for \
                 itself may start too late, even after a yield"
            );
        }
    }

    // A runtime with one worker thread (and the real clock): a task that spawns another may
    // see the newest task run first, so spawning order does not decide who is ready first.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn the_readers_do_not_rely_on_task_order() {
        let news = vec!["Rust 2024 is out", "Tokio turns 1.0"];
        let (tx, _) = broadcast::channel(16);
        let desk = tokio::spawn(async move { run_news_desk(tx, news.clone(), 3).await });
        let results = desk.await.expect("run_news_desk panicked");
        assert_eq!(results.len(), 3, "there are 3 readers, so 3 results");
        for (i, seen) in results.iter().enumerate() {
            assert_eq!(
                seen,
                &["Rust 2024 is out", "Tokio turns 1.0"],
                "reader {i} got {seen:?} on a runtime that ran the newest task first: a task \
                 spawned after the readers (a publisher, say) can run before them. Every \
                 reader must be subscribed (tx.subscribe(), in run_news_desk) before the \
                 first headline is sent"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn more_news_than_the_channel_holds() {
        // This channel keeps at most 4 headlines for a receiver that has not read them yet.
        let (tx, _) = broadcast::channel(4);
        let news: Vec<String> = (1..=50).map(|n| format!("headline {n}")).collect();
        let results = run_news_desk(tx, news.iter().map(String::as_str).collect(), 2).await;
        assert_eq!(results.len(), 2, "there are 2 readers, so 2 results");
        for (i, seen) in results.iter().enumerate() {
            assert!(
                *seen == news,
                "reader {i} got {} of the 50 headlines: the channel the desk is handed keeps \
                 only the last 4 for a reader that is not reading yet. Subscribe and start \
                 every reader (spawn_reader) before publishing, so the readers keep up while \
                 the news comes out",
                seen.len()
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_desk_does_not_spin_until_readers_subscribe() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::task::{Context, Wake, Waker};
        struct CountWakes(AtomicUsize);
        impl Wake for CountWakes {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let runtime = tokio::runtime::Handle::current();
        // The desk is polled on a thread of its own while this runtime is held up: no other task
        // runs, and the test sees each time the desk asks to be polled again.
        let settled = std::thread::spawn(move || {
            let (tx, _) = broadcast::channel(16);
            let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
            let waker = Waker::from(Arc::clone(&wakes));
            let mut cx = Context::from_waker(&waker);
            let mut desk = pin!(run_news_desk(tx, vec!["Rust 2024 is out"], 2));
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
        .expect("run_news_desk panicked");
        assert!(
            settled,
            "run_news_desk was polled 100 times while no other task could run, and each time \
             it asked at once to be polled again: it spins in a loop, checking whether the \
             readers have subscribed yet. Subscribe every reader (tx.subscribe(), in \
             run_news_desk) before publishing, and there is nothing to wait for"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_readers_report_what_came_over_the_channel() {
        use std::time::Duration;
        let news = vec!["Rust 2024 is out", "Tokio turns 1.0", "Crab wins race"];
        let (tx, _) = broadcast::channel(16);
        // The test's own sender: it breaks a story of its own at 5 ms, between the desk's
        // first two headlines (0 and 10 ms), and then hangs up.
        let newsroom = tx.clone();
        let breaking = async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let _ = newsroom.send("Breaking: crab elected mayor".to_string());
        };
        let (results, ()) = tokio::join!(run_news_desk(tx, news.clone(), 2), breaking);
        let carried = [news[0], "Breaking: crab elected mayor", news[1], news[2]];
        assert_eq!(results.len(), 2, "there are 2 readers, so 2 results");
        for (i, seen) in results.iter().enumerate() {
            assert_eq!(
                seen, &carried,
                "reader {i} got {seen:?}, but the channel carried {carried:?} (the test broke a \
                 story of its own on it at 5 ms): each reader must return what it read from its \
                 own receiver, not a copy of the headlines the desk was given"
            );
        }
    }
}
