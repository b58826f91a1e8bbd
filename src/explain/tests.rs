//! Each matcher against diagnostics recorded from real rustc 1.95 output
//! (tests/fixtures/diagnostics, made with `cargo build --message-format=json-diagnostic-rendered-ansi`).

use super::*;
use crate::cargo::RawDiagnostic;

fn recorded(name: &str) -> Vec<Diagnostic> {
    let path = format!(
        "{}/tests/fixtures/diagnostics/{name}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter_map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            serde_json::from_value::<RawDiagnostic>(value["message"].clone())
                .unwrap()
                .into_diagnostic()
        })
        .collect()
}

fn explained(name: &str) -> Vec<&'static str> {
    explained_with_tests(name, |_| false)
}

/// As `explained`, with the diagnostics that `in_tests` picks marked as the tests' own.
fn explained_with_tests(name: &str, in_tests: fn(&Diagnostic) -> bool) -> Vec<&'static str> {
    let mut report = Report::new();
    report.verdict = Verdict::CompileFailed;
    report.diagnostics = recorded(name);
    for d in &mut report.diagnostics {
        d.in_tests = in_tests(d);
    }
    assert!(
        !report.diagnostics.is_empty(),
        "{name}: no diagnostics recorded"
    );
    explain(&report).iter().map(|e| e.id).collect()
}

#[test]
fn compiler_mistakes() {
    assert_eq!(explained("e0308"), ["missing-await"]);
    assert_eq!(explained("e0599"), ["method-on-future"]);
    assert_eq!(explained("e0277"), ["try-on-future"]);
    assert_eq!(explained("mustuse"), ["unawaited-future"]);
    assert_eq!(explained("e0373"), ["spawn-not-static"]);
    assert_eq!(explained("e0597"), ["borrow-into-task"]);
    // The same borrow in the tests comes from a `'static` added above them (a parameter made
    // `&'static`): the tests' locals are not for a task, the signature is to put back.
    assert_eq!(explained_with_tests("e0597", |_| true), ["error-in-tests"]);
    assert_eq!(explained_with_tests("e0373", |_| true), ["error-in-tests"]);
    assert_eq!(explained("guard"), ["guard-across-await"]);
    assert_eq!(explained("rc"), ["rc-across-await"]);
    assert_eq!(explained("e0752"), ["async-main"]);
    assert_eq!(explained("e0728"), ["await-outside-async"]);
    // Fields moved out of a value whose type implements Drop.
    assert_eq!(explained("e0509"), ["move-out-of-drop"]);
    // A learner's own `mod tests` above the marker: the redefinition is the tests' module,
    // and was told "the tests may not change" (pass 30).
    assert_eq!(
        explained_with_tests("e0428_own_mod_tests", |_| true),
        ["tests-module-taken"]
    );
    // A future used as its output: divided, printed.
    assert_eq!(explained("e0369_future"), ["missing-await"]);
    assert_eq!(explained("e0277_display_future"), ["missing-await"]);
    // rustc's own note says "futures do nothing", the message names the `Sleep` only.
    assert_eq!(explained("mustuse_sleep"), ["unawaited-future"]);
    // A Sender moved into the first spawned task of a loop.
    assert_eq!(explained("e0382_sender"), ["moved-into-task"]);
}

#[test]
fn stream_and_async_trait_mistakes() {
    // Recorded from the shipped exercises of lessons 13 and 15 (the two E0038 recordings are cut
    // to their first error and the closing note) and from two wrong fixes of dyn_async_trait.
    assert_eq!(explained("stream_for"), ["stream-not-iterator"]);
    // The tests' `.price("plum").await` on the sync impl's `u32`: not "remove the `.await`".
    assert_eq!(
        explained_with_tests("e0053_async", |d| d.message.ends_with("is not a future")),
        ["async-impl-of-sync-method"]
    );
    assert_eq!(explained("trait_send"), ["trait-future-not-send"]);
    assert_eq!(explained("e0038"), ["async-trait-not-dyn"]);
    assert_eq!(explained("e0038_impl"), ["async-trait-not-dyn"]);
    assert_eq!(explained("dyn_send"), ["boxed-future-not-send"]);
}

