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
    assert_eq!(first_change(SHIPPED, None, &mine, Editable::Nothing), None);
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
    assert_eq!(first_change(SHIPPED, None, &mine, Editable::Nothing), None);
}

#[test]
fn an_emptied_test_names_its_first_changed_line() {
    let emptied = shipped_tests().replace("assert_eq!(add(1, 2), 3, \"1 + 2 // is 3\");", "");
    let mine = learner("pub fn add(a: u32, b: u32) -> u32 { a + b }", &emptied);
    // Line 1 holds the code, line 2 the marker; the emptied line is line 9.
    assert_eq!(
        first_change(SHIPPED, None, &mine, Editable::Nothing),
        Some(Change::Line {
            line: 9,
            shipped: "assert_eq!(add(1, 2), 3, \"1 + 2 // is 3\");".to_owned()
        })
    );
    let text_changed = shipped_tests().replace("1 + 2 // is 3", "anything");
    let mine = learner("fn x() {}", &text_changed);
    assert!(matches!(
        first_change(SHIPPED, None, &mine, Editable::Nothing),
        Some(Change::Line { line: 9, .. })
    ));
}

#[test]
fn an_ignored_or_deleted_test_is_a_change() {
    let ignored = shipped_tests().replace("    #[test]", "    #[test]\n    #[ignore]");
    let mine = learner("", &ignored);
    assert!(first_change(SHIPPED, None, &mine, Editable::Nothing).is_some());
    let deleted = shipped_tests()
        .split("    #[test]")
        .next()
        .unwrap()
        .to_owned()
        + "}\n";
    let mine = learner("", &deleted);
    assert!(first_change(SHIPPED, None, &mine, Editable::Nothing).is_some());
    assert_eq!(
        first_change(SHIPPED, None, "fn main() {}", Editable::Nothing),
        Some(Change::NoMarker)
    );
}

#[test]
fn where_attributes_are_the_exercise_only_bodies_are_fixed() {
    let attributes =
        shipped_tests().replace("#[tokio::test(start_paused = true)]", "#[tokio::test]");
    let mine = learner("", &attributes);
    assert_eq!(
        first_change(SHIPPED, None, &mine, Editable::Attributes),
        None
    );
    assert!(first_change(SHIPPED, None, &mine, Editable::Nothing).is_some());
    // `cfg_attr(test, ...)` is the same attribute in a test build; other conditions are not.
    for (form, allowed) in [
        ("#[cfg_attr(test, tokio::test(start_paused = true))]", true),
        ("#[cfg_attr(test, tokio::test,)]", true),
        ("#[cfg_attr(not(test), tokio::test)]", false),
        ("#[cfg_attr(test, tokio::test, ignore)]", false),
        ("#[cfg_attr(test, ignore)]", false),
        ("#[cfg_attr(test, tokio::test(crate = \"x\"))]", false),
    ] {
        let mine = learner(
            "",
            &shipped_tests().replace("#[tokio::test(start_paused = true)]", form),
        );
        let change = first_change(SHIPPED, None, &mine, Editable::Attributes);
        assert_eq!(change.is_none(), allowed, "{form}: {change:?}");
    }
    let emptied = attributes.replace("assert_eq!(add(0, 0), 0, \"{s} '\\\"'\");", "");
    assert_ne!(emptied, attributes);
    let mine = learner("", &emptied);
    assert!(first_change(SHIPPED, None, &mine, Editable::Attributes).is_some());
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
    assert_eq!(first_change(SHIPPED, None, &mine, Editable::Nothing), None);
    assert_eq!(
        first_change(&crlf(SHIPPED), None, &mine, Editable::Nothing),
        None
    );
    let lf = learner("fn x() {}", shipped_tests());
    assert_eq!(
        first_change(&crlf(SHIPPED), None, &lf, Editable::Nothing),
        None
    );
    assert_eq!(test_names(&mine), ["adds", "adds_zero"]);
    // Line 1 holds the code, line 2 the marker; the changed line is line 9, shown without its `\r`.
    let changed = crlf(&learner(
        "fn x() {}",
        &shipped_tests().replace("1 + 2 // is 3", "anything"),
    ));
    for shipped in [SHIPPED.to_owned(), crlf(SHIPPED)] {
        assert_eq!(
            first_change(&shipped, None, &changed, Editable::Attributes),
            Some(Change::Line {
                line: 9,
                shipped: "assert_eq!(add(1, 2), 3, \"1 + 2 // is 3\");".to_owned()
            })
        );
    }
}

