// receiver_stream_live
//
// A log collector task sends log lines over an mpsc channel. `error_lines` turns the receiving
// end into a `Stream` of error messages: the lines that start with "ERROR ", without that
// prefix. Each error must come out of the stream as soon as it is sent, and the stream ends
// when every sender is gone.
//
// To get a stream, the code makes an iterator out of the receiver with `blocking_recv`, and
// the tests panic. Turn the receiver into a stream that waits for each line without blocking
// any thread, and keep the signature (the caller gets a `Stream`).

use tokio::sync::mpsc::Receiver;
use tokio_stream::{Stream, StreamExt};

const PREFIX: &str = "ERROR ";

pub fn error_lines(mut lines: Receiver<String>) -> impl Stream<Item = String> {
    // TODO: `blocking_recv` stops the whole thread until a line comes, and that thread is the
    // one the runtime needs to run the task that sends the lines.
    let lines = tokio_stream::iter(std::iter::from_fn(move || lines.blocking_recv()));
    lines
        .filter(|line| line.starts_with(PREFIX))
        .map(|line| line[PREFIX.len()..].to_string())
}

#[tokio::main]
async fn main() {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        for line in ["INFO start", "ERROR disk full", "INFO stop"] {
            tx.send(line.to_string()).await.unwrap();
        }
    });
    let mut errors = std::pin::pin!(error_lines(rx));
    while let Some(error) = errors.next().await {
        println!("error: {error}");
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::sync::mpsc;
    use tokio::time::{Instant, sleep};
    use tokio_stream::Stream;

    /// The moment a test jumps the clock to, once it is about to.
    type Jump = std::sync::Mutex<Option<Instant>>;

    /// `errors.next()`, but a stream that asks to be polled again and again while it has
    /// nothing to give fails here, instead of keeping the thread busy forever: after 1000 polls
    /// for one line, or 10000 at the moment a test jumps the clock to (noted in `jump` before
    /// the jump).
    async fn next_of<S: Stream<Item = String>>(
        mut errors: Pin<&mut S>,
        jump: &Jump,
    ) -> Option<String> {
        let mut polls = 0;
        let mut polls_after_the_jump = 0;
        std::future::poll_fn(|cx| {
            POLLS.set(POLLS.get() + 1);
            if *jump.lock().unwrap() == Some(Instant::now()) {
                // A timer that catches up on the ticks it missed wakes the stream once per
                // Tokio budget (128 ticks): an interval of 30 s or more fits.
                polls_after_the_jump += 1;
                assert!(
                    polls_after_the_jump <= 10_000,
                    "right after the test's clock jumped a year ahead, the stream was polled \
                     10000 times at that one moment and gave nothing: something wakes it over \
                     and over. A `tokio::time::interval` (a progress message beside `recv`) \
                     does that: by default it catches up on every tick it missed, one after \
                     the other at once (a year of 40 ms ticks is 790 million). Call \
                     `set_missed_tick_behavior(MissedTickBehavior::Delay)` (or `Skip`) on it, \
                     or use a `sleep` instead; `recv().await` (or `poll_recv`) wakes the stream \
                     when a line comes"
                );
            } else {
                polls += 1;
                assert!(
                    polls <= 1000,
                    "the stream was polled 1000 times for one line and gave nothing yet: it \
                     looks at the channel over and over (try_recv with wake_by_ref, yield_now \
                     or a timer). Wait with `recv().await` (or `poll_recv`), which wakes the \
                     stream only when a line comes"
                );
            }
            errors.as_mut().poll_next(cx)
        })
        .await
    }

    thread_local! {
        /// How often `next_of` has polled the stream on this test's thread.
        static POLLS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    /// Runs a test's steps; fails if 2 s of real time pass with no end and no poll of the stream
    /// by `next_of` (past the check's own). The steps take next to no real time: the paused
    /// clock jumps whenever every task waits, but not while the blocking pool is busy. (After
    /// the year's jump, a default 30 s `interval` beside `recv` catches up for a second or so,
    /// polling all along: that goes on.)
    async fn in_real_seconds(steps: impl Future<Output = ()>) {
        let (tick, mut ticks) = tokio::sync::mpsc::unbounded_channel::<()>();
        std::thread::spawn(move || {
            loop {
                std::thread::sleep(Duration::from_secs(2));
                if tick.send(()).is_err() {
                    return;
                }
            }
        });
        tokio::pin!(steps);
        let mut polls = POLLS.get();
        loop {
            tokio::select! {
                () = &mut steps => return,
                _ = ticks.recv() => {
                    // Each check wakes the steps, and may poll the stream, once itself.
                    let now = POLLS.get();
                    assert!(
                        now > polls + 1,
                        "2 s of real time went by without the test ending or the stream being \
                         polled, though the test's steps take next to none: its paused clock \
                         jumps ahead whenever every task waits, but not while a thread of the \
                         blocking pool is busy. Does the stream wait for lines in the blocking \
                         pool (`spawn_blocking` with `blocking_recv`)? That holds the clock \
                         still for as long as the channel is quiet. Wait for the lines with \
                         `recv().await` (or `poll_recv`) in the stream itself: it wakes the \
                         stream when a line comes, and holds no thread meanwhile"
                    );
                    polls = now;
                }
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn only_the_errors_come_out() {
        let (tx, rx) = mpsc::channel(16);
        for line in [
            "INFO booting",
            "ERROR disk full",
            "WARN slow disk",
            "ERROR network down",
            "ERRORS are fine",
            "INFO retried after ERROR timeout",
            "ERROR upstream said ERROR 503",
            "ERROR ERROR log rotated",
            "error lowercase",
            "Error mixed case",
            "ERROR  two  spaces\t",
        ] {
            tx.send(line.to_string()).await.unwrap();
        }
        drop(tx);
        // Called by its path: the code above may import another `StreamExt`, or none.
        let start = Instant::now();
        let errors: Vec<String> = tokio_stream::StreamExt::collect(error_lines(rx)).await;
        let took = start.elapsed();
        let not_capitals: Vec<&String> = (errors.iter())
            .filter(|e| e.ends_with("lowercase") || e.ends_with("mixed case"))
            .collect();
        assert!(
            not_capitals.is_empty(),
            "the stream gave {not_capitals:?} out of the lines \"error lowercase\" and \
             \"Error mixed case\": the errors are the lines that start with \"ERROR \" in \
             capitals, exactly as `PREFIX` is written (compare case and all), and no other line"
        );
        if let Some(spaced) = errors.iter().find(|e| e.contains("spaces")) {
            assert_eq!(
                spaced, " two  spaces\t",
                "for the line \"ERROR  two  spaces\\t\" the stream gave {spaced:?}: only the \
                 prefix \"ERROR \" (with its one space) is taken off, and the rest of the line \
                 comes out as it was, every space and tab kept"
            );
        }
        assert_eq!(
            errors,
            [
                "disk full",
                "network down",
                "upstream said ERROR 503",
                "ERROR log rotated",
                " two  spaces\t"
            ],
            "the stream must give the lines that start with \"ERROR \" (not the lines that \
             only contain it), without that prefix, once (and nothing else removed: \
             `trim_start_matches` strips it again and again), in the order they were sent"
        );
        assert_eq!(
            took,
            Duration::ZERO,
            "all the lines were in the channel at once, but the stream took {took:?} to give \
             them: give each error as soon as it is there (no `throttle`, no sleep between lines)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn thousands_of_lines_all_come_through() {
        // 3000 lines, 1287 of them errors (3 of every 7), none of the counts round.
        let is_error = |i: u32| i % 7 < 3;
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(async move {
            for i in 0..3000 {
                let level = if is_error(i) { "ERROR" } else { "INFO" };
                if tx.send(format!("{level} line {i}")).await.is_err() {
                    return;
                }
            }
        });
        let errors: Vec<String> = tokio_stream::StreamExt::collect(error_lines(rx)).await;
        let expected: Vec<String> = (0..3000)
            .filter(|&i| is_error(i))
            .map(|i| format!("line {i}"))
            .collect();
        let how = if errors.len() < expected.len() && expected.starts_with(&errors) {
            format!(
                "the first {} errors, in order, and then it ended",
                errors.len()
            )
        } else {
            format!(
                "{} errors (the first missing: {:?})",
                errors.len(),
                expected.iter().find(|e| !errors.contains(e))
            )
        };
        assert!(
            errors == expected,
            "3000 lines were sent, {} of them errors, then every sender was gone, and the \
             stream gave {how}: give every error until every sender is gone, however many \
             lines come",
            expected.len()
        );
    }

    /// A collector runs for hours: 70 001 lines (30 001 of them errors), past any round cap on
    /// the lines or the errors (`take(10_000)`, `take(65_536)`), all come through, in order,
    /// and the stream ends only when every sender is gone.
    #[tokio::test(start_paused = true)]
    async fn a_long_day_of_logs_all_comes_through() {
        let lines = 70_001u32;
        let is_error = |i: u32| i % 7 < 3;
        let (tx, rx) = mpsc::channel(16);
        let sent = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&sent);
        tokio::spawn(async move {
            for i in 0..lines {
                let level = if is_error(i) { "ERROR" } else { "INFO" };
                if tx.send(format!("{level} line {i}")).await.is_err() {
                    return;
                }
                counted.fetch_add(1, Ordering::SeqCst);
            }
        });
        let expected = (0..lines).filter(|&i| is_error(i)).count();
        let mut errors: Vec<String> = Vec::new();
        let collecting = async {
            let mut stream = std::pin::pin!(error_lines(rx));
            while let Some(error) = tokio_stream::StreamExt::next(&mut stream).await {
                errors.push(error);
            }
        };
        let collected =
            futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(collecting)).await;
        if let Err(stopped) = collected {
            let message = (stopped.downcast_ref::<String>().map(String::as_str))
                .or(stopped.downcast_ref::<&str>().copied())
                .unwrap_or_default();
            // Any other panic (a blocking call, say) speaks for itself.
            if !message.contains("overflow") {
                std::panic::resume_unwind(stopped);
            }
            panic!(
                "the stream panicked ({message:?}) after it had given {} of the {expected} \
                 errors due, when the collector had sent {} of its {lines} lines: a count of a \
                 small type overflowed (`0u16..` past 65 535?). Give every error, however many \
                 lines come",
                errors.len(),
                sent.load(Ordering::SeqCst)
            );
        }
        // The first error that is not the one due there, if any.
        let wrong = (0..lines)
            .filter(|&i| is_error(i))
            .zip(&errors)
            .find(|(i, error)| **error != format!("line {i}"));
        if let Some((i, error)) = wrong {
            panic!(
                "{lines} lines were sent, and where the error \"line {i}\" was due the stream \
                 gave {error:?}: give every error, in the order the lines were sent"
            );
        }
        let sent = sent.load(Ordering::SeqCst);
        assert!(
            errors.len() <= expected,
            "the collector sent {lines} lines, {expected} of them errors, then hung up, and the \
             stream gave {} errors: the first {expected} were right, then came more. Give each \
             error line once, and end the stream when every sender is gone",
            errors.len()
        );
        assert!(
            errors.len() == expected,
            "the collector had {lines} lines to send, {expected} of them errors, and the stream \
             gave the first {} errors, in order, and then ended, when the collector had sent \
             {sent} lines and was still connected: a stream of a channel ends only when every \
             sender is gone, however many lines come before (no cap such as `take(n)`: a \
             collector that runs for hours sends far more lines than any test)",
            errors.len()
        );
    }

    /// A collector sends any line: an empty one, one shorter than the prefix, one with a
    /// character of 2 bytes where the prefix would end, an indented one. None of them may make
    /// the stream panic, and only the lines that start with "ERROR " (as they are, not
    /// trimmed) are errors.
    #[tokio::test(start_paused = true)]
    async fn short_accented_and_indented_lines_are_read_right() {
        let (tx, rx) = mpsc::channel(16);
        for line in [
            "",
            "OK",
            "ERROR",
            "INFO é",
            "ERROR disk full",
            "  ERROR indented, in a stack trace",
            "ERROR é accentué",
        ] {
            tx.send(line.to_string()).await.unwrap();
        }
        drop(tx);
        let collected = std::panic::AssertUnwindSafe(
            tokio_stream::StreamExt::collect::<Vec<String>>(error_lines(rx)),
        );
        let errors = futures_util::FutureExt::catch_unwind(collected)
            .await
            .unwrap_or_else(|stopped| {
                let message = (stopped.downcast_ref::<String>().map(String::as_str))
                    .or(stopped.downcast_ref::<&str>().copied())
                    .unwrap_or_default();
                // Any other panic (a blocking call, say) speaks for itself.
                if !message.contains("byte index") {
                    std::panic::resume_unwind(stopped);
                }
                panic!(
                    "the stream panicked ({message:?}) on the lines \"\", \"OK\", \
                     \"ERROR\", \"INFO é\", \"ERROR disk full\", \"  ERROR indented, in a stack \
                     trace\" and \"ERROR é accentué\": a line shorter than the prefix, or with a \
                     character of 2 bytes where the prefix's 6 bytes end, cannot be cut at byte \
                     6 (`&line[..6]` panics). Compare with `line.starts_with(PREFIX)`, or take \
                     the prefix off with `strip_prefix(PREFIX)`: neither ever panics"
                )
            });
        assert!(
            !errors.iter().any(|e| e.contains("indented")),
            "the line \"  ERROR indented, in a stack trace\" begins with two spaces, so it does \
             not start with \"ERROR \", and the stream gave {errors:?}: take the lines that \
             start with the prefix as they are, without trimming them first"
        );
        assert_eq!(
            errors,
            ["disk full", "é accentué"],
            "of the lines \"\", \"OK\", \"ERROR\", \"INFO é\", \"ERROR disk full\", \"  ERROR \
             indented, in a stack trace\" and \"ERROR é accentué\", only \"ERROR disk full\" \
             and \"ERROR é accentué\" start with \"ERROR \": the stream must give their \
             messages, in order, and nothing else"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn each_error_comes_out_when_it_is_sent() {
        in_real_seconds(each_error_comes_out_when_it_is_sent_steps()).await;
    }

    async fn each_error_comes_out_when_it_is_sent_steps() {
        let (tx, rx) = mpsc::channel(16);
        let a_year = Duration::from_secs(366 * 24 * 3600);
        let jumped_to = Arc::new(Jump::default());
        let jump = Arc::clone(&jumped_to);
        tokio::spawn(async move {
            tx.send("ERROR first".to_string()).await.unwrap();
            sleep(Duration::from_millis(100)).await;
            tx.send("INFO all good".to_string()).await.unwrap();
            sleep(Duration::from_millis(100)).await;
            tx.send("ERROR second".to_string()).await.unwrap();
            // The collector stays connected, quiet, for a year (366 days) before it hangs up.
            // (1 ms for the stream to give that error, then the clock jumps the year ahead at
            // once, then runs 1 ms more.)
            sleep(Duration::from_millis(1)).await;
            *jump.lock().unwrap() = Some(Instant::now() + a_year);
            tokio::time::advance(a_year).await;
            sleep(Duration::from_millis(1)).await;
        });

        let start = Instant::now();
        let mut errors = std::pin::pin!(error_lines(rx));

        let first = next_of(errors.as_mut(), &Jump::default()).await;
        let at = start.elapsed();
        assert_eq!(
            first.as_deref(),
            Some("first"),
            "the first error was sent at once, but the stream gave {first:?}: a stream must \
             wait for the next line, and end only when every sender is gone"
        );
        assert_eq!(
            at,
            Duration::ZERO,
            "the first error was sent at once, but came out of the stream after {at:?}"
        );
        let second = next_of(errors.as_mut(), &Jump::default()).await;
        let at = start.elapsed();
        assert_eq!(
            second.as_deref(),
            Some("second"),
            "the second error was sent after 200 ms, but the stream gave {second:?}"
        );
        assert_eq!(
            at,
            Duration::from_millis(200),
            "the second error was sent after 200 ms, but came out of the stream after {at:?}: \
             give each line as soon as it is sent, without waiting for the channel to close"
        );
        let end = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(next_of(
            errors.as_mut(),
            &jumped_to,
        )))
        .await;
        let at = start.elapsed();
        let end = end.unwrap_or_else(|stopped| {
            let message = (stopped.downcast_ref::<String>().map(String::as_str))
                .or(stopped.downcast_ref::<&str>().copied())
                .unwrap_or_default();
            // The test's own checks of the stream's polls stand.
            if message.starts_with("right after the test's clock jumped")
                || message.starts_with("the stream was polled")
            {
                std::panic::resume_unwind(stopped);
            }
            panic!(
                "after the second error the collector stayed connected, quiet, for a year, and \
                 the stream panicked after {at:?} ({message:?}): a quiet channel is not a \
                 closed one. Wait for the next line for as long as it takes (`recv().await`), \
                 and end the stream when `recv()` returns None (every sender gone): a time \
                 limit, even one that panics, ends a stream whose collector is only quiet"
            )
        });
        assert_eq!(end, None, "the sender is gone, so the stream must end");
        let hung_up = a_year + Duration::from_millis(202);
        assert!(
            at >= hung_up,
            "the stream ended after {at:?}, but the collector was still connected, only quiet: \
             it hung up after {hung_up:?}. A quiet channel is not a closed one: end the stream \
             when `recv()` returns None (every sender gone), not on a timer (a `timeout` around \
             `recv`)"
        );
        assert_eq!(
            at, hung_up,
            "the sender was dropped after {hung_up:?}, so that is when the stream should end"
        );
    }

    /// Counts how many times the stream asks to be polled again.
    struct CountWakes(AtomicUsize);

    impl std::task::Wake for CountWakes {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_empty_channel_lets_the_stream_sleep() {
        in_real_seconds(an_empty_channel_lets_the_stream_sleep_steps()).await;
    }

    async fn an_empty_channel_lets_the_stream_sleep_steps() {
        use std::task::{Context, Poll, Waker};

        let (tx, rx) = mpsc::channel(16);
        let mut errors = Box::pin(error_lines(rx));
        let wakes = Arc::new(CountWakes(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&wakes));
        let mut cx = Context::from_waker(&waker);
        let first = errors.as_mut().poll_next(&mut cx);
        assert!(
            first.is_pending(),
            "nothing was sent yet and the collector is connected, so the stream must say \
             Pending (wait), but it gave {first:?}"
        );
        // Whatever the stream asked for gets a moment to happen. A stream may ask to be
        // polled again a few times (a `yield_now` before `recv`), then it must wait.
        let mut polls = 1;
        loop {
            sleep(Duration::from_millis(1)).await;
            if wakes.0.swap(0, Ordering::SeqCst) == 0 {
                break;
            }
            assert!(
                polls < 4,
                "nothing was sent, yet the stream asked to be polled again after each of \
                 {polls} polls (1 ms apart): it looks at the channel over and over (try_recv \
                 with wake_by_ref, yield_now or a timer), which keeps a thread busy for \
                 nothing. Wait with `recv().await` (or `poll_recv`), which wakes the stream \
                 only when a line comes"
            );
            let again = errors.as_mut().poll_next(&mut cx);
            polls += 1;
            assert!(
                again.is_pending(),
                "nothing was sent yet and the collector is connected, so the stream must say \
                 Pending (wait), but polled again it gave {again:?}"
            );
        }
        // A poll of a waiting stream only looks at the channel: microseconds. The fastest of 20
        // polls is timed on the real clock (a busy machine slows some polls, not all of them).
        let mut fastest = Duration::MAX;
        for _ in 0..20 {
            let began = std::time::Instant::now();
            let again = errors.as_mut().poll_next(&mut cx);
            fastest = fastest.min(began.elapsed());
            assert!(
                again.is_pending(),
                "nothing was sent, yet polled again the stream gave {again:?}"
            );
        }
        assert!(
            fastest < Duration::from_millis(1),
            "nothing was sent, and each of 20 polls of the stream held the thread for \
             {fastest:?} or more: something in the stream blocks the thread (a \
             `std::thread::sleep`, a blocking wait), and the runtime can run nothing else \
             meanwhile. Say Pending at once and let `recv().await` (or `poll_recv`) wake the \
             stream when a line comes"
        );
        sleep(Duration::from_millis(1)).await;
        wakes.0.store(0, Ordering::SeqCst);
        tx.send("ERROR disk full".to_string()).await.unwrap();
        assert!(
            wakes.0.swap(0, Ordering::SeqCst) > 0,
            "a line was sent, but the stream was not woken to give it: the stream itself must \
             wait on the receiver with `recv().await` (or `poll_recv`), which wakes it when a \
             line comes (not a task or a thread that takes the line and hands it over)"
        );
        // It may ask to be polled again a few times on the way (a `then` that yields, or that
        // awaits work handed to a task or to the blocking pool): each time it wakes up, it is
        // polled again, up to 3 times, with no time passing on the test's clock (and up to 2 s
        // of real time for a thread of the blocking pool to finish).
        let mut next = errors.as_mut().poll_next(&mut cx);
        let mut polled_again = 0;
        let began = std::time::Instant::now();
        while next.is_pending() && polled_again < 3 && began.elapsed() < Duration::from_secs(2) {
            tokio::task::yield_now().await;
            if wakes.0.swap(0, Ordering::SeqCst) > 0 {
                next = errors.as_mut().poll_next(&mut cx);
                polled_again += 1;
            }
        }
        assert_eq!(
            next,
            Poll::Ready(Some("disk full".to_string())),
            "the error \"disk full\" was sent and the stream was woken, but it did not give \
             that error when polled then (and again each time it woke up: {polled_again} \
             time(s) more), with no time passing and the collector still connected: give \
             each line as soon as it comes (not once the channel closes, nor on a timer)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_the_stream_hangs_up_on_the_collector() {
        in_real_seconds(dropping_the_stream_hangs_up_on_the_collector_steps()).await;
    }

    async fn dropping_the_stream_hangs_up_on_the_collector_steps() {
        let (tx, rx) = mpsc::channel(16);
        let mut errors = Box::pin(error_lines(rx));
        tx.send("ERROR disk full".to_string()).await.unwrap();
        let first = tokio::time::timeout(
            Duration::from_secs(1),
            next_of(errors.as_mut(), &Jump::default()),
        )
        .await;
        assert_eq!(
            first.as_ref().map(Option::as_deref),
            Ok(Some("disk full")),
            "an error was sent and the collector is still connected, but the stream gave \
             nothing within a second (Err(Elapsed)): give each line as soon as it is sent"
        );
        drop(errors);
        // Whatever the stream left behind gets a moment to notice.
        sleep(Duration::from_millis(1)).await;
        let sent = tx.send("ERROR nobody reads this".to_string()).await;
        assert!(
            sent.is_err(),
            "the stream was dropped, yet the collector could still send a line, which nobody \
             will ever read: something still holds the receiver (a task that forwards the \
             lines?). Let the stream own the receiver (`ReceiverStream::new(rx)`), so that \
             dropping the stream closes the channel and the senders learn that nobody listens"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_stream_takes_a_line_only_when_asked() {
        in_real_seconds(the_stream_takes_a_line_only_when_asked_steps()).await;
    }

    async fn the_stream_takes_a_line_only_when_asked_steps() {
        let (tx, rx) = mpsc::channel(16);
        let errors = Box::pin(error_lines(rx));
        let mut sent = 0;
        for n in 0..20 {
            // Whatever reads the receiver gets a moment to run between two lines.
            sleep(Duration::from_millis(1)).await;
            if tx.try_send(format!("ERROR number {n}")).is_err() {
                break;
            }
            sent += 1;
        }
        assert_eq!(
            sent, 16,
            "nobody asked the stream for a line, yet the collector could send {sent} lines into \
             a channel of 16: something reads the receiver before the stream is asked (a task \
             that forwards the lines?). Let the stream own the receiver and take a line only \
             when asked for the next one, so that a slow reader holds the collector back"
        );
        drop(errors);
    }

    #[tokio::test(start_paused = true)]
    async fn a_repeated_error_comes_out_each_time() {
        let (tx, rx) = mpsc::channel(16);
        for line in [
            "ERROR disk full",
            "ERROR disk full",
            "INFO retrying",
            "ERROR disk full",
            "ERROR network down",
            "ERROR network down",
            "ERROR network down",
            "ERROR network down",
            "ERROR network down",
        ] {
            tx.send(line.to_string()).await.unwrap();
        }
        drop(tx);
        let errors: Vec<String> = tokio_stream::StreamExt::collect(error_lines(rx)).await;
        assert_eq!(
            errors,
            [
                "disk full",
                "disk full",
                "disk full",
                "network down",
                "network down",
                "network down",
                "network down",
                "network down"
            ],
            "the collector sent \"ERROR disk full\" twice in a row, then once more after an \
             INFO line, then \"ERROR network down\" 5 times in a row, and the stream gave \
             {errors:?}: every error line must come out of the stream, repeats too, however \
             many in a row (a disk that is still full is news again). Give each error as it \
             comes, without comparing it with the ones before"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn giving_an_error_blocks_no_thread() {
        // 20 errors wait in the channel; each poll that gives one only takes it from the
        // channel: microseconds. The fastest of those 20 polls is timed on the real clock (a
        // busy machine slows some polls, not all of them).
        let (tx, rx) = mpsc::channel(64);
        for i in 0..20 {
            tx.send(format!("ERROR disk {i} full")).await.unwrap();
        }
        let mut errors = std::pin::pin!(error_lines(rx));
        let mut fastest = Duration::MAX;
        for i in 0..20 {
            let line = loop {
                let (polled, took) = std::future::poll_fn(|cx| {
                    let began = std::time::Instant::now();
                    let polled = errors.as_mut().poll_next(cx);
                    std::task::Poll::Ready((polled, began.elapsed()))
                })
                .await;
                match polled {
                    std::task::Poll::Ready(line) => {
                        fastest = fastest.min(took);
                        break line;
                    }
                    // A stream that paces the errors on Tokio's clock: let the clock move.
                    std::task::Poll::Pending => sleep(Duration::from_millis(1)).await,
                }
            };
            assert_eq!(
                line,
                Some(format!("disk {i} full")),
                "20 errors were waiting in the channel, and the collector was still connected"
            );
        }
        assert!(
            fastest < Duration::from_millis(1),
            "20 errors were waiting in the channel, and each of the 20 polls that gave one held \
             the thread for {fastest:?} or more: something blocks the thread as the stream \
             gives a line (a `std::thread::sleep` in `map`, a blocking call), and the runtime \
             can run nothing else meanwhile, the collector included. Give each error as it \
             comes; to pace them, wait on Tokio's clock (an async step with `then` and \
             `tokio::time::sleep`), never by blocking the thread"
        );
        drop(tx);
    }
}