#[test]
fn async_trait_half_fixes() {
    // Recorded from half-done fixes of async_fn_in_trait and dyn_async_trait, each cut to the
    // error it is about.
    // The trait made async, `Fixed` left sync, `best_price` not yet awaiting.
    assert_eq!(
        explained("sync_impl"),
        ["sync-impl-of-async-method", "method-on-future"]
    );
    // The trait's method written `-> impl Future<Output = u32>`, `Fixed` returning a `u32`.
    assert_eq!(
        explained("rpitit_not_future"),
        ["sync-impl-of-async-method"]
    );
    // The trait returns the boxed future, the impls are still `async fn`: not "make the trait
    // async", which is what made it not dyn compatible.
    assert_eq!(explained("e0053_boxed"), ["async-impl-of-boxed-method"]);
    // `Box::pin(async { ... })` without `move`, returned: no `tokio::spawn` involved.
    assert_eq!(
        explained("e0373_returned"),
        ["returned-async-block-borrows"]
    );
    // `-> Pin<Box<dyn Future<Output = String> + Send>>` ('static), and `-> Notify<'_>`.
    assert_eq!(
        explained("boxed_lifetime_static"),
        ["boxed-future-lifetime"]
    );
    assert_eq!(
        explained("boxed_lifetime_elided"),
        ["boxed-future-lifetime"]
    );
    // trait_future_send with `fn check(&self) -> impl Future<Output = Health> + Send + 'static;`
    assert_eq!(explained("e0477_static"), ["trait-future-static"]);
    // `Box<dyn Future<...> + Send>` made with `Box::new`, then joined.
    assert_eq!(explained("box_unpin"), ["boxed-future-not-pinned"]);
}

