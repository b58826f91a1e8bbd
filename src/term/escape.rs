//! Text from outside (test output, compiler messages, file names) shown in the learner's terminal
//! must not be able to change the terminal: switch to the alternate screen, turn on mouse
//! reporting, set the title, move the cursor. Colour (SGR, `ESC [ ... m`) is kept when colour is
//! on; every other escape and control character is shown in caret notation (`^[[?1049h`), inert.

/// `text` with only colour escapes left (none without colour); the rest made visible.
pub fn neutralise(text: &str, color: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut kept_color = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let mut len = c.len_utf8();
        match c {
            '\x1b' => match sgr_len(rest) {
                Some(sgr) => {
                    if color {
                        out.push_str(&rest[..sgr]);
                        kept_color = true;
                    }
                    len = sgr;
                }
                None => out.push_str("^["),
            },
            // Windows line ends print as line ends; a lone carriage return would overwrite.
            '\r' if rest[1..].starts_with('\n') => {}
            '\n' | '\t' => out.push(c),
            c if c.is_control() => visible(c, &mut out),
            c => out.push(c),
        }
        rest = &rest[len..];
    }
    if kept_color {
        // Colour left on by the text must not spill into what follows. The reset goes before the
        // text's trailing line ends: after them it would be a line of its own, which `trim_end`
        // keeps (a blank row under a hint, above the verdict).
        let end = out.trim_end().len();
        out.insert_str(end, "\x1b[0m");
    }
    out
}

/// The length of the SGR sequence at the start of `s`, if there is one.
fn sgr_len(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    if !s.starts_with("\x1b[") {
        return None;
    }
    let params = bytes[2..]
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b';' || **b == b':')
        .count();
    (bytes.get(2 + params) == Some(&b'm')).then_some(3 + params)
}

fn visible(c: char, out: &mut String) {
    match u32::from(c) {
        code @ 0..=0x1f => {
            out.push('^');
            out.push(char::from(b'@' + code as u8));
        }
        0x7f => out.push_str("^?"),
        code => out.push_str(&format!("<U+{code:04X}>")),
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn mode_switches_become_visible_text() {
        let hostile = "a\x1b[?1049h\x1b[?1000hb\x1b]0;title\x07c\x1bcd\u{9b}2Je";
        let shown = neutralise(hostile, true);
        assert!(!shown.contains('\x1b'), "{shown:?}");
        assert!(!shown.contains('\u{9b}'), "{shown:?}");
        assert_eq!(shown, "a^[[?1049h^[[?1000hb^[]0;title^Gc^[cd<U+009B>2Je");
    }

    #[test]
    fn colour_is_kept_only_with_colour_on_and_closed_after() {
        let rustc = "\x1b[0m\x1b[1m\x1b[38;5;9merror[E0308]\x1b[0m: mismatched";
        assert_eq!(neutralise(rustc, true), format!("{rustc}\x1b[0m"));
        assert_eq!(neutralise(rustc, false), "error[E0308]: mismatched");
        // A sequence that only looks like colour up to its end is not colour.
        assert_eq!(neutralise("\x1b[1;2H", true), "^[[1;2H");
    }

    #[test]
    fn the_closing_reset_comes_before_the_trailing_line_ends() {
        let hint = "\x1b[1;36mHint 1/1:\x1b[0m the types differ\n";
        let shown = neutralise(hint, true);
        assert_eq!(
            shown,
            "\x1b[1;36mHint 1/1:\x1b[0m the types differ\x1b[0m\n"
        );
        // Trimmed, it ends where the text ends: no line of its own is left for the reset.
        assert!(!shown.trim_end().contains('\n'), "{shown:?}");
    }

    #[test]
    fn line_ends_and_tabs_stay_other_controls_show() {
        assert_eq!(
            neutralise("a\r\nb\tc\rd\x08e\x0ef\x7f", false),
            "a\nb\tc^Md^He^Nf^?"
        );
        assert_eq!(neutralise("plain ✓ text", true), "plain ✓ text");
    }
}
