use super::*;

const MARKER: &str = "\n// Tests: do not edit below this line.\n#[cfg(test)]\nmod tests {}\n";

fn found(code: &str) -> Option<usize> {
    through(code).map(|sleep| sleep.line)
}

fn through(code: &str) -> Option<BlockingCall> {
    let shipped = format!("fn main() {{}}{MARKER}");
    blocking_call(&shipped, &format!("{code}{MARKER}"))
}

#[test]
fn a_std_sleep_in_async_code_is_found() {
    let in_async_fn = "use std::time::Duration;\n\nasync fn work() {\n    \
                       std::thread::sleep(Duration::from_millis(1));\n}\n";
    let sleep = BlockingCall {
        line: 4,
        through: None,
        dropped: false,
        call: StdBlock::Sleep,
    };
    assert_eq!(through(in_async_fn), Some(sleep));
    let in_block = "fn main() {\n    let f = async move {\n        if true {\n            \
                    std::thread::sleep(D);\n        }\n    };\n}\n";
    assert_eq!(found(in_block), Some(4));
    let imported = "use std::thread::sleep;\nasync fn work() {\n    sleep(D);\n}\n";
    assert_eq!(found(imported), Some(3));
    let in_async_closure = "fn main() {\n    let f = async |x: u32| {\n        \
                            thread::sleep(D);\n    };\n}\n";
    assert_eq!(found(in_async_closure), Some(3));
    let in_method = "impl Job {\n    pub async fn run(&self) -> u32 {\n        loop {\n            \
                     thread::sleep(D);\n        }\n    }\n}\n";
    assert_eq!(found(in_method), Some(4));
}

#[test]
fn a_std_sleep_on_a_thread_of_its_own_or_in_a_plain_fn_is_not() {
    let blocking_task = "async fn work() {\n    tokio::task::spawn_blocking(|| \
                         std::thread::sleep(D)).await.unwrap();\n}\n";
    assert_eq!(found(blocking_task), None);
    let braced = "async fn work() {\n    std::thread::spawn(move || {\n        \
                  thread::sleep(D);\n    });\n}\n";
    assert_eq!(found(braced), None);
    let returns = "async fn work() {\n    spawn_blocking(move || -> u32 {\n        \
                   thread::sleep(D);\n        1\n    });\n}\n";
    assert_eq!(found(returns), None);
    let plain_fn = "fn pause() {\n    std::thread::sleep(D);\n}\nasync fn work() {}\n";
    assert_eq!(found(plain_fn), None);
    let nested_fn = "async fn work() {\n    fn pause() {\n        std::thread::sleep(D);\n    \
                     }\n}\n";
    assert_eq!(found(nested_fn), None);
    // Tokio's own sleep, imported by name, and a comment or a string that names std's.
    let tokio_sleep = "use tokio::time::sleep;\nasync fn work() {\n    sleep(D).await;\n    \
                       // std::thread::sleep(D) would block\n    let s = \"thread::sleep(\";\n}\n";
    assert_eq!(found(tokio_sleep), None);
    let renamed = "use std::thread::sleep as nap;\nuse tokio::time::sleep;\nasync fn w() {\n    \
                   sleep(D).await;\n}\n";
    assert_eq!(found(renamed), None);
}

#[test]
fn a_plain_fn_that_sleeps_called_from_async_code_is_found_at_the_call() {
    let helper = "fn pause() {\n    std::thread::sleep(D);\n}\nasync fn work() {\n    \
                  pause();\n}\n";
    let call = BlockingCall {
        line: 5,
        through: Some("pause".to_owned()),
        dropped: false,
        call: StdBlock::Sleep,
    };
    assert_eq!(through(helper), Some(call));
    // Through another plain fn, and as a method or an associated fn of the code's own type.
    let chained = "fn wait_a_bit() {\n    thread::sleep(D);\n}\nfn parse(x: u32) -> u32 {\n    \
                   wait_a_bit();\n    x\n}\nasync fn work() -> u32 {\n    parse(1)\n}\n";
    assert_eq!(found(chained), Some(9));
    let method = "impl Job {\n    fn nap(&self) {\n        thread::sleep(D);\n    }\n    \
                  async fn run(&self) {\n        self.nap();\n    }\n}\n";
    assert_eq!(found(method), Some(6));
    let associated = "impl Job {\n    fn nap() {\n        thread::sleep(D);\n    }\n}\n\
                      async fn run() {\n    Job::nap();\n}\n";
    assert_eq!(found(associated), Some(7));
}

