// `async move`: a future that owns its data.
//
// `make_report` does the quick work right away (the title and the sums) and
// returns a future that delivers the report later, after a slow upload. The
// future must not borrow anything (`+ 'static`): the caller may keep it long
// after the sales list is gone. But the async block only borrows the local
// variables it uses, and those die when `make_report` returns. Fix that.

use tokio::time::{Duration, sleep};

pub fn make_report(shop: &str, sales: &[u32]) -> impl Future<Output = String> + 'static {
    let title = shop.to_uppercase();
    let count = sales.len();
    let total: u32 = sales.iter().sum();
    // `move` makes the future own its copies, so it can outlive this call.
    async move {
        // Pretend the report is uploaded to a slow server first.
        sleep(Duration::from_millis(100)).await;
        format!("{title}: {count} sales, {total} EUR")
    }
}

fn main() {}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::Duration;
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn a_report_sums_the_sales() {
        let start = Instant::now();
        let sales = vec![12, 30, 8];
        let report = make_report("Lyon", &sales);
        drop(sales); // the report must not depend on the list any more
        assert_eq!(
            report.await,
            "LYON: 3 sales, 50 EUR",
            "the report for Lyon should count 3 sales worth 50 EUR"
        );
        // One report made and awaited at once takes its whole upload, however it is built.
        assert!(
            start.elapsed() >= Duration::from_millis(100),
            "the report for Lyon was delivered {:?} after make_report was called: its upload \
             is the given 100 ms sleep, which was cut short or skipped. Keep \
             `sleep(Duration::from_millis(100)).await` in the future",
            start.elapsed()
        );
    }

    /// A report handed out by a store that every report shares (a `static` queue) reads
    /// right when the reports are awaited in the order they were made, so here they are not.
    #[tokio::test(start_paused = true)]
    async fn reports_awaited_out_of_order_keep_their_own_text() {
        let mut reports = Vec::new();
        for (shop, sales) in [
            ("Oslo", vec![10]),
            ("Porto", vec![20, 20]),
            ("Nice", vec![5]),
        ] {
            reports.push((shop, make_report(shop, &sales)));
        }
        let expected = [
            ("Porto", "[20, 20]", "PORTO: 2 sales, 40 EUR"),
            ("Nice", "[5]", "NICE: 1 sales, 5 EUR"),
            ("Oslo", "[10]", "OSLO: 1 sales, 10 EUR"),
        ];
        for (shop, sales, text) in expected {
            let at = reports.iter().position(|(made, _)| *made == shop).unwrap();
            let (_, report) = reports.remove(at);
            let got = report.await;
            // Another report's text is blamed on sharing; any other text only on itself.
            let other = (expected.iter())
                .find(|&&(other, _, its)| other != shop && got == its)
                .map(|&(other, _, _)| other);
            if let Some(other) = other {
                panic!(
                    "three reports were made (Oslo, Porto, Nice) and awaited as Porto, Nice, \
                     Oslo: the one made for {shop} gave {got:?}, the text of the {other} \
                     report. Each future must carry its own title and sums (`async move` moves \
                     them into it), not take them from a store that every report shares"
                );
            }
            assert_eq!(
                got, text,
                "the report made for {shop} with the sales {sales} gave {got:?}, but its own \
                 title, count of sales and total make {text:?}"
            );
        }
    }

    /// A future that keeps a copy of the sales list and sums it after the upload gives the
    /// same text, so this test weighs what a report holds while it waits: what dropping it
    /// frees (what make_report prints is kept by the test's output, not by the report).
    #[tokio::test(start_paused = true)]
    async fn a_waiting_report_holds_no_copy_of_the_sales() {
        let sales = vec![1u32; 100_000];
        let list = std::mem::size_of_val(sales.as_slice()) as i64;
        let (kept, waiting) = (make_report("Lyon", &sales), make_report("Lyon", &sales));
        drop(sales);
        // The bytes freed while it is dropped (what it allocates then, such as a print, is
        // left out).
        let dropped = allocation_counter::measure(|| drop(waiting));
        let held = dropped.bytes_total as i64 - dropped.bytes_current;
        assert!(
            held < list / 4,
            "while it waited for its upload, the report for 100000 sales held {held} bytes \
             (freed when it was dropped), as much as the list itself ({list} bytes): it keeps \
             a copy of the sales. make_report does the quick work right away: count and sum \
             the sales there, and move only the title, the count and the total into the \
             `async move` block"
        );
        assert_eq!(
            kept.await,
            "LYON: 100000 sales, 100000 EUR",
            "the report for Lyon should count 100000 sales worth 100000 EUR"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn reports_can_be_kept_and_awaited_later() {
        let mut reports = Vec::new();
        for (shop, sales) in [("Oslo", vec![10]), ("Porto", vec![20, 20])] {
            reports.push(make_report(shop, &sales));
        }
        let tasks = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        assert_eq!(
            tasks, 0,
            "make_report spawned {tasks} task(s), so the upload ran before anyone awaited the \
             report: return a future that owns its data (`async move {{ ... }}`) and does the \
             upload when it is awaited"
        );

        // Both reports were made now; each one, whatever its sales, ends at least 100 ms
        // later (a `sleep` made in make_report itself counts from then, so the two uploads may
        // overlap and both end at 100 ms); a report ready sooner skipped or cut its upload.
        let start = Instant::now();
        let mut texts = Vec::new();
        for (shop, report) in ["Oslo", "Porto"].into_iter().zip(reports) {
            texts.push(report.await);
            let ended = start.elapsed();
            assert!(
                ended >= Duration::from_millis(100),
                "two reports were made at once (Oslo with 1 sale, Porto with 2) and awaited \
                 one after the other: the report for {shop} was delivered {ended:?} after it \
                 was made, so its upload was skipped or cut short. Every report, whatever its \
                 sales, does its whole 100 ms upload (`sleep(Duration::from_millis(100)).await` \
                 in the future) before it delivers its text"
            );
        }
        assert_eq!(
            texts,
            ["OSLO: 1 sales, 10 EUR", "PORTO: 2 sales, 40 EUR"],
            "each stored report must keep its own title and sums"
        );

        // A report made after the others were delivered does its own upload too (not only
        // the first report, nor one that an earlier upload seemed to carry along).
        let made = Instant::now();
        let text = make_report("Bergen", &[5]).await;
        let took = made.elapsed();
        assert!(
            took >= Duration::from_millis(100),
            "a third report, for Bergen, made after Oslo's and Porto's were delivered, was \
             delivered {took:?} after it was made, so its upload was skipped or cut short. \
             Every report does its whole 100 ms upload when it is awaited, whatever reports \
             came before it"
        );
        assert_eq!(text, "BERGEN: 1 sales, 5 EUR");
    }

    /// How many allocations made while a report for `shop` was made and awaited (or, if not
    /// `awaited`, dropped unawaited) were never freed.
    fn allocations_kept_by_a_report(shop: &str, title: &str, awaited: bool) -> i64 {
        // The test's output is set up before counting: a report may print (a warning when it
        // is dropped unsent), and that output is kept by the test, not by the report.
        println!("a report for {shop}, awaited: {awaited}");
        let counted = allocation_counter::measure(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap();
            runtime.block_on(async {
                let sales = vec![12, 30, 8];
                let report = make_report(shop, &sales);
                drop(sales);
                if !awaited {
                    return drop(report);
                }
                assert_eq!(
                    report.await,
                    format!("{title}: 3 sales, 50 EUR"),
                    "the report for {shop} should count 3 sales worth 50 EUR"
                );
            });
        });
        counted.count_current
    }

    /// A report built from leaked data (`Box::leak`) is `'static` too, and reads the same, so
    /// this test counts the allocations that are never freed.
    #[test]
    fn a_report_leaks_nothing() {
        // The first runtime on a thread sets up a few things for good: not a leak. The
        // measured report is for a shop no other test uses, so a title leaked once and
        // reused shows too.
        allocations_kept_by_a_report("Lyon", "LYON", true);
        let kept = allocations_kept_by_a_report("Graz", "GRAZ", true);
        assert!(
            kept == 0,
            "after the report was delivered, {kept} allocation(s) made for it were still not \
             freed: its data was leaked (Box::leak, String::leak..., also a title leaked once \
             and kept in a static for the next report) to get a 'static reference, or is held \
             by a thread of its own (std::thread::spawn) that may still run when the report is \
             done. Let the future own its data instead: `async move {{ ... }}` moves title, \
             count and total into it, and frees them when it is done"
        );
    }

    /// A report that hands its text to a store every report shares (keyed by a number that the
    /// future takes along) reads right when it is awaited, so this test drops one unawaited.
    #[test]
    fn a_report_dropped_unawaited_leaves_nothing_behind() {
        allocations_kept_by_a_report("Lyon", "LYON", true);
        let kept = allocations_kept_by_a_report("Bern", "BERN", false);
        assert!(
            kept == 0,
            "a report for Bern was made and dropped without being awaited, and {kept} \
             allocation(s) made for it were still not freed: its title or text waits in a store \
             outside the future (a static or thread_local map), or in a thread of its own \
             (std::thread::spawn) that goes on after the report is dropped. Let the future own \
             its data, and do the upload in it when it is awaited: \
             `async move {{ ... }}` moves title, count and total into it, and dropping the \
             future frees them"
        );
    }

    /// Every other test pauses Tokio's clock; in a program (main) it runs in real time. An
    /// upload done only when the clock is paused (a probe of whether it moves) shows here: on
    /// runtimes like the tests' (one thread) and main's (multi-threaded), with their clocks
    /// running, on a thread named main, two reports are made at once and awaited one after the
    /// other, and each is delivered with its own text at least 100 ms (its upload) after
    /// make_report was called. The test gives up waiting after 5 s of real time, however
    /// loaded the machine (a thread left waiting ends with the test program).
    #[test]
    fn every_report_is_uploaded_on_a_running_clock() {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let runs = [false, true].map(|multi_thread| {
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
                    runtime.block_on(async {
                        let mut reports = Vec::new();
                        for (shop, sales) in [("Oslo", vec![10]), ("Porto", vec![20, 20])] {
                            let made = std::time::Instant::now();
                            reports.push((shop, made, make_report(shop, &sales)));
                        }
                        for (shop, made, report) in reports {
                            let text = report.await;
                            let _ = send.send((shop, text, made.elapsed()));
                        }
                    });
                })
                .unwrap();
            (multi_thread, done)
        });
        for (multi_thread, done) in runs {
            let runtime = if multi_thread {
                "on a multi-threaded runtime, as main's,"
            } else {
                "on a runtime with one thread, as the tests',"
            };
            for (shop, expected) in [
                ("Oslo", "OSLO: 1 sales, 10 EUR"),
                ("Porto", "PORTO: 2 sales, 40 EUR"),
            ] {
                let wait = deadline.saturating_duration_since(std::time::Instant::now());
                match done.recv_timeout(wait) {
                    Ok((_, text, took)) => {
                        assert_eq!(
                            text, expected,
                            "{runtime} whose clock runs in real time (as in a program; every \
                             other test pauses Tokio's clock), the report made for {shop} gave \
                             {text:?}, but its own title, count of sales and total make \
                             {expected:?}"
                        );
                        assert!(
                            took >= Duration::from_millis(100),
                            "{runtime} whose clock runs in real time (as in a program; every \
                             other test pauses Tokio's clock), two reports were made at once \
                             (Oslo, Porto) and awaited one after the other: the report for \
                             {shop} was delivered {took:?} after make_report was called, so \
                             its 100 ms upload was skipped or cut short. A program never runs \
                             on a paused clock: every report does its whole upload \
                             (`sleep(Duration::from_millis(100)).await` in the future) before \
                             it delivers its text, whatever clock or runtime it runs on"
                        );
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
                        "{runtime} whose clock runs in real time (as in a program; every other \
                         test pauses Tokio's clock), the report for {shop} still had not been \
                         delivered after 5 s, for an upload of 100 ms: it waits for something \
                         that never comes on a real clock. Sleep 100 ms in the future, then \
                         deliver the text, whatever clock or runtime it runs on"
                    ),
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!(
                        "{runtime} whose clock runs in real time (as in a program; every other \
                         test pauses Tokio's clock), making or awaiting the report for {shop} \
                         panicked (its message is in the full output, from the thread named \
                         main): return an `async move` future that does the 100 ms upload and \
                         then delivers the text, whatever clock or runtime it runs on"
                    ),
                }
            }
        }
    }
}
