//! Request metrics per app: counts and latency histograms by route pattern and status class.
//! Rendered in Prometheus text format by `/metrics` (see the shipping issue).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets.
pub const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Debug, Default, Clone)]
pub struct RouteStats {
    pub count: u64,
    pub sum_seconds: f64,
    /// Per-bucket counts (not cumulative); the last slot is +Inf.
    pub buckets: [u64; BUCKETS.len() + 1],
}

/// (route pattern, method, status class) → stats.
#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<HashMap<(String, String, u16), RouteStats>>,
}

impl Metrics {
    pub fn record(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(BUCKETS.len());
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        let key = (route.to_owned(), method.to_owned(), status / 100 * 100);
        let stats = routes.entry(key).or_default();
        stats.count += 1;
        stats.sum_seconds += seconds;
        stats.buckets[bucket] += 1;
    }

    /// A copy of every series.
    pub fn snapshot(&self) -> Vec<((String, String, u16), RouteStats)> {
        let mut out: Vec<_> = self
            .routes
            .lock()
            .map(|r| r.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Requests counted for routes starting with `prefix` (all methods and statuses).
    pub fn count_prefix(&self, prefix: &str) -> u64 {
        self.routes
            .lock()
            .map(|r| {
                r.iter()
                    .filter(|((route, _, _), _)| route.starts_with(prefix))
                    .map(|(_, s)| s.count)
                    .sum()
            })
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_by_route_and_bucket() {
        let m = Metrics::default();
        m.record("/posts/{slug}", "GET", 200, Duration::from_micros(800));
        m.record("/posts/{slug}", "GET", 204, Duration::from_millis(30));
        m.record("/", "GET", 503, Duration::from_secs(5));
        let snap = m.snapshot();
        assert_eq!(snap.len(), 2);
        let (_, posts) = snap.iter().find(|(k, _)| k.0 == "/posts/{slug}").unwrap();
        assert_eq!(posts.count, 2);
        assert_eq!(posts.buckets[1], 1);
        assert_eq!(posts.buckets[6], 1);
        let (_, home) = snap.iter().find(|(k, _)| k.0 == "/").unwrap();
        assert_eq!(home.buckets[BUCKETS.len()], 1);
        assert_eq!(m.count_prefix("/posts"), 2);
    }
}
