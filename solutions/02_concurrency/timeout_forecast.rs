// Give up on slow work with `tokio::time::timeout`.
//
// `forecast_or_cached` waits for a fresh weather forecast. When the weather
// service is slow, the page must not hang: after 200 ms, give up and return
// the cached forecast instead. A fresh forecast that arrives within 200 ms
// must still be used.

use tokio::time::{Duration, sleep, timeout};

pub async fn forecast_or_cached(fresh: impl Future<Output = String>, cached: &str) -> String {
    // `timeout` gives `Err(Elapsed)` if `fresh` is not done in time (and drops it).
    match timeout(Duration::from_millis(200), fresh).await {
        Ok(forecast) => forecast,
        Err(_elapsed) => cached.to_string(),
    }
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
    use tokio::time::Instant;

    async fn weather_service(ms: u64, forecast: &str) -> String {
        sleep(Duration::from_millis(ms)).await;
        forecast.to_string()
    }

    #[tokio::test(start_paused = true)]
    async fn a_fast_forecast_is_used() {
        let start = Instant::now();
        let shown = forecast_or_cached(weather_service(50, "sunny"), "cloudy (cached)").await;
        assert_eq!(
            shown, "sunny",
            "the service answered after 50 ms, within the 200 ms deadline: show its forecast"
        );
        let took = start.elapsed();
        assert!(
            took < Duration::from_millis(100),
            "the forecast arrived after 50 ms but was only shown after {took:?}: \
             return it as soon as it is there"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_forecast_is_abandoned() {
        let start = Instant::now();
        let shown = forecast_or_cached(weather_service(5_000, "rain"), "cloudy (cached)").await;
        let took = start.elapsed();
        assert!(
            took < Duration::from_millis(250),
            "forecast_or_cached waited {took:?} for a service that needs 5 s: \
             give up after 200 ms (tokio::time::timeout)"
        );
        assert!(
            took >= Duration::from_millis(200),
            "forecast_or_cached gave up after {took:?}: wait the full 200 ms before giving up"
        );
        assert_eq!(
            shown, "cloudy (cached)",
            "when the service is too slow, return the cached forecast"
        );
    }
}
