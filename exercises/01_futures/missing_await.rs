// A future is not its value.
//
// `total_score` asks the (slow) score server for two players and adds the
// scores up. It does not compile: one call hands back a future where a `u32`
// is expected. Get the value out of the future so the totals come out right.

use std::cell::RefCell;

use tokio::time::{Duration, sleep};

thread_local! {
    /// The players the score server has answered for, in order (the tests read this log).
    static ANSWERED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Looks up a player's score on a pretend remote server, which needs 10 ms per letter of the name.
async fn fetch_score(player: &str) -> u32 {
    sleep(Duration::from_millis(10 * player.len() as u64)).await;
    ANSWERED.with(|log| log.borrow_mut().push(player.to_string()));
    match player {
        "ada" => 120,
        "grace" => 95,
        "linus" => 70,
        _ => 0,
    }
}

pub async fn total_score(first: &str, second: &str) -> u32 {
    let a: u32 = fetch_score(first).await;
    // TODO: `fetch_score(second)` is a future, not a `u32` yet.
    let b: u32 = fetch_score(second);
    a + b
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Duration;
    use tokio::time::Instant;

    /// How long the server takes to answer for this player.
    async fn lookup_time(player: &str) -> Duration {
        let start = Instant::now();
        fetch_score(player).await;
        start.elapsed()
    }

    #[tokio::test(start_paused = true)]
    async fn adds_both_scores() {
        assert_eq!(
            total_score("ada", "grace").await,
            215,
            "ada (120) + grace (95) should be 215: both scores must come from fetch_score"
        );
        assert_eq!(
            total_score("linus", "ada").await,
            190,
            "linus (70) + ada (120) should be 190: both scores must come from fetch_score"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_players_score_zero() {
        assert_eq!(
            total_score("nobody", "grace").await,
            95,
            "an unknown player scores 0, so nobody + grace should be 95"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_server_answers_for_both_players() {
        for (first, second) in [("ada", "grace"), ("grace", "ada"), ("linus", "nobody")] {
            ANSWERED.with(|log| log.borrow_mut().clear());
            total_score(first, second).await;
            let mut answered = ANSWERED.with(|log| log.take());
            answered.sort();
            let mut both = vec![first.to_string(), second.to_string()];
            both.sort();
            assert_eq!(
                answered, both,
                "total_score({first:?}, {second:?}) got answers from the score server for \
                 {answered:?}: each score must come from awaiting fetch_score for that player \
                 (a future that is not awaited never reaches the server, and neither does a \
                 table of your own)"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn both_scores_come_from_the_server() {
        for (first, second) in [("ada", "grace"), ("grace", "ada"), ("linus", "nobody")] {
            let (a, b) = (lookup_time(first).await, lookup_time(second).await);
            let start = Instant::now();
            total_score(first, second).await;
            let took = start.elapsed();
            // Awaiting both lookups takes their sum one after the other, the longer one at once.
            assert!(
                took == a + b || took == a.max(b),
                "total_score({first:?}, {second:?}) returned after {took:?}, but awaiting \
                 fetch_score for both players takes {a:?} + {b:?} = {:?} one after the other, \
                 or {:?} at the same time: each score must come from awaiting fetch_score, not \
                 from a table of your own (with or without a sleep) or another runtime",
                a + b,
                a.max(b)
            );
        }
    }
}
