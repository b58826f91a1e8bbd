use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

mod cargo;
mod check;
mod cli;
mod commands;
mod committed;
mod course;
mod dev;
mod embedded;
mod explain;
mod grade;
mod info_file;
mod init;
mod libtest;
mod owner;
mod process;
mod report;
mod state;
mod stuck;
mod term;
mod tests_section;
mod verdict;
mod verify;
mod watch;

use cli::{Cli, Command, DevCommand};
use course::{Course, Files};
use process::Cancel;

fn main() -> ExitCode {
    let cli = Cli::parse();
    term::init();
    match run(cli) {
        Ok(code) => code,
        // The reader of stdout went away (`async-lings list | head -1`): nobody is left to tell,
        // and every command saves its progress before it prints.
        Err(error) if closed_stdout(&error) => ExitCode::SUCCESS,
        Err(error) => {
            term::error(&error);
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    let command = cli.command.unwrap_or(Command::Watch(cli.watch));
    if let Command::Init { dir } = &command {
        return init::init(dir).map(|()| ExitCode::SUCCESS);
    }
    let root = course_root(cli.course.as_deref())?;
    // The learner's commands check the one exercise file they need: a deleted exercise must not
    // stop `list`, `watch` or `run OTHER`, and `reset` brings it back. Checking them all needs
    // them all.
    let files = match command {
        Command::Verify { .. } | Command::Dev(_) => Files::MustExist,
        _ => Files::MayBeMissing,
    };
    let course = Course::load(&root, files)?;
    let mut app = commands::App::new(course, interruptible())?;
    let code = dispatch(&mut app, command)?;
    Ok(if app.cancel.is_cancelled() {
        ExitCode::from(130)
    } else {
        code
    })
}

/// The course folder: the nearest one at or above `--course`, or else the current folder.
fn course_root(dir: Option<&std::path::Path>) -> Result<std::path::PathBuf> {
    match dir {
        Some(dir) => course::find_root(
            // dunce: the plain `C:\...` form on Windows, not `\\?\C:\...`, in every message.
            &dunce::canonicalize(dir)
                .with_context(|| format!("cannot open the course folder {}", dir.display()))?,
        ),
        None => course::find_root(&std::env::current_dir().context("no current directory")?),
    }
}

fn dispatch(app: &mut commands::App, command: Command) -> Result<ExitCode> {
    match command {
        Command::Watch(args) => watch::watch(
            app,
            watch::Options {
                manual_run: args.manual_run,
                manual_next: args.manual_next,
            },
        ),
        Command::Run { name } => app.run(name.as_deref()),
        Command::Hint { name, all } => app.hint(name.as_deref(), all),
        Command::List { format } => app.list(format),
        Command::Reset { name, tests: false } => app.reset(&name),
        Command::Reset { name, tests: true } => app.reset_tests(&name),
        Command::Verify {
            solutions,
            jobs,
            format,
        } => verify::verify(app, solutions, jobs, format),
        Command::Grade {
            checkouts,
            out,
            jobs,
        } => grade::grade(app, &checkouts, &out, jobs),
        Command::Dev(DevCommand::Check { only, jobs, format }) => {
            let jobs = jobs.unwrap_or_else(check::default_jobs).max(1);
            dev::check(&app.course, &app.cancel, jobs, only.as_deref(), format)
        }
        Command::Dev(DevCommand::Update) => dev::update(&app.course),
        Command::Dev(DevCommand::New {
            name,
            lesson,
            fails,
            tests,
        }) => dev::new(&app.course, &name, &lesson, &fails, tests),
        Command::Init { .. } => unreachable!("handled in run"),
    }
}

fn closed_stdout(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Ctrl-C (or SIGTERM) cancels the run in flight, which kills its processes: they live in their
/// own process group, out of the terminal's reach. A second Ctrl-C exits at once.
fn interruptible() -> Cancel {
    let cancel = Cancel::default();
    let handler = cancel.clone();
    let installed = ctrlc::set_handler(move || {
        if handler.is_cancelled() {
            std::process::exit(130);
        }
        handler.cancel();
    });
    if let Err(error) = installed {
        term::warning(&format!(
            "Ctrl-C will not stop running checks cleanly: {error}"
        ));
    }
    cancel
}
