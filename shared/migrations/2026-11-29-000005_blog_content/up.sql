-- The blog as a publication: posts and pages with SEO fields, tags, slug history, per-site
-- settings, comments from the fediverse, and the `author` role (writes and publishes own posts).

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('admin', 'editor', 'author', 'member'));

ALTER TABLE posts
    ADD COLUMN kind              TEXT NOT NULL DEFAULT 'post' CHECK (kind IN ('post', 'page')),
    -- The editor's Markdown source; NULL when the body was written (or imported) as HTML.
    ADD COLUMN markdown          TEXT,
    ADD COLUMN feature_image_alt TEXT,
    -- The ActivityPub object id once a Create went out (edits then send Update, deletes Delete).
    ADD COLUMN ap_object_id      TEXT;
CREATE INDEX posts_kind_published_idx ON posts (kind, published_at DESC, id DESC)
    WHERE status = 'published';
CREATE INDEX posts_scheduled_idx ON posts (published_at) WHERE status = 'scheduled';

-- SEO and social fields, one row per post that sets any (as Ghost's posts_meta).
CREATE TABLE post_meta (
    post_id          BIGINT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    meta_title       TEXT,
    meta_description TEXT,
    canonical_url    TEXT,
    og_title         TEXT,
    og_description   TEXT,
    og_image         TEXT
);

-- Old slugs keep answering with a redirect to the post's current slug.
CREATE TABLE post_slug_history (
    slug       TEXT PRIMARY KEY,
    post_id    BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX post_slug_history_post_idx ON post_slug_history (post_id);

CREATE TABLE tags (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE post_tags (
    post_id  BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag_id   BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (post_id, tag_id)
);
CREATE INDEX post_tags_tag_idx ON post_tags (tag_id, post_id);

CREATE TABLE blog_settings (
    id          SMALLINT PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    title       TEXT NOT NULL DEFAULT 'Rose Ash' CHECK (length(title) BETWEEN 1 AND 100),
    description TEXT NOT NULL DEFAULT '',
    -- How posts federate: Mastodon shows an Article as title + summary + link, a Note in full.
    federate_as TEXT NOT NULL DEFAULT 'Article' CHECK (federate_as IN ('Article', 'Note')),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO blog_settings DEFAULT VALUES;
CREATE TRIGGER blog_settings_touch BEFORE UPDATE ON blog_settings
    FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();

-- Replies from the fediverse, shown under a post once an editor approves them.
CREATE TABLE post_comments (
    id           BIGSERIAL PRIMARY KEY,
    post_id      BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    object_id    TEXT NOT NULL UNIQUE,
    actor_id     TEXT NOT NULL,
    author_name  TEXT NOT NULL,
    author_url   TEXT,
    html         TEXT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'hidden')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX post_comments_post_idx ON post_comments (post_id, status, published_at);
CREATE INDEX post_comments_pending_idx ON post_comments (created_at) WHERE status = 'pending';
CREATE TRIGGER post_comments_touch BEFORE UPDATE ON post_comments
    FOR EACH ROW EXECUTE FUNCTION ra_touch_updated_at();

-- Deleted posts answer 410: their outbound Delete is found by object id.
CREATE INDEX ap_activities_outbound_object_idx ON ap_activities (object_id, kind)
    WHERE direction = 'outbound';
