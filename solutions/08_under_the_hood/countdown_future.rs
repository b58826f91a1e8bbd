// countdown_future
//
// `Countdown` is a future written by hand, without `async`. Polled with `left` = n, it answers
// `Poll::Pending` n times, each time asking the runtime (through the waker) to poll it again
// soon, and `Poll::Ready(number_of_polls)` on the next poll. Between two polls the runtime
// gets to run other tasks: that is how `tokio::task::yield_now` works.
//
// The compiler rejects the `impl Future` block: `poll` does not have the signature that the
// `Future` trait declares. Fix the signature; the body is fine.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub struct Countdown {
    left: u32,
    polls: u32,
}

impl Countdown {
    pub fn new(left: u32) -> Self {
        Countdown { left, polls: 0 }
    }
}

impl Future for Countdown {
    /// How many times `poll` was called.
    type Output = u32;

    // A pinned `self`, as the trait says; `mut` lets the body change the fields (Countdown: Unpin).
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        self.polls += 1;
        if self.left == 0 {
            return Poll::Ready(self.polls);
        }
        self.left -= 1;
        // Not done yet: ask to be polled again, after the other tasks had a turn.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::task::Context;
    use std::task::Poll;
    use std::task::{Wake, Waker};

    /// Every test gets its futures here: `Countdown::new` must make a `Countdown`, the future
    /// written by hand with its own `poll`. An `async` block or a `poll_fn` closure returned in
    /// its place skips the exercise: keep the struct and fix the signature of its `poll`.
    fn countdown(left: u32) -> Countdown {
        let new: fn(u32) -> Countdown = Countdown::new; // a Countdown, not an async block
        new(left)
    }

    /// A waker that counts how often it is woken on the thread that polls (the test's own), and
    /// how often from elsewhere (a thread the future started).
    struct CountingWaker {
        poller: std::thread::ThreadId,
        here: AtomicU32,
        elsewhere: AtomicU32,
    }

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            if std::thread::current().id() == self.poller {
                self.here.fetch_add(1, Ordering::SeqCst);
            } else {
                self.elsewhere.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    #[test]
    fn every_pending_asks_to_be_polled_again() {
        // Drive `poll` by hand, the way a runtime does. A Tokio runtime is entered but never run,
        // so a `tokio::spawn` inside `poll` does not panic, and its task never runs.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let _inside = runtime.enter();
        let counter = Arc::new(CountingWaker {
            poller: std::thread::current().id(),
            here: AtomicU32::new(0),
            elsewhere: AtomicU32::new(0),
        });
        let waker = Waker::from(Arc::clone(&counter));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(countdown(2));
        for n in 1..=2 {
            assert_eq!(
                future.as_mut().poll(&mut cx),
                Poll::Pending,
                "poll number {n} of Countdown::new(2) must answer Pending"
            );
            let woken = counter.here.load(Ordering::SeqCst);
            let tasks = runtime.metrics().num_alive_tasks();
            assert!(
                tasks == 0,
                "poll spawned {tasks} Tokio task(s), to wake the waker later: a future written by \
                 hand needs no runtime for that. Call cx.waker().wake_by_ref() in poll itself, \
                 before it answers Pending"
            );
            let elsewhere = match counter.elsewhere.load(Ordering::SeqCst) {
                0 => String::new(),
                k => format!(" (and {k} time(s) from another thread, which does not count)"),
            };
            assert!(
                woken >= n,
                "after {n} Pending answer(s) poll had woken the waker only {woken} time(s) before \
                 returning{elsewhere}: each Pending must wake it in poll itself, with \
                 cx.waker().wake_by_ref(), so that the runtime polls the future again at once \
                 (a wake that comes later, or never, leaves it waiting)"
            );
        }
        assert_eq!(
            future.as_mut().poll(&mut cx),
            Poll::Ready(3),
            "the 3rd poll of Countdown::new(2) must be Ready(3)"
        );
    }

    #[test]
    fn each_pending_wakes_the_waker_of_that_poll() {
        // Between two polls a future can move to another task (a `select!` arm, a JoinSet, a
        // task that took it over): each poll may bring another waker, and only the latest one
        // reaches the task that polls it now. Poll with one waker, then with another.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let _inside = runtime.enter();
        let counting = || {
            Arc::new(CountingWaker {
                poller: std::thread::current().id(),
                here: AtomicU32::new(0),
                elsewhere: AtomicU32::new(0),
            })
        };
        let (first, second) = (counting(), counting());
        let first_waker = Waker::from(Arc::clone(&first));
        let second_waker = Waker::from(Arc::clone(&second));
        let mut future = pin!(countdown(2));
        for (n, waker) in [(1, &first_waker), (2, &second_waker)] {
            assert_eq!(
                future.as_mut().poll(&mut Context::from_waker(waker)),
                Poll::Pending,
                "poll number {n} of Countdown::new(2) must answer Pending"
            );
        }
        let woken = second.here.load(Ordering::SeqCst);
        let kept = first.here.load(Ordering::SeqCst);
        let cause = if kept > 0 {
            "it wakes a waker kept from an earlier poll, which may belong to a task that no \
             longer polls this future"
        } else {
            "poll answered Pending without waking a waker before it returned (a wake left to a \
             task, a thread or a timer comes later, or never)"
        };
        assert!(
            woken >= 1,
            "the 2nd poll of Countdown::new(2) came with a new waker, but poll woke it {woken} \
             times (the waker of the 1st poll: {kept} times): {cause}. Wake the waker of the \
             poll at hand, cx.waker().wake_by_ref(), every time, and keep none"
        );
        assert_eq!(
            future
                .as_mut()
                .poll(&mut Context::from_waker(&second_waker)),
            Poll::Ready(3),
            "the 3rd poll of Countdown::new(2) must be Ready(3)"
        );
    }

    /// When `panic`, from `what` (a poll made with no Tokio runtime around), is Tokio's "no
    /// reactor running": a message that says what poll did wrong.
    fn needed_a_runtime(what: &str, panic: &(dyn std::any::Any + Send)) -> Option<String> {
        let text = panic
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())?;
        text.contains("context of a Tokio").then(|| {
            format!(
                "{what}, polled with no Tokio runtime around (as any executor may poll a \
                 future: it does not know who polls it), panicked with Tokio's \"no reactor\" \
                 panic: poll started a task or a timer (`tokio::spawn`, `tokio::time::sleep`), \
                 which needs a Tokio runtime. A future written by hand starts nothing to be \
                 woken later: poll must not start tasks or timers, but wake the waker of the \
                 poll at hand itself, cx.waker().wake_by_ref(), before it answers Pending"
            )
        })
    }

