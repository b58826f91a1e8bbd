// A future is not its value.
//
// `total_score` asks the (slow) score server for two players and adds the
// scores up. It does not compile: one call hands back a future where a `u32`
// is expected. Get the value out of the future so the totals come out right.

use tokio::time::{Duration, sleep};

/// Looks up a player's score on a pretend remote server.
async fn fetch_score(player: &str) -> u32 {
    sleep(Duration::from_millis(50)).await;
    match player {
        "ada" => 120,
        "grace" => 95,
        "linus" => 70,
        _ => 0,
    }
}

pub async fn total_score(first: &str, second: &str) -> u32 {
    let a: u32 = fetch_score(first).await;
    // `.await` runs the future and hands back the `u32` it produces.
    let b: u32 = fetch_score(second).await;
    a + b
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::{Duration, Instant};

    /// The code above the tests, without comments, `fn main` and the items only a demo uses.
    fn learner_code() -> String {
        let source = include_str!("missing_await.rs");
        let code = without_comments(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        );
        without_demo(&code, &["total_score", "fetch_score"])
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

    /// `code` without its comments: `// ...` to the end of the line and `/* ... */` (nested),
    /// but not a `//` inside a string literal (`"https://..."`), which is no comment.
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

    /// `code` with what its string literals hold taken out (the quotes stay), so that a word
    /// in a message (`.expect("no Runtime here")`) counts for nothing.
    fn without_string_text(code: &str) -> String {
        // A `"` inside a raw string (`r#"a "b" c"#`) does not end it.
        let code = &raw_strings_plain(code);
        let mut out = String::new();
        let (mut in_string, mut escaped) = (false, false);
        for c in code.chars() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                    out.push(c);
                }
                continue;
            }
            in_string = c == '"';
            out.push(c);
        }
        out
    }

    /// The code without the arguments of `Duration`'s constructors (`from_secs(120)`,
    /// `from_millis(95)`): a time is no score.
    fn without_durations(code: &str) -> String {
        let mut out = String::new();
        let mut rest = code;
        while let Some(at) = rest.find("from_") {
            let (before, after) = rest.split_at(at);
            out.push_str(before);
            let name_len = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let unit = &after[5..name_len];
            let is_time = ["secs", "millis", "micros", "nanos", "secs_f32", "secs_f64"]
                .contains(&unit)
                && after[name_len..].trim_start().starts_with('(');
            if !is_time {
                out.push_str(&after[..name_len]);
                rest = &after[name_len..];
                continue;
            }
            let open = name_len + after[name_len..].find('(').unwrap_or(0);
            let mut depth = 0;
            let close = after[open..].char_indices().find_map(|(i, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(open + i)
            });
            out.push_str(&after[..name_len]);
            out.push_str("()");
            rest = close.map_or("", |close| &after[close + 1..]);
        }
        out.push_str(rest);
        out
    }

    /// `code` without the arguments of its assertions (`assert!`, `assert_eq!`, `assert_ne!`
    /// and their `debug_` forms) that hold no block and assign nothing: such a check hands no
    /// value back to the code around it.
    fn without_assertions(code: &str) -> String {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut out = String::new();
        let mut rest = code;
        while let Some(at) = rest.find("assert") {
            // The whole name that holds `assert` (`debug_assert_eq`).
            let at = rest[..at].trim_end_matches(ident).len();
            let (before, after) = rest.split_at(at);
            out.push_str(before);
            let name_len = after.find(|c: char| !ident(c)).unwrap_or(after.len());
            let name = &after[..name_len];
            let tail = after[name_len..].trim_start();
            let is_assertion = ["assert", "assert_eq", "assert_ne"]
                .iter()
                .any(|&plain| name == plain || name.strip_prefix("debug_") == Some(plain))
                && tail.starts_with('!')
                && tail[1..].trim_start().starts_with('(');
            let open = after.len() - tail.len() + tail.find('(').unwrap_or(0);
            // Where its arguments end: the `)` that closes the `(`.
            let close = is_assertion
                .then(|| {
                    let mut depth = 0;
                    after[open..].char_indices().find_map(|(i, c)| {
                        match c {
                            '(' | '[' | '{' => depth += 1,
                            ')' | ']' | '}' => depth -= 1,
                            _ => {}
                        }
                        (depth == 0).then_some(open + i)
                    })
                })
                .flatten();
            let Some(close) = close else {
                out.push_str(name);
                rest = &after[name_len..];
                continue;
            };
            let arguments = &after[open + 1..close];
            let bytes = arguments.as_bytes();
            let assigns = (0..bytes.len()).any(|i| {
                let before = i.checked_sub(1).map(|before| bytes[before]);
                bytes[i] == b'='
                    && !matches!(bytes.get(i + 1), Some(b'=' | b'>'))
                    && !matches!(before, Some(b'=' | b'!' | b'<' | b'>'))
            });
            if arguments.contains('{') || assigns {
                out.push_str(&after[..=close]);
            } else {
                out.push_str(&after[..=open]);
                out.push(')');
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// `code` (without comments) without `fn main`, a `#[cfg(test)] mod` of the learner's own
    /// and the items that only these use: a demo in `main`, with its own helpers (`pub` or
    /// not), constants and `use` lines, may name players, lock the log or start a runtime of
    /// its own, and is not what the tests judge. An item named in `keep`, or one that the rest
    /// of the code names, stays.
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
        // A learner's own `#[cfg(test)] mod NAME { ... }` that nothing else names is left out
        // too: its tests may name the players and their scores. One with an `impl` or a macro
        // stays: it may serve the code above without being named.
        let own_tests = |k: usize| {
            let (from, to) = items[k];
            let all = words((from, to));
            let name = all.iter().skip_while(|&&word| word != "mod").nth(1);
            // Other attributes (`#[allow(..)]`) may stand before or after the cfg.
            let head = plain[from..to].split('{').next().unwrap_or_default();
            head.contains("#[cfg(test)]")
                && words((from, from + head.len())).contains(&"mod")
                && !all.contains(&"impl")
                && !all.contains(&"macro_rules")
                && name.is_some_and(|name| {
                    (0..items.len()).all(|j| j == k || !words(items[j]).contains(name))
                })
        };
        let mut dropped: Vec<bool> = (0..items.len())
            .map(|k| {
                let item = items[k];
                (words(item).contains(&"fn") && names(item) == ["main"]) || own_tests(k)
            })
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

    /// How long the server takes to answer: 50 ms for every player, as given.
    async fn lookup_time(player: &str) -> Duration {
        let start = Instant::now();
        fetch_score(player).await;
        let took = start.elapsed();
        assert_eq!(
            took,
            Duration::from_millis(50),
            "fetch_score({player:?}) took {took:?}, but as given the server needs 50 ms: \
             leave fetch_score as it is and fix total_score"
        );
        took
    }

    #[tokio::test(start_paused = true)]
    async fn adds_both_scores() {
        assert_eq!(
            total_score("ada", "grace").await,
            215,
            "ada (120) + grace (95) should be 215: both scores must come from fetch_score"
        );
        assert_eq!(
            total_score("linus", "ada").await,
            190,
            "linus (70) + ada (120) should be 190: both scores must come from fetch_score"
        );
        for (first, second, total) in [("grace", "linus", 165), ("ada", "ada", 240)] {
            let got = total_score(first, second).await;
            assert_eq!(
                got, total,
                "total_score({first:?}, {second:?}) returned {got}, but their scores add up \
                 to {total}: each player's score must come from fetch_score for that player"
            );
        }
    }

    /// Two totals at once, the second started 20 ms after the first: each adds up its own
    /// players. A sum kept where every call shares it (a `static`, a `thread_local`) adds up
    /// right when the calls come one at a time, as in the other tests, but not here.
    #[tokio::test(start_paused = true)]
    async fn two_totals_at_once_each_add_their_own_scores() {
        let first = total_score("ada", "grace");
        let second = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            total_score("linus", "ada").await
        };
        let (first, second) = tokio::join!(first, second);
        assert_eq!(
            (first, second),
            (215, 190),
            "two totals were asked for at once, the second (linus, ada) 20 ms after the first \
             (ada, grace), and they came out wrong: each total is its own (ada 120 + grace 95 \
             = 215, linus 70 + ada 120 = 190). A sum kept where every call shares it (a \
             static, a thread_local) mixes the players up: add the two scores in total_score's \
             own variables"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_players_score_zero() {
        assert_eq!(
            total_score("nobody", "grace").await,
            95,
            "an unknown player scores 0, so nobody + grace should be 95"
        );
        assert_eq!(
            total_score("linus", "nobody").await,
            70,
            "an unknown player scores 0, so linus + nobody should be 70"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn both_scores_come_from_the_server() {
        let mut asked: Vec<&str> = Vec::new();
        for (first, second) in [("ada", "grace"), ("grace", "ada"), ("linus", "nobody")] {
            let (a, b) = (lookup_time(first).await, lookup_time(second).await);
            let start = Instant::now();
            total_score(first, second).await;
            let took = start.elapsed();
            // Both players asked for by an earlier call of this test: a score kept from it (a
            // cache) comes back sooner than any lookup.
            let earlier = if took < a.max(b) && [first, second].iter().all(|p| asked.contains(p)) {
                ". An earlier call in this test asked for both players: a value kept from an \
                 earlier call (a cache, a static, a thread_local) is not this call's answer, \
                 every call looks the scores up again"
            } else {
                ""
            };
            asked.extend([first, second]);
            // Longer than both lookups one after the other: more than one lookup per player,
            // or a wait of the code's own.
            let longer = if took > a + b {
                ". It took longer than both lookups one after the other: each player's score is \
                 fetched once per call (not again, say when it is 0, a score like any other), \
                 with no wait of its own beside"
            } else {
                ""
            };
            // Awaiting both lookups takes their sum one after the other, the longer one at once.
            assert!(
                took == a + b || took == a.max(b),
                "total_score({first:?}, {second:?}) returned after {took:?}, but awaiting \
                 fetch_score for both players takes {a:?} + {b:?} = {:?} one after the other, \
                 or {:?} at the same time: each score must come from awaiting fetch_score, not \
                 from a table of your own or a sleep{earlier}{longer}",
                a + b,
                a.max(b)
            );
        }
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

    /// A table of scores beside a 50 ms sleep takes the same time and gives the same totals as
    /// the server, so this test reads the source.
    #[test]
    fn a_score_comes_from_awaiting_fetch_score() {
        let code = learner_code();
        let words: Vec<&str> = code
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '"'))
            .filter(|word| !word.is_empty())
            .collect();
        // A score in a message (`println!("ada has 120")`), in a check that hands nothing
        // back (`debug_assert!(b <= 120)`) or in a time (`Duration::from_secs(120)`, a safety
        // net) is no table: numbers are counted without those.
        let checked = without_durations(&without_assertions(&without_string_text(&code)));
        let numbers: Vec<&str> = checked
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '"'))
            .filter(|word| !word.is_empty())
            .collect();
        // fetch_score, as given, names each player and score once.
        let copied = ["\"ada\"", "\"grace\"", "\"linus\"", "120", "95", "70"]
            .into_iter()
            .filter(|item| {
                let words = if item.starts_with('"') {
                    &words
                } else {
                    &numbers
                };
                words.iter().filter(|word| *word == item).count() > 1
            })
            .collect::<Vec<_>>();
        assert!(
            copied.is_empty(),
            "the code spells out {copied:?} outside fetch_score too: a table of scores of your \
             own only looks like the server. Get the second score with \
             fetch_score(second).await, the way the first one is fetched"
        );
        // What the code calls, leaving out what its messages say.
        let plain = without_string_text(&code);
        let words: Vec<&str> = plain
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|word| !word.is_empty())
            .collect();
        // `#[tokio::main]` on a helper (fn main is left out) builds a runtime too: the word
        // main counts in an attribute, a `use` line or after `::` (or anywhere, beside an
        // attribute a macro builds: `#[tokio::$kind]`), not as a name of the code's own (`let main = ...`, a field `main`).
        let has_main = |text: &str| {
            text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .any(|word| word == "main")
        };
        let attributes = || {
            (plain.match_indices("#["))
                .map(|(at, _)| plain[at..].split(']').next().unwrap_or_default())
        };
        let runtime_main = attributes().any(has_main)
            || (attributes().any(|attribute| attribute.contains('$')) && has_main(&plain))
            || plain.split(';').any(|line| {
                let words = line.split(|c: char| !(c.is_alphanumeric() || c == '_'));
                words
                    .skip_while(|&word| word != "use")
                    .any(|word| word == "main")
            })
            || plain.match_indices("main").any(|(at, _)| {
                plain[..at].trim_end().ends_with("::")
                    && !plain[at + 4..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
            });
        let by_hand = ["block_on", "block_in_place", "spawn_blocking"]
            .into_iter()
            .filter(|item| words.contains(item))
            .chain(runtime_types(&plain))
            .chain(runtime_main.then_some("main"))
            .collect::<Vec<_>>();
        // Said only where "main" was found.
        let main = if by_hand.contains(&"main") {
            "; \"main\" is a #[tokio::main] on a fn other than fn main"
        } else {
            ""
        };
        assert!(
            by_hand.is_empty(),
            "the code uses {by_hand:?} (blocking a thread, or running code on a blocking \
             thread or a runtime of its own{main}): this lesson asks you to get a future's \
             value with .await only. Write fetch_score(second).await inside total_score"
        );
        // A future polled once, then again after a sleep as long as the server's, adds up the
        // same; these tools only look at a future, they never wait for it.
        // A waker of its own (`impl Wake`, `Waker::noop()`) polls a future by hand too, and
        // wakes nobody.
        let polled = [
            "now_or_never",
            "noop_waker",
            "RawWaker",
            // Polling outside async code needs a Context made from some waker.
            "from_waker",
            "noop_waker_ref",
        ]
        .into_iter()
        .filter(|item| words.contains(item))
        .chain(waker_tools(&plain))
        .chain(polled_once_by_hand(&plain))
        .collect::<Vec<_>>();
        // Said only where "Wake" was found; the code may also await the future, sleep or
        // not, so nothing is said about that.
        let wake = if polled.contains(&"Wake") {
            "; \"Wake\" is a waker of your own"
        } else {
            ""
        };
        assert!(
            polled.is_empty(),
            "the code uses {polled:?} (polling a future by hand{wake}): this lesson asks you to \
             get a future's value with .await only, with no polling by hand, even where the \
             code also awaits. Write fetch_score(second).await inside total_score"
        );
        // The given table moved out of fetch_score (into a fn, const or macro of its own, or
        // behind helpers) may serve fetch_score; read by total_score without it, it gives
        // scores not fetched from the server.
        let (mut items, mut depth, mut start) = (Vec::new(), 0, 0);
        for (i, c) in plain.char_indices() {
            match c {
                '{' | '(' | '[' => depth += 1,
                '}' | ')' | ']' => depth -= 1,
                _ => {}
            }
            if depth == 0 && (c == ';' || c == '}') {
                let text = &plain[start..=i];
                let item: Vec<&str> = text
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .filter(|word| !word.is_empty())
                    .collect();
                items.push((text, item));
                start = i + 1;
            }
        }
        let kinds = [
            "fn",
            "const",
            "static",
            "macro_rules",
            "struct",
            "enum",
            "impl",
        ];
        // The name after `fn`, `const` and so on (`const fn NAME` too).
        fn name_of<'a>(item: &[&'a str], kinds: &[&str]) -> Option<&'a str> {
            let mut at = item.iter().position(|word| kinds.contains(word))?;
            while item.get(at + 1).is_some_and(|word| kinds.contains(word)) {
                at += 1;
            }
            item.get(at + 1).copied()
        }
        // Whether an item uses `name`; one with a `let` of that name (`let score = a + b;`)
        // only where it calls it (`name(`, `name!`, `name::`).
        let reads = |(text, item): &(&str, Vec<&str>), name: &str| {
            let bound = (item.windows(2)).any(|w| w == ["let", name])
                || (item.windows(3)).any(|w| w == ["let", "mut", name]);
            item.contains(&name)
                && (!bound
                    || text.match_indices(name).any(|(at, _)| {
                        let after = text[at + name.len()..].trim_start();
                        !text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_')
                            && (after.starts_with(['(', '!']) || after.starts_with("::"))
                    }))
        };
        for (k, item) in items.iter().enumerate() {
            let holds_table = ["120", "95", "70"].iter().all(|n| item.1.contains(n));
            let Some(name) = name_of(&item.1, &kinds) else {
                continue;
            };
            if !holds_table || item.1.contains(&"fetch_score") {
                continue;
            }
            // What reads the table, what reads those, and so on; not past fetch_score.
            let mut reached = vec![name];
            let mut at = 0;
            while let Some(&next) = reached.get(at) {
                at += 1;
                if next == "fetch_score" {
                    continue;
                }
                for (j, other) in items.iter().enumerate() {
                    let names = [name_of(&other.1, &kinds), name_of(&other.1, &["fn"])];
                    for reader in names.into_iter().flatten() {
                        if j != k && reads(other, next) && !reached.contains(&reader) {
                            reached.push(reader);
                        }
                    }
                }
            }
            let readers: Vec<&str> = (reached.iter().skip(1).copied())
                .filter(|&reader| reader != "fetch_score")
                .collect();
            assert!(
                !reached.contains(&"total_score"),
                "`{name}` holds the table of scores and total_score reads it without \
                 fetch_score (through {readers:?}): a score taken from the table is not one \
                 fetched from the server. Leave the table to fetch_score and get the second \
                 score with fetch_score(second).await"
            );
        }
    }

    /// Polls `total_score` step by step; where a step spawned a task, the clock jumps 100 ms
    /// before that task may start, and the call goes on. What it returns then.
    async fn total_with_late_tasks(first: &str, second: &str) -> (u32, bool) {
        use std::task::Poll;
        let metrics = tokio::runtime::Handle::current().metrics();
        let mut call = std::pin::pin!(total_score(first, second));
        let mut spawned = false;
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
            if let Poll::Ready(total) = step {
                return (total, spawned);
            }
            if metrics.num_alive_tasks() > before {
                // A task spawned in this step starts 100 ms late: its lookup ends 150 ms or
                // more after the call started, later than any read that the timing test lets
                // through (both lookups take 100 ms at most), yet before a safety-net timeout
                // of 200 ms ends.
                spawned = true;
                tokio::time::advance(Duration::from_millis(100)).await;
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

    /// A lookup spawned as a task whose result is read after a sleep as long as the server's
    /// (not awaited) gives the same totals, so here every task it spawns starts 100 ms late.
    #[tokio::test(start_paused = true)]
    async fn a_spawned_lookup_is_awaited_even_when_it_starts_late() {
        for (first, second, total) in [("ada", "grace", 215), ("linus", "ada", 190)] {
            let (got, spawned) = total_with_late_tasks(first, second).await;
            if got == total {
                continue;
            }
            // Then a plain call: a total wrong even when nothing starts late is no matter of
            // timing.
            let plain = total_score(first, second).await;
            assert_eq!(
                plain, total,
                "total_score({first:?}, {second:?}) returned {plain}, but their scores add up \
                 to {total}: each player's score must come from fetch_score for that player"
            );
            let late = if spawned {
                " when the task it spawned started 100 ms late"
            } else {
                " when it was polled again without being woken (which any future must allow)"
            };
            panic!(
                "total_score({first:?}, {second:?}) returned {got}{late} (and {total} on a plain \
                 call), but the scores add up to {total}: a score is there once its future has \
                 been awaited (a spawned task's JoinHandle too), not after a sleep as long as \
                 the server's or a yield_now"
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

    /// A loop that checks on the second lookup every few ms adds up the same, so this test
    /// writes down when total_score's task is woken.
    #[tokio::test(start_paused = true)]
    async fn the_lookups_are_not_checked_on_a_timer() {
        for (first, second) in [("ada", "grace"), ("linus", "nobody")] {
            let one = lookup_time(first).await;
            let (_, took, woken) = woken_at(total_score(first, second)).await;
            if took != one && took != one * 2 {
                continue; // Too slow or too fast: the tests above say why.
            }
            // Woken at 0 ms or when a lookup ends (after 50 or 100 ms).
            let mut needless: Vec<Duration> = woken
                .into_iter()
                .filter(|at| !at.is_zero() && *at != one && *at != one * 2)
                .collect();
            // Timers of its own that end at one moment (a progress message for each of
            // its futures) wake it once each: count the moments, not the wake-ups.
            needless.dedup();
            // A timer of its own now and then (a progress message every 40 ms or more) is
            // fine; every few ms is not.
            assert!(
                needless.len() as u128 <= took.as_millis() / 40,
                "total_score({first:?}, {second:?})'s task was woken at {} moment(s) when no lookup \
                 had ended (a lookup takes {one:?}), the first time after {:?}: checking on a \
                 future on a timer of your own (now_or_never in a loop) is busy waiting. Await \
                 it: fetch_score(second).await wakes the task when the score is there",
                needless.len(),
                needless.first().copied().unwrap_or_default()
            );
        }
    }

    /// A player's name leaked to `&'static str` (`Box::leak`) so that the lookup can run in a
    /// spawned task gives the same totals at the same times, but every call leaves it on the
    /// heap. This runs whole calls on a runtime of their own (after a warm-up run) and counts
    /// the heap blocks they leave behind.
    #[test]
    fn a_total_leaves_nothing_behind() {
        let call = || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap();
            runtime.block_on(total_score("ada", "grace"));
        };
        call();
        let left = allocation_counter::measure(call).count_current;
        assert!(
            left <= 0,
            "a call of total_score (on a runtime that was then shut down) left {left} heap \
             block(s) made on this thread that were not freed here: something leaked with \
             Box::leak or mem::forget (a name made `&'static` to move it into a spawned task?), \
             handed to a thread of its own (a std::thread, a second runtime), or kept after the \
             call (a static that grows with every call). A total needs nothing kept: write \
             fetch_score(second).await, the way the first score is fetched"
        );
    }

    /// Every other test runs on a current-thread runtime, where a spawned task runs on the
    /// thread of the call that awaits it. `#[tokio::main]` builds a multi-thread runtime: here
    /// total_score runs on one (with the real clock), called from this test's own thread,
    /// outside the runtime's worker threads.
    #[test]
    fn total_score_works_on_a_multi_thread_runtime() {
        let expected = 215;
        // What the call did on a runtime from `builder` (real clock), called from this thread.
        let run = |mut builder: tokio::runtime::Builder| {
            let runtime = builder.enable_all().build().unwrap();
            let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let call = total_score("ada", "grace");
                runtime.block_on(async { tokio::time::timeout(Duration::from_secs(5), call).await })
            }));
            runtime.shutdown_timeout(Duration::from_secs(1));
            match got {
                Ok(Ok(got)) => (got == expected, format!("returned {got}")),
                Ok(Err(_)) => (
                    false,
                    String::from("had not returned after 5 s (a lookup takes 50 ms)"),
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
             worker threads, total_score(\"ada\", \"grace\") {seen}, not {expected} (on a \
             current-thread runtime it returned that): the answer depends on the thread the work \
             ran on, or on totals that ran at the same time (the tests run side by side, and \
             this one on the real clock). A result left on the thread that computed it (a \
             thread_local, anything kept per thread) is lost when the task runs on another \
             thread, one read before its task is awaited may not be there yet, and a sum kept \
             in a static is shared by every call. Hand a result back through the JoinHandle's \
             output or a channel and await it, and add the scores in total_score's own \
             variables"
        );
        panic!(
            "total_score(\"ada\", \"grace\") {seen} on a multi-thread runtime and {here} on a \
             current-thread one, not {expected}: the other tests say more"
        );
    }
}
