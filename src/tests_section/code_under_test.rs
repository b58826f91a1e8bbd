//! Where the tests are the exercise (`tests = "attributes"`), the code above them is the code
//! under test, correct as shipped: changed, it could be made to suit the tests (a `divide` that
//! returns 0 instead of panicking passes a test that lacks its `#[should_panic]`).

use super::{Change, Editable, code_above, first_difference, line_of, meaningful};

/// Where the learner's code above the marker first differs from both the shipped code and the
/// solution's, as Rust tokens (so formatting and comments do not count), if it does.
pub fn code_change(shipped: &str, solution: Option<&str>, learner: &str) -> Option<Change> {
    let mine = meaningful(code_above(shipped, learner)?, Editable::Nothing).body;
    let differs = |other: &str| {
        let theirs = meaningful(code_above(shipped, other)?, Editable::Nothing).body;
        first_difference(&theirs, &mine).map(|at| (at, theirs))
    };
    let (at, theirs) = differs(shipped)?;
    if solution.is_some_and(|solution| differs(solution).is_none()) {
        return None;
    }
    let shipped_line = theirs.get(at).map_or(String::new(), |token| {
        let text = shipped.lines().nth(token.line - 1).unwrap_or_default();
        text.trim().to_owned()
    });
    Some(Change::CodeUnderTest {
        line: line_of(&mine, at),
        shipped: shipped_line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPPED: &str = "fn divide(a: u32, b: u32) -> u32 {\n    a / b\n}\n\n\
        // Tests: fix the attribute marked TODO.\n#[cfg(test)]\nmod tests {}\n";

    #[test]
    fn the_code_under_test_may_change_only_in_form_or_to_the_solutions() {
        let reformatted =
            SHIPPED.replace("    a / b\n", "    // the quotient\n    a\n        / b\n");
        assert_eq!(code_change(SHIPPED, None, &reformatted), None);
        let suited = SHIPPED.replace("a / b", "a.checked_div(b).unwrap_or(0)");
        assert_eq!(
            code_change(SHIPPED, None, &suited),
            Some(Change::CodeUnderTest {
                line: 2,
                shipped: "a / b".to_owned()
            })
        );
        // The solution's code is the author's, so a learner may write it too.
        assert_eq!(code_change(SHIPPED, Some(&suited), &suited), None);
        // Without a marker, the tests' own check says so.
        assert_eq!(code_change(SHIPPED, None, "fn main() {}"), None);
    }
}
