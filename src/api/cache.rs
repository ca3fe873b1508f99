//! A response cache for the hot read paths (`GET /api/v1/cases/{reference}` and the ops page), so that a burst of
//! readers does not turn into a burst of SQLite queries and JSON work.
//!
//! Correctness: every entry carries the database *generation* it was rendered at, and an entry of an older
//! generation is never served. The generation is bumped by a watcher task ([`spawn_sqlite_watcher`]) that asks
//! SQLite's `PRAGMA data_version` on a dedicated read-only connection every [`WATCH_INTERVAL`]: the value changes
//! whenever any other connection — this process's pool or another process (`fogd import`, `fogd journal`, a second
//! `fogd serve`) — commits. So a cached answer is at most [`WATCH_INTERVAL`] (plus one query) behind the database.
//! Ops pages also expire after [`PAGE_MAX_AGE`] (they show in-memory job and alert state that the database
//! generation does not cover). On a miss only one request per key renders ([`ResponseCache::render_lock`]); the
//! others wait for it and take its answer, so a burst of readers after a change does not become a burst of
//! queries. The cache is off until the watcher runs (tests and tools that build an
//! [`super::AppState`] by hand read the database every time), off on PostgreSQL (several instances share it and a
//! data-version signal is not available there), and off with `[api] cache = false`.
//!
//! Size: the entries (bodies and keys) are bounded by bytes, `[limits] page_cache_bytes`; beyond, the oldest
//! entries go first, and an answer larger than the whole budget is not cached. Keys are bounded too (the search
//! text of a page is capped by `[limits] max_search_chars` before it becomes part of a key).

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often the watcher asks SQLite whether anything was committed.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(50);
/// Longest an ops page is served from the cache even without a database change (it also shows in-memory job and
/// alert state).
pub const PAGE_MAX_AGE: Duration = Duration::from_secs(2);
/// Most entries kept (the map is cleared when it grows beyond).
pub const MAX_ENTRIES: usize = 20_000;

/// Cached response bodies keyed by text, valid for one database generation.
#[derive(Debug)]
pub struct ResponseCache {
    enabled: AtomicBool,
    generation: AtomicU64,
    capacity: usize,
    entries: Mutex<Entries>,
    renders: Mutex<HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
}

/// The entries and the bytes they hold.
#[derive(Debug, Default)]
struct Entries {
    map: HashMap<String, (u64, Instant, Bytes)>,
    bytes: usize,
}

impl Entries {
    fn remove(&mut self, key: &str) {
        if let Some((_, _, body)) = self.map.remove(key) {
            self.bytes = self.bytes.saturating_sub(key.len() + body.len());
        }
    }

    /// Drops the oldest entry; false when there is none.
    fn evict_oldest(&mut self) -> bool {
        let Some(key) = self
            .map
            .iter()
            .min_by_key(|(_, (_, at, _))| *at)
            .map(|(k, _)| k.clone())
        else {
            return false;
        };
        self.remove(&key);
        true
    }
}

impl Default for ResponseCache {
    fn default() -> Self {
        Self::with_capacity(crate::limits::LimitsConfig::default().page_cache_bytes)
    }
}

impl ResponseCache {
    /// A cache that holds at most `capacity` bytes of keys and bodies.
    pub fn with_capacity(capacity: usize) -> ResponseCache {
        ResponseCache {
            enabled: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            capacity,
            entries: Mutex::new(Entries::default()),
            renders: Mutex::new(HashMap::new()),
        }
    }

    /// Bytes held by the entries now.
    pub fn bytes(&self) -> usize {
        self.entries.lock().map(|e| e.bytes).unwrap_or(0)
    }

