-- Each local actor's home timeline, written when a post or boost arrives instead of gathered
-- when the page is read (Mastodon keeps home feeds the same way). Gathering meant merging the
-- posts of every followed actor (500 of them, say) and planning that query on each request;
-- reading a home is now one index range of this table. Triggers keep it, whoever writes
-- `ap_objects`, `ap_reactions` or `ap_following`, so no write path can forget it. Who may see
-- an entry, deletions, blocks and mutes are still checked when it is read.
CREATE TABLE social_home (
    owner      TEXT NOT NULL,   -- the local actor (a member) whose home this is
    seq        BIGINT NOT NULL, -- the entry's place: the post's, or the boost's
    object_id  TEXT NOT NULL REFERENCES ap_objects (id) ON DELETE CASCADE,
    via        TEXT NOT NULL,   -- the followed actor who wrote or boosted it
    boosted_by TEXT,            -- NULL for a post, the booster for a boost
    PRIMARY KEY (owner, seq)
);
-- Unfollow removes what came through that actor.
CREATE INDEX social_home_via_idx ON social_home (owner, via);
CREATE INDEX social_home_object_idx ON social_home (object_id);
-- Fan-out finds the followers of a post's author.
CREATE INDEX ap_following_followed_idx ON ap_following (remote_actor) WHERE state = 'accepted';

-- How much of a newly followed actor's past a home receives (Mastodon merges a bounded slice
-- too); a follow is answered at once, not after copying an archive.
CREATE FUNCTION social_home_backfill(home TEXT, followed TEXT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO social_home (owner, seq, object_id, via, boosted_by)
    SELECT home, o.seq, o.id, followed, NULL FROM ap_objects o
     WHERE o.attributed_to = followed ORDER BY o.seq DESC LIMIT 400
    ON CONFLICT DO NOTHING;
    INSERT INTO social_home (owner, seq, object_id, via, boosted_by)
    SELECT home, r.seq, r.object_id, followed, followed FROM ap_reactions r
     WHERE r.actor = followed AND r.kind = 'Announce' ORDER BY r.seq DESC LIMIT 400
    ON CONFLICT DO NOTHING;
$$;

CREATE FUNCTION social_home_post() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO social_home (owner, seq, object_id, via, boosted_by)
    SELECT f.local_actor, NEW.seq, NEW.id, NEW.attributed_to, NULL FROM ap_following f
     WHERE f.remote_actor = NEW.attributed_to AND f.state = 'accepted'
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER social_home_post AFTER INSERT ON ap_objects
    FOR EACH ROW EXECUTE FUNCTION social_home_post();

CREATE FUNCTION social_home_boost() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF COALESCE(NEW.kind, OLD.kind) <> 'Announce' THEN
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO social_home (owner, seq, object_id, via, boosted_by)
        SELECT f.local_actor, NEW.seq, NEW.object_id, NEW.actor, NEW.actor FROM ap_following f
         WHERE f.remote_actor = NEW.actor AND f.state = 'accepted'
        ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM social_home h USING ap_following f
         WHERE f.remote_actor = OLD.actor AND h.owner = f.local_actor AND h.seq = OLD.seq;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER social_home_boost AFTER INSERT OR DELETE ON ap_reactions
    FOR EACH ROW EXECUTE FUNCTION social_home_boost();

CREATE FUNCTION social_home_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (OLD.local_actor, OLD.remote_actor, OLD.state)
                            = (NEW.local_actor, NEW.remote_actor, NEW.state) THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.state = 'accepted' THEN
        DELETE FROM social_home WHERE owner = OLD.local_actor AND via = OLD.remote_actor;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state = 'accepted' THEN
        PERFORM social_home_backfill(NEW.local_actor, NEW.remote_actor);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER social_home_follow AFTER INSERT OR UPDATE OR DELETE ON ap_following
    FOR EACH ROW EXECUTE FUNCTION social_home_follow();

-- Homes as they stand.
SELECT social_home_backfill(local_actor, remote_actor) FROM ap_following WHERE state = 'accepted';
