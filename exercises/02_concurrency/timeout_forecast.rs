// Give up on slow work with `tokio::time::timeout`.
//
// `forecast_or_cached` waits for a fresh weather forecast. When the weather
// service is slow, the page must not hang: after 200 ms, give up and return
// the cached forecast instead. A fresh forecast that arrives within 200 ms
// must still be used.

use tokio::time::{Duration, sleep};

pub async fn forecast_or_cached(fresh: impl Future<Output = String>, cached: &str) -> String {
    // TODO: wait at most 200 ms for `fresh`; after that, return `cached`.
    fresh.await
}

/// A small demo: the service needs 2 s, so the cached forecast is shown.
#[tokio::main]
async fn main() {
    let slow_service = async {
        sleep(Duration::from_secs(2)).await;
        String::from("sunny")
    };
    println!(
        "{}",
        forecast_or_cached(slow_service, "cloudy (cached)").await
    );
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::pin::pin;
    use tokio::time::Duration;
    use tokio::time::Instant;
    use tokio::time::sleep;

    async fn weather_service(ms: u64, forecast: &str) -> String {
        sleep(Duration::from_millis(ms)).await;
        forecast.to_string()
    }

    /// Shows the forecast of a service that needs `ms`: what was shown, when, and how many
    /// times the service's future was polled.
    async fn show(ms: u64, forecast: &str) -> (String, Duration, u32) {
        let polls = Cell::new(0);
        let mut service = pin!(weather_service(ms, forecast));
        let counted = std::future::poll_fn(|cx| {
            polls.set(polls.get() + 1);
            service.as_mut().poll(cx)
        });
        let start = Instant::now();
        let shown = forecast_or_cached(counted, "cloudy (cached)").await;
        (shown, start.elapsed(), polls.get())
    }

    #[tokio::test(start_paused = true)]
    async fn a_fast_forecast_is_used() {
        for ms in [53, 190] {
            let (shown, took, _) = show(ms, "sunny").await;
            assert_eq!(
                shown, "sunny",
                "the service answered after {ms} ms, within the 200 ms deadline, but {shown:?} \
                 was shown: show the fresh forecast"
            );
            assert_eq!(
                took,
                Duration::from_millis(ms),
                "the forecast arrived after {ms} ms but was shown after {took:?}: return it as \
                 soon as it is there"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_forecast_is_abandoned() {
        for ms in [215, 5_000] {
            let (shown, took, _) = show(ms, "rain").await;
            assert_eq!(
                took,
                Duration::from_millis(200),
                "forecast_or_cached returned after {took:?} for a service that needs {ms} ms: \
                 the deadline is 200 ms, so give up exactly then (tokio::time::timeout)"
            );
            assert_eq!(
                shown, "cloudy (cached)",
                "the service needs {ms} ms, more than the 200 ms deadline: return the cached \
                 forecast"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_service_is_not_asked_over_and_over() {
        for ms in [53, 5_000, 250, 1_000, 60_000, 3_600_000] {
            let (_, _, polls) = show(ms, "sunny").await;
            assert!(
                polls <= 2,
                "the service's future was polled {polls} times (it needs {ms} ms), but one wait \
                 for the forecast and the deadline together polls it at most twice (at the \
                 start, then when it wakes or at the deadline): a future wakes its task when it \
                 can make progress, so checking it again on a timer of your own, or in a loop \
                 of shorter waits, is busy waiting. Wait once, for 200 ms \
                 (tokio::time::timeout)"
            );
        }
    }
}
