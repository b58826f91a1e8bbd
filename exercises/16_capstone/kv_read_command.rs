// kv_read_command
//
// The capstone: a small key-value server, built in four steps. Clients send one command per
// line, ending in "\n" or "\r\n", and get one reply line for each:
//
//     GET key          ->  VALUE <value>   or  NIL
//     SET key value    ->  OK              (the value is the rest of the line, spaces and all)
//     DEL key          ->  DELETED         or  NIL
//     anything else    ->  ERR <what is wrong>
//
// Step 1, one client. `parse`, `execute` and `serve_client` are done; `next_line`, which reads
// the client's next command line, is not. It takes whatever the buffer holds at the moment for
// one line, but a command may arrive in pieces, and a client may send several commands at once.
//
// Make `next_line` return exactly one complete line per call, without its line ending. When the
// client goes away, return `None`, also if it left in the middle of a line: that command is
// unfinished ("SET price 10" cut after "SET price 1"), and must never run.

use std::collections::HashMap;
use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::io::{BufReader, BufWriter};

#[derive(Debug, PartialEq)]
pub enum Command {
    Get { key: String },
    Set { key: String, value: String },
    Del { key: String },
}

/// Parses one command line (given without its line ending).
pub fn parse(line: &str) -> Result<Command, String> {
    let (name, rest) = line.split_once(' ').unwrap_or((line, ""));
    let key = rest.to_string();
    match name {
        "GET" | "DEL" if key.is_empty() || key.contains(' ') => Err(format!("usage: {name} key")),
        "GET" => Ok(Command::Get { key }),
        "DEL" => Ok(Command::Del { key }),
        "SET" => match rest.split_once(' ') {
            Some((key, value)) if !key.is_empty() => Ok(Command::Set {
                key: key.to_string(),
                value: value.to_string(),
            }),
            _ => Err("usage: SET key value".to_string()),
        },
        _ => Err(format!("unknown command {name:?}")),
    }
}

/// Runs `command` on the store and returns the reply (without its line ending).
pub fn execute(store: &mut HashMap<String, String>, command: Command) -> String {
    match command {
        Command::Get { key } => match store.get(&key) {
            Some(value) => format!("VALUE {value}"),
            None => "NIL".to_string(),
        },
        Command::Set { key, value } => {
            store.insert(key, value);
            "OK".to_string()
        }
        Command::Del { key } => match store.remove(&key) {
            Some(_) => "DELETED".to_string(),
            None => "NIL".to_string(),
        },
    }
}

/// The client's next complete line, without its "\n" or "\r\n"; `None` once the client has gone.
pub async fn next_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> io::Result<Option<String>> {
    // TODO: what the buffer holds right now may be part of a line, or several lines.
    let buffered = reader.fill_buf().await?;
    if buffered.is_empty() {
        return Ok(None);
    }
    let line = String::from_utf8_lossy(buffered).trim_end().to_string();
    let used = buffered.len();
    reader.consume(used);
    Ok(Some(line))
}

