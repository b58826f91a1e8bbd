// kv_many_clients
//
// The key-value server, step 3: it must keep up with many clients, and with clients that behave
// badly. (The protocol is in step 1, `kv_read_command`.) Two things go wrong:
//
// - A client may send several commands at once, without waiting for the replies ("pipelining").
//   Then only the first command gets a reply, and the client waits forever for the others.
// - A client that sends bytes that are not UTF-8 makes its `handle_client` fail. That is fine
//   for that client, but `serve` then stops, and takes every other client down with it.
//
// Make every complete command get its reply, in order, however the commands arrive, reading
// ahead rather than a byte at a time. Make a failing client end only its own connection: the
// server goes on serving the others. (`handle_client` takes any stream, as in step 2: the tests
// also hand it one of their own, which counts the reads.)

use std::collections::HashMap;
use std::io;

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
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
async fn handle_client<S>(stream: S, store: Store) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    loop {
        // TODO: a BufReader reads ahead. What happens to what it has read when it is dropped?
        let mut buffered = BufReader::new(&mut reader);
        let Some(line) = next_line(&mut buffered).await? else {
            return Ok(());
        };
        let reply = {
            let mut map = store.lock().unwrap();
            match parse(&line) {
                Ok(command) => execute(&mut map, command),
                Err(e) => format!("ERR {e}"),
            }
        };
        writer.write_all(format!("{reply}\n").as_bytes()).await?;
    }
}

