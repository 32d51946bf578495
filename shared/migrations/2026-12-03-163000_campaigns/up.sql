-- Newsletter campaigns (owned by account): what an editor writes for one list, and its
-- sending queue with one row per recipient.

CREATE TABLE newsletter_campaigns (
    id BIGSERIAL PRIMARY KEY,
    newsletter_id BIGINT NOT NULL REFERENCES newsletters(id) ON DELETE RESTRICT,
    subject TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body_markdown TEXT NOT NULL,
    -- The Markdown rendered and sanitised when saved: what mail, previews and the archive show.
    body_html TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'scheduled', 'sending', 'paused', 'sent')),
    -- Shown in the list's public archive and feed once sent.
    archived BOOLEAN NOT NULL DEFAULT TRUE,
    scheduled_at TIMESTAMPTZ,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    -- The rate limit: the earliest moment the next mail may go (each send takes a slot).
    next_send_at TIMESTAMPTZ,
    -- SMTP failures in a row; reaching the configured limit pauses the campaign.
    consecutive_errors INT NOT NULL DEFAULT 0,
    paused_reason TEXT,
    created_by BIGINT REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX newsletter_campaigns_archive ON newsletter_campaigns (newsletter_id, finished_at DESC)
    WHERE status = 'sent' AND archived;

CREATE TABLE newsletter_campaign_recipients (
    id BIGSERIAL PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES newsletter_campaigns(id) ON DELETE CASCADE,
    subscriber_id BIGINT NOT NULL REFERENCES newsletter_subscribers(id) ON DELETE CASCADE,
    subscription_id BIGINT NOT NULL REFERENCES newsletter_subscriptions(id) ON DELETE CASCADE,
    -- pending: to send; sent: the SMTP server took it; failed: refused, or out of tries;
    -- skipped: unsubscribed between the start of the campaign and their turn.
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
    attempts INT NOT NULL DEFAULT 0,
    last_error TEXT,
    sent_at TIMESTAMPTZ,
    -- One mail per subscriber and campaign, whatever happens to the sender.
    UNIQUE (campaign_id, subscriber_id)
);

-- The sender takes the next pending recipient: fresh ones first (fewest tries), then by id.
CREATE INDEX newsletter_campaign_recipients_pending
    ON newsletter_campaign_recipients (campaign_id, attempts, id) WHERE status = 'pending';
