// busy_wait_flag
//
// A `Door` starts closed; one task opens it, other tasks wait for it with `wait_open`.
// `wait_open` checks the flag again and again in a tight loop and never reaches an `.await`, so it
// never hands the thread back to the runtime. On a single-threaded runtime the task that would
// open the door never gets to run, and the waiter spins forever: the tests hang.
//
// Make `wait_open` give other tasks a chance to run. Giving the thread back on every turn of the
// loop works; having `open` wake the waiters (with `tokio::sync::Notify`) is even better.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

struct Door {
    opened: AtomicBool,
}

impl Door {
    fn new() -> Self {
        Door {
            opened: AtomicBool::new(false),
        }
    }

    fn open(&self) {
        self.opened.store(true, Ordering::SeqCst);
    }

    fn is_open(&self) -> bool {
        self.opened.load(Ordering::SeqCst)
    }

    async fn wait_open(&self) {
        while !self.is_open() {
            // TODO: this loop never lets any other task run.
            std::hint::spin_loop();
        }
    }
}

// A single-threaded runtime, like the tests': a spinning task blocks everything.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let door = Arc::new(Door::new());
    let opener = Arc::clone(&door);
    tokio::spawn(async move { opener.open() });
    door.wait_open().await;
    println!("the door is open");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    /// Awaits `waiting`, a waiter at a door that is open (or opens now), for 1 s of real time
    /// at most (these tests run on the real clock).
    async fn through_within_a_second<T>(
        who: &str,
        waiting: impl std::future::Future<Output = T>,
    ) -> T {
        match tokio::time::timeout(Duration::from_secs(1), waiting).await {
            Ok(through) => through,
            Err(_) => panic!(
                "{who} was still waiting 1 s (of real time) after the door was opened: \
                 wait_open must return soon after its door opens. Have open wake the waiters \
                 (tokio::sync::Notify), or, if wait_open checks the flag on a timer, check it \
                 far more often than once a second"
            ),
        }
    }

    #[tokio::test]
    async fn waiter_lets_the_opener_run() {
        let door = Arc::new(Door::new());
        let opener = tokio::spawn({
            let door = Arc::clone(&door);
            async move { door.open() }
        });
        through_within_a_second(
            "a waiter at a door opened by another task",
            door.wait_open(),
        )
        .await;
        assert!(door.is_open(), "wait_open returned but the door is closed");
        opener.await.expect("the opener task failed");
    }

    #[tokio::test]
    async fn waiting_task_wakes_up_when_the_door_opens() {
        let door = Arc::new(Door::new());
        let waiter = tokio::spawn({
            let door = Arc::clone(&door);
            async move {
                door.wait_open().await;
                "inside"
            }
        });
        // Let the waiter start waiting before the door opens.
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        assert!(
            !waiter.is_finished(),
            "the waiter finished before the door was opened: wait_open must wait"
        );
        door.open();
        assert_eq!(
            through_within_a_second("the waiting task", waiter)
                .await
                .expect("the waiter task failed"),
            "inside",
            "the waiter should get through once the door is open"
        );
    }

    /// 300 waiters at one door: `open` must wake each of them, however many wait (a
    /// `notify_one` rung a fixed number of times, 4 or 100 or 256, leaves the others waiting).
    #[tokio::test(start_paused = true)]
    async fn every_waiter_gets_through() {
        const WAITERS: usize = 300;
        let door = Arc::new(Door::new());
        let mut waiters: Vec<_> = (0..WAITERS)
            .map(|_| {
                let door = Arc::clone(&door);
                tokio::spawn(async move {
                    door.wait_open().await;
                })
            })
            .collect();
        // Let the waiters start waiting before the door opens.
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        door.open();
        let mut stuck = Vec::new();
        for (n, waiter) in waiters.iter_mut().enumerate() {
            if tokio::time::timeout(Duration::from_secs(1), waiter)
                .await
                .is_err()
            {
                stuck.push(n + 1);
            }
        }
        if !stuck.is_empty() {
            // The paused clock jumps ahead whenever the runtime has nothing to run. Are the
            // others woken from outside the runtime (on the real clock)? Keep the runtime busy
            // (so its clock stands still) for up to a second of real time, and see.
            let real = std::time::Instant::now();
            let waiting = |waiters: &[tokio::task::JoinHandle<()>]| -> Vec<usize> {
                (stuck.iter().copied())
                    .filter(|&n| !waiters[n - 1].is_finished())
                    .collect()
            };
            while real.elapsed() < Duration::from_secs(1) && !waiting(&waiters).is_empty() {
                tokio::task::yield_now().await;
            }
            let still = waiting(&waiters);
            let which = |list: &[usize]| {
                let mut names: Vec<String> = list.iter().take(5).map(|n| n.to_string()).collect();
                if list.len() > 5 {
                    names.push(format!("{} more", list.len() - 5));
                }
                let (s, verb) = if list.len() == 1 {
                    ("", "was")
                } else {
                    ("s", "were")
                };
                format!("waiter{s} {} of {WAITERS} {verb}", names.join(" and "))
            };
            let through = WAITERS - stuck.len();
            if still.is_empty() {
                panic!(
                    "{} still waiting 1 s (of the test's paused clock) after the door opened \
                     ({through} of {WAITERS} got through), and got through {} ms of real time \
                     later, \
                     while the test kept the runtime busy and its clock stood still: they were \
                     woken from outside this runtime's tasks and timers (by a thread of its own \
                     that watches the flag, say), which its clock does not wait for: with \
                     nothing left to run, it jumped ahead. Have `open` itself wake every \
                     waiting task (Notify::notify_waiters)",
                    which(&stuck),
                    real.elapsed().as_millis()
                );
            }
            panic!(
                "{} still waiting 1 s (of the test's paused clock) after the door opened, and \
                 still a second of real time later ({through} of {WAITERS} got through): \
                 `open` must wake every waiting task, however many there are. Some ways to miss \
                 one: `open` wakes only one, or a fixed number (Notify::notify_one or \
                 notify_last, even rung several times, where notify_waiters wakes them all), \
                 wait_open checks the flag only now and then (on a timer of a second or more), \
                 or a waiter that came after the opening waits for the next one (a watch \
                 receiver's changed(), or a Notified, awaited without first looking whether \
                 the door is already open)",
                which(&still)
            );
        }
        for later in 1..=2 {
            let through = tokio::time::timeout(Duration::from_secs(1), door.wait_open()).await;
            assert!(
                through.is_ok(),
                "a task that came to the open door (visit {later}) was still waiting 1 s later: \
                 once open, the door stays open, so wait_open must check the flag and return \
                 at once"
            );
        }
    }

    /// Waiters that give up (a `select!` whose other branch wins, a timeout) at a door that
    /// stays closed: once their `wait_open` futures are dropped, nothing of theirs may stay
    /// behind. A door that is waited on for hours by callers that give up after a while would
    /// otherwise gather a task per wait that gave up.
    #[tokio::test(start_paused = true)]
    async fn a_waiter_that_gives_up_leaves_no_task_behind() {
        const GAVE_UP: usize = 100;
        let door = Arc::new(Door::new());
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        let turns = |count: usize| async move {
            for _ in 0..count {
                tokio::task::yield_now().await;
            }
        };
        for _ in 0..GAVE_UP {
            // The wait is polled first on each turn, and dropped after three turns.
            tokio::select! {
                biased;
                () = door.wait_open() => panic!(
                    "wait_open returned although nobody opened the door: it must wait for as \
                     long as it takes"
                ),
                () = turns(3) => {}
            }
        }
        // Give whatever they left a few turns and a second of the paused clock to end.
        turns(10).await;
        tokio::time::advance(Duration::from_secs(1)).await;
        turns(10).await;
        let left = metrics.num_alive_tasks().saturating_sub(before);
        door.open();
        turns(10).await;
        assert!(
            left < 10,
            "{GAVE_UP} waiters gave up at a door that stayed closed (their wait_open futures \
             were dropped, as a timeout or a select! does), and 1 s later (of the test's paused \
             clock) {left} tasks they started were still alive: wait_open hands the waiting to \
             a spawned task that nobody stops when the wait is dropped, so every wait that \
             gives up adds a task for good (one that checks the flag on a timer keeps using \
             the CPU too). Wait in wait_open itself (have `open` wake the waiters, \
             tokio::sync::Notify: a dropped `notified()` leaves nothing behind), or abort the \
             task when the wait is dropped"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn open_door_does_not_block() {
        let door = Door::new();
        door.open();
        let through = tokio::time::timeout(Duration::from_secs(1), door.wait_open()).await;
        assert!(
            through.is_ok(),
            "wait_open on a door that was already open was still waiting 1 s later: check the \
             flag before waiting (Notify::notify_waiters wakes only the tasks waiting at that \
             moment)"
        );
        assert!(door.is_open(), "the door should stay open");
    }

    #[tokio::test]
    async fn opening_one_door_does_not_let_through_a_waiter_at_another() {
        let front = Door::new();
        let back = Arc::new(Door::new());
        let waiter = tokio::spawn({
            let back = Arc::clone(&back);
            async move { back.wait_open().await }
        });
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        front.open();
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let why = if back.is_open() {
            "and the back door's is_open() says true although only the front door was opened: \
             each door must have a flag of its own (a field of Door, not a static shared by \
             every door)"
        } else {
            "while the back door's is_open() still says false: wait_open must return only once \
             its own door is open (a signal shared by every door, a static Notify say, may \
             wake it: check the door's own flag again after every wake-up)"
        };
        assert!(
            !waiter.is_finished(),
            "a task waiting at the back door got through when only the front door was opened, \
             {why}"
        );
        back.open();
        through_within_a_second("the task waiting at the back door", waiter)
            .await
            .expect("the waiter task failed");
    }

    #[tokio::test]
    async fn waiter_never_gets_through_a_closed_door() {
        let door = Arc::new(Door::new());
        let waiter = tokio::spawn({
            let door = Arc::clone(&door);
            async move { door.wait_open().await }
        });
        // Nobody opens the door: give the waiter many turns, then a while on the real clock.
        // A waiter's turn takes a microsecond or two when its loop gives the thread back at
        // once, some 20 to 30 µs when it yields only once its task's budget is spent
        // (consume_budget: 128 checks a turn); one that blocks the thread first (a sleep of
        // 100 µs before the yield) makes every turn at least that long. Shorter blocking
        // sleeps are named in the source (wait_open_never_blocks_its_thread). The OS can
        // stretch some turns, not each of the first 100.
        let mut shortest_turn = Duration::MAX;
        for turn in 0..10_000 {
            let start = std::time::Instant::now();
            tokio::task::yield_now().await;
            if turn < 100 {
                shortest_turn = shortest_turn.min(start.elapsed());
            } else if turn == 100 {
                assert!(
                    shortest_turn < Duration::from_micros(100),
                    "each of the waiter's first 100 turns held the thread for at least {} µs of \
                     real time (the shortest; a turn that only yields takes a µs or two): \
                     wait_open still blocks the thread on every turn of its loop (a \
                     std::thread::sleep, even of 1 µs, a Condvar's wait or wait_timeout, a \
                     spin), even if it also awaits. Give the thread back at once: \
                     tokio::task::yield_now().await, or better, wait for open's signal \
                     (tokio::sync::Notify)",
                    shortest_turn.as_micros()
                );
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(
            !waiter.is_finished() || door.is_open(),
            "wait_open returned although nobody opened the door: it must wait for as long as it \
             takes, not give up after a number of tries or a while"
        );
        assert!(
            !door.is_open(),
            "nobody opened this door, yet its is_open() says true: its flag was set by the \
             open of another door (tests run at the same time). Each door must have a flag of its own (a field of Door, not a static \
             shared by every door)"
        );
        // A waiter that gives up after a longer while (a timeout around its wait) and goes on
        // as if the door were open: a day passes on the paused clock. A safety net that
        // panics instead is fine.
        tokio::time::pause();
        tokio::time::advance(Duration::from_secs(24 * 60 * 60)).await;
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        tokio::time::resume();
        if waiter.is_finished() {
            let gave_up = waiter.await;
            assert!(
                matches!(&gave_up, Err(error) if error.is_panic()),
                "wait_open returned, without a panic, within a day (of the test's paused \
                 clock) although nobody opened the door: a caller would go on as if it were \
                 open. It must wait for as long as it takes (a safety net that panics after a \
                 second or more is fine; one that returns quietly is not)"
            );
            return;
        }
        door.open();
        through_within_a_second("the waiting task", waiter)
            .await
            .expect("the waiter task failed");
    }

    /// A runtime on the real clock whose only blocking thread (`max_blocking_threads(1)`) this
    /// test keeps busy while a waiter waits at a door that opens: a waiter that waits on the
    /// blocking pool (a loop in spawn_blocking) cannot even start there. Such a loop is the
    /// busy wait this exercise removes, moved to another thread, one per waiter.
    #[test]
    fn waiting_needs_no_blocking_thread() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let (busy_tx, busy_rx) = std::sync::mpsc::channel::<()>();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let (through, later) = runtime.block_on(async {
            let blocker = tokio::task::spawn_blocking(move || {
                let _ = busy_tx.send(());
                let _ = done_rx.recv_timeout(Duration::from_secs(5));
            });
            busy_rx
                .recv_timeout(Duration::from_secs(5))
                .expect("the test's blocking task did not start");
            let door = Arc::new(Door::new());
            let mut waiter = tokio::spawn({
                let door = Arc::clone(&door);
                async move {
                    door.wait_open().await;
                }
            });
            // Let the waiter start waiting before the door opens.
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            door.open();
            let wait = Duration::from_secs(1);
            let through = tokio::time::timeout(wait, &mut waiter).await.is_ok();
            let _ = done_tx.send(());
            blocker.await.expect("the test's blocking task failed");
            let later = through || tokio::time::timeout(wait, &mut waiter).await.is_ok();
            (through, later)
        });
        assert!(
            through || !later,
            "a task waiting in wait_open was still waiting 1 s (of real time) after the door \
             was opened, on a runtime whose only blocking thread (max_blocking_threads(1)) this \
             test kept busy, and got through as soon as the test let that thread go: wait_open \
             waits on the blocking pool (spawn_blocking), which takes one of its few threads \
             per waiter and cannot even start while they are busy. A loop there that checks the \
             flag is the busy wait this exercise removes, moved to another thread. Wait on the \
             runtime itself: have `open` wake the waiters (tokio::sync::Notify), or at least \
             call tokio::task::yield_now().await on every turn of the loop"
        );
        assert!(
            through,
            "a task waiting in wait_open was still waiting 2 s (of real time) after the door \
             was opened (on a runtime whose only blocking thread this test kept busy for the \
             first of them): wait_open must return soon after its door opens"
        );
    }

    /// The index of the `}` that closes the `{` at `open` (the last token if none does).
    fn closing_brace(tokens: &[String], open: usize) -> usize {
        let mut depth = 0;
        (open..tokens.len())
            .find(|&i| {
                match tokens[i].as_str() {
                    "{" => depth += 1,
                    "}" => depth -= 1,
                    _ => {}
                }
                depth == 0
            })
            .unwrap_or(tokens.len() - 1)
    }

    /// `tokens` without a `#[cfg(test)] mod NAME { .. }` of the learner's own tests, which
    /// nothing else names and which holds no `impl` or macro: such tests may block (a
    /// std::thread that opens the door later) or await a Notified as they like. Other
    /// attributes (`#[allow(..)]`) and a `pub` may stand between the cfg and `mod`.
    fn without_own_test_module(tokens: &mut Vec<String>) {
        let attribute = ["#", "[", "cfg", "(", "test", ")", "]"];
        let starts = |at: usize| (tokens[at..].iter().zip(attribute)).filter(|(t, a)| t == a);
        let module = |at: usize| {
            let mut i = at + attribute.len();
            while tokens.get(i).is_some_and(|t| t == "#" || t == "pub") {
                let closing = if tokens[i] == "#" { "]" } else { ")" };
                i += 1;
                if closing == "]" || tokens.get(i).is_some_and(|t| t == "(") {
                    i += tokens[i..].iter().position(|t| t == closing).unwrap_or(0) + 1;
                }
            }
            (tokens.get(i).is_some_and(|t| t == "mod")).then_some(i)
        };
        if let Some((at, m)) = (0..tokens.len())
            .filter(|&at| starts(at).count() == attribute.len())
            .find_map(|at| module(at).map(|m| (at, m)))
            && let Some(name) = tokens.get(m + 1).cloned()
            && tokens.get(m + 2).is_some_and(|t| t == "{")
        {
            let open = m + 2;
            let close = closing_brace(tokens, open);
            let inside = &tokens[open..=close];
            let named_elsewhere =
                (tokens[..at].iter().chain(&tokens[close + 1..])).any(|t| *t == name);
            if !named_elsewhere && !inside.iter().any(|t| t == "impl" || t == "macro_rules") {
                tokens.drain(at..=close);
            }
        }
    }

    /// A loop that blocks its thread for a moment on each turn before it yields (a
    /// std::thread::sleep, even of 1 µs, a Condvar's wait_timeout, a std channel's
    /// recv_timeout) lets the opener run, and how long such a turn takes depends on the OS's
    /// timers: this test reads the source, all of it but `fn main`, a test module of the
    /// learner's own and fns that nothing calls.
    #[test]
    fn wait_open_never_blocks_its_thread() {
        let source = include_str!("busy_wait_flag.rs");
        let code = without_comments_and_strings(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        );
        let mut tokens = tokens(&code);
        // `fn main`'s body, a demo, may block (a std::thread that opens the door later).
        if let Some(at) =
            (1..tokens.len()).find(|&at| tokens[at - 1] == "fn" && tokens[at] == "main")
            && let Some(open) = (at..tokens.len()).find(|&i| tokens[i] == "{")
        {
            let close = closing_brace(&tokens, open);
            tokens.drain(open..=close);
        }
        without_own_test_module(&mut tokens);
        // A fn that nothing in the code calls (a blocking `wait_open_blocking` kept for plain
        // threads, with `#[allow(dead_code)]`) never runs on the runtime's thread: its body is
        // left out, unless it is the door's own (`new`, `open`, `is_open`, `wait_open`) or
        // part of a trait's impl (which may be called without being named).
        let in_a_trait_impl = |tokens: &[String], at: usize| {
            let mut depth = 0;
            for open in (0..at).rev() {
                match tokens[open].as_str() {
                    "}" => depth += 1,
                    "{" if depth > 0 => depth -= 1,
                    "{" => {
                        let header: Vec<&str> = (tokens[..open].iter().rev())
                            .take_while(|t| !["{", "}", ";"].contains(&t.as_str()))
                            .map(String::as_str)
                            .collect();
                        return header.contains(&"impl") && header.contains(&"for");
                    }
                    _ => {}
                }
            }
            false
        };
        let mut kept_fns: Vec<usize> = Vec::new();
        loop {
            let unused = (1..tokens.len()).find(|&at| {
                tokens[at - 1] == "fn"
                    && !kept_fns.contains(&at)
                    && !["new", "open", "is_open", "wait_open"].contains(&tokens[at].as_str())
                    && tokens.iter().filter(|t| **t == tokens[at]).count() == 1
            });
            let Some(at) = unused else {
                break;
            };
            let body = (at..tokens.len()).find(|&i| tokens[i] == "{" || tokens[i] == ";");
            match body {
                Some(open) if tokens[open] == "{" && !in_a_trait_impl(&tokens, at) => {
                    let close = closing_brace(&tokens, open);
                    tokens.drain(at - 1..=close);
                    kept_fns.clear();
                }
                _ => kept_fns.push(at),
            }
        }
        let blocking = ["sleep", "park", "park_timeout"];
        // `thread::sleep(..)`, or a `use` of `std::thread` that brings one in (`use
        // std::thread::{sleep, yield_now};`).
        let mut found: Vec<&str> = (3..tokens.len())
            .filter(|&at| {
                tokens[at - 3..at] == ["thread", ":", ":"]
                    && blocking.contains(&tokens[at].as_str())
            })
            .map(|at| tokens[at].as_str())
            .collect();
        // `std::thread` under another name (`use std::thread as os;`, `use std::thread::{self
        // as t};`): `os::sleep(..)` is the same sleep.
        let mut thread_names = vec!["thread".to_string()];
        for (at, _) in tokens.iter().enumerate().filter(|(_, t)| *t == "use") {
            let item = tokens[at..].iter().take_while(|t| *t != ";");
            let item: Vec<&str> = item.map(String::as_str).collect();
            if item.contains(&"thread") {
                found.extend(item.iter().filter(|t| blocking.contains(t)));
                thread_names.extend((2..item.len()).filter_map(|i| {
                    let renamed = item[i - 1] == "as" && ["thread", "self"].contains(&item[i - 2]);
                    renamed.then(|| item[i].to_string())
                }));
            }
        }
        found.extend(
            (3..tokens.len())
                .filter(|&at| {
                    thread_names.contains(&tokens[at - 3])
                        && tokens[at - 2..at] == [":", ":"]
                        && blocking.contains(&tokens[at].as_str())
                })
                .map(|at| tokens[at].as_str()),
        );
        // A Condvar blocks where it is waited on: one that the code left here only notifies
        // (for threads outside the runtime) blocks nothing. Its waits are std's (a call
        // followed by `.await`, such as a watch receiver's `wait_for(..).await` or a Barrier's
        // `wait().await`, is an async wait, not a Condvar's).
        let waits = [
            "wait",
            "wait_timeout",
            "wait_timeout_ms",
            "wait_while",
            "wait_timeout_while",
        ];
        let awaited = |named: usize| {
            if tokens.get(named + 1).is_none_or(|t| t != "(") {
                return false;
            }
            let mut depth = 0;
            let close = (named + 1..tokens.len()).find(|&i| {
                match tokens[i].as_str() {
                    "(" => depth += 1,
                    ")" => depth -= 1,
                    _ => {}
                }
                depth == 0
            });
            close.is_some_and(|close| {
                tokens.get(close + 1).is_some_and(|t| t == ".")
                    && tokens.get(close + 2).is_some_and(|t| t == "await")
            })
        };
        let condvar_waits = (1..tokens.len()).any(|at| {
            [".", ":"].contains(&tokens[at - 1].as_str())
                && waits.contains(&tokens[at].as_str())
                && !awaited(at)
        });
        found.extend(
            (tokens.iter().map(String::as_str))
                .filter(|t| *t == "recv_timeout" || (*t == "Condvar" && condvar_waits)),
        );
        found.sort();
        found.dedup();
        assert!(
            found.is_empty(),
            "the code blocks its thread ({found:?}): a std::thread::sleep (even of 1 µs), a \
             Condvar's wait or a std channel's recv_timeout holds the whole runtime's thread, \
             even before a yield. Give the thread back at once: \
             tokio::task::yield_now().await, or better, wait for open's signal \
             (tokio::sync::Notify)"
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

    /// `code` with comments and the text of string literals taken out.
    fn without_comments_and_strings(code: &str) -> String {
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
                    // Block comments nest in Rust: `/* a /* b */ c */` is one comment.
                    chars.next();
                    let mut depth = 1;
                    let mut last = ' ';
                    for c in chars.by_ref() {
                        if last == '*' && c == '/' {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                            last = ' ';
                        } else if last == '/' && c == '*' {
                            depth += 1;
                            last = ' ';
                        } else {
                            last = c;
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
                        if c == '\\' {
                            chars.next();
                        } else if c == '"' {
                            out.push(c);
                            break;
                        }
                    }
                }
                _ => out.push(c),
            }
        }
        out
    }

    /// The tokens of `code`: words (identifiers, keywords, numbers) and single punctuation
    /// characters, without the white space between them.
    fn tokens(code: &str) -> Vec<String> {
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
        if !word.is_empty() {
            tokens.push(word);
        }
        tokens
    }

    /// Wakes the task, and notes what the door's is_open() says at the first wake-up that comes
    /// while `open` runs (`opening`): None where it gave no answer within 500 ms. Only the
    /// first asks: a waiter that keeps a waker of each poll (a `Vec<Waker>`) is woken once per
    /// waker, and an is_open that waits for the lock `open` holds would be waited for each time.
    struct SeeTheDoor {
        door: Arc<Door>,
        opening: Arc<std::sync::atomic::AtomicBool>,
        seen: Arc<std::sync::Mutex<Vec<Option<bool>>>>,
        task: std::task::Waker,
    }

    impl std::task::Wake for SeeTheDoor {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            let first = self.seen.lock().unwrap().is_empty();
            if first && self.opening.load(std::sync::atomic::Ordering::SeqCst) {
                // Asked on another thread: an is_open that waits for a lock `open` holds while
                // it wakes the waiters would never answer on this one.
                let door = Arc::clone(&self.door);
                let (answer, answered) = std::sync::mpsc::channel();
                std::thread::spawn(move || {
                    let _ = answer.send(door.is_open());
                });
                let open = answered.recv_timeout(Duration::from_millis(500)).ok();
                self.seen.lock().unwrap().push(open);
            }
            self.task.wake_by_ref();
        }
    }

    /// The other half of a lost wake-up, in `open`: a waiter that creates its `Notified`
    /// after the `notify_waiters` call, and checks the flag before it is set, sleeps on behind
    /// an open door. Another thread has to land in between for that, but the wake-up itself
    /// shows: `open` wakes a waiting task right where it calls notify_waiters (or whatever it
    /// wakes them with), so this test's waiter asks the door, at that very moment, whether it
    /// is open. A waiter that is not woken by `open` itself (it checks on a timer) asks nothing.
    #[tokio::test(start_paused = true)]
    async fn open_sets_the_flag_before_waking_the_waiters() {
        let door = Arc::new(Door::new());
        let opening = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut waiting = std::pin::pin!(door.wait_open());
        let waiter = std::future::poll_fn(|cx| {
            let waker = std::task::Waker::from(Arc::new(SeeTheDoor {
                door: Arc::clone(&door),
                opening: Arc::clone(&opening),
                seen: Arc::clone(&seen),
                task: cx.waker().clone(),
            }));
            waiting
                .as_mut()
                .poll(&mut std::task::Context::from_waker(&waker))
        });
        let opener = async {
            // Let the waiter start waiting before the door opens.
            for _ in 0..3 {
                tokio::task::yield_now().await;
            }
            opening.store(true, std::sync::atomic::Ordering::SeqCst);
            door.open();
            opening.store(false, std::sync::atomic::Ordering::SeqCst);
        };
        let (through, ()) =
            tokio::join!(tokio::time::timeout(Duration::from_secs(1), waiter), opener);
        let seen = seen.lock().unwrap().clone();
        assert!(
            !seen.contains(&Some(false)),
            "`open` woke the task waiting in wait_open while the door's is_open() still said \
             false (asked at the moment of the wake-up, inside `open`): it wakes the waiters \
             before it sets the flag. On a multi-threaded runtime a waiter can create its \
             Notified just after that wake-up, find the flag still false, and then sleep on \
             forever behind an open door (nobody notifies again). In `open`, set the flag \
             first, then wake the waiters (notify_waiters)"
        );
        assert!(
            through.is_ok(),
            "a task waiting in wait_open was still waiting 1 s after the door was opened: \
             wait_open must return soon after its door opens"
        );
    }

    /// A lost wake-up needs another thread at just the wrong moment, so no run can be sure to
    /// show it: this test reads the source. With `notify_waiters`, a `Notified` wakes up only if
    /// it already existed when `open` ran. One that is awaited right where it is created
    /// (`.notified().await`, or `let opened = ...notified(); opened.await;`) was created after
    /// the flag was last checked, so it misses an `open` that lands in between; so does one
    /// that is pinned first, or made inside `select!`, with no check before it is awaited.
    #[test]
    fn the_waiter_cannot_miss_the_opening() {
        let source = include_str!("busy_wait_flag.rs");
        let code = without_comments_and_strings(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        );
        let mut tokens = tokens(&code);
        without_own_test_module(&mut tokens);
        let tokens = tokens;
        let is = |at: usize, expected: &[&str]| {
            tokens.len() >= at + expected.len()
                && expected.iter().zip(&tokens[at..]).all(|(e, t)| e == t)
        };
        let notifies_waiters = tokens.iter().any(|t| t == "notify_waiters");
        // Helpers that read the flag after they make the Notified they hand out, with it
        // (`fn listen(&self) -> (Notified<'_>, bool)`): what they say of the door is fresh.
        let fresh: std::cell::RefCell<Vec<&str>> = std::cell::RefCell::new(Vec::new());
        // Helpers that hand out a Notified (`fn doorbell(&self) -> Notified<'_>`, or an
        // `Option<Notified>`) count as `notified` where they are called (one that takes a
        // Notified does not)...
        let mut helpers: Vec<&str> = (0..tokens.len().saturating_sub(1))
            .filter(|&at| tokens[at] == "fn")
            .filter(|&at| {
                let signature: Vec<&String> = tokens[at + 1..]
                    .iter()
                    .take_while(|t| *t != "{" && *t != ";")
                    .collect();
                let returns =
                    (1..signature.len()).find(|&i| signature[i - 1] == "-" && signature[i] == ">");
                // A fn that hands out a Notified it makes behind a Future type (`-> impl Future<Output
                // = ()> + '_ { self.n.notified() }`, a `Pin<Box<dyn Future ..>>`) is one too.
                let as_future = || {
                    let mut depth = 0;
                    tokens[at..]
                        .iter()
                        .skip_while(|t| *t != "{" && *t != ";")
                        .take_while(|t| {
                            match t.as_str() {
                                "{" => depth += 1,
                                "}" => depth -= 1,
                                _ => {}
                            }
                            depth > 0
                        })
                        .any(|t| t == "notified" || t == "notified_owned")
                };
                returns.is_some_and(|from| {
                    signature[from..].iter().any(|t| *t == "Notified")
                        || (signature[from..].iter().any(|t| *t == "Future") && as_future())
                })
            })
            // ... unless it checks the flag itself after making the Notified, and decides on it
            // (`let bell = self.n.notified(); if self.is_open() { None } else { Some(bell) }`, or a
            // `while !self.is_open()` loop after it):
            // the Notified it hands out was made before that check.
            .filter(|&at| {
                let mut depth = 0;
                let body: Vec<&str> = tokens[at..]
                    .iter()
                    .skip_while(|t| *t != "{" && *t != ";")
                    .take_while(|t| {
                        match t.as_str() {
                            "{" => depth += 1,
                            "}" => depth -= 1,
                            _ => {}
                        }
                        depth > 0
                    })
                    .map(String::as_str)
                    .collect();
                let Some(made) = body.iter().position(|t| *t == "notified") else {
                    return true;
                };
                let after = &body[made..];
                let reads = after.iter().any(|t| ["is_open", "load"].contains(t));
                let decides = after
                    .iter()
                    .any(|t| ["if", "match", "while", "then", "then_some", "return"].contains(t));
                if reads {
                    fresh.borrow_mut().push(tokens[at + 1].as_str());
                }
                !(reads && decides)
            })
            .map(|at| tokens[at + 1].as_str())
            .collect();
        // So do names bound by `let` to a closure that makes one (`let ring = ||
        // self.n.notified();`, unless it checks the flag after, as above) or to the method
        // itself (`let make = Notify::notified;`), called like a fn: `ring().await`.
        let made_here = |t: &&str| ["notified", "notified_owned"].contains(t);
        for at in (0..tokens.len()).filter(|&at| tokens[at] == "let") {
            let name_at = if is(at + 1, &["mut"]) { at + 2 } else { at + 1 };
            if !is(name_at + 1, &["="]) {
                continue;
            }
            let mut depth = 0;
            let value: Vec<&str> = tokens[name_at + 2..]
                .iter()
                .map(String::as_str)
                .take_while(|t| {
                    match *t {
                        "(" | "{" | "[" => depth += 1,
                        ")" | "}" | "]" => depth -= 1,
                        _ => {}
                    }
                    depth > 0 || *t != ";"
                })
                .collect();
            let Some(made) = value.iter().position(made_here) else {
                continue;
            };
            let after = &value[made..];
            let decides = after.iter().any(|t| ["is_open", "load"].contains(t))
                && after
                    .iter()
                    .any(|t| ["if", "match", "while", "then", "then_some", "return"].contains(t));
            let closure = value.first().is_some_and(|t| ["|", "move"].contains(t));
            if (closure && !decides) || made + 1 == value.len() {
                helpers.push(tokens[name_at].as_str());
                if after.iter().any(|t| ["is_open", "load"].contains(t)) {
                    fresh.borrow_mut().push(tokens[name_at].as_str());
                }
            }
        }
        let fresh = fresh.into_inner();
        let makes_a_notified =
            |at: usize| made_here(&tokens[at].as_str()) || helpers.contains(&tokens[at].as_str());
        // A call that makes a Notified: `x.notified()`, `Notify::notified(&x)`, or a helper's
        // name called like a fn (`doorbell(&self.n)`, `ring()`), not where it is defined.
        let is_a_call = |named: usize| {
            let before = tokens[named - 1].as_str();
            makes_a_notified(named)
                && is(named + 1, &["("])
                && (before == "."
                    || before == ":"
                    || (helpers.contains(&tokens[named].as_str()) && before != "fn"))
        };
        // The token after the `)` that closes the call `notified(...)` starting at `at`
        // (`x.notified()`, or `Notify::notified(&x)`).
        let after_call = |at: usize| {
            let mut depth = 0;
            for (i, token) in tokens.iter().enumerate().skip(at + 1) {
                match token.as_str() {
                    "(" => depth += 1,
                    ")" if depth == 1 => return Some(i + 1),
                    ")" => depth -= 1,
                    _ => {}
                }
            }
            None
        };
        // A Notify woken with `.notify_one()` and never with `.notify_waiters()` (say, a
        // demo's own, passed around under other names) keeps a permit for a waiter yet to
        // come, so a Notified awaited where it is created misses nothing there: where there
        // is one, a call on a name that notify_waiters is never called on is left out.
        let receivers_of = |method: &str| -> Vec<&str> {
            (2..tokens.len())
                .filter(|&at| tokens[at] == method && tokens[at - 1] == ".")
                .map(|at| tokens[at - 2].as_str())
                .collect()
        };
        let mut waiters_woken = receivers_of("notify_waiters");
        // Other names for those (`let bell = &self.notify;`, `let n = Arc::clone(&self.n);`):
        // a `let` whose value names one of them.
        for _ in 0..3 {
            for at in 0..tokens.len() {
                if tokens[at] != "let" {
                    continue;
                }
                let name_at = if is(at + 1, &["mut"]) { at + 2 } else { at + 1 };
                let end = (at..tokens.len())
                    .find(|&i| tokens[i] == ";")
                    .unwrap_or(tokens.len());
                let names_one = tokens[name_at + 1..end]
                    .iter()
                    .any(|t| waiters_woken.contains(&t.as_str()));
                if names_one
                    && tokens
                        .get(name_at)
                        .is_some_and(|name| !waiters_woken.contains(&name.as_str()))
                {
                    waiters_woken.push(tokens[name_at].as_str());
                }
            }
        }
        let permits_kept = receivers_of("notify_one")
            .into_iter()
            .any(|name| !waiters_woken.contains(&name) && name != ")");
        // Whether the `notified` call at `named` is on a name other than those notify_waiters
        // is called on (`x.notified()`, or `Notify::notified(&x)`), beside such a Notify.
        let on_a_permit_notify = |named: usize| {
            let receiver = if tokens[named - 1] == "." {
                named.checked_sub(2).map(|at| tokens[at].as_str())
            } else {
                after_call(named)
                    .and_then(|next| next.checked_sub(2))
                    .map(|at| tokens[at].as_str())
            };
            permits_kept
                && receiver.is_some_and(|name| {
                    name.chars().all(|c| c.is_alphanumeric() || c == '_')
                        && !waiters_woken.contains(&name)
                })
        };
        let awaited_at_once = (1..tokens.len()).any(|named| {
            let at = named - 1; // the `.` or `:` before `notified`
            if !is_a_call(named) || on_a_permit_notify(named) {
                return false;
            }
            let Some(next) = after_call(named) else {
                return false;
            };
            if is(next, &[".", "await"]) {
                return true;
            }
            if !is(next, &[";"]) {
                return false;
            }
            // `let [mut] NAME ... = ....notified();` followed at once by `NAME.await`.
            let start = tokens[..at]
                .iter()
                .rposition(|t| t == ";" || t == "{" || t == "}")
                .map_or(0, |p| p + 1);
            let mut name_at = start + 1;
            if !is(start, &["let"]) {
                return false;
            }
            if is(name_at, &["mut"]) {
                name_at += 1;
            }
            let Some(name) = tokens.get(name_at) else {
                return false;
            };
            is(next + 1, &[name.as_str(), ".", "await"])
        });
        // The same mistake in other forms: no read of the flag between the call and the next
        // `.await` of the same fn (`tokio::pin!` first, a block around the call), or the call
        // made inside `select!` or `join!` (their futures are made after any precondition of
        // theirs is checked). An `if` or `match` there does not count unless the flag is read
        // there: `if open` on an `open` read before the call decides on a stale value, and an
        // `if` about something else (a count of waiters) decides nothing about the door. Raced
        // against a timer (a `timeout`, a `sleep` branch) it is a loop that checks again on a
        // timer, which never sleeps for ever: not counted.
        let timers = [
            "sleep",
            "sleep_until",
            "timeout",
            "timeout_at",
            "interval",
            "tick",
        ];
        let has_timer = |from: usize, to: usize| {
            tokens[from..to.min(tokens.len())]
                .iter()
                .any(|t| timers.contains(&t.as_str()))
        };
        // A read of the flag: `is_open()`, the atomic's `load`, or the `.opened` field.
        let reads_the_flag = |at: usize| {
            ["is_open", "load"].contains(&tokens[at].as_str())
                || (tokens[at] == "opened" && at > 0 && tokens[at - 1] == ".")
        };
        // The body of the fn named at `name` (after `fn`): from its `{` to the `}` closing it.
        let fn_body = |name: usize| {
            let open = (name..tokens.len()).find(|&i| tokens[i] == "{" || tokens[i] == ";");
            open.filter(|&i| tokens[i] == "{")
                .map_or(name..name, |i| i..closing_brace(&tokens, i))
        };
        // Other reads of the door count too. A fn of the code's own that reads the flag, however
        // deep (`fn is_closed(&self) -> bool { !self.is_open() }`), called like a fn or method:
        let mut readers: Vec<&str> = Vec::new();
        for _ in 0..4 {
            for name in (1..tokens.len()).filter(|&i| tokens[i - 1] == "fn") {
                let reads = fn_body(name).any(|i| {
                    reads_the_flag(i)
                        || (readers.contains(&tokens[i].as_str()) && is(i + 1, &["("]))
                });
                if reads && tokens[name] != "open" && !readers.contains(&tokens[name].as_str()) {
                    readers.push(tokens[name].as_str());
                }
            }
        }
        // A field that `open` sets beside its Notify (the door's state kept under a lock,
        // `*self.state.lock().unwrap() = true`), read as `.state`:
        let notify_calls = ["notify_waiters", "notify_one", "notify_last"];
        let set_by_open: Vec<&str> = (1..tokens.len())
            .filter(|&i| tokens[i] == "open" && tokens[i - 1] == "fn")
            .flat_map(fn_body)
            .filter(|&i| {
                i >= 2
                    && tokens[i - 1] == "."
                    && tokens[i - 2] == "self"
                    && !(is(i + 1, &["."])
                        && tokens
                            .get(i + 2)
                            .is_some_and(|m| notify_calls.contains(&m.as_str())))
            })
            .map(|i| tokens[i].as_str())
            .collect();
        // A closure the waiter is handed as a parameter (`ready: F` with `F: Fn() -> bool`, or
        // `ready: impl Fn() -> bool`), called `ready()`, where the code's closures read the flag
        // (`until(&self.bell, || self.is_open())`):
        let closures_read = (0..tokens.len().saturating_sub(1)).any(|at| {
            is(at, &["|", "|"])
                && (at + 2..(at + 12).min(tokens.len())).any(|i| {
                    reads_the_flag(i)
                        || (readers.contains(&tokens[i].as_str()) && is(i + 1, &["("]))
                })
        });
        let fn_traits = ["Fn", "FnMut", "FnOnce"];
        let bounded_by_fn = |name: &str| {
            (0..tokens.len().saturating_sub(2)).any(|i| {
                tokens[i] == name
                    && tokens[i + 1] == ":"
                    && fn_traits.contains(&tokens[i + 2].as_str())
            })
        };
        let closure_params: Vec<&str> = (0..tokens.len().saturating_sub(2))
            .filter(|&i| {
                tokens[i + 1] == ":" && tokens[i].chars().all(|c| c.is_alphanumeric() || c == '_')
            })
            .filter(|&i| {
                let ty = (i + 2..tokens.len())
                    .find(|&k| !["&", "(", "impl", "dyn", "mut"].contains(&tokens[k].as_str()));
                ty.is_some_and(|k| {
                    fn_traits.contains(&tokens[k].as_str()) || bounded_by_fn(tokens[k].as_str())
                })
            })
            .map(|i| tokens[i].as_str())
            .filter(|_| closures_read)
            .collect();
        let checks = |at: usize| {
            reads_the_flag(at)
                || ((readers.contains(&tokens[at].as_str())
                    || closure_params.contains(&tokens[at].as_str()))
                    && is(at + 1, &["("])
                    && at > 0
                    && tokens[at - 1] != "fn")
                || (set_by_open.contains(&tokens[at].as_str()) && at > 0 && tokens[at - 1] == ".")
        };
        // The types of the code's own with a hand-written Future (`impl Future for
        // OpenDoor<'_>`) whose poll reads the flag before it polls anything: a Notified made
        // into such a value (`OpenDoor { ring: Box::pin(self.n.notified()) }.await`, or a
        // Notified kept in a `let` and moved into one) is awaited through that poll, which
        // checks the flag each time before it waits on the Notified.
        let polled_with_a_check: Vec<&str> = (1..tokens.len().saturating_sub(1))
            .filter(|&at| tokens[at] == "for" && tokens[at - 1] == "Future")
            .filter(|&at| {
                let mut depth = 0;
                let body: Vec<usize> = (at..tokens.len())
                    .skip_while(|&i| tokens[i] != "{")
                    .take_while(|&i| {
                        match tokens[i].as_str() {
                            "{" => depth += 1,
                            "}" => depth -= 1,
                            _ => {}
                        }
                        depth > 0
                    })
                    .collect();
                let polls = |i: usize| {
                    ["poll", "poll_unpin"].contains(&tokens[i].as_str())
                        && [".", ":"].contains(&tokens[i - 1].as_str())
                        && is(i + 1, &["("])
                };
                let first_check = body.iter().position(|&i| checks(i));
                let first_poll = body.iter().position(|&i| polls(i));
                first_check.is_some_and(|check| first_poll.is_none_or(|poll| check < poll))
            })
            .map(|at| tokens[at + 1].as_str())
            .collect();
        // Whether the bracket that closes at `close` opened right after such a type's name: the
        // value built there (`OpenDoor { .. }`, `OpenDoor(..)`) holds what is made inside it.
        let builds_a_polled_value = |close: usize| {
            let mut depth = 0;
            let open = (0..close).rev().find(|&i| {
                match tokens[i].as_str() {
                    ")" | "}" | "]" => depth += 1,
                    "(" | "{" | "[" if depth == 0 => return true,
                    "(" | "{" | "[" => depth -= 1,
                    _ => {}
                }
                false
            });
            open.is_some_and(|open| {
                open > 0 && polled_with_a_check.contains(&tokens[open - 1].as_str())
            })
        };
        let awaited_before_a_check = (1..tokens.len()).any(|named| {
            let at = named - 1;
            if !is_a_call(named) || on_a_permit_notify(named) {
                return false;
            }
            let mut depth = 0;
            for open in (0..at).rev() {
                match tokens[open].as_str() {
                    ")" | "}" | "]" => depth += 1,
                    "(" | "{" | "[" if depth > 0 => depth -= 1,
                    // A bracket still open here encloses the call: the body of a macro?
                    "(" | "{" | "["
                        if open >= 2
                            && tokens[open - 1] == "!"
                            && ["select", "join", "try_join"]
                                .contains(&tokens[open - 2].as_str()) =>
                    {
                        let mut inside = 0;
                        let close = (open..tokens.len())
                            .find(|&i| {
                                match tokens[i].as_str() {
                                    "(" | "{" | "[" => inside += 1,
                                    ")" | "}" | "]" => inside -= 1,
                                    _ => {}
                                }
                                inside == 0
                            })
                            .unwrap_or(tokens.len());
                        return !has_timer(open, close);
                    }
                    "fn" => break,
                    _ => {}
                }
            }
            let Some(next) = after_call(named) else {
                return false;
            };
            let statement = tokens[..at]
                .iter()
                .rposition(|t| t == ";" || t == "{" || t == "}")
                .map_or(0, |p| p + 1);
            // The end of a `while` body goes back to its condition: a check if it reads the flag.
            let ends_a_while_body = |close: usize| {
                let mut depth = 0;
                let open = (0..close).rev().find(|&i| {
                    match tokens[i].as_str() {
                        "}" => depth += 1,
                        "{" if depth == 0 => return true,
                        "{" => depth -= 1,
                        _ => {}
                    }
                    false
                });
                open.is_some_and(|open| {
                    let condition: Vec<usize> = (0..open)
                        .rev()
                        .take_while(|&i| !["{", "}", ";"].contains(&tokens[i].as_str()))
                        .collect();
                    condition.iter().any(|&i| tokens[i] == "while")
                        && condition.iter().any(|&i| checks(i))
                })
            };
            // A helper that read the flag after it made the Notified hands out a fresh answer:
            // deciding on it (`if open { return; }`) is a check.
            let fresh_answer = fresh.contains(&tokens[named].as_str());
            let decides = |at: usize| {
                fresh_answer
                    && ["if", "match", "while", "return", "break"].contains(&tokens[at].as_str())
            };
            let mut depth = 0;
            for (at, token) in tokens.iter().enumerate().skip(next) {
                if token == "fn" || checks(at) || decides(at) {
                    return false;
                }
                match token.as_str() {
                    "}" | ")" if builds_a_polled_value(at) => return false,
                    "{" => depth += 1,
                    "}" if depth > 0 => depth -= 1,
                    "}" if ends_a_while_body(at) => return false,
                    _ => {}
                }
                if token == "await" {
                    return !has_timer(statement, at);
                }
            }
            false
        });
        assert!(
            !(notifies_waiters && (awaited_at_once || awaited_before_a_check)),
            "wait_open awaits a Notified with no check of the flag between the moment it is \
             made and the await (it awaits the Notified, or one a helper fn or closure returns, \
             right where it is made, or in select!): either the flag is not checked at all, or \
             it is checked only before the Notified is made. A waiter like that misses an \
             opening made before its Notified exists: notify_waiters wakes only the Notified \
             futures that already exist (and on a multi-threaded runtime `open` can run at any \
             moment), so the waiter sleeps on forever behind an open door. Create the Notified \
             first (`let opened = self.<your Notify>.notified();`), then read the flag \
             (is_open()) and decide on what it says now, and only then await it: an `if` on a \
             value read before the Notified was made, or on something else than the flag, does \
             not count"
        );
    }

    /// A waiter list guarded by a lock that `open` only tries to take (`try_lock`, `try_read`,
    /// `try_write`) and gives up on when it is busy: on a multi-threaded runtime a waiter can
    /// hold that lock on another thread (registering its waker) at the very moment `open` runs,
    /// and then every task already waiting is never woken. The tests' single thread never
    /// shows it (nothing else holds the lock while `open` runs): this test reads the source,
    /// all of it but `fn main`, `fn new` (a fresh lock is never busy) and a test module of the
    /// learner's own.
    #[test]
    fn open_does_not_skip_the_waiters_when_a_lock_is_busy() {
        let source = include_str!("busy_wait_flag.rs");
        let code = without_comments_and_strings(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        );
        let mut tokens = tokens(&code);
        for name in ["main", "new"] {
            while let Some(at) =
                (1..tokens.len()).find(|&at| tokens[at - 1] == "fn" && tokens[at] == name)
                && let Some(open) = (at..tokens.len()).find(|&i| tokens[i] == "{")
            {
                let close = closing_brace(&tokens, open);
                tokens.drain(at - 1..=close);
            }
        }
        without_own_test_module(&mut tokens);
        let tried: Vec<&str> = (1..tokens.len())
            .filter(|&at| {
                tokens[at - 1] == "."
                    && ["try_lock", "try_read", "try_write"].contains(&tokens[at].as_str())
            })
            .map(|at| tokens[at].as_str())
            .collect();
        assert!(
            tried.is_empty(),
            "the code takes a lock with {} and goes on without it when the lock is busy. On a \
             multi-threaded runtime (#[tokio::main]) `open` can run on one thread while a \
             waiter holds that lock on another (to add its waker, say): `open` then skips the \
             wake-ups, and every task already waiting sleeps on forever behind an open door. \
             Take the lock (`lock()`: it is held only for a moment), or have `open` ring a \
             tokio::sync::Notify (notify_waiters), which does this for you",
            tried[0]
        );
    }
}
