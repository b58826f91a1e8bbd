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
    LOG.with_borrow_mut(|log| log.push(format!("picture {id} started")));
    sleep(Duration::from_millis(20 * u64::from(id))).await;
    LOG.with_borrow_mut(|log| log.push(format!("picture {id} finished")));
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

thread_local! {
    /// The log: `resize` adds a line when a resize starts, and one when it finishes.
    static LOG: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::task::Poll;
    use tokio::time::Duration;
    use tokio::time::Instant;

    /// What `make_thumbnails` returned, how long it took, and the log at the moment it returned.
    async fn make(ids: &[u32]) -> (Vec<String>, Duration, Vec<String>) {
        // Tasks that an earlier call left running finish first, so that their lines stay out of
        // this call's log.
        tokio::time::sleep(Duration::from_secs(1)).await;
        LOG.with_borrow_mut(Vec::clear);
        let start = Instant::now();
        let thumbs = make_thumbnails(ids.to_vec()).await;
        let took = start.elapsed();
        (thumbs, took, LOG.take())
    }

    #[tokio::test(start_paused = true)]
    async fn results_keep_the_order_of_the_ids() {
        for ids in [&[4, 1, 3][..], &[2, 9, 5, 7], &[6], &[3, 3, 1]] {
            let expected: Vec<String> = ids.iter().map(|id| format!("thumb-{id}.png")).collect();
            assert_eq!(
                make(ids).await.0,
                expected,
                "the thumbnails for the ids {ids:?} must come back in the same order as the ids \
                 (note that a JoinSet hands results back in the order the jobs finish)"
            );
        }
        assert!(make(&[]).await.0.is_empty(), "no ids, no thumbnails");
    }

    #[tokio::test(start_paused = true)]
    async fn every_picture_is_resized_before_the_batch_returns() {
        for ids in [&[5, 2, 8][..], &[1, 10, 4, 4], &[3]] {
            let (_, _, log) = make(ids).await;
            let mut done = log.clone();
            done.sort();
            let mut expected: Vec<String> = ids
                .iter()
                .flat_map(|id| {
                    [
                        format!("picture {id} finished"),
                        format!("picture {id} started"),
                    ]
                })
                .collect();
            expected.sort();
            assert!(
                done == expected,
                "for the ids {ids:?}, the log showed {log:?} when make_thumbnails returned: \
                 every picture must be resized with `resize`, and every resize must be over \
                 when make_thumbnails returns (await every JoinHandle: a task that nobody \
                 awaits may still be running)"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_picture_is_resized_even_on_a_busy_runtime() {
        let ids = [6, 2, 9, 4];
        LOG.with_borrow_mut(Vec::clear);
        let mut making = std::pin::pin!(make_thumbnails(ids.to_vec()));
        // One step of make_thumbnails, then the runtime is busy for 1 s: a task that
        // make_thumbnails spawned only starts its resize after that.
        let first_step = std::future::poll_fn(|cx| Poll::Ready(making.as_mut().poll(cx))).await;
        tokio::time::advance(Duration::from_secs(1)).await;
        let thumbs = match first_step {
            Poll::Ready(thumbs) => thumbs,
            Poll::Pending => making.await,
        };
        let log = LOG.take();
        let unfinished: Vec<u32> = ids
            .into_iter()
            .filter(|id| !log.contains(&format!("picture {id} finished")))
            .collect();
        assert!(
            unfinished.is_empty(),
            "here make_thumbnails({ids:?}) ran one step, then the runtime was busy for 1 s \
             before any task it had spawned could start. When make_thumbnails returned, the log \
             showed {log:?}: the pictures {unfinished:?} had not finished resizing. Wait for \
             the jobs themselves (await every JoinHandle), not for a fixed time"
        );
        let expected: Vec<String> = ids.iter().map(|id| format!("thumb-{id}.png")).collect();
        assert_eq!(
            thumbs, expected,
            "the thumbnails for the ids {ids:?} must come back in the same order as the ids"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_job_starts_before_any_finishes() {
        for ids in [&[3, 8, 1, 5][..], &[7, 2], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]] {
            let (_, _, log) = make(ids).await;
            let started = log
                .iter()
                .filter(|entry| entry.ends_with(" started"))
                .count();
            assert!(
                started == ids.len(),
                "for the ids {ids:?}, the log shows {log:?}: every picture must be resized with \
                 `resize`, once per id"
            );
            let started_first = log
                .iter()
                .take_while(|entry| entry.ends_with(" started"))
                .count();
            assert!(
                started_first == ids.len(),
                "for the ids {ids:?}, the log shows {log:?}: some resizes only started after \
                 another one had finished. Start every job first (tokio::spawn each one), and \
                 only then await the JoinHandles"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_batch_takes_as_long_as_the_biggest_picture() {
        for ids in [
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10][..],
            &[3, 12, 5],
            &[7],
            &[2, 2, 2],
        ] {
            let (thumbs, took, _) = make(ids).await;
            let biggest = Duration::from_millis(20 * u64::from(*ids.iter().max().unwrap()));
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
            assert_eq!(
                took, biggest,
                "the thumbnails for {ids:?} took {took:?}: with every resize running at the \
                 same time, the batch takes only as long as the biggest picture, {biggest:?}. \
                 Spawn them all first, then await the JoinHandles"
            );
        }
    }
}
