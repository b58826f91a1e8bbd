// trait_future_send
//
// A health checker runs `Probe`s against services. `check_all` runs every probe in a task of
// its own, so that a slow probe does not hold up the others and a probe that panics only ruins
// its own result. It does not compile: "future cannot be sent between threads safely".
//
// `tokio::spawn` may move a task to another thread, so the future it runs must be `Send`. The
// trait says nothing about the future of `check`, so inside the generic `check_all` the
// compiler cannot know it is `Send`. Let the trait promise it, for every probe. Keep `check_all`
// generic and spawning one task per probe, and keep writing probes (the tests have one too)
// with an `async fn check`.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::sleep;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Up(String),
    Down(String),
    /// The probe panicked.
    Crashed,
}

pub trait Probe {
    /// Every impl must return a `Send` future; an impl can still be an `async fn`, as long as
    /// it holds nothing across an `.await` that cannot move between threads.
    fn check(&self) -> impl Future<Output = Health> + Send;
}

/// Pretends to call a service's health endpoint.
pub struct HttpProbe {
    pub service: String,
    pub latency: Duration,
    pub up: bool,
}

impl Probe for HttpProbe {
    async fn check(&self) -> Health {
        sleep(self.latency).await;
        if self.up {
            Health::Up(self.service.clone())
        } else {
            Health::Down(self.service.clone())
        }
    }
}

/// Checks every probe in its own task, and gives the results in the order of `probes`.
pub async fn check_all<P>(probes: Vec<Arc<P>>) -> Vec<Health>
where
    P: Probe + Send + Sync + 'static,
{
    let handles: Vec<_> = probes
        .into_iter()
        .map(|probe| tokio::spawn(async move { probe.check().await }))
        .collect();
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.unwrap_or(Health::Crashed));
    }
    results
}

