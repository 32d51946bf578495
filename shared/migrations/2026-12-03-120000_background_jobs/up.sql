-- The durable job queue (`shared::jobs`): typed jobs enqueued in the caller's transaction,
-- claimed as leases with FOR UPDATE SKIP LOCKED by any number of replicas, retried with
-- backoff, dead after the last try. A job that succeeds is deleted.
CREATE TABLE background_jobs (
    id           BIGSERIAL PRIMARY KEY,
    job_type     TEXT NOT NULL,
    payload      JSONB NOT NULL,
    priority     SMALLINT NOT NULL DEFAULT 0,
    run_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'dead')),
    attempts     INT NOT NULL DEFAULT 0,
    max_attempts INT NOT NULL CHECK (max_attempts > 0),
    last_error   TEXT,
    dedupe_key   TEXT,
    locked_by    TEXT,
    locked_until TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- What a worker claims next.
CREATE INDEX background_jobs_due_idx ON background_jobs (priority DESC, run_at, id)
    WHERE status = 'pending';
-- Expired leases (a worker that died mid-job).
CREATE INDEX background_jobs_running_idx ON background_jobs (locked_until)
    WHERE status = 'running';
-- One pending job per dedupe key (a running one may have read older state, so it does not count).
CREATE UNIQUE INDEX background_jobs_dedupe_idx ON background_jobs (job_type, dedupe_key)
    WHERE status = 'pending' AND dedupe_key IS NOT NULL;

-- Posts scheduled before the queue existed were published by a poll: give each its job.
INSERT INTO background_jobs (job_type, payload, run_at, max_attempts, dedupe_key)
SELECT 'blog.publish_scheduled', json_build_object('post_id', id), published_at, 20,
       'post:' || id
FROM posts
WHERE status = 'scheduled' AND published_at IS NOT NULL;
