// thread_sleep_heartbeat
//
// `fetch_report` has to wait 100 ms for a slow server before the report is ready. It waits
// with `std::thread::sleep`, which freezes the whole thread: on a single-threaded runtime no
// other task can run during those 100 ms, so the heartbeat below stops beating.
//
// Make `fetch_report` wait without blocking the thread, so the heartbeat keeps ticking while
// the report is on its way. It must still wait the full 100 ms.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::task::JoinHandle;

/// Adds one to `ticks` every 10 ms, forever: a sign that the runtime is free to run tasks.
fn spawn_heartbeat(ticks: Arc<AtomicU32>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(10)).await;
            ticks.fetch_add(1, Ordering::SeqCst);
        }
    })
}

async fn fetch_report() -> String {
    // TODO: this wait freezes the thread that runs every other task too.
    std::thread::sleep(Duration::from_millis(100));
    "report ready".to_string()
}

// A single-threaded runtime, like the test's: a blocked thread blocks everything.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let ticks = Arc::new(AtomicU32::new(0));
    let heartbeat = spawn_heartbeat(Arc::clone(&ticks));
    let report = fetch_report().await;
    println!("{report} after {} heartbeats", ticks.load(Ordering::SeqCst));
    heartbeat.abort();
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicU32;
    use std::sync::atomic::Ordering;
    use tokio::time::Instant;

    /// A poll that takes this long on the real clock blocked the thread: polling a future that
    /// only awaits takes microseconds. Tokio's paused clock cannot see a blocked thread.
    const BLOCKED: std::time::Duration = std::time::Duration::from_millis(75);

    /// Awaits `future` and returns its output with the longest real time one poll of it took.
    async fn longest_poll<F: std::future::Future>(future: F) -> (F::Output, std::time::Duration) {
        let (output, polls) = timed_polls(future).await;
        (output, polls.longest)
    }

    /// The real time the polls of a future took: how long it held the thread.
    #[derive(Clone, Copy, Debug, Default)]
    struct Polls {
        count: u32,
        longest: std::time::Duration,
        total: std::time::Duration,
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

    /// Calls `call` (fetch_report) and returns the future it made, but fails if the call
    /// itself, before that future was polled at all, held the thread for BLOCKED or more of
    /// real time. An async fn does nothing until it is polled; a `fn fetch_report() -> impl
    /// Future` may block before it returns its future, where timing the polls cannot see it,
    /// and perhaps only once (in a Once or LazyLock): every test times its calls (its first
    /// call at least), so whichever test calls first sees it.
    fn called<F: std::future::Future>(call: impl FnOnce() -> F) -> F {
        let start = std::time::Instant::now();
        let future = call();
        let took = start.elapsed();
        assert!(
            took < BLOCKED,
            "the call fetch_report(), before the future it returns was polled (awaited) at \
             all, held the thread for {} ms of real time: it blocks when it is called (a \
             std::thread::sleep or other blocking work done in fetch_report before it returns \
             its future, perhaps once only, in a Once or LazyLock, which makes other callers \
             wait too). Nothing may block the thread, on the first call or any other: wait \
             with tokio::time::sleep(Duration::from_millis(100)).await inside the future",
            took.as_millis()
        );
        future
    }

    /// Awaits `future`, but fails once it has been polled 1000 times in a row at one instant of
    /// the paused clock. A future that keeps waking itself (a loop around yield_now that reads
    /// the clock) never lets the runtime go idle, so the paused clock never moves on and the
    /// loop would spin until the run is killed: this says so instead.
    async fn without_spinning<F: std::future::Future>(future: F) -> F::Output {
        let mut future = Box::pin(future);
        let mut last = Instant::now();
        let mut polls_at_last = 0;
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
                "fetch_report was polled 1000 times in a row while Tokio's paused clock stood \
                 still: it keeps waking itself up (a loop around yield_now that reads the \
                 clock?). Such a busy task never lets the runtime go idle, so the paused clock \
                 never moves on and it spins for ever (on a real clock it keeps a CPU busy). \
                 Wait with tokio::time::sleep(..).await, which lets the task sleep until its \
                 time comes"
            );
            future.as_mut().poll(cx)
        })
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn fetch_report_never_blocks_the_thread() {
        let (report, longest) = longest_poll(without_spinning(called(fetch_report))).await;
        assert_eq!(
            report, "report ready",
            "fetch_report returned the wrong text"
        );
        assert!(
            longest < BLOCKED,
            "one poll of fetch_report held the thread for {} ms of real time: something in it \
             still blocks the thread, even if it also awaits. Is a std::thread::sleep left \
             beside the tokio::time::sleep? Wait with tokio::time::sleep(..).await only",
            longest.as_millis()
        );
    }

    /// On the paused clock, tokio::time::sleep takes no real time at all, so fetch_report
    /// should not either: one call takes some microseconds of real time, so a blocking sleep
    /// (or busy loop) of a quarter of a ms per call, even a short one left beside the tokio
    /// sleep, shows. The fastest of up to 300 calls is taken: under load, the OS alone can
    /// pause a thread for long, but not during every call.
    #[test]
    fn fetch_report_does_not_wait_on_the_real_clock() {
        const QUICK: std::time::Duration = std::time::Duration::from_micros(250);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let start = std::time::Instant::now();
        let mut fastest = std::time::Duration::MAX;
        let mut calls = 0;
        while calls < 300 && start.elapsed() < std::time::Duration::from_secs(1) {
            let call = std::time::Instant::now();
            // The call is made inside the runtime, as an `.await` in a program makes it: a
            // `fn fetch_report() -> impl Future` may create a Tokio timer or spawn a task when
            // it is called, which needs a runtime. The first call is timed as a whole, as in
            // every test (a call that blocks once, before it returns its future, shows in
            // whichever test calls first); the others are left to the fastest: under load,
            // the OS alone can pause a thread for long.
            let first = calls == 0;
            let report = runtime.block_on(async {
                let future = if first {
                    called(fetch_report)
                } else {
                    fetch_report()
                };
                without_spinning(future).await
            });
            fastest = fastest.min(call.elapsed());
            calls += 1;
            assert_eq!(
                report, "report ready",
                "fetch_report returned the wrong text"
            );
            if fastest < QUICK {
                return;
            }
        }
        panic!(
            "on a paused clock, where tokio::time::sleep takes no real time, a call of \
             fetch_report should take some microseconds of real time, but the fastest of \
             {calls} calls took {fastest:?}: it still waits on the real clock somewhere (a \
             std::thread::sleep or a busy loop, even a short one before or after the tokio \
             sleep, in a spawned task, in spawn_blocking, in a thread of its own, or in steps \
             between awaits), which ties up a thread. Wait with tokio::time::sleep(..).await \
             only"
        );
    }

    /// A sleep wakes its task once, when its time comes: fetch_report is polled at 0 ms and at
    /// 100 ms. A loop of 1 ms sleeps (that checks the clock, say) is polled at every turn.
    /// Moments are counted, not polls, so a yield_now here and there is free, and a wait in
    /// steps of 10 ms or more (ten sleeps of 10 ms, a progress message every 10 ms) is let
    /// through (2 + 100 / 10 = 12 moments at most).
    #[tokio::test(start_paused = true)]
    async fn fetch_report_sleeps_instead_of_checking_the_clock() {
        let start = Instant::now();
        let mut moments: Vec<u128> = Vec::new();
        let mut future = Box::pin(without_spinning(called(fetch_report)));
        let report = std::future::poll_fn(|cx| {
            let now = start.elapsed().as_millis();
            if moments.last() != Some(&now) {
                moments.push(now);
            }
            future.as_mut().poll(cx)
        })
        .await;
        assert_eq!(
            report, "report ready",
            "fetch_report returned the wrong text"
        );
        // The shortest time between two moments it was woken at: under 10 ms, it wakes itself
        // up too often; 10 ms or more, with more moments than 12, its wait went on past 100 ms.
        let shortest = moments.windows(2).map(|pair| pair[1] - pair[0]).min();
        let last = moments.last().copied().unwrap_or_default();
        assert!(
            moments.len() <= 12 || shortest.is_some_and(|gap| gap >= 10),
            "fetch_report was woken at {} different moments of Tokio's clock during its 100 ms \
             wait (at {:?}{} ms; 12 at most are allowed, as a wait in steps of 10 ms makes), \
             two of them only {} ms apart: it wakes itself up more often than every 10 ms (a \
             timer or sleeps shorter than that). tokio::time::sleep wakes the task once, when \
             its time comes: wait with tokio::time::sleep(Duration::from_millis(100)).await, \
             and print any progress at most every 10 ms",
            moments.len(),
            &moments[..moments.len().min(14)],
            if moments.len() > 14 { " ..." } else { "" },
            shortest.unwrap_or_default()
        );
        assert!(
            moments.len() <= 12,
            "fetch_report was woken at {} different moments of Tokio's clock (at {:?}{} ms), \
             at least 10 ms apart, and returned only at {last} ms: its wait did not end when \
             Tokio's clock reached 100 ms. Either it waits longer than 100 ms, or it waits on \
             something other than Tokio's clock: a wait timed by the real clock \
             (std::time::Instant, SystemTime) does this on the test's paused clock, where \
             Tokio's time leaps ahead while real time crawls. Wait with \
             tokio::time::sleep(Duration::from_millis(100)).await",
            moments.len(),
            &moments[..moments.len().min(14)],
            if moments.len() > 14 { " ..." } else { "" }
        );
    }

    /// What to add to a message when calls returned after `waited` ms, short of 100 ms, each
    /// one alone: a wait 10 ms short is what counting ten ticks of a 10 ms interval gives.
    fn short_by_itself(waited: u128) -> String {
        if waited == 90 {
            " If it counts ticks of a tokio::time::interval: the first tick comes at once, so \
             ten ticks of 10 ms span only 90 ms."
                .to_string()
        } else {
            String::new()
        }
    }

    /// Two reports fetched at the same time each wait their own 100 ms: a wait counted in a
    /// counter shared by every call (a static) ends early when two calls add to it. When they
    /// do not, one call alone tells a wait that is short by itself from one that others cut.
    #[tokio::test(start_paused = true)]
    async fn two_reports_fetched_at_once_each_wait_100_ms() {
        let start = Instant::now();
        let timed = || async {
            let report = without_spinning(called(fetch_report)).await;
            (report, start.elapsed().as_millis())
        };
        let real_start = std::time::Instant::now();
        let ((first, first_at), (second, second_at)) = tokio::join!(timed(), timed());
        let real = real_start.elapsed();
        assert_eq!(
            (first.as_str(), second.as_str()),
            ("report ready", "report ready"),
            "fetch_report returned the wrong text"
        );
        if first_at >= 100 && second_at >= 100 {
            return;
        }
        assert!(
            real < std::time::Duration::from_millis(50),
            "two calls of fetch_report started together returned after {first_at} and \
             {second_at} ms of Tokio's clock but took {real:?} of real time: they waited on the \
             real clock, which the test's paused clock does not count (a std::thread::sleep, or \
             a thread or spawn_blocking task that sleeps?). Wait with \
             tokio::time::sleep(Duration::from_millis(100)).await"
        );
        let start = Instant::now();
        let report = without_spinning(called(fetch_report)).await;
        let alone = start.elapsed().as_millis();
        assert_eq!(
            report, "report ready",
            "fetch_report returned the wrong text"
        );
        assert!(
            alone < 100,
            "two calls of fetch_report started together returned after {first_at} and \
             {second_at} ms of Tokio's clock, but one call alone then waited {alone} ms: calls \
             made at the same time cut each other's wait short. Each call must wait its own full \
             100 ms, whatever other calls run at the same time (a wait that counts its steps in \
             something shared by every call ends early). Wait with tokio::time::sleep(..).await \
             in each call"
        );
        panic!(
            "two calls of fetch_report started together returned after {first_at} and \
             {second_at} ms of Tokio's clock, and one call alone then returned after {alone} ms, \
             {} ms short: a call returns before 100 ms even when the test makes no other call at \
             the same time.{} Each call must wait its own full 100 ms, counted from when it is \
             made: wait with tokio::time::sleep(Duration::from_millis(100)).await",
            100 - alone,
            short_by_itself(alone)
        );
    }

    /// Each call waits its own 100 ms from when it is made: one made after another has
    /// returned too. A wait measured from a moment kept from an earlier call (a `static`
    /// deadline or start time) ends early or at once. Three calls in a row, so that the test
    /// holds whichever test of this file ran first (statics live as long as the test run).
    #[tokio::test(start_paused = true)]
    async fn reports_fetched_one_after_another_each_wait_100_ms() {
        // Tokio's and the real time each call took.
        let mut calls = Vec::new();
        for _ in 1..=3 {
            let start = Instant::now();
            let real_start = std::time::Instant::now();
            let report = without_spinning(called(fetch_report)).await;
            calls.push((start.elapsed().as_millis(), real_start.elapsed()));
            assert_eq!(
                report, "report ready",
                "fetch_report returned the wrong text"
            );
        }
        for (call, &(waited, real)) in (1..).zip(&calls) {
            assert!(
                waited >= 100 || real < std::time::Duration::from_millis(50),
                "call {call} of 3 of fetch_report returned after {waited} ms of Tokio's clock \
                 but took {real:?} of real time: it waited on the real clock, which the test's \
                 paused clock does not count (a std::thread::sleep, or a thread or \
                 spawn_blocking task that sleeps?). Wait with \
                 tokio::time::sleep(Duration::from_millis(100)).await"
            );
        }
        let waited: Vec<u128> = calls.iter().map(|&(waited, _)| waited).collect();
        let slowest = calls
            .iter()
            .map(|&(_, real)| real)
            .max()
            .unwrap_or_default();
        if waited.iter().all(|&w| w >= 100) {
            return;
        }
        assert!(
            waited.iter().any(|&w| w > 0),
            "3 calls of fetch_report, one after another, each returned at once: after 0 ms of \
             Tokio's clock, in {slowest:?} of real time at most, none of them waited on Tokio's \
             clock. Each call must wait its own full 100 ms, counted from when it is made: wait \
             with tokio::time::sleep(Duration::from_millis(100)).await"
        );
        // The same wait, not 0 ms, for every call: no call found its wait over before it began.
        assert!(
            !(waited[0] > 0 && waited.iter().all(|&w| w == waited[0])),
            "3 calls of fetch_report, one after another, each returned after {} ms of Tokio's \
             clock, in {slowest:?} of real time at most: every call, on its own, returns {} ms \
             before the 100 ms are up.{} Each call must wait its full 100 ms: wait with \
             tokio::time::sleep(Duration::from_millis(100)).await",
            waited[0],
            100 - waited[0],
            short_by_itself(waited[0])
        );
        panic!(
            "3 calls of fetch_report, one after another (the first made after other tests of \
             this file may have called it), returned after {waited:?} ms of Tokio's clock, in \
             {slowest:?} of real time at most: each call must wait its own full 100 ms, counted \
             from when it is made on Tokio's clock (a wait that ends at a moment kept from an \
             earlier call, or a report kept from one, ends early; so does a deadline taken from \
             the system's clock, std::time::Instant::now() turned into Tokio's with \
             Instant::from_std: Tokio's paused clock runs ahead of it at each wait, so the \
             deadline is already past). Wait with \
             tokio::time::sleep(Duration::from_millis(100)).await in each call"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn heartbeat_keeps_ticking_while_the_report_is_fetched() {
        let ticks = Arc::new(AtomicU32::new(0));
        let heartbeat = spawn_heartbeat(Arc::clone(&ticks));

        let start = Instant::now();
        let real_start = std::time::Instant::now();
        let report = without_spinning(called(fetch_report)).await;
        let elapsed = start.elapsed().as_millis();
        let real = real_start.elapsed();
        let beats = ticks.load(Ordering::SeqCst);
        heartbeat.abort();

        assert_eq!(
            report, "report ready",
            "fetch_report returned the wrong text"
        );
        // A wait short on Tokio's clock, in under 50 ms of real time, with the heartbeat ticking
        // about once per 10 ms of it: the wait was too short, nothing blocked.
        let short_wait = elapsed < 100
            && real < std::time::Duration::from_millis(50)
            && u128::from(beats) + 2 >= elapsed / 10;
        assert!(
            beats >= 8 || short_wait,
            "the heartbeat ticked {beats} times while fetch_report waited ({elapsed} ms of \
             Tokio's clock), expected about 10. A std::thread::sleep blocks the thread, so no \
             other task runs; one handed to spawn_blocking or to a thread of its own waits on \
             the real clock while Tokio's paused clock, the heartbeat's, stands still; and a \
             wait that is skipped lets nothing run either: use tokio::time::sleep(..).await"
        );
        assert!(
            elapsed >= 100,
            "fetch_report returned after {elapsed} ms of Tokio's clock (the heartbeat ticked \
             {beats} times meanwhile): it must still wait 100 ms for the server. A \
             tokio::time::sleep(..) waits only when it is .awaited: one made and never awaited \
             (`let _ = tokio::time::sleep(..);`, or kept in a variable) waits for nothing. Use \
             tokio::time::sleep(Duration::from_millis(100)).await"
        );
        // On the paused clock, waiting on Tokio's clock alone takes next to no real time.
        assert!(
            elapsed <= 105 || real >= std::time::Duration::from_millis(50),
            "fetch_report returned after {elapsed} ms of Tokio's clock, not 100 ms, in {real:?} \
             of real time: it waits longer than the 100 ms the server needs. Wait with \
             tokio::time::sleep(Duration::from_millis(100)).await"
        );
        assert!(
            elapsed <= 105,
            "fetch_report returned after {elapsed} ms of Tokio's clock, not 100 ms, and took \
             {real:?} of real time: it waited in real time where Tokio's timer does not see it \
             (a std::thread that sleeps, a channel from one, a loop timed by \
             std::time::Instant), and meanwhile the test's paused clock ran ahead. Wait with \
             tokio::time::sleep(..).await"
        );
    }

    /// Every other test pauses Tokio's clock; in a program (main) it runs in real time. A
    /// fetch_report that blocks the thread only when Tokio's clock runs shows here: on a
    /// runtime like main's, with its clock running, the heartbeat beside it, on a thread named
    /// main. Each poll and the call itself must be quick, and the wait must last its 100 ms of
    /// real time (a tokio::time::sleep never ends early). A std::thread::sleep(100 ms) takes
    /// 100 ms or more, so a blocking poll shows whatever the load. The real time of the call
    /// and all its polls is added up too: code that only awaits holds the thread for some
    /// microseconds in all, and blocking sleeps of 50 ms in all take 50 ms or more however
    /// they are cut up, so a wait that blocks in pieces (each poll under 75 ms) shows. The
    /// call with the least of it of up to 3 is taken: under load, the OS alone can pause a
    /// thread for long, but not during every call.
    #[test]
    fn fetch_report_never_blocks_on_a_running_clock() {
        const HELD: std::time::Duration = std::time::Duration::from_millis(50);
        let outcome = std::thread::Builder::new()
            .name("main".to_string())
            .spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    // Each call's report, polls, real time, and the real time of the call
                    // itself plus its polls.
                    let mut calls = Vec::new();
                    while calls.len() < 3 {
                        let ticks = Arc::new(AtomicU32::new(0));
                        let heartbeat = spawn_heartbeat(Arc::clone(&ticks));
                        let start = std::time::Instant::now();
                        let future = called(fetch_report);
                        let call = start.elapsed();
                        let (report, polls) = timed_polls(future).await;
                        let real = start.elapsed();
                        heartbeat.abort();
                        let held = call + polls.total;
                        calls.push((report, polls, real, held));
                        if held < HELD {
                            break;
                        }
                    }
                    calls
                })
            })
            .unwrap()
            .join();
        let calls = outcome.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        for (report, ..) in &calls {
            assert_eq!(
                report, "report ready",
                "fetch_report returned the wrong text"
            );
        }
        // The first call, as in every test (a call that blocks once shows in the first).
        let (_, first, _, _) = &calls[0];
        assert!(
            first.longest < BLOCKED,
            "on a runtime whose clock runs in real time, as in main (every other test pauses \
             Tokio's clock), one poll of fetch_report held the thread for {} ms of real time: \
             something in it blocks the thread, a std::thread::sleep or other blocking work, \
             perhaps only when Tokio's clock is not paused (as in a program, which never runs \
             on a paused clock) or only on the first call (in a Once or LazyLock). Wait with \
             tokio::time::sleep(Duration::from_millis(100)).await only, on every path",
            first.longest.as_millis()
        );
        let (_, polls, real, held) = calls
            .iter()
            .min_by_key(|(_, _, _, held)| *held)
            .expect("at least one call");
        assert!(
            *held < HELD,
            "on a runtime whose clock runs in real time, as in main (every other test pauses \
             Tokio's clock), fetch_report held the thread for {} ms of real time in all, in \
             the best of {} calls (the call itself and its {} polls, the longest of them \
             {} ms): it blocks the thread, a std::thread::sleep or other blocking work, in one \
             go under 75 ms or in pieces between its awaits (perhaps only when Tokio's clock is \
             not paused, as in a program, which never runs on a paused clock), and the \
             heartbeat cannot beat meanwhile. Code that only awaits holds the thread for some \
             microseconds. Wait with tokio::time::sleep(Duration::from_millis(100)).await only, \
             on every path",
            held.as_millis(),
            calls.len(),
            polls.count,
            polls.longest.as_millis()
        );
        assert!(
            *real >= std::time::Duration::from_millis(100),
            "on a runtime whose clock runs in real time, as in main (every other test pauses \
             Tokio's clock), fetch_report returned after {real:?} of real time: it must still \
             wait 100 ms for the server, also when Tokio's clock is not paused (a wait skipped \
             or cut short when the clock runs?). Wait with \
             tokio::time::sleep(Duration::from_millis(100)).await on every path"
        );
    }
}
