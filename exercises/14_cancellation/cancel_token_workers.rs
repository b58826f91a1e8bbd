// cancel_token_workers
//
// A crawler runs 3 fetchers and 1 indexer, each in its own task. A worker works in rounds
// until its `CancellationToken` is cancelled; then it saves its state, which takes a while
// (fetcher N takes N x `save`, the indexer 2 x `save`), and writes "<name> stopped" in the log.
//
// - `stop_fetchers` must stop the 3 fetchers, while the indexer goes on indexing.
// - `shutdown` must stop every worker that is still running, and return as soon as all of
//   them have stopped (saved and logged).
//
// Right now `stop_fetchers` stops the indexer too, and `shutdown` returns while the workers
// are still saving. Fix both; leave `worker` as it is.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::sleep;
use tokio_util::sync::CancellationToken;

pub type Log = Arc<Mutex<Vec<String>>>;

fn write(log: &Log, line: String) {
    log.lock().unwrap().push(line);
}

/// Works in 50 ms rounds until `token` is cancelled, then saves and says so.
async fn worker(name: String, token: CancellationToken, log: Log, save: Duration) {
    loop {
        tokio::select! {
            _ = token.cancelled() => break,
            _ = sleep(Duration::from_millis(50)) => write(&log, format!("{name} worked")),
        }
    }
    sleep(save).await;
    write(&log, format!("{name} stopped"));
}

pub struct Crawler {
    root: CancellationToken,
    fetchers: CancellationToken,
}

impl Crawler {
    pub fn start(log: &Log, save: Duration) -> Crawler {
        let root = CancellationToken::new();
        // TODO: is this a token of its own for the fetchers?
        let fetchers = root.clone();
        for n in 1..=3 {
            let name = format!("fetcher {n}");
            tokio::spawn(worker(name, fetchers.clone(), Arc::clone(log), save * n));
        }
        let name = "indexer".to_string();
        tokio::spawn(worker(name, root.clone(), Arc::clone(log), save * 2));
        Crawler { root, fetchers }
    }

    pub fn stop_fetchers(&self) {
        self.fetchers.cancel();
    }

    pub async fn shutdown(self) {
        self.root.cancel();
        // TODO: the workers are still saving.
    }
}

