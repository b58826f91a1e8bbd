// graceful_shutdown
//
// `run_service` starts 3 workers. Each one waits a little for an item, then processes it
// (100 ms), again and again, until the stop signal arrives on a `watch` channel. A graceful
// shutdown sends that signal, lets every worker finish the item it is busy with, and returns
// only once all the workers have exited.
//
// The workers already behave well. But `run_service` returns as soon as it has sent the
// signal, leaving items half done. Make it wait for every worker (and not for a guessed time).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::sleep;

const ITEM_TIME: Duration = Duration::from_millis(100);

#[derive(Default)]
pub struct Stats {
    started: AtomicUsize,
    finished: AtomicUsize,
}

impl Stats {
    pub fn started(&self) -> usize {
        self.started.load(Ordering::SeqCst)
    }

    pub fn finished(&self) -> usize {
        self.finished.load(Ordering::SeqCst)
    }
}

async fn process_item(stats: &Stats) {
    stats.started.fetch_add(1, Ordering::SeqCst);
    sleep(ITEM_TIME).await;
    stats.finished.fetch_add(1, Ordering::SeqCst);
}

async fn worker(id: u64, mut stop: watch::Receiver<bool>, stats: Arc<Stats>) {
    // Each worker waits a different time for its next item, so they do not run in step.
    let idle = Duration::from_millis(10 * (id + 1));
    loop {
        tokio::select! {
            // While idle, a worker leaves as soon as the signal comes (or the sender is gone).
            _ = stop.changed() => return,
            _ = sleep(idle) => {}
        }
        // Once started, an item is always finished: it is not inside the select!.
        process_item(&stats).await;
    }
}

