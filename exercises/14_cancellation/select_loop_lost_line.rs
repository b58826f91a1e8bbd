// select_loop_lost_line
//
// `serve` reads commands from a client connection, one per line, and while it waits it sends
// a heartbeat every 100 ms (here it just counts the beats). It runs a `tokio::select!` in a
// loop: one branch reads the next line, the other waits for the next beat.
//
// It works while every line arrives in one piece. But when a client sends half a line and the
// rest only after a beat, the first half disappears: "PUT alpha=1" arrives as "pha=1".
//
// Make `serve` keep every line whole, however it is split, without missing a beat.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

pub const BEAT: Duration = Duration::from_millis(100);

#[derive(Debug, Default)]
pub struct Session {
    pub commands: Vec<String>,
    pub beats: u32,
}

pub async fn serve(conn: impl AsyncRead + Unpin) -> Session {
    let mut reader = BufReader::new(conn);
    let mut heartbeat = tokio::time::interval(BEAT);
    let mut session = Session::default();
    loop {
        let mut line = String::new();
        // TODO: when the heartbeat branch wins, `select!` drops the `read_line` future. What
        // happens to the part of a line that future had already read?
        tokio::select! {
            read = reader.read_line(&mut line) => match read {
                Ok(0) | Err(_) => break,
                Ok(_) => session.commands.push(line.trim_end().to_string()),
            },
            _ = heartbeat.tick() => session.beats += 1,
        }
    }
    session
}

