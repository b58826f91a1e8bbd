// missed_wakeup
//
// `Mailbox` holds at most one message, shared between tasks: `put` stores a message, and
// `recv()` returns a hand-written future that completes with the message once it is there.
//
// When the box is empty, `poll` answers `Poll::Pending` but leaves the waker nowhere, so when
// `put` arrives later it has nobody to wake: the runtime never polls the future again and the
// tests hang. Keep a clone of the waker in the shared state so that `put` can wake the
// waiting task. (Waking yourself at every poll is not a fix: that is a busy loop.)

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Inner {
    message: Option<String>,
    waker: Option<Waker>,
    polls: usize,
}

#[derive(Clone, Default)]
pub struct Mailbox {
    inner: Arc<Mutex<Inner>>,
}

impl Mailbox {
    pub fn put(&self, message: String) {
        let waker = {
            let mut inner = self.inner.lock().unwrap();
            inner.message = Some(message);
            inner.waker.take()
        };
        // Wake after unlocking, so the woken task does not find the lock still held.
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    pub fn recv(&self) -> Recv {
        Recv {
            mailbox: self.clone(),
        }
    }

    /// How many times a `Recv` future of this mailbox was polled.
    pub fn polls(&self) -> usize {
        self.inner.lock().unwrap().polls
    }
}

pub struct Recv {
    mailbox: Mailbox,
}

impl Future for Recv {
    type Output = String;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<String> {
        let mut inner = self.mailbox.inner.lock().unwrap();
        inner.polls += 1;
        match inner.message.take() {
            Some(message) => Poll::Ready(message),
            None => {
                // TODO: who will tell the runtime to poll this future again?
                Poll::Pending
            }
        }
    }
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Context;
    use std::task::Poll;
    // Imported here too, so that a fix which no longer names `Waker` above still compiles.
    use std::sync::Arc;
    use std::task::{Wake, Waker};
    use tokio::task::yield_now;

    /// A waker that only counts how often it is woken.
    #[derive(Default)]
    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl CountingWaker {
        fn woken(&self) -> usize {
            self.0.load(Ordering::SeqCst)
        }
    }

    /// A Tokio runtime to enter while polling by hand. It never runs: a `tokio::spawn` in `poll`
    /// does not panic, and `spawned_nothing` tells the learner what that task is.
    fn idle_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap()
    }

    fn spawned_nothing(runtime: &tokio::runtime::Runtime) {
        let tasks = runtime.metrics().num_alive_tasks();
        assert_eq!(
            tasks, 0,
            "poll spawned {tasks} Tokio task(s) while the box was empty, to wake the waker later \
             (on a timer, or from a task of its own): only put() should wake it. Leave a clone of \
             cx.waker() in the mailbox instead"
        );
    }