#[test]
fn a_plain_fn_that_sleeps_called_on_a_thread_of_its_own_is_not() {
    let blocking_task = "fn pause() {\n    std::thread::sleep(D);\n}\nasync fn work() {\n    \
                         spawn_blocking(|| pause()).await.unwrap();\n    \
                         spawn_blocking(pause).await.unwrap();\n}\n";
    assert_eq!(found(blocking_task), None);
    // A closure in the fn's body sleeps on its own thread; another value's method of that
    // name is another type's.
    let spawns = "fn start() {\n    std::thread::spawn(|| thread::sleep(D));\n}\n\
                  fn recv(x: u8) {\n    thread::sleep(D);\n}\nasync fn work() {\n    \
                  start();\n    rx.recv().await;\n}\n";
    assert_eq!(found(spawns), None);
}

#[test]
fn a_closure_whose_body_is_a_match_if_or_loop_is_a_closure() {
    let arms = "fn cool_down() {\n    thread::sleep(D);\n}\nasync fn work(x: u8) {\n    \
                spawn_blocking(move || match x {\n        _ => {\n            cool_down();\n        \
                }\n    });\n}\n";
    assert_eq!(found(arms), None);
    let branch = "async fn work(big: bool) {\n    spawn_blocking(move || if big {\n        \
                  std::thread::sleep(D);\n    } else {\n    });\n}\n";
    assert_eq!(found(branch), None);
    let looped = "async fn work() {\n    std::thread::spawn(move || loop {\n        \
                  std::thread::sleep(D);\n    });\n}\n";
    assert_eq!(found(looped), None);
    // An `||` or `|` that is an operator or a pattern's alternatives is no closure.
    let or = "async fn work(a: bool, b: bool) {\n    if a || b {\n        \
              std::thread::sleep(D);\n    }\n}\n";
    assert_eq!(found(or), Some(3));
    let alternatives = "async fn work(n: u8) {\n    match n {\n        0 | 1..=64 => \
                        std::thread::sleep(D),\n        _ => {}\n    }\n}\n";
    assert_eq!(found(alternatives), Some(3));
}

#[test]
fn another_crates_fn_of_a_sleepers_name_is_not_a_call_of_it() {
    let named_sleep = "fn sleep(ms: u64) {\n    std::thread::sleep(D);\n}\nasync fn work() {\n    \
                       spawn_blocking(|| sleep(5)).await.unwrap();\n    \
                       tokio::time::sleep(D).await;\n}\n";
    assert_eq!(found(named_sleep), None);
    let own_module = "mod pace {\n    pub fn nap() {\n        std::thread::sleep(D);\n    }\n}\n\
                      async fn work() {\n    pace::nap();\n}\n";
    assert_eq!(found(own_module), Some(7));
}

#[test]
fn an_exercise_whose_shipped_code_sleeps_so_is_left_to_its_tests() {
    let shipped = format!("async fn beat() {{\n    std::thread::sleep(D);\n}}{MARKER}");
    let learner = format!("async fn beat() {{\n    std::thread::sleep(E);\n}}{MARKER}");
    assert_eq!(blocking_call(&shipped, &learner), None);
}

#[test]
fn a_closure_that_sleeps_called_from_async_code_is_found_at_the_call() {
    let held = "async fn work() {\n    let rest = || std::thread::sleep(D);\n    rest();\n}\n";
    let call = BlockingCall {
        line: 3,
        through: Some("rest".to_owned()),
        dropped: false,
        call: StdBlock::Sleep,
    };
    assert_eq!(through(held), Some(call));
    let braced = "async fn work() {\n    let mut nap = move || {\n        thread::sleep(D);\n    \
                  };\n    nap();\n}\n";
    assert_eq!(found(braced), Some(5));
    // Handed to a blocking task, or called in one, it sleeps on a thread of its own.
    let handed = "async fn work() {\n    let rest = || std::thread::sleep(D);\n    \
                  spawn_blocking(rest).await.unwrap();\n    \
                  spawn_blocking(move || rest()).await.unwrap();\n}\n";
    assert_eq!(found(handed), None);
}

