// watch_config_reload
//
// An admin reloads a server's config (here just a rate limit) through a `watch` channel. A
// watch channel holds ONE value, the latest: `tx.send` replaces it, `rx.changed().await` waits
// until there is a value this receiver has not seen yet, and `rx.borrow()` reads the current one.
//
// `follow_limits` should record the limit after every reload it notices, until the admin goes
// away. It notices every reload, but it keeps recording the value it read at the start.

use tokio::sync::watch;

/// Records the newest limit each time it changes; returns them once the sender is dropped.
async fn follow_limits(mut rx: watch::Receiver<u32>) -> Vec<u32> {
    let mut applied = Vec::new();
    // TODO: this reads the limit once, before any reload has happened.
    let limit = *rx.borrow();
    while rx.changed().await.is_ok() {
        applied.push(limit);
    }
    applied
}

#[tokio::main]
async fn main() {
    let (tx, rx) = watch::channel(10);
    let follower = tokio::spawn(follow_limits(rx));
    for limit in [20, 30] {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        tx.send(limit).unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    drop(tx);
    println!("applied limits: {:?}", follower.await.unwrap());
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::sync::watch;
    use tokio::task::JoinHandle;
    use tokio::time::{Instant, sleep};

    /// Spawns follow_limits and counts in `moments` the moments of the paused clock at which
    /// it is polled (several polls at one moment, around a `yield_now`, count once). It fails
    /// once follow_limits has been polled 1000 times in a row while the paused clock stood
    /// still: a loop that checks the channel between `yield_now`s never lets the clock move, so
    /// no reload would come.
    fn follow(rx: watch::Receiver<u32>, moments: Arc<AtomicUsize>) -> JoinHandle<Vec<u32>> {
        let mut following = Box::pin(follow_limits(rx));
        let mut at = None;
        let mut in_a_row = 0u32;
        tokio::spawn(std::future::poll_fn(move |cx| {
            if at != Some(Instant::now()) {
                at = Some(Instant::now());
                in_a_row = 0;
                moments.fetch_add(1, Ordering::SeqCst);
            }
            in_a_row += 1;
            assert!(
                in_a_row <= 1000,
                "follow_limits was polled 1000 times in a row while the clock stood still: it \
                 checks the channel in a busy loop (has_changed and yield_now?). Await \
                 `rx.changed()` instead: it sleeps until the next reload, or until the sender \
                 is gone"
            );
            following.as_mut().poll(cx)
        }))
    }

    /// Sends a new limit. If the follower has already failed (and dropped its receiver), the
    /// send fails too; that is left to the follower's own result to tell.
    fn reload(tx: &watch::Sender<u32>, limit: u32) {
        let _ = tx.send(limit);
    }

    /// What the follower recorded; a panic in it (the busy-loop check's) is passed on as is.
    async fn limits_of(follower: JoinHandle<Vec<u32>>) -> Vec<u32> {
        follower
            .await
            .unwrap_or_else(|error| std::panic::resume_unwind(error.into_panic()))
    }

    /// Whether `applied` is the limit the channel started with, then the limits of the reloads
    /// (`expected`): every new limit was recorded, and the starting one too.
    fn start_recorded_too(applied: &[u32], start: u32, expected: &[u32]) -> bool {
        applied.split_first() == Some((&start, expected))
    }

    /// What to say when the follower recorded the starting limit as well as every reload's.
    fn start_too(start: u32) -> String {
        format!(
            "it recorded every new limit, but first the limit the channel started with \
             ({start}), which no reload brought: record a limit only after `changed()` returns"
        )
    }

    #[tokio::test(start_paused = true)]
    async fn follows_every_reload() {
        let (tx, rx) = watch::channel(10);
        let follower = follow(rx, Default::default());
        sleep(Duration::from_millis(100)).await;
        reload(&tx, 20);
        sleep(Duration::from_millis(100)).await;
        reload(&tx, 30);
        sleep(Duration::from_millis(100)).await;
        drop(tx);
        let applied = limits_of(follower).await;
        let why = if start_recorded_too(&applied, 10, &[20, 30]) {
            start_too(10)
        } else {
            "record the NEW value after each change (read it after `changed()` returns, not \
             once at the start)"
                .to_string()
        };
        assert_eq!(
            applied,
            [20, 30],
            "the limit was reloaded to 20, then to 30; {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn five_thousand_reloads_are_all_recorded() {
        let (tx, rx) = watch::channel(0);
        let follower = follow(rx, Default::default());
        for limit in 1..=5000 {
            sleep(Duration::from_millis(100)).await;
            reload(&tx, limit);
        }
        sleep(Duration::from_millis(100)).await;
        drop(tx);
        let applied = limits_of(follower).await;
        let why = if applied.len() < 5000 {
            "record every reload, however many come (a Vec grows; a table of fixed size drops \
             the reloads past its end)"
                .to_string()
        } else if start_recorded_too(&applied, 0, &(1..=5000).collect::<Vec<_>>()) {
            start_too(0)
        } else if applied.len() == 5000 {
            "one limit for each reload, but not the new ones: read the limit after each \
             `changed()` returns"
                .to_string()
        } else {
            "more limits than reloads: record one limit each time `changed()` returns".to_string()
        };
        assert!(
            applied.iter().copied().eq(1..=5000),
            "the limit was reloaded 5000 times, 100 ms apart, to 1, 2, ... 5000, and the \
             follower recorded {} limits ({:?} ...): {why}",
            applied.len(),
            &applied[..applied.len().min(8)]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_of_reloads_shows_only_the_latest() {
        let (tx, rx) = watch::channel(1);
        let follower = follow(rx, Default::default());
        sleep(Duration::from_millis(100)).await;
        // Three reloads in a row, before the follower gets a chance to run.
        reload(&tx, 2);
        reload(&tx, 3);
        reload(&tx, 4);
        sleep(Duration::from_millis(100)).await;
        reload(&tx, 5);
        sleep(Duration::from_millis(100)).await;
        drop(tx);
        let applied = limits_of(follower).await;
        let also = if start_recorded_too(&applied, 1, &[4, 5]) {
            format!("; {}", start_too(1))
        } else {
            String::new()
        };
        assert_eq!(
            applied,
            [4, 5],
            "a watch channel keeps only the newest value: after the burst 2, 3, 4 the follower \
             should see 4, then 5{also}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_last_reload_before_leaving_counts() {
        let (tx, rx) = watch::channel(10);
        let follower = follow(rx, Default::default());
        sleep(Duration::from_millis(100)).await;
        // A last reload, and the admin leaves at once.
        reload(&tx, 40);
        drop(tx);
        let applied = limits_of(follower).await;
        let why = if start_recorded_too(&applied, 10, &[40]) {
            start_too(10)
        } else if applied.is_empty() {
            "`changed()` still reports that last reload before it reports that the sender is \
             gone, so await `changed()` until it returns Err (`has_changed()` gives Err as \
             soon as the sender is gone, with the last reload unread)"
                .to_string()
        } else if !applied.contains(&40) {
            "record the new limit: read it after each `changed()` returns".to_string()
        } else {
            "record one limit, the new one, each time `changed()` returns".to_string()
        };
        assert_eq!(
            applied,
            [40],
            "the admin reloaded the limit to 40 and left right away, and the follower \
             recorded {applied:?}: {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn two_reloads_a_millisecond_apart_are_both_recorded() {
        let (tx, rx) = watch::channel(10);
        let follower = follow(rx, Default::default());
        sleep(Duration::from_millis(100)).await;
        reload(&tx, 20);
        sleep(Duration::from_millis(1)).await;
        reload(&tx, 30);
        sleep(Duration::from_millis(100)).await;
        drop(tx);
        let applied = limits_of(follower).await;
        let why = if applied == [30] {
            "it recorded only the second: the first was not read when it came. The follower \
             is woken at once by each reload; read and record the limit right after \
             `changed()` returns, without waiting first"
                .to_string()
        } else if start_recorded_too(&applied, 10, &[20, 30]) {
            start_too(10)
        } else {
            "record the new limit each time `changed()` returns".to_string()
        };
        assert_eq!(
            applied,
            [20, 30],
            "the limit was reloaded to 20, then 1 ms later to 30, and the follower recorded \
             {applied:?}: {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_limit_of_zero_is_recorded_too() {
        let (tx, rx) = watch::channel(10);
        let follower = follow(rx, Default::default());
        sleep(Duration::from_millis(100)).await;
        reload(&tx, 0);
        sleep(Duration::from_millis(100)).await;
        reload(&tx, 20);
        sleep(Duration::from_millis(100)).await;
        drop(tx);
        let applied = limits_of(follower).await;
        let why = if applied == [20] {
            "the reload to 0 is missing: 0 is a limit like any other, record it too".to_string()
        } else if start_recorded_too(&applied, 10, &[0, 20]) {
            start_too(10)
        } else {
            "record the new limit each time `changed()` returns, whatever it is".to_string()
        };
        assert_eq!(
            applied,
            [0, 20],
            "the limit was reloaded to 0, then to 20, and the follower recorded {applied:?}: \
             {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn limits_of_any_size_are_recorded() {
        // A limit is any u32: 1, just past 65 535 (a u16), a hundred thousand, and the largest.
        let limits = [1, 65_536, 100_000, 2_500_001, u32::MAX];
        let (tx, rx) = watch::channel(10);
        let follower = follow(rx, Default::default());
        for limit in limits {
            sleep(Duration::from_millis(100)).await;
            reload(&tx, limit);
        }
        sleep(Duration::from_millis(100)).await;
        drop(tx);
        let applied = limits_of(follower).await;
        let why = if start_recorded_too(&applied, 10, &limits) {
            start_too(10)
        } else if applied.len() == limits.len() {
            "one limit for each reload, but not always the new one: record the newest value \
             each time `changed()` returns, however large it is (any u32 is a limit)"
                .to_string()
        } else {
            "record the new limit each time `changed()` returns, whatever it is".to_string()
        };
        assert_eq!(
            applied, limits,
            "the limit was reloaded to {limits:?}, 100 ms apart, and the follower recorded \
             {applied:?}: {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_reload_to_the_same_limit_is_still_a_reload() {
        let (tx, rx) = watch::channel(10);
        let follower = follow(rx, Default::default());
        sleep(Duration::from_millis(100)).await;
        // The limit goes to 50 and straight back to 10 before the follower runs.
        reload(&tx, 50);
        reload(&tx, 10);
        sleep(Duration::from_millis(100)).await;
        drop(tx);
        let applied = limits_of(follower).await;
        // (The starting limit is 10 too: [10, 10] may be the start and the reload, or one
        // reload recorded twice.)
        let why = if applied.len() > 1 {
            format!(
                "the follower recorded {} limits for this one reload: record a limit only after \
                 `changed()` returns, once each time it does",
                applied.len()
            )
        } else {
            "`changed()` reports the reload even though the limit is 10 again, so record the \
             newest value, 10, each time `changed()` returns, whether or not it differs from \
             the last one"
                .to_string()
        };
        assert_eq!(
            applied,
            [10],
            "the config was reloaded (to 50, then at once back to 10): {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stops_when_the_admin_leaves() {
        let (tx, rx) = watch::channel(7);
        drop(tx);
        assert_eq!(
            follow_limits(rx).await,
            Vec::<u32>::new(),
            "with no reload at all there is nothing to record"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_follower_sleeps_until_a_reload() {
        let (tx, rx) = watch::channel(10);
        // Count the moments at which the follower is polled, that is, woken up to check the
        // channel.
        let moments = Arc::new(AtomicUsize::new(0));
        let follower = follow(rx, Arc::clone(&moments));
        // Ten quiet seconds: nobody reloads anything.
        sleep(Duration::from_secs(10)).await;
        let quiet_moments = moments.load(Ordering::SeqCst);
        reload(&tx, 20);
        sleep(Duration::from_millis(7)).await;
        let left_at = tokio::time::Instant::now();
        drop(tx);
        let applied = limits_of(follower).await;
        let late = left_at.elapsed();
        assert_eq!(applied, [20], "the limit was reloaded once, to 20");
        // One wake-up of its own per 40 ms is allowed (a progress message), as in the other
        // lessons; a check on a timer also shows in how late the follower returns.
        let allowed = 2 + 10_000 / 40;
        assert!(
            quiet_moments <= allowed,
            "follow_limits was woken up at {quiet_moments} moments in 10 s while nobody reloaded \
             anything (at most {allowed} are allowed, one per 40 ms for a progress message): it \
             checks the channel on a timer. Await `rx.changed()` instead: it sleeps until the \
             next reload, or until the sender is gone"
        );
        assert_eq!(
            late,
            Duration::ZERO,
            "follow_limits returned {late:?} after the admin left, not at once: it was not \
             waiting in `rx.changed()` when the sender was dropped (it checks the channel on a \
             timer, or sleeps after a reload?). Await `rx.changed()` again right after \
             recording a limit: it returns Err as soon as the sender is dropped"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_hour_is_still_followed() {
        let (tx, rx) = watch::channel(10);
        let moments = Arc::new(AtomicUsize::new(0));
        let follower = follow(rx, Arc::clone(&moments));
        sleep(Duration::from_millis(100)).await;
        reload(&tx, 20);
        // 61 minutes with no reload (longer than an idle timeout of an hour): the admin is still
        // there, and reloads again. (A check on a timer is stopped after the first second.)
        sleep(Duration::from_secs(1)).await;
        let moments = moments.load(Ordering::SeqCst);
        assert!(
            moments <= 4 + 1_100 / 40,
            "follow_limits was woken up at {moments} moments in 1.1 s with one reload (one per \
             40 ms is allowed, for a progress message): it checks the channel on a timer. Await \
             `rx.changed()` instead: it sleeps until the next reload, or until the sender is gone"
        );
        sleep(Duration::from_secs(61 * 60 - 1)).await;
        reload(&tx, 30);
        sleep(Duration::from_millis(100)).await;
        drop(tx);
        let applied = limits_of(follower).await;
        let start = start_too(10);
        let why = if applied.len() < 2 {
            "follow_limits must follow until the sender is dropped, however long nobody reloads \
             anything (did it give up after a quiet spell, with a timeout around \
             `rx.changed()`?). Await `rx.changed()` until it returns Err; a timeout there may \
             log and wait again, but not stop following"
        } else if applied.len() == 2 {
            "it noticed both reloads; record the new limit of each (read it after `changed()` \
             returns)"
        } else if start_recorded_too(&applied, 10, &[20, 30]) {
            start.as_str()
        } else {
            "record one limit for each time `changed()` returns"
        };
        assert_eq!(
            applied,
            [20, 30],
            "the limit was reloaded to 20, then to 30 61 minutes later, and the admin left \
             after that: {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_same_limit_twice_is_two_reloads() {
        let (tx, rx) = watch::channel(10);
        let follower = follow(rx, Default::default());
        sleep(Duration::from_millis(100)).await;
        reload(&tx, 20);
        sleep(Duration::from_millis(100)).await;
        // The admin reloads the config again, with the same limit.
        reload(&tx, 20);
        sleep(Duration::from_millis(100)).await;
        drop(tx);
        let applied = limits_of(follower).await;
        let why = if start_recorded_too(&applied, 10, &[20, 20]) {
            start_too(10)
        } else {
            "record the newest value every time `changed()` returns, even when it is the limit \
             recorded last"
                .to_string()
        };
        assert_eq!(
            applied,
            [20, 20],
            "the config was reloaded twice, 100 ms apart, both times with a limit of 20: {why}"
        );
    }

    /// On the runtime it is called in: spawns follow_limits, reloads the limit to 20, then to
    /// 30, each once the follower is waiting again, then drops the sender. Returns what the
    /// follower recorded; `stage` tells how far it got (for a message if it never returns).
    async fn follow_on_a_running_clock(stage: Arc<AtomicUsize>) -> Vec<u32> {
        let (tx, rx) = watch::channel(10);
        // How many polls of follow_limits have begun, and the number of the last one that
        // ended pending (usize::MAX once it has returned).
        let begun = Arc::new(AtomicUsize::new(0));
        let pending = Arc::new(AtomicUsize::new(0));
        let mut following = Box::pin(follow_limits(rx));
        let follower = tokio::spawn({
            let (begun, pending) = (Arc::clone(&begun), Arc::clone(&pending));
            std::future::poll_fn(move |cx| {
                let number = begun.fetch_add(1, Ordering::SeqCst) + 1;
                let poll = following.as_mut().poll(cx);
                let ended = if poll.is_pending() {
                    number
                } else {
                    usize::MAX
                };
                pending.fetch_max(ended, Ordering::SeqCst);
                poll
            })
        });
        // Waits (in real time, a millisecond at a time) until a poll of the follower that
        // began after this call has ended pending, or the follower has returned: it has been
        // woken by what was sent so far and waits again, however fast the threads run. A
        // follower that waits on a task of its own is not polled at each reload: after 20 ms
        // the test goes on anyway (what it records does not hang on when it looks).
        let waiting_again = || {
            let (begun, pending) = (Arc::clone(&begun), Arc::clone(&pending));
            async move {
                let (sent, start) = (begun.load(Ordering::SeqCst), Instant::now());
                while pending.load(Ordering::SeqCst) <= sent
                    && start.elapsed() < Duration::from_millis(20)
                {
                    sleep(Duration::from_millis(1)).await;
                }
            }
        };
        waiting_again().await;
        for limit in [20, 30] {
            stage.fetch_add(1, Ordering::SeqCst);
            reload(&tx, limit);
            waiting_again().await;
        }
        stage.fetch_add(1, Ordering::SeqCst);
        drop(tx);
        limits_of(follower).await
    }

    /// Every other test pauses Tokio's clock; in a program (main) it runs in real time. A
    /// follower that reads the new limit only when the clock is paused (a probe of whether it
    /// moves) shows here: on runtimes like the tests' (one thread) and main's
    /// (multi-threaded), with their clocks running, on a thread named main, the limit is
    /// reloaded to 20, then to 30, each once the follower is waiting again, and the last limit
    /// recorded must be 30. The test gives up waiting after 5 s of real time, however loaded
    /// the machine (the thread left waiting ends with the test program).
    #[test]
    fn the_newest_limit_is_recorded_on_a_running_clock() {
        for multi_thread in [false, true] {
            let (send, recorded) = std::sync::mpsc::channel();
            let stage = Arc::new(AtomicUsize::new(0));
            std::thread::Builder::new()
                .name("main".to_string())
                .spawn({
                    let stage = Arc::clone(&stage);
                    move || {
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
                        let applied = runtime.block_on(follow_on_a_running_clock(stage));
                        let _ = send.send(applied);
                    }
                })
                .unwrap();
            let runtime = if multi_thread {
                "on a multi-threaded runtime, as main's,"
            } else {
                "on a runtime with one thread, as the tests',"
            };
            match recorded.recv_timeout(Duration::from_secs(5)) {
                Ok(applied) => {
                    let why = if applied.is_empty() {
                        "it recorded nothing, though `changed()` reports each reload (the last \
                         one too, before it reports that the sender is gone)"
                    } else if applied.iter().all(|&limit| limit == 10) {
                        "it kept recording 10, the limit the channel started with: the value \
                         read once at the start, not the new one"
                    } else {
                        "30 was the last reload, and `changed()` reports it before it reports \
                         that the sender is gone"
                    };
                    assert_eq!(
                        applied.last(),
                        Some(&30),
                        "{runtime} whose clock runs in real time (every other test pauses \
                         Tokio's clock), the limit was reloaded to 20, then to 30 (each once \
                         follow_limits was waiting again), and the admin left; the follower \
                         recorded {applied:?}: {why}. A program never runs on a paused clock: \
                         read the limit after each `changed()` returns, on every path, \
                         whatever clock or runtime it runs on"
                    );
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    let when = match stage.load(Ordering::SeqCst) {
                        0 => {
                            "before any reload, it kept the runtime's threads busy (a loop \
                              that never awaits, or a call that blocks the thread?)"
                        }
                        1 => {
                            "after the reload to 20, it kept the runtime's threads busy (a \
                              loop that never awaits, or a call that blocks the thread?)"
                        }
                        2 => {
                            "after the reload to 30, it kept the runtime's threads busy (a \
                              loop that never awaits, or a call that blocks the thread?)"
                        }
                        _ => "it had not returned after the sender was dropped",
                    };
                    panic!(
                        "{runtime} whose clock runs in real time (every other test pauses \
                         Tokio's clock), follow_limits was still running after 5 s: {when}. \
                         Await `rx.changed()` in a loop, recording the limit each time it \
                         returns Ok, and return once it returns Err (the sender is gone)"
                    )
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!(
                    "{runtime} whose clock runs in real time (every other test pauses Tokio's \
                     clock), follow_limits panicked (its message is in the full output, from \
                     the thread named main) while the limit was reloaded to 20, then to 30: \
                     await `rx.changed()` until it returns Err, and record the limit after \
                     each time it returns Ok"
                ),
            }
        }
    }

    /// A task that follow_limits starts and leaves running once it has returned (a progress line on
    /// a timer that nothing stops) piles up, one more with every call. An hour (of the test's
    /// paused clock) after a follower that saw two reloads, none of the tasks started since may
    /// still be alive.
    #[tokio::test(start_paused = true)]
    async fn a_follower_leaves_no_task_running() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        let (tx, rx) = tokio::sync::watch::channel(10);
        let follower = tokio::spawn(follow_limits(rx));
        for limit in [20, 30] {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            tx.send(limit).expect("the follower is gone");
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        drop(tx);
        follower.await.expect("follow_limits panicked");
        tokio::time::advance(std::time::Duration::from_secs(3600)).await;
        // Every task that the hour's timers woke runs now.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let left = metrics.num_alive_tasks().saturating_sub(before);
        assert_eq!(
            left, 0,
            "a follower that saw two reloads (follow_limits) had ended, and an hour later (of the \
             test's paused clock) {left} task(s) started since were still running: a task that \
             follow_limits starts (a progress line on a timer, say) must be over by the time it \
             returns (abort its JoinHandle: dropping it lets the task run on), or it stays alive \
             for good, and one more piles up with every call"
        );
    }
}
