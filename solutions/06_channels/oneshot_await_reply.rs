// oneshot_await_reply
//
// A worker task squares numbers for whoever asks. A request carries the number and a `oneshot`
// Sender for the answer; the worker answers each request on its own oneshot channel.
// `ask_square` sends a request and must then wait for the worker's answer, but it does not
// compile: it treats the oneshot Receiver like an mpsc Receiver.
//
// Get the answer out of the oneshot Receiver.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

struct Request {
    n: u64,
    reply: oneshot::Sender<u64>,
}

fn start_worker() -> mpsc::Sender<Request> {
    let (tx, mut rx) = mpsc::channel::<Request>(16);
    tokio::spawn(async move {
        while let Some(request) = rx.recv().await {
            // Squaring is hard work.
            tokio::time::sleep(Duration::from_millis(20)).await;
            // `send` on a oneshot is not async. It fails only if the asker stopped waiting,
            // and then there is nobody left to tell, so we ignore that.
            let _ = request.reply.send(request.n * request.n);
        }
    });
    tx
}

async fn ask_square(worker: &mpsc::Sender<Request>, n: u64) -> u64 {
    let (reply_tx, reply_rx) = oneshot::channel();
    worker
        .send(Request { n, reply: reply_tx })
        .await
        .expect("the worker has stopped");

    // The oneshot Receiver is itself a future: awaiting it gives Ok(value) or Err if the
    // Sender was dropped without sending.
    reply_rx
        .await
        .expect("the worker dropped the request without answering")
}

