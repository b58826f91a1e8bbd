use std::{
    cell::RefCell,
    io::Write,
    sync::{Arc, Mutex},
    thread,
    time::Duration,
};

use super::*;

mod child;

use child::{child, grandchild_pid, output};

thread_local! {
    /// Cancelled by `run` on this thread right after its next spawn.
    static CANCEL_AFTER_SPAWN: RefCell<Option<Cancel>> = const { RefCell::new(None) };
}

/// Called by `run` between the spawn and everything after it.
pub(super) fn after_spawn() {
    if let Some(cancel) = CANCEL_AFTER_SPAWN.with(|c| c.borrow_mut().take()) {
        cancel.cancel();
    }
}

#[cfg(target_os = "linux")]
thread_local! {
    /// Called by the next sweep on this thread, between its two reads (children, live runs).
    static DURING_SWEEP: RefCell<Option<Box<dyn FnOnce()>>> = const { RefCell::new(None) };
}

/// Called by a sweep between its two reads.
#[cfg(target_os = "linux")]
pub(super) fn during_sweep() {
    if let Some(hook) = DURING_SWEEP.with(|h| h.borrow_mut().take()) {
        hook();
    }
}

#[cfg(unix)]
fn sh(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    command
}

/// Long enough for a child to start and print its first lines, even under wine on a busy machine
/// (it takes 5 to 150 ms): a timeout or stall limit of this length ends a run after that.
const START_MS: u64 = 2000;

fn limits(timeout_ms: u64, cap: usize) -> Limits {
    Limits {
        timeout: Duration::from_millis(timeout_ms),
        cap,
        merge_stderr: true,
        on_line: None,
        stall: None,
        diagnose: false,
        guarded: true,
    }
}

/// Whether a process is still alive (a zombie counts as gone).
#[cfg(target_os = "linux")]
fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|stat| stat_state(&stat) != Some("Z"))
}

#[cfg(target_os = "linux")]
fn stat_state(stat: &str) -> Option<&str> {
    stat.rsplit_once(')')?.1.split_whitespace().next()
}

#[cfg(target_os = "linux")]
fn parent_of(pid: i32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// What `run` kept of the child's output, without libtest's header.
fn printed(done: &Finished) -> String {
    output(&done.stdout.text()).to_owned()
}

/// The output ended: nothing the run started still held it open.
fn assert_complete(text: &str) {
    assert!(
        !text.contains("output cut here"),
        "a process survived the run: {text}"
    );
}

#[test]
fn exit_code_and_merged_output() {
    let done = run(
        child("out:out;err:err;exit:3"),
        &limits(60_000, 1024),
        &Cancel::default(),
    )
    .unwrap();
    assert_eq!(done.exit, Exit::Code(3));
    assert_eq!(printed(&done), "out\nerr\n");
}

#[test]
fn timeout_kills_the_tree() {
    // The grandchild holds the output open: the output ends only if it dies with the tree.
    let done = run(
        child("grandchild;sleep:600000"),
        &limits(START_MS, 1024),
        &Cancel::default(),
    )
    .unwrap();
    assert_eq!(done.exit, Exit::TimedOut);
    let text = printed(&done);
    assert_complete(&text);
    let pid = grandchild_pid(&text);
    assert_gone(pid);
}

#[test]
fn what_the_leader_leaves_behind_dies_when_it_exits() {
    let done = run(
        child("grandchild;out:done;exit:7"),
        &limits(60_000, 1024),
        &Cancel::default(),
    )
    .unwrap();
    assert_eq!(done.exit, Exit::Code(7));
    let text = printed(&done);
    assert_complete(&text);
    assert!(text.ends_with("done\n"), "{text}");
    assert_gone(grandchild_pid(&text));
}

/// Windows' counterpart of Unix's `setsid`: a process cannot leave the job of its run, and one
/// that detached from its console and process group still dies with the run.
#[cfg(windows)]
#[test]
fn a_process_that_asks_to_leave_the_job_dies_with_the_run() {
    let done = run(
        child("breakaway;out:done;exit:7"),
        &limits(60_000, 1024),
        &Cancel::default(),
    )
    .unwrap();
    assert_eq!(done.exit, Exit::Code(7));
    let text = printed(&done);
    assert!(text.starts_with("breakaway refused: "), "{text}");
    // It started (detached, in a group of its own) all the same.
    grandchild_pid(&text);
    assert_complete(&text);
    assert!(text.ends_with("done\n"), "{text}");
}

/// `pid` is dead (a zombie counts as dead), checked on Linux; elsewhere the output's end proves it.
fn assert_gone(pid: u32) {
    #[cfg(target_os = "linux")]
    {
        thread::sleep(Duration::from_millis(100));
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(
            stat.is_empty() || stat.contains(") Z"),
            "grandchild {pid} survived: {stat}"
        );
    }
    #[cfg(not(target_os = "linux"))]
    let _ = pid;
}

#[test]
fn cancel_stops_a_run_in_flight_and_any_later_one() {
    let cancel = Cancel::default();
    let canceller = cancel.clone();
    let handle = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        canceller.cancel();
    });
    let done = run(child("sleep:600000"), &limits(60_000, 1024), &cancel).unwrap();
    handle.join().unwrap();
    assert_eq!(done.exit, Exit::Cancelled);
    assert!(done.elapsed < Duration::from_secs(30));
    let later = run(child("out:never"), &limits(60_000, 1024), &cancel).unwrap();
    assert_eq!((later.exit, later.stdout.bytes.len()), (Exit::Cancelled, 0));
}

