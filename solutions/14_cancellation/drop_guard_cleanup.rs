// drop_guard_cleanup
//
// `upload` sends a file in chunks of 30 ms each. Meanwhile a reporter task writes the progress
// in the log every 100 ms, and at the end `upload` tells the reporter to stop.
//
// But the caller may cancel an upload: wrap it in a `timeout`, race it in a `select!`, or abort
// its task. A cancelled future simply stops at the `.await` where it was waiting and is
// dropped: the code after that `.await` never runs, the line that stops the reporter included,
// and the reporter goes on reporting forever.
//
// Make sure the reporter stops whenever `upload` stops: done, timed out or aborted. (A spawned
// task is not cancelled along with the code that spawned it.)

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::sleep;
use tokio_util::sync::CancellationToken;

pub type Log = Arc<Mutex<Vec<String>>>;

/// Every 100 ms, writes how many chunks are sent, until `stop` is cancelled.
async fn report_progress(stop: CancellationToken, sent: Arc<AtomicU32>, total: u32, log: Log) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = sleep(Duration::from_millis(100)) => {
                let sent = sent.load(Ordering::SeqCst);
                log.lock().unwrap().push(format!("{sent}/{total} chunks sent"));
            }
        }
    }
}

async fn send_chunk() {
    sleep(Duration::from_millis(30)).await;
}

/// Sends `chunks` chunks and returns how many were sent.
pub async fn upload(chunks: u32, log: Log) -> u32 {
    let stop = CancellationToken::new();
    let sent = Arc::new(AtomicU32::new(0));
    tokio::spawn(report_progress(
        stop.clone(),
        Arc::clone(&sent),
        chunks,
        log,
    ));
    // Cancels `stop` when it is dropped: at the end of this function, or wherever the upload
    // is cancelled, since dropping a future drops its local variables.
    let _stop_reporter = stop.drop_guard();

    for _ in 0..chunks {
        send_chunk().await;
        sent.fetch_add(1, Ordering::SeqCst);
    }

    sent.load(Ordering::SeqCst)
}

