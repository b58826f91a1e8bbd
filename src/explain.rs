//! One short, learner-facing explanation under the compiler's own words when a diagnostic or a
//! test's output matches a mistake that async learners make again and again.

pub use crate::verdict::Explanation;
use crate::{
    cargo::Diagnostic,
    libtest,
    verdict::{Report, Verdict},
};

mod texts;
pub use texts::*;

/// The explanations that apply to a report, most specific first, each at most once.
/// Explanations whose fix is at the call, which in the tests may not change; and the borrow that
/// must be `'static`, which in the tests comes from a `'static` the code above asked for.
const AT_THE_CALL: [&Explanation; 11] = [
    &MISSING_AWAIT,
    &METHOD_ON_FUTURE,
    &TRY_ON_FUTURE,
    &NOT_A_FUTURE,
    &AWAIT_HANDLE_BY_REF,
    &CLOSURE_NOT_FUTURE,
    &FN_NOT_CALLED,
    &STD_LOCK_NOT_ASYNC,
    &BORROW_INTO_TASK,
    &SPAWN_NOT_STATIC,
    &CLOSURE_NOT_STATIC,
];

pub fn explain(report: &Report) -> Vec<&'static Explanation> {
    let mut found: Vec<&'static Explanation> = Vec::new();
    let mut add = |e: &'static Explanation| {
        if !found.contains(&e) {
            found.push(e);
        }
    };
    // The shipped code's own mistakes reach into the tests too (a trait with no `Send` promise,
    // a guard held across an await): the tests' calls are blamed only when every error is there.
    let errors = || report.diagnostics.iter().filter(|d| d.is_error());
    let only_in_tests = errors().next().is_some() && errors().all(|d| d.in_tests);
    for diagnostic in &report.diagnostics {
        let in_tests = diagnostic.in_tests && diagnostic.is_error();
        match own_explanation(diagnostic) {
            Some(e) => add(e),
            None if in_tests && only_in_tests => add(&ERROR_IN_TESTS),
            None => {}
        }
    }
    if !report.verdict.passed() {
        for e in for_output(&report.output) {
            add(e);
        }
    }
    if matches!(report.verdict, Verdict::TimedOut(_)) {
        let passed = libtest::parse(&report.output)
            .summary
            .is_some_and(|summary| summary.ok);
        add(if passed {
            &TIMED_OUT_AFTER_PASSING
        } else {
            &TIMED_OUT
        });
    }
    found
}

/// A diagnostic's own explanation; none at a call in the tests, where nothing may change.
fn own_explanation(d: &Diagnostic) -> Option<&'static Explanation> {
    let in_tests = d.in_tests && d.is_error();
    for_diagnostic(d).filter(|e| !(in_tests && AT_THE_CALL.contains(e)))
}

/// The error to show first, and whether the `why:` lines stand under it.
pub struct Lead {
    pub index: usize,
    /// The `why:` lines may stand under it: it has its own, or no other error has.
    pub explained: bool,
}

/// The error to show first: a name the compiler could not resolve (a crate the course does not
/// have, a misspelt import), as the errors after it often only follow from it; else the first
/// that has an explanation of its own (so that the `why:` line stands under the error it
/// explains); else the first error.
pub fn lead_error(diagnostics: &[Diagnostic]) -> Option<Lead> {
    let errors = || diagnostics.iter().enumerate().filter(|(_, d)| d.is_error());
    let first = |found: Option<(usize, &Diagnostic)>| found.map(|(i, _)| i);
    let unresolved =
        first(errors().find(|(_, d)| UNRESOLVED.contains(&d.code.as_deref().unwrap_or(""))));
    let explained = first(errors().find(|(_, d)| own_explanation(d).is_some()));
    let index = unresolved.or(explained).or(first(errors().next()))?;
    Some(Lead {
        index,
        explained: explained.is_none_or(|at| at == index)
            || own_explanation(&diagnostics[index]).is_some(),
    })
}

/// rustc's codes for a path it could not resolve: an import, a module or crate, an extern crate.
const UNRESOLVED: [&str; 3] = ["E0432", "E0433", "E0463"];

pub fn for_diagnostic(d: &Diagnostic) -> Option<&'static Explanation> {
    for_code(d).or_else(|| for_message(d))
}

