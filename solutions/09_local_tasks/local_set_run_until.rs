// local_set_run_until
//
// `count_words` hands each text to its own task. The tasks add their words to one shared
// `Rc<RefCell<BTreeMap>>`, which is not `Send`, so they are started with `spawn_local`.
//
// But `spawn_local` only works while a `LocalSet` is running: called from a plain
// `#[tokio::test]` it panics. Create a `LocalSet` inside `count_words` and run the code that
// spawns and awaits the tasks inside it with `run_until`. The texts must still be loaded at
// the same time.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;
use tokio::task::{LocalSet, spawn_local, yield_now};
use tokio::time::sleep;

pub async fn count_words(texts: Vec<String>) -> BTreeMap<String, usize> {
    let counts = Rc::new(RefCell::new(BTreeMap::new()));

    // spawn_local needs a running LocalSet: run_until drives it while this block runs.
    let local = LocalSet::new();
    local
        .run_until(async {
            let mut handles = Vec::new();
            for text in texts {
                let counts = Rc::clone(&counts);
                handles.push(spawn_local(async move {
                    // Loading a text takes 100 ms.
                    sleep(Duration::from_millis(100)).await;
                    for word in text.split_whitespace() {
                        *counts.borrow_mut().entry(word.to_lowercase()).or_insert(0) += 1;
                        // Let the other tasks count too.
                        yield_now().await;
                    }
                }));
            }
            for handle in handles {
                handle.await.expect("a counting task panicked");
            }
        })
        .await;

    counts.take()
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
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

    fn texts(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
    }

    /// `count_words(texts)`, or a failure that says why if it never returns: on the tests'
    /// paused clock, a runtime with nothing left to do jumps straight to the hour.
    async fn count_within_an_hour(texts: Vec<String>) -> BTreeMap<String, usize> {
        tokio::time::timeout(std::time::Duration::from_secs(3600), count_words(texts))
            .await
            .expect(
                "count_words had not returned an hour later (on the test's paused clock): it \
                 waits for something that never comes, such as the JoinHandles of local tasks \
                 awaited after `local.run_until(...)` has returned (a LocalSet runs its tasks \
                 only while it is driven), or the end of a channel whose Sender is still held \
                 (a `while let Some(..) = rx.recv().await` ends only once every Sender is \
                 dropped, count_words' own too), or a TaskTracker's `wait()` before its \
                 `close()`. Spawn the tasks AND await them inside \
                 `local.run_until(async { ... })`",
            )
    }

    #[tokio::test(start_paused = true)]
    async fn counts_every_word() {
        let counts =
            count_within_an_hour(texts(&["the cat", "The dog and the cat", "a dog"])).await;
        let expected = BTreeMap::from([
            ("a".to_string(), 1),
            ("and".to_string(), 1),
            ("cat".to_string(), 2),
            ("dog".to_string(), 2),
            ("the".to_string(), 3),
        ]);
        assert_eq!(counts, expected, "every word of every text must be counted");
        let counts =
            count_within_an_hour(texts(&["Hello hello world", "", "WORLD of words"])).await;
        let expected = BTreeMap::from([
            ("hello".to_string(), 2),
            ("of".to_string(), 1),
            ("words".to_string(), 1),
            ("world".to_string(), 2),
        ]);
        assert_eq!(
            counts, expected,
            "every word of every text must be counted, lowercased"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn words_of_any_text_are_counted() {
        // Texts as they come from files: line breaks and tabs between words, and words that
        // are not plain English (the same word in capitals, with an accent).
        let given = ["Élan élan\nÉLAN", "the\tcat\r\nthe end\n"];
        let counts = count_within_an_hour(texts(&given)).await;
        let expected = BTreeMap::from([
            ("cat".to_string(), 1),
            ("end".to_string(), 1),
            ("the".to_string(), 2),
            ("élan".to_string(), 3),
        ]);
        assert_eq!(
            counts, expected,
            "count_words was given the texts {given:?} and counted {counts:?}: words are \
             separated by any white space (line breaks and tabs too: `split_whitespace`), and \
             lowercased whatever their letters (`to_lowercase`, not `to_ascii_lowercase`), as \
             the given counting loop does"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_texts_give_an_empty_map() {
        use futures_util::FutureExt;
        let counting = std::panic::AssertUnwindSafe(tokio::time::timeout(
            Duration::from_secs(3600),
            count_words(Vec::new()),
        ))
        .catch_unwind()
        .await;
        let Ok(counted) = counting else {
            panic!(
                "count_words(vec![]) (no texts at all) panicked (see the panic above), where it \
                 should return an empty map: a list of texts may be empty, so let the code that \
                 gathers the counts handle having none (no task, no map to merge)"
            );
        };
        let Ok(counts) = counted else {
            panic!(
                "count_words(vec![]) (no texts at all) had not returned an hour later (on the \
                 test's paused clock), where it should return an empty map at once: with no \
                 text, nothing is left to wait for"
            );
        };
        assert!(
            counts.is_empty(),
            "count_words(vec![]) (no texts at all) gave {counts:?}, where an empty map was due"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn texts_load_at_the_same_time() {
        // 4 texts, then 7 and 50: however many, they load side by side.
        let numbered =
            |n: usize| -> Vec<String> { (0..n).map(|i| format!("text{i} word")).collect() };
        for given in [
            texts(&["one", "two", "three", "four"]),
            numbered(7),
            numbered(50),
        ] {
            let n = given.len();
            let start = Instant::now();
            count_within_an_hour(given).await;
            let elapsed = start.elapsed().as_millis();
            if elapsed == 100 {
                continue;
            }
            if let Some(fixed) = a_wait_of_its_own(elapsed).await {
                panic!("counting {n} texts took {elapsed} ms, not 100, {fixed}");
            }
            if elapsed < 100
                && let Some(elsewhere) = counted_on_another_thread().await
            {
                panic!(
                    "counting {n} texts took {elapsed} ms, though each takes 100 ms to load: \
                     {elsewhere}"
                );
            }
            let why = if elapsed < 100 {
                "it returned before the texts could have loaded (each takes 100 ms): await \
                 every task before returning"
            } else if elapsed == 100 * n as u128 {
                "as long as their loads one after another (100 ms each): start every text's \
                 task before awaiting any, however many texts there are, so that they load \
                 side by side (100 ms in all)"
            } else {
                "each takes 100 ms to load, and the tasks should load them side by side (100 \
                 ms in all), however many texts there are"
            };
            panic!("counting {n} texts took {elapsed} ms: {why}");
        }
    }

    /// When count_words took `elapsed` ms for several texts, more than a text's 100 ms load,
    /// and just as long for a single text: says that its time is a wait of its own, not its
    /// texts'. Runs count_words for one text on the test's paused clock.
    async fn a_wait_of_its_own(elapsed: u128) -> Option<String> {
        if elapsed <= 100 {
            return None;
        }
        let start = Instant::now();
        count_within_an_hour(texts(&["one"])).await;
        let one = start.elapsed().as_millis();
        (one == elapsed).then(|| {
            format!(
                "and counting 1 text took {one} ms too: its time does not depend on the \
                 texts, though each takes 100 ms to load, so count_words returns after a wait \
                 of its own (a sleep of a fixed length?), not when its tasks are done. Await \
                 each task's JoinHandle (or a JoinSet) inside `local.run_until(...)`: it \
                 returns the moment the last text is counted"
            )
        })
    }

    /// When count_words, run on the caller's paused clock, counts the 1000 different words of
    /// a text without the clock moving by a text's 100 ms load and with fewer heap allocations
    /// made on this thread than words (each word counted is a `String` key, made where it is
    /// counted): says that the words were counted, and the text loaded, on another thread, on
    /// a clock that is not the caller's. `None` otherwise, or if it never returns or panics.
    async fn counted_on_another_thread() -> Option<String> {
        use futures_util::FutureExt;
        let text: Vec<String> = (0..1000).map(|i| format!("w{i}")).collect();
        let start = Instant::now();
        let mut counting = std::pin::pin!(tokio::time::timeout(
            Duration::from_secs(3600),
            count_words(vec![text.join(" ")]),
        ));
        let mut made = 0;
        let counted = std::panic::AssertUnwindSafe(std::future::poll_fn(|cx| {
            let mut step = std::task::Poll::Pending;
            made += allocation_counter::measure(|| step = counting.as_mut().poll(cx)).count_total;
            step
        }))
        .catch_unwind()
        .await;
        let moved = start.elapsed().as_millis();
        let counts = counted.ok()?.ok()?;
        (counts.len() == 1000 && moved < 100 && made < 1000).then(|| {
            format!(
                "given a text of 1000 different words, count_words counted them all while the \
                 test's paused clock moved {moved} ms, and this thread made only {made} heap \
                 allocations meanwhile, fewer than one per word (each word counted is a new \
                 `String` key). So the words were counted on another thread, and the texts \
                 loaded on a runtime of that thread's own (started in std::thread::spawn or \
                 spawn_blocking?): their 100 ms sleeps were not on the clock of the runtime \
                 count_words was called on. Create the LocalSet in count_words and drive \
                 it on the caller's runtime: spawn and await the tasks inside \
                 `local.run_until(async {{ ... }}).await` (or spawn them with \
                 `local.spawn_local(...)` and `.await` the LocalSet)"
            )
        })
    }

    /// Words counted before their text has loaded give the same map at the same time, so
    /// this test counts the heap allocations count_words makes before the 100 ms load is
    /// over: reading a word (`to_lowercase`, a key of the map) allocates, starting tasks
    /// takes a handful of allocations whatever the text.
    #[tokio::test(start_paused = true)]
    async fn no_word_is_read_before_its_text_has_loaded() {
        let text: Vec<String> = (0..2000).map(|i| format!("W{i}")).collect();
        let text = text.join(" ");
        let start = Instant::now();
        let mut counting = std::pin::pin!(count_within_an_hour(vec![text]));
        let mut early = 0;
        let counts = std::future::poll_fn(|cx| {
            let loading = start.elapsed() < Duration::from_millis(100);
            let mut step = std::task::Poll::Pending;
            let made = allocation_counter::measure(|| step = counting.as_mut().poll(cx));
            if loading {
                early += made.count_total;
            }
            step
        })
        .await;
        assert_eq!(counts.len(), 2000, "a text of 2000 different words");
        assert!(
            early < 200,
            "count_words made {early} heap allocations before its text of 2000 words had \
             loaded (a text takes 100 ms to load): it read the words before the load was \
             over. Count a text's words in its task, after the task's 100 ms sleep"
        );
    }

    thread_local! {
        /// For each panic on this thread since it was reset: the id of the task it happened
        /// in (`None` outside any task), and its message.
        static PANICS: std::cell::RefCell<Vec<(Option<tokio::task::Id>, String)>> =
            const { std::cell::RefCell::new(Vec::new()) };
        /// Whether count_words' own future is being polled on this thread: a LocalSet runs
        /// its tasks there (inside `run_until`), the runtime runs a `tokio::spawn` task apart.
        static IN_COUNT_WORDS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// Put before the message of a panic in a task that ran apart from count_words' future.
    const APART: &str = "[apart from count_words] ";

    /// A current-thread runtime of the test's own, its clock paused.
    fn paused_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("could not build a runtime")
    }

    /// When count_words returns for `n` one-word texts, on a paused runtime where the test
    /// polls it once and then holds it for 200 ms before it goes on (less than a safety net of
    /// a second, more than a text's 100 ms load).
    fn returned_after_a_held_first_turn(n: usize) -> Duration {
        paused_runtime().block_on(async {
            let start = Instant::now();
            let texts: Vec<String> = (0..n).map(|i| format!("w{i}")).collect();
            let mut counting = std::pin::pin!(count_within_an_hour(texts));
            let first_turn =
                std::future::poll_fn(|cx| std::task::Poll::Ready(counting.as_mut().poll(cx))).await;
            if first_turn.is_pending() {
                tokio::time::advance(Duration::from_millis(200)).await;
                counting.await;
            }
            start.elapsed()
        })
    }

    /// When count_words returns for `n` one-word texts, on a paused runtime of its own.
    fn returned_after(n: usize) -> Duration {
        paused_runtime().block_on(async {
            let start = Instant::now();
            count_within_an_hour((0..n).map(|i| format!("w{i}")).collect()).await;
            start.elapsed()
        })
    }

    #[test]
    fn each_text_is_loaded_in_a_task_of_its_own() {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let task = tokio::task::try_id();
                let apart = task.is_some() && !IN_COUNT_WORDS.get();
                let message = format!("{}{info}", if apart { APART } else { "" });
                PANICS.with_borrow_mut(|panics| panics.push((task, message)));
                previous(info);
            }));
        });
        PANICS.with_borrow_mut(Vec::clear);
        IN_COUNT_WORDS.set(false);
        // A runtime without a timer: loading a text (its 100 ms `sleep`) panics there, in the
        // task that loads it. Where those panics happen shows where the texts are loaded: each
        // in a task of its own, or all in one.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("could not build a runtime");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                // No timer here to tell "never returns": count turns instead. A count_words
                // that runs its tasks fails (or returns) after a handful of them.
                let turns = async {
                    for _ in 0..10_000 {
                        tokio::task::yield_now().await;
                    }
                };
                let mut counting =
                    std::pin::pin!(count_words(texts(&["one", "two", "three", "four"])));
                let counting = std::future::poll_fn(|cx| {
                    IN_COUNT_WORDS.set(true);
                    let step = counting.as_mut().poll(cx);
                    IN_COUNT_WORDS.set(false);
                    step
                });
                tokio::select! {
                    biased;
                    counts = counting => Some(counts),
                    () = turns => None,
                }
            })
        }));
        drop(runtime);
        let panics = PANICS.take();
        let spawned_outside = panics
            .iter()
            .any(|(_, message)| message.contains("`spawn_local` called from outside"));
        let names_run_until = code_without_comments()
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|word| word == "run_until");
        assert!(
            !(spawned_outside && names_run_until),
            "count_words called spawn_local while no LocalSet was running, so it panicked \
             before any text was loaded. It names run_until, so that spawn came outside the \
             future run_until runs: before run_until started, or after it returned. An \
             argument is worked out before the call it is given to, so \
             `local.run_until(try_join_all(texts.into_iter().map(|text| spawn_local(..))))` \
             spawns every task while no LocalSet runs yet. Put the code that spawns and awaits \
             the tasks in an `async {{ ... }}` block, and give that block to \
             `local.run_until(...)`"
        );
        assert!(
            !spawned_outside,
            "count_words called spawn_local while no LocalSet was running, so it panicked \
             before any text was loaded: create a LocalSet in count_words, and run the code that \
             spawns and awaits the tasks inside `local.run_until(...)`"
        );
        // Nothing panicked on a runtime without a timer, and no task or future failed: the
        // texts were loaded on no timer (no load at all), or on a timer of another runtime.
        if panics.is_empty()
            && outcome.is_ok()
            && let Some(elsewhere) = paused_runtime().block_on(counted_on_another_thread())
        {
            panic!(
                "the test ran count_words on a runtime without a timer, where loading a text \
                 panics in whatever loads it, and nothing panicked: no text was loaded on its \
                 timer. Then, {elsewhere}"
            );
        }
        let tasks: std::collections::HashSet<tokio::task::Id> =
            panics.iter().filter_map(|(task, _)| *task).collect();
        // Waiting on after the tasks have panicked (a count of finished tasks that a panicked
        // task never lowers) cannot be judged here; waiting on for tasks that never ran can.
        assert!(
            !matches!(outcome, Ok(None)) || !tasks.is_empty(),
            "count_words never returned, and none of its tasks ever ran: here its tasks cannot \
             even start loading, yet it kept waiting. Something it awaits never comes, such as \
             the JoinHandles of local tasks awaited after `local.run_until(...)` has returned \
             (a LocalSet runs its tasks only while it is driven). Spawn the tasks AND await \
             them inside `local.run_until(async {{ ... }})`"
        );
        // Returned no counts with no panic anywhere: no text began to load, in a task or in
        // count_words' own future.
        assert!(
            !(matches!(&outcome, Ok(Some(counts)) if counts.is_empty()) && panics.is_empty()),
            "the test ran count_words on a runtime without a timer, where loading a text \
             panics in whatever loads it, and count_words returned with nothing panicked: it \
             returned before any text began to load, without waiting for them. Local tasks \
             that are never awaited are dropped unrun with their LocalSet (run_until returns \
             as soon as the future it was given is done), and a future that is never awaited \
             does nothing. Start one task per text with tokio::task::spawn_local, and await \
             each JoinHandle inside `local.run_until(async {{ ... }})` before returning"
        );
        let own_timer = panics
            .iter()
            .any(|(task, message)| task.is_none() && message.contains("timers are disabled"));
        if tasks.is_empty() && own_timer {
            // count_words' own future made a timer (a progress ticker, a timeout around a
            // handle, or a text's load) before any task ran, so this runtime shows nothing.
            // Ask the clock instead: a LocalSet starts at most 61 tasks per turn, so of 200
            // texts loaded one per task, some start only after the 200 ms the test holds
            // count_words after its first turn, and end at 300 ms. Loads that all start in the
            // first turn (in count_words' own future, or in one task) end by then.
            let took = returned_after_a_held_first_turn(200);
            // A count_words that returns after a wait of its own, whatever its tasks do, takes
            // as long for 1 text as for 4 (on a paused clock, nothing held).
            if took < Duration::from_millis(300) {
                let (one, four) = (returned_after(1), returned_after(4));
                assert!(
                    !(one == four && one > Duration::from_millis(100)),
                    "count_words returned {took:?} after it started, for 200 texts, when the test \
                 held it for 200 ms after its first turn: a LocalSet starts at most 61 tasks \
                 per turn, so with one task per text, some texts only start loading after \
                 those 200 ms and are done at 300 ms at the earliest. And (nothing held) it \
                 returned {one:?} after it started for 1 text and for 4 texts alike, though \
                 each text takes 100 ms to load: it returns after a wait of its own (a sleep of \
                 a fixed length?), not when its tasks are done, so texts that start late \
                 may be left uncounted. Await each task's JoinHandle (or a JoinSet) inside \
                 `local.run_until(...)`"
                );
            }
            assert!(
                took >= Duration::from_millis(300),
                "count_words returned {took:?} after it started, for 200 texts, when the test \
                 held it for 200 ms after its first turn: a LocalSet starts at most 61 tasks \
                 per turn, so with one task per text, some texts only start loading after \
                 those 200 ms and are done at 300 ms at the earliest. Every text was loaded at once \
                 in count_words' own future or in one task, or count_words did not wait for \
                 every task. Start one task per text with tokio::task::spawn_local, and await \
                 them all inside `local.run_until(...)`"
            );
            return;
        }
        assert!(
            !tasks.is_empty(),
            "the texts were not loaded in a task: they were loaded in count_words' own future \
             (a plain future, polled with join_all or the like, is no task). Start one task per \
             text with tokio::task::spawn_local, inside `local.run_until(...)`"
        );
        // A task of another kind panics here too. A ticker made with `tokio::time::interval`
        // panics inside Tokio, not in this file as a text's `sleep` does, and one started with
        // `tokio::spawn` (a heartbeat that holds none of the map) runs apart from
        // count_words' future, so both are left out of the count; any other (a local `sleep`
        // in a loop) cannot be told from a task that only pretends to load a text beside one
        // that loads them all.
        // A task that awaits a text's handle and fails in turn (`expect` on its `JoinError`)
        // panics in this file too, with the `JoinError` in its message: it is no text's own.
        let passed_on = |message: &str| {
            message.contains("JoinError") || message.contains(" panicked with message ")
        };
        let panicked_here = |task: &tokio::task::Id| {
            panics.iter().any(|(t, message)| {
                *t == Some(*task)
                    && message.contains(file!())
                    && !message.starts_with(APART)
                    && !passed_on(message)
            })
        };
        // Tasks whose every panic came apart from count_words' future: started with
        // `tokio::spawn` (or `JoinSet::spawn`), they run outside its LocalSet.
        let local_tasks: Vec<&tokio::task::Id> = tasks
            .iter()
            .filter(|task| {
                panics
                    .iter()
                    .any(|(t, message)| *t == Some(**task) && !message.starts_with(APART))
            })
            .collect();
        assert!(
            !local_tasks.is_empty(),
            "the test ran count_words on a runtime without a timer, where loading a text \
             panics in the task that loads it, and the panics came only from {} task(s) that \
             ran apart from count_words' own future, outside its LocalSet: tasks started with \
             tokio::spawn or JoinSet::spawn run there, and must be Send, so they cannot use the \
             `Rc<RefCell>` map. Start one task per text with tokio::task::spawn_local, inside \
             `local.run_until(...)`",
            tasks.len()
        );
        let text_tasks = if local_tasks.len() > 4 {
            local_tasks
                .iter()
                .filter(|task| panicked_here(task))
                .count()
        } else {
            local_tasks.len()
        };
        assert!(
            text_tasks <= 4,
            "the test ran count_words on a runtime without a timer, where every timer panics, \
             and the panics came from {text_tasks} tasks, more than its 4 texts: a task of \
             yours that is not a text's own (a progress reporter that sleeps in a loop, say) \
             panics here too, and the test cannot tell which tasks load a text. Keep one task \
             per text, and make a progress ticker of your own with `tokio::time::interval`, or \
             keep it in count_words' own future (a select! beside the handles)"
        );
        assert_eq!(
            text_tasks, 4,
            "the test ran count_words on a runtime without a timer, so loading each of its 4 \
             texts panics in the task that loads it, but the panics came from {text_tasks} \
             task(s). Start one task per text with tokio::task::spawn_local, every one before \
             waiting for any (one task that loads them all, with join_all or the like, is not \
             that)"
        );
        // Failing (panicking), or returning no counts, are both fine here.
        if let Ok(Some(counts)) = outcome {
            assert!(
                counts.is_empty(),
                "here every text's task failed before it counted a word, yet count_words \
                 returned {counts:?}: the words must be counted by the tasks, in the shared map"
            );
        }
    }

    /// How many times `code` names `spawn_local` (or `spawn_local_on`: JoinSet's
    /// `spawn_local_on(task, &local)` starts a local task too), or a name it is imported
    /// under (`use tokio::task::spawn_local as spawn_here;`), outside `use` declarations,
    /// however it is written: called (`spawn_local(..)`, `spawn_local (..)`,
    /// `spawn_local::<_>(..)`) or passed as a function (`.map(spawn_local)`). An import alone
    /// starts no task, nor does a name bound to `_`.
    fn spawn_local_names(code: &str) -> usize {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        // The names it is imported under (`use tokio::task::{spawn_local as spawn_here};`).
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

    /// The code above the tests, without its comments and the text of its string literals.
    fn code_without_comments() -> String {
        let source = include_str!("local_set_run_until.rs");
        without_comments(&without_string_literals(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        ))
    }

    /// `code` without the blocks of its `if false { ... }`s: what is written there never runs.
    fn without_if_false_blocks(code: &str) -> String {
        let mut out = String::new();
        let mut rest = code;
        while let Some(at) = rest.find("false") {
            let (before, after) = rest.split_at(at);
            let after = &after["false".len()..];
            let is_if = before.trim_end().ends_with("if")
                && before.len() > before.trim_end().len()
                && !before
                    .trim_end()
                    .strip_suffix("if")
                    .and_then(|b| b.chars().last())
                    .is_some_and(|c| c.is_alphanumeric() || c == '_');
            let body = after.trim_start();
            if !(is_if && body.starts_with('{')) {
                out.push_str(before);
                out.push_str("false");
                rest = after;
                continue;
            }
            out.push_str(before);
            out.push_str("false {}");
            let mut depth = 0;
            let mut end = body.len();
            for (i, c) in body.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            rest = &body[end..];
        }
        out + rest
    }

    /// The lesson is in how the tasks are started, so this test reads the source.
    #[test]
    fn the_tasks_are_spawned_locally() {
        // A spawn_local under `if false` never runs.
        let code = without_if_false_blocks(&code_without_comments());
        let spawns = spawn_local_names(&code);
        // The code without spaces either.
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let empty_tasks = code.matches("spawn_local(async{})").count()
            + code.matches("spawn_local(asyncmove{})").count()
            + code.matches("spawn_local_on(async{},").count()
            + code.matches("spawn_local_on(asyncmove{},").count();
        assert!(
            spawns > empty_tasks,
            "count_words starts no task with spawn_local that counts words (a spawn_local that \
             never runs, or spawns an empty task, does not count): this lesson is about running \
             local tasks, which hold an `Rc`, inside a `LocalSet`. Plain futures (join_all) or \
             `Arc<Mutex>` with tokio::spawn step around it: keep spawn_local and run it inside \
             `local.run_until(...)`"
        );
    }

    /// A map leaked to get a `&'static` one that the tasks can hold without an `Rc`
    /// (`Box::leak(Box::new(RefCell::new(BTreeMap::new())))`), or a LocalSet leaked to get a
    /// `&'static LocalSet`, counts the same words, but every call leaves it on the heap. This
    /// runs whole calls on a runtime of their own (after warm-up calls, which set up what a
    /// thread keeps for good: Tokio's thread-locals) and counts the heap blocks made on this
    /// thread that they leave behind. (Blocks handed to another thread are freed there, where
    /// this count cannot see them: a call that uses the runtime's blocking pool, with
    /// spawn_blocking, or starts a thread of its own, with `std::thread`, may leave a few
    /// behind here whatever it counts.) So it also compares two calls that differ only in
    /// one text, of 3 words in one and of 300 different words in the other: a leaked map keeps
    /// each word it counted (a `String`, one heap block at least), so the larger call leaves
    /// hundreds more blocks behind, where a thread or the blocking pool leaves as many for
    /// either.
    #[test]
    fn a_call_leaves_nothing_on_the_heap() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, Ordering};
        let pool_used = Arc::new(AtomicBool::new(false));
        let call = |given: Vec<String>| {
            let pool = Arc::clone(&pool_used);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .on_thread_start(move || pool.store(true, Ordering::SeqCst))
                .build()
                .expect("could not build a runtime");
            runtime.block_on(count_within_an_hour(given));
        };
        let three = || texts(&["the cat", "The dog and the cat", "a dog"]);
        // The 3 texts and one more: of 3 words, or of 300 different ones.
        let words: Vec<String> = (0..300).map(|i| format!("w{i}")).collect();
        let with_words = |n: usize| {
            let mut given = three();
            given.push(words[..n].join(" "));
            given
        };
        // A thread of the code's own (a heartbeat) frees there what it was handed here.
        let code: String = code_without_comments()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let own_threads = [
            "thread::spawn",
            "thread::scope",
            "thread::Builder",
            "thread::{",
        ]
        .iter()
        .any(|path| code.contains(path));
        call(three());
        call(with_words(300));
        pool_used.store(false, Ordering::SeqCst);
        let left = allocation_counter::measure(|| call(three())).count_current;
        assert!(
            left <= 0 || pool_used.load(Ordering::SeqCst) || own_threads,
            "a call of count_words with 3 texts (on a runtime that was then shut down) left \
             {left} heap block(s) made on this thread that were never freed: a map or a \
             LocalSet leaked (Box::leak, mem::forget) to get a `&'static` one that the tasks \
             can hold, or something kept for good in a static or a thread_local. A leaked \
             value is never freed, so every call leaves more behind. Share the map with `Rc` \
             clones, one moved into each task, and keep the LocalSet a local of count_words \
             that `local.run_until(...)` borrows"
        );
        let few = allocation_counter::measure(|| call(with_words(3))).count_current;
        let many = allocation_counter::measure(|| call(with_words(300))).count_current;
        // A leaked map leaves at least one block more for each of the 297 words more; a
        // thread or the blocking pool, a handful at most either way.
        assert!(
            many - few < 100,
            "two calls of count_words (each on a runtime that was then shut down) were given \
             the same 4 texts but for the last one, of 3 words in one call and of 300 different \
             words in the other, and the second left {} more heap block(s) made on this thread \
             that were never freed ({many} against {few}): the counted words are kept for good, \
             in a map leaked (Box::leak, mem::forget) to get a `&'static` one that the tasks \
             can hold, or in a static or a thread_local. A leaked value is never freed, so \
             every call leaves more behind, the more words the more. Share the map with `Rc` \
             clones, one moved into each task, and return it (Rc::try_unwrap, or take()) once \
             every task is done",
            many - few
        );
    }

    /// Two calls at once on one thread (`join!`): each counts only the words of its own texts.
    /// One map for every call (a static, or a thread_local, emptied by the call that returns
    /// first) gets the words of both, so the first call to return takes the other's too.
    #[tokio::test(start_paused = true)]
    async fn two_calls_at_once_count_their_own_words() {
        let (first, second) = tokio::join!(
            count_within_an_hour(texts(&["a b c"])),
            count_within_an_hour(texts(&["x y z"])),
        );
        let own = |words: &[&str]| -> BTreeMap<String, usize> {
            words.iter().map(|w| (w.to_string(), 1)).collect()
        };
        let (abc, xyz) = (own(&["a", "b", "c"]), own(&["x", "y", "z"]));
        if first == abc && second == xyz {
            return;
        }
        let mixed = first.keys().any(|word| xyz.contains_key(word))
            || second.keys().any(|word| abc.contains_key(word));
        let why = if mixed {
            "the words of one call ended up in the other's counts: the calls share one map (a \
             static or a thread_local). Each call counts into a map of its own, made in \
             count_words and shared by its tasks with `Rc` clones, one moved into each task"
        } else {
            "each call must return the counts of every word of its own texts, and of those \
             only"
        };
        panic!(
            "two calls of count_words made at the same time on one thread (tokio::join!), one \
             with the text \"a b c\" and one with \"x y z\", returned {first:?} and \
             {second:?}: {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn thousands_of_texts_load_at_the_same_time() {
        let given: Vec<String> = (0..2500).map(|i| format!("word{i} common")).collect();
        let start = Instant::now();
        let counts = count_within_an_hour(given).await;
        let elapsed = start.elapsed().as_millis();
        assert!(
            counts.len() == 2501 && counts.get("common") == Some(&2500),
            "count_words was given 2500 texts (\"word0 common\", \"word1 common\", ...), and \
             returned after {elapsed} ms with {} different words, \"common\" counted {:?} \
             times: every text given must be counted, however many there are",
            counts.len(),
            counts.get("common")
        );
        if let Some(fixed) = a_wait_of_its_own(elapsed).await {
            panic!("counting 2500 texts took {elapsed} ms, not 100, {fixed}");
        }
        if elapsed < 100
            && let Some(elsewhere) = counted_on_another_thread().await
        {
            panic!("counting 2500 texts took {elapsed} ms, not 100: {elsewhere}");
        }
        let why = if elapsed < 100 {
            "it returned before the texts had loaded"
        } else {
            "each text takes 100 ms to load, so with a task for every text started at once \
             (however many there are) and all of them loading side by side, the last one is \
             done at 100 ms, and count_words should return then"
        };
        assert_eq!(
            elapsed, 100,
            "counting 2500 texts took {elapsed} ms, not 100: {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_text_given_twice_is_counted_twice() {
        let given = ["the cat", "the cat", "a dog", "the cat"];
        let counts = count_within_an_hour(texts(&given)).await;
        let expected = BTreeMap::from([
            ("a".to_string(), 1),
            ("cat".to_string(), 3),
            ("dog".to_string(), 1),
            ("the".to_string(), 3),
        ]);
        // Same words, each counted at least once and at most as often as it comes: some
        // repeated text was left out.
        let fewer = counts.len() == expected.len()
            && expected
                .iter()
                .all(|(word, &n)| counts.get(word).is_some_and(|c| (1..=n).contains(c)));
        let advice = if fewer {
            "every text given must be counted, repeats too (\"cat\" is in 3 of the 4 texts). \
             Start a task for each text, without skipping one that was seen before"
        } else {
            "every word of every text given must be counted, once per text it is in, repeats \
             too (\"cat\" is in 3 of the 4 texts)"
        };
        assert_eq!(
            counts, expected,
            "count_words was given the texts {given:?}, \"the cat\" twice in a row and once \
             more later, and counted {counts:?}: {advice}"
        );
    }
}
