// task_panic_joinerror
//
// `run_jobs` runs every job in its own task and reports, job by job, how it went. Some inputs
// are bad and make their job panic. A panic inside a spawned task does not crash the program:
// Tokio catches it and the task's `JoinHandle` gives back an `Err(JoinError)` whose
// `is_panic()` is true.
//
// Make `run_jobs` survive a crashed job: report it as `Outcome::Crashed` and keep going.

use std::time::Duration;

#[derive(Debug, PartialEq)]
enum Outcome {
    Done(u32),
    Crashed,
}

fn double(input: &str) -> u32 {
    let n: u32 = input.parse().expect("job input is not a number");
    n * 2
}

async fn run_jobs(inputs: Vec<&'static str>) -> Vec<Outcome> {
    let handles: Vec<_> = inputs
        .into_iter()
        .map(|input| {
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                double(input)
            })
        })
        .collect();

    let mut outcomes = Vec::new();
    for handle in handles {
        // A panicked task is an Err(JoinError): report it instead of unwrapping it.
        let outcome = match handle.await {
            Ok(value) => Outcome::Done(value),
            Err(err) if err.is_panic() => Outcome::Crashed,
            Err(err) => panic!("job was cancelled unexpectedly: {err}"),
        };
        outcomes.push(outcome);
    }
    outcomes
}

#[tokio::main]
async fn main() {
    println!("{:?}", run_jobs(vec!["1", "oops", "3"]).await);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::sync::Once;

    thread_local! {
        /// While recording, one entry per panic on this thread: how many `catch_unwind` frames
        /// were on the stack, that is, how many places were there to catch it.
        static CATCHERS: RefCell<Option<Vec<usize>>> = const { RefCell::new(None) };
    }

    /// Starts recording the panics of this thread (the panic hook stays, and still prints).
    fn record_catchers() {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if CATCHERS.with(|c| c.borrow().is_some()) {
                    let trace = std::backtrace::Backtrace::force_capture().to_string();
                    let catchers = trace.lines().filter(|l| l.contains("catch_unwind")).count();
                    CATCHERS.with(|c| c.borrow_mut().as_mut().map(|v| v.push(catchers)));
                }
                previous(info);
            }));
        });
        CATCHERS.with(|c| *c.borrow_mut() = Some(Vec::new()));
    }

    fn recorded_catchers() -> Vec<usize> {
        CATCHERS.with(|c| c.borrow_mut().replace(Vec::new()).unwrap_or_default())
    }

    #[tokio::test(start_paused = true)]
    async fn good_jobs_are_done() {
        assert_eq!(
            run_jobs(vec!["1", "20"]).await,
            [Outcome::Done(2), Outcome::Done(40)],
            "every good job should be reported as Done(input * 2)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_crashed_job_is_reported_and_the_rest_still_counts() {
        let outcomes = run_jobs(vec!["1", "oops", "3"]).await;
        assert_eq!(
            outcomes.len(),
            3,
            "there must be one outcome per job, crashed ones included: {outcomes:?}"
        );
        assert_eq!(
            outcomes,
            [Outcome::Done(2), Outcome::Crashed, Outcome::Done(6)],
            "the \"oops\" job panics and must show up as Crashed, in its place"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn any_crash_is_reported_not_only_bad_numbers() {
        // "3000000000" is a number, but doubling it overflows a u32, which panics too.
        let inputs = vec!["7", "3000000000", "", "5"];
        let start = tokio::time::Instant::now();
        let Ok(outcomes) = tokio::spawn(run_jobs(inputs.clone())).await else {
            panic!(
                "run_jobs itself panicked on the jobs {inputs:?}: \"3000000000\" is a number, \
                 but doubling it overflows a u32 and that job panics too. Do not guess which \
                 inputs will crash: look at what awaiting each job's handle gives back"
            );
        };
        assert_eq!(
            outcomes,
            [
                Outcome::Done(14),
                Outcome::Crashed,
                Outcome::Crashed,
                Outcome::Done(10)
            ],
            "for the jobs {inputs:?}, the two middle ones panic (a u32 overflow, then an empty \
             input) and must show up as Crashed, in their places"
        );
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(10),
            "each job takes 10 ms in its own task, all at the same time, so 4 jobs should take \
             10 ms: keep running every job in its own task with tokio::spawn"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_panic_reaches_the_join_handle() {
        record_catchers();
        // A job that panics in its own task, as Tokio reports it through the task's JoinHandle.
        let alone = tokio::spawn(async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            double("oops")
        })
        .await;
        assert!(
            alone.is_err_and(|err| err.is_panic()),
            "a panicked task gives a JoinError"
        );
        let caught_by_tokio = recorded_catchers();
        let outcomes = run_jobs(vec!["oops", "4"]).await;
        let caught_in_run_jobs = recorded_catchers();
        CATCHERS.with(|c| c.borrow_mut().take());
        assert_eq!(
            outcomes,
            [Outcome::Crashed, Outcome::Done(8)],
            "the \"oops\" job panics and must show up as Crashed, in its place"
        );
        assert!(
            !caught_in_run_jobs.is_empty(),
            "the \"oops\" job never panicked: it must still run double(), which panics on a bad \
             input, in its own task. Do not work around the panic: let the task panic, and read \
             the panic from what awaiting its JoinHandle gives back: Err(JoinError), with \
             is_panic()"
        );
        assert_eq!(
            caught_in_run_jobs, caught_by_tokio,
            "the panic of the \"oops\" job met more `catch_unwind`s on its way up than a task's \
             panic does (each number counts them for one panic): it was caught inside the task \
             (std::panic::catch_unwind, FutureExt::catch_unwind), so the task itself ended \
             normally. Let the task panic, and read the panic from what awaiting its \
             JoinHandle gives back: Err(JoinError), with is_panic()"
        );
    }
}
