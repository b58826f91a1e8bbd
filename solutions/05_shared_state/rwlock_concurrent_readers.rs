// rwlock_concurrent_readers
//
// `render` keeps the shared site locked for the 100 ms a page takes (the site must not change
// halfway through a page); `publish` changes the title. With a `Mutex`, renders wait for each
// other: four pages take 400 ms although they only READ the site.
//
// Let any number of renders hold the lock at the same time, while `publish` still gets it
// alone (and so waits for the renders in progress). tokio's `RwLock` does exactly that.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::RwLock;

struct Site {
    title: String,
    version: u32,
}

// Many readers at once, or one writer alone.
type SharedSite = Arc<RwLock<Site>>;

fn new_site(title: &str) -> SharedSite {
    Arc::new(RwLock::new(Site {
        title: title.to_string(),
        version: 1,
    }))
}

async fn render(site: SharedSite, page: &str) -> String {
    let site = site.read().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    format!("{} v{} - {page}", site.title, site.version)
}

async fn publish(site: SharedSite, title: &str) {
    let mut site = site.write().await;
    site.title = title.to_string();
    site.version += 1;
}

#[tokio::main]
async fn main() {
    let site = new_site("Cats");
    println!("{}", render(Arc::clone(&site), "home").await);
    publish(Arc::clone(&site), "Dogs").await;
    println!("{}", render(site, "home").await);
}

