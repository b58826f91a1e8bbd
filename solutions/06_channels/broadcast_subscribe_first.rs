// broadcast_subscribe_first
//
// A news desk publishes headlines on a `broadcast` channel, and every reader must get EVERY
// headline, in order. Unlike mpsc, where each message goes to one receiver, broadcast gives
// each subscriber its own copy. But a subscriber only gets what is sent AFTER it subscribed,
// and right now the readers subscribe when all the news is already out: they get nothing.
//
// Make every reader see every headline.

use std::time::Duration;

use tokio::sync::broadcast;
use tokio::task::JoinHandle;

/// Sends the headlines one by one.
async fn publish(tx: &broadcast::Sender<String>, headlines: Vec<&str>) {
    for headline in headlines {
        tokio::time::sleep(Duration::from_millis(10)).await;
        // `send` fails when there is no subscriber at all.
        if tx.send(headline.to_string()).is_err() {
            println!("nobody is listening to {headline:?}");
        }
    }
}

/// Reads until the channel is closed and returns everything it got.
fn spawn_reader(mut rx: broadcast::Receiver<String>) -> JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Ok(headline) = rx.recv().await {
            seen.push(headline);
        }
        seen
    })
}

async fn run_news_desk(headlines: Vec<&str>, readers: usize) -> Vec<Vec<String>> {
    let (tx, _) = broadcast::channel(16);

    // Subscribe first: a receiver only gets what is sent after it was created.
    let handles: Vec<_> = (0..readers).map(|_| spawn_reader(tx.subscribe())).collect();
    publish(&tx, headlines).await;

    // Hang up: once the readers have read everything, their `recv` returns `Err(Closed)`.
    drop(tx);

    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.unwrap());
    }
    results
}

#[tokio::main]
async fn main() {
    let results = run_news_desk(vec!["Rain today", "Sun tomorrow"], 2).await;
    println!("{results:?}");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn every_reader_sees_every_headline() {
        let news = vec!["Rust 2024 is out", "Tokio turns 1.0", "Crab wins race"];
        let results = run_news_desk(news.clone(), 3).await;
        assert_eq!(results.len(), 3, "there are 3 readers, so 3 results");
        for (i, seen) in results.iter().enumerate() {
            assert_eq!(
                seen, &news,
                "reader {i} got {seen:?}: every reader must get every headline in order. A \
                 broadcast receiver only gets messages sent after it subscribed, so subscribe \
                 before publishing"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_single_reader_works_too() {
        let results = run_news_desk(vec!["only one"], 1).await;
        assert_eq!(results, [["only one"]], "one reader, one headline");
    }

    #[tokio::test(start_paused = true)]
    async fn more_news_than_the_channel_holds() {
        // The channel keeps at most 16 headlines for a receiver that has not read them yet.
        let news: Vec<String> = (1..=50).map(|n| format!("headline {n}")).collect();
        let results = run_news_desk(news.iter().map(String::as_str).collect(), 2).await;
        assert_eq!(results.len(), 2, "there are 2 readers, so 2 results");
        for (i, seen) in results.iter().enumerate() {
            assert!(
                *seen == news,
                "reader {i} got {} of the 50 headlines: the channel only keeps the last 16 for a \
                 reader that is not reading yet. Subscribe and start every reader (spawn_reader) \
                 before publishing, so the readers keep up while the news comes out",
                seen.len()
            );
        }
    }
}
