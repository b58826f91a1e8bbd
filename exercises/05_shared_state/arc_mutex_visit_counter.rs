// arc_mutex_visit_counter
//
// `count_visits` spawns one task per line of a web server log. Each task does some slow work,
// then adds one visit for its page to a map of visit counts. All tasks must update the SAME map,
// but right now every task gets its own private copy, so the result comes back empty.
//
// Share the map between the tasks with `Arc<std::sync::Mutex<...>>`: clone the `Arc` (the
// pointer), not the map inside it. Keep each lock short: no `.await` while the guard is alive.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

async fn count_visits(log: Vec<&'static str>) -> HashMap<&'static str, u32> {
    let counts: Arc<Mutex<HashMap<&'static str, u32>>> = Arc::new(Mutex::new(HashMap::new()));
    let mut handles = Vec::new();

    for (i, page) in log.into_iter().enumerate() {
        // TODO: this copies the map, so the task below only ever updates its own copy.
        let mut my_counts = counts.lock().unwrap().clone();
        handles.push(tokio::spawn(async move {
            // Pretend to parse the log line.
            tokio::time::sleep(Duration::from_millis(10 * (i as u64 % 3))).await;
            // TODO: record the visit in the shared map instead.
            *my_counts.entry(page).or_insert(0) += 1;
        }));
    }

    for handle in handles {
        handle.await.unwrap();
    }
    counts.lock().unwrap().clone()
}

#[tokio::main]
async fn main() {
    let counts = count_visits(vec!["/", "/about", "/"]).await;
    println!("visits: {counts:?}");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn every_visit_is_counted() {
        let log = vec!["/", "/about", "/", "/shop", "/", "/shop", "/about", "/"];
        let counts = count_visits(log.clone()).await;
        let total: u32 = counts.values().sum();
        let lines = log.len() as u32;
        let why = if total == 0 {
            "none of the tasks' visits reached the map that count_visits returns: the tasks must \
             count in the shared map (clone the Arc into each task, not the map inside it), and \
             count_visits must await every task before it reads the map"
        } else if total < lines {
            "some visits were lost. Each task must add its visit under one lock (a count read \
             under one lock and written back under another lets two tasks read the same count, \
             and one visit is lost), and count_visits must await every task before it reads the \
             map"
        } else {
            "more visits than lines: the map held visits that are not this log's (a map shared \
             by every call of count_visits, a static?) or some were counted twice. Make the map \
             in count_visits, share it with its tasks through an Arc, and count each line once"
        };
        assert_eq!(
            total, lines,
            "{lines} log lines were processed but the map holds {total} visits ({counts:?}): \
             {why}"
        );
        assert_eq!(
            counts.get("/"),
            Some(&4),
            "\"/\" was visited 4 times, got {counts:?}"
        );
        assert_eq!(
            counts.get("/about"),
            Some(&2),
            "\"/about\" was visited 2 times, got {counts:?}"
        );
        assert_eq!(
            counts.get("/shop"),
            Some(&2),
            "\"/shop\" was visited 2 times, got {counts:?}"
        );
        assert_eq!(
            counts.len(),
            3,
            "only 3 distinct pages were visited, got {counts:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn many_tasks_one_page() {
        let log = vec!["/busy"; 50];
        let counts = count_visits(log).await;
        assert_eq!(
            counts.get("/busy"),
            Some(&50),
            "50 tasks each counted one visit to \"/busy\", so the shared map must say 50; got \
             {counts:?}"
        );
    }

    /// A log of 2 501 lines (one past a round number) over four pages, API endpoints and a
    /// long address among them: every line is counted in the one shared map, whatever the
    /// log's size or the page.
    #[tokio::test(start_paused = true)]
    async fn a_big_log_of_any_pages_is_counted_in_full() {
        let pages = [
            "/",
            "/api/orders",
            "/api",
            "/blog/2026/12/shared-state-in-async-rust",
        ];
        let log: Vec<&'static str> = (0..2501).map(|i| pages[i % 4]).collect();
        let counts = count_visits(log).await;
        let expected: HashMap<&'static str, u32> = [
            (pages[0], 626),
            (pages[1], 625),
            (pages[2], 625),
            (pages[3], 625),
        ]
        .into();
        if counts != expected {
            let lost: Vec<String> = pages
                .iter()
                .filter(|page| counts.get(*page) != expected.get(*page))
                .map(|page| {
                    format!(
                        "{page:?}: {} of {}",
                        counts.get(page).copied().unwrap_or(0),
                        expected[page]
                    )
                })
                .collect();
            panic!(
                "a log of 2501 lines over the pages {pages:?} was counted as {counts:?} \
                 ({}): every task must count its line in the one shared map (clone the Arc, \
                 not the map, and add the visit under the lock), whatever the log's size or \
                 the page, and count_visits must await every task before it reads the map",
                lost.join(", ")
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn empty_log_gives_empty_map() {
        assert!(
            count_visits(Vec::new()).await.is_empty(),
            "no log lines means no visits"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn lines_are_parsed_at_the_same_time() {
        // Line i takes 10 * (i % 3) ms to parse: 20 ms at most.
        let log = vec!["/", "/about", "/", "/shop", "/", "/shop", "/about", "/"];
        let start = Instant::now();
        let counts = count_visits(log).await;
        let took = start.elapsed().as_millis();
        assert_eq!(counts.values().sum::<u32>(), 8, "8 visits, got {counts:?}");
        assert!(
            took >= 20,
            "counting took {took} ms of Tokio's paused clock, but some lines take 20 ms to \
             parse: every line must still be parsed, in its own Tokio task (the given \
             tokio::time::sleep in it; std threads that sleep on the real clock take no time on \
             Tokio's paused clock)"
        );
        assert!(
            took < 30,
            "counting took {took} ms instead of 20 ms (the slowest line): the lines were \
             parsed one after the other. Parse each line in its own task, and do not hold the \
             lock while parsing: lock only for the quick update, after the slow part"
        );
    }

    /// Parsing every line in count_visits itself (one sleep as long as the slowest line) while
    /// the tasks only count ends at the same time, so this test counts the tasks still alive
    /// halfway through the slowest lines.
    #[tokio::test(start_paused = true)]
    async fn each_line_is_parsed_in_its_own_task() {
        use std::time::Duration;
        // Lines 2 and 5 take 20 ms to parse: at 15 ms their tasks are still at it.
        let log = vec!["/", "/about", "/", "/shop", "/", "/shop", "/about", "/"];
        let metrics = tokio::runtime::Handle::current().metrics();
        let at_15_ms = async {
            tokio::time::sleep(Duration::from_millis(15)).await;
            metrics.num_alive_tasks()
        };
        let (counts, alive) = tokio::join!(count_visits(log), at_15_ms);
        assert_eq!(counts.values().sum::<u32>(), 8, "8 visits, got {counts:?}");
        assert!(
            alive >= 2,
            "at 15 ms, {alive} spawned task(s) were still alive, but lines 2 and 5 take 20 ms to \
             parse: the parsing (the given sleep) was not done in each line's own task, or the \
             tasks ran one after the other. Spawn them all before awaiting any, and keep the \
             sleep in the task, before it locks the map and counts its visit"
        );
    }

    /// Heap allocations made while count_visits ran on a batch of logs: on this thread before
    /// any spawned task could run, on this thread afterwards, and on the tasks' own thread
    /// (count and bytes).
    struct Allocations {
        before_the_tasks: u64,
        after: u64,
        inside: u64,
        inside_bytes: u64,
    }

    /// Runs count_visits on each log in turn, with its own code on this thread and its spawned
    /// tasks on another one (the only thread that runs the runtime's tasks), and counts the heap
    /// allocations made on each thread meanwhile. For each log, the tasks' thread is first held
    /// still while count_visits is polled 20 times here (all it can do before a task runs), then
    /// let go while count_visits runs to the end. The clock is paused, so that lines parsed one
    /// after the other take no real time; it does not move on from when count_visits is woken
    /// until a poll of it here has ended (the runtime does not see this thread: a task of its
    /// own stays busy meanwhile), so a deadline of count_visits's own does not pass early, even
    /// while this thread is slow to poll or is still taking the results of ended tasks.
    fn allocations_outside_and_inside_the_tasks(logs: Vec<Vec<&'static str>>) -> Allocations {
        use std::future::Future;
        use std::pin::pin;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::{Arc, mpsc};
        use std::task::{Context, Poll, Wake, Waker};
        /// A waker of count_visits that also tells the runtime's busy task to hold the clock.
        struct Flagging {
            woken: Arc<AtomicUsize>,
            notify: Arc<tokio::sync::Notify>,
            inner: Waker,
        }
        impl Wake for Flagging {
            fn wake(self: Arc<Self>) {
                self.wake_by_ref();
            }
            fn wake_by_ref(self: &Arc<Self>) {
                self.woken.fetch_add(1, Ordering::SeqCst);
                self.notify.notify_one();
                self.inner.wake_by_ref();
            }
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("could not build a runtime");
        let handle = runtime.handle().clone();
        // The tasks' thread runs tasks only between a `go` and the next `hold`.
        let (go, gone) = mpsc::channel::<()>();
        let (hold, held) = tokio::sync::mpsc::unbounded_channel::<mpsc::Sender<()>>();
        let tasks_thread = std::thread::spawn(move || {
            let mut held = held;
            let made = allocation_counter::measure(|| {
                runtime.block_on(async {
                    while gone.recv().is_ok() {
                        match held.recv().await {
                            Some(now_held) => {
                                let _ = now_held.send(());
                            }
                            None => break,
                        }
                    }
                });
            });
            (made.count_total, made.bytes_total)
        });
        // While count_visits has wakes that no ended poll has answered, this task keeps the
        // runtime busy, so that its paused clock stays still.
        let woken = Arc::new(AtomicUsize::new(0));
        let notify = Arc::new(tokio::sync::Notify::new());
        let keeper = {
            let (woken, notify) = (woken.clone(), notify.clone());
            handle.spawn(async move {
                loop {
                    while woken.load(Ordering::SeqCst) > 0 {
                        tokio::task::yield_now().await;
                    }
                    notify.notified().await;
                }
            })
        };
        let mut wrong = None;
        let mut before_the_tasks = 0;
        let mut after = 0;
        for log in logs {
            let visits = log.len() as u32;
            let mut counting = pin!(count_visits(log));
            let mut counts = None;
            before_the_tasks += allocation_counter::measure(|| {
                let _runtime = handle.enter();
                let mut cx = Context::from_waker(Waker::noop());
                for _ in 0..20 {
                    if let Poll::Ready(done) = counting.as_mut().poll(&mut cx) {
                        counts = Some(done);
                        break;
                    }
                }
            })
            .count_total;
            if counts.is_none() {
                // Held still until count_visits is first polled once its tasks can run.
                woken.store(1, Ordering::SeqCst);
                notify.notify_one();
            }
            let _ = go.send(());
            after += allocation_counter::measure(|| {
                let mut flagging: Option<Waker> = None;
                let counts = counts.take().unwrap_or_else(|| {
                    handle.block_on(std::future::poll_fn(|cx| {
                        // The wakes this poll answers: those that come while it runs keep the
                        // clock still until the next poll has ended.
                        let answered = woken.load(Ordering::SeqCst);
                        let waker = flagging.get_or_insert_with(|| {
                            Waker::from(Arc::new(Flagging {
                                woken: woken.clone(),
                                notify: notify.clone(),
                                inner: cx.waker().clone(),
                            }))
                        });
                        let poll = counting.as_mut().poll(&mut Context::from_waker(waker));
                        woken.fetch_sub(answered, Ordering::SeqCst);
                        poll
                    }))
                });
                woken.store(0, Ordering::SeqCst);
                if counts.values().sum::<u32>() != visits && wrong.is_none() {
                    wrong = Some((visits, counts));
                }
            })
            .count_total;
            let (now_held, is_held) = mpsc::channel();
            let _ = hold.send(now_held);
            let _ = is_held.recv();
        }
        keeper.abort();
        drop(go);
        drop(hold);
        let (inside, inside_bytes) = tasks_thread
            .join()
            .expect("the thread of the tasks panicked");
        if let Some((visits, counts)) = wrong {
            panic!("{visits} log lines were processed but the map holds other counts: {counts:?}");
        }
        Allocations {
            before_the_tasks,
            after,
            inside,
            inside_bytes,
        }
    }

    #[test]
    fn each_task_records_its_own_visit() {
        let pages: Vec<&'static str> = (0..112)
            .map(|n| &*Box::leak(format!("/page/{n}").into_boxed_str()))
            .collect();
        // A log of 112 lines over the first `different` pages.
        let log_over = |different: usize| -> Vec<&'static str> {
            (0..112).map(|line| pages[line % different]).collect()
        };
        // The first runtime on a thread sets up a few things for good.
        allocations_outside_and_inside_the_tasks(vec![vec!["/"; 3]]);
        let over_2 = allocations_outside_and_inside_the_tasks(vec![log_over(2); 10]);
        let over_57 = allocations_outside_and_inside_the_tasks(vec![log_over(57); 10]);
        let over_112 = allocations_outside_and_inside_the_tasks(vec![log_over(112); 10]);
        // A map grows in steps: 5 times more for 57 pages than for 2, and not at all from 57 to
        // 112 pages, so 50 allocations more for 10 logs, in the thread that filled it. Work done
        // once per page (a line printed or formatted) grows as much from 2 to 57 pages as from
        // 57 to 112, and a copy of the map made at the end does not grow.
        let growth = |on_2: u64, on_57: u64, on_112: u64| {
            (on_57 as i64 - on_2 as i64) - (on_112 as i64 - on_57 as i64)
        };
        let (before_2, before_57, before_112) = (
            over_2.before_the_tasks,
            over_57.before_the_tasks,
            over_112.before_the_tasks,
        );
        assert!(
            growth(before_2, before_57, before_112) <= 25,
            "a map (or set) of the pages grew before any spawned task had run ({before_2}, \
             {before_57} and {before_112} heap allocations in count_visits, before its tasks \
             could start, for 10 logs of 112 lines over 2, 57 and 112 different pages; a map \
             grows 5 times from 2 to 57 pages, and not from 57 to 112): the visits look counted \
             before the tasks, outside them. Each task must add its own visit to the shared map: \
             clone the Arc into the task and lock it there, after the slow part. (If your tasks \
             do that, let their inserts grow the map: do not fill a map with the pages, nor \
             gather them in a set, before spawning)"
        );
        let (after_2, after_57, after_112) = (over_2.after, over_57.after, over_112.after);
        assert!(
            growth(after_2, after_57, after_112) <= 25 || over_57.inside > over_2.inside + 25,
            "the maps of visits grew outside the spawned tasks, and not in them ({after_2}, \
             {after_57} and {after_112} heap allocations in count_visits once its tasks could \
             run, for 10 logs of 112 lines over 2, 57 and 112 different pages; a map grows 5 \
             times from 2 to 57 pages, and not from 57 to 112): the visits were counted outside \
             the tasks. Each task must add its own visit to the shared map: clone the Arc into \
             the task and lock it there, after the slow part. (If your tasks do that, let their \
             inserts grow the map: do not make it with_capacity and then copy it entry by entry \
             into a new map at the end; clone it, or take it out with Arc::try_unwrap or \
             std::mem::take)"
        );
        // A map of 57 pages takes about 1.5 KB: growing one takes 10 such maps (and their
        // smaller steps) for 10 logs, a copy of it in each of the 1120 tasks 1000 times more.
        let copied_in_tasks = over_57.inside_bytes as i64 - over_2.inside_bytes as i64;
        assert!(
            copied_in_tasks < 500_000,
            "the spawned tasks allocated {copied_in_tasks} bytes more for 10 logs of 112 lines \
             over 57 different pages than over 2 (a map of 57 pages takes about 1.5 KB): each \
             task copies the whole map (clone), counts its visit in the copy and writes it \
             back. Between the copy and the write-back, a task on another thread can count \
             its own visit, which the write-back then erases. Update the shared map in place, \
             under one lock: `*counts.lock().unwrap().entry(page).or_insert(0) += 1`"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn each_line_is_counted_by_its_own_task() {
        use std::future::poll_fn;
        use std::pin::pin;
        use std::task::Poll;
        use std::time::Duration;
        // Lines 1, 2, 4, 5 and 7 take 10 or 20 ms to parse.
        let log = vec!["/", "/about", "/", "/shop", "/", "/shop", "/about", "/"];
        let metrics = tokio::runtime::Handle::current().metrics();
        let mut counting = pin!(count_visits(log));
        // Step count_visits by hand, counting the live tasks after each step.
        let mut most_alive = 0;
        let mut steps = 0;
        let (counts, alive_at_return) = loop {
            if let Poll::Ready(counts) = poll_fn(|cx| Poll::Ready(counting.as_mut().poll(cx))).await
            {
                break (counts, metrics.num_alive_tasks());
            }
            most_alive = most_alive.max(metrics.num_alive_tasks());
            if steps == 0 {
                // A busy runtime: the tasks spawned in the first step only start 200 ms
                // later (long after the 20 ms lines, short of a safety net of a second).
                tokio::time::advance(Duration::from_millis(200)).await;
            } else {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            most_alive = most_alive.max(metrics.num_alive_tasks());
            steps += 1;
            assert!(
                steps < 10_000,
                "count_visits did not return within 10 s of (paused) time"
            );
        };
        assert!(
            most_alive >= 5,
            "at most {most_alive} spawned task(s) were alive at once while count_visits parsed 8 \
             lines, 5 of which take 10 ms or more: parse and count each line in a task of its \
             own (tokio::spawn), spawn them all before awaiting any, and share the map with \
             them through the Arc"
        );
        let total = counts.values().sum::<u32>();
        let why = if alive_at_return > 0 {
            format!(
                "it returned while {alive_at_return} of its tasks were still alive, before every \
                 task had counted its line. Await every task's JoinHandle before reading the \
                 map, rather than waiting for some time"
            )
        } else if total == 0 {
            "its tasks were all done when it returned, yet none of their visits reached the map \
             it returned: the tasks must count in the shared map (clone the Arc into each task, \
             not the map inside it)"
                .to_string()
        } else if total < 8 {
            "its tasks were all done when it returned, so visits were lost: each task must add \
             its visit under one lock (a count read under one lock and written back under \
             another lets two tasks read the same count, and one visit is lost)"
                .to_string()
        } else {
            "more visits than lines: the map held visits that are not this log's (a map shared \
             by every call, a static?) or some were counted twice"
                .to_string()
        };
        assert_eq!(
            total, 8,
            "count_visits returned {counts:?} ({total} visits) for 8 lines when its tasks started \
             200 ms late (as on a busy runtime): {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn count_visits_sleeps_until_its_tasks_are_done() {
        use std::future::poll_fn;
        use std::pin::pin;
        // Line i takes 10 * (i % 3) ms to parse: the 8 tasks end at 3 moments, 0, 10 and 20 ms.
        // Awaiting their handles wakes count_visits about 4 times, at those 3 moments (12 times
        // with a yield_now after each handle, 19 with one after each spawn too, still at 3
        // moments); checking every 1 ms wakes it 22 times at 22 moments, every 5 ms at 5 or more.
        let mut counting = pin!(count_visits(vec!["/"; 8]));
        let mut polls = 0;
        let mut moments = std::collections::BTreeSet::new();
        let counts = poll_fn(|cx| {
            polls += 1;
            moments.insert(Instant::now());
            counting.as_mut().poll(cx)
        })
        .await;
        assert_eq!(
            counts.get("/"),
            Some(&8),
            "8 visits to \"/\", got {counts:?}"
        );
        let moments = moments.len();
        assert!(
            moments <= 4,
            "count_visits was woken at {moments} different moments while its 8 tasks ended at \
             only 3 (0, 10 and 20 ms): it checks on a timer whether they are done, or its tasks \
             ran one after the other. Spawn them all, then await every task's JoinHandle: it \
             wakes count_visits when the task is done"
        );
        assert!(
            polls <= 40,
            "count_visits was polled {polls} times while its 8 tasks ended at only 3 moments \
             (0, 10 and 20 ms): it checks in a loop whether they are done. Await every \
             task's JoinHandle instead: it wakes count_visits when the task is done"
        );
    }

    /// A loop that checks on a timer whether the tasks are done (their clones of the Arc
    /// dropped, say) returns on its own beat, so here the tasks start 3 ms (then 7 ms) late:
    /// they end at 3, 13 and 23 ms, and count_visits must return at 23 ms, when the last one
    /// ends (then at 27 ms; no timer but a 1 ms one, which the test above refuses, hits both).
    #[tokio::test(start_paused = true)]
    async fn count_visits_returns_when_its_last_task_ends() {
        use std::future::poll_fn;
        use std::pin::pin;
        use std::task::Poll;
        use std::time::Duration;
        for late in [3, 7] {
            let start = Instant::now();
            let mut counting = pin!(count_visits(vec!["/"; 8]));
            // The first step spawns the tasks (or the first of them)...
            if let Poll::Ready(counts) = poll_fn(|cx| Poll::Ready(counting.as_mut().poll(cx))).await
            {
                panic!(
                    "count_visits returned {counts:?} at its first poll, with Tokio's paused \
                     clock still at 0 ms, though some lines take 10 or 20 ms to parse: it did \
                     not wait for its tasks on this runtime. Either it returned before its tasks \
                     could run, or the lines were parsed outside Tokio's tasks (std threads, \
                     waited for with a blocking join() or block_on: the paused clock cannot move \
                     on while this runtime's thread is blocked, and the threads sleep on the \
                     real clock). Spawn a Tokio task per line (tokio::spawn), keep the given \
                     sleep in it, and await every task's JoinHandle"
                );
            }
            // ...which start `late` ms later, on a busy runtime.
            tokio::time::advance(Duration::from_millis(late)).await;
            let counts = counting.await;
            let took = start.elapsed();
            assert_eq!(
                counts.get("/"),
                Some(&8),
                "8 visits to \"/\", got {counts:?}"
            );
            assert_eq!(
                took,
                Duration::from_millis(20 + late),
                "the tasks started {late} ms late and the last one ended after {} ms, but \
                 count_visits returned after {took:?}: it checks on a timer whether they are \
                 done, or its tasks ran one after the other. Spawn them all, then await every \
                 task's JoinHandle: it wakes count_visits when the task is done",
                20 + late
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn two_logs_counted_at_once_stay_apart() {
        let (shop, blog) = tokio::join!(
            count_visits(vec!["/shop"; 5]),
            count_visits(vec!["/blog"; 7])
        );
        let mixed =
            shop.keys().any(|page| *page != "/shop") || blog.keys().any(|page| *page != "/blog");
        let why = if shop.is_empty() && blog.is_empty() {
            "none of the tasks' visits reached the maps that count_visits returned: the tasks \
             must count in the shared map (clone the Arc into each task, not the map inside it), \
             and count_visits must await every task before it reads the map"
        } else if mixed {
            "the pages of one log showed up in the other's map: each call of count_visits must \
             count into a map of its own, made in count_visits and shared with its tasks through \
             an Arc, not a global one"
        } else {
            "each map holds only its own log's page, but not as many visits as its log has \
             lines: each task must add its visit under one lock (a count read under one lock \
             and written back under another lets two tasks read the same count), and \
             count_visits must await every task before it reads the map"
        };
        assert!(
            shop == HashMap::from([("/shop", 5)]) && blog == HashMap::from([("/blog", 7)]),
            "two logs counted at the same time (5 visits to /shop, 7 to /blog) came back as \
             {shop:?} and {blog:?}: {why}"
        );
    }

    #[test]
    fn no_map_is_left_behind() {
        // Heap blocks are counted on this thread only, and a `spawn_blocking` job's memory is
        // freed by whichever thread lets go of it last: the blocking thread, if this one has
        // read the job's result first, as the real clock decides. So each time this thread
        // wakes, it first waits for the pool's one thread to be done with the jobs before (up
        // to 100 ms: a job that waits for this thread ends the waits for good).
        use std::sync::Arc;
        use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
        use std::time::Duration;
        const WAITS: u8 = 0;
        const SKIPS_ONE: u8 = 1;
        const NEVER: u8 = 2;
        let state = Arc::new(AtomicU8::new(WAITS));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .max_blocking_threads(1)
            .on_thread_unpark(move || match state.load(Relaxed) {
                // The wait is a job of its own, whose end wakes this thread once more.
                SKIPS_ONE => state.store(WAITS, Relaxed),
                NEVER => {}
                _ => allocation_counter::opt_out(|| {
                    let (done, finished) = std::sync::mpsc::channel();
                    let job = tokio::task::spawn_blocking(move || done.send(()));
                    let ended = finished.recv_timeout(Duration::from_millis(100)).is_ok();
                    state.store(if ended { SKIPS_ONE } else { NEVER }, Relaxed);
                    drop(job);
                }),
            })
            .build()
            .expect("could not build a runtime");
        // The first calls set up a few things for good.
        for _ in 0..3 {
            drop(runtime.block_on(count_visits(vec!["/", "/about", "/"])));
        }
        let left = allocation_counter::measure(|| {
            for _ in 0..50 {
                drop(runtime.block_on(count_visits(vec!["/", "/about", "/"])));
            }
        })
        .count_current;
        // A task left running (a progress ticker nobody stops) keeps memory too: named first.
        runtime.block_on(async { tokio::time::sleep(Duration::from_secs(60)).await });
        let running = runtime.metrics().num_alive_tasks();
        assert!(
            running == 0,
            "a minute after 53 calls of count_visits had returned, {running} task(s) they \
             started were still running: count_visits must wait for every task it starts to end \
             (dropping a JoinHandle lets the task run on)"
        );
        assert!(
            left < 25,
            "50 calls of count_visits, whose maps the test dropped, left {left} heap allocations \
             behind: each call leaks its map (Box::leak?), or leaves memory behind in what it \
             started (std threads), or lets go of it on another thread (the last Arc dropped in \
             a std thread or a spawn_blocking job), which this test, counting on its own \
             thread, cannot tell from a leak. Share the map through an Arc with Tokio tasks, and \
             take the counts out of it in count_visits itself"
        );
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

    /// The code above the tests, with comments taken out and string and char literals
    /// emptied (`""`, `' '`): a `println!("... lock() ...")` or a note is not code.
    fn code_only(source: &str) -> String {
        // A `"` inside a raw string (`r#"a "b" c"#`) does not end it.
        let source = &raw_strings_plain(source);
        let chars: Vec<char> = source
            .split("\n// Tests: do not edit below this line.")
            .next()
            .unwrap()
            .chars()
            .collect();
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut out = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let at = |k: usize| chars.get(k).copied().unwrap_or(' ');
            if c == '/' && at(i + 1) == '/' {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            } else if c == '/' && at(i + 1) == '*' {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && at(i + 1) == '*' {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && at(i + 1) == '/' {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(' ');
            } else if c == '\'' {
                // A char literal ('x', '\n', '{'), or a lifetime ('a) kept as it is.
                if at(i + 1) == '\\' {
                    i += 3;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                    out.push_str("' '");
                } else if at(i + 2) == '\'' {
                    i += 3;
                    out.push_str("' '");
                } else {
                    out.push(c);
                    i += 1;
                }
            } else if c == '"' || ((c == 'r' || c == 'b') && (i == 0 || !is_ident(chars[i - 1]))) {
                // A string: "..", b"..", r"..", r#".."#, br"..".
                let mut j = i;
                if chars[j] == 'b' {
                    j += 1;
                }
                let raw = at(j) == 'r';
                if raw {
                    j += 1;
                }
                let mut hashes = 0;
                while raw && at(j) == '#' {
                    hashes += 1;
                    j += 1;
                }
                if at(j) != '"' {
                    out.push(c);
                    i += 1;
                    continue;
                }
                j += 1;
                while j < chars.len() {
                    if !raw && chars[j] == '\\' {
                        j += 2;
                    } else if chars[j] == '"' && (1..=hashes).all(|h| at(j + h) == '#') {
                        j += 1 + hashes;
                        break;
                    } else {
                        j += 1;
                    }
                }
                out.push_str("\"\"");
                i = j;
            } else {
                out.push(c);
                i += 1;
            }
        }
        out
    }

    /// Each `fn NAME` of `code` that has a body: its name, where the item starts (`fn`), its
    /// body (`{` to `}`), and whether it takes `self` (a method, that `.NAME(..)` calls).
    fn functions(code: &str) -> Vec<(String, usize, std::ops::Range<usize>, bool)> {
        let bytes = code.as_bytes();
        let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let mut found = Vec::new();
        for (at, _) in code.match_indices("fn ") {
            if at > 0 && is_ident(bytes[at - 1]) {
                continue;
            }
            let name: String = code[at + 3..]
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // The body starts at the first `{` outside `( )` and `[ ]` (a `;` there first: none).
            let (mut depth, mut open) = (0i32, None);
            for (i, b) in bytes.iter().enumerate().skip(at + 3) {
                match b {
                    b'(' | b'[' => depth += 1,
                    b')' | b']' => depth -= 1,
                    b';' if depth == 0 => break,
                    b'{' if depth == 0 => {
                        open = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(open) = open else { continue };
            let mut depth = 0;
            let mut end = code.len();
            for (i, b) in bytes.iter().enumerate().skip(open) {
                match b {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let method = code[at..open].match_indices("self").any(|(i, _)| {
                !is_ident(code.as_bytes()[at + i - 1])
                    && !code
                        .as_bytes()
                        .get(at + i + 4)
                        .copied()
                        .is_some_and(is_ident)
            });
            found.push((name, at, open..end, method));
        }
        found
    }

    /// `task` with its last lock marked as not counted when it only reads the map, after a
    /// lock of the same name that writes, with no lock of any kind after it, in a task that
    /// calls no helper and repeats nothing (no loop, no closure run by an iterator):
    /// `let pages = counts.lock().unwrap().len();` for a progress line. Nothing is written
    /// after it, so it erases no visit.
    fn read_after_the_count(task: &str, helpers: &[(String, String, bool)]) -> String {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let words: Vec<&str> = task.split(|c: char| !is_ident(c)).collect();
        let adaptors = [
            ".for_each(",
            ".map(",
            ".fold(",
            ".then(",
            "repeat_with(",
            "from_fn(",
        ];
        if ["loop", "while", "for"].iter().any(|r| words.contains(r))
            || adaptors.iter().any(|a| task.contains(a))
            || reached(task, helpers).len() > 1
        {
            return task.to_string();
        }
        let Some(at) = task.rfind(".lock()") else {
            return task.to_string();
        };
        let start = task[..at].rfind([';', '{', '}']).map_or(0, |i| i + 1);
        let Some(end) = task[at..].find(';').map(|i| at + i) else {
            return task.to_string();
        };
        let after = task[at + ".lock()".len()..end].trim_start();
        let after = after.strip_prefix('.').unwrap_or(after).trim_start();
        let read = [
            "len()",
            "is_empty()",
            "values()",
            "keys()",
            "get(",
            "contains_key(",
            "iter()",
        ];
        let rest = ["unwrap().", "expect("]
            .iter()
            .find_map(|unwrap| after.strip_prefix(unwrap))
            .map(|rest| match rest.find(").") {
                Some(close) if after.starts_with("expect(") => &rest[close + 2..],
                _ => rest,
            });
        let reads = rest.is_some_and(|rest| read.iter().any(|r| rest.trim_start().starts_with(r)));
        // The same map locked and written before it, and no lock of any kind after it.
        let receiver = &task[task[..at]
            .rfind(|c: char| !is_ident(c))
            .map_or(0, |i| i + 1)..at];
        let before = &task[..start];
        if !reads
            || receiver.is_empty()
            || writes(&task[start..=end])
            || !before.contains(&format!("{receiver}.lock()"))
            || !writes(before)
            || task[end..].contains("lock")
        {
            return task.to_string();
        }
        format!(
            "{}.lock_read_only(){}",
            &task[..at],
            &task[at + ".lock()".len()..]
        )
    }

    /// `text` without the `println!`/`print!`/`eprintln!`/`eprint!` calls in it: what they
    /// lock they only print.
    fn without_prints(text: &str) -> String {
        let mut text = text.to_string();
        for name in ["eprintln!", "println!", "eprint!", "print!"] {
            while let Some(at) = text.find(name) {
                let Some(open) = text[at..].find(['(', '[', '{']).map(|open| at + open) else {
                    break;
                };
                let mut depth = 0;
                let mut end = text.len();
                for (i, c) in text[open..].char_indices() {
                    match c {
                        '(' | '[' | '{' => depth += 1,
                        ')' | ']' | '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                text.replace_range(at..end, "");
            }
        }
        text
    }

    /// Each `macro_rules! NAME` of `code`: its name, where the item starts, and its body.
    fn macros(code: &str) -> Vec<(String, usize, std::ops::Range<usize>)> {
        let mut found = Vec::new();
        for (at, _) in code.match_indices("macro_rules!") {
            let rest = &code[at + "macro_rules!".len()..];
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let Some(open) = rest.find(['{', '(', '[']) else {
                continue;
            };
            let open = at + "macro_rules!".len() + open;
            let mut depth = 0;
            let mut end = code.len();
            for (i, c) in code[open..].char_indices() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            found.push((name, at, open..end));
        }
        found
    }

    /// `text` without the `fn` and `macro_rules!` items defined in it (a helper nested in a
    /// body): their locks are a helper's, counted once per call.
    fn without_items(text: &str) -> String {
        let mut items: Vec<std::ops::Range<usize>> = functions(text)
            .into_iter()
            .map(|(_, at, body, _)| at..body.end)
            .chain(macros(text).into_iter().map(|(_, at, body)| at..body.end))
            .collect();
        items.sort_by_key(|item| item.start);
        let mut out = String::new();
        let mut from = 0;
        for item in items {
            // An item inside one already taken out goes with it.
            if item.start >= from {
                out.push_str(&text[from..item.start]);
                out.push(' ');
                from = item.end;
            }
        }
        out.push_str(&text[from..]);
        out
    }

    /// Whether a `let` or `for` pattern of `text` binds a variable `name` (which then hides a
    /// helper of that name).
    fn binds(text: &str, name: &str) -> bool {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let word = |part: &str| {
            part.match_indices(name).any(|(at, _)| {
                part[..at].chars().next_back().is_none_or(|c| !is_ident(c))
                    && part[at + name.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| !is_ident(c))
            })
        };
        [("let ", "="), ("for ", " in ")]
            .into_iter()
            .any(|(keyword, end)| {
                text.match_indices(keyword).any(|(at, _)| {
                    let pattern = &text[at + keyword.len()..];
                    let pattern = &pattern[..pattern.find(end).unwrap_or(pattern.len())];
                    text[..at].chars().next_back().is_none_or(|c| !is_ident(c)) && word(pattern)
                })
            })
    }

    /// The variables of `text` bound to the process's stdout or stderr (`let out =
    /// io::stdout();`, `let err: Stderr = std::io::stderr();`).
    fn streams_bound(text: &str) -> Vec<String> {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut names = Vec::new();
        for (at, _) in text.match_indices("let ") {
            if text[..at].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let rest = text[at + 4..].trim_start();
            let rest = rest.strip_prefix("mut ").unwrap_or(rest).trim_start();
            let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            let Some(eq) = rest.find('=') else {
                continue;
            };
            let value: String = rest[eq + 1..]
                .split(';')
                .next()
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if !name.is_empty() && (value.ends_with("stdout()") || value.ends_with("stderr()")) {
                names.push(name);
            }
        }
        names
    }

    /// What each lock written in `text` itself (not in a print) locks, spaces and line
    /// breaks ignored: the path before `.lock(` (`counts`, `self.map`, `Arc::clone(&counts)`), or the
    /// argument of `Mutex::lock(..)`. A lock of the process's stdout or stderr (to write a line
    /// at once: `stdout().lock()`, or `out.lock()` after `let out = stdout();`) is not one of
    /// the shared data.
    fn locks_written(text: &str) -> Vec<String> {
        let text = without_prints(text);
        let streams = streams_bound(&text);
        // Spaces and line breaks taken out, but for one space between two words.
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let chars: Vec<char> = text.chars().collect();
        let mut text = String::new();
        for (i, &c) in chars.iter().enumerate() {
            if !c.is_whitespace() {
                text.push(c);
            } else if text.ends_with(is_ident)
                && chars[i + 1..]
                    .iter()
                    .find(|c| !c.is_whitespace())
                    .is_some_and(|c| is_ident(*c))
            {
                text.push(' ');
            }
        }
        // `Mutex::lock` bound to a name (`let take = Mutex::<Visits>::lock;`): each call of
        // that name (`take(&counts)`) is a `Mutex::lock(&counts)`.
        let mut bound = Vec::new();
        let mut from = 0;
        while let Some(found) = text[from..].find("let ") {
            let at = from + found;
            from = at + 4;
            if text[..at].ends_with(is_ident) {
                continue;
            }
            let Some(end) = text[at..].find(';').map(|end| at + end) else {
                break;
            };
            let Some((pattern, value)) = text[at + 4..end].split_once('=') else {
                continue;
            };
            let name = pattern.strip_prefix("mut ").unwrap_or(pattern);
            if !name.is_empty()
                && name.chars().all(is_ident)
                && value.ends_with("::lock")
                && !value.contains('(')
            {
                bound.push(name.to_string());
                text.replace_range(at..=end, ";");
                from = at;
            }
        }
        for name in &bound {
            let calls: Vec<usize> = text
                .match_indices(name.as_str())
                .map(|(at, _)| at)
                .filter(|&at| {
                    !text[..at].ends_with(|c: char| is_ident(c) || c == '.' || c == ':')
                        && text[at + name.len()..].starts_with('(')
                })
                .collect();
            for at in calls.into_iter().rev() {
                text.replace_range(at..at + name.len(), "Mutex::lock");
            }
        }
        let is_path = |c: char| c.is_alphanumeric() || c == '_' || c == '.' || c == ':';
        // The path that ends at `end` (with the `( )` and `[ ]` of calls and indexes in it).
        let path_before = |end: usize| -> String {
            let chars: Vec<(usize, char)> = text[..end].char_indices().collect();
            let mut depth = 0;
            let mut start = end;
            for &(i, c) in chars.iter().rev() {
                match c {
                    ')' | ']' => depth += 1,
                    '(' | '[' if depth > 0 => depth -= 1,
                    _ if depth > 0 || is_path(c) => {}
                    _ => break,
                }
                start = i;
            }
            text[start..end].to_string()
        };
        let mut found = Vec::new();
        for lock in [
            ".lock(",
            "::lock(",
            "try_lock(",
            "blocking_lock(",
            "lock_owned(",
        ] {
            for (at, _) in text.match_indices(lock) {
                let what = if lock == "::lock(" {
                    let arg = text[at + lock.len()..].trim_start_matches(['&', '*']);
                    arg.chars().take_while(|c| is_path(*c)).collect()
                } else {
                    path_before(at).trim_end_matches('.').to_string()
                };
                let what = what.trim_matches('.').to_string();
                let stream = what.ends_with("stdout()")
                    || what.ends_with("stderr()")
                    || streams.contains(&what);
                if !stream {
                    found.push(what);
                }
            }
        }
        // `Mutex::lock` handed on as a function (`.map(Mutex::lock)`): how often it is called
        // there is not written, so it counts as called twice.
        for _ in text.match_indices("::lock").filter(|(at, lock)| {
            !text[at + lock.len()..].starts_with(|c: char| is_ident(c) || "(:".contains(c))
        }) {
            found.extend(["Mutex::lock".to_string(), "Mutex::lock".to_string()]);
        }
        found
    }

    /// The name an expression is, if only a name (behind `&`, `*`, brackets, `Arc::clone(..)`,
    /// or followed by `.clone()`, `.as_ref()`): `&counts` and `Arc::clone(&counts)` are
    /// `counts`.
    fn plain_name(expr: &str) -> Option<String> {
        let mut expr = expr.trim();
        loop {
            let before = expr;
            expr = expr
                .trim_start_matches(|c: char| c.is_whitespace() || "&*(".contains(c))
                .trim_end_matches(|c: char| c.is_whitespace() || c == ')');
            if let Some(rest) = expr.strip_prefix("mut")
                && rest.starts_with(char::is_whitespace)
            {
                expr = rest;
            }
            for wrapper in ["Arc::clone", "Rc::clone", "Clone::clone"] {
                if let Some(rest) = expr.strip_prefix(wrapper)
                    && rest.trim_start().starts_with('(')
                {
                    expr = rest;
                }
            }
            for method in [".clone(", ".as_ref(", ".deref(", ".borrow("] {
                if let Some(rest) = expr.strip_suffix(method) {
                    expr = rest;
                }
            }
            if expr == before {
                break;
            }
        }
        (!expr.is_empty()
            && expr.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !expr.starts_with(|c: char| c.is_numeric()))
        .then(|| expr.to_string())
    }

    /// The names that `text` binds to another name, each with that name: `let reader =
    /// &counts;`, a tuple or an array taken apart, `let [reader, writer] = [&counts,
    /// &counts];`, a `match` arm's binding and a parameter of a closure called in place.
    fn aliases(text: &str) -> Vec<(String, String)> {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let pieces = |list: &str| {
            let (mut out, mut depth) = (vec![String::new()], 0);
            for c in list.chars() {
                match c {
                    '(' | '[' | '{' | '<' => depth += 1,
                    ')' | ']' | '}' | '>' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(String::new());
                        continue;
                    }
                    _ => {}
                }
                if let Some(piece) = out.last_mut() {
                    piece.push(c);
                }
            }
            out
        };
        let group = |text: &str| {
            let text = text.trim();
            text.strip_prefix('(')
                .and_then(|t| t.strip_suffix(')'))
                .or_else(|| text.strip_prefix('[').and_then(|t| t.strip_suffix(']')))
                .map(pieces)
        };
        let mut found = Vec::new();
        for (at, _) in text.match_indices("let ") {
            if text[..at].ends_with(is_ident) {
                continue;
            }
            let rest = &text[at + 4..];
            let Some(end) = rest.find(';') else {
                continue;
            };
            let Some((pattern, value)) = rest[..end].split_once('=') else {
                continue;
            };
            if value.starts_with(['=', '>']) {
                continue;
            }
            let pairs: Vec<(String, String)> = match (group(pattern), group(value)) {
                (Some(p), Some(v)) if p.len() == v.len() => p.into_iter().zip(v).collect(),
                _ => vec![(pattern.to_string(), value.to_string())],
            };
            for (pattern, value) in pairs {
                let pattern = pattern.split(':').next().unwrap_or_default().trim();
                let name = pattern.strip_prefix("mut ").unwrap_or(pattern).trim();
                if let Some(value) = plain_name(&value)
                    && !name.is_empty()
                    && name.chars().all(is_ident)
                    && name != value
                {
                    found.push((name.to_string(), value));
                }
            }
        }
        // A `match` on a name whose arm binds it to a plain name (`match &counts { book =>
        // .. }`), and a parameter of a closure called where it is written with a name
        // (`(|book: &Mutex<..>| ..)(&counts)`).
        let is_word = |at: usize, word: &str| {
            text[at..].starts_with(word)
                && !text[..at].ends_with(is_ident)
                && !text[at + word.len()..].starts_with(is_ident)
        };
        let close_of = |open: usize| {
            let mut depth = 0;
            for (i, c) in text[open..].char_indices() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(open + i);
                        }
                    }
                    _ => {}
                }
            }
            None
        };
        let bare = |pattern: &str| {
            let pattern = pattern.split(':').next().unwrap_or_default().trim();
            let pattern = pattern.strip_prefix("ref ").unwrap_or(pattern).trim();
            let pattern = pattern.strip_prefix("mut ").unwrap_or(pattern).trim();
            let pattern = pattern.split('@').next().unwrap_or_default().trim();
            (pattern.starts_with(|c: char| c.is_lowercase() || c == '_')
                && pattern != "_"
                && pattern.chars().all(is_ident))
            .then(|| pattern.to_string())
        };
        for (at, _) in text.match_indices("match") {
            if !is_word(at, "match") {
                continue;
            }
            let Some(open) = text[at..].find('{').map(|open| at + open) else {
                continue;
            };
            let (Some(target), Some(close)) = (plain_name(&text[at + 5..open]), close_of(open))
            else {
                continue;
            };
            let block = &text[open + 1..close];
            let (mut depth, mut from) = (0, 0);
            for (i, c) in block.char_indices() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => {
                        depth -= 1;
                        if depth == 0 && c == '}' {
                            from = i + 1;
                        }
                    }
                    ',' if depth == 0 => from = i + 1,
                    '=' if depth == 0 && block[i..].starts_with("=>") => {
                        let pattern = block[from..i].split(" if ").next().unwrap_or_default();
                        if let Some(name) = bare(pattern)
                            && name != target
                        {
                            found.push((name, target.clone()));
                        }
                    }
                    _ => {}
                }
            }
        }
        for (open, _) in text.match_indices('(') {
            let inner = text[open + 1..].trim_start();
            let inner = inner.strip_prefix("move").map_or(inner, str::trim_start);
            let Some(params) = inner.strip_prefix('|') else {
                continue;
            };
            let Some(bar) = params.find('|') else {
                continue;
            };
            let Some(args) = close_of(open)
                .and_then(|close| text.get(close + 1..))
                .map(str::trim_start)
                .and_then(|a| a.strip_prefix('('))
            else {
                continue;
            };
            let args_open = text.len() - args.len() - 1;
            let Some(args_close) = close_of(args_open) else {
                continue;
            };
            for (param, argument) in pieces(&params[..bar])
                .iter()
                .zip(pieces(&text[args_open + 1..args_close]))
            {
                if let (Some(name), Some(target)) = (bare(param), plain_name(&argument))
                    && name != target
                {
                    found.push((name, target));
                }
            }
        }
        found
    }

    /// `text` without the closures it binds to a name (`let name = |..| ..;`), and those
    /// closures: a closure that locks, called twice, locks twice.
    fn without_closures(text: &str) -> (String, Vec<(String, String)>) {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut text = text.to_string();
        let mut closures = Vec::new();
        let mut from = 0;
        while let Some(found) = text[from..].find("let ") {
            let at = from + found;
            from = at + 4;
            if text[..at].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let rest = text[at + 4..].trim_start();
            let rest = rest.strip_prefix("mut ").unwrap_or(rest).trim_start();
            let name: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            let after = rest[name.len()..].trim_start();
            let Some(value) = after.strip_prefix('=') else {
                continue;
            };
            let value = value.trim_start();
            let value = value.strip_prefix("move").unwrap_or(value).trim_start();
            if name.is_empty() || !value.starts_with('|') {
                continue;
            }
            // The closure ends at the `;` that ends the `let`.
            let start = at;
            let mut depth = 0;
            let mut end = text.len();
            for (i, c) in text[start..].char_indices() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => depth -= 1,
                    ';' if depth == 0 => {
                        end = start + i + 1;
                        break;
                    }
                    _ => {}
                }
            }
            let body = text[start..end]
                .split_once('=')
                .map_or(String::new(), |(_, body)| body.to_string());
            closures.push((name, body));
            text.replace_range(start..end, " ");
            from = start;
        }
        (text, closures)
    }

    /// How many times `text` calls `name` (`name(..)`, `name!(..)`, `Type::name(..)`, and
    /// `.name(..)` if `name` is a `method`), or 1 if it only passes it as a value
    /// (`.map(name)`), or 0. A variable or a field of that name (`let name`, `name.len()`,
    /// `x.name`) and a method of std (`guard.len()`, beside a helper `fn len`) are not calls.
    fn calls(text: &str, name: &str, method: bool) -> usize {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let text = without_prints(text);
        let bound = binds(&text, name);
        // A method named like one of std's (`get`, `lock`, `insert`) called on a call's result
        // (`stderr().lock()`, `m.lock().unwrap().get(..)`) or on a guard (`map.get(..)` after
        // `let map = x.lock()..`) is std's, not the helper of that name.
        let std_named = STD_METHODS.contains(&name);
        let std_receiver = |dot: usize| -> bool {
            let before = text[..dot].trim_end();
            if !before.ends_with(is_ident) {
                return true;
            }
            let receiver: String = before
                .chars()
                .rev()
                .take_while(|c| is_ident(*c))
                .collect::<Vec<char>>()
                .into_iter()
                .rev()
                .collect();
            text.match_indices("let ").any(|(at, _)| {
                let rest = &text[at + 4..];
                let Some(eq) = rest.find('=') else {
                    return false;
                };
                let value = &rest[eq + 1..];
                let value = &value[..value.find([';', '{']).unwrap_or(value.len())];
                binds(&format!("let {}=", &rest[..eq]), &receiver) && value.contains("lock(")
            })
        };
        let mut named = 0;
        let mut called = 0;
        for (at, _) in text.match_indices(name) {
            let before = text[..at].trim_end().chars().next_back();
            let after = text[at + name.len()..].trim_start();
            if text[..at].chars().next_back().is_some_and(is_ident) || after.starts_with(is_ident) {
                continue;
            }
            let dot = before == Some('.');
            if after.starts_with('(') || after.starts_with('!') || after.starts_with("::<") {
                let dot_at = text[..at].trim_end().len() - 1;
                if !dot
                    || (method && after.starts_with('(') && !(std_named && std_receiver(dot_at)))
                {
                    called += 1;
                }
            } else if !dot && !bound && !after.starts_with('.') && !after.starts_with(':') {
                named += 1;
            }
        }
        called += operator_uses(&text, name, method);
        if called > 0 { called } else { named.min(1) }
    }

    /// The methods of the operators' traits that the scans know, and the operator that calls
    /// each with no call written out.
    const OPERATORS: [(&str, &str); 25] = [
        // A value that goes out of scope: no operator, its `drop` runs all the same.
        ("drop", ""),
        ("add_assign", "+="),
        ("sub_assign", "-="),
        ("mul_assign", "*="),
        ("div_assign", "/="),
        ("rem_assign", "%="),
        ("shl_assign", "<<="),
        ("shr_assign", ">>="),
        ("bitor_assign", "|="),
        ("bitand_assign", "&="),
        ("bitxor_assign", "^="),
        ("add", "+"),
        ("sub", "-"),
        ("mul", "*"),
        ("div", "/"),
        ("rem", "%"),
        ("shl", "<<"),
        ("shr", ">>"),
        ("bitor", "|"),
        ("bitand", "&"),
        ("bitxor", "^"),
        ("neg", "-"),
        ("index", "["),
        ("index_mut", "["),
        ("into_future", ".await"),
    ];

    /// How many times `text` calls the method `name` of an operator's trait with no call
    /// written out: `a += b` calls `add_assign`, `a << b` calls `shl`, `a[i]` calls `index`,
    /// `x.await` calls `into_future`. Each use of the operator counts (also those on numbers:
    /// the scan cannot tell the types apart, and only a helper that locks is followed). A
    /// `Drop::drop` runs wherever a value goes out of scope: once in a text that does not
    /// call `drop(..)` itself (that call is counted as written).
    fn operator_uses(text: &str, name: &str, method: bool) -> usize {
        if !method {
            return 0;
        }
        OPERATORS
            .iter()
            .find(|(method, _)| *method == name)
            .map_or(0, |(_, operator)| match *operator {
                "" => usize::from(!text.contains("drop(")),
                operator => text.matches(operator).count(),
            })
    }

    /// Methods of std's maps, guards and streams: a helper of that name is followed only when
    /// the receiver may be the learner's own type.
    const STD_METHODS: [&str; 24] = [
        "get",
        "get_mut",
        "lock",
        "try_lock",
        "insert",
        "entry",
        "remove",
        "len",
        "is_empty",
        "clone",
        "push",
        "extend",
        "iter",
        "values",
        "keys",
        "contains_key",
        "read",
        "write",
        "take",
        "replace",
        "clear",
        "unwrap",
        "expect",
        "sum",
    ];

    /// Whether `text` writes to a map: an insert, an entry, `+=`, `get_mut`, an assignment
    /// (`*guard = ..`)... A task that only reads the map (a progress log, a copy at the end)
    /// cannot erase a visit.
    fn writes(text: &str) -> bool {
        let text = without_prints(text);
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let named = [
            "entry(",
            "insert(",
            "+=",
            "-=",
            "get_mut(",
            "extend(",
            "remove(",
            "retain(",
            "clear(",
            "swap(",
            "replace(",
            "take(",
            "append(",
            "or_insert",
            "drain(",
            "and_modify(",
            "iter_mut(",
            "values_mut(",
        ];
        if named.iter().any(|w| text.contains(w)) {
            return true;
        }
        let bytes = text.as_bytes();
        text.match_indices('=').any(|(at, _)| {
            let before = if at > 0 { bytes[at - 1] } else { b' ' };
            let after = bytes.get(at + 1).copied().unwrap_or(b' ');
            if b"=!<>+-*/%&|^".contains(&before) || after == b'=' || after == b'>' {
                return false;
            }
            let statement = text[..at]
                .rfind([';', '{', '}'])
                .map_or(&text[..at], |from| &text[from + 1..at]);
            !statement.split(|c: char| !is_ident(c)).any(|w| w == "let")
        })
    }

    /// A `match`, an `if` (with its `else`s), or a `try_lock()` followed by
    /// `.unwrap_or_else(..)`/`.or_else(..)` in `text`: where it is, its head (what is matched,
    /// the condition, the `try_lock()`), and its arms (only one of them runs), each with
    /// whether a `try_lock` in the head took the lock on that arm (not in an `Err`, `None` or
    /// `_` arm, nor in the `else` of an `if let Ok(..)`, nor in the closure of
    /// `.unwrap_or_else(..)`).
    struct Branching {
        whole: std::ops::Range<usize>,
        head: std::ops::Range<usize>,
        arms: Vec<(std::ops::Range<usize>, bool)>,
    }

    /// `text` with the body of each `for` over a range or an array written out with two items
    /// or more (`for step in 0..2`, `for step in [Read, Write]`) written twice, so that a lock
    /// there counts as two: those are steps of one visit, not visits; and of each `loop` that
    /// locks before it branches and `break`s or `return`s only on a branch (`loop { let g =
    /// counts.lock().unwrap(); match seen { None => .., Some(n) => { ..; break } } }`). A loop
    /// over the log's lines (a task that counts a batch of them, one lock per visit) is left as
    /// it is, and so is a loop whose body `break`s or `return`s at its own level (it runs once)
    /// or locks only on a branch (a retry that stops once it has the lock; a step machine that
    /// locks on one step only).
    fn repeated(text: &str) -> String {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let word_at = |at: usize, word: &str| {
            text[at..].starts_with(word)
                && !text[..at].ends_with(ident)
                && !text[at + word.len()..].starts_with(ident)
        };
        let has_word = |part: &str, word: &str| {
            part.match_indices(word).any(|(at, _)| {
                !part[..at].ends_with(ident) && !part[at + word.len()..].starts_with(ident)
            })
        };
        // What a `for` goes over, written out with two items or more: `0..2`, `1..=3`,
        // `[a, b]`, `[step; 2]`.
        let written_out = |over: &str| {
            // Taken as it is, or through adapters that keep every item
            // (`[&log, &log].iter().enumerate()`).
            let mut over = over.trim();
            while let Some(rest) = [
                ".iter()",
                ".into_iter()",
                ".enumerate()",
                ".copied()",
                ".cloned()",
                ".rev()",
            ]
            .iter()
            .find_map(|adapter| over.strip_suffix(adapter))
            {
                over = rest.trim_end();
            }
            let number = |part: &str| part.trim().replace('_', "").parse::<u64>().ok();
            if let Some(items) = over.strip_prefix('[').and_then(|o| o.strip_suffix(']')) {
                let mut depth = 0;
                let mut parts = vec![String::new()];
                for c in items.chars() {
                    match c {
                        '(' | '[' | '{' => depth += 1,
                        ')' | ']' | '}' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 && (c == ',' || c == ';') {
                        parts.push(c.to_string());
                    } else if let Some(part) = parts.last_mut() {
                        part.push(c);
                    }
                }
                let parts: Vec<&str> = parts.iter().map(|p| p.trim()).collect();
                return match parts.iter().position(|p| p.starts_with(';')) {
                    Some(at) => number(&parts[at][1..]).is_some_and(|n| n >= 2),
                    None => {
                        parts
                            .iter()
                            .filter(|p| !p.trim_start_matches(',').trim().is_empty())
                            .count()
                            >= 2
                    }
                };
            }
            over.split_once("..").is_some_and(|(from, to)| {
                let (to, inclusive) = match to.strip_prefix('=') {
                    Some(to) => (to, 1),
                    None => (to, 0),
                };
                number(from)
                    .zip(number(to))
                    .is_some_and(|(from, to)| to + inclusive >= from + 2)
            })
        };
        let mut out = String::new();
        let (mut from, mut at) = (0, 0);
        while at < text.len() {
            if !text.is_char_boundary(at) {
                at += 1;
                continue;
            }
            // An iterator made from a closure it calls again and again
            // (`repeat_with(|| counts.lock().unwrap())`, `from_fn(..)`): each `next()` runs it,
            // so a lock there counts as two (a `try_lock` there is a retry, left as it is).
            let made_of_calls = ["repeat_with", "from_fn"]
                .into_iter()
                .find(|word| word_at(at, word))
                .and_then(|word| {
                    let open = at + word.len();
                    text[open..].starts_with('(').then_some(open)
                })
                .and_then(|open| Some((open, closing(text, open)?)))
                .filter(|&(open, close)| {
                    let args: String = text[open..close]
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .collect();
                    [".lock(", "::lock(", "blocking_lock(", "lock_owned("]
                        .iter()
                        .any(|lock| args.contains(lock))
                });
            if let Some((open, close)) = made_of_calls {
                out.push_str(&text[from..close]);
                out.push(' ');
                out.push_str(&text[open + 1..close]);
                from = close;
                at = close;
                continue;
            }
            let looped = ["for", "while", "loop"]
                .into_iter()
                .find(|word| word_at(at, word))
                .and_then(|word| {
                    let open = block_after(text, at + word.len())?;
                    let header = &text[at + word.len()..open];
                    let repeats = match word {
                        "for" => header
                            .split_once(" in ")
                            .is_some_and(|(_, over)| written_out(over)),
                        // A `while` may run once (`while !saved`, `while n.is_none()`).
                        "while" => false,
                        _ => true,
                    };
                    repeats.then_some(open)
                })
                .and_then(|open| Some((open, closing(text, open)?)))
                .filter(|&(open, close)| {
                    let body = &text[open..close];
                    // A lock only inside a branch (`if`, `match`) may be taken on one turn
                    // only (a step machine: `match step { Parse => .., Record => lock }`):
                    // left as it is; a lock before the first branch is taken on every turn.
                    let first = |word: &str| {
                        body.match_indices(word)
                            .find(|&(at, _)| {
                                !body[..at].ends_with(ident)
                                    && !body[at + word.len()..].starts_with(ident)
                            })
                            .map(|(at, _)| at)
                    };
                    let branch = [first("if"), first("match")].into_iter().flatten().min();
                    let locks_each_turn = match (body.find(".lock("), branch) {
                        (Some(lock), Some(branch)) => lock < branch,
                        (lock, None) => lock.is_some(),
                        (None, Some(_)) => false,
                    };
                    // The body at its own level, its inner blocks blanked: a `break` or `return`
                    // there ends the first turn, so the body runs once; one only inside a
                    // branch (`if done { break }`, a `match` arm) may come on a later turn,
                    // after the lock was taken again (`loop { let g = m.lock().unwrap(); match
                    // step { Read => .., Write => { ..; break } } }` locks twice).
                    let mut depth = 0;
                    let own_level: String = body
                        .chars()
                        .map(|c| {
                            let here = depth;
                            match c {
                                '(' | '[' | '{' => depth += 1,
                                ')' | ']' | '}' => depth -= 1,
                                _ => {}
                            }
                            if here == 1 && depth == 1 {
                                c.to_string()
                            } else {
                                " ".repeat(c.len_utf8())
                            }
                        })
                        .collect();
                    // A branching at the body's own level whose every arm `break`s or
                    // `return`s (`match g.get_mut(page) { Some(n) => { ..; break } None => {
                    // ..; break } }`) ends the first turn too.
                    let every_arm_ends = branchings(body).iter().any(|b| {
                        (own_level.get(b.whole.start..))
                            .is_some_and(|own| own.starts_with(['i', 'm']))
                            && b.arms.len() > 1
                            && b.arms.iter().all(|(arm, _)| {
                                has_word(&body[arm.clone()], "break")
                                    || has_word(&body[arm.clone()], "return")
                            })
                    });
                    locks_each_turn
                        && !every_arm_ends
                        && !has_word(&own_level, "break")
                        && !has_word(&own_level, "return")
                });
            match looped {
                Some((open, close)) => {
                    out.push_str(&text[from..close]);
                    out.push(' ');
                    out.push_str(&text[open + 1..close]);
                    from = close;
                    at = close;
                }
                None => at += 1,
            }
        }
        out.push_str(&text[from..]);
        out
    }

    /// Where the bracket opened at `open` in `text` closes.
    fn closing(text: &str, open: usize) -> Option<usize> {
        let mut depth = 0;
        for (i, c) in text[open..].char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(open + i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The first `{` at depth 0 in `text` from `from` (the body of a `match`, the block of an
    /// `if`), if no `;`, `}` or `=>` comes first.
    fn block_after(text: &str, from: usize) -> Option<usize> {
        let mut depth = 0;
        for (i, c) in text[from..].char_indices() {
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                '{' if depth == 0 => return Some(from + i),
                ';' | '}' if depth == 0 => return None,
                '=' if depth == 0 && text[from + i..].starts_with("=>") => return None,
                _ => {}
            }
            if depth < 0 {
                return None;
            }
        }
        None
    }

    /// The name a pattern starts with, its path left out (`Err(..)`, `TryLockError::..`).
    fn pattern_name(pattern: &str) -> String {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let pattern = pattern.trim_start().trim_start_matches('|').trim_start();
        let path: String = pattern
            .chars()
            .take_while(|c| ident(*c) || *c == ':')
            .collect();
        path.rsplit("::").next().unwrap_or_default().to_string()
    }

    /// Whether the lock of a `try_lock` in `head` is held on the arm whose pattern is
    /// `pattern`: not on an `Err`, `None` or `_` arm.
    fn took_on(pattern: &str) -> bool {
        !["Err", "None", "_"].contains(&pattern_name(pattern).as_str())
    }

    /// An `if`'s condition, block, and `else` part.
    type IfParts = (
        std::ops::Range<usize>,
        std::ops::Range<usize>,
        Option<std::ops::Range<usize>>,
    );

    /// The `if` at `at` in `text`: its condition, its block, and its `else` part (a block or
    /// another `if`), and where the whole chain ends.
    fn if_at(text: &str, at: usize) -> Option<IfParts> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let open = block_after(text, at + 2)?;
        let close = closing(text, open)?;
        let after = &text[close + 1..];
        let rest = after.trim_start();
        let Some(otherwise) = rest.strip_prefix("else").filter(|r| !r.starts_with(ident)) else {
            return Some((at + 2..open, open..close + 1, None));
        };
        let start = text.len() - otherwise.trim_start().len();
        let end = if text[start..].starts_with('{') {
            closing(text, start)? + 1
        } else if text[start..].starts_with("if") {
            let (_, then, otherwise) = if_at(text, start)?;
            otherwise.map_or(then.end, |o| o.end)
        } else {
            return None;
        };
        Some((at + 2..open, open..close + 1, Some(start..end)))
    }

    /// Whether `block` (`{ .. }`) ends in a `return`: its last statement returns.
    fn returns(block: &str) -> bool {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let inner = block.trim();
        let inner = inner.strip_prefix('{').unwrap_or(inner);
        let inner = inner.strip_suffix('}').unwrap_or(inner).trim_end();
        let inner = inner.strip_suffix(';').unwrap_or(inner);
        let (mut depth, mut last) = (0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' => depth -= 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        last = i + 1;
                    }
                }
                ';' if depth == 0 => last = i + 1,
                _ => {}
            }
        }
        let last = inner[last..].trim_start();
        last.strip_prefix("return")
            .is_some_and(|rest| !rest.starts_with(ident))
    }

    /// The `match`es, `if`/`else`s and `try_lock().unwrap_or_else(..)`s of `text`.
    fn branchings(text: &str) -> Vec<Branching> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let word_at = |at: usize, word: &str| {
            text[at..].starts_with(word)
                && !text[..at].ends_with(ident)
                && !text[at + word.len()..].starts_with(ident)
        };
        let mut found = Vec::new();
        for (at, _) in text.char_indices() {
            if word_at(at, "match") {
                let Some(open) = block_after(text, at + 5) else {
                    continue;
                };
                let Some(close) = closing(text, open) else {
                    continue;
                };
                let head = at + 5..open;
                let locked_in_head = text[head.clone()].contains("try_lock");
                // The arms: each ends at a `,` at depth 0, or at the `}` of a block body.
                let mut arms = Vec::new();
                let (mut depth, mut start, mut arrow, mut block) = (0, open + 1, None, None);
                for (i, c) in text[open + 1..close].char_indices() {
                    let i = open + 1 + i;
                    match c {
                        '(' | '[' | '{' => {
                            if depth == 0
                                && c == '{'
                                && arrow.is_some_and(|a: usize| text[a + 2..i].trim().is_empty())
                            {
                                block = Some(i);
                            }
                            depth += 1;
                        }
                        ')' | ']' | '}' => {
                            depth -= 1;
                            if depth == 0 && c == '}' && block.is_some() {
                                arms.push(start..i + 1);
                                (start, arrow, block) = (i + 1, None, None);
                            }
                        }
                        '=' if depth == 0 && text[i..].starts_with("=>") => arrow = Some(i),
                        ',' if depth == 0 => {
                            if arrow.is_some() {
                                arms.push(start..i);
                            }
                            (start, arrow, block) = (i + 1, None, None);
                        }
                        _ => {}
                    }
                }
                if arrow.is_some() {
                    arms.push(start..close);
                }
                let arms = arms
                    .into_iter()
                    .filter(|arm| !text[arm.clone()].trim().is_empty())
                    .map(|arm| {
                        let took = !locked_in_head || took_on(&text[arm.clone()]);
                        (arm, took)
                    })
                    .collect();
                found.push(Branching {
                    whole: at..close + 1,
                    head,
                    arms,
                });
            } else if word_at(at, "if") {
                // An `else if` is an arm of the `if` before it.
                if text[..at].trim_end().ends_with("else")
                    && !text[..text[..at].trim_end().len() - 4].ends_with(ident)
                {
                    continue;
                }
                let Some((head, then, otherwise)) = if_at(text, at) else {
                    continue;
                };
                // An `if` with no `else` whose block ends in `return` (an early return): the
                // block, or what follows it to the end; only one of them runs.
                let otherwise = match otherwise {
                    Some(otherwise) => otherwise,
                    None if returns(&text[then.clone()]) => then.end..text.len(),
                    None => continue,
                };
                // `if let Ok(guard) = m.try_lock() { .. } else { .. }`: the lock is held in
                // the block, not in the `else` (the other way round for `Err`).
                let condition = text[head.clone()].trim_start();
                let (mut then_took, mut else_took) = (true, true);
                if let Some(pattern) = condition.strip_prefix("let")
                    && condition.contains("try_lock")
                {
                    match pattern_name(pattern).as_str() {
                        "Ok" | "Some" => else_took = false,
                        "Err" | "None" => then_took = false,
                        _ => {}
                    }
                }
                found.push(Branching {
                    whole: at..otherwise.end,
                    head,
                    arms: vec![(then, then_took), (otherwise, else_took)],
                });
            } else if word_at(at, "try_lock") {
                let after = text[at + 8..].trim_start();
                if !after.starts_with('(') {
                    continue;
                }
                let open = text.len() - after.len();
                let Some(close) = closing(text, open) else {
                    continue;
                };
                let rest = text[close + 1..].trim_start();
                let Some(rest) = rest.strip_prefix('.') else {
                    continue;
                };
                let rest = rest.trim_start();
                let Some(method) = ["unwrap_or_else", "or_else"]
                    .into_iter()
                    .find(|m| rest.starts_with(m) && rest[m.len()..].trim_start().starts_with('('))
                else {
                    continue;
                };
                let from = text.len() - rest.len() + method.len();
                let call = from + text[from..].find('(').unwrap_or(0);
                let Some(end) = closing(text, call) else {
                    continue;
                };
                found.push(Branching {
                    whole: at..end + 1,
                    head: at..close + 1,
                    arms: vec![(call + 1..call + 1, true), (call + 1..end, false)],
                });
            }
        }
        found
    }

    /// The ways through `text`, one per arm of each `match` and branch of each `if`/`else`
    /// (only one of them runs: their locks are alternatives, not added up), a `try_lock` of
    /// the head kept only on the arms where it took the lock. More than 64 ways: `text` as it
    /// is, every arm's locks added up.
    fn ways(text: &str) -> Vec<String> {
        let mut done = Vec::new();
        let mut todo = vec![text.to_string()];
        while let Some(way) = todo.pop() {
            let Some(branching) = branchings(&way).into_iter().find(|b| b.arms.len() > 1) else {
                done.push(way);
                continue;
            };
            if done.len() + todo.len() + branching.arms.len() > 64 {
                return vec![text.to_string()];
            }
            for (arm, took) in &branching.arms {
                let mut head = way[branching.head.clone()].to_string();
                if !took {
                    head = head.replace("try_lock", "try_lk");
                }
                todo.push(format!(
                    "{} {head} ; {} {}",
                    &way[..branching.whole.start],
                    &way[arm.clone()],
                    &way[branching.whole.end..]
                ));
            }
        }
        done
    }

    /// What the locks that `text` takes lock: its own, and those of each function, macro or
    /// closure it calls, once per call (`skip` aside).
    fn locks_taken(
        text: &str,
        helpers: &[(String, String, bool)],
        skip: &mut Vec<String>,
    ) -> Vec<String> {
        let (text, closures) = without_closures(&without_items(text));
        // Each way through the `match`es and `if`/`else`s counted apart: the one that locks
        // most.
        let mut most_of_all = Vec::new();
        // A lock in a `for` over steps written out is taken again and again.
        for text in ways(&repeated(&text)) {
            let mut locks = locks_written(&text);
            let mut names: Vec<&String> = Vec::new();
            for name in closures
                .iter()
                .map(|(n, _)| n)
                .chain(helpers.iter().map(|(n, _, _)| n))
            {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            for name in names {
                if skip.contains(name) {
                    continue;
                }
                let closure = closures.iter().find(|(n, _)| n == name);
                let method = closure.is_none() && helpers.iter().any(|(n, _, m)| n == name && *m);
                let times = calls(&text, name, method);
                if times == 0 {
                    continue;
                }
                // A closure hides a function of the same name; of several functions of that name
                // (methods of different types), the one that locks most.
                let bodies: Vec<&String> = match closure {
                    Some((_, body)) => vec![body],
                    None => helpers
                        .iter()
                        .filter(|(n, _, _)| n == name)
                        .map(|(_, b, _)| b)
                        .collect(),
                };
                skip.push(name.clone());
                let most = bodies
                    .into_iter()
                    .map(|body| locks_taken(body, helpers, skip))
                    .max_by_key(Vec::len)
                    .unwrap_or_default();
                skip.pop();
                for _ in 0..times {
                    locks.extend(most.iter().cloned());
                }
            }
            if most_times(&locks) > most_times(&most_of_all) {
                most_of_all = locks;
            }
        }
        most_of_all
    }

    /// How many times the lock taken most often in `locks` is taken.
    fn most_times(locks: &[String]) -> usize {
        locks
            .iter()
            .map(|what| locks.iter().filter(|other| *other == what).count())
            .max()
            .unwrap_or(0)
    }

    /// The argument of each `spawn(..)` call of `code` (`tokio::spawn`, a JoinSet's `spawn`)
    /// that holds no other spawn: the code of one task.
    fn spawned(code: &str) -> Vec<String> {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut tasks = Vec::new();
        for (at, _) in code.match_indices("spawn") {
            let after = &code[at + "spawn".len()..];
            if code[..at].ends_with(is_ident) || !after.trim_start().starts_with('(') {
                continue;
            }
            let open = at + "spawn".len() + after.find('(').unwrap_or(0);
            let mut depth = 0;
            let mut end = code.len();
            for (i, c) in code[open..].char_indices() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let task = &code[open + 1..end.max(open + 1)];
            if spawned(task).is_empty() {
                tasks.push(task.to_string());
            }
        }
        tasks
    }

    /// Whether the code at `at` in `text` runs again and again: inside the `{ }` of a `loop`
    /// or a `while`, or in the condition of a `while`.
    fn in_loop(text: &str, at: usize) -> bool {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let starts_loop = |header: &str| {
            // The statement that ends at this point starts after the last `;`, `{` or `}`.
            let statement = header
                .rfind([';', '{', '}'])
                .map_or(header, |from| &header[from + 1..])
                .trim_start();
            let statement = match statement.strip_prefix('\'') {
                // A label: `'retry: loop`.
                Some(label) => label
                    .trim_start_matches(is_ident)
                    .trim_start()
                    .trim_start_matches(':')
                    .trim_start(),
                None => statement,
            };
            statement
                .split(|c: char| !is_ident(c))
                .any(|word| ["loop", "while", "for"].contains(&word))
        };
        let mut open = Vec::new();
        for (i, c) in text[..at].char_indices() {
            match c {
                '{' => open.push(i),
                '}' => {
                    open.pop();
                }
                _ => {}
            }
        }
        // Or in the `( )` of an iterator's call that may run its closure again and again
        // (`repeat_with(|| m.try_lock().ok()).find_map(..)`, `(0..).find_map(..)`).
        let mut parens = Vec::new();
        for (i, c) in text[..at].char_indices() {
            match c {
                '(' => parens.push(i),
                ')' => {
                    parens.pop();
                }
                _ => {}
            }
        }
        let adapter = parens.iter().any(|&paren| {
            let callee: String = text[..paren]
                .trim_end()
                .chars()
                .rev()
                .take_while(|c| is_ident(*c))
                .collect::<Vec<char>>()
                .into_iter()
                .rev()
                .collect();
            [
                "repeat_with",
                "from_fn",
                "successors",
                "repeat",
                "map",
                "find_map",
                "filter_map",
                "find",
                "take_while",
                "skip_while",
                "map_while",
                "any",
                "all",
                "position",
                "for_each",
                "try_for_each",
                "fold",
                "try_fold",
                "scan",
                "flat_map",
                "filter",
                "inspect",
            ]
            .contains(&callee.as_str())
        });
        adapter || starts_loop(&text[..at]) || open.iter().any(|&brace| starts_loop(&text[..brace]))
    }

    /// The code of a task and of every function and macro it calls (and that they call, and
    /// so on), with the name of each (`None` for the task itself).
    fn reached(task: &str, helpers: &[(String, String, bool)]) -> Vec<(Option<String>, String)> {
        let mut texts = vec![(None, task.to_string())];
        let mut i = 0;
        while i < texts.len() {
            let text = texts[i].1.clone();
            for (name, body, method) in helpers {
                if ["main", "count_visits"].contains(&name.as_str())
                    || texts.iter().any(|(n, _)| n.as_ref() == Some(name))
                {
                    continue;
                }
                if calls(&text, name, *method) > 0 {
                    texts.push((Some(name.clone()), body.clone()));
                }
            }
            i += 1;
        }
        texts
    }

    /// A count read under one lock and written back under a second one, or a map taken with a
    /// `try_lock` that is not retried, loses a visit only when two tasks count at the same
    /// moment on two threads, which a test on one thread never sees, so this one reads the
    /// source: the code of each spawned task (the argument of each `spawn(..)`), with the
    /// functions, macros and closures it calls, once per call (not a lock only printed, nor a
    /// lock of stdout, nor the read of the map after the tasks; a lock of another Mutex, a
    /// static of metrics say, is counted apart).
    #[test]
    fn each_visit_is_counted_under_one_lock() {
        let mut code = code_only(include_str!("arc_mutex_visit_counter.rs"));
        // The guards of an RwLock (std's or Tokio's) lock the map too: a count read under
        // `read()` and written back under `write()` loses a visit as two `lock()`s do, and a
        // `try_write` that is not retried drops it as a `try_lock` does.
        for (guard, lock) in [
            (".try_read_owned(", ".try_lock("),
            (".try_write_owned(", ".try_lock("),
            (".try_lock_owned(", ".try_lock("),
            (".try_read(", ".try_lock("),
            (".try_write(", ".try_lock("),
            (".read_owned(", ".lock_owned("),
            (".write_owned(", ".lock_owned("),
            (".blocking_read(", ".blocking_lock("),
            (".blocking_write(", ".blocking_lock("),
            (".read(", ".lock("),
            (".write(", ".lock("),
        ] {
            code = code.replace(guard, lock);
        }
        if let Some((_, _, body, _)) = functions(&code).into_iter().find(|(f, ..)| f == "main") {
            code.replace_range(body, "{}");
        }
        let helpers: Vec<(String, String, bool)> = functions(&code)
            .into_iter()
            .map(|(f, _, body, method)| (f, code[body].to_string(), method))
            .chain(
                macros(&code)
                    .into_iter()
                    .map(|(f, _, body)| (f, code[body].to_string(), false)),
            )
            .collect();
        for task in spawned(&code) {
            let task = read_after_the_count(&task, &helpers);
            // A task that only reads the map (a progress log, the copy at the end) loses no
            // visit.
            if !reached(&task, &helpers)
                .iter()
                .any(|(_, text)| writes(text))
            {
                continue;
            }
            let mut skip = vec!["main".to_string(), "count_visits".to_string()];
            // A name bound to another (`let [reader, writer] = [&counts, &counts];`) locks
            // what that one locks.
            let bound = aliases(
                &reached(&task, &helpers)
                    .into_iter()
                    .map(|(_, text)| text)
                    .collect::<Vec<_>>()
                    .join("\n"),
            );
            let locks: Vec<String> = locks_taken(&task, &helpers, &mut skip)
                .into_iter()
                .map(|what| {
                    let mut what = plain_name(&what).unwrap_or(what);
                    for _ in 0..8 {
                        match bound.iter().find(|(name, _)| *name == what) {
                            Some((_, other)) => what = other.clone(),
                            None => break,
                        }
                    }
                    what
                })
                .collect();
            let nothing = String::new();
            let (what, times) = locks
                .iter()
                .map(|what| (what, locks.iter().filter(|other| *other == what).count()))
                .max_by_key(|(_, times)| *times)
                .unwrap_or((&nothing, 0));
            assert!(
                times <= 1,
                "a task that count_visits spawns locks `{what}` {times} times (counting the \
                 locks of the functions, macros and closures it calls, once per call, of the \
                 method an operator calls (`tally += page` calls `add_assign`) at each use, of a \
                 `Drop` impl's `drop` once, of a name \
                 bound to the map (`let [a, b] = [&counts, &counts]`) as the map's, a lock in \
                 a `for` over steps written out, such as `0..2`, once per step, a lock in a `loop` \
                 whose `break` is only on a branch taken after the lock as two, a lock in a \
                 closure that `repeat_with` or `from_fn` calls and a `Mutex::lock` handed on as \
                 a function (`.map(Mutex::lock)`) as two, on the way \
                 through its `if`/`else` and `match` arms that locks most, as only one arm \
                 runs, a `try_lock` only on the arms where it took the lock, an RwLock's \
                 `read()` and `write()` as locks too; a lock only \
                 printed is not counted, nor a last lock that only reads the map after the \
                 one that counts, in a task with no loop and no helper): on a multi-threaded runtime \
                 another task can count the same page between two locks, and a count read \
                 under one lock and written back under the next then erases that visit. Count \
                 the visit under one lock: `*counts.lock().unwrap().entry(page).or_insert(0) \
                 += 1`"
            );
            let texts = reached(&task, &helpers);
            for (name, text) in &texts {
                let called_in_loop = |name: &String| {
                    texts.iter().any(|(_, caller)| {
                        caller
                            .match_indices(name.as_str())
                            .any(|(at, _)| in_loop(caller, at))
                    })
                };
                for (at, _) in text.match_indices("try_lock") {
                    // Only a try_lock of the map counts: not one of a static (`STATS.try_lock()`).
                    let receiver: String = text[..at]
                        .trim_end()
                        .trim_end_matches('.')
                        .trim_end()
                        .chars()
                        .rev()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if receiver.chars().any(|c| c.is_alphabetic())
                        && !receiver.chars().any(|c| c.is_lowercase())
                    {
                        continue;
                    }
                    let after: String = text[at + "try_lock".len()..]
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .take(10)
                        .collect();
                    let unwrapped =
                        after.starts_with("().unwrap(") || after.starts_with("().expect(");
                    // A `try_lock` whose failing arm waits with `lock()` (a fast path) is
                    // retried too.
                    let falls_back = branchings(text).iter().any(|b| {
                        b.head.contains(&at)
                            && b.arms.iter().any(|(arm, took)| {
                                let arm: String = text[arm.clone()]
                                    .chars()
                                    .filter(|c| !c.is_whitespace())
                                    .collect();
                                !took
                                    && [".lock(", "::lock(", "blocking_lock(", "lock_owned("]
                                        .iter()
                                        .any(|lock| arm.contains(lock))
                            })
                    });
                    let retried = falls_back
                        || in_loop(text, at)
                        || name.as_ref().is_some_and(called_in_loop);
                    assert!(
                        !unwrapped,
                        "a task that count_visits spawns takes the map with \
                         `try_lock().unwrap()` (or `.expect(..)`; an RwLock's `try_write` or \
                         `try_read` the same): try_lock fails at once \
                         while another task holds the lock, which on a multi-threaded runtime \
                         happens now and then, and that task then panics, its visit uncounted. \
                         Lock the map with `lock()`, which waits the moment another task holds \
                         it"
                    );
                    assert!(
                        retried,
                        "a task that count_visits spawns takes the map with `try_lock` (or an \
                         RwLock's `try_write`) outside \
                         any `loop`, `while`, `for` or iterator that tries again, and with no \
                         `lock()` on the arm where it fails: while another task holds the lock (on a \
                         multi-threaded runtime that happens now and then) try_lock fails at \
                         once, and the visit goes uncounted unless the task tries again until \
                         it gets the lock. Lock the map with `lock()`, which waits the moment \
                         another task holds it"
                    );
                }
            }
        }
    }

    /// A lost wake-up needs another thread at just the wrong moment, so no run can be sure to
    /// show it: this test reads the source. `notify_waiters` wakes only the `Notified` futures
    /// that already exist when it runs, so a `Notified` awaited right where it is made
    /// (`x.notified().await`, or `let n = x.notified(); n.await;`) was made after the count was
    /// last checked, and misses a wake-up that lands in between. Made first, then the count
    /// checked, then awaited (`let n = x.notified(); if done { .. } n.await;`), it misses none.
    #[test]
    fn count_visits_cannot_miss_a_wakeup() {
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

        let source = include_str!("arc_mutex_visit_counter.rs");
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
        let awaited_where_made = (1..tokens.len()).any(|named| {
            if !["notified", "notified_owned"].contains(&tokens[named].as_str())
                || ![".", ":"].contains(&tokens[named - 1].as_str())
                || !is(named + 1, &["("])
                || on_a_permit_notify(named)
            {
                return false;
            }
            // The token after the `)` that closes the call.
            let mut depth = 0;
            let Some(next) = (named + 1..tokens.len()).find_map(|i| {
                match tokens[i].as_str() {
                    "(" => depth += 1,
                    ")" if depth == 1 => return Some(i + 1),
                    ")" => depth -= 1,
                    _ => {}
                }
                None
            }) else {
                return false;
            };
            if is(next, &[".", "await"]) {
                return true;
            }
            // `let [mut] n = ....notified();` followed at once by `n.await`.
            let start = tokens[..named]
                .iter()
                .rposition(|t| t == ";" || t == "{" || t == "}")
                .map_or(0, |p| p + 1);
            if !is(next, &[";"]) || !is(start, &["let"]) {
                return false;
            }
            let name_at = if is(start + 1, &["mut"]) {
                start + 2
            } else {
                start + 1
            };
            tokens
                .get(name_at)
                .is_some_and(|name| is(next + 1, &[name.as_str(), ".", "await"]))
        });
        assert!(
            !awaited_where_made,
            "count_visits waits for its tasks on a Notified made after it checked how many \
             are left (`.notified().await`, or `let n = ...notified(); n.await;`), beside a \
             `notify_waiters`: notify_waiters wakes only the Notified futures that already \
             exist, so on a multi-thread runtime (`#[tokio::main]`) the last task can record its \
             visit between that check and the `notified()` and wake nobody, and count_visits \
             waits for ever with every visit counted. Await each task's JoinHandle (or a \
             JoinSet) before reading the map (or make the Notified first, then check the count, \
             then await it)"
        );
    }
}
