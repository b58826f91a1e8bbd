// interval_first_tick
//
// `sample_every` must take `count` samples on a steady beat: the first one right away, then
// one every `period` (with a period of 100 ms: at 0, 100, 200, 300 ms, ...), and return as
// soon as the last one is taken. A sample takes 30 ms, which is why the code uses
// `tokio::time::interval` rather than a `sleep` after each sample: an interval keeps its
// beat however long the work between two ticks takes.
//
// But two samples come out at the very start. Look at when the FIRST `tick()` of an
// interval completes, and fix the loop so the samples land on the beat.

use std::time::Duration;
use tokio::time::{Instant, interval, sleep};

const SAMPLE_TIME: Duration = Duration::from_millis(30);

/// Takes one sample and returns the time it was taken, counted from `start`.
async fn take_sample(start: Instant) -> Duration {
    let at = start.elapsed();
    sleep(SAMPLE_TIME).await;
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
    use tokio::time::{Instant, advance, sleep};

    fn millis(samples: &[Duration]) -> Vec<u128> {
        samples.iter().map(|d| d.as_millis()).collect()
    }

    /// `future` (a call of sample_every), stopped with a message once it is polled 1000 times
    /// in a row at one moment of the paused clock: a loop that checks the clock and yields
    /// (`elapsed()` with `yield_now`) never lets the clock move on, and would spin until the
    /// run is killed.
    async fn guarded<T>(future: impl std::future::Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let (mut moment, mut polls) = (Instant::now(), 0);
        std::future::poll_fn(|cx| {
            if moment != Instant::now() {
                (moment, polls) = (Instant::now(), 0);
            }
            polls += 1;
            assert!(
                polls <= 1000,
                "sample_every was polled 1000 times in a row while the paused clock stood \
                 still: it checks the clock in a loop (`elapsed()` with `yield_now`), so the \
                 next beat can never come. Wait for the interval's tick() before each sample: \
                 the task then sleeps until the beat"
            );
            future.as_mut().poll(cx)
        })
        .await
    }

    /// Runs `sample_every`; returns the samples (in ms) and how long it took.
    async fn sample_and_time(period: Duration, count: usize) -> (Vec<u128>, Duration) {
        let start = Instant::now();
        let samples = guarded(sample_every(period, count)).await;
        (millis(&samples), start.elapsed())
    }

    /// The mistake this exercise is about: a first sample right away, and a second one a
    /// whole period later, not as soon as the first one is done.
    fn starts_on_the_beat(samples: &[u128], count: usize, period: Duration) {
        assert_eq!(
            samples.len(),
            count,
            "asked for {count} samples, got {samples:?}"
        );
        assert_eq!(
            samples[0], 0,
            "the first sample must be taken right away, got {samples:?} (ms)"
        );
        if count > 1 {
            assert!(
                samples[1] >= period.as_millis(),
                "the second sample was taken at {} ms, less than a period ({period:?}) after the \
                 first one, but samples must be a period apart. Mind that the first tick() of an \
                 interval completes immediately (got {samples:?} ms)",
                samples[1]
            );
        }
    }

    /// `sample_every` must return once its last sample is taken: not before (a sample takes
    /// `SAMPLE_TIME`), and not a period later.
    fn returned_after_last_sample(samples: &[u128], took: Duration, period: Duration) {
        let last = Duration::from_millis(*samples.last().unwrap() as u64);
        assert!(
            took >= last + SAMPLE_TIME,
            "sample_every returned after {took:?}, but its last sample is at {last:?} and a \
             sample takes {SAMPLE_TIME:?}: take every sample with `take_sample(start).await` \
             rather than writing the times down"
        );
        assert!(
            took < last + period,
            "sample_every returned after {took:?}, a full period after its last sample (at \
             {last:?}): return as soon as the last sample is taken, without waiting for \
             another tick"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn samples_land_on_the_beat() {
        let period = Duration::from_millis(100);
        let (samples, took) = sample_and_time(period, 5).await;
        starts_on_the_beat(&samples, 5, period);
        let gaps: Vec<u128> = samples.windows(2).map(|pair| pair[1] - pair[0]).collect();
        assert!(
            samples[1] != 130 || gaps[1..].iter().any(|&gap| gap != 100),
            "the samples after the first one are 100 ms apart but 30 ms late ({samples:?} ms): \
             they keep a beat that started when the first sample ended (at 30 ms), not at 0 ms. \
             The beat starts with the first sample: let one interval, made before it, keep the \
             beat from 0 ms (its first tick() completes at once)"
        );
        assert!(
            gaps.iter().any(|&gap| gap != 130),
            "the samples drift ({samples:?} ms): each one comes 130 ms after the one before, a \
             full period after the end of the 30 ms sample before it, so the lag grows with \
             every sample. Let the interval keep the beat"
        );
        assert_eq!(
            samples,
            [0, 100, 200, 300, 400],
            "samples should be taken every 100 ms starting at 0 ms"
        );
        returned_after_last_sample(&samples, took, period);
    }

    #[tokio::test(start_paused = true)]
    async fn another_period() {
        let period = Duration::from_millis(250);
        let (samples, took) = sample_and_time(period, 3).await;
        starts_on_the_beat(&samples, 3, period);
        assert_eq!(
            samples,
            [0, 250, 500],
            "with a period of 250 ms, samples should be taken at 0, 250 and 500 ms"
        );
        returned_after_last_sample(&samples, took, period);
    }

    #[tokio::test(start_paused = true)]
    async fn a_short_period() {
        let period = Duration::from_millis(40);
        let (samples, took) = sample_and_time(period, 4).await;
        starts_on_the_beat(&samples, 4, period);
        assert_eq!(
            samples,
            [0, 40, 80, 120],
            "with a period of 40 ms (a sample takes 30 ms), samples should be taken at 0, 40, 80 \
             and 120 ms: wait for the interval's tick before each sample, and take exactly one \
             sample per tick (a sample taken and thrown away still takes its 30 ms and makes the \
             next one late)"
        );
        returned_after_last_sample(&samples, took, period);
    }

    #[tokio::test(start_paused = true)]
    async fn a_thousand_samples() {
        let period = Duration::from_millis(100);
        let (samples, took) = sample_and_time(period, 1000).await;
        let expected: Vec<u128> = (0..1000).map(|n| n * 100).collect();
        assert_eq!(
            samples.len(),
            1000,
            "asked for 1000 samples (one every 100 ms), got {} (the first at {:?} ms, the last \
             at {:?} ms): take exactly `count` samples, however many that is",
            samples.len(),
            samples.first(),
            samples.last()
        );
        if let Some(at) = (0..1000).find(|&n| samples[n] != expected[n]) {
            panic!(
                "asked for 1000 samples, one every 100 ms from 0 ms: sample {at} was taken at {} \
                 ms, not at {} ms (the ones before it were on the beat)",
                samples[at], expected[at]
            );
        }
        returned_after_last_sample(&samples, took, period);
    }

    /// 2500 samples, more than any other test asks for (and past a round thousand): the
    /// beat and the count hold however many samples there are.
    #[tokio::test(start_paused = true)]
    async fn thousands_of_samples() {
        let period = Duration::from_millis(100);
        let (samples, took) = sample_and_time(period, 2500).await;
        let expected: Vec<u128> = (0..2500).map(|n| n * 100).collect();
        assert_eq!(
            samples.len(),
            2500,
            "asked for 2500 samples (one every 100 ms), got {} (the first at {:?} ms, the last \
             at {:?} ms): take exactly `count` samples, however many that is",
            samples.len(),
            samples.first(),
            samples.last()
        );
        if let Some(at) = (0..2500).find(|&n| samples[n] != expected[n]) {
            panic!(
                "asked for 2500 samples, one every 100 ms from 0 ms: sample {at} was taken at {} \
                 ms, not at {} ms (the ones before it were on the beat)",
                samples[at], expected[at]
            );
        }
        returned_after_last_sample(&samples, took, period);
    }

    #[tokio::test(start_paused = true)]
    async fn an_odd_period() {
        let period = Duration::from_millis(137);
        let (samples, took) = sample_and_time(period, 8).await;
        starts_on_the_beat(&samples, 8, period);
        assert_eq!(
            samples,
            (0..8u128).map(|n| n * 137).collect::<Vec<_>>(),
            "with a period of 137 ms, samples should be taken at 0, 137, 274, ... 959 ms: keep \
             the period exactly as it is given"
        );
        returned_after_last_sample(&samples, took, period);
    }

    /// A period that is not a whole number of milliseconds: 16 samples a second, 62.5 ms apart.
    /// Sample n is due at n × 62.5 ms; Tokio's timer may only round that up to the next
    /// millisecond. A period cut down to whole milliseconds (`as_millis()`) runs half a
    /// millisecond fast at every beat; a sleep for the rest of each period, rounded up to the
    /// next millisecond each time, runs half a millisecond slow: either way the samples drift
    /// off the beat.
    #[tokio::test(start_paused = true)]
    async fn a_period_that_is_not_whole_milliseconds() {
        let period = Duration::from_micros(62_500);
        let count = 9;
        let (samples, took) = sample_and_time(period, count).await;
        starts_on_the_beat(&samples, count, period);
        // Sample n is due at n * 62.5 ms: taken at that millisecond or the next one.
        let due: Vec<u128> = (0..count as u128).map(|n| n * 62_500 / 1000).collect();
        let early = samples.iter().zip(&due).any(|(&at, &due)| at < due);
        let late = samples.iter().zip(&due).any(|(&at, &due)| at > due + 1);
        let why = if early {
            "some came early: keep the period exactly as it is given, not cut to whole \
             milliseconds (as_millis() drops the fraction at every beat)"
        } else {
            "some came late, further behind at each beat: count every beat from the one start \
             (the interval's tick()), not from the end of the previous sleep (the timer rounds \
             each sleep up to the next millisecond, and a sleep for the rest of each period \
             adds that up), and keep the period exactly as it is given"
        };
        assert!(
            !early && !late,
            "with a period of 62.5 ms (62 500 µs), samples should be taken at 0, 62.5, 125, \
             187.5, ... 500 ms (each on that millisecond or the next: {due:?} ms or 1 ms later), \
             but were taken at {samples:?} ms: {why}"
        );
        returned_after_last_sample(&samples, took, period);
    }

    #[tokio::test(start_paused = true)]
    async fn a_single_sample_is_immediate() {
        let period = Duration::from_secs(10);
        let (samples, took) = sample_and_time(period, 1).await;
        starts_on_the_beat(&samples, 1, period);
        returned_after_last_sample(&samples, took, period);
    }

    /// `count` samples, however small: asked for none, sample_every takes none.
    #[tokio::test(start_paused = true)]
    async fn no_sample_asked_none_taken() {
        let (samples, took) = sample_and_time(Duration::from_millis(100), 0).await;
        assert!(
            samples.is_empty(),
            "sample_every(100 ms, 0) returned {} sample(s), taken at {samples:?} ms (it returned \
             after {took:?}): asked for 0 samples, it must take none and return an empty list",
            samples.len()
        );
    }

    /// How many times the runtime parks while `work` runs. Every sample takes 30 ms of the
    /// paused clock, and the clock only moves on when the runtime has nothing left to do, so
    /// the more moments the code waits for, the more the runtime parks.
    async fn parks_during<T>(work: impl std::future::Future<Output = T>) -> (T, u64) {
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.worker_park_count(0);
        let out = work.await;
        (out, metrics.worker_park_count(0) - before)
    }

    /// 5 samples 100 ms apart wait for 9 moments: the ends at 30, 130, 230, 330 and 430 ms
    /// and the starts at 100, 200, 300 and 400 ms, whatever keeps the beat. Code that takes
    /// only the last sample waits for 5. The test times its own schedule for comparison.
    #[tokio::test(start_paused = true)]
    async fn every_sample_is_really_taken() {
        let period = Duration::from_millis(100);
        let ((), by_hand) = parks_during(async {
            let start = Instant::now();
            for n in 0..5 {
                tokio::time::sleep_until(start + period * n).await;
                sleep(Duration::from_millis(30)).await;
            }
        })
        .await;
        let ((samples, _), parks) = parks_during(sample_and_time(period, 5)).await;
        assert_eq!(
            samples,
            [0, 100, 200, 300, 400],
            "samples should be taken every 100 ms starting at 0 ms"
        );
        assert!(
            parks * 5 >= by_hand * 4,
            "while 5 samples were taken 100 ms apart, the runtime waited only {parks} times, \
             where 5 real samples (each takes 30 ms) make it wait about {by_hand} times: some \
             samples were not taken. Take every sample with `take_sample(start).await` and push \
             what it returns, rather than writing the times down or reading the clock yourself"
        );
    }

    /// The moments of the paused clock at which sample_every is woken: with an interval, the
    /// beats (0, 100, 200, 300, 400 ms) and the samples' ends (30, 130, 230, 330 and 430 ms),
    /// 10 in all. A loop that checks the clock on a short timer until the next beat is woken at
    /// every check. One moment of the code's own per 20 ms (a progress message, say) is let
    /// through: 10 + 430 / 20 = 31.
    #[tokio::test(start_paused = true)]
    async fn sample_every_is_woken_on_the_beat() {
        let period = Duration::from_millis(100);
        let start = Instant::now();
        let mut moments: Vec<u128> = Vec::new();
        let mut sampling = Box::pin(guarded(sample_every(period, 5)));
        let samples = std::future::poll_fn(|cx| {
            let now = start.elapsed().as_millis();
            if moments.last() != Some(&now) {
                moments.push(now);
            }
            sampling.as_mut().poll(cx)
        })
        .await;
        assert_eq!(
            millis(&samples),
            [0, 100, 200, 300, 400],
            "samples should be taken every 100 ms starting at 0 ms"
        );
        assert!(
            moments.len() <= 31,
            "sample_every was woken at {} different moments of Tokio's clock while it took 5 \
             samples 100 ms apart (at {:?} ms), where the beat and the samples need 10 (and 31 \
             are let through, for a progress message every 20 ms or more): something wakes it \
             on a short timer, a check of whether the next beat has come or a progress message \
             more often than every 20 ms. Wait for the interval's tick() before each sample: it \
             wakes the task exactly on the beat",
            moments.len(),
            &moments[..moments.len().min(16)]
        );
    }

    /// While the first sample is being taken, the clock jumps 50 ms ahead: that sample ends
    /// at 60 ms instead of 30, as when the sensor is slow once. The beat must not move.
    #[tokio::test(start_paused = true)]
    async fn the_beat_survives_a_slow_sample() {
        let period = Duration::from_millis(100);
        let ((samples, took), ()) = tokio::join!(sample_and_time(period, 4), async {
            sleep(Duration::from_millis(10)).await;
            advance(Duration::from_millis(50)).await;
        });
        starts_on_the_beat(&samples, 4, period);
        assert_eq!(
            samples,
            [0, 100, 200, 300],
            "the first sample took 60 ms instead of 30 (the clock jumped 50 ms ahead while it \
             was taken), and the samples after it left the beat of 0, 100, 200, 300 ms: got \
             {samples:?} ms. A sleep of a fixed length between samples keeps the beat only while \
             every sample takes exactly 30 ms; an interval's ticks stay on the beat however long \
             a sample takes, so wait for the tick before each sample"
        );
        returned_after_last_sample(&samples, took, period);
    }

    /// While the first sample is being taken, the clock jumps 270 ms ahead (a sensor that
    /// hangs once): that sample ends at 280 ms, after the ticks of 100 and 200 ms. Whatever
    /// the interval then does with the missed ticks, no later sample can be taken before
    /// 280 ms, so a time earlier than that was written down, not measured.
    #[tokio::test(start_paused = true)]
    async fn the_samples_are_the_times_they_were_taken() {
        let period = Duration::from_millis(100);
        let ((samples, took), ()) = tokio::join!(sample_and_time(period, 4), async {
            sleep(Duration::from_millis(10)).await;
            advance(Duration::from_millis(270)).await;
        });
        assert_eq!(
            samples.len(),
            4,
            "asked for 4 samples, got {samples:?} (ms)"
        );
        assert_eq!(
            samples[0], 0,
            "the first sample must be taken right away, got {samples:?} (ms)"
        );
        assert!(
            samples[1..].iter().all(|&at| at >= 280),
            "the first sample ended only at 280 ms (the clock jumped 270 ms ahead while it was \
             taken), yet sample_every says later samples were taken at {samples:?} ms: those \
             times were written down, not measured. Push what `take_sample(start).await` \
             returns for every sample"
        );
        // After the jump the interval fires its missed ticks at once (Burst, its default), or
        // its next tick 20 ms later (Skip), but a sample is taken only once the one before it
        // has ended, 30 ms later at least.
        let sample_ms = SAMPLE_TIME.as_millis();
        assert!(
            samples
                .windows(2)
                .all(|pair| pair[1] >= pair[0] + sample_ms),
            "samples were taken at {samples:?} ms, some less than the {sample_ms} ms a sample \
             takes after the one before: they ran at the same time (a task spawned per sample?). \
             Take the samples one after another in sample_every's own loop: \
             `samples.push(take_sample(start).await)` after each tick"
        );
        assert!(
            took >= Duration::from_millis(*samples.last().unwrap() as u64) + SAMPLE_TIME,
            "sample_every returned after {took:?}, before its last sample ({samples:?} ms) \
             could have ended"
        );
    }

    /// A period of 20 ms, shorter than the 30 ms a sample takes: every sample runs past the
    /// next beat. The story does not say where the samples then land (that depends on what the
    /// interval does with a missed tick), but it asks for `count` samples: all 3 must be taken
    /// and returned.
    #[tokio::test(start_paused = true)]
    async fn a_period_shorter_than_a_sample() {
        let period = Duration::from_millis(20);
        let limit = Duration::from_secs(60);
        let Ok((samples, took)) = tokio::time::timeout(limit, sample_and_time(period, 3)).await
        else {
            panic!(
                "sample_every(20 ms, 3) had not returned after {limit:?} of Tokio's paused \
                 clock, where 3 samples of 30 ms each need about 90 ms: with a period shorter \
                 than a sample, it must still take the 3 samples asked for and return"
            );
        };
        assert_eq!(
            samples.len(),
            3,
            "sample_every(20 ms, 3) returned {} sample(s), taken at {samples:?} ms (it returned \
             after {took:?}): asked for 3 samples, it must return 3. Here the period (20 ms) is \
             shorter than the 30 ms a sample takes, so each sample runs past the next beat; a \
             sample that overruns its beat is still a sample, to be taken in full and kept",
            samples.len()
        );
    }

    /// sample_every on a thread named `main`, with a paused runtime built there, as in a
    /// program (whose `main` runs on its thread named main), and then on the test's own
    /// thread: every other test runs on a thread libtest names after the test (`tests::...`),
    /// so a beat kept only on such a thread shows here.
    #[test]
    fn the_beat_is_kept_on_a_thread_named_main() {
        let period = Duration::from_millis(100);
        let run = move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .start_paused(true)
                .build()
                .unwrap()
                .block_on(sample_and_time(period, 5))
        };
        let (on_main, took) = std::thread::Builder::new()
            .name("main".to_string())
            .spawn(run)
            .unwrap()
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let (here, _) = run();
        assert_eq!(
            on_main, here,
            "sample_every(100 ms, 5) took its samples at {on_main:?} ms on a thread named main, \
             with a paused runtime built there (as in a program), but at {here:?} ms on the \
             test's own thread (which libtest names after the test), on the same paused clock: \
             it keeps the beat on some threads only (does the code look at the thread it runs \
             on, its name?). Wait for the interval's tick() before each sample, on whatever \
             thread sample_every runs: the first sample at 0 ms, then one every period"
        );
        starts_on_the_beat(&on_main, 5, period);
        assert_eq!(
            on_main,
            [0, 100, 200, 300, 400],
            "samples should be taken every 100 ms starting at 0 ms"
        );
        returned_after_last_sample(&on_main, took, period);
    }

    /// Counts no other test uses: a pair of samples, and a slow beat of 2 s. The first sample
    /// comes right away and the next ones on the beat, whatever `count` and `period` are.
    #[tokio::test(start_paused = true)]
    async fn a_pair_and_a_slow_beat() {
        for (period_ms, count) in [(100, 2), (2000, 3)] {
            let period = Duration::from_millis(period_ms);
            let (samples, took) = sample_and_time(period, count).await;
            starts_on_the_beat(&samples, count, period);
            let expected: Vec<u128> = (0..count as u128).map(|n| n * period.as_millis()).collect();
            assert_eq!(
                samples, expected,
                "sample_every({period:?}, {count}) should take its samples at {expected:?} ms \
                 (the first right away, then one every period), but took them at {samples:?} \
                 ms: wait for the interval's tick() before each sample, whatever the period \
                 and the number of samples"
            );
            returned_after_last_sample(&samples, took, period);
        }
    }

    /// Once sample_every has returned, nothing it started may keep ticking: 10 periods later
    /// the runtime has no more tasks alive than before the call.
    #[tokio::test(start_paused = true)]
    async fn nothing_keeps_ticking_after_the_last_sample() {
        let period = Duration::from_millis(100);
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        let (samples, _) = sample_and_time(period, 3).await;
        assert_eq!(
            samples,
            [0, 100, 200],
            "samples should be taken every 100 ms starting at 0 ms"
        );
        sleep(period * 10).await;
        let left = metrics.num_alive_tasks().saturating_sub(before);
        assert_eq!(
            left, 0,
            "{left} task(s) started by sample_every(100 ms, 3) were still alive 1 s (10 periods) \
             after it returned: something it spawned (a task that ticks and sends the beats?) \
             goes on after the last sample. Whatever sample_every starts must end once the \
             samples are taken (a ticker task must stop when its send fails or it is told to), \
             or keep the interval in sample_every's own loop and wait for its tick() there"
        );
    }
}