#[tokio::main]
async fn main() {
    let worker = start_worker();
    println!("9 squared is {}", ask_square(&worker, 9).await);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::sync::mpsc;
    use tokio::time::Instant;

    /// Awaits `future` on the test's paused clock, where waiting for the worker is over at
    /// once in real time, and fails with a message if it has not ended after 1 s of real time.
    async fn in_real_time<T>(future: impl std::future::Future<Output = T>) -> T {
        let (stuck_tx, stuck) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(1));
            let _ = stuck_tx.send(());
        });
        tokio::select! {
            output = future => output,
            _ = stuck => panic!(
                "ask_square had not returned after 1 s of real time, and this test's paused \
                 clock stood still: it waits where Tokio's paused clock cannot move on (a \
                 spawn_blocking task with blocking_recv holds it still). Await the oneshot \
                 Receiver itself: reply_rx.await"
            ),
        }
    }

    /// Calls ask_square, and fails once it has been polled 1000 times in a row at one instant
    /// of the paused clock: a loop that checks the Receiver between `yield_now`s never lets
    /// the clock move, so the worker's 20 ms would never pass.
    async fn ask(worker: &mpsc::Sender<Request>, n: u64) -> u64 {
        let mut asked = std::pin::pin!(ask_square(worker, n));
        let mut at = Instant::now();
        let mut polls = 0u32;
        in_real_time(std::future::poll_fn(|cx| {
            if Instant::now() != at {
                at = Instant::now();
                polls = 0;
            }
            polls += 1;
            assert!(
                polls <= 1000,
                "ask_square({n}) was polled 1000 times in a row while the clock stood still: it \
                 checks the oneshot Receiver in a busy loop (try_recv and yield_now?). Await the \
                 Receiver itself: it wakes ask_square once, when the answer is sent"
            );
            asked.as_mut().poll(cx)
        }))
        .await
    }

    /// Compiles only if a request still carries a oneshot Sender for its answer (an mpsc
    /// channel per request would work, but it is not the lesson).
    #[allow(dead_code)]
    fn the_reply_channel_is_a_oneshot(request: Request) -> tokio::sync::oneshot::Sender<u64> {
        // Keep `reply: oneshot::Sender<u64>` in Request; in ask_square, `reply_rx.await`.
        request.reply
    }

    #[tokio::test(start_paused = true)]
    async fn gets_the_answer() {
        let worker = start_worker();
        assert_eq!(ask(&worker, 7).await, 49, "7 squared is 49");
        assert_eq!(ask(&worker, 0).await, 0, "0 squared is 0");
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_the_worker() {
        let worker = start_worker();
        let start = Instant::now();
        let answer = ask(&worker, 12).await;
        let took = start.elapsed();
        assert_eq!(answer, 144, "12 squared is 144");
        assert!(
            took >= Duration::from_millis(20),
            "the worker needs 20 ms per request, but the answer came after {took:?}"
        );
        assert_eq!(
            took,
            Duration::from_millis(20),
            "the worker sent the answer 20 ms after the request, but ask_square returned it \
             only at {took:?} of the paused clock: it waits longer than the answer takes. \
             Await the oneshot Receiver right after sending the request: it wakes ask_square \
             as soon as the answer is sent"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_answer_is_what_the_worker_sends() {
        // Stand-in workers: each answers after a time of its own (75 ms, then a prime number of
        // milliseconds, so that no timer of a fixed period meets both, then 3 ms, sooner than
        // any guessed pause), with a number of its own choosing. Each stops once it has
        // answered, at the moment its answer arrives: code that races the answer against the
        // worker's end (an unbiased `select!` with `worker.closed()`) picks either at random,
        // so the three run ten times.
        for (delay_ms, base) in [(75u64, 1000u64), (101, 3000), (3, 7000)].repeat(10) {
            let (worker, mut requests) = mpsc::channel::<Request>(1);
            let stand_in = tokio::spawn(async move {
                let request = requests.recv().await.expect("ask_square sent no request");
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                // Ok: the answer was handed over while ask_square's Receiver was still open.
                request.reply.send(base + request.n).is_ok()
            });
            let start = Instant::now();
            let asked = tokio::spawn(async move { ask(&worker, 5).await }).await;
            let elapsed = start.elapsed();
            let answer = match asked {
                Ok(answer) => answer,
                Err(error) => {
                    // The stand-in ends at its answer, unless the paused clock is held still
                    // (then its sleep never ends): waited for a second of real time.
                    let (held_tx, held) = tokio::sync::oneshot::channel::<()>();
                    std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_secs(1));
                        let _ = held_tx.send(());
                    });
                    let before = start.elapsed();
                    let delivered = tokio::select! {
                        delivered = stand_in => delivered.unwrap_or(false),
                        _ = held => {
                            let after = start.elapsed();
                            assert!(
                                after != before,
                                "ask_square failed at {elapsed:?}, before this worker's answer \
                                 (due at {delay_ms} ms): {error}. Then, for a second of real \
                                 time, the test's paused clock stood still at {after:?}, \
                                 although the worker only waits on it: Tokio's paused clock \
                                 moves on only when no task can run and no spawn_blocking job \
                                 is running, so something ask_square started still runs (a \
                                 spawn_blocking job blocked in blocking_recv does this). Await \
                                 the oneshot Receiver itself: reply_rx.await"
                            );
                            panic!(
                                "ask_square failed at {elapsed:?}, before this worker's answer \
                                 (due at {delay_ms} ms): {error}. A second of real time later, \
                                 at {after:?} of the paused clock, the worker had still not \
                                 answered"
                            )
                        }
                    };
                    if delivered {
                        panic!(
                            "this worker answered {} after {delay_ms} ms (its answer was in \
                             the oneshot channel, and the worker stopped right after), but \
                             ask_square failed at {elapsed:?} instead of returning it: \
                             {error}. Once the answer is there, return it, whatever else has \
                             happened since (a race between the answer and the worker's end \
                             can pick either)",
                            base + 5
                        );
                    }
                    panic!(
                        "this worker was to answer {} after {delay_ms} ms, but ask_square \
                         failed at {elapsed:?} before the answer came: {error}",
                        base + 5
                    );
                }
            };
            assert_eq!(
                answer,
                base + 5,
                "this worker answered {} after {delay_ms} ms, but ask_square returned {answer} \
                 after {elapsed:?}: return the value that comes back on the oneshot channel, \
                 whatever it is",
                base + 5
            );
            assert_eq!(
                elapsed,
                Duration::from_millis(delay_ms),
                "the worker answered at {delay_ms} ms, but ask_square returned at {elapsed:?}: \
                 await the oneshot Receiver, it wakes up as soon as the answer is sent (a pause \
                 of a guessed length, or a check on a timer, sees the answer late)"
            );
            let _ = stand_in.await.expect("the stand-in worker panicked");
        }
    }

    /// Returns once the runtime has gone idle (parked, letting the paused clock move on) 25 000
    /// times since it was called, checked every paused minute: an hour of paused time passes
    /// at once for code that only waits (60 checks), while a progress ticker every 40 ms would
    /// need 90 000 wake-ups.
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
    async fn a_late_answer_is_not_made_up() {
        // A stand-in worker with a long queue: it answers after an hour and 7 ms (a prime
        // number of ms, so that no timer of a fixed period meets it), 2000 + n.
        let hour = Duration::from_millis(3_600_007);
        let (worker, mut requests) = mpsc::channel::<Request>(1);
        let stand_in = tokio::spawn(async move {
            let request = requests.recv().await.expect("ask_square sent no request");
            tokio::time::sleep(hour).await;
            let _ = request.reply.send(2000 + request.n);
        });
        // Counts how often ask_square is woken up while it waits; a loop that checks the
        // Receiver on a timer is stopped once it has been woken more than 60 times a second
        // (a progress message every 40 ms makes 25, or 50 with a yield_now after each; a check
        // every 10 ms 100; a slower check sees the answer late, judged below).
        let start = Instant::now();
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let asking = tokio::spawn({
            let seen = std::sync::Arc::clone(&seen);
            async move {
                let mut asked = std::pin::pin!(ask_square(&worker, 8));
                let mut wakeups = 0u32;
                std::future::poll_fn(|cx| {
                    wakeups += 1;
                    seen.store(wakeups, std::sync::atomic::Ordering::SeqCst);
                    // More than 60 wake-ups a second of the paused clock (after the first
                    // 2000), or 200000 in all, is a check on a timer (or on no timer at all).
                    let at = start.elapsed();
                    if wakeups > 200_000
                        || (wakeups > 2000 && f64::from(wakeups) > 60.0 * at.as_secs_f64() + 100.0)
                    {
                        return std::task::Poll::Ready(Err((wakeups, at)));
                    }
                    asked
                        .as_mut()
                        .poll(cx)
                        .map(|answer| Ok((answer, start.elapsed())))
                })
                .await
            }
        });
        // On the paused clock the hour passes at once, or in a stream of timer wake-ups (of
        // ask_square, or of a task of its own that prints progress): a second of real time
        // without one, and with the runtime never going idle to let the clock move on, means
        // that the clock stands still.
        let (stuck_tx, stuck) = tokio::sync::oneshot::channel::<()>();
        let runtime = tokio::runtime::Handle::current();
        let idles = move || {
            let metrics = runtime.metrics();
            (0..metrics.num_workers())
                .map(|worker| metrics.worker_park_count(worker))
                .sum::<u64>()
        };
        std::thread::spawn(move || {
            let mut last = (u32::MAX, u64::MAX);
            while !stuck_tx.is_closed() {
                std::thread::sleep(Duration::from_secs(1));
                let now = (seen.load(std::sync::atomic::Ordering::SeqCst), idles());
                if now == last {
                    let _ = stuck_tx.send(());
                    return;
                }
                last = now;
            }
        });
        let asked = tokio::select! {
            biased;
            asked = asking => asked,
            // A progress ticker in a task of its own (ask_square is not woken by it) makes the
            // hour a long stream of wake-ups: once the runtime has gone idle 25 000 times, the
            // test gives no verdict.
            () = busy_for_long() => return,
            _ = stuck => panic!(
                "ask_square was not woken once in a second of real time, and this test's paused \
                 clock stood still: it waits where Tokio's paused clock cannot move on (a \
                 spawn_blocking task with blocking_recv holds it still). Await the oneshot \
                 Receiver itself: reply_rx.await"
            ),
        };
        // Giving up with a panic after a timeout is allowed; returning a number is not, unless
        // it is the worker's.
        if let Ok(answer) = asked {
            let (answer, took) = answer.unwrap_or_else(|(wakeups, at)| {
                if at.is_zero() {
                    panic!(
                        "while this worker took an hour to answer, ask_square was woken up \
                         {wakeups} times and the paused clock never moved: it checks the \
                         oneshot Receiver in a loop that never sleeps (try_recv and \
                         yield_now?), so the worker's hour never passes. Await the Receiver \
                         itself: it wakes ask_square once, when the answer is sent"
                    )
                }
                panic!(
                    "while this worker took an hour to answer, ask_square was woken up \
                     {wakeups} times in its first {at:?} of waiting, more than 60 times a second \
                     (a progress message every 40 ms needs 25): it is woken on a timer (a check \
                     of the oneshot Receiver with try_recv and a sleep?). Await the Receiver \
                     itself: it wakes ask_square once, when the answer is sent"
                )
            });
            assert_eq!(
                answer, 2008,
                "this worker answered 2008 after an hour, but ask_square returned {answer}: it \
                 stopped waiting and made up an answer. The answer comes from the worker only: \
                 await the oneshot Receiver until the value comes (and if you add a timeout, \
                 fail with a message when it expires, do not return a value of your own)"
            );
            assert_eq!(
                took, hour,
                "this worker answered after {hour:?}, but ask_square returned at {took:?}: it \
                 checks the oneshot Receiver on a timer and saw the answer only at a later \
                 tick. Await the Receiver itself: it wakes ask_square as soon as the answer is \
                 sent"
            );
        }
        stand_in.await.expect("the stand-in worker panicked");
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_days_late_is_not_made_up() {
        // A stand-in worker that answers after 30 days and 7 ms, 5000 + n. A check on a timer
        // is judged above (an hour); here ask_square is only watched for an answer of its own
        // making, so it is left alone once it has been woken 10000 times.
        let late = Duration::from_secs(30 * 24 * 3600) + Duration::from_millis(7);
        let (worker, mut requests) = mpsc::channel::<Request>(1);
        let stand_in = tokio::spawn(async move {
            let request = requests.recv().await.expect("ask_square sent no request");
            tokio::time::sleep(late).await;
            let _ = request.reply.send(5000 + request.n);
        });
        let start = Instant::now();
        let asking = tokio::spawn(async move {
            let mut asked = std::pin::pin!(ask_square(&worker, 3));
            let mut wakeups = 0u32;
            std::future::poll_fn(|cx| {
                wakeups += 1;
                let often = f64::from(wakeups) > 30.0 * start.elapsed().as_secs_f64() + 100.0;
                if wakeups > 10_000 || (wakeups > 2000 && often) {
                    return std::task::Poll::Ready(None);
                }
                asked
                    .as_mut()
                    .poll(cx)
                    .map(|answer| Some((answer, start.elapsed())))
            })
            .await
        });
        // A clock held still (judged above) gets no verdict here either.
        let (stuck_tx, stuck) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(2));
            let _ = stuck_tx.send(());
        });
        let asked = tokio::select! {
            asked = asking => asked,
            _ = stuck => return,
        };
        // A panic (a safety-net timeout) is allowed; a number that is not the worker's is not.
        if let Ok(Some((answer, took))) = asked {
            assert_eq!(
                answer, 5003,
                "this worker answered 5003 after {late:?}, but ask_square returned {answer} \
                 after {took:?}: it stopped waiting and made up an answer. The answer comes \
                 from the worker only: await the oneshot Receiver until the value comes (and if \
                 you add a timeout, fail with a message when it expires, do not return a value \
                 of your own)"
            );
            stand_in.await.expect("the stand-in worker panicked");
        }
    }

    /// Asking again after a time limit puts the same work in the worker's queue twice, and the
    /// worker squares every request it takes, also those whose asker has left: under load the
    /// queue then fills with work that nobody waits for.
    #[tokio::test(start_paused = true)]
    async fn a_slow_worker_is_asked_once() {
        // A stand-in worker that is slow today: it answers after ten minutes and 7 ms (a prime
        // number of ms), 1000 + n, and notes every request that comes in the meantime.
        let slow = Duration::from_millis(600_007);
        let (worker, mut requests) = mpsc::channel::<Request>(16);
        let stand_in = tokio::spawn(async move {
            let first = requests.recv().await.expect("ask_square sent no request");
            let start = Instant::now();
            let answer_time = tokio::time::sleep(slow);
            tokio::pin!(answer_time);
            let mut again = Vec::new();
            loop {
                tokio::select! {
                    () = &mut answer_time => break,
                    request = requests.recv() => match request {
                        Some(request) => again.push((request.n, start.elapsed())),
                        None => break,
                    },
                }
            }
            let _ = first.reply.send(1000 + first.n);
            again
        });
        let asked = tokio::spawn(async move { ask(&worker, 49).await }).await;
        let again = stand_in.await.expect("the stand-in worker panicked");
        if let Some((n, at)) = again.first() {
            panic!(
                "this worker took {slow:?} to answer, and ask_square sent it {} more \
                 request(s) in the meantime (the first, for {n}, {at:?} after the worker took \
                 the request): it stopped waiting for its answer and asked again. The worker \
                 squares every request it takes, also those whose asker has left, so with a \
                 slow worker and many askers its queue fills with work nobody waits for. Send \
                 the request once and await its oneshot Receiver until the answer comes (a \
                 time limit, if you add one, should fail with a message, not ask again)",
                again.len()
            );
        }
        // A panic (a safety-net timeout) is allowed; a number that is not the worker's is not.
        if let Ok(answer) = asked {
            assert_eq!(
                answer, 1049,
                "this worker answered 1049 after {slow:?}, but ask_square returned {answer}: \
                 the answer comes from the worker only"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn each_asker_gets_its_own_answer() {
        let worker = start_worker();
        let (a, b, c) = tokio::join!(ask(&worker, 2), ask(&worker, 3), ask(&worker, 4));
        assert_eq!(
            (a, b, c),
            (4, 9, 16),
            "every request carries its own reply channel, so every asker must get the square \
             of its own number"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_answer_is_not_an_answer() {
        // A stand-in worker that drops the request, and with it the reply Sender, unanswered.
        let (worker, mut requests) = mpsc::channel::<Request>(1);
        let stand_in = tokio::spawn(async move {
            let request = requests.recv().await.expect("ask_square sent no request");
            drop(request);
            requests
        });
        let asking = tokio::spawn(async move { ask(&worker, 6).await });
        // A minute of paused time passes at once if ask_square only waits.
        let asked = tokio::time::timeout(Duration::from_secs(60), asking)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "this worker dropped the request without answering, and ask_square was \
                     still waiting a minute later: an Err from the oneshot Receiver means that no \
                     answer will ever come. Let ask_square fail (expect) with a message that \
                     says so, instead of checking again or asking again"
                )
            });
        match asked {
            Ok(answer) => panic!(
                "this worker dropped the request without answering, yet ask_square returned \
                 {answer}: an Err from the oneshot Receiver means that no answer will ever come. \
                 Do not make one up: let ask_square fail (expect) with a message that says so"
            ),
            Err(error) => assert!(
                error.is_panic(),
                "ask_square was cancelled, not failed: {error}"
            ),
        }
        stand_in.await.expect("the stand-in worker panicked");
    }

    #[tokio::test(start_paused = true)]
    async fn more_askers_than_the_worker_queues() {
        // The worker's channel holds 16 requests; 40 askers ask at once, for numbers small and
        // large: 0, 1001, 2002, ... 38038, and 4294967295 (whose square still fits in a u64).
        // The last ones wait for the worker behind the others' 20 ms each.
        let numbers: Vec<u64> = (0..39u64)
            .map(|i| i * 1001)
            .chain([u64::from(u32::MAX)])
            .collect();
        let worker = start_worker();
        let askers: Vec<_> = numbers
            .iter()
            .map(|&n| {
                let worker = worker.clone();
                tokio::spawn(async move { ask(&worker, n).await })
            })
            .collect();
        let mut answers = Vec::new();
        for asker in askers {
            answers.push(asker.await);
        }
        let failed: Vec<u64> = (0..numbers.len())
            .filter(|&i| answers[i].is_err())
            .map(|i| numbers[i])
            .collect();
        if let Some(first) = answers.iter().position(Result::is_err) {
            let Err(error) = &answers[first] else {
                unreachable!()
            };
            // The askers start in turn: the first 16 find room in the queue, the others find
            // it full until the worker takes a request off it.
            assert!(
                first < 16,
                "the askers for {failed:?} failed, while the first 16 (those that found room in \
                 the worker's queue of 16) got their answers: every asker that failed found the \
                 queue full. A full queue is no error: wait in `send().await` until there is \
                 room. The first failure: {error}"
            );
            panic!(
                "asking for {} squared failed while 40 askers asked at once a worker that \
                 queues 16 requests (the askers for {failed:?} failed): {error}",
                numbers[first]
            );
        }
        for (n, answer) in numbers.into_iter().zip(answers) {
            let answer = answer.expect("checked above");
            assert_eq!(
                answer,
                n * n,
                "the asker for {n} got {answer}, not {n} squared ({}): every asker must get the \
                 worker's answer, however large the number and however long the queue ahead of \
                 it (the worker takes 20 ms a request, one at a time): await the oneshot \
                 Receiver until the answer comes, with no time limit of a guessed length",
                n * n
            );
        }
    }

    /// A task that ask_square starts and leaves running once it has returned (a progress line
    /// on a timer that nothing stops) piles up: a worker asked all day would have thousands of
    /// them. An hour (of the test's paused clock) after three answers, only the worker's own
    /// task may still be alive.
    #[tokio::test(start_paused = true)]
    async fn asking_leaves_no_task_running() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let worker = start_worker();
        let before = metrics.num_alive_tasks();
        for n in [3, 4, 5] {
            let answer = ask(&worker, n).await;
            assert_eq!(
                answer,
                n * n,
                "the asker for {n} got {answer}, not {n} squared"
            );
        }
        tokio::time::advance(Duration::from_secs(3600)).await;
        // Every task that the hour's timers woke runs now.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let left = metrics.num_alive_tasks().saturating_sub(before);
        assert_eq!(
            left, 0,
            "three calls of ask_square returned their answers, and an hour later (of the test's \
             paused clock) {left} task(s) started since were still running: a task that \
             ask_square starts (a progress line while it waits, say) must be over once the \
             answer is in (abort its JoinHandle then: dropping it lets the task run on), or it \
             stays alive for good, and one more piles up with every question the worker is asked"
        );
    }
}