#[test]
fn a_sleeper_handed_to_a_fn_that_calls_it_is_found_at_that_call() {
    let pointer = "fn rest() {\n    std::thread::sleep(D);\n}\nfn twice(f: fn()) {\n    f();\n    \
                   f();\n}\nasync fn work() {\n    twice(rest);\n}\n";
    let call = BlockingCall {
        line: 9,
        through: Some("rest".to_owned()),
        dropped: false,
        call: StdBlock::Sleep,
    };
    assert_eq!(through(pointer), Some(call));
    let generic = "fn timed<F: FnOnce()>(label: &str, job: F) {\n    job();\n}\n\
                   async fn work() {\n    let rest = || thread::sleep(D);\n    timed(\"x\", rest);\n}\n";
    assert_eq!(found(generic), Some(6));
    // A fn that sends what it is given to a thread of its own does not call it there.
    let sender = "fn rest() {\n    std::thread::sleep(D);\n}\n\
                  fn on_thread<F: FnOnce() + Send + 'static>(f: F) {\n    \
                  std::thread::spawn(move || f());\n    std::thread::spawn(f);\n}\n\
                  async fn work() {\n    on_thread(rest);\n}\n";
    assert_eq!(found(sender), None);
}

#[test]
fn a_sleeping_method_called_on_any_value_is_found_unless_awaited() {
    let on_value = "struct Pacer;\nimpl Pacer {\n    fn pace(&self) {\n        \
                    std::thread::sleep(D);\n    }\n}\nasync fn work(p: Pacer) {\n    Pacer.pace();\n}\n";
    assert_eq!(found(on_value), Some(8));
    let in_trait = "trait Pace {\n    fn pace(&mut self) {\n        thread::sleep(D);\n    }\n}\n\
                    impl Pace for Gate {}\nasync fn work(mut gate: Gate) {\n    gate.pace();\n}\n";
    assert_eq!(found(in_trait), Some(8));
    // An awaited method of that name is an async one, another type's.
    let awaited = "impl Pacer {\n    fn pace(&self) {\n        thread::sleep(D);\n    }\n}\n\
                   async fn work(remote: Remote) {\n    remote.pace().await;\n}\n";
    assert_eq!(found(awaited), None);
}

#[test]
fn a_closure_an_iterator_runs_in_place_is_the_code_around_it() {
    let each = "async fn work() {\n    (0..3).for_each(|_| std::thread::sleep(D));\n}\n";
    assert_eq!(found(each), Some(2));
    let folded = "async fn work(xs: Vec<u64>) -> u64 {\n    xs.iter().fold(0, |sum, x| {\n        \
                  thread::sleep(D);\n        sum + x\n    })\n}\n";
    assert_eq!(found(folded), Some(3));
    // Inside a blocking task, the iterator runs on that task's thread.
    let blocking = "async fn work() {\n    spawn_blocking(move || (0..3).for_each(|_| \
                    std::thread::sleep(D)));\n    std::thread::spawn(|| {\n        \
                    [1, 2].iter().map(|_| thread::sleep(D)).count()\n    });\n}\n";
    assert_eq!(found(blocking), None);
}

