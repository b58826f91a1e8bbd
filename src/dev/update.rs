//! `dev update`: the `[[bin]]` lists of the manifests, rewritten from info.toml. Everything else
//! in the manifests (comments, dependencies) stays as it is.

use std::{fs, path::Path, process::ExitCode};

use anyhow::{Context, Result};
use toml_edit::{Array, ArrayOfTables, DocumentMut, InlineTable, Item, Table, value};

use crate::{
    course::{Course, Exercise, Format},
    state::write_atomically,
};

pub fn update(course: &Course) -> Result<ExitCode> {
    let changed = match course.format {
        Format::AsyncLings => {
            let exercises = write_bins(course, "exercises", |e| (e.name.clone(), &e.path))?;
            let solutions = write_bins(course, "solutions", |e| {
                (e.solution_bin(), &e.solution_path)
            })?;
            exercises | solutions
        }
        Format::Rustlings => write_rustlings_bins(course)?,
    };
    println!(
        "{}",
        if changed {
            "Updated the bin lists of the manifests."
        } else {
            "The bin lists of the manifests are up to date."
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn read(path: &Path) -> Result<DocumentMut> {
    let text =
        fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    text.parse()
        .with_context(|| format!("{} is not valid TOML", path.display()))
}

/// Writes `doc` if it changed; returns whether it did.
fn save(path: &Path, doc: &DocumentMut) -> Result<bool> {
    let old = fs::read_to_string(path).unwrap_or_default();
    let new = doc.to_string();
    if old == new {
        return Ok(false);
    }
    write_atomically(path, new.as_bytes())?;
    Ok(true)
}

/// `exercises/Cargo.toml` or `solutions/Cargo.toml`: one `[[bin]]` table per exercise, with the
/// path relative to the manifest.
fn write_bins(
    course: &Course,
    package_dir: &str,
    bin: impl Fn(&Exercise) -> (String, &std::path::PathBuf),
) -> Result<bool> {
    let manifest = course.root.join(package_dir).join("Cargo.toml");
    let mut doc = read(&manifest)?;
    let mut bins = ArrayOfTables::new();
    for exercise in &course.exercises {
        let (name, path) = bin(exercise);
        let relative = path.strip_prefix(package_dir).unwrap_or(path);
        let mut table = Table::new();
        table["name"] = value(name);
        table["path"] = value(relative.to_string_lossy().replace('\\', "/"));
        bins.push(table);
    }
    doc.remove("bin");
    doc.insert("bin", Item::ArrayOfTables(bins));
    save(&manifest, &doc)
}

/// A rustlings course: one root package whose `bin` array holds `NAME` and `NAME_sol`.
fn write_rustlings_bins(course: &Course) -> Result<bool> {
    let manifest = course.root.join("Cargo.toml");
    let mut doc = read(&manifest)?;
    let mut bins = Array::new();
    for exercise in &course.exercises {
        for (name, path) in [
            (exercise.name.clone(), &exercise.path),
            (exercise.solution_bin(), &exercise.solution_path),
        ] {
            let mut entry = InlineTable::new();
            entry.insert("name", name.into());
            entry.insert("path", path.to_string_lossy().replace('\\', "/").into());
            bins.push(entry);
        }
    }
    for entry in bins.iter_mut() {
        entry.decor_mut().set_prefix("\n  ");
    }
    bins.set_trailing("\n");
    bins.set_trailing_comma(true);
    // Assigned in place, so that the key keeps its decor: rustlings' manifests open with a
    // comment line above `bin = [`.
    match doc.get_mut("bin") {
        Some(item) => *item = value(bins),
        None => {
            doc.insert("bin", value(bins));
        }
    }
    save(&manifest, &doc)
}
