// read_to_end_hangs
//
// A mail server speaks first: right after a client connects, it sends one greeting line, such as
// "220 mail.example.org ready\r\n", and then waits for the client's first command.
// `read_greeting` should read that greeting and return it without its line ending, so that the
// client can go on and send its command. As shipped it never returns: the tests hang.
//
// `read_to_string` reads until the END of the stream, and that end only comes when the server
// closes the connection, which it will not do: it is waiting for you. Read just one message, as
// the protocol defines it: everything up to the end of the first line.

use std::io;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

/// Reads the server's greeting line and returns it without the "\r\n" at its end.
pub async fn read_greeting<R: AsyncRead + Unpin>(conn: &mut BufReader<R>) -> io::Result<String> {
    let mut greeting = String::new();
    // One line is one message: `read_line` stops after the newline and leaves the rest unread.
    conn.read_line(&mut greeting).await?;
    Ok(greeting.trim_end_matches(['\r', '\n']).to_string())
}

#[tokio::main]
async fn main() {
    // A server that sends its greeting, then closes at once (so here even `read_to_string` ends).
    let mut conn = BufReader::new(&b"220 mail.example.org ready\r\n"[..]);
    println!("{}", read_greeting(&mut conn).await.unwrap());
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
    use tokio::io::{DuplexStream, ReadBuf};
    use tokio::time::{Instant, sleep};

    /// The client's end of the connection: counts the moments (of the paused clock) at which
    /// a read found nothing to read yet.
    struct Client {
        inner: DuplexStream,
        /// The moments at which a read found nothing yet (several reads at one moment, as when
        /// Tokio's budget makes a task yield, count once).
        waits: usize,
        /// The last of those moments.
        last_wait: Option<Instant>,
        /// The same, since the last read that found bytes.
        waits_in_a_row: usize,
        /// The most reads in a row allowed to find nothing.
        most_in_a_row: usize,
    }

    fn client(inner: DuplexStream, most_in_a_row: usize) -> Client {
        Client {
            inner,
            waits: 0,
            last_wait: None,
            waits_in_a_row: 0,
            most_in_a_row,
        }
    }

    impl AsyncRead for Client {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
            if poll.is_pending() {
                let now = Instant::now();
                if self.last_wait != Some(now) {
                    self.last_wait = Some(now);
                    self.waits += 1;
                }
                self.waits_in_a_row += 1;
                assert!(
                    self.waits_in_a_row <= self.most_in_a_row,
                    "the connection was read {} times in a row while the server had sent \
                     nothing new: read_greeting checks for bytes over and over (a loop with \
                     yield_now, now_or_never or a zero timeout) instead of waiting for them. \
                     Await the read (`conn.read_line(&mut line).await`): it wakes up when the \
                     next bytes arrive",
                    self.most_in_a_row
                );
            } else {
                self.waits_in_a_row = 0;
            }
            poll
        }
    }

    impl AsyncWrite for Client {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.inner).poll_write(cx, buf)
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_flush(cx)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.inner).poll_shutdown(cx)
        }
    }

    /// Sends the greeting in `pieces`, 10 ms apart, then waits for the client's command and
    /// answers it. It never closes the connection first: it returns it, still open.
    async fn mail_server(conn: DuplexStream, pieces: &[&str]) -> (String, BufReader<DuplexStream>) {
        let mut conn = BufReader::new(conn);
        for piece in pieces {
            conn.get_mut().write_all(piece.as_bytes()).await.unwrap();
            sleep(Duration::from_millis(10)).await;
        }
        let mut command = String::new();
        conn.read_line(&mut command).await.unwrap();
        conn.get_mut().write_all(b"221 bye\r\n").await.unwrap();
        (command, conn)
    }

    /// Connects `read_greeting` to a server that sends its greeting in `pieces`, checks the
    /// greeting, then goes on with the same connection.
    async fn greet_and_quit(pieces: &'static [&'static str]) {
        let whole = pieces.concat();
        let expected = whole.strip_suffix("\r\n").unwrap();
        let (client_end, server) = tokio::io::duplex(1024);
        let server = tokio::spawn(mail_server(server, pieces));
        let mut conn = BufReader::new(client(client_end, 1000));

        let start = Instant::now();
        let complete_at = Duration::from_millis(10 * (pieces.len() as u64 - 1));
        let greeting = read_greeting(&mut conn).await.unwrap();
        let waited = start.elapsed();
        // A read that waits is woken when the next piece arrives: it finds nothing at most once
        // per piece (the first one may not have been sent yet when read_greeting starts).
        let waits = conn.get_ref().waits;
        assert!(
            waits <= pieces.len() + 1,
            "the server sent its greeting in {} piece(s), 10 ms apart, and read_greeting found \
             nothing to read at {waits} different moments: it checks the connection on a timer instead of \
             waiting for the bytes. Await the read (`conn.read_line(&mut line).await`): it \
             wakes up exactly when the next bytes arrive",
            pieces.len()
        );
        // The clock is paused: it moves only when everything waits, so a read that stops at the
        // end of the line returns at exactly the moment the line's last byte arrived.
        assert!(
            waited >= complete_at || greeting != expected,
            "read_greeting returned {greeting:?} after {waited:?}, but the greeting {whole:?} \
             came in {} pieces, 10 ms apart, and its line only ended after {complete_at:?}, \
             with its \"\\n\": the text was all there, but not the line's end. A line ends at \
             its \"\\n\": read up to it (`read_line`), so that no part of the line is left in \
             the connection for what the client reads next",
            pieces.len()
        );
        // A beginning of the line that ends neither at the line's end nor where a piece the
        // server sent ended: the code itself cut the line there.
        let piece_ends: Vec<usize> = pieces
            .iter()
            .scan(0, |end, piece| {
                *end += piece.len();
                Some(*end)
            })
            .collect();
        let at_a_piece_end = piece_ends
            .iter()
            .any(|&end| whole[..end].trim_end() == greeting.trim_end());
        assert!(
            greeting.is_empty()
                || greeting.len() >= expected.len()
                || !expected.starts_with(greeting.as_str())
                || at_a_piece_end,
            "the server sent the greeting {whole:?} ({} bytes) in {} piece(s), 10 ms apart, and \
             read_greeting returned only its first {} bytes, {greeting:?}, after {waited:?}: \
             the line was cut at {} bytes, where none of the pieces ended. Read up to the \
             newline, however long the line (`read_line` into a String grows with the line; a \
             cap on its length must allow a reply line's 512 bytes, with its \"\\r\\n\")",
            whole.len(),
            pieces.len(),
            greeting.len(),
            greeting.len()
        );
        assert!(
            waited >= complete_at,
            "read_greeting returned {greeting:?} after {waited:?}, but the greeting {whole:?} \
             came in {} pieces, 10 ms apart, and its line only ended after {complete_at:?}: keep \
             reading until the newline has arrived, however long the line (one read returns \
             only the bytes that have arrived so far)",
            pieces.len()
        );
        assert_eq!(
            waited, complete_at,
            "read_greeting returned after {waited:?}, but the greeting's line had ended after \
             {complete_at:?}: it went on waiting after the end of the line (for the end of the \
             stream, cut short by a timeout? or for a timer of its own, to check again?). A \
             timeout only hides the hang: stop reading at the newline, and return at once"
        );
        assert_eq!(
            greeting,
            expected,
            "the server sent the greeting {whole:?} in {} piece(s), 10 ms apart, and \
             read_greeting returned {greeting:?}. Return the whole first line, without its \
             \"\\r\\n\": read up to the newline, whatever the greeting's length and words",
            pieces.len()
        );

        // The client goes on with the same connection: nothing after the greeting may be lost.
        conn.get_mut().write_all(b"QUIT\r\n").await.unwrap();
        let mut reply = String::new();
        conn.read_line(&mut reply).await.unwrap();
        let seen = if !reply.is_empty() && whole.ends_with(&reply) {
            ": that is the end of the greeting's line, left in the connection by read_greeting. \
             Read the greeting up to and including its \"\\n\" (`read_line`)"
        } else {
            ": what comes after the greeting must stay in the connection for the client (read \
             only up to the end of the greeting's line, through the BufReader given)"
        };
        assert_eq!(
            reply, "221 bye\r\n",
            "after read_greeting, the client sent QUIT and read the next line, {reply:?}, where \
             the server's answer \"221 bye\\r\\n\" was expected{seen}"
        );
        let (command, _still_open) = server.await.unwrap();
        assert_eq!(command, "QUIT\r\n", "the server expected the client's QUIT");
    }

    #[tokio::test(start_paused = true)]
    async fn reads_the_greeting_while_the_server_waits() {
        greet_and_quit(&["220 mail.example.org ready\r\n"]).await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_greeting_that_arrives_in_pieces() {
        greet_and_quit(&["220 mail.exa", "mple.org rea", "dy\r", "\n"]).await;
    }

    #[tokio::test(start_paused = true)]
    async fn greetings_of_other_lengths() {
        greet_and_quit(&["220 smtp.relay.example.net ESMTP", " Postfix (Debian)\r\n"]).await;
        greet_and_quit(&["220 mx1 OK\r\n"]).await;
        // A long one (422 bytes; a reply line may have up to 512): longer than a small buffer.
        greet_and_quit(&[
            concat!(
                "220 mx.example.org ESMTP Exim 4.96 Fri, 04 Dec 2026 13:36:25 +0000. This ",
                "server is for the use of example.org and its customers only: unsolicited bulk ",
                "mail is not welcome here and will be refused. Every connection is logged with ",
            ),
            concat!(
                "its address, its time and the names it gives; by going on you agree to the ",
                "terms at https://example.org/mail-policy. Say HELO or EHLO, then MAIL FROM, ",
            ),
            "and be patient: we answer every command.\r\n",
        ])
        .await;
        // As long as a reply line may be (RFC 5321: 512 bytes with its "\r\n"; this one has
        // 510), in 2 pieces: a cap on the greeting's length must let it through whole.
        greet_and_quit(&[
            concat!(
                "220 mx.example.org ESMTP Exim 4.96 Fri, 04 Dec 2026 13:36:25 +0000. This ",
                "server is for the use of example.org and its customers only: unsolicited bulk ",
                "mail is not welcome here and will be refused. Every connection is logged with ",
                "its address, its time and the names it gives; ",
            ),
            concat!(
                "by going on you agree to the terms at https://example.org/mail-policy and to ",
                "the rules of the relay. Say HELO or EHLO, then MAIL FROM, RCPT TO and DATA, ",
                "and be patient: we answer every command, one at a time, as fast as we can ",
                "today.\r\n",
            ),
        ])
        .await;
    }

    #[tokio::test(start_paused = true)]
    async fn a_greeting_that_refuses_service() {
        // A server may refuse to serve a client (RFC 5321: code 554) and still keep the
        // connection open, waiting for its QUIT: that greeting is one line like any other.
        let greeted = tokio::time::timeout(
            Duration::from_secs(60),
            greet_and_quit(&["554 no service here\r\n"]),
        )
        .await;
        assert!(
            greeted.is_ok(),
            "the server sent the greeting \"554 no service here\\r\\n\" (it will not serve \
             this client, but keeps the connection open and waits for its QUIT), and a minute \
             later (of the test's paused clock) the client had still not got past it: \
             read_greeting waited for more after the line's end (to the end of the stream?). \
             Whatever the greeting's code, read only its first line (`read_line`), and return"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_server_that_pauses_inside_its_greeting() {
        let (client_end, mut server) = tokio::io::duplex(1024);
        server.write_all(b"220 mail.exa").await.unwrap();
        // A default `interval` of 40 ms (for progress messages) catches up 15 000 ticks at once
        // after the jump below, each a read: fine.
        let mut conn = BufReader::new(client(client_end, 100_000));
        // The server stops for 10 minutes in the middle of its line (a mail client usually
        // waits 5 for a greeting), then sends the rest. The clock jumps the 10 minutes at once.
        let server_side = async {
            sleep(Duration::from_millis(10)).await;
            tokio::time::advance(Duration::from_secs(10 * 60)).await;
            sleep(Duration::from_millis(1)).await;
            server.write_all(b"mple.org ready\r\n").await.unwrap();
            server
        };
        let reading = futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
            read_greeting(&mut conn),
        ));
        let (greeting, _still_open) = tokio::join!(reading, server_side);
        let greeting = match greeting {
            Ok(greeting) => greeting,
            // The test's own count of reads in a row stopped it: that message stands.
            Err(stopped) if conn.get_ref().waits_in_a_row > conn.get_ref().most_in_a_row => {
                std::panic::resume_unwind(stopped)
            }
            // Giving up with a panic after a time limit of one's own (`expect`) is fine.
            Err(_) => return,
        };
        // Giving up with an error, after a time limit of one's own, is fine.
        if let Ok(greeting) = greeting {
            assert_eq!(
                greeting, "220 mail.example.org ready",
                "the server sent \"220 mail.exa\", stopped for 10 minutes (of the test's paused \
                 clock) in the middle of its line, then sent \"mple.org ready\\r\\n\", and \
                 read_greeting returned Ok({greeting:?}): the greeting is the whole line, up to \
                 its newline, however long the server takes. If you give up after a time limit \
                 of your own, return an error (`timeout` gives `Err(Elapsed)`), not the part of \
                 the line that came"
            );
        }
    }

    /// What to tell a read_greeting that stopped at the right newline but kept some of the
    /// line's end.
    const KEPT_THE_LINE_END: &str = "it stopped at the end of the line, but kept part of the \
        line's end (the \"\\r\" of \"\\r\\n\"?): return the line without both of those bytes \
        (strip the \"\\r\\n\", or trim_end)";

    /// What to tell a read_greeting that returned "" after `waited`, though the whole greeting
    /// had come and it took it from the buffer.
    fn nothing_of_a_greeting_that_had_come(waited: Duration) -> String {
        if waited.is_zero() {
            "the whole line had come, and read_greeting took it from the BufReader and returned \
             none of it. Return the first line, without its \"\\r\\n\": read up to the newline \
             (read_line, read_until)"
                .to_string()
        } else {
            format!(
                "the whole line had come at once, yet read_greeting read on for {waited:?} and \
                 returned none of it: it read past the newline (read_to_string waits for the end \
                 of the stream, which the server does not send: it waits for the client) until a \
                 time limit stopped it, and a read_to_string or read_to_end cut short by a \
                 timeout keeps none of what it read. A timeout only hides the hang: read up to \
                 the newline (read_line, read_until), and return at once"
            )
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_greeting_already_in_the_buffer() {
        let (client, mut server) = tokio::io::duplex(1024);
        server.write_all(b"220 mx1 OK\r\n").await.unwrap();
        // The client waited for the server to speak through its BufReader: the greeting is in
        // the BufReader's buffer now, and the connection itself has nothing more to read.
        let mut conn = BufReader::new(client);
        let buffered = conn.fill_buf().await.unwrap().len();
        assert_eq!(
            buffered, 12,
            "the test's client should have buffered the greeting"
        );
        let start = Instant::now();
        let greeting = tokio::time::timeout(Duration::from_secs(5), read_greeting(&mut conn))
            .await
            .expect(
                "the greeting \"220 mx1 OK\\r\\n\" was already in conn's buffer, and \
                 read_greeting is still waiting for bytes: read through the BufReader you are \
                 given (read_line, read_until), not around it with get_mut(), which skips what \
                 the BufReader holds",
            )
            .unwrap();
        let waited = start.elapsed();
        let seen = if greeting.trim_end() == "220 mx1 OK" {
            KEPT_THE_LINE_END.to_string()
        } else if !greeting.is_empty() {
            "the greeting is the whole first line, without its \"\\r\\n\": read through the \
             BufReader up to the newline (read_line, read_until)"
                .to_string()
        } else if conn.buffer().len() == buffered {
            "the greeting is still in the BufReader's buffer, untouched: read_greeting read \
             around it (get_mut()?), where nothing more was coming. Read through the BufReader \
             you are given (read_line, read_until)"
                .to_string()
        } else {
            nothing_of_a_greeting_that_had_come(waited)
        };
        assert_eq!(
            greeting, "220 mx1 OK",
            "the greeting \"220 mx1 OK\\r\\n\" was already in conn's buffer, and read_greeting \
             returned {greeting:?} after {waited:?}: {seen}"
        );
        drop(server);
    }

    #[tokio::test(start_paused = true)]
    async fn the_greeting_and_the_next_reply_in_one_write() {
        let (client, mut server) = tokio::io::duplex(1024);
        // The client sent its QUIT early, and the server wrote its greeting and its answer to
        // that QUIT at once: one read gets both lines. The server keeps the connection open.
        server
            .write_all(b"220 mx1 OK\r\n221 bye\r\n")
            .await
            .unwrap();
        let mut conn = BufReader::new(client);
        let start = Instant::now();
        let greeting = tokio::time::timeout(Duration::from_secs(5), read_greeting(&mut conn))
            .await
            .expect(
                "the server wrote \"220 mx1 OK\\r\\n221 bye\\r\\n\" and waits, and read_greeting \
                 is still reading: stop at the end of the first line",
            )
            .unwrap();
        let waited = start.elapsed();
        let seen = if greeting.is_empty() {
            nothing_of_a_greeting_that_had_come(waited)
        } else if greeting.trim_end() == "220 mx1 OK" {
            KEPT_THE_LINE_END.to_string()
        } else if greeting.len() > "220 mx1 OK".len() && greeting.starts_with("220 mx1 OK") {
            "the greeting is only the first line. Stop at the first newline, whatever one read \
             brings"
                .to_string()
        } else {
            "the greeting is the whole first line, without its \"\\r\\n\": read up to the \
             first newline (read_line, read_until)"
                .to_string()
        };
        assert_eq!(
            greeting, "220 mx1 OK",
            "the server wrote \"220 mx1 OK\\r\\n221 bye\\r\\n\" at once (its greeting, then its \
             answer to a command the client sent early), and read_greeting returned \
             {greeting:?} after {waited:?}: {seen}"
        );
        let mut reply = String::new();
        let after = tokio::time::timeout(Duration::from_secs(5), conn.read_line(&mut reply)).await;
        let seen = if reply == "\n" {
            "the next line read was \"\\n\", the end of the greeting's line, left behind by \
             read_greeting. Read the greeting up to and including its \"\\n\" (read_line, \
             read_until)"
                .to_string()
        } else {
            format!(
                "the next read gave {after:?}, {reply:?}: the line was lost. Read through the \
                 BufReader up to the newline only (read_line, read_until), so that what comes \
                 after stays in its buffer"
            )
        };
        assert!(
            matches!(after, Ok(Ok(_))) && reply == "221 bye\r\n",
            "the server wrote its greeting and, right behind it, \"221 bye\\r\\n\": after \
             read_greeting that line must still be there to read from the BufReader, but {seen}"
        );
        drop(server);
    }

    /// A connection that breaks: every read fails. Counts the reads that reached it.
    struct Broken(usize);

    impl AsyncRead for Broken {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            self.0 += 1;
            Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_that_breaks_is_an_error() {
        // The server sends the start of its greeting, then the connection breaks.
        let mut conn = BufReader::new(tokio::io::AsyncReadExt::chain(
            &b"220 mail.exa"[..],
            Broken(0),
        ));
        let result = tokio::time::timeout(Duration::from_secs(5), read_greeting(&mut conn))
            .await
            .expect("the connection broke (a read failed), and read_greeting is still reading");
        // Whether a read went on past the 12 bytes and met the break.
        let reached = conn.get_ref().get_ref().1.0;
        assert!(
            result.is_err() || reached > 0,
            "the server sent \"220 mail.exa\" (no newline yet), then the connection broke, and \
             read_greeting returned {result:?} without reading again after those 12 bytes: no \
             read of it met the break. One read is not a line: a read returns whatever has \
             arrived so far, the start of a line too. Keep reading up to the newline \
             (`read_line`, `read_until`); then a break before it comes back as the read's \
             error, to return with `?`"
        );
        assert!(
            result.is_err(),
            "the server sent \"220 mail.exa\", then the connection broke (the next read failed \
             with ConnectionReset), and read_greeting returned {result:?}: its caller now \
             believes it has the greeting. Return the read's error (`?`), do not turn it into \
             a default value or the part of the line that came"
        );
    }
}
