//! One short, learner-facing explanation under the compiler's own words when a diagnostic or a
//! test's output matches a mistake that async learners make again and again.

pub use crate::verdict::Explanation;
use crate::{
    cargo::Diagnostic,
    libtest,
    verdict::{Report, Verdict},
};

pub const MISSING_AWAIT: Explanation = Explanation {
    id: "missing-await",
    text: "Calling an async fn does not run it: it returns a future, a value that describes the \
           work. Add `.await` after the call to run it and get its output.",
};
pub const METHOD_ON_FUTURE: Explanation = Explanation {
    id: "method-on-future",
    text: "That method belongs to the future's output, not to the future. Await first, then call \
           it: `fetch().await.len()`.",
};
pub const TRY_ON_FUTURE: Explanation = Explanation {
    id: "try-on-future",
    text: "`?` needs a `Result`, but an async fn call gives a future of a `Result`. Await it \
           first, then apply `?`: `.await?` after the call.",
};
pub const UNAWAITED_FUTURE: Explanation = Explanation {
    id: "unawaited-future",
    text: "A future that is never awaited never runs: its work and side effects simply do not \
           happen. Add `.await` (or hand it to `tokio::spawn` if it should run on its own).",
};
pub const MOVE_OUT_OF_DROP: Explanation = Explanation {
    id: "move-out-of-drop",
    text: "A value whose type implements `Drop` cannot be taken apart: its fields cannot be \
           moved out. Keep it whole and share it (`Arc::new(value)`, then a clone of the `Arc` \
           per task), or borrow or clone a field.",
};
pub const MOVED_INTO_TASK: Explanation = Explanation {
    id: "moved-into-task",
    text: "The first task took the handle (an `async move` block or a `move` closure moves it \
           in), so there is none left for the next one. Give each task a clone of its own, made \
           just before it is spawned and under the same name: `let tx = tx.clone();` (for an \
           `Arc`: `let shared = Arc::clone(&shared);`). The task then takes the clone.",
};
pub const SPAWN_NOT_STATIC: Explanation = Explanation {
    id: "spawn-not-static",
    text: "`tokio::spawn` may run the task after the current function returns, so the task must \
           own everything it uses (`'static`). Move the data in with `async move`, or share it \
           with `Arc` and move a clone into each task.",
};
pub const GUARD_NOT_SEND: Explanation = Explanation {
    id: "guard-across-await",
    text: "A `std::sync::MutexGuard` is alive across an `.await`, so the task cannot move between \
           threads. End the guard before awaiting by putting the locked part in its own `{ }` \
           block (the compiler counts a guard alive to the end of its block, even after \
           `drop(guard)`), or use `tokio::sync::Mutex` if the lock must be held while awaiting.",
};
pub const RC_NOT_SEND: Explanation = Explanation {
    id: "rc-across-await",
    text: "An `Rc` (or `RefCell` borrow) is alive across an `.await`, so the task cannot move \
           between threads. Use `Arc` instead, end it before the await in a `{ }` block of its \
           own (`drop(rc)` does not count), or run the task on a `LocalSet` with `spawn_local`.",
};
pub const NOT_SEND: Explanation = Explanation {
    id: "future-not-send",
    text: "`tokio::spawn` needs a future that can move between threads (`Send`). A value that is \
           not `Send` is alive across an `.await`: end it before awaiting in a `{ }` block of its \
           own (`drop(value)` does not count), or use a `Send` type.",
};
pub const TRAIT_FUTURE_NOT_SEND: Explanation = Explanation {
    id: "trait-future-not-send",
    text: "The future of a trait's `async fn` comes with no `Send` promise (each impl returns its \
           own future type), so generic code cannot hand it to `tokio::spawn`. Promise it in the \
           trait: `fn name(&self) -> impl Future<Output = T> + Send;` (impls may stay `async fn`).",
};
pub const BOXED_FUTURE_NOT_SEND: Explanation = Explanation {
    id: "boxed-future-not-send",
    text: "A boxed `dyn Future` is `Send` only if its type says so, and a spawned task needs it: \
           write `Pin<Box<dyn Future<Output = T> + Send + 'a>>`.",
};
pub const ASYNC_TRAIT_NOT_DYN: Explanation = Explanation {
    id: "async-trait-not-dyn",
    text: "A trait with an `async fn` cannot be used as `dyn Trait`: each impl returns a future of \
           another type. Give the method one return type for all impls, a boxed future: \
           `fn name<'a>(&'a self) -> Pin<Box<dyn Future<Output = T> + Send + 'a>>`, and \
           `Box::pin(async move { ... })` in each impl.",
};
pub const ASYNC_IMPL_OF_SYNC_METHOD: Explanation = Explanation {
    id: "async-impl-of-sync-method",
    text: "The impl is an `async fn`, so it returns a future, but the trait's method returns the \
           value itself. Make the method `async fn` in the trait too (callers then `.await` it).",
};
pub const SYNC_IMPL_OF_ASYNC_METHOD: Explanation = Explanation {
    id: "sync-impl-of-async-method",
    text: "The trait's method returns a future (it is `async`, or `-> impl Future`), so every impl \
           must return one too: write this impl as `async fn` as well, even if it has its answer \
           at once (callers `.await` it either way).",
};
pub const ASYNC_IMPL_OF_BOXED_METHOD: Explanation = Explanation {
    id: "async-impl-of-boxed-method",
    text: "The trait's method returns a boxed future, but this impl is an `async fn`, whose future \
           has a type of its own. Give the impl the trait's signature, `fn name<'a>(&'a self) -> \
           Pin<Box<dyn Future<Output = T> + Send + 'a>>`, its body in \
           `Box::pin(async move { ... })`; or, if impls are to stay `async fn` and no `dyn Trait` \
           is needed, declare `fn name(&self) -> impl Future<Output = T> + Send;` in the trait.",
};
pub const TRAIT_FUTURE_STATIC: Explanation = Explanation {
    id: "trait-future-static",
    text: "The trait promises a `'static` future, but the future of an `async fn` borrows `self` \
           (and its other reference arguments): it cannot outlive them. Drop the `+ 'static`. A \
           spawned task can still run it if the task owns what is borrowed: \
           `async move { item.method().await }`, with `item` an `Arc` moved into the task.",
};
pub const RETURNED_ASYNC_BLOCK: Explanation = Explanation {
    id: "returned-async-block-borrows",
    text: "The async block is returned, so it runs after this function has returned, when the \
           function's own variables (its parameters too) are gone. Write `async move`: the block \
           takes them along (references among them may live as long as the return type says).",
};
pub const BOXED_FUTURE_LIFETIME: Explanation = Explanation {
    id: "boxed-future-lifetime",
    text: "The boxed future borrows `self` and the arguments, so its type must say for how long \
           (without a lifetime, `Box<dyn ...>` means `'static`): give them one lifetime and put it \
           on the future, `fn name<'a>(&'a self, x: &'a str) -> Pin<Box<dyn Future<Output = T> + \
           Send + 'a>>`.",
};
pub const BOXED_FUTURE_NOT_PINNED: Explanation = Explanation {
    id: "boxed-future-not-pinned",
    text: "A `Box<dyn Future>` cannot be awaited (or joined) as it is: a future must stay in place \
           once polled, and a `dyn Future` does not promise it can move. Pin it: return \
           `Pin<Box<dyn Future<Output = T> + Send + 'a>>`, made with `Box::pin(...)`, not \
           `Box::new(...)`.",
};
pub const STREAM_NOT_ITERATOR: Explanation = Explanation {
    id: "stream-not-iterator",
    text: "A `Stream` is not an `Iterator`: its items arrive over time, and a `for` loop cannot \
           wait for them. Import a `StreamExt` trait and loop with \
           `while let Some(item) = stream.next().await`.",
};
pub const AWAIT_HOLDING_LOCK: Explanation = Explanation {
    id: "await-holding-lock",
    text: "A std `MutexGuard` is alive across an `.await`. It compiles because nothing spawns this \
           future, but while it waits, a task that locks the same mutex blocks its whole thread \
           (on one thread: a deadlock). End the guard in a `{ }` block before the `.await`: \
           clippy, like the compiler, counts it alive to the end of its block, even after \
           `drop(guard)`.",
};
pub const ASYNC_MAIN: Explanation = Explanation {
    id: "async-main",
    text: "`main` cannot be async on its own: something has to run the futures. Put \
           `#[tokio::main]` above `async fn main()` to start a Tokio runtime.",
};
pub const AWAIT_OUTSIDE_ASYNC: Explanation = Explanation {
    id: "await-outside-async",
    text: "`.await` only works inside an `async fn` or an `async` block, and a closure is \
           neither, even inside an async fn. Make this function async (and await it where it is \
           called); in a closure (`map(|x| x.await)`), use a `for` loop or an `async` block \
           instead; for `main`, `#[tokio::main]` makes it async.",
};
pub const NO_RUNTIME: Explanation = Explanation {
    id: "no-runtime",
    text: "Tokio code ran outside a runtime: in a plain `fn main`, a plain `#[test]` or a std \
           thread. Run it from `#[tokio::main]` or `#[tokio::test]` code, or from a task that code \
           spawns.",
};
pub const NESTED_RUNTIME: Explanation = Explanation {
    id: "nested-runtime",
    text: "Code inside async code tried to start (or block on) a second runtime, which would \
           block the thread the first one needs. You are already in async code: `.await` the \
           future instead.",
};
pub const BLOCK_IN_PLACE: Explanation = Explanation {
    id: "block-in-place-current-thread",
    text: "`block_in_place` needs the multi-threaded runtime, and this one has a single thread \
           (a `#[tokio::test]` does unless it says `flavor = \"multi_thread\"`): hand blocking \
           work to `spawn_blocking` instead. If it only blocks on a future (`Handle::block_on`) \
           inside async code, `.await` the future.",
};
pub const RUNTIME_SHUT_DOWN: Explanation = Explanation {
    id: "runtime-shut-down",
    text: "Work on a thread of its own (`spawn_blocking`, `std::thread`), often a `block_on` \
           there, still used the runtime's timer or sockets after the runtime had begun to shut \
           down: it was still waiting when the runtime ended. In async code, `.await` the future \
           where it is instead of blocking on it elsewhere.",
};
pub const DRIVER_DISABLED: Explanation = Explanation {
    id: "driver-disabled",
    text: "A runtime built by hand without its timer or I/O driver ran a `sleep` or a socket: \
           add `.enable_all()` (or `.enable_time()`, `.enable_io()`) to the `Builder`, or, in \
           async code, await on the runtime you are already in instead of building another.",
};
pub const SPAWN_LOCAL_OUTSIDE: Explanation = Explanation {
    id: "spawn-local-outside-localset",
    text: "`spawn_local` only works inside a `LocalSet`: run the code with \
           `LocalSet::new().run_until(async { ... }).await`.",
};
pub const BLOCKING_IN_RUNTIME: Explanation = Explanation {
    id: "blocking-in-runtime",
    text: "A blocking call (`blocking_recv`, `blocking_send`, `blocking_lock`...) ran on a thread \
           of the runtime, the thread that must also run what it waits for. In async code, await \
           the async version instead: `recv().await`, or, for a oneshot receiver, the receiver \
           itself (`rx.await`).",
};
pub const ERROR_IN_TESTS: Explanation = Explanation {
    id: "error-in-tests",
    text: "This error is in the tests, which may not change: they use your code by the names, \
           parameters and types the exercise gave it. If you changed one of those (a parameter's \
           type, `async` added or taken away, a trait's method), put it back as it was and change \
           what the code does instead.",
};
pub const TIMED_OUT: Explanation = Explanation {
    id: "timeout",
    text: "The tests never finished: a deadlock (a lock held across `.await`), a blocking call \
           that stops the runtime's thread, a busy loop that never yields, or a channel whose \
           sender is never dropped so `recv()` waits forever.",
};

