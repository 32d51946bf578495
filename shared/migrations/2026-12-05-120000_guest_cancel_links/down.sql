ALTER TABLE event_bookings DROP COLUMN cancel_digest;
