//! Code above the marker that acts apart under the tests: compiled only under `test` (or only
//! outside it), only for clippy or only in debug builds, or that asks which kind of runtime runs
//! it. The tests (or the lint) would then judge other code than the program runs.

use std::ops::Range;

use super::{Change, Token, attribute_end, code_above, defines_test, tells, tokens};

/// What a learner's code was split by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitBy {
    /// `cfg(test)`, `cfg(not(test))`, `cfg!(test)`: the test build differs from the program.
    Test,
    /// `cfg(clippy)`: clippy checks other code than the tests and the program run.
    Clippy,
    /// `cfg(debug_assertions)`: the tests build in debug, a release build runs other code.
    Build,
    /// `runtime_flavor()`, a caught `block_in_place` panic, a worker thread's name: code that
    /// can act one way on the tests' runtime, another elsewhere.
    Flavor,
    /// A thread's id, or whether output is a terminal: the tests run on threads of their own
    /// with output captured, a program on its first thread, often in a terminal.
    Place,
    /// A static that `fn main` sets and the code reads: the tests never run `main`.
    Main,
}

/// The first place in the learner's code above the marker that is split apart: a `cfg`
/// predicate naming `test`, `clippy` or `debug_assertions`, or the runtime's flavor read. The
/// learner's own tests are left out: a function that is itself a test, or a `#[cfg(test)]`
/// `mod` that neither implements anything for a type it does not define nor exports its
/// macros (`#[macro_use]`).
pub fn split_by_cfg(shipped: &str, learner: &str) -> Option<Change> {
    let code = code_above(shipped, learner)?;
    let tokens = tokens(code);
    let shipped = code_above(shipped, shipped)
        .map(super::tokens)
        .unwrap_or_default();
    let main = main_body(&tokens);
    let uses = tells::use_items(&tokens);
    // `fn main` is the program's own: asking there what the tests never run tells nothing.
    let demo = if defines_items(&tokens[main.clone()]) {
        0..0
    } else {
        main.clone()
    };
    if let Some(line) = tells::set_in_main(&tokens, &main, &shipped) {
        return Some(Change::Split {
            by: SplitBy::Main,
            line,
        });
    }
    let mut i = 0;
    while i < tokens.len() {
        if let Some(found) = cfg_macro(&tokens, i) {
            return Some(found);
        }
        let in_use = uses.iter().find(|item| item.contains(&i));
        let in_use = in_use.map(|item| &tokens[item.clone()]);
        if let Some(by) = tells::tell(&tokens, i, in_use, &shipped).filter(|_| !demo.contains(&i)) {
            let line = tokens[i].line;
            return Some(Change::Split { by, line });
        }
        if attribute_end(&tokens, i).is_none() {
            i += 1;
            continue;
        }
        // A run of attributes, all on the item that follows them.
        let run = i;
        let own = own_test_end(&tokens, run);
        while let Some(end) = attribute_end(&tokens, i) {
            let split = predicate_names(&tokens[i..=end]);
            // On a test function any cfg applies to a test only.
            if let Some((by, for_tests)) = split
                && !own.is_some_and(|(_, test_fn)| for_tests || test_fn)
            {
                let line = tokens[i].line;
                return Some(Change::Split { by, line });
            }
            i = end + 1;
        }
        // What the learner's own tests do is theirs.
        if let Some((end, _)) = own {
            i = end + 1;
        }
    }
    None
}

/// `cfg!(..)` at `i`, naming `test`, `clippy` or `debug_assertions`.
fn cfg_macro(tokens: &[Token], i: usize) -> Option<Change> {
    let texts = |k: usize| tokens.get(k).map(|t| t.text.as_str());
    if texts(i) != Some("cfg") || texts(i + 1) != Some("!") || texts(i + 2) != Some("(") {
        return None;
    }
    let close = matching(tokens, i + 2)?;
    let (by, _) = names(&tokens[i + 3..close])?;
    Some(Change::Split {
        by,
        line: tokens[i].line,
    })
}

