// multi_thread_flavor
//
// In this lesson the TESTS are the exercise: the code under test is correct, and you fix the
// test attributes marked TODO at the bottom of the file (leave the test bodies as they are).
//
// `checksum` does CPU work inside `tokio::task::block_in_place`, which tells the runtime "this
// worker thread is going to be busy: hand its other tasks to another worker". That needs a
// runtime with several worker threads, but `#[tokio::test]` builds a current-thread runtime
// by default, so the test panics. Ask the test attribute for the multi-thread runtime.

/// Checksum of a buffer: CPU work, so it runs in `block_in_place`.
pub async fn checksum(data: Vec<u8>) -> u64 {
    tokio::task::block_in_place(move || {
        data.iter().fold(17u64, |acc, &byte| {
            acc.wrapping_mul(31).wrapping_add(u64::from(byte))
        })
    })
}

fn main() {}

// Tests: in this lesson, edit the attribute marked TODO below, not the test bodies.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::runtime::{Handle, RuntimeFlavor};

    // block_in_place needs worker threads that can take over the other tasks.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn checksum_of_small_buffers() {
        assert_eq!(checksum(vec![]).await, 17, "the checksum of nothing is 17");
        assert_eq!(
            checksum(vec![1]).await,
            17 * 31 + 1,
            "one byte: 17 * 31 + 1"
        );
        let forward = checksum(vec![1, 2, 3]).await;
        assert_ne!(forward, checksum(vec![3, 2, 1]).await, "order must matter");
        assert_eq!(
            Handle::current().runtime_flavor(),
            RuntimeFlavor::MultiThread,
            "this test must run on the multi-thread runtime: choose it in the test attribute"
        );
    }
}
