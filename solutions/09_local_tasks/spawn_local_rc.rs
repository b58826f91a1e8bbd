// spawn_local_rc
//
// `greet_all` starts one task per guest. Each task waits for its guest to arrive, then writes
// a line in a shared guest book. The book is an `Rc<RefCell<Vec<String>>>`: cheap, but not
// `Send`, so these tasks must never move to another thread.
//
// `tokio::spawn` accepts only `Send` futures, so the code does not compile. The tasks already
// run inside a `LocalSet`: spawn them with the function that keeps a task on the current
// thread. The guests must still be waited for at the same time, not one after the other.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use tokio::task::LocalSet;
use tokio::time::sleep;

/// Each guest is a name and the time (in ms) it takes them to arrive.
pub async fn greet_all(guests: &[(&str, u64)], book: Rc<RefCell<Vec<String>>>) {
    let local = LocalSet::new();
    local
        .run_until(async {
            let mut handles = Vec::new();
            for &(name, delay) in guests {
                let book = Rc::clone(&book);
                let name = name.to_string();
                // spawn_local: the task stays on this thread, so it may hold an `Rc`.
                handles.push(tokio::task::spawn_local(async move {
                    sleep(Duration::from_millis(delay)).await;
                    book.borrow_mut().push(format!("welcome, {name}"));
                }));
            }
            for handle in handles {
                handle.await.expect("a greeting task panicked");
            }
        })
        .await;
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;
    use std::time::Duration;
    use tokio::time::Instant;

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

    /// `code` with the text of its string literals taken out, so that a string holding a call
    /// (`"spawn_local("`) does not count as one; comments stay as they are.
    fn without_string_literals(code: &str) -> String {
        // A `"` inside a raw string (`r#"a "b" c"#`) does not end it.
        let code = &raw_strings_plain(code);
        let mut out = String::new();
        let mut chars = code.chars().peekable();
        while let Some(c) = chars.next() {
            out.push(c);
            match c {
                '/' if chars.peek() == Some(&'/') => {
                    for c in chars.by_ref() {
                        out.push(c);
                        if c == '\n' {
                            break;
                        }
                    }
                }
                '/' if chars.peek() == Some(&'*') => {
                    // A block comment (which may nest): a `"` or a `//` in it starts nothing.
                    let mut depth = 1;
                    out.extend(chars.next());
                    while let Some(c) = chars.next() {
                        out.push(c);
                        match (c, chars.peek()) {
                            ('/', Some('*')) => {
                                out.extend(chars.next());
                                depth += 1;
                            }
                            ('*', Some('/')) => {
                                out.extend(chars.next());
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                }
                // A char literal: '"' or an escaped one ('\"', '\\', '\'').
                '\'' if matches!(chars.peek(), Some('"' | '\\')) => {
                    let c = chars.next();
                    out.extend(c);
                    if c == Some('\\') {
                        out.extend(chars.next());
                    }
                }
                '"' => {
                    while let Some(c) = chars.next() {
                        if c == '\\' {
                            chars.next();
                        } else if c == '"' {
                            out.push(c);
                            break;
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// `code` without its comments: `// ...` to the end of its line, and `/* ... */` (which may
    /// nest), each taken where it starts, so that a `//` inside a block comment (a URL) ends
    /// nothing and hides no code after it.
    fn without_comments(code: &str) -> String {
        let mut out = String::new();
        let mut depth = 0;
        let mut rest = code;
        while let Some(c) = rest.chars().next() {
            if rest.starts_with("/*") {
                depth += 1;
                rest = &rest[2..];
            } else if depth > 0 && rest.starts_with("*/") {
                depth -= 1;
                rest = &rest[2..];
                // A comment parts tokens as a space does.
                if depth == 0 {
                    out.push(' ');
                }
            } else if depth == 0 && rest.starts_with("//") {
                rest = &rest[rest.find('\n').unwrap_or(rest.len())..];
            } else {
                if depth == 0 {
                    out.push(c);
                }
                rest = &rest[c.len_utf8()..];
            }
        }
        out
    }

    #[tokio::test(start_paused = true)]
    async fn guests_are_greeted_as_they_arrive() {
        let book = Rc::new(RefCell::new(Vec::new()));
        let start = Instant::now();
        greet_all(&[("Ann", 300), ("Bob", 100), ("Cy", 200)], Rc::clone(&book)).await;
        let elapsed = start.elapsed().as_millis();
        assert_eq!(
            *book.borrow(),
            ["welcome, Bob", "welcome, Cy", "welcome, Ann"],
            "guests must be greeted in the order they arrive (Bob after 100 ms, Cy after \
             200 ms, Ann after 300 ms), so the tasks must wait at the same time"
        );
        assert_eq!(
            elapsed, 300,
            "greeting took {elapsed} ms: the three tasks should wait side by side, so the \
             last guest (300 ms) sets the total, and greet_all should return as soon as that \
             task ends (not after a sleep, a check on a timer, or a progress task that looks \
             at a stop flag on its next tick: stop one with `abort()` or a CancellationToken)"
        );
    }

    /// Returns once the runtime has gone idle (parked, letting the paused clock move on) 25 000
    /// times since it was called, checked every paused minute: a day of paused time passes at
    /// once for code that only waits (1440 checks), while a progress ticker every 40 ms (in
    /// the function or in a task of its own) would need 2 million wake-ups.
    /// (Each tick of a 40 ms ticker idles the runtime two or three times: 25 000 is about
    /// 400 s of such ticks, half a second of real time.)
    async fn busy_for_long() {
        let idles = || {
            let metrics = tokio::runtime::Handle::current().metrics();
            (0..metrics.num_workers())
                .map(|worker| metrics.worker_park_count(worker))
                .sum::<u64>()
        };
        let first = idles();
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            if idles() - first > 25_000 {
                return;
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_guest_a_day_late_is_waited_for() {
        // Zed arrives a day after the start. A greet_all woken often (a progress message) is
        // judged below; this test leaves it alone once it has been polled 10000 times, or once
        // the runtime has gone idle 25000 times (a heartbeat in a task of its own), or once it
        // has failed (panicked).
        let book = Rc::new(RefCell::new(Vec::new()));
        let day = 24 * 3600 * 1000;
        let start = Instant::now();
        // A safety net that panics is not judged here either.
        let guests = [("Ann", 100), ("Zed", day)];
        let greeting = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
            greet_all(&guests, Rc::clone(&book)),
        ));
        let mut greeting = std::pin::pin!(greeting);
        let mut polls = 0u32;
        let greeted = std::future::poll_fn(|cx| {
            polls += 1;
            if polls > 10_000 {
                return std::task::Poll::Ready(None);
            }
            greeting.as_mut().poll(cx).map(Some)
        });
        // One that never returns is judged by the tests below too.
        let month = Duration::from_secs(30 * 24 * 3600);
        let greeted = tokio::select! {
            biased;
            greeted = tokio::time::timeout(month, greeted) => greeted,
            () = busy_for_long() => return,
        };
        let Ok(Some(Ok(()))) = greeted else {
            return;
        };
        let took = start.elapsed();
        assert_eq!(
            *book.borrow(),
            ["welcome, Ann", "welcome, Zed"],
            "Ann arrives after 100 ms and Zed a day later, and greet_all returned after \
             {took:?} with the book {:?}: wait for every guest's task, however long its guest \
             takes",
            book.borrow()
        );
        assert!(
            took != Duration::from_millis(day + 100),
            "Zed arrived a day after the start, but greet_all returned after {took:?}, as late \
             as Ann's 100 ms and Zed's day one after the other: the two should wait side by \
             side, so start every guest's task before waiting for any"
        );
        assert_eq!(
            took,
            Duration::from_millis(day),
            "Zed arrived a day after the start, but greet_all returned after {took:?}: return \
             as soon as the last guest's task ends"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_crowd_of_guests_is_waited_for_at_once() {
        // 2500 guests, all arriving 100 ms after the start.
        let names: Vec<String> = (0..2500).map(|i| format!("guest {i}")).collect();
        let guests: Vec<(&str, u64)> = names.iter().map(|name| (name.as_str(), 100)).collect();
        let book = Rc::new(RefCell::new(Vec::new()));
        let start = Instant::now();
        greet_all(&guests, Rc::clone(&book)).await;
        let took = start.elapsed().as_millis();
        let greeted = book.borrow().len();
        assert_eq!(
            greeted, 2500,
            "2500 guests came, all 100 ms after the start, and greet_all returned after {took} \
             ms with {greeted} of them greeted: wait for every guest's task"
        );
        let why = if took < 100 {
            "it returned before they arrived"
        } else {
            "each of them arrives at 100 ms, so with every guest's task started at once \
             (however many there are) and all of them waiting side by side, the last one is \
             done at 100 ms, and greet_all should return then"
        };
        assert_eq!(
            took, 100,
            "2500 guests came, all 100 ms after the start, and greet_all took {took} ms to greet \
             them all, not 100: {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn smaller_parties_are_waited_for_at_once_too() {
        // 10 guests, all arriving 100 ms after the start, then 5 quick ones, all at 20 ms.
        for (count, delay) in [(10, 100), (5, 20)] {
            let names: Vec<String> = (0..count).map(|i| format!("guest {i}")).collect();
            let guests: Vec<(&str, u64)> =
                names.iter().map(|name| (name.as_str(), delay)).collect();
            let book = Rc::new(RefCell::new(Vec::new()));
            let start = Instant::now();
            greet_all(&guests, Rc::clone(&book)).await;
            let took = start.elapsed().as_millis();
            let greeted = book.borrow().len();
            assert_eq!(
                greeted, count,
                "{count} guests came, all {delay} ms after the start, and greet_all returned \
                 after {took} ms with {greeted} of them greeted: wait for every guest's task"
            );
            let why = if took < u128::from(delay) {
                "it returned before they arrived".to_string()
            } else if took == u128::from(delay) * count as u128 {
                format!(
                    "as long as their {delay} ms waits one after another: start every guest's \
                     task before waiting for any, however many guests there are and however \
                     soon they arrive, so that they all wait side by side"
                )
            } else {
                format!(
                    "each of them arrives at {delay} ms, so with every guest's task started at \
                     once and all of them waiting side by side, greet_all should return at \
                     {delay} ms"
                )
            };
            assert_eq!(
                took,
                u128::from(delay),
                "{count} guests came, all {delay} ms after the start, and greet_all took {took} \
                 ms to greet them all, not {delay}: {why}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_guest_who_comes_twice_is_greeted_twice() {
        let book = Rc::new(RefCell::new(Vec::new()));
        greet_all(
            &[("Ann", 100), ("Bob", 200), ("Ann", 300)],
            Rc::clone(&book),
        )
        .await;
        assert_eq!(
            *book.borrow(),
            ["welcome, Ann", "welcome, Bob", "welcome, Ann"],
            "Ann came twice (at 100 ms and at 300 ms), Bob once (200 ms): every arrival is \
             greeted, a name given twice too (one task per guest in the list)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_guests() {
        let book = Rc::new(RefCell::new(Vec::new()));
        greet_all(&[], Rc::clone(&book)).await;
        assert!(book.borrow().is_empty(), "no guests, so no greeting");
    }

    #[tokio::test(start_paused = true)]
    async fn each_task_writes_the_book_when_its_guest_arrives() {
        let book = Rc::new(RefCell::new(Vec::new()));
        let start = Instant::now();
        let ((), at_150_ms) = tokio::join!(
            greet_all(&[("Ann", 300), ("Bob", 100), ("Cy", 200)], Rc::clone(&book)),
            async {
                tokio::time::sleep_until(start + Duration::from_millis(150)).await;
                book.borrow().clone()
            }
        );
        assert_eq!(
            at_150_ms,
            ["welcome, Bob"],
            "150 ms in, Bob (100 ms) had arrived but the book held {at_150_ms:?}: every \
             guest's task should wait from the start, side by side with the others, and write \
             its guest's line in the shared book as the guest arrives"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_guest_has_a_task_waiting_at_once() {
        // Each task holds a copy of the book's `Rc` while it waits, and lets go of it once its
        // guest is greeted: the count of copies shows how many tasks are alive at an instant.
        let book = Rc::new(RefCell::new(Vec::new()));
        let start = Instant::now();
        let guests = [("Ann", 300), ("Bob", 100), ("Cy", 200), ("Di", 400)];
        let ((), (at_50_ms, at_250_ms, book_at_250_ms)) =
            tokio::join!(greet_all(&guests, Rc::clone(&book)), async {
                // A task may hold a `Weak` copy instead (upgraded when its guest arrives).
                let copies = || Rc::strong_count(&book) + Rc::weak_count(&book);
                tokio::time::sleep_until(start + Duration::from_millis(50)).await;
                let at_50_ms = copies();
                tokio::time::sleep_until(start + Duration::from_millis(250)).await;
                (at_50_ms, copies(), book.borrow().clone())
            });
        if at_50_ms != at_250_ms + 2 && book_at_250_ms == ["welcome, Bob", "welcome, Cy"] {
            panic!(
                "Bob (100 ms) and Cy (200 ms) were greeted on time, but the copies of the \
                 book's `Rc` (or `Weak`) held went from {at_50_ms} (50 ms in) to {at_250_ms} \
                 (250 ms in), where 2 fewer were due: the guests' tasks do not each hold a copy \
                 of the book while their guest is on the way, and let go of it once they have \
                 written the greeting (a task of its own writes the book for them all, say). In \
                 this lesson, each guest's task holds its own `Rc` clone of the book (that is \
                 why it must be spawned with spawn_local), waits for its guest and writes the \
                 line in the book itself"
            );
        }
        assert_eq!(
            at_50_ms,
            at_250_ms + 2,
            "copies of the book's `Rc` (or `Weak`) held 50 ms in: {at_50_ms}; 250 ms in: \
             {at_250_ms}, and the book held {book_at_250_ms:?} by then. In \
             between, Bob (100 ms) and Cy (200 ms) were greeted, so 2 of the 4 tasks, each \
             holding a copy, should have finished. Start every guest's task at once, so that \
             they all wait side by side, then wait for them all"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn greet_all_waits_for_every_task() {
        // 200 guests, all arriving after 100 ms. A `LocalSet` starts a few dozen tasks per
        // turn, so the test polls greet_all once (some tasks start, the rest wait for the next
        // turn), then moves the clock 1 s on before it polls again: the tasks started late
        // arrive 100 ms after that, and greet_all must still wait for them.
        let names: Vec<String> = (0..200).map(|i| format!("guest {i}")).collect();
        let guests: Vec<(&str, u64)> = names.iter().map(|name| (name.as_str(), 100)).collect();
        let book = Rc::new(RefCell::new(Vec::new()));
        let mut greeting = std::pin::pin!(greet_all(&guests, Rc::clone(&book)));
        let first_step =
            std::future::poll_fn(|cx| std::task::Poll::Ready(greeting.as_mut().poll(cx))).await;
        assert!(
            first_step.is_pending(),
            "greet_all returned at once, before any guest (100 ms) arrived"
        );
        tokio::time::advance(Duration::from_secs(1)).await;
        greeting.await;
        let greeted = book.borrow().len();
        assert_eq!(
            greeted,
            guests.len(),
            "greet_all returned when {greeted} of {} guests had been greeted: some guests' \
             tasks started late (the test held greet_all for 1 s after its first step) and \
             were still waiting. Do not sleep for the longest delay: wait for every task, \
             through its JoinHandle (or a JoinSet)",
            guests.len()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn greet_all_is_not_woken_on_a_timer() {
        // Two guests, arriving after 1.009 s and 2.017 s (prime numbers of ms, which no timer's
        // beat but 1 ms falls on). greet_all is woken when a task it waits for ends; one that
        // checks on the tasks (the book's `Rc` count, the book) on a timer of its own returns
        // late, or is polled at many more moments. One moment of its own per 10 ms (a progress
        // message) is fine.
        let book = Rc::new(RefCell::new(Vec::new()));
        let guests = [("Ann", 1_009), ("Bob", 2_017)];
        let start = Instant::now();
        let mut moments: Vec<Duration> = Vec::new();
        let mut greeting = std::pin::pin!(greet_all(&guests, Rc::clone(&book)));
        std::future::poll_fn(|cx| {
            let at = start.elapsed();
            if moments.last() != Some(&at) {
                moments.push(at);
            }
            // A busy loop is stopped here, with the message below, instead of by the timeout.
            if moments.len() > 1000 {
                return std::task::Poll::Ready(());
            }
            greeting.as_mut().poll(cx)
        })
        .await;
        let arrivals = [0, 1_009, 2_017].map(Duration::from_millis);
        let needless: Vec<Duration> = moments
            .into_iter()
            .filter(|at| !arrivals.contains(at))
            .collect();
        let took = start.elapsed();
        assert!(
            needless.len() as u128 <= took.as_millis() / 10,
            "greet_all was polled at {} moments when no guest arrived (Ann arrives after \
             1.009 s, Bob after 2.017 s), the first after {:?}: it checks on the tasks on a timer \
             of its own, which is busy waiting. Await each task's JoinHandle (or a JoinSet): \
             greet_all is then woken when a task ends (a progress message every 10 ms or more \
             is fine)",
            needless.len(),
            needless.first().copied().unwrap_or_default()
        );
        assert_eq!(
            book.borrow().len(),
            2,
            "greet_all returned before both guests were greeted"
        );
        assert!(
            took != Duration::from_millis(1_009 + 2_017),
            "greet_all returned {took:?} after the start, as late as Ann's 1.009 s and Bob's \
             2.017 s one after the other, but the two should wait side by side (Bob's task \
             ends after 2.017 s): start every guest's task before waiting for any"
        );
        assert_eq!(
            took,
            Duration::from_millis(2_017),
            "greet_all returned {took:?} after the start, but Bob's task ended after 2.017 s: \
             something it waits for is checked on a timer (the tasks, the book's `Rc` count, or a \
             progress task's stop flag), and noticed late. Await each task's JoinHandle (or a \
             JoinSet): greet_all is then woken the moment a task ends; stop a progress task \
             with `abort()` or a CancellationToken, which end it at once"
        );
    }

    thread_local! {
        /// For each panic on this thread since it was reset: the id of the task it happened
        /// in, or `None` outside any task.
        static PANICS: RefCell<Vec<Option<tokio::task::Id>>> = const { RefCell::new(Vec::new()) };
        /// While set, the "already borrowed" panics this thread's test causes on purpose in
        /// the code above the tests are counted but not printed: they are the test's probe,
        /// not the learner's mistake.
        static PROBING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        /// Whether Tokio panicked on this thread since it was reset because `spawn_local` was
        /// called while no LocalSet was running.
        static SPAWNED_OUTSIDE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// A line of this file before which code is the learner's.
    const TESTS_START: u32 = line!();

    /// Whether a panic is one of the probe's: a borrow in the learner's code that found the
    /// book held by the test.
    fn probed(info: &std::panic::PanicHookInfo) -> bool {
        PROBING.get()
            && info.to_string().contains("RefCell already")
            && info
                .location()
                .is_some_and(|at| at.file() == file!() && at.line() < TESTS_START)
    }

    // Holding the book across an `.await` is what this test means to do.
    #[allow(clippy::await_holding_refcell_ref)]
    #[tokio::test(start_paused = true)]
    async fn each_greeting_runs_in_a_task_of_its_own() {
        use futures_util::FutureExt;
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                PANICS.with_borrow_mut(|panics| panics.push(tokio::task::try_id()));
                if info
                    .to_string()
                    .contains("`spawn_local` called from outside")
                {
                    SPAWNED_OUTSIDE.set(true);
                }
                if !probed(info) {
                    previous(info);
                }
            }));
        });
        PANICS.with_borrow_mut(Vec::clear);
        SPAWNED_OUTSIDE.set(false);
        PROBING.set(true);
        // The test reads the book from 50 ms to 150 ms in, so each greeting (all three guests
        // arrive at 100 ms) finds it in use and panics ("already borrowed"). Where those panics
        // happen shows where the greetings run: each in a task of its own, or all in one.
        let book = Rc::new(RefCell::new(Vec::new()));
        let guests = [("Ann", 100), ("Bob", 100), ("Cy", 100)];
        let start = Instant::now();
        // Whether greet_all returned (rather than panicked), and when.
        let (greeted, ()) = tokio::join!(
            tokio::time::timeout(Duration::from_secs(10), async {
                let greeting = greet_all(&guests, Rc::clone(&book));
                let outcome = std::panic::AssertUnwindSafe(greeting).catch_unwind().await;
                (outcome.is_ok(), start.elapsed())
            }),
            async {
                tokio::time::sleep_until(start + Duration::from_millis(50)).await;
                let reading = book.borrow();
                tokio::time::sleep_until(start + Duration::from_millis(150)).await;
                drop(reading);
            }
        );
        PROBING.set(false);
        let panics = PANICS.take();
        assert!(
            !SPAWNED_OUTSIDE.take(),
            "greet_all called spawn_local while no LocalSet was running (Tokio panicked: \
             \"`spawn_local` called from outside of a `task::LocalSet`\"), so no guest was \
             greeted. A LocalSet runs (and takes local tasks) only inside the future that \
             `local.run_until(...)` is given, while run_until runs it: not before run_until \
             starts, nor after it returns. An argument is worked out before the call it is \
             given to, so `local.run_until(join_all(guests.iter().map(|..| spawn_local(..))))` \
             spawns every task while no LocalSet runs yet, as does a loop of spawn_local \
             before the call to run_until. Put the code that spawns and awaits the tasks in an \
             `async {{ ... }}` block, and give that block to `local.run_until(...)`"
        );
        assert!(
            greeted.is_ok(),
            "the guests' greeting tasks panicked (the test held the book when they arrived at \
             100 ms), and 10 s later greet_all still had not returned: it waits for something \
             those tasks never did (the book to fill up, watched on a timer?). Wait for the \
             tasks themselves: await each JoinHandle, which also reports a task that failed"
        );
        let tasks: std::collections::HashSet<tokio::task::Id> =
            panics.iter().flatten().copied().collect();
        // Returned before the guests arrived, with an empty book and no panic anywhere: no
        // greeting ran at all, in a task or in greet_all's own future.
        let returned_early = matches!(greeted, Ok((true, at)) if at < Duration::from_millis(100));
        assert!(
            !(returned_early && panics.is_empty() && book.borrow().is_empty()),
            "greet_all returned after {} ms, before the guests arrived (100 ms), and no greeting \
             ran at all (each would have panicked while the test held the book): it did not \
             wait for them. Local tasks that are never awaited are dropped unrun with their \
             LocalSet (run_until returns as soon as the future it was given is done), and a \
             future that is never awaited does nothing. Start one task per guest with \
             tokio::task::spawn_local, and await each JoinHandle (or a JoinSet) inside \
             `local.run_until(...)` before returning",
            greeted.map_or(0, |(_, at)| at.as_millis())
        );
        assert!(
            !tasks.is_empty(),
            "the guests' lines were not written in a task: the book was written in \
             greet_all's own future (a plain future, polled with join_all or the like, is no \
             task; nor is greet_all writing what its tasks returned). Start one task per guest \
             with tokio::task::spawn_local, each writing its guest's line in the book"
        );
        // More tasks than guests may panic: a task that awaits a guest's handle and fails in
        // turn (`expect`) is one more.
        assert!(
            tasks.len() >= guests.len(),
            "all {} guests arrive at 100 ms while the test holds the book, so each greeting \
             panics in the task it runs in, but the panics came from {} task(s). Start one \
             task per guest with tokio::task::spawn_local, each writing its own guest's line \
             in the book, every one before waiting for any (one task that runs them all, with \
             join_all or the like, is not that; nor is one task that writes the lines the \
             guests' tasks send it)",
            guests.len(),
            tasks.len()
        );
    }

    /// How many times `code` names `spawn_local` (or `spawn_local_on`: JoinSet's
    /// `spawn_local_on(task, &local)` starts a local task too), or a name it is imported
    /// under (`use tokio::task::spawn_local as spawn_here;`), outside `use` declarations,
    /// however it is written: called (`spawn_local(..)`, `spawn_local (..)`,
    /// `spawn_local::<_>(..)`) or passed as a function (`.map(spawn_local)`). An import alone
    /// starts no task, nor does a name bound to `_`.
    fn spawn_local_names(code: &str) -> usize {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        // The names it is imported under (`use tokio::task::spawn_local as spawn_here;`).
        let words: Vec<&str> = code
            .split(|c: char| !is_word(c))
            .filter(|w| !w.is_empty())
            .collect();
        let mut spawners = vec![String::from("spawn_local"), String::from("spawn_local_on")];
        for at in 0..words.len().saturating_sub(2) {
            if spawners[..2].contains(&words[at].to_string()) && words[at + 1] == "as" {
                spawners.push(words[at + 2].to_string());
            }
        }
        let chars: Vec<char> = code.chars().collect();
        let (mut i, mut names) = (0, 0);
        while i < chars.len() {
            if !is_word(chars[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len() && is_word(chars[i]) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            // `let _ = spawn_local::<Ready<()>>;` (a name kept only to use the import) starts
            // no task either: a `let _ =` with no call or block in it is skipped.
            let statement: String = chars[i..]
                .iter()
                .take_while(|c| **c != ';')
                .filter(|c| !c.is_whitespace())
                .collect();
            let calls = statement.as_bytes().windows(2).any(|pair| {
                pair[1] == b'(' && (pair[0].is_ascii_alphanumeric() || b"_>)".contains(&pair[0]))
            });
            let dead_name =
                word == "let" && statement.starts_with("_=") && !calls && !statement.contains('{');
            if word == "use" || dead_name {
                while i < chars.len() && chars[i] != ';' {
                    i += 1;
                }
            } else if spawners.contains(&word) {
                names += 1;
            }
        }
        names
    }

    /// The lesson is in how the tasks are started, so this test reads the source.
    #[test]
    fn the_tasks_are_spawned_locally() {
        let source = include_str!("spawn_local_rc.rs");
        let code = without_comments(&without_string_literals(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        ));
        assert!(
            spawn_local_names(&code) > 0,
            "greet_all starts no task with spawn_local: this lesson is about keeping tasks \
             that hold an `Rc` on one thread, as local tasks of the `LocalSet`. Plain futures \
             (join_all) or `Arc<Mutex>` with tokio::spawn step around it: spawn one task per \
             guest with tokio::task::spawn_local"
        );
    }
}