#[test]
fn a_method_of_a_sleepers_name_on_a_value_of_another_type_is_not_a_call_of_it() {
    // `Journal::insert` sleeps, on the blocking pool only; the map's `insert`, a channel's
    // `recv` in `select!`, std's `drop` and another type's `new` are other fns.
    let others = "struct Journal;\nimpl Journal {\n    fn insert(&self, k: u8) {\n        \
                  thread::sleep(D);\n    }\n    fn new() -> Self {\n        thread::sleep(D);\n        \
                  Journal\n    }\n}\nimpl Drop for Journal {\n    fn drop(&mut self) {\n        \
                  thread::sleep(D);\n    }\n}\nfn recv(&self) {\n    thread::sleep(D);\n}\n\
                  async fn work(store: Arc<Mutex<HashMap<u8, u8>>>, tx: Sender<u8>) {\n    \
                  store.lock().unwrap().insert(1, 2);\n    let c = Connection::new();\n    \
                  drop(tx);\n    tokio::select! {\n        _ = rx.recv() => {}\n    }\n    \
                  spawn_blocking(|| Journal::new().insert(1));\n}\n";
    assert_eq!(found(others), None);
    // An async fn of the same name as a sleeping associated fn, awaited.
    let same_name = "impl DiskCache {\n    fn load_settings() -> u8 {\n        thread::sleep(D);\n        \
                     1\n    }\n}\nasync fn load_settings() -> u8 {\n    2\n}\nasync fn work() {\n    \
                     load_settings().await;\n}\n";
    assert_eq!(found(same_name), None);
    // The type's own value, or its path, is a call of it.
    let nested = "impl Job {\n    async fn run(&self) {\n        fn pause() {\n            \
                  thread::sleep(D);\n        }\n        pause();\n    }\n}\n";
    assert_eq!(found(nested), Some(6));
    let own = "struct Journal;\nimpl Journal {\n    fn insert(&self) {\n        thread::sleep(D);\n    \
               }\n}\nasync fn work(journal: &Journal) {\n    journal.insert();\n}\n";
    assert_eq!(found(own), Some(8));
    let qualified = "trait Settle {\n    fn settle(&self);\n}\nimpl Settle for Server {\n    \
                     fn settle(&self) {\n        thread::sleep(D);\n    }\n}\nasync fn work() {\n    \
                     <Server as Settle>::settle(&Server);\n}\n";
    assert_eq!(found(qualified), Some(10));
}

#[test]
fn a_closure_is_called_where_its_name_is_seen_and_a_caller_calls_only_some_arguments() {
    // A closure named like an async fn, in another fn's block.
    let elsewhere = "async fn download(f: &str) {}\nasync fn both() {\n    \
                     tokio::join!(download(\"a\"), download(\"b\"));\n}\nfn main() {\n    \
                     let download = |f: &str| thread::sleep(D);\n    download(\"x\");\n}\n";
    assert_eq!(found(elsewhere), None);
    // `offload` calls `log`, and hands `job` to a blocking task.
    let offload = "fn reset() {\n    thread::sleep(D);\n}\n\
                   fn offload(label: &str, job: fn(), log: fn(&str)) {\n    log(label);\n    \
                   spawn_blocking(job);\n}\nfn line(s: &str) {}\nasync fn work() {\n    \
                   offload(\"x\", reset, line);\n}\n";
    assert_eq!(found(offload), None);
    // A struct literal's field that holds a closure, run on a blocking task.
    let field = "async fn work() {\n    let job = Job { work: || std::thread::sleep(D) };\n    \
                 spawn_blocking(move || (job.work)());\n}\n";
    assert_eq!(found(field), None);
}

#[test]
fn a_lazy_adapter_runs_in_place_only_when_its_chain_is_consumed_there() {
    let consumed = "async fn work(xs: Vec<u8>) -> usize {\n    xs.iter()\n        .inspect(|_| \
                    std::thread::sleep(D))\n        .filter(|x| **x > 1)\n        .count()\n}\n";
    assert_eq!(found(consumed), Some(3));
    let handed_on = "async fn work(xs: Vec<u8>) -> usize {\n    let staged = xs.into_iter().map(|x| {\n        \
                     std::thread::sleep(D);\n        x\n    });\n    \
                     spawn_blocking(move || staged.count()).await.unwrap()\n}\n";
    assert_eq!(found(handed_on), None);
}

