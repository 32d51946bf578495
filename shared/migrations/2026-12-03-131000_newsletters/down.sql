DROP TABLE newsletter_confirmations;

ALTER TABLE newsletter_subscriptions
    ADD COLUMN email   TEXT,
    ADD COLUMN user_id BIGINT REFERENCES users (id) ON DELETE SET NULL;
UPDATE newsletter_subscriptions s
SET email = n.email, user_id = n.user_id
FROM newsletter_subscribers n
WHERE n.id = s.subscriber_id;
ALTER TABLE newsletter_subscriptions
    ALTER COLUMN email SET NOT NULL,
    ADD CHECK (position('@' in email) > 1);
DROP INDEX newsletter_subscriptions_key;
DROP INDEX newsletter_subscriptions_subscriber_idx;
ALTER TABLE newsletter_subscriptions DROP COLUMN subscriber_id, DROP COLUMN confirmed_at;
CREATE UNIQUE INDEX newsletter_subscriptions_email_key ON newsletter_subscriptions (newsletter_id, lower(email));
CREATE INDEX newsletter_subscriptions_user_idx ON newsletter_subscriptions (user_id);

DROP TABLE newsletter_subscribers;

ALTER TABLE newsletters DROP COLUMN opt_in, DROP COLUMN visibility;
