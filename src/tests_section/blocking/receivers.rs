//! Where the code holds a std `mpsc` receiver (or a fn pointer to std's sleep): the variables
//! it binds one to (or hands one on to), each seen from its `let` to the end of its block or the
//! next `let` of the same name, parameters in their fn, a struct's fields in its `impl` blocks.

use super::super::Token;
use super::super::scope::{close_of, enclosing};
use super::std_calls::{MPSC, StdCalls};

/// A name that holds a std handle, and the tokens where it is seen (`from..until`); a field is
/// seen only after a `.`, anything else never after one.
pub(super) struct Binding<'a> {
    name: &'a str,
    from: usize,
    until: usize,
    field: bool,
}

impl Binding<'_> {
    /// Whether the token at `i` is this name, seen there.
    pub(super) fn sees(&self, tokens: &[Token], i: usize) -> bool {
        let dotted = i.checked_sub(1).is_some_and(|k| tokens[k].text == ".");
        tokens.get(i).is_some_and(|t| t.text == self.name)
            && self.from < i
            && i < self.until
            && dotted == self.field
    }
}

fn text(tokens: &[Token], k: usize) -> &str {
    tokens.get(k).map_or("", |t| t.text.as_str())
}

/// The innermost block around `at`: its `{` and `}` (the whole file at the top level).
fn block_of(tokens: &[Token], at: usize) -> (usize, usize) {
    let open = enclosing(tokens, at)
        .into_iter()
        .rev()
        .find(|&open| text(tokens, open) == "{");
    open.map_or((0, tokens.len()), |open| (open, close_of(tokens, open)))
}

/// A name bound by the `let` (or `static`, `const`) at `at`: a variable from there to the end
/// of its block or to the next `let` of the same name; an item anywhere in its block.
pub(super) fn let_binding<'a>(tokens: &[Token], name: &'a str, at: usize) -> Binding<'a> {
    let (open, close) = block_of(tokens, at);
    if text(tokens, at) != "let" {
        return Binding {
            name,
            from: open,
            until: close,
            field: false,
        };
    }
    // Past its own pattern: the next `let` of the name after this one's `=`.
    let value = (at..close).find(|&k| text(tokens, k) == "=").unwrap_or(at);
    let shadowed = (value..close).find(|&k| {
        text(tokens, k) == name
            && matches!(text(tokens, k - 1), "let" | "mut")
            && text(tokens, k.saturating_sub(2)) != "&"
    });
    Binding {
        name,
        from: at,
        until: shadowed.unwrap_or(close),
        field: false,
    }
}

/// The names that hold a std `mpsc` receiver: the second of a `let (tx, rx) =
/// mpsc::channel()` pattern, and a parameter, field or variable typed std's `Receiver<..>`.
pub(super) fn find<'a>(calls: &StdCalls<'a>, tokens: &'a [Token]) -> Vec<Binding<'a>> {
    let mut bindings = Vec::new();
    for k in 0..tokens.len() {
        if text(tokens, k) == "let" && text(tokens, k + 1) == "(" {
            let close = close_of(tokens, k + 1);
            if let Some(name) = pattern_last(tokens, k + 2, close)
                && value_call(tokens, close).is_some_and(|f| is_channel(calls, f))
            {
                bindings.push(let_binding(tokens, name, k));
            }
        }
        if text(tokens, k) == "Receiver"
            && text(tokens, k + 1) == "<"
            && let Some(var) = typed_var(tokens, k).filter(|_| calls.receiver_type(k))
        {
            bindings.extend(typed_bindings(tokens, var));
        }
    }
    // A receiver handed on to another name: `let licence = rx;`.
    for k in 0..tokens.len() {
        let name = if text(tokens, k + 1) == "mut" {
            k + 2
        } else {
            k + 1
        };
        let value = name + 2;
        if text(tokens, k) == "let"
            && text(tokens, name + 1) == "="
            && text(tokens, value + 1) == ";"
            && bindings.iter().any(|b| b.sees(tokens, value))
        {
            bindings.push(let_binding(tokens, text(tokens, name), k));
        }
    }
    bindings
}

/// Whether the fn named at `f` is std's `mpsc::channel` or `sync_channel`, there.
fn is_channel(calls: &StdCalls, f: usize) -> bool {
    let name = calls.text(f);
    let by_path = matches!(name, "channel" | "sync_channel")
        && calls.before(f) == ":"
        && f >= 3
        && calls.module_at(f - 3, MPSC);
    by_path
        || calls.imported(f, &[MPSC, &["channel"]].concat())
        || calls.imported(f, &[MPSC, &["sync_channel"]].concat())
}

