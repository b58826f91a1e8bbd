//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::{report::ReportFormat, tests_section::Editable};

#[derive(Parser)]
#[command(
    version,
    about = "Learn async Rust and Tokio by fixing small exercises, checked on every save",
    long_about = "Learn async Rust and Tokio by fixing small exercises.\n\n\
        Without a command, async-lings watches the current exercise: edit it in your editor and \
        every save is compiled and tested. The course is the nearest folder at or above the \
        current one that holds info.toml.",
    after_help = "Exit status: 0 when the check passed, 1 when it failed, 2 on an error."
)]
pub struct Cli {
    /// The course folder [default: the nearest folder at or above the current one with info.toml]
    #[arg(long, global = true, value_name = "DIR")]
    pub course: Option<PathBuf>,

    /// Watch mode's options, for when no command is given
    #[command(flatten)]
    pub watch: WatchArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(clap::Args, Clone, Copy, Default)]
pub struct WatchArgs {
    /// Do not watch files: press `r` to check (for WSL2 on /mnt, NFS, some containers)
    #[arg(long)]
    pub manual_run: bool,
    /// After a pass, wait for `n` before moving on to the next exercise
    #[arg(long)]
    pub manual_next: bool,
}

#[derive(Subcommand)]
pub enum Command {
    /// Watch the current exercise and check it on every save (the default)
    Watch(WatchArgs),
    /// Check the current or the named exercise once and print the verdict
    Run {
        /// The exercise [default: the current one]
        name: Option<String>,
    },
    /// Show the next hint for the current or the named exercise
    Hint {
        /// The exercise [default: the current one]
        name: Option<String>,
        /// Show every hint at once
        #[arg(long)]
        all: bool,
    },
    /// List the exercises by lesson, with your progress
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Restore an exercise file as shipped; your version is kept as a backup
    Reset {
        /// The exercise to restore
        name: String,
        /// Restore only the tests below the `// Tests:` line and keep your code above it
        #[arg(long)]
        tests: bool,
    },
    /// Check every exercise (all bins in one build, tests in parallel)
    Verify {
        /// Check the solutions instead of your exercise files
        #[arg(long)]
        solutions: bool,
        /// Test binaries run at once [default: the number of cores]
        #[arg(short, long, value_name = "N")]
        jobs: Option<usize>,
        /// How to print the result
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
    },
    /// Grade a class: check each learner's checkout of this course, one after another in one
    /// scratch copy of it (one build of Tokio for all), and write a report per learner and a
    /// class summary
    Grade {
        /// The learners' checkouts of the course, one folder each
        #[arg(required = true, value_name = "CHECKOUT")]
        checkouts: Vec<PathBuf>,
        /// Where to write the reports
        #[arg(long, value_name = "DIR", default_value = "grades")]
        out: PathBuf,
        /// Test binaries run at once [default: the number of cores]
        #[arg(short, long, value_name = "N")]
        jobs: Option<usize>,
    },
    /// Instructor tools: check the course, update manifests, scaffold exercises
    #[command(subcommand)]
    Dev(DevCommand),
    /// Write a fresh copy of the course into DIR
    Init {
        /// Where to write the course
        #[arg(default_value = "async-lings")]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum DevCommand {
    /// Prove the course sound: every exercise fails as declared, every solution passes its
    /// tests, clippy and rustfmt, and the manifests match info.toml
    Check {
        /// Check only this exercise
        #[arg(long, value_name = "NAME")]
        only: Option<String>,
        /// Test binaries run at once [default: the number of cores]
        #[arg(short, long, value_name = "N")]
        jobs: Option<usize>,
        /// How to print the result
        #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
        format: ReportFormat,
    },
    /// Rewrite the [[bin]] lists of the exercise and solution manifests from info.toml
    Update,
    /// Scaffold a new exercise: its file, its solution, its info.toml entry and its [[bin]]s
    New {
        /// The exercise name (a plain identifier)
        name: String,
        /// The lesson folder, e.g. 03_tasks
        #[arg(long, value_name = "DIR")]
        lesson: String,
        /// How the shipped exercise fails: `test`, `timeout`, or `compile:CODE` (e.g. compile:E0308)
        #[arg(long, value_name = "HOW", default_value = "test")]
        fails: String,
        /// What the learner may change in the tests: `nothing`, or `attributes` for a lesson
        /// where fixing the tests' attributes is the exercise
        #[arg(long, value_enum, default_value_t = Editable::Nothing)]
        tests: Editable,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ListFormat {
    Text,
    Json,
}