/// The explanations that rustc's or clippy's code for the diagnostic picks out.
fn for_code(d: &Diagnostic) -> Option<&'static Explanation> {
    let notes = |needle: &str| d.notes.iter().any(|n| n.contains(needle));
    let code = d.code.as_deref().unwrap_or("");
    let e = match code {
        "E0308" if notes("found future") || notes("`await`ing") => &MISSING_AWAIT,
        "E0599" => return method_not_found(d),
        "E0277" if d.message.contains("`?`") && notes("Future") => &TRY_ON_FUTURE,
        "E0369" | "E0277" if used_as_its_output(d) => &MISSING_AWAIT,
        "E0277" if d.message.contains("is not an iterator") && mentions_stream(d) => {
            &STREAM_NOT_ITERATOR
        }
        "E0053" if notes("found future") && notes("Pin<Box<") => &ASYNC_IMPL_OF_BOXED_METHOD,
        "E0053" if notes("found future") => &ASYNC_IMPL_OF_SYNC_METHOD,
        "E0277" if d.message.contains("is not a future") && notes_rpitit(d) => {
            &SYNC_IMPL_OF_ASYNC_METHOD
        }
        "E0277" if d.message.ends_with("is not a future") => not_a_future(&d.message),
        "E0277" if d.message.contains("cannot be unpinned") && d.message.contains("dyn ") => {
            &BOXED_FUTURE_NOT_PINNED
        }
        "E0277" if d.message.ends_with("cannot be unpinned") && notes("`pin!` macro") => &NOT_UNPIN,
        "E0038" if notes("is `async`") || notes("`impl Trait` type in its return type") => {
            &ASYNC_TRAIT_NOT_DYN
        }
        "clippy::await_holding_lock" => &AWAIT_HOLDING_LOCK,
        "unsafe_code" => &UNSAFE_FORBIDDEN,
        "unused_must_use" if d.message.contains("Future") || notes("futures do nothing") => {
            &UNAWAITED_FUTURE
        }
        "E0477" if d.message.contains("Future") && notes("static lifetime") => &TRAIT_FUTURE_STATIC,
        "E0373" if d.message.contains("async block") && notes("async block is returned here") => {
            &RETURNED_ASYNC_BLOCK
        }
        "E0373" if d.message.contains("async block") => &SPAWN_NOT_STATIC,
        "E0373" if d.message.starts_with("closure may outlive") => &CLOSURE_NOT_STATIC,
        "E0373" if notes("'static") => &SPAWN_NOT_STATIC,
        "E0597" if notes("'static") => &BORROW_INTO_TASK,
        "E0509" => &MOVE_OUT_OF_DROP,
        "E0034" if notes("of the trait `") => &TWO_TRAITS_ONE_METHOD,
        "E0603" if d.message == "module `stream` is private" && notes("`StreamExt`") => {
            &STREAM_EXT_PRIVATE_PATH
        }
        "E0382"
            if notes("value moved here") && (notes("Sender<") || notes("Arc<") || notes("Rc<")) =>
        {
            moved(d)
        }
        "E0433" | "E0432" if notes("crate named `futures`") => &FUTURES_CRATE,
        "E0428" if d.message == "the name `tests` is defined multiple times" => &TESTS_MODULE_TAKEN,
        "E0752" => &ASYNC_MAIN,
        "E0728" => &AWAIT_OUTSIDE_ASYNC,
        _ => return None,
    };
    Some(e)
}

/// E0599, "no method named ... found": a method of what the future gives, of a trait not in
/// scope, or of a type that has another way to do it.
fn method_not_found(d: &Diagnostic) -> Option<&'static Explanation> {
    let notes = |needle: &str| d.notes.iter().any(|n| n.contains(needle));
    let says = |needle: &str| d.message.contains(needle);
    let e = if names_a_future(&d.message) && names_a_future_adapter(d) {
        &FUTURE_EXT
    } else if names_a_future(&d.message) && on_its_output(d) {
        &METHOD_ON_FUTURE
    } else if notes("the trait is in scope") && names_an_extension_trait(d) {
        &EXTENSION_TRAIT
    } else if says("`recv`") && says("oneshot::Receiver") {
        &ONESHOT_RECV
    } else if says("`lock`") && says("RwLock") {
        &RWLOCK_LOCK
    } else if notes("exists on the type `JoinError`") {
        &JOIN_ERROR_METHOD
    } else {
        return None;
    };
    Some(e)
}