#[tokio::main]
async fn main() {
    let probes = ["db", "cache"].map(|service| {
        Arc::new(HttpProbe {
            service: service.to_string(),
            latency: Duration::from_millis(20),
            up: true,
        })
    });
    println!("{:?}", check_all(probes.to_vec()).await);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use std::collections::HashSet;
    use std::panic::AssertUnwindSafe;
    use std::sync::Arc;
    use std::sync::Mutex;
    use std::time::Duration;
    use tokio::task;
    use tokio::time::Instant;
    use tokio::time::sleep;

    fn http(service: &str, ms: u64, up: bool) -> Arc<HttpProbe> {
        Arc::new(HttpProbe {
            service: service.to_string(),
            latency: Duration::from_millis(ms),
            up,
        })
    }

    /// A probe written for these tests: it panics for the service "flaky".
    struct Strict(&'static str);

    impl Probe for Strict {
        async fn check(&self) -> Health {
            sleep(Duration::from_millis(10)).await;
            if self.0 == "flaky" {
                panic!("the flaky service sent garbage");
            }
            Health::Up(self.0.to_string())
        }
    }

    /// Each probe's name, and the task it ran in (`None`: in no task).
    type TasksSeen = Arc<Mutex<Vec<(&'static str, Option<task::Id>)>>>;

    /// A probe written for these tests: it notes the task it runs in.
    struct Witness {
        name: &'static str,
        tasks: TasksSeen,
    }

    impl Probe for Witness {
        async fn check(&self) -> Health {
            let task = task::try_id();
            self.tasks.lock().unwrap().push((self.name, task));
            sleep(Duration::from_millis(10)).await;
            Health::Up(self.name.to_string())
        }
    }

    /// Compiles only if the trait promises, for every probe, that the future of `check` is
    /// `Send`: the promise `tokio::spawn` needs.
    fn the_future_of_check_is_send<P: Probe + Sync>(
        probe: &P,
    ) -> impl Future<Output = Health> + Send + '_ {
        probe.check()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_probe_runs_in_a_task_of_its_own() {
        assert_eq!(
            the_future_of_check_is_send(&Strict("api")).await,
            Health::Up("api".into())
        );
        let tasks = Arc::new(Mutex::new(Vec::new()));
        let probes = ["db", "cache", "queue"].map(|name| {
            Arc::new(Witness {
                name,
                tasks: Arc::clone(&tasks),
            })
        });
        let results = check_all(probes.to_vec()).await;
        assert_eq!(results.len(), 3, "one result per probe");
        let test_task = task::try_id();
        let tasks = tasks.lock().unwrap();
        for (name, task) in tasks.iter() {
            assert!(
                task.is_some() && *task != test_task,
                "the probe {name:?} ran inside check_all's own future (or on a thread of its \
                 own, outside any task), not in a task of its own: polling the probes together \
                 (join_all, catch_unwind) needs no `Send`, but it is not what check_all \
                 promises. Spawn one task per probe with `tokio::spawn`"
            );
        }
        let distinct: HashSet<_> = tasks.iter().map(|(_, task)| *task).collect();
        assert_eq!(
            distinct.len(),
            3,
            "the 3 probes ran in {} task(s): spawn one task per probe with `tokio::spawn`",
            distinct.len()
        );
    }

    /// Runs check_all on the test's paused clock, where it returns at once (in real time),
    /// and stops the test with a message if it has not returned after 3 s of real time.
    /// Also gives the number of times check_all was polled.
    async fn check_all_on_the_paused_clock(probes: Vec<Arc<HttpProbe>>) -> (Vec<Health>, usize) {
        let mut checking = Box::pin(check_all(probes));
        let mut polls = 0;
        let counted = std::future::poll_fn(|cx| {
            polls += 1;
            checking.as_mut().poll(cx)
        });
        let (stuck_tx, stuck) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(3));
            let _ = stuck_tx.send(());
        });
        tokio::select! {
            results = counted => (results, polls),
            _ = stuck => panic!(
                "check_all had not returned after 3 s of real time, and the test's paused clock \
                 stood still: the probes' sleeps waited where Tokio's paused clock cannot move \
                 on (a `spawn_blocking` task, or a thread with `block_on`, holds it still while \
                 it runs). Run each probe as a task of the runtime, with `tokio::spawn`"
            ),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_probe_reports_in_order() {
        let (results, _) =
            check_all_on_the_paused_clock(vec![http("db", 30, true), http("mail", 10, false)])
                .await;
        assert_eq!(
            results,
            [Health::Up("db".into()), Health::Down("mail".into())],
            "one result per probe, in the order of the probes"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_probes_give_no_results() {
        let checking = AssertUnwindSafe(tokio::time::timeout(
            Duration::from_secs(3600),
            check_all(Vec::<Arc<HttpProbe>>::new()),
        ))
        .catch_unwind()
        .await;
        match checking {
            Err(_) => panic!(
                "check_all(vec![]) (no probes at all) panicked (see the panic above), where it \
                 should return an empty Vec: a list of probes may be empty, so let the code \
                 that waits for the tasks handle having none"
            ),
            Ok(Err(_)) => panic!(
                "check_all(vec![]) (no probes at all) had not returned an hour later (on the \
                 test's paused clock), where it should return an empty Vec at once: with no \
                 probe, nothing is left to wait for"
            ),
            Ok(Ok(results)) => assert!(
                results.is_empty(),
                "check_all(vec![]) (no probes at all) gave {results:?}, where an empty Vec was \
                 due: one result per probe"
            ),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn probes_run_at_the_same_time() {
        // Prime numbers of ms: no timer of check_all's own with a period over 1 ms is due at
        // the moment the slowest probe is done, nor one that begins after a wait of its own
        // (the quick probes are all done in 13 ms).
        probes_of_latencies_run_at_the_same_time(&[307, 211, 101]).await;
        probes_of_latencies_run_at_the_same_time(&[13, 7, 11]).await;
        // 137 probes, the slowest last: however many there are, they all start at once (probes
        // checked a few at a time start the last one only when earlier ones are done).
        let mut many = vec![13; 136];
        many.push(307);
        probes_of_latencies_run_at_the_same_time(&many).await;
    }

    async fn probes_of_latencies_run_at_the_same_time(latencies: &[u64]) {
        let slowest = *latencies.iter().max().unwrap();
        let count = latencies.len();
        let start = Instant::now();
        let (_, polls) = check_all_on_the_paused_clock(
            latencies
                .iter()
                .map(|&ms| http(&format!("{ms} ms"), ms, true))
                .collect(),
        )
        .await;
        let took = start.elapsed();
        let why = if took < Duration::from_millis(slowest) {
            "the probes did not wait on this runtime's clock: spawn them as tasks of this \
             runtime with `tokio::spawn`"
        } else if took == Duration::from_millis(latencies.iter().sum()) {
            "they ran one after the other: run them at the same time"
        } else if count > 3 {
            "they did not all run at the same time (a few at a time?): spawn a task for every \
             probe at once, however many there are"
        } else {
            "await each task's JoinHandle: it wakes check_all up as soon as the task is done, \
             where looking at the tasks on a timer (`is_finished`, `sleep`), or after a wait of \
             its own, comes late"
        };
        assert_eq!(
            took,
            Duration::from_millis(slowest),
            "{count} probes took {took:?}, but the slowest needs {slowest} ms: {why}"
        );
        // Woken when it starts and as each task ends; a progress message now and then may wake
        // it once more per 10 ms, and a `yield_now` after each of these once more again (74 polls
        // for 3 probes in 307 ms). (A timer that checks the tasks must tick every 1 ms to see the
        // slowest end at 307 ms: it is polled about 307 times.)
        let allowed = 8 + 2 * (count + slowest as usize / 10);
        assert!(
            polls <= allowed,
            "check_all was polled {polls} times in its {slowest} ms (at most {allowed} expected: \
             once per task's end and once per 10 ms, each perhaps twice with a `yield_now`): it \
             looks at the tasks on a timer (a sleep or an interval, then `is_finished`), or \
             prints progress more often than every 10 ms. Await each task's JoinHandle (or a \
             JoinSet): it wakes check_all up the moment that task is done"
        );
    }

    thread_local! {
        /// How many panics began on this thread (counted once `count_panics` has run).
        static PANICS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Counts every panic on the thread where it happens, then prints it as before.
    fn count_panics() {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                PANICS.set(PANICS.get() + 1);
                previous(info);
            }));
        });
    }

    /// A day, in ms: a probe this slow is slow, not crashed.
    const A_DAY_MS: u64 = 24 * 60 * 60 * 1000;

    #[tokio::test(start_paused = true)]
    async fn a_slow_probe_is_waited_for() {
        // The runtime of this test has one thread: the probes' tasks run on it, and so a panic
        // in one of them is counted here.
        count_panics();
        let panics_before = PANICS.get();
        let start = Instant::now();
        let mut checking = Box::pin(
            AssertUnwindSafe(tokio::time::timeout(
                Duration::from_millis(2 * A_DAY_MS),
                check_all(vec![http("slow", A_DAY_MS, true), http("fast", 20, true)]),
            ))
            .catch_unwind(),
        );
        // A check_all that prints progress on a timer is woken at every tick, and a day of
        // ticks costs real time: the test stops watching after 10000 polls (400 s of ticks
        // every 40 ms), when check_all has not given up on the slow probe so far.
        let mut polls = 0;
        let checking = std::future::poll_fn(|cx| {
            polls += 1;
            if polls > 10_000 {
                return std::task::Poll::Ready(None);
            }
            checking.as_mut().poll(cx).map(Some)
        });
        let (stuck_tx, stuck) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(3));
            let _ = stuck_tx.send(());
        });
        let checked = tokio::select! {
            checked = checking => checked,
            _ = stuck => panic!(
                "check_all had not returned after 3 s of real time, and the test's paused clock \
                 stood still: the probes' sleeps waited where Tokio's paused clock cannot move \
                 on (a `spawn_blocking` task, or a thread with `block_on`, holds it still while \
                 it runs). Run each probe as a task of the runtime, with `tokio::spawn`"
            ),
        };
        let took = start.elapsed();
        let panicked = PANICS.get() > panics_before;
        let probes = "for the probes \"slow\" (Up after a day) and \"fast\" (Up after 20 ms)";
        let expected = [Health::Up("slow".into()), Health::Up("fast".into())];
        let Some(checked) = checked else {
            return;
        };
        let results = match checked {
            // check_all panicked (a safety net of its own, say): that is loud, not a made-up
            // result.
            Err(_) => return,
            Ok(Err(_)) => panic!(
                "{probes}, check_all had not returned two days later (on the test's paused \
                 clock), where it is due when the slower probe is done, after a day"
            ),
            Ok(Ok(results)) => results,
        };
        if results == expected {
            return;
        }
        let slow = results.first();
        let fast_right = results.len() == 2 && results[1] == expected[1];
        if slow == Some(&Health::Crashed) && fast_right && panicked {
            // A safety net panicked in the probe's task, and check_all reported that panic.
            return;
        }
        if let (Some(slow), true, true) = (slow, fast_right, took < Duration::from_millis(A_DAY_MS))
        {
            let what = match slow {
                Health::Crashed => {
                    "though no panic was seen (`Crashed` says that the probe panicked)"
                }
                _ => "a result the probe had not given",
            };
            panic!(
                "{probes}, check_all gave {results:?} after {took:?} (on the test's paused \
                 clock), where {expected:?} was due after a day: it gave {slow:?} for \"slow\" \
                 before that probe was done, {what}. A probe may be slow, and only its own \
                 result says how the service is: wait for its task to end. (A safety net that \
                 stops waiting after a while should panic, not make up a result)"
            );
        }
        panic!(
            "{probes}, check_all gave {results:?} after {took:?} (on the test's paused clock), \
             where {expected:?} was due after a day: one result per probe, each what its probe \
             gave, in the order of the probes"
        );
    }

    /// Whether `results` holds the same results as `expected`, each as often, in another
    /// order.
    fn in_another_order(results: &[Health], expected: &[Health]) -> bool {
        let count = |list: &[Health], health: &Health| list.iter().filter(|h| *h == health).count();
        results != expected
            && results.len() == expected.len()
            && (expected.iter()).all(|health| count(results, health) == count(expected, health))
    }

    /// A probe written for these tests: it notes the task it runs in (once per call of
    /// `check`), then panics for the service "flaky", on its first check only: checked again,
    /// it would be Up.
    struct Noted {
        name: &'static str,
        tasks: TasksSeen,
    }

    impl Probe for Noted {
        async fn check(&self) -> Health {
            let task = task::try_id();
            let first = {
                let mut seen = self.tasks.lock().unwrap();
                let first = !seen.iter().any(|(name, _)| *name == self.name);
                seen.push((self.name, task));
                first
            };
            sleep(Duration::from_millis(10)).await;
            if self.name == "flaky" && first {
                panic!("the flaky service sent garbage");
            }
            Health::Up(self.name.to_string())
        }
    }

    /// 40 services' names, for long lists of probes: "svc-1" to "svc-40".
    fn forty_names() -> Vec<&'static str> {
        (1..=40)
            .map(|i| &*Box::leak(format!("svc-{i}").into_boxed_str()))
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_probe_only_spoils_its_own_result() {
        only_the_flaky_probe_crashes(&["api", "flaky", "search"]).await;
        // A lone probe is checked in a task too: its panic must not end check_all.
        only_the_flaky_probe_crashes(&["flaky"]).await;
        // However long the list, each probe's panic stays in its own task.
        let mut many = forty_names();
        many.insert(17, "flaky");
        only_the_flaky_probe_crashes(&many).await;
    }

    async fn only_the_flaky_probe_crashes(names: &[&'static str]) {
        let count = names.len();
        let probes_are = if count <= 3 {
            let quoted: Vec<String> = (names.iter())
                .map(|name| match *name {
                    "flaky" => "\"flaky\" (whose first check panics)".to_string(),
                    name => format!("{name:?}"),
                })
                .collect();
            format!("the probe(s) {}", quoted.join(", "))
        } else {
            let at = names.iter().position(|name| *name == "flaky").unwrap() + 1;
            format!(
                "{count} probes, \"svc-1\" to \"svc-{}\" and, at place {at}, \"flaky\" \
                 (whose first check panics)",
                count - 1
            )
        };
        let tasks = Arc::new(Mutex::new(Vec::new()));
        let probes: Vec<_> = (names.iter())
            .map(|&name| {
                Arc::new(Noted {
                    name,
                    tasks: Arc::clone(&tasks),
                })
            })
            .collect();
        let results = AssertUnwindSafe(check_all(probes)).catch_unwind().await;
        let Ok(results) = results else {
            let test_task = task::try_id();
            let seen = tasks.lock().unwrap();
            let own: HashSet<_> = seen
                .iter()
                .filter(|(_, task)| task.is_some() && *task != test_task)
                .map(|(_, task)| *task)
                .collect();
            if seen.len() == count && own.len() == count {
                panic!(
                    "for {probes_are}, check_all panicked (see the panic above), though each \
                     probe ran in a task of its own: the \"flaky\" probe's panic stopped its \
                     task, and then came back out of check_all. A task's panic reaches the code \
                     that awaits its JoinHandle as an `Err(JoinError)`; an `unwrap`, an \
                     `expect` or a `resume_unwind` on it raises the panic again. Turn that \
                     error into `Health::Crashed` instead"
                );
            }
            panic!(
                "for {probes_are}, check_all panicked (see the panic above), but a probe that \
                 panics should only spoil its own result: {} of the {count} probe(s) began, in \
                 {} task(s) apart from check_all's own future. Run each probe in a task of its \
                 own with `tokio::spawn`, however many probes there are, even just one (a \
                 task's panic is caught by its JoinHandle)",
                seen.len(),
                own.len()
            );
        };
        let expected: Vec<Health> = (names.iter())
            .map(|&name| match name {
                "flaky" => Health::Crashed,
                name => Health::Up(name.to_string()),
            })
            .collect();
        let checks: Vec<(&str, usize)> = {
            let seen = tasks.lock().unwrap();
            (names.iter())
                .map(|&name| (name, seen.iter().filter(|(n, _)| *n == name).count()))
                .collect()
        };
        let repeated: Vec<String> = (checks.iter())
            .filter(|(_, count)| *count > 1)
            .map(|(name, count)| format!("{name:?} {count} times"))
            .collect();
        let flaky_at = names.iter().position(|name| *name == "flaky").unwrap();
        if !repeated.is_empty() {
            let flaky = match results.get(flaky_at) {
                Some(Health::Crashed) | None => String::new(),
                Some(other) => format!(
                    " The \"flaky\" probe panicked on its first check, and check_all gave \
                     {other:?} for it, what a later check gave."
                ),
            };
            panic!(
                "for {probes_are}, check_all gave {results:?}, and it called `check` on the \
                 probe(s) {}.{flaky} Check each probe once: a check may do something each time \
                 it is called, and a probe that panics is reported as `Health::Crashed`, not \
                 checked again",
                repeated.join(", ")
            );
        }
        if results != expected {
            let healthy_crashed: Vec<&str> = (names.iter().enumerate())
                .filter(|(at, name)| {
                    **name != "flaky" && results.get(*at) == Some(&Health::Crashed)
                })
                .map(|(_, name)| *name)
                .collect();
            let seen = if in_another_order(&results, &expected) {
                "each probe gave the right result, but the results must be in the order of \
                 `probes` (not in the order the tasks finished)"
                    .to_string()
            } else if results.len() != count {
                format!(
                    "{} result(s) for {count} probe(s): give one result per probe, in the order \
                     of the probes",
                    results.len()
                )
            } else if results[flaky_at] == Health::Crashed && !healthy_crashed.is_empty() {
                format!(
                    "{} probe(s) that did not panic ({}{}) were reported as `Crashed` too: one \
                     probe's panic must spoil only its own result, however many probes there \
                     are (probes polled together in one task, with `join_all`, all fall with \
                     it). An `Err(JoinError)` from one task says nothing about the others: go \
                     on awaiting them, and give each probe what its own task gave",
                    healthy_crashed.len(),
                    (healthy_crashed.iter().take(3))
                        .map(|name| format!("{name:?}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if healthy_crashed.len() > 3 {
                        ", ..."
                    } else {
                        ""
                    }
                )
            } else if results[flaky_at] != Health::Crashed {
                format!(
                    "the \"flaky\" probe, which panicked, gave {:?}: a probe that panics gives \
                     `Health::Crashed` (its task's JoinHandle gives an `Err(JoinError)`)",
                    results[flaky_at]
                )
            } else {
                "each probe must give its own result, in the order of the probes, and the one \
                 that panicked `Crashed`"
                    .to_string()
            };
            panic!(
                "for {probes_are}, check_all gave {results:?}, where {expected:?} was due: {seen}"
            );
        }
    }

    /// A probe written for these tests. The one with `waits` blocks its thread (as a probe
    /// that calls a blocking library does) until the one with `signals` has begun, or for 5 s.
    struct Rendezvous {
        name: &'static str,
        signals: Option<Mutex<std::sync::mpsc::Sender<()>>>,
        waits: Option<Mutex<std::sync::mpsc::Receiver<()>>>,
    }

    impl Probe for Rendezvous {
        async fn check(&self) -> Health {
            if let Some(signals) = &self.signals {
                let _ = signals.lock().unwrap().send(());
            }
            if let Some(waits) = &self.waits {
                let wait = || waits.lock().unwrap().recv_timeout(Duration::from_secs(5));
                // Tokio may keep a task queued behind a runtime thread that blocks, and leave
                // it there: on a runtime thread, this probe blocks "in place", which first
                // hands that thread's queued tasks to another. Elsewhere (check_all's own
                // future, a LocalSet) it blocks the thread, and whatever that thread runs.
                let on_runtime_thread =
                    std::thread::current().name() == Some("tokio-runtime-worker");
                let begun = if on_runtime_thread {
                    tokio::task::block_in_place(wait)
                } else {
                    wait()
                };
                if begun.is_err() {
                    return Health::Down(self.name.to_string());
                }
            }
            Health::Up(self.name.to_string())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_probe_that_blocks_its_thread_does_not_hold_up_the_others() {
        the_blocking_probe_is_not_held_up(&["blocking", "other"]).await;
        // However long the list: "blocking" early among 40 others, "other" last.
        let mut many = forty_names();
        many.insert(4, "blocking");
        many.push("other");
        the_blocking_probe_is_not_held_up(&many).await;
    }

    async fn the_blocking_probe_is_not_held_up(names: &[&'static str]) {
        let count = names.len();
        let probes_are = if count == 2 {
            "the probes \"blocking\" and \"other\"".to_string()
        } else {
            format!(
                "{count} probes (\"blocking\" at place {}, \"other\" at place {count}, and \
                 \"svc-1\" to \"svc-{}\")",
                names.iter().position(|name| *name == "blocking").unwrap() + 1,
                count - 2
            )
        };
        let (begun, has_begun) = std::sync::mpsc::channel();
        let mut begun = Some(begun);
        let mut has_begun = Some(has_begun);
        let probes: Vec<_> = (names.iter())
            .map(|&name| {
                Arc::new(Rendezvous {
                    name,
                    signals: (name == "other").then(|| Mutex::new(begun.take().unwrap())),
                    waits: (name == "blocking").then(|| Mutex::new(has_begun.take().unwrap())),
                })
            })
            .collect();
        let results = check_all(probes).await;
        let expected: Vec<Health> = names
            .iter()
            .map(|name| Health::Up(name.to_string()))
            .collect();
        assert!(
            !in_another_order(&results, &expected),
            "for {probes_are}, check_all gave {results:?}: each probe gave the right result, \
             but the results must be in the order of `probes` (not in the order the tasks \
             finished)"
        );
        assert!(
            !results.contains(&Health::Down("blocking".into())),
            "for {probes_are}, the probe \"blocking\" blocked its thread until the probe \
             \"other\" began, and \"other\" had not begun 5 s later (Down means it never \
             began): the probes ran one after the other, or all on one thread, or all in one \
             task (with `join_all`). Tasks from `tokio::spawn` may run on any of the runtime's \
             threads; tasks of a LocalSet (`spawn_local`) all run on the thread that drives it, \
             so one probe that blocks holds up every other. Spawn each probe with \
             `tokio::spawn`, however many there are"
        );
        assert_eq!(
            results, expected,
            "for {probes_are}, check_all gave {results:?}: one result per probe, in the order \
             of `probes`"
        );
    }

    /// A lost wake-up needs another thread at just the wrong moment, so no run can be sure to
    /// show it: this test reads the source. `notify_waiters` wakes only the `Notified` futures
    /// that already exist when it runs, so a `Notified` awaited right where it is made
    /// (`x.notified().await`, or `let n = x.notified(); n.await;`) was made after the count was
    /// last checked, and misses a wake-up that lands in between. Made first, then the count
    /// checked, then awaited (`let n = x.notified(); if done { .. } n.await;`), it misses none.
    #[test]
    fn check_all_cannot_miss_a_wakeup() {
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

        let source = include_str!("trait_future_send.rs");
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
            "check_all awaits a Notified made after it checked how many probes are still \
             running (`.notified().await`, or `let n = ...notified(); n.await;`), beside a \
             `notify_waiters`: notify_waiters wakes only the Notified futures that already \
             exist, so on a multi-thread runtime the last probe can finish between that check \
             and the `notified()`, wake nobody, and leave check_all waiting for ever. Await each \
             probe task's JoinHandle, in the order of `probes` (or make the Notified first, \
             then check, then await it)"
        );
    }
}