/// Recorded from small programs that make the mistakes the nineteenth pass's audits met without a
/// `why:` line (each fails on the code before it).
#[test]
fn mistakes_the_audits_met_unexplained() {
    // A permit borrowed from a local `Arc<Semaphore>`, moved into the task (`async move` there).
    assert_eq!(explained("e0597_permit"), ["borrow-into-task"]);
    // An `Rc` moved into `spawn_blocking`'s closure: no `.await` involved.
    assert_eq!(explained("rc_spawn_blocking"), ["closure-not-send"]);
    // `-> impl Future + Send` returning a `Pin<Box<dyn Future>>` without `+ Send`.
    assert_eq!(explained("dyn_send_impl"), ["boxed-future-not-send"]);
    // `.await` on what is not a future, by what it is.
    assert_eq!(explained("await_handle_ref"), ["await-handle-by-ref"]);
    assert_eq!(explained("await_closure"), ["closure-not-future"]);
    assert_eq!(explained("await_fn_item"), ["fn-not-called"]);
    assert_eq!(explained("await_std_lock"), ["std-lock-not-async"]);
    assert_eq!(explained("await_join_tuple"), ["not-a-future"]);
    // Methods of traits not imported, and methods a type does not have.
    assert_eq!(explained("e0599_bufread_trait"), ["extension-trait"]);
    assert_eq!(explained("e0599_stream_next"), ["extension-trait"]);
    // `enumerate` with only `tokio_stream::StreamExt` imported: rustc suggests a private path.
    assert_eq!(
        explained("e0599_enumerate_private_path"),
        ["extension-trait"]
    );
    // That private path imported: the public one is named, under the error it explains.
    assert_eq!(
        explained("e0603_streamext_private"),
        ["stream-ext-private-path", "extension-trait"]
    );
    let diagnostics = recorded("e0603_streamext_private");
    assert_eq!(
        diagnostics[lead_error(&diagnostics).unwrap().index]
            .code
            .as_deref(),
        Some("E0603")
    );
    // A crate the course does not have (`#[async_trait::async_trait]`): the trait it should have
    // rewritten is then not dyn compatible, an error with a `why:` of its own, but the name the
    // compiler could not resolve leads, as the other errors follow from it.
    let diagnostics = recorded("e0433_async_trait_macro");
    let lead = lead_error(&diagnostics).unwrap();
    assert_eq!(diagnostics[lead.index].code.as_deref(), Some("E0433"));
    assert!(!lead.explained, "the why of E0038 is not under the E0433");
    let diagnostics = recorded("e0603_streamext_private");
    assert!(lead_error(&diagnostics).unwrap().explained);
    // A future adapter of `FutureExt` not imported, or behind a feature the course leaves off:
    // the method is the future's own, so "await first" would mislead.
    assert_eq!(explained("e0599_fuse_futureext"), ["future-ext"]);
    assert_eq!(explained("e0599_remote_handle_feature"), ["future-ext"]);
    assert_eq!(explained("e0599_oneshot_recv"), ["oneshot-recv"]);
    assert_eq!(explained("e0599_rwlock_lock"), ["rwlock-lock"]);
    assert_eq!(explained("e0599_is_panic"), ["join-error-method"]);
    // rustc suggests no import for an external crate's type.
    assert_eq!(explained("e0433_localset"), ["not-in-scope"]);
    // `.min()` on a trait method's `impl futures_util::Future`, not yet awaited.
    assert_eq!(explained("e0599_future_min"), ["method-on-future"]);
    // `.try_join` on a future of a `Result`: neither has it, so "await first" would mislead.
    assert_eq!(explained("e0599_on_neither"), Vec::<&str>::new());
    // An `Rc` moved into `run_until`'s `async move` block, used after it.
    assert_eq!(explained("e0382_rc_async_move"), ["moved-into-task"]);
    // An `Arc` passed by value to a plain function in two `select!` branches: no task took it.
    assert_eq!(explained("e0382_arg"), ["moved-into-call"]);
    // A stream of async fn futures (`then`) read with `next()` without being pinned.
    assert_eq!(explained("e0277_unpin_stream"), ["not-unpin"]);
    // `spawn_blocking(|| checksum(&data))`: a closure, so `move ||`, not `async move`.
    assert_eq!(explained("e0373_spawn_blocking"), ["closure-not-static"]);
    // A function that runs its own LocalSet, spawned: rustc names the LocalSet's inner `Rc`.
    assert_eq!(explained("localset_not_send"), ["local-set-not-send"]);
    // A stream's `map` closure that borrows a `Sender`, the stream moved into `tokio::spawn`.
    assert_eq!(explained("e0373_stream_closure"), ["closure-not-static"]);
    // `futures::future::join_all` and `use futures::StreamExt`: rustc says to `cargo add futures`.
    assert_eq!(explained("e0433_futures_crate"), ["futures-crate"]);
    // The import failed, so `next` has no trait in scope: the extension-trait line follows.
    assert_eq!(
        explained("e0432_futures_use"),
        ["futures-crate", "extension-trait"]
    );
    // A `std::sync::RwLock` read guard held across an `.await` in a spawned task.
    assert_eq!(explained("std_rwlock_guard"), ["rwlock-guard-across-await"]);
    // tokio's own advice for `start_paused = true, worker_threads = 1` is `flavor =
    // "multi_thread"`, whose own error then asks for `current_thread`.
    for name in ["paused_with_worker_threads", "paused_on_multi_thread"] {
        assert_eq!(explained(name), ["paused-clock-one-thread"], "{name}");
    }
    // The read guard inside a `watch::Ref` that a `select!` branch matched, alive through the
    // branch's body: the learner has no RwLock of their own.
    assert_eq!(
        explained("watch_ref_across_await"),
        ["watch-ref-across-await"]
    );
    // One task that borrows the list (`let list = &guests;`, `stream::iter(guests.iter())`).
    assert_eq!(explained("e0597_borrow_one_task"), ["borrow-into-task"]);
    assert_eq!(explained("e0597_stream_iter"), ["borrow-into-task"]);
    // `stream::iter(notifiers.iter().map(|n| n.notify(&alert))).buffered(n)` in a spawned task.
    assert_eq!(explained("not_general_enough"), ["closure-not-general"]);
    // An `AsyncFnMut` helper whose closure awaits `write_all(line.as_bytes())`, spawned by the
    // tests: no signature changed, so no "the tests use your code by the names" line.
    assert_eq!(
        explained_with_tests("send_not_general", |_| true),
        ["send-not-general"]
    );
    // An `unsafe impl Send` on a wrapper of an `Rc`: the course forbids `unsafe`, and the `Rc`
    // still crosses the `.await`.
    assert_eq!(
        explained("unsafe_send"),
        ["unsafe-forbidden", "rc-across-await"]
    );
}

#[test]
fn clippy_mistakes() {
    // `cargo clippy -- -D warnings` on the shipped await_holding_lock exercise.
    assert_eq!(explained("clippy_lock"), ["await-holding-lock"]);
}

