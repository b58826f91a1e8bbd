// Run two futures at the same time with `tokio::join!`.
//
// `fetch_both` downloads a logo (100 ms) and a manual (150 ms). Awaiting them
// one after the other makes the user wait for both in a row: 250 ms. Start
// both downloads together and wait for the pair, so that the whole thing only
// takes as long as the slower download, about 150 ms.

use tokio::time::{Duration, sleep};

/// Pretends to download a file; the reply says how long it took.
async fn download(file: &str, ms: u64) -> String {
    sleep(Duration::from_millis(ms)).await;
    format!("{file} ({ms} ms)")
}

pub async fn fetch_both() -> (String, String) {
    // `join!` polls both futures together and waits until both are done.
    tokio::join!(download("logo.png", 100), download("manual.pdf", 150))
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn both_files_arrive() {
        let (logo, manual) = fetch_both().await;
        assert_eq!(
            logo, "logo.png (100 ms)",
            "the first value must be the logo download"
        );
        assert_eq!(
            manual, "manual.pdf (150 ms)",
            "the second value must be the manual download"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn downloads_run_at_the_same_time() {
        let start = Instant::now();
        fetch_both().await;
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(150),
            "fetch_both finished in {took:?}, faster than the 150 ms manual download: \
             both downloads must really happen"
        );
        assert!(
            took < Duration::from_millis(200),
            "the two downloads ran one after the other: {took:?} instead of ~150 ms; \
             run them concurrently with tokio::join!"
        );
    }
}
