// tcp_spawn_per_client
//
// `serve` is a small TCP server. It greets every client with the message of the day, then
// answers each line the client sends with the same line in upper case, until the client hangs
// up. Every connection is served by a task of its own, so that one slow client does not keep the
// others waiting. It does not compile: the task borrows `motd`, but a spawned task can outlive
// the loop iteration that started it, and even `serve` itself.
//
// Give each task its own copy of what it uses, and keep serving every client in its own task.

use std::io;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

async fn handle_client(socket: TcpStream, motd: &str) -> io::Result<()> {
    let (reader, mut writer) = socket.into_split();
    writer.write_all(format!("{motd}\n").as_bytes()).await?;
    let mut lines = BufReader::new(reader).lines();
    while let Some(line) = lines.next_line().await? {
        let answer = format!("{}\n", line.to_uppercase());
        writer.write_all(answer.as_bytes()).await?;
    }
    Ok(())
}

/// Accepts clients forever, each one served by a task of its own.
pub async fn serve(listener: TcpListener, motd: String) -> io::Result<()> {
    loop {
        let (socket, _) = listener.accept().await?;
        // The task owns its copy of the message and the socket: it may outlive this iteration.
        let motd = motd.clone();
        tokio::spawn(async move {
            if let Err(e) = handle_client(socket, &motd).await {
                eprintln!("a client failed: {e}");
            }
        });
    }
}