/// A learner who ends the guard with `drop(guard)` gets the same error, since the compiler and
/// clippy count a binding alive to the end of its block: the why must not offer `drop` as the fix.
#[test]
fn a_dropped_guard_is_told_that_drop_does_not_count() {
    assert_eq!(explained("guard_dropped"), ["guard-across-await"]);
    for explanation in [
        &GUARD_NOT_SEND,
        &RC_NOT_SEND,
        &NOT_SEND,
        &AWAIT_HOLDING_LOCK,
    ] {
        let text = explanation.text.to_lowercase();
        assert!(
            text.contains("{ }` block") && text.contains("drop("),
            "{}: {}",
            explanation.id,
            explanation.text
        );
        assert!(
            !text.contains("drop the guard before"),
            "{}",
            explanation.text
        );
        assert!(!text.contains("drop it before"), "{}", explanation.text);
    }
}

#[test]
fn summaries_are_dropped() {
    // Each recording has a "For more information" note; only the error itself remains.
    assert_eq!(recorded("e0308").len(), 1);
}

fn runtime(output: &str, verdict: Verdict) -> Vec<&'static str> {
    let mut report = Report::new();
    report.verdict = verdict;
    report.output = output.to_owned();
    explain(&report).iter().map(|e| e.id).collect()
}

#[test]
fn runtime_mistakes() {
    let failed = || Verdict::TestsFailed(vec!["t".into()]);
    // Panic messages as printed by tokio 1.54.
    let no_reactor = "thread 'main' panicked at src/main.rs:1:21:\nthere is no reactor running, must be called from the context of a Tokio 1.x runtime";
    assert_eq!(runtime(no_reactor, failed()), ["no-runtime"]);
    let nested = "panicked at tokio-1.54.1/src/runtime/scheduler/multi_thread/mod.rs:89:9:\nCannot start a runtime from within a runtime. This happens because a function (like `block_on`) attempted to block the current thread";
    assert_eq!(runtime(nested, failed()), ["nested-runtime"]);
    // A fn made async that still builds (and drops) a runtime it no longer uses.
    let dropped = "panicked at tokio-1.54.1/src/runtime/blocking/shutdown.rs:51:21:\nCannot drop a runtime in a context where blocking is not allowed. This happens when a runtime is dropped from within an asynchronous context.";
    assert_eq!(runtime(dropped, failed()), ["runtime-dropped-in-async"]);
    let local =
        "`spawn_local` called from outside of a `task::LocalSet` or `runtime::LocalRuntime`";
    assert_eq!(runtime(local, failed()), ["spawn-local-outside-localset"]);
    // `blocking_recv` on a runtime thread (the shipped receiver_stream_live).
    let blocking = "panicked at exercises/13_streams/receiver_stream_live.rs:20:69:\nCannot block the current thread from within a runtime. This happens because a function attempted to block the current thread while the thread is being used to drive asynchronous tasks.";
    assert_eq!(runtime(blocking, failed()), ["blocking-in-runtime"]);
    // A `borrow_mut()` kept across an await while another local task borrows (spawn_local_rc).
    let refcell = "---- tests::t stdout ----\n\nthread 'tests::t' panicked at exercises/09_local_tasks/spawn_local_rc.rs:28:41:\nRefCell already borrowed\n\nfailures:\n";
    assert_eq!(runtime(refcell, failed()), ["refcell-borrow-across-await"]);
    // `Handle::block_on` in `spawn_blocking`, still running as the test's runtime shut down
    // (rc_across_await); a runtime built without `enable_time` (async_main_runtime).
    let shut = "panicked at tokio-1.54.1/src/runtime/time/entry.rs:534:9:\nA Tokio 1.x context was found, but it is being shutdown.";
    assert_eq!(runtime(shut, failed()), ["runtime-shut-down"]);
    let no_time = "panicked at src/main.rs:9:5:\nA Tokio 1.x context was found, but timers are disabled. Call `enable_time` on the runtime builder to enable timers.";
    assert_eq!(runtime(no_time, failed()), ["driver-disabled"]);
    let no_io = "A Tokio 1.x context was found, but IO is disabled. Call `enable_io` on the runtime builder to enable IO.";
    assert_eq!(runtime(no_io, failed()), ["driver-disabled"]);
    // A test's own runtime without a timer, on which the tasks panic on purpose: the test's
    // own message is another (spawn_and_await's `a_failed_task_gives_no_number`).
    let tasks_failed = "---- tests::a_failed_task_gives_no_number stdout ----\n\nthread 'tokio-runtime-worker' panicked at src/main.rs:9:5:\nA Tokio 1.x context was found, but timers are disabled. Call `enable_time` on the runtime builder to enable timers.\nthread 'tests::a_failed_task_gives_no_number' panicked at src/main.rs:40:13:\nfetch_both gave (0, 0): a number was made up\n\nfailures:\n";
    assert!(runtime(tasks_failed, failed()).is_empty());
    let own = "---- tests::t stdout ----\n\nthread 'tests::t' panicked at src/main.rs:9:5:\nA Tokio 1.x context was found, but timers are disabled. Call `enable_time` on the runtime builder to enable timers.\n\nfailures:\n";
    assert_eq!(runtime(own, failed()), ["driver-disabled"]);
    assert_eq!(
        runtime("running 1 test\n", Verdict::TimedOut(DEFAULT)),
        ["timeout"]
    );
    let passed = "running 1 test\ntest t ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 10.10s\n";
    assert_eq!(
        runtime(passed, Verdict::TimedOut(DEFAULT)),
        ["timeout-after-passing"]
    );
    // A panic the test's own thread caught, then its own message (countdown_future polls a
    // future with no runtime around, and tells a `tokio::spawn` in `poll` in its own words).
    let caught = "---- tests::t stdout ----\n\nthread 'tests::t' (7) panicked at tokio-1.54.1/src/runtime/context.rs:1:1:\nthere is no reactor running, must be called from the context of a Tokio 1.x runtime\nthread 'tests::t' (7) panicked at src/main.rs:40:13:\npoll started a task\n\nfailures:\n";
    assert!(runtime(caught, failed()).is_empty());
    // Not caught: the test's last panic, or another thread's.
    let last = "---- tests::t stdout ----\n\nthread 'tests::t' (7) panicked at src/main.rs:40:13:\nfirst\nthread 'tests::t' (7) panicked at tokio-1.54.1/src/runtime/context.rs:1:1:\nthere is no reactor running, must be called from the context of a Tokio 1.x runtime\n\nfailures:\n";
    assert_eq!(runtime(last, failed()), ["no-runtime"]);
    let worker = "---- tests::t stdout ----\n\nthread 'tokio-runtime-worker' (8) panicked at src/main.rs:9:5:\nRefCell already borrowed\nthread 'tests::t' (7) panicked at src/main.rs:40:13:\ncalled `Result::unwrap()` on an `Err` value: JoinError::Panic(..)\n\nfailures:\n";
    assert_eq!(runtime(worker, failed()), ["refcell-borrow-across-await"]);
    // A passing run explains nothing, whatever it printed.
    assert!(runtime(no_reactor, Verdict::Passed).is_empty());
}

