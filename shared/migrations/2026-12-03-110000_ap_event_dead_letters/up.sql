-- The event bus's dead letter: an event a consumer's handler kept failing on (after its
-- retries) waits here, visible on federation's /admin, until an administrator re-queues it
-- ('retry'); the consumer then runs it again and removes the row when it succeeds. Later events
-- about the same object wait behind it (held here too), so they never overtake it.
CREATE TABLE ap_event_dead_letters (
    id          BIGSERIAL PRIMARY KEY,
    consumer    TEXT NOT NULL,
    activity    BIGINT NOT NULL REFERENCES ap_activities (id),
    kind        TEXT NOT NULL,
    object_id   TEXT,
    status      TEXT NOT NULL DEFAULT 'dead' CHECK (status IN ('dead', 'retry')),
    attempts    INT NOT NULL,
    last_error  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (consumer, activity)
);
CREATE INDEX ap_event_dead_letters_object_idx ON ap_event_dead_letters (consumer, object_id);
CREATE INDEX ap_event_dead_letters_retry_idx ON ap_event_dead_letters (consumer)
    WHERE status = 'retry';
