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
        // TODO: when the job panicked, this unwrap panics too and takes the caller down with it.
        let value = handle.await.unwrap();
        outcomes.push(Outcome::Done(value));
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
    use std::cell::Cell;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, Once};
    use std::time::Duration;

    /// The name of the blocking threads of the runtime the catch_unwind test makes.
    const PROBE: &str = "joinerror-probe";

    /// While recording, one entry per panic of the recording thread (or of its runtime's
    /// blocking threads): whether it happened inside a Tokio task (`tokio::task::try_id()`),
    /// and how many `catch_unwind` frames stood between the panic and the edge of its task
    /// (`None` if the backtrace shows no task).
    static CATCHERS: Mutex<Vec<(bool, Option<usize>)>> = Mutex::new(Vec::new());

    thread_local! {
        static RECORDING: Cell<bool> = const { Cell::new(false) };
    }

    /// How many panics (on any thread) the tests' panic hook has seen.
    static PANICKED: AtomicUsize = AtomicUsize::new(0);

    /// Starts recording the panics of this thread (the panic hook stays, and still prints).
    fn record_catchers() {
        install_panic_hook();
        RECORDING.with(|r| r.set(true));
    }

    /// The tests' one panic hook (one `Once`, so two tests cannot race to set it): it records
    /// catchers (see `record_catchers`) and slows down the panics of the order test's runtime.
    fn install_panic_hook() {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            let hook: Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send> =
                Box::new(move |info| {
                    PANICKED.fetch_add(1, Ordering::SeqCst);
                    if std::thread::current().name() == Some(SLOW_CRASH) {
                        std::thread::sleep(Duration::from_millis(300));
                    }
                    let probed = std::thread::current().name() == Some(PROBE);
                    if probed || RECORDING.with(Cell::get) {
                        let trace = std::backtrace::Backtrace::force_capture().to_string();
                        let lines: Vec<&str> = trace.lines().collect();
                        let task_edge = lines
                            .iter()
                            .position(|l| l.contains("tokio::runtime::task::harness"));
                        let inside = task_edge.map(|edge| {
                            let inner = &lines[..edge];
                            inner.iter().filter(|l| l.contains("catch_unwind")).count()
                        });
                        let in_task = tokio::task::try_id().is_some();
                        CATCHERS
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push((in_task, inside));
                    }
                    previous(info);
                });
            // The closure on the heap (`&*hook`), not the Box on this stack frame.
            HOOK_AT.store(hook_address(&*hook), Ordering::SeqCst);
            std::panic::set_hook(hook);
        });
    }

    /// Where the tests' panic hook lives, to tell whether it is still the one installed.
    static HOOK_AT: AtomicUsize = AtomicUsize::new(0);

    fn hook_address(hook: &(dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send)) -> usize {
        std::ptr::from_ref(hook).cast::<()>() as usize
    }

    /// Whether the panic hook installed now is still the tests' own (it is put back at once).
    fn the_hook_is_ours() -> bool {
        let hook = std::panic::take_hook();
        let ours = hook_address(&*hook) == HOOK_AT.load(Ordering::SeqCst);
        std::panic::set_hook(hook);
        ours
    }

    fn recorded_catchers() -> Vec<(bool, Option<usize>)> {
        std::mem::take(&mut *CATCHERS.lock().unwrap_or_else(|e| e.into_inner()))
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
    async fn ten_jobs_give_ten_outcomes() {
        let inputs = vec!["1", "2", "oops", "4", "5", "6", "7", "oops", "9", "10"];
        let outcomes = run_jobs(inputs.clone()).await;
        let expected: Vec<Outcome> = inputs
            .iter()
            .map(|input| match input.parse::<u32>() {
                Ok(n) => Outcome::Done(n * 2),
                Err(_) => Outcome::Crashed,
            })
            .collect();
        assert_eq!(
            outcomes,
            expected,
            "10 jobs ran (2 of them crash on \"oops\"), and run_jobs reported {} outcome(s), \
             shown above (left) beside the expected ones (right): every job gets its own \
             outcome, in its place, however many jobs there are",
            outcomes.len()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_crashed_job_is_reported_and_the_rest_still_counts() {
        // In a task of its own: a run_jobs that panics is explained, not shown as the job's
        // own panic (a re-raised one points at `double`, which is not the code to change).
        let outcomes = match tokio::spawn(run_jobs(vec!["1", "oops", "3"])).await {
            Ok(outcomes) => outcomes,
            Err(err) => panic!(
                "run_jobs itself panicked on the jobs [\"1\", \"oops\", \"3\"] ({err}): the \
                 \"oops\" job panics on purpose (leave `double` as it is), and its panic must stay \
                 in its own task. Awaiting that job's handle gives an Err(JoinError) whose \
                 is_panic() is true: report the job as Crashed and keep going, instead of \
                 unwrapping the result or raising the panic again (resume_unwind)"
            ),
        };
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

    /// A job whose result is 0 (the input "0") is a good job: an error turned into a default
    /// value (`unwrap_or_default()`, 0) and then taken for a crash reads it as one.
    #[tokio::test(start_paused = true)]
    async fn a_job_that_returns_zero_is_done() {
        let outcomes = run_jobs(vec!["0", "oops", "4"]).await;
        let expected = [Outcome::Done(0), Outcome::Crashed, Outcome::Done(8)];
        if outcomes.len() != 3 {
            panic!(
                "3 jobs ran (\"0\", \"oops\", \"4\"; the \"oops\" one crashes) and run_jobs \
                 reported {} outcome(s): {outcomes:?}. Every job gets its own outcome, in its \
                 place: a crashed job is reported as Crashed and the jobs after it still count",
                outcomes.len()
            );
        }
        if outcomes[0] == Outcome::Crashed && outcomes[2] == Outcome::Crashed {
            panic!(
                "the jobs for \"0\" and \"4\" end well (with 0 and 8) and only the \"oops\" job \
                 panics, but run_jobs reported {outcomes:?}: the one crash spoiled the outcomes \
                 of jobs that did not panic. Give each job the outcome of its own handle: \
                 Done(value) for Ok(value), Crashed for an Err(JoinError)"
            );
        }
        if outcomes[0] != Outcome::Done(0) {
            panic!(
                "the job for \"0\" ends well with 0 (0 * 2), but run_jobs reported it as {:?} \
                 ({outcomes:?}): a job crashed only when awaiting its handle gives an \
                 Err(JoinError), whatever number a good job returns. Match on `handle.await` \
                 (Ok(value) or Err(err)) rather than guessing a crash from the number",
                outcomes[0]
            );
        }
        assert_eq!(
            outcomes, expected,
            "for the jobs [\"0\", \"oops\", \"4\"], the \"oops\" job panics and must show up \
             as Crashed, in its place, and the others as Done(input * 2)"
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
        let elapsed = start.elapsed();
        assert!(
            elapsed >= Duration::from_millis(10),
            "each job takes 10 ms, but run_jobs returned after {elapsed:?}, before the jobs had \
             ended: take each outcome from awaiting that job's handle"
        );
        assert!(
            elapsed == Duration::from_millis(10),
            "each job takes 10 ms in its own task, all at the same time, so the 4 jobs all end \
             at 10 ms, but run_jobs returned after {elapsed:?}: it ran the jobs one after the \
             other, or waited on beyond their end. Spawn every job, then await each job's \
             handle: it is ready as soon as that job has ended"
        );
    }

    /// Counts at how many moments run_jobs is polled, and when it returns: awaiting each
    /// job's handle wakes it when the jobs have ended, while a loop that checks is_finished()
    /// on a timer is polled on every tick and sees the jobs done only on a later tick.
    #[tokio::test(start_paused = true)]
    async fn run_jobs_wakes_when_the_jobs_end() {
        use std::future::Future;
        use std::task::Poll;
        let start = tokio::time::Instant::now();
        let mut polls = 0;
        let mut moments = vec![0];
        let mut running = std::pin::pin!(run_jobs(vec!["1", "oops", "3"]));
        // One step of run_jobs: it spawns its jobs, which have not run yet.
        let first_step = std::future::poll_fn(|cx| {
            polls += 1;
            Poll::Ready(running.as_mut().poll(cx))
        })
        .await;
        assert!(
            first_step.is_pending(),
            "run_jobs returned at once, before any of its jobs had run: each outcome must come \
             from awaiting that job's handle"
        );
        // The runtime is busy for 3 ms before the jobs get to run, so they end at 13 ms.
        tokio::time::advance(Duration::from_millis(3)).await;
        let outcomes = std::future::poll_fn(|cx| {
            polls += 1;
            let now = start.elapsed().as_millis();
            if !moments.contains(&now) {
                moments.push(now);
            }
            if polls > 200 || moments.len() > 6 {
                return Poll::Ready(None);
            }
            running.as_mut().poll(cx).map(Some)
        })
        .await;
        let elapsed = start.elapsed().as_millis();
        assert!(
            polls <= 200,
            "run_jobs was polled more than 200 times at {moments:?} ms while its 3 jobs ran: \
             it checks the jobs in a busy loop. Await each job's JoinHandle: it wakes run_jobs \
             when the job has ended"
        );
        let Some(outcomes) = outcomes else {
            panic!(
                "run_jobs was polled at more than 6 moments while its 3 jobs ran (awaiting the \
                 handles polls it at 3: {{0, 3, 13}} ms; here {moments:?}): it checks the jobs \
                 on a timer. Await each job's JoinHandle: it wakes run_jobs when the job has \
                 ended"
            );
        };
        assert_eq!(
            outcomes,
            [Outcome::Done(2), Outcome::Crashed, Outcome::Done(6)],
            "the \"oops\" job panics and must show up as Crashed, in its place"
        );
        assert!(
            elapsed <= 13,
            "here the jobs started 3 ms late and all ended at 13 ms, but run_jobs returned at \
             {elapsed} ms (polled at {moments:?} ms): it saw them done only later, checking the \
             jobs on a timer, or it ran them one after the other. Spawn them all, then await \
             each job's JoinHandle: it wakes run_jobs when the job has ended"
        );
    }

    #[test]
    fn the_panic_reaches_the_join_handle() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .thread_name(PROBE)
            .build()
            .unwrap();
        runtime.block_on(panic_reaches_the_join_handle());
    }

    async fn panic_reaches_the_join_handle() {
        record_catchers();
        recorded_catchers();
        // Halfway through the jobs (they end at 10 ms), look whether the hook is still ours.
        let (outcomes, hook_kept) = tokio::join!(run_jobs(vec!["oops", "4"]), async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            the_hook_is_ours()
        });
        let hook_kept = hook_kept && the_hook_is_ours();
        let caught = recorded_catchers();
        RECORDING.with(|r| r.set(false));
        assert_eq!(
            outcomes,
            [Outcome::Crashed, Outcome::Done(8)],
            "the \"oops\" job panics and must show up as Crashed, in its place"
        );
        if caught.is_empty() && !hook_kept {
            let message = "run_jobs replaced the panic hook (std::panic::set_hook) while its jobs \
                           ran, so these tests could not see whether the \"oops\" job panicked \
                           in its task. Leave the panic hook alone in run_jobs: the message a \
                           crashed job prints is expected (a quiet hook set in main does no \
                           harm here)";
            // The hook that prints panic messages may be gone: print this one ourselves.
            eprintln!("{message}");
            panic!("{message}");
        }
        assert!(
            !caught.is_empty(),
            "the \"oops\" job never panicked: it must still run double(), which panics on a bad \
             input, in its own task. Do not work around the panic: let the task panic, and read \
             the panic from what awaiting its JoinHandle gives back: Err(JoinError), with \
             is_panic()"
        );
        let outside = caught.iter().filter(|(in_task, _)| !in_task).count();
        assert!(
            outside == 0,
            "run_jobs panicked {outside} time(s) itself, outside the jobs' tasks, and caught \
             that: a panic caught in run_jobs (an unwrap() of what awaiting a handle gives \
             back, inside catch_unwind) is not reading the JoinError. Match on what awaiting \
             each handle gives back: Ok(value), or Err(JoinError) with is_panic()"
        );
        let inside = caught
            .iter()
            .filter_map(|(_, inside)| *inside)
            .max()
            .unwrap_or(0);
        assert!(
            inside == 0,
            "the panic of the \"oops\" job was caught inside its task: {inside} `catch_unwind` \
             frame(s) stood between the panic and the task (std::panic::catch_unwind, \
             FutureExt::catch_unwind). A job that catches its own panic ends normally, and to \
             these tests one that catches it and raises it again (resume_unwind) looks the \
             same: do not catch the panic inside the job, not even to log it. Let the task \
             panic, and read the panic from what awaiting its JoinHandle gives back: \
             Err(JoinError), with is_panic()"
        );
    }

    /// The name of the worker threads of the runtime the order test makes: on them, a panic
    /// takes 300 ms of real time before it unwinds, so the crashing job ends well after the
    /// others (on the other worker thread) have finished.
    const SLOW_CRASH: &str = "joinerror-slow-crash";

    #[test]
    fn outcomes_stay_in_job_order_when_a_crash_ends_last() {
        install_panic_hook();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .thread_name(SLOW_CRASH)
            .build()
            .unwrap();
        let outcomes =
            runtime.block_on(async { tokio::spawn(run_jobs(vec!["oops", "2", "3"])).await });
        let outcomes = outcomes.unwrap_or_else(|err| {
            panic!(
                "run_jobs itself panicked ({err}). Here the \"oops\" job's panic takes 300 ms of \
                 real time before it unwinds, so that it ends after the other two jobs: do not \
                 give up on a job after a time limit shorter than that"
            )
        });
        let expected = [Outcome::Crashed, Outcome::Done(4), Outcome::Done(6)];
        if outcomes == expected {
            return;
        }
        let crashed = outcomes
            .iter()
            .filter(|outcome| **outcome == Outcome::Crashed)
            .count();
        let mut values: Vec<u32> = outcomes
            .iter()
            .filter_map(|outcome| match outcome {
                Outcome::Done(value) => Some(*value),
                Outcome::Crashed => None,
            })
            .collect();
        values.sort_unstable();
        if crashed == 1 && values == [4, 6] {
            panic!(
                "here the \"oops\" job ended last, after the other two; run_jobs reported the \
                 right outcomes, but not each in its job's place: {outcomes:?} for the inputs \
                 [\"oops\", \"2\", \"3\"], instead of {expected:?}. Report the outcomes job by \
                 job, in the order of the inputs: await the handles in the order the jobs were \
                 given (or give each job its index when it is spawned and put its outcome there)"
            );
        }
        if crashed > 1 {
            panic!(
                "here only the \"oops\" job panics, but run_jobs reported {outcomes:?}: \
                 {crashed} outcomes are Crashed, so a job whose task ended with a value (\"2\" \
                 gives Done(4), \"3\" gives Done(6)) was reported Crashed. Take each job's \
                 outcome from awaiting its own JoinHandle: Ok(value) is Done(value), an Err that \
                 is_panic() is Crashed"
            );
        }
        panic!(
            "here the \"oops\" job ended last, after the other two, and run_jobs reported \
             {outcomes:?} instead of {expected:?}: one outcome per job, in the order of the \
             inputs [\"oops\", \"2\", \"3\"]"
        );
    }

    /// Polls `future` 20 times in a row at once, without giving the runtime a turn (so the tasks
    /// it spawns have not run yet), then keeps the runtime busy for `hold` of paused time before
    /// those tasks get to run, then awaits it. Gives whether it was ready at once, and
    /// what it returned (`None` if it panicked: a safety-net time limit that fails loudly is
    /// fine).
    async fn held_up<T>(
        hold: Duration,
        future: impl std::future::Future<Output = T>,
    ) -> (bool, Option<T>) {
        use std::panic::{AssertUnwindSafe, catch_unwind};
        use std::task::Poll;
        let mut future = std::pin::pin!(future);
        let mut early = None;
        std::future::poll_fn(|cx| {
            for _ in 0..20 {
                match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                    Ok(Poll::Pending) => continue,
                    Ok(Poll::Ready(value)) => early = Some(Some(value)),
                    Err(_) => early = Some(None),
                }
                break;
            }
            Poll::Ready(())
        })
        .await;
        if let Some(outcome) = early {
            return (true, outcome);
        }
        tokio::time::advance(hold).await;
        let outcome = std::future::poll_fn(|cx| {
            match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(value)) => Poll::Ready(Some(value)),
                Err(_) => Poll::Ready(None),
            }
        })
        .await;
        (false, outcome)
    }

    /// A thousand jobs, every tenth one crashing, and the runtime busy for an hour (paused
    /// time) before the jobs get to run: every job still gets its own outcome, in its place,
    /// taken from its handle once it has ended. (A safety-net time limit that panics is fine.)
    #[tokio::test(start_paused = true)]
    async fn a_thousand_jobs_that_start_an_hour_late() {
        let inputs: Vec<&'static str> = (0..1000)
            .map(|i| {
                if i % 10 == 3 {
                    "oops"
                } else {
                    ["1", "2", "3"][i % 3]
                }
            })
            .collect();
        let expected: Vec<Outcome> = inputs
            .iter()
            .map(|input| match input.parse::<u32>() {
                Ok(n) => Outcome::Done(n * 2),
                Err(_) => Outcome::Crashed,
            })
            .collect();
        // Count the panics while run_jobs runs (other tests' ones too: an upper bound).
        install_panic_hook();
        let panics_before = PANICKED.load(Ordering::SeqCst);
        let start = tokio::time::Instant::now();
        let (at_once, outcomes) = held_up(Duration::from_secs(3600), run_jobs(inputs)).await;
        let elapsed = start.elapsed();
        // None if the tests' hook saw no panic at all (run_jobs may have replaced it).
        let panics = Some(PANICKED.load(Ordering::SeqCst) - panics_before).filter(|&n| n > 0);
        assert!(
            !at_once,
            "run_jobs returned (or panicked) at once, before any of its jobs had run: each \
             outcome must come from awaiting that job's handle"
        );
        let Some(outcomes) = outcomes else {
            return;
        };
        // A task aborted on the way out (a progress reporter) ends at its next poll: let the
        // runtime take a few turns (the clock stays still) before counting the live ones.
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
        let alive = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        if outcomes == expected && alive == 0 {
            // Started an hour late, every job (10 ms each) ends at 1 h 10 ms if they all run
            // at once.
            let all_done = Duration::from_secs(3600) + Duration::from_millis(10);
            assert!(
                elapsed <= all_done,
                "here 1000 jobs (10 ms each) only got to run after the runtime was busy for an \
                 hour: all running at once, they all end at 1 h 10 ms ({all_done:?}). run_jobs \
                 returned every outcome right, but after {elapsed:?}, {:?} later. Spawn every \
                 job first, with no cap on how many run at once, then await the handles: the \
                 batch takes as long as one job, however many there are",
                elapsed - all_done
            );
            return;
        }
        let done = outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Done(_)))
            .count();
        let crashed = outcomes.len() - done;
        let wrong = outcomes
            .iter()
            .zip(&expected)
            .position(|(got, want)| got != want);
        let still = if alive > 0 {
            format!(
                ", with {alive} task(s) it spawned still alive afterwards (not aborted ones: \
                 those had ended)"
            )
        } else {
            String::new()
        };
        let input_of = |at: usize| ["1", "2", "3", "oops"][if at % 10 == 3 { 3 } else { at % 3 }];
        if let Some(at) = wrong
            && outcomes[at] == Outcome::Crashed
        {
            let seen = match panics {
                Some(panics) if panics < crashed => format!(
                    ", though only {panics} panic(s) happened while it ran (on any thread): at \
                     least {} Crashed job(s) never panicked",
                    crashed - panics
                ),
                _ => String::new(),
            };
            panic!(
                "here 1000 jobs ran (every tenth crashes on \"oops\": 100 Crashed, 900 Done) \
                 and the runtime was busy for an hour before they got to run. run_jobs \
                 returned after {elapsed:?}{still}, and {} outcome(s) ({done} Done, {crashed} \
                 Crashed){seen}; job {at} (input {:?}) was reported as Crashed, but a job for \
                 a good number ends well ({:?}) and cannot panic: it was cancelled \
                 (aborted) or given up on before it ended. Crashed is only for a job that \
                 panicked, and one job's crash must not stop the others: await each job's \
                 JoinHandle until that job has ended",
                outcomes.len(),
                input_of(at),
                expected[at]
            );
        }
        panic!(
            "here 1000 jobs ran (every tenth crashes on \"oops\": 100 Crashed, 900 Done) and \
             the runtime was busy for an hour before they got to run, so they ended at 1 h 10 \
             ms. run_jobs returned after {elapsed:?}{still}, and {} outcome(s) ({done} Done, \
             {crashed} Crashed){}. Await each job's JoinHandle for its outcome, however many \
             jobs there are and however late they run",
            outcomes.len(),
            match wrong {
                Some(at) => format!(
                    "; job {at} (input {:?}) was reported as {:?}",
                    input_of(at),
                    outcomes[at]
                ),
                None => String::new(),
            }
        );
    }

    /// One job, two (the second crashes), seven, and 2500 with every eighth one crashing (313
    /// crashes, more than one in ten): whatever their count and however many crash, every
    /// job gets its own outcome, in its place, and all the jobs run at once, so run_jobs takes
    /// the 10 ms of one job. (A safety-net time limit that panics is fine.)
    #[tokio::test(start_paused = true)]
    async fn any_count_of_jobs_and_crashes_takes_one_job() {
        for count in [1, 2, 7, 2500] {
            let inputs: Vec<&'static str> = (0..count)
                .map(|i| {
                    if i % 8 == 1 {
                        "oops"
                    } else {
                        ["1", "2", "3"][i % 3]
                    }
                })
                .collect();
            let expected: Vec<Outcome> = inputs
                .iter()
                .map(|input| match input.parse::<u32>() {
                    Ok(n) => Outcome::Done(n * 2),
                    Err(_) => Outcome::Crashed,
                })
                .collect();
            let crashes = expected.iter().filter(|o| **o == Outcome::Crashed).count();
            let shown = if count <= 10 {
                format!("the jobs {inputs:?}")
            } else {
                format!("{count} jobs (every eighth crashes on \"oops\": {crashes} crashes)")
            };
            let start = tokio::time::Instant::now();
            let Ok(outcomes) = tokio::spawn(run_jobs(inputs.clone())).await else {
                panic!(
                    "run_jobs itself panicked on {shown}: a crashed job must not crash \
                     run_jobs, however many jobs crash. Report it as Crashed and keep going"
                );
            };
            let elapsed = start.elapsed();
            if outcomes.len() != count {
                panic!(
                    "for {shown}, run_jobs returned {} outcome(s): every job gets its own \
                     outcome, however many jobs there are and however many of them crash",
                    outcomes.len()
                );
            }
            if let Some(at) = (0..count).find(|&at| outcomes[at] != expected[at]) {
                let how = if expected[at] == Outcome::Crashed {
                    String::from("but that job panics: a crash is Crashed")
                } else if outcomes[at] == Outcome::Crashed {
                    String::from(
                        "but that job ends well and cannot panic: it was given up on, \
                         cancelled (aborted), or given another job's outcome. One job's crash \
                         (or many crashes) must not stop or spoil the others: await each \
                         job's own JoinHandle until that job has ended",
                    )
                } else {
                    String::from(
                        "another job's outcome: report the outcomes in the order of the \
                         inputs (await the handles in that order, or put each outcome at its \
                         job's index)",
                    )
                };
                panic!(
                    "for {shown}, run_jobs reported job {at} (input {:?}) as {:?} instead of \
                     {:?}: {how}",
                    inputs[at], outcomes[at], expected[at]
                );
            }
            assert!(
                elapsed == Duration::from_millis(10),
                "for {shown}, run_jobs returned every outcome right, but after {elapsed:?}: \
                 each job takes 10 ms in its own task, and all running at once they all end at \
                 10 ms, whatever their count. Spawn every job first, with no cap on how many \
                 run at once, then await each job's handle (it is ready as soon as that job \
                 has ended), and nothing more"
            );
        }
    }

    /// A real program's runtime (`#[tokio::main]`) has worker threads of its own, and the
    /// tasks run there, never on the thread that called `block_on`: here run_jobs is called
    /// from the test's own thread, so no job's task shares its thread. (The real clock: the
    /// jobs take 10 ms.)
    #[test]
    fn run_jobs_works_on_a_multi_thread_runtime() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("the test's runtime could not be built");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                tokio::time::timeout(Duration::from_secs(5), run_jobs(vec!["1", "oops", "3"])).await
            })
        }));
        let expected = [Outcome::Done(2), Outcome::Crashed, Outcome::Done(6)];
        let mut reordered = false;
        let seen = match outcome {
            Ok(Ok(outcomes)) if outcomes == expected => return,
            Ok(Ok(outcomes)) => {
                reordered = outcomes.len() == expected.len()
                    && expected.iter().all(|one| {
                        let count = |all: &[Outcome]| all.iter().filter(|o| *o == one).count();
                        count(&outcomes) == count(&expected)
                    });
                format!("returned {outcomes:?}, not {expected:?}")
            }
            Ok(Err(_)) => String::from("had not returned after 5 s (the jobs take 10 ms)"),
            Err(panic) => format!(
                "panicked ({})",
                panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default()
            ),
        };
        assert!(
            !reordered,
            "on a multi-thread runtime (the kind #[tokio::main] builds), called from outside its \
             worker threads, run_jobs(vec![\"1\", \"oops\", \"3\"]) {seen}: the right outcomes, \
             in another order. There the jobs may end in any order: each outcome must come back \
             in its job's place (await the handles in job order, or keep each job's index)"
        );
        if on_one_thread(|| run_jobs(vec!["1", "oops", "3"])).as_deref() != Some(&expected[..]) {
            panic!(
                "on a multi-thread runtime (the kind #[tokio::main] builds), called from \
                 outside its worker threads, run_jobs(vec![\"1\", \"oops\", \"3\"]) {seen}; \
                 on a runtime of one thread it does not give {expected:?} either"
            );
        }
        panic!(
            "on a multi-thread runtime (the kind #[tokio::main] builds), called from outside its \
             worker threads, run_jobs(vec![\"1\", \"oops\", \"3\"]) {seen}, though on a \
             runtime of one thread it gives {expected:?}: a result left on the thread that \
             computed it (a thread_local, anything kept per thread) is lost when the task runs \
             on another thread. Hand each job's value back through its JoinHandle's output or a \
             channel"
        );
    }

    /// On a runtime with one worker thread, a task spawned from a task runs before the tasks
    /// spawned ahead of it (Tokio runs the newest task first), so here the last job's task
    /// starts first, ends first, and wakes run_jobs at once, while the other jobs, ready to end
    /// too, still wait for their turn. Each of them is still running then, not crashed: its
    /// outcome is what its own JoinHandle gives once it has ended. (The real clock: the jobs
    /// take 10 ms.)
    #[test]
    fn jobs_still_running_when_the_last_one_ends_are_waited_for() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("the test's runtime could not be built");
        let inputs = vec!["1", "2", "oops", "4"];
        let expected = [
            Outcome::Done(2),
            Outcome::Done(4),
            Outcome::Crashed,
            Outcome::Done(8),
        ];
        let outcome = runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), tokio::spawn(run_jobs(inputs))).await
        });
        let outcomes = match outcome {
            Ok(Ok(outcomes)) => outcomes,
            // A run_jobs that panics or hangs is reported by the other tests.
            _ => return,
        };
        if outcomes == expected {
            return;
        }
        let given_up = (0..expected.len()).find(|&i| {
            expected[i] != Outcome::Crashed && outcomes.get(i) == Some(&Outcome::Crashed)
        });
        if let Some(i) = given_up {
            panic!(
                "on a runtime with one worker thread, where Tokio runs the newest task first \
                 (so the last job ended first, and run_jobs could run before the other jobs \
                 had their turn), run_jobs(vec![\"1\", \"2\", \"oops\", \"4\"]) returned \
                 {outcomes:?}: job {i} ends well, yet it was reported Crashed. It had not ended \
                 yet when run_jobs looked at it (an is_finished() check, a now_or_never, a \
                 time limit, a wait for one job standing in for all) and was given up on. \
                 Await each job's own JoinHandle until that job has ended: Ok(value) is \
                 Done(value), an Err that is_panic() is Crashed"
            );
        }
        panic!(
            "on a runtime with one worker thread, where Tokio runs the newest task first (so \
             the jobs start and end in another order than they were given), \
             run_jobs(vec![\"1\", \"2\", \"oops\", \"4\"]) returned {outcomes:?} instead of \
             {expected:?}: one outcome per job, in the order of the inputs, each taken from \
             awaiting that job's own JoinHandle"
        );
    }

    /// The tasks alive on the runtime this runs in.
    fn alive_tasks() -> usize {
        tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks()
    }

    /// The jobs run at the same time when every job's task is spawned before any has ended
    /// (a job takes 10 ms): on a runtime with the real clock, run_jobs must not spawn a task
    /// only once every task it had spawned before has ended. It runs in a task on the only
    /// worker thread, where its jobs take turns with it: a job's task is gone from the count
    /// by the time run_jobs is polled again. (A task spawned while a job still runs, a
    /// progress ticker or a log of a crash, is no sign of jobs run in turn.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn every_job_is_spawned_before_one_ends_on_the_real_clock() {
        let inputs = vec!["1", "oops", "3", "4"];
        let watched = tokio::spawn(async move {
            let start = std::time::Instant::now();
            // Here no other task runs: what appears on the runtime in a call or a poll of
            // run_jobs is a task it spawned, and a drop between two polls is one that ended.
            let mine = alive_tasks();
            let mut running = Box::pin(run_jobs(inputs));
            let mut spawned = alive_tasks().saturating_sub(mine);
            let mut alive = alive_tasks();
            let mut one_ended = false;
            let mut seen = None;
            let _ = tokio::time::timeout(
                Duration::from_secs(5),
                std::future::poll_fn(|cx| {
                    one_ended |= alive_tasks() < alive;
                    let before = alive_tasks();
                    let poll = running.as_mut().poll(cx);
                    alive = alive_tasks();
                    let new = alive.saturating_sub(before);
                    if one_ended && before <= mine && new > 0 && seen.is_none() {
                        seen = Some((spawned, start.elapsed().as_millis()));
                    }
                    spawned += new;
                    poll
                }),
            )
            .await;
            seen
        });
        // A run_jobs that panics here is reported by the other tests.
        if let Ok(Some((spawned, at))) = watched.await {
            panic!(
                "on a multi-thread runtime with the real clock (the kind #[tokio::main] \
                 builds), run_jobs(vec![\"1\", \"oops\", \"3\", \"4\"]) spawned a task {at} ms \
                 in, when every task it had spawned before had ended ({spawned} spawned by \
                 then): it awaited one job's JoinHandle before it spawned the next job's task, \
                 so the jobs ran one after the other. Spawn every job's task first, then await \
                 the handles"
            );
        }
    }

    /// Two runs at once, each in a task of its own, each report their own jobs. Both runs
    /// start (spawn their 300 jobs, which end at 10 ms), then their tasks are left waiting
    /// until 20 ms, so every handle is ready when they go on: a task that takes ready handles
    /// in a row gives the thread back every so often (Tokio's budget for one turn of a task),
    /// and the two runs take turns writing their reports. A buffer both share (a `static`, a
    /// `thread_local!`) mixes them up.
    #[tokio::test(start_paused = true)]
    async fn two_runs_at_once_keep_their_own_outcomes() {
        let first_inputs: Vec<&'static str> = (0..300)
            .map(|i| if i % 7 == 3 { "oops" } else { "1" })
            .collect();
        let second_inputs: Vec<&'static str> = (0..300)
            .map(|i| if i % 5 == 1 { "oops" } else { "4" })
            .collect();
        let expected = |inputs: &[&str]| -> Vec<Outcome> {
            inputs
                .iter()
                .map(|input| match input.parse::<u32>() {
                    Ok(n) => Outcome::Done(n * 2),
                    Err(_) => Outcome::Crashed,
                })
                .collect()
        };
        let (first_expected, second_expected) = (expected(&first_inputs), expected(&second_inputs));
        // Tasks of a LocalSet run only while it is driven (and need not be Send).
        let local = tokio::task::LocalSet::new();
        let first = local.spawn_local(run_jobs(first_inputs));
        let second = local.spawn_local(run_jobs(second_inputs));
        local
            .run_until(tokio::time::sleep(Duration::from_millis(1)))
            .await;
        tokio::time::sleep(Duration::from_millis(19)).await;
        let (first, second) = local.run_until(async { (first.await, second.await) }).await;
        // A run_jobs that panics is reported by the other tests.
        let (Ok(first), Ok(second)) = (first, second) else {
            return;
        };
        let summary = |outcomes: &[Outcome]| {
            let crashed = outcomes.iter().filter(|o| **o == Outcome::Crashed).count();
            format!("{} outcomes ({crashed} crashed)", outcomes.len())
        };
        // Every outcome came back, but split between the runs otherwise than their jobs were:
        // the runs wrote into one buffer. Otherwise say only what came back.
        let why = if first.len() + second.len() == 600 && first.len() != 300 {
            "the outcomes of one run's jobs ended up in the other's report: collect the \
             outcomes in a Vec of the call's own (a local variable), not in a static or \
             thread_local buffer that every call shares"
        } else {
            "each run must report each of its own jobs, in job order, and only those (a \
             static or thread_local buffer that every call shares mixes two runs up)"
        };
        assert!(
            first == first_expected && second == second_expected,
            "two runs of run_jobs at once, each in a task of its own and each of 300 jobs (43 \
             and 60 of them crash), got back {} and {}, not each its own 300 outcomes in job \
             order: {why}",
            summary(&first),
            summary(&second)
        );
    }

    /// What `call()` gives on a runtime of one thread (the paused clock), or None if it
    /// panicked or had not returned after an hour of that clock.
    fn on_one_thread<F: std::future::Future>(call: impl FnOnce() -> F) -> Option<F::Output> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("the test's runtime could not be built");
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runtime.block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(3600), call()).await
            })
        }))
        .ok()
        .and_then(Result::ok)
    }
}