/// Accepts clients forever; each one is served by a task of its own, on the same store.
pub async fn serve(listener: TcpListener, store: Store) -> io::Result<()> {
    let mut clients = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (socket, _) = accepted?;
                clients.spawn(handle_client(socket, Arc::clone(&store)));
            }
            // Collect the tasks of the clients that have left, so that the set does not grow.
            Some(finished) = clients.join_next() => {
                // TODO: a client's error (or panic) is passed on here, and ends `serve`.
                finished??;
            }
        }
    }
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    // Try it with `nc 127.0.0.1 PORT` (or `telnet`); Ctrl-C to stop.
    println!("listening on {}", listener.local_addr()?);
    serve(listener, Store::default()).await
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::net::SocketAddr;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll};
    use std::time::Duration;
    use tokio::io::AsyncRead;
    use tokio::io::AsyncWrite;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
    use tokio::io::{DuplexStream, ReadBuf};
    use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::time::timeout;

    /// Hang guard only: on loopback, every reply comes in far less than this.
    const PATIENCE: Duration = Duration::from_secs(5);

    /// What a SET answered "OK" and then not seen by the GET of its key right after it, on the
    /// same connection, shows.
    const SET_ANSWERED_FIRST: &str = "the SET was answered \"OK\", and the GET of the same key \
                                      right after it, on the same connection, found no value: \
                                      the SET was answered before it changed the store. Apply \
                                      each command to the store before replying to it";

    /// The longest line these tests send, newline included. A server may cap the length of a
    /// command line (lesson 12's `lines_codec_limit`; Redis caps an inline command at 64 KiB),
    /// and the story names no size, so no line here is longer than 32 KiB: a big reply, or a
    /// full socket buffer, comes from many commands instead of one huge line.
    const LONGEST_LINE: usize = 32 * 1024;

    /// A value that makes "SET big {value}\n" exactly LONGEST_LINE bytes long.
    fn big_value(letter: &str) -> String {
        letter.repeat(LONGEST_LINE - "SET big \n".len())
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

    /// `n` things, in words that agree in number: `counted(1, "reply", "replies")` is "1
    /// reply", `counted(3, ..)` "3 replies".
    fn counted(n: usize, one: &str, many: &str) -> String {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    }

    /// What a batch of commands was, for a message.
    fn batch_name(commands: &[String]) -> String {
        match commands {
            [one] => cut(one),
            [first, ..] => format!("{} commands (the first {})", commands.len(), cut(first)),
            [] => "nothing".to_string(),
        }
    }

    /// After a client has had a reply, and stays connected: the server runs `serve`, and a
    /// task for that client.
    fn assert_a_task_per_client() {
        let tasks = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        assert!(
            tasks >= 2,
            "a client connected, had its reply and stays connected, and the server runs \
             {} in all: it serves that client in its accept loop's own task, so the \
             next client waits until it leaves. Serve each client in a task of its own \
             (`clients.spawn(handle_client(..))`, as `serve` does at first)",
            counted(tasks, "task", "tasks")
        );
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
        async fn try_connect(address: SocketAddr, name: &str) -> Result<Client, String> {
            let socket = match timeout(PATIENCE, TcpStream::connect(address)).await {
                Ok(Ok(socket)) => socket,
                Ok(Err(e)) => {
                    return Err(format!(
                        "{name}: could not connect to the server ({e}): has it stopped?"
                    ));
                }
                Err(_) => return Err(format!("{name}: connecting to the server took too long")),
            };
            let (reader, writer) = socket.into_split();
            Ok(Client {
                replies: BufReader::new(reader).lines(),
                writer,
                name: name.to_string(),
                last: None,
            })
        }

        async fn connect(address: SocketAddr, name: &str) -> Client {
            Client::try_connect(address, name)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }

        /// Sends all `commands` in one write, then reads one reply per command.
        async fn try_send_all(&mut self, commands: &[String]) -> Result<Vec<String>, String> {
            let batch: String = commands.iter().map(|c| format!("{c}\n")).collect();
            if let Err(e) = self.writer.write_all(batch.as_bytes()).await {
                return Err(format!(
                    "{}: the server closed the connection while the test was sending {} ({e})",
                    self.name,
                    batch_name(commands)
                ));
            }
            let mut replies = Vec::new();
            while replies.len() < commands.len() {
                match timeout(PATIENCE, self.replies.next_line()).await {
                    Ok(Ok(Some(reply))) => replies.push(reply),
                    Ok(Ok(None)) | Ok(Err(_)) if commands.len() == 1 => {
                        return Err(format!(
                            "{}: sent {}, and the server closed the connection without replying",
                            self.name,
                            batch_name(commands)
                        ));
                    }
                    Ok(Ok(None)) | Ok(Err(_)) => {
                        return Err(format!(
                            "{}: sent {}, and the server closed the connection after {} of the \
                             {} replies",
                            self.name,
                            batch_name(commands),
                            replies.len(),
                            commands.len()
                        ));
                    }
                    Err(_) => {
                        if let Some(repeated) = self.repeated_unanswered(commands, replies.len()) {
                            return Err(repeated);
                        }
                        if commands.len() == 1 {
                            // One command, in a write of its own: nothing after it to read
                            // ahead.
                            return Err(format!(
                                "{}: sent {}, and got no reply in 5 s. (Is the server still \
                                 busy with another client, serving one at a time? Or does the \
                                 reply wait in a BufWriter that is not flushed before the server \
                                 waits for the next command?)",
                                self.name,
                                batch_name(commands)
                            ));
                        }
                        return Err(format!(
                            "{}: sent {} commands in one write, and got {} in 5 s: the \
                             others never came. Were the commands read ahead into a BufReader \
                             that was then dropped? Keep one BufReader for the whole \
                             connection. (Or is the server still busy with another client, \
                             serving one at a time? Or do the replies wait in a BufWriter that is \
                             not flushed before the server waits for the next command?)",
                            self.name,
                            commands.len(),
                            counted(replies.len(), "reply", "replies")
                        ));
                    }
                }
            }
            self.last = commands.last().cloned();
            Ok(replies)
        }

        /// When `commands` (sent after `self.last`) repeat the command before them as often as
        /// `answered` replies fall short: a message that says so.
        fn repeated_unanswered(&self, commands: &[String], answered: usize) -> Option<String> {
            let mut previous = self.last.as_ref();
            let mut repeats = Vec::new();
            for command in commands {
                if previous == Some(command) {
                    repeats.push(command);
                }
                previous = Some(command);
            }
            let first = repeats.first()?;
            if answered + repeats.len() != commands.len() {
                return None;
            }
            let what = if commands.len() == 1 {
                format!(
                    "sent {}, the same command as the one before it (which was answered), and \
                     got no reply in 5 s",
                    cut(first)
                )
            } else {
                format!(
                    "sent {} commands in one write, {} of them the same as the command before \
                     it ({} the first), and got {} in 5 s, as many as the commands that \
                     were not a repeat",
                    commands.len(),
                    repeats.len(),
                    cut(first),
                    counted(answered, "reply", "replies")
                )
            };
            Some(format!(
                "{}: {what}. Every command gets its reply, also one equal to the one before it \
                 (a client may well ask the same thing twice)",
                self.name
            ))
        }

        /// Sends all `commands` in one write, closes its sending side (the server then reads
        /// the end of the stream after them), and reads one reply per command.
        async fn try_send_all_and_close(
            mut self,
            commands: &[String],
        ) -> Result<Vec<String>, String> {
            let batch: String = commands.iter().map(|c| format!("{c}\n")).collect();
            if let Err(e) = self.writer.write_all(batch.as_bytes()).await {
                return Err(format!(
                    "{}: the server closed the connection while the test was sending {} ({e})",
                    self.name,
                    batch_name(commands)
                ));
            }
            if let Err(e) = self.writer.shutdown().await {
                return Err(format!(
                    "{}: closing the sending side failed: {e}",
                    self.name
                ));
            }
            let mut replies = Vec::new();
            while replies.len() < commands.len() {
                match timeout(PATIENCE, self.replies.next_line()).await {
                    Ok(Ok(Some(reply))) => replies.push(reply),
                    Ok(Ok(None)) | Ok(Err(_)) => {
                        return Err(format!(
                            "{}: sent {} commands in one write, then closed its sending side (it \
                             still reads the replies), and the server hung up after {}: \
                             the other commands were lost. Were they read ahead into a \
                             BufReader that was then dropped? Keep one BufReader for the whole \
                             connection. (Or has the server stopped, because of another client?)",
                            self.name,
                            commands.len(),
                            counted(replies.len(), "reply", "replies")
                        ));
                    }
                    Err(_) => {
                        return Err(format!(
                            "{}: sent {} commands in one write, and got {} in 5 s: the \
                             others never came. (Is the server still busy with another client, \
                             serving one at a time? Or do the replies wait in a BufWriter that is \
                             not flushed before the server waits for the next command?)",
                            self.name,
                            commands.len(),
                            counted(replies.len(), "reply", "replies")
                        ));
                    }
                }
            }
            Ok(replies)
        }

        async fn send_all(&mut self, commands: &[String]) -> Vec<String> {
            self.try_send_all(commands)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
        }

        async fn send(&mut self, command: &str) -> String {
            self.send_all(&[command.to_string()]).await.remove(0)
        }
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
    async fn commands_sent_all_at_once() {
        let address = start_server().await;
        let client = Client::connect(address, "the client").await;
        let mut commands = Vec::new();
        let mut expected = Vec::new();
        for n in 0..50 {
            commands.push(format!("SET item{n} number {n}"));
            expected.push("OK".to_string());
        }
        for n in 0..50 {
            commands.push(format!("GET item{n}"));
            expected.push(format!("VALUE number {n}"));
        }
        let replies = client
            .try_send_all_and_close(&commands)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(replies, expected, "one reply per command, in order");
    }

    /// What a test that passes on a current-thread runtime and fails on a multi-thread one
    /// shows.
    const ON_EVERY_RUNTIME: &str = "If the same test passes on the current-thread runtime \
                                    of the other tests (the one without \
                                    `_on_a_multi_thread_runtime_too`), does the code do \
                                    something else depending on the runtime it finds (whether \
                                    another task gets to run at the same time, or how many \
                                    threads there are)? It must work on every kind of runtime";

    /// commands_sent_all_at_once on a multi-thread runtime, the kind `#[tokio::main]` builds
    /// (the other tests run on a current-thread one). PATIENCE is only a hang guard.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commands_sent_all_at_once_on_a_multi_thread_runtime_too() {
        let address = start_server().await;
        let client = Client::connect(address, "the client").await;
        let mut commands = Vec::new();
        let mut expected = Vec::new();
        for n in 0..50 {
            commands.push(format!("SET item{n} number {n}"));
            expected.push("OK".to_string());
        }
        for n in 0..50 {
            commands.push(format!("GET item{n}"));
            expected.push(format!("VALUE number {n}"));
        }
        let replies = client
            .try_send_all_and_close(&commands)
            .await
            .unwrap_or_else(|e| {
                panic!("on a multi-thread runtime (what `#[tokio::main]` builds), {e}. {ON_EVERY_RUNTIME}")
            });
        assert_eq!(
            replies, expected,
            "on a multi-thread runtime (what `#[tokio::main]` builds): one reply per command, \
             in order. {ON_EVERY_RUNTIME}"
        );
    }

    /// a_client_that_sends_garbage on a multi-thread runtime: one client's error ends only its
    /// own connection there too.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_client_that_sends_garbage_on_a_multi_thread_runtime_too() {
        let address = start_server().await;
        let mut good = Client::connect(address, "the good client").await;
        assert_eq!(good.send("SET mood calm").await, "OK");
        let mut bad = BufReader::new(TcpStream::connect(address).await.unwrap());
        bad.get_mut()
            .write_all(b"SET \xff\xfe oops\nGET mood\n")
            .await
            .unwrap();
        bad.get_mut().shutdown().await.unwrap();
        // The bad client's connection ends (or its line is answered): then the server has
        // dealt with it.
        let mut answer = Vec::new();
        let _ = timeout(PATIENCE, bad.read_to_end(&mut answer)).await;
        match good.try_send_all(&["GET mood".to_string()]).await {
            Ok(reply) => assert_eq!(
                reply,
                ["VALUE calm"],
                "on a multi-thread runtime (what `#[tokio::main]` builds), the good client was \
                 connected before the bad one, and must still be served. {ON_EVERY_RUNTIME}"
            ),
            Err(what) => panic!(
                "on a multi-thread runtime (what `#[tokio::main]` builds), a client sent a line \
                 that is not UTF-8, and then the good client, connected before it, could not be \
                 served: {what}. One client's error must end only its own connection: look at \
                 what `serve` does with a finished task's result. {ON_EVERY_RUNTIME}"
            ),
        }
        match Client::try_connect(address, "a client that came after the bad one").await {
            Ok(mut late) => assert_eq!(late.send("GET mood").await, "VALUE calm"),
            Err(what) => panic!(
                "on a multi-thread runtime (what `#[tokio::main]` builds), a client sent a line \
                 that is not UTF-8, and then: {what}. One client's error must end only its own \
                 connection: look at what `serve` does with a finished task's result. \
                 {ON_EVERY_RUNTIME}"
            ),
        }
    }

    /// A connection for `handle_client` that counts the reads that brought it bytes.
    struct CountedReads {
        inner: DuplexStream,
        reads: Arc<AtomicUsize>,
    }

    impl AsyncRead for CountedReads {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let before = buf.filled().len();
            let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
            if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
                self.reads.fetch_add(1, Ordering::SeqCst);
            }
            polled
        }
    }

    impl AsyncWrite for CountedReads {
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

    // Only in-memory connections here, so the clock can be paused: a wait for a reply that
    // will never come ends at once, when there is nothing else left to do.
    #[tokio::test(start_paused = true)]
    async fn pipelined_commands_are_read_ahead_and_kept() {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let reads = Arc::new(AtomicUsize::new(0));
        let connection = CountedReads {
            inner: server,
            reads: Arc::clone(&reads),
        };
        let server = tokio::spawn(handle_client(connection, Store::default()));
        let (from_server, mut to_server) = tokio::io::split(client);
        let mut replies = BufReader::new(from_server).lines();

        // 100 commands of different lengths, and the first half of the next one, in one write.
        let mut batch: String = (0..100)
            .map(|n| format!("SET key{n} {}\n", "v".repeat(1 + n % 7)))
            .collect();
        batch.push_str("GET key1");
        to_server.write_all(batch.as_bytes()).await.unwrap();
        for n in 0..100 {
            let reply = timeout(PATIENCE, replies.next_line()).await;
            let Ok(Ok(Some(reply))) = reply else {
                panic!(
                    "100 commands and half of the next came in one write, and only {} \
                     came back: were the rest read ahead into a BufReader that was then \
                     dropped? Keep one BufReader for the whole connection. (Or are the replies \
                     waiting in a BufWriter that is not flushed before the server waits for \
                     the rest of the next command?)",
                    counted(n, "reply", "replies")
                );
            };
            assert_eq!(
                reply, "OK",
                "the reply to \"SET key{n} ...\" was {reply:?}: the start of that command was \
                 lost, read ahead into a BufReader that was then dropped? Keep one BufReader \
                 for the whole connection"
            );
        }
        // The second half of the last command.
        to_server.write_all(b"3\n").await.unwrap();
        let reply = timeout(PATIENCE, replies.next_line()).await;
        assert!(
            matches!(&reply, Ok(Ok(Some(r))) if r == "VALUE vvvvvvv"),
            "\"GET key13\" came in two writes, and its reply was {reply:?}, not \"VALUE \
             vvvvvvv\": a command split over two reads must be put together again"
        );
        to_server.shutdown().await.unwrap();
        let finished = timeout(PATIENCE, server).await;
        assert!(
            matches!(finished, Ok(Ok(Ok(())))),
            "the client has gone, so handle_client returns Ok(()): {finished:?}"
        );

        let reads = reads.load(Ordering::SeqCst);
        assert!(
            reads < 100,
            "handle_client took in 101 commands, that came in 2 writes, with {reads} reads: \
             it reads a few bytes at a time (a BufReader with a tiny capacity, made anew for \
             each command?). That is a system call per byte on a real socket. Keep one \
             BufReader, with its usual capacity, for the whole connection: it reads ahead, and \
             what it read ahead waits in its buffer for the next command"
        );
    }

    #[tokio::test]
    async fn every_reply_is_written_before_handle_client_returns() {
        use futures_util::FutureExt;
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
        let expected = "OK\nVALUE 1\nDELETED\nNIL\n";
        // Replies that are right as far as they go, on a closed connection: the commands that
        // had none may have been lost (read ahead into a BufReader that was dropped).
        let lost = read.is_some()
            && replies.len() < expected.len()
            && expected.starts_with(replies.as_str())
            && (replies.is_empty() || replies.ends_with('\n'));
        // A sentence of its own here.
        let set_answered_first = format!("The{}", &SET_ANSWERED_FIRST[3..]);
        let fix = if read.is_some() && replies.starts_with("OK\nNIL\n") {
            set_answered_first.as_str()
        } else if lost {
            "The four commands came in one write: were the ones without a reply read ahead into \
             a BufReader that was then dropped? Keep one BufReader for the whole connection \
             (and write each reply in the handler itself, not in a task that is left to run on \
             its own)"
        } else {
            "Write each reply in the handler itself (`write_all(...).await`), not in a task \
             that is left to run on its own"
        };
        assert!(
            matches!(read, Some(Ok(_))) && replies == expected,
            "a client sent \"SET a 1\", \"GET a\", \"DEL a\", \"GET a\" and left; when \
             handle_client returned, the connection held {replies:?} and was {state}: every \
             reply must be written, in order, before handle_client returns. {fix}"
        );
    }

    #[tokio::test]
    async fn each_handler_runs_the_commands_on_the_store_it_is_given() {
        // Two handlers, each given a store of its own, as two servers would be.
        let first_store = Store::default();
        let second_store = Store::default();
        let mut replies = Vec::new();
        for (store, commands) in [
            (&first_store, "SET colour red\nGET colour\n"),
            (&second_store, "GET colour\n"),
        ] {
            let (mut client, server) = tokio::io::duplex(4096);
            client.write_all(commands.as_bytes()).await.unwrap();
            client.shutdown().await.unwrap();
            let ended = timeout(PATIENCE, handle_client(server, Arc::clone(store))).await;
            assert!(
                matches!(ended, Ok(Ok(()))),
                "a client sent {commands:?} and left, and handle_client ended with {ended:?}, \
                 not Ok(())"
            );
            let mut got = String::new();
            let _ = timeout(PATIENCE, client.read_to_string(&mut got)).await;
            replies.push(got);
        }
        let kept = first_store.lock().unwrap().get("colour").cloned();
        // The stores right, and only the reply to the GET that came after the SET missing: that
        // GET was lost, not run on another map.
        let cause = if replies[0] == "OK\nNIL\n" {
            SET_ANSWERED_FIRST
        } else if replies[0] == "OK\n" && replies[1] == "NIL\n" && kept.as_deref() == Some("red") {
            "the stores are right, but the GET that came in the same write as the SET got no \
             reply: was it read ahead into a BufReader that was then dropped? Keep one \
             BufReader for the whole connection"
        } else {
            "run every command on the `store` that handle_client is given, not on a map of the \
             code's own (a `static`, a `OnceLock`, a `thread_local`)"
        };
        assert!(
            replies == ["OK\nVALUE red\n", "NIL\n"] && kept.as_deref() == Some("red"),
            "a handle_client given a store of its own answered \"SET colour red\" and \"GET \
             colour\" with {:?}, and that store then held colour = {kept:?}; another \
             handle_client, given a second, empty store, answered \"GET colour\" with {:?}. \
             Expected \"OK\", \"VALUE red\", the store holding \"red\", then \"NIL\": {cause}",
            replies[0],
            replies[1]
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

    #[tokio::test]
    async fn fifty_clients_at_once() {
        let address = start_server().await;
        let mut clients = Vec::new();
        for n in 0..50 {
            clients.push(tokio::spawn(async move {
                let name = format!("client {n}");
                let client = Client::try_connect(address, &name).await?;
                let commands: Vec<String> = (0..10)
                    .flat_map(|i| [format!("SET c{n}k{i} {n}-{i}"), format!("GET c{n}k{i}")])
                    .collect();
                let replies = client.try_send_all_and_close(&commands).await?;
                for (i, pair) in replies.chunks(2).enumerate() {
                    if pair != ["OK".to_string(), format!("VALUE {n}-{i}")] {
                        return Err(format!(
                            "{name}: wrong replies to SET and GET c{n}k{i}: {pair:?}"
                        ));
                    }
                }
                Ok(())
            }));
        }
        let mut failures = Vec::new();
        for client in clients {
            if let Err(failure) = client.await.unwrap() {
                failures.push(failure);
            }
        }
        if let Some(first) = failures.first() {
            panic!(
                "{} of the 50 clients failed. The first: {first}",
                failures.len()
            );
        }
    }

    #[tokio::test]
    async fn a_client_is_served_while_another_stays_connected() {
        let address = start_server().await;
        // A client that connects first, and says nothing at all.
        let _silent = Client::connect(address, "the silent client").await;
        let mut first = Client::connect(address, "the first client").await;
        first.writer.write_all(b"SET mood calm\n").await.unwrap();
        let Ok(reply) = timeout(PATIENCE, first.replies.next_line()).await else {
            panic!(
                "a client connected and has said nothing yet, and the next client's \"SET mood \
                 calm\" had no reply 5 s later: does the server wait on the silent client (for \
                 its first command, or until it leaves) before it serves anyone else? Hand each \
                 connection to a task of its own as soon as it is accepted, and read from it \
                 only in that task. (Or does the reply wait in a BufWriter that is not flushed \
                 before the server waits for the next command?)"
            );
        };
        assert_eq!(
            reply.ok().flatten().as_deref(),
            Some("OK"),
            "the first client's reply to \"SET mood calm\""
        );
        assert_a_task_per_client();

        // The first client stays connected, and says nothing more.
        let mut second = Client::connect(address, "the second client").await;
        second.writer.write_all(b"GET mood\n").await.unwrap();
        let Ok(reply) = timeout(PATIENCE, second.replies.next_line()).await else {
            panic!(
                "a first client stayed connected, and quiet, and a second client's \"GET mood\" \
                 had no reply 5 s later: the server serves one client at a time, and the second \
                 waits until the first leaves. Serve each client in a task of its own \
                 (`clients.spawn(handle_client(..))`, as `serve` does at first). (Or does the \
                 reply wait in a BufWriter that is not flushed before the server waits for the \
                 next command?)"
            );
        };
        assert_eq!(
            reply.ok().flatten().as_deref(),
            Some("VALUE calm"),
            "the second client's reply to \"GET mood\""
        );
        assert_eq!(first.send("GET mood").await, "VALUE calm");
    }

    #[tokio::test]
    async fn a_client_that_sends_garbage() {
        let address = start_server().await;
        let mut good = Client::connect(address, "the good client").await;
        assert_eq!(good.send("SET mood calm").await, "OK");
        assert_a_task_per_client();

        // Bytes that are not UTF-8: `read_line` fails on this line. A command follows it, and
        // then the client closes its sending side. (Whether a connection that is kept open
        // gets an answer is for a_line_that_is_not_utf8_is_answered_or_ends_the_connection.)
        let mut bad = BufReader::new(TcpStream::connect(address).await.unwrap());
        bad.get_mut()
            .write_all(b"SET \xff\xfe oops\nGET mood\n")
            .await
            .unwrap();
        bad.get_mut().shutdown().await.unwrap();
        let mut answer = Vec::new();
        let answered = timeout(PATIENCE, bad.read_until(b'\n', &mut answer)).await;
        assert!(
            answer != b"VALUE calm\n",
            "a client sent a line that is not UTF-8, then \"GET mood\", and the first reply it \
             got was the one to \"GET mood\": the line before it was skipped, with no reply, so \
             the client waits forever for one. End that client's connection (its handle_client \
             fails), or answer that line (an ERR)"
        );
        assert!(
            answered.is_ok(),
            "a client sent a line that is not UTF-8 and, 5 s later, had neither a reply nor a \
             closed connection: the server must end that client's connection (its \
             handle_client fails) or answer it, and go on serving the others. (Or is the server \
             still busy with the good client, that is still connected?)"
        );

        match good.try_send_all(&["GET mood".to_string()]).await {
            Ok(reply) => assert_eq!(
                reply,
                ["VALUE calm"],
                "the good client was connected before the bad one, and must still be served"
            ),
            Err(what) => panic!(
                "a client sent a line that is not UTF-8, and then the good client, connected \
                 before it, could not be served: {what}. One client's error must end only its \
                 own connection: look at what `serve` does with a finished task's result"
            ),
        }
        let mut late = Client::connect(address, "a client that came after the bad one").await;
        assert_eq!(late.send("GET mood").await, "VALUE calm");
    }

    // An in-memory connection and the paused clock: the client reads nothing for an hour, and
    // the test takes no real time.
    #[tokio::test(start_paused = true)]
    async fn a_client_that_reads_its_replies_an_hour_late() {
        let (client, server) = tokio::io::duplex(1024);
        let server = tokio::spawn(handle_client(server, Store::default()));
        let (from_server, mut to_server) = tokio::io::split(client);
        let big = big_value("x");
        let batch = format!("SET big {big}\nGET big\nSET after 1\nGET after\n");
        // The reply to GET big is 32 KiB (the longest line these tests send), and the pipe back
        // holds 1 KiB: the server waits in the middle of writing it until the client reads. (The
        // pipe the other way holds 1 KiB too: "SET big ..." comes in pieces.)
        let sending = tokio::spawn(async move {
            to_server.write_all(batch.as_bytes()).await.unwrap();
            to_server
        });
        tokio::time::sleep(Duration::from_secs(3600)).await;
        let mut replies = BufReader::new(from_server).lines();
        let mut got = Vec::new();
        for _ in 0..4 {
            match timeout(Duration::from_secs(60), replies.next_line()).await {
                Ok(Ok(Some(reply))) => got.push(reply),
                _ => break,
            }
        }
        let shown: Vec<String> = got
            .iter()
            .map(|reply| match reply.len() {
                0..=20 => format!("{reply:?}"),
                n => format!("{:?} ({n} bytes)", &reply[..20]),
            })
            .collect();
        let expected = [
            "OK".to_string(),
            format!("VALUE {big}"),
            "OK".into(),
            "VALUE 1".into(),
        ];
        // Every reply that came was right, and the rest never came: commands lost (or the
        // replies held back), rather than a reply cut short.
        let right_then_nothing = got.len() < 4 && got[..] == expected[..got.len()];
        let cause = if got.len() == 4 && got[2] == "OK" && got[3] == "NIL" {
            SET_ANSWERED_FIRST
        } else if right_then_nothing {
            "the replies that came were right, and the rest never came. The four commands came \
             in one write: were the ones without a reply read ahead into a BufReader that was \
             then dropped? Keep one BufReader for the whole connection. (Or was a reply given \
             up on: one that the connection cannot take at once must be waited for \
             (`write_all(..).await`), not cut short by a timeout or dropped (`now_or_never`); \
             or do the replies wait in a BufWriter that is not flushed?)"
        } else {
            "a reply that the connection cannot take at once must be waited for \
             (`write_all(..).await`), not cut short by a timeout or dropped (`now_or_never`). \
             A client that does not read holds up only its own task, the other clients have \
             theirs"
        };
        assert!(
            got == expected,
            "a client sent \"SET big\" (32 KiB), \"GET big\", \"SET after 1\" and \"GET after\", \
             and read nothing for an hour; when it read at last, the replies were [{}]{}, \
             not \"OK\", \"VALUE xxx...\" ({} bytes), \"OK\", \"VALUE 1\": {cause}",
            shown.join(", "),
            if got.len() < 4 {
                " (then nothing more for a minute)"
            } else {
                ""
            },
            expected[1].len()
        );
        let mut to_server = sending.await.unwrap();
        to_server.shutdown().await.unwrap();
        let finished = timeout(Duration::from_secs(60), server).await;
        assert!(
            matches!(finished, Ok(Ok(Ok(())))),
            "the client has gone, so handle_client returns Ok(()): {finished:?}"
        );
    }

    // An in-memory connection, so the clock can be paused: a wait for an answer that will
    // never come ends at once, when there is nothing else left to do.
    #[tokio::test(start_paused = true)]
    async fn a_line_that_is_not_utf8_is_answered_or_ends_the_connection() {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let server = tokio::spawn(handle_client(server, Store::default()));
        let (from_server, mut to_server) = tokio::io::split(client);
        let mut replies = BufReader::new(from_server).lines();
        // Bytes that are not UTF-8, then a command; the client stays connected.
        to_server
            .write_all(b"SET \xff\xfe oops\nGET mood\n")
            .await
            .unwrap();
        let first = timeout(PATIENCE, replies.next_line()).await;
        let Ok(first) = first else {
            panic!(
                "a client sent a line that is not UTF-8, then \"GET mood\", and stays \
                 connected: it got neither a reply nor a closed connection (the test's clock is \
                 paused: it moves on only when nothing else can happen). Was the line skipped, \
                 and what the client sent after it thrown away? End that client's connection \
                 (its handle_client fails), or answer that line (an ERR) and then the next one"
            );
        };
        if let Ok(Some(first)) = first {
            assert_ne!(
                first, "NIL",
                "a client sent a line that is not UTF-8, then \"GET mood\", and the first \
                 reply it got was the one to \"GET mood\": the line before it was skipped, with \
                 no reply, so the client waits forever for one. End that client's connection \
                 (its handle_client fails), or answer that line (an ERR)"
            );
            let second = timeout(PATIENCE, replies.next_line()).await;
            assert!(
                matches!(&second, Ok(Ok(Some(reply))) if reply == "NIL"),
                "a client sent a line that is not UTF-8, then \"GET mood\": the first line was \
                 answered ({first:?}), so \"GET mood\" must be answered next (\"NIL\"), and it \
                 was not: {second:?}"
            );
        }
        to_server.shutdown().await.unwrap();
        timeout(PATIENCE, server)
            .await
            .expect("the client has gone, but handle_client did not return")
            .expect("handle_client panicked")
            .ok();
    }

    #[tokio::test]
    async fn a_client_that_leaves_in_the_middle_of_a_command() {
        let address = start_server().await;
        let mut leaving = TcpStream::connect(address).await.unwrap();
        leaving
            .write_all(b"SET price 10\nSET price 1")
            .await
            .unwrap();
        let mut replies = String::new();
        leaving.shutdown().await.unwrap();
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

        let mut other = Client::connect(address, "the next client").await;
        assert_eq!(
            other.send("GET price").await,
            "VALUE 10",
            "the first client left in the middle of \"SET price 1...\": that command never runs"
        );
    }

    #[tokio::test]
    async fn a_client_whose_connection_is_reset() {
        let address = start_server().await;
        let mut good = Client::connect(address, "the good client").await;
        assert_eq!(good.send("SET mood calm").await, "OK");
        assert_a_task_per_client();

        // Once the server is serving it, this client resets its connection: the server's next
        // read from it fails with an error (not UTF-8 trouble: a plain I/O error).
        let mut broken = Client::connect(address, "the client that resets").await;
        assert_eq!(broken.send("GET mood").await, "VALUE calm");
        let socket = broken
            .replies
            .into_inner()
            .into_inner()
            .reunite(broken.writer);
        let socket = socket.unwrap();
        socket.set_zero_linger().unwrap();
        drop(socket);

        // Give the server time to see the reset: if it stops, the good client is hung up on.
        let mut line = String::new();
        let good_reader = good.replies.get_mut();
        if let Ok(Ok(0) | Err(_)) =
            timeout(Duration::from_millis(300), good_reader.read_line(&mut line)).await
        {
            panic!(
                "a client's connection was reset, so its handle_client returned an error, and \
                 the server then hung up on every other client: one client's error must end \
                 only its own connection. Look at what `serve` does with a finished task's result"
            );
        }
        assert_eq!(
            good.send("GET mood").await,
            "VALUE calm",
            "the good client was connected before the one that reset, and must still be served"
        );
        let mut late = Client::connect(address, "a client that came after the reset").await;
        assert_eq!(late.send("GET mood").await, "VALUE calm");
    }

    #[tokio::test]
    async fn a_client_whose_task_panics() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let store = Store::default();
        tokio::spawn(serve(listener, Arc::clone(&store)));
        let mut good = Client::connect(address, "the good client").await;
        assert_eq!(good.send("SET mood calm").await, "OK");
        assert_a_task_per_client();

        // The test poisons the store's lock on purpose (a thread panics while it holds it), so
        // the next command that locks the store with `lock().unwrap()` panics in its client's
        // task. (Code that takes the map out of a poisoned lock does not panic: also fine.)
        let poisoner = Arc::clone(&store);
        let _ = std::thread::spawn(move || {
            let _map = poisoner.lock().unwrap();
            panic!("the test poisons the store's lock on purpose");
        })
        .join();
        let mut unlucky = Client::connect(address, "the client whose task panics").await;
        unlucky.writer.write_all(b"GET mood\n").await.unwrap();
        let _ = timeout(PATIENCE, unlucky.replies.next_line()).await;
        store.clear_poison();

        // Give the server time to see the panic: if it stops, the good client is hung up on.
        let mut line = String::new();
        let good_reader = good.replies.get_mut();
        if let Ok(Ok(0) | Err(_)) =
            timeout(Duration::from_millis(300), good_reader.read_line(&mut line)).await
        {
            panic!(
                "a client's task panicked (the test poisoned the store's lock on purpose, so \
                 `lock().unwrap()` panicked in that client's task), and the server then hung up \
                 on every other client: a panic must end only its own connection, like an \
                 error. In `serve`, the `Err` of a finished task is that panic (a `JoinError`): \
                 report it, instead of unwrapping it or passing it on"
            );
        }
        assert_eq!(
            good.send("GET mood").await,
            "VALUE calm",
            "the good client was connected before the one whose task panicked, and must still \
             be served"
        );
        let mut late = Client::connect(address, "a client that came after the panic").await;
        assert_eq!(late.send("GET mood").await, "VALUE calm");
    }

    #[tokio::test]
    async fn a_client_whose_reply_cannot_be_sent() {
        // Small socket buffers on both ends (the accepted sockets inherit the listener's), so
        // that many replies of 32 KiB cannot fit in them and the server waits in the middle of
        // writing them.
        let listening = tokio::net::TcpSocket::new_v4().unwrap();
        listening.set_send_buffer_size(4096).unwrap();
        listening.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = listening.listen(64).unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, Store::default()));

        let mut good = Client::connect(address, "the good client").await;
        assert_eq!(good.send("SET mood calm").await, "OK");
        assert_a_task_per_client();

        let connecting = tokio::net::TcpSocket::new_v4().unwrap();
        connecting.set_recv_buffer_size(4096).unwrap();
        let stream = timeout(PATIENCE, connecting.connect(address))
            .await
            .expect("connecting to the server took too long")
            .expect("could not connect to the server");
        let (reader, writer) = stream.into_split();
        let mut broken = Client {
            replies: BufReader::new(reader).lines(),
            writer,
            name: "the client that stops reading".to_string(),
            last: None,
        };
        let big = big_value("x");
        assert_eq!(broken.send(&format!("SET big {big}")).await, "OK");
        // 64 GETs in one write: 2 MiB of replies, far more than the buffers hold.
        let gets = 64;
        if let Err(e) = broken
            .writer
            .write_all("GET big\n".repeat(gets).as_bytes())
            .await
        {
            panic!(
                "the server closed the connection while the test was sending {gets} \"GET big\" \
                 in one write ({e})"
            );
        }
        // The replies have begun to come: the server is now writing the rest of them (about 2
        // MiB), which the buffers cannot hold. Then this client resets its connection, and that
        // write fails with an error.
        let mut start = [0; 6];
        let reader = broken.replies.get_mut();
        timeout(PATIENCE, reader.read_exact(&mut start))
            .await
            .expect("the reply to \"GET big\" did not begin within 5 s")
            .unwrap_or_else(|e| {
                panic!(
                    "the server closed the connection while the test was reading the start of \
                     the reply to \"GET big\" ({e})"
                )
            });
        assert_eq!(&start, b"VALUE ");
        let socket = broken
            .replies
            .into_inner()
            .into_inner()
            .reunite(broken.writer);
        let socket = socket.unwrap();
        socket.set_zero_linger().unwrap();
        drop(socket);

        // Give the server time to see the reset: if it stops, the good client is hung up on.
        let mut line = String::new();
        let good_reader = good.replies.get_mut();
        if let Ok(Ok(0) | Err(_)) =
            timeout(Duration::from_millis(300), good_reader.read_line(&mut line)).await
        {
            panic!(
                "a client's connection was reset while the server was writing a reply to it, so \
                 that write failed and its handle_client returned an error, and the server then \
                 hung up on every other client: one client's error must end only its own \
                 connection, whether it comes from a read or from a write. Look at what `serve` \
                 does with a finished task's result"
            );
        }
        assert_eq!(
            good.send("GET mood").await,
            "VALUE calm",
            "the good client was connected before the one that reset, and must still be served"
        );
        let mut late = Client::connect(address, "a client that came after the reset").await;
        assert_eq!(late.send("GET mood").await, "VALUE calm");
    }

    /// Serves `clients` clients one after the other on `runtime` (each sets a key, reads the
    /// reply and leaves), waits until their tasks have ended, and returns how many heap blocks
    /// this thread (the runtime's only one) allocated meanwhile and did not free, and how many
    /// tasks are alive on the runtime then.
    fn blocks_kept_after(
        runtime: &tokio::runtime::Runtime,
        address: SocketAddr,
        clients: usize,
    ) -> (i64, usize) {
        let kept = allocation_counter::measure(|| {
            runtime.block_on(async {
                for n in 0..clients {
                    let mut client = Client::connect(address, &format!("client {n}")).await;
                    assert_eq!(client.send("SET visitor here").await, "OK");
                }
                // The server's task for each client ends once it has read the client's end of
                // the stream; then `serve` gets its turn to reap it.
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
            })
        });
        (kept.count_current, runtime.metrics().num_alive_tasks())
    }

    #[test]
    fn clients_that_left_are_forgotten() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("could not build a runtime");
        let address = runtime.block_on(start_server());
        // The first clients set up a few things for good (the store's key, the I/O driver's
        // tables).
        blocks_kept_after(&runtime, address, 20);
        let (few, tasks_after_few) = blocks_kept_after(&runtime, address, 10);
        let (many, tasks_after_many) = blocks_kept_after(&runtime, address, 210);
        // A task started for each client that never ends (a watchdog, a timer) keeps its memory
        // too: say so first, since the JoinSet is not the cause then.
        let tasks_kept = tasks_after_many.saturating_sub(tasks_after_few);
        assert!(
            tasks_kept < 100,
            "after 10 clients had come and gone, {tasks_after_few} tasks were alive on the \
             server's runtime; after 210 more, {tasks_after_many}: something started for each \
             client (a watchdog, a timer, a helper task) never ends, and holds its memory. \
             Whatever a client's connection starts must end when the client leaves (end it \
             with the client's task, or abort it then)"
        );
        assert!(
            many - few < 100,
            "after 10 clients had come and gone, the server kept {few} more heap blocks; after \
             210 clients, {many}: it keeps something for every client that has left. A \
             JoinSet keeps each finished task (and its result) until it is joined: take the \
             finished tasks out of the set (`join_next`), or spawn the clients with \
             `tokio::spawn` and no set. If the set is reaped, what else is kept per client (a \
             list of sessions that is never pruned, a leak)?"
        );
    }

    /// A long session: 50 000 commands "GET k" on one connection, all answered. Code that
    /// handles each command with one more level of calls (an async fn that calls itself,
    /// boxed, for the rest of the session) nests deeper with every command until the thread's
    /// stack overflows and the whole server aborts: if this test crashes with "has overflowed
    /// its stack", handle the commands in a loop instead.
    #[tokio::test(start_paused = true)]
    async fn fifty_thousand_commands_in_one_session_do_not_overflow_the_stack() {
        const COMMANDS: usize = 50_000;
        let (client, server) = tokio::io::duplex(64 * 1024);
        let (mut from_server, mut to_server) = tokio::io::split(client);
        let send = async move {
            to_server
                .write_all("GET k\n".repeat(COMMANDS).as_bytes())
                .await?;
            to_server.shutdown().await
        };
        let mut replies = String::new();
        let (handled, sent, read) = timeout(Duration::from_secs(3600), async {
            tokio::join!(
                handle_client(server, Store::default()),
                send,
                from_server.read_to_string(&mut replies),
            )
        })
        .await
        .expect(
            "a client sent 50 000 commands \"GET k\" and ended its side, but handle_client \
             had not returned an hour (of the paused clock) later",
        );
        sent.expect("sending the commands failed");
        read.expect("reading the replies failed");
        assert!(handled.is_ok(), "handle_client failed: {handled:?}");
        let got = replies.lines().count();
        let wrong = replies.lines().filter(|reply| *reply != "NIL").count();
        assert!(
            got == COMMANDS && wrong == 0,
            "a client sent 50 000 commands \"GET k\" on one connection (the key was never \
             set); handle_client gave {}, {wrong} of them not \"NIL\"",
            counted(got, "reply", "replies")
        );
    }

    #[tokio::test]
    async fn three_hundred_clients_connected_at_once() {
        const CLIENTS: usize = 300;
        let address = start_server().await;
        let mut clients = Vec::new();
        for n in 0..CLIENTS {
            match Client::try_connect(address, &format!("client {n}")).await {
                Ok(client) => clients.push(client),
                Err(e) => panic!(
                    "{e}, while the {n} clients before it were connected (they stay \
                     connected, and have sent nothing yet): accept every client that \
                     connects, however many are connected at once"
                ),
            }
        }
        // Every client asks, and none leaves: all 300 stay connected while they wait.
        for client in &mut clients {
            client.writer.write_all(b"GET k\n").await.unwrap();
        }
        for (n, client) in clients.iter_mut().enumerate() {
            match timeout(PATIENCE, client.replies.next_line()).await {
                Ok(Ok(Some(reply))) if reply == "NIL" => {}
                Err(_) => panic!(
                    "{CLIENTS} clients connected one after another and stayed connected, and \
                     each sent \"GET k\"; clients 0 to {} had their reply, but client {n} had \
                     none within {PATIENCE:?}, while all the others were still connected: \
                     serve every client that connects, however many are connected at once",
                    n.saturating_sub(1)
                ),
                other => panic!(
                    "{CLIENTS} clients connected and stayed connected, and each sent \"GET k\" \
                     (a key never set); client {n} got {other:?}, not the reply \"NIL\""
                ),
            }
        }
    }
}
