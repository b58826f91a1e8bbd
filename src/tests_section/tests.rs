use super::*;

const SHIPPED: &str = r#"pub fn add(a: u32, b: u32) -> u32 {
    a + b // TODO
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn adds() {
        assert_eq!(add(1, 2), 3, "1 + 2 // is 3");
    }

    #[test]
    fn adds_zero() {
        let s = r"a \ b";
        assert_eq!(add(0, 0), 0, "{s} '\"'");
    }
}
"#;

fn learner(code: &str, tests: &str) -> String {
    format!("{code}\n// Tests: do not edit below this line.\n{tests}")
}

fn shipped_tests() -> &'static str {
    section(SHIPPED).unwrap().1
}

#[test]
fn the_learners_code_may_change() {
    let mine = learner(
        "pub fn add(a: u32, b: u32) -> u32 {\n    b + a\n}\n\n\n",
        shipped_tests(),
    );
    assert_eq!(first_change(SHIPPED, &mine, Editable::Nothing), None);
}

#[test]
fn formatting_line_endings_comments_and_trailing_commas_are_not_changes() {
    let reformatted = shipped_tests()
        .replace("\n", "\r\n")
        .replace(
            "assert_eq!(add(1, 2), 3, \"1 + 2 // is 3\");",
            "assert_eq!(\n add(1, 2),\n 3,\n \"1 + 2 // is 3\",\n );  // done",
        )
        .replace("    use super::*;", "    use super::*; /* all of it */");
    let mine = learner("pub fn add(a: u32, b: u32) -> u32 { a + b }", &reformatted);
    assert_eq!(first_change(SHIPPED, &mine, Editable::Nothing), None);
}

#[test]
fn an_emptied_test_names_its_first_changed_line() {
    let emptied = shipped_tests().replace("assert_eq!(add(1, 2), 3, \"1 + 2 // is 3\");", "");
    let mine = learner("pub fn add(a: u32, b: u32) -> u32 { a + b }", &emptied);
    // Line 1 holds the code, line 2 the marker; the emptied line is line 9.
    assert_eq!(
        first_change(SHIPPED, &mine, Editable::Nothing),
        Some(Change::Line {
            line: 9,
            shipped: "assert_eq!(add(1, 2), 3, \"1 + 2 // is 3\");".to_owned()
        })
    );
    let text_changed = shipped_tests().replace("1 + 2 // is 3", "anything");
    let mine = learner("fn x() {}", &text_changed);
    assert!(matches!(
        first_change(SHIPPED, &mine, Editable::Nothing),
        Some(Change::Line { line: 9, .. })
    ));
}

#[test]
fn an_ignored_or_deleted_test_is_a_change() {
    let ignored = shipped_tests().replace("    #[test]", "    #[test]\n    #[ignore]");
    let mine = learner("", &ignored);
    assert!(first_change(SHIPPED, &mine, Editable::Nothing).is_some());
    let deleted = shipped_tests()
        .split("    #[test]")
        .next()
        .unwrap()
        .to_owned()
        + "}\n";
    let mine = learner("", &deleted);
    assert!(first_change(SHIPPED, &mine, Editable::Nothing).is_some());
    assert_eq!(
        first_change(SHIPPED, "fn main() {}", Editable::Nothing),
        Some(Change::NoMarker)
    );
}

#[test]
fn where_attributes_are_the_exercise_only_bodies_are_fixed() {
    let attributes =
        shipped_tests().replace("#[tokio::test(start_paused = true)]", "#[tokio::test]");
    let mine = learner("", &attributes);
    assert_eq!(first_change(SHIPPED, &mine, Editable::Attributes), None);
    assert!(first_change(SHIPPED, &mine, Editable::Nothing).is_some());
    let emptied = attributes.replace("assert_eq!(add(0, 0), 0, \"{s} '\\\"'\");", "");
    assert_ne!(emptied, attributes);
    let mine = learner("", &emptied);
    assert!(first_change(SHIPPED, &mine, Editable::Attributes).is_some());
}

#[test]
fn test_names_are_the_functions_under_test_attributes() {
    assert_eq!(test_names(SHIPPED), ["adds", "adds_zero"]);
    let plain = "#[cfg(test)]\nmod tests {\n    #[test]\n    #[should_panic]\n    fn one() {}\n    fn helper() {}\n}\n";
    assert_eq!(test_names(plain), ["one"]);
}

/// An editor on Windows may save the whole file with CRLF line endings, and a course checked out
/// there may ship its files so: neither is a change, and lines are still counted right.
#[test]
fn files_saved_with_crlf_line_endings_work() {
    let crlf = |text: &str| text.replace('\n', "\r\n");
    let mine = crlf(&learner(
        "pub fn add(a: u32, b: u32) -> u32 { a + b }",
        shipped_tests(),
    ));
    assert_eq!(section(&mine).map(|(line, _)| line), Some(2));
    assert_eq!(first_change(SHIPPED, &mine, Editable::Nothing), None);
    assert_eq!(first_change(&crlf(SHIPPED), &mine, Editable::Nothing), None);
    let lf = learner("fn x() {}", shipped_tests());
    assert_eq!(first_change(&crlf(SHIPPED), &lf, Editable::Nothing), None);
    assert_eq!(test_names(&mine), ["adds", "adds_zero"]);
    // Line 1 holds the code, line 2 the marker; the changed line is line 9, shown without its `\r`.
    let changed = crlf(&learner(
        "fn x() {}",
        &shipped_tests().replace("1 + 2 // is 3", "anything"),
    ));
    for shipped in [SHIPPED.to_owned(), crlf(SHIPPED)] {
        assert_eq!(
            first_change(&shipped, &changed, Editable::Attributes),
            Some(Change::Line {
                line: 9,
                shipped: "assert_eq!(add(1, 2), 3, \"1 + 2 // is 3\");".to_owned()
            })
        );
    }
}
