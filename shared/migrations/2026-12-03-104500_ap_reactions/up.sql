-- Likes and Announces, one per (actor, object, kind): a repeated Like does not count twice and
-- an Undo removes exactly what its actor gave (as Mastodon keeps favourites and reblogs).
CREATE TABLE ap_reactions (
    actor       TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('Like', 'Announce')),
    activity_id TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, object_id, kind)
);
CREATE INDEX ap_reactions_object_idx ON ap_reactions (object_id, kind);
