//! Every speed promise of async-lings, measured against its floor in the same run.
//!
//! `cargo bench` (add `-- --quick` for fewer repetitions, `-- --full` to add the cold builds and
//! the comparison with rustlings 6.5, `-- --rustlings` for that comparison alone).
//! It drives the real binary on a fresh copy of the course, the way a learner's editor would,
//! prints a table of medians and ratios and writes `target/bench/results.json`.

use std::{
    env, fs,
    io::{BufRead, BufReader, Write},
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    sync::mpsc::{self, Receiver},
    thread,
    time::{Duration, Instant},
};

#[path = "speed/rustlings.rs"]
mod rustlings;

const BIN: &str = env!("CARGO_BIN_EXE_async-lings");
const PATIENCE: Duration = Duration::from_secs(600);

struct Bench {
    course: PathBuf,
    /// A second copy for the floors: their edits must not wake the watch being measured.
    floor_course: PathBuf,
    target: PathBuf,
    runs: usize,
    race_tries: usize,
    rows: Vec<Row>,
}

struct Row {
    figure: String,
    tool: String,
    floor: String,
    ratio: Option<f64>,
    target: String,
    met: Option<bool>,
}

fn main() {
    let args: Vec<String> = env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let full = args.iter().any(|a| a == "--full");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = repo.join("target/bench");
    if args.iter().any(|a| a == "--rustlings") {
        // Only the comparison with rustlings, on rustlings' own course.
        fs::create_dir_all(&work).unwrap();
        let mut rows = Vec::new();
        rustlings::compare(&mut rows, &work, if quick { 1 } else { 3 });
        Bench::print(&rows, &work);
        return;
    }
    let course = work.join("course");
    let floor_course = work.join("floor-course");
    fs::create_dir_all(&work).unwrap();
    for dir in [&course, &floor_course] {
        let _ = fs::remove_dir_all(dir);
        run_ok(Command::new(BIN).arg("init").arg(dir));
    }
    let mut bench = Bench {
        course,
        floor_course,
        target: work.join("target"),
        runs: if quick { 3 } else { 7 },
        race_tries: if quick { 20 } else { 100 },
        rows: Vec::new(),
    };
    eprintln!("warming the build (tokio is compiled once)...");
    bench
        .cargo(&["test", "--no-run", "-q", "-p", "exercises"])
        .status()
        .unwrap();
    // Through the tool, so that the solutions' builds carry this course's stamp (see owner.rs):
    // a build made by cargo alone is built again once by async-lings, which is not the figure.
    Command::new(BIN)
        .args(["verify", "--solutions"])
        .current_dir(&bench.course)
        .env("CARGO_TARGET_DIR", &bench.target)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    bench
        .floor_cargo(&["test", "--no-run", "-q", "-p", "exercises"])
        .status()
        .unwrap();

    bench.save_to_verdict();
    bench.verify();
    bench.burst();
    bench.race();
    bench.idle();
    if full {
        bench.cold_start();
        bench.release_build();
    }
    bench.target_size();
    if full {
        rustlings::compare(&mut bench.rows, &work, bench.runs);
    }
    bench.report(&work);
}

impl Bench {
    fn cargo(&self, args: &[&str]) -> Command {
        let mut command = Command::new("cargo");
        command
            .args(args)
            .current_dir(&self.course)
            .env("CARGO_TARGET_DIR", &self.target)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command
    }

    fn floor_cargo(&self, args: &[&str]) -> Command {
        let mut command = self.cargo(args);
        command.current_dir(&self.floor_course);
        command
    }

    fn file(&self, lesson: &str, name: &str, side: &str) -> PathBuf {
        self.course
            .join(side)
            .join(lesson)
            .join(format!("{name}.rs"))
    }

    /// A file as shipped (the copies under measurement are edited).
    fn shipped(&self, lesson: &str, name: &str, side: &str) -> String {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        fs::read_to_string(repo.join(side).join(lesson).join(format!("{name}.rs"))).unwrap()
    }

    fn set_current(&self, name: &str) {
        let state = self.course.join(".async-lings");
        fs::create_dir_all(&state).unwrap();
        fs::write(
            state.join("state.toml"),
            format!("current = \"{name}\"\nwelcomed = true\n"),
        )
        .unwrap();
    }

    /// The floor: `cargo test --bin NAME` alone on the same edit (compile and run the tests),
    /// in the second copy of the course.
    fn floor(&self, lesson: &str, name: &str, content: &str) -> Duration {
        let path = self
            .floor_course
            .join("exercises")
            .join(lesson)
            .join(format!("{name}.rs"));
        fs::write(path, content).unwrap();
        let start = Instant::now();
        self.floor_cargo(&["test", "-q", "-p", "exercises", "--bin", name])
            .status()
            .unwrap();
        start.elapsed()
    }

