// cancel_token_workers
//
// A crawler runs 3 fetchers and 1 indexer, each in its own task. A worker works in rounds
// until its `CancellationToken` is cancelled; then it saves its state, which takes a while
// (fetcher N takes N x `save`, the indexer 2 x `save`), and writes "<name> stopped" in the log.
//
// - `stop_fetchers` must stop the 3 fetchers, while the indexer goes on indexing.
// - `shutdown` must stop every worker that is still running, and return as soon as all of
//   them have stopped (saved and logged).
//
// Right now `stop_fetchers` stops the indexer too, and `shutdown` returns while the workers
// are still saving. Fix both; leave `worker` as it is.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::sleep;
use tokio_util::sync::CancellationToken;

pub type Log = Arc<Mutex<Vec<String>>>;

fn write(log: &Log, line: String) {
    log.lock().unwrap().push(line);
}

/// Works in 50 ms rounds until `token` is cancelled, then saves and says so.
async fn worker(name: String, token: CancellationToken, log: Log, save: Duration) {
    loop {
        tokio::select! {
            _ = token.cancelled() => break,
            _ = sleep(Duration::from_millis(50)) => write(&log, format!("{name} worked")),
        }
    }
    sleep(save).await;
    write(&log, format!("{name} stopped"));
}

pub struct Crawler {
    root: CancellationToken,
    fetchers: CancellationToken,
    workers: Vec<JoinHandle<()>>,
}

impl Crawler {
    pub fn start(log: &Log, save: Duration) -> Crawler {
        let root = CancellationToken::new();
        // A child is cancelled with its parent, but cancelling the child leaves the parent be.
        let fetchers = root.child_token();
        let mut workers = Vec::new();
        for n in 1..=3 {
            let name = format!("fetcher {n}");
            let token = fetchers.clone();
            workers.push(tokio::spawn(worker(name, token, Arc::clone(log), save * n)));
        }
        let name = "indexer".to_string();
        let token = root.clone();
        workers.push(tokio::spawn(worker(name, token, Arc::clone(log), save * 2)));
        Crawler {
            root,
            fetchers,
            workers,
        }
    }

    pub fn stop_fetchers(&self) {
        self.fetchers.cancel();
    }

    pub async fn shutdown(self) {
        self.root.cancel();
        for worker in self.workers {
            worker.await.expect("a worker panicked");
        }
    }
}

#[tokio::main]
async fn main() {
    let log = Log::default();
    let crawler = Crawler::start(&log, Duration::from_millis(20));
    sleep(Duration::from_millis(120)).await;
    crawler.stop_fetchers();
    sleep(Duration::from_millis(120)).await;
    crawler.shutdown().await;
    for line in log.lock().unwrap().iter() {
        println!("{line}");
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::{Instant, timeout};

    const WORKERS: [&str; 4] = ["fetcher 1", "fetcher 2", "fetcher 3", "indexer"];

    fn lines(log: &Log, suffix: &str) -> Vec<String> {
        let log = log.lock().unwrap();
        let mut names: Vec<String> = log
            .iter()
            .filter_map(|line| line.strip_suffix(suffix))
            .map(str::to_string)
            .collect();
        names.sort();
        names
    }

    async fn timed_shutdown(crawler: Crawler) -> Duration {
        let start = Instant::now();
        timeout(Duration::from_secs(3600), crawler.shutdown())
            .await
            .expect(
                "shutdown was still waiting an hour later: it must stop every worker that is \
                 still running (is every worker's token cancelled along with the root?)",
            );
        start.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn stopping_the_fetchers_leaves_the_indexer_running() {
        let log = Log::default();
        let crawler = Crawler::start(&log, Duration::from_millis(30));
        sleep(Duration::from_millis(120)).await;
        crawler.stop_fetchers();
        sleep(Duration::from_millis(200)).await;

        let stopped = lines(&log, " stopped");
        assert!(
            !stopped.contains(&"indexer".to_string()),
            "stop_fetchers stopped the indexer too: a clone of a CancellationToken is the same \
             token, so cancelling it cancels every clone. The fetchers need a token of their \
             own, one that the root still cancels (see `child_token`)"
        );
        assert_eq!(
            stopped,
            ["fetcher 1", "fetcher 2", "fetcher 3"],
            "200 ms after stop_fetchers, every fetcher should have stopped"
        );
        let worked = lines(&log, " worked").len();
        sleep(Duration::from_millis(200)).await;
        assert!(
            lines(&log, " worked").len() >= worked + 3,
            "after the fetchers stopped, the indexer should keep working (a round every 50 ms)"
        );

        timed_shutdown(crawler).await;
        assert_eq!(
            lines(&log, " stopped"),
            WORKERS,
            "after shutdown, every worker should have stopped, each once"
        );
    }

    async fn shutdown_waits(save: Duration) {
        let log = Log::default();
        let crawler = Crawler::start(&log, save);
        sleep(Duration::from_millis(120)).await;
        let took = timed_shutdown(crawler).await;
        let stopped = lines(&log, " stopped");
        assert_eq!(
            stopped, WORKERS,
            "shutdown returned while some workers had not stopped yet: after cancelling, wait \
             for their tasks to end (keep what `tokio::spawn` returns)"
        );
        let slowest = save * 3;
        assert_eq!(
            took, slowest,
            "shutdown took {took:?}, but the workers stop as soon as they are cancelled, and the \
             slowest one then saves for {slowest:?}: return as soon as the last one is done \
             (no fixed sleep)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_returns_once_every_worker_has_stopped() {
        shutdown_waits(Duration::from_millis(30)).await;
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_waits_as_long_as_saving_takes() {
        shutdown_waits(Duration::from_millis(70)).await;
    }
}
