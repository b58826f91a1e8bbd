// busy_wait_flag
//
// A `Door` starts closed; one task opens it, other tasks wait for it with `wait_open`.
// `wait_open` checks the flag again and again in a tight loop and never reaches an `.await`, so it
// never hands the thread back to the runtime. On a single-threaded runtime the task that would
// open the door never gets to run, and the waiter spins forever: the tests hang.
//
// Make `wait_open` give other tasks a chance to run. Giving the thread back on every turn of the
// loop works; having `open` wake the waiters (with `tokio::sync::Notify`) is even better.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

struct Door {
    opened: AtomicBool,
}

impl Door {
    fn new() -> Self {
        Door {
            opened: AtomicBool::new(false),
        }
    }

    fn open(&self) {
        self.opened.store(true, Ordering::SeqCst);
    }

    fn is_open(&self) -> bool {
        self.opened.load(Ordering::SeqCst)
    }

    async fn wait_open(&self) {
        while !self.is_open() {
            // TODO: this loop never lets any other task run.
            std::hint::spin_loop();
        }
    }
}

// A single-threaded runtime, like the tests': a spinning task blocks everything.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let door = Arc::new(Door::new());
    let opener = Arc::clone(&door);
    tokio::spawn(async move { opener.open() });
    door.wait_open().await;
    println!("the door is open");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn waiter_lets_the_opener_run() {
        let door = Arc::new(Door::new());
        let opener = tokio::spawn({
            let door = Arc::clone(&door);
            async move { door.open() }
        });
        door.wait_open().await;
        assert!(door.is_open(), "wait_open returned but the door is closed");
        opener.await.expect("the opener task failed");
    }

    #[tokio::test]
    async fn waiting_task_wakes_up_when_the_door_opens() {
        let door = Arc::new(Door::new());
        let waiter = tokio::spawn({
            let door = Arc::clone(&door);
            async move {
                door.wait_open().await;
                "inside"
            }
        });
        // Let the waiter start waiting before the door opens.
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        assert!(
            !waiter.is_finished(),
            "the waiter finished before the door was opened: wait_open must wait"
        );
        door.open();
        assert_eq!(
            waiter.await.expect("the waiter task failed"),
            "inside",
            "the waiter should get through once the door is open"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_waiter_gets_through() {
        let door = Arc::new(Door::new());
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let door = Arc::clone(&door);
                tokio::spawn(async move { door.wait_open().await })
            })
            .collect();
        // Let the three waiters start waiting before the door opens.
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        door.open();
        for (n, waiter) in waiters.into_iter().enumerate() {
            let through = tokio::time::timeout(Duration::from_secs(1), waiter).await;
            assert!(
                through.is_ok(),
                "waiter {} of 3 was still waiting 1 s after the door opened: `open` must wake \
                 every waiting task (Notify::notify_waiters), not just one (notify_one)",
                n + 1
            );
        }
        for later in 1..=2 {
            let through = tokio::time::timeout(Duration::from_secs(1), door.wait_open()).await;
            assert!(
                through.is_ok(),
                "a task that came to the open door (visit {later}) was still waiting 1 s later: \
                 once open, the door stays open, so wait_open must check the flag and return \
                 at once"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn open_door_does_not_block() {
        let door = Door::new();
        door.open();
        let through = tokio::time::timeout(Duration::from_secs(1), door.wait_open()).await;
        assert!(
            through.is_ok(),
            "wait_open on a door that was already open was still waiting 1 s later: check the \
             flag before waiting (Notify::notify_waiters wakes only the tasks waiting at that \
             moment)"
        );
        assert!(door.is_open(), "the door should stay open");
    }

    #[tokio::test]
    async fn opening_one_door_does_not_let_through_a_waiter_at_another() {
        let front = Door::new();
        let back = Arc::new(Door::new());
        let waiter = tokio::spawn({
            let back = Arc::clone(&back);
            async move { back.wait_open().await }
        });
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        front.open();
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert!(
            !waiter.is_finished(),
            "a task waiting at the back door got through while only the front door was \
             opened: wait_open must return only once its own door is open. A Notify shared by \
             every door (a static) wakes the waiters of all of them: keep one per door, in a \
             field of Door, and check the door's own flag"
        );
        back.open();
        waiter.await.expect("the waiter task failed");
    }

    #[tokio::test]
    async fn waiter_never_gets_through_a_closed_door() {
        let door = Arc::new(Door::new());
        let waiter = tokio::spawn({
            let door = Arc::clone(&door);
            async move { door.wait_open().await }
        });
        // Nobody opens the door: give the waiter many turns, then a while on the real clock.
        for _ in 0..10_000 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(
            !waiter.is_finished(),
            "wait_open returned although nobody opened the door: it must wait for as long as it \
             takes, not give up after a number of tries or a while"
        );
        door.open();
        waiter.await.expect("the waiter task failed");
    }
}