#[tokio::main]
async fn main() {
    let log = Log::default();
    let crawler = Crawler::start(&log, Duration::from_millis(20));
    sleep(Duration::from_millis(120)).await;
    crawler.stop_fetchers();
    sleep(Duration::from_millis(120)).await;
    crawler.shutdown().await;
    for line in log.lock().unwrap().iter() {
        println!("{line}");
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::sleep;
    use tokio::time::{Instant, sleep_until, timeout};

    const WORKERS: [&str; 4] = ["fetcher 1", "fetcher 2", "fetcher 3", "indexer"];
    const MS: Duration = Duration::from_millis(1);

    fn lines(log: &Log, suffix: &str) -> Vec<String> {
        let log = log.lock().unwrap();
        let mut names: Vec<String> = log
            .iter()
            .filter_map(|line| line.strip_suffix(suffix))
            .map(str::to_string)
            .collect();
        names.sort();
        names
    }

    /// Polls `shutdown` as it is, but stops the test with a message once it has been polled
    /// 1000 times (and once more per 5 ms of the paused clock): a loop that checks again at
    /// once (a `yield_now` in a loop) keeps the runtime busy, so the paused clock never moves
    /// and the workers' saves never end. (Awaiting the workers is polled about once per worker;
    /// a progress message on a timer once per tick, every 10 ms or more.)
    fn no_spin<F: std::future::Future>(
        shutdown: F,
    ) -> impl std::future::Future<Output = F::Output> {
        let mut shutdown = Box::pin(shutdown);
        let mut polls = 0u128;
        let start = Instant::now();
        std::future::poll_fn(move |cx| {
            polls += 1;
            assert!(
                polls <= 1000 + start.elapsed().as_millis() / 5,
                "shutdown was polled {polls} times while the workers were saving: it checks \
                 again and again whether they are done (a loop around `yield_now`, or a check \
                 that never waits), which keeps the runtime busy so that the paused clock cannot \
                 move and no save can end. Await the workers' JoinHandles instead: a handle wakes \
                 shutdown once, when its task has ended"
            );
            shutdown.as_mut().poll(cx)
        })
    }

    /// Why a shutdown that waited while the paused clock stood still for a second of real time
    /// (`clock_held_still`) failed.
    const CLOCK_HELD_STILL: &str = "shutdown had not returned after a second of real time, and \
        in that second Tokio's paused clock (the tests' clock) did not move, so no worker's \
        save could end: something held it still. A `spawn_blocking` job does (the paused clock \
        stands still while one runs), such as one that waits for the workers on a std channel \
        or a thread. On a real clock that would work, but it waits on a thread for what a task \
        can await: await the workers' JoinHandles (or a JoinSet, or a TaskTracker's `wait` \
        after `close`), which works on every clock";

    /// Returns once Tokio's paused clock has stood still for a second of real time: while the
    /// runtime waits, the paused clock jumps to the next timer at once, unless something holds
    /// it still (a `spawn_blocking` job does, as long as it runs). Work that waits for the
    /// clock then never ends. (A correct shutdown returns in a few ms of real time.)
    async fn clock_held_still() {
        let (tick, mut ticks) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            while tick.send(()).is_ok() {
                std::thread::sleep(Duration::from_secs(1));
            }
        });
        // The paused clock's time and the real time at each tick taken. Ticks that queued up
        // while the test's thread did not run (a loaded machine) are taken one right after the
        // other: the clock standing still between those says nothing.
        let mut last: Option<(Instant, std::time::Instant)> = None;
        while ticks.recv().await.is_some() {
            let now = (Instant::now(), std::time::Instant::now());
            if let Some((paused, real)) = last
                && paused == now.0
                && now.1 - real >= Duration::from_millis(900)
            {
                return;
            }
            last = Some(now);
        }
    }

    /// Shuts the crawler down: how long shutdown took. What it returns (`()`, or a `Result`)
    /// is not looked at, but when saving takes seconds (`last` of a second or more), a
    /// shutdown that gives up loudly (panics or returns an `Err`, a safety net) once some
    /// time has passed is let be: `None`.
    async fn timed_shutdown(crawler: Crawler, log: &Log, last: Duration) -> Option<Duration> {
        let start = Instant::now();
        let shutdown = std::panic::AssertUnwindSafe(async {
            let out = crawler.shutdown().await;
            (&Outcome(&out)).returned_err()
        });
        // A hang guard: every worker stops within `last` (at most 30 s) of shutdown. (Not
        // longer: until it ends, a fetcher that is never cancelled works a round every 50 ms of
        // paused time.)
        let waited = timeout(
            Duration::from_secs(60),
            no_spin(futures_util::FutureExt::catch_unwind(shutdown)),
        );
        let ended = tokio::select! {
            ended = waited => ended,
            () = clock_held_still() => panic!("{CLOCK_HELD_STILL}"),
        };
        let ended = ended.unwrap_or_else(|_| {
            let stopped = lines(log, " stopped");
            if stopped == WORKERS {
                panic!(
                    "every worker had stopped (each wrote \"stopped\" within {last:?}), yet \
                     shutdown was still waiting a minute later: it waits for something other \
                     than the workers' tasks. If it counts wake-ups (a `Notify` per worker \
                     that stopped), some were lost: `notify_waiters` reaches only a waiter \
                     already waiting, and `notify_one` keeps one permit however often it is \
                     called. If it waits for a thread of its own (a std \
                     channel's `recv` or a `join` on a `std::thread`), the tests' paused clock \
                     cannot see that thread: it jumps ahead whenever the runtime waits, and the \
                     minute passes at once. On a real clock that would work, but it waits on a \
                     thread for what a task can await: await the workers' JoinHandles (or a \
                     JoinSet, or a TaskTracker's `wait` after `close`), which works on every \
                     clock"
                )
            }
            panic!(
                "shutdown was still waiting a minute later, though every worker stops \
                 within {last:?} of its token being cancelled (only {stopped:?} had stopped): \
                 it must stop every worker that is still running (is every worker's token \
                 cancelled along with the root?), and return once they have stopped (a \
                 TaskTracker's `wait` returns only after `close`)"
            )
        });
        let took = start.elapsed();
        let safety_net = last >= Duration::from_secs(1) && !took.is_zero();
        match ended {
            Ok(true) if safety_net => None,
            Ok(_) => Some(took),
            Err(_) if safety_net => None,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// Shuts the crawler down and checks that every worker has stopped, each once, and that
    /// shutdown returned exactly when the last one did: `last` after it was called. `running`
    /// says which workers were still running, for the messages.
    async fn shutdown_waits_for(crawler: Crawler, log: &Log, last: Duration, running: &str) {
        let start = Instant::now();
        let shutdown = async {
            let took = timed_shutdown(crawler, log, last).await;
            (took, lines(log, " stopped"))
        };
        // Which workers had stopped just after the last one should have.
        let soon_after = async {
            sleep_until(start + last + MS).await;
            lines(log, " stopped")
        };
        let ((took, stopped), stopped_soon_after) = tokio::join!(shutdown, soon_after);
        // (A safety net that gave up loudly on saves of seconds is let be.)
        let Some(took) = took else {
            return;
        };
        let missing = |stopped: &[String]| -> Vec<&str> {
            WORKERS
                .into_iter()
                .filter(|name| !stopped.iter().any(|line| line == name))
                .collect()
        };

        let not_yet = missing(&stopped);
        let late = missing(&stopped_soon_after);
        assert!(
            not_yet.is_empty() || not_yet.iter().any(|name| late.contains(name)),
            "when shutdown returned, {not_yet:?} had not written \"stopped\" yet (they did by \
             {:?} after it was called): shutdown returned before they were done. Wait for \
             their tasks to end (keep what `tokio::spawn` returns and await it): a sleep, \
             fixed or worked out from the save times and from when stop_fetchers was called, \
             cannot know how long they still need (a task may run late on a busy runtime)",
            last + MS
        );
        assert!(
            not_yet.is_empty(),
            "when shutdown returned, {not_yet:?} had not written \"stopped\" yet: cancel their \
             tokens (an aborted task stops on the spot, without saving: `abort`, `abort_all` \
             and `JoinSet::shutdown` do that), then wait for their tasks to end (keep what \
             `tokio::spawn` returns and await it)"
        );
        assert_eq!(
            stopped, WORKERS,
            "after shutdown, every worker should have stopped, each once"
        );
        assert!(
            late.is_empty(),
            "{:?} after shutdown was called, {late:?} had still not stopped, though {running}: \
             every worker should have stopped {last:?} after shutdown was called. Cancel every \
             running worker's token the moment shutdown is called, all at once (not one group \
             only after another has stopped: they save at the same time), then wait for them \
             all; a worker stops as soon as its token is cancelled (the select! in `worker` \
             does that: leave `worker` as it is)",
            last + MS
        );
        assert!(
            took <= last,
            "shutdown took {took:?}, though {running}: every worker had stopped {last:?} after \
             shutdown was called. Return as soon as the last one has stopped (await their \
             tasks: a fixed sleep cannot know how long they still need, and a check on a \
             timer comes after the end)"
        );
        assert!(
            took == last,
            "shutdown took only {took:?}, though {running}: the last of them should have needed \
             {last:?}. Some worker was stopped before shutdown was called (stop_fetchers must \
             stop the fetchers and nothing else)"
        );
        stops_everything_it_started(log).await;
    }

    /// After shutdown has returned and every worker has stopped: nothing the crawler started
    /// is left, neither a clone of `log` (the test's is the only one) nor a task on the runtime
    /// (the test runs none of its own, and every crawler it started is shut down by now). A few turns of the runtime first (no time
    /// passes), for tasks that end once shutdown has returned.
    async fn stops_everything_it_started(log: &Log) {
        let metrics = tokio::runtime::Handle::current().metrics();
        for _ in 0..100 {
            if std::sync::Arc::strong_count(log) == 1 && metrics.num_alive_tasks() == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
        let held = std::sync::Arc::strong_count(log) - 1;
        assert!(
            held == 0,
            "shutdown had returned and every worker had written \"stopped\", and 100 turns of \
             the runtime later (no time passed) {held} clone(s) of the log given to \
             Crawler::start were still held: something that start began still runs or is \
             still kept with the log (a task beside the four workers, such as a progress or \
             metrics task, that nothing stops?). shutdown stops everything the crawler \
             started: stop such a task too (cancel its token and await it with the workers)"
        );
        let tasks = metrics.num_alive_tasks();
        assert!(
            tasks == 0,
            "shutdown had returned and every worker had written \"stopped\", and 100 turns of \
             the runtime later (no time passed) {tasks} task(s) were still alive on the \
             test's runtime, which runs no task of the test's own: something that start began still \
             runs (a task beside the four workers, such as a progress or metrics task, that \
             nothing stops?). shutdown stops everything the crawler started: stop such a task \
             too (cancel its token and await it with the workers)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stopping_the_fetchers_leaves_the_indexer_running() {
        let log = Log::default();
        let save = Duration::from_millis(30);
        let crawler = Crawler::start(&log, save);
        sleep(Duration::from_millis(120)).await;
        // Each worker runs in a task of its own (the crawler may start more tasks).
        let tasks = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        assert!(
            tasks >= 4,
            "while the 4 workers were working, only {tasks} task(s) were running: each worker \
             runs in a task of its own (keep one `tokio::spawn` per worker), and shutdown waits \
             for every one of them"
        );
        crawler.stop_fetchers();
        let cancelled = Instant::now();

        // Fetcher N stops N x `save` after its token is cancelled: check just after each.
        for n in 1..=3 {
            sleep_until(cancelled + save * n + MS).await;
            let stopped = lines(&log, " stopped");
            assert!(
                !stopped.contains(&"indexer".to_string()),
                "stop_fetchers stopped the indexer too: a clone of a CancellationToken is the \
                 same token, so cancelling it cancels every clone. The fetchers need a token of \
                 their own, one that the root still cancels (see `child_token`)"
            );
            let fetcher = format!("fetcher {n}");
            assert!(
                stopped.contains(&fetcher),
                "{:?} after stop_fetchers, {fetcher} had not stopped yet, though it saves for \
                 only {:?} once its token is cancelled: stop_fetchers must cancel the fetchers' \
                 token, and a worker must stop waiting as soon as its token is cancelled (the \
                 select! in `worker` does that: leave `worker` as it is)",
                save * n + MS,
                save * n
            );
        }
        assert_eq!(
            lines(&log, " stopped"),
            ["fetcher 1", "fetcher 2", "fetcher 3"],
            "after stop_fetchers, each fetcher should stop once and the indexer not at all"
        );

        let indexer_rounds = || {
            lines(&log, " worked")
                .iter()
                .filter(|name| *name == "indexer")
                .count()
        };
        let before = indexer_rounds();
        sleep(Duration::from_millis(200)).await;
        assert!(
            indexer_rounds() >= before + 3,
            "after the fetchers stopped, the indexer should keep working (a round every 50 ms)"
        );

        shutdown_waits_for(
            crawler,
            &log,
            save * 2,
            "only the indexer was still running (it saves for 2 x 30 ms once cancelled)",
        )
        .await;
    }

    async fn shutdown_waits(save: Duration) {
        let log = Log::default();
        let crawler = Crawler::start(&log, save);
        sleep(Duration::from_millis(120)).await;
        let running = format!(
            "all four workers were running (once cancelled, fetcher N saves for N x {save:?}, \
             the indexer for 2 x {save:?})"
        );
        shutdown_waits_for(crawler, &log, save * 3, &running).await;
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_returns_once_every_worker_has_stopped() {
        shutdown_waits(Duration::from_millis(30)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_waits_as_long_as_saving_takes() {
        shutdown_waits(Duration::from_millis(70)).await;
    }

    /// The last worker stops 111 ms after shutdown (3 x 37): a loop that checks the workers on
    /// a timer of 10 ms (or any other round period) gets there late.
    #[tokio::test(start_paused = true)]
    async fn shutdown_waits_for_a_save_of_no_round_length() {
        shutdown_waits(Duration::from_millis(37)).await;
    }

    /// Saves that take seconds (fetcher 3 saves for 30 s, in no real time on the paused
    /// clock): however long saving takes, shutdown lets every worker save, and waits for it.
    /// (A time limit that panics or returns an `Err` after a while, as a safety net, is let
    /// be; one that returns as if all was well is not.)
    #[tokio::test(start_paused = true)]
    async fn shutdown_waits_for_saves_of_seconds() {
        shutdown_waits(Duration::from_secs(10)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_waits_for_fetchers_that_are_still_saving() {
        // (ms after start when stop_fetchers is called, ms after that when shutdown is called)
        for (stop_at, shutdown_after) in [(120, 30), (135, 110), (90, 10)] {
            let log = Log::default();
            let save = Duration::from_millis(40);
            let crawler = Crawler::start(&log, save);
            sleep(Duration::from_millis(stop_at)).await;
            crawler.stop_fetchers();
            sleep(Duration::from_millis(shutdown_after)).await;
            // Fetcher 3 is done 3 x `save` after stop_fetchers, the indexer 2 x `save` after
            // shutdown: shutdown must wait for whichever comes last.
            let fetcher_3_left = (save * 3).saturating_sub(Duration::from_millis(shutdown_after));
            let last = fetcher_3_left.max(save * 2);
            let running = format!(
                "fetcher 3 had {fetcher_3_left:?} of saving left and the indexer was running \
                 (it saves for {:?} once cancelled)",
                save * 2
            );
            shutdown_waits_for(crawler, &log, last, &running).await;
        }
    }

    /// Two crawlers at once: each one's shutdown stops and waits for its own workers only.
    #[tokio::test(start_paused = true)]
    async fn two_crawlers_at_once_each_stop_their_own_workers() {
        let save = Duration::from_millis(30);
        let (first_log, second_log) = (Log::default(), Log::default());
        let first = Crawler::start(&first_log, save);
        let second = Crawler::start(&second_log, save);
        sleep(Duration::from_millis(120)).await;
        let done = tokio::select! {
            done = timeout(Duration::from_secs(60), no_spin(first.shutdown())) => done,
            () = clock_held_still() => panic!("{CLOCK_HELD_STILL}"),
        };
        assert!(
            done.is_ok(),
            "two crawlers ran at once, and a minute after the first one's shutdown was called \
             it had still not returned, though its own workers stop within 90 ms: each \
             crawler's shutdown waits for its own workers only (keep their JoinHandles, or a \
             TaskTracker, in the Crawler, not in a `static` that every crawler shares)"
        );
        assert_eq!(
            lines(&first_log, " stopped"),
            WORKERS,
            "after the first crawler's shutdown, each of its workers should have stopped once"
        );
        let stopped = lines(&second_log, " stopped");
        assert!(
            stopped.is_empty(),
            "two crawlers ran at once, and the first one's shutdown also stopped {stopped:?} of \
             the second one: each crawler cancels its own tokens (made in `start`, not kept \
             in a `static` that every crawler shares)"
        );
        let rounds = || lines(&second_log, " worked").len();
        let before = rounds();
        sleep(Duration::from_millis(200)).await;
        assert!(
            rounds() >= before + 4 * 3,
            "after the first crawler's shutdown, the second crawler's 4 workers should go on \
             working (a round every 50 ms each)"
        );
        shutdown_waits_for(
            second,
            &second_log,
            save * 3,
            "all four workers of the second crawler were running (once cancelled, fetcher N \
             saves for N x 30ms, the indexer for 2 x 30ms)",
        )
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn stopping_the_fetchers_twice() {
        let log = Log::default();
        let save = Duration::from_millis(40);
        let crawler = Crawler::start(&log, save);
        sleep(Duration::from_millis(120)).await;
        crawler.stop_fetchers();
        sleep(Duration::from_millis(80)).await;
        // The fetchers' token is cancelled already: this changes nothing.
        crawler.stop_fetchers();
        sleep(Duration::from_millis(10)).await;
        // Fetcher 3 is done 3 x 40 ms after the first stop_fetchers, 30 ms from now; the
        // indexer 2 x 40 ms after shutdown.
        shutdown_waits_for(
            crawler,
            &log,
            save * 2,
            "fetcher 3 had 30ms of saving left (stop_fetchers was called twice, 80 ms apart: \
             the second call changes nothing) and the indexer was running (it saves for 80ms \
             once cancelled)",
        )
        .await;
    }

    /// The fetchers see their token cancelled late: the test moves the paused clock 100 ms
    /// after stop_fetchers, before any task has run (as on a busy runtime), so they start
    /// saving 100 ms after it, and fetcher 3 stops 100 ms + 3 x `save` after stop_fetchers. A
    /// time worked out from when stop_fetchers was called ends 100 ms early.
    #[tokio::test(start_paused = true)]
    async fn shutdown_waits_for_fetchers_that_started_saving_late() {
        let log = Log::default();
        let save = Duration::from_millis(40);
        let crawler = Crawler::start(&log, save);
        sleep(Duration::from_millis(120)).await;
        crawler.stop_fetchers();
        // No task has run since stop_fetchers: the clock moves before the fetchers' tasks get
        // their turn (`advance` yields only after it has moved the clock).
        tokio::time::advance(Duration::from_millis(100)).await;
        shutdown_waits_for(
            crawler,
            &log,
            save * 3,
            "the fetchers' tasks first ran 100 ms after stop_fetchers (the test moved the \
             paused clock before any task ran, as a busy runtime may), so they started saving \
             only then and fetcher 3 had all of its 3 x 40ms of saving left, and the indexer \
             was running (it saves for 80ms once cancelled)",
        )
        .await;
    }

    /// Tells what shutdown returned when it is a `Result`: `Err` (a time limit that says the
    /// workers did not stop), or anything else.
    struct Outcome<'a, T>(&'a T);

    #[allow(dead_code)] // used only when shutdown returns a `Result`
    trait ReturnedErr {
        fn returned_err(&self) -> bool;
    }

    impl<T, E> ReturnedErr for Outcome<'_, Result<T, E>> {
        fn returned_err(&self) -> bool {
            self.0.is_err()
        }
    }

    #[allow(dead_code)] // used only when shutdown returns something else
    trait ReturnedOther {
        fn returned_err(&self) -> bool {
            false
        }
    }

    impl<T> ReturnedOther for &Outcome<'_, T> {}

    enum Held {
        Returned(Duration),
        ReturnedErr,
        Panicked,
        Spun(u128, u128, u128),
        Waited,
        ClockHeldStill,
    }

    #[test]
    fn shutdown_waits_for_the_workers_not_for_a_time() {
        shutdown_held_still(false);
    }

    /// The fetchers are stopped, shutdown is called, and the workers' runtime runs until every
    /// worker but fetcher 3 has stopped; then it is held still while fetcher 3 still has 20 ms
    /// of saving left (its save timer is due, but a busy runtime may run its task late). A
    /// time worked out from when the fetchers' token was cancelled (or seen cancelled) and
    /// from the save times comes and goes while fetcher 3 is still saving.
    #[test]
    fn shutdown_waits_for_a_fetcher_held_back_while_saving() {
        shutdown_held_still(true);
    }

    /// Holds the workers' runtime still and gives shutdown, called on another runtime, five
    /// minutes of its own paused time: it must not return while a worker is still saving. With
    /// `stop_fetchers_first`, stop_fetchers is called first, and the workers' runtime runs on
    /// after shutdown is called until only fetcher 3 is still saving.
    #[allow(unused_must_use)] // what shutdown returns (`()`, or a `Result`) is not looked at
    fn shutdown_held_still(stop_fetchers_first: bool) {
        let paused_runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("could not build a runtime")
        };
        // The workers run on a runtime of their own, which runs only while the test drives it.
        let workers = paused_runtime();
        let log = Log::default();
        let save = Duration::from_millis(40);
        let crawler = workers.block_on(async {
            let crawler = Crawler::start(&log, save);
            sleep(Duration::from_millis(120)).await;
            if stop_fetchers_first {
                crawler.stop_fetchers();
                // The fetchers see their token cancelled and start saving (no time passes).
                for _ in 0..10 {
                    tokio::task::yield_now().await;
                }
            }
            crawler
        });
        let (held_still, still_saving) = if stop_fetchers_first {
            (
                "the test called stop_fetchers 120 ms after start (the fetchers started saving \
                 at once), then shutdown, ran the workers' runtime 100 ms more (the indexer and \
                 fetchers 1 and 2 stopped meanwhile; fetcher 3, which saves for 3 x 40ms, had \
                 20ms of saving left), and then held it still (as a busy runtime might), so \
                 fetcher 3 could not stop",
                "fetcher 3 was",
            )
        } else {
            (
                "the test held the workers' runtime still (as a busy runtime might), so no \
                 worker could save, let alone stop",
                "the workers were",
            )
        };

        // While nothing drives the workers' runtime, no worker can save, let alone stop: shutdown
        // has nothing to return on but a timer. It gets five minutes of its own time, on another
        // paused runtime, where they pass at once; the moments at which it is polled are
        // counted, and its polls at each moment. (Not longer: a
        // progress message every 10 ms is let be, and each one takes real time. But if it was
        // not polled again in those five minutes, it gets a day more: a time limit of some
        // minutes after which it stops waiting shows then.)
        let caller = paused_runtime();
        // Called in the caller's runtime, as shutdown always is (a shutdown that sets up its
        // time limit before it is first polled needs one).
        let mut shutdown = {
            let _in_the_runtime = caller.enter();
            Box::pin(crawler.shutdown())
        };
        // Polls shutdown once: `None` while it waits, else how it ended (`took` after it was
        // called).
        let mut poll_shutdown = |cx: &mut std::task::Context<'_>, took: Duration| {
            let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                shutdown.as_mut().poll(cx)
            }));
            match polled {
                Ok(std::task::Poll::Pending) => None,
                // (Whatever shutdown returns: `()`, or a `Result`: an `Err` says it gave up.)
                Ok(std::task::Poll::Ready(out)) => Some(if (&Outcome(&out)).returned_err() {
                    Held::ReturnedErr
                } else {
                    Held::Returned(took)
                }),
                Err(_) => Some(Held::Panicked),
            }
        };
        let mut ended = None;
        if stop_fetchers_first {
            // Shutdown is polled once (it cancels the root), and the caller's runtime turns a
            // few times (no time passes); then the workers' runtime runs 100 ms: the indexer
            // stops 80 ms after it saw the root cancelled, fetcher 3 120 ms after it saw its
            // token cancelled.
            ended = caller.block_on(async {
                let ended = std::future::poll_fn(|cx| {
                    std::task::Poll::Ready(poll_shutdown(cx, Duration::ZERO))
                })
                .await;
                for _ in 0..10 {
                    tokio::task::yield_now().await;
                }
                ended
            });
            if ended.is_none() {
                workers.block_on(async { sleep(Duration::from_millis(100)).await });
            }
        }
        let held = match ended {
            Some(ended) => ended,
            None => caller.block_on(async {
                let start = Instant::now();
                let moments = std::cell::Cell::new(0u128);
                let (mut last, mut polls) = (None, 0u128);
                let watched = std::future::poll_fn(|cx| {
                    if last != Some(Instant::now()) {
                        moments.set(moments.get() + 1);
                        (last, polls) = (Some(Instant::now()), 0);
                    }
                    polls += 1;
                    let ms = start.elapsed().as_millis();
                    // A progress message every 10 ms or more is let be (one per worker too, or
                    // a `FuturesUnordered` that polls again at once): a loop that checks the
                    // workers that often still returns late in the tests above.
                    if moments.get() > ms / 10 + 11 || polls > 10 {
                        return std::task::Poll::Ready(Held::Spun(moments.get(), polls, ms));
                    }
                    match poll_shutdown(cx, start.elapsed()) {
                        None => std::task::Poll::Pending,
                        Some(ended) => std::task::Poll::Ready(ended),
                    }
                });
                tokio::select! {
                    biased;
                    held = watched => held,
                    () = async {
                        sleep(Duration::from_secs(300)).await;
                        // (Polled when it started, and just now, as this timer woke the task.)
                        if moments.get() <= 2 {
                            sleep(Duration::from_secs(24 * 3600)).await;
                        }
                    } => Held::Waited,
                    () = clock_held_still() => Held::ClockHeldStill,
                }
            }),
        };
        match held {
            // A time limit that panics or returns an `Err` (a safety net) is let be.
            Held::Panicked | Held::ReturnedErr => return,
            Held::Returned(took) => {
                assert!(
                    lines(&log, " stopped") != WORKERS,
                    "the test held still the runtime on which Crawler::start was called (as a \
                     busy runtime might), and called shutdown on another one; when shutdown \
                     returned ({took:?} later), every worker had written \"stopped\": the \
                     workers did not run as tasks of the runtime they were started on, but \
                     somewhere else, such as inside shutdown's own future (join_all over \
                     futures that were never spawned is no task: they run only while shutdown \
                     is polled, so they did no work before it). Start each worker with \
                     `tokio::spawn` in `start`, keep what it returns, and await it in shutdown"
                );
                let how = if took.is_zero() {
                    "at once".to_string()
                } else {
                    format!(
                        "after {took:?}: it returned on a timer (a time worked out in advance, \
                         such as from when a token was cancelled or seen cancelled and how long \
                         the workers save, or a time limit after which it stops waiting)"
                    )
                };
                panic!(
                    "{held_still}, and gave shutdown five minutes, or a day if nothing woke it \
                     meanwhile (of paused time: it takes no real time); yet shutdown returned \
                     {how}, while {still_saving} still saving. Keep what `tokio::spawn` returns \
                     and await it: a task's handle is ready when the task has ended, however \
                     long that takes (a time limit that panics or returns an `Err`, as a safety \
                     net, is fine)"
                );
            }
            Held::Spun(moments, polls, ms) => panic!(
                "{held_still}, and shutdown ran at {moments} moments while its paused clock moved \
                 {ms} ms ({polls} times at the last one): it checks on a timer or in a loop \
                 whether the workers are done (or prints progress more often than every 10 ms). \
                 Await their JoinHandles instead: a handle wakes shutdown once, when its task \
                 has ended"
            ),
            Held::ClockHeldStill => {
                // Dropping the runtime would wait for the blocking job, which waits for workers
                // that the held runtime never runs: let it go instead.
                caller.shutdown_background();
                panic!("{held_still}; {CLOCK_HELD_STILL}")
            }
            Held::Waited => {}
        }

        // Now the workers run, on a thread of their own: shutdown returns once they have
        // stopped.
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let driver = std::thread::spawn(move || {
            workers.block_on(async {
                let _ = stopped.await;
            })
        });
        caller.block_on(async {
            // From here on, the caller's time is real time, so that a time limit that shutdown
            // may set itself (a guard of a second or more) is not reached while the workers'
            // thread is busy.
            tokio::time::resume();
            // A hang guard only: the workers need 120 ms to stop.
            tokio::time::timeout(Duration::from_secs(5), &mut shutdown)
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "the workers ran (they stop within 120 ms once cancelled), and shutdown \
                         had still not returned 5 s later: it waits for something that does not \
                         end when the workers do (a TaskTracker's `wait` returns only after \
                         `close`; a channel ends only once every sender is dropped)"
                    )
                })
        });
        let _ = stop.send(());
        driver.join().expect("the workers' runtime panicked");
        assert_eq!(
            lines(&log, " stopped"),
            WORKERS,
            "after shutdown, every worker should have stopped, each once (a task stopped by \
             `abort`, `abort_all` or `JoinSet::shutdown` never saves nor writes \"stopped\")"
        );
    }

    /// Runs `run` as a task of `runtime` when its future can be sent to another thread, as a
    /// task must; `None` when it cannot (the test that needs it is then left out).
    struct SendProbe<F>(std::cell::Cell<Option<F>>);

    #[allow(dead_code)] // used only when the future can be sent
    trait SpawnIfSend<T> {
        fn spawn_on(&self, runtime: &tokio::runtime::Runtime)
        -> Option<tokio::task::JoinHandle<T>>;
    }

    impl<T: Send + 'static, F: std::future::Future<Output = T> + Send + 'static> SpawnIfSend<T>
        for SendProbe<F>
    {
        fn spawn_on(
            &self,
            runtime: &tokio::runtime::Runtime,
        ) -> Option<tokio::task::JoinHandle<T>> {
            self.0.take().map(|run| runtime.spawn(run))
        }
    }

    #[allow(dead_code)] // used only when the future cannot be sent
    trait SpawnNever<T> {
        fn spawn_on(&self, _: &tokio::runtime::Runtime) -> Option<tokio::task::JoinHandle<T>> {
            None
        }
    }

    impl<T, F> SpawnNever<T> for &SendProbe<F> {}

    /// Starts a crawler whose workers save in no time, and shuts it down at once (after
    /// stop_fetchers if asked): the workers that had stopped when shutdown returned.
    #[allow(unused_must_use)] // what shutdown returns (`()`, or a `Result`) is not looked at
    async fn start_and_shut_down(stop_fetchers_first: bool) -> Vec<String> {
        let log = Log::default();
        let crawler = Crawler::start(&log, Duration::ZERO);
        if stop_fetchers_first {
            crawler.stop_fetchers();
            tokio::task::yield_now().await;
        }
        crawler.shutdown().await;
        lines(&log, " stopped")
    }

    /// Saving takes no time here (`save` is zero), so each worker stops as soon as its task
    /// runs, in an order only the scheduler decides: on a runtime with one worker thread, a task
    /// woken by another task's end may run before tasks woken earlier. Awaiting the workers
    /// that save longest (fetcher 3, the indexer) then returns before the others have run.
    #[test]
    fn every_worker_is_waited_for_when_saving_takes_no_time() {
        for stop_fetchers_first in [false, true] {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("could not build a runtime");
            let run = start_and_shut_down(stop_fetchers_first);
            let probe = &SendProbe(std::cell::Cell::new(Some(run)));
            let Some(task) = probe.spawn_on(&runtime) else {
                return;
            };
            // A hang guard only, in real time: the workers need no time to stop.
            let stopped: Vec<String> = runtime
                .block_on(async { tokio::time::timeout(Duration::from_secs(3), task).await })
                .expect(
                    "shutdown had not returned 3 s after it was called, though saving took no \
                     time: it waits for something that does not end when the workers do",
                )
                .expect("the test's task panicked: see the message above");
            let missing: Vec<&str> = WORKERS
                .into_iter()
                .filter(|name| !stopped.iter().any(|line| line == name))
                .collect();
            let before = if stop_fetchers_first {
                "stop_fetchers, then shutdown,"
            } else {
                "shutdown"
            };
            // None stopped: shutdown waited for no worker, maybe for a count that the
            // workers' tasks raise when they start, which none had done yet.
            let none_ran = if stopped.is_empty() {
                " None had: shutdown waited for no worker at all. What a worker's task does \
                 first (raise a count of running workers, register itself) may not have \
                 happened yet when shutdown is called at once after start: count the workers, \
                 or keep their JoinHandles, in `start`, as it spawns them."
            } else {
                ""
            };
            assert!(
                missing.is_empty(),
                "with a `save` of zero every worker stops as soon as its task runs, in whatever \
                 order the scheduler runs them; {before} called at once after start returned \
                 while {missing:?} had not written \"stopped\" yet (only {stopped:?} had).\
                 {none_ran} Wait for every worker's task (keep each JoinHandle and await it, or \
                 use a JoinSet or a TaskTracker), not only for the ones that save longest, and \
                 let them save: a task stopped by `abort`, `abort_all` or `JoinSet::shutdown` \
                 never writes \"stopped\" (await `join_next` until it gives None instead)"
            );
        }
    }
}
