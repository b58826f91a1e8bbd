// Run two futures at the same time with `tokio::join!`.
//
// `fetch_both` downloads a logo (100 ms) and a manual (150 ms). Awaiting them
// one after the other makes the user wait for both in a row: 250 ms. Start
// both downloads together and wait for the pair, so that the whole thing only
// takes as long as the slower download, about 150 ms.

use tokio::time::{Duration, sleep};

/// Pretends to download a file; the reply says how long it took.
async fn download(file: &str, ms: u64) -> String {
    LOG.with_borrow_mut(|log| log.push(format!("{file} started")));
    sleep(Duration::from_millis(ms)).await;
    LOG.with_borrow_mut(|log| log.push(format!("{file} finished")));
    format!("{file} ({ms} ms)")
}

pub async fn fetch_both() -> (String, String) {
    // TODO: the manual only starts downloading once the logo is done.
    let logo = download("logo.png", 100).await;
    let manual = download("manual.pdf", 150).await;
    (logo, manual)
}

fn main() {}

thread_local! {
    /// The log: `download` adds a line when a download starts, and one when it finishes.
    static LOG: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::task::Poll;
    use tokio::time::Duration;
    use tokio::time::Instant;

    /// What `fetch_both` returned, how long it took, and the log at the moment it returned.
    async fn fetch() -> ((String, String), Duration, Vec<String>) {
        LOG.with_borrow_mut(Vec::clear);
        let start = Instant::now();
        let files = fetch_both().await;
        let took = start.elapsed();
        (files, took, LOG.take())
    }

    #[tokio::test(start_paused = true)]
    async fn both_files_arrive() {
        let ((logo, manual), _, _) = fetch().await;
        assert_eq!(
            logo, "logo.png (100 ms)",
            "the first value must be what the logo's download returned"
        );
        assert_eq!(
            manual, "manual.pdf (150 ms)",
            "the second value must be what the manual's download returned"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn both_downloads_start_before_either_finishes() {
        let (_, _, log) = fetch().await;
        let mut done = log.clone();
        done.sort();
        assert!(
            done == [
                "logo.png finished",
                "logo.png started",
                "manual.pdf finished",
                "manual.pdf started"
            ],
            "when fetch_both returned, the log showed {log:?}: both files must be downloaded \
             with `download`, and both downloads must be over when fetch_both returns (wait for \
             both: a spawned task that nobody awaits may still be running)"
        );
        let started_first = log
            .iter()
            .take_while(|entry| entry.ends_with(" started"))
            .count();
        assert!(
            started_first == 2,
            "the log shows {log:?}: one download only started after the other had finished. \
             Start both, then wait for the pair (tokio::join!)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn both_downloads_are_over_even_on_a_busy_runtime() {
        LOG.with_borrow_mut(Vec::clear);
        let mut fetching = std::pin::pin!(fetch_both());
        // One step of fetch_both, then the runtime is busy for 1 s: a task that fetch_both
        // spawned only starts its download after that.
        let first_step = std::future::poll_fn(|cx| Poll::Ready(fetching.as_mut().poll(cx))).await;
        tokio::time::advance(Duration::from_secs(1)).await;
        let (logo, manual) = match first_step {
            Poll::Ready(files) => files,
            Poll::Pending => fetching.await,
        };
        let log = LOG.take();
        let unfinished: Vec<&str> = ["logo.png", "manual.pdf"]
            .into_iter()
            .filter(|file| !log.contains(&format!("{file} finished")))
            .collect();
        assert!(
            unfinished.is_empty(),
            "here fetch_both ran one step, then the runtime was busy for 1 s before any task it \
             had spawned could start. When fetch_both returned, the log showed {log:?}: \
             {unfinished:?} had not finished downloading. Wait for the downloads themselves \
             (tokio::join!, or await every JoinHandle you spawn), not for a fixed time"
        );
        assert_eq!(
            (logo.as_str(), manual.as_str()),
            ("logo.png (100 ms)", "manual.pdf (150 ms)"),
            "fetch_both must return what the two downloads returned, logo first"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_pair_takes_as_long_as_the_slower_download() {
        let (_, took, _) = fetch().await;
        let slower = Duration::from_millis(150);
        assert!(
            took >= slower,
            "fetch_both finished in {took:?}, before the 150 ms manual download could be over: \
             both downloads must really happen"
        );
        assert_eq!(
            took, slower,
            "fetch_both took {took:?}: run at the same time, the 100 ms logo and the 150 ms \
             manual take only as long as the slower one, {slower:?}. Run them concurrently with \
             tokio::join!"
        );
    }
}
