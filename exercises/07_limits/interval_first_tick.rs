// interval_first_tick
//
// `sample_every` must take `count` samples on a steady beat: the first one right away, then
// one every `period` (with a period of 100 ms: at 0, 100, 200, 300 ms, ...), and return as
// soon as the last one is taken. A sample takes 30 ms on average, but the sensor is not
// equally quick every time (between 10 and 60 ms), which is why the code uses
// `tokio::time::interval` rather than a `sleep` after each sample: an interval keeps its
// beat however long the work between two ticks takes.
//
// But two samples come out at the very start. Look at when the FIRST `tick()` of an
// interval completes, and fix the loop so the samples land on the beat.

use std::cell::Cell;
use std::time::Duration;
use tokio::time::{Instant, interval, sleep};

/// How long a sample takes on average: in turn 30, 10, 60 and 20 ms.
const SAMPLE_TIME: Duration = Duration::from_millis(30);

thread_local! {
    /// How many samples `take_sample` has taken on this thread; it picks each sample's time.
    /// `#[tokio::test]` runs the whole test, spawned tasks too, on the test's own thread.
    static SAMPLES_TAKEN: Cell<usize> = const { Cell::new(0) };
}

/// Takes one sample and returns the time it was taken, counted from `start`.
async fn take_sample(start: Instant) -> Duration {
    let at = start.elapsed();
    let n = SAMPLES_TAKEN.replace(SAMPLES_TAKEN.get() + 1);
    let busy = [
        SAMPLE_TIME,
        SAMPLE_TIME / 3,
        SAMPLE_TIME * 2,
        SAMPLE_TIME * 2 / 3,
    ][n % 4];
    sleep(busy).await;
    at
}

pub async fn sample_every(period: Duration, count: usize) -> Vec<Duration> {
    let start = Instant::now();
    let mut ticker = interval(period);
    let mut samples = Vec::new();
    for _ in 0..count {
        samples.push(take_sample(start).await);
        // TODO: the first call to tick() does not wait for a full period.
        ticker.tick().await;
    }
    samples
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::Instant;

    fn millis(samples: &[Duration]) -> Vec<u128> {
        samples.iter().map(|d| d.as_millis()).collect()
    }

    /// Runs `sample_every` with the sensor's samples taking 30, 10, 60, 20 ms in turn,
    /// starting `taken_before` samples into that turn (0: the first sample takes 30 ms).
    async fn sample_with_sensor_at(
        taken_before: usize,
        period: Duration,
        count: usize,
    ) -> Vec<u128> {
        SAMPLES_TAKEN.set(taken_before);
        millis(&sample_every(period, count).await)
    }

    #[tokio::test(start_paused = true)]
    async fn samples_land_on_the_beat() {
        let samples = sample_with_sensor_at(0, Duration::from_millis(100), 5).await;
        assert_eq!(samples.len(), 5, "asked for 5 samples, got {samples:?}");
        assert_eq!(
            samples[0], 0,
            "the first sample must be taken right away, got {samples:?} (ms)"
        );
        assert_ne!(
            samples[1], 30,
            "a second sample was taken at 30 ms, right after the first one: the first tick() \
             of an interval completes immediately (got {samples:?} ms)"
        );
        assert_eq!(
            samples,
            [0, 100, 200, 300, 400],
            "samples should be taken every 100 ms starting at 0 ms. If you sleep between samples: \
             a sample takes 30, 10, 60 or 20 ms, so a sleep of one length drifts off the beat. \
             Let the interval keep it"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn another_period() {
        let samples = sample_with_sensor_at(1, Duration::from_millis(250), 3).await;
        assert_eq!(
            samples,
            [0, 250, 500],
            "with a period of 250 ms and samples taking 10, 60 and 20 ms, samples should be \
             taken at 0, 250 and 500 ms"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_single_sample_is_immediate() {
        let start = Instant::now();
        let samples = sample_with_sensor_at(0, Duration::from_secs(10), 1).await;
        assert_eq!(samples, [0], "one sample should be taken at 0 ms");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "taking a single sample took {:?}: do not wait a full period after the last sample",
            start.elapsed()
        );
    }
}