/// The explanations for diagnostics without a code, or whose code's arms above did not match.
fn for_message(d: &Diagnostic) -> Option<&'static Explanation> {
    let message = d.message.as_str();
    let notes = |needle: &str| d.notes.iter().any(|n| n.contains(needle));
    let e = if message == "this file contains an unclosed delimiter" {
        &UNCLOSED_DELIMITER
    } else if NOT_FOUND.iter().any(|start| message.starts_with(start)) {
        &NOT_IN_SCOPE
    } else if message.contains("should be `async` or return a future") {
        &SYNC_IMPL_OF_ASYNC_METHOD
    } else if message.contains("lifetime may not live long enough") && shows_a_boxed_future(d) {
        &BOXED_FUTURE_LIFETIME
    } else if message.contains("cannot be sent between threads safely") {
        not_send(d)
    } else if message.starts_with("The `start_paused` option requires")
        || (message.starts_with("The `worker_threads` option requires")
            && d.rendered.contains("start_paused"))
    {
        &PAUSED_CLOCK_ONE_THREAD
    } else if message.ends_with("is not general enough") && notes("closure with signature") {
        &CLOSURE_NOT_GENERAL
    } else if message == "implementation of `Send` is not general enough" {
        &SEND_NOT_GENERAL
    } else {
        return None;
    };
    Some(e)
}

/// Moved into a task's `async move` block or `move` closure, or into a call's argument.
fn moved(d: &Diagnostic) -> &'static Explanation {
    let into_block = d
        .notes
        .iter()
        .any(|n| n.contains("due to use in") || n.contains("into the closure"));
    if into_block {
        &MOVED_INTO_TASK
    } else {
        &MOVED_INTO_CALL
    }
}

/// Only for a boxed future, which the source excerpt or rustc's suggestion shows.
fn shows_a_boxed_future(d: &Diagnostic) -> bool {
    ["Box::pin(", ".boxed()", "dyn Future"]
        .iter()
        .any(|boxed| d.rendered.contains(boxed))
}

/// Which value made a future or closure not `Send`, as rustc's notes name it.
fn not_send(d: &Diagnostic) -> &'static Explanation {
    let notes = |needle: &str| d.notes.iter().any(|n| n.contains(needle));
    if notes("required because it's used within this closure") {
        &CLOSURE_NOT_SEND
    } else if notes("watch::Ref<") {
        &WATCH_REF_NOT_SEND
    } else if notes("RwLockReadGuard") || notes("RwLockWriteGuard") {
        &RWLOCK_GUARD_NOT_SEND
    } else if notes("MutexGuard") {
        &GUARD_NOT_SEND
    } else if notes("`LocalSet` which is not `Send`") || notes("within `LocalSet`") {
        &LOCAL_SET_NOT_SEND
    } else if notes("Rc<") || notes("RefCell") {
        &RC_NOT_SEND
    } else if notes("associated future's guarantees") {
        &TRAIT_FUTURE_NOT_SEND
    } else if d.message.starts_with("`dyn ") || notes("is not implemented for `dyn ") {
        &BOXED_FUTURE_NOT_SEND
    } else {
        &NOT_SEND
    }
}

/// A type or function that is not in scope (a value is more often a typo than an import).
const NOT_FOUND: [&str; 4] = [
    "cannot find type",
    "cannot find function",
    "cannot find macro",
    "failed to resolve: use of undeclared type",
];

/// The type in the message is a future: `impl Future<..>`, `impl futures_util::Future<..>`.
/// Whether the method rustc did not find on a future is one its output has: rustc says so
/// (`await`ing) when it looked, and a method that exists with unmet bounds is left to the text;
/// "no method named" without that help is on neither, so awaiting first is not the fix.
fn on_its_output(d: &Diagnostic) -> bool {
    d.notes.iter().any(|n| n.contains("`await`ing")) || !d.message.starts_with("no method named")
}

fn names_a_future(message: &str) -> bool {
    message.contains("impl Future") || (message.contains("impl ") && message.contains("Future<"))
}

/// The method missing on a future is one of futures' `FutureExt` adapters: rustc names the
/// trait to import, or it is imported and the method is behind a feature (`remote_handle`).
fn names_a_future_adapter(d: &Diagnostic) -> bool {
    // Not `then` nor `inspect`: `bool`, `Option` and `Result` have those too, so awaiting
    // first may be the fix (rustc still names `FutureExt` when it provides them).
    const ADAPTERS: [&str; 8] = [
        "fuse",
        "boxed",
        "boxed_local",
        "remote_handle",
        "shared",
        "catch_unwind",
        "now_or_never",
        "poll_unpin",
    ];
    let named = |m: &str| d.message.contains(&format!("no method named `{m}`"));
    d.rendered.contains("`FutureExt`") || ADAPTERS.iter().any(|m| named(m))
}

