ALTER TABLE tags DROP COLUMN ghost_id;
DROP TABLE ghost_posts;
DROP TABLE ghost_sites;
