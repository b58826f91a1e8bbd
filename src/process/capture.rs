//! Reading one output stream on a thread, keeping a capped copy that can be taken at any time: a
//! stream that never closes (a process that got away still holds the pipe) still gives what was
//! read so far.

use std::{
    collections::VecDeque,
    io::{self, Read},
    sync::{Arc, Condvar, Mutex, MutexGuard},
    thread,
    time::Instant,
};

use super::{Captured, OnLine};

const CUT: &str = "\n... output cut here: a process the check started still holds the output open after the check ended, so the rest was not waited for ...\n";

pub struct Capture {
    shared: Arc<(Mutex<Kept>, Condvar)>,
}

/// Past `cap` bytes: the first and the last half (a test run's summary is at its end), and how many
/// bytes were dropped between them.
struct Kept {
    cap: usize,
    head: Vec<u8>,
    tail: VecDeque<u8>,
    dropped: usize,
    /// The stream has ended.
    done: bool,
}

impl Kept {
    fn push(&mut self, bytes: &[u8]) {
        let half = self.cap / 2;
        let room = half.saturating_sub(self.head.len()).min(bytes.len());
        self.head.extend_from_slice(&bytes[..room]);
        self.tail.extend(&bytes[room..]);
        let excess = self.tail.len().saturating_sub(self.cap - half);
        self.tail.drain(..excess);
        self.dropped += excess;
    }

    fn snapshot(&self) -> Captured {
        let mut bytes = self.head.clone();
        if self.dropped > 0 {
            let marker = format!(
                "\n... output truncated: {} bytes dropped, the first and last {} KiB are kept ...\n",
                self.dropped,
                (self.cap / 2) >> 10
            );
            bytes.extend_from_slice(marker.as_bytes());
        }
        bytes.extend(&self.tail);
        if !self.done {
            bytes.extend_from_slice(CUT.as_bytes());
        }
        Captured {
            bytes,
            dropped: self.dropped,
        }
    }
}

impl Capture {
    /// Reads `source` to its end on a thread, calling `on_line` with each line.
    pub fn start(
        mut source: impl Read + Send + 'static,
        cap: usize,
        on_line: Option<OnLine>,
    ) -> Capture {
        let kept = Kept {
            cap,
            head: Vec::new(),
            tail: VecDeque::new(),
            dropped: 0,
            done: false,
        };
        let shared = Arc::new((Mutex::new(kept), Condvar::new()));
        let writer = Arc::clone(&shared);
        thread::spawn(move || {
            let mut line = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                let n = match source.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                };
                lock(&writer.0).push(&buf[..n]);
                if let Some(on_line) = &on_line {
                    for &byte in &buf[..n] {
                        if byte == b'\n' {
                            on_line(&line);
                            line.clear();
                        } else {
                            line.push(byte);
                        }
                    }
                }
            }
            lock(&writer.0).done = true;
            writer.1.notify_all();
        });
        Capture { shared }
    }

    /// Everything, once the stream ends; if it is still open at `until`, what was read so far
    /// with a marker saying so.
    pub fn collect(self, until: Instant) -> Captured {
        let (kept, ended) = &*self.shared;
        let mut kept = lock(kept);
        while !kept.done {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            kept = ended
                .wait_timeout(kept, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        kept.snapshot()
    }
}

fn lock(kept: &Mutex<Kept>) -> MutexGuard<'_, Kept> {
    kept.lock().unwrap_or_else(|e| e.into_inner())
}
