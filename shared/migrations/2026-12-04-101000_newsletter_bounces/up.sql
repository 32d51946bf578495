-- Bounces and complaints (owned by account), reported by the bounce webhook in listmonk's
-- shape. A hard bounce or a complaint blocklists the address at once; soft bounces are
-- counted and block it at the configured number.

-- A blocklisted address gets no campaign mail and cannot be confirmed on any list again.
ALTER TABLE newsletter_subscribers
    ADD COLUMN blocklisted_at TIMESTAMPTZ,
    ADD COLUMN blocklist_reason TEXT CHECK (blocklist_reason IN ('hard', 'soft', 'complaint'));

CREATE TABLE newsletter_bounces (
    id BIGSERIAL PRIMARY KEY,
    subscriber_id BIGINT NOT NULL REFERENCES newsletter_subscribers(id) ON DELETE CASCADE,
    -- The campaign the bounced mail belonged to, when the report names one we know.
    campaign_id BIGINT REFERENCES newsletter_campaigns(id) ON DELETE SET NULL,
    kind TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
    source TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 200),
    meta JSONB NOT NULL DEFAULT '{}',
    -- When it bounced (the report's created_at, else when it arrived).
    bounced_at TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- SHA-256 of the report's fields: a replayed report is the same bounce, stored once.
    report_digest TEXT NOT NULL UNIQUE
);

CREATE INDEX newsletter_bounces_subscriber ON newsletter_bounces (subscriber_id, kind);
CREATE INDEX newsletter_bounces_campaign ON newsletter_bounces (campaign_id, kind)
    WHERE campaign_id IS NOT NULL;