pub const TIMED_OUT_AFTER_PASSING: Explanation = Explanation {
    id: "timeout-after-passing",
    text: "Every test reported `ok`, but the run went on past its time limit, so it is no pass: \
           the tests were slow, not stuck (a timer firing every few milliseconds through the \
           tests' paused waits, or a loop that only yields). Make it do less and save again.",
};

/// The explanations that apply to a report, most specific first, each at most once.
/// Explanations whose fix is at the call, which in the tests may not change.
const AT_THE_CALL: [&Explanation; 3] = [&MISSING_AWAIT, &METHOD_ON_FUTURE, &TRY_ON_FUTURE];

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

/// The error to show first, with the `why:` lines under it: the first that has an explanation
/// of its own (so that the line stands under the error it explains), else the first error.
pub fn lead_error(diagnostics: &[Diagnostic]) -> Option<usize> {
    let errors = || diagnostics.iter().enumerate().filter(|(_, d)| d.is_error());
    errors()
        .find(|(_, d)| own_explanation(d).is_some())
        .or_else(|| errors().next())
        .map(|(i, _)| i)
}

pub fn for_diagnostic(d: &Diagnostic) -> Option<&'static Explanation> {
    let notes = |needle: &str| d.notes.iter().any(|n| n.contains(needle));
    let code = d.code.as_deref().unwrap_or("");
    let e = match code {
        "E0308" if notes("found future") || notes("`await`ing") => &MISSING_AWAIT,
        "E0599" if d.message.contains("impl Future") => &METHOD_ON_FUTURE,
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
        "E0277" if d.message.contains("cannot be unpinned") && d.message.contains("dyn ") => {
            &BOXED_FUTURE_NOT_PINNED
        }
        "E0038" if notes("is `async`") || notes("`impl Trait` type in its return type") => {
            &ASYNC_TRAIT_NOT_DYN
        }
        "clippy::await_holding_lock" => &AWAIT_HOLDING_LOCK,
        "unused_must_use" if d.message.contains("Future") || notes("futures do nothing") => {
            &UNAWAITED_FUTURE
        }
        "E0477" if d.message.contains("Future") && notes("static lifetime") => &TRAIT_FUTURE_STATIC,
        "E0373" if d.message.contains("async block") && notes("async block is returned here") => {
            &RETURNED_ASYNC_BLOCK
        }
        "E0373" if d.message.contains("async block") => &SPAWN_NOT_STATIC,
        "E0597" | "E0373" if notes("'static") => &SPAWN_NOT_STATIC,
        "E0509" => &MOVE_OUT_OF_DROP,
        "E0382" if notes("value moved here") && (notes("Sender<") || notes("Arc<")) => {
            &MOVED_INTO_TASK
        }
        "E0752" => &ASYNC_MAIN,
        "E0728" => &AWAIT_OUTSIDE_ASYNC,
        _ if d.message.contains("should be `async` or return a future") => {
            &SYNC_IMPL_OF_ASYNC_METHOD
        }
        // Only for a boxed future, which the source excerpt or rustc's suggestion shows.
        _ if d.message.contains("lifetime may not live long enough")
            && ["Box::pin(", ".boxed()", "dyn Future"]
                .iter()
                .any(|boxed| d.rendered.contains(boxed)) =>
        {
            &BOXED_FUTURE_LIFETIME
        }
        _ if d.message.contains("cannot be sent between threads safely") => {
            if notes("MutexGuard") {
                &GUARD_NOT_SEND
            } else if notes("Rc<") || notes("RefCell") {
                &RC_NOT_SEND
            } else if notes("associated future's guarantees") {
                &TRAIT_FUTURE_NOT_SEND
            } else if notes("`Send` is not implemented for `dyn ") {
                &BOXED_FUTURE_NOT_SEND
            } else {
                &NOT_SEND
            }
        }
        _ => return None,
    };
    Some(e)
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
    const PANICS: [(&str, &Explanation); 7] = [
        ("there is no reactor running", &NO_RUNTIME),
        ("must be called from the context of a Tokio", &NO_RUNTIME),
        (
            "Cannot start a runtime from within a runtime",
            &NESTED_RUNTIME,
        ),
        (
            "can call blocking only when running on the multi-threaded runtime",
            &BLOCK_IN_PLACE,
        ),
        (
            "called from outside of a `task::LocalSet`",
            &SPAWN_LOCAL_OUTSIDE,
        ),
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
    PANICS
        .into_iter()
        .filter(move |(needle, _)| output.contains(needle))
        .map(|(_, e)| e)
        .chain(driver.then_some(&DRIVER_DISABLED))
}

#[cfg(test)]
mod tests;