/// Serves one client until it goes away, on the given store.
pub async fn serve_client<S>(stream: S, store: &mut HashMap<String, String>) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (reader, writer) = tokio::io::split(stream);
    let mut reader = BufReader::new(reader);
    let mut writer = BufWriter::new(writer);
    while let Some(line) = next_line(&mut reader).await? {
        let reply = match parse(&line) {
            Ok(command) => execute(store, command),
            Err(e) => format!("ERR {e}"),
        };
        writer.write_all(reply.as_bytes()).await?;
        writer.write_all(b"\n").await?;
        writer.flush().await?;
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let mut store = HashMap::new();
    let session = b"SET greeting hello world\nGET greeting\nDEL greeting\nGET greeting\n";
    let (mut client, server) = tokio::io::duplex(1024);
    client.write_all(session).await.unwrap();
    client.shutdown().await.unwrap();
    serve_client(server, &mut store).await.unwrap();
    let mut replies = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut client, &mut replies)
        .await
        .unwrap();
    print!("{replies}");
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf};
    use tokio::time::{sleep, timeout};

    /// A client that writes `pieces` into a small pipe, 10 ms apart, then leaves.
    fn client(pieces: Vec<Vec<u8>>) -> BufReader<DuplexStream> {
        let (mut client, server) = tokio::io::duplex(128);
        tokio::spawn(async move {
            for piece in pieces {
                if client.write_all(&piece).await.is_err() {
                    return;
                }
                sleep(Duration::from_millis(10)).await;
            }
        });
        BufReader::new(server)
    }

    fn pieces(parts: &[&str]) -> Vec<Vec<u8>> {
        parts.iter().map(|part| part.as_bytes().to_vec()).collect()
    }

    async fn lines_from(mut reader: BufReader<DuplexStream>) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let next = timeout(Duration::from_secs(60), next_line(&mut reader))
                .await
                .expect("next_line is still waiting, though the client has left")
                .expect("next_line failed");
            match next {
                Some(line) => lines.push(line),
                None => return lines,
            }
            assert!(
                lines.len() < 100,
                "next_line returned 100 lines for a client that sent a few: one call returns one \
                 complete line, however many pieces it came in"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_command_in_pieces() {
        let reader = client(pieces(&["GE", "T app", "le\r", "\n"]));
        assert_eq!(
            lines_from(reader).await,
            ["GET apple"],
            "the client sent \"GET apple\\r\\n\" in 4 pieces, 10 ms apart: that is one line, \
             returned without its \"\\r\\n\""
        );
    }

    #[tokio::test(start_paused = true)]
    async fn several_commands_in_one_write() {
        let reader = client(pieces(&["SET a 1\nGET a\r\nDEL a\n"]));
        assert_eq!(
            lines_from(reader).await,
            ["SET a 1", "GET a", "DEL a"],
            "the client sent 3 commands in one write: each call returns one line, without its \
             \"\\n\" or \"\\r\\n\""
        );
    }

    #[tokio::test(start_paused = true)]
    async fn only_the_line_ending_is_taken_off() {
        let reader = client(pieces(&["SET pad  two spaces  \r\n", "SET tab \tx\t\n"]));
        let lines = lines_from(reader).await;
        assert_eq!(
            lines,
            ["SET pad  two spaces  ", "SET tab \tx\t"],
            "next_line returned {lines:?}: only the line ending (\"\\n\" or \"\\r\\n\") is \
             taken off. The spaces and tabs before it are part of the value, which is the rest \
             of the line, spaces and all (trim_end takes them too)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn blank_lines_and_stray_carriage_returns() {
        let reader = client(pieces(&["\n", "SET cr a\rb\r\r\n", "\r\n", "GET cr\n"]));
        let lines = lines_from(reader).await;
        assert_eq!(
            lines,
            ["", "SET cr a\rb\r", "", "GET cr"],
            "next_line returned {lines:?}: a line ends at a \"\\n\" (with the \"\\r\" just \
             before it, for \"\\r\\n\"), and only that ending is taken off. A blank line is a \
             line too (a command \"\", that gets an ERR reply: skipping it leaves the client \
             waiting for that reply), and a \"\\r\" anywhere else is part of the line"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_unfinished_command_never_comes_out() {
        let reader = client(pieces(&["SET price 10\n", "SET price 1"]));
        assert_eq!(
            lines_from(reader).await,
            ["SET price 10"],
            "the client left in the middle of \"SET price 1...\": an unfinished line is not a \
             command (it may have been \"SET price 10\" or \"SET price 199\"), so after the \
             complete lines next_line returns None"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_value() {
        let value = "0123456789".repeat(2000);
        let command = format!("SET big {value}\n");
        let reader = client(vec![command.into_bytes(), b"GET big\n".to_vec()]);
        let lines = lines_from(reader).await;
        assert!(
            lines.len() == 2,
            "the client sent 2 commands, \"SET big <a value of 20000 bytes>\\n\" then \"GET \
             big\\n\", through a small pipe (a piece at a time), and next_line returned {}{}",
            what_came_of_the_long_line(&lines),
            if lines.is_empty() {
                ""
            } else {
                ": a line ends only at its \"\\n\", however many bytes come before it"
            }
        );
        assert!(
            lines[0] == format!("SET big {value}"),
            "the first line is a SET with a value of 20 KB, and next_line returned {} bytes",
            lines[0].len()
        );
        assert_eq!(lines[1], "GET big");
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_value_and_the_next_command_in_one_write() {
        // A big pipe: the whole write is there at once, and each read brings as much as the
        // reader's buffer holds, not a small pipe's worth.
        let value = "0123456789".repeat(2000);
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let sent = format!("SET big {value}\nGET big\n");
        client.write_all(sent.as_bytes()).await.unwrap();
        drop(client);
        let mut reader = BufReader::new(server);
        let mut lines = Vec::new();
        loop {
            let next = timeout(Duration::from_secs(60), next_line(&mut reader))
                .await
                .expect("next_line is still waiting, though the client has left");
            let next = next.unwrap_or_else(|e| {
                panic!(
                    "the client sent \"SET big <20 KB>\\nGET big\\n\" in one write, and after \
                     {} lines next_line returned the error {e:?}: a line of 20 KB is a command \
                     like any other",
                    lines.len()
                )
            });
            match next {
                Some(line) => lines.push(line),
                None => break,
            }
            assert!(
                lines.len() < 30_000,
                "the client sent \"SET big <20 KB>\\nGET big\\n\" in one write, and next_line \
                 returned 30000 lines for it: one call returns one complete line"
            );
        }
        if lines.len() == 2 && lines[0] == format!("SET big {value}") && lines[1] == "GET big" {
            return;
        }
        let why = if lines.is_empty() {
            // What came out says it all.
            String::new()
        } else if lines.len() > 2 && sent.starts_with(&lines[0]) {
            format!(
                ": the SET came out cut, its first line {} bytes long: a line ends only at its \
                 \"\\n\", however many bytes come before it. A full read buffer is not the end \
                 of a line: keep what it held and read on",
                lines[0].len()
            )
        } else {
            ": a line ends only at its \"\\n\", however many bytes come before it".to_string()
        };
        panic!(
            "the client sent \"SET big <a value of 20000 bytes>\\nGET big\\n\" in one write, \
             and next_line returned {}{why}",
            what_came_of_the_long_line(&lines)
        );
    }

    /// What next_line returned for a client that sent a line of 20 KB and then "GET big": how
    /// many lines, and how long; for none at all, that its first call said the client had gone
    /// and what that means.
    fn what_came_of_the_long_line(lines: &[String]) -> String {
        if lines.is_empty() {
            return "no line at all: its first call returned None, as if the client had gone \
                    before the end of a line, though it had sent both lines whole. The line of \
                    20 KB never came out complete: a line ends only at its \"\\n\", however \
                    many bytes come before it (a limit on a line's length, or a buffer of a \
                    fixed size, would have to leave room for 20 KB and more)"
                .to_string();
        }
        let mut sizes: Vec<String> = lines.iter().take(4).map(|l| l.len().to_string()).collect();
        if lines.len() > 4 {
            sizes.push("...".to_string());
        }
        let last = match lines.last() {
            Some(last) if last == "GET big" => ", the last one \"GET big\"",
            _ => "",
        };
        format!(
            "{} line(s), of {} bytes{last}",
            lines.len(),
            sizes.join(", ")
        )
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_too_long_is_never_cut_in_two() {
        // A SET of about 100 KiB, then a GET of it. The story names no limit on a line, so a
        // server may refuse one this long (an ERR reply, or closing the connection), or take it
        // like any other; it must never cut it and run the rest as a command of its own.
        let value = "0123456789".repeat(10_240) + "end";
        let sent = format!("SET huge {value}\nGET huge\n");
        let (client, server) = tokio::io::duplex(4096);
        let (from_server, mut to_server) = tokio::io::split(client);
        let server = tokio::spawn(async move {
            let mut store = HashMap::new();
            let _ = serve_client(server, &mut store).await;
            store
        });
        let reading = tokio::spawn(async move {
            let mut lines = BufReader::new(from_server).lines();
            let mut replies = Vec::new();
            while let Ok(Some(reply)) = lines.next_line().await {
                replies.push(reply);
            }
            replies
        });
        // A server that refuses the line may close the connection before it has all of it.
        let _ = to_server.write_all(sent.as_bytes()).await;
        let _ = to_server.shutdown().await;
        let store = timeout(Duration::from_secs(60), server)
            .await
            .expect("the client has left, but serve_client did not return")
            .unwrap();
        let replies = reading.await.unwrap();
        let whole = ["OK".to_string(), format!("VALUE {value}")];
        let refused = match replies.as_slice() {
            [] => true,
            [first] | [first, _] if first.starts_with("ERR ") => {
                replies.get(1).is_none_or(|second| second == "NIL")
            }
            _ => false,
        };
        if replies == whole || (refused && !store.contains_key("huge")) {
            return;
        }
        let shown: Vec<String> = replies
            .iter()
            .map(|reply| {
                if reply.len() <= 40 {
                    format!("{reply:?}")
                } else {
                    let start: String = reply.chars().take(20).collect();
                    format!("{start:?}… ({} bytes)", reply.len())
                }
            })
            .collect();
        let stored = match store.get("huge") {
            Some(stored) if *stored == value => "the whole value".to_string(),
            Some(stored) => format!("a value of {} bytes", stored.len()),
            None => "nothing".to_string(),
        };
        panic!(
            "the client sent \"SET huge <a value of {} bytes>\" and \"GET huge\", and got the \
             replies [{}], the store holding {stored} under huge: a line ends only at its \
             \"\\n\". A line cut at a limit (of the reader, or of the bytes read at once) stores \
             a cut value, and what follows the cut runs as a command of its own. Take the line \
             whole, however long; or, if you want a limit, refuse a longer line (an ERR reply, \
             skipping it to its \"\\n\", or closing the connection), never run a part of it",
            value.len(),
            shown.join(", ")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_sends_nothing() {
        assert!(lines_from(client(Vec::new())).await.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn a_character_cut_between_two_reads() {
        // "é" is 2 bytes in UTF-8 (0xC3 0xA9); the first read ends between them.
        let reader = client(vec![
            b"SET drink caf\xC3".to_vec(),
            b"\xA9 au lait\n".to_vec(),
        ]);
        let lines = lines_from(reader).await;
        assert_eq!(
            lines,
            ["SET drink café au lait"],
            "the client sent \"SET drink café au lait\\n\" in 2 pieces, cut between the 2 bytes \
             of \"é\", and next_line returned {lines:?}: turn the line's bytes into text once the \
             whole line is in (read_line, or read_until and then String::from_utf8), not each \
             read on its own"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_command_finished_after_a_year() {
        // The client sends half a command, stays connected and silent for a year of paused
        // time, then sends the rest.
        let year = Duration::from_secs(365 * 24 * 3600);
        let (mut client, server) = tokio::io::duplex(128);
        tokio::spawn(async move {
            client.write_all(b"SET price 1").await.unwrap();
            sleep(year).await;
            client.write_all(b"0\nGET price\n").await.unwrap();
        });
        let mut reader = BufReader::new(server);
        let mut lines = Vec::new();
        let start = tokio::time::Instant::now();
        // The year passes in one jump of the paused clock, as soon as every task waits. A
        // next_line that wakes up again and again (on a timer of its own) moves the clock a
        // step at a time, and a thread of its own gives up after 2 s of real time.
        let (gave_up, mut giving_up) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(2));
            let _ = gave_up.send(());
        });
        loop {
            let next = tokio::select! {
                biased;
                next = timeout(
                    year * 2,
                    futures_util::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
                        next_line(&mut reader),
                    )),
                ) => next,
                _ = &mut giving_up => panic!(
                    "the client sent \"SET price 1\" and then stayed connected and silent for \
                     a year, and in 2 s of real time the paused clock could not get through that \
                     year (it does in one jump when every task waits): next_line kept waking up \
                     while it waited (a progress tick, a timeout or a sleep in a loop?). While \
                     the line is unfinished there is nothing to do but wait for the read: await \
                     it alone, so that a silent client costs no CPU. Lines so far: {lines:?}"
                ),
            };
            let next =
                next.expect("next_line is still waiting two years on, though the client has left");
            // A time limit of next_line's own ends the wait: say what happened, and when.
            let gave_up = match next {
                Ok(Ok(next)) => Ok(next),
                Ok(Err(e)) => Err(format!("returned the error {e:?}")),
                Err(stopped) => Err(format!(
                    "panicked ({:?})",
                    (stopped.downcast_ref::<String>().map(String::as_str))
                        .or(stopped.downcast_ref::<&str>().copied())
                        .unwrap_or_default()
                )),
            };
            let next = gave_up.unwrap_or_else(|what| {
                panic!(
                    "the client sent \"SET price 1\" and then stayed connected and silent for a \
                     year (of the paused clock), and next_line {what} after {:?}: a quiet spell \
                     is not the end of a line, nor of the client. Wait for the \"\\n\" (or for \
                     the client to leave) however long it takes: a time limit on a connection \
                     that is only quiet ends it, even one that returns an error or panics. \
                     Lines so far: {lines:?}",
                    start.elapsed()
                )
            });
            match next {
                Some(line) => lines.push(line),
                None => break,
            }
            assert!(
                lines.len() < 100,
                "the client sent \"SET price 1\" and then stayed connected and silent, and \
                 next_line returned 100 lines for it ({:?}, ...): a quiet spell is not the end \
                 of a line; wait for its \"\\n\" (or for the client to leave)",
                &lines[..3]
            );
        }
        // The end of the first command and all of the second came in one write.
        let why = if lines == ["SET price 10"] {
            "\"GET price\\n\" came right behind the end of \"SET price 10\", in the same \
             write, and never came out: what a read brings in past the line is the next call's. \
             Leave it in the reader's buffer (consume only up to the \"\\n\", as read_line \
             does), and return None only once the client has gone (a read of 0 bytes)"
        } else {
            "a line ends at its \"\\n\", however long the client takes to send it. A quiet spell \
             is not the end of a line (\"SET price 1\" may still become \"SET price 10\"), nor \
             the end of the client: return None only once the client has gone (a read of 0 \
             bytes)"
        };
        assert_eq!(
            lines,
            ["SET price 10", "GET price"],
            "the client sent \"SET price 1\", stayed connected and silent for a year, then sent \
             \"0\\nGET price\\n\", and next_line returned {lines:?}: {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn two_clients_read_in_turns() {
        // Two connections, read on the same thread, one line from each in turn: what a read
        // brought in past a line belongs to its own connection.
        let mut first = client(pieces(&["SET a 1\nSET a 2\n"]));
        let mut second = client(pieces(&["GET b\r\nDEL b\n"]));
        let mut got = [Vec::new(), Vec::new()];
        for _ in 0..3 {
            for (i, reader) in [&mut first, &mut second].into_iter().enumerate() {
                let next = timeout(Duration::from_secs(60), next_line(reader))
                    .await
                    .expect("next_line is still waiting, though the client has left")
                    .expect("next_line failed");
                got[i].extend(next);
            }
        }
        assert_eq!(
            got,
            [vec!["SET a 1", "SET a 2"], vec!["GET b", "DEL b"]],
            "two clients, each of which sent 2 commands in one write, were read in turns, one \
             line from each: next_line returned {:?} for the first and {:?} for the second. \
             The bytes a read brings in past the line belong to that client's connection: \
             leave them in its reader's buffer (read_line does), not in a static or a \
             thread_local that every connection shares",
            got[0],
            got[1]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_reader_moves_between_calls() {
        // What a read brought in past the line stays in the reader, wherever the reader goes.
        let mut reader = client(pieces(&["SET a 1\nGET a\n"]));
        let first = next_line(&mut reader).await.expect("next_line failed");
        let mut moved = Box::new(reader);
        let second = timeout(Duration::from_secs(60), next_line(&mut *moved))
            .await
            .expect("next_line is still waiting, though the client has left")
            .expect("next_line failed");
        assert_eq!(
            [first.as_deref(), second.as_deref()],
            [Some("SET a 1"), Some("GET a")],
            "the client sent \"SET a 1\\nGET a\\n\" in one write, and the reader was moved \
             (into a Box) between the two calls: what a read brings in past the line belongs in \
             the reader's own buffer (read_line leaves it there), not in a static kept by the \
             reader's address"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_left_mid_line_leaves_nothing_behind() {
        // The first client leaves in the middle of "SET b 2...", then a second one connects.
        let first = client(pieces(&["SET a 1\nSET b 2"]));
        let second = client(pieces(&["GET c\n"]));
        lines_from(first).await;
        let got = lines_from(second).await;
        assert_eq!(
            got,
            ["GET c"],
            "a client sent \"SET a 1\\nSET b 2\" and left; then a second client sent \
             \"GET c\\n\", and next_line returned {got:?} for the second. The half line a \
             client left behind goes with its connection: keep what you read in the reader's \
             own buffer or in the call (read_line), not in a static or a thread_local that the \
             next connection finds"
        );
    }

    /// A connection whose first read brings `.0`, and whose next read fails.
    struct FailingRead(Vec<u8>);

    impl tokio::io::AsyncRead for FailingRead {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<io::Result<()>> {
            if self.0.is_empty() {
                return std::task::Poll::Ready(Err(io::Error::other("the network is down")));
            }
            buf.put_slice(&std::mem::take(&mut self.0));
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_read_is_an_error() {
        let mut reader = BufReader::new(FailingRead(b"SET a 1\nSET b 2".to_vec()));
        let first = next_line(&mut reader).await.expect("next_line failed");
        assert_eq!(
            first.as_deref(),
            Some("SET a 1"),
            "a fresh connection brought \"SET a 1\\nSET b 2\", and the first next_line \
             returned {first:?}: a line must hold only what this connection sent"
        );
        let second = next_line(&mut reader).await;
        assert!(
            second.is_err(),
            "the connection brought \"SET a 1\\nSET b 2\" and then its read failed (an error, \
             not a read of 0 bytes), and the second next_line returned {second:?}: pass the \
             error on (`?`), for serve_client to return it. Ok(None) says that the client has \
             gone, which it may not have"
        );
        // The same where a line would begin: nothing of it has come when the read fails.
        let mut reader = BufReader::new(FailingRead(b"SET a 1\n".to_vec()));
        let first = next_line(&mut reader).await.expect("next_line failed");
        assert_eq!(first.as_deref(), Some("SET a 1"));
        let second = next_line(&mut reader).await;
        assert!(
            second.is_err(),
            "the connection brought \"SET a 1\\n\" and then its read failed (an error, not a \
             read of 0 bytes), and the second next_line returned {second:?}: pass the error on \
             (`?`), also when nothing of the next line has come yet. Ok(None) says that the \
             client has gone, which it may not have"
        );
    }

    /// Runs `serve_client` with a fresh store for a client that sends `pieces`, then leaves, and
    /// returns the replies and the store.
    async fn session(pieces: Vec<Vec<u8>>) -> (Vec<String>, HashMap<String, String>) {
        let (client, server) = tokio::io::duplex(128);
        let (from_server, mut to_server) = tokio::io::split(client);
        let server = tokio::spawn(async move {
            let mut store = HashMap::new();
            serve_client(server, &mut store).await.map(|()| store)
        });
        let reading = tokio::spawn(read_replies(BufReader::new(from_server)));
        for piece in pieces {
            to_server.write_all(&piece).await.unwrap();
            sleep(Duration::from_millis(10)).await;
        }
        to_server.shutdown().await.unwrap();
        let store = timeout(Duration::from_secs(60), server)
            .await
            .expect("the client has left, but serve_client did not return")
            .unwrap()
            .expect("serve_client failed");
        (reading.await.unwrap(), store)
    }

    async fn read_replies(from_server: BufReader<ReadHalf<DuplexStream>>) -> Vec<String> {
        let mut lines = from_server.lines();
        let mut replies = Vec::new();
        while let Some(reply) = lines.next_line().await.unwrap() {
            replies.push(reply);
        }
        replies
    }

    #[tokio::test(start_paused = true)]
    async fn a_whole_session() {
        let (replies, store) = session(pieces(&[
            "SET fruit big red ",
            "apple\nGET fruit\nGET ve",
            "g\r\n",
            "DEL fruit\nGET fruit\nFLY away\nSET lonely\n",
            "SET color green\n",
        ]))
        .await;
        assert_eq!(
            replies,
            [
                "OK",
                "VALUE big red apple",
                "NIL",
                "DELETED",
                "NIL",
                "ERR unknown command \"FLY\"",
                "ERR usage: SET key value",
                "OK",
            ],
            "one reply per command, in order"
        );
        assert_eq!(store.get("color").map(String::as_str), Some("green"));
    }

    #[tokio::test(start_paused = true)]
    async fn a_blank_line_gets_its_reply() {
        let (replies, _) = session(pieces(&["\n", "GET a\r\n", "\r\n"])).await;
        assert_eq!(
            replies,
            [
                "ERR unknown command \"\"",
                "NIL",
                "ERR unknown command \"\""
            ],
            "the client sent a blank line, \"GET a\", and another blank line: every line is a \
             command, and gets one reply (a blank line is an unknown command), or the client \
             waits forever for it"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_command_sent_twice_is_answered_twice() {
        let (replies, _) = session(pieces(&[
            "SET a 1\nSET a 1\n",
            "GET a\n",
            "GET a\n",
            "DEL a\nDEL a\n",
        ]))
        .await;
        let expected = ["OK", "OK", "VALUE 1", "VALUE 1", "DELETED", "NIL"];
        let why = if replies == ["OK", "VALUE 1", "DELETED"] {
            "the second of each pair of equal commands got no reply. Every line is a command \
             and gets its reply, also one equal to the line before it (a client may well ask \
             the same thing twice), or the client waits forever for it"
        } else if replies.len() == expected.len() && replies[..5] == expected[..5] {
            "each command runs again on the store, also one equal to the line before it: the \
             second \"DEL a\" finds nothing to delete, so its reply is \"NIL\""
        } else {
            "one reply per command, in order, each from the store as it is then"
        };
        assert_eq!(
            replies, expected,
            "the client sent \"SET a 1\" twice in one write, \"GET a\" twice in two writes, then \
             \"DEL a\" twice in one write, and the replies were {replies:?}: {why}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_leaves_in_the_middle_of_a_command() {
        let (replies, store) = session(pieces(&["SET price 10\n", "SET price 1"])).await;
        assert_eq!(
            replies,
            ["OK"],
            "the client left in the middle of its second SET: that command is unfinished, it \
             gets no reply and does not run"
        );
        assert_eq!(
            store.get("price").map(String::as_str),
            Some("10"),
            "the client left in the middle of its second SET: that command must not run"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn each_command_is_answered_before_the_next_one_comes() {
        // A client that sends one command, waits for its reply, and only then sends the next.
        let (client, server) = tokio::io::duplex(128);
        let (from_server, mut to_server) = tokio::io::split(client);
        let server = tokio::spawn(async move {
            let mut store = HashMap::new();
            serve_client(server, &mut store).await
        });
        let mut replies = BufReader::new(from_server).lines();
        for (command, expected) in [
            ("SET a 1\n", "OK"),
            ("GET a\r\n", "VALUE 1"),
            ("DEL a\n", "DELETED"),
        ] {
            to_server.write_all(command.as_bytes()).await.unwrap();
            let reply = timeout(Duration::from_secs(60), replies.next_line())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "the client sent {command:?} and waits for its reply before it sends \
                         anything else, but no reply came: return each line as soon as its \
                         \"\\n\" has arrived, without reading on until the client leaves \
                         (and if `serve_client` was changed, let it flush its BufWriter after \
                         each reply, as shipped: until then the reply waits in it)"
                    )
                })
                .unwrap();
            assert_eq!(reply.as_deref(), Some(expected), "the reply to {command:?}");
        }
        to_server.shutdown().await.unwrap();
        timeout(Duration::from_secs(60), server)
            .await
            .expect("the client has left, but serve_client did not return")
            .unwrap()
            .expect("serve_client failed");
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_that_is_not_utf8_does_not_crash_the_server() {
        // A client of another encoding: "café" in Latin-1, where "é" is the one byte 0xE9
        // (not UTF-8), between two commands in UTF-8.
        let mut reader = client(vec![b"SET a 1\nSET drink caf\xE9\nGET a\n".to_vec()]);
        let first = next_line(&mut reader).await.expect("next_line failed");
        assert_eq!(
            first.as_deref(),
            Some("SET a 1"),
            "the client sent \"SET a 1\\n\", and next_line returned {first:?}"
        );
        // In a (local) task of its own, so that a panic becomes a clear failure.
        let local = tokio::task::LocalSet::new();
        let second = local.spawn_local(async move { next_line(&mut reader).await });
        let second = local.run_until(second).await;
        assert!(
            second.is_ok(),
            "the client sent \"SET drink caf\" and then the byte 0xE9 (\"é\" in Latin-1, which \
             is not UTF-8) and \"\\n\", and next_line panicked: a client's bytes must never \
             crash the server (in step 1 it serves one client after another, so a panic takes \
             it down for all of them). Return an error instead: `read_line` gives one of kind \
             InvalidData, and `String::from_utf8`'s error can be passed on with `map_err` and \
             `?` (do not `unwrap` or `expect` it)"
        );
    }

    /// Every other test runs next_line on libtest's own thread (named after the test) with a
    /// paused clock; a program runs it on its first thread, named main, on a real clock, and
    /// on main's multi-threaded runtime its tasks run on worker threads. A next_line that reads
    /// whole lines only under the tests shows here: on both kinds of runtime, on a thread named
    /// main, a client sends two commands in pieces 10 ms of real time apart (a one-sided check:
    /// a busy machine may join pieces, never split a line). It gives up waiting after 10 s,
    /// however loaded the machine (the thread left waiting ends with the test program).
    #[test]
    fn a_command_in_pieces_in_a_program_too() {
        for multi_thread in [false, true] {
            let (send, seen) = std::sync::mpsc::channel();
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
                    let lines = runtime.block_on(async {
                        let reader =
                            client(pieces(&["SET pri", "ce 1", "0\r", "\nGET pr", "ice\n"]));
                        // In a task, as a server's clients are: on a worker thread of main's
                        // runtime.
                        tokio::spawn(lines_from(reader)).await
                    });
                    let _ = send.send(lines.map_err(|e| e.is_panic()));
                })
                .unwrap();
            let runtime = if multi_thread {
                "in a task of a multi-threaded runtime, as main's,"
            } else {
                "on a runtime with one thread, on a thread named main,"
            };
            let lines = match seen.recv_timeout(Duration::from_secs(10)) {
                Ok(Ok(lines)) => lines,
                Ok(Err(_)) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!(
                    "{runtime} whose clock runs in real time (every other test pauses Tokio's \
                     clock), next_line panicked on a client that sent \"SET price 10\\r\\n\" \
                     and \"GET price\\n\" in pieces (its message is in the full output)"
                ),
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!(
                    "{runtime} whose clock runs in real time (every other test pauses Tokio's \
                     clock), next_line had not read the 2 commands of a client that sent them in \
                     pieces and left, after 10 s"
                ),
            };
            assert_eq!(
                lines,
                ["SET price 10", "GET price"],
                "{runtime} whose clock runs in real time (every other test pauses Tokio's \
                 clock), a client sent \"SET price 10\\r\\n\" and \"GET price\\n\" in pieces, \
                 10 ms apart, and next_line returned {lines:?}: a program's lines arrive in \
                 pieces too. Return one complete line per call, wherever and however the code \
                 runs (not only where it can tell the tests run it)"
            );
        }
    }
}
