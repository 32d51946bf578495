//! Request metrics per app: counts and latency histograms by route pattern and status class.
//! Rendered in Prometheus text format by `/metrics` (see the shipping issue).
//!
//! Every label comes from a fixed set, so no request can add a series: methods are the standard
//! ones or `other`, routes are the app's own patterns (`unmatched` for everything else), and a
//! backstop caps the routes kept.

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

/// (method, status class) and its stats.
type Series = ((&'static str, u16), RouteStats);

/// The route label of requests that matched no route (made-up paths, 404s).
pub const UNMATCHED: &str = "unmatched";
/// Where requests go once [`MAX_ROUTES`] routes are kept (a backstop: patterns are finite).
pub const OVERFLOW: &str = "other";
/// Route labels kept at most.
pub const MAX_ROUTES: usize = 500;

/// The method's label: one of the standard methods, else `other`.
pub fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// route pattern → (method, status class) → stats. Looked up by `&str`, so a known route costs
/// no allocation.
#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<HashMap<String, Vec<Series>>>,
}

impl Metrics {
    /// Counts one request. `route` must be a route pattern (or [`UNMATCHED`]), never a raw path.
    pub fn record(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let method = method_label(method);
        let seconds = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(BUCKETS.len());
        let class = status.clamp(100, 599) / 100 * 100;
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        let route = if routes.contains_key(route) || routes.len() < MAX_ROUTES {
            route
        } else {
            OVERFLOW
        };
        let series = match routes.get_mut(route) {
            Some(series) => series,
            None => routes.entry(route.to_owned()).or_default(),
        };
        let index = match series
            .iter()
            .position(|((m, c), _)| *m == method && *c == class)
        {
            Some(i) => i,
            None => {
                series.push(((method, class), RouteStats::default()));
                series.len() - 1
            }
        };
        let stats = &mut series[index].1;
        stats.count += 1;
        stats.sum_seconds += seconds;
        stats.buckets[bucket] += 1;
    }

    /// A copy of every series, sorted.
    pub fn snapshot(&self) -> Vec<((String, String, u16), RouteStats)> {
        let mut out: Vec<_> = self
            .routes
            .lock()
            .map(|routes| {
                routes
                    .iter()
                    .flat_map(|(route, series)| {
                        series.iter().map(move |((m, c), stats)| {
                            ((route.clone(), (*m).to_owned(), *c), stats.clone())
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Requests counted for routes starting with `prefix` (all methods and statuses).
    pub fn count_prefix(&self, prefix: &str) -> u64 {
        self.routes
            .lock()
            .map(|routes| {
                routes
                    .iter()
                    .filter(|(route, _)| route.starts_with(prefix))
                    .flat_map(|(_, series)| series.iter().map(|(_, s)| s.count))
                    .sum()
            })
            .unwrap_or(0)
    }
}

/// Renders every series of an app in the Prometheus text format (version 0.0.4).
pub fn render_prometheus(
    app: &str,
    metrics: &Metrics,
    fragments: &super::fragments::FragmentStats,
    pool: deadpool::Status,
) -> String {
    use std::fmt::Write;
    use std::sync::atomic::Ordering::Relaxed;
    let mut out = String::with_capacity(4096);
    let esc = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    };
    let snapshot = metrics.snapshot();

    out.push_str("# HELP http_requests_total HTTP requests served, by route pattern, method and status class.\n");
    out.push_str("# TYPE http_requests_total counter\n");
    for ((route, method, status), stats) in &snapshot {
        let _ = writeln!(
            out,
            "http_requests_total{{app=\"{app}\",route=\"{}\",method=\"{method}\",status=\"{}xx\"}} {}",
            esc(route),
            status / 100,
            stats.count
        );
    }
    out.push_str(
        "# HELP http_request_duration_seconds Time to serve HTTP requests, by route pattern.\n",
    );
    out.push_str("# TYPE http_request_duration_seconds histogram\n");
    for ((route, method, status), stats) in &snapshot {
        let labels = format!(
            "app=\"{app}\",route=\"{}\",method=\"{method}\",status=\"{}xx\"",
            esc(route),
            status / 100
        );
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(stats.buckets.iter()) {
            cumulative += count;
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
            );
        }
        cumulative += stats.buckets[BUCKETS.len()];
        let _ = writeln!(
            out,
            "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {cumulative}"
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_sum{{{labels}}} {}",
            stats.sum_seconds
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_count{{{labels}}} {}",
            stats.count
        );
    }
    for (name, help, value) in [
        (
            "fragment_cache_hits_total",
            "Fragments served from the Redis cache.",
            fragments.hits.load(Relaxed),
        ),
        (
            "fragment_cache_misses_total",
            "Fragments not in the cache, fetched from their owner.",
            fragments.misses.load(Relaxed),
        ),
        (
            "fragment_cache_stale_total",
            "Fragments served from the stale copy because the owner failed.",
            fragments.stale.load(Relaxed),
        ),
        (
            "fragment_placeholders_total",
            "Fragments replaced by a placeholder (owner failed, no stale copy).",
            fragments.placeholders.load(Relaxed),
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name}{{app=\"{app}\"}} {value}"
        );
    }
    out.push_str("# HELP db_pool_connections Database pool connections by state.\n# TYPE db_pool_connections gauge\n");
    let in_use = pool.size.saturating_sub(pool.available);
    for (state, value) in [
        ("in_use", in_use),
        ("idle", pool.available),
        ("max", pool.max_size),
    ] {
        let _ = writeln!(
            out,
            "db_pool_connections{{app=\"{app}\",state=\"{state}\"}} {value}"
        );
    }
    let _ = writeln!(
        out,
        "# HELP db_pool_waiting Requests waiting for a database connection.\n# TYPE db_pool_waiting gauge\ndb_pool_waiting{{app=\"{app}\"}} {}",
        pool.waiting
    );
    out
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

    #[test]
    fn labels_come_from_a_fixed_set() {
        let m = Metrics::default();
        for i in 0..50 {
            m.record(UNMATCHED, &format!("M{i}"), 404, Duration::ZERO);
            m.record(UNMATCHED, "get", 999, Duration::ZERO);
        }
        m.record(UNMATCHED, "DELETE", 404, Duration::ZERO);
        let snap = m.snapshot();
        let labels: Vec<(&str, &str, u16)> = snap
            .iter()
            .map(|((r, m, c), _)| (r.as_str(), m.as_str(), *c))
            .collect();
        assert_eq!(
            labels,
            vec![
                ("unmatched", "DELETE", 400),
                ("unmatched", "other", 400),
                ("unmatched", "other", 500)
            ]
        );
        for i in 0..MAX_ROUTES + 10 {
            m.record(&format!("/r{i}"), "GET", 200, Duration::ZERO);
        }
        let routes: std::collections::BTreeSet<String> =
            m.snapshot().into_iter().map(|((r, _, _), _)| r).collect();
        assert_eq!(routes.len(), MAX_ROUTES + 1);
        assert!(routes.contains(OVERFLOW));
    }
}
