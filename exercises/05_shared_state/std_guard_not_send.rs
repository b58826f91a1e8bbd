// std_guard_not_send
//
// `save_line` appends a line to a shared log, notes how long the log is right after its own
// push, then waits for a (pretend) disk flush. `start_saves` runs one `save_line` per line as a
// spawned task. It does not compile: "future cannot be sent between threads safely".
//
// A `std::sync::MutexGuard` must not be alive across an `.await` in a spawned task. Make sure the
// guard is gone before the flush, keep the flush, and keep every save running as its own task.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;

async fn flush_to_disk() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Appends `line` and returns the length of the log right after this push.
async fn save_line(log: Arc<Mutex<Vec<String>>>, line: String) -> usize {
    let mut guard = log.lock().unwrap();
    guard.push(line);
    let len = guard.len();

    // TODO: `guard` is still alive here, across the `.await` below.
    flush_to_disk().await;
    len
}

fn start_saves(log: &Arc<Mutex<Vec<String>>>, lines: &[&str]) -> Vec<JoinHandle<usize>> {
    lines
        .iter()
        .map(|line| tokio::spawn(save_line(Arc::clone(log), line.to_string())))
        .collect()
}

#[tokio::main]
async fn main() {
    let log = Arc::new(Mutex::new(Vec::new()));
    for handle in start_saves(&log, &["boot", "login"]) {
        println!("log length after a save: {}", handle.await.unwrap());
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn every_line_is_saved() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut lens = Vec::new();
        for handle in start_saves(&log, &["boot", "login", "logout"]) {
            lens.push(handle.await.unwrap());
        }
        let mut saved = log.lock().unwrap().clone();
        saved.sort();
        assert_eq!(
            saved,
            ["boot", "login", "logout"],
            "every line given to start_saves must end up in the log"
        );
        lens.sort();
        assert_eq!(
            lens,
            [1, 2, 3],
            "each save must return the log length right after its own push (so 1, 2 and 3 in \
             some order); read the length while you still hold the lock, before the flush"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn save_line_runs_in_a_spawned_task_and_still_flushes() {
        let log = Arc::new(Mutex::new(vec!["old".to_string()]));
        let start = Instant::now();
        let len = tokio::spawn(save_line(Arc::clone(&log), "new".to_string()))
            .await
            .unwrap();
        assert_eq!(len, 2, "the log had 1 line, so after the push it has 2");
        assert!(
            start.elapsed() >= Duration::from_millis(50),
            "save_line returned after {:?}: it must still wait for flush_to_disk (50 ms)",
            start.elapsed()
        );
        assert_eq!(
            *log.lock().unwrap(),
            ["old", "new"],
            "the line must be appended"
        );
    }
}
