DROP INDEX event_bookings_remote_live_idx;
DELETE FROM event_bookings WHERE remote_actor IS NOT NULL;
ALTER TABLE event_bookings DROP CONSTRAINT event_bookings_member_guest_or_remote;
ALTER TABLE event_bookings ADD CONSTRAINT event_bookings_member_or_guest
    CHECK ((user_id IS NULL) = (guest_email IS NOT NULL) AND (guest_email IS NULL) = (guest_name IS NULL));
ALTER TABLE event_bookings DROP COLUMN remote_join, DROP COLUMN remote_actor;
