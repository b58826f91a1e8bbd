//! Embeds the course (info.toml, exercises, solutions) into the binary for `init` and `reset`.
//!
//! The learner's exercise files are deliberately not watched: a learner working in a clone edits
//! them in place, and those edits must neither rebuild the CLI nor end up in its shipped copy.
//! Changing info.toml, a manifest or a solution refreshes the copy.

use std::{env, fmt::Write as _, fs, path::Path};

fn main() {
    for watched in [
        "info.toml",
        "Cargo.lock",
        "exercises/Cargo.toml",
        "solutions",
    ] {
        println!("cargo:rerun-if-changed={watched}");
    }
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let copy_root = Path::new(&out).join("course");
    let _ = fs::remove_dir_all(&copy_root);
    let mut files = Vec::new();
    collect(Path::new("info.toml"), &mut files);
    // The lock file pins tokio for `init`: a new course builds with the versions tested here.
    collect(Path::new("Cargo.lock"), &mut files);
    collect(Path::new("exercises"), &mut files);
    collect(Path::new("solutions"), &mut files);
    files.sort();
    let mut code = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    for file in &files {
        let copy = copy_root.join(file);
        fs::create_dir_all(copy.parent().unwrap()).expect("create the course copy");
        fs::copy(file, &copy).expect("copy a course file");
        let name = file.replace('\\', "/");
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

fn collect(path: &Path, files: &mut Vec<String>) {
    if path.is_dir() {
        for entry in fs::read_dir(path).expect("read a course folder") {
            collect(&entry.expect("read a course folder").path(), files);
        }
    } else if path.is_file()
        && path
            .extension()
            .is_some_and(|e| e == "rs" || e == "md" || e == "toml" || e == "lock")
    {
        files.push(path.to_string_lossy().into_owned());
    }
}
