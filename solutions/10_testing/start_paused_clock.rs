// start_paused_clock
//
// In this lesson the TESTS are the exercise: the code under test is correct, and you fix the
// test attributes marked TODO at the bottom of the file (leave the test bodies as they are).
//
// `TokenCache` keeps a login token for 30 seconds. Testing that for real would take 30 s, so
// the test moves Tokio's clock forward with `tokio::time::advance` instead. But `advance`
// only works on a paused clock, and this test's clock is running: it panics. Make the test
// start with a paused clock, so that no real time passes.

use std::time::Duration;
use tokio::time::{Instant, sleep};

const TOKEN_LIFETIME: Duration = Duration::from_secs(30);

#[derive(Default)]
pub struct TokenCache {
    token: Option<(String, Instant)>,
    logins: u32,
}

impl TokenCache {
    /// Returns the cached token, or logs in again (50 ms) if it is missing or too old.
    pub async fn get(&mut self) -> String {
        if let Some((token, fetched_at)) = &self.token
            && fetched_at.elapsed() < TOKEN_LIFETIME
        {
            return token.clone();
        }
        sleep(Duration::from_millis(50)).await;
        self.logins += 1;
        let token = format!("token-{}", self.logins);
        self.token = Some((token.clone(), Instant::now()));
        token
    }
}

fn main() {}

// Tests: in this lesson, edit the attribute marked TODO below, not the test bodies.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::advance;

    // The clock starts paused: it moves only with advance() or when every task is idle.
    #[tokio::test(start_paused = true)]
    async fn token_is_renewed_after_30_seconds() {
        let real_start = std::time::Instant::now();
        let mut cache = TokenCache::default();
        assert_eq!(cache.get().await, "token-1", "the first call logs in");

        advance(Duration::from_secs(29)).await;
        assert_eq!(
            cache.get().await,
            "token-1",
            "after 29 s the token is still fresh and must come from the cache"
        );

        advance(Duration::from_secs(2)).await;
        assert_eq!(
            cache.get().await,
            "token-2",
            "after 31 s the token is too old: the cache must log in again"
        );

        let real = real_start.elapsed();
        assert!(
            real < Duration::from_secs(5),
            "the test took {real:?} of real time: with a paused clock, waiting costs nothing"
        );
    }
}
