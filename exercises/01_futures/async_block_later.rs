// Async blocks: futures you can keep for later.
//
// `finish_order` checks whether an order was paid and then runs EITHER the
// commit step OR the rollback step. Both steps are prepared up front and kept
// in variables, but plain `{ ... }` blocks run on the spot, so both steps
// would write to the log before the check. Turn them into futures that only
// run when awaited; the step that is never awaited must never run.

use std::sync::Mutex;

use tokio::time::{Duration, sleep};

/// Appends one line to the log, pretending the log lives on a slow disk.
async fn write_log(log: &Mutex<Vec<String>>, line: &str) {
    sleep(Duration::from_millis(10)).await;
    log.lock().unwrap().push(line.to_string());
}

pub async fn finish_order(log: &Mutex<Vec<String>>, paid: bool) {
    // TODO: these blocks run right here. Make each of them a future instead.
    let commit = {
        write_log(log, "commit").await;
    };
    let rollback = {
        write_log(log, "rollback").await;
    };

    write_log(log, "check payment").await;
    if paid { commit.await } else { rollback.await }
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::time::Duration;
    use tokio::time::Instant;

    /// Runs `finish_order`, checks its log, then its timing.
    async fn run(paid: bool, check_log: impl Fn(&[String])) {
        let log = Mutex::new(Vec::new());
        let start = Instant::now();
        {
            // Stopped with a message once polled 1000 times in a row at one moment of the paused
            // clock: a busy loop never lets the clock move on, and would spin until the run is
            // killed.
            let mut call = std::pin::pin!(finish_order(&log, paid));
            let (mut moment, mut polls) = (Instant::now(), 0);
            std::future::poll_fn(|cx| {
                if moment != Instant::now() {
                    (moment, polls) = (Instant::now(), 0);
                }
                polls += 1;
                assert!(
                    polls <= 1000,
                    "finish_order was polled 1000 times in a row while the paused clock stood \
                     still: it keeps polling a future by hand (poll! or now_or_never, with \
                     yield_now, in a loop), so the slow log's 10 ms never pass. Await each step \
                     (`.await`): it wakes the task when the write is done"
                );
                call.as_mut().poll(cx)
            })
            .await;
        }
        let took = start.elapsed();
        let lines = log.into_inner().unwrap();
        check_log(&lines);
        assert_eq!(
            took,
            Duration::from_millis(20),
            "finish_order took {took:?}: the payment check and then the chosen step are each \
             written to the slow log by write_log (10 ms), one after the other, so 20 ms in all"
        );
    }

    /// Each line waits 10 ms for the disk before write_log locks the log: while finish_order
    /// waits, nobody holds the log, and another task could read it. A guard kept across an
    /// `.await` would hold it the whole time.
    #[tokio::test(start_paused = true)]
    async fn the_log_is_free_while_a_line_waits() {
        let log = Mutex::new(Vec::new());
        let start = Instant::now();
        let looking = async {
            let mut locked_at = Vec::new();
            for ms in [5, 15] {
                tokio::time::sleep_until(start + Duration::from_millis(ms)).await;
                if log.try_lock().is_err() {
                    locked_at.push(ms);
                }
            }
            locked_at
        };
        let (_, locked_at) = tokio::join!(finish_order(&log, true), looking);
        assert!(
            locked_at.is_empty(),
            "at {locked_at:?} ms, while finish_order was waiting for a line's 10 ms sleep, the log \
             was locked: a guard of the log was kept across an .await. Lock the log only \
             after the sleep, as write_log as given does (the guard of a std Mutex must go \
             before the next .await)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_paid_order_is_committed() {
        // Several orders: a step chosen by chance (a `select!` between the two) shows.
        for _ in 0..16 {
            run(true, |lines| {
                assert!(
                    !lines.iter().any(|line| line == "rollback"),
                    "the rollback step ran although the order was paid (log = {lines:?}): a plain \
                     block runs where it is written, an async block only runs when awaited"
                );
                assert_eq!(
                    lines,
                    ["check payment", "commit"],
                    "a paid order must log \"check payment\" and then \"commit\""
                );
            })
            .await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_unpaid_order_is_rolled_back() {
        // Several orders: a step chosen by chance (a `select!` between the two) shows.
        for _ in 0..16 {
            run(false, |lines| {
                assert!(
                    !lines.iter().any(|line| line == "commit"),
                    "the commit step ran although the order was not paid (log = {lines:?}): a plain \
                     block runs where it is written, an async block only runs when awaited"
                );
                assert_eq!(
                    lines,
                    ["check payment", "rollback"],
                    "an unpaid order must log \"check payment\" and then \"rollback\""
                );
            })
            .await;
        }
    }

    /// The name of the function or closure that `code[at..]` is an argument of, if any, or of
    /// the macro, with its `!` (`deferred_step!(..)`, `![..]` or `!{..}`).
    fn called_with(code: &str, at: usize) -> Option<&str> {
        let mut depth = 0;
        for (i, c) in code[..at].char_indices().rev() {
            let by_macro = matches!(c, '[' | '{') && code[..i].trim_end().ends_with('!');
            match c {
                ')' => depth += 1,
                '(' if depth > 0 => depth -= 1,
                '(' | '[' | '{' if c == '(' || by_macro => {
                    let before = code[..i].trim_end();
                    let start = before
                        .strip_suffix('!')
                        .unwrap_or(before)
                        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .map_or(0, |p| p + 1);
                    return Some(&before[start..]).filter(|name| !["", "!"].contains(name));
                }
                ';' | '{' | '}' => return None,
                _ => {}
            }
        }
        None
    }

    /// Whether calling `name` writes to the log: `write_log` itself, or a function or closure
    /// of the exercise's code that calls it (or calls one that does, a few levels deep).
    fn writes_the_log(code: &str, name: &str, depth: u32) -> bool {
        let definitions = [
            format!("fn {name}("),
            format!("fn {name}<"),
            format!("let {name} ="),
        ];
        name == "write_log"
            || depth > 0
                && definitions.iter().any(|definition| {
                    // Every definition of the name: a trait's declaration of a method (no
                    // body, up to its `;`) says nothing, its impl's does.
                    code.match_indices(definition.as_str()).any(|(start, _)| {
                        let rest = &code[start + definition.len()..];
                        if definition.starts_with("fn") && declared_only(rest) {
                            return false;
                        }
                        // A `let` ends at its `;` outside brackets (a closure's block may hold
                        // statements of its own), a fn at its closing brace.
                        let mut open = 0;
                        let end = if definition.starts_with("let") {
                            rest.char_indices().find_map(|(i, c)| {
                                match c {
                                    '{' | '(' | '[' => open += 1,
                                    '}' | ')' | ']' => open -= 1,
                                    ';' if open == 0 => return Some(i),
                                    _ => {}
                                }
                                None
                            })
                        } else {
                            rest.find("\n}")
                        };
                        let text = &rest[..end.unwrap_or(rest.len())];
                        text.match_indices('(').any(|(at, _)| {
                            called_with(text, at + 1)
                                .is_some_and(|callee| writes_the_log(code, callee, depth - 1))
                        })
                    })
                })
    }

    /// Whether the fn whose signature starts `rest` (past its name) is only declared: a `;`
    /// ends it before any `{` opens a body (`fn later<'a>(&'a self) -> impl Future + 'a;` in
    /// a trait). A `;` inside brackets (`[u8; 4]`) does not end it.
    fn declared_only(rest: &str) -> bool {
        let mut open = 0;
        for c in rest.chars() {
            match c {
                '(' | '[' => open += 1,
                ')' | ']' => open -= 1,
                '{' => return false,
                ';' if open == 0 => return true,
                _ => {}
            }
        }
        false
    }

    /// Where the statement of the function body `code` (from its parameters on) that holds
    /// `code[at..]` starts: a statement of the function's own block, not one nested in it.
    fn statement_start(code: &str, at: usize) -> Option<usize> {
        let depth = |i: usize| {
            code[..i].matches(['{', '(', '[']).count() as i64
                - code[..i].matches(['}', ')', ']']).count() as i64
        };
        code[..at]
            .char_indices()
            .rev()
            .find(|&(i, c)| c == ';' && depth(i) == 1 || c == '{' && depth(i) == 0)
            .map(|(i, _)| i + 1)
    }

    /// Whether `value` (a `let`'s value, or a macro's name from called_with) calls a
    /// `macro_rules!` macro of `code` whose every expansion builds a future that writes the
    /// log (`deferred_step!(log, "commit")` with `async { write_log($log, $line).await }`, or
    /// a closure or a boxed one): like a call of a fn that returns a future, it writes nothing
    /// until awaited. A macro that expands to a line, to a future that only yields one, or to
    /// anything else, does not count.
    fn macro_building_a_future(code: &str, value: &str) -> bool {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        // Where the brackets that open `text` close.
        let group = |text: &str| -> Option<usize> {
            if !text.starts_with(['{', '(', '[']) {
                return None;
            }
            let mut depth = 0;
            text.char_indices().find_map(|(i, c)| {
                match c {
                    '{' | '(' | '[' => depth += 1,
                    '}' | ')' | ']' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(i)
            })
        };
        let name: String = value.chars().take_while(|&c| ident(c)).collect();
        let called = value[name.len()..]
            .trim_start()
            .strip_prefix('!')
            .map(str::trim_start)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['(', '[', '{']));
        if name.is_empty() || !called {
            return false;
        }
        let Some(definition) = code.match_indices("macro_rules!").find_map(|(at, word)| {
            code[at + word.len()..]
                .trim_start()
                .strip_prefix(name.as_str())
                .filter(|rest| !rest.starts_with(ident))
                .map(str::trim_start)
        }) else {
            return false;
        };
        let Some(close) = group(definition) else {
            return false;
        };
        // Its arms: `(pattern) => { expansion };`, each expansion a future built.
        let mut arms = &definition[1..close];
        let mut expansions = 0;
        loop {
            arms = arms.trim_start().trim_start_matches(';').trim_start();
            if arms.is_empty() {
                return expansions > 0;
            }
            let Some(close) = group(arms) else {
                return false;
            };
            let Some(rest) = arms[close + 1..].trim_start().strip_prefix("=>") else {
                return false;
            };
            let rest = rest.trim_start();
            let Some(close) = group(rest) else {
                return false;
            };
            // A block around the expansion (`{{ async { .. } }}`) changes nothing.
            let mut expansion = rest[1..close].trim();
            while let Some(end) = group(expansion)
                .filter(|&end| expansion.starts_with('{') && end + 1 == expansion.len())
            {
                expansion = expansion[1..end].trim();
            }
            let builds_a_future = expansion
                .strip_prefix("async")
                .is_some_and(|rest| !rest.starts_with(ident))
                || expansion.starts_with('|')
                || expansion.starts_with("move ")
                || expansion.starts_with("move|")
                || expansion.starts_with("Box::pin(");
            // And it writes the step: a future that only yields the line
            // (`async { $line }`) leaves the writing to the code after the check.
            let writes = expansion.match_indices('(').any(|(i, _)| {
                called_with(expansion, i + 1).is_some_and(|name| writes_the_log(code, name, 3))
            });
            if !builds_a_future || !writes || expansion.ends_with(".await") {
                return false;
            }
            expansions += 1;
            arms = &rest[close + 1..];
        }
    }

    /// Whether `value` (a `let`'s value) builds a value of a type of `code` that turns into a
    /// future that writes the log only when awaited (`LogStep { log, line: "commit" }`, with
    /// `impl IntoFuture for LogStep<'_>` whose `into_future` calls write_log, or with `impl
    /// Future for LogStep` whose `poll` does): like an async block, it writes nothing until
    /// then. Awaited on the spot (`LogStep { .. }.await`), it does not count.
    fn into_future_writing(code: &str, value: &str) -> bool {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        // Where the brackets that open `text` close.
        let group = |text: &str| -> Option<usize> {
            let mut depth = 0;
            text.char_indices().find_map(|(i, c)| {
                match c {
                    '{' | '(' | '[' => depth += 1,
                    '}' | ')' | ']' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(i)
            })
        };
        let value = value.trim_start();
        let name: String = value.chars().take_while(|&c| ident(c)).collect();
        let fields = value[name.len()..].trim_start();
        if name.is_empty() || !fields.starts_with(['{', '(']) {
            return false;
        }
        let awaited = group(fields)
            .is_some_and(|close| fields[close + 1..].trim_start().starts_with(".await"));
        !awaited
            && code.match_indices("Future for ").any(|(at, found)| {
                let Some(after) = code[at + found.len()..]
                    .strip_prefix(name.as_str())
                    .filter(|after| !after.starts_with(ident))
                else {
                    return false;
                };
                // The impl's block, from its `{` to the brace that closes it.
                let Some(open) = after.find('{') else {
                    return false;
                };
                let block = &after[open..];
                let block = &block[..group(block).unwrap_or(block.len())];
                block.match_indices('(').any(|(i, _)| {
                    called_with(block, i + 1).is_some_and(|callee| writes_the_log(code, callee, 3))
                })
            })
    }

    /// Whether the statement of finish_order (`body`) that holds `body[at..]` is a `let` whose
    /// value is a step of a type that becomes a future only when awaited (into_future_writing).
    fn in_a_step_built_for_later(code: &str, body: &str, at: usize) -> bool {
        statement_start(body, at).is_some_and(|start| {
            body[start..]
                .trim_start()
                .strip_prefix("let ")
                .and_then(|rest| rest.split_once('='))
                .is_some_and(|(_, value)| into_future_writing(code, value))
        })
    }

    /// Whether the step named at `body[at..]` (finish_order from its parameters on, in the
    /// exercise's `code`) is kept for later: named in a `let` statement of the function's own
    /// block whose value is a future not awaited there (`let commit = async { ... };`, a
    /// closure that builds one, a boxed one, a call of a function that writes the log, or of a
    /// macro of the code that expands to an async block).
    /// Such a step runs only where its variable is awaited, wherever the `let` stands; a step
    /// written in the `if` that chooses it (or in a `let` of an `if`) is not kept for later.
    fn kept_for_later(code: &str, body: &str, at: usize) -> bool {
        let Some(start) = statement_start(body, at) else {
            return false;
        };
        let depth = |i: usize| {
            body[..i].matches(['{', '(', '[']).count() as i64
                - body[..i].matches(['}', ')', ']']).count() as i64
        };
        let end = body[start..]
            .char_indices()
            .find(|&(i, c)| c == ';' && depth(start + i) == 1)
            .map_or(body.len(), |(i, _)| start + i);
        let statement = body[start..end].trim();
        let Some(rest) = statement.strip_prefix("let ") else {
            return false;
        };
        // The `=` of the `let`: not one in a type (`Future<Output = ()>`) nor `==` or `=>`.
        let chars: Vec<char> = rest.chars().collect();
        let mut angles = 0;
        let mut equals = None;
        for (i, &c) in chars.iter().enumerate() {
            match c {
                '<' => angles += 1,
                '>' if i > 0 && chars[i - 1] != '-' => angles -= 1,
                '=' if angles == 0
                    && chars
                        .get(i + 1)
                        .is_none_or(|next| !matches!(next, '=' | '>')) =>
                {
                    equals = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let Some(equals) = equals else {
            return false;
        };
        let value: String = chars[equals + 1..].iter().collect();
        let value = value.trim();
        let callee: String = value
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let builds_a_future = value.starts_with("async")
            || value.starts_with('|')
            || value.starts_with("move ")
            || value.starts_with("move|")
            || value.starts_with("Box::pin(")
            || macro_building_a_future(code, value)
            || into_future_writing(code, value)
            || !callee.is_empty()
                && value[callee.len()..].trim_start().starts_with('(')
                && writes_the_log(code, &callee, 3);
        builds_a_future && !value.ends_with(".await")
    }

    /// The functions of `code` but finish_order that write the `step` line: their definition
    /// names it and calls write_log (`async fn commit_step(log: ...)`, above or below
    /// finish_order).
    fn helpers_writing(code: &str, step: &str) -> Vec<String> {
        code.match_indices("fn ")
            .filter(|&(at, _)| !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
            .filter_map(|(at, _)| {
                let rest = &code[at + 3..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let text = &rest[..rest.find("\n}").unwrap_or(rest.len())];
                (!["", "finish_order", "main", "write_log"].contains(&name.as_str())
                    && text.contains(&format!("\"{step}\""))
                    && writes_the_log(code, &name, 3))
                .then_some(name)
            })
            .collect()
    }

    /// The fns, consts and statics of `code` (but finish_order, write_log and main) that hold
    /// the `step` line, or name an item that does (a few levels deep): `const COMMIT: &str =
    /// "commit";`, `const STEPS: [&str; 2] = [..];`, `fn line(paid: bool) -> &'static str`.
    /// Where finish_order names one of them is where it names the step.
    fn items_holding(code: &str, step: &str) -> Vec<String> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let has_word = |text: &str, word: &str| {
            text.match_indices(word).any(|(at, _)| {
                !text[..at].ends_with(ident) && !text[at + word.len()..].starts_with(ident)
            })
        };
        let mut items: Vec<(String, &str)> = Vec::new();
        for keyword in ["fn", "const", "static"] {
            for (at, _) in code.match_indices(keyword) {
                let rest = &code[at + keyword.len()..];
                // A whole word (not `'static`), followed by a name.
                if code[..at].ends_with(|c: char| ident(c) || c == '\'')
                    || !rest.starts_with(char::is_whitespace)
                {
                    continue;
                }
                let name: String = rest
                    .trim_start()
                    .chars()
                    .take_while(|&c| ident(c))
                    .collect();
                // `const fn line` is found as a fn; `static mut` needs unsafe, refused anyway.
                let skip = "finish_order write_log main fn mut unsafe async";
                if name.is_empty() || skip.split(' ').any(|word| word == name) {
                    continue;
                }
                // A fn ends at the brace that closes its body, a const or a static at its `;`.
                let (mut depth, mut opened, mut end) = (0, false, rest.len());
                for (i, c) in rest.char_indices() {
                    match c {
                        '{' | '(' | '[' => {
                            depth += 1;
                            opened |= c == '{';
                        }
                        '}' | ')' | ']' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 && (c == ';' && !opened || c == '}' && keyword == "fn") {
                        end = i;
                        break;
                    }
                }
                items.push((name, &rest[..end]));
            }
        }
        let line = format!("\"{step}\"");
        let mut names: Vec<String> = Vec::new();
        loop {
            let found: Vec<String> = items
                .iter()
                .filter(|(name, text)| {
                    !names.contains(name)
                        && (text.contains(&line) || names.iter().any(|held| has_word(text, held)))
                })
                .map(|(name, _)| name.clone())
                .collect();
            if found.is_empty() {
                break;
            }
            names.extend(found);
        }
        names
    }

    /// Where the line at `body[at..]` (finish_order in the exercise's `code`) is used: where it
    /// is written, or, when a `let` that builds no future only keeps it in a variable first
    /// (`let commit = "commit";`, `let (c, r) = ("commit", "rollback");`), where that
    /// variable is first named after the `let`.
    fn where_used(code: &str, body: &str, at: usize) -> usize {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let Some(start) = statement_start(body, at) else {
            return at;
        };
        let mut depth = 0;
        let end = body[start..].char_indices().find_map(|(i, c)| {
            match c {
                '{' | '(' | '[' => depth += 1,
                '}' | ')' | ']' => depth -= 1,
                ';' if depth == 0 => return Some(start + i),
                _ => {}
            }
            None
        });
        let Some((pattern, value)) = body[start..end.unwrap_or(at)]
            .trim()
            .strip_prefix("let ")
            .and_then(|rest| rest.split_once('='))
        else {
            return at;
        };
        // A value that builds no future: no async block, closure or block, no call of a fn
        // that writes the log and none of a macro that expands to an async block (`"commit"`,
        // `("commit", "rollback")`, `String::from(..)`).
        let lines_only = !macro_building_a_future(code, value.trim())
            && !into_future_writing(code, value)
            && !value.contains("async")
            && !value.contains(['|', '{'])
            && !value.match_indices('(').any(|(i, _)| {
                called_with(value, i + 1).is_some_and(|name| writes_the_log(code, name, 3))
            });
        let names: Vec<&str> = pattern
            .split(':')
            .next()
            .unwrap_or_default()
            .split(|c: char| !ident(c))
            .filter(|word| !["", "mut", "ref"].contains(word))
            .collect();
        let after = end.unwrap_or(at);
        names
            .iter()
            .filter(|_| lines_only)
            .filter_map(|name| {
                body[after..]
                    .match_indices(name)
                    .find(|&(i, _)| {
                        !body[..after + i].ends_with(ident)
                            && !body[after + i + name.len()..].starts_with(ident)
                    })
                    .map(|(i, _)| after + i)
            })
            .min()
            .unwrap_or(at)
    }

    /// The lesson is in how `finish_order` is written, so this test reads its source.
    #[test]
    fn both_steps_are_prepared_before_the_check() {
        let source = include_str!("async_block_later.rs");
        // Without comments (`//` and `/* */`), which may name the steps anywhere; a `//` in a
        // string (`"https://..."`) is no comment.
        let code = without_comments(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        );
        let body = code.split("fn finish_order").nth(1).unwrap_or_default();
        // finish_order alone, up to the brace that closes its block: the helpers and the demo
        // written below it are not its statements.
        let body = match body.find('{') {
            Some(open) => {
                let mut depth = 0;
                let close = body[open..].char_indices().find_map(|(i, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    (depth == 0).then_some(open + i + 1)
                });
                &body[..close.unwrap_or(body.len())]
            }
            None => body,
        };
        let Some(check) = body.find("\"check payment\"") else {
            return;
        };
        // What finish_order does before the statement that writes the check.
        let before_check = &body[..body[..check].rfind([';', '{']).unwrap_or(0)];
        // Where the check runs: where it is written, or, if it is kept in a variable first
        // (`let check = write_log(log, "check payment");`), where that variable is awaited.
        let check = statement_start(body, check)
            .and_then(|start| body[start..].trim_start().strip_prefix("let "))
            .map(|rest| {
                rest.trim_start_matches("mut ")
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .unwrap_or_default()
            })
            .filter(|name| !name.is_empty())
            .and_then(|name| {
                [format!("{name}.await"), format!("&mut {name}).await")]
                    .iter()
                    .filter_map(|awaited| body[check..].find(awaited.as_str()))
                    .min()
            })
            .map_or(check, |awaited| check + awaited);
        let named_at = |step: &str| {
            // Where finish_order names the step: its line, or a call of a helper that writes
            // it (`async fn commit_step(log: ...) { write_log(log, "commit").await }`).
            let named = body
                .find(&format!("\"{step}\""))
                .map(|at| (where_used(&code, body, at), false));
            let helper = helpers_writing(&code, step)
                .iter()
                .flat_map(|name| {
                    body.match_indices(name.as_str())
                        .filter(|&(at, name)| {
                            let ident = |c: char| c.is_alphanumeric() || c == '_';
                            !body[..at].ends_with(ident)
                                && body[at + name.len()..].trim_start().starts_with('(')
                        })
                        .map(|(at, _)| (at, true))
                        .collect::<Vec<_>>()
                })
                .min();
            // Or where it names an item that holds the line (a const, a table, a fn that
            // picks it): that is where finish_order takes the step from.
            let held = items_holding(&code, step)
                .into_iter()
                .filter_map(|name| {
                    let at = body.match_indices(name.as_str()).find(|&(at, name)| {
                        let ident = |c: char| c.is_alphanumeric() || c == '_';
                        !body[..at].ends_with(ident) && !body[at + name.len()..].starts_with(ident)
                    })?;
                    Some((at.0, writes_the_log(&code, &name, 3)))
                })
                .min();
            named.into_iter().chain(helper).chain(held).min()
        };
        let positions = ["commit", "rollback"].map(named_at);
        // One future built after the check that names both steps and picks one with `paid`
        // (`let step = async { write_log(log, if paid { "commit" } else { "rollback" }).await
        // };`), or one closure that names both (`let step = |i| write_log(log, lines[i]);`),
        // picks the line after the check: it is not two steps prepared, one never run.
        let one_future_for_both = match positions {
            [Some((commit, _)), Some((rollback, _))] => {
                let start = statement_start(body, commit);
                // The one statement that names both steps, when it binds one name (`let step`,
                // not `let (commit, rollback)`): a future that picks its line with `paid` (not
                // one of two futures that name a const fn holding both lines, found at its first
                // use for both steps), or a closure that picks it from its argument.
                let (mut closure, mut picks) = (false, false);
                if let Some(start) = start {
                    let mut depth = 0;
                    let end = body[start..].char_indices().find_map(|(i, c)| {
                        match c {
                            '{' | '(' | '[' => depth += 1,
                            '}' | ')' | ']' => depth -= 1,
                            ';' if depth == 0 => return Some(start + i),
                            _ => {}
                        }
                        None
                    });
                    let statement = &body[start..end.unwrap_or(body.len())];
                    if let Some((_, value)) = statement
                        .trim_start()
                        .strip_prefix("let ")
                        .and_then(|rest| rest.split_once('='))
                        .filter(|(pattern, _)| !pattern.contains(','))
                    {
                        let value = value.trim_start();
                        closure = value.starts_with('|') || value.starts_with("move");
                        picks = statement
                            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                            .any(|word| word == "paid");
                    }
                }
                start == statement_start(body, rollback)
                    && (closure || (commit > check && rollback > check && picks))
            }
            _ => false,
        };
        for (step, position) in ["commit", "rollback"].into_iter().zip(positions) {
            if let Some((at, by_helper)) = position {
                assert!(
                    at > check
                        || by_helper
                        || before_check.contains("write_log")
                        || in_a_step_built_for_later(&code, body, at)
                        || called_with(body, at).is_some_and(|name| {
                            writes_the_log(&code, name, 3) || macro_building_a_future(&code, name)
                        }),
                    "finish_order names the {step} step above the payment check, but writes it \
                     to the log only after the check: prepare each step as a future that \
                     writes it (`let {step} = async {{ write_log(log, \"{step}\").await }};`) \
                     above the check, and await only the one chosen"
                );
                assert!(
                    !one_future_for_both,
                    "finish_order keeps one future or closure for both steps, which picks the \
                     line to write once the payment check is done: this exercise is about preparing both steps \
                     as futures kept in variables (`let {step} = async {{ ... }};`, one for each \
                     step) and awaiting only the one chosen, so that the other never runs"
                );
                assert!(
                    at < check || kept_for_later(&code, body, at),
                    "finish_order writes the {step} step (its line, a variable, or a const or \
                     fn that holds it) after the payment check, where it is chosen: this exercise is about preparing both steps as futures kept in \
                     variables (`let {step} = async {{ ... }};` above the check) and awaiting \
                     only the one chosen, so that the other never runs"
                );
            }
        }
    }

    /// Where (in chars) `statement` assigns something: each `=` that is not a comparison
    /// (`==`, `!=`, `<=`, `>=`), not a `=>` and not the one that follows a `let`.
    fn assignments(statement: &str) -> Vec<usize> {
        let chars: Vec<char> = statement.chars().collect();
        let mut found = Vec::new();
        let ident = |at: Option<usize>| {
            at.and_then(|at| chars.get(at))
                .is_some_and(|c| c.is_alphanumeric() || *c == '_')
        };
        let mut binding = false;
        for at in 0..chars.len() {
            if chars[at..].starts_with(&['l', 'e', 't'])
                && !ident(at.checked_sub(1))
                && !ident(Some(at + 3))
            {
                binding = true;
            }
            if chars[at] != '=' {
                continue;
            }
            let before = at.checked_sub(1).map(|before| chars[before]);
            let after = chars.get(at + 1).copied();
            if matches!(before, Some('=' | '!' | '<' | '>')) || matches!(after, Some('=' | '>')) {
                continue;
            }
            if !binding {
                found.push(at);
            }
            binding = false;
        }
        found
    }

    /// Each word of `text` (letters, digits, `_`) with where it starts.
    fn word_starts(text: &str) -> Vec<(usize, &str)> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut found = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
            match (start, ident(c)) {
                (None, true) => start = Some(i),
                (Some(from), false) => {
                    found.push((from, &text[from..i]));
                    start = None;
                }
                _ => {}
            }
        }
        found
    }

    /// Whether the change word at `at` in `statement` changes a value of the code's own, with
    /// a read of the log only in its arguments: `sizes.push(log.lock().unwrap().len())`,
    /// `seen.clone_from(&*log.lock().unwrap())`, or a `&mut report` handed to `write!` or
    /// `writeln!` beside a guard that is only printed. A method called on a lock or a guard
    /// (`log.lock().unwrap().push(..)`, `lines.push(..)`), a guard handed on in the arguments
    /// (`held.push(log.lock().unwrap())`, `held.extend(log.lock())`), a free function
    /// (`mem::swap`), a `mut` anywhere else, or a lock outside the call's own arguments still
    /// counts as a write.
    fn a_change_of_its_own(statement: &str, at: usize, word: &str, locks: &[String]) -> bool {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let names_a_lock = |text: &str| {
            text.split(|c: char| !ident(c))
                .any(|name| locks.iter().any(|lock| lock == name))
        };
        let after = &statement[at + word.len()..];
        if word == "mut" {
            // `&mut name,` or `&mut name)`: a local lent to a call.
            let name: String = after
                .trim_start()
                .chars()
                .take_while(|&c| ident(c))
                .collect();
            let rest = after.trim_start()[name.len()..].trim_start();
            let lent = statement[..at].trim_end().strip_suffix('&');
            return lent.is_some_and(|call| {
                let call = call.trim_end();
                call.ends_with("write!(") || call.ends_with("writeln!(")
            }) && !name.is_empty()
                && !names_a_lock(&name)
                && rest.starts_with([',', ')']);
        }
        // A method call: `receiver.word(arguments)`.
        let before = statement[..at].trim_end();
        let Some(before) = before.strip_suffix('.') else {
            return false;
        };
        let Some(arguments) = after.trim_start().strip_prefix('(') else {
            return false;
        };
        // The receiver: the chain before the dot (calls and indexing included).
        let mut depth = 0;
        let mut begin = before.len();
        for (i, c) in before.char_indices().rev() {
            match c {
                ')' | ']' => depth += 1,
                '(' | '[' if depth > 0 => depth -= 1,
                _ if depth > 0 => {}
                c if ident(c) || matches!(c, '.' | '*' | '?' | ':') => {}
                c if c.is_whitespace() && before[i..].trim_start().starts_with('.') => {}
                _ => break,
            }
            begin = i;
        }
        if names_a_lock(&before[begin..]) {
            return false;
        }
        // Every lock of the statement lies in the call's own arguments.
        let mut depth = 1;
        let end = arguments
            .char_indices()
            .find(|&(_, c)| {
                depth += i32::from(c == '(') - i32::from(c == ')');
                depth == 0
            })
            .map_or(arguments.len(), |(i, _)| i);
        let inside = &arguments[..end];
        // Around the call, in the arm it stands in (a match arm's pattern, `Ok(lines) =>`,
        // binds the guard without changing it).
        let before_call = statement[..at]
            .rsplit_once("=>")
            .map_or(&statement[..at], |(_, arm)| arm);
        let outside = format!(
            "{before_call}{}",
            arguments.get(end + 1..).unwrap_or_default()
        );
        // Each argument that names a lock only reads it.
        let mut pieces = vec![String::new()];
        let mut depth = 0;
        for c in inside.chars() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    pieces.push(String::new());
                    continue;
                }
                _ => {}
            }
            if let Some(piece) = pieces.last_mut() {
                piece.push(c);
            }
        }
        // A guard, or the `LockResult` around one, comes out of a lock only through calls that
        // keep it (`unwrap`, `expect`, ...); any other call right after it (`len`, `iter`,
        // `last`, `clone`, `map`) makes a value of its own. A shared borrow (`&*lines`) and a
        // `format!` only read it.
        const KEEP: [&str; 9] = [
            "lock",
            "try_lock",
            "unwrap",
            "expect",
            "unwrap_or_else",
            "ok",
            "map_err",
            "as_mut",
            "deref_mut",
        ];
        let only_read = |piece: &str| {
            let piece = piece.trim();
            if (piece.starts_with('&') && !piece[1..].trim_start().starts_with("mut"))
                || piece.starts_with("format!")
            {
                return true;
            }
            word_starts(piece)
                .into_iter()
                .filter(|(_, name)| locks.iter().any(|lock| lock == name))
                .all(|(at, name)| {
                    let mut rest = &piece[at + name.len()..];
                    loop {
                        rest = rest.trim_start();
                        if rest.starts_with('(') {
                            let mut depth = 0;
                            let close = rest
                                .char_indices()
                                .find(|&(_, c)| {
                                    depth += i32::from(c == '(') - i32::from(c == ')');
                                    depth == 0
                                })
                                .map_or(rest.len(), |(i, _)| i + 1);
                            rest = &rest[close..];
                        } else if let Some(after) = rest.strip_prefix('?') {
                            rest = after;
                        } else if let Some(after) = rest.strip_prefix('.') {
                            let after = after.trim_start();
                            let method: String = after.chars().take_while(|&c| ident(c)).collect();
                            if method.is_empty() || !KEEP.contains(&method.as_str()) {
                                return !method.is_empty();
                            }
                            rest = &after[method.len()..];
                        } else {
                            // The chain ends with the guard itself, handed on.
                            return false;
                        }
                    }
                })
        };
        names_a_lock(inside)
            && !names_a_lock(&outside)
            && pieces
                .iter()
                .all(|piece| !names_a_lock(piece) || only_read(piece))
    }

    /// `code` with each lock that is not a lock of the log renamed (`.lock(` becomes
    /// `.other_lock(`, and so on), so that only locks of the log are counted. The log is the
    /// first parameter of the fns named in `given` (the name the code gives it there), a name
    /// bound to it in the same fn (`let lines = log;`, `let l = &log;`, `Arc::clone(&log)`,
    /// `log.clone()`), and a parameter of a fn or closure that the log itself is handed to at
    /// a call site (`push_line(log, ..)`), a few levels deep. Any other receiver (a static, a
    /// mutex the code makes, an accessor fn, a parameter handed something else, stdout) is not
    /// the log. A guard type (`MutexGuard`, `DerefMut`) in a fn that neither locks the log nor
    /// is handed it, or in a `let` of a lock of something else, is not the log's guard either.
    fn without_other_locks(code: &str, given: &[&str]) -> String {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        // Where the bracket opened at `open` closes.
        let close_of = |open: usize| {
            let mut depth = 0;
            for (i, c) in code[open..].char_indices() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => {
                        depth -= 1;
                        if depth == 0 {
                            return open + i;
                        }
                    }
                    _ => {}
                }
            }
            code.len()
        };
        // The pieces of a list split at its top-level commas.
        let pieces = |list: &str| -> Vec<String> {
            let (mut out, mut depth) = (vec![String::new()], 0);
            for c in list.chars() {
                match c {
                    '(' | '[' | '{' | '<' => depth += 1,
                    ')' | ']' | '}' | '>' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(String::new());
                        continue;
                    }
                    _ => {}
                }
                if let Some(piece) = out.last_mut() {
                    piece.push(c);
                }
            }
            out
        };
        // The name a parameter binds (`mut lines: ...` gives `lines`), if a plain one.
        let param_name = |piece: &str| -> String {
            let pattern = piece.split(':').next().unwrap_or_default();
            let pattern = pattern.trim().trim_start_matches('&').trim_start();
            let pattern = pattern.strip_prefix("mut ").unwrap_or(pattern).trim();
            if !pattern.is_empty() && pattern.chars().all(ident) {
                pattern.to_string()
            } else {
                String::new()
            }
        };
        // The name an expression is, if it is only a name (behind `&`, `*`, `mut`, a wrapper
        // such as `Arc::clone(..)`, or followed by `.clone()`, `.as_ref()`).
        let only_name = |expr: &str| -> Option<String> {
            let mut expr = expr.trim();
            loop {
                expr = expr
                    .trim_start_matches(|c: char| c.is_whitespace() || "&*(".contains(c))
                    .trim_end_matches(|c: char| c.is_whitespace() || c == ')');
                if let Some(rest) = expr.strip_prefix("mut")
                    && rest.starts_with(char::is_whitespace)
                {
                    expr = rest;
                    continue;
                }
                let mut wrapped = false;
                for wrapper in ["Arc::clone", "Rc::clone", "Arc::new", "Box::new", "Some"] {
                    if let Some(rest) = expr.strip_prefix(wrapper)
                        && rest.trim_start().starts_with('(')
                    {
                        expr = rest;
                        wrapped = true;
                    }
                }
                if wrapped {
                    continue;
                }
                for method in [".clone(", ".as_ref(", ".deref(", ".borrow("] {
                    if let Some(rest) = expr.strip_suffix(method) {
                        expr = rest;
                        wrapped = true;
                    }
                }
                if !wrapped {
                    break;
                }
            }
            (!expr.is_empty() && expr.chars().all(ident)).then(|| expr.to_string())
        };
        let words = word_starts(code);
        // Each fn: its name, where it starts and ends, its parameters.
        let mut fns: Vec<(String, usize, usize, Vec<String>)> = Vec::new();
        for (k, &(at, word)) in words.iter().enumerate() {
            if word != "fn" {
                continue;
            }
            let Some(&(name_at, name)) = words.get(k + 1) else {
                continue;
            };
            let after = &code[name_at + name.len()..];
            let Some(open) = after.find('(') else {
                continue;
            };
            if !after[..open].trim().is_empty() && !after.trim_start().starts_with('<') {
                continue;
            }
            let open = name_at + name.len() + open;
            let close = close_of(open);
            let params = pieces(&code[open + 1..close.min(code.len())])
                .iter()
                .map(|piece| param_name(piece))
                .collect();
            // The body's `{` (or the `;` of a fn without one), past the return type's brackets.
            let mut depth = 0;
            let Some(body) = code[close + 1..]
                .char_indices()
                .find(|&(_, c)| {
                    depth += i32::from(matches!(c, '(' | '[')) - i32::from(matches!(c, ')' | ']'));
                    depth == 0 && matches!(c, '{' | ';')
                })
                .map(|(i, _)| close + 1 + i)
            else {
                continue;
            };
            if code[body..].starts_with(';') {
                continue;
            }
            fns.push((name.to_string(), at, close_of(body), params));
        }
        // The innermost fn that holds `at`.
        let scope_of = |at: usize| {
            fns.iter()
                .enumerate()
                .filter(|(_, f)| f.1 <= at && at < f.2)
                .max_by_key(|(_, f)| f.1)
                .map(|(i, _)| i)
        };
        let mut logs: Vec<Vec<String>> = fns
            .iter()
            .map(|f| {
                if given.contains(&f.0.as_str()) {
                    f.3.iter()
                        .take(1)
                        .filter(|n| !n.is_empty())
                        .cloned()
                        .collect()
                } else {
                    Vec::new()
                }
            })
            .collect();
        // Closures kept under a name (`let push = |l: &Mutex<..>, line| ..;`): name, where,
        // parameters.
        let mut closures: Vec<(String, usize, Vec<String>)> = Vec::new();
        for (k, &(at, word)) in words.iter().enumerate() {
            if word != "let" {
                continue;
            }
            let rest = &code[at + 3..];
            let Some(eq) = rest.find('=') else { continue };
            let name = rest[..eq].trim().trim_start_matches("mut ").trim();
            let value = rest[eq + 1..].trim_start();
            let value = value.strip_prefix("move").unwrap_or(value).trim_start();
            if k + 1 >= words.len() || !name.chars().all(ident) || !value.starts_with('|') {
                continue;
            }
            let Some(end) = value[1..].find('|') else {
                continue;
            };
            let params = pieces(&value[1..1 + end])
                .iter()
                .map(|piece| param_name(piece))
                .collect();
            closures.push((name.to_string(), at, params));
        }
        let is_log = |logs: &[Vec<String>], at: usize, expr: &str| {
            scope_of(at).is_some_and(|s| only_name(expr).is_some_and(|n| logs[s].contains(&n)))
        };
        for _ in 0..4 {
            // Names bound to the log: `let lines = log;`.
            for &(at, word) in &words {
                if word != "let" {
                    continue;
                }
                let rest = &code[at + 3..];
                let end = rest.find([';', '{']).unwrap_or(rest.len());
                let Some((pattern, value)) = rest[..end].split_once('=') else {
                    continue;
                };
                if value.starts_with(['=', '>']) || !is_log(&logs, at, value) {
                    continue;
                }
                let name = param_name(pattern);
                if let Some(s) = scope_of(at)
                    && !name.is_empty()
                    && !logs[s].contains(&name)
                {
                    logs[s].push(name);
                }
            }
            // Parameters the log is handed to at a call site: `name(.., log, ..)`.
            for &(at, word) in &words {
                let after = &code[at + word.len()..];
                if !after.trim_start().starts_with('(')
                    || code[..at].trim_end().ends_with('.')
                    || code[..at].trim_end().ends_with("fn")
                {
                    continue;
                }
                let open = at + word.len() + after.find('(').unwrap_or(0);
                let close = close_of(open);
                for (i, argument) in pieces(&code[open + 1..close.min(code.len())])
                    .iter()
                    .enumerate()
                {
                    if !is_log(&logs, at, argument) {
                        continue;
                    }
                    for (f, (name, _, _, params)) in fns.iter().enumerate() {
                        if name == word
                            && let Some(param) = params.get(i).filter(|p| !p.is_empty())
                            && !logs[f].contains(param)
                        {
                            logs[f].push(param.clone());
                        }
                    }
                    for (name, where_at, params) in &closures {
                        if name == word
                            && scope_of(*where_at) == scope_of(at)
                            && let Some(s) = scope_of(*where_at)
                            && let Some(param) = params.get(i).filter(|p| !p.is_empty())
                            && !logs[s].contains(param)
                        {
                            logs[s].push(param.clone());
                        }
                    }
                }
            }
        }
        // Each `.lock(`, `.try_lock(` or `.get_mut(` (or `Mutex::lock(..)`) not of the log.
        let mut renamed: Vec<(usize, usize, &str)> = Vec::new();
        let mut kept: Vec<usize> = Vec::new();
        for &(at, word) in &words {
            if !["lock", "try_lock", "get_mut"].contains(&word)
                || !code[at + word.len()..].trim_start().starts_with('(')
            {
                continue;
            }
            let before = code[..at].trim_end();
            let receiver = if let Some(before) = before.strip_suffix('.') {
                // The receiver: the name the chain before the dot starts from.
                let before = before.trim_end();
                let mut depth = 0;
                let mut begin = before.len();
                for (i, c) in before.char_indices().rev() {
                    match c {
                        ')' | ']' => depth += 1,
                        '(' | '[' if depth > 0 => depth -= 1,
                        _ if depth > 0 => {}
                        c if ident(c) || matches!(c, '.' | ':' | '&' | '*') => {}
                        c if c.is_whitespace()
                            && (before[i..].trim_start().starts_with(['.', ':'])
                                || before[..i].trim_end().ends_with(['.', ':'])) => {}
                        _ => break,
                    }
                    begin = i;
                }
                let chain = &before[begin..];
                let mut name = chain
                    .trim_start_matches(['&', '*', '('])
                    .split(|c: char| !ident(c))
                    .next()
                    .unwrap_or_default()
                    .to_string();
                // A wrapper (`Arc::clone(&log).lock()`) stands for what it wraps.
                if let Some(inner) = only_name(chain) {
                    name = inner;
                }
                name
            } else if before.ends_with("::") {
                // `Mutex::lock(&log)`: the receiver is the first argument.
                let open = at + word.len() + code[at + word.len()..].find('(').unwrap_or(0);
                let close = close_of(open);
                let first = pieces(&code[open + 1..close.min(code.len())])
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                only_name(&first).unwrap_or_default()
            } else {
                continue;
            };
            if scope_of(at).is_some_and(|s| logs[s].contains(&receiver)) {
                kept.push(at);
            } else {
                renamed.push((at, 0, "other_"));
            }
        }
        // Guard types where the log is not locked: a fn that neither locks it nor is handed
        // it (`fn finished() -> MutexGuard<'static, u64>`), a `let` of another lock.
        let guard_words = ["MutexGuard", "DerefMut", "LockResult", "TryLockResult"];
        // The fns that may hand out the log's guard.
        let mut log_fns: Vec<&str> = Vec::new();
        for (f, (name, from, to, _)) in fns.iter().enumerate() {
            let inner_kept = kept.iter().any(|&at| scope_of(at) == Some(f));
            if given.contains(&name.as_str()) || inner_kept || !logs[f].is_empty() {
                log_fns.push(name);
                continue;
            }
            for &(at, word) in &words {
                if *from <= at && at < *to && guard_words.contains(&word) {
                    renamed.push((at, word.len(), "OtherHeld"));
                }
            }
        }
        for (k, &(at, word)) in words.iter().enumerate() {
            if word != "let" {
                continue;
            }
            let rest = &code[at + 3..];
            let end = at + 3 + rest.find(';').unwrap_or(rest.len());
            let Some(eq) = rest.find('=').map(|i| at + 3 + i) else {
                continue;
            };
            // A `let` whose value locks no log, names none and calls no fn that may hand out
            // its guard (`let mut n: MutexGuard<u64> = COUNT.lock().unwrap();`).
            let locks_log = kept.iter().any(|&r| eq < r && r < end);
            let names_log = words.iter().any(|&(w_at, w)| {
                eq < w_at
                    && w_at < end
                    && (log_fns.contains(&w)
                        || scope_of(w_at).is_some_and(|s| logs[s].iter().any(|n| n == w)))
            });
            if locks_log || names_log {
                continue;
            }
            for &(w_at, w) in &words[k..] {
                if w_at >= eq {
                    break;
                }
                if guard_words.contains(&w) {
                    renamed.push((w_at, w.len(), "OtherHeld"));
                }
            }
        }
        renamed.sort_unstable();
        renamed.dedup_by_key(|r| r.0);
        let mut out = String::with_capacity(code.len() + 8 * renamed.len());
        let mut last = 0;
        for (at, len, with) in renamed {
            if at < last {
                continue;
            }
            out.push_str(&code[last..at]);
            out.push_str(with);
            last = at + len;
        }
        out.push_str(&code[last..]);
        out
    }

    /// How many times `code` locks the log in a statement that can change it: one that binds
    /// something `mut`, calls a method that changes a Vec, or assigns. A lock that only reads
    /// the log (its length, or a copy to print) changes nothing and is not counted. A guard
    /// kept under a name (`let guard = log.lock();`, `if let`, `for`), a helper fn that returns
    /// one, and the arms of a `match` on one are followed to where they change the log.
    fn locks_that_write(code: &str) -> usize {
        // Words that change a Vec, or bind something `mut` (and every `..._mut` method).
        let changes: Vec<&str> = "mut push pop remove retain clear truncate insert extend \
             extend_from_slice extend_from_within append drain swap_remove split_off dedup \
             dedup_by dedup_by_key resize resize_with splice sort sort_by sort_by_key \
             sort_by_cached_key sort_unstable sort_unstable_by sort_unstable_by_key reverse swap \
             swap_with_slice fill fill_with rotate_left rotate_right clone_from clone_from_slice \
             copy_from_slice copy_within extract_if"
            .split_whitespace()
            .collect();
        let changes_it = |word: &str| changes.contains(&word) || word.ends_with("_mut");
        // Methods that read a guard into a value of its own: what they give is no lock.
        let reads: Vec<&str> = "len is_empty clone cloned to_vec iter contains join concat \
             first last get count to_owned to_string starts_with ends_with eq ne"
            .split_whitespace()
            .collect();
        let words = |text: &str| -> Vec<String> {
            text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|word| !word.is_empty())
                .map(str::to_string)
                .collect()
        };
        // Where `word` starts in `text` as a whole word.
        let find_word = |text: &str, word: &str| {
            text.match_indices(word).map(|(at, _)| at).find(|&at| {
                let ident = |c: char| c.is_alphanumeric() || c == '_';
                !text[..at].ends_with(ident) && !text[at + word.len()..].starts_with(ident)
            })
        };
        // A helper that takes the guard (`mut lines: MutexGuard<...>`, or any
        // `DerefMut<Target = Vec<String>>`) locks it too, and so does one that returns it
        // (`fn lines(..) -> MutexGuard<..>`).
        let mut helpers: Vec<String> = ["lock", "try_lock", "get_mut", "MutexGuard", "DerefMut"]
            .map(String::from)
            .to_vec();
        for head in code.split(['{', '}', ';']) {
            let Some((before, returns)) = head.split_once("->") else {
                continue;
            };
            let before = words(before);
            let hands_out_a_lock = words(returns).iter().any(|word| {
                word.contains("Guard") || word.contains("LockResult") || word == "DerefMut"
            });
            if let Some(at) = before.iter().position(|word| word == "fn")
                && let Some(name) = before.get(at + 1)
                && hands_out_a_lock
            {
                helpers.push(name.clone());
            }
        }
        // What a `let` (also in `if let`, `while let`) or a `for` binds, and the value.
        let binding = |statement: &str| -> Option<(String, String)> {
            if let Some(at) = find_word(statement, "let") {
                let rest = &statement[at + 3..];
                let bytes = rest.as_bytes();
                let eq = (0..bytes.len()).find(|&i| {
                    let before = i.checked_sub(1).map(|before| bytes[before]);
                    bytes[i] == b'='
                        && !matches!(bytes.get(i + 1), Some(b'=' | b'>'))
                        && !matches!(before, Some(b'=' | b'!' | b'<' | b'>'))
                })?;
                return Some((rest[..eq].to_string(), rest[eq + 1..].to_string()));
            }
            let at = find_word(statement, "for")?;
            let rest = &statement[at + 3..];
            let of = find_word(rest, "in")?;
            Some((rest[..of].to_string(), rest[of + 2..].to_string()))
        };
        let mut count = 0;
        let mut locks = helpers.clone();
        // The guards kept under a name that were already counted where they changed the log
        // (or were bound to change it: `let mut lines = log.lock()..`): a guard is one place
        // that locks the log, however many statements change the log through it.
        let mut counted: Vec<String> = Vec::new();
        let mut counted_scopes: Vec<Vec<String>> = Vec::new();
        // For each open block: whether it holds the arms of a `match` on a guard.
        let mut blocks: Vec<bool> = Vec::new();
        // For each open block: the guard names known where it opened, again known at its end.
        let mut scopes: Vec<Vec<String>> = Vec::new();
        let mut start = 0;
        for (at, c) in code.char_indices() {
            if !matches!(c, ';' | '{' | '}') {
                continue;
            }
            let statement = &code[start..at];
            start = at + 1;
            // In the arms of a match on a guard, what an arm binds (`Ok(lines) =>`, an `Err`
            // that holds the guard) is followed like a guard kept under a name.
            let arms: Vec<&str> = statement.split("=>").collect();
            if blocks.last().copied().unwrap_or(false) {
                for arm in &arms[..arms.len() - 1] {
                    let pattern = arm.rsplit(',').next().unwrap_or_default();
                    let skip = ["mut", "ref", "Ok", "Err", "Some", "None", "_"];
                    locks.extend(
                        words(pattern)
                            .into_iter()
                            .filter(|word| !skip.contains(&word.as_str())),
                    );
                }
            }
            // A value read out of a guard (`log.lock().unwrap().len()`) is no guard. Only the
            // methods called on it count, not what their arguments say: in
            // `log.lock().expect(&x.to_string())` the guard is what comes out.
            let guard = |value: &str| {
                // A string made from a guard (`format!("{:?}", lines)`), or a guard lent out
                // shared (`describe(&lines)`), cannot change the log.
                let is_ident = |c: char| c.is_alphanumeric() || c == '_';
                let (mut named, mut lent) = (false, true);
                for lock in &locks {
                    for (at, _) in value.match_indices(lock.as_str()) {
                        if !value[..at].ends_with(is_ident)
                            && !value[at + lock.len()..].starts_with(is_ident)
                        {
                            named = true;
                            lent &= value[..at].trim_end().ends_with('&');
                        }
                    }
                }
                if value.trim_start().starts_with("format!") || (named && lent) {
                    return false;
                }
                let ident = |c: char| c.is_alphanumeric() || c == '_';
                let last = locks
                    .iter()
                    .flat_map(|lock| {
                        value
                            .match_indices(lock.as_str())
                            .filter(|&(at, lock)| {
                                !value[..at].ends_with(ident)
                                    && !value[at + lock.len()..].starts_with(ident)
                            })
                            .map(|(at, lock)| at + lock.len())
                    })
                    .max();
                let Some(last) = last else {
                    return false;
                };
                let mut depth = 0;
                let chain: String = value[last..]
                    .chars()
                    .filter(|&c| {
                        match c {
                            '(' | '[' | '{' => depth += 1,
                            ')' | ']' | '}' => depth -= 1,
                            _ => {}
                        }
                        depth == 0 && !matches!(c, ')' | ']' | '}')
                    })
                    .collect();
                !words(&chain)
                    .iter()
                    .any(|word| reads.contains(&word.as_str()))
            };
            let in_arms = blocks.last().copied().unwrap_or(false);
            let bound = binding(statement).filter(|(_, value)| guard(value));
            // `let mut n = log.lock().unwrap().len();` binds a number, not the log.
            let judged = match binding(statement) {
                Some((_, value)) if bound.is_none() => value,
                _ => statement.to_string(),
            };
            // An assignment changes the log if it assigns to a guard (`*lines = ..`) or hands
            // one on (`kept = lines;`), not if it stores a value read out of one
            // (`written = lines.len();`, also in a match arm).
            let writes = word_starts(&judged).into_iter().any(|(at, word)| {
                changes_it(word) && !a_change_of_its_own(&judged, at, word, &locks)
            }) || assignments(&judged).into_iter().any(|at| {
                let target: String = judged.chars().take(at).collect();
                let value: String = judged.chars().skip(at + 1).collect();
                let target = target.rsplit("=>").next().unwrap_or_default();
                // In a match's arms, the value ends where the next arm's pattern starts.
                let value = match value.split_once("=>") {
                    Some((value, _)) => value.rsplit_once(',').map_or(value, |(value, _)| value),
                    None => &value,
                };
                words(target).iter().any(|word| locks.contains(word)) || guard(value)
            });
            // Each lock call (or helper that hands out a guard) locks the log once more; a
            // guard kept under a name counts once, the first time the log changes through it.
            let mut locked = 0;
            let mut newly: Vec<String> = Vec::new();
            for word in words(statement)
                .into_iter()
                .filter(|word| locks.contains(word))
            {
                if helpers.contains(&word) {
                    locked += 1;
                } else if !counted.contains(&word) && !newly.contains(&word) {
                    locked += 1;
                    newly.push(word);
                }
            }
            // An arm that binds what it matches `mut` (`Ok(mut lines) =>`) changes the log.
            if writes {
                count += locked.max(usize::from(in_arms && arms.len() > 1));
                counted.extend(newly);
            }
            let on_guard = find_word(statement, "match").is_some_and(|at| guard(&statement[at..]));
            if let Some((pattern, value)) = bound {
                let skip = ["mut", "ref", "Ok", "Err", "Some", "None", "_"];
                let names: Vec<String> = words(&pattern)
                    .into_iter()
                    .filter(|word| !skip.contains(&word.as_str()))
                    .collect();
                // Bound where the log was counted as locked, or from guards already counted
                // (`let lines = &mut *guard;`): the same place. Otherwise a new guard.
                let held: Vec<String> = words(&value)
                    .into_iter()
                    .filter(|word| locks.contains(word))
                    .collect();
                let from_counted = !held.is_empty()
                    && held
                        .iter()
                        .all(|word| counted.contains(word) && !helpers.contains(word));
                counted.retain(|name| !names.contains(name));
                if writes || from_counted {
                    counted.extend(names.iter().cloned());
                }
                locks.extend(names);
            }
            // `let mut lines = Vec::new();` names no guard: after it (to the end of its block),
            // `lines` is that new value, not a guard of the same name bound earlier.
            if c == ';'
                && find_word(statement, "let").is_some()
                && let Some((pattern, value)) = binding(statement)
                && !words(&value).iter().any(|word| locks.contains(word))
            {
                let shadowed = words(&pattern);
                locks.retain(|name| helpers.contains(name) || !shadowed.contains(name));
                counted.retain(|name| !shadowed.contains(name));
            }
            match c {
                '{' => {
                    blocks.push(in_arms || on_guard);
                    scopes.push(locks.clone());
                    counted_scopes.push(counted.clone());
                }
                '}' => {
                    blocks.pop();
                    if let Some(known) = scopes.pop() {
                        locks = known;
                    }
                    if let Some(known) = counted_scopes.pop() {
                        counted = known;
                    }
                    if blocks.is_empty() {
                        // A name bound in one item means nothing in the next one.
                        locks = helpers.clone();
                        counted.clear();
                    }
                }
                _ => {}
            }
        }
        count
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
    /// call (`"lock("`) counts for nothing.
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

    /// `code` (without comments) without `fn main` and the items that only a demo uses: a
    /// demo in `main`, with its own helpers (`pub` or not), constants and `use` lines, may
    /// name players, lock the log or start a runtime of its own, and is not what the tests
    /// judge. An item named in `keep`, or one that the rest of the code names, stays.
    fn without_demo(code: &str, keep: &[&str]) -> String {
        // The text with what string literals hold blanked (same length), so that a brace or a
        // name in a message counts for nothing.
        let mut plain = String::with_capacity(code.len());
        let (mut in_string, mut escaped) = (false, false);
        for c in code.chars() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                    plain.push(c);
                    continue;
                }
                plain.extend(std::iter::repeat_n(' ', c.len_utf8()));
                continue;
            }
            in_string = c == '"';
            plain.push(c);
        }
        // The top-level items: each ends at a `;` or a `}` outside any bracket.
        let mut items: Vec<(usize, usize)> = Vec::new();
        let (mut depth, mut start) = (0i32, 0);
        for (i, c) in plain.char_indices() {
            match c {
                '{' | '(' | '[' => depth += 1,
                '}' | ')' | ']' => depth -= 1,
                _ => {}
            }
            if depth == 0 && (c == ';' || c == '}') {
                items.push((start, i + 1));
                start = i + 1;
            }
        }
        items.push((start, plain.len()));
        let words = |(from, to): (usize, usize)| -> Vec<&str> {
            plain[from..to]
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|word| !word.is_empty())
                .collect()
        };
        // The names an item defines: `fn NAME`, `const NAME`, ..., or the last segments a `use`
        // brings in (`use tokio::runtime::{Builder, Runtime as Rt};`).
        let names = |(from, to): (usize, usize)| -> Vec<&str> {
            let all = words((from, to));
            let kinds = [
                "fn", "const", "static", "struct", "enum", "type", "trait", "use",
            ];
            let Some(kind) = all.iter().position(|word| {
                kinds.contains(word) || ["impl", "mod", "macro_rules"].contains(word)
            }) else {
                return Vec::new();
            };
            match all[kind] {
                "use" => {
                    let text = &plain[from..to];
                    text.match_indices(|c: char| c.is_alphanumeric() || c == '_')
                        .filter(|&(at, _)| {
                            !text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                        })
                        .map(|(at, _)| {
                            let rest = &text[at..];
                            let end = rest
                                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                                .unwrap_or(rest.len());
                            (&rest[..end], rest[end..].trim_start())
                        })
                        .filter(|&(word, after)| {
                            !after.starts_with(':') && !["use", "as", "self", "pub"].contains(&word)
                        })
                        .map(|(word, _)| word)
                        .collect()
                }
                word if kinds.contains(&word) => all.get(kind + 1).copied().into_iter().collect(),
                _ => Vec::new(),
            }
        };
        let mut dropped: Vec<bool> = items
            .iter()
            .map(|&item| words(item).contains(&"fn") && names(item) == ["main"])
            .collect();
        loop {
            let mut changed = false;
            for k in 0..items.len() {
                let defined = names(items[k]);
                if dropped[k]
                    || defined.is_empty()
                    || defined.iter().any(|name| keep.contains(name))
                {
                    continue;
                }
                let names_it = |j: usize| {
                    j != k && {
                        let used = words(items[j]);
                        defined.iter().any(|name| used.contains(name))
                    }
                };
                let by_demo = (0..items.len()).any(|j| dropped[j] && names_it(j));
                let by_rest = (0..items.len()).any(|j| !dropped[j] && names_it(j));
                if by_demo && !by_rest {
                    dropped[k] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        items
            .iter()
            .zip(dropped)
            .filter(|&(_, dropped)| !dropped)
            .map(|(&(from, to), _)| &code[from..to])
            .collect()
    }

    /// A step that ran and then had its line taken out of the log by hand leaves the same log
    /// as a step that never ran, so this test reads the source: only write_log, as given,
    /// locks the log to change it.
    #[test]
    fn only_write_log_touches_the_log() {
        let source = include_str!("async_block_later.rs");
        // Without comments (`/* log.lock() */` is no lock) and what string literals hold: a
        // printed "lock; push" is no lock.
        let code = without_string_text(&without_comments(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        ));
        // Without `fn main` and the items only it uses: a demo there may look at the log.
        let code = without_demo(&code, &["finish_order", "write_log"]);
        // A lock that only reads the log (a length or a copy to print, after the work) is fine.
        let locks = locks_that_write(&without_other_locks(&code, &["finish_order", "write_log"]));
        // The lines named in a statement that locks the log (`log.lock().unwrap().push("check
        // payment".to_string())`): written by hand.
        let with_text = without_other_locks(
            &without_demo(
                &without_comments(
                    source
                        .split("\n// Tests: do not edit below this line.")
                        .next()
                        .unwrap(),
                ),
                &["finish_order", "write_log"],
            ),
            &["finish_order", "write_log"],
        );
        let by_hand: Vec<String> = ["check payment", "commit", "rollback"]
            .into_iter()
            .filter(|line| {
                with_text.split([';', '{', '}']).any(|statement| {
                    statement.contains(&format!("\"{line}\""))
                        && word_starts(statement)
                            .iter()
                            .any(|&(_, word)| ["lock", "try_lock", "get_mut"].contains(&word))
                })
            })
            .map(|line| format!("{line:?}"))
            .collect();
        assert!(
            locks <= 1 || by_hand.is_empty(),
            "the code locks the log to change it {locks} times, but write_log as given is the \
             only place that should: {} is written in a statement that locks the log itself, \
             so it skips write_log and its slow disk. Write each line with write_log(log, \
             ...).await: the check above, the chosen step in its future, awaited only when \
             chosen",
            by_hand.join(" and ")
        );
        assert!(
            locks <= 1,
            "the code locks the log to change it {locks} times, but write_log as given is the \
             only place that should: a line written to the log by hand skips write_log, and a \
             step that ran and whose line was then taken out of the log still ran. Keep each \
             step as a future that writes its line with write_log (an async block), and await \
             only the chosen one, so that the other never runs"
        );
    }

    /// Every other test pauses Tokio's clock; in a program (main) it runs in real time. A step
    /// run before the check, or both steps run, only when the clock is running (a probe of
    /// whether it moves) shows here: on runtimes like the tests' (one thread) and main's
    /// (multi-threaded), with their clocks running, on a thread named main, a paid and an
    /// unpaid order each log the check and then only their own step (two 10 ms writes, one
    /// after the other: at least 20 ms of real time). The test gives up waiting after 5 s of
    /// real time, however loaded the machine (a thread left waiting ends with the test
    /// program).
    #[test]
    fn only_the_chosen_step_runs_on_a_running_clock() {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let runs = [false, true].map(|multi_thread| {
            let (send, done) = std::sync::mpsc::channel();
            std::thread::Builder::new()
                .name("main".to_string())
                .spawn(move || {
                    let runtime = if multi_thread {
                        let mut builder = tokio::runtime::Builder::new_multi_thread();
                        builder.worker_threads(2);
                        builder
                    } else {
                        tokio::runtime::Builder::new_current_thread()
                    }
                    .enable_all()
                    .build()
                    .unwrap();
                    for paid in [true, false] {
                        let log = Mutex::new(Vec::new());
                        let start = std::time::Instant::now();
                        runtime.block_on(finish_order(&log, paid));
                        let took = start.elapsed();
                        let _ = send.send((log.into_inner().unwrap(), took));
                    }
                })
                .unwrap();
            (multi_thread, done)
        });
        for (multi_thread, done) in runs {
            let runtime = if multi_thread {
                "on a multi-threaded runtime, as main's,"
            } else {
                "on a runtime with one thread, as the tests',"
            };
            for (order, step, other) in [
                ("a paid order", "commit", "rollback"),
                ("an unpaid order", "rollback", "commit"),
            ] {
                let wait = deadline.saturating_duration_since(std::time::Instant::now());
                match done.recv_timeout(wait) {
                    Ok((lines, took)) => {
                        assert_eq!(
                            lines,
                            ["check payment", step],
                            "{runtime} whose clock runs in real time (as in a program; every \
                             other test pauses Tokio's clock), {order} logged {lines:?}, but it \
                             must log \"check payment\" and then \"{step}\", never \"{other}\". \
                             A program never runs on a paused clock: keep both steps as async \
                             blocks, write the check first, then await only the chosen step, \
                             whatever clock or runtime it runs on"
                        );
                        assert!(
                            took >= Duration::from_millis(20),
                            "{runtime} whose clock runs in real time (as in a program; every \
                             other test pauses Tokio's clock), {order} was finished in \
                             {took:?}, but the check and then the {step} step are each written \
                             to the slow log (10 ms), one after the other: at least 20 ms. \
                             Await the check, then the chosen step, whatever clock or runtime \
                             it runs on"
                        );
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
                        "{runtime} whose clock runs in real time (as in a program; every other \
                         test pauses Tokio's clock), finish_order for {order} still had not \
                         returned after 5 s, for two writes of 10 ms: it waits for something \
                         that never comes on a real clock. Await the check, then the chosen \
                         step, whatever clock or runtime it runs on"
                    ),
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!(
                        "{runtime} whose clock runs in real time (as in a program; every other \
                         test pauses Tokio's clock), finish_order for {order} panicked (its \
                         message is in the full output, from the thread named main): write the \
                         check, then await only the chosen step, whatever clock or runtime it \
                         runs on"
                    ),
                }
            }
        }
    }
}
