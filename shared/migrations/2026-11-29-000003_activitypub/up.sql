-- ActivityPub: actors' keys, the activity log (inbox, outbox and the fleet's event bus), the
-- delivery queue, follows, remote actors and objects, blocks. Owned by federation, except that
-- every app appends its own outbound activities to ap_activities (the transactional outbox).

-- The key a user's Person actor signs with (app actors share the fleet key from config, or the
-- one generated here in dev: actor = 'fleet').
CREATE TABLE ap_keys (
    actor       TEXT PRIMARY KEY,
    private_pem TEXT NOT NULL,
    public_pem  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE ap_activities (
    id            BIGSERIAL PRIMARY KEY,
    activity_id   TEXT NOT NULL,
    kind          TEXT NOT NULL,
    actor         TEXT NOT NULL,
    object_id     TEXT,
    direction     TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'local')),
    payload       JSONB NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    available_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX ap_activities_activity_id_key ON ap_activities (activity_id);
CREATE INDEX ap_activities_pending_idx ON ap_activities (available_at, id) WHERE status = 'pending';
CREATE INDEX ap_activities_actor_idx ON ap_activities (actor, id DESC) WHERE direction = 'outbound';

CREATE FUNCTION ap_activities_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('ap_activities', NEW.id::text);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ap_activities_notify AFTER INSERT ON ap_activities FOR EACH ROW EXECUTE FUNCTION ap_activities_notify();

CREATE TABLE ap_deliveries (
    id              BIGSERIAL PRIMARY KEY,
    activity_id     BIGINT NOT NULL REFERENCES ap_activities (id) ON DELETE CASCADE,
    inbox           TEXT NOT NULL,
    host            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_status     INTEGER,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX ap_deliveries_once_key ON ap_deliveries (activity_id, inbox);
CREATE INDEX ap_deliveries_due_idx ON ap_deliveries (next_attempt_at, id) WHERE status = 'pending';

CREATE FUNCTION ap_deliveries_notify() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('ap_deliveries', NEW.id::text);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ap_deliveries_notify AFTER INSERT ON ap_deliveries FOR EACH ROW EXECUTE FUNCTION ap_deliveries_notify();

-- Who follows our actors (local_actor: our actor's id).
CREATE TABLE ap_followers (
    local_actor        TEXT NOT NULL,
    follower           TEXT NOT NULL,
    inbox              TEXT NOT NULL,
    shared_inbox       TEXT,
    follow_activity_id TEXT NOT NULL,
    state              TEXT NOT NULL DEFAULT 'accepted' CHECK (state IN ('pending', 'accepted')),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (local_actor, follower)
);

-- Whom our actors follow.
CREATE TABLE ap_following (
    local_actor        TEXT NOT NULL,
    remote_actor       TEXT NOT NULL,
    follow_activity_id TEXT NOT NULL,
    state              TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'accepted')),
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (local_actor, remote_actor)
);

CREATE TABLE ap_remote_actors (
    id                 TEXT PRIMARY KEY,
    kind               TEXT NOT NULL,
    preferred_username TEXT,
    name               TEXT,
    summary            TEXT,
    url                TEXT,
    icon               TEXT,
    inbox              TEXT NOT NULL,
    shared_inbox       TEXT,
    key_id             TEXT NOT NULL,
    public_key_pem     TEXT NOT NULL,
    fetched_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at         TIMESTAMPTZ
);
CREATE INDEX ap_remote_actors_key_idx ON ap_remote_actors (key_id);

-- Notes and Articles: remote ones (sanitized), and local ones the fleet publishes.
CREATE TABLE ap_objects (
    id            TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    attributed_to TEXT NOT NULL,
    local         BOOLEAN NOT NULL DEFAULT false,
    name          TEXT,
    summary       TEXT,
    content       TEXT NOT NULL DEFAULT '',
    url           TEXT,
    in_reply_to   TEXT,
    published     TIMESTAMPTZ,
    updated       TIMESTAMPTZ,
    likes         INTEGER NOT NULL DEFAULT 0,
    announces     INTEGER NOT NULL DEFAULT 0,
    payload       JSONB NOT NULL,
    deleted_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX ap_objects_reply_idx ON ap_objects (in_reply_to);
CREATE INDEX ap_objects_author_idx ON ap_objects (attributed_to, published DESC);

CREATE TABLE ap_blocks (
    kind       TEXT NOT NULL CHECK (kind IN ('domain', 'actor')),
    value      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, value)
);

-- Where each consumer of the fleet's local event bus has got to in ap_activities.
CREATE TABLE ap_event_cursors (
    consumer   TEXT PRIMARY KEY,
    last_id    BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
