// trait_future_send
//
// A health checker runs `Probe`s against services. `check_all` runs every probe in a task of
// its own, so that a slow probe does not hold up the others and a probe that panics only ruins
// its own result. It does not compile: "future cannot be sent between threads safely".
//
// `tokio::spawn` may move a task to another thread, so the future it runs must be `Send`. The
// trait says nothing about the future of `check`, so inside the generic `check_all` the
// compiler cannot know it is `Send`. Let the trait promise it, for every probe. Keep `check_all`
// generic and spawning one task per probe, and keep writing probes (the tests have one too)
// with an `async fn check`.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::sleep;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Up(String),
    Down(String),
    /// The probe panicked.
    Crashed,
}

pub trait Probe {
    // TODO: what does the trait promise about the future that `check` returns?
    async fn check(&self) -> Health;
}

/// Pretends to call a service's health endpoint.
pub struct HttpProbe {
    pub service: String,
    pub latency: Duration,
    pub up: bool,
}

impl Probe for HttpProbe {
    async fn check(&self) -> Health {
        sleep(self.latency).await;
        if self.up {
            Health::Up(self.service.clone())
        } else {
            Health::Down(self.service.clone())
        }
    }
}

/// Checks every probe in its own task, and gives the results in the order of `probes`.
pub async fn check_all<P>(probes: Vec<Arc<P>>) -> Vec<Health>
where
    P: Probe + Send + Sync + 'static,
{
    let handles: Vec<_> = probes
        .into_iter()
        .map(|probe| tokio::spawn(async move { probe.check().await }))
        .collect();
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.unwrap_or(Health::Crashed));
    }
    results
}

#[tokio::main]
async fn main() {
    let probes = ["db", "cache"].map(|service| {
        Arc::new(HttpProbe {
            service: service.to_string(),
            latency: Duration::from_millis(20),
            up: true,
        })
    });
    println!("{:?}", check_all(probes.to_vec()).await);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use std::panic::AssertUnwindSafe;
    use tokio::time::Instant;

    fn http(service: &str, ms: u64, up: bool) -> Arc<HttpProbe> {
        Arc::new(HttpProbe {
            service: service.to_string(),
            latency: Duration::from_millis(ms),
            up,
        })
    }

    /// A probe written for these tests: it panics for the service "flaky".
    struct Strict(&'static str);

    impl Probe for Strict {
        async fn check(&self) -> Health {
            sleep(Duration::from_millis(10)).await;
            if self.0 == "flaky" {
                panic!("the flaky service sent garbage");
            }
            Health::Up(self.0.to_string())
        }
    }

    #[tokio::test(start_paused = true)]
    async fn every_probe_reports_in_order() {
        let results = check_all(vec![http("db", 30, true), http("mail", 10, false)]).await;
        assert_eq!(
            results,
            [Health::Up("db".into()), Health::Down("mail".into())],
            "one result per probe, in the order of the probes"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn probes_run_at_the_same_time() {
        let start = Instant::now();
        check_all(vec![
            http("a", 300, true),
            http("b", 200, true),
            http("c", 100, true),
        ])
        .await;
        assert_eq!(
            start.elapsed(),
            Duration::from_millis(300),
            "3 probes took {:?}, but the slowest needs 300 ms: run them at the same time",
            start.elapsed()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_probe_only_spoils_its_own_result() {
        let probes = ["api", "flaky", "search"].map(|name| Arc::new(Strict(name)));
        let results = AssertUnwindSafe(check_all(probes.to_vec()))
            .catch_unwind()
            .await
            .expect(
                "check_all panicked (see the panic above), but a probe that panics should only \
                 spoil its own result: run each probe in a task of its own with `tokio::spawn`",
            );
        assert_eq!(
            results,
            [
                Health::Up("api".into()),
                Health::Crashed,
                Health::Up("search".into())
            ],
            "a probe that panics must give `Crashed`, and the others their own result: run \
             each probe in a task of its own (a task's panic is caught by its JoinHandle)"
        );
    }
}