#[test]
fn std_sleeps_under_other_names_or_in_closures_run_in_place_are_found() {
    let alias = "use std::thread as th;\nasync fn work() {\n    th::sleep(D);\n}\n";
    assert_eq!(found(alias), Some(3));
    let park = "async fn work() {\n    std::thread::park_timeout(D);\n}\n";
    let parked = BlockingCall {
        line: 2,
        through: None,
        dropped: false,
        call: StdBlock::ParkTimeout,
    };
    assert_eq!(through(park), Some(parked));
    let scope = "async fn work() {\n    std::thread::scope(|s| {\n        s.spawn(|| \
                 thread::sleep(D));\n        thread::sleep(D);\n    });\n}\n";
    assert_eq!(found(scope), Some(4));
    let once = "async fn work() {\n    CELL.get_or_init(|| {\n        thread::sleep(D);\n        \
                1\n    });\n}\n";
    assert_eq!(found(once), Some(3));
}

#[test]
fn a_sleep_in_a_macro_a_closure_called_in_place_or_a_task_a_caller_spawns_is_found() {
    let in_macro = "macro_rules! nap {\n    () => {\n        std::thread::sleep(D)\n    };\n}\n\
                    async fn work() {\n    nap!();\n}\n";
    assert_eq!(found(in_macro), Some(7));
    let called_here = "async fn work() {\n    (|| std::thread::sleep(D))();\n}\n";
    assert_eq!(found(called_here), Some(2));
    let repeated = "async fn work() {\n    let _: Vec<()> = std::iter::repeat_with(|| \
                    thread::sleep(D))\n        .take(3)\n        .collect();\n}\n";
    assert_eq!(found(repeated), Some(2));
    let spawner = "fn rest() {\n    thread::sleep(D);\n}\nfn in_task(job: fn()) {\n    \
                   tokio::spawn(async move { job() });\n}\nasync fn work() {\n    in_task(rest);\n}\n";
    assert_eq!(found(spawner), Some(8));
    let awaited = "fn rest() {\n    thread::sleep(D);\n}\nasync fn twice(f: fn()) {\n    f();\n}\n\
                   async fn work() {\n    twice(rest).await;\n}\n";
    assert_eq!(found(awaited), Some(8));
    // A macro used only in a blocking task, and a closure only built in brackets, are not.
    let apart = "macro_rules! nap {\n    () => {\n        std::thread::sleep(D)\n    };\n}\n\
                 async fn work() {\n    spawn_blocking(|| nap!());\n    let f = (|| thread::sleep(D));\n}\n";
    assert_eq!(found(apart), None);
}

fn call(code: &str) -> Option<(usize, StdBlock)> {
    through(code).map(|found| (found.line, found.call))
}

#[test]
fn a_std_receivers_wait_in_async_code_is_found_however_the_channel_is_named() {
    let spelled = "async fn work() {\n    let (tx, rx) = std::sync::mpsc::channel();\n    \
                   tx.send(1).unwrap();\n    rx.recv().unwrap();\n}\n";
    assert_eq!(call(spelled), Some((4, StdBlock::Recv)));
    let module = "use std::sync::{Arc, mpsc};\nasync fn work() {\n    let (tx, mut rx) = \
                  mpsc::sync_channel::<u8>(1);\n    let _ = rx.recv_timeout(D);\n}\n";
    assert_eq!(call(module), Some((4, StdBlock::RecvTimeout)));
    let by_name = "use std::sync::mpsc::channel as pipe;\nasync fn work() {\n    let (tx, rx) = \
                   pipe();\n    for n in &rx {\n        drop(n);\n    }\n}\n";
    assert_eq!(call(by_name), Some((4, StdBlock::RecvIter)));
    let typed = "use std::sync::mpsc::{self, Receiver};\nstruct Inbox {\n    rx: Receiver<u8>,\n}\n\
                 impl Inbox {\n    async fn next(&self) -> u8 {\n        \
                 self.rx.iter().next().unwrap()\n    }\n}\n";
    assert_eq!(call(typed), Some((7, StdBlock::RecvIter)));
    let helper = "use std::sync::mpsc;\nfn take(rx: &mpsc::Receiver<u8>) -> u8 {\n    \
                  rx.recv().unwrap()\n}\nasync fn work(rx: mpsc::Receiver<u8>) {\n    \
                  take(&rx);\n}\n";
    let through_take = BlockingCall {
        line: 6,
        through: Some("take".to_owned()),
        dropped: false,
        call: StdBlock::Recv,
    };
    assert_eq!(through(helper), Some(through_take));
}

