// tokio_mutex_transaction
//
// Tasks share one database `Connection` behind an `Arc<tokio::sync::Mutex<_>>`. A transaction
// is three awaited steps (BEGIN, ADD, COMMIT) that no other task may interrupt, but
// `run_transaction` locks the connection anew for every step, so transactions get mixed up.
//
// Hold the lock for the whole transaction. This is exactly the case for tokio's `Mutex`: its
// guard may be kept across `.await` (a std guard may not).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

struct Connection {
    /// Everything sent so far, in order.
    wire: Vec<String>,
}

impl Connection {
    async fn send(&mut self, message: String) {
        // A network round trip.
        tokio::time::sleep(Duration::from_millis(10)).await;
        self.wire.push(message);
    }
}

async fn run_transaction(conn: Arc<Mutex<Connection>>, name: &str, amount: u32) {
    // One guard for the whole transaction: nobody else can send until it is dropped.
    let mut conn = conn.lock().await;
    conn.send(format!("BEGIN {name}")).await;
    conn.send(format!("ADD {name} {amount}")).await;
    conn.send(format!("COMMIT {name}")).await;
}

#[tokio::main]
async fn main() {
    let conn = Arc::new(Mutex::new(Connection { wire: Vec::new() }));
    let a = tokio::spawn(run_transaction(Arc::clone(&conn), "alice", 5));
    let b = tokio::spawn(run_transaction(Arc::clone(&conn), "bob", 7));
    a.await.unwrap();
    b.await.unwrap();
    println!("{:#?}", conn.lock().await.wire);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::sync::Mutex;
    use tokio::time::Instant;

    /// `future` (a call of run_transaction), stopped with a message once it is polled 1000
    /// times in a row at one moment of the paused clock: a loop that tries the lock and yields
    /// (`try_lock` with `yield_now`) never lets the clock move on, so the task that holds the
    /// connection never finishes its round trip, and the run would spin until it is killed.
    async fn guarded<T>(future: impl std::future::Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let (mut moment, mut polls) = (Instant::now(), 0);
        std::future::poll_fn(|cx| {
            if moment != Instant::now() {
                (moment, polls) = (Instant::now(), 0);
            }
            polls += 1;
            assert!(
                polls <= 1000,
                "run_transaction was polled 1000 times in a row while the paused clock stood \
                 still: it tries the lock in a loop (`try_lock` with `yield_now`), and the task \
                 that holds the connection cannot finish its round trip while it spins. Wait in \
                 `conn.lock().await` instead: it sleeps until the lock is free"
            );
            future.as_mut().poll(cx)
        })
        .await
    }

    /// Awaits a task of the test's, passing on its panic (the guard's message) as it is.
    async fn joined<T>(task: tokio::task::JoinHandle<T>) -> T {
        task.await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    }

    /// If the wire holds the three steps of `name`'s transaction next to each other but not
    /// in the order BEGIN, ADD, COMMIT: a note that says so (the connection was held, the
    /// order is wrong).
    fn out_of_order(wire: &[String], name: &str) -> Option<String> {
        let ours: Vec<(usize, &str)> = wire
            .iter()
            .enumerate()
            .filter(|(_, step)| step.split(' ').nth(1) == Some(name))
            .map(|(i, step)| (i, step.split(' ').next().unwrap_or("")))
            .collect();
        if ours.len() != 3 || ours[2].0 - ours[0].0 != 2 {
            return None;
        }
        let kinds: Vec<&str> = ours.iter().map(|(_, kind)| *kind).collect();
        let mut sorted = kinds.clone();
        sorted.sort_unstable();
        (sorted == ["ADD", "BEGIN", "COMMIT"] && kinds != ["BEGIN", "ADD", "COMMIT"]).then(|| {
            format!(
                "the three steps of {name}'s transaction went out one after the other, but in \
                 the order {}: send BEGIN first, then ADD, then COMMIT",
                kinds.join(", ")
            )
        })
    }

    async fn run_all(names: &[&'static str]) -> Vec<String> {
        let given: Vec<(&'static str, u32)> = (1..).zip(names).map(|(i, n)| (*n, i)).collect();
        run_these(&given).await
    }

    /// Runs a transaction per (name, amount), all started at once, and returns the wire.
    async fn run_these(transactions: &[(&'static str, u32)]) -> Vec<String> {
        let conn = Arc::new(Mutex::new(Connection { wire: Vec::new() }));
        let handles: Vec<_> = transactions
            .iter()
            .map(|&(name, amount)| {
                tokio::spawn(guarded(run_transaction(Arc::clone(&conn), name, amount)))
            })
            .collect();
        for handle in handles {
            joined(handle).await;
        }
        conn.lock().await.wire.clone()
    }

    #[tokio::test(start_paused = true)]
    async fn transactions_do_not_interleave() {
        let start = Instant::now();
        let wire = run_all(&["alice", "bob", "carol"]).await;
        let took = start.elapsed();
        assert_eq!(
            wire.len(),
            9,
            "3 transactions of 3 steps: 9 messages, got {wire:?}"
        );
        for chunk in wire.chunks(3) {
            let name = chunk[0].strip_prefix("BEGIN ").unwrap_or("?");
            let expected_add = format!("ADD {name} ");
            let owner = chunk[0].split(' ').nth(1).unwrap_or("?");
            if let Some(note) = out_of_order(&wire, owner) {
                panic!("3 transactions sent on one connection gave the wire {wire:?}: {note}");
            }
            assert!(
                chunk[0].starts_with("BEGIN ")
                    && chunk[1].starts_with(&expected_add)
                    && chunk[2] == format!("COMMIT {name}"),
                "the transactions got mixed up on the wire: {wire:?}\nEach BEGIN must be \
                 followed by the ADD and COMMIT of the same transaction; keep the connection \
                 locked for the whole transaction"
            );
        }
        assert!(
            took >= Duration::from_millis(90),
            "3 transactions were done after {took:?}, but they are 9 round trips of 10 ms on \
             ONE connection: every step must be sent on the shared connection, while holding \
             its lock"
        );
    }

    /// Names and amounts of any size: a 10-letter name, a 13-letter one and a 2-letter one,
    /// amounts of 2 500, 7 and 1, side by side on one connection (the long and big ones first,
    /// so that the others are waiting for the connection while they are sent).
    #[tokio::test(start_paused = true)]
    async fn long_names_and_big_amounts_do_not_interleave_either() {
        let given = [("maximilian", 2500), ("bartholomew_x", 7), ("jo", 1)];
        let start = Instant::now();
        let wire = run_these(&given).await;
        let took = start.elapsed();
        let mut sorted = wire.clone();
        sorted.sort();
        let mut expected: Vec<String> = given
            .iter()
            .flat_map(|(name, amount)| {
                [
                    format!("BEGIN {name}"),
                    format!("ADD {name} {amount}"),
                    format!("COMMIT {name}"),
                ]
            })
            .collect();
        expected.sort();
        assert_eq!(
            sorted, expected,
            "3 transactions ({given:?}, as (name, amount)) gave the wire {wire:?}: every step of \
             every transaction must be sent exactly once, with its own name and amount, \
             whatever their length or size"
        );
        for chunk in wire.chunks(3) {
            let name = chunk[0].strip_prefix("BEGIN ").unwrap_or("?");
            let owner = chunk[0].split(' ').nth(1).unwrap_or("?");
            if let Some(note) = out_of_order(&wire, owner) {
                panic!("3 transactions sent on one connection gave the wire {wire:?}: {note}");
            }
            assert!(
                chunk[0].starts_with("BEGIN ")
                    && chunk[1].starts_with(&format!("ADD {name} "))
                    && chunk[2] == format!("COMMIT {name}"),
                "3 transactions ({given:?}, as (name, amount)) got mixed up on the wire: \
                 {wire:?}\nEach BEGIN must be followed by the ADD and COMMIT of the same \
                 transaction, whatever the name's length or the amount: keep the connection \
                 locked for the whole transaction, for every name and amount"
            );
        }
        assert!(
            took >= Duration::from_millis(90),
            "3 transactions were done after {took:?}, but they are 9 round trips of 10 ms on \
             ONE connection: every step must be sent on the shared connection, while holding \
             its lock"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_transaction_is_sent_completely() {
        let mut wire = run_all(&["alice", "bob"]).await;
        wire.sort();
        assert_eq!(
            wire,
            [
                "ADD alice 1",
                "ADD bob 2",
                "BEGIN alice",
                "BEGIN bob",
                "COMMIT alice",
                "COMMIT bob"
            ],
            "every step of every transaction must be sent exactly once"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_single_transaction_takes_three_round_trips() {
        let start = Instant::now();
        let wire = run_all(&["dave"]).await;
        assert_eq!(
            wire,
            ["BEGIN dave", "ADD dave 1", "COMMIT dave"],
            "steps in order"
        );
        assert!(
            start.elapsed() >= Duration::from_millis(30),
            "a transaction is 3 sends of 10 ms each, it cannot finish in {:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn other_users_of_the_connection_wait_for_the_commit() {
        let conn = Arc::new(Mutex::new(Connection { wire: Vec::new() }));
        let transaction = tokio::spawn(guarded(run_transaction(Arc::clone(&conn), "erin", 1)));
        // Halfway through the first step, another task (not a transaction) wants the connection.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let ping = tokio::spawn({
            let conn = Arc::clone(&conn);
            async move { conn.lock().await.send("PING".to_string()).await }
        });
        joined(transaction).await;
        ping.await.unwrap();
        let wire = conn.lock().await.wire.clone();
        if let Some(note) = out_of_order(&wire, "erin") {
            panic!("a transaction, then another task's PING, gave the wire {wire:?}: {note}");
        }
        assert_eq!(
            wire,
            ["BEGIN erin", "ADD erin 1", "COMMIT erin", "PING"],
            "another task that locks the connection got in between the steps of the \
             transaction: the connection itself must stay locked from BEGIN to COMMIT (a \
             separate lock that only run_transaction takes does not keep other users out)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_transaction_sleeps_until_the_connection_is_free() {
        // Another task holds the connection for 103 ms. A transaction waiting in `lock().await`
        // is woken when the guard is dropped and is done 3 round trips later, at 133 ms. One
        // that checks `try_lock` on a timer misses that moment (103 is prime: only a check
        // every 1 ms lands on it), and a check every 1 ms wakes it about 100 times.
        use std::sync::atomic::{AtomicUsize, Ordering};
        let conn = Arc::new(Mutex::new(Connection { wire: Vec::new() }));
        let busy = Arc::clone(&conn).lock_owned().await;
        let start = Instant::now();
        let polls = Arc::new(AtomicUsize::new(0));
        let transaction = tokio::spawn({
            let (conn, polls) = (Arc::clone(&conn), Arc::clone(&polls));
            async move { run_and_read(&conn, "frank", 1, start, &polls).await }
        });
        tokio::time::sleep(Duration::from_millis(103)).await;
        drop(busy);
        // A transaction waiting in `lock().await` has the connection the moment it is let go.
        let taken_at_once = conn.try_lock().is_err();
        let (took, wire, own_task) = joined(transaction).await;
        if let Ok(wire) = &wire
            && let Some(note) = out_of_order(wire, "frank")
        {
            panic!(
                "another task held the connection for 103 ms, then run_transaction sent \
                 {wire:?}: {note}"
            );
        }
        assert!(
            wire.as_deref()
                .is_ok_and(|wire| wire == ["BEGIN frank", "ADD frank 1", "COMMIT frank"]),
            "another task held the connection for 103 ms, and when run_transaction returned, \
             after {took:?}, the connection was {}",
            after_busy(&wire, own_task)
        );
        let polls = polls.load(Ordering::SeqCst);
        assert!(
            polls <= 60,
            "run_transaction was woken {polls} times while it waited 103 ms for a connection \
             that another task held, then sent 3 steps (about 5 wake-ups): it checks the lock \
             on a timer. Wait in `conn.lock().await` instead: it sleeps until the lock is free"
        );
        let late = took.saturating_sub(Duration::from_millis(133));
        assert!(
            took <= Duration::from_millis(133) || !taken_at_once,
            "the connection was free at 103 ms and run_transaction took it at once, but it \
             returned only at {took:?}: {late:?} more than its 3 round trips (30 ms) take. It \
             does something else that takes time once it has the connection (extra work or a \
             wait while holding it, or after the commit?): send the three steps and return"
        );
        assert!(
            took <= Duration::from_millis(133),
            "the connection was free at 103 ms, but the transaction was done only at {took:?} \
             (3 round trips take 30 ms), and it had not taken the connection the moment it was \
             let go: it noticed the free lock only on a later check. Wait in \
             `conn.lock().await`, which hands the lock over as soon as it is released"
        );
        let wire = conn.lock().await.wire.clone();
        assert_eq!(
            wire,
            ["BEGIN frank", "ADD frank 1", "COMMIT frank"],
            "steps in order"
        );
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

    /// The locks whose guard sends in `text` itself: `x.lock().await.send(..)`, or a guard
    /// bound by a `let` and then sent on.
    fn sent_on_locks(text: &str) -> usize {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let on_the_spot: usize = [".lock().await.send(", ".lock_owned().await.send("]
            .into_iter()
            .map(|lock| text.matches(lock).count())
            .sum();
        // The fully qualified call (`Mutex::lock(&conn).await.send(..)`,
        // `tokio::sync::Mutex::lock_owned(conn).await.send(..)`): the receiver is the first
        // argument.
        let qualified = |lock: &str| {
            text.match_indices(lock)
                .filter(|&(at, _)| {
                    closing(&text, at + lock.len() - 1)
                        .is_some_and(|close| text[close + 1..].starts_with(".await.send("))
                })
                .count()
        };
        let on_the_spot = on_the_spot + qualified("::lock(") + qualified("::lock_owned(");
        // `let mut guard = conn.lock().await;`, then `guard.send(..)`: the statements with
        // where each ends, and the name each `let` binds (with whether it binds a lock).
        let mut statements = Vec::new();
        let mut end = 0;
        for statement in text.split_inclusive([';', '{', '}']) {
            end += statement.len();
            let binding = statement.strip_prefix("let").and_then(|rest| {
                let rest = rest.strip_prefix("mut").unwrap_or(rest);
                let (name, value) = rest.split_once('=')?;
                let name = name.split(':').next().unwrap_or_default();
                let locks = ["lock()", "lock_owned()", "::lock(", "::lock_owned("]
                    .iter()
                    .any(|lock| value.contains(lock));
                (!name.is_empty() && name.chars().all(is_ident)).then_some((name, locks))
            });
            statements.push((end, binding));
        }
        // A guard counts if it sends before its name is bound again (a read-only guard
        // under the same name later is another guard).
        let kept = statements
            .iter()
            .enumerate()
            .filter(|(i, (from, binding))| {
                let Some((name, true)) = binding else {
                    return false;
                };
                let to = statements[i + 1..]
                    .iter()
                    .position(|(_, b)| b.is_some_and(|(n, _)| n == *name))
                    .map_or(text.len(), |j| statements[i + j].0);
                text[*from..to]
                    .match_indices(&format!("{name}.send("))
                    .any(|(at, _)| !text[..from + at].ends_with(is_ident))
            })
            .count();
        on_the_spot + kept
    }

    /// `text` with the body of each `loop` and what is handed to an iterator's or a stream's
    /// adaptor (`.map(|m| ..)`, `.for_each(..)`, `.then(..)`, a closure or a fn's name)
    /// written twice: what they hold runs once per step or turn, not once. A `for` or a
    /// `while` may run once, and a loop whose body `break`s or `return`s at its own level, or
    /// locks only on a branch (a retry that stops once it is done), is left as it is.
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
        let adaptors = [
            "map",
            "for_each",
            "then",
            "filter_map",
            "flat_map",
            "fold",
            "try_fold",
            "try_for_each",
            "for_each_concurrent",
            "try_for_each_concurrent",
            "scan",
        ];
        let mut out = String::new();
        let (mut from, mut at) = (0, 0);
        while at < text.len() {
            if !text.is_char_boundary(at) {
                at += 1;
                continue;
            }
            // Only a `loop`: a `for` or `while` may run once (`for batch in batches`,
            // `while let Some(batch) = inbox.recv().await`, `while !done`).
            let looped = ["loop"]
                .into_iter()
                .find(|word| word_at(at, word))
                .and_then(|word| block_after(text, at + word.len()))
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
            let handed = text[at..]
                .strip_prefix('.')
                .and_then(|rest| {
                    let rest = rest.trim_start();
                    adaptors.into_iter().find(|a| {
                        rest.starts_with(a) && rest[a.len()..].trim_start().starts_with('(')
                    })
                })
                .and_then(|_| text[at..].find('(').map(|open| at + open))
                .and_then(|open| Some((open, closing(text, open)?)));
            match looped.or(handed) {
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

    /// `text` without the closures it binds to a name (`let name = |..| ..;`), and those
    /// closures: a closure that locks, called three times, locks three times.
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
            let value = value.strip_prefix("async").unwrap_or(value).trim_start();
            let value = value.strip_prefix("move").unwrap_or(value).trim_start();
            if name.is_empty() || !value.starts_with('|') {
                continue;
            }
            // The closure ends at the `;` that ends the `let`.
            let mut depth = 0;
            let mut end = text.len();
            for (i, c) in text[at..].char_indices() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => depth -= 1,
                    ';' if depth == 0 => {
                        end = at + i + 1;
                        break;
                    }
                    _ => {}
                }
            }
            let body = text[at..end]
                .split_once('=')
                .map_or(String::new(), |(_, body)| body.to_string());
            closures.push((name, body));
            text.replace_range(at..end, " ");
            from = at;
        }
        (text, closures)
    }

    /// The locks whose guard sends that `body` takes: its own, and those of each function,
    /// macro or closure of `code` it calls, once per call (`skip` aside), a loop's or an
    /// adaptor's counted twice (`repeated`), on the way through its `if`/`else` and `match`
    /// arms that has most.
    fn locks_sending(
        code: &str,
        helpers: &[(String, std::ops::Range<usize>)],
        body: &str,
        skip: &mut Vec<String>,
    ) -> usize {
        // A fn or macro defined inside `body` is a helper: its locks count once per call.
        let mut inner: Vec<std::ops::Range<usize>> = functions(body)
            .into_iter()
            .chain(macros(body))
            .map(|(_, range)| range)
            .collect();
        inner.sort_by_key(|range| std::cmp::Reverse(range.start));
        let mut body = body.to_string();
        for range in inner {
            if range.start > 0 && range.end <= body.len() {
                body.replace_range(range, "{}");
            }
        }
        let (body, closures) = without_closures(&body);
        let mut most = 0;
        for way in ways(&repeated(&body)) {
            let mut locks = sent_on_locks(&way);
            for (name, closure) in &closures {
                let times = times_used(&way, code, name, false);
                if times > 0 {
                    locks += times * locks_sending(code, helpers, closure, skip);
                }
            }
            let mut names: Vec<&String> = helpers.iter().map(|(name, _)| name).collect();
            names.dedup();
            for name in names {
                if skip.contains(name) || closures.iter().any(|(n, _)| n == name) {
                    continue;
                }
                let times = times_used(&way, code, name, true);
                if times == 0 {
                    continue;
                }
                skip.push(name.clone());
                // Of several fns of that name (methods of different types), the one that
                // locks most.
                let each = helpers
                    .iter()
                    .filter(|(n, _)| n == name)
                    .map(|(_, range)| locks_sending(code, helpers, &code[range.clone()], skip))
                    .max()
                    .unwrap_or(0);
                skip.pop();
                locks += times * each;
            }
            most = most.max(locks);
        }
        most
    }

    /// Locks queued one per step, all at once (`join!` of three `conn.lock().await.send(..)`,
    /// or of three calls of a helper that locks, or `join_all` of a `.map(..)` that locks), are
    /// handed over one after the other, and on one thread nothing else asks in between; on a
    /// multi-threaded runtime another task can, at any moment. A test on one thread never sees
    /// it, so this one reads the source: the locks whose guard sends, in run_transaction and
    /// the helpers (functions, macros, closures) it calls, once per call
    /// (`x.lock().await.send(..)`, `Mutex::lock(&x).await.send(..)`, or a guard bound by a
    /// `let` and then sent on), a lock in a loop's body or in a closure handed to `map`,
    /// `for_each` or `then` counted as two (it runs once per step), counted on the way through
    /// its `if`/`else` and `match` arms that has most (only one arm runs; a `try_lock` only on
    /// the arms where it took the lock). A lock that only reads the wire (a log line after the
    /// commit) is not counted.
    #[test]
    fn the_steps_are_sent_under_one_lock() {
        let code = code_only(include_str!("tokio_mutex_transaction.rs"));
        let mut helpers = functions(&code);
        helpers.extend(macros(&code));
        helpers.sort_by(|a, b| a.0.cmp(&b.0));
        let locks = match helpers.iter().find(|(f, _)| f == "run_transaction") {
            Some((_, body)) => {
                let mut skip = vec!["run_transaction".to_string(), "main".to_string()];
                skip.push("send".to_string());
                locks_sending(&code, &helpers, &code[body.clone()], &mut skip)
            }
            None => reachable_from(
                include_str!("tokio_mutex_transaction.rs"),
                "run_transaction",
                &["send"],
            )
            .iter()
            .map(|text| (ways(text).iter().map(|way| sent_on_locks(way)).max()).unwrap_or(0))
            .sum(),
        };
        assert!(
            locks <= 1,
            "run_transaction sends its steps through {locks} locks of the connection (counting \
             `.lock().await.send(..)` (or `Mutex::lock(&conn).await.send(..)`) and a guard \
             bound by a `let` that then sends, in \
             run_transaction and the helpers and closures it calls, once per call, a lock in a \
             `loop` with no `break` outside its branches or in a closure handed to `map` or `for_each` as two, as it \
             runs once per step, on the way through its `if`/`else` and `match` arms that has most): the \
             connection is free between one guard and the next, so another task can take it \
             between two steps of the transaction (on a multi-threaded runtime at any moment, \
             even when the locks are all queued at once with join! or join_all). Lock the \
             connection once and send the three steps, in order, with that one guard"
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

    /// Where each `fn NAME` of `code` is: its name and its body (`{` to `}`), if it has one.
    fn functions(code: &str) -> Vec<(String, std::ops::Range<usize>)> {
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
            found.push((name, open..end));
        }
        found
    }

    /// Where each `macro_rules! NAME` of `code` is: its name and its body (`{` to `}`).
    fn macros(code: &str) -> Vec<(String, std::ops::Range<usize>)> {
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
            found.push((name, open..end));
        }
        found
    }

    /// The bodies of `name` and of every function or `macro_rules!` macro of the file it names (and that they name,
    /// and so on), but those named in `skip`. Without `fn name`: the whole file but `main`.
    fn reachable_from(source: &str, name: &str, skip: &[&str]) -> Vec<String> {
        let code = code_only(source);
        let mut fns = functions(&code);
        fns.extend(macros(&code));
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let Some((_, body)) = fns.iter().find(|(f, _)| f == name) else {
            let mut code = code.clone();
            if let Some((_, body)) = fns.iter().find(|(f, _)| f == "main") {
                code.replace_range(body.clone(), "{}");
            }
            return vec![code];
        };
        let mut texts = vec![code[body.clone()].to_string()];
        let mut seen = vec![name.to_string(), "main".to_string()];
        seen.extend(skip.iter().map(|f| f.to_string()));
        let mut i = 0;
        while i < texts.len() {
            let words: Vec<String> = texts[i]
                .split(|c: char| !is_ident(c))
                .map(str::to_string)
                .collect();
            for word in words {
                if seen.contains(&word) || !uses(&texts[i], &code, &word) {
                    continue;
                }
                let bodies: Vec<String> = fns
                    .iter()
                    .filter(|(f, _)| *f == word)
                    .map(|(_, body)| code[body.clone()].to_string())
                    .collect();
                if !bodies.is_empty() {
                    seen.push(word);
                    texts.extend(bodies);
                }
            }
            i += 1;
        }
        texts
    }

    /// Whether `text` uses the function or macro `name`: calls it (`name(..)`, `name!(..)`,
    /// `.name(..)`, `Type::name(..)` for a type of the file) or passes it (`.map(name)`); not
    /// a variable or field of that name (`let name`, `name.x`, `x.name`), nor a function of
    /// another crate (`Vec::new()`).
    fn uses(text: &str, code: &str, name: &str) -> bool {
        times_used(text, code, name, true) > 0
    }

    /// How many times `text` uses the function or macro `name` as `uses` tells (a call, or a
    /// hand-over as a value: `.map(name)`), each place once; a method call (`.name(..)`) only
    /// if `method` (a closure bound by a `let` is called as `name(..)`).
    fn times_used(text: &str, code: &str, name: &str, method: bool) -> usize {
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let word_at = |text: &str, at: usize, len: usize| {
            text[..at].chars().next_back().is_none_or(|c| !is_ident(c))
                && text[at + len..].chars().next().is_none_or(|c| !is_ident(c))
        };
        let defined = |ty: &str| {
            ty == "Self"
                || ["struct", "enum", "trait", "mod", "type", "union"]
                    .into_iter()
                    .any(|keyword| {
                        code.match_indices(keyword).any(|(at, _)| {
                            word_at(code, at, keyword.len())
                                && code[at + keyword.len()..].trim_start().starts_with(ty)
                                && !code[at + keyword.len()..].trim_start()[ty.len()..]
                                    .starts_with(is_ident)
                        })
                    })
        };
        // Bound by a `let` or `for` pattern: a variable that hides the function.
        let bound = ["let ", "for "].into_iter().any(|keyword| {
            text.match_indices(keyword).any(|(at, _)| {
                let pattern = &text[at + keyword.len()..];
                let end = if keyword == "let " { "=" } else { " in " };
                let pattern = &pattern[..pattern.find(end).unwrap_or(pattern.len())];
                word_at(text, at, keyword.len() - 1)
                    && pattern
                        .match_indices(name)
                        .any(|(at, _)| word_at(pattern, at, name.len()))
            })
        });
        let used = |&(at, _): &(usize, &str)| {
            if !word_at(text, at, name.len()) {
                return false;
            }
            let before = text[..at].trim_end();
            let after = text[at + name.len()..].trim_start();
            if before.ends_with('.') && !method {
                return false;
            }
            // Where it is defined (`fn name`, `macro_rules! name`) is no use.
            if before.ends_with("fn") || before.ends_with("macro_rules!") {
                let keyword = before
                    .trim_end_matches("macro_rules!")
                    .trim_end_matches("fn");
                if !keyword.ends_with(is_ident) {
                    return false;
                }
            }
            if let Some(path) = before.strip_suffix("::") {
                let ty: String = path
                    .chars()
                    .rev()
                    .take_while(|c| is_ident(*c))
                    .collect::<Vec<char>>()
                    .into_iter()
                    .rev()
                    .collect();
                if !ty.is_empty() && !defined(&ty) {
                    return false;
                }
            }
            if after.starts_with('(') || after.starts_with('!') || after.starts_with("::<") {
                return true;
            }
            !bound
                && !before.ends_with('.')
                && !after.starts_with('.')
                && !after.starts_with(':')
                && !after.starts_with('{')
        };
        text.match_indices(name).filter(used).count()
    }

    /// A transaction's steps are hidden from the other tasks while the guard is held, so no
    /// test can watch them go out one by one: this one reads the source for the connection's
    /// `wire` written by hand, in `run_transaction` and the helpers and macros it calls (the
    /// given `Connection::send` aside; a demo that only `main` calls may do what it likes).
    #[test]
    fn every_step_goes_through_send() {
        let code = reachable_from(
            include_str!("tokio_mutex_transaction.rs"),
            "run_transaction",
            &["send"],
        );
        let writes: usize = code
            .iter()
            .map(|text| {
                let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                let by_method: usize = [
                    ".wire.push(",
                    ".wire.extend(",
                    ".wire.extend_from_slice(",
                    ".wire.append(",
                    ".wire.insert(",
                    ".wire.splice(",
                    ".wire.resize(",
                ]
                .into_iter()
                .map(|write| text.matches(write).count())
                .sum();
                // `.wire = ..` (not `.wire == ..`).
                let assigned = text
                    .match_indices(".wire=")
                    .filter(|(at, _)| !text[at + ".wire=".len()..].starts_with('='))
                    .count();
                // `Vec::push(&mut conn.wire, ..)`, `mem::take(&mut conn.wire)`, `let w = &mut ..wire`.
                let by_reference = text
                    .split("&mut")
                    .skip(1)
                    .filter(|after| {
                        let operand = after.split([',', ')', ';', '{']).next().unwrap_or("");
                        operand.contains(".wire")
                    })
                    .count();
                // `let Connection { wire } = &mut *guard;`, `Self { ref mut wire, .. }`, but not
                // a pattern that only borrows to read (`let Connection { wire } = &*guard;`).
                let by_pattern = ["Connection{", "Self{"]
                    .into_iter()
                    .flat_map(|pattern| text.match_indices(pattern))
                    .filter(|(at, pattern)| {
                        let rest = &text[at + pattern.len()..];
                        let (fields, after) = rest.split_once('}').unwrap_or((rest, ""));
                        let read_only = after.starts_with("=&") && !after.starts_with("=&mut");
                        !read_only
                            && fields
                                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                                // Spaces are out: `ref mut wire` reads `refmutwire`.
                                .map(|word| word.trim_start_matches("ref"))
                                .any(|word| word.trim_start_matches("mut") == "wire")
                    })
                    .count();
                by_method + assigned + by_reference + by_pattern
            })
            .sum();
        assert!(
            writes == 0,
            "run_transaction writes to the connection's `wire` by hand in {writes} places \
             (counting the helpers and macros it calls, and a pattern that takes the `wire` \
             field out of the connection), where only the given Connection::send should: a step \
             pushed onto the wire by hand (after a sleep that looks like the round trips) was \
             never sent. Send every step with `send(...).await` on the connection, while you \
             hold its guard"
        );
    }

    /// Runs a transaction (counting its polls) and reads the wire the moment run_transaction
    /// returns: at once if the connection is free; if a task holds it, once that task lets go
    /// at the same moment, but only if run_transaction had no task of its own alive while it
    /// waited (a task started as it returns, to log the wire say, may hold it a moment).
    /// Returns when it returned (from `start`) and the wire, or `Err(how much longer the
    /// connection stayed locked)`: a transaction that still goes on in a task; and whether
    /// run_transaction started a task that was still alive (while it waited, or on the poll
    /// that returned).
    async fn run_and_read(
        conn: &Arc<Mutex<Connection>>,
        name: &'static str,
        amount: u32,
        start: Instant,
        polls: &std::sync::atomic::AtomicUsize,
    ) -> (Duration, Result<Vec<String>, Duration>, bool) {
        use std::future::Future;
        let metrics = tokio::runtime::Handle::current().metrics();
        let mut own_task = false;
        let mut task_at_return = false;
        let mut running = std::pin::pin!(guarded(run_transaction(Arc::clone(conn), name, amount)));
        std::future::poll_fn(|cx| {
            polls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let tasks = metrics.num_alive_tasks();
            let poll = running.as_mut().poll(cx);
            let started = metrics.num_alive_tasks() > tasks;
            own_task |= poll.is_pending() && started;
            task_at_return |= poll.is_ready() && started;
            poll
        })
        .await;
        let took = start.elapsed();
        let any_task = own_task || task_at_return;
        if let Ok(conn) = conn.try_lock() {
            return (took, Ok(conn.wire.clone()), any_task);
        }
        let locked = tokio::time::timeout(Duration::from_secs(1), conn.lock()).await;
        match locked {
            Ok(conn) if !own_task && start.elapsed() == took => {
                (took, Ok(conn.wire.clone()), any_task)
            }
            _ => (took, Err(start.elapsed() - took), any_task),
        }
    }

    /// What `run_and_read` saw after another task had held the connection, and what to do: a
    /// transaction that started no task and left the connection to its holder gave up on it.
    fn after_busy(wire: &Result<Vec<String>, Duration>, own_task: bool) -> String {
        match wire {
            // The test's own holder lets go within 103 ms, and run_and_read waits a second:
            // a connection still locked then is held by a guard run_transaction left alive.
            Err(more) if *more >= Duration::from_secs(1) && !own_task => String::from(
                "still locked a second later, though that other task had let go of it well \
                 before, and run_transaction had started no task: run_transaction kept the \
                 connection's guard alive after it returned (forgotten with mem::forget, or \
                 stored away), so every later user of the connection waits forever. Wait for \
                 the connection with `lock().await`, send the three steps, and let the guard \
                 end (at the end of its scope, or with drop) before returning",
            ),
            Err(more) if !more.is_zero() && !own_task => format!(
                "still locked by that other task (for {more:?} more), and run_transaction had \
                 started no task: it returned without the connection, its steps unsent (a \
                 `try_lock` that gave up, a timeout?). Wait for the connection with \
                 `lock().await`, send the three steps, then return"
            ),
            Ok(wire) if !own_task => format!(
                "free, and the wire held {wire:?}; run_transaction had started no task, and its \
                 three steps were not all on the wire, in order, when it returned. Wait for the \
                 connection with `lock().await`, send the three steps, then return"
            ),
            _ => format!(
                "{}: its steps (or another use of the connection) were left to a task that \
                 run_transaction started and did not wait for. Lock the connection and send the three steps in run_transaction \
                 itself (or await the task that does), then return",
                seen(wire)
            ),
        }
    }

    /// What `run_and_read` saw, for a message.
    fn seen(wire: &Result<Vec<String>, Duration>) -> String {
        match wire {
            Ok(wire) => format!("free but the wire held {wire:?}"),
            Err(more) if more.is_zero() => "still locked by a task that run_transaction \
                 started, which let go of it only after run_transaction returned (a task that \
                 sends the steps, or one that waits to lock the connection, a watcher that \
                 prints the wire say: await every task you start, even one you abort)"
                .to_string(),
            Err(more) if *more >= Duration::from_secs(1) => "still locked a second later: \
                 a guard of the connection that run_transaction left alive (forgotten with \
                 mem::forget, or stored away), or a task it started that holds one, keeps every \
                 later user of the connection waiting; let each guard end before returning"
                .to_string(),
            Err(more) => format!("still locked (for {more:?} more)"),
        }
    }

    /// A transaction handed to a task that nobody awaits still ends up on the wire once the
    /// test locks the connection, so here the wire is read the moment run_transaction returns.
    #[tokio::test(start_paused = true)]
    async fn the_transaction_is_over_when_run_transaction_returns() {
        let conn = Arc::new(Mutex::new(Connection { wire: Vec::new() }));
        let polls = std::sync::atomic::AtomicUsize::new(0);
        let (_, wire, _) = run_and_read(&conn, "gina", 4, Instant::now(), &polls).await;
        if let Ok(wire) = &wire
            && let Some(note) = out_of_order(wire, "gina")
        {
            panic!("when run_transaction returned, the wire held {wire:?}: {note}");
        }
        assert!(
            wire.as_deref()
                .is_ok_and(|wire| wire == ["BEGIN gina", "ADD gina 4", "COMMIT gina"]),
            "when run_transaction returned, the connection was {}: the transaction must be \
             committed by then. Send the three steps in run_transaction itself (or await the \
             task that sends them) before returning",
            seen(&wire)
        );
        // Again with the connection busy for 50 ms first: a task left to send the steps, and a
        // sleep as long as 3 round trips, end before that transaction does.
        let busy = Arc::clone(&conn).lock_owned().await;
        let other = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(busy);
        });
        let (_, wire, own_task) = run_and_read(&conn, "hank", 2, Instant::now(), &polls).await;
        assert!(
            wire.as_deref().is_ok_and(|wire| wire.ends_with(&[
                "BEGIN hank".to_string(),
                "ADD hank 2".to_string(),
                "COMMIT hank".to_string()
            ])),
            "another task held the connection for 50 ms, and when run_transaction returned, \
             the connection was {}",
            after_busy(&wire, own_task)
        );
        other.await.unwrap();
        // Once more with the runtime busy for 200 ms right after run_transaction's first step,
        // before any task that it started has run: a task left to send the steps has sent none
        // of them when a sleep of up to 200 ms in run_transaction is over.
        let busy = tokio::spawn(tokio::time::advance(Duration::from_millis(200)));
        let (_, wire, _) = run_and_read(&conn, "ivy", 3, Instant::now(), &polls).await;
        busy.await.expect("the test's busy task failed");
        assert!(
            wire.as_deref().is_ok_and(|wire| wire.ends_with(&[
                "BEGIN ivy".to_string(),
                "ADD ivy 3".to_string(),
                "COMMIT ivy".to_string()
            ])),
            "here the runtime was busy for 200 ms right after run_transaction's first step, \
             before any task that it had started could run, and when run_transaction returned, \
             the connection was {}: the steps were left to a task that nobody waits for, while \
             run_transaction waited for a fixed time (a sleep?). Send the three steps in \
             run_transaction itself (or await the task that does), then return. (A timeout of \
             200 ms or less around the steps also ends here: a safety net must be longer.)",
            seen(&wire)
        );
    }

    /// A task that run_transaction starts and leaves running once it has returned (a progress line
    /// on a timer that nothing stops) piles up, one more with every call. An hour (of the test's
    /// paused clock) after three transactions, none of the tasks started since may still be alive.
    #[tokio::test(start_paused = true)]
    async fn the_transactions_leave_no_task_running() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        let conn = std::sync::Arc::new(tokio::sync::Mutex::new(Connection { wire: Vec::new() }));
        for (name, amount) in [("alice", 5), ("bob", 7), ("carol", 9)] {
            run_transaction(std::sync::Arc::clone(&conn), name, amount).await;
        }
        tokio::time::advance(std::time::Duration::from_secs(3600)).await;
        // Every task that the hour's timers woke runs now.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let left = metrics.num_alive_tasks().saturating_sub(before);
        assert_eq!(
            left, 0,
            "three transactions (run_transaction) had ended, and an hour later (of the test's \
             paused clock) {left} task(s) started since were still running: a task that \
             run_transaction starts (a progress line on a timer, say) must be over by the time it \
             returns (abort its JoinHandle: dropping it lets the task run on), or it stays alive \
             for good, and one more piles up with every call"
        );
    }
}
