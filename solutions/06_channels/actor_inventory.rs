// actor_inventory
//
// The shop's stock used to be an `Arc<Mutex<HashMap<..>>>`. Now it is an actor: ONE task owns
// the HashMap (no lock at all) and serves commands sent over an mpsc channel; a command that
// needs an answer carries a oneshot Sender. `Inventory` is the cloneable handle for callers.
//
// Every `take` that asks for more than is in stock fails with a panic instead of an error.
// Find the command that is left without an answer, and answer it.

use std::collections::HashMap;

use tokio::sync::{mpsc, oneshot};

enum Command {
    Add {
        item: String,
        qty: u32,
    },
    /// Replies `Ok(left)` with what is left after taking, or `Err(available)` if there is not
    /// enough (and then nothing is taken).
    Take {
        item: String,
        qty: u32,
        reply: oneshot::Sender<Result<u32, u32>>,
    },
    Count {
        item: String,
        reply: oneshot::Sender<u32>,
    },
}

/// The actor's loop: it owns the stock and handles one command at a time.
async fn run_stock(mut commands: mpsc::Receiver<Command>) {
    let mut stock: HashMap<String, u32> = HashMap::new();
    // Ends when every `Inventory` handle has been dropped.
    while let Some(command) = commands.recv().await {
        match command {
            Command::Add { item, qty } => {
                *stock.entry(item).or_insert(0) += qty;
            }
            Command::Take { item, qty, reply } => {
                let available = stock.get(&item).copied().unwrap_or(0);
                if available >= qty {
                    stock.insert(item, available - qty);
                    let _ = reply.send(Ok(available - qty));
                } else {
                    // Every branch must answer: a dropped reply Sender is an error for the caller.
                    let _ = reply.send(Err(available));
                }
            }
            Command::Count { item, reply } => {
                let _ = reply.send(stock.get(&item).copied().unwrap_or(0));
            }
        }
    }
}

#[derive(Clone)]
struct Inventory {
    commands: mpsc::Sender<Command>,
}

impl Inventory {
    fn start() -> Inventory {
        let (tx, rx) = mpsc::channel(32);
        tokio::spawn(run_stock(rx));
        Inventory { commands: tx }
    }

    async fn add(&self, item: &str, qty: u32) {
        let command = Command::Add {
            item: item.to_string(),
            qty,
        };
        self.commands
            .send(command)
            .await
            .expect("the stock actor has stopped");
    }

    async fn take(&self, item: &str, qty: u32) -> Result<u32, u32> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Take {
            item: item.to_string(),
            qty,
            reply,
        };
        self.commands
            .send(command)
            .await
            .expect("the stock actor has stopped");
        answer
            .await
            .expect("the stock actor dropped a Take without replying")
    }

    async fn count(&self, item: &str) -> u32 {
        let (reply, answer) = oneshot::channel();
        let command = Command::Count {
            item: item.to_string(),
            reply,
        };
        self.commands
            .send(command)
            .await
            .expect("the stock actor has stopped");
        answer
            .await
            .expect("the stock actor dropped a Count without replying")
    }
}