    #[test]
    fn put_wakes_the_waker_of_the_latest_poll() {
        // Drive `poll` by hand, the way a runtime does. A future may be polled with a new waker
        // (for instance after it moved to another task): `put` must wake the latest one.
        let runtime = idle_runtime();
        let _inside = runtime.enter();
        let mailbox = Mailbox::default();
        let mut recv = pin!(mailbox.recv());
        let (first, second) = (
            Arc::new(CountingWaker::default()),
            Arc::new(CountingWaker::default()),
        );
        let first_waker = Waker::from(Arc::clone(&first));
        let second_waker = Waker::from(Arc::clone(&second));

        let poll = recv.as_mut().poll(&mut Context::from_waker(&first_waker));
        assert_eq!(
            poll,
            Poll::Pending,
            "the mailbox is empty, so Recv must be Pending"
        );
        assert_eq!(
            first.woken(),
            0,
            "Recv woke its own waker at its first poll, while the box was still empty (with \
             wake_by_ref, or through a timer that was already due): waking yourself at every \
             Pending is a busy loop. Leave the waker where put() will find it, and let only put() \
             wake it"
        );
        spawned_nothing(&runtime);
        let poll = recv.as_mut().poll(&mut Context::from_waker(&second_waker));
        assert_eq!(poll, Poll::Pending, "the mailbox is still empty");
        let (first_woken, second_woken) = (first.woken(), second.woken());
        assert_eq!(
            second_woken, 0,
            "Recv woke its own waker while the box was still empty (at the second poll): that is \
             a busy loop. Leave the waker where put() will find it instead"
        );
        assert_eq!(
            first_woken, 0,
            "the first poll's waker was woken {first_woken} time(s) by the second poll, while the \
             box was still empty: only put() should wake a waker. Replace the old waker without \
             waking it, and start no thread or timer in poll that wakes it later"
        );

        mailbox.put("late".to_string());
        assert_eq!(
            second.woken(),
            1,
            "put() did not wake the waker of the latest poll: every Pending must leave a clone of \
             cx.waker() in the mailbox, replacing the one from an earlier poll"
        );
        assert_eq!(
            first.woken(),
            0,
            "put() woke the waker of an earlier poll too: keep only the latest waker, replacing \
             the old one, not a list of them that grows with every poll of the same future"
        );
        // Held now by `first` and `first_waker` only: the mailbox let go of it at the second poll.
        let holders = Arc::strong_count(&first) - 2;
        assert_eq!(
            holders, 0,
            "after put(), {holders} clone(s) of the first poll's waker are still held: \
             the mailbox should have replaced it with the second one, and nothing else (a thread \
             or timer started in poll, to wake it later) should keep one"
        );
        let poll = recv.as_mut().poll(&mut Context::from_waker(&second_waker));
        assert_eq!(
            poll,
            Poll::Ready("late".to_string()),
            "after put(), Recv is Ready"
        );
        // Nothing but put() may wake a waker: not a thread or a timer started by poll.
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(
            (first.woken(), second.woken()),
            (0, 1),
            "a waker was woken by something other than put() (a thread or timer started in poll \
             wakes it later, even when no message came): only put() should wake it"
        );
    }

    #[test]
    fn a_receiver_that_gives_up_leaves_the_waiting_ones_waker() {
        // Two receivers wait on one mailbox, and the first gives up (it is dropped, as a
        // `timeout` or a `select!` around `recv()` drops it) after the second has polled: the
        // mailbox holds the second one's waker, and put() must still wake it.
        let runtime = idle_runtime();
        let _inside = runtime.enter();

        // First, one receiver alone: put() must wake it (the other tests say more about this).
        let control = Mailbox::default();
        let alone = Arc::new(CountingWaker::default());
        let alone_waker = Waker::from(Arc::clone(&alone));
        let mut recv = pin!(control.recv());
        let poll = recv.as_mut().poll(&mut Context::from_waker(&alone_waker));
        assert!(
            poll.is_pending(),
            "the mailbox is empty, so Recv must be Pending"
        );
        control.put("alone".to_string());
        assert_eq!(
            alone.woken(),
            1,
            "put() did not wake the receiver waiting on the mailbox (once): every Pending must \
             leave a clone of cx.waker() in the mailbox, where put() takes it and wakes it"
        );

        let mailbox = Mailbox::default();
        let (early, late) = (
            Arc::new(CountingWaker::default()),
            Arc::new(CountingWaker::default()),
        );
        let early_waker = Waker::from(Arc::clone(&early));
        let late_waker = Waker::from(Arc::clone(&late));
        let mut gives_up = Box::pin(mailbox.recv());
        let mut waits = pin!(mailbox.recv());
        let poll = gives_up
            .as_mut()
            .poll(&mut Context::from_waker(&early_waker));
        assert!(
            poll.is_pending(),
            "the mailbox is empty, so Recv must be Pending"
        );
        let poll = waits.as_mut().poll(&mut Context::from_waker(&late_waker));
        assert!(poll.is_pending(), "the mailbox is still empty");
        drop(gives_up);
        mailbox.put("for the one still waiting".to_string());
        let (early_woken, late_woken) = (early.woken(), late.woken());
        assert_eq!(
            late_woken, 1,
            "two receivers waited on one mailbox; the first was dropped (as a `timeout` or a \
             `select!` around `recv()` drops a receiver that gives up), then put() woke the \
             second one, whose poll was the latest, {late_woken} time(s) instead of once (and \
             the dropped one {early_woken} time(s)): the receiver still waiting would sleep \
             forever with its message in the box. A Recv that is dropped may take back its own \
             waker, never one that another receiver left (a `Drop` for Recv that clears the \
             mailbox's waker whoever left it, or puts an older one back, takes the waiting \
             receiver's away): simplest is to leave the waker there for put()"
        );
        assert_eq!(
            waits.as_mut().poll(&mut Context::from_waker(&late_waker)),
            Poll::Ready("for the one still waiting".to_string()),
            "after put(), the receiver still waiting is Ready with the message"
        );
    }