#[tokio::main]
async fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(serve(listener, "Welcome! Say something.".to_string()));

    let mut client = BufReader::new(TcpStream::connect(address).await?);
    client.get_mut().write_all(b"hello there\n").await?;
    let mut line = String::new();
    for _ in 0..2 {
        line.clear();
        client.read_line(&mut line).await?;
        print!("{line}");
    }
    Ok(())
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use std::time::Duration;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Lines};
    use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::time::timeout;

    /// Hang guard only: on loopback, every answer comes in far less than this. Short enough
    /// that a server serving one client at a time, which makes three tests wait this long,
    /// fails with their messages well within the run's timeout, even with two test threads.
    const PATIENCE: Duration = Duration::from_secs(2);

    async fn start_server(motd: &str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, motd.to_string()));
        address
    }

    struct Client {
        lines: Lines<BufReader<OwnedReadHalf>>,
        writer: OwnedWriteHalf,
        name: String,
    }

    impl Client {
        async fn connect(address: SocketAddr, name: &str) -> Client {
            let socket = timeout(PATIENCE, TcpStream::connect(address))
                .await
                .expect("connecting to the server took too long")
                .expect("could not connect to the server");
            let (reader, writer) = socket.into_split();
            Client {
                lines: BufReader::new(reader).lines(),
                writer,
                name: name.to_string(),
            }
        }

        async fn next_line(&mut self, waiting_for: &str) -> String {
            match timeout(PATIENCE, self.lines.next_line()).await {
                Ok(Ok(Some(line))) => line,
                Ok(Ok(None)) => panic!("{}: the server hung up before {waiting_for}", self.name),
                Ok(Err(e)) => panic!("{}: reading {waiting_for} failed: {e}", self.name),
                Err(_) => panic!(
                    "{}: no {waiting_for} came from the server. Is another client's connection \
                     keeping the server busy? Every client must be served by its own task, \
                     started right after `accept`. Or was it written into a BufWriter that is \
                     not flushed? Flush after each line (`flush().await`): until then the line \
                     waits in the buffer, and the client waits for it",
                    self.name
                ),
            }
        }

        async fn say(&mut self, line: &str) -> String {
            self.writer
                .write_all(format!("{line}\n").as_bytes())
                .await
                .expect("sending to the server failed");
            self.next_line(&format!("answer to {line:?}")).await
        }
    }

    #[tokio::test]
    async fn greets_then_shouts_back() {
        let address = start_server("Welcome to the shouting server").await;
        let mut client = Client::connect(address, "the client").await;
        assert_eq!(
            client.next_line("greeting").await,
            "Welcome to the shouting server",
            "a client is greeted with the message of the day"
        );
        assert_eq!(client.say("hello").await, "HELLO");
        assert_eq!(client.say("Is this thing on?").await, "IS THIS THING ON?");
        // The same line twice in a row, and one more, sent together: three answers.
        client
            .writer
            .write_all(b"again\nagain\nbye\n")
            .await
            .expect("sending to the server failed");
        let mut answers = Vec::new();
        for waiting_for in ["answer to \"again\"", "answer to \"again\" (sent twice)"] {
            answers.push(client.next_line(waiting_for).await);
            assert!(
                answers.iter().all(|answer| answer == "AGAIN"),
                "the client sent \"again\" twice in a row, then \"bye\", and the server \
                 answered {answers:?}: every line is shouted back, the same line sent again too"
            );
        }
        assert_eq!(client.next_line("answer to \"bye\"").await, "BYE");
    }

    #[tokio::test]
    async fn a_long_line_comes_back_whole() {
        // 100 000 bytes in one line: far longer than any buffer of a fixed size for a line.
        const LONG: usize = 100_000;
        let address = start_server("hi").await;
        let mut client = Client::connect(address, "the client").await;
        assert_eq!(client.next_line("greeting").await, "hi");
        let line: String = ('a'..='z').cycle().take(LONG).collect();
        let shouted = line.to_uppercase();
        // Sent while the answer is read: a server may answer the start of the line before it
        // has read all of it.
        let Client { lines, writer, .. } = &mut client;
        let sending = async {
            writer
                .write_all(format!("{line}\nend\n").as_bytes())
                .await
                .expect("sending to the server failed");
        };
        let reading = async {
            let mut answers = Vec::new();
            loop {
                match timeout(PATIENCE, lines.next_line()).await {
                    Ok(Ok(Some(answer))) if answer == "END" => break,
                    Ok(Ok(Some(answer))) => answers.push(answer),
                    Ok(Ok(None)) => panic!(
                        "the client sent a line of {LONG} bytes, then \"end\", and the server \
                         hung up after {} answer line(s)",
                        answers.len()
                    ),
                    Ok(Err(e)) => panic!("reading the answers failed: {e}"),
                    Err(_) => panic!(
                        "the client sent a line of {LONG} bytes, then \"end\", and after {} \
                         answer line(s) ({} bytes in all) no more came within {PATIENCE:?}: \
                         every line must be answered, however long",
                        answers.len(),
                        answers.iter().map(String::len).sum::<usize>()
                    ),
                }
            }
            answers
        };
        let ((), answers) = tokio::join!(sending, reading);
        if answers.len() > 1 && answers.concat() == shouted {
            let lengths: Vec<usize> = answers.iter().take(3).map(String::len).collect();
            panic!(
                "the client sent one line of {LONG} bytes, and it came back split into {} \
                 answer lines (the first ones {lengths:?} bytes long): a line is answered with \
                 one line, however long it is. Read up to the newline (`next_line`, \
                 `read_line`), whatever its length",
                answers.len()
            );
        }
        assert!(
            answers.len() == 1 && answers[0] == shouted,
            "the client sent one line of {LONG} bytes (\"abcdefghij...\"), then \"end\": the \
             first must come back as one line, the same in upper case, but {} answer line(s) \
             came before \"END\", {} bytes in all",
            answers.len(),
            answers.iter().map(String::len).sum::<usize>()
        );
    }

    #[tokio::test]
    async fn two_servers_greet_with_their_own_messages() {
        // Two servers at once on one thread, each with its own message of the day.
        let first = start_server("first server's message").await;
        let second = start_server("second server's message").await;
        for (address, motd) in [
            (first, "first server's message"),
            (second, "second server's message"),
            (first, "first server's message"),
        ] {
            let mut client = Client::connect(address, "a client").await;
            let greeting = client.next_line("greeting").await;
            assert!(
                greeting == motd,
                "two servers run at once on one thread, and a client of the server given \
                 {motd:?} was greeted with {greeting:?}: each server's tasks must greet with \
                 the message given to that server's `serve`. Move a copy of it into each \
                 client's task (`motd.clone()`, or a clone of an `Arc<str>`), not into a \
                 `static` or a `thread_local` that every server shares"
            );
        }
    }

    #[tokio::test]
    async fn a_quiet_client_does_not_block_the_others() {
        let address = start_server("hi").await;
        let mut quiet = Client::connect(address, "the first client").await;
        assert_eq!(quiet.next_line("greeting").await, "hi");
        // The first client stays connected and says nothing for now.
        let mut second = Client::connect(address, "the second client").await;
        assert_eq!(second.next_line("greeting").await, "hi");
        assert_eq!(second.say("me too").await, "ME TOO");
        assert_eq!(quiet.say("still here").await, "STILL HERE");
    }

    #[tokio::test]
    async fn a_client_slow_to_read_its_greeting_does_not_block_the_others() {
        // Small socket buffers on both sides, and a message of the day of 8 MiB: far more than
        // the sockets between the server and a client can hold, so writing it to a client who
        // does not read waits until that client reads.
        const BUFFER: u32 = 16 * 1024;
        let listening = tokio::net::TcpSocket::new_v4().unwrap();
        listening.set_send_buffer_size(BUFFER).unwrap();
        listening.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = listening.listen(16).unwrap();
        let address = listener.local_addr().unwrap();
        let motd = "m".repeat(8 << 20);
        tokio::spawn(serve(listener, motd));
        // The first client connects and reads nothing for now, not even its greeting.
        let slow = tokio::net::TcpSocket::new_v4().unwrap();
        slow.set_recv_buffer_size(BUFFER).unwrap();
        let _slow = timeout(PATIENCE, slow.connect(address))
            .await
            .expect("connecting to the server took too long")
            .expect("could not connect to the server");
        let mut second = Client::connect(address, "the second client").await;
        let mut start = vec![0u8; 1024];
        let read = timeout(PATIENCE, second.lines.get_mut().read(&mut start)).await;
        if let Ok(Ok(n @ 1..)) = read {
            let start = &start[..n];
            assert!(
                start.iter().all(|&byte| byte == b'm'),
                "the second client's greeting began with {:?}, where this server was given a \
                 message of the day of 8 MiB of \"m\": each client must be greeted with the \
                 message given to its server's `serve` (move a copy of it into each client's \
                 task), not one kept from elsewhere (a `static`, a `OnceLock`)",
                String::from_utf8_lossy(&start[..n.min(16)])
            );
        }
        assert!(
            matches!(read, Ok(Ok(1..))),
            "the first client has not read its greeting yet (8 MiB, more than a socket holds), \
             and the second client got no greeting at all within {PATIENCE:?}: the server was \
             still busy greeting the first one. Greet each client in its own task (give the \
             task its own copy of the message), not in the accept loop"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_next_client_is_accepted_without_waiting_on_a_timer() {
        // As above: small socket buffers, and a message of the day of 8 MiB.
        const BUFFER: u32 = 16 * 1024;
        let listening = tokio::net::TcpSocket::new_v4().unwrap();
        listening.set_send_buffer_size(BUFFER).unwrap();
        listening.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = listening.listen(16).unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(serve(listener, "m".repeat(8 << 20)));
        let runtime = tokio::runtime::Handle::current();
        // The clients connect from a blocking task: while one runs, a paused clock stands
        // still (it does not jump to the server's next timer), so a timer in the server never
        // fires.
        let second_greeting = tokio::task::spawn_blocking(move || {
            // The first client connects and reads nothing, not even its greeting.
            let slow = tokio::net::TcpSocket::new_v4().unwrap();
            slow.set_recv_buffer_size(BUFFER).unwrap();
            let _slow = runtime
                .block_on(slow.connect(address))
                .expect("could not connect");
            let second = std::net::TcpStream::connect(address).expect("could not connect");
            second.set_read_timeout(Some(PATIENCE)).unwrap();
            let mut start = vec![0u8; 1024];
            let n = std::io::Read::read(&mut &second, &mut start)?;
            start.truncate(n);
            Ok::<_, io::Error>(start)
        })
        .await
        .unwrap();
        let seen = match &second_greeting {
            Ok(start) if start.is_empty() => "ended: the connection was closed".to_string(),
            Ok(start) => format!(
                "began with {:?}",
                String::from_utf8_lossy(&start[..start.len().min(16)])
            ),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                "was still empty".to_string()
            }
            Err(e) => format!("failed: {e}"),
        };
        if let Ok(start) = &second_greeting
            && !start.is_empty()
        {
            assert!(
                start.iter().all(|&byte| byte == b'm'),
                "the second client's greeting {seen}, where this server was given a message of \
                 the day of 8 MiB of \"m\": each client must be greeted with the message given \
                 to its server's `serve` (move a copy of it into each client's task), not one \
                 kept from elsewhere (a `static`, a `OnceLock`)"
            );
        }
        assert!(
            matches!(&second_greeting, Ok(start) if !start.is_empty()),
            "the first client has not read its greeting (8 MiB, more than a socket holds), and \
             after {PATIENCE:?} the second client's greeting {seen}, while the clock stood \
             still (a paused clock that does not jump): the server does not accept the next \
             client until something about the first one is over (its greeting, its task, or a \
             `timeout` or `sleep` around them, whose timer cannot fire here). Spawn the \
             client's task and go straight back to `accept`"
        );
    }

    #[tokio::test]
    async fn every_client_has_a_task_of_its_own() {
        let runtime = tokio::runtime::Handle::current();
        let address = start_server("hello").await;
        // A first client is served before counting: by then the server has started every
        // task it starts up front.
        let mut first = Client::connect(address, "the first client").await;
        assert_eq!(first.next_line("greeting").await, "hello");
        let tasks_before = runtime.metrics().num_alive_tasks();
        let mut clients = vec![first];
        for n in 1..4 {
            let mut client = Client::connect(address, &format!("client {n}")).await;
            assert_eq!(client.next_line("greeting").await, "hello");
            clients.push(client);
        }
        // All three are still connected, so their tasks are still running.
        let tasks = runtime.metrics().num_alive_tasks() - tasks_before;
        assert!(
            tasks >= 3,
            "three more clients are connected and greeted, but the server runs {tasks} more \
             tasks than before they came: every client must be served by a Tokio task of its \
             own (`tokio::spawn` right after `accept`), not by futures polled together in the \
             accept loop's task (`FuturesUnordered`, `join!`, `select!`), nor on a thread of \
             its own (`std::thread::spawn`, `spawn_blocking`), nor by a fixed pool of tasks \
             started before the clients came, each serving its clients one after the other"
        );
    }

    /// Runs a server on a runtime of its own on this thread, with a `motd_len`-byte message of
    /// the day and `clients` clients one after the other, then shuts the runtime down. Returns
    /// how many heap bytes this left allocated on this thread: all that the server and its tasks
    /// had should be freed by then.
    fn kept_by_a_server(motd_len: usize, clients: usize) -> (i64, i64) {
        let kept = allocation_counter::measure(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let motd = "m".repeat(motd_len);
                let address = start_server(&motd).await;
                for n in 0..clients {
                    let mut client = Client::connect(address, &format!("client {n}")).await;
                    let greeting = client.next_line("greeting").await;
                    assert!(
                        greeting == motd,
                        "{}: the greeting is not the message of the day given to `serve`",
                        client.name
                    );
                    assert_eq!(client.say("bye").await, "BYE");
                }
            });
        });
        (kept.count_current, kept.bytes_current)
    }

    #[test]
    fn the_message_is_freed_when_the_server_stops() {
        // The first runtime on a thread sets up a few things for good: not a leak.
        kept_by_a_server(1, 1);
        let motd_len = 64 * 1024;
        let (allocations, kept) = kept_by_a_server(motd_len, 3);
        let (allocations_for_1_byte, _) = kept_by_a_server(1, 3);
        // What the code prints is kept by the test's capture of it, in one buffer that grows:
        // bytes, but no more allocations. A leaked message is an allocation of its own.
        assert!(
            kept < (motd_len / 2) as i64 || allocations <= allocations_for_1_byte,
            "after the server was shut down, {kept} bytes were still allocated, in {} more \
             allocation(s) than with a 1-byte message: the {motd_len}-byte message of the day \
             was leaked (`Box::leak`, `String::leak`, a static...) instead of being freed, or \
             handed to another thread (`std::thread::spawn`, `spawn_blocking`). Give each \
             client's Tokio task its own copy (`motd.clone()` or a clone of an `Arc<str>`) that \
             the task owns and drops when it is done",
            allocations - allocations_for_1_byte
        );
    }

    /// Runs `servers` servers at once on a runtime of its own on this thread, each given a
    /// message of the day of its own of `motd_len` bytes, greets one client of each (who then
    /// hangs up without a word), then shuts the runtime down. Returns how many heap allocations
    /// and bytes this left allocated on this thread.
    fn servers_keep(servers: usize, motd_len: usize) -> (i64, i64) {
        let kept = allocation_counter::measure(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut started = Vec::new();
                for n in 0..servers {
                    // "0:mmm...", "1:mmm...": each server's message differs from the others'
                    // (a message of 1 byte is "0", "1"...).
                    let motd: String = format!("{n}:")
                        .chars()
                        .chain(std::iter::repeat('m'))
                        .take(motd_len)
                        .collect();
                    started.push((start_server(&motd).await, motd));
                }
                for (n, (address, motd)) in started.iter().enumerate() {
                    let name = format!("the client of server {n}");
                    let mut client = Client::connect(*address, &name).await;
                    let greeting = client.next_line("greeting").await;
                    assert!(
                        greeting == *motd,
                        "{name}: the greeting is not the message of the day given to that \
                         server's `serve`"
                    );
                }
            });
        });
        (kept.count_current, kept.bytes_current)
    }

    #[test]
    fn a_short_message_is_freed_too() {
        // The first runtime on a thread sets up a few things for good: not a leak.
        kept_by_a_server(1, 1);
        // What one server keeps (the runtime's own, whatever the message) is the baseline: 20
        // servers with messages of the same length must keep no more, whatever that length.
        const SERVERS: usize = 20;
        // More servers at once may grow the runtime's own tables for good, by a few hundred
        // bytes in one or two allocations: not a leak per server.
        const SLACK: i64 = 4096;
        for motd_len in [1, 2, 8, 13, 100, 1024, 5000] {
            let (one_allocations, one_bytes) = servers_keep(1, motd_len);
            let (allocations, bytes) = servers_keep(SERVERS, motd_len);
            let (more_allocations, more_bytes) = (allocations - one_allocations, bytes - one_bytes);
            let others = (SERVERS - 1) as i64;
            // What the code prints is kept by the test's capture of it, in one buffer that
            // grows: bytes, but no more allocations.
            let more_kept =
                more_allocations >= 1 && more_bytes >= others * motd_len as i64 / 2 + SLACK;
            assert!(
                more_allocations < others / 2 && !more_kept,
                "{SERVERS} servers ran at once, each given a message of the day of {motd_len} \
                 byte(s), and each greeted one client. After they were shut down, {allocations} \
                 heap allocations ({bytes} bytes) were still allocated: {more_allocations} \
                 allocations ({more_bytes} bytes) more than after one server with a message of \
                 that length, about {:.1} allocation(s) and {} bytes per server. The message was \
                 leaked (`Box::leak`, `String::leak`, a static...), at least when it is that \
                 short, or handed to another thread (`std::thread::spawn`, `spawn_blocking`) \
                 that freed it there: a server must free what it was given, whatever its \
                 length. Give each client's Tokio task its own copy (`motd.clone()` or a clone \
                 of an `Arc<str>`) that the task owns and drops when it is done",
                more_allocations as f64 / others as f64,
                more_bytes / others
            );
        }
    }

    /// On `runtime`, `clients` clients come one after the other, are greeted, say "bye" and
    /// leave; then waits until the server has seen them all leave.
    fn clients_come_and_go(runtime: &tokio::runtime::Runtime, address: SocketAddr, clients: usize) {
        runtime.block_on(async {
            let runtime = tokio::runtime::Handle::current();
            // The tasks alive before the last client comes: the server's own (its accept loop,
            // and any helper task it keeps, such as one that collects the clients' results),
            // and perhaps the task of a client that has just left.
            let mut tasks_before_the_last = 0;
            for n in 0..clients {
                if n + 1 == clients {
                    tasks_before_the_last = runtime.metrics().num_alive_tasks();
                }
                let mut client = Client::connect(address, &format!("client {n}")).await;
                client.next_line("greeting").await;
                assert_eq!(client.say("bye").await, "BYE");
            }
            // Each client's task ends a moment after its client has left: wait until the last
            // client's task is gone too.
            let all_left = async {
                while runtime.metrics().num_alive_tasks() > tasks_before_the_last {
                    tokio::time::sleep(Duration::from_millis(1)).await;
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
        let address = runtime.block_on(start_server("hello"));
        // The first clients make the runtime and the server set up what they reuse later.
        clients_come_and_go(&runtime, address, 20);
        let tasks_before = runtime.metrics().num_alive_tasks();
        let kept = allocation_counter::measure(|| {
            clients_come_and_go(&runtime, address, 200);
            // A server may take its clients' finished tasks out on a timer of its own (every
            // 100 ms, say): it gets 250 ms to do so.
            runtime.block_on(async { tokio::time::sleep(Duration::from_millis(250)).await });
        });
        // A task started for each client that never ends (a watchdog, a timer) also keeps its
        // memory: say so first, since reaping or leaks are not the cause then.
        let tasks_kept = runtime
            .metrics()
            .num_alive_tasks()
            .saturating_sub(tasks_before);
        assert!(
            tasks_kept < 100,
            "200 clients came, were served and left, and 250 ms after the last one left \
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
            "200 clients came, were served and left, and 250 ms after the last one left the \
             server held {allocations} more heap allocations than before they came ({bytes}): \
             it keeps something for every client that has left. Something may be leaked for \
             each client (`Box::leak`, `String::leak`, `mem::forget`): give each client's task \
             its own copy of what it needs, which it drops when it is done. Or the finished \
             tasks are kept: a finished task's memory is only freed once its JoinHandle is \
             gone, so handles kept in a Vec, or a JoinSet whose finished tasks are never taken \
             out (`join_next`, `try_join_next`), or taken out less often than every 250 ms, \
             grow with every client: drop the handle (a detached `tokio::spawn`), or reap the \
             finished tasks as you go"
        );
    }

    #[tokio::test]
    async fn a_client_that_fails_does_not_stop_the_server() {
        let address = start_server("hi").await;
        let mut rude = Client::connect(address, "the rude client").await;
        assert_eq!(rude.next_line("greeting").await, "hi");
        // Bytes that are not UTF-8: its task cannot read a line of text, and fails.
        rude.writer.write_all(b"\xff\xfe\n").await.unwrap();
        let _ = timeout(PATIENCE, rude.lines.next_line()).await;
        let stopped = "a client sent bytes that are not UTF-8, so the task serving it failed \
                       (its handle_client returned an error), and then the server served no \
                       one else: one client's error must end that client's task only. Log it \
                       (as the code given does) and go on accepting; do not return it from \
                       `serve` (no `?` on what a client's task returned)";
        let next = match timeout(PATIENCE, TcpStream::connect(address)).await {
            Ok(Ok(socket)) => socket,
            _ => panic!("{stopped}"),
        };
        let (reader, writer) = next.into_split();
        let mut next = Client {
            lines: BufReader::new(reader).lines(),
            writer,
            name: "the next client".to_string(),
        };
        match timeout(PATIENCE, next.lines.next_line()).await {
            Ok(Ok(Some(greeting))) => assert_eq!(greeting, "hi"),
            _ => panic!("{stopped}"),
        }
        assert_eq!(next.say("still open?").await, "STILL OPEN?");
    }

    #[tokio::test]
    async fn twenty_clients_at_once() {
        let address = start_server("ready").await;
        // Twenty clients connect and are greeted, and all stay connected...
        let mut greeted = Vec::new();
        for n in 0..20 {
            let mut client = Client::connect(address, &format!("client {n}")).await;
            let greeting = timeout(PATIENCE, client.lines.next_line()).await;
            let greeting = greeting.unwrap_or_else(|_| {
                panic!(
                    "{n} clients were connected, greeted and quiet, and the next one got no \
                     greeting within {PATIENCE:?}: the server serves only {n} clients at a \
                     time. Start a task for every client right after `accept`, not a fixed \
                     number of worker tasks that take clients in turn (nor a limit on clients \
                     below 20)"
                )
            });
            assert_eq!(
                greeting.unwrap().as_deref(),
                Some("ready"),
                "client {n}'s greeting"
            );
            greeted.push(client);
        }
        // ...then all talk at once.
        let mut clients = Vec::new();
        for (n, mut client) in greeted.into_iter().enumerate() {
            clients.push(tokio::spawn(async move {
                for round in 0..3 {
                    let line = format!("client {n} round {round}");
                    assert_eq!(client.say(&line).await, line.to_uppercase());
                }
            }));
        }
        for client in clients {
            client.await.unwrap();
        }
    }
}
