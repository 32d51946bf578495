DROP INDEX event_bookings_queue_idx;
DROP INDEX event_bookings_guest_live_idx;
DROP INDEX event_bookings_live_idx;
DELETE FROM event_bookings WHERE user_id IS NULL;
UPDATE event_bookings SET status = 'cancelled' WHERE status NOT IN ('booked', 'cancelled');
CREATE UNIQUE INDEX event_bookings_live_idx ON event_bookings (occurrence_id, user_id)
    WHERE status = 'booked';
ALTER TABLE event_bookings DROP CONSTRAINT event_bookings_status_check;
ALTER TABLE event_bookings ADD CONSTRAINT event_bookings_status_check
    CHECK (status IN ('booked', 'cancelled'));
ALTER TABLE event_bookings
    DROP CONSTRAINT event_bookings_member_or_guest,
    DROP COLUMN guest_name,
    DROP COLUMN guest_email,
    DROP COLUMN confirm_digest,
    DROP COLUMN confirm_expires_at,
    DROP COLUMN confirmed_at,
    DROP COLUMN waitlisted_at,
    DROP COLUMN decided_at,
    DROP COLUMN decided_by,
    DROP COLUMN reminded_at,
    ALTER COLUMN user_id SET NOT NULL;
ALTER TABLE events DROP COLUMN approval_required;
