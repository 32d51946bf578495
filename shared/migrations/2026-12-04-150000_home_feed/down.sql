DROP TRIGGER social_home_follow ON ap_following;
DROP TRIGGER social_home_boost ON ap_reactions;
DROP TRIGGER social_home_post ON ap_objects;
DROP FUNCTION social_home_follow();
DROP FUNCTION social_home_boost();
DROP FUNCTION social_home_post();
DROP FUNCTION social_home_backfill(TEXT, TEXT);
DROP INDEX ap_following_followed_idx;
DROP TABLE social_home;