/// rustc names one of the async extension traits as the one to import.
fn names_an_extension_trait(d: &Diagnostic) -> bool {
    [
        "AsyncReadExt",
        "AsyncWriteExt",
        "AsyncBufReadExt",
        "StreamExt",
    ]
    .iter()
    .any(|t| d.rendered.contains(t) || d.notes.iter().any(|n| n.contains(t)))
}

/// `.await` on a value that is not a future, by what the value is.
fn not_a_future(message: &str) -> &'static Explanation {
    if message.contains("{closure@") {
        &CLOSURE_NOT_FUTURE
    } else if message.starts_with("`&") && message.contains("JoinHandle<") {
        &AWAIT_HANDLE_BY_REF
    } else if message.contains("fn(") && message.contains("Future") {
        &FN_NOT_CALLED
    } else if message.contains("PoisonError") {
        &STD_LOCK_NOT_ASYNC
    } else {
        &NOT_A_FUTURE
    }
}

/// A future used where its output was meant: `fetch() / 2`, `println!("{}", fetch())`.
fn used_as_its_output(d: &Diagnostic) -> bool {
    let m = &d.message;
    m.contains("impl Future<")
        && (m.starts_with("cannot ")
            || m.starts_with("binary operation")
            || m.contains("doesn't implement")
            || m.contains("can't compare"))
}

/// The bound is on the future type a trait's `async fn` (or `-> impl Future`) stands for, named
/// `Trait::method::{anon_assoc#0}` by rustc (`{synthetic#0}` or `{opaque#0}` in older ones).
fn notes_rpitit(d: &Diagnostic) -> bool {
    d.notes.iter().any(|n| {
        n.contains("required by a bound in")
            && ["::{anon_assoc", "::{synthetic", "::{opaque"]
                .iter()
                .any(|name| n.contains(name))
    })
}

/// The type in "`T` is not an iterator" is a stream (`impl Stream<...>`, `ReceiverStream<T>`...).
fn mentions_stream(d: &Diagnostic) -> bool {
    d.message.contains("Stream") || d.notes.iter().any(|n| n.contains("Stream<"))
}

fn for_output(output: &str) -> impl Iterator<Item = &'static Explanation> + '_ {
    const PANICS: [(&str, &Explanation); 9] = [
        ("there is no reactor running", &NO_RUNTIME),
        ("must be called from the context of a Tokio", &NO_RUNTIME),
        (
            "Cannot start a runtime from within a runtime",
            &NESTED_RUNTIME,
        ),
        (
            "Cannot drop a runtime in a context where blocking is not allowed",
            &RUNTIME_DROPPED_IN_ASYNC,
        ),
        (
            "can call blocking only when running on the multi-threaded runtime",
            &BLOCK_IN_PLACE,
        ),
        (
            "called from outside of a `task::LocalSet`",
            &SPAWN_LOCAL_OUTSIDE,
        ),
        ("RefCell already ", &REFCELL_BORROW_ACROSS_AWAIT),
        (
            "Cannot block the current thread from within a runtime",
            &BLOCKING_IN_RUNTIME,
        ),
        (
            "A Tokio 1.x context was found, but it is being shutdown",
            &RUNTIME_SHUT_DOWN,
        ),
    ];
    // Tests build runtimes without a timer on purpose (to make a task fail), so a driver's
    // panic counts only as a failing test's own, when the output has failing tests.
    const DRIVERS: [&str; 2] = [
        "A Tokio 1.x context was found, but timers are disabled",
        "A Tokio 1.x context was found, but IO is disabled",
    ];
    let failures = libtest::failures(output);
    let own = |needle: &str| {
        if failures.is_empty() {
            output.contains(needle)
        } else {
            failures
                .iter()
                .any(|f| f.message.iter().any(|line| line.contains(needle)))
        }
    };
    let driver = DRIVERS.iter().any(|needle| own(needle));
    // A panic a test caught on purpose (to say in its own words what the code did) is not why
    // it failed.
    let seen = libtest::without_caught_panics(output);
    PANICS
        .into_iter()
        .filter(move |(needle, _)| seen.contains(needle))
        .map(|(_, e)| e)
        .chain(driver.then_some(&DRIVER_DISABLED))
}

#[cfg(test)]
mod tests;