    fn save_to_verdict(&mut self) {
        let cases = [
            ("compile error", "01_futures", "missing_await", "exercises"),
            (
                "failing test",
                "02_concurrency",
                "join_two_downloads",
                "exercises",
            ),
            (
                "passing tokio exercise",
                "02_concurrency",
                "join_two_downloads",
                "solutions",
            ),
        ];
        for (label, lesson, name, source) in cases {
            let path = self.file(lesson, name, "exercises");
            let content = self.shipped(lesson, name, source);
            fs::write(&path, self.shipped(lesson, name, "exercises")).unwrap();
            self.set_current(name);
            let mut watch = Watch::start(self, &["watch", "--manual-next"]);
            watch.verdict(name);
            let (mut tool, mut floor) = (Vec::new(), Vec::new());
            for run in 0..self.runs {
                // A new comment each time, so that every save really recompiles.
                let edit = format!("{content}// edit {run}\n");
                let save = Instant::now();
                fs::write(&path, &edit).unwrap();
                let (at, _) = watch.verdict(name);
                tool.push(at - save);
                floor.push(self.floor(lesson, name, &format!("{content}// floor {run}\n")));
            }
            watch.quit();
            self.ratio_row(&format!("save to verdict: {label}"), &tool, &floor, 1.10);
        }
    }

    fn verify(&mut self) {
        let (mut tool, mut floor) = (Vec::new(), Vec::new());
        for _ in 0..self.runs.min(3) {
            let start = Instant::now();
            Command::new(BIN)
                .args(["verify", "--solutions"])
                .current_dir(&self.course)
                .env("CARGO_TARGET_DIR", &self.target)
                .stdout(Stdio::null())
                .status()
                .unwrap();
            tool.push(start.elapsed());
            floor.push(self.verify_floor());
        }
        self.ratio_row("verify, the whole course (solutions)", &tool, &floor, 1.10);
    }

