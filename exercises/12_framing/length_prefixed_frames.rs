// length_prefixed_frames
//
// A chat protocol sends every message as a frame: a 4-byte big-endian length, then that many
// bytes of payload. `read_frame` returns the payload of the next frame, or `None` when the peer
// has closed the connection between two frames. It was written for small messages that arrive
// in one piece each; on a real network it drops messages, returns half messages, and panics on
// a message longer than its buffer.
//
// Make `read_frame` read exactly one frame, however the bytes arrive: first the 4 bytes of the
// length, then exactly that many bytes of payload, and not one byte more (the next frame may
// already be behind it). Also:
// - a length over `MAX_FRAME` is an `InvalidData` error, found before waiting for its payload:
//   a broken or hostile peer must not make you allocate gigabytes;
// - a stream that ends inside a frame (in its length or in its payload) is an `UnexpectedEof`
//   error; only a stream that ends between two frames is a clean end (`Ok(None)`).

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};

pub const MAX_FRAME: usize = 64 * 1024;

/// Reads the next frame's payload; `Ok(None)` if the stream ended cleanly before it.
pub async fn read_frame<R: AsyncRead + Unpin>(input: &mut R) -> io::Result<Option<Vec<u8>>> {
    // TODO: one read returns whatever has arrived: part of a frame, or several frames.
    let mut buf = [0u8; 1024];
    let n = input.read(&mut buf).await?;
    if n == 0 {
        return Ok(None);
    }
    if n < 4 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    let len = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a frame of {len} bytes is over the limit of {MAX_FRAME}"),
        ));
    }
    Ok(Some(buf[4..4 + len].to_vec()))
}