    /// Whether the cache serves entries (the watcher runs).
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    /// The current database generation.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Marks the database changed: every entry rendered before is stale.
    pub fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The body cached under `key`, if it was rendered at the current generation (and within `max_age`, if
    /// given).
    pub fn get(&self, key: &str, max_age: Option<Duration>) -> Option<Bytes> {
        if !self.enabled() {
            return None;
        }
        let generation = self.generation();
        let entries = self.entries.lock().ok()?;
        let (g, at, body) = entries.map.get(key)?;
        (*g == generation && max_age.is_none_or(|m| at.elapsed() < m)).then(|| body.clone())
    }

    /// The lock that lets one request at a time render `key` (single flight): take it after a miss, look again,
    /// and render only if still missing.
    pub fn render_lock(&self, key: &str) -> std::sync::Arc<tokio::sync::Mutex<()>> {
        match self.renders.lock() {
            Ok(mut r) => {
                if r.len() >= MAX_ENTRIES {
                    r.clear();
                }
                r.entry(key.to_string()).or_default().clone()
            }
            Err(_) => std::sync::Arc::default(),
        }
    }

    /// Caches `body` under `key` as rendered at `generation` (read with [`Self::generation`] *before* the
    /// database was read, so a change during rendering makes the entry stale at once).
    pub fn put(&self, key: String, generation: u64, body: Bytes) {
        if !self.enabled() {
            return;
        }
        let size = key.len() + body.len();
        if size > self.capacity {
            return;
        }
        if let Ok(mut e) = self.entries.lock() {
            e.remove(&key);
            while (e.bytes + size > self.capacity || e.map.len() >= MAX_ENTRIES) && e.evict_oldest()
            {
            }
            e.bytes += size;
            e.map.insert(key, (generation, Instant::now(), body));
        }
    }
}

/// Starts the watcher for the SQLite database at `path` and enables `cache`; it stops when `stop` turns true.
/// When the watcher cannot read the database it disables the cache (reads go to the database) and retries.
pub fn spawn_sqlite_watcher(
    path: std::path::PathBuf,
    cache: std::sync::Arc<ResponseCache>,
    mut stop: watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        let mut watch = crate::store::watch::DataVersion::new(path);
        let mut last: Option<i64> = None;
        loop {
            if *stop.borrow() {
                cache.enabled.store(false, Ordering::Release);
                watch.close().await;
                return;
            }
            let version = match watch.read().await {
                Ok(v) => Some(v),
                Err(e) => {
                    tracing::warn!(error = %e, "response cache: cannot watch the database");
                    None
                }
            };
            match version {
                Some(v) => {
                    if last != Some(v) {
                        cache.bump();
                        last = Some(v);
                    }
                    cache.enabled.store(true, Ordering::Release);
                }
                None => {
                    cache.enabled.store(false, Ordering::Release);
                    cache.bump();
                    last = None;
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(WATCH_INTERVAL) => {}
                _ = stop.changed() => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn entries_of_an_older_generation_are_never_served() {
        let c = ResponseCache::default();
        c.put("a".into(), c.generation(), Bytes::from_static(b"x"));
        assert_eq!(c.get("a", None), None, "disabled until the watcher runs");
        c.enabled.store(true, Ordering::Release);
        let g = c.generation();
        c.put("a".into(), g, Bytes::from_static(b"x"));
        assert_eq!(c.get("a", None).as_deref(), Some(&b"x"[..]));
        assert_eq!(c.get("a", Some(Duration::ZERO)), None, "too old");
        c.bump();
        assert_eq!(c.get("a", None), None);
        // Rendered while the database changed: stale at once.
        c.put("b".into(), g, Bytes::from_static(b"y"));
        assert_eq!(c.get("b", None), None);
        assert!(std::sync::Arc::ptr_eq(
            &c.render_lock("k"),
            &c.render_lock("k")
        ));
    }

    #[test]
    fn bounded_by_bytes_oldest_first() {
        let c = ResponseCache::with_capacity(100);
        c.enabled.store(true, Ordering::Release);
        let g = c.generation();
        c.put("a".into(), g, Bytes::from(vec![b'x'; 40]));
        std::thread::sleep(Duration::from_millis(2));
        c.put("b".into(), g, Bytes::from(vec![b'x'; 40]));
        assert_eq!(c.bytes(), 82);
        std::thread::sleep(Duration::from_millis(2));
        c.put("c".into(), g, Bytes::from(vec![b'x'; 40]));
        assert!(c.bytes() <= 100, "{}", c.bytes());
        assert!(c.get("a", None).is_none(), "the oldest went");
        assert!(c.get("b", None).is_some() && c.get("c", None).is_some());
        // Larger than the whole budget: not cached.
        c.put("d".into(), g, Bytes::from(vec![b'x'; 200]));
        assert!(c.get("d", None).is_none());
        // Replacing an entry does not count it twice.
        c.put("c".into(), g, Bytes::from(vec![b'y'; 40]));
        assert_eq!(c.bytes(), 82);
    }

    #[tokio::test]
    async fn watcher_sees_commits_of_other_connections() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/w.db", dir.path().display());
        let store = crate::store::Store::open(&url, 2).await.unwrap();
        let cache = Arc::new(ResponseCache::default());
        let (tx, rx) = watch::channel(false);
        spawn_sqlite_watcher(crate::store::sqlite_path(&url).unwrap(), cache.clone(), rx);
        for _ in 0..100 {
            if cache.enabled() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(cache.enabled());
        let g = cache.generation();
        cache.put("k".into(), g, Bytes::from_static(b"v"));
        assert!(cache.get("k", None).is_some());
        store
            .create_token(
                "t",
                crate::store::Role::Viewer,
                chrono::DateTime::from_timestamp(0, 0).unwrap(),
            )
            .await
            .unwrap();
        let mut bumped = false;
        for _ in 0..100 {
            if cache.generation() != g {
                bumped = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(bumped, "a commit bumps the generation");
        assert!(cache.get("k", None).is_none());
        tx.send(true).unwrap();
        store.close().await;
    }
}
