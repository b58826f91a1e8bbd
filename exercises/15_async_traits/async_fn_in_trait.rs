// async_fn_in_trait
//
// A shop compares prices from several sources, all behind the `PriceSource` trait. A `Fixed`
// source knows its price at once, but an `Exchange` has to ask a server and wait for the
// answer, so its `price` is an `async fn`. That does not match the trait, and the code does not
// compile.
//
// Let every price source wait if it needs to: make `price` an async method of the trait. Then
// make `best_price` ask both sources at the same time, and keep `best_price` generic.

use std::time::Duration;

use tokio::time::sleep;

trait PriceSource {
    // TODO: an exchange has to wait for its price.
    fn price(&self, item: &str) -> u32;
}

/// The same price for every item, known at once.
pub struct Fixed(pub u32);

impl PriceSource for Fixed {
    fn price(&self, _item: &str) -> u32 {
        self.0
    }
}

/// Asks a server, which answers after `delay`: 10 per letter of the item's name, plus `fee`.
pub struct Exchange {
    pub delay: Duration,
    pub fee: u32,
}

impl PriceSource for Exchange {
    async fn price(&self, item: &str) -> u32 {
        sleep(self.delay).await;
        10 * item.len() as u32 + self.fee
    }
}

/// The lower of the prices of `a` and `b`, asked from both at the same time.
async fn best_price(a: &impl PriceSource, b: &impl PriceSource, item: &str) -> u32 {
    let first = a.price(item);
    let second = b.price(item);
    first.min(second)
}