const DEFAULT: std::time::Duration = std::time::Duration::from_secs(10);

/// An error in the tests (below the marker) comes from a signature the learner changed: it is
/// told so, and not to add an `.await` to a call it may not edit.
#[test]
fn an_error_in_the_tests_says_to_keep_the_signatures() {
    let mut report = Report::new();
    report.verdict = Verdict::CompileFailed;
    report.diagnostics = recorded("e0308");
    let (file, line) = report.diagnostics[0].primary.clone().unwrap();
    assert_eq!((file.to_str(), line), (Some("src/bin/e0308.rs"), 3));
    assert_eq!(
        explain(&report).iter().map(|e| e.id).collect::<Vec<_>>(),
        ["missing-await"]
    );
    report.diagnostics[0].in_tests = true;
    let ids = |report: &Report| explain(report).iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids(&report), ["error-in-tests"]);
    // An error of the code above the tests as well: the shipped code's own mistake reaches
    // into the tests (as in std_guard_not_send), so no signature is blamed.
    report.diagnostics.extend(recorded("e0308"));
    assert_eq!(ids(&report), ["missing-await"]);
    // An error in the tests that has an explanation of its own gets that one only: the trait
    // of trait_future_send must change, not be put back.
    report.diagnostics = recorded("trait_send");
    report
        .diagnostics
        .iter_mut()
        .for_each(|d| d.in_tests = true);
    assert_eq!(ids(&report), ["trait-future-not-send"]);
}

/// A `{` left open above the tests: rustc points at the file's last line, in the tests, and the
/// learner was told to put back a signature they never changed.
#[test]
fn an_unclosed_brace_is_not_blamed_on_the_tests() {
    assert_eq!(
        explained_with_tests("unclosed_delimiter", |_| true),
        ["unclosed-delimiter"]
    );
}

/// Both `StreamExt` traits imported: `filter` is ambiguous (E0034), which had no line.
#[test]
fn two_stream_ext_traits_are_named() {
    assert_eq!(explained("e0034_two_streamext"), ["two-traits-one-method"]);
}
