use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

mod cargo;
mod check;
mod cli;
mod commands;
mod course;
mod embedded;
mod explain;
mod info_file;
mod init;
mod process;
mod state;
mod term;
mod verdict;
mod verify;

use cli::{Cli, Command};
use course::{Course, Files};

const WATCH_NOT_READY: &str = "watch mode is not built yet.

Until it lands, save your file and run `async-lings run` to check the current exercise,
`async-lings hint` for a hint and `async-lings list` to see where you are.";

fn main() -> ExitCode {
    let cli = Cli::parse();
    term::init();
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            term::error(&error);
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let command = cli.command.unwrap_or(Command::Watch);
    if let Command::Init { dir } = &command {
        return init::init(dir).map(|()| ExitCode::SUCCESS);
    }
    let root = match cli.course {
        Some(dir) => course::find_root(&dir.canonicalize().with_context(|| {
            format!("cannot open the course folder {}", dir.display())
        })?)?,
        None => course::find_root(&std::env::current_dir().context("no current directory")?)?,
    };
    // `reset` must work when the learner deleted the very file it restores.
    let files = match command {
        Command::Reset { .. } => Files::MayBeMissing,
        _ => Files::MustExist,
    };
    let course = Course::load(&root, files)?;
    let mut app = commands::App::new(course)?;
    match command {
        Command::Watch => anyhow::bail!(WATCH_NOT_READY),
        Command::Run { name } => app.run(name.as_deref()),
        Command::Hint { name, all } => app.hint(name.as_deref(), all),
        Command::List { format } => app.list(format),
        Command::Reset { name } => app.reset(&name),
        Command::Verify { solutions, jobs } => verify::verify(&mut app, solutions, jobs),
        Command::Init { .. } => unreachable!("handled above"),
    }
}
