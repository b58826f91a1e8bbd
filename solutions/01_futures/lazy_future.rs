// Futures are lazy.
//
// `handle_request` must write three lines to the log, in this order:
// "connect", "send" and "close". Right now "send" never shows up.
// Calling an async fn does not run its body: it only builds a future, and a
// future does nothing until something awaits it. Make the missing line appear
// (the compiler already warns you about it). Only `write_log` can write to the
// slow disk's log.

/// A log on a slow disk: its lines are written only by `write_log`, which takes 10 ms.
mod disk {
    use std::sync::Mutex;

    use tokio::time::{Duration, sleep};

    #[derive(Default)]
    pub struct Log {
        lines: Mutex<Vec<String>>,
    }

    impl Log {
        /// The lines written so far.
        pub fn lines(&self) -> Vec<String> {
            self.lines.lock().unwrap().clone()
        }
    }

    /// Appends one line to the log.
    pub async fn write_log(log: &Log, line: &str) {
        sleep(Duration::from_millis(10)).await;
        log.lines.lock().unwrap().push(line.to_string());
    }
}

use disk::{Log, write_log};

pub async fn handle_request(log: &Log) {
    write_log(log, "connect").await;
    // Awaiting is what runs the future: without it, this write never happens.
    write_log(log, "send").await;
    write_log(log, "close").await;
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::disk::Log;
    use super::*;
    use tokio::time::{Duration, Instant, sleep_until};

    #[tokio::test(start_paused = true)]
    async fn the_send_line_is_written() {
        let log = Log::default();
        handle_request(&log).await;
        let lines = log.lines();
        assert!(
            lines.iter().any(|line| line == "send"),
            "the \"send\" line never reached the log (log = {lines:?}): calling an async fn \
             only builds a future; add `.await` after the call so it actually runs"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_lines_are_written_in_order() {
        let log = Log::default();
        handle_request(&log).await;
        let lines = log.lines();
        assert_eq!(
            lines,
            ["connect", "send", "close"],
            "the log must read connect, send, close, in that order: await each write \
             before starting the next one"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn each_write_waits_for_the_one_before() {
        let log = Log::default();
        let start = Instant::now();
        let ((), at_15_ms) = tokio::join!(handle_request(&log), async {
            // Look at the log between two writes: each write ends 10 ms after the one before.
            sleep_until(start + Duration::from_millis(15)).await;
            log.lines()
        });
        let took = start.elapsed();
        assert_eq!(
            at_15_ms,
            ["connect"],
            "15 ms after the start the log held {at_15_ms:?}, but only \"connect\" can be \
             there by then: a write takes 10 ms on the slow disk, and \"send\" starts once \
             \"connect\" is done. Write it with write_log(log, \"send\").await, not by hand \
             and not on another runtime"
        );
        assert_eq!(
            took,
            Duration::from_millis(30),
            "handle_request took {took:?}: three writes of 10 ms, one after the other, take \
             30 ms. Await each write_log before the next one starts"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_is_written_before_the_future_is_awaited() {
        let log = Log::default();
        let request = handle_request(&log);
        assert!(
            log.lines().is_empty(),
            "the log was written before the request future was awaited"
        );
        request.await;
        assert_eq!(
            log.lines().len(),
            3,
            "after awaiting the request the log must hold 3 lines: is every write awaited?"
        );
    }
}
