//! Files as committed at `HEAD`, read with one `git cat-file --batch` for any number of them.
//! Shared with `build.rs` (through `#[path]`), which embeds the committed course.

use std::{
    io::{BufRead, BufReader, Read, Write},
    path::Path,
    process::{Command, Stdio},
};

/// Each of `paths` (relative to `dir`, with `/`) as committed at `HEAD`, `None` for one that is not
/// committed; `None` for all outside a git checkout or without git.
pub fn read_all(dir: &Path, paths: &[String]) -> Option<Vec<Option<Vec<u8>>>> {
    let mut git = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = git.stdin.take()?;
    let requests: String = paths.iter().map(|p| format!("HEAD:./{p}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(requests.as_bytes()));
    let mut stdout = BufReader::new(git.stdout.take()?);
    let mut found = Vec::with_capacity(paths.len());
    for _ in paths {
        // "<oid> blob <size>" then the content and a newline, or "<name> missing".
        let mut header = String::new();
        if stdout.read_line(&mut header).ok()? == 0 {
            return None;
        }
        let Some(size) = header.split_whitespace().nth(2) else {
            found.push(None);
            continue;
        };
        let mut bytes = vec![0; size.parse::<usize>().ok()? + 1];
        stdout.read_exact(&mut bytes).ok()?;
        bytes.pop();
        found.push(Some(bytes));
    }
    writer.join().ok()?.ok()?;
    git.wait().ok()?.success().then_some(found)
}
