//! Fitting text to the terminal: widths that skip escape sequences, word wrapping that carries the
//! colour in force onto the next line, and watch mode's frame (a pinned top, a scrolling middle, a
//! pinned bottom).

use unicode_width::UnicodeWidthChar;

/// One piece of a line: an escape sequence (no width) or a character.
enum Piece<'a> {
    Escape { text: &'a str, sgr: bool },
    Char(char),
}

fn pieces(line: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = line;
    std::iter::from_fn(move || {
        let c = rest.chars().next()?;
        let len = if c == '\x1b' {
            escape_len(rest)
        } else {
            c.len_utf8()
        };
        let (piece, tail) = rest.split_at(len);
        rest = tail;
        Some(if c == '\x1b' {
            Piece::Escape {
                text: piece,
                sgr: piece.starts_with("\x1b[") && piece.ends_with('m'),
            }
        } else {
            Piece::Char(c)
        })
    })
}

/// The length of the escape sequence at the start of `s`: CSI (`ESC [ … final`), OSC (`ESC ] …
/// BEL` or `ESC ] … ESC \`), or a lone escape and the character after it.
fn escape_len(s: &str) -> usize {
    let bytes = s.as_bytes();
    match bytes.get(1) {
        Some(b'[') => bytes[2..]
            .iter()
            .position(|b| (0x40..=0x7e).contains(b))
            .map_or(s.len(), |i| i + 3),
        Some(b']') => {
            let body = &s[2..];
            let bel = body.find('\x07').map(|i| i + 3);
            let st = body.find("\x1b\\").map(|i| i + 4);
            bel.into_iter().chain(st).min().unwrap_or(s.len())
        }
        Some(_) => 1 + s[1..].chars().next().map_or(0, char::len_utf8),
        None => 1,
    }
}

/// The number of columns `text` takes on screen.
pub fn width(text: &str) -> usize {
    pieces(text)
        .map(|p| match p {
            Piece::Char(c) => c.width().unwrap_or(0),
            Piece::Escape { .. } => 0,
        })
        .sum()
}

/// `text` in lines no wider than `width`: broken at spaces where possible, inside a word only
/// where the word alone is wider than a line. The rows a line wraps onto hang under its start
/// (see [`hanging_indent`]). Colour in force at a break is ended at the end of the line and taken
/// up again on the next.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for line in text.split('\n') {
        wrap_line(line.trim_end_matches('\r'), width, &mut lines);
    }
    lines
}

/// How far the rows after a line's first are indented: as far as the line itself, and past a
/// leading mark (`✗ `, `✓ `, `- `, `* `) where it starts with one. A wrapped failure ("✗ name
/// (file:line)" and its indented message), a list item or an indented line thus stays visibly one
/// piece. None where that would leave less than half the width.
fn hanging_indent(line: &str, width: usize) -> usize {
    let mut chars = pieces(line).filter_map(|piece| match piece {
        Piece::Char(c) => Some(c),
        Piece::Escape { .. } => None,
    });
    let mut indent = 0;
    let mut next = chars.next();
    while next == Some(' ') {
        indent += 1;
        next = chars.next();
    }
    if let Some(mark @ ('✗' | '✓' | '-' | '*')) = next
        && chars.next() == Some(' ')
    {
        indent += mark.width().unwrap_or(1) + 1;
    }
    if indent * 2 <= width { indent } else { 0 }
}

struct Filler<'o> {
    out: &'o mut Vec<String>,
    width: usize,
    /// The indent of the rows after the first.
    indent: usize,
    line: String,
    used: usize,
    /// The columns the current row started with: 0 on the first, the indent after.
    start: usize,
    /// The colour escapes in force (since the last reset).
    color: String,
}

impl Filler<'_> {
    fn push_escape(&mut self, text: &str, sgr: bool) {
        self.line.push_str(text);
        if sgr {
            if text == "\x1b[0m" || text == "\x1b[m" {
                self.color.clear();
            } else {
                self.color.push_str(text);
            }
        }
    }

    fn push_char(&mut self, c: char) {
        let w = c.width().unwrap_or(0);
        if self.used + w > self.width && self.used > self.start {
            self.break_line();
        }
        self.line.push(c);
        self.used += w;
    }

    fn break_line(&mut self) {
        let mut line = std::mem::take(&mut self.line);
        if !self.color.is_empty() {
            line.push_str("\x1b[0m");
        }
        self.out.push(line);
        self.line = format!("{}{}", " ".repeat(self.indent), self.color);
        self.used = self.indent;
        self.start = self.indent;
    }
}