    #[test]
    fn each_mailbox_wakes_its_own_receiver() {
        // Two mailboxes, a receiver waiting on each: a message in one wakes only its receiver.
        let runtime = idle_runtime();
        let _inside = runtime.enter();
        let (a, b) = (Mailbox::default(), Mailbox::default());
        let (mut recv_a, mut recv_b) = (pin!(a.recv()), pin!(b.recv()));
        let (woken_a, woken_b) = (
            Arc::new(CountingWaker::default()),
            Arc::new(CountingWaker::default()),
        );
        let waker_a = Waker::from(Arc::clone(&woken_a));
        let waker_b = Waker::from(Arc::clone(&woken_b));
        let poll_a = recv_a.as_mut().poll(&mut Context::from_waker(&waker_a));
        let poll_b = recv_b.as_mut().poll(&mut Context::from_waker(&waker_b));
        assert!(
            poll_a.is_pending() && poll_b.is_pending(),
            "both mailboxes are empty, so both Recv must be Pending"
        );
        spawned_nothing(&runtime);
        assert_eq!(
            (woken_a.woken(), woken_b.woken()),
            (0, 0),
            "a Recv woke its own waker at its first poll, while its box was still empty (with \
             wake_by_ref, or through a timer that was already due): waking yourself at every \
             Pending is a busy loop. Leave the waker where put() will find it, and let only put() \
             wake it"
        );

        a.put("for a".to_string());
        let (a_woken, b_woken) = (woken_a.woken(), woken_b.woken());
        assert!(
            (a_woken, b_woken) != (0, 0),
            "put() on mailbox a woke nobody: each Pending must leave a clone of cx.waker() in \
             the mailbox, where put() takes it and wakes it"
        );
        assert_eq!(
            (a_woken, b_woken),
            (1, 0),
            "put() on mailbox a woke the receiver waiting on a {a_woken} time(s) and the one \
             waiting on b {b_woken} time(s), instead of once and never: each Pending must leave \
             its waker in that mailbox's own Inner (not in a place that all mailboxes share)"
        );
        b.put("for b".to_string());
        let (a_woken, b_woken) = (woken_a.woken(), woken_b.woken());
        assert_eq!(
            (a_woken, b_woken),
            (1, 1),
            "put() on mailbox b must wake the receiver waiting on b, once: the receivers on a \
             and b were woken {a_woken} and {b_woken} time(s) in all"
        );
        assert_eq!(
            recv_a.as_mut().poll(&mut Context::from_waker(&waker_a)),
            Poll::Ready("for a".to_string())
        );
        assert_eq!(
            recv_b.as_mut().poll(&mut Context::from_waker(&waker_b)),
            Poll::Ready("for b".to_string())
        );
    }

    #[test]
    fn one_mailbox_serves_receiver_after_receiver() {
        // One mailbox, used for 1500 messages in turn (some of them empty: "" is a message too),
        // each awaited by a new receiver polled by hand: Pending while the box is empty, woken
        // once by put(), then Ready. However long the mailbox has been in use.
        let runtime = idle_runtime();
        let _inside = runtime.enter();
        let mailbox = Mailbox::default();
        for round in 0..1500 {
            let message = if round % 10 == 3 {
                String::new()
            } else {
                format!("message {round}")
            };
            let woken = Arc::new(CountingWaker::default());
            let waker = Waker::from(Arc::clone(&woken));
            let mut recv = pin!(mailbox.recv());
            let poll = recv.as_mut().poll(&mut Context::from_waker(&waker));
            assert!(
                poll.is_pending(),
                "the mailbox is empty (its {round} earlier messages were all received), so the \
                 Recv of the next one must be Pending"
            );
            assert_eq!(
                woken.woken(),
                0,
                "one mailbox had carried {round} messages (its receivers polled {} times in \
                 all), and the Recv waiting for the next one woke its own waker while the box \
                 was empty: waking yourself is a busy loop, however long the mailbox has been \
                 in use. Leave a clone of cx.waker() in the mailbox at every Pending, and let \
                 only put() wake it",
                2 * round
            );
            mailbox.put(message.clone());
            let times = woken.woken();
            if message.is_empty() {
                assert_eq!(
                    times, 1,
                    "put(String::new()) (an empty message, after {round} others in one mailbox) \
                     woke the waiting receiver {times} time(s), not once: an empty String is a \
                     message like any other, so put() stores it and wakes the waiter whatever \
                     the text"
                );
            } else {
                assert_eq!(
                    times, 1,
                    "put() of the message {message:?} (one mailbox had carried {round} before) \
                     woke the waiting receiver {times} time(s), not once: every Pending must \
                     leave a clone of cx.waker() in the mailbox, however long it has been in \
                     use, and put() takes it and wakes it"
                );
            }
            let poll = recv.as_mut().poll(&mut Context::from_waker(&waker));
            assert_eq!(
                poll,
                Poll::Ready(message.clone()),
                "after put({message:?}), the waiting Recv must be Ready with that message"
            );
        }
        spawned_nothing(&runtime);
    }

