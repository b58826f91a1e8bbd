// bufwriter_flush
//
// `send_batch` sends a batch of log lines to a collector, over a connection that stays open: one
// batch now, the next one later. The connection is wrapped in a `BufWriter`, so that a batch of
// many short lines goes out in a few large writes instead of one small write per line. But the
// collector never gets anything: the tests wait for the lines, then give up.
//
// A `BufWriter` keeps what you write in memory until its buffer is full or until you flush it.
// Make every batch reach the collector before `send_batch` returns. Keep the connection usable
// for the next batch, and keep the batching: a batch must not go out one write per line.

use std::io;

use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};

/// Sends `lines` to the collector, one line each, and returns once they have been handed over
/// to the connection.
pub async fn send_batch<W: AsyncWrite + Unpin>(
    out: &mut BufWriter<W>,
    lines: &[&str],
) -> io::Result<()> {
    for line in lines {
        out.write_all(line.as_bytes()).await?;
        out.write_all(b"\n").await?;
    }
    // Hand the whole batch to the connection at once; the connection stays open.
    out.flush().await?;
    Ok(())
}

#[tokio::main]
async fn main() {
    use tokio::io::AsyncReadExt;
    let (connection, mut collector) = tokio::io::duplex(1024);
    let mut out = BufWriter::new(connection);
    send_batch(&mut out, &["boot", "ready"]).await.unwrap();

    let mut received = [0u8; 64];
    let wait = std::time::Duration::from_secs(1);
    match tokio::time::timeout(wait, collector.read(&mut received)).await {
        Ok(Ok(n)) => print!("{}", String::from_utf8_lossy(&received[..n])),
        _ => println!("the collector got nothing"),
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::io;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll, ready};
    use std::time::Duration;
    // The tests import the traits whose methods they call: a fix need not import them (one that
    // writes through a `FramedWrite` uses `SinkExt`, not `AsyncWriteExt`).
    use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt, BufWriter, DuplexStream};
    use tokio::time::{Instant, Sleep, sleep, timeout};

    /// How long the connection keeps each write waiting, in turn (of the test's paused clock).
    const DELAYS_MS: [u64; 3] = [10, 7, 13];

    /// A busy collector: the connection takes a year (of the paused clock) to accept a write,
    /// longer than any time limit a sender would set.
    const BUSY_MS: [u64; 1] = [366 * 24 * 3_600_000];

    /// The capacity of `BufWriter::new`'s buffer.
    const CAPACITY: usize = 8 * 1024;

    /// The connection: counts the writes that reach it. A real network is not always ready,
    /// nor for the same time: every write waits 10, 7 or 13 ms before it goes through.
    struct Connection {
        inner: DuplexStream,
        writes: Arc<AtomicUsize>,
        /// How long each write waits, in turn.
        delays: &'static [u64],
        /// The address each write that went through took its bytes from.
        sources: Vec<usize>,
        /// The wait of the write being tried, and how long that wait is.
        delay: Option<(Pin<Box<Sleep>>, Duration)>,
        /// At how many moments (of the paused clock) a write was tried (`poll_write`), ready
        /// or not: tries at the moment of the last one add nothing.
        moments: usize,
        /// The moment of the last try.
        moment: Option<Instant>,
        /// How many times the write being tried was tried at that moment.
        tries: usize,
        /// When the write being tried was first tried, and at how many moments since.
        first_try: Option<Instant>,
        write_moments: usize,
        /// How long the writes that went through waited for the connection, in all.
        waited: Duration,
    }

    impl AsyncWrite for Connection {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let now = Instant::now();
            if self.moment != Some(now) {
                self.moment = Some(now);
                self.moments += 1;
                self.write_moments += 1;
                self.tries = 0;
            }
            self.tries += 1;
            assert!(
                self.tries <= 1000,
                "the connection was tried 1000 times at one moment for one write that it was \
                 not ready to take: the flush is polled over and over (now_or_never, yield_now \
                 or a waker woken at once, in a loop) instead of waiting. Await the flush \
                 (`out.flush().await`): the connection wakes it up when it is ready"
            );
            // Waiting for the connection with other work beside it (a progress message on a
            // timer) may try it again now and then: once per 10 ms is allowed.
            let since = now - *self.first_try.get_or_insert(now);
            let allowed = 10 + since.as_millis() / 10;
            assert!(
                self.write_moments as u128 <= allowed,
                "the connection was tried at {} moments in {since:?} for one write that it was \
                 not ready to take (at most {allowed} allowed: 10, and one per 10 ms): the \
                 flush is checked on a timer instead of waiting, or something beside it (a \
                 progress message?) wakes it more often than every 10 ms. Await the flush \
                 (`out.flush().await`): the connection wakes it up when it is ready; print \
                 progress at most every 10 ms",
                self.write_moments
            );
            let turn = self.writes.load(Ordering::SeqCst) % self.delays.len();
            let wait = Duration::from_millis(self.delays[turn]);
            let (delay, wait) = self
                .delay
                .get_or_insert_with(|| (Box::pin(sleep(wait)), wait));
            let wait = *wait;
            ready!(delay.as_mut().poll(cx));
            self.delay = None;
            let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
            if let Poll::Ready(Ok(n)) = poll
                && n > 0
            {
                self.writes.fetch_add(1, Ordering::SeqCst);
                self.sources.push(buf.as_ptr() as usize);
                self.waited += wait;
                self.tries = 0;
                self.first_try = None;
                self.write_moments = 0;
            }
            poll
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_flush(cx)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_shutdown(cx)
        }
    }

    fn connect() -> (BufWriter<Connection>, DuplexStream, Arc<AtomicUsize>) {
        connect_with(&DELAYS_MS)
    }

    fn connect_with(
        delays: &'static [u64],
    ) -> (BufWriter<Connection>, DuplexStream, Arc<AtomicUsize>) {
        connect_through(delays, 64 * 1024)
    }

    /// A connection through a pipe that holds `pipe` bytes until the collector reads them.
    fn connect_through(
        delays: &'static [u64],
        pipe: usize,
    ) -> (BufWriter<Connection>, DuplexStream, Arc<AtomicUsize>) {
        let (inner, collector) = tokio::io::duplex(pipe);
        let writes = Arc::new(AtomicUsize::new(0));
        let connection = Connection {
            inner,
            writes: Arc::clone(&writes),
            delays,
            sources: Vec::new(),
            delay: None,
            moments: 0,
            moment: None,
            tries: 0,
            first_try: None,
            write_moments: 0,
            waited: Duration::ZERO,
        };
        (BufWriter::new(connection), collector, writes)
    }

    /// What the collector receives within a second (of the test's paused clock).
    async fn collect(collector: &mut DuplexStream, expected: usize) -> String {
        let mut received = vec![0u8; expected];
        let mut got = 0;
        while got < expected {
            match timeout(Duration::from_secs(1), collector.read(&mut received[got..])).await {
                Ok(Ok(0)) | Err(_) => break,
                Ok(Ok(n)) => got += n,
                Ok(Err(e)) => panic!("the collector could not read: {e}"),
            }
        }
        String::from_utf8_lossy(&received[..got]).into_owned()
    }

    async fn send_and_check(
        out: &mut BufWriter<Connection>,
        collector: &mut DuplexStream,
        lines: &[&str],
        which: &str,
    ) {
        let writes_before = out.get_ref().writes.load(Ordering::SeqCst);
        let moments_before = out.get_ref().moments;
        let sources_before = out.get_ref().sources.len();
        let waited_before = out.get_ref().waited;
        let start = Instant::now();
        if let Err(e) = send_batch(out, lines).await {
            panic!(
                "sending the {which} batch failed: {e}. Is the connection still open? \
                 `shutdown()` flushes, but it also closes the connection for good; `flush()` \
                 only sends what is buffered"
            );
        }
        // Each write waits for the connection once (10, 7 or 13 ms), which wakes the writer
        // when it is ready: a writer that awaits its writes tries the connection at two moments
        // per write (one more per 10 ms is allowed, for a progress message on a timer), and
        // takes no longer than the connection's waits.
        let took = start.elapsed();
        let writes = out.get_ref().writes.load(Ordering::SeqCst) - writes_before;
        let moments = out.get_ref().moments - moments_before;
        let allowed = 2 * writes + (took.as_millis() / 10) as usize;
        let waited = out.get_ref().waited - waited_before;
        let expected: String = lines.iter().map(|line| format!("{line}\n")).collect();
        let received = collect(collector, expected.len()).await;
        // Bytes that match what was sent, but not all of it: the rest never came.
        let buffered = out.buffer().len();
        assert!(
            received.len() == expected.len() || !expected.starts_with(&received),
            "send_batch has returned and the connection is still open, but the collector got \
             {} of the {} bytes of the {which} batch, and nothing more in a second; {}",
            if received.is_empty() {
                "none".to_string()
            } else {
                format!("only the first {}", received.len())
            },
            expected.len(),
            if buffered > 0 {
                format!(
                    "{buffered} bytes are still in the BufWriter's buffer. Flush it, and await \
                     the flush to its end, before returning: the connection takes a moment to \
                     accept each write, so a flush that is cut short (`now_or_never`, a \
                     `timeout` whose error is ignored) leaves the bytes behind. Dropping the \
                     BufWriter does not send the buffer either, and it is not yours to drop"
                )
            } else {
                "the BufWriter's buffer is empty: the rest was never written. Write every line \
                 given, each followed by a newline, and flush once at the end"
                    .to_string()
            }
        );
        let from = (received.chars().zip(expected.chars()))
            .position(|(got, sent)| got != sent)
            .unwrap_or(0);
        let around = |text: &str| text.chars().skip(from).take(40).collect::<String>();
        assert!(
            received == expected,
            "the collector got the {which} batch wrong ({} bytes where {} were sent): from \
             character {from} on it got {:?} where {:?} was sent. The lines must arrive as they were given, each once, followed \
             by a newline, and nothing else: a byte more is read as the start of the next \
             batch. If an earlier batch arrived again, its bytes were still in the BufWriter's \
             buffer: copying them past it (`get_mut()`) does not empty the buffer, `flush()` \
             does",
            received.len(),
            expected.len(),
            around(&received),
            around(&expected)
        );
        assert!(
            took == waited && moments <= allowed,
            "sending the {which} batch took {took:?} and tried the connection at {moments} \
             moments (at most {allowed} for this), for \
             {writes} write(s) that it accepts {waited:?} after their first tries, in all (each \
             10, 7 or 13 ms after its first try): it was checked \
             on a timer, or something beside the flush (a progress message?) woke it more \
             often than every 10 ms. Await the flush (`out.flush().await`): it wakes up exactly \
             when the connection is ready, and takes no longer than the connection"
        );
        // A batch smaller than the BufWriter's buffer goes into that buffer, and the flush
        // hands the connection the buffer's bytes: every write comes from inside it.
        let buffer = out.buffer().as_ptr() as usize;
        let past = out.get_ref().sources[sources_before..]
            .iter()
            .filter(|&&source| source < buffer || source >= buffer + CAPACITY)
            .count();
        // The point of the BufWriter: a batch of several lines goes out together, in fewer
        // writes than it has lines, however small the batch.
        let how = if expected.len() < CAPACITY && past > 0 {
            format!(
                "{past} of those writes did not take their bytes from the BufWriter's buffer: \
                 they were written past it (`get_mut()`), which skips the buffer and sends each \
                 write on its own. Write the lines into the BufWriter (`out.write_all(..)`) and \
                 flush it once, after the whole batch: it sends them together from its buffer"
            )
        } else if expected.len() < CAPACITY {
            "all of them took their bytes from the BufWriter's buffer, so it was flushed after \
             every line (or more often): a BufWriter sends a batch together when you flush \
             once, after the whole batch. Flushing after every line (in small batches too) \
             sends each on its own"
                .to_string()
        } else {
            "a BufWriter sends a batch together when you flush once, after the whole batch. \
             Flushing after every line, or writing each line through `get_mut()`, which skips \
             the buffer, sends each on its own"
                .to_string()
        };
        assert!(
            lines.len() < 2 || writes < lines.len(),
            "the {which} batch of {} lines reached the connection in {writes} writes, at least \
             one per line: {how}",
            lines.len()
        );
        if expected.len() < CAPACITY {
            assert!(
                past == 0,
                "the {which} batch ({} bytes, less than the BufWriter's {CAPACITY}-byte buffer) \
                 reached the connection in {past} write(s) whose bytes did not come from the \
                 BufWriter's buffer: they were written past it (`get_mut()`), so the BufWriter \
                 batched nothing. Write the lines into the BufWriter (`out.write_all(..)`) and \
                 flush it once: it sends them together from its buffer",
                expected.len()
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_batch_arrives_before_send_batch_returns() {
        let (mut out, mut collector, _) = connect();
        send_and_check(&mut out, &mut collector, &["boot", "disk ok"], "first").await;
    }

    #[tokio::test(start_paused = true)]
    async fn the_connection_stays_open_for_the_next_batch() {
        let (mut out, mut collector, _) = connect();
        send_and_check(&mut out, &mut collector, &["login alice"], "first").await;
        send_and_check(
            &mut out,
            &mut collector,
            &["logout alice", "idle"],
            "second",
        )
        .await;
        send_and_check(&mut out, &mut collector, &["shutdown"], "third").await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_goes_out_in_a_few_writes() {
        let (mut out, mut collector, writes) = connect();
        let lines: Vec<String> = (1..=200).map(|n| format!("event number {n}")).collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        send_and_check(&mut out, &mut collector, &lines, "200-line").await;
        let writes = writes.load(Ordering::SeqCst);
        let bytes: usize = lines.iter().map(|line| line.len() + 1).sum();
        if writes >= lines.len() {
            panic!(
                "the 200 lines reached the connection in {writes} writes, at least one per \
                 line: flushing after every line (or writing past the BufWriter, to the \
                 connection itself) sends each one on its own. A BufWriter sends them together \
                 when you flush once, after the whole batch"
            );
        }
        // A flush every few dozen lines still batches; one every few lines hardly does.
        assert!(
            writes <= lines.len() / 20,
            "the 200 lines ({bytes} bytes, which the BufWriter's buffer of {CAPACITY} bytes holds \
             all at once) reached the connection in {writes} writes, about {} lines each: the \
             batch was flushed every few lines, which is hardly a batch. Flush once, after the \
             whole batch: the BufWriter then hands it over in one write (it writes out on its \
             own only when its buffer is full). A flush every 20 lines or more also passes",
            lines.len().div_ceil(writes)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_bigger_than_the_buffer() {
        let (mut out, mut collector, _) = connect();
        let line = "x".repeat(999);
        let lines = vec![line.as_str(); 30];
        send_and_check(&mut out, &mut collector, &lines, "30 KB").await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_longer_than_the_buffer_arrives_whole() {
        // A line of 20 000 bytes, more than the BufWriter's buffer holds: the BufWriter hands
        // it to the connection as it is, and the connection (a pipe of 1 KB, which the
        // collector empties as it reads) takes a part of it at a time.
        let (mut out, mut collector, _) = connect_through(&DELAYS_MS, 1024);
        let long = "y".repeat(20_000);
        let lines = ["start", long.as_str(), "end"];
        let expected: String = lines.iter().map(|line| format!("{line}\n")).collect();
        let (sent, received) = tokio::join!(
            send_batch(&mut out, &lines),
            collect(&mut collector, expected.len())
        );
        if let Err(e) = sent {
            panic!(
                "sending a batch with a line of 20000 bytes (\"start\", 20000 \"y\", \"end\") \
                 over a connection that takes 1 KB at a time, while the collector read it, failed: \
                 {e}"
            );
        }
        if received == expected {
            return;
        }
        let ys = received.chars().filter(|&c| c == 'y').count();
        let from = (received.chars().zip(expected.chars()))
            .position(|(got, sent)| got != sent)
            .unwrap_or(received.len().min(expected.len()));
        let around = |text: &str| text.chars().skip(from).take(40).collect::<String>();
        let what = if ys < long.len() {
            format!(
                "only {ys} of the long line's 20000 bytes arrived. A line longer than the \
                 BufWriter's {CAPACITY}-byte buffer goes straight to the connection, which may \
                 take only part of a write: `write` returns how many bytes it took, and the \
                 rest is not sent unless you write it again. Write each line with \
                 `write_all`, which goes on until every byte is taken"
            )
        } else {
            format!(
                "from character {from} on it got {:?} where {:?} was sent",
                around(&received),
                around(&expected)
            )
        };
        panic!(
            "send_batch returned Ok for a batch with a line of 20000 bytes (\"start\", 20000 \
             \"y\", \"end\"; {} bytes with the newlines) over a connection that takes 1 KB at a \
             time, and the collector, reading all the while, got {} bytes: {what}",
            expected.len(),
            received.len()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn lines_of_any_size_past_the_buffer_arrive_whole() {
        // Lines of 8192 (the BufWriter's buffer, exactly), 9000 and 12 000 bytes, each too
        // big for the BufWriter's buffer: each goes to the connection as it is, and the
        // connection (a pipe of 1 KB, which the collector empties as it reads) takes at most
        // 1 KB of any write.
        let (mut out, mut collector, _) = connect_through(&DELAYS_MS, 1024);
        let sizes = [(8192, 'a'), (9000, 'b'), (12_000, 'c')];
        let longs: Vec<String> = (sizes.iter())
            .map(|&(size, c)| c.to_string().repeat(size))
            .collect();
        let mut lines = vec!["start"];
        lines.extend(longs.iter().map(String::as_str));
        lines.push("end");
        let expected: String = lines.iter().map(|line| format!("{line}\n")).collect();
        let (sent, received) = tokio::join!(
            send_batch(&mut out, &lines),
            collect(&mut collector, expected.len())
        );
        if let Err(e) = sent {
            panic!(
                "sending a batch with lines of 8192, 9000 and 12000 bytes (\"start\", 8192 \
                 \"a\", 9000 \"b\", 12000 \"c\", \"end\") over a connection that takes 1 KB \
                 at a time, while the collector read it, failed: {e}"
            );
        }
        if received == expected {
            return;
        }
        let short: Vec<String> = (sizes.iter())
            .map(|&(size, c)| (size, received.chars().filter(|&got| got == c).count(), c))
            .filter(|&(size, got, _)| got < size)
            .map(|(size, got, c)| format!("{got} of the {size} {c:?}s"))
            .collect();
        let from = (received.chars().zip(expected.chars()))
            .position(|(got, sent)| got != sent)
            .unwrap_or(received.len().min(expected.len()));
        let around = |text: &str| text.chars().skip(from).take(40).collect::<String>();
        let what = if short.is_empty() {
            format!(
                "from character {from} on it got {:?} where {:?} was sent",
                around(&received),
                around(&expected)
            )
        } else {
            format!(
                "only {} arrived. A line as long as the BufWriter's {CAPACITY}-byte buffer or \
                 longer goes straight to the connection, which may take only part of a write: \
                 `write` returns how many bytes it took, and the rest is not sent unless you \
                 write it again. Write each line with `write_all`, which goes on until every \
                 byte is taken, whatever the line's size",
                short.join(", ")
            )
        };
        panic!(
            "send_batch returned Ok for a batch with lines of 8192, 9000 and 12000 bytes \
             (\"start\", 8192 \"a\", 9000 \"b\", 12000 \"c\", \"end\"; {} bytes with the \
             newlines) over a connection that takes 1 KB at a time, and the collector, reading \
             all the while, got {} bytes: {what}",
            expected.len(),
            received.len()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_collector_is_waited_for() {
        let (mut out, mut collector, _) = connect_with(&BUSY_MS);
        let start = Instant::now();
        let sending = std::panic::AssertUnwindSafe(send_batch(&mut out, &["boot", "disk ok"]));
        let mut sending = std::pin::pin!(futures_util::FutureExt::catch_unwind(sending));
        // At how many moments (of the paused clock) send_batch was woken.
        let woken = std::cell::Cell::new(0usize);
        let mut last = None;
        let mut sending = std::future::poll_fn(|cx| {
            if last != Some(Instant::now()) {
                last = Some(Instant::now());
                woken.set(woken.get() + 1);
            }
            sending.as_mut().poll(cx)
        });
        // The clock jumps from one timer to the next while every task waits, so the year
        // passes in a few steps. A timer that fires again and again (a progress message, in
        // send_batch or in a task of its own) steps through it instead: once send_batch has
        // been woken 5000 times, or after 1 s of real time, it is let go (waiting on would take
        // long in real time), undecided.
        let (give_up, mut too_late) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(1));
            let _ = give_up.send(());
        });
        let mut watch = Duration::from_secs(60);
        let sent = loop {
            tokio::select! {
                sent = &mut sending => break sent,
                () = sleep(watch) => {}
                _ = &mut too_late => return,
            }
            if woken.get() > 5_000 {
                return;
            }
            watch *= 2;
        };
        let sent = match sent {
            Ok(sent) => sent,
            Err(stopped) => {
                let message = (stopped.downcast_ref::<String>().map(String::as_str))
                    .or(stopped.downcast_ref::<&str>().copied());
                // The connection's own checks (tries in a loop or on a timer) stopped it: that
                // message stands.
                if message.is_some_and(|m| m.starts_with("the connection was tried")) {
                    std::panic::resume_unwind(stopped);
                }
                // Giving up with a panic after a time limit of one's own (`expect`) is fine too.
                return;
            }
        };
        let took = start.elapsed();
        let expected = "boot\ndisk ok\n";
        let received = collect(&mut collector, expected.len()).await;
        // Giving up with an error is the caller's to handle; returning Ok is a promise.
        assert!(
            sent.is_err() || received == expected || !expected.starts_with(&received),
            "the collector was busy: the connection would take a year to accept the batch's \
             write. send_batch returned Ok after {took:?}, and the collector got {received:?} \
             of {expected:?} and nothing more in a second: the rest never reached it, though \
             the caller now believes it was delivered. Await the flush to its end \
             (`out.flush().await?`); if you put a time limit on it, return an error when it \
             runs out, do not ignore it"
        );
        assert!(
            sent.is_err() || received == expected,
            "the collector was busy: the connection would take a year to accept the batch's \
             write. send_batch waited for it and returned Ok after {took:?}, but the collector \
             got {received:?} where {expected:?} was sent: other bytes. The lines must arrive \
             as they were given, each once, followed by a newline (\"\\n\"), and nothing else"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_connection_is_reported() {
        let (mut out, collector, _) = connect();
        // The collector has gone away: writing to the connection fails.
        drop(collector);
        let sent = send_batch(&mut out, &["boot", "disk ok"]).await;
        assert!(
            sent.is_err(),
            "the collector had gone away, so the batch could not be sent, yet send_batch \
             returned Ok: its caller now believes the lines were delivered. Return the flush's \
             error (`out.flush().await?`), do not drop it"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn what_the_buffer_already_holds_goes_first() {
        let (mut out, mut collector, _) = connect();
        // The caller has already written a greeting into the BufWriter, not flushed yet.
        out.write_all(b"hello collector\n").await.unwrap();
        send_batch(&mut out, &["boot", "disk ok"]).await.unwrap();
        let expected = "hello collector\nboot\ndisk ok\n";
        let received = collect(&mut collector, expected.len()).await;
        assert!(
            !received.is_empty(),
            "send_batch has returned, but nothing reached the collector: the bytes are still \
             in the BufWriter's buffer. Flush it before returning"
        );
        if let Some(batch) = received.strip_prefix("hello collector\n") {
            assert!(
                received == expected || !"boot\ndisk ok\n".starts_with(batch),
                "the caller had written \"hello collector\" into the BufWriter before the \
                 batch, and it came first, but of the batch \"boot\\ndisk ok\\n\" the collector \
                 got only {batch:?}, and nothing more in a second: flush the BufWriter after \
                 the whole batch, and await the flush to its end, before returning"
            );
            assert!(
                received == expected,
                "the caller had written \"hello collector\" into the BufWriter before the \
                 batch, and it came first, but then the collector got {batch:?} where the batch \
                 \"boot\\ndisk ok\\n\" was sent: the lines must arrive as they were given, \
                 each once, followed by a newline (\"\\n\"), and nothing else"
            );
        }
        assert!(
            received == expected,
            "the collector got {received:?}, but the caller had written \"hello collector\" \
             into the BufWriter before the batch, so it must arrive first, then the batch. \
             Writing past the BufWriter (`get_mut()`) sends the batch ahead of what its buffer \
             still holds: write the lines into the BufWriter, then flush it"
        );
    }
}
