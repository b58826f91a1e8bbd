//! What the code's items say of themselves, read from its tokens: which type or trait a fn
//! belongs to, which of its variables hold the code's own types, which of its fns call what
//! they are given.

use super::super::Token;
use super::super::scope::{close_of, enclosing};

/// The keywords of an item's header that name nothing of the code's own.
const KEYWORDS: &[&str] = &[
    "impl", "for", "where", "unsafe", "pub", "dyn", "trait", "mod", "crate", "super", "in",
    "default", "const", "auto",
];

pub(super) fn text(tokens: &[Token], k: usize) -> &str {
    tokens.get(k).map_or("", |t| t.text.as_str())
}

fn is_ident(word: &str) -> bool {
    word.starts_with(|c: char| c.is_alphabetic() || c == '_') && !KEYWORDS.contains(&word)
}

/// The header of the item whose body the brace at `open` opens, if it is an `impl`, `trait`
/// or `mod` block: its words (`impl Pace for Job` gives `Pace`, `Job`), and whether it is a
/// module (whose fns are free ones).
fn block_header(tokens: &[Token], open: usize) -> Option<(Vec<&str>, bool)> {
    let start = (0..open)
        .rev()
        .find(|&k| matches!(text(tokens, k), ";" | "{" | "}"))
        .map_or(0, |k| k + 1);
    let words: Vec<&str> = (start..open).map(|k| text(tokens, k)).collect();
    let kind = words
        .iter()
        .position(|w| matches!(*w, "impl" | "trait" | "mod"))?;
    // Only at the item's start: `pub`, `unsafe`, attributes before it (`impl` in a fn's
    // argument, `fn f(x: impl Trait) {`, is no block).
    if words[..kind].iter().any(|w| *w == "fn" || *w == "(") {
        return None;
    }
    let names = words[kind..]
        .iter()
        .copied()
        .filter(|w| is_ident(w))
        .collect();
    Some((names, words[kind] == "mod"))
}

/// Whether the brace at `open` opens a fn's body.
fn is_fn_body(tokens: &[Token], open: usize) -> bool {
    (0..open)
        .rev()
        .take_while(|&k| !matches!(text(tokens, k), ";" | "{" | "}"))
        .any(|k| text(tokens, k) == "fn")
}

/// The types and traits a fn (its name at `name`) belongs to: the words of the innermost
/// `impl` or `trait` block around it; none for a free fn (top level, in a `mod` or a fn body).
pub(super) fn owners_of(tokens: &[Token], name: usize) -> Vec<&str> {
    for open in enclosing(tokens, name).into_iter().rev() {
        if text(tokens, open) != "{" {
            continue;
        }
        match block_header(tokens, open) {
            Some((_, true)) => return Vec::new(),
            Some((names, false)) => return names,
            // A fn's body: a fn in it is a free one.
            None if is_fn_body(tokens, open) => return Vec::new(),
            None => {}
        }
    }
    Vec::new()
}

/// Every `impl` block's header words (`impl Pace for Job`: `Pace`, `Job`), to give a trait's
/// default method the types that implement the trait.
pub(super) fn impl_headers(tokens: &[Token]) -> Vec<Vec<&str>> {
    (0..tokens.len())
        .filter(|&k| text(tokens, k) == "{")
        .filter_map(|k| block_header(tokens, k))
        .filter(|(_, module)| !module)
        .map(|(names, _)| names)
        .collect()
}

/// The code's names for its own items that a path may start with (`Job::nap`, `pace::nap`).
pub(super) fn own_names(tokens: &[Token]) -> Vec<&str> {
    (0..tokens.len())
        .filter(|&k| {
            matches!(
                text(tokens, k),
                "struct" | "enum" | "union" | "trait" | "mod"
            )
        })
        .map(|k| text(tokens, k + 1))
        .collect()
}

/// Pointers whose methods are those of what they point to.
const POINTERS: &[&str] = &["Arc", "Rc", "Box", "Pin", "Some", "Ok", "Self"];

/// The variables (and parameters, fields) whose type is known by name, with it: `p: &Pacer`,
/// `m: Arc<Mutex<u8>>` (`Mutex`: a pointer's methods are its target's), `let p = Pacer;`,
/// `let p = Pacer::new();`.
pub(super) fn typed_vars(tokens: &[Token]) -> Vec<(&str, &str)> {
    let mut vars = Vec::new();
    for k in 1..tokens.len() {
        let (name, sign) = (text(tokens, k - 1), text(tokens, k));
        let typed = match sign {
            ":" => text(tokens, k + 1) != ":" && text(tokens, k.wrapping_sub(2)) != ":",
            "=" => matches!(text(tokens, k.wrapping_sub(2)), "let" | "mut"),
            _ => false,
        };
        if !typed || !is_ident(name) {
            continue;
        }
        // The first type's name in what follows, up to the end of the type or of the value's
        // first step.
        let mut depth = 0i32;
        for q in k + 1..tokens.len() {
            let word = text(tokens, q);
            match word {
                "<" | "(" => depth += 1,
                ">" | ")" if depth > 0 => depth -= 1,
                "," | ")" | ";" | "=" | "{" | "." if depth == 0 => break,
                _ if word.starts_with(char::is_uppercase) && !POINTERS.contains(&word) => {
                    vars.push((name, word));
                    break;
                }
                _ => {}
            }
        }
    }
    vars
}

