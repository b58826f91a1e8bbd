// dyn_async_trait
//
// Alerts go out through several kinds of notifier (e-mail, chat, ...), each a type that
// implements `Notifier`. The dispatcher keeps them all in one list of trait objects,
// `Vec<Box<dyn Notifier + Send + Sync>>`, and runs as a background task that sends every alert
// through all the notifiers at the same time.
//
// It does not compile (E0038): `Notifier` cannot be made into a `dyn Notifier`, because its
// method is `async`. Every `async fn` returns a future of its own, unnamed type, and a call
// through `dyn Notifier` must know what type it gets back.
//
// Keep the list of boxed notifiers and the background task. Give `notify` one return type that
// fits every notifier: a boxed future.

use std::pin::Pin;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::sleep;

/// The one future type of every notifier: on the heap, `Send` so that the dispatcher task can
/// move between threads, and borrowing `self` and the alert for `'a`.
pub type Notify<'a> = Pin<Box<dyn Future<Output = String> + Send + 'a>>;

pub trait Notifier {
    fn notify<'a>(&'a self, alert: &'a str) -> Notify<'a>;
}

pub struct Email {
    pub to: String,
    pub latency: Duration,
}

impl Notifier for Email {
    fn notify<'a>(&'a self, alert: &'a str) -> Notify<'a> {
        Box::pin(async move {
            sleep(self.latency).await;
            format!("mail to {}: {alert}", self.to)
        })
    }
}

pub struct Chat {
    pub room: String,
    pub latency: Duration,
}

impl Notifier for Chat {
    fn notify<'a>(&'a self, alert: &'a str) -> Notify<'a> {
        Box::pin(async move {
            sleep(self.latency).await;
            format!("#{}: {alert}", self.room)
        })
    }
}

pub type Notifiers = Vec<Box<dyn Notifier + Send + Sync>>;

/// Sends each alert through every notifier, all at the same time, until the channel closes;
/// then returns every notifier's receipt, in order.
pub fn start_dispatcher(
    notifiers: Notifiers,
    mut alerts: mpsc::Receiver<String>,
) -> JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        let mut receipts = Vec::new();
        while let Some(alert) = alerts.recv().await {
            let sends = notifiers.iter().map(|notifier| notifier.notify(&alert));
            receipts.extend(join_all(sends).await);
        }
        receipts
    })
}