#[tokio::main]
async fn main() {
    let exchange = Exchange {
        delay: Duration::from_millis(50),
        fee: 3,
    };
    println!("{}", best_price(&Fixed(100), &exchange, "pear").await);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::task::{Context, Poll};
    use std::time::Duration;
    use tokio::time::sleep;
    use tokio::time::{Instant, Sleep};

    fn exchange(ms: u64, fee: u32) -> Exchange {
        Exchange {
            delay: Duration::from_millis(ms),
            fee,
        }
    }

    /// A price source written for these tests: it counts the questions it gets and answers
    /// after `wait` (71 or 13 ms, prime numbers: a check on a timer of 2 ms or more is not due
    /// then, nor one that starts late). It also counts how many times its wait is polled.
    struct Auction {
        wait: Duration,
        asked: AtomicU32,
        polled: AtomicU32,
    }

    /// A wait that counts how many times it is polled.
    struct CountedWait<'a> {
        wait: Pin<Box<Sleep>>,
        polled: &'a AtomicU32,
    }

    impl Future for CountedWait<'_> {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            self.polled.fetch_add(1, Ordering::SeqCst);
            self.wait.as_mut().poll(cx)
        }
    }

    impl PriceSource for Auction {
        async fn price(&self, _item: &str) -> u32 {
            self.asked.fetch_add(1, Ordering::SeqCst);
            CountedWait {
                wait: Box::pin(sleep(self.wait)),
                polled: &self.polled,
            }
            .await;
            42
        }
    }

    /// A price source written for these tests that waits twice: 35 ms, then 35 ms more (its
    /// second wait starts only when it is polled after the first has ended). 5 per letter.
    struct Broker;

    impl PriceSource for Broker {
        async fn price(&self, item: &str) -> u32 {
            sleep(Duration::from_millis(35)).await;
            sleep(Duration::from_millis(35)).await;
            5 * item.len() as u32
        }
    }

    /// Awaits `best`, and stops the test with a message if it is polled 1000 times at one
    /// moment of the paused clock without an answer (a loop that spins on `yield_now` would
    /// otherwise hold the clock still until the run is killed).
    async fn no_spin<F: Future>(best: F) -> F::Output {
        let mut best = Box::pin(best);
        let mut moment = Instant::now();
        let mut polls = 0;
        std::future::poll_fn(|cx| {
            if Instant::now() != moment {
                moment = Instant::now();
                polls = 0;
            }
            polls += 1;
            assert!(
                polls < 1000,
                "best_price was polled 1000 times at one moment without an answer: it spins (a \
                 loop of `now_or_never`, `poll` or `yield_now`), and the clock cannot move on. \
                 Await both prices together (`tokio::join!`): your task then sleeps until one \
                 of them is ready"
            );
            best.as_mut().poll(cx)
        })
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn the_lower_price_wins() {
        assert_eq!(
            no_spin(best_price(&Fixed(30), &Fixed(20), "tea")).await,
            20,
            "two fixed prices, 30 and 20: best_price must give the lower, 20 (whichever source \
             comes first, and however low the first price is)"
        );
        assert_eq!(
            no_spin(best_price(&Fixed(30), &exchange(10, 0), "tea")).await,
            30,
            "a fixed 30 and an exchange asking 10 x 3 for \"tea\": best_price must give the \
             lower, 30"
        );
        assert_eq!(
            no_spin(best_price(&exchange(10, 5), &Fixed(60), "kiwi")).await,
            45,
            "an exchange asking 10 x 4 + 5 for \"kiwi\" and a fixed 60: best_price must give \
             the lower, 45 (the price that comes at once is not always the lower)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_exchange_waits_for_its_server() {
        let start = Instant::now();
        let price = exchange(150, 2).price("plum").await;
        assert_eq!(price, 42, "\"plum\" has 4 letters: 10 x 4 plus a fee of 2");
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(150),
            "the exchange should answer when its server does, after 150 ms, without blocking \
             the thread (use tokio's sleep, and await it)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn both_sources_are_asked_at_the_same_time() {
        // A short name and a long one: whatever the item, both are asked at once.
        for item in ["fig", "organic white nectarines from Spain"] {
            both_sources_are_asked_at_once_for(item).await;
        }
    }

    async fn both_sources_are_asked_at_once_for(item: &str) {
        let start = Instant::now();
        let best = no_spin(best_price(&exchange(100, 9), &exchange(200, 1), item)).await;
        let letters = item.len();
        assert_eq!(
            best,
            10 * letters as u32 + 1,
            "the cheaper exchange asks 10 x {letters} + 1 for {item:?}"
        );
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(200),
            "for {item:?}, best_price took {took:?}, but the slower exchange needs 200 ms to \
             answer: wait for both prices"
        );
        assert_eq!(
            took,
            Duration::from_millis(200),
            "for {item:?}, best_price took {took:?}, but the slower exchange answers in 200 ms, \
             whatever the item: ask both at \
             the same time instead of one after the other. Calling `price` only makes a future, \
             which does nothing until it is polled (unlike a C# Task or a JavaScript Promise, \
             it is not running yet), so making both futures first and then awaiting them in \
             turn still asks one after the other: await them together (`tokio::join!`)"
        );
    }

    /// Returns once the runtime has gone idle (parked, letting the paused clock move on) 25 000
    /// times since it was called, checked every paused minute: a day of paused time passes at
    /// once for code that only waits (1440 checks), while a progress ticker every 40 ms would
    /// need 2 million wake-ups.
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
            sleep(Duration::from_secs(60)).await;
            if idles() - first > 25_000 {
                return;
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_source_is_waited_for() {
        // An exchange that answers after a day (of paused time: the test takes none).
        let slow = exchange(24 * 3_600_000, 0);
        let asked = std::panic::AssertUnwindSafe(best_price(&Fixed(1000), &slow, "melon"));
        let answer = tokio::select! {
            biased;
            answer = no_spin(futures_util::FutureExt::catch_unwind(asked)) => answer,
            // A progress ticker beside the wait (judged above) makes the day a long stream of
            // wake-ups: once the runtime has gone idle 25 000 times, the test gives no verdict.
            () = busy_for_long() => return,
        };
        // (A time limit that panics, as a safety net, is let be.)
        if let Ok(best) = answer {
            assert_eq!(
                best, 50,
                "best_price returned {best} for a fixed price of 1000 and an exchange that asks \
                 10 x 5 for \"melon\" but answers only after a day: it stopped waiting for the \
                 slower source and answered without its price (a `select!` that takes the first \
                 answer, or a time limit whose `Elapsed` becomes a price?). Wait for both prices, \
                 however long they take (a time limit that panics, as a safety net, is fine)"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn any_async_price_source_works() {
        for ms in [71, 13] {
            any_async_price_source_answering_after(ms).await;
        }
    }

    async fn any_async_price_source_answering_after(ms: u64) {
        let auction = Auction {
            wait: Duration::from_millis(ms),
            asked: AtomicU32::new(0),
            polled: AtomicU32::new(0),
        };
        let start = Instant::now();
        let best = no_spin(best_price(&Fixed(50), &auction, "rice")).await;
        let took = start.elapsed();
        let asked = auction.asked.load(Ordering::SeqCst);
        assert!(
            asked != 0 || !took.is_zero(),
            "best_price returned {best} at once, without asking the auction (which answers \
             after {ms} ms) for its price: it took the price that was ready at once as good \
             enough, or one kept from an earlier call. Ask both sources at every call, and \
             wait for both answers (`tokio::join!`) before choosing the lower"
        );
        assert_eq!(best, 42, "the auction's 42 is lower than 50");
        assert_eq!(
            asked, 1,
            "ask each source once (the auction was asked {asked} times)"
        );
        assert_eq!(
            took,
            Duration::from_millis(ms),
            "best_price returned {took:?} after it was called, but the auction answers after \
             {ms} ms and the fixed price at once: return as soon as both prices are ready (a \
             check on a timer finds them only at its next tick, or after a wait of its own; \
             await both together, `tokio::join!`)"
        );
        // Awaited together, the wait is polled when it starts and when it ends; a progress
        // message beside it may poll it twice more per tick: one every 10 ms or more is fine
        // (17 polls at most in 71 ms; a check every 1 ms polls it 72 times, and a slower one,
        // or one that begins after a wait, returns late at 71 or 13 ms).
        let polled = auction.polled.load(Ordering::SeqCst);
        assert!(
            polled <= 20,
            "the auction's {ms} ms wait was polled {polled} times: best_price looked at the \
             prices again and again on a timer (or printed progress more often than every 10 \
             ms). Await both prices together (`tokio::join!`): a future is polled again only \
             when it wakes its task, once its answer is ready"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_source_that_waits_twice_is_kept_going() {
        // The broker waits 35 ms and then 35 ms more, the exchange answers in 100 ms: asked
        // together, both are done in 100 ms, whichever is passed first.
        for broker_first in [true, false] {
            let start = Instant::now();
            let exchange = exchange(100, 50);
            let best = if broker_first {
                no_spin(best_price(&Broker, &exchange, "rice")).await
            } else {
                no_spin(best_price(&exchange, &Broker, "rice")).await
            };
            let took = start.elapsed();
            let order = if broker_first {
                "the broker passed first"
            } else {
                "the exchange passed first"
            };
            assert!(
                !took.is_zero(),
                "best_price returned {best} at once ({order}), though the broker waits 35 ms \
                 twice and the exchange answers in 100 ms: it answered without waiting for \
                 either source's price (from an earlier call, kept in a cache?). Ask both \
                 sources at every call, and wait for both prices"
            );
            assert_eq!(
                best, 20,
                "the broker asks 5 x 4 for \"rice\", the exchange 90"
            );
            assert!(
                took >= Duration::from_millis(100),
                "best_price returned after {took:?}, before the exchange's price was ready (it \
                 answers in 100 ms; the broker waits 35 ms, then 35 ms more) ({order}): wait \
                 for both prices (`tokio::join!`), not only for the first one to answer"
            );
            let why = if took == Duration::from_millis(170) {
                "that is the broker's 70 ms and the exchange's 100 ms added up: the two prices \
                 were waited for one after the other. Calling `price` only makes a future, \
                 which does nothing until it is polled, so awaiting one and then the other \
                 asks them in turn: await them together (`tokio::join!`)"
            } else if broker_first && took == Duration::from_millis(135) {
                "that is the broker's first 35 ms, waited for beside the exchange, and its \
                 second 35 ms after the exchange's 100 ms: the broker was started, then left \
                 alone while the exchange was awaited. A future left alone makes no progress: \
                 its next step waits for a poll. Keep both prices going until both are ready \
                 (`tokio::join!`)"
            } else {
                "keep both prices going until both are ready (`tokio::join!`). (A future that \
                 is started and then left alone while the other is awaited makes no progress: \
                 its next step waits for a poll)"
            };
            assert_eq!(
                took,
                Duration::from_millis(100),
                "best_price took {took:?} for a broker that waits twice (35 ms, then 35 ms more) \
                 and an exchange that answers in 100 ms ({order}): {why}"
            );
        }
    }

    /// A price source written for the real-clock test: it writes down when it is asked and
    /// when it answers (after `wait` of real time), in a log it shares with the other one.
    struct Logged {
        name: &'static str,
        wait: Duration,
        price: u32,
        log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    }

    impl PriceSource for Logged {
        async fn price(&self, _item: &str) -> u32 {
            self.log
                .lock()
                .unwrap()
                .push(format!("{} asked", self.name));
            sleep(self.wait).await;
            self.log
                .lock()
                .unwrap()
                .push(format!("{} answered", self.name));
            self.price
        }
    }

    /// Every other test pauses Tokio's clock; in a program (main) it runs in real time. Asking
    /// the sources at the same time only when the clock is paused (a probe of whether it
    /// moves) shows here: on runtimes like the tests' (one thread) and main's (multi-threaded),
    /// with their clocks running, on a thread named main, both sources must be asked before
    /// either answers (they answer after 20 and 10 ms of real time). This reads the sources'
    /// log, not the time taken; it gives up waiting after 5 s of real time, however loaded the
    /// machine (the thread left waiting ends with the test program).
    #[test]
    fn both_sources_are_asked_at_once_on_a_running_clock() {
        for multi_thread in [false, true] {
            let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let (send, answered) = std::sync::mpsc::channel();
            let sources_log = std::sync::Arc::clone(&log);
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
                    let first = Logged {
                        name: "the first source",
                        wait: Duration::from_millis(20),
                        price: 70,
                        log: std::sync::Arc::clone(&sources_log),
                    };
                    let second = Logged {
                        name: "the second source",
                        wait: Duration::from_millis(10),
                        price: 60,
                        log: sources_log,
                    };
                    let best = runtime.block_on(best_price(&first, &second, "fig"));
                    let _ = send.send(best);
                })
                .unwrap();
            let runtime = if multi_thread {
                "on a multi-threaded runtime, as main's,"
            } else {
                "on a runtime with one thread, as the tests',"
            };
            let best = match answered.recv_timeout(std::time::Duration::from_secs(5)) {
                Ok(best) => best,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
                    "{runtime} whose clock runs in real time (every other test pauses Tokio's \
                     clock), best_price still had not returned after 5 s for two sources that \
                     answer after 20 and 10 ms (their log: {:?}): wait for both prices \
                     together, on every path, whatever clock or runtime it runs on \
                     (`tokio::join!`)",
                    log.lock().unwrap()
                ),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!(
                    "{runtime} whose clock runs in real time (every other test pauses Tokio's \
                     clock), best_price panicked (its message is in the full output, from the \
                     thread named main) for two sources that answer after 20 and 10 ms: ask \
                     both at the same time and return the lower price"
                ),
            };
            let log = log.lock().unwrap().clone();
            let first_answer = log.iter().position(|line| line.ends_with("answered"));
            let asked_before = |name: &str| {
                log.iter()
                    .take(first_answer.unwrap_or(log.len()))
                    .any(|line| *line == format!("{name} asked"))
            };
            assert!(
                asked_before("the first source") && asked_before("the second source"),
                "{runtime} whose clock runs in real time (every other test pauses Tokio's \
                 clock), best_price asked one source and waited for its answer before asking \
                 the other (the sources' log: {log:?}): it asks them one after the other on a \
                 running clock. A program's clock is never paused: ask both at the same time \
                 on every path, whatever clock or runtime it runs on (`tokio::join!`)"
            );
            assert_eq!(
                best, 60,
                "{runtime} whose clock runs in real time, the sources asked 70 and 60 (their \
                 log: {log:?}): return the lower price"
            );
        }
    }
}