/// Runs the workers for `run_for`, then shuts them down gracefully.
pub async fn run_service(run_for: Duration, stats: Arc<Stats>) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut workers = Vec::new();
    for id in 0..3 {
        let task = worker(id, stop_rx.clone(), Arc::clone(&stats));
        workers.push(tokio::spawn(task));
    }

    sleep(run_for).await;
    stop_tx.send(true).expect("every worker has already left");

    // Graceful: each worker finishes its current item, then exits and its JoinHandle resolves.
    for worker in workers {
        worker.await.expect("a worker panicked");
    }
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::time::Instant;
    use tokio::time::sleep;

    /// Runs `run_service`, and fails once it has been polled 1000 times in a row while the
    /// paused clock stood still, each time giving up with Tokio's budget left: a loop that
    /// checks the workers between `yield_now`s never lets the clock move, so no worker would
    /// ever finish its item. A poll that ends because the budget ran out (a progress ticker
    /// catching up tick by tick after the clock jumped) is counted apart: 30000 of them in a
    /// row fail with a message of their own.
    async fn run_service(run_for: Duration, stats: Arc<Stats>) {
        run_service_spending(run_for, stats, 30_000).await
    }

    /// `run_service`, with at most `spent_max` polls in a row that end with the budget spent.
    async fn run_service_spending(run_for: Duration, stats: Arc<Stats>, spent_max: u32) {
        let mut running = std::pin::pin!(super::run_service(run_for, stats));
        let mut at = Instant::now();
        let (mut in_a_row, mut spent_in_a_row) = (0u32, 0u32);
        let polled = std::future::poll_fn(|cx| {
            if Instant::now() != at {
                at = Instant::now();
                (in_a_row, spent_in_a_row) = (0, 0);
            }
            let polled = running.as_mut().poll(cx);
            if polled.is_pending() {
                if tokio::task::coop::has_budget_remaining() {
                    in_a_row += 1;
                } else {
                    spent_in_a_row += 1;
                }
            }
            assert!(
                in_a_row <= 1000,
                "run_service was polled 1000 times in a row while the clock stood still, and \
                 each time it stopped with Tokio's budget left, to be woken again at once: it \
                 checks whether the workers are done in a loop that wakes itself (yield_now?), \
                 so they never get the time to finish. Await every worker's JoinHandle instead: \
                 it wakes run_service exactly when the worker exits"
            );
            assert!(
                spent_in_a_row <= spent_max,
                "run_service used up Tokio's budget {spent_in_a_row} times in a row while the \
                 clock stood still: it had that much ready at one moment (a timer that goes off \
                 again and again, a ticker catching up tick by tick?). Await every worker's \
                 JoinHandle: it wakes run_service exactly when the worker exits"
            );
            polled
        });
        // A shutdown that never ends is stopped after 30 days of the paused clock (which pass
        // at once when every task only waits).
        let month = Duration::from_secs(30 * 24 * 3600);
        tokio::time::timeout(month, polled)
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "run_service had not returned 30 days (of the test's paused clock, which \
                 passes at once when every task only waits) after it was called, with the stop \
                 signal due after {run_for:?}: it waits for something that never happens. \
                 Await every worker's JoinHandle: it completes the moment the worker exits. \
                 (Waits that never end: `stop_tx.closed()` while run_service itself still holds \
                 a Receiver of the stop channel (stop_rx, or a clone of it); recv() on a \
                 channel whose Sender run_service still holds; a TaskTracker's `wait()` \
                 before its `close()`; a count that never comes)"
                )
            })
    }

    /// What `half_done` items left when run_service returned show, with `alive` workers still
    /// alive then: `waited` is the advice for a run_service that returned before its workers.
    fn half_done_message(half_done: usize, alive: usize, waited: &str) -> String {
        if alive == 0 {
            format!(
                "every worker had exited when run_service returned, yet {half_done} item(s) \
                 were started and never finished: a worker's task ended in the middle of an \
                 item (cut short at the stop signal, or aborted). Once started, an item is \
                 always finished: a worker leaves only when it has no item in progress, and \
                 run_service lets it finish (it awaits the worker's JoinHandle, without abort)"
            )
        } else {
            format!(
                "{half_done} item(s) were still half done when run_service returned, with \
                 {alive} worker(s) still alive: {waited}"
            )
        }
    }

    /// run_service with the stop at `run_for` ms, watched every ms of the paused clock: when
    /// it returned, and when the tasks it started had all ended (None if some were alive when
    /// it returned), in ms from the start. At 1 ms the clock jumps `jump` ms ahead, as in
    /// a_late_worker_is_waited_for.
    async fn when_the_tasks_end(run_for: u64, jump: u64) -> (u128, Option<u128>) {
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        let start = Instant::now();
        let mut gone = None;
        let watch = async {
            loop {
                sleep(Duration::from_millis(1)).await;
                if metrics.num_alive_tasks() <= before {
                    gone.get_or_insert(start.elapsed().as_millis());
                } else {
                    gone = None;
                }
            }
        };
        let jumping = async {
            if jump > 0 {
                sleep(Duration::from_millis(1)).await;
                tokio::time::advance(Duration::from_millis(jump)).await;
            }
            std::future::pending::<()>().await
        };
        tokio::select! {
            () = run_service(Duration::from_millis(run_for), Arc::default()) => {}
            () = watch => {}
            () = jumping => {}
        }
        // Tasks that ended at the very moment run_service returned.
        if gone.is_none() && metrics.num_alive_tasks() <= before {
            gone = Some(start.elapsed().as_millis());
        }
        (start.elapsed().as_millis(), gone)
    }

    /// Why run_service returned at `elapsed` ms, later than `last_end` (when the last item
    /// ended) with the stop at `run_for` ms: the run is done again, watched, to see whether the
    /// workers themselves ended late or run_service waited on after they had. `otherwise` is
    /// the message for the latter.
    async fn late_message(
        run_for: u64,
        jump: u64,
        last_end: u128,
        elapsed: u128,
        otherwise: &str,
    ) -> String {
        match when_the_tasks_end(run_for, jump).await {
            (_, Some(gone)) if gone > last_end + 1 => format!(
                "with the stop signal at {run_for} ms, run_service returned at {elapsed} ms, \
                 while the last item ended at {last_end} ms: the tasks it started ended only at \
                 about {gone} ms (watched every ms), so the workers themselves left late. A \
                 worker must leave as soon as the stop signal has come and it has no item in \
                 progress (whether it was idle then or has just finished its item)"
            ),
            _ => otherwise.to_string(),
        }
    }

    /// Runs `run_service` with the stop at `stop` ms, and returns at how many moments of the
    /// paused clock it was woken from the stop until it returned.
    async fn woken_after_the_stop(stop: u64, stats: Arc<Stats>) -> u32 {
        let start = Instant::now();
        let mut running = std::pin::pin!(run_service(Duration::from_millis(stop), stats));
        let (mut moments, mut last) = (0u32, None);
        std::future::poll_fn(|cx| {
            let now = Instant::now();
            if now - start >= Duration::from_millis(stop) && last != Some(now) {
                (moments, last) = (moments + 1, Some(now));
            }
            running.as_mut().poll(cx)
        })
        .await;
        moments
    }

    /// The message for a run_service that returned at `elapsed` ms, after the last item ended
    /// (at `last_end` ms, with the stop at `stop` ms), with the workers gone in time: told
    /// apart by how often it was woken after the stop (`woken` moments; the stop, 3 workers
    /// leaving and a progress message every 40 ms make at most 6).
    fn late_otherwise(stop: u64, last_end: u128, elapsed: u128, woken: u32) -> String {
        if woken > 6 {
            format!(
                "with the stop signal at {stop} ms the last item ended at {last_end} ms, but \
                 run_service returned at {elapsed} ms, and from the stop on it was woken at \
                 {woken} moments of the paused clock, while only 3 workers left: it checks on \
                 a timer whether the workers are done, and saw the last one go only at its \
                 next check. Await every worker's JoinHandle: it completes the moment the \
                 worker exits"
            )
        } else {
            format!(
                "with the stop signal at {stop} ms the last item ended at {last_end} ms, but \
                 run_service returned at {elapsed} ms: it waited longer than needed (a fixed \
                 time, or a check on a slow timer that saw the last worker go only at its next \
                 check). Wait for the workers themselves (await every worker's JoinHandle): it \
                 completes the moment the worker exits"
            )
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_item_is_left_half_done() {
        let stats = Arc::new(Stats::default());
        run_service(Duration::from_millis(300), Arc::clone(&stats)).await;
        let (started, finished) = (stats.started(), stats.finished());
        let alive = Arc::strong_count(&stats) - 1;
        assert!(
            started > 0,
            "no item was processed at all: the workers must run until the stop signal"
        );
        assert!(
            started == finished,
            "{}",
            half_done_message(
                started - finished,
                alive,
                "wait for every worker to finish before returning"
            )
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_worker_has_exited() {
        let stats = Arc::new(Stats::default());
        run_service(Duration::from_millis(300), Arc::clone(&stats)).await;
        let still_running = Arc::strong_count(&stats) - 1;
        assert_eq!(
            still_running, 0,
            "{still_running} worker(s) were still alive when run_service returned: await the \
             JoinHandle of every worker"
        );
        let started = stats.started();
        sleep(Duration::from_secs(1)).await;
        assert_eq!(
            stats.started(),
            started,
            "workers kept taking new items after the stop signal"
        );
    }

    /// Two services at once, each with its own workers: each call waits for its own workers
    /// only, so a count of running workers kept in a `static`, which both calls share, shows.
    #[tokio::test(start_paused = true)]
    async fn two_services_at_once_each_wait_for_their_own_workers() {
        // The first stops at 300 ms and its last item ends at 390 ms; the second stops at
        // 505 ms and its last item (worker 1's, from 500 ms) ends at 600 ms.
        let start = Instant::now();
        let returned_at = |run_for: u64| async move {
            let stats = Arc::new(Stats::default());
            let service = run_service(Duration::from_millis(run_for), Arc::clone(&stats));
            let returned = match tokio::time::timeout(Duration::from_secs(3600), service).await {
                Ok(()) => format!("{} ms", start.elapsed().as_millis()),
                Err(_) => String::from("never (not within an hour)"),
            };
            let half_done = stats.started() - stats.finished();
            (returned, half_done, Arc::strong_count(&stats) - 1)
        };
        let ((first, first_half, first_alive), (second, second_half, second_alive)) =
            tokio::join!(returned_at(300), returned_at(505));
        for (half_done, alive) in [(first_half, first_alive), (second_half, second_alive)] {
            assert!(
                half_done == 0 || alive > 0,
                "two run_service calls ran at once, stopped at 300 and 505 ms, and returned at \
                 {first} and {second}; {}",
                half_done_message(half_done, alive, "")
            );
        }
        let never = first.starts_with("never") || second.starts_with("never");
        assert!(
            !never,
            "two run_service calls ran at once, stopped at 300 and 505 ms (the last items of \
             their workers end at 390 and 600 ms), and returned at {first} and {second}: a call \
             that never returns waits for something that never happens (a TaskTracker's \
             `wait()` ends only once it is `close()`d). Await every worker's JoinHandle: it \
             completes the moment the worker exits"
        );
        if (first.as_str(), second.as_str()) != ("390 ms", "600 ms")
            && first_half + second_half == 0
        {
            let (_, gone) = when_the_tasks_end(300, 0).await;
            if let Some(gone) = gone.filter(|&gone| gone > 391) {
                panic!(
                    "two run_service calls ran at once, stopped at 300 and 505 ms, and returned \
                     at {first} and {second} (the last items of their workers end at 390 and 600 \
                     ms); run alone with the stop at 300 ms, its tasks ended only at about \
                     {gone} ms (watched every ms), where the last item ends at 390 ms: the \
                     workers themselves leave late. A worker must leave as soon as the stop \
                     signal has come and it has no item in progress"
                );
            }
        }
        assert_eq!(
            (first.as_str(), second.as_str()),
            ("390 ms", "600 ms"),
            "two run_service calls ran at once, stopped at 300 and 505 ms: the first should \
             return at 390 ms, when the last item of its own workers ends, and the second at \
             600 ms, but they returned at {first} and {second}. Each call must wait for its own \
             workers only: await their JoinHandles (a count of running workers kept in a \
             `static` is shared by both calls)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_waits_only_as_long_as_needed() {
        // Worker 0 is busy from 230 to 330 ms, worker 1 from 260 to 360 ms and worker 2 from
        // 290 to 390 ms: after a stop at 300 ms, the last item ends at 390 ms.
        let stats = Arc::new(Stats::default());
        let start = Instant::now();
        let woken = woken_after_the_stop(300, Arc::clone(&stats)).await;
        let elapsed = start.elapsed().as_millis();
        assert_eq!(
            stats.finished(),
            9,
            "each of the 3 workers should have finished 3 items by the end of the shutdown"
        );
        if elapsed > 390 {
            panic!(
                "{}",
                late_message(
                    300,
                    0,
                    390,
                    elapsed,
                    &late_otherwise(300, 390, elapsed, woken)
                )
                .await
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn any_worker_can_be_the_last_one() {
        // (stop at, last item ends at, worker that ends last): a different worker each time.
        for (stop, last_end, last_worker) in [(250, 330, 0), (300, 390, 2), (400, 480, 1)] {
            let stats = Arc::new(Stats::default());
            let start = Instant::now();
            let woken = woken_after_the_stop(stop, Arc::clone(&stats)).await;
            let elapsed = start.elapsed().as_millis();
            let (started, finished) = (stats.started(), stats.finished());
            let alive = Arc::strong_count(&stats) - 1;
            assert!(
                started == finished,
                "with the stop signal at {stop} ms, worker {last_worker} is the last one busy \
                 (until {last_end} ms), and run_service returned at {elapsed} ms: {}",
                half_done_message(
                    started - finished,
                    alive,
                    "wait for every worker, whichever one ends last"
                )
            );
            assert_eq!(
                Arc::strong_count(&stats) - 1,
                0,
                "with the stop signal at {stop} ms, a worker was still alive when run_service \
                 returned: wait for every worker to exit"
            );
            if elapsed > last_end {
                let otherwise = late_otherwise(stop, last_end, elapsed, woken);
                panic!(
                    "{}",
                    late_message(stop, 0, last_end, elapsed, &otherwise).await
                );
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_worker_is_waited_for() {
        // At 1 ms the clock jumps 18 ms ahead, as on a busy machine: worker 0, due at 10 ms,
        // starts its first item at 19 ms and keeps that late beat, so after a stop at 250 ms it
        // is the last one busy, until 339 ms (a time no schedule worked out in advance has,
        // and 89 ms after the stop: no check on a timer of 2 ms or more ends on it).
        let stats = Arc::new(Stats::default());
        let metrics = tokio::runtime::Handle::current().metrics();
        let parks_before = metrics.worker_park_count(0);
        let start = Instant::now();
        let ((elapsed, woken), ()) = tokio::join!(
            async {
                let woken = woken_after_the_stop(250, Arc::clone(&stats)).await;
                (start.elapsed().as_millis(), woken)
            },
            async {
                sleep(Duration::from_millis(1)).await;
                tokio::time::advance(Duration::from_millis(18)).await;
            }
        );
        let parks = metrics.worker_park_count(0) - parks_before;
        let (started, finished) = (stats.started(), stats.finished());
        let alive = Arc::strong_count(&stats) - 1;
        assert!(
            started == finished || alive > 0,
            "worker 0 ran 9 ms late (the clock jumped while it waited), the stop signal went at \
             250 ms, and run_service returned at {elapsed} ms: {}",
            half_done_message(started - finished, alive, "")
        );
        assert_eq!(
            started,
            finished,
            "worker 0 ran 9 ms late (the clock jumped while it waited) and was busy until 339 \
             ms, but run_service returned at {elapsed} ms (the stop signal went at 250 ms) with \
             {} item(s) half done: it returned while a late worker was still running. Wait for \
             EVERY worker's JoinHandle (not only the first one to end; a handle dropped, or a \
             join_all that is never awaited, waits for nothing), without aborting them, and \
             not for a time of your own: a shutdown that works out when the workers should be \
             done breaks as soon as one of them is late",
            started - finished
        );
        assert_eq!(
            Arc::strong_count(&stats) - 1,
            0,
            "a worker was still alive when run_service returned: wait for every worker to exit"
        );
        if elapsed > 339 {
            panic!(
                "worker 0 ran 9 ms late: {}",
                late_message(
                    250,
                    18,
                    339,
                    elapsed,
                    &late_otherwise(250, 339, elapsed, woken)
                )
                .await
            );
        }
        assert!(
            parks <= 100,
            "the runtime had to wake up {parks} times during this run (awaiting the workers \
             needs about 35): run_service checks again and again, on a short timer, whether \
             the workers are done. Await every worker's JoinHandle: it wakes run_service \
             exactly when the worker exits"
        );
    }

    /// Runs run_service with the stop at 300 ms, and jumps Tokio's clock a day ahead at
    /// `jump_at` ms, as on a runtime that was busy for that long: the items due by then and
    /// any timer run_service set for itself (however long) go off together. `busy` tells who
    /// was busy at the jump. A shutdown that gives up after a fixed wait (a timeout or a sleep
    /// shorter than the jump, for all the workers or for each one) returns before the workers
    /// have finished; one that awaits the workers waits for them. A safety net that panics
    /// when it goes off (`timeout(..).expect(..)`) does not return with items half done.
    async fn shutdown_with_a_day_long_jump_at(jump_at: u64, busy: &str) {
        use futures_util::FutureExt;
        let stats = Arc::new(Stats::default());
        let start = Instant::now();
        let (returned, ()) = tokio::join!(
            async {
                // A progress ticker catching up on the day (a poll of run_service that ends
                // with Tokio's budget spent, 500 times in a row) gets no verdict here: the
                // other tests judge it, and catching up tick by tick would take seconds.
                let service =
                    run_service_spending(Duration::from_millis(300), Arc::clone(&stats), 500);
                let outcome = std::panic::AssertUnwindSafe(service).catch_unwind().await;
                // What run_service left when it returned, before anything else ran.
                outcome.map(|()| {
                    let (started, finished) = (stats.started(), stats.finished());
                    let alive = Arc::strong_count(&stats) - 1;
                    (start.elapsed().as_millis(), started, finished, alive)
                })
            },
            async {
                sleep(Duration::from_millis(jump_at)).await;
                tokio::time::advance(Duration::from_secs(24 * 3600)).await;
            }
        );
        let (elapsed, started, finished, alive) = match returned {
            Ok(left) => left,
            // The busy-loop guard's message (a `&str`: it has no arguments) is passed on.
            Err(panic)
                if panic
                    .downcast_ref::<&str>()
                    .is_some_and(|m| m.starts_with("run_service was polled")) =>
            {
                std::panic::resume_unwind(panic)
            }
            // run_service's own safety net went off (it gave up loudly, not with a return), or
            // it was still catching up on the day after 500 polls with the budget spent.
            Err(_) => return,
        };
        let day_ms = 24 * 3600 * 1000;
        let returned_at = if elapsed >= day_ms {
            format!("a day and {} ms", elapsed - day_ms)
        } else {
            format!("{elapsed} ms")
        };
        assert!(
            started == finished || alive > 0,
            "{} ms after the stop signal ({busy}) Tokio's clock jumped a day ahead (as it does \
             for a runtime that was busy), and run_service returned at {returned_at}: {}",
            jump_at - 300,
            half_done_message(started - finished, alive, "")
        );
        let how = if elapsed <= u128::from(jump_at) {
            "before the clock jumped: it did not wait for the workers to finish their items"
        } else {
            "after the jump, without waiting for the workers to finish their items (they were \
             due at the same moment): it stopped waiting after a time of its own (a timeout or \
             a sleep, for all the workers or for each one), or stopped the workers (abort)"
        };
        assert_eq!(
            started,
            finished,
            "{} ms after the stop signal ({busy}) Tokio's clock jumped a day ahead (as it does \
             for a runtime that was busy), and run_service returned at {returned_at} with {} \
             item(s) half done, {how}. Await every worker's JoinHandle, however long it takes (a \
             safety net that panics when it runs out passes; one that returns leaves the items \
             half done)",
            jump_at - 300,
            started - finished
        );
        assert_eq!(
            alive,
            0,
            "Tokio's clock jumped a day ahead {} ms after the stop signal ({busy}), and a \
             worker was still alive when run_service returned at {returned_at}: wait for every \
             worker to exit (await its JoinHandle), however long it takes",
            jump_at - 300
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_shutdown_on_a_busy_runtime_still_waits() {
        // 1 ms after the stop at 300 ms, the clock jumps a day ahead: the workers' items (due
        // at 330, 360 and 390 ms) and any timer run_service set for itself go off together.
        shutdown_with_a_day_long_jump_at(301, "all 3 workers were busy, until 330, 360 and 390 ms")
            .await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_runtime_while_the_last_worker_finishes() {
        // Workers 0 and 1 leave at 330 and 360 ms; at 365 ms, while worker 2 alone is busy
        // (until 390 ms), the clock jumps a day ahead. A wait for worker 2 that gives up on a
        // timer, started when worker 1 left (a timeout per handle, of any length up to a day),
        // goes off in the same jump as worker 2's item.
        shutdown_with_a_day_long_jump_at(
            365,
            "workers 0 and 1 had left at 330 and 360 ms, worker 2 was busy until 390 ms",
        )
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn idle_workers_stop_at_once() {
        // At 5 ms every worker is still waiting for its first item.
        let stats = Arc::new(Stats::default());
        let start = Instant::now();
        run_service(Duration::from_millis(5), Arc::clone(&stats)).await;
        let elapsed = start.elapsed().as_millis();
        let alive = Arc::strong_count(&stats) - 1;
        assert_eq!(
            stats.started(),
            0,
            "a worker started an item after the stop signal"
        );
        assert_eq!(
            alive, 0,
            "every worker was idle at the stop signal (5 ms), and run_service returned at \
             {elapsed} ms while {alive} of them were still alive: it must wait for every worker \
             to exit (await its JoinHandle), also when no item is in progress"
        );
        assert!(
            elapsed <= 5,
            "run_service took {elapsed} ms although every worker was idle at the stop signal"
        );
    }

    /// Runs run_service with the stop at `run_for` ms; with `jump` > 0 Tokio's clock jumps
    /// that far ahead at 1 ms (as on a runtime that was busy), so a stop hours away costs no
    /// more than a short run. Returns, at the moment run_service returned, the items started
    /// and finished and the workers still alive; None when a timer of run_service's own that
    /// went off again and again for the jump (a progress ticker catching up tick by tick), or
    /// a safety net of its own that panics, stopped it: other tests judge those.
    async fn left_at_the_return(run_for: u64, jump: u64) -> Option<(usize, usize, usize)> {
        use futures_util::FutureExt;
        let stats = Arc::new(Stats::default());
        let spent_max = if jump > 0 { 500 } else { 30_000 };
        let (returned, ()) = tokio::join!(
            async {
                let service = run_service_spending(
                    Duration::from_millis(run_for),
                    Arc::clone(&stats),
                    spent_max,
                );
                let outcome = std::panic::AssertUnwindSafe(service).catch_unwind().await;
                outcome.map(|()| {
                    let alive = Arc::strong_count(&stats) - 1;
                    (stats.started(), stats.finished(), alive)
                })
            },
            async {
                if jump > 0 {
                    sleep(Duration::from_millis(1)).await;
                    tokio::time::advance(Duration::from_millis(jump)).await;
                }
            }
        );
        match returned {
            Ok(left) => Some(left),
            // Without a jump, and for the busy-loop guard's message, the panic is passed on.
            Err(panic)
                if jump == 0
                    || panic
                        .downcast_ref::<&str>()
                        .is_some_and(|m| m.starts_with("run_service was polled")) =>
            {
                std::panic::resume_unwind(panic)
            }
            Err(_) => None,
        }
    }

    /// Stops at run lengths no other test uses: 2 ms (every worker still idle), 303 ms (all 3
    /// busy, until 330, 360 and 390 ms) and 2 hours (the clock jumps most of the way at 1 ms;
    /// the workers are busy again at the stop). Whatever `run_for` is, short, odd or long,
    /// run_service returns only once every worker has exited, with no item half done.
    #[tokio::test(start_paused = true)]
    async fn every_run_length_gets_a_graceful_shutdown() {
        let two_hours = 2 * 3600 * 1000;
        for (run_for, jump, told) in [
            (2, 0, "2 ms (every worker idle)"),
            (303, 0, "303 ms (all 3 workers busy)"),
            (
                two_hours,
                two_hours - 400,
                "2 hours (the clock jumped most of the way)",
            ),
        ] {
            let Some((started, finished, alive)) = left_at_the_return(run_for, jump).await else {
                continue;
            };
            assert!(
                started == finished || alive > 0,
                "with the stop signal after {told}: {}",
                half_done_message(started - finished, alive, "")
            );
            assert!(
                started == finished && alive == 0,
                "with the stop signal after {told}, run_service returned with {} item(s) half \
                 done and {alive} worker(s) still alive: it did not wait for its workers. \
                 Whatever `run_for` is (a short run, an odd one, hours), await every worker's \
                 JoinHandle before returning",
                started - finished
            );
        }
    }

    /// A graceful shutdown leaves nothing running: a second after run_service has returned,
    /// every task it started has ended, the workers and any task of its own (a heartbeat, a
    /// progress log, a watchdog), which would otherwise run for as long as the program does.
    #[tokio::test(start_paused = true)]
    async fn nothing_is_left_running_after_the_shutdown() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        let stats = Arc::new(Stats::default());
        run_service(Duration::from_millis(300), Arc::clone(&stats)).await;
        if stats.started() != stats.finished() || Arc::strong_count(&stats) > 1 {
            // Items half done or workers alive: the other tests say what is wrong.
            return;
        }
        sleep(Duration::from_secs(1)).await;
        let left = metrics.num_alive_tasks().saturating_sub(before);
        assert_eq!(
            left, 0,
            "every worker had exited when run_service returned, but {left} other task(s) it \
             started were still running 1 s later: a graceful shutdown leaves nothing behind. \
             Stop every task run_service starts (a heartbeat or progress task too: through the \
             stop signal, a channel or `abort()`) and await its JoinHandle before returning"
        );
    }

    /// A lost wake-up needs another thread at just the wrong moment, so no run can be sure to
    /// show it: this test reads the source. `notify_waiters` wakes only the `Notified` futures
    /// that already exist when it runs, so a `Notified` awaited right where it is made
    /// (`x.notified().await`, or `let n = x.notified(); n.await;`) was made after the count was
    /// last checked, and misses a wake-up that lands in between. Made first, then the count
    /// checked, then awaited (`let n = x.notified(); if done { .. } n.await;`), it misses none.
    #[test]
    fn the_shutdown_cannot_miss_a_wakeup() {
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

        let source = include_str!("graceful_shutdown.rs");
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
            "run_service awaits a Notified made after it checked whether the workers are gone \
             (`.notified().await`, or `let n = ...notified(); n.await;`), beside a \
             `notify_waiters`: notify_waiters wakes only the Notified futures that already \
             exist, so on a multi-thread runtime the last worker can exit between that check \
             and the `notified()`, wake nobody, and leave run_service waiting for ever. Await \
             every worker's JoinHandle: it completes the moment the worker exits (or make the \
             Notified first, then check, then await it)"
        );
    }

    /// A lost update needs two threads at just the wrong moment, so no run can be sure to show
    /// it: this test reads the source. A count read with `load` and written back with `store`
    /// (`let n = alive.load(..); alive.store(n - 1, ..)`) is changed in two steps: two workers
    /// that exit at the same moment on a multi-thread runtime both read the same count, and
    /// one of the two changes is lost. `fetch_sub` / `fetch_add` change it in one step.
    #[test]
    fn a_shared_count_is_changed_in_one_step() {
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

        let source = include_str!("graceful_shutdown.rs");
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
        let called_on = |at: usize, method: &str| {
            at >= 2
                && tokens[at] == method
                && tokens[at - 1] == "."
                && tokens.get(at + 1).is_some_and(|t| t == "(")
        };
        // `NAME.store(...)` of a value that is not fixed, on a NAME that is also read with
        // `NAME.load(...)`.
        let split = (0..tokens.len()).find_map(|at| {
            if !called_on(at, "store") {
                return None;
            }
            let name = tokens[at - 2].as_str();
            // The value stored: the tokens of the first argument.
            let mut depth = 0;
            let mut value = Vec::new();
            for token in &tokens[at + 1..] {
                match token.as_str() {
                    "(" | "[" | "{" => depth += 1,
                    ")" | "," if depth == 1 => break,
                    ")" | "]" | "}" => depth -= 1,
                    _ => {}
                }
                if depth >= 1 && !(depth == 1 && token == "(") {
                    value.push(token.as_str());
                }
            }
            // A fixed value (`store(true, ..)`, `store(0, ..)`) is not worked out from a read.
            let fixed = value.len() == 1
                && (value[0] == "true"
                    || value[0] == "false"
                    || value[0].starts_with(|c: char| c.is_ascii_digit()));
            let worked_out = !fixed;
            let read = (0..tokens.len())
                .any(|other| called_on(other, "load") && tokens[other - 2] == name);
            (worked_out && read).then(|| name.to_string())
        });
        assert!(
            split.is_none(),
            "`{name}` is read with load() and written with store() (a value worked out from \
             the count read): two steps. On a multi-thread runtime two workers that exit at the \
             same moment both read the same count, and one of the two changes is lost: the \
             count never reaches the end, and run_service waits for ever. Change a shared count \
             in one step (`fetch_sub(1, ..)` returns the count before), or await every \
             worker's JoinHandle",
            name = split.unwrap_or_default()
        );
    }
}
