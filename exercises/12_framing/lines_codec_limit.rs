// lines_codec_limit
//
// `serve_chat` reads a client's lines through a `FramedRead` with a `LinesCodec`, which turns
// the bytes of the connection into a stream of `String`s, one per line, and answers each line
// with its number: "1: hello". But a client can send a "line" that never ends: `LinesCodec::new()`
// buffers it for as long as the client keeps sending, until the server runs out of memory.
//
// Build the codec with a limit of `MAX_LINE` bytes per line. When a client goes over it, answer
// "ERR line too long" and end the connection (return), at once: without waiting for the end of
// that line, which may never come.

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_stream::StreamExt;
use tokio_util::codec::{FramedRead, LinesCodec, LinesCodecError};

pub const MAX_LINE: usize = 1024;

/// Answers every line from `reader` with its number, until the client is done.
pub async fn serve_chat<R, W>(reader: R, mut writer: W) -> Result<(), LinesCodecError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    // TODO: no limit: a line that never ends is buffered forever.
    let mut lines = FramedRead::new(reader, LinesCodec::new());
    let mut count = 0;
    // `next` comes from `StreamExt`: a FramedRead is a Stream of decoded lines.
    while let Some(line) = lines.next().await {
        let line = line?;
        count += 1;
        writer
            .write_all(format!("{count}: {line}\n").as_bytes())
            .await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let mut answers = Vec::new();
    serve_chat(&b"hello\nanybody here?\n"[..], &mut answers)
        .await
        .unwrap();
    print!("{}", String::from_utf8_lossy(&answers));
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll};
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};
    use tokio::io::{Lines, ReadBuf};
    use tokio::io::{ReadHalf, WriteHalf};
    use tokio::task::JoinHandle;
    use tokio::time::{sleep, timeout};
    use tokio_util::codec::LinesCodecError;

    struct Client {
        /// `None` once a task of its own is sending.
        to_server: Option<WriteHalf<DuplexStream>>,
        answers: Lines<BufReader<ReadHalf<DuplexStream>>>,
        server: JoinHandle<Result<(), LinesCodecError>>,
        /// How many bytes the client has sent since its last newline, through `send` and
        /// `send_in_background` (a test that takes `to_server` sends what this does not see).
        tail: usize,
        /// `to_server` was taken by `send_in_background`, which sends nothing after its bytes.
        in_background: bool,
    }

    /// `tail` after `bytes` more were sent.
    fn tail_after(tail: usize, bytes: &[u8]) -> usize {
        match bytes.iter().rposition(|&b| b == b'\n') {
            Some(newline) => bytes.len() - newline - 1,
            None => tail + bytes.len(),
        }
    }

    fn connect() -> Client {
        let (client, server) = tokio::io::duplex(256);
        let (server_in, server_out) = tokio::io::split(server);
        let server = tokio::spawn(serve_chat(server_in, server_out));
        let (from_server, to_server) = tokio::io::split(client);
        Client {
            to_server: Some(to_server),
            answers: BufReader::new(from_server).lines(),
            server,
            tail: 0,
            in_background: false,
        }
    }

    impl Client {
        async fn send(&mut self, bytes: &[u8]) {
            let to_server = self.to_server.as_mut().unwrap();
            to_server.write_all(bytes).await.unwrap();
            self.tail = tail_after(self.tail, bytes);
        }

        /// Sends `bytes` from a task of its own, as a client does that is not reading answers,
        /// then keeps the connection open.
        fn send_in_background(&mut self, bytes: Vec<u8>) -> JoinHandle<()> {
            let mut to_server = self.to_server.take().unwrap();
            self.tail = tail_after(self.tail, &bytes);
            self.in_background = true;
            tokio::spawn(async move {
                // The server may hang up in the middle: that is allowed.
                let _ = to_server.write_all(&bytes).await;
                sleep(Duration::from_secs(3600)).await;
            })
        }

        async fn answer(&mut self, waiting_for: &str) -> Option<String> {
            // What the client sent is known (not taken by the test) and ends in a newline, or
            // in a start of a line within MAX_LINE: the server has all it needs to answer.
            let within_the_limit =
                (self.to_server.is_some() || self.in_background) && self.tail <= MAX_LINE;
            match timeout(Duration::from_secs(60), self.answers.next_line()).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(e)) => panic!("reading {waiting_for} failed: {e}"),
                Err(_) if within_the_limit => panic!(
                    "the client is waiting for {waiting_for}, but nothing comes, and it has sent \
                     only lines within MAX_LINE bytes, each with its newline (and the start of \
                     at most one more): the server has all it needs to answer. Answer each line \
                     as soon as the codec gives it, while the connection stays open; if the \
                     answers go through a BufWriter, flush it after each one (until then they \
                     wait in it, and the client waits for them)"
                ),
                Err(_) => panic!(
                    "the client is waiting for {waiting_for}, but nothing comes. If the client \
                     has sent more than MAX_LINE bytes without a newline, the server must not \
                     wait for the end of that line, nor for more bytes: build the codec with a \
                     max length of exactly MAX_LINE \
                     (`LinesCodec::new_with_max_length(MAX_LINE)`); with no limit, or a larger \
                     one, it waits for more"
                ),
            }
        }

        /// After "ERR line too long", the server ends the connection: serve_chat returns.
        async fn end_after_err(mut self) {
            match timeout(Duration::from_secs(60), self.answers.next_line()).await {
                Ok(Ok(None)) => {}
                Ok(Ok(Some(more))) => panic!(
                    "after \"ERR line too long\" the server went on reading, and answered \
                     {more:?}: after ERR it must end the connection (return from serve_chat), \
                     not go on with the next line"
                ),
                Ok(Err(e)) => panic!("reading the end of the connection failed: {e}"),
                Err(_) => panic!(
                    "the server answered \"ERR line too long\", then kept the connection open \
                     and waited for more: after ERR, return from serve_chat to end the \
                     connection, instead of reading on (the rest of that long line may never \
                     come)"
                ),
            }
            let finished = timeout(Duration::from_secs(60), self.server).await;
            assert!(
                finished.is_ok(),
                "serve_chat must return after answering \"ERR line too long\""
            );
        }
    }

    /// Why the answer `what` never came though the connection ended: from what serve_chat
    /// returned.
    async fn ended_without(
        server: &mut JoinHandle<Result<(), LinesCodecError>>,
        what: &str,
    ) -> String {
        match timeout(Duration::from_secs(60), server).await {
            Ok(Ok(Ok(()))) => format!(
                "the connection ended with no {what}: serve_chat returned Ok(()), and the \
                 client never got \"ERR line too long\". When the codec returns \
                 Err(MaxLineLengthExceeded), write that answer to the writer, then return: a \
                 loop (or a reader task) that only stops on that error answers nothing. If the \
                 answer is written but goes through a BufWriter, flush it before returning: \
                 what is still in it when it is dropped is lost"
            ),
            Ok(Ok(Err(e))) => format!(
                "the connection ended with no {what}: serve_chat returned the error {e:?} \
                 without answering \"ERR line too long\". When the codec returns \
                 Err(MaxLineLengthExceeded), write that answer, then return"
            ),
            Ok(Err(e)) => format!("the connection ended with no {what}: serve_chat panicked: {e}"),
            Err(_) => format!(
                "the connection ended with no {what}, and serve_chat had not returned a minute \
                 later"
            ),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn numbers_every_line() {
        let mut client = connect();
        client.send(b"hello\nanybody here?\n").await;
        assert_eq!(
            client.answer("the answer to hello").await.as_deref(),
            Some("1: hello")
        );
        assert_eq!(
            client
                .answer("the answer to the second line")
                .await
                .as_deref(),
            Some("2: anybody here?")
        );
        client.to_server.take().unwrap().shutdown().await.unwrap();
        assert_eq!(
            client.answer("the end of the connection").await,
            None,
            "the client has finished, so the server ends the connection"
        );
        let result = client.server.await.unwrap();
        assert!(result.is_ok(), "serve_chat failed: {result:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_blank_line_is_a_line_too() {
        let mut client = connect();
        client.send(b"\nafter a blank line\n").await;
        for expected in ["1: ", "2: after a blank line"] {
            let answer = client
                .answer("the answer to a blank line and the next")
                .await;
            let text = |answer: &str| answer.split_once(": ").map(|(_, text)| text.to_string());
            let why = match answer.as_deref() {
                Some(got) if text(got).is_some() && text(got) == text(expected) => {
                    "the line was answered, but with another number: number the lines 1, 2, 3 \
                     and so on, in the order they come, a blank one like any other"
                }
                _ => {
                    "a blank line is a line like any other (the codec gives an empty String), \
                     not an error, and is answered with its number. Answer \"ERR line too \
                     long\" only for Err(LinesCodecError::MaxLineLengthExceeded)"
                }
            };
            assert!(
                answer.as_deref() == Some(expected),
                "the client sent a blank line, then \"after a blank line\", and the server \
                 answered {answer:?} where {expected:?} was due: {why}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_repeated_line_is_answered_each_time() {
        let mut client = connect();
        client.send(b"hello\nhello\nhello\nbye\n").await;
        for expected in ["1: hello", "2: hello", "3: hello", "4: bye"] {
            let answer = client
                .answer("the answers to hello, hello, hello, bye")
                .await;
            let text = |answer: &str| answer.split_once(": ").map(|(_, text)| text.to_string());
            let why = match answer.as_deref() {
                Some(got) if text(got).is_some() && text(got) == text(expected) => {
                    "the line was answered, but with another number: number the lines 1, 2, 3 \
                     and so on, in the order they come"
                }
                _ => "every line is answered with its number, the same line sent again too",
            };
            assert!(
                answer.as_deref() == Some(expected),
                "the client sent \"hello\" three times, then \"bye\", and the server answered \
                 {answer:?} where {expected:?} was due: {why}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_of_exactly_max_line_bytes_is_fine() {
        let mut client = connect();
        let line = "y".repeat(MAX_LINE);
        let _sending = client.send_in_background(format!("{line}\nok\n").into_bytes());
        let answer = client
            .answer("the answer to a line of MAX_LINE bytes")
            .await;
        let renumbered = answer
            .as_deref()
            .and_then(|got| got.split_once(": "))
            .is_some_and(|(_, text)| text == line);
        // "1: " and fewer of the line's bytes than were sent: the answer was cut.
        let cut = answer
            .as_deref()
            .and_then(|got| got.strip_prefix("1: "))
            .map(|text| text.bytes().take_while(|&b| b == b'y').count());
        if let Some(kept) = cut.filter(|&kept| kept < MAX_LINE) {
            panic!(
                "a line of exactly MAX_LINE bytes was answered, but the answer came cut: \"1: \" \
                 and {kept} of its {MAX_LINE} bytes, then the next answer on the same line. The \
                 limit is right; the write is not: with little room on the connection, `write` \
                 takes only part of the bytes it is given (it returns how many). Send each \
                 answer with `write_all`, which goes on until every byte is taken"
            );
        }
        assert_eq!(
            answer,
            Some(format!("1: {line}")),
            "{}",
            if renumbered {
                "the line of exactly MAX_LINE bytes was answered, but with another number: \
                 number the lines 1, 2, 3 and so on, in the order they come"
            } else {
                "a line of exactly MAX_LINE bytes (newline not counted) is allowed"
            }
        );
        assert_eq!(
            client.answer("the answer to ok").await.as_deref(),
            Some("2: ok")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_line_within_the_limit_is_fine() {
        let mut client = connect();
        let mut to_server = client.to_server.take().unwrap();
        let line = "s".repeat(MAX_LINE - 24);
        let first_part = line.clone();
        let _sending = tokio::spawn(async move {
            // Most of a line, then a pause of a year (366 days), then its end: a slow client,
            // not a long line. (The clock jumps the year ahead at once, then runs 1 ms more.)
            to_server.write_all(first_part.as_bytes()).await.unwrap();
            tokio::time::advance(Duration::from_secs(366 * 24 * 3600)).await;
            sleep(Duration::from_millis(1)).await;
            let _ = to_server.write_all(b"\n").await;
            sleep(Duration::from_secs(3600)).await;
        });
        let patience = Duration::from_secs(367 * 24 * 3600);
        let answer = match timeout(patience, client.answers.next_line()).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => panic!("reading the answer to a slow line failed: {e}"),
            Err(_) => panic!("a line sent in two parts a year apart got no answer"),
        };
        match answer {
            Some(answer) if answer == format!("1: {line}") => {}
            Some(answer) if answer == "ERR line too long" => panic!(
                "the client sent {} bytes, paused for a year, then ended the line: a line of \
                 less than MAX_LINE bytes, yet the server answered \"ERR line too long\". A line \
                 is too long by its bytes, not by the time it takes: do not guess with a timer \
                 (timeout), give the codec a max length of MAX_LINE",
                line.len()
            ),
            None => panic!(
                "the client sent {} bytes of a line and paused for a year with the connection \
                 still open, and the server ended the connection without an answer: a quiet \
                 client has not finished, and a line of {} bytes is within MAX_LINE. Read on \
                 until the client ends the connection, without a timer (a `timeout` around the \
                 next line that gives up, even after an hour)",
                line.len(),
                line.len()
            ),
            other => panic!(
                "a line of {} bytes sent in two parts a year apart is answered with \"1: \" and \
                 the line, not {other:?}",
                line.len()
            ),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_that_never_ends() {
        let mut client = connect();
        client.send(b"hi\n").await;
        assert_eq!(
            client.answer("the answer to hi").await.as_deref(),
            Some("1: hi")
        );
        // MAX_LINE + 1 bytes, and no newline: the client keeps the connection open and waits.
        let _sending = client.send_in_background(vec![b'a'; MAX_LINE + 1]);
        let answer = client
            .answer("an answer to MAX_LINE + 1 bytes without a newline")
            .await;
        if answer.is_none() {
            let why = ended_without(&mut client.server, "answer to MAX_LINE + 1 bytes").await;
            panic!("{why}");
        }
        assert_eq!(
            answer.as_deref(),
            Some("ERR line too long"),
            "a line over MAX_LINE bytes is answered with \"ERR line too long\""
        );
        client.end_after_err().await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_line_is_refused_before_it_piles_up() {
        let mut client = connect();
        let mut to_server = client.to_server.take().unwrap();
        let sent = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&sent);
        let _sending = tokio::spawn(async move {
            // 1 MiB of one line, 256 bytes at a time, as fast as the server takes them; then
            // the client keeps the connection open and waits.
            for _ in 0..4096 {
                if to_server.write_all(&[b'f'; 256]).await.is_err() {
                    return;
                }
                counter.fetch_add(256, Ordering::SeqCst);
            }
            sleep(Duration::from_secs(3600)).await;
        });
        let answer = client.answer("an answer to a line of 1 MiB").await;
        if answer.is_none() {
            let why = ended_without(&mut client.server, "answer to a line of 1 MiB").await;
            panic!("{why}");
        }
        assert_eq!(
            answer.as_deref(),
            Some("ERR line too long"),
            "a line over MAX_LINE bytes is answered with \"ERR line too long\""
        );
        let sent = sent.load(Ordering::SeqCst);
        assert!(
            sent <= 8 * MAX_LINE,
            "the server took in {sent} bytes of one line before it answered \"ERR line too \
             long\": it must refuse the line as soon as it has more than MAX_LINE bytes of it, \
             whatever the time. That is what the codec's max length does \
             (`LinesCodec::new_with_max_length`); a timer that looks at what has piled up, or a \
             check of the finished line, lets a fast client fill the server's memory"
        );
        client.end_after_err().await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_chat_of_short_lines_is_fine() {
        let mut client = connect();
        // 200 lines of 100 bytes: 20 KB in all, every line far under MAX_LINE.
        for i in 1..=200 {
            let line = format!("{i:03} {}", "c".repeat(96));
            client.send(format!("{line}\n").as_bytes()).await;
            let answer = client.answer("the answer to a short line").await;
            if answer != Some(format!("{i}: {line}")) {
                panic!(
                    "the client sent {i} lines of 100 bytes ({} bytes in all), each answered \
                     before the next, and the answer to line {i} was {answer:?}, not \"{i}: \" \
                     and the line. MAX_LINE limits each line, not the whole connection: a \
                     client may send as many short lines as it likes",
                    i * 101
                );
            }
        }
    }

    /// A client that sends one line without end as fast as the server reads it: each read is
    /// filled at once (no wait, as from a full socket buffer), until `FIREHOSE` bytes have
    /// been read; after that it sends nothing more and keeps the connection open.
    struct Firehose {
        read: Arc<AtomicUsize>,
    }

    const FIREHOSE: usize = 16 << 20;

    impl tokio::io::AsyncRead for Firehose {
        fn poll_read(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            let read = self.read.load(Ordering::SeqCst);
            if read >= FIREHOSE {
                return Poll::Pending;
            }
            let n = buf.remaining().min(FIREHOSE - read);
            buf.initialize_unfilled_to(n).fill(b'f');
            buf.advance(n);
            self.read.fetch_add(n, Ordering::SeqCst);
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_that_is_always_ready_is_refused_before_it_piles_up() {
        let read = Arc::new(AtomicUsize::new(0));
        let (server_out, from_server) = tokio::io::duplex(256);
        let firehose = Firehose {
            read: Arc::clone(&read),
        };
        let mut server = tokio::spawn(serve_chat(firehose, server_out));
        let mut answers = BufReader::new(from_server).lines();
        let answer = timeout(Duration::from_secs(60), answers.next_line()).await;
        let read = read.load(Ordering::SeqCst);
        let answer = match answer {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => panic!("reading the answer to a line without end failed: {e}"),
            Err(_) => panic!(
                "a client sent one line without end, every byte ready as soon as the server \
                 read: the server read {read} bytes of it and answered nothing. The codec's \
                 max length (`LinesCodec::new_with_max_length(MAX_LINE)`) refuses the line as \
                 soon as it holds more than MAX_LINE bytes of it"
            ),
        };
        // A correct server reads at most its read buffer's capacity (8 KiB by default, or
        // what `FramedRead::with_capacity` was given) before the codec refuses the line; a check
        // that runs only when a read has to wait, or on a timer, reads all there is.
        assert!(
            read < FIREHOSE,
            "a client sent one line without end, every byte ready as soon as the server read: \
             the server read all {read} bytes of it before it answered {answer:?}, without \
             ever looking at the line while the bytes kept coming. A check of what has piled \
             up made on a timer, or only when a read has to wait, never runs while the bytes \
             keep coming; the codec's max length \
             (`LinesCodec::new_with_max_length(MAX_LINE)`) refuses the line as soon as it \
             holds more than MAX_LINE bytes, whatever the pace"
        );
        if answer.is_none() {
            let why = ended_without(&mut server, "answer to a line without end").await;
            panic!("{why}");
        }
        assert_eq!(
            answer.as_deref(),
            Some("ERR line too long"),
            "a line over MAX_LINE bytes is answered with \"ERR line too long\""
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_of_max_line_plus_one_bytes_is_too_long() {
        let mut client = connect();
        let line = "z".repeat(MAX_LINE + 1);
        let _sending = client.send_in_background(format!("{line}\nok\n").into_bytes());
        let answer = client
            .answer("the answer to a line of MAX_LINE + 1 bytes")
            .await;
        if answer.is_none() {
            let why = ended_without(&mut client.server, "answer to a line of MAX_LINE + 1 bytes");
            panic!("{}", why.await);
        }
        match answer.as_deref() {
            Some("ERR line too long") => {}
            Some(accepted) if accepted == format!("1: {line}") => panic!(
                "a line of MAX_LINE + 1 bytes (newline not counted) is one byte over the limit, \
                 but the server accepted it: build the codec with a max length of exactly \
                 MAX_LINE (`LinesCodec::new_with_max_length(MAX_LINE)`); with no limit, or a \
                 larger one, the line passes"
            ),
            other => panic!(
                "a line of MAX_LINE + 1 bytes is answered with \"ERR line too long\", not \
                 {other:?}: when the codec returns Err(MaxLineLengthExceeded), write that \
                 answer and return"
            ),
        }
        client.end_after_err().await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_line_with_a_newline_at_last() {
        let mut client = connect();
        let mut bytes = vec![b'b'; 5000];
        bytes.push(b'\n');
        let _sending = client.send_in_background(bytes);
        let answer = client.answer("an answer to a line of 5000 bytes").await;
        if answer.is_none() {
            let why = ended_without(&mut client.server, "answer to a line of 5000 bytes").await;
            panic!("{why}");
        }
        let shown = match &answer {
            Some(answer) if answer.len() > 40 => {
                format!("{:?}... ({} bytes)", &answer[..20], answer.len())
            }
            other => format!("{other:?}"),
        };
        assert!(
            answer.as_deref() == Some("ERR line too long"),
            "a line of 5000 bytes, newline included, was answered {shown}, not \"ERR line too \
             long\": it is over MAX_LINE even if it ends with a newline (a codec built with \
             `LinesCodec::new_with_max_length(MAX_LINE)` refuses it)"
        );
        client.end_after_err().await;
    }

    #[tokio::test(start_paused = true)]
    async fn answers_read_an_hour_late_all_come() {
        let Client {
            to_server,
            answers,
            server,
            ..
        } = connect();
        let mut to_server = to_server.unwrap();
        // 200 short lines at once, then the end of the input, and the client reads no answer
        // for an hour (of the paused clock: no real time when every task waits). The answers
        // (about 2 KB) do not fit in the pipe back (256 bytes): the server waits in the middle
        // of writing one until the client reads.
        let lines: String = (1..=200).map(|i| format!("line {i}\n")).collect();
        let sending = tokio::spawn(async move {
            // If the server stops early, the test below says what came back.
            let _ = to_server.write_all(lines.as_bytes()).await;
            let _ = to_server.shutdown().await;
        });
        sleep(Duration::from_secs(3600)).await;
        let mut from_server = answers.into_inner();
        let mut back = Vec::new();
        let mut piece = [0u8; 256];
        let ended = loop {
            match timeout(Duration::from_secs(60), from_server.read(&mut piece)).await {
                Ok(Ok(0)) => break "then the connection ended",
                Ok(Ok(n)) => back.extend_from_slice(&piece[..n]),
                Ok(Err(_)) => break "then reading failed",
                Err(_) => break "then nothing more came for a minute",
            }
        };
        drop(sending);
        let returned = timeout(Duration::from_secs(60), server).await;
        let expected: Vec<String> = (1..=200).map(|i| format!("{i}: line {i}")).collect();
        let all: String = expected
            .iter()
            .map(|answer| format!("{answer}\n"))
            .collect();
        // A time limit on a write that ends serve_chat with an error (or a panic), as a safety
        // net, is let be, if what came before it was right: the caller is told.
        let gave_up = matches!(returned, Ok(Ok(Err(_))) | Ok(Err(_)));
        if gave_up && all.as_bytes().starts_with(&back) {
            return;
        }
        let back = String::from_utf8_lossy(&back);
        let got: Vec<&str> = back.lines().collect();
        if let Some(first) = (0..200).find(|&i| got.get(i) != Some(&expected[i].as_str())) {
            let what = match got.get(first) {
                Some(answer) => format!(
                    "answer {} was {answer:?}, not {:?}",
                    first + 1,
                    expected[first]
                ),
                None => format!("answer {} never came", first + 1),
            };
            panic!(
                "the client sent 200 short lines at once (\"line 1\" to \"line 200\"), ended \
                 its input, and read no answer for an hour; then it read {} answers, {ended}. \
                 The first {first} were right, and {what}. Were answers (or the lines they \
                 answer) lost, or cut short, while the server waited for the client to make \
                 room? An answer that has begun must be written whole, however long the \
                 client takes: `write_all(..).await` waits as long as it takes. Was one \
                 dropped midway, in a `select!` whose other branch (a progress timer?) won? A \
                 `select!` drops the branches that lose, and what they had not yet written \
                 with them: race only the wait for the next line (a FramedRead's `next()` \
                 keeps a half-read line), never the answer's write. (A time limit on the write \
                 that gives up must end serve_chat with an error, not go on as if the answer \
                 had been sent.)",
                got.len()
            );
        }
        assert!(
            got.len() == 200,
            "the client sent 200 short lines at once and read no answer for an hour; then it \
             read the 200 right answers and {} more lines, {ended}: one answer per line",
            got.len() - 200
        );
        let result = returned
            .expect("the client had ended its input, but serve_chat did not return")
            .expect("serve_chat panicked");
        assert!(result.is_ok(), "serve_chat failed: {result:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_never_reads_its_answers_is_not_read_without_end() {
        // The client sends up to 4 MB of short lines (100 bytes each, newline included) and
        // reads no answer. Once the pipe back (256 bytes) is full, the server cannot write an
        // answer, so it must soon stop reading lines too (the codec holds a few KB of what it
        // read), and the client's sending stalls: a client that never reads must not make the
        // server keep its lines, or their answers, in memory without limit.
        let Client {
            to_server,
            answers,
            server,
            ..
        } = connect();
        let mut to_server = to_server.unwrap();
        let ten_lines = format!("{}\n", "c".repeat(99)).repeat(10);
        let mut taken = 0;
        while taken < 4 << 20 {
            match timeout(
                Duration::from_secs(10),
                to_server.write_all(ten_lines.as_bytes()),
            )
            .await
            {
                Ok(Ok(())) => taken += ten_lines.len(),
                Ok(Err(e)) => {
                    // A time limit on a write that ends serve_chat with an error (or a panic),
                    // as a safety net, is let be: the caller is told.
                    let returned = timeout(Duration::from_secs(60), server).await;
                    if matches!(returned, Ok(Ok(Err(_))) | Ok(Err(_))) {
                        return;
                    }
                    panic!(
                        "the client was still sending lines of 100 bytes (and reading no \
                         answer) when its sending failed ({e}) after {taken} bytes: serve_chat \
                         had ended the connection, and returned {returned:?}. A client slow to \
                         read its answers must be waited for: `write_all(..).await` waits until \
                         the connection takes the answer"
                    );
                }
                Err(_) => break,
            }
        }
        assert!(
            taken < 1 << 20,
            "the client sent {taken} bytes of short lines (100 bytes each) and read none of the \
             answers, yet serve_chat took all of it in and went on reading: it keeps the lines, \
             or the answers it cannot send yet, in memory without limit, so a client that never \
             reads can fill the server's memory (the very thing MAX_LINE is there to stop). \
             Write each answer, waiting until the connection takes it (`write_all(..).await`), \
             before reading the next line; answers handed to a writer task must go through a \
             bounded channel (`mpsc::channel(n)`, whose `send(..).await` waits for room), not an \
             unbounded one"
        );
        drop(answers);
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_that_is_not_utf8_is_not_too_long() {
        let mut client = connect();
        // "café" in Latin-1: 5 bytes with its newline, not UTF-8. The codec gives
        // Err(LinesCodecError::Io(..)), of kind InvalidData, for it.
        client.send(b"hello\ncaf\xe9\n").await;
        client.to_server.take().unwrap().shutdown().await.unwrap();
        let mut from_server = client.answers.into_inner();
        let mut back = Vec::new();
        let mut piece = [0u8; 256];
        loop {
            match timeout(Duration::from_secs(60), from_server.read(&mut piece)).await {
                Ok(Ok(n)) if n > 0 => back.extend_from_slice(&piece[..n]),
                _ => break,
            }
        }
        let back = String::from_utf8_lossy(&back);
        // What serve_chat returns (the error, passed on, or Ok) is up to it here.
        assert!(
            !back.contains("too long"),
            "the client sent \"hello\" and then \"caf\\xe9\" (\"café\" in Latin-1: 4 bytes, not \
             UTF-8; the codec gives Err(LinesCodecError::Io(..)), of kind InvalidData, for it), \
             and the server answered {back:?}: that line is far under MAX_LINE, and the client \
             is told something false. Only Err(LinesCodecError::MaxLineLengthExceeded) is a \
             line too long: pass any other error on to the caller as it is (`Err(e) => return \
             Err(e)`, or `?`)"
        );
    }

    /// The server's side of a congested connection: each write takes at most 5 bytes, as a
    /// socket with little room left may (`write` returns how many bytes it took).
    struct Cramped {
        inner: DuplexStream,
    }

    impl tokio::io::AsyncWrite for Cramped {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            let room = buf.len().min(5);
            Pin::new(&mut self.inner).poll_write(cx, &buf[..room])
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.inner).poll_flush(cx)
        }

        fn poll_shutdown(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.inner).poll_shutdown(cx)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_answer_is_written_whole_however_little_a_write_takes() {
        // Two lines, then MAX_LINE + 1 bytes with no newline, over a connection whose every
        // write takes at most 5 bytes: the answers, "ERR line too long" too, must come whole.
        let mut input = b"hello\nanybody here?\n".to_vec();
        input.extend(vec![b'a'; MAX_LINE + 1]);
        let (server_out, mut from_server) = tokio::io::duplex(4096);
        let server =
            tokio::spawn(
                async move { serve_chat(&input[..], Cramped { inner: server_out }).await },
            );
        let returned = timeout(Duration::from_secs(60), server).await;
        let mut back = Vec::new();
        let _ = timeout(Duration::from_secs(60), from_server.read_to_end(&mut back)).await;
        let back = String::from_utf8_lossy(&back);
        let expected = "1: hello\n2: anybody here?\nERR line too long\n";
        if back == expected {
            return;
        }
        // Every answer the client got, each a beginning of the one due, and one of them short.
        let due: Vec<&str> = expected.lines().collect();
        let got: Vec<&str> = back.lines().collect();
        let cut = (got.iter().zip(&due)).any(|(got, due)| got != due && due.starts_with(got))
            || (got.len() < due.len() && !back.is_empty());
        let why = if cut {
            "part of an answer was never sent. With little room on the connection, `write` \
             takes only part of the bytes it is given (it returns how many): send each \
             answer, the ERR one too, with `write_all`, which goes on until every byte is taken \
             (and flush a BufWriter before returning)"
        } else {
            "every line is answered with its number, and a line over MAX_LINE bytes with \
             \"ERR line too long\", then the connection ends"
        };
        panic!(
            "the client sent \"hello\", \"anybody here?\" and {} bytes with no newline, over a \
             connection whose every write takes at most 5 bytes (a congested socket may take \
             that little), and got {back:?} where {expected:?} was due (serve_chat {}): {why}",
            MAX_LINE + 1,
            match returned {
                Ok(Ok(result)) => format!("returned {result:?}"),
                Ok(Err(_)) => "panicked".to_string(),
                Err(_) => "had not returned a minute later".to_string(),
            }
        );
    }

    /// A connection that delivers two complete lines, then breaks: the next read fails (with an
    /// error of kind Other, not ConnectionReset, which a server may take for a client that hung
    /// up), and any read after that finds the end of the input.
    struct Broken {
        reads: usize,
    }

    impl tokio::io::AsyncRead for Broken {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            self.reads += 1;
            match self.reads {
                1 => buf.put_slice(b"hello\nanybody here?\n"),
                2 => return Poll::Ready(Err(std::io::Error::other("the network is down"))),
                _ => {}
            }
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_broken_connection_is_an_error() {
        let (server_out, mut from_server) = tokio::io::duplex(256);
        let server = tokio::spawn(serve_chat(Broken { reads: 0 }, server_out));
        let result = timeout(Duration::from_secs(60), server)
            .await
            .expect("the connection broke, but serve_chat did not return");
        // What it wrote before it returned (answers to the two lines, maybe an ERR) is up to it.
        let mut answers = Vec::new();
        let _ = from_server.read_to_end(&mut answers).await;
        let answers = String::from_utf8_lossy(&answers);
        let returned = match result {
            // Passing the error on, or a panic, both tell the caller.
            Ok(Err(LinesCodecError::Io(_))) | Err(_) => return,
            Ok(other) => other,
        };
        let answered_err = answers.contains("ERR line too long");
        let (answered, mistake) = if answered_err || !matches!(returned, Ok(())) {
            (
                if answered_err {
                    "answered \"ERR line too long\" (no line was too long) and "
                } else {
                    ""
                },
                "a catch-all `Err(_)` arm (or `let Ok(line) = line else`) takes a broken \
                 connection for a line too long",
            )
        } else {
            (
                "",
                "a `while let Some(Ok(line))`, or an `Err(_)` arm that ends the loop, takes a \
                 broken connection for a clean end",
            )
        };
        panic!(
            "the client sent \"hello\\nanybody here?\\n\", then its connection broke (a read \
             failed with \"the network is down\": the codec gives Err(LinesCodecError::Io(..))), \
             and serve_chat {answered}returned {returned:?}: the failure was lost. Only \
             Err(LinesCodecError::MaxLineLengthExceeded) is a line too long: pass any other \
             error on to the caller as it is (`Err(e) => return Err(e)`, or `?`); {mistake}"
        );
    }

    /// A long session: 70 000 short lines on one connection, all answered, and numbered past
    /// 65 535 (a line count kept in a `u16` overflows there). Code that handles each line with
    /// one more level of calls (an async fn that calls itself, boxed, for the rest of the
    /// lines) nests deeper with every line until the thread's stack overflows and the whole
    /// server aborts: if this test crashes with "has overflowed its stack", answer the lines in
    /// a loop instead.
    #[tokio::test(start_paused = true)]
    async fn seventy_thousand_lines_in_one_session_do_not_overflow_the_stack() {
        const LINES: usize = 70_000;
        let (client, server) = tokio::io::duplex(64 * 1024);
        let (server_in, server_out) = tokio::io::split(server);
        let server = tokio::spawn(serve_chat(server_in, server_out));
        let (mut from_server, mut to_server) = tokio::io::split(client);
        let sender = tokio::spawn(async move {
            to_server.write_all("a\n".repeat(LINES).as_bytes()).await?;
            to_server.shutdown().await
        });
        let mut answers = String::new();
        timeout(
            Duration::from_secs(60),
            from_server.read_to_string(&mut answers),
        )
        .await
        .expect(
            "the client sent 70 000 lines \"a\" and ended its input, but the answers did not \
             end (serve_chat did not return) within a minute (did the line count overflow, and \
             serve_chat panic?)",
        )
        .expect("reading the answers failed");
        let got = answers.lines().count();
        let wrong = answers
            .lines()
            .enumerate()
            .filter(|(i, answer)| *answer != format!("{}: a", i + 1))
            .count();
        assert!(
            got == LINES && wrong == 0,
            "the client sent 70 000 lines \"a\" on one connection; serve_chat gave {got} \
             answers, {wrong} of them not \"N: a\" with N the line's number{}",
            match answers
                .lines()
                .enumerate()
                .find(|(i, answer)| *answer != format!("{}: a", i + 1))
            {
                Some((i, answer)) if i >= 65_535 => format!(
                    " (the first wrong one, answer {}, was {answer:?}: a line count must go on \
                     as long as the session does, past 65 535: count in a `usize` or `u64`)",
                    i + 1
                ),
                Some((i, answer)) => {
                    format!(" (the first wrong one, answer {}, was {answer:?})", i + 1)
                }
                None if got == 65_535 => " (the answers stopped after answer 65 535: did the \
                     line count overflow there, and serve_chat panic? A line count must go on as \
                     long as the session does: count in a `usize` or `u64`, not a `u16`)"
                    .to_string(),
                None => String::new(),
            }
        );
        sender
            .await
            .expect("the client's sender panicked")
            .expect("sending the lines failed");
        let result = server.await.expect("serve_chat panicked");
        assert!(result.is_ok(), "serve_chat failed: {result:?}");
    }
}
