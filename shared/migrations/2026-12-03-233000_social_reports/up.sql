-- Reports (`Flag`) members sent about remote actors and their posts: the fleet's instance actor
-- sends them to the actor's server; federation's /admin lists them. The reporter is kept for
-- our admins only (the Flag does not name them) and forgotten when their account goes.
CREATE TABLE social_reports (
    id          BIGSERIAL PRIMARY KEY,
    reporter_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor       TEXT NOT NULL,
    statuses    TEXT[] NOT NULL DEFAULT '{}',
    comment     TEXT NOT NULL,
    activity_id TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX social_reports_created ON social_reports (created_at DESC, id DESC);
