DROP TABLE social_settings;
DROP TABLE social_filters;
DROP TABLE social_notifications;
DROP TRIGGER ap_objects_social_index ON ap_objects;
DROP FUNCTION social_index_object();
DROP FUNCTION social_ids(JSONB);
ALTER TABLE ap_reactions DROP COLUMN seq;
ALTER TABLE ap_objects DROP COLUMN seq, DROP COLUMN visibility, DROP COLUMN recipients,
    DROP COLUMN hashtags;
DROP SEQUENCE social_seq;
