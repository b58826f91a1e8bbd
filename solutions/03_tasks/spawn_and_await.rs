// spawn_and_await
//
// `fetch_both` starts two slow lookups as separate tasks with `tokio::spawn`, so they run at the
// same time. `tokio::spawn` hands back a `JoinHandle`, not the value: you get the value by
// awaiting the handle. Awaiting gives a `Result<T, JoinError>` (the task may have panicked or
// been cancelled), so you still have to take the value out of the `Ok`.
//
// Make `fetch_both` return the two numbers. Keep both lookups running concurrently.

use std::time::Duration;

async fn lookup_price() -> u32 {
    tokio::time::sleep(Duration::from_millis(100)).await;
    42
}

async fn lookup_stock() -> u32 {
    tokio::time::sleep(Duration::from_millis(150)).await;
    7
}

async fn fetch_both() -> (u32, u32) {
    let price = tokio::spawn(lookup_price());
    let stock = tokio::spawn(lookup_stock());

    // Both tasks are already running; awaiting a handle yields Result<u32, JoinError>.
    let price = price.await.expect("the price task failed");
    let stock = stock.await.expect("the stock task failed");
    (price, stock)
}

#[tokio::main]
async fn main() {
    let (price, stock) = fetch_both().await;
    println!("price {price}, {stock} in stock");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Poll;
    use std::time::Duration;
    use tokio::time::Instant;

    /// The tasks alive on the runtime this runs in (0 outside one).
    fn alive_tasks() -> usize {
        tokio::runtime::Handle::try_current()
            .map_or(0, |runtime| runtime.metrics().num_alive_tasks())
    }

    /// Adds to its counter, when it is dropped (after a poll that panics too), the tasks that
    /// appeared on the runtime since it was made.
    struct Appeared<'a>(&'a AtomicUsize, usize);

    impl Drop for Appeared<'_> {
        fn drop(&mut self) {
            let appeared = alive_tasks().saturating_sub(self.1);
            self.0.fetch_add(appeared, Ordering::SeqCst);
        }
    }

    /// The future `make` makes (a call of fetch_both), counting in `spawned` the tasks it
    /// spawns: those that appear on the runtime while it is made and while it is polled (here
    /// no task ends in the middle of a poll of fetch_both, nor does another task spawn one).
    fn counting<F: Future, M: FnOnce() -> F>(
        spawned: &Arc<AtomicUsize>,
        make: M,
    ) -> impl Future<Output = F::Output> + use<F, M> {
        let mut future = {
            let _appeared = Appeared(spawned, alive_tasks());
            Box::pin(make())
        };
        let spawned = Arc::clone(spawned);
        std::future::poll_fn(move |cx| {
            let _appeared = Appeared(&spawned, alive_tasks());
            future.as_mut().poll(cx)
        })
    }

    /// What to say when a call of fetch_both spawned fewer than the two tasks the exercise
    /// runs the lookups in (`seen`: what the test saw that call do), or `otherwise`.
    /// What to say when both numbers came back right, at the right time, but a task of the
    /// call's own (not a lookup: both had ended) was still running after it returned.
    const LEFT_RUNNING: &str = "a task of its own besides the two lookups (a watchdog, a \
        timer, a logger) lives on, detached, once nobody holds its JoinHandle. Leave nothing \
        running when fetch_both returns: await that task or abort it before returning (or \
        spawn only the two lookups)";

    fn unless_too_few_tasks(spawned: &AtomicUsize, seen: String, otherwise: String) -> String {
        let spawned = spawned.load(Ordering::SeqCst);
        if spawned >= 2 {
            return otherwise;
        }
        format!(
            "here this call of fetch_both started {spawned} async task(s) (the kind \
             tokio::spawn starts), and {seen}: the exercise runs each lookup in a task of its \
             own. On every call, start both with tokio::spawn, then await both JoinHandles and \
             take each number from its handle"
        )
    }

    #[tokio::test(start_paused = true)]
    async fn returns_both_values() {
        assert_eq!(
            fetch_both().await,
            (42, 7),
            "fetch_both should return (price, stock) = (42, 7)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn lookups_run_at_the_same_time() {
        let spawned = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let values = counting(&spawned, fetch_both).await;
        let elapsed = start.elapsed().as_millis();
        assert!(
            elapsed >= 150,
            "{}",
            unless_too_few_tasks(
                &spawned,
                format!("it returned {values:?} after {elapsed} ms"),
                format!(
                    "fetch_both finished after {elapsed} ms; the lookups take 100 ms and 150 \
                     ms, so it must wait for both tasks"
                )
            )
        );
        assert!(
            elapsed < 200,
            "{}",
            unless_too_few_tasks(
                &spawned,
                format!(
                    "it took {elapsed} ms instead of ~150 ms (the lookups take 100 ms and 150 \
                     ms)"
                ),
                format!(
                    "fetch_both took {elapsed} ms instead of ~150 ms: the lookups ran one after \
                     the other. Spawn both tasks first, then await both handles"
                )
            )
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_values_come_from_the_tasks() {
        let spawned = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let mut fetching = std::pin::pin!(counting(&spawned, fetch_both));
        // One step of fetch_both: it spawns the two tasks, which have not run yet.
        let first_step = std::future::poll_fn(|cx| Poll::Ready(fetching.as_mut().poll(cx))).await;
        assert!(
            first_step.is_pending(),
            "fetch_both returned at once, before its lookup tasks had run: await their handles"
        );
        // The runtime is busy for 30 ms before the tasks get to run, so the stock lookup
        // (150 ms) finishes at 180 ms.
        tokio::time::advance(Duration::from_millis(30)).await;
        let values = fetching.await;
        let elapsed = start.elapsed().as_millis();
        assert_eq!(
            values,
            (42, 7),
            "fetch_both should return (price, stock) = (42, 7)"
        );
        assert!(
            elapsed >= 180,
            "{}",
            unless_too_few_tasks(
                &spawned,
                format!(
                    "it returned after {elapsed} ms, where the runtime was busy for the first \
                     30 ms (a task spawned at the start ran only then, so a stock lookup in a \
                     task would have ended at 180 ms)"
                ),
                format!(
                    "here the spawned lookup tasks started 30 ms late and the stock lookup \
                     finished at 180 ms, but fetch_both returned after {elapsed} ms: take the \
                     numbers from the tasks you spawned, by awaiting their JoinHandles (not by \
                     sleeping, and not by running the lookups a second time)"
                )
            )
        );
        assert!(
            elapsed < 230,
            "{}",
            unless_too_few_tasks(
                &spawned,
                format!(
                    "it took {elapsed} ms, where the runtime was busy for the first 30 ms \
                     (two lookup tasks would have ended at 130 ms and 180 ms)"
                ),
                format!(
                    "fetch_both took {elapsed} ms: the lookups ran one after the other. Spawn \
                     both tasks first, then await both handles"
                )
            )
        );
    }

    /// Counts at how many moments fetch_both is polled, and when it returns: an awaited
    /// JoinHandle wakes it when its task ends, while a loop that checks the tasks on a timer is
    /// polled on every tick and sees the last task done only on the tick after. A `yield_now`
    /// here and there only polls it again at the same moment.
    #[tokio::test(start_paused = true)]
    async fn fetch_both_wakes_when_a_task_ends() {
        let spawned = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let mut polls = 0;
        let mut moments = vec![0];
        let mut fetching = std::pin::pin!(counting(&spawned, fetch_both));
        // One step of fetch_both: it spawns the two tasks, which have not run yet.
        let first_step = std::future::poll_fn(|cx| {
            polls += 1;
            Poll::Ready(fetching.as_mut().poll(cx))
        })
        .await;
        assert!(
            first_step.is_pending(),
            "fetch_both returned at once, before its lookup tasks had run: await their handles"
        );
        // The runtime is busy for 7 ms before the tasks get to run, so the lookups end at
        // 107 ms and 157 ms.
        tokio::time::advance(Duration::from_millis(7)).await;
        let values = std::future::poll_fn(|cx| {
            polls += 1;
            let now = start.elapsed().as_millis();
            if !moments.contains(&now) {
                moments.push(now);
            }
            if polls > 200 {
                return Poll::Ready(None);
            }
            fetching.as_mut().poll(cx).map(Some)
        })
        .await;
        let elapsed = start.elapsed().as_millis();
        assert!(
            values.is_some(),
            "{}",
            unless_too_few_tasks(
                &spawned,
                format!(
                    "it was polled more than 200 times at {moments:?} ms without returning \
                     (awaiting two JoinHandles takes 4 polls)"
                ),
                format!(
                    "fetch_both was polled more than 200 times at {moments:?} ms while the two \
                     lookups ran (awaiting both JoinHandles takes 4 polls): it checks the tasks \
                     in a busy loop. Await each JoinHandle instead: it wakes fetch_both when its \
                     task has ended"
                )
            )
        );
        assert_eq!(
            values,
            Some((42, 7)),
            "fetch_both should return (price, stock) = (42, 7)"
        );
        // A timer of its own every 40 ms or more (a progress message) may wake it too.
        let allowed = 5 + elapsed / 40;
        assert!(
            moments.len() as u128 <= allowed,
            "{}",
            unless_too_few_tasks(
                &spawned,
                format!(
                    "it was polled at {} moments in {elapsed} ms ({moments:?} ms; awaiting two \
                     lookup tasks' JoinHandles wakes it at 4: 0, 7, 107 and 157 ms)",
                    moments.len()
                ),
                format!(
                    "fetch_both was polled at {} moments in {elapsed} ms while the two lookups \
                     ran ({moments:?} ms; awaiting both JoinHandles wakes it at 4: 0, 7, 107 \
                     and 157 ms, and a progress message every 40 ms adds one per 40 ms): it \
                     checks the tasks on a timer. Await each JoinHandle instead: it wakes \
                     fetch_both when its task has ended",
                    moments.len()
                )
            )
        );
        assert!(
            elapsed <= 158,
            "{}",
            unless_too_few_tasks(
                &spawned,
                format!(
                    "it returned at {elapsed} ms, where two lookup tasks spawned at the start \
                     would have ended at 107 ms and 157 ms (the runtime was busy for the first \
                     7 ms)"
                ),
                format!(
                    "here the lookup tasks ended at 107 ms and 157 ms, but fetch_both returned \
                     at {elapsed} ms: it saw them done only later, checking the tasks on a \
                     timer, or it ran them one after the other. Spawn both, then await each \
                     JoinHandle: it wakes fetch_both when its task has ended"
                )
            )
        );
    }

    /// One worker thread and the real clock. Tokio runs the task spawned last first, so here
    /// the stock task starts at once, then a task that keeps the only worker busy for 100 ms,
    /// and only then the price task: the price lookup ends 100 ms after that, long after the
    /// stock lookup. Twice, on the same worker thread: the second call must wait for a price
    /// task of its own too.
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn waits_for_the_price_task_too() {
        let mut spawned_first = 0;
        for call in 1..=2 {
            let spawned = Arc::new(AtomicUsize::new(0));
            let counted = Arc::clone(&spawned);
            let test = tokio::spawn(async move {
                let busy = tokio::spawn(async {
                    std::thread::sleep(Duration::from_millis(100));
                    std::time::Instant::now()
                });
                let values = counting(&counted, fetch_both).await;
                let returned = std::time::Instant::now();
                let price_could_start = busy.await.expect("the busy task failed");
                (
                    values,
                    returned.saturating_duration_since(price_could_start),
                )
            });
            let (values, waited) = test.await.expect("the test task failed");
            assert_eq!(
                values,
                (42, 7),
                "fetch_both should return (price, stock) = (42, 7) (call {call} of 2)"
            );
            let waited = waited.as_millis();
            let seen = || {
                format!(
                    "it returned {waited} ms after a task that kept the only worker busy for \
                     100 ms had ended (a price lookup in a task spawned last would have \
                     started only then, and ended 100 ms later)"
                )
            };
            if call == 1 {
                spawned_first = spawned.load(Ordering::SeqCst);
                assert!(
                    waited >= 100,
                    "{}",
                    unless_too_few_tasks(
                        &spawned,
                        seen(),
                        format!(
                            "here the price task started last and its lookup takes 100 ms, but \
                             fetch_both returned {waited} ms after it started: it did not wait \
                             for the price task. Await both JoinHandles and take both numbers \
                             from them"
                        )
                    )
                );
            } else if spawned_first < 2 {
                assert!(
                    waited >= 100,
                    "{}",
                    unless_too_few_tasks(&spawned, seen(), String::new())
                );
            } else {
                assert!(
                    waited >= 100,
                    "the first call of fetch_both waited for its price task, but the second \
                     call (on the same thread) returned {waited} ms after the worker was free \
                     to start the price task, less than that lookup's 100 ms: it did not do \
                     both lookups again. A value kept from an earlier call (a cache, a static, \
                     a thread_local) is not this call's answer: spawn both lookups on every \
                     call and take both numbers from their JoinHandles"
                );
            }
        }
    }

    /// On a runtime with the real clock, drives fetch_both to its end (5 s at most) and notes
    /// the first task it spawned in a poll that began with none of the tasks it had spawned
    /// before still alive (after one had ended): gives the tasks it had spawned by then and
    /// after how many ms it spawned that one, if it did. (A task spawned while a lookup still
    /// runs, a progress ticker or a note of the price, is no sign of lookups run in turn.)
    fn spawned_after_one_ended() -> Option<(usize, u128)> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("the test's runtime could not be built");
        runtime.block_on(async {
            let start = std::time::Instant::now();
            // Here no other task runs: what appears on the runtime in a call or a poll of
            // fetch_both is a task it spawned, and a drop between two polls is one that ended.
            let mut alive = alive_tasks();
            let mut fetching = Box::pin(fetch_both());
            let mut spawned = alive_tasks().saturating_sub(alive);
            alive = alive_tasks();
            let mut one_ended = false;
            let mut seen = None;
            let _ = tokio::time::timeout(
                Duration::from_secs(5),
                std::future::poll_fn(|cx| {
                    one_ended |= alive_tasks() < alive;
                    let before = alive_tasks();
                    let poll = fetching.as_mut().poll(cx);
                    alive = alive_tasks();
                    let new = alive.saturating_sub(before);
                    if one_ended && before == 0 && new > 0 && seen.is_none() {
                        seen = Some((spawned, start.elapsed().as_millis()));
                    }
                    spawned += new;
                    poll
                }),
            )
            .await;
            seen
        })
    }

    /// The lookups run at the same time when both tasks are spawned before either has ended
    /// (the price lookup takes 100 ms): on a runtime with the real clock, fetch_both must not
    /// spawn a task only once every task it had spawned has ended.
    #[test]
    fn both_tasks_are_spawned_before_either_ends() {
        if let Some((spawned, at)) = spawned_after_one_ended() {
            panic!(
                "on a runtime with the real clock, fetch_both spawned a task {at} ms in, when \
                 every task it had spawned before had ended ({spawned} spawned by then): it \
                 awaited one lookup's JoinHandle before it spawned the next lookup's task, so \
                 the lookups ran one after the other. Spawn both tasks first, then await both \
                 handles"
            );
        }
    }

    /// A real program's runtime (`#[tokio::main]`) has worker threads of its own, and the
    /// tasks run there, never on the thread that called `block_on`: here fetch_both is called
    /// from the test's own thread, so no lookup task shares its thread. (The real clock: the
    /// lookups take 150 ms.)
    #[test]
    fn fetch_both_works_on_a_multi_thread_runtime() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("the test's runtime could not be built");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), fetch_both()).await
            })
        }));
        let seen = match outcome {
            Ok(Ok((42, 7))) => return,
            Ok(Ok(values)) => format!("returned {values:?}, not (42, 7)"),
            Ok(Err(_)) => String::from("had not returned after 5 s (the lookups take 150 ms)"),
            Err(panic) => format!(
                "panicked ({})",
                panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default()
            ),
        };
        panic!(
            "on a multi-thread runtime (the kind #[tokio::main] builds), called from outside its \
             worker threads, fetch_both() {seen}: a result left on the thread that computed it \
             (a thread_local, anything kept per thread) is lost when the task runs on another \
             thread. Hand each number back through its JoinHandle's output or a channel"
        );
    }

    /// On a runtime without a timer both lookup tasks panic at their sleep, and their handles
    /// give `Err(JoinError)`: a `(u32, u32)` has no room for that, so fetch_both must panic
    /// too rather than hand back numbers that no task found.
    #[test]
    fn a_failed_task_gives_no_number() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("the test's runtime could not be built");
        let spawned = Arc::new(AtomicUsize::new(0));
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(counting(&spawned, fetch_both))
        }));
        if let Ok(values) = outcome {
            panic!(
                "{}",
                unless_too_few_tasks(
                    &spawned,
                    format!(
                        "on a runtime without a timer (where a sleep panics) it returned \
                         {values:?}"
                    ),
                    format!(
                        "here both lookup tasks panicked (their handles gave Err(JoinError)), \
                         but fetch_both returned {values:?}: those numbers were made up, not \
                         taken from the tasks. Take each value out of the Ok of its awaited \
                         handle and let an Err stop fetch_both, e.g. `price.await.expect(\"the \
                         price task failed\")`"
                    )
                )
            );
        }
    }

    /// Here only the stock task fails: the tasks run on a runtime that the test shuts down once
    /// the price lookup has ended, which cancels the stock task. Its handle gives
    /// `Err(JoinError)` while the price handle gives `Ok(42)`, so a stock of 0 (or any number)
    /// would be made up: fetch_both must panic.
    #[test]
    fn a_cancelled_task_gives_no_number() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("the test's runtime could not be built");
        // Made inside the runtime: a fetch_both that spawns its tasks when called needs one.
        let spawned = Arc::new(AtomicUsize::new(0));
        let mut fetching = {
            let _in_the_runtime = runtime.enter();
            Box::pin(counting(&spawned, fetch_both))
        };
        // The price lookup ends at 100 ms; the stock lookup would end at 150 ms.
        let early = runtime.block_on(async {
            tokio::select! {
                values = &mut fetching => Some(values),
                _ = tokio::time::sleep(Duration::from_millis(120)) => None,
            }
        });
        assert_eq!(
            early, None,
            "fetch_both returned {early:?} after less than 120 ms, before the stock lookup (150 \
             ms) had ended: await both JoinHandles"
        );
        // Shutting the runtime down cancels the stock task.
        drop(runtime);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            fetching.as_mut().poll(&mut cx)
        }));
        if let Ok(Poll::Ready(values)) = outcome {
            panic!(
                "{}",
                unless_too_few_tasks(
                    &spawned,
                    format!(
                        "once the runtime it ran on was shut down at 120 ms (which cancels every \
                         task still running on it, and leaves no timer), it returned {values:?}"
                    ),
                    format!(
                        "here the price task gave 42 but the stock task was cancelled (its \
                         handle gave Err(JoinError)), and fetch_both returned {values:?}: a \
                         number for the failed task was made up. Let any Err from an awaited \
                         handle stop fetch_both, e.g. `stock.await.expect(\"the stock task \
                         failed\")`"
                    )
                )
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

    /// `code` without its comments: `// ...` to the end of the line, and `/* ... */` (which
    /// may nest). String literals are kept, `//` or `/*` inside them too.
    fn without_comments(code: &str) -> String {
        // A `"` inside a raw string (`r#"a "b" c"#`) does not end it.
        let code = &raw_strings_plain(code);
        let mut out = String::new();
        let mut chars = code.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '/' if chars.peek() == Some(&'/') => {
                    for c in chars.by_ref() {
                        if c == '\n' {
                            out.push(c);
                            break;
                        }
                    }
                }
                '/' if chars.peek() == Some(&'*') => {
                    chars.next();
                    let mut depth = 1;
                    while depth > 0 {
                        let (c, next) = (chars.next(), chars.peek().copied());
                        match (c, next) {
                            (None, _) => break,
                            (Some('/'), Some('*')) => {
                                chars.next();
                                depth += 1;
                            }
                            (Some('*'), Some('/')) => {
                                chars.next();
                                depth -= 1;
                            }
                            (Some('\n'), _) => out.push('\n'),
                            _ => {}
                        }
                    }
                    out.push(' ');
                }
                // A char literal: '"' or an escaped one ('\"', '\\', '\'').
                '\'' if matches!(chars.peek(), Some('"' | '\\')) => {
                    out.push(c);
                    if let Some(c) = chars.next() {
                        out.push(c);
                        if c == '\\' {
                            out.extend(chars.next());
                        }
                    }
                }
                '"' => {
                    out.push(c);
                    while let Some(c) = chars.next() {
                        out.push(c);
                        if c == '\\' {
                            out.extend(chars.next());
                        } else if c == '"' {
                            break;
                        }
                    }
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// `code` (comments gone) without the learner's own tests, which nothing else names and
    /// which hold no `impl` or macro: a `mod` under a `#[cfg(..)]` that needs `test`
    /// (`cfg(test)`, `cfg(all(test, unix))`), or a fn with a test attribute (`#[test]`,
    /// `#[tokio::test(..)]`). A test of the learner's may write the values it expects
    /// (`assert_eq!(fetch_both().await, expected)`). Other attributes and a `pub` may stand
    /// among them.
    fn without_own_test_module(code: &str) -> String {
        // Tokens as (start, end): words, string and char literals, single punctuation.
        let bytes = code.as_bytes();
        let is_word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80;
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            let start = i;
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            } else if is_word(c) {
                while i < bytes.len() && is_word(bytes[i]) {
                    i += 1;
                }
            } else if c == b'"' {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
            } else if c == b'\'' && matches!(bytes.get(i + 1), Some(b'"' | b'\\')) {
                i += if bytes[i + 1] == b'\\' { 3 } else { 2 };
                while i < bytes.len() && bytes[i] != b'\'' {
                    i += 1;
                }
                i = (i + 1).min(bytes.len());
            } else {
                i += 1;
            }
            spans.push((start, i));
        }
        let tokens: Vec<&str> = spans.iter().map(|&(a, b)| &code[a..b]).collect();
        let closing = |open: usize| {
            let (opening, closing) = match tokens[open] {
                "[" => ("[", "]"),
                "(" => ("(", ")"),
                _ => ("{", "}"),
            };
            let mut depth = 0;
            (open..tokens.len())
                .find(|&i| {
                    depth += i32::from(tokens[i] == opening) - i32::from(tokens[i] == closing);
                    depth == 0
                })
                .unwrap_or(tokens.len() - 1)
        };
        // An own test item starting at `at` (its first attribute): where it ends.
        let own_test = |at: usize| -> Option<usize> {
            let (mut i, mut test_cfg, mut test_fn) = (at, false, false);
            while tokens.get(i) == Some(&"#") && tokens.get(i + 1) == Some(&"[") {
                let close = closing(i + 1);
                let inside = &tokens[i + 2..close];
                // `test` named, and not under a `not(..)`.
                let negated = |t: usize| {
                    (i + 2..t)
                        .any(|k| tokens[k] == "not" && tokens[k + 1] == "(" && closing(k + 1) > t)
                };
                test_cfg |= inside.first() == Some(&"cfg")
                    && (i + 2..close).any(|t| tokens[t] == "test" && !negated(t));
                test_fn |= inside.first() == Some(&"test")
                    || inside.starts_with(&["tokio", ":", ":", "test"]);
                i = close + 1;
            }
            while matches!(tokens.get(i), Some(&("pub" | "async" | "unsafe"))) {
                i += 1;
                if tokens.get(i) == Some(&"(") {
                    i = closing(i) + 1;
                }
            }
            let kind = *tokens.get(i)?;
            let name = *tokens.get(i + 1)?;
            if !(kind == "mod" && test_cfg || kind == "fn" && test_fn) {
                return None;
            }
            let open = (i..tokens.len()).find(|&k| tokens[k] == "{" || tokens[k] == ";")?;
            let close = closing(open);
            let named_elsewhere =
                (tokens[..at].iter().chain(&tokens[close + 1..])).any(|t| *t == name);
            let inside = &tokens[open..=close];
            let plain = !inside.iter().any(|t| *t == "impl" || *t == "macro_rules");
            (tokens[open] == "{" && !named_elsewhere && plain).then_some(close)
        };
        let (mut out, mut kept_from, mut at) = (String::new(), 0, 0);
        while at < tokens.len() {
            let item_start = at == 0 || matches!(tokens[at - 1], "}" | ";" | "]");
            match own_test(at).filter(|_| item_start && tokens[at] == "#") {
                Some(close) => {
                    out.push_str(&code[kept_from..spans[at].0]);
                    kept_from = spans[close].1;
                    at = close + 1;
                }
                None => at += 1,
            }
        }
        out + &code[kept_from..]
    }

    /// The code above the tests without comments, without `fn main` (a demo there is free) and
    /// without a test module or test fn of the learner's own (see `without_own_test_module`).
    fn code_outside_main(source: &str) -> String {
        let code = without_own_test_module(&without_comments(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        ));
        let Some(at) = code.find("fn main(") else {
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
                    if depth == 0 {
                        return format!("{}{}", &code[..at], &code[at + open + i + 1..]);
                    }
                }
                _ => {}
            }
        }
        code
    }

    /// `code` without the arguments of the macros that only print, check or panic
    /// (`println!`, `assert!`, `panic!`, ...) and of `.expect(..)`: their text is a message,
    /// never a value the code hands back, so a progress line may say what it likes.
    fn without_messages(code: &str) -> String {
        const MESSAGES: [&str; 15] = [
            "print!(",
            "println!(",
            "eprint!(",
            "eprintln!(",
            "panic!(",
            "assert!(",
            "assert_eq!(",
            "assert_ne!(",
            "debug_assert!(",
            "debug_assert_eq!(",
            "debug_assert_ne!(",
            "unreachable!(",
            "todo!(",
            "unimplemented!(",
            ".expect(",
        ];
        let starts_word =
            |at: usize| !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let mut kept = String::new();
        let mut from = 0;
        let mut at = 0;
        while at < code.len() {
            let Some(message) = MESSAGES
                .iter()
                .find(|m| code[at..].starts_with(**m) && (m.starts_with('.') || starts_word(at)))
            else {
                at += code[at..].chars().next().map_or(1, char::len_utf8);
                continue;
            };
            let open = at + message.len();
            kept.push_str(&code[from..open]);
            // Skip to the `)` that closes the call, minding string literals.
            let (mut depth, mut in_text, mut escaped) = (1, false, false);
            let mut end = code.len();
            for (i, c) in code[open..].char_indices() {
                match (in_text, escaped, c) {
                    (true, true, _) => escaped = false,
                    (true, false, '\\') => escaped = true,
                    (_, false, '"') => in_text = !in_text,
                    (false, _, '(' | '[' | '{') => depth += 1,
                    (false, _, ')' | ']' | '}') => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            from = end;
            at = end;
        }
        kept.push_str(&code[from..]);
        kept
    }

    /// `code` with each `const` or `static` (whose value holds no block) written out where it
    /// is named, and its own definition left out: a value kept in a `const` counts once for
    /// each place that names it (`const PRICE: u32 = 42;` named in lookup_price alone counts
    /// once, as the given `42` does).
    fn with_constants_inlined(code: &str) -> String {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let mut code = code.to_string();
        loop {
            let mut found = None;
            for keyword in ["const ", "static "] {
                for (at, _) in code.match_indices(keyword) {
                    if code[..at].ends_with(is_word) || found.is_some() {
                        continue;
                    }
                    let rest = &code[at + keyword.len()..];
                    let name: String = rest
                        .trim_start()
                        .chars()
                        .take_while(|&c| is_word(c))
                        .collect();
                    let Some((item, _)) = rest.split_once(';') else {
                        continue;
                    };
                    let Some((head, value)) = item.split_once('=') else {
                        continue;
                    };
                    if !name.is_empty()
                        && head.trim_start()[name.len()..]
                            .trim_start()
                            .starts_with(':')
                        && !value.contains('{')
                    {
                        let end = at + keyword.len() + item.len() + 1;
                        found = Some((at, end, name, format!("({})", value.trim())));
                    }
                }
            }
            let Some((from, to, name, value)) = found else {
                return code;
            };
            code.replace_range(from..to, " ");
            let mut inlined = String::new();
            let mut rest = code.as_str();
            while let Some(at) = rest.find(name.as_str()) {
                let whole =
                    !rest[..at].ends_with(is_word) && !rest[at + name.len()..].starts_with(is_word);
                inlined.push_str(&rest[..at]);
                inlined.push_str(if whole { &value } else { &name });
                rest = &rest[at + name.len()..];
            }
            inlined.push_str(rest);
            code = inlined;
        }
    }

    /// `code` without the number given alone to a Duration constructor
    /// (`Duration::from_secs(7)`, with nothing called on it): a length of time, never a value
    /// the code hands back.
    fn without_durations(code: &str) -> String {
        let mut code = code.to_string();
        for unit in [
            "from_secs(",
            "from_millis(",
            "from_micros(",
            "from_nanos(",
            "from_mins(",
            "from_hours(",
            "from_secs_f32(",
            "from_secs_f64(",
        ] {
            let mut out = String::new();
            let mut rest = code.as_str();
            while let Some(at) = rest.find(unit) {
                let open = at + unit.len();
                out.push_str(&rest[..open]);
                rest = &rest[open..];
                let Some(close) = rest.find(')') else {
                    continue;
                };
                let inner = rest[..close]
                    .trim()
                    .trim_start_matches('(')
                    .trim_end_matches(')');
                let a_number = inner.starts_with(|c: char| c.is_ascii_digit())
                    && inner
                        .chars()
                        .all(|c| c.is_alphanumeric() || "_.".contains(c));
                let after = rest[close + 1..]
                    .trim_start()
                    .trim_start_matches(')')
                    .trim_start();
                if a_number && !after.starts_with('.') {
                    rest = &rest[close..];
                }
            }
            out.push_str(rest);
            code = out;
        }
        code
    }

    /// A number as the code writes it, without a type suffix or `_`s (`42u32`, `4_2` are 42).
    fn plain_number(word: &str) -> String {
        let mut word = word.replace('_', "");
        for suffix in [
            "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
        ] {
            if word.starts_with(|c: char| c.is_ascii_digit())
                && let Some(number) = word.strip_suffix(suffix)
            {
                word = number.to_string();
                break;
            }
        }
        word
    }

    /// Values written by hand after joining every task look the same from outside, so this
    /// test reads the source (what a message prints, or a check says, is free).
    #[test]
    fn the_values_are_not_written_by_hand() {
        let code = without_durations(&with_constants_inlined(&without_messages(
            &code_outside_main(include_str!("spawn_and_await.rs")),
        )));
        let words: Vec<String> = code
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|word| !word.is_empty())
            .map(plain_number)
            .collect();
        // lookup_price and lookup_stock, as given, write each value once (a `const` counts
        // once for each place that names it).
        let copied = ["42", "7"]
            .into_iter()
            .filter(|item| words.iter().filter(|word| word == item).count() > 1)
            .collect::<Vec<_>>();
        assert!(
            copied.is_empty(),
            "the code writes {copied:?} outside lookup_price and lookup_stock too (what a \
             message prints is not counted, nor a length of time such as \
             `Duration::from_secs(7)`; a `const` counts wherever it is named): the values must \
             be what the spawned tasks hand back, so take them from awaiting each JoinHandle. \
             If that number means something else in your code, write it another way so that \
             it cannot be taken for one of the values"
        );
    }

    /// A stock worked out from the price 50 ms after the price task ended (`price / 6`) gives
    /// the same numbers at the same times when both tasks start together, so here the second
    /// task to run starts 60 ms after the first, so its lookup ends at 160 ms or later (a
    /// safety-net timeout of 250 ms or more is fine).
    #[test]
    fn waits_for_the_task_that_starts_late() {
        // A runtime that runs one task between two polls of the test's own future, so the
        // test can move the paused clock between the starts of the two lookup tasks.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .event_interval(1)
            .build()
            .unwrap();
        let spawned = Arc::new(AtomicUsize::new(0));
        let (values, took, running) = runtime.block_on(async {
            let start = Instant::now();
            let mut fetching = std::pin::pin!(counting(&spawned, fetch_both));
            // One step of fetch_both (it spawns the tasks), then one task starts its lookup...
            let first_step =
                std::future::poll_fn(|cx| Poll::Ready(fetching.as_mut().poll(cx))).await;
            tokio::task::yield_now().await;
            // ...then the runtime is busy for 60 ms before the other task starts its lookup.
            tokio::time::advance(Duration::from_millis(60)).await;
            let values = match first_step {
                Poll::Ready(values) => values,
                Poll::Pending => fetching.await,
            };
            let took = start.elapsed().as_millis();
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            let running = tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks();
            (values, took, running)
        });
        assert_eq!(
            values,
            (42, 7),
            "fetch_both should return (price, stock) = (42, 7)"
        );
        assert!(
            took >= 160 && running == 0,
            "{}",
            unless_too_few_tasks(
                &spawned,
                format!(
                    "it returned after {took} ms, where the runtime let one task run and then \
                     was busy for 60 ms before it ran the next (two lookup tasks would have \
                     ended at 160 ms or later)"
                ),
                if values == (42, 7) && took >= 160 {
                    format!(
                        "here one lookup task started 60 ms after the other, and fetch_both \
                         returned (42, 7) after {took} ms, once both lookups were over, but \
                         {running} task(s) it had spawned were still running after it \
                         returned: {LEFT_RUNNING}"
                    )
                } else {
                    format!(
                        "here one lookup task started 60 ms after the other, so the last lookup \
                         ended at 160 ms or later, but fetch_both returned after {took} ms with \
                         {running} task(s) it had spawned still running: a number was not taken \
                         from its task. Await both JoinHandles and take both numbers from them"
                    )
                }
            )
        );
    }

    /// Polls `future` 20 times in a row at once, without giving the runtime a turn (so the tasks
    /// it spawns have not run yet), then keeps the runtime busy for `hold` of paused time before
    /// those tasks get to run, then awaits it. Gives whether it was ready at once, and
    /// what it returned (`None` if it panicked: a safety-net time limit that fails loudly is
    /// fine).
    async fn held_up<T>(hold: Duration, future: impl Future<Output = T>) -> (bool, Option<T>) {
        use std::panic::{AssertUnwindSafe, catch_unwind};
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

    /// Here the runtime is busy for an hour before the two lookup tasks get to run, so they
    /// end at 1 h 100 ms and 1 h 150 ms: fetch_both must still hand back what they give. (A
    /// safety-net time limit that panics is fine; one that hands back a number of its own, or
    /// a wait of a fixed length, is not.)
    #[tokio::test(start_paused = true)]
    async fn the_tasks_held_up_an_hour_still_give_the_values() {
        let spawned = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let (at_once, values) =
            held_up(Duration::from_secs(3600), counting(&spawned, fetch_both)).await;
        let elapsed = start.elapsed();
        assert!(
            !at_once,
            "fetch_both returned (or panicked) at once, before its lookup tasks had run: await \
             their handles"
        );
        let Some(values) = values else {
            return;
        };
        // A task aborted on the way out (a progress reporter) ends at its next poll: let the
        // runtime take a few turns (the clock stays still) before counting the live ones.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let running = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        let still_alive = if running > 0 {
            format!(
                ", and {running} task(s) it spawned were still alive afterwards (not aborted \
                 ones: those had ended)"
            )
        } else {
            String::new()
        };
        assert!(
            values == (42, 7) && elapsed >= Duration::from_millis(3_600_150) && running == 0,
            "{}",
            unless_too_few_tasks(
                &spawned,
                format!(
                    "it returned {values:?} after {elapsed:?} (the runtime was busy for an hour \
                     before any task spawned at the start ran, so two lookup tasks would have \
                     ended at 1 h 100 ms and 1 h 150 ms){still_alive}"
                ),
                if values == (42, 7) && elapsed >= Duration::from_millis(3_600_150) {
                    format!(
                        "here the runtime was busy for an hour before the lookup tasks ran, so \
                         they ended at 1 h 100 ms and 1 h 150 ms; fetch_both returned (42, 7) \
                         after {elapsed:?}, once both lookups were over{still_alive}: \
                         {LEFT_RUNNING}"
                    )
                } else {
                    format!(
                        "here the runtime was busy for an hour before the lookup tasks ran, so \
                         they ended at 1 h 100 ms and 1 h 150 ms; fetch_both returned \
                         {values:?} after {elapsed:?}{}. Await both JoinHandles and take both \
                         numbers from them, however late the tasks run",
                        if running > 0 {
                            still_alive.clone()
                        } else if values != (42, 7) {
                            ", instead of (42, 7) taken from the finished tasks".to_string()
                        } else {
                            ", before the tasks had finished".to_string()
                        }
                    )
                }
            )
        );
    }
}
