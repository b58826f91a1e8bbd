//! A blocking call of std's in async code (`std::thread::sleep`, a std `mpsc` receiver's
//! `recv`): it stops every task of the runtime's thread for as long as it
//! waits. The tests may still pass around a short one (nothing else needed the thread then), so
//! the learner's code above the marker is read for it, with the code's own fns, methods and
//! closures that call one and that it calls there.

mod receivers;
mod std_calls;
#[cfg(test)]
mod tests;

use super::Token;
use super::reach;
use std_calls::StdCalls;

/// A std call that blocks the thread that makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdBlock {
    Sleep,
    Park,
    ParkTimeout,
    Recv,
    RecvTimeout,
    /// A `for` loop over a receiver, or its `iter()`: a `recv` per message.
    RecvIter,
}

impl StdBlock {
    /// The call's path in std.
    pub fn path(self) -> &'static str {
        match self {
            StdBlock::Sleep => "std::thread::sleep",
            StdBlock::Park => "std::thread::park",
            StdBlock::ParkTimeout => "std::thread::park_timeout",
            StdBlock::Recv => "std::sync::mpsc::Receiver::recv",
            StdBlock::RecvTimeout => "std::sync::mpsc::Receiver::recv_timeout",
            StdBlock::RecvIter => "std::sync::mpsc::Receiver::iter",
        }
    }
}

/// A blocking std call in async code: the (1-based) line of the call there, the code's own
/// fn, method or closure that it calls and that makes it (none where the line makes it itself),
/// and std's call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockingCall {
    pub line: usize,
    pub through: Option<String>,
    /// `through` is a type whose `Drop` makes the call: the line makes a value of it.
    pub dropped: bool,
    pub call: StdBlock,
}

/// The first blocking std call that the learner's code above the marker makes in async code
/// (an `async fn`, an `async` block or closure, or a closure an iterator runs there; not in
/// another closure or a plain `fn` inside it, which may run on another thread), directly or
/// through its own code that makes one, unless the shipped code makes one there too (the
/// exercise's own bug, which its tests judge).
pub fn blocking_call(shipped: &str, learner: &str) -> Option<BlockingCall> {
    let theirs_block = |theirs: &[Token]| first_in_async(theirs, &StdCalls::read(theirs)).is_some();
    let mine = reach::learner_only(shipped, learner, theirs_block)?;
    let calls = StdCalls::read(&mine);
    let (at, through) = first_in_async(&mine, &calls)?;
    // Std's call: the one at the line, else the first one in the helper's definition on.
    let from = through
        .and_then(|name| defined_at(&mine, name))
        .unwrap_or(at);
    let call = (from..mine.len())
        .chain(0..from)
        .find_map(|k| calls.call_at(k))
        .unwrap_or(StdBlock::Sleep);
    // A value made whose `drop` blocks: name its type.
    let dropped = through == Some("drop") && mine[at].text != "drop";
    let through = if dropped {
        Some(mine[at].text.as_str())
    } else {
        through
    };
    Some(BlockingCall {
        line: mine[at].line,
        through: through.map(str::to_owned),
        dropped,
        call,
    })
}

/// The token that starts the first blocking call in async code, with the code's own callable
/// that it calls (none for a std call).
fn first_in_async<'a>(tokens: &'a [Token], calls: &StdCalls) -> Option<(usize, Option<&'a str>)> {
    reach::first_in_async(tokens, |i| calls.call_at(i).is_some())
}

/// Where the code defines its fn, closure variable, item or macro named `name`.
fn defined_at(tokens: &[Token], name: &str) -> Option<usize> {
    (1..tokens.len()).find(|&k| {
        tokens[k].text == name
            && matches!(
                tokens[k - 1].text.as_str(),
                "fn" | "let" | "mut" | "static" | "const" | "!"
            )
    })
}