    /// One `cargo test --no-run` of every solution bin, then every test binary run, two at a time.
    fn verify_floor(&self) -> Duration {
        let start = Instant::now();
        let out = self
            .cargo(&[
                "test",
                "--no-run",
                "-p",
                "solutions",
                "--message-format=json",
            ])
            .stdout(Stdio::piped())
            .output()
            .unwrap();
        let executables: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).ok()?;
                Some(v["executable"].as_str()?.to_owned())
            })
            .collect();
        for pair in executables.chunks(2) {
            let children: Vec<Child> = pair
                .iter()
                .map(|exe| {
                    Command::new(exe)
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()
                        .unwrap()
                })
                .collect();
            for mut child in children {
                child.wait().unwrap();
            }
        }
        start.elapsed()
    }

    fn burst(&mut self) {
        let (lesson, name) = ("02_concurrency", "join_two_downloads");
        let path = self.file(lesson, name, "exercises");
        let content = self.shipped(lesson, name, "exercises");
        fs::write(&path, &content).unwrap();
        self.set_current(name);
        let mut watch = Watch::start(self, &["watch", "--manual-next"]);
        watch.verdict(name);
        let mut single = Vec::new();
        let mut latency = Vec::new();
        let mut extra_verdicts = 0;
        for run in 0..self.runs.min(5) {
            let save = Instant::now();
            fs::write(&path, format!("{content}// single {run}\n")).unwrap();
            single.push(watch.verdict(name).0 - save);
            // 20 saves in one second; the last one is what must be judged.
            let mut last = Instant::now();
            for i in 0..20 {
                last = Instant::now();
                fs::write(&path, format!("{content}// burst {run} {i}\n")).unwrap();
                thread::sleep(Duration::from_millis(50));
            }
            let (at, _) = watch.verdict(name);
            latency.push(at.saturating_duration_since(last));
            extra_verdicts += watch.count_verdicts(name, Duration::from_secs(2));
        }
        watch.quit();
        let (l, s) = (median(&latency), median(&single));
        self.rows.push(Row {
            figure: "burst of 20 saves in 1 s: latency from the last save".into(),
            tool: ms(l),
            floor: format!("{} (one save)", ms(s)),
            ratio: Some(ratio(l, s)),
            target: "<= 1.2 x".into(),
            met: Some(ratio(l, s) <= 1.2),
        });
        self.rows.push(Row {
            figure: "burst of 20 saves: verdicts beyond the one for the last content".into(),
            tool: extra_verdicts.to_string(),
            floor: "-".into(),
            ratio: None,
            target: "0".into(),
            met: Some(extra_verdicts == 0),
        });
    }

    fn race(&mut self) {
        let (lesson, name) = ("02_concurrency", "join_two_downloads");
        let path = self.file(lesson, name, "exercises");
        let broken = self.shipped(lesson, name, "exercises");
        fs::write(&path, &broken).unwrap();
        // The solution with a slower test, so that the next save lands while it runs. Above the
        // `// Tests:` line: the tests below it stay as shipped, or the check stops before them.
        let slow = "#[cfg(test)]\nmod slow {\n    #[test]\n    fn takes_a_while() {\n        \
                    std::thread::sleep(std::time::Duration::from_millis(300));\n    }\n}\n\n";
        let solution = self.shipped(lesson, name, "solutions");
        let marker = solution
            .find("// Tests:")
            .expect("the solution has its tests marker");
        let passing = format!("{}{slow}{}", &solution[..marker], &solution[marker..]);
        self.set_current(name);
        let mut watch = Watch::start(self, &["watch", "--manual-next"]);
        watch.verdict(name);
        let mut stale = 0;
        for i in 0..self.race_tries {
            fs::write(&path, format!("{passing}// try {i}\n")).unwrap();
            watch.wait_for(&format!("running the tests of {name}"));
            fs::write(&path, format!("{broken}// try {i}\n")).unwrap();
            let (_, line) = watch.verdict(name);
            if line.contains("passed") {
                stale += 1;
            }
        }
        watch.quit();
        self.rows.push(Row {
            figure: format!(
                "race: passing save, broken save during its run ({} tries)",
                self.race_tries
            ),
            tool: format!("{stale} stale"),
            floor: "-".into(),
            ratio: None,
            target: "0 stale".into(),
            met: Some(stale == 0),
        });
    }

    fn idle(&mut self) {
        self.set_current("missing_await");
        let shipped = self.shipped("01_futures", "missing_await", "exercises");
        fs::write(
            self.file("01_futures", "missing_await", "exercises"),
            shipped,
        )
        .unwrap();
        let mut watch = Watch::start(self, &[]);
        watch.verdict("missing_await");
        let pid = watch.child.id();
        let before = cpu_ticks(pid);
        thread::sleep(Duration::from_secs(30));
        let ticks = cpu_ticks(pid) - before;
        let rss = rss_kib(pid);
        watch.quit();
        // Linux counts CPU time in clock ticks of 10 ms.
        let cpu_ms = ticks * 10;
        self.rows.push(Row {
            figure: "idle watch for 30 s: CPU time".into(),
            tool: format!("{cpu_ms} ms"),
            floor: "-".into(),
            ratio: None,
            target: "< 10 ms".into(),
            met: Some(cpu_ms < 10),
        });
        self.rows.push(Row {
            figure: "idle watch: resident memory".into(),
            tool: format!("{:.1} MB", rss as f64 / 1024.0),
            floor: "-".into(),
            ratio: None,
            target: "< 20 MB".into(),
            met: Some(rss < 20 * 1024),
        });
    }

    fn cold_start(&mut self) {
        let cold = self.target.with_file_name("cold-target");
        let _ = fs::remove_dir_all(&cold);
        self.set_current("missing_await");
        let start = Instant::now();
        let mut watch = Watch::start_with_target(self, &[], &cold);
        watch.verdict("missing_await");
        let tool = start.elapsed();
        watch.quit();
        let _ = fs::remove_dir_all(&cold);
        let start = Instant::now();
        let mut floor = self.cargo(&["build", "-q", "-p", "exercises", "--bin", "lazy_future"]);
        floor.env("CARGO_TARGET_DIR", &cold).status().unwrap();
        let floor = start.elapsed();
        let _ = fs::remove_dir_all(&cold);
        let limit = floor.as_secs_f64() * 1.05 + 1.0;
        self.rows.push(Row {
            figure: "cold start: empty target dir to first verdict".into(),
            tool: ms(tool),
            floor: format!("{} (cargo build of the dependencies)", ms(floor)),
            ratio: Some(ratio(tool, floor)),
            target: "<= 1.05 x + 1 s".into(),
            met: Some(tool.as_secs_f64() <= limit),
        });
    }

    fn release_build(&mut self) {
        let dir = self.target.with_file_name("release-target");
        let _ = fs::remove_dir_all(&dir);
        let start = Instant::now();
        Command::new("cargo")
            .args(["build", "--release", "-q", "-p", "async-lings"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("CARGO_TARGET_DIR", &dir)
            .status()
            .unwrap();
        let took = start.elapsed();
        let _ = fs::remove_dir_all(&dir);
        self.rows.push(Row {
            figure: "cold cargo build --release of the CLI".into(),
            tool: ms(took),
            floor: "-".into(),
            ratio: None,
            target: "reported".into(),
            met: None,
        });
    }

    fn target_size(&mut self) {
        let out = Command::new("du")
            .arg("-sm")
            .arg(&self.target)
            .output()
            .unwrap();
        let size = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap_or("?")
            .to_owned();
        self.rows.push(Row {
            figure: "target dir after a full verify".into(),
            tool: format!("{size} MB"),
            floor: "-".into(),
            ratio: None,
            target: "reported".into(),
            met: None,
        });
    }

    fn ratio_row(&mut self, figure: &str, tool: &[Duration], floor: &[Duration], limit: f64) {
        let (t, f) = (median(tool), median(floor));
        self.rows.push(Row {
            figure: figure.into(),
            tool: ms(t),
            floor: ms(f),
            ratio: Some(ratio(t, f)),
            target: format!("<= {limit:.2} x"),
            met: Some(ratio(t, f) <= limit),
        });
    }

    fn report(&self, work: &Path) {
        Self::print(&self.rows, work);
    }

    fn print(rows: &[Row], work: &Path) {
        println!("\n| figure | async-lings | floor | ratio | target | met |");
        println!("|---|---|---|---|---|---|");
        for row in rows {
            let ratio = row.ratio.map_or("-".into(), |r| format!("{r:.2}"));
            let met = match row.met {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "-",
            };
            println!(
                "| {} | {} | {} | {ratio} | {} | {met} |",
                row.figure, row.tool, row.floor, row.target
            );
        }
        let json: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "figure": r.figure, "tool": r.tool, "floor": r.floor,
                    "ratio": r.ratio, "target": r.target, "met": r.met,
                })
            })
            .collect();
        let path = work.join("results.json");
        fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
        println!("\nmedians; written to {}", path.display());
    }
}