#[tokio::main]
async fn main() {
    let notifiers: Notifiers = vec![
        Box::new(Email {
            to: "oncall@example.com".to_string(),
            latency: Duration::from_millis(40),
        }),
        Box::new(Chat {
            room: "ops".to_string(),
            latency: Duration::from_millis(10),
        }),
    ];
    let (tx, rx) = mpsc::channel(8);
    let dispatcher = start_dispatcher(notifiers, rx);
    tx.send("disk full".to_string()).await.unwrap();
    drop(tx);
    for receipt in dispatcher.await.unwrap() {
        println!("{receipt}");
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::sync::mpsc;
    use tokio::time::Instant;

    fn email(to: &str, ms: u64) -> Box<Email> {
        Box::new(Email {
            to: to.to_string(),
            latency: Duration::from_millis(ms),
        })
    }

    fn chat(room: &str, ms: u64) -> Box<Chat> {
        Box::new(Chat {
            room: room.to_string(),
            latency: Duration::from_millis(ms),
        })
    }

    async fn dispatch(notifiers: Notifiers, alerts: &[&str]) -> Vec<String> {
        let (tx, rx) = mpsc::channel(8);
        let dispatcher = start_dispatcher(notifiers, rx);
        for alert in alerts {
            tx.send(alert.to_string()).await.unwrap();
        }
        drop(tx);
        dispatcher.await.expect("the dispatcher task failed")
    }

    /// A signal that comes after `secs` seconds of real time.
    fn seconds_from_now(secs: u64) -> (tokio::sync::oneshot::Receiver<()>, u64) {
        let (stuck_tx, stuck) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(secs));
            let _ = stuck_tx.send(());
        });
        (stuck, secs)
    }

    /// Awaits `work` (the dispatcher's), which on the test's paused clock ends at once in real
    /// time, and stops the test with a message if it has not ended when `stuck` comes.
    async fn watched_until<F: Future>(
        work: F,
        (stuck, secs): (tokio::sync::oneshot::Receiver<()>, u64),
    ) -> F::Output {
        let start = Instant::now();
        // Kept (not dropped) while the test looks at the clock: dropping it would drop the
        // alerts' Sender and end the dispatcher's loop.
        let mut work = std::pin::pin!(work);
        tokio::select! {
            done = &mut work => done,
            _ = stuck => {
                let moved = start.elapsed();
                assert!(
                    !moved.is_zero(),
                    "the dispatcher had not finished after {secs} s of real time, and the test's \
                     paused clock stood still: it keeps the runtime busy without ever waiting \
                     (a loop of `try_recv`, `now_or_never` or `poll`, with `yield_now`), so no \
                     timer can run. Wait with `.await`: `alerts.recv().await` for the next \
                     alert, and the notifiers' futures together (`join_all`): the task then \
                     sleeps until an alert comes or a notifier is ready"
                );
                // Does the clock still move? A 1 ms sleep of the paused clock ends as soon as
                // the runtime has nothing to run; a dispatcher that keeps it busy (yield_now in
                // a loop) holds it until the real-time signal, 200 ms later. `work` (with the
                // alerts' Sender in it) is still alive, so the dispatcher's loop goes on.
                let (still_tx, still) = tokio::sync::oneshot::channel();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_millis(200));
                    let _ = still_tx.send(());
                });
                let stood_still = tokio::select! {
                    () = tokio::time::sleep(Duration::from_millis(1)) => false,
                    _ = still => true,
                };
                assert!(
                    !stood_still,
                    "the dispatcher had not finished after {secs} s of real time, in which the \
                     test's paused clock moved {moved:?} and then stood still: from then on it \
                     kept the runtime busy without ever waiting (a loop of `try_recv`, \
                     `now_or_never` or `poll`, with `yield_now`, on the alerts channel or on the \
                     notifiers' futures), so no timer could run. Wait with `.await`: \
                     `alerts.recv().await` for the next alert, and the notifiers' futures \
                     together (`join_all`)"
                );
                panic!(
                    "the dispatcher had not finished after {secs} s of real time, in which the \
                     test's paused clock moved only {moved:?}: it wakes up again and again (a \
                     check on a timer of a millisecond or so, then `now_or_never` or `poll`), \
                     and a notifier that takes long makes that many checks. Await the \
                     notifiers' futures together (`join_all`): the task then sleeps until one \
                     of them is ready"
                )
            }
        }
    }

    /// Awaits `work`, and stops the test with a message if it has not ended after a second of
    /// real time.
    async fn watched<F: Future>(work: F) -> F::Output {
        watched_until(work, seconds_from_now(1)).await
    }

    /// Compiles only if the future that `notify` returns, through the list's trait objects, is
    /// `Send`: the promise the dispatcher's task needs, since `tokio::spawn` may move a task to
    /// another thread. (A dispatcher moved to a thread or a runtime of its own, or to
    /// `spawn_local`, dodges the error but not the promise: put `Send` in the boxed future's
    /// type, `Pin<Box<dyn Future<Output = String> + Send + 'a>>`.) The future must also be a
    /// boxed future (`one_type_for_every_notifier` below).
    fn the_future_of_notify_is_send<'a>(
        notifiers: &'a Notifiers,
        alert: &'a str,
    ) -> impl Future<Output = String> + Send + 'a {
        one_type_for_every_notifier(notifiers[0].notify(alert))
    }

    /// Checks that `future`, what `notify` returns through the list's trait objects, is a boxed
    /// future of the receipt, which can hold whatever work a notifier does, and not a future
    /// type of the code's own that can only do what Email and Chat do (wait, then give a
    /// string). A boxed `dyn Future` is one pointer to the heap and one to the future's
    /// methods, two words; so is a type of the code's own that only wraps one, which is fine.
    /// A type that holds a notifier's work itself (a sleep, a receipt...) is bigger.
    fn one_type_for_every_notifier<F: Future<Output = String>>(future: F) -> F {
        let size = std::mem::size_of_val(&future);
        let boxed = std::mem::size_of::<std::pin::Pin<Box<dyn Future<Output = String> + Send>>>();
        assert!(
            size == boxed,
            "`notify`, called through the list of `dyn Notifier`, returned a `{}` of {size} \
             bytes, not a boxed future (a pointer to the heap and to the future's methods, \
             {boxed} bytes): a future type of your own that holds a notifier's work (a sleep, \
             a receipt...) does only the work written in it, and a new kind of notifier could \
             not do its own. Give `notify` the return type \
             `Pin<Box<dyn Future<Output = String> + Send + 'a>>` (or `BoxFuture<'a, String>`) \
             in the trait `Notifier`, and wrap each notifier's work in \
             `Box::pin(async move {{ ... }})` (a type of your own around that boxed future, \
             and nothing else, is fine too)",
            std::any::type_name::<F>()
        );
        future
    }

    /// Calls `notify` through the trait objects of the list and awaits what it returns: this
    /// compiles only if `notify` gives a future (of the receipt).
    #[tokio::test(start_paused = true)]
    async fn each_notifier_sends_through_its_own_future() {
        let notifiers: Notifiers = vec![email("ann@example.com", 100), chat("ops", 30)];
        assert_eq!(
            the_future_of_notify_is_send(&notifiers, "disk full").await,
            "mail to ann@example.com: disk full"
        );
        // `notify` is a method of the trait `Notifier`, which Email implements (not a method of
        // `dyn Notifier`'s own, with a trait that only has a latency and a receipt to give).
        let bob = email("bob@example.com", 20);
        let start = Instant::now();
        let receipt = <Email as Notifier>::notify(&bob, "cpu hot").await; // Notifier's method
        let took = start.elapsed();
        assert_eq!(receipt, "mail to bob@example.com: cpu hot");
        assert_eq!(
            took,
            Duration::from_millis(20),
            "awaiting the trait `Notifier`'s own `notify` for an Email with a latency of 20 ms \
             took {took:?}, not 20 ms: that method does not do the notifier's work (the wait, \
             then the receipt), so the list's notifiers do it some other way (a `notify` of a \
             `dyn` type's own?). Make `notify` in `Notifier`, which Email and Chat implement, \
             return the boxed future that does the whole work, and call that one through the \
             list"
        );
        let expected = [
            ("mail to ann@example.com: disk full", 100),
            ("#ops: disk full", 30),
        ];
        for (notifier, (receipt_expected, ms)) in notifiers.iter().zip(expected) {
            let start = Instant::now();
            let receipt = notifier.notify("disk full").await;
            let took = start.elapsed();
            assert_eq!(
                receipt, receipt_expected,
                "awaiting notify(\"disk full\") gave the wrong receipt"
            );
            assert_eq!(
                took,
                Duration::from_millis(ms),
                "awaiting notify for a notifier with a latency of {ms} ms took {took:?}: the \
                 future that notify returns must do the notifier's whole work, its wait \
                 included, so that the caller only has to await it"
            );
        }
    }

    /// A future does its work when it is awaited: calling `notify` and dropping what it
    /// returned, unawaited, must leave no task behind still sending the notification. (The
    /// tasks are counted after three turns in which no time passes: a task of notify's own that
    /// the drop stops, aborted by a `JoinSet` or an `AbortOnDropHandle`, has ended by then.)
    #[tokio::test(start_paused = true)]
    async fn notify_starts_no_task_of_its_own() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let notifiers: Notifiers = vec![email("ann@example.com", 100), chat("ops", 30)];
        let before = metrics.num_alive_tasks();
        for notifier in &notifiers {
            drop(notifier.notify("disk full"));
        }
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        let left = metrics.num_alive_tasks().saturating_sub(before);
        assert!(
            left == 0,
            "notify was called on 2 notifiers and what it returned was dropped without being \
             awaited, and {left} task(s) it started were still running after that: the \
             notification is sent by a task spawned in notify, which goes on when the caller \
             drops the future (after a time limit, say) and no longer waits to be awaited. Do \
             the work in the boxed future itself, `Box::pin(async move {{ ... }})`: it runs \
             when the future is awaited, and stops when it is dropped (a task of its own must \
             stop then too: abort it on drop, as a `JoinSet` does)"
        );
    }

    /// The list must stay one of trait objects that are called through `Notifier`: a list of
    /// `dyn Any` whose kinds the code finds again by downcasting knows only Email and Chat.
    #[test]
    fn the_list_holds_notifiers_not_any() {
        use std::any::{Any, TypeId};
        let list = TypeId::of::<Notifiers>();
        assert!(
            list != TypeId::of::<Vec<Box<dyn Any + Send + Sync>>>()
                && list != TypeId::of::<Vec<Box<dyn Any + Send>>>(),
            "`Notifiers` is a list of `Box<dyn Any>`, and `notify` is found by downcasting each \
             one to Email or Chat: every new kind of notifier would need that code changed. Keep \
             `Vec<Box<dyn Notifier + Send + Sync>>` and make `Notifier` dyn compatible: give \
             `notify` one return type for every notifier, a boxed future"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_alert_goes_through_every_notifier() {
        let notifiers: Notifiers = vec![email("ann@example.com", 100), chat("ops", 30)];
        let receipts = watched(dispatch(notifiers, &["disk full", "cpu hot"])).await;
        assert_eq!(
            receipts,
            [
                "mail to ann@example.com: disk full",
                "#ops: disk full",
                "mail to ann@example.com: cpu hot",
                "#ops: cpu hot",
            ],
            "each alert must go through every notifier, in the order of the list"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_dispatcher_with_no_notifiers_still_takes_the_alerts() {
        // A deployment may have no notifier set up yet: each alert then goes through nobody.
        let (tx, rx) = mpsc::channel(8);
        let dispatcher = start_dispatcher(Vec::new(), rx);
        for alert in ["disk full", "cpu hot"] {
            // A dispatcher that failed has dropped its receiver: the outcome below says so.
            let _ = tx.send(alert.to_string()).await;
        }
        drop(tx);
        let Ok(outcome) = tokio::time::timeout(Duration::from_secs(3600), dispatcher).await else {
            panic!(
                "with no notifier in the list (none set up yet), the dispatcher had not \
                 returned an hour (of the test's paused clock) after its alerts' channel closed: \
                 it waits for receipts that never come (`buffered(notifiers.len())` is \
                 `buffered(0)` then, which never starts a future). An alert sent through no \
                 notifier gives no receipt at once: `join_all` of no future is ready at once"
            );
        };
        match outcome {
            Ok(receipts) => assert!(
                receipts.is_empty(),
                "with no notifier in the list, 2 alerts gave the receipts {receipts:?}: an \
                 alert sent through nobody gives no receipt"
            ),
            Err(error) => panic!(
                "with no notifier in the list (none set up yet), the dispatcher task failed when \
                 the alerts came ({error}): a list may be empty, and then each alert goes \
                 through nobody and gives no receipt. Send each alert through all the notifiers \
                 of the list, however many (`join_all` of no future is ready at once, where \
                 `select_all` of none panics)"
            ),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_notifiers_of_one_alert_run_together() {
        // Prime numbers of ms: no timer of the dispatcher's own with a period over 1 ms is due
        // at the moment the slowest notifier is done, nor one that begins after a wait of its
        // own (the quick notifiers are all done in 13 ms).
        let slow: Notifiers = vec![
            chat("ops", 31),
            email("ann@example.com", 101),
            email("bob@example.com", 61),
            chat("dev", 83),
        ];
        let quick: Notifiers = vec![
            chat("ops", 7),
            email("ann@example.com", 13),
            chat("dev", 11),
        ];
        // 2 500 notifiers, the slow one last: however long the list, they all start at once (a
        // cap such as `buffered(4)`, or a list above some size sent one notifier after the
        // other, starts the last one only when an earlier one is done).
        let mut many: Notifiers = Vec::new();
        for n in 0..2_499 {
            many.push(chat(&format!("room{n}"), 7));
        }
        many.push(email("ann@example.com", 101));
        for (notifiers, slowest) in [(slow, 101), (quick, 13), (many, 101)] {
            let count = notifiers.len();
            let receipts_expected = 2 * notifiers.len();
            let start = Instant::now();
            let receipts = watched(dispatch(notifiers, &["disk full", "cpu hot"])).await;
            assert_eq!(
                receipts.len(),
                receipts_expected,
                "2 alerts make 2 receipts per notifier"
            );
            let took = start.elapsed();
            assert!(
                took >= Duration::from_millis(2 * slowest),
                "2 alerts through {count} notifiers were all done after {took:?}, though the \
                 slowest notifier takes {slowest} ms for each alert: the second alert went out \
                 before the first one's notifiers were all done (alerts taken two or more at a \
                 time, even with their receipts kept in order, overlap). Send the alerts one at \
                 a time, each through all the notifiers together, as they come"
            );
            assert_eq!(
                took,
                Duration::from_millis(2 * slowest),
                "2 alerts through {count} notifiers took {took:?}: the slowest notifier takes \
                 {slowest} ms, and the notifiers of one alert should all run at the same time, \
                 however many there are, each alert's receipts taken as soon as the last of them \
                 is ready (not on a timer of the dispatcher's own, nor after a wait of its own, \
                 nor a few notifiers at a time). A list of `notify` futures awaited one by one \
                 runs them one after the other: a future does nothing until it is polled (unlike \
                 a C# Task or a JavaScript Promise), so poll them together (`join_all`)"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_notifier_is_waited_for() {
        // An e-mail that takes 100 s (of paused time: the test takes none) to go out.
        let notifiers: Notifiers = vec![email("ann@example.com", 100_000), chat("ops", 31)];
        let (tx, rx) = mpsc::channel(8);
        let dispatcher = start_dispatcher(notifiers, rx);
        tx.send("disk full".to_string()).await.unwrap();
        drop(tx);
        // (A time limit that panics, as a safety net, is let be.) A progress message every 10 ms
        // makes 10 000 of them here: 3 s of real time leave room for them on a busy machine.
        if let Ok(receipts) = watched_until(dispatcher, seconds_from_now(3)).await {
            assert!(
                receipts.contains(&"mail to ann@example.com: disk full".to_string()),
                "for an e-mail that takes 100 s to go out and a chat message, the dispatcher \
                 returned {receipts:?}, without the e-mail's receipt: it gave up on the slow \
                 notifier (a time limit whose `Elapsed` becomes a receipt, or none?). Wait for \
                 every notifier, however long it takes (a time limit that panics, as a safety \
                 net, is fine)"
            );
        }
    }

    /// The second alert comes 150 ms after the first: each alert should go out as soon as it
    /// comes, not once the channel is closed.
    #[tokio::test(start_paused = true)]
    async fn each_alert_goes_out_as_it_comes() {
        let notifiers: Notifiers = vec![email("ann@example.com", 100)];
        let (tx, rx) = mpsc::channel(8);
        let start = Instant::now();
        let dispatcher = start_dispatcher(notifiers, rx);
        let receipts = watched(async move {
            tx.send("disk full".to_string()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(150)).await;
            tx.send("cpu hot".to_string()).await.unwrap();
            drop(tx);
            dispatcher.await
        })
        .await
        .expect("the dispatcher task failed");
        assert_eq!(
            receipts,
            [
                "mail to ann@example.com: disk full",
                "mail to ann@example.com: cpu hot",
            ],
            "each alert must go through every notifier"
        );
        let took = start.elapsed();
        // Waiting for the channel to close (at 150 ms) puts the alerts through from then on:
        // the last receipt at 250 ms at the earliest, 350 ms one alert after the other. A few
        // ms late is a dispatcher that saw the notifier end only at a later check.
        let why = if took >= Duration::from_millis(300) {
            "the dispatcher waited for the channel to close before sending the alerts: send \
             each alert through the notifiers as soon as `recv` gives it"
        } else if took > Duration::from_millis(250) {
            "the receipt came a little after the notifier had finished: the dispatcher saw it \
             done only at a later check (on a timer, then `now_or_never` or `poll`?). Await the \
             notifiers' futures together (`join_all`): the task wakes the moment one is ready"
        } else {
            "the notifier's wait was cut short: the future that notify returns must do the \
             notifier's whole work, its wait included"
        };
        assert_eq!(
            took,
            Duration::from_millis(250),
            "the first alert came at 0 ms and the second at 150 ms, each to one notifier with a \
             latency of 100 ms, so the last receipt should be ready at 250 ms, not {took:?}: \
             {why}"
        );
    }

    #[test]
    fn nothing_checks_the_notifiers_on_a_timer() {
        // The runtime notes each moment (of its paused clock) at which it goes idle: with
        // notifiers that are awaited together, that is the start and the moments notifiers end,
        // plus the runtime's own stops every 64 ms (where its timer wheel sorts the timers due
        // later), which are not counted.
        let idle_at = Arc::new(std::sync::Mutex::new(Vec::new()));
        let noted = Arc::clone(&idle_at);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .on_thread_park(move || noted.lock().unwrap().push(Instant::now()))
            .build()
            .unwrap();
        let ends = [31, 101, 61, 83];
        let (start, took) = runtime.block_on(async {
            let notifiers: Notifiers = vec![
                chat("ops", ends[0]),
                email("ann@example.com", ends[1]),
                email("bob@example.com", ends[2]),
                chat("dev", ends[3]),
            ];
            let start = Instant::now();
            let receipts = watched(dispatch(notifiers, &["disk full"])).await;
            assert_eq!(
                receipts.len(),
                4,
                "1 alert through 4 notifiers makes 4 receipts"
            );
            (start, start.elapsed())
        });
        drop(runtime);
        let mut extra: Vec<u128> = idle_at
            .lock()
            .unwrap()
            .iter()
            .filter(|at| **at > start && **at < start + took)
            .map(|at| (*at - start).as_millis())
            .filter(|ms| !ends.contains(&(*ms as u64)) && ms % 64 != 0)
            .collect();
        extra.dedup();
        // A progress message now and then is fine: one moment of the code's own per 10 ms (10
        // in 101 ms), and 2 more. (A timer that checks the notifiers must tick every 1 ms to see
        // the last one end at 101 ms: about 96 moments.)
        let allowed = (took.as_millis() / 10) as usize + 2;
        assert!(
            extra.len() <= allowed,
            "while the dispatcher sent one alert ({took:?} of the test's paused clock), the \
             runtime woke up at {} moments when no notifier had ended (the first ones, in ms: \
             {:?}): something looks at the notifiers' futures on a timer (a sleep or an \
             interval, then `now_or_never` or `poll`), or prints progress more often than every \
             10 ms. Await them together (`join_all`): the task is woken the moment one of them \
             is ready",
            extra.len(),
            &extra[..extra.len().min(5)]
        );
    }

    /// Runs a dispatcher on a runtime of its own on this thread, with 2 notifiers and `count`
    /// alerts. Returns how many of the heap allocations made meanwhile on this thread were never
    /// freed.
    fn allocations_a_dispatcher_keeps(count: usize) -> i64 {
        let stuck = seconds_from_now(1);
        let kept = allocation_counter::measure(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap();
            runtime.block_on(async {
                let notifiers: Notifiers = vec![email("ann@example.com", 100), chat("ops", 30)];
                let alerts: Vec<String> = (0..count).map(|n| format!("alert {n}")).collect();
                let alerts: Vec<&str> = alerts.iter().map(String::as_str).collect();
                let receipts = watched_until(dispatch(notifiers, &alerts), stuck).await;
                assert_eq!(
                    receipts.len(),
                    2 * count,
                    "one receipt per alert and notifier"
                );
            });
        });
        kept.count_current
    }

    #[test]
    fn the_alerts_and_the_notifiers_are_freed() {
        // The first runtime on a thread sets up a few things for good: not a leak.
        allocations_a_dispatcher_keeps(1);
        let kept = allocations_a_dispatcher_keeps(8);
        assert!(
            kept < 4,
            "after the dispatcher was done, {kept} allocations were still not freed: the alerts \
             or the notifiers were leaked (`Box::leak`, `String::leak`...) to make them live \
             for 'static. The boxed future may borrow them: give it their lifetime, as in \
             `fn notify<'a>(&'a self, alert: &'a str) -> Pin<Box<dyn Future<Output = String> \
             + Send + 'a>>`, or give it its own copies"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_repeated_alert_goes_out_each_time() {
        let notifiers: Notifiers = vec![email("ann@example.com", 100), chat("ops", 30)];
        let alerts = ["disk full", "disk full", "cpu hot", "disk full"];
        let receipts = watched(dispatch(notifiers, &alerts)).await;
        let expected: Vec<String> = alerts
            .iter()
            .flat_map(|alert| {
                [
                    format!("mail to ann@example.com: {alert}"),
                    format!("#ops: {alert}"),
                ]
            })
            .collect();
        let mut sorted_receipts = receipts.clone();
        let mut sorted_expected = expected.clone();
        sorted_receipts.sort();
        sorted_expected.sort();
        let seen = if receipts.len() != expected.len() {
            format!(
                "gave {} receipts, {receipts:?}, where {} were due: every alert that comes is \
                 sent through every notifier, repeats too",
                receipts.len(),
                expected.len()
            )
        } else if sorted_receipts == sorted_expected {
            format!(
                "gave the {} receipts that were due, but in another order, {receipts:?}: the \
                 receipts come alert after alert, and each alert's in the order of the list of \
                 notifiers (`join_all` keeps that order; a set or `FuturesUnordered` gives them \
                 as they finish)",
                receipts.len()
            )
        } else {
            format!(
                "gave the receipts {receipts:?}, where {expected:?} were due: every alert that \
                 comes is sent through every notifier, repeats too, alert after alert and in \
                 the order of the list"
            )
        };
        assert!(
            receipts == expected,
            "the alerts {alerts:?} (\"disk full\" twice in a row, and once more later) went to 2 \
             notifiers, and the dispatcher {seen}"
        );
    }

    /// A lost wake-up needs another thread at just the wrong moment, so no run can be sure to
    /// show it: this test reads the source. `notify_waiters` wakes only the `Notified` futures
    /// that already exist when it runs, so a `Notified` awaited right where it is made
    /// (`x.notified().await`, or `let n = x.notified(); n.await;`) was made after the count was
    /// last checked, and misses a wake-up that lands in between. Made first, then the count
    /// checked, then awaited (`let n = x.notified(); if done { .. } n.await;`), it misses none.
    #[test]
    fn the_dispatcher_cannot_miss_a_wakeup() {
        /// `code` without its comments, and with its string and char literals emptied.
        fn without_comments_and_strings(code: &str) -> String {
            let chars: Vec<char> = code.chars().collect();
            let mut out = String::new();
            let mut at = 0;
            while at < chars.len() {
                let rest = |at: usize, n: usize| chars.get(at + n).copied();
                match chars[at] {
                    '/' if rest(at, 1) == Some('/') => {
                        while at < chars.len() && chars[at] != '\n' {
                            at += 1;
                        }
                    }
                    '/' if rest(at, 1) == Some('*') => {
                        let mut depth = 0;
                        while at < chars.len() {
                            if chars[at] == '/' && rest(at, 1) == Some('*') {
                                depth += 1;
                                at += 2;
                            } else if chars[at] == '*' && rest(at, 1) == Some('/') {
                                depth -= 1;
                                at += 2;
                                if depth == 0 {
                                    break;
                                }
                            } else {
                                at += 1;
                            }
                        }
                        out.push(' ');
                    }
                    'r' if (rest(at, 1) == Some('"') || rest(at, 1) == Some('#'))
                        && !out.ends_with(|c: char| c.is_alphanumeric() || c == '_') =>
                    {
                        let hashes = chars[at + 1..].iter().take_while(|c| **c == '#').count();
                        if rest(at, 1 + hashes) != Some('"') {
                            out.push('r');
                            at += 1;
                            continue;
                        }
                        let closing = format!("\"{}", "#".repeat(hashes));
                        let body: String = chars[at + 2 + hashes..].iter().collect();
                        at = body.find(&closing).map_or(chars.len(), |end| {
                            at + 2 + hashes + body[..end].chars().count() + 1 + hashes
                        });
                        out.push_str("\"\"");
                    }
                    '"' => {
                        at += 1;
                        while at < chars.len() && chars[at] != '"' {
                            at += if chars[at] == '\\' { 2 } else { 1 };
                        }
                        at += 1;
                        out.push_str("\"\"");
                    }
                    '\'' if rest(at, 1) == Some('\\') => {
                        at += 2;
                        while at < chars.len() && chars[at] != '\'' {
                            at += 1;
                        }
                        at += 1;
                        out.push_str("' '");
                    }
                    '\'' if rest(at, 2) == Some('\'') => {
                        at += 3;
                        out.push_str("' '");
                    }
                    c => {
                        out.push(c);
                        at += 1;
                    }
                }
            }
            out
        }

        let source = include_str!("dyn_async_trait.rs");
        let code = source
            .split("\n// Tests: do not edit below this line.")
            .next()
            .unwrap_or(source);
        let code = without_comments_and_strings(code);
        let mut tokens: Vec<String> = Vec::new();
        let mut word = String::new();
        for c in code.chars() {
            if c.is_alphanumeric() || c == '_' {
                word.push(c);
                continue;
            }
            if !word.is_empty() {
                tokens.push(std::mem::take(&mut word));
            }
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
        }
        tokens.push(word);
        let is = |at: usize, expected: &[&str]| {
            tokens.len() >= at + expected.len()
                && expected.iter().zip(&tokens[at..]).all(|(e, t)| e == t)
        };
        if !tokens.iter().any(|t| t == "notify_waiters") {
            return;
        }
        // The names `.notify_waiters()` and `.notify_one()` are called on. A Notify woken only
        // with notify_one keeps a permit for a waiter yet to come: a `x.notified().await` on
        // such a name (one notify_waiters is never called on) misses nothing.
        let receivers_of = |method: &str| -> Vec<&str> {
            (2..tokens.len())
                .filter(|&at| tokens[at] == method && tokens[at - 1] == ".")
                .map(|at| tokens[at - 2].as_str())
                .collect()
        };
        let waiters_woken = receivers_of("notify_waiters");
        let one_woken = receivers_of("notify_one");
        let on_a_permit_notify = |named: usize| {
            tokens[named - 1] == "."
                && tokens[named - 2]
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_')
                && one_woken.contains(&tokens[named - 2].as_str())
                && !waiters_woken.contains(&tokens[named - 2].as_str())
        };
        /// Whether the future that the call at `named` makes (`x.notified()`, or a fn of the
        /// code's own that returns one) is awaited before anything is checked: in the same
        /// expression (`.await`, a `select!` arm, an argument), or in the statements after
        /// `let n = ...;` up to the first one that checks something (`if`, `while`, `match`,
        /// `break`, `return`, `?`). `depth` is how many such fns deep it may follow calls.
        fn awaited_before_a_check(tokens: &[String], named: usize, depth: usize) -> bool {
            let is = |at: usize, expected: &[&str]| {
                tokens.len() >= at + expected.len()
                    && expected.iter().zip(&tokens[at..]).all(|(e, t)| e == t)
            };
            // The token after the `)` that closes the call.
            let mut open = 0;
            let Some(next) = (named + 1..tokens.len()).find_map(|i| {
                match tokens[i].as_str() {
                    "(" => open += 1,
                    ")" if open == 1 => return Some(i + 1),
                    ")" => open -= 1,
                    _ => {}
                }
                None
            }) else {
                return false;
            };
            if is(next, &[".", "await"]) {
                return true;
            }
            let start = tokens[..named]
                .iter()
                .rposition(|t| t == ";" || t == "{" || t == "}")
                .map_or(0, |p| p + 1);
            // The tail of a fn of the code's own (`fn bell(n: &Notify) -> Notified<'_> {
            // n.notified() }`): what counts is where the fn's calls are awaited.
            let fn_at = tokens[..start].iter().rposition(|t| t == "fn");
            let tail_of = fn_at.filter(|&at| {
                start > 0
                    && tokens[start - 1] == "{"
                    && is(next, &["}"])
                    && !tokens[at..start - 1]
                        .iter()
                        .any(|t| t == "{" || t == "}" || t == ";")
            });
            if let Some(at) = tail_of {
                let name = &tokens[at + 1];
                return depth > 0
                    && (1..tokens.len()).any(|call| {
                        &tokens[call] == name
                            && is(call + 1, &["("])
                            && tokens[call - 1] != "fn"
                            && awaited_before_a_check(tokens, call, depth - 1)
                    });
            }
            if !is(start, &["let"]) {
                // Made where no `let` keeps it: a `select!` arm, an argument, `(..).await`.
                return true;
            }
            // The end of the statement at `from`: its `;`, the `}` that closes a block it
            // opened (an `if`, a `loop`), or the `}` that closes the block around it.
            let statement_end = |from: usize| -> usize {
                let mut open = 0;
                for (i, token) in tokens.iter().enumerate().skip(from) {
                    match token.as_str() {
                        "(" | "[" | "{" => open += 1,
                        "}" if open == 0 => return i,
                        "}" if open == 1 => return i + 1,
                        ")" | "]" | "}" => open -= 1,
                        ";" if open == 0 => return i + 1,
                        _ => {}
                    }
                }
                tokens.len()
            };
            let end = statement_end(start);
            if tokens[start..end].iter().any(|t| t == "await") {
                return true;
            }
            let name_at = if is(start + 1, &["mut"]) {
                start + 2
            } else {
                start + 1
            };
            let name = &tokens[name_at];
            if !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                return false;
            }
            let checks = [
                "if", "while", "match", "else", "?", "break", "return", "continue",
            ];
            let mut at = end;
            while at < tokens.len() && tokens[at] != "}" {
                let end = statement_end(at).max(at + 1);
                let statement = &tokens[at..end];
                let used = statement.iter().position(|t| t == name);
                let before_use = &statement[..used.unwrap_or(statement.len())];
                if before_use.iter().any(|t| checks.contains(&t.as_str())) {
                    return false;
                }
                // Awaited (`n.await`, or handed to a macro such as `select!`) before a check.
                if used.is_some_and(|used| {
                    statement[used..].iter().any(|t| t == "await")
                        || statement.iter().any(|t| t == "!")
                }) {
                    return true;
                }
                at = end;
            }
            false
        }
        let awaited_where_made = (1..tokens.len()).any(|named| {
            ["notified", "notified_owned"].contains(&tokens[named].as_str())
                && [".", ":"].contains(&tokens[named - 1].as_str())
                && is(named + 1, &["("])
                && !on_a_permit_notify(named)
                && awaited_before_a_check(&tokens, named, 2)
        });
        assert!(
            !awaited_where_made,
            "the dispatcher awaits a Notified made after it checked how many notifiers are \
             still sending (`.notified().await`, or `let n = ...notified(); n.await;`), beside \
             a `notify_waiters`: notify_waiters wakes only the Notified futures that already \
             exist, so on a multi-thread runtime the last send can end between that check and \
             the `notified()`, wake nobody, and leave the dispatcher waiting for ever. Await \
             the sends themselves (join_all of the boxed futures, or each task's JoinHandle), \
             or make the Notified first, then check, then await it"
        );
    }
}
