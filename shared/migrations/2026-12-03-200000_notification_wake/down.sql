DROP TRIGGER social_notifications_changed ON social_notifications;
DROP FUNCTION social_notifications_changed();
