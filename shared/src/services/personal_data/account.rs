//! Account's rows: the member's newsletter subscriptions (by their id, or by their proved
//! address on rows made before they were linked), the campaigns mailed to them, bounces
//! reported against their address, and the campaigns they wrote.

use super::{Query, many};

/// The member's subscriber rows: linked to them, or unlinked with their address once they
/// have proved it (an unproved address could be someone else's, whose lists would leak; an
/// address on another member's linked row is that member's).
macro_rules! members_subscriber {
    ($alias:literal) => {
        concat!(
            "(",
            $alias,
            ".user_id = $1 OR (",
            $alias,
            ".user_id IS NULL AND lower(",
            $alias,
            ".email) = (SELECT lower(email) FROM users \
             WHERE id = $1 AND email_verified_at IS NOT NULL)))"
        )
    };
}

pub(super) const QUERIES: &[Query] = &[
    many(
        "newsletter_subscribers",
        concat!(
            "SELECT sb.email, sb.created_at, sb.updated_at, sb.blocklisted_at, sb.blocklist_reason \
             FROM newsletter_subscribers sb WHERE ",
            members_subscriber!("sb"),
            " ORDER BY sb.id"
        ),
    ),
    many(
        "newsletter_subscriptions",
        concat!(
            "SELECT n.slug AS newsletter, n.name AS newsletter_name, sb.email, s.status, \
             s.created_at, s.confirmed_at, s.updated_at \
             FROM newsletter_subscriptions s \
             JOIN newsletters n ON n.id = s.newsletter_id \
             JOIN newsletter_subscribers sb ON sb.id = s.subscriber_id WHERE ",
            members_subscriber!("sb"),
            " ORDER BY s.id"
        ),
    ),
    many(
        "newsletter_mail_received",
        concat!(
            "SELECT n.slug AS newsletter, c.subject, r.status, r.sent_at \
             FROM newsletter_campaign_recipients r \
             JOIN newsletter_campaigns c ON c.id = r.campaign_id \
             JOIN newsletters n ON n.id = c.newsletter_id \
             JOIN newsletter_subscribers sb ON sb.id = r.subscriber_id WHERE ",
            members_subscriber!("sb"),
            " ORDER BY r.id"
        ),
    ),
    many(
        "newsletter_bounces",
        concat!(
            "SELECT c.subject AS campaign, b.kind, b.source, b.bounced_at, b.received_at \
             FROM newsletter_bounces b \
             LEFT JOIN newsletter_campaigns c ON c.id = b.campaign_id \
             JOIN newsletter_subscribers sb ON sb.id = b.subscriber_id WHERE ",
            members_subscriber!("sb"),
            " ORDER BY b.id"
        ),
    ),
    many(
        "campaigns_written",
        "SELECT c.id, n.slug AS newsletter, c.subject, c.status, c.created_at, c.updated_at \
         FROM newsletter_campaigns c JOIN newsletters n ON n.id = c.newsletter_id \
         WHERE c.created_by = $1 ORDER BY c.id",
    ),
];
