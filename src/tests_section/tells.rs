//! Run-time tells: code above the marker that asks where or on what it runs, which differs
//! between the tests (each on a thread of its own, output captured, a current-thread runtime,
//! in-memory streams) and the program `cargo run` starts (its first thread, a terminal, a
//! multi-thread runtime, sockets).

use std::ops::Range;

use super::{SplitBy, Token, thread_name};

/// Names that ask which kind of runtime runs the code. `block_in_place` panics on a
/// current-thread runtime, the tests' kind, so a fix that passes with it never ran it there.
const FLAVOR_WORDS: [&str; 3] = ["runtime_flavor", "RuntimeFlavor", "block_in_place"];

/// Names that ask how the program was started, which thread runs the code, where its output
/// goes or what type it was given. (`env::args` and `RUST_TEST_*` variables are asked too.)
const PLACE_WORDS: [&str; 8] = [
    "current_exe",
    "ThreadId",
    "is_terminal",
    "IsTerminal",
    "type_name",
    "type_name_of_val",
    "TypeId",
    "size_of_val",
];

/// Types whose size a frame's header may be read by: `size_of::<u32>()` asks nothing.
const PLAIN_TYPES: [&str; 12] = [
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
];

/// Text that names a kind of runtime: Tokio's worker threads' names (only a multi-thread runtime
/// has them) and a `Handle`'s debug output.
const FLAVOR_TEXTS: [&str; 2] = ["tokio-runtime-worker", "CurrentThread"];

/// Tokio's metrics of one worker (`RuntimeMetrics`), which take the worker's index.
const WORKER_METRICS: [&str; 12] = [
    "worker_local_queue_depth",
    "worker_local_schedule_count",
    "worker_mean_poll_time",
    "worker_noop_count",
    "worker_overflow_count",
    "worker_park_count",
    "worker_park_unpark_count",
    "worker_poll_count",
    "worker_steal_count",
    "worker_steal_operations",
    "worker_thread_id",
    "worker_total_busy_duration",
];

/// Text that names where the program's file is, as `current_exe` would.
const EXE_TEXTS: [&str; 2] = ["RUST_TEST", "/proc/self"];

/// What the token at `i` tells apart, if anything, unless the shipped code says it too. In a
/// `use` item (`in_use`) a name asks nothing until it is used, where the rules see it again,
/// unless the item renames it (`as F`), or brings in `env`'s arguments.
pub fn tell(
    tokens: &[Token],
    i: usize,
    in_use: Option<&[Token]>,
    shipped: &[Token],
) -> Option<SplitBy> {
    let text = tokens[i].text.as_str();
    let texts = |k: usize| tokens.get(i + k).map(|t| t.text.as_str());
    // A thread's name compared (with a worker's: the runtime's flavor), unless the shipped
    // code compares one too.
    if thread_name::compared(tokens, i) {
        let theirs = (0..shipped.len()).any(|k| thread_name::compared(shipped, k));
        let statement = tokens[i..]
            .iter()
            .take_while(|t| !matches!(t.text.as_str(), ";" | "}"));
        let worker = statement
            .filter(|t| t.text.starts_with('"'))
            .any(|t| FLAVOR_TEXTS.iter().any(|name| t.text.contains(name)));
        let by = if worker {
            SplitBy::Flavor
        } else {
            SplitBy::Place
        };
        return (!theirs).then_some(by);
    }
    // A method call: `.name(`, not a range's `..name`.
    let method =
        i > 1 && tokens[i - 1].text == "." && tokens[i - 2].text != "." && texts(1) == Some("(");
    // A runtime's worker count, or a worker's own metrics, which take the worker's index
    // (`worker_park_count(1)`; a `worker_count()` or `worker_token(true)` of the learner's is
    // no metric).
    let workers = method
        && (text == "num_workers" || WORKER_METRICS.contains(&text) && texts(2) != Some(")"));
    let args = matches!(text, "args" | "args_os")
        && (i > 2 && tokens[i - 3].text == "env"
            || in_use.is_some_and(|item| item.iter().any(|t| t.text == "env")));
    let by = if FLAVOR_WORDS.contains(&text)
        || workers
        || text.starts_with('"') && FLAVOR_TEXTS.iter().any(|name| text.contains(name))
    {
        SplitBy::Flavor
    } else if PLACE_WORDS.contains(&text)
        || args
        || text.starts_with('"') && EXE_TEXTS.iter().any(|name| text.contains(name))
        || text == "size_of"
            && !(texts(1) == Some(":")
                && texts(3) == Some("<")
                && texts(4).is_some_and(|t| PLAIN_TYPES.contains(&t)))
        || text == "current"
            && [texts(1), texts(2), texts(3), texts(4)]
                == [Some("("), Some(")"), Some("."), Some("id")]
    {
        SplitBy::Place
    } else {
        return None;
    };
    let renamed = texts(1) == Some("as") && texts(2) != Some("_");
    if in_use.is_some() && !renamed && !args {
        return None;
    }
    (!shipped.iter().any(|t| t.text == text)).then_some(by)
}

/// Where each `use` item is, as token ranges (from `use` to its `;`).
pub fn use_items(tokens: &[Token]) -> Vec<Range<usize>> {
    let starts = (0..tokens.len()).filter(|&k| {
        tokens[k].text == "use"
            && (k == 0 || matches!(tokens[k - 1].text.as_str(), ";" | "{" | "}" | "]" | "pub"))
    });
    starts
        .filter_map(|k| {
            let end = (k..tokens.len()).find(|&j| tokens[j].text == ";")?;
            Some(k..end)
        })
        .collect()
}

/// Methods that change what a static holds. (A lock or a thread-local's `with` may only read:
/// a demo's `main` printing the code's log.)
const WRITES: [&str; 18] = [
    "store",
    "swap",
    "fetch_add",
    "fetch_sub",
    "fetch_or",
    "fetch_and",
    "fetch_xor",
    "fetch_max",
    "fetch_min",
    "fetch_update",
    "compare_exchange",
    "compare_exchange_weak",
    "set",
    "get_or_init",
    "with_borrow_mut",
    "replace",
    "take",
    "send",
];

/// The line where `fn main`'s body (`main`) writes a static of the learner's that other code
/// reads: no test runs `main`, so such a static tells the program from the tests.
pub fn set_in_main(tokens: &[Token], main: &Range<usize>, shipped: &[Token]) -> Option<usize> {
    let text = |k: usize| tokens.get(k).map_or("", |t| t.text.as_str());
    let statics = (0..tokens.len()).filter_map(|k| {
        let at = k + 1 + usize::from(text(k + 1) == "mut");
        let name = text(at);
        (text(k) == "static" && text(at + 1) == ":" && !shipped.iter().any(|t| t.text == name))
            .then_some((at, name))
    });
    for (declared, name) in statics {
        let read_elsewhere =
            (0..tokens.len()).any(|j| j != declared && !main.contains(&j) && text(j) == name);
        let written = main.clone().find(|&j| {
            text(j) == name
                && (text(j + 1) == "." && WRITES.contains(&text(j + 2))
                    || text(j + 1) == "=" && text(j + 2) != "="
                    || matches!(text(j + 1), "+" | "-" | "*" | "|" | "&" | "^")
                        && text(j + 2) == "=")
        });
        if let Some(j) = written.filter(|_| read_elsewhere) {
            return Some(tokens[j].line);
        }
    }
    None
}