#[tokio::main]
async fn main() {
    let commands: &[u8] = b"PUT alpha=1\nGET alpha\n";
    println!("{:?}", serve(commands).await);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::future::Future;
    use std::time::Duration;
    use tokio::io::{AsyncWriteExt, DuplexStream, duplex};
    use tokio::time::{Instant, sleep};

    /// `future` (a call of serve), stopped with a message once it is polled 20000 times in a row
    /// at one moment of the paused clock: a loop that checks for a line and yields
    /// (`now_or_never` with `yield_now`) never lets the clock move on, and would spin until the
    /// run is killed. The tests send at most 4 KB at one moment, so even a read of one byte per
    /// turn of the loop with a `yield_now` after each turn stays far below the limit.
    async fn guarded<T>(future: impl Future<Output = T>) -> T {
        let mut future = std::pin::pin!(future);
        let (mut moment, mut polls) = (Instant::now(), 0);
        std::future::poll_fn(|cx| {
            if moment != Instant::now() {
                (moment, polls) = (Instant::now(), 0);
            }
            polls += 1;
            assert!(
                polls <= 20_000,
                "serve was polled 20000 times in a row while the paused clock stood still (the \
                 client had sent at most 4 KB by then): it checks for a line in a loop (`now_or_never` with `yield_now`), so neither the \
                 rest of a line nor the next beat can ever come. Await the read and the \
                 heartbeat together in `select!`, with a read that keeps a half-read line \
                 (`lines.next_line()`)"
            );
            future.as_mut().poll(cx)
        })
        .await
    }

    /// Runs `serve` on one end of an in-memory connection while `client` writes to the other
    /// end; the connection closes when `client` returns. Stops the test with a message if
    /// serve has not returned a minute (of the paused clock) after that.
    async fn session_with(client: impl AsyncFnOnce(&mut DuplexStream)) -> Session {
        let (mut client_end, server_end) = duplex(1024);
        let (closed, client_gone) = tokio::sync::oneshot::channel::<()>();
        let client = async move {
            client(&mut client_end).await;
            drop(client_end);
            let _ = closed.send(());
        };
        // How often serve was polled: a serve whose loop goes on after the client has gone is
        // woken by its heartbeat, one that waits for something that never ends is not.
        let polls = std::cell::Cell::new(0u64);
        let serving = async {
            let mut serving = std::pin::pin!(guarded(serve(server_end)));
            std::future::poll_fn(|cx| {
                polls.set(polls.get() + 1);
                serving.as_mut().poll(cx)
            })
            .await
        };
        let session = async { tokio::join!(serving, client).0 };
        let gone_a_minute = async {
            let _ = client_gone.await;
            let before = polls.get();
            sleep(Duration::from_secs(60)).await;
            polls.get() - before
        };
        tokio::select! {
            biased;
            session = session => session,
            woken = gone_a_minute => {
                if woken >= 100 {
                    panic!(
                        "the client closed the connection, and a minute later (on the test's \
                         paused clock) serve had still not returned, though it was woken {woken} \
                         times in that minute (by its heartbeat): its loop went on after the end \
                         of the connection. It must return as soon as the client has gone. In \
                         `select!`, a branch whose pattern does not match (`Ok(Some(line)) = \
                         lines.next_line()`, or `Some(..) = stream.next()`, at the end) is only \
                         left out of that turn, and `else` runs only once every branch is left \
                         out, which the heartbeat's never is: take the end in the read's branch \
                         (`Ok(None)`, `None`) and break the loop there. (Or does the loop wait \
                         for something that never ends, such as a channel whose sender is still \
                         held, a clone of it kept by serve itself?)"
                    )
                }
                panic!(
                    "the client closed the connection, and a minute later (on the test's paused \
                     clock) serve had still not returned: it must return as soon as the client \
                     has gone. Does serve wait for something that never ends, such as a channel \
                     whose sender is still held (a clone of it kept by serve itself)?"
                )
            }
        }
    }

    /// The beats serve counts in a quiet session of 50 ms: 1 if its first beat is at once, 0 if
    /// it is one period in. Either schedule is fine, as long as every later beat is on time: the
    /// tests below expect the beats after the first one every 100 ms, plus this one.
    async fn beats_at_the_start() -> u32 {
        let session = session_with(async |_conn| sleep(Duration::from_millis(50)).await).await;
        assert!(
            session.beats <= 1,
            "in a session of 50 ms in which the client sent nothing, serve counted {} beats, but \
             a beat is due every 100 ms: at most one in 50 ms (at 0 ms, if the first beat comes \
             at once)",
            session.beats
        );
        session.beats
    }

    /// What a session of `ms` ms (over 100) with `beats` beats says about the beat, when one is
    /// due every 100 ms and `first` of them at 0 ms: the message's end.
    fn beats_seen(ms: u64, beats: u32, first: u32) -> String {
        let expected = (ms / 100) as u32 + first;
        let schedule = if first == 1 {
            "at 0 ms (as serve does: it beat once in a quiet session of 50 ms) and then every \
             100 ms"
        } else {
            "every 100 ms from 100 ms on (as serve does: it did not beat in a quiet session of \
             50 ms)"
        };
        let what = if beats < expected {
            "beats were missed: keep one heartbeat that ticks every 100 ms whatever else \
             happens, one that a line coming in does not put off"
        } else {
            "serve counted beats at moments when none was due: count a beat only when the \
             heartbeat (one `interval` for the whole session) ticks"
        };
        format!(
            "the session was open for {ms} ms, so with a beat {schedule} it should have beaten \
             {expected} times, but serve counted {beats}: {what}"
        )
    }

    #[tokio::test(start_paused = true)]
    async fn whole_lines_become_commands() {
        let session = session_with(async |conn| {
            conn.write_all(b"PUT alpha=1\nGET alpha\n").await.unwrap();
            conn.write_all(b"DEL alpha\n").await.unwrap();
        })
        .await;
        assert_eq!(
            session.commands,
            ["PUT alpha=1", "GET alpha", "DEL alpha"],
            "every line sent must become one command, without its newline"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_cut_by_a_heartbeat_stays_whole() {
        // (sent before the beat, sent after it, the commands due). The cut falls in the first
        // line, in a later one, and inside a character of two bytes ("é" is C3 A9 in UTF-8).
        let cases: [(&[u8], &[u8], &[&str]); 3] = [
            (
                b"PUT al",
                b"pha=1\nGET alpha\n",
                &["PUT alpha=1", "GET alpha"],
            ),
            (b"GET a\nPUT be", b"ta=2\n", &["GET a", "PUT beta=2"]),
            (b"PUT caf\xC3", b"\xA9\n", &["PUT caf\u{e9}"]),
        ];
        for (before, after, expected) in cases {
            a_line_cut_by_a_heartbeat_is_kept(before, after, expected).await;
        }
    }

    async fn a_line_cut_by_a_heartbeat_is_kept(before: &[u8], after: &[u8], expected: &[&str]) {
        let session = session_with(async |conn| {
            conn.write_all(before).await.unwrap();
            // A beat falls between the two halves of the line.
            sleep(Duration::from_millis(150)).await;
            conn.write_all(after).await.unwrap();
        })
        .await;
        // The part of the cut line that came after the beat.
        let tail = String::from_utf8_lossy(after.split(|b| *b == b'\n').next().unwrap());
        let seen = if session.commands.iter().any(|c| *c == tail) {
            "the first half of the line was lost. When the beat comes first, the read future is \
             dropped (by `select!`, or by a `timeout`), and whatever that future had read so far \
             is dropped with it, unless the read is cancel safe. Read the lines with something \
             that keeps a half-read line between turns of the loop (for every line, not only \
             the first)"
        } else if session.commands.iter().any(|c| c.contains('\u{fffd}')) {
            "a character cut in two by the beat became U+FFFD (\u{fffd}): the bytes that came \
             before the beat were turned into text on their own, and half a character is no \
             text. Keep the bytes of a line until it is whole, then make it a String (as \
             `lines().next_line()` does)"
        } else {
            "every line sent must become one command, without its newline, however it is split"
        };
        assert_eq!(
            session.commands,
            expected,
            "\"{}\" and then, after a heartbeat, \"{}\" must make the commands {expected:?}: \
             {seen}",
            before.escape_ascii(),
            after.escape_ascii()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_line_stays_whole() {
        // 210 KB in 70 parts of 3 KB, a beat between each two: longer than any buffer of a
        // fixed size that a line of this protocol could need. (Not more: a server that searches
        // all it holds for a newline after each read takes a time that grows with the square
        // of the line.)
        let first = format!("PUT note={}", "x".repeat(3000 - 9));
        let parts: Vec<String> = std::iter::once(first)
            .chain((1..70).map(|n| char::from(b'a' + (n % 26) as u8).to_string().repeat(3000)))
            .collect();
        let total: usize = parts.iter().map(String::len).sum();
        let start = Instant::now();
        // What holds a line back, besides its length: it takes 10.5 s to arrive.
        let limits = "A limit on a line's length is fine if it allows at least 210 KB, and \
                      whatever limits time must let this line take its 10.5 s (70 parts, 150 ms \
                      apart, a beat between each two: a slow client, still there)";
        let session = session_with(async |conn| {
            let mut sent = 0;
            for part in &parts {
                if let Err(e) = conn.write_all(part.as_bytes()).await {
                    panic!(
                        "the reader stopped reading in the middle of a {total}-byte line \
                         (\"PUT note=xxx...\", about 210 KB): {:.2} s into the session, after \
                         {sent} of its bytes had been sent, the client found the connection \
                         closed ({e}). {limits}",
                        start.elapsed().as_secs_f64()
                    );
                }
                sent += part.len();
                sleep(Duration::from_millis(150)).await;
            }
            if let Err(e) = conn.write_all(b"\nGET note\n").await {
                panic!(
                    "the reader stopped reading at the end of a {total}-byte line (\"PUT \
                     note=xxx...\", about 210 KB): {:.2} s into the session, when all of it \
                     had been sent, the client found the connection closed ({e}) before it \
                     could send the line's newline and \"GET note\". {limits}",
                    start.elapsed().as_secs_f64()
                );
            }
        })
        .await;
        let whole = parts.concat();
        let lengths: Vec<usize> = session.commands.iter().map(String::len).collect();
        let seen = match session.commands.first() {
            Some(got) if session.commands.len() == 2 && got.is_empty() => {
                "the first command was empty: every byte of the line was lost".to_string()
            }
            Some(got) if session.commands.len() == 2 && whole.ends_with(got.as_str()) => format!(
                "the first command was the line's last {} bytes: its first {} were lost",
                got.len(),
                whole.len() - got.len()
            ),
            Some(got) if session.commands.len() == 2 && whole.starts_with(got.as_str()) => {
                format!(
                    "the first command was the line's first {} bytes: the other {} were lost",
                    got.len(),
                    whole.len() - got.len()
                )
            }
            _ => {
                let shown: Vec<String> = lengths.iter().take(5).map(usize::to_string).collect();
                match lengths.len() {
                    0 => "serve made no command at all".to_string(),
                    n @ 1..=5 => {
                        format!("serve made {n} command(s), of {} bytes", shown.join(", "))
                    }
                    n => format!(
                        "serve made {n} commands, the first five of {} bytes",
                        shown.join(", ")
                    ),
                }
            }
        };
        assert!(
            session.commands == [whole.as_str(), "GET note"],
            "a line of {} bytes (\"PUT note=xxx...\"), sent in 70 parts with a beat between \
             each two, then \"GET note\", must make 2 commands, the first one whole; {seen}. \
             Keep every byte of a line across the beats, however long the line: a read that \
             `select!` drops loses what it had read unless it is cancel safe (`read_line` is \
             not; `lines.next_line()` is), and whatever holds the line must grow with it",
            whole.len()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_heartbeat_goes_on_while_a_line_trickles_in() {
        let first = beats_at_the_start().await;
        let session = session_with(async |conn| {
            for part in [&b"SHU"[..], b"TD", b"OWN", b" now\n"] {
                conn.write_all(part).await.unwrap();
                sleep(Duration::from_millis(120)).await;
            }
        })
        .await;
        assert_eq!(
            session.commands,
            ["SHUTDOWN now"],
            "a line sent in 4 parts, with heartbeats in between, must make one command: the \
             parts a dropped read future had read must not be lost"
        );
        assert!(
            session.beats == 4 + first,
            "a line came in 4 parts, 120 ms apart; {}",
            beats_seen(480, session.beats, first)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_busy_client_does_not_hold_up_the_heartbeat() {
        let first = beats_at_the_start().await;
        let session = session_with(async |conn| {
            // A whole line every 70 ms, more often than the 100 ms beat.
            for n in 1..=7 {
                sleep(Duration::from_millis(70)).await;
                conn.write_all(format!("GET key{n}\n").as_bytes())
                    .await
                    .unwrap();
            }
        })
        .await;
        assert_eq!(session.commands.len(), 7, "7 lines were sent: {session:?}");
        assert!(
            session.beats == 4 + first,
            "a whole line came every 70 ms, more often than the beat; {}",
            beats_seen(490, session.beats, first)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn serve_wakes_up_for_each_beat_while_half_a_line_waits() {
        let first = beats_at_the_start().await;
        let (mut client_end, server_end) = duplex(1024);
        // The moments (of the paused clock) at which serve has run (been polled): a `yield_now`
        // runs it twice at one moment, a timer at a moment of its own.
        let moments = RefCell::new(Vec::new());
        let mut serving = std::pin::pin!(guarded(serve(server_end)));
        let serving = std::future::poll_fn(|cx| {
            let now = Instant::now();
            if moments.borrow().last() != Some(&now) {
                moments.borrow_mut().push(now);
            }
            serving.as_mut().poll(cx)
        });
        let client = async {
            client_end.write_all(b"PI").await.unwrap();
            // Half a line waits a second (from 50 ms to 1050 ms) for the rest: the beats due
            // at 100, 200, ..., 1000 ms fall meanwhile.
            sleep(Duration::from_millis(1050)).await;
            client_end.write_all(b"NG\n").await.unwrap();
            drop(client_end);
        };
        let start = Instant::now();
        let (session, ()) = tokio::join!(serving, client);
        let ended = start.elapsed();
        // The moments strictly between 50 ms and 1050 ms, in ms from the start.
        let during: Vec<u128> = moments
            .borrow()
            .iter()
            .map(|m| (*m - start).as_millis())
            .filter(|ms| (51..1050).contains(ms))
            .collect();
        let missed: Vec<u128> = (1..=10)
            .map(|n| n * 100)
            .filter(|ms| !during.contains(ms))
            .collect();
        let others: Vec<u128> = during.iter().copied().filter(|ms| ms % 100 != 0).collect();
        assert_eq!(
            session.commands,
            ["PING"],
            "\"PI\" then \"NG\\n\" make one command"
        );
        assert_eq!(
            ended,
            Duration::from_millis(1050),
            "the rest of the line (\"NG\\n\") came after 1050 ms and the client hung up at \
             once, but serve returned after {ended:?}: it must take each line, and see the \
             end of the connection, as soon as they come, not only when the heartbeat ticks \
             (lines read only at the beats wait up to 100 ms). Wait for the next line and the \
             next beat together in the select"
        );
        let ran = if others.is_empty() {
            format!("serve ran at only {} moment(s)", during.len())
        } else {
            let shown: Vec<String> = others.iter().take(5).map(|ms| format!("{ms} ms")).collect();
            format!(
                "serve ran at {} moment(s), {} of them when no beat was due (the first: {})",
                during.len(),
                others.len(),
                shown.join(", ")
            )
        };
        assert!(
            missed.is_empty(),
            "while half a line (\"PI\") waited a second for the rest, a beat was due every 100 \
             ms (at 100, 200, ..., 1000 ms), but {ran}, and not at {missed:?} ms, when beats \
             were due: each beat must go out when it is due. Keep the heartbeat branch (one \
             `interval` of 100 ms for the whole session) in the select while a line is on its \
             way (beats counted afterwards, or caught up later, were not sent on time; beats \
             counted by a task of their own are not serve's, and cannot go out on its \
             connection)"
        );
        assert!(
            session.beats == 10 + first,
            "\"PI\" waited a second for \"NG\\n\"; {}",
            beats_seen(1050, session.beats, first)
        );
        assert!(
            others.len() <= 25,
            "while half a line (\"PI\") waited a second for the rest, serve ran at each of \
             the 10 beats due, but also at {} other moments of that second, more often than \
             once every 40 ms: it woke up on a timer of its own, faster than every 40 ms. A \
             progress message on a timer of its own is fine every 40 ms or slower (or print \
             it in the heartbeat's branch, once a beat); otherwise let serve sleep until the \
             next beat or the next line",
            others.len()
        );
    }

    /// A client that says "PING" and then nothing for half an hour is still there, and so is its
    /// connection: the heartbeat is what keeps a quiet connection open. (The half hour costs
    /// little real time: the clock is paused, and jumps from beat to beat.)
    #[tokio::test(start_paused = true)]
    async fn a_quiet_client_is_not_a_gone_one() {
        let first = beats_at_the_start().await;
        // Half an hour and 50 ms: the last beat, at 1800 s, comes before "PONG", not with it.
        let silence = Duration::from_millis(1_800_050);
        let (mut client_end, server_end) = duplex(1024);
        let start = Instant::now();
        let serving = async {
            let session = guarded(serve(server_end)).await;
            (session, start.elapsed())
        };
        let client = async {
            client_end.write_all(b"PING\n").await.unwrap();
            sleep(silence).await;
            let pong = client_end.write_all(b"PONG\n").await;
            drop(client_end);
            pong
        };
        let ((session, returned), pong) = tokio::join!(serving, client);
        if returned < silence {
            let saw = match pong {
                Err(e) => format!(
                    "when the client sent \"PONG\" after its silence, it found the connection \
                     closed ({e})"
                ),
                Ok(()) => "the client's \"PONG\", sent after its silence, went into a \
                           connection that nobody read any more"
                    .to_string(),
            };
            panic!(
                "the client sent \"PING\", then nothing for half an hour (1800.05 s, connected \
                 all the while), then \"PONG\", and hung up; but serve returned {:.1} s into the \
                 session, during that silence, with the commands {:?}: {saw}. A quiet client is \
                 not a gone one (the heartbeat is there to keep a quiet connection open): serve \
                 until the client closes the connection",
                returned.as_secs_f64(),
                session.commands
            );
        }
        assert_eq!(
            session.commands,
            ["PING", "PONG"],
            "the client sent \"PING\", then nothing for half an hour, then \"PONG\", and hung \
             up: every line sent must become one command"
        );
        assert!(
            session.beats == 18_000 + first,
            "the client was quiet for half an hour between \"PING\" and \"PONG\"; {}",
            beats_seen(1_800_050, session.beats, first)
        );
    }

    /// A serve that reads the whole connection into a buffer of its own (`read_to_end`, which
    /// keeps what it read when `select!` or `timeout` drops it) and cuts it into lines only once
    /// the client has gone, or at each beat, keeps every line whole too, but takes no command
    /// the moment it comes. Here the client sends 200 commands between two beats and waits: by
    /// then each must be a `String` of its own.
    #[test]
    fn commands_are_taken_while_the_client_is_still_there() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("could not build a runtime");
        let (mut client, server_end) = duplex(64 * 1024);
        let sent: String = (0..200).map(|i| format!("PUT key{i}=value{i}\n")).collect();
        let mut serving = Box::pin(guarded(serve(server_end)));
        // Heap blocks made while serve runs alone for 30 ms, then the commands come in and serve
        // waits 50 ms more (the next beat is due at 100 ms), and still held then: one per
        // command, plus a few for serve's reader and heartbeat.
        let held = allocation_counter::measure(|| {
            runtime.block_on(async {
                for wait in [30, 50] {
                    if wait == 50 {
                        client.write_all(sent.as_bytes()).await.unwrap();
                    }
                    let waiting =
                        tokio::time::timeout(Duration::from_millis(wait), serving.as_mut());
                    assert!(
                        waiting.await.is_err(),
                        "serve returned while the client was still connected: it must go on \
                         until the client closes the connection"
                    );
                }
            });
        })
        .count_current;
        drop(client);
        let session = runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(60), serving).await })
            .expect(
                "the client closed the connection, and a minute later (on the test's paused \
                 clock) serve had still not returned: it must return as soon as the client has \
                 gone. Does serve wait for something that never ends, such as a channel whose \
                 sender is still held (a clone of it kept by serve itself)?",
            );
        assert_eq!(
            session.commands.len(),
            200,
            "the client sent 200 commands, and serve returned {} of them",
            session.commands.len()
        );
        assert!(
            held >= 200,
            "the client sent 200 commands 30 ms into the session and then waited, and 50 ms \
             later (before the next beat) serve held only {held} heap blocks made meanwhile: \
             fewer than one per command, so it had not made commands of them yet. A server \
             must take each line as it comes, not when the heartbeat ticks, nor once the client \
             has gone: read with a cancel safe method that keeps a half line \
             (lines().next_line(), or read_until into a buffer that outlives the loop) in the \
             select, beside the heartbeat"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_repeated_command_is_kept_each_time() {
        let session = session_with(async |conn| {
            conn.write_all(b"INCR hits\nINCR hits\n").await.unwrap();
            // The same command once more, after a beat.
            sleep(Duration::from_millis(150)).await;
            conn.write_all(b"INCR hits\nGET hits\n").await.unwrap();
        })
        .await;
        assert_eq!(
            session.commands,
            ["INCR hits", "INCR hits", "INCR hits", "GET hits"],
            "the client sent \"INCR hits\" twice in a row, then once more after a beat, and \
             serve took the commands {:?}: every line sent must become a command, repeats too \
             (3 INCRs add 3). Push each line read, without comparing it with the one before",
            session.commands
        );
    }
    #[tokio::test(start_paused = true)]
    async fn a_command_sent_a_thousand_times_is_kept_each_time() {
        let session = session_with(async |conn| {
            // "INCR hits" 1000 times, 100 lines at a time, with a beat between each two parts.
            for _ in 0..10 {
                conn.write_all("INCR hits\n".repeat(100).as_bytes())
                    .await
                    .unwrap();
                sleep(Duration::from_millis(150)).await;
            }
            conn.write_all(b"GET hits\n").await.unwrap();
        })
        .await;
        let incrs = session
            .commands
            .iter()
            .filter(|c| *c == "INCR hits")
            .count();
        let others: Vec<&String> = session
            .commands
            .iter()
            .filter(|c| *c != "INCR hits")
            .collect();
        assert!(
            incrs == 1000 && others == ["GET hits"],
            "the client sent \"INCR hits\" 1000 times (100 lines at a time, a beat between each \
             two parts), then \"GET hits\", and serve took {incrs} \"INCR hits\" and, besides, \
             the commands {others:?}: every line sent must become a command, however often it \
             repeats (1000 INCRs add 1000). Push each line read, without a limit on repeats"
        );
    }

    /// A long session: 50 000 short lines on one connection (500 at a time, 10 ms apart), all
    /// kept. Code that handles each event with one more level of calls (an async fn that calls
    /// itself, boxed, for the rest of the session) nests deeper with every line and beat until
    /// the thread's stack overflows and the whole server aborts: if this test crashes with
    /// "has overflowed its stack", handle the events in a loop instead.
    #[tokio::test(start_paused = true)]
    async fn fifty_thousand_lines_in_one_session_do_not_overflow_the_stack() {
        let session = session_with(async |conn| {
            for _ in 0..100 {
                conn.write_all("a\n".repeat(500).as_bytes()).await.unwrap();
                sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        let kept = session.commands.len();
        let others = session.commands.iter().filter(|c| *c != "a").count();
        assert!(
            kept == 50_000 && others == 0,
            "the client sent the line \"a\" 50 000 times (500 lines at a time, 10 ms apart), \
             and serve took {kept} commands, {others} of them not \"a\": every line sent must \
             become a command"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_that_is_not_utf8_does_not_crash_serve() {
        // A client of another encoding: "café" in Latin-1, where "é" is the one byte 0xE9
        // (not UTF-8), after a command in UTF-8.
        let local = tokio::task::LocalSet::new();
        // In a (local) task of its own, so that a panic becomes a clear failure.
        let session = local.spawn_local(session_with(async |conn| {
            conn.write_all(b"PUT alpha=1\n").await.unwrap();
            sleep(Duration::from_millis(10)).await;
            let _ = conn.write_all(b"PUT drink=caf\xE9\nGET alpha\n").await;
            sleep(Duration::from_millis(10)).await;
        }));
        let session = local.run_until(session).await.unwrap_or_else(|e| {
            let Ok(payload) = e.try_into_panic() else {
                panic!("the session's task was cancelled")
            };
            let said = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or_default();
            // The tests' own guards (a serve that never returns, or spins) say so themselves.
            if said.starts_with("the client closed the connection, and a minute later")
                || said.starts_with("serve was polled 20000 times")
            {
                std::panic::resume_unwind(payload)
            }
            let e = format!("with the message {said:?}");
            panic!(
                "the client sent \"PUT alpha=1\\n\", then \"PUT drink=caf\" with the byte 0xE9 \
                 (\"é\" in Latin-1, which is not UTF-8) and \"\\n\", and serve panicked ({e}): \
                 a client's bytes must never crash the server. Decode a line once it is whole \
                 without `unwrap` or `expect` (`String::from_utf8_lossy`), or end the session \
                 on the error, as a failed read does (`lines.next_line()` gives an `Err` of kind \
                 InvalidData)"
            )
        });
        assert_eq!(
            session.commands.first().map(String::as_str),
            Some("PUT alpha=1"),
            "the client sent \"PUT alpha=1\\n\" before a line that is not UTF-8, and serve took \
             the commands {:?}: a line that came whole before is a command",
            session.commands
        );
    }

    /// Two sessions at once, on one thread (as a server on a runtime of one thread serves its
    /// clients), each with a line cut by a beat: each session keeps its own half line.
    #[tokio::test(start_paused = true)]
    async fn two_sessions_at_once_keep_their_own_half_lines() {
        let first = session_with(async |conn| {
            conn.write_all(b"PUT al").await.unwrap();
            sleep(Duration::from_millis(150)).await;
            conn.write_all(b"pha=1\n").await.unwrap();
        });
        let second = session_with(async |conn| {
            conn.write_all(b"GET be").await.unwrap();
            sleep(Duration::from_millis(150)).await;
            conn.write_all(b"ta\n").await.unwrap();
        });
        let (first, second) = tokio::join!(first, second);
        let mixed = first.commands.iter().any(|c| c.contains("GET be"))
            || second.commands.iter().any(|c| c.contains("PUT al"));
        let why = if mixed {
            "a command of one client holds half a line of the other: each session must keep its \
             own half line, in serve (a local buffer, or the reader it owns), not in a `static` \
             or `thread_local!` that every session served on the thread shares"
        } else if first.commands == ["pha=1"] || second.commands == ["ta"] {
            "the first half of a line was lost when the beat came: read the lines with \
             something that keeps a half-read line between turns of the loop"
        } else {
            "each session must take the lines its own client sent, whole"
        };
        assert!(
            first.commands == ["PUT alpha=1"] && second.commands == ["GET beta"],
            "two clients were served at once, on one thread, each sending half a line and the \
             rest after a beat: one \"PUT al\" then \"pha=1\\n\", the other \"GET be\" then \
             \"ta\\n\". Their sessions took the commands {:?} and {:?}, where [\"PUT alpha=1\"] \
             and [\"GET beta\"] were due: {why}",
            first.commands,
            second.commands
        );
    }
}
