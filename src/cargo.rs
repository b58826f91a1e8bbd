//! Everything async-lings asks of cargo: where each exercise's `[[bin]]` lives (`cargo metadata`,
//! once per process) and one build of any number of bins, read from cargo's JSON messages.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use anyhow::Result;
use serde::Deserialize;

pub use self::workspace::Workspace;
use crate::{
    owner,
    process::{self, Cancel, Exit, Limits, OnLine, Stall},
};

mod workspace;

/// Even a cold build of tokio on a slow laptop ends well within this; it only guards against a
/// cargo stuck on a lock held by something else. A compile that never ends is stopped long before
/// by the exercise's `compile_timeout` (see [`build`]).
const BUILD_TIMEOUT: Duration = Duration::from_secs(900);
const CARGO_OUTPUT_CAP: usize = 32 << 20;

const NO_CARGO: &str = "cargo was not found on PATH.

async-lings compiles your exercises with cargo. Install Rust with rustup (https://rustup.rs),
open a new terminal so PATH is updated, and run async-lings again.";

fn cargo() -> Command {
    let mut command = Command::new("cargo");
    // Progress bars and colours on stderr are noise in a captured stream.
    command
        .env("CARGO_TERM_PROGRESS_WHEN", "never")
        .env("CARGO_TERM_COLOR", "never");
    command
}

fn no_cargo(error: anyhow::Error) -> anyhow::Error {
    if error.to_string().contains("was not found on PATH") {
        anyhow::anyhow!(NO_CARGO)
    } else {
        error
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildKind {
    /// `cargo test --no-run`: the test harness executables.
    Tests,
    /// `cargo build`: the plain binaries.
    Bins,
    /// `cargo clippy --profile test`, with `-- -D warnings` where `strict`.
    Clippy { strict: bool },
}

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub level: String,
    pub code: Option<String>,
    pub message: String,
    /// The compiler's own rendering, with ANSI colours.
    pub rendered: String,
    /// The notes, helps and span labels: where most async hints are found.
    pub notes: Vec<String>,
    /// Where the compiler points: the file and (1-based) line of its primary span.
    pub primary: Option<(PathBuf, usize)>,
    /// The primary span is in the exercise's tests, below the marker (set by `check`).
    pub in_tests: bool,
}

impl Diagnostic {
    pub fn is_error(&self) -> bool {
        self.level == "error"
    }
}

#[derive(Debug, Default)]
pub struct TargetBuild {
    pub diagnostics: Vec<Diagnostic>,
    /// Cargo reported the target built (or, for clippy, checked).
    pub finished: bool,
    /// The test harness or the binary; clippy makes none.
    pub executable: Option<PathBuf>,
    /// The file cargo checks for freshness: the executable, or clippy's metadata file.
    pub artifact: Option<PathBuf>,
    /// Cargo did not build it in this run: it trusted an earlier build.
    pub fresh: bool,
}

impl TargetBuild {
    /// Built, or failed with errors of its own.
    fn settled(&self) -> bool {
        self.finished || self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn failed(&self) -> bool {
        !self.finished || self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

#[derive(Debug)]
pub struct Build {
    pub exit: Exit,
    pub targets: HashMap<String, TargetBuild>,
    /// What cargo itself said (manifest errors, linker failures, ...).
    pub stderr: String,
}

impl Build {
    pub fn target(&mut self, name: &str) -> TargetBuild {
        self.targets.remove(name).unwrap_or_default()
    }

    /// Takes what a second invocation found for `bins`, and what cargo said in it.
    fn absorb(&mut self, again: &mut Build, bins: &[&str]) {
        for bin in bins {
            self.targets.insert((*bin).to_owned(), again.target(bin));
        }
        self.stderr.push_str(&again.stderr);
    }
}

/// Builds `bins` for the course at `root`, continuing past bins that fail to compile. A bin
/// that cargo found fresh but that was built for another course sharing the target dir is
/// removed and built again (see `owner`). A build is stopped (as [`Exit::Stalled`]) when no crate
/// finishes for `compile_limit`: that clock restarts with every crate cargo finishes, so a first
/// build of Tokio does not count against the exercises.
pub fn build(
    root: &Path,
    workspace: &Workspace,
    bins: &[&str],
    kind: BuildKind,
    compile_limit: Duration,
    cancel: &Cancel,
    on_line: Option<OnLine>,
) -> Result<Build> {
    let request = Request {
        root,
        workspace,
        kind,
        compile_limit,
        cancel,
        on_line,
    };
    let mut build = build_each(&request, bins)?;
    let foreign: Vec<&str> = bins
        .iter()
        .copied()
        .filter(|bin| {
            build.targets.get(*bin).is_some_and(|t| {
                t.fresh
                    && t.artifact
                        .as_ref()
                        .is_some_and(|a| !owner::is_ours(root, a))
            })
        })
        .collect();
    if !foreign.is_empty() {
        for bin in &foreign {
            if let Some(artifact) = &build.targets[*bin].artifact {
                owner::disown(artifact);
            }
        }
        let mut again = invoke(&request, &foreign)?;
        let cancelled = again.exit == Exit::Cancelled;
        build.absorb(&mut again, &foreign);
        if cancelled {
            build.exit = Exit::Cancelled;
        }
    }
    for target in build.targets.values() {
        if let (false, Some(artifact)) = (target.fresh, &target.artifact) {
            owner::claim(root, artifact);
        }
    }
    Ok(build)
}

/// `invoke`, then again for the bins that a failure stopped cargo from building (without
/// `--keep-going`, cargo starts nothing new once one bin has failed), until each one has built or
/// failed.
fn build_each(request: &Request, bins: &[&str]) -> Result<Build> {
    let mut build = invoke(request, bins)?;
    let mut left = bins.len();
    loop {
        let unbuilt: Vec<&str> = bins
            .iter()
            .copied()
            .filter(|bin| build.targets.get(*bin).is_none_or(|t| !t.settled()))
            .collect();
        let stopped = matches!(build.exit, Exit::Cancelled | Exit::Stalled | Exit::TimedOut);
        if unbuilt.is_empty() || unbuilt.len() == left || stopped {
            return Ok(build);
        }
        left = unbuilt.len();
        let mut again = invoke(request, &unbuilt)?;
        build.absorb(&mut again, &unbuilt);
        build.exit = again.exit;
    }
}

/// What every cargo invocation of one build shares.
struct Request<'a> {
    root: &'a Path,
    workspace: &'a Workspace,
    kind: BuildKind,
    compile_limit: Duration,
    cancel: &'a Cancel,
    on_line: Option<OnLine>,
}

/// One cargo invocation for all `bins`.
fn invoke(request: &Request, bins: &[&str]) -> Result<Build> {
    let Request {
        root,
        workspace,
        kind,
        compile_limit,
        cancel,
        ref on_line,
    } = *request;
    let mut command = cargo();
    command.current_dir(root);
    select(&mut command, workspace, kind, bins)?;
    let limits = Limits {
        timeout: BUILD_TIMEOUT,
        cap: CARGO_OUTPUT_CAP,
        merge_stderr: false,
        on_line: on_line.clone(),
        stall: Some(Stall {
            limit: compile_limit,
            is_progress: crate_finished,
        }),
        diagnose: false,
        guarded: false,
    };
    let finished = process::run(command, &limits, cancel).map_err(no_cargo)?;
    let mut build = Build {
        exit: finished.exit,
        targets: HashMap::new(),
        stderr: finished.stderr.text(),
    };
    for line in finished.stdout.bytes.split(|&b| b == b'\n') {
        read_message(line, kind, &mut build.targets);
    }
    Ok(build)
}

/// The subcommand and the targets of one invocation for `bins`.
fn select(
    command: &mut Command,
    workspace: &Workspace,
    kind: BuildKind,
    bins: &[&str],
) -> Result<()> {
    // Keep building the other bins when one fails. `cargo test --no-run` cannot (it stops at the
    // first failing bin), so a batch that is every bin of its packages is built as their test
    // targets; a part of a package (`verify --solutions` of a rustlings course, where exercises and
    // solutions share one) is built with `--bin`s, and what one failure left unbuilt is built
    // again by `build_each`.
    let test_batch = kind == BuildKind::Tests && bins.len() > 1 && workspace.whole_packages(bins);
    match kind {
        BuildKind::Tests if test_batch => command.args(["build", "--keep-going", "--tests"]),
        BuildKind::Tests => command.args(["test", "--no-run"]),
        BuildKind::Bins => command.args(["build", "--keep-going"]),
        BuildKind::Clippy { .. } => command.args(["clippy", "--keep-going", "--profile", "test"]),
    };
    command.arg("--message-format=json-diagnostic-rendered-ansi");
    let mut packages: Vec<&str> = Vec::new();
    for name in bins {
        let package = workspace.bin(name)?.package.as_str();
        if !packages.contains(&package) {
            packages.push(package);
            command.args(["--package", package]);
        }
    }
    if !test_batch {
        for name in bins {
            command.args(["--bin", name]);
        }
    }
    if kind == (BuildKind::Clippy { strict: true }) {
        command.args(["--", "-D", "warnings"]);
    }
    Ok(())
}

/// A JSON line of cargo's saying it finished a crate or ran a build script.
fn crate_finished(line: &[u8]) -> bool {
    [
        &br#""reason":"compiler-artifact""#[..],
        br#""reason":"build-script-executed""#,
    ]
    .iter()
    .any(|reason| line.windows(reason.len()).any(|w| w == *reason))
}

fn read_message(line: &[u8], kind: BuildKind, targets: &mut HashMap<String, TargetBuild>) {
    #[derive(Deserialize)]
    struct Message {
        reason: String,
        target: Option<MessageTarget>,
        message: Option<RawDiagnostic>,
        profile: Option<Profile>,
        executable: Option<PathBuf>,
        #[serde(default)]
        filenames: Vec<PathBuf>,
        #[serde(default)]
        fresh: bool,
    }
    #[derive(Deserialize)]
    struct MessageTarget {
        name: String,
    }
    #[derive(Deserialize)]
    struct Profile {
        test: bool,
    }

    let Ok(message) = serde_json::from_slice::<Message>(line) else {
        return;
    };
    let Some(target) = message.target else {
        return;
    };
    let entry = targets.entry(target.name).or_default();
    match message.reason.as_str() {
        "compiler-message" => {
            if let Some(diagnostic) = message.message.and_then(RawDiagnostic::into_diagnostic) {
                entry.diagnostics.push(diagnostic);
            }
        }
        "compiler-artifact" => {
            let is_test = message.profile.is_some_and(|p| p.test);
            let wanted = match kind {
                BuildKind::Tests => is_test,
                BuildKind::Bins => !is_test,
                BuildKind::Clippy { .. } => true,
            };
            if wanted {
                entry.finished = true;
                entry.fresh = message.fresh;
                entry.artifact = message
                    .executable
                    .clone()
                    .or_else(|| message.filenames.into_iter().next());
                entry.executable = message.executable.or(entry.executable.take());
            }
        }
        _ => {}
    }
}

#[derive(Deserialize)]
pub struct RawDiagnostic {
    level: String,
    code: Option<RawCode>,
    message: String,
    rendered: Option<String>,
    #[serde(default)]
    children: Vec<RawDiagnostic>,
    #[serde(default)]
    spans: Vec<RawSpan>,
}

#[derive(Deserialize)]
struct RawCode {
    code: String,
}

#[derive(Deserialize)]
struct RawSpan {
    label: Option<String>,
    #[serde(default)]
    is_primary: bool,
    #[serde(default)]
    file_name: String,
    #[serde(default)]
    line_start: usize,
}

impl RawDiagnostic {
    /// `None` for the summaries ("aborting due to 2 previous errors") that repeat what was said.
    pub fn into_diagnostic(self) -> Option<Diagnostic> {
        let summary = self.spans.is_empty()
            && self.code.is_none()
            && (self.message.starts_with("aborting due to")
                || self.message.contains("warning emitted")
                || self.message.contains("warnings emitted"));
        if summary || !matches!(self.level.as_str(), "error" | "warning") {
            return None;
        }
        let mut notes = Vec::new();
        collect_notes(&self, &mut notes);
        let primary = self
            .spans
            .iter()
            .find(|s| s.is_primary)
            .map(|s| (PathBuf::from(&s.file_name), s.line_start));
        Some(Diagnostic {
            level: self.level,
            code: self.code.map(|c| c.code),
            rendered: self.rendered.unwrap_or_else(|| self.message.clone()),
            message: self.message,
            notes,
            primary,
            in_tests: false,
        })
    }
}

fn collect_notes(diagnostic: &RawDiagnostic, notes: &mut Vec<String>) {
    notes.extend(diagnostic.spans.iter().filter_map(|s| s.label.clone()));
    for child in &diagnostic.children {
        notes.push(child.message.clone());
        collect_notes(child, notes);
    }
}
