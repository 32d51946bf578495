//! Public answers that are the same for everyone, kept in each process: the embed widgets'
//! (`/embed/events.json`, `/embed/frame`) and the listing iCal feeds (`/feed.ics`, a calendar's
//! `feed.ics`). A widget on a busy site or a feed polled by many calendar apps then costs a map
//! lookup rather than queries over every date, rendering and a digest.
//!
//! A copy is keyed by the checked request (never the raw query, so `?limit=5` and `?limit=05`
//! are one copy, and only answers that were `200` are kept). Copies are stamped
//! with this process's generation, which every change made through its routes bumps
//! (`routes::purge`), and a copy is only ever taken for the generation read before its
//! queries ran, so a change here is seen at once. Changes made by another replica, and dates
//! dropping off as they end, are seen within [`TTL`], well inside the `max-age` the answers
//! already grant browsers. At most [`MAX_ENTRIES`] copies and [`MAX_BYTES`] in all (then the
//! map starts over), so made-up tags cannot grow it without bound.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;

pub const TTL: Duration = Duration::from_secs(10);
const MAX_ENTRIES: usize = 1_000;
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// One kept answer: its bytes and their `ETag`.
pub struct Answer {
    pub body: Bytes,
    pub etag: String,
    generation: u64,
    stored: Instant,
}

#[derive(Default)]
pub struct Answers {
    entries: Mutex<Entries>,
    generation: AtomicU64,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Arc<Answer>>,
    bytes: usize,
}

impl Answers {
    /// The generation to stamp an answer with: read it before the answer's queries run.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Every copy is out of date (a change was made).
    pub fn purge(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn get(&self, key: &str) -> Option<Arc<Answer>> {
        let generation = self.generation();
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .map
            .get(key)
            .filter(|a| a.generation == generation && a.stored.elapsed() < TTL)
            .cloned()
    }

    /// Keeps `body` for `key`, computed from what the database held at `generation`.
    pub fn put(&self, key: String, generation: u64, body: Bytes, etag: String) -> Arc<Answer> {
        let answer = Arc::new(Answer {
            body,
            etag,
            generation,
            stored: Instant::now(),
        });
        let key_len = key.len();
        let size = answer.body.len() + key_len;
        if generation == self.generation() && size <= MAX_BYTES {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            if entries.map.len() >= MAX_ENTRIES || entries.bytes + size > MAX_BYTES {
                entries.map.clear();
                entries.bytes = 0;
            }
            entries.bytes += size;
            if let Some(old) = entries.map.insert(key, answer.clone()) {
                entries.bytes = entries.bytes.saturating_sub(old.body.len() + key_len);
            }
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_outdates_every_copy_and_one_computed_before_it_is_not_kept() {
        let cache = Answers::default();
        let g = cache.generation();
        cache.put("a".into(), g, Bytes::from_static(b"1"), "\"1\"".into());
        assert_eq!(cache.get("a").unwrap().body, Bytes::from_static(b"1"));
        cache.purge();
        assert!(cache.get("a").is_none());
        // Computed before the change, stored after it: not kept.
        cache.put("b".into(), g, Bytes::from_static(b"2"), "\"2\"".into());
        assert!(cache.get("b").is_none());
        let g = cache.generation();
        cache.put("b".into(), g, Bytes::from_static(b"3"), "\"3\"".into());
        assert_eq!(cache.get("b").unwrap().etag, "\"3\"");
    }

    #[test]
    fn the_map_is_bounded() {
        let cache = Answers::default();
        for i in 0..=MAX_ENTRIES {
            cache.put(i.to_string(), 0, Bytes::new(), String::new());
        }
        assert_eq!(cache.entries.lock().unwrap().map.len(), 1);
    }
}
