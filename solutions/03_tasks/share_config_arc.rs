// share_config_arc
//
// `check_sensors` spawns one task per sensor reading, and every task needs the same `Limits`.
// Handing each task a plain reference `&limits` does not work: a spawned task may outlive the
// function, so it cannot hold a borrow of a local variable.
//
// Share one `Limits` between all the tasks with `std::sync::Arc`: wrap it once, and give each
// task its own clone of the `Arc` (a cheap pointer copy, not a copy of the data).

use std::sync::Arc;
use std::time::Duration;

struct Limits {
    site: String,
    max_temp: u32,
}

async fn check_sensors(limits: Limits, readings: Vec<u32>) -> Vec<String> {
    // One shared copy; every task keeps it alive through its own Arc.
    let limits = Arc::new(limits);
    let mut handles = Vec::new();
    for (id, reading) in readings.into_iter().enumerate() {
        let limits = Arc::clone(&limits);
        handles.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            if reading > limits.max_temp {
                format!("{}: sensor {id} too hot ({reading})", limits.site)
            } else {
                format!("{}: sensor {id} ok", limits.site)
            }
        }));
    }

    let mut report = Vec::new();
    for handle in handles {
        report.push(handle.await.expect("a sensor task failed"));
    }
    report
}

#[tokio::main]
async fn main() {
    let limits = Limits {
        site: "lab".to_string(),
        max_temp: 30,
    };
    for line in check_sensors(limits, vec![25, 31]).await {
        println!("{line}");
    }
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::marker::PhantomData;

    /// `CloneProbe::<T>(PhantomData).is_clone()` is true only if `T` implements `Clone`.
    struct CloneProbe<T>(PhantomData<T>);

    impl<T: Clone> CloneProbe<T> {
        fn is_clone(&self) -> bool {
            true
        }
    }

    trait NotClone {
        fn is_clone(&self) -> bool {
            false
        }
    }

    impl<T> NotClone for CloneProbe<T> {}

    #[test]
    fn the_limits_are_shared_not_copied() {
        assert!(
            CloneProbe::<String>(PhantomData).is_clone(),
            "the probe sees Clone"
        );
        assert!(
            !CloneProbe::<Limits>(PhantomData).is_clone(),
            "Limits implements Clone now: do not give every task a copy of the data. Wrap the \
             one Limits in an Arc and give each task a clone of the Arc (a pointer copy)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn every_task_sees_the_limits() {
        let limits = Limits {
            site: "lab".to_string(),
            max_temp: 30,
        };
        let report = check_sensors(limits, vec![25, 31, 30]).await;
        assert_eq!(
            report,
            [
                "lab: sensor 0 ok",
                "lab: sensor 1 too hot (31)",
                "lab: sensor 2 ok"
            ],
            "each task must compare its reading with the shared limits and name the site"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn works_with_other_limits() {
        let limits = Limits {
            site: "roof".to_string(),
            max_temp: 10,
        };
        let report = check_sensors(limits, vec![12, 3]).await;
        assert_eq!(
            report,
            ["roof: sensor 0 too hot (12)", "roof: sensor 1 ok"],
            "the tasks must use the limits they were given, not fixed values"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn sensors_are_checked_concurrently() {
        let limits = Limits {
            site: "lab".to_string(),
            max_temp: 30,
        };
        let start = tokio::time::Instant::now();
        let report = check_sensors(limits, vec![1, 2, 3, 4, 5]).await;
        let elapsed = start.elapsed().as_millis();
        assert_eq!(report.len(), 5, "there must be one line per reading");
        assert!(
            elapsed < 20,
            "checking 5 sensors took {elapsed} ms instead of ~10 ms: keep one spawned task per \
             sensor so they run at the same time"
        );
    }
}
