-- Ghost sync: the connected Ghost site (one per blog) and which of our rows came from it.

CREATE TABLE ghost_sites (
    id                SMALLINT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    url               TEXT NOT NULL,
    content_key       TEXT NOT NULL,
    -- `id:secret` of a custom integration: reads drafts and scheduled posts too.
    admin_key         TEXT,
    -- Ghost signs its webhooks with this (X-Ghost-Signature).
    webhook_secret    TEXT NOT NULL,
    -- The newest Ghost `updated_at` imported: incremental syncs ask for what is newer.
    synced_until      TIMESTAMPTZ,
    last_sync_at      TIMESTAMPTZ,
    last_full_scan_at TIMESTAMPTZ,
    last_error        TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER ghost_sites_touch BEFORE UPDATE ON ghost_sites
    FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();

-- One row per imported post or page: Ghost's id and the version we hold.
CREATE TABLE ghost_posts (
    ghost_id         TEXT PRIMARY KEY,
    post_id          BIGINT NOT NULL UNIQUE REFERENCES posts (id) ON DELETE CASCADE,
    ghost_updated_at TIMESTAMPTZ NOT NULL
);

ALTER TABLE tags ADD COLUMN ghost_id TEXT UNIQUE;
