DROP TABLE newsletter_bounces;
ALTER TABLE newsletter_subscribers DROP COLUMN blocklist_reason, DROP COLUMN blocklisted_at;
