// share_config_arc
//
// `check_sensors` spawns one task per sensor reading, and every task needs the same `Limits`.
// Handing each task a plain reference `&limits` does not work: a spawned task may outlive the
// function, so it cannot hold a borrow of a local variable.
//
// Share one `Limits` between all the tasks with `std::sync::Arc`: wrap it once, and give each
// task its own clone of the `Arc` (a cheap pointer copy, not a copy of the data).

use std::time::Duration;

struct Limits {
    site: String,
    max_temp: u32,
}

async fn check_sensors(limits: Limits, readings: Vec<u32>) -> Vec<String> {
    // TODO: wrap `limits` so that it can be shared by several tasks.
    let mut handles = Vec::new();
    for (id, reading) in readings.into_iter().enumerate() {
        // TODO: give this task its own handle on the limits instead of a borrow.
        let limits = &limits;
        handles.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if reading > limits.max_temp {
                format!("{}: sensor {id} too hot ({reading})", limits.site)
            } else {
                format!("{}: sensor {id} ok", limits.site)
            }
        }));
    }

    let mut report = Vec::new();
    for handle in handles {
        report.push(handle.await.expect("a sensor task failed"));
    }
    report
}

#[tokio::main]
async fn main() {
    let limits = Limits {
        site: "lab".to_string(),
        max_temp: 30,
    };
    for line in check_sensors(limits, vec![25, 31]).await {
        println!("{line}");
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::runtime::Handle;

    /// What `report` shows when it is not `expected` (the lines of `readings`, in sensor
    /// order) and its lines are kept by reading value: all of them in the order of the values
    /// (a map keyed by reading), or none for a sensor whose reading repeats another's (merged
    /// by value). `None` when it is neither.
    fn kept_by_value(report: &[String], readings: &[u32], expected: &[String]) -> Option<String> {
        let mut order: Vec<usize> = (0..readings.len()).collect();
        order.sort_by_key(|&i| readings[i]);
        let by_value: Vec<&String> = order.iter().map(|&i| &expected[i]).collect();
        let mut values: Vec<u32> = readings.to_vec();
        values.sort_unstable();
        values.dedup();
        let in_order = report.iter().collect::<Vec<_>>() == by_value;
        let missing: Vec<usize> = (0..expected.len())
            .filter(|&i| !report.contains(&expected[i]))
            .collect();
        let repeated = |i: usize| readings.iter().filter(|&&r| r == readings[i]).count() > 1;
        let merged = !missing.is_empty()
            && report.len() == values.len()
            && report.iter().all(|line| expected.contains(line))
            && missing.iter().all(|&i| repeated(i));
        if in_order && report != expected {
            Some(String::from(
                ": the right lines, in the order of the reading values (lowest first) rather \
                 than of the sensors",
            ))
        } else if merged {
            Some(format!(
                ": one line per distinct reading ({} for {} sensors){}; the {} sensor(s) whose \
                 reading repeats another's got no line. Every sensor gets its own line, even \
                 when two read the same",
                report.len(),
                readings.len(),
                if report.iter().collect::<Vec<_>>()
                    == by_value
                        .iter()
                        .copied()
                        .filter(|line| report.contains(line))
                        .collect::<Vec<_>>()
                {
                    ", in the order of the values"
                } else {
                    ""
                },
                missing.len()
            ))
        } else {
            None
        }
    }

    /// How many tasks are alive on the test's runtime right now.
    fn running_tasks() -> usize {
        Handle::current().metrics().num_alive_tasks()
    }

    /// Awaits `future` (a call of check_sensors) while a task of the test counts the tasks
    /// alive on the runtime (itself left out) at each ms of paused time, up to 1 s. Gives what
    /// the call returned, when it returned (ms since `start`), the counts (ms since `start`,
    /// tasks alive), and the last ms at which the count fell before the call returned, or as
    /// it returned: when the last of the call's tasks to end did.
    async fn with_task_counts<T>(
        start: tokio::time::Instant,
        future: impl std::future::Future<Output = T>,
    ) -> (T, u128, Vec<(u128, usize)>, Option<u128>) {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let done = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(Mutex::new(Vec::new()));
        let counter = tokio::spawn({
            let (done, counts) = (Arc::clone(&done), Arc::clone(&counts));
            async move {
                let mut next = tokio::time::Instant::now();
                for _ in 0..1000 {
                    next += Duration::from_millis(1);
                    tokio::time::sleep_until(next).await;
                    if done.load(Ordering::SeqCst) {
                        break;
                    }
                    let count = running_tasks().saturating_sub(1);
                    counts
                        .lock()
                        .unwrap()
                        .push((start.elapsed().as_millis(), count));
                }
            }
        });
        let out = future.await;
        let elapsed = start.elapsed().as_millis();
        let at_return = running_tasks().saturating_sub(1);
        done.store(true, Ordering::SeqCst);
        counter
            .await
            .expect("the test's task that counts tasks failed");
        let counts = std::mem::take(&mut *counts.lock().unwrap());
        let mut last_end = counts
            .windows(2)
            .filter(|pair| pair[1].1 < pair[0].1)
            .map(|pair| pair[1].0)
            .next_back();
        if counts.last().is_some_and(|&(_, last)| at_return < last) {
            last_end = Some(elapsed);
        }
        (out, elapsed, counts, last_end)
    }

    #[tokio::test(start_paused = true)]
    async fn every_task_sees_the_limits() {
        let limits = Limits {
            site: "lab".to_string(),
            max_temp: 30,
        };
        let report = check_sensors(limits, vec![25, 31, 30]).await;
        let expected = [
            "lab: sensor 0 ok",
            "lab: sensor 1 too hot (31)",
            "lab: sensor 2 ok",
        ];
        let mut sorted = report.clone();
        sorted.sort();
        let by_value = kept_by_value(&report, &[25, 31, 30], &expected.map(String::from));
        assert!(
            report == expected || sorted != expected,
            "check_sensors returned the right lines in another order: {report:?}{}. Keep the \
             lines in the order of the readings, e.g. by awaiting the JoinHandles in the order \
             the tasks were spawned",
            by_value.unwrap_or_default()
        );
        assert_eq!(
            report, expected,
            "each task must compare its reading with the shared limits and name the site"
        );
    }

    /// A thousand sensors, each checked in 10 ms: all at once, the whole check takes 10 ms.
    #[tokio::test(start_paused = true)]
    async fn a_thousand_sensors_take_one_check() {
        let limits = Limits {
            site: "hall".to_string(),
            max_temp: 40,
        };
        let readings: Vec<u32> = (0..1000).map(|i| 10 + i % 50).collect();
        let expected: Vec<String> = readings
            .iter()
            .enumerate()
            .map(|(id, &reading)| {
                if reading > 40 {
                    format!("hall: sensor {id} too hot ({reading})")
                } else {
                    format!("hall: sensor {id} ok")
                }
            })
            .collect();
        let start = tokio::time::Instant::now();
        let report = check_sensors(limits, readings.clone()).await;
        let took = start.elapsed();
        let one_check = Duration::from_millis(10);
        if report != expected {
            let mut sorted = report.clone();
            sorted.sort();
            let mut wanted = expected.clone();
            wanted.sort();
            let missing = expected.iter().filter(|l| !report.contains(l)).count();
            let seen = if let Some(by_value) = kept_by_value(&report, &readings, &expected) {
                format!(", {missing} of the 1000 expected ones missing{by_value}")
            } else if sorted == wanted {
                String::from(", all the right ones, but in another order")
            } else if report.len() == expected.len() {
                let first = (0..report.len())
                    .find(|&i| report[i] != expected[i])
                    .unwrap_or(0);
                // The site each line names (what comes before its first ": ").
                let site = |line: &str| line.split_once(": ").map(|(site, _)| site.to_string());
                let sites: std::collections::BTreeSet<Option<String>> =
                    report.iter().map(|line| site(line)).collect();
                let rest = |line: &str| line.split_once(": ").map(|(_, rest)| rest.to_string());
                let same_rest = report
                    .iter()
                    .zip(&expected)
                    .all(|(got, want)| rest(got) == rest(want));
                let other_site = match sites.into_iter().collect::<Vec<_>>()[..] {
                    [Some(ref other)] if other != "hall" => {
                        let another_call = other == "lab"
                            || other == "roof"
                            || (!other.is_empty() && other.chars().all(|c| c == 'x'));
                        format!(
                            ". Every line names the site {other:?}, not \"hall\" (the site of \
                             the Limits this call was given){}{}",
                            if same_rest {
                                ", and is otherwise right"
                            } else {
                                ", and the verdicts differ too"
                            },
                            if another_call {
                                format!(
                                    ": {other:?} is the site of a check_sensors call in another \
                                     test, so the lines use the Limits of another call (a value \
                                     kept from an earlier call: a static, a OnceLock, a cache). \
                                     Each call's tasks must use the Limits that call was given"
                                )
                            } else {
                                String::new()
                            }
                        )
                    }
                    _ => String::new(),
                };
                format!(
                    ", {missing} of the 1000 expected ones missing: line {first} is {:?} instead \
                     of {:?}{other_site}",
                    report[first], expected[first]
                )
            } else {
                format!(", {missing} of the 1000 expected ones missing")
            };
            panic!(
                "check_sensors of 1000 sensors returned after {took:?} {} line(s){seen}: every \
                 sensor's line must come back, in the order of the readings",
                report.len(),
            );
        }
        assert!(
            took <= one_check,
            "check_sensors of 1000 sensors (each check takes {one_check:?}) returned every line \
             right, but after {took:?}: with every sensor's task running at once, the whole \
             check takes {one_check:?}, however many sensors there are. Either the checks did not \
             all run at once (fewer tasks than sensors at a time: a cap, batches, each task \
             awaited before the next is spawned; or tasks that wait for one another inside: a \
             lock held across the 10 ms wait lets one task check at a time), or check_sensors \
             waited on after them. Spawn a task for every sensor first, with no cap on how many \
             run at once, let each task check without waiting for another's (hold no lock \
             across the .await), then await the handles, and nothing more"
        );
    }

    /// One sensor, two, seven, and 2500 (over two thousand, not a round number): whatever
    /// their count, every sensor gets its line, in order, and the checks all run at once, so
    /// the whole check takes the 10 ms of one.
    #[tokio::test(start_paused = true)]
    async fn any_count_of_sensors_takes_one_check() {
        for count in [1, 2, 7, 2500] {
            let limits = Limits {
                site: "yard".to_string(),
                max_temp: 35,
            };
            let readings: Vec<u32> = (0..count).map(|i| 30 + (i as u32 * 3) % 11).collect();
            let expected: Vec<String> = readings
                .iter()
                .enumerate()
                .map(|(id, &reading)| {
                    if reading > 35 {
                        format!("yard: sensor {id} too hot ({reading})")
                    } else {
                        format!("yard: sensor {id} ok")
                    }
                })
                .collect();
            let shown = if count <= 10 {
                format!("the readings {readings:?}")
            } else {
                format!("{count} sensors")
            };
            let start = tokio::time::Instant::now();
            let report = check_sensors(limits, readings).await;
            let took = start.elapsed();
            if report.len() != count {
                panic!(
                    "check_sensors of {shown} returned {} line(s): every sensor's line must \
                     come back, in the order of the readings, however many sensors there are",
                    report.len()
                );
            }
            if let Some(at) = (0..count).find(|&at| report[at] != expected[at]) {
                panic!(
                    "check_sensors of {shown} returned {:?} as line {at}, instead of {:?}: \
                     every sensor's line must come back, in the order of the readings, \
                     however many sensors there are",
                    report[at], expected[at]
                );
            }
            assert!(
                took <= Duration::from_millis(10),
                "check_sensors of {shown} (each check takes 10 ms) returned every line right, \
                 but after {took:?}: the checks did not all run at once for this count of \
                 sensors. Spawn a task for every sensor first, whatever their count (one, two \
                 or thousands), with no cap on how many run at once, then await the handles: \
                 the whole check takes 10 ms"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn works_with_other_limits() {
        let limits = Limits {
            site: "roof".to_string(),
            max_temp: 10,
        };
        let report = check_sensors(limits, vec![12, 3]).await;
        let expected = ["roof: sensor 0 too hot (12)", "roof: sensor 1 ok"];
        let mut sorted = report.clone();
        sorted.sort();
        assert!(
            report == expected || sorted != expected,
            "check_sensors(roof, max 10, vec![12, 3]) returned the right lines in another \
             order: {report:?}. Keep the lines in the order of the readings, e.g. by awaiting \
             the JoinHandles in the order the tasks were spawned"
        );
        assert_eq!(
            report, expected,
            "check_sensors(roof, max 10, vec![12, 3]) returned {report:?}: the tasks must use \
             the limits they were given, not fixed values"
        );
    }

    /// On a runtime without a timer every sensor task panics at its sleep, and each
    /// JoinHandle gives `Err(JoinError)`: an empty line or a verdict ("ok", "too hot") for
    /// such a sensor would be made up. Panicking, waiting on, leaving the sensor out, or a
    /// line that says the task failed is fine.
    #[test]
    fn a_failed_task_gives_no_line() {
        // A first check of the same sensors, with a timer, so that the checked one below is a
        // second call: a task that skips its wait for a sensor read before (kept in a static)
        // is caught whatever ran before.
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("the test's runtime could not be built")
            .block_on(async {
                check_sensors(
                    Limits {
                        site: "lab".to_string(),
                        max_temp: 30,
                    },
                    vec![25, 31],
                )
                .await
            });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("the test's runtime could not be built");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                let limits = Limits {
                    site: "lab".to_string(),
                    max_temp: 30,
                };
                // No timer here: count turns instead, to stop a call that waits on.
                let turns = async {
                    for _ in 0..1_000 {
                        tokio::task::yield_now().await;
                    }
                };
                tokio::select! {
                    biased;
                    report = check_sensors(limits, vec![25, 31]) => Some(report),
                    () = turns => None,
                }
            })
        }));
        if let Ok(Some(report)) = outcome {
            // A line that says the sensor is "not ok" reports the failure.
            let made_up = report.iter().any(|line| {
                line.is_empty()
                    || (line.ends_with(" ok") && !line.ends_with(" not ok"))
                    || line.contains("too hot")
            });
            assert!(
                !made_up,
                "here, checking the same sensors a second time on a runtime without a timer, \
                 every sensor task panics at its 10 ms sleep (its handle gives Err(JoinError)), \
                 but check_sensors returned {report:?}: a failed task has no line to give, so \
                 that line was made up (or a task skipped its 10 ms for a sensor read before: \
                 every check must wait). Take each line out of the Ok of its awaited handle and \
                 let an Err stop check_sensors, as the given \
                 `handle.await.expect(\"a sensor task failed\")` does (or leave the sensor \
                 out, or put in a line that says its check failed)"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn sensors_are_checked_concurrently() {
        let limits = Limits {
            site: "lab".to_string(),
            max_temp: 30,
        };
        // A first check of the same sensors, so that the timed one below is a second call: a
        // task that skips its wait for a sensor read before (kept in a static) is caught.
        check_sensors(
            Limits {
                site: "lab".to_string(),
                max_temp: 30,
            },
            vec![1, 2, 3, 4, 5],
        )
        .await;
        let start = tokio::time::Instant::now();
        let (report, elapsed, counts, last_end) =
            with_task_counts(start, check_sensors(limits, vec![1, 2, 3, 4, 5])).await;
        // Halfway through the 10 ms checks, the tasks that are running.
        let running = counts
            .iter()
            .find(|&&(ms, _)| ms == 5)
            .map_or(0, |&(_, n)| n);
        let seen = [5, 15, 25, 35, 45, 55]
            .into_iter()
            .filter_map(|ms| {
                let (_, count) = counts.iter().find(|&&(at, _)| at == ms)?;
                Some(format!("{ms} ms: {count}"))
            })
            .collect::<Vec<_>>()
            .join(", ");
        assert_eq!(report.len(), 5, "there must be one line per reading");
        assert!(
            elapsed < 20,
            "{}",
            if running == 0 {
                format!(
                    "checking 5 sensors took {elapsed} ms instead of ~10 ms, and 5 ms in, no \
                     task of check_sensors was running: spawn one task per sensor \
                     (`tokio::spawn`), all of them before awaiting any, so that they run at \
                     the same time"
                )
            } else if running < 5 {
                format!(
                    "checking 5 sensors took {elapsed} ms instead of ~10 ms, and 5 ms in, \
                     {running} task(s) were running, not 5: the checks did not all run at \
                     once{}. Spawn every sensor's task first, and only then await the \
                     JoinHandles",
                    if elapsed >= 50 {
                        " (10 ms each, 5 of them one after the other take 50 ms)"
                    } else {
                        ""
                    }
                )
            } else if let Some(end) = last_end.filter(|&end| end > 11) {
                format!(
                    "checking 5 sensors took {elapsed} ms instead of ~10 ms: {running} tasks \
                     were alive 5 ms in, but tasks were still ending at {end} ms (tasks alive \
                     at {seen}), so the 10 ms checks did not all run at once inside the tasks \
                     (a task is alive while it waits for its turn). Every task must start its \
                     check as soon as it runs, without waiting for another task's check"
                )
            } else if let Some(end) = last_end {
                format!(
                    "checking 5 sensors took {elapsed} ms instead of ~10 ms, though {running} \
                     tasks were running 5 ms in and the last of them ended at {end} ms: \
                     check_sensors returned {} ms after its tasks were over. Await the \
                     sensors' JoinHandles, and nothing more",
                    elapsed - end
                )
            } else {
                format!(
                    "checking 5 sensors took {elapsed} ms instead of ~10 ms, though {running} \
                     tasks were running 5 ms in (tasks alive at {seen}): each sensor's task \
                     must run its 10 ms check, and check_sensors await the sensors' \
                     JoinHandles, and nothing more"
                )
            }
        );
        assert!(
            elapsed >= 10,
            "checking the same 5 sensors a second time took {elapsed} ms: every check must \
             wait its 10 ms, also for a sensor read before"
        );
        assert!(
            running >= 5,
            "while 5 sensors were being checked, only {running} tasks were running: keep one \
             spawned task (`tokio::spawn`) per sensor"
        );
    }

    /// Starts checking `sensors` sensors of a site whose name is 16384 bytes long, on a
    /// runtime of its own (a paused clock and one thread, or, with `real_clock`, the real
    /// clock and two worker threads, called from this thread), and returns how many bytes of
    /// heap check_sensors held on this thread after its first step (it has spawned the tasks,
    /// which have not ended yet).
    fn bytes_held_while_checking(sensors: usize, real_clock: bool) -> i64 {
        bytes_held_with_a_site_of(16_384, sensors, real_clock)
    }

    /// `bytes_held_while_checking` for a site whose name is `site` bytes long.
    fn bytes_held_with_a_site_of(site: usize, sensors: usize, real_clock: bool) -> i64 {
        let runtime = if real_clock {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_time()
                .build()
                .unwrap()
        } else {
            tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap()
        };
        let limits = Limits {
            site: "x".repeat(site),
            max_temp: 30,
        };
        let readings = vec![7; sensors];
        // Called in the runtime's context (its tasks spawned there, should it spawn them as
        // it is called, before its future is polled), and measured from the call on.
        let mut checking = None;
        let mut early = None;
        let held = allocation_counter::measure(|| {
            let checking = checking.insert({
                let _entered = runtime.enter();
                Box::pin(check_sensors(limits, readings))
            });
            runtime.block_on(std::future::poll_fn(|cx| {
                if let std::task::Poll::Ready(report) = checking.as_mut().poll(cx) {
                    // With the real clock, this thread may have been held up for 10 ms.
                    assert!(real_clock, "the checks must take their 10 ms");
                    early = Some(report);
                }
                std::task::Poll::Ready(())
            }));
        })
        .bytes_current;
        let checking = checking.expect("check_sensors was called");
        let report = early.unwrap_or_else(|| runtime.block_on(checking));
        assert_eq!(report.len(), sensors, "there must be one line per reading");
        assert!(
            report
                .iter()
                .all(|line| line.starts_with(&"x".repeat(site))),
            "each line must name the site of the limits that check_sensors was given"
        );
        held
    }

    #[test]
    fn the_tasks_do_not_copy_the_site() {
        // The first runtime on a thread sets up a few things for good.
        bytes_held_while_checking(1, false);
        let for_4 = bytes_held_while_checking(4, false);
        let for_36 = bytes_held_while_checking(36, false);
        let per_task = (for_36 - for_4) / 32;
        assert!(
            per_task < 8_192,
            "once check_sensors had spawned its tasks, every task held {per_task} bytes of \
             heap, as much as the 16384-byte site name: each task was given its own copy of \
             the site (a clone of the Limits, or of its site String). Do not clone the Limits \
             or its site for every task: give each task a clone of the one Arc<Limits> and \
             read the site through it"
        );
    }

    /// The same for a short site name (3 bytes, like most, or 300): the heap each task holds
    /// must not grow with the name, however short it is. Compares the bytes held per task
    /// (8 and 72 sensors) for the two names: a copy of the site per task (a clone of the
    /// Limits, or of its site String) makes each task hold about 297 bytes more for the
    /// longer one.
    #[test]
    fn the_tasks_do_not_copy_a_short_site() {
        // The first runtime on a thread sets up a few things for good.
        bytes_held_with_a_site_of(3, 1, false);
        let per_task = |site: usize| {
            let for_8 = bytes_held_with_a_site_of(site, 8, false);
            let for_72 = bytes_held_with_a_site_of(site, 72, false);
            (for_72 - for_8) / 64
        };
        let (short, longer) = (per_task(3), per_task(300));
        assert!(
            longer - short < 150,
            "once check_sensors had spawned its tasks, every task held {short} bytes of heap \
             for a 3-byte site name, and {longer} for a 300-byte one: {} bytes more, about the \
             297 bytes the name grew by, so each task was given its own copy of the site (a \
             clone of the Limits, or of its site String), short names too. Do not clone the \
             Limits or its site for any task, whatever the name's length: give each task a \
             clone of the one Arc<Limits> and read the site through it",
            longer - short
        );
    }

    /// The same check on a runtime like the one `#[tokio::main]` builds: several worker
    /// threads and the real clock, check_sensors called from outside them.
    #[test]
    fn the_tasks_do_not_copy_the_site_on_a_multi_thread_runtime() {
        // The first runtime on a thread sets up a few things for good.
        bytes_held_while_checking(1, true);
        let for_4 = bytes_held_while_checking(4, true);
        let for_36 = bytes_held_while_checking(36, true);
        let per_task = (for_36 - for_4) / 32;
        assert!(
            per_task < 8_192,
            "on a multi-thread runtime with the real clock (the kind #[tokio::main] builds), \
             once check_sensors had spawned its tasks, every task held {per_task} bytes of \
             heap, as much as the 16384-byte site name: each task was given its own copy of \
             the site (a clone of the Limits, or of its site String). Do not clone the Limits \
             or its site for every task, on any runtime: give each task a clone of the one \
             Arc<Limits> and read the site through it"
        );
    }

    /// Checks `sensors` sensors on a runtime of its own and counts the heap allocations (and
    /// their bytes) that check_sensors itself made once the 10 ms checks were over (its tasks'
    /// work not counted), and the bytes its tasks allocated.
    fn allocations_after_the_checks(sensors: usize) -> (u64, u64, u64) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        // A long site name: a line only fits it if it was made for it.
        let limits = Limits {
            site: "x".repeat(4096),
            max_temp: 30,
        };
        // Called in the runtime's context (its tasks spawned there, should it spawn them as it
        // is called, before its future is polled).
        let mut checking = {
            let _entered = runtime.enter();
            Box::pin(check_sensors(limits, vec![7; sensors]))
        };
        let (mut made, mut bytes, mut own_bytes) = (0, 0, 0);
        let mut report = Vec::new();
        // All of it, the tasks too (they run on this thread).
        let all = allocation_counter::measure(|| {
            report = runtime.block_on(async {
                let checks_over = tokio::time::Instant::now() + Duration::from_millis(10);
                std::future::poll_fn(|cx| {
                    let mut step = std::task::Poll::Pending;
                    let info = allocation_counter::measure(|| step = checking.as_mut().poll(cx));
                    own_bytes += info.bytes_total;
                    if tokio::time::Instant::now() >= checks_over {
                        made += info.count_total;
                        bytes += info.bytes_total;
                    }
                    step
                })
                .await
            });
        });
        assert_eq!(report.len(), sensors, "there must be one line per reading");
        (made, bytes, all.bytes_total - own_bytes)
    }

    #[test]
    fn the_tasks_write_the_lines() {
        allocations_after_the_checks(1);
        let for_4 = allocations_after_the_checks(4);
        let for_36 = allocations_after_the_checks(36);
        let per_sensor = (for_36.0 as f64 - for_4.0 as f64) / 32.0;
        let bytes_per_sensor = (for_36.1 as f64 - for_4.1 as f64) / 32.0;
        let tasks_bytes_per_sensor = (for_36.2 as f64 - for_4.2 as f64) / 32.0;
        // A line names the 4096-byte site: a message of its own per sensor (an
        // `expect(&format!(..))`) is a small allocation, and printing every line grows the
        // captured output now and then, not once per line. A copy of each line the tasks
        // wrote (`line.to_string()`) is one per line too, but then the tasks wrote lines as
        // long as the site.
        assert!(
            per_sensor < 0.5 || bytes_per_sensor < 2048.0 || tasks_bytes_per_sensor >= 2048.0,
            "once the tasks were done, check_sensors made {per_sensor:.1} heap allocations \
             ({bytes_per_sensor:.0} bytes) per sensor, as many as lines naming the 4096-byte \
             site, while its tasks allocated {tasks_bytes_per_sensor:.0} bytes per sensor: it \
             wrote the lines of the report itself, so the tasks never needed the site. Each task must write its own line, reading the site and max_temp through \
             its clone of one Arc<Limits>"
        );
    }

    /// Checks 3 sensors of a site whose name is `site` bytes long, to the end, on a runtime of
    /// its own on this thread. Returns how many heap blocks, and how many bytes, were still
    /// allocated afterwards.
    fn left_after_checking(site: usize) -> (i64, i64) {
        let info = allocation_counter::measure(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap();
            let limits = Limits {
                site: "x".repeat(site),
                max_temp: 30,
            };
            let report =
                runtime.block_on(async move { check_sensors(limits, vec![25, 31, 30]).await });
            assert_eq!(report.len(), 3, "there must be one line per reading");
        });
        (info.count_current, info.bytes_current)
    }

    #[test]
    fn the_limits_are_freed_once_the_checks_are_done() {
        // The first runtime on a thread sets up a few things for good: not a leak.
        left_after_checking(3);
        // Blocks, not bytes: a line printed grows the test's captured output (one block that
        // is reallocated), and that is not a leak.
        let (blocks, _) = left_after_checking(16_384);
        assert!(
            blocks <= 0,
            "after check_sensors was done (on a runtime that was then shut down), {blocks} heap \
             block(s) made on this thread were not freed here: the Limits (or its site) leaked \
             (`Box::leak`, `String::leak`, `mem::forget`, `Arc::into_raw`, a static keeps it \
             forever), or blocks made here were handed to another thread (a std::thread, a \
             second runtime, spawn_blocking's pool) and freed there, which this count cannot \
             tell from a leak. Share the Limits through an `Arc`, freed when its last clone is \
             dropped, and check the sensors in tasks on this runtime, with no thread of their \
             own"
        );
        let (_, bytes) = left_after_checking(3);
        assert!(
            bytes > -8_192,
            "a check of a site with a 3-byte name freed {} bytes that the check before it (with \
             a 16384-byte site name) had left allocated: that Limits outlived its check_sensors \
             call (a static or a thread_local kept it until the next call). Share it through an \
             `Arc`: it is freed when its last clone is dropped",
            -bytes
        );
    }

    /// Polls `future` 20 times in a row at once, without giving the runtime a turn (so the tasks
    /// it spawns have not run yet), then keeps the runtime busy for `hold` of paused time before
    /// those tasks get to run, then awaits it. Gives whether it was ready at once, and
    /// what it returned (`None` if it panicked: a safety-net time limit that fails loudly is
    /// fine).
    async fn held_up<T>(
        hold: Duration,
        future: impl std::future::Future<Output = T>,
    ) -> (bool, Option<T>) {
        use std::panic::{AssertUnwindSafe, catch_unwind};
        use std::task::Poll;
        let mut future = std::pin::pin!(future);
        let mut early = None;
        std::future::poll_fn(|cx| {
            for _ in 0..20 {
                match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                    Ok(Poll::Pending) => continue,
                    Ok(Poll::Ready(value)) => early = Some(Some(value)),
                    Err(_) => early = Some(None),
                }
                break;
            }
            Poll::Ready(())
        })
        .await;
        if let Some(outcome) = early {
            return (true, outcome);
        }
        tokio::time::advance(hold).await;
        let outcome = std::future::poll_fn(|cx| {
            match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(value)) => Poll::Ready(Some(value)),
                Err(_) => Poll::Ready(None),
            }
        })
        .await;
        (false, outcome)
    }

    /// Twelve sensors, and the runtime busy for an hour (paused time) before their tasks get
    /// to run: every line comes from its sensor's task once it has ended, in sensor order
    /// ("sensor 10" after "sensor 9"). (A safety-net time limit that panics is fine.)
    #[tokio::test(start_paused = true)]
    async fn twelve_sensors_checked_an_hour_late() {
        let limits = Limits {
            site: "lab".to_string(),
            max_temp: 30,
        };
        let readings: Vec<u32> = (0..12).map(|i| 20 + 2 * i).collect();
        let expected: Vec<String> = readings
            .iter()
            .enumerate()
            .map(|(id, &reading)| {
                if reading > 30 {
                    format!("lab: sensor {id} too hot ({reading})")
                } else {
                    format!("lab: sensor {id} ok")
                }
            })
            .collect();
        let start = tokio::time::Instant::now();
        let (at_once, report) =
            held_up(Duration::from_secs(3600), check_sensors(limits, readings)).await;
        let elapsed = start.elapsed();
        assert!(
            !at_once,
            "check_sensors returned (or panicked) at once, before its sensor tasks had run: \
             take each line from awaiting that sensor's task"
        );
        let Some(report) = report else {
            return;
        };
        // A task aborted on the way out (a progress reporter) ends at its next poll: let the
        // runtime take a few turns (the clock stays still) before counting the live ones.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let alive = running_tasks();
        if report == expected && alive == 0 {
            return;
        }
        let mut sorted = report.clone();
        sorted.sort();
        let mut wanted = expected.clone();
        wanted.sort();
        if sorted == wanted && alive == 0 {
            let first = (0..report.len())
                .find(|&i| report[i] != expected[i])
                .unwrap_or(0);
            panic!(
                "check_sensors returned every line for 12 sensors, but not in sensor order: line \
                 {first} is {:?} instead of {:?}{}. Keep the lines in the order of the readings, \
                 e.g. by awaiting the JoinHandles in the order the tasks were spawned",
                report[first],
                expected[first],
                if report == sorted {
                    " (the lines are sorted as text, where \"sensor 10\" comes before \"sensor 2\")"
                } else {
                    ""
                }
            );
        }
        // Lines that no sensor task gives, each where that sensor's line belongs: a line
        // that check_sensors wrote itself for a sensor whose task had not run yet.
        let own_lines: Vec<usize> = (0..report.len())
            .filter(|&i| report[i] != expected[i])
            .collect();
        if alive == 0
            && report.len() == expected.len()
            && !own_lines.is_empty()
            && own_lines.iter().all(|&i| !expected.contains(&report[i]))
        {
            let first = own_lines[0];
            panic!(
                "here the runtime was busy for an hour before the 12 sensor tasks ran, so they \
                 ended at 1 h 10 ms; check_sensors returned after {elapsed:?}, and its line(s) \
                 for sensor(s) {own_lines:?} came from no sensor task: line {first} is {:?}, \
                 where sensor {first}'s task gives {:?}. A line written in place of a sensor \
                 task that was only held up gives up on it before it is done: a safety-net time \
                 limit may panic, but must not give up with a line of its own. Await each \
                 sensor task's JoinHandle for its line, however late the tasks run",
                report[first], expected[first]
            );
        }
        let seen = if report == expected {
            "the right lines".to_string()
        } else {
            let missing = expected.iter().filter(|l| !report.contains(l)).count();
            format!(
                "{} line(s), {missing} of the 12 expected ones missing (first lines: {:?})",
                report.len(),
                &report[..report.len().min(3)]
            )
        };
        panic!(
            "here the runtime was busy for an hour before the 12 sensor tasks ran, so they \
             ended at 1 h 10 ms; check_sensors returned after {elapsed:?}{}, and {seen}. Await \
             each sensor task's JoinHandle for its line, however late the tasks run",
            if alive > 0 {
                format!(
                    " with {alive} task(s) it spawned still alive afterwards (not aborted ones: \
                     those had ended)"
                )
            } else {
                String::new()
            }
        );
    }

    /// A real program's runtime (`#[tokio::main]`) has worker threads of its own, and the
    /// tasks run there, never on the thread that called `block_on`: here check_sensors is
    /// called from the test's own thread, so no sensor task shares its thread. (The real
    /// clock: a check takes 10 ms.)
    #[test]
    fn check_sensors_works_on_a_multi_thread_runtime() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("the test's runtime could not be built");
        let limits = Limits {
            site: "lab".to_string(),
            max_temp: 30,
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                tokio::time::timeout(
                    Duration::from_secs(5),
                    check_sensors(limits, vec![25, 31, 30]),
                )
                .await
            })
        }));
        let expected = [
            "lab: sensor 0 ok",
            "lab: sensor 1 too hot (31)",
            "lab: sensor 2 ok",
        ];
        let mut reordered = false;
        let seen = match outcome {
            Ok(Ok(report)) if report == expected => return,
            Ok(Ok(report)) => {
                let mut sorted = report.clone();
                sorted.sort();
                if let Some(by_value) =
                    kept_by_value(&report, &[25, 31, 30], &expected.map(String::from))
                {
                    panic!(
                        "on a multi-thread runtime (the kind #[tokio::main] builds), called \
                         from outside its worker threads, check_sensors(lab, max 30, vec![25, \
                         31, 30]) returned {report:?}, not {expected:?}{by_value}. Each line \
                         must come back in its sensor's place (await the handles in the order \
                         of the readings)"
                    );
                }
                reordered = sorted == expected;
                format!("returned {report:?}, not {expected:?}")
            }
            Ok(Err(_)) => String::from("had not returned after 5 s (a check takes 10 ms)"),
            Err(panic) => format!(
                "panicked ({})",
                panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default()
            ),
        };
        assert!(
            !reordered,
            "on a multi-thread runtime (the kind #[tokio::main] builds), called from outside its \
             worker threads, check_sensors(lab, max 30, vec![25, 31, 30]) {seen}: the right \
             lines, in another order. There the checks may end in any order: each line must \
             come back in its sensor's place (await the handles in the order of the readings)"
        );
        let alone = on_one_thread(|| {
            let limits = Limits {
                site: "lab".to_string(),
                max_temp: 30,
            };
            check_sensors(limits, vec![25, 31, 30])
        });
        if alone.as_deref() != Some(&expected.map(String::from)[..]) {
            panic!(
                "on a multi-thread runtime (the kind #[tokio::main] builds), called from \
                 outside its worker threads, check_sensors(lab, max 30, vec![25, 31, 30]) \
                 {seen}; on a runtime of one thread it does not give those lines either"
            );
        }
        panic!(
            "on a multi-thread runtime (the kind #[tokio::main] builds), called from outside its \
             worker threads, check_sensors(lab, max 30, vec![25, 31, 30]) {seen}, though on a \
             runtime of one thread it gives them: a value left on one thread (a thread_local, \
             anything kept per thread) is not there for a task that runs on another thread. \
             Give each task its own clone of the Arc (moved in with `async move`) and hand each \
             line back through its JoinHandle's output"
        );
    }

    /// Two checks at once on one thread (`tokio::join!`), with other sites and limits: each
    /// check's tasks must use the limits that check was given.
    #[tokio::test(start_paused = true)]
    async fn two_checks_at_once_use_their_own_limits() {
        let lab = Limits {
            site: "lab".to_string(),
            max_temp: 30,
        };
        let roof = Limits {
            site: "roof".to_string(),
            max_temp: 10,
        };
        let (lab_report, roof_report) = tokio::join!(
            check_sensors(lab, vec![25, 31]),
            check_sensors(roof, vec![12, 3]),
        );
        let lab_expected = ["lab: sensor 0 ok", "lab: sensor 1 too hot (31)"];
        let roof_expected = ["roof: sensor 0 too hot (12)", "roof: sensor 1 ok"];
        if lab_report == lab_expected && roof_report == roof_expected {
            return;
        }
        let crossed = lab_report.iter().any(|line| line.starts_with("roof:"))
            || roof_report.iter().any(|line| line.starts_with("lab:"));
        let reordered = |report: &[String], expected: [&str; 2]| {
            let mut sorted = report.to_vec();
            sorted.sort();
            report != expected && sorted == expected
        };
        let lab_reordered = reordered(&lab_report, lab_expected);
        let roof_reordered = reordered(&roof_report, roof_expected);
        if (lab_reordered || lab_report == lab_expected)
            && (roof_reordered || roof_report == roof_expected)
        {
            panic!(
                "two checks ran at once (tokio::join!), the lab check (max 30, readings [25, \
                 31]) and the roof check (max 10, readings [12, 3]); the lab check returned \
                 {lab_report:?} (wanted {lab_expected:?}) and the roof check {roof_report:?} \
                 (wanted {roof_expected:?}): the right lines, but {} in another order. Keep \
                 the lines in the order of the readings, e.g. by awaiting the JoinHandles in \
                 the order the tasks were spawned",
                if lab_reordered && roof_reordered {
                    "both"
                } else if lab_reordered {
                    "the lab check's"
                } else {
                    "the roof check's"
                }
            );
        }
        panic!(
            "two checks ran at once (tokio::join!), the lab check (max 30, readings [25, 31]) \
             and the roof check (max 10, readings [12, 3]); the lab check returned \
             {lab_report:?} (wanted {lab_expected:?}) and the roof check {roof_report:?} \
             (wanted {roof_expected:?}){}. Each call's tasks must use that call's limits: \
             wrap them in an Arc in the call, and move a clone into each of its tasks",
            if crossed {
                ": lines of one check name the other check's site"
            } else {
                ""
            }
        );
    }

    /// A call of `check_sensors(..)`, to be made on another thread when its future may be
    /// sent there.
    struct OnAWorker<C>(std::cell::Cell<Option<C>>);

    /// Runs it as a task of a runtime with one worker thread (real clock, checks of 10 ms):
    /// Tokio then runs the newest task first, so the sensor tasks start in another order than
    /// the readings.
    #[allow(dead_code)] // Only one of the two is used, depending on check_sensors.
    trait RunOnAWorker {
        fn run_on_a_worker(&self) -> Option<Vec<String>>;
    }

    impl<C, F> RunOnAWorker for OnAWorker<C>
    where
        C: FnOnce() -> F + Send + 'static,
        F: std::future::Future<Output = Vec<String>> + Send + 'static,
    {
        fn run_on_a_worker(&self) -> Option<Vec<String>> {
            let call = self.0.take()?;
            // Called in the task, so that a check_sensors that spawns as it is called
            // spawns there too.
            let checking = async move { call().await };
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("the test's runtime could not be built");
            let outcome = runtime.block_on(async {
                tokio::spawn(tokio::time::timeout(Duration::from_secs(5), checking)).await
            });
            match outcome {
                Ok(Ok(report)) => Some(report),
                Ok(Err(_)) => {
                    panic!("check_sensors had not returned after 5 s (a check takes 10 ms)")
                }
                Err(error) => std::panic::resume_unwind(error.into_panic()),
            }
        }
    }

    /// A check_sensors whose future may not be sent to another thread (its tasks kept on a
    /// `LocalSet` of its own) is not run here.
    #[allow(dead_code)] // Only one of the two is used, depending on check_sensors.
    trait StaysOnItsThread {
        fn run_on_a_worker(&self) -> Option<Vec<String>>;
    }

    impl<C> StaysOnItsThread for &OnAWorker<C> {
        fn run_on_a_worker(&self) -> Option<Vec<String>> {
            None
        }
    }

    /// One worker thread, and check_sensors called from a task on it: Tokio then runs the
    /// newest task first, so the sensor tasks start in another order than the readings. Each
    /// line must still name its sensor by the place of its reading (sensor 0 first).
    #[test]
    fn sensor_tasks_that_start_out_of_order_keep_their_numbers() {
        let limits = Limits {
            site: "lab".to_string(),
            max_temp: 30,
        };
        let checking = OnAWorker(std::cell::Cell::new(Some(move || {
            check_sensors(limits, vec![25, 31, 30])
        })));
        // The `&` picks StaysOnItsThread when check_sensors' future is not Send (clippy sees
        // only the case at hand).
        #[allow(clippy::needless_borrow)]
        let Some(report) = (&checking).run_on_a_worker() else {
            return;
        };
        let expected = [
            "lab: sensor 0 ok",
            "lab: sensor 1 too hot (31)",
            "lab: sensor 2 ok",
        ];
        if report == expected {
            return;
        }
        let mut sorted = report.clone();
        sorted.sort();
        if let Some(by_value) = kept_by_value(&report, &[25, 31, 30], &expected.map(String::from)) {
            panic!(
                "check_sensors(lab, max 30, vec![25, 31, 30]), called from a task on a runtime \
                 with one worker, returned {report:?}{by_value}. Each line names its sensor by \
                 the place of its reading in the list and comes back in that place: number the \
                 sensors as the tasks are spawned (enumerate) and await the handles in that order"
            );
        }
        let seen = if sorted == expected {
            String::from("the right lines, in another order")
        } else {
            match (0..expected.len())
                .find(|&i| report.get(i).map(String::as_str) != Some(expected[i]))
            {
                Some(i) => format!(
                    "line {i} is {:?} instead of {:?}",
                    report.get(i).map_or("missing", String::as_str),
                    expected[i]
                ),
                None => format!("{} lines instead of 3", report.len()),
            }
        };
        panic!(
            "check_sensors(lab, max 30, vec![25, 31, 30]), called from a task on a runtime with \
             one worker (where Tokio runs the newest task first, so the sensor tasks start in \
             another order than the readings), returned {report:?}: {seen}. Each line names \
             its sensor by the place of its reading in the list and comes back in that place, \
             whatever order the tasks start in: number the sensors as the tasks are spawned \
             (enumerate) and await the handles in that order"
        );
    }

    /// What `call()` gives on a runtime of one thread (the paused clock), or None if it
    /// panicked or had not returned after an hour of that clock.
    fn on_one_thread<F: std::future::Future>(call: impl FnOnce() -> F) -> Option<F::Output> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("the test's runtime could not be built");
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(3600), call()).await
            })
        }))
        .ok()
        .and_then(Result::ok)
    }
}
