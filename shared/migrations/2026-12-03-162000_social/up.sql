-- The social hub. Timelines read ap_objects (remote posts, members' posts and the apps' own)
-- and ap_reactions (boosts) in the order of one sequence, so every timeline pages by keyset
-- ("older than seq N") without OFFSET. Each post's visibility, recipients and hashtags are
-- derived from its own addressing by a trigger on every write, whoever writes it, so a
-- followers-only or direct post can never be stored as public by a path that forgot to.
CREATE SEQUENCE social_seq;

ALTER TABLE ap_objects
    ADD COLUMN seq BIGINT NOT NULL DEFAULT nextval('social_seq'),
    -- public | unlisted | followers | direct, as Mastodon reads `to`/`cc`.
    ADD COLUMN visibility TEXT NOT NULL DEFAULT 'direct',
    -- Every id in `to` and `cc` (actors and collections).
    ADD COLUMN recipients TEXT[] NOT NULL DEFAULT '{}',
    -- Lower-cased names of the post's `Hashtag` tags, without '#'.
    ADD COLUMN hashtags TEXT[] NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX ap_objects_seq_key ON ap_objects (seq);
CREATE INDEX ap_objects_author_seq_idx ON ap_objects (attributed_to, seq DESC);
CREATE INDEX ap_objects_public_seq_idx ON ap_objects (seq DESC) WHERE visibility = 'public';
CREATE INDEX ap_objects_local_seq_idx ON ap_objects (seq DESC)
    WHERE visibility = 'public' AND local;
CREATE INDEX ap_objects_hashtags_idx ON ap_objects USING gin (hashtags);
CREATE INDEX ap_objects_in_reply_to_idx ON ap_objects (in_reply_to);

ALTER TABLE ap_reactions ADD COLUMN seq BIGINT NOT NULL DEFAULT nextval('social_seq');
CREATE INDEX ap_reactions_boosts_idx ON ap_reactions (actor, seq DESC) WHERE kind = 'Announce';

-- The ids in an AS value that is an IRI, an object with an id, or a list of either.
CREATE FUNCTION social_ids(v JSONB) RETURNS TEXT[] LANGUAGE sql IMMUTABLE AS $$
    SELECT COALESCE(array_agg(x), '{}') FROM (
        SELECT CASE jsonb_typeof(e) WHEN 'string' THEN e #>> '{}' WHEN 'object' THEN e ->> 'id' END AS x
        FROM jsonb_array_elements(CASE jsonb_typeof(v) WHEN 'array' THEN v
                                  WHEN 'string' THEN jsonb_build_array(v)
                                  WHEN 'object' THEN jsonb_build_array(v)
                                  ELSE '[]'::jsonb END) AS e
    ) ids WHERE x IS NOT NULL
$$;

CREATE FUNCTION social_index_object() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    to_ids TEXT[] := social_ids(NEW.payload -> 'to');
    cc_ids TEXT[] := social_ids(NEW.payload -> 'cc');
    public_names TEXT[] := ARRAY['https://www.w3.org/ns/activitystreams#Public', 'as:Public', 'Public'];
    tags JSONB := NEW.payload -> 'tag';
BEGIN
    -- A tombstone keeps the audience it had (its payload no longer says).
    IF NEW.deleted_at IS NOT NULL AND TG_OP = 'UPDATE' THEN
        RETURN NEW;
    END IF;
    NEW.recipients := to_ids || cc_ids;
    NEW.visibility := CASE
        WHEN to_ids && public_names THEN 'public'
        WHEN cc_ids && public_names THEN 'unlisted'
        WHEN EXISTS (SELECT 1 FROM unnest(to_ids || cc_ids) AS r
                     WHERE r = NEW.attributed_to || '/followers' OR r LIKE '%/followers') THEN 'followers'
        ELSE 'direct' END;
    IF jsonb_typeof(tags) = 'object' THEN
        tags := jsonb_build_array(tags);
    ELSIF jsonb_typeof(tags) IS DISTINCT FROM 'array' THEN
        tags := '[]'::jsonb;
    END IF;
    NEW.hashtags := ARRAY(
        SELECT DISTINCT lower(ltrim(t ->> 'name', '#')) FROM jsonb_array_elements(tags) AS t
        WHERE jsonb_typeof(t) = 'object' AND t ->> 'type' = 'Hashtag'
          AND length(ltrim(COALESCE(t ->> 'name', ''), '#')) BETWEEN 1 AND 100);
    RETURN NEW;
END
$$;

CREATE TRIGGER ap_objects_social_index BEFORE INSERT OR UPDATE OF payload ON ap_objects
    FOR EACH ROW EXECUTE FUNCTION social_index_object();

-- Existing rows get their audience from what they say.
UPDATE ap_objects SET payload = payload;

-- What happened to a member: mentions, replies, boosts and likes of their posts, follows and
-- follow requests, edits of posts they boosted. Unique per (who, what, about), so a handler
-- that runs twice notifies once.
CREATE TABLE social_notifications (
    id          BIGSERIAL PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN
                  ('mention', 'reply', 'boost', 'favourite', 'follow', 'follow_request', 'update')),
    actor       TEXT NOT NULL,
    object_id   TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    read_at     TIMESTAMPTZ,
    UNIQUE NULLS NOT DISTINCT (user_id, kind, actor, object_id)
);
CREATE INDEX social_notifications_user_idx ON social_notifications (user_id, id DESC);
CREATE INDEX social_notifications_unread_idx ON social_notifications (user_id) WHERE read_at IS NULL;

-- A member's own blocks and mutes, of an actor (its id) or of a whole domain (host[:port]).
CREATE TABLE social_filters (
    user_id     BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('block', 'mute')),
    target_kind TEXT NOT NULL CHECK (target_kind IN ('actor', 'domain')),
    target      TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind, target_kind, target)
);

-- A member's social settings: whether follows wait for their approval (a locked account).
CREATE TABLE social_settings (
    user_id                     BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    manually_approves_followers BOOLEAN NOT NULL DEFAULT false
);
