ALTER TABLE event_bookings DROP COLUMN cancel_notified_at;
