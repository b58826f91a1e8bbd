// joinset_collect_all
//
// `square_all` spawns one task per number into a `tokio::task::JoinSet`, so all of them run at
// the same time. `join_next()` waits for whichever task finishes next and returns `None` once
// the set is empty. The results come back in the order the tasks finish, not the order they
// were spawned; callers of `square_all` accept any order.
//
// Make `square_all` return the squares of all the numbers, not just one of them.

use std::time::Duration;
use tokio::task::JoinSet;

async fn square_slowly(n: u64) -> u64 {
    tokio::time::sleep(Duration::from_millis(10 * n)).await;
    n * n
}

async fn square_all(numbers: Vec<u64>) -> Vec<u64> {
    let mut set = JoinSet::new();
    for n in numbers {
        set.spawn(square_slowly(n));
    }

    let mut squares = Vec::new();
    // TODO: this takes only the first task to finish; the others are thrown away.
    if let Some(result) = set.join_next().await {
        squares.push(result.expect("a task failed"));
    }
    squares
}

#[tokio::main]
async fn main() {
    println!("{:?}", square_all(vec![3, 1, 2]).await);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::task::Poll;
    use std::time::Duration;
    use tokio::time::Instant;

    /// Awaits `future` (a call of square_all), counting its polls: a loop that checks the set
    /// again and again (`try_join_next`, then `yield_now`) holds the paused clock still, and one
    /// that checks it on a short timer spins through an hour and a half of ticks in the slow
    /// test. Both are stopped with a message (1000 polls at one moment, or more than 2500 polls
    /// (two per task for a thousand tasks, and some to spare) plus one per 20 ms of paused
    /// time) instead of running until the test is killed.
    async fn watched<T>(future: impl Future<Output = T>) -> Result<T, String> {
        watched_for(1000, future).await
    }

    /// `watched`, for a call on `tasks` numbers: two polls per task for more than a thousand
    /// (and 500 to spare) before the limit of polls counts the paused time.
    async fn watched_for<T>(tasks: u128, future: impl Future<Output = T>) -> Result<T, String> {
        let spare = 500 + 2 * tasks.max(1000);
        let start = Instant::now();
        let (mut polls, mut at_once, mut last) = (0u128, 0, Duration::ZERO);
        let mut future = std::pin::pin!(future);
        std::future::poll_fn(|cx| {
            let now = start.elapsed();
            polls += 1;
            at_once = if now == last { at_once + 1 } else { 1 };
            last = now;
            // A loop that checks the JoinSet never lets the paused clock move: it goes on for
            // ever. A yield per spawn polls once per task at one moment: as many as the tasks.
            if at_once > spare {
                return Poll::Ready(Err(format!(
                    "square_all was polled {at_once} times in a row at one moment ({now:?} of \
                     paused time, {polls} polls in all) without the clock moving on: it checks \
                     the JoinSet in a loop (try_join_next with yield_now, say) instead of \
                     waiting. Await join_next(): it wakes square_all when the next task has \
                     finished"
                )));
            }
            if polls > spare + now.as_millis() / 20 {
                return Poll::Ready(Err(format!(
                    "square_all was polled {polls} times in {now:?} of paused time, more than \
                     once per 20 ms beside two polls per task: it wakes itself on a short \
                     timer (or checks the JoinSet after a short sleep) instead of waiting. \
                     Await join_next(): it wakes square_all when the next task has finished (a \
                     progress message on a timer of 40 ms or more beside it is fine)"
                )));
            }
            future.as_mut().poll(cx).map(Ok)
        })
        .await
    }

    /// What square_all returns, awaited under `watched`.
    async fn squares_of(numbers: Vec<u64>) -> Vec<u64> {
        watched(square_all(numbers))
            .await
            .unwrap_or_else(|message| panic!("{message}"))
    }

    #[tokio::test(start_paused = true)]
    async fn collects_every_square() {
        let mut squares = squares_of(vec![3, 1, 4, 2]).await;
        assert_eq!(
            squares.len(),
            4,
            "4 numbers went in but {} squares came out: keep calling join_next() until it \
             returns None",
            squares.len()
        );
        squares.sort_unstable();
        assert_eq!(
            squares,
            [1, 4, 9, 16],
            "wrong squares (sorted): {squares:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_number_given_twice_is_squared_twice() {
        let mut squares = squares_of(vec![3, 2, 2]).await;
        squares.sort_unstable();
        // The repeat is blamed only when its square is what is wrong: a square of 3 left out
        // (the slower task) is no merging of repeats.
        let fours = squares.iter().filter(|&&square| square == 4).count();
        let why = if fours == 2 && !squares.contains(&9) {
            "the square of 2 came out twice, as it should, but the square of 3 (9, from the \
             slowest task) is missing. Keep calling join_next() until it returns None, and keep \
             every square it hands back"
        } else {
            "2 was given twice, and a number given twice must count twice, so its square comes \
             out twice, and 3's once. Spawn a task for every number given and keep every square \
             join_next() hands back (do not merge repeats)"
        };
        assert_eq!(
            squares,
            [4, 4, 9],
            "square_all([3, 2, 2]) gave {squares:?} (sorted): {why}"
        );
    }

    /// 0 is a number like any other, and its square (0) a square like any other: square_all
    /// must hand it back. square_slowly(0) takes no time, so its task ends first wherever 0
    /// stands in the list.
    #[tokio::test(start_paused = true)]
    async fn the_square_of_zero_is_kept() {
        for numbers in [vec![2, 0, 3], vec![0, 2, 3], vec![2, 3, 0]] {
            let mut squares = squares_of(numbers.clone()).await;
            squares.sort_unstable();
            if squares == [0, 4, 9] {
                continue;
            }
            let lost = if squares.contains(&0) {
                String::from("")
            } else if squares == [4, 9] {
                String::from(
                    ": the square of 0 (which is 0) was lost, and only that one. A real square \
                     of 0 must be kept; if 0 stands for \"no square\" somewhere in the code \
                     (an empty slot, a default), it cannot be told apart from it",
                )
            } else {
                String::from(
                    ": the square of 0 (which is 0, and its task ends first) was lost, and \
                     other squares with it. A real square of 0 must be kept; if 0 stands for \
                     \"no more squares\" somewhere in the code (a default for join_next()'s \
                     None), it cannot be told apart from it: stop when join_next() returns None",
                )
            };
            panic!("square_all({numbers:?}) returned {squares:?} (sorted), not [0, 4, 9]{lost}");
        }
    }

    /// A time limit on collecting (a `timeout` around the loop or around each `join_next()`)
    /// that returns the squares gathered so far silently drops the slower tasks: no limit fits
    /// every input, so a very slow task (an hour and a half on the paused clock, over at once)
    /// must not be left out. A limit that fails loudly (panics, "a task hung") is let be. (Not
    /// longer: a correct fix that prints progress every 40 ms is polled for each tick.)
    #[tokio::test(start_paused = true)]
    async fn a_very_slow_task_is_not_left_out() {
        let start = Instant::now();
        let outcome = tokio::spawn(watched(square_all(vec![2, 540_000, 1]))).await;
        let elapsed = start.elapsed();
        if let Ok(Err(message)) = outcome {
            panic!("{message}");
        }
        if let Ok(Ok(mut squares)) = outcome {
            squares.sort_unstable();
            assert_eq!(
                squares,
                [1, 4, 291_600_000_000],
                "here one task takes 5400 s (square_slowly(540000)), and square_all returned \
                 {squares:?} (sorted) after {elapsed:?}, {}: keep awaiting join_next() until it \
                 returns None, however long the tasks take",
                if elapsed < Duration::from_secs(5400) {
                    "before that task had finished"
                } else {
                    "without the square of that task"
                }
            );
        }
    }

    #[test]
    fn squares_come_from_the_tasks() {
        // A runtime without a timer: square_slowly cannot sleep there (it panics), so every
        // task in the JoinSet fails and none of them hands back a square.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("could not build a runtime");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(square_all(vec![3, 5, 7]))
        }));
        // Failing (panicking), or returning no squares, are both fine here.
        if let Ok(squares) = outcome {
            assert!(
                !squares.iter().any(|square| [9, 25, 49].contains(square)),
                "here every task in the JoinSet failed, so none of them made a square, yet \
                 square_all returned {squares:?}: take each square from the result join_next() \
                 gives you, do not work it out on the side"
            );
            assert!(
                squares.is_empty(),
                "here every task in the JoinSet failed (square_slowly panicked: this runtime \
                 has no timer), so none of them made a square, yet square_all returned \
                 {squares:?}: a made-up value (unwrap_or_default, unwrap_or(0)) in place of a \
                 failed task's square looks like a real square. Let the error show \
                 (`.expect(..)`), or leave the failed task out"
            );
        }
    }

    thread_local! {
        /// For each panic on this thread since it was cleared: the task it happened in (`None`
        /// outside any task).
        static PANICS: std::cell::RefCell<Vec<Option<tokio::task::Id>>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }

    #[test]
    fn each_number_is_squared_in_a_task_of_its_own() {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                PANICS.with_borrow_mut(|panics| panics.push(tokio::task::try_id()));
                previous(info);
            }));
        });
        PANICS.with_borrow_mut(Vec::clear);
        // Numbers so big that square_slowly's `10 * n` overflows: it panics at once (tests are
        // built with overflow checks), in the task that runs it. A current-thread runtime runs
        // every task spawned so far before it gets back to square_all, so each of the 3 tasks
        // panics before square_all sees the first error. Where the panics happen shows where
        // the numbers are squared: each in a task of its own, or all in one.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("could not build a runtime");
        let numbers = vec![u64::MAX, u64::MAX - 1, u64::MAX - 2];
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(watched(square_all(numbers)))
        }));
        drop(runtime);
        if let Ok(Err(message)) = outcome {
            panic!(
                "here every task panicked at once (square_slowly's `10 * n` overflows for these \
                 numbers), and square_all did not return: {message}"
            );
        }
        let panics = PANICS.take();
        if panics.first().is_none_or(Option::is_none) {
            // Nothing panicked (built without overflow checks), or square_all panicked itself
            // before any task did (working out `10 * n` for a message, say): nothing to judge.
            return;
        }
        let tasks: std::collections::HashSet<tokio::task::Id> =
            panics.into_iter().flatten().collect();
        // A failed number tried again in a new task adds a task: at least 3, not exactly.
        assert!(
            tasks.len() >= 3,
            "here square_slowly panics at once for each of 3 numbers (its `10 * n` overflows), \
             and the panics came from {} task(s): spawn one task per number into the JoinSet \
             (set.spawn(square_slowly(n))), every one before collecting, not one task that \
             squares them all",
            tasks.len()
        );
    }

    /// Awaits `future` (a call of square_all) while a task of the test counts the tasks alive
    /// on the runtime (itself left out) at each ms of paused time, up to 1 s. Gives what the
    /// call returned, when it returned (ms since `start`), the counts (ms since `start`, tasks
    /// alive), and the last ms at which the count fell before the call returned, or as it
    /// returned: when the last of the call's tasks to end did.
    async fn with_task_counts<T>(
        start: Instant,
        future: impl Future<Output = T>,
    ) -> (T, u128, Vec<(u128, usize)>, Option<u128>) {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let alive = || {
            tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks()
        };
        let done = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(Mutex::new(Vec::new()));
        let counter = tokio::spawn({
            let (done, counts) = (Arc::clone(&done), Arc::clone(&counts));
            async move {
                let mut next = Instant::now();
                for _ in 0..1000 {
                    next += Duration::from_millis(1);
                    tokio::time::sleep_until(next).await;
                    if done.load(Ordering::SeqCst) {
                        break;
                    }
                    let count = alive().saturating_sub(1);
                    counts
                        .lock()
                        .unwrap()
                        .push((start.elapsed().as_millis(), count));
                }
            }
        });
        let out = future.await;
        let elapsed = start.elapsed().as_millis();
        let at_return = alive().saturating_sub(1);
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

    /// The counts of `counts` at `times` ms, as "5 ms: 5, 15 ms: 4".
    fn counts_at(counts: &[(u128, usize)], times: &[u128]) -> String {
        times
            .iter()
            .filter_map(|&ms| {
                let (_, count) = counts.iter().find(|&&(at, _)| at == ms)?;
                Some(format!("{ms} ms: {count}"))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    #[tokio::test(start_paused = true)]
    async fn empty_input_gives_empty_output() {
        assert!(
            squares_of(Vec::new()).await.is_empty(),
            "no numbers should give no squares"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn tasks_run_at_the_same_time() {
        let start = Instant::now();
        let (squares, elapsed, counts, last_end) =
            with_task_counts(start, squares_of(vec![5, 2, 4, 1, 3])).await;
        // 5 ms in, the tasks alive on this runtime: all 5 if they run at once.
        let running = counts
            .iter()
            .find(|&&(ms, _)| ms == 5)
            .map_or(0, |&(_, n)| n);
        assert_eq!(squares.len(), 5, "expected 5 squares, got {squares:?}");
        assert!(
            elapsed >= 50,
            "squaring took only {elapsed} ms, but square_slowly(5) alone takes 50 ms: the \
             squares must come from the tasks in the JoinSet, not be worked out on the side"
        );
        let seen = counts_at(&counts, &[5, 15, 25, 35, 45, 55, 65, 75, 85, 95]);
        assert!(
            elapsed < 60,
            "{}",
            match last_end {
                Some(end) if end > 51 => format!(
                    "squaring took {elapsed} ms, though the slowest square takes 50 ms: tasks \
                     were still ending at {end} ms (tasks alive at {seen}), so the squarings \
                     did not all run at once (a task may be alive while it waits its turn). \
                     Spawn them all into the JoinSet, each squaring at once, then collect"
                ),
                Some(end) if running >= 5 => format!(
                    "squaring took {elapsed} ms, though all 5 tasks were running 5 ms in and \
                     the last one ended at {end} ms: square_all returned {} ms after its last \
                     task had finished, so it did not wake when that task was done. Await \
                     join_next(): it wakes square_all when the next task has finished",
                    elapsed - end
                ),
                _ => format!(
                    "squaring took {elapsed} ms, and 5 ms in only {running} task(s) were \
                     running (tasks alive at {seen}): the slowest task takes 50 ms, so the \
                     tasks did not all run at once. Spawn them all into the JoinSet first, \
                     then collect"
                ),
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn squares_are_taken_as_the_tasks_finish() {
        let start = Instant::now();
        let mut squaring = std::pin::pin!(square_all(vec![5, 2, 4, 1, 3]));
        // One step of square_all: it spawns its tasks, which have not run yet.
        let first_step = std::future::poll_fn(|cx| Poll::Ready(squaring.as_mut().poll(cx))).await;
        assert!(
            first_step.is_pending(),
            "square_all returned at once, before any of its tasks had run: the squares must \
             come from the tasks in the JoinSet"
        );
        // The runtime is busy for 30 ms before the tasks get to run, so each task finishes
        // 30 ms late: square_slowly(5), the slowest, at 80 ms.
        tokio::time::advance(Duration::from_millis(30)).await;
        let (squares, elapsed, counts, last_end) = with_task_counts(start, watched(squaring)).await;
        let squares = squares.unwrap_or_else(|message| panic!("{message}"));
        // 5 ms after the tasks got to run, the tasks alive: all 5 if they run at once.
        let running = counts
            .iter()
            .find(|&&(ms, _)| ms == 35)
            .map_or(0, |&(_, n)| n);
        assert_eq!(
            squares.len(),
            5,
            "5 numbers went in but the squares were {squares:?}: keep calling join_next() \
             until it returns None, it waits for the next task to finish"
        );
        assert!(
            elapsed >= 80,
            "here the tasks started 30 ms late and the last one finished at 80 ms, but \
             square_all returned after {elapsed} ms: do not work out how long the tasks take, \
             wait for them with join_next() and take each square from the task that made it"
        );
        let seen = counts_at(&counts, &[35, 45, 55, 65, 75, 85, 95, 105, 115, 125]);
        assert!(
            elapsed < 90,
            "{}",
            match last_end {
                Some(end) if end > 81 => format!(
                    "here the tasks started 30 ms late, so started together they are all over \
                     at 80 ms, but square_all returned at {elapsed} ms and tasks were still \
                     ending at {end} ms (tasks alive at {seen}): the squarings did not all run \
                     at once (a task may be alive while it waits its turn). Spawn them all \
                     into the JoinSet, each squaring at once, then collect"
                ),
                Some(end) if running >= 5 => format!(
                    "here the tasks started 30 ms late, all 5 were running at 35 ms, and the \
                     last one ended at {end} ms, but square_all returned at {elapsed} ms, {} \
                     ms after its last task had finished: it did not wake when that task was \
                     done. Await join_next(): it wakes square_all when the next task has \
                     finished",
                    elapsed - end
                ),
                _ => format!(
                    "here the tasks started 30 ms late, and square_all returned at {elapsed} \
                     ms, though started together they are all over at 80 ms: at 35 ms only \
                     {running} task(s) were running (tasks alive at {seen}), so they did not \
                     all run at once. Spawn them all into the JoinSet first, then collect"
                ),
            }
        );
    }

    /// Counts at how many moments square_all is polled, and when it returns: `join_next().await`
    /// wakes it when a task has finished, while a loop that checks the set on a timer is polled
    /// on every tick and sees the last task done only on a later tick, and a loop that yields
    /// until a task is done is polled again and again at the same moment. A `yield_now` here
    /// and there is fine: it polls again at the same moment, a few times.
    #[tokio::test(start_paused = true)]
    async fn square_all_wakes_when_a_task_finishes() {
        let start = Instant::now();
        let mut polls = 0;
        let mut moments = vec![0];
        let mut squaring = std::pin::pin!(square_all(vec![5, 2, 4, 1, 3]));
        // One step of square_all: it spawns its tasks, which have not run yet.
        let first_step = std::future::poll_fn(|cx| {
            polls += 1;
            Poll::Ready(squaring.as_mut().poll(cx))
        })
        .await;
        assert!(
            first_step.is_pending(),
            "square_all returned at once, before any of its tasks had run: the squares must \
             come from the tasks in the JoinSet"
        );
        // The runtime is busy for 3 ms before the tasks get to run, so they finish at 13, 23,
        // 33, 43 and 53 ms.
        tokio::time::advance(Duration::from_millis(3)).await;
        let squares = std::future::poll_fn(|cx| {
            polls += 1;
            let now = start.elapsed().as_millis();
            if !moments.contains(&now) {
                moments.push(now);
            }
            if polls > 200 || moments.len() > 10 {
                return Poll::Ready(None);
            }
            squaring.as_mut().poll(cx).map(Some)
        })
        .await;
        let elapsed = start.elapsed().as_millis();
        assert!(
            polls <= 200,
            "square_all was polled more than 200 times at {moments:?} ms while its 5 tasks ran \
             (awaiting join_next() in a loop takes 7 polls): it checks the JoinSet in a busy \
             loop. Await join_next(): it wakes square_all when the next task has finished"
        );
        assert!(
            squares.is_some(),
            "square_all was polled at more than 10 moments while its 5 tasks ran (awaiting \
             join_next() in a loop wakes it at 7: {{0, 3, 13, 23, 33, 43, 53}} ms; here \
             {moments:?}): it checks the JoinSet, or wakes itself, on a timer of its own. Await \
             join_next(): it wakes square_all when the next task has finished (a progress \
             message on a timer of 40 ms or more beside it is fine)"
        );
        assert_eq!(
            squares.map(|squares| squares.len()),
            Some(5),
            "5 numbers went in: keep calling join_next() until it returns None"
        );
        assert!(
            elapsed <= 54,
            "here the tasks finished at 13, 23, 33, 43 and 53 ms, but square_all returned at \
             {elapsed} ms: it saw the last task done only later, checking the JoinSet on a \
             timer, or its tasks ran one after the other. Spawn them all, then await \
             join_next(): it wakes square_all when the next task has finished"
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
    /// `#[tokio::test(..)]`). A test of the learner's may work out the squares it expects.
    /// Other attributes and a `pub` may stand among them.
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

    /// The code above the tests without comments, without `fn main` (a demo there is free)
    /// and without a test module of the learner's own (see `without_own_test_module`).
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

    /// How many `*` in `code` multiply (`a * b`, `a*b`, `(a)*b`, `a *= b`), not dereference
    /// (`*x`, `= *x`, `return *x`), and multiply two values neither of which is a number
    /// written alone: `10 * n`, `done * 100 / total` and `60 * 60` multiply by a constant,
    /// which cannot square (in `a / 10 * n` the `10` is not alone, `a / 10` is the operand);
    /// nor can a Duration made from a number alone (`Duration::from_secs(1) * len`).
    fn multiplications(code: &str) -> usize {
        const BEFORE_A_DEREF: [&str; 8] =
            ["return", "match", "in", "if", "while", "let", "else", "mut"];
        let in_word = |c: char| c.is_alphanumeric() || c == '_';
        let in_number = |c: char| in_word(c) || c == '.';
        code.match_indices('*')
            .filter(|&(at, _)| {
                let before = code[..at].trim_end();
                let word = before.rsplit(|c: char| !in_word(c)).next().unwrap_or("");
                let multiplies = (before.ends_with(|c: char| in_word(c) || ")]".contains(c))
                    || a_macro_repetition_of_values(before))
                    && !BEFORE_A_DEREF.contains(&word);
                let left = before.rsplit(|c: char| !in_number(c)).next().unwrap_or("");
                let left_alone = a_number(left)
                    && !before[..before.len() - left.len()]
                        .trim_end()
                        .ends_with(|c: char| ".*/%".contains(c));
                let rest = &code[at + 1..];
                let after = rest.strip_prefix('=').unwrap_or(rest).trim_start();
                let right = &after[..after.find(|c: char| !in_number(c)).unwrap_or(after.len())];
                let right_alone = a_number(right)
                    && !after[right.len()..]
                        .trim_start()
                        .starts_with(|c: char| ".(:".contains(c));
                let by_a_duration =
                    a_constant_duration_before(before) || a_constant_duration_after(after);
                multiplies
                    && !left_alone
                    && !right_alone
                    && !by_a_duration
                    && !a_macro_repetition(before)
            })
            .count()
    }

    /// Whether `before` ends with the `$( .. )` of a `macro_rules!` repetition, so that the
    /// `*` after it repeats (`$($arg:tt)*`), and does not multiply.
    fn a_macro_repetition(before: &str) -> bool {
        let Some(inner) = before.strip_suffix(')') else {
            return false;
        };
        let mut depth = 0;
        for (at, c) in inner.char_indices().rev() {
            match c {
                ')' => depth += 1,
                '(' if depth == 0 => return inner[..at].trim_end().ends_with('$'),
                '(' => depth -= 1,
                _ => {}
            }
        }
        false
    }

    /// Whether `before` ends with a whole `macro_rules!` repetition of values, `$($n)*`,
    /// `$($n)+` or `$($n),*` (not of statements, `$( $x; )*`): a `*` after it multiplies
    /// (`$($n)* * $($n)*` squares what the macro is given).
    fn a_macro_repetition_of_values(before: &str) -> bool {
        let Some(rest) = before.strip_suffix(['*', '+', '?']) else {
            return false;
        };
        // A separator between the `)` and the operator (`$($n),*`), if any.
        let rest = rest.trim_end();
        let separator_at = rest
            .trim_end_matches(|c: char| {
                !(c.is_alphanumeric() || c.is_whitespace() || "()[]{}$_".contains(c))
            })
            .len();
        let (rest, separator) = rest.split_at(separator_at);
        let rest = rest.trim_end();
        let Some(inner) = rest.strip_suffix(')') else {
            return false;
        };
        let statements = separator.contains(';') || inner.trim_end().ends_with([';', '}']);
        a_macro_repetition(rest) && !statements
    }

    /// Whether `word` is a number written alone: `10`, `100u64` or `100.0` (not `x.0`, a field,
    /// nor `2.pow`, nor `1 + n`).
    fn a_number(word: &str) -> bool {
        word.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
            && word.split('.').count() <= 2
            && word
                .split('.')
                .all(|part| part.starts_with(|c: char| c.is_ascii_digit()))
    }

    /// `code` with each `const` or `static` that holds a number written alone (`const
    /// MS_PER_UNIT: u64 = 10;`), or a Duration made from one (`const UNIT: Duration =
    /// Duration::from_millis(10);`), replaced by that value wherever it is named.
    fn with_constants_inlined(code: &str) -> String {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let mut constants = Vec::new();
        for keyword in ["const ", "static "] {
            for (at, _) in code.match_indices(keyword) {
                let rest = &code[at + keyword.len()..];
                let name: String = rest.chars().take_while(|&c| is_word(c)).collect();
                let value = rest
                    .split_once(';')
                    .and_then(|(item, _)| item.split_once('='));
                if let Some((_, value)) = value
                    && !name.is_empty()
                    && !code[..at].ends_with(is_word)
                    && rest[name.len()..].trim_start().starts_with(':')
                    && (a_number(value.trim()) || a_constant_duration_after(value.trim()))
                {
                    constants.push((name, value.trim().to_string()));
                }
            }
        }
        let mut code = code.to_string();
        for (name, value) in constants {
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
        code
    }

    /// The arguments of the call that `after` opens with `(`, trimmed.
    fn call_arguments(after: &str) -> Vec<&str> {
        let Some(inside) = after.strip_prefix('(') else {
            return Vec::new();
        };
        let (mut depth, mut from, mut args) = (0, 0, Vec::new());
        for (i, c) in inside.char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => {
                    args.push(inside[from..i].trim());
                    break;
                }
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    args.push(inside[from..i].trim());
                    from = i + 1;
                }
                _ => {}
            }
        }
        args
    }

    /// The Duration constructors: one of them given a number alone is a constant.
    const DURATIONS: [&str; 8] = [
        "from_secs",
        "from_millis",
        "from_micros",
        "from_nanos",
        "from_secs_f32",
        "from_secs_f64",
        "from_mins",
        "from_hours",
    ];

    /// Whether `before` ends with a Duration made from a number alone, `from_millis(10)`.
    fn a_constant_duration_before(before: &str) -> bool {
        let Some(inner) = before.strip_suffix(')') else {
            return false;
        };
        let Some(open) = inner.rfind('(') else {
            return false;
        };
        let name = inner[..open]
            .trim_end()
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        let number = inner[open + 1..].trim();
        DURATIONS.contains(&name)
            && number.starts_with(|c: char| c.is_ascii_digit())
            && number
                .chars()
                .all(|c| c.is_alphanumeric() || "_.".contains(c))
    }

    /// Whether `after` starts with a Duration made from a number alone
    /// (`Duration::from_millis(10)`), and nothing is called on it.
    fn a_constant_duration_after(after: &str) -> bool {
        let path_len = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(after.len());
        let (path, rest) = after.split_at(path_len);
        let Some(call) = rest.trim_start().strip_prefix('(') else {
            return false;
        };
        let Some(close) = call.find(')') else {
            return false;
        };
        a_constant_duration_before(&format!("{path}({}", &call[..=close]))
            && !call[close + 1..].trim_start().starts_with('.')
    }

    /// How many times `code` calls or names a function that multiplies (`pow`, `powi`, `powf`,
    /// `checked_mul`, `wrapping_pow`, `mul`, `mul_add`, `mul_f64`, `product`, ...), unless it is
    /// called on a Duration made from a number alone: as a method or path
    /// (`.powi(2)`, `u64::pow`, `Mul::mul`, `.product::<u64>()`) or called by name (`pow(..)`).
    fn multiplying_calls(code: &str) -> usize {
        const NAMES: [&str; 7] = [
            "pow",
            "powi",
            "powf",
            "mul",
            "mul_add",
            "mul_assign",
            "product",
        ];
        let mut count = 0;
        let mut rest = code;
        let mut at = 0;
        while let Some(start) = rest.find(|c: char| c.is_alphanumeric() || c == '_') {
            let word_len = rest[start..]
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len() - start);
            let word = &rest[start..start + word_len];
            let before = code[..at + start].trim_end();
            let after = rest[start + word_len..].trim_start();
            let on_a_constant_duration = before
                .strip_suffix('.')
                .is_some_and(|receiver| a_constant_duration_before(receiver.trim_end()));
            // A product with a number written alone (`done.saturating_mul(100)`,
            // `10u64.checked_mul(n)`, `u64::wrapping_mul(n, 10)`) cannot square; a power can.
            let by_a_number = word.contains("mul") && {
                let receiver = before.strip_suffix('.').map_or("", |receiver| {
                    let receiver = receiver.trim_end();
                    receiver
                        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                        .next()
                        .unwrap_or("")
                });
                let args = call_arguments(after);
                let factors = if before.ends_with('.') { 1 } else { 2 };
                // A number converted (`MS as u64`, `u64::from(10u32)`) is still a number.
                let converted = |arg: &str| {
                    let arg = arg.strip_suffix(".into()").unwrap_or(arg);
                    let arg = (arg.strip_suffix(')'))
                        .and_then(|arg| arg.split_once("::from(").map(|(_, inner)| inner))
                        .unwrap_or(arg);
                    a_number(arg.split(" as ").next().unwrap_or_default().trim())
                };
                a_number(receiver) || args.iter().take(factors).any(|arg| converted(arg))
            };
            // A checked product whose result is only tested, never used as a value
            // (`n.checked_mul(n).is_none()`, `matches!(n.checked_pow(2), None)`,
            // `n.overflowing_mul(n).1`): a guard on the input, not a square.
            let only_tested = (word.starts_with("checked_") || word.starts_with("overflowing_"))
                && {
                    let mut depth = 0;
                    let tail = after.strip_prefix('(').and_then(|inside| {
                        inside.char_indices().find_map(|(i, c)| match c {
                            '(' | '[' | '{' => {
                                depth += 1;
                                None
                            }
                            ')' | ']' | '}' if depth == 0 => Some(&inside[i + 1..]),
                            ')' | ']' | '}' => {
                                depth -= 1;
                                None
                            }
                            _ => None,
                        })
                    });
                    tail.is_some_and(|tail| {
                        let tail: String = tail.chars().filter(|c| !c.is_whitespace()).collect();
                        let head = before
                            .trim_end_matches(|c: char| {
                                c.is_alphanumeric() || c == '_' || c == '.' || c == ':'
                            })
                            .trim_end();
                        [".is_none()", ".is_some()", "==None", "!=None"]
                            .iter()
                            .any(|test| tail.starts_with(test))
                            || (head.ends_with("matches!(") && tail.starts_with(",None)"))
                            || (word.starts_with("overflowing_")
                                && tail.starts_with(".1")
                                && !tail[2..].starts_with(|c: char| c.is_alphanumeric()))
                    })
                };
            if (NAMES.contains(&word)
                || word.starts_with("mul_")
                || word.ends_with("_mul")
                || word.ends_with("_pow"))
                && (before.ends_with('.') || before.ends_with("::") || after.starts_with('('))
                && !on_a_constant_duration
                && !by_a_number
                && !only_tested
            {
                count += 1;
            }
            at += start + word_len;
            rest = &rest[start + word_len..];
        }
        count
    }

    /// Squares worked out beside a JoinSet that was drained look the same from outside, so this
    /// test reads the source (what a message prints, or a check says, is free).
    #[test]
    fn the_squares_are_not_worked_out_by_hand() {
        let code = with_constants_inlined(&without_messages(&code_outside_main(include_str!(
            "joinset_collect_all.rs"
        ))));
        // square_slowly, as given, multiplies n by n once (`n * n`; `10 * n` is by a constant,
        // and so is a product by a `const` that holds a number).
        let products = multiplications(&code) + multiplying_calls(&code);
        assert!(
            products <= 1,
            "the code multiplies outside square_slowly too (two values with `*`, not counting \
             a product with a number such as `60 * 60`, a `const` that holds one, or a Duration \
             such as `Duration::from_secs(1) * n`, or a call such as pow, powi, mul or product, \
             nor a test of your own; a number kept in a `let` counts as a value): every \
             square must be what a task in the JoinSet hands back, so take it from each \
             join_next() result (for a progress line or a time limit, write the factor in \
             place or as a `const`)"
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

    /// Here the runtime is busy for ten minutes (paused time) before the tasks get to run, so
    /// they finish ten minutes late: square_all must still hand back every square they make.
    /// (A safety-net time limit that panics is fine.)
    #[tokio::test(start_paused = true)]
    async fn tasks_that_start_late_still_give_every_square() {
        let start = Instant::now();
        let (at_once, outcome) = held_up(
            Duration::from_secs(600),
            watched(square_all(vec![5, 2, 4, 1, 3])),
        )
        .await;
        let elapsed = start.elapsed();
        assert!(
            !at_once,
            "square_all returned (or panicked) at once, before any of its tasks had run: the \
             squares must come from the tasks in the JoinSet"
        );
        let Some(outcome) = outcome else {
            return;
        };
        let mut squares = outcome.unwrap_or_else(|message| panic!("{message}"));
        squares.sort_unstable();
        assert!(
            squares == [1, 4, 9, 16, 25],
            "here the runtime was busy for 600 s before the 5 tasks ran, so they finished \
             between 600.01 s and 600.05 s, and square_all returned {squares:?} (sorted) after \
             {elapsed:?} instead of [1, 4, 9, 16, 25]: take each square from join_next() and \
             keep awaiting it until it returns None, however late the tasks run"
        );
    }

    /// One number, two, seven, and 2500 (1 to 10 each, so over two thousand and not a round
    /// number): whatever their count, every number gets its square back, and the tasks all run
    /// at once, so square_all takes as long as its slowest square.
    #[tokio::test(start_paused = true)]
    async fn any_count_of_numbers_takes_the_time_of_the_slowest_square() {
        let many: Vec<u64> = (0..2500).map(|i| i % 10 + 1).collect();
        for numbers in [vec![3], vec![4, 2], vec![5, 2, 7, 1, 3, 6, 4], many] {
            let count = numbers.len();
            let mut expected: Vec<u64> = numbers.iter().map(|n| n * n).collect();
            expected.sort_unstable();
            let slowest = Duration::from_millis(10 * numbers.iter().max().copied().unwrap_or(0));
            let shown = if count <= 10 {
                format!("{numbers:?}")
            } else {
                format!("{count} numbers (each 1 to 10)")
            };
            let start = Instant::now();
            let mut squares = watched_for(count as u128, square_all(numbers))
                .await
                .unwrap_or_else(|message| panic!("{message}"));
            let took = start.elapsed();
            squares.sort_unstable();
            if squares != expected {
                let seen = if count <= 10 {
                    format!("{squares:?} (sorted), not {expected:?}")
                } else {
                    format!("{} squares for {count} numbers", squares.len())
                };
                panic!(
                    "square_all of {shown} returned {seen}: keep calling join_next() until it \
                     returns None and keep every square it hands back, however many numbers \
                     there are (one, two or thousands)"
                );
            }
            assert!(
                took <= slowest,
                "square_all of {shown} returned every square after {took:?}, not after \
                 {slowest:?}, the time of its slowest square: its tasks did not all run at \
                 once for this count of numbers. Spawn one task per number into the JoinSet, \
                 all before the first join_next() and none waiting for another, whatever the \
                 count (one, two or thousands): the whole batch then takes as long as the \
                 slowest square"
            );
        }
    }

    /// A thousand numbers (1 to 10 each, so the tasks all end within 100 ms): every one of them
    /// gets its square back, however many there are.
    #[tokio::test(start_paused = true)]
    async fn a_thousand_numbers_give_a_thousand_squares() {
        let numbers: Vec<u64> = (0..1000).map(|i| i % 10 + 1).collect();
        let mut expected: Vec<u64> = numbers.iter().map(|n| n * n).collect();
        expected.sort_unstable();
        let start = Instant::now();
        // 1 ms in, the tasks alive: all 1000 if they all run at once.
        let alive_early = tokio::spawn(async {
            tokio::time::sleep(Duration::from_millis(1)).await;
            tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks()
                .saturating_sub(1)
        });
        let mut squares = squares_of(numbers).await;
        let took = start.elapsed();
        let alive_early = alive_early
            .await
            .expect("the test's task that counts tasks failed");
        squares.sort_unstable();
        assert_eq!(
            squares.len(),
            1000,
            "1000 numbers went in but square_all returned {} squares: keep calling join_next() \
             until it returns None, however many tasks there are",
            squares.len()
        );
        assert!(
            squares == expected,
            "square_all returned 1000 values for 1000 numbers (each 1 to 10), but not their \
             squares: take each square from the result join_next() gives back"
        );
        // Every squaring takes 10 to 100 ms: all at once, the slowest ends at 100 ms.
        let slowest = Duration::from_millis(100);
        assert!(
            took <= slowest,
            "square_all of 1000 numbers (each square takes 10 to 100 ms) returned every square \
             after {took:?}, not after {slowest:?}, the time of the slowest one; 1 ms in, \
             {alive_early} task(s) were alive. {}",
            if alive_early >= 1000 {
                format!(
                    "So all 1000 tasks had been spawned by then, and if none waited for a \
                     turn, square_all returned {:?} after the slowest square was over: as if \
                     it waited on after its last task (join_next() gives None once the set is \
                     empty: return the squares then, with no wait of its own)",
                    took - slowest
                )
            } else {
                String::from(
                    "With one task per number, all spawned before the first join_next() and \
                     none waiting for a turn, they all run at once: the whole batch takes as \
                     long as the slowest square, however many numbers there are",
                )
            }
        );
    }

    /// square_slowly(u64::MAX) panics at once (its `10 * n` overflows), so that task fails
    /// first, before the tasks for 1 and 3 have finished: square_all may panic (`.expect`) or
    /// leave the failed number out, but must not drop the squares of the tasks that went well.
    #[tokio::test(start_paused = true)]
    async fn a_failed_task_does_not_drop_the_others() {
        if !cfg!(debug_assertions) {
            // Built without overflow checks, square_slowly(u64::MAX) does not panic.
            return;
        }
        let outcome = tokio::spawn(watched(square_all(vec![1, u64::MAX, 3]))).await;
        let Ok(outcome) = outcome else {
            return;
        };
        let mut squares = outcome.unwrap_or_else(|message| {
            panic!(
                "here the task for u64::MAX panicked at once (square_slowly's `10 * n` \
                 overflows), and square_all([1, u64::MAX, 3]) did not return: {message}"
            )
        });
        squares.sort_unstable();
        assert!(
            squares == [1, 9],
            "square_all([1, u64::MAX, 3]) returned {squares:?} (sorted): the task for u64::MAX \
             panicked at once (square_slowly's `10 * n` overflows), the tasks for 1 and 3 went \
             well and their squares are 1 and 9. Keep calling join_next() until it returns \
             None: let a failed task's error show (`.expect(..)`), or leave that one number \
             out, but keep every square the other tasks hand back"
        );
    }

    /// While square_all waits for 5 numbers, 5 tasks (one per number) are alive on the runtime.
    #[tokio::test(start_paused = true)]
    async fn five_numbers_run_in_five_tasks() {
        let mut squaring = std::pin::pin!(square_all(vec![5, 2, 4, 1, 3]));
        let first_step = std::future::poll_fn(|cx| Poll::Ready(squaring.as_mut().poll(cx))).await;
        assert!(
            first_step.is_pending(),
            "square_all returned at once, before any of its tasks had run: the squares must \
             come from the tasks in the JoinSet"
        );
        // 1 ms in: the tasks have started, and square_slowly(1) ends only at 10 ms.
        tokio::time::advance(Duration::from_millis(1)).await;
        let alive = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        assert!(
            alive >= 5,
            "1 ms after square_all started on 5 numbers, only {alive} task(s) were alive on \
             the runtime, not 5: spawn one task per number into the JoinSet \
             (set.spawn(square_slowly(n))), all of them in one go (no .await between the \
             spawns) before the first join_next(), so that they run at the same time"
        );
        let mut squares = watched(squaring)
            .await
            .unwrap_or_else(|message| panic!("{message}"));
        squares.sort_unstable();
        assert_eq!(squares, [1, 4, 9, 16, 25], "wrong squares (sorted)");
    }

    /// A real program's runtime (`#[tokio::main]`) has worker threads of its own, and the
    /// tasks run there, never on the thread that called `block_on`: here square_all is called
    /// from the test's own thread, so no task shares its thread. (The real clock: the slowest
    /// square takes 40 ms.)
    #[test]
    fn square_all_works_on_a_multi_thread_runtime() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("the test's runtime could not be built");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), square_all(vec![3, 1, 4, 2])).await
            })
        }));
        let seen = match outcome {
            Ok(Ok(mut squares)) => {
                squares.sort_unstable();
                if squares == [1, 4, 9, 16] {
                    return;
                }
                format!("returned {squares:?} (sorted), not [1, 4, 9, 16]")
            }
            Ok(Err(_)) => String::from("had not returned after 5 s (the squares take 40 ms)"),
            Err(panic) => format!(
                "panicked ({})",
                panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default()
            ),
        };
        let alone = on_one_thread(|| square_all(vec![3, 1, 4, 2])).map(|mut squares| {
            squares.sort_unstable();
            squares
        });
        if alone.as_deref() != Some(&[1, 4, 9, 16][..]) {
            panic!(
                "on a multi-thread runtime (the kind #[tokio::main] builds), called from \
                 outside its worker threads, square_all(vec![3, 1, 4, 2]) {seen}; on a runtime \
                 of one thread it does not give [1, 4, 9, 16] either"
            );
        }
        panic!(
            "on a multi-thread runtime (the kind #[tokio::main] builds), called from outside its \
             worker threads, square_all(vec![3, 1, 4, 2]) {seen}, though on a runtime of one \
             thread it gives [1, 4, 9, 16]: a result left on the thread that computed it (a \
             thread_local, anything kept per thread) is lost when the task runs on another \
             thread. Hand each square back through its task's output (what join_next() gives) \
             or a channel"
        );
    }

    /// The most tasks alive at once on `runtime` (beside those alive before) while square_all
    /// works on 5 numbers whose squarings each take 1000 s, so that none of them ends
    /// meanwhile: square_all is polled, then again every 1 ms of the runtime's clock, until 5
    /// tasks are alive, it returns, or 2 s have passed on that clock.
    fn most_tasks_alive_at_once(runtime: &tokio::runtime::Runtime) -> usize {
        runtime.block_on(async {
            let alive = || {
                tokio::runtime::Handle::current()
                    .metrics()
                    .num_alive_tasks()
            };
            let before = alive();
            let start = Instant::now();
            let mut squaring = std::pin::pin!(square_all((100_001..=100_005).collect()));
            let mut most = 0;
            loop {
                let done =
                    std::future::poll_fn(|cx| Poll::Ready(squaring.as_mut().poll(cx).is_ready()))
                        .await;
                most = most.max(alive().saturating_sub(before));
                if most >= 5 || done || start.elapsed() >= Duration::from_secs(2) {
                    return most;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    }

    /// On a multi-thread runtime whose clock runs in real time (the kind #[tokio::main]
    /// builds), as on the paused clock of the other tests, square_all spawns a task for every
    /// number before it waits for the first one: all 5 are alive at once.
    #[test]
    fn every_task_is_spawned_at_once_when_the_clock_runs() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("the test's runtime could not be built");
        let most = most_tasks_alive_at_once(&runtime);
        // Its tasks sleep for 1000 s: they end with the runtime, not waited for.
        runtime.shutdown_background();
        if most >= 5 {
            return;
        }
        let paused = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("the test's runtime could not be built");
        let most_paused = most_tasks_alive_at_once(&paused);
        let clock = if most_paused >= 5 {
            String::from(
                ", though on a runtime whose clock is paused (as in the other tests) all 5 \
                 were: the code runs its tasks otherwise when the clock runs (does it check \
                 whether the clock is paused?). Whatever the clock,",
            )
        } else {
            String::from(":")
        };
        panic!(
            "on a multi-thread runtime whose clock runs in real time (the kind #[tokio::main] \
             builds), square_all on 5 numbers (each square takes 1000 s, so none ends \
             meanwhile) had at most {most} task(s) alive at once in 2 s, not 5{clock} spawn \
             one task per number into the JoinSet (set.spawn(square_slowly(n))), all of them \
             before the first join_next(), so that they run at the same time"
        );
    }

    /// Two calls of square_all at once (in one task, as `tokio::join!` runs them) each return
    /// the squares of their own numbers. Their squares come in turn (1, 4, 9, 16, 25, 36 at 10,
    /// 20, .. 60 ms), so a buffer the calls share (a `static`, or a `thread_local!`, which a
    /// call on #[tokio::main]'s runtime does not even keep to itself: its task moves between
    /// threads) hands one call squares of the other's numbers.
    #[tokio::test(start_paused = true)]
    async fn two_calls_at_once_keep_their_own_squares() {
        let (first, second) = tokio::join!(squares_of(vec![1, 3, 5]), squares_of(vec![2, 4, 6]));
        let (mut first_sorted, mut second_sorted) = (first.clone(), second.clone());
        first_sorted.sort_unstable();
        second_sorted.sort_unstable();
        // All six squares came back, but split between the calls otherwise than their numbers
        // were: the calls wrote into one buffer. Otherwise say only what came back.
        let mut all = [first.clone(), second.clone()].concat();
        all.sort_unstable();
        let why = if all == [1, 4, 9, 16, 25, 36] {
            "the squares of one call's numbers ended up in the other's result: collect them in \
             a Vec of the call's own (a local variable), not in a static or thread_local buffer \
             that every call shares"
        } else {
            "each call must return the square of each of its own numbers, and only those"
        };
        assert!(
            first_sorted == [1, 9, 25] && second_sorted == [4, 16, 36],
            "two calls of square_all at once, one on [1, 3, 5] and one on [2, 4, 6], returned \
             {first:?} and {second:?}: {why}"
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
