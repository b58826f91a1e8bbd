//! Embeds the course as shipped (info.toml, Cargo.lock, exercises, solutions) into the binary for
//! `init` and `reset`.
//!
//! In a git checkout the course is taken from the commit at `HEAD`, not from the working tree: a
//! learner who takes the course in a clone edits the exercise files in place, and a rebuild
//! (`cargo run`, `cargo install --path .`) must not hand those edits back as "shipped". Outside
//! git (a published package) the files on disk are the shipped ones.

use std::{
    env,
    fmt::Write as _,
    fs,
    path::Path,
    process::{Command, Stdio},
};

#[path = "src/committed.rs"]
mod committed;

/// What is embedded, relative to the package root.
const COURSE: [&str; 4] = ["info.toml", "Cargo.lock", "exercises", "solutions"];

fn main() {
    let files = match committed_files() {
        Some(files) if !files.is_empty() => files,
        _ => working_tree_files(),
    };
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let copy_root = Path::new(&out).join("course");
    let _ = fs::remove_dir_all(&copy_root);
    let mut code = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    for (name, bytes) in &files {
        let copy = copy_root.join(name);
        fs::create_dir_all(copy.parent().unwrap()).expect("create the course copy");
        fs::write(&copy, bytes).expect("write the course copy");
        writeln!(
            code,
            "    ({name:?}, include_bytes!({:?})),",
            copy.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    fs::write(Path::new(&out).join("course_files.rs"), code).expect("write course_files.rs");
}

fn embedded(name: &str) -> bool {
    [".rs", ".md", ".toml", ".lock"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// The course as committed at `HEAD`, or `None` outside a git checkout (or without git).
fn committed_files() -> Option<Vec<(String, Vec<u8>)>> {
    let listing = git(
        &["ls-tree", "-r", "-z", "--name-only", "HEAD", "--"],
        &COURSE,
    )?;
    let names: Vec<String> = listing
        .split(|&b| b == 0)
        .filter(|name| !name.is_empty())
        .map(|name| String::from_utf8_lossy(name).into_owned())
        .filter(|name| embedded(name))
        .collect();
    rerun_when_head_moves();
    let contents = committed::read_all(Path::new("."), &names)?;
    names
        .into_iter()
        .zip(contents)
        .map(|(name, bytes)| Some((name, bytes?)))
        .collect()
}

/// A commit (or a checkout of another branch) changes what is shipped; nothing else does, so a
/// learner's edits never rebuild the CLI.
fn rerun_when_head_moves() {
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"], &[]) {
        watched.push(String::from_utf8_lossy(&branch).trim().to_owned());
    }
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name], &[]) {
            let path = String::from_utf8_lossy(&path).trim().to_owned();
            // A path that does not exist would make cargo rerun this script on every build.
            if Path::new(&path).exists() {
                println!("cargo:rerun-if-changed={path}");
            }
        }
    }
}

fn git(args: &[&str], paths: &[&str]) -> Option<Vec<u8>> {
    let output = Command::new("git")
        .args(args)
        .args(paths)
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output.status.success().then_some(output.stdout)
}

/// The files on disk: a published package holds the course as shipped.
fn working_tree_files() -> Vec<(String, Vec<u8>)> {
    // Not the exercise files themselves: a learner's edits must not rebuild the CLI.
    for path in [
        "info.toml",
        "Cargo.lock",
        "exercises/Cargo.toml",
        "solutions",
    ] {
        println!("cargo:rerun-if-changed={path}");
    }
    let mut names = Vec::new();
    for path in COURSE {
        collect(Path::new(path), &mut names);
    }
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let bytes = fs::read(&name).expect("read a course file");
            (name.replace('\\', "/"), bytes)
        })
        .collect()
}

fn collect(path: &Path, files: &mut Vec<String>) {
    if path.is_dir() {
        for entry in fs::read_dir(path).expect("read a course folder") {
            collect(&entry.expect("read a course folder").path(), files);
        }
    } else if path.is_file() && embedded(&path.to_string_lossy()) {
        files.push(path.to_string_lossy().into_owned());
    }
}
