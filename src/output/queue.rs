//! The bounded queue between waitfor and its stderr, so that writing can never
//! hold back the wait.
//!
//! stderr may be a pipe that nobody reads (a stalled log collector, a full
//! buffer): one blocking write there would stop the event loop, and with it
//! the deadline, the signals and the hand-off. So nothing but the writer
//! thread here ever writes to stderr. Everything else queues a message and
//! goes on; when the queue is full the message is dropped and counted. The
//! writer may block as long as it likes: it is the only one waiting.
//!
//! This is written here rather than taken from tracing-appender because its
//! flush is tied to a guard that waits up to 1.1 s on drop, and waitfor must
//! flush a bounded fraction of a second before exec'ing, which it cannot do.
//! stderr's blocking mode is never touched: the COMMAND gets it as it was.
//!
//! The writer thread is started only when a write could block: until then a
//! line is written at once where stderr can take it whole without waiting
//! (`poll` says it is writable, and the line fits in `PIPE_BUF`, which a
//! writable pipe always has room for). Most runs, the fast path among them,
//! never start it.

use std::collections::VecDeque;
use std::io::Write;
use std::os::fd::AsFd;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use super::live::{Frame, Terminal};
use crate::secret;

/// How many messages may wait for the writer; more are dropped and counted.
const CAPACITY: usize = 1024;

/// What the writer is asked to put on stderr.
pub enum Message {
    /// Lines of text, written as they are.
    Text(Vec<u8>),
    /// The live status, drawn over the previous one.
    Live(Frame),
}

struct Queue {
    state: Mutex<State>,
    changed: Condvar,
    /// The writer thread, once started (see [`start_writer`]).
    writer: OnceLock<()>,
}

#[derive(Default)]
struct State {
    messages: VecDeque<Message>,
    /// The writer has taken a message and not yet finished writing it.
    writing: bool,
    /// Messages dropped because the queue was full, not yet reported.
    dropped: u64,
}

static QUEUE: OnceLock<Queue> = OnceLock::new();

fn queue() -> &'static Queue {
    QUEUE.get_or_init(|| Queue {
        state: Mutex::new(State::default()),
        changed: Condvar::new(),
        writer: OnceLock::new(),
    })
}

/// Starts the writer thread, once.
fn start_writer(queue: &Queue) {
    queue.writer.get_or_init(|| {
        // Without a writer thread nothing more is written, but nothing blocks either.
        let _ = std::thread::Builder::new()
            .name("stderr".into())
            .spawn(write_until_exit);
    });
}

/// The most bytes a write to a writable pipe takes whole, at once (POSIX's
/// least `PIPE_BUF`; Linux's is 4096 too).
const PIPE_BUF: usize = 4096;

/// Whether `length` bytes can be written to stderr now without waiting.
fn writable_now(length: usize) -> bool {
    let stderr = std::io::stderr();
    let mut ready = [PollFd::new(stderr.as_fd(), PollFlags::POLLOUT)];
    length <= PIPE_BUF
        && poll(&mut ready, PollTimeout::ZERO) == Ok(1)
        && ready[0].revents() == Some(PollFlags::POLLOUT)
}

fn lock(queue: &Queue) -> MutexGuard<'_, State> {
    // A panic elsewhere cannot leave the state half-changed: keep using it.
    queue
        .state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Queues `message` without ever blocking on stderr. A live status replaces
/// one still waiting to be drawn: only the newest is worth drawing. Text is
/// masked here, the one way out: whatever wrote it, no secret passes.
pub fn push(message: Message) {
    let message = match message {
        Message::Text(text) => {
            let text = String::from_utf8_lossy(&text);
            Message::Text(secret::masked(&text).into_bytes())
        }
        live => live,
    };
    let queue = queue();
    let mut state = lock(queue);
    // Written at once, in order (under the lock), where it cannot block.
    if let Message::Text(text) = &message {
        if queue.writer.get().is_none() && writable_now(text.len()) {
            let _ = std::io::stderr().lock().write_all(text);
            return;
        }
    }
    start_writer(queue);
    if let (Message::Live(_), Some(Message::Live(_))) = (&message, state.messages.back()) {
        state.messages.pop_back();
    }
    if state.messages.len() >= CAPACITY {
        state.dropped += 1;
        return;
    }
    state.messages.push_back(message);
    queue.changed.notify_all();
}

/// Waits at most `bound` for everything queued to be written.
pub fn flush(bound: Duration) {
    let queue = queue();
    let state = lock(queue);
    let _ = queue.changed.wait_timeout_while(state, bound, |state| {
        !state.messages.is_empty() || state.writing
    });
}

/// How many messages were dropped since the last call.
pub fn take_dropped() -> u64 {
    std::mem::take(&mut lock(queue()).dropped)
}

/// The writer thread: takes messages one by one and writes them, blocking as
/// long as stderr blocks. It ends with the process (or its exec).
fn write_until_exit() {
    let queue = queue();
    let mut terminal = Terminal::default();
    let mut bytes = Vec::new();
    loop {
        let message = {
            let mut state = lock(queue);
            loop {
                if let Some(message) = state.messages.pop_front() {
                    state.writing = true;
                    break message;
                }
                state = queue
                    .changed
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
        };
        bytes.clear();
        match message {
            Message::Text(text) => {
                // Lines written under a live status push it up: it is left as it is.
                terminal.release();
                bytes.extend_from_slice(&text);
            }
            Message::Live(frame) => terminal.draw(&frame, &mut bytes),
        }
        // A closed or broken stderr loses the output, never the wait.
        let _ = std::io::stderr().lock().write_all(&bytes);
        lock(queue).writing = false;
        queue.changed.notify_all();
    }
}

/// A `tracing` writer: collects one event's text, and queues it when dropped.
#[derive(Default)]
pub struct EventWriter(Vec<u8>);

impl Write for EventWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            push(Message::Text(std::mem::take(&mut self.0)));
        }
    }
}
