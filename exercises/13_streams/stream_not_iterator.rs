// stream_not_iterator
//
// A thermometer sends its readings as a `Stream`: values that arrive one at a time, whenever
// the thermometer has a new one. `first_alerts` should return an alert for each of the first
// `count` readings hotter than `limit`, and stop reading right after the last alert it needs:
// a live thermometer never stops sending. The code reads the stream like an iterator, and
// does not compile.
//
// Read the stream the async way: wait for each reading with the methods of a `StreamExt`
// trait (or build the answer with its `filter`, `map` and `take`).

use tokio_stream::Stream;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub minute: u32,
    pub celsius: i32,
}

pub fn alert(reading: Reading) -> String {
    format!("minute {}: {} °C", reading.minute, reading.celsius)
}

pub async fn first_alerts(
    readings: impl Stream<Item = Reading> + Unpin,
    limit: i32,
    count: usize,
) -> Vec<String> {
    let mut alerts = Vec::new();
    // TODO: a `for` loop cannot wait for the next reading to arrive.
    for reading in readings {
        if reading.celsius > limit {
            alerts.push(alert(reading));
            if alerts.len() == count {
                break;
            }
        }
    }
    alerts
}

#[tokio::main]
async fn main() {
    let readings = [18, 31, 25, 33, 35].map(|celsius| Reading { minute: 0, celsius });
    let readings = tokio_stream::iter(readings);
    println!("{:?}", first_alerts(readings, 30, 2).await);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    // Only the exercise's own items: a trait the code imports (`use futures_util::StreamExt as
    // _;`) must not clash with the `StreamExt` the tests use.
    use super::{Reading, first_alerts};
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::sync::mpsc;
    use tokio::time::{Instant, sleep};
    use tokio_stream::wrappers::ReceiverStream;
    use tokio_stream::{Stream, StreamExt};

    /// One reading a minute: 20 °C, except at the minutes listed in `hot` (40 °C).
    fn reading(minute: u32, hot: &[u32]) -> Reading {
        let celsius = if hot.contains(&minute) { 40 } else { 20 };
        Reading { minute, celsius }
    }

    /// Fails, saying so, if one of `alerts` (each reads "minute M: C °C") is about a reading
    /// that is not above `limit`: where `what_came` happened, the learner sees why first.
    fn no_cold_alert(alerts: &[String], limit: i32, what_came: &str) {
        let cold = alerts.iter().find(|alert| {
            alert
                .rsplit_once(": ")
                .and_then(|(_, celsius)| celsius.strip_suffix(" °C"))
                .and_then(|celsius| celsius.parse::<i32>().ok())
                .is_some_and(|celsius| celsius <= limit)
        });
        if let Some(cold) = cold {
            panic!(
                "{what_came}, and first_alerts gave {alerts:?}: {cold:?} is no alert, its \
                 reading is not above the {limit} °C limit. Compare every reading with the \
                 limit, the ones after a hot reading too (`skip_while` lets through all that \
                 follows the first reading it does not skip; `filter` checks each one)"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn hot_readings_become_alerts() {
        let celsius = [22, 31, 30, 29, 45, 12, 33, 38];
        let readings = (0u32..)
            .zip(celsius)
            .map(|(minute, celsius)| Reading { minute, celsius });
        let alerts = first_alerts(tokio_stream::iter(readings), 30, 3).await;
        assert_eq!(
            alerts,
            ["minute 1: 31 °C", "minute 4: 45 °C", "minute 6: 33 °C"],
            "the alerts must be the first 3 readings above 30 °C, in the order they came"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn readings_below_zero_are_compared_with_their_sign() {
        // A frosty night, then a hot afternoon: -35 °C and -41 °C are far below 30 °C.
        let celsius = [12, -35, -41, 25, 34];
        let readings = (0u32..)
            .zip(celsius)
            .map(|(minute, celsius)| Reading { minute, celsius });
        let alerts = first_alerts(tokio_stream::iter(readings), 30, 1).await;
        assert_eq!(
            alerts,
            ["minute 4: 34 °C"],
            "the readings were 12, -35, -41, 25 and 34 °C, and first_alerts, asked for the \
             first one above 30 °C, gave {alerts:?}: -35 °C and -41 °C are colder than 30 °C, \
             not hotter. A reading is hot when it is greater than the limit, sign and all"
        );
        // A freezer, whose limit is below zero: -12 °C is above -18 °C, -20 °C is not.
        let celsius = [-20, -25, -12, -30];
        let readings = (0u32..)
            .zip(celsius)
            .map(|(minute, celsius)| Reading { minute, celsius });
        let alerts = first_alerts(tokio_stream::iter(readings), -18, 1).await;
        assert_eq!(
            alerts,
            ["minute 2: -12 °C"],
            "a freezer read -20, -25, -12 and -30 °C, and first_alerts, asked for the first \
             reading above -18 °C, gave {alerts:?}: only -12 °C is warmer than -18 °C. A \
             reading is hot when it is greater than the limit, sign and all"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_that_ends_ends_the_search() {
        // 5 readings, 2 of them hot, then the stream ends: `next()` gives None.
        let mut minutes = 0..5;
        let mut asked_after_the_end = 0;
        let readings = futures_util::stream::poll_fn(move |_| match minutes.next() {
            Some(minute) => std::task::Poll::Ready(Some(reading(minute, &[1, 3]))),
            None => {
                asked_after_the_end += 1;
                assert!(
                    asked_after_the_end <= 100,
                    "the stream had ended (it gave None), and first_alerts asked it for \
                     another reading 100 times"
                );
                std::task::Poll::Ready(None)
            }
        });
        let alerts = first_alerts(readings, 30, 3);
        let alerts =
            futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(alerts)).await;
        if let Ok(alerts) = &alerts {
            no_cold_alert(
                alerts,
                30,
                "the stream gave 5 readings, 2 of them above 30 °C, and ended; asked for 3 alerts",
            );
        }
        let got = match &alerts {
            Ok(alerts) => format!("{alerts:?}"),
            Err(_) => "a panic (its message is in the output)".to_string(),
        };
        assert!(
            matches!(&alerts, Ok(alerts) if alerts == &["minute 1: 40 °C", "minute 3: 40 °C"]),
            "the stream gave 5 readings, 2 of them above 30 °C, and ended; asked for 3 alerts, \
             first_alerts gave {got}. When `next()` gives None, the stream is over and nothing \
             more will come: return the alerts found so far, as the `for` loop did (`while let \
             Some(reading) = readings.next().await`)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn reading_stops_after_the_last_alert() {
        let pulled = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&pulled);
        let readings = tokio_stream::iter(0..1000).map(move |minute| {
            counter.fetch_add(1, Ordering::SeqCst);
            reading(minute, &[3, 6, 8, 13])
        });
        let alerts = first_alerts(readings, 30, 2).await;
        assert_eq!(
            alerts,
            ["minute 3: 40 °C", "minute 6: 40 °C"],
            "the alerts must be the first 2 readings above 30 °C, in the order they came"
        );
        let pulled = pulled.load(Ordering::SeqCst);
        assert_eq!(
            pulled, 7,
            "first_alerts took {pulled} readings from the stream, but the 2nd alert was the \
             7th reading: stop asking the stream for more once you have `count` alerts, and \
             ask for one reading at a time (a live thermometer never ends, so reading it to \
             the end waits forever, and reading ahead takes readings nobody asked for)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_cold_spell_does_not_end_the_search() {
        // 20 °C for 10 000 minutes (about a week), then two hot readings, then more
        // readings. (Not more: code that keeps every reading and looks through all of them
        // again at each new one is correct, and must finish in time.)
        let readings =
            tokio_stream::iter(0..20_000).map(|minute| reading(minute, &[10_000, 10_001]));
        let alerts = first_alerts(readings, 30, 2).await;
        assert_eq!(
            alerts,
            ["minute 10000: 40 °C", "minute 10001: 40 °C"],
            "here the first 10 000 readings were all 20 °C and the next two were hot, but \
             first_alerts gave {alerts:?}: it stopped looking before they came, after some \
             number of readings (a `take(n)` on the readings, a counter) or when a reading was \
             not there at once. Only the alerts count: await reading after reading until \
             `count` of them are in, however many cold readings come first"
        );
    }

    /// `readings`, failing if it is polled over and over, as it is by a consumer that looks
    /// for the next reading in a loop instead of awaiting it. Between two readings, 1000 polls
    /// are let be, plus one per 5 ms of (paused) time: a progress message on a timer of 10 ms
    /// or more, in a `select!` with `next()`, polls the stream once or twice per tick. At any
    /// one moment of the paused clock, 1000 polls are let be, plus one per 5 minutes of the
    /// wait so far: a default `interval` (`MissedTickBehavior::Burst`) of 10 minutes or more
    /// beside `next()` fires the ticks it missed all at once when the clock jumps ahead
    /// (`jump`: the moment the test's clock jumped to, if it does).
    fn awaited_only(
        readings: impl Stream<Item = Reading> + Unpin,
        jump: Option<Instant>,
    ) -> impl Stream<Item = Reading> + Unpin {
        let mut readings = readings;
        let mut polls = 0u64;
        let mut since = None;
        // The moment of the latest poll, and how many polls came at that moment.
        let mut moment = None;
        let mut at_moment = 0u64;
        futures_util::stream::poll_fn(move |cx| {
            let now = Instant::now();
            let started = *since.get_or_insert(now);
            let waited = now - started;
            polls += 1;
            if moment == Some(now) {
                at_moment += 1;
            } else {
                (moment, at_moment) = (Some(now), 1);
            }
            if at_moment > 1000 + waited.as_secs() / 300 {
                if jump == Some(now) {
                    panic!(
                        "first_alerts polled the thermometer's stream {at_moment} times at the \
                         moment the test's paused clock jumped ahead a year (the thermometer \
                         quiet since its last reading {waited:?} before): a \
                         `tokio::time::interval` with the default `MissedTickBehavior::Burst` \
                         fires every tick it missed at once, and here each one polled the \
                         stream again. For a progress message beside `next()`, set \
                         `MissedTickBehavior::Delay` (or `Skip`) on the interval, or use a fresh \
                         `sleep` each time round; and if the timer is there to look for \
                         readings, await each reading with `next()` instead: the stream wakes \
                         you up when it has one"
                    );
                }
                panic!(
                    "first_alerts polled the thermometer's stream {at_moment} times at one \
                     moment (of the test's paused clock), {waited:?} after the last reading: it \
                     looks for the next reading over and over (now_or_never, yield_now) instead \
                     of waiting for it. Await each reading with `next()` (or a `StreamExt` \
                     combinator): the stream wakes you up when it has one"
                );
            }
            assert!(
                polls <= 1000 + (waited.as_millis() / 5) as u64,
                "first_alerts polled the thermometer's stream {polls} times in {waited:?} \
                 between two readings: it looks for the next reading on a timer of a few \
                 milliseconds (now_or_never, or a poll, then a sleep) instead of waiting for it. \
                 Await each reading with `next()` (or a `StreamExt` combinator): the stream \
                 wakes you up when it has one (a progress message on a timer of 10 ms or more, \
                 beside `next()` in a `select!`, is fine)"
            );
            let next = Pin::new(&mut readings).poll_next(cx);
            if next.is_ready() {
                polls = 0;
                since = Some(now);
            }
            next
        })
    }

    #[tokio::test(start_paused = true)]
    async fn alerts_come_while_the_thermometer_keeps_sending() {
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(async move {
            // A day of readings, one a minute.
            for minute in 0..24 * 60 {
                if tx.send(reading(minute, &[2, 4])).await.is_err() {
                    return;
                }
                sleep(Duration::from_secs(60)).await;
            }
        });
        let start = Instant::now();
        let alerts = first_alerts(awaited_only(ReceiverStream::new(rx), None), 30, 2).await;
        assert_eq!(
            alerts,
            ["minute 2: 40 °C", "minute 4: 40 °C"],
            "the alerts must be the first 2 readings above 30 °C, in the order they came"
        );
        let took = start.elapsed();
        let why = if took < Duration::from_secs(3600) {
            "return as soon as the `count`-th alert is in, without asking the stream for one \
             more reading, and await each reading with `next()` (or a `StreamExt` \
             combinator), so that the stream wakes you up as soon as it comes, instead of \
             looking for it on a timer"
        } else {
            "return as soon as you have `count` alerts, without waiting for the rest of the \
             day's readings"
        };
        assert_eq!(
            took,
            Duration::from_secs(4 * 60),
            "first_alerts returned after {took:?}, but the 2nd alert came at minute 4: {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_thermometer_that_goes_quiet_for_a_year() {
        // A hot reading, a cold one 30.011 s later; a minute after the first, the test's clock
        // jumps a year (366 days) ahead, as if the thermometer had said nothing all that time
        // (every timer due in that year is due at once); 7.001 s after the jump, another hot
        // reading. The thermometer stays connected all along.
        let year = Duration::from_secs(366 * 24 * 3600);
        let cold = Duration::from_millis(30_011);
        let jump = Duration::from_secs(60) + year;
        let second = jump + Duration::from_millis(7001);
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(async move {
            let _ = tx.send(reading(0, &[0, 1])).await;
            sleep(cold).await;
            let _ = tx.send(reading(30, &[0, 1])).await;
            sleep(Duration::from_secs(60) - cold).await;
            tokio::time::advance(year).await;
            sleep(Duration::from_millis(7001)).await;
            let _ = tx.send(reading(1, &[0, 1])).await;
            sleep(Duration::from_secs(3600)).await;
        });
        let start = Instant::now();
        // When first_alerts took each reading out of the stream.
        let taken = Arc::new(std::sync::Mutex::new(Vec::new()));
        let noted = Arc::clone(&taken);
        let readings =
            awaited_only(ReceiverStream::new(rx), Some(start + jump)).map(move |reading| {
                noted.lock().unwrap().push(Instant::now() - start);
                reading
            });
        let alerts = std::panic::AssertUnwindSafe(first_alerts(readings, 30, 2));
        let alerts = futures_util::FutureExt::catch_unwind(alerts).await;
        let took = start.elapsed();
        let alerts = match alerts {
            Ok(alerts) => alerts,
            Err(stopped) => {
                let message = (stopped.downcast_ref::<String>().map(String::as_str))
                    .or(stopped.downcast_ref::<&str>().copied())
                    .unwrap_or_default();
                // The stream's own checks (polls in a loop or on a timer) stand.
                if message.starts_with("first_alerts polled") {
                    std::panic::resume_unwind(stopped);
                }
                // A time limit that panics (a safety net) is let be, once the readings before
                // it were awaited: the cold one taken the moment it came.
                let taken = taken.lock().unwrap().clone();
                let cold_taken = match taken.get(1) {
                    Some(at) => format!("taken after {at:?}"),
                    None => "never taken".to_string(),
                };
                assert!(
                    taken.get(1) == Some(&cold),
                    "first_alerts panicked after {took:?} ({message:?}), and the cold reading \
                     the thermometer sent {cold:?} after its first one was {cold_taken}: await \
                     each reading with `next()` (or a `StreamExt` combinator), so that the \
                     stream wakes you up the moment it comes, not on a timer's beat, and wait \
                     as long as it takes (the thermometer sends a reading a minute here)"
                );
                return;
            }
        };
        no_cold_alert(
            &alerts,
            30,
            "the thermometer sent a hot reading, a cold one 30 s later, then went quiet for a \
             year before its second hot one",
        );
        assert_eq!(
            alerts,
            ["minute 0: 40 °C", "minute 1: 40 °C"],
            "the thermometer went quiet for a year after its first hot reading, then sent a \
             second one, and first_alerts returned {} alert(s) after {took:?}: a quiet stream \
             has not ended. Wait for the next reading for as long as it takes \
             (`next().await`), without a timer (a `timeout` that gives up)",
            alerts.len()
        );
        let why = if took >= second + Duration::from_secs(3600) {
            "return as soon as the `count`-th alert is in, without asking the stream for one \
             more reading (here the stream ended an hour after the second one)"
        } else {
            "it looks for the next reading on a timer's beat instead of awaiting it. Await \
             each reading with `next()` (or a `StreamExt` combinator), so that the stream \
             wakes you up the moment it comes"
        };
        assert_eq!(
            took, second,
            "the thermometer's second hot reading came {second:?} after the first (a year of \
             silence, then 7.001 s), but first_alerts returned after {took:?}: {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_same_hot_reading_twice_gives_two_alerts() {
        // A thermometer that reads more often than once a minute: 35 °C twice in a row at
        // minute 1, then 36 °C, then 35 °C again.
        let readings = [
            (0, 20),
            (1, 35),
            (1, 35),
            (1, 36),
            (1, 35),
            (2, 20),
            (3, 36),
        ]
        .map(|(minute, celsius)| Reading { minute, celsius });
        let alerts = first_alerts(tokio_stream::iter(readings), 30, 5).await;
        assert_eq!(
            alerts,
            [
                "minute 1: 35 °C",
                "minute 1: 35 °C",
                "minute 1: 36 °C",
                "minute 1: 35 °C",
                "minute 3: 36 °C"
            ],
            "the thermometer sent the same hot reading (minute 1, 35 °C) twice in a row and once \
             more later, and first_alerts gave {alerts:?}: each reading above the limit is an \
             alert of its own, repeats too. Make an alert of every hot reading, without \
             comparing it with the ones before"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn many_alerts_are_all_given() {
        for (readings, hot) in [(20u32, 15u32), (2000, 1500)] {
            // The first `hot` minutes are hot, the rest cold.
            let hot_minutes: Vec<u32> = (0..hot).collect();
            let stream = tokio_stream::iter(0..readings).map(move |minute| {
                let celsius = if minute < hot { 40 } else { 20 };
                Reading { minute, celsius }
            });
            let alerts = first_alerts(stream, 30, hot as usize).await;
            let expected: Vec<String> = hot_minutes
                .iter()
                .map(|minute| format!("minute {minute}: 40 °C"))
                .collect();
            let how = if alerts.len() < expected.len() && expected.starts_with(&alerts) {
                format!("the first {} of them, in order, and no more", alerts.len())
            } else {
                format!("{} alerts: {alerts:?}", alerts.len())
            };
            assert!(
                alerts == expected,
                "of {readings} readings, the first {hot} were above 30 °C, and first_alerts, \
                 asked for {hot} alerts, gave {how}. Give as many alerts as `count` asks for, \
                 however many that is"
            );
        }
    }
}
