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
    // Await first to get the `Vec<String>`, then ask it for its length.
    load_tags(line).await.len()
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    /// `code` with the text of its string literals taken out, so that a string holding a call
    /// (`"spawn_local("`) does not count as one; comments stay as they are.
    fn without_string_literals(code: &str) -> String {
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
                '\'' if chars.peek() == Some(&'"') => out.extend(chars.next()),
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
            count_tags("rust, async, tokio").await,
            3,
            "\"rust, async, tokio\" holds 3 tags"
        );
        assert_eq!(count_tags("one").await, 1, "\"one\" holds a single tag");
    }

    #[tokio::test(start_paused = true)]
    async fn empty_entries_are_not_tags() {
        assert_eq!(
            count_tags("").await,
            0,
            "an empty line holds no tags: count what load_tags returns"
        );
        assert_eq!(
            count_tags("a,,b,").await,
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

        let start = Instant::now();
        let count = count_tags(line).await;
        let took = start.elapsed();
        assert_eq!(count, 3, "{line:?} holds 3 tags");
        assert!(
            took >= needed,
            "count_tags returned after {took:?}, but load_tags needs {needed:?} to load the \
             tags: await load_tags(line) and count what it returns, instead of splitting the \
             line yourself or blocking on another runtime"
        );
    }

    /// A sleep as long as load_tags' looks the same on the clock, so this test reads the source.
    #[test]
    fn count_tags_calls_load_tags() {
        let source = include_str!("method_on_future.rs");
        let code = &without_string_literals(source.split("// Tests:").next().unwrap());
        // Without comments; a helper that count_tags calls may be above or below it.
        let code: Vec<&str> = code
            .lines()
            .map(|line| line.split("//").next().unwrap())
            .collect();
        let code = code.join(" ");
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

    /// The code above the tests without comments and without `fn main` (a demo there is free).
    fn code_outside_main(source: &str) -> String {
        let code = source
            .split("// Tests:")
            .next()
            .unwrap()
            .lines()
            .map(|line| line.split("//").next().unwrap())
            .collect::<Vec<_>>()
            .join("\n");
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

    /// Tags split by hand beside a 30 ms sleep take the same time and give the same count as
    /// load_tags, so this test reads the source.
    #[test]
    fn the_line_is_split_only_by_load_tags() {
        let code = code_outside_main(include_str!("method_on_future.rs"));
        let splits = code.matches("split").count();
        assert!(
            splits <= 1,
            "the code splits the line outside load_tags too ({splits} uses of `split`): count \
             what load_tags returns instead of doing its work by hand. Await the Vec first \
             (`load_tags(line).await`), then call `.len()` on it"
        );
    }
}