/// Watch mode in its plain-line mode, each line stamped with when it arrived.
struct Watch {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<(Instant, String)>,
}

impl Watch {
    fn start(bench: &Bench, args: &[&str]) -> Self {
        Watch::start_with_target(bench, args, &bench.target)
    }

    fn start_with_target(bench: &Bench, args: &[&str], target: &Path) -> Self {
        let mut child = Command::new(BIN)
            .args(args)
            .current_dir(&bench.course)
            .env("CARGO_TARGET_DIR", target)
            .env("NO_COLOR", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send((Instant::now(), line));
            }
        });
        let stdin = child.stdin.take();
        Watch {
            child,
            stdin,
            lines,
        }
    }

    fn wait_for(&mut self, needle: &str) -> (Instant, String) {
        loop {
            let (at, line) = self
                .lines
                .recv_timeout(PATIENCE)
                .expect("watch mode went silent");
            if line.contains(needle) {
                return (at, line);
            }
        }
    }

    /// The next verdict line of exercise `name`, and when it arrived.
    fn verdict(&mut self, name: &str) -> (Instant, String) {
        loop {
            let (at, line) = self.wait_for(name);
            if line.starts_with(&format!("✓ {name} ")) || line.starts_with(&format!("✗ {name}"))
            {
                return (at, line);
            }
        }
    }

    /// Verdict lines of `name` arriving within `quiet`.
    fn count_verdicts(&mut self, name: &str, quiet: Duration) -> usize {
        let mut count = 0;
        while let Ok((_, line)) = self.lines.recv_timeout(quiet) {
            if line.starts_with(&format!("✓ {name} ")) || line.starts_with(&format!("✗ {name}"))
            {
                count += 1;
            }
        }
        count
    }

    fn quit(mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = writeln!(stdin, "q");
        }
        let _ = self.child.wait();
    }
}

fn run_ok(command: &mut Command) {
    let status = command.stdout(Stdio::null()).status().unwrap();
    assert!(status.success(), "{command:?} failed");
}

fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

fn ratio(tool: Duration, floor: Duration) -> f64 {
    tool.as_secs_f64() / floor.as_secs_f64().max(1e-9)
}

fn ms(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    // After the command name: state is field 3, utime 14, stime 15 (1-based in proc(5)).
    let field = |n: usize| {
        fields
            .get(n - 3)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    field(14) + field(15)
}

fn rss_kib(pid: u32) -> u64 {
    fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