#[test]
fn a_tokio_receiver_or_a_std_one_read_off_the_runtime_is_not() {
    let tokio = "use tokio::sync::mpsc;\nasync fn work() {\n    let (tx, mut rx) = \
                 mpsc::channel(8);\n    tokio::select! {\n        Some(n) = rx.recv() => \
                 drop(n),\n    }\n    let _ = tokio::time::timeout(D, rx.recv()).await;\n}\n";
    assert_eq!(call(tokio), None);
    let spelled = "async fn work() {\n    let (tx, mut rx) = tokio::sync::mpsc::channel(8);\n    \
                   let _ = rx.recv();\n}\n";
    assert_eq!(call(spelled), None);
    let off = "use std::sync::mpsc;\nasync fn work() {\n    let (tx, rx) = mpsc::channel();\n    \
               tokio::task::spawn_blocking(move || rx.recv().unwrap()).await.unwrap();\n    \
               std::thread::spawn(move || for n in rx.iter() { drop(n) });\n}\n";
    assert_eq!(call(off), None);
    let tried = "async fn work() {\n    let (tx, rx) = std::sync::mpsc::channel::<u8>();\n    \
                 let _ = rx.try_recv();\n}\n";
    assert_eq!(call(tried), None);
    // The same name for a std receiver in a plain fn and a tokio one in async code.
    let apart = "fn sync_side() {\n    let (tx, rx) = std::sync::mpsc::channel::<u8>();\n    \
                 rx.recv().unwrap();\n}\nasync fn work(mut rx: tokio::sync::mpsc::Receiver<u8>) {\n    \
                 tokio::select! {\n        Some(n) = rx.recv() => drop(n),\n    }\n}\n";
    assert_eq!(call(apart), None);
}

#[test]
fn a_std_threads_join_is_left_to_the_tests() {
    // A heartbeat thread told to stop ends at once; a thread that works for long makes the code
    // as slow as its work, which the tests see.
    let stopped = "async fn work() {\n    let handle = std::thread::spawn(|| 1);\n    \
                   handle.join().unwrap();\n    std::thread::spawn(|| 1).join().unwrap();\n}\n";
    assert_eq!(call(stopped), None);
}

#[test]
fn a_closure_in_a_static_or_const_is_called_wherever_its_name_is_seen() {
    let before = "async fn work() {\n    SETTLE();\n}\nstatic SETTLE: fn() = || \
                  std::thread::sleep(D);\n";
    let settle = BlockingCall {
        line: 2,
        through: Some("SETTLE".to_owned()),
        dropped: false,
        call: StdBlock::Sleep,
    };
    assert_eq!(through(before), Some(settle));
    let konst = "const REST: fn(u64) = |ms| thread::sleep(D * ms);\nasync fn work() {\n    \
                 REST(2);\n}\n";
    assert_eq!(found(konst), Some(3));
    let apart = "static SETTLE: fn() = || std::thread::sleep(D);\nasync fn work() {\n    \
                 tokio::task::spawn_blocking(SETTLE).await.unwrap();\n    \
                 tokio::task::spawn_blocking(|| SETTLE()).await.unwrap();\n}\n";
    assert_eq!(found(apart), None);
}