    #[tokio::test]
    async fn message_already_there() {
        let mailbox = Mailbox::default();
        mailbox.put("early".to_string());
        assert_eq!(mailbox.recv().await, "early");
        assert_eq!(
            mailbox.polls(),
            1,
            "the message was already there, so one poll should be enough"
        );
    }

    /// Spawns a task that awaits `recv`, counting the task's polls here, on the test's side
    /// (not with `mailbox.polls()`, which the code above keeps).
    fn spawn_counted(recv: Recv) -> (tokio::task::JoinHandle<String>, Arc<AtomicUsize>) {
        let polled = Arc::new(AtomicUsize::new(0));
        let waiting = tokio::spawn({
            let polled = Arc::clone(&polled);
            async move {
                let mut recv = pin!(recv);
                std::future::poll_fn(|cx| {
                    polled.fetch_add(1, Ordering::SeqCst);
                    recv.as_mut().poll(cx)
                })
                .await
            }
        });
        (waiting, polled)
    }

    /// What to add when `mailbox.polls()` counted fewer polls than the test did.
    fn uncounted(counted: usize, polls: usize) -> String {
        if counted < polls {
            format!(
                " (mailbox.polls() says {counted}: the code counts only some of its polls; \
                 leave `inner.polls += 1` at every poll, as it was)"
            )
        } else {
            String::new()
        }
    }

    #[tokio::test]
    async fn message_put_by_another_task() {
        let mailbox = Mailbox::default();
        let (waiting, polled) = spawn_counted(mailbox.recv());
        // Give the waiting task a few turns before the message arrives: a task that nobody
        // woke is not polled in them, one that woke itself is polled at each.
        for _ in 0..5 {
            yield_now().await;
        }
        let before_put = polled.load(Ordering::SeqCst);
        mailbox.put("hello".to_string());
        let message = waiting.await.expect("the receiving task panicked");
        assert_eq!(message, "hello");
        let (polls, counted) = (polled.load(Ordering::SeqCst), mailbox.polls());
        assert!(
            polls <= 2,
            "the task awaiting recv() was polled {polls} times (counted by the test, around \
             Recv::poll), {before_put} of them while the box was empty and the test gave the \
             runtime 5 turns (yield_now) before put(){}: it should be polled once while the box \
             is empty and once after put() woke it. Something wakes it while the box is empty \
             (cx.waker().wake_by_ref() in poll, even for a few polls only, or only inside a Tokio \
             task): that is a busy loop. Leave a clone of cx.waker() in the mailbox and let only \
             put() wake it",
            uncounted(counted, polls)
        );
        assert!(
            counted <= 2,
            "Recv was polled {counted} times: it should be polled once while the box is empty \
             and once after put() woke it. Waking yourself at every poll is a busy loop"
        );
    }