    #[test]
    fn the_polls_are_counted_not_worked_out() {
        // Ready's number is how many polls there were. Worked out from `left` at the first
        // poll instead (`left + 1`), it overflows for the longest countdown at once, where
        // counting each poll goes on; a countdown cut short answers Ready too early.
        let mut cx = Context::from_waker(Waker::noop());
        let first = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pin!(countdown(1)).poll(&mut cx)
        }));
        match first {
            // Ready at once: every_pending_asks_to_be_polled_again says so, and a poll that
            // runs the whole countdown would spin through u32::MAX below.
            Ok(poll) if poll.is_ready() => return,
            Ok(_) => {}
            Err(panic) => match needed_a_runtime("the 1st poll of Countdown::new(1)", &*panic) {
                Some(message) => panic!("{message}"),
                None => std::panic::resume_unwind(panic),
            },
        }
        let mut future = pin!(countdown(u32::MAX));
        for n in 1..=1_000 {
            let poll = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                future.as_mut().poll(&mut cx)
            }));
            let seen = match poll {
                Ok(Poll::Pending) => continue,
                Ok(Poll::Ready(count)) => format!("answered Ready({count})"),
                Err(panic) => {
                    let what = format!("poll number {n} of Countdown::new(u32::MAX)");
                    if let Some(message) = needed_a_runtime(&what, &*panic) {
                        panic!("{message}");
                    }
                    String::from("panicked (an overflow?)")
                }
            };
            panic!(
                "poll number {n} of Countdown::new(u32::MAX) {seen} instead of Pending: the \
                 number of polls is worked out from `left` (`left + 1`) instead of counted, or \
                 the countdown stops before `left` is 0. Add one to `polls` at every poll, take \
                 one off `left` at every Pending, and answer Ready(polls) only once `left` is 0, \
                 as the given body does"
            );
        }
    }

    #[test]
    fn a_poll_does_not_hold_the_thread() {
        // A poll only counts and wakes: 200 of them take well under a millisecond. Something
        // that waits inside poll (a std::thread::sleep before the wake) holds the thread of
        // every other task that whole time. Real time, so the best of 3 tries counts.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let _inside = runtime.enter();
        let mut tries = Vec::new();
        let (mut slowest, mut woken_here, mut pending) = (std::time::Duration::ZERO, 0, 0);
        for _ in 0..3 {
            let counter = Arc::new(CountingWaker {
                poller: std::thread::current().id(),
                here: AtomicU32::new(0),
                elsewhere: AtomicU32::new(0),
            });
            let waker = Waker::from(Arc::clone(&counter));
            let mut cx = Context::from_waker(&waker);
            let mut future = pin!(countdown(200));
            let start = std::time::Instant::now();
            let mut polls = 0;
            slowest = std::time::Duration::ZERO;
            loop {
                let poll_start = std::time::Instant::now();
                let poll = future.as_mut().poll(&mut cx);
                slowest = slowest.max(poll_start.elapsed());
                if poll.is_ready() || polls >= 1_000 {
                    break;
                }
                polls += 1;
            }
            let took = start.elapsed();
            if took < std::time::Duration::from_millis(20) {
                return;
            }
            tries.push(took.as_millis());
            (woken_here, pending) = (counter.here.load(Ordering::SeqCst), polls);
        }
        let seen = if woken_here < pending {
            format!(
                "poll itself woke the waker only {woken_here} time(s) for {pending} Pending \
                 answers (the slowest poll took {slowest:?}): a wake left to a thread, a task \
                 or a timer comes later, and whatever poll starts for it costs time at every \
                 poll. Call cx.waker().wake_by_ref() in poll itself and answer Pending at once"
            )
        } else {
            format!(
                "poll itself takes that time on the thread (the slowest poll took \
                 {slowest:?}), and no other task can run on it meanwhile. Answer Pending at \
                 once after cx.waker().wake_by_ref(): the runtime runs the other tasks before \
                 it polls again"
            )
        };
        panic!(
            "the polls of Countdown::new(200) took {tries:?} ms of real time in 3 tries, where \
             counting and waking take well under a millisecond: {seen}"
        );
    }

    /// Awaits a countdown, or fails if nobody ever polls it again.
    async fn finish(countdown: impl Future<Output = u32>) -> u32 {
        // On the paused clock this ends at once if the runtime has nothing left to do.
        tokio::time::timeout(std::time::Duration::from_secs(60), countdown)
            .await
            .expect(
                "the countdown had not finished 60 s later, on the test's paused clock (it \
                 jumps ahead whenever the runtime has nothing to do): after a Pending, nothing \
                 asked the runtime to poll it again at once. Call cx.waker().wake_by_ref() \
                 before returning Pending",
            )
    }

    #[tokio::test(start_paused = true)]
    async fn ready_after_n_pending() {
        assert_eq!(
            finish(countdown(0)).await,
            1,
            "Countdown::new(0) must be ready at the first poll"
        );
        assert_eq!(
            finish(countdown(3)).await,
            4,
            "Countdown::new(3) must answer Pending 3 times, then Ready at the 4th poll"
        );
        assert_eq!(
            finish(Box::pin(countdown(5))).await,
            6,
            "a pinned Countdown::new(5) must be ready at the 6th poll"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn other_tasks_run_in_between() {
        let turns = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&turns);
        let other = tokio::spawn(async move {
            for _ in 0..100 {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
            }
        });
        finish(countdown(3)).await;
        let turns = turns.load(Ordering::SeqCst);
        assert!(
            turns >= 3,
            "another task got only {turns} turn(s) while Countdown::new(3) was pending: each \
             Pending must hand control back to the runtime"
        );
        other.abort();
    }

    /// A countdown far longer than the others (5000 Pending answers): every one of them asks
    /// to be polled again, however many came before.
    #[tokio::test(start_paused = true)]
    async fn a_long_countdown_runs_to_the_end() {
        assert_eq!(
            finish(countdown(5000)).await,
            5001,
            "Countdown::new(5000) must answer Pending 5000 times, then Ready at the 5001st poll"
        );
    }

    /// Two countdowns polled in turn, in one task: each counts its own polls.
    #[tokio::test(start_paused = true)]
    async fn two_countdowns_count_their_own_polls() {
        let (three, five) = tokio::join!(finish(countdown(3)), finish(countdown(5)));
        assert_eq!(
            (three, five),
            (4, 6),
            "Countdown::new(3) and Countdown::new(5), polled in turn (tokio::join!), answered \
             Ready({three}) and Ready({five}), where each must answer Ready with the number of \
             its own polls (4 and 6): every Countdown counts its polls in its own field \
             (self.polls), not in a count shared by all of them (a static)"
        );
    }
}