// Tests: do not edit below this line.
#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;
    use tokio::time::Instant;

    const PAGES: [&str; 4] = ["home", "blog", "shop", "about"];

    #[tokio::test(start_paused = true)]
    async fn renders_run_at_the_same_time() {
        let site = new_site("Cats");
        // The same pages rendered once first, so the timed renders below are second ones: a
        // page kept from an earlier render (in a static) is caught whatever ran before.
        for page in PAGES {
            render(Arc::clone(&site), page).await;
        }
        let start = Instant::now();
        let handles: Vec<_> = PAGES
            .iter()
            .map(|page| tokio::spawn(render(Arc::clone(&site), page)))
            .collect();
        let mut pages = Vec::new();
        for handle in handles {
            pages.push(handle.await.unwrap());
        }
        let elapsed = start.elapsed().as_millis();
        assert_eq!(
            pages,
            [
                "Cats v1 - home",
                "Cats v1 - blog",
                "Cats v1 - shop",
                "Cats v1 - about"
            ],
            "each render must show the site's title and version"
        );
        assert!(
            elapsed >= 100,
            "rendering takes 100 ms, but the 4 pages, rendered a second time, were all done \
             after {elapsed} ms: every render must take its 100 ms, also for a page rendered \
             before"
        );
        assert!(
            elapsed < 150,
            "4 renders took {elapsed} ms instead of ~100 ms: they waited for each other. \
             Renders only read the site, so let them share the lock (RwLock::read)"
        );
    }

    /// A lock that lets only a few readers in at a time (`RwLock::with_max_readers(.., 4)`, a
    /// `Semaphore` of 4 permits) still runs the 4 pages above together: 50 must run together too.
    #[tokio::test(start_paused = true)]
    async fn fifty_renders_run_at_the_same_time() {
        let site = new_site("Cats");
        let start = Instant::now();
        let handles: Vec<_> = (0..50)
            .map(|_| tokio::spawn(render(Arc::clone(&site), "home")))
            .collect();
        for handle in handles {
            assert_eq!(
                handle.await.unwrap(),
                "Cats v1 - home",
                "each render must show the site's title and version"
            );
        }
        let elapsed = start.elapsed();
        assert!(
            elapsed < Duration::from_millis(150),
            "50 renders started at once took {elapsed:?} instead of ~100 ms: some of them waited \
             for others, as if only a few readers could hold the lock at a time. Any number of \
             renders may read together: make the site with RwLock::new (a limit of readers, if \
             any, must be far above 50) and take it with read().await"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn publish_waits_for_renders_in_progress() {
        let site = new_site("Cats");
        let start = Instant::now();
        let renders: Vec<_> = PAGES
            .iter()
            .map(|page| tokio::spawn(render(Arc::clone(&site), page)))
            .collect();
        // Halfway through the renders, someone publishes a new title.
        let publisher = tokio::spawn({
            let site = Arc::clone(&site);
            async move {
                tokio::time::sleep(Duration::from_millis(50)).await;
                publish(site, "Dogs").await;
                start.elapsed()
            }
        });
        for handle in renders {
            let page = handle.await.unwrap();
            assert!(
                page.starts_with("Cats v1"),
                "a render that started before the publish must not see it, got {page:?}"
            );
        }
        let published_at = publisher.await.unwrap();
        assert!(
            published_at >= Duration::from_millis(100),
            "publish finished after {published_at:?}, while 4 renders were still using the site \
             (until 100 ms). The writer must get the lock alone: keep the renders holding a \
             read lock for the whole render"
        );
        let after = render(Arc::clone(&site), "home").await;
        assert_eq!(
            after, "Dogs v2 - home",
            "a render after the publish must see it"
        );
        assert!(
            start.elapsed() < Duration::from_millis(250),
            "the renders took {:?}; they should run together (~100 ms), then the last render \
             (100 ms)",
            start.elapsed()
        );
    }

    /// Three publishes queued together behind a render in progress must each add one to the
    /// version. The first waits for the render; the other two then wait behind it, and are let
    /// in together once it is done if they ask for a shared (read) lock first: a version read
    /// that way, before the write lock, is the same for both, and one bump is lost.
    #[tokio::test(start_paused = true)]
    async fn publishes_queued_together_all_count() {
        let site = new_site("Cats");
        let first = tokio::spawn(render(Arc::clone(&site), "home"));
        tokio::time::sleep(Duration::from_millis(10)).await;
        tokio::join!(
            publish(Arc::clone(&site), "Dogs"),
            publish(Arc::clone(&site), "Birds"),
            publish(Arc::clone(&site), "Fish"),
        );
        assert_eq!(
            first.await.unwrap(),
            "Cats v1 - home",
            "a render that started before the publishes must not see them"
        );
        let after = render(site, "home").await;
        let version = after
            .split(" v")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|number| number.parse::<u32>().ok());
        assert_eq!(
            version,
            Some(4),
            "the site was at version 1, and three publishes made together while a render held \
             it (each waiting for the lock) left it showing {after:?}: each publish must add \
             one to the version, so it must be at 4. Read the version and bump it under the \
             same write lock (a version read under a read lock, or another lock, before the \
             write lock is taken can be the same for two publishes let in together, and a \
             bump is lost)"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn publish_on_an_idle_site_is_immediate() {
        let site = new_site("Cats");
        let start = Instant::now();
        publish(Arc::clone(&site), "Dogs").await;
        let took = start.elapsed();
        assert_eq!(
            took,
            Duration::ZERO,
            "publish took {took:?} while nobody was rendering: with no render holding the site \
             it must get the write lock at once. Wait for the renders in progress with the \
             lock itself (RwLock::write waits for the read guards to go), not with a sleep"
        );
        assert_eq!(
            render(site, "home").await,
            "Dogs v2 - home",
            "a render after the publish must see it"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_publish_goes_before_later_renders() {
        let site = new_site("Cats");
        let start = Instant::now();
        let first = tokio::spawn(render(Arc::clone(&site), "home"));
        // 10 ms into that render, someone publishes: publish must wait for it.
        tokio::time::sleep(Duration::from_millis(10)).await;
        let publisher = tokio::spawn({
            let site = Arc::clone(&site);
            async move { publish(site, "Dogs").await }
        });
        // 11 ms later, while publish waits, another render starts (at 21 ms: 79 ms, a prime,
        // before publish gets the site, so a check on a timer of any period but 1 ms misses it).
        tokio::time::sleep(Duration::from_millis(11)).await;
        // (The late render also counts the moments at which it is woken.)
        let late = tokio::spawn({
            let mut rendering = Box::pin(render(Arc::clone(&site), "blog"));
            let mut moments = std::collections::BTreeSet::new();
            async move {
                let page = std::future::poll_fn(|cx| {
                    moments.insert(Instant::now());
                    rendering.as_mut().poll(cx)
                })
                .await;
                (page, moments.len())
            }
        });
        assert_eq!(
            first.await.unwrap(),
            "Cats v1 - home",
            "a render that started before the publish must not see it"
        );
        publisher.await.unwrap();
        let (late, moments) = late.await.unwrap();
        // The site before the publish: the late render went ahead of it. Neither title: the
        // late render did not wait for the site (a fallback page when try_read fails).
        let why = if late.starts_with("Cats v1") {
            "it went ahead of the waiting publish, so with renders arriving all the time \
             publish would never get in. Make publish wait in the lock's queue with \
             RwLock::write().await (tokio's RwLock is fair: once a writer waits, later readers \
             wait behind it), instead of checking again and again (try_write or a count in a \
             loop with a sleep)"
        } else if !late.starts_with("Cats") && !late.starts_with("Dogs") {
            "render did not wait for the site while publish waited for it and held it, so it \
             showed neither the old title nor the new one. Make render wait its turn with \
             RwLock::read().await (behind the waiting publish), instead of giving up or \
             showing something else when try_read fails"
        } else {
            "a render let in once publish is done must see the site as publish left it. Make \
             publish change the title and the version under one RwLock::write().await, and \
             render read both under one RwLock::read().await held for the whole render"
        };
        assert_eq!(
            late, "Dogs v2 - blog",
            "a render that started while publish was already waiting for the lock showed \
             {late:?}: {why}"
        );
        // The first render holds the site until 100 ms, publish takes it at once, then the
        // late render reads it for 100 ms: it ends at 200 ms when it waits in the lock's queue.
        let ended = start.elapsed();
        assert!(
            ended <= Duration::from_millis(200),
            "the render that waited behind publish ended after {ended:?}, not at 200 ms \
             (publish had the site at 100 ms, and a render takes 100 ms): it did not get the \
             read lock as soon as publish let go, but checked again later (try_read in a loop \
             with a sleep?). Wait in the lock's queue with RwLock::read().await: it wakes the \
             render as soon as the site is free"
        );
        // Queued at 21 ms, let in at 100 ms, done at 200 ms: 3 moments (a few more with a
        // progress message every 12 ms or more); checking every 1 ms wakes it 80 times.
        assert!(
            moments <= 17,
            "the render that waited behind publish was woken at {moments} different moments \
             between 21 and 200 ms: it checked the lock again and again on a timer (try_read in \
             a loop with a sleep?), or printed progress more often than every 12 ms. Wait in the \
             lock's queue with RwLock::read().await: it wakes the render when the site is free"
        );
    }
}