#[tokio::main]
async fn main() {
    let log = Log::default();
    let sent = upload(12, Arc::clone(&log)).await;
    println!("sent {sent} chunks");
    for line in log.lock().unwrap().iter() {
        println!("{line}");
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::time::sleep;
    use tokio::time::timeout;

    fn reports(log: &Log) -> usize {
        log.lock().unwrap().len()
    }

    fn alive_tasks() -> usize {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    }

    /// Checks the number of progress reports written when the upload stopped after `ms`
    /// (`written`: the log's lines then).
    fn assert_reports(log: &Log, written: usize, ms: u64, expected: usize) {
        assert!(
            written >= expected,
            "in {ms} ms the reporter should have written the progress {expected} times, not \
             {written}: stop it when the upload stops, not before"
        );
        let lines = log.lock().unwrap()[..written].to_vec();
        assert!(
            written <= expected,
            "in {ms} ms the progress should have been written {expected} times (once every 100 \
             ms, by the reporter task as given), but when the upload stopped the log held \
             {written} lines: {lines:?}. Keep the reporter and its 100 ms beat, write nothing \
             else in the log, and only make sure the reporter stops when `upload` stops"
        );
    }

    /// What the reporter wrote after `upload` stopped: the lines written at that moment (the
    /// clock still), and the lines written later. `before`: the reports when it stopped.
    fn written_after_the_stop(
        log: &Log,
        before: usize,
        at_once: usize,
    ) -> (Vec<String>, Vec<String>) {
        let lines = log.lock().unwrap();
        (lines[before..at_once].to_vec(), lines[at_once..].to_vec())
    }

    /// The chunks sent that a report gives ("7/100 chunks sent" gives 7).
    fn chunks_in(report: &str) -> Option<u32> {
        report.split('/').next()?.trim().parse().ok()
    }

    /// Fails with what was seen if the reporter wrote anything after the upload `how` (`at_once`:
    /// lines written at that moment, `later`: in the second after it).
    fn assert_nothing_written(how: &str, at_once: &[String], later: &[String]) {
        if !later.is_empty() {
            let counts: Vec<u32> = later.iter().filter_map(|l| chunks_in(l)).collect();
            // Whether the count of chunks sent grew from one of these reports to the next.
            let grew = counts.windows(2).any(|pair| pair[1] > pair[0]);
            if grew {
                panic!(
                    "the upload {how}, but its reporter went on writing ({} more reports in the \
                     next second: {:?} ... {:?}), and the chunks sent in them went on growing: the \
                     sending itself went on after `upload` stopped. Whatever `upload` starts must \
                     stop with it: a task it spawns is not cancelled along with it, so do the \
                     sending in `upload` itself, and stop the reporter whenever `upload` stops",
                    later.len(),
                    later.first().unwrap(),
                    later.last().unwrap()
                );
            }
            panic!(
                "the upload {how}, but its reporter went on writing ({} more reports in the next \
                 second, with the same count of chunks: {:?}): make the reporter stop whenever \
                 `upload` stops, even when it is cancelled at an `.await` and the rest of its code \
                 never runs (what runs when a value is dropped?)",
                later.len(),
                later.first().unwrap()
            );
        }
        assert!(
            at_once.is_empty(),
            "the upload {how}, and right then, at that very moment, {} more line(s) went into \
             the log ({at_once:?}), then nothing more: the reporter did stop, but the log must \
             hold only the reports written every 100 ms while the upload ran. Stop the reporter \
             without writing a last line of your own",
            at_once.len()
        );
    }

    /// Waits a second, then checks that the reporter wrote nothing more (and that its task
    /// was gone right away, before the clock moved on: it holds a copy of the log until it
    /// ends). `tasks_before`: the tasks alive before the upload began; `before`: the reports
    /// written when the upload stopped.
    async fn assert_quiet(log: &Log, how: &str, tasks_before: usize, before: usize) {
        // Lets the tasks that are ready run, without moving the clock.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let at_once = reports(log);
        let holders = Arc::strong_count(log);
        let tasks = alive_tasks();
        sleep(Duration::from_secs(1)).await;
        let (at_once, later) = written_after_the_stop(log, before, at_once);
        assert_nothing_written(how, &at_once, &later);
        assert_eq!(
            holders, 1,
            "the upload {how}, and its reporter wrote nothing more, but the reporter task was \
             still running right after (it still held the log): stop the reporter as soon as \
             `upload` stops, in a drop (cancel the token), not at its next report or when a \
             timer checks that `upload` is gone"
        );
        assert!(
            tasks <= tasks_before,
            "the upload {how}, its reporter wrote nothing more and nothing held the log, but {} \
             task(s) that `upload` started were still running right after: the reporter (if it \
             holds no copy of the log) or another task of upload's (one per chunk?). A spawned \
             task is not cancelled along with `upload`: stop the reporter as soon as `upload` \
             stops, in a drop (cancel the token), not at its next report or when a timer checks \
             that `upload` is gone, and await any other work in place (or abort its task in a \
             drop)",
            tasks - tasks_before
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_finished_upload_stops_its_reporter() {
        let log = Log::default();
        let tasks_before = alive_tasks();
        let start = tokio::time::Instant::now();
        let sent = upload(9, Arc::clone(&log)).await;
        let took = start.elapsed();
        assert_eq!(sent, 9, "all 9 chunks should be sent");
        let lines = log.lock().unwrap().clone();
        let due = ["3/9 chunks sent", "6/9 chunks sent"];
        assert!(
            lines.len() <= 2 || !lines.starts_with(&due.map(String::from)),
            "while the 9 chunks are sent (270 ms), the reporter should write the progress every \
             100 ms, {due:?}, and when upload returned the log held these and {:?} besides: \
             write nothing else in the log",
            &lines[2..]
        );
        if lines.len() == due.len() && lines != due {
            let counts: Vec<Option<u32>> = lines.iter().map(|l| chunks_in(l)).collect();
            let (early, late) =
                (counts.iter().zip([3, 6])).fold((false, false), |(early, late), (got, due)| {
                    match got {
                        Some(got) => (early || *got > due, late || *got < due),
                        None => (early, late),
                    }
                });
            let why = match (early, late) {
                (true, false) => {
                    "more than the chunks sent by then: at 100 ms 3 chunks of 30 ms are sent \
                     and the 4th is under way, so count a chunk once it is sent, not before"
                }
                (false, true) => {
                    "fewer than the chunks sent by then: at 100 ms 3 chunks of 30 ms are sent, \
                     so count each chunk as soon as it is sent"
                }
                _ => {
                    "not the chunks sent by then (3 at 100 ms, 6 at 200 ms): write the reports \
                      as given, each chunk counted once it is sent"
                }
            };
            panic!(
                "while the 9 chunks were sent (270 ms), the log got 2 reports, as many as due (one \
                 every 100 ms), but they said {lines:?} where {due:?} was due: the counts are \
                 {why}"
            );
        }
        assert!(
            lines == due || took >= Duration::from_millis(270),
            "the 9 chunks of 30 ms each were sent in {took:?} of Tokio's clock, not 270 ms, and \
             the log held {lines:?} where {due:?} was due: send the chunks one after another, \
             each awaiting `send_chunk` as given (Tokio's `sleep`, awaited: a sleep that blocks \
             the thread, `std::thread::sleep`, stops the clock and the reporter with it)"
        );
        assert_eq!(
            lines, due,
            "while the 9 chunks are sent (270 ms), the reporter should write the progress every \
             100 ms: stop it when the upload stops, not before"
        );
        assert_quiet(&log, "finished", tasks_before, 2).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_timed_out_upload_stops_its_reporter() {
        // (chunks, time limit in ms, reports written by then: one every 100 ms). Prime numbers
        // of ms: no timer of the code's own with a period over 1 ms is due at the moment it
        // stops. Uploads of any size, small (3 chunks) or huge (100 000), cut off anywhere, in
        // their first chunk or when they are nearly done (99 of 100 chunks sent at 2999 ms).
        for (chunks, ms, expected) in [
            (100, 251, 2),
            (100, 409, 4),
            (100, 199, 1),
            (100, 23, 0),
            (3, 61, 0),
            (100_000, 251, 2),
            (100, 2999, 29),
        ] {
            let log = Log::default();
            let tasks_before = alive_tasks();
            let result = timeout(Duration::from_millis(ms), upload(chunks, Arc::clone(&log))).await;
            assert!(result.is_err(), "{chunks} chunks cannot be sent in {ms} ms");
            let written = reports(&log);
            assert_reports(&log, written, ms, expected);
            let how = format!("of {chunks} chunks was cancelled by a timeout at {ms} ms");
            assert_quiet(&log, &how, tasks_before, written).await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_aborted_upload_stops_its_reporter() {
        // (abort after ms, reports written by then: one every 100 ms). The last one stops the
        // upload during its first chunk.
        for (ms, expected) in [(251, 2), (331, 3), (97, 0), (29, 0)] {
            let log = Log::default();
            let tasks_before = alive_tasks();
            let task = tokio::spawn(upload(100, Arc::clone(&log)));
            sleep(Duration::from_millis(ms)).await;
            task.abort();
            let written = reports(&log);
            let outcome = task.await;
            assert!(
                outcome.is_err_and(|err| err.is_cancelled()),
                "the upload task was aborted, so awaiting it must report a cancelled task"
            );
            assert_reports(&log, written, ms, expected);
            let how = format!("task was aborted at {ms} ms");
            assert_quiet(&log, &how, tasks_before, written).await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_upload_cancelled_before_its_reporter_first_ran_stops_it() {
        // Raced in a `select!` against a branch that is already done: the upload is polled once
        // (it spawns its reporter and starts its first chunk) and dropped at once, before the
        // reporter task has run at all.
        let log = Log::default();
        let tasks_before = alive_tasks();
        let mut sending = Box::pin(upload(100, Arc::clone(&log)));
        tokio::select! {
            biased;
            _ = sending.as_mut() => panic!("100 chunks cannot be sent at once"),
            _ = std::future::ready(()) => {}
        }
        drop(sending);
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let holders = Arc::strong_count(&log);
        sleep(Duration::from_secs(1)).await;
        let later = log.lock().unwrap().clone();
        if !(later.is_empty() && holders == 1) {
            // Whether the stop was lost (nothing waited for it yet) or never given: does the
            // reporter of an upload cancelled later, once the reporter has run, stop?
            let probe = Log::default();
            let _ = timeout(Duration::from_millis(251), upload(100, Arc::clone(&probe))).await;
            sleep(Duration::from_millis(150)).await;
            let written = reports(&probe);
            sleep(Duration::from_secs(1)).await;
            assert!(
                reports(&probe) == written,
                "the upload was cancelled right after it began, and its reporter then went on \
                 running ({} report(s) in the next second); so did the reporter of an upload \
                 cancelled by a timeout at 251 ms, when it had long been running: nothing stops \
                 the reporter when `upload` is cancelled. Make it stop whenever `upload` stops, \
                 even when it is cancelled at an `.await` and the rest of its code never runs: \
                 cancel its token in a drop (a drop guard in a local variable of `upload`, made \
                 from the token the reporter waits on or from a parent of it: cancelling a child \
                 token does not cancel its parent)",
                later.len()
            );
        }
        assert!(
            later.is_empty() && holders == 1,
            "the upload was cancelled right after it began (raced in a select! against a branch \
             that was already done), before its reporter task had run even once, and the \
             reporter then went on running ({} report(s) in the next second{}): the stop was \
             lost, as nothing was waiting for it yet. Use a stop that stays set until the \
             reporter looks (cancel the token: `cancelled()` returns at once for a token \
             cancelled before), not one that only reaches those already waiting \
             (`Notify::notify_waiters`, a broadcast the reporter subscribes to once it runs)",
            later.len(),
            later
                .first()
                .map_or(String::new(), |first| format!(", the first {first:?}"))
        );
        assert_quiet(&log, "was cancelled right after it began", tasks_before, 0).await;
    }

    #[tokio::test(start_paused = true)]
    async fn an_upload_dropped_where_no_runtime_runs_stops_its_reporter() {
        let log = Log::default();
        let tasks_before = alive_tasks();
        let mut sending = Box::pin(upload(100, Arc::clone(&log)));
        // 251 ms of sending (2 reports), then the upload is given up...
        let result = timeout(Duration::from_millis(251), sending.as_mut()).await;
        assert!(result.is_err(), "100 chunks cannot be sent in 251 ms");
        // ...and dropped by code that is not async, on a thread of its own: no runtime there.
        let dropped = std::thread::spawn(move || drop(sending)).join();
        assert!(
            dropped.is_ok(),
            "the upload was dropped on a thread where no runtime runs, and the drop panicked: \
             did it spawn a task to stop the reporter? Stop it right there, in the drop (cancel \
             the token): a task spawned while a future is dropped may never run (there may be \
             no runtime, or one that is shutting down)"
        );
        assert_reports(&log, reports(&log), 251, 2);
        assert_quiet(
            &log,
            "was dropped on a thread where no runtime runs",
            tasks_before,
            2,
        )
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn an_upload_dropped_on_a_runtime_that_then_shuts_down_stops_its_reporter() {
        let log = Log::default();
        let tasks_before = alive_tasks();
        let mut sending = Box::pin(upload(100, Arc::clone(&log)));
        let result = timeout(Duration::from_millis(251), sending.as_mut()).await;
        assert!(result.is_err(), "100 chunks cannot be sent in 251 ms");
        // The upload is dropped by code running on another runtime, which shuts down at once.
        let dropped = std::thread::spawn(move || {
            let other = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            other.block_on(async move { drop(sending) });
        })
        .join();
        assert!(dropped.is_ok(), "dropping the upload panicked");
        let before = reports(&log);
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let at_once = reports(&log);
        sleep(Duration::from_secs(1)).await;
        let (at_once, later) = written_after_the_stop(&log, before, at_once);
        let counts: Vec<u32> = later.iter().filter_map(|l| chunks_in(l)).collect();
        let sending_went_on = counts.windows(2).any(|pair| pair[1] > pair[0]);
        assert!(
            later.is_empty() || sending_went_on,
            "the upload was dropped by code running on another runtime, which then shut down, \
             and its reporter went on writing ({} more reports in the next second, with the same \
             count of chunks: {:?}): nothing stopped it when the upload was dropped there. Stop \
             it right there, in the drop (cancel the token): a task spawned in a drop, for one, \
             never runs on a runtime that shuts down",
            later.len(),
            later.first().map_or("", String::as_str)
        );
        assert_nothing_written(
            "was dropped on a runtime that then shut down",
            &at_once,
            &later,
        );
        assert_quiet(
            &log,
            "was dropped on a runtime that then shut down",
            tasks_before,
            before,
        )
        .await;
    }

    #[test]
    fn nothing_checks_on_a_timer_whether_the_upload_is_gone() {
        // The runtime notes each moment (of its paused clock) at which it goes idle: with the
        // given code, that is the start, the ends of the 30 ms chunks, the reporter's 100 ms
        // beat and the time limit, plus the runtime's own stops every 64 ms (where its timer
        // wheel sorts the timers due later), which are not counted.
        let idle_at = Arc::new(std::sync::Mutex::new(Vec::new()));
        let noted = Arc::clone(&idle_at);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .on_thread_park(move || noted.lock().unwrap().push(tokio::time::Instant::now()))
            .build()
            .unwrap();
        let log = Log::default();
        let limit = Duration::from_millis(251);
        let start = runtime.block_on(async {
            let start = tokio::time::Instant::now();
            let result = timeout(limit, upload(100, Arc::clone(&log))).await;
            assert!(result.is_err(), "100 chunks cannot be sent in 251 ms");
            start
        });
        drop(runtime);
        let mut extra: Vec<u128> = idle_at
            .lock()
            .unwrap()
            .iter()
            .filter(|at| **at > start && **at < start + limit)
            .map(|at| (*at - start).as_millis())
            .filter(|ms| ms % 30 != 0 && ms % 100 != 0 && ms % 64 != 0)
            .collect();
        extra.dedup();
        // A progress message now and then is fine: one moment of the code's own per 5 ms (a
        // spinner of 5 ms or more). A timer that checks whether `upload` is gone must tick every
        // 1 ms to stop the reporter on time (the tests above stop the upload at prime numbers of
        // ms), and that is over 140 moments here.
        let allowed = (limit.as_millis() / 5) as usize;
        assert!(
            extra.len() <= allowed,
            "while upload ran (251 ms of the test's paused clock, then a timeout), the runtime \
             woke up at {} moments when no chunk was sent and no report was due (the first ones, \
             in ms: {:?}): something checks on a timer (a sleep or an interval, then \
             strong_count, is_finished or a flag) whether `upload` is gone, or prints progress \
             more often than every 5 ms. Stop the reporter from a drop instead: it runs the \
             moment `upload` is dropped, with no timer",
            extra.len(),
            &extra[..extra.len().min(5)]
        );
    }

    /// Every other test pauses Tokio's clock; in a program (main) it runs in real time. A drop
    /// guard set only when the clock is paused (a probe of whether it moves) shows here: on
    /// runtimes like the tests' (one thread) and main's (multi-threaded), with their clocks
    /// running, on a thread named main, an upload cut off by a timeout after 20 ms of real time
    /// (before the reporter's first beat) must stop its reporter: the test waits until nothing
    /// holds the log and no task is left, for up to 1 s of real time (a one-sided bound: a
    /// stopped reporter is gone in a few ms). It gives up waiting for the runtime's thread
    /// after 10 s, however loaded the machine (the thread left waiting ends with the test
    /// program).
    #[test]
    fn a_timed_out_upload_stops_its_reporter_on_a_running_clock() {
        for multi_thread in [false, true] {
            let (send, seen) = std::sync::mpsc::channel();
            std::thread::Builder::new()
                .name("main".to_string())
                .spawn(move || {
                    let runtime = if multi_thread {
                        let mut builder = tokio::runtime::Builder::new_multi_thread();
                        builder.worker_threads(2);
                        builder
                    } else {
                        tokio::runtime::Builder::new_current_thread()
                    }
                    .enable_all()
                    .build()
                    .unwrap();
                    let outcome = runtime.block_on(async {
                        let log = Log::default();
                        let result =
                            timeout(Duration::from_millis(20), upload(100, Arc::clone(&log))).await;
                        let stopped = tokio::time::Instant::now();
                        let written = reports(&log);
                        // Waits until the reporter is gone (it held a copy of the log), or a
                        // second has passed.
                        while (Arc::strong_count(&log) > 1 || alive_tasks() > 0)
                            && stopped.elapsed() < Duration::from_secs(1)
                        {
                            sleep(Duration::from_millis(1)).await;
                        }
                        let lines = log.lock().unwrap().clone();
                        (
                            result.is_err(),
                            Arc::strong_count(&log),
                            alive_tasks(),
                            written,
                            lines,
                        )
                    });
                    let _ = send.send(outcome);
                })
                .unwrap();
            let runtime = if multi_thread {
                "on a multi-threaded runtime, as main's,"
            } else {
                "on a runtime with one thread, as the tests',"
            };
            let (timed_out, holders, tasks, written, lines) =
                match seen.recv_timeout(std::time::Duration::from_secs(10)) {
                    Ok(outcome) => outcome,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
                        "{runtime} whose clock runs in real time (every other test pauses \
                         Tokio's clock), an upload of 100 chunks under a 20 ms timeout had not \
                         come back after 10 s: give up the upload when its caller does, and \
                         stop the reporter then (cancel the token in a drop)"
                    ),
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!(
                        "{runtime} whose clock runs in real time (every other test pauses \
                         Tokio's clock), an upload of 100 chunks cut off by a 20 ms timeout \
                         panicked (its message is in the full output, from the thread named \
                         main): stop the reporter in a drop (cancel the token), and nothing more"
                    ),
                };
            assert!(timed_out, "100 chunks of 30 ms cannot be sent in 20 ms");
            assert!(
                holders == 1 && tasks == 0,
                "{runtime} whose clock runs in real time (every other test pauses Tokio's \
                 clock), upload was cancelled by a timeout after 20 ms, but a second later its \
                 reporter was still running ({}; {} report(s) written since the upload stopped, \
                 the last {:?}): nothing stopped it. A program's clock is never paused: stop \
                 the reporter whenever `upload` stops, on every path, whatever clock or runtime \
                 it runs on (cancel the token in a drop: a drop guard)",
                if holders > 1 {
                    format!("it still held the log, and {tasks} task(s) were alive")
                } else {
                    format!("{tasks} task(s) that upload started were alive")
                },
                lines.len() - written,
                lines[written..].last().map_or("", String::as_str)
            );
        }
    }
}
