//! What the code's `use` declarations bring in, and under which names: `use std::thread as th;`
//! gives `std::thread` named `th`, `use std::sync::{Arc, mpsc::{self, channel}};` gives
//! `std::sync::Arc`, `std::sync::mpsc` and `std::sync::mpsc::channel`.

use super::Token;
use super::scope::{close_of, enclosing};

/// One name a `use` declaration brings in: the whole path, the name the code calls it by, and
/// the tokens where the declaration is seen (`from..until`: the block it is in, or the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Import<'a> {
    pub(super) path: Vec<&'a str>,
    pub(super) name: &'a str,
    pub(super) from: usize,
    pub(super) until: usize,
}

/// Every name the code's `use` declarations bring in (a glob import as the name `*`).
pub(super) fn imports(tokens: &[Token]) -> Vec<Import<'_>> {
    let mut found = Vec::new();
    for (k, token) in tokens.iter().enumerate() {
        if token.text == "use" {
            let start = if text(tokens, k + 1) == ":" {
                k + 3
            } else {
                k + 1
            };
            let first = found.len();
            use_tree(tokens, start, &mut Vec::new(), &mut found);
            let block = enclosing(tokens, k)
                .into_iter()
                .rev()
                .find(|&open| text(tokens, open) == "{");
            let (from, until) =
                block.map_or((0, tokens.len()), |open| (open, close_of(tokens, open)));
            for import in &mut found[first..] {
                (import.from, import.until) = (from, until);
            }
        }
    }
    found
}

/// The import that gives `name` its meaning at the token `at`: the innermost one seen there.
pub(super) fn import_at<'i, 'a>(
    imports: &'i [Import<'a>],
    name: &str,
    at: usize,
) -> Option<&'i Import<'a>> {
    imports
        .iter()
        .filter(|import| import.name == name && import.from <= at && at < import.until)
        .max_by_key(|import| import.from)
}

/// Whether `name`, seen at the token `at`, is the item at `path`: imported by that name, or
/// (with no import of that name there) by a glob of its module (`use std::thread::*;`).
pub(super) fn names_item(imports: &[Import], name: &str, at: usize, path: &[&str]) -> bool {
    match import_at(imports, name, at) {
        Some(import) => import.path == path,
        None => path.split_last().is_some_and(|(last, module)| {
            *last == name
                && imports.iter().any(|import| {
                    import.name == "*"
                        && import.path == module
                        && import.from <= at
                        && at < import.until
                })
        }),
    }
}

fn text(tokens: &[Token], k: usize) -> &str {
    tokens.get(k).map_or("", |t| t.text.as_str())
}

/// Reads the use tree that starts at `at` under `prefix`, adding the names it brings in;
/// returns the index just past it.
fn use_tree<'a>(
    tokens: &'a [Token],
    mut at: usize,
    prefix: &mut Vec<&'a str>,
    found: &mut Vec<Import<'a>>,
) -> usize {
    let base = prefix.len();
    while at < tokens.len() {
        let word = text(tokens, at);
        match word {
            "{" => {
                at = use_group(tokens, at + 1, prefix, found);
                break;
            }
            "*" => {
                found.push(Import {
                    path: prefix.clone(),
                    name: "*",
                    from: 0,
                    until: usize::MAX,
                });
                at += 1;
                break;
            }
            _ if !word.starts_with(|c: char| c.is_alphanumeric() || c == '_') => break,
            _ if text(tokens, at + 1) == ":" && text(tokens, at + 2) == ":" => {
                prefix.push(word);
                at += 3;
            }
            _ => {
                let renamed = text(tokens, at + 1) == "as";
                let mut path = prefix.clone();
                let name = match (word, renamed) {
                    (_, true) => text(tokens, at + 2),
                    // `mpsc::{self, channel}`: `self` is the module itself.
                    ("self", false) => prefix.last().copied().unwrap_or("self"),
                    _ => word,
                };
                if word != "self" {
                    path.push(word);
                }
                found.push(Import {
                    path,
                    name,
                    from: 0,
                    until: usize::MAX,
                });
                at += if renamed { 3 } else { 1 };
                break;
            }
        }
    }
    prefix.truncate(base);
    at
}

/// Reads the trees of a `{ .. }` group whose first one starts at `at`; returns the index just
/// past its `}`.
fn use_group<'a>(
    tokens: &'a [Token],
    mut at: usize,
    prefix: &mut Vec<&'a str>,
    found: &mut Vec<Import<'a>>,
) -> usize {
    while at < tokens.len() {
        match text(tokens, at) {
            "}" => return at + 1,
            ";" => return at,
            "," => at += 1,
            _ => {
                let next = use_tree(tokens, at, prefix, found);
                // Something this reader does not know: skip it rather than loop.
                at = next.max(at + 1);
            }
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::super::tokens;
    use super::*;

    fn read(code: &str) -> Vec<(String, String)> {
        let tokens = tokens(code);
        imports(&tokens)
            .into_iter()
            .map(|i| (i.path.join("::"), i.name.to_owned()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(p, n)| ((*p).to_owned(), (*n).to_owned()))
            .collect()
    }

    #[test]
    fn plain_renamed_and_nested_imports_are_read_with_their_names() {
        let code = "use std::thread as th;\nuse std::sync::{Arc, mpsc::{self, channel as ch}};\n\
                    pub use ::tokio::time::sleep;\nuse std::io::*;\nfn main() { use std::thread::park; }";
        assert_eq!(
            read(code),
            pairs(&[
                ("std::thread", "th"),
                ("std::sync::Arc", "Arc"),
                ("std::sync::mpsc", "mpsc"),
                ("std::sync::mpsc::channel", "ch"),
                ("tokio::time::sleep", "sleep"),
                ("std::io", "*"),
                ("std::thread::park", "park"),
            ])
        );
    }

    #[test]
    fn a_broken_use_ends_without_looping() {
        assert_eq!(
            read("use std::{thread, ;"),
            pairs(&[("std::thread", "thread")])
        );
        assert_eq!(read("use"), pairs(&[]));
        assert_eq!(read("use std::sync::{"), pairs(&[]));
    }

    #[test]
    fn a_name_means_what_the_innermost_use_seen_there_brings_in() {
        let code = "use tokio::time::sleep;\nfn main() {\n    use std::thread::sleep;\n    \
                    sleep(D);\n}\nasync fn work() {\n    sleep(D).await;\n}\n";
        let tokens = tokens(code);
        let found = imports(&tokens);
        let path_at = |line: usize| {
            let at = tokens.iter().position(|t| t.line == line).unwrap();
            import_at(&found, "sleep", at).map(|import| import.path.join("::"))
        };
        assert_eq!(path_at(4).as_deref(), Some("std::thread::sleep"));
        assert_eq!(path_at(7).as_deref(), Some("tokio::time::sleep"));
        assert_eq!(import_at(&found, "thread", 0), None);
    }
}
