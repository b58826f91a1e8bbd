// A future is not its value.
//
// `total_score` asks the (slow) score server for two players and adds the
// scores up. It does not compile: one call hands back a future where a `u32`
// is expected. Get the value out of the future so the totals come out right.

use tokio::time::{Duration, sleep};

/// Looks up a player's score on a pretend remote server.
async fn fetch_score(player: &str) -> u32 {
    sleep(Duration::from_millis(50)).await;
    match player {
        "ada" => 120,
        "grace" => 95,
        "linus" => 70,
        _ => 0,
    }
}

pub async fn total_score(first: &str, second: &str) -> u32 {
    let a: u32 = fetch_score(first).await;
    // `.await` runs the future and hands back the `u32` it produces.
    let b: u32 = fetch_score(second).await;
    a + b
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

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
}
