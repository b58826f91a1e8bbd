//! The `why:` lines: one short explanation of an async mistake each, in the learner's terms.

use super::Explanation;

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
    text: "An `async move` block (or a `move` closure) took it, so it is gone for the code \
           after it, and for the next task of a loop. Give each task a clone of its own, made \
           just before it and under the same name: `let tx = tx.clone();` (for an `Arc` or an \
           `Rc`: `let shared = Rc::clone(&shared);`). The block then takes the clone.",
};
pub const MOVED_INTO_CALL: Explanation = Explanation {
    id: "moved-into-call",
    text: "A call took it: an argument passed by value is moved into the function, so it is gone \
           for the code after the call (and for the next turn of a loop). Pass each call a clone \
           of its own: `f(log.clone())` (for an `Arc` or a `Sender`, a new handle to the same \
           value), or make the parameter a reference if the function only reads it.",
};
pub const UNSAFE_FORBIDDEN: Explanation = Explanation {
    id: "unsafe-forbidden",
    text: "The exercises forbid `unsafe` code on purpose. An `unsafe impl Send` (or `Sync`) or an \
           `unsafe` block is a promise the compiler cannot check, and here it would hide the very \
           bug the lesson is about. Fix the code instead: make what the task holds `Send` \
           (`Arc` for an `Rc`, a guard or an `Rc` ended before the `.await`); pin a future with \
           `tokio::pin!`, `std::pin::pin!` or `Box::pin`, and reach the fields of an `Unpin` \
           struct through `Pin::get_mut` (no `Pin::new_unchecked` or `get_unchecked_mut`).",
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
pub const PAUSED_CLOCK_ONE_THREAD: Explanation = Explanation {
    id: "paused-clock-one-thread",
    text: "Tokio's clock can be paused only on the current-thread runtime, the one \
           `#[tokio::test]` starts by default, and `worker_threads` is only for the multi-thread \
           one: `start_paused = true` goes with neither `flavor = \"multi_thread\"` nor \
           `worker_threads`. To pause the clock, leave both out; a test that needs several \
           threads runs on the real clock.",
};
pub const WATCH_REF_NOT_SEND: Explanation = Explanation {
    id: "watch-ref-across-await",
    text: "A `watch::Ref` (what `borrow()`, `borrow_and_update()` and `wait_for()` give) is alive \
           across an `.await`: it holds the channel's lock (a `std::sync::RwLock` read guard), so \
           the task cannot move between threads, and no sender could send meanwhile. Copy out \
           what you need (`*rx.borrow()`) and let it go before awaiting. In a `select!`, the \
           value a branch matched (`_ = rx.wait_for(..)` too) lives through the branch's body: \
           end the `select!` there (return a value from the branch) and await after it.",
};
pub const RWLOCK_GUARD_NOT_SEND: Explanation = Explanation {
    id: "rwlock-guard-across-await",
    text: "A `std::sync::RwLock` guard is alive across an `.await`, so the task cannot move \
           between threads. If the lock must stay held while awaiting (a reader that keeps the \
           value while it works), use `tokio::sync::RwLock` (`.read().await`, `.write().await`); \
           otherwise end the guard before awaiting, in a `{ }` block of its own (`drop(guard)` \
           does not count).",
};
pub const CLOSURE_NOT_GENERAL: Explanation = Explanation {
    id: "closure-not-general",
    text: "rustc could not prove that the future works for every lifetime of a borrow that a \
           closure inside it takes (`items.iter().map(|x| x.call())`, kept lazy in an iterator or \
           a stream across an `.await`). It is a known limit of the compiler, not a mistake in \
           the logic. Make the futures first and keep them in a `Vec` (`let calls: Vec<_> = \
           items.iter().map(..).collect();`), or write the loop with `for`.",
};
pub const SEND_NOT_GENERAL: Explanation = Explanation {
    id: "send-not-general",
    text: "rustc could not prove the future `Send` for every lifetime of a borrow held across an \
           `.await` inside it (the type the note names). It is a known limit of the compiler, \
           met mostly with async closures (`async |line| ..`, `AsyncFnMut`) and with helpers \
           generic over a closure that returns a future, not a mistake in the logic. Write the \
           loop's body inline in the async fn, or call an `async fn` helper with the values it \
           needs: rustc then sees the future whole and can prove it `Send`.",
};
pub const RC_NOT_SEND: Explanation = Explanation {
    id: "rc-across-await",
    text: "An `Rc` (or `RefCell` borrow) is alive across an `.await`, so the task cannot move \
           between threads. If the code already runs inside a `LocalSet` (its `run_until`, as in \
           lesson 09), keep the `Rc` and start the task with `spawn_local`, which needs no \
           `Send`. Otherwise use `Arc`, or end the `Rc` before the await in a `{ }` block of its \
           own (`drop(rc)` does not count).",
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
pub const NOT_UNPIN: Explanation = Explanation {
    id: "not-unpin",
    text: "`next()` on a stream (or a `select!` on `&mut` a future) needs a value that may move \
           (`Unpin`), and this one is not: it holds a future or a timer (an async fn's future, \
           a `Sleep`) that must stay in place once polled. Pin it first, where it is made: `let mut s = std::pin::pin!(s);` (or \
           `tokio::pin!(s);`), then use `s` as before.",
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
pub const RUNTIME_DROPPED_IN_ASYNC: Explanation = Explanation {
    id: "runtime-dropped-in-async",
    text: "A Tokio runtime that your code built was dropped inside async code: dropping one \
           waits for its threads to stop, which would block the thread your async code runs on. \
           Code that is already async needs no runtime of its own, even an unused one: remove \
           the `Runtime::new()` (or `Builder`) and `.await` the future instead.",
};
pub const BLOCK_IN_PLACE: Explanation = Explanation {
    id: "block-in-place-current-thread",
    text: "`block_in_place` needs the multi-threaded runtime, and this one has a single thread \
           (a `#[tokio::test]` does unless it says `flavor = \"multi_thread\"`). A wait \
           (`std::thread::sleep`) becomes `tokio::time::sleep(..).await`; work that must block \
           (heavy CPU work, a blocking call) goes to `spawn_blocking`. If it only blocks on a \
           future (`Handle::block_on`) inside async code, `.await` the future.",
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
    text: "`spawn_local` only works while a `LocalSet` runs. In an async function, make one there \
           and run the code that spawns and awaits the tasks inside it: \
           `LocalSet::new().run_until(async { ... }).await`. A function that hands back a task \
           still running (a `JoinHandle` for its caller) cannot: make what the task holds \
           `Send` (`Arc` for an `Rc`) and use `tokio::spawn`.",
};
pub const REFCELL_BORROW_ACROSS_AWAIT: Explanation = Explanation {
    id: "refcell-borrow-across-await",
    text: "A `RefCell` was borrowed while an earlier borrow of it was still alive. In async code \
           that is mostly a `borrow_mut()` (or `borrow()`) kept across an `.await`, while another \
           task on the thread borrows it too: end the borrow before the `.await` (in a `{ }` \
           block, or take what you need out first) and borrow again after it.",
};
pub const BLOCKING_IN_RUNTIME: Explanation = Explanation {
    id: "blocking-in-runtime",
    text: "A blocking call (`blocking_recv`, `blocking_send`, `blocking_lock`...) ran on a thread \
           of the runtime, the thread that must also run what it waits for. In async code, await \
           the async version instead: `recv().await`, or, for a oneshot receiver, the receiver \
           itself (`rx.await`).",
};
pub const UNCLOSED_DELIMITER: Explanation = Explanation {
    id: "unclosed-delimiter",
    text: "A `{`, `(` or `[` in your code is never closed, so rustc read on to the end of the \
           file before it gave up: the tests are fine. The place marked \"unclosed delimiter\" \
           is the one that lacks its closing partner; close it where its item ends.",
};
pub const TWO_TRAITS_ONE_METHOD: Explanation = Explanation {
    id: "two-traits-one-method",
    text: "Two traits in scope give this method (often `tokio_stream::StreamExt` and \
           `futures_util::StreamExt`, which share `filter`, `map`, `next`...): keep one of the \
           two `use` lines, or call the method through its trait as rustc shows.",
};
pub const ERROR_IN_TESTS: Explanation = Explanation {
    id: "error-in-tests",
    text: "This error is in the tests, which may not change: they use your code by the names, \
           parameters and types the exercise gave it (or asks for). If you changed one of those \
           (a parameter's type, `async` added or taken away, a trait's method), make it fit what \
           the tests expect again (the error says what that is) and change what the code does \
           instead.",
};
pub const TESTS_MODULE_TAKEN: Explanation = Explanation {
    id: "tests-module-taken",
    text: "The exercise's tests live in `mod tests`, below the `// Tests:` line, so a module of \
           your own above it cannot have that name too. Your own tests are welcome: give their \
           module another name (`mod my_tests`).",
};
pub const TIMED_OUT: Explanation = Explanation {
    id: "timeout",
    text: "The tests never finished: a deadlock (a lock held across `.await`), a blocking call \
           that stops the runtime's thread, a busy loop that never yields, a channel whose \
           sender is never dropped so `recv()` waits forever, or a loop that sleeps until a \
           condition that never comes true (on a paused clock each `sleep` ends at once, and \
           none ends while a `spawn_blocking` job runs: a job that waits for a task's timer, \
           through a std channel say, waits forever).",
};

pub const TIMED_OUT_AFTER_PASSING: Explanation = Explanation {
    id: "timeout-after-passing",
    text: "Every test reported `ok`, but the run went on past its time limit, so it is no pass: \
           the tests were slow, not stuck (a timer firing every few milliseconds through the \
           tests' paused waits, or a loop that only yields). Make it do less and save again.",
};
pub const BORROW_INTO_TASK: Explanation = Explanation {
    id: "borrow-into-task",
    text: "The task holds a borrow of a local (`&x`, `x.iter()`, or a value made from one, such as \
           a permit from `semaphore.acquire()`): `async move` moves the borrow, not the value, \
           and a spawned task must own all it holds (`'static`). If only this task needs the \
           value, move the value itself in (use `x`, or `x.into_iter()`, inside the `async move` \
           block). If several tasks share it, make it an `Arc` once and move an `Arc::clone` \
           into each task (for a permit: `Arc::clone(&semaphore).acquire_owned()`).",
};
pub const CLOSURE_NOT_STATIC: Explanation = Explanation {
    id: "closure-not-static",
    text: "The closure is kept after the current function returns (it is given to `spawn_blocking` \
           or `std::thread::spawn`, or to a stream or future that a task owns), so it must own \
           everything it uses (`'static`). Write `move |..| ...` to move the data in (move in a \
           clone if the code after it needs the data too), or share it with `Arc` and move a \
           clone in.",
};
pub const LOCAL_SET_NOT_SEND: Explanation = Explanation {
    id: "local-set-not-send",
    text: "A `LocalSet` is not `Send` (its tasks stay on one thread), so neither is a future \
           that keeps one across an `.await`, such as `local.run_until(..).await`; \
           `tokio::spawn` needs a `Send` future, and this one is spawned where rustc points. A \
           `LocalSet` is for tasks that hold what cannot cross threads (an `Rc`): tasks that \
           can are started with `tokio::spawn`.",
};
pub const CLOSURE_NOT_SEND: Explanation = Explanation {
    id: "closure-not-send",
    text: "The closure runs on another thread (`spawn_blocking`, `std::thread::spawn`), so all it \
           takes must be `Send`, and an `Rc` or a `RefCell` borrow is not. Move in the owned data \
           it needs (a `String`, a `Vec`) or an `Arc`, and hand its result back through the \
           `JoinHandle`; an `Rc` stays on its own thread (a `LocalSet`'s `spawn_local`).",
};
pub const AWAIT_HANDLE_BY_REF: Explanation = Explanation {
    id: "await-handle-by-ref",
    text: "Awaiting a `JoinHandle` takes it (its output can be had once), so a shared `&handle` \
           cannot be awaited. Await the handles themselves (`for handle in handles`, not \
           `&handles`; `handles.drain(..)` keeps the `Vec`), or `&mut handle`.",
};
pub const CLOSURE_NOT_FUTURE: Explanation = Explanation {
    id: "closure-not-future",
    text: "A closure is not a future, even one that returns an async block (`|| async { .. }`): \
           call it to get the future (`make().await`), or write the async block on its own \
           (`async move { .. }`), which is a future.",
};
pub const FN_NOT_CALLED: Explanation = Explanation {
    id: "fn-not-called",
    text: "That is the async fn itself, not a call of it. Call it with its arguments, then await \
           the future the call returns: `load(name).await`.",
};
pub const STD_LOCK_NOT_ASYNC: Explanation = Explanation {
    id: "std-lock-not-async",
    text: "A `std::sync` lock is not async: `lock()` waits on the spot and returns a `Result`, \
           with nothing to await. Drop the `.await` and take the guard with `.unwrap()`, ending \
           it before any `.await` (in a `{ }` block of its own), or use `tokio::sync::Mutex`, \
           whose `lock().await` gives the guard.",
};
pub const NOT_A_FUTURE: Explanation = Explanation {
    id: "not-a-future",
    text: "`.await` applies to a future (an async fn's call, an `async { }` block, a \
           `JoinHandle`), and this value is not one. If it is the output you wanted, remove the \
           `.await` (`join!` and `select!` await their futures themselves); if its work should \
           wait for this `.await`, make it a future: write `async` before a plain block.",
};
pub const EXTENSION_TRAIT: Explanation = Explanation {
    id: "extension-trait",
    text: "Tokio's I/O and stream methods come from extension traits, usable only once imported: \
           `use tokio::io::{AsyncReadExt, AsyncWriteExt, AsyncBufReadExt};` (`read_exact`, \
           `write_all`, `flush`, `read_line`, `lines`), and one `StreamExt` for `next`: \
           `tokio_stream::StreamExt`, or `futures_util::StreamExt`, which also has \
           `buffer_unordered` and `enumerate` (in place of the other: both make `next` \
           ambiguous). Import the trait that rustc names, by its public path: \
           `futures_util::StreamExt`, not `futures_util::stream::stream::StreamExt`.",
};
pub const FUTURE_EXT: Explanation = Explanation {
    id: "future-ext",
    text: "Future adapters such as `fuse`, `boxed`, `then` and `now_or_never` come from the \
           `FutureExt` extension trait, usable only once imported by its public path: \
           `use futures_util::FutureExt;` (rustc may suggest a private one). Imported and still \
           missing (`remote_handle`, `shared`): that method needs a futures-util feature this \
           course does not turn on; a `JoinHandle` or a channel does the same. If you meant a \
           method of the future's output, await first: `fetch().await.then(..)`.",
};
pub const STREAM_EXT_PRIVATE_PATH: Explanation = Explanation {
    id: "stream-ext-private-path",
    text: "The path rustc suggested for `StreamExt` goes through a private module; the same \
           trait is public as `futures_util::StreamExt`. Import it by that path, in place of \
           `tokio_stream::StreamExt` if you have it (both make `next` ambiguous).",
};
pub const ONESHOT_RECV: Explanation = Explanation {
    id: "oneshot-recv",
    text: "A oneshot `Receiver` has no `recv()`: it is a future itself. Await it: \
           `let reply = rx.await;` (an `Err` means the sender was dropped without an answer).",
};
pub const RWLOCK_LOCK: Explanation = Explanation {
    id: "rwlock-lock",
    text: "An `RwLock` has two kinds of lock, and no `lock()`: `read()` for a shared guard, many \
           at once, and `write()` for the one guard that may change the value.",
};
pub const JOIN_ERROR_METHOD: Explanation = Explanation {
    id: "join-error-method",
    text: "Awaiting a `JoinHandle` gives a `Result<T, JoinError>`; `is_panic()` and \
           `is_cancelled()` belong to the `JoinError` in its `Err`: \
           `match handle.await { Ok(v) => .., Err(e) if e.is_panic() => .., Err(e) => .. }`.",
};
pub const FUTURES_CRATE: Explanation = Explanation {
    id: "futures-crate",
    text: "The course has `futures_util`, not the `futures` crate: write `futures_util::` where \
           the code says `futures::` (`futures_util::future::join_all`, `futures_util::StreamExt`, \
           `futures_util::join!`). Do not `cargo add` it: every exercise shares the course's \
           Cargo.toml, and the tests are built with the crates it has.",
};
pub const NOT_IN_SCOPE: Explanation = Explanation {
    id: "not-in-scope",
    text: "That name is not in scope: bring it in with a `use` line at the top of the file, or \
           write its full path. Those this course uses: `std::sync::Arc`, \
           `tokio::task::{JoinSet, LocalSet, spawn_local}`, `tokio::time::{sleep, timeout}`, \
           `tokio_stream::wrappers::ReceiverStream`, `tokio_util::sync::CancellationToken`, and \
           the macros `tokio::join!` and `tokio::select!`.",
};
