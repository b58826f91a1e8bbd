// blocking_defeats_timeout
//
// `price_or_cached` asks the price service but gives up after 50 ms and uses the cached price
// instead. `tokio::time::timeout` can only step in when the inner future pauses at an `.await`.
// The service below waits with `std::thread::sleep`, which never pauses: the future runs to the
// end in one go, however long it takes, and the deadline is simply never checked in between.
//
// Fix the service so that the 50 ms deadline works. `price_or_cached` itself is fine.

use std::time::Duration;

const DEADLINE: Duration = Duration::from_millis(50);
const CACHED_PRICE: u32 = 100;

/// The price service: it answers 120 after `delay`.
async fn ask_price_service(delay: Duration) -> u32 {
    // TODO: nothing can interrupt this wait, not even a timeout.
    std::thread::sleep(delay);
    120
}

async fn price_or_cached(delay: Duration) -> u32 {
    match tokio::time::timeout(DEADLINE, ask_price_service(delay)).await {
        Ok(price) => price,
        Err(_elapsed) => CACHED_PRICE,
    }
}

#[tokio::main]
async fn main() {
    let fast = price_or_cached(Duration::from_millis(20)).await;
    let slow = price_or_cached(Duration::from_millis(120)).await;
    println!("fast service: {fast}, slow service: {slow}");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Wake, Waker};
    use std::time::Duration;
    use tokio::time::Instant;

    /// Wakes the task, and notes a wake-up that comes from a thread other than the runtime's.
    struct NoteThread {
        runtime_thread: std::thread::ThreadId,
        woken_elsewhere: Arc<AtomicBool>,
        task: Waker,
    }

    impl Wake for NoteThread {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            if std::thread::current().id() != self.runtime_thread {
                self.woken_elsewhere.store(true, Ordering::SeqCst);
            }
            self.task.wake_by_ref();
        }
    }

    #[tokio::test(start_paused = true)]
    async fn slow_service_falls_back_to_the_cache() {
        let start = Instant::now();
        let real = std::time::Instant::now();
        let mut polls = 0;
        let mut asking = Box::pin(without_spinning(called("price_or_cached(120 ms)", || {
            price_or_cached(Duration::from_millis(120))
        })));
        // Whether the call was ever woken from another thread than this runtime's.
        let woken_elsewhere = Arc::new(AtomicBool::new(false));
        let counted = std::future::poll_fn(|cx| {
            polls += 1;
            let waker = Waker::from(Arc::new(NoteThread {
                runtime_thread: std::thread::current().id(),
                woken_elsewhere: Arc::clone(&woken_elsewhere),
                task: cx.waker().clone(),
            }));
            asking.as_mut().poll(&mut Context::from_waker(&waker))
        });
        let (price, longest) = longest_poll(counted).await;
        let (real, elapsed) = (real.elapsed(), start.elapsed().as_millis());
        // No poll held the thread, yet the call took as long on the real clock as a blocking
        // sleep: if polled again and again, it waited on the real clock in short steps; if
        // polled a few times only and woken from another thread, the service waited on another
        // thread (in `spawn_blocking`, and Tokio's paused clock stands still while a job of the
        // blocking pool runs); if woken from this thread only, something else on this runtime
        // (a task from `tokio::spawn`) blocked the thread between the call's polls.
        let woken_elsewhere = woken_elsewhere.load(Ordering::SeqCst);
        let why = if longest < BLOCKED && real >= BLOCKED && polls > 10 {
            format!(
                "The call was polled {polls} times over {real:?} of real time while Tokio's \
                 paused clock stood at {elapsed} ms (each poll held the thread up to \
                 {longest:?}): the service waits on the real clock in short steps, handing \
                 the thread back between them (a short std::thread::sleep or a check of \
                 std::time::Instant, then a yield), never on Tokio's clock, so Tokio's timer \
                 (and the timeout) never sees time pass. The service must wait on Tokio's \
                 clock at an .await: use tokio::time::sleep"
            )
        } else if longest < BLOCKED && real >= BLOCKED && woken_elsewhere {
            format!(
                "The call was pending for {real:?} of real time while Tokio's paused clock stood \
                 at {elapsed} ms, and it was woken from another thread: the service waits on a \
                 thread of the blocking pool (a std::thread::sleep handed to spawn_blocking; \
                 Tokio's paused clock stands still while a blocking job runs). On a running \
                 clock the timeout would fire, but the pool thread sleeps on after it, busy for \
                 nothing, and on a paused clock (as in these tests) the deadline never comes. The service must \
                 wait on Tokio's clock at an .await: use tokio::time::sleep"
            )
        } else if longest < BLOCKED && real >= BLOCKED {
            format!(
                "The call was pending for {real:?} of real time while Tokio's paused clock stood \
                 at {elapsed} ms, and each of its {polls} polls was quick ({longest:?} at most), \
                 yet it was woken only from this runtime's own thread: between its polls, \
                 something else on this runtime held that thread (a std::thread::sleep in a task \
                 from tokio::spawn blocks the runtime's thread as it does in the service \
                 itself), so neither the clock nor the timeout could move on. The service must \
                 wait on Tokio's clock at an .await: use tokio::time::sleep"
            )
        } else if elapsed == 50 {
            String::from(
                "The service answered at the 50 ms deadline, before its 120 ms were over: it \
                 must wait its whole delay (tokio::time::sleep(delay).await), and the timeout \
                 then gives up at the deadline",
            )
        } else if elapsed > 50 {
            format!(
                "price_or_cached waited {elapsed} ms of Tokio's paused clock for the service's \
                 answer, past the 50 ms deadline, which the story fixes: keep DEADLINE and the \
                 timeout in price_or_cached as they are"
            )
        } else {
            String::from(
                "The timeout never got a chance: the service must wait on Tokio's clock at an \
                 .await (use tokio::time::sleep), not block the thread (std::thread::sleep) or \
                 skip the wait",
            )
        };
        assert_eq!(
            price, CACHED_PRICE,
            "the service needs 120 ms, more than the 50 ms deadline, so the cached price should \
             be used. {why}"
        );
        assert!(
            elapsed == 50,
            "price_or_cached returned the cached price after {elapsed} ms of Tokio's paused \
             clock; it should give up at the 50 ms deadline, which the story fixes: keep DEADLINE and the timeout as \
             they are, and fix the service"
        );
        no_poll_blocked("price_or_cached(120 ms)", longest);
    }

    /// An answer 5 ms too late is too late: the deadline is the story's 50 ms, not one moved
    /// later to let the service through.
    #[tokio::test(start_paused = true)]
    async fn an_answer_after_the_deadline_is_not_waited_for() {
        let start = Instant::now();
        let real = std::time::Instant::now();
        let (price, longest) =
            longest_poll(without_spinning(called("price_or_cached(55 ms)", || {
                price_or_cached(Duration::from_millis(55))
            })))
            .await;
        let (elapsed, real) = (start.elapsed().as_millis(), real.elapsed());
        // Past the deadline on Tokio's clock, the deadline was not kept; before it, with an
        // answer, the service did not wait its 55 ms on Tokio's clock (and if real time made
        // up for it, it waited on the real clock).
        let who = if price == CACHED_PRICE {
            "The cached price came"
        } else {
            "The service answered"
        };
        let why = if elapsed > 50 {
            String::from("Keep DEADLINE at 50 ms, as the story says, and fix the service")
        } else if elapsed < 50 && real.as_millis() + elapsed >= 50 {
            format!(
                "{who} before Tokio's clock reached the deadline, while real time passed: the \
                 call still waits on the real clock (a std::thread::sleep, also one inside \
                 spawn_blocking), which Tokio's clock does not see, so its deadline does not \
                 come. Wait with tokio::time::sleep(delay).await"
            )
        } else if price != CACHED_PRICE {
            String::from(
                "The service answered before its 55 ms were over, on Tokio's clock and on the \
                 real one: it must wait its whole delay, with tokio::time::sleep(delay).await",
            )
        } else {
            String::from(
                "The cached price came before the deadline: keep DEADLINE at 50 ms, as the \
                 story says, and let the service wait its whole delay \
                 (tokio::time::sleep(delay).await)",
            )
        };
        assert_eq!(
            (price, elapsed),
            (CACHED_PRICE, 50),
            "the service answers after 55 ms, past the 50 ms deadline: price_or_cached should \
             give up at 50 ms with the cached price (it gave {price} after {elapsed} ms of \
             Tokio's paused clock and {real:?} of real time). {why}"
        );
        no_poll_blocked("price_or_cached(55 ms)", longest);
    }

    #[tokio::test(start_paused = true)]
    async fn fast_service_answers_in_time() {
        let start = Instant::now();
        let (price, longest) =
            longest_poll(without_spinning(called("price_or_cached(20 ms)", || {
                price_or_cached(Duration::from_millis(20))
            })))
            .await;
        let elapsed = start.elapsed().as_millis();
        assert_eq!(
            price, 120,
            "the service answers in 20 ms, within the deadline: its price should be used"
        );
        assert!(
            elapsed >= 20,
            "the answer came after {elapsed} ms of Tokio time, not 20 ms: the service must \
             still wait, with an async sleep (Tokio's clock does not see a blocking sleep)"
        );
        no_poll_blocked("price_or_cached(20 ms)", longest);
    }

    /// A poll that takes this long on the real clock blocked the thread: polling a future that
    /// only awaits takes microseconds. Tokio's paused clock cannot see a blocked thread.
    const BLOCKED: Duration = Duration::from_millis(75);

    /// Awaits `future` and returns its output with the longest real time one poll of it took.
    async fn longest_poll<F: std::future::Future>(future: F) -> (F::Output, Duration) {
        let (output, polls) = timed_polls(future).await;
        (output, polls.longest)
    }

    /// The real time the polls of a future took: how long it held the thread.
    #[derive(Clone, Copy, Debug, Default)]
    struct Polls {
        count: u32,
        longest: Duration,
        total: Duration,
    }

    /// Awaits `future` and returns its output with the real time its polls took.
    async fn timed_polls<F: std::future::Future>(future: F) -> (F::Output, Polls) {
        let mut future = Box::pin(future);
        let mut polls = Polls::default();
        let output = std::future::poll_fn(|cx| {
            let start = std::time::Instant::now();
            let poll = future.as_mut().poll(cx);
            let took = start.elapsed();
            polls.count += 1;
            polls.longest = polls.longest.max(took);
            polls.total += took;
            poll
        })
        .await;
        (output, polls)
    }

    /// Calls `call` (named `what`) and returns the future it made, but fails if the call
    /// itself, before that future was polled at all, held the thread for BLOCKED or more of
    /// real time. An async fn does nothing until it is polled; a `fn ask_price_service(..) ->
    /// impl Future` may block before it returns its future, where timing the polls cannot see
    /// it, and perhaps only once (in a Once or LazyLock): every test times its first call and
    /// the polls of it, so whichever test calls first sees it.
    fn called<F: std::future::Future>(what: &str, call: impl FnOnce() -> F) -> F {
        let start = std::time::Instant::now();
        let future = call();
        let took = start.elapsed();
        assert!(
            took < BLOCKED,
            "the call {what}, before the future it returns was polled (awaited) at all, held \
             the thread for {} ms of real time: it blocks when it is called (a \
             std::thread::sleep or other blocking work done before the future is returned, \
             perhaps once only, in a Once or LazyLock, which makes other callers wait too). No \
             timeout can step in before it has its future: nothing may block the thread, on \
             the first call or any other. Wait with tokio::time::sleep(delay).await inside the \
             future only",
            took.as_millis()
        );
        future
    }

    /// Fails if one poll of the call `what` held the thread for BLOCKED or more: checked last,
    /// once the answer and Tokio's time are found right.
    fn no_poll_blocked(what: &str, longest: Duration) {
        assert!(
            longest < BLOCKED,
            "one poll of {what} held the thread for {} ms of real time (Tokio's paused clock \
             stands still meanwhile, so the answer and its time may look right): something \
             blocks the thread while it runs, a std::thread::sleep or other blocking work in \
             the service, perhaps only on its first call (in a Once or LazyLock, which makes \
             other callers wait too). No timeout can step in while the thread is held. Wait \
             with tokio::time::sleep(delay).await only",
            longest.as_millis()
        );
    }

    /// Awaits `future`, but fails once it has been polled 1000 times in a row at one instant of
    /// the paused clock. A future that keeps waking itself (a loop around yield_now that reads
    /// the clock) never lets the runtime go idle, so the paused clock never moves on and the
    /// loop would spin until the run is killed: this says so instead.
    async fn without_spinning<F: std::future::Future>(future: F) -> F::Output {
        let mut future = Box::pin(future);
        let mut last = Instant::now();
        let mut polls_at_last = 0;
        // Tokio's own panic for block_in_place on a runtime with one thread, said as it bears
        // on this exercise.
        const ONE_THREAD: &str =
            "can call blocking only when running on the multi-threaded runtime";
        std::future::poll_fn(|cx| {
            let now = Instant::now();
            if now == last {
                polls_at_last += 1;
            } else {
                last = now;
                polls_at_last = 1;
            }
            assert!(
                polls_at_last <= 1000,
                "the price service was polled 1000 times in a row while Tokio's paused clock \
                 stood still: it keeps waking itself up (a loop around yield_now that reads the \
                 clock?). Such a busy task never lets the runtime go idle, so the paused clock \
                 never moves on and it spins for ever (on a real clock it keeps a CPU busy). \
                 Wait with tokio::time::sleep(delay).await, which lets the task sleep until its \
                 time comes"
            );
            let poll =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.as_mut().poll(cx)));
            poll.unwrap_or_else(|panic| {
                let said = (panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                if !said.contains(ONE_THREAD) {
                    std::panic::resume_unwind(panic);
                }
                panic!(
                    "the call panicked with Tokio's {said:?}: tokio::task::block_in_place needs \
                     a multi-threaded runtime, and these tests run on one thread. It would not \
                     keep the deadline anyway: its closure runs inside the service's poll, so \
                     the timeout in price_or_cached cannot step in before the blocking sleep is \
                     over (and a std::thread::sleep handed to spawn_blocking keeps a thread \
                     asleep past the deadline). The service must wait on Tokio's clock at an \
                     .await: use tokio::time::sleep(delay).await"
                )
            })
        })
        .await
    }

    /// On the paused clock, an async sleep takes no real time at all, so the service should
    /// not either: one call takes some microseconds of real time, so a blocking sleep of a
    /// quarter of a ms per call (a short one left beside the async sleep) shows. The fastest
    /// of up to 300 calls is taken: under load, the OS alone can pause a thread for long, but
    /// not during every call. Both a slow service (120 ms, past the deadline) and a fast one
    /// (20 ms, within it) are timed, a very short wait (2 ms), one just short of the deadline
    /// (40 ms), and longer ones (301 ms, 1 s): a wait may not block the thread on any path,
    /// however short or long (a std::thread::sleep kept for delays the other tests do not use
    /// shows here). A long wait may be woken often (a progress message every 10 ms is let
    /// through above), each wake-up costing some real time: for the long ones a tenth of the
    /// delay in real time is quick enough, still far less than a blocking sleep of it. 1 s and
    /// no more: a safety net of a second around the service's sleep (Tokio's timeout lets an
    /// answer due at its very end through) still passes.
    #[test]
    fn the_service_does_not_wait_on_the_real_clock() {
        const QUICK: Duration = Duration::from_micros(250);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        'delays: for delay in [120, 20, 2, 40, 301, 1000] {
            let start = std::time::Instant::now();
            let mut fastest = Duration::MAX;
            // The moments of Tokio's clock the fastest call was woken at: each wake-up of a
            // wait in many short steps costs real time too.
            let mut moments_of_fastest = 0;
            let mut calls = 0;
            // The longest poll of the first call.
            let mut first_longest = Duration::ZERO;
            let what = format!("ask_price_service({delay} ms)");
            let quick = if delay > 200 {
                Duration::from_millis(delay / 10)
            } else {
                QUICK
            };
            while calls < 300 && start.elapsed() < Duration::from_secs(1) {
                let call = std::time::Instant::now();
                let (price, moments, longest) = runtime.block_on(async {
                    let begin = Instant::now();
                    let mut moments: Vec<Duration> = Vec::new();
                    let service = Duration::from_millis(delay);
                    // The first call is timed as a whole, call and polls, as in every test (a
                    // call that blocks once shows in whichever test calls first); the others
                    // are left to the fastest: under load, the OS alone can pause a thread.
                    let mut asking = Box::pin(without_spinning(if calls == 0 {
                        called(&what, || ask_price_service(service))
                    } else {
                        ask_price_service(service)
                    }));
                    let watched = std::future::poll_fn(|cx| {
                        if moments.last() != Some(&begin.elapsed()) {
                            moments.push(begin.elapsed());
                        }
                        asking.as_mut().poll(cx)
                    });
                    let timed =
                        tokio::time::timeout(Duration::from_secs(10), longest_poll(watched));
                    let (price, longest) = match timed.await {
                        Ok((price, longest)) => (Ok(price), longest),
                        Err(elapsed) => (Err(elapsed), Duration::ZERO),
                    };
                    (price, moments.len(), longest)
                });
                if calls == 0 {
                    first_longest = longest;
                }
                if call.elapsed() < fastest {
                    (fastest, moments_of_fastest) = (call.elapsed(), moments);
                }
                calls += 1;
                assert_eq!(
                    price,
                    Ok(120),
                    "ask_price_service({delay} ms) must answer 120 after its {delay} ms"
                );
                if fastest < quick {
                    // Quick calls, but the first may have blocked (once only, in a LazyLock?).
                    no_poll_blocked(&what, first_longest);
                    continue 'delays;
                }
            }
            // As the test above allows: a wake-up every 10 ms, and the first poll.
            let steps = 2 + delay / 10;
            assert!(
                moments_of_fastest <= steps as usize,
                "on a paused clock, where an async sleep takes no real time, a call of \
                 ask_price_service({delay} ms) should take some microseconds of real time, but \
                 the fastest of {calls} calls took {fastest:?}, and it was woken at \
                 {moments_of_fastest} different moments of Tokio's clock ({steps} at most are \
                 allowed): each wake-up costs real time, and so many make a call slow even on \
                 a paused clock (whether it also waits on the real clock, this cannot tell). \
                 tokio::time::sleep wakes the task once, when its time comes: wait with \
                 tokio::time::sleep(delay).await"
            );
            panic!(
                "on a paused clock, where an async sleep takes no real time, a call of \
                 ask_price_service({delay} ms) should take some microseconds of real time, but \
                 the fastest of {calls} calls took {fastest:?}: it still waits on the real clock \
                 somewhere (a std::thread::sleep, even a short one beside the async sleep or \
                 only for some delays, in spawn_blocking, in a thread of its own, or in steps \
                 between awaits), which no timeout can stop. Wait with \
                 tokio::time::sleep(delay).await only, for every delay"
            );
        }
    }

    /// 127 ms and 61 ms, prime numbers of ms, and 200 ms: a loop that checks the clock every
    /// so many ms (or after steps of 1, 2, 4, 8... ms) ends late for one of them. Tokio's timer ends each sleep at the next whole millisecond,
    /// so a wait may end 1 ms late per wake-up (`sleep(delay / 3)` three times: 129 ms).
    #[tokio::test(start_paused = true)]
    async fn the_service_still_takes_its_time() {
        for delay in [127, 61, 200] {
            let start = Instant::now();
            let mut asking = Box::pin(without_spinning(called(
                &format!("ask_price_service({delay} ms)"),
                || ask_price_service(Duration::from_millis(delay)),
            )));
            let (mut last, mut wakeups) = (0, 0);
            let watched = std::future::poll_fn(|cx| {
                let now = start.elapsed().as_millis();
                if now != last {
                    (last, wakeups) = (now, wakeups + 1);
                }
                asking.as_mut().poll(cx)
            });
            let (price, longest) =
                tokio::time::timeout(Duration::from_secs(10), longest_poll(watched))
                    .await
                    .unwrap_or_else(|_| {
                        panic!(
                            "ask_price_service({delay} ms) had not answered after 10 s of Tokio \
                             time: the service must answer 120 once its delay is over, however \
                             long that is (giving up on a slow service is the job of the \
                             timeout in price_or_cached)"
                        )
                    });
            let elapsed = start.elapsed().as_millis();
            assert_eq!(price, 120, "the service answers 120");
            let why = if elapsed == 0 {
                "while Tokio's paused clock did not move at all: the service blocks the thread \
                 (a std::thread::sleep, say) instead of waiting on Tokio's clock. Wait with \
                 tokio::time::sleep(delay).await"
            } else {
                "something in it still blocks the thread, even if it also awaits. Is a \
                 std::thread::sleep left beside the async sleep, or one done on the first call \
                 only (in a Once or LazyLock)? Wait with an async sleep only"
            };
            assert!(
                longest < BLOCKED,
                "one poll of ask_price_service({delay} ms) held the thread for {} ms of real \
                 time, {why}",
                longest.as_millis()
            );
            assert!(
                elapsed > 0,
                "ask_price_service({delay} ms) answered with no time passing on Tokio's paused \
                 clock: it does not wait on Tokio's clock (a wait on the real clock, also one \
                 inside spawn_blocking, does not move it), or its deadline was already past on \
                 Tokio's clock (one taken from the system's clock, std::time::Instant::now() \
                 turned into Tokio's with Instant::from_std: Tokio's paused clock runs ahead of \
                 it at each wait). Wait with tokio::time::sleep(delay).await"
            );
            let delay = u128::from(delay);
            assert!(
                (delay..=delay + wakeups).contains(&elapsed),
                "ask_price_service({delay} ms) answered after {elapsed} ms of Tokio time, woken \
                 {wakeups} times: the service must wait exactly its whole delay (1 ms more per \
                 wake-up at most, Tokio's timer rounding), with an async sleep, whoever calls it \
                 (a loop that checks the clock every 20 or 40 ms ends at the next step after \
                 the delay)"
            );
        }
    }

    /// A sleep wakes its task once, when its time comes: ask_price_service(127 ms) is polled at
    /// 0 ms and at 127 ms. A loop that checks the clock on a short timer is polled at every turn.
    /// Moments are counted, not polls, so a yield_now here and there is free, and a wait in
    /// steps of 10 ms or more (ten sleeps of delay / 10, a progress message every 10 ms) is let
    /// through (2 + 127 / 10 = 14 moments at most). 127 ms is prime, so a loop of longer steps
    /// (20 or 40 ms) that checks the clock overshoots it (the test above).
    #[tokio::test(start_paused = true)]
    async fn the_service_sleeps_instead_of_checking_the_clock() {
        let start = Instant::now();
        let mut moments: Vec<u128> = Vec::new();
        let delay = Duration::from_millis(127);
        let mut asking = Box::pin(without_spinning(called(
            "ask_price_service(127 ms)",
            || ask_price_service(delay),
        )));
        let watched = std::future::poll_fn(|cx| {
            let now = start.elapsed().as_millis();
            if moments.last() != Some(&now) {
                moments.push(now);
            }
            asking.as_mut().poll(cx)
        });
        let (price, longest) = tokio::time::timeout(Duration::from_secs(10), longest_poll(watched))
            .await
            .expect(
                "ask_price_service(127 ms) had not answered after 10 s of Tokio time: the \
                 service must answer 120 once its delay is over, however long that is (giving \
                 up on a slow service is the job of the timeout in price_or_cached)",
            );
        assert_eq!(price, 120, "the service answers 120");
        assert!(
            moments.len() <= 14,
            "ask_price_service(127 ms) was woken at {} different moments of Tokio's clock \
             during its wait (at {:?}{} ms; 14 at most are allowed, as a wait in steps of 10 \
             ms or more makes): it wakes itself up more often than every 10 ms (a timer or \
             sleeps shorter than that). tokio::time::sleep wakes the task once, when its time \
             comes: wait with tokio::time::sleep(delay).await",
            moments.len(),
            &moments[..moments.len().min(16)],
            if moments.len() > 16 { " ..." } else { "" }
        );
        no_poll_blocked("ask_price_service(127 ms)", longest);
    }

    /// Every other test pauses Tokio's clock; in a program (main) it runs in real time. A
    /// service that blocks the thread only when Tokio's clock runs shows here: on runtimes like
    /// main's (multi-threaded) and the tests' (one thread), with their clocks running, on a
    /// thread named main. price_or_cached(120 ms) must give up at the deadline, and
    /// ask_price_service(120 ms) answer after its 120 ms, each call and each poll quick. A
    /// std::thread::sleep(120 ms) takes 120 ms or more, so a blocking poll shows whatever the
    /// load, and a Tokio timer never fires early. The real time of each call and all its polls
    /// is added up too: code that only awaits holds the thread for some microseconds in all,
    /// and blocking sleeps of 50 ms in all take 50 ms or more however they are cut up, so a
    /// service that blocks in pieces (each poll under 75 ms) shows. The try with the least of
    /// it of up to 3 is taken: under load, the OS alone can pause a thread for long, but not
    /// during every call.
    #[test]
    fn the_service_never_blocks_on_a_running_clock() {
        const SLOW: Duration = Duration::from_millis(120);
        const HELD: Duration = Duration::from_millis(50);
        /// What one call gave: its answer, its polls, its real time, and the real time the
        /// call itself and its polls held the thread.
        type Call = (u32, Polls, Duration, Duration);
        for multi_thread in [true, false] {
            let outcome = std::thread::Builder::new()
                .name("main".to_string())
                .spawn(move || {
                    let runtime = if multi_thread {
                        tokio::runtime::Builder::new_multi_thread()
                    } else {
                        tokio::runtime::Builder::new_current_thread()
                    }
                    .enable_all()
                    .build()
                    .unwrap();
                    runtime.block_on(async {
                        // Each try: price_or_cached(120 ms), then ask_price_service(120 ms).
                        let mut tries: Vec<(Call, Call)> = Vec::new();
                        while tries.len() < 3 {
                            let start = std::time::Instant::now();
                            let future =
                                called("price_or_cached(120 ms)", || price_or_cached(SLOW));
                            let call = start.elapsed();
                            let (price, polls) = timed_polls(future).await;
                            let cached = (price, polls, start.elapsed(), call + polls.total);
                            let start = std::time::Instant::now();
                            let future =
                                called("ask_price_service(120 ms)", || ask_price_service(SLOW));
                            let call = start.elapsed();
                            let (price, polls) = timed_polls(future).await;
                            let service = (price, polls, start.elapsed(), call + polls.total);
                            tries.push((cached, service));
                            if cached.3 < HELD && service.3 < HELD {
                                break;
                            }
                        }
                        tries
                    })
                })
                .unwrap()
                .join();
            let tries = outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            let runtime = if multi_thread {
                "on a multi-threaded runtime, as main's,"
            } else {
                "on a runtime with one thread, as the tests',"
            };
            let blocks = "something in the service blocks the thread, a std::thread::sleep or \
                 other blocking work, perhaps only when Tokio's clock is not paused (as in a \
                 program, which never runs on a paused clock) or only on the first call (in a \
                 Once or LazyLock), and no timeout can step in while it runs. Wait with \
                 tokio::time::sleep(delay).await only, on every path";
            // The first try as it was, as in every test (a call that blocks once shows in the
            // first): its answers, and no poll held the thread for BLOCKED or more.
            let ((price, polls, real, _), (answer, service_polls, service_real, _)) = tries[0];
            assert!(
                polls.longest < BLOCKED,
                "{runtime} whose clock runs in real time (every other test pauses Tokio's \
                 clock), one poll of price_or_cached(120 ms) held the thread for {} ms of real \
                 time, and it gave {price} after {real:?}: {blocks}",
                polls.longest.as_millis()
            );
            assert!(
                price == CACHED_PRICE || real >= SLOW,
                "{runtime} whose clock runs in real time (every other test pauses Tokio's \
                 clock), price_or_cached(120 ms) gave {price}, not the cached price, after \
                 {real:?} of real time, before the service's 120 ms were over: the service \
                 answers early when Tokio's clock runs (a wait skipped or cut short when the \
                 clock is not paused?). Wait with tokio::time::sleep(delay).await on every path"
            );
            assert!(
                price != CACHED_PRICE || real >= DEADLINE,
                "{runtime} whose clock runs in real time (every other test pauses Tokio's \
                 clock), price_or_cached(120 ms) gave the cached price after {real:?} of real \
                 time, before the 50 ms deadline: keep DEADLINE and the timeout in \
                 price_or_cached as they are, and fix the service"
            );
            assert!(
                service_polls.longest < BLOCKED,
                "{runtime} whose clock runs in real time (every other test pauses Tokio's \
                 clock), one poll of ask_price_service(120 ms) held the thread for {} ms of \
                 real time: {blocks}",
                service_polls.longest.as_millis()
            );
            assert_eq!(answer, 120, "the service answers 120");
            assert!(
                service_real >= SLOW,
                "{runtime} whose clock runs in real time (every other test pauses Tokio's \
                 clock), ask_price_service(120 ms) answered after {service_real:?} of real \
                 time, before its 120 ms were over: it must wait its whole delay also when \
                 Tokio's clock is not paused (a wait skipped or cut short when the clock runs?). \
                 Wait with tokio::time::sleep(delay).await on every path"
            );
            // The try that held the thread least, in all its polls.
            let (cached, service) = tries
                .iter()
                .min_by_key(|(cached, service)| cached.3.max(service.3))
                .copied()
                .expect("at least one try");
            for (what, (_, polls, _, held)) in [
                ("price_or_cached(120 ms)", cached),
                ("ask_price_service(120 ms)", service),
            ] {
                assert!(
                    held < HELD,
                    "{runtime} whose clock runs in real time (every other test pauses Tokio's \
                     clock), {what} held the thread for {} ms of real time in all, in the best \
                     of {} tries (the call itself and its {} polls, the longest of them {} \
                     ms): the service blocks the thread, a std::thread::sleep or other \
                     blocking work, in one go under 75 ms or in pieces between its awaits \
                     (perhaps only when Tokio's clock is not paused, as in a program, which \
                     never runs on a paused clock), and no timeout can step in while it runs. \
                     Code that only awaits holds the thread for some microseconds. Wait with \
                     tokio::time::sleep(delay).await only, on every path",
                    held.as_millis(),
                    tries.len(),
                    polls.count,
                    polls.longest.as_millis()
                );
            }
        }
    }
}
