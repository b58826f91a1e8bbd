// semaphore_limit
//
// `run_all` starts one task per job. The service behind the jobs accepts at most 3 requests
// at a time, so every task must first get one of the 3 permits of a `Semaphore`. Yet all the
// jobs still run together: the permit does not limit anything.
//
// Make each job keep its permit until it is done, so that at most 3 jobs run at once, while
// 3 still run side by side (10 jobs of 100 ms then take 400 ms: 3 + 3 + 3 + 1).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

const MAX_AT_ONCE: usize = 3;

/// Counts the jobs running right now, and remembers the highest count seen.
#[derive(Default)]
pub struct Gauge {
    running: AtomicUsize,
    peak: AtomicUsize,
}

impl Gauge {
    fn enter(&self) {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
    }

    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// One request to the slow service: 100 ms.
async fn job(id: usize, gauge: &Gauge) -> usize {
    gauge.enter();
    tokio::time::sleep(Duration::from_millis(100)).await;
    gauge.leave();
    id * 10
}

pub async fn run_all(jobs: usize, gauge: Arc<Gauge>) -> Vec<usize> {
    let semaphore = Arc::new(Semaphore::new(MAX_AT_ONCE));
    let mut handles = Vec::new();
    for id in 0..jobs {
        let semaphore = Arc::clone(&semaphore);
        let gauge = Arc::clone(&gauge);
        handles.push(tokio::spawn(async move {
            // A named binding keeps the permit alive until the end of this block.
            let _permit = semaphore.acquire().await.expect("the semaphore was closed");
            job(id, &gauge).await
        }));
    }

    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.expect("a job panicked"));
    }
    results
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::time::Instant;

    /// Runs `run_all`; fails instead of hanging if its jobs are never all done.
    async fn run(jobs: usize, gauge: Arc<Gauge>) -> Vec<usize> {
        finish(jobs, run_all(jobs, gauge)).await
    }

    async fn finish(
        jobs: usize,
        running: impl std::future::Future<Output = Vec<usize>>,
    ) -> Vec<usize> {
        let limit = Duration::from_secs(60);
        match tokio::time::timeout(limit, running).await {
            Ok(results) => results,
            Err(_) => panic!(
                "run_all with {jobs} jobs was not done after {limit:?} (of the test's paused \
                 clock), where 3 jobs at a time need {} ms: some jobs wait for a permit that \
                 never comes back. A permit goes back to the semaphore when it is dropped, so \
                 do not forget() it or keep it after the job; and give each call of run_all a \
                 semaphore of its own (one in a `static` is shared with every other call running \
                 at the same time, here the other tests)",
                jobs.div_ceil(3) * 100
            ),
        }
    }

    /// Runs `run_all` like `run`, and counts the moments of the paused clock at which run_all
    /// itself was polled off the 50 ms beat (jobs end every 100 ms): a progress message on a
    /// timer of run_all's own wakes the runtime then, and is let be up to one per 40 ms.
    /// Waiting jobs that check on a timer wake the runtime while run_all sleeps, or on the
    /// 50 ms beat (to start on time), where a timer of run_all's own must not hide them.
    async fn run_counting_own_moments(jobs: usize, gauge: Arc<Gauge>) -> (Vec<usize>, u32) {
        let start = Instant::now();
        let mut moments = Vec::new();
        let mut running = std::pin::pin!(run_all(jobs, gauge));
        let results = finish(
            jobs,
            std::future::poll_fn(|cx| {
                let now = start.elapsed();
                if moments.last() != Some(&now) {
                    moments.push(now);
                }
                running.as_mut().poll(cx)
            }),
        )
        .await;
        let took = start.elapsed().as_millis();
        let own = moments.iter().filter(|at| at.as_millis() % 50 != 0).count() as u32;
        assert!(
            u128::from(own) <= took / 40,
            "while {jobs} jobs ran ({took} ms), run_all woke up by itself at {own} moments when \
             no job ended (a progress message every 40 ms or more is fine): it checks on the \
             jobs on a timer of its own. Let each job wait in the Semaphore's acquire(), and \
             await the jobs' JoinHandles"
        );
        (results, own)
    }

    #[tokio::test(start_paused = true)]
    async fn every_job_runs_once() {
        let results = run(10, Arc::new(Gauge::default())).await;
        let expected: Vec<usize> = (0..10).map(|id| id * 10).collect();
        assert_eq!(
            results, expected,
            "every job must run exactly once, and the results must come back in job order"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_three_jobs_at_once() {
        let gauge = Arc::new(Gauge::default());
        run(10, Arc::clone(&gauge)).await;
        let peak = gauge.peak();
        assert!(
            peak > 0,
            "no job ran: run_all must run every job (`job(id, &gauge).await`) and return \
             what the jobs return"
        );
        assert!(
            peak <= 3,
            "{peak} jobs ran at the same time, but the limit is 3: each job must hold its \
             permit until it has finished"
        );
        assert!(
            peak != 1,
            "only 1 job ran at a time: up to 3 may run together, so do not wait for one job \
             before starting the next"
        );
        assert!(
            peak == 3,
            "at most {peak} jobs ran at the same time, never 3: the limit is 3, so 3 jobs \
             should run side by side while the others wait (3 + 3 + 3 + 1)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn ten_jobs_take_four_rounds() {
        let gauge = Arc::new(Gauge::default());
        let start = Instant::now();
        run(10, Arc::clone(&gauge)).await;
        let elapsed = start.elapsed().as_millis();
        assert!(
            elapsed >= 400,
            "10 jobs were done after {elapsed} ms: with 3 at a time they need 400 ms, so more \
             than 3 ran together"
        );
        let peak = gauge.peak();
        assert!(
            elapsed == 400 || peak != 2,
            "10 jobs took {elapsed} ms instead of 400 ms, and at most {peak} of them ran at the \
             same time, never 3: the limit is 3, so 3 jobs should run side by side while the \
             others wait (3 + 3 + 3 + 1 rounds of 100 ms)"
        );
        assert!(
            elapsed == 400,
            "10 jobs took {elapsed} ms instead of 400 ms: they should run 3 at a time, and a \
             waiting job should start as soon as a permit is free (not one job after the \
             other, nor after checking again a little later)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_jobs_sleep_until_a_permit_is_free() {
        // Jobs finish at 4 moments (100, 200, 300 and 400 ms). A job waiting in `acquire()`
        // sleeps until a permit is freed; each time the runtime runs out of work it parks.
        let metrics = tokio::runtime::Handle::current().metrics();
        let parks_before = metrics.worker_park_count(0);
        let (_, own) = run_counting_own_moments(10, Arc::new(Gauge::default())).await;
        // Less those of a progress message on a timer of run_all's own (two per moment).
        let wakeups =
            (metrics.worker_park_count(0) - parks_before).saturating_sub(2 * u64::from(own));
        assert!(
            wakeups <= 20,
            "while 10 jobs ran, the runtime had to wake up {wakeups} times, besides run_all's \
             own timer if it has one (a Semaphore needs about 10; a progress timer in run_all \
             every 40 ms is fine, but not one on the 50 ms beat of a re-check): the waiting \
             jobs keep checking again and again whether they may start (or each job hands work \
             to `spawn_blocking`, whose every end wakes the runtime too). Let each job wait in \
             the Semaphore's acquire() and keep its permit until it is done: the waiting job \
             is then woken exactly when a permit is freed"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn few_jobs_all_run_together() {
        let mut longest = Duration::ZERO;
        for id in 0..2 {
            let start = Instant::now();
            job(id, &Gauge::default()).await;
            longest = longest.max(start.elapsed());
        }

        let gauge = Arc::new(Gauge::default());
        let start = Instant::now();
        run(2, Arc::clone(&gauge)).await;
        let elapsed = start.elapsed();
        assert_eq!(
            gauge.peak(),
            2,
            "with only 2 jobs, both should run at once (there are 3 permits)"
        );
        assert_eq!(
            elapsed, longest,
            "2 jobs took {elapsed:?}: with 3 permits they should run side by side and be done \
             when the longer one is ({longest:?})"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn many_waiting_jobs_sleep_until_a_permit_is_free() {
        // 31 jobs: permits are freed at 11 moments, every 100 ms until 1100 ms.
        let metrics = tokio::runtime::Handle::current().metrics();
        let parks_before = metrics.worker_park_count(0);
        let start = Instant::now();
        let (results, own) = run_counting_own_moments(31, Arc::new(Gauge::default())).await;
        // Less those of a progress message on a timer of run_all's own (two per moment).
        let wakeups =
            (metrics.worker_park_count(0) - parks_before).saturating_sub(2 * u64::from(own));
        let elapsed = start.elapsed().as_millis();
        assert_eq!(results.len(), 31, "31 jobs, 31 results");
        assert_eq!(
            elapsed, 1100,
            "31 jobs took {elapsed} ms instead of 1100 ms: run 3 at a time, and start a waiting \
             job as soon as a permit is free"
        );
        assert!(
            wakeups <= 40,
            "while 31 jobs ran, the runtime had to wake up {wakeups} times, besides run_all's \
             own timer if it has one (a Semaphore needs about 25; a progress timer in run_all \
             every 40 ms is fine, but not one on the 50 ms beat of a re-check): the waiting \
             jobs check again and again, on a timer, whether they may start (or each job hands \
             work to `spawn_blocking`, whose every end wakes the runtime too). Let each job wait \
             in the Semaphore's acquire() and keep its permit until it is done: it is then \
             woken exactly when a permit is freed"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_limit_holds_for_a_long_queue() {
        // 70 jobs: the last ones wait 2300 ms for a permit, and all are done at 2400 ms.
        let gauge = Arc::new(Gauge::default());
        let start = Instant::now();
        let results = run(70, Arc::clone(&gauge)).await;
        let elapsed = start.elapsed().as_millis();
        let peak = gauge.peak();
        assert!(
            peak <= 3,
            "{peak} jobs ran at the same time when 70 jobs were queued (the last ones wait 2300 \
             ms for a permit), but the limit is 3 however long a job waits: a job must not \
             start before it holds a permit"
        );
        assert_eq!(
            results,
            (0..70).map(|id| id * 10).collect::<Vec<_>>(),
            "with 70 jobs, every job must run exactly once, and the results must come back in \
             job order"
        );
        assert_eq!(
            elapsed, 2400,
            "70 jobs took {elapsed} ms instead of 2400 ms: run 3 at a time, and start a waiting \
             job as soon as a permit is free"
        );
    }

    /// The limit is the service's, whatever the number of jobs: with 2500 jobs (far more than
    /// the other tests give) 3 still run at a time, in 834 rounds of 100 ms. A time limit of
    /// run_all's own that runs out first (a panic) is let be, as in
    /// the_limit_holds_after_an_hour_of_waiting: then only the limit is checked.
    #[tokio::test(start_paused = true)]
    async fn the_limit_holds_for_a_big_batch() {
        a_batch_of(2500).await;
    }

    /// Numbers of jobs no other test gives: 9 (three full rounds), 120 (a hundred and more)
    /// and 5000 (past a round thousand, twice the big batch). 3 at a time, whatever the number.
    #[tokio::test(start_paused = true)]
    async fn the_limit_holds_for_any_number_of_jobs() {
        for jobs in [9, 120, 5000] {
            a_batch_of(jobs).await;
        }
    }

    /// Runs `jobs` jobs and checks that 3 ran at a time, every one once, in
    /// `jobs.div_ceil(3)` rounds of 100 ms. A time limit of run_all's own that runs out first
    /// (a panic) is let be: then only the limit is checked.
    async fn a_batch_of(jobs: usize) {
        use std::future::poll_fn;
        use std::pin::pin;
        let needed = jobs.div_ceil(3) as u128 * 100;
        let gauge = Arc::new(Gauge::default());
        let start = Instant::now();
        let mut running = pin!(run_all(jobs, Arc::clone(&gauge)));
        let limit = Duration::from_millis(2 * needed as u64);
        let outcome =
            match tokio::time::timeout(limit, poll_fn(|cx| poll_catching(running.as_mut(), cx)))
                .await
            {
                Ok(outcome) => outcome,
                Err(_) => panic!(
                    "run_all with {jobs} jobs was not done after {limit:?} (of the test's paused \
                     clock), where 3 jobs at a time need {needed} ms: some jobs wait for a \
                     permit that never comes back (a semaphore in a `static` is shared with \
                     the other tests' calls: make one per call), or run_all never saw them end"
                ),
            };
        let elapsed = start.elapsed().as_millis();
        let peak = gauge.peak();
        assert!(
            peak <= 3,
            "{peak} jobs ran at the same time when run_all was given {jobs} jobs, but the \
             service takes at most 3 requests at a time, however many jobs there are: {}",
            if peak >= jobs {
                "all of them ran at once, as if none waited for a permit. Give the semaphore its \
                 3 permits (MAX_AT_ONCE) whatever the number of jobs, and let each job hold one \
                 until it is done"
            } else {
                "more than 3 ran, but not all. Give the semaphore its 3 permits (MAX_AT_ONCE) \
                 whatever the number of jobs, and let each job hold one from before it starts \
                 until it is done (one semaphore for all the jobs)"
            }
        );
        assert!(
            peak == 3,
            "at most {peak} jobs ran at the same time when run_all was given {jobs} jobs, never \
             3: the limit is 3 for any number of jobs, so 3 jobs should run side by side while \
             the others wait"
        );
        let Some(results) = outcome else {
            // run_all stopped itself (a time limit of its own ran out): left to the other tests.
            return;
        };
        assert!(
            results.len() == jobs && results.iter().enumerate().all(|(id, &r)| r == id * 10),
            "given {jobs} jobs, run_all returned {} results: every job must run exactly once, \
             and the results must come back in job order, however many jobs there are",
            results.len()
        );
        assert_eq!(
            elapsed,
            needed,
            "{jobs} jobs took {elapsed} ms instead of {needed} ms ({} rounds of 100 ms): 3 jobs \
             at a time, however many there are, and a waiting job starts as soon as a permit is \
             free",
            needed / 100
        );
    }

    #[tokio::test(start_paused = true)]
    async fn run_all_waits_for_its_jobs() {
        use std::future::poll_fn;
        use std::pin::pin;
        use std::sync::atomic::Ordering;
        use std::task::Poll;
        let gauge = Arc::new(Gauge::default());
        let mut running = pin!(run_all(4, Arc::clone(&gauge)));
        // One step of run_all, before any task it spawned may run.
        let mut done = None;
        if let Poll::Ready(results) = poll_fn(|cx| Poll::Ready(running.as_mut().poll(cx))).await {
            done = Some(results);
        }
        // A busy runtime: the jobs only start 600 ms later.
        tokio::time::advance(Duration::from_millis(600)).await;
        let results = match done {
            Some(results) => results,
            None => finish(4, running).await,
        };
        let unfinished = gauge.running.load(Ordering::SeqCst);
        assert_eq!(
            unfinished, 0,
            "run_all returned while {unfinished} of its jobs were still running (they started \
             600 ms late, as on a busy runtime): wait for every job's task (await its JoinHandle) \
             and return what the jobs returned, rather than sleeping as long as they should take"
        );
        assert_eq!(results, [0, 10, 20, 30], "4 jobs, in job order");
        let peak = gauge.peak();
        assert!(
            peak <= 3,
            "{peak} jobs ran at the same time once they could start (600 ms late, as on a busy \
             runtime), but the limit is 3: the limit must hold whatever the clock does. {}",
            over_the_limit(peak, 4)
        );
    }

    /// What a peak over 3 of `jobs` jobs shows: all of them at once, or more than 3 but not all
    /// (permits that come free before the jobs end, on a beat of their own).
    fn over_the_limit(peak: usize, jobs: usize) -> &'static str {
        if peak >= jobs {
            "All the jobs ran at once, as if none waited for a permit. Let each job take a \
             permit of the semaphore and hold it until it is done"
        } else {
            "More than 3 ran, but not all: permits came free while jobs were still running \
             (permits handed out on a timer pile up while the clock runs ahead). Let each job \
             take a permit of the semaphore and hold it until it is done, so that a permit is \
             free only when a job has finished"
        }
    }

    /// Jobs that hold a permit free it only when they end, whatever the clock does. Permits
    /// handed out on a timer (an interval that adds 3 permits every 100 ms) pile up when the
    /// clock jumps, as on a runtime that was busy for 600 ms: the interval then fires every
    /// tick it missed at once.
    #[tokio::test(start_paused = true)]
    async fn the_limit_holds_when_the_clock_jumps() {
        use std::future::poll_fn;
        use std::pin::pin;
        use std::task::Poll;
        let gauge = Arc::new(Gauge::default());
        let mut running = pin!(run_all(10, Arc::clone(&gauge)));
        // run_all's first steps, and its tasks' first steps, at 0 ms.
        let mut done = None;
        if let Poll::Ready(results) = poll_fn(|cx| Poll::Ready(running.as_mut().poll(cx))).await {
            done = Some(results);
        }
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        // Then 600 ms in one go: every timer due by then goes off at once.
        tokio::time::advance(Duration::from_millis(600)).await;
        let results = match done {
            Some(results) => results,
            None => finish(10, running).await,
        };
        assert_eq!(
            results,
            (0..10).map(|id| id * 10).collect::<Vec<_>>(),
            "every job must run exactly once, and the results must come back in job order"
        );
        let peak = gauge.peak();
        assert!(
            peak <= 3,
            "{peak} jobs ran at the same time after Tokio's clock jumped 600 ms ahead (as it \
             does for a runtime that was busy), but the limit is 3 whatever the clock does. {}",
            over_the_limit(peak, 10)
        );
    }

    /// One poll of `fut`, with a panic inside it caught: `Ready(None)` for a panic.
    fn poll_catching<F: std::future::Future>(
        fut: std::pin::Pin<&mut F>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<F::Output>> {
        use std::panic::{AssertUnwindSafe, catch_unwind};
        match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(std::task::Poll::Ready(output)) => std::task::Poll::Ready(Some(output)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(_) => std::task::Poll::Ready(None),
        }
    }

    /// A job waits for a permit as long as it takes. Here Tokio's clock jumps an hour ahead
    /// while 7 of 10 jobs wait for one (as for a runtime that was busy, or a machine that
    /// slept): the limit must still hold. A time limit on the wait is fine if running out of
    /// it stops run_all (a panic, which this test lets be), not if the job then runs anyway.
    #[tokio::test(start_paused = true)]
    async fn the_limit_holds_after_an_hour_of_waiting() {
        use std::future::poll_fn;
        use std::pin::pin;
        use std::task::Poll;
        let gauge = Arc::new(Gauge::default());
        let mut running = pin!(run_all(10, Arc::clone(&gauge)));
        // run_all's first steps, and its tasks' first steps, at 0 ms.
        let first = poll_fn(|cx| Poll::Ready(poll_catching(running.as_mut(), cx))).await;
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        tokio::time::advance(Duration::from_secs(60 * 60)).await;
        let outcome = match first {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => {
                let limit = Duration::from_secs(60);
                let rest = poll_fn(|cx| poll_catching(running.as_mut(), cx));
                match tokio::time::timeout(limit, rest).await {
                    Ok(outcome) => outcome,
                    Err(_) => panic!(
                        "run_all with 10 jobs was not done {limit:?} (of the test's paused \
                         clock) after Tokio's clock had jumped an hour ahead while 7 jobs waited \
                         for a permit, where the jobs left need 300 ms: some jobs never got \
                         a permit, or run_all never saw them end"
                    ),
                }
            }
        };
        // Jobs still running after a panic of run_all may end now.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let peak = gauge.peak();
        assert!(
            peak <= 3,
            "{peak} jobs ran at the same time when Tokio's clock jumped an hour ahead right after \
             10 jobs were started (with 3 permits, 7 of them wait for one that long), but the \
             limit is 3 however long a job waits. {}",
            if peak >= 10 {
                "All the jobs ran at once, as if none waited for a permit. Let each job take a \
                 permit of the semaphore and hold it until it is done"
            } else {
                "More than 3 ran, but not all: after the long wait, jobs ran without a permit \
                 of their own, or permits came free before jobs had ended. Let each job hold a \
                 permit of the semaphore from before it starts until it is done; a time limit \
                 on the wait for a permit is fine if running out of it stops run_all (a \
                 panic), not if the job then runs anyway"
            }
        );
        if let Some(results) = outcome {
            assert_eq!(
                results,
                (0..10).map(|id| id * 10).collect::<Vec<_>>(),
                "when Tokio's clock jumped an hour ahead right after 10 jobs were started (7 of \
                 them wait for a permit that long), run_all returned these results: every job \
                 must run exactly once, however long it waited, and the results must come back \
                 in job order"
            );
        }
    }

    /// `run_all(jobs)` ready to run on another thread when its future may be sent there.
    struct OnAWorker<F>(std::cell::Cell<Option<F>>);

    /// Runs it as a task of a runtime with one worker thread: the worker runs the task spawned
    /// last first (its "LIFO slot"), so the last job takes a permit before the first ones and
    /// ends before most of them. Real time (a paused clock needs a runtime of one thread,
    /// where the jobs start, and end, in id order): 10 jobs of 100 ms, 3 at a time, 400 ms.
    #[allow(dead_code)] // Only one of the two is used, depending on run_all.
    trait RunOnAWorker {
        fn run_on_a_worker(&self) -> Option<Vec<usize>>;
    }

    impl<F> RunOnAWorker for OnAWorker<F>
    where
        F: std::future::Future<Output = Vec<usize>> + Send + 'static,
    {
        fn run_on_a_worker(&self) -> Option<Vec<usize>> {
            let running = self.0.take()?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("the test's runtime could not be built");
            // Far more than the 400 ms the jobs take; a run_all that never ends is left to
            // the other tests (on the paused clock) to tell about.
            let outcome = runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), tokio::spawn(running)).await
            });
            match outcome {
                Ok(Ok(results)) => Some(results),
                Ok(Err(error)) => std::panic::resume_unwind(error.into_panic()),
                Err(_) => None,
            }
        }
    }

    /// A run_all whose future may not be sent to another thread is not run here.
    #[allow(dead_code)] // Only one of the two is used, depending on run_all.
    trait StaysOnItsThread {
        fn run_on_a_worker(&self) -> Option<Vec<usize>>;
    }

    impl<F> StaysOnItsThread for &OnAWorker<F> {
        fn run_on_a_worker(&self) -> Option<Vec<usize>> {
            None
        }
    }

    /// The jobs may end out of id order here (the last one spawned runs first): the results
    /// must still come back in job order.
    #[test]
    fn the_results_keep_job_order_when_jobs_end_out_of_order() {
        let running = OnAWorker(std::cell::Cell::new(Some(run_all(10, Arc::default()))));
        // The `&` picks StaysOnItsThread when run_all's future is not Send (clippy sees only
        // the case at hand).
        #[allow(clippy::needless_borrow)]
        let Some(results) = (&running).run_on_a_worker() else {
            return;
        };
        let expected: Vec<usize> = (0..10).map(|id| id * 10).collect();
        let mut sorted = results.clone();
        sorted.sort_unstable();
        if sorted == expected {
            assert_eq!(
                results, expected,
                "every job ran once, but the results came back as {results:?}, not in job \
                 order. Here (on a runtime with one worker thread, which runs the task spawned \
                 last first) the jobs may take their permits, and end, out of id order; \
                 whatever order they end in, return each job's result at its job's place \
                 (await the handles in job order, or sort the results by job id)"
            );
        }
        assert_eq!(
            results, expected,
            "10 jobs (on a runtime with one worker thread, which runs the task spawned last \
             first): every job must run exactly once, and the results must come back in job \
             order"
        );
    }

    /// One poll of `fut`, handed back as it came out.
    async fn poll_once<F: std::future::Future>(
        mut fut: std::pin::Pin<&mut F>,
    ) -> std::task::Poll<F::Output> {
        std::future::poll_fn(|cx| std::task::Poll::Ready(fut.as_mut().poll(cx))).await
    }

    /// A runtime on a paused clock that runs only one other task between two steps of the
    /// task it drives (`event_interval(1)`), for jobs that start at odd moments.
    fn odd_moments_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .event_interval(1)
            .build()
            .unwrap()
    }

    /// Jobs that start at odd moments: on a busy runtime only one other task runs between two
    /// steps of run_all (event_interval(1)), while the clock moves on by 7 ms, so the jobs
    /// start 7 ms apart and end 7 ms apart. A permit must come free when a job ends, not on a
    /// beat of the code's own (a task that adds 3 permits every 100 ms lets a 4th job start
    /// while the first 3 are still running).
    #[test]
    fn the_limit_holds_when_the_jobs_start_at_odd_moments() {
        use std::pin::pin;
        use std::task::Poll;
        let runtime = odd_moments_runtime();
        let gauge = Arc::new(Gauge::default());
        let results = runtime.block_on(async {
            let mut running = pin!(run_all(10, Arc::clone(&gauge)));
            for _ in 0..300 {
                if let Poll::Ready(results) = poll_once(running.as_mut()).await {
                    return results;
                }
                // Moves the clock at once (the rest of `advance` is a yield, left out).
                let _ = poll_once(pin!(tokio::time::advance(Duration::from_millis(7)))).await;
                // One other task runs, and the timers that are due fire.
                tokio::task::yield_now().await;
            }
            finish(10, running).await
        });
        drop(runtime);
        assert_eq!(
            results,
            (0..10).map(|id| id * 10).collect::<Vec<_>>(),
            "every job must run exactly once, and the results must come back in job order"
        );
        let peak = gauge.peak();
        assert!(
            peak <= 3,
            "{peak} jobs ran at the same time when the jobs started 7 ms apart (as on a busy \
             runtime), but the limit is 3: a permit must come free only when a job has \
             finished. {}",
            over_the_limit(peak, 10)
        );
    }

    /// A freed permit goes at once to a waiting job, whichever job freed it. Here the first 3
    /// jobs start 7 ms apart, as on a busy runtime (as in
    /// the_limit_holds_when_the_jobs_start_at_odd_moments), so they also end 7 ms apart; from
    /// then on the runtime runs as usual, and the test reads every ms how many jobs run. With
    /// each job holding a permit until it ends, the 4th job starts the moment the first one
    /// ends, and 3 jobs run until the last ones have started.
    #[test]
    fn a_freed_permit_is_taken_at_once() {
        use std::pin::pin;
        use std::sync::Mutex;
        use std::sync::atomic::Ordering;
        let runtime = odd_moments_runtime();
        let jobs = 31;
        let gauge = Arc::new(Gauge::default());
        // When the first jobs started, and (ms, jobs running) read every ms after that.
        let mut starts = Vec::new();
        let seen = Arc::new(Mutex::new(Vec::new()));
        runtime.block_on(async {
            let start = Instant::now();
            let mut running = pin!(run_all(jobs, Arc::clone(&gauge)));
            let mut staggered = false;
            for _ in 0..300 {
                if poll_once(running.as_mut()).await.is_ready() {
                    return;
                }
                let now = gauge.running.load(Ordering::SeqCst);
                starts.resize(now.max(starts.len()), start.elapsed().as_millis());
                if now >= 3 {
                    staggered = true;
                    break;
                }
                // Moves the clock at once (the rest of `advance` is a yield, left out).
                let _ = poll_once(pin!(tokio::time::advance(Duration::from_millis(7)))).await;
                // One other task runs, and the timers that are due fire.
                tokio::task::yield_now().await;
            }
            if !staggered {
                // Left to the other tests.
                return;
            }
            let (gauge, seen) = (Arc::clone(&gauge), Arc::clone(&seen));
            let reader = tokio::spawn(async move {
                loop {
                    let now = gauge.running.load(Ordering::SeqCst);
                    seen.lock()
                        .unwrap()
                        .push((start.elapsed().as_millis(), now));
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            });
            finish(jobs, running).await;
            reader.abort();
        });
        drop(runtime);
        let seen = seen.lock().unwrap().clone();
        // Fewer than 3 jobs running at two reads in a row (a free permit left free for a ms or
        // more), and more running later (so a job was waiting all along).
        let gap = seen.windows(2).enumerate().find_map(|(at, pair)| {
            let [(from, first), (_, second)] = [pair[0], pair[1]];
            let (again, more) = seen[at + 2..].iter().find(|(_, n)| *n > second)?;
            (first < 3 && second < 3).then_some((from, first, *again, *more))
        });
        if let Some((from, first, again, more)) = gap {
            let counts: Vec<String> = seen
                .iter()
                .filter(|(ms, _)| (from..again).contains(ms))
                .map(|(_, n)| n.to_string())
                .collect::<Vec<_>>()
                .chunk_by(|a, b| a == b)
                .map(|run| format!("{} for {} ms", run[0], run.len()))
                .collect();
            panic!(
                "the first 3 jobs started at {starts:?} ms (7 ms apart, as on a busy runtime), \
                 and each job takes 100 ms. From {from} ms only {first} job(s) ran ({}), and at \
                 {again} ms {more} ran again: a permit stood free while jobs were waiting to \
                 start. A waiting job must start the moment any running job ends and frees its \
                 permit, whether or not the jobs that started with that one have ended (start \
                 every job as its own task that waits in acquire() and holds its permit until it \
                 is done)",
                counts.join(", then ")
            );
        }
    }

    /// `code` with the inside of each raw string literal (`r"C:\"`, `r#"a "quoted" word"#`,
    /// `br#"..."#`) made plain: its `"` and `\` turned into spaces (same length), so that the
    /// code that reads strings as `"..."` with `\` escapes finds where each one ends. Comments,
    /// other string literals and char literals are left as they are.
    fn raw_strings_plain(code: &str) -> String {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let chars: Vec<char> = code.chars().collect();
        let mut out = String::with_capacity(code.len());
        let mut i = 0;
        while i < chars.len() {
            let next = chars.get(i + 1).copied();
            let after = |j: usize| chars.get(j).copied();
            // Where the comment, literal or single char at `i` ends.
            let end = match chars[i] {
                '/' if next == Some('/') => (i..chars.len())
                    .find(|&j| chars[j] == '\n')
                    .unwrap_or(chars.len()),
                '/' if next == Some('*') => {
                    let (mut depth, mut j) = (0, i);
                    while j < chars.len() {
                        match (chars[j], after(j + 1)) {
                            ('/', Some('*')) => (depth, j) = (depth + 1, j + 2),
                            ('*', Some('/')) => (depth, j) = (depth - 1, j + 2),
                            _ => j += 1,
                        }
                        if depth == 0 {
                            break;
                        }
                    }
                    j
                }
                '"' => {
                    let mut j = i + 1;
                    while j < chars.len() && chars[j] != '"' {
                        j += if chars[j] == '\\' { 2 } else { 1 };
                    }
                    (j + 1).min(chars.len())
                }
                // A char literal ('"', '\''), not a lifetime.
                '\'' if next == Some('\\') || after(i + 2) == Some('\'') => {
                    let from = if next == Some('\\') { i + 3 } else { i + 2 };
                    (from..chars.len())
                        .find(|&j| chars[j] == '\'')
                        .map_or(chars.len(), |j| j + 1)
                }
                'r' if (i == 0 || !ident(chars[i - 1]))
                    || (matches!(chars[i - 1], 'b' | 'c') && (i < 2 || !ident(chars[i - 2]))) =>
                {
                    let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
                    if after(i + 1 + hashes) != Some('"') {
                        out.push('r');
                        i += 1;
                        continue;
                    }
                    // A raw string: it ends at a `"` followed by as many `#`s, with no escapes.
                    let body = i + hashes + 2;
                    let close = (body..chars.len())
                        .find(|&j| {
                            chars[j] == '"'
                                && chars[j + 1..].iter().take_while(|&&c| c == '#').count()
                                    >= hashes
                        })
                        .unwrap_or(chars.len());
                    out.extend(&chars[i..body]);
                    for &c in &chars[body..close] {
                        out.push(if c == '"' || c == '\\' { ' ' } else { c });
                    }
                    let end = (close + 1 + hashes).min(chars.len());
                    out.extend(&chars[close.min(end)..end]);
                    i = end;
                    continue;
                }
                _ => i + 1,
            };
            out.extend(&chars[i..end]);
            i = end;
        }
        out
    }

    /// `code` with the text of its string literals taken out, so that a message
    /// (`println!("{done}% done")`) does not count as code; comments stay as they are.
    fn without_string_literals(code: &str) -> String {
        // A `"` inside a raw string (`r#"a "b" c"#`) does not end it.
        let code = &raw_strings_plain(code);
        let mut out = String::new();
        let mut chars = code.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            match c {
                '/' if chars.peek() == Some(&'/') => {
                    for c in chars.by_ref() {
                        out.push(c);
                        if c == '\n' {
                            break;
                        }
                    }
                }
                '/' if chars.peek() == Some(&'*') => {
                    // A block comment (which may nest): a `"` or a `//` in it starts nothing.
                    let mut depth = 1;
                    out.extend(chars.next());
                    while let Some(c) = chars.next() {
                        out.push(c);
                        match (c, chars.peek()) {
                            ('/', Some('*')) => {
                                out.extend(chars.next());
                                depth += 1;
                            }
                            ('*', Some('/')) => {
                                out.extend(chars.next());
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                }
                // A char literal: '"' or an escaped one ('\"', '\\', '\'').
                '\'' if matches!(chars.peek(), Some('"' | '\\')) => {
                    let c = chars.next();
                    out.extend(c);
                    if c == Some('\\') {
                        out.extend(chars.next());
                    }
                }
                '"' => {
                    while let Some(c) = chars.next() {
                        if c == '\\' {
                            chars.next();
                        } else if c == '"' {
                            out.push(c);
                            break;
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// `code` without its comments: `// ...` to the end of its line, and `/* ... */` (which may
    /// nest), each taken where it starts, so that a `//` inside a block comment (a URL) ends
    /// nothing and hides no code after it.
    fn without_comments(code: &str) -> String {
        let mut out = String::new();
        let mut depth = 0;
        let mut rest = code;
        while let Some(c) = rest.chars().next() {
            if rest.starts_with("/*") {
                depth += 1;
                rest = &rest[2..];
            } else if depth > 0 && rest.starts_with("*/") {
                depth -= 1;
                rest = &rest[2..];
                // A comment parts tokens as a space does.
                if depth == 0 {
                    out.push(' ');
                }
            } else if depth == 0 && rest.starts_with("//") {
                rest = &rest[rest.find('\n').unwrap_or(rest.len())..];
            } else {
                if depth == 0 {
                    out.push(c);
                }
                rest = &rest[c.len_utf8()..];
            }
        }
        out
    }

    /// `code` without the arguments of its `assert!`-like macros and of `Duration::from_..`:
    /// a check of a job's result (`debug_assert_eq!(result, id * 10)`) or a time limit
    /// (`Duration::from_secs(jobs as u64 * 10)`) writes no result down.
    fn without_asserts(code: &str) -> String {
        let code = code.replace("Duration::from_", "assert_duration!");
        let mut out = String::new();
        let mut rest = code.as_str();
        while let Some(at) = rest.find("assert") {
            let (before, after) = rest.split_at(at);
            out.push_str(before);
            let name_end = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let macro_call = after[name_end..].trim_start().starts_with('!');
            let open = after.find('(');
            let (Some(open), true) = (open, macro_call) else {
                out.push_str(&after[..name_end]);
                rest = &after[name_end..];
                continue;
            };
            let mut depth = 0;
            let mut end = after.len();
            for (i, c) in after[open..].char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            rest = &after[end..];
        }
        out + rest
    }

    /// The code above the tests without comments, string literals, `fn main` (a demo there
    /// is free) and the learner's own tests (see `without_own_tests`).
    fn code_outside_main(source: &str) -> String {
        without_own_tests(&code_without_main(source))
    }

    /// `code` (without comments and string text) without the learner's own tests: a
    /// `#[cfg(test)] mod NAME { ... }` that nothing else names, and a `#[test]` or
    /// `#[tokio::test]` fn that nothing else names. Such tests may write down the results they
    /// expect (`(0..5).map(|id| id * 10)`) or cut them into rounds to check them, and are not
    /// what run_all does. A module with an `impl` or a `macro_rules!` stays: it may serve the
    /// code above without being named.
    fn without_own_tests(code: &str) -> String {
        let chars: Vec<(usize, char)> = code.char_indices().collect();
        // The top-level items: each ends at a `;` or a `}` outside any bracket (a bracket in a
        // char literal, `'{'`, counts for nothing).
        let mut items: Vec<(usize, usize)> = Vec::new();
        let (mut depth, mut start) = (0i32, 0);
        for (k, &(i, c)) in chars.iter().enumerate() {
            let quoted = k > 0
                && chars[k - 1].1 == '\''
                && chars.get(k + 1).is_some_and(|&(_, c)| c == '\'');
            match c {
                '{' | '(' | '[' if !quoted => depth += 1,
                '}' | ')' | ']' if !quoted => depth -= 1,
                _ => {}
            }
            if depth == 0 && (c == ';' || c == '}') && !quoted {
                items.push((start, i + 1));
                start = i + 1;
            }
        }
        items.push((start, code.len()));
        let words = |(from, to): (usize, usize)| words_of(&code[from..to]);
        let own_test = |k: usize| {
            let (from, to) = items[k];
            let all = words((from, to));
            // What stands before the item's body: its attributes, `mod NAME`, `fn NAME(..)`.
            let head = code[from..to].split('{').next().unwrap_or_default();
            let head_words = words_of(head);
            let head: String = head.chars().filter(|c| !c.is_whitespace()).collect();
            let (kind, name) = if head.contains("#[cfg(test)]") && head_words.contains(&"mod") {
                ("mod", all.iter().skip_while(|&&word| word != "mod").nth(1))
            } else if (head.contains("#[test]")
                || head.contains("#[tokio::test]")
                || head.contains("#[tokio::test("))
                && head_words.contains(&"fn")
            {
                ("fn", all.iter().skip_while(|&&word| word != "fn").nth(1))
            } else {
                return false;
            };
            !(kind == "mod" && (all.contains(&"impl") || all.contains(&"macro_rules")))
                && name.is_some_and(|name| {
                    (0..items.len()).all(|j| j == k || !words(items[j]).contains(name))
                })
        };
        (0..items.len())
            .filter(|&k| !own_test(k))
            .map(|k| &code[items[k].0..items[k].1])
            .collect()
    }

    /// The code above the tests without comments, string literals and `fn main`.
    fn code_without_main(source: &str) -> String {
        let code = without_comments(&without_string_literals(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        ));
        // `fn main(`, also written `fn main (`.
        let Some(at) = code.match_indices("main").map(|(at, _)| at).find(|&at| {
            code[..at].ends_with(char::is_whitespace)
                && code[..at].trim_end().ends_with("fn")
                && code[at + 4..].trim_start().starts_with('(')
        }) else {
            return code;
        };
        let Some(open) = code[at..].find('{') else {
            return code;
        };
        let mut depth = 0;
        for (i, c) in code[at + open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    // An `impl` in main is seen outside it too: such a main stays.
                    let has_impl = code[at..at + open + i]
                        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .any(|word| word == "impl");
                    if depth == 0 && !has_impl {
                        return format!("{}{}", &code[..at], &code[at + open + i + 1..]);
                    } else if depth == 0 {
                        return code;
                    }
                }
                _ => {}
            }
        }
        code
    }

    /// The names that stand for the batch size 3 in `code`: `MAX_AT_ONCE`, and any `const`,
    /// `static` or `let` bound to 3 or to such a name (`let size = MAX_AT_ONCE;`).
    fn names_of_three(code: &str) -> Vec<String> {
        let mut names = vec!["MAX_AT_ONCE".to_string()];
        loop {
            let before = names.len();
            for statement in code.split([';', '{', '}']) {
                let Some((head, value)) = statement.split_once('=') else {
                    continue;
                };
                let words: Vec<&str> = head
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .filter(|w| !w.is_empty())
                    .collect();
                let binds = matches!(words.first(), Some(&("const" | "static" | "let")));
                let name = words
                    .iter()
                    .find(|w| !matches!(**w, "const" | "static" | "let" | "mut"));
                if let (true, Some(name)) = (binds, name)
                    && !value.starts_with(['=', '>'])
                    && is_three(value.trim(), &names)
                    && !names.iter().any(|n| n == name)
                {
                    names.push(name.to_string());
                }
            }
            if names.len() == before {
                return names;
            }
        }
    }

    /// The value of `token` when it is an integer literal alone: `10`, `1_0`, `0xA`, `10u64`.
    fn number_value(token: &str) -> Option<u64> {
        let number = token.replace('_', "");
        let (radix, digits) = match number.get(..2) {
            Some("0x") => (16, &number[2..]),
            Some("0o") => (8, &number[2..]),
            Some("0b") => (2, &number[2..]),
            _ => (10, number.as_str()),
        };
        let end = digits
            .find(|c: char| !c.is_digit(radix))
            .unwrap_or(digits.len());
        let suffix = &digits[end..];
        if !(suffix.is_empty() || suffix.starts_with(['u', 'i'])) {
            return None;
        }
        u64::from_str_radix(&digits[..end], radix).ok()
    }

    /// Whether `token` (a number or a name, alone) is the batch size 3: `3`, `3_usize`, `0x3`,
    /// or a name of it.
    fn is_three(token: &str, names: &[String]) -> bool {
        number_value(token) == Some(3) || names.iter().any(|name| name == token)
    }

    /// The ways of cutting the jobs into batches of 3 that `code` uses: `chunks`, `step_by` or
    /// `split_off` given the batch size (`ids.chunks(MAX_AT_ONCE)`, `split_off(len.min(3))`),
    /// or a remainder by it (`(id + 1) % 3 == 0`, `i % MAX_AT_ONCE`), in a statement that
    /// starts, awaits or holds back jobs (see `holds_jobs_back`). The same words for other
    /// sizes (`id % 5 == 0` to log every fifth job, results printed in rows with `chunks(5)`)
    /// cut nothing, nor do they by 3 where they only feed a report (`for row in
    /// results.chunks(3) { println!(..) }` once the jobs are done, `let _lane = id % 3;`).
    fn batch_cuts(code: &str) -> Vec<&'static str> {
        let names = names_of_three(code);
        let tokens = |text: &str| -> Vec<String> {
            text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect()
        };
        let mut found = Vec::new();
        for word in ["chunks", "step_by", "split_off"] {
            let sized_by_three = |at: usize| {
                let rest = &code[at + word.len()..];
                let rest = rest.trim_start_matches(|c: char| c.is_alphanumeric() || c == '_');
                // A size given as a const generic: `as_chunks::<MAX_AT_ONCE>()`.
                let (generic, rest) = match rest.trim_start().strip_prefix("::<") {
                    Some(generic) => generic.split_once('>').unwrap_or((generic, "")),
                    None => ("", rest),
                };
                if tokens(generic).iter().any(|token| is_three(token, &names)) {
                    return true;
                }
                let Some(arguments) = rest.trim_start().strip_prefix('(') else {
                    return false;
                };
                let mut depth = 1;
                let end = arguments
                    .char_indices()
                    .find(|&(_, c)| {
                        depth += i32::from(c == '(') - i32::from(c == ')');
                        depth == 0
                    })
                    .map_or(arguments.len(), |(i, _)| i);
                tokens(&arguments[..end])
                    .iter()
                    .any(|token| is_three(token, &names))
            };
            let by_three = code
                .match_indices(word)
                .any(|(at, _)| sized_by_three(at) && holds_jobs_back(code, at, 3));
            if by_three {
                found.push(word);
            }
        }
        let remainder_by_three = code.match_indices('%').any(|(at, _)| {
            // A '%' character, not an operator.
            if code[..at].ends_with('\'') {
                return false;
            }
            // A remainder printed (`eprintln!("job {id} in column {}", id % MAX_AT_ONCE)`)
            // holds no job back.
            if in_a_print(&code[..at]) {
                return false;
            }
            let rest = code[at + 1..].trim_start_matches('=').trim_start();
            // The operand: a path (`crate::MAX_AT_ONCE`), or a group in `( )` or `{ }`.
            let operand: String = if rest.starts_with(['(', '{']) {
                let mut depth = 0;
                rest.chars()
                    .take_while(|&c| {
                        depth +=
                            i32::from(matches!(c, '(' | '{')) - i32::from(matches!(c, ')' | '}'));
                        depth > 0
                    })
                    .collect()
            } else {
                rest.chars()
                    .take_while(|&c| c.is_alphanumeric() || c == '_' || c == ':')
                    .collect()
            };
            let after = rest
                .get(operand.len() + usize::from(rest.starts_with(['(', '{']))..)
                .unwrap_or("");
            tokens(&operand).iter().any(|token| is_three(token, &names))
                && !guards_only_a_message(after)
                && holds_jobs_back(code, at, 3)
        });
        if remainder_by_three {
            found.push("%");
        }
        found
    }

    /// The words (names and numbers) of `text`.
    fn words_of(text: &str) -> Vec<&str> {
        text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect()
    }

    /// Where the statement around `code[at]` starts: after the `;`, `{` or `}` before it,
    /// outside the brackets it holds (an open bracket it is inside of does not end it).
    fn statement_start(code: &str, at: usize) -> usize {
        let mut depth = 0;
        for (i, c) in code[..at].char_indices().rev() {
            match c {
                ')' | ']' => depth += 1,
                '}' if depth > 0 => depth += 1,
                '(' | '[' => depth = (depth - 1).max(0),
                '{' if depth > 0 => depth -= 1,
                ';' | '{' | '}' if depth == 0 => return i + 1,
                _ => {}
            }
        }
        0
    }

    /// Where the statement around `code[at]` ends: at its `;`, after the block it opens (the
    /// body of a `for`, `if`, `while` or `match`), or where the block it is in ends.
    fn statement_end(code: &str, at: usize) -> usize {
        let mut depth = 0;
        for (i, c) in code[at..].char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                // The end of a bracket the statement is inside of: it goes on after it.
                ')' | ']' => depth = (depth - 1).max(0),
                '}' if depth > 1 => depth -= 1,
                '}' if depth == 1 => return at + i + 1,
                '}' => return at + i,
                ';' if depth == 0 => return at + i,
                _ => {}
            }
        }
        code.len()
    }

    /// The names whose value the statement `statement` (its start, up to the cut) sets: those
    /// of a `let` pattern (`let lanes = ..`), or the variable it starts with when that is
    /// indexed, called or assigned (`lanes[id % 3].push(id)`, `lane = ..`).
    fn set_names(statement: &str) -> Vec<&str> {
        let statement = statement.trim_start();
        let words = words_of(statement);
        match words.first() {
            Some(&"let") => {
                let pattern = statement["let".len()..]
                    .split(['=', ':'])
                    .next()
                    .unwrap_or("");
                words_of(pattern)
                    .into_iter()
                    .filter(|w| !matches!(*w, "mut" | "ref" | "_"))
                    .filter(|w| w.starts_with(|c: char| c.is_lowercase() || c == '_'))
                    .collect()
            }
            Some(&first)
                if !matches!(
                    first,
                    "for" | "if" | "while" | "match" | "loop" | "return" | "else" | "break"
                ) && statement.starts_with(first)
                    && statement[first.len()..]
                        .trim_start()
                        .starts_with(['[', '.', '=', '+', '-', '*', '/']) =>
            {
                vec![first]
            }
            _ => Vec::new(),
        }
    }

    /// Whether the statement around a cut at `code[at]` holds jobs back group by group: it
    /// both starts jobs (a spawn, a `job(..)`, a `join_all` of new futures, a JoinSet..) and
    /// waits (an `.await`, a `join_all`, a `block_on`..), or it sleeps, or it is a branch (`if
    /// id % 3 == 2 { .. }`) that waits for jobs the loop around it starts. Otherwise it may
    /// set a name that a later statement which does so uses (`let batches =
    /// ids.chunks(3).collect::<Vec<_>>();` then `for batch in batches { .. spawn .. await
    /// .. }`), followed `depth` times. A cut that only feeds a report, a label or a yield
    /// holds no job back: `for row in results.chunks(3) { tx.send(..).await }`, `let lane =
    /// id % 3;` passed to the spawned task, `if id % 3 == 2 { yield_now().await }`, handles
    /// of jobs all spawned already awaited through `handles.chunks_mut(3)`.
    fn holds_jobs_back(code: &str, at: usize, depth: u32) -> bool {
        const STARTS: [&str; 10] = [
            "spawn",
            "spawn_local",
            "spawn_blocking",
            "job",
            "join_all",
            "try_join_all",
            "JoinSet",
            "buffered",
            "buffer_unordered",
            "FuturesUnordered",
        ];
        const WAITS: [&str; 8] = [
            "await",
            "block_on",
            "join_all",
            "try_join_all",
            "join_next",
            "sleep",
            "wait",
            "blocking_recv",
        ];
        let (start, end) = (statement_start(code, at), statement_end(code, at));
        let statement = &code[start..end];
        let words = words_of(statement);
        let starts = words.iter().any(|w| STARTS.contains(w)) || statement.contains("join!");
        let waits = words.iter().any(|w| WAITS.contains(w)) || statement.contains("join!");
        if (starts && waits) || words.contains(&"sleep") {
            return true;
        }
        if waits
            && !starts
            && waits_for_jobs(code, statement, 2)
            && in_a_loop_that_starts_jobs(code, start)
        {
            return true;
        }
        if depth == 0 {
            return false;
        }
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        set_names(&code[start..at]).into_iter().any(|name| {
            code[end..].match_indices(name).any(|(from, _)| {
                let use_at = end + from;
                let before = code[..use_at].chars().next_back();
                let after = code[use_at + name.len()..].chars().next();
                !before.is_some_and(is_word)
                    && !after.is_some_and(is_word)
                    && holds_jobs_back(code, use_at, depth - 1)
            })
        })
    }

    /// Whether `statement` waits for something other than a yield, a message or a lock: a
    /// `join_next`, a `block_on`.., or an `.await` of anything but `yield_now()`, a send, a
    /// tick, `consume_budget()`, a lock, or a fn of `code`'s own whose body waits for none of
    /// those either (`log_progress(n).await` that prints and yields; `depth` calls deep).
    fn waits_for_jobs(code: &str, statement: &str, depth: u32) -> bool {
        const NOT_JOBS: [&str; 10] = [
            "yield_now",
            "send",
            "send_timeout",
            "reserve",
            "tick",
            "consume_budget",
            "lock",
            "write",
            "flush",
            "notified",
        ];
        let words = words_of(statement);
        if words.iter().any(|w| {
            matches!(
                *w,
                "block_on" | "join_next" | "join_all" | "try_join_all" | "wait"
            )
        }) {
            return true;
        }
        statement.match_indices(".await").any(|(at, _)| {
            let from = statement[..at].rfind([';', '{', '}']).map_or(0, |i| i + 1);
            let awaited = &statement[from..at];
            if words_of(awaited).iter().any(|w| NOT_JOBS.contains(w)) {
                return false;
            }
            let callee = awaited.split('(').next().and_then(|c| words_of(c).pop());
            match callee.and_then(|name| fn_body(code, name)) {
                Some(body) if depth > 0 => waits_for_jobs(code, body, depth - 1),
                _ => true,
            }
        })
    }

    /// The body of the fn named `name` that `code` defines, if it defines one.
    fn fn_body<'a>(code: &'a str, name: &str) -> Option<&'a str> {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let (at, _) = code.match_indices("fn ").find(|&(at, _)| {
            let rest = code[at + 3..].trim_start();
            !code[..at].ends_with(is_word)
                && rest.starts_with(name)
                && !rest[name.len()..].starts_with(is_word)
        })?;
        let open = at + code[at..].find('{')?;
        // A declaration without a body (`fn log(&self, n: usize);` in a trait) has none.
        if code[at..open].contains(';') {
            return None;
        }
        let mut depth = 0;
        let (end, _) = code[open..].char_indices().find(|&(_, c)| {
            depth += i32::from(c == '{') - i32::from(c == '}');
            depth == 0
        })?;
        Some(&code[open + 1..open + end])
    }

    /// Whether the statement starting at `code[start]` is in the body of a `for`, `while` or
    /// `loop` that starts jobs.
    fn in_a_loop_that_starts_jobs(code: &str, start: usize) -> bool {
        let mut depth = 0;
        let open = code[..start].char_indices().rev().find(|&(_, c)| {
            depth += i32::from(c == '}') - i32::from(c == '{');
            depth < 0
        });
        let Some((open, _)) = open else {
            return false;
        };
        let outer = &code[statement_start(code, open)..statement_end(code, open)];
        let words = words_of(outer);
        matches!(words.first(), Some(&("for" | "while" | "loop")))
            && words.iter().any(|w| {
                matches!(
                    *w,
                    "spawn" | "spawn_local" | "spawn_blocking" | "job" | "JoinSet" | "join_all"
                )
            })
    }

    /// Whether the code that ends with `before` is inside the arguments of a macro that prints
    /// or formats (`println!`, `eprintln!`, `format!`, `tracing::info!`, ..).
    fn in_a_print(before: &str) -> bool {
        const PRINTS: [&str; 13] = [
            "print", "println", "eprint", "eprintln", "format", "write", "writeln", "info",
            "debug", "trace", "warn", "error", "log",
        ];
        let mut depth = 0;
        for (at, c) in before.char_indices().rev() {
            match c {
                ')' | ']' | '}' => depth += 1,
                '(' | '[' | '{' if depth > 0 => depth -= 1,
                '(' | '[' | '{' => {
                    let name = before[..at].trim_end();
                    let Some(name) = name.strip_suffix('!') else {
                        continue;
                    };
                    let word: String = name
                        .chars()
                        .rev()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                    if PRINTS.contains(&word.as_str()) {
                        return true;
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// Whether `rest`, the code right after a remainder (`% MAX_AT_ONCE`), is the rest of a
    /// condition whose block awaits nothing: `if results.len() % MAX_AT_ONCE == 0 {
    /// println!(..) }` prints a progress line every third result and holds no job back.
    fn guards_only_a_message(rest: &str) -> bool {
        let Some(open) = rest.find('{') else {
            return false;
        };
        if rest[..open].contains(';') {
            return false;
        }
        let mut depth = 0;
        let end = rest[open..]
            .char_indices()
            .find(|&(_, c)| {
                depth += i32::from(c == '{') - i32::from(c == '}');
                depth == 0
            })
            .map_or(rest.len(), |(i, _)| open + i);
        let block = &rest[open..end];
        !["await", "sleep", "join", "block_on", "acquire", "spawn"]
            .iter()
            .any(|word| block.contains(word))
    }

    /// With every job 100 ms long, batches of 3 take as long as a semaphore, so this test reads
    /// the source for the usual ways of cutting the jobs into batches.
    #[test]
    fn the_jobs_are_not_cut_into_batches() {
        let code = code_outside_main(include_str!("semaphore_limit.rs"));
        let batching = batch_cuts(&code);
        assert!(
            batching.is_empty(),
            "run_all cuts the jobs into batches ({batching:?}): then a batch waits for its \
             slowest job while permits stand free. Start every job as its own task and let each \
             one hold a permit of the semaphore until it is done, so that a waiting job starts \
             as soon as any permit is free"
        );
    }

    /// On a runtime without a timer every job panics at its sleep, and each JoinHandle gives
    /// `Err(JoinError)`: a number for such a job would be made up, so run_all must not return
    /// any here (it panics, or waits on).
    #[test]
    fn a_failed_job_gives_no_result() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("the test's runtime could not be built");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                // No timer here: count turns instead, to stop a call that waits on.
                let turns = async {
                    for _ in 0..1_000 {
                        tokio::task::yield_now().await;
                    }
                };
                tokio::select! {
                    biased;
                    results = super::run_all(2, Arc::default()) => Some(results),
                    () = turns => None,
                }
            })
        }));
        if let Ok(Some(results)) = outcome {
            if results.is_empty() {
                panic!(
                    "here both jobs panicked (their handles gave Err(JoinError)), and run_all(2) \
                     returned an empty list, as if it had been asked for no job: the failed \
                     jobs were left out, so with one job failing among others the results \
                     would no longer line up with the job ids. Let an Err of a job's handle \
                     stop run_all, as the given `handle.await.expect(\"a job panicked\")` does"
                );
            }
            panic!(
                "here both jobs panicked (their handles gave Err(JoinError)), but run_all(2) \
                 returned {results:?}: a failed job has no result, so those numbers were made \
                 up. Take each result out of the Ok of its awaited handle and let an Err stop \
                 run_all, as the given `handle.await.expect(\"a job panicked\")` does"
            );
        }
    }

    /// `code` without the statements that reckon with time (a `Duration`, a `timeout`, a
    /// `sleep`, an `Instant`): a time limit of ten times the jobs' time (`Duration::from_millis(
    /// 100) * rounds * 10`) writes no result down. Nor does a binding used only in such
    /// statements (`let limit_ms = rounds * 100 * 10;` given to `Duration::from_millis`, a
    /// `const SAFETY_NET_MS: u64 = 10 * 1000;`).
    fn without_time_statements(code: &str) -> String {
        const TIME_WORDS: [&str; 9] = [
            "Duration",
            "from_millis",
            "from_secs",
            "from_micros",
            "timeout",
            "sleep",
            "Instant",
            "as_millis",
            "as_secs",
        ];
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let names = |text: &str| -> Vec<String> {
            text.split(|c: char| !is_word(c))
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect()
        };
        let statements: Vec<&str> = code.split_inclusive([';', '{', '}']).collect();
        let mut timed: Vec<bool> = statements
            .iter()
            .map(|statement| TIME_WORDS.iter().any(|word| statement.contains(word)))
            .collect();
        // The name a `let` or `const` statement binds.
        let bound: Vec<Option<String>> = statements
            .iter()
            .map(|statement| {
                let words = names(statement.split(['=', ':']).next().unwrap_or(""));
                match words.iter().map(String::as_str).collect::<Vec<_>>()[..] {
                    ["let", name] | ["let", "mut", name] | ["const", name] => {
                        Some(name.to_string())
                    }
                    ["static", name] | ["pub", "const", name] => Some(name.to_string()),
                    _ => None,
                }
            })
            .collect();
        loop {
            let mut changed = false;
            for (at, name) in bound.iter().enumerate() {
                let Some(name) = name else { continue };
                if timed[at] {
                    continue;
                }
                let users: Vec<usize> = (0..statements.len())
                    .filter(|&other| other != at && names(statements[other]).contains(name))
                    .collect();
                if !users.is_empty() && users.iter().all(|&other| timed[other]) {
                    timed[at] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        statements
            .iter()
            .zip(&timed)
            .map(|(statement, &timed)| {
                if timed {
                    statement
                        .chars()
                        .filter(|c| matches!(c, ';' | '{' | '}'))
                        .collect()
                } else {
                    statement.to_string()
                }
            })
            .collect()
    }

    /// Every job returns `id * 10`, so results written down by hand look like the jobs' own.
    /// This test reads the source for a second multiplication by ten, however the ten is
    /// written (`* 10`, `10 *`, `* 0xA`, `* 10u64`, `* 1_0`).
    #[test]
    fn the_results_come_from_the_jobs() {
        let code: Vec<char> = without_asserts(&without_time_statements(&code_outside_main(
            include_str!("semaphore_limit.rs"),
        )))
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
        let in_a_number = |c: &char| c.is_alphanumeric() || *c == '_';
        let mut times_ten = 0;
        for (i, _) in code.iter().enumerate().filter(|&(_, c)| *c == '*') {
            // The number right after the `*` (not `*=`), or right before it.
            let after: String = code[i + 1..]
                .iter()
                .take_while(|c| in_a_number(c))
                .collect();
            let before_start = code[..i]
                .iter()
                .rposition(|c| !in_a_number(c))
                .map_or(0, |at| at + 1);
            let before: String = code[before_start..i].iter().collect();
            // `x.10 *` is a field or a float's decimals, not a ten.
            let before_is_number = before_start == 0 || code[before_start - 1] != '.';
            let ten = |token: &str| {
                token.starts_with(|c: char| c.is_ascii_digit()) && number_value(token) == Some(10)
            };
            if ten(&after) || (before_is_number && ten(&before)) {
                times_ten += 1;
            }
        }
        assert!(
            times_ten <= 1,
            "the code multiplies by 10 {times_ten} times, where `job` alone does it: run_all \
             writes the results down instead of taking what the jobs return. Keep each job's \
             result (await its JoinHandle) and return those"
        );
    }

    /// A lost wake-up needs another thread at just the wrong moment, so no run can be sure to
    /// show it: this test reads the source. `notify_waiters` wakes only the `Notified` futures
    /// that already exist when it runs, so a `Notified` awaited right where it is made
    /// (`x.notified().await`, or `let n = x.notified(); n.await;`) was made after the count was
    /// last checked, and misses a wake-up that lands in between. Made first, then the count
    /// checked, then awaited (`let n = x.notified(); if done { .. } n.await;`), it misses none.
    #[test]
    fn a_waiting_job_cannot_miss_a_wakeup() {
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

        let source = include_str!("semaphore_limit.rs");
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
            "a job that waits for a free slot awaits a Notified made after it checked the count \
             (`.notified().await`, or `let n = ...notified(); n.await;`), beside a \
             `notify_waiters`: notify_waiters wakes only the Notified futures that already \
             exist, so on a multi-thread runtime a job that ends between a waiter's check and \
             its `notified()` wakes nobody; if it was the last job running, the waiter waits for \
             ever with every slot free. Let each job wait in the Semaphore's acquire() and keep \
             its permit until it is done (or make the Notified first, then check, then await it)"
        );
    }

    /// Contention needs two threads at just the wrong moment, so no run can be sure to show
    /// it: this test reads the source. `try_lock()` fails whenever another thread holds the
    /// lock, which on a multi-thread runtime happens now and then, even for a lock held for a
    /// line: a `try_lock().unwrap()` (or `.expect(..)`) then makes a job panic.
    #[test]
    fn a_busy_lock_is_waited_for() {
        let code: String = code_outside_main(include_str!("semaphore_limit.rs"))
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        // `x.try_lock()` or `Mutex::try_lock(&x)` (`try_read`, `try_write` too), then
        // `.unwrap()` or `.expect(..)`, straight or after `.ok()`.
        let panics_when_busy = ["try_lock(", "try_read(", "try_write("]
            .iter()
            .any(|tried| {
                code.match_indices(tried).any(|(at, _)| {
                    let before = &code[..at];
                    if !(before.ends_with('.') || before.ends_with("::")) {
                        return false;
                    }
                    let mut open = 0;
                    let Some(close) = code[at..].char_indices().find_map(|(i, c)| {
                        match c {
                            '(' => open += 1,
                            ')' if open == 1 => return Some(at + i + 1),
                            ')' => open -= 1,
                            _ => {}
                        }
                        None
                    }) else {
                        return false;
                    };
                    let after = code[close..]
                        .strip_prefix(".ok()")
                        .unwrap_or(&code[close..]);
                    after.starts_with(".unwrap()") || after.starts_with(".expect(")
                })
            });
        assert!(
            !panics_when_busy,
            "a job takes a lock with `try_lock()` and panics if it is busy (`.unwrap()` or \
             `.expect(..)`): on a multi-thread runtime two jobs that end or start at the same \
             moment run on two threads, and then the lock is busy now and then. Let each job \
             wait in the Semaphore's acquire() (or wait for the lock with `lock()`)"
        );
    }
}