#[tokio::main]
async fn main() {
    let shop = Inventory::start();
    shop.add("apple", 3).await;
    println!("take 2 apples: {:?}", shop.take("apple", 2).await);
    println!("take 2 apples: {:?}", shop.take("apple", 2).await);
    println!("apples left: {}", shop.count("apple").await);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;
    use tokio::sync::oneshot;

    /// What a Take of `qty` should have been answered when the test counts `stock` in stock,
    /// and, when `answered` is not that, what the test expected and how the answer differs.
    fn take_mismatch(qty: u32, stock: u32, answered: Result<u32, u32>) -> Option<String> {
        let expected = if qty <= stock {
            Ok(stock - qty)
        } else {
            Err(stock)
        };
        if answered == expected {
            return None;
        }
        let expected_why = format!(
            "the test expected {expected:?}, counting {stock} in stock by then (a refused Take \
             takes nothing)"
        );
        // What an Err that names another stock than the test's count shows.
        let other_stock = |said: u32| {
            format!(
                "its Err says {said} were in stock at its turn: either the Err does not carry what \
                 is in stock then, or the stock had already changed where it should not have (a \
                 refused Take that took something, an Add or a Take that went astray)"
            )
        };
        Some(match (expected, answered) {
            (Err(_), Ok(_)) => format!(
                "{expected_why}: a Take of more than is in stock is refused with an Err, and \
                 takes nothing"
            ),
            (Err(_), Err(said)) => format!("{expected_why}; {}", other_stock(said)),
            (Ok(_), Ok(left)) => format!(
                "{expected_why}: an Ok carries what is left after the take ({stock} - {qty}), \
                 here it says {left}"
            ),
            (Ok(_), Err(said)) if said >= qty => format!(
                "{expected_why}: its Err says {said} were in stock, enough for {qty}, yet the \
                 Take was refused. When there are enough, the Take takes them and answers Ok \
                 with what is left"
            ),
            (Ok(_), Err(said)) => {
                format!("{expected_why}, enough for {qty}; {}", other_stock(said))
            }
        })
    }

    #[tokio::test]
    async fn add_take_and_count() {
        let shop = Inventory::start();
        shop.add("apple", 5).await;
        assert_eq!(shop.count("apple").await, 5, "5 apples were added");
        assert_eq!(
            shop.take("apple", 2).await,
            Ok(3),
            "taking 2 of 5 apples leaves 3"
        );
        assert_eq!(shop.count("apple").await, 3, "3 apples are left");
        assert_eq!(shop.count("pear").await, 0, "no pear was ever added");
    }

    #[tokio::test]
    async fn taking_too_much_is_an_error() {
        let shop = Inventory::start();
        shop.add("melon", 2).await;
        assert_eq!(
            shop.take("melon", 3).await,
            Err(2),
            "only 2 melons are in stock: take(3) must answer Err(2), and take nothing"
        );
        assert_eq!(
            shop.count("melon").await,
            2,
            "a failed take must not change the stock"
        );
        assert_eq!(
            shop.take("kiwi", 1).await,
            Err(0),
            "there is no kiwi: take must answer Err(0)"
        );
        let all = shop.take("melon", 2).await;
        let why = if all == Err(2) {
            "it was refused with Err(2): taking exactly what is in stock is not too much, so \
             taking all 2 melons in stock must answer Ok(0)"
        } else {
            "the 2 melons are still in stock after those refusals: taking both must answer Ok(0)"
        };
        assert_eq!(all, Ok(0), "take(\"melon\", 2) answered {all:?}: {why}");
    }

    #[tokio::test]
    async fn two_shops_keep_their_own_stock() {
        // Two actors on one thread: each must own a stock of its own (a local in run_stock),
        // not share one kept in a static or a thread_local.
        let north = Inventory::start();
        let south = Inventory::start();
        north.add("cherry", 4).await;
        south.add("cherry", 1).await;
        let counts = (north.count("cherry").await, south.count("cherry").await);
        assert_eq!(
            counts,
            (4, 1),
            "one shop got 4 cherries and another shop 1, but they count {counts:?}: the two \
             actors share one stock. Each run_stock must own its HashMap (a local variable), \
             not keep it in a static, a thread_local or anything else outside the actor"
        );
        assert_eq!(
            south.take("cherry", 2).await,
            Err(1),
            "the second shop has 1 cherry: take(2) must answer Err(1)"
        );
        assert_eq!(
            north.take("cherry", 4).await,
            Ok(0),
            "the first shop has 4 cherries: take(4) must answer Ok(0)"
        );
        assert_eq!(
            south.count("cherry").await,
            1,
            "the first shop sold its 4 cherries; the second one still has its 1"
        );
    }

    #[tokio::test]
    async fn the_actor_answers_every_command() {
        // Talk to the actor directly, the way every Inventory handle does.
        let (commands, rx) = mpsc::channel(4);
        let actor = tokio::spawn(run_stock(rx));
        let add = Command::Add {
            item: "fig".to_string(),
            qty: 2,
        };
        commands
            .send(add)
            .await
            .expect("the stock actor has stopped");
        let mut stock = 2;
        // The commands so far and their answers, for the messages.
        let mut history = String::from("Add 2 figs");
        for (qty, expected) in [(3, Err(2)), (5, Err(2)), (2, Ok(0)), (1, Err(0))] {
            let (reply, answer) = oneshot::channel();
            let take = Command::Take {
                item: "fig".to_string(),
                qty,
                reply,
            };
            commands
                .send(take)
                .await
                .expect("the stock actor has stopped");
            let Ok(answered) = answer.await else {
                panic!(
                    "run_stock dropped the reply Sender of a Take of {qty} figs (after \
                     {history}) without answering: the actor must answer every command that \
                     carries a reply, on every path"
                );
            };
            if let Some(mismatch) = take_mismatch(qty, stock, answered) {
                panic!(
                    "run_stock answered {answered:?} to a Take of {qty} figs, after {history}: \
                     {mismatch}"
                );
            }
            assert_eq!(answered, expected, "the test's own expectations are wrong");
            if let Ok(left) = answered {
                stock = left;
            }
            history += &format!(", Take {qty} answered {answered:?}");
        }
        let (reply, answer) = oneshot::channel();
        let count = Command::Count {
            item: "fig".to_string(),
            reply,
        };
        commands
            .send(count)
            .await
            .expect("the stock actor has stopped");
        assert_eq!(
            answer
                .await
                .expect("run_stock dropped a Count without answering"),
            0,
            "all the figs were taken"
        );
        drop(commands);
        actor
            .await
            .expect("the stock actor panicked: it must keep serving after a refused take");
    }

    #[tokio::test]
    async fn every_refusal_is_answered_whatever_the_item_and_quantity() {
        // An item whose name has a space, in a bulk quantity, and Takes of every size: small,
        // just past what is in stock, past a thousand, and the largest a u32 can ask.
        let item = "blood orange";
        let (commands, rx) = mpsc::channel(4);
        let actor = tokio::spawn(run_stock(rx));
        let add = Command::Add {
            item: item.to_string(),
            qty: 1500,
        };
        commands
            .send(add)
            .await
            .expect("the stock actor has stopped");
        let mut stock = 1500;
        let mut history = format!("Add 1500 {item}s");
        for qty in [2500, u32::MAX, 1501, 1, 1499, 1] {
            let (reply, answer) = oneshot::channel();
            let take = Command::Take {
                item: item.to_string(),
                qty,
                reply,
            };
            commands
                .send(take)
                .await
                .expect("the stock actor has stopped");
            let Ok(answered) = answer.await else {
                panic!(
                    "run_stock dropped the reply Sender of a Take of {qty} {item}s (after \
                     {history}) without answering: the actor must answer every command that \
                     carries a reply, whatever the item's name and however many are asked"
                );
            };
            if let Some(mismatch) = take_mismatch(qty, stock, answered) {
                panic!(
                    "run_stock answered {answered:?} to a Take of {qty} {item}s, after \
                     {history}: {mismatch}"
                );
            }
            if let Ok(left) = answered {
                stock = left;
            }
            history += &format!(", Take {qty} answered {answered:?}");
        }
        assert_eq!(stock, 0, "the test's own expectations are wrong");
        drop(commands);
        actor
            .await
            .expect("the stock actor panicked: it must keep serving after a refused take");
    }

    /// On the paused clock an actor that only awaits answers a command in microseconds of real
    /// time. A blocking call in it (a std::thread::sleep to back off before a refusal) holds
    /// the thread, and every other task on it (other shops, the callers) waits meanwhile; the
    /// paused clock cannot see that, real time can. The fastest of up to 300 rounds (an Add, a
    /// refused Take, a Take, a Count) is taken, within a second of real time: under load the
    /// OS alone can pause a thread for long, but not during every round.
    #[test]
    fn the_actor_never_blocks_its_thread() {
        use std::time::Duration;
        const QUICK: Duration = Duration::from_millis(2);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let (fastest, rounds) = runtime.block_on(async {
            let (commands, rx) = mpsc::channel(8);
            let actor = tokio::spawn(run_stock(rx));
            let ask = |command: Command| {
                let commands = commands.clone();
                async move {
                    commands
                        .send(command)
                        .await
                        .expect("the stock actor has stopped");
                }
            };
            let start = std::time::Instant::now();
            let (mut fastest, mut rounds) = (Duration::MAX, 0);
            while rounds < 300 && start.elapsed() < Duration::from_secs(1) && fastest >= QUICK {
                let round = std::time::Instant::now();
                let add = Command::Add {
                    item: "lime".to_string(),
                    qty: 2,
                };
                ask(add).await;
                let mut answers = Vec::new();
                for qty in [3, 2] {
                    let (reply, answer) = oneshot::channel();
                    let item = "lime".to_string();
                    ask(Command::Take { item, qty, reply }).await;
                    let answered = answer.await.unwrap_or_else(|_| {
                        panic!(
                            "run_stock dropped the reply Sender of a Take of {qty} limes \
                             without answering: answer every command that carries a reply"
                        )
                    });
                    answers.push(answered);
                }
                let (reply, answer) = oneshot::channel();
                let item = "lime".to_string();
                ask(Command::Count { item, reply }).await;
                let counted = answer.await.unwrap_or_else(|_| {
                    panic!("run_stock dropped the reply Sender of a Count without answering")
                });
                assert_eq!(
                    (answers.as_slice(), counted),
                    ([Err(2), Ok(0)].as_slice(), 0),
                    "2 limes were added, then a Take of 3 (refused: Err(2)), a Take of 2 (Ok(0)) \
                     and a Count (0) were asked"
                );
                fastest = fastest.min(round.elapsed());
                rounds += 1;
            }
            drop(commands);
            let _ = actor.await;
            (fastest, rounds)
        });
        assert!(
            fastest < QUICK,
            "on a paused clock, where an actor that only awaits answers in microseconds of real \
             time, the fastest of {rounds} rounds of commands (Add 2 limes, a Take of 3 refused, \
             a Take of 2, a Count) took {fastest:?} of real time: run_stock blocks its thread \
             somewhere (a std::thread::sleep, to back off before a refusal?). While it does, \
             every other task on that thread waits, callers and other shops alike, and no \
             timeout can step in. Answer each command at once; if the actor must wait, \
             tokio::time::sleep(..).await, never std::thread::sleep"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_clients_at_once() {
        let shop = Inventory::start();
        shop.add("egg", 100).await;
        // More clients than the command channel holds (32): some of them wait to send.
        let mut clients = Vec::new();
        for _ in 0..60 {
            let shop = shop.clone();
            clients.push(tokio::spawn(async move { shop.take("egg", 2).await }));
        }
        let mut served = 0;
        let mut refused = 0;
        for client in clients {
            match client.await.unwrap() {
                Ok(_) => served += 1,
                Err(available) => {
                    assert!(
                        available < 2,
                        "a take(2) was answered Err({available}): a Take is refused only when \
                         fewer than 2 eggs are left, and its Err carries what is left (here, \
                         with 100 eggs for 60 clients taking 2 each, the refused ones find 0)"
                    );
                    refused += 1;
                }
            }
        }
        assert_eq!(
            (served, refused),
            (50, 10),
            "100 eggs feed 50 clients taking 2 each; the other 10 must get an Err"
        );
        assert_eq!(shop.count("egg").await, 0, "every egg was taken");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_take_is_answered_at_once() {
        use std::time::Duration;
        use tokio::time::Instant;
        let shop = Inventory::start();
        shop.add("pear", 2).await;
        // A delivery of 5 more pears, 10 ms (of the test's paused clock) after the take.
        let delivery = tokio::spawn({
            let shop = shop.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                shop.add("pear", 5).await;
            }
        });
        let start = Instant::now();
        let answered = shop.take("pear", 3).await;
        let took = start.elapsed();
        assert_eq!(
            answered,
            Err(2),
            "take(3) with 2 pears in stock answered {answered:?} after {took:?} (5 more pears \
             came 10 ms after the take was asked): a Take of more than is in stock is refused \
             at once with Err(2), and is not tried again later"
        );
        assert_eq!(
            took,
            Duration::ZERO,
            "take(3) with 2 pears in stock answered Err(2), but only after {took:?} of the \
             test's paused clock: a refused Take is answered at once, not after waiting to see \
             if more comes"
        );
        delivery.await.expect("the delivery panicked");
        assert_eq!(shop.count("pear").await, 7, "2 pears, then 5 more");
    }

    /// A Take sent again after a time limit is a second Take: the actor cannot tell it from a
    /// new one, and takes the stock again. The test puts a slow stand-in actor behind a shop's
    /// `commands` Sender.
    #[tokio::test(start_paused = true)]
    async fn a_slow_actor_gets_each_take_once() {
        use std::time::Duration;
        use tokio::time::Instant;
        // The stand-in is slow today: it answers the first Take after ten minutes and 7 ms
        // (a prime number of ms) with Ok(5), and notes every Take that comes in the meantime.
        let slow = Duration::from_millis(600_007);
        let (commands, mut rx) = mpsc::channel::<Command>(32);
        let stand_in = tokio::spawn(async move {
            let first = loop {
                match rx.recv().await {
                    Some(Command::Take { reply, .. }) => break reply,
                    Some(Command::Count { reply, .. }) => {
                        let _ = reply.send(8);
                    }
                    Some(Command::Add { .. }) => {}
                    None => return Vec::new(),
                }
            };
            let start = Instant::now();
            let answer_time = tokio::time::sleep(slow);
            tokio::pin!(answer_time);
            let mut again = Vec::new();
            loop {
                tokio::select! {
                    () = &mut answer_time => break,
                    command = rx.recv() => match command {
                        Some(Command::Take { item, qty, .. }) => {
                            again.push(format!("of {qty} {item}, {:?} after the first", start.elapsed()));
                        }
                        Some(Command::Count { reply, .. }) => {
                            let _ = reply.send(8);
                        }
                        Some(Command::Add { .. }) => {}
                        None => break,
                    },
                }
            }
            let _ = first.send(Ok(5));
            again
        });
        let mut shop = Inventory::start();
        shop.commands = commands;
        let taken = tokio::spawn(async move { shop.take("plum", 3).await }).await;
        let again = stand_in.await.expect("the stand-in actor panicked");
        assert!(
            again.is_empty(),
            "take(\"plum\", 3) sent its Take to an actor that took {slow:?} to answer, then \
             sent {} more Take(s) before the answer came ({}): it stopped waiting and asked \
             again. The actor cannot tell a Take sent again from a new one, and takes the stock \
             once for each, while the caller gets one answer. Send the Take once and await its \
             oneshot Receiver until the answer comes",
            again.len(),
            again.join(", ")
        );
        if let Ok(answer) = taken {
            assert_eq!(
                answer,
                Ok(5),
                "this actor answered Ok(5) after {slow:?}, but take returned {answer:?}: the \
                 answer comes from the actor only"
            );
        }
    }

    /// "Ends when every `Inventory` handle has been dropped": once the test has dropped every
    /// handle, the task Inventory::start spawned ends, and the runtime's count of live tasks
    /// comes back to what it was before the start.
    #[tokio::test(start_paused = true)]
    async fn the_actor_ends_once_every_handle_is_dropped() {
        use std::time::Duration;
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        let shop = Inventory::start();
        let other = shop.clone();
        shop.add("quince", 2).await;
        assert_eq!(
            other.take("quince", 3).await,
            Err(2),
            "only 2 quinces are in stock: take(3) must answer Err(2)"
        );
        assert_eq!(
            other.take("quince", 2).await,
            Ok(0),
            "2 quinces were in stock"
        );
        drop(shop);
        drop(other);
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        tokio::time::sleep(Duration::from_secs(3600)).await;
        let alive = metrics.num_alive_tasks().saturating_sub(before);
        assert_eq!(
            alive, 0,
            "a shop was started, used, and every Inventory handle was then dropped, yet an \
             hour later (of the test's paused clock) {alive} task(s) started since were still \
             alive: the actor (the task Inventory::start spawns) must end once every handle is \
             gone. Its `commands.recv()` returns None only when every Sender of its channel \
             has been dropped, so no Sender may be kept anywhere but in the handles"
        );
    }

    /// What a task's panic said, for the messages.
    fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
        if let Some(text) = payload.downcast_ref::<&str>() {
            text.to_string()
        } else if let Some(text) = payload.downcast_ref::<String>() {
            text.clone()
        } else {
            "a panic without a message".to_string()
        }
    }

    /// A caller may stop waiting for its answer (a timeout ran out, its `take` was dropped):
    /// the actor's reply then goes to nobody, and the oneshot's `send` returns an Err. The test
    /// sends such commands (each reply Receiver dropped before the actor sees the command) and,
    /// after each one, a Count that it waits for.
    #[tokio::test(start_paused = true)]
    async fn a_caller_that_stopped_waiting_does_not_stop_the_actor() {
        use std::time::Duration;
        let (commands, rx) = mpsc::channel(8);
        let mut actor = tokio::spawn(run_stock(rx));
        for item in ["fig", "date"] {
            let add = Command::Add {
                item: item.to_string(),
                qty: 1,
            };
            commands
                .send(add)
                .await
                .expect("the stock actor has stopped");
        }
        let take = |item: &str, qty| {
            let (reply, answer) = oneshot::channel();
            drop(answer);
            Command::Take {
                item: item.to_string(),
                qty,
                reply,
            }
        };
        let (reply, answer) = oneshot::channel();
        drop(answer);
        let count = Command::Count {
            item: "fig".to_string(),
            reply,
        };
        let gone = [
            ("a Take of 5 figs (1 in stock: refused)", take("fig", 5)),
            ("a Take of 1 date (1 in stock)", take("date", 1)),
            ("a Count of figs", count),
        ];
        // The commands so far, for the messages.
        let mut history = String::from("Add 1 fig, Add 1 date");
        for (what, command) in gone {
            history += &format!(", {what} whose caller had stopped waiting");
            let (reply, answer) = oneshot::channel();
            let count = Command::Count {
                item: "fig".to_string(),
                reply,
            };
            let sent = commands.send(command).await.is_ok() && commands.send(count).await.is_ok();
            let no_answer = if !sent {
                "its channel was closed when the test sent its next command"
            } else {
                match tokio::time::timeout(Duration::from_secs(1), answer).await {
                    Ok(Ok(1)) => continue,
                    Ok(Ok(counted)) => {
                        // One more Count, a second later: whether the figs were there after all.
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        let (reply, answer) = oneshot::channel();
                        let again = Command::Count {
                            item: "fig".to_string(),
                            reply,
                        };
                        let asked = async {
                            commands.send(again).await.ok()?;
                            answer.await.ok()
                        };
                        let later = tokio::time::timeout(Duration::from_secs(1), asked)
                            .await
                            .ok()
                            .flatten();
                        if later == Some(1) {
                            panic!(
                                "run_stock answered {counted} to a Count of figs after \
                                 {history}, and 1 to a Count of figs sent a second (of the \
                                 test's paused clock) later: the first Count was answered \
                                 before the commands sent ahead of it had all taken effect. \
                                 Handle the commands one at a time, in the order they come: a \
                                 Count must see the stock as every command before it left it"
                            );
                        }
                        panic!(
                            "run_stock answered {counted} to a Count of figs after {history}: \
                             the test expected 1 (a refused Take takes nothing, and a date is \
                             another item)"
                        )
                    }
                    Ok(Err(_)) => "it dropped the reply Sender of the next Count without answering",
                    Err(_) => {
                        "it had not answered the next Count a second (of the test's paused clock) \
                         later"
                    }
                }
            };
            match tokio::time::timeout(Duration::from_secs(1), &mut actor).await {
                Ok(Err(stopped)) if stopped.is_panic() => panic!(
                    "run_stock panicked ({}) after {history}: the actor stopped after a caller \
                     stopped waiting for its reply. A reply to nobody (send returns Err) must not \
                     end the actor: every other caller still needs it",
                    panic_text(stopped.into_panic())
                ),
                Ok(_) => panic!(
                    "run_stock returned after {history}, although a Sender of its channel was \
                     still alive: the actor stopped after a caller stopped waiting for its reply. \
                     A reply to nobody (send returns Err) must not end the actor: every other \
                     caller still needs it"
                ),
                Err(_) => panic!(
                    "after {history}, run_stock was still running, but {no_answer}: answer every \
                     command that carries a reply"
                ),
            }
        }
    }

    /// The actor serves as long as a Sender of its channel is alive, however long no command
    /// comes. The test's paused clock jumps three hours at once (`advance`): a progress log on
    /// a 40 ms `interval` catches up 270 000 missed ticks in a moment, where a week's 15
    /// million took longer than the run may.
    #[tokio::test(start_paused = true)]
    async fn an_idle_actor_still_answers_three_hours_later() {
        use std::time::Duration;
        // The actor's loop run by the test, and a shop (a handle from Inventory::start).
        let (commands, rx) = mpsc::channel(8);
        let actor = tokio::spawn(run_stock(rx));
        let add = Command::Add {
            item: "fig".to_string(),
            qty: 1,
        };
        commands
            .send(add)
            .await
            .expect("the stock actor has stopped");
        let (reply, answer) = oneshot::channel();
        let count = Command::Count {
            item: "fig".to_string(),
            reply,
        };
        commands
            .send(count)
            .await
            .expect("the stock actor has stopped");
        assert_eq!(
            answer
                .await
                .expect("run_stock dropped a Count without answering"),
            1,
            "run_stock got 1 fig"
        );
        let shop = Inventory::start();
        shop.add("fig", 1).await;
        assert_eq!(shop.count("fig").await, 1, "the shop got 1 fig");
        // Both actors have handled every command so far and wait for the next one.
        tokio::time::advance(Duration::from_secs(3 * 3600)).await;
        // Every task that the three hours' timers woke runs now.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        if actor.is_finished() {
            match actor.await {
                Err(stopped) if stopped.is_panic() => panic!(
                    "run_stock panicked ({}) during three hours (of the test's paused clock) without \
                     any command, although a Sender of its channel was still alive",
                    panic_text(stopped.into_panic())
                ),
                _ => panic!(
                    "run_stock returned after three hours (of the test's paused clock) without any \
                     command, although a Sender of its channel was still alive: the actor must \
                     wait for commands as long as a Sender lives, however long none comes (its \
                     loop ends when `recv()` returns None)"
                ),
            }
        }
        let (reply, answer) = oneshot::channel();
        let count = Command::Count {
            item: "fig".to_string(),
            reply,
        };
        commands
            .send(count)
            .await
            .expect("the stock actor has stopped");
        match tokio::time::timeout(Duration::from_secs(1), answer).await {
            Ok(Ok(1)) => {}
            Ok(Ok(counted)) => panic!(
                "run_stock got 1 fig, waited three hours (of the test's paused clock) without any \
                 command, and then answered {counted} to a Count of figs: the test expected 1"
            ),
            Ok(Err(_)) => panic!(
                "run_stock got 1 fig, waited three hours (of the test's paused clock) without any \
                 command, and then dropped the reply Sender of a Count without answering"
            ),
            Err(_) => panic!(
                "run_stock got 1 fig, waited three hours (of the test's paused clock) without any \
                 command, and then had not answered a Count a second later"
            ),
        }
        let counted = tokio::spawn(async move { shop.count("fig").await });
        match tokio::time::timeout(Duration::from_secs(1), counted).await {
            Ok(Ok(1)) => {}
            Ok(Ok(counted)) => panic!(
                "a shop (from Inventory::start) got 1 fig, waited three hours (of the test's paused \
                 clock) without any command while the test held its handle, and then its \
                 count(\"fig\") answered {counted}: the test expected 1"
            ),
            Ok(Err(stopped)) => panic!(
                "a shop (from Inventory::start) got 1 fig, waited three hours (of the test's paused \
                 clock) without any command while the test held its handle, and then its \
                 count(\"fig\") panicked ({}): a shop must keep serving as long as a handle is \
                 alive, however long no command comes",
                if stopped.is_panic() {
                    panic_text(stopped.into_panic())
                } else {
                    stopped.to_string()
                }
            ),
            Err(_) => panic!(
                "a shop (from Inventory::start) got 1 fig, waited three hours (of the test's paused \
                 clock) without any command while the test held its handle, and then its \
                 count(\"fig\") had not answered a second later"
            ),
        }
    }

    #[tokio::test]
    async fn deliveries_that_fill_the_channel_all_count() {
        let shop = Inventory::start();
        // 60 deliveries at once, more than the command channel holds (32): on this one thread
        // they all try to send before the actor takes any, so 28 of them must wait for room.
        let deliveries = (0..60).map(|_| shop.add("nut", 1));
        futures_util::future::join_all(deliveries).await;
        let counted = shop.count("nut").await;
        if counted != 60 {
            // Two more deliveries, one after the other, with room in the channel: they show
            // whether an Add adds its quantity to what is in stock.
            shop.add("seed", 1).await;
            shop.add("seed", 2).await;
            let seeds = shop.count("seed").await;
            assert_eq!(
                seeds, 3,
                "60 deliveries of 1 nut were made at once, and the shop counts {counted} nuts; \
                 then 1 seed and 2 more seeds were delivered one after the other (with room in \
                 the channel), and the shop counts {seeds} seeds: an Add must add its quantity \
                 to what is already in stock, not replace it"
            );
        }
        assert_eq!(
            counted, 60,
            "60 deliveries of 1 nut were made at once, more than the command channel holds \
             (32), and the shop counts {counted}: deliveries that found the channel full were \
             lost. An Add must wait for room in the channel (`send(..).await`), not be dropped \
             when the channel is full (`try_send`)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_actor_waits_for_commands_without_a_timer() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::time::Duration;
        use tokio::time::Instant;
        // The actor's loop, polled in a task of the test's own, which counts the moments (of the
        // paused clock) at which it is polled: a few polls in a row at one moment count once.
        let moments = Arc::new(AtomicUsize::new(0));
        let (commands, rx) = mpsc::channel(8);
        let mut stock = Box::pin(run_stock(rx));
        let counted = Arc::clone(&moments);
        let (mut moment, mut polls_at_moment) = (Instant::now(), 0);
        let actor = tokio::spawn(std::future::poll_fn(move |cx| {
            if moment != Instant::now() {
                (moment, polls_at_moment) = (Instant::now(), 0);
            }
            if polls_at_moment == 0 {
                counted.fetch_add(1, Ordering::SeqCst);
            }
            polls_at_moment += 1;
            assert!(
                polls_at_moment <= 1000,
                "run_stock was polled 1000 times in a row at one moment (of the test's paused \
                 clock) with no command to handle: it checks the channel over and over (a loop \
                 with try_recv and yield_now) instead of waiting. Wait in \
                 commands.recv().await: it wakes the actor when a command comes"
            );
            stock.as_mut().poll(cx)
        }));
        let (reply, answer) = oneshot::channel();
        let count = Command::Count {
            item: "fig".to_string(),
            reply,
        };
        commands
            .send(count)
            .await
            .expect("the stock actor has stopped");
        let _ = answer.await;
        // A second (of the paused clock) with no command at all: the clock jumps it at once
        // when every task waits.
        let before = moments.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(1)).await;
        if actor.is_finished() {
            match actor.await {
                Err(stopped) if stopped.is_panic() => {
                    std::panic::resume_unwind(stopped.into_panic())
                }
                _ => panic!("run_stock returned although a Sender of its channel is still alive"),
            }
        }
        let quiet = moments.load(Ordering::SeqCst) - before;
        // A progress message now and then is fine: once per 40 ms.
        assert!(
            quiet <= 2 + 1000 / 40,
            "run_stock was woken at {quiet} moments in a second without any command: it checks \
             the channel on a timer (try_recv and a short sleep) instead of waiting. Wait in \
             commands.recv().await: it wakes the actor when a command comes"
        );
        drop(commands);
    }

    #[tokio::test(start_paused = true)]
    async fn the_actor_answers_by_itself_in_order() {
        use std::task::Poll;
        use tokio::sync::oneshot::error::TryRecvError;
        // The test runs the actor's loop itself, with no other task running meanwhile: a few
        // polls in a row, so a loop that yields now and then (`yield_now`) goes on at once,
        // but a task spawned per command never runs.
        let (commands, rx) = mpsc::channel(8);
        let mut actor = Box::pin(run_stock(rx));
        let add = Command::Add {
            item: "plum".to_string(),
            qty: 3,
        };
        assert!(commands.try_send(add).is_ok(), "the channel has room");
        const POLLS: usize = 16;
        let mut answers = Vec::new();
        for qty in [5, 2, 2] {
            let (reply, answer) = oneshot::channel();
            let take = Command::Take {
                item: "plum".to_string(),
                qty,
                reply,
            };
            assert!(commands.try_send(take).is_ok(), "the channel has room");
            answers.push((qty, answer));
        }
        let step = std::future::poll_fn(|cx| {
            let mut step = actor.as_mut().poll(cx);
            for _ in 1..POLLS {
                if step.is_ready() {
                    break;
                }
                step = actor.as_mut().poll(cx);
            }
            Poll::Ready(step)
        })
        .await;
        assert!(
            step.is_pending(),
            "run_stock returned although a Sender of its channel is still alive"
        );
        let mut stock = 3;
        // The commands so far and their answers, for the messages.
        let mut history = String::from("Add 3 plums");
        for ((qty, mut answer), expected) in answers.into_iter().zip([Err(3), Ok(1), Err(1)]) {
            match answer.try_recv() {
                Ok(answered) => {
                    if let Some(mismatch) = take_mismatch(qty, stock, answered) {
                        panic!(
                            "run_stock answered {answered:?} to a Take of {qty} plums, after \
                             {history}: {mismatch}"
                        );
                    }
                    assert_eq!(answered, expected, "the test's own expectations are wrong");
                    if let Ok(left) = answered {
                        stock = left;
                    }
                    history += &format!(", Take {qty} answered {answered:?}");
                }
                Err(TryRecvError::Closed) => panic!(
                    "run_stock dropped the reply Sender of a Take of {qty} plums (after \
                     {history}) without answering: answer every command that carries a reply"
                ),
                Err(TryRecvError::Empty) => panic!(
                    "run_stock was given a Take of {qty} plums and was polled {POLLS} times in \
                     a row, yet had not answered it: run_stock's own loop must handle each \
                     command and answer it (it alone owns the stock; no task per command, no \
                     shared Mutex, no loop moved into a task that run_stock spawns and awaits: \
                     Inventory::start already runs run_stock in a task of its own)"
                ),
            }
        }
    }

    /// A Count answered from a task that run_stock spawns, with the number it read in its own
    /// loop, tells the stock at the Count's turn. A Count read later, by such a task, from a
    /// stock shared with it, tells the stock after the Takes that came after it. The actor is
    /// polled alone first (as above), so it handles every command before any task it spawned
    /// runs; then it and its tasks run until both Counts are answered.
    #[tokio::test(start_paused = true)]
    async fn each_count_tells_the_stock_at_its_turn() {
        use std::task::Poll;
        use std::time::Duration;
        let (commands, rx) = mpsc::channel(8);
        let mut actor = Box::pin(run_stock(rx));
        let add = Command::Add {
            item: "plum".to_string(),
            qty: 3,
        };
        assert!(commands.try_send(add).is_ok(), "the channel has room");
        // Count (3 in stock), Take 2, Count (1 in stock), Take 1: the stock ends empty.
        let (mut counts, mut takes) = (Vec::new(), Vec::new());
        for (expected, qty) in [(3, 2), (1, 1)] {
            let (reply, answer) = oneshot::channel();
            let count = Command::Count {
                item: "plum".to_string(),
                reply,
            };
            assert!(commands.try_send(count).is_ok(), "the channel has room");
            counts.push((expected, answer));
            let (reply, answer) = oneshot::channel();
            let take = Command::Take {
                item: "plum".to_string(),
                qty,
                reply,
            };
            assert!(commands.try_send(take).is_ok(), "the channel has room");
            takes.push(answer);
        }
        let _ = std::future::poll_fn(|cx| {
            for _ in 0..16 {
                if actor.as_mut().poll(cx).is_ready() {
                    panic!("run_stock returned although a Sender of its channel is still alive");
                }
            }
            Poll::Ready(())
        })
        .await;
        let answered = tokio::time::timeout(Duration::from_secs(1), async {
            tokio::select! {
                () = actor.as_mut() => {
                    panic!("run_stock returned although a Sender of its channel is still alive")
                }
                answered = async {
                    let mut answered = Vec::new();
                    for (expected, answer) in counts {
                        answered.push((expected, answer.await));
                    }
                    answered
                } => answered,
            }
        })
        .await
        .unwrap_or_else(|_| {
            panic!(
                "run_stock had not answered two Counts after a second (of the test's paused \
                 clock): answer every command that carries a reply"
            )
        });
        for (expected, answer) in answered {
            let Ok(count) = answer else {
                panic!(
                    "run_stock dropped the reply Sender of a Count of plums ({expected} in \
                     stock) without answering: answer every command that carries a reply"
                );
            };
            assert_eq!(
                count, expected,
                "run_stock answered {count} to a Count of plums that came when {expected} were \
                 in stock: the number was read after the Takes that came later had changed the \
                 stock (a task that reads a stock shared with the actor, on its own time?). \
                 Read the stock for each command in run_stock's own loop, when its turn comes: \
                 the actor alone owns the stock (no shared Mutex)"
            );
        }
        drop(takes);
    }

    /// The actor handles its commands in the order they came, also those it takes out of the
    /// channel together (`recv_many`): a delivery queued behind a Take must not serve it, nor a
    /// Count queued before the delivery count it. The commands are all queued before the actor
    /// first runs.
    #[tokio::test(start_paused = true)]
    async fn a_delivery_queued_behind_a_take_comes_after_it() {
        use std::time::Duration;
        let (commands, rx) = mpsc::channel(8);
        let add = |qty| Command::Add {
            item: "kiwi".to_string(),
            qty,
        };
        let take = |qty| {
            let (reply, answer) = oneshot::channel();
            let take = Command::Take {
                item: "kiwi".to_string(),
                qty,
                reply,
            };
            (take, answer)
        };
        let count = || {
            let (reply, answer) = oneshot::channel();
            let count = Command::Count {
                item: "kiwi".to_string(),
                reply,
            };
            (count, answer)
        };
        // Add 1, Take 3 (refused: 1 in stock), Count (1), Add 5, Take 3 (Ok(3)), Count (3).
        let (first_take, first_answer) = take(3);
        let (first_count, first_counted) = count();
        let (second_take, second_answer) = take(3);
        let (second_count, second_counted) = count();
        for command in [
            add(1),
            first_take,
            first_count,
            add(5),
            second_take,
            second_count,
        ] {
            assert!(commands.try_send(command).is_ok(), "the channel has room");
        }
        let actor = tokio::spawn(run_stock(rx));
        let answered = tokio::time::timeout(Duration::from_secs(1), async {
            (
                first_answer.await,
                first_counted.await,
                second_answer.await,
                second_counted.await,
            )
        })
        .await;
        let queue = "Add 1 kiwi, Take 3, Count, Add 5, Take 3, Count, all queued before the \
                     actor ran";
        let Ok((first_answer, first_counted, second_answer, second_counted)) = answered else {
            panic!(
                "run_stock was given {queue}, and had not answered all of them a second (of the \
                 test's paused clock) later: answer every command that carries a reply"
            );
        };
        let (Ok(first_answer), Ok(first_counted), Ok(second_answer), Ok(second_counted)) =
            (first_answer, first_counted, second_answer, second_counted)
        else {
            panic!(
                "run_stock was given {queue}, and dropped the reply Sender of one of them \
                 without answering: answer every command that carries a reply"
            );
        };
        let reordered = "the delivery of 5 queued after it served it (handled first, or the \
                         Take kept waiting for it). The actor handles one command at a time, in \
                         the order they came (a batch from recv_many too), and answers a Take at \
                         its turn: a Take of more than is in stock then is refused at once";
        if let Some(mismatch) = take_mismatch(3, 1, first_answer) {
            if first_answer.is_ok() {
                panic!(
                    "run_stock was given {queue}; it answered {first_answer:?} to the first \
                     Take, when only 1 kiwi was in stock at its turn: {reordered}"
                );
            }
            panic!(
                "run_stock was given {queue}; it answered {first_answer:?} to the first Take: \
                 {mismatch}"
            );
        }
        assert_eq!(
            first_counted, 1,
            "run_stock was given {queue}; it answered {first_counted} to the first Count, when 1 \
             kiwi was in stock: a Count tells the stock at its turn, after the commands that came \
             before it and before those that came after it"
        );
        if let Some(mismatch) = take_mismatch(3, 6, second_answer) {
            panic!(
                "run_stock was given {queue}; it answered {second_answer:?} to the second Take: \
                 {mismatch}"
            );
        }
        assert_eq!(
            second_counted, 3,
            "run_stock was given {queue}; it answered {second_counted} to the last Count, when 3 \
             kiwis were left"
        );
        drop(commands);
        tokio::time::timeout(Duration::from_secs(1), actor)
            .await
            .expect("run_stock did not end once its channel's every Sender was dropped")
            .expect("run_stock panicked");
    }
}