/// The index of the `(` that opens the parameters of the fn whose name is at `name`, past its
/// generics (`fn timed<F: Fn() -> u32>(job: F)`).
pub(super) fn params_open(tokens: &[Token], name: usize) -> Option<usize> {
    let mut angle = 0i32;
    for k in name + 1..tokens.len() {
        match text(tokens, k) {
            "<" => angle += 1,
            ">" if text(tokens, k - 1) != "-" => angle -= 1,
            "(" if angle == 0 => return Some(k),
            _ if angle == 0 => return None,
            _ => {}
        }
    }
    None
}

/// Whether the fn whose name is at `name` takes `self` (`fn pace(&self)`, `fn pace(mut self)`).
pub(super) fn takes_self(tokens: &[Token], name: usize) -> bool {
    let Some(open) = params_open(tokens, name) else {
        return false;
    };
    tokens[open + 1..]
        .iter()
        .take_while(|t| !matches!(t.text.as_str(), "," | ")" | ":"))
        .any(|t| t.text == "self")
}

/// The variable a closure is put in (`let rest = || ..;`, `let mut rest = move || ..;`), from
/// the index of its head's first `|`, with the tokens where it is seen: from its head to the end
/// of the block it is in; anywhere for a `static` or `const` (`static REST: fn() = || ..;`).
pub(super) fn bound_to(tokens: &[Token], head: usize) -> Option<(&str, usize, usize)> {
    let before = |k: usize| head.checked_sub(k).map_or("", |j| text(tokens, j));
    let at = if before(1) == "move" { 2 } else { 1 };
    if before(at) != "=" {
        return None;
    }
    if let Some(name) = item_named(tokens, head - at) {
        return Some((name, 0, tokens.len()));
    }
    let name = before(at + 1);
    if !matches!(before(at + 2), "let" | "mut") {
        return None;
    }
    let block = enclosing(tokens, head)
        .into_iter()
        .rev()
        .find(|&open| text(tokens, open) == "{");
    Some((
        name,
        head,
        block.map_or(tokens.len(), |open| close_of(tokens, open)),
    ))
}

/// The name of the `static` or `const` item whose `=` is at `assign`, if it is one.
fn item_named(tokens: &[Token], assign: usize) -> Option<&str> {
    let start = (0..assign)
        .rev()
        .find(|&k| matches!(text(tokens, k), ";" | "{" | "}"))
        .map_or(0, |k| k + 1);
    let keyword = (start..assign).find(|&k| matches!(text(tokens, k), "static" | "const"))?;
    let name = if text(tokens, keyword + 1) == "mut" {
        keyword + 2
    } else {
        keyword + 1
    };
    (text(tokens, name + 1) == ":").then(|| text(tokens, name))
}

/// The arguments of the call whose list opens at `open`: each one's first and last token.
pub(super) fn arguments(tokens: &[Token], open: usize) -> Vec<(usize, usize)> {
    let close = close_of(tokens, open);
    let mut args = Vec::new();
    let (mut start, mut depth) = (open + 1, 0i32);
    for k in open + 1..close {
        match text(tokens, k) {
            "(" | "[" | "{" => depth += 1,
            ")" | "]" | "}" => depth -= 1,
            "," if depth == 0 => {
                args.push((start, k));
                start = k + 1;
            }
            _ => {}
        }
    }
    if start < close {
        args.push((start, close));
    }
    args
}

/// The positions of the parameters that the fn whose name is at `name` calls in its own body
/// (`fn twice(f: fn()) { f(); f() }` gives 0), with `runs_here` telling whether a token of the
/// body runs in the fn itself (not in a closure it hands on).
pub(super) fn called_params(
    tokens: &[Token],
    name: usize,
    runs_here: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let Some(open) = params_open(tokens, name) else {
        return Vec::new();
    };
    let params: Vec<&str> = arguments(tokens, open)
        .into_iter()
        .filter(|&(first, _)| text(tokens, first) != "&" && text(tokens, first) != "self")
        .map(|(first, _)| match text(tokens, first) {
            "mut" => text(tokens, first + 1),
            word => word,
        })
        .collect();
    let body_from = close_of(tokens, open);
    let Some(body) = (body_from..tokens.len()).find(|&k| matches!(text(tokens, k), "{" | ";"))
    else {
        return Vec::new();
    };
    if text(tokens, body) != "{" {
        return Vec::new();
    }
    let end = close_of(tokens, body);
    params
        .iter()
        .enumerate()
        .filter(|&(_, param)| {
            (body..end)
                .any(|q| text(tokens, q) == *param && text(tokens, q + 1) == "(" && runs_here(q))
        })
        .map(|(position, _)| position)
        .collect()
}

/// The `macro_rules!` macro whose definition the token at `at` is in: `nap` for a token in
/// `macro_rules! nap { () => { .. } }`.
pub(super) fn macro_around(tokens: &[Token], at: usize) -> Option<&str> {
    enclosing(tokens, at).into_iter().find_map(|open| {
        let before = |k: usize| open.checked_sub(k).map_or("", |j| text(tokens, j));
        (before(2) == "!" && before(3) == "macro_rules").then(|| before(1))
    })
}
