//! How many PostgreSQL connections the stack can open at once, for sizing `max_connections`
//! (checked against `docker-compose.yml` by the tests).
//!
//! Every app process holds its pool (`DB_POOL_SIZE`) plus the connections it opens outside the
//! pool (below). A rolling update starts a new replica before it stops the old one, and the
//! services update at the same time, so the worst case counts every replica twice; `deploy
//! migrate` may run meanwhile.

use shared::AppName;

/// Connections `app` opens outside its pool: one `LISTEN` connection per queue worker
/// (`shared::infrastructure::background::listen`). Federation: the ActivityPub processor, the
/// delivery worker and the header's unread-count follower; blog: the event-bus consumer for
/// comments (and account deletions); events: the event-bus consumer that issues and voids
/// tickets (and applies account deletions); market: the event-bus consumer (account deletions,
/// paid orders) and the stock follower that purges its caches (`market_stock`); cart and
/// account: the event-bus consumer that applies account deletions; and every app with job
/// types its `shared::jobs` runner. A fleet test counts them live.
pub fn dedicated_connections(app: AppName) -> u32 {
    let queue_workers = match app {
        AppName::Federation => 3,
        AppName::Market => 2,
        AppName::Blog | AppName::Events | AppName::Cart | AppName::Account => 1,
    };
    let job_runner = !(crate::fleet::spec(app).jobs)().is_empty();
    queue_workers + u32::from(job_runner)
}

/// `deploy migrate` (one connection) running beside the stack.
pub const MIGRATE_CONNECTIONS: u32 = 1;

/// During a rolling update a service briefly runs twice its replicas.
pub const ROLLING_FACTOR: u32 = 2;

/// One app service of the stack, as far as connections go.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    pub app: AppName,
    pub replicas: u32,
    pub pool_size: u32,
}

impl Service {
    /// The most connections this service holds at once, mid-update.
    pub fn peak_connections(&self) -> u32 {
        self.replicas * ROLLING_FACTOR * (self.pool_size + dedicated_connections(self.app))
    }
}

/// The most connections the stack opens at once: every service mid-update, plus a migration.
pub fn peak_connections(services: &[Service]) -> u32 {
    services.iter().map(Service::peak_connections).sum::<u32>() + MIGRATE_CONNECTIONS
}

/// Whether PostgreSQL's `max_connections`, less the slots only superusers may use, covers `peak`.
pub fn fits(peak: u32, max_connections: u32, superuser_reserved: u32) -> bool {
    peak <= max_connections.saturating_sub(superuser_reserved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_stack_needs_more_than_postgres_defaults() {
        // Six apps, two replicas, pools of 8: the case the review found.
        let services: Vec<Service> = AppName::ALL
            .iter()
            .map(|&app| Service {
                app,
                replicas: 2,
                pool_size: 8,
            })
            .collect();
        let peak = peak_connections(&services);
        // Dedicated: federation's two queue workers, its header's unread-count follower and
        // its job runner; every other app's bus consumer (comments, tickets, and account
        // deletions everywhere) and job runner: the market (expired stock reservations, bulk
        // imports), the cart (checkout expiry, payment checks, receipts), the blog, events
        // (occurrences ahead) and account (campaign sends); and the market's stock follower.
        assert_eq!(peak, 6 * 2 * 2 * 8 + 2 * 2 * (4 + 2 + 3 + 2 + 2 + 2) + 1);
        assert!(!fits(peak, 100, 3));
        assert!(fits(peak, peak + 3, 3));
        assert!(!fits(peak, peak + 2, 3));
    }
}