#[test]
fn long_output_keeps_head_and_tail() {
    let script = "out:FIRST;lines:2000:middle-middle-middle;out:LAST";
    let done = run(child(script), &limits(60_000, 4096), &Cancel::default()).unwrap();
    let text = printed(&done);
    assert!(text.starts_with("FIRST\n"), "{text}");
    assert!(text.ends_with("LAST\n"), "{text}");
    assert!(text.contains("output truncated"), "{text}");
    assert!(text.len() < 4096 + 200, "kept {} bytes", text.len());
}

#[test]
fn a_crash_is_reported() {
    let done = run(
        child("out:before;abort"),
        &limits(60_000, 1024),
        &Cancel::default(),
    )
    .unwrap();
    #[cfg(unix)]
    {
        assert_eq!(done.exit, Exit::Signal(6));
        assert_eq!(signal_name(6), "SIGABRT");
    }
    // `abort` is a fast fail: the exit code is the exception's, STATUS_STACK_BUFFER_OVERRUN.
    #[cfg(windows)]
    {
        assert_eq!(done.exit, Exit::Code(0xC000_0409_u32 as i32));
        // The checker reports that code as the crash it is, by its name.
        assert_eq!(
            crash_code(0xC000_0409_u32 as i32),
            Some(0xC000_0409_u32 as i32)
        );
        assert_eq!(crash_code(101), None);
        assert_eq!(
            signal_name(0xC000_0409_u32 as i32),
            "STATUS_STACK_BUFFER_OVERRUN, an abort"
        );
    }
    assert_eq!(printed(&done), "before\n");
}

#[cfg(unix)]
#[test]
fn signal_is_reported() {
    let done = run(sh("kill -SEGV $$"), &limits(5000, 1024), &Cancel::default()).unwrap();
    assert_eq!(done.exit, Exit::Signal(11));
    assert_eq!(signal_name(11), "SIGSEGV");
}

#[test]
fn missing_program_is_named() {
    let err = run(
        Command::new("no-such-program-here"),
        &limits(5000, 1024),
        &Cancel::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("`no-such-program-here` was not found on PATH"),
        "{err}"
    );
}

#[test]
fn lines_are_streamed_as_they_arrive() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let mut limits = limits(5000, 4);
    limits.on_line = Some(Arc::new(move |line: &[u8]| {
        sink.lock()
            .unwrap()
            .push(String::from_utf8_lossy(line).into_owned());
    }));
    run(child("out:one;out:two"), &limits, &Cancel::default()).unwrap();
    // Every line, even past the capture cap.
    let seen = seen.lock().unwrap();
    let header = child::HEADER.lines().count();
    assert_eq!(seen[..header], child::HEADER.lines().collect::<Vec<_>>());
    assert_eq!(seen[header..], ["one", "two"]);
}

#[test]
fn a_cancel_right_after_the_spawn_kills_at_once() {
    let cancel = Cancel::default();
    CANCEL_AFTER_SPAWN.with(|c| *c.borrow_mut() = Some(cancel.clone()));
    let limits = limits(60_000, 1024);
    let done = run(child("sleep:600000"), &limits, &cancel).unwrap();
    assert_eq!(done.exit, Exit::Cancelled);
    assert!(
        done.elapsed < limits.timeout,
        "the cancel was lost: the run waited out its timeout"
    );
}

#[test]
fn a_stream_that_stays_open_gives_what_was_read() {
    let (reader, mut writer) = std::io::pipe().unwrap();
    let (seen_tx, seen) = std::sync::mpsc::channel();
    let on_line: OnLine = Arc::new(move |_: &[u8]| {
        let _ = seen_tx.send(());
    });
    let capture = capture::Capture::start(reader, 1024, Some(on_line));
    writer
        .write_all(b"assertion failed: the message\n")
        .unwrap();
    seen.recv_timeout(Duration::from_secs(60)).unwrap();
    // `writer` stays open, as it does in a process that got away.
    let text = capture.collect(Instant::now()).text();
    assert!(
        text.starts_with("assertion failed: the message\n"),
        "{text}"
    );
    assert!(text.contains("output cut here"), "{text}");
    drop(writer);
}

