-- Posts with several authors (as in Ghost). `posts.author_id` stays the primary author (the
-- first here), which listings and feeds read without a join.
CREATE TABLE post_authors (
    post_id  BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX post_authors_user_idx ON post_authors (user_id, post_id);
INSERT INTO post_authors (post_id, user_id, position)
    SELECT id, author_id, 0 FROM posts WHERE author_id IS NOT NULL;