fn wrap_line(line: &str, width: usize, out: &mut Vec<String>) {
    let mut filler = Filler {
        out,
        width,
        indent: hanging_indent(line, width),
        line: String::new(),
        used: 0,
        start: 0,
        color: String::new(),
    };
    // Words, each with the spaces before it; a word does not start a line with its spaces.
    let mut word: Vec<Piece> = Vec::new();
    let mut spaces = 0;
    let flush = |filler: &mut Filler, word: &mut Vec<Piece>, spaces: &mut usize| {
        let word_width: usize = word
            .iter()
            .map(|p| match p {
                Piece::Char(c) => c.width().unwrap_or(0),
                Piece::Escape { .. } => 0,
            })
            .sum();
        let fits = filler.used + *spaces + word_width <= filler.width;
        let fits_a_row = filler.indent + word_width <= filler.width;
        if !fits && filler.used > filler.start && fits_a_row && word_width > 0 {
            filler.break_line();
        } else {
            for _ in 0..*spaces {
                filler.push_char(' ');
            }
        }
        for piece in word.drain(..) {
            match piece {
                Piece::Char(c) => filler.push_char(c),
                Piece::Escape { text, sgr } => filler.push_escape(text, sgr),
            }
        }
        *spaces = 0;
    };
    for piece in pieces(line) {
        match piece {
            Piece::Char(' ') if word.iter().any(|p| matches!(p, Piece::Char(_))) => {
                flush(&mut filler, &mut word, &mut spaces);
                spaces = 1;
            }
            Piece::Char(' ') if word.is_empty() => spaces += 1,
            piece => word.push(piece),
        }
    }
    flush(&mut filler, &mut word, &mut spaces);
    let last = std::mem::take(&mut filler.line);
    filler.out.push(last);
}

/// Watch mode's screen, fitted to `width` x `height`: `top` pinned at the top, the bottom (made
/// by `bottom` from what is on screen) at the bottom, and as much of `middle` between them as
/// fits, from line `scroll` (clamped here, so that the last page is full). Returns exactly
/// `height` lines.
pub fn frame(
    (width, height): (usize, usize),
    top: &str,
    middle: &str,
    bottom: &dyn Fn(&Viewport) -> String,
    scroll: &mut usize,
) -> (Vec<String>, Viewport) {
    let top = if top.is_empty() {
        Vec::new()
    } else {
        wrap(top, width)
    };
    let middle = wrap(middle.trim_end(), width);
    // The bottom's height, with the widest numbers it may show.
    let probe = Viewport {
        first: middle.len(),
        shown: middle.len(),
        total: middle.len(),
        rows: 0,
    };
    // A terminal too small for all three keeps the bottom (the keys) and as much of the top.
    let pinned_bottom = wrap(&bottom(&probe), width).len().min(height);
    let pinned_top = top.len().min(height - pinned_bottom);
    let rows = height - pinned_bottom - pinned_top;
    *scroll = (*scroll).min(middle.len().saturating_sub(rows));
    let viewport = Viewport {
        first: *scroll,
        shown: rows.min(middle.len() - *scroll),
        total: middle.len(),
        rows,
    };
    let mut lines: Vec<String> = top.into_iter().take(pinned_top).collect();
    lines.extend(middle.into_iter().skip(*scroll).take(rows));
    lines.resize(height - pinned_bottom, String::new());
    let mut bottom = wrap(&bottom(&viewport), width);
    bottom.resize(pinned_bottom, String::new());
    lines.extend(bottom);
    (lines, viewport)
}

/// Which part of the middle is on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewport {
    pub first: usize,
    pub shown: usize,
    pub total: usize,
    /// Rows the middle has on screen.
    pub rows: usize,
}

impl Viewport {
    pub fn scrolls(&self) -> bool {
        self.total > self.rows
    }
}

#[cfg(test)]
mod tests;
