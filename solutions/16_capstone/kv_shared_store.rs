// kv_shared_store
//
// The key-value server, step 2: many clients over TCP, one store. (The protocol is in step 1,
// `kv_read_command`, and `next_line` is its solution.) `serve` accepts clients on a
// `TcpListener` and serves each one in a task of its own; all of them share one `Store`, so what
// one client SETs, the others GET.
//
// It does not compile: "future cannot be sent between threads safely". `handle_client` keeps the
// store's `MutexGuard` alive across the `.await` that writes the reply, and `tokio::spawn` needs
// a future that can move between threads. Holding it there would also be slow: a client that
// reads its replies slowly would keep the whole store locked, and every other client waiting.
//
// Release the lock before writing the reply. Keep one store shared by every client.

use std::collections::HashMap;
use std::io;

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

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

/// The store every client shares.
pub type Store = Arc<Mutex<HashMap<String, String>>>;

/// The client's next complete line, without its "\n" or "\r\n"; `None` once the client has gone.
pub async fn next_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> io::Result<Option<String>> {
    let mut line = String::new();
    // Reads up to and including the next "\n", however many reads that takes, and leaves what
    // follows in the reader's buffer for the next call.
    reader.read_line(&mut line).await?;
    if !line.ends_with('\n') {
        // The end of the stream: nothing more, or an unfinished line that must not run.
        return Ok(None);
    }
    line.pop();
    if line.ends_with('\r') {
        line.pop();
    }
    Ok(Some(line))
}

/// Serves one client until it goes away, on the shared store.
pub async fn handle_client<S>(stream: S, store: Store) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (reader, mut writer) = tokio::io::split(stream);
    let mut reader = BufReader::new(reader);
    while let Some(line) = next_line(&mut reader).await? {
        // The guard lives only in this block: the lock is released before the `.await` below,
        // however long the client takes to read its reply.
        let reply = {
            let mut map = store.lock().unwrap();
            match parse(&line) {
                Ok(command) => execute(&mut map, command),
                Err(e) => format!("ERR {e}"),
            }
        };
        writer.write_all(format!("{reply}\n").as_bytes()).await?;
    }
    Ok(())
}

