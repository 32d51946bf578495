DROP INDEX ap_activities_outbound_object_idx;
DROP TABLE post_comments;
DROP TABLE blog_settings;
DROP TABLE post_tags;
DROP TABLE tags;
DROP TABLE post_slug_history;
DROP TABLE post_meta;
DROP INDEX posts_scheduled_idx;
DROP INDEX posts_kind_published_idx;
ALTER TABLE posts
    DROP COLUMN kind, DROP COLUMN markdown, DROP COLUMN feature_image_alt,
    DROP COLUMN ap_object_id;
UPDATE users SET role = 'member' WHERE role = 'author';
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'editor', 'member'));
