//! Public answers that are the same for everyone, kept in each process: the embed widgets'
//! (`/embed/events.json`, `/embed/frame`), the listing iCal feeds (`/feed.ics`, a calendar's
//! `feed.ics`) and the month grids' dates (`/month`, the `calendar-month` fragment). A widget on
//! a busy site, a feed polled by many calendar apps or a month page then costs a map lookup
//! rather than queries over every date.
//!
//! A copy is keyed by the checked request (never the raw query, so `?limit=5` and `?limit=05`
//! are one copy, and only answers that succeeded are kept). Copies are stamped with their
//! map's generation, which every change made through this process's routes bumps
//! (`routes::purge`), and a copy is only ever taken for the generation read before its
//! queries ran, so a change here is seen at once. Changes made by another replica or by a job,
//! and dates dropping off as they end, are seen within [`TTL`], well inside the `max-age` the
//! answers already grant browsers. Each map holds a bounded number of copies and bytes (then it
//! starts over), so made-up tags cannot grow it without bound.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;

pub const TTL: Duration = Duration::from_secs(10);

/// What a kept value costs in memory, roughly, in bytes.
pub trait Weigh {
    fn weight(&self) -> usize;
}

/// One kept answer: its bytes and their `ETag`.
pub struct Answer {
    pub body: Bytes,
    pub etag: String,
}

impl Weigh for Answer {
    fn weight(&self) -> usize {
        self.body.len() + self.etag.len()
    }
}

/// The widgets' and feeds' answers.
pub type Answers = Kept<Answer>;

/// Values of type `V` kept by key, at most `max_entries` of them and `max_bytes` in all.
pub struct Kept<V> {
    entries: Mutex<Entries<V>>,
    generation: AtomicU64,
    max_entries: usize,
    max_bytes: usize,
}

struct Entry<V> {
    value: Arc<V>,
    generation: u64,
    stored: Instant,
    weight: usize,
}

struct Entries<V> {
    map: HashMap<String, Entry<V>>,
    bytes: usize,
}

impl Default for Kept<Answer> {
    fn default() -> Self {
        Kept::new(1_000, 64 * 1024 * 1024)
    }
}

impl<V: Weigh> Kept<V> {
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Kept {
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                bytes: 0,
            }),
            generation: AtomicU64::new(0),
            max_entries,
            max_bytes,
        }
    }

    /// The generation to stamp a value with: read it before the value's queries run.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Every copy is out of date (a change was made).
    pub fn purge(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn get(&self, key: &str) -> Option<Arc<V>> {
        let generation = self.generation();
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .map
            .get(key)
            .filter(|e| e.generation == generation && e.stored.elapsed() < TTL)
            .map(|e| e.value.clone())
    }

    /// Keeps `value` for `key`, computed from what the database held at `generation`.
    pub fn put(&self, key: String, generation: u64, value: V) -> Arc<V> {
        let value = Arc::new(value);
        let weight = value.weight() + key.len();
        if generation == self.generation() && weight <= self.max_bytes {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if entries.map.len() >= self.max_entries || entries.bytes + weight > self.max_bytes {
                entries.map.clear();
                entries.bytes = 0;
            }
            entries.bytes += weight;
            let entry = Entry {
                value: value.clone(),
                generation,
                stored: Instant::now(),
                weight,
            };
            if let Some(old) = entries.map.insert(key, entry) {
                entries.bytes = entries.bytes.saturating_sub(old.weight);
            }
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(body: &'static [u8], etag: &str) -> Answer {
        Answer {
            body: Bytes::from_static(body),
            etag: etag.into(),
        }
    }

    #[test]
    fn a_change_outdates_every_copy_and_one_computed_before_it_is_not_kept() {
        let cache = Answers::default();
        let g = cache.generation();
        cache.put("a".into(), g, answer(b"1", "\"1\""));
        assert_eq!(cache.get("a").unwrap().body, Bytes::from_static(b"1"));
        cache.purge();
        assert!(cache.get("a").is_none());
        // Computed before the change, stored after it: not kept.
        cache.put("b".into(), g, answer(b"2", "\"2\""));
        assert!(cache.get("b").is_none());
        let g = cache.generation();
        cache.put("b".into(), g, answer(b"3", "\"3\""));
        assert_eq!(cache.get("b").unwrap().etag, "\"3\"");
    }

    #[test]
    fn the_map_is_bounded_in_entries_and_bytes() {
        let cache = Answers::default();
        for i in 0..=1_000 {
            cache.put(i.to_string(), 0, answer(b"", ""));
        }
        assert_eq!(cache.entries.lock().unwrap().map.len(), 1);

        let small = Kept::<Answer>::new(100, 10);
        small.put("a".into(), 0, answer(b"12345", ""));
        small.put("b".into(), 0, answer(b"12345", ""));
        assert!(small.get("a").is_none(), "the second went over the bytes");
        assert!(small.get("b").is_some());
        small.put("c".into(), 0, answer(b"12345678901", ""));
        assert!(
            small.get("c").is_none(),
            "one value over the cap is not kept"
        );
    }
}
