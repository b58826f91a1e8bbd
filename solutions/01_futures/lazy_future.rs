// Futures are lazy.
//
// `handle_request` must write three lines to the log, in this order:
// "connect", "send" and "close". Right now "send" never shows up.
// Calling an async fn does not run its body: it only builds a future, and a
// future does nothing until something awaits it. Make the missing line appear
// (the compiler already warns you about it).

use std::sync::Mutex;

use tokio::time::{Duration, sleep};

/// Appends one line to the log, pretending the log lives on a slow disk.
async fn write_log(log: &Mutex<Vec<String>>, line: &str) {
    sleep(Duration::from_millis(10)).await;
    log.lock().unwrap().push(line.to_string());
}

pub async fn handle_request(log: &Mutex<Vec<String>>) {
    write_log(log, "connect").await;
    // Awaiting is what runs the future: without it, this write never happens.
    write_log(log, "send").await;
    write_log(log, "close").await;
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use tokio::time::{Duration, Instant, sleep_until};

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
    /// (`"spawn_local("`) does not count as one, and without its block comments (`/* ... */`,
    /// which may quote code); line comments stay as they are.
    fn without_string_literals(code: &str) -> String {
        // A `"` inside a raw string (`r#"a "b" c"#`) does not end it.
        let code = &raw_strings_plain(code);
        let mut out = String::new();
        let mut chars = code.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '/' && chars.peek() == Some(&'*') {
                chars.next();
                // Block comments nest; keep the line breaks, so lines stay lines.
                let mut depth = 1;
                while depth > 0
                    && let Some(c) = chars.next()
                {
                    match c {
                        '/' if chars.peek() == Some(&'*') => {
                            chars.next();
                            depth += 1;
                        }
                        '*' if chars.peek() == Some(&'/') => {
                            chars.next();
                            depth -= 1;
                        }
                        '\n' => out.push('\n'),
                        _ => {}
                    }
                }
                out.push(' ');
                continue;
            }
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

    /// How long one `write_log` takes on the paused clock: 10 ms, its slow disk. As given, it
    /// writes exactly the line it is given, whichever it is.
    async fn one_write() -> Duration {
        for line in ["probe", "connect", "send", "close"] {
            let probe = Mutex::new(Vec::new());
            let start = Instant::now();
            write_log(&probe, line).await;
            let took = start.elapsed();
            let written = probe.into_inner().unwrap();
            assert_eq!(
                written,
                [line],
                "write_log(log, {line:?}) wrote {written:?} to an empty log, but as given it \
                 writes exactly the line it is given: leave write_log as it is, and write \
                 \"send\" with write_log(log, \"send\").await in handle_request"
            );
            assert_eq!(
                took,
                Duration::from_millis(10),
                "write_log took {took:?}, but as given it takes 10 ms (the slow disk): leave \
                 write_log as it is and fix handle_request"
            );
        }
        Duration::from_millis(10)
    }

    /// `handle_request(..)`, stopped with a message once it is polled 1000 times in a
    /// row at one moment of the paused clock: a busy loop never lets the clock move on, and
    /// would spin until the run is killed.
    async fn request(log: &Mutex<Vec<String>>) -> () {
        let mut call = std::pin::pin!(handle_request(log));
        let (mut moment, mut polls) = (Instant::now(), 0);
        std::future::poll_fn(|cx| {
            if moment != Instant::now() {
                (moment, polls) = (Instant::now(), 0);
            }
            polls += 1;
            assert!(
                polls <= 1000,
                "handle_request was polled 1000 times in a row while the paused clock stood \
                 still: it keeps polling the \"send\" future by hand (poll! or now_or_never, \
                 with yield_now, in a loop), so the write's 10 ms never pass. Write \
                 write_log(log, \"send\").await: it wakes the task when the write is done"
            );
            call.as_mut().poll(cx)
        })
        .await
    }

    /// Each line waits 10 ms for the disk before write_log locks the log: while handle_request
    /// waits, nobody holds the log, and another task could read it. A guard kept across an
    /// `.await` would hold it the whole time.
    #[tokio::test(start_paused = true)]
    async fn the_log_is_free_while_a_line_waits() {
        let log = Mutex::new(Vec::new());
        let start = Instant::now();
        let looking = async {
            let mut locked_at = Vec::new();
            for ms in [5, 15, 25] {
                tokio::time::sleep_until(start + Duration::from_millis(ms)).await;
                if log.try_lock().is_err() {
                    locked_at.push(ms);
                }
            }
            locked_at
        };
        let (_, locked_at) = tokio::join!(handle_request(&log), looking);
        assert!(
            locked_at.is_empty(),
            "at {locked_at:?} ms, while handle_request was waiting for a line's 10 ms sleep, the log \
             was locked: a guard of the log was kept across an .await. Lock the log only \
             after the sleep, as write_log as given does (the guard of a std Mutex must go \
             before the next .await)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_send_line_is_written() {
        let log = Mutex::new(Vec::new());
        request(&log).await;
        let lines = log.into_inner().unwrap();
        assert!(
            lines.iter().any(|line| line == "send"),
            "the \"send\" line never reached the log (log = {lines:?}): calling an async fn \
             only builds a future; add `.await` after the call so it actually runs"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_lines_are_written_in_order() {
        let log = Mutex::new(Vec::new());
        request(&log).await;
        let lines = log.into_inner().unwrap();
        assert_eq!(
            lines,
            ["connect", "send", "close"],
            "the log must read connect, send, close, in that order: await each write \
             before starting the next one"
        );
        // A log that already holds a line keeps it: the request only appends.
        let log = Mutex::new(vec!["earlier".to_string()]);
        request(&log).await;
        let lines = log.into_inner().unwrap();
        assert_eq!(
            lines,
            ["earlier", "connect", "send", "close"],
            "on a log that already held \"earlier\", handle_request left {lines:?}: it must \
             only append its three lines, each with write_log(log, ...).await"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn each_write_waits_for_the_one_before() {
        let write = one_write().await;
        let log = Mutex::new(Vec::new());
        let start = Instant::now();
        let (took, between) = tokio::join!(
            async {
                request(&log).await;
                start.elapsed()
            },
            async {
                // Look at the log between two writes: each write ends 10 ms after the one
                // before; and once the last one is over.
                sleep_until(start + write * 3 / 2).await;
                let at_15_ms = log.lock().unwrap().clone();
                sleep_until(start + write * 5 / 2).await;
                let at_25_ms = log.lock().unwrap().clone();
                sleep_until(start + write * 7 / 2).await;
                let at_35_ms = log.lock().unwrap().len();
                (at_15_ms, at_25_ms, at_35_ms)
            }
        );
        let (at_15_ms, at_25_ms, at_35_ms) = between;
        assert_eq!(
            at_15_ms,
            ["connect"],
            "15 ms after the start the log held {at_15_ms:?}, but only \"connect\" can be \
             there by then: a write takes 10 ms on the slow disk, and \"send\" starts once \
             \"connect\" is done. Write it with write_log(log, \"send\").await, not by hand \
             and not on another runtime"
        );
        assert_eq!(
            at_25_ms,
            ["connect", "send"],
            "25 ms after the start the log held {at_25_ms:?}, but by then \"connect\" and \
             \"send\" are written (at 10 and 20 ms) and \"close\" is not (30 ms): await \
             write_log(log, \"send\") right after \"connect\", before \"close\" starts"
        );
        // All three lines written on time, yet handle_request returned later: a wait of its
        // own after the writes, not writes that waited for each other too long.
        let waited = if took > write * 7 / 2 && at_35_ms == 3 {
            format!(
                ": its three lines were all written by {:?}, on time, so it waited {:?} past \
                 its writes for something of its own (a timeout, a sleep, a wait for a channel \
                 that never closes). Return as soon as \"close\" is written",
                write * 7 / 2,
                took - write * 3
            )
        } else {
            String::from(". Await each write_log before the next one starts")
        };
        assert_eq!(
            took,
            write * 3,
            "handle_request took {took:?}: three writes of 10 ms, one after the other, take \
             30 ms{waited}"
        );
    }

    /// A request given up half-way (its future dropped, as a server drops the request of a
    /// client that went away, or a `timeout` does) runs none of its code past the `.await`
    /// where it waited: anything it took to give back at its end (a permit, a flag or a count
    /// in a `static`) is never given back. The requests after it must still write their lines.
    #[tokio::test(start_paused = true)]
    async fn requests_given_up_half_way_leave_the_next_one_whole() {
        let write = one_write().await;
        // First a request before this test gives any up: if it is already wrong, the requests
        // given up below have nothing to do with it.
        let log = Mutex::new(Vec::new());
        let start = Instant::now();
        let finished = tokio::time::timeout(Duration::from_secs(60), request(&log)).await;
        let took = start.elapsed();
        let lines = log.into_inner().unwrap();
        assert!(
            finished.is_ok() && lines == ["connect", "send", "close"] && took == write * 3,
            "a request, before this test gave any up, {} with the log {lines:?}, not connect, \
             send, close after 30 ms: write each line with write_log(log, ..).await, each one \
             once the line before it is written, whatever other requests run beside it or ran \
             before (other tests run at the same time, and some give their requests up \
             half-way: keep nothing in a static that a dropped request leaves behind)",
            if finished.is_ok() {
                format!("returned after {took:?}")
            } else {
                String::from("had not returned after 60 s")
            }
        );
        // Ten requests, each dropped at another moment: in "connect", "send" or "close".
        for cut in [5, 15, 25, 12, 22, 8, 18, 28, 15, 15] {
            let log = Mutex::new(Vec::new());
            let _ = tokio::time::timeout(Duration::from_millis(cut), request(&log)).await;
        }
        let log = Mutex::new(Vec::new());
        let start = Instant::now();
        let finished = tokio::time::timeout(Duration::from_secs(60), request(&log)).await;
        let took = start.elapsed();
        let lines = log.into_inner().unwrap();
        assert!(
            finished.is_ok() && lines == ["connect", "send", "close"] && took == write * 3,
            "ten requests were given up half-way (each one's future dropped after 5 to 28 ms, \
             as a server drops the request of a client that went away), then the next request \
             {} with the log {lines:?}, not connect, send, close after 30 ms as the one \
             before them did: a request dropped while it waits runs none of its code after \
             that .await, so something it took to give back at its end (a permit, a flag or a \
             count in a static) was never given back. Write each line with write_log(log, ..).await, and keep nothing that \
             a dropped request leaves behind",
            if finished.is_ok() {
                format!("returned after {took:?}")
            } else {
                String::from("had not returned after 60 s")
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_is_written_before_the_future_is_awaited() {
        let log = Mutex::new(Vec::new());
        let request = request(&log);
        assert!(
            log.lock().unwrap().is_empty(),
            "the log was written before the request future was awaited"
        );
        request.await;
        assert_eq!(
            log.lock().unwrap().len(),
            3,
            "after awaiting the request the log must hold 3 lines: is every write awaited?"
        );
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
        // The fields the log is stored in: a struct literal's `field: log` (`Name { .. }`, the
        // name capitalised), its shorthand `Name { log }`, or `field: $log` in a macro that is
        // handed the log. A chain that ends in such a field (`self.log`, `order.log`) is the
        // log too: a guard type's `Drop` that locks it writes the log all the same.
        let log_fields = |logs: &[Vec<String>]| -> Vec<String> {
            let macro_gets_log = words.iter().any(|&(at, word)| {
                let Some(args) = code[at + word.len()..].trim_start().strip_prefix('!') else {
                    return false;
                };
                let args = args.trim_start();
                if !args.starts_with(['(', '[', '{']) {
                    return false;
                }
                let open = code.len() - args.len();
                let close = close_of(open);
                pieces(&code[open + 1..close.min(code.len())])
                    .iter()
                    .any(|piece| is_log(logs, at, piece))
            });
            let mut fields: Vec<String> = Vec::new();
            for (open, _) in code.match_indices('{') {
                let before = code[..open].trim_end();
                let name = &before[before.rfind(|c: char| !ident(c)).map_or(0, |p| p + 1)..];
                if !name.starts_with(|c: char| c.is_ascii_uppercase()) {
                    continue;
                }
                let close = close_of(open);
                for piece in pieces(&code[open + 1..close.min(code.len())]) {
                    let (field, value) = match piece.split_once(':') {
                        Some((field, value)) if !value.starts_with(':') => {
                            (field.trim(), value.trim())
                        }
                        _ => (piece.trim(), piece.trim()),
                    };
                    let metavar = macro_gets_log
                        && value
                            .strip_prefix('$')
                            .is_some_and(|name| !name.is_empty() && name.chars().all(ident));
                    if !field.is_empty()
                        && field.chars().all(ident)
                        && (metavar || is_log(logs, open, value))
                        && !fields.iter().any(|known| known == field)
                    {
                        fields.push(field.to_string());
                    }
                }
            }
            fields
        };
        let in_field = |fields: &[String], expr: &str| {
            let expr = expr.trim().trim_start_matches(['&', '*', '(']);
            let expr = expr.trim_end_matches(|c: char| c.is_whitespace() || c == ')');
            expr.rsplit_once('.')
                .is_some_and(|(_, last)| fields.iter().any(|field| field == last.trim()))
        };
        for _ in 0..4 {
            let fields = log_fields(&logs);
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
                if value.starts_with(['=', '>'])
                    || !(is_log(&logs, at, value) || in_field(&fields, value))
                {
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
        let fields = log_fields(&logs);
        let mut renamed: Vec<(usize, usize, &str)> = Vec::new();
        let mut kept: Vec<usize> = Vec::new();
        for &(at, word) in &words {
            if !["lock", "try_lock", "get_mut"].contains(&word)
                || !code[at + word.len()..].trim_start().starts_with('(')
            {
                continue;
            }
            let before = code[..at].trim_end();
            let (receiver, field) = if let Some(before) = before.strip_suffix('.') {
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
                (name, in_field(&fields, chain))
            } else if before.ends_with("::") {
                // `Mutex::lock(&log)`: the receiver is the first argument.
                let open = at + word.len() + code[at + word.len()..].find('(').unwrap_or(0);
                let close = close_of(open);
                let first = pieces(&code[open + 1..close.min(code.len())])
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                (
                    only_name(&first).unwrap_or_default(),
                    in_field(&fields, &first),
                )
            } else {
                continue;
            };
            if field || scope_of(at).is_some_and(|s| logs[s].contains(&receiver)) {
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
            // A value read out of a guard (`log.lock().unwrap().len()`) is no guard.
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
                let value = words(value);
                value
                    .iter()
                    .rposition(|word| locks.contains(word))
                    .is_some_and(|last| {
                        !value[last..]
                            .iter()
                            .any(|word| reads.contains(&word.as_str()))
                    })
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

    /// A line pushed by hand after a 10 ms sleep looks the same in the log, so this test
    /// reads the source: only write_log, as given, locks the log to change it.
    #[test]
    fn only_write_log_writes_the_log() {
        let source = include_str!("lazy_future.rs");
        let code = without_string_literals(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        );
        let code: String = code
            .lines()
            .map(|line| line.split("//").next().unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        // A lock that only reads the log (a length or a copy to print, after the work) is fine.
        let code = without_demo(&code, &["handle_request", "write_log"]);
        let locks = locks_that_write(&without_other_locks(
            &code,
            &["handle_request", "write_log"],
        ));
        assert!(
            locks <= 1,
            "the code locks the log to change it {locks} times, but write_log as given is \
             the only place that should: a line pushed by hand skips the slow disk and the lesson. Leave \
             the log to write_log and await write_log(log, \"send\") in handle_request"
        );
    }

    /// The `use` items of `code` (without comments or string text), each as the tree it
    /// brings in (`tokio::runtime::{Builder, Runtime}`): a `use` that starts a statement
    /// (`use ..;`, `pub use ..;`, `pub(crate) use ..;`), not the `use<'a>` of a precise
    /// capture (`impl Future<Output = ()> + use<'a>`).
    fn use_items(code: &str) -> Vec<&str> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        code.match_indices("use")
            .filter(|&(at, _)| {
                let rest = &code[at + 3..];
                let mut before = code[..at].trim_end();
                // `pub(crate) use`, `pub(in crate::a) use`, `pub use`.
                if let Some(open) = before.strip_suffix(')').and_then(|b| b.rfind('('))
                    && before[..open].trim_end().ends_with("pub")
                {
                    before = before[..open].trim_end();
                }
                if let Some(rest) = before.strip_suffix("pub")
                    && !rest.ends_with(ident)
                {
                    before = rest.trim_end();
                }
                !code[..at].ends_with(ident)
                    && !rest.starts_with(ident)
                    && rest
                        .trim_start()
                        .starts_with(|c: char| ident(c) || c == ':' || c == '{')
                    && (before.is_empty() || before.ends_with([';', '{', '}', ']']))
            })
            .map(|(at, _)| code[at + 3..].split(';').next().unwrap_or_default().trim())
            .collect()
    }

    /// What the `use` items of `code` bring in, as (the first segment of the path, the name
    /// it binds): `use tokio::runtime::{self, Builder as B};` gives ("tokio", "runtime") and
    /// ("tokio", "B"); a glob (`*`) binds no name of its own.
    fn imports(code: &str) -> Vec<(&str, &str)> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut found = Vec::new();
        for tree in use_items(code) {
            // Its words, and the marks that shape the tree (`::` only joins segments).
            let mut tokens: Vec<&str> = Vec::new();
            let mut start = None;
            for (i, c) in tree.char_indices().chain([(tree.len(), ' ')]) {
                if ident(c) {
                    start.get_or_insert(i);
                    continue;
                }
                if let Some(from) = start.take() {
                    tokens.push(&tree[from..i]);
                }
                if matches!(c, '{' | '}' | ',' | '*') {
                    tokens.push(&tree[i..i + c.len_utf8()]);
                }
            }
            // The first and last segments of the path before each open `{`; those of the
            // path read now, and the name an `as` gives it.
            let mut outer: Vec<(Option<&str>, Option<&str>)> = Vec::new();
            let (mut first, mut last, mut alias) = (None, None, None);
            let mut tokens = tokens.into_iter();
            while let Some(token) = tokens.next() {
                let (outer_first, outer_last) = outer.last().copied().unwrap_or((None, None));
                match token {
                    "as" => alias = tokens.next(),
                    "{" => {
                        outer.push((first.or(outer_first), last.or(outer_last)));
                        (first, last, alias) = (None, None, None);
                    }
                    "," | "}" | "*" => {
                        if token != "*"
                            && let (Some(first), Some(name)) = (first, alias.or(last))
                        {
                            found.push((first, name));
                        }
                        (first, last, alias) = (None, None, None);
                        if token == "}" {
                            outer.pop();
                        }
                    }
                    word => {
                        first = first.or(outer_first).or(Some(word));
                        // `{self, ..}` binds the module named before the `{`.
                        last = if word == "self" && last.is_none() {
                            outer_last.or(Some(word))
                        } else {
                            Some(word)
                        };
                    }
                }
            }
            if let (Some(first), Some(name)) = (first, alias.or(last)) {
                found.push((first, name));
            }
        }
        found.retain(|&(_, name)| name != "_");
        found
    }

    /// The names `code` (without comments or string text) gives items of its own (`struct
    /// Builder`, `mod runtime`, a trait's `type Builder`) and its enums' variants (`enum Step
    /// { Wake, Send }`).
    fn own_names(code: &str) -> Vec<String> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let words: Vec<(usize, &str)> = code
            .match_indices(|c: char| ident(c))
            .filter(|&(at, _)| !code[..at].ends_with(ident))
            .map(|(at, _)| {
                let rest = &code[at..];
                (
                    at,
                    &rest[..rest.find(|c: char| !ident(c)).unwrap_or(rest.len())],
                )
            })
            .collect();
        let kinds = [
            "struct",
            "enum",
            "union",
            "type",
            "trait",
            "mod",
            "fn",
            "const",
            "static",
            "macro_rules",
        ];
        let mut own: Vec<String> = words
            .windows(2)
            .filter(|pair| kinds.contains(&pair[0].1))
            .map(|pair| pair[1].1.to_string())
            .collect();
        for &(at, _) in words.iter().filter(|(_, word)| *word == "enum") {
            let Some(open) = code[at..].find('{') else {
                continue;
            };
            // The body with all that is nested deeper than the variants blanked.
            let (mut depth, mut body) = (0, String::new());
            for c in code[at + open..].chars() {
                match c {
                    '{' | '(' | '[' => depth += 1,
                    '}' | ')' | ']' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                body.push(if depth == 1 { c } else { ' ' });
            }
            own.extend(
                body.split(|c: char| !ident(c))
                    .filter(|word| !word.is_empty())
                    .map(String::from),
            );
        }
        own
    }

    /// Which of Tokio's runtime types, `Runtime` and `Builder`, `code` (without comments or
    /// string text) names: through a path of Tokio's (`tokio::runtime::Builder`,
    /// `runtime::Runtime`, `rt::Builder` after `use tokio::runtime as rt;`), or bare where
    /// the code has nothing of that name of its own (`use tokio::runtime::{Builder,
    /// Runtime};`, then `Builder::new_current_thread()`). A type, enum variant or module of
    /// the code's own (`struct Builder`, `Step::Runtime`, `crate::Builder`, `runtime::Builder`
    /// beside a `mod runtime` of its own, a trait's `type Builder` read as `P::Builder`), or a
    /// name a `use` brings in from elsewhere than Tokio (`use report::Line as Builder;`),
    /// starts no runtime.
    fn runtime_types(code: &str) -> Vec<&'static str> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let imports = imports(code);
        // Tokio, and the names bound to it or to a part of it (`use tokio::runtime as rt;`).
        let mut tokio = vec!["tokio"];
        loop {
            let more: Vec<&str> = imports
                .iter()
                .filter(|(first, name)| tokio.contains(first) && !tokio.contains(name))
                .map(|&(_, name)| name)
                .collect();
            if more.is_empty() {
                break;
            }
            tokio.extend(more);
        }
        let mut own = own_names(code);
        own.extend(
            (imports.iter())
                .filter(|(first, _)| !tokio.contains(first))
                .map(|(_, name)| name.to_string()),
        );
        let is_own = |name: &str| own.iter().any(|own| own == name);
        // `runtime::` is Tokio's too, unless the code has a `runtime` of its own.
        if !is_own("runtime") {
            tokio.push("runtime");
        }
        ["Builder", "Runtime"]
            .into_iter()
            .filter(|&name| {
                code.match_indices(name).any(|(at, _)| {
                    if code[..at].ends_with(ident) || code[at + name.len()..].starts_with(ident) {
                        return false;
                    }
                    // The segments of the path before the name, the nearest first.
                    let mut path = Vec::new();
                    let mut before = code[..at].trim_end();
                    while let Some(rest) = before.strip_suffix("::") {
                        let rest = rest.trim_end();
                        let from = rest.trim_end_matches(ident).len();
                        path.push(&rest[from..]);
                        before = rest[..from].trim_end();
                        if from == rest.len() {
                            break; // `<P as Trait>::Builder`
                        }
                    }
                    let own_path = path.last().is_some_and(|&first| {
                        ["crate", "self", "super", "Self", "std", "core"].contains(&first)
                            || is_own(first)
                    });
                    path.iter().any(|segment| tokio.contains(segment))
                        || (!own_path && !is_own(name))
                })
            })
            .collect()
    }

    /// Which of `Wake` and `noop` `code` (without comments or string text) names as a waker
    /// tool: `Wake` as the trait (`impl Wake for`, `std::task::Wake`), or anywhere if the code
    /// has no item or enum variant of its own so named (`enum Step { Wake, Send }`), and
    /// `noop` after a path that is no type of the code's own (`Waker::noop()`, not
    /// `Self::noop()` or `Progress::noop()`).
    fn waker_tools(code: &str) -> Vec<&'static str> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let own = own_names(code);
        let is_own = |name: &str| own.iter().any(|own| own == name);
        ["Wake", "noop"]
            .into_iter()
            .filter(|&name| {
                code.match_indices(name).any(|(at, _)| {
                    let after = &code[at + name.len()..];
                    if code[..at].ends_with(ident) || after.starts_with(ident) {
                        return false;
                    }
                    // The segment before `::`, if any (`task` in `std::task::Wake`).
                    let segment = code[..at].trim_end().strip_suffix("::").map(|path| {
                        let path = path.trim_end();
                        &path[path.trim_end_matches(ident).len()..]
                    });
                    let foreign = segment.is_some_and(|segment| {
                        !(["crate", "self", "super", "Self"].contains(&segment) || is_own(segment))
                    });
                    if name == "Wake" {
                        let trait_impl = (after.trim_start().strip_prefix("for"))
                            .is_some_and(|rest| !rest.starts_with(ident));
                        !is_own(name) || foreign || trait_impl
                    } else {
                        foreign
                            && (segment.is_some_and(|segment| segment.ends_with("Waker"))
                                || !is_own(name))
                    }
                })
            })
            .collect()
    }

    /// What `code` (without comments or string text) polls a future with, once, by hand:
    /// the `poll!` macro (`poll!(fut)`, `futures_util::poll!(..)`, the macro brought in by a
    /// `use` line, also under a name of its own) or `poll_immediate`. Beside a `Pending` the
    /// code hands the runtime itself (`pending!()`, a `poll_fn`, a `fn poll` of its own), a
    /// `poll!` in a loop is an await written by hand, woken when the future can go on: then
    /// nothing is named.
    fn polled_once_by_hand(code: &str) -> Vec<&'static str> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        // What follows each place where `name` stands as a whole word.
        let after_word = |name: &'static str| {
            code.match_indices(name)
                .filter(move |&(at, _)| {
                    !code[..at].ends_with(ident) && !code[at + name.len()..].starts_with(ident)
                })
                .map(move |(at, _)| code[at + name.len()..].trim_start())
        };
        let is_macro = |rest: &str| rest.starts_with('!') && !rest.starts_with("!=");
        // `use futures_util::poll;`, `use futures::{poll, FutureExt};`, `use ..::poll as peek;`
        // (a `use` item: the `use<'a>` of `impl Future + use<'a>` brings in nothing).
        let imported = use_items(code).into_iter().any(|statement| {
            statement.match_indices("poll").any(|(at, _)| {
                !statement[..at].ends_with(ident)
                    && !statement[at + 4..].starts_with(ident)
                    && !statement[at + 4..].trim_start().starts_with("::")
            })
        });
        let own_pending = after_word("pending").any(is_macro)
            || after_word("poll_fn").next().is_some()
            || after_word("fn").any(|rest| {
                rest.strip_prefix("poll")
                    .is_some_and(|name| !name.starts_with(ident))
            });
        let mut found = Vec::new();
        if own_pending {
            return found;
        }
        if after_word("poll").any(is_macro) || imported {
            found.push("poll!");
        }
        if after_word("poll_immediate").next().is_some() {
            found.push("poll_immediate");
        }
        found
    }

    /// A "send" future polled once, then polled again after a sleep as long as the disk's
    /// (`now_or_never`, `poll!`), or run on a runtime of its own (`block_on`), writes at the
    /// same moments as one that is awaited, so this test reads the source.
    #[test]
    fn the_send_future_is_not_driven_by_hand() {
        let source = include_str!("lazy_future.rs");
        let code = without_string_literals(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        );
        let code: String = code
            .lines()
            .map(|line| line.split("//").next().unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        let code = without_demo(&code, &["handle_request", "write_log"]);
        let by_hand = [
            "now_or_never",
            "block_on",
            "noop_waker",
            "block_in_place",
            "spawn_blocking",
            "RawWaker",
            // Polling outside async code needs a Context made from some waker.
            "from_waker",
            "noop_waker_ref",
        ];
        let mut found: Vec<&str> = code
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|word| by_hand.contains(word))
            .collect();
        // A waker of its own (`impl Wake`, `Waker::noop()`) polls a future by hand, and wakes
        // nobody.
        found.extend(waker_tools(&code));
        found.extend(runtime_types(&code));
        found.extend(polled_once_by_hand(&code));
        // `#[tokio::main]` on a helper (fn main is left out) builds a runtime too: the word
        // main counts in an attribute, a `use` line or after `::` (or anywhere, beside an
        // attribute a macro builds: `#[tokio::$kind]`), not as a name of the code's own (`let main = ...`).
        let has_main = |text: &str| {
            text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| word == "main")
        };
        let attributes = || {
            (code.match_indices("#["))
                .map(|(at, _)| code[at..].split(']').next().unwrap_or_default())
        };
        let runtime_main = attributes().any(has_main)
            || (attributes().any(|attribute| attribute.contains('$')) && has_main(&code))
            || code.split(';').any(|line| {
                let words = line.split(|c: char| !(c.is_alphanumeric() || c == '_'));
                words
                    .skip_while(|&word| word != "use")
                    .any(|word| word == "main")
            })
            || code.match_indices("main").any(|(at, _)| {
                code[..at].trim_end().ends_with("::")
                    && !code[at + 4..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
            });
        found.extend(runtime_main.then_some("main"));
        found.sort();
        found.dedup();
        // What the words found are, each group said only where found: the code may also
        // await the future, sleep or not, so nothing is said about that.
        let polls = [
            "now_or_never",
            "noop_waker",
            "noop_waker_ref",
            "RawWaker",
            "from_waker",
            "Wake",
            "noop",
            "poll!",
            "poll_immediate",
        ];
        let (by_hand, runtimes): (Vec<&str>, Vec<&str>) =
            found.iter().copied().partition(|word| polls.contains(word));
        let mut what = Vec::new();
        if !by_hand.is_empty() {
            // Said only where "Wake" was found.
            let wake = if by_hand.contains(&"Wake") {
                "; \"Wake\" is a waker of your own"
            } else {
                ""
            };
            what.push(format!("{by_hand:?} (polling a future by hand{wake})"));
        }
        if !runtimes.is_empty() {
            // Said only where "main" was found.
            let main = if runtimes.contains(&"main") {
                "; \"main\" is a #[tokio::main] on a fn other than fn main"
            } else {
                ""
            };
            what.push(format!(
                "{runtimes:?} (blocking a thread, or running code on a blocking thread or a \
                 runtime of its own{main})"
            ));
        }
        assert!(
            found.is_empty(),
            "handle_request (or a helper it calls) uses {}: this lesson asks you to run \
             futures with .await only, with no polling by hand, blocking thread or runtime of \
             your own, even where the code also awaits. Write write_log(log, \"send\").await",
            what.join(" and ")
        );
    }

    /// Wakes the task, and writes down when.
    struct NoteWake {
        start: tokio::time::Instant,
        at: std::sync::Arc<std::sync::Mutex<Vec<tokio::time::Duration>>>,
        task: std::task::Waker,
    }

    impl std::task::Wake for NoteWake {
        fn wake(self: std::sync::Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.at.lock().unwrap().push(self.start.elapsed());
            self.task.wake_by_ref();
        }
    }

    /// Awaits `future`, and returns what it gave, when it was over (after the start) and the
    /// times at which its task was woken.
    async fn woken_at<T>(
        future: impl std::future::Future<Output = T>,
    ) -> (T, tokio::time::Duration, Vec<tokio::time::Duration>) {
        let start = tokio::time::Instant::now();
        let woken = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut future = std::pin::pin!(future);
        let output = std::future::poll_fn(|cx| {
            let waker = std::task::Waker::from(std::sync::Arc::new(NoteWake {
                start,
                at: std::sync::Arc::clone(&woken),
                task: cx.waker().clone(),
            }));
            std::future::Future::poll(future.as_mut(), &mut std::task::Context::from_waker(&waker))
        })
        .await;
        let took = start.elapsed();
        let woken = woken.lock().unwrap().clone();
        (output, took, woken)
    }

    /// A loop that checks on the "send" write every few ms ends in time too, so this test
    /// writes down when handle_request's task is woken.
    #[tokio::test(start_paused = true)]
    async fn the_writes_are_not_checked_on_a_timer() {
        let write = one_write().await;
        let log = Mutex::new(Vec::new());
        let ((), took, woken) = woken_at(request(&log)).await;
        if took != write * 3 {
            return; // Too slow or too fast: the tests above say why.
        }
        // Woken at 0 ms or when a write ends (10, 20 and 30 ms).
        let ends = [write, write * 2, write * 3];
        let mut needless: Vec<Duration> = woken
            .into_iter()
            .filter(|at| !at.is_zero() && !ends.contains(at))
            .collect();
        // Timers of its own that end at one moment (a progress message for each of
        // its futures) wake it once each: count the moments, not the wake-ups.
        needless.dedup();
        // A timer of its own now and then (a progress message every 40 ms or more) is
        // fine; every few ms is not.
        assert!(
            needless.len() as u128 <= took.as_millis() / 40,
            "handle_request's task was woken at {} moment(s) when no write had ended (they end \
             after 10, 20 and 30 ms), the first time after {:?}: checking on a future on a \
             timer of your own (now_or_never in a loop) is busy waiting. Await it: \
             write_log(log, \"send\").await wakes the task when the write is done",
            needless.len(),
            needless.first().copied().unwrap_or_default()
        );
    }

    /// Every other test pauses Tokio's clock; in a program (`cargo run`, main) it runs in real
    /// time. A "send" written only when the clock is paused (a probe of whether it moves) shows
    /// here: on runtimes like the tests' (one thread) and main's (multi-threaded), with their
    /// clocks running, on a thread named main, handle_request must write connect, send and
    /// close, each after the one before (three 10 ms writes: at least 30 ms of real time). The
    /// test gives up waiting after 5 s of real time, however loaded the machine (a thread left
    /// waiting ends with the test program).
    #[test]
    fn the_send_line_is_written_on_a_running_clock() {
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
                    let log = Mutex::new(Vec::new());
                    let start = std::time::Instant::now();
                    runtime.block_on(handle_request(&log));
                    let took = start.elapsed();
                    let _ = send.send((log.into_inner().unwrap(), took));
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
            let wait = deadline.saturating_duration_since(std::time::Instant::now());
            match done.recv_timeout(wait) {
                Ok((lines, took)) => {
                    assert_eq!(
                        lines,
                        ["connect", "send", "close"],
                        "{runtime} whose clock runs in real time (as in `cargo run`; every \
                         other test pauses Tokio's clock), handle_request left the log \
                         {lines:?}, but it must read connect, send, close. A program never \
                         runs on a paused clock: write the line with \
                         write_log(log, \"send\").await on every path, whatever clock or \
                         runtime it runs on"
                    );
                    assert!(
                        took >= Duration::from_millis(30),
                        "{runtime} whose clock runs in real time (as in `cargo run`; every \
                         other test pauses Tokio's clock), handle_request wrote its three \
                         lines in {took:?}, but three 10 ms writes, each after the one before, \
                         take at least 30 ms: a write's wait was skipped or overlapped \
                         another's. Await each write_log before the next one starts, whatever \
                         clock or runtime it runs on"
                    );
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
                    "{runtime} whose clock runs in real time (as in `cargo run`; every other \
                     test pauses Tokio's clock), handle_request still had not returned after \
                     5 s, for three writes of 10 ms: it waits for something that never comes \
                     on a real clock. Await each write_log, and nothing else, whatever clock or \
                     runtime it runs on"
                ),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!(
                    "{runtime} whose clock runs in real time (as in `cargo run`; every other \
                     test pauses Tokio's clock), handle_request panicked (its message is in \
                     the full output, from the thread named main): write connect, send and \
                     close with write_log(log, ...).await, whatever clock or runtime it runs on"
                ),
            }
        }
    }
}
