// spawn_needs_move
//
// `start_greeter` spawns a background task that builds a greeting for every guest and returns
// the task's `JoinHandle` right away. The caller awaits the handle later, long after
// `start_greeter` has returned, so the task cannot borrow anything that belongs to
// `start_greeter`: a spawned task must own its data (`'static`).
//
// Make it compile without losing any greeting.

use tokio::task::JoinHandle;

fn start_greeter(guests: Vec<String>) -> JoinHandle<Vec<String>> {
    // TODO: this async block only borrows `guests`, which dies when this function returns.
    tokio::spawn(async {
        let mut greetings = Vec::new();
        for guest in &guests {
            tokio::task::yield_now().await;
            greetings.push(format!("Hello, {guest}!"));
        }
        greetings
    })
}

#[tokio::main]
async fn main() {
    let handle = start_greeter(vec!["Ferris".to_string(), "Corro".to_string()]);
    for greeting in handle.await.expect("the greeter task failed") {
        println!("{greeting}");
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn greets_every_guest_in_order() {
        let guests = vec!["Ada".to_string(), "Linus".to_string(), "Grace".to_string()];
        let handle = start_greeter(guests);
        let greetings = handle.await.expect("the greeter task failed");
        assert_eq!(
            greetings,
            ["Hello, Ada!", "Hello, Linus!", "Hello, Grace!"],
            "the task must greet every guest, in the order given"
        );
    }

    #[tokio::test]
    async fn a_guest_given_twice_is_greeted_twice() {
        let guests = ["Ada", "Linus", "Linus", "Grace"]
            .map(String::from)
            .to_vec();
        let greetings = start_greeter(guests)
            .await
            .expect("the greeter task failed");
        assert_eq!(
            greetings,
            [
                "Hello, Ada!",
                "Hello, Linus!",
                "Hello, Linus!",
                "Hello, Grace!"
            ],
            "the list [\"Ada\", \"Linus\", \"Linus\", \"Grace\"] names Linus twice, and a guest \
             given twice must count twice: greet every entry of the list, in the order given \
             (do not merge repeats), in the task that owns the list (`async move`)"
        );
    }

    #[tokio::test]
    async fn every_entry_is_greeted_as_given() {
        let guests = ["Ada", " Ada", "", "Grace"].map(String::from).to_vec();
        let greetings = start_greeter(guests)
            .await
            .expect("the greeter task failed");
        assert_eq!(
            greetings,
            ["Hello, Ada!", "Hello,  Ada!", "Hello, !", "Hello, Grace!"],
            "the list [\"Ada\", \" Ada\", \"\", \"Grace\"] has four entries, so four \
             greetings, each with the name exactly as given (a space or an empty name too): \
             greet every entry of the list as it is, in the order given, in the task that owns \
             the list (`async move`)"
        );
    }

    #[tokio::test]
    async fn two_greeters_greet_their_own_guests() {
        // Both greeters start before either task runs.
        let first = start_greeter(vec!["Ada".to_string(), "Linus".to_string()]);
        let second = start_greeter(vec!["Grace".to_string()]);
        let second = second.await.expect("the greeter task failed");
        let first = first.await.expect("the greeter task failed");
        let wrong = two_greeters_wrong(&first, &second);
        assert!(
            wrong.is_empty(),
            "two greeters were started one after the other, before either task ran: {}",
            wrong.join("; ")
        );
    }

    /// What is wrong with the greetings `got` of a greeter whose list is `guests`, if
    /// anything: the right ones in another order, some missing, or some not from its list.
    fn greetings_wrong(guests: &[&str], got: &[String]) -> Option<String> {
        let want: Vec<String> = guests.iter().map(|g| format!("Hello, {g}!")).collect();
        if got == want {
            return None;
        }
        let mut extra = got.to_vec();
        let missing: Vec<&String> = want
            .iter()
            .filter(|w| match extra.iter().position(|e| e == *w) {
                Some(at) => {
                    extra.remove(at);
                    false
                }
                None => true,
            })
            .collect();
        Some(if !extra.is_empty() {
            format!(
                "gave {got:?} for its list {guests:?}: {extra:?} not from its list{}. Each \
                 greeter greets its own list: move the list into its task (`async move`)",
                if missing.is_empty() {
                    String::new()
                } else {
                    format!(", and {missing:?} missing")
                }
            )
        } else if !missing.is_empty() {
            format!(
                "gave {got:?} for its list {guests:?}: {missing:?} missing. Greet every guest \
                 on the list"
            )
        } else {
            format!(
                "gave {got:?}: the right greetings, but not in the order of its list \
                 {guests:?}. Greet the guests in the order given, whatever order tasks start or \
                 finish in (a greeting made in a task of its own goes to its guest's place, \
                 known when that task is spawned)"
            )
        })
    }

    /// What is wrong with the greetings of the two greeters of the tests below (Ada and
    /// Linus, then Grace), one line per greeter.
    fn two_greeters_wrong(first: &[String], second: &[String]) -> Vec<String> {
        let mut wrong = Vec::new();
        if let Some(w) = greetings_wrong(&["Ada", "Linus"], first) {
            wrong.push(format!("the first greeter {w}"));
        }
        if let Some(w) = greetings_wrong(&["Grace"], second) {
            wrong.push(format!("the second greeter {w}"));
        }
        wrong
    }

    // One worker, and the greeters started from a task on it: Tokio may then run the newest
    // task first, so a list handed over outside the task (a queue, oldest first) goes to the
    // wrong greeter.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn greeters_started_in_a_task_greet_their_own_guests() {
        let greeters = tokio::spawn(async {
            let first = start_greeter(vec!["Ada".to_string(), "Linus".to_string()]);
            let second = start_greeter(vec!["Grace".to_string()]);
            let second = second.await.expect("the greeter task failed");
            let first = first.await.expect("the greeter task failed");
            (first, second)
        });
        let (first, second) = greeters
            .await
            .expect("the task that starts the greeters failed");
        let wrong = two_greeters_wrong(&first, &second);
        assert!(
            wrong.is_empty(),
            "two greeters were started from a task on a runtime with one worker, where Tokio \
             runs the newest task first: {}",
            wrong.join("; ")
        );
    }

    /// Starts a greeter for `count` guests on a runtime of its own on this thread, then runs
    /// its task. Returns how many heap allocations the task made (those of `start_greeter`
    /// itself are not counted).
    fn allocations_made_by_the_task(count: usize) -> u64 {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time() // a timeout inside the task is fine
            .build()
            .unwrap();
        let guests = (0..count).map(|n| format!("guest {n}")).collect();
        let handle = {
            let _in_the_runtime = runtime.enter();
            start_greeter(guests)
        };
        let mut greetings = Vec::new();
        let made = allocation_counter::measure(|| {
            greetings = runtime.block_on(handle).expect("the greeter task failed");
        })
        .count_total;
        assert_eq!(greetings.len(), count, "one greeting per guest");
        made
    }

    #[test]
    fn the_task_greets_the_guests() {
        // The first runtime on a thread sets up a few things for good.
        allocations_made_by_the_task(1);
        let for_8 = allocations_made_by_the_task(8);
        let for_40 = allocations_made_by_the_task(40);
        let per_guest = (for_40 as f64 - for_8 as f64) / 32.0;
        assert!(
            per_guest >= 0.5,
            "the greeter task made {per_guest:.1} heap allocations per guest, so the greetings \
             (a String each) were not made by the task: before it ran (in start_greeter), or \
             on a thread of their own (std::thread, spawn_blocking). Move the guest list into \
             the task (`async move`) and greet there"
        );
    }

    #[tokio::test]
    async fn no_guests_no_greetings() {
        let greetings = start_greeter(Vec::new())
            .await
            .expect("the greeter task failed");
        assert!(
            greetings.is_empty(),
            "with no guests the task should return no greetings, got {greetings:?}"
        );
    }

    /// Runs `start_greeter` on a runtime of its own on this thread, with `count` guests, and
    /// awaits its task. Returns how many of the heap allocations made meanwhile on this thread
    /// were never freed: the guest list should be freed with the task.
    fn allocations_a_greeter_keeps(count: usize) -> i64 {
        let kept = allocation_counter::measure(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap();
            runtime.block_on(async {
                let guests = (0..count).map(|n| format!("guest {n}")).collect();
                let greetings = start_greeter(guests)
                    .await
                    .expect("the greeter task failed");
                assert_eq!(greetings.len(), count, "one greeting per guest");
            });
        });
        kept.count_current
    }

    #[test]
    fn the_guest_list_is_freed_with_the_task() {
        // The first runtime on a thread sets up a few things for good (and the first line
        // printed sets up the test's captured output): not a leak. After that a greeter that
        // owns its list frees every allocation it made; the fewest kept of three calls is
        // taken, so only what every call keeps counts.
        allocations_a_greeter_keeps(1);
        // A short list, the list of the other tests, and a long one (over four thousand).
        for count in [2, 8, 5000] {
            let kept = (0..3)
                .map(|_| allocations_a_greeter_keeps(count))
                .min()
                .unwrap_or_default();
            assert!(
                kept <= 0,
                "after the task for {count} guests was done, {kept} allocations made on the \
                 test's thread were still not freed there: the list of {count} guests, or a \
                 copy of the names (one joined string is enough), was leaked (`Box::leak`, \
                 `Vec::leak`, `String::leak`, a static...), or handed to another thread to be \
                 freed (spawn_blocking, std::thread). Move the list into the task (`async \
                 move`), whatever its length: the task owns it and frees it when it is done"
            );
        }
    }

    /// Starts a greeter for 8 guests on a runtime of its own on this thread, then drops the
    /// runtime before its task ever runs. Returns how many of the heap allocations made
    /// meanwhile on this thread were never freed.
    fn allocations_kept_when_the_task_never_runs() -> i64 {
        allocation_counter::measure(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap();
            let guests = (0..8).map(|n| format!("guest {n}")).collect();
            let handle = {
                let _in_the_runtime = runtime.enter();
                start_greeter(guests)
            };
            handle.abort();
            drop(runtime);
        })
        .count_current
    }

    #[test]
    fn a_task_dropped_before_it_runs_frees_its_guest_list() {
        // A dropped task drops its future, and with it what the future owns. The first
        // runtime on a thread sets up a few things for good: the fewest kept of three counts.
        allocations_kept_when_the_task_never_runs();
        let kept = (0..3)
            .map(|_| allocations_kept_when_the_task_never_runs())
            .min()
            .unwrap_or_default();
        assert!(
            kept <= 0,
            "a greeter whose task was cancelled before it ever ran still kept {kept} \
             allocations: the guest list (or a copy of it) was kept outside the task (a static \
             map or queue the task would have taken it from) or leaked (`Vec::leak`, \
             `Box::leak`), so nothing frees it when the task goes away. Move the list into the \
             task (`async move`): the task owns it and drops it even when it never runs"
        );
    }

    /// Two thousand guests, on a busy runtime whose paused clock moves 0.1 ms at every turn of
    /// the scheduler (a task of the test's own): greeting them all takes 200 ms of that clock
    /// when the task yields once per guest. The handle must still give every greeting, in
    /// order, however many guests there are and however long greeting them takes.
    #[tokio::test(start_paused = true)]
    async fn two_thousand_guests_on_a_busy_runtime() {
        let guests: Vec<String> = (0..2000).map(|i| format!("guest {i}")).collect();
        let expected: Vec<String> = guests.iter().map(|g| format!("Hello, {g}!")).collect();
        let clock = tokio::spawn(async {
            loop {
                tokio::time::advance(std::time::Duration::from_micros(100)).await;
            }
        });
        let start = tokio::time::Instant::now();
        let greetings = start_greeter(guests).await;
        let took = start.elapsed();
        clock.abort();
        let greetings = greetings.expect("the greeter task failed");
        if greetings == expected {
            return;
        }
        let first_wrong = greetings
            .iter()
            .zip(&expected)
            .position(|(got, want)| got != want);
        let seen = match first_wrong {
            Some(at) => format!(
                "greeting {at} is {:?} instead of {:?}",
                greetings[at], expected[at]
            ),
            None if greetings.len() < expected.len() => {
                format!("the first {} are right, then they stop", greetings.len())
            }
            None => format!(
                "all 2000 are right, then {} more follow",
                greetings.len() - expected.len()
            ),
        };
        panic!(
            "2000 guests went in (\"guest 0\" to \"guest 1999\"), on a busy runtime, and the \
             greeter's handle gave {} greeting(s) after {took:?} of paused time: {seen}. The \
             handle must give every guest's greeting, in the order given, however many guests \
             there are and however long it takes",
            greetings.len()
        );
    }

    /// Awaits `handle` on `runtime` (one thread, paused clock, one task's turn between two
    /// polls of what it runs) driven from a new thread at every step, as a task on a
    /// multi-thread runtime may run each step on another worker thread: one task's turn per
    /// step, 1 ms of paused time every 10 steps, and after 3000 steps an hour of paused time
    /// (or 3 s of real time) on one last thread. Gives what the handle gave, or None if its
    /// task had not ended.
    fn on_a_new_thread_at_every_step<T: Send>(
        runtime: &tokio::runtime::Runtime,
        mut handle: JoinHandle<T>,
    ) -> Option<Result<T, tokio::task::JoinError>> {
        use std::time::Duration;
        for step in 0..=3000 {
            let wait = match step {
                3000 => Duration::from_secs(3600),
                step if step % 10 == 9 => Duration::from_millis(1),
                _ => Duration::ZERO,
            };
            let handle = &mut handle;
            let out = std::thread::scope(|scope| {
                scope
                    .spawn(|| {
                        runtime.block_on(async {
                            // Real time: a task that holds the paused clock still must not
                            // hang the test.
                            let (give_up, too_late) = tokio::sync::oneshot::channel::<()>();
                            let _held = if step == 3000 {
                                std::thread::spawn(move || {
                                    std::thread::sleep(Duration::from_secs(3));
                                    let _ = give_up.send(());
                                });
                                None
                            } else {
                                Some(give_up)
                            };
                            tokio::select! {
                                biased;
                                out = handle => Some(out),
                                _ = async {
                                    if wait.is_zero() {
                                        tokio::task::yield_now().await;
                                    } else {
                                        tokio::time::sleep(wait).await;
                                    }
                                } => None,
                                _ = too_late => None,
                            }
                        })
                    })
                    .join()
                    .expect("a thread of the test failed")
            });
            if out.is_some() {
                return out;
            }
        }
        None
    }

    /// A real program's runtime (`#[tokio::main]`) has several worker threads, and a task may
    /// run each step on another one of them. Here the greeter's runtime runs each task's turn
    /// on a new thread: every greeting must still come back through the handle.
    #[test]
    fn start_greeter_works_when_its_tasks_move_between_threads() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .event_interval(1)
            .build()
            .expect("the test's runtime could not be built");
        let guests = ["Ada", "Linus", "Grace"].map(String::from).to_vec();
        let handle = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let _in_the_runtime = runtime.enter();
                    start_greeter(guests)
                })
                .join()
                .expect("start_greeter panicked")
        });
        let expected = ["Hello, Ada!", "Hello, Linus!", "Hello, Grace!"];
        let seen = match on_a_new_thread_at_every_step(&runtime, handle) {
            Some(Ok(greetings)) if greetings == expected => return,
            Some(Ok(greetings)) => format!("gave {greetings:?}, not {expected:?}"),
            Some(Err(err)) => format!("gave Err({err})"),
            None => {
                String::from("had not ended after an hour of paused time (or 3 s of real time)")
            }
        };
        let alone =
            on_one_thread(|| start_greeter(["Ada", "Linus", "Grace"].map(String::from).to_vec()))
                .and_then(Result::ok);
        if alone.as_deref() != Some(&expected.map(String::from)[..]) {
            panic!(
                "here each turn of the runtime's tasks ran on a new thread (as on the worker \
                 threads of a multi-thread runtime, the kind #[tokio::main] builds), and the \
                 greeter's handle for [\"Ada\", \"Linus\", \"Grace\"] {seen}; on a runtime of \
                 one thread it does not give {expected:?} either"
            );
        }
        panic!(
            "here each turn of the runtime's tasks ran on a new thread (as on the worker threads \
             of a multi-thread runtime, the kind #[tokio::main] builds), and the greeter's \
             handle for [\"Ada\", \"Linus\", \"Grace\"] {seen}, though on a runtime of one \
             thread it gives {expected:?}: a value left on the thread that computed it (a \
             thread_local, anything kept per thread) is lost when the next step runs on another \
             thread. Move the list into the task (`async move`) and hand the greetings back \
             through its JoinHandle"
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
