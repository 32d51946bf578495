-- Every app's header shows a member's unread notifications (in the account's `user-menu`
-- fragment, cached per viewer): a change to their notifications names the member on this
-- channel when it commits, and federation drops that member's cached menus.
CREATE FUNCTION social_notifications_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('social_notifications', OLD.user_id::text);
    ELSE
        PERFORM pg_notify('social_notifications', NEW.user_id::text);
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER social_notifications_changed
    AFTER INSERT OR DELETE OR UPDATE OF read_at ON social_notifications
    FOR EACH ROW EXECUTE FUNCTION social_notifications_changed();
