// Give up on slow work with `tokio::time::timeout`.
//
// `forecast_or_cached` waits for a fresh weather forecast. When the weather
// service is slow, the page must not hang: after 200 ms, give up and return
// the cached forecast instead. A fresh forecast that arrives within 200 ms
// must still be used.

use tokio::time::{Duration, sleep, timeout};

pub async fn forecast_or_cached(fresh: impl Future<Output = String>, cached: &str) -> String {
    // `timeout` gives `Err(Elapsed)` if `fresh` is not done in time (and drops it).
    match timeout(Duration::from_millis(200), fresh).await {
        Ok(forecast) => forecast,
        Err(_elapsed) => cached.to_string(),
    }
}

/// A small demo: the service needs 2 s, so the cached forecast is shown.
#[tokio::main]
async fn main() {
    let slow_service = async {
        sleep(Duration::from_secs(2)).await;
        String::from("sunny")
    };
    println!(
        "{}",
        forecast_or_cached(slow_service, "cloudy (cached)").await
    );
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::pin::pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::task::{Context, Wake, Waker};
    use tokio::time::Duration;
    use tokio::time::Instant;
    use tokio::time::sleep;

    async fn weather_service(ms: u64, forecast: &str) -> String {
        sleep(Duration::from_millis(ms)).await;
        forecast.to_string()
    }

    /// Passes a wake-up of the service on to the task, and remembers that there was one.
    struct NoteWake {
        woken: AtomicBool,
        task: Waker,
    }

    impl Wake for NoteWake {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.store(true, Ordering::SeqCst);
            self.task.wake_by_ref();
        }
    }

    /// The service's future as forecast_or_cached gets it, with a count that tells whether it
    /// was dropped: giving up on a request means dropping its future, which cancels it.
    struct Watched<F> {
        service: F,
        _held: std::rc::Rc<()>,
    }

    impl<F: Future + Unpin> Future for Watched<F> {
        type Output = F::Output;
        fn poll(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> std::task::Poll<F::Output> {
            std::pin::Pin::new(&mut self.service).poll(cx)
        }
    }

    /// Shows the forecast of a service that needs `ms`, with `cached` as the cached forecast:
    /// what was shown, when, and the times (after the start, before the 200 ms deadline) at
    /// which the service's future was polled again without having woken its task. Fails if
    /// forecast_or_cached returned without having dropped the service's future.
    async fn show(ms: u64, forecast: &str, cached: &str) -> (String, Duration, Vec<Duration>) {
        let start = Instant::now();
        let held = std::rc::Rc::new(());
        let needless = RefCell::new(Vec::new());
        let mut service = pin!(weather_service(ms, forecast));
        let mut last_wake: Option<Arc<NoteWake>> = None;
        let spun = std::cell::Cell::new((Duration::ZERO, 0));
        let counted = std::future::poll_fn(|cx| {
            let at = start.elapsed();
            let woken = match &last_wake {
                Some(note) => note.woken.load(Ordering::SeqCst),
                None => true,
            };
            if !woken && at > Duration::ZERO && at < Duration::from_millis(200) {
                needless.borrow_mut().push(at);
            }
            // Polled again and again at one moment, never woken: a busy loop, which stops the
            // paused clock for good. Say so, rather than hang until the test is killed.
            if !woken && at == spun.get().0 {
                spun.set((at, spun.get().1 + 1));
                assert!(
                    spun.get().1 < 1_000,
                    "the service's future was polled 1000 times in a row at {at:?} without \
                     having woken its task: a loop that checks on it again and again \
                     (now_or_never and yield_now) keeps the clock from ever reaching the \
                     deadline. Wait once for the forecast and the deadline together \
                     (tokio::time::timeout)"
                );
            } else {
                spun.set((at, 0));
            }
            let note = Arc::new(NoteWake {
                woken: AtomicBool::new(false),
                task: cx.waker().clone(),
            });
            let waker = Waker::from(Arc::clone(&note));
            last_wake = Some(note);
            service.as_mut().poll(&mut Context::from_waker(&waker))
        });
        let watched = Watched {
            service: counted,
            _held: std::rc::Rc::clone(&held),
        };
        let shown = forecast_or_cached(watched, cached).await;
        let took = start.elapsed();
        if std::rc::Rc::strong_count(&held) > 1 {
            let with = if shown == forecast {
                String::from("the fresh forecast")
            } else if shown == cached {
                String::from("the cached forecast")
            } else {
                format!("{shown:?}")
            };
            let cancel = if ms > 200 {
                ", so the slow request it stands for is never cancelled"
            } else {
                ""
            };
            panic!(
                "the service needs {ms} ms and forecast_or_cached returned {with}, after \
                 {took:?}, but it kept the service's future instead of dropping it{cancel}: \
                 std::mem::forget, Box::leak and ManuallyDrop keep a future, and its memory, \
                 forever, one more on every call. Let the future go when you are done with it: \
                 tokio::time::timeout drops the future it was given, once it is ready or when \
                 the time is up"
            );
        }
        (shown, took, needless.into_inner())
    }

    #[tokio::test(start_paused = true)]
    async fn a_fast_forecast_is_used() {
        // A long forecast too (234 characters), and an empty one: a fresh forecast is shown
        // whatever its length. And one that arrives 1 ms before the deadline: it arrived
        // within the 200 ms, so it is shown too (a safety margin that gives up on it earlier,
        // then waits out the 200 ms or shows the cached one at once, drops a good forecast).
        let long = "light rain at first, clearing by noon; ".repeat(6);
        for (ms, forecast) in [
            (53, "sunny"),
            (190, "sunny"),
            (199, "showers"),
            (120, long.as_str()),
            (80, ""),
        ] {
            let (shown, took, _) = show(ms, forecast, "cloudy (cached)").await;
            // A long text is quoted by its start and its length.
            let quoted = |text: &str| {
                let chars = text.chars().count();
                if chars <= 40 {
                    format!("{text:?}")
                } else {
                    let start: String = text.chars().take(40).collect();
                    format!("{start:?}... ({chars} characters)")
                }
            };
            // What a wrong answer shows: the cached forecast, for a forecast that came in
            // time (and says something), is a deadline or a safety margin shorter than 200 ms.
            let early = if shown == "cloudy (cached)" && !forecast.is_empty() {
                format!(
                    " (the cached forecast, after {took:?}: a forecast that arrives at any \
                     moment before the 200 ms deadline is in time, so give up only at 200 ms, \
                     not earlier to leave a margin: tokio::time::timeout)"
                )
            } else {
                String::new()
            };
            assert!(
                shown == forecast,
                "the service answered after {ms} ms, within the 200 ms deadline, with {}, but \
                 {}{early} was shown: show the fresh forecast as it came, whatever it says (an \
                 empty one too)",
                quoted(forecast),
                quoted(&shown)
            );
            assert_eq!(
                took,
                Duration::from_millis(ms),
                "the forecast arrived after {ms} ms but was shown after {took:?}: return it as \
                 soon as it is there"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_forecast_is_abandoned() {
        // Cached forecasts of any kind: an empty one (nothing cached yet), a long one (300
        // bytes) and plain ones that do not say "cached".
        let long = "thunderstorms in the hills, 12 degrees; ".repeat(7) + "then clear and cold";
        for (ms, cached) in [
            (215, "cloudy (cached)"),
            (5_000, "fog, 4 degrees (cached at 06:00)"),
            (250, ""),
            (1_000, long.as_str()),
            (60_000, "drizzle"),
            (3_600_000, "windy, 9 degrees"),
        ] {
            // A long text is quoted by its start and its length.
            let quoted = |text: &str| {
                let chars = text.chars().count();
                if chars <= 40 {
                    format!("{text:?}")
                } else {
                    let start: String = text.chars().take(40).collect();
                    format!("{start:?}... ({chars} characters)")
                }
            };
            // A fast forecast first, so a fresh forecast kept from an earlier call (in a static)
            // is always there to be shown wrongly by the slow one.
            show(53, "sunny", "overcast (cached)").await;
            let (shown, took, _) = show(ms, "rain", cached).await;
            // A deadline written as 0.2 s in floating point (`from_secs_f32(0.2)`, a hair
            // over 200 ms) ends with the timer's next millisecond: 201 ms is on time too.
            assert!(
                took >= Duration::from_millis(200) && took <= Duration::from_millis(201),
                "forecast_or_cached returned after {took:?} for a service that needs {ms} ms, \
                 with the cached forecast {}: the deadline is 200 ms, whatever the cached \
                 forecast says (an empty or a long one too), so give up exactly then \
                 (tokio::time::timeout)",
                quoted(cached)
            );
            assert!(
                shown == cached,
                "the service needs {ms} ms, more than the 200 ms deadline: return the cached \
                 forecast that forecast_or_cached was given (its `cached` argument, here {}) \
                 as it is, not one of your own (nor the fresh \"sunny\" of the fast \
                 forecast shown just before); it returned {}",
                quoted(cached),
                quoted(&shown)
            );
        }
    }

    /// Two pages shown at once, the second asked for 100 ms after the first: each has its own
    /// 200 ms deadline, counted from its own call. A deadline or a timer that every call shares
    /// (a `static`, a `thread_local`) gives the same answers when the calls come one at a time,
    /// as in the other tests, but not here.
    #[tokio::test(start_paused = true)]
    async fn two_pages_at_once_each_get_their_own_deadline() {
        use futures_util::FutureExt;
        // The first page's service needs 250 ms: it gives way to its cached forecast at 200 ms.
        let first = show(250, "rain", "fog (cached)");
        // The second page is asked for at 100 ms, and its service answers 150 ms later (at
        // 250 ms), within its own deadline (300 ms).
        let second = async {
            sleep(Duration::from_millis(100)).await;
            show(150, "sunny", "cloudy (cached)").await
        };
        let both = std::panic::AssertUnwindSafe(async { tokio::join!(first, second) })
            .catch_unwind()
            .await;
        let Ok(((first_shown, first_took, _), (second_shown, second_took, _))) = both else {
            panic!(
                "two pages were shown at once (the second asked for 100 ms after the first), and \
                 forecast_or_cached panicked (its message is above): a timer or a RefCell that \
                 every call shares (kept in a static or a thread_local) and that one call holds \
                 across an .await cannot serve a second page that waits at the same time (\
                 \"already borrowed\"). Give each call a deadline of its own \
                 (tokio::time::timeout)"
            );
        };
        assert!(
            first_shown == "fog (cached)"
                && first_took >= Duration::from_millis(200)
                && first_took <= Duration::from_millis(201),
            "two pages were shown at once: the first page's service needs 250 ms, so its cached \
             forecast \"fog (cached)\" was due at 200 ms, but it showed {first_shown:?} after \
             {first_took:?}. Each call has its own 200 ms deadline, counted from that call, \
             whatever other pages are waiting (tokio::time::timeout)"
        );
        assert!(
            second_shown == "sunny" && second_took == Duration::from_millis(150),
            "two pages were shown at once: the second page was asked for 100 ms after the \
             first, while the first one waited, and its service answered 150 ms later, within that \
             call's own 200 ms deadline, with \"sunny\"; it showed {second_shown:?} after \
             {second_took:?}. A deadline or a timer that every call shares (in a static or a \
             thread_local) is counted from another call: give each call a deadline of its own \
             (tokio::time::timeout)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_service_is_not_asked_over_and_over() {
        for ms in [53, 5_000, 250, 1_000, 60_000, 3_600_000] {
            let (_, took, mut needless) = show(ms, "sunny", "cloudy (cached)").await;
            // Polls at one moment (a select! loop woken by two timers of its own) count once.
            needless.dedup();
            // A timer of its own now and then (a progress message every 40 ms or more, in a
            // select! loop that polls the forecast again on each turn) is fine; a loop of
            // short waits that checks on the service is not.
            let allowed = took.min(Duration::from_millis(200)).as_millis() / 40;
            if needless.len() as u128 > allowed {
                panic!(
                    "the service's future (it needs {ms} ms) was polled again before the \
                     200 ms deadline without having woken its task, at {} moments (the first \
                     after {:?}; one per 40 ms, for a progress message, would be fine): a future \
                     wakes its task when it can make progress, so checking it again on a timer \
                     of your own, or in a loop of shorter waits, is busy waiting. Wait once for \
                     the forecast and the deadline together (tokio::time::timeout)",
                    needless.len(),
                    needless[0]
                );
            }
        }
    }

    /// 500 pages at once, each with a service that answers after 50 ms: what they showed, and
    /// when (after their start), for those that did not show "sunny" after 50 ms.
    async fn five_hundred_fast_pages() -> Vec<(String, Duration)> {
        let start = Instant::now();
        let pages = (0..500).map(|_| async {
            let shown = forecast_or_cached(weather_service(50, "sunny"), "cloudy (cached)").await;
            (shown, start.elapsed())
        });
        let shown = futures_util::future::join_all(pages).await;
        (shown.into_iter())
            .filter(|(shown, took)| shown != "sunny" || *took != Duration::from_millis(50))
            .collect()
    }

    /// Every page waits for its own forecast up to its own deadline, however many wait at
    /// once, and a page whose visitor left (its call dropped half-way, as a web server drops
    /// the request of a client that went away) runs none of its code past the `.await` where
    /// it waited: a count of waiting pages or a permit in a `static`, given back only when a
    /// call returns, is never given back for it, and later pages find the service "busy".
    #[tokio::test(start_paused = true)]
    async fn pages_whose_visitors_left_change_nothing_for_the_next_ones() {
        let wrong = five_hundred_fast_pages().await;
        assert!(
            wrong.is_empty(),
            "500 pages were shown at once, each with a service that answers after 50 ms, and \
             {} of them showed something else than \"sunny\" after 50 ms (the first: {:?} \
             after {:?}): every page waits for its own fresh forecast, up to its own 200 ms \
             deadline, however many pages wait at once (tokio::time::timeout)",
            wrong.len(),
            wrong[0].0,
            wrong[0].1
        );
        // 500 visitors leave after 100 ms, while their pages wait for a slow service.
        let left = (0..500).map(|_| {
            let page = forecast_or_cached(weather_service(5_000, "rain"), "fog (cached)");
            tokio::time::timeout(Duration::from_millis(100), page)
        });
        futures_util::future::join_all(left).await;
        let wrong = five_hundred_fast_pages().await;
        assert!(
            wrong.is_empty(),
            "500 pages whose visitors left after 100 ms (each call dropped while it waited, as \
             a web server drops the request of a client that went away), then 500 pages at once \
             with a service that answers after 50 ms: {} of those showed something else than \
             \"sunny\" after 50 ms (the first: {:?} after {:?}), though 500 such pages \
             showed it before the visitors left. A call dropped while it waits runs none of its \
             code after that .await, so something it took to give back at its end (a count of \
             waiting pages, a permit, a flag in a static) was never given back. Keep nothing \
             that a dropped call leaves behind: tokio::time::timeout needs nothing else",
            wrong.len(),
            wrong[0].0,
            wrong[0].1
        );
    }

    /// A fallback spawned as a task of its own (a 200 ms sleep, then the cached forecast) and
    /// raced with the service gives the same answers at the same times, but when the fresh
    /// forecast wins, that task lives on, detached, until its sleep ends. (A helper task told
    /// to stop, that ends at its next tick, is fine: this looks just before the 200 ms.)
    #[tokio::test(start_paused = true)]
    async fn nothing_is_left_running_after_a_fast_forecast() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let start = Instant::now();
        let (shown, _, _) = show(53, "sunny", "cloudy (cached)").await;
        assert_eq!(
            shown, "sunny",
            "the service answered after 53 ms, within the deadline: show its forecast"
        );
        // Let the clock run on to just before the deadline, then let the tasks that are ready
        // run (an aborted or stopped task ends then).
        tokio::time::sleep_until(start + Duration::from_millis(199)).await;
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let alive = metrics.num_alive_tasks();
        assert_eq!(
            alive, 0,
            "forecast_or_cached returned the fresh forecast after 53 ms, but at 199 ms {alive} \
             task(s) it spawned were still running (a fallback that sleeps out the 200 ms, \
             say): nobody awaits a detached task, so stop it (abort) before returning, or \
             spawn nothing: wait for the forecast and the deadline together in \
             forecast_or_cached itself (tokio::time::timeout)"
        );
    }

    /// Runs forecast_or_cached on a runtime of its own (one thread, or main's multi-threaded
    /// kind) whose clock runs in real time, on a thread named main, for a service that needs
    /// `ms`: what it showed and how long it took on the real clock, or what went wrong.
    fn forecast_on_a_running_clock(
        ms: u64,
        forecast: &'static str,
        multi_thread: bool,
    ) -> Result<(String, std::time::Duration), &'static str> {
        let (send, shown) = std::sync::mpsc::channel();
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
                let got = runtime.block_on(async {
                    let start = std::time::Instant::now();
                    let shown =
                        forecast_or_cached(weather_service(ms, forecast), "cloudy (cached)").await;
                    (shown, start.elapsed())
                });
                let _ = send.send(got);
            })
            .unwrap();
        shown
            .recv_timeout(std::time::Duration::from_secs(5))
            .map_err(|error| match error {
                std::sync::mpsc::RecvTimeoutError::Timeout => {
                    "still had not returned after 5 s: the 200 ms deadline never fired on a real \
                     clock"
                }
                std::sync::mpsc::RecvTimeoutError::Disconnected => {
                    "panicked (its message is in the full output, from the thread named main)"
                }
            })
    }

    /// Every other test pauses Tokio's clock; in a program (main) it runs in real time. A
    /// deadline set only when the clock is paused (a probe of whether it moves) shows here: on
    /// runtimes like the tests' (one thread) and main's (multi-threaded), with their clocks
    /// running, on a thread named main, a service that needs an hour must give way to the
    /// cached forecast, and one that needs 50 ms be shown. Each call is timed on the real
    /// clock too: the thread blocked on the way (a `std::thread::sleep`, a synchronous write in
    /// a `Drop`), which a paused clock does not see, keeps the page hanging all the same. A
    /// real timer never ends early, and a busy machine may slow one try, seldom five in a row
    /// by 100 ms: one try under the limit is enough. A try gives up after 5 s of real time
    /// (the thread left waiting ends with the test program).
    #[test]
    fn the_deadline_holds_on_a_running_clock() {
        let cases = [
            (
                3_600_000,
                "rain",
                "cloudy (cached)",
                300,
                "the deadline is 200 ms",
            ),
            (
                50,
                "sunny",
                "sunny",
                150,
                "the service answered after 50 ms, within the deadline",
            ),
        ];
        for multi_thread in [false, true] {
            let runtime = if multi_thread {
                "on a multi-threaded runtime, as main's,"
            } else {
                "on a runtime with one thread, as the tests',"
            };
            for (ms, forecast, expected, limit, when) in cases {
                let limit = std::time::Duration::from_millis(limit);
                let mut tries = Vec::new();
                while tries.len() < 5 {
                    let (shown, took) =
                        match forecast_on_a_running_clock(ms, forecast, multi_thread) {
                            Ok(got) => got,
                            Err(what) => panic!(
                                "{runtime} whose clock runs in real time (every other test pauses \
                             Tokio's clock), forecast_or_cached {what}, for a service that \
                             needs {ms} ms. A program never runs on a paused clock, so give up \
                             after 200 ms on every path, whatever clock or runtime it runs on \
                             (tokio::time::timeout)"
                            ),
                        };
                    assert_eq!(
                        shown, expected,
                        "{runtime} whose clock runs in real time (every other test pauses \
                         Tokio's clock), the service needs {ms} ms and {when}: return \
                         {expected:?}"
                    );
                    if took < limit {
                        break;
                    }
                    tries.push(format!("{} ms", took.as_millis()));
                }
                // Giving up late (a deadline longer than 200 ms) shows here too, but only for
                // the slow service; the paused-clock tests say so as well.
                let late = if expected == forecast {
                    ""
                } else {
                    "it gave up later than the 200 ms deadline, or "
                };
                assert!(
                    tries.len() < 5,
                    "{runtime} whose clock runs in real time, as in a program (every other test \
                     pauses Tokio's clock), forecast_or_cached took {} on the real clock in 5 \
                     tries, each {} ms or more, for a service that needs {ms} ms ({when}; a real \
                     timer never ends early, and a busy machine seldom slows five tries in a row \
                     by 100 ms). The page hung on the way: {late}something blocked the \
                     thread (a std::thread::sleep, a slow synchronous write, in a Drop too), \
                     which a paused clock does not see. Return {expected:?} as soon as it is \
                     there, without blocking the thread (tokio::time::timeout)",
                    tries.join(", "),
                    limit.as_millis()
                );
            }
        }
    }
}
