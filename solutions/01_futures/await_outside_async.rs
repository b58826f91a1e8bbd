// `.await` only works inside async code.
//
// `checkout` prices a shopping basket by asking a slow price service about
// each item. `basket_total` does the asking, but it is a plain `fn`, and a
// plain fn cannot `.await`. Make it async, then let its caller wait for it.
// (Do not start a second runtime inside it: we are already running in one.)

use tokio::time::{Duration, sleep};

/// Price of one item in cents, from a pretend remote service.
async fn fetch_price(item: &str) -> u32 {
    sleep(Duration::from_millis(40)).await;
    match item {
        "apple" => 50,
        "bread" => 220,
        "cheese" => 480,
        _ => 100,
    }
}

// `.await` is only allowed inside an async fn or block.
async fn basket_total(items: &[&str]) -> u32 {
    let mut total = 0;
    for item in items {
        total += fetch_price(item).await;
    }
    total
}

pub async fn checkout(items: &[&str]) -> String {
    let total = basket_total(items).await;
    format!(
        "{} items, {}.{:02} EUR",
        items.len(),
        total / 100,
        total % 100
    )
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn prices_the_whole_basket() {
        assert_eq!(
            checkout(&["apple", "bread", "cheese"]).await,
            "3 items, 7.50 EUR",
            "apple (0.50) + bread (2.20) + cheese (4.80) should make 7.50 EUR"
        );
        assert_eq!(
            checkout(&[]).await,
            "0 items, 0.00 EUR",
            "an empty basket costs nothing"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn asks_the_price_service() {
        let start = Instant::now();
        fetch_price("apple").await;
        let needed = start.elapsed();

        // The prices may be asked one after the other or all at once: both are fine.
        let start = Instant::now();
        let receipt = checkout(&["apple", "bread"]).await;
        let took = start.elapsed();
        assert_eq!(
            receipt, "2 items, 2.70 EUR",
            "apple and bread cost 2.70 EUR"
        );
        assert!(
            took >= needed,
            "checkout finished in {took:?}, but the price service needs {needed:?} to answer: \
             the prices must come from fetch_price, awaited on the runtime checkout runs on \
             (not from a price list of your own, nor from a second runtime)"
        );
    }
}
