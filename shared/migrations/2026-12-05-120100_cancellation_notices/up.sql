-- When a booking's holder was told that its date (or its event) was cancelled: set in the
-- transaction that queues the mail, so a notice job run twice mails nobody twice.
ALTER TABLE event_bookings ADD COLUMN cancel_notified_at TIMESTAMPTZ;