#[test]
fn no_progress_within_the_stall_limit_ends_the_run() {
    let mut limits = limits(60_000, 1024);
    limits.stall = Some(Stall {
        limit: Duration::from_millis(START_MS),
        is_progress: |line| line.starts_with(b"progress"),
    });
    // Output that is not progress does not count.
    let done = run(
        child("out:progress;paced:50:forever:noise"),
        &limits,
        &Cancel::default(),
    )
    .unwrap();
    assert_eq!(done.exit, Exit::Stalled);
    let text = printed(&done);
    assert!(text.starts_with("progress\nnoise\n"), "{text}");
    // Progress, again and again, holds it off until the process ends by itself.
    let done = run(
        child(&format!("paced:{}:6:progress;exit:4", START_MS / 4)),
        &limits,
        &Cancel::default(),
    )
    .unwrap();
    assert_eq!(done.exit, Exit::Code(4));
}

/// A script that starts `sh -c 'echo $$ > FILE; exec sleep 600'` in a session of its own, from a
/// subshell that ends at once (so the sleep is orphaned), and waits until FILE names it.
#[cfg(target_os = "linux")]
fn escape_script(file: &std::path::Path) -> String {
    let file = file.display();
    format!(
        "(setsid sh -c 'echo $$ > {file}.tmp; mv {file}.tmp {file}; exec sleep 600' &); \
         while [ ! -s {file} ]; do sleep 0.01; done; cat {file}"
    )
}

#[cfg(target_os = "linux")]
#[test]
fn an_escaped_orphan_dies_with_its_run_and_only_with_its_own() {
    let dir = tempfile::tempdir().unwrap();
    // Run B: its escaped process lives while B does.
    let b_cancel = Cancel::default();
    let (b_tx, b_rx) = std::sync::mpsc::channel();
    let mut b_limits = limits(120_000, 1024);
    b_limits.on_line = Some(Arc::new(move |line: &[u8]| {
        let _ = b_tx.send(String::from_utf8_lossy(line).trim().parse::<i32>());
    }));
    let b_script = format!("{}; exec sleep 600", escape_script(&dir.path().join("b")));
    let canceller = b_cancel.clone();
    let b = thread::spawn(move || run(sh(&b_script), &b_limits, &canceller).unwrap());
    let b_escaped = b_rx.recv_timeout(Duration::from_secs(60)).unwrap().unwrap();
    // It was orphaned, and came back to its run's guard (our child) rather than to init.
    let guard = parent_of(b_escaped).expect("the escaped process's parent");
    assert_eq!(parent_of(guard.cast_signed()), Some(std::process::id()));

    // Run A ends while B goes on: A's escaped process dies, B's does not.
    let a_script = escape_script(&dir.path().join("a"));
    let a = run(sh(&a_script), &limits(60_000, 1024), &Cancel::default()).unwrap();
    assert_eq!(a.exit, Exit::Code(0));
    let a_escaped: i32 = a.stdout.text().trim().parse().unwrap();
    assert!(
        !alive(a_escaped),
        "run A's escaped process {a_escaped} survived it"
    );
    assert!(alive(b_escaped), "run A killed run B's process {b_escaped}");

    b_cancel.cancel();
    assert_eq!(b.join().unwrap().exit, Exit::Cancelled);
    assert!(
        !alive(b_escaped),
        "run B's escaped process {b_escaped} survived it"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_run_that_starts_during_another_runs_sweep_is_left_alone() {
    // Run B starts, and its process is running, while run A's sweep is between its two reads.
    let b_cancel = Cancel::default();
    let canceller = b_cancel.clone();
    let b_thread = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&b_thread);
    DURING_SWEEP.with(|hook| {
        *hook.borrow_mut() = Some(Box::new(move || {
            let (ready_tx, ready) = std::sync::mpsc::channel();
            let mut limits = limits(120_000, 1024);
            limits.on_line = Some(Arc::new(move |line: &[u8]| {
                if line == b"ready" {
                    let _ = ready_tx.send(());
                }
            }));
            let b =
                thread::spawn(move || run(child("out:ready;sleep:600000"), &limits, &canceller));
            *slot.lock().unwrap() = Some(b);
            ready.recv_timeout(Duration::from_secs(60)).unwrap();
        }));
    });
    let a = run(child("exit:0"), &limits(60_000, 1024), &Cancel::default()).unwrap();
    assert_eq!(a.exit, Exit::Code(0));
    let b = b_thread.lock().unwrap().take().expect("run A swept");
    b_cancel.cancel();
    match b.join().unwrap() {
        Ok(b) => assert_eq!(
            b.exit,
            Exit::Cancelled,
            "run A's sweep killed run B's process"
        ),
        Err(e) => panic!("run A's sweep took run B's process: {e:#}"),
    }
}

/// A check's process that kills its guard (its parent): what it left behind comes back to
/// async-lings, whose own sweep kills it.
#[cfg(target_os = "linux")]
#[test]
fn what_a_process_that_kills_its_guard_left_is_swept_all_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "{}; kill -9 $PPID; exec sleep 600",
        escape_script(&dir.path().join("e"))
    );
    let done = run(sh(&script), &limits(60_000, 1024), &Cancel::default()).unwrap();
    assert_eq!(done.exit, Exit::Signal(9));
    let text = done.stdout.text();
    assert_complete(&text);
    let escaped: i32 = text.trim().parse().unwrap();
    assert!(!alive(escaped), "the escaped process {escaped} survived");
}
