// An async `main` needs a runtime.
//
// Rust has async/await built in but ships no runtime to drive futures, so
// `main` cannot just be `async`: `cargo run` rejects it (error E0752), and the
// test below, which calls `main`, sees that nothing gets printed. Let Tokio
// build a runtime for `main` and run its async body on it.

use std::sync::Mutex;

use tokio::time::{Duration, sleep};

/// Every line `main` prints, kept so that the tests can check it.
static PRINTED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn show(line: String) {
    println!("{line}");
    PRINTED.lock().unwrap().push(line);
}

pub async fn greet(name: &str) -> String {
    sleep(Duration::from_millis(20)).await;
    format!("Hello, {name}!")
}

// TODO: `main` cannot be async on its own. Let Tokio start a runtime for it.
async fn main() {
    show(greet("world").await);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Duration;

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

    /// `code` without its comments: `// ...` to the end of the line and `/* ... */` (nested,
    /// which may quote code), but not a `//` inside a string literal (`"https://..."`), which
    /// is no comment. Line breaks stay, so lines stay lines.
    fn without_comments(code: &str) -> String {
        // A `"` inside a raw string (`r#"a "b" c"#`) does not end it.
        let code = &raw_strings_plain(code);
        let mut out = String::new();
        let mut chars = code.chars().peekable();
        let mut in_string = false;
        while let Some(c) = chars.next() {
            if in_string {
                out.push(c);
                if c == '\\' {
                    out.extend(chars.next());
                } else if c == '"' {
                    in_string = false;
                }
                continue;
            }
            match (c, chars.peek()) {
                ('/', Some('/')) => while chars.next_if(|&c| c != '\n').is_some() {},
                ('/', Some('*')) => {
                    chars.next();
                    let mut depth = 1;
                    while depth > 0
                        && let Some(c) = chars.next()
                    {
                        match (c, chars.peek()) {
                            ('/', Some('*')) => {
                                chars.next();
                                depth += 1;
                            }
                            ('*', Some('/')) => {
                                chars.next();
                                depth -= 1;
                            }
                            ('\n', _) => out.push('\n'),
                            _ => {}
                        }
                    }
                    out.push(' ');
                }
                // A char literal: '"' or an escape such as '\''.
                ('\'', Some('"')) => {
                    out.push(c);
                    out.extend(chars.next());
                }
                ('\'', Some('\\')) => {
                    out.push(c);
                    out.extend(chars.next());
                    out.extend(chars.next());
                }
                _ => {
                    in_string = c == '"';
                    out.push(c);
                }
            }
        }
        out
    }

    /// `code` (without comments) with what its string literals hold taken out (the quotes
    /// stay), so that a word in a message (`.expect("no Runtime here")`) or a string holding a
    /// call (`"spawn_local("`) counts for nothing.
    fn without_string_text(code: &str) -> String {
        // A `"` inside a raw string (`r#"a "b" c"#`) does not end it.
        let code = &raw_strings_plain(code);
        let mut out = String::new();
        let mut chars = code.chars().peekable();
        let mut in_string = false;
        while let Some(c) = chars.next() {
            if in_string {
                if c == '\\' {
                    chars.next();
                } else if c == '"' {
                    in_string = false;
                    out.push(c);
                }
                continue;
            }
            out.push(c);
            match (c, chars.peek()) {
                // A char literal: '"' or an escape such as '\''.
                ('\'', Some('"')) => out.extend(chars.next()),
                ('\'', Some('\\')) => {
                    out.extend(chars.next());
                    out.extend(chars.next());
                }
                _ => in_string = c == '"',
            }
        }
        out
    }

    /// The code above the tests, without comments and without the text of string literals.
    fn learner_code() -> String {
        let source = include_str!("async_main_runtime.rs");
        without_string_text(&without_comments(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        ))
    }

    /// The identifiers of the learner's code, in order (keywords included).
    fn identifiers(code: &str) -> Vec<&str> {
        code.split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|word| !word.is_empty())
            .collect()
    }

    #[tokio::test(start_paused = true)]
    async fn greet_builds_a_greeting() {
        let start = tokio::time::Instant::now();
        assert_eq!(
            greet("Ferris").await,
            "Hello, Ferris!",
            "greet(\"Ferris\") should return \"Hello, Ferris!\""
        );
        // Paused clock: Tokio's sleep moves it by exactly 20 ms; a blocking sleep moves it not.
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(20),
            "greet(\"Ferris\") took {took:?} of Tokio's time, but greet as given waits 20 ms on \
             Tokio's timer (tokio::time::sleep(..).await): leave greet as it was (a blocking \
             std::thread::sleep holds the thread instead of giving it back to the runtime) and \
             fix main, with #[tokio::main]"
        );
    }

    // A plain test, outside any runtime: `main` must bring its own.
    #[test]
    fn main_prints_hello_world() {
        // A line printed before main runs: main's greeting comes on top of it (a main that
        // waits until something has been printed does not wait for the greeting then).
        let before = "(a line this test printed before calling main)";
        PRINTED.lock().unwrap().push(before.to_string());
        // Real time: `main` runs on a runtime of its own, with a clock that is not paused.
        let start = std::time::Instant::now();
        #[allow(clippy::let_unit_value)] // `()`, a Result, or a future nobody runs
        let returned = main();
        let took = start.elapsed();
        // An async fn's future (`..::main::{{closure}}`) when main is still an async fn that
        // nothing runs; `()` or a Result when main ran its body.
        let returned = std::any::type_name_of_val(&returned);
        let ran = !returned.contains("{{closure}}");
        let printed = PRINTED.lock().unwrap();
        let greetings = printed
            .iter()
            .filter(|line| *line == "Hello, world!")
            .count();
        assert!(
            greetings > 0 || ran,
            "main did not print \"Hello, world!\" (printed = {printed:?}): main() handed back \
             a future ({returned}) without running its body: an async main that nobody drives \
             never runs; put #[tokio::main] on it so Tokio runs its body, and await the \
             greeting in main itself"
        );
        assert!(
            greetings > 0,
            "main returned after {took:?} without printing \"Hello, world!\" (printed = \
             {printed:?}): the greeting must be shown before main returns. Await it in main itself \
             (show(greet(\"world\").await), or the JoinHandle of the task that greets): a task \
             that main does not await to its end is dropped with the runtime when main returns"
        );
        assert_eq!(
            greetings, 1,
            "main printed \"Hello, world!\" {greetings} times: greet the world once (with \
             #[tokio::test] on it, main is also a test of its own that runs beside this one: \
             #[tokio::main] is the attribute for main)"
        );
        // A real timer never ends early: greet's 20 ms sleep, awaited on a running clock, takes
        // 20 ms of real time or more. Less means it was never waited: a greeting written by
        // hand, or a runtime whose clock is paused (however it was asked for: `start_paused`
        // through a constant, `tokio::time::pause()`), on which every sleep ends at once.
        let paused = identifiers(&learner_code())
            .iter()
            .any(|word| ["start_paused", "pause"].contains(word));
        assert!(
            took >= Duration::from_millis(20),
            "main printed the greeting after {took:?} of real time, but greet waits 20 ms (on \
             Tokio's timer) to build it, so those 20 ms were never waited: {}",
            if paused {
                "the code asks for a paused clock (start_paused, or tokio::time::pause()), on \
                 which every sleep ends at once. A paused clock is for tests; a program's clock \
                 must run: put a plain #[tokio::main] on main, and show \
                 greet(\"world\").await"
            } else {
                "the line must come from greet(\"world\").await, run by a Tokio runtime (the \
                 one #[tokio::main] starts), not be written by hand, and that runtime's clock \
                 must run (a paused clock ends every sleep at once)"
            }
        );
    }

    /// A paused clock (`start_paused`) makes every sleep end at once: a program that runs on
    /// one does not wait as it should. main_prints_hello_world's timing shows it where the
    /// runtime runs main; this test also reads the source: `start_paused` may appear only in the code's
    /// own tests (a `#[cfg(test)]` module, a `#[tokio::test(..)]` attribute).
    #[test]
    fn main_runs_on_a_clock_that_is_not_paused() {
        let code = learner_code();
        let mut kept = String::new();
        let mut rest = code.as_str();
        loop {
            // The learner's own tests: an item under `#[cfg(test)]` (or `cfg(all(test, ..))`),
            // or a `#[test]` function.
            let cfg = ["#[cfg(test)]", "#[cfg(all(test", "#[test]"]
                .iter()
                .filter_map(|start| rest.find(start))
                .min();
            let attr = rest.find("#[tokio::test");
            let Some(at) = [cfg, attr].into_iter().flatten().min() else {
                kept.push_str(rest);
                break;
            };
            kept.push_str(&rest[..at]);
            let after = &rest[at..];
            // The attribute itself: up to its closing `]` (brackets counted).
            let mut depth = 0;
            let mut end = after.len();
            for (i, c) in after.char_indices() {
                match c {
                    '[' | '(' => depth += 1,
                    ']' | ')' => {
                        depth -= 1;
                        if depth == 0 && c == ']' {
                            end = i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            rest = &after[end..];
            if Some(at) == cfg {
                // What the attribute stands on, up to the end of its block (or its `;`).
                let mut depth = 0;
                let mut skip = rest.len();
                for (i, c) in rest.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                skip = i + 1;
                                break;
                            }
                        }
                        ';' if depth == 0 => {
                            skip = i + 1;
                            break;
                        }
                        _ => {}
                    }
                }
                rest = &rest[skip..];
            }
        }
        // `start_paused = true` or `.start_paused(true)`; `false` asks for a running clock.
        let words = identifiers(&kept);
        let paused = words
            .windows(2)
            .any(|pair| pair[0] == "start_paused" && pair[1] == "true");
        assert!(
            !paused,
            "the code above the tests asks for a paused clock (start_paused) outside its own \
             tests: start_paused is for tests, a program's clock must run (on a paused clock \
             every sleep ends at once, and greet's 20 ms are never waited). Put a plain \
             #[tokio::main] on main"
        );
    }

    /// A greeting written by hand prints the same line, so this test reads the source.
    #[test]
    fn main_gets_its_greeting_from_greet() {
        let code = learner_code();
        let words = identifiers(&code);
        // `greet` used anywhere but in its own definition (`fn greet`).
        let calls_greet = words
            .iter()
            .enumerate()
            .any(|(at, word)| *word == "greet" && (at == 0 || words[at - 1] != "fn"));
        assert!(
            calls_greet,
            "nothing in the code calls greet: the greeting must come from \
             greet(\"world\").await, run by a Tokio runtime (the one #[tokio::main] starts), \
             not be written by hand"
        );
    }

    /// A greeting written by hand, beside a call of greet that is never awaited, prints the
    /// same line, so this test reads the source: only greet, as given, writes "Hello".
    #[test]
    fn only_greet_writes_the_greeting() {
        // Without comments (`//` and `/* */`, which may quote the greeting); a `//` in a string
        // (`"https://..."`) is no comment.
        let source = include_str!("async_main_runtime.rs");
        let mut code = without_comments(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        );
        // A message that is a string literal and nothing else prints nothing that main shows:
        // the format string of `println!`, `eprintln!`, `panic!` and the like, and the text of
        // `.expect("...")` or `.expect(&format!("...", ..))`, are left out (their other arguments
        // still count).
        for call in [
            "println!(",
            "eprintln!(",
            "print!(",
            "eprint!(",
            "panic!(",
            "unreachable!(",
            "todo!(",
            ".expect(",
            ".expect(&format!(",
        ] {
            let mut from = 0;
            while let Some(at) = code[from..].find(call).map(|at| from + at) {
                from = at + call.len();
                let rest = &code[from..];
                let literal = rest.len() - rest.trim_start().len();
                if !rest[literal..].starts_with('"') {
                    continue;
                }
                // The literal's closing quote (not an escaped one).
                let open = from + literal;
                let mut escaped = false;
                let Some(close) = code[open + 1..].char_indices().find_map(|(i, c)| {
                    let end = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    end.then_some(open + 1 + i)
                }) else {
                    break;
                };
                let after = code[close + 1..].trim_start();
                if call == ".expect(" && !after.starts_with(')') {
                    continue;
                }
                code.replace_range(open..=close, "\"\"");
            }
        }
        // A check of the greeting (`assert!(line.starts_with("Hello"))`) prints nothing: the
        // arguments of assertions and of `starts_with`, `ends_with`, `contains`, `strip_prefix`
        // and `strip_suffix` are left out, unless they hold a block (`assert!({ ... })`), which
        // may print.
        for call in [
            "assert!(",
            "assert_eq!(",
            "assert_ne!(",
            ".starts_with(",
            ".ends_with(",
            ".contains(",
            ".strip_prefix(",
            ".strip_suffix(",
        ] {
            let mut from = 0;
            while let Some(at) = code[from..].find(call).map(|at| from + at) {
                let open = at + call.len() - 1;
                let mut depth = 0;
                let close = code[open..]
                    .char_indices()
                    .find_map(|(i, c)| {
                        match c {
                            '(' => depth += 1,
                            ')' => depth -= 1,
                            _ => {}
                        }
                        (depth == 0).then_some(open + i + 1)
                    })
                    .unwrap_or(code.len());
                // A `{` outside the string literals opens a block.
                let (mut in_string, mut escaped) = (false, false);
                let block = code[open..close].chars().any(|c| {
                    if in_string {
                        (in_string, escaped) = (escaped || c != '"', !escaped && c == '\\');
                        return false;
                    }
                    in_string = c == '"';
                    c == '{'
                });
                if block {
                    from = open;
                    continue;
                }
                code.replace_range(at..close, " ");
                from = at;
            }
        }
        // A comparison with a greeting (`if line != "Hello, world!"`) prints nothing either.
        for op in ["==", "!="] {
            let mut from = 0;
            while let Some(at) = code[from..].find(op).map(|at| from + at + op.len()) {
                from = at;
                let rest = &code[at..];
                let open = at + rest.len() - rest.trim_start().len();
                if !code[open..].starts_with('"') {
                    continue;
                }
                let mut escaped = false;
                if let Some(close) = code[open + 1..].char_indices().find_map(|(i, c)| {
                    let end = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    end.then_some(open + 1 + i)
                }) {
                    code.replace_range(open..=close, "\"\"");
                }
            }
        }
        // A constant or a variable of the greeting that only those checks use (`const
        // EXPECTED: &str = "Hello, world!";` or `let expected = ..;` and
        // `debug_assert_eq!(line, EXPECTED)`) prints nothing either.
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let unused: Vec<String> = ["const ", "static ", "let "]
            .into_iter()
            .flat_map(|kind| code.match_indices(kind))
            .filter(|&(at, _)| !code[..at].ends_with(ident))
            .filter_map(|(at, kind)| {
                let item = &code[at..at + code[at..].find(';')?];
                let name = item[kind.len()..]
                    .trim_start()
                    .trim_start_matches("mut ")
                    .split(|c: char| !ident(c))
                    .next()?;
                let uses = code
                    .match_indices(name)
                    .filter(|&(at, _)| {
                        !code[..at].ends_with(ident) && !code[at + name.len()..].starts_with(ident)
                    })
                    .count();
                // A variable's value must be the greeting's text and nothing else (no call, no
                // block, which may print): `let expected = "Hello, world!";`.
                let value = item.split_once('=').map_or("", |(_, value)| value.trim());
                let text = value
                    .strip_prefix('"')
                    .and_then(|value| value.split_once('"'));
                let plain = kind != "let "
                    || text.is_some_and(|(text, after)| {
                        !text.contains('\\') && ["", ".to_string()", ".to_owned()"].contains(&after)
                    });
                (!name.is_empty() && uses == 1 && plain && item.contains("Hello"))
                    .then(|| item.to_string())
            })
            .collect();
        for item in unused {
            code = code.replacen(&item, " ", 1);
        }
        let hellos = code.matches("Hello").count();
        assert!(
            hellos <= 1,
            "the code writes \"Hello\" {hellos} times, but greet as given is the only place \
             that should: a greeting written by hand prints the same line whether greet ran \
             or not. Put #[tokio::main] on main and print what greet(\"world\").await returns"
        );
    }

    /// A greeting polled by hand now and then (`now_or_never`, or a `Context` of the code's own,
    /// beside a runtime that is only entered) prints the same line in time, so this test reads
    /// the source.
    #[test]
    fn main_does_not_poll_the_greeting_by_hand() {
        let code = learner_code();
        let by_hand = [
            "now_or_never",
            "poll_immediate",
            "noop",
            "noop_waker",
            "from_waker",
            "RawWaker",
        ];
        let mut found: Vec<&str> = identifiers(&code)
            .into_iter()
            .filter(|word| by_hand.contains(word))
            .collect();
        found.sort();
        found.dedup();
        assert!(
            found.is_empty(),
            "the code uses {found:?} (polling a future by hand): this lesson asks you to run \
             futures with .await only, with no polling by hand, even where the code also \
             awaits. Put #[tokio::main] on main and await the greeting there: \
             show(greet(\"world\").await)"
        );
    }

    /// A spawned greeting that main only watches (`while !task.is_finished()` with a sleep or a
    /// `yield_now`) prints the same line in time, so this test reads the source: a handle whose
    /// `is_finished` is checked must also be awaited (`task.await`, `rt.block_on(task)`).
    #[test]
    fn a_task_checked_with_is_finished_is_also_awaited() {
        let code: String = learner_code().split_whitespace().collect();
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let watched: Vec<&str> = code
            .match_indices(".is_finished(")
            .map(|(at, _)| {
                let before = &code[..at];
                let name = before.trim_end_matches(ident);
                &before[name.len()..]
            })
            .filter(|name| !name.is_empty())
            .collect();
        for name in watched {
            let awaited = code.match_indices(name).any(|(at, _)| {
                let (before, after) = (&code[..at], &code[at + name.len()..]);
                !before.ends_with(ident)
                    && !after.starts_with(ident)
                    && !before.ends_with("let")
                    && !before.ends_with("letmut")
                    && !before.ends_with("drop(")
                    && !after.starts_with(".is_finished(")
                    && !after.starts_with(".abort(")
                    && !after.starts_with(".id(")
                    && !after.starts_with(':')
            });
            assert!(
                awaited,
                "the code checks `{name}.is_finished()` but never awaits {name}: a task that main \
                 only watches is waited for by checking on it over and over. Await it \
                 ({name}.await, or block_on({name}) on a runtime built by hand), or put \
                 #[tokio::main] on main and write show(greet(\"world\").await)"
            );
        }
    }

    /// A task that main spawns and does not await, given time to finish by a sleep of main's
    /// own, prints the same line in time, so this test reads the source (a task main waits
    /// for, beside a timeout or a ticker of its own, is fine).
    #[test]
    fn main_does_not_sleep_while_a_task_greets() {
        let code = learner_code();
        let words = identifiers(&code);
        fn ident(c: char) -> bool {
            c.is_alphanumeric() || c == '_'
        }
        // Whether the task spawned by the call at `code[at..]` is waited for: the call is
        // awaited or joined on the spot (`tokio::spawn(...).await`), handed to what waits for
        // it (a `select!` branch, `join!`, `block_on`, or `timeout(..)` / `join(..)` that is
        // waited for in turn), returned by a fn that returns its JoinHandle (whose calls are
        // judged instead), or its handle is kept in a variable (`let task`, or its place in
        // `let (task, ticker) = (..)`) that is used afterwards (`task.await`, in a `select!`,
        // `ticker.abort()`), not only dropped.
        fn waited(code: &str, at: usize, hops: u32) -> bool {
            let rest = &code[at..];
            let Some(open) = rest.find('(') else {
                return false;
            };
            let mut depth = 0;
            let close = rest[open..].char_indices().find_map(|(i, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(open + i + 1)
            });
            let Some(close) = close else {
                return false;
            };
            let after = rest[close..].trim_start();
            if after.starts_with(".await") || after.starts_with(".join(") || after.starts_with("=>")
            {
                return true;
            }
            // The bracket that holds the call, and the call or fn it belongs to.
            let mut depth = 0;
            let holder = code[..at].char_indices().rev().find(|&(_, c)| {
                match c {
                    ')' | ']' | '}' => depth += 1,
                    '(' | '[' | '{' => depth -= 1,
                    _ => {}
                }
                depth < 0
            });
            if let Some((i, bracket)) = holder
                && hops < 8
            {
                let callee = code[..i].trim_end();
                let name_at = callee.trim_end_matches('!').trim_end_matches(ident).len();
                let name = callee[name_at..].trim_end_matches('!');
                if bracket == '(' && ["join", "try_join", "select", "block_on"].contains(&name) {
                    return callee.ends_with('!')
                        || name == "block_on"
                        || waited(code, name_at, hops + 1);
                }
                if bracket == '(' && ["timeout", "join_all", "try_join_all"].contains(&name) {
                    return waited(code, name_at, hops + 1);
                }
                let signature = &code[code[..i].rfind("fn ").unwrap_or(i)..i];
                if bracket == '{'
                    && after.starts_with('}')
                    && signature.contains("JoinHandle")
                    && !signature.contains(['{', ';'])
                {
                    let f = signature[3..]
                        .trim_start()
                        .split(|c: char| !ident(c))
                        .next();
                    let calls: Vec<usize> = f.filter(|f| !f.is_empty()).map_or(vec![], |f| {
                        code.match_indices(f)
                            .filter(|&(j, _)| {
                                !code[..j].ends_with(ident) && !code[..j].ends_with("fn ")
                            })
                            .filter(|&(j, _)| code[j + f.len()..].starts_with('('))
                            .map(|(j, _)| j)
                            .collect()
                    });
                    return !calls.is_empty() && calls.iter().all(|&j| waited(code, j, hops + 1));
                }
            }
            // A handle pushed into a Vec (`handles.push(spawn(..))`): the Vec is the name.
            let pushed = holder.and_then(|(i, bracket)| {
                let callee = code[..i].trim_end();
                let vec = callee
                    .strip_suffix(".push")
                    .or_else(|| callee.strip_suffix(".push_back"))?;
                (bracket == '(').then(|| &vec[vec.trim_end_matches(ident).len()..])
            });
            // A set the task is spawned into (`set.spawn(..)`) that the set joins later.
            if let Some(before) = code[..at].strip_suffix('.') {
                let set = &before[before.trim_end_matches(ident).len()..];
                let later = &code[at..];
                if !set.is_empty()
                    && [".join_next(", ".join_all(", ".join_next_with_id("]
                        .iter()
                        .any(|join| {
                            let call = format!("{set}{join}");
                            later
                                .match_indices(&call)
                                .any(|(i, _)| !later[..i].ends_with(ident))
                        })
                {
                    return true;
                }
            }
            // A task that greets must be waited for to its end: stopping it (`.abort()`) after
            // a sleep is the same guess.
            // A task greets when its future names greet, or a fn of the code's own that does
            // (`spawn(say_hello())`, with `async fn say_hello() { show(greet(..).await) }`).
            let helpers: Vec<&str> = (code.split("fn ").skip(1))
                .filter(|item| item.contains("greet"))
                .filter_map(|item| item.split(|c: char| !ident(c)).next())
                .filter(|name| !["", "greet", "main"].contains(name))
                .collect();
            let task = &rest[open..close];
            let greets = task.contains("greet")
                || (task.split(|c: char| !ident(c))).any(|word| helpers.contains(&word));
            // A guard that stops a task that does not greet when it is dropped, made and
            // returned by a fn of the code's own (`Ticker(spawn(..))` at its end), or kept to
            // the end of the scope (`let _ticker = AbortOnDropHandle::new(spawn(..))`, or a
            // struct of the code's own that aborts in `drop`, like C#'s `using`).
            // A field of a struct literal (`Ticker { handle: spawn(..) }`) is such a guard too,
            // also through a call that wraps the task (`task: AbortOnDropHandle::new(spawn(..))`).
            let in_field = |i: usize, bracket: char, to: usize| {
                let before = code[i + 1..to].trim_end_matches(|c: char| ident(c) || c == ':');
                bracket == '{' && before.trim_end().ends_with(':') && !before.ends_with("::")
            };
            let wrapped = holder
                .filter(|&(_, bracket)| bracket == '(')
                .and_then(|(i, _)| {
                    let callee_at = code[..i]
                        .trim_end_matches(|c: char| ident(c) || c == ':')
                        .len();
                    let mut depth = 0;
                    let outer = code[..callee_at].char_indices().rev().find(|&(_, c)| {
                        match c {
                            ')' | ']' | '}' => depth += 1,
                            '(' | '[' | '{' => depth -= 1,
                            _ => {}
                        }
                        depth < 0
                    })?;
                    in_field(outer.0, outer.1, callee_at).then_some(outer)
                });
            let field = (holder.filter(|&(i, bracket)| in_field(i, bracket, at))).or(wrapped);
            let closes = if field.is_some() { '}' } else { ')' };
            let returned = (holder.is_some_and(|(_, bracket)| bracket == '(') || field.is_some())
                && after
                    .trim_start_matches(',')
                    .trim_start()
                    .strip_prefix(closes)
                    .is_some_and(|after| after.trim_start().starts_with('}'));
            if !greets && returned {
                return true;
            }
            // A task that hands its greeting over a channel (`tx.send(greet(..).await)`) whose
            // receiver the code then waits on (`rx.await`, `&mut rx` in a `select!`,
            // `rx.recv().await`) is waited for through it: nothing is shown before it comes.
            let later = &code[at + close..];
            if greets && task.contains(".send(") {
                let receivers = code.match_indices("channel").filter_map(|(j, _)| {
                    let start = code[..j].rfind("let (")? + "let (".len();
                    let (pair, _) = code[start..j].split_once('=')?;
                    let (_, receiver) = pair.split_once(',')?;
                    let receiver = receiver.trim().trim_end_matches(')').trim();
                    Some(receiver.trim_start_matches("mut ").trim().to_string())
                });
                let waits_on = |rx: &str| {
                    [
                        format!("{rx}.await"),
                        format!("&mut {rx}"),
                        format!("{rx}.recv()"),
                    ]
                    .iter()
                    .any(|wait| {
                        later
                            .match_indices(wait.as_str())
                            .any(|(i, _)| !later[..i].ends_with(ident))
                    })
                };
                if receivers
                    .filter(|rx| !rx.is_empty() && rx.chars().all(ident))
                    .any(|rx| waits_on(&rx))
                {
                    return true;
                }
            }
            let start =
                (code[..field.map_or(at, |(i, _)| i)].rfind([';', '{', '}'])).map_or(0, |i| i + 1);
            let binding = match pushed {
                Some(vec) => vec,
                None => match code[start..at].trim_start().strip_prefix("let ") {
                    Some(binding) => binding,
                    None => return false,
                },
            };
            // `let (task, ticker) = (spawn(..), spawn(..))`: the name in the call's place.
            let (pattern, value) = binding.split_once('=').unwrap_or((binding, ""));
            let place = value.trim_start().strip_prefix('(').map_or(0, |value| {
                let mut depth = 0;
                value
                    .chars()
                    .filter(|&c| {
                        match c {
                            '(' | '[' | '{' => depth += 1,
                            ')' | ']' | '}' => depth -= 1,
                            _ => {}
                        }
                        depth == 0 && c == ','
                    })
                    .count()
            });
            let pattern = pattern.trim_start().trim_start_matches('(');
            let name = pattern
                .split(',')
                .nth(place)
                .unwrap_or_default()
                .trim_start()
                .trim_start_matches("mut ")
                .split(|c: char| !ident(c))
                .next()
                .unwrap_or_default();
            let guarded =
                field.is_some() || holder.is_some_and(|(i, bracket)| bracket == '(' && i >= start);
            if !greets && guarded && name.len() > 1 && name.starts_with('_') {
                return true;
            }
            if name.is_empty() || name.starts_with('_') {
                return false;
            }
            later.match_indices(name).any(|(i, _)| {
                let (before, after) = (&later[..i], &later[i + name.len()..]);
                !before.ends_with(ident)
                    && !after.starts_with(ident)
                    && !before.trim_end().ends_with("drop(")
                    && (!greets || !after.trim_start().starts_with(".abort("))
            })
        }
        // Calls of a spawn function (`tokio::spawn(`, `rt.spawn(`, `spawn_blocking(`) whose task
        // nothing waits for (a fn named spawn_.. is not a call where it is defined).
        let detached = code
            .match_indices("spawn")
            .filter(|&(at, _)| !code[..at].ends_with(ident) && !code[..at].ends_with("fn "))
            .filter(|&(at, _)| {
                let rest = code[at..].trim_start_matches(ident).trim_start();
                rest.starts_with('(') || rest.starts_with("::<")
            })
            .any(|(at, _)| !waited(&code, at, 0));
        // As given, `sleep` is named twice: in the `use` line and in greet.
        let sleeps = words
            .iter()
            .filter(|word| word.starts_with("sleep"))
            .count();
        assert!(
            !detached || sleeps <= 2,
            "the code spawns a task that it does not wait for, and sleeps beside greet's own \
             sleep: a task that main does not await is only waited for by a guess of how long \
             it takes (and is dropped with the runtime when main returns first). Put \
             #[tokio::main] on main and await the greeting in main: show(greet(\"world\").await) \
             (a task of your own beside it, such as a progress ticker, is fine when its handle \
             is kept and awaited or aborted once the greeting is shown)"
        );
    }
}