#[tokio::main]
async fn main() {
    let mut input: &[u8] = b"\x00\x00\x00\x05hello\x00\x00\x00\x05world";
    while let Some(payload) = read_frame(&mut input).await.unwrap() {
        println!("{}", String::from_utf8_lossy(&payload));
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::Duration;
    use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, DuplexStream, ReadBuf};
    use tokio::task::LocalSet;
    use tokio::time::{Instant, sleep, timeout};

    fn frame(payload: &[u8]) -> Vec<u8> {
        let mut bytes = (payload.len() as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(payload);
        bytes
    }

    /// The receiving end of the peer's pipe. It notes the moments of the paused clock at which
    /// a read finds nothing yet, and fails if it is polled over and over at one moment with
    /// nothing new to give, as it is by a loop that keeps trying to read instead of waiting, or
    /// that keeps reading after the stream has ended (each read then gives 0 bytes).
    struct Watched {
        pipe: DuplexStream,
        /// Polls with nothing new since the last byte, at the moment `at`.
        polls: usize,
        at: Option<Instant>,
        /// The moments at which a read found nothing yet.
        empty_moments: usize,
        last_empty: Option<Instant>,
        /// Set by the test whose paused clock jumps a year at once.
        clock_jumps: bool,
        /// The frames read_frame has returned whole from this stream so far.
        frames: usize,
    }

    impl Watched {
        fn new(pipe: DuplexStream) -> Watched {
            Watched {
                pipe,
                polls: 0,
                at: None,
                empty_moments: 0,
                last_empty: None,
                clock_jumps: false,
                frames: 0,
            }
        }
    }

    impl AsyncRead for Watched {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let now = Instant::now();
            if self.at != Some(now) {
                self.at = Some(now);
                self.polls = 0;
            }
            self.polls += 1;
            assert!(
                self.polls <= 1000 || self.clock_jumps,
                "read_frame polled the stream 1000 times at one moment while no byte came: it \
                 tries to read over and over (now_or_never, yield_now in a loop) instead of \
                 waiting, or keeps reading after the stream has ended (a read that returns 0 \
                 bytes means the end: no more will come). Await the reads (`read_exact`): the \
                 stream wakes you up when bytes come, and it fails with UnexpectedEof if the \
                 stream ends first"
            );
            assert!(
                self.polls <= 1000,
                "read_frame polled the stream 1000 times at one moment while no byte came, \
                 right after the paused clock jumped a year at once: either it tries to read \
                 over and over (now_or_never, yield_now in a loop) instead of waiting, or it \
                 waits beside a `tokio::time::interval` (for a progress message?) that catches \
                 up on every tick of the year at once (its default MissedTickBehavior::Burst; a \
                 real clock does not jump a year, but this test has to). Await the reads \
                 (`read_exact`); for a progress message, use a `sleep`, or an interval with \
                 `set_missed_tick_behavior(MissedTickBehavior::Delay)`"
            );
            let filled_before = buf.filled().len();
            let polled = Pin::new(&mut self.pipe).poll_read(cx, buf);
            if polled.is_ready() && buf.filled().len() > filled_before {
                self.polls = 0;
            } else if self.last_empty != Some(now) {
                self.last_empty = Some(now);
                self.empty_moments += 1;
            }
            polled
        }
    }

    /// A peer that writes `pieces` into a small pipe, 10 ms apart, then closes the connection,
    /// or keeps it open if `then_wait`.
    fn peer(pieces: Vec<Vec<u8>>, then_wait: bool) -> Watched {
        peer_every(pieces, Duration::from_millis(10), then_wait)
    }

    /// The same, with the pieces `gap` apart.
    fn peer_every(pieces: Vec<Vec<u8>>, gap: Duration, then_wait: bool) -> Watched {
        let (mut peer, receiver) = tokio::io::duplex(256);
        tokio::spawn(async move {
            for piece in pieces {
                if peer.write_all(&piece).await.is_err() {
                    return;
                }
                sleep(gap).await;
            }
            if then_wait {
                sleep(Duration::from_secs(3600)).await;
            }
        });
        Watched::new(receiver)
    }

    /// Runs `read_frame` in a task of its own, so that a panic becomes a clear failure. (A
    /// local task: read_frame's future need not be `Send`, as in `main`.)
    async fn next(input: Watched, what: &str) -> (Watched, io::Result<Option<Vec<u8>>>) {
        let local = LocalSet::new();
        let reading = local.spawn_local(async move {
            let mut input = input;
            let result = read_frame(&mut input).await;
            (input, result)
        });
        let result = local.run_until(timeout(Duration::from_secs(60), reading));
        match result.await {
            Ok(Ok(done)) => done,
            Ok(Err(e)) if e.to_string().contains("polled the stream") => {
                panic!("while reading {what}: {e}")
            }
            Ok(Err(e)) => panic!(
                "read_frame panicked while reading {what}: {e}. Is it slicing a buffer that does \
                 not hold the whole frame?"
            ),
            Err(_) => panic!(
                "read_frame is still waiting while reading {what}, though the peer has sent \
                 everything it is going to send"
            ),
        }
    }

    fn describe(result: &io::Result<Option<Vec<u8>>>) -> String {
        match result {
            Ok(Some(payload)) if payload.len() > 40 => {
                format!("a payload of {} bytes", payload.len())
            }
            // An empty payload from a buffer made with `Vec::with_capacity(len)`: `read_exact`
            // fills the buffer's length, which is 0.
            Ok(Some(payload)) if payload.is_empty() => "the payload \"\" (if the length was \
                not 0: is the buffer made with `Vec::with_capacity(len)`? `read_exact` fills a \
                buffer's length, not its capacity: make it `vec![0; len]`)"
                .to_string(),
            Ok(Some(payload)) => format!("the payload {:?}", String::from_utf8_lossy(payload)),
            Ok(None) => "Ok(None), a clean end".to_string(),
            Err(e) => format!("the error {:?} ({e})", e.kind()),
        }
    }

    /// What to say when a short frame (`len` under 256 bytes) was refused as InvalidData: its
    /// length read little-endian is over MAX_FRAME, and the whole length had come. (A longer
    /// frame may be refused by a limit set too low.)
    fn refused_as_little_endian(
        len: usize,
        result: &io::Result<Option<Vec<u8>>>,
    ) -> Option<String> {
        let swapped = (len as u32).swap_bytes();
        let refused = matches!(result, Err(e) if e.kind() == io::ErrorKind::InvalidData);
        (refused && (1..256).contains(&len) && swapped as usize > MAX_FRAME).then(|| {
            format!(
                "a frame of {len} bytes, whose length came whole (the bytes {:?}), was refused \
                 as InvalidData, as if it announced more than MAX_FRAME: read big-endian those \
                 bytes say {len}, read little-endian they say {swapped}. The length is a \
                 big-endian u32 (`u32::from_be_bytes`, or `read_u32`)",
                (len as u32).to_be_bytes()
            )
        })
    }

    /// What to say when read_frame returned the first `len - 4` bytes of a payload of `len`
    /// bytes (over 4): as if the length counted its own 4 bytes too.
    fn counted_its_own_length(
        expected: &[u8],
        result: &io::Result<Option<Vec<u8>>>,
    ) -> Option<String> {
        let Ok(Some(payload)) = result else {
            return None;
        };
        let short = expected.len().saturating_sub(4);
        (expected.len() > 4 && payload.len() == short && expected.starts_with(payload)).then(|| {
            let (what, got) = if expected.len() > 40 {
                (
                    format!("a frame of {} bytes", expected.len()),
                    format!("a payload of {short} bytes"),
                )
            } else {
                (
                    format!("the frame {:?}", String::from_utf8_lossy(expected)),
                    format!("{:?}", String::from_utf8_lossy(payload)),
                )
            };
            format!(
                "read_frame gave {got} for {what}, whose length said {}: the first {short} bytes \
                 of its payload, 4 short, as if the length counted its own 4 bytes too. The \
                 length counts the payload only: read exactly that many bytes after it",
                expected.len()
            )
        })
    }

    async fn expect_payload(input: Watched, expected: &[u8], context: &str) -> Watched {
        let what = format!("a frame of {} bytes", expected.len());
        let (mut input, result) = next(input, &what).await;
        if let Some(message) = refused_as_little_endian(expected.len(), &result) {
            // Read little-endian, the length of the frame before would have been refused too.
            if input.frames > 0 {
                panic!(
                    "{context}: a frame of {} bytes, whose length came whole (the bytes {:?}), \
                     was refused as InvalidData, though read_frame had returned the frame \
                     before it whole: the call before took bytes past its own frame out of the \
                     stream (the start of this one), so this call read a length from the \
                     wrong bytes. Read exactly the 4 bytes of the length, then exactly the \
                     payload (`read_exact`), and leave the rest in the stream: a read into a \
                     buffer's spare room (`read_buf` into a Vec grown by `reserve`, or a \
                     buffer bigger than the frame) may take more",
                    expected.len(),
                    (expected.len() as u32).to_be_bytes()
                );
            }
            panic!("{message}");
        }
        if let Some(message) = counted_its_own_length(expected, &result) {
            panic!("{message}");
        }
        // A payload of the right size, but not the frame's bytes: say from where, since the
        // sizes alone would read the same.
        if let Ok(Some(payload)) = &result
            && payload.len() == expected.len()
            && payload != expected
        {
            let from = (payload.iter().zip(expected))
                .position(|(got, sent)| got != sent)
                .unwrap_or(0);
            let around = |bytes: &[u8]| {
                String::from_utf8_lossy(&bytes[from..][..16.min(bytes.len() - from)]).into_owned()
            };
            let what_came = if payload[from..].iter().all(|&byte| byte == 0) {
                "only zeroes: the payload was returned before those bytes had come (a read \
                 fills only what has arrived so far). Keep reading until you have every byte \
                 the length says (`read_exact`)"
                    .to_string()
            } else if payload.starts_with(&(expected.len() as u32).to_be_bytes()) {
                format!(
                    "{:?}..., the frame's 4 length bytes, where {:?}... was sent: the payload \
                     is the bytes after the length, not the frame with its length",
                    around(payload),
                    around(expected)
                )
            } else {
                format!(
                    "{:?}... where {:?}... was sent: the payload is the bytes that follow the \
                     length, as they were sent",
                    around(payload),
                    around(expected)
                )
            };
            panic!(
                "{context}: expected {what}, and read_frame returned a payload of that size, \
                 but from byte {from} on it holds {what_came}"
            );
        }
        if !matches!(&result, Ok(Some(payload)) if payload == expected) {
            panic!("{context}: expected {what}, got {}", describe(&result));
        }
        input.frames += 1;
        input
    }

    /// The clock is paused and moves only when everything waits: a read_frame that waits for
    /// the data returns at the very moment the frame's last byte arrives.
    fn returned_when_complete(start: Instant, complete_ms: u64, which: &str) {
        let returned = start.elapsed();
        let complete = Duration::from_millis(complete_ms);
        assert!(
            returned == complete,
            "the last byte of {which} arrived after {complete:?}, but read_frame returned it \
             after {returned:?}: return as soon as the whole frame is in, by waiting for its \
             bytes (`read_exact`), not for a timer (a fixed sleep is too short when the bytes \
             come slowly, and makes every frame late when they come fast)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn two_frames_in_one_write() {
        let start = Instant::now();
        let input = peer(vec![[frame(b"hello"), frame(b"world!")].concat()], false);
        let context = "two frames came in one write";
        let input = expect_payload(input, b"hello", context).await;
        returned_when_complete(start, 0, "the frame \"hello\"");
        let input = expect_payload(input, b"world!", context).await;
        returned_when_complete(start, 0, "the frame \"world!\"");
        let (_, end) = next(input, "the end of the stream").await;
        assert!(
            matches!(end, Ok(None)),
            "after the two frames the peer closed the connection, so read_frame must return \
             Ok(None), got {}",
            describe(&end)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_next_frame_stays_in_the_stream() {
        let next_frame = frame(b"the next one");
        let input = peer(
            vec![[frame(b"this one"), next_frame.clone()].concat()],
            false,
        );
        let mut input = expect_payload(input, b"this one", "two frames came in one write").await;
        // What read_frame left in the stream, read by the test itself.
        let mut rest = Vec::new();
        timeout(Duration::from_secs(5), input.pipe.read_to_end(&mut rest))
            .await
            .expect("the peer has closed the connection")
            .unwrap();
        assert!(
            rest == next_frame,
            "two frames came in one write; after read_frame returned the first one, the stream \
             held {} more bytes instead of the next frame's {} ({:?}): read_frame took bytes \
             past its frame out of the stream. Read exactly the length and the payload \
             (`read_exact`) and leave the rest in the stream: keep nothing of a connection \
             outside it between two calls (no buffer in a static or a thread_local, even one \
             per connection)",
            rest.len(),
            next_frame.len(),
            String::from_utf8_lossy(&next_frame)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn two_connections_read_in_turns() {
        let mut first = peer(vec![[frame(b"first 1"), frame(b"first 2")].concat()], false);
        let mut second = peer(
            vec![[frame(b"second 1"), frame(b"second 2")].concat()],
            false,
        );
        let context = "two connections each sent two frames in one write, and were read in turns \
                       (first, second, first, second): a frame must come from the connection \
                       it is read from. Keep no bytes of a connection outside it between two \
                       calls (no buffer in a static or a thread_local): read exactly one frame, \
                       and leave the next one in its stream";
        for n in 1..=2 {
            first = expect_payload(first, format!("first {n}").as_bytes(), context).await;
            second = expect_payload(second, format!("second {n}").as_bytes(), context).await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_frame_in_several_writes() {
        let bytes = frame(b"a message in pieces");
        let pieces = vec![
            bytes[..2].to_vec(),
            bytes[2..7].to_vec(),
            bytes[7..12].to_vec(),
            bytes[12..].to_vec(),
        ];
        let context = "one frame came in 4 pieces, 10 ms apart (the first one only half the \
                       length)";
        let start = Instant::now();
        expect_payload(peer(pieces, false), b"a message in pieces", context).await;
        returned_when_complete(start, 30, "the frame, in its fourth piece,");
    }

    #[tokio::test(start_paused = true)]
    async fn one_frame_one_byte_at_a_time() {
        // 7 bytes: a length taken to count its own 4 gives 3 of them, a single read 1.
        let bytes = frame(b"dripped");
        let pieces = bytes.iter().map(|byte| vec![*byte]).collect();
        let context = "one frame came one byte at a time, 10 ms apart (its length in 4 reads, \
                       its payload in 7): keep reading until you have all 4 bytes of the length, \
                       then all the bytes it says (`read_exact` for each)";
        let start = Instant::now();
        expect_payload(peer(pieces, false), b"dripped", context).await;
        returned_when_complete(start, 100, "the frame, its eleventh byte,");
    }

    #[tokio::test(start_paused = true)]
    async fn frames_larger_than_any_buffer() {
        // Sizes below, between and above round numbers: every frame over 256 bytes comes in
        // several reads, whatever its size.
        let bytes = |len: u32| -> Vec<u8> { (0..len).map(|i| (i % 251) as u8).collect() };
        let (small, big, odd) = (bytes(300), bytes(5000), bytes(2501));
        let largest = vec![b'x'; MAX_FRAME];
        let frames = [
            frame(&small),
            frame(&big),
            frame(b""),
            frame(&odd),
            frame(&largest),
        ];
        let input = peer(frames.to_vec(), false);
        let context = "frames of 300, 5000, 0, 2501 and MAX_FRAME bytes, through a pipe of 256 \
                       bytes, so that a frame over 256 bytes comes in several reads: keep \
                       reading until you have every byte its length says (`read_exact`), \
                       whatever its size";
        let input = expect_payload(input, &small, context).await;
        let input = expect_payload(input, &big, context).await;
        let input = expect_payload(input, b"", context).await;
        let input = expect_payload(input, &odd, context).await;
        expect_payload(input, &largest, context).await;
    }

    /// Reads a frame that announces `len` bytes, whose payload never comes, on a runtime of its
    /// own. Returns what read_frame returned, and the most bytes of heap this thread held at
    /// one time meanwhile.
    fn read_an_announced_frame(len: u32) -> (io::Result<Option<Vec<u8>>>, u64) {
        let mut result = None;
        let counted = allocation_counter::measure(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .unwrap();
            result = Some(runtime.block_on(async {
                // The peer sends only the length, and then nothing: it never sends that payload.
                let input = peer(vec![len.to_be_bytes().to_vec()], true);
                let local = LocalSet::new();
                let reading = local.spawn_local(async move {
                    let mut input = input;
                    read_frame(&mut input).await
                });
                let result = local
                    .run_until(timeout(Duration::from_secs(60), reading))
                    .await
                    .unwrap_or_else(|_| {
                        let swapped = len.swap_bytes();
                        if swapped as usize <= MAX_FRAME {
                            panic!(
                                "a frame announced {len} bytes (the length bytes {:?}), over \
                                 MAX_FRAME, and read_frame is waiting for a payload: read \
                                 little-endian, those bytes say {swapped}, under MAX_FRAME. The \
                                 length is a big-endian u32 (`u32::from_be_bytes`, or \
                                 `read_u32`)",
                                len.to_be_bytes()
                            )
                        }
                        panic!(
                            "a frame announced {len} bytes, over MAX_FRAME, and read_frame is \
                             waiting for its payload: check the length as soon as you have it, \
                             before reading (or allocating) the payload"
                        )
                    });
                result.expect("read_frame panicked on a length over MAX_FRAME")
            }));
        });
        (result.unwrap(), counted.bytes_max)
    }

    #[test]
    fn a_length_over_the_limit_is_refused_at_once() {
        // 64 MiB before 4 GiB: a buffer of 64 MiB is quick to ask for, and says what is wrong.
        for len in [MAX_FRAME as u32 + 1, 1024 * MAX_FRAME as u32, u32::MAX] {
            let (result, held) = read_an_announced_frame(len);
            assert!(
                matches!(&result, Err(e) if e.kind() == io::ErrorKind::InvalidData),
                "a frame announced {len} bytes, over MAX_FRAME: that is InvalidData, got {}",
                describe(&result)
            );
            // A runtime and a pipe take some KiB, and a buffer of MAX_FRAME bytes made up front
            // is fine; a buffer sized from the refused length (even one capped at some MiB)
            // must not happen.
            let most = 4 * MAX_FRAME as u64;
            assert!(
                held < most,
                "a frame announced {len} bytes, over MAX_FRAME, and read_frame refused it, but \
                 only after asking for {held} bytes of memory (at most {most} allowed): check \
                 the length against MAX_FRAME before you allocate the payload's buffer, and \
                 size that buffer from a length you have accepted"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_that_ends_inside_a_frame() {
        let whole = frame(b"cut short");
        for cut in 1..whole.len() {
            let place = match cut {
                1..=3 => "inside the length",
                4 => "right after the length, before any byte of the payload,",
                _ => "inside the payload",
            };
            let input = peer(vec![whole[..cut].to_vec()], false);
            let (_, result) = next(input, "a frame that is cut short").await;
            if cut >= 4
                && let Some(message) = refused_as_little_endian(9, &result)
            {
                panic!(
                    "the stream ended {place} of a frame of 9 bytes (after {cut} bytes): {message}"
                );
            }
            if let Some(message) = counted_its_own_length(b"cut short", &result) {
                panic!(
                    "the stream ended {place} of a frame of 9 bytes (after {cut} bytes), where an \
                     UnexpectedEof was due: {message}"
                );
            }
            assert!(
                matches!(&result, Err(e) if e.kind() == io::ErrorKind::UnexpectedEof),
                "the stream ended {place} of a frame of 9 bytes (after {cut} bytes), and \
                 read_frame returned {}: that must be an UnexpectedEof error, since only an end \
                 between two frames is a clean end",
                describe(&result)
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_clean_end() {
        let (_, result) = next(peer(Vec::new(), false), "an empty stream").await;
        assert!(
            matches!(result, Ok(None)),
            "the peer closed the connection without sending anything: Ok(None), got {}",
            describe(&result)
        );
    }

    /// A stream that gives its bytes, then fails with an error (not an end of the stream) on
    /// every read; it counts the reads that failed.
    struct Breaks(Vec<u8>, usize);

    impl AsyncRead for Breaks {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if self.0.is_empty() {
                self.1 += 1;
                assert!(
                    self.1 < 1000,
                    "a read returned an `Err` of kind Other, and read_frame read the stream again \
                     1000 times after it: it retries a failed read for ever (with or without a \
                     pause), so a broken connection is never reported. Only an Interrupted \
                     error is worth another try: pass any other on (`?`)"
                );
                return Poll::Ready(Err(io::Error::other("the stream broke (on purpose)")));
            }
            let n = self.0.len().min(buf.remaining());
            buf.put_slice(&self.0[..n]);
            self.0.drain(..n);
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_error_is_passed_on() {
        let whole = frame(b"broken");
        let places = [
            (0, "before a frame"),
            (2, "inside a frame's length"),
            (7, "inside a frame's payload"),
        ];
        for (cut, place) in places {
            let input = Breaks(whole[..cut].to_vec(), 0);
            // In a (local) task of its own, so that a panic becomes a clear failure.
            let reading = async move {
                let mut input = input;
                let result = read_frame(&mut input).await;
                // Whether a read met the failure (the bytes before it all read).
                (result, input.1 > 0)
            };
            let local = LocalSet::new();
            let reading = local.spawn_local(reading);
            let (result, failed) = match local.run_until(reading).await {
                Ok(result) => result,
                Err(e) if e.to_string().contains("read the stream again") => panic!("{e}"),
                // A panic of read_frame's own tells the caller too (`expect` on a read).
                Err(_) => continue,
            };
            if let Some(message) = counted_its_own_length(b"broken", &result) {
                panic!(
                    "the stream held {cut} bytes and then failed ({place}), where an error was \
                     due: {message}"
                );
            }
            assert!(
                failed || matches!(&result, Err(e) if e.kind() != io::ErrorKind::UnexpectedEof),
                "the stream held {cut} bytes and then failed ({place}), and read_frame returned \
                 {} without reading again after the first {cut} bytes: it never met the \
                 failure. A read returns whatever has arrived, fewer bytes than asked for too, \
                 and that is not the end of the stream: read until you have the 4 bytes of the \
                 length, then the payload (`read_exact`), and pass a read's error on as it is \
                 (`?`)",
                describe(&result)
            );
            assert!(
                matches!(&result, Err(e) if e.kind() != io::ErrorKind::UnexpectedEof),
                "the stream failed {place} (a read returned an `Err` of kind Other: the stream \
                 had not ended), and read_frame returned {}: pass a read's error on as it is \
                 (`?`). Only a read of 0 bytes is the end of the stream: do not turn an `Err` \
                 into 0 bytes (`unwrap_or`, `unwrap_or_default`, `.ok()`), nor into an \
                 UnexpectedEof, which says that the peer closed the connection mid-frame",
                describe(&result)
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_goes_quiet_for_a_year() {
        // A frame, then the next one with a year (366 days) of silence on an open connection
        // before it, inside its length and inside its payload. (The clock jumps each year at
        // once, so a progress message on a timer costs nothing.)
        let (mut sender, receiver) = tokio::io::duplex(256);
        let context = "the peer sent a frame, then another with a year of silence (the \
                       connection still open) before it, after 2 bytes of its length and after \
                       3 bytes of its payload: a quiet peer has not closed the connection \
                       (Ok(None) is for a stream that has ended). Wait for the next frame and \
                       its bytes for as long as it takes, without a timer (a `timeout` that \
                       takes silence for the end)";
        let second = frame(b"after a year");
        sender.write_all(&frame(b"before")).await.unwrap();
        let mut input = expect_payload(Watched::new(receiver), b"before", context).await;
        input.clock_jumps = true;
        let local = LocalSet::new();
        let reading = local.spawn_local(async move {
            let mut input = input;
            read_frame(&mut input).await
        });
        let start = Instant::now();
        let sending = async {
            for piece in [&second[..2], &second[2..7], &second[7..]] {
                sleep(Duration::from_millis(1)).await;
                tokio::time::advance(Duration::from_secs(366 * 24 * 3600)).await;
                // A few turns with no time passing, so that a timer the year has ended gets its
                // say (and a sleep that only logs its progress is not spun through a year).
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
                // The piece is sent, unless read_frame has given up and closed the connection.
                let _ = sender.write_all(piece).await;
            }
            timeout(Duration::from_secs(5), reading).await
        };
        let result = local
            .run_until(sending)
            .await
            .unwrap_or_else(|_| {
                panic!("{context}: read_frame is still waiting, though the whole frame came")
            })
            .expect("read_frame panicked");
        if let Some(message) = refused_as_little_endian(b"after a year".len(), &result) {
            panic!("{message}");
        }
        if !matches!(&result, Ok(Some(payload)) if payload == b"after a year") {
            panic!(
                "{context}: expected the frame \"after a year\", got {} after {:?}",
                describe(&result),
                start.elapsed()
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn read_frame_waits_for_the_bytes_without_a_timer() {
        // Nothing for 1.009 s, then a frame of 8 bytes in 4 pieces of 3, 1.009 s apart: a gap
        // of a prime number of ms, at which no timer of a period over 1 ms that started with
        // the call (nor one restarted when a piece came) is due.
        let mut pieces = vec![Vec::new()];
        pieces.extend(frame(b"patience").chunks(3).map(<[u8]>::to_vec));
        let count = pieces.len() - 1;
        let start = Instant::now();
        let input = expect_payload(
            peer_every(pieces, Duration::from_millis(1009), false),
            b"patience",
            "after 1.009 s of silence, a frame came in 4 pieces 1.009 s apart",
        )
        .await;
        returned_when_complete(start, 4036, "the frame, in its fourth piece,");
        // Waiting takes one or two empty reads per piece (plus the first); allow one more per
        // 10 ms, for a progress message on a timer (a poller that returns late is caught above).
        let allowed = 2 * (count + 1) + 4036 / 10;
        assert!(
            input.empty_moments <= allowed,
            "the peer was quiet for 1.009 s, then sent a frame in {count} pieces 1.009 s apart, \
             and read_frame found nothing to read at {} moments of those 4.036 s (at most \
             {allowed} allowed: two per piece, and one per 10 ms for a progress message): it \
             looks for bytes on a timer (a short `timeout` or `sleep` around a read, retried) \
             instead of waiting for them. \
             Await the reads (`read_exact`): the stream wakes you up when bytes come",
            input.empty_moments
        );
    }
}
