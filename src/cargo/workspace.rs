//! Where each exercise's `[[bin]]` lives: `cargo metadata`, read once per process.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::{BUILD_TIMEOUT, CARGO_OUTPUT_CAP, cargo, no_cargo};
use crate::process::{self, Cancel, Exit, Limits};

/// The workspace's binary targets, by name.
pub struct Workspace {
    bins: HashMap<String, Bin>,
}

#[derive(Debug, Clone)]
pub struct Bin {
    pub package: String,
    pub src_path: PathBuf,
}

impl Workspace {
    pub fn load(root: &Path, cancel: &Cancel) -> Result<Self> {
        #[derive(Deserialize)]
        struct Metadata {
            packages: Vec<Package>,
        }
        #[derive(Deserialize)]
        struct Package {
            name: String,
            targets: Vec<Target>,
        }
        #[derive(Deserialize)]
        struct Target {
            name: String,
            kind: Vec<String>,
            src_path: PathBuf,
        }

        let mut command = cargo();
        command
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--offline",
            ])
            .current_dir(root);
        let limits = Limits {
            timeout: BUILD_TIMEOUT,
            cap: CARGO_OUTPUT_CAP,
            merge_stderr: false,
            on_line: None,
            stall: None,
            diagnose: false,
            guarded: false,
        };
        let finished = process::run(command, &limits, cancel).map_err(no_cargo)?;
        if finished.exit != Exit::Code(0) {
            bail!(
                "`cargo metadata` failed in {}:\n{}",
                root.display(),
                finished.stderr.text().trim_end()
            );
        }
        let metadata: Metadata = serde_json::from_slice(&finished.stdout.bytes)
            .context("cannot read the output of `cargo metadata`")?;
        let mut bins = HashMap::new();
        for package in metadata.packages {
            for target in package.targets {
                if target.kind.iter().any(|k| k == "bin") {
                    let bin = Bin {
                        package: package.name.clone(),
                        src_path: target.src_path,
                    };
                    bins.insert(target.name, bin);
                }
            }
        }
        Ok(Workspace { bins })
    }

    /// A workspace with no bins, made without cargo: for the tests of what never builds.
    #[cfg(test)]
    pub fn without_bins() -> Self {
        Workspace {
            bins: HashMap::new(),
        }
    }

    pub fn bins(&self) -> impl Iterator<Item = (&String, &Bin)> {
        self.bins.iter()
    }

    /// Whether `bins` are every bin of the packages they belong to.
    pub fn whole_packages(&self, bins: &[&str]) -> bool {
        let packages: Vec<&str> = bins
            .iter()
            .filter_map(|name| self.bins.get(*name))
            .map(|bin| bin.package.as_str())
            .collect();
        self.bins
            .iter()
            .filter(|(_, bin)| packages.contains(&bin.package.as_str()))
            .all(|(name, _)| bins.contains(&name.as_str()))
    }

    pub fn bin(&self, name: &str) -> Result<&Bin> {
        self.bins.get(name).with_context(|| {
            format!(
                "no [[bin]] named `{name}` in the course's Cargo workspace.\n\
                 fix: add `[[bin]] name = \"{name}\"` with the path of its file to the exercises \
                 (or solutions) Cargo.toml, or run `async-lings dev update`"
            )
        })
    }
}