#[test]
fn std_sleep_under_any_name_a_use_or_a_fn_pointer_gives_it_is_found() {
    let renamed = "use std::thread::sleep as nap;\nasync fn work() {\n    nap(D);\n}\n";
    assert_eq!(found(renamed), Some(3));
    let grouped = "use std::{sync::Arc, thread as th};\nasync fn work() {\n    th::sleep(D);\n}\n";
    assert_eq!(found(grouped), Some(3));
    let module_self = "use std::thread::{self as os};\nasync fn work() {\n    os::park();\n}\n";
    assert_eq!(call(module_self), Some((3, StdBlock::Park)));
    let raw = "async fn work() {\n    std::r#thread::r#sleep(D);\n}\n";
    assert_eq!(found(raw), Some(2));
    let pointer = "async fn work() {\n    let settle: fn(Duration) = std::thread::sleep;\n    \
                   settle(D);\n}\n";
    assert_eq!(found(pointer), Some(3));
    let konst = "const WARM_UP: fn(Duration) = std::thread::sleep;\nasync fn work() {\n    \
                 WARM_UP(D);\n}\n";
    assert_eq!(found(konst), Some(3));
}

#[test]
fn an_awaited_sleep_or_one_of_the_codes_own_thread_module_is_not_stds() {
    let own = "mod thread {\n    pub async fn sleep(d: D) {\n        tokio::time::sleep(d).await\n    \
               }\n}\nasync fn work() {\n    thread::sleep(D).await;\n    thread::sleep(D);\n}\n";
    assert_eq!(found(own), None);
    let awaited = "use std::thread;\nasync fn work() {\n    thread::sleep(D).await;\n}\n";
    assert_eq!(found(awaited), None);
    // A root group that brings in one of std::thread's items and tokio's sleep.
    let root_group = "use {std::thread::ThreadId, tokio::time::sleep};\nasync fn work() {\n    \
                      sleep(D).await;\n}\n";
    assert_eq!(found(root_group), None);
}

#[test]
fn a_name_is_stds_only_where_its_use_or_binding_is_seen() {
    // std's sleep imported in `main` only; tokio's, imported at the top, in a `select!`.
    let imported_in_main = "use tokio::time::sleep;\nasync fn work() {\n    tokio::select! {\n        \
                            _ = sleep(D) => {}\n    }\n}\nfn main() {\n    use std::thread::sleep;\n    \
                            sleep(D);\n}\n";
    assert_eq!(found(imported_in_main), None);
    let pointer_in_main = "use tokio::time::sleep as pause;\nasync fn work() {\n    \
                           let _ = tokio::time::timeout(D, pause(D));\n}\nfn main() {\n    \
                           let pause = std::thread::sleep;\n    pause(D);\n}\n";
    assert_eq!(found(pointer_in_main), None);
    // A std receiver as a plain fn's parameter, and a tokio one of the same name.
    let param = "fn pump(rx: std::sync::mpsc::Receiver<u8>) -> u8 {\n    rx.recv().unwrap()\n}\n\
                 async fn work(mut rx: tokio::sync::mpsc::Receiver<u8>) {\n    tokio::select! {\n        \
                 Some(n) = rx.recv() => drop(n),\n    }\n}\n";
    assert_eq!(call(param), None);
    // A std receiver shadowed by the answers it gave, read on the blocking pool.
    let shadowed = "async fn work() {\n    let (tx, rx) = std::sync::mpsc::channel::<u8>();\n    \
                    drop(tx);\n    let rx: Vec<u8> = tokio::task::spawn_blocking(move || \
                    rx.iter().collect()).await.unwrap();\n    for n in rx {\n        drop(n);\n    }\n}\n";
    assert_eq!(call(shadowed), None);
    // A receiver type imported by name in a module of its own, and tokio's at the top.
    let nested = "use tokio::sync::mpsc::Receiver;\nmod pump {\n    \
                  use std::sync::mpsc::Receiver;\n    pub fn drain(rx: Receiver<u8>) {\n        \
                  for n in rx {\n            drop(n);\n        }\n    }\n}\n\
                  async fn work(mut rx: Receiver<u8>) {\n    let _ = tokio::time::timeout(D, rx.recv()).await;\n}\n";
    assert_eq!(call(nested), None);
}

