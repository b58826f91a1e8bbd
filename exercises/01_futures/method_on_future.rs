// You cannot call the value's methods on a future.
//
// `count_tags` loads a comma-separated list of tags and returns how many
// there are. It does not compile: `.len()` is called on the future returned
// by `load_tags`, and a future has no `len` method. Wait for the `Vec` first.

use tokio::time::{Duration, sleep};

/// Splits a comma-separated line into tags, pretending it comes from a slow database.
async fn load_tags(line: &str) -> Vec<String> {
    sleep(Duration::from_millis(30)).await;
    line.split(',')
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(String::from)
        .collect()
}

pub async fn count_tags(line: &str) -> usize {
    // TODO: `load_tags(line)` is a future of a `Vec<String>`, not the `Vec` itself.
    load_tags(line).len()
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    /// `future` (a call of count_tags), stopped with a message once it is polled 1000 times in
    /// a row at one moment of the paused clock: a loop that checks on load_tags and yields
    /// (`now_or_never` with `yield_now`) never lets the clock move on, and would spin until the
    /// run is killed.
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
                "count_tags was polled 1000 times in a row while the paused clock stood still: \
                 it checks on load_tags' future in a loop (`now_or_never` or a poll by hand, \
                 with `yield_now`), so its 30 ms can never pass. Await it: \
                 load_tags(line).await wakes the task when the Vec is there"
            );
            future.as_mut().poll(cx)
        })
        .await
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

    #[tokio::test(start_paused = true)]
    async fn counts_the_tags() {
        assert_eq!(
            guarded(count_tags("rust, async, tokio")).await,
            3,
            "\"rust, async, tokio\" holds 3 tags"
        );
        assert_eq!(
            guarded(count_tags("one")).await,
            1,
            "\"one\" holds a single tag"
        );
        let got = guarded(count_tags("rust, tokio, rust")).await;
        assert_eq!(
            got, 3,
            "count_tags(\"rust, tokio, rust\") returned {got}, but the line holds 3 tags: a tag \
             given twice counts twice. Return the len() of the Vec that load_tags(line).await \
             gives, with every entry it holds (do not merge repeats)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn empty_entries_are_not_tags() {
        assert_eq!(
            guarded(count_tags("")).await,
            0,
            "an empty line holds no tags: count what load_tags returns"
        );
        assert_eq!(
            guarded(count_tags("a,,b,")).await,
            2,
            "\"a,,b,\" holds 2 tags once empty entries are skipped: count what load_tags returns"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_tags_come_from_load_tags() {
        let line = "red, green, blue";
        let start = Instant::now();
        load_tags(line).await;
        let needed = start.elapsed();

        // Twice: a count kept from the first call (a cache) shows on the second.
        for call in ["first", "second"] {
            let start = Instant::now();
            let count = guarded(count_tags(line)).await;
            let took = start.elapsed();
            assert_eq!(count, 3, "{line:?} holds 3 tags");
            assert!(
                took >= needed || call == "first",
                "the second count_tags({line:?}) in a row returned after {took:?} (the first \
                 took long enough), but load_tags needs {needed:?} to load the tags: a value \
                 kept from an earlier call (a cache, a static, a thread_local) is not this \
                 call's answer. Await load_tags(line) at every call and count what it returns"
            );
            assert!(
                took >= needed,
                "count_tags returned after {took:?}, but load_tags needs {needed:?} to load the \
                 tags: await load_tags(line) and count what it returns, instead of splitting \
                 the line yourself or blocking on another runtime"
            );
        }
    }

    /// A sleep as long as load_tags' looks the same on the clock, so this test reads the source.
    #[test]
    fn count_tags_calls_load_tags() {
        // Without comments and a demo in main (a call there does not count); a helper that
        // count_tags calls may be above or below it.
        let code = code_outside_main(include_str!("method_on_future.rs"));
        // A use of the name `load_tags` (a call, or the fn passed by name), not its definition.
        let ident = |c: char| c == '_' || c.is_alphanumeric();
        let calls_load_tags = code.match_indices("load_tags").any(|(at, name)| {
            let (before, after) = (&code[..at], &code[at + name.len()..]);
            !before.ends_with(ident)
                && !after.starts_with(ident)
                && !before.trim_end().ends_with("fn")
        });
        assert!(
            calls_load_tags,
            "count_tags never calls load_tags, so the count it returns is not that of the Vec \
             load_tags gives (a sleep as long as load_tags' does not change that): write \
             load_tags(line).await to get the Vec<String>, then ask it for its len()"
        );
    }

    /// The code above the tests without comments, `fn main` and the items only a demo uses
    /// (a demo there is free).
    fn code_outside_main(source: &str) -> String {
        // String literals first, so that a `//` in one (`"https://..."`) is no comment.
        let code = without_string_literals(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        )
        .lines()
        .map(|line| line.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
        without_demo(&code, &["count_tags", "load_tags"])
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

    /// Tags split by hand beside a 30 ms sleep take the same time and give the same count as
    /// load_tags, so this test reads the source.
    #[test]
    fn the_line_is_split_only_by_load_tags() {
        let code = without_string_literals(&code_outside_main(include_str!("method_on_future.rs")));
        // Calls of a split method (`.split(`, `.rsplit(`, `.split_terminator(`, `str::split`),
        // not a name or a message that only says "split".
        let splits = code
            .match_indices("split")
            .filter(|&(at, _)| {
                let before = code[..at]
                    .trim_end_matches(|c: char| c.is_alphanumeric() || c == '_')
                    .trim_end();
                before.ends_with('.') || before.ends_with("::")
            })
            .count();
        assert!(
            splits <= 1,
            "the code splits the line outside load_tags too ({splits} uses of `split`): count \
             what load_tags returns instead of doing its work by hand. Await the Vec first \
             (`load_tags(line).await`), then call `.len()` on it"
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

    /// A future polled once, then again after a sleep as long as load_tags', or run on a
    /// runtime of its own, counts the same tags at the same time, so this test reads the source.
    #[test]
    fn count_tags_awaits_load_tags_itself() {
        let code = without_string_literals(&code_outside_main(include_str!("method_on_future.rs")));
        let by_hand = [
            "now_or_never",
            "noop_waker",
            "block_on",
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
            "count_tags (or a helper it calls) uses {}: this lesson asks you to run \
             futures with .await only, with no polling by hand, blocking thread or runtime of \
             your own, even where the code also awaits. Write load_tags(line).await.len()",
            what.join(" and ")
        );
    }

    /// Polls `count_tags` step by step; where a step spawned a task, the clock jumps `late`
    /// before that task may start, and the call goes on. What it returns, whether it spawned,
    /// and how long the clock jumped in all.
    async fn count_with_late_tasks(
        line: &str,
        late: tokio::time::Duration,
    ) -> (usize, bool, tokio::time::Duration) {
        use std::task::Poll;
        let metrics = tokio::runtime::Handle::current().metrics();
        let mut call = std::pin::pin!(guarded(count_tags(line)));
        let mut jumped = tokio::time::Duration::ZERO;
        loop {
            let before = metrics.num_alive_tasks();
            // Each step polls the call a few times in a row before the runtime gets a turn (a
            // future may be polled when it was not woken): a `yield_now` then gives a spawned
            // task no head start, and what the call waits for really holds it up.
            let step = std::future::poll_fn(|cx| {
                let mut step = call.as_mut().poll(cx);
                for _ in 0..8 {
                    if step.is_ready() {
                        break;
                    }
                    step = call.as_mut().poll(cx);
                }
                Poll::Ready(step)
            })
            .await;
            if let Poll::Ready(count) = step {
                return (count, !jumped.is_zero(), jumped);
            }
            if metrics.num_alive_tasks() > before {
                // A task spawned in this step starts late.
                jumped += late;
                tokio::time::advance(late).await;
                continue;
            }
            // Wait until the call is woken.
            let mut waited = false;
            std::future::poll_fn(|_| {
                if std::mem::replace(&mut waited, true) {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
            .await;
        }
    }

    /// Tags counted in a spawned task and read after a sleep (the task not awaited) give the
    /// same count, so here every task count_tags spawns starts late (5 ms, then 12 ms: no
    /// sleep or timer of a fixed length meets both), and count_tags must be back when the
    /// Vec is there. A safety-net timeout longer than that is fine.
    #[tokio::test(start_paused = true)]
    async fn a_spawned_count_is_awaited_even_when_it_starts_late() {
        for (line, tags, late) in [("red, green, blue", 3, 5), ("a,,b,", 2, 12)] {
            let start = Instant::now();
            load_tags(line).await;
            let needed = start.elapsed();
            let start = Instant::now();
            let late = Duration::from_millis(late);
            let (got, spawned, jumped) = count_with_late_tasks(line, late).await;
            let took = start.elapsed();
            let late = if spawned {
                format!(" when the task it spawned started {late:?} late")
            } else {
                String::new()
            };
            let why = if spawned {
                "the Vec is there once load_tags' future has been awaited (a spawned task's \
                 JoinHandle too), not after a sleep as long as load_tags' or a yield_now; then \
                 its len() is the count"
            } else if got == 0 {
                // Nothing spawned: 0 is what a count read before the Vec is there gives.
                "0 is what a count taken before the Vec is there gives (a future looked at by \
                 hand with now_or_never, a count read from a thread of your own after a sleep \
                 as long as load_tags'). Return the len() of the Vec that load_tags(line).await \
                 gives (not a count of your own)"
            } else {
                // Nothing spawned, and a count that is no guess: it is simply wrong.
                "that is not how many tags load_tags(line) gives for it, so the count is wrong. \
                 Return the len() of the Vec that load_tags(line).await gives (not its \
                 capacity, nor a count of your own)"
            };
            assert_eq!(
                got, tags,
                "count_tags({line:?}) returned {got}{late}, but the line holds {tags} tags: {why}"
            );
            assert!(
                took <= needed + jumped,
                "count_tags({line:?}) returned after {took:?}{late}, but the Vec was there after \
                 {:?}: a sleep or a timer of your own that checks for the count later only \
                 guesses when it is there. Await load_tags(line) (or the JoinHandle of the task \
                 that runs it) and return as soon as it gives the Vec",
                needed + jumped
            );
        }
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

    /// A loop that checks on load_tags every few ms counts the same, so this test writes down
    /// when count_tags' task is woken.
    #[tokio::test(start_paused = true)]
    async fn the_tags_are_not_checked_on_a_timer() {
        let line = "red, green, blue";
        let start = Instant::now();
        load_tags(line).await;
        let needed = start.elapsed();
        let (_, took, woken) = woken_at(guarded(count_tags(line))).await;
        // Woken at 0 ms or when the tags are loaded (after 30 ms), counted until count_tags
        // returned, even a little late.
        let mut needless: Vec<tokio::time::Duration> = woken
            .into_iter()
            .filter(|at| !at.is_zero() && *at != needed)
            .collect();
        // Timers of its own that end at one moment (a progress message for each of
        // its futures) wake it once each: count the moments, not the wake-ups.
        needless.dedup();
        // A timer of its own now and then (a progress message every 40 ms or more) is
        // fine; every few ms is not.
        assert!(
            needless.len() as u128 <= took.as_millis() / 40,
            "count_tags' task was woken at {} moment(s) before the tags were loaded after \
             {needed:?}, the first time after {:?}, by a timer of its own: at most one such \
             moment per 40 ms is allowed (a progress message every 40 ms or more), because a \
             future checked on a timer (polled by hand in a loop with a sleep) looks the same, \
             and that is busy waiting. Await it: load_tags(line).await wakes the task when the \
             Vec is there (a progress timer beside it must tick every 40 ms or more)",
            needless.len(),
            needless.first().copied().unwrap_or_default()
        );
    }

    /// A line leaked (`Box::leak`) to hand a `&'static str` to tokio::spawn counts the same,
    /// so this test counts the allocations count_tags leaves behind.
    #[test]
    fn count_tags_leaks_nothing() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        // The first timer and task on a runtime set up a few things, and the test's output is
        // set up by its first line: neither is count_tags' to free.
        runtime.block_on(async { tokio::spawn(sleep(Duration::from_millis(1))).await.unwrap() });
        println!("counting the tags of a line");
        let line = String::from("kept, or, freed");
        let mut count = 0;
        // After count_tags, the paused clock runs on a minute, so that a task it aborted, or a
        // progress task that ends at its next tick, is over and freed.
        let kept = allocation_counter::measure(|| {
            count = runtime.block_on(async {
                let count = guarded(count_tags(&line)).await;
                sleep(Duration::from_secs(60)).await;
                count
            })
        })
        .count_current;
        assert_eq!(count, 3, "{line:?} holds 3 tags");
        assert!(
            kept == 0,
            "count_tags returned, and a minute later {kept} allocation(s) made while it ran \
             were still not freed: a copy of the line leaked (Box::leak, String::leak...) to get \
             a 'static one for tokio::spawn, a task it spawned still running, a thread or \
             runtime of its own still winding down, or a value kept after the call for a later \
             one (a cache, a static, a thread_local: count_tags keeps nothing after it \
             returns). Await load_tags(line) right there; a task that needs the line \
             can own a copy (`let line = line.to_string();` moved into `async move`), and a \
             task it starts must be over soon after it returns (awaited, aborted, or told to \
             stop)"
        );
    }

    /// Tags counted by hand beside a sleep (or beside load_tags of some other line) give the
    /// same count at the same time, so this test counts the heap allocations made while
    /// count_tags runs: load_tags(line) makes one `String` per tag of this line.
    #[test]
    fn the_vec_of_this_line_is_loaded() {
        let line: String = (0..50).map(|n| format!("tag{n},")).collect();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        // The first timer and task on a runtime set up a few things: not what is counted.
        runtime.block_on(async { tokio::spawn(sleep(Duration::from_millis(1))).await.unwrap() });
        let mut count = 0;
        let made =
            allocation_counter::measure(|| count = runtime.block_on(guarded(count_tags(&line))))
                .count_total;
        assert_eq!(count, 50, "a line of 50 tags gave {count}");
        assert!(
            made >= 50,
            "count_tags made {made} heap allocations for a line of 50 tags, but load_tags(line) \
             makes a String for each of them: the count did not come from the Vec that \
             load_tags gives for this line. Await load_tags(line) and count what it returns"
        );
    }

    /// Every other test runs on a current-thread runtime, where a spawned task runs on the
    /// thread of the call that awaits it. `#[tokio::main]` builds a multi-thread runtime: here
    /// count_tags runs on one (with the real clock), called from this test's own thread,
    /// outside the runtime's worker threads.
    #[test]
    fn count_tags_works_on_a_multi_thread_runtime() {
        let expected = 3;
        // What the call did on a runtime from `builder` (real clock), called from this thread.
        let run = |mut builder: tokio::runtime::Builder| {
            let runtime = builder.enable_all().build().unwrap();
            let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let call = count_tags("rust, async, tokio");
                runtime.block_on(async { tokio::time::timeout(Duration::from_secs(5), call).await })
            }));
            runtime.shutdown_timeout(Duration::from_secs(1));
            match got {
                Ok(Ok(got)) => (got == expected, format!("returned {got}")),
                Ok(Err(_)) => (
                    false,
                    String::from("had not returned after 5 s (loading takes 30 ms)"),
                ),
                Err(_) => (false, String::from("panicked (its message is above)")),
            }
        };
        let mut multi_thread = tokio::runtime::Builder::new_multi_thread();
        multi_thread.worker_threads(2);
        let (right, seen) = run(multi_thread);
        if right {
            return;
        }
        // The same call on a current-thread runtime, the kind the other tests run on.
        let (right_here, here) = run(tokio::runtime::Builder::new_current_thread());
        assert!(
            !right_here,
            "on a multi-thread runtime (the kind #[tokio::main] builds), called from outside its \
             worker threads, count_tags(\"rust, async, tokio\") {seen}, not {expected} (on a \
             current-thread runtime it returned that): the answer depends on the thread the work \
             ran on. A result left on the thread that computed it (a thread_local, anything kept \
             per thread) is lost when the task runs on another thread, and one read before its \
             task is awaited may not be there yet. Hand it back through the JoinHandle's output \
             or a channel, and await it"
        );
        panic!(
            "count_tags(\"rust, async, tokio\") {seen} on a multi-thread runtime and {here} on a \
             current-thread one, not {expected}: the other tests say more"
        );
    }
}