#[test]
fn where_attributes_are_the_exercise_other_attributes_stay_as_shipped_or_as_solved() {
    let edit = |from: &str, to: &str| learner("", &shipped_tests().replace(from, to));
    let attributes = |mine: &str, solution: Option<&str>| {
        first_change(SHIPPED, solution, mine, Editable::Attributes)
    };
    // The test-defining attributes may change, with any arguments, or go.
    for test in [
        "#[test]",
        "#[tokio::test(flavor = \"multi_thread\")]",
        "#[::tokio::test(flavor = \"multi_thread\")]",
        "#[::tokio::test]",
        "",
    ] {
        let mine = edit("#[tokio::test(start_paused = true)]", test);
        assert_eq!(attributes(&mine, None), None, "{test}");
    }
    // Others may not: the learner's line is named, with the shipped one if there was one.
    for other in [
        "#[should_panic]",
        "#[ignore]",
        "#[cfg(any())]",
        "#[allow(unused)]",
    ] {
        let mine = edit("    #[test]\n", &format!("    #[test]\n    {other}\n"));
        assert_eq!(
            attributes(&mine, None),
            Some(Change::Line {
                line: 13,
                shipped: String::new()
            }),
            "{other}"
        );
    }
    let mine = edit("#[cfg(test)]", "");
    assert_eq!(
        attributes(&mine, None),
        Some(Change::Line {
            line: 4,
            shipped: "#[cfg(test)]".to_owned()
        })
    );
    // `crate = ...` would run the test on a runtime of the learner's making.
    let mine = edit(
        "#[tokio::test(start_paused = true)]",
        "#[tokio::test(crate = \"fake\")]",
    );
    assert!(attributes(&mine, None).is_some());
    // An attribute that the solution's tests have is allowed, where the solution has it.
    let solved = learner(
        "",
        &shipped_tests().replace("    #[test]\n", "    #[test]\n    #[should_panic]\n"),
    );
    let mine = edit("    #[test]\n", "    #[should_panic]\n");
    assert_eq!(attributes(&mine, Some(&solved)), None);
    let elsewhere = edit(
        "    #[tokio::test(start_paused = true)]\n",
        "    #[tokio::test(start_paused = true)]\n    #[should_panic]\n",
    );
    assert!(attributes(&elsewhere, Some(&solved)).is_some());
    // Where attributes may not change at all, nothing changed.
    let mine = learner("", shipped_tests());
    assert_eq!(
        first_change(SHIPPED, Some(&solved), &mine, Editable::Nothing),
        None
    );
}

#[test]
fn a_macro_the_tests_call_may_not_be_defined_above_them() {
    let with_code = |code: &str| learner(code, shipped_tests());
    assert_eq!(shadowed_macro(SHIPPED, &with_code("fn x() {}")), None);
    let shadowed = with_code("fn x() {}\nmacro_rules! assert_eq {\n    ($($t:tt)*) => { () };\n}");
    assert_eq!(
        shadowed_macro(SHIPPED, &shadowed),
        Some(Change::ShadowedMacro {
            name: "assert_eq".to_owned(),
            line: 2
        })
    );
    for code in [
        "macro_rules! r#assert_eq { () => {} }",
        "macro_rules! nothing { () => {} }\nuse nothing as assert_eq;",
    ] {
        assert!(
            shadowed_macro(SHIPPED, &with_code(code)).is_some(),
            "{code}"
        );
    }
    // Other macros, and macros the tests do not call, are fine.
    for code in [
        "macro_rules! my_assert { () => {} }",
        "macro_rules! panic { () => {} }",
        "use std::io::Result as IoResult;",
    ] {
        assert_eq!(shadowed_macro(SHIPPED, &with_code(code)), None, "{code}");
    }
    // A macro the shipped file defines itself is the course's own.
    let own = "macro_rules! check { ($e:expr) => { assert!($e) }; }\n";
    let shipped = format!("{own}{SHIPPED}").replace("let s = ", "check!(true);\n        let s = ");
    let mine = format!(
        "{own}{}",
        SHIPPED.replace("let s = ", "check!(true);\n        let s = ")
    );
    assert_eq!(shadowed_macro(&shipped, &mine), None);
}

