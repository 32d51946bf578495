-- Newsletters (account): lists are single or double opt-in and public or private; a subscriber
-- is one address (at most one per address, linked to a member when a member subscribed it);
-- a subscription is one subscriber on one list; double opt-in confirmations are single-use
-- tokens stored as SHA-256 digests.
ALTER TABLE newsletters
    ADD COLUMN opt_in     TEXT NOT NULL DEFAULT 'double' CHECK (opt_in IN ('single', 'double')),
    ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private'));

CREATE TABLE newsletter_subscribers (
    id         BIGSERIAL PRIMARY KEY,
    email      TEXT NOT NULL CHECK (position('@' in email) > 1),
    user_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX newsletter_subscribers_email_key ON newsletter_subscribers (lower(email));
CREATE INDEX newsletter_subscribers_user_idx ON newsletter_subscribers (user_id);
CREATE TRIGGER newsletter_subscribers_touch BEFORE UPDATE ON newsletter_subscribers
    FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();

-- One subscriber per address of the existing subscriptions (a member's link kept).
INSERT INTO newsletter_subscribers (email, user_id)
SELECT DISTINCT ON (lower(email)) email, user_id
FROM newsletter_subscriptions
ORDER BY lower(email), user_id NULLS LAST, id;

ALTER TABLE newsletter_subscriptions
    ADD COLUMN subscriber_id BIGINT REFERENCES newsletter_subscribers (id) ON DELETE CASCADE,
    ADD COLUMN confirmed_at  TIMESTAMPTZ;
UPDATE newsletter_subscriptions s
SET subscriber_id = n.id,
    confirmed_at = CASE WHEN s.status = 'confirmed' THEN s.updated_at END
FROM newsletter_subscribers n
WHERE lower(n.email) = lower(s.email);
ALTER TABLE newsletter_subscriptions ALTER COLUMN subscriber_id SET NOT NULL;
DROP INDEX newsletter_subscriptions_email_key;
DROP INDEX newsletter_subscriptions_user_idx;
ALTER TABLE newsletter_subscriptions DROP COLUMN email, DROP COLUMN user_id;
CREATE UNIQUE INDEX newsletter_subscriptions_key ON newsletter_subscriptions (newsletter_id, subscriber_id);
CREATE INDEX newsletter_subscriptions_subscriber_idx ON newsletter_subscriptions (subscriber_id);

CREATE TABLE newsletter_confirmations (
    token_digest    TEXT PRIMARY KEY,
    subscription_id BIGINT NOT NULL REFERENCES newsletter_subscriptions (id) ON DELETE CASCADE,
    expires_at      TIMESTAMPTZ NOT NULL,
    used_at         TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX newsletter_confirmations_subscription_idx ON newsletter_confirmations (subscription_id);
