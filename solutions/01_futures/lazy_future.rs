// Futures are lazy.
//
// `handle_request` must write three lines to the log, in this order:
// "connect", "send" and "close". Right now "send" never shows up.
// Calling an async fn does not run its body: it only builds a future, and a
// future does nothing until something awaits it. Make the missing line appear
// (the compiler already warns you about it).

use std::sync::Mutex;

use tokio::time::{Duration, sleep};

/// Appends one line to the log, pretending the log lives on a slow disk.
async fn write_log(log: &Mutex<Vec<String>>, line: &str) {
    sleep(Duration::from_millis(10)).await;
    log.lock().unwrap().push(line.to_string());
}

pub async fn handle_request(log: &Mutex<Vec<String>>) {
    write_log(log, "connect").await;
    // Awaiting is what runs the future: without it, this write never happens.
    write_log(log, "send").await;
    write_log(log, "close").await;
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_send_line_is_written() {
        let log = Mutex::new(Vec::new());
        handle_request(&log).await;
        let lines = log.into_inner().unwrap();
        assert!(
            lines.iter().any(|line| line == "send"),
            "the \"send\" line never reached the log (log = {lines:?}): calling an async fn \
             only builds a future; add `.await` after the call so it actually runs"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_lines_are_written_in_order() {
        let log = Mutex::new(Vec::new());
        handle_request(&log).await;
        let lines = log.into_inner().unwrap();
        assert_eq!(
            lines,
            ["connect", "send", "close"],
            "the log must read connect, send, close, in that order: await each write \
             before starting the next one"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_is_written_before_the_future_is_awaited() {
        let log = Mutex::new(Vec::new());
        let request = handle_request(&log);
        assert!(
            log.lock().unwrap().is_empty(),
            "the log was written before the request future was awaited"
        );
        request.await;
        assert_eq!(
            log.lock().unwrap().len(),
            3,
            "after awaiting the request the log must hold 3 lines: is every write awaited?"
        );
    }
}
