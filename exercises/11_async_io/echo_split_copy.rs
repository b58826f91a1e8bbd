// echo_split_copy
//
// `echo` serves one connection of an echo service: everything the client sends comes back to it,
// byte for byte, until the client has finished sending. Interactive clients send a little, wait
// to see it come back, then send more. But this `echo` sends nothing back until the client has
// finished sending everything, so those clients wait forever.
//
// Make `echo` stream: send each piece back as soon as it has arrived, and return the number of
// bytes echoed. You need to read and write the same stream at the same time:
// `tokio::io::split` gives you a read half and a write half of it, and `tokio::io::copy` moves
// bytes from a reader to a writer as they come.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Sends back everything the client sends, until the client is done; returns the byte count.
pub async fn echo<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) -> io::Result<u64> {
    // TODO: this collects the whole input before it echoes a single byte.
    let mut everything = Vec::new();
    stream.read_to_end(&mut everything).await?;
    stream.write_all(&everything).await?;
    Ok(everything.len() as u64)
}

#[tokio::main]
async fn main() {
    let (mut client, server) = tokio::io::duplex(64);
    let server = tokio::spawn(echo(server));
    client.write_all(b"hello?").await.unwrap();
    let mut back = [0u8; 6];
    client.read_exact(&mut back).await.unwrap();
    println!("{}", String::from_utf8_lossy(&back));
    drop(client);
    println!("echoed {} bytes", server.await.unwrap().unwrap());
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll};
    use std::time::Duration;
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
    use tokio::task::JoinHandle;
    use tokio::time::{Instant, sleep, timeout};

    /// What the test saw of echo's reads.
    #[derive(Default)]
    struct Reads {
        /// The moments (of the paused clock) at which a read found nothing to read yet
        /// (several reads at one moment, as when Tokio's budget makes a task yield, count once).
        empty_moments: usize,
        /// The last of those moments.
        last_empty: Option<Instant>,
        /// Reads that found nothing at that moment since echo last read or wrote bytes.
        empty_in_a_row: usize,
        /// Set when echo read over and over at one moment and found nothing: 1000 times in a
        /// row, or (at the moment the test jumped the clock to) a million.
        spun: bool,
        /// The moment the test jumps the clock to, if it does; set before the jump.
        jumped_to: Option<Instant>,
        /// Where in its thread's stack echo's first read was made (an address in the stack),
        /// and how much deeper (in bytes) its deepest read since then was.
        first_read_at: Option<usize>,
        deepest: usize,
    }

    type Watch = Arc<Mutex<Reads>>;

    const SPUN: &str = "echo read the connection 1000 times in a row, at one moment, while the \
                        client had sent nothing new: it checks for bytes over and over (a loop \
                        with yield_now, now_or_never or a zero timeout) instead of waiting for \
                        them. Await the read (`reader.read(&mut buf).await`, or \
                        `tokio::io::copy`): it wakes up when the next bytes arrive";

    const SPUN_AFTER_THE_JUMP: &str = "right after the test's clock jumped a year ahead, echo \
                        read the connection a million times in a row, at that one moment, while \
                        the client had sent nothing new: something wakes it over and over. A \
                        `tokio::time::interval` (beside `copy`, or a progress message) does \
                        that: by default it catches up on every tick it missed, one after the \
                        other at once (a year of 40 ms ticks is 790 million). Call \
                        `set_missed_tick_behavior(MissedTickBehavior::Delay)` (or `Skip`) on it, \
                        or use a `sleep` instead; the read itself (`reader.read(&mut buf).await`, \
                        or `tokio::io::copy`) wakes up when the next bytes arrive";

    /// Fails with what the test saw if echo read the connection in a busy loop.
    fn no_busy_loop(reads: &Watch) {
        let reads = reads.lock().unwrap();
        if reads.spun {
            let after_the_jump = reads.last_empty.is_some() && reads.last_empty == reads.jumped_to;
            drop(reads);
            panic!(
                "{}",
                if after_the_jump {
                    SPUN_AFTER_THE_JUMP
                } else {
                    SPUN
                }
            );
        }
    }

    /// echo's end of the connection: a `DuplexStream` whose reads the test watches.
    struct Server {
        inner: DuplexStream,
        reads: Watch,
    }

    impl AsyncRead for Server {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
            let mut reads = self.reads.lock().unwrap();
            // The stack grows down: a read made deeper in it has a lower address.
            let here = std::hint::black_box(&poll) as *const _ as usize;
            let first = *reads.first_read_at.get_or_insert(here);
            reads.deepest = reads.deepest.max(first.saturating_sub(here));
            if poll.is_pending() {
                let now = Instant::now();
                if reads.last_empty != Some(now) {
                    reads.last_empty = Some(now);
                    reads.empty_moments += 1;
                    reads.empty_in_a_row = 0;
                }
                reads.empty_in_a_row += 1;
                // A timer that catches up after the year's jump wakes echo once per tick it
                // missed: an interval of a minute or more fits in a million.
                let after_the_jump = reads.jumped_to == Some(now);
                let limit = if after_the_jump { 1_000_000 } else { 1000 };
                if reads.empty_in_a_row > limit {
                    reads.spun = true;
                    drop(reads);
                    panic!(
                        "{}",
                        if after_the_jump {
                            SPUN_AFTER_THE_JUMP
                        } else {
                            SPUN
                        }
                    );
                }
            } else {
                reads.empty_in_a_row = 0;
            }
            poll
        }
    }

    impl AsyncWrite for Server {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
            if let Poll::Ready(Ok(1..)) = poll {
                self.reads.lock().unwrap().empty_in_a_row = 0;
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

    fn connect(pipe_size: usize) -> (DuplexStream, JoinHandle<io::Result<u64>>, Watch) {
        let (client, server) = tokio::io::duplex(pipe_size);
        let reads = Watch::default();
        let server = Server {
            inner: server,
            reads: reads.clone(),
        };
        (client, tokio::spawn(echo(server)), reads)
    }

    async fn echo_of(client: &mut DuplexStream, reads: &Watch, sent: &str) -> String {
        let mut back = vec![0u8; sent.len()];
        let start = Instant::now();
        let read = timeout(Duration::from_secs(5), client.read_exact(&mut back)).await;
        no_busy_loop(reads);
        match read {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("the client sent {sent:?}, but reading its echo failed: {e}"),
            Err(_) => panic!(
                "the client sent {sent:?} and is waiting for it to come back, but the echo is \
                 still missing: send back each piece as soon as it arrives, do not wait for the \
                 end of the input"
            ),
        }
        // The test's clock is paused: it only moves when every task is waiting for a timer.
        let waited = start.elapsed();
        assert!(
            waited.is_zero(),
            "the echo of {sent:?} came back {waited:?} after it was sent: send each piece back as \
             soon as it arrives, without waiting for a timer (no sleeping between checks for \
             new bytes: `read(...).await` wakes up when they come)"
        );
        String::from_utf8_lossy(&back).into_owned()
    }

    async fn finish(
        mut client: DuplexStream,
        server: JoinHandle<io::Result<u64>>,
        reads: &Watch,
    ) -> u64 {
        client.shutdown().await.unwrap();
        let mut rest = Vec::new();
        let read = timeout(Duration::from_secs(5), client.read_to_end(&mut rest)).await;
        no_busy_loop(reads);
        assert!(
            read.is_ok(),
            "the client has finished sending, but echo did not end the connection"
        );
        assert!(
            rest.is_empty(),
            "after the client finished, {} more bytes came back that it had not sent (or that \
             came back twice)",
            rest.len()
        );
        timeout(Duration::from_secs(5), server)
            .await
            .expect("the client has finished sending, but echo did not return")
            .expect("echo panicked")
            .expect("echo failed")
    }

    #[tokio::test(start_paused = true)]
    async fn echoes_while_the_client_waits() {
        let (mut client, server, reads) = connect(1024);
        let start = Instant::now();
        let pieces = ["hello?", "is anybody there?", "ah, ", "good"];
        let mut total = 0;
        for piece in pieces {
            if let Err(e) = client.write_all(piece.as_bytes()).await {
                no_busy_loop(&reads);
                panic!(
                    "the client could not send {piece:?}: {e}. Did echo stop after the first \
                     piece? Keep echoing until the client has finished sending"
                );
            }
            assert_eq!(
                echo_of(&mut client, &reads, piece).await,
                piece,
                "the echo must be the same bytes"
            );
            total += piece.len() as u64;
            // The client thinks a while after some pieces (53 ms: a prime, so that no timer
            // checking every few ms lands on it), and answers at once after others.
            if piece.ends_with('?') {
                sleep(Duration::from_millis(53)).await;
            }
        }
        // As in the next test: an empty read at most once per piece, plus once at the start,
        // plus one per 10 ms (a progress message), so a timer that looks often while the
        // client thinks shows.
        let moments = reads.lock().unwrap().empty_moments;
        let allowed = pieces.len() + 1 + (start.elapsed().as_millis() / 10) as usize;
        assert!(
            moments <= allowed,
            "the client sent {} pieces, thinking 53 ms after each question, and echo found \
             nothing to read at {moments} different moments (at most {allowed} expected, one \
             per 10 ms of a progress message beside the read included): it checks the \
             connection on a timer instead of waiting for the bytes. Await the read, or use \
             `tokio::io::copy`: it wakes up exactly when the next bytes arrive",
            pieces.len()
        );
        let echoed = finish(client, server, &reads).await;
        assert_eq!(
            echoed, total,
            "the client sent {total} bytes in all, and echo returned {echoed}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn echo_waits_for_the_next_bytes_without_a_timer() {
        let (mut client, server, reads) = connect(1024);
        let start = Instant::now();
        let pieces = ["knock, knock", "who's there?", "a timer", "a timer who?"];
        for piece in pieces {
            if let Err(e) = client.write_all(piece.as_bytes()).await {
                no_busy_loop(&reads);
                panic!("the client could not send {piece:?}: {e}. Keep echoing until it is done");
            }
            assert_eq!(echo_of(&mut client, &reads, piece).await, piece);
            // The client thinks for a second before it sends the next piece.
            sleep(Duration::from_secs(1)).await;
        }
        finish(client, server, &reads).await;
        // A read that waits is woken when the next piece arrives: it finds nothing at most once
        // per piece, plus once at the start. One more per 10 ms is let through (a progress
        // message now and then, while the client is quiet).
        let moments = reads.lock().unwrap().empty_moments;
        let allowed = pieces.len() + 1 + (start.elapsed().as_millis() / 10) as usize;
        assert!(
            moments <= allowed,
            "the client sent {} pieces, a second apart, and echo found nothing to read at \
             {moments} different moments (at most {allowed} expected, one per 10 ms of a \
             progress message beside the read included): it checks the connection on a timer \
             (a `timeout` or an `interval` of less than 10 ms around the read, tried again and \
             again) instead of waiting for the bytes. Await the read, or use `tokio::io::copy`: it \
             wakes up exactly when the next bytes arrive",
            pieces.len()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_pauses_for_a_year() {
        let (mut client, server, reads) = connect(1024);
        client.write_all(b"brb").await.unwrap();
        assert_eq!(echo_of(&mut client, &reads, "brb").await, "brb");
        // The paused clock only runs while every task waits: a 1 ms sleep first, so that a
        // busy loop shows here, before the jump.
        sleep(Duration::from_millis(1)).await;
        no_busy_loop(&reads);
        assert!(
            !server.is_finished(),
            "the client sent \"brb\", got its echo, and is still connected (it has not shut \
             down its side), but 1 ms later echo had returned, before the client's end of input: \
             a read that returns fewer bytes than its buffer holds is not the end of the input, \
             nor is a pause. The end is a read that returns 0 bytes, once the client has shut \
             down its side: keep reading until then (`tokio::io::copy` does)"
        );
        // The client leaves its keyboard for a year, with the connection still open. (The
        // clock jumps a year ahead at once, then runs 1 ms more, so that echo may react.)
        let a_year = Duration::from_secs(366 * 24 * 60 * 60);
        reads.lock().unwrap().jumped_to = Some(Instant::now() + a_year);
        tokio::time::advance(a_year).await;
        sleep(Duration::from_millis(1)).await;
        no_busy_loop(&reads);
        assert!(
            !server.is_finished(),
            "the client paused for a year (of the test's paused clock) with the connection still \
             open, and echo returned during that pause, before the client's end of input: a \
             pause is not the end of the input. The end is a read that returns 0 bytes, once the \
             client has shut down its side: keep reading until then, with no time limit on the \
             read or on `copy`"
        );
        client.write_all(b"back").await.unwrap();
        assert_eq!(echo_of(&mut client, &reads, "back").await, "back");
        assert_eq!(
            finish(client, server, &reads).await,
            7,
            "the client sent 7 bytes in all"
        );
    }

    /// A client that sends exactly as many bytes as echo's read asks for, filling its buffer
    /// (whatever its size), then sends nothing more until those bytes have come back.
    struct FillingClient {
        /// The bytes sent, and how many of them came back.
        sent: Vec<u8>,
        echoed: usize,
        /// How many times a read filled its buffer.
        reads: usize,
        /// The size of the buffer of the read that is waiting for its echo.
        waiting_for: usize,
        /// Reads in a row that found nothing while the last one's echo was missing.
        empty_in_a_row: usize,
        reader: Option<std::task::Waker>,
    }

    /// The client stops sending (its end of input) once it has sent this much, in 3 reads or more.
    const FILLING_BYTES: usize = 4096;

    impl AsyncRead for FillingClient {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if self.echoed < self.sent.len() {
                self.empty_in_a_row += 1;
                assert!(
                    self.empty_in_a_row <= 10_000,
                    "the client sent {} bytes, as many as echo's read buffer held (the read \
                     filled it), and waits for them to come back before it sends more, but \
                     echo read again and again (10000 times) without sending them back: send \
                     back every read as soon as it has come, also one that filled its buffer (a \
                     full buffer is no sign that more is coming; `tokio::io::copy` does this)",
                    self.waiting_for
                );
                self.reader = Some(cx.waker().clone());
                return Poll::Pending;
            }
            self.empty_in_a_row = 0;
            if self.sent.len() >= FILLING_BYTES && self.reads >= 3 {
                return Poll::Ready(Ok(()));
            }
            let size = buf.remaining();
            let from = self.sent.len();
            // Every byte value, 0 to 255, in turn.
            let piece: Vec<u8> = (from..from + size).map(|i| (i % 256) as u8).collect();
            buf.put_slice(&piece);
            self.sent.extend_from_slice(&piece);
            self.reads += 1;
            self.waiting_for = size;
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncWrite for FillingClient {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            let at = self.echoed;
            let fits = buf.len().min(self.sent.len() - at);
            assert!(
                buf[..fits] == self.sent[at..at + fits] && fits == buf.len(),
                "echo sent back bytes that the client had not sent, or not in the order it \
                 sent them (after {at} right ones): send back each byte once, in the order it \
                 came"
            );
            self.echoed += buf.len();
            if self.echoed == self.sent.len()
                && let Some(reader) = self.reader.take()
            {
                reader.wake();
            }
            Poll::Ready(Ok(buf.len()))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// Whatever the size of echo's read buffer, a read that fills it must come back before
    /// the client sends more (here the client waits for it: echo that waits for more first
    /// waits forever).
    #[tokio::test(start_paused = true)]
    async fn a_read_that_fills_its_buffer_whatever_its_size() {
        let client = Arc::new(Mutex::new(FillingClient {
            sent: Vec::new(),
            echoed: 0,
            reads: 0,
            waiting_for: 0,
            empty_in_a_row: 0,
            reader: None,
        }));
        /// echo's end of the connection: the client, shared with the test.
        struct Shared(Arc<Mutex<FillingClient>>);
        impl AsyncRead for Shared {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let mut client = self.0.lock().unwrap_or_else(|e| e.into_inner());
                Pin::new(&mut *client).poll_read(cx, buf)
            }
        }
        impl AsyncWrite for Shared {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                let mut client = self.0.lock().unwrap_or_else(|e| e.into_inner());
                Pin::new(&mut *client).poll_write(cx, buf)
            }
            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
            fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
        }
        let server = tokio::spawn(echo(Shared(client.clone())));
        let returned = timeout(Duration::from_secs(5), server).await;
        let client = client.lock().unwrap_or_else(|e| e.into_inner());
        let (sent, echoed, size) = (client.sent.len(), client.echoed, client.waiting_for);
        let returned = match returned {
            Ok(Ok(returned)) => returned,
            Ok(Err(e)) => std::panic::resume_unwind(e.into_panic()),
            Err(_) => panic!(
                "the client sent {size} bytes, as many as echo's read buffer held (the read \
                 filled it), and waits for them to come back before it sends more, but {} of \
                 them came back and nothing more in 5 s: send back every read as soon as it has \
                 come, also one that filled its buffer (a full buffer is no sign that more is \
                 coming; `tokio::io::copy` does this). The bytes were all the byte values, 0 to \
                 255: echo sends back any bytes, not only text",
                echoed - (sent - size).min(echoed)
            ),
        };
        let echoed_count = returned.expect("echo failed");
        assert_eq!(
            echoed_count, sent as u64,
            "the client sent {sent} bytes in all, each came back, but echo returned another \
             count"
        );
    }

    /// On a socket a read often fills the buffer it is given. Here the pipe holds 2 MB, so
    /// that each piece arrives whole, and the pieces fill a read buffer of 1 to 64 KB (and the
    /// last one of up to a megabyte). Each must come back while the client waits: a read that
    /// filled its buffer is no sign that more is coming, nor one to leave out.
    #[tokio::test(start_paused = true)]
    async fn pieces_that_fill_a_read_buffer() {
        let (mut client, server, reads) = connect(2 << 20);
        let mut total = 0;
        for size in [1 << 10, 4 << 10, 8 << 10, 16 << 10, 64 << 10, 1 << 20] {
            // Every byte value, 0 to 255, in turn: a client may send any bytes, not only text.
            let piece: Vec<u8> = (0..size).map(|i| (i % 256) as u8).collect();
            client.write_all(&piece).await.unwrap();
            let mut back = vec![0u8; size];
            let start = Instant::now();
            let read = timeout(Duration::from_secs(5), client.read_exact(&mut back)).await;
            no_busy_loop(&reads);
            assert!(
                matches!(read, Ok(Ok(_))) && start.elapsed().is_zero(),
                "the client sent {size} bytes at once, as much as a read buffer of that size \
                 holds, and waits for them to come back, but {}: send back every read as soon \
                 as it has come, also one that filled its buffer (a full buffer is no sign \
                 that more is coming; `tokio::io::copy` does this)",
                match read {
                    Ok(Ok(_)) => format!("they came back after {:?}", start.elapsed()),
                    Ok(Err(e)) => format!("reading the echo failed: {e}"),
                    Err(_) => "they did not come back whole".to_string(),
                }
            );
            assert!(
                back == piece,
                "the echo of {size} bytes came back with other bytes"
            );
            total += size as u64;
        }
        assert_eq!(
            finish(client, server, &reads).await,
            total,
            "the client sent {total} bytes in all"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_megabyte_through_a_small_pipe() {
        // The pipe holds 1 KB each way: a megabyte only gets through if echo keeps reading and
        // writing while the client keeps sending and receiving.
        let (client, server, reads) = connect(1024);
        let (mut from_echo, mut to_echo) = tokio::io::split(client);
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let sending = {
            let data = data.clone();
            tokio::spawn(async move {
                // If echo stops early, the test below says how much came back.
                let _ = to_echo.write_all(&data).await;
                let _ = to_echo.shutdown().await;
            })
        };
        // The client reads its echo slowly, in small pieces: the pipe back is often part full.
        let receiving = tokio::spawn(async move {
            let mut back = Vec::new();
            let mut piece = [0u8; 300];
            loop {
                let n = from_echo.read(&mut piece).await.unwrap();
                if n == 0 {
                    return back;
                }
                back.extend_from_slice(&piece[..n]);
                tokio::task::yield_now().await;
            }
        });
        let back = timeout(Duration::from_secs(30), receiving).await;
        no_busy_loop(&reads);
        let back = back
            .expect(
                "a megabyte sent through a 1 KB pipe never came back whole: keep reading and \
                 writing at the same time",
            )
            .unwrap();
        assert_eq!(
            back.len(),
            data.len(),
            "a megabyte went in and {} bytes came back: keep echoing until the client has \
             finished, and send all that was read (`write` may take fewer bytes than you give \
             it; `write_all` takes them all)",
            back.len()
        );
        assert!(back == data, "the echo came back with different bytes");
        sending.await.unwrap();
        let echoed = server.await.unwrap().expect("echo failed");
        assert_eq!(
            echoed, 1_000_000,
            "echo echoed a megabyte and returned {echoed}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_reads_its_echo_an_hour_late() {
        // The client sends 64 KiB through a pipe of 1 KiB each way, and reads nothing back for
        // an hour (of the paused clock: no real time when every task waits). echo waits in the
        // middle of writing a piece back until the client reads, and the client's sending
        // stalls meanwhile.
        let (client, server, reads) = connect(1024);
        let (mut from_echo, mut to_echo) = tokio::io::split(client);
        let data: Vec<u8> = (0..65_536u32).map(|i| (i % 251) as u8).collect();
        let sending = {
            let data = data.clone();
            tokio::spawn(async move {
                // If echo stops early, the test below says what came back.
                let _ = to_echo.write_all(&data).await;
                let _ = to_echo.shutdown().await;
            })
        };
        sleep(Duration::from_secs(3600)).await;
        no_busy_loop(&reads);
        let mut back = Vec::new();
        let mut piece = [0u8; 4096];
        let ended = loop {
            match timeout(Duration::from_secs(60), from_echo.read(&mut piece)).await {
                Ok(Ok(0)) => break "then the connection ended".to_string(),
                Ok(Ok(n)) => back.extend_from_slice(&piece[..n]),
                Ok(Err(e)) => break format!("then reading failed ({e})"),
                Err(_) => break "then nothing more came for a minute".to_string(),
            }
        };
        no_busy_loop(&reads);
        drop(sending);
        let returned = timeout(Duration::from_secs(60), server).await;
        // A time limit on a write that ends echo with an error (or a panic), as a safety net,
        // is let be, if what came back before it was right: the caller is told.
        let gave_up = matches!(returned, Ok(Ok(Err(_))) | Ok(Err(_)));
        if gave_up && data.starts_with(&back) {
            return;
        }
        let right = back.iter().zip(&data).take_while(|(a, b)| a == b).count();
        assert!(
            back.len() < data.len() || back == data,
            "the client sent 64 KiB (65536 bytes) through a pipe of 1 KiB each way, and read \
             nothing back for an hour; then it read {} bytes, {ended}, and only the first \
             {right} were the bytes sent, in order: echo sends back each byte once, in the \
             order it came",
            back.len()
        );
        let seen = if right == back.len() {
            "they were the first bytes sent, and the rest never came"
        } else {
            "the first of them were the first bytes sent, and then came bytes that were not the \
             next ones sent"
        };
        assert!(
            back == data,
            "the client sent 64 KiB (65536 bytes) through a pipe of 1 KiB each way, and read \
             nothing back for an hour; then it read {} bytes, {ended}: {seen} (the first \
             {right} right), and echo returned {}. Bytes that echo had read were lost while \
             it waited for the client to make room. A write that has begun must finish, \
             however long the client takes: `write_all(..).await` (or `tokio::io::copy`) \
             waits as long as it takes. Was one dropped midway, in a `select!` whose other \
             branch (a progress timer?) won? A `select!` drops the branches that lose: race \
             only the wait for the next piece (never a write that has begun), or pin the \
             `copy` future and select on `&mut` it. (A time limit on the write that gives up \
             must end echo with an error, not go on as if the bytes had been sent.)",
            back.len(),
            match &returned {
                Ok(Ok(result)) => format!("{result:?}"),
                Ok(Err(_)) => "a panic".to_string(),
                Err(_) => "nothing for a minute".to_string(),
            }
        );
        let echoed = returned
            .expect("the client has finished sending, but echo did not return")
            .expect("echo panicked")
            .expect("echo failed");
        assert_eq!(echoed, 65_536, "echo echoed 64 KiB and returned {echoed}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_does_not_read_its_echo() {
        // The client sends 16 MB and reads nothing back. Once the pipe back (1 KB) is full, echo
        // cannot write, so it must soon stop reading too, and the client's sending stalls.
        let (mut client, server, reads) = connect(1024);
        let data = vec![b'e'; 16 << 20];
        let sent = timeout(Duration::from_secs(10), client.write_all(&data)).await;
        no_busy_loop(&reads);
        if let Ok(Err(e)) = &sent {
            // echo closed the connection while the client was still sending. A time limit on a
            // write that ends echo with an error (or a panic), as a safety net, is let be, as in
            // a_client_that_reads_its_echo_an_hour_late: the caller is told.
            let returned = timeout(Duration::from_secs(5), server).await;
            if matches!(returned, Ok(Ok(Err(_))) | Ok(Err(_))) {
                return;
            }
            let how = match returned {
                Ok(Ok(Ok(n))) => format!("echo returned Ok({n})"),
                _ => "echo had not returned 5 s later".to_string(),
            };
            panic!(
                "the client could not send its 16 MB ({e}): echo had closed the connection \
                 while the client was still sending, and {how}. A read shorter than the buffer \
                 is not the end of the input, only a read of 0 bytes is: keep echoing until \
                 then (a time limit on a write that gives up must end echo with an error, not \
                 return as if everything had been echoed)"
            );
        }
        assert!(
            sent.is_err(),
            "the client sent 16 MB and read none of it back, yet echo took all of it in: it \
             keeps what it cannot send back yet in memory, without limit, so a client that \
             never reads can fill the server's memory. Read a piece, write it back (waiting \
             until it is taken), and only then read the next: `tokio::io::copy` does that"
        );
        drop(client);
        let _ = timeout(Duration::from_secs(5), server).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_hangs_up_is_an_error() {
        let (mut client, server, reads) = connect(1024);
        client.write_all(b"hello").await.unwrap();
        assert_eq!(echo_of(&mut client, &reads, "hello").await, "hello");
        // The client sends one more piece and hangs up at once: its echo cannot be sent back.
        if let Err(e) = client.write_all(b"bye").await {
            no_busy_loop(&reads);
            panic!("the client could not send \"bye\": {e}. Keep echoing until it is done");
        }
        drop(client);
        let result = timeout(Duration::from_secs(5), server)
            .await
            .expect("the client hung up, but echo did not return")
            .expect("echo panicked");
        no_busy_loop(&reads);
        // Writing to a connection the client has closed fails: echo may return that error, or
        // the count of what it did echo (5 bytes), but not a made-up count.
        assert!(
            matches!(result, Err(_) | Ok(5)),
            "the client got the echo of \"hello\" (5 bytes), then sent \"bye\" and hung up, so \
             echoing \"bye\" failed, and echo returned {result:?}, as if every byte it \
             counted had come back to the client: its caller cannot tell that the echo failed. \
             Return the error (`?`, or the `io::Result` that `tokio::io::copy` gives), do not \
             turn it into a default count or count bytes that were never sent back"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_session_of_10000_pieces_is_echoed_whole() {
        // A chatty client: 10 000 pieces of one byte, each sent once the one before has come
        // back, so that echo reads them one by one. A session may be that long (or longer):
        // echo must not need more memory, or more of its thread's stack, for each piece.
        const PIECES: usize = 10_000;
        let (mut client, server, reads) = connect(1024);
        for piece in 0..PIECES {
            let byte = [b'a' + (piece % 26) as u8];
            client.write_all(&byte).await.unwrap();
            let mut back = [0u8; 1];
            let read = timeout(Duration::from_secs(5), client.read_exact(&mut back)).await;
            no_busy_loop(&reads);
            let deeper = reads.lock().unwrap().deepest;
            assert!(
                deeper < 256 << 10,
                "after {} piece(s) of one byte (each sent once the one before came back), echo \
                 read the connection {} KiB deeper in its thread's stack than at its first \
                 read: echo goes one level deeper with every piece it echoes (as a function \
                 or future that calls itself for the next piece does, through `Box::pin`), so \
                 a long session overflows the stack. Echo piece after piece in a loop (or \
                 with `tokio::io::copy`)",
                piece + 1,
                deeper >> 10
            );
            assert!(
                matches!(read, Ok(Ok(_))) && back == byte,
                "the client sent pieces of one byte, each once the one before had come back, \
                 up to piece {}, but {}: keep echoing piece after piece, however many there \
                 are",
                piece + 1,
                match read {
                    Ok(Ok(_)) => format!("the echo of the last one came back as {back:?}"),
                    Ok(Err(e)) => format!("reading the echo of the last one failed: {e}"),
                    Err(_) => "the echo of the last one never came back".to_string(),
                }
            );
        }
        assert_eq!(
            finish(client, server, &reads).await,
            PIECES as u64,
            "the client sent {PIECES} bytes in all, each came back, but echo returned another \
             count"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_sends_nothing() {
        let (client, server, reads) = connect(1024);
        assert_eq!(
            finish(client, server, &reads).await,
            0,
            "nothing was sent, so nothing was echoed"
        );
    }

    /// Two clients served at once, on one thread (as a server on a runtime of one thread serves
    /// its connections): each echo returns the bytes of its own connection.
    #[tokio::test(start_paused = true)]
    async fn two_clients_at_once_each_get_their_own_count() {
        let (mut first, first_server, first_reads) = connect(64);
        let (mut second, second_server, second_reads) = connect(64);
        first.write_all(b"abc").await.unwrap();
        second.write_all(b"hello world").await.unwrap();
        let back = echo_of(&mut first, &first_reads, "abc").await;
        assert_eq!(back, "abc", "the first client sent \"abc\"");
        let back = echo_of(&mut second, &second_reads, "hello world").await;
        assert_eq!(
            back, "hello world",
            "the second client sent \"hello world\""
        );
        first.write_all(b"de").await.unwrap();
        let back = echo_of(&mut first, &first_reads, "de").await;
        assert_eq!(back, "de", "the first client sent \"de\"");
        let first_count = finish(first, first_server, &first_reads).await;
        let second_count = finish(second, second_server, &second_reads).await;
        let why = if first_count > 5 || second_count > 11 {
            "an echo counted bytes of the other connection too: count them in a variable of \
             echo's own (or take the count that `tokio::io::copy` returns), not in a `static` or \
             `thread_local!` that every connection served on the thread shares"
        } else {
            "each echo returns the number of bytes it sent back to its own client"
        };
        assert!(
            (first_count, second_count) == (5, 11),
            "two clients were served at once, on one thread: one sent 5 bytes (\"abc\", then \
             \"de\"), the other 11 (\"hello world\"), each got them back, and their echoes \
             returned {first_count} and {second_count}: {why}"
        );
    }
}
