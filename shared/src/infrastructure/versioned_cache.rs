//! A small in-process cache whose entries hold for one generation of a Redis-versioned kind
//! (see [`super::fragments::FragmentClient::fetch_with_generations`]): the generation arrives
//! with the page's fragments, so checking freshness costs no extra round trip, and bumping the
//! generation (`purge_kind`) invalidates every process's copy at once.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// (generation, made at, value).
type Entry<V> = (u64, Instant, Arc<V>);

pub struct VersionedCache<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    capacity: usize,
    max_age: Duration,
}

impl<K: Eq + Hash + Clone, V> VersionedCache<K, V> {
    /// At most `capacity` entries, none older than `max_age` (a backstop should a generation
    /// bump be lost).
    pub fn new(capacity: usize, max_age: Duration) -> Self {
        VersionedCache {
            entries: Mutex::new(HashMap::new()),
            capacity,
            max_age,
        }
    }

    /// The entry for `key` made at `generation`, if any. No generation (Redis unreadable): none.
    pub fn get(&self, key: &K, generation: Option<u64>) -> Option<Arc<V>> {
        let generation = generation?;
        let entries = self.entries.lock().ok()?;
        let (g, made, value) = entries.get(key)?;
        (*g == generation && made.elapsed() < self.max_age).then(|| value.clone())
    }

    /// Stores `value` for `key` at `generation` (not without one) and returns it.
    pub fn put(&self, key: K, generation: Option<u64>, value: V) -> Arc<V> {
        let value = Arc::new(value);
        if let (Some(generation), Ok(mut entries)) = (generation, self.entries.lock()) {
            if entries.len() >= self.capacity && !entries.contains_key(&key) {
                // Full: drop everything older than the current generation, else everything.
                entries.retain(|_, (g, _, _)| *g == generation);
                if entries.len() >= self.capacity {
                    entries.clear();
                }
            }
            entries.insert(key, (generation, Instant::now(), value.clone()));
        }
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_hold_for_their_generation_only() {
        let cache = VersionedCache::new(2, Duration::from_secs(60));
        cache.put(1, Some(5), "a");
        assert_eq!(cache.get(&1, Some(5)).as_deref(), Some(&"a"));
        assert_eq!(cache.get(&1, Some(6)), None, "a newer generation misses");
        assert_eq!(cache.get(&1, None), None, "no generation, no cache");
        cache.put(2, None, "b");
        assert_eq!(
            cache.get(&2, Some(0)),
            None,
            "nothing stored without a generation"
        );
        cache.put(2, Some(6), "b");
        cache.put(3, Some(6), "c");
        assert_eq!(cache.get(&1, Some(5)), None, "evicted when full");
        assert_eq!(cache.get(&3, Some(6)).as_deref(), Some(&"c"));
    }
}