#[test]
fn a_comment_that_starts_like_the_marker_is_code() {
    let code = "// Tests: the suite below adds small numbers.\npub fn add(a: u32, b: u32) -> u32 { a + b }";
    let mine = learner(code, shipped_tests());
    assert_eq!(first_change(SHIPPED, None, &mine, Editable::Nothing), None);
    assert_eq!(
        learner_section(SHIPPED, &mine).map(|(line, _)| line),
        Some(3)
    );
    assert_eq!(shadowed_macro(SHIPPED, &mine), None);
}

#[test]
fn a_marker_whose_words_were_edited_is_no_marker() {
    let mine = format!(
        "pub fn add(a: u32, b: u32) -> u32 {{ a + b }}\n// Tests: mine now\n{}",
        shipped_tests()
    );
    assert_eq!(learner_section(SHIPPED, &mine), None);
    assert_eq!(
        first_change(SHIPPED, None, &mine, Editable::Nothing),
        Some(Change::NoMarker)
    );
}

#[test]
fn code_split_apart_for_the_tests_clippy_the_build_the_runtime_or_the_place_is_refused() {
    let split = |code: &str| split_by_cfg(SHIPPED, &learner(code, shipped_tests()));
    let add = "pub fn add(a: u32, b: u32) -> u32 { a + b }\n";
    for (code, by) in [
        ("#[cfg(not(test))]\nfn pause() {}", SplitBy::Test),
        (
            "#[cfg(test)]\nuse std::convert::identity as pause;",
            SplitBy::Test,
        ),
        ("#[cfg(test)]\nfn pause() {}", SplitBy::Test),
        ("fn pause() { if cfg!(test) { return; } }", SplitBy::Test),
        (
            "#[cfg_attr(not(test), allow(clippy::await_holding_lock))]\nfn pause() {}",
            SplitBy::Test,
        ),
        (
            "#[cfg_attr(debug_assertions, derive(Debug, Clone))]\nstruct Job;",
            SplitBy::Build,
        ),
        // A static set in `fn main`, which no test runs, and read by the code.
        (
            "fn main() { REAL.store(true, std::sync::atomic::Ordering::Relaxed); }\nstatic REAL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);\nfn pause() -> bool { REAL.load(std::sync::atomic::Ordering::Relaxed) }",
            SplitBy::Main,
        ),
        // Run-time tells: the thread, the terminal, a caught `block_in_place` panic, a worker.
        (
            "fn first() -> bool { format!(\"{:?}\", std::thread::current().id()) == \"ThreadId(1)\" }",
            SplitBy::Place,
        ),
        ("use std::io::IsTerminal as Tty;", SplitBy::Place),
        ("use std::env::{args, var};", SplitBy::Place),
        (
            "fn exe() -> bool { std::fs::read_link(\"/proc/self/exe\").is_ok() }",
            SplitBy::Place,
        ),
        (
            "#[cfg_attr(debug_assertions, derive(Debug))]\nstruct Job;",
            SplitBy::Build,
        ),
        // `main` defining an item the code can call, and a module's own `main`.
        (
            "fn main() { impl Job { fn tty(&self) -> bool { std::io::stdout().is_terminal() } } }\nstruct Job;",
            SplitBy::Place,
        ),
        (
            "mod term { pub fn main() -> bool { std::io::stdout().is_terminal() } }",
            SplitBy::Place,
        ),
        (
            "fn harness() -> bool { std::env::args().any(|a| a.starts_with(\"--\")) }",
            SplitBy::Place,
        ),
        (
            "fn harness() -> bool { std::env::var_os(\"RUST_TEST_THREADS\").is_some() }",
            SplitBy::Place,
        ),
        (
            "fn harness() -> bool { format!(\"{:?}\", std::env::current_exe()).contains(\"deps\") }",
            SplitBy::Place,
        ),
        (
            "fn many() -> bool { std::panic::catch_unwind(|| tokio::task::block_in_place(|| ())).is_ok() }",
            SplitBy::Flavor,
        ),
        (
            "fn many(h: Handle) -> bool { h.metrics().worker_park_count(1) > 0 }",
            SplitBy::Flavor,
        ),
        (
            "fn duplex<R>() -> bool { std::any::type_name::<R>().contains(\"Duplex\") }",
            SplitBy::Place,
        ),
        (
            "fn big<W>() -> bool { std::mem::size_of::<W>() > 16 }",
            SplitBy::Place,
        ),
        (
            "fn one() -> bool { format!(\"{:?}\", Handle::current()).contains(\"CurrentThread\") }",
            SplitBy::Flavor,
        ),
        (
            "fn many() -> bool { std::thread::current().name() == Some(\"tokio-runtime-worker\") }",
            SplitBy::Flavor,
        ),
        (
            "#[cfg(all(test, not(miri)))]\nconst SLOW: bool = false;",
            SplitBy::Test,
        ),
        // A thread's name compared: libtest's threads are named after the tests.
        (
            "fn under_test() -> bool { std::thread::current().name().is_some_and(|n| n.contains(\"::\")) }",
            SplitBy::Place,
        ),
        (
            "fn program() -> bool { let me = std::thread::current(); me.name() == Some(\"main\") }",
            SplitBy::Place,
        ),
        (
            "fn program() -> bool { let n = thread::current().name().unwrap_or(\"\").to_owned(); \"main\" == n }",
            SplitBy::Place,
        ),
        (
            "fn program() -> u8 { match std::thread::current().name() { Some(\"main\") => 1, _ => 0 } }",
            SplitBy::Place,
        ),
        (
            "fn program() -> bool { if let Some(\"main\") = std::thread::current().name() { return true; } false }",
            SplitBy::Place,
        ),
        ("#[cfg(not(clippy))]\nfn pause() {}", SplitBy::Clippy),
        (
            "#[cfg_attr(clippy, allow(clippy::all))]\nfn pause() {}",
            SplitBy::Clippy,
        ),
        // A test module that adds methods to a type of the code, or exports its macros.
        (
            "struct S; #[cfg(test)]\nmod fast {\n    impl super::S { fn go(&self) {} }\n}",
            SplitBy::Test,
        ),
        (
            "#[cfg(test)]\n#[macro_use]\nmod fast {\n    macro_rules! go { () => {} }\n}",
            SplitBy::Test,
        ),
        ("#[cfg(not(test))]\nmod slow {}", SplitBy::Test),
        (
            "#[cfg(not(debug_assertions))]\nfn pause() {}",
            SplitBy::Build,
        ),
        (
            "fn pause() { if cfg!(debug_assertions) { return; } }",
            SplitBy::Build,
        ),
        (
            "use tokio::runtime::{Handle, RuntimeFlavor as F};",
            SplitBy::Flavor,
        ),
        (
            "fn pause() { tokio::runtime::Handle::current().runtime_flavor(); }",
            SplitBy::Flavor,
        ),
        // A module built for the tests only, whose items the code uses.
        (
            "#[cfg(test)]\nmod canned {\n    pub const WAIT: u64 = 0;\n}\nfn pause() { let _ = canned::WAIT; }",
            SplitBy::Test,
        ),
        // Methods added to an outside type through an alias.
        (
            "#[cfg(test)]\nmod mine {\n    type P = super::S;\n    impl P { fn go(&self) {} }\n}\nstruct S;",
            SplitBy::Test,
        ),
        (
            "fn pause() { let _ = Handle::current().metrics().num_workers(); }",
            SplitBy::Flavor,
        ),
        // Not a test of the learner's: a helper fn under cfg(test) is code the tests can call.
        (
            "#[cfg(test)]\nfn flavor() { let _ = Handle::current().runtime_flavor(); }",
            SplitBy::Test,
        ),
    ] {
        let code = format!("{add}{code}");
        assert_eq!(split(&code), Some(Change::Split { by, line: 2 }), "{code}");
    }
    // The learner's own tests, and cfg names that build the same for tests and program.
    for code in [
        "#[cfg(test)]\nmod mine {\n    use super::*;\n    #[test]\n    fn adds() { assert_eq!(add(2, 2), 4); }\n}",
        "#[cfg(all(test, not(miri)))]\nmod mine {\n    struct Fake;\n    impl Fake { fn go(&self) {} }\n    impl<T> From<T> for Fake { fn from(_: T) -> Self { Fake } }\n}",
        "#[cfg(test)]\n#[tokio::test(start_paused = true)]\nasync fn mine() {}",
        "#[cfg(test)]\nmod mine {\n    fn later(n: impl Into<u32>) -> impl std::future::Future<Output = u32> {\n        let n = n.into();\n        async move { n }\n    }\n}",
        "#[tokio::test]\n#[cfg(test)]\nasync fn mine() {}",
        "#[cfg_attr(test, tokio::test)]\nasync fn mine() {}",
        "#[cfg(unix)]\nfn pause() {}",
        // Attributes that change no code, and a panic caught with no `block_in_place` to probe.
        "#[cfg_attr(test, allow(unused))]\nfn pause() {}",
        "#[cfg_attr(not(test), allow(dead_code))]\nconst N: u32 = 1;",
        "#[cfg_attr(test, doc = \"job\", must_use)]\nfn pause() -> u8 { 0 }",
        "fn pause() { let _ = std::panic::catch_unwind(|| ()); }",
        "fn pause() { println!(\"{:?}\", std::thread::current().name()); }",
        // A thread's name only shown, put in a variable first or not.
        "fn pause() { let me = std::thread::current(); let name = me.name().unwrap_or(\"?\"); eprintln!(\"[{name}] waiting\"); }",
        "fn pause() { let name: String = std::thread::current().name().unwrap_or_default().to_owned(); println!(\"{}\", name); }",
        "fn pause(t: &std::thread::Thread) -> bool { t.name() == Some(\"pool\") }",
        // Names the code defines, and a builder's worker threads.
        "fn num_workers(ids: &[u32]) -> usize { ids.len() }",
        "fn pause(n: usize) { let num_workers = n; for _ in 0..num_workers {} }",
        "const HEADER: usize = std::mem::size_of::<u32>();",
        "use std::mem::size_of;\nuse std::io::IsTerminal;\nuse std::io::IsTerminal as _;",
        "struct Pool;\nimpl Pool { fn worker_count(&self) -> usize { 4 } }\nfn pause(p: Pool) -> usize { p.worker_count() }",
        "struct Tokens;\nimpl Tokens { fn worker_token(&self, _: bool) -> u8 { 0 } }\nfn pause(t: Tokens) -> u8 { t.worker_token(true) }",
        "fn pause() { let _ = tokio::runtime::Builder::new_multi_thread().build().expect(\"could not build a MultiThread runtime\"); }",
        "static LOG: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());\nfn pause() { LOG.lock().unwrap().push(String::new()); }\nfn main() { println!(\"{:?}\", LOG.lock().unwrap()); }",
        "fn verbose() -> bool { std::env::var_os(\"TX_TRACE\").is_some() }",
        // `main` may read the code's statics (a demo printing a count).
        "static RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);\nfn pause() { RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed); }\nfn main() { println!(\"{}\", RUNS.load(std::sync::atomic::Ordering::Relaxed)); }",
        // The program's own `fn main`, which no test runs, may ask: a demo's colours.
        "fn main() {\n    use std::io::IsTerminal;\n    let _ = std::io::stdout().is_terminal();\n}",
        "fn pause() { let _ = tokio::runtime::Builder::new_multi_thread().worker_threads(2); }",
        "// #[cfg(not(test))]\nfn pause() { let _ = \"cfg!(test)\"; }",
        "#[allow(clippy::all)]\nfn pause() {}",
        "fn pause() { debug_assert!(true, \"runtime_flavor\"); }",
        // A test module named like a fn or a method of the code, one with a trait of its own
        // for an outside type, and a test function built only in debug.
        "#[cfg(test)]\nmod add {\n    #[test]\n    fn two() { assert_eq!(super::add(1, 1), 2); }\n}\nfn pause() { let mut v = vec![0]; v.push(add(1, 2)); }",
        "#[cfg(test)]\nmod mine {\n    trait AsText { fn text(&self) -> String; }\n    impl AsText for Vec<u8> { fn text(&self) -> String { String::new() } }\n}",
        "#[test]\n#[cfg(debug_assertions)]\n#[should_panic]\nfn checks() { debug_assert!(false); }",
        "#[cfg(all(test, debug_assertions, not(clippy)))]\nmod mine {\n    #[test]\n    fn adds() { assert_eq!(super::add(1, 1), 2); }\n}",
        "#[cfg(test)]\nmod mine {\n    #[tokio::test(flavor = \"multi_thread\")]\n    async fn on_many() {\n        let _ = tokio::runtime::Handle::current().runtime_flavor();\n    }\n}",
        "#[tokio::test]\nasync fn on_one() {\n    assert_eq!(\n        tokio::runtime::Handle::current().runtime_flavor(),\n        tokio::runtime::RuntimeFlavor::CurrentThread\n    );\n}",
    ] {
        assert_eq!(split(&format!("{add}{code}")), None, "{code}");
    }
}
