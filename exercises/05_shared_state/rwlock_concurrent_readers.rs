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

use tokio::sync::Mutex;

struct Site {
    title: String,
    version: u32,
}

// TODO: a Mutex lets only one task in at a time, even if all of them just read. Switch to
// tokio's RwLock here, then follow the compiler to the places that lock the site.
type SharedSite = Arc<Mutex<Site>>;

fn new_site(title: &str) -> SharedSite {
    Arc::new(Mutex::new(Site {
        title: title.to_string(),
        version: 1,
    }))
}

async fn render(site: SharedSite, page: &str) -> String {
    // TODO: rendering only reads the site: a shared (read) lock is enough.
    let site = site.lock().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    format!("{} v{} - {page}", site.title, site.version)
}

async fn publish(site: SharedSite, title: &str) {
    // TODO: publishing changes the site: it needs the lock alone (a write lock).
    let mut site = site.lock().await;
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
    /// `Semaphore` of 4 permits, or of 64) still runs the 4 pages above together: 200 must run
    /// together too (cheap on the paused clock), whatever the page (admin pages and a long
    /// address among them: every render only reads the site).
    #[tokio::test(start_paused = true)]
    async fn two_hundred_renders_run_at_the_same_time() {
        let pages = [
            "home",
            "/admin",
            "/admin/users",
            "blog/2026/12/many-readers-one-writer-with-tokio-rwlock",
        ];
        let site = new_site("Cats");
        let start = Instant::now();
        let handles: Vec<_> = (0..200)
            .map(|i| tokio::spawn(render(Arc::clone(&site), pages[i % 4])))
            .collect();
        for (i, handle) in handles.into_iter().enumerate() {
            assert_eq!(
                handle.await.unwrap(),
                format!("Cats v1 - {}", pages[i % 4]),
                "each render must show the site's title and version"
            );
        }
        let elapsed = start.elapsed();
        assert!(
            elapsed < Duration::from_millis(150),
            "200 renders of the pages {pages:?} started at once took {elapsed:?} instead of \
             ~100 ms: some of them waited for others, as if only a limited number of readers \
             could hold the lock at a time, or some pages took the lock alone. Any number of \
             renders may read together, whatever the page: make the site with RwLock::new (a \
             limit of readers, if any, must be far above 200) and take it with read().await in \
             every render"
        );
    }

    /// A site to try to lock at once, whatever kind of lock it is behind: `(&Probe(&site))
    /// .locked()` is Some(true) when it could not be locked at once, Some(false) when it could,
    /// and None (from `Unknown`) for a kind of lock not listed here.
    struct Probe<'a, T>(&'a T);

    trait TryLock {
        fn locked(&self) -> Option<bool>;
    }

    impl<S> TryLock for Probe<'_, Arc<tokio::sync::RwLock<S>>> {
        fn locked(&self) -> Option<bool> {
            Some(self.0.try_read().is_err())
        }
    }

    impl<S> TryLock for Probe<'_, Arc<tokio::sync::Mutex<S>>> {
        fn locked(&self) -> Option<bool> {
            Some(self.0.try_lock().is_err())
        }
    }

    impl<S> TryLock for Probe<'_, Arc<std::sync::RwLock<S>>> {
        fn locked(&self) -> Option<bool> {
            Some(self.0.try_read().is_err())
        }
    }

    impl<S> TryLock for Probe<'_, Arc<std::sync::Mutex<S>>> {
        fn locked(&self) -> Option<bool> {
            Some(self.0.try_lock().is_err())
        }
    }

    // Used only for a site behind a kind of lock not listed above.
    #[allow(dead_code)]
    trait Unknown {
        fn locked(&self) -> Option<bool> {
            None
        }
    }

    impl<T> Unknown for &Probe<'_, T> {}

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
                publish(Arc::clone(&site), "Dogs").await;
                // Whether a lock on the site was still held or queued just after publish
                // returned, once the tasks it may have spawned had their turn (None for a kind
                // of lock this test does not know).
                for _ in 0..10 {
                    tokio::task::yield_now().await;
                }
                // The `&` picks `Unknown` for a lock not listed (where `TryLock` has no impl).
                #[allow(clippy::needless_borrow)]
                let locked = (&Probe(&site)).locked();
                (start.elapsed(), locked)
            }
        });
        for handle in renders {
            let page = handle.await.unwrap();
            assert!(
                page.starts_with("Cats v1"),
                "a render that started before the publish must not see it, got {page:?}"
            );
        }
        let (published_at, locked) = publisher.await.unwrap();
        assert!(
            published_at >= Duration::from_millis(100) || locked != Some(true),
            "publish returned after {published_at:?}, while 4 renders were still using the site \
             (until 100 ms), and right after it returned, the site could not be locked at once \
             (a lock on it was still held or waited for, with publish over): publish returned \
             before its change was made, leaving it to be done later. publish must make its \
             change (under the write lock, which waits for the renders in progress) before it \
             returns"
        );
        let after = render(Arc::clone(&site), "home").await;
        let why = if after.starts_with("Cats v1") {
            format!(
                "and a render afterwards still showed {after:?}: publish returned without making \
                 its change (it gave up on the write lock, with a try_write or a timeout, say). \
                 publish must wait for the renders in progress (RwLock::write().await), then \
                 make its change"
            )
        } else {
            format!(
                "and a render afterwards showed {after:?}: publish got in before the renders \
                 were done. The writer must get the lock alone: keep the renders holding a read \
                 lock for the whole render"
            )
        };
        assert!(
            published_at >= Duration::from_millis(100),
            "publish finished after {published_at:?}, while 4 renders were still using the site \
             (until 100 ms), {why}"
        );
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
        let why = match version {
            Some(1) if after.starts_with("Cats v1") => format!(
                "none of the three counted: the site still shows {after:?}, so each publish \
                 returned without making its change (did it give up on the write lock while the \
                 render held the site, with a try_write or a timeout?): publish must wait for \
                 the lock (RwLock::write().await), then make its change"
            ),
            Some(1) => format!(
                "the title changed but the version did not ({after:?}): each publish must add \
                 one to the version"
            ),
            _ => format!(
                "it shows {after:?}, but each publish must add one to the version, so it must \
                 be at 4. Either a publish returned without making its change, or two of them \
                 bumped the same version: read the version and bump it under the same write \
                 lock (a version read under a read lock, or another lock, before the write lock \
                 is taken can be the same for two publishes let in together, and a bump is \
                 lost)"
            ),
        };
        assert_eq!(
            version,
            Some(4),
            "the site was at version 1, and three publishes were made together while a render \
             held it (each waiting for the lock): {why}"
        );
    }

    /// A publish that stops waiting for the write lock after a while (a timeout around
    /// `write()`) loses its change when the renders hold the site longer. This test holds a
    /// render in the middle of its page (polled until it has started, then left alone, with
    /// the site's read lock held) for two hours of the paused clock while publish waits. The
    /// clock is moved on in jumps of ten minutes (`advance`), not slept through: a progress
    /// timer of 40 ms, which is fine, would otherwise be woken 180 000 times, one after the
    /// other, seconds of CPU (a timer of the code's own still fires in the jump it falls in).
    #[tokio::test(start_paused = true)]
    async fn publish_waits_as_long_as_the_renders_take() {
        let site = new_site("Cats");
        let mut rendering = Box::pin(render(Arc::clone(&site), "home"));
        let mut rendered = None;
        for _ in 0..5 {
            let poll =
                std::future::poll_fn(|cx| std::task::Poll::Ready(rendering.as_mut().poll(cx)));
            if let std::task::Poll::Ready(page) = poll.await {
                rendered = Some(page);
                break;
            }
            tokio::task::yield_now().await;
        }
        let publisher = tokio::spawn({
            let site = Arc::clone(&site);
            async move { publish(site, "Dogs").await }
        });
        for _ in 0..12 {
            tokio::time::advance(Duration::from_secs(10 * 60)).await;
        }
        // A sleep lets the timers that fell in the last jump fire before the test looks.
        tokio::time::sleep(Duration::from_millis(1)).await;
        let returned_early = publisher.is_finished();
        // The render goes on (its 100 ms are long over) and lets go of the site.
        if rendered.is_none() {
            rendering.await;
        }
        match tokio::time::timeout(Duration::from_secs(1), publisher).await {
            Err(_) => panic!(
                "publish was still waiting 1 s after the render that held the site was done (it \
                 had waited two hours of the test's paused clock for it): once the site is free, \
                 publish must get the write lock"
            ),
            // A safety net that panics (after a second or more) is fine.
            Ok(Err(error)) if error.is_panic() => return,
            Ok(joined) => joined.expect("the publish task failed"),
        }
        let after = render(site, "home").await;
        let why = if returned_early && after.starts_with("Cats v1") {
            "publish returned while a render held the site (the test held it for two hours \
             of the paused clock), and a render afterwards still showed the old version: publish \
             gave up waiting for the write lock (a timeout or a try_write, say) and returned \
             without making its change. It must wait for as long as the renders take \
             (RwLock::write().await)"
        } else {
            "a render after the publish must see it"
        };
        assert_eq!(after, "Dogs v2 - home", "{why}");
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
        let (late, moments) = match late.await {
            Ok(done) => done,
            Err(error) => panic!(
                "a render that started while publish was already waiting for the lock failed \
                 ({error}): a render must wait its turn with RwLock::read().await (behind the \
                 waiting publish); try_read fails while a writer holds the lock or waits for it"
            ),
        };
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

    /// `code` with the inside of each raw string literal (`r"C:\"`, `r#"a "quoted" word"#`,
    /// `br#"..."#`) made plain: its `"` and `\` turned into spaces (same length), so that the
    /// code that reads strings as `"..."` with `\` escapes finds where each one ends. Comments,
    /// other string literals and char literals are left as they are.
    fn raw_strings_plain(code: &str) -> String {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let chars: Vec<char> = code.chars().collect();
        let mut out = String::with_capacity(code.len());
        let mut i = 0;
        while i < chars.len() {
            let next = chars.get(i + 1).copied();
            let after = |j: usize| chars.get(j).copied();
            // Where the comment, literal or single char at `i` ends.
            let end = match chars[i] {
                '/' if next == Some('/') => (i..chars.len())
                    .find(|&j| chars[j] == '\n')
                    .unwrap_or(chars.len()),
                '/' if next == Some('*') => {
                    let (mut depth, mut j) = (0, i);
                    while j < chars.len() {
                        match (chars[j], after(j + 1)) {
                            ('/', Some('*')) => (depth, j) = (depth + 1, j + 2),
                            ('*', Some('/')) => (depth, j) = (depth - 1, j + 2),
                            _ => j += 1,
                        }
                        if depth == 0 {
                            break;
                        }
                    }
                    j
                }
                '"' => {
                    let mut j = i + 1;
                    while j < chars.len() && chars[j] != '"' {
                        j += if chars[j] == '\\' { 2 } else { 1 };
                    }
                    (j + 1).min(chars.len())
                }
                // A char literal ('"', '\''), not a lifetime.
                '\'' if next == Some('\\') || after(i + 2) == Some('\'') => {
                    let from = if next == Some('\\') { i + 3 } else { i + 2 };
                    (from..chars.len())
                        .find(|&j| chars[j] == '\'')
                        .map_or(chars.len(), |j| j + 1)
                }
                'r' if (i == 0 || !ident(chars[i - 1]))
                    || (matches!(chars[i - 1], 'b' | 'c') && (i < 2 || !ident(chars[i - 2]))) =>
                {
                    let hashes = chars[i + 1..].iter().take_while(|&&c| c == '#').count();
                    if after(i + 1 + hashes) != Some('"') {
                        out.push('r');
                        i += 1;
                        continue;
                    }
                    // A raw string: it ends at a `"` followed by as many `#`s, with no escapes.
                    let body = i + hashes + 2;
                    let close = (body..chars.len())
                        .find(|&j| {
                            chars[j] == '"'
                                && chars[j + 1..].iter().take_while(|&&c| c == '#').count()
                                    >= hashes
                        })
                        .unwrap_or(chars.len());
                    out.extend(&chars[i..body]);
                    for &c in &chars[body..close] {
                        out.push(if c == '"' || c == '\\' { ' ' } else { c });
                    }
                    let end = (close + 1 + hashes).min(chars.len());
                    out.extend(&chars[close.min(end)..end]);
                    i = end;
                    continue;
                }
                _ => i + 1,
            };
            out.extend(&chars[i..end]);
            i = end;
        }
        out
    }

    /// The code above the tests, with comments taken out and string and char literals
    /// emptied (`""`, `' '`): a `println!("... lock() ...")` or a note is not code.
    fn code_only(source: &str) -> String {
        // A `"` inside a raw string (`r#"a "b" c"#`) does not end it.
        let source = &raw_strings_plain(source);
        let chars: Vec<char> = source
            .split("\n// Tests: do not edit below this line.")
            .next()
            .unwrap()
            .chars()
            .collect();
        let is_ident = |c: char| c.is_alphanumeric() || c == '_';
        let mut out = String::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let at = |k: usize| chars.get(k).copied().unwrap_or(' ');
            if c == '/' && at(i + 1) == '/' {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            } else if c == '/' && at(i + 1) == '*' {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && at(i + 1) == '*' {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && at(i + 1) == '/' {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                out.push(' ');
            } else if c == '\'' {
                // A char literal ('x', '\n', '{'), or a lifetime ('a) kept as it is.
                if at(i + 1) == '\\' {
                    i += 3;
                    while i < chars.len() && chars[i] != '\'' {
                        i += 1;
                    }
                    i += 1;
                    out.push_str("' '");
                } else if at(i + 2) == '\'' {
                    i += 3;
                    out.push_str("' '");
                } else {
                    out.push(c);
                    i += 1;
                }
            } else if c == '"' || ((c == 'r' || c == 'b') && (i == 0 || !is_ident(chars[i - 1]))) {
                // A string: "..", b"..", r"..", r#".."#, br"..".
                let mut j = i;
                if chars[j] == 'b' {
                    j += 1;
                }
                let raw = at(j) == 'r';
                if raw {
                    j += 1;
                }
                let mut hashes = 0;
                while raw && at(j) == '#' {
                    hashes += 1;
                    j += 1;
                }
                if at(j) != '"' {
                    out.push(c);
                    i += 1;
                    continue;
                }
                j += 1;
                while j < chars.len() {
                    if !raw && chars[j] == '\\' {
                        j += 2;
                    } else if chars[j] == '"' && (1..=hashes).all(|h| at(j + h) == '#') {
                        j += 1 + hashes;
                        break;
                    } else {
                        j += 1;
                    }
                }
                out.push_str("\"\"");
                i = j;
            } else {
                out.push(c);
                i += 1;
            }
        }
        out
    }

    /// Where each `fn NAME` of `code` is: its name and its body (`{` to `}`), if it has one.
    fn functions(code: &str) -> Vec<(String, std::ops::Range<usize>)> {
        let bytes = code.as_bytes();
        let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let mut found = Vec::new();
        for (at, _) in code.match_indices("fn ") {
            if at > 0 && is_ident(bytes[at - 1]) {
                continue;
            }
            let name: String = code[at + 3..]
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            // The body starts at the first `{` outside `( )` and `[ ]` (a `;` there first: none).
            let (mut depth, mut open) = (0i32, None);
            for (i, b) in bytes.iter().enumerate().skip(at + 3) {
                match b {
                    b'(' | b'[' => depth += 1,
                    b')' | b']' => depth -= 1,
                    b';' if depth == 0 => break,
                    b'{' if depth == 0 => {
                        open = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            let Some(open) = open else { continue };
            let mut depth = 0;
            let mut end = code.len();
            for (i, b) in bytes.iter().enumerate().skip(open) {
                match b {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i + 1;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            found.push((name, open..end));
        }
        found
    }

    /// A `match`, an `if` (with its `else`s), or a `try_lock()` followed by
    /// `.unwrap_or_else(..)`/`.or_else(..)` in `text`: where it is, its head (what is matched,
    /// the condition, the `try_lock()`), and its arms (only one of them runs), each with
    /// whether a `try_lock` in the head took the lock on that arm (not in an `Err`, `None` or
    /// `_` arm, nor in the `else` of an `if let Ok(..)`, nor in the closure of
    /// `.unwrap_or_else(..)`).
    struct Branching {
        whole: std::ops::Range<usize>,
        head: std::ops::Range<usize>,
        arms: Vec<(std::ops::Range<usize>, bool)>,
    }

    /// Where the bracket opened at `open` in `text` closes.
    fn closing(text: &str, open: usize) -> Option<usize> {
        let mut depth = 0;
        for (i, c) in text[open..].char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(open + i);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The first `{` at depth 0 in `text` from `from` (the body of a `match`, the block of an
    /// `if`), if no `;`, `}` or `=>` comes first.
    fn block_after(text: &str, from: usize) -> Option<usize> {
        let mut depth = 0;
        for (i, c) in text[from..].char_indices() {
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                '{' if depth == 0 => return Some(from + i),
                ';' | '}' if depth == 0 => return None,
                '=' if depth == 0 && text[from + i..].starts_with("=>") => return None,
                _ => {}
            }
            if depth < 0 {
                return None;
            }
        }
        None
    }

    /// The name a pattern starts with, its path left out (`Err(..)`, `TryLockError::..`).
    fn pattern_name(pattern: &str) -> String {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let pattern = pattern.trim_start().trim_start_matches('|').trim_start();
        let path: String = pattern
            .chars()
            .take_while(|c| ident(*c) || *c == ':')
            .collect();
        path.rsplit("::").next().unwrap_or_default().to_string()
    }

    /// Whether the lock of a `try_lock` in `head` is held on the arm whose pattern is
    /// `pattern`: not on an `Err`, `None` or `_` arm.
    fn took_on(pattern: &str) -> bool {
        !["Err", "None", "_"].contains(&pattern_name(pattern).as_str())
    }

    /// An `if`'s condition, block, and `else` part.
    type IfParts = (
        std::ops::Range<usize>,
        std::ops::Range<usize>,
        Option<std::ops::Range<usize>>,
    );

    /// The `if` at `at` in `text`: its condition, its block, and its `else` part (a block or
    /// another `if`), and where the whole chain ends.
    fn if_at(text: &str, at: usize) -> Option<IfParts> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let open = block_after(text, at + 2)?;
        let close = closing(text, open)?;
        let after = &text[close + 1..];
        let rest = after.trim_start();
        let Some(otherwise) = rest.strip_prefix("else").filter(|r| !r.starts_with(ident)) else {
            return Some((at + 2..open, open..close + 1, None));
        };
        let start = text.len() - otherwise.trim_start().len();
        let end = if text[start..].starts_with('{') {
            closing(text, start)? + 1
        } else if text[start..].starts_with("if") {
            let (_, then, otherwise) = if_at(text, start)?;
            otherwise.map_or(then.end, |o| o.end)
        } else {
            return None;
        };
        Some((at + 2..open, open..close + 1, Some(start..end)))
    }

    /// Whether `block` (`{ .. }`) ends in a `return`: its last statement returns.
    fn returns(block: &str) -> bool {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let inner = block.trim();
        let inner = inner.strip_prefix('{').unwrap_or(inner);
        let inner = inner.strip_suffix('}').unwrap_or(inner).trim_end();
        let inner = inner.strip_suffix(';').unwrap_or(inner);
        let (mut depth, mut last) = (0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' => depth -= 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        last = i + 1;
                    }
                }
                ';' if depth == 0 => last = i + 1,
                _ => {}
            }
        }
        let last = inner[last..].trim_start();
        last.strip_prefix("return")
            .is_some_and(|rest| !rest.starts_with(ident))
    }

    /// The `match`es, `if`/`else`s and `try_lock().unwrap_or_else(..)`s of `text`.
    fn branchings(text: &str) -> Vec<Branching> {
        let ident = |c: char| c.is_alphanumeric() || c == '_';
        let word_at = |at: usize, word: &str| {
            text[at..].starts_with(word)
                && !text[..at].ends_with(ident)
                && !text[at + word.len()..].starts_with(ident)
        };
        let mut found = Vec::new();
        for (at, _) in text.char_indices() {
            if word_at(at, "match") {
                let Some(open) = block_after(text, at + 5) else {
                    continue;
                };
                let Some(close) = closing(text, open) else {
                    continue;
                };
                let head = at + 5..open;
                let locked_in_head = text[head.clone()].contains("try_lock");
                // The arms: each ends at a `,` at depth 0, or at the `}` of a block body.
                let mut arms = Vec::new();
                let (mut depth, mut start, mut arrow, mut block) = (0, open + 1, None, None);
                for (i, c) in text[open + 1..close].char_indices() {
                    let i = open + 1 + i;
                    match c {
                        '(' | '[' | '{' => {
                            if depth == 0
                                && c == '{'
                                && arrow.is_some_and(|a: usize| text[a + 2..i].trim().is_empty())
                            {
                                block = Some(i);
                            }
                            depth += 1;
                        }
                        ')' | ']' | '}' => {
                            depth -= 1;
                            if depth == 0 && c == '}' && block.is_some() {
                                arms.push(start..i + 1);
                                (start, arrow, block) = (i + 1, None, None);
                            }
                        }
                        '=' if depth == 0 && text[i..].starts_with("=>") => arrow = Some(i),
                        ',' if depth == 0 => {
                            if arrow.is_some() {
                                arms.push(start..i);
                            }
                            (start, arrow, block) = (i + 1, None, None);
                        }
                        _ => {}
                    }
                }
                if arrow.is_some() {
                    arms.push(start..close);
                }
                let arms = arms
                    .into_iter()
                    .filter(|arm| !text[arm.clone()].trim().is_empty())
                    .map(|arm| {
                        let took = !locked_in_head || took_on(&text[arm.clone()]);
                        (arm, took)
                    })
                    .collect();
                found.push(Branching {
                    whole: at..close + 1,
                    head,
                    arms,
                });
            } else if word_at(at, "if") {
                // An `else if` is an arm of the `if` before it.
                if text[..at].trim_end().ends_with("else")
                    && !text[..text[..at].trim_end().len() - 4].ends_with(ident)
                {
                    continue;
                }
                let Some((head, then, otherwise)) = if_at(text, at) else {
                    continue;
                };
                // An `if` with no `else` whose block ends in `return` (an early return): the
                // block, or what follows it to the end; only one of them runs.
                let otherwise = match otherwise {
                    Some(otherwise) => otherwise,
                    None if returns(&text[then.clone()]) => then.end..text.len(),
                    None => continue,
                };
                // `if let Ok(guard) = m.try_lock() { .. } else { .. }`: the lock is held in
                // the block, not in the `else` (the other way round for `Err`).
                let condition = text[head.clone()].trim_start();
                let (mut then_took, mut else_took) = (true, true);
                if let Some(pattern) = condition.strip_prefix("let")
                    && condition.contains("try_lock")
                {
                    match pattern_name(pattern).as_str() {
                        "Ok" | "Some" => else_took = false,
                        "Err" | "None" => then_took = false,
                        _ => {}
                    }
                }
                found.push(Branching {
                    whole: at..otherwise.end,
                    head,
                    arms: vec![(then, then_took), (otherwise, else_took)],
                });
            } else if word_at(at, "try_lock") {
                let after = text[at + 8..].trim_start();
                if !after.starts_with('(') {
                    continue;
                }
                let open = text.len() - after.len();
                let Some(close) = closing(text, open) else {
                    continue;
                };
                let rest = text[close + 1..].trim_start();
                let Some(rest) = rest.strip_prefix('.') else {
                    continue;
                };
                let rest = rest.trim_start();
                let Some(method) = ["unwrap_or_else", "or_else"]
                    .into_iter()
                    .find(|m| rest.starts_with(m) && rest[m.len()..].trim_start().starts_with('('))
                else {
                    continue;
                };
                let from = text.len() - rest.len() + method.len();
                let call = from + text[from..].find('(').unwrap_or(0);
                let Some(end) = closing(text, call) else {
                    continue;
                };
                found.push(Branching {
                    whole: at..end + 1,
                    head: at..close + 1,
                    arms: vec![(call + 1..call + 1, true), (call + 1..end, false)],
                });
            }
        }
        found
    }

    /// The ways through `text`, one per arm of each `match` and branch of each `if`/`else`
    /// (only one of them runs: their locks are alternatives, not added up), a `try_lock` of
    /// the head kept only on the arms where it took the lock. More than 64 ways: `text` as it
    /// is, every arm's locks added up.
    fn ways(text: &str) -> Vec<String> {
        let mut done = Vec::new();
        let mut todo = vec![text.to_string()];
        while let Some(way) = todo.pop() {
            let Some(branching) = branchings(&way).into_iter().find(|b| b.arms.len() > 1) else {
                done.push(way);
                continue;
            };
            if done.len() + todo.len() + branching.arms.len() > 64 {
                return vec![text.to_string()];
            }
            for (arm, took) in &branching.arms {
                let mut head = way[branching.head.clone()].to_string();
                if !took {
                    head = head.replace("try_lock", "try_lk");
                }
                todo.push(format!(
                    "{} {head} ; {} {}",
                    &way[..branching.whole.start],
                    &way[arm.clone()],
                    &way[branching.whole.end..]
                ));
            }
        }
        done
    }

    /// Two write locks queued at once (`join!` of a title update and a version bump) are
    /// handed over one after the other, and on one thread nothing else asks in between; on a
    /// multi-threaded runtime a render can, at any moment, and shows the new title with the
    /// old version. A test on one thread never sees it, so this one reads publish's body and
    /// the fns it hands the site to (once per call): their write locks (`.write(`,
    /// `.write_owned(`, `.try_write(`), counted on the way through their `if`/`else` and
    /// `match` arms that has most (only one arm runs; a `try_write` only on the arms where it
    /// took the lock).
    #[test]
    fn publish_changes_the_site_under_one_write_lock() {
        let code = code_only(include_str!("rwlock_concurrent_readers.rs"));
        let Some((_, body)) = functions(&code).into_iter().find(|(f, _)| f == "publish") else {
            return;
        };
        fn writes(text: &str, names: &[String]) -> usize {
            let is_ident = |c: char| c.is_alphanumeric() || c == '_';
            let words = |text: &str| -> Vec<String> {
                (text.split(|c: char| !is_ident(c)))
                    .filter(|w| !w.is_empty())
                    .map(String::from)
                    .collect()
            };
            // The site's names here, with those bound to it (`let lock = Arc::clone(&site);`):
            // a `let` whose value names the site or one of those.
            let mut site: Vec<String> = names.to_vec();
            let lets: Vec<(Vec<String>, Vec<String>)> = (text.match_indices("let"))
                .filter(|(at, _)| {
                    !text[..*at].ends_with(is_ident) && !text[at + 3..].starts_with(is_ident)
                })
                .filter_map(|(at, _)| {
                    let rest = &text[at + 3..];
                    let equals = (rest.match_indices('=')).map(|(i, _)| i).find(|&i| {
                        !rest[i + 1..].starts_with(['=', '>'])
                            && !rest[..i].ends_with(['=', '!', '<', '>'])
                    })?;
                    let pattern = rest[..equals].split(':').next().unwrap_or_default();
                    let value = &rest[equals + 1..];
                    let (mut depth, mut end) = (0, value.len());
                    for (i, c) in value.char_indices() {
                        match c {
                            '(' | '[' | '{' => depth += 1,
                            ')' | ']' | '}' if depth == 0 => {
                                end = i;
                                break;
                            }
                            ')' | ']' | '}' => depth -= 1,
                            ';' if depth == 0 => {
                                end = i;
                                break;
                            }
                            _ => {}
                        }
                    }
                    let bound: Vec<String> = (words(pattern).into_iter())
                        .filter(|w| w != "mut" && w != "ref")
                        .collect();
                    Some((bound, words(&value[..end])))
                })
                .collect();
            loop {
                let more: Vec<String> = (lets.iter())
                    .filter(|(_, value)| value.iter().any(|w| site.contains(w)))
                    .flat_map(|(bound, _)| bound.iter().cloned())
                    .filter(|w| !site.contains(w))
                    .collect();
                if more.is_empty() {
                    break;
                }
                site.extend(more);
            }
            let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            // What a `.write(` at `at` is called on (`site`, `site.clone()`, `log`,
            // `history()`).
            let receiver = |at: usize| -> &str {
                let (mut depth, mut from) = (0, 0);
                for (i, c) in text[..at].char_indices().rev() {
                    match c {
                        ')' | ']' => depth += 1,
                        '(' | '[' if depth == 0 => {
                            from = i + 1;
                            break;
                        }
                        '(' | '[' => depth -= 1,
                        c if depth == 0 && !is_ident(c) && !".:&*".contains(c) => {
                            from = i + c.len_utf8();
                            break;
                        }
                        _ => {}
                    }
                }
                &text[from..at]
            };
            [
                ".write(",
                ".write_owned(",
                ".try_write(",
                ".try_write_owned(",
            ]
            .into_iter()
            .map(|lock| {
                text.match_indices(lock)
                    .filter(|(at, _)| {
                        // Not a write to stdout or a file, nor to a `static` of the code's
                        // own (`HISTORY.write()`): the site is publish's parameter.
                        let name: String = text[..*at]
                            .chars()
                            .rev()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        let a_static = name.chars().any(|c| c.is_ascii_uppercase())
                            && !name.chars().any(|c| c.is_ascii_lowercase());
                        // Only a write lock on the site (or a name bound to it) counts, not
                        // one on another lock of the code's (`history().write()`) nor a
                        // `Write` (`log.write(b"..")`).
                        let on_site = words(receiver(*at)).iter().any(|w| site.contains(w));
                        on_site
                            && !a_static
                            && !["stdout()", "stderr()", "lock()", "out", "file"]
                                .iter()
                                .any(|stream| text[..*at].ends_with(stream))
                    })
                    .count()
            })
            .sum()
        }
        // The name an expression is, if only a name (behind `&`, `*`, `Arc::clone(..)`, or
        // followed by `.clone()`).
        fn only_name(expr: &str) -> Option<String> {
            let mut expr = expr.trim();
            loop {
                let before = expr;
                expr = expr
                    .trim_start_matches(|c: char| c.is_whitespace() || "&*(".contains(c))
                    .trim_end_matches(|c: char| c.is_whitespace() || c == ')');
                if let Some(rest) = expr.strip_prefix("mut")
                    && rest.starts_with(char::is_whitespace)
                {
                    expr = rest;
                }
                for wrapper in ["Arc::clone", "Rc::clone", "Box::new", "Some"] {
                    if let Some(rest) = expr.strip_prefix(wrapper)
                        && rest.trim_start().starts_with('(')
                    {
                        expr = rest;
                    }
                }
                for method in [".clone(", ".as_ref(", ".deref("] {
                    if let Some(rest) = expr.strip_suffix(method) {
                        expr = rest;
                    }
                }
                if expr == before {
                    break;
                }
            }
            (!expr.is_empty() && expr.chars().all(|c| c.is_alphanumeric() || c == '_'))
                .then(|| expr.to_string())
        }
        // The pieces of a list split at its top-level commas.
        fn pieces(list: &str) -> Vec<String> {
            let (mut out, mut depth) = (vec![String::new()], 0);
            for c in list.chars() {
                match c {
                    '(' | '[' | '{' | '<' => depth += 1,
                    ')' | ']' | '}' | '>' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(String::new());
                        continue;
                    }
                    _ => {}
                }
                if let Some(piece) = out.last_mut() {
                    piece.push(c);
                }
            }
            out
        }
        // Where the bracket opened at `open` closes.
        fn close_of(text: &str, open: usize) -> usize {
            let mut depth = 0;
            for (i, c) in text[open..].char_indices() {
                match c {
                    '(' | '[' | '{' => depth += 1,
                    ')' | ']' | '}' => {
                        depth -= 1;
                        if depth == 0 {
                            return open + i;
                        }
                    }
                    _ => {}
                }
            }
            text.len()
        }
        // The parameters of the fn whose body starts at `body_at`.
        let params_of = |name: &str, body_at: usize| -> Vec<String> {
            let Some(from) = code[..body_at].rfind(name) else {
                return Vec::new();
            };
            let Some(open) = code[from..body_at].find('(').map(|i| from + i) else {
                return Vec::new();
            };
            let close = close_of(&code, open).min(body_at);
            pieces(&code[open + 1..close])
                .iter()
                .map(|piece| {
                    let pattern = piece.split(':').next().unwrap_or_default().trim();
                    let pattern = pattern.trim_start_matches('&').trim_start();
                    let pattern = pattern.strip_prefix("mut ").unwrap_or(pattern).trim();
                    pattern.to_string()
                })
                .collect()
        };
        let fns: Vec<(String, Vec<String>, String)> = functions(&code)
            .into_iter()
            .filter(|(f, _)| !["publish", "main"].contains(&f.as_str()))
            .map(|(f, body)| (f.clone(), params_of(&f, body.start), code[body].to_string()))
            .collect();
        // The most write locks on a way through `text`, with those of the fns it hands the
        // site to (`site` is any of `names`), once per call, a few calls deep.
        fn most_writes(
            fns: &[(String, Vec<String>, String)],
            text: &str,
            names: &[String],
            depth: usize,
        ) -> usize {
            let is_ident = |c: char| c.is_alphanumeric() || c == '_';
            ways(&text.replace("try_write", "try_lock"))
                .iter()
                .map(|way| {
                    let way = way
                        .replace("try_lock", "try_write")
                        .replace("try_lk", "try_wk");
                    let mut count = writes(&way, names);
                    if depth == 0 {
                        return count;
                    }
                    for (name, params, body) in fns {
                        for (at, _) in way.match_indices(name.as_str()) {
                            let before = way[..at].trim_end();
                            let after = way[at + name.len()..].trim_start();
                            if way[..at].ends_with(is_ident)
                                || !after.starts_with('(')
                                || before.ends_with('.')
                                || before.ends_with("fn")
                            {
                                continue;
                            }
                            let open = way.len() - after.len();
                            let close = close_of(&way, open);
                            let inner: Vec<String> = pieces(&way[open + 1..close])
                                .iter()
                                .enumerate()
                                .filter(|(_, argument)| {
                                    only_name(argument).is_some_and(|n| names.contains(&n))
                                })
                                .filter_map(|(i, _)| params.get(i))
                                .filter(|p| !p.is_empty())
                                .cloned()
                                .collect();
                            if !inner.is_empty() {
                                count += most_writes(fns, body, &inner, depth - 1);
                            }
                        }
                    }
                    count
                })
                .max()
                .unwrap_or(0)
        }
        let site = params_of("publish", body.start)
            .into_iter()
            .next()
            .unwrap_or_default();
        let most = most_writes(&fns, &code[body], &[site], 3);
        assert!(
            most <= 1,
            "publish takes the site's write lock {most} times (counting `.write(..)`, \
             `.write_owned(..)` and `.try_write(..)` in its body and in the fns it hands the \
             site to, once per call, on the way through their `if`/`else` and `match` arms \
             that has most): between two write locks a render \
             can read the site half published (on a multi-threaded runtime at any moment, \
             even when the locks are queued at once with join!). Change the title and the \
             version under one `write().await`"
        );
    }

    /// A task that render or publish starts and leaves running once it has returned (a progress
    /// line on a timer that nothing stops) piles up, one more with every call. An hour (of the
    /// test's paused clock) after two renders and a publish, none of the tasks started since may
    /// still be alive.
    #[tokio::test(start_paused = true)]
    async fn renders_and_publishes_leave_no_task_running() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        let site = new_site("Cats");
        render(std::sync::Arc::clone(&site), "home").await;
        publish(std::sync::Arc::clone(&site), "Dogs").await;
        render(site, "about").await;
        tokio::time::advance(std::time::Duration::from_secs(3600)).await;
        // Every task that the hour's timers woke runs now.
        for _ in 0..100 {
            tokio::task::yield_now().await;
        }
        let left = metrics.num_alive_tasks().saturating_sub(before);
        assert_eq!(
            left, 0,
            "two renders and a publish (render or publish) had ended, and an hour later (of the \
             test's paused clock) {left} task(s) started since were still running: a task that \
             render or publish starts (a progress line on a timer, say) must be over by the time \
             it returns (abort its JoinHandle: dropping it lets the task run on), or it stays \
             alive for good, and one more piles up with every call"
        );
    }
}
