//! Diesel row types and queries, one module per owning app.
//!
//! Every table has exactly one owning app, the only one that writes it; other apps read through the
//! services in [`crate::services`]. [`TABLE_OWNERS`] is the record (a test checks it covers the
//! schema).

pub mod account;
pub mod blog;
pub mod cart;
pub mod events;
pub mod ghost;
pub mod market;
pub mod oauth;
pub mod users;

use crate::apps::AppName;

/// Which app owns (writes) each table.
pub const TABLE_OWNERS: &[(&str, AppName)] = &[
    ("users", AppName::Federation),
    ("recovery_codes", AppName::Federation),
    ("password_resets", AppName::Federation),
    ("oauth_clients", AppName::Federation),
    ("oauth_consents", AppName::Federation),
    ("oauth_refresh_tokens", AppName::Federation),
    ("oauth_signing_keys", AppName::Federation),
    // ActivityPub: federation owns these; apps only append their own outbound activities to
    // ap_activities through `activitypub::outbox::emit` (the transactional outbox), and each
    // app's event-bus consumer keeps its own row of ap_event_cursors.
    ("ap_keys", AppName::Federation),
    ("ap_activities", AppName::Federation),
    ("ap_deliveries", AppName::Federation),
    ("ap_followers", AppName::Federation),
    ("ap_following", AppName::Federation),
    ("ap_remote_actors", AppName::Federation),
    ("ap_objects", AppName::Federation),
    ("ap_reactions", AppName::Federation),
    ("ap_blocks", AppName::Federation),
    ("ap_signature_standards", AppName::Federation),
    ("ap_event_cursors", AppName::Federation),
    // Each consumer records its own failed events; federation's /admin re-queues them.
    ("ap_event_dead_letters", AppName::Federation),
    // The job queue: every app enqueues and works its own job types through `shared::jobs`;
    // federation's /admin shows the dead ones and retries them.
    ("background_jobs", AppName::Federation),
    // The social hub: a member's notifications, blocks and mutes, and settings.
    ("social_notifications", AppName::Federation),
    ("social_filters", AppName::Federation),
    ("social_settings", AppName::Federation),
    ("social_home", AppName::Federation),
    // Reports members sent about remote actors (federation's /admin lists them).
    ("social_reports", AppName::Federation),
    ("posts", AppName::Blog),
    ("nav_items", AppName::Blog),
    ("post_meta", AppName::Blog),
    ("post_slug_history", AppName::Blog),
    ("tags", AppName::Blog),
    ("post_tags", AppName::Blog),
    ("post_authors", AppName::Blog),
    ("blog_settings", AppName::Blog),
    ("post_comments", AppName::Blog),
    ("ghost_sites", AppName::Blog),
    ("ghost_posts", AppName::Blog),
    ("ghost_gone", AppName::Blog),
    ("ghost_sync_state", AppName::Blog),
    ("ghost_slug_clashes", AppName::Blog),
    ("products", AppName::Market),
    ("stalls", AppName::Market),
    ("market_imports", AppName::Market),
    ("market_import_items", AppName::Market),
    ("stall_owners", AppName::Market),
    ("product_slug_history", AppName::Market),
    ("product_options", AppName::Market),
    ("product_variants", AppName::Market),
    ("product_images", AppName::Market),
    // Written through the `Inventory` contract (shared::services::inventory) on market's behalf.
    ("inventory_reservations", AppName::Market),
    ("inventory_reservation_lines", AppName::Market),
    ("inventory_reservation_seats", AppName::Market),
    ("carts", AppName::Cart),
    ("cart_items", AppName::Cart),
    ("orders", AppName::Cart),
    ("order_lines", AppName::Cart),
    ("order_history", AppName::Cart),
    ("order_refunds", AppName::Cart),
    ("events", AppName::Events),
    ("calendars", AppName::Events),
    ("calendar_organisers", AppName::Events),
    ("event_slug_history", AppName::Events),
    ("event_occurrences", AppName::Events),
    // Read by account through the `Bookings` contract (shared::services::bookings).
    ("event_bookings", AppName::Events),
    ("event_booking_feeds", AppName::Events),
    // Sold through the `Sellables`/`Inventory` contracts; read by account through `Bookings`.
    ("event_ticket_types", AppName::Events),
    ("event_tickets", AppName::Events),
    ("newsletters", AppName::Account),
    ("newsletter_subscriptions", AppName::Account),
    ("newsletter_subscribers", AppName::Account),
    ("newsletter_confirmations", AppName::Account),
    ("newsletter_campaigns", AppName::Account),
    ("newsletter_campaign_recipients", AppName::Account),
    ("newsletter_bounces", AppName::Account),
];

/// The owner of `table`, if it is recorded.
pub fn owner_of(table: &str) -> Option<AppName> {
    TABLE_OWNERS
        .iter()
        .find(|(t, _)| *t == table)
        .map(|(_, app)| *app)
}
