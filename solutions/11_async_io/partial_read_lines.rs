// partial_read_lines
//
// `count_words` is a tiny server: for every line a client sends, it answers with the number of
// words in that line, on a line of its own. Tried by hand it seems to work, but the tests' client
// sends its lines the way a network delivers them: one line may arrive in several pieces, and
// several lines may arrive together. Then the counts come out wrong.
//
// A `read` returns whatever bytes have arrived so far: part of a line, or more than one line.
// Make the server answer exactly once per complete line, however the bytes are cut up, and
// answer each line as soon as it is complete: the client waits for it before it sends more.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

/// Answers every line read from `input` with its number of words, until `input` ends.
pub async fn count_words<R, W>(input: R, mut output: W) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    // The BufReader keeps the bytes after a newline for the next line; `lines()` waits until a
    // line is complete, however many reads that takes.
    let mut lines = BufReader::new(input).lines();
    while let Some(line) = lines.next_line().await? {
        let words = line.split_whitespace().count();
        output.write_all(format!("{words}\n").as_bytes()).await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let mut answers = Vec::new();
    count_words(&b"hello async world\nbye\n"[..], &mut answers)
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
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines};
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf, ReadHalf, WriteHalf};
    use tokio::task::JoinHandle;
    use tokio::time::{Instant, sleep, timeout};

    /// The server's end of the connection, as count_words reads it: stops a server that reads
    /// it over and over at one moment (of the paused clock) while nothing new has come.
    struct Input {
        inner: ReadHalf<DuplexStream>,
        /// The moment of the last read that found nothing, and how many did since then in a
        /// row (a read that finds bytes starts the count again).
        last_wait: Option<Instant>,
        waits_now: usize,
        /// How many moments (of the paused clock) a read found nothing at, all told.
        quiet_moments: Arc<AtomicUsize>,
        /// When the connection was made: the tests jump the clock a year ahead of it.
        since: Instant,
    }

    impl AsyncRead for Input {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
            if poll.is_pending() {
                let now = Instant::now();
                if self.last_wait != Some(now) {
                    self.last_wait = Some(now);
                    self.waits_now = 0;
                    self.quiet_moments.fetch_add(1, Ordering::Relaxed);
                }
                self.waits_now += 1;
                // Once the clock has jumped a year, a default `interval` of ten minutes or more
                // catches up on every tick it missed (52 704) at that moment, each a read: fine.
                let most = if now - self.since >= Duration::from_secs(366 * 24 * 60 * 60) {
                    100_000
                } else {
                    1000
                };
                assert!(
                    self.waits_now <= most,
                    "count_words read its input {most} times in a row at one moment (of the test's \
                     paused clock) while the client had sent nothing new: something wakes it over and \
                     over (a loop with yield_now or a zero timeout, or a timer that fires \
                     again and again: the tests jump the clock a year ahead, and a \
                     `tokio::time::interval` of a few minutes or less then catches up on every \
                     tick it missed, over 100 000, unless you set `MissedTickBehavior::Delay` or \
                     `Skip`). Await the next line \
                     (`lines.next_line().await`): it wakes up when the next bytes arrive"
                );
            } else {
                self.waits_now = 0;
            }
            poll
        }
    }

    /// The test's end of the connection, with `count_words` serving the other end.
    struct Client {
        to_server: WriteHalf<DuplexStream>,
        answers: Lines<BufReader<ReadHalf<DuplexStream>>>,
        server: JoinHandle<std::io::Result<()>>,
        quiet_moments: Arc<AtomicUsize>,
        /// Everything `Client::send` has sent, for the messages.
        sent: String,
    }

    fn connect() -> Client {
        // A small pipe, like a busy network: a long line crosses it in many pieces.
        connect_with_pipe(64)
    }

    /// A connection through a pipe that holds `pipe` bytes.
    fn connect_with_pipe(pipe: usize) -> Client {
        let (client, server) = tokio::io::duplex(pipe);
        let (server_in, server_out) = tokio::io::split(server);
        let quiet_moments = Arc::new(AtomicUsize::new(0));
        let server_in = Input {
            inner: server_in,
            last_wait: None,
            waits_now: 0,
            quiet_moments: quiet_moments.clone(),
            since: Instant::now(),
        };
        let server = tokio::spawn(count_words(server_in, server_out));
        let (from_server, to_server) = tokio::io::split(client);
        Client {
            to_server,
            answers: BufReader::new(from_server).lines(),
            server,
            quiet_moments,
            sent: String::new(),
        }
    }

    async fn send(to_server: &mut WriteHalf<DuplexStream>, bytes: &str) {
        timeout(
            Duration::from_secs(5),
            to_server.write_all(bytes.as_bytes()),
        )
        .await
        .expect(
            "the server stopped reading what the client sends (is it stuck writing answers \
                 to a line that is not complete yet?)",
        )
        .expect("sending to the server failed");
    }

    /// Waits for the answer to a line; `what` names it in messages (`"\"ping\""`, say).
    async fn answer_to(
        answers: &mut Lines<BufReader<ReadHalf<DuplexStream>>>,
        what: &str,
    ) -> String {
        // The clock is paused and moves only when everything waits: a server that answers as
        // soon as the line is complete answers at the very moment it was sent.
        let asked = Instant::now();
        let answer = match timeout(Duration::from_secs(5), answers.next_line()).await {
            Ok(Ok(Some(answer))) => answer,
            Ok(Ok(None)) => panic!(
                "the server hung up instead of answering {what}: count_words returned before \
                 the client had finished. A `read` returns 0 at the end of the input, but also \
                 when the buffer it is given has no room left: a line can be longer than any \
                 buffer of a fixed size"
            ),
            Ok(Err(e)) => panic!("reading the answer to {what} failed: {e}"),
            Err(_) => panic!(
                "the client sent {what} and waits for its answer, but none came. Answer each \
                 line as soon as its newline has arrived: do not wait for the end of the input, \
                 and do not lose bytes that came in the same read as an earlier line (a \
                 BufReader made anew for each line drops what it had read ahead of it: make \
                 one before the loop), and if the answers go through a BufWriter, \
                 `flush().await` after each one: until then they wait in it"
            ),
        };
        let waited = asked.elapsed();
        assert!(
            waited.is_zero(),
            "the answer to {what} took {waited:?} of the test's paused clock to come, but a \
             server that answers each line the moment its newline arrives takes no time at \
             all here: wait for the bytes (a BufReader's lines() or read_line), not for a timer \
             (a sleep before reading or before answering makes every answer late)"
        );
        answer
    }

    impl Client {
        async fn send(&mut self, bytes: &str) {
            let sent = timeout(
                Duration::from_secs(5),
                self.to_server.write_all(bytes.as_bytes()),
            )
            .await
            .expect(
                "the server stopped reading what the client sends (is it stuck writing answers \
                 to a line that is not complete yet?)",
            );
            self.sent.push_str(bytes);
            let Err(e) = sent else { return };
            if self.server.is_finished() {
                match (&mut self.server).await {
                    Err(stopped) if stopped.is_panic() => {
                        std::panic::resume_unwind(stopped.into_panic())
                    }
                    Ok(Err(failed)) => panic!(
                        "count_words returned an error ({failed}) while the client was still \
                         sending (it went on with {bytes:?}): a client that is slow to finish \
                         its line, or quiet for a long time, has not failed. Read until the \
                         input ends (a read returns 0 bytes, `next_line` returns `None`)"
                    ),
                    Ok(Ok(())) => panic!(
                        "count_words returned while the client was still sending (it went on \
                         with {bytes:?}): the input ends only when a read returns 0 bytes \
                         (`next_line` returns `None`), not when the client is slow or quiet"
                    ),
                    Err(stopped) => panic!("count_words was stopped: {stopped}"),
                }
            }
            panic!("sending {bytes:?} to the server failed: {e}");
        }

        async fn answer_to(&mut self, line: &str) -> String {
            answer_to(&mut self.answers, &format!("{line:?}")).await
        }

        /// Waits for the answer to `line`, the last line sent, and checks that it is `words`.
        async fn expect_words(&mut self, line: &str, words: usize) {
            let answer = self.answer_to(line).await;
            if answer == words.to_string() {
                return;
            }
            // The lines sent before this one, and how many words all the lines sent have.
            let mut earlier: Vec<&str> = self.sent.lines().collect();
            earlier.pop();
            let all_words = self.sent.split_whitespace().count();
            let after = if earlier.is_empty() {
                String::new()
            } else {
                format!(" after {earlier:?}")
            };
            let detail = match answer.parse::<usize>() {
                Ok(n) if n == all_words && !earlier.is_empty() => format!(
                    "{n} is how many words all the lines sent so far have together, so the \
                     earlier lines were counted again with this one. Count each line alone: a \
                     String that `read_line` appends to still holds the lines read before \
                     unless you clear it (`line.clear()`) before each read"
                ),
                Ok(n) if n > words => format!(
                    "{n} is more words than the line has: words from outside it were counted \
                     with it. Count each line alone"
                ),
                Ok(n) => format!(
                    "{n} is fewer words than the line has: part of it was not counted with it"
                ),
                Err(_) => "that is not a number of words: answer each line with its number of \
                           words alone, on a line of its own"
                    .to_string(),
            };
            panic!(
                "the client sent {line:?} ({words} word(s)){after}, and the answer was \
                 {answer:?}: {detail}"
            );
        }

        async fn expect_no_answer_yet(&mut self, sent: &str) {
            // However long the client takes, a line without its newline is not complete: once
            // the server has read what was sent (1 ms), the clock jumps a year ahead at once,
            // then the server has 100 ms more to react.
            let before = self.quiet_moments.load(Ordering::Relaxed);
            let early = a_year_at_once(async {
                sleep(Duration::from_millis(1)).await;
                tokio::time::advance(Duration::from_secs(366 * 24 * 60 * 60)).await;
                timeout(Duration::from_millis(100), self.answers.next_line()).await
            })
            .await;
            if let Ok(Ok(Some(answer))) = early {
                panic!(
                    "the client has sent only {sent:?}, with no newline yet, and the server \
                     already answered {answer:?} (the client then said nothing for a year of \
                     the test's paused clock): one read returned part of a line, and the \
                     server took it for a whole line. A line ends at its newline, not where \
                     a read ends nor after a time without bytes (a timer): keep the part in a \
                     buffer until its newline comes"
                );
            }
            // Awaiting the next line reads once and then wakes only when bytes come; a progress
            // message every 10 ms or slower may add a moment each, and the jump one or two.
            let moments = self.quiet_moments.load(Ordering::Relaxed) - before;
            let allowed = 5 + 101 / 10;
            assert!(
                moments <= allowed,
                "the client has sent only {sent:?}, then said nothing for a year and 101 ms (of \
                 the test's paused clock), and count_words tried to read at {moments} moments \
                 in that time (at most {allowed} expected, one per 10 ms of a progress message \
                 beside the read included): it checks for input on a timer instead of waiting \
                 for the bytes (more often after a jump of the clock?). Await \
                 `lines.next_line()`: it wakes up when the next bytes arrive"
            );
        }
    }

    /// Runs `step`, in which the test jumps its paused clock a year ahead (no real time when
    /// every task waits), and stops with a message after 3 s of real time.
    async fn a_year_at_once<T>(step: impl Future<Output = T>) -> T {
        let (give_up, too_late) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(3));
            let _ = give_up.send(());
        });
        tokio::select! {
            out = step => out,
            _ = too_late => panic!(
                "the test jumped its paused clock a year ahead, and 3 s of real time later the \
                 tasks were still busy: something runs through that year step by step. A \
                 `tokio::time::interval` (for progress messages?) catches up on every tick it \
                 missed, hundreds of millions of them (its default MissedTickBehavior::Burst): \
                 set `MissedTickBehavior::Delay` or `Skip`, or wait with a `sleep`. \
                 count_words itself only needs to await the next line"
            ),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_in_three_pieces() {
        let mut client = connect();
        client.send("hello wor").await;
        client.expect_no_answer_yet("hello wor").await;
        sleep(Duration::from_millis(10)).await;
        client.send("ld, here I").await;
        client.expect_no_answer_yet("hello world, here I").await;
        sleep(Duration::from_millis(10)).await;
        client.send(" am\n").await;
        let answer = client.answer_to("hello world, here I am").await;
        assert_eq!(answer, "5", "\"hello world, here I am\" has 5 words");
    }

    #[tokio::test(start_paused = true)]
    async fn three_lines_in_one_write() {
        let mut client = connect();
        client.send("one two\n\nthree four five\n").await;
        let lines = [
            ("\"one two\", the first", "2"),
            ("the empty line, the second", "0"),
            ("\"three four five\", the third", "3"),
        ];
        for (which, words) in lines {
            let what = format!(
                "{which} of 3 lines sent in one write (\"one two\\n\\nthree four five\\n\")"
            );
            let answer = answer_to(&mut client.answers, &what).await;
            if answer == words {
                continue;
            }
            // The empty line's answer may be what a split of it gives, not its words.
            if which.starts_with("the empty line")
                && let Some(pieces) = split_pieces("\n", &answer)
            {
                panic!(
                    "the answer to {what} was {answer:?}, and the answer to \"one two\" before \
                     it was right: an empty line has no words. {pieces}"
                );
            }
            panic!(
                "the answer to {what} was {answer:?}, not {words:?}: each line gets its own \
                 answer, in order, even when one read returns several lines"
            );
        }
    }

    /// When `answer` is the number of pieces a split of `line` (sent with its "\n") gives, but
    /// not its number of words: says so.
    fn split_pieces(line: &str, answer: &str) -> Option<String> {
        let n: usize = answer.parse().ok()?;
        let words = line.split_whitespace().count();
        let bare = line.trim_end_matches(['\r', '\n']);
        // The lines here have no tab: a split at each space or at each whitespace character
        // gives the same pieces.
        let splits = [
            (
                bare.split(' ').count(),
                "at each space (or at each whitespace character)",
            ),
            (
                line.split(char::is_whitespace).count(),
                "at each whitespace character, its newline too",
            ),
        ];
        let (_, how) = splits
            .iter()
            .find(|(pieces, _)| *pieces == n && n != words)?;
        Some(format!(
            "{n} is how many pieces splitting that line {how} gives, empty pieces included (an \
             empty line is one empty piece, and a space at the end of a line leaves one after \
             it), where `split_whitespace()` leaves empty pieces out and gives {words}: count \
             each line's words with `split_whitespace()`"
        ))
    }

    #[tokio::test(start_paused = true)]
    async fn answers_each_line_while_the_client_waits() {
        let mut client = connect();
        for (line, words) in [("ping", 1), ("are you there", 3), ("ok bye", 2)] {
            client.send(&format!("{line}\n")).await;
            client.expect_words(line, words).await;
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_longer_than_any_buffer() {
        let Client {
            mut to_server,
            mut answers,
            mut server,
            ..
        } = connect_with_pipe(64 * 1024);
        // 140 000 bytes: longer than a buffer of 128 KB, a size a fixed buffer for a line is
        // given. (Not more: a correct server that searches all it holds for a newline after each
        // read of 64 bytes takes a time that grows with the square of the line, about a second
        // for this one in a debug build; a limit of 256 KB or more passes here.)
        let line = format!("{}\n", "word ".repeat(28_000));
        // The client reads answers while it is still sending the long line.
        let sending = tokio::spawn(async move {
            send(&mut to_server, &line).await;
            to_server
        });
        // A server with a limit on a line's length gives up on this one: say so, with its error.
        let hung_up = timeout(Duration::from_secs(5), answers.get_mut().fill_buf()).await;
        if let Ok(Ok([])) = hung_up
            && let Ok(Ok(Err(e))) = timeout(Duration::from_secs(5), &mut server).await
        {
            panic!(
                "the client sent a line of 140000 bytes (28000 words), and count_words returned \
                 an error instead of answering it: {e}. A limit on a line's length is fine, but \
                 these tests send lines of up to 140000 bytes: allow at least that \
                 (`LinesCodec::new_with_max_length(16 << 20)`, say), or set no limit (`lines()`)"
            );
        }
        let answer = answer_to(&mut answers, "a line of 28000 words").await;
        // A split of the whole line that keeps empty pieces gives a number of its own.
        let line = format!("{}\n", "word ".repeat(28_000));
        if let Some(pieces) = split_pieces(&line, &answer) {
            panic!(
                "the client sent a line of 140000 bytes, 28000 times \"word \" (so it ends with a \
                 space before its newline), and the answer was {answer:?}: the whole line was \
                 read as one. {pieces}"
            );
        }
        assert_eq!(
            answer, "28000",
            "a line of 140000 bytes is one line with 28000 words, however many reads it takes: \
             keep what has arrived of it in a buffer that grows with the line"
        );
        let mut to_server = sending.await.unwrap();
        send(&mut to_server, "last one\n").await;
        assert_eq!(
            answer_to(&mut answers, "\"last one\"").await,
            "2",
            "after the long line, \"last one\" has 2 words: count the words of each line alone"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_and_the_start_of_the_next_in_one_write() {
        let mut client = connect();
        // The first line is complete; the second has only begun, and the client waits for the
        // answer to the first one before it goes on.
        client.send("good morning\nhow are").await;
        match timeout(Duration::from_secs(5), client.answers.next_line()).await {
            Ok(Ok(Some(answer))) => assert_eq!(
                answer, "2",
                "the answer to \"good morning\" was {answer:?}: it has 2 words (and \"how are\" \
                 is not a line yet, its newline has not come)"
            ),
            Ok(Ok(None)) => panic!("the server hung up instead of answering \"good morning\""),
            Ok(Err(e)) => panic!("reading the answer to \"good morning\" failed: {e}"),
            Err(_) => panic!(
                "the client sent \"good morning\\nhow are\" in one write and waits for the answer \
                 to \"good morning\", but none came. That line is complete: answer it at once, \
                 even when the same read also brought the start of the next line (keep that \
                 start for later; do not wait until what you have read ends with a newline; \
                 flush a BufWriter after each answer, not only once the input's buffer is empty)"
            ),
        }
        client.expect_no_answer_yet("how are").await;
        client.send(" you\n").await;
        assert_eq!(
            client.answer_to("how are you").await,
            "3",
            "\"how are you\" has 3 words: its start came with the previous line, its end later"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_read_that_ends_inside_a_character() {
        let mut client = connect();
        // Three words with a no-break space (U+00A0, two bytes in UTF-8) between them; the
        // network cuts the line between the two bytes of the first one.
        let line = "tea\u{a0}for\u{a0}two\n".as_bytes();
        let (first, rest) = line.split_at(4);
        let hung_up = "the client sent \"tea\\u{a0}for\\u{a0}two\" in two pieces, cut inside \
                       the first no-break space (2 bytes in UTF-8), and the server hung up: did \
                       it turn each read's bytes into text on their own? Half a character is \
                       not valid UTF-8. Keep the bytes until the line's newline has come, and \
                       only then turn the whole line into text";
        for piece in [first, rest] {
            match timeout(Duration::from_secs(5), client.to_server.write_all(piece)).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => panic!("{hung_up}"),
                Err(_) => panic!("the server stopped reading what the client sends"),
            }
            sleep(Duration::from_millis(10)).await;
        }
        let answer = match timeout(Duration::from_secs(5), client.answers.next_line()).await {
            Ok(Ok(Some(answer))) => answer,
            Ok(Ok(None)) => panic!("{hung_up}"),
            Ok(Err(e)) => panic!("reading the answer failed: {e}"),
            Err(_) => panic!(
                "the client sent a line in two pieces, cut inside a character, and waits for \
                 its answer, but none came"
            ),
        };
        // "tea", "for" and "two" are 3 words when no-break spaces separate words (as with
        // `split_whitespace`), 1 word when only ASCII whitespace does: either is fine.
        if answer == "3" || answer == "1" {
            return;
        }
        let sent = "the client sent \"tea\\u{a0}for\\u{a0}two\" (words between no-break spaces, \
                    2 bytes each in UTF-8) in two pieces, cut between the 2 bytes of the first \
                    no-break space";
        // What became of a line of one ASCII word, cut in two pieces the same way.
        client.send("tea").await;
        sleep(Duration::from_millis(10)).await;
        client.send("pot\n").await;
        let teapot = timeout(Duration::from_secs(5), client.answers.next_line()).await;
        if let Ok(Ok(Some(teapot))) = &teapot
            && teapot != "1"
        {
            panic!(
                "{sent}, and the answer was {answer:?}, not 3 (or 1, if only ASCII whitespace \
                 separates words). Then it sent \"teapot\" in two pieces, \"tea\" and \
                 \"pot\\n\", and the answer was {teapot:?}, not 1: what is counted of a line \
                 depends on where the reads cut it. Carry what is known of the line (its bytes, \
                 or whether it is inside a word) from one read to the next, and count its words \
                 once its newline has come"
            );
        }
        let teapot = match teapot {
            Ok(Ok(Some(_))) => " (\"teapot\", cut in the same way, was answered 1, rightly)",
            _ => "",
        };
        panic!(
            "{sent}, and the answer was {answer:?}, not 3 (or 1, if only ASCII whitespace \
             separates words){teapot}: the line cut inside a character was counted wrong. Turning \
             each read's bytes into text on its own (`from_utf8_lossy`), for one, replaces half a \
             character with U+FFFD. Keep the bytes until the line's newline has come, and only \
             then turn the whole line into text (`read_line`, `lines()` do that)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_pauses_for_a_year() {
        let mut client = connect();
        client.send("back in a year\n").await;
        client.expect_words("back in a year", 4).await;
        // The client says nothing for a year, with the connection still open. (The clock jumps a
        // day ahead at once, then runs 1 ms more, so that the server may react.)
        a_year_at_once(async {
            tokio::time::advance(Duration::from_secs(366 * 24 * 60 * 60)).await;
            sleep(Duration::from_millis(1)).await;
        })
        .await;
        let finished = client.server.is_finished();
        if finished
            && let Err(stopped) = (&mut client.server).await
            && stopped.is_panic()
        {
            std::panic::resume_unwind(stopped.into_panic());
        }
        assert!(
            !finished,
            "the client said nothing for a year (of the test's paused clock), with the \
             connection still open, and count_words returned meanwhile: a quiet client has not \
             finished. The input ends when a read returns 0 bytes (`next_line` returns \
             `None`), not after a time without lines: do not end on a timer"
        );
        client.send("hello again\n").await;
        client.expect_words("hello again", 2).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_client_is_waited_for_not_checked_on_a_timer() {
        let mut client = connect();
        client.send("hi\n").await;
        client.expect_words("hi", 1).await;
        // The client says nothing for a second. A server that awaits the next line reads
        // again only when bytes come; a progress message every 10 ms may read again on each.
        let before = client.quiet_moments.load(Ordering::Relaxed);
        sleep(Duration::from_secs(1)).await;
        let moments = client.quiet_moments.load(Ordering::Relaxed) - before;
        assert!(
            moments <= 1000 / 10 + 2,
            "the client said nothing for a second (of the test's paused clock), and count_words \
             tried to read at {moments} moments in it, where awaiting the next line reads once \
             and then wakes only when bytes come (a progress message every 10 ms or slower \
             beside it is fine). Something checks for input on a timer: a read retried under a \
             short `timeout`, or a `select!` with a `sleep` or `interval` of less than 10 ms. \
             Await `lines.next_line()` alone, without a time limit"
        );
        client.send("bye now\n").await;
        client.expect_words("bye now", 2).await;
    }

    #[tokio::test(start_paused = true)]
    async fn many_answers_while_the_client_is_slow_to_read_them() {
        let Client {
            mut to_server,
            mut answers,
            ..
        } = connect();
        // 40 lines of 10 words at once, and the client reads no answer for 10 ms: the answers
        // ("10\n" each, 120 bytes) do not fit in the pipe back to it (64 bytes), so the server
        // has to wait for room to write some of them.
        let lines = "a b c d e f g h i j\n".repeat(40);
        let sending = tokio::spawn(async move { send(&mut to_server, &lines).await });
        sleep(Duration::from_millis(10)).await;
        for i in 1..=40 {
            let what = format!("line {i} of 40 (\"a b c d e f g h i j\")");
            let answer = answer_to(&mut answers, &what).await;
            if answer == "10" {
                continue;
            }
            let sent = "the client sent 40 lines of 10 words at once (\"a b c d e f g h i j\\n\" \
                        each) and read the answers only after 10 ms";
            // An answer cut short by a `write` leaves a prefix of "10\n"; the line it ends up
            // in ends with a whole "10\n": only 1s and 0s, ending in "10".
            if answer.ends_with("10") && answer.chars().all(|c| c == '1' || c == '0') {
                panic!(
                    "{sent}, and answer {i} was {answer:?}: part of an answer was lost or cut. \
                     With no room left on the connection, `write` may take only part of the \
                     bytes it is given and returns how many it took: send each answer with \
                     `write_all`"
                );
            }
            match answer.parse::<usize>() {
                Ok(words) if words > 10 => panic!(
                    "{sent}, and answer {i} was {answer:?}: more words than a line has, so \
                     several lines were counted as one. Answer each line on its own, as soon \
                     as its newline has come, even when one read brings several lines"
                ),
                _ => panic!(
                    "{sent}, and answer {i} was {answer:?}, not \"10\": part of a line was \
                     answered as a line, or bytes of the lines were lost. The pipe is small, so \
                     the lines come in pieces cut anywhere: a piece split into lines on its own \
                     answers the unfinished line at its end, or drops it, where it must be kept \
                     until the rest of the line comes; and a BufReader made anew for each line \
                     (or each read) drops the bytes it had read ahead of that line: make one \
                     before the loop and keep it"
                ),
            }
        }
        sending.await.unwrap();
    }

    /// Sends `lines` from a task of its own, then ends the input; after `late`, reads all the
    /// answers, until the connection ends (or nothing comes for a minute): returns them, and
    /// how the reading ended.
    async fn answers_read_late(
        mut to_server: WriteHalf<DuplexStream>,
        answers: Lines<BufReader<ReadHalf<DuplexStream>>>,
        lines: String,
        late: Duration,
    ) -> (Vec<u8>, &'static str) {
        tokio::spawn(async move {
            // If the server stops early, the test says what came back.
            let _ = to_server.write_all(lines.as_bytes()).await;
            let _ = to_server.shutdown().await;
        });
        sleep(late).await;
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
        (back, ended)
    }

    #[tokio::test(start_paused = true)]
    async fn answers_read_an_hour_late_all_come() {
        // 200 lines at once (of 1 to 10 words, in turn), then the end of the input.
        let words = |i: usize| i % 10 + 1;
        let lines: String = (0..200)
            .map(|i| format!("{}\n", vec!["w"; words(i)].join(" ")))
            .collect();
        let expected: Vec<String> = (0..200).map(|i| words(i).to_string()).collect();
        let all: String = expected
            .iter()
            .map(|answer| format!("{answer}\n"))
            .collect();
        // First a client that reads the answers as they come.
        let Client {
            to_server,
            answers,
            server,
            ..
        } = connect();
        let (back, ended) =
            answers_read_late(to_server, answers, lines.clone(), Duration::ZERO).await;
        let back = String::from_utf8_lossy(&back);
        let got: Vec<&str> = back.lines().collect();
        if got != expected {
            // The test's own panic (a busy loop, from `Input`) is raised as it is.
            if let Ok(Err(stopped)) = timeout(Duration::from_secs(60), server).await
                && stopped.is_panic()
            {
                std::panic::resume_unwind(stopped.into_panic());
            }
            let what = match (0..200).find(|&i| got.get(i) != Some(&expected[i].as_str())) {
                Some(first) => match got.get(first) {
                    Some(answer) => format!(
                        "the first {first} were right, and answer {} was {answer:?}",
                        first + 1
                    ),
                    None => format!(
                        "the first {first} were right, and answer {} never came",
                        first + 1
                    ),
                },
                None => format!("the 200 right ones, then {} more", got.len() - 200),
            };
            panic!(
                "the client sent 200 lines at once (the first of 1 word, the next of 2, and so \
                 on up to 10, then 1 again), ended its input, and read the answers as they \
                 came: it read {} answers, {ended}: {what}. Each line gets one answer, its \
                 number of words, in order, however the bytes are cut up",
                got.len()
            );
        }
        // The answers were right; once count_words has returned, they end too.
        if ended != "then the connection ended" {
            let how = match timeout(Duration::from_secs(60), server).await {
                Ok(Err(stopped)) if stopped.is_panic() => {
                    std::panic::resume_unwind(stopped.into_panic())
                }
                Ok(Err(stopped)) => format!("count_words was stopped ({stopped})"),
                Ok(Ok(result)) => format!(
                    "count_words returned ({result:?}), but its output was never closed: it was \
                     leaked or forgotten (`mem::forget`, `Box::leak`, a static, a task that \
                     holds it and never ends) instead of dropped. Let `output` drop when \
                     count_words returns (or `output.shutdown().await?` before returning): \
                     that is how the client learns that no more answers will come"
                ),
                Err(_) => "count_words did not return within a minute (of the test's paused \
                           clock) of the end of the input: the input ends when a read returns \
                           0 bytes (`next_line` returns `None`); return then"
                    .to_string(),
            };
            panic!(
                "the client sent 200 lines at once (of 1 to 10 words), ended its input, and read \
                 the 200 right answers as they came, {ended}: {how}"
            );
        }
        // Then a client that reads no answer for an hour (of the paused clock: no real time
        // when every task waits). The answers (420 bytes) do not fit in the pipe back (64
        // bytes): the server waits in the middle of writing one (the 64th byte is the first of
        // "1\n") until the client reads.
        let Client {
            to_server,
            answers,
            server,
            ..
        } = connect();
        let (back, ended) =
            answers_read_late(to_server, answers, lines, Duration::from_secs(3600)).await;
        // What count_words did: returned (with what), panicked, or neither for a minute.
        let returned = match timeout(Duration::from_secs(60), server).await {
            Ok(Ok(result)) => Some(Ok(result)),
            Ok(Err(stopped)) if stopped.is_panic() => {
                let panic = stopped.into_panic();
                // The test's own panic (a busy loop, from `Input`) is raised again.
                if panic
                    .downcast_ref::<String>()
                    .is_some_and(|text| text.contains("count_words read its input"))
                {
                    std::panic::resume_unwind(panic);
                }
                Some(Err(()))
            }
            Ok(Err(stopped)) => panic!("count_words was stopped: {stopped}"),
            Err(_) => None,
        };
        // A time limit on a write that ends count_words with an error (or a panic), as a safety
        // net, is let be, if what came before it was right: the caller is told.
        let gave_up = matches!(returned, Some(Ok(Err(_))) | Some(Err(())));
        if gave_up && all.as_bytes().starts_with(&back) {
            return;
        }
        let back = String::from_utf8_lossy(&back);
        let got: Vec<&str> = back.lines().collect();
        if let Some(first) = (0..200).find(|&i| got.get(i) != Some(&expected[i].as_str())) {
            let what = match got.get(first) {
                Some(answer) => format!(
                    "answer {} was {answer:?}, not \"{}\"",
                    first + 1,
                    expected[first]
                ),
                None => format!("answer {} never came", first + 1),
            };
            panic!(
                "the client sent 200 lines at once (the first of 1 word, the next of 2, and so \
                 on up to 10, then 1 again), ended its input, and read no answer for an hour; \
                 then it read {} answers, {ended}. The first {first} were right, and {what}. \
                 Were answers (or the lines they answer) lost, or cut short, while the server \
                 waited for the client to make room? An answer that has begun must be written \
                 whole, however long the client takes: `write_all(..).await` waits as long as \
                 it takes. Was one dropped midway, in a `select!` whose other branch (a \
                 progress timer?) won? A `select!` drops the branches that lose, and what they \
                 had read or not yet written with them: race only the wait for the next line \
                 (`next_line` keeps a half-read line), never the answer's write. (A time limit \
                 on the write that gives up must end count_words with an error, not go on as \
                 if the answer had been sent.)",
                got.len()
            );
        }
        assert!(
            got.len() == 200,
            "the client sent 200 lines at once and read no answer for an hour; then it read the \
             200 right answers and {} more lines, {ended}: one answer per line",
            got.len() - 200
        );
        let result = returned
            .expect("the client had ended its input, but count_words did not return")
            .expect("count_words panicked");
        assert!(result.is_ok(), "count_words failed: {result:?}");
        assert!(
            ended == "then the connection ended",
            "the client sent 200 lines at once, ended its input, and read no answer for an \
             hour; then it read the 200 right answers, and count_words returned Ok, but {ended} \
             (the connection stayed open): count_words's output was never closed, leaked or \
             forgotten (`mem::forget`, `Box::leak`, a static, a task that holds it and never \
             ends) instead of dropped. Let `output` drop when count_words returns: that is how \
             the client learns that no more answers will come"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stops_when_the_client_is_done() {
        let mut client = connect();
        client.send("see you\n").await;
        client.expect_words("see you", 2).await;
        client.to_server.shutdown().await.unwrap();
        let result = timeout(Duration::from_secs(5), &mut client.server)
            .await
            .expect("the client closed its side, but count_words did not return")
            .expect("count_words panicked");
        assert!(result.is_ok(), "count_words failed: {result:?}");
        the_answers_end(client, "\"see you\\n\"", "Ok(())", None).await;
        // The same, when the input ends inside a line: "bye" has no newline.
        let mut client = connect();
        client.send("see you\nbye").await;
        client.expect_words("see you", 2).await;
        client.to_server.shutdown().await.unwrap();
        let result = match timeout(Duration::from_secs(5), &mut client.server).await {
            Ok(Ok(result)) => result,
            Ok(Err(stopped)) if stopped.is_panic() => {
                std::panic::resume_unwind(stopped.into_panic())
            }
            Ok(Err(stopped)) => panic!("count_words was stopped: {stopped}"),
            Err(_) => panic!(
                "the client sent \"see you\\nbye\" (no newline after \"bye\"), got the answer \
                 to \"see you\", and closed its side, but count_words did not return: the input \
                 ends when a read returns 0 bytes (`next_line` returns `None`), also in the \
                 middle of a line; return then"
            ),
        };
        // A last line without its newline may be answered or not; an error for it is let be.
        the_answers_end(
            client,
            "\"see you\\nbye\" (no newline after \"bye\")",
            &format!("{result:?}"),
            Some(("bye", "1")),
        )
        .await;
    }

    /// The client has sent `sent`, read the answers to its complete lines and closed its side,
    /// and count_words has returned `result`: the answers end, after the answer to `last` (a
    /// line without its newline, and its answer) if count_words gives one.
    async fn the_answers_end(
        mut client: Client,
        sent: &str,
        result: &str,
        last: Option<(&str, &str)>,
    ) {
        // count_words has returned, and its output (its own, by value) with it: the client
        // reads the end of the answers. At once, here; 5 s of the paused clock are allowed.
        let mut answered_last = false;
        loop {
            match timeout(Duration::from_secs(5), client.answers.next_line()).await {
                Ok(Ok(None)) => return,
                Ok(Ok(Some(more))) => match last {
                    Some((_, words)) if !answered_last && more == words => {
                        answered_last = true;
                    }
                    Some((line, words)) if !answered_last => panic!(
                        "the client sent {sent}, got the answer to \"see you\", \"2\", and \
                         closed its side, and count_words returned {result}, with one more \
                         answer, {more:?}: {line:?}, the last line, has {words} word(s) (with \
                         no newline after it, it may be answered or not, but not otherwise)"
                    ),
                    _ => panic!(
                        "the client sent {sent}, got its answers and closed its side, and \
                         count_words returned {result}, but then the client got one more \
                         line, {more:?}: answer each line once, and nothing else (no answer \
                         for a line that was not sent)"
                    ),
                },
                Ok(Err(e)) => panic!(
                    "count_words returned {result} once the client closed its side, but then \
                     reading the end of the answers failed: {e}"
                ),
                Err(_) => panic!(
                    "the client sent {sent}, got its answers and closed its side, and \
                     count_words returned {result}, but the client never saw the end of the \
                     answers (nothing came for 5 s of the test's paused clock, and the \
                     connection stayed open): count_words kept its output open after it \
                     returned, leaked or forgotten (`mem::forget`, `Box::leak`, a static, a task \
                     that holds it and never ends) instead of dropped. Let `output` drop when \
                     count_words returns (or `output.shutdown().await?` before returning): that \
                     is how the client learns that no more answers will come"
                ),
            }
        }
    }

    /// What the filling client of `a_read_that_fills_its_buffer_is_answered` saw.
    #[derive(Default)]
    struct Filling {
        /// The bytes sent, and the answers that came back.
        sent: Vec<u8>,
        lines: usize,
        answers: Vec<u8>,
        /// The answers' newlines, counted as they come (a count of all the answers at each
        /// write would take minutes for a buffer of a megabyte).
        answered: usize,
        /// How many times a read filled its buffer, and the size of the last one.
        reads: usize,
        last_size: usize,
        /// Reads in a row that found nothing while answers were missing.
        empty_in_a_row: usize,
        reader: Option<std::task::Waker>,
    }

    /// The client stops sending (its end of input) once it has sent this much, in 3 reads or more.
    const FILLING_BYTES: usize = 4096;

    /// A client that sends exactly as many bytes as count_words's read asks for, filling its
    /// buffer (whatever its size) with whole lines (the buffer's last byte is a newline), then
    /// sends nothing more until every one of those lines has been answered.
    struct FillingInput(Arc<std::sync::Mutex<Filling>>);

    impl AsyncRead for FillingInput {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            let mut client = self.0.lock().unwrap_or_else(|e| e.into_inner());
            if client.answered < client.lines {
                client.empty_in_a_row += 1;
                assert!(
                    client.empty_in_a_row <= 10_000,
                    "the client sent {} bytes of whole lines, as many as count_words's read \
                     buffer held (the read filled it, and ended with a newline), and waits for \
                     their answers before it sends more, but count_words read again and again \
                     (10000 times) without answering them: answer the complete lines of every \
                     read as soon as it has come, also of one that filled its buffer (a full \
                     buffer is no sign that more is coming)",
                    client.last_size
                );
                client.reader = Some(cx.waker().clone());
                return Poll::Pending;
            }
            client.empty_in_a_row = 0;
            if client.sent.len() >= FILLING_BYTES && client.reads >= 3 {
                return Poll::Ready(Ok(()));
            }
            let size = buf.remaining();
            if size == 0 {
                return Poll::Ready(Ok(()));
            }
            // Lines of one to three words, the last one cut short by the newline that ends
            // the buffer.
            let mut piece: Vec<u8> = b"one two\nthree\nfour five six\n"
                .iter()
                .cycle()
                .take(size - 1)
                .copied()
                .collect();
            piece.push(b'\n');
            buf.put_slice(&piece);
            client.lines += piece.iter().filter(|&&b| b == b'\n').count();
            client.sent.extend_from_slice(&piece);
            client.reads += 1;
            client.last_size = size;
            Poll::Ready(Ok(()))
        }
    }

    /// Where count_words's answers to the filling client go.
    struct FillingOutput(Arc<std::sync::Mutex<Filling>>);

    impl AsyncWrite for FillingOutput {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            let mut client = self.0.lock().unwrap_or_else(|e| e.into_inner());
            client.answers.extend_from_slice(buf);
            client.answered += buf.iter().filter(|&&b| b == b'\n').count();
            if client.answered >= client.lines
                && let Some(reader) = client.reader.take()
            {
                reader.wake();
            }
            Poll::Ready(Ok(buf.len()))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// Whatever the size of count_words's read buffer, the lines of a read that fills it must
    /// be answered before the client sends more (here the client waits for them: a server that
    /// waits for more first waits forever).
    #[tokio::test(start_paused = true)]
    async fn a_read_that_fills_its_buffer_is_answered() {
        let client = Arc::new(std::sync::Mutex::new(Filling::default()));
        let input = FillingInput(client.clone());
        let output = FillingOutput(client.clone());
        let server = tokio::spawn(count_words(input, output));
        let returned = timeout(Duration::from_secs(5), server).await;
        let client = client.lock().unwrap_or_else(|e| e.into_inner());
        let answered = client.answered;
        match returned {
            Ok(Ok(result)) => result.expect("count_words failed"),
            Ok(Err(e)) => std::panic::resume_unwind(e.into_panic()),
            Err(_) => panic!(
                "the client sent {} bytes of whole lines, as many as count_words's read buffer \
                 held (the read filled it, and ended with a newline), and waits for their \
                 answers before it sends more, but {answered} of its {} lines were answered and \
                 nothing more came in 5 s: answer the complete lines of every read as soon as \
                 it has come, also of one that filled its buffer (a full buffer is no sign that \
                 more is coming)",
                client.last_size, client.lines
            ),
        }
        let expected: String = (client.sent.split(|&b| b == b'\n'))
            .take(client.lines)
            .map(|line| {
                let words = String::from_utf8_lossy(line).split_whitespace().count();
                format!("{words}\n")
            })
            .collect();
        assert!(
            client.answers == expected.as_bytes(),
            "the client sent {} lines of one to three words, in reads that filled \
             count_words's buffer, and the answers were {:?} where {:?} was expected",
            client.lines,
            String::from_utf8_lossy(&client.answers)
                .chars()
                .take(80)
                .collect::<String>(),
            expected.chars().take(80).collect::<String>()
        );
    }

    /// A connection that delivers one line, then breaks: the next read fails (with an error of
    /// kind Other, not ConnectionReset, which a server may take for a client that hung up), and
    /// any read after that finds the end of the input.
    struct Broken {
        reads: usize,
    }

    impl AsyncRead for Broken {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            self.reads += 1;
            match self.reads {
                1 => buf.put_slice(b"one two\n"),
                2 => return Poll::Ready(Err(std::io::Error::other("the network is down"))),
                _ => {}
            }
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_broken_connection_is_an_error() {
        let server = tokio::spawn(count_words(Broken { reads: 0 }, Vec::new()));
        let result = timeout(Duration::from_secs(5), server)
            .await
            .expect("the connection broke, but count_words did not return");
        // Passing the error on, or a panic, both tell the caller; Ok(()) tells it all went well.
        assert!(
            !matches!(result, Ok(Ok(()))),
            "the client sent \"one two\\n\", then its connection broke (a read failed with \
             \"the network is down\"), and count_words returned Ok(()), as if the client had \
             finished: the failure was lost. Pass a failed read on to the caller with `?`, as \
             the given code does (`input.read(&mut buf).await?`; with lines, `while let \
             Some(line) = lines.next_line().await? {{`); a `while let Ok(..)`, or an `Err(_)` \
             arm that ends the loop, takes a broken connection for a clean end"
        );
    }

    /// A long session: 50 000 one-word lines on one connection, all answered. Code that
    /// handles each line with one more level of calls (an async fn that calls itself, boxed,
    /// for the rest of the input) nests deeper with every line until the thread's stack
    /// overflows and the whole server aborts: if this test crashes with "has overflowed its
    /// stack", answer the lines in a loop instead.
    #[tokio::test(start_paused = true)]
    async fn fifty_thousand_lines_in_one_session_do_not_overflow_the_stack() {
        const LINES: usize = 50_000;
        let (client, server) = tokio::io::duplex(64 * 1024);
        let (server_in, server_out) = tokio::io::split(server);
        let server = tokio::spawn(count_words(server_in, server_out));
        let (mut from_server, mut to_server) = tokio::io::split(client);
        let sender = tokio::spawn(async move {
            to_server.write_all("a\n".repeat(LINES).as_bytes()).await?;
            to_server.shutdown().await
        });
        let mut answers = String::new();
        let read = timeout(
            Duration::from_secs(60),
            from_server.read_to_string(&mut answers),
        )
        .await;
        let Ok(read) = read else {
            // The answers end when count_words's output is dropped (or shut down).
            let how = if !server.is_finished() {
                "count_words did not return".to_string()
            } else {
                match server.await {
                    Err(stopped) if stopped.is_panic() => {
                        std::panic::resume_unwind(stopped.into_panic())
                    }
                    Err(stopped) => format!("count_words was stopped ({stopped})"),
                    Ok(result) => format!(
                        "count_words returned ({result:?}), but it never closed its output: \
                         the output was leaked or forgotten (`mem::forget`, `Box::leak`, a \
                         static, a task that holds it and never ends) instead of dropped. Let \
                         `output` drop when count_words returns: that is how the client learns \
                         that no more answers will come"
                    ),
                }
            };
            panic!(
                "the client sent 50 000 lines of one word each and ended its input, but the \
                 answers did not end within a minute (of the test's paused clock): {how}"
            );
        };
        read.expect("reading the answers failed");
        let got = answers.lines().count();
        let wrong = answers.lines().filter(|answer| *answer != "1").count();
        assert!(
            got == LINES && wrong == 0,
            "the client sent 50 000 lines of one word each (\"a\\n\") on one connection; \
             count_words gave {got} answers, {wrong} of them not \"1\""
        );
        sender
            .await
            .expect("the client's sender panicked")
            .expect("sending the lines failed");
        let result = server.await.expect("count_words panicked");
        assert!(result.is_ok(), "count_words failed: {result:?}");
    }

    /// Two clients served at once, on one thread (as a server on a runtime of one thread serves
    /// its connections), each with a line in two pieces: each keeps its own half line.
    #[tokio::test(start_paused = true)]
    async fn two_clients_at_once_keep_their_own_half_lines() {
        let mut first = connect();
        let mut second = connect();
        first.send("hello wor").await;
        second.send("one two three fo").await;
        // Both servers read their half line before the rest comes.
        sleep(Duration::from_millis(10)).await;
        first.send("ld\n").await;
        let first_answer = first.answer_to("hello world").await;
        second.send("ur\n").await;
        let second_answer = second.answer_to("one two three four").await;
        let counted = |answer: &str| answer.parse::<usize>().ok();
        let why = match (counted(&first_answer), counted(&second_answer)) {
            (Some(a), Some(b)) if a > 2 || b > 4 => {
                "a line was counted with words of the other client's line: each connection must \
                 keep its own half line, in count_words (a local buffer, or the BufReader it \
                 makes), not in a `static` or `thread_local!` that every connection served on \
                 the thread shares"
            }
            (Some(a), Some(b)) if a < 2 || b < 4 => {
                "part of a line was not counted with it: keep the half line read before the \
                 rest came until its newline arrives"
            }
            _ => "answer each client's lines with their own number of words",
        };
        assert!(
            first_answer == "2" && second_answer == "4",
            "two clients were served at once, on one thread: one sent \"hello wor\", the other \
             \"one two three fo\", then the first \"ld\\n\" and the second \"ur\\n\". The \
             answers were {first_answer:?} to \"hello world\" (2 words) and {second_answer:?} \
             to \"one two three four\" (4 words): {why}"
        );
    }
}
