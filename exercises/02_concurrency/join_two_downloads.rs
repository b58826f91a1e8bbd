// Run two futures at the same time with `tokio::join!`.
//
// `fetch_both` downloads a logo and a manual, each taking the time it is given:
// say 100 ms and 150 ms. Awaiting them one after the other makes the user wait
// for both in a row: 250 ms. Start both downloads together and wait for the
// pair, so that the whole thing only takes as long as the slower download,
// about 150 ms.

use std::sync::{Arc, Mutex};

use tokio::time::{Duration, sleep};

/// The log: a line when a download starts, and one when it finishes.
pub type Log = Arc<Mutex<Vec<String>>>;

/// Pretends to download a file; the reply says how long it took.
async fn download(log: Log, file: &str, ms: u64) -> String {
    log.lock().unwrap().push(format!("{file} started"));
    sleep(Duration::from_millis(ms)).await;
    log.lock().unwrap().push(format!("{file} finished"));
    format!("{file} ({ms} ms)")
}

pub async fn fetch_both(log: Log, logo_ms: u64, manual_ms: u64) -> (String, String) {
    // TODO: the manual only starts downloading once the logo is done.
    let logo = download(log.clone(), "logo.png", logo_ms).await;
    let manual = download(log, "manual.pdf", manual_ms).await;
    (logo, manual)
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    /// Delays (logo ms, manual ms) to try: which one is slower changes from case to case.
    const CASES: [(u64, u64); 4] = [(100, 150), (240, 30), (60, 60), (15, 90)];

    /// What `fetch_both` returned, how long it took, and the log at the moment it returned.
    async fn fetch(logo_ms: u64, manual_ms: u64) -> ((String, String), Duration, Vec<String>) {
        let log = Log::default();
        let start = Instant::now();
        let files = fetch_both(log.clone(), logo_ms, manual_ms).await;
        let took = start.elapsed();
        let log = log.lock().unwrap().clone();
        (files, took, log)
    }

    #[tokio::test(start_paused = true)]
    async fn both_files_arrive() {
        for (logo_ms, manual_ms) in CASES {
            let ((logo, manual), _, _) = fetch(logo_ms, manual_ms).await;
            assert_eq!(
                logo,
                format!("logo.png ({logo_ms} ms)"),
                "with a {logo_ms} ms logo and a {manual_ms} ms manual, the first value must be \
                 what the logo's download returned"
            );
            assert_eq!(
                manual,
                format!("manual.pdf ({manual_ms} ms)"),
                "with a {logo_ms} ms logo and a {manual_ms} ms manual, the second value must be \
                 what the manual's download returned"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn both_downloads_start_before_either_finishes() {
        for (logo_ms, manual_ms) in CASES {
            let (_, _, log) = fetch(logo_ms, manual_ms).await;
            let mut done = log.clone();
            done.sort();
            assert!(
                done == [
                    "logo.png finished",
                    "logo.png started",
                    "manual.pdf finished",
                    "manual.pdf started"
                ],
                "when fetch_both returned, the log showed {log:?} (a {logo_ms} ms logo, a \
                 {manual_ms} ms manual): both files must be downloaded with `download`, and \
                 both downloads must be over when fetch_both returns (wait for both: a spawned \
                 task that nobody awaits may still be running)"
            );
            let started_first = log
                .iter()
                .take_while(|entry| entry.ends_with(" started"))
                .count();
            assert!(
                started_first == 2,
                "the log shows {log:?} (a {logo_ms} ms logo, a {manual_ms} ms manual): one \
                 download only started after the other had finished. Start both, then wait for \
                 the pair (tokio::join!)"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_pair_takes_as_long_as_the_slower_download() {
        for (logo_ms, manual_ms) in CASES {
            let (_, took, _) = fetch(logo_ms, manual_ms).await;
            let slower = Duration::from_millis(logo_ms.max(manual_ms));
            assert!(
                took >= slower,
                "fetch_both finished in {took:?}, before the slower download ({slower:?}) could \
                 be over: both downloads must really happen"
            );
            assert_eq!(
                took, slower,
                "with a {logo_ms} ms logo and a {manual_ms} ms manual, fetch_both took {took:?}: \
                 run at the same time, the pair takes only as long as the slower one, \
                 {slower:?}. Run them concurrently with tokio::join!"
            );
        }
    }
}
