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
    // Spawning starts every job right away; the handles keep the order of `ids`.
    let handles: Vec<_> = ids.into_iter().map(|id| tokio::spawn(resize(id))).collect();
    let mut thumbs = Vec::new();
    for handle in handles {
        thumbs.push(handle.await.expect("a resize task panicked"));
    }
    thumbs
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn results_keep_the_order_of_the_ids() {
        assert_eq!(
            make_thumbnails(vec![4, 1, 3]).await,
            ["thumb-4.png", "thumb-1.png", "thumb-3.png"],
            "the thumbnails must come back in the same order as the ids (note that a \
             JoinSet hands results back in the order the jobs finish)"
        );
        assert!(
            make_thumbnails(Vec::new()).await.is_empty(),
            "no ids, no thumbnails"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_batch_takes_as_long_as_the_biggest_picture() {
        let start = Instant::now();
        let thumbs = make_thumbnails((1..=10).collect()).await;
        let took = start.elapsed();
        assert_eq!(thumbs.len(), 10, "ten ids must give ten thumbnails");
        assert!(
            took >= Duration::from_millis(200),
            "ten thumbnails were ready after {took:?}, but picture 10 alone takes 200 ms: \
             every picture must really be resized"
        );
        assert!(
            took < Duration::from_millis(300),
            "the resizes ran one after the other: {took:?} instead of ~200 ms; spawn them \
             all first, then await the JoinHandles"
        );
    }
}
