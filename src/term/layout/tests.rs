use super::*;

#[test]
fn prose_wraps_at_spaces_and_long_words_are_cut() {
    assert_eq!(
        wrap("a value that describes the work", 12),
        ["a value that", "describes", "the work"]
    );
    assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
    assert_eq!(wrap("one\ntwo\r\n\nthree", 80), ["one", "two", "", "three"]);
}

#[test]
fn indentation_is_kept_and_wide_characters_count_twice() {
    assert_eq!(wrap("    let x = 1;", 80), ["    let x = 1;"]);
    assert_eq!(width("✓ 日本"), 6);
    assert_eq!(wrap("日本語の文", 4), ["日本", "語の", "文"]);
}

#[test]
fn wrapped_rows_hang_under_the_start_of_their_line() {
    // A failing test: the place under the name, the message's rows under its first.
    let failure = "✗ tests::a_long_test_name (src/lib.rs:7:9)\n    the message goes on and on";
    assert_eq!(
        wrap(failure, 28),
        [
            "✗ tests::a_long_test_name",
            "  (src/lib.rs:7:9)",
            "    the message goes on and",
            "    on",
        ]
    );
    assert_eq!(wrap("- one two three", 9), ["- one two", "  three"]);
    // A word too long for a row is cut, each piece under the indent.
    assert_eq!(wrap("  abcdefghij", 6), ["  abcd", "  efgh", "  ij"]);
    // Colour is taken up after the indent.
    assert_eq!(
        wrap("    \x1b[31mred text\x1b[0m", 9),
        ["    \x1b[31mred\x1b[0m", "    \x1b[31mtext\x1b[0m"]
    );
    // An indent of more than half the width is not kept.
    assert_eq!(wrap("      one two", 10), ["      one", "two"]);
}

#[test]
fn escapes_take_no_room_and_colour_carries_over_a_break() {
    let red = "\x1b[31mone two\x1b[0m three";
    assert_eq!(width(red), 13);
    assert_eq!(
        wrap(red, 5),
        ["\x1b[31mone\x1b[0m", "\x1b[31mtwo\x1b[0m", "three"]
    );
    let link = "\x1b]8;;file:///a.rs\x1b\\a.rs\x1b]8;;\x1b\\";
    assert_eq!(width(link), 4);
    assert_eq!(wrap(link, 4), [link]);
}

#[test]
fn the_frame_pins_top_and_bottom_and_scrolls_the_middle() {
    let middle: Vec<String> = (1..=10).map(|i| format!("line {i}")).collect();
    let middle = middle.join("\n");
    let bottom = |v: &Viewport| format!("keys {}-{}/{}", v.first + 1, v.first + v.shown, v.total);
    let mut scroll = 0;
    let (lines, viewport) = frame((20, 6), "head", &middle, &bottom, &mut scroll);
    assert_eq!(
        lines,
        [
            "head",
            "line 1",
            "line 2",
            "line 3",
            "line 4",
            "keys 1-4/10"
        ]
    );
    assert!(viewport.scrolls());

    // Scrolling past the end shows the last full page.
    let mut scroll = 99;
    let (lines, _) = frame((20, 6), "head", &middle, &bottom, &mut scroll);
    assert_eq!(scroll, 6);
    assert_eq!(lines[1..5], ["line 7", "line 8", "line 9", "line 10"]);
    assert_eq!(lines[5], "keys 7-10/10");

    // Short content leaves blank rows; the bottom stays at the bottom.
    let (lines, viewport) = frame((20, 5), "head", "only", &bottom, &mut 0);
    assert_eq!(lines, ["head", "only", "", "", "keys 1-1/1"]);
    assert!(!viewport.scrolls());

    // A tiny terminal keeps the keys.
    let (lines, _) = frame((20, 1), "head", &middle, &bottom, &mut 0);
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("keys"));
}
