// mpsc_clone_senders
//
// `total_rainfall` starts one task per weather station. Each station sends its readings into
// an mpsc channel; the function itself is the single consumer and adds them all up.
// It does not compile: the first station task takes the only `Sender` with it (`move`), so
// the next stations have none left.
//
// mpsc means "multi-producer, single-consumer": give every producer its own `Sender`.

use std::time::Duration;

use tokio::sync::mpsc;

async fn total_rainfall(stations: Vec<Vec<u32>>) -> u32 {
    let (tx, mut rx) = mpsc::channel(16);

    for (i, readings) in stations.into_iter().enumerate() {
        // TODO: every station task needs a Sender of its own.
        tokio::spawn(async move {
            for mm in readings {
                // Stations report at different speeds.
                tokio::time::sleep(Duration::from_millis(10 * (i as u64 + 1))).await;
                tx.send(mm).await.unwrap();
            }
        });
    }
    // Our own Sender is not needed any more (the next exercise shows why this line matters).
    drop(tx);

    let mut total = 0;
    while let Some(mm) = rx.recv().await {
        total += mm;
    }
    total
}

#[tokio::main]
async fn main() {
    let total = total_rainfall(vec![vec![1, 2], vec![3]]).await;
    println!("total rainfall: {total} mm");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::Instant;

    /// `total_rainfall(stations)`, stopped with a message once it is polled 1000 times in a
    /// row at one moment of the paused clock: a loop that keeps checking the channel (try_recv
    /// and yield_now) never lets the clock move on, and would spin until the run is killed.
    async fn rainfall(stations: Vec<Vec<u32>>) -> u32 {
        let mut call = std::pin::pin!(total_rainfall(stations));
        let (mut moment, mut polls) = (Instant::now(), 0);
        std::future::poll_fn(|cx| {
            if moment != Instant::now() {
                (moment, polls) = (Instant::now(), 0);
            }
            polls += 1;
            assert!(
                polls <= 1000,
                "total_rainfall was polled 1000 times in a row while the paused clock stood \
                 still: it keeps checking the channel (try_recv and yield_now in a loop?), and \
                 so never lets the stations' timers run. Wait in rx.recv().await, which wakes \
                 it when a reading arrives and returns None once every Sender is gone"
            );
            call.as_mut().poll(cx)
        })
        .await
    }

    #[tokio::test(start_paused = true)]
    async fn adds_up_every_station() {
        let stations = vec![vec![1, 2, 3], vec![10, 20], vec![100], vec![1000, 2000]];
        assert_eq!(
            rainfall(stations).await,
            3136,
            "the total must include every reading of every station"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stations_report_at_the_same_time() {
        let start = Instant::now();
        let total = rainfall(vec![vec![5; 10], vec![7; 5]]).await;
        assert_eq!(
            total, 85,
            "10 readings of 5 and 5 readings of 7 add up to 85"
        );
        let elapsed = start.elapsed().as_millis();
        assert!(
            elapsed >= 100,
            "total_rainfall returned after {elapsed} ms, but the stations send their last \
             readings at 100 ms: add up the readings the stations send over the channel, until \
             every station is done"
        );
        assert!(
            elapsed < 150,
            "the stations took {elapsed} ms instead of 100 ms: they reported one after the \
             other. Each station should keep running in its own task"
        );
    }

    /// Heap blocks held on this thread once `total_rainfall(stations)` has run for `ms` ms of
    /// paused time, on a current-thread runtime of its own where every task runs on this thread.
    /// The call is kept (not dropped) until the count is taken.
    fn heap_blocks_held_after(ms: u64, stations: Vec<Vec<u32>>) -> i64 {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let mut call = Box::pin(total_rainfall(stations));
        let info = allocation_counter::measure(|| {
            runtime.block_on(async {
                let _ = tokio::time::timeout(Duration::from_millis(ms), &mut call).await;
            });
        });
        drop(call);
        drop(runtime);
        info.count_current
    }

    /// Whether the readings come out of the channel while the stations send, even from a task
    /// the function then waits for. Tokio's mpsc channel keeps its messages in blocks of 32
    /// slots, and puts a block the receiver has emptied back for reuse: when the readings are
    /// read as they come, the 33rd reading takes a new block and the 65th reuses the first one.
    /// Readings that are never sent take no block, and readings left in the channel take a new
    /// one every 32. Station 0 reports every 10 ms and station 1 every 20 ms: the 32nd and 33rd
    /// readings come at 220 ms, the 65th and 66th at 440 ms, so both windows see the same two
    /// readings, and only the block tells them apart.
    fn readings_leave_the_channel_as_they_come() -> (i64, i64) {
        let stations = || vec![vec![1; 100], vec![2; 50]];
        // Once first: what a thread allocates only on its first run is not counted below.
        heap_blocks_held_after(1100, stations());
        let around = |ms: u64| {
            heap_blocks_held_after(ms + 5, stations()) - heap_blocks_held_after(ms - 5, stations())
        };
        (around(220), around(440))
    }

    /// What the heap showed of 150 readings (station 0: 100 every 10 ms, station 1: 50 every
    /// 20 ms) around the 33rd and the 65th, as readings_leave_the_channel_as_they_come tells.
    fn heap_report(at_33rd: i64, at_65th: i64) -> String {
        if at_33rd < 1 {
            format!(
                "of 150 readings from 2 stations, the 33rd took no new block of a channel's \
                 storage (Tokio's mpsc channel keeps its messages in blocks of 32, so a channel \
                 that carries every reading takes its second block there; {at_33rd} new heap \
                 blocks around it): fewer readings went through one channel, one message each"
            )
        } else {
            format!(
                "of 150 readings from 2 stations, the 65th took a new block of a channel's \
                 storage too ({at_65th} new heap blocks around it; Tokio's mpsc channel keeps \
                 its messages in blocks of 32, and reuses a block once every message in it has \
                 been read): the readings were left in the channel instead of read as they came"
            )
        }
    }

    /// Whether the 150 readings of the heap check (station 0: 100 every 10 ms, station 1: 50
    /// every 20 ms, 200 mm) all come back: readings left in the channel while the station
    /// tasks are awaited fill it up, and the stations then wait for room forever. Gives the ms
    /// total_rainfall took: 1000 when the stations report side by side.
    async fn the_heap_check_readings_are_all_added(wakeups: u32) -> u128 {
        let start = Instant::now();
        let rainfall = rainfall(vec![vec![1; 100], vec![2; 50]]);
        let total = tokio::time::timeout(Duration::from_secs(60), rainfall).await;
        let elapsed = start.elapsed().as_millis();
        let seen = match total {
            Ok(total) => format!("returned {total} mm"),
            Err(_) => "had not returned after 60 s".to_string(),
        };
        assert!(
            total == Ok(200),
            "total_rainfall was woken up {wakeups} time(s) while the readings came, and \
             for 150 readings from 2 stations (200 mm) it {seen}: readings left in the \
             channel while the station tasks are awaited fill it up, and the stations then \
             wait for room. Each station should send every reading over the channel as it \
             takes it, and total_rainfall should add each one up as it comes out of rx, in a \
             loop, not wait for the station tasks to finish"
        );
        elapsed
    }

    /// Why the heap check cannot judge a run of its 150 readings that took `elapsed` ms instead
    /// of 1000, if it did: the heap is read where the 33rd reading comes when both stations
    /// report side by side (220 ms).
    fn off_the_heap_schedule(elapsed: u128) -> Option<String> {
        let when = match elapsed.cmp(&1000) {
            std::cmp::Ordering::Equal => return None,
            std::cmp::Ordering::Greater => "later than",
            std::cmp::Ordering::Less => "sooner than",
        };
        Some(format!(
            "for 150 readings from 2 stations (station 0: 100 every 10 ms, station 1: 50 every 20 \
             ms), total_rainfall returned after {elapsed} ms, {when} the 1000 ms at which both \
             stations are done when they report side by side. This test reads the heap where \
             the 33rd and the 65th readings come when the stations do (220 and 440 ms), to see \
             whether the readings leave one channel as they come, and cannot judge readings that \
             come on another schedule. Let every station run at once, each in a task of its own \
             (tokio::spawn) with its own clone of the ONE Sender, add each reading up as it \
             comes out of rx, and return once the last station is done (rx.recv() returns None \
             once every Sender is dropped)"
        ))
    }

    #[tokio::test(start_paused = true)]
    async fn readings_are_added_as_they_arrive() {
        // Station 0 reports every 10 ms, station 1 every 20 ms: readings arrive at 10 moments.
        let mut rainfall = std::pin::pin!(rainfall(vec![vec![1; 10], vec![2; 5]]));
        let mut wakeups = 0;
        let total = std::future::poll_fn(|cx| {
            wakeups += 1;
            rainfall.as_mut().poll(cx)
        })
        .await;
        assert_eq!(
            total, 20,
            "10 readings of 1 and 5 readings of 2 add up to 20"
        );
        // Woken rarely, the readings may be read in a task that total_rainfall waits for; woken
        // often, it may still leave them in the channel until the stations are done (stations
        // joined in its own task, with no spawn): the heap shows both.
        let elapsed = the_heap_check_readings_are_all_added(wakeups).await;
        println!("measuring the heap (this line gives the captured output its buffer first)");
        let (at_33rd, at_65th) = std::thread::spawn(readings_leave_the_channel_as_they_come)
            .join()
            .unwrap();
        if at_33rd - at_65th < 1
            && let Some(why) = off_the_heap_schedule(elapsed)
        {
            panic!("{why}");
        }
        assert!(
            at_33rd - at_65th >= 1,
            "total_rainfall was woken up {wakeups} time(s) while readings came in at 10 \
             different moments (every 10 ms until 100 ms), and the readings did not come out \
             of one channel one by one as they were sent: {}. Each station should run in a task of \
             its own (tokio::spawn) and send every reading, as it takes it, over a clone of \
             the ONE Sender, and total_rainfall should add each one up as it comes out of rx, \
             in a loop",
            heap_report(at_33rd, at_65th)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_dry_day_of_0_mm_is_a_reading_too() {
        // A station reports 0 mm for a dry day, and goes on reporting after it.
        let total = rainfall(vec![vec![0, 5], vec![3, 0, 4]]).await;
        let why = if total == 3 {
            "that is the total without the readings that come after a 0 mm reading: 0 mm (a \
             dry day) is a reading like any other, and the station goes on reporting after it"
        } else {
            "add up every reading that comes out of the channel"
        };
        assert_eq!(
            total, 12,
            "one station reported 0 and 5 mm, another 3, 0 and 4 mm: 12 mm in all, but \
             total_rainfall returned {total} mm: {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_stations_no_rain() {
        assert_eq!(rainfall(Vec::new()).await, 0, "no stations means 0 mm");
    }

    #[tokio::test(start_paused = true)]
    async fn more_readings_than_the_channel_holds() {
        // The channel holds 16 readings; 3 stations send 60.
        let stations = vec![vec![1; 20], vec![2; 20], vec![3; 20]];
        let total = tokio::time::timeout(Duration::from_secs(60), rainfall(stations))
            .await
            .expect(
                "total_rainfall did not return for 60 readings: something waits forever. Is \
                 every Sender dropped once its station is done, and are the readings read while \
                 the stations send them (the channel holds 16)?",
            );
        assert_eq!(total, 120, "20 readings of 1, 2 and 3 mm add up to 120 mm");
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_channel_holds_the_stations_back() {
        // total_rainfall is polled once (the stations start), then left alone for a second
        // while 3 stations send 60 readings: the channel fills up (16) and a station must wait
        // in send().await for room, not skip a reading.
        let stations = vec![vec![1; 20], vec![2; 20], vec![3; 20]];
        let mut rainfall = std::pin::pin!(rainfall(stations));
        let first = std::future::poll_fn(|cx| std::task::Poll::Ready(rainfall.as_mut().poll(cx)));
        let total = match first.await {
            // Done at once: the readings were added up without a station sending them.
            std::task::Poll::Ready(total) => total,
            std::task::Poll::Pending => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                tokio::time::timeout(Duration::from_secs(60), rainfall)
                    .await
                    .expect(
                        "total_rainfall did not return for 60 readings: something waits \
                         forever. rx.recv() returns None only once every Sender is gone (is \
                         total_rainfall's own `tx` still alive after the stations got their \
                         clones?), and a station waits in send() while nobody reads rx",
                    )
            }
        };
        if total != 120 {
            // The same with a channel that never fills up: one station, 3 readings.
            let probe =
                tokio::time::timeout(Duration::from_secs(60), self::rainfall(vec![vec![1; 3]]));
            if let Some(probe) = probe.await.ok().filter(|&probe| probe != 3) {
                panic!(
                    "3 stations sent 20 readings each (120 mm) while total_rainfall was not \
                     polled for a second, into a channel that holds 16, and it returned {total} \
                     mm; for one station that sent 3 readings of 1 mm, which never filled the \
                     channel, it returned {probe} mm: readings that were sent were not added, \
                     full channel or not. Keep taking readings out of rx until recv() returns \
                     None, once every Sender is dropped: a station that is done may have left \
                     readings in the channel"
                );
            }
            // The same stations again, with total_rainfall polled all along: the channel has
            // room whenever a station sends.
            let stations = vec![vec![1; 20], vec![2; 20], vec![3; 20]];
            let read_along =
                tokio::time::timeout(Duration::from_secs(60), self::rainfall(stations)).await;
            if read_along != Ok(120) {
                let read_along = match read_along {
                    Ok(mm) => format!("returned {mm} mm"),
                    Err(_) => "had not returned after 60 s".to_string(),
                };
                panic!(
                    "3 stations sent 20 readings each (120 mm) while total_rainfall was not \
                     polled for a second, into a channel that holds 16, and it returned {total} \
                     mm; for the same stations, with total_rainfall polled all along (so that \
                     the channel had room), it {read_along}: readings are not added up, full \
                     channel or not. Keep taking readings out of rx until recv() returns None, \
                     once every Sender is dropped: a station that is quiet for a while may not \
                     be done"
                );
            }
        }
        assert_eq!(
            total, 120,
            "3 stations sent 20 readings each (120 mm) while total_rainfall was not polled \
             for a second, into a channel that holds 16, and it returned {total} mm, while with \
             total_rainfall polled all along they add up to 120 mm: readings were lost while \
             the channel was full (try_send?). Send with tx.send(mm).await: it waits for room, \
             and no reading is lost"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waits_for_readings_not_for_a_timer() {
        // Station i reports every 10 * (i + 1) ms. Here readings come at only 10 moments:
        // 30, 60, 70, 90, 100, 110, 200, 220, 300 and 330 ms. A loop that takes each one out
        // of rx is woken at about 11 moments of the paused clock (a few polls in a row at one
        // moment, as with a yield_now, count once; a 40 ms progress tick adds 8); one that
        // checks every 10 or 11 ms, at least 31.
        let mut stations = vec![Vec::new(); 11];
        stations[2] = vec![1; 3];
        stations[6] = vec![2];
        stations[9] = vec![3; 3];
        stations[10] = vec![4; 3];
        let start = Instant::now();
        let mut rainfall = std::pin::pin!(rainfall(stations));
        let (mut moment, mut wakeups) = (None, 0);
        let total = std::future::poll_fn(|cx| {
            if moment != Some(Instant::now()) {
                (moment, wakeups) = (Some(Instant::now()), wakeups + 1);
            }
            rainfall.as_mut().poll(cx)
        })
        .await;
        let elapsed = start.elapsed().as_millis();
        assert_eq!(total, 26, "3 + 2 + 9 + 12 mm of rain fell");
        assert!(
            wakeups <= 30,
            "total_rainfall was woken up at {wakeups} different moments in {elapsed} ms, while \
             readings were due at only 10 moments: it checks on a timer, or its stations did \
             not send side by side. Let every station send at once with its own clone of the \
             Sender, and wait in rx.recv(), which wakes it when a reading arrives, and returns \
             None once every Sender is gone"
        );
        // One station after the other, the four take 90 + 70 + 300 + 330 ms.
        assert!(
            elapsed != 790,
            "the last reading was due at 330 ms, but total_rainfall returned at {elapsed} ms, \
             just when the 4 stations would be done one after the other (90 + 70 + 300 + 330 ms): let \
             every station send at once, each in a task of its own with its own clone of the \
             Sender"
        );
        assert_eq!(
            elapsed, 330,
            "the last reading was due at 330 ms, but total_rainfall returned at {elapsed} ms: \
             stop as soon as the last station is done (rx.recv() returns None once every \
             Sender is dropped)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_station_is_heard_while_the_others_report() {
        // Station 1 reports every 20 ms until 200 ms; meanwhile stations 2, 4, ..., 18 report
        // once each, at 30, 50, ..., 190 ms. Readings come at 19 different moments.
        let mut stations = vec![Vec::new(); 19];
        stations[1] = vec![1; 10];
        for station in (2..19).step_by(2) {
            stations[station] = vec![10];
        }
        let mut rainfall = std::pin::pin!(rainfall(stations));
        let mut wakeups = 0;
        let counted = std::future::poll_fn(|cx| {
            wakeups += 1;
            rainfall.as_mut().poll(cx)
        });
        let total = tokio::time::timeout(Duration::from_secs(60), counted)
            .await
            .expect(
                "total_rainfall did not return for 19 readings from 10 stations: something \
                 waits forever. The channel holds 16 readings: are the stations running in \
                 their own tasks, all at once, while total_rainfall reads rx (not one station \
                 after the other, before anything is read)?",
            );
        assert_eq!(
            total, 100,
            "10 readings of 1 and 9 readings of 10 add up to 100"
        );
        if wakeups >= 16 {
            return;
        }
        // Woken rarely: the readings may be read in a task that total_rainfall waits for.
        let elapsed = the_heap_check_readings_are_all_added(wakeups).await;
        println!("measuring the heap (this line gives the captured output its buffer first)");
        let (at_33rd, at_65th) = std::thread::spawn(readings_leave_the_channel_as_they_come)
            .join()
            .unwrap();
        if at_33rd - at_65th < 1
            && let Some(why) = off_the_heap_schedule(elapsed)
        {
            panic!("{why}");
        }
        assert!(
            at_33rd - at_65th >= 1,
            "total_rainfall was woken up only {wakeups} times while readings came at 19 \
             different moments, and the readings did not come out of one channel as they were \
             sent: {}. mpsc is multi-producer: give every station a clone of the ONE \
             Sender, send every reading over it as the station takes it, so that every \
             reading comes out of the same rx, and add each one up as it arrives",
            heap_report(at_33rd, at_65th)
        );
    }

    #[test]
    fn the_total_is_added_up_from_the_readings() {
        // On a runtime without a timer, every station task panics at its first sleep: no
        // reading is ever sent, and the Senders are dropped as the tasks fail.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                let rainfall = total_rainfall(vec![vec![1, 2, 3], vec![10, 20], vec![100]]);
                let give_up = async {
                    for _ in 0..10_000 {
                        tokio::task::yield_now().await;
                    }
                };
                tokio::select! {
                    biased;
                    total = rainfall => Some(total),
                    _ = give_up => None,
                }
            })
        }));
        // A call that needs a timer itself panics, and one that waits on is not judged here.
        if let Ok(Some(total)) = outcome {
            assert_eq!(
                total, 0,
                "on a runtime without a timer every station task fails at its first sleep and \
                 sends nothing, yet total_rainfall returned {total} mm: that total was worked \
                 out beside the stations, not added up from the readings. Return the sum of \
                 what comes out of rx"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_station_is_waited_for() {
        // Station 99999 reports every 1000 s: nothing comes in between. A loop woken
        // often (a progress ticker) is judged above; this test leaves it alone once it has been
        // woken 10000 times, or once it has failed (panicked).
        let mut stations = vec![Vec::new(); 100_000];
        stations[99_999] = vec![4, 5];
        let period = Duration::from_secs(1000);
        let start = Instant::now();
        // A safety net that panics (a time limit on recv) is not judged here either.
        let adding =
            futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(rainfall(stations)));
        let mut adding = std::pin::pin!(adding);
        let mut wakeups = 0u32;
        let total = std::future::poll_fn(|cx| {
            wakeups += 1;
            if wakeups > 10_000 {
                return std::task::Poll::Ready(None);
            }
            adding.as_mut().poll(cx).map(Some)
        });
        // One that never returns is judged by the tests above too.
        let month = Duration::from_secs(30 * 24 * 3600);
        let Ok(Some(Ok(total))) = tokio::time::timeout(month, total).await else {
            return;
        };
        let elapsed = start.elapsed();
        assert!(
            total == 9 || elapsed < 2 * period,
            "a station that reports every {period:?} sent 4 and 5 mm, the last after {:?}, \
             and total_rainfall returned {total} mm after {elapsed:?}, once that reading had \
             been sent: it stopped taking readings out of rx while one was still in the \
             channel. A station that is done may have left readings in the channel: keep \
             taking them out of rx until recv() returns None, once every Sender is dropped",
            2 * period
        );
        assert_eq!(
            total, 9,
            "a station that reports every {period:?} sent 4 and 5 mm, but total_rainfall \
             returned {total} mm after {elapsed:?}: it stopped reading while that station \
             was still running. A quiet channel does not mean the stations are done, however \
             long it stays quiet: keep waiting in rx.recv() until it returns None, once every \
             Sender is dropped"
        );
        assert_eq!(
            elapsed,
            2 * period,
            "the last reading came after {:?}, but total_rainfall returned after \
             {elapsed:?}: stop as soon as the last station is done (rx.recv() returns None \
             once every Sender is dropped)",
            2 * period
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_station_quiet_for_a_day_is_waited_for() {
        // Station 0 sends 4 mm at 10 ms. At 15 ms, before its second reading (5 mm, due at
        // 20 ms), Tokio's clock jumps a day ahead, as on a runtime that was busy for that long:
        // the second reading comes right after a day without any, together with any timer
        // total_rainfall set for itself (a quiet time of up to a day). A loop woken often (a
        // progress ticker that catches up on the day) is judged above; this test leaves it
        // alone once it has been woken 10000 times, or once it has failed (panicked).
        let start = Instant::now();
        // A safety net that panics (a time limit on recv) is not judged here either.
        let adding =
            futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(rainfall(vec![
                vec![4, 5],
            ])));
        let mut adding = std::pin::pin!(adding);
        let mut wakeups = 0u32;
        let total = std::future::poll_fn(|cx| {
            wakeups += 1;
            if wakeups > 10_000 {
                return std::task::Poll::Ready(None);
            }
            adding.as_mut().poll(cx).map(Some)
        });
        let day = Duration::from_secs(24 * 3600);
        let (total, ()) = tokio::join!(tokio::time::timeout(2 * day, total), async {
            tokio::time::sleep(Duration::from_millis(15)).await;
            tokio::time::advance(day).await;
        });
        // One that never returns is judged by the tests above too.
        let Ok(Some(Ok(total))) = total else {
            return;
        };
        let elapsed = start.elapsed();
        let jumped = Duration::from_millis(15) + day;
        let when = if elapsed < jumped {
            format!("after {elapsed:?}, before the jump")
        } else if elapsed == jumped {
            "right after the jump".to_string()
        } else {
            format!("{:?} after the jump", elapsed - jumped)
        };
        let stopped = if elapsed < jumped {
            "it stopped reading while that station was still running"
        } else if elapsed == jumped {
            "it stopped taking readings out of rx just before that reading came, or while it \
             was in the channel (a station that is done may have left readings there)"
        } else {
            "it stopped taking readings out of rx while that reading was in the channel (a \
             station that is done may have left readings there)"
        };
        assert!(
            total != 4,
            "a station sent 4 mm at 10 ms, then Tokio's clock jumped a day ahead (as it does \
             for a runtime that was busy that long) before its second reading, 5 mm, which came \
             right after the jump; total_rainfall returned 4 mm, {when}: {stopped}. A quiet \
             channel does not mean the stations are done, however long it stays quiet (a time \
             limit on recv that ends the loop gives up on a station that is only slow; one that \
             panics passes): keep waiting in rx.recv() until it returns None, once every Sender \
             is dropped"
        );
        assert_eq!(
            total, 9,
            "a station sent 4 and 5 mm, the second after a day without readings (Tokio's clock \
             jumped a day ahead between the two), and total_rainfall returned {total} mm, \
             {when}: add up every reading that comes out of rx, until it returns None"
        );
    }

    /// A Sender kept alive for good (`std::mem::forget(tx)`, with the readings counted
    /// beforehand so that the loop still ends) adds up the same total, so this test counts the
    /// heap blocks total_rainfall leaves behind once it has returned.
    #[test]
    fn total_rainfall_leaves_nothing_behind() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let stations = || vec![vec![1, 2, 3], vec![10, 20], vec![100]];
        // Once first: what the runtime sets up for its first tasks and timers, and the test's
        // output buffer (set up by its first line), are not total_rainfall's to free.
        runtime.block_on(async {
            total_rainfall(stations()).await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        });
        println!("counting what total_rainfall leaves behind");
        let mut total = 0;
        // The tasks alive before the call and a minute after it.
        let mut alive = (0, 0);
        let kept = allocation_counter::measure(|| {
            alive.0 = runtime.metrics().num_alive_tasks();
            total = runtime.block_on(async {
                let total = total_rainfall(stations()).await;
                // A minute later, every station task is long over.
                tokio::time::sleep(Duration::from_secs(60)).await;
                total
            });
            alive.1 = runtime.metrics().num_alive_tasks();
        })
        .count_current;
        assert_eq!(total, 136, "1 + 2 + 3 + 10 + 20 + 100 mm of rain fell");
        let left = alive.1.saturating_sub(alive.0);
        assert!(
            left == 0,
            "total_rainfall returned, and a minute later {left} task(s) it started were still \
             running: each station task ends after its last reading, and a task of its own (a \
             progress line on a timer, say) must be stopped before it returns (abort its \
             JoinHandle: dropping it lets the task run on), or it stays alive for good, one more \
             with every call"
        );
        assert!(
            kept <= 0,
            "total_rainfall returned, and a minute later {kept} heap block(s) made while it \
             ran were still held: a Sender kept alive for good (`std::mem::forget(tx)`, \
             `Box::leak`) keeps the channel alive, and nothing can ever free it; memory let go \
             of on another thread (a spawn_blocking job, a std thread) looks the same to this \
             test, which counts on its own thread only. Drop the function's own Sender \
             (`drop(tx)`) once every station has its clone, let each station's clone go when its \
             task ends, and keep total_rainfall's work on Tokio tasks"
        );
    }

    /// A waker that hands total_rainfall over to the thread that polls it: woken from another
    /// thread (a station task inside its `send`, on the runtime's thread), it waits there
    /// until total_rainfall has been polled, so that the task that woke it has not ended yet.
    struct HandOver {
        poller: std::thread::ThreadId,
        woken_by_itself: std::sync::atomic::AtomicBool,
        wakes: std::sync::mpsc::Sender<std::sync::mpsc::Sender<()>>,
    }

    impl std::task::Wake for HandOver {
        fn wake(self: std::sync::Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            if std::thread::current().id() == self.poller {
                self.woken_by_itself
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                return;
            }
            let (polled_tx, polled) = std::sync::mpsc::channel::<()>();
            if self.wakes.send(polled_tx).is_ok() {
                // Dropped (or a second of real time passes) once total_rainfall has been
                // polled.
                let _ = polled.recv_timeout(Duration::from_secs(1));
            }
        }
    }

    /// On a multi-threaded runtime, total_rainfall can run while the station that sent the
    /// last reading has not ended yet: its Sender is dropped a moment after the reading is in
    /// the channel. Here total_rainfall is polled on this thread while the station tasks run on
    /// another one, and every task that wakes it waits, inside its `send`, until it has been
    /// polled: a loop that decides whether more readings can come from anything but the
    /// channel closing (how many Senders are left, a counter of stations still reporting) sees
    /// the last station still alive, waits in recv() again, and with its own Sender kept, no
    /// one ever ends that wait.
    #[test]
    fn the_last_reading_is_added_before_its_station_has_ended() {
        use std::future::Future;
        use std::sync::Arc;
        use std::sync::atomic::Ordering;
        use std::task::{Context, Poll, Waker};
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("could not build a runtime");
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let tasks_thread = std::thread::spawn(move || {
            runtime.block_on(async {
                let _ = stopped.await;
            });
        });
        let (wakes, woken) = std::sync::mpsc::channel();
        let hand_over = Arc::new(HandOver {
            poller: std::thread::current().id(),
            woken_by_itself: std::sync::atomic::AtomicBool::new(false),
            wakes,
        });
        let waker = Waker::from(Arc::clone(&hand_over));
        let mut cx = Context::from_waker(&waker);
        let stations = vec![vec![1, 2], vec![30], vec![400, 500, 600]];
        let outcome = {
            let _runtime = handle.enter();
            let start = Instant::now();
            let mut adding = std::pin::pin!(total_rainfall(stations.clone()));
            // The woken task (if any) that waits until total_rainfall has been polled.
            let mut waiting: Option<std::sync::mpsc::Sender<()>> = None;
            loop {
                let polled = adding.as_mut().poll(&mut cx);
                drop(waiting.take());
                if let Poll::Ready(total) = polled {
                    break Ok(total);
                }
                if start.elapsed() > Duration::from_secs(3600) {
                    break Err("was still waking up an hour of the paused clock later");
                }
                if hand_over.woken_by_itself.swap(false, Ordering::SeqCst) {
                    continue;
                }
                match woken.recv_timeout(Duration::from_secs(3)) {
                    Ok(polled_tx) => waiting = Some(polled_tx),
                    Err(_) => break Err("was never woken again"),
                }
            }
        };
        let _ = stop.send(());
        tasks_thread
            .join()
            .expect("the thread of the station tasks panicked");
        match outcome {
            Ok(total) => assert_eq!(
                total, 1533,
                "total_rainfall({stations:?}) returned {total} mm while its station tasks ran \
                 on another thread: add up every reading that comes out of rx"
            ),
            Err(how) => panic!(
                "total_rainfall({stations:?}) ran while its station tasks ran on another \
                 thread, and it {how} after the last reading had come in, without returning: \
                 it was polled as soon as that reading was in the channel, before the station \
                 that sent it had ended and dropped its Sender (on a multi-threaded runtime \
                 this happens), saw that station still alive (a count of the Senders left, or \
                 of the stations still reporting?), and waited in recv() again, with its own \
                 Sender still alive. Whether more readings can come is what recv() tells: drop \
                 total_rainfall's own Sender before the loop, and add up until recv() returns \
                 None"
            ),
        }
    }
}