    #[tokio::test]
    async fn a_waiting_task_sleeps_while_the_clock_runs() {
        // Nobody puts a message for 100 ms of the real clock (not paused here). One poll while
        // the box is empty, two per 20 ms of the code's own (a progress timer that wakes the
        // task) and two to spare are allowed before put().
        let mailbox = Mailbox::default();
        let (waiting, polled) = spawn_counted(mailbox.recv());
        let start = std::time::Instant::now();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let waited = start.elapsed();
        let before_put = polled.load(Ordering::SeqCst);
        mailbox.put("late".to_string());
        let message = waiting.await.expect("the receiving task panicked");
        assert_eq!(message, "late");
        let allowed = 3 + 2 * (waited.as_millis() / 20) as usize;
        let counted = mailbox.polls();
        assert!(
            before_put <= allowed,
            "the task awaiting recv() was polled {before_put} times (counted by the test, around \
             Recv::poll) in the {waited:?} before put(), while the box was empty and the clock ran \
             (one poll, two per 20 ms for a progress timer and two to spare are allowed: \
             {allowed}){}: something wakes it while the box is empty (cx.waker().wake_by_ref() in \
             poll, a short timer, or only when the clock is not paused): that is a busy loop. \
             Leave a clone of cx.waker() in the mailbox and let only put() wake it",
            uncounted(counted, polled.load(Ordering::SeqCst))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_receiver_sleeps_until_put() {
        // Nobody puts a message for a second of the paused clock, which moves on whenever the
        // runtime has nothing to do: a timer started in poll goes off again and again. One
        // poll while the box is empty, one after put(), two per 20 ms of the code's own (a
        // progress timer that wakes the task) and two to spare are allowed; the receiver is
        // stopped after that.
        let allowed = 4 + 2 * (1000 / 20);
        let mailbox = Mailbox::default();
        let recv = mailbox.recv();
        let waiting = tokio::spawn(async move {
            let mut recv = pin!(recv);
            let mut polls = 0;
            std::future::poll_fn(|cx| {
                polls += 1;
                if polls > allowed {
                    return Poll::Ready(None);
                }
                recv.as_mut().poll(cx).map(Some)
            })
            .await
        });
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        mailbox.put("late".to_string());
        let message = waiting.await.expect("the receiving task panicked");
        assert!(
            message.is_some(),
            "Recv was polled more than {allowed} times while the box was empty (put() came \
             only after 1 s; one poll while the box is empty, one after put() and two per 20 \
             ms for a progress message are allowed): something wakes it on a short timer (a \
             Tokio sleep polled in poll?) or at every poll. Leave a clone of cx.waker() in the \
             mailbox and let only put() wake it"
        );
        assert_eq!(message.as_deref(), Some("late"));
    }

    /// put() wakes the waiting task itself, so the task gets the message at the moment of
    /// put() on the paused clock (which stands still while a woken task waits for its turn).
    /// A timer that looks in the box now and then sees it only at its next tick: Tokio's
    /// timers go off on whole milliseconds, and here put() comes 1 s 7.5 ms after recv()
    /// began. (A progress timer of the code's own may wake the task too.)
    #[tokio::test(start_paused = true)]
    async fn put_wakes_the_waiting_task_at_once() {
        // As many polls as a_waiting_receiver_sleeps_until_put allows: that test judges more.
        let allowed = 4 + 2 * (1000 / 20);
        let start = tokio::time::Instant::now();
        let mailbox = Mailbox::default();
        let recv = mailbox.recv();
        let waiting = tokio::spawn(async move {
            let mut recv = pin!(recv);
            let mut polls = 0;
            std::future::poll_fn(|cx| {
                polls += 1;
                if polls > allowed {
                    return Poll::Ready(None);
                }
                recv.as_mut()
                    .poll(cx)
                    .map(|message| Some((message, tokio::time::Instant::now())))
            })
            .await
        });
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        tokio::time::advance(std::time::Duration::from_micros(7_500)).await;
        let put_at = tokio::time::Instant::now();
        mailbox.put("late".to_string());
        // A receiving task that panicked, or was polled too often, is judged by other tests.
        let Ok(Some((message, received_at))) = waiting.await else {
            return;
        };
        if message != "late" {
            return;
        }
        assert!(
            received_at == put_at,
            "put() came {:?} after recv() began (on the test's paused clock), but the task \
             awaiting recv() got the message only {:?} after put(), when a timer went off: \
             put() woke nobody, and the receiver looked in the box again on a timer. In a Tokio \
             task too, every Pending must leave a clone of cx.waker() in the mailbox, where \
             put() takes it and wakes it at once (a progress timer may wake the task as well, \
             but the message must not wait for it)",
            put_at.saturating_duration_since(start),
            received_at.saturating_duration_since(put_at)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn recv_waits_as_long_as_it_takes() {
        // Nobody puts a message for a minute of the paused clock (which moves on whenever the
        // runtime has nothing to do), then the clock moves on by a day at once
        // (`tokio::time::advance`), and only then comes put(): a receiver waits for its
        // message, however long that takes.
        let start = tokio::time::Instant::now();
        let minute = std::time::Duration::from_secs(60);
        let mailbox = Mailbox::default();
        let put_yet = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let recv = mailbox.recv();
        let waiting = tokio::spawn({
            let put_yet = Arc::clone(&put_yet);
            async move {
                let mut recv = pin!(recv);
                let mut polls = 0;
                std::future::poll_fn(|cx| {
                    polls += 1;
                    // Woken this often, it is woken on a short timer or at every poll:
                    // a_waiting_receiver_sleeps_until_put judges that, not this test.
                    if polls > 20_000 {
                        return Poll::Ready(None);
                    }
                    recv.as_mut().poll(cx).map(|message| {
                        Some((message, put_yet.load(Ordering::SeqCst), start.elapsed()))
                    })
                })
                .await
            }
        });
        tokio::time::sleep(minute).await;
        tokio::time::advance(std::time::Duration::from_secs(24 * 60 * 60)).await;
        // Lets the receiver run, if a timer that was due in that day woke it.
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        put_yet.store(true, Ordering::SeqCst);
        mailbox.put("late".to_string());
        let Ok(received) = waiting.await else {
            // The receiving task panicked (a safety net of the code's own, say): that is loud,
            // not a made-up message.
            return;
        };
        let Some((message, after_put, took)) = received else {
            return;
        };
        if !after_put {
            let when = if took <= minute {
                format!("after {took:?} (on the test's paused clock)")
            } else {
                "when the test moved its paused clock on by a day at once (with \
                 `tokio::time::advance`, a minute after recv() began)"
                    .to_string()
            };
            panic!(
                "recv() returned {message:?} {when}, before any message was put (put(\"late\") \
                 came only after that day): a receiver waits until a message is there, however \
                 long that takes. Whatever wakes it before put(), it answers Poll::Pending while \
                 the box is empty"
            );
        }
        assert_eq!(
            message, "late",
            "recv() returned {message:?} after put(\"late\"), which came a day and a minute \
             after recv() began: a receiver gives the message that was put"
        );
    }

    /// A waker that counts nothing, and whose last clone, when the mailbox drops it (replacing
    /// it with a newer waker), stops the thread that drops it until the test lets it go on. It
    /// holds a poll in the middle, where it stores its waker, so that put() can come right then.
    struct StallsWhenDropped {
        entered: std::sync::mpsc::Sender<bool>,
        release: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
    }

    impl Wake for StallsWhenDropped {
        fn wake(self: Arc<Self>) {}
    }

    impl Drop for StallsWhenDropped {
        fn drop(&mut self) {
            let _ = self.entered.send(true);
            if let Ok(release) = self.release.lock() {
                let _ = release.recv_timeout(std::time::Duration::from_secs(5));
            }
        }
    }

    #[test]
    fn a_put_while_a_receiver_is_polled_is_not_lost() {
        // On a multi-thread runtime, put() runs on one thread while the receiver is polled on
        // another. Here the receiver's second poll (with a new waker) is held in the middle,
        // as it lets go of the old waker, and put() comes right then, on a third thread.
        let (entered_tx, entered) = std::sync::mpsc::channel();
        let (release, release_rx) = std::sync::mpsc::channel();
        let (put_done, put_done_rx) = std::sync::mpsc::channel::<()>();
        let second_polled = entered_tx.clone();
        let mailbox = Mailbox::default();
        let receiver = {
            let mailbox = mailbox.clone();
            std::thread::spawn(move || {
                let runtime = idle_runtime();
                let _inside = runtime.enter();
                let mut recv = Box::pin(mailbox.recv());
                let first = Waker::from(Arc::new(StallsWhenDropped {
                    entered: entered_tx,
                    release: std::sync::Mutex::new(release_rx),
                }));
                let empty = recv.as_mut().poll(&mut Context::from_waker(&first));
                drop(first);
                let second = Waker::from(Arc::new(CountingWaker::default()));
                let polled = recv.as_mut().poll(&mut Context::from_waker(&second));
                let _ = second_polled.send(false);
                if polled.is_ready() {
                    // put() came while the poll was held, and the poll found the message.
                    return (empty, polled);
                }
                let _ = put_done_rx.recv_timeout(std::time::Duration::from_secs(2));
                (empty, recv.as_mut().poll(&mut Context::from_waker(&second)))
            })
        };
        // `true` if the second poll is held where it lets go of the old waker, `false` if it
        // returned without letting go of it there.
        let held = entered
            .recv_timeout(std::time::Duration::from_secs(2))
            .unwrap_or(false);
        if !held {
            let _ = release.send(());
        }
        let putter = {
            let mailbox = mailbox.clone();
            std::thread::spawn(move || {
                let runtime = idle_runtime();
                let _inside = runtime.enter();
                mailbox.put("late".to_string());
            })
        };
        if held {
            // Time for put() to reach the mailbox while the poll is held.
            std::thread::sleep(std::time::Duration::from_millis(100));
            let _ = release.send(());
        }
        let put = putter.join();
        let _ = put_done.send(());
        let (empty, got) = receiver.join().expect("a poll of Recv panicked");
        assert!(
            put.is_ok(),
            "put() panicked when it came while a receiver's poll was storing its waker (see the \
             panic above): on a multi-thread runtime put() and a poll run at the same time, so \
             put() finds the mailbox busy now and then. Wait for it (`lock()`), do not fail"
        );
        assert_eq!(
            empty,
            Poll::Pending,
            "nothing was put yet, so Recv must be Pending"
        );
        assert_eq!(
            got,
            Poll::Ready("late".to_string()),
            "put(\"late\") came while a receiver's poll was storing its waker, and returned; \
             polled again, Recv gave {got:?}: the message was lost. On a multi-thread runtime \
             put() and a poll run at the same time, so put() finds the mailbox busy now and \
             then: it must wait for the lock (`lock()`), not give up or drop the message \
             (`try_lock()`)"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_messages_between_threads() {
        let mailbox = Mailbox::default();
        for round in 0..50 {
            let sender = mailbox.clone();
            let put = tokio::spawn(async move {
                yield_now().await;
                sender.put(format!("message {round}"));
            });
            assert_eq!(mailbox.recv().await, format!("message {round}"));
            put.await.expect("the sending task panicked");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_receiver_on_a_worker_thread_sleeps_until_put() {
        // The receiving task runs on a worker thread of a multi-thread runtime (the test's own
        // body does not), and nobody puts a message for about 20 ms of the real clock. One poll
        // while the box is empty, two per 20 ms of the code's own (a progress timer that wakes
        // the task) and two to spare are allowed before put().
        let mailbox = Mailbox::default();
        let (waiting, polled) = spawn_counted(mailbox.recv());
        let first_poll = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while polled.load(Ordering::SeqCst) == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            }
        })
        .await;
        assert!(
            first_poll.is_ok(),
            "the task awaiting recv() on a worker thread was not polled once in 10 s"
        );
        let start = std::time::Instant::now();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let before_put = polled.load(Ordering::SeqCst);
        let waited = start.elapsed();
        mailbox.put("late".to_string());
        let allowed = 3 + 2 * (waited.as_millis() / 20) as usize;
        let counted = mailbox.polls();
        assert!(
            before_put <= allowed,
            "the task awaiting recv() on a worker thread of a multi-thread runtime was polled \
             {before_put} times (counted by the test, around Recv::poll) while nothing arrived \
             for {waited:?} (one poll, two per 20 ms for a progress timer and two to spare are \
             allowed: {allowed}){}: it wakes itself (cx.waker().wake_by_ref(), here on a worker \
             thread) instead of storing the waker for the sender to wake. That is a busy loop, \
             on any runtime and any thread: leave a clone of cx.waker() in the mailbox and let \
             only put() wake it",
            uncounted(counted, before_put)
        );
        let received = tokio::time::timeout(std::time::Duration::from_secs(10), waiting).await;
        let Ok(message) = received else {
            panic!(
                "put() came, but the task awaiting recv() on a worker thread did not get the \
                 message within 10 s: put() woke nobody. Every Pending must leave a clone of \
                 cx.waker() in the mailbox, where put() takes it and wakes it"
            );
        };
        assert_eq!(message.expect("the receiving task panicked"), "late");
    }
}
