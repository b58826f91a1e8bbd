// abort_background_task
//
// `start_ticker` spawns a background task that bumps a counter every 10 ms, forever.
// `stop_ticker` must stop that task and then wait until it is really gone, returning how the
// task ended (for a cancelled task that is an `Err(JoinError)` whose `is_cancelled()` is true).
//
// Right now `stop_ticker` just waits for a task that never finishes. Note that dropping a
// `JoinHandle` does not stop a task either: the task keeps running, detached.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::task::{JoinError, JoinHandle};

fn start_ticker(ticks: Arc<AtomicU32>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(10)).await;
            ticks.fetch_add(1, Ordering::SeqCst);
        }
    })
}

async fn stop_ticker(handle: JoinHandle<()>) -> Result<(), JoinError> {
    // TODO: ask the task to stop before waiting for it.
    handle.await
}

#[tokio::main]
async fn main() {
    let ticks = Arc::new(AtomicU32::new(0));
    let handle = start_ticker(Arc::clone(&ticks));
    tokio::time::sleep(Duration::from_millis(55)).await;
    let ended = stop_ticker(handle).await;
    println!("{} ticks, then: {ended:?}", ticks.load(Ordering::SeqCst));
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicU32;
    use std::sync::atomic::Ordering;
    use std::time::Duration;
    use tokio::time::{sleep, timeout};

    #[tokio::test(start_paused = true)]
    async fn ticker_stops_for_good() {
        let ticks = Arc::new(AtomicU32::new(0));
        let handle = start_ticker(Arc::clone(&ticks));

        sleep(Duration::from_millis(55)).await;
        let before = ticks.load(Ordering::SeqCst);
        assert_eq!(before, 5, "the ticker should tick 5 times in 55 ms");

        let ticker = handle.id();
        let ended = timeout(Duration::from_secs(1), stop_ticker(handle))
            .await
            .expect(
                "stop_ticker did not return within 1 s: the ticker is still running. \
                 Cancel it with JoinHandle::abort() before awaiting it",
            );
        let at_return = ticks.load(Ordering::SeqCst);
        sleep(Duration::from_millis(100)).await;
        let after = ticks.load(Ordering::SeqCst);
        // A ticker that goes on ticking after stop_ticker returned was never stopped.
        let then = if after == at_return {
            ": stop_ticker let it run on for a while before stopping it".to_string()
        } else {
            format!(
                " and went on after it returned ({after} ticks 100 ms later): stop_ticker \
                 waited a while (a timeout on the handle?) and never stopped it"
            )
        };
        assert_eq!(
            at_return, before,
            "the ticker ticked while stop_ticker ran ({before} -> {at_return} ticks){then}. \
             Call abort() first, then await the handle"
        );

        assert_eq!(
            after, before,
            "the ticker kept ticking after stop_ticker returned ({before} -> {after} ticks): \
             dropping a JoinHandle does not stop its task, abort() does (and a task spawned \
             inside the ticker runs on by itself when the ticker is aborted)"
        );

        let Err(err) = ended else {
            panic!(
                "stop_ticker returned Ok(()): either the ticker's task ended normally, so it \
                 was stopped some other way than abort(), or stop_ticker made up the Ok. Abort \
                 the ticker, and return what awaiting its JoinHandle gives (an Err(JoinError) \
                 whose is_cancelled() is true)"
            );
        };
        assert_eq!(
            err.id(),
            ticker,
            "stop_ticker returned the JoinError of another task ({}), not the ticker's ({ticker}): \
             return what awaiting the ticker's own handle gives you",
            err.id()
        );
        assert!(
            err.is_cancelled(),
            "the ticker should end cancelled, but it ended with: {err}"
        );
    }

    /// One worker thread: Tokio runs the task that was spawned or woken last first, so a
    /// stop_ticker that returns before the ticker's task is gone gets caught here.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn stop_ticker_returns_only_once_the_ticker_is_gone() {
        let test = tokio::spawn(async {
            let ticks = Arc::new(AtomicU32::new(0));
            let handle = start_ticker(Arc::clone(&ticks));
            let ticker = handle.id();
            let own = handle.abort_handle();
            tokio::task::yield_now().await;
            let mut stopping = std::pin::pin!(stop_ticker(handle));
            let mut ended = tokio::select! {
                biased;
                ended = &mut stopping => Some(ended),
                // Plenty of turns for an aborted task to go (it takes one or two), and time
                // for a stop_ticker that pauses a moment before it awaits the handle.
                () = async {
                    for _ in 0..1000 {
                        tokio::task::yield_now().await;
                    }
                    sleep(Duration::from_millis(300)).await;
                } => None,
            };
            // The ticker's task holds one of the two counters until it is gone. Once it is,
            // a stop_ticker that pauses longer still gets up to 1 s in all.
            if ended.is_none() && Arc::strong_count(&ticks) == 1 {
                ended = timeout(Duration::from_millis(700), stopping).await.ok();
            }
            let holders = Arc::strong_count(&ticks);
            // Whether the task whose handle stop_ticker was given was gone by then.
            let own_gone = own.is_finished();
            // Where stop_ticker returned with the ticker still there: an aborted task goes
            // within a turn or two, one that nobody aborted runs on.
            let mut aborted = true;
            if ended.is_some() && holders > 1 {
                for _ in 0..1000 {
                    tokio::task::yield_now().await;
                }
                aborted = Arc::strong_count(&ticks) == 1;
            }
            (ended, holders, own_gone, aborted, ticker)
        });
        let (ended, holders, own_gone, aborted, ticker) = test.await.expect("the test task failed");
        let Some(ended) = ended else {
            panic!(
                "{}",
                if holders == 1 {
                    "the ticker was gone, yet stop_ticker had not returned 1 s later: once \
                     abort() is called, return what awaiting the ticker's JoinHandle gives you"
                } else {
                    "stop_ticker did not return within 1000 turns of the runtime and 300 ms: \
                     the ticker is still running. Cancel it with JoinHandle::abort() before \
                     awaiting it"
                }
            );
        };
        assert!(
            aborted,
            "stop_ticker returned while a task that holds the ticker's counter was still \
             running, and 1000 turns of the runtime later it still was: nothing had stopped \
             it. Dropping a JoinHandle detaches its task, a timeout on the handle only stops \
             the waiting, not the task, and a task spawned inside the ticker runs on by itself \
             when the ticker is aborted. Cancel the ticker with JoinHandle::abort(), then await \
             its JoinHandle, which returns once the task is gone, and return what it gives"
        );
        assert!(
            holders == 1 || !own_gone,
            "stop_ticker returned once the task whose JoinHandle it was given was gone, but \
             another task that holds the ticker's counter was still there (it went away a few \
             turns later): the ticking runs in a task spawned inside the ticker, which is at \
             best only asked to stop (cancelled, not yet gone) when the ticker ends, so it can \
             still tick after stop_ticker has returned. Keep the ticking in the ticker's own \
             task, the one whose JoinHandle stop_ticker aborts and awaits"
        );
        assert_eq!(
            holders, 1,
            "stop_ticker returned while the ticker's task was still there: abort() only asks \
             the task to stop. Then await the ticker's own JoinHandle, which returns once the \
             task is gone, and return what it gives"
        );
        let Err(err) = ended else {
            panic!(
                "stop_ticker returned Ok(()): either the ticker's task ended normally, so it \
                 was stopped some other way than abort(), or stop_ticker made up the Ok. Abort \
                 the ticker, and return what awaiting its JoinHandle gives (an Err(JoinError) \
                 whose is_cancelled() is true)"
            );
        };
        assert_eq!(
            err.id(),
            ticker,
            "stop_ticker returned the JoinError of another task ({}), not the ticker's ({ticker}): \
             return what awaiting the ticker's own handle gives you",
            err.id()
        );
        assert!(
            err.is_cancelled(),
            "the aborted ticker should end as a cancelled task, but it ended with: {err}"
        );
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stop_ticker_waits_for_a_task_that_is_busy_when_aborted() {
        // A task that is in the middle of a step when it is aborted: abort() can only take
        // effect once that step is over, which the test allows only after 1000 yields and
        // 300 ms, so a stop_ticker that gives the task "a moment" to stop and then returns
        // without it is caught. Whatever stop_ticker returns before that step is over is wrong:
        // the task cannot have ended yet.
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        // Held by the busy task until it is gone.
        let alive = Arc::new(());
        let held = Arc::clone(&alive);
        let busy = tokio::spawn(async move {
            let _held = held;
            let _ = started_tx.send(());
            let _ = release_rx.recv();
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        let busy_id = busy.id();
        started_rx.await.expect("the busy task did not start");
        let stopping = stop_ticker(busy);
        tokio::pin!(stopping);
        let early = tokio::select! {
            biased;
            ended = &mut stopping => Some(ended),
            () = async {
                for _ in 0..1000 {
                    tokio::task::yield_now().await;
                }
                sleep(Duration::from_millis(300)).await;
            } => None,
        };
        let _ = release_tx.send(());
        let ended = match early {
            Some(ended) => panic!(
                "here the task was busy in a step when stop_ticker was called, so even abort() \
                 could only stop it once that step was over; stop_ticker returned {ended:?} \
                 before that. Do not give up on a task that has not stopped yet (not after a \
                 sleep, a yield or an is_finished() check either): await its JoinHandle, which \
                 returns once the task is gone"
            ),
            None => timeout(Duration::from_secs(3), stopping).await,
        }
        .expect(
            "stop_ticker did not return within 3 s of the busy task's step being over: it waits \
             for a task that never stops. Cancel it with JoinHandle::abort() before awaiting it",
        );
        let Err(err) = ended else {
            if Arc::strong_count(&alive) == 1 {
                panic!(
                    "here the task was busy in a step when stop_ticker was called; stop_ticker \
                     returned Ok(()) once the step was over, and the task was gone by then, \
                     cancelled: awaiting its JoinHandle gives Err(JoinError) for it. Return what \
                     awaiting the JoinHandle gives you"
                );
            }
            panic!(
                "here the task was busy in a step when stop_ticker was called, so even abort() \
                 could only stop it once that step was over; stop_ticker returned Ok(()) as if \
                 the task had finished, while the task was still there. Do not give up on a \
                 task that has not stopped yet: await its JoinHandle, which returns once the \
                 task is gone"
            );
        };
        assert_eq!(
            err.id(),
            busy_id,
            "stop_ticker returned the JoinError of another task, not the one it was given: \
             return what awaiting that task's own handle gives you"
        );
        assert!(
            err.is_cancelled(),
            "the aborted task should end as a cancelled task, but it ended with: {err}"
        );
    }

    /// Counts the wake-ups of a future polled through [`counted`], passing each one on.
    struct WakeCount {
        wakes: std::sync::atomic::AtomicUsize,
        waker: std::sync::Mutex<Option<std::task::Waker>>,
    }

    impl std::task::Wake for WakeCount {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.wakes.fetch_add(1, Ordering::SeqCst);
            if let Some(waker) = self.waker.lock().unwrap().as_ref() {
                waker.wake_by_ref();
            }
        }
    }

    /// `future`, polled only when it is woken through `count` (as under a plain `.await`), not
    /// each time the caller is: `polled_at` is the count of wake-ups at its last poll (`None`:
    /// it is polled at once).
    fn woken_only<'a, F: std::future::Future + ?Sized>(
        count: &'a Arc<WakeCount>,
        mut future: std::pin::Pin<&'a mut F>,
        mut polled_at: Option<usize>,
    ) -> impl std::future::Future<Output = F::Output> + 'a {
        let own = std::task::Waker::from(Arc::clone(count));
        std::future::poll_fn(move |cx| {
            *count.waker.lock().unwrap() = Some(cx.waker().clone());
            let wakes = count.wakes.load(Ordering::SeqCst);
            if polled_at == Some(wakes) {
                return std::task::Poll::Pending;
            }
            polled_at = Some(wakes);
            future
                .as_mut()
                .poll(&mut std::task::Context::from_waker(&own))
        })
    }

    /// What became of stop_ticker while the task it aborted was held in a step.
    enum Held {
        /// It returned (or panicked: `Err`) before the task could have ended.
        Returned(std::thread::Result<Result<(), JoinError>>),
        /// It was woken at more moments than one per 40 ms, or many times at one moment:
        /// (wake-ups, moments, ms of paused time).
        Spun(usize, u128, u128),
        /// It waited, as it should.
        Waited,
    }

    /// A task held in a step on a runtime of its own (its only worker thread blocked), and
    /// stop_ticker run on a paused clock: while it waits, that clock jumps ahead to the next
    /// timer at once, so the test waits an hour for the task without taking any time. A
    /// stop_ticker that gives up after a timeout of less than an hour (and makes up an
    /// answer) returns during that hour; one that checks is_finished() on a timer or in a loop
    /// is woken far more than once per 40 ms (a progress message on a 40 ms timer is fine); a
    /// limit that fails loudly (panics) is let be.
    #[test]
    fn stop_ticker_waits_an_hour_for_a_busy_task_without_checking_on_it() {
        let other = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("could not build a runtime");
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        // Held by the busy task until it is gone.
        let alive = Arc::new(());
        let held = Arc::clone(&alive);
        let busy = other.spawn(async move {
            let _held = held;
            let _ = started_tx.send(());
            let _ = release_rx.recv();
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        let busy_id = busy.id();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("could not build a runtime");
        // stop_ticker is called once the task is busy in its step (a stop_ticker that
        // aborts as it is called, before its future is awaited, is fine).
        runtime.block_on(async { started_rx.await.expect("the busy task did not start") });
        let mut stopping = std::pin::pin!({
            let _entered = runtime.enter();
            stop_ticker(busy)
        });
        let count = Arc::new(WakeCount {
            wakes: std::sync::atomic::AtomicUsize::new(0),
            waker: std::sync::Mutex::new(None),
        });
        // The wake-ups counted when stop_ticker was last polled.
        let last_polled = std::cell::Cell::new(0);
        let held = runtime.block_on(async {
            let start = tokio::time::Instant::now();
            let own = std::task::Waker::from(Arc::clone(&count));
            // The moments (paused-clock times) it was polled at, and its polls at the last
            // one: a progress message that also yields is polled twice at its moment.
            let (mut moments, mut last, mut at_once) = (0, None, 0);
            let watched = std::future::poll_fn(|cx| {
                *count.waker.lock().unwrap() = Some(cx.waker().clone());
                let wakes = count.wakes.load(Ordering::SeqCst);
                let now = start.elapsed();
                if last == Some(now) {
                    at_once += 1;
                } else {
                    (moments, last, at_once) = (moments + 1, Some(now), 0);
                }
                let ms = now.as_millis();
                if moments > ms / 40 + 10 || at_once > 10 {
                    return std::task::Poll::Ready(Held::Spun(wakes, moments, ms));
                }
                last_polled.set(wakes);
                let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let mut cx = std::task::Context::from_waker(&own);
                    stopping.as_mut().poll(&mut cx)
                }));
                match polled {
                    Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
                    Ok(std::task::Poll::Ready(ended)) => {
                        std::task::Poll::Ready(Held::Returned(Ok(ended)))
                    }
                    Err(panic) => std::task::Poll::Ready(Held::Returned(Err(panic))),
                }
            });
            tokio::select! {
                biased;
                held = watched => held,
                () = sleep(Duration::from_secs(3600)) => Held::Waited,
            }
        });
        let _ = release_tx.send(());
        match held {
            // A limit that panics (a safety net) is let be.
            Held::Returned(Err(_)) => return,
            Held::Returned(Ok(ended)) => panic!(
                "here the task was busy in a step when stop_ticker was called (even abort() \
                 takes effect only once that step is over), and the step lasted an hour (on a \
                 paused clock, so it took no time); stop_ticker returned {ended:?} before \
                 that. Do not give up on a task that has not stopped yet (not after a timeout \
                 either): await its JoinHandle, which returns once the task is gone"
            ),
            Held::Spun(wakes, moments, ms) => panic!(
                "here the task was busy in a step when stop_ticker was called, and stop_ticker \
                 was woken {wakes} times (at {moments} moment(s)) while it waited and the paused \
                 clock moved {ms} ms: \
                 it checks on a timer or in a loop whether the task has ended (awaiting the \
                 JoinHandle is woken once, when the task is gone). Await the handle instead of \
                 checking on it by hand"
            ),
            Held::Waited => {}
        }
        // Now polled only when it is woken, as under a plain `stop_ticker(handle).await`: once
        // the task is gone, its JoinHandle wakes whoever awaits it.
        let ended = runtime.block_on(async {
            tokio::time::resume();
            let woken = woken_only(&count, stopping.as_mut(), Some(last_polled.get()));
            timeout(Duration::from_secs(3), woken).await
        });
        let Ok(ended) = ended else {
            if Arc::strong_count(&alive) > 1 {
                panic!(
                    "stop_ticker did not return within 3 s of the busy task's step being over: \
                     it waits for a task that never stops. Cancel it with JoinHandle::abort() \
                     before awaiting it"
                );
            }
            panic!(
                "here stop_ticker was polled only when it was woken (as under the plain \
                 `stop_ticker(handle).await` in main). The busy task was gone once its step was \
                 over, yet nothing woke stop_ticker within 3 s: it does not wait for the task's \
                 end in a way that wakes it (a poll with a waker of its own making, or none). \
                 After abort(), await the JoinHandle itself: that wakes its caller as soon as \
                 the task is gone"
            );
        };
        let Err(err) = ended else {
            panic!(
                "here the task was busy in a step when stop_ticker was called; stop_ticker \
                 returned Ok(()) as if the task had finished: return what awaiting its \
                 JoinHandle gives you"
            );
        };
        assert_eq!(
            err.id(),
            busy_id,
            "stop_ticker returned the JoinError of another task, not the one it was given: \
             return what awaiting that task's own handle gives you"
        );
        assert!(
            err.is_cancelled(),
            "the aborted task should end as a cancelled task, but it ended with: {err}"
        );
    }

    /// Two tickers at once: stopping the first must stop it there and then, and leave the
    /// second one ticking, every 10 ms, until it is stopped in turn. The first is stopped at
    /// 57 ms, 3 ms before its next tick, so a stop that takes effect a few ms late shows as a
    /// tick while stop_ticker ran.
    #[tokio::test(start_paused = true)]
    async fn stopping_one_ticker_leaves_the_other_running() {
        let first_ticks = Arc::new(AtomicU32::new(0));
        let second_ticks = Arc::new(AtomicU32::new(0));
        let first = start_ticker(Arc::clone(&first_ticks));
        let second = start_ticker(Arc::clone(&second_ticks));
        sleep(Duration::from_millis(57)).await;
        let first_at_call = first_ticks.load(Ordering::SeqCst);
        let called = tokio::time::Instant::now();
        let ended = timeout(Duration::from_secs(1), stop_ticker(first))
            .await
            .expect(
                "stop_ticker did not return within 1 s: the ticker is still running. \
                 Cancel it with JoinHandle::abort() before awaiting it",
            );
        let took = called.elapsed();
        assert!(
            ended.as_ref().is_err_and(JoinError::is_cancelled),
            "the first ticker should end cancelled, but stop_ticker returned {ended:?}"
        );
        let first_at_stop = first_ticks.load(Ordering::SeqCst);
        let second_at_stop = second_ticks.load(Ordering::SeqCst);
        // Not on a tick of the second ticker, whenever stop_ticker returned.
        sleep(Duration::from_millis(105)).await;
        let first_later = first_ticks.load(Ordering::SeqCst);
        let second_later = second_ticks.load(Ordering::SeqCst);
        assert_eq!(
            first_at_stop, first_at_call,
            "two tickers ran; stop_ticker was called for the first at 57 ms (3 ms before its \
             next tick) and returned {took:?} later, and the first ticker ticked while it ran \
             ({first_at_call} -> {first_at_stop} ticks): it was not stopped at once. Call \
             abort() on its JoinHandle first, then await the handle"
        );
        assert_eq!(
            first_later, first_at_stop,
            "two tickers ran; the first went on ticking after stop_ticker returned for it \
             ({first_at_stop} -> {first_later} ticks in the next 105 ms): the ticking comes \
             from a task that was not stopped. Dropping a JoinHandle does not stop its task, \
             abort() does (and a task spawned inside the ticker runs on by itself)"
        );
        assert!(
            second_later >= second_at_stop + 10,
            "two tickers ran; once the first was stopped at 57 ms, the second went from \
             {second_at_stop} to {second_later} ticks in the next 105 ms instead of ticking \
             on every 10 ms (10 more): stopping one ticker must stop that task alone. Abort \
             the JoinHandle you were given, not something every ticker shares"
        );
        let ended = timeout(Duration::from_secs(1), stop_ticker(second))
            .await
            .expect(
                "stop_ticker did not return within 1 s for the second ticker: it is still \
                 running. Cancel it with JoinHandle::abort() before awaiting it",
            );
        assert!(
            ended.as_ref().is_err_and(JoinError::is_cancelled),
            "the second ticker should end cancelled, but stop_ticker returned {ended:?}"
        );
    }

    /// stop_ticker polled only when it is woken, as under the plain `stop_ticker(handle).await`
    /// in main (in the other tests a timer of the test's own polls it again). Once the ticker
    /// is gone, stop_ticker must be woken and return: on the paused clock, at once.
    #[tokio::test(start_paused = true)]
    async fn stop_ticker_is_woken_when_the_ticker_is_gone() {
        let ticks = Arc::new(AtomicU32::new(0));
        let handle = start_ticker(Arc::clone(&ticks));
        let ticker = handle.id();
        sleep(Duration::from_millis(55)).await;
        let at_call = ticks.load(Ordering::SeqCst);
        let called = tokio::time::Instant::now();
        let mut stopping = std::pin::pin!(stop_ticker(handle));
        let count = Arc::new(WakeCount {
            wakes: std::sync::atomic::AtomicUsize::new(0),
            waker: std::sync::Mutex::new(None),
        });
        let mut woken = std::pin::pin!(woken_only(&count, stopping.as_mut(), None));
        let ended = match timeout(Duration::from_secs(1), woken.as_mut()).await {
            Ok(ended) => ended,
            Err(_) if Arc::strong_count(&ticks) > 1 => {
                let by_then = ticks.load(Ordering::SeqCst);
                panic!(
                    "stop_ticker had not returned 1 s after it was called, and the ticker's task \
                     was still there ({by_then} ticks by then, {at_call} when stop_ticker was \
                     called). Cancel it with JoinHandle::abort() before awaiting it"
                );
            }
            Err(_) => {
                // The ticker is gone: does anything ever wake stop_ticker?
                match timeout(Duration::from_secs(3600), woken.as_mut()).await {
                    Ok(_) => panic!(
                        "the ticker's task was gone 1 s after stop_ticker was called, but \
                         stop_ticker returned only {:?} after it was called (paused clock): \
                         something other than the ticker's end woke it. After abort(), await \
                         the JoinHandle: that wakes its caller as soon as the task is gone",
                        called.elapsed()
                    ),
                    Err(_) => panic!(
                        "here stop_ticker was polled only when it was woken (as under the plain \
                         `stop_ticker(handle).await` in main). The ticker's task was gone 1 s \
                         after stop_ticker was called, yet stop_ticker had not returned an hour \
                         later (paused clock): nothing woke it once the ticker was gone, so \
                         awaiting it waits forever. After abort(), await the JoinHandle itself: \
                         that wakes its caller as soon as the task is gone"
                    ),
                }
            }
        };
        let Err(err) = ended else {
            panic!(
                "stop_ticker returned Ok(()): either the ticker's task ended normally, so it \
                 was stopped some other way than abort(), or stop_ticker made up the Ok. Abort \
                 the ticker, and return what awaiting its JoinHandle gives (an Err(JoinError) \
                 whose is_cancelled() is true)"
            );
        };
        assert!(
            err.id() == ticker && err.is_cancelled(),
            "stop_ticker should return the ticker's own JoinError, cancelled, but it returned \
             one for task {} ({err})",
            err.id()
        );
    }

    /// Starts a ticker on a runtime of its own on this thread (paused clock), lets it tick,
    /// stops it with stop_ticker, then shuts the runtime down. Returns how many of the heap
    /// allocations made meanwhile on this thread were never freed, or None where stop_ticker
    /// did not return within 1 s or did not return the ticker's cancelled JoinError (the other
    /// tests say what is wrong then).
    fn allocations_kept_by_a_stopped_ticker() -> Option<i64> {
        let mut stopped = false;
        let kept = allocation_counter::measure(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("could not build a runtime");
            let ended = runtime.block_on(async {
                let ticks = Arc::new(AtomicU32::new(0));
                let handle = start_ticker(Arc::clone(&ticks));
                sleep(Duration::from_millis(25)).await;
                timeout(Duration::from_secs(1), stop_ticker(handle)).await
            });
            drop(runtime);
            stopped = matches!(ended, Ok(Err(ref err)) if err.is_cancelled());
        })
        .count_current;
        stopped.then_some(kept)
    }

    /// A stopped ticker, once its handle has been awaited, is freed for good: its task's memory
    /// (which holds the output for the JoinHandle) is freed when the last of the task and its
    /// JoinHandle goes. A JoinHandle kept alive for ever (`mem::forget`, `ManuallyDrop`,
    /// `Box::leak`, a static) keeps that memory for ever: a leak at every stop, in a program
    /// that starts and stops tickers all day. The first runtime on a thread sets up a few
    /// things for good: the fewest kept of three stops counts.
    #[test]
    fn a_stopped_ticker_leaves_nothing_behind() {
        allocations_kept_by_a_stopped_ticker();
        let Some(kept) = (0..3)
            .map(|_| allocations_kept_by_a_stopped_ticker())
            .collect::<Option<Vec<i64>>>()
            .and_then(|kept| kept.into_iter().min())
        else {
            return;
        };
        assert!(
            kept <= 0,
            "after stop_ticker returned and its runtime was shut down, {kept} heap \
             allocation(s) made on this thread were never freed: the ticker's task stays in \
             memory for as long as its JoinHandle lives, and that handle was kept alive for ever \
             (`mem::forget`, `ManuallyDrop`, `Box::leak`, a static), so every stop leaks. \
             Abort the ticker, await its JoinHandle, and let the handle drop"
        );
    }
}
