// tokio_test_attr
//
// In this lesson the TESTS are the exercise: the code under test is correct, and you fix the
// test attributes marked TODO at the bottom of the file (leave the test bodies as they are).
//
// `price_of` is an async fn, and the test that calls it is an `async fn` too. A plain
// `#[test]` has no runtime to poll that future, so the file does not compile. Give the async
// test the attribute that builds a Tokio runtime for it.

use std::time::Duration;

/// Looks up a price (in cents) on a slow price server.
pub async fn price_of(item: &str) -> Option<u32> {
    tokio::time::sleep(Duration::from_millis(20)).await;
    match item {
        "apple" => Some(30),
        "pear" => Some(45),
        _ => None,
    }
}

/// A plain function: a plain `#[test]` is right for it.
pub fn total(prices: &[u32]) -> u32 {
    prices.iter().sum()
}

fn main() {}

// Tests: in this lesson, edit the attribute marked TODO below, not the test bodies.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_adds_up() {
        assert_eq!(total(&[30, 45]), 75, "30 + 45 should be 75");
    }

    // #[tokio::test] builds a runtime and blocks on the async test body.
    #[tokio::test]
    async fn prices_come_from_the_server() {
        assert_eq!(price_of("apple").await, Some(30), "an apple costs 30");
        assert_eq!(price_of("pear").await, Some(45), "a pear costs 45");
        assert_eq!(price_of("kiwi").await, None, "kiwis are not sold");
    }
}
