// kv_graceful_shutdown
//
// The key-value server, step 4: stopping it cleanly. (The protocol is in step 1,
// `kv_read_command`.) `serve` now gets a `shutdown` signal, a `watch` channel that turns `true`
// when the server must stop. A graceful shutdown:
//
// - stops accepting new clients;
// - lets every connection finish the command it is busy with: a reply that is being sent is
//   sent whole, even to a client that reads it slowly;
// - then closes every connection, also those of clients that are connected but silent;
// - and returns from `serve` once every connection is closed, not before.
//
// `serve` already stops accepting and waits for the connections. But `handle_client` never hears
// about the signal: it waits for the client's next command, so a silent client keeps `serve`
// waiting forever. Make every connection end at the signal, without cutting off a reply. (A
// sender that is dropped counts as the signal too.)

use std::collections::HashMap;
use std::io;

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

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
async fn handle_client(
    socket: TcpStream,
    store: Store,
    shutdown: watch::Receiver<bool>,
) -> io::Result<()> {
    let (reader, mut writer) = socket.into_split();
    let mut reader = BufReader::new(reader);
    // TODO: this waits for the client's next command, and for nothing else.
    let _ = shutdown;
    while let Some(line) = next_line(&mut reader).await? {
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

fn report(finished: Result<io::Result<()>, tokio::task::JoinError>) {
    match finished {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!("a client failed: {e}"),
        Err(e) => eprintln!("a client's task panicked: {e}"),
    }
}

/// Serves clients until `shutdown` turns `true` (or its sender is dropped), then shuts down
/// gracefully and returns.
pub async fn serve(
    listener: TcpListener,
    store: Store,
    shutdown: watch::Receiver<bool>,
) -> io::Result<()> {
    let mut clients = JoinSet::new();
    let mut stop = shutdown.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (socket, _) = accepted?;
                clients.spawn(handle_client(socket, Arc::clone(&store), shutdown.clone()));
            }
            Some(finished) = clients.join_next() => report(finished),
            _ = stop.wait_for(|stop| *stop) => break,
        }
    }
    // No new clients from here on.
    drop(listener);
    // Wait until every connection is closed.
    while let Some(finished) = clients.join_next().await {
        report(finished);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on {} for 30 seconds", listener.local_addr()?);
    let (stop, shutdown) = watch::channel(false);
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        let _ = stop.send(true);
    });
    serve(listener, Store::default(), shutdown).await?;
    println!("stopped cleanly");
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::io;
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
    use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
    use tokio::net::{TcpListener, TcpSocket, TcpStream};
    use tokio::sync::{Notify, watch};
    use tokio::task::JoinHandle;
    use tokio::time::timeout;

    /// Hang guard only: on loopback, everything here happens in far less than this.
    const PATIENCE: Duration = Duration::from_secs(5);

    /// Why a line sent at the shutdown, that no command asked for, is not a goodbye.
    const UNASKED: &str = "Every line the server writes is the reply to a command, so a \
                           client would take it for the reply to its next command: close the \
                           connection without writing more";

    /// The longest line these tests send, newline included. A server may cap the length of a
    /// command line (lesson 12's `lines_codec_limit`; Redis caps an inline command at 64 KiB),
    /// and the story names no size, so no line here is longer than 32 KiB: a big reply, or a
    /// full socket buffer, comes from many commands instead of one huge line.
    const LONGEST_LINE: usize = 32 * 1024;

    /// A value that makes "SET big {value}\n" exactly LONGEST_LINE bytes long.
    fn big_value() -> String {
        "v".repeat(LONGEST_LINE - "SET big \n".len())
    }

    /// `text` as a message shows it: whole if short, else its first 20 characters and its
    /// length.
    fn cut(text: &str) -> String {
        if text.len() <= 40 {
            return format!("{text:?}");
        }
        let start: String = text.chars().take(20).collect();
        format!("{start:?}… ({} bytes)", text.len())
    }

    /// A listener whose accepted sockets have a small send buffer (they take the listener's):
    /// a connection that writes more than a few KB waits until its client reads.
    fn listener_with_small_send_buffers() -> TcpListener {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_send_buffer_size(4 * 1024).unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        socket.listen(1024).unwrap()
    }

    /// Judges `read`, what a client read from the start of its first reply on, when `replies`
    /// (each with its newline) answer the commands it sent at once: `Ok(n)` when `read` is the
    /// first `n` of them, each whole; else what it read instead.
    fn whole_replies(read: &[u8], replies: &[String]) -> Result<usize, String> {
        let mut at = 0;
        for (n, reply) in replies.iter().enumerate() {
            let left = &read[at..];
            if left.is_empty() {
                return Ok(n);
            }
            if left.starts_with(reply.as_bytes()) {
                at += reply.len();
                continue;
            }
            if reply.as_bytes().starts_with(left) {
                return Err(format!(
                    "{n} whole replies, then only the first {} of the {} bytes of reply {}",
                    left.len(),
                    reply.len(),
                    n + 1
                ));
            }
            return Err(format!(
                "{n} whole replies, then {} where reply {} should be {}",
                cut(&String::from_utf8_lossy(left)),
                n + 1,
                cut(reply)
            ));
        }
        if at == read.len() {
            Ok(replies.len())
        } else {
            Err(format!(
                "every reply whole, then {}, that no command asked for. {UNASKED}",
                cut(&String::from_utf8_lossy(&read[at..]))
            ))
        }
    }

    /// How long a day of paused time may take in real time (a thread of its own gives up
    /// then). Every task waiting, the day passes in one jump; a progress message once a second
    /// makes it 86400 steps, under a second here, about 2.5 s beside two busy CPUs.
    const REAL_TIME_FOR_A_DAY: Duration = Duration::from_secs(5);

    /// How often `serve`'s own future has been polled; `over` is notified when the count
    /// reaches `limit`.
    #[derive(Default)]
    struct Polls {
        count: AtomicUsize,
        limit: AtomicUsize,
        over: Notify,
    }

    struct Server {
        address: SocketAddr,
        stop: watch::Sender<bool>,
        task: JoinHandle<io::Result<()>>,
        polls: Arc<Polls>,
    }

    async fn start_server() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        start_server_on(listener, Store::default())
    }

    /// Runs serve on `listener`, with `store`, in a task of its own.
    fn start_server_on(listener: TcpListener, store: Store) -> Server {
        let address = listener.local_addr().unwrap();
        let (stop, shutdown) = watch::channel(false);
        let polls = Arc::new(Polls {
            limit: AtomicUsize::new(usize::MAX),
            ..Polls::default()
        });
        let counted = Arc::clone(&polls);
        let mut serving = Box::pin(serve(listener, store, shutdown));
        let task = tokio::spawn(std::future::poll_fn(move |cx| {
            let count = counted.count.fetch_add(1, Ordering::SeqCst) + 1;
            if count == counted.limit.load(Ordering::SeqCst) {
                counted.over.notify_one();
            }
            serving.as_mut().poll(cx)
        }));
        Server {
            address,
            stop,
            task,
            polls,
        }
    }

    impl Server {
        /// Sends the signal, and expects `serve` to return, with `Ok`, before the clients'
        /// next move.
        async fn shut_down(self, connected: &str) {
            self.shut_down_with(connected, WATCH_THE_SIGNAL, &mut [])
                .await
        }

        /// As `shut_down`, while `clients` are connected: if serve does not return, `hint`
        /// says why, unless each of them sees the end of its connection.
        async fn shut_down_with(self, connected: &str, hint: &str, clients: &mut [&mut Client]) {
            // Ending the connections at the signal needs no I/O, only the server's own tasks:
            // so Tokio's clock is paused from here on, and the time limit below passes (at
            // once) only when every task is waiting and serve has not returned.
            tokio::time::pause();
            self.stop.send(true).unwrap();
            let mut task = self.task;
            let Ok(returned) = timeout(PATIENCE, &mut task).await else {
                let half_closed = all_see_the_end(clients).await;
                tokio::time::resume();
                if half_closed {
                    panic!(
                        "serve had not returned after the shutdown signal, while {connected}, \
                         and all its tasks were waiting; {HALF_CLOSED}"
                    );
                }
                panic!(
                    "serve had not returned after the shutdown signal, while {connected}, and \
                     all its tasks were waiting (for the clients?). {hint}"
                )
            };
            tokio::time::resume();
            let result = returned.expect("serve panicked");
            assert!(result.is_ok(), "serve failed: {result:?}");
        }
    }

    /// What a connection that did not end at the signal missed, as a rule.
    const WATCH_THE_SIGNAL: &str = "Every connection must end at the signal: while a \
                                    connection waits for the client's next command, it must \
                                    also watch the signal";

    /// What a connection closed only for writing at the signal misses.
    const HALF_CLOSED: &str = "each connected client then saw the end of its connection (the \
                               server had closed its sending side), and serve still had not \
                               returned: a connection closed only for writing is still open, \
                               and the client can still send. Once the command in progress is \
                               done, close the whole connection at the signal (return from \
                               handle_client, which drops both halves), without waiting for \
                               the client to leave";

    /// Turns of the runtime given to what is already on its way (a FIN on loopback, and the
    /// tasks it wakes): each turn takes in what the sockets have brought, and none moves the
    /// clock, paused or not. Far more than needed, and a few milliseconds in all.
    const TURNS: usize = 10_000;

    /// Whether each of `clients` (at least one) reads the end of its connection next, within
    /// TURNS turns of the runtime.
    async fn all_see_the_end(clients: &mut [&mut Client]) -> bool {
        use futures_util::FutureExt;
        for client in clients.iter_mut() {
            let mut turns = 0;
            loop {
                match client.replies.next_line().now_or_never() {
                    Some(Ok(None)) => break,
                    Some(_) => return false,
                    None if turns == TURNS => return false,
                    None => {
                        turns += 1;
                        tokio::task::yield_now().await;
                    }
                }
            }
        }
        !clients.is_empty()
    }

    /// Whether `task` ends within TURNS turns of the runtime.
    async fn ends_within_a_few_turns<T>(task: &JoinHandle<T>) -> bool {
        for _ in 0..TURNS {
            if task.is_finished() {
                return true;
            }
            tokio::task::yield_now().await;
        }
        task.is_finished()
    }

    struct Client {
        replies: Lines<BufReader<OwnedReadHalf>>,
        writer: OwnedWriteHalf,
    }

    impl Client {
        async fn connect(address: SocketAddr) -> Client {
            let socket = timeout(PATIENCE, TcpStream::connect(address))
                .await
                .expect("connecting to the server took too long")
                .expect("could not connect to the server");
            let (reader, writer) = socket.into_split();
            Client {
                replies: BufReader::new(reader).lines(),
                writer,
            }
        }

        async fn send(&mut self, command: &str) -> String {
            let shown = cut(command);
            if let Err(e) = self
                .writer
                .write_all(format!("{command}\n").as_bytes())
                .await
            {
                panic!("the server closed the connection while the test was sending {shown} ({e})");
            }
            match timeout(PATIENCE, self.replies.next_line()).await {
                Err(_) => panic!("no reply to {shown} within {PATIENCE:?}"),
                Ok(Err(e)) => panic!(
                    "the server closed the connection while the test was reading the reply to \
                     {shown} ({e})"
                ),
                Ok(Ok(None)) => panic!("the server hung up instead of answering {shown}"),
                Ok(Ok(Some(reply))) => reply,
            }
        }

        async fn expect_closed(&mut self, who: &str) {
            let next = timeout(PATIENCE, self.replies.next_line()).await;
            if let Ok(Ok(Some(line))) = &next {
                panic!("{who} was sent {line:?} after the shutdown. {UNASKED}");
            }
            assert!(
                matches!(next, Ok(Ok(None)) | Ok(Err(_))),
                "{who} is still connected after the shutdown: every connection must be closed \
                 (got {next:?})"
            );
        }
    }

    #[tokio::test]
    async fn serves_until_the_signal() {
        // Once serve has returned, its port is free, and a listener of another test may be
        // handed the same port. A late client that connects anyway is then tried again with a
        // new server: only if it connects every time is the old listener still there.
        for attempt in 1..=3 {
            let server = start_server().await;
            let address = server.address;
            let mut client = Client::connect(address).await;
            assert_eq!(client.send("SET state running").await, "OK");
            assert_eq!(client.send("GET state").await, "VALUE running");
            drop(client);
            server.shut_down("no client was connected").await;

            let late = timeout(PATIENCE, TcpStream::connect(address)).await;
            if !matches!(late, Ok(Ok(_))) {
                return;
            }
            assert!(
                attempt < 3,
                "serve has returned, but a new client could still connect: stop accepting \
                 (drop the listener) at the signal"
            );
        }
    }

    #[tokio::test]
    async fn a_change_by_another_client_is_seen_at_once() {
        let server = start_server().await;
        let mut alice = Client::connect(server.address).await;
        let mut bob = Client::connect(server.address).await;
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
        drop((alice, bob));
        server.shut_down("no client was connected").await;
    }

    #[tokio::test]
    async fn each_server_uses_the_store_it_is_given() {
        // Two servers at once in one test, so a store shared by all (a static) always shows.
        let first = start_server().await;
        let second = start_server().await;
        let mut alice = Client::connect(first.address).await;
        let mut bob = Client::connect(second.address).await;
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
        drop((alice, bob));
        first.shut_down("no client was connected").await;
        second.shut_down("no client was connected").await;
    }

    /// As in kv_many_clients: the read that watches the signal still reads whole lines.
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
        let server = start_server_on(listener, Arc::clone(&store));
        let mut alice = Client::connect(server.address).await;
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
        drop(alice);
        server.shut_down("no client was connected").await;
    }

    #[tokio::test]
    async fn a_command_run_at_the_signal_is_answered() {
        // Small socket buffers (about 12 KB in all on Linux), so that a reply of 32 KB keeps
        // its connection writing until the client reads it.
        let store = Store::default();
        let server = start_server_on(listener_with_small_send_buffers(), Arc::clone(&store));
        let big = big_value();
        let mut setter = Client::connect(server.address).await;
        assert_eq!(setter.send(&format!("SET big {big}")).await, "OK");
        drop(setter);

        // Each client sends "GET big" (a reply of 32 KB) and a SET, 4 times over, in one write,
        // and reads the start of the first reply: its connection is writing that reply, the
        // other commands read and waiting.
        let rounds = 4;
        let clients = 32;
        let mut slow = Vec::new();
        for n in 0..clients {
            let socket = TcpSocket::new_v4().unwrap();
            socket.set_recv_buffer_size(4 * 1024).unwrap();
            let mut client = timeout(PATIENCE, socket.connect(server.address))
                .await
                .expect("connecting to the server took too long")
                .expect("could not connect to the server");
            let commands: String = (1..=rounds)
                .map(|i| format!("GET big\nSET key{n}-{i} set\n"))
                .collect();
            if let Err(e) = client.write_all(commands.as_bytes()).await {
                panic!(
                    "client {n}: the server closed the connection while the test was sending \
                     \"GET big\" and \"SET key{n}-1 set\", 4 times over ({e})"
                );
            }
            let mut start = [0u8; 6];
            match timeout(PATIENCE, client.read_exact(&mut start)).await {
                Err(_) => panic!("client {n}: no reply to \"GET big\" within {PATIENCE:?}"),
                Ok(Err(e)) => panic!(
                    "client {n}: the server closed the connection while the test was reading \
                     the start of the reply to \"GET big\" ({e})"
                ),
                Ok(Ok(_)) => {}
            }
            assert_eq!(&start, b"VALUE ");
            slow.push(client);
        }

        // The signal comes while each connection is writing; the clients then read to the end.
        // Each command not yet begun may be run (and answered) or not, as the signal and the
        // command come together.
        server.stop.send(true).unwrap();
        let expected: Vec<String> = (0..rounds)
            .flat_map(|_| [format!("VALUE {big}\n"), "OK\n".to_string()])
            .collect();
        // All the clients read at once: each connection has its own time to close in.
        let reads = futures_util::future::join_all(slow.iter_mut().map(|client| async move {
            let mut read = b"VALUE ".to_vec();
            let closed = timeout(PATIENCE, client.read_to_end(&mut read)).await;
            (read, closed)
        }))
        .await;
        let mut answered = Vec::new();
        for (n, (read, closed)) in reads.into_iter().enumerate() {
            let judged = whole_replies(&read, &expected);
            let then = match &closed {
                Ok(Ok(_)) => "then the connection closed".to_string(),
                Ok(Err(e)) => format!("then the connection failed ({e})"),
                Err(_) => format!("then the connection stayed open for {PATIENCE:?}"),
            };
            let whole = match judged {
                Ok(whole) => whole,
                Err(what) => panic!(
                    "client {n} sent \"GET big\" (a reply of 32 KB) and \"SET key{n}-.. set\", \
                     4 times over, at once, and the signal came while the first reply was being \
                     sent; from the start of that reply it read {what}, and {then}: a command \
                     that has begun is finished, reply included"
                ),
            };
            assert!(
                closed.is_ok(),
                "client {n}: after the signal it read {whole} whole replies, and {then}: once \
                 its command is done, every connection must end at the signal"
            );
            answered.push(whole);
        }
        let mut task = server.task;
        let returned = timeout(PATIENCE, &mut task).await;
        if returned.is_err() {
            // Does serve return once the clients close their own side too?
            for client in &mut slow {
                let _ = client.shutdown().await;
            }
            if ends_within_a_few_turns(&task).await {
                panic!(
                    "every client had read to the end after the signal, and serve had not \
                     returned {PATIENCE:?} later; it returned only once the clients closed their \
                     own side too. The connections were closed only for writing: a connection \
                     closed only for writing is still open, and the client can still send. Once \
                     the command in progress is done, close the whole connection at the signal \
                     (return from handle_client, which drops both halves), without waiting for \
                     the client to leave"
                );
            }
        }
        assert!(
            matches!(returned, Ok(Ok(Ok(())))),
            "every client had read to the end after the signal, and serve ended with \
             {returned:?}"
        );
        for (n, whole) in answered.into_iter().enumerate() {
            for i in 1..=rounds {
                let key = format!("key{n}-{i}");
                let kept = on_the_map(&store, |map| map.get(&key).cloned());
                let Some(kept) = kept else {
                    return;
                };
                // The replies: VALUE, OK, VALUE, OK...: the i-th SET's is the (2 i)-th.
                let answered = whole >= 2 * i;
                assert!(
                    kept.is_some() || !answered,
                    "client {n} sent \"GET big\" and \"SET key{n}-.. set\", 4 times over, at \
                     once, and got \"OK\" for \"SET {key} set\", but the store given to serve \
                     then held {key} = None: the commands must run on the store that `serve` is \
                     given"
                );
                assert!(
                    kept.is_none() || answered,
                    "client {n} sent \"GET big\" and \"SET key{n}-.. set\", 4 times over, at \
                     once, and the shutdown signal came while the reply to the first GET big \
                     was being sent; then the store held {key} = {kept:?}, and the client got \
                     no reply to \"SET {key} set\" ({whole} replies, then the connection \
                     closed): a command that is run must be answered. At the signal, either \
                     leave the next command unrun, or run it and send its reply"
                );
            }
        }
    }

    #[tokio::test]
    async fn a_client_that_leaves_in_the_middle_of_a_command() {
        let server = start_server().await;
        let mut leaving = TcpStream::connect(server.address).await.unwrap();
        leaving
            .write_all(b"SET price 10\nSET price 1")
            .await
            .unwrap();
        leaving.shutdown().await.unwrap();
        let mut replies = String::new();
        timeout(PATIENCE, leaving.read_to_string(&mut replies))
            .await
            .expect("the client has left, but the server keeps its connection open")
            .unwrap();
        assert_eq!(
            replies, "OK\n",
            "the client sent \"SET price 10\\n\" and an unfinished \"SET price 1\", then \
             left: only the complete command gets a reply. An unfinished last line is not a \
             command (`lines()` and a `LinesCodec` hand it out at the end of the stream as if \
             it were complete; `next_line` does not)"
        );
        let mut other = Client::connect(server.address).await;
        assert_eq!(
            other.send("GET price").await,
            "VALUE 10",
            "the first client left in the middle of \"SET price 1...\": that command never runs"
        );
        drop(other);
        server.shut_down("no client was connected").await;
    }

    #[tokio::test]
    async fn silent_clients_are_let_go() {
        let server = start_server().await;
        // A client that never says anything. It connects first, and the server accepts
        // clients in the order they came: once the others have replies, it has been accepted.
        let mut mute = Client::connect(server.address).await;
        let mut first = Client::connect(server.address).await;
        let mut second = Client::connect(server.address).await;
        assert_eq!(first.send("SET a 1").await, "OK");
        assert_eq!(second.send("GET a").await, "VALUE 1");
        // Both clients stay connected, and say nothing more.
        server
            .shut_down_with(
                "three clients were connected, waiting silently, and one of them had not sent \
                 a single command",
                &format!("{WATCH_THE_SIGNAL}, also while it waits for the first command"),
                &mut [&mut mute, &mut first, &mut second],
            )
            .await;
        mute.expect_closed("the client that never sent a command")
            .await;
        first.expect_closed("the first client").await;
        second.expect_closed("the second client").await;
        nothing_is_left_running().await;
    }

    /// A client that serve has just accepted, when the signal comes before the task that
    /// serves it has run at all: its connection must end at the signal too. The test polls
    /// serve in its own task (one thread), so it sees the moment serve spawns that task, and
    /// sends the signal right then, before the task can run.
    #[tokio::test]
    async fn a_client_accepted_just_before_the_signal_is_let_go_too() {
        use std::task::Poll;
        let tasks = || {
            tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks()
        };
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, shutdown) = watch::channel(false);
        let mut serving = Box::pin(serve(listener, Store::default(), shutdown));
        let mut poll_serve = async || {
            let polled = std::future::poll_fn(|cx| Poll::Ready(serving.as_mut().poll(cx))).await;
            assert!(
                polled.is_pending(),
                "serve returned before the signal: {polled:?}"
            );
        };
        // Whatever serve starts before its first client (a task of its own) is started here.
        poll_serve().await;
        let before = tasks();
        // The client connects (the system takes the connection in; serve has not accepted it),
        // then serve is polled until it has started a task for it.
        let mut silent = Client::connect(address).await;
        for _ in 0..TURNS {
            poll_serve().await;
            if tasks() > before {
                break;
            }
            tokio::task::yield_now().await;
        }
        // No turn of the runtime between the task's start and the signal: it has not run yet.
        stop.send(true).unwrap();
        tokio::time::pause();
        let returned = timeout(PATIENCE, serving).await;
        tokio::time::resume();
        let Ok(result) = returned else {
            panic!(
                "serve had just accepted a client, and had started the task that serves it, \
                 when the shutdown signal came, before that task had run at all; serve then \
                 never returned, as the client stayed connected (and silent): that connection \
                 did not hear the signal. Hand each connection what tells it of the signal as it \
                 is started (a clone of the watch Receiver: `wait_for` sees a `true` sent \
                 before it is first polled), not something that only tells the ones already \
                 waiting (`Notify::notify_waiters`, a broadcast the task subscribes to once it \
                 runs)"
            );
        };
        assert!(result.is_ok(), "serve failed: {result:?}");
        silent
            .expect_closed("the client accepted just before the signal")
            .await;
        nothing_is_left_running().await;
    }

    /// silent_clients_are_let_go on a multi-thread runtime, the kind `#[tokio::main]` builds
    /// (the other tests run on a current-thread one): the signal must end the connections on
    /// both. The clock is real here (a multi-thread runtime cannot pause it), and PATIENCE is
    /// only a hang guard: at the signal, the connections end within milliseconds.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn silent_clients_are_let_go_on_a_multi_thread_runtime_too() {
        let server = start_server().await;
        // As in silent_clients_are_let_go, with more clients: one that never says anything,
        // connected first, then 7 that each have a reply and then say nothing more.
        let mut mute = Client::connect(server.address).await;
        let mut talkers = Vec::new();
        for n in 0..7 {
            let mut talker = Client::connect(server.address).await;
            assert_eq!(talker.send(&format!("SET key{n} {n}")).await, "OK");
            talkers.push(talker);
        }
        server.stop.send(true).unwrap();
        let mut task = server.task;
        let Ok(returned) = timeout(PATIENCE, &mut task).await else {
            let mut clients: Vec<&mut Client> = talkers.iter_mut().collect();
            clients.push(&mut mute);
            if all_see_the_end(&mut clients).await {
                panic!(
                    "on a multi-thread runtime (what `#[tokio::main]` builds), serve had not \
                     returned {PATIENCE:?} after the shutdown signal, while 8 clients were \
                     connected and silent; {HALF_CLOSED}"
                );
            }
            panic!(
                "on a multi-thread runtime (what `#[tokio::main]` builds), 8 clients were \
                 connected and silent (one had not sent a single command), and serve had not \
                 returned {PATIENCE:?} after the shutdown signal, nor had all the clients seen \
                 the end of their connections: connections went on waiting for their clients. \
                 If silent_clients_are_let_go passes on the current-thread runtime of the \
                 other tests, does handle_client do something else depending on the runtime it finds (whether \
                 another task gets to run at the same time, or how many threads there are)? \
                 {WATCH_THE_SIGNAL}, on every kind of runtime"
            )
        };
        let result = returned.expect("serve panicked");
        assert!(result.is_ok(), "serve failed: {result:?}");
        mute.expect_closed("the client that never sent a command")
            .await;
        for (n, talker) in talkers.iter_mut().enumerate() {
            talker.expect_closed(&format!("client {n}")).await;
        }
    }

    /// Once serve has returned and its clients have read the end of their connections: no task
    /// is left alive on the test's runtime, where only serve's own were started. A task that a
    /// connection started and nothing stopped (one that reads the client's lines, parked in a
    /// read) keeps that connection's reading half open after serve returned.
    async fn nothing_is_left_running() {
        let metrics = tokio::runtime::Handle::current().metrics();
        for _ in 0..100_000 {
            if metrics.num_alive_tasks() == 0 {
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!(
            "serve had returned after the shutdown signal, and every client had read the end of \
             its connection, yet {} task(s) that serve started were still alive (nothing else \
             runs on this test's runtime). A task that reads a client's lines, left running when \
             its connection ended, keeps that connection's reading half open: whatever a \
             connection starts must end with it (await it, or abort it), so that serve returns \
             only once every connection is closed",
            metrics.num_alive_tasks()
        );
    }

    #[tokio::test]
    async fn silent_halfway_through_a_command_is_let_go_too() {
        let server = start_server().await;
        let mut halfway = Client::connect(server.address).await;
        // One write: a whole command and the start of the next one, so the server has read
        // "GET ke" by the time it answers "SET a 1".
        if let Err(e) = halfway.writer.write_all(b"SET a 1\nGET ke").await {
            panic!("the server closed the connection while the test was sending \"SET a 1\" ({e})");
        }
        let reply = timeout(PATIENCE, halfway.replies.next_line()).await;
        assert!(
            matches!(&reply, Ok(Ok(Some(reply))) if reply == "OK"),
            "a client sent \"SET a 1\\nGET ke\" in one write, and the reply to \"SET a 1\" was \
             {reply:?}, not \"OK\""
        );
        // The client stays connected, and never sends the rest of "GET ke...".
        server
            .shut_down_with(
                "a client was connected that had sent \"SET a 1\\n\" and, in the same write, the \
                 start of a command, \"GET ke\", without its newline, and then said nothing more",
                "A line that has not all come is no command yet: while a connection waits for \
                 the rest of a line, as while it waits for a new one, it must also watch the \
                 signal",
                &mut [&mut halfway],
            )
            .await;
        halfway
            .expect_closed("the client that sent half a command")
            .await;
    }

    #[tokio::test]
    async fn a_silent_client_keeps_no_one_busy() {
        let server = start_server().await;
        let mut silent = Client::connect(server.address).await;
        assert_eq!(silent.send("SET a 1").await, "OK");
        // The client stays connected, and says nothing more: the server has nothing to do
        // until the signal. The clock is paused, so the day below passes in one jump, as soon
        // as every task is waiting. A task that wakes up again and again (every turn, or on a
        // timer of its own) moves the clock a step at a time, and a day of steps takes far
        // longer than the REAL_TIME_FOR_A_DAY after which a thread of its own gives up.
        let (gave_up, giving_up) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(REAL_TIME_FOR_A_DAY);
            let _ = gave_up.send(());
        });
        tokio::time::pause();
        let waited = tokio::select! {
            biased;
            () = tokio::time::sleep(Duration::from_secs(24 * 60 * 60)) => true,
            _ = giving_up => false,
        };
        tokio::time::resume();
        assert!(
            waited,
            "a client was connected and silent, and the server kept waking up: in \
             {REAL_TIME_FOR_A_DAY:?} of real time, the paused clock could not get through a day, \
             which it does in one jump when every task waits (a progress message once a second \
             is a step a second, and fits). Some task looks at the signal again and again (a loop \
             that reads the flag and yields, or a timeout or a tick around the read), which \
             keeps a CPU busy for every idle connection. Put the signal itself in the select, \
             next to the read (`shutdown.wait_for(..)`): the connection then sleeps until a \
             command or the signal comes"
        );
        server
            .shut_down_with(
                "a client was connected, waiting silently",
                WATCH_THE_SIGNAL,
                &mut [&mut silent],
            )
            .await;
        silent.expect_closed("the silent client").await;
    }

    /// The signal is the value `true`: a value sent that is still `false` changes the channel,
    /// and must stop nothing (as in `serve`, which waits for `true`), nor lose what the
    /// connection has read of a command.
    #[tokio::test]
    async fn a_signal_still_false_stops_nothing() {
        let server = start_server().await;
        let mut client = Client::connect(server.address).await;
        assert_eq!(client.send("SET a 1").await, "OK");
        // The start of a command, and the value `false` once the server has read it; then the
        // rest of the command.
        let started = client.writer.write_all(b"GET ").await;
        // Lets the server's task read "GET " (on loopback, it is there already).
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        server.stop.send(false).unwrap();
        // Lets the server's tasks see the change.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let written = match started {
            Ok(()) => client.writer.write_all(b"a\n").await,
            failed => failed,
        };
        let next = timeout(PATIENCE, client.replies.next_line()).await;
        let what = match (&written, &next) {
            (Ok(()), Ok(Ok(Some(line)))) if line == "VALUE 1" => None,
            (Ok(()), Ok(Ok(Some(line)))) if line.ends_with("\"a\"") => panic!(
                "a client sent \"GET \" (the start of a command); then the shutdown signal was \
                 sent with the value `false` (the server must go on: the signal is the value \
                 turning `true`); then the client sent the rest, \"a\\n\", and the reply was \
                 {line:?}: the server ran \"a\" alone, so \"GET \", read before the change, \
                 was lost. Was the read of the line dropped when the channel changed (a \
                 `select!` drops the branch that loses, here to `changed()`), and a new one \
                 started? A dropped read loses what it had read of the line. Wait for `true` \
                 itself (`shutdown.wait_for(|stop| *stop)`): a change to `false` then ends \
                 nothing, and the read goes on"
            ),
            (Ok(()), Ok(Ok(Some(line)))) => Some(format!("the reply to \"GET a\" was {line:?}")),
            (Err(e), _) => Some(format!("sending \"GET a\" failed ({e})")),
            (_, Ok(Ok(None)) | Ok(Err(_))) => Some("the connection was closed".to_string()),
            (_, Err(_)) => Some("\"GET a\" got no reply".to_string()),
        };
        if let Some(what) = what {
            panic!(
                "a client sent \"GET \" (the start of a command); then the shutdown signal was \
                 sent with the value `false` (the server must go on: the signal is the value \
                 turning `true`); then the client sent the rest, \"a\\n\", and {what}: a change \
                 of the channel is not yet the signal. Wait for `true`, as serve does \
                 (`shutdown.wait_for(|stop| *stop)`), not for any change (`changed()`). (Or \
                 is the stop kept where every server sees it, a `static` set by another \
                 server's shutdown? Each server stops at its own `shutdown` signal only.)"
            );
        }
        server
            .shut_down_with(
                "a client was connected, after a signal still `false`",
                WATCH_THE_SIGNAL,
                &mut [&mut client],
            )
            .await;
        client.expect_closed("the client").await;
    }

    #[tokio::test]
    async fn a_dropped_sender_is_the_signal_too() {
        let server = start_server().await;
        let mut silent = Client::connect(server.address).await;
        assert_eq!(silent.send("SET a 1").await, "OK");
        // The client stays connected, and says nothing more. The signal: the sender is dropped.
        let Server { stop, task, .. } = server;
        // As in Server::shut_down: the clock is paused, and the limit passes only when every
        // task is waiting.
        tokio::time::pause();
        drop(stop);
        let Ok(returned) = timeout(PATIENCE, task).await else {
            let half_closed = all_see_the_end(&mut [&mut silent]).await;
            tokio::time::resume();
            if half_closed {
                panic!(
                    "serve had not returned after the shutdown sender was dropped, while a \
                     client was connected, waiting silently, and all its tasks were waiting; \
                     {HALF_CLOSED}"
                );
            }
            // Does the signal sent as `true` end such a connection? A second server, in the same
            // state, tells.
            let other = start_server().await;
            let mut other_client = Client::connect(other.address).await;
            assert_eq!(other_client.send("SET a 1").await, "OK");
            tokio::time::pause();
            other.stop.send(true).unwrap();
            let on_true = timeout(PATIENCE, other.task).await.is_ok();
            tokio::time::resume();
            if on_true {
                panic!(
                    "serve had not returned after the shutdown sender was dropped, while a \
                     client was connected, waiting silently, and all its tasks were waiting; \
                     another server in the same state did return at `send(true)`. A dropped \
                     sender is the signal too: `wait_for` then gives an `Err`, and in a \
                     `select!` a branch whose pattern does not match (`Ok(_) = ...`) is \
                     disabled, so the connection goes on waiting for the client. Take any \
                     result (`_ = ...`)"
                );
            }
            panic!(
                "serve had not returned after the shutdown sender was dropped, while a client \
                 was connected, waiting silently, and all its tasks were waiting; another \
                 server in the same state did not return at `send(true)` either. Every \
                 connection must end at the signal: while a connection waits for the client's \
                 next command, it must also watch the signal (`shutdown.wait_for(..)` in a \
                 `select!` next to the read), and a dropped sender counts as the signal too"
            );
        };
        tokio::time::resume();
        let result = returned.expect("serve panicked");
        assert!(result.is_ok(), "serve failed: {result:?}");
        silent.expect_closed("the silent client").await;
    }

    #[tokio::test]
    async fn a_busy_client_is_let_go_too() {
        // A client that never stops sending: "GET a" after "GET a", a thousand to a write, and
        // a task of its own that reads every reply. Its connection always has a command to
        // read next, and must still end at the signal, once the command in progress is done.
        // Small socket buffers on the way to the server keep the client only a few thousand
        // commands ahead of it.
        let listener = {
            let socket = TcpSocket::new_v4().unwrap();
            socket.set_recv_buffer_size(16 * 1024).unwrap();
            socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            socket.listen(1024).unwrap()
        };
        let server = start_server_on(listener, Store::default());
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_send_buffer_size(4 * 1024).unwrap();
        let socket = timeout(PATIENCE, socket.connect(server.address))
            .await
            .expect("connecting to the server took too long")
            .expect("could not connect to the server");
        let (reader, mut writer) = socket.into_split();
        let batch = "GET a\n".repeat(1000);
        let writing = tokio::spawn(async move {
            while writer.write_all(batch.as_bytes()).await.is_ok() {
                tokio::task::yield_now().await;
            }
        });
        let answered = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&answered);
        let (first_tx, first_reply) = tokio::sync::oneshot::channel::<()>();
        let reading = tokio::spawn(async move {
            let mut first_tx = Some(first_tx);
            let mut replies = BufReader::new(reader).lines();
            while let Ok(Some(reply)) = replies.next_line().await {
                if reply != "NIL" {
                    return Some(reply);
                }
                counted.fetch_add(1, Ordering::SeqCst);
                if let Some(first) = first_tx.take() {
                    let _ = first.send(());
                }
            }
            None
        });
        if timeout(PATIENCE, first_reply).await.is_err() {
            let wrong = if reading.is_finished() {
                format!("{:?}", reading.await.ok().flatten())
            } else {
                "nothing".to_string()
            };
            panic!(
                "a client sent \"GET a\" (on an empty store) a thousand times in a write, again \
                 and again, and in {PATIENCE:?} its first reply was {wrong}, not \"NIL\""
            );
        }
        let Server { stop, mut task, .. } = server;
        stop.send(true).unwrap();
        let at_signal = answered.load(Ordering::SeqCst);
        // How many more commands a connection may answer after the signal: far more than can
        // be on their way to it at the signal (the socket buffers hold a few thousand, and a
        // whole read buffer of 64 KB is 11000 of them).
        let more = 50_000;
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let returned = loop {
            tokio::select! {
                returned = &mut task => break Ok(returned),
                _ = tokio::time::sleep_until(deadline) => break Err(false),
                _ = tokio::time::sleep(Duration::from_millis(20)) => {
                    if answered.load(Ordering::SeqCst) >= at_signal + more {
                        break Err(true);
                    }
                }
            }
        };
        let after = answered.load(Ordering::SeqCst) - at_signal;
        writing.abort();
        reading.abort();
        match returned {
            Ok(returned) => {
                let result = returned.expect("serve panicked");
                assert!(result.is_ok(), "serve failed: {result:?}");
            }
            Err(true) => panic!(
                "a client kept sending \"GET a\", a thousand to a write, and reading the \
                 replies; after the shutdown signal its connection answered {after} more \
                 commands, and serve had not returned: a connection that always has a command \
                 waiting must end at the signal too, once the command in progress is done. \
                 If the signal is watched next to the read: is it looked at only when the \
                 client has nothing more to read, or after a quiet spell? (A `biased` select! \
                 that tries the read first never gets to the signal while commands keep \
                 coming; nor does a timer made anew for every command.)"
            ),
            Err(false) => panic!(
                "a client kept sending \"GET a\", a thousand to a write, and reading the \
                 replies; {PATIENCE:?} after the shutdown signal serve had not returned, and the \
                 connection had answered {after} commands since the signal: once the command in \
                 progress is done, every connection must end at the signal, however busy its \
                 client"
            ),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_signal_is_heard_the_moment_it_comes() {
        // Time is paused in this test: the clock moves only when every task is waiting, and
        // then jumps to the next timer. So no time limits here (the clock would jump to them
        // while a reply is on its way): only the 1 ms below, once the signal is sent.
        let server = start_server().await;
        let socket = TcpStream::connect(server.address).await.unwrap();
        let (reader, mut writer) = socket.into_split();
        let mut replies = BufReader::new(reader).lines();
        writer.write_all(b"SET a 1\n").await.unwrap();
        let reply = replies.next_line().await.unwrap();
        assert_eq!(reply.as_deref(), Some("OK"), "the reply to \"SET a 1\"");

        // The client stays connected, and says nothing more.
        let Server { stop, mut task, .. } = server;
        stop.send(true).unwrap();
        let returned = tokio::select! {
            biased;
            returned = &mut task => returned,
            _ = tokio::time::sleep(Duration::from_millis(1)) => panic!(
                "serve had not returned 1 ms after the shutdown signal, while a client was \
                 connected, waiting silently (time is paused in this test: 1 ms passes only \
                 once every task is waiting). With nothing else to do, every connection must \
                 end the moment the signal comes: was the signal checked on a timer (a timeout \
                 around the read, or a tick), and so heard only at the next check? Put the \
                 signal itself in the select, next to the read: it wakes the connection when \
                 it is sent. (Or does a connection wait a while after the signal before it \
                 closes, to give the client a moment? Close it at once)"
            ),
        };
        let result = returned.expect("serve panicked");
        assert!(result.is_ok(), "serve failed: {result:?}");
        let after = replies.next_line().await;
        if let Ok(Some(line)) = &after {
            panic!("the client was sent {line:?} after the shutdown. {UNASKED}");
        }
        assert!(
            matches!(after, Ok(None) | Err(_)),
            "the client is still connected after the shutdown: every connection must be closed \
             (got {after:?})"
        );
    }

    /// The paused clock does not see a thread that blocks: a `std::thread::sleep` after the
    /// signal (to give the client a moment) holds up serve, and every other connection on its
    /// thread, in real time only. With one silent client, serve returns well within a
    /// millisecond of the signal; one-sided, since load slows some runs, never all: the fastest
    /// of 3 servers must return within 30 ms of real time.
    #[tokio::test]
    async fn serve_returns_at_once_on_the_real_clock_too() {
        let mut fastest = Duration::MAX;
        for _ in 0..3 {
            let Server {
                address,
                stop,
                mut task,
                ..
            } = start_server().await;
            let socket = TcpStream::connect(address).await.unwrap();
            let (reader, mut writer) = socket.into_split();
            let mut replies = BufReader::new(reader).lines();
            writer.write_all(b"SET a 1\n").await.unwrap();
            let reply = timeout(PATIENCE, replies.next_line()).await;
            assert!(
                matches!(&reply, Ok(Ok(Some(reply))) if reply == "OK"),
                "the reply to \"SET a 1\" was {reply:?}, not \"OK\""
            );
            // The client stays connected, and says nothing more.
            let start = std::time::Instant::now();
            stop.send(true).unwrap();
            // A hang guard only, short, since other tests wait for serve at length.
            let returned = timeout(Duration::from_millis(250), &mut task).await;
            let took = start.elapsed();
            let Ok(returned) = returned else {
                panic!(
                    "serve had not returned 250 ms (of real time) after the shutdown signal, \
                     while a client was connected, waiting silently. {WATCH_THE_SIGNAL}"
                );
            };
            let result = returned.expect("serve panicked");
            assert!(result.is_ok(), "serve failed: {result:?}");
            fastest = fastest.min(took);
        }
        assert!(
            fastest < Duration::from_millis(30),
            "with one silent client connected, serve took {fastest:?} of real time to return \
             after the shutdown signal, the fastest of 3 servers (with nothing to finish, it \
             takes well under a millisecond): something holds up the thread after the signal, \
             where the paused clock of the other tests does not see it (a `std::thread::sleep`, \
             a blocking wait or a busy loop, to give the client a moment?). Close the \
             connection the moment the signal comes, and never block the runtime's thread: it \
             runs every other connection too"
        );
    }

    /// Slow clients, each reading the replies to many "GET big{n}" it sent at once.
    struct SlowClients {
        /// Each client's socket, and the replies it expects.
        clients: Vec<(TcpStream, Vec<String>)>,
    }

    impl SlowClients {
        /// Stores 8 values of different sizes, up to 32 KB, under big0..big7; then 8 clients,
        /// each with a small receive buffer, send `gets` "GET big{n}" at once and read the start
        /// of the first reply. Their connections are then writing those replies, as fast as the
        /// clients read, which is not at all for now. (Client 0's replies, of 32 KB, are more
        /// than the socket buffers hold, about 12 KB on Linux: its connection stays in the
        /// middle of the first one until the client reads. The others, of other sizes, are
        /// caught at other points of a reply.)
        async fn start(address: SocketAddr, gets: usize) -> SlowClients {
            let mut setter = Client::connect(address).await;
            let mut values = Vec::new();
            for n in 0..8 {
                let value = "v".repeat(LONGEST_LINE - "SET big0 \n".len() - n * 2999);
                let command = format!("SET big{n} {value}");
                let reply = setter.send(&command).await;
                assert!(
                    reply == "OK",
                    "a client sent {}, and the reply was {}, not \"OK\"",
                    cut(&command),
                    cut(&reply)
                );
                values.push(value);
            }
            drop(setter);
            let mut clients = Vec::new();
            for (n, value) in values.iter().enumerate() {
                let socket = TcpSocket::new_v4().unwrap();
                socket.set_recv_buffer_size(4 * 1024).unwrap();
                let mut client = timeout(PATIENCE, socket.connect(address))
                    .await
                    .expect("connecting to the server took too long")
                    .expect("could not connect to the server");
                let commands = format!("GET big{n}\n").repeat(gets);
                if let Err(e) = client.write_all(commands.as_bytes()).await {
                    panic!(
                        "slow client {n}: the server closed the connection while the test was \
                         sending {gets} \"GET big{n}\" in one write ({e})"
                    );
                }
                let mut start = [0u8; 6];
                match timeout(PATIENCE, client.read_exact(&mut start)).await {
                    Err(_) => {
                        panic!("slow client {n}: no reply to \"GET big{n}\" within {PATIENCE:?}")
                    }
                    Ok(Err(e)) => panic!(
                        "slow client {n}: the server closed the connection while the test was \
                         reading the start of the reply to \"GET big{n}\" ({e})"
                    ),
                    Ok(Ok(_)) => {}
                }
                assert_eq!(&start, b"VALUE ");
                clients.push((client, vec![format!("VALUE {value}\n"); gets]));
            }
            SlowClients { clients }
        }

        /// Each client reads on, until its connection closes or it has every reply it asked
        /// for (all within PATIENCE of the real clock); then, with the clock paused (closing
        /// needs no I/O), those that have every reply wait for their connection to close. `Ok`
        /// with how many whole replies each client read; else `Err((true, what))`, what a client
        /// read where a reply was cut off or wrong, or `Err((false, what))` where its connection
        /// stayed open.
        async fn read_to_the_end(&mut self) -> Result<Vec<usize>, (bool, String)> {
            let deadline = tokio::time::Instant::now() + PATIENCE;
            let mut seen = Vec::new();
            for (n, (client, expected)) in self.clients.iter_mut().enumerate() {
                let all: usize = expected.iter().map(String::len).sum();
                let mut read = b"VALUE ".to_vec();
                let mut chunk = vec![0u8; 64 * 1024];
                let reading = tokio::time::timeout_at(deadline, async {
                    while read.len() < all {
                        let got = client.read(&mut chunk).await?;
                        if got == 0 {
                            return Ok(true);
                        }
                        read.extend_from_slice(&chunk[..got]);
                    }
                    Ok::<bool, io::Error>(false)
                })
                .await;
                let then = match &reading {
                    Ok(Ok(true)) => "then the connection closed".to_string(),
                    Ok(Ok(false)) => "then nothing more yet".to_string(),
                    Ok(Err(e)) => format!("then the connection failed ({e})"),
                    Err(_) => format!("then nothing more came for {PATIENCE:?}"),
                };
                let whole = whole_replies(&read, expected).map_err(|what| {
                    let what = format!(
                        "slow client {n} (replies of {} bytes) read {what}, and {then}",
                        expected[0].len()
                    );
                    (true, what)
                })?;
                if reading.is_err() {
                    return Err((
                        false,
                        format!(
                            "slow client {n} read {whole} whole replies of the {} it asked for, \
                             and {then}: the connection stayed open",
                            expected.len()
                        ),
                    ));
                }
                seen.push(whole);
            }
            // Every client that has all its replies: its connection has no more to write, and
            // closing it needs no I/O. The clock is paused, and the limit passes only when every
            // task is waiting.
            tokio::time::pause();
            for (n, (client, expected)) in self.clients.iter_mut().enumerate() {
                if seen[n] < expected.len() {
                    continue;
                }
                let mut more = [0u8; 64];
                let next = timeout(PATIENCE, client.read(&mut more)).await;
                match next {
                    Ok(Ok(0)) | Ok(Err(_)) => {}
                    Ok(Ok(got)) => {
                        tokio::time::resume();
                        return Err((
                            true,
                            format!(
                                "slow client {n} read the {} replies it asked for, whole, and \
                                 then {}, that no command asked for. {UNASKED}",
                                expected.len(),
                                cut(&String::from_utf8_lossy(&more[..got]))
                            ),
                        ));
                    }
                    Err(_) => {
                        tokio::time::resume();
                        return Err((
                            false,
                            format!(
                                "slow client {n} read the {} replies it asked for, whole, and \
                                 then the connection stayed open, with every task of the server \
                                 waiting (for its next command?)",
                                expected.len()
                            ),
                        ));
                    }
                }
            }
            tokio::time::resume();
            Ok(seen)
        }
    }

    #[tokio::test]
    async fn a_reply_being_sent_is_sent_whole() {
        // Small socket buffers on the server's side, so that its connections write the replies
        // below only as fast as the clients read them.
        let server = start_server_on(listener_with_small_send_buffers(), Store::default());
        let gets = 16;
        let mut slow = SlowClients::start(server.address, gets).await;

        // The replies are being sent, and the buffers are full: the connections are in the
        // middle of writing them. Signal now; the clients then read to the end.
        server.stop.send(true).unwrap();
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        assert!(
            !server.task.is_finished(),
            "serve returned right after the signal, while slow client 0 had read only 6 bytes \
             of a reply of 32 KB, more than the socket buffers hold (about 12 KB), so that \
             reply was still being sent: let each connection finish its command (do not abort \
             it), and wait until every connection has closed"
        );
        match slow.read_to_the_end().await {
            Ok(_) => {}
            Err((true, what)) => {
                panic!(
                    "8 slow clients each sent {gets} \"GET big..\" at once, and the signal came \
                     while the replies were being sent. From the start of the first reply, \
                     {what}. A command that has begun is finished, reply included; only the \
                     wait for the next command may be interrupted by the signal"
                );
            }
            Err((false, what)) => panic!(
                "8 slow clients each sent {gets} \"GET big..\" at once, and the signal came \
                 while the replies were being sent; the clients then read on: {what}. Once the \
                 command in progress is finished, every connection must end at the signal"
            ),
        }
        // Every connection has closed, and serve returning needs no more I/O. So the clock is
        // paused, and the limit passes only when every task is waiting.
        tokio::time::pause();
        let paused = tokio::time::Instant::now();
        let mut task = server.task;
        let Ok(returned) = timeout(PATIENCE, &mut task).await else {
            // The clients have read the end of their connections. Does serve return once they
            // close their own side too?
            for (client, _) in &mut slow.clients {
                let _ = client.shutdown().await;
            }
            let then = ends_within_a_few_turns(&task).await;
            tokio::time::resume();
            if then {
                panic!(
                    "after the shutdown signal, the replies were sent whole and every client \
                     read the end of its connection, and serve had not returned, with all its \
                     tasks waiting; it returned only once the clients closed their own side \
                     too. The connections were closed only for writing: the server still \
                     waited for the clients (which could still send) to leave. Once the command \
                     in progress is done, close the whole connection at the signal (return \
                     from handle_client, which drops both halves), whatever the client does"
                );
            }
            panic!(
                "after the shutdown signal, the replies were sent whole, every client read the \
                 end of its connection and then closed its own side too, and serve had not \
                 returned, with all its tasks waiting: once every connection has closed, serve \
                 must return"
            )
        };
        let waited = paused.elapsed();
        tokio::time::resume();
        assert!(returned.unwrap().is_ok());
        assert!(
            waited.is_zero(),
            "every connection had closed after the shutdown signal, and serve returned only \
             {waited:?} of paused time later (the paused clock moves only when every task \
             waits, so that was a timer): serve looks on a timer of its own for the \
             connections that have ended (a sleep around `try_join_next` or `is_finished`). \
             Await the connections (`join_next().await`): serve then returns the moment the \
             last one ends"
        );
    }

    #[tokio::test]
    async fn a_huge_reply_being_sent_is_sent_whole() {
        // One value of about 100 KiB, on a line longer than LONGEST_LINE: the story names no
        // limit, so the server may refuse the SET (an ERR reply, or closing the connection).
        // If it takes it, the reply to a GET of it is a reply like any other: being sent at the
        // signal, it is sent whole.
        let server = start_server_on(listener_with_small_send_buffers(), Store::default());
        let value = "0123456789".repeat(10_240) + "end";
        let mut setter = Client::connect(server.address).await;
        let accepted = match setter
            .writer
            .write_all(format!("SET huge {value}\n").as_bytes())
            .await
        {
            Ok(()) => timeout(PATIENCE, setter.replies.next_line()).await,
            Err(_) => Ok(Ok(None)),
        };
        drop(setter);
        if !matches!(&accepted, Ok(Ok(Some(reply))) if reply == "OK") {
            return;
        }

        // A client with a small receive buffer asks for it and reads the start of the reply.
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4 * 1024).unwrap();
        let mut client = timeout(PATIENCE, socket.connect(server.address))
            .await
            .expect("connecting to the server took too long")
            .expect("could not connect to the server");
        client.write_all(b"GET huge\n").await.unwrap();
        let mut start = [0u8; 6];
        match timeout(PATIENCE, client.read_exact(&mut start)).await {
            Err(_) => panic!("no reply to \"GET huge\" within {PATIENCE:?}"),
            Ok(Err(e)) => panic!(
                "the server closed the connection while the test was reading the start of the \
                 reply to \"GET huge\" ({e})"
            ),
            Ok(Ok(_)) => {}
        }
        assert_eq!(&start, b"VALUE ");

        // The reply is far more than the socket buffers hold: it is being sent. Signal now;
        // the client then reads to the end.
        server.stop.send(true).unwrap();
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let expected = format!("VALUE {value}\n");
        let mut read = start.to_vec();
        let mut chunk = vec![0u8; 64 * 1024];
        // Up to the reply's end (that the connection then ends at the signal, and serve
        // returns, the other shutdown tests check: waiting for it here would make the shipped
        // code's run outlast its time limit).
        let reading = timeout(PATIENCE, async {
            while read.len() < expected.len() {
                let got = client.read(&mut chunk).await?;
                if got == 0 {
                    break;
                }
                read.extend_from_slice(&chunk[..got]);
            }
            Ok::<(), io::Error>(())
        })
        .await;
        let then = match &reading {
            Ok(Ok(())) if read.len() < expected.len() => "then the connection closed".to_string(),
            Ok(Ok(())) => "then it had the whole reply".to_string(),
            Ok(Err(e)) => format!("then the connection failed ({e})"),
            Err(_) => format!("then nothing more came for {PATIENCE:?}"),
        };
        if let Err(what) = whole_replies(&read, std::slice::from_ref(&expected)) {
            panic!(
                "a client SET a value of {} bytes (the server answered \"OK\"), and another one \
                 sent \"GET huge\" and had read the first 6 bytes of the reply when the signal \
                 came, the rest far more than the socket buffers hold; it then read {what}, and \
                 {then}. A reply that has begun is sent whole, however big: only the wait for \
                 the next command may be interrupted by the signal",
                value.len()
            );
        }
    }

    #[tokio::test]
    async fn a_slow_reader_gets_all_the_time_it_needs() {
        // Small socket buffers on the server's side, so that its connections write the replies
        // below only as fast as the clients read them.
        let server = start_server_on(listener_with_small_send_buffers(), Store::default());
        let gets = 16;
        let mut slow = SlowClients::start(server.address, gets).await;
        // Time is paused from here on: the day below passes at once, as soon as every task is
        // waiting.
        tokio::time::pause();

        // The replies are being sent, and the clients read nothing more for a day. The day
        // passes in one jump when every task waits (for the clients to read); a task that
        // wakes up again and again (on a timer of its own) moves the clock a step at a time:
        // serve may run 100000 times in the day (a progress message once a second is 86400),
        // and a thread of its own gives up after REAL_TIME_FOR_A_DAY.
        let Server {
            stop, task, polls, ..
        } = server;
        stop.send(true).unwrap();
        // Closing the connections at the signal needs no I/O: a few turns of the other tasks.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let cut_at_once = task.is_finished();
        let (gave_up, giving_up) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            std::thread::sleep(REAL_TIME_FOR_A_DAY);
            let _ = gave_up.send(());
        });
        let start = tokio::time::Instant::now();
        let before = polls.count.load(Ordering::SeqCst);
        polls.limit.store(before + 100_000, Ordering::SeqCst);
        let waited = tokio::select! {
            biased;
            () = tokio::time::sleep(Duration::from_secs(24 * 60 * 60)) => None,
            () = polls.over.notified() => Some(format!(
                "serve ran 100000 times in the first {:?} of it (about {:?} apart)",
                start.elapsed(),
                start.elapsed() / 100_000
            )),
            _ = giving_up => Some(format!(
                "in {REAL_TIME_FOR_A_DAY:?} of real time, the paused clock got through only \
                 {:?} of it (serve ran {} times)",
                start.elapsed(),
                polls.count.load(Ordering::SeqCst) - before
            )),
        };
        polls.limit.store(usize::MAX, Ordering::SeqCst);
        if let Some(seen) = waited {
            panic!(
                "after the signal, while 8 slow clients read nothing (most of the replies to \
                 their GETs still to come), the server kept waking up during a day of paused \
                 time, which passes in one jump when every task waits: {seen}. Some task \
                 checks again and again whether the connections have ended (a loop with a \
                 sleep or a tick around `try_join_next` or `is_finished`, or a timeout around \
                 a join), or prints progress more often than about once a second: await the \
                 connections themselves (`join_next().await`), so the server sleeps until one \
                 ends"
            );
        }
        if task.is_finished() {
            let panicked = task.await.is_err_and(|ended| ended.is_panic());
            let how = if panicked {
                "serve panicked within that day of paused time (a safety net shorter than the \
                 day?): a client that reads slowly may take longer than any such limit"
            } else if cut_at_once {
                "serve returned right after the signal, with no time passed on the paused clock \
                 (was the reply cut off at the signal, its write raced against the signal or its \
                 task aborted? Or was the connection left running on its own?)"
            } else {
                "serve returned later in that day of paused time, which moves only on timers: it \
                 gave up on the connection after a wait of its own (a sleep or a timeout)"
            };
            panic!(
                "slow client 0 had read only 6 bytes of a reply of 32 KB, more than the socket \
                 buffers hold (about 12 KB), and read nothing more for a day after the signal, \
                 and {how}. A reply that has begun is sent whole, however slowly the client \
                 reads it: wait for every connection to close, with no time limit"
            );
        }
        // The clients read now, on the real clock.
        tokio::time::resume();
        match slow.read_to_the_end().await {
            Ok(_) => {}
            Err((true, what)) => {
                panic!(
                    "after the signal, 8 slow clients read nothing for a day of paused time, \
                     then read on. From the start of the first reply, {what}. A reply that has \
                     begun is sent whole, however slowly the client reads it: wait for \
                     every connection to close, with no time limit"
                );
            }
            Err((false, what)) => panic!(
                "after the signal, 8 slow clients read nothing for a day of paused time, then \
                 read on: {what}. Once the command in progress is finished, every connection \
                 must end at the signal"
            ),
        }
    }

    /// On `runtime`, `clients` clients come one after the other before any signal (each sets a
    /// key, has its reply and leaves), then waits until the server's tasks for them have ended.
    /// Returns how many tasks are alive on the runtime then, and how many heap blocks this thread
    /// (the runtime's only one) allocated meanwhile and did not free.
    fn kept_after(
        runtime: &tokio::runtime::Runtime,
        address: SocketAddr,
        clients: usize,
    ) -> (usize, i64) {
        let mut tasks = 0;
        let kept = allocation_counter::measure(|| {
            runtime.block_on(async {
                for n in 0..clients {
                    let mut client = Client::connect(address).await;
                    assert_eq!(
                        client.send("SET visitor here").await,
                        "OK",
                        "client {n}'s reply to \"SET visitor here\""
                    );
                }
                // The server's task for each client ends once it has read the client's end of
                // the stream; then `serve` gets its turn to reap it. serve's own task, and one
                // helper task of its own, may stay.
                let metrics = tokio::runtime::Handle::current().metrics();
                for _ in 0..100_000 {
                    if metrics.num_alive_tasks() <= 2 {
                        break;
                    }
                    tokio::task::yield_now().await;
                }
                for _ in 0..100 {
                    tokio::task::yield_now().await;
                }
                tasks = metrics.num_alive_tasks();
            })
        });
        (tasks, kept.count_current)
    }

    #[test]
    fn clients_that_left_before_the_signal_are_forgotten() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("could not build a runtime");
        let server = runtime.block_on(start_server());
        // The first clients set up a few things for good (the store's key, the I/O driver's
        // tables).
        kept_after(&runtime, server.address, 20);
        let (few_tasks, few_blocks) = kept_after(&runtime, server.address, 10);
        let (many_tasks, many_blocks) = kept_after(&runtime, server.address, 210);
        assert!(
            many_tasks < few_tasks + 100,
            "no shutdown signal yet: after 10 clients had come and gone, {few_tasks} tasks were \
             alive on the server's runtime; after 210 more, {many_tasks}. Every client that has \
             left leaves a task behind, still waiting for the signal (a watcher spawned for \
             each connection?), so a server that runs for long keeps an idle task for every \
             client that ever came. Whatever a connection starts must end with the connection: \
             watch the signal in handle_client's own select, next to the read \
             (`shutdown.wait_for(..)`), or abort a helper task when its connection ends"
        );
        assert!(
            many_blocks - few_blocks < 100,
            "no shutdown signal yet: after 10 clients had come and gone, the server kept \
             {few_blocks} more heap blocks; after 210 clients, {many_blocks}: it keeps \
             something for every client that has left (a sender, a token or a handle per \
             connection in a list that only the shutdown empties, or finished connections \
             left in the JoinSet, which keeps each finished task until it is joined). Keep \
             nothing for a connection once it has ended: let it watch the signal itself \
             (`shutdown.wait_for(..)` in its select), and take finished connections out of \
             the set (`join_next`, as serve does at first)"
        );
    }

    #[tokio::test]
    async fn a_set_and_a_get_sent_together() {
        let server = start_server().await;
        let mut alice = Client::connect(server.address).await;
        // Both commands in one write: the GET is there to be read as soon as the SET is done.
        alice
            .writer
            .write_all(b"SET colour red\nGET colour\n")
            .await
            .unwrap();
        let mut replies = Vec::new();
        for _ in 0..2 {
            match timeout(PATIENCE, alice.replies.next_line()).await {
                Ok(Ok(Some(reply))) => replies.push(reply),
                other => panic!(
                    "a client sent \"SET colour red\" and \"GET colour\" in one write, and after \
                     the replies {replies:?} the next read gave {other:?}, not a reply"
                ),
            }
        }
        if replies == ["OK", "NIL"] {
            panic!(
                "a client sent \"SET colour red\" and \"GET colour\" in one write, and the \
                 replies were \"OK\", then \"NIL\": the SET was answered before it changed the \
                 store. Apply each command to the store before replying to it"
            );
        }
        assert_eq!(
            replies,
            ["OK", "VALUE red"],
            "a client sent \"SET colour red\" and \"GET colour\" in one write: the replies must \
             be \"OK\", then \"VALUE red\""
        );
        drop(alice);
        server.shut_down("no client was connected").await;
    }
}
