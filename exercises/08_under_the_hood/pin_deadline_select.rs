// pin_deadline_select
//
// `collect_until` gathers the messages of a channel until a time limit, then returns what it
// has (or stops earlier if the channel closes). The limit is ONE timer, created before the
// loop: every turn of the loop must keep polling that same timer through `&mut deadline`;
// making a new `sleep(limit)` in each turn would restart the countdown at every message.
//
// But a `Sleep` may only be polled through a reference once it is pinned, so the `select!`
// does not compile. Pin the timer (without recreating it) so that the loop compiles.

use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::sleep;

pub async fn collect_until(mut rx: mpsc::Receiver<u32>, limit: Duration) -> Vec<u32> {
    let mut got = Vec::new();
    // TODO: `&mut deadline` below needs this timer to be pinned first.
    let mut deadline = sleep(limit);
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            msg = rx.recv() => match msg {
                Some(value) => got.push(value),
                None => break,
            },
        }
    }
    got
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    // Imported here too, so that a fix which drops these imports above still compiles.
    use std::time::Duration;
    use tokio::sync::mpsc;
    use tokio::time::{Instant, sleep};

    /// Sends `count` messages (0, 1, 2, ...), one every 100 ms, then closes the channel.
    fn producer(count: u32) -> mpsc::Receiver<u32> {
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(async move {
            for value in 0..count {
                sleep(Duration::from_millis(100)).await;
                if tx.send(value).await.is_err() {
                    return;
                }
            }
        });
        rx
    }

    /// `collect_until(..)`, stopped with a message once it is polled 1000 times in a
    /// row at one moment of the paused clock: a busy loop never lets the clock move on, and
    /// would spin until the run is killed.
    async fn collect(rx: mpsc::Receiver<u32>, limit: Duration) -> Vec<u32> {
        let mut call = std::pin::pin!(collect_until(rx, limit));
        let (mut moment, mut polls) = (Instant::now(), 0);
        std::future::poll_fn(|cx| {
            if moment != Instant::now() {
                (moment, polls) = (Instant::now(), 0);
            }
            polls += 1;
            assert!(
                polls <= 1000,
                "collect_until was polled 1000 times in a row while the paused clock stood \
                 still: it keeps checking the channel and the clock (try_recv and yield_now in \
                 a loop), so neither a message nor the limit can ever come. Await both at once \
                 instead, with select! on rx.recv() and the pinned timer"
            );
            call.as_mut().poll(cx)
        })
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn stops_at_the_deadline() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let parks_before = metrics.worker_park_count(0);
        let start = Instant::now();
        let got = collect(producer(10), Duration::from_millis(350)).await;
        let elapsed = start.elapsed().as_millis();
        let wakeups = metrics.worker_park_count(0) - parks_before;
        assert_eq!(
            got,
            [0, 1, 2],
            "with a 350 ms limit and one message every 100 ms, only 3 messages fit (got \
             {got:?} after {elapsed} ms). If you got them all, the timer restarted at each \
             turn of the loop: create it once, before the loop"
        );
        assert_eq!(
            elapsed, 350,
            "collect_until returned after {elapsed} ms instead of at the 350 ms limit"
        );
        // Three messages and the limit: each time the runtime runs out of work, it parks (9
        // times). A timer of the code's own every 40 ms (a progress message) makes it 23, 26
        // if it restarts after each message; checking for a message with try_recv every 1 ms,
        // 700 (a check every 2 ms or more is late when the channel closes at 137 ms, below).
        assert!(
            wakeups <= 30,
            "while collect_until waited 350 ms for 3 messages, the runtime had to wake up \
             {wakeups} times (awaiting the messages and the one timer needs 9, 23 to 26 with a \
             progress message every 40 ms): it keeps checking on a short timer whether a \
             message came or the time is up. Await both at once instead, with select! on \
             rx.recv() and the pinned timer"
        );
    }

    /// Sends 0, 1, 2, ... at the given times (in ms after the call), then closes the channel.
    fn producer_at(times_ms: &'static [u64]) -> mpsc::Receiver<u32> {
        let start = Instant::now();
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(async move {
            for (value, &at) in (0..).zip(times_ms) {
                tokio::time::sleep_until(start + Duration::from_millis(at)).await;
                if tx.send(value).await.is_err() {
                    return;
                }
            }
        });
        rx
    }

    #[tokio::test(start_paused = true)]
    async fn stops_at_another_deadline_with_uneven_gaps() {
        let start = Instant::now();
        let rx = producer_at(&[50, 100, 230, 245, 400]);
        let got = collect(rx, Duration::from_millis(240)).await;
        let elapsed = start.elapsed().as_millis();
        assert_eq!(
            got,
            [0, 1, 2],
            "with a 240 ms limit and messages sent at 50, 100, 230, 245 and 400 ms, only the \
             first 3 come in time (got {got:?} after {elapsed} ms): the one timer, made from \
             `limit`, must end the loop at the limit whatever the gaps between the messages"
        );
        assert_eq!(
            elapsed, 240,
            "collect_until returned after {elapsed} ms instead of at the 240 ms limit"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn short_and_long_limits_end_while_messages_keep_coming() {
        // A limit shorter than the others (150 ms, a message every 100 ms), then a longer one
        // (10 s, a message every second from 0.5 s on, and the channel stays open): messages
        // keep coming, and only the one timer can end the loop, whatever the limit.
        let start = Instant::now();
        let got = collect(producer(10), Duration::from_millis(150)).await;
        let elapsed = start.elapsed().as_millis();
        let why = if got.len() > 1 {
            "it went on collecting after the limit, so the timer restarted at each message: \
             create it once, before the loop, whatever the limit"
        } else {
            "the one timer, made from `limit`, must end the loop at the limit, whatever the \
             limit"
        };
        assert!(
            got == [0] && elapsed == 150,
            "with a 150 ms limit and one message every 100 ms, collect_until returned after \
             {elapsed} ms with {got:?}, where it should return at 150 ms with [0]: {why}"
        );

        let (tx, rx) = mpsc::channel(16);
        let sending = tokio::spawn(async move {
            sleep(Duration::from_millis(500)).await;
            for value in 0..60 {
                if tx.send(value).await.is_err() {
                    return;
                }
                sleep(Duration::from_secs(1)).await;
            }
            // Kept open until the test ends.
            std::future::pending::<()>().await;
        });
        let start = Instant::now();
        let got = collect(rx, Duration::from_secs(10)).await;
        let elapsed = start.elapsed().as_millis();
        sending.abort();
        let expected: Vec<u32> = (0..10).collect();
        let why = if got.len() > expected.len() {
            "it went on collecting after the limit, so the timer restarted at each message: \
             create it once, before the loop, whatever the limit"
        } else {
            "the one timer, made from `limit`, must end the loop at the limit, whatever the \
             limit"
        };
        assert!(
            got == expected && elapsed == 10_000,
            "with a 10 s limit and one message every second (at 0.5 s, 1.5 s, ...), the \
             channel left open, collect_until returned after {elapsed} ms with {} messages, \
             where it should return at 10 s with the 10 sent before it: {why}",
            got.len()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stops_when_the_channel_closes() {
        let start = Instant::now();
        let got = collect(producer(2), Duration::from_secs(5)).await;
        let elapsed = start.elapsed().as_millis();
        assert_eq!(got, [0, 1], "both messages sent must be collected");
        assert!(
            elapsed < 5000,
            "the channel closed at 200 ms but collect_until waited {elapsed} ms: stop when \
             recv() returns None"
        );

        // The channel closes at 137 ms, between the ticks of any timer of 2 ms or more.
        let start = Instant::now();
        let got = collect(producer_at(&[50, 137]), Duration::from_secs(5)).await;
        let elapsed = start.elapsed().as_millis();
        assert_eq!(got, [0, 1], "both messages sent must be collected");
        assert_eq!(
            elapsed, 137,
            "the channel closed at 137 ms (right after its last message) but collect_until \
             returned at {elapsed} ms: after the channel closed, it still waited for a timer. \
             Does it look for messages (or for the end of the channel) on a timer, with \
             try_recv, or wait for a progress timer's next tick before it returns? Await \
             rx.recv() in the select!, beside the pinned timer: it wakes collect_until as soon \
             as a message comes or the channel closes; then return at once"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn leaves_nothing_running_behind() {
        // The channel closes at 200 ms, long before the 5 s limit.
        let metrics = tokio::runtime::Handle::current().metrics();
        let got = collect(producer(2), Duration::from_secs(5)).await;
        assert_eq!(got, [0, 1], "both messages sent must be collected");
        let tasks = metrics.num_alive_tasks();
        assert_eq!(
            tasks, 0,
            "collect_until returned when the channel closed at 200 ms, but left {tasks} task(s) \
             it spawned still alive (a task that sleeps out the 5 s limit, say, or one aborted \
             and not awaited): spawn no task for the timer (or for progress messages); keep the \
             one timer inside collect_until, pinned, and poll it with `&mut deadline` in the \
             select!"
        );

        // With a 350 ms limit, the message sent at 400 ms must find the channel closed.
        let (tx, rx) = mpsc::channel(16);
        let sending = tokio::spawn(async move {
            for value in 0..10 {
                sleep(Duration::from_millis(100)).await;
                if tx.send(value).await.is_err() {
                    return value;
                }
            }
            10
        });
        let got = collect(rx, Duration::from_millis(350)).await;
        assert_eq!(got, [0, 1, 2], "only 3 messages fit in 350 ms");
        let refused = sending.await.expect("the sending task panicked");
        assert_eq!(
            refused, 3,
            "collect_until returned at 350 ms, yet the channel still took the messages after it \
             (the first one refused was {refused}, not 3): its receiver lives on in a task that \
             keeps receiving. Receive in collect_until itself, so that the receiver is dropped \
             when it returns"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_timer_runs_in_collect_until_itself() {
        let metrics = tokio::runtime::Handle::current().metrics();
        // One task of the test's own: the producer.
        let rx = producer(10);
        let mut collecting = std::pin::pin!(collect(rx, Duration::from_millis(350)));
        // Let collect_until run for 150 ms (it has the first message by then), and look.
        let early = tokio::select! {
            got = &mut collecting => Some(got),
            _ = sleep(Duration::from_millis(150)) => None,
        };
        assert_eq!(
            early, None,
            "collect_until returned before 150 ms, long before its 350 ms limit"
        );
        let tasks = metrics.num_alive_tasks().saturating_sub(1);
        assert_eq!(
            tasks, 0,
            "while collect_until was waiting (at 150 ms of its 350 ms), {tasks} task(s) it \
             spawned were running beside the test's producer. If the timer runs in a task of \
             its own: a JoinHandle or a JoinSet can be polled through &mut without pinning, a \
             Sleep cannot. (A task spawned for progress messages counts too: print them from \
             collect_until's own select! instead.) Keep the one sleep(limit) in collect_until, pin it \
             (tokio::pin!(deadline) or Box::pin), and poll it with &mut deadline in the select!"
        );
        let got = collecting.await;
        assert_eq!(got, [0, 1, 2], "only 3 messages fit in 350 ms");
    }

    /// A timer leaked to get a `&'static mut` to it (`Box::leak(Box::pin(sleep(limit)))`)
    /// keeps time like a pinned one, but every call leaves it on the heap. This runs whole calls
    /// on a runtime of their own and counts the heap blocks made on this thread that they
    /// leave behind. (Blocks handed to the runtime's blocking pool, with spawn_blocking, are
    /// freed on its threads, where this count cannot see them: a call that uses the pool is
    /// not counted.)
    #[test]
    fn the_timer_is_freed_when_collect_until_returns() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let pool_used = Arc::new(AtomicBool::new(false));
        let call = || {
            let pool = Arc::clone(&pool_used);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .on_thread_start(move || pool.store(true, Ordering::SeqCst))
                .build()
                .unwrap();
            let got =
                runtime.block_on(async { collect(producer(10), Duration::from_millis(350)).await });
            assert_eq!(got, [0, 1, 2], "only 3 messages fit in 350 ms");
        };
        // The first run sets up what a thread keeps for good (Tokio's thread-locals).
        call();
        pool_used.store(false, Ordering::SeqCst);
        let left = allocation_counter::measure(call).count_current;
        assert!(
            left <= 0 || pool_used.load(Ordering::SeqCst),
            "a call of collect_until (on a runtime that was then shut down) left {left} heap \
             block(s) made on this thread that were not freed here: a timer (or something \
             else) leaked with Box::leak or mem::forget to get a `&'static mut`, or handed to a \
             thread of its own (std::thread::spawn) that freed it there. Pin the timer without leaking \
             it: tokio::pin!(deadline) or Box::pin(sleep(limit)), and poll it with &mut \
             deadline in the select!"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_repeated_value_is_collected_each_time() {
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(async move {
            for value in [7, 7, 3, 7] {
                sleep(Duration::from_millis(100)).await;
                if tx.send(value).await.is_err() {
                    return;
                }
            }
        });
        let got = collect(rx, Duration::from_secs(5)).await;
        assert_eq!(
            got,
            [7, 7, 3, 7],
            "the channel sent 7 twice in a row (then 3, then 7 again), all before the limit, \
             and collect_until returned {got:?}: every message that comes before the limit \
             must be collected, repeats too. Push each value rx.recv() gives, without \
             comparing it with the one before"
        );
    }

    /// What is wrong with `got`, next to the `expected` messages (in order): too few (the
    /// first ones only, or others), or other values.
    fn how_far_off(got: &[u32], expected: &[u32]) -> String {
        if got.len() < expected.len() && expected.starts_with(got) {
            format!(
                "it kept only the first {} of them, in order, and left the rest",
                got.len()
            )
        } else if got.len() != expected.len() {
            format!("it gave {} messages instead", got.len())
        } else {
            let at = (0..got.len()).find(|&i| got[i] != expected[i]).unwrap_or(0);
            format!(
                "it gave as many, but message {at} was {} instead of {}",
                got[at], expected[at]
            )
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_message_before_the_limit_is_collected_however_many() {
        // 1237 messages, one every millisecond, then the channel closes; the limit is an hour.
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(async move {
            for value in 0..1237 {
                sleep(Duration::from_millis(1)).await;
                if tx.send(value).await.is_err() {
                    return;
                }
            }
        });
        let start = Instant::now();
        let got = collect(rx, Duration::from_secs(3600)).await;
        let elapsed = start.elapsed().as_millis();
        let expected: Vec<u32> = (0..1237).collect();
        assert!(
            got == expected,
            "1237 messages were sent, one every millisecond, then the channel closed, all long \
             before the 1 h limit, and collect_until returned after {elapsed} ms with {} \
             messages: {}. Collect every message until the limit or the end of the channel, \
             however many come",
            got.len(),
            how_far_off(&got, &expected)
        );

        // 1500 messages, one every millisecond, and the channel stays open: the 2 s limit ends
        // it. (Spaced out, so that code that yields after each message is not taken for a spin.)
        let (tx, rx) = mpsc::channel(16);
        let sending = tokio::spawn(async move {
            for value in 0..1500 {
                sleep(Duration::from_millis(1)).await;
                if tx.send(value).await.is_err() {
                    return;
                }
            }
            // Kept open until the test ends.
            std::future::pending::<()>().await;
        });
        let start = Instant::now();
        let got = collect(rx, Duration::from_secs(2)).await;
        let elapsed = start.elapsed().as_millis();
        sending.abort();
        let expected: Vec<u32> = (0..1500).collect();
        assert!(
            got == expected,
            "1500 messages were sent, one every millisecond, and the channel stayed open; \
             collect_until (2 s limit) returned after {elapsed} ms with {} messages: {}. \
             Collect every message that comes before the limit, however many",
            got.len(),
            how_far_off(&got, &expected)
        );
        // The last message comes at 1500 ms: a timer made anew at each turn runs out 2 s later.
        let why = if elapsed == 3500 {
            "2 s after the last message (at 1500 ms), so the timer restarted at each message: \
             create it once, before the loop, and poll that same timer at every turn"
        } else {
            "the one timer, made from `limit` before the loop, must end it at the limit, \
             however many messages come"
        };
        assert_eq!(
            elapsed, 2000,
            "the channel stayed open after its 1500 messages, but collect_until returned after \
             {elapsed} ms, not at its 2 s limit: {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_message_at_the_limit_itself_does_not_hide_the_limit() {
        // A message comes at the very moment of the 200 ms limit (sent just before
        // collect_until is polled then), another at 300 ms, and the channel stays open. When
        // both the message and the timer are ready, select! picks one at random: a loop that
        // takes the message must still end at its next turn, since the limit has passed.
        // Done 30 times, so that each pick comes up.
        for round in 1..=30 {
            let (tx, rx) = mpsc::channel(16);
            let start = Instant::now();
            let sending = async move {
                for (value, at) in [(0, 100), (1, 200), (2, 300)] {
                    tokio::time::sleep_until(start + Duration::from_millis(at)).await;
                    if tx.send(value).await.is_err() {
                        break;
                    }
                }
                // Kept open until collect_until returns.
                std::future::pending::<()>().await
            };
            let collecting = async {
                tokio::select! {
                    // Polled first, so that the message at 200 ms is in the channel when
                    // collect_until is polled at that moment.
                    biased;
                    () = sending => unreachable!(),
                    got = collect(rx, Duration::from_millis(200)) => got,
                }
            };
            let got = tokio::time::timeout(Duration::from_secs(3600), collecting).await;
            let elapsed = start.elapsed().as_millis();
            let returned = match &got {
                Ok(got) => format!("returned after {elapsed} ms with {got:?}"),
                Err(_) => String::from("had not returned an hour later"),
            };
            assert!(
                matches!(&got, Ok(got) if got == &[0] || got == &[0, 1]) && elapsed == 200,
                "with a 200 ms limit, messages sent at 100, 200 (the very moment of the limit) \
                 and 300 ms, and the channel left open, collect_until {returned} (in round \
                 {round} of 30): it should return at 200 ms with [0] or [0, 1]. When a \
                 message and the limit come at the same moment, select! may take the message \
                 first, but the next turn must still see the limit and end the loop. (A \
                 branch `_ = &mut deadline, if !deadline.is_elapsed()` is switched off at \
                 every turn that starts once the limit has passed: the timer can then never \
                 end the loop. Poll `&mut deadline` at every turn, without that condition)"
            );
        }
    }
}
