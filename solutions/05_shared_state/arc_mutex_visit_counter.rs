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
        // Clone the pointer: every task now points at the same map.
        let counts = Arc::clone(&counts);
        handles.push(tokio::spawn(async move {
            // Pretend to parse the log line.
            tokio::time::sleep(Duration::from_millis(10 * (i as u64 % 3))).await;
            // The guard is a temporary: it is dropped at the end of this statement.
            *counts.lock().unwrap().entry(page).or_insert(0) += 1;
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
    /// after the other take no real time.
    fn allocations_outside_and_inside_the_tasks(logs: Vec<Vec<&'static str>>) -> Allocations {
        use std::future::Future;
        use std::pin::pin;
        use std::sync::mpsc;
        use std::task::{Context, Poll, Waker};
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
            let _ = go.send(());
            after += allocation_counter::measure(|| {
                let counts = counts
                    .take()
                    .unwrap_or_else(|| handle.block_on(counting.as_mut()));
                if counts.values().sum::<u32>() != visits && wrong.is_none() {
                    wrong = Some((visits, counts));
                }
            })
            .count_total;
            let (now_held, is_held) = mpsc::channel();
            let _ = hold.send(now_held);
            let _ = is_held.recv();
        }
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
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
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
        assert!(
            left < 25,
            "50 calls of count_visits, whose maps the test dropped, left {left} heap allocations \
             behind: each call leaks its map (Box::leak?), or leaves memory behind in what it \
             started (std threads). Share the map through an Arc with Tokio tasks: it is freed \
             when the last clone is dropped"
        );
    }
}
