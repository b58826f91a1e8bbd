// Race two futures with `tokio::select!`.
//
// The same file sits on two mirrors. `first_answer` must return the reply of
// whichever mirror answers first and forget about the other one. `join!`
// waits for both and always keeps the primary's reply. With `select!`, the
// first branch to finish wins, and the losing future is dropped, which
// cancels it: the slow mirror never gets to finish.

use std::sync::{Arc, Mutex};

use tokio::time::{Duration, sleep};

/// Records which mirrors were asked, and which finished their work.
type Log = Arc<Mutex<Vec<String>>>;

async fn ask_mirror(log: Log, name: &'static str, ms: u64) -> String {
    log.lock().unwrap().push(format!("{name} asked"));
    sleep(Duration::from_millis(ms)).await;
    log.lock().unwrap().push(format!("{name} finished"));
    format!("reply from {name}")
}

pub async fn first_answer(log: Log, primary_ms: u64, backup_ms: u64) -> String {
    // The first branch to complete wins; `select!` drops (cancels) the other future.
    tokio::select! {
        reply = ask_mirror(log.clone(), "primary", primary_ms) => reply,
        reply = ask_mirror(log, "backup", backup_ms) => reply,
    }
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Duration;
    use tokio::time::Instant;
    use tokio::time::sleep;

    /// The reply, how long it took, and the log's entries that end with " finished".
    async fn race(primary_ms: u64, backup_ms: u64) -> (String, Duration, Vec<String>) {
        let log = Log::default();
        let start = Instant::now();
        let reply = first_answer(log.clone(), primary_ms, backup_ms).await;
        let took = start.elapsed();
        // Give the losing mirror plenty of time to finish, if it is still running.
        sleep(Duration::from_secs(1)).await;
        let finished = log
            .lock()
            .unwrap()
            .iter()
            .filter(|entry| entry.ends_with(" finished"))
            .cloned()
            .collect();
        (reply, took, finished)
    }

    #[tokio::test(start_paused = true)]
    async fn both_mirrors_are_asked() {
        for (primary_ms, backup_ms) in [(300, 50), (40, 200)] {
            let log = Log::default();
            first_answer(log.clone(), primary_ms, backup_ms).await;
            let mut asked: Vec<String> = log
                .lock()
                .unwrap()
                .iter()
                .filter(|entry| entry.ends_with(" asked"))
                .cloned()
                .collect();
            asked.sort();
            assert_eq!(
                asked,
                ["backup asked", "primary asked"],
                "the log shows {asked:?} (primary {primary_ms} ms, backup {backup_ms} ms): \
                 both mirrors must be asked, since a real mirror does not tell in advance how \
                 fast it will be. Ask both at once and keep the first reply (tokio::select!)"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_fast_backup_wins() {
        let (reply, took, _) = race(300, 50).await;
        assert_eq!(
            reply, "reply from backup",
            "the backup answers after 50 ms and the primary after 300 ms: the backup's reply must win"
        );
        assert!(
            took < Duration::from_millis(100),
            "first_answer took {took:?}: it waited for the slow mirror too; \
             return as soon as the first reply arrives (tokio::select!)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_fast_primary_wins() {
        let (reply, took, _) = race(40, 200).await;
        assert_eq!(
            reply, "reply from primary",
            "the primary answers after 40 ms and the backup after 200 ms: the primary's reply must win"
        );
        assert!(
            took < Duration::from_millis(100),
            "first_answer took {took:?}: it waited for the slow mirror too; \
             return as soon as the first reply arrives (tokio::select!)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_mirror_that_answers_at_once_wins() {
        for (primary_ms, backup_ms, winner) in [(0, 80, "primary"), (60, 0, "backup")] {
            let (reply, took, finished) = race(primary_ms, backup_ms).await;
            assert_eq!(
                (reply, took, finished),
                (
                    format!("reply from {winner}"),
                    Duration::ZERO,
                    vec![format!("{winner} finished")]
                ),
                "(primary {primary_ms} ms, backup {backup_ms} ms) the {winner} had the file at \
                 hand and answered at once: first_answer must return its reply right away \
                 (reply, time taken, mirrors that finished), and drop the other mirror"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_loser_is_cancelled() {
        for (primary_ms, backup_ms, winner) in [(300, 50, "backup"), (40, 200, "primary")] {
            let (_, _, finished) = race(primary_ms, backup_ms).await;
            assert_eq!(
                finished,
                [format!("{winner} finished")],
                "the log shows {finished:?} (primary {primary_ms} ms, backup {backup_ms} ms), \
                 1 s after first_answer returned: only the winning mirror may finish. The \
                 losing future must be dropped (select! does that), not awaited or left \
                 running in a spawned task"
            );
        }
    }
}
