// spawn_blocking_cpu
//
// `checksum` is pure number crunching: a long loop with no `.await` in it. Called directly
// inside async code, it keeps the runtime's thread busy until it is done, and every other task
// (like the heartbeat in the test) has to wait. Tokio has a separate pool of threads for work
// like this: hand it over with `tokio::task::spawn_blocking` and await the result.
//
// Make `checksum_upload` compute the same checksum without holding up the other tasks.

/// A deliberately slow hash: it mixes every byte in, a thousand times over.
fn checksum(data: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for _round in 0..1000 {
        for &byte in data {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

async fn checksum_upload(data: Vec<u8>) -> u64 {
    // The loop runs on Tokio's blocking pool; this task just waits for its result.
    tokio::task::spawn_blocking(move || checksum(&data))
        .await
        .expect("the checksum thread panicked")
}

#[tokio::main]
async fn main() {
    println!("checksum: {:x}", checksum_upload(vec![1, 2, 3]).await);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    use std::task::{Context, Wake, Waker};
    use std::thread::ThreadId;
    use std::time::{Duration, Instant};

    /// Wakes the task, and notes a wake-up that comes from a thread other than the runtime's.
    struct NoteThread {
        runtime_thread: ThreadId,
        woken_elsewhere: Arc<AtomicBool>,
        task: Waker,
    }

    impl Wake for NoteThread {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            if std::thread::current().id() != self.runtime_thread {
                self.woken_elsewhere.store(true, Ordering::SeqCst);
            }
            self.task.wake_by_ref();
        }
    }

    /// 32 KiB: big enough that the checksum holds a thread for a while (about 150 ms in a debug
    /// build), far longer than the scheduler ever pauses a running thread.
    fn sample_upload() -> Vec<u8> {
        (0..32_768u32).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[tokio::test]
    async fn checksum_is_right() {
        assert_eq!(
            checksum(&[1, 2, 3]),
            0x1f49_0710_a64b_83e5,
            "checksum itself must stay as it is: only checksum_upload needs a change"
        );
        let data = sample_upload();
        let cpu_start = this_threads_cpu_time();
        let expected = checksum(&data);
        // The checksum's CPU time (None where it cannot be read), which a busy machine leaves
        // as it is: a call that computes it takes at least about as long, on whatever thread.
        let checksum_cpu = this_threads_cpu_time()
            .zip(cpu_start)
            .map(|(now, then)| now.saturating_sub(then));
        // Twice with the same data: a checksum kept from an earlier call shows on the second.
        for call in 1..=2 {
            let start = Instant::now();
            let sum = checksum_upload(data.clone()).await;
            let took = start.elapsed();
            assert_eq!(sum, expected, "checksum_upload must return checksum(&data)");
            if let Some(cpu) = checksum_cpu.filter(|cpu| *cpu >= Duration::from_millis(20)) {
                assert!(
                    took >= cpu / 4,
                    "{}",
                    not_computed(&format!("call {call} of 2 (same data)"), took, cpu)
                );
            }
        }
    }

    /// What to say when checksum_upload returned (the right checksum) in far less real time
    /// than the checksum's CPU time: nothing computed it then, on any thread.
    fn not_computed(which: &str, took: Duration, checksum_cpu: Duration) -> String {
        format!(
            "{which}: checksum_upload returned the right checksum after {} ms of real time, \
             though computing it takes {} ms of CPU time: it returned without computing the \
             checksum (a cache, or a hard-coded value?). checksum_upload must compute \
             checksum(&data) on every call: hand it to tokio::task::spawn_blocking and .await \
             its JoinHandle",
            took.as_millis(),
            checksum_cpu.as_millis()
        )
    }

    #[tokio::test]
    async fn other_tasks_keep_running_during_the_checksum() {
        for attempt in 1..=3 {
            let data = sample_upload();
            // The checksum's time: the shortest of 3 runs, as a busy machine only makes a run
            // longer (a single run slowed down would let a heartbeat held up by it through).
            // Its CPU time as well (None where it cannot be read), which a busy machine leaves
            // as it is.
            let mut expected = 0;
            let mut shortest = Duration::MAX;
            let mut checksum_cpu = Some(Duration::MAX);
            for _ in 0..3 {
                let start = Instant::now();
                let cpu_start = this_threads_cpu_time();
                expected = checksum(&data);
                shortest = shortest.min(start.elapsed());
                let cpu = this_threads_cpu_time()
                    .zip(cpu_start)
                    .map(|(now, then)| now.saturating_sub(then));
                checksum_cpu = checksum_cpu.zip(cpu).map(|(least, cpu)| least.min(cpu));
            }
            // A heartbeat that stops for half the checksum's time was held up by the checksum.
            let held_up = (shortest / 2).max(Duration::from_millis(20));

            let done = Arc::new(AtomicBool::new(false));
            let beats = Arc::new(AtomicU32::new(0));
            let heartbeat = tokio::spawn({
                let done = Arc::clone(&done);
                let beats = Arc::clone(&beats);
                async move {
                    // The longest real time between two beats: how long the thread was taken
                    // away, and the CPU time this thread used meanwhile (None where unknown).
                    let mut longest_gap = (Duration::ZERO, None);
                    let mut last = (Instant::now(), this_threads_cpu_time());
                    while !done.load(Ordering::SeqCst) {
                        beats.fetch_add(1, Ordering::SeqCst);
                        tokio::task::yield_now().await;
                        let now = (Instant::now(), this_threads_cpu_time());
                        let gap = now.0 - last.0;
                        if gap > longest_gap.0 {
                            let cpu = now
                                .1
                                .zip(last.1)
                                .map(|(now, then)| now.saturating_sub(then));
                            longest_gap = (gap, cpu);
                        }
                        last = now;
                    }
                    longest_gap
                }
            });

            // How many times checksum_upload is polled: awaiting the result of work done elsewhere
            // takes a poll to start it and one when it is woken with the result. And whether it
            // was ever woken from another thread (the one with the result).
            let mut polls = 0u32;
            let woken_elsewhere = Arc::new(AtomicBool::new(false));
            let uploading = Instant::now();
            let cpu_before = this_threads_cpu_time();
            let mut upload = std::pin::pin!(checksum_upload(data));
            let sum = std::future::poll_fn(|cx| {
                polls += 1;
                let waker = Waker::from(Arc::new(NoteThread {
                    runtime_thread: std::thread::current().id(),
                    woken_elsewhere: Arc::clone(&woken_elsewhere),
                    task: cx.waker().clone(),
                }));
                upload.as_mut().poll(&mut Context::from_waker(&waker))
            })
            .await;
            let upload_took = uploading.elapsed();
            let cpu_used = this_threads_cpu_time()
                .zip(cpu_before)
                .map(|(now, then)| now.saturating_sub(then));
            done.store(true, Ordering::SeqCst);
            let beats = beats.load(Ordering::SeqCst);
            let (longest_gap, gap_cpu) = heartbeat.await.expect("the heartbeat task failed");

            assert_eq!(sum, expected, "checksum_upload must return checksum(&data)");
            if let Some(cpu) = checksum_cpu.filter(|cpu| *cpu >= Duration::from_millis(20)) {
                assert!(
                    upload_took >= cpu / 4,
                    "{}",
                    not_computed("while a heartbeat ran", upload_took, cpu)
                );
            }
            assert!(
                beats >= 3,
                "the heartbeat ran only {beats} times while checksum_upload was awaited ({} ms \
                 of real time): the runtime's only thread was held all that time. {}",
                upload_took.as_millis(),
                held_by(cpu_used, checksum_cpu)
            );
            // A few polls, plus one per 40 ms for a task that also wakes on a timer of its own (to
            // log progress, say: the result may then come through a task of its own, which wakes
            // it from this thread); or the result's wake-up from another thread, and no more than
            // a poll per 2 ms. A timer that checks on the work is caught by the paused-clock test.
            let woken_elsewhere = woken_elsewhere.load(Ordering::SeqCst);
            let took_ms = upload_took.as_millis();
            assert!(
                u128::from(polls) <= 10 + took_ms / 40
                    || (woken_elsewhere && u128::from(polls) * 2 <= took_ms),
                "checksum_upload was polled {polls} times in the {took_ms} ms the checksum took \
                 (10, plus one per 40 ms, are plenty): it kept coming back to check on the work \
                 (a loop around is_finished, yield_now or a short sleep), or did the work itself \
                 in slices between yields. Hand the whole loop to tokio::task::spawn_blocking and \
                 .await its JoinHandle once: the task is woken when the result is ready"
            );
            // A busy machine may take the thread away for a while now and then: only a
            // heartbeat held up on three tries in a row was held up by the checksum.
            if longest_gap < held_up {
                break;
            }
            assert!(
                attempt < 3,
                "the heartbeat stopped for {} ms of real time while checksum_upload was awaited \
                 (the checksum takes about {} ms), on each of 3 tries, even if it ran a few \
                 times around that. {}",
                longest_gap.as_millis(),
                (held_up * 2).as_millis(),
                held_by(gap_cpu, checksum_cpu)
            );
        }
    }

    /// What held the runtime's only thread, told by the CPU time the thread used meanwhile
    /// (`cpu`) beside the checksum's own (`checksum`), both None where they cannot be read: the
    /// loop computing on it, or a wait that blocks it.
    fn held_by(cpu: Option<Duration>, checksum: Option<Duration>) -> String {
        match cpu.zip(checksum) {
            Some((cpu, checksum)) if cpu >= checksum / 2 => format!(
                "The thread was computing meanwhile ({} ms of CPU time; the checksum takes {} \
                 ms): the checksum loop ran on it, even if a few yields came first. Run it with \
                 tokio::task::spawn_blocking and .await its JoinHandle",
                cpu.as_millis(),
                checksum.as_millis()
            ),
            Some((cpu, checksum)) if cpu < checksum / 4 => format!(
                "The thread did not compute the checksum meanwhile (it used {} ms of CPU time; \
                 the checksum takes {} ms): it was blocked, waiting for the result in a way \
                 that holds it (a std::sync::mpsc recv, a thread's join, a std::thread::sleep \
                 between checks). Hand the loop to tokio::task::spawn_blocking and .await its \
                 JoinHandle (or a tokio oneshot receiver), which lets other tasks run until the \
                 result is there",
                cpu.as_millis(),
                checksum.as_millis()
            ),
            _ => String::from(
                "Either the checksum loop ran on it, or checksum_upload waited for the result in \
                 a way that blocks it (a std::sync::mpsc recv, a thread's join, a \
                 std::thread::sleep). Hand the loop to tokio::task::spawn_blocking and .await \
                 its JoinHandle, which lets other tasks run until the result is there",
            ),
        }
    }

    #[tokio::test]
    async fn the_checksum_goes_on_while_the_runtime_is_busy() {
        let data = sample_upload();
        let start = Instant::now();
        let expected = checksum(&data);
        let took = start.elapsed();

        // This test keeps the runtime's only thread busy, as other tasks would: it sleeps a
        // tenth of the checksum's time, gives the runtime one turn, polls the upload once,
        // and so on, for at most ten times the checksum's time (3 s at most).
        let step = (took / 10).max(Duration::from_millis(1));
        let steps = 100.min(Duration::from_secs(3).as_millis() / step.as_millis().max(1));
        let mut upload = std::pin::pin!(checksum_upload(data));
        let mut sum = None;
        let mut steps_taken = 0;
        while sum.is_none() && steps_taken <= steps {
            if steps_taken > 0 {
                std::thread::sleep(step);
                tokio::task::yield_now().await;
            }
            std::future::poll_fn(|cx| {
                if let std::task::Poll::Ready(value) = upload.as_mut().poll(cx) {
                    sum = Some(value);
                }
                std::task::Poll::Ready(())
            })
            .await;
            steps_taken += 1;
        }
        let Some(sum) = sum else {
            panic!(
                "the runtime's only thread was busy with other work for {} ms (it gave the \
                 runtime a turn every {} ms), and checksum_upload (the checksum is about {} ms \
                 of work) had still not returned: the checksum runs on the runtime's thread (in \
                 slices between yields, or in a spawned task) and competes with every other \
                 task for it, or checksum_upload waits for a timer of its own (a sleep) instead \
                 of the work. Run it with tokio::task::spawn_blocking, on a thread of its own, \
                 and await its JoinHandle",
                (step * steps_taken as u32).as_millis(),
                step.as_millis(),
                took.as_millis()
            );
        };
        assert_eq!(sum, expected, "checksum_upload must return checksum(&data)");
    }

    /// Work handed to spawn_blocking takes no time on Tokio's paused clock (the clock does not
    /// move while a blocking task runs), and awaiting its JoinHandle wakes the task from the
    /// thread that did the work as soon as the result is there. A loop that checks on the work
    /// on a timer of its own (a sleep between `is_finished` checks) is never woken by the work:
    /// it sees the result only when its timer goes off, later on the paused clock. A blocking
    /// task of the test's own holds the clock still as well while the upload is awaited, so
    /// work on a thread of its own (std::thread) is not hurried by a timeout or a progress timer
    /// around it; it lets go when the upload is done, or after ten times the checksum's time of
    /// real time (1 to 3 s), so a loop that checks on the work on a timer gets its tick.
    #[tokio::test(start_paused = true)]
    async fn the_result_is_taken_as_soon_as_it_is_ready() {
        let data = sample_upload();
        let reference = Instant::now();
        let expected = checksum(&data);
        let hold_for =
            (reference.elapsed() * 10).clamp(Duration::from_secs(1), Duration::from_secs(3));
        let (release, released) = std::sync::mpsc::channel::<()>();
        let holding_the_clock = tokio::task::spawn_blocking(move || {
            let _ = released.recv_timeout(hold_for);
        });
        let woken_elsewhere = Arc::new(AtomicBool::new(false));
        let mut polls = 0u32;
        let start = tokio::time::Instant::now();
        let mut upload = std::pin::pin!(checksum_upload(data));
        let sum = std::future::poll_fn(|cx| {
            polls += 1;
            let waker = Waker::from(Arc::new(NoteThread {
                runtime_thread: std::thread::current().id(),
                woken_elsewhere: Arc::clone(&woken_elsewhere),
                task: cx.waker().clone(),
            }));
            upload.as_mut().poll(&mut Context::from_waker(&waker))
        })
        .await;
        let waited = start.elapsed();
        drop(release);
        holding_the_clock
            .await
            .expect("the test's clock holder failed");
        assert_eq!(sum, expected, "checksum_upload must return checksum(&data)");
        // A task that also wakes on a timer of its own (to log progress) while a thread of its
        // own works lets the paused clock run on: the result still wakes it (or the task that
        // waits for it), and the clock spins through many of its ticks. A spawn_blocking job
        // checked on a timer is found after one or two ticks, and nothing else woke the task.
        let woken_elsewhere = woken_elsewhere.load(Ordering::SeqCst);
        assert!(
            waited.is_zero() || woken_elsewhere || polls > 10,
            "checksum_upload returned {} ms of Tokio's paused clock after it began, though the \
             checksum takes none of it (the paused clock stands still while a spawn_blocking \
             task runs), and the finished work never woke it: it noticed the result only when \
             a timer of its own went off (a loop that sleeps, then checks is_finished or \
             try_recv). Await the JoinHandle of tokio::task::spawn_blocking: it wakes the task \
             as soon as the result is ready",
            waited.as_millis()
        );
    }

    /// The CPU time the calling thread has used so far, from Linux's
    /// /proc/thread-self/schedstat (first field, in nanoseconds; updated at least every
    /// scheduler tick). None where there is no such file: the test then judges nothing.
    fn this_threads_cpu_time() -> Option<Duration> {
        let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        let nanos: u64 = stat.split_whitespace().next()?.parse().ok()?;
        Some(Duration::from_nanos(nanos))
    }

    /// CPU time, not real time: a busy machine makes a thread wait, not work more. The test's
    /// runtime runs every task on this thread, so the CPU time this thread uses while the
    /// upload is awaited is the checksum's when the loop runs here (in one go, in slices between
    /// yields, or in a task from tokio::spawn), and next to none (a few ms at most: the clock
    /// steps once per scheduler tick) when it runs in spawn_blocking or on a thread of its own.
    /// A quarter of the checksum's own time is allowed, so a third of its rounds done here
    /// before the rest is handed over shows. Two uploads of sizes that no cap would pick
    /// (12 000 bytes, about 55 ms of work in a debug build, then 7 000, about 30 ms): an upload
    /// under some size checksummed right here shows on the one below it. A size whose checksum
    /// takes under 20 ms of CPU time on this machine is too quick to judge.
    #[tokio::test]
    async fn the_checksum_uses_no_cpu_time_of_the_runtimes_thread() {
        if let Some((size, tries)) = a_size_checksummed_on_this_thread().await {
            panic!(
                "while checksum_upload was awaited on an upload of {size} bytes, the runtime's \
                 own thread (the one that runs every task here) spent at least a quarter as much \
                 CPU time as the checksum itself takes, on each of 3 tries ((used, checksum) in \
                 ms: {tries:?}). That thread was busy while the checksum ran: either the loop, \
                 or a part of it, still runs there (in one go, in slices between yields, in \
                 rounds done before handing the rest over, or in a task from tokio::spawn), or \
                 the wait for the checksum spins there (a loop over `yield_now`, \
                 `is_finished()` or `try_recv` instead of awaiting). Hand all of the loop, for \
                 an upload of any size, to tokio::task::spawn_blocking and .await its \
                 JoinHandle"
            );
        }
    }

    /// The test above, for small uploads: 20 of 2 000 bytes (about 8 ms of work each in a
    /// debug build, too quick to judge one by one), judged together, then 40 of 1 000 bytes
    /// and 80 of 500 (about 2 ms each, some ten times over the README's rule for work that may
    /// run inline). For each size, the runtime's thread may use a quarter of the checksums' own
    /// CPU time (that time measured on a quarter of them and counted 4 times over), so an
    /// upload under some size (4 KiB, 1 KiB) checksummed right here shows, while handing each
    /// one to spawn_blocking (or a thread of its own) leaves that thread next to idle.
    #[tokio::test]
    async fn small_uploads_use_no_cpu_time_of_the_runtimes_thread() {
        'sizes: for (size, uploads) in [(2_000, 20u32), (1_000, 40), (500, 80)] {
            let measured = uploads / 4;
            let data = sample_upload()[..size].to_vec();
            let mut tries = Vec::new();
            for _ in 0..3 {
                let Some(before) = this_threads_cpu_time() else {
                    return;
                };
                let mut expected = 0;
                for _ in 0..measured {
                    expected = checksum(&data);
                }
                let Some(after) = this_threads_cpu_time() else {
                    return;
                };
                let own = after.saturating_sub(before) * (uploads / measured);
                if own < Duration::from_millis(40) {
                    // Too quick to tell from the clock's steps: nothing to judge.
                    continue 'sizes;
                }
                for upload in 1..=uploads {
                    let sum = checksum_upload(data.clone()).await;
                    assert_eq!(
                        sum, expected,
                        "checksum_upload must return checksum(&data) (upload {upload} of \
                         {uploads}, {size} bytes)"
                    );
                }
                let Some(done) = this_threads_cpu_time() else {
                    return;
                };
                let used = done.saturating_sub(after);
                if used < own / 4 {
                    continue 'sizes;
                }
                tries.push((used.as_millis(), own.as_millis()));
            }
            panic!(
                "while checksum_upload was awaited on {uploads} small uploads of {size} bytes \
                 each, one after the other, the runtime's own thread (the one that runs every \
                 task here) spent at least a quarter as much CPU time as their {uploads} \
                 checksums take themselves, on each of 3 tries ((used, checksums) in ms: \
                 {tries:?}). That thread was busy while the checksums ran: either the loop, or \
                 a part of it, still runs there for uploads of {size} bytes (an upload under \
                 some size checksummed right here, in one go or in slices between yields), or \
                 the wait for the checksum spins there (a loop over `yield_now`, \
                 `is_finished()` or `try_recv` instead of awaiting). Hand all of the loop, for \
                 an upload of any size, to tokio::task::spawn_blocking and .await its \
                 JoinHandle"
            );
        }
    }

    /// A big upload: 65 537 bytes, one past 64 KiB (about 300 ms of CPU time in a debug build,
    /// on a thread of the blocking pool). Its checksum must be checksum(&data) as for any size
    /// (the value is written here, so the test does not compute it a second time): a big upload
    /// cut into parts whose checksums are put together shows. And the runtime's thread, which
    /// only awaits the work handed over, uses a few ms of CPU time meanwhile at most (50 ms are
    /// allowed; CPU time, which a busy machine does not make longer): an upload over some size
    /// checksummed right here shows.
    #[tokio::test]
    async fn a_big_upload_is_checksummed_off_the_runtimes_thread() {
        let data: Vec<u8> = (0..65_537u32).map(|i| (i * 31 % 251) as u8).collect();
        let before = this_threads_cpu_time();
        let sum = checksum_upload(data).await;
        let used = this_threads_cpu_time()
            .zip(before)
            .map(|(now, then)| now.saturating_sub(then));
        assert_eq!(
            sum, 0x3e24_4db4_a504_9d3d,
            "checksum_upload returned {sum:#x} for an upload of 65 537 bytes, not \
             checksum(&data): an upload of any size must get the same checksum as checksum \
             computes over all of its bytes (cut into parts whose checksums are put together, \
             it is another number). Hand the whole upload to checksum(&data) in \
             tokio::task::spawn_blocking and .await its JoinHandle"
        );
        if let Some(used) = used {
            assert!(
                used < Duration::from_millis(50),
                "while checksum_upload was awaited on an upload of 65 537 bytes, the runtime's \
                 own thread (the one that runs every task here) used {} ms of CPU time, though \
                 awaiting work handed to another thread takes a few ms at most: the checksum, or \
                 a part of it, runs on the runtime's thread for a big upload (an upload over \
                 some size checksummed right here?), or the wait for it spins there. Hand all \
                 of the loop, for an upload of any size, to tokio::task::spawn_blocking and \
                 .await its JoinHandle",
                used.as_millis()
            );
        }
    }

    /// The check of the_checksum_uses_no_cpu_time_of_the_runtimes_thread, made on the thread
    /// that calls it (the runtime's only thread): the first size whose upload kept that thread
    /// busy for at least a quarter of the checksum's CPU time on each of 3 tries, with those
    /// tries ((used, checksum) in ms). None if no size did, or where CPU time cannot be read.
    async fn a_size_checksummed_on_this_thread() -> Option<(usize, Vec<(u128, u128)>)> {
        'sizes: for size in [12_000, 7_000] {
            let data = sample_upload()[..size].to_vec();
            let mut tries = Vec::new();
            for _ in 0..3 {
                let before = this_threads_cpu_time()?;
                let expected = checksum(&data);
                let after = this_threads_cpu_time()?;
                let own = after.saturating_sub(before);
                if own < Duration::from_millis(20) {
                    // Too quick to tell from the clock's steps: nothing to judge.
                    continue 'sizes;
                }
                let sum = checksum_upload(data.clone()).await;
                let done = this_threads_cpu_time()?;
                let used = done.saturating_sub(after);
                assert_eq!(
                    sum, expected,
                    "checksum_upload must return checksum(&data) (an upload of {size} bytes)"
                );
                if used < own / 4 {
                    continue 'sizes;
                }
                tries.push((used.as_millis(), own.as_millis()));
            }
            return Some((size, tries));
        }
        None
    }

    /// That check again, on a thread named `main` with a runtime built there, as in a program
    /// (whose `main` runs on its thread named main): every other test runs on a thread libtest
    /// names after the test (`tests::...`), so code that hands the checksum over only on such a
    /// thread shows here.
    #[test]
    fn the_checksum_uses_no_cpu_time_of_a_thread_named_main() {
        let found = std::thread::Builder::new()
            .name("main".to_string())
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap()
                    .block_on(a_size_checksummed_on_this_thread())
            })
            .unwrap()
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        if let Some((size, tries)) = found {
            panic!(
                "on a thread named main, with a runtime built there (as in a program; every \
                 other test runs on a thread that libtest names after the test), while \
                 checksum_upload was awaited on an upload of {size} bytes, the runtime's only \
                 thread spent at least a quarter as much CPU time as the checksum itself takes, \
                 on each of 3 tries ((used, checksum) in ms: {tries:?}). The loop, or a part of \
                 it, runs on the runtime's thread there (perhaps only there: does the code look \
                 at the thread it runs on, its name?), or the wait for the checksum spins there. \
                 Hand all of the loop, on whatever thread checksum_upload is awaited, to \
                 tokio::task::spawn_blocking and .await its JoinHandle"
            );
        }
    }

    /// One poll of `fut`, with a panic inside it caught: `Ready(None)` for a panic.
    fn poll_catching<F: std::future::Future>(
        fut: std::pin::Pin<&mut F>,
        cx: &mut Context<'_>,
    ) -> std::task::Poll<Option<F::Output>> {
        use std::panic::{AssertUnwindSafe, catch_unwind};
        match catch_unwind(AssertUnwindSafe(|| fut.poll(cx))) {
            Ok(std::task::Poll::Ready(output)) => std::task::Poll::Ready(Some(output)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(_) => std::task::Poll::Ready(None),
        }
    }

    /// The checksum takes as long as it takes, whatever Tokio's clock says. Here the clock
    /// jumps a day ahead right after the work is handed over (as for a runtime that was busy,
    /// or a machine that slept): checksum_upload must still return the checksum. A time limit
    /// on the wait is fine if running out of it panics (which this test lets be), not if it
    /// then returns another number. The clock jumps long before the checksum (about 35 ms of
    /// work in a debug build) can be done; a try on which it might have been done already (the
    /// test's thread was taken away for a while) is done over, up to 3 times.
    /// Tokio's clock jumps a day ahead while `checksum_upload` waits for its checksum. The
    /// runtime has one blocking thread, which the test keeps busy until after the jump, so work
    /// handed to `spawn_blocking` cannot be done before it (work on a thread of its own may be).
    #[test]
    fn the_checksum_comes_back_after_the_clock_jumps_a_day() {
        use std::task::Poll;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        runtime.block_on(async {
            let (taken, was_taken) = std::sync::mpsc::channel();
            let (release, released) = std::sync::mpsc::channel::<()>();
            let holder = tokio::task::spawn_blocking(move || {
                taken.send(()).unwrap();
                let _ = released.recv();
            });
            was_taken.recv().unwrap();
            let data = sample_upload()[..8_000].to_vec();
            let expected = checksum(&data);
            let mut upload = std::pin::pin!(checksum_upload(data));
            let first =
                std::future::poll_fn(|cx| Poll::Ready(poll_catching(upload.as_mut(), cx))).await;
            tokio::time::advance(Duration::from_secs(24 * 60 * 60)).await;
            let outcome = match first {
                Poll::Ready(outcome) => outcome,
                Poll::Pending => {
                    let second =
                        std::future::poll_fn(|cx| Poll::Ready(poll_catching(upload.as_mut(), cx)))
                            .await;
                    release.send(()).unwrap();
                    match second {
                        Poll::Ready(outcome) => outcome,
                        Poll::Pending => {
                            std::future::poll_fn(|cx| poll_catching(upload.as_mut(), cx)).await
                        }
                    }
                }
            };
            let _ = release.send(());
            holder.await.unwrap();
            let Some(sum) = outcome else {
                // A panic: a time limit that gave up loudly.
                return;
            };
            assert_eq!(
                sum, expected,
                "Tokio's clock jumped a day ahead right after checksum_upload began (as for a \
                 runtime that was busy, or a machine that slept), and checksum_upload then \
                 returned {sum:#x} instead of the checksum {expected:#x}. The checksum takes as \
                 long as it takes whatever Tokio's clock says: await the JoinHandle of \
                 tokio::task::spawn_blocking; a time limit on that wait is fine if running out \
                 of it panics, not if it returns another number"
            );
        });
    }

    /// Two uploads checksummed at the same time (a server gets many at once): both must be
    /// handed over, and each must get its own checksum. Two different uploads of 12 000 bytes
    /// (about 55 ms of work each in a debug build), awaited together with `join!`; the
    /// runtime's thread may use a quarter of one checksum's CPU time meanwhile, on at least one
    /// of 3 tries. Code that hands over only one upload at a time (a flag or a count of uploads
    /// on the pool) and checksums the others right here shows, and so does a result left in
    /// one place that every call reads, while every other test awaits one upload at a time.
    #[tokio::test]
    async fn two_uploads_at_once_are_both_checksummed_off_the_runtimes_thread() {
        let first = sample_upload()[..12_000].to_vec();
        let second = sample_upload()[1..12_001].to_vec();
        let mut tries = Vec::new();
        for _ in 0..3 {
            let Some(before) = this_threads_cpu_time() else {
                return;
            };
            let expected = (checksum(&first), checksum(&second));
            let Some(after) = this_threads_cpu_time() else {
                return;
            };
            // The CPU time of one checksum: half of the two.
            let own = after.saturating_sub(before) / 2;
            if own < Duration::from_millis(20) {
                // Too quick to tell from the clock's steps: nothing to judge.
                return;
            }
            let sums = tokio::join!(
                checksum_upload(first.clone()),
                checksum_upload(second.clone())
            );
            let Some(done) = this_threads_cpu_time() else {
                return;
            };
            assert_eq!(
                sums, expected,
                "two different uploads of 12 000 bytes checksummed at the same time (awaited \
                 together with join!) must each get checksum(&data) of its own bytes (a result \
                 kept in one place that every call reads, a static say, gives one upload the \
                 other's checksum)"
            );
            let used = done.saturating_sub(after);
            if used < own / 4 {
                return;
            }
            tries.push((used.as_millis(), own.as_millis()));
        }
        panic!(
            "while two uploads of 12 000 bytes were checksummed at the same time (awaited \
             together with join!), the runtime's own thread (the one that runs every task \
             here) spent at least a quarter as much CPU time as one checksum takes, on each of \
             3 tries ((used, one checksum) in ms: {tries:?}): an upload that comes while \
             another is being checksummed is checksummed right here (a flag or a count of \
             uploads on the pool?), or the wait for it spins here. Hand every upload, however many come at once, to \
             tokio::task::spawn_blocking and .await its JoinHandle"
        );
    }
}