/// Accepts clients forever; each one is served by a task of its own, on the same store.
pub async fn serve(listener: TcpListener, store: Store) -> io::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            if let Err(e) = handle_client(socket, store).await {
                eprintln!("a client failed: {e}");
            }
        });
    }
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    // Try it with `nc 127.0.0.1 PORT` (or `telnet`) in two terminals; Ctrl-C to stop.
    println!("listening on {}", listener.local_addr()?);
    serve(listener, Store::default()).await
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
    use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::time::{sleep, timeout};

    /// Hang guard only: on loopback, every reply comes in far less than this.
    const PATIENCE: Duration = Duration::from_secs(5);

    /// What a client that got no reply, and waits for one before it sends anything more, asks
    /// (a handler that holds its replies back waits for the next command meanwhile).
    const HELD_BACK: &str = "does the reply wait in a BufWriter that is not flushed before the \
                             handler waits for the next command? Flush it after each reply (or \
                             whenever its BufReader holds no whole command)";

    /// What a SET answered "OK" and then not seen by the GET of its key right after it, on the
    /// same connection, shows.
    const SET_ANSWERED_FIRST: &str = "the SET was answered \"OK\", and the GET of the same key \
                                      right after it, on the same connection, found no value: \
                                      the SET was answered before it changed the store. Apply \
                                      each command to the store before replying to it";

    /// For a message about a reply awaited with `timeout`: what a wait that ran out shows.
    fn if_none_came<T>(reply: &Result<T, tokio::time::error::Elapsed>) -> String {
        match reply {
            Err(_) => format!(
                " (no reply came while the client waited for it, sending nothing more: \
                 {HELD_BACK})"
            ),
            Ok(_) => String::new(),
        }
    }

    async fn start_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, Store::default()));
        address
    }

    struct Client {
        replies: Lines<BufReader<OwnedReadHalf>>,
        writer: OwnedWriteHalf,
        name: String,
        /// The last command answered on this connection.
        last: Option<String>,
    }

    impl Client {
        async fn connect(address: SocketAddr, name: &str) -> Client {
            let socket = timeout(PATIENCE, TcpStream::connect(address))
                .await
                .expect("connecting to the server took too long")
                .expect("could not connect to the server");
            let (reader, writer) = socket.into_split();
            Client {
                replies: BufReader::new(reader).lines(),
                writer,
                name: name.to_string(),
                last: None,
            }
        }

        async fn send(&mut self, command: &str) -> String {
            self.writer
                .write_all(format!("{command}\n").as_bytes())
                .await
                .expect("sending to the server failed");
            let repeated = self.last.as_deref() == Some(command);
            self.last = Some(command.to_string());
            match timeout(PATIENCE, self.replies.next_line()).await {
                Ok(Ok(Some(reply))) => reply,
                Ok(Ok(None)) => panic!("{}: the server hung up on {command:?}", self.name),
                Ok(Err(e)) => panic!(
                    "{}: reading the reply to {command:?} failed: {e}",
                    self.name
                ),
                Err(_) if repeated => panic!(
                    "{}: no reply to {command:?}, the same command as the one before it (which \
                     was answered): every command gets its reply, also one equal to the one \
                     before it (a client may well ask the same thing twice)",
                    self.name
                ),
                Err(_) => panic!(
                    "{}: no reply to {command:?} in 5 s. Is another client keeping the server \
                     busy? Each client needs its own task. (Or {HELD_BACK})",
                    self.name
                ),
            }
        }
    }

    #[tokio::test]
    async fn clients_share_one_store() {
        let address = start_server().await;
        let mut alice = Client::connect(address, "alice").await;
        let mut bob = Client::connect(address, "bob").await;
        assert_eq!(alice.send("SET color deep blue").await, "OK");
        assert_eq!(
            bob.send("GET color").await,
            "VALUE deep blue",
            "alice SET color, so bob must GET it: every client works on the same store (clone \
             the Arc that points to it, not the map inside)"
        );
        assert_eq!(bob.send("DEL color").await, "DELETED");
        assert_eq!(
            alice.send("GET color").await,
            "NIL",
            "bob deleted color, so alice must not find it any more"
        );
    }

    #[tokio::test]
    async fn a_change_by_another_client_is_seen_at_once() {
        let address = start_server().await;
        let mut alice = Client::connect(address, "alice").await;
        let mut bob = Client::connect(address, "bob").await;
        let steps = [
            ("alice", "SET mood calm", "OK"),
            ("bob", "GET mood", "VALUE calm"),
            ("alice", "SET mood busy", "OK"),
            ("bob", "GET mood", "VALUE busy"),
            ("alice", "DEL mood", "DELETED"),
            ("bob", "GET mood", "NIL"),
            ("alice", "SET mood calm", "OK"),
            ("bob", "GET mood", "VALUE calm"),
        ];
        for (who, command, want) in steps {
            let client = if who == "alice" { &mut alice } else { &mut bob };
            let got = client.send(command).await;
            assert_eq!(
                got, want,
                "{who} sent {command:?} and got {got:?}, not {want:?}. Alice changes mood \
                 between bob's GETs here: a GET answered from what the client read before (a \
                 cache of its own?) misses the change. Every command must work on the one \
                 shared store"
            );
        }
    }

    #[tokio::test]
    async fn a_quiet_client_does_not_block_the_others() {
        let address = start_server().await;
        let mut quiet = Client::connect(address, "the quiet client").await;
        assert_eq!(quiet.send("SET a 1").await, "OK");
        // The quiet client stays connected and says nothing for now.
        let mut other = Client::connect(address, "the other client").await;
        assert_eq!(
            other.send("GET a").await,
            "VALUE 1",
            "the quiet client SET a: every client works on the same store"
        );
        assert_eq!(quiet.send("GET a").await, "VALUE 1");
    }

    #[tokio::test]
    async fn twenty_clients_at_once() {
        let address = start_server().await;
        let mut clients = Vec::new();
        for n in 0..20 {
            clients.push(tokio::spawn(async move {
                let mut client = Client::connect(address, &format!("client {n}")).await;
                assert_eq!(client.send(&format!("SET key{n} value {n}")).await, "OK");
                assert_eq!(
                    client.send(&format!("GET key{n}")).await,
                    format!("VALUE value {n}")
                );
            }));
        }
        for client in clients {
            client.await.unwrap();
        }
        let mut last = Client::connect(address, "the last client").await;
        for n in 0..20 {
            assert_eq!(
                last.send(&format!("GET key{n}")).await,
                format!("VALUE value {n}"),
                "every client's SET must be in the one shared store"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_does_not_read_its_replies() {
        // In-memory connections, so that the test knows exactly when a pipe is full.
        let store = Store::default();
        let (mut slow, slow_server) = tokio::io::duplex(64);
        tokio::spawn(handle_client(slow_server, Arc::clone(&store)));
        let big = "x".repeat(1000);
        // The replies to 20 GETs of a missing key are 80 bytes, and the pipe back holds 64: its
        // handler waits until the slow client reads, which it does not do for now. The test
        // sleeps 1 ms of the paused clock, once every task waits.
        let misses = "GET missing\n".repeat(20);
        slow.write_all(format!("SET big {big}\n{misses}GET big\n").as_bytes())
            .await
            .unwrap();
        sleep(Duration::from_millis(1)).await;

        let (fast, fast_server) = tokio::io::duplex(4096);
        let fast_handler = tokio::spawn(handle_client(fast_server, Arc::clone(&store)));
        let (from_server, mut to_server) = tokio::io::split(fast);
        let mut replies = BufReader::new(from_server).lines();
        let asked = tokio::time::Instant::now();
        to_server
            .write_all(b"SET small 1\nGET big\n")
            .await
            .unwrap();
        let reply = timeout(Duration::from_secs(60), replies.next_line()).await;
        let waited = asked.elapsed();
        let reply = match reply {
            Ok(Ok(Some(reply))) => reply,
            Err(_) => panic!(
                "one client does not read its replies, and another client got no reply in 60 s \
                 of the paused clock (which jumps ahead whenever every task waits): the store \
                 stays locked while the first client's handler waits to write, or the handler \
                 waits for a thread of its own, which the paused clock does not wait for (use \
                 `spawn_blocking`). Take what you need from the map, release the lock, then \
                 write. (Or, if every reply is short and no pipe is full: {HELD_BACK})"
            ),
            Ok(other) => {
                // The connection ended (or failed) instead: say how its handler ended.
                let ended = if fast_handler.is_finished() {
                    format!(
                        ", and its handle_client ended with {:?}",
                        fast_handler.await
                    )
                } else {
                    String::new()
                };
                panic!(
                    "one client does not read its replies, and another client's connection \
                     ended before the reply to \"SET small 1\" ({other:?}){ended}: \
                     handle_client serves a client until it leaves, on any runtime (the tests \
                     run it on a current-thread one)"
                );
            }
        };
        assert_eq!(reply, "OK");
        assert!(
            waited.is_zero(),
            "one client does not read its replies (they are short, 4 bytes each), and another \
             client's \"SET small 1\" was answered only after {waited:?} of the paused clock, \
             where it is answered at once: the store stayed locked while the first client's \
             handler waited to write, until a timer let it go. Release the lock before every \
             write, however short the reply or the time limit"
        );
        let reply = replies.next_line().await.unwrap();
        assert!(
            reply == Some(format!("VALUE {big}")),
            "the slow client SET big (1000 bytes), so the other client must GET it: every \
             client works on the same store"
        );

        // The slow client reads its replies at last: both must come, whole.
        let mut slow_replies = BufReader::new(slow).lines();
        let mut expected_replies = vec![("OK".to_string(), "OK")];
        expected_replies.extend((0..20).map(|_| ("NIL".to_string(), "NIL")));
        expected_replies.push((format!("VALUE {big}"), "VALUE x…"));
        for (n, (expected, shown)) in expected_replies.into_iter().enumerate() {
            let reply = timeout(Duration::from_secs(60), slow_replies.next_line()).await;
            if (2..=20).contains(&n)
                && matches!(&reply, Ok(Ok(Some(reply))) if *reply == format!("VALUE {big}"))
            {
                panic!(
                    "the slow client read its replies at last: \"OK\", {} \"NIL\" for its 20 \
                     \"GET missing\" (each the same command as the one before it), then the \
                     reply to \"GET big\": every command gets its reply, also one equal to the \
                     one before it",
                    n - 1
                );
            }
            assert!(
                matches!(&reply, Ok(Ok(Some(reply))) if *reply == expected),
                "the slow client read its replies at last, but {shown:?} did not come whole: a \
                 reply that the connection cannot take at once must be waited for \
                 (`write_all(...).await`, after the lock is released), not cut short or dropped"
            );
        }
        // The slow client's handler has finished its GET: what the other client SET meanwhile
        // must still be in the store.
        to_server.write_all(b"GET small\n").await.unwrap();
        let reply = timeout(Duration::from_secs(60), replies.next_line()).await;
        if reply.is_err() {
            panic!(
                "the other client sent \"GET small\" and waits for its reply before it sends \
                 anything more, and none came in 60 s of the paused clock: {HELD_BACK}"
            );
        }
        assert!(
            matches!(&reply, Ok(Ok(Some(reply))) if reply == "VALUE 1"),
            "the other client SET small while the slow client's handler was waiting to write \
             its reply, and now small is gone ({reply:?}): that handler put back an old copy of \
             the map. Work on the shared map itself while you hold the lock, not on a copy that \
             you put back later"
        );
    }

    /// a_client_that_does_not_read_its_replies on a multi-thread runtime, the kind
    /// `#[tokio::main]` builds (the other tests run on a current-thread one). The clock is real
    /// here (a multi-thread runtime cannot pause it), and the limit is only a hang guard, kept by
    /// a thread of its own: a runtime whose threads all wait for the lock runs no timers.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_client_that_does_not_read_its_replies_on_a_multi_thread_runtime_too() {
        // First one client alone, that waits for its reply: a handler that holds its replies
        // back fails here in 2 s (a correct one answers in microseconds), not after the two
        // waits of PATIENCE below (past the time limit of the whole run).
        let store = Store::default();
        let (probe, probe_server) = tokio::io::duplex(1024);
        tokio::spawn(handle_client(probe_server, Arc::clone(&store)));
        let (probe_replies, mut probe_commands) = tokio::io::split(probe);
        probe_commands.write_all(b"GET probe\n").await.unwrap();
        let mut probe_replies = BufReader::new(probe_replies).lines();
        let probed = timeout(Duration::from_secs(2), probe_replies.next_line()).await;
        assert!(
            probed.is_ok(),
            "on a multi-thread runtime (what `#[tokio::main]` builds), a client sent \"GET \
             probe\" and waits for its reply before it sends anything more, and none came in 2 \
             s, with no other client connected: {HELD_BACK}"
        );
        drop((probe_replies, probe_commands));
        let (gave_up, mut giving_up) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(PATIENCE);
            let _ = gave_up.send(());
        });
        let big = "x".repeat(1000);
        // As in a_client_that_does_not_read_its_replies, for each of 4 slow clients: the
        // replies to 20 GETs of a missing key fill the pipe back, and the handler waits to write
        // until the client reads (the pipe to the server takes the rest of the commands).
        let misses = "GET missing\n".repeat(20);
        let commands = format!("SET big {big}\n{misses}GET big\n");
        let mut slow_clients = Vec::new();
        let mut stuck = None;
        for n in 0..4 {
            let (slow, slow_server) = tokio::io::duplex(64);
            tokio::spawn(handle_client(slow_server, Arc::clone(&store)));
            let (slow_replies, mut slow_commands) = tokio::io::split(slow);
            let sent = tokio::select! {
                biased;
                sent = slow_commands.write_all(commands.as_bytes()) => Some(sent),
                _ = &mut giving_up => None,
            };
            slow_clients.push((slow_replies, slow_commands));
            match sent {
                Some(sent) => sent.unwrap(),
                None => {
                    stuck = Some(format!(
                        "slow client {n}'s commands were not read in {PATIENCE:?}"
                    ));
                    break;
                }
            }
        }
        let mut replies = None;
        if stuck.is_none() {
            // Time for the handlers to run the commands the pipes hold (microseconds' work).
            std::thread::sleep(Duration::from_millis(100));
            let (fast, fast_server) = tokio::io::duplex(4096);
            tokio::spawn(handle_client(fast_server, Arc::clone(&store)));
            let (from_server, mut to_server) = tokio::io::split(fast);
            let mut lines = BufReader::new(from_server).lines();
            to_server
                .write_all(b"SET small 1\nGET big\n")
                .await
                .unwrap();
            let first = tokio::select! {
                biased;
                reply = lines.next_line() => Some(reply),
                _ = &mut giving_up => None,
            };
            match first {
                Some(first) => replies = Some((first, lines, to_server)),
                None => {
                    stuck = Some(format!(
                        "another client's \"SET small 1\" got no reply in {PATIENCE:?}"
                    ))
                }
            }
        }
        let Some((first, mut lines, _to_server)) = replies else {
            // The slow clients leave: do the others get on then?
            drop(slow_clients);
            let stuck = stuck.unwrap_or_default();
            let (check, check_server) = tokio::io::duplex(4096);
            tokio::spawn(handle_client(check_server, Arc::clone(&store)));
            let (from_server, mut to_server) = tokio::io::split(check);
            let mut check_replies = BufReader::new(from_server).lines();
            let answered = match to_server.write_all(b"SET small 2\n").await {
                Ok(()) => timeout(PATIENCE, check_replies.next_line()).await,
                Err(e) => Ok(Err(e)),
            };
            if matches!(&answered, Ok(Ok(Some(reply))) if reply == "OK") {
                panic!(
                    "on a multi-thread runtime (what `#[tokio::main]` builds), 4 clients did \
                     not read their replies, and {stuck}; once the slow clients left, a new \
                     client's \"SET small 2\" was answered at once: the store stayed locked \
                     while a slow client's handler waited to write. If the tests of a client \
                     that does not read its replies pass on the current-thread runtime of the \
                     other tests, does handle_client do something else depending on the runtime \
                     it finds (whether another task gets to run at the same time, or how many \
                     threads there are)? Take what you need from the map, release the lock, then write, on \
                     every kind of runtime"
                );
            }
            panic!(
                "on a multi-thread runtime (what `#[tokio::main]` builds), 4 clients did not \
                 read their replies, and {stuck}; once the slow clients left, a new client's \
                 \"SET small 2\" got {answered:?}. If the tests of a client that does not \
                 read its replies pass on the current-thread runtime of the other tests, does \
                 handle_client do something else depending on the runtime it finds? The lock must be released before every \
                 write, on every kind of runtime"
            );
        };
        let second = timeout(PATIENCE, lines.next_line()).await;
        assert!(
            matches!(&first, Ok(Some(reply)) if reply == "OK")
                && matches!(&second, Ok(Ok(Some(reply))) if *reply == format!("VALUE {big}")),
            "on a multi-thread runtime (what `#[tokio::main]` builds), 4 clients did not read \
             their replies, and another client sent \"SET small 1\" and \"GET big\" (the slow \
             clients SET big, 1000 bytes): the replies were {first:?} and {second:?}, not \"OK\" \
             and \"VALUE x…\". Every client works on the one shared store, on every kind of \
             runtime"
        );
        drop(slow_clients);
    }

    #[tokio::test(start_paused = true)]
    async fn no_kind_of_reply_keeps_the_store_locked() {
        // A client sends "SET k v" and one more command, and does not read its replies: the
        // first reply ("OK\n") fills its 3-byte pipe back, so its handler waits to write the
        // second one. Each kind of reply in turn.
        for second in ["SET k w", "GET k", "GET missing", "DEL k", "HELLO"] {
            let store = Store::default();
            let (mut slow, slow_server) = tokio::io::duplex(3);
            tokio::spawn(handle_client(slow_server, Arc::clone(&store)));
            slow.write_all(format!("SET k v\n{second}\n").as_bytes())
                .await
                .unwrap();
            sleep(Duration::from_millis(1)).await;

            let (fast, fast_server) = tokio::io::duplex(1024);
            tokio::spawn(handle_client(fast_server, Arc::clone(&store)));
            let (from_server, mut to_server) = tokio::io::split(fast);
            let mut replies = BufReader::new(from_server).lines();
            let asked = tokio::time::Instant::now();
            to_server.write_all(b"SET other 1\n").await.unwrap();
            let reply = timeout(Duration::from_secs(60), replies.next_line()).await;
            let waited = asked.elapsed();
            assert!(
                waited.is_zero() && matches!(&reply, Ok(Ok(Some(reply))) if reply == "OK"),
                "a client sent \"SET k v\" and {second:?} and does not read its replies, so its \
                 handler waits to write the reply to {second:?}; meanwhile another client's \
                 \"SET other 1\" got {reply:?} after {waited:?} of the paused clock, where \"OK\" \
                 comes at once: the store stayed locked while that handler waited to write. \
                 Release the lock before every write, whatever the command or its reply"
            );
            drop(slow);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_big_reply_does_not_keep_the_store_locked() {
        // A value of about 100 KiB (the other tests' are 1000 bytes at most): its reply is far
        // more than a slow client's pipe holds, so the handler waits in the middle of writing it.
        let store = Store::default();
        let value = "0123456789".repeat(10_240) + "end";
        let (setter, setter_server) = tokio::io::duplex(256 * 1024);
        tokio::spawn(handle_client(setter_server, Arc::clone(&store)));
        let (from_setter, mut to_setter) = tokio::io::split(setter);
        let mut setter_replies = BufReader::new(from_setter).lines();
        to_setter
            .write_all(format!("SET huge {value}\n").as_bytes())
            .await
            .unwrap();
        let reply = timeout(Duration::from_secs(60), setter_replies.next_line()).await;
        if !matches!(&reply, Ok(Ok(Some(reply))) if reply == "OK") {
            // The story names no limit on a line: a handler may refuse one this long.
            return;
        }

        // A slow client asks for it and does not read its reply for now.
        let (slow, slow_server) = tokio::io::duplex(64);
        tokio::spawn(handle_client(slow_server, Arc::clone(&store)));
        let (slow_replies, mut slow_commands) = tokio::io::split(slow);
        slow_commands.write_all(b"GET huge\n").await.unwrap();
        sleep(Duration::from_millis(1)).await;

        let (fast, fast_server) = tokio::io::duplex(1024);
        tokio::spawn(handle_client(fast_server, Arc::clone(&store)));
        let (from_server, mut to_server) = tokio::io::split(fast);
        let mut replies = BufReader::new(from_server).lines();
        let asked = tokio::time::Instant::now();
        to_server.write_all(b"SET small 1\n").await.unwrap();
        let reply = timeout(Duration::from_secs(60), replies.next_line()).await;
        let waited = asked.elapsed();
        assert!(
            waited.is_zero() && matches!(&reply, Ok(Ok(Some(reply))) if reply == "OK"),
            "a client sent \"GET huge\" (a value of {} bytes) and does not read its reply, so \
             its handler waits in the middle of writing it; meanwhile another client's \"SET \
             small 1\" got {reply:?} after {waited:?} of the paused clock, where \"OK\" comes at \
             once: the store stayed locked while that handler wrote its big reply. Release the \
             lock before every write, however big the reply",
            value.len()
        );

        // The slow client reads its reply at last: it must come whole.
        let mut slow_replies = BufReader::new(slow_replies).lines();
        let reply = timeout(Duration::from_secs(60), slow_replies.next_line()).await;
        assert!(
            matches!(&reply, Ok(Ok(Some(reply))) if *reply == format!("VALUE {value}")),
            "the slow client read its reply to \"GET huge\" at last, and it was not \"VALUE \
             <the {} bytes SET>\": a reply that the connection cannot take at once must be \
             waited for (`write_all(...).await`, after the lock is released), not cut short or \
             dropped",
            value.len()
        );
        to_server.write_all(b"GET small\n").await.unwrap();
        let reply = timeout(Duration::from_secs(60), replies.next_line()).await;
        if reply.is_err() {
            panic!(
                "the other client sent \"GET small\" and waits for its reply before it sends \
                 anything more, and none came in 60 s of the paused clock: {HELD_BACK}"
            );
        }
        assert!(
            matches!(&reply, Ok(Ok(Some(reply))) if reply == "VALUE 1"),
            "the other client SET small while the slow client's handler was writing its big \
             reply, and now the GET of small got {reply:?}: work on the shared map itself while \
             you hold the lock, not on a copy that you put back later"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_command_that_comes_in_two_pieces() {
        let (client, server) = tokio::io::duplex(1024);
        tokio::spawn(handle_client(server, Store::default()));
        let (from_server, mut to_server) = tokio::io::split(client);
        let mut replies = BufReader::new(from_server).lines();
        // The first half of a command, a second of silence (paused clock), then the rest.
        to_server.write_all(b"SET half").await.unwrap();
        sleep(Duration::from_secs(1)).await;
        to_server.write_all(b"way 1\nGET halfway\n").await.unwrap();
        let mut got = Vec::new();
        for _ in 0..2 {
            match timeout(PATIENCE, replies.next_line()).await {
                Ok(Ok(Some(reply))) => got.push(reply),
                Err(_) => panic!(
                    "a client sent \"SET half\", waited 1 s, then sent \"way 1\\nGET \
                     halfway\\n\", and waits for the replies before it sends anything more; it \
                     got {got:?}, then nothing in 5 s of the paused clock (which jumps ahead \
                     whenever every task waits): {HELD_BACK}"
                ),
                other => panic!("replies so far {got:?}, then {other:?}"),
            }
        }
        let cause = if got == ["OK", "NIL"] {
            SET_ANSWERED_FIRST
        } else {
            "the first half of the command was lost while the handler waited for the rest (a \
             `select!` or `timeout` that drops `next_line` when a timer fires drops what it has \
             read). Await `next_line` to the end of the line (keep its future, pinned, if \
             something else must run meanwhile)"
        };
        assert_eq!(
            got,
            ["OK", "VALUE 1"],
            "a client sent \"SET half\", waited 1 s, then sent \"way 1\\nGET halfway\\n\", and \
             the replies were {got:?}: {cause}"
        );
    }

    #[tokio::test]
    async fn every_reply_is_written_before_handle_client_returns() {
        use futures_util::FutureExt;
        use tokio::io::AsyncReadExt;
        // A client sends four commands at once and leaves; its handler runs in this task.
        let (mut client, server) = tokio::io::duplex(4096);
        client
            .write_all(b"SET a 1\nGET a\nDEL a\nGET a\n")
            .await
            .unwrap();
        client.shutdown().await.unwrap();
        let ended = timeout(PATIENCE, handle_client(server, Store::default())).await;
        assert!(
            matches!(ended, Ok(Ok(()))),
            "a client sent four commands and left, and handle_client ended with {ended:?}, \
             not Ok(())"
        );
        // It has returned: every reply must be in the pipe already, and the connection closed.
        let mut replies = String::new();
        let read = client.read_to_string(&mut replies).now_or_never();
        let state = if read.is_some() {
            "closed"
        } else {
            "still open"
        };
        // A sentence of its own here.
        let set_answered_first = format!("The{}", &SET_ANSWERED_FIRST[3..]);
        let fix = if read.is_some() && replies.starts_with("OK\nNIL\n") {
            set_answered_first.as_str()
        } else {
            "Write each reply in the handler itself (`write_all(...).await`), not in a task that \
             is left to run on its own"
        };
        assert!(
            matches!(read, Some(Ok(_))) && replies == "OK\nVALUE 1\nDELETED\nNIL\n",
            "a client sent \"SET a 1\", \"GET a\", \"DEL a\", \"GET a\" and left; when \
             handle_client returned, the connection held {replies:?} and was {state}: every reply \
             must be written, in order, before handle_client returns. {fix}"
        );
    }

    #[tokio::test]
    async fn each_server_uses_the_store_it_is_given() {
        let first = start_server().await;
        let second = start_server().await;
        let mut alice = Client::connect(first, "alice, on the first server").await;
        let mut bob = Client::connect(second, "bob, on the second server").await;
        assert_eq!(alice.send("SET only-on-the-first here").await, "OK");
        assert_eq!(
            bob.send("GET only-on-the-first").await,
            "NIL",
            "two servers, each given a store of its own (`Store::default()`), and the second \
             one sees what was SET on the first: the clients must share the store that `serve` \
             is given (clone its Arc for each client), not a global static of your own"
        );
        assert_eq!(
            alice.send("GET only-on-the-first").await,
            "VALUE here",
            "alice SET only-on-the-first on the first server, so she must GET it there"
        );
    }

    /// Runs `work` on the map inside `store` (a std or Tokio `Mutex` or `RwLock` around it)
    /// while nobody else holds its lock: `None` for another kind of store, or if it is taken.
    fn on_the_map<R>(
        store: &Store,
        work: impl FnOnce(&mut HashMap<String, String>) -> R,
    ) -> Option<R> {
        type Map = HashMap<String, String>;
        let store: &dyn std::any::Any = store;
        if let Some(store) = store.downcast_ref::<Arc<std::sync::Mutex<Map>>>() {
            return store.try_lock().ok().map(|mut map| work(&mut map));
        }
        if let Some(store) = store.downcast_ref::<Arc<std::sync::RwLock<Map>>>() {
            return store.try_write().ok().map(|mut map| work(&mut map));
        }
        if let Some(store) = store.downcast_ref::<Arc<tokio::sync::Mutex<Map>>>() {
            return store.try_lock().ok().map(|mut map| work(&mut map));
        }
        if let Some(store) = store.downcast_ref::<Arc<tokio::sync::RwLock<Map>>>() {
            return store.try_write().ok().map(|mut map| work(&mut map));
        }
        None
    }

    #[tokio::test]
    async fn serve_works_on_the_store_it_is_given() {
        // A store that already holds a key when serve is given it.
        let store = Store::default();
        let seeded = on_the_map(&store, |map| {
            map.insert(
                "seeded".to_string(),
                "before the server started".to_string(),
            )
        });
        if seeded.is_none() {
            // Not a lock this test knows: the other tests judge it.
            return;
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, Arc::clone(&store)));
        let mut alice = Client::connect(address, "alice").await;
        let got = alice.send("GET seeded").await;
        assert_eq!(
            got, "VALUE before the server started",
            "the store given to serve held seeded = \"before the server started\" before it \
             started, and a client's \"GET seeded\" got {got:?}: the clients must work on the \
             store that `serve` is given (clone its Arc for each client), not on a store of \
             serve's own"
        );
        assert_eq!(alice.send("SET added by-alice").await, "OK");
        let kept = on_the_map(&store, |map| map.get("added").cloned());
        let seen = match &kept {
            Some(value) => format!("held added = {value:?}"),
            None => "was still locked (while the client sent nothing)".to_string(),
        };
        assert!(
            kept == Some(Some("by-alice".to_string())),
            "a client's \"SET added by-alice\" was answered \"OK\", and then the store given to \
             serve {seen}, where it holds \"by-alice\": the clients must work on the store that \
             `serve` is given, and release its lock after each command"
        );
    }

    /// Clients that connect, ask for a key no one has set and leave, one after the other, on a
    /// server of the runtime's own; returns once the tasks that served them are gone too.
    fn clients_come_and_go(runtime: &tokio::runtime::Runtime, address: SocketAddr, clients: usize) {
        runtime.block_on(async {
            let runtime = tokio::runtime::Handle::current();
            // The tasks alive before the last client comes: the server's own (its accept loop,
            // and any helper task it keeps), and perhaps the task of a client that has just left.
            let mut tasks_before_the_last = 0;
            for n in 0..clients {
                if n + 1 == clients {
                    tasks_before_the_last = runtime.metrics().num_alive_tasks();
                }
                let mut client = Client::connect(address, &format!("client {n}")).await;
                assert_eq!(client.send("GET nobody-set-this").await, "NIL");
            }
            // Each client's task ends a moment after its client has left.
            let all_left = async {
                while runtime.metrics().num_alive_tasks() > tasks_before_the_last {
                    sleep(Duration::from_millis(1)).await;
                }
            };
            timeout(PATIENCE, all_left).await.expect(
                "the clients have left, but the tasks that served them are still running: a \
                 client's task must end when its client hangs up",
            );
        });
    }

    #[test]
    fn clients_that_have_left_leave_nothing_behind() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let address = runtime.block_on(start_server());
        // The first clients make the runtime and the server set up what they reuse later.
        clients_come_and_go(&runtime, address, 20);
        let tasks_before = runtime.metrics().num_alive_tasks();
        let kept = allocation_counter::measure(|| {
            clients_come_and_go(&runtime, address, 200);
            // A server may take its clients' finished tasks out on a timer of its own (every
            // 100 ms, say): it gets 250 ms to do so.
            runtime.block_on(async { sleep(Duration::from_millis(250)).await });
        });
        // A task started for each client that never ends (a watchdog, a timer) also keeps its
        // memory: say so first, since reaping or leaks are not the cause then.
        let tasks_kept = runtime
            .metrics()
            .num_alive_tasks()
            .saturating_sub(tasks_before);
        assert!(
            tasks_kept < 100,
            "200 clients came, asked for a key and left, and 250 ms after the last one left \
             {tasks_kept} more tasks were still running on the server's runtime than before \
             they came: something started for each client (a watchdog, a timer, a helper task) \
             never ends, and holds its memory. Whatever a client's connection starts must end \
             when the client hangs up (end it with the client's task, or abort it then)"
        );
        // Counted in allocations, not bytes: a log line per client may grow the buffer that
        // captures the test's output, but that stays one allocation.
        let (allocations, bytes) = (kept.count_current, kept.bytes_current);
        let bytes = match bytes {
            0 => "and as many bytes in all".to_string(),
            more if more > 0 => format!("and {more} bytes more in all"),
            fewer => format!("though {} bytes fewer in all", -fewer),
        };
        assert!(
            allocations < 50,
            "200 clients came, asked for a key no one had set (so the store did not grow) and \
             left, and 250 ms after the last one left the server held {allocations} more heap \
             allocations than before they came ({bytes}): it keeps something for every client \
             that has left. The finished tasks may be kept: a finished task's memory is only \
             freed once its JoinHandle is gone, so handles kept in a Vec, or a JoinSet whose \
             finished tasks are never taken out (`join_next`, `try_join_next`), or taken out \
             less often than every 250 ms, grow with every client. `serve` as given drops each \
             handle (a detached `tokio::spawn`); or reap the finished tasks as you go. Or \
             something is leaked for each client (`Box::leak`, `mem::forget`)"
        );
    }

    /// A store of 5000 keys, and one client's GET and SET on it: the heap allocations that those
    /// two commands make on the runtime's only thread (the handler's included).
    #[test]
    fn a_command_works_on_the_shared_map_itself() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("could not build a runtime");
        let store = Store::default();
        let (client, server) = tokio::io::duplex(64 * 1024);
        let (from_server, mut to_server) = tokio::io::split(client);
        let mut replies = BufReader::new(from_server).lines();
        runtime.block_on(async {
            tokio::spawn(handle_client(server, Arc::clone(&store)));
            // The keys go into the map directly where the test knows the lock (a SET each
            // would take long for a handler that copies the map each time), and one SET
            // warms the handler up; for another store, 5000 SETs.
            let seeded = on_the_map(&store, |map| {
                for n in 0..5000 {
                    map.insert(format!("key{n}"), format!("value {n}"));
                }
            });
            let sets = if seeded.is_some() {
                4999..5000
            } else {
                0..5000
            };
            for n in sets {
                to_server
                    .write_all(format!("SET key{n} value {n}\n").as_bytes())
                    .await
                    .unwrap();
                let reply = timeout(PATIENCE, replies.next_line()).await;
                assert!(
                    matches!(&reply, Ok(Ok(Some(reply))) if reply == "OK"),
                    "the reply to \"SET key{n} value {n}\": {reply:?}{}",
                    if_none_came(&reply)
                );
            }
        });
        let allocated = allocation_counter::measure(|| {
            runtime.block_on(async {
                to_server
                    .write_all(b"GET key7\nSET key7 seven\n")
                    .await
                    .unwrap();
                for expected in ["VALUE value 7", "OK"] {
                    let reply = timeout(PATIENCE, replies.next_line()).await;
                    assert!(
                        matches!(&reply, Ok(Ok(Some(reply))) if reply == expected),
                        "the reply to a command on a store of 5000 keys: {reply:?}, not \
                         {expected:?}"
                    );
                }
            })
        })
        .count_total;
        assert!(
            allocated < 1000,
            "a GET and a SET, on a store of 5000 keys, made {allocated} heap allocations: the \
             handler copies the whole map for each command (a `.clone()` of it, put back \
             later or not). Lock the shared map, work on the map itself while you hold the \
             lock, then release it (a copy that is put back also undoes what other clients, \
             on other threads, changed in the meantime)"
        );
    }

    /// Holds the store's lock on a thread of its own for 300 ms, and returns once it has it:
    /// for a `Mutex` or `RwLock` (std or Tokio) around the map. `None` for another store, or
    /// if the lock is taken (the server holds it while it waits: other tests tell of that).
    fn hold_the_lock(store: &Store) -> Option<std::thread::JoinHandle<()>> {
        use std::any::Any;
        type Map = HashMap<String, String>;
        let store: &dyn Any = store;
        let (locked, is_locked) = std::sync::mpsc::channel();
        let hold = move |got_it: bool| {
            locked.send(got_it).unwrap();
            if got_it {
                std::thread::sleep(Duration::from_millis(300));
            }
        };
        let holder = if let Some(store) = store.downcast_ref::<Arc<std::sync::Mutex<Map>>>() {
            let store = Arc::clone(store);
            std::thread::spawn(move || {
                let map = store.try_lock();
                hold(map.is_ok());
            })
        } else if let Some(store) = store.downcast_ref::<Arc<std::sync::RwLock<Map>>>() {
            let store = Arc::clone(store);
            std::thread::spawn(move || {
                let map = store.try_write();
                hold(map.is_ok());
            })
        } else if let Some(store) = store.downcast_ref::<Arc<tokio::sync::Mutex<Map>>>() {
            let store = Arc::clone(store);
            std::thread::spawn(move || {
                let map = store.try_lock();
                hold(map.is_ok());
            })
        } else if let Some(store) = store.downcast_ref::<Arc<tokio::sync::RwLock<Map>>>() {
            let store = Arc::clone(store);
            std::thread::spawn(move || {
                let map = store.try_write();
                hold(map.is_ok());
            })
        } else {
            return None;
        };
        if is_locked.recv().unwrap() {
            Some(holder)
        } else {
            holder.join().unwrap();
            None
        }
    }

    /// Whether the store is behind a std Mutex or RwLock, whose `lock()` (`read()`,
    /// `write()`) blocks the thread until the lock is free.
    fn is_std_lock(store: &Store) -> bool {
        type Map = HashMap<String, String>;
        let store: &dyn std::any::Any = store;
        store.is::<Arc<std::sync::Mutex<Map>>>() || store.is::<Arc<std::sync::RwLock<Map>>>()
    }

    #[tokio::test(start_paused = true)]
    async fn a_command_waits_for_a_std_lock_without_a_timer() {
        // For a store behind a std Mutex or RwLock. The clock is paused: it moves only when
        // every task waits and a timer is set, so a handler that waits in `lock()` takes no
        // time on it.
        let store = Store::default();
        if !is_std_lock(&store) {
            return;
        }
        let (client, server) = tokio::io::duplex(1024);
        tokio::spawn(handle_client(server, Arc::clone(&store)));
        let (from_server, mut to_server) = tokio::io::split(client);
        let mut replies = BufReader::new(from_server).lines();
        to_server.write_all(b"SET k v\n").await.unwrap();
        let reply = timeout(PATIENCE, replies.next_line()).await;
        assert!(
            matches!(&reply, Ok(Ok(Some(reply))) if reply == "OK"),
            "the reply to \"SET k v\": {reply:?}{}",
            if_none_came(&reply)
        );

        // Another thread holds the lock for 300 ms, and a command comes meanwhile.
        let Some(holder) = hold_the_lock(&store) else {
            return;
        };
        let asked = tokio::time::Instant::now();
        to_server.write_all(b"GET k\n").await.unwrap();
        let reply = timeout(PATIENCE, replies.next_line()).await;
        let waited = asked.elapsed();
        holder.join().unwrap();
        let seen = match &reply {
            Ok(reply) => format!("the reply ({reply:?}) came {waited:?} later"),
            Err(_) => format!("no reply came in {waited:?}"),
        };
        assert!(
            waited.is_zero(),
            "another thread held the store's std lock for 300 ms when \"GET k\" came, and \
             {seen} on the paused clock, which moves only when every task waits on a timer: \
             the handler tried the lock, slept, and tried again (`try_lock` or `try_write` and \
             a sleep in a loop), or waited for a thread of its own. Wait for it with `lock()` \
             (`read()`, `write()`), in the task or on `spawn_blocking`: it is held only for the \
             map work, so never for long"
        );
        let ended = match &reply {
            Ok(Ok(None)) => {
                ": no reply came, the handler ended the connection instead (did it panic, or \
                 give up, finding the lock taken: `try_lock`?). Wait for the lock with `lock()` \
                 (`read()`, `write()`): it is held only for the map work, so never for long"
            }
            _ => {
                ", not \"VALUE v\" (did the handler give up, finding the lock taken: \
                 `try_lock`?). Wait for the lock with `lock()` (`read()`, `write()`): it is held \
                 only for the map work, so never for long"
            }
        };
        assert!(
            matches!(&reply, Ok(Ok(Some(reply))) if reply == "VALUE v"),
            "another thread held the store's std lock for 300 ms when \"GET k\" came, and the \
             reply to it was {reply:?}{ended}"
        );
    }

    /// Holds the store's lock, if it is a Tokio `Mutex` or `RwLock`, on a thread of its own for
    /// `hold`, lets it go and at once tries to take it again: whether a waiter got it first
    /// (Tokio's locks are fair: a task waiting in `lock()` gets it before anyone else). A waiter
    /// woken by the release may even be done with the map before this thread runs again (one
    /// CPU): then the lock is free, but the map has changed.
    fn hold_a_tokio_lock(store: &Store, hold: Duration) -> Option<std::thread::JoinHandle<bool>> {
        type Map = HashMap<String, String>;
        let store: &dyn std::any::Any = store;
        let (locked, is_locked) = std::sync::mpsc::channel();
        let holder = if let Some(store) = store.downcast_ref::<Arc<tokio::sync::Mutex<Map>>>() {
            let store = Arc::clone(store);
            std::thread::spawn(move || {
                let map = store.try_lock();
                locked.send(map.is_ok()).unwrap();
                let before = map.as_deref().ok().cloned();
                std::thread::sleep(hold);
                drop(map);
                store
                    .try_lock()
                    .map_or(true, |now| Some(&*now) != before.as_ref())
            })
        } else if let Some(store) = store.downcast_ref::<Arc<tokio::sync::RwLock<Map>>>() {
            let store = Arc::clone(store);
            std::thread::spawn(move || {
                let map = store.try_write();
                locked.send(map.is_ok()).unwrap();
                let before = map.as_deref().ok().cloned();
                std::thread::sleep(hold);
                drop(map);
                store
                    .try_write()
                    .map_or(true, |now| Some(&*now) != before.as_ref())
            })
        } else {
            return None;
        };
        if is_locked.recv().unwrap() {
            Some(holder)
        } else {
            holder.join().unwrap();
            None
        }
    }

    #[tokio::test]
    async fn a_command_waits_in_line_for_a_tokio_lock() {
        let store = Store::default();
        let (client, server) = tokio::io::duplex(1024);
        tokio::spawn(handle_client(server, Arc::clone(&store)));
        let (from_server, mut to_server) = tokio::io::split(client);
        let mut replies = BufReader::new(from_server).lines();
        // Another thread holds the lock when a command comes; a longer hold if nobody waited.
        for (n, held) in [300, 1000, 2000].into_iter().enumerate() {
            let Some(holder) = hold_a_tokio_lock(&store, Duration::from_millis(held)) else {
                return;
            };
            let command = format!("SET k{n} v");
            to_server
                .write_all(format!("{command}\n").as_bytes())
                .await
                .unwrap();
            let reply = timeout(PATIENCE, replies.next_line()).await;
            let someone_waited = holder.join().unwrap();
            assert!(
                matches!(&reply, Ok(Ok(Some(reply))) if reply == "OK"),
                "the reply to {command:?}: {reply:?}"
            );
            if someone_waited {
                return;
            }
        }
        panic!(
            "another thread held the store's Tokio lock when a command came (for 300 ms, then \
             1 s, then 2 s), and each time it let the lock go, nobody was waiting for it: the \
             handler tried the lock again later (`try_lock` and a sleep in a loop). Wait for \
             it with `lock().await` (`read()`, `write()`): that puts the handler in line, and \
             it gets the lock the moment it is free"
        );
    }

    /// A future that counts its polls.
    struct Polls<F> {
        future: std::pin::Pin<Box<F>>,
        count: Arc<std::sync::atomic::AtomicUsize>,
    }

    impl<F: std::future::Future> std::future::Future for Polls<F> {
        type Output = F::Output;

        fn poll(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<F::Output> {
            self.count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.future.as_mut().poll(cx)
        }
    }

    #[tokio::test]
    async fn a_command_waits_for_the_lock() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let store = Store::default();
        let (client, server) = tokio::io::duplex(1024);
        let polls = Arc::new(AtomicUsize::new(0));
        tokio::spawn(Polls {
            future: Box::pin(handle_client(server, Arc::clone(&store))),
            count: Arc::clone(&polls),
        });
        let (from_server, mut to_server) = tokio::io::split(client);
        let mut replies = BufReader::new(from_server).lines();
        to_server.write_all(b"SET k v\n").await.unwrap();
        let reply = timeout(PATIENCE, replies.next_line()).await;
        assert!(
            matches!(&reply, Ok(Ok(Some(reply))) if reply == "OK"),
            "the reply to \"SET k v\": {reply:?}{}",
            if_none_came(&reply)
        );

        // Another thread holds the lock for 300 ms, and a command comes meanwhile.
        let Some(holder) = hold_the_lock(&store) else {
            return;
        };
        let polls_before = polls.load(Ordering::SeqCst);
        let start = std::time::Instant::now();
        to_server.write_all(b"GET k\n").await.unwrap();
        let reply = timeout(PATIENCE, replies.next_line()).await;
        let waited = start.elapsed();
        let polled = polls.load(Ordering::SeqCst) - polls_before;
        holder.join().unwrap();
        assert!(
            matches!(&reply, Ok(Ok(Some(reply))) if reply == "VALUE v"),
            "another thread held the store's lock for 300 ms when \"GET k\" came, and the reply \
             was {reply:?}, not \"VALUE v\": wait for the lock (`lock()`; it is held only for \
             the map work, so never for long), do not give up when it is taken (`try_lock`)"
        );
        // Waiting in `lock()` takes one poll of the handler; allow a few more, and one of its
        // own per 10 ms (a progress message) besides: a lock tried on a timer that slow, the
        // tests above catch (the paused clock for a std lock, the line of waiters for a Tokio
        // one). The longer the wait, the more allowed.
        let period = 10;
        let allowed = 6 + waited.as_millis() / period;
        assert!(
            polled as u128 <= allowed,
            "another thread held the store's lock for 300 ms when \"GET k\" came, and in the \
             {} ms until the reply the client's handler was polled {polled} times (at most \
             {allowed} expected, one per {period} ms of the wait and a few): it tries the lock \
             again and again (`try_lock` in a loop, after a `yield_now` or a short sleep), or a \
             timer of its own wakes it more often than every {period} ms. Wait for the lock \
             with `lock()`: it is held only for the map work, so never for long",
            waited.as_millis()
        );
    }
}