/// Where the variable typed at `var` is seen: a parameter in its fn, a `let` in its block, a
/// struct's field after a `.` in the `impl` blocks of its struct.
fn typed_bindings<'a>(tokens: &'a [Token], var: usize) -> Vec<Binding<'a>> {
    let name = text(tokens, var);
    let around = enclosing(tokens, var).last().copied();
    match around.map(|open| (open, text(tokens, open))) {
        Some((open, "(")) => {
            let params = close_of(tokens, open);
            let body = (params..tokens.len()).find(|&q| matches!(text(tokens, q), "{" | ";"));
            let until = body
                .filter(|&b| text(tokens, b) == "{")
                .map_or(params, |b| close_of(tokens, b));
            vec![Binding {
                name,
                from: var,
                until,
                field: false,
            }]
        }
        _ if text(tokens, var.saturating_sub(1)) == "let" => {
            vec![let_binding(tokens, name, var - 1)]
        }
        _ if text(tokens, var.saturating_sub(1)) == "mut" => {
            vec![let_binding(tokens, name, var.saturating_sub(2))]
        }
        Some((open, "{")) if text(tokens, open.saturating_sub(2)) == "struct" => {
            impl_blocks(tokens, text(tokens, open - 1))
                .into_iter()
                .map(|(from, until)| Binding {
                    name,
                    from,
                    until,
                    field: true,
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

/// The `impl` blocks of the type named `ty` (`impl Reporter {`, `impl Drop for Reporter {`):
/// each one's `{` and `}`.
fn impl_blocks(tokens: &[Token], ty: &str) -> Vec<(usize, usize)> {
    (0..tokens.len())
        .filter(|&k| text(tokens, k) == "impl")
        .filter_map(|k| {
            let open = (k..tokens.len()).find(|&q| matches!(text(tokens, q), "{" | ";"))?;
            let header: Vec<&str> = (k + 1..open).map(|q| text(tokens, q)).collect();
            let target = match header.iter().position(|w| *w == "for") {
                Some(at) => header.get(at + 1).copied(),
                None => header
                    .iter()
                    .copied()
                    .find(|w| *w != "<" && !w.starts_with('\'')),
            };
            (text(tokens, open) == "{" && target == Some(ty))
                .then(|| (open, close_of(tokens, open)))
        })
        .collect()
}

/// The last name a tuple pattern between `from` and `close` binds (`(tx, mut rx)` gives `rx`).
fn pattern_last(tokens: &[Token], from: usize, close: usize) -> Option<&str> {
    (from..close)
        .rev()
        .map(|q| text(tokens, q))
        .find(|w| *w != "mut" && *w != ",")
        .filter(|w| *w != "_" && w.starts_with(|c: char| c.is_alphabetic() || c == '_'))
}

/// The fn called first in the value of a `let` whose pattern ends at `end`: the index of its
/// name (`channel` in `= mpsc::channel::<u8>()`), past a type annotation.
fn value_call(tokens: &[Token], end: usize) -> Option<usize> {
    let assign = (end..tokens.len()).find(|&q| matches!(text(tokens, q), "=" | ";"))?;
    if text(tokens, assign) != "=" {
        return None;
    }
    // The first `(` outside a turbofish's `<..>` (`channel::<()>()`).
    let mut angle = 0i32;
    let open = (assign + 1..tokens.len()).find(|&q| {
        match text(tokens, q) {
            "<" => angle += 1,
            ">" => angle -= 1,
            _ => {}
        }
        angle == 0 && matches!(text(tokens, q), "(" | ";" | "{" | "|")
    })?;
    if text(tokens, open) != "(" {
        return None;
    }
    // Past a turbofish: `channel::<Option<u8>>(`.
    let mut name = open - 1;
    if text(tokens, name) == ">" {
        let mut depth = 0i32;
        let first = (assign..=name).rev().find(|&q| {
            match text(tokens, q) {
                ">" => depth += 1,
                "<" => depth -= 1,
                _ => {}
            }
            depth == 0
        })?;
        name = first.checked_sub(3)?;
    }
    Some(name)
}

/// The variable whose type is spelled from its `:` up to the type's name at `k`
/// (`rx: &mut std::sync::mpsc::Receiver<u8>`).
fn typed_var(tokens: &[Token], k: usize) -> Option<usize> {
    let mut q = k;
    while q > 0 {
        q -= 1;
        let word = text(tokens, q);
        match word {
            ":" if text(tokens, q + 1) == ":" || text(tokens, q.wrapping_sub(1)) == ":" => {}
            ":" => {
                let var = q.checked_sub(1)?;
                return text(tokens, var)
                    .starts_with(|c: char| c.is_alphabetic() || c == '_')
                    .then_some(var);
            }
            "&" | "mut" => {}
            _ if word.starts_with('\'') || word.starts_with(|c: char| c.is_alphanumeric()) => {}
            _ => return None,
        }
    }
    None
}