/// For `#[cfg(P)]` or `#[cfg_attr(P, ..)]` whose predicate P names `test`, `clippy` or
/// `debug_assertions`: which one, and whether `test` is under a `not(..)`. A `cfg_attr` that
/// adds only inert attributes splits nothing, unless it is for clippy.
fn predicate_names(attribute: &[Token]) -> Option<(SplitBy, bool)> {
    let open = 1 + usize::from(attribute.get(1)?.text == "!");
    let name = attribute.get(open + 1)?.text.as_str();
    if !matches!(name, "cfg" | "cfg_attr") || attribute.get(open + 2)?.text != "(" {
        return None;
    }
    let close = matching(attribute, open + 2)?;
    let predicate = &attribute[open + 3..close];
    if name == "cfg_attr" {
        let mut depth = 0i32;
        let comma = predicate.iter().position(|t| {
            depth += i32::from(t.text == "(") - i32::from(t.text == ")");
            depth == 0 && t.text == ","
        });
        let comma = comma?;
        let named = names(&predicate[..comma]);
        if named.is_some_and(|(by, _)| by != SplitBy::Clippy) && inert(&predicate[comma + 1..]) {
            return None;
        }
        return named;
    }
    names(predicate)
}

/// Whether the attributes a `cfg_attr` adds leave what the code does alone: rustc's lint levels
/// (a `clippy::` lint would change what clippy checks), docs and `must_use`. Not a derive:
/// autoref dispatch can pick another method when a type is `Debug`, with no error in either
/// build.
fn inert(attributes: &[Token]) -> bool {
    let mut depth = 0i32;
    attributes
        .split(|t| {
            depth += i32::from(t.text == "(") - i32::from(t.text == ")");
            depth == 0 && t.text == ","
        })
        .filter(|attribute| !attribute.is_empty())
        .all(|attribute| {
            let texts: Vec<&str> = attribute.iter().map(|t| t.text.as_str()).collect();
            match texts.as_slice() {
                [
                    "allow" | "warn" | "expect" | "deny" | "forbid",
                    "(",
                    ..,
                    ")",
                ] => !texts.contains(&"clippy"),
                ["must_use"] | ["doc", ..] => true,
                _ => false,
            }
        })
}

/// Which of `test`, `clippy` and `debug_assertions` a predicate names (clippy first, then
/// the build), and whether it names `test` other than under a `not(..)`, so that what it
/// applies to is built for the tests only.
fn names(predicate: &[Token]) -> Option<(SplitBy, bool)> {
    let named = |name: &str| predicate.iter().any(|t| t.text == name);
    let at = predicate.iter().position(|t| t.text == "test");
    let negated = |at: usize| {
        (0..predicate.len()).any(|k| {
            predicate[k].text == "not"
                && predicate.get(k + 1).is_some_and(|t| t.text == "(")
                && matching(predicate, k + 1).is_some_and(|close| k < at && at < close)
        })
    };
    let for_tests = at.is_some_and(|at| !negated(at));
    let by = if named("clippy") {
        SplitBy::Clippy
    } else if named("debug_assertions") {
        SplitBy::Build
    } else {
        at?;
        SplitBy::Test
    };
    Some((by, for_tests))
}

/// Where the item the attribute at `i` belongs to ends, and whether it is a function, if it is
/// one of the learner's own tests: a function with a test attribute, or a `mod` of tests, that
/// no code outside uses.
fn own_test_end(tokens: &[Token], i: usize) -> Option<(usize, bool)> {
    let mut k = i;
    let (mut test_fn, mut macro_use) = (false, false);
    while let Some(end) = attribute_end(tokens, k) {
        let attribute = &tokens[k..=end];
        test_fn |= defines_test(attribute);
        macro_use |= attribute.iter().any(|t| t.text == "macro_use");
        k = end + 1;
    }
    while tokens
        .get(k)
        .is_some_and(|t| matches!(t.text.as_str(), "pub" | "async" | "unsafe"))
    {
        k += 1;
        if tokens.get(k).is_some_and(|t| t.text == "(") {
            k = matching(tokens, k).map_or(tokens.len(), |close| close + 1);
        }
    }
    let item = tokens.get(k)?.text.as_str();
    let name = tokens.get(k + 1)?.text.as_str();
    if !(item == "fn" && test_fn || item == "mod" && !macro_use) {
        return None;
    }
    let open = (k..tokens.len()).find(|&j| matches!(tokens[j].text.as_str(), "{" | ";"))?;
    if tokens[open].text == ";" {
        return None;
    }
    let close = matching(tokens, open).unwrap_or(tokens.len() - 1);
    let outside = [&tokens[..i], &tokens[close + 1..]];
    let used = outside
        .iter()
        .any(|part| used_outside(part, name, item == "fn"));
    let plain = item == "fn" || !implements_outside(&tokens[open + 1..close]);
    (plain && !used).then_some((close, item == "fn"))
}

