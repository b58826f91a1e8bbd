// Run a whole list of jobs at once with `tokio::spawn`.
//
// `make_thumbnails` resizes every picture in `ids`; picture N takes N x 20 ms.
// Right now each resize is awaited before the next one starts, so pictures
// 1 to 10 take 1.1 s in total. Start all the jobs first (one task each), then
// collect the results in the same order as `ids`: the whole batch should only
// take as long as the biggest picture (200 ms for picture 10).

use tokio::time::{Duration, sleep};

/// Bigger numbers are bigger pictures: resizing picture `id` takes `id` x 20 ms.
async fn resize(id: u32) -> String {
    sleep(Duration::from_millis(20 * u64::from(id))).await;
    format!("thumb-{id}.png")
}

pub async fn make_thumbnails(ids: Vec<u32>) -> Vec<String> {
    let mut thumbs = Vec::new();
    for id in ids {
        // TODO: this waits for each resize before starting the next one.
        thumbs.push(resize(id).await);
    }
    thumbs
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::sync::{Arc, Mutex};
    use std::task::Poll;
    use tokio::runtime::Handle;
    use tokio::time::Instant;

    /// How many spawned tasks have not finished yet, once the runtime has had a turn (at the
    /// same time) to drop tasks that are already over: a progress reporter stopped with
    /// `abort()` just before returning is not left running.
    async fn tasks_still_running() -> usize {
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        Handle::current().metrics().num_alive_tasks()
    }

    /// What became of the tasks still running when make_thumbnails returned: the paused clock
    /// is moved on, a minute at a time, for up to an hour (past any resize in these tests). Says
    /// whether they all ended (`true`).
    async fn what_the_left_tasks_did() -> (bool, String) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(3600) {
            tokio::time::advance(Duration::from_secs(60)).await;
            if tasks_still_running().await == 0 {
                return (
                    true,
                    format!(
                        "they had all ended within {} minute(s) after it returned (moving the \
                         paused clock on): work it had started and not waited for (such as a \
                         resize). Await every JoinHandle, so that every resize is over when it \
                         returns",
                        start.elapsed().as_secs() / 60
                    ),
                );
            }
        }
        (
            false,
            format!(
                "an hour later, {} task(s) it had spawned still ran, and no resize here takes \
                 that long: a task that never ends by itself (a loop, such as a progress ticker, \
                 or a wait for something that never comes) that nobody stops. Stop every task \
                 you start before make_thumbnails returns (abort() its JoinHandle, or end its \
                 loop when the jobs are done)",
                tasks_still_running().await
            ),
        )
    }

    /// The time that resizing the biggest of `ids` takes.
    fn biggest(ids: &[u32]) -> Duration {
        Duration::from_millis(20 * u64::from(ids.iter().copied().max().unwrap_or(0)))
    }

    fn thumbs_for(ids: &[u32]) -> Vec<String> {
        ids.iter().map(|id| format!("thumb-{id}.png")).collect()
    }

    /// What is wrong with `thumbs` as the thumbnails for `ids`, if anything: some missing, all
    /// there in another order, or more than the ids.
    fn thumbs_wrong(ids: &[u32], thumbs: &[String]) -> Option<String> {
        let expected = thumbs_for(ids);
        if thumbs == expected {
            return None;
        }
        let mut others = thumbs.to_vec();
        let missing: Vec<&String> = expected
            .iter()
            .filter(
                |thumb| match others.iter().position(|other| other == *thumb) {
                    Some(at) => {
                        others.remove(at);
                        false
                    }
                    None => true,
                },
            )
            .collect();
        Some(if !missing.is_empty() {
            format!(
                "{} of the {} thumbnails are missing: {missing:?}",
                missing.len(),
                expected.len()
            )
        } else if others.is_empty() {
            order_wrong(ids, thumbs)
        } else {
            format!("there are more than the ids: {others:?}")
        })
    }

    /// What order `thumbs` (all the thumbnails for `ids`, in another order) came in: the ids
    /// backwards, smallest picture first (the order in which jobs that start together finish),
    /// or another.
    fn order_wrong(ids: &[u32], thumbs: &[String]) -> String {
        let mut backwards = thumbs_for(ids);
        backwards.reverse();
        let mut by_size = ids.to_vec();
        by_size.sort_unstable();
        let backwards = thumbs == &backwards[..];
        let smallest_first = thumbs == &thumbs_for(&by_size)[..];
        let from_the_back = "were the JoinHandles taken from the back (`pop()`), or each result \
                             put in front of the others?";
        let as_they_came = "were the results taken as they came (a JoinSet's `join_next`, a \
                            channel, `FuturesUnordered`), or sorted by id or name?";
        let fix = "Put each thumbnail in the place of its id (await the JoinHandles in the order \
                   of the ids, or keep each job's index with its result)";
        match (backwards, smallest_first) {
            (true, true) => format!(
                "they are all there, but in the reverse order of the ids, which here is also \
                 smallest picture first (the order in which the jobs finish when they start \
                 together): {from_the_back} Or {as_they_came} {fix}"
            ),
            (true, false) => format!(
                "they are all there, but in the reverse order of the ids (the last id's \
                 thumbnail first): {from_the_back} {fix}"
            ),
            (false, true) => format!(
                "they are all there, but smallest picture first, the order in which the jobs \
                 finish when they start together: {as_they_came} {fix}"
            ),
            (false, false) => format!("they are all there, but not in the order of the ids. {fix}"),
        }
    }

    /// `future` (a call of make_thumbnails), stopped with a message once it is polled 1000
    /// times in a row at one moment of the paused clock: a loop that checks on the jobs and
    /// yields (`is_finished` with `yield_now`) never lets the clock move on, and would spin
    /// until the run is killed.
    async fn guarded<T>(future: impl Future<Output = T>) -> T {
        guarded_up_to(1000, future).await
    }

    /// `guarded`, stopped after `limit` polls in a row at one moment: a batch of thousands of
    /// ids may wake make_thumbnails once per id at one moment (a yield after each spawn, say).
    async fn guarded_up_to<T>(limit: u32, future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let (mut moment, mut polls) = (Instant::now(), 0);
        std::future::poll_fn(|cx| {
            if moment != Instant::now() {
                (moment, polls) = (Instant::now(), 0);
            }
            polls += 1;
            assert!(
                polls <= limit,
                "make_thumbnails was polled {limit} times in a row while the paused clock stood \
                 still: it checks on the jobs in a loop (`is_finished` with `yield_now`), and \
                 no resize can end while it spins. Await the JoinHandles instead: the task then \
                 sleeps until a job is over"
            );
            future.as_mut().poll(cx)
        })
        .await
    }

    /// What `make_thumbnails` returned and how long it took; fails if it left a task running.
    async fn make(ids: &[u32]) -> (Vec<String>, Duration) {
        let start = Instant::now();
        let thumbs = guarded(make_thumbnails(ids.to_vec())).await;
        let took = start.elapsed();
        let running = tasks_still_running().await;
        if running > 0 {
            panic!(
                "when make_thumbnails({ids:?}) returned, {running} task(s) it had spawned were \
                 still running; {}",
                what_the_left_tasks_did().await.1
            );
        }
        (thumbs, took)
    }

    #[tokio::test(start_paused = true)]
    async fn results_keep_the_order_of_the_ids() {
        for ids in [&[4, 1, 3][..], &[2, 9, 5, 7], &[6], &[3, 3, 1]] {
            let thumbs = make(ids).await.0;
            if let Some(wrong) = thumbs_wrong(ids, &thumbs) {
                panic!(
                    "make_thumbnails({ids:?}) returned {thumbs:?}: {wrong}. Every job's \
                     thumbnail must come back, in the order of the ids"
                );
            }
        }
        assert!(make(&[]).await.0.is_empty(), "no ids, no thumbnails");
    }

    #[tokio::test(start_paused = true)]
    async fn the_batch_takes_as_long_as_the_biggest_picture() {
        for ids in [
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10][..],
            &[3, 12, 5],
            &[7],
            &[2, 2, 2],
        ] {
            let (thumbs, took) = make(ids).await;
            let biggest = biggest(ids);
            assert_eq!(
                thumbs.len(),
                ids.len(),
                "{} ids must give {} thumbnails",
                ids.len(),
                ids.len()
            );
            assert!(
                took >= biggest,
                "the thumbnails for {ids:?} were ready after {took:?}, but the biggest picture \
                 alone takes {biggest:?}: every picture must really be resized"
            );
            if took == biggest {
                continue;
            }
            let one_by_one =
                Duration::from_millis(20 * ids.iter().map(|&id| u64::from(id)).sum::<u64>());
            if took >= one_by_one {
                panic!(
                    "the thumbnails for {ids:?} took {took:?}, as long as all the resizes one \
                     after the other ({one_by_one:?}): with every resize running at the same \
                     time, the batch takes only as long as the biggest picture, {biggest:?}. \
                     Spawn them all first, then await the JoinHandles"
                );
            }
            // 1000 pictures of size 1 (20 ms each) show whether the resizes ran at once: the
            // tasks alive 10 ms in and at 21 ms, and the rounds of 20 ms the batch takes.
            let start = Instant::now();
            let alive = || Handle::current().metrics().num_alive_tasks();
            let before = alive();
            let many = make_thumbnails(vec![1; 1000]);
            let many = tokio::time::timeout(Duration::from_secs(86_400), guarded(many));
            let counts = async {
                tokio::time::sleep_until(start + Duration::from_millis(10)).await;
                let halfway = alive();
                tokio::time::sleep_until(start + Duration::from_millis(21)).await;
                (halfway, alive())
            };
            let (many, (halfway, after)) = tokio::join!(
                async {
                    let many = many.await;
                    (many, start.elapsed())
                },
                counts
            );
            let (many, many_took) = many;
            let all_ok = matches!(&many, Ok(thumbs) if thumbs.len() == 1000);
            if all_ok
                && halfway >= before + 1000
                && after <= before
                && many_took > Duration::from_millis(21)
            {
                panic!(
                    "the thumbnails for {ids:?} took {took:?}, more than the biggest picture \
                     alone ({biggest:?}); and with 1000 pictures of size 1 (20 ms each), all \
                     1000 resizes were running 10 ms in and all were over by 21 ms, yet \
                     make_thumbnails returned after {many_took:?}: it returns well after its \
                     jobs are done. Await the JoinHandles, in the order of the ids (each await \
                     ends as soon as its job does)"
                );
            }
            // Some resizes ran at once, not all: the rounds of 20 ms show how many at a time.
            let rounds = many_took.as_millis() / 20;
            let at_a_time = match many {
                Ok(thumbs) if thumbs.len() == 1000 && rounds > 1 => format!(
                    " (1000 pictures of size 1, 20 ms each, took {many_took:?}: {rounds} rounds \
                     of 20 ms, about {} resize(s) at a time)",
                    1000u128.div_ceil(rounds)
                ),
                _ => String::new(),
            };
            panic!(
                "the thumbnails for {ids:?} took {took:?}, more than the biggest picture alone \
                 ({biggest:?}) but less than all of them one after the other ({one_by_one:?}): \
                 some resizes ran at once, but not all of them{at_a_time}. With every resize \
                 running at the same time, with no cap on how many at once, the batch takes \
                 only as long as the biggest picture: spawn them all, then await the \
                 JoinHandles"
            );
        }
    }

    /// 300 pictures that all finish at 40 ms, more than any small channel holds: a result
    /// sent with `try_send`, which drops it when the channel is full, goes missing.
    #[tokio::test(start_paused = true)]
    async fn three_hundred_pictures_that_finish_together_all_come_back() {
        let ids = [2; 300];
        let start = Instant::now();
        let thumbs = guarded(make_thumbnails(ids.to_vec())).await;
        let took = start.elapsed();
        let running = tasks_still_running().await;
        if running > 0 {
            panic!(
                "when make_thumbnails of 300 pictures returned, {running} task(s) it had spawned \
                 were still running; {}",
                what_the_left_tasks_did().await.1
            );
        }
        let kept = thumbs
            .iter()
            .filter(|thumb| *thumb == "thumb-2.png")
            .count();
        assert!(
            thumbs == thumbs_for(&ids),
            "make_thumbnails of 300 pictures of size 2, which all finish at 40 ms, gave back {} \
             thumbnails, {kept} of them \"thumb-2.png\": every job's result must come back. A \
             result sent with `try_send` is dropped when the channel is full; await every \
             JoinHandle (or send with `send(..).await`, which waits for room)",
            thumbs.len()
        );
        let rounds = took.as_millis() / 40;
        assert_eq!(
            took,
            biggest(&ids),
            "the 300 thumbnails of size 2 took {took:?}{}: with every resize running at the \
             same time, the batch takes only as long as one picture, 40 ms",
            if rounds > 1 {
                format!(
                    ", {rounds} rounds of 40 ms (about {} resize(s) at a time)",
                    300u128.div_ceil(rounds)
                )
            } else {
                String::new()
            }
        );
    }

    /// 2500 pictures, more than any batch above: every resize runs at once however many ids
    /// there are, so a make_thumbnails that resizes one after another past some number of ids
    /// shows here. (500 pictures of size 5, then 500 of size 2, 4, 1 and 3: the biggest takes
    /// 100 ms.)
    #[tokio::test(start_paused = true)]
    async fn a_batch_of_thousands_runs_all_at_once() {
        let ids: Vec<u32> = [5, 2, 4, 1, 3]
            .into_iter()
            .flat_map(|size| [size; 500])
            .collect();
        let start = Instant::now();
        let thumbs = guarded_up_to(25_000, make_thumbnails(ids.clone())).await;
        let took = start.elapsed();
        // Thousands of tasks whose work ended at this moment may need more than a few turns of
        // the runtime to be dropped: give it up to 100 turns more, at the same moment.
        let mut running = tasks_still_running().await;
        for _ in 0..100 {
            if running == 0 {
                break;
            }
            running = tasks_still_running().await;
        }
        if running > 0 {
            panic!(
                "when make_thumbnails of 2500 pictures (sizes 1 to 5) returned, {running} task(s) \
                 it had spawned were still running; {}",
                what_the_left_tasks_did().await.1
            );
        }
        let expected = thumbs_for(&ids);
        if thumbs != expected {
            let first = thumbs
                .iter()
                .zip(&expected)
                .position(|(thumb, wanted)| thumb != wanted)
                .unwrap_or(thumbs.len().min(expected.len()));
            let at = |thumbs: &[String]| {
                thumbs
                    .get(first)
                    .map_or(String::from("nothing"), |thumb| format!("{thumb:?}"))
            };
            panic!(
                "make_thumbnails of 2500 ids (500 pictures each of size 5, 2, 4, 1 and 3) gave back {} \
                 thumbnails, the first one out of place at index {first} ({} where {} \
                 belongs): every job's thumbnail must come back, in the order of the ids, \
                 however many there are",
                thumbs.len(),
                at(&thumbs),
                at(&expected)
            );
        }
        let biggest = biggest(&ids);
        let one_by_one =
            Duration::from_millis(20 * ids.iter().map(|&id| u64::from(id)).sum::<u64>());
        let how = if took >= one_by_one {
            format!(", as long as all of them one after the other ({one_by_one:?})")
        } else if took < biggest {
            String::from(
                ", less than the biggest picture alone: every picture must really be resized",
            )
        } else {
            format!(
                ", more than the biggest picture alone but less than all of them one after the \
                 other ({one_by_one:?}): some ran at once, not all"
            )
        };
        assert_eq!(
            took, biggest,
            "the 2500 resizes (pictures of size 1 to 5, 20 to 100 ms each) took {took:?}{how}. \
             Every resize must run at once, for any number of ids: the batch then takes only as \
             long as the biggest picture, {biggest:?}. Spawn them all first, then await the \
             JoinHandles"
        );
    }

    /// Two batches at once: each call waits for its own jobs only, so a count of running jobs
    /// kept in a `static`, which both calls share, shows.
    #[tokio::test(start_paused = true)]
    async fn two_batches_at_once_each_wait_for_their_own_jobs() {
        let returned = |ids: Vec<u32>| async move {
            let start = Instant::now();
            let making = guarded(make_thumbnails(ids));
            match tokio::time::timeout(Duration::from_secs(3600), making).await {
                Ok(thumbs) => format!("{thumbs:?} at {} ms", start.elapsed().as_millis()),
                Err(_) => String::from("nothing (not within an hour)"),
            }
        };
        let expected = (
            r#"["thumb-5.png", "thumb-3.png"] at 100 ms"#,
            r#"["thumb-1.png"] at 20 ms"#,
        );
        // Each call alone first: what is wrong then is no matter of two calls at once.
        let alone = (returned(vec![5, 3]).await, returned(vec![1]).await);
        assert_eq!(
            (alone.0.as_str(), alone.1.as_str()),
            expected,
            "alone, make_thumbnails([5, 3]) returned {} and make_thumbnails([1]) returned {} \
             (after each call's start), not {} and {}: the other tests say more",
            alone.0,
            alone.1,
            expected.0,
            expected.1
        );
        let (first, second) = tokio::join!(returned(vec![5, 3]), returned(vec![1]));
        assert_eq!(
            (first.as_str(), second.as_str()),
            expected,
            "make_thumbnails([5, 3]) and make_thumbnails([1]) ran at once and returned {first} \
             and {second} (each right when called alone). Each call must wait for its own jobs only: await their JoinHandles \
             (a count of running jobs kept in a `static` is shared by both calls)"
        );
    }

    /// On a runtime without a timer every resize panics at its sleep, and each JoinHandle
    /// gives `Err(JoinError)`: a thumbnail's name (`thumb-….png`) for such a job would be made
    /// up. Panicking, waiting on, leaving it out, an empty name, or an entry that says the job
    /// failed (also one that starts with the picture's name) is fine.
    #[test]
    fn a_failed_job_gives_no_thumbnail() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("the test's runtime could not be built");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                // No timer here: count turns instead, to stop a call that waits on.
                let turns = async {
                    for _ in 0..1_000 {
                        tokio::task::yield_now().await;
                    }
                };
                tokio::select! {
                    biased;
                    thumbs = make_thumbnails(vec![4, 1]) => Some(thumbs),
                    () = turns => None,
                }
            })
        }));
        if let Ok(Some(thumbs)) = outcome {
            // A thumbnail's name for a job that failed was made up. (An empty name, a zero
            // value in a slot filled in advance or `unwrap_or_default`, shows the failure: the
            // given resize never fails, so what a failed job gives is left to the code.)
            let made_up = thumbs
                .iter()
                .any(|thumb| thumb.starts_with("thumb-") && thumb.ends_with(".png"));
            assert!(
                !made_up,
                "here every resize task panicked (their handles gave Err(JoinError)), but \
                 make_thumbnails([4, 1]) returned {thumbs:?}: a failed job has no thumbnail, so \
                 that name was made up. Take each thumbnail out of the Ok of its awaited handle \
                 and let an Err stop make_thumbnails, e.g. \
                 `handle.await.expect(\"a resize failed\")` (or leave the job out, or put in \
                 an entry that says it failed)"
            );
        }
    }

    #[test]
    fn every_picture_is_resized() {
        for ids in [&[5, 2, 8][..], &[1, 10, 4, 4], &[3, 7, 6, 9]] {
            // A runtime of the test's own, with the clock paused, that notes the time whenever
            // it runs out of work and waits for the next timer to end.
            let idle_at = Arc::new(Mutex::new(Vec::new()));
            let noted = Arc::clone(&idle_at);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .on_thread_park(move || noted.lock().unwrap().push(Instant::now()))
                .build()
                .unwrap();
            let (start, took, running, left) = runtime.block_on(async {
                let start = Instant::now();
                guarded(make_thumbnails(ids.to_vec())).await;
                let (took, running) = (start.elapsed(), tasks_still_running().await);
                // Only when a task was left running: what became of it.
                let left = match running {
                    0 => String::new(),
                    _ => what_the_left_tasks_did().await.1,
                };
                (start, took, running, left)
            });
            assert!(
                took >= biggest(ids),
                "the thumbnails for {ids:?} were ready after {took:?}, but the biggest picture \
                 alone takes {:?}: every picture must really be resized",
                biggest(ids)
            );
            // (A batch that takes longer than the biggest picture fails the timing tests.)
            let idle_at = idle_at.lock().unwrap().clone();
            let not_resized: Vec<u32> = ids
                .iter()
                .copied()
                .filter(|&id| {
                    let done = Duration::from_millis(20 * u64::from(id));
                    took == biggest(ids)
                        && done < biggest(ids)
                        && !idle_at.contains(&(start + done))
                })
                .collect();
            assert!(
                not_resized.is_empty(),
                "while make_thumbnails({ids:?}) ran, no timer ended when the resizes of the \
                 pictures {not_resized:?} are over (picture N at N x 20 ms): resize every picture \
                 by calling `resize` and awaiting what it returns, instead of sleeping and writing \
                 the names yourself"
            );
            assert!(
                running == 0,
                "when make_thumbnails({ids:?}) returned, {running} task(s) it had spawned were \
                 still running; {left}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_picture_is_resized_even_on_a_busy_runtime() {
        let ids = [6, 2, 9, 4];
        let mut making = std::pin::pin!(guarded(make_thumbnails(ids.to_vec())));
        // One step of make_thumbnails, then the runtime is busy for 200 ms: a task that
        // make_thumbnails spawned only starts its resize after that.
        let first_step = std::future::poll_fn(|cx| Poll::Ready(making.as_mut().poll(cx))).await;
        tokio::time::advance(Duration::from_millis(200)).await;
        let thumbs = match first_step {
            Poll::Ready(thumbs) => thumbs,
            Poll::Pending => making.await,
        };
        let running = tasks_still_running().await;
        if running > 0 {
            let (ended, left) = what_the_left_tasks_did().await;
            panic!(
                "here make_thumbnails({ids:?}) ran one step, then the runtime was busy for 200 \
                 ms before any task it had spawned could start. When make_thumbnails returned, \
                 {running} task(s) it had spawned were still running; {left}{}",
                if ended {
                    ". Wait for the jobs themselves, not for a fixed time"
                } else {
                    ""
                }
            );
        }
        if let Some(wrong) = thumbs_wrong(&ids, &thumbs) {
            panic!(
                "here make_thumbnails({ids:?}) ran one step, then the runtime was busy for 200 \
                 ms; it returned {thumbs:?}: {wrong}. Every job's thumbnail must come back, in \
                 the order of the ids"
            );
        }
    }

    /// A big picture takes long, but a slow job is no failed one: a budget of time per job (a
    /// `timeout` around each resize whose `Err` is left out) drops it.
    #[tokio::test(start_paused = true)]
    async fn a_slow_picture_is_waited_for() {
        use futures_util::FutureExt;
        // Picture 49 takes 980 ms, under any safety net of 1 s or more; picture 180_000 takes
        // an hour: a safety net that stops make_thumbnails with a panic is fine there.
        for (ids, big) in [(&[3, 49, 1][..], 49), (&[2, 180_000, 5, 1], 180_000)] {
            let start = Instant::now();
            let making = std::panic::AssertUnwindSafe(guarded(make_thumbnails(ids.to_vec())));
            let thumbs = match making.catch_unwind().await {
                Ok(thumbs) => thumbs,
                // The guard's own message (a `&str`: it has no arguments).
                Err(panic)
                    if panic
                        .downcast_ref::<&str>()
                        .is_some_and(|m| m.contains("1000 times")) =>
                {
                    std::panic::resume_unwind(panic)
                }
                Err(_) if big == 180_000 => continue,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            let took = start.elapsed();
            let slow = biggest(ids);
            let Some(wrong) = thumbs_wrong(ids, &thumbs) else {
                continue;
            };
            let big_thumb = format!("thumb-{big}.png");
            if !thumbs.contains(&big_thumb) && took < slow {
                panic!(
                    "make_thumbnails({ids:?}) returned {thumbs:?} after {took:?}, before the \
                     slow picture {big} was done (it takes {slow:?}), and without \
                     {big_thumb:?}: the slow picture was dropped. A slow job has not failed: \
                     wait for every job, however long it takes, and hand back every thumbnail \
                     in the order of the ids"
                );
            }
            panic!(
                "make_thumbnails({ids:?}) (picture {big} takes {slow:?}) returned {thumbs:?} \
                 after {took:?}: {wrong}. Every job's thumbnail must come back, in the order of \
                 the ids"
            );
        }
    }

    /// `ids` as a message shows them: a long batch by its length, its first ids and its biggest.
    fn shown(ids: &[u32]) -> String {
        match ids.len() {
            0..=10 => format!("{ids:?}"),
            n => format!(
                "a batch of {n} ids ({:?}, ..., the biggest {})",
                &ids[..5],
                ids.iter().max().unwrap_or(&0)
            ),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_job_starts_before_any_finishes() {
        // Batches of other lengths and orders too: 7 and 37 ids biggest-first, and 150 ids in
        // a mixed order (all under 1 s, as a safety net of 1 s or more allows).
        let mixed: Vec<u32> = (0..150u32).map(|i| (i * 37) % 49 + 1).collect();
        let seven: Vec<u32> = (1..=7).rev().collect();
        let thirty_seven: Vec<u32> = (1..=37).rev().collect();
        for ids in [
            &[6, 2, 9, 4][..],
            &[3, 8, 1, 5],
            &[7, 2],
            &seven,
            &thirty_seven,
            &mixed,
        ] {
            let start = Instant::now();
            let mut making = std::pin::pin!(guarded(make_thumbnails(ids.to_vec())));
            // make_thumbnails, and the tasks it spawns, run for a few steps at 0 ms (a few more
            // for a long batch: code may yield after each spawn)...
            let mut thumbs = None;
            for _ in 0..10 + 3 * ids.len().saturating_sub(4) {
                let step = std::future::poll_fn(|cx| Poll::Ready(making.as_mut().poll(cx))).await;
                if let Poll::Ready(done) = step {
                    thumbs = Some(done);
                    break;
                }
                tokio::task::yield_now().await;
            }
            // ...then the runtime is busy until the smallest picture is long done.
            let busy = biggest(ids) - Duration::from_millis(30);
            tokio::time::advance(busy).await;
            let thumbs = match thumbs {
                Some(thumbs) => thumbs,
                None => making.await,
            };
            let took = start.elapsed();
            let biggest = biggest(ids);
            let shown = shown(ids);
            assert!(
                took >= biggest,
                "the thumbnails for {shown} were ready after {took:?}, but the biggest picture \
                 alone takes {biggest:?}: every picture must really be resized"
            );
            assert_eq!(
                took, biggest,
                "here make_thumbnails({shown}) got a few steps at 0 ms, then the runtime was busy \
                 until {busy:?}. Resizes started at 0 ms are all over at {biggest:?}, yet \
                 make_thumbnails returned at {took:?}: something in it only started once an \
                 earlier resize was done, or it waited for a fixed time. Start every job first \
                 (tokio::spawn each one, whatever the number, order or size of the pictures), \
                 and only then await the JoinHandles"
            );
            assert!(
                thumbs == thumbs_for(ids),
                "the thumbnails for {shown} must come back in the same order as the ids: {}",
                thumbs_wrong(ids, &thumbs).unwrap_or_default()
            );
        }
    }

    /// A job that starts late ends late, whatever its size: a call that waits only for the
    /// biggest picture and takes the other results without awaiting them (`now_or_never`,
    /// `is_finished`) misses a small one that is not over yet.
    #[test]
    fn a_small_job_that_starts_late_is_waited_for() {
        use futures_util::FutureExt;
        // A runtime that runs one task between two polls of the test's own future, so the
        // test can move the paused clock between the starts of the tasks that it spawned.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .event_interval(1)
            .build()
            .unwrap();
        let ids = [9, 2];
        let (outcome, took, running) = runtime.block_on(async {
            let start = Instant::now();
            let making = std::panic::AssertUnwindSafe(guarded(make_thumbnails(ids.to_vec())));
            let mut making = std::pin::pin!(making.catch_unwind());
            // One step of make_thumbnails at 0 ms (it spawns its jobs), then one task runs:
            // picture 9's resize starts at 0 ms and ends at 180 ms...
            let first_step = std::future::poll_fn(|cx| Poll::Ready(making.as_mut().poll(cx))).await;
            tokio::task::yield_now().await;
            // ...then the runtime is busy for 150 ms before the next task (picture 2's resize)
            // starts: it ends at 190 ms, after picture 9's.
            tokio::time::advance(Duration::from_millis(150)).await;
            let outcome = match first_step {
                Poll::Ready(outcome) => outcome,
                Poll::Pending => making.await,
            };
            let (took, running) = (start.elapsed(), tasks_still_running().await);
            // Only when a task was left running: what became of it.
            let left = match running {
                0 => None,
                _ => Some(what_the_left_tasks_did().await),
            };
            (outcome, took, (running, left))
        });
        let (running, left) = running;
        let thumbs = match outcome {
            Ok(thumbs) => thumbs,
            // The guard's own message (a `&str`: it has no arguments) says what went wrong.
            Err(panic)
                if panic
                    .downcast_ref::<&str>()
                    .is_some_and(|m| m.contains("1000 times")) =>
            {
                std::panic::resume_unwind(panic)
            }
            Err(_) => panic!(
                "here picture 9's resize started at 0 ms, but picture 2's only at 150 ms (the \
                 runtime was busy), so it ended last, at 190 ms: make_thumbnails panicked (its \
                 message is above) after {took:?}, as if every smaller picture were over once \
                 the biggest one was. Await every JoinHandle, in the order of the ids"
            ),
        };
        assert_eq!(
            thumbs,
            thumbs_for(&ids),
            "here picture 9's resize started at 0 ms, but picture 2's only at 150 ms (the \
             runtime was busy), so it ended last, at 190 ms; make_thumbnails returned after \
             {took:?}. The thumbnails must be what every job handed back, in the order of the \
             ids: await every JoinHandle"
        );
        if let Some((ended, left)) = left {
            panic!(
                "here picture 9's resize started at 0 ms, but picture 2's only at 150 ms (the \
                 runtime was busy), so it ended last, at 190 ms; make_thumbnails returned after \
                 {took:?}, with {running} task(s) it had spawned still running; {left}{}",
                if ended {
                    ". The biggest picture is not always the last one done"
                } else {
                    ""
                }
            );
        }
    }

    /// `code` with the inside of each raw string literal (`r"C:\"`, `r#"a "quoted" word"#`,
    /// `br#"..."#`) made plain: its `"` and `\` turned into spaces (same length), so that the
    /// code that reads strings as `"..."` with `\` escapes finds where each one ends. Comments,
    /// other string literals and char literals are left as they are.
    fn raw_strings_plain(code: &str) -> String {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let chars: Vec<char> = code.chars().collect();
        let mut out = String::with_capacity(code.len());
        let mut i = 0;
        while i < chars.len() {
            let next = chars.get(i + 1).copied();
            let after = |j: usize| chars.get(j).copied();
            // Where the comment, literal or single char at `i` ends.
            let end = match chars[i] {
                '/' if next == Some('/') => (i..chars.len())
                    .find(|&j| chars[j] == '\n')
                    .unwrap_or(chars.len()),
                '/' if next == Some('*') => {
                    let (mut depth, mut j) = (0, i);
                    while j < chars.len() {
                        match (chars[j], after(j + 1)) {
                            ('/', Some('*')) => (depth, j) = (depth + 1, j + 2),
                            ('*', Some('/')) => (depth, j) = (depth - 1, j + 2),
                            _ => j += 1,
                        }
                        if depth == 0 {
                            break;
                        }
                    }
                    j
                }
                '"' => {
                    let mut j = i + 1;
                    while j < chars.len() && chars[j] != '"' {
                        j += if chars[j] == '\\' { 2 } else { 1 };
                    }
                    (j + 1).min(chars.len())
                }
                // A char literal ('"', '\''), not a lifetime.
                '\'' if next == Some('\\') || after(i + 2) == Some('\'') => {
                    let from = if next == Some('\\') { i + 3 } else { i + 2 };
                    (from..chars.len())
                        .find(|&j| chars[j] == '\'')
                        .map_or(chars.len(), |j| j + 1)
                }
                'r' if (i == 0 || !ident(chars[i - 1]))
                    || (matches!(chars[i - 1], 'b' | 'c') && (i < 2 || !ident(chars[i - 2]))) =>
                {
                    let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
                    if after(i + 1 + hashes) != Some('"') {
                        out.push('r');
                        i += 1;
                        continue;
                    }
                    // A raw string: it ends at a `"` followed by as many `#`s, with no escapes.
                    let body = i + hashes + 2;
                    let close = (body..chars.len())
                        .find(|&j| {
                            chars[j] == '"'
                                && chars[j + 1..].iter().take_while(|&&c| c == '#').count()
                                    >= hashes
                        })
                        .unwrap_or(chars.len());
                    out.extend(&chars[i..body]);
                    for &c in &chars[body..close] {
                        out.push(if c == '"' || c == '\\' { ' ' } else { c });
                    }
                    let end = (close + 1 + hashes).min(chars.len());
                    out.extend(&chars[close.min(end)..end]);
                    i = end;
                    continue;
                }
                _ => i + 1,
            };
            out.extend(&chars[i..end]);
            i = end;
        }
        out
    }

    /// `source` without its `//` and (nested) `/* */` comments; string and char literals are
    /// kept as they are, so a `"//"` inside one is no comment.
    fn without_comments(source: &str) -> String {
        // A `"` inside a raw string (`r#"a "b" c"#`) does not end it.
        let source = &raw_strings_plain(source);
        let chars: Vec<char> = source.chars().collect();
        let mut kept = String::new();
        let mut i = 0;
        while i < chars.len() {
            let next = chars.get(i + 1).copied();
            match chars[i] {
                '/' if next == Some('/') => {
                    while i < chars.len() && chars[i] != '\n' {
                        i += 1;
                    }
                }
                '/' if next == Some('*') => {
                    let mut depth = 0;
                    while i < chars.len() {
                        if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                            depth += 1;
                            i += 2;
                        } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                            depth -= 1;
                            i += 2;
                            if depth == 0 {
                                break;
                            }
                        } else {
                            i += 1;
                        }
                    }
                    kept.push(' ');
                }
                '"' => {
                    kept.push('"');
                    i += 1;
                    while i < chars.len() && chars[i] != '"' {
                        if chars[i] == '\\' {
                            kept.push(chars[i]);
                            i += 1;
                        }
                        if i < chars.len() {
                            kept.push(chars[i]);
                            i += 1;
                        }
                    }
                    if i < chars.len() {
                        kept.push('"');
                        i += 1;
                    }
                }
                '\'' if next == Some('\\') || chars.get(i + 2) == Some(&'\'') => {
                    // A char literal ('"', '\'', '\n'), not a lifetime.
                    let end = (i + 2..chars.len())
                        .find(|&j| chars[j] == '\'')
                        .unwrap_or(chars.len() - 1);
                    kept.extend(&chars[i..=end]);
                    i = end + 1;
                }
                c => {
                    kept.push(c);
                    i += 1;
                }
            }
        }
        kept
    }

    /// The code above the tests without comments and without `fn main` (a demo there is free).
    fn code_outside_main(source: &str) -> String {
        let code = without_comments(
            source
                .split("\n// Tests: do not edit below this line.")
                .next()
                .unwrap(),
        );
        // `fn main(`, however it is spaced (`fn main ()`).
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let main_at = code.match_indices("fn").map(|(at, _)| at).find(|&at| {
            let rest = &code[at + 2..];
            let name = rest.trim_start();
            !code[..at].ends_with(is_word)
                && name.len() < rest.len()
                && name.starts_with("main")
                && name["main".len()..].trim_start().starts_with('(')
        });
        let Some(at) = main_at else {
            return code;
        };
        let Some(open) = code[at..].find('{') else {
            return code;
        };
        let mut depth = 0;
        for (i, c) in code[at + open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return format!("{}{}", &code[..at], &code[at + open + i + 1..]);
                    }
                }
                _ => {}
            }
        }
        code
    }

    /// `code` without the arguments of the macros that only print, check or panic
    /// (`println!`, `assert!`, `panic!`, ...), of `.expect(..)` and of the checks that only
    /// read a text (`.ends_with(..)`, `.eq(..)`, ...): their text is a message or a test,
    /// never a value the code hands back, so a progress line may say what it likes.
    fn without_messages(code: &str) -> String {
        const MESSAGES: [&str; 20] = [
            "print!(",
            "println!(",
            "eprint!(",
            "eprintln!(",
            "panic!(",
            "assert!(",
            "assert_eq!(",
            "assert_ne!(",
            "debug_assert!(",
            "debug_assert_eq!(",
            "debug_assert_ne!(",
            "unreachable!(",
            "todo!(",
            "unimplemented!(",
            ".expect(",
            ".starts_with(",
            ".ends_with(",
            ".contains(",
            ".eq(",
            ".ne(",
        ];
        let starts_word =
            |at: usize| !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let mut kept = String::new();
        let mut from = 0;
        let mut at = 0;
        while at < code.len() {
            let Some(message) = MESSAGES
                .iter()
                .find(|m| code[at..].starts_with(**m) && (m.starts_with('.') || starts_word(at)))
            else {
                at += code[at..].chars().next().map_or(1, char::len_utf8);
                continue;
            };
            let open = at + message.len();
            kept.push_str(&code[from..open]);
            // Skip to the `)` that closes the call, minding string literals.
            let (mut depth, mut in_text, mut escaped) = (1, false, false);
            let mut end = code.len();
            for (i, c) in code[open..].char_indices() {
                match (in_text, escaped, c) {
                    (true, true, _) => escaped = false,
                    (true, false, '\\') => escaped = true,
                    (_, false, '"') => in_text = !in_text,
                    (false, _, '(' | '[' | '{') => depth += 1,
                    (false, _, ')' | ']' | '}') => {
                        depth -= 1;
                        if depth == 0 {
                            end = open + i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            // Arguments that could change something (a block, an assignment, `&mut`) are
            // read as code. A `name = value` at the top is a named format argument; an
            // assignment would be in brackets.
            let args = blanked(&code[open..end]);
            let mut depth = 0;
            let nested: String = args
                .chars()
                .map(|c| {
                    match c {
                        '(' | '[' => depth += 1,
                        ')' | ']' => depth -= 1,
                        _ => {}
                    }
                    if depth > 0 { c } else { ' ' }
                })
                .collect();
            let changes =
                args.contains(['{', '}']) || args.contains("&mut") || assignments(&nested) > 0;
            from = if changes { open } else { end };
            at = from;
        }
        kept.push_str(&code[from..]);
        kept
    }

    /// `code` with the inside of every string and char literal blanked out (same length), so
    /// that brackets, `;`, `=` or `,` in a text are not read as code.
    fn blanked(code: &str) -> String {
        let chars: Vec<char> = code.chars().collect();
        let mut out = String::with_capacity(code.len());
        let mut i = 0;
        while i < chars.len() {
            let quote = chars[i];
            let is_char = quote == '\''
                && (chars.get(i + 1) == Some(&'\\') || chars.get(i + 2) == Some(&'\''));
            out.push(quote);
            i += 1;
            if quote != '"' && !is_char {
                continue;
            }
            while i < chars.len() && chars[i] != quote {
                let skip = if chars[i] == '\\' { 2 } else { 1 };
                for c in chars.iter().skip(i).take(skip) {
                    out.push_str(&" ".repeat(c.len_utf8()));
                }
                i += skip;
            }
            if i < chars.len() {
                out.push(quote);
                i += 1;
            }
        }
        out
    }

    /// The methods a label may call: none of them changes anything.
    const READ_ONLY: [&str; 16] = [
        "replace",
        "replacen",
        "to_string",
        "to_owned",
        "clone",
        "join",
        "concat",
        "len",
        "trim",
        "to_uppercase",
        "to_lowercase",
        "as_str",
        "iter",
        "map",
        "collect",
        "elapsed",
    ];

    /// `code` without the `let` statements whose name nothing but a message reads (once the
    /// messages are gone): `let line = format!(..).replace(.., ..);` made for a progress line
    /// is not a value handed back. A statement that could change something else (`&mut`, an
    /// assignment, a block, a method that is not read-only) is kept.
    fn without_message_labels(code: &str) -> String {
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let mut code = code.to_string();
        let mut from = 0;
        loop {
            let bare = blanked(&code);
            let Some(found) = bare[from..].find("let ") else {
                break;
            };
            let at = from + found;
            from = at + 4;
            let rest = bare[from..].trim_start_matches("mut ").trim_start();
            let name: String = rest.chars().take_while(|&c| is_word(c)).collect();
            let simple = rest[name.len()..].trim_start().starts_with(['=', ':']);
            let Some(end) = bare[at..].find(';').map(|end| at + end + 1) else {
                break;
            };
            let statement = &bare[at..end];
            // `.replace(x)` with one argument swaps an Option's or a cell's value.
            let read_only = statement.match_indices('.').all(|(i, _)| {
                let method: String = statement[i + 1..]
                    .chars()
                    .take_while(|&c| is_word(c))
                    .collect();
                let open = i + 1 + method.len();
                !statement[open..].starts_with('(')
                    || (READ_ONLY.contains(&method.as_str())
                        && (method != "replace" || arguments(statement, open + 1) == 2))
            });
            // A `format!(..)` and nothing more is a label whatever it formats.
            let value = statement
                .split_once('=')
                .map_or("", |(_, value)| value.trim_start());
            let plain_format = value.strip_prefix("format!(").is_some_and(|args| {
                let mut depth = 1;
                let close = args.find(|c| {
                    match c {
                        '(' | '[' | '{' => depth += 1,
                        ')' | ']' | '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                });
                close.is_some_and(|close| args[close + 1..].trim() == ";")
            });
            if bare[..at].ends_with(is_word)
                || name.is_empty()
                || !simple
                || !(plain_format
                    || !statement.contains(['{', '}'])
                        && !statement.contains("&mut")
                        && assignments(statement) == 1
                        && read_only)
            {
                continue;
            }
            // Read anywhere else? (`let shown = ..` shadowing it is no reading.)
            let others = format!("{} {}", &code[..at], &code[end..]);
            let words: Vec<&str> = others.split(|c: char| !is_word(c)).collect();
            let read = words.iter().enumerate().any(|(i, word)| {
                let before: Vec<&str> = words[..i]
                    .iter()
                    .rev()
                    .filter(|w| !w.is_empty())
                    .take(2)
                    .copied()
                    .collect();
                *word == name && !matches!(before[..], ["let", ..] | ["mut", "let"])
            });
            if !read {
                code.replace_range(at..end, " ");
                from = 0;
            }
        }
        code
    }

    /// How many assignments `bare` (literals blanked) makes: `=` alone (or `+=`, ...), not
    /// `==`, `!=`, `<=`, `>=` or `=>`.
    fn assignments(bare: &str) -> usize {
        let bytes = bare.as_bytes();
        (0..bytes.len())
            .filter(|&i| {
                bytes[i] == b'='
                    && !matches!(bytes.get(i + 1), Some(b'=' | b'>'))
                    && !(i > 0 && matches!(bytes[i - 1], b'=' | b'!' | b'<' | b'>'))
            })
            .count()
    }

    /// How many arguments the call whose `(` is just before `open` gets (literals blanked).
    fn arguments(bare: &str, open: usize) -> usize {
        let (mut depth, mut count, mut filled) = (1, 0, false);
        for c in bare[open..].chars() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 1 => {
                    count += usize::from(filled);
                    filled = false;
                    continue;
                }
                _ => {}
            }
            if depth == 0 {
                break;
            }
            filled |= !c.is_whitespace();
        }
        count + usize::from(filled)
    }

    /// The calls in `code` that edit a text (`.replace(a, b)`, `.replacen(..)`,
    /// `.replace_range(..)`); `.replace(x)` with one argument swaps an `Option`'s or a cell's
    /// value, and edits no text.
    fn text_edits(code: &str) -> Vec<&'static str> {
        let bare = blanked(code);
        [".replace(", ".replacen(", ".replace_range("]
            .into_iter()
            .filter(|edit| {
                bare.match_indices(edit)
                    .any(|(at, _)| *edit != ".replace(" || arguments(&bare, at + edit.len()) == 2)
            })
            .collect()
    }

    /// Which of `words` (whole words) and `texts` (anywhere) the code writes more than once.
    fn written_twice<'a>(code: &str, words: &[&'a str], texts: &[&'a str]) -> Vec<&'a str> {
        let all: Vec<&str> = code
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .collect();
        let twice_as_word = words
            .iter()
            .filter(|word| all.iter().filter(|w| w == word).count() > 1);
        let twice_as_text = texts.iter().filter(|text| code.matches(*text).count() > 1);
        twice_as_word.chain(twice_as_text).copied().collect()
    }

    /// The string literals of `code` that make a thumbnail's name ("thumb-{id}.png", or a
    /// "thumb-" to build one from); one that only says something about a picture ("thumb-{id}
    /// job", "thumb-{id} (picture {id})") makes none.
    fn thumbnail_names(code: &str) -> Vec<String> {
        let chars: Vec<char> = code.chars().collect();
        let mut names = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '\'' if chars.get(i + 1) == Some(&'\\') || chars.get(i + 2) == Some(&'\'') => {
                    // A char literal ('"', '\''), not a lifetime.
                    i = (i + 2..chars.len())
                        .find(|&j| chars[j] == '\'')
                        .unwrap_or(chars.len())
                        + 1;
                }
                '"' => {
                    let before: String = chars[..i].iter().collect();
                    let mut text = String::new();
                    i += 1;
                    while i < chars.len() && chars[i] != '"' {
                        if chars[i] == '\\' {
                            i += 1;
                        }
                        if let Some(&c) = chars.get(i) {
                            text.push(c);
                        }
                        i += 1;
                    }
                    i += 1;
                    // A name compared with (`thumb != format!("thumb-{id}.png")`) or
                    // matched (`"thumb-10.png" => ..`) is a check, no name handed back.
                    let after: String = chars[i.min(chars.len())..].iter().collect();
                    let before = before.trim_end();
                    let before = before.strip_suffix("format!(").unwrap_or(before);
                    let before = before.trim_end().trim_end_matches('&').trim_end();
                    let checked = before.ends_with("==")
                        || before.ends_with("!=")
                        || ["==", "!=", "=>"]
                            .iter()
                            .any(|op| after.trim_start().starts_with(op));
                    let Some(at) = text.find("thumb-").filter(|_| !checked) else {
                        continue;
                    };
                    // What the text says besides the name's parts and its placeholders.
                    let mut rest = String::new();
                    let mut depth = 0;
                    for c in text[..at]
                        .chars()
                        .chain(text[at + "thumb-".len()..].chars())
                    {
                        match c {
                            '{' => depth += 1,
                            '}' => depth -= 1,
                            c if depth == 0 => rest.push(c),
                            _ => {}
                        }
                    }
                    let rest = rest.trim().trim_start_matches(|c: char| c.is_ascii_digit());
                    if rest.is_empty() || rest == ".png" {
                        names.push(text);
                    }
                }
                _ => i += 1,
            }
        }
        names
    }

    /// Values written by hand after a wait look the same from outside, so this test reads the
    /// source (what a message prints, or a panic says, or a label made only for one, is free).
    #[test]
    fn nothing_is_written_by_hand() {
        let code = without_message_labels(&without_messages(&code_outside_main(include_str!(
            "spawn_thumbnail_jobs.rs"
        ))));
        let copied = written_twice(&code, &[], &[]);
        // A "thumb-{id}" without its ".png" names no thumbnail (a label for a message, a
        // tuple), unless the code writes "png" again to finish one.
        let png_again = code.matches("png").count() > 1;
        let names: Vec<String> = thumbnail_names(&code)
            .into_iter()
            .filter(|name| name.contains(".png") || png_again)
            .collect();
        assert!(
            copied.is_empty() && names.len() <= 1,
            "the code writes a thumbnail's name ({:?}) a second time, beside resize's own \
             format: every name must be what a spawned resize task hands back: spawn one task \
             per id, then await each handle in order",
            names.iter().skip(1).collect::<Vec<_>>()
        );
        // A name edited out of another (`resize(0).await.replace('0', ..)`) is no task's.
        let edits = text_edits(&code);
        assert!(
            edits.is_empty(),
            "the code edits text with {edits:?} (outside a message): a thumbnail's name changed \
             by hand is not what a resize task handed back. Spawn one task per id, then await \
             each handle in order and keep what it gives"
        );
    }

    /// The fns of `code` (literals blanked in `bare`, same length): name, where its `fn` is,
    /// where its body's `{` and `}` are, and whether it is an `async fn`.
    fn fn_items(code: &str) -> Vec<(String, usize, usize, usize, bool)> {
        let bare = blanked(code);
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let mut items = Vec::new();
        for (at, _) in bare.match_indices("fn") {
            let rest = &bare[at + 2..];
            if bare[..at].ends_with(is_word) || !rest.starts_with(char::is_whitespace) {
                continue;
            }
            let name: String = rest
                .trim_start()
                .chars()
                .take_while(|&c| is_word(c))
                .collect();
            let (Some(open), semi) = (rest.find('{'), rest.find(';')) else {
                continue;
            };
            if name.is_empty() || semi.is_some_and(|semi| semi < open) {
                continue;
            }
            let open = at + 2 + open;
            let mut depth = 0;
            let Some(close) = bare[open..].char_indices().find_map(|(i, c)| {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                (depth == 0).then_some(open + i)
            }) else {
                continue;
            };
            let is_async = bare[..at]
                .trim_end()
                .trim_end_matches("pub")
                .trim_end()
                .ends_with("async");
            items.push((name, at, open, close, is_async));
        }
        items
    }

    /// The fns other than resize that make a thumbnail's name (from a literal, or from a
    /// `const`/`static` that holds a piece of one) and start no task and no async block,
    /// each with the fns (other than resize) that call it outside any `async` block: names
    /// made there are made after, or beside, the resize tasks.
    fn names_made_outside_resize(code: &str) -> Vec<(String, Vec<String>)> {
        let bare = blanked(code);
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let words_at = |word: &str| -> Vec<usize> {
            bare.match_indices(word)
                .map(|(at, _)| at)
                .filter(|&at| {
                    !bare[..at].ends_with(is_word) && !bare[at + word.len()..].starts_with(is_word)
                })
                .collect()
        };
        // Consts and statics that hold a piece of a name ("thumb-").
        let mut pieces = Vec::new();
        for keyword in ["const", "static"] {
            for at in words_at(keyword) {
                let rest = bare[at + keyword.len()..].trim_start();
                let rest = rest.strip_prefix("mut ").unwrap_or(rest).trim_start();
                let name: String = rest.chars().take_while(|&c| is_word(c)).collect();
                let end = bare[at..].find(';').map_or(bare.len(), |end| at + end);
                if !name.is_empty() && code[at..end].contains("thumb-") {
                    pieces.push(name);
                }
            }
        }
        let items = fn_items(code);
        let resize = items.iter().find(|item| item.0 == "resize");
        let mut found = Vec::new();
        for (name, at, open, close, is_async) in &items {
            let body = &code[*open..=*close];
            let makes_names = !thumbnail_names(body).is_empty()
                || pieces.iter().any(|piece| {
                    body.split(|c: char| !is_word(c))
                        .any(|word| word == piece.as_str())
                });
            if name == "resize"
                || *is_async
                || !makes_names
                || ["async", "spawn"]
                    .iter()
                    .any(|word| bare[*open..=*close].contains(word))
            {
                continue;
            }
            let callers: Vec<String> = words_at(name)
                .into_iter()
                .filter(|&call| !(*at..=*close).contains(&call))
                .filter(|&call| !resize.is_some_and(|r| (r.1..=r.3).contains(&call)))
                .filter(|&call| {
                    // Not inside an `async` block (a task may be the one that calls it).
                    let mut depth = 0;
                    !bare[..call].char_indices().rev().any(|(i, c)| {
                        match c {
                            '}' => depth += 1,
                            '{' if depth > 0 => depth -= 1,
                            '{' => {
                                let before = bare[..i].trim_end();
                                let before = before.strip_suffix("move").unwrap_or(before);
                                return before.trim_end().ends_with("async");
                            }
                            _ => {}
                        }
                        false
                    })
                })
                .map(|call| {
                    items
                        .iter()
                        .filter(|item| (item.2..=item.3).contains(&call))
                        .min_by_key(|item| item.3 - item.2)
                        .map_or(String::from("code outside any fn"), |item| {
                            format!("fn {}", item.0)
                        })
                })
                .collect();
            if !callers.is_empty() {
                found.push((name.clone(), callers));
            }
        }
        found
    }

    /// A name made again by a helper that resize shares (`fn name_of(id)`), called after the
    /// resize tasks are awaited, looks the same from outside: this test reads the source.
    #[test]
    fn only_resize_makes_the_names() {
        let code = without_message_labels(&without_messages(&code_outside_main(include_str!(
            "spawn_thumbnail_jobs.rs"
        ))));
        let found = names_made_outside_resize(&code);
        assert!(
            found.is_empty(),
            "{}: a name made there is not what a resize task handed back. Spawn one task per \
             id, then await each handle in order and keep the name it gives",
            found
                .iter()
                .map(|(name, callers)| format!(
                    "`fn {name}` makes a thumbnail's name, and is called outside resize (and \
                     outside any task), in {}",
                    callers.join(", ")
                ))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }

    /// Wakes the task, and writes down when.
    struct NoteWake {
        start: Instant,
        at: Arc<Mutex<Vec<Duration>>>,
        task: std::task::Waker,
    }

    impl std::task::Wake for NoteWake {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.at.lock().unwrap().push(self.start.elapsed());
            self.task.wake_by_ref();
        }
    }

    /// Awaits `future`, and returns what it gave, when it was over (after the start) and the
    /// times at which its task was woken.
    async fn woken_at<T>(future: impl Future<Output = T>) -> (T, Duration, Vec<Duration>) {
        let start = Instant::now();
        let woken = Arc::new(Mutex::new(Vec::new()));
        let mut future = std::pin::pin!(future);
        let output = std::future::poll_fn(|cx| {
            let waker = std::task::Waker::from(Arc::new(NoteWake {
                start,
                at: Arc::clone(&woken),
                task: cx.waker().clone(),
            }));
            future
                .as_mut()
                .poll(&mut std::task::Context::from_waker(&waker))
        })
        .await;
        let took = start.elapsed();
        let woken = woken.lock().unwrap().clone();
        (output, took, woken)
    }

    /// A loop that checks on the jobs every few ms is done in time too, so this test writes
    /// down when make_thumbnails' task is woken.
    #[tokio::test(start_paused = true)]
    async fn the_jobs_are_not_checked_on_a_timer() {
        for ids in [&[5, 2, 8][..], &[1, 10, 4, 4], &[3, 7, 6, 9]] {
            let (_, took, woken) = woken_at(guarded(make_thumbnails(ids.to_vec()))).await;
            if took != biggest(ids) {
                continue; // Too slow or too fast: the tests above say why.
            }
            // Woken at 0 ms (a task that starts, a yield) or when a resize ends (N x 20 ms).
            let ends: Vec<Duration> = ids
                .iter()
                .map(|&id| Duration::from_millis(20 * u64::from(id)))
                .collect();
            let mut needless: Vec<Duration> = woken
                .into_iter()
                .filter(|at| !at.is_zero() && !ends.contains(at))
                .collect();
            // Timers of its own that end at one moment (a progress message for each of
            // its futures) wake it once each: count the moments, not the wake-ups.
            needless.dedup();
            // A loop that checks on the jobs on a timer and returns in time looks at every
            // step of 20 ms (a resize can end at each): there, one moment per 40 ms is allowed.
            // A progress message of its own (every 25 or 30 ms, say) falls mostly between the
            // steps: there, one moment per 10 ms is allowed.
            let (on_steps, between): (Vec<Duration>, Vec<Duration>) =
                needless.iter().partition(|at| at.as_millis() % 20 == 0);
            assert!(
                on_steps.len() as u128 <= took.as_millis() / 40
                    && between.len() as u128 <= took.as_millis() / 10,
                "make_thumbnails({ids:?})'s task was woken at {} moment(s) when no resize had \
                 ended (picture N ends after N x 20 ms), {} of them on a multiple of 20 ms (when \
                 a resize may end, as a check must), the first time after {:?}: checking on the \
                 jobs on a timer of your own is busy waiting. Await the JoinHandles: the task \
                 then wakes when a job ends (a progress message every 10 or 20 ms wakes it just \
                 when such a check would: make it 25 ms or more)",
                needless.len(),
                on_steps.len(),
                needless.first().copied().unwrap_or_default()
            );
        }
    }

    /// A real program's runtime (`#[tokio::main]`) has worker threads of its own, and the
    /// tasks run there, never on the thread that called `block_on`: here make_thumbnails is
    /// called from the test's own thread, so no resize task shares its thread. (The real
    /// clock: the biggest picture takes 60 ms.)
    #[test]
    fn make_thumbnails_works_on_a_multi_thread_runtime() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("the test's runtime could not be built");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), make_thumbnails(vec![3, 1, 2])).await
            })
        }));
        let seen = match outcome {
            Ok(Ok(thumbs)) => match thumbs_wrong(&[3, 1, 2], &thumbs) {
                None => return,
                Some(wrong) => format!("returned {thumbs:?} ({wrong})"),
            },
            Ok(Err(_)) => {
                String::from("had not returned after 5 s (the biggest picture takes 60 ms)")
            }
            Err(panic) => format!(
                "panicked ({})",
                panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default()
            ),
        };
        let alone = on_one_thread(|| make_thumbnails(vec![3, 1, 2]));
        if alone.as_deref() != Some(&thumbs_for(&[3, 1, 2])[..]) {
            panic!(
                "on a multi-thread runtime (the kind #[tokio::main] builds), called from \
                 outside its worker threads, make_thumbnails(vec![3, 1, 2]) {seen}; on a runtime \
                 of one thread it does not give the three thumbnails in order either"
            );
        }
        panic!(
            "on a multi-thread runtime (the kind #[tokio::main] builds), called from outside its \
             worker threads, make_thumbnails(vec![3, 1, 2]) {seen}, though on a runtime of one \
             thread it gives the three thumbnails in order: a result left on the thread that \
             computed it (a thread_local, anything kept per thread) is lost when the task runs \
             on another thread. Hand each thumbnail back through its JoinHandle's output or a \
             channel"
        );
    }

    /// A call of `make_thumbnails(..)`, to be made on another thread when its future may be
    /// sent there.
    struct OnAWorker<C>(std::cell::Cell<Option<C>>);

    /// Runs it in a task of a runtime with one worker thread (real clock, the biggest picture
    /// takes 60 ms): Tokio then runs the newest task first, so the resize tasks start in
    /// another order than the ids.
    #[allow(dead_code)] // Only one of the two is used, depending on make_thumbnails.
    trait RunOnAWorker {
        fn run_on_a_worker(&self) -> Option<Vec<String>>;
    }

    impl<C, F> RunOnAWorker for OnAWorker<C>
    where
        C: FnOnce() -> F + Send + 'static,
        F: Future<Output = Vec<String>> + Send + 'static,
    {
        fn run_on_a_worker(&self) -> Option<Vec<String>> {
            let call = self.0.take()?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("the test's runtime could not be built");
            let outcome = runtime.block_on(async {
                tokio::spawn(
                    async move { tokio::time::timeout(Duration::from_secs(5), call()).await },
                )
                .await
            });
            match outcome {
                Ok(Ok(thumbs)) => Some(thumbs),
                Ok(Err(_)) => panic!(
                    "make_thumbnails(vec![3, 1, 2]), called from a task on a runtime with one \
                     worker thread, had not returned after 5 s (the biggest picture takes 60 ms)"
                ),
                Err(error) => std::panic::resume_unwind(error.into_panic()),
            }
        }
    }

    /// A make_thumbnails whose future may not be sent to another thread (its tasks kept on a
    /// `LocalSet` of its own) is not run here.
    #[allow(dead_code)] // Only one of the two is used, depending on make_thumbnails.
    trait StaysOnItsThread {
        fn run_on_a_worker(&self) -> Option<Vec<String>>;
    }

    impl<C> StaysOnItsThread for &OnAWorker<C> {
        fn run_on_a_worker(&self) -> Option<Vec<String>> {
            None
        }
    }

    /// One worker thread, and make_thumbnails called from a task on it: Tokio then runs the
    /// newest task first, so the resize tasks start in another order than the ids. Each
    /// thumbnail must still come back in the place of its id.
    #[test]
    fn jobs_that_start_out_of_order_keep_their_places() {
        let making = OnAWorker(std::cell::Cell::new(Some(|| {
            make_thumbnails(vec![3, 1, 2])
        })));
        // The `&` picks StaysOnItsThread when make_thumbnails' future is not Send (clippy sees
        // only the case at hand).
        #[allow(clippy::needless_borrow)]
        let Some(thumbs) = (&making).run_on_a_worker() else {
            return;
        };
        let Some(mut wrong) = thumbs_wrong(&[3, 1, 2], &thumbs) else {
            return;
        };
        let mut sorted = thumbs.clone();
        sorted.sort();
        if sorted == thumbs_for(&[1, 2, 3]) {
            wrong = String::from("all three are there, but not in the order of the ids");
        }
        let alone = on_one_thread(|| make_thumbnails(vec![3, 1, 2]));
        panic!(
            "make_thumbnails(vec![3, 1, 2]), called from a task on a runtime with one worker \
             thread (where Tokio runs the newest task first, so the resize tasks start in \
             another order than the ids), returned {thumbs:?}: {wrong}.{} Each thumbnail comes \
             back in the place of its id, whatever order the tasks start in: keep each job's \
             place as it is spawned (its JoinHandle's place in a Vec, or its index from \
             enumerate), and await the handles in that order",
            if alone.as_deref() == Some(&thumbs_for(&[3, 1, 2])[..]) {
                " On a runtime of one thread, where the tasks start in the order of the ids, it \
                 gives them in order: the place of each thumbnail follows the order its task \
                 started in."
            } else {
                ""
            }
        );
    }

    /// What `call()` gives on a runtime of one thread (the paused clock), or None if it
    /// panicked or had not returned after an hour of that clock.
    fn on_one_thread<F: std::future::Future>(call: impl FnOnce() -> F) -> Option<F::Output> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("the test's runtime could not be built");
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(3600), call()).await
            })
        }))
        .ok()
        .and_then(Result::ok)
    }

    /// A lost wake-up needs another thread at just the wrong moment, so no run can be sure to
    /// show it: this test reads the source. `notify_waiters` wakes only the `Notified` futures
    /// that already exist when it runs, so a `Notified` awaited right where it is made
    /// (`x.notified().await`, or `let n = x.notified(); n.await;`) was made after the count was
    /// last checked, and misses a wake-up that lands in between. Made first, then the count
    /// checked, then awaited (`let n = x.notified(); if done { .. } n.await;`), it misses none.
    #[test]
    fn make_thumbnails_cannot_miss_a_wakeup() {
        /// `code` without its comments, and with its string and char literals emptied.
        fn without_comments_and_strings(code: &str) -> String {
            let chars: Vec<char> = code.chars().collect();
            let mut out = String::new();
            let mut at = 0;
            while at < chars.len() {
                let rest = |at: usize, n: usize| chars.get(at + n).copied();
                match chars[at] {
                    '/' if rest(at, 1) == Some('/') => {
                        while at < chars.len() && chars[at] != '\n' {
                            at += 1;
                        }
                    }
                    '/' if rest(at, 1) == Some('*') => {
                        let mut depth = 0;
                        while at < chars.len() {
                            if chars[at] == '/' && rest(at, 1) == Some('*') {
                                depth += 1;
                                at += 2;
                            } else if chars[at] == '*' && rest(at, 1) == Some('/') {
                                depth -= 1;
                                at += 2;
                                if depth == 0 {
                                    break;
                                }
                            } else {
                                at += 1;
                            }
                        }
                        out.push(' ');
                    }
                    'r' if (rest(at, 1) == Some('"') || rest(at, 1) == Some('#'))
                        && !out.ends_with(|c: char| c.is_alphanumeric() || c == '_') =>
                    {
                        let hashes = chars[at + 1..].iter().take_while(|c| **c == '#').count();
                        if rest(at, 1 + hashes) != Some('"') {
                            out.push('r');
                            at += 1;
                            continue;
                        }
                        let closing = format!("\"{}", "#".repeat(hashes));
                        let body: String = chars[at + 2 + hashes..].iter().collect();
                        at = body.find(&closing).map_or(chars.len(), |end| {
                            at + 2 + hashes + body[..end].chars().count() + 1 + hashes
                        });
                        out.push_str("\"\"");
                    }
                    '"' => {
                        at += 1;
                        while at < chars.len() && chars[at] != '"' {
                            at += if chars[at] == '\\' { 2 } else { 1 };
                        }
                        at += 1;
                        out.push_str("\"\"");
                    }
                    '\'' if rest(at, 1) == Some('\\') => {
                        at += 2;
                        while at < chars.len() && chars[at] != '\'' {
                            at += 1;
                        }
                        at += 1;
                        out.push_str("' '");
                    }
                    '\'' if rest(at, 2) == Some('\'') => {
                        at += 3;
                        out.push_str("' '");
                    }
                    c => {
                        out.push(c);
                        at += 1;
                    }
                }
            }
            out
        }

        let source = include_str!("spawn_thumbnail_jobs.rs");
        let code = source
            .split("\n// Tests: do not edit below this line.")
            .next()
            .unwrap_or(source);
        let code = without_comments_and_strings(code);
        let mut tokens: Vec<String> = Vec::new();
        let mut word = String::new();
        for c in code.chars() {
            if c.is_alphanumeric() || c == '_' {
                word.push(c);
                continue;
            }
            if !word.is_empty() {
                tokens.push(std::mem::take(&mut word));
            }
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
        }
        tokens.push(word);
        let is = |at: usize, expected: &[&str]| {
            tokens.len() >= at + expected.len()
                && expected.iter().zip(&tokens[at..]).all(|(e, t)| e == t)
        };
        if !tokens.iter().any(|t| t == "notify_waiters") {
            return;
        }
        // The names `.notify_waiters()` and `.notify_one()` are called on. A Notify woken only
        // with notify_one keeps a permit for a waiter yet to come: a `x.notified().await` on
        // such a name (one notify_waiters is never called on) misses nothing.
        let receivers_of = |method: &str| -> Vec<&str> {
            (2..tokens.len())
                .filter(|&at| tokens[at] == method && tokens[at - 1] == ".")
                .map(|at| tokens[at - 2].as_str())
                .collect()
        };
        let waiters_woken = receivers_of("notify_waiters");
        let one_woken = receivers_of("notify_one");
        let on_a_permit_notify = |named: usize| {
            tokens[named - 1] == "."
                && tokens[named - 2]
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_')
                && one_woken.contains(&tokens[named - 2].as_str())
                && !waiters_woken.contains(&tokens[named - 2].as_str())
        };
        let awaited_where_made = (1..tokens.len()).any(|named| {
            if !["notified", "notified_owned"].contains(&tokens[named].as_str())
                || ![".", ":"].contains(&tokens[named - 1].as_str())
                || !is(named + 1, &["("])
                || on_a_permit_notify(named)
            {
                return false;
            }
            // The token after the `)` that closes the call.
            let mut depth = 0;
            let Some(next) = (named + 1..tokens.len()).find_map(|i| {
                match tokens[i].as_str() {
                    "(" => depth += 1,
                    ")" if depth == 1 => return Some(i + 1),
                    ")" => depth -= 1,
                    _ => {}
                }
                None
            }) else {
                return false;
            };
            if is(next, &[".", "await"]) {
                return true;
            }
            // `let [mut] n = ....notified();` followed at once by `n.await`.
            let start = tokens[..named]
                .iter()
                .rposition(|t| t == ";" || t == "{" || t == "}")
                .map_or(0, |p| p + 1);
            if !is(next, &[";"]) || !is(start, &["let"]) {
                return false;
            }
            let name_at = if is(start + 1, &["mut"]) {
                start + 2
            } else {
                start + 1
            };
            tokens
                .get(name_at)
                .is_some_and(|name| is(next + 1, &[name.as_str(), ".", "await"]))
        });
        assert!(
            !awaited_where_made,
            "make_thumbnails waits for its jobs on a Notified made after it checked how many \
             are left (`.notified().await`, or `let n = ...notified(); n.await;`), beside a \
             `notify_waiters`: notify_waiters wakes only the Notified futures that already \
             exist, so on a multi-thread runtime the last job can end between that check and \
             the `notified()` and wake nobody, and make_thumbnails waits for ever with every \
             thumbnail made. Await each job's JoinHandle (or a JoinSet) for its thumbnail (or \
             make the Notified first, then check the count, then await it)"
        );
    }

    /// Batches whose callers left (make_thumbnails dropped half-way, as a server drops the
    /// request of a client that went away) run none of make_thumbnails' code past the `.await`
    /// where it waited: a count of pictures in flight or permits in a `static`, given back only
    /// when a call returns, are never given back for them, and a later batch finds no room.
    /// (Their spawned resizes may run on: they end within 100 ms.)
    #[tokio::test(start_paused = true)]
    async fn batches_whose_callers_left_change_nothing_for_the_next_ones() {
        let ids: Vec<u32> = [5, 2, 4, 1, 3]
            .into_iter()
            .flat_map(|size| [size; 500])
            .collect();
        let (ids, biggest) = (&ids, biggest(&ids));
        // One batch of 2500 pictures that nobody gives up: what went wrong, if anything.
        let batch = move || async move {
            let start = Instant::now();
            let making = guarded_up_to(25_000, make_thumbnails(ids.clone()));
            let thumbs = tokio::time::timeout(Duration::from_secs(3600), making).await;
            let took = start.elapsed();
            match thumbs {
                Ok(thumbs) if thumbs == thumbs_for(ids) && took == biggest => None,
                Ok(thumbs) if thumbs == thumbs_for(ids) => {
                    Some(format!("gave back its 2500 thumbnails after {took:?}"))
                }
                Ok(thumbs) => Some(format!(
                    "gave back {} thumbnails after {took:?}, not the 2500 in the order of the ids",
                    thumbs.len()
                )),
                Err(_) => Some(String::from("had not returned an hour later")),
            }
        };
        // First with no batch given up here: if this is already wrong, the callers who leave
        // below have nothing to do with it.
        if let Some(seen) = batch().await {
            panic!(
                "make_thumbnails of 2500 pictures (sizes 1 to 5), before this test gave up any \
                 batch, {seen}, though the biggest picture takes {biggest:?}: every resize must \
                 run at once, for any number of ids, whatever other calls run beside it or ran \
                 before (other tests run at the same time, and some drop their calls half-way: \
                 a count or permits in a static that every call shares, or that a dropped call \
                 never gives back, make a later batch wait). Spawn every job first, then await \
                 the JoinHandles"
            );
        }
        // Four batches of 2500 pictures whose callers leave after 50 ms, while they wait.
        for _ in 0..4 {
            let making = guarded_up_to(25_000, make_thumbnails(ids.clone()));
            let _ = tokio::time::timeout(Duration::from_millis(50), making).await;
        }
        let Some(seen) = batch().await else {
            return;
        };
        panic!(
            "four batches of 2500 pictures (sizes 1 to 5) were given up by their callers after \
             50 ms (each call dropped while it waited, as a server drops the request of a client \
             that went away); then make_thumbnails of 2500 such pictures {seen}, though the \
             biggest picture takes {biggest:?}, and the same batch took {biggest:?} before the \
             others were given up. A call dropped while it waits runs none of \
             its code after that .await, so something it took to give back at its end (a count \
             of pictures in flight, permits, a flag in a static) was never given back. Keep \
             nothing that a dropped call leaves behind: spawn every job, then await the \
             JoinHandles"
        );
    }

    /// make_thumbnails([5, 4, 5, 3, 5]) on a fresh runtime whose clock runs in real time (a
    /// multi-thread one with 2 workers, as `#[tokio::main]` builds, or a current-thread one), on
    /// a thread named main: what it returned and how long it took on the real clock, or what
    /// went wrong. The test gives up waiting after 5 s of real time (a thread left waiting ends
    /// with the test program).
    fn five_pictures_on_a_running_clock(
        multi_thread: bool,
    ) -> Result<(Vec<String>, std::time::Duration), &'static str> {
        let (send, done) = std::sync::mpsc::channel();
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
                let got = runtime.block_on(async {
                    let start = std::time::Instant::now();
                    let thumbs = make_thumbnails(vec![5, 4, 5, 3, 5]).await;
                    (thumbs, start.elapsed())
                });
                let _ = send.send(got);
            })
            .unwrap();
        done.recv_timeout(std::time::Duration::from_secs(5))
            .map_err(|error| match error {
                std::sync::mpsc::RecvTimeoutError::Timeout => {
                    "had not returned after 5 s (the biggest picture takes 100 ms)"
                }
                std::sync::mpsc::RecvTimeoutError::Disconnected => {
                    "panicked (its message is in the full output, from the thread named main)"
                }
            })
    }

    /// Every other test but two pauses Tokio's clock or checks values only; a program (main)
    /// runs on a real clock. Code that tells the two apart (a paused clock stands still) and
    /// resizes one picture after another only on a real clock shows here: on runtimes like the
    /// tests' (one thread) and main's (multi-threaded), clocks running, pictures 5, 4, 5, 3
    /// and 5 are timed on the real clock. A real timer never ends early: one after the other
    /// they take 440 ms or more (all at once, about 100 ms). One try under the limit is enough:
    /// a busy machine may slow a try down, so there are up to 5.
    #[test]
    fn the_batch_is_fast_on_a_running_clock() {
        let ids = [5, 4, 5, 3, 5];
        let expected = thumbs_for(&ids);
        let limit = std::time::Duration::from_millis(250);
        for multi_thread in [false, true] {
            let runtime = if multi_thread {
                "on a multi-threaded runtime, as main's,"
            } else {
                "on a runtime with one thread, as the tests',"
            };
            let mut tries = Vec::new();
            while tries.len() < 5 {
                let (thumbs, took) = match five_pictures_on_a_running_clock(multi_thread) {
                    Ok(got) => got,
                    Err(what) => panic!(
                        "{runtime} whose clock runs in real time (the other tests pause Tokio's \
                         clock, or check the values only), make_thumbnails({ids:?}) \
                         {what}: spawn every job, then await the JoinHandles, whatever clock or \
                         runtime it runs on"
                    ),
                };
                assert!(
                    thumbs == expected,
                    "{runtime} whose clock runs in real time, make_thumbnails({ids:?}) \
                     returned {thumbs:?}: every thumbnail must come back, in the order of the \
                     ids, whatever clock or runtime it runs on"
                );
                if took < limit {
                    break;
                }
                tries.push(format!("{} ms", took.as_millis()));
            }
            assert!(
                tries.len() < 5,
                "{runtime} whose clock runs in real time, as in a program (the other tests pause \
                 Tokio's clock, or check the values only), make_thumbnails({ids:?}) \
                 took {} on the real clock in 5 tries, each {} ms or more. All at once, they \
                 take about 100 ms, as long as the biggest picture; one after the other, 440 ms \
                 or more (a real timer never ends early, and a busy machine seldom slows five \
                 tries in a row by 150 ms). So on a running clock the pictures were resized one \
                 after another: spawn every job first, then await the JoinHandles, on every \
                 path, whatever clock or runtime the code runs on",
                tries.join(", "),
                limit.as_millis()
            );
        }
    }
}