#[test]
fn a_std_wait_through_a_glob_a_new_name_a_path_or_a_field_in_its_impl_is_found() {
    let glob = "use std::sync::mpsc::*;\nasync fn work() {\n    let (tx, rx) = channel::<()>();\n    \
                let _ = rx.recv();\n}\n";
    assert_eq!(call(glob), Some((4, StdBlock::Recv)));
    let thread_glob = "use std::thread::*;\nasync fn work() {\n    park_timeout(D);\n}\n";
    assert_eq!(call(thread_glob), Some((3, StdBlock::ParkTimeout)));
    let renamed = "async fn work() {\n    let (tx, rx) = std::sync::mpsc::channel::<Option<bool>>();\n    \
                   let licence = rx;\n    let _ = licence.recv();\n}\n";
    assert_eq!(call(renamed), Some((4, StdBlock::Recv)));
    let by_path = "use std::sync::mpsc::{self, Receiver};\nasync fn work(rx: &Receiver<u8>) {\n    \
                   let _ = Receiver::recv(rx);\n}\n";
    assert_eq!(call(by_path), Some((3, StdBlock::Recv)));
    let field = "struct Inbox {\n    rx: std::sync::mpsc::Receiver<u8>,\n}\nimpl Inbox {\n    \
                 async fn next(&self) -> u8 {\n        self.rx.recv().unwrap()\n    }\n}\n";
    assert_eq!(call(field), Some((6, StdBlock::Recv)));
    // Another struct's field of the same name, tokio's, read in its own impl.
    let other = "struct Reporter {\n    stop: tokio::sync::mpsc::Receiver<()>,\n}\n\
                 impl Reporter {\n    async fn run(mut self) {\n        tokio::select! {\n            \
                 _ = self.stop.recv() => {}\n        }\n    }\n}\nstruct ThreadReporter {\n    \
                 stop: std::sync::mpsc::Receiver<()>,\n}\nimpl ThreadReporter {\n    fn run(self) {\n        \
                 let _ = self.stop.recv();\n    }\n}\n";
    assert_eq!(call(other), None);
}

#[test]
fn a_helper_is_named_with_the_std_call_it_makes() {
    let helper = "fn nap() {\n    std::thread::sleep(D);\n}\nfn wait_for(rx: std::sync::mpsc::Receiver<u8>) {\n    \
                  let _ = rx.recv();\n}\nasync fn work(rx: std::sync::mpsc::Receiver<u8>) {\n    \
                  wait_for(rx);\n}\n";
    let named = BlockingCall {
        line: 8,
        through: Some("wait_for".to_owned()),
        dropped: false,
        call: StdBlock::Recv,
    };
    assert_eq!(through(helper), Some(named));
}

#[test]
fn a_value_whose_drop_blocks_made_in_async_code_is_found_where_it_is_made() {
    let guard = "struct WarmUp;\nimpl Drop for WarmUp {\n    fn drop(&mut self) {\n        \
                 std::thread::sleep(D);\n    }\n}\nasync fn work() {\n    let _warm = WarmUp;\n}\n";
    let dropped = BlockingCall {
        line: 8,
        through: Some("WarmUp".to_owned()),
        dropped: true,
        call: StdBlock::Sleep,
    };
    assert_eq!(through(guard), Some(dropped));
    let tuple = "struct Timer(u8);\nimpl Drop for Timer {\n    fn drop(&mut self) {\n        \
                 std::thread::park_timeout(D);\n    }\n}\nasync fn work() {\n    \
                 let _t = Timer(1);\n    let _u = Timer::default();\n}\n";
    assert_eq!(call(tuple), Some((8, StdBlock::ParkTimeout)));
    // Made only on a thread of its own, only named as a type, or a `Drop` that does not block.
    let apart = "struct WarmUp;\nimpl Drop for WarmUp {\n    fn drop(&mut self) {\n        \
                 std::thread::sleep(D);\n    }\n}\nfn make() {}\nasync fn work(w: Option<WarmUp>) -> Vec<WarmUp> {\n    \
                 tokio::task::spawn_blocking(|| drop(WarmUp)).await.unwrap();\n    Vec::new()\n}\n";
    assert_eq!(found(apart), None);
    let quick = "struct Note;\nimpl Drop for Note {\n    fn drop(&mut self) {\n        \
                 println!(\"done\");\n    }\n}\nasync fn work() {\n    let _n = Note;\n}\n";
    assert_eq!(found(quick), None);
}