/// Whether code outside the learner's test item uses it, and so what is built for the tests
/// only: a module as a path (`canned::SETTINGS`, `use self::canned;`), a function called by
/// name (`probe()`, not a method `.probe()` nor another type's `X::probe()`).
fn used_outside(code: &[Token], name: &str, function: bool) -> bool {
    let text = |k: usize| code.get(k).map_or("", |t| t.text.as_str());
    (0..code.len()).any(|k| {
        let after_path = k >= 2 && text(k - 1) == ":" && text(k - 2) == ":";
        code[k].text == name
            && if function {
                text(k + 1) == "(" && !after_path && (k == 0 || text(k - 1) != ".")
            } else {
                (text(k + 1) == ":" && text(k + 2) == ":")
                    || (after_path && matches!(text(k + 1), "as" | ";" | "," | "}"))
            }
    })
}

/// Whether a module's body implements something for a type the body does not define (inherent
/// methods added for the tests only), or exports macros. A trait the body defines may be
/// implemented for any type: only code that names the module can call it. A `type` alias
/// defines no type of its own (`type P = super::Policy;` names the outside one).
fn implements_outside(body: &[Token]) -> bool {
    let defined_after = |keywords: &[&str]| -> Vec<&str> {
        (1..body.len())
            .filter(|&k| keywords.contains(&body[k - 1].text.as_str()))
            .map(|k| body[k].text.as_str())
            .collect()
    };
    let defined = defined_after(&["struct", "enum", "union"]);
    let traits = defined_after(&["trait"]);
    (0..body.len()).any(|k| match body[k].text.as_str() {
        "macro_use" | "macro_export" => true,
        // An `impl` block, not an `impl Trait` type (`-> impl Future`, `x: impl Into<u32>`).
        "impl"
            if k == 0 || matches!(body[k - 1].text.as_str(), "{" | "}" | ";" | "]" | "unsafe") =>
        {
            let (of_trait, for_type) = impl_names(&body[k + 1..]);
            of_trait.is_none_or(|name| !traits.contains(&name))
                && for_type.is_none_or(|name| !defined.contains(&name))
        }
        _ => false,
    })
}

/// The trait an `impl` (tokens after the keyword) implements, if any, and the last name in
/// the path of the type it is for.
fn impl_names(tokens: &[Token]) -> (Option<&str>, Option<&str>) {
    let mut depth = 0i32;
    let mut path_start = 0;
    let mut of_trait = None;
    for (k, token) in tokens.iter().enumerate() {
        match token.text.as_str() {
            "<" => depth += 1,
            ">" => depth -= 1,
            "for" if depth == 0 => {
                of_trait = last_name(&tokens[..k]);
                path_start = k + 1;
            }
            "{" | "where" if depth == 0 => return (of_trait, last_name(&tokens[path_start..k])),
            _ => {}
        }
    }
    (of_trait, None)
}

/// The last name at the outer level of a path with generics (`a::B<C>` gives `B`).
fn last_name(path: &[Token]) -> Option<&str> {
    path.iter()
        .rev()
        .scan(0i32, |d, t| {
            *d += i32::from(t.text == ">") - i32::from(t.text == "<");
            Some((*d, t))
        })
        .find(|(d, t)| *d == 0 && t.text.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .map(|(_, t)| t.text.as_str())
}

/// The index of the bracket that closes the one at `open`.
fn matching(tokens: &[Token], open: usize) -> Option<usize> {
    let (opening, closing) = match tokens.get(open)?.text.as_str() {
        "(" => ("(", ")"),
        "[" => ("[", "]"),
        "{" => ("{", "}"),
        _ => return None,
    };
    let mut depth = 0usize;
    for (k, token) in tokens.iter().enumerate().skip(open) {
        if token.text == opening {
            depth += 1;
        } else if token.text == closing {
            depth -= 1;
            if depth == 0 {
                return Some(k);
            }
        }
    }
    None
}

/// The tokens of the program's `fn main`'s body (at the top level, not a module's `main`),
/// which only the program runs.
fn main_body(tokens: &[Token]) -> Range<usize> {
    let mut depth = 0i32;
    let start = (0..tokens.len()).find(|&k| {
        depth += i32::from(tokens[k].text == "{") - i32::from(tokens[k].text == "}");
        depth == 0 && k > 0 && tokens[k - 1].text == "fn" && tokens[k].text == "main"
    });
    let open = start.and_then(|k| (k..tokens.len()).find(|&j| tokens[j].text == "{"));
    open.and_then(|open| Some(open..matching(tokens, open)?))
        .unwrap_or(0..0)
}

/// Whether the tokens define items of their own: an `impl` in `main` could serve the code.
fn defines_items(tokens: &[Token]) -> bool {
    tokens.iter().any(|t| {
        matches!(
            t.text.as_str(),
            "impl" | "fn" | "mod" | "trait" | "macro_rules"
        )
    })
}
