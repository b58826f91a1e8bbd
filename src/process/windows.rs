//! Windows: a check's process runs in a Job Object of its own (process-wrap starts it suspended and
//! assigns it before it runs), so killing the job kills every process it started, wherever it
//! went. async-lings itself runs in a job that is killed when its last handle closes, which
//! happens when async-lings ends in any way: a killed async-lings takes its checks with it.
//!
//! process-wrap's child needs `&mut` both to wait and to kill, so the waiter polls `try_wait`
//! and lets go of the child between polls.

use std::{
    io,
    process::{ChildStderr, ChildStdout, Command, ExitStatus},
    sync::{Arc, Mutex, MutexGuard, Once, mpsc::Sender},
    thread,
    time::Duration,
};

use process_wrap::std::{ChildWrapper, CommandWrap, JobObject};

use super::Event;

/// How often the waiter looks whether the process has ended.
const POLL: Duration = Duration::from_millis(5);

type Child = Arc<Mutex<Box<dyn ChildWrapper>>>;

pub struct Tree {
    child: Child,
}

impl Tree {
    /// Starts `command` as the leader of a new tree; its exit status is sent to `exited`. A job
    /// object holds every tree, so `guarded` changes nothing here.
    pub fn spawn(
        command: Command,
        _guarded: bool,
        exited: Sender<Event>,
    ) -> io::Result<(Tree, Option<ChildStdout>, Option<ChildStderr>)> {
        die_with_us();
        let mut command = CommandWrap::from(command);
        command.wrap(JobObject);
        let spawned = command.spawn();
        drop(command);
        let mut child = spawned?;
        let (stdout, stderr) = (child.stdout().take(), child.stderr().take());
        let child: Child = Arc::new(Mutex::new(child));
        let waiter = Arc::clone(&child);
        thread::spawn(move || {
            let _ = exited.send(Event::Exited(wait(&waiter)));
        });
        Ok((Tree { child }, stdout, stderr))
    }

    pub fn kill(&self) {
        // Terminates every process of the job; an empty job is fine.
        let _ = lock(&self.child).start_kill();
    }

    /// Once the leader has ended: kills what is left of the tree.
    pub fn finish(self) {
        self.kill();
    }
}

fn wait(child: &Child) -> io::Result<ExitStatus> {
    loop {
        if let Some(status) = lock(child).try_wait()? {
            return Ok(status);
        }
        thread::sleep(POLL);
    }
}

fn lock(child: &Child) -> MutexGuard<'_, Box<dyn ChildWrapper>> {
    child.lock().unwrap_or_else(|e| e.into_inner())
}

/// Puts async-lings in a job that kills its processes when its last handle closes. The handle is
/// never closed by hand: it closes when async-lings ends. Each check's job nests inside it.
fn die_with_us() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let mut limits = win32job::ExtendedLimitInfo::new();
        limits.limit_kill_on_job_close();
        // Without it (a job that refuses nesting, before Windows 8), each check's own job still
        // holds: only a killed async-lings leaves its check running.
        if let Ok(job) = win32job::Job::create_with_limit_info(&limits)
            && job.assign_current_process().is_ok()
        {
            let _handle = job.into_handle();
        }
    });
}
