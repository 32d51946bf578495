-- Ghost sync that converges whatever order webhooks and sync passes arrive in.

-- Ghost ids we hold no copy of, and the version we saw leave: a delivery of that version or
-- older is stale and changes nothing (a late `post.edited` cannot bring back a deleted or
-- gated post). `infinity` for a deletion Ghost announced (its ids are never reused).
CREATE TABLE ghost_gone (
    ghost_id         TEXT PRIMARY KEY,
    ghost_updated_at TIMESTAMPTZ NOT NULL,
    reason           TEXT NOT NULL CHECK (reason IN ('deleted', 'withheld', 'unlisted')),
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- What the admin page shows about the connection beyond ghost_sites: the address Ghost
-- should call, the last delivery, and the progress of a running sync.
CREATE TABLE ghost_sync_state (
    id                  SMALLINT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    webhook_url         TEXT,
    last_webhook_at     TIMESTAMPTZ,
    last_webhook_result TEXT,
    progress_done       INTEGER NOT NULL DEFAULT 0,
    progress_total      INTEGER,
    progress_running    BOOLEAN NOT NULL DEFAULT false
);

-- Imports whose Ghost slug was taken here, so they got another: listed for the admin.
CREATE TABLE ghost_slug_clashes (
    ghost_id TEXT PRIMARY KEY REFERENCES ghost_posts (ghost_id) ON DELETE CASCADE,
    wanted   TEXT NOT NULL
);
